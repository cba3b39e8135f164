/* aniso.h - the public API of libaniso, in one include. */
#ifndef ANISO_ANISO_H
#define ANISO_ANISO_H

#include <stddef.h>

#include "aniso/error.h"
#include "aniso/safetensors.h"
#include "aniso/gguf.h"
#include "aniso/hf.h"
#include "aniso/hub.h"
#include "aniso/model.h"
#include "aniso/tokenizer.h"
#include "aniso/forward.h"
#include "aniso/npy.h"
#include "aniso/prompts.h"
#include "aniso/corpus.h"
#include "aniso/analysis.h"
#include "aniso/moments.h"
#include "aniso/shape.h"
#include "aniso/evidence.h"
#include "aniso/report.h"
#include "aniso/pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
const char *aniso_version(void);

/* sizeof(TYPE) for the public struct named TYPE_NAME ("aniso_profile_opts"),
 * or 0 for a name it does not know: bindings that mirror the structs (the
 * Python package's ctypes layouts) check their sizes against it. Knows
 * aniso_error, aniso_rope, aniso_hparams, aniso_config_opts,
 * aniso_open_opts, aniso_model_stats, aniso_ids, aniso_prompts, aniso_batch,
 * aniso_plan_opts, aniso_forward_opts, aniso_mask, aniso_progress,
 * aniso_collective, aniso_reference, aniso_linreg, aniso_layer_metrics,
 * aniso_profile_analysis, aniso_part_info, aniso_run_info,
 * aniso_profile_result, aniso_profile_opts and aniso_profile_run. */
size_t aniso_abi_sizeof(const char *type_name);

/* Removes every temporary file and private result folder that runs in
 * progress have made (a result set is written into DIR/.aniso-XXXXXX and
 * put in place only when complete), and makes any later attempt to write
 * one fail, so that the process can exit leaving nothing partial behind.
 * Meant for an interrupt: call it from a thread that waits for SIGINT and
 * SIGTERM (sigwait) and then exit; it is not async-signal-safe. A result
 * set being put in place is finished first. */
void aniso_temporaries_remove(void);

#ifdef __cplusplus
}
#endif
#endif
