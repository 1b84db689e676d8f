/* internal.h: what the hydro readers of grids/hydro/ share (not installed): a series read from a numeric
 * table, allocated and finished alike by the SNEC and STELLA readers (import_snec.c, import_stella.c);
 * implemented in hydro_table.c. */
#ifndef SNFORGE_GRIDS_HYDRO_INTERNAL_H
#define SNFORGE_GRIDS_HYDRO_INTERNAL_H

#include "snforge/grids.h"

/* Room for n samples in s (s->n = n; times and values not yet set). SNF_ENOMEM "PATH: out of memory", with s
 * and t freed. */
int snf_hydro_series_alloc(snf_hydro_series *s, snf_hydro_table *t, int n, const char *path);

/* The end of a reader that filled s from table t with status rc: t's line numbers move to *lines (the caller
 * frees them) and t is freed; if rc >= 0 the series is checked (snf_hydro_series_check, "data"). On failure s
 * and *lines are freed (*lines = NULL). Returns rc or the check's failure. */
int snf_hydro_series_take(snf_hydro_series *s, int **lines, snf_hydro_table *t, const char *path, int rc);

#endif
