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

/* ---- Plan, state and taps ----
 *
 * A plan is made once from a model and options; a state holds every working
 * buffer and the rotary tables for chunks of up to max_tokens tokens in
 * sequences of up to max_seq tokens, allocated once; aniso_run passes one
 * chunk through and never allocates. A plan is read-only once made; runs
 * of one process must not overlap in time, since the thread counts they set
 * (OpenMP's, OpenBLAS's) are process-wide.
 *
 * Taps are the named points of the pass, numbered for a model of L blocks:
 *   0          the embedding output (after the family's embedding scale)
 *   1 .. L     the residual stream after block i (L: the last block's raw
 *              output, before the final norm)
 *   L + 1      the final norm's output
 * transformers' hidden_states[i] is tap i for i < L and tap L + 1 for i = L
 * (aniso_hidden_tap). */

#define ANISO_TAP_FINAL_NORM(n_layer) ((n_layer) + 1)

/* What the last hidden-state layer is: transformers' (after the final norm),
 * the raw residual stream after the last block, or both (L + 2 layers, the
 * raw one last). */
typedef enum aniso_last_layer {
    ANISO_LAST_HF = 0,
    ANISO_LAST_RAW = 1,
    ANISO_LAST_BOTH = 2,
} aniso_last_layer;

/* "hf", "raw" or "both"; and back (-1 for another name). */
const char *aniso_last_layer_name(aniso_last_layer policy);
int aniso_last_layer_parse(const char *name, aniso_last_layer *out);

/* Hidden-state layers a policy gives: L + 1, or L + 2 for BOTH. */
int aniso_hidden_count(int n_layer, aniso_last_layer policy);
/* The tap behind hidden-state layer i of a policy. */
int aniso_hidden_tap(int n_layer, aniso_last_layer policy, int i);

/* Receives tap `tap`, a borrowed row-major (n_tok, d_model) matrix valid
 * during the call. A non-zero return stops the pass (aniso_run then returns
 * the status in err, or ANISO_INVALID_ARGUMENT). */
typedef int (*aniso_tap_fn)(void *user, int tap, const float *x, size_t n_tok, int d_model,
                            aniso_error *err);

typedef struct aniso_plan_opts {
    int n_threads;     /* threads for this plan's runs (0 = all cores) */
    size_t max_tokens; /* tokens of the largest chunk */
    size_t max_seq;    /* tokens of the longest sequence */
    /* Which taps the caller wants (n_layer + 2 flags), or NULL for all. The
     * pass stops after the last block a wanted tap needs. */
    const unsigned char *taps;
} aniso_plan_opts;

typedef struct aniso_plan aniso_plan;
typedef struct aniso_state aniso_state;

aniso_plan *aniso_plan_new(const aniso_model *m, const aniso_plan_opts *o, aniso_error *err);
void aniso_plan_free(aniso_plan *p);
/* The CPU kernel variant a plan's runs use: "generic" (portable C),
 * "avx2" (AVX2, FMA, F16C), "avx512" (AVX-512 F, BW, VL), "amx" (AVX-512,
 * and bfloat16 weights' products on the AMX tile units, exact to float32
 * rounding) or "amx-emulated" (generic, with the amx variant's bfloat16
 * products in portable C: for tests), fixed when the plan is made: the best
 * one the machine's CPUID features allow (amx only where its self-check
 * finds the tile units equal to their emulation bit for bit; never
 * amx-emulated), or the one aniso_kernels_set chose. */
const char *aniso_plan_kernels(const aniso_plan *p);
/* Makes the plans made from now on use variant name (NULL or "": the best
 * again); an unknown name, or one this build or machine cannot run, is an
 * error naming it and changes nothing. Process-wide (the CLI sets it from
 * ANISO_CPU). */
aniso_status aniso_kernels_set(const char *name, aniso_error *err);
/* The variant a plan made now would use. */
const char *aniso_kernels_choice(void);
/* The variants this build and machine can run, space-separated, the
 * portable ones first and then from the least to the best ("generic
 * amx-emulated avx2 avx512"; the best is the one chosen by itself, except
 * amx where its self-check failed), and the CPU's features as Linux names them,
 * into buf; returns buf. */
const char *aniso_kernels_available(char *buf, size_t size);
const char *aniso_cpu_features(char *buf, size_t size);
aniso_state *aniso_state_new(const aniso_plan *p, aniso_error *err);
void aniso_state_free(aniso_state *s);

/* Runs one chunk of whole sequences through the plan's model, calling tap for
 * every wanted tap in order. The chunk must fit the plan's limits and token
 * ids must be below the embedding's rows. The plan's thread count applies
 * during the call (OpenMP's and OpenBLAS's are restored afterwards). */
aniso_status aniso_run(const aniso_plan *p, aniso_state *s, const aniso_batch *b, aniso_tap_fn tap,
                       void *user, aniso_error *err);

/* ---- One-shot pass ---- */

/* Receives hidden_states[layer] (transformers' numbering). */
typedef int (*aniso_tap)(void *user, int layer, const float *x, size_t n_tok, int d_model,
                         aniso_error *err);

typedef struct aniso_forward_opts {
    int n_threads; /* 0 = all cores */
    aniso_tap tap; /* called for hidden-state layers in order */
    void *tap_user;
    aniso_last_layer last_layer; /* which last layer(s) tap receives */
    /* Optional: called after each block (done = 1..n_layer). */
    void (*progress)(void *user, int done, int total);
    void *progress_user;
    /* The bytes the pass may allocate (its plan and state, estimated before
     * any is allocated); 0: the memory available (MemAvailable, or the
     * cgroup's headroom when smaller). More is refused (ANISO_NO_MEMORY). */
    uint64_t max_memory;
    /* Run prompts longer than aniso_max_seq_len (the model's
     * max_position_embeddings), which are refused otherwise. */
    int allow_long_seq;
} aniso_forward_opts;

/* The rotary inverse frequencies of setting r over n_rot dimensions
 * (n_rot / 2 values into out), in float32 as transformers computes them:
 * inv_freq[i] = 1 / base^(fp32(2i) / n_rot), then the rope type's rescaling;
 * as the model holds them when loaded (before any sequence). */
void aniso_rope_inv_freq(const aniso_rope *r, int n_rot, float *out);

/* The frequencies used for a sequence of seq_len tokens (they differ from
 * aniso_rope_inv_freq's for dynamic and longrope settings past the original
 * context) and the factor that multiplies cos and sin (*attn). The dynamic
 * type uses the sequence's own length: transformers keeps the longest length
 * it has seen, so it agrees when no longer sequence came before. */
void aniso_rope_at(const aniso_rope *r, int n_rot, size_t seq_len, float *out, float *attn);

/* Whether the frequencies depend on the sequence length. */
int aniso_rope_length_dependent(const aniso_rope *r);

/* The longest sequence the model takes: its max_position_embeddings (n_pos),
 * or 0 for no limit (none stated, or a dynamic rope, whose base grows past
 * it). aniso_forward and aniso_profile refuse longer prompts and windows;
 * plans (aniso_plan_new) leave that to their caller. */
size_t aniso_max_seq_len(const aniso_hparams *hp);

/* Runs the whole batch through m at once (a plan and state made for it).
 * Before anything is allocated, every prompt must fit aniso_max_seq_len
 * (unless o->allow_long_seq) and the pass's memory o->max_memory. Every
 * weight's values are checked the first time the model uses them, and every
 * layer's hidden states before the tap receives them: a non-finite weight
 * is an ANISO_FORMAT error naming its file, tensor and element, non-finite
 * hidden states (float32 overflow) an ANISO_UNSUPPORTED error naming the
 * layer, token and dimension (aniso_run does the same). */
aniso_status aniso_forward(const aniso_model *m, const aniso_batch *b, const aniso_forward_opts *o,
                           aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
