/* train.c: the training loop. Splits the dataset's usable rows (status >= 0) into train / validation /
 * test, fits the normalisation on the training rows, then per epoch: a seeded shuffle, batches of B
 * (last partial batch kept), optional gradient-norm clipping, Adam(W) steps at the rate of the step
 * schedule (or of reduce-LR-on-plateau on the epoch training loss, Keras rule), the weight EMA, the
 * validation loss and per-parameter metrics (of the EMA weights when on), early stopping on the
 * validation loss, and a checkpoint (the model file) written atomically. Everything an epoch depends on
 * is in the checkpoint (weights, BN statistics, Adam moments and step, dropout step, lr, schedule states
 * and length, EMA, best weights, history), and the shuffle and augmentation streams are functions of
 * (seed, epoch), so a resumed run continues bitwise where the killed one stopped. A step schedule spans
 * epochs x batches steps, or, with a time budget, the steps that fit in it (timed on the first batch
 * before training, then fixed in the checkpoint); training ends when it is complete. At the end the best
 * weights are restored and the test rows scored.
 * Under MPI (nn/dist.c) every rank loads the data and draws the same global batches; each computes
 * its contiguous share with synchronised BatchNorm, the parameter gradients are summed over the ranks in
 * rank order (identical on all), and every rank takes the same optimiser step, so all hold the same
 * state; every rank scores the validation rows; rank 0 writes the checkpoints and its clock decides the
 * time budget. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/train.h"
#include "train_internal.h"

/* ---- static helpers ---- */

static int snf_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Splits rows[n] into test (first n_test of the order), validation, then train; each part sorted. */
static void snf_split_rows(const snf_train_config *cfg, long *rows, long n, long *n_train, long *n_val,
                           long *n_test, long **tr, long **va, long **te)
{
    long nt = (long)floor(cfg->test_frac * (double)n + 0.5);
    long nv = (long)floor(cfg->val_frac * (double)n + 0.5);
    if (nt + nv > n - 1) {
        nt = nv = 0;
    }
    if (cfg->split == SNF_SPLIT_RANDOM) {
        snf_rng r = snf_rng_seed(cfg->split_seed * 0xD1B54A32D192ED03ULL + 1);
        for (long i = n - 1; i > 0; i--) {
            long j = (long)(snf_rng_u64(&r) % (uint64_t)(i + 1));
            long t = rows[i];
            rows[i] = rows[j];
            rows[j] = t;
        }
        *te = rows;
        *va = rows + nt;
        *tr = rows + nt + nv;
    } else { /* file order: train first, then validation, then test */
        *tr = rows;
        *va = rows + (n - nt - nv);
        *te = rows + (n - nt);
    }
    *n_test = nt;
    *n_val = nv;
    *n_train = n - nt - nv;
    qsort(*tr, (size_t)*n_train, sizeof **tr, snf_cmp_long);
    qsort(*va, (size_t)nv, sizeof **va, snf_cmp_long);
    qsort(*te, (size_t)nt, sizeof **te, snf_cmp_long);
}

/* ---- public API: the split ---- */

void snf_train_split_rows(const snf_train_config *cfg, long *rows, long n, long *n_train, long *n_val,
                          long *n_test, long **tr, long **va, long **te)
{
    snf_split_rows(cfg, rows, n, n_train, n_val, n_test, tr, va, te);
}

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

/* ---- public API ---- */

snf_train_options snf_train_options_default(void)
{
    snf_train_options o = {.threads = 0, .stop_after = 0, .max_wall_s = 0, .budget_cpu = 0, .progress = NULL,
                           .quiet = 0, .log = NULL};
    return o;
}

/* ---- the run, section by section ---- */

/* One run's state: the data and its split, the network and the loop's buffers, the optimiser's schedule
 * and counters, and the checkpoint that views them. */
typedef struct snf_run {
    const snf_train_config *cfg;
    const snf_train_options *opt;
    snf_train_summary *sum;
    snf_data *d;
    snf_net *net;
    snf_net_config ncfg;
    snf_batcher *btr, *bva, *bte;
    long *rows, *tr, *va, *te;
    long *brows;        /* [batch] file rows of the batch ([observe] keys its draws by them) */
    float *x, *y, *best_p, *best_s;
    float *ema_p, *ema_s, *live_p, *live_s, *gather;
    snf_epoch_record *hist;
    snf_norm norm;
    snf_lr_schedule sched;
    snf_plateau plateau;
    snf_earlystop es;
    snf_ckpt ck;
    float lr;
    long epoch, n_hist, nbatches;
    size_t CL;
    double t0, tb0;     /* wall start; the budget's clock at the start (snf_train_budget_now) */
    double tstart, wall0;
    double t_eval_probe; /* the probe's seconds per validation batch */
    int resize;          /* a budget-sized schedule, re-sized after every epoch by that epoch's time */
    int use_ema, stepwise, rank, nranks;
    char fp[256]; /* snf_train_fingerprint */
} snf_run;

/* Data, splits, normalisation (the checkpoint's when resuming). */
static int snf_run_data(snf_run *r, const snf_ckpt *old, int have_old)
{
    const snf_train_config *cfg = r->cfg;
    snf_train_summary *sum = r->sum;
    SNF_CHECK(snf_data_open(&r->d, cfg->data_file, &cfg->spec, cfg->block_rows));
    long n = 0;
    SNF_CHECK(snf_data_usable_rows(r->d, &r->rows, &n, &sum->n_skipped));
    if (n < 2) {
        SNF_ERROR(SNF_EINVAL, "%s has %ld usable rows (status >= 0 and positive parameters): nothing to train on",
                  cfg->data_file, n);
    }
    snf_split_rows(cfg, r->rows, n, &sum->n_train, &sum->n_val, &sum->n_test, &r->tr, &r->va, &r->te);
    if (have_old && (old->n_train != sum->n_train || old->n_val != sum->n_val || old->n_test != sum->n_test)) {
        SNF_ERROR(SNF_EINVAL, "%s was trained on %ld/%ld/%ld train/validation/test rows, but %s now gives "
                  "%ld/%ld/%ld: the data file changed", cfg->model_path, old->n_train, old->n_val, old->n_test,
                  cfg->data_file, sum->n_train, sum->n_val, sum->n_test);
    }
    if (have_old) {
        r->norm = old->norm;
        return SNF_OK;
    }
    return snf_data_fit_norm(r->d, r->tr, sum->n_train, &r->norm);
}

/* Network, buffers, weight EMA and the optimiser's starting state. */
static int snf_run_network(snf_run *r)
{
    const snf_train_config *cfg = r->cfg;
    r->ncfg = cfg->net;
    SNF_CHECK(snf_net_alloc(&r->net, &r->ncfg));
    snf_net *net = r->net;
    snf_net_init(net, cfg->seed);
    net->dropout_seed = cfg->seed;
    const size_t NS = net->nstats ? net->nstats : 1;
    r->best_p = malloc(net->nparams * sizeof *r->best_p);
    r->best_s = malloc(NS * sizeof *r->best_s);
    r->hist = malloc((size_t)(cfg->epochs > 0 ? cfg->epochs : 1) * sizeof *r->hist);
    r->CL = (size_t)r->ncfg.C_in * r->ncfg.T;
    r->x = malloc((size_t)cfg->batch * r->CL * sizeof *r->x);
    r->y = malloc((size_t)cfg->batch * SNF_DATA_NP * sizeof *r->y);
    r->brows = malloc((size_t)cfg->batch * sizeof *r->brows);
    if (!r->best_p || !r->best_s || !r->hist || !r->x || !r->y || !r->brows) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for the network state");
    }
    r->use_ema = cfg->ema > 0.0f;
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
    r->sched = cfg->sched;
    r->sched.lr = cfg->adam.lr;
    r->sched.total = 0;
    r->stepwise = r->sched.kind != SNF_SCHED_PLATEAU;
    memcpy(r->best_p, net->params, net->nparams * sizeof *r->best_p);
    memcpy(r->best_s, net->bn_stats, net->nstats * sizeof *r->best_s);
    r->lr = cfg->adam.lr;
    r->plateau = cfg->plateau;
    r->plateau.best = INFINITY;
    r->plateau.wait = r->plateau.cooldown_left = 0;
    r->es = snf_earlystop_default(cfg->es_patience > 0 ? cfg->es_patience : INT_MAX, cfg->es_min_delta);
    return SNF_OK;
}

/* The killed run's state back from its checkpoint. */
static int snf_run_resume(snf_run *r, const snf_ckpt *old)
{
    snf_net *net = r->net;
    const char *mpath = r->cfg->model_path;
    if (old->nparams != net->nparams || old->nstats != net->nstats) {
        SNF_ERROR(SNF_EINVAL, "%s: its network does not match the config's", mpath);
    }
    r->n_hist = snf_train_resume(net, r->best_p, r->best_s, r->hist, r->cfg->epochs, old);
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

/* The checkpoint's views of the run's state and its description of the data. */
static void snf_run_bind(snf_run *r)
{
    const snf_train_config *cfg = r->cfg;
    snf_ckpt *ck = &r->ck;
    snf_train_ckpt_bind(ck, r->net, &r->ncfg, &cfg->spec, &r->norm, r->best_p, r->best_s, r->hist, cfg->seed,
                        r->opt->threads);
    ck->ema_params = r->ema_p;
    ck->ema_stats = r->ema_s;
    ck->n_train = r->sum->n_train;
    ck->n_val = r->sum->n_val;
    ck->n_test = r->sum->n_test;
    ck->config_text = cfg->text;
    snprintf(ck->data_file, sizeof ck->data_file, "%s", snf_data_path(r->d));
    snprintf(ck->data_source, sizeof ck->data_source, "%s", snf_data_source(r->d));
    snprintf(ck->data_created, sizeof ck->data_created, "%s", snf_data_created(r->d));
    snprintf(ck->fingerprint, sizeof ck->fingerprint, "%s", r->fp);
}

/* The schedule's length: every epoch's steps, or the steps that fit in the time budget (an epoch costs its
 * training steps plus its validation batches; the final scoring of the validation and test rows is kept
 * aside; 3% margin for a busy machine). Fixed here and kept in the checkpoint. */
static int snf_run_schedule(snf_run *r)
{
    const snf_train_config *cfg = r->cfg;
    const snf_train_options *opt = r->opt;
    long all = (long)cfg->epochs * r->nbatches;
    r->sched.total = all;
    if (opt->max_wall_s <= 0) {
        return SNF_OK;
    }
    double t_step = 0, t_eval = 0;
    SNF_CHECK(snf_train_probe_step(r->net, r->btr, r->x, r->y, r->gather, opt, &t_step, &t_eval));
    double vb = ceil((double)r->sum->n_val / cfg->batch), tb = ceil((double)r->sum->n_test / cfg->batch);
    double t_epoch = (double)r->nbatches * t_step + vb * t_eval;
    double left = opt->max_wall_s - (snf_train_budget_now(opt) - r->tb0) - (vb + tb) * t_eval;
    double fit = 0.97 * left / t_epoch * (double)r->nbatches;
    snf_dist_bcast_doubles(&fit, 1); /* rank 0's clock sizes the schedule of every rank */
    r->sched.total = fit < 1 ? 1 : (fit < (double)all ? (long)fit : all);
    r->resize = r->sched.total < all; /* re-sized after every epoch by its own time (snf_run_resize) */
    r->t_eval_probe = t_eval;
    if (opt->log && !opt->quiet) {
        fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the %.0f s budget (%.1f ms a step, "
                          "%.1f ms a validation batch, measured)\n", r->sched.total,
                (double)r->sched.total / (double)r->nbatches, opt->max_wall_s, 1e3 * t_step, 1e3 * t_eval);
    }
    return SNF_OK;
}

/* One optimiser step on the batch x, y of nb rows (batch bi of the epoch): forward and backward (this rank's
 * share under MPI), the gradient sum and clipping, Adam at the scheduled rate (*lr_step) and the weight EMA.
 * *loss: the global batch loss. */
static int snf_run_step(snf_run *r, int nb, long bi, float *loss, float *lr_step)
{
    const snf_train_config *cfg = r->cfg;
    snf_net *net = r->net;
    float l = 0;
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
    SNF_CHECK(snf_net_forward(net, r->x + (size_t)lo * r->CL, r->y + (size_t)lo * SNF_DATA_NP, hi - lo, 1, &l));
    if (shard) { /* the global batch loss, identical on every rank */
        double part = (double)l * (hi - lo);
        snf_dist_sum_doubles(&part, 1);
        l = (float)(part / nb);
    }
    if (!isfinite(l)) {
        SNF_ERROR(SNF_ENONFINITE, "training loss is %g at epoch %ld batch %ld (lower [train] lr?)", (double)l,
                  r->epoch + 1, bi + 1);
    }
    int rc = snf_net_backward(net);
    snf_bn_set_reduce(NULL, NULL);
    net->grad_scale = 1.0f;
    if (rc < 0) {
        return rc;
    }
    if (shard) {
        snf_dist_sum_floats(net->grads, net->nparams, r->gather);
    }
    if (cfg->clip_norm > 0.0f) {
        snf_grad_clip(net->grads, net->nparams, cfg->clip_norm);
    }
    snf_adam_config ac = cfg->adam;
    *lr_step = r->stepwise ? snf_lr_schedule_at(&r->sched, net->adam_t) : r->lr;
    ac.lr = *lr_step;
    snf_net_adam_step(net, &ac);
    if (r->use_ema) {
        float de = snf_ema_update(r->ema_p, net->params, net->nparams, cfg->ema, net->adam_t);
        for (size_t j = 0; j < net->nstats; j++) { /* BN statistics averaged alike (see train_small.ini) */
            r->ema_s[j] = de * r->ema_s[j] + (1.0f - de) * net->bn_stats[j];
        }
    }
    *loss = l;
    return SNF_OK;
}

/* The training batches of one epoch: the seeded shuffle, the rows drawn as observations ([observe]) and the
 * augmentation, a step per batch, the progress
 * line. *train_loss: the epoch's mean; *lr_step: the last step's rate; *sched_done: the schedule ended. */
static int snf_run_epoch(snf_run *r, double *train_loss, float *lr_step, int *sched_done)
{
    const snf_train_config *cfg = r->cfg;
    const long epoch = r->epoch;
    SNF_CHECK(snf_batcher_start(r->btr, epoch));
    double se = 0;
    long seen = 0, bi = 0;
    int nb, rc;
    *lr_step = r->lr;
    const int observe = snf_obs_aug_active(&cfg->obs);
    while ((rc = snf_batcher_next(r->btr, r->x, r->y, r->brows, &nb)) > 0) {
        if (observe) { /* each row as a real observation would give it, keyed by (seed, epoch, file row) */
            SNF_CHECK(snf_data_observe(r->x, nb, r->brows, &cfg->spec, &r->norm, &cfg->obs, cfg->seed, epoch));
            r->sum->rows_observed += nb;
        }
        snf_rng ar = snf_rng_seed(cfg->seed ^ (0xA24BAED4963EE407ULL * (uint64_t)(epoch + 1)) ^
                                  (0x9FB21C651E98DF25ULL * (uint64_t)(bi + 1)));
        snf_data_augment(r->x, nb, &cfg->spec, &cfg->aug, &ar);
        float l = 0;
        SNF_CHECK(snf_run_step(r, nb, bi, &l, lr_step));
        se += (double)l * nb;
        seen += nb;
        bi++;
        if (r->opt->progress) {
            fprintf(r->opt->progress, "\rsnforge train: epoch %ld/%d batch %ld/%ld loss %.4f   ", epoch + 1,
                    cfg->epochs, bi, r->nbatches, se / (double)seen);
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
 * stopping and the best weights, the history record and the log line. *stop: early stopping says stop. */
static int snf_run_epoch_end(snf_run *r, double train_loss, float lr_used, int *stop)
{
    const snf_train_config *cfg = r->cfg;
    const snf_train_options *opt = r->opt;
    snf_train_summary *sum = r->sum;
    snf_net *net = r->net;
    double val_loss = NAN;
    snf_metrics vm, vb;
    if (r->use_ema) {
        snf_swap_weights(net, r->live_p, r->live_s, r->ema_p, r->ema_s);
    }
    int rc = snf_train_score(net, r->bva, sum->n_val, &r->norm, r->x, r->y, &val_loss, &vm, &vb);
    if (r->use_ema) {
        snf_swap_weights(net, r->live_p, r->live_s, NULL, NULL);
    }
    if (rc < 0) {
        return rc;
    }
    if (!r->stepwise) {
        r->lr = snf_plateau_update(&r->plateau, (float)train_loss, r->lr);
    }
    /* Early stopping and best weights on the validation loss (the training loss without a validation set). */
    double monitor = sum->n_val > 0 ? val_loss : train_loss;
    *stop = snf_train_track_best(&r->es, monitor, r->epoch, net, r->use_ema ? r->ema_p : net->params,
                                 r->use_ema ? r->ema_s : net->bn_stats, r->best_p, r->best_s);
    if (r->es.best_epoch == r->epoch) {
        sum->val = vm;
        sum->val_baseline = vb;
    }
    snf_epoch_record *h = &r->hist[r->n_hist++];
    snf_train_record(h, r->epoch, train_loss, val_loss, lr_used, &vm);
    h->wall_s = r->wall0 + (snf_clock_s() - r->tstart);
    r->epoch++;
    sum->epochs_run++;
    if (opt->progress) {
        fprintf(opt->progress, "\r\033[K");
    }
    if (opt->log && !opt->quiet) {
        fprintf(opt->log, "epoch %ld/%d: train loss %.5f, val loss %.5f, val MAPE E %.1f%% M %.1f%% R %.1f%% "
                          "Ni %.1f%%, lr %.3g%s\n", r->epoch, cfg->epochs, train_loss, val_loss, vm.mape[0],
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
 * the rate moves by the difference of the two schedules at this step. Kept in the checkpoint. */
static void snf_run_resize(snf_run *r, double te0)
{
    const snf_train_config *cfg = r->cfg;
    const snf_train_options *opt = r->opt;
    const snf_net *net = r->net;
    const long nbatches = r->nbatches;
    double tb = ceil((double)r->sum->n_test / cfg->batch);
    double left = opt->max_wall_s - (snf_train_budget_now(opt) - r->tb0) - tb * r->t_eval_probe;
    double fit = (double)net->adam_t + 0.97 * left / (snf_train_budget_now(opt) - te0) * (double)nbatches;
    snf_dist_bcast_doubles(&fit, 1);
    long all = (long)cfg->epochs * nbatches;
    long was = r->sched.total;
    r->sched.total = fit < (double)net->adam_t + 1 ? net->adam_t + 1 : (fit < (double)all ? (long)fit : all);
    r->ck.sched_total = r->sched.total;
    if (opt->log && !opt->quiet && labs(r->sched.total - was) * 200 > was) { /* changes above 0.5% */
        double ms = 1e3 * (snf_train_budget_now(opt) - te0) / (double)nbatches;
        fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the budget by the last epoch's time "
                          "(%.1f ms a step with validation; it was %ld)\n", r->sched.total,
                (double)r->sched.total / (double)nbatches, ms, was);
    }
}

/* 1 (and the reason in the summary) if the run ends here: early stopping, the last epoch, the end of the
 * schedule, or (te0 != NULL: after an epoch that started at *te0) a time budget the next epoch would overrun
 * (the next epoch costs the last one's time, or its share when the schedule ends within it; rank 0's clock
 * decides for all). */
static int snf_run_done(snf_run *r, int stop, int sched_done, const double *te0)
{
    const snf_train_options *opt = r->opt;
    snf_train_summary *sum = r->sum;
    const char *why = NULL;
    if (stop) {
        why = "early stopping";
    } else if (r->epoch >= r->cfg->epochs) {
        why = "epochs";
    } else if (sched_done) {
        why = "schedule";
    } else if (te0 && opt->max_wall_s > 0) {
        double frac = 1.0;
        if (r->stepwise && r->sched.total - r->net->adam_t < r->nbatches) {
            frac = (double)(r->sched.total - r->net->adam_t) / (double)r->nbatches;
        }
        double now = snf_train_budget_now(opt);
        double over = (now - r->tb0) + frac * (now - *te0) > opt->max_wall_s;
        snf_dist_bcast_doubles(&over, 1);
        why = over > 0 ? "time budget" : NULL;
    }
    if (why) {
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", why);
    }
    return why != NULL;
}

/* Best weights restored; the test rows scored with them; the final write marks the model finished. The state
 * written is the best one's, so the file is self-consistent (current = best). */
static int snf_run_finish(snf_run *r)
{
    const snf_train_config *cfg = r->cfg;
    snf_train_summary *sum = r->sum;
    snf_train_restore_best(r->net, r->best_p, r->best_s);
    SNF_CHECK(snf_batcher_alloc(&r->bte, r->d, &r->norm, r->te, sum->n_test, cfg->batch, cfg->max_rows, 0, 0));
    double tl;
    SNF_CHECK(snf_train_score(r->net, r->bte, sum->n_test, &r->norm, r->x, r->y, &tl, &sum->test, &sum->test_baseline));
    if (sum->n_val > 0) {
        double vl;
        SNF_CHECK(snf_train_score(r->net, r->bva, sum->n_val, &r->norm, r->x, r->y, &vl, &sum->val,
                                  &sum->val_baseline));
    }
    r->ck.test = sum->test;
    r->ck.test_baseline = sum->test_baseline;
    r->ck.finished = 1;
    snprintf(r->ck.stop_reason, sizeof r->ck.stop_reason, "%s", sum->stop_reason);
    snf_train_ckpt_capture(&r->ck, r->net, r->epoch, r->lr, &r->plateau, &r->es, r->n_hist);
    SNF_CHECK(r->rank == 0 ? snf_ckpt_write(cfg->model_path, &r->ck) : SNF_OK);
    sum->finished = 1;
    return SNF_OK;
}

int snf_train_run(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum)
{
    snf_run r;
    memset(&r, 0, sizeof r);
    r.cfg = cfg;
    r.opt = opt;
    r.sum = sum;
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    memset(sum, 0, sizeof *sum);
    r.t0 = snf_clock_s();
    r.tb0 = snf_train_budget_now(opt);
    const char *mpath = cfg->model_path;

    /* An existing model file: finished (nothing to do), resumable, or another run's. */
    int have_old = 0;
    int rc = snf_train_probe_old(&old, &have_old, mpath, cfg->text, "remove it or choose another output",
                                 "holds a model trained with a different config; remove it or choose another "
                                 "output (-o)");
    if (rc >= 0) {
        rc = snf_train_fingerprint(cfg->data_file, r.fp, sizeof r.fp);
    }
    if (rc >= 0 && have_old) {
        rc = snf_train_check_fingerprint(mpath, &old, r.fp);
    }
    if (rc < 0) {
        goto cleanup;
    }
    if (have_old && old.finished) {
        snf_train_summary_finished(sum, &old);
        goto cleanup;
    }
    sum->resumed = have_old;

    if ((rc = snf_run_data(&r, &old, have_old)) < 0 || (rc = snf_run_network(&r)) < 0 ||
        (have_old && (rc = snf_run_resume(&r, &old)) < 0)) {
        goto cleanup;
    }
    rc = snf_batcher_alloc(&r.btr, r.d, &r.norm, r.tr, sum->n_train, cfg->batch, cfg->max_rows, 1, cfg->seed);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_batcher_alloc(&r.bva, r.d, &r.norm, r.va, sum->n_val, cfg->batch, cfg->max_rows, 0, 0);
    if (rc < 0) {
        goto cleanup;
    }
    snf_run_bind(&r);
    r.nbatches = snf_batcher_nbatches(r.btr);
    if (r.stepwise && !have_old && (rc = snf_run_schedule(&r)) < 0) {
        goto cleanup;
    }
    r.ck.sched_total = r.sched.total;
    r.tstart = snf_clock_s();

    /* A run resumed after its last epoch but before the final write (cannot happen with one write per epoch,
     * but an epochs value lowered by hand would) finishes at once. */
    int done = snf_run_done(&r, r.es.wait >= r.es.patience, r.stepwise && r.net->adam_t >= r.sched.total, NULL);
    while (!done) {
        double te0 = snf_train_budget_now(opt);
        double train_loss = 0;
        float lr_step = r.lr;
        int sched_done = 0, stop = 0;
        if ((rc = snf_run_epoch(&r, &train_loss, &lr_step, &sched_done)) < 0 ||
            (rc = snf_run_epoch_end(&r, train_loss, lr_step, &stop)) < 0) {
            goto cleanup;
        }
        if (r.resize && !sched_done) {
            snf_run_resize(&r, te0);
        }
        done = snf_run_done(&r, stop, sched_done, &te0);
        if (!done) {
            snf_train_ckpt_capture(&r.ck, r.net, r.epoch, r.lr, &r.plateau, &r.es, r.n_hist);
            rc = r.rank == 0 ? snf_ckpt_write(mpath, &r.ck) : SNF_OK; /* every rank holds the same state */
            if (rc < 0) {
                goto cleanup;
            }
            if (opt->stop_after > 0 && sum->epochs_run >= opt->stop_after) {
                sum->stopped = 1;
                break;
            }
        }
    }
    if (done && (rc = snf_run_finish(&r)) < 0) {
        goto cleanup;
    }
    sum->epoch = r.epoch;
    sum->best_epoch = r.es.best_epoch;
    sum->best_val_loss = r.es.best;
    rc = SNF_OK;
cleanup:
    sum->wall_s = snf_clock_s() - r.t0;
    snf_batcher_free(r.btr);
    snf_batcher_free(r.bva);
    snf_batcher_free(r.bte);
    snf_net_free(r.net);
    snf_data_close(r.d);
    free(r.rows);
    free(r.brows);
    free(r.hist);
    float *bufs[] = {r.x, r.y, r.best_p, r.best_s, r.ema_p, r.ema_s, r.live_p, r.live_s, r.gather};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++) {
        free(bufs[k]);
    }
    snf_ckpt_free(&old);
    return rc;
}
