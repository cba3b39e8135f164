/* figures.h - the report's PNG figures (PLplot, cairo). figures.c is the one
 * file that includes PLplot. Each figure is written to a temporary name and
 * renamed into place. */
#ifndef ANISO_FIGURES_H
#define ANISO_FIGURES_H

#include "aniso/report.h"

aniso_status figure_profile(const char *path, const char *title, const aniso_profile_result *r,
                            aniso_error *err);
aniso_status figure_spectrum(const char *path, const char *title, const aniso_profile_result *r,
                             aniso_error *err);
aniso_status figure_norms(const char *path, const char *title, const aniso_profile_result *r,
                          aniso_error *err);
aniso_status figure_compare(const char *path, aniso_result_file *const *rs, int n,
                            aniso_error *err);

#endif
