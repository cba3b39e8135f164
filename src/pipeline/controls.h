/* controls.h - a profile's evidence (aniso/evidence.h) from its layers'
 * statistics: bootstrap intervals over whole sequences, the profile without
 * first tokens, the shape test, the nulls. */
#ifndef ANISO_CONTROLS_H
#define ANISO_CONTROLS_H

#include "aniso/pipeline.h"

#define DEFAULT_BOOT   1000
#define MIN_BOOT       200
#define DEFAULT_BLOCKS 20
#define MIN_BLOCKS     5
#define BOOT_LEVEL     0.95
/* The arithmetic the default bootstrap may always take, in the forward
 * pass's FLOP (seconds on one core), whatever the forward pass cost. */
#define BOOT_ALLOWANCE 5e11

/* What the run asked for and could have. */
typedef struct evcfg {
    int n_boot; /* as aniso_profile_opts */
    uint64_t seed;
    const char *indices; /* .npy of the resampled units, or NULL */
    int n_threads;
    int blocks;             /* bootstrap blocks of the layers' moments */
    const char *blocks_why; /* why there are none, or NULL */
    int nofirst;            /* the layers' statistics without first tokens exist */
    const char *nofirst_why;
    double fwd_flops;                 /* the forward pass's arithmetic (0: unknown) */
    const char *n_boot_reason;        /* how the default was chosen where the rule cannot say */
    int controls;                     /* the nulls (and the token controls) */
    const aniso_layer_tokens *tokens; /* per measured layer, or NULL */
} evcfg;

/* The bytes the evidence adds while it is computed (one layer at a time). */
uint64_t evidence_bytes(uint64_t d, size_t keep, uint64_t max_rows, int n_blocks, int n_threads,
                        int n_meas);

/* The evidence of run's profile (run->result's layers and analysis are
 * set): m[entry[l]] (and m_nf[entry[l]], or m_nf NULL) are profile layer
 * l's statistics. Sets run->result.evidence; the storage is run's. */
aniso_status evidence_build(aniso_profile_run *run, const evcfg *ev, aniso_moments *const *m,
                            aniso_moments *const *m_nf, const int *entry, int n_prof,
                            aniso_error *err);
/* Puts the resampled units' file (ev->indices) in place: after the report. */
aniso_status evidence_commit(void *store, aniso_error *err);
void evidence_free(void *store);

#endif
