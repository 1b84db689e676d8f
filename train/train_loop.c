/* train_loop.c: the one training loop (train_internal.h snf_loop_run), used by `snforge train` (train.c),
 * `snforge finetune` and every curriculum stage (transfer.c). Per epoch: the training rows' seeded shuffle
 * (snf_batcher_start: a function of (seed, epoch)), batches of B rows of which a fixed number may come from a
 * second row source cycled through its own shuffle (a mixed batcher, data.h: rows mixed in against forgetting), the rows drawn as
 * observations ([observe]) and augmented, then per batch: forward and backward (under MPI this rank's share
 * with synchronised BatchNorm and the gradient sum over the ranks), frozen BatchNorm layers' running
 * statistics put back, optional gradient-norm clipping, Adam(W) with per-tensor rate multipliers (0 freezes
 * a tensor) at the rate of the step schedule, of reduce-LR-on-plateau or fixed, and the weight EMA (frozen
 * tensors' EMA kept equal to them). After the steps: the validation score (of the EMA weights when on), the
 * plateau rule, early stopping and best weights, the history record, the caller's epoch hook, and a
 * checkpoint written atomically (rank 0). A time budget sizes a step schedule (timed on the first batch,
 * re-sized after every epoch) or ends training after the epoch the next one would overrun. At the end the
 * best weights are restored, the caller's finish hook runs (test rows), the validation rows are scored and
 * the model file is marked finished. Everything an epoch depends on is in the checkpoint, so a resumed run
 * continues bitwise. It does not open dataset files, split rows or parse configs. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#include "snforge/train.h"
#include "train_internal.h"

#define SNF_LOOP_MAX_RANGES (2 * (SNF_NET_MAX_DEPTH + SNF_NET_MAX_RES))

/* One run's state: the network and the loop's buffers, the optimiser's schedule and counters, and the
 * checkpoint that views them. */
typedef struct snf_loop {
    const snf_loop_config *lc;
    const snf_train_options *opt;
    snf_loop_result *res;
    snf_net *net;
    snf_net_config ncfg;
    long *brows; /* [batch] file rows of the batch's training part ([observe] keys its draws by them) */
    float *x, *y, *best_p, *best_s, *keep_s;
    float *ema_p, *ema_s, *live_p, *live_s, *gather;
    snf_epoch_record *hist;
    snf_lr_schedule sched;
    snf_plateau plateau;
    snf_earlystop es;
    snf_ckpt ck;
    float lr;
    long epoch, n_hist, nbatches;
    size_t CL;
    double tb0;          /* the budget's clock at the caller's start (snf_train_budget_now) */
    double tstart, wall0;
    double t_eval_probe; /* the probe's seconds per validation batch */
    double t_write;      /* the budget clock's seconds of the last checkpoint write (0 before the first): part of
                          * an epoch's cost that its te0..end-of-validation time leaves out */
    int resize;          /* a budget-sized schedule, re-sized after every epoch by that epoch's time */
    int use_ema, stepwise, rank, nranks, nranges;
    size_t lo[SNF_LOOP_MAX_RANGES], hi[SNF_LOOP_MAX_RANGES]; /* frozen BatchNorm statistics [lo, hi) */
} snf_loop;

/* ---- static helpers ---- */

/* Puts (p, s) into the network, saving its own into (keep_p, keep_s), or back (p = NULL). */
static void snf_swap_weights(snf_net *net, float *keep_p, float *keep_s, const float *p, const float *s)
{
    if (p) {
        memcpy(keep_p, net->params, net->nparams * sizeof(float));
        memcpy(keep_s, net->bn_stats, net->nstats * sizeof(float));
        memcpy(net->params, p, net->nparams * sizeof(float));
        memcpy(net->bn_stats, s, net->nstats * sizeof(float));
    } else {
        memcpy(net->params, keep_p, net->nparams * sizeof(float));
        memcpy(net->bn_stats, keep_s, net->nstats * sizeof(float));
    }
}

/* ---- the run, section by section ---- */

/* Network (seeded weights, or the starting model's best ones), freezing, buffers, weight EMA and the
 * optimiser's starting state. */
static int snf_loop_network(snf_loop *r)
{
    const snf_loop_config *lc = r->lc;
    r->ncfg = lc->net;
    SNF_CHECK(snf_net_alloc(&r->net, &r->ncfg));
    snf_net *net = r->net;
    snf_net_init(net, lc->seed);
    net->dropout_seed = lc->seed;
    if (lc->init) {
        if (lc->init->nparams != net->nparams || lc->init->nstats != net->nstats) {
            SNF_ERROR(SNF_EINVAL, "the starting model's network does not match");
        }
        memcpy(net->params, lc->init->best_params, net->nparams * sizeof(float));
        memcpy(net->bn_stats, lc->init->best_stats, net->nstats * sizeof(float));
    }
    int nf = snf_transfer_freeze(net, lc->freeze, r->lo, r->hi, &r->nranges);
    if (nf < 0) {
        return nf;
    }
    r->res->frozen_tensors = nf;
    const size_t NS = net->nstats ? net->nstats : 1;
    const int rows = lc->batch > r->ncfg.max_B ? lc->batch : r->ncfg.max_B; /* training and scoring batches */
    r->CL = (size_t)r->ncfg.C_in * r->ncfg.T;
    r->best_p = malloc(net->nparams * sizeof *r->best_p);
    r->best_s = malloc(NS * sizeof *r->best_s);
    r->keep_s = malloc(NS * sizeof *r->keep_s);
    r->hist = malloc((size_t)(lc->epochs > 0 ? lc->epochs : 1) * sizeof *r->hist);
    r->x = malloc((size_t)rows * r->CL * sizeof *r->x);
    r->y = malloc((size_t)rows * SNF_DATA_NP * sizeof *r->y);
    r->brows = malloc((size_t)rows * sizeof *r->brows);
    if (!r->best_p || !r->best_s || !r->keep_s || !r->hist || !r->x || !r->y || !r->brows) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for the network state");
    }
    r->use_ema = lc->ema > 0.0f;
    snf_dist_info(&r->rank, &r->nranks);
    if (r->nranks > 1) {
        r->gather = malloc(net->nparams * (size_t)r->nranks * sizeof *r->gather);
        if (!r->gather) {
            SNF_ERROR(SNF_ENOMEM, "out of memory for the gradients of %d ranks", r->nranks);
        }
    }
    if (r->use_ema) {
        r->ema_p = malloc(net->nparams * sizeof *r->ema_p);
        r->live_p = malloc(net->nparams * sizeof *r->live_p);
        r->ema_s = malloc(NS * sizeof *r->ema_s);
        r->live_s = malloc(NS * sizeof *r->live_s);
        if (!r->ema_p || !r->live_p || !r->ema_s || !r->live_s) {
            SNF_ERROR(SNF_ENOMEM, "out of memory for the weight EMA");
        }
        memcpy(r->ema_p, net->params, net->nparams * sizeof *r->ema_p);
        memcpy(r->ema_s, net->bn_stats, net->nstats * sizeof *r->ema_s);
    }
    r->sched = lc->sched;
    r->sched.lr = lc->adam.lr;
    r->sched.total = 0;
    r->stepwise = !lc->fixed_rate && r->sched.kind != SNF_SCHED_PLATEAU;
    memcpy(r->best_p, net->params, net->nparams * sizeof *r->best_p);
    memcpy(r->best_s, net->bn_stats, net->nstats * sizeof *r->best_s);
    r->lr = lc->adam.lr;
    r->plateau = lc->plateau;
    r->es = snf_earlystop_default(lc->es_patience > 0 ? lc->es_patience : INT_MAX, lc->es_min_delta);
    return SNF_OK;
}

/* The killed run's state back from its checkpoint. */
static int snf_loop_resume(snf_loop *r, const snf_ckpt *old)
{
    snf_net *net = r->net;
    const char *mpath = r->lc->out_path;
    if (old->nparams != net->nparams || old->nstats != net->nstats) {
        SNF_ERROR(SNF_EINVAL, "%s: its network does not match the config's", mpath);
    }
    r->n_hist = snf_train_resume(net, r->best_p, r->best_s, r->hist, r->lc->epochs, old);
    memcpy(net->lr_mult, old->lr_mult, (size_t)net->ntensors * sizeof(float));
    if (r->use_ema) {
        if (!old->ema_params || !old->ema_stats) {
            SNF_ERROR(SNF_EINVAL, "%s has no weight EMA although the config asks for one", mpath);
        }
        memcpy(r->ema_p, old->ema_params, net->nparams * sizeof(float));
        memcpy(r->ema_s, old->ema_stats, net->nstats * sizeof(float));
    }
    r->sched.total = old->sched_total;
    if (r->stepwise && r->sched.total < 1) {
        SNF_ERROR(SNF_EINVAL, "%s has no schedule length although the config asks for a step schedule", mpath);
    }
    r->lr = old->lr;
    r->plateau = old->plateau;
    r->es = old->es;
    r->epoch = old->epoch;
    r->wall0 = r->n_hist > 0 ? r->hist[r->n_hist - 1].wall_s : 0;
    return SNF_OK;
}

/* The checkpoint's views of the run's state and the caller's description of the data. */
static void snf_loop_bind(snf_loop *r)
{
    const snf_loop_config *lc = r->lc;
    snf_ckpt *ck = &r->ck;
    snf_train_ckpt_bind(ck, r->net, &r->ncfg, lc->spec, lc->norm, r->best_p, r->best_s, r->hist, lc->seed,
                        r->opt->threads);
    ck->ema_params = r->ema_p;
    ck->ema_stats = r->ema_s;
    ck->n_train = lc->n_train;
    ck->n_val = lc->n_val;
    ck->n_test = lc->n_test;
    ck->config_text = (char *)(uintptr_t)(lc->text ? lc->text : "");
    snprintf(ck->data_file, sizeof ck->data_file, "%s", lc->data_file ? lc->data_file : "");
    snprintf(ck->data_source, sizeof ck->data_source, "%s", lc->data_source ? lc->data_source : "");
    snprintf(ck->data_created, sizeof ck->data_created, "%s", lc->data_created ? lc->data_created : "");
    snprintf(ck->fingerprint, sizeof ck->fingerprint, "%s", lc->fingerprint ? lc->fingerprint : "");
}

/* The schedule's length: every epoch's steps, or the steps that fit in the time budget (an epoch costs its
 * training steps plus its validation batches; the final scoring of the validation and test rows is kept
 * aside; 3% margin for a busy machine). Fixed here and kept in the checkpoint. */
static int snf_loop_schedule(snf_loop *r)
{
    const snf_loop_config *lc = r->lc;
    const snf_train_options *opt = r->opt;
    long all = (long)lc->epochs * r->nbatches;
    r->sched.total = all;
    if (opt->max_wall_s <= 0) {
        return SNF_OK;
    }
    double t_step = 0, t_eval = 0;
    SNF_CHECK(snf_train_probe_step(r->net, lc->train, r->x, r->y, r->gather, opt, &t_step, &t_eval));
    double vb = ceil((double)lc->n_val / lc->batch), tb = ceil((double)lc->n_test / lc->batch);
    double t_epoch = (double)r->nbatches * t_step + vb * t_eval;
    double left = opt->max_wall_s - (snf_train_budget_now(opt) - r->tb0) - (vb + tb) * t_eval;
    double fit = 0.97 * left / t_epoch * (double)r->nbatches;
    snf_dist_bcast_doubles(&fit, 1); /* rank 0's clock sizes the schedule of every rank */
    r->sched.total = fit < 1 ? 1 : (fit < (double)all ? (long)fit : all);
    /* re-sized after every epoch by its own time (snf_loop_resize), also when the probe finds every epoch fits:
     * the probe leaves out the checkpoint writes, so a plan of every epoch may not fit */
    r->resize = 1;
    r->t_eval_probe = t_eval;
    if (opt->log && !opt->quiet) {
        fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the %g s budget (%.1f ms a step, "
                          "%.1f ms a validation batch, measured)\n", r->sched.total,
                (double)r->sched.total / (double)r->nbatches, opt->max_wall_s, 1e3 * t_step, 1e3 * t_eval);
    }
    return SNF_OK;
}

/* The weight EMA after a step; frozen tensors and BatchNorm ranges keep an EMA equal to themselves (bitwise:
 * an average of equal floats is not always that float). */
static void snf_loop_ema(snf_loop *r)
{
    snf_net *net = r->net;
    float de = snf_ema_update(r->ema_p, net->params, net->nparams, r->lc->ema, net->adam_t);
    for (size_t j = 0; j < net->nstats; j++) { /* BN statistics averaged alike (see train_small.ini) */
        r->ema_s[j] = de * r->ema_s[j] + (1.0f - de) * net->bn_stats[j];
    }
    size_t off = 0;
    for (int i = 0; i < net->ntensors; i++) {
        if (net->lr_mult[i] == 0.0f) {
            memcpy(r->ema_p + off, net->params + off, net->sizes[i] * sizeof(float));
        }
        off += net->sizes[i];
    }
    for (int q = 0; q < r->nranges; q++) {
        memcpy(r->ema_s + r->lo[q], net->bn_stats + r->lo[q], (r->hi[q] - r->lo[q]) * sizeof(float));
    }
}

/* One optimiser step on the batch x, y of nb rows (batch bi of the epoch): forward and backward (this rank's
 * share under MPI), the frozen BatchNorm statistics put back, the gradient sum and clipping, Adam at the
 * scheduled rate (*lr_step) and the weight EMA. *loss: the global batch loss. */
static int snf_loop_step(snf_loop *r, int nb, long bi, float *loss, float *lr_step)
{
    const snf_loop_config *lc = r->lc;
    snf_net *net = r->net;
    float l = 0;
    if (r->nranges > 0) {
        memcpy(r->keep_s, net->bn_stats, net->nstats * sizeof *r->keep_s);
    }
    snf_net_zero_grad(net);
    /* data-parallel: this rank's contiguous share of the global batch, BN synchronised; a batch smaller than
     * the rank count is computed whole on every rank (no reductions) */
    int lo = 0, hi = nb, shard = r->nranks > 1 && nb >= r->nranks;
    if (shard) {
        lo = (int)((long)nb * r->rank / r->nranks);
        hi = (int)((long)nb * (r->rank + 1) / r->nranks);
        net->grad_scale = (float)(hi - lo) / (float)nb;
    }
    snf_bn_set_reduce(shard ? snf_dist_bn_reduce : NULL, NULL);
    int rc = snf_net_forward(net, r->x + (size_t)lo * r->CL, r->y + (size_t)lo * SNF_DATA_NP, hi - lo, 1, &l);
    if (rc >= 0 && shard) { /* the global batch loss, identical on every rank */
        double part = (double)l * (hi - lo);
        snf_dist_sum_doubles(&part, 1);
        l = (float)(part / nb);
    }
    if (rc >= 0 && !isfinite(l)) {
        snf_bn_set_reduce(NULL, NULL);
        net->grad_scale = 1.0f;
        SNF_ERROR(SNF_ENONFINITE, "training loss is %g at epoch %ld batch %ld (lower %s?)", (double)l,
                  r->epoch + 1, bi + 1, lc->lr_key ? lc->lr_key : "the learning rate");
    }
    for (int q = 0; q < r->nranges; q++) { /* frozen BatchNorm layers keep their running statistics */
        memcpy(net->bn_stats + r->lo[q], r->keep_s + r->lo[q], (r->hi[q] - r->lo[q]) * sizeof *r->keep_s);
    }
    if (rc >= 0) {
        rc = snf_net_backward(net);
    }
    snf_bn_set_reduce(NULL, NULL);
    net->grad_scale = 1.0f;
    if (rc < 0) {
        return rc;
    }
    if (shard) {
        snf_dist_sum_floats(net->grads, net->nparams, r->gather);
    }
    if (lc->clip_norm > 0.0f) {
        snf_grad_clip(net->grads, net->nparams, lc->clip_norm);
    }
    snf_adam_config ac = lc->adam;
    *lr_step = r->stepwise ? snf_lr_schedule_at(&r->sched, net->adam_t) : r->lr;
    ac.lr = *lr_step;
    snf_net_adam_step(net, &ac);
    if (r->use_ema) {
        snf_loop_ema(r);
    }
    *loss = l;
    return SNF_OK;
}

/* The augmentation stream of batch bi of epoch e (see snf_loop_config.aug_stream). */
static snf_rng snf_loop_aug_rng(const snf_loop_config *lc, long e, long bi)
{
    if (lc->aug_stream == SNF_LOOP_AUG_SHUFFLE) {
        return snf_rng_seed((lc->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(e + 1))) ^
                            (0xA24BAED4963EE407ULL * (uint64_t)(bi + 1)));
    }
    return snf_rng_seed(lc->seed ^ (0xA24BAED4963EE407ULL * (uint64_t)(e + 1)) ^
                        (0x9FB21C651E98DF25ULL * (uint64_t)(bi + 1)));
}

/* The training batches of one epoch: the seeded shuffles, the mixed-in rows, the rows drawn as observations
 * ([observe]) and the augmentation, a step per batch, the progress line. *train_loss: the epoch's mean;
 * *lr_step: the last step's rate; *sched_done: the schedule ended. */
static int snf_loop_epoch(snf_loop *r, double *train_loss, float *lr_step, int *sched_done)
{
    const snf_loop_config *lc = r->lc;
    const long epoch = r->epoch;
    SNF_CHECK(snf_batcher_start(lc->train, epoch));
    double se = 0;
    long seen = 0, bi = 0;
    int nb, rc;
    *lr_step = r->lr;
    const int observe = lc->obs && snf_obs_aug_active(lc->obs);
    while ((rc = snf_batcher_next(lc->train, r->x, r->y, r->brows, &nb)) > 0) {
        const int bt = snf_batcher_first_rows(lc->train), nm = nb - bt; /* training rows, then mixed-in rows */
        if (observe) { /* each row as a real observation would give it, keyed by (seed, epoch, file row) */
            SNF_CHECK(snf_data_observe(r->x, bt, r->brows, lc->spec, lc->norm, lc->obs, lc->seed, epoch));
            r->res->rows_observed += bt;
        }
        snf_rng ar = snf_loop_aug_rng(lc, epoch, bi);
        if (lc->aug) {
            snf_data_augment(r->x, bt, lc->spec, lc->aug, &ar);
        }
        if (lc->aug_mix) {
            snf_data_augment(r->x + (size_t)bt * r->CL, nm, lc->spec, lc->aug_mix, &ar);
        }
        float l = 0;
        SNF_CHECK(snf_loop_step(r, nb, bi, &l, lr_step));
        se += (double)l * nb;
        seen += nb;
        bi++;
        if (r->opt->progress) {
            fprintf(r->opt->progress, "\rsnforge %s: epoch %ld/%d batch %ld/%ld loss %.4f   ", lc->name, epoch + 1,
                    lc->epochs, bi, r->nbatches, se / (double)seen);
            fflush(r->opt->progress);
        }
        if (r->stepwise && r->net->adam_t >= r->sched.total) {
            *sched_done = 1;
            break;
        }
    }
    if (rc < 0) {
        return rc;
    }
    *train_loss = se / (double)(seen > 0 ? seen : 1);
    return SNF_OK;
}

/* After an epoch's steps: the validation score (of the EMA weights when on), the plateau rule, early
 * stopping and the best weights, the history record, the epoch hook (with the weights validated) and the
 * log line. *stop: early stopping says stop; *hook_stop: the hook ended the run. */
static int snf_loop_epoch_end(snf_loop *r, double train_loss, float lr_used, int *stop, int *hook_stop)
{
    const snf_loop_config *lc = r->lc;
    const snf_train_options *opt = r->opt;
    snf_loop_result *res = r->res;
    snf_net *net = r->net;
    double val_loss = NAN;
    snf_metrics vm, vb;
    if (r->use_ema) {
        snf_swap_weights(net, r->live_p, r->live_s, r->ema_p, r->ema_s);
    }
    int rc = snf_train_score(net, lc->val, lc->n_val, lc->norm, r->x, r->y, &val_loss, &vm, &vb);
    if (r->use_ema) {
        snf_swap_weights(net, r->live_p, r->live_s, NULL, NULL);
    }
    if (rc < 0) {
        return rc;
    }
    if (!r->stepwise && !lc->fixed_rate) {
        r->lr = snf_plateau_update(&r->plateau, (float)train_loss, r->lr);
    }
    /* Early stopping and best weights on the validation loss (the training loss without a validation set). */
    double monitor = lc->n_val > 0 ? val_loss : train_loss;
    *stop = snf_train_track_best(&r->es, monitor, r->epoch, net, r->use_ema ? r->ema_p : net->params,
                                 r->use_ema ? r->ema_s : net->bn_stats, r->best_p, r->best_s);
    if (r->es.best_epoch == r->epoch) {
        res->val = vm;
        res->val_baseline = vb;
    }
    snf_epoch_record *h = &r->hist[r->n_hist++];
    snf_train_record(h, r->epoch, train_loss, val_loss, lr_used, &vm);
    h->wall_s = lc->wall_history ? r->wall0 + (snf_clock_s() - r->tstart) : 0.0;
    *hook_stop = 0;
    if (lc->epoch_hook) { /* it sees the weights just validated (the EMA's when on) */
        if (r->use_ema) {
            snf_swap_weights(net, r->live_p, r->live_s, r->ema_p, r->ema_s);
        }
        rc = lc->epoch_hook(lc->hook_ctx, net, &r->ck, r->epoch);
        if (r->use_ema) {
            snf_swap_weights(net, r->live_p, r->live_s, NULL, NULL);
        }
        if (rc < 0) {
            return rc;
        }
        *hook_stop = rc > 0;
    }
    r->epoch++;
    res->epochs_run++;
    if (opt->progress) {
        fprintf(opt->progress, "\r\033[K");
    }
    if (opt->log && !opt->quiet) {
        fprintf(opt->log, "epoch %ld/%d: train loss %.5f, val loss %.5f, val MAPE E %.1f%% M %.1f%% R %.1f%% "
                          "Ni %.1f%%, lr %.3g%s\n", r->epoch, lc->epochs, train_loss, val_loss, vm.mape[0],
                vm.mape[1], vm.mape[2], vm.mape[3], (double)lr_used, r->es.best_epoch == r->epoch - 1 ? " *" : "");
        fflush(opt->log);
    }
    return SNF_OK;
}

/* The probe times a few steps of a cold start (first touch of the activations, thread wake-up, clock ramp-up)
 * and was measured to overstate a step by up to 1.7x (LITE, 2 threads: 67.8 ms probed, 40 ms run), so a
 * budget-sized schedule ended with a third of the budget unused; sized once from the first epoch instead, a
 * quiet 600 s run still met the budget 1.4 epochs before the schedule's end (later epochs 5% slower) and
 * stopped with the rate at 1.5% of its peak. So after every epoch the last epoch's time (training steps and
 * its validation; it started at te0 on the budget's clock) sizes the rest: the decay spans the new length and
 * the rate moves by the difference of the two schedules at this step. Kept in the checkpoint. An epoch's cost is
 * the whole of it: its steps and validation and the checkpoint written after it (the last write's time, measured;
 * a fine-tuning epoch on a few rows is mostly its write, and left out the schedule was planned many times too
 * long, so the budget ended it near the peak rate, the decay never run). */
static void snf_loop_resize(snf_loop *r, double te0)
{
    const snf_loop_config *lc = r->lc;
    const snf_train_options *opt = r->opt;
    const snf_net *net = r->net;
    const long nbatches = r->nbatches;
    double tb = ceil((double)lc->n_test / lc->batch);
    double now = snf_train_budget_now(opt), t_epoch = now - te0 + r->t_write;
    double left = opt->max_wall_s - (now - r->tb0) - r->t_write - tb * r->t_eval_probe; /* after this epoch's write */
    double fit = (double)net->adam_t + 0.97 * left / t_epoch * (double)nbatches;
    snf_dist_bcast_doubles(&fit, 1);
    long all = (long)lc->epochs * nbatches;
    long was = r->sched.total;
    r->sched.total = fit < (double)net->adam_t + 1 ? net->adam_t + 1 : (fit < (double)all ? (long)fit : all);
    r->ck.sched_total = r->sched.total;
    if (opt->log && !opt->quiet && labs(r->sched.total - was) * 200 > was) { /* changes above 0.5% */
        double ms = 1e3 * t_epoch / (double)nbatches;
        fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the budget by the last epoch's time "
                          "(%.1f ms a step with validation and checkpoint; it was %ld)\n", r->sched.total,
                (double)r->sched.total / (double)nbatches, ms, was);
    }
}

/* 1 (and the reason in the result) if the run ends here: early stopping, the epoch hook, the last epoch, the
 * end of the schedule, or (te0 != NULL: after an epoch that started at *te0) a time budget the next epoch
 * would overrun (this epoch's checkpoint write and the next epoch, which costs the last one's time with its write
 * (the last write's time), or its share when the schedule ends within it; rank 0's clock decides for all). */
static int snf_loop_done(snf_loop *r, int stop, int hook_stop, int sched_done, const double *te0)
{
    const snf_train_options *opt = r->opt;
    const char *why = NULL;
    if (stop) {
        why = "early stopping";
    } else if (hook_stop) {
        why = "selection";
    } else if (r->epoch >= r->lc->epochs) {
        why = "epochs";
    } else if (sched_done) {
        why = "schedule";
    } else if (te0 && opt->max_wall_s > 0) {
        double frac = 1.0;
        if (r->stepwise && r->sched.total - r->net->adam_t < r->nbatches) {
            frac = (double)(r->sched.total - r->net->adam_t) / (double)r->nbatches;
        }
        double now = snf_train_budget_now(opt);
        double over = (now - r->tb0) + r->t_write + frac * (now - *te0 + r->t_write) > opt->max_wall_s;
        snf_dist_bcast_doubles(&over, 1);
        why = over > 0 ? "time budget" : NULL;
    }
    if (why) {
        snprintf(r->res->stop_reason, sizeof r->res->stop_reason, "%s", why);
    }
    return why != NULL;
}

/* The checkpoint of r->ck into the model file: rank 0 writes it, every rank gets its status (nn/dist.c
 * snf_dist_once), so a failed write ends every rank and a rank reading the file afterwards finds it whole. */
static int snf_loop_write_fn(void *ctx)
{
    const snf_loop *r = ctx;
    return snf_ckpt_write(r->lc->out_path, &r->ck);
}

static int snf_loop_write(snf_loop *r) { return snf_dist_once(snf_loop_write_fn, r); }

/* Best weights restored; the caller's finish hook (test rows) and the validation rows scored with them; the
 * final write marks the model finished. The state written is the best one's (current = best). */
static int snf_loop_finish(snf_loop *r)
{
    const snf_loop_config *lc = r->lc;
    snf_loop_result *res = r->res;
    snf_train_restore_best(r->net, r->best_p, r->best_s);
    if (lc->finish) {
        SNF_CHECK(lc->finish(lc->finish_ctx, r->net, &r->ck, r->x, r->y));
    }
    if (lc->n_val > 0) {
        double vl;
        SNF_CHECK(snf_train_score(r->net, lc->val, lc->n_val, lc->norm, r->x, r->y, &vl, &res->val,
                                  &res->val_baseline));
    }
    r->ck.finished = 1;
    snprintf(r->ck.stop_reason, sizeof r->ck.stop_reason, "%s", res->stop_reason);
    snf_train_ckpt_capture(&r->ck, r->net, r->epoch, r->lr, &r->plateau, &r->es, r->n_hist);
    SNF_CHECK(snf_loop_write(r));
    res->finished = 1;
    return SNF_OK;
}

/* The epochs: steps, validation, the stop rules, a checkpoint after each (rank 0). */
static int snf_loop_epochs(snf_loop *r)
{
    const snf_train_options *opt = r->opt;
    /* A run resumed after its last epoch but before the final write (cannot happen with one write per epoch,
     * but an epochs value lowered by hand would) finishes at once. */
    int done = snf_loop_done(r, r->es.wait >= r->es.patience, 0, r->stepwise && r->net->adam_t >= r->sched.total,
                             NULL);
    while (!done) {
        double te0 = snf_train_budget_now(opt);
        double train_loss = 0;
        float lr_step = r->lr;
        int sched_done = 0, stop = 0, hook_stop = 0;
        SNF_CHECK(snf_loop_epoch(r, &train_loss, &lr_step, &sched_done));
        SNF_CHECK(snf_loop_epoch_end(r, train_loss, lr_step, &stop, &hook_stop));
        if (r->resize && !sched_done) {
            snf_loop_resize(r, te0);
        }
        done = snf_loop_done(r, stop, hook_stop, sched_done, &te0);
        if (!done) {
            double tw0 = snf_train_budget_now(opt);
            snf_train_ckpt_capture(&r->ck, r->net, r->epoch, r->lr, &r->plateau, &r->es, r->n_hist);
            SNF_CHECK(snf_loop_write(r)); /* all ranks: same state */
            if (opt->max_wall_s > 0) {
                r->t_write = snf_train_budget_now(opt) - tw0;
                snf_dist_bcast_doubles(&r->t_write, 1); /* rank 0 writes; its time counts for all */
            }
            if (opt->stop_after > 0 && r->res->epochs_run >= opt->stop_after) {
                r->res->stopped = 1;
                return SNF_OK;
            }
        }
    }
    return snf_loop_finish(r);
}

/* ---- internal API ---- */

int snf_loop_check_sched(const snf_loop_config *lc)
{
    if ((lc->sched.kind == SNF_SCHED_COSINE || lc->sched.kind == SNF_SCHED_ONECYCLE) &&
        lc->sched.lr_end > lc->adam.lr) {
        /* for every caller (train, finetune, curriculum stages): a step schedule decays from lr to lr_end */
        SNF_ERROR(SNF_EINVAL, "lr_end %g is above the peak learning rate lr %g: a step schedule decays from lr to "
                  "lr_end (lower lr_end or raise lr)", (double)lc->sched.lr_end, (double)lc->adam.lr);
    }
    return SNF_OK;
}

int snf_loop_run(const snf_loop_config *lc, const snf_ckpt *old, const snf_train_options *opt, snf_loop_result *res)
{
    snf_loop r;
    memset(&r, 0, sizeof r);
    memset(res, 0, sizeof *res);
    r.lc = lc;
    r.opt = opt;
    r.res = res;
    r.tb0 = lc->budget_t0 > 0 ? lc->budget_t0 : snf_train_budget_now(opt);
    res->resumed = old != NULL;
    SNF_CHECK(snf_loop_check_sched(lc));
    int rc = snf_loop_network(&r);
    if (rc >= 0 && old) {
        rc = snf_loop_resume(&r, old);
    }
    if (rc < 0) {
        goto cleanup;
    }
    snf_loop_bind(&r);
    r.nbatches = snf_batcher_nbatches(lc->train);
    if (r.stepwise && !old && (rc = snf_loop_schedule(&r)) < 0) {
        goto cleanup;
    }
    r.ck.sched_total = r.sched.total;
    /* the state a first epoch hook sees: the previous write's */
    snf_train_ckpt_capture(&r.ck, r.net, r.epoch, r.lr, &r.plateau, &r.es, r.n_hist);
    r.tstart = snf_clock_s();
    if ((rc = snf_loop_epochs(&r)) < 0) {
        goto cleanup;
    }
    res->epoch = r.epoch;
    res->best_epoch = r.es.best_epoch;
    res->best_val_loss = r.es.best;
    rc = SNF_OK;
cleanup:
    snf_net_free(r.net);
    free(r.brows);
    free(r.hist);
    float *bufs[] = {r.x, r.y, r.best_p, r.best_s, r.keep_s, r.ema_p, r.ema_s, r.live_p, r.live_s, r.gather};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++) {
        free(bufs[k]);
    }
    return rc;
}
