/* transfer.c: the transfer-learning loop of transfer.h (fine-tuning and the curriculum's stages) on
 * resident encoded rows, with frozen modules, a mixed-in share of another row set, best weights on the
 * validation loss and a bitwise-resumable checkpoint in the ordinary model-file format. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/transfer.h"
#include "train_internal.h"

/* ---- static helpers ---- */

/* A seeded permutation of 0..n-1 (Fisher-Yates). */
static void snf_tr_perm(long *p, long n, uint64_t seed)
{
    for (long i = 0; i < n; i++) {
        p[i] = i;
    }
    snf_rng r = snf_rng_seed(seed);
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(snf_rng_u64(&r) % (uint64_t)(i + 1));
        long t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}

/* Appends the range [off, off + n) and returns the new count. */
static int snf_tr_range(size_t *lo, size_t *hi, int nr, ptrdiff_t off, size_t n)
{
    lo[nr] = (size_t)off;
    hi[nr] = (size_t)off + n;
    return nr + 1;
}

/* Eval-mode loss and physical predictions of the network's current weights on rows. */
static int snf_tr_eval(snf_net *net, const snf_norm *norm, const snf_rows *rows, double *loss, double *truth,
                       double *pred)
{
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    double se = 0;
    for (long i = 0; i < rows->n; i += net->cfg.max_B) {
        int nb = (int)(rows->n - i < net->cfg.max_B ? rows->n - i : net->cfg.max_B);
        float l = 0;
        int rc = snf_net_forward(net, rows->x + (size_t)i * CL, rows->y + (size_t)i * SNF_DATA_NP, nb, 0, &l);
        if (rc < 0) {
            return rc;
        }
        se += (double)l * nb;
        snf_train_decode_batch(truth, pred, rows->y + (size_t)i * SNF_DATA_NP, snf_net_pred(net), SNF_DATA_NP, i,
                               nb, norm);
    }
    *loss = rows->n > 0 ? se / (double)rows->n : NAN;
    return SNF_OK;
}

static int snf_tr_metrics(snf_net *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m,
                          double *pred_out)
{
    memset(m, 0, sizeof *m);
    *loss = NAN;
    if (rows->n == 0) {
        return SNF_OK;
    }
    double *truth = malloc((size_t)rows->n * SNF_DATA_NP * sizeof *truth);
    double *pred = pred_out ? pred_out : malloc((size_t)rows->n * SNF_DATA_NP * sizeof *pred);
    int rc = SNF_OK;
    if (!truth || !pred) {
        SNF_FAIL(SNF_ENOMEM, "out of memory scoring %ld rows", rows->n);
    }
    rc = snf_tr_eval(net, norm, rows, loss, truth, pred);
    if (rc >= 0) {
        rc = snf_metrics_compute(m, truth, pred, rows->n);
    }
cleanup:
    free(truth);
    if (pred != pred_out) {
        free(pred);
    }
    return rc;
}

/* ---- the transfer loop's sections ---- */

/* The settings a run needs: training rows, a mix share in 0..0.9 with rows to mix in, batch and epochs >= 1, and
 * at least one training row in a batch. *nm, *nt: mixed-in and training rows of a batch. */
static int snf_tr_check(const snf_transfer_config *cfg, const snf_rows *train, long n_mix, int *nm, int *nt)
{
    if (!train || train->n < 1) {
        SNF_ERROR(SNF_EINVAL, "%s: no training rows", cfg->out_path);
    }
    if (cfg->mix_share < 0 || cfg->mix_share > 0.9 || (cfg->mix_share > 0 && n_mix < 1)) {
        SNF_ERROR(SNF_EINVAL, "mix share %g: expected 0..0.9, and rows to mix in when > 0", cfg->mix_share);
    }
    if (cfg->batch < 1 || cfg->epochs < 1) {
        SNF_ERROR(SNF_EINVAL, "batch %d and epochs %d must be >= 1", cfg->batch, cfg->epochs);
    }
    *nm = cfg->mix_share > 0 ? (int)floor(cfg->mix_share * cfg->batch + 0.5) : 0;
    *nt = cfg->batch - *nm;
    if (*nt < 1) {
        SNF_ERROR(SNF_EINVAL, "batch %d with mix share %g leaves no training rows in a batch", cfg->batch,
                  cfg->mix_share);
    }
    return SNF_OK;
}

/* The network (*net, config *ncfg): seeded weights or the starting model's best ones, then the first k Inception
 * modules frozen (snf_transfer_freeze: the BatchNorm statistics ranges into lo, hi, *nranges). Returns the
 * number of frozen tensors. */
static int snf_tr_network(snf_net **net, snf_net_config *ncfg, const snf_transfer_config *cfg, size_t *lo, size_t *hi,
                          int *nranges)
{
    *ncfg = cfg->net;
    ncfg->max_B = cfg->batch > 64 ? cfg->batch : 64;
    SNF_CHECK(snf_net_alloc(net, ncfg));
    snf_net *n = *net;
    snf_net_init(n, cfg->seed);
    n->dropout_seed = cfg->seed;
    if (cfg->init) {
        if (cfg->init->nparams != n->nparams || cfg->init->nstats != n->nstats) {
            SNF_ERROR(SNF_EINVAL, "the starting model's network does not match");
        }
        memcpy(n->params, cfg->init->best_params, n->nparams * sizeof(float));
        memcpy(n->bn_stats, cfg->init->best_stats, n->nstats * sizeof(float));
    }
    return snf_transfer_freeze(n, cfg->freeze, lo, hi, nranges);
}

/* Batch b of an epoch into x, y: training rows of the permutation perm (nt a batch, fewer in the last), then nm
 * mixed-in rows cycling through their own permutation mperm (*mi: the next one). Returns the batch's rows. */
static int snf_tr_batch(float *x, float *y, const snf_rows *train, const snf_rows *mix, const long *perm,
                        const long *mperm, long b, int nt, int nm, long *mi, size_t CL)
{
    int bt = (int)((train->n - b * nt) < nt ? train->n - b * nt : nt);
    for (int k = 0; k < bt; k++) {
        long r = perm[b * nt + k];
        memcpy(x + (size_t)k * CL, train->x + (size_t)r * CL, CL * sizeof *x);
        memcpy(y + (size_t)k * SNF_DATA_NP, train->y + (size_t)r * SNF_DATA_NP, SNF_DATA_NP * sizeof *y);
    }
    for (int k = 0; k < nm; k++) {
        long r = mperm[(*mi)++ % mix->n];
        memcpy(x + (size_t)(bt + k) * CL, mix->x + (size_t)r * CL, CL * sizeof *x);
        memcpy(y + (size_t)(bt + k) * SNF_DATA_NP, mix->y + (size_t)r * SNF_DATA_NP, SNF_DATA_NP * sizeof *y);
    }
    return bt;
}

/* One Adam step on the batch x, y of nb rows (epoch: for the message); frozen BatchNorm layers (the nranges
 * ranges [lo, hi) of the statistics, keep_s: scratch) keep their running statistics. *loss: the batch loss. */
static int snf_tr_step(snf_net *net, const snf_adam_config *adam, float *x, float *y, int nb, const size_t *lo,
                       const size_t *hi, int nranges, float *keep_s, long epoch, float *loss)
{
    if (nranges > 0) {
        memcpy(keep_s, net->bn_stats, net->nstats * sizeof *keep_s);
    }
    float l = 0;
    snf_net_zero_grad(net);
    SNF_CHECK(snf_net_forward(net, x, y, nb, 1, &l));
    if (!isfinite(l)) {
        SNF_ERROR(SNF_ENONFINITE, "training loss is %g at epoch %ld (lower the learning rate?)", (double)l,
                  epoch + 1);
    }
    for (int q = 0; q < nranges; q++) {
        memcpy(net->bn_stats + lo[q], keep_s + lo[q], (hi[q] - lo[q]) * sizeof *keep_s);
    }
    SNF_CHECK(snf_net_backward(net));
    snf_net_adam_step(net, adam);
    *loss = l;
    return SNF_OK;
}

/* ---- public API ---- */

int snf_transfer_eval(snf_net *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m)
{
    return snf_tr_metrics(net, norm, rows, loss, m, NULL);
}

int snf_transfer_freeze(snf_net *net, int k, size_t *stats_lo, size_t *stats_hi, int *nranges)
{
    const snf_net_config *c = &net->cfg;
    if (nranges) {
        *nranges = 0;
    }
    for (int i = 0; i < net->ntensors; i++) {
        net->lr_mult[i] = 1.0f;
    }
    if (k == 0) {
        return 0;
    }
    if (k < 0 || c->arch == SNF_ARCH_LITE || k > c->depth) {
        SNF_ERROR(SNF_EINVAL, "freeze %d: expected 0..%d Inception modules%s", k, c->depth,
                  c->arch == SNF_ARCH_LITE ? " (LITE has no Inception modules to freeze: use 0)" : "");
    }
    int nf = 0;
    for (int i = 0; i < net->ntensors; i++) {
        char name[64];
        snf_net_tensor_name(c, i, name, sizeof name);
        int m = -1, r = -1, frozen = 0;
        if (sscanf(name, "mod%d.", &m) == 1) {
            frozen = m < k;
        } else if (sscanf(name, "res%d.", &r) == 1) {
            frozen = 3 * r + 2 < k; /* the shortcut after modules 3r..3r+2 */
        }
        if (frozen) {
            net->lr_mult[i] = 0.0f;
            nf++;
        }
    }
    /* BatchNorm running statistics of the frozen layers: [mean, mean + C) and [var, var + C), C = the
     * size of the layer's gamma. */
    int nr = 0;
    if (stats_lo && stats_hi) {
        int ti = 0; /* tensor index walking the slab order of snf_net_tensor_name */
        for (int m = 0; m < c->depth; m++) {
            size_t C = net->sizes[ti + 5]; /* mod<m>.bn_g */
            if (m < k) {
                nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.mod_mean[m] - net->bn_stats, C);
                nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.mod_var[m] - net->bn_stats, C);
            }
            ti += SNF_NET_TENSORS_PER_MODULE;
            if (c->residual && m % 3 == 2) {
                size_t Cr = net->sizes[ti + 1]; /* res<m/3>.bn_g */
                if (m < k) {
                    nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.res_mean[m / 3] - net->bn_stats, Cr);
                    nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.res_var[m / 3] - net->bn_stats, Cr);
                }
                ti += SNF_NET_TENSORS_PER_RES;
            }
        }
    }
    if (nranges) {
        *nranges = nr;
    }
    return nf;
}

int snf_transfer_score(const snf_ckpt *ck, const snf_rows *rows, snf_metrics *m, double *pred)
{
    snf_net *net = NULL;
    int rc = snf_ckpt_net(ck, 64, &net);
    if (rc < 0) {
        return rc;
    }
    double loss;
    rc = snf_tr_metrics(net, &ck->norm, rows, &loss, m, pred);
    snf_net_free(net);
    return rc;
}

int snf_transfer_run(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                     const snf_rows *val, const snf_train_options *opt, snf_transfer_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    int rc = SNF_OK;
    snf_net *net = NULL;
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    float *x = NULL, *y = NULL, *best_p = NULL, *best_s = NULL, *keep_s = NULL;
    long *perm = NULL, *mperm = NULL;
    snf_epoch_record *hist = NULL;
    const long n_mix = mix ? mix->n : 0;
    int nm = 0, nt = 0;
    SNF_CHECK(snf_tr_check(cfg, train, n_mix, &nm, &nt));

    /* An existing file: finished, resumable, or another run's. */
    int have_old = 0;
    rc = snf_train_probe_old(&old, &have_old, cfg->out_path, cfg->text, "remove it",
                             "holds another run (different settings); remove it or choose another output");
    if (rc < 0) {
        goto cleanup;
    }
    if (have_old && old.finished) {
        sum->already_finished = sum->finished = 1;
        sum->epoch = old.epoch;
        sum->best_epoch = old.es.best_epoch;
        sum->best_val_loss = old.es.best;
        snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", old.stop_reason);
        goto cleanup;
    }
    sum->resumed = have_old;

    snf_net_config ncfg;
    size_t lo[2 * (SNF_NET_MAX_DEPTH + SNF_NET_MAX_RES)], hi[2 * (SNF_NET_MAX_DEPTH + SNF_NET_MAX_RES)];
    int nranges = 0;
    rc = snf_tr_network(&net, &ncfg, cfg, lo, hi, &nranges);
    if (rc < 0) {
        goto cleanup;
    }
    sum->frozen_tensors = rc;
    const size_t CL = (size_t)ncfg.C_in * ncfg.T;
    const size_t NS = net->nstats ? net->nstats : 1;
    x = malloc((size_t)cfg->batch * CL * sizeof *x);
    y = malloc((size_t)cfg->batch * SNF_DATA_NP * sizeof *y);
    best_p = malloc(net->nparams * sizeof *best_p);
    best_s = malloc(NS * sizeof *best_s);
    keep_s = malloc(NS * sizeof *keep_s);
    perm = malloc((size_t)train->n * sizeof *perm);
    mperm = malloc((size_t)(n_mix > 0 ? n_mix : 1) * sizeof *mperm);
    hist = malloc((size_t)cfg->epochs * sizeof *hist);
    if (!x || !y || !best_p || !best_s || !keep_s || !perm || !mperm || !hist) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for the transfer state");
    }
    memcpy(best_p, net->params, net->nparams * sizeof *best_p);
    memcpy(best_s, net->bn_stats, net->nstats * sizeof *best_s);
    snf_earlystop es = snf_earlystop_default(cfg->es_patience > 0 ? cfg->es_patience : INT_MAX, cfg->es_min_delta);
    long epoch = 0, n_hist = 0;
    if (have_old) {
        if (old.nparams != net->nparams || old.nstats != net->nstats) {
            SNF_FAIL(SNF_EINVAL, "%s: its network does not match", cfg->out_path);
        }
        n_hist = snf_train_resume(net, best_p, best_s, hist, cfg->epochs, &old);
        es = old.es;
        epoch = old.epoch;
    }

    /* The checkpoint: a constant learning rate (no plateau rule, factor 1) and the frozen tensors' rates. */
    snf_ckpt ck;
    snf_train_ckpt_bind(&ck, net, &ncfg, &cfg->spec, &cfg->norm, best_p, best_s, hist, cfg->seed, opt->threads);
    snf_plateau no_plateau;
    memset(&no_plateau, 0, sizeof no_plateau);
    no_plateau.factor = 1.0f;
    snf_train_ckpt_capture(&ck, net, 0, cfg->adam.lr, &no_plateau, &es, 0);
    ck.n_train = train->n;
    ck.n_val = val ? val->n : 0;
    ck.config_text = (char *)(uintptr_t)(cfg->text ? cfg->text : "");
    snprintf(ck.data_file, sizeof ck.data_file, "%s", cfg->data_file ? cfg->data_file : "");
    snprintf(ck.data_source, sizeof ck.data_source, "transfer");

    int done = epoch >= cfg->epochs || es.wait >= es.patience;
    snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", es.wait >= es.patience ? "early stopping" : "epochs");
    const long nbatches = (train->n + nt - 1) / nt;
    while (!done) {
        uint64_t es_seed = cfg->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(epoch + 1));
        snf_tr_perm(perm, train->n, es_seed);
        if (n_mix > 0) {
            snf_tr_perm(mperm, n_mix, es_seed ^ 0xD6E8FEB86659FD93ULL);
        }
        long mi = 0;
        double se = 0;
        long seen = 0;
        for (long b = 0; b < nbatches; b++) {
            int bt = snf_tr_batch(x, y, train, mix, perm, mperm, b, nt, nm, &mi, CL);
            int nb = bt + nm;
            snf_rng ar = snf_rng_seed(es_seed ^ (0xA24BAED4963EE407ULL * (uint64_t)(b + 1)));
            snf_data_augment(x, bt, &cfg->spec, &cfg->aug, &ar);
            snf_data_augment(x + (size_t)bt * CL, nm, &cfg->spec, &cfg->aug_mix, &ar);
            float l = 0;
            if ((rc = snf_tr_step(net, &cfg->adam, x, y, nb, lo, hi, nranges, keep_s, epoch, &l)) < 0) {
                goto cleanup;
            }
            se += (double)l * nb;
            seen += nb;
        }
        double train_loss = se / (double)seen, val_loss = NAN;
        snf_metrics vm;
        memset(&vm, 0, sizeof vm);
        if (val && val->n > 0) {
            rc = snf_tr_metrics(net, &cfg->norm, val, &val_loss, &vm, NULL);
            if (rc < 0) {
                goto cleanup;
            }
        }
        double monitor = val && val->n > 0 ? val_loss : train_loss;
        int stop = snf_train_track_best(&es, monitor, epoch, net, net->params, net->bn_stats, best_p, best_s);
        snf_train_record(&hist[n_hist++], epoch, train_loss, val_loss, cfg->adam.lr, &vm);
        int hook_stop = 0;
        if (cfg->epoch_hook) {
            hook_stop = cfg->epoch_hook(cfg->hook_ctx, net, &ck, epoch);
            if (hook_stop < 0) {
                rc = hook_stop;
                goto cleanup;
            }
        }
        epoch++;
        sum->epochs_run++;
        if (opt->log && !opt->quiet) {
            fprintf(opt->log, "epoch %ld/%d: train loss %.5f, val loss %.5f, val MAPE E %.1f%% M %.1f%% R %.1f%% "
                              "Ni %.1f%%%s\n", epoch, cfg->epochs, train_loss, val_loss, vm.mape[0], vm.mape[1],
                    vm.mape[2], vm.mape[3], es.best_epoch == epoch - 1 ? " *" : "");
            fflush(opt->log);
        }
        if (stop) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "early stopping");
        } else if (hook_stop) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "selection");
        } else if (epoch >= cfg->epochs) {
            done = 1;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "epochs");
        }
        if (!done) {
            snf_train_ckpt_capture(&ck, net, epoch, cfg->adam.lr, &no_plateau, &es, n_hist);
            rc = snf_ckpt_write(cfg->out_path, &ck);
            if (rc < 0) {
                goto cleanup;
            }
            if (opt->stop_after > 0 && sum->epochs_run >= opt->stop_after) {
                sum->stopped = 1;
                break;
            }
        }
    }
    if (done) { /* current = best, marked finished */
        snf_train_restore_best(net, best_p, best_s);
        ck.finished = 1;
        snprintf(ck.stop_reason, sizeof ck.stop_reason, "%s", sum->stop_reason);
        snf_train_ckpt_capture(&ck, net, epoch, cfg->adam.lr, &no_plateau, &es, n_hist);
        rc = snf_ckpt_write(cfg->out_path, &ck);
        if (rc < 0) {
            goto cleanup;
        }
        sum->finished = 1;
        if (val && val->n > 0) {
            double vl;
            rc = snf_tr_metrics(net, &cfg->norm, val, &vl, &sum->val, NULL);
            if (rc < 0) {
                goto cleanup;
            }
        }
    }
    sum->epoch = epoch;
    sum->best_epoch = es.best_epoch;
    sum->best_val_loss = es.best;
    rc = SNF_OK;
cleanup:
    snf_net_free(net);
    snf_ckpt_free(&old);
    free(x);
    free(y);
    free(best_p);
    free(best_s);
    free(keep_s);
    free(perm);
    free(mperm);
    free(hist);
    return rc;
}
