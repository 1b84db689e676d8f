/* train/curriculum.h: curriculum transfer from semi-analytic to hydrodynamical light curves (Grassia, Mangioni,
 * Cosentino & Pumo 2024, iterations 2 and 3), k-fold cross-validated over the hydro models.
 * Stage 1 trains on semi-analytic rows and selects the epoch by the loss on the fold's hydro validation
 * models: as it reads no hydro rows, it is one training run per variant for all folds (seed = the config's),
 * each fold keeping its own best epoch and early stopping on its own patience, the run ending when every
 * fold has stopped (transfer.h snf_transfer_run_folds; a variant with an earlier one's stage-1 input
 * copies its models); stage 2 fine-tunes that model (transfer.h) on the fold's hydro training models (with a share of
 * semi-analytic rows mixed in), selecting on the same validation models; stage 3 scores the fold's hydro
 * test models, which never touched training or selection. Hydro models are dealt to k folds after a
 * seeded shuffle (position i -> fold i mod k); fold f tests on fold f, validates on fold f+1 (mod k) and
 * trains on the rest, so every hydro model is tested exactly once. Each ablation is the whole experiment
 * again with some settings changed. Every stage is a resumable model file; a fold's scores, once written,
 * are not recomputed. An external test file is read only after every fold of every variant is done.
 * Config format: validation/curriculum.ini (every key documented). */
#ifndef SNFORGE_TRAIN_CURRICULUM_H
#define SNFORGE_TRAIN_CURRICULUM_H

#include "snforge/export.h"

#include <stdio.h>

#include "snforge/train/data.h"
#include "snforge/nn.h"
#include "snforge/train/transfer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_CURR_MAX_VARIANTS 16 /* the base experiment + ablations */
#define SNF_CURR_MAX_FOLDS 64

typedef struct snf_curr_stage {
    int epochs, batch, patience;
    double lr, weight_decay;
    int freeze;             /* stage 2: frozen Inception modules */
    double mix_share;       /* stage 2: semi-analytic share of each batch */
    snf_recipe recipe;      /* [train]'s recipe keys (schedule, warmup, lr_end, onecycle_div, clip_norm, ema;
                             * transfer.h): the rate fixed, no clipping or EMA by default */
    int observe;            /* 1: the stage's training rows are drawn as observations ([observe]; `observe =
                             * yes/no` of [stage1]/[stage2], yes by default); without [observe] no effect */
} snf_curr_stage;

/* One variant of the experiment (the base, or an ablation). */
typedef struct snf_curr_variant {
    char name[64];          /* "base" or the ablation's name (its row in the table) */
    int line;               /* its section's line in the config (0: base) */
    char sa_file[1024];     /* semi-analytic campaign file (resolved against the config's folder) */
    snf_data_spec spec;
    snf_augment aug;        /* on the semi-analytic rows of stage 1 */
    snf_curr_stage s1, s2;
    snf_obs_aug obs;        /* [observe] (train's keys, data.h; all off without the section). When on: the
                             * training rows of the stages with observe = yes are re-drawn as observations every
                             * epoch (snf_data_observe keyed by (stage seed, epoch, row); the semi-analytic rows
                             * mixed into stage 2 stay complete), and every scored row -- hydro validation
                             * (selection), the folds' test rows (tested.csv, the out-of-fold calibration of
                             * --final), the held-out semi-analytic rows, the external test set -- is one
                             * deterministic draw keyed by (seed, file row) (snf_curr_observe_rows) */
} snf_curr_variant;

typedef struct snf_curr_config {
    char path[1024];
    char *text;
    char hydro_file[1024];
    long sa_max_rows;       /* semi-analytic rows used (the first usable ones after a seeded shuffle) */
    double sa_test;         /* held-out semi-analytic fraction for the sa_sa row */
    int folds;
    uint64_t split_seed, seed;
    snf_net_config net;      /* C_in and T follow from each variant's spec */
    int nvariants;          /* variants[0] is the base */
    snf_curr_variant variants[SNF_CURR_MAX_VARIANTS];
} snf_curr_config;

/* The hydro models of fold f: test, validation and training positions (file rows). */
typedef struct snf_fold {
    long *test, *val, *train;
    long n_test, n_val, n_train;
} snf_fold;

/* ---- config ---- */

/* Parses a curriculum config (SNF_EIO unreadable; SNF_EFORMAT "path:line: [section] key: what"). */
SNF_API int snf_curr_config_load(snf_curr_config *c, const char *path);
SNF_API int snf_curr_config_parse(snf_curr_config *c, const char *text, const char *name);
SNF_API void snf_curr_config_free(snf_curr_config *c);

/* ---- hydro rows and folds (the rows themselves: data.h snf_rows) ---- */

/* SNF_EINVAL unless hydro (the rows loaded from path, with their file rows: data.h snf_rows_load) are hydro
 * runs: the file's source attribute is "hydro:<code>" (written by snforge import), and no row's encoded input
 * equals one of sa's (sa may be NULL: only the attribute is checked) -- a semi-analytic campaign relabelled is
 * refused by its content too. The message names the file, the row and what was expected. */
SNF_API int snf_curr_hydro_check(const char *path, const snf_rows *hydro, const snf_rows *sa, const char *sa_path);

/* Deals the n usable hydro rows ids[n] to k folds (seeded shuffle, position i -> fold i mod k) and
 * fills fold f's test / val / train lists (file rows, ascending). SNF_EINVAL for k < 3 or n < k. */
SNF_API int snf_fold_make(snf_fold *f, const long *ids, long n, int k, uint64_t seed, int fold);
/* SNF_EINVAL (naming the row) unless test, validation and training rows of f are pairwise disjoint. */
SNF_API int snf_fold_check_disjoint(const snf_fold *f);
SNF_API void snf_fold_free(snf_fold *f);

/* ---- run ---- */

typedef struct snf_curr_options {
    const char *out_dir;
    const char *test_file;  /* external hydro test set (NULL: none), read only after every fold is done */
    int threads;
    long stop_after_folds;  /* testing: return after this many newly finished folds (0: never) */
    FILE *log;
} snf_curr_options;

/* Runs (or resumes) the whole experiment into out_dir: per variant the shared stage-1 run (stage1/run.h5
 * and losses.csv: every fold's validation loss per epoch), per variant and fold stage1.h5, stage2.h5,
 * scores.csv and tested.csv (the fold's test rows); then results.csv (header row,split,energy,mass,
 * radius,nickel: MAPE in percent; split = fold number, mean, std (sample, n-1), or external) and
 * results.md. Returns SNF_OK, SNF_EINVAL (bad data: too few hydro models, overlapping external models),
 * or the failing step's status. *stopped = 1 if stop_after_folds ended it early. */
SNF_API int snf_curr_run(const snf_curr_config *c, const snf_curr_options *opt, int *stopped);

/* ---- the deployable model (curriculum_final.c; the /uq group: infer/uq_final.c) ---- */

/* The out-of-fold predictions of the base variant's stage-2 fold models: row i is hydro model ids[i],
 * predicted by fold fold[i] (0-based) that tested it; truth and pred [n][4] physical. */
typedef struct snf_curr_oof {
    long n;
    long *ids;
    int *fold;
    double *truth, *pred;
} snf_curr_oof;

/* Reads vdir/fold<k>/tested.csv of every fold and checks the bookkeeping against the deal of the n usable
 * hydro rows ids (snf_fold_make): every row is a test model of its fold (never one of its training or
 * validation models), no model is predicted twice, every model is predicted. SNF_EINVAL naming the file,
 * line and row otherwise; SNF_EFORMAT for a malformed file. */
SNF_API int snf_curr_oof_collect(snf_curr_oof *o, const snf_curr_config *c, const char *vdir, const long *ids,
                                 long n);
SNF_API void snf_curr_oof_free(snf_curr_oof *o);

typedef struct snf_uq_final_info {
    int members;
    int epochs1, epochs2; /* the folds' median kept epoch counts of stage 1 and stage 2 */
} snf_uq_final_info;

/* Trains (or resumes) the final members of the base variant into dir/member<k>.h5 (k = 1..members; stage 1
 * in dir/member<k>_stage1.h5): stage 1 on the semi-analytic training rows for the median over folds of
 * stage 1's kept epoch count, stage 2 on every hydro model for stage 2's, seeds seed + 7919 (k - 1), with
 * no selection rows (each keeps its lowest training loss). Needs the finished experiment in opt->out_dir. */
SNF_API int snf_curr_final_train(const snf_curr_config *c, const snf_curr_options *opt, int members, const char *dir,
                                 snf_uq_final_info *info);

/* ---- pieces the curriculum's deployable model (infer.h snf_uq_final) shares ---- */

/* 1 if path exists. */
SNF_API int snf_curr_exists(const char *path);
/* Writes text to path.tmp, fsyncs it and renames it over path (SNF_EIO). */
SNF_API int snf_curr_write_atomic(const char *path, const char *text);
/* A variant's semi-analytic training and held-out rows, and the normalisation fitted on the former. */
SNF_API int snf_curr_sa_rows(const snf_curr_config *c, const snf_curr_variant *v, snf_norm *norm, snf_rows *tr,
                             snf_rows *te);
/* [observe] of variant v: the scored rows' draws, in place on r's encoded rows (one per row keyed by the
 * experiment's seed and r->ids[i], the same for every caller: the folds' test rows, the held-out rows, the
 * OOD fit of the deployable model; nothing when [observe] is off), and the draws of stage `stage`'s training
 * rows (NULL: that stage trains on complete curves). */
SNF_API int snf_curr_observe_rows(const snf_curr_config *c, const snf_curr_variant *v, const snf_norm *norm,
                                  snf_rows *r);
SNF_API const snf_obs_aug *snf_curr_stage_obs(const snf_curr_variant *v, int stage);

#ifdef __cplusplus
}
#endif

#endif
