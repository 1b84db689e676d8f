/* test_curriculum.c: transfer.h and curriculum.h without data files. Frozen modules stay bitwise frozen
 * (weights, Adam moments, BatchNorm running statistics, with and without weight decay) while the rest
 * changes; a fine-tune interrupted and resumed ends bitwise like an uninterrupted one; the epoch kept is
 * the one of the lowest validation loss and its weights reproduce that loss on the validation rows; one
 * training run selected per fold selects what a separate run per fold selects, bitwise, and resumes; the
 * k-fold deal tests every model exactly once with disjoint test / validation / training rows; curriculum
 * configs with mistakes fail naming file:line. The recipe (cosine schedule, EMA, clipping) on a fine-tune:
 * frozen tensors still bitwise (their EMA too), the rate decays in the history; recipe keys in stage sections. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"

enum { NROWS = 40, T = 16, CIN = 2 };

static float g_x[NROWS * CIN * T], g_y[NROWS * SNF_DATA_NP];

/* Synthetic rows: inputs from a seeded stream, targets a fixed smooth function of them (learnable). */
static void make_rows(void)
{
    snf_rng r = snf_rng_seed(42);
    for (int i = 0; i < NROWS; i++) {
        double s = 0;
        for (int j = 0; j < CIN * T; j++) {
            g_x[i * CIN * T + j] = 2.0f * snf_rng_uniform(&r) - 1.0f;
            s += g_x[i * CIN * T + j];
        }
        for (int q = 0; q < SNF_DATA_NP; q++) {
            g_y[i * SNF_DATA_NP + q] = (float)(0.1 * s * (q + 1) / (CIN * T) + 0.2 * (q - 1.5));
        }
    }
}

static snf_transfer_config base_cfg(const char *out, const char *text)
{
    snf_transfer_config c;
    memset(&c, 0, sizeof c);
    c.net = snf_net_config_default();
    c.net.C_in = CIN;
    c.net.T = T;
    c.net.filters = 4;
    c.net.depth = 6;
    c.net.kernel = 8;
    c.net.bottleneck = 4;
    c.net.bn_momentum = 0.9f;
    c.spec = snf_data_spec_default();
    c.spec.L = T;
    c.spec.mask = 1;
    c.spec.channels = SNF_CH_LBOL; /* 1 series + its mask = 2 channels */
    for (int q = 0; q < SNF_DATA_NP; q++) {
        c.norm.y_mean[q] = 0;
        c.norm.y_std[q] = 1;
    }
    c.norm.x_std[0] = c.norm.x_std[1] = 1;
    c.seed = 7;
    c.epochs = 5;
    c.batch = 8;
    c.adam = snf_adam_config_default();
    c.adam.lr = 3e-3f;
    c.es_patience = 0;
    c.text = text;
    c.data_file = "";
    c.out_path = out;
    return c;
}

/* Offset and size of tensor `name` in the slab (size table walk; -1 if absent). */
static long tensor_off(const snf_net_config *cfg, const snf_ckpt *ck, const char *name, size_t *size)
{
    size_t off = 0;
    for (int i = 0; i < ck->ntensors; i++) {
        char nm[64];
        snf_net_tensor_name(cfg, i, nm, sizeof nm);
        if (!strcmp(nm, name)) {
            *size = ck->sizes[i];
            return (long)off;
        }
        off += ck->sizes[i];
    }
    return -1;
}

/* rp: the fine-tune's recipe (NULL: the default, the rate fixed) */
static void test_freeze(double wd, const snf_recipe *rp)
{
    const char *a = "tc_start.h5", *b = "tc_frozen.h5";
    unlink(a);
    unlink(b);
    snf_rows rows = snf_rows_view(g_x, g_y, 32, CIN * T),
             val = snf_rows_view(g_x + 32 * CIN * T, g_y + 32 * SNF_DATA_NP, 8, CIN * T);
    snf_train_options o = snf_train_options_default();
    snf_transfer_summary s;
    snf_transfer_config c = base_cfg(a, "start");
    CHECK_INT(snf_transfer_run(&c, &rows, NULL, &val, &o, &s), SNF_OK, "the starting model trains");
    snf_ckpt ca, cb;
    CHECK_INT(snf_ckpt_read(&ca, a), SNF_OK, "the starting model reads back");
    /* fine-tune with modules 0-3 frozen (so res0, after modules 0-2, too), mixing in half the rows */
    snf_transfer_config f = base_cfg(b, "frozen");
    f.init = &ca;
    f.freeze = 4;
    f.adam.weight_decay = (float)wd;
    f.mix_share = 0.25;
    f.seed = 9;
    if (rp) {
        f.recipe = *rp;
    }
    snf_rows mix = snf_rows_view(g_x, g_y, 16, CIN * T), narrow = snf_rows_view(g_x, g_y, 16, CIN * T - 1);
    CHECK_INT(snf_transfer_run(&f, &rows, &narrow, &val, &o, &s), SNF_EINVAL, "mixed-in rows narrower than the "
              "network's input are refused: %s", snf_error_last_message());
    CHECK_INT(snf_transfer_run(&f, &rows, &mix, &val, &o, &s), SNF_OK, "the fine-tune runs (weight decay %g)", wd);
    CHECK_INT(s.frozen_tensors, 4 * SNF_NET_TENSORS_PER_MODULE + SNF_NET_TENSORS_PER_RES,
              "frozen tensors: 4 modules x 7 + the first shortcut's 3");
    CHECK_INT(snf_ckpt_read(&cb, b), SNF_OK, "the fine-tuned model reads back");
    /* the recipe reaches the loop: a step schedule's rate moves in the history, the fixed rate does not; the
     * EMA is kept in the file (and is what best_params hold, so the frozen checks below cover it) */
    int moved = 0;
    for (long e = 0; e < cb.n_hist; e++) {
        moved |= cb.hist[e].lr != (double)f.adam.lr;
    }
    if (rp && rp->schedule == SNF_RECIPE_COSINE) {
        CHECK_TRUE(moved && cb.hist[cb.n_hist - 1].lr < 0.5 * (double)f.adam.lr && cb.sched_total > 0,
                   "cosine: the rate decays in the history (last %g of %g, %ld steps)", cb.hist[cb.n_hist - 1].lr,
                   (double)f.adam.lr, cb.sched_total);
    } else {
        CHECK_TRUE(!moved && cb.sched_total == 0, "the default recipe holds the rate fixed");
    }
    CHECK_TRUE((cb.ema_params != NULL) == (rp && rp->ema > 0), "the weight EMA is in the file when on");
    if (rp) { /* stopped after 2 epochs and resumed: bitwise the uninterrupted run (schedule, EMA, moments) */
        const char *k = "tc_frozen_resumed.h5";
        unlink(k);
        f.out_path = k;
        snf_train_options o2 = o;
        o2.stop_after = 2;
        CHECK_INT(snf_transfer_run(&f, &rows, &mix, &val, &o2, &s), SNF_OK, "the recipe run stops after 2 epochs");
        CHECK_TRUE(s.stopped && !s.finished, "stopped, not finished");
        CHECK_INT(snf_transfer_run(&f, &rows, &mix, &val, &o, &s), SNF_OK, "and resumes");
        snf_ckpt ck;
        CHECK_INT(snf_ckpt_read(&ck, k), SNF_OK, "the resumed model reads back");
        CHECK_TRUE(s.resumed && ck.nparams == cb.nparams && ck.n_hist == cb.n_hist &&
                       !memcmp(ck.best_params, cb.best_params, ck.nparams * sizeof(float)) &&
                       !memcmp(ck.ema_params, cb.ema_params, ck.nparams * sizeof(float)) &&
                       !memcmp(ck.adam_v, cb.adam_v, ck.nparams * sizeof(float)) &&
                       ck.hist[ck.n_hist - 1].lr == cb.hist[cb.n_hist - 1].lr,
                   "recipe run stopped and resumed: bitwise the uninterrupted one");
        snf_ckpt_free(&ck);
        unlink(k);
        f.out_path = b;
    }
    const char *frozen[] = {"mod0.conv0_w", "mod0.bn_g", "mod1.bott_w", "mod2.pool_w", "mod3.conv2_w", "mod3.bn_b",
                            "res0.sc_w", "res0.bn_g"};
    const char *free_[] = {"mod4.conv0_w", "mod5.bn_g", "res1.sc_w", "head_w", "head_b"};
    for (size_t i = 0; i < sizeof frozen / sizeof *frozen; i++) {
        size_t n = 0;
        long off = tensor_off(&ca.net, &ca, frozen[i], &n);
        CHECK_TRUE(off >= 0 && n > 0 && !memcmp(ca.best_params + off, cb.best_params + off, n * sizeof(float)) &&
                       !memcmp(ca.best_params + off, cb.params + off, n * sizeof(float)),
                   "frozen %s bitwise unchanged (wd %g)", frozen[i], wd);
        int zero = 1;
        for (size_t j = 0; j < n; j++) {
            zero &= cb.adam_m[off + (long)j] == 0.0f && cb.adam_v[off + (long)j] == 0.0f;
        }
        CHECK_TRUE(zero, "frozen %s: Adam moments never touched", frozen[i]);
    }
    for (size_t i = 0; i < sizeof free_ / sizeof *free_; i++) {
        size_t n = 0;
        long off = tensor_off(&ca.net, &ca, free_[i], &n);
        CHECK_TRUE(off >= 0 && n > 0 && memcmp(ca.best_params + off, cb.best_params + off, n * sizeof(float)) != 0,
                   "trainable %s changed", free_[i]);
    }
    /* BN running statistics: module m's mean and var, located through the network's own layout */
    snf_net *net = NULL;
    snf_net_config nc = ca.net;
    CHECK_INT(snf_net_alloc(&net, &nc), SNF_OK, "a network for the layout");
    size_t C = 4 * (size_t)nc.filters;
    for (int m = 0; m < nc.depth; m++) {
        size_t om = (size_t)(net->st.mod_mean[m] - net->bn_stats), ov = (size_t)(net->st.mod_var[m] - net->bn_stats);
        int same = !memcmp(ca.best_stats + om, cb.best_stats + om, C * sizeof(float)) &&
                   !memcmp(ca.best_stats + ov, cb.best_stats + ov, C * sizeof(float)) &&
                   !memcmp(ca.best_stats + om, cb.bn_stats + om, C * sizeof(float));
        if (m < 4) {
            CHECK_TRUE(same, "module %d (frozen): BatchNorm running statistics bitwise unchanged", m);
        } else {
            CHECK_TRUE(!same, "module %d (trainable): BatchNorm running statistics updated", m);
        }
    }
    size_t r0 = (size_t)(net->st.res_mean[0] - net->bn_stats);
    CHECK_TRUE(!memcmp(ca.best_stats + r0, cb.best_stats + r0, C * sizeof(float)), "res0 statistics unchanged");
    snf_net_free(net);
    CHECK_TRUE(ca.norm.y_std[2] == cb.norm.y_std[2] && ca.norm.x_mean[0] == cb.norm.x_mean[0], "normalisation kept");
    snf_ckpt_free(&ca);
    snf_ckpt_free(&cb);
    /* bad freeze counts */
    snf_net_config lc = c.net;
    lc.arch = SNF_ARCH_LITE;
    lc.max_B = 8;
    snf_net *ln = NULL;
    if (snf_net_alloc(&ln, &lc) == SNF_OK) {
        CHECK_TRUE(snf_transfer_freeze(ln, 1, NULL, NULL, NULL) == SNF_EINVAL, "LITE cannot freeze modules");
        CHECK_TRUE(snf_transfer_freeze(ln, 0, NULL, NULL, NULL) == 0, "LITE with freeze 0 is fine");
        snf_net_free(ln);
    }
    unlink(a);
    unlink(b);
}

static void test_resume_and_selection(void)
{
    const char *a = "tc_full.h5", *b = "tc_killed.h5";
    unlink(a);
    unlink(b);
    snf_rows rows = snf_rows_view(g_x, g_y, 32, CIN * T),
             val = snf_rows_view(g_x + 32 * CIN * T, g_y + 32 * SNF_DATA_NP, 8, CIN * T);
    snf_train_options o = snf_train_options_default();
    snf_transfer_summary s1, s2;
    snf_transfer_config c = base_cfg(a, "resume");
    c.epochs = 6;
    c.mix_share = 0.25;
    c.aug.noise = 0.1f;
    snf_rows mix = snf_rows_view(g_x, g_y, 16, CIN * T);
    CHECK_INT(snf_transfer_run(&c, &rows, &mix, &val, &o, &s1), SNF_OK, "uninterrupted run");
    snf_transfer_config k = c;
    k.out_path = b;
    o.stop_after = 2;
    CHECK_INT(snf_transfer_run(&k, &rows, &mix, &val, &o, &s2), SNF_OK, "run stopped after 2 epochs");
    CHECK_TRUE(s2.stopped && !s2.finished, "it says it stopped");
    o.stop_after = 3;
    CHECK_INT(snf_transfer_run(&k, &rows, &mix, &val, &o, &s2), SNF_OK, "resumed, stopped again");
    o.stop_after = 0;
    CHECK_INT(snf_transfer_run(&k, &rows, &mix, &val, &o, &s2), SNF_OK, "resumed to the end");
    CHECK_TRUE(s2.resumed && s2.finished, "resumed and finished");
    snf_ckpt ca, cb;
    snf_ckpt_read(&ca, a);
    snf_ckpt_read(&cb, b);
    CHECK_TRUE(ca.nparams == cb.nparams && !memcmp(ca.best_params, cb.best_params, ca.nparams * sizeof(float)) &&
                   !memcmp(ca.best_stats, cb.best_stats, ca.nstats * sizeof(float)) &&
                   !memcmp(ca.adam_v, cb.adam_v, ca.nparams * sizeof(float)),
               "killed twice and resumed: bitwise the uninterrupted run's weights, statistics and moments");
    /* the epoch kept is the argmin of the recorded validation losses ... */
    long arg = 0;
    for (long e = 1; e < ca.n_hist; e++) {
        arg = ca.hist[e].val_loss < ca.hist[arg].val_loss ? e : arg;
    }
    CHECK_INT(ca.es.best_epoch, arg, "best epoch = argmin of the validation loss history");
    /* ... and its weights give that epoch's validation MAPE on the validation rows */
    snf_metrics m;
    CHECK_INT(snf_transfer_score(&ca, &val, &m, NULL), SNF_OK, "score the kept weights");
    CHECK_REL(m.mape[0], ca.hist[arg].val_mape[0], 1e-6, "kept weights reproduce the best epoch's validation MAPE");
    /* another run's file is refused */
    snf_transfer_config other = c;
    other.text = "another";
    CHECK_INT(snf_transfer_run(&other, &rows, &mix, &val, &o, &s1), SNF_EINVAL, "a file of another run is refused");
    snf_ckpt_free(&ca);
    snf_ckpt_free(&cb);
    unlink(a);
    unlink(b);
}

/* Removes dir/run.h5, losses.csv, epochNNN.h5 and dir itself. */
static void rm_folds_dir(const char *dir)
{
    char p[256];
    const char *names[] = {"run.h5", "run.h5.tmp", "losses.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    for (int e = 1; e <= 20; e++) {
        snprintf(p, sizeof p, "%s/epoch%03d.h5", dir, e);
        unlink(p);
    }
    rmdir(dir);
}

/* One training run selected per fold (the curriculum's stage 1) selects for each fold what a separate run
 * with that fold's validation rows and the same seed selects: the same epoch, bitwise the same weights and
 * the same validation-loss history; killed twice and resumed, bitwise the same again. */
static void test_run_folds(void)
{
    enum { K = 3, EPOCHS = 12 };
    static float yb[5 * SNF_DATA_NP];
    for (int i = 0; i < 5; i++) { /* fold 2 validates on targets that do not follow the inputs */
        for (int q = 0; q < SNF_DATA_NP; q++) {
            yb[i * SNF_DATA_NP + q] = g_y[((i * 3 + q) % 5 + 30) * SNF_DATA_NP + q] * (q % 2 ? -1.5f : 2.0f);
        }
    }
    snf_rows train = snf_rows_view(g_x, g_y, 24, CIN * T);
    snf_rows val[K] = {snf_rows_view(g_x + 24 * CIN * T, g_y + 24 * SNF_DATA_NP, 6, CIN * T),
                       snf_rows_view(g_x + 30 * CIN * T, yb, 5, CIN * T),
                       snf_rows_view(g_x + 35 * CIN * T, g_y + 35 * SNF_DATA_NP, 5, CIN * T)};
    const char *text[K] = {"fold 1", "fold 2", "fold 3"};
    const char *outa[K] = {"tcf_a1.h5", "tcf_a2.h5", "tcf_a3.h5"}, *outb[K] = {"tcf_b1.h5", "tcf_b2.h5", "tcf_b3.h5"};
    const char *sep[K] = {"tcf_s1.h5", "tcf_s2.h5", "tcf_s3.h5"};
    for (int f = 0; f < K; f++) {
        unlink(outa[f]);
        unlink(outb[f]);
        unlink(sep[f]);
    }
    rm_folds_dir("tcf_a");
    rm_folds_dir("tcf_b");
    snf_transfer_config c = base_cfg("unused.h5", "shared");
    c.epochs = EPOCHS;
    c.es_patience = 2;
    c.aug.noise = 0.05f;
    snf_train_options o = snf_train_options_default();
    snf_transfer_summary sa[K], sb[K], ss;
    int stopped = 0;
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text, outa, "tcf_a", &o, sa, &stopped), SNF_OK,
              "one run for 3 folds");
    CHECK_TRUE(!stopped && access("tcf_a/losses.csv", F_OK) == 0 && access("tcf_a/epoch001.h5", F_OK) != 0,
               "finished; losses.csv kept, the epoch files removed");
    long maxlast = 0;
    for (int f = 0; f < K; f++) {
        snf_transfer_config s = c;
        s.out_path = sep[f];
        s.text = text[f];
        CHECK_INT(snf_transfer_run(&s, &train, NULL, &val[f], &o, &ss), SNF_OK, "fold %d's separate run", f + 1);
        snf_ckpt a, b;
        CHECK_INT(snf_ckpt_read(&a, outa[f]), SNF_OK, "fold %d's model file reads", f + 1);
        CHECK_INT(snf_ckpt_read(&b, sep[f]), SNF_OK, "the separate run's model file reads");
        printf("  fold %d: separate run %ld epochs (%s), best %ld; shared: %ld epochs, best %ld\n", f + 1, b.epoch,
               b.stop_reason, b.es.best_epoch + 1, a.epoch, a.es.best_epoch + 1);
        CHECK_INT(a.es.best_epoch, b.es.best_epoch, "fold %d: the same epoch selected", f + 1);
        CHECK_INT(a.epoch, b.epoch, "fold %d: stopped after the same epochs", f + 1);
        CHECK_TRUE(a.es.best == b.es.best && a.es.wait == b.es.wait && sa[f].best_epoch == b.es.best_epoch,
                   "fold %d: the same early-stopping state and summary", f + 1);
        CHECK_TRUE(!memcmp(a.best_params, b.best_params, a.nparams * sizeof(float)) &&
                       !memcmp(a.best_stats, b.best_stats, a.nstats * sizeof(float)),
                   "fold %d: bitwise the separate run's selected weights and BN statistics", f + 1);
        int same_hist = a.n_hist == b.n_hist && a.finished && !strcmp(a.config_text, text[f]);
        for (long e = 0; same_hist && e < a.n_hist; e++) {
            same_hist = a.hist[e].val_loss == b.hist[e].val_loss && a.hist[e].val_mape[2] == b.hist[e].val_mape[2];
        }
        CHECK_TRUE(same_hist, "fold %d: finished, its text, the separate run's validation history", f + 1);
        maxlast = a.epoch > maxlast ? a.epoch : maxlast;
        snf_ckpt_free(&a);
        snf_ckpt_free(&b);
    }
    snf_ckpt r;
    CHECK_INT(snf_ckpt_read(&r, "tcf_a/run.h5"), SNF_OK, "the shared run's file");
    CHECK_INT(r.epoch, maxlast, "the shared run ends when the last fold stops (or at the epoch limit)");
    snf_ckpt_free(&r);
    /* killed twice (after 3 and 2 more epochs) and resumed: the same fold files */
    o.stop_after = 3;
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text, outb, "tcf_b", &o, sb, &stopped), SNF_OK, "stopped");
    CHECK_TRUE(stopped && access(outb[0], F_OK) != 0, "it says it stopped, no fold file yet");
    o.stop_after = 2;
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text, outb, "tcf_b", &o, sb, &stopped), SNF_OK, "resumed");
    o.stop_after = 0;
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text, outb, "tcf_b", &o, sb, &stopped), SNF_OK,
              "resumed to the end");
    for (int f = 0; f < K; f++) {
        snf_ckpt a, b;
        snf_ckpt_read(&a, outa[f]);
        snf_ckpt_read(&b, outb[f]);
        CHECK_TRUE(a.es.best_epoch == b.es.best_epoch && a.nparams == b.nparams &&
                       !memcmp(a.best_params, b.best_params, a.nparams * sizeof(float)) &&
                       !memcmp(a.best_stats, b.best_stats, a.nstats * sizeof(float)),
                   "fold %d: stopped twice and resumed: bitwise the uninterrupted selection", f + 1);
        snf_ckpt_free(&a);
        snf_ckpt_free(&b);
    }
    /* once done, nothing is recomputed; a fold file of another run is refused */
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text, outb, "tcf_b", &o, sb, &stopped), SNF_OK, "again");
    CHECK_TRUE(sb[0].already_finished && sb[2].already_finished, "already finished");
    const char *text2[K] = {"fold 1", "other", "fold 3"};
    CHECK_INT(snf_transfer_run_folds(&c, &train, K, val, text2, outb, "tcf_b", &o, sb, &stopped), SNF_EINVAL,
              "a fold file of another run is refused");
    for (int f = 0; f < K; f++) {
        unlink(outa[f]);
        unlink(outb[f]);
        unlink(sep[f]);
    }
    rm_folds_dir("tcf_a");
    rm_folds_dir("tcf_b");
}

static void test_folds(void)
{
    int bad = 0, cases = 0;
    for (long n = 3; n <= 31; n++) {
        for (int k = 3; k <= 6 && k <= n; k++) {
            long ids[64];
            for (long i = 0; i < n; i++) {
                ids[i] = 3 * i + 1; /* file rows need not be 0..n-1 */
            }
            int tested[100] = {0};
            for (int f = 0; f < k; f++) {
                snf_fold a, b;
                snf_fold_make(&a, ids, n, k, 5, f);
                snf_fold_make(&b, ids, n, k, 5, (f + 1) % k);
                bad += snf_fold_check_disjoint(&a) != SNF_OK;
                bad += a.n_test + a.n_val + a.n_train != n || a.n_test < 1 || a.n_val < 1 || a.n_train < 1;
                bad += a.n_val != b.n_test || memcmp(a.val, b.test, (size_t)a.n_val * sizeof(long)) != 0;
                for (long i = 0; i < a.n_test; i++) {
                    tested[a.test[i]]++;
                }
                snf_fold_free(&a);
                snf_fold_free(&b);
            }
            for (long i = 0; i < n; i++) {
                bad += tested[ids[i]] != 1;
            }
            cases++;
        }
    }
    CHECK_INT(bad, 0, "%d (n, k) deals: disjoint parts, every model tested exactly once, val = next fold's test",
              cases);
    snf_fold f;
    long ids[4] = {0, 1, 2, 3};
    CHECK_INT(snf_fold_make(&f, ids, 4, 2, 1, 0), SNF_EINVAL, "2 folds refused");
    CHECK_INT(snf_fold_make(&f, ids, 2, 3, 1, 0), SNF_EINVAL, "fewer models than folds refused");
    long t[2] = {1, 2}, v[1] = {2}, tr[1] = {3};
    snf_fold o = {t, v, tr, 2, 1, 1};
    CHECK_INT(snf_fold_check_disjoint(&o), SNF_EINVAL, "an overlapping fold is caught");
    CHECK_TRUE(strstr(snf_error_last_message(), "row 2") != NULL, "naming the row: %s", snf_error_last_message());
}

static void bad_config(const char *text, const char *want)
{
    snf_curr_config c;
    int rc = snf_curr_config_parse(&c, text, "exp.ini");
    const char *msg = snf_error_last_message();
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(msg, want) != NULL, "bad config -> '%s' (%s)", want, msg);
}

static void test_config(void)
{
    const char *good = "[data]\nsa = sa.h5\nhydro = /abs/h.h5\nchannels = both\n[split]\nfolds = 5\n[model]\narch = "
                       "lite\n[stage2]\nmix_share = 0.5\nschedule = cosine\nema = 0.99\n[ablation.trim]\nt_start = 30\n"
                       "stage2.lr = 1e-5\nstage1.clip_norm = 1\n";
    snf_curr_config c;
    CHECK_INT(snf_curr_config_parse(&c, good, "dir/exp.ini"), SNF_OK, "a good config parses");
    CHECK_INT(c.nvariants, 2, "base + one ablation");
    CHECK_TRUE(!strcmp(c.variants[0].sa_file, "dir/sa.h5") && !strcmp(c.hydro_file, "/abs/h.h5"),
               "paths resolved against the config's folder");
    CHECK_ABS(c.variants[1].spec.t_start_d, 30, 0, "ablation overrides t_start");
    CHECK_ABS(c.variants[1].s2.lr, 1e-5, 0, "ablation overrides stage2.lr");
    CHECK_ABS(c.variants[1].s2.mix_share, 0.5, 0, "ablation inherits the base's mix share");
    CHECK_ABS(c.variants[0].spec.t_start_d, 1, 0, "the base keeps t_start");
    CHECK_TRUE(c.variants[0].s2.recipe.schedule == SNF_RECIPE_COSINE && c.variants[0].s2.recipe.ema == 0.99f &&
                   snf_recipe_is_default(&c.variants[0].s1.recipe) && c.variants[1].s1.recipe.clip_norm == 1.0f &&
                   c.variants[1].s2.recipe.schedule == SNF_RECIPE_COSINE,
               "recipe keys in [stage2] and stage1.KEY in an ablation (which inherits the base's)");
    snf_curr_config_free(&c);
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[split]\nfolds = 2\n", "exp.ini:5:");
    bad_config("[data]\nsa = a.h5\n", "exp.ini:1:");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[stage1]\nlr = fast\n", "exp.ini:5: [stage1] lr");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[stage2]\nfrozen = 2\n", "exp.ini:5: [stage2] frozen");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[stage2]\nschedule = linear\n", "exp.ini:5: [stage2] schedule");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[stage1]\nema = 1.5\n", "exp.ini:5: [stage1] ema");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[bogus]\nx = 1\n", "exp.ini:4: [bogus]");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[ablation.x]\nchannels = colour\n", "exp.ini:5: [ablation.x]");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[model]\narch = lite\n[stage2]\nfreeze = 2\n", "exp.ini:6:");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\nt_start = 50\nt_end = 20\n", "exp.ini:1: [data] t_end");
    bad_config("[data]\nsa = a.h5\nsa = c.h5\nhydro = b.h5\n", "exp.ini:3: [data] sa: given twice");
}

/* [observe]: train's keys through train's parser, the stage switches (base and ablation), the check per variant */
static void test_observe_config(void)
{
    const char *good = "[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nepochs_L = 10-20\nfirst_d = 2-5\nL_err = 0.1\n"
                       "vph_missing = 0.3\n[stage1]\nobserve = no\n[ablation.x]\nstage1.observe = yes\n"
                       "stage2.observe = no\n";
    snf_curr_config c;
    CHECK_INT(snf_curr_config_parse(&c, good, "exp.ini"), SNF_OK, "a config with [observe] parses");
    const snf_curr_variant *b = &c.variants[0], *x = &c.variants[1];
    CHECK_TRUE(b->obs.epochs_L[0] == 10 && b->obs.epochs_L[1] == 20 && b->obs.first_d[0] == 2 &&
                   b->obs.first_d[1] == 5 && b->obs.L_err[0] == 0.1 && b->obs.L_err[1] == 0.1 &&
                   b->obs.vph_missing == 0.3 && isnan(b->obs.last_d[0]) && snf_obs_aug_active(&b->obs),
               "[observe] keys as train reads them");
    CHECK_TRUE(b->s1.observe == 0 && b->s2.observe == 1, "base: stage 1 off (observe = no), stage 2 on by default");
    CHECK_TRUE(x->s1.observe == 1 && x->s2.observe == 0 && x->obs.epochs_L[1] == 20,
               "ablation: stage1.observe / stage2.observe, [observe] inherited");
    snf_curr_config_free(&c);
    CHECK_INT(snf_curr_config_parse(&c, "[data]\nsa = a.h5\nhydro = b.h5\n", "exp.ini"), SNF_OK, "no [observe]");
    CHECK_TRUE(!snf_obs_aug_active(&c.variants[0].obs) && c.variants[0].s1.observe == 1 && c.variants[0].s2.observe == 1,
               "without [observe]: nothing drawn");
    snf_curr_config_free(&c);
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nepochs_L = 1\n", "exp.ini:5: [observe] epochs_L");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nfirst_d = 5-2\n", "exp.ini:5: [observe] first_d");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nnoise = 1\n", "exp.ini:5: [observe] noise: unknown key");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\ngaps = 1\nepochs_L = 5\n", "exp.ini:4: [observe] gap_d");
    /* the window checked against each variant's grid: the ablation's ends before the window begins */
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nepochs_L = 5\nfirst_d = 20\n[ablation.short]\n"
               "t_end = 15\n", "exp.ini:4: [observe] last_d");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[stage2]\nobserve = yes\n", "exp.ini:5: [stage2] observe: yes needs");
    bad_config("[data]\nsa = a.h5\nhydro = b.h5\n[observe]\nepochs_L = 5\n[stage2]\nobserve = 1\n",
               "exp.ini:7: [stage2] observe");
}

static void test_search_keys(void)
{
    const char *base = "; c\n[data]\nsa = a.h5\nhydro = b.h5\n[stage2]\nlr = 1e-4 ; x\n[ablation.x]\nt_start = 30\n"
                       "[model]\narch = lite\n";
    char sec[3][64] = {"stage2", "data", "augment"}, key[3][64] = {"lr", "length", "noise"};
    const char *val[3] = {"3e-4", "48", "0.2"};
    char *t = snf_search_set_keys(base, 3, sec, key, val);
    const char *want = "; c\n[data]\nlength = 48\nsa = a.h5\nhydro = b.h5\n[stage2]\nlr = 3e-4\n[model]\narch = lite\n"
                       "[augment]\nnoise = 0.2\n";
    CHECK_TRUE(t && !strcmp(t, want), "keys replaced, added under their section or in a new one, ablations dropped:\n%s",
               t ? t : "(null)");
    snf_curr_config c;
    CHECK_INT(snf_curr_config_parse(&c, t, "x.ini"), SNF_OK, "the trial config parses");
    CHECK_ABS(c.variants[0].s2.lr, 3e-4, 1e-12, "trial stage2.lr");
    CHECK_INT(c.variants[0].spec.L, 48, "trial length");
    CHECK_INT(c.nvariants, 1, "no ablations in a trial");
    snf_curr_config_free(&c);
    free(t);
}

int main(void)
{
    snf_threads_setup(1);
    make_rows();
    test_freeze(0.0, NULL);
    test_freeze(0.05, NULL);
    snf_recipe rp = snf_recipe_default(); /* the recipe on a fine-tune: frozen tensors still bitwise */
    char why[160];
    CHECK_TRUE(snf_recipe_set(&rp, "schedule", "cosine", why, sizeof why) == 1 &&
                   snf_recipe_set(&rp, "ema", "0.9", why, sizeof why) == 1 &&
                   snf_recipe_set(&rp, "clip_norm", "0.5", why, sizeof why) == 1 &&
                   snf_recipe_set(&rp, "batch", "3", why, sizeof why) == 0 &&
                   snf_recipe_set(&rp, "schedule", "linear", why, sizeof why) == -1,
               "recipe keys: set, not a recipe key, bad value (%s)", why);
    char rt[256];
    int nrt = snf_recipe_text(&rp, rt, sizeof rt);
    CHECK_TRUE(nrt > 0 && strstr(rt, "schedule = cosine") != NULL,
               "a recipe enters the run's text: %s", rt);
    snf_recipe d0 = snf_recipe_default();
    CHECK_TRUE(snf_recipe_text(&d0, rt, sizeof rt) == 0 && rt[0] == '\0', "the default recipe adds nothing");
    test_freeze(0.0, &rp);
    test_resume_and_selection();
    test_run_folds();
    test_folds();
    test_config();
    test_observe_config();
    test_search_keys();
    return snf_check_failures();
}
