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
static int snf_tr_eval(snf_it *net, const snf_norm *norm, const snf_rows *rows, double *loss, double *truth,
                       double *pred)
{
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    double se = 0;
    for (long i = 0; i < rows->n; i += net->cfg.max_B) {
        int nb = (int)(rows->n - i < net->cfg.max_B ? rows->n - i : net->cfg.max_B);
        float l = 0;
        int rc = snf_it_forward(net, rows->x + (size_t)i * CL, rows->y + (size_t)i * SNF_DATA_NP, nb, 0, &l);
        if (rc < 0) {
            return rc;
        }
        se += (double)l * nb;
        const float *p = snf_it_pred(net);
        for (int k = 0; k < nb; k++) {
            if (truth) {
                snf_data_decode_targets(truth + (size_t)(i + k) * SNF_DATA_NP,
                                        rows->y + (size_t)(i + k) * SNF_DATA_NP, norm);
            }
            if (pred) {
                snf_data_decode_targets(pred + (size_t)(i + k) * SNF_DATA_NP, p + (size_t)k * SNF_DATA_NP, norm);
            }
        }
    }
    *loss = rows->n > 0 ? se / (double)rows->n : NAN;
    return SNF_OK;
}

static int snf_tr_metrics(snf_it *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m,
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

/* ---- public API ---- */

int snf_transfer_eval(snf_it *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m)
{
    return snf_tr_metrics(net, norm, rows, loss, m, NULL);
}

int snf_transfer_freeze(snf_it *net, int k, size_t *stats_lo, size_t *stats_hi, int *nranges)
{
    const snf_it_config *c = &net->cfg;
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
        snf_it_tensor_name(c, i, name, sizeof name);
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
        int ti = 0; /* tensor index walking the slab order of snf_it_tensor_name */
        for (int m = 0; m < c->depth; m++) {
            size_t C = net->sizes[ti + 5]; /* mod<m>.bn_g */
            if (m < k) {
                nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.mod_mean[m] - net->bn_stats, C);
                nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.mod_var[m] - net->bn_stats, C);
            }
            ti += SNF_IT_TENSORS_PER_MODULE;
            if (c->residual && m % 3 == 2) {
                size_t Cr = net->sizes[ti + 1]; /* res<m/3>.bn_g */
                if (m < k) {
                    nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.res_mean[m / 3] - net->bn_stats, Cr);
                    nr = snf_tr_range(stats_lo, stats_hi, nr, net->st.res_var[m / 3] - net->bn_stats, Cr);
                }
                ti += SNF_IT_TENSORS_PER_RES;
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
    snf_it *net = NULL;
    int rc = snf_ckpt_net(ck, 64, &net);
    if (rc < 0) {
        return rc;
    }
    double loss;
    rc = snf_tr_metrics(net, &ck->norm, rows, &loss, m, pred);
    snf_it_free(net);
    return rc;
}

int snf_transfer_run(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                     const snf_rows *val, const snf_train_options *opt, snf_transfer_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    int rc = SNF_OK;
    snf_it *net = NULL;
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    float *x = NULL, *y = NULL, *best_p = NULL, *best_s = NULL, *keep_s = NULL;
    long *perm = NULL, *mperm = NULL;
    snf_epoch_record *hist = NULL;
    const long n_mix = mix ? mix->n : 0;
    if (!train || train->n < 1) {
        SNF_ERROR(SNF_EINVAL, "%s: no training rows", cfg->out_path);
    }
    if (cfg->mix_share < 0 || cfg->mix_share > 0.9 || (cfg->mix_share > 0 && n_mix < 1)) {
        SNF_ERROR(SNF_EINVAL, "mix share %g: expected 0..0.9, and rows to mix in when > 0", cfg->mix_share);
    }
    if (cfg->batch < 1 || cfg->epochs < 1) {
        SNF_ERROR(SNF_EINVAL, "batch %d and epochs %d must be >= 1", cfg->batch, cfg->epochs);
    }
    const int nm = cfg->mix_share > 0 ? (int)floor(cfg->mix_share * cfg->batch + 0.5) : 0;
    const int nt = cfg->batch - nm;
    if (nt < 1) {
        SNF_ERROR(SNF_EINVAL, "batch %d with mix share %g leaves no training rows in a batch", cfg->batch,
                  cfg->mix_share);
    }

    /* An existing file: finished, resumable, or another run's. */
    FILE *probe = fopen(cfg->out_path, "rb");
    int have_old = probe != NULL;
    if (probe) {
        fclose(probe);
        if (snf_ckpt_read(&old, cfg->out_path) < 0) {
            SNF_FAIL(SNF_EINVAL, "%s exists and is not a readable snforge model (%s); remove it", cfg->out_path,
                     snf_error_last_message());
        }
        if (strcmp(old.config_text ? old.config_text : "", cfg->text ? cfg->text : "") != 0) {
            SNF_FAIL(SNF_EINVAL, "%s holds another run (different settings); remove it or choose another output",
                     cfg->out_path);
        }
        if (old.finished) {
            sum->already_finished = sum->finished = 1;
            sum->epoch = old.epoch;
            sum->best_epoch = old.es.best_epoch;
            sum->best_val_loss = old.es.best;
            snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", old.stop_reason);
            goto cleanup;
        }
        sum->resumed = 1;
    }

    snf_it_config ncfg = cfg->net;
    ncfg.max_B = cfg->batch > 64 ? cfg->batch : 64;
    rc = snf_it_alloc(&net, &ncfg);
    if (rc < 0) {
        goto cleanup;
    }
    snf_it_init(net, cfg->seed);
    net->dropout_seed = cfg->seed;
    if (cfg->init) {
        if (cfg->init->nparams != net->nparams || cfg->init->nstats != net->nstats) {
            SNF_FAIL(SNF_EINVAL, "the starting model's network does not match");
        }
        memcpy(net->params, cfg->init->best_params, net->nparams * sizeof(float));
        memcpy(net->bn_stats, cfg->init->best_stats, net->nstats * sizeof(float));
    }
    size_t lo[2 * (SNF_IT_MAX_DEPTH + SNF_IT_MAX_RES)], hi[2 * (SNF_IT_MAX_DEPTH + SNF_IT_MAX_RES)];
    int nranges = 0;
    rc = snf_transfer_freeze(net, cfg->freeze, lo, hi, &nranges);
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
        memcpy(net->params, old.params, net->nparams * sizeof(float));
        memcpy(net->adam_m, old.adam_m, net->nparams * sizeof(float));
        memcpy(net->adam_v, old.adam_v, net->nparams * sizeof(float));
        memcpy(net->bn_stats, old.bn_stats, net->nstats * sizeof(float));
        memcpy(best_p, old.best_params, net->nparams * sizeof(float));
        memcpy(best_s, old.best_stats, net->nstats * sizeof(float));
        net->adam_t = old.adam_t;
        net->step = old.step;
        es = old.es;
        epoch = old.epoch;
        n_hist = old.n_hist < cfg->epochs ? old.n_hist : cfg->epochs;
        memcpy(hist, old.hist, (size_t)n_hist * sizeof *hist);
    }

    snf_ckpt ck;
    memset(&ck, 0, sizeof ck);
    ck.net = ncfg;
    ck.spec = cfg->spec;
    ck.norm = cfg->norm;
    ck.ntensors = net->ntensors;
    memcpy(ck.sizes, net->sizes, sizeof ck.sizes);
    memcpy(ck.lr_mult, net->lr_mult, sizeof ck.lr_mult);
    ck.nparams = net->nparams;
    ck.nstats = net->nstats;
    ck.params = net->params;
    ck.adam_m = net->adam_m;
    ck.adam_v = net->adam_v;
    ck.bn_stats = net->bn_stats;
    ck.best_params = best_p;
    ck.best_stats = best_s;
    ck.seed = cfg->seed;
    ck.hist = hist;
    ck.n_train = train->n;
    ck.n_val = val ? val->n : 0;
    ck.lr = cfg->adam.lr;
    ck.plateau.factor = 1.0f;
    ck.config_text = (char *)(uintptr_t)(cfg->text ? cfg->text : "");
    snprintf(ck.data_file, sizeof ck.data_file, "%s", cfg->data_file ? cfg->data_file : "");
    snprintf(ck.data_source, sizeof ck.data_source, "transfer");
    ck.threads = opt->threads;

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
            int bt = (int)((train->n - b * nt) < nt ? train->n - b * nt : nt);
            for (int k = 0; k < bt; k++) {
                long r = perm[b * nt + k];
                memcpy(x + (size_t)k * CL, train->x + (size_t)r * CL, CL * sizeof *x);
                memcpy(y + (size_t)k * SNF_DATA_NP, train->y + (size_t)r * SNF_DATA_NP, SNF_DATA_NP * sizeof *y);
            }
            for (int k = 0; k < nm; k++) { /* the mixed rows cycle through their own permutation */
                long r = mperm[mi++ % n_mix];
                memcpy(x + (size_t)(bt + k) * CL, mix->x + (size_t)r * CL, CL * sizeof *x);
                memcpy(y + (size_t)(bt + k) * SNF_DATA_NP, mix->y + (size_t)r * SNF_DATA_NP, SNF_DATA_NP * sizeof *y);
            }
            int nb = bt + nm;
            snf_rng ar = snf_rng_seed(es_seed ^ (0xA24BAED4963EE407ULL * (uint64_t)(b + 1)));
            snf_data_augment(x, bt, &cfg->spec, &cfg->aug, &ar);
            snf_data_augment(x + (size_t)bt * CL, nm, &cfg->spec, &cfg->aug_mix, &ar);
            if (nranges > 0) {
                memcpy(keep_s, net->bn_stats, net->nstats * sizeof *keep_s);
            }
            float l = 0;
            snf_it_zero_grad(net);
            rc = snf_it_forward(net, x, y, nb, 1, &l);
            if (rc < 0) {
                goto cleanup;
            }
            if (!isfinite(l)) {
                SNF_FAIL(SNF_ENONFINITE, "training loss is %g at epoch %ld (lower the learning rate?)", (double)l,
                         epoch + 1);
            }
            for (int q = 0; q < nranges; q++) { /* frozen BatchNorm layers keep their running statistics */
                memcpy(net->bn_stats + lo[q], keep_s + lo[q], (hi[q] - lo[q]) * sizeof *keep_s);
            }
            rc = snf_it_backward(net);
            if (rc < 0) {
                goto cleanup;
            }
            snf_it_adam_step(net, &cfg->adam);
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
        int stop = snf_earlystop_update(&es, (float)monitor, epoch);
        if (es.best_epoch == epoch) {
            memcpy(best_p, net->params, net->nparams * sizeof *best_p);
            memcpy(best_s, net->bn_stats, net->nstats * sizeof *best_s);
        }
        snf_epoch_record *h = &hist[n_hist++];
        memset(h, 0, sizeof *h);
        h->epoch = (double)epoch;
        h->train_loss = train_loss;
        h->val_loss = val_loss;
        h->lr = cfg->adam.lr;
        for (int p = 0; p < SNF_DATA_NP; p++) {
            h->val_mape[p] = vm.mape[p];
        }
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
            ck.epoch = epoch;
            ck.es = es;
            ck.adam_t = net->adam_t;
            ck.step = net->step;
            ck.n_hist = n_hist;
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
        memcpy(net->params, best_p, net->nparams * sizeof *best_p);
        memcpy(net->bn_stats, best_s, net->nstats * sizeof *best_s);
        ck.finished = 1;
        snprintf(ck.stop_reason, sizeof ck.stop_reason, "%s", sum->stop_reason);
        ck.epoch = epoch;
        ck.es = es;
        ck.adam_t = net->adam_t;
        ck.step = net->step;
        ck.n_hist = n_hist;
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
    snf_it_free(net);
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
