/* test_recipe.c: the training recipe of nn/adam.c and train/train.c. Learning-rate schedules against
 * hand-computed rates (warm-up, cosine end points, one-cycle start and peak), AdamW's decay decoupled
 * from Adam's moments (hand numbers), gradient-norm clipping, the weight-EMA arithmetic, config errors,
 * and a kill-and-resume run with each recipe element equal bitwise to an uninterrupted one. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train_fixtures.h"
#include "snforge/train.h"
#include "snforge/grids.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- schedules ---- */

static void test_cosine(void)
{
    snf_lr_schedule s = {SNF_SCHED_COSINE, 1e-3f, 1e-5f, 0.1f, 25.0f, 100};
    /* warm-up over floor(0.1 x 100) = 10 steps, linear from 0: step t runs at lr (t + 1) / 10 */
    CHECK_REL(snf_lr_schedule_at(&s, 0), 1e-4, 1e-6, "cosine: step 0 runs at lr / 10");
    CHECK_REL(snf_lr_schedule_at(&s, 4), 5e-4, 1e-6, "cosine: step 4 at lr / 2");
    CHECK_REL(snf_lr_schedule_at(&s, 9), 1e-3, 1e-6, "cosine: warm-up ends at lr (step 9)");
    CHECK_REL(snf_lr_schedule_at(&s, 10), 1e-3, 1e-6, "cosine: decay starts at lr (step 10)");
    /* half way through the decay (step 55 of 10..100): (lr + lr_end) / 2 */
    CHECK_REL(snf_lr_schedule_at(&s, 55), 5.05e-4, 1e-5, "cosine: mid-decay at (lr + lr_end) / 2");
    /* step 99: lr_end + (lr - lr_end) (1 + cos(89 pi / 90)) / 2 = 1e-5 + 9.9e-4 x 3.0459e-4 */
    CHECK_REL(snf_lr_schedule_at(&s, 99), 1.0301543e-5, 1e-5, "cosine: last step just above lr_end");
    CHECK_REL(snf_lr_schedule_at(&s, 100), 1e-5, 1e-7, "cosine: at total the rate is lr_end");
    CHECK_REL(snf_lr_schedule_at(&s, 5000), 1e-5, 1e-7, "cosine: stays at lr_end after total");
    float prev = 1.0f;
    int mono = 1;
    for (long t = 10; t <= 100; t++) {
        float r = snf_lr_schedule_at(&s, t);
        mono &= r <= prev;
        prev = r;
    }
    CHECK_TRUE(mono, "cosine: non-increasing after the warm-up");
    s.warmup = 0.0f;
    CHECK_REL(snf_lr_schedule_at(&s, 0), 1e-3, 1e-6, "cosine without warm-up starts at lr");
    s.total = 1;
    CHECK_REL(snf_lr_schedule_at(&s, 0), 1e-3, 1e-6, "one-step cosine runs its step at lr");
}

static void test_onecycle(void)
{
    snf_lr_schedule s = {SNF_SCHED_ONECYCLE, 1e-3f, 1e-7f, 0.25f, 25.0f, 100};
    CHECK_REL(snf_lr_schedule_at(&s, 0), 4e-5, 1e-6, "one-cycle starts at lr / div = 4e-5");
    /* step 12 of a 25-step cosine warm-up: 4e-5 + 9.6e-4 (1 - cos(0.48 pi)) / 2 = 4.8986e-4 */
    CHECK_REL(snf_lr_schedule_at(&s, 12), 4.8986e-4, 1e-4, "one-cycle warm-up, step 12 (hand)");
    long tmax = -1;
    float mx = 0;
    for (long t = 0; t < 100; t++) {
        float r = snf_lr_schedule_at(&s, t);
        if (r > mx) {
            mx = r;
            tmax = t;
        }
    }
    CHECK_INT(tmax, 25, "one-cycle peaks at step warmup x total = 25");
    CHECK_REL(mx, 1e-3, 1e-6, "one-cycle peak is lr");
    CHECK_REL(snf_lr_schedule_at(&s, 100), 1e-7, 1e-6, "one-cycle ends at lr_end");
    s.kind = SNF_SCHED_PLATEAU;
    CHECK_REL(snf_lr_schedule_at(&s, 50), 1e-3, 1e-7, "plateau: the schedule leaves lr alone");
    s.kind = SNF_SCHED_CONSTANT;
    CHECK_REL(snf_lr_schedule_at(&s, 500), 1e-3, 1e-7, "constant: lr throughout");
}

/* ---- AdamW, clipping, EMA ---- */

static void test_adamw(void)
{
    size_t sizes[2] = {1, 2};
    float mult[2] = {1.0f, 1.0f}, wdm[2] = {1.0f, 0.0f};
    float pa[3] = {1.0f, 2.0f, -3.0f}, ma[3] = {0}, va[3] = {0};
    float pb[3] = {1.0f, 2.0f, -3.0f}, mb[3] = {0}, vb[3] = {0};
    float g[3] = {0.5f, 0.1f, 0.2f};
    snf_adam_config c = snf_adam_config_default();
    snf_adamw_update(pa, ma, va, g, sizes, mult, wdm, 2, &c, 1); /* plain Adam */
    c.weight_decay = 0.1f;
    snf_adamw_update(pb, mb, vb, g, sizes, mult, wdm, 2, &c, 1);
    CHECK_TRUE(!memcmp(ma, mb, sizeof ma) && !memcmp(va, vb, sizeof va),
               "AdamW: the decay never enters m or v (bitwise equal to Adam's)");
    /* Adam alone: 0.9990000063245154 (test_learn's hand value); the decay first scales by 1 - 1e-3 x 0.1 */
    CHECK_REL(1.0 - pb[0], 1.0 - 0.9989000063245154, 1e-4, "AdamW step 1: p (1 - lr wd) - Adam step (hand)");
    CHECK_REL(pa[0] - pb[0], 1e-4, 1e-3, "AdamW - Adam = lr wd p0");
    CHECK_TRUE(pa[1] == pb[1] && pa[2] == pb[2], "wd_mult 0: the tensor is not decayed");
    /* zero gradient: a pure decay, p <- p (1 - lr wd) */
    float p0[1] = {2.0f}, m0[1] = {0}, v0[1] = {0}, g0[1] = {0};
    size_t one[1] = {1};
    snf_adamw_update(p0, m0, v0, g0, one, NULL, NULL, 1, &c, 1);
    CHECK_REL(p0[0], 2.0 * (1.0 - 1e-4), 1e-7, "AdamW with g = 0 decays p by 1 - lr wd");
    CHECK_TRUE(m0[0] == 0.0f && v0[0] == 0.0f, "AdamW with g = 0 leaves the moments at 0");
}

static void test_clip(void)
{
    float g[2] = {3.0f, 4.0f};
    double n = snf_grad_clip(g, 2, 10.0f);
    CHECK_REL(n, 5.0, 1e-12, "clip: the norm of (3, 4) is 5");
    CHECK_TRUE(g[0] == 3.0f && g[1] == 4.0f, "clip: a norm below the limit leaves g");
    n = snf_grad_clip(g, 2, 1.0f);
    CHECK_REL(g[0], 0.6, 1e-6, "clip to 1: (0.6, 0.8)");
    CHECK_REL(g[1], 0.8, 1e-6, "clip to 1: (0.6, 0.8)");
    n = snf_grad_clip(g, 2, 0.0f);
    CHECK_REL(n, 1.0, 1e-6, "clip 0 only measures");
}

static void test_ema(void)
{
    float e[2] = {0.0f, 4.0f}, x[2] = {1.0f, 2.0f};
    float d = snf_ema_update(e, x, 2, 0.9f, 1); /* min(0.9, 2/11) */
    CHECK_REL(d, 2.0 / 11.0, 1e-6, "EMA: update 1 uses (1 + t) / (10 + t) = 2/11");
    CHECK_REL(e[0], 9.0 / 11.0, 1e-6, "EMA: 2/11 x 0 + 9/11 x 1");
    CHECK_REL(e[1], 2.0 / 11.0 * 4.0 + 9.0 / 11.0 * 2.0, 1e-6, "EMA: 2/11 x 4 + 9/11 x 2");
    d = snf_ema_update(e, x, 2, 0.9f, 2); /* 3/12 */
    CHECK_REL(e[0], 0.25 * 9.0 / 11.0 + 0.75, 1e-6, "EMA: update 2 with d = 1/4");
    d = snf_ema_update(e, x, 2, 0.9f, 1000);
    CHECK_REL(d, 0.9, 1e-7, "EMA: the decay caps the warm-up rule");
    float c[1] = {0.0f}, one[1] = {1.0f};
    for (long t = 1; t <= 200; t++) {
        snf_ema_update(c, one, 1, 0.99f, t);
    }
    /* of a constant the EMA tends to it: after 200 updates the weight left on the start is
     * prod(1 - ...) < 0.99^110 x (9/11 ... ) -> below 0.35 */
    CHECK_TRUE(c[0] > 0.65f && c[0] < 1.0f, "EMA of a constant 1 approaches 1 from below (%.4f)", c[0]);
}

/* ---- end to end: config and bitwise resume ---- */

#define NR 40
#define NT 50

/* Row r: log L = 41 + 0.01 r - 0.002 t + wiggle, v = 6000 + 20 r - 30 t (NaN for t > 60). */
static void make_data(const char *path)
{
    const snf_test_curves c = {.nr = NR, .nt = NT, .t0 = 0.0, .dt = 2.0, .l0 = 41, .l_slope = 0.002, .wiggle = 0.05,
                               .w_freq = 0.1, .w_period = 5, .v0 = 6000, .v_row = 20, .v_slope = 30, .v_end = 60,
                               .ni0 = 0.01, .ni_step = 0.005};
    write_test_curves(path, &c);
}

static void test_config_errors(void)
{
    snf_train_config c;
    int rc = snf_train_config_parse(&c, "[data]\nfile = d.h5\n[train]\nschedule = cosine\nwarmup = 0.1\nlr_end = 1e-6\n"
                                        "weight_decay = 1e-2\nclip_norm = 1\nema = 0.999\n", "r.ini");
    CHECK_INT(rc, SNF_OK, "recipe keys parse (%s)", snf_error_last_message());
    if (rc == SNF_OK) {
        CHECK_TRUE(c.sched.kind == SNF_SCHED_COSINE && c.sched.warmup == 0.1f && c.adam.weight_decay == 1e-2f &&
                   c.clip_norm == 1.0f && c.ema == 0.999f, "recipe keys land in the config");
        snf_train_config_free(&c);
    }
    static const snf_bad_config bad[] = {
        {"[data]\nfile = d.h5\n[train]\nschedule = linear\n", "r.ini:4: [train] schedule: unknown schedule 'linear'"},
        {"[data]\nfile = d.h5\n[train]\nwarmup = 1.5\n", "r.ini:4: [train] warmup: '1.5' is not a number in [0, 0.9]"},
        {"[data]\nfile = d.h5\n[train]\nema = 1\n", "r.ini:4: [train] ema: '1' is not a number in [0, 0.999999]"},
        {"[data]\nfile = d.h5\n[train]\nweight_decay = -1\n", "r.ini:4: [train] weight_decay: '-1' is not a number"},
    };
    check_config_errors(bad, sizeof bad / sizeof bad[0], "r.ini");
}

static int same(const float *a, const float *b, size_t n) { return a && b && memcmp(a, b, n * sizeof *a) == 0; }

/* An uninterrupted 5-epoch run and one stopped after 2 epochs twice and resumed give bitwise-equal
 * weights, EMA, moments and best weights. */
static void test_resume(const char *data, const char *recipe, const char *tag)
{
    char text[2048], pa[64], pb[64];
    snprintf(pa, sizeof pa, "recipe_%s_a.h5", tag);
    snprintf(pb, sizeof pb, "recipe_%s_b.h5", tag);
    snprintf(text, sizeof text,
             "[data]\nfile = %s\nlength = 16\nt_start = 0\nt_end = 60\nvalidation = 0.2\ntest = 0.1\n"
             "[train]\nseed = 5\nepochs = 5\nbatch = 8\nlr = 3e-3\n%s[early_stop]\npatience = 0\n"
             "[model]\nfilters = 4\ndepth = 3\nkernel = 8\nbottleneck = 4\n[output]\nmodel = %s\n", data, recipe, pa);
    snf_train_config c;
    int rc = snf_train_config_parse(&c, text, "mem.ini");
    CHECK_INT(rc, SNF_OK, "%s: config (%s)", tag, snf_error_last_message());
    if (rc < 0) {
        return;
    }
    remove(pa);
    remove(pb);
    snf_train_options opt = snf_train_options_default();
    snf_train_summary sa, sb;
    rc = snf_train_run(&c, &opt, &sa);
    CHECK_TRUE(rc == SNF_OK && sa.finished && sa.epoch == 5, "%s: uninterrupted run of 5 epochs (%s)", tag,
               snf_error_last());
    snf_train_config cb = c;
    snprintf(cb.model_path, sizeof cb.model_path, "%s", pb);
    opt.stop_after = 2;
    for (int k = 0; k < 3; k++) {
        rc = snf_train_run(&cb, &opt, &sb);
    }
    CHECK_TRUE(rc == SNF_OK && sb.resumed && sb.finished && sb.epoch == 5, "%s: 2 + 2 + 1 epochs, resumed twice", tag);
    snf_ckpt a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (snf_ckpt_read(&a, pa) == SNF_OK && snf_ckpt_read(&b, pb) == SNF_OK) {
        CHECK_TRUE(same(a.params, b.params, a.nparams), "%s: resumed params bitwise equal", tag);
        CHECK_TRUE(same(a.best_params, b.best_params, a.nparams) && same(a.best_stats, b.best_stats, a.nstats),
                   "%s: best weights and BN statistics bitwise equal", tag);
        CHECK_TRUE(same(a.adam_m, b.adam_m, a.nparams) && same(a.adam_v, b.adam_v, a.nparams),
                   "%s: Adam moments bitwise equal", tag);
        if (c.ema > 0) {
            CHECK_TRUE(same(a.ema_params, b.ema_params, a.nparams) && same(a.ema_stats, b.ema_stats, a.nstats),
                       "%s: EMA weights and statistics bitwise equal", tag);
        } else {
            CHECK_TRUE(a.ema_params == NULL, "%s: no EMA stored when off", tag);
        }
        int hs = a.n_hist == b.n_hist && a.n_hist == 5;
        for (long i = 0; hs && i < a.n_hist; i++) {
            hs = a.hist[i].val_loss == b.hist[i].val_loss && a.hist[i].lr == b.hist[i].lr;
        }
        CHECK_TRUE(hs, "%s: 5 history rows, equal losses and rates", tag);
        if (c.sched.kind != SNF_SCHED_PLATEAU) {
            long nb = (a.n_train + 7) / 8;
            CHECK_INT(a.sched_total, 5 * nb, "%s: the schedule spans epochs x batches", tag);
            CHECK_INT(a.adam_t, a.sched_total, "%s: every step of the schedule ran", tag);
            CHECK_REL(a.hist[4].lr, snf_lr_schedule_at(&(snf_lr_schedule){c.sched.kind, 3e-3f, c.sched.lr_end,
                                                                           c.sched.warmup, c.sched.div, a.sched_total},
                                                        a.sched_total - 1), 1e-6,
                      "%s: the last epoch's rate is the schedule's last step", tag);
        }
    } else {
        CHECK_TRUE(0, "%s: read the models (%s)", tag, snf_error_last_message());
    }
    snf_ckpt_free(&a);
    snf_ckpt_free(&b);
    snf_train_config_free(&c);
}

/* With a budget far below one step the schedule is one step long: one step, then finished ('schedule'). */
static void test_budget_schedule(const char *data)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\nfile = %s\nlength = 16\nt_start = 0\nt_end = 60\nvalidation = 0.2\ntest = 0.1\n"
             "[train]\nseed = 5\nepochs = 50\nbatch = 8\nschedule = cosine\nema = 0.9\n[model]\nfilters = 4\n"
             "depth = 3\nkernel = 8\nbottleneck = 4\n[output]\nmodel = recipe_budget.h5\n", data);
    snf_train_config c;
    if (snf_train_config_parse(&c, text, "b.ini") != SNF_OK) {
        CHECK_TRUE(0, "budget config (%s)", snf_error_last_message());
        return;
    }
    remove("recipe_budget.h5");
    snf_train_options opt = snf_train_options_default();
    opt.max_wall_s = 1e-9;
    snf_train_summary s;
    int rc = snf_train_run(&c, &opt, &s);
    CHECK_TRUE(rc == SNF_OK && s.finished && strcmp(s.stop_reason, "schedule") == 0,
               "tiny budget: finished by the schedule ('%s')", s.stop_reason);
    snf_ckpt k;
    if (snf_ckpt_read(&k, "recipe_budget.h5") == SNF_OK) {
        CHECK_TRUE(k.sched_total == 1 && k.adam_t == 1 && k.n_hist == 1, "one-step schedule (total %ld, steps %ld)",
                   k.sched_total, k.adam_t);
        CHECK_TRUE(same(k.best_params, k.ema_params, k.nparams), "the saved model is the EMA of the weights");
        snf_ckpt_free(&k);
    }
    snf_train_config_free(&c);
}

int main(void)
{
    snf_threads_setup(1); /* resume equality does not depend on threads; one keeps it quick under load */
    test_cosine();
    test_onecycle();
    test_adamw();
    test_clip();
    test_ema();
    test_config_errors();
    make_data("recipe_data.h5");
    test_resume("recipe_data.h5", "schedule = cosine\nwarmup = 0.2\nlr_end = 1e-5\n", "cosine");
    test_resume("recipe_data.h5", "schedule = onecycle\nwarmup = 0.3\nonecycle_div = 10\n", "onecycle");
    test_resume("recipe_data.h5", "weight_decay = 0.05\n", "adamw");
    test_resume("recipe_data.h5", "clip_norm = 0.05\n", "clip");
    test_resume("recipe_data.h5", "ema = 0.9\n", "ema");
    test_resume("recipe_data.h5", "schedule = cosine\nweight_decay = 0.01\nclip_norm = 1\nema = 0.95\n", "all");
    test_budget_schedule("recipe_data.h5");
    return snf_check_failures();
}
