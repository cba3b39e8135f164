/* forward_int.h - internals of the forward pass shared with the pipeline. */
#ifndef ANISO_FORWARD_INT_H
#define ANISO_FORWARD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "aniso/model.h"

/* The bytes a plan and a state for chunks of max_tokens tokens in sequences
 * of up to max_seq allocate (aniso_plan_new + aniso_state_new) with
 * n_threads threads (0: all cores). The weights stay in their mapping and
 * are not counted. */
uint64_t forward_bytes(const aniso_model *m, size_t max_tokens, size_t max_seq, int n_threads);

/* Seconds a state's runs spent in attention's core (rotary embedding,
 * scores, softmax and values; not the projections), for benchmarks. */
double forward_attention_seconds(const aniso_state *s);

#endif
