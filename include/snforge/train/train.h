/* train/train.h: training an InceptionTime regressor (net.h) on a dataset file (data.h), and using it.
 * A training config (INI, parsed with libinih; errors name file:line and [section] key), the training
 * loop (Adam, reduce-LR-on-plateau on the epoch training loss, early stopping on the validation loss with
 * best-weights restore, a per-epoch history), checkpoints in HDF5 written atomically every epoch from
 * which a killed run resumes bitwise, the per-parameter metrics (MAPE, median APE, R^2) and inference.
 * The model file IS the last checkpoint. It does not compute light curves or define the network. */
#ifndef SNFORGE_TRAIN_TRAIN_H
#define SNFORGE_TRAIN_TRAIN_H

#include "snforge/export.h"

#include <stdint.h>
#include <stdio.h>

#include "snforge/train/data.h"
#include "snforge/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_MODEL_MAGIC "snforge-model"
/* The model file's format: the one place its version is set. 2: every string fixed-length UTF-8 (/tensors,
 * /norm input_channels were variable-length in 1) and /uq written through the field table (its datasets
 * chunked with fletcher32), with the same fields and values as 1. Readers take every version from
 * SNF_MODEL_FORMAT_OLDEST to SNF_MODEL_FORMAT_VERSION; tests/data/model holds a released file of each older
 * version (test_model_compat reads it): add one there whenever this number goes up. */
#define SNF_MODEL_FORMAT_VERSION 2
#define SNF_MODEL_FORMAT_OLDEST 1

enum { SNF_SPLIT_RANDOM = 0, SNF_SPLIT_ORDERED = 1 };

/* [uncertainty] (uq.h): how many networks, how many dropout passes, calibration and the OOD score. */
#define SNF_UQ_MAX_MEMBERS 64
#define SNF_UQ_NEAR_MAX_ROWS 4096L /* most nearest-curve rows /uq/near_lbol holds (uq.h) */
typedef struct snf_uq_config {
    int ensemble;        /* deep-ensemble members, each trained from its own seed (1) */
    int jobs;            /* members trained at once, one process each, threads split between them (1) */
    int mc_samples;      /* Monte Carlo dropout passes per member at inference (1: off; needs dropout > 0) */
    int calibrate;       /* 1: fit a per-parameter variance scale on the validation rows (0) */
    float ood_shrinkage; /* covariance shrinkage towards (tr S / d) I for the Mahalanobis score (0.1) */
    float ood_alpha;     /* the OOD flag is raised below this p-value (0.01) */
} snf_uq_config;

SNF_API snf_uq_config snf_train_uq_default(void);

typedef struct snf_train_config {
    char path[1024];        /* the config file (for messages) */
    char *text;             /* its text verbatim (stored in the model; compared on resume) */
    /* [data] */
    char data_file[1024];   /* resolved against the config file's folder when relative */
    snf_data_spec spec;
    int t_start_line, t_end_line; /* the config lines of [data] t_start and t_end (0: not given) */
    int split;              /* SNF_SPLIT_RANDOM (by split_seed) or SNF_SPLIT_ORDERED (file order) */
    double val_frac, test_frac;
    uint64_t split_seed;
    long max_rows;          /* rows encoded in memory at a time (0 = all) */
    long block_rows;        /* rows per HDF5 read */
    /* [train] */
    uint64_t seed;          /* weights, shuffling, dropout, augmentation */
    int epochs, batch;
    snf_adam_config adam;   /* lr, betas, eps, weight_decay (AdamW, decoupled) */
    snf_lr_schedule sched;  /* kind, warmup, lr_end, div (lr and total are set by the trainer) */
    float clip_norm;        /* global gradient-norm clip (0: off) */
    float ema;              /* decay of the weight EMA used for validation and the saved model (0: off) */
    snf_plateau plateau;    /* on the epoch training loss (schedule = plateau only) */
    int es_patience;        /* early stopping on the validation loss (0 = off) */
    float es_min_delta;
    /* [model] (C_in, T, max_B and n_out follow from the rest) */
    snf_net_config net;
    /* [uncertainty] */
    snf_uq_config uq;
    /* [augment] */
    snf_augment aug;
    /* [observe]: training rows drawn as real observations (data.h; all off by default) */
    snf_obs_aug obs;
    /* [output] */
    char model_path[1024];  /* resolved like data_file; -o overrides */
} snf_train_config;

/* One epoch of the history. */
typedef struct snf_epoch_record {
    double epoch;           /* 0-based */
    double train_loss, val_loss, lr;
    double val_mape[SNF_DATA_NP];
    double wall_s;          /* cumulative training wall time */
} snf_epoch_record;
#define SNF_EPOCH_RECORD_COLS 9

/* Per-parameter metrics. MAPE and median APE in percent of the linear parameter; R^2 of log10. */
typedef struct snf_metrics {
    long n;
    double mape[SNF_DATA_NP], mdape[SNF_DATA_NP], r2[SNF_DATA_NP];
} snf_metrics;

/* Everything a checkpoint / model file holds. Arrays are owned when read by snf_ckpt_read (freed by
 * snf_ckpt_free); the trainer writes views of its own buffers. */
typedef struct snf_ckpt {
    snf_net_config net;
    snf_data_spec spec;
    snf_norm norm;
    int ntensors;
    size_t sizes[SNF_NET_MAX_TENSORS];
    float lr_mult[SNF_NET_MAX_TENSORS];
    size_t nparams, nstats;
    float *params, *adam_m, *adam_v, *bn_stats; /* current state */
    float *best_params, *best_stats;             /* weights of the best validation loss (used to predict) */
    float *ema_params, *ema_stats;               /* the weight EMA and its BN statistics (NULL: no EMA) */
    long sched_total;       /* optimiser steps of the learning-rate schedule (0: plateau) */
    long adam_t;
    uint64_t step;          /* training forwards (dropout mask index) */
    uint64_t seed;
    long epoch;             /* epochs completed: the next one to run */
    float lr;
    snf_plateau plateau;
    snf_earlystop es;
    int finished;           /* 1: training ended, current = best */
    char stop_reason[64];   /* "epochs", "early stopping", "" */
    long n_hist;
    snf_epoch_record *hist;
    long n_train, n_val, n_test;
    snf_metrics test;       /* on the test rows with the best weights, when finished (n = 0: none) */
    snf_metrics test_baseline; /* predict-the-training-mean on the same rows */
    char *config_text;
    char data_file[1024], data_source[256], data_created[64];
    char fingerprint[256];  /* "data=<digest of what the data file holds>; version=<program>" (snf_fingerprint_check):
                             * a resume is refused when either changed; empty in files before it existed */
    int threads;
    /* The /uq group as stored (uq.h's snf_uq_model is what inference works with; uq_model.c converts):
     * written by snf_ckpt_write when has_uq, read by snf_ckpt_read_uq (snf_ckpt_read leaves it out, so that
     * a checkpoint copied from a model never carries an ensemble that its weights no longer match). Counts
     * and flags are doubles, as format 1 stored them. Arrays owned when read, freed by snf_ckpt_free. */
    int has_uq;
    struct snf_ckpt_uq {
        double members, mc_samples, calibrated, has_ranges, has_ood, ood_alpha, complete;
        float *member_params, *member_stats;      /* [members][nparams], [members][nstats] */
        double var_scale[SNF_DATA_NP], var_add[SNF_DATA_NP]; /* var_add written when not all 0 */
        double range_lo[SNF_DATA_NP], range_hi[SNF_DATA_NP];
        char calib_source[256];                  /* attribute calibration_source, written when set */
        long ood_D, ood_n_ref;                   /* with has_ood: */
        double *ood_mean, *ood_chol, *ood_ref_d2; /* [D], [D][D], [n_ref] */
        long near_n;                             /* with has_ood, optional: near_lbol [near_n][L] */
        float *near_lbol;
    } uq;
} snf_ckpt;

typedef struct snf_train_options {
    int threads;            /* recorded (snf_threads_setup is the caller's) */
    long stop_after;        /* testing: return after this many epochs of this call, as if killed (0: never) */
    double max_wall_s;      /* time budget of this call in seconds (0: none): after an epoch, when one more
                             * epoch as long as the last would pass it, training ends as finished ("time
                             * budget"): best weights restored, test rows scored, nothing left to resume */
    int budget_cpu;         /* 0: max_wall_s is wall-clock seconds; 1: it is counted on the process's CPU
                             * clock divided by threads (CLOCK_PROCESS_CPUTIME_ID / threads, POSIX): seconds
                             * on `threads` dedicated cores, so a benchmark on a shared machine gets the work
                             * a dedicated one does in the budget (it then takes longer on the wall clock;
                             * the threads' sleeping waits cost nothing, OpenBLAS spinning counts against it) */
    FILE *progress;         /* progress line (NULL: none) */
    int quiet;              /* no per-epoch line on the log */
    FILE *log;              /* per-epoch lines (NULL: none) */
} snf_train_options;

typedef struct snf_train_summary {
    long epochs_run;        /* by this call */
    long epoch;             /* epochs completed in total */
    long best_epoch;
    double best_val_loss;
    int resumed, already_finished, stopped, finished;
    char stop_reason[64];
    long n_train, n_val, n_test, n_skipped;
    snf_metrics val, val_baseline, test, test_baseline;
    double wall_s;
    long rows_observed;     /* training rows drawn as observations ([observe]) by this call (0: switches off) */
} snf_train_summary;

/* ---- config ---- */

/* Defaults of every key except data.file (required): both channels + masks, L 128 over days 1-300,
 * random split 0.1/0.1 with seed 1, all rows in memory, blocks of 1024; seed 1, 100 epochs, batch 64,
 * Adam 1e-3 (Keras), no weight decay, clipping or EMA, schedule plateau (factor 0.5 patience 10
 * min_lr 1e-5; step schedules: warmup 0.05, lr_end 1e-6, onecycle_div 25), early stopping patience 20; the
 * reference network (net.h); no augmentation; model.h5. */
SNF_API void snf_train_config_default(snf_train_config *c);
/* Parses the file (SNF_EIO if unreadable, SNF_EFORMAT "path:line: [section] key: what was expected"). */
SNF_API int snf_train_config_load(snf_train_config *c, const char *path);
SNF_API int snf_train_config_parse(snf_train_config *c, const char *text, const char *name);
SNF_API void snf_train_config_free(snf_train_config *c);

/* Splits the usable rows[n] (snf_data_usable_rows) as training does: *te, *va, *tr point into rows
 * (reordered), each part sorted. Deterministic in (split, split_seed, val_frac, test_frac, n). */
SNF_API void snf_train_split_rows(const snf_train_config *cfg, long *rows, long n, long *n_train, long *n_val,
                          long *n_test, long **tr, long **va, long **te);

/* ---- metrics ---- */

/* From true and predicted physical parameters [n][4]. SNF_ENOMEM or SNF_OK. */
SNF_API int snf_metrics_compute(snf_metrics *m, const double *truth, const double *pred, long n);
/* The predict-the-training-mean baseline: the metrics of the decoded standardised 0 (the training mean of
 * log10 of each parameter, norm's y_mean) against truth[n][4]. SNF_ENOMEM. */
SNF_API int snf_metrics_baseline(snf_metrics *base, const double *truth, long n, const snf_norm *norm);

/* ---- checkpoints ---- */

/* Writes c to path.tmp, closes it, renames it over path. SNF_EHDF5 / SNF_EIO. */
SNF_API int snf_ckpt_write(const char *path, const snf_ckpt *c);
/* Reads a model file's checkpoint (everything but /uq: has_uq 0). SNF_EFORMAT if it is not one (magic, version,
 * shapes). */
SNF_API int snf_ckpt_read(snf_ckpt *c, const char *path);
/* The same with its /uq group when it has one (has_uq 1; the group's counts, shapes and values checked). */
SNF_API int snf_ckpt_read_uq(snf_ckpt *c, const char *path);
SNF_API void snf_ckpt_free(snf_ckpt *c);

/* A network for inference from a checkpoint: the best weights and their BN statistics, laid out for
 * batches of max_B. */
SNF_API int snf_ckpt_net(const snf_ckpt *c, int max_B, snf_net **net);

/* Predicts physical parameters pred[n][4] for encoded inputs x[n][C_in*L] (eval mode, batches of
 * net->cfg.max_B). */
SNF_API int snf_train_predict(snf_net *net, const snf_norm *norm, const float *x, long n, double *pred);

/* ---- training ---- */

SNF_API snf_train_options snf_train_options_default(void);

/* Trains cfg into cfg->model_path, resuming from it when it holds an unfinished run of the same config
 * text (SNF_EINVAL if it holds another config; already_finished if it is done: nothing is rewritten).
 * A checkpoint is written (atomically) after every epoch. SNF_OK when training finished or stop_after
 * was reached (sum->stopped). */
SNF_API int snf_train_run(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum);

/* ---- a run's fingerprint and summary (the ensemble builder of infer.h resumes members with them) ---- */

/* A training run's fingerprint, "data=<snf_dataset_digest>; version=<program>", and its check against a model
 * file found at path: an unfinished one must match whole (else SNF_EINVAL naming what changed; a file from
 * before fingerprints existed has none and is refused too), a finished one only in its data. */
SNF_API int snf_train_fingerprint(const char *data_file, char *fp, size_t n);
SNF_API int snf_train_check_fingerprint(const char *path, const snf_ckpt *old, const char *now);
/* The summary of a finished model file, as snf_train_run reports it (the other fields untouched). */
SNF_API void snf_train_summary_finished(snf_train_summary *sum, const snf_ckpt *ck);

#ifdef __cplusplus
}
#endif

#endif
