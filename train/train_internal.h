/* train_internal.h: the one training loop (snf_loop_run, train_loop.c; not installed) that snf_train_run
 * (train.c) and snf_transfer_run (transfer.c) call, and the pieces of a run it and the ensemble driver
 * snf_uq_train (uq_train.c) share. An existing
 * model file is probed and checked alike, a resumed run takes the same state back, the checkpoint views
 * the same slabs, and the end of an epoch keeps the best weights and writes its history record alike.
 * Implemented in train_state.c and train_score.c. */
#ifndef SNFORGE_LEARN_TRAIN_INTERNAL_H
#define SNFORGE_LEARN_TRAIN_INTERNAL_H

#include <stdint.h>

#include "snforge/train.h"

/* [observe] of a config (train_config.c; the training and the curriculum config share it): one key's value
 * into *a (snf_ini's number parsers; 1, or 0 with the failure recorded at ini->line), and the section as a
 * whole against the model grid sp (a failure recorded at line; grid names where t_end is set, "[data]"). */
struct snf_ini;
int snf_observe_key(struct snf_ini *ini, snf_obs_aug *a, const char *s, const char *k, const char *v);
void snf_observe_check(struct snf_ini *ini, const snf_obs_aug *a, const snf_data_spec *sp, int line,
                       const char *grid);

/* An existing model file at path: *have_old = 0 when there is none; else it is read into *old (the caller
 * frees it with snf_ckpt_free) and its config text must equal text (NULL reads as ""). Errors (SNF_EINVAL):
 * "PATH exists and is not a readable snforge model (REASON); ADVICE" and "PATH OTHER". */
/* (snf_train_fingerprint, snf_train_check_fingerprint and snf_train_summary_finished: train.h.) */
int snf_train_probe_old(snf_ckpt *old, int *have_old, const char *path, const char *text, const char *advice,
                        const char *other);


/* A resumed run takes back from old (a checkpoint of the same network): weights, Adam moments, BN statistics,
 * the best weights into best_p / best_s, the optimiser step and forward counters, and at most max_hist
 * history records into hist. Returns the number of history records taken. */
long snf_train_resume(snf_net *net, float *best_p, float *best_s, snf_epoch_record *hist, long max_hist,
                      const snf_ckpt *old);

/* Zeroes ck and points it at the network's slabs and the run's buffers (best weights, history), with the
 * network's config ncfg and shape, the input spec and normalisation, the seed and the thread count. The
 * caller fills the rest (rows, data file, config text, ...). */
void snf_train_ckpt_bind(snf_ckpt *ck, const snf_net *net, const snf_net_config *ncfg, const snf_data_spec *spec,
                         const snf_norm *norm, float *best_p, float *best_s, snf_epoch_record *hist, uint64_t seed,
                         int threads);

/* The loop's resumable state into the checkpoint before a write (its slabs alias the network's). */
void snf_train_ckpt_capture(snf_ckpt *ck, const snf_net *net, long epoch, float lr, const snf_plateau *plateau,
                            const snf_earlystop *es, long n_hist);

/* Early stopping on monitor after epoch; when epoch is the best so far, the weights p and statistics s (the
 * network's sizes) are copied into best_p / best_s. Returns snf_earlystop_update's stop flag. */
int snf_train_track_best(snf_earlystop *es, double monitor, long epoch, const snf_net *net, const float *p,
                         const float *s, float *best_p, float *best_s);

/* Epoch record h (zeroed first): epoch, losses, learning rate and the validation MAPE of vm. */
void snf_train_record(snf_epoch_record *h, long epoch, double train_loss, double val_loss, float lr,
                      const snf_metrics *vm);

/* An eval batch of nb rows in physical units through norm: truths from the standardised targets y
 * ([nb][SNF_DATA_NP]) into truth rows k0 .. k0+nb-1, and predictions from p (rows `stride` floats apart; the
 * means come first) into the same rows of pred ([n][SNF_DATA_NP] each; either may be NULL). */
void snf_train_decode_batch(double *truth, double *pred, const float *y, const float *p, size_t stride, long k0,
                            int nb, const snf_norm *norm);

/* The best weights back into the network (current = best) before the final write. */
void snf_train_restore_best(snf_net *net, const float *best_p, const float *best_s);

/* ---- train_score.c ---- */

/* The clock a time budget is counted on (snf_train_options.budget_cpu): wall seconds, or the process's CPU
 * seconds divided by its threads (CLOCK_PROCESS_CPUTIME_ID, POSIX). */
double snf_train_budget_now(const snf_train_options *opt);

/* Eval-mode pass of net over the n rows of batcher b (x, y: its batch buffers): the mean standardised loss
 * (*loss, NaN for n = 0), the metrics of the predictions (m) and of predict-the-training-mean (base), both in
 * physical units through norm. SNF_ENOMEM, or the forward pass's failure. */
int snf_train_score(snf_net *net, snf_batcher *b, long n, const snf_norm *norm, float *x, float *y, double *loss,
                    snf_metrics *m, snf_metrics *base);
/* The same with base optional (NULL: not computed) and the physical predictions into pred_out[n][4] (NULL:
 * kept internal): the one scorer of train, the loop's validation, fine-tuning and the curriculum. */
int snf_train_score_pred(snf_net *net, snf_batcher *b, long n, const snf_norm *norm, float *x, float *y,
                         double *loss, snf_metrics *m, snf_metrics *base, double *pred_out);

/* Seconds per training step (forward + backward, and under MPI this rank's share with synchronised BN
 * and the gradient sum over the ranks) and per evaluation batch, timed on the first training batch (one
 * untimed call, then three timed); the weights are not stepped and the BN running statistics, gradients
 * and forward counter are restored, so the run that follows is the same as without the probe. */
int snf_train_probe_step(snf_net *net, snf_batcher *b, float *x, float *y, float *gather,
                         const snf_train_options *opt, double *t_step, double *t_eval);

/* ---- train_loop.c: the one training loop ---- */

/* The augmentation stream of a batch: SNF_LOOP_AUG_EPOCH_BATCH (`snforge train`'s) seeds it with
 * seed ^ A (epoch + 1) ^ B (batch + 1); SNF_LOOP_AUG_SHUFFLE (fine-tuning's and the curriculum's, kept so
 * their outputs stay bitwise) with the epoch's shuffle seed, seed ^ G (epoch + 1), ^ A (batch + 1). */
enum { SNF_LOOP_AUG_EPOCH_BATCH = 0, SNF_LOOP_AUG_SHUFFLE = 1 };

typedef struct snf_loop_config {
    const char *name;          /* the progress line's "snforge NAME: epoch ..." */
    const char *lr_key;        /* the rate's name in the non-finite-loss message (NULL: "the learning rate") */
    const char *out_path;      /* the model file, rewritten atomically after every epoch (rank 0) */
    snf_net_config net;        /* max_B: the largest training or scoring batch */
    const snf_data_spec *spec;
    const snf_norm *norm;
    const snf_ckpt *init;      /* start from its best weights and BN statistics (NULL: seeded init) */
    int freeze;                /* snf_transfer_freeze: the first `freeze` Inception modules get rate multiplier 0
                                * and keep their BatchNorm running statistics */
    uint64_t seed;             /* init, dropout, augmentation and the stream of [observe] */
    int epochs, batch;         /* batch: the rows of a step (mixed-in rows included) */
    snf_adam_config adam;      /* lr: the peak (or fixed) rate */
    snf_lr_schedule sched;     /* kind, warmup, lr_end, div */
    int fixed_rate;            /* 1: adam.lr throughout, no schedule length or plateau state (fine-tuning's
                                * `schedule = constant`); the time budget then ends a run by whole epochs */
    snf_plateau plateau;       /* the starting state, as stored in the checkpoint */
    float clip_norm, ema;      /* 0: off */
    int es_patience;           /* 0: off */
    float es_min_delta;
    const snf_augment *aug;    /* on the training rows of a batch (NULL: none) */
    const snf_augment *aug_mix; /* on its mixed-in rows (NULL: none) */
    int aug_stream;            /* SNF_LOOP_AUG_* */
    const snf_obs_aug *obs;    /* [observe] on the training rows (NULL: off) */
    snf_batcher *train;        /* the training rows of a step, shuffled by (seed, epoch); a mixed batcher (data.h
                                * snf_batcher_mix) when rows are mixed into every step: aug and obs apply to
                                * its first part, aug_mix to the rest */
    snf_batcher *val;          /* validation rows (n_val of them; may be NULL when n_val = 0) */
    long n_train, n_val, n_test; /* recorded in the checkpoint */
    const char *text, *data_file, *data_source, *data_created, *fingerprint; /* recorded (NULL: "") */
    double budget_t0;          /* the budget's clock when the caller started (0: at the loop's start) */
    int wall_history;          /* 1: the history records cumulative wall seconds; 0: zeros, so that a resumed
                                * run's file is bitwise an uninterrupted one's (fine-tuning, curriculum) */
    /* After every epoch's validation (epoch from 0), with the network holding the weights just validated and
     * `state`, the checkpoint about to be written (epoch, es and hist of the previous write). Returns < 0 to
     * fail, 1 to end the run (finished, stop reason "selection"), 0 to go on. */
    int (*epoch_hook)(void *ctx, snf_net *net, const snf_ckpt *state, long epoch);
    void *hook_ctx;
    /* At the end, the best weights restored, before the final write (x, y: batch buffers of max_B rows). */
    int (*finish)(void *ctx, snf_net *net, snf_ckpt *ck, float *x, float *y);
    void *finish_ctx;
} snf_loop_config;

typedef struct snf_loop_result {
    long epochs_run, epoch, best_epoch;
    double best_val_loss;
    int resumed, stopped, finished, frozen_tensors;
    char stop_reason[64];
    snf_metrics val, val_baseline; /* of the best weights on the validation rows */
    long rows_observed;
} snf_loop_result;

/* Trains lc into lc->out_path, from old (the same run's unfinished checkpoint, read and checked by the
 * caller) or from the start (old = NULL). SNF_OK when finished or when opt->stop_after was reached. */
int snf_loop_run(const snf_loop_config *lc, const snf_ckpt *old, const snf_train_options *opt, snf_loop_result *res);
/* SNF_EINVAL (the message says why) when lc's step schedule (cosine, onecycle) has lr_end above the peak adam.lr;
 * snf_loop_run checks it first, snf_transfer_check before a run begins. */
int snf_loop_check_sched(const snf_loop_config *lc);

/* A standard normal deviate from r's stream (normalize.c): the augmentations' noise. */
double snf_train_gauss(snf_rng *r);

#endif
