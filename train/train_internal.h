/* train_internal.h: the pieces of a training run that the three loops share (not installed): snf_train_run
 * (train.c), snf_transfer_run (transfer.c) and the ensemble driver snf_uq_train (uq_train.c). An existing
 * model file is probed and checked alike, a resumed run takes the same state back, the checkpoint views
 * the same slabs, and the end of an epoch keeps the best weights and writes its history record alike.
 * Implemented in train_state.c and train_score.c. */
#ifndef SNFORGE_LEARN_TRAIN_INTERNAL_H
#define SNFORGE_LEARN_TRAIN_INTERNAL_H

#include <stdint.h>

#include "snforge/train.h"

/* An existing model file at path: *have_old = 0 when there is none; else it is read into *old (the caller
 * frees it with snf_ckpt_free) and its config text must equal text (NULL reads as ""). Errors (SNF_EINVAL):
 * "PATH exists and is not a readable snforge model (REASON); ADVICE" and "PATH OTHER". */
/* A training run's fingerprint, "data=<snf_dataset_digest>; version=<program>", and its check against a model
 * file found at path: an unfinished one must match whole (else SNF_EINVAL naming what changed; a file from
 * before fingerprints existed has none and is refused too), a finished one only in its data. */
int snf_train_fingerprint(const char *data_file, char *fp, size_t n);
int snf_train_check_fingerprint(const char *path, const snf_ckpt *old, const char *now);
int snf_train_probe_old(snf_ckpt *old, int *have_old, const char *path, const char *text, const char *advice,
                        const char *other);

/* The summary of a finished model file, as snf_train_run reports it (the other fields untouched). */
void snf_train_summary_finished(snf_train_summary *sum, const snf_ckpt *ck);

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

/* Seconds per training step (forward + backward, and under MPI this rank's share with synchronised BN
 * and the gradient sum over the ranks) and per evaluation batch, timed on the first training batch (one
 * untimed call, then three timed); the weights are not stepped and the BN running statistics, gradients
 * and forward counter are restored, so the run that follows is the same as without the probe. */
int snf_train_probe_step(snf_net *net, snf_batcher *b, float *x, float *y, float *gather,
                         const snf_train_options *opt, double *t_step, double *t_eval);

/* A standard normal deviate from r's stream (normalize.c): the augmentations' noise. */
double snf_train_gauss(snf_rng *r);

#endif
