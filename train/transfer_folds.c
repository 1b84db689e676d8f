/* transfer_folds.c: snf_transfer_run_folds of transfer.h: one training run (snf_transfer_run with an epoch
 * hook) selected k ways. After every epoch the hook scores each fold's validation rows that has not stopped
 * yet, updates that fold's early-stopping state, keeps the epoch's weights as dir/epochNNN.h5 when some fold
 * found its best so far there, and rewrites dir/losses.csv; a resumed run replays the folds' states from
 * losses.csv up to the epoch run.h5 resumes at. At the end each fold's model file is made from its best
 * epoch's file. Order of writes per epoch (epoch file, losses.csv, then run.h5 by snf_transfer_run) keeps
 * every file a resumed run needs on disk at any kill: an epoch file is removed only once run.h5 has moved
 * past the epochs where no fold can select it any more. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snforge/core.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

typedef struct snf_folds_state {
    int k, epochs;
    const snf_rows *val;
    const char *dir, *text;
    snf_earlystop *es;
    int *stopped;
    long *last;             /* fold f's epochs run (its separate run's epoch count) */
    double *loss;           /* [epochs][k] validation loss, NaN where not evaluated */
    double *mape;           /* [epochs][k][4] */
    int replayed;
    long replay_to;         /* epochs replayed from losses.csv */
} snf_folds_state;

static void snf_epoch_path(char *p, size_t n, const char *dir, long e)
{
    snprintf(p, n, "%s/epoch%03ld.h5", dir, e + 1);
}

static int snf_is_best(const snf_folds_state *s, long e)
{
    for (int f = 0; f < s->k; f++) {
        if (s->es[f].best_epoch == e) {
            return 1;
        }
    }
    return 0;
}

/* One fold's early-stopping update with epoch e's loss (as snf_transfer_run's per-epoch update). */
static void snf_fold_update(snf_folds_state *s, int f, long e, double loss)
{
    s->stopped[f] = snf_earlystop_update(&s->es[f], (float)loss, e);
    s->last[f] = e + 1;
}

/* Reads losses.csv and replays the folds' states over epochs 0..upto-1 (every fold still going must have
 * its row there). */
static int snf_replay(snf_folds_state *s, long upto)
{
    s->replayed = 1;
    s->replay_to = upto;
    if (upto == 0) {
        return SNF_OK;
    }
    char p[1200];
    snprintf(p, sizeof p, "%s/losses.csv", s->dir);
    char *buf = NULL;
    size_t len = 0;
    int rc = snf_text_slurp_sealed(p, "losses file", &buf, &len);
    if (rc < 0) {
        char why[600];
        snprintf(why, sizeof why, "%s", snf_error_last_message());
        SNF_ERROR(SNF_EINVAL, "%s: cannot read it (%s): remove %s to retrain", p, why, s->dir);
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *l;
    size_t n;
    while (snf_text_next(&it, &l, &n)) {
        const char *fs[8];
        size_t fl[8];
        double v[7];
        if (snf_csv_split(l, n, fs, fl, 8) != 7 || snf_csv_number(fs[0], fl[0], &v[0]) != 0) {
            continue; /* the header */
        }
        int ok = 1;
        for (int q = 1; q < 7; q++) {
            ok &= snf_csv_number(fs[q], fl[q], &v[q]) == 0;
        }
        long e = (long)v[0] - 1;
        int f = (int)v[1] - 1;
        if (!ok || e < 0 || e >= s->epochs || f < 0 || f >= s->k) {
            free(buf);
            SNF_ERROR(SNF_EFORMAT, "%s:%d: expected epoch,fold,val_loss and 4 MAPEs: remove %s to retrain", p, it.line,
                      s->dir);
        }
        s->loss[e * s->k + f] = v[2];
        memcpy(s->mape + ((size_t)e * s->k + f) * SNF_DATA_NP, v + 3, SNF_DATA_NP * sizeof(double));
    }
    free(buf);
    for (long e = 0; e < upto; e++) {
        for (int f = 0; f < s->k; f++) {
            if (s->stopped[f]) {
                continue;
            }
            double l2 = s->loss[e * s->k + f];
            if (isnan(l2)) {
                SNF_ERROR(SNF_EINVAL, "%s lacks fold %d's loss of epoch %ld while %s/run.h5 is past it: remove %s to "
                          "retrain", p, f + 1, e + 1, s->dir, s->dir);
            }
            snf_fold_update(s, f, e, l2);
        }
    }
    return SNF_OK;
}

static int snf_write_losses(void *ctx, FILE *fp)
{
    const snf_folds_state *s = ctx;
    fprintf(fp, "epoch,fold,val_loss,val_mape_energy,val_mape_mass,val_mape_radius,val_mape_nickel\n");
    for (long e = 0; e < s->epochs; e++) {
        for (int f = 0; f < s->k; f++) {
            double l = s->loss[e * s->k + f];
            if (isnan(l)) {
                continue;
            }
            const double *m = s->mape + ((size_t)e * s->k + f) * SNF_DATA_NP;
            fprintf(fp, "%ld,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", e + 1, f + 1, l, m[0], m[1], m[2], m[3]);
        }
    }
    return SNF_OK;
}

/* The epoch hook's files (one snf_dist_once section each: rank 0 writes, every rank gets the status). */
typedef struct snf_folds_io {
    snf_folds_state *s;
    const snf_ckpt *state;
    long e;
} snf_folds_io;

/* run.h5 holds epoch e: epochs no fold selects now are never selected, their files go. */
static int snf_folds_prune(void *ctx)
{
    const snf_folds_io *io = ctx;
    char p[1200];
    for (long j = 0; j < io->e; j++) {
        if (!snf_is_best(io->s, j)) {
            snf_epoch_path(p, sizeof p, io->s->dir, j);
            if (remove(p) != 0 && errno != ENOENT) {
                SNF_ERROR(SNF_EIO, "cannot remove %s: %s", p, strerror(errno));
            }
        }
    }
    return SNF_OK;
}

/* The epoch's weights when some fold is best there, then losses.csv. */
static int snf_folds_keep(void *ctx)
{
    const snf_folds_io *io = ctx;
    const snf_folds_state *s = io->s;
    char p[1200];
    int rc;
    if (snf_is_best(s, io->e)) {
        snf_ckpt c = *io->state;
        c.best_params = c.params;
        c.best_stats = c.bn_stats;
        c.epoch = io->e + 1;
        c.finished = 0;
        c.config_text = (char *)(uintptr_t)s->text;
        snf_epoch_path(p, sizeof p, s->dir, io->e);
        if ((rc = snf_ckpt_write(p, &c)) < 0) {
            return rc;
        }
    }
    snprintf(p, sizeof p, "%s/losses.csv", s->dir);
    return snf_atomic_write_sealed(p, snf_write_losses, io->s);
}

/* The epoch hook: score the folds still going, keep the epoch's weights if some fold is best there. */
static int snf_folds_hook(void *ctx, snf_net *net, const snf_ckpt *state, long e)
{
    snf_folds_state *s = ctx;
    snf_folds_io io = {s, state, e};
    int rc;
    if (!s->replayed && (rc = snf_replay(s, e)) < 0) {
        return rc;
    }
    if ((rc = snf_dist_once(snf_folds_prune, &io)) < 0) {
        return rc;
    }
    int going = 0;
    for (int f = 0; f < s->k; f++) {
        s->loss[e * s->k + f] = NAN;
        if (s->stopped[f]) {
            continue;
        }
        double loss;
        snf_metrics m;
        if ((rc = snf_transfer_eval(net, &state->norm, &s->val[f], &loss, &m)) < 0) {
            return rc;
        }
        s->loss[e * s->k + f] = loss;
        memcpy(s->mape + ((size_t)e * s->k + f) * SNF_DATA_NP, m.mape, sizeof m.mape);
        snf_fold_update(s, f, e, loss);
        going += !s->stopped[f];
    }
    if ((rc = snf_dist_once(snf_folds_keep, &io)) < 0) {
        return rc;
    }
    return going == 0;
}

/* 1 if path holds a finished model file of `text`, 0 if there is none; SNF_EINVAL if it holds another. */
static int snf_have_fold(const char *path, const char *text)
{
    if (access(path, F_OK) != 0) {
        return 0;
    }
    snf_ckpt c;
    if (snf_ckpt_read(&c, path) < 0) {
        SNF_ERROR(SNF_EINVAL, "%s exists and is not a readable snforge model (%s); remove it", path,
                  snf_error_last_message());
    }
    int same = !strcmp(c.config_text ? c.config_text : "", text), fin = c.finished;
    snf_ckpt_free(&c);
    if (!same) {
        SNF_ERROR(SNF_EINVAL, "%s holds another run (different settings); remove it or choose another output", path);
    }
    return fin;
}

/* Fold f's model file from its best epoch's file: finished, its text, its early-stopping state and history. */
static int snf_write_fold(const snf_folds_state *s, const snf_ckpt *run, int f, const char *text, const char *out,
                          snf_transfer_summary *sum)
{
    char p[1200];
    long b = s->es[f].best_epoch;
    snf_epoch_path(p, sizeof p, s->dir, b);
    snf_ckpt c;
    if (snf_ckpt_read(&c, p) < 0) {
        SNF_ERROR(SNF_EINVAL, "%s (fold %d's best epoch) cannot be read (%s): remove %s to retrain", p, f + 1,
                  snf_error_last_message(), s->dir);
    }
    long n = s->last[f];
    snf_epoch_record *h = calloc((size_t)(n > 0 ? n : 1), sizeof *h);
    if (!h) {
        snf_ckpt_free(&c);
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    for (long e = 0; e < n; e++) {
        h[e].epoch = (double)e;
        h[e].train_loss = e < run->n_hist ? run->hist[e].train_loss : NAN;
        h[e].lr = run->lr;
        h[e].val_loss = s->loss[e * s->k + f];
        memcpy(h[e].val_mape, s->mape + ((size_t)e * s->k + f) * SNF_DATA_NP, sizeof h[e].val_mape);
    }
    char *keep_text = c.config_text;
    snf_epoch_record *keep_hist = c.hist;
    long keep_n = c.n_hist;
    c.config_text = (char *)(uintptr_t)text;
    c.hist = h;
    c.n_hist = n;
    c.epoch = n;
    c.es = s->es[f];
    c.finished = 1;
    snprintf(c.stop_reason, sizeof c.stop_reason, "%s", s->stopped[f] ? "early stopping" : "epochs");
    c.n_val = s->val[f].n;
    int rc = snf_ckpt_write(out, &c);
    c.config_text = keep_text;
    c.hist = keep_hist;
    c.n_hist = keep_n;
    snf_ckpt_free(&c);
    free(h);
    if (rc >= 0) {
        sum->epoch = n;
        sum->best_epoch = b;
        sum->best_val_loss = s->es[f].best;
        sum->finished = 1;
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", s->stopped[f] ? "early stopping" : "epochs");
        sum->val.n = s->val[f].n;
        memcpy(sum->val.mape, s->mape + ((size_t)b * s->k + f) * SNF_DATA_NP, sizeof sum->val.mape);
    }
    return rc;
}

/* The folder of the epoch files (an snf_dist_once section). */
static int snf_folds_mkdir(void *ctx)
{
    const char *dir = ctx;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
    }
    return SNF_OK;
}

/* After the shared run: every fold's model file not yet there, then the epoch files go (an snf_dist_once
 * section: under MPI the summaries are rank 0's, the one that reports). */
typedef struct snf_folds_out {
    const snf_folds_state *s;
    const snf_ckpt *run;
    int k;
    const char *const *text, *const *out;
    snf_transfer_summary *sums;
    const char *dir;
    long epochs;
} snf_folds_out;

static int snf_folds_write_all(void *ctx)
{
    const snf_folds_out *o = ctx;
    int rc = SNF_OK;
    for (int f = 0; f < o->k && rc >= 0; f++) {
        rc = snf_have_fold(o->out[f], o->text[f]);
        if (rc == 0) {
            rc = snf_write_fold(o->s, o->run, f, o->text[f], o->out[f], &o->sums[f]);
        } else if (rc > 0) {
            o->sums[f].already_finished = o->sums[f].finished = 1;
            o->sums[f].epoch = o->s->last[f];
            o->sums[f].best_epoch = o->s->es[f].best_epoch;
            o->sums[f].best_val_loss = o->s->es[f].best;
        }
    }
    for (long e = 0; e < o->epochs && rc >= 0; e++) { /* every fold's file is written: the epoch files go */
        char p[1200];
        snf_epoch_path(p, sizeof p, o->dir, e);
        if (remove(p) != 0 && errno != ENOENT) {
            SNF_ERROR(SNF_EIO, "cannot remove %s: %s", p, strerror(errno));
        }
    }
    return rc;
}

/* ---- public API ---- */

int snf_transfer_run_folds(const snf_transfer_config *cfg, const snf_rows *train, int k, const snf_rows *val,
                           const char *const *text, const char *const *out, const char *dir,
                           const snf_train_options *opt, snf_transfer_summary *sums, int *stopped)
{
    *stopped = 0;
    memset(sums, 0, (size_t)(k > 0 ? k : 0) * sizeof *sums);
    if (k < 1 || cfg->epochs < 1) {
        SNF_ERROR(SNF_EINVAL, "%d folds and %d epochs: expected at least one of each", k, cfg->epochs);
    }
    int have = 1, rc;
    for (int f = 0; f < k; f++) {
        if ((rc = snf_have_fold(out[f], text[f])) < 0) {
            return rc;
        }
        have &= rc;
    }
    if (have) { /* every fold's model file is there: nothing is recomputed */
        for (int f = 0; f < k; f++) {
            snf_ckpt c;
            if ((rc = snf_ckpt_read(&c, out[f])) < 0) {
                return rc;
            }
            sums[f].already_finished = sums[f].finished = 1;
            sums[f].epoch = c.epoch;
            sums[f].best_epoch = c.es.best_epoch;
            sums[f].best_val_loss = c.es.best;
            snprintf(sums[f].stop_reason, sizeof sums[f].stop_reason, "%s", c.stop_reason);
            snf_ckpt_free(&c);
        }
        return SNF_OK;
    }
    if ((rc = snf_dist_once(snf_folds_mkdir, (void *)(uintptr_t)dir)) < 0) {
        return rc;
    }
    snf_folds_state s;
    memset(&s, 0, sizeof s);
    s.k = k;
    s.epochs = cfg->epochs;
    s.val = val;
    s.dir = dir;
    s.text = cfg->text ? cfg->text : "";
    s.es = malloc((size_t)k * sizeof *s.es);
    s.stopped = calloc((size_t)k, sizeof *s.stopped);
    s.last = calloc((size_t)k, sizeof *s.last);
    s.loss = malloc((size_t)cfg->epochs * (size_t)k * sizeof *s.loss);
    s.mape = calloc((size_t)cfg->epochs * (size_t)k * SNF_DATA_NP, sizeof *s.mape);
    snf_ckpt run;
    memset(&run, 0, sizeof run);
    if (!s.es || !s.stopped || !s.last || !s.loss || !s.mape) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %d folds", k);
    }
    for (int f = 0; f < k; f++) {
        s.es[f] = snf_earlystop_default(cfg->es_patience > 0 ? cfg->es_patience : INT_MAX, cfg->es_min_delta);
    }
    for (long i = 0; i < (long)cfg->epochs * k; i++) {
        s.loss[i] = NAN;
    }
    char runp[1200];
    snprintf(runp, sizeof runp, "%s/run.h5", dir);
    snf_transfer_config rc_cfg = *cfg;
    rc_cfg.es_patience = 0; /* the folds stop, each on its own patience */
    rc_cfg.out_path = runp;
    rc_cfg.epoch_hook = snf_folds_hook;
    rc_cfg.hook_ctx = &s;
    snf_transfer_summary rs;
    rc = snf_transfer_run(&rc_cfg, train, NULL, NULL, opt, &rs);
    if (rc < 0) {
        goto cleanup;
    }
    if (rs.stopped) {
        *stopped = 1;
        goto cleanup;
    }
    if (!s.replayed && (rc = snf_replay(&s, rs.epoch)) < 0) { /* finished before: no epoch ran now */
        goto cleanup;
    }
    if ((rc = snf_ckpt_read(&run, runp)) < 0) {
        goto cleanup;
    }
    snf_folds_out fo = {&s, &run, k, text, out, sums, dir, rs.epoch};
    rc = snf_dist_once(snf_folds_write_all, &fo);
    if (rc > 0) {
        rc = SNF_OK;
    }
cleanup:
    snf_ckpt_free(&run);
    free(s.es);
    free(s.stopped);
    free(s.last);
    free(s.loss);
    free(s.mape);
    return rc;
}
