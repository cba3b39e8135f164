/* figures.h - the report's figures (PLplot, cairo), each in one format
 * (ANISO_FIG_PNG, ANISO_FIG_PDF or ANISO_FIG_SVG). figures.c is the one file
 * that includes PLplot. Each figure is written to a temporary name, checked
 * to be complete and renamed into place; PLplot never opens the file. */
#ifndef ANISO_FIGURES_H
#define ANISO_FIGURES_H

#include "aniso/report.h"

/* "png", "pdf" or "svg". */
const char *figure_format_ext(unsigned format);

aniso_status figure_profile(const char *path, unsigned format, const char *title,
                            const aniso_profile_result *r, aniso_error *err);
aniso_status figure_spectrum(const char *path, unsigned format, const char *title,
                             const aniso_profile_result *r, aniso_error *err);
aniso_status figure_norms(const char *path, unsigned format, const char *title,
                          const aniso_profile_result *r, aniso_error *err);
/* One panel per registry metric outside the notebook's (analysis.h), with
 * the evidence's intervals, nulls and profile without first tokens. */
aniso_status figure_family(const char *path, unsigned format, const char *title,
                           const aniso_profile_result *r, aniso_error *err);
aniso_status figure_compare(const char *path, unsigned format, aniso_result_file *const *rs, int n,
                            aniso_error *err);

#endif
