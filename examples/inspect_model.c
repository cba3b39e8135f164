/* inspect_model.c - libaniso from a host program, through the public API
 * (the headers in include/aniso) only: opens a model, prints its shape,
 * tokenizes a text and runs it through the model, printing the norm of the
 * last token's hidden state at the last layer (transformers'
 * hidden_states[-1]).
 *
 *   cc inspect_model.c $(pkg-config --cflags --libs aniso) -lm -o inspect_model
 *   ./inspect_model MODEL [TEXT]
 *
 * MODEL is a model folder or a GGUF file (a Hugging Face model id needs the
 * hub cache folder in aniso_open_opts.cache_dir). See Makefile for the static
 * build. Exit status: 0, 1 on an error, 2 on a usage error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aniso/aniso.h>

struct last_state {
    int layer;   /* the layer to look at: L */
    double norm; /* |h| of the last token there */
    int seen;
};

/* Called with every hidden-state layer in turn: x is (n_tok, d) row-major. */
static int on_layer(void *user, int layer, const float *x, size_t n_tok, int d, aniso_error *err)
{
    struct last_state *s = user;
    (void)err;
    if (layer != s->layer || n_tok == 0) return 0;
    const float *row = x + (n_tok - 1) * (size_t)d;
    double sum = 0;
    for (int i = 0; i < d; i++) sum += (double)row[i] * row[i];
    s->norm = sqrt(sum);
    s->seen = 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s MODEL [TEXT]\n", argv[0]);
        return 2;
    }
    const char *text = argc == 3 ? argv[2] : "The quick brown fox jumps over the lazy dog.";
    aniso_error err;
    aniso_error_clear(&err);
    aniso_open_opts opts = {0}; /* automatic config.json rules, no hub cache */
    aniso_model *m = NULL;
    aniso_tokenizer *tk = NULL;
    aniso_ids ids = {0};
    int rc = 1;

    if (!(m = aniso_model_open(argv[1], &opts, &err))) goto fail;
    const aniso_hparams *hp = aniso_model_hparams(m);
    printf("libaniso        %s\n", aniso_version());
    printf("architecture    %s (%s)\n", aniso_arch_model_type(hp->arch),
           aniso_arch_display_name(hp->arch));
    printf("layers          %d\n", hp->n_layer);
    printf("hidden size     %d\n", hp->d_model);

    if (!(tk = aniso_tokenizer_open(argv[1], &opts, &err))) goto fail;
    if (aniso_tokenizer_encode(tk, text, strlen(text), 1, &ids, &err)) goto fail;
    printf("tokens          %zu:", ids.n);
    for (size_t i = 0; i < ids.n; i++) {
        const char *t = aniso_tokenizer_token(tk, ids.v[i]);
        printf(" %d=%s", (int)ids.v[i], t ? t : "?");
    }
    printf("\n");

    /* One prompt: ids[offsets[0] .. offsets[1]). */
    size_t offsets[2] = {0, ids.n};
    aniso_batch batch = {.ids = ids.v, .offsets = offsets, .n_prompts = 1};
    struct last_state last = {.layer = hp->n_layer};
    aniso_forward_opts fo = {.tap = on_layer, .tap_user = &last, .last_layer = ANISO_LAST_HF};
    if (aniso_forward(m, &batch, &fo, &err)) goto fail;
    if (!last.seen) {
        aniso_error_set(&err, ANISO_INVALID_ARGUMENT, "%s: no hidden state at layer %d", argv[1],
                        last.layer);
        goto fail;
    }
    printf("last-layer norm %.6f (layer %d, token %zu)\n", last.norm, last.layer, ids.n - 1);
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "inspect_model: %s\n", err.msg[0] ? err.msg : aniso_status_str(err.code));
    aniso_ids_free(&ids);
    aniso_tokenizer_free(tk);
    aniso_model_free(m);
    return rc;
}
