/* forward.h - every layer's hidden states, as transformers returns them with
 * output_hidden_states=True.
 *
 * Layer 0 is the embedding output (after the architecture's embedding
 * scale); layer i, 1 <= i < L, the residual stream after block i; layer L
 * the last block's output after the final norm. Prompts are independent
 * sequences: positions restart at 0 and attention is causal within each
 * prompt (and windowed on sliding layers). Activations are float32; weights
 * stay in their file dtype and are converted one matrix at a time.
 */
#ifndef ANISO_FORWARD_H
#define ANISO_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/error.h"
#include "aniso/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The token ids of n_prompts prompts, packed: prompt p is
 * ids[offsets[p] .. offsets[p+1]) (offsets has n_prompts + 1 entries). */
typedef struct aniso_batch {
    const int32_t *ids;
    const size_t *offsets;
    size_t n_prompts;
} aniso_batch;

/* Receives hidden_states[layer], a borrowed row-major (n_tok, d_model)
 * matrix valid during the call. A non-zero return stops the pass (the
 * forward then returns ANISO_INVALID_ARGUMENT with the tap's message). */
typedef int (*aniso_tap)(void *user, int layer, const float *x, size_t n_tok, int d_model,
                         aniso_error *err);

typedef struct aniso_forward_opts {
    int n_threads; /* 0 = all cores */
    aniso_tap tap; /* called for layers 0..n_layer, in order */
    void *tap_user;
    /* Optional: called after each block (done = 1..n_layer). */
    void (*progress)(void *user, int done, int total);
    void *progress_user;
} aniso_forward_opts;

/* The rotary inverse frequencies of setting r over n_rot dimensions
 * (n_rot / 2 values into out), in float32 as transformers computes them:
 * inv_freq[i] = 1 / base^(fp32(2i) / n_rot), then the rope type's rescaling. */
void aniso_rope_inv_freq(const aniso_rope *r, int n_rot, float *out);

/* Runs the batch through m. Token ids must be below the embedding's rows. */
aniso_status aniso_forward(const aniso_model *m, const aniso_batch *b, const aniso_forward_opts *o,
                           aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
