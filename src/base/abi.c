/* abi.c - the sizes of the public structs, for bindings that mirror them
 * (the Python package checks its ctypes layouts against these at import). */
#include <string.h>

#include "aniso/aniso.h"

#define ANISO_ABI_LIST(X)                                                                          \
    X(aniso_error)                                                                                 \
    X(aniso_rope)                                                                                  \
    X(aniso_hparams)                                                                               \
    X(aniso_config_opts)                                                                           \
    X(aniso_open_opts)                                                                             \
    X(aniso_model_stats)                                                                           \
    X(aniso_ids)                                                                                   \
    X(aniso_prompts)                                                                               \
    X(aniso_batch)                                                                                 \
    X(aniso_plan_opts)                                                                             \
    X(aniso_forward_opts)                                                                          \
    X(aniso_mask)                                                                                  \
    X(aniso_progress)                                                                              \
    X(aniso_collective)                                                                            \
    X(aniso_reference)                                                                             \
    X(aniso_linreg)                                                                                \
    X(aniso_layer_metrics)                                                                         \
    X(aniso_metric_info)                                                                           \
    X(aniso_profile_analysis)                                                                      \
    X(aniso_part_info)                                                                             \
    X(aniso_run_info)                                                                              \
    X(aniso_profile_result)                                                                        \
    X(aniso_profile_opts)                                                                          \
    X(aniso_profile_run)

size_t aniso_abi_sizeof(const char *type_name)
{
    if (!type_name) return 0;
#define ANISO_X_(t)                                                                                \
    if (!strcmp(type_name, #t)) return sizeof(t);
    ANISO_ABI_LIST(ANISO_X_)
#undef ANISO_X_
    return 0;
}
