/* bench_tokenize.c - encoding speed of libaniso's tokenizer.
 *
 * usage: bench_tokenize TOKENIZER.json TEXT_FILE [REPEATS]
 * Encodes every line of TEXT_FILE (as `aniso tokenize --file` does) REPEATS
 * times (default 3) and prints, on one line, the best time's throughput:
 *   tokens=N bytes=B seconds=S tokens_per_second=T
 * Loading the tokenizer is not timed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aniso/aniso.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_tokenize TOKENIZER.json TEXT_FILE [REPEATS]\n");
        return 2;
    }
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    aniso_error err;
    aniso_tokenizer *tk = aniso_tokenizer_load(argv[1], &err);
    if (!tk) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", argv[2]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) return 1;
    fclose(f);
    aniso_ids ids = {0};
    double best = 1e30;
    size_t ntok = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        ntok = 0;
        for (long pos = 0; pos < len;) {
            char *nl = memchr(text + pos, '\n', (size_t)(len - pos));
            long end = nl ? nl - text : len;
            ids.n = 0;
            if (aniso_tokenizer_encode(tk, text + pos, (size_t)(end - pos), 1, &ids, &err)) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            ntok += ids.n;
            pos = end + 1;
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
    }
    printf("tokens=%zu bytes=%ld seconds=%.4f tokens_per_second=%.0f\n", ntok, len, best,
           (double)ntok / best);
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
    free(text);
    return 0;
}
