/* train.c: `snforge train`'s run on a dataset file. Splits the dataset's usable rows (status >= 0) into
 * train / validation / test, fits the normalisation on the training rows, serves them through batchers
 * (resident or streamed) and trains them with the one training loop (train_loop.c, snf_loop_run), which per
 * epoch runs: a seeded shuffle, batches of B
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
#include "snforge/core.h"
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
        snf_rng_shuffle(&r, rows, n);
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

/* ---- public API ---- */

snf_train_options snf_train_options_default(void)
{
    snf_train_options o = {.threads = 0, .stop_after = 0, .max_wall_s = 0, .budget_cpu = 0, .progress = NULL,
                           .quiet = 0, .log = NULL};
    return o;
}

/* ---- the run's data ---- */

/* A run's data: the dataset, its split, the normalisation and the batchers. */
typedef struct snf_tdata {
    const snf_train_config *cfg;
    snf_train_summary *sum;
    snf_data *d;
    long *rows, *tr, *va, *te;
    snf_norm norm;
    snf_batcher *btr, *bva, *bte;
} snf_tdata;

/* SNF_EINVAL naming CONFIG:LINE, the key and the file's /time range when more than half of the model grid
 * ([data] t_start..t_end) lies outside the dataset's days. Less is legitimate: grid days past a shorter file's
 * end are masked ([data] mask), as hydro models that end before the grid does are. */
static int snf_train_grid_check(const snf_train_config *cfg, const snf_data *d)
{
    double first, last;
    int below, out = snf_data_grid_outside(d, &first, &last, &below);
    const int L = cfg->spec.L;
    if (2 * out <= L) {
        return SNF_OK;
    }
    const int end = out - below >= below; /* the side with more of the grid outside */
    const int line = end ? cfg->t_end_line : cfg->t_start_line;
    char at[1100];
    snprintf(at, sizeof at, line > 0 ? "%s:%d: " : "%s: ", cfg->path, line);
    SNF_ERROR(SNF_EINVAL, "%s[data] %s = %g%s: %d of the %d grid days (days %g to %g) lie outside %s's /time (days "
              "%g to %g); choose t_start and t_end within it (at most half of the grid may lie outside)", at, end ? "t_end" : "t_start",
              end ? cfg->spec.t_end_d : cfg->spec.t_start_d, line > 0 ? "" : " (the default)", out, L,
              cfg->spec.t_start_d, cfg->spec.t_end_d, cfg->data_file, first, last);
}

/* Data, splits, normalisation (the checkpoint's when resuming). */
static int snf_tdata_open(snf_tdata *t, const snf_ckpt *old, int have_old)
{
    const snf_train_config *cfg = t->cfg;
    snf_train_summary *sum = t->sum;
    SNF_CHECK(snf_data_open(&t->d, cfg->data_file, &cfg->spec, cfg->block_rows));
    SNF_CHECK(snf_train_grid_check(cfg, t->d));
    long n = 0;
    SNF_CHECK(snf_data_usable_rows(t->d, &t->rows, &n, &sum->n_skipped));
    if (n < 2) {
        SNF_ERROR(SNF_EINVAL, "%s has %ld usable rows (status >= 0 and positive parameters): nothing to train on",
                  cfg->data_file, n);
    }
    snf_split_rows(cfg, t->rows, n, &sum->n_train, &sum->n_val, &sum->n_test, &t->tr, &t->va, &t->te);
    if (have_old && (old->n_train != sum->n_train || old->n_val != sum->n_val || old->n_test != sum->n_test)) {
        SNF_ERROR(SNF_EINVAL, "%s was trained on %ld/%ld/%ld train/validation/test rows, but %s now gives "
                  "%ld/%ld/%ld: the data file changed", cfg->model_path, old->n_train, old->n_val, old->n_test,
                  cfg->data_file, sum->n_train, sum->n_val, sum->n_test);
    }
    if (have_old) {
        t->norm = old->norm;
    } else {
        SNF_CHECK(snf_data_fit_norm(t->d, t->tr, sum->n_train, &t->norm));
    }
    SNF_CHECK(snf_batcher_alloc(&t->btr, t->d, &t->norm, t->tr, sum->n_train, cfg->batch, cfg->max_rows, 1,
                                cfg->seed));
    return snf_batcher_alloc(&t->bva, t->d, &t->norm, t->va, sum->n_val, cfg->batch, cfg->max_rows, 0, 0);
}

/* The loop's finish hook: the test rows scored with the best weights, into the summary and the model file. */
static int snf_tdata_test(void *ctx, snf_net *net, snf_ckpt *ck, float *x, float *y)
{
    snf_tdata *t = ctx;
    const snf_train_config *cfg = t->cfg;
    snf_train_summary *sum = t->sum;
    SNF_CHECK(snf_batcher_alloc(&t->bte, t->d, &t->norm, t->te, sum->n_test, cfg->batch, cfg->max_rows, 0, 0));
    double tl;
    SNF_CHECK(snf_train_score(net, t->bte, sum->n_test, &t->norm, x, y, &tl, &sum->test, &sum->test_baseline));
    ck->test = sum->test;
    ck->test_baseline = sum->test_baseline;
    return SNF_OK;
}

int snf_train_run(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum)
{
    snf_tdata t;
    memset(&t, 0, sizeof t);
    t.cfg = cfg;
    t.sum = sum;
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    memset(sum, 0, sizeof *sum);
    const double t0 = snf_clock_s(), tb0 = snf_train_budget_now(opt);
    const char *mpath = cfg->model_path;
    char fp[256]; /* snf_train_fingerprint */

    /* An existing model file: finished (nothing to do), resumable, or another run's. */
    int have_old = 0;
    int rc = snf_train_probe_old(&old, &have_old, mpath, cfg->text, "remove it or choose another output",
                                 "holds a model trained with a different config; remove it or choose another "
                                 "output (-o)");
    if (rc >= 0) {
        rc = snf_train_fingerprint(cfg->data_file, fp, sizeof fp);
    }
    if (rc >= 0 && have_old) {
        rc = snf_train_check_fingerprint(mpath, &old, fp);
    }
    if (rc < 0) {
        goto cleanup;
    }
    if (have_old && old.finished) {
        snf_train_summary_finished(sum, &old);
        goto cleanup;
    }
    if ((rc = snf_tdata_open(&t, &old, have_old)) < 0) {
        goto cleanup;
    }
    snf_loop_config lc;
    memset(&lc, 0, sizeof lc);
    lc.name = "train";
    lc.lr_key = "[train] lr";
    lc.out_path = mpath;
    lc.net = cfg->net;
    lc.spec = &cfg->spec;
    lc.norm = &t.norm;
    lc.seed = cfg->seed;
    lc.epochs = cfg->epochs;
    lc.batch = cfg->batch;
    lc.adam = cfg->adam;
    lc.sched = cfg->sched;
    lc.plateau = cfg->plateau;
    lc.plateau.best = INFINITY;
    lc.plateau.wait = lc.plateau.cooldown_left = 0;
    lc.clip_norm = cfg->clip_norm;
    lc.ema = cfg->ema;
    lc.es_patience = cfg->es_patience;
    lc.es_min_delta = cfg->es_min_delta;
    lc.aug = &cfg->aug;
    lc.aug_stream = SNF_LOOP_AUG_EPOCH_BATCH;
    lc.obs = &cfg->obs;
    lc.train = t.btr;
    lc.val = t.bva;
    lc.n_train = sum->n_train;
    lc.n_val = sum->n_val;
    lc.n_test = sum->n_test;
    lc.text = cfg->text;
    lc.data_file = snf_data_path(t.d);
    lc.data_source = snf_data_source(t.d);
    lc.data_created = snf_data_created(t.d);
    lc.fingerprint = fp;
    lc.budget_t0 = tb0;
    lc.wall_history = 1;
    lc.finish = snf_tdata_test;
    lc.finish_ctx = &t;
    snf_loop_result res;
    rc = snf_loop_run(&lc, have_old ? &old : NULL, opt, &res);
    sum->resumed = have_old;
    sum->epochs_run = res.epochs_run;
    sum->rows_observed = res.rows_observed;
    sum->val = res.val;
    sum->val_baseline = res.val_baseline;
    if (rc < 0) {
        goto cleanup;
    }
    sum->stopped = res.stopped;
    sum->finished = res.finished;
    snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", res.stop_reason);
    sum->epoch = res.epoch;
    sum->best_epoch = res.best_epoch;
    sum->best_val_loss = res.best_val_loss;
    rc = SNF_OK;
cleanup:
    sum->wall_s = snf_clock_s() - t0;
    snf_batcher_free(t.btr);
    snf_batcher_free(t.bva);
    snf_batcher_free(t.bte);
    snf_data_close(t.d);
    free(t.rows);
    snf_ckpt_free(&old);
    return rc;
}
