/* comparable.c - whether result files were measured the same way (their
 * "provenance" objects), and paired differences of their bootstrap
 * replicates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aniso/aniso.h"
#include "io/json.h"

/* The keys that must agree, and what each means in a message. */
static const char *const keys[] = {"centring", "exclude",   "positions", "last_layer",
                                   "input",    "text_hash", "context"};

/* "all" when the layers are every one of the result's, else the list. */
static char *layers_of(const aj *p, int n)
{
    aj *ls = aj_get(p, "layers");
    int all = aj_is_array(ls) && aj_size(ls) == (size_t)n;
    for (size_t i = 0; all && i < aj_size(ls); i++) all = aj_num(aj_at(ls, i)) == (double)i;
    if (all) {
        char *s = malloc(4);
        if (s) memcpy(s, "all", 4);
        return s;
    }
    return ls ? aj_dump(ls, 0) : NULL;
}

int aniso_results_comparable(aniso_result_file *const *rs, int n, char *why, size_t cap)
{
    why[0] = '\0';
    aj **p = calloc((size_t)n, sizeof *p);
    int rc = 1;
    if (!p) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        aniso_error e;
        if (!rs[i]->provenance ||
            !(p[i] = aj_parse(rs[i]->provenance, strlen(rs[i]->provenance), rs[i]->path, &e))) {
            snprintf(why, cap,
                     "%s does not record how it was measured (a notebook result or an older "
                     "aniso's)",
                     rs[i]->path);
            rc = -1;
            goto out;
        }
    }
    for (int i = 1; i < n && rc == 1; i++) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0] && rc == 1; k++) {
            char *a = aj_dump(aj_get(p[0], keys[k]), 0), *b = aj_dump(aj_get(p[i], keys[k]), 0);
            if (!a || !b || strcmp(a, b)) {
                snprintf(why, cap, "%s and %s differ in %s: %s and %s", rs[0]->path, rs[i]->path,
                         keys[k], a ? a : "(none)", b ? b : "(none)");
                rc = 0;
            }
            free(a), free(b);
        }
        char *a = layers_of(p[0], rs[0]->n), *b = layers_of(p[i], rs[i]->n);
        if (rc == 1 && (!a || !b || strcmp(a, b))) {
            snprintf(why, cap, "%s and %s differ in the layers measured: %s and %s", rs[0]->path,
                     rs[i]->path, a ? a : "(none)", b ? b : "(none)");
            rc = 0;
        }
        free(a), free(b);
    }
out:
    for (int i = 0; i < n; i++) aj_free(p[i]);
    free(p);
    return rc;
}

int aniso_results_paired(const aniso_result_file *a, const aniso_result_file *b, char *why,
                         size_t cap)
{
    aniso_result_file *two[2] = {(aniso_result_file *)a, (aniso_result_file *)b};
    if (aniso_results_comparable(two, 2, why, cap) != 1) return 0;
    why[0] = '\0';
    aniso_error e;
    aj *p = aj_parse(a->provenance, strlen(a->provenance), a->path, &e);
    const char *in = aj_str(aj_get(p, "input"));
    int prompts = in && !strcmp(in, "prompts");
    aj_free(p);
    if (!a->n_rep || !b->n_rep)
        snprintf(why, cap, "%s has no bootstrap replicates", !a->n_rep ? a->path : b->path);
    else if (!prompts)
        snprintf(why, cap,
                 "a corpus is cut into windows by each model's tokenizer: the units resampled are "
                 "not the same texts");
    else if (a->n_rep != b->n_rep || a->rep_seed != b->rep_seed || a->rep_units != b->rep_units)
        snprintf(why, cap,
                 "the bootstraps differ (replicates %d and %d, seeds %llu and %llu, units %llu and "
                 "%llu): run both with the same --boot and --seed",
                 a->n_rep, b->n_rep, a->rep_seed, b->rep_seed, a->rep_units, b->rep_units);
    return why[0] == '\0';
}
