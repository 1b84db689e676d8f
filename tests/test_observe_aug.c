/* test_observe_aug.c: training rows drawn as real observations ([observe], train/observe_draw.c): each switch
 * changes the observation as stated (epoch counts and window, gaps, noise levels, explosion-epoch offsets,
 * velocities missing for a share of rows), a drawn row is encoded exactly as inference encodes the same
 * observation read from a file, the draws are reproducible and independent of the batch, the config keys and
 * their errors, and a tiny training with every switch absent is bitwise the training without the section. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "train_fixtures.h"
#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"

#define NL 128
#define NDRAW 2000

/* A curve on the grid of s: log L linear in t (so grid interpolation is exact), v linear and gone after 150 d. */
static void make_curve(const snf_data_spec *s, float *lg, float *vg)
{
    for (int j = 0; j < s->L; j++) {
        double t = snf_data_spec_time(s, j);
        lg[j] = (float)(42.0 - 0.004 * t);
        vg[j] = t > 150.0 ? NAN : (float)(8000.0 - 20.0 * t);
    }
}

static snf_data_spec spec(void)
{
    snf_data_spec s = {.channels = SNF_CH_BOTH, .mask = 1, .L = NL, .t_start_d = 1.0, .t_end_d = 300.0};
    return s;
}

/* Counts, the window's ends and velocities only where the curve has them. */
static void test_cadence(void)
{
    snf_data_spec s = spec();
    float lg[NL], vg[NL];
    make_curve(&s, lg, vg);
    snf_obs_aug a = snf_obs_aug_default();
    a.epochs_L[0] = 10, a.epochs_L[1] = 20;
    a.epochs_v[0] = 3, a.epochs_v[1] = 6;
    a.first_d[0] = 2, a.first_d[1] = 15;
    a.last_d[0] = 100, a.last_d[1] = 300;
    CHECK_TRUE(snf_obs_aug_active(&a), "a cadence is a switch on");
    snf_rng r = snf_rng_seed(11);
    int bad_count = 0, bad_first = 0, bad_last = 0, bad_v = 0, seen_lo = 0, seen_hi = 0, late_v = 0;
    for (int i = 0; i < NDRAW; i++) {
        snf_obs o;
        if (snf_obs_draw(&o, lg, vg, &s, &a, &r) < 0) {
            CHECK_TRUE(0, "draw %d (%s)", i, snf_error_last());
            return;
        }
        bad_count += o.n_L < 10 || o.n_L > 20;
        seen_lo += o.n_L == 10;
        seen_hi += o.n_L == 20;
        double tf = NAN, tl = NAN;
        for (long k = 0; k < o.n; k++) {
            if (isfinite(o.L_erg_s[k])) {
                tf = isnan(tf) ? o.t_d[k] : tf;
                tl = o.t_d[k];
            }
            if (isfinite(o.vph_km_s[k])) {
                late_v += o.t_d[k] > 150.0;
            }
            if (k > 0 && o.t_d[k] < o.t_d[k - 1]) {
                bad_first++; /* rows out of order */
            }
        }
        bad_first += !(tf >= 2 && tf <= 15);
        bad_last += !(tl >= 100 && tl <= 300);
        bad_v += o.n_v > 6;
        snf_obs_free(&o);
    }
    CHECK_INT(bad_count, 0, "every row has 10-20 L epochs");
    CHECK_TRUE(seen_lo > 0 && seen_hi > 0, "both ends of the count range are drawn (%d, %d)", seen_lo, seen_hi);
    CHECK_INT(bad_first, 0, "the first L epoch on days 2-15, rows in time order");
    CHECK_INT(bad_last, 0, "the last L epoch on days 100-300");
    CHECK_INT(bad_v, 0, "at most 6 velocity epochs");
    CHECK_INT(late_v, 0, "no velocity where the curve has none (after day 150)");
    /* a window on the grid's own ends: both are observed */
    a.epochs_L[0] = a.epochs_L[1] = 2;
    a.first_d[0] = a.first_d[1] = s.t_start_d;
    a.last_d[0] = a.last_d[1] = s.t_end_d;
    snf_obs o;
    snf_obs_draw(&o, lg, vg, &s, &a, &r);
    CHECK_TRUE(o.n_L == 2 && o.t_d[0] == 1.0 && o.t_d[o.n - 1] == 300.0,
               "a window of days 1-300 on a grid of days 1-300: both ends observed (%ld)", o.n_L);
    snf_obs_free(&o);
}

/* The largest step between consecutive L epochs of one draw. */
static double max_step(const snf_obs *o)
{
    double prev = NAN, m = 0;
    for (long k = 0; k < o->n; k++) {
        if (isfinite(o->L_erg_s[k])) {
            if (isfinite(prev) && o->t_d[k] - prev > m) {
                m = o->t_d[k] - prev;
            }
            prev = o->t_d[k];
        }
    }
    return m;
}

static void test_gaps(void)
{
    snf_data_spec s = spec();
    float lg[NL], vg[NL];
    make_curve(&s, lg, vg);
    snf_obs_aug a = snf_obs_aug_default();
    a.epochs_L[0] = a.epochs_L[1] = 60;
    a.first_d[0] = a.first_d[1] = 5;
    a.last_d[0] = a.last_d[1] = 250;
    snf_rng r = snf_rng_seed(3);
    int with = 0, without = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            a.gaps[0] = a.gaps[1] = 1;
            a.gap_d[0] = a.gap_d[1] = 40;
        }
        for (int i = 0; i < 500; i++) {
            snf_obs o;
            snf_obs_draw(&o, lg, vg, &s, &a, &r);
            int big = max_step(&o) >= 40.0;
            with += pass == 1 && big;
            without += pass == 0 && big;
            snf_obs_free(&o);
        }
    }
    CHECK_INT(with, 500, "one 40-day gap: every row has a step of at least 40 days between epochs");
    CHECK_TRUE(without < 5, "without gaps, 60 epochs over 245 days almost never leave 40 days empty (%d of 500)",
               without);
}

/* Noise levels, the explosion-epoch offset and the share of rows without velocities, over many draws. */
static void test_noise_t0_missing(void)
{
    snf_data_spec s = spec();
    float lg[NL], vg[NL];
    make_curve(&s, lg, vg);
    snf_obs_aug a = snf_obs_aug_default();
    a.epochs_L[0] = a.epochs_L[1] = 2; /* the window's first and last day only */
    a.epochs_v[0] = a.epochs_v[1] = 2;
    a.first_d[0] = a.first_d[1] = 20;
    a.last_d[0] = a.last_d[1] = 120;
    a.L_err[0] = a.L_err[1] = 0.10;
    a.vph_err[0] = a.vph_err[1] = 0.03;
    a.t0_err_d = 3.0;
    a.vph_missing = 0.3;
    snf_rng r = snf_rng_seed(5);
    double sl = 0, sl2 = 0, sv = 0, sv2 = 0, st = 0, st2 = 0, erel = 0;
    long nl = 0, nv = 0, nt = 0, no_v = 0;
    for (int i = 0; i < NDRAW; i++) {
        snf_obs o;
        snf_obs_draw(&o, lg, vg, &s, &a, &r);
        double dt = NAN;
        for (long k = 0; k < o.n; k++) {
            if (isfinite(o.L_erg_s[k])) {
                if (isnan(dt)) {
                    dt = o.t_d[k] - 20.0; /* the first L epoch is day 20 moved by the offset */
                }
                double truth = 42.0 - 0.004 * (o.t_d[k] - dt);
                double e = log(o.L_erg_s[k]) - truth * log(10.0);
                sl += e, sl2 += e * e, nl++;
                erel += fabs(o.L_err[k] / o.L_erg_s[k] - 0.10);
            }
        }
        for (long k = 0; k < o.n; k++) {
            if (isfinite(o.vph_km_s[k])) {
                double e = log(o.vph_km_s[k] / (8000.0 - 20.0 * (o.t_d[k] - dt)));
                sv += e, sv2 += e * e, nv++;
            }
        }
        st += dt, st2 += dt * dt, nt++;
        no_v += o.n_v == 0;
        snf_obs_free(&o);
    }
    double ml = sl / nl, sdl = sqrt(sl2 / nl - ml * ml), mv = sv / nv, sdv = sqrt(sv2 / nv - mv * mv);
    double mt = st / nt, sdt = sqrt(st2 / nt - mt * mt);
    CHECK_TRUE(fabs(sdl - 0.10) < 0.006 && fabs(ml) < 0.006, "L noise: log-normal sigma 0.10 (got %.4f, mean %.4f)",
               sdl, ml);
    CHECK_TRUE(fabs(sdv - 0.03) < 0.002 && fabs(mv) < 0.002, "v noise: sigma 0.03 (got %.4f, mean %.4f)", sdv, mv);
    CHECK_TRUE(erel / nl < 1e-12, "each L value states its 10%% error");
    CHECK_TRUE(fabs(sdt - 3.0) < 0.2 && fabs(mt) < 0.25, "explosion-epoch offsets: sigma 3 d (got %.3f, mean %.3f)",
               sdt, mt);
    CHECK_TRUE(fabs((double)no_v / NDRAW - 0.3) < 0.035, "velocities missing in 30%% of rows (got %.1f%%)",
               100.0 * (double)no_v / NDRAW);
}

/* The drawn observation written as a file and read back is encoded bitwise as the training row is. */
static void test_same_encoding_as_inference(void)
{
    snf_data_spec s = spec();
    float lg[NL], vg[NL];
    make_curve(&s, lg, vg);
    snf_norm norm = {.x_mean = {41.5, 5000.0}, .x_std = {0.4, 1500.0}, .y_mean = {0}, .y_std = {1, 1, 1, 1}};
    snf_obs_aug a = snf_obs_aug_default();
    a.epochs_L[0] = 15, a.epochs_L[1] = 40;
    a.epochs_v[0] = 4, a.epochs_v[1] = 8;
    a.first_d[0] = 3, a.first_d[1] = 10;
    a.last_d[0] = 150, a.last_d[1] = 280;
    a.L_err[0] = 0.02, a.L_err[1] = 0.2;
    a.vph_err[0] = a.vph_err[1] = 0.02;
    a.t0_err_d = 2;
    snf_rng r = snf_rng_seed(9);
    snf_obs o, back;
    snf_obs_draw(&o, lg, vg, &s, &a, &r);
    FILE *f = fopen("aug_obs.csv", "w");
    fprintf(f, "t_d,L_erg_s,L_err,vph_km_s,vph_err\n");
    for (long k = 0; k < o.n; k++) {
        if (isfinite(o.L_erg_s[k])) {
            fprintf(f, "%.17g,%.17g,%.17g,,\n", o.t_d[k], o.L_erg_s[k], o.L_err[k]);
        } else {
            fprintf(f, "%.17g,,,%.17g,%.17g\n", o.t_d[k], o.vph_km_s[k], o.vph_err[k]);
        }
    }
    fclose(f);
    int rc = snf_obs_read(&back, "aug_obs.csv");
    CHECK_INT(rc, SNF_OK, "the drawn observation reads as a file (%s)", snf_error_last_message());
    if (rc == SNF_OK) {
        float xa[4 * NL], xb[4 * NL], ga[2 * NL], gb[2 * NL];
        snf_obs_encode(xa, &o, 0.0, &s, &norm, ga, ga + NL);
        snf_obs_encode(xb, &back, 0.0, &s, &norm, gb, gb + NL);
        CHECK_TRUE(memcmp(xa, xb, sizeof xa) == 0, "drawn row and file encoded alike (%ld L, %ld v epochs)", o.n_L,
                   o.n_v);
        snf_obs_free(&back);
    }
    snf_obs_free(&o);
}

/* snf_data_observe: a row's draw depends on (seed, epoch, file row) only. */
static void test_observe_rows(void)
{
    snf_data_spec s = spec();
    float lg[NL], vg[NL];
    snf_norm norm = {.x_mean = {41.5, 5000.0}, .x_std = {0.4, 1500.0}, .y_mean = {0}, .y_std = {1, 1, 1, 1}};
    const size_t CL = 4 * NL;
    enum { NB = 6 };
    float *x0 = malloc(NB * CL * sizeof *x0), *xa = malloc(NB * CL * sizeof *xa), *xb = malloc(NB * CL * sizeof *xb);
    for (int b = 0; b < NB; b++) {
        make_curve(&s, lg, vg);
        for (int j = 0; j < NL; j++) {
            lg[j] += 0.05f * (float)b;
        }
        snf_data_encode(x0 + b * CL, lg, vg, &s, &norm);
    }
    long rows[NB] = {4, 17, 2, 99, 5, 40}, rev[NB];
    snf_obs_aug a = snf_obs_aug_default();
    a.epochs_L[0] = 8, a.epochs_L[1] = 30;
    a.epochs_v[0] = 2, a.epochs_v[1] = 5;
    a.L_err[0] = a.L_err[1] = 0.05;
    a.t0_err_d = 2;
    a.vph_missing = 0.4;
    memcpy(xa, x0, NB * CL * sizeof *xa);
    snf_data_observe(xa, NB, rows, &s, &norm, &a, 7, 3);
    /* the same rows in reverse order in the batch */
    for (int b = 0; b < NB; b++) {
        memcpy(xb + b * CL, x0 + (NB - 1 - b) * CL, CL * sizeof *xb);
        rev[b] = rows[NB - 1 - b];
    }
    snf_data_observe(xb, NB, rev, &s, &norm, &a, 7, 3);
    int same = 1;
    for (int b = 0; b < NB; b++) {
        same &= memcmp(xa + b * CL, xb + (NB - 1 - b) * CL, CL * sizeof *xa) == 0;
    }
    CHECK_TRUE(same, "a row's draw does not depend on its place in the batch");
    memcpy(xb, x0, NB * CL * sizeof *xb);
    snf_data_observe(xb, NB, rows, &s, &norm, &a, 7, 3);
    CHECK_TRUE(memcmp(xa, xb, NB * CL * sizeof *xa) == 0, "same seed and epoch: the same rows, bitwise");
    memcpy(xb, x0, NB * CL * sizeof *xb);
    snf_data_observe(xb, NB, rows, &s, &norm, &a, 7, 4);
    CHECK_TRUE(memcmp(xa, xb, CL * sizeof *xa) != 0, "another epoch: another draw");
    memcpy(xb, x0, NB * CL * sizeof *xb);
    snf_data_observe(xb, NB, rows, &s, &norm, &a, 8, 3);
    CHECK_TRUE(memcmp(xa, xb, CL * sizeof *xa) != 0, "another seed: another draw");
    CHECK_TRUE(memcmp(xa, x0, CL * sizeof *xa) != 0, "the row changed");
    free(x0);
    free(xa);
    free(xb);
}

static void test_config(void)
{
    snf_train_config c;
    int rc = snf_train_config_parse(&c, "[data]\nfile = d.h5\n[observe]\nepochs_L = 10-40\nepochs_v = 3\n"
                                        "first_d = 1-15\nlast_d = 90-300\ngaps = 0-2\ngap_d = 10-40\nt0_err_d = 2.5\n"
                                        "L_err = 0.03-0.3\nvph_err = 0.02\nvph_missing = 0.5\n", "t.ini");
    CHECK_INT(rc, SNF_OK, "an [observe] section (%s)", snf_error_last_message());
    if (rc == SNF_OK) {
        const snf_obs_aug *a = &c.obs;
        CHECK_TRUE(a->epochs_L[0] == 10 && a->epochs_L[1] == 40 && a->epochs_v[0] == 3 && a->epochs_v[1] == 3 &&
                   a->first_d[1] == 15 && a->last_d[0] == 90 && a->gaps[1] == 2 && a->gap_d[0] == 10 &&
                   a->t0_err_d == 2.5 && a->L_err[0] == 0.03 && a->L_err[1] == 0.3 && a->vph_err[0] == 0.02 &&
                   a->vph_missing == 0.5, "every key read");
        snf_train_config_free(&c);
    }
    rc = snf_train_config_parse(&c, "[data]\nfile = d.h5\n", "t.ini");
    CHECK_TRUE(rc == SNF_OK && !snf_obs_aug_active(&c.obs), "no [observe]: every switch off");
    snf_train_config_free(&c);
    rc = snf_train_config_parse(&c, "[data]\nfile = d.h5\n[observe]\nepochs_L = 0\nt0_err_d = 0\nL_err = 0\n", "t.ini");
    CHECK_TRUE(rc == SNF_OK && !snf_obs_aug_active(&c.obs), "[observe] with zeros: every switch off");
    snf_train_config_free(&c);
    static const snf_bad_config bad[] = {
        {"[data]\nfile = d.h5\n[observe]\nepochs_L = 1\n", "t.ini:4: [observe] epochs_L: '1' must be 0 (off)"},
        {"[data]\nfile = d.h5\n[observe]\nepochs_L = 40-10\n", "t.ini:4: [observe] epochs_L: '40-10' must lie"},
        {"[data]\nfile = d.h5\n[observe]\nL_err = a lot\n", "t.ini:4: [observe] L_err: 'a lot' is not a number"},
        {"[data]\nfile = d.h5\n[observe]\nt0_err_d = -1\n", "t.ini:4: [observe] t0_err_d"},
        {"[data]\nfile = d.h5\n[observe]\nepochs_L = 5\nfirst_d = 50\nlast_d = 20-30\n", "[observe] last_d: the "
                                                                                            "window's last day"},
        {"[data]\nfile = d.h5\n[observe]\nepochs_L = 5\ngaps = 2\n", "[observe] gap_d: the gaps need a length"},
        {"[data]\nfile = d.h5\n[observe]\nfirst_d = 5\n", "[observe]: a window (first_d, last_d, gaps) needs a cadence"},
        {"[data]\nfile = d.h5\n[observe]\ncadence = daily\n", "t.ini:4: [observe] cadence: unknown key"},
    };
    check_config_errors(bad, sizeof bad / sizeof bad[0], "t.ini");
}

/* ---- training ---- */

#define NR 48
#define NT 80

/* Row r: log L = 41.5 + 0.01 r - 0.004 t + wiggle, v = 7000 + 30 r - 35 t (NaN for t > 100), t = 1, 3, ..., 159. */
static void make_data(const char *path)
{
    const snf_test_curves c = {.nr = NR, .nt = NT, .t0 = 1.0, .dt = 2.0, .l0 = 41.5, .l_slope = 0.004, .wiggle = 0.1,
                               .w_freq = 0.05, .w_period = 4, .v0 = 7000, .v_row = 30, .v_slope = 35, .v_end = 100,
                               .ni0 = 0.01, .ni_step = 0.004};
    write_test_curves(path, &c);
}

/* Trains the tiny config with extra appended; 0 on success. */
static int train(const char *extra, const char *model, long max_rows, snf_ckpt *ck, long *observed)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[data]\nfile = aug_data.h5\nlength = 32\nt_start = 1\nt_end = 150\nvalidation = 0.2\ntest = 0.1\n"
             "max_rows = %ld\n[train]\nseed = 3\nepochs = 3\nbatch = 8\nlr = 3e-3\n[early_stop]\npatience = 0\n"
             "[model]\nfilters = 4\ndepth = 3\nkernel = 8\nbottleneck = 4\n[augment]\nnoise = 0.02\n"
             "[output]\nmodel = %s\n%s", max_rows, model, extra);
    snf_train_config c;
    int rc = snf_train_config_parse(&c, text, "aug.ini");
    CHECK_INT(rc, SNF_OK, "tiny config (%s)", snf_error_last_message());
    if (rc < 0) {
        return rc;
    }
    remove(model);
    snf_train_options opt = snf_train_options_default();
    opt.quiet = 1;
    snf_train_summary sum;
    rc = snf_train_run(&c, &opt, &sum);
    CHECK_INT(rc, SNF_OK, "tiny training %s (%s)", model, snf_error_last());
    *observed = sum.rows_observed;
    snf_train_config_free(&c);
    if (rc == SNF_OK) {
        rc = snf_ckpt_read(ck, model);
        CHECK_INT(rc, SNF_OK, "read %s", model);
    }
    return rc;
}

static int same_run(const snf_ckpt *a, const snf_ckpt *b)
{
    int same = a->nparams == b->nparams && a->n_hist == b->n_hist &&
               !memcmp(a->params, b->params, a->nparams * sizeof(float)) &&
               !memcmp(a->best_params, b->best_params, a->nparams * sizeof(float)) &&
               !memcmp(a->bn_stats, b->bn_stats, a->nstats * sizeof(float));
    for (long e = 0; same && e < a->n_hist; e++) {
        same = a->hist[e].train_loss == b->hist[e].train_loss && a->hist[e].val_loss == b->hist[e].val_loss;
    }
    return same;
}

static void test_training(void)
{
    make_data("aug_data.h5");
    snf_ckpt none, off, on, on_streamed;
    memset(&none, 0, sizeof none);
    memset(&off, 0, sizeof off);
    memset(&on, 0, sizeof on);
    memset(&on_streamed, 0, sizeof on_streamed);
    const char *switches = "[observe]\nepochs_L = 6-20\nepochs_v = 2-6\nfirst_d = 2-10\nlast_d = 60-150\n"
                           "gaps = 0-1\ngap_d = 10-20\nt0_err_d = 2\nL_err = 0.02-0.1\nvph_err = 0.02\n"
                           "vph_missing = 0.3\n";
    long n_none = -1, n_off = -1, n_on = -1, n_streamed = -1;
    if (train("", "aug_none.h5", 0, &none, &n_none) == 0 &&
        train("[observe]\nepochs_L = 0\nepochs_v = 0\nt0_err_d = 0\nL_err = 0\nvph_err = 0\nvph_missing = 0\n",
              "aug_off.h5", 0, &off, &n_off) == 0 &&
        train(switches, "aug_on.h5", 0, &on, &n_on) == 0 &&
        train(switches, "aug_on_streamed.h5", 8, &on_streamed, &n_streamed) == 0) {
        /* today's path: not one row goes through the observation draw (so the rows are the batcher's, bitwise) */
        CHECK_TRUE(n_none == 0 && n_off == 0, "switches absent or off: no row drawn as an observation (%ld, %ld)",
                   n_none, n_off);
        CHECK_TRUE(n_on == 3 * none.n_train && n_streamed == n_on, "switches on: every training row of every epoch "
                   "drawn (%ld of 3 x %ld)", n_on, none.n_train);
        CHECK_TRUE(same_run(&none, &off), "switches off: weights, BN statistics and loss trajectory bitwise those of "
                                          "the training without [observe]");
        CHECK_TRUE(!same_run(&none, &on), "switches on: another training (the comparison above can fail)");
        CHECK_TRUE(same_run(&on, &on_streamed), "switches on: resident and streamed batches train bitwise alike "
                                                "(draws keyed by row, not by batch)");
        snf_ckpt one;
        memset(&one, 0, sizeof one);
        long n_one = -1;
        snf_threads_setup(1);
        if (train(switches, "aug_on_1thread.h5", 0, &one, &n_one) == 0) {
            CHECK_TRUE(same_run(&on, &one), "switches on: 1 thread trains bitwise as 2");
        }
        snf_threads_setup(2);
        snf_ckpt_free(&one);
    }
    snf_ckpt_free(&none);
    snf_ckpt_free(&off);
    snf_ckpt_free(&on);
    snf_ckpt_free(&on_streamed);
}

int main(void)
{
    snf_threads_setup(2);
    test_cadence();
    test_gaps();
    test_noise_t0_missing();
    test_same_encoding_as_inference();
    test_observe_rows();
    test_config();
    test_training();
    return snf_check_failures();
}
