/* report_int.h - internals shared by the report's sources. */
#ifndef ANISO_REPORT_INT_H
#define ANISO_REPORT_INT_H

#include "aniso/report.h"
#include "io/json.h"

/* One layer's metrics as the JSON report writes them: "layer", every
 * metric of the registry (null when not measured), "eigenvalues". */
aj *report_layer_object(const aniso_layer_metrics *m, int layer);

/* Adds r's evidence (intervals, shape test, the profile without first
 * tokens, nulls) to the report object o; nothing without evidence. Nonzero
 * when out of memory. */
int report_evidence_json(aj *o, const aniso_profile_result *r);

#endif
