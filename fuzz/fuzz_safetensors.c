/* fuzz_safetensors.c - arbitrary bytes as a safetensors file. A parse that
 * succeeds must describe tensors lying wholly inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy, so reads past the input are caught by ASan. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    aniso_error err;
    aniso_st *st = aniso_st_parse(buf, size, "fuzz.safetensors", &err);
    if (st) {
        for (size_t i = 0; i < aniso_st_count(st); i++) {
            const aniso_tensor *t = aniso_st_at(st, i);
            fuzz_check_tensor(t, buf, size);
            if (aniso_st_find(st, t->name) != t) abort();
        }
        aniso_st_free(st);
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
        abort(); /* every failure has a one-line message */
    }
    free(buf);
    return 0;
}
