/* fuzz_config_index.c - arbitrary bytes as config.json and as
 * model.safetensors.index.json. Accepted configs must have sane dimensions;
 * accepted indexes must name only safe shard paths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    aniso_error err;
    aniso_hparams hp;
    if (aniso_hparams_parse(buf, size, "config.json", NULL, &hp, &err) == ANISO_OK) {
        if (hp.n_layer < 1 || hp.d_model < 1 || hp.n_head < 1 || hp.n_head_kv < 1 ||
            hp.d_head < 1 || hp.d_ff < 1 || hp.n_vocab < 1 || hp.n_head % hp.n_head_kv != 0 ||
            !(hp.norm_eps > 0) || (unsigned)hp.arch >= ANISO_ARCH_COUNT)
            abort();
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
        abort();
    }
    aniso_hf_index *idx = aniso_hf_index_parse(buf, size, "index.json", &err);
    if (idx) {
        for (size_t i = 0; i < idx->n; i++)
            if (!aniso_hf_safe_relpath(idx->entries[i].shard) || !idx->entries[i].tensor) abort();
        aniso_hf_index_free(idx);
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n')) {
        abort();
    }
    free(buf);
    return 0;
}
