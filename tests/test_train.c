/* test_train.c: the trainer's data layer, config parser, observation reader, metrics, checkpoints and
 * resume, on a small hand-made dataset file (40 rows, NaN gaps, failed and pending rows). */
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

#define NR 40
#define NT 50

static double g_t[NT];
static double g_p[NR * 4];
static float g_l[NR * NT], g_v[NR * NT];
static int g_s[NR];

/* Row r: log L = 41 + 0.01 r - 0.002 t (NaN for t > 80 on odd rows), v = 6000 + 20 r - 30 t, NaN for t > 60;
 * row 3 failed, row 7 pending. */
static void make_data(const char *path)
{
    const snf_test_curves c = {.nr = NR, .nt = NT, .t0 = 0.0, .dt = 2.0, .l0 = 41, .l_slope = 0.002, .wiggle = 0.05,
                               .w_freq = 0.1, .w_period = 5, .v0 = 6000, .v_row = 20, .v_slope = 30, .v_end = 60,
                               .ni0 = 0.01, .ni_step = 0.005};
    make_test_curves(&c, g_t, g_p, g_l, g_v, g_s);
    g_s[3] = -3;
    g_s[7] = SNF_STATUS_PENDING;
    for (int r = 1; r < NR; r += 2) {
        for (int j = 0; j < NT; j++) {
            if (g_t[j] > 80) {
                g_l[r * NT + j] = NAN;
            }
        }
    }
    write_test_dataset(path, NR, NT, g_t, g_p, g_l, g_v, g_s);
}

/* Resident rows (data.h snf_rows) read from d: the same batches as the file's resident batcher b1 (rows
 * reported by position), picked and joined by file row, and mixed with a cycling part. */
static void test_rows_batches(snf_data *d, snf_batcher *b1, const snf_norm *nm, const long *rows, long n)
{
    enum { B = 6, CL = 4 * NT };
    snf_rows all, pick, join;
    int rc = snf_rows_read(&all, d, nm, rows, n);
    CHECK_INT(rc, SNF_OK, "read the rows resident");
    CHECK_TRUE(all.n == n && all.CL == CL && all.owned && !memcmp(all.ids, rows, (size_t)n * sizeof *rows),
               "%ld owned rows of %d floats with their file rows", all.n, CL);
    snf_batcher *b3 = NULL;
    rc = snf_batcher_rows(&b3, &all, B, 1, 42, 0);
    CHECK_INT(rc, SNF_OK, "batcher over resident rows");
    int same = 1;
    for (long e = 0; e < 2; e++) {
        snf_batcher_start(b1, e);
        snf_batcher_start(b3, e);
        float xa[B * CL], xb[B * CL], ya[B * 4], yb[B * 4];
        long ra[B], rb[B];
        int na, nb;
        while (snf_batcher_next(b1, xa, ya, ra, &na) > 0) {
            same &= snf_batcher_next(b3, xb, yb, rb, &nb) == 1 && na == nb && snf_batcher_first_rows(b3) == nb &&
                    !memcmp(xa, xb, sizeof(float) * na * CL) && !memcmp(ya, yb, sizeof(float) * na * 4);
            for (int k = 0; k < na && same; k++) {
                same &= rb[k] >= 0 && rb[k] < n && rows[rb[k]] == ra[k];
            }
        }
        same &= snf_batcher_next(b3, xb, yb, rb, &nb) == 0;
    }
    CHECK_TRUE(same, "resident rows batch as the file's resident batcher (rows reported by position)");
    snf_batcher_free(b3);

    long want[2] = {rows[n - 1], rows[0]}, bad = -5;
    rc = snf_rows_subset(&pick, &all, want, 2);
    CHECK_INT(rc, SNF_OK, "pick two rows by file row");
    CHECK_TRUE(pick.n == 2 && pick.ids[0] == rows[n - 1] && !memcmp(pick.x, all.x + (size_t)(n - 1) * CL,
               CL * sizeof(float)) && pick.params[4] == all.params[0], "picked in the order asked, params kept");
    rc = snf_rows_subset(&join, &all, &bad, 1);
    CHECK_INT(rc, SNF_EINVAL, "a row not in the set: %s", snf_error_last_message());
    rc = snf_rows_join(&join, &all, 3, &pick);
    CHECK_TRUE(rc == SNF_OK && join.n == 5 && !join.ids && !memcmp(join.x + 3 * CL, pick.x, 2 * CL * sizeof(float)) &&
               join.params[3 * 4 + 1] == pick.params[1], "join: 3 rows then the 2 picked");

    /* Mixed: 4 rows of `all` a batch, then 2 of `pick` read round and round. */
    snf_batcher *first = NULL, *extra = NULL, *mix = NULL;
    rc = snf_batcher_rows(&first, &all, 4, 0, 0, 0);
    rc = rc < 0 ? rc : snf_batcher_rows(&extra, &pick, 2, 0, 0, 1);
    rc = rc < 0 ? rc : snf_batcher_mix(&mix, first, extra);
    CHECK_INT(rc, SNF_OK, "mixed batcher");
    CHECK_INT(snf_batcher_nbatches(mix), (n + 3) / 4, "its batches: the first part's");
    float xm[6 * CL], ym[6 * 4];
    long rm[6];
    int nbm, ok = 1;
    long got = 0, k = 0;
    snf_batcher_start(mix, 0);
    while (snf_batcher_next(mix, xm, ym, rm, &nbm) > 0) {
        int bt = snf_batcher_first_rows(mix);
        ok &= bt == (n - got < 4 ? n - got : 4) && nbm == bt + 2;
        for (int i = 0; i < bt && ok; i++) {
            ok &= rm[i] == got + i && !memcmp(xm + (size_t)i * CL, all.x + (size_t)(got + i) * CL, CL * sizeof(float));
        }
        for (int i = 0; i < 2 && ok; i++, k++) { /* the cycling part continues across batches */
            ok &= rm[bt + i] == k % 2 && !memcmp(xm + (size_t)(bt + i) * CL, pick.x + (size_t)(k % 2) * CL,
                                                 CL * sizeof(float));
        }
        got += bt;
    }
    CHECK_TRUE(ok && got == n, "mixed batches: the rows in order, then the cycling part round and round");
    snf_batcher_free(mix);
    first = NULL;
    rc = snf_batcher_rows(&first, &all, 4, 0, 0, 0);
    snf_rows other = snf_rows_view(all.x, all.y, all.n, CL - 1);
    rc = rc < 0 ? rc : snf_batcher_rows(&extra, &other, 2, 0, 0, 1);
    rc = rc < 0 ? rc : snf_batcher_mix(&mix, first, extra);
    CHECK_INT(rc, SNF_EINVAL, "mixing rows of two widths: %s", snf_error_last_message());
    snf_rows_free(&join);
    snf_rows_free(&pick);
    snf_rows_free(&all);
    CHECK_TRUE(all.x == NULL && all.n == 0, "freed and emptied");
}

static void test_data(const char *path)
{
    snf_data_spec s = {.channels = SNF_CH_BOTH, .mask = 1, .L = NT, .t_start_d = 0, .t_end_d = 98};
    snf_data *d = NULL;
    int rc = snf_data_open(&d, path, &s, 3);
    CHECK_INT(rc, SNF_OK, "open with block_rows 3");
    if (rc < 0) {
        return;
    }
    long *rows = NULL, n = 0, skipped = 0;
    snf_data_usable_rows(d, &rows, &n, &skipped);
    CHECK_INT(n, NR - 2, "usable rows (status < 0 skipped)");
    CHECK_INT(skipped, 2, "skipped rows");
    int has3 = 0, has7 = 0;
    for (long i = 0; i < n; i++) {
        has3 |= rows[i] == 3;
        has7 |= rows[i] == 7;
    }
    CHECK_TRUE(!has3 && !has7, "failed (3) and pending (7) rows are not usable");

    /* Normalisation against a direct computation (the grid coincides with the file's times). */
    snf_norm nm;
    rc = snf_data_fit_norm(d, rows, n, &nm);
    CHECK_INT(rc, SNF_OK, "fit the normalisation");
    double sl = 0, sl2 = 0, sv = 0, sv2 = 0, sy[4] = {0}, sy2[4] = {0};
    long cl = 0, cv = 0;
    for (long i = 0; i < n; i++) {
        long r = rows[i];
        for (int j = 0; j < NT; j++) {
            if (isfinite(g_l[r * NT + j])) {
                sl += g_l[r * NT + j];
                sl2 += (double)g_l[r * NT + j] * g_l[r * NT + j];
                cl++;
            }
            if (isfinite(g_v[r * NT + j])) {
                sv += g_v[r * NT + j];
                sv2 += (double)g_v[r * NT + j] * g_v[r * NT + j];
                cv++;
            }
        }
        for (int p = 0; p < 4; p++) {
            double y = log10(g_p[r * 4 + p]);
            sy[p] += y;
            sy2[p] += y * y;
        }
    }
    double ml = sl / cl, mv = sv / cv;
    CHECK_REL(nm.x_mean[0], ml, 1e-12, "log L mean over finite training values");
    CHECK_REL(nm.x_std[0], sqrt(sl2 / cl - ml * ml), 1e-6, "log L std");
    CHECK_REL(nm.x_mean[1], mv, 1e-12, "v_ph mean");
    CHECK_REL(nm.x_std[1], sqrt(sv2 / cv - mv * mv), 1e-9, "v_ph std");
    for (int p = 0; p < 4; p++) {
        double m = sy[p] / n;
        CHECK_REL(nm.y_mean[p], m, 1e-12, "target %d mean of log10", p);
        CHECK_REL(nm.y_std[p], sqrt(sy2[p] / n - m * m), 1e-6, "target %d std of log10", p);
    }

    /* Encoding: both + masks; NaN -> 0 with mask 0. Row 5 (odd): L NaN after day 80, v NaN after day 60. */
    float x[4 * NT], y[4];
    long r5 = 5;
    rc = snf_data_load(d, &nm, &r5, 1, x, y);
    CHECK_INT(rc, SNF_OK, "load row 5");
    CHECK_REL(x[10], (g_l[5 * NT + 10] - nm.x_mean[0]) / nm.x_std[0], 1e-5, "L channel standardised");
    CHECK_REL(x[NT + 10], (g_v[5 * NT + 10] - nm.x_mean[1]) / nm.x_std[1], 1e-5, "v channel standardised");
    CHECK_ABS(x[45], 0, 0, "L NaN (day 90) -> 0");
    CHECK_ABS(x[2 * NT + 45], 0, 0, "L mask 0 at day 90");
    CHECK_ABS(x[2 * NT + 10], 1, 0, "L mask 1 at day 20");
    CHECK_ABS(x[NT + 35], 0, 0, "v NaN (day 70) -> 0");
    CHECK_ABS(x[3 * NT + 35], 0, 0, "v mask 0 at day 70");
    CHECK_ABS(x[3 * NT + 30], 1, 0, "v mask 1 at day 60");
    CHECK_REL(y[1], (log10(g_p[5 * 4 + 1]) - nm.y_mean[1]) / nm.y_std[1], 1e-5, "mass target standardised");
    double back[4];
    snf_data_decode_targets(back, y, &nm);
    CHECK_REL(back[2], g_p[5 * 4 + 2], 1e-5, "decode(encode(radius)) is the radius");
    snf_data_close(d);

    /* Channel selection and interpolation: luminosity alone, no mask, 99 points (midpoints interpolated). */
    snf_data_spec s1 = {.channels = SNF_CH_LBOL, .mask = 0, .L = 99, .t_start_d = 0, .t_end_d = 98};
    CHECK_INT(snf_data_spec_cin(&s1), 1, "luminosity without mask: 1 channel");
    rc = snf_data_open(&d, path, &s1, 7);
    float x1[99];
    long r4 = 4;
    rc = rc < 0 ? rc : snf_data_load(d, &nm, &r4, 1, x1, NULL);
    CHECK_INT(rc, SNF_OK, "load row 4 on a 99-point grid");
    double mid = 0.5 * ((double)g_l[4 * NT + 10] + g_l[4 * NT + 11]);
    CHECK_ABS(x1[21], (mid - nm.x_mean[0]) / nm.x_std[0], 1.5e-4, "day 21: linear interpolation of days 20, 22"); /* measured 1.45e-5 (float samples) */
    snf_data_close(d);
    /* Off the midpoint, so that a weight taken from the wrong end shows: day 20.5 on a half-day grid. */
    snf_data_spec sh = {.channels = SNF_CH_LBOL, .mask = 0, .L = 197, .t_start_d = 0, .t_end_d = 98};
    rc = snf_data_open(&d, path, &sh, 7);
    float x3[197];
    rc = rc < 0 ? rc : snf_data_load(d, &nm, &r4, 1, x3, NULL);
    CHECK_INT(rc, SNF_OK, "load row 4 on a half-day grid");
    double q = 0.75 * (double)g_l[4 * NT + 10] + 0.25 * (double)g_l[4 * NT + 11];
    CHECK_ABS(x3[41], (q - nm.x_mean[0]) / nm.x_std[0], 1.5e-4, "day 20.5: 3/4 of day 20 + 1/4 of day 22"); /* measured 7.2e-6 */
    snf_data_close(d);
    snf_data_spec s2 = {.channels = SNF_CH_VPH, .mask = 1, .L = 10, .t_start_d = 0, .t_end_d = 200};
    CHECK_INT(snf_data_spec_cin(&s2), 2, "velocity with mask: 2 channels");
    rc = snf_data_open(&d, path, &s2, 7);
    float x2[20];
    rc = rc < 0 ? rc : snf_data_load(d, &nm, &r4, 1, x2, NULL);
    CHECK_INT(rc, SNF_OK, "load a velocity-only grid reaching past the file's last day");
    CHECK_ABS(x2[10 + 9], 0, 0, "day 200 (outside the file's days 0-98): missing");
    CHECK_REL(x2[0], (g_v[4 * NT] - nm.x_mean[1]) / nm.x_std[1], 1e-5, "day 0 is v[0]");
    snf_data_close(d);

    /* Streaming (chunks of one batch, blocks of 3 rows) gives the same batches as in memory. */
    snf_data *d1 = NULL, *d2 = NULL;
    snf_data_open(&d1, path, &s, 1000);
    snf_data_open(&d2, path, &s, 3);
    snf_batcher *b1 = NULL, *b2 = NULL;
    const int B = 6;
    rc = snf_batcher_alloc(&b1, d1, &nm, rows, n, B, 0, 1, 42);
    CHECK_INT(rc, SNF_OK, "resident batcher");
    rc = snf_batcher_alloc(&b2, d2, &nm, rows, n, B, 7, 1, 42);
    CHECK_INT(rc, SNF_OK, "streaming batcher (max_rows 7 -> chunks of 6)");
    CHECK_TRUE(snf_batcher_resident(b1) && !snf_batcher_resident(b2), "one resident, one streaming");
    CHECK_INT(snf_batcher_nbatches(b1), (n + B - 1) / B, "batches per epoch (last partial kept)");
    int same = 1, nbat = 0, differs_between_epochs = 0;
    long first0[B];
    for (long e = 0; e < 3; e++) {
        snf_batcher_start(b1, e);
        snf_batcher_start(b2, e);
        float xa[B * 4 * NT], xb[B * 4 * NT], ya[B * 4], yb[B * 4];
        long ra[B], rb[B];
        int na, nb, k = 0;
        while (snf_batcher_next(b1, xa, ya, ra, &na) > 0) {
            int got = snf_batcher_next(b2, xb, yb, rb, &nb);
            same &= got == 1 && na == nb && !memcmp(xa, xb, sizeof(float) * na * 4 * NT) &&
                    !memcmp(ya, yb, sizeof(float) * na * 4) && !memcmp(ra, rb, sizeof(long) * na);
            if (k == 0 && e == 0) {
                memcpy(first0, ra, sizeof first0);
            } else if (k == 0 && memcmp(first0, ra, sizeof first0)) {
                differs_between_epochs = 1;
            }
            k++;
            nbat++;
        }
        same &= snf_batcher_next(b2, xb, yb, rb, &nb) == 0;
    }
    CHECK_TRUE(same, "streamed batches equal resident ones over 3 epochs (%d batches)", nbat);
    CHECK_TRUE(differs_between_epochs, "each epoch has its own shuffle");
    test_rows_batches(d1, b1, &nm, rows, n);
    snf_batcher_free(b1);
    snf_batcher_free(b2);
    snf_data_close(d1);
    snf_data_close(d2);
    free(rows);

    /* A time grid outside the file's is an input error. */
    snf_data_spec s3 = {.channels = SNF_CH_BOTH, .mask = 1, .L = 10, .t_start_d = 500, .t_end_d = 600};
    rc = snf_data_open(&d, path, &s3, 8);
    CHECK_INT(rc, SNF_EFORMAT, "a grid that misses the file's days: %s", snf_error_last_message());
    rc = snf_data_open(&d, "no_such_file.h5", &s3, 8);
    CHECK_INT(rc, SNF_EINVAL, "a missing data file is bad input");
}

static void test_config(void)
{
    snf_train_config c;
    int rc = snf_train_config_parse(&c, "[data]\nfile = d.h5\nchannels = luminosity\nlength = 32\n[train]\nepochs = 3\n"
                                        "batch = 8\n[model]\nfilters = 4\ndepth = 3\nkernel = 8\n", "dir/t.ini");
    CHECK_INT(rc, SNF_OK, "parse a small config");
    CHECK_TRUE(strcmp(c.data_file, "dir/d.h5") == 0, "data file resolved against the config's folder (%.200s)", c.data_file);
    CHECK_INT(c.net.C_in, 2, "luminosity + mask: C_in 2");
    CHECK_INT(c.net.T, 32, "T follows length");
    CHECK_INT(c.net.max_B, 8, "max_B follows batch");
    snf_train_config_free(&c);
    static const snf_bad_config bad[] = {
        {"[data]\nfile = d.h5\n[train]\nepocs = 3\n", "t.ini:4: [train] epocs: unknown key"},
        {"[data]\nfile = d.h5\n[train]\nepochs = three\n", "t.ini:4: [train] epochs: 'three' is not an integer"},
        {"[data]\nchannels = both\n", "t.ini:1: [data]: missing key 'file'"},
        {"[data]\nfile = d.h5\n[trian]\nseed = 1\n", "t.ini:3: [trian]: unknown section"},
        {"[data]\nfile = d.h5\nchannels = colour\n", "t.ini:3: [data] channels: unknown channels 'colour'"},
        {"[data]\nfile = d.h5\nfile = e.h5\n", "t.ini:3: [data] file: given twice"},
        {"[data]\nfile = d.h5\nthis is not ini\n", "t.ini:3: syntax error"},
        {"[data]\nfile = d.h5\n[model]\ndepth = 40\n", "t.ini:4: [model] depth: '40' is not an integer in [1, 12]"},
    };
    check_config_errors(bad, sizeof bad / sizeof bad[0], "t.ini");
    rc = snf_train_config_load(&c, "no_such_config.ini");
    CHECK_INT(rc, SNF_EINVAL, "missing config file");
}

static void test_obs(void)
{
    write_text("obs_ok.csv", "# comment\n# another\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n2,1e41,,,\n3,,,5000,50\n"
                             "4,1e42,1e40,,\n\n6,,,3000,\n");
    snf_obs o;
    int rc = snf_obs_read(&o, "obs_ok.csv");
    CHECK_INT(rc, SNF_OK, "read a good observation file");
    CHECK_INT(o.n, 4, "rows");
    CHECK_INT(o.n_L, 2, "L values");
    CHECK_INT(o.n_v, 2, "v values");
    snf_data_spec s = {.channels = SNF_CH_BOTH, .mask = 1, .L = 7, .t_start_d = 1, .t_end_d = 7};
    float lg[7], vg[7];
    snf_obs_resample(&o, &s, lg, vg);
    CHECK_TRUE(isnan(lg[0]) && isnan(lg[4]), "L missing before its first and after its last point");
    CHECK_REL(lg[1], 41.0, 1e-6, "L at day 2");
    CHECK_REL(lg[2], 41.5, 1e-6, "L at day 3: linear in log L");
    CHECK_REL(vg[3], 5000.0 - 2000.0 / 3.0, 1e-6, "v at day 4: linear in v between days 3 and 6");
    CHECK_TRUE(isnan(vg[1]) && isnan(vg[6]), "v missing outside days 3-6");
    snf_obs_free(&o);
    struct {
        const char *text, *want;
    } bad[] = {
        {"# c\nt,L,L_err,vph_km_s,vph_err\n1,1e41,,,\n", "obs_bad.csv:2: bad header"},
        {"t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e41,,,\n2,bright,,,\n", "obs_bad.csv:3: L_erg_s 'bright' is not a number"},
        {"t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e41,,,\n3,1e41,,,\n2,1e41,,,\n", "obs_bad.csv:4: t_d 2 is before"},
        {"t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e41,,\n", "obs_bad.csv:2: 4 fields"},
        {"t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,-1e41,,,\n", "obs_bad.csv:2: L_erg_s -1e+41 is not a supernova's luminosity in erg/s"},
        {"# only comments\n", "no header"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text("obs_bad.csv", bad[i].text);
        rc = snf_obs_read(&o, "obs_bad.csv");
        CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), bad[i].want) != NULL,
                   "observation error %zu: '%s' (got '%s')", i, bad[i].want, snf_error_last_message());
    }
}

static void test_metrics(void)
{
    double t[8] = {1, 10, 1e12, 0.1, 2, 20, 2e12, 0.2};
    double p[8] = {1.1, 9, 1e12, 0.1, 1.8, 20, 3e12, 0.25};
    snf_metrics m;
    snf_metrics_compute(&m, t, p, 2);
    CHECK_REL(m.mape[0], 10.0, 1e-12, "energy MAPE of 10%% and 10%%");
    CHECK_REL(m.mape[2], 25.0, 1e-12, "radius MAPE of 0%% and 50%%");
    CHECK_REL(m.mdape[3], 12.5, 1e-12, "nickel median of 0%% and 25%%");
    CHECK_REL(m.r2[1], 1.0 - pow(log10(0.9), 2) / (2 * pow(0.5 * log10(2), 2)), 1e-12, "mass R2 of log10");
}

static int read_ckpt(snf_ckpt *c, const char *path)
{
    int rc = snf_ckpt_read(c, path);
    CHECK_INT(rc, SNF_OK, "read %s (%s)", path, snf_error_last());
    return rc;
}

static int same_floats(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static void test_checkpoint_and_resume(const char *data)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\nfile = %s\nlength = 16\nt_start = 0\nt_end = 60\nvalidation = 0.2\ntest = 0.1\nmax_rows = 0\n"
             "[train]\nseed = 5\nepochs = 5\nbatch = 8\nlr = 3e-3\n[early_stop]\npatience = 0\n"
             "[model]\nfilters = 4\ndepth = 3\nkernel = 8\nbottleneck = 4\ndropout = 0.1\n[augment]\nnoise = 0.05\n"
             "shift = 1\ndrop = 0.05\n[output]\nmodel = resume_a.h5\n", data);
    snf_train_config c;
    int rc = snf_train_config_parse(&c, text, "mem.ini");
    CHECK_INT(rc, SNF_OK, "tiny training config (%s)", snf_error_last_message());
    if (rc < 0) {
        return;
    }
    remove("resume_a.h5");
    remove("resume_b.h5");
    snf_train_options opt = snf_train_options_default();
    snf_train_summary sa, sb;
    rc = snf_train_run(&c, &opt, &sa);
    CHECK_INT(rc, SNF_OK, "uninterrupted run (%s)", snf_error_last());
    CHECK_TRUE(sa.finished && sa.epoch == 5, "5 epochs, finished");
    /* The same with streaming in chunks of one batch and reading blocks of 3 rows, stopped after 2
     * epochs and resumed twice (2 + 2 + 1). */
    snf_train_config cb = c;
    snprintf(cb.model_path, sizeof cb.model_path, "resume_b.h5");
    cb.max_rows = 8;
    cb.block_rows = 3;
    opt.stop_after = 2;
    rc = snf_train_run(&cb, &opt, &sb);
    CHECK_TRUE(rc == SNF_OK && sb.stopped && sb.epoch == 2 && !sb.finished, "stopped after 2 epochs");
    rc = snf_train_run(&cb, &opt, &sb);
    CHECK_TRUE(rc == SNF_OK && sb.resumed && sb.epoch == 4, "resumed, stopped after 4");
    rc = snf_train_run(&cb, &opt, &sb);
    CHECK_TRUE(rc == SNF_OK && sb.resumed && sb.finished && sb.epoch == 5, "resumed to the end");
    rc = snf_train_run(&cb, &opt, &sb);
    CHECK_TRUE(rc == SNF_OK && sb.already_finished, "a finished model is left alone");

    snf_ckpt a, b;
    if (read_ckpt(&a, "resume_a.h5") == 0 && read_ckpt(&b, "resume_b.h5") == 0) {
        CHECK_TRUE(same_floats(a.params, b.params, a.nparams), "resumed + streamed run: params bitwise equal");
        CHECK_TRUE(same_floats(a.best_params, b.best_params, a.nparams), "best params bitwise equal");
        CHECK_TRUE(same_floats(a.adam_m, b.adam_m, a.nparams) && same_floats(a.adam_v, b.adam_v, a.nparams),
                   "Adam moments bitwise equal");
        CHECK_TRUE(same_floats(a.bn_stats, b.bn_stats, a.nstats), "BN running statistics bitwise equal");
        CHECK_INT(a.adam_t, b.adam_t, "Adam steps");
        CHECK_INT(a.n_hist, 5, "history rows");
        int hist_same = a.n_hist == b.n_hist;
        for (long i = 0; hist_same && i < a.n_hist; i++) {
            hist_same = a.hist[i].train_loss == b.hist[i].train_loss && a.hist[i].val_loss == b.hist[i].val_loss;
        }
        CHECK_TRUE(hist_same, "training and validation losses of every epoch equal");
        CHECK_TRUE(!memcmp(&a.norm, &b.norm, sizeof a.norm), "normalisation equal");
        CHECK_TRUE(strcmp(a.data_source, "semi-analytic:test") == 0, "provenance: data source '%s'", a.data_source);
        CHECK_TRUE(strstr(a.config_text, "resume_a.h5") != NULL, "config text stored");

        /* Round trip: write what was read, read it again, compare. */
        rc = snf_ckpt_write("roundtrip.h5", &a);
        CHECK_INT(rc, SNF_OK, "write a checkpoint (%s)", snf_error_last());
        snf_ckpt r;
        if (read_ckpt(&r, "roundtrip.h5") == 0) {
            CHECK_TRUE(same_floats(a.params, r.params, a.nparams) && same_floats(a.adam_v, r.adam_v, a.nparams) &&
                       same_floats(a.best_stats, r.best_stats, a.nstats), "round trip: slabs identical");
            CHECK_TRUE(!memcmp(&a.norm, &r.norm, sizeof a.norm) && !memcmp(&a.spec, &r.spec, sizeof a.spec),
                       "round trip: normalisation and grid identical");
            CHECK_TRUE(!memcmp(&a.net, &r.net, sizeof a.net) && !memcmp(a.sizes, r.sizes, sizeof a.sizes),
                       "round trip: architecture and size table identical");
            CHECK_TRUE(!memcmp(&a.plateau, &r.plateau, sizeof a.plateau) && !memcmp(&a.es, &r.es, sizeof a.es) &&
                       a.lr == r.lr && a.epoch == r.epoch && a.step == r.step,
                       "round trip: schedules, lr, epoch, dropout step identical");
            CHECK_TRUE(!memcmp(a.hist, r.hist, (size_t)a.n_hist * sizeof *a.hist), "round trip: history identical");
            snf_ckpt_free(&r);
        }
        /* Inference from the checkpoint. */
        snf_net *net = NULL;
        rc = snf_ckpt_net(&a, 4, &net);
        CHECK_INT(rc, SNF_OK, "network from the checkpoint");
        float x[4 * 16 * 4];
        for (int i = 0; i < 4 * 16 * 4; i++) {
            x[i] = (float)sin(i);
        }
        double p[4 * 4];
        rc = snf_train_predict(net, &a.norm, x, 4, p);
        int finite = rc == SNF_OK;
        for (int i = 0; i < 16; i++) {
            finite &= isfinite(p[i]) && p[i] > 0;
        }
        CHECK_TRUE(finite, "predictions finite and positive");
        snf_net_free(net);
        snf_ckpt_free(&a);
        snf_ckpt_free(&b);
    }
    /* A different config on an existing model is refused. */
    snf_train_config cc = c;
    char *t2 = malloc(strlen(c.text) + 32);
    sprintf(t2, "%s; changed\n", c.text);
    cc.text = t2;
    rc = snf_train_run(&cc, &opt, &sb);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last_message(), "different config"),
               "another config's model is refused: %s", snf_error_last_message());
    free(t2);
    rc = snf_ckpt_read(&a, "obs_ok.csv");
    CHECK_INT(rc, SNF_EFORMAT, "a non-HDF5 model file");
    snf_train_config_free(&c);
}

/* A time budget ends training as finished after the epoch that would take it past the budget: with a
 * budget far below one epoch, exactly one epoch runs, its weights are kept and the test rows are scored. */
static void test_time_budget(const char *data)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[data]\nfile = %s\nlength = 16\nt_start = 0\nt_end = 60\nvalidation = 0.2\ntest = 0.1\n"
             "[train]\nseed = 5\nepochs = 50\nbatch = 8\nlr = 3e-3\n[early_stop]\npatience = 0\n"
             "[model]\nfilters = 4\ndepth = 3\nkernel = 8\nbottleneck = 4\n[output]\nmodel = budget.h5\n", data);
    snf_train_config c;
    int rc = snf_train_config_parse(&c, text, "budget.ini");
    CHECK_INT(rc, SNF_OK, "time-budget config (%s)", snf_error_last_message());
    if (rc < 0) {
        return;
    }
    remove("budget.h5");
    snf_train_options opt = snf_train_options_default();
    opt.max_wall_s = 1e-9;
    snf_train_summary s;
    rc = snf_train_run(&c, &opt, &s);
    CHECK_INT(rc, SNF_OK, "run with a time budget (%s)", snf_error_last());
    CHECK_TRUE(s.finished && !s.stopped && s.epoch == 1 && s.epochs_run == 1, "one epoch, finished (epoch %ld)",
               s.epoch);
    CHECK_TRUE(strcmp(s.stop_reason, "time budget") == 0, "stop reason '%s'", s.stop_reason);
    CHECK_TRUE(s.test.n == s.n_test && s.n_test > 0, "test rows scored (%ld of %ld)", s.test.n, s.n_test);
    snf_ckpt k;
    if (read_ckpt(&k, "budget.h5") == 0) {
        CHECK_TRUE(k.finished && k.epoch == 1 && k.n_hist == 1 && strcmp(k.stop_reason, "time budget") == 0,
                   "model file: finished after 1 epoch, reason '%s'", k.stop_reason);
        snf_ckpt_free(&k);
    }
    rc = snf_train_run(&c, &opt, &s);
    CHECK_TRUE(rc == SNF_OK && s.already_finished, "the budget-finished model is left alone");
    /* A generous budget changes nothing: all epochs of a short run. */
    snf_train_config c2 = c;
    c2.epochs = 3;
    snprintf(c2.model_path, sizeof c2.model_path, "budget2.h5");
    remove("budget2.h5");
    opt.max_wall_s = 1e6;
    rc = snf_train_run(&c2, &opt, &s);
    CHECK_TRUE(rc == SNF_OK && s.finished && s.epoch == 3 && strcmp(s.stop_reason, "epochs") == 0,
               "a generous budget: all 3 epochs (%ld, '%s')", s.epoch, s.stop_reason);
    snf_train_config_free(&c);
}

int main(void)
{
    snf_threads_setup(2);
    make_data("train_data.h5");
    test_data("train_data.h5");
    test_config();
    test_obs();
    test_metrics();
    test_checkpoint_and_resume("train_data.h5");
    test_time_budget("train_data.h5");
    return snf_check_failures();
}
