/* report.h - files that aniso writes for people and scripts. Every file is
 * written under a temporary name and renamed into place when complete. */
#ifndef ANISO_REPORT_H
#define ANISO_REPORT_H

#include "aniso/forward.h"
#include "aniso/prompts.h"
#include "aniso/tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The token records of a hidden-state dump:
 * {"model", "shape": [L+1, n_tokens, hidden], "prompts": [...],
 *  "tokens": [{"prompt", "position", "id", "token"}, ...]} in row order. */
aniso_status aniso_report_tokens_json(const char *path, const char *model_name,
                                      const aniso_hparams *hp, const aniso_tokenizer *tk,
                                      const aniso_prompts *p, const aniso_batch *b,
                                      aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
