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
 * Under MPI (learn/dist.c) every rank loads the data and draws the same global batches; each computes
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

/* ---- static helpers ---- */

static double snf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The clock a time budget is counted on (snf_train_options.budget_cpu): wall seconds, or the process's
 * CPU seconds divided by its threads. */
static double snf_budget_now(const snf_train_options *opt)
{
    if (!opt->budget_cpu) {
        return snf_now();
    }
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ((double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec) / (double)(opt->threads > 0 ? opt->threads : 1);
}

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

/* Eval-mode pass over a batcher: the mean standardised MSE (*loss) and physical truth / predictions
 * [n][4] (either may be NULL). */
static int snf_eval_set(snf_it *net, snf_batcher *b, const snf_norm *norm, float *x, float *y, double *loss,
                        double *truth, double *pred)
{
    int rc = snf_batcher_start(b, 0);
    double se = 0;
    long n = 0;
    int nb;
    while ((rc = snf_batcher_next(b, x, y, NULL, &nb)) > 0) {
        float l = 0;
        rc = snf_it_forward(net, x, y, nb, 0, &l);
        if (rc < 0) {
            return rc;
        }
        se += (double)l * nb;
        const float *p = snf_it_pred(net);
        for (int k = 0; k < nb; k++) {
            if (truth) {
                snf_data_decode_targets(truth + (size_t)(n + k) * SNF_DATA_NP, y + (size_t)k * SNF_DATA_NP, norm);
            }
            if (pred) {
                snf_data_decode_targets(pred + (size_t)(n + k) * SNF_DATA_NP, p + (size_t)k * net->cfg.n_out, norm); /* the means */
            }
        }
        n += nb;
    }
    if (rc < 0) {
        return rc;
    }
    *loss = n > 0 ? se / (double)n : NAN;
    return SNF_OK;
}

/* Metrics of the network and of predict-the-training-mean on a row set. */
static int snf_score(snf_it *net, snf_batcher *b, long n, const snf_norm *norm, float *x, float *y,
                     double *loss, snf_metrics *m, snf_metrics *base)
{
    memset(m, 0, sizeof *m);
    memset(base, 0, sizeof *base);
    *loss = NAN;
    if (n == 0) {
        return SNF_OK;
    }
    int rc = SNF_OK;
    double *truth = malloc((size_t)n * SNF_DATA_NP * sizeof *truth);
    double *pred = malloc((size_t)n * SNF_DATA_NP * sizeof *pred);
    if (!truth || !pred) {
        SNF_FAIL(SNF_ENOMEM, "out of memory scoring %ld rows", n);
    }
    rc = snf_eval_set(net, b, norm, x, y, loss, truth, pred);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_metrics_compute(m, truth, pred, n);
    if (rc < 0) {
        goto cleanup;
    }
    float zero[SNF_DATA_NP] = {0};
    double mean[SNF_DATA_NP];
    snf_data_decode_targets(mean, zero, norm);
    for (long i = 0; i < n; i++) {
        memcpy(pred + i * SNF_DATA_NP, mean, sizeof mean);
    }
    rc = snf_metrics_compute(base, truth, pred, n);
cleanup:
    free(truth);
    free(pred);
    return rc;
}

/* Seconds per training step (forward + backward, and under MPI this rank's share with synchronised BN
 * and the gradient sum over the ranks) and per evaluation batch, timed on the first training batch (one
 * untimed call, then three timed); the weights are not stepped and the BN running statistics, gradients
 * and forward counter are restored, so the run that follows is the same as without the probe. */
static int snf_probe_step(snf_it *net, snf_batcher *b, float *x, float *y, float *gather,
                          const snf_train_options *opt, double *t_step, double *t_eval)
{
    int rank, nranks;
    snf_dist_info(&rank, &nranks);
    float *keep = malloc((net->nstats ? net->nstats : 1) * sizeof *keep);
    if (!keep) {
        SNF_ERROR(SNF_ENOMEM, "out of memory timing a training step");
    }
    memcpy(keep, net->bn_stats, net->nstats * sizeof *keep);
    uint64_t step = net->step;
    int nb = 0, rc = snf_batcher_start(b, 0);
    if (rc >= 0) {
        rc = snf_batcher_next(b, x, y, NULL, &nb);
    }
    double ts = 0, tv = 0;
    int shard = nranks > 1 && nb >= nranks;
    int lo = shard ? (int)((long)nb * rank / nranks) : 0, hi = shard ? (int)((long)nb * (rank + 1) / nranks) : nb;
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    for (int i = 0; rc > 0 && i < 4; i++) {
        double a = snf_budget_now(opt);
        snf_it_zero_grad(net);
        snf_bn_set_reduce(shard ? snf_dist_bn_reduce : NULL, NULL);
        rc = snf_it_forward(net, x + lo * CL, y + (size_t)lo * SNF_DATA_NP, hi - lo, 1, NULL);
        rc = rc < 0 ? rc : snf_it_backward(net);
        snf_bn_set_reduce(NULL, NULL);
        if (rc >= 0 && shard) {
            snf_dist_sum_floats(net->grads, net->nparams, gather);
        }
        rc = rc < 0 ? rc : 1;
        ts += i > 0 ? snf_budget_now(opt) - a : 0;
    }
    for (int i = 0; rc > 0 && i < 4; i++) {
        double a = snf_budget_now(opt);
        rc = snf_it_forward(net, x, NULL, nb, 0, NULL);
        rc = rc < 0 ? rc : 1;
        tv += i > 0 ? snf_budget_now(opt) - a : 0;
    }
    memcpy(net->bn_stats, keep, net->nstats * sizeof *keep);
    net->step = step;
    snf_it_zero_grad(net);
    free(keep);
    if (rc < 0) {
        return rc;
    }
    int rs = snf_batcher_start(b, 0);
    if (rs < 0) {
        return rs;
    }
    *t_step = ts / 3.0;
    *t_eval = tv / 3.0;
    return SNF_OK;
}

/* Puts (p, s) into the network, saving its own into (keep_p, keep_s), or back (p = NULL). */
static void snf_swap_weights(snf_it *net, float *keep_p, float *keep_s, const float *p, const float *s)
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

/* The loop's resumable state into the checkpoint (its slabs alias the network's). */
static void snf_ckpt_capture(snf_ckpt *ck, const snf_it *net, long epoch, float lr, const snf_plateau *plateau,
                             const snf_earlystop *es, long n_hist)
{
    ck->epoch = epoch;
    ck->lr = lr;
    ck->plateau = *plateau;
    ck->es = *es;
    ck->adam_t = net->adam_t;
    ck->step = net->step;
    memcpy(ck->lr_mult, net->lr_mult, sizeof ck->lr_mult);
    ck->n_hist = n_hist;
}

int snf_train_run(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum)
{
    int rc = SNF_OK;
    snf_data *d = NULL;
    snf_it *net = NULL;
    snf_batcher *btr = NULL, *bva = NULL, *bte = NULL;
    long *rows = NULL, *tr = NULL, *va = NULL, *te = NULL;
    float *x = NULL, *y = NULL, *best_p = NULL, *best_s = NULL;
    float *ema_p = NULL, *ema_s = NULL, *live_p = NULL, *live_s = NULL, *gather = NULL;
    snf_epoch_record *hist = NULL;
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    memset(sum, 0, sizeof *sum);
    double t0 = snf_now(), tb0 = snf_budget_now(opt); /* wall start; the budget's clock at the start */
    const char *mpath = cfg->model_path;

    /* An existing model file: finished (nothing to do), resumable, or another run's. */
    FILE *probe = fopen(mpath, "rb");
    int have_old = probe != NULL;
    if (probe) {
        fclose(probe);
        rc = snf_ckpt_read(&old, mpath);
        if (rc < 0) {
            SNF_FAIL(SNF_EINVAL, "%s exists and is not a readable snforge model (%s); remove it or choose another "
                     "output", mpath, snf_error_last_message());
        }
        if (strcmp(old.config_text ? old.config_text : "", cfg->text ? cfg->text : "") != 0) {
            SNF_FAIL(SNF_EINVAL, "%s holds a model trained with a different config; remove it or choose another "
                     "output (-o)", mpath);
        }
        if (old.finished) {
            sum->already_finished = 1;
            sum->finished = 1;
            sum->epoch = old.epoch;
            sum->best_epoch = old.es.best_epoch;
            sum->best_val_loss = old.es.best;
            sum->n_train = old.n_train;
            sum->n_val = old.n_val;
            sum->n_test = old.n_test;
            sum->test = old.test;
            sum->test_baseline = old.test_baseline;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", old.stop_reason);
            goto cleanup;
        }
        sum->resumed = 1;
    }

    /* Data, splits, normalisation. */
    rc = snf_data_open(&d, cfg->data_file, &cfg->spec, cfg->block_rows);
    if (rc < 0) {
        goto cleanup;
    }
    long n = 0;
    rc = snf_data_usable_rows(d, &rows, &n, &sum->n_skipped);
    if (rc < 0) {
        goto cleanup;
    }
    if (n < 2) {
        SNF_FAIL(SNF_EINVAL, "%s has %ld usable rows (status >= 0 and positive parameters): nothing to train on",
                 cfg->data_file, n);
    }
    snf_split_rows(cfg, rows, n, &sum->n_train, &sum->n_val, &sum->n_test, &tr, &va, &te);
    if (have_old && (old.n_train != sum->n_train || old.n_val != sum->n_val || old.n_test != sum->n_test)) {
        SNF_FAIL(SNF_EINVAL, "%s was trained on %ld/%ld/%ld train/validation/test rows, but %s now gives %ld/%ld/%ld: "
                 "the data file changed", mpath, old.n_train, old.n_val, old.n_test, cfg->data_file, sum->n_train,
                 sum->n_val, sum->n_test);
    }
    snf_norm norm;
    if (have_old) {
        norm = old.norm;
    } else {
        rc = snf_data_fit_norm(d, tr, sum->n_train, &norm);
        if (rc < 0) {
            goto cleanup;
        }
    }

    /* Network and optimiser state. */
    snf_it_config ncfg = cfg->net;
    rc = snf_it_alloc(&net, &ncfg);
    if (rc < 0) {
        goto cleanup;
    }
    snf_it_init(net, cfg->seed);
    net->dropout_seed = cfg->seed;
    best_p = malloc(net->nparams * sizeof *best_p);
    best_s = malloc((net->nstats ? net->nstats : 1) * sizeof *best_s);
    hist = malloc((size_t)(cfg->epochs > 0 ? cfg->epochs : 1) * sizeof *hist);
    const size_t CL = (size_t)ncfg.C_in * ncfg.T;
    x = malloc((size_t)cfg->batch * CL * sizeof *x);
    y = malloc((size_t)cfg->batch * SNF_DATA_NP * sizeof *y);
    if (!best_p || !best_s || !hist || !x || !y) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for the network state");
    }
    const int use_ema = cfg->ema > 0.0f;
    int rank = 0, nranks = 1;
    snf_dist_info(&rank, &nranks);
    if (nranks > 1) {
        gather = malloc(net->nparams * (size_t)nranks * sizeof *gather);
        if (!gather) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for the gradients of %d ranks", nranks);
        }
    }
    if (use_ema) {
        ema_p = malloc(net->nparams * sizeof *ema_p);
        live_p = malloc(net->nparams * sizeof *live_p);
        ema_s = malloc((net->nstats ? net->nstats : 1) * sizeof *ema_s);
        live_s = malloc((net->nstats ? net->nstats : 1) * sizeof *live_s);
        if (!ema_p || !live_p || !ema_s || !live_s) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for the weight EMA");
        }
        memcpy(ema_p, net->params, net->nparams * sizeof *ema_p);
        memcpy(ema_s, net->bn_stats, net->nstats * sizeof *ema_s);
    }
    snf_lr_schedule sched = cfg->sched;
    sched.lr = cfg->adam.lr;
    sched.total = 0;
    const int stepwise = sched.kind != SNF_SCHED_PLATEAU;
    memcpy(best_p, net->params, net->nparams * sizeof *best_p);
    memcpy(best_s, net->bn_stats, net->nstats * sizeof *best_s);
    float lr = cfg->adam.lr;
    snf_plateau plateau = cfg->plateau;
    plateau.best = INFINITY;
    plateau.wait = plateau.cooldown_left = 0;
    snf_earlystop es = snf_earlystop_default(cfg->es_patience > 0 ? cfg->es_patience : INT_MAX, cfg->es_min_delta);
    long epoch = 0, n_hist = 0;
    double wall0 = 0;
    if (have_old) {
        if (old.nparams != net->nparams || old.nstats != net->nstats) {
            SNF_FAIL(SNF_EINVAL, "%s: its network does not match the config's", mpath);
        }
        memcpy(net->params, old.params, net->nparams * sizeof(float));
        memcpy(net->adam_m, old.adam_m, net->nparams * sizeof(float));
        memcpy(net->adam_v, old.adam_v, net->nparams * sizeof(float));
        memcpy(net->bn_stats, old.bn_stats, net->nstats * sizeof(float));
        memcpy(net->lr_mult, old.lr_mult, (size_t)net->ntensors * sizeof(float));
        memcpy(best_p, old.best_params, net->nparams * sizeof(float));
        memcpy(best_s, old.best_stats, net->nstats * sizeof(float));
        if (use_ema) {
            if (!old.ema_params || !old.ema_stats) {
                SNF_FAIL(SNF_EINVAL, "%s has no weight EMA although the config asks for one", mpath);
            }
            memcpy(ema_p, old.ema_params, net->nparams * sizeof(float));
            memcpy(ema_s, old.ema_stats, net->nstats * sizeof(float));
        }
        sched.total = old.sched_total;
        if (stepwise && sched.total < 1) {
            SNF_FAIL(SNF_EINVAL, "%s has no schedule length although the config asks for a step schedule", mpath);
        }
        net->adam_t = old.adam_t;
        net->step = old.step;
        lr = old.lr;
        plateau = old.plateau;
        es = old.es;
        epoch = old.epoch;
        n_hist = old.n_hist < cfg->epochs ? old.n_hist : cfg->epochs;
        memcpy(hist, old.hist, (size_t)n_hist * sizeof *hist);
        wall0 = n_hist > 0 ? hist[n_hist - 1].wall_s : 0;
    }

    rc = snf_batcher_alloc(&btr, d, &norm, tr, sum->n_train, cfg->batch, cfg->max_rows, 1, cfg->seed);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_batcher_alloc(&bva, d, &norm, va, sum->n_val, cfg->batch, cfg->max_rows, 0, 0);
    if (rc < 0) {
        goto cleanup;
    }

    snf_ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.net = ncfg;
    ck.spec = cfg->spec;
    ck.norm = norm;
    ck.ntensors = net->ntensors;
    memcpy(ck.sizes, net->sizes, sizeof ck.sizes);
    ck.nparams = net->nparams;
    ck.nstats = net->nstats;
    ck.params = net->params;
    ck.adam_m = net->adam_m;
    ck.adam_v = net->adam_v;
    ck.bn_stats = net->bn_stats;
    ck.best_params = best_p;
    ck.best_stats = best_s;
    ck.ema_params = ema_p;
    ck.ema_stats = ema_s;
    ck.seed = cfg->seed;
    ck.hist = hist;
    ck.n_train = sum->n_train;
    ck.n_val = sum->n_val;
    ck.n_test = sum->n_test;
    ck.config_text = cfg->text;
    snprintf(ck.data_file, sizeof ck.data_file, "%s", snf_data_path(d));
    snprintf(ck.data_source, sizeof ck.data_source, "%s", snf_data_source(d));
    snprintf(ck.data_created, sizeof ck.data_created, "%s", snf_data_created(d));
    ck.threads = opt->threads;

    int done = 0, sched_done = 0, resize = 0;
    double t_eval_probe = 0;
    const long nbatches = snf_batcher_nbatches(btr);
    if (stepwise && !have_old) {
        /* The schedule's length: every epoch's steps, or the steps that fit in the time budget (an epoch
         * costs its training steps plus its validation batches; the final scoring of the validation and
         * test rows is kept aside; 3% margin for a busy machine). Fixed here and kept in the checkpoint. */
        long all = (long)cfg->epochs * nbatches;
        sched.total = all;
        if (opt->max_wall_s > 0) {
            double t_step = 0, t_eval = 0;
            rc = snf_probe_step(net, btr, x, y, gather, opt, &t_step, &t_eval);
            if (rc < 0) {
                goto cleanup;
            }
            double vb = ceil((double)sum->n_val / cfg->batch), tb = ceil((double)sum->n_test / cfg->batch);
            double t_epoch = (double)nbatches * t_step + vb * t_eval;
            double left = opt->max_wall_s - (snf_budget_now(opt) - tb0) - (vb + tb) * t_eval;
            double fit = 0.97 * left / t_epoch * (double)nbatches;
            snf_dist_bcast_doubles(&fit, 1); /* rank 0's clock sizes the schedule of every rank */
            sched.total = fit < 1 ? 1 : (fit < (double)all ? (long)fit : all);
            resize = sched.total < all; /* re-sized once from the first epoch's own time (below) */
            t_eval_probe = t_eval;
            if (opt->log && !opt->quiet) {
                fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the %.0f s budget (%.1f ms a step, "
                                  "%.1f ms a validation batch, measured)\n", sched.total,
                        (double)sched.total / (double)nbatches, opt->max_wall_s, 1e3 * t_step, 1e3 * t_eval);
            }
        }
    }
    ck.sched_total = sched.total;
    double tstart = snf_now();
    /* A run resumed after its last epoch but before the final write (cannot happen with one write per
     * epoch, but an epochs value lowered by hand would) finishes at once. */
    if (epoch >= cfg->epochs) {
        done = 1;
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "epochs");
    }
    if (es.wait >= es.patience) {
        done = 1;
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "early stopping");
    }
    if (!done && stepwise && net->adam_t >= sched.total) {
        done = 1;
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "schedule");
    }
    while (!done) {
        double te0 = snf_budget_now(opt);
        rc = snf_batcher_start(btr, epoch);
        if (rc < 0) {
            goto cleanup;
        }
        double se = 0;
        long seen = 0, bi = 0;
        int nb;
        float lr_step = lr;
        while ((rc = snf_batcher_next(btr, x, y, NULL, &nb)) > 0) {
            snf_rng ar = snf_rng_seed(cfg->seed ^ (0xA24BAED4963EE407ULL * (uint64_t)(epoch + 1)) ^
                                      (0x9FB21C651E98DF25ULL * (uint64_t)(bi + 1)));
            snf_data_augment(x, nb, &cfg->spec, &cfg->aug, &ar);
            float l = 0;
            snf_it_zero_grad(net);
            /* data-parallel: this rank's contiguous share of the global batch, BN synchronised; a batch
             * smaller than the rank count is computed whole on every rank (no reductions) */
            int lo = 0, hi = nb, shard = nranks > 1 && nb >= nranks;
            if (shard) {
                lo = (int)((long)nb * rank / nranks);
                hi = (int)((long)nb * (rank + 1) / nranks);
                net->grad_scale = (float)(hi - lo) / (float)nb;
            }
            snf_bn_set_reduce(shard ? snf_dist_bn_reduce : NULL, NULL);
            rc = snf_it_forward(net, x + (size_t)lo * CL, y + (size_t)lo * SNF_DATA_NP, hi - lo, 1, &l);
            if (rc < 0) {
                goto cleanup;
            }
            if (shard) { /* the global batch loss, identical on every rank */
                double part = (double)l * (hi - lo);
                snf_dist_sum_doubles(&part, 1);
                l = (float)(part / nb);
            }
            if (!isfinite(l)) {
                SNF_FAIL(SNF_ENONFINITE, "training loss is %g at epoch %ld batch %ld (lower [train] lr?)", (double)l,
                         epoch + 1, bi + 1);
            }
            rc = snf_it_backward(net);
            snf_bn_set_reduce(NULL, NULL);
            net->grad_scale = 1.0f;
            if (rc < 0) {
                goto cleanup;
            }
            if (shard) {
                snf_dist_sum_floats(net->grads, net->nparams, gather);
            }
            if (cfg->clip_norm > 0.0f) {
                snf_grad_clip(net->grads, net->nparams, cfg->clip_norm);
            }
            snf_adam_config ac = cfg->adam;
            lr_step = stepwise ? snf_lr_schedule_at(&sched, net->adam_t) : lr;
            ac.lr = lr_step;
            snf_it_adam_step(net, &ac);
            if (use_ema) {
                float de = snf_ema_update(ema_p, net->params, net->nparams, cfg->ema, net->adam_t);
                for (size_t j = 0; j < net->nstats; j++) { /* BN statistics averaged alike (see train_small.ini) */
                    ema_s[j] = de * ema_s[j] + (1.0f - de) * net->bn_stats[j];
                }
            }
            se += (double)l * nb;
            seen += nb;
            bi++;
            if (opt->progress) {
                fprintf(opt->progress, "\rsnforge train: epoch %ld/%d batch %ld/%ld loss %.4f   ", epoch + 1,
                        cfg->epochs, bi, nbatches, se / (double)seen);
                fflush(opt->progress);
            }
            if (stepwise && net->adam_t >= sched.total) {
                sched_done = 1;
                break;
            }
        }
        if (rc < 0) {
            goto cleanup;
        }
        double train_loss = se / (double)(seen > 0 ? seen : 1);
        double val_loss = NAN;
        snf_metrics vm, vb;
        if (use_ema) {
            snf_swap_weights(net, live_p, live_s, ema_p, ema_s);
        }
        rc = snf_score(net, bva, sum->n_val, &norm, x, y, &val_loss, &vm, &vb);
        if (use_ema) {
            snf_swap_weights(net, live_p, live_s, NULL, NULL);
        }
        if (rc < 0) {
            goto cleanup;
        }
        float lr_used = lr_step;
        if (!stepwise) {
            lr = snf_plateau_update(&plateau, (float)train_loss, lr);
        }
        /* Early stopping and best weights on the validation loss (the training loss without a validation set). */
        double monitor = sum->n_val > 0 ? val_loss : train_loss;
        int stop = snf_earlystop_update(&es, (float)monitor, epoch);
        if (es.best_epoch == epoch) {
            memcpy(best_p, use_ema ? ema_p : net->params, net->nparams * sizeof *best_p);
            memcpy(best_s, use_ema ? ema_s : net->bn_stats, net->nstats * sizeof *best_s);
            sum->val = vm;
            sum->val_baseline = vb;
        }
        snf_epoch_record *h = &hist[n_hist++];
        h->epoch = (double)epoch;
        h->train_loss = train_loss;
        h->val_loss = val_loss;
        h->lr = lr_used;
        for (int p = 0; p < SNF_DATA_NP; p++) {
            h->val_mape[p] = vm.mape[p];
        }
        h->wall_s = wall0 + (snf_now() - tstart);
        epoch++;
        sum->epochs_run++;
        if (opt->progress) {
            fprintf(opt->progress, "\r\033[K");
        }
        if (opt->log && !opt->quiet) {
            fprintf(opt->log, "epoch %ld/%d: train loss %.5f, val loss %.5f, val MAPE E %.1f%% M %.1f%% R %.1f%% "
                              "Ni %.1f%%, lr %.3g%s\n", epoch, cfg->epochs, train_loss, val_loss, vm.mape[0],
                    vm.mape[1], vm.mape[2], vm.mape[3], (double)lr_used, es.best_epoch == epoch - 1 ? " *" : "");
            fflush(opt->log);
        }
        if (resize && !sched_done) {
            /* The probe times a few steps of a cold start (first touch of the activations, thread wake-up,
             * clock ramp-up) and was measured to overstate a step by up to 1.7x (LITE, 2 threads: 67.8 ms
             * probed, 40 ms run), so a budget-sized schedule ended with a third of the budget unused. The
             * first whole epoch's wall time (training steps and its validation) sizes the rest once; the
             * decay then spans the new length, so the rate moves by the small difference of the two
             * schedules at this step. Fixed from here on and kept in the checkpoint. */
            double tb = ceil((double)sum->n_test / cfg->batch);
            double left = opt->max_wall_s - (snf_budget_now(opt) - tb0) - tb * t_eval_probe;
            double fit = (double)net->adam_t + 0.97 * left / (snf_budget_now(opt) - te0) * (double)nbatches;
            snf_dist_bcast_doubles(&fit, 1);
            long all = (long)cfg->epochs * nbatches;
            long was = sched.total;
            sched.total = fit < (double)net->adam_t + 1 ? net->adam_t + 1 : (fit < (double)all ? (long)fit : all);
            ck.sched_total = sched.total;
            resize = 0;
            if (opt->log && !opt->quiet && sched.total != was) {
                double ms = 1e3 * (snf_budget_now(opt) - te0) / (double)nbatches;
                fprintf(opt->log, "schedule: %ld steps (%.2f epochs) fit in the budget by the first epoch's time "
                                  "(%.1f ms a step with validation; the probe's length was %ld)\n", sched.total,
                        (double)sched.total / (double)nbatches, ms, was);
            }
        }
        if (stop) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "early stopping");
        } else if (epoch >= cfg->epochs) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "epochs");
        } else if (sched_done) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "schedule");
        } else if (opt->max_wall_s > 0) {
            /* the next epoch costs the last one's time, or its share when the schedule ends within it */
            double frac = 1.0;
            if (stepwise && sched.total - net->adam_t < nbatches) {
                frac = (double)(sched.total - net->adam_t) / (double)nbatches;
            }
            double now = snf_budget_now(opt);
            double over = (now - tb0) + frac * (now - te0) > opt->max_wall_s;
            snf_dist_bcast_doubles(&over, 1); /* rank 0's clock decides for all */
            if (over > 0) {
                done = 1;
                snprintf(sum->stop_reason, sizeof sum->stop_reason, "time budget");
            }
        }
        if (!done) {
            snf_ckpt_capture(&ck, net, epoch, lr, &plateau, &es, n_hist);
            rc = rank == 0 ? snf_ckpt_write(mpath, &ck) : SNF_OK; /* every rank holds the same state */
            if (rc < 0) {
                goto cleanup;
            }
            if (opt->stop_after > 0 && sum->epochs_run >= opt->stop_after) {
                sum->stopped = 1;
                break;
            }
        }
    }

    if (done) {
        /* Best weights restored; the test rows scored with them; the final write marks the model finished.
         * The state written is the best one's, so the file is self-consistent (current = best). */
        memcpy(net->params, best_p, net->nparams * sizeof *best_p);
        memcpy(net->bn_stats, best_s, net->nstats * sizeof *best_s);
        rc = snf_batcher_alloc(&bte, d, &norm, te, sum->n_test, cfg->batch, cfg->max_rows, 0, 0);
        if (rc < 0) {
            goto cleanup;
        }
        double tl;
        rc = snf_score(net, bte, sum->n_test, &norm, x, y, &tl, &sum->test, &sum->test_baseline);
        if (rc < 0) {
            goto cleanup;
        }
        if (sum->n_val > 0) {
            double vl;
            rc = snf_score(net, bva, sum->n_val, &norm, x, y, &vl, &sum->val, &sum->val_baseline);
            if (rc < 0) {
                goto cleanup;
            }
        }
        ck.test = sum->test;
        ck.test_baseline = sum->test_baseline;
        ck.finished = 1;
        snprintf(ck.stop_reason, sizeof ck.stop_reason, "%s", sum->stop_reason);
        snf_ckpt_capture(&ck, net, epoch, lr, &plateau, &es, n_hist);
        rc = rank == 0 ? snf_ckpt_write(mpath, &ck) : SNF_OK;
        if (rc < 0) {
            goto cleanup;
        }
        sum->finished = 1;
    }
    sum->epoch = epoch;
    sum->best_epoch = es.best_epoch;
    sum->best_val_loss = es.best;
    rc = SNF_OK;
cleanup:
    sum->wall_s = snf_now() - t0;
    snf_batcher_free(btr);
    snf_batcher_free(bva);
    snf_batcher_free(bte);
    snf_it_free(net);
    snf_data_close(d);
    snf_ckpt_free(&old);
    free(rows);
    free(x);
    free(y);
    free(best_p);
    free(best_s);
    free(ema_p);
    free(ema_s);
    free(live_p);
    free(live_s);
    free(gather);
    free(hist);
    return rc;
}
