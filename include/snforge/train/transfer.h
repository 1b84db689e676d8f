/* train/transfer.h: training on one set of encoded rows while selecting on another, for transfer learning:
 * fine-tuning a model file on another dataset (`snforge finetune`) and the two training stages of the
 * curriculum (curriculum.h). The rows (data.h snf_rows: x and y are read; their row width must be the
 * network's C_in x T) are already encoded with the model's normalisation and resident in memory (hydro sets
 * are tens of models; the semi-analytic share is bounded by the caller), served by data.h's batcher. The run is
 * the one training loop of `snforge train` (train/train_loop.c): per epoch a seeded shuffle of the training
 * rows (a function of (seed, epoch)), batches of B rows of which round(mix_share B) are drawn from a second
 * row set (semi-analytic rows against forgetting, Li & Hoiem 2017's rehearsal variant), Adam(W) steps with a
 * per-tensor learning-rate multiplier (0 freezes a tensor: parameters, Adam moments and weight decay
 * untouched) at the recipe's rate (fixed by default; or [train]'s plateau rule, cosine or one-cycle
 * schedules), optional gradient clipping and weight EMA, the validation loss (standardised MSE) and MAPE,
 * best weights on the validation loss, early stopping, an optional time budget (snf_train_options) and MPI
 * data parallelism, and a checkpoint (an ordinary model file, train.h) written atomically after every
 * epoch, from which a killed run resumes bitwise.
 * Frozen modules also keep their BatchNorm running statistics (restored after every training forward);
 * their BatchNorm layers still normalise training batches with the batch statistics (PyTorch's
 * train-mode semantics with requires_grad = False), so only their stored state is frozen.
 * It does not open dataset files, split hydro sets or parse configuration files. */
#ifndef SNFORGE_TRAIN_TRANSFER_H
#define SNFORGE_TRAIN_TRANSFER_H

#include "snforge/export.h"

#include <stdint.h>
#include <stdio.h>

#include "snforge/train/data.h"
#include "snforge/nn.h"
#include "snforge/train/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

/* The training recipe of fine-tuning and curriculum stages: [train]'s recipe keys (train_small.ini) under the
 * same names and ranges. A zeroed struct is today's fine-tuning: the rate fixed, no clipping, no EMA. */
enum { SNF_RECIPE_CONSTANT = 0, SNF_RECIPE_PLATEAU = 1, SNF_RECIPE_COSINE = 2, SNF_RECIPE_ONECYCLE = 3 };
typedef struct snf_recipe {
    int schedule;           /* SNF_RECIPE_*: constant (the lr throughout; a time budget ends the run by whole
                             * epochs), plateau ([train]'s default rule: factor 0.5, patience 10, min_lr 1e-5, on
                             * the epoch training loss), cosine or onecycle (by step over epochs x batches, or
                             * the steps that fit in a time budget) */
    float warmup;           /* step schedules' warm-up share of the steps (0.05) */
    float lr_end;           /* their final rate (1e-6) */
    float onecycle_div;     /* onecycle starts at lr / onecycle_div (25) */
    float clip_norm;        /* global gradient-norm clip (0: off) */
    float ema;              /* weight EMA decay used for validation, selection and the saved model (0: off) */
} snf_recipe;

/* schedule constant, warmup 0.05, lr_end 1e-6, onecycle_div 25, clip_norm 0, ema 0. */
SNF_API snf_recipe snf_recipe_default(void);
/* Sets key (schedule, warmup, lr_end, onecycle_div, clip_norm, ema) from its text: 1 when set, 0 when key is
 * not a recipe key, -1 for a bad value (why[n]: what was expected). */
SNF_API int snf_recipe_set(snf_recipe *r, const char *key, const char *value, char *why, size_t n);
/* 1 when r trains as a zeroed recipe does (schedule constant, no clipping, no EMA). */
SNF_API int snf_recipe_is_default(const snf_recipe *r);
/* The recipe as one line for a run's identity text ("" for a default recipe, so today's texts are kept);
 * snprintf's return. */
SNF_API int snf_recipe_text(const snf_recipe *r, char *buf, size_t n);

typedef struct snf_transfer_config {
    snf_net_config net;      /* C_in and T must match spec; max_B is set to batch */
    snf_data_spec spec;
    snf_norm norm;          /* stored in the output (the starting model's when init is given) */
    const snf_ckpt *init;   /* start from its best weights and BN statistics (NULL: Glorot init from seed) */
    int freeze;             /* the first `freeze` Inception modules (and the shortcuts inside them) frozen */
    uint64_t seed;          /* init (without `init`), shuffling, mixing, augmentation, dropout */
    int epochs, batch;
    snf_adam_config adam;   /* lr: the fixed rate, or the schedule's peak */
    snf_recipe recipe;      /* zeroed: the rate fixed, no clipping, no EMA */
    int es_patience;        /* early stopping on the validation loss (0: off) */
    float es_min_delta;
    double mix_share;       /* share of each batch drawn from `mix` (0: none), in [0, 0.9] */
    snf_augment aug;        /* applied to the training rows' batch part */
    snf_augment aug_mix;    /* applied to the mixed rows' batch part */
    const snf_obs_aug *obs; /* [observe] on the training rows' batch part, keyed by (seed, epoch, position of the
                             * row within `train`, not its file row) (data.h snf_data_observe; NULL or all off: rows
                             * as they are) */
    const char *text;       /* the run's identity, stored as config_text; a resume checks it is equal */
    const char *data_file;  /* provenance written to the model file (may be "") */
    const char *out_path;   /* the model file (checkpoint) */
    /* Optional (NULL: none): called after every epoch's training steps and validation (epoch counts from 0)
     * with the network holding that epoch's weights (the EMA's when the recipe has one) and `state`, the checkpoint about to be written (its
     * net, spec, norm and tensor layout are final; params / bn_stats / adam_m / adam_v are the network's;
     * epoch, es and hist are the previous write's). Returns < 0 to fail the run, 1 to end it (finished,
     * stop reason "selection"), 0 to go on. snf_transfer_run_folds selects per fold here. */
    int (*epoch_hook)(void *ctx, snf_net *net, const snf_ckpt *state, long epoch);
    void *hook_ctx;
} snf_transfer_config;

typedef struct snf_transfer_summary {
    long epochs_run, epoch, best_epoch;
    double best_val_loss;
    int resumed, already_finished, stopped, finished;
    snf_metrics val;        /* of the best weights on the validation rows */
    int frozen_tensors;
    char stop_reason[64];
} snf_transfer_summary;

/* ---- freezing ---- */

/* Sets net->lr_mult to 0 for the tensors of Inception modules 0..k-1 and of the shortcuts whose three
 * modules are all among them (1 elsewhere), and returns the number of frozen tensors. Fills
 * stats_lo/stats_hi (may be NULL) with the [lo, hi) float ranges of net->bn_stats belonging to the frozen
 * BatchNorm layers, *nranges their count (at most 2 * (SNF_NET_MAX_DEPTH + SNF_NET_MAX_RES)).
 * SNF_EINVAL for k < 0, k > depth, or k > 0 with arch = LITE (its modules are not Inception modules). */
SNF_API int snf_transfer_freeze(snf_net *net, int k, size_t *stats_lo, size_t *stats_hi, int *nranges);

/* ---- run ---- */

/* The settings of a run checked as snf_transfer_run checks them before it begins (rows, mix share, batch and
 * epochs, the recipe, freeze k against cfg->net, lr_end against the peak rate), so a caller can refuse them before
 * it says anything else: SNF_OK or SNF_EINVAL with the message. */
SNF_API int snf_transfer_check(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                               const snf_rows *val);

/* Trains cfg on `train` (+ `mix`), selecting on `val` (n = 0: on the training loss), into
 * cfg->out_path, resuming it when it holds an unfinished run of the same cfg->text (SNF_EINVAL if it
 * holds another text; already_finished if done). opt->stop_after, log and quiet as in train.h.
 * SNF_EINVAL for bad settings (empty training rows, mix_share out of range or without mix rows, rows whose
 * width is not the network's input). */
SNF_API int snf_transfer_run(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                     const snf_rows *val, const snf_train_options *opt, snf_transfer_summary *sum);

/* One training run selected k ways: the curriculum's stage 1, whose training rows are the same for every
 * fold and whose selection is per fold. Trains cfg on `train` (no validation rows of its own, cfg->
 * es_patience and es_min_delta applied per fold instead) into dir/run.h5 (config_text cfg->text) and, after
 * every epoch, scores val[f] (f < k) with the epoch's weights (eval mode, as snf_transfer_run scores its
 * validation rows): fold f keeps the epoch of its lowest validation loss and stops on its own patience,
 * exactly as a separate snf_transfer_run with val = val[f] and the same seed would, since the training
 * never depends on validation rows (test_curriculum compares the two bitwise). The run ends when every
 * fold has stopped, or after cfg->epochs. Each fold's best-so-far weights are kept as dir/epochNNN.h5 and
 * the validation losses in dir/losses.csv (epoch,fold,val_loss,val MAPE x 4, 1-based); at the end fold
 * f's model file out[f] is written (finished, config_text text[f], best = current = its selected epoch's
 * weights, its history) and the epoch files are removed. A killed run resumes from dir (run.h5 bitwise,
 * the folds' early-stopping states replayed from losses.csv); an existing out[f] holding text[f] is kept.
 * sums[f] as snf_transfer_run's for fold f's own run. opt->stop_after counts epochs of the shared run
 * (*stopped = 1 then). SNF_EINVAL for bad settings, out[f] or dir holding another run, or dir's files out
 * of step ("remove dir"); SNF_EIO / SNF_EHDF5 / SNF_EFORMAT from files. Source: transfer_folds.c. */
SNF_API int snf_transfer_run_folds(const snf_transfer_config *cfg, const snf_rows *train, int k, const snf_rows *val,
                           const char *const *text, const char *const *out, const char *dir,
                           const snf_train_options *opt, snf_transfer_summary *sums, int *stopped);

/* Loss (standardised MSE, as the training loss) and metrics (train.h) of the network's current weights in
 * eval mode on encoded rows (rows->n = 0: loss NaN, m zero). SNF_ENOMEM, or the forward's status. */
SNF_API int snf_transfer_eval(snf_net *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m);

/* Metrics (train.h) of the best weights of a model file's checkpoint on encoded rows; pred[n][4] (may be
 * NULL) receives the physical predictions. */
SNF_API int snf_transfer_score(const snf_ckpt *ck, const snf_rows *rows, snf_metrics *m, double *pred);

#ifdef __cplusplus
}
#endif

#endif
