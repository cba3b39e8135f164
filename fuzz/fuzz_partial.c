/* fuzz_partial.c - arbitrary bytes as a partial result (checkpoint) file and
 * as a corpus file. A partial result is either rejected with a one-line
 * message or read whole, and then its layer statistics give metrics and
 * bootstrap replicates (units or blocks) or a clear error; a corpus yields
 * documents of valid UTF-8 or an error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aniso/aniso.h"
#include "pipeline/partial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_partial_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    aniso_error err;
    partial p;
    if (partial_read(path, &p, &err) == ANISO_OK) {
        for (int i = 0; i < p.n; i++) {
            aniso_layer_metrics m;
            if (aniso_moments_dim(p.m[i]) > 256) continue;
            aniso_moments_metrics(p.m[i], &m, &err);
            /* the bootstrap's units or blocks: every unit once, and the first twice */
            aniso_resampler *rs = aniso_resampler_new(p.m[i], &err);
            uint64_t u = rs ? aniso_resampler_units(rs) : 0;
            uint32_t *count = u && u <= 4096 ? malloc(u * sizeof *count) : NULL;
            for (uint64_t k = 0; count && k < u; k++) count[k] = k == 0 ? 2 : 1;
            if (count) aniso_resampler_metrics(rs, count, &m, &err);
            free(count);
            aniso_resampler_free(rs);
        }
        partial_free(&p);
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
        abort();
    }
    aniso_corpus *c = aniso_corpus_open(path, &err);
    const char *text;
    size_t len;
    int r = 0;
    while (c && (r = aniso_corpus_next(c, &text, &len, &err)) == 1)
        if (text[len] != '\0') abort();
    if (c && r < 0 && (err.msg[0] == '\0' || strchr(err.msg, '\n'))) abort();
    aniso_corpus_free(c);
    unlink(path);
    return 0;
}
