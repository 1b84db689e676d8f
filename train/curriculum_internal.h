/* curriculum_internal.h: what curriculum.c and curriculum_report.c share (not installed). */
#ifndef SNFORGE_CURRICULUM_INTERNAL_H
#define SNFORGE_CURRICULUM_INTERNAL_H

#include "snforge/train.h"

/* *tc zeroed, then the network of c for variant v's input (C_in, T, four outputs), v's data spec, the
 * normalisation norm, the seed and Adam's defaults: the part of a transfer config both stages share. */
void snf_curr_transfer_base(snf_transfer_config *tc, const snf_curr_config *c, const snf_curr_variant *v,
                            const snf_norm *norm, uint64_t seed);
/* The identity of variant v's stage (1 or 2) of fold `fold` (0-based) with its rows f: every setting the
 * stage's model file depends on, stored as its config_text (malloc'd; NULL: out of memory). */
char *snf_curr_stage_text(const snf_curr_config *c, const snf_curr_variant *v, const snf_fold *f, int fold,
                          int stage);
/* [observe] of a variant (curriculum.h): its line in stage `stage`'s identity text ("" when off, so the texts
 * without [observe] are today's; snprintf's return); the seed of the scored rows' draws; those draws, in
 * place on r's encoded rows (one per row keyed by (seed, r->ids[i]); nothing when off); the stage's training
 * draws for snf_transfer_config.obs (NULL: off). */
int snf_curr_observe_text(const snf_curr_config *c, const snf_curr_variant *v, int stage, char *buf, size_t n);
uint64_t snf_curr_observe_seed(const snf_curr_config *c);
int snf_curr_observe_rows(const snf_curr_config *c, const snf_curr_variant *v, const snf_norm *norm, snf_rows *r);
const snf_obs_aug *snf_curr_stage_obs(const snf_curr_variant *v, int stage);
/* Stage 1 of variant vi for every fold: one training run on the semi-analytic rows sa_tr, selected per
 * fold on its hydro validation models (snf_transfer_run_folds; hydro: the scored rows, drawn once under
 * [observe]), into vdir/stage1/ and vdir/fold<k>/stage1.h5;
 * copied from an earlier variant with the same stage-1 input (its fold texts equal). */
int snf_curr_stage1(const snf_curr_config *c, int vi, const snf_curr_options *opt, const snf_norm *norm,
                    const snf_rows *sa_tr, const snf_rows *hydro, const char *vdir);
/* The same, sealed (fileio.h snf_atomic_write_sealed): for the fold files a later run reads back. */
int snf_curr_write_sealed(const char *path, const char *text);
/* Reads every fold's scores, scores the external test set (opt->test_file) with each variant's fold
 * models, and writes results.csv and results.md. */
int snf_curr_report(const snf_curr_config *c, const snf_curr_options *opt);

#endif
