/* aniso.h - the public API of libaniso, in one include. */
#ifndef ANISO_ANISO_H
#define ANISO_ANISO_H

#include "aniso/error.h"
#include "aniso/safetensors.h"
#include "aniso/gguf.h"
#include "aniso/hf.h"
#include "aniso/model.h"
#include "aniso/tokenizer.h"
#include "aniso/forward.h"
#include "aniso/npy.h"
#include "aniso/prompts.h"
#include "aniso/corpus.h"
#include "aniso/analysis.h"
#include "aniso/moments.h"
#include "aniso/report.h"
#include "aniso/pipeline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "0.1.0" */
const char *aniso_version(void);

#ifdef __cplusplus
}
#endif
#endif
