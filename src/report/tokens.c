/* tokens.c - the token records written beside a hidden-state .npy file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/report.h"
#include "base/base.h"
#include "io/json.h"

aniso_status aniso_report_tokens_json(const char *path, const char *model_name,
                                      const aniso_hparams *hp, const aniso_tokenizer *tk,
                                      const aniso_prompts *p, const aniso_batch *b,
                                      aniso_last_layer last, aniso_error *err)
{
    size_t T = b->offsets[b->n_prompts];
    aniso_ids before = {0}, after = {0};
    unsigned char *roles = malloc(T + 1);
    if (!roles || aniso_tokenizer_specials(tk, &before, &after, err)) {
        free(roles);
        return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    }
    for (size_t pr = 0; pr < b->n_prompts; pr++)
        aniso_token_roles(tk, b->ids + b->offsets[pr], b->offsets[pr + 1] - b->offsets[pr],
                          before.n, after.n, roles + b->offsets[pr]);
    aniso_ids_free(&before);
    aniso_ids_free(&after);
    aj *o = aj_new_object(), *shape = aj_new_array(), *prompts = aj_new_array(),
       *toks = aj_new_array();
    int bad = !o || !shape || !prompts || !toks;
    bad = bad || aj_set(o, "model", aj_new_string(model_name, strlen(model_name)));
    const char *ln = aniso_last_layer_name(last);
    bad = bad || aj_set(o, "last_layer", aj_new_string(ln, strlen(ln)));
    bad = bad || aj_append(shape, aj_new_int(aniso_hidden_count(hp->n_layer, last))) ||
          aj_append(shape, aj_new_int((long long)T)) || aj_append(shape, aj_new_int(hp->d_model));
    for (size_t i = 0; i < p->n && !bad; i++)
        bad = aj_append(prompts, aj_new_string(p->text[i], p->len[i]));
    for (size_t pr = 0; pr < b->n_prompts && !bad; pr++)
        for (size_t t = b->offsets[pr]; t < b->offsets[pr + 1] && !bad; t++) {
            aj *r = aj_new_object();
            const char *s = aniso_tokenizer_token(tk, b->ids[t]);
            char rs[64];
            aniso_token_roles_str(roles[t], rs, sizeof rs);
            bad = !r || aj_set(r, "prompt", aj_new_int((long long)pr)) ||
                  aj_set(r, "position", aj_new_int((long long)(t - b->offsets[pr]))) ||
                  aj_set(r, "id", aj_new_int(b->ids[t])) ||
                  aj_set(r, "token", s ? aj_new_string(s, strlen(s)) : aj_new_null()) ||
                  aj_set(r, "roles", aj_new_string(rs, strlen(rs)));
            if (bad)
                aj_free(r);
            else
                bad = aj_append(toks, r);
        }
    if (!bad) {
        bad =
            aj_set(o, "shape", shape) || aj_set(o, "prompts", prompts) || aj_set(o, "tokens", toks);
        shape = prompts = toks = NULL;
    }
    free(roles);
    char *text = bad ? NULL : aj_dump(o, 1);
    aj_free(shape);
    aj_free(prompts);
    aj_free(toks);
    aj_free(o);
    if (!text) return aniso_error_set(err, ANISO_NO_MEMORY, "%s: out of memory", path);
    aniso_status st = afile_write_text(path, text, err);
    free(text);
    return st;
}
