/* transfer.c: transfer.h's runs (fine-tuning and the curriculum's stages) on resident encoded rows, as an
 * adapter of the one training loop (train_loop.c, snf_loop_run): the rows become batchers (data.h: the training
 * rows, mixed with the mixed-in rows cycling through their own shuffle; the validation rows), the recipe becomes the
 * loop's rate rules; and the freezing of the first Inception modules (rate multipliers 0 and the BatchNorm
 * statistics ranges the loop keeps), the recipe keys' parser and the scorer of resident rows. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#include "snforge/train.h"
#include "train_internal.h"

/* ---- static helpers ---- */

/* Appends the range [off, off + n) and returns the new count. */
static int snf_tr_range(size_t *lo, size_t *hi, int nr, ptrdiff_t off, size_t n)
{
    lo[nr] = (size_t)off;
    hi[nr] = (size_t)off + n;
    return nr + 1;
}

/* Loss and metrics of the network's current weights in eval mode on resident rows (pred_out[n][4]: the
 * physical predictions, may be NULL): the one scorer (snf_train_score_pred) through a view of the rows in
 * batches of the network's max_B. */
static int snf_tr_metrics(snf_net *net, const snf_norm *norm, const snf_rows *rows, double *loss, snf_metrics *m,
                          double *pred_out)
{
    memset(m, 0, sizeof *m);
    *loss = NAN;
    if (rows->n == 0) {
        return SNF_OK;
    }
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    const int B = net->cfg.max_B;
    snf_batcher *b = NULL;
    int rc = SNF_OK;
    if (rows->CL != CL) {
        SNF_ERROR(SNF_EINVAL, "rows of %zu floats scored by a network of %zu inputs", rows->CL, CL);
    }
    float *x = malloc((size_t)B * CL * sizeof *x), *y = malloc((size_t)B * SNF_DATA_NP * sizeof *y);
    if (!x || !y) {
        SNF_FAIL(SNF_ENOMEM, "out of memory scoring %ld rows", rows->n);
    }
    if ((rc = snf_batcher_rows(&b, rows, B, 0, 0, 0)) >= 0) {
        rc = snf_train_score_pred(net, b, rows->n, norm, x, y, loss, m, NULL, pred_out);
    }
cleanup:
    snf_batcher_free(b);
    free(x);
    free(y);
    return rc;
}

/* ---- the adapter's sections ---- */

/* The settings a run needs: training rows, a mix share in 0..0.9 with rows to mix in, batch and epochs >= 1,
 * at least one training row in a batch, and rows as wide as the network's input. *nm, *nt: mixed-in and training
 * rows of a batch. */
static int snf_tr_check(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                        const snf_rows *val, int *nm, int *nt)
{
    const long n_mix = mix ? mix->n : 0;
    if (!train || train->n < 1) {
        SNF_ERROR(SNF_EINVAL, "%s: no training rows", cfg->out_path);
    }
    const size_t CL = (size_t)cfg->net.C_in * (size_t)cfg->net.T;
    const snf_rows *sets[3] = {train, mix, val};
    for (int k = 0; k < 3; k++) {
        if (sets[k] && sets[k]->n > 0 && sets[k]->CL != CL) {
            SNF_ERROR(SNF_EINVAL, "%s: rows of %zu floats for a network of %d x %d inputs", cfg->out_path,
                      sets[k]->CL, cfg->net.C_in, cfg->net.T);
        }
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

/* The loop's rate settings from a recipe: `constant` holds adam.lr fixed (no schedule length or plateau state,
 * as fine-tuning always trained: the stored plateau is {factor 1, the rest 0}); plateau is [train]'s default
 * rule (factor 0.5, patience 10, min_lr 1e-5, min_delta 1e-4) on the epoch training loss; cosine and onecycle
 * are [train]'s step schedules. */
static int snf_tr_recipe(snf_loop_config *lc, const snf_recipe *rp)
{
    if (rp->schedule < SNF_RECIPE_CONSTANT || rp->schedule > SNF_RECIPE_ONECYCLE || rp->warmup < 0 ||
        rp->warmup > 0.9f || rp->lr_end < 0 || rp->clip_norm < 0 || rp->ema < 0 || rp->ema >= 1.0f ||
        (rp->schedule == SNF_RECIPE_ONECYCLE && rp->onecycle_div < 1.0f)) {
        SNF_ERROR(SNF_EINVAL, "bad recipe (schedule %d, warmup %g, lr_end %g, onecycle_div %g, clip_norm %g, "
                  "ema %g)", rp->schedule, (double)rp->warmup, (double)rp->lr_end, (double)rp->onecycle_div,
                  (double)rp->clip_norm, (double)rp->ema);
    }
    static const int kinds[] = {SNF_SCHED_CONSTANT, SNF_SCHED_PLATEAU, SNF_SCHED_COSINE, SNF_SCHED_ONECYCLE};
    memset(&lc->sched, 0, sizeof lc->sched);
    lc->sched.kind = kinds[rp->schedule];
    lc->sched.warmup = rp->warmup;
    lc->sched.lr_end = rp->lr_end;
    lc->sched.div = rp->onecycle_div;
    lc->fixed_rate = rp->schedule == SNF_RECIPE_CONSTANT;
    memset(&lc->plateau, 0, sizeof lc->plateau);
    lc->plateau.factor = 1.0f;
    if (rp->schedule == SNF_RECIPE_PLATEAU) {
        lc->plateau = snf_plateau_default();
        lc->plateau.patience = 10;
        lc->plateau.min_lr = 1e-5f;
        lc->plateau.best = INFINITY;
        lc->plateau.wait = lc->plateau.cooldown_left = 0;
    }
    lc->clip_norm = rp->clip_norm;
    lc->ema = rp->ema;
    return SNF_OK;
}
/* SNF_EINVAL unless k is 0, or 1..depth Inception modules of a network that has them (not LITE). */
static int snf_tr_freeze_check(const snf_net_config *c, int k)
{
    if (k != 0 && (k < 0 || c->arch == SNF_ARCH_LITE || k > c->depth)) {
        SNF_ERROR(SNF_EINVAL, "freeze %d: expected 0..%d Inception modules%s", k, c->depth,
                  c->arch == SNF_ARCH_LITE ? " (LITE has no Inception modules to freeze: use 0)" : "");
    }
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
    SNF_CHECK(snf_tr_freeze_check(c, k));
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

snf_recipe snf_recipe_default(void)
{
    snf_recipe r = {.schedule = SNF_RECIPE_CONSTANT, .warmup = 0.05f, .lr_end = 1e-6f, .onecycle_div = 25.0f,
                    .clip_norm = 0.0f, .ema = 0.0f};
    return r;
}

int snf_recipe_is_default(const snf_recipe *r)
{
    return r->schedule == SNF_RECIPE_CONSTANT && r->clip_norm == 0.0f && r->ema == 0.0f;
}

static int snf_recipe_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(v, &end);
    while (*end == ' ' || *end == '\t') {
        end++;
    }
    if (end == v || *end || !isfinite(x) || x < lo || x > hi) {
        return 0;
    }
    *out = x;
    return 1;
}

int snf_recipe_set(snf_recipe *r, const char *key, const char *value, char *why, size_t n)
{
    static const char *const names[] = {"constant", "plateau", "cosine", "onecycle"};
    static const struct {
        const char *key;
        double lo, hi;
    } nums[] = {{"warmup", 0.0, 0.9}, {"lr_end", 0.0, 10.0}, {"onecycle_div", 1.0, 1e6}, {"clip_norm", 0.0, 1e9},
                {"ema", 0.0, 0.999999}};
    if (!strcmp(key, "schedule")) {
        for (int i = 0; i < 4; i++) {
            if (!strcmp(value, names[i])) {
                r->schedule = i;
                return 1;
            }
        }
        snprintf(why, n, "unknown schedule '%s' (expected constant, plateau, cosine or onecycle)", value);
        return -1;
    }
    for (size_t k = 0; k < sizeof nums / sizeof *nums; k++) {
        if (strcmp(key, nums[k].key) != 0) {
            continue;
        }
        double x;
        if (!snf_recipe_num(value, nums[k].lo, nums[k].hi, &x)) {
            snprintf(why, n, "'%s' is not a number in [%g, %g]", value, nums[k].lo, nums[k].hi);
            return -1;
        }
        float *f[] = {&r->warmup, &r->lr_end, &r->onecycle_div, &r->clip_norm, &r->ema};
        *f[k] = (float)x;
        return 1;
    }
    return 0;
}

int snf_recipe_text(const snf_recipe *r, char *buf, size_t n)
{
    static const char *const names[] = {"constant", "plateau", "cosine", "onecycle"};
    if (n > 0) {
        buf[0] = '\0';
    }
    if (snf_recipe_is_default(r)) { /* today's runs keep their texts (and so their model files) */
        return 0;
    }
    int s = r->schedule >= 0 && r->schedule < 4 ? r->schedule : 0;
    return snprintf(buf, n, "schedule = %s warmup = %.9g lr_end = %.9g onecycle_div = %.9g clip_norm = %.9g "
                    "ema = %.9g\n", names[s], (double)r->warmup, (double)r->lr_end, (double)r->onecycle_div,
                    (double)r->clip_norm, (double)r->ema);
}

int snf_transfer_check(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                       const snf_rows *val)
{
    int nm, nt;
    snf_loop_config lc;
    memset(&lc, 0, sizeof lc);
    SNF_CHECK(snf_tr_check(cfg, train, mix, val, &nm, &nt));
    SNF_CHECK(snf_tr_recipe(&lc, &cfg->recipe));
    SNF_CHECK(snf_tr_freeze_check(&cfg->net, cfg->freeze));
    lc.adam = cfg->adam;
    return snf_loop_check_sched(&lc);
}

int snf_transfer_run(const snf_transfer_config *cfg, const snf_rows *train, const snf_rows *mix,
                     const snf_rows *val, const snf_train_options *opt, snf_transfer_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    snf_ckpt old;
    memset(&old, 0, sizeof old);
    snf_batcher *btr = NULL, *bmix = NULL, *bva = NULL;
    int nm = 0, nt = 0;
    SNF_CHECK(snf_tr_check(cfg, train, mix, val, &nm, &nt));
    snf_loop_config lc;
    memset(&lc, 0, sizeof lc);
    SNF_CHECK(snf_tr_recipe(&lc, &cfg->recipe));

    /* An existing file: finished, resumable, or another run's. */
    int have_old = 0;
    int rc = snf_train_probe_old(&old, &have_old, cfg->out_path, cfg->text, "remove it",
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

    /* The rows: the training rows nt a step in the (seed, epoch) shuffle, reported by their position in train
     * ([observe] keys its draws by it); nm mixed-in rows cycling through their own shuffle (seed ^ M, epoch)
     * after them; the validation rows in batches of the network's max_B. */
    lc.net = cfg->net;
    lc.net.max_B = cfg->batch > 64 ? cfg->batch : 64;
    const long n_val = val ? val->n : 0;
    if ((rc = snf_batcher_rows(&btr, train, nt, 1, cfg->seed, 0)) < 0 ||
        (nm > 0 && (rc = snf_batcher_rows(&bmix, mix, nm, 1, cfg->seed ^ 0xD6E8FEB86659FD93ULL, 1)) < 0) ||
        (nm > 0 && (rc = snf_batcher_mix(&btr, btr, bmix)) < 0) ||
        (n_val > 0 && (rc = snf_batcher_rows(&bva, val, lc.net.max_B, 0, 0, 0)) < 0)) {
        goto cleanup; /* snf_batcher_mix took bmix (freeing both when it failed) */
    }
    lc.name = "transfer";
    lc.out_path = cfg->out_path;
    lc.spec = &cfg->spec;
    lc.norm = &cfg->norm;
    lc.init = cfg->init;
    lc.freeze = cfg->freeze;
    lc.seed = cfg->seed;
    lc.epochs = cfg->epochs;
    lc.batch = cfg->batch;
    lc.adam = cfg->adam;
    lc.es_patience = cfg->es_patience;
    lc.es_min_delta = cfg->es_min_delta;
    lc.aug = &cfg->aug;
    lc.aug_mix = &cfg->aug_mix;
    lc.obs = cfg->obs;
    lc.aug_stream = SNF_LOOP_AUG_SHUFFLE;
    lc.train = btr;
    lc.val = bva;
    lc.n_train = train->n;
    lc.n_val = n_val;
    lc.text = cfg->text;
    lc.data_file = cfg->data_file;
    lc.data_source = "transfer";
    lc.epoch_hook = cfg->epoch_hook;
    lc.hook_ctx = cfg->hook_ctx;
    snf_loop_result res;
    rc = snf_loop_run(&lc, have_old ? &old : NULL, opt, &res);
    sum->resumed = have_old;
    sum->epochs_run = res.epochs_run;
    sum->frozen_tensors = res.frozen_tensors;
    if (rc < 0) {
        goto cleanup;
    }
    sum->stopped = res.stopped;
    sum->finished = res.finished;
    snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", res.finished ? res.stop_reason : "epochs");
    sum->epoch = res.epoch;
    sum->best_epoch = res.best_epoch;
    sum->best_val_loss = res.best_val_loss;
    if (res.finished) {
        sum->val = res.val;
    }
    rc = SNF_OK;
cleanup:
    snf_batcher_free(btr);
    snf_batcher_free(bva);
    snf_ckpt_free(&old);
    return rc;
}
