/* fuzz_gguf.c - arbitrary bytes as a GGUF file. A parse that succeeds must
 * describe tensors lying wholly inside the input; its metadata then go
 * through the model's hyper-parameters and the tokenizer builder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"
#include "fuzz.h"
#include "model/arch.h"
#include "tokenizer/tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    aniso_error err;
    aniso_gguf *g = aniso_gguf_parse(buf, size, "fuzz.gguf", &err);
    if (g) {
        for (size_t i = 0; i < aniso_gguf_tensor_count(g); i++) {
            const aniso_tensor *t = aniso_gguf_tensor_at(g, i);
            fuzz_check_tensor(t, buf, size);
        }
        aniso_hparams hp;
        if (hparams_from_gguf(g, &hp, &err) == ANISO_OK &&
            (hp.n_layer < 1 || hp.d_model < 1 || hp.n_head < 1 || hp.d_head < 1))
            abort();
        aniso_tokenizer *tk = tokenizer_from_gguf(g, &err);
        if (tk) {
            aniso_ids ids = {0};
            aniso_tokenizer_encode(tk, "Hello world \xf0\x9f\xa4\x96", 16, 1, &ids, &err);
            for (size_t i = 0; i < ids.n; i++)
                if (ids.v[i] < 0 || ids.v[i] >= aniso_tokenizer_n_ids(tk)) abort();
            aniso_ids_free(&ids);
            aniso_tokenizer_free(tk);
        }
        aniso_gguf_free(g);
    } else if (!err.msg[0] || strchr(err.msg, '\n')) {
        abort();
    }
    free(buf);
    return 0;
}
