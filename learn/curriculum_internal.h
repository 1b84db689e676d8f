/* curriculum_internal.h: what curriculum.c and curriculum_report.c share (not installed). */
#ifndef SNFORGE_CURRICULUM_INTERNAL_H
#define SNFORGE_CURRICULUM_INTERNAL_H

#include "snforge/curriculum.h"

/* 1 if path exists. */
int snf_curr_exists(const char *path);
/* Writes text to path.tmp, fsyncs it and renames it over path (SNF_EIO). */
int snf_curr_write_atomic(const char *path, const char *text);
/* A variant's semi-analytic training and held-out rows, and the normalisation fitted on the former. */
int snf_curr_sa_rows(const snf_curr_config *c, const snf_curr_variant *v, snf_norm *norm, snf_rowset *tr,
                     snf_rowset *te);
/* Reads every fold's scores, scores the external test set (opt->test_file) with each variant's fold
 * models, and writes results.csv and results.md. */
int snf_curr_report(const snf_curr_config *c, const snf_curr_options *opt);

#endif
