/* test_hydro.c: the hydro readers on real sample files (../shared/hydro when present, else the copies in
 * validation/data) and on the real lines quoted in FORMATS.md; resampling against analytic curves;
 * coverage masks; every class of malformed input reported as SNF_EFORMAT naming file:line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/validation.h"

/* ---- helpers ---- */

static char snf_tmpdir[256];

static const char *snf_write_tmp(const char *name, const char *text)
{
    static char path[8][512];
    static int slot = 0;
    char *p = path[slot++ % 8];
    snprintf(p, 512, "%s/%s", snf_tmpdir, name);
    write_text(p, text);
    return p;
}

/* The SNEC folder of model m: ../shared when present, else the bundled copy. */
static void snf_snec_dir(char *out, size_t n, const char *m)
{
    snprintf(out, n, "%s/hydro/snec/%s", SNF_SHARED_DIR, m);
    if (access(out, R_OK) != 0) {
        snprintf(out, n, "%s/validation/data/snec/%s", SNF_SOURCE_DIR, m);
    }
}

/* Parses text as a 2-column table and checks the failure names "name:line". */
static void snf_expect_table_error(const char *text, int ncols, int line, const char *what)
{
    snf_hydro_table t;
    snf_hydro_table_opts o = snf_hydro_table_opts_default();
    o.ncols = ncols;
    snf_error_clear();
    int rc = snf_hydro_table_parse(&t, "bad.dat", text, strlen(text), &o);
    char want[64];
    snprintf(want, sizeof want, "bad.dat:%d:", line);
    CHECK_INT(rc, SNF_EFORMAT, "%s -> SNF_EFORMAT", what);
    CHECK_TRUE(strstr(snf_error_last(), want) != NULL, "%s names %s (%s)", what, want, snf_error_last_message());
}

/* ---- tests ---- */

static void test_table_parser(void)
{
    /* FORMATS.md 1a: shaharbr/SNemcee lum_observed.dat lines 1-3 and 500-501 (real SNEC lines). */
    const char *snec = "  0.0000000000E+000  0.0000000000E+000\n"
                       "  1.7028731006E+003  9.4628927582E+037\n"
                       "  3.4037317947E+003  1.0598959777E+038\n"
                       "  8.4842609685E+005  2.5070316136E+042\n"
                       "  8.5013609685E+005  2.5070721636E+042\n";
    snf_hydro_table t;
    snf_hydro_table_opts o = snf_hydro_table_opts_default();
    o.ncols = 2;
    int rc = snf_hydro_table_parse(&t, "lum_observed.dat", snec, strlen(snec), &o);
    CHECK_INT(rc, SNF_OK, "FORMATS.md SNEC lines parse");
    CHECK_INT(t.nrows, 5, "5 rows");
    CHECK_REL(t.v[2 * 4 + 1], 2.5070721636E+042, 1e-15, "last L");
    CHECK_INT(t.line[4], 5, "line numbers kept");
    snf_hydro_table_free(&t);

    snf_expect_table_error("", 2, 0, "empty input");
    snf_expect_table_error("# only a comment\n", 2, 1, "comment only");
    snf_expect_table_error("0 1\n1 abc\n", 2, 2, "text where a number belongs");
    snf_expect_table_error("0 1\n1 nan\n", 2, 2, "NaN");
    snf_expect_table_error("0 1\n1 inf\n", 2, 2, "inf");
    snf_expect_table_error("0 1\n1 2 3\n", 2, 2, "wrong column count");
    snf_expect_table_error("0,1\n1,\n", 2, 2, "empty CSV field");
    snf_expect_table_error("0 1\n\n# c\n2 3 4\n", 0, 4, "ragged rows");
    snf_expect_table_error("0 1\n1 1e999\n", 2, 2, "overflow");
}

static void test_snec_real(void)
{
    char dir[1024];
    snf_snec_dir(dir, sizeof dir, "m000");
    snf_hydro_run r;
    int rc = snf_hydro_read_snec(&r, dir, SNF_ORIGIN_EXPLOSION);
    CHECK_INT(rc, SNF_OK, "SNEC m000 reads (%s)", dir);
    if (rc < 0) {
        printf("%s\n", snf_error_last());
        return;
    }
    CHECK_INT(r.L.n, 501, "501 rows of lum_observed.dat");
    CHECK_ABS(r.L.y[0], 0, 0, "first row L = 0");
    CHECK_REL(r.L.t_d[1], 4.3282126060E+004 / 86400, 1e-12, "times in days from the start of the run");
    CHECK_REL(r.L.y[1], 8.6971451185E+041, 1e-12, "L row 2 as in the file");
    CHECK_REL(r.t_breakout_d, 5566.5719780178142 / 86400, 1e-12, "breakout from info.dat");
    CHECK_TRUE(r.v_valid_end_d > 100 && r.v_valid_end_d < 190, "v_ph ends at the deepest photosphere (day %.1f)",
               r.v_valid_end_d);
    CHECK_TRUE(isnan(r.v.y[r.v.n - 1]), "v_ph after that is NaN");
    CHECK_TRUE(isnan(r.v.y[0]), "v_ph = 0 at t = 0 is NaN");

    /* On a daily grid: day 0 NaN (L = 0), day 1 finite, day 251+ NaN (the run ends at 250 d). */
    double t[301];
    float lg[301], vv[301];
    for (int k = 0; k < 301; k++) {
        t[k] = k;
    }
    CHECK_INT(snf_hydro_resample(lg, &r.L, 1, t, 301), SNF_OK, "resample L");
    CHECK_INT(snf_hydro_resample(vv, &r.v, 0, t, 301), SNF_OK, "resample v");
    CHECK_TRUE(isnan(lg[0]) && isfinite(lg[1]) && isfinite(lg[250]) && isnan(lg[251]) && isnan(lg[300]),
               "coverage: NaN at day 0 and after day 250");
    int k_end = (int)floor(r.v_valid_end_d);
    CHECK_TRUE(isfinite(vv[k_end]) && isnan(vv[k_end + 1]), "v_ph mask ends at day %d", k_end);
    /* Samples on the grid come back unchanged (to float): a grid made of four of the run's own times.
     * Tolerance: half a float ulp at log L ~ 42 (1.9e-6). */
    const int pick[4] = {50, 100, 200, 300};
    double ts[4];
    float ls[4];
    for (int j = 0; j < 4; j++) {
        ts[j] = r.L.t_d[pick[j]];
    }
    CHECK_INT(snf_hydro_resample(ls, &r.L, 1, ts, 4), SNF_OK, "resample onto four sample times");
    for (int j = 0; j < 4; j++) {
        CHECK_ABS(ls[j], log10(r.L.y[pick[j]]), 2e-6, "sample %d (day %.3f) on the grid is kept", pick[j], ts[j]);
    }
    /* Between two samples, inside [min, max] of the pair (Steffen's interpolant is monotone). */
    double tm = 0.5 * (r.L.t_d[100] + r.L.t_d[101]);
    float lm;
    CHECK_INT(snf_hydro_resample(&lm, &r.L, 1, &tm, 1), SNF_OK, "resample between samples 100 and 101");
    double lo = fmin(log10(r.L.y[100]), log10(r.L.y[101])), hi = fmax(log10(r.L.y[100]), log10(r.L.y[101]));
    CHECK_TRUE(lm >= lo - 2e-6 && lm <= hi + 2e-6, "midpoint %.7f within the two samples [%.7f, %.7f]", lm, lo, hi);
    snf_hydro_run_free(&r);

    rc = snf_hydro_read_snec(&r, dir, SNF_ORIGIN_BREAKOUT);
    CHECK_INT(rc, SNF_OK, "SNEC m000 with t = 0 at breakout");
    CHECK_REL(r.L.t_d[1], (4.3282126060E+004 - 5566.5719780178142) / 86400, 1e-12, "shifted by the breakout time");
    snf_hydro_run_free(&r);

    snf_error_clear();
    rc = snf_hydro_read_snec(&r, "/nonexistent/run", SNF_ORIGIN_EXPLOSION);
    CHECK_INT(rc, SNF_EFORMAT, "missing folder -> SNF_EFORMAT");
    CHECK_TRUE(strstr(snf_error_last(), "lum_observed.dat: No such file") != NULL, "names the file (%s)", snf_error_last_message());
}

static void test_stella_snippets(void)
{
    char base[1024];
    snprintf(base, sizeof base, "%s/validation/data/stella/cat_R1000_M15_Ni007_E15", SNF_SOURCE_DIR);
    snf_hydro_run r;
    int rc = snf_hydro_read_stella(&r, base);
    CHECK_INT(rc, SNF_OK, "pystella .tt excerpt reads");
    if (rc >= 0) {
        CHECK_INT(r.L.n, 3, "3 rows");
        CHECK_REL(r.L.y[1], 3.827e33 * pow(10, 0.4 * (4.62 + 14.576)), 1e-12, "Mbol -> L with pystella's zero point");
        CHECK_REL(r.L.t_d[2], 177.0169372559, 1e-12, "time in days");
        CHECK_INT(r.v.n, 0, "no v_ph in .tt");
    }
    snf_hydro_run_free(&r);
    snprintf(base, sizeof base, "%s/validation/data/stella/mesa", SNF_SOURCE_DIR);
    rc = snf_hydro_read_stella(&r, base);
    CHECK_INT(rc, SNF_OK, "MESA lbol_lnuc + vel_feII excerpts read");
    if (rc >= 0) {
        CHECK_REL(r.L.y[1], pow(10, 43.818), 1e-12, "log L_bol column");
        CHECK_INT(r.v.n, 2, "2 velocity rows");
        CHECK_REL(r.v.y[0], 3.6943E+03, 1e-12, "v_tau_med (tau_Sob = 1) in km/s");
        CHECK_REL(r.v.t_d[1], 5.0023E+01, 1e-12, "t after max L_bol (max taken as t = 0)");
    }
    snf_hydro_run_free(&r);
    /* A run-time .lbol (FORMATS.md 2d's real first row, and a second row) shifts post-max files. */
    snprintf(base, sizeof base, "%s/lb", snf_tmpdir);
    snf_write_tmp("lb.lbol", "time L_ubvri L_bol XEUV<325 IR>890\n-0.0267084111    35.278    37.587    31.114    37.585\n"
                             "  0.5    40.0    43.5    31.0    40.0\n  20.0    40.0    42.0    31.0    40.0\n");
    snf_write_tmp("lb.vel_feII", "# v where tau Sob\n t post max Lbol v_tau_lo v_tau_med\n 1 10.0 4000 3500 3000\n"
                                 " 2 19.5 3000 2500 2000\n");
    rc = snf_hydro_read_stella(&r, base);
    CHECK_INT(rc, SNF_OK, ".lbol + .vel_feII");
    if (rc >= 0) {
        CHECK_REL(r.L.y[0], pow(10, 37.587), 1e-12, ".lbol: L_bol is column 3");
        CHECK_REL(r.v.t_d[0], 10.5, 1e-12, "post-max times shifted by the run time of max L (0.5 d)");
    }
    snf_hydro_run_free(&r);
    snf_write_tmp("one.lbol", "time L_ubvri L_bol XEUV<325 IR>890\n-0.0267084111    35.278    37.587    31.114    37.585\n");
    snprintf(base, sizeof base, "%s/one", snf_tmpdir);
    snf_error_clear();
    rc = snf_hydro_read_stella(&r, base);
    CHECK_INT(rc, SNF_EFORMAT, "one row -> too few rows");
    CHECK_TRUE(strstr(snf_error_last(), "one.lbol:2") != NULL, "names one.lbol:2 (%s)", snf_error_last_message());
}

static void test_resample_analytic(void)
{
    /* L = 1e42 exp(-t/50): log L is linear in t, so interpolation in log L is exact on any sampling. */
    enum { NS = 40, T = 121 };
    double ts[NS], ys[NS], t[T];
    for (int i = 0; i < NS; i++) {
        ts[i] = 5 + 2.5 * i + 0.7 * sin(i); /* irregular, 5 .. ~103 d */
        ys[i] = 1e42 * exp(-ts[i] / 50);
    }
    for (int k = 0; k < T; k++) {
        t[k] = k;
    }
    snf_hydro_series s = {NS, ts, ys};
    float out[T];
    CHECK_INT(snf_hydro_resample(out, &s, 1, t, T), SNF_OK, "resample exponential");
    double maxerr = 0;
    int nan_ok = 1;
    for (int k = 0; k < T; k++) {
        int inside = t[k] >= ts[0] && t[k] <= ts[NS - 1];
        if (inside) {
            double e = fabs(out[k] - (42 - t[k] / 50 / log(10)));
            maxerr = e > maxerr ? e : maxerr;
        } else {
            nan_ok &= isnan(out[k]) ? 1 : 0;
        }
    }
    CHECK_ABS(maxerr, 0, 2e-6, "log-linear curve reproduced (float precision)");
    CHECK_TRUE(nan_ok, "NaN before the first and after the last sample: no extrapolation");

    /* A smooth curve: log L = 42 + 0.5 sin(t/20) on 2-day samples, error O(h^3) small. */
    double ts2[60], ys2[60];
    for (int i = 0; i < 60; i++) {
        ts2[i] = 2.0 * i;
        ys2[i] = pow(10, 42 + 0.5 * sin(ts2[i] / 20));
    }
    snf_hydro_series s2 = {60, ts2, ys2};
    CHECK_INT(snf_hydro_resample(out, &s2, 1, t, T), SNF_OK, "resample sine");
    maxerr = 0;
    for (int k = 0; k <= 118; k++) {
        double e = fabs(out[k] - (42 + 0.5 * sin(t[k] / 20)));
        maxerr = e > maxerr ? e : maxerr;
    }
    CHECK_ABS(maxerr, 0, 2e-3, "smooth log L within 2e-3 dex between 2-day samples");

    /* Steffen's interpolant reproduces a monotone quadratic exactly inside the data (its node slopes are
     * then the parabola's, Steffen 1990 eq. 11, and cubic Hermite is exact for quadratics); linear
     * interpolation would be off by h^2 f''/8 = 2.5e-3 dex here. Tolerance: float rounding of log L ~ 45. */
    double tq[21], yq[21], tm[19];
    float oq[19];
    for (int i = 0; i < 21; i++) {
        tq[i] = 50.0 + 10.0 * i;
        yq[i] = pow(10, 41 + 1e-4 * tq[i] * tq[i]);
    }
    for (int i = 0; i < 19; i++) {
        tm[i] = tq[i + 1] + 5.0; /* midpoints of the interior intervals */
    }
    snf_hydro_series sq = {21, tq, yq};
    CHECK_INT(snf_hydro_resample(oq, &sq, 1, tm, 19), SNF_OK, "resample quadratic");
    maxerr = 0;
    for (int i = 0; i < 18; i++) {
        maxerr = fmax(maxerr, fabs(oq[i] - (41 + 1e-4 * tm[i] * tm[i])));
    }
    CHECK_ABS(maxerr, 0, 4e-6, "Steffen: a monotone quadratic in log L reproduced between 10-day samples");

    /* Coverage masks: an undefined sample (L = 0) and a negative-free gap split the series. */
    double ts3[6] = {0, 10, 20, 30, 40, 50}, ys3[6] = {1e41, 1e41, 0, 1e41, 1e41, 1e41};
    snf_hydro_series s3 = {6, ts3, ys3};
    CHECK_INT(snf_hydro_resample(out, &s3, 1, t, T), SNF_OK, "resample with a gap");
    CHECK_TRUE(isfinite(out[10]) && isnan(out[11]) && isnan(out[20]) && isnan(out[29]) && isfinite(out[30]) &&
               isfinite(out[50]) && isnan(out[51]), "NaN across the undefined sample, defined on both sides");
    /* Linear (v) channel. */
    double vs[2] = {1000, 2000};
    double tv[2] = {10, 20};
    snf_hydro_series s4 = {2, tv, vs};
    CHECK_INT(snf_hydro_resample(out, &s4, 0, t, T), SNF_OK, "two samples: linear");
    CHECK_ABS(out[15], 1500, 1e-3, "linear midpoint");
}

static void test_columns_config(void)
{
    const char *ini = "; Pumo-Zampieri-like table\n[columns]\ntime = 1\nlum = 3\nvph = 2\nskip = 1\ndelimiter = comma\n"
                      "[units]\ntime = s\nlum = Lsun\nlum_scale = log10\nvph = cm/s\n[time]\norigin = lmax\noffset = 2.5\n";
    snf_columns_spec s;
    int rc = snf_columns_config_parse(&s, "pz.ini", ini, strlen(ini));
    CHECK_INT(rc, SNF_OK, "columns config parses");
    const char *data = "t_s,v_cm_s,logL_Lsun\n0,1e9,8.0\n86400,9e8,8.5\n172800,8e8,8.2\n";
    snf_hydro_table t;
    rc = snf_hydro_table_parse(&t, "pz.csv", data, strlen(data), &s.table);
    CHECK_INT(rc, SNF_OK, "CSV with a header line");
    snf_hydro_run r;
    rc = snf_columns_apply(&r, &t, "pz.csv", &s);
    CHECK_INT(rc, SNF_OK, "columns apply");
    if (rc >= 0) {
        CHECK_REL(r.L.y[1], 3.828e33 * pow(10, 8.5), 1e-12, "log10 Lsun -> erg/s");
        CHECK_REL(r.v.y[0], 1e4, 1e-12, "cm/s -> km/s");
        CHECK_ABS(r.L.t_d[1], 2.5, 1e-12, "origin lmax + offset: t = t_file - t_max + offset");
        CHECK_ABS(r.L.t_d[0], 1.5, 1e-12, "seconds -> days");
    }
    snf_hydro_run_free(&r);
    snf_hydro_table_free(&t);

    struct { const char *text; int line; const char *what; } bad[] = {
        {"[columns]\ntime = 1\nlum = x\n", 3, "bad column number"},
        {"[columns]\ntime = 1\n[units]\ntime = fortnight\n", 4, "unknown time unit"},
        {"[colums]\ntime = 1\n", 2, "unknown section"},
        {"[columns]\ntime = 2\nlum = 2\n", 3, "column used twice"},
        {"[time]\noffset = abc\n", 2, "offset not a number"},
        {"[columns]\nthis is not ini\n", 2, "not an INI line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snf_error_clear();
        rc = snf_columns_config_parse(&s, "c.ini", bad[i].text, strlen(bad[i].text));
        char want[32];
        snprintf(want, sizeof want, "c.ini:%d:", bad[i].line);
        CHECK_INT(rc, SNF_EFORMAT, "config: %s", bad[i].what);
        CHECK_TRUE(strstr(snf_error_last(), want) != NULL, "config: %s names %s (%s)", bad[i].what, want,
                   snf_error_last_message());
    }
    /* Series checks through apply: negative L, duplicate and decreasing times, too few rows. */
    snf_columns_spec d = snf_columns_spec_default();
    d.col_v = 0;
    struct { const char *text; int line; const char *what; } bad2[] = {
        {"0 1\n1 -5\n", 2, "negative luminosity"},
        {"0 1\n1 2\n1 3\n", 3, "duplicate time"},
        {"0 1\n2 2\n1 3\n", 3, "non-monotonic time"},
        {"# x\n0 1\n", 2, "too few rows"},
    };
    for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++) {
        snf_error_clear();
        rc = snf_hydro_table_parse(&t, "d.txt", bad2[i].text, strlen(bad2[i].text), &d.table);
        if (rc >= 0) {
            rc = snf_columns_apply(&r, &t, "d.txt", &d);
            snf_hydro_table_free(&t);
        }
        char want[32];
        snprintf(want, sizeof want, "d.txt:%d:", bad2[i].line);
        CHECK_INT(rc, SNF_EFORMAT, "data: %s", bad2[i].what);
        CHECK_TRUE(strstr(snf_error_last(), want) != NULL, "data: %s names %s (%s)", bad2[i].what, want,
                   snf_error_last_message());
    }
}

static void test_index(void)
{
    snf_hydro_index idx;
    const char *p = snf_write_tmp("index.csv", "# c\npath,energy,mass,radius,nickel,m_total_msun\nrun1,1.5,15,3e12,0.07,16.5\n");
    CHECK_INT(snf_hydro_index_read(&idx, p), SNF_OK, "index reads");
    CHECK_INT(idx.P, 5, "extra column kept as a nuisance parameter");
    CHECK_TRUE(strcmp(idx.param_names[4], "m_total_msun") == 0, "its name");
    /* Every value in its column, as written in the file (a swapped column would pass the checks above). */
    const double want1[5] = {1.5, 15, 3e12, 0.07, 16.5};
    for (int j = 0; j < 5 && idx.n == 1; j++) {
        CHECK_ABS(idx.params[j], want1[j], 0, "index column %d (%s)", j, idx.param_names[j]);
    }
    /* Columns in another order are read by name. */
    snf_hydro_index idx2;
    p = snf_write_tmp("index2.csv", "path,mass,nickel,energy,radius\nrun2,20,0.1,2.5,4e12\n");
    CHECK_INT(snf_hydro_index_read(&idx2, p), SNF_OK, "index with columns in another order reads");
    const double want2[4] = {2.5, 20, 4e12, 0.1};
    for (int j = 0; j < 4 && idx2.n == 1; j++) {
        CHECK_ABS(idx2.params[j], want2[j], 0, "reordered index: %s", j == 0 ? "energy" : j == 1 ? "mass" : j == 2 ? "radius" : "nickel");
    }
    snf_hydro_index_free(&idx2);
    CHECK_TRUE(strstr(idx.path[0], "/run1") != NULL && strncmp(idx.path[0], snf_tmpdir, strlen(snf_tmpdir)) == 0,
               "paths relative to the index (%s)", idx.path[0]);
    snf_hydro_index_free(&idx);
    struct { const char *text; int line; const char *what; } bad[] = {
        {"path,energy,mass,radius\nr,1,1,1\n", 1, "missing index column"},
        {"path,energy,mass,radius,nickel\nr,1,1,1\n", 2, "wrong field count"},
        {"path,energy,mass,radius,nickel\nr,1,x,1,0.1\n", 2, "text where a number belongs"},
        {"path,energy,mass,radius,nickel\nr,-1,10,1e12,0.1\n", 2, "negative energy"},
        {"path,energy,mass,radius,nickel\n", 1, "no runs"},
        {"", 1, "empty index"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = snf_write_tmp("bad_index.csv", bad[i].text);
        snf_error_clear();
        int rc = snf_hydro_index_read(&idx, p);
        char want[64];
        snprintf(want, sizeof want, "bad_index.csv:%d:", bad[i].line);
        CHECK_INT(rc, SNF_EFORMAT, "index: %s", bad[i].what);
        CHECK_TRUE(strstr(snf_error_last(), want) != NULL, "index: %s names %s (%s)", bad[i].what, want,
                   snf_error_last_message());
    }
}

static void test_hydro_end_of_dome(void)
{
    /* A peak at day 50, a slow linear decline, and a 1-dex tanh step centred on day 120.25: the 4-day
     * central difference is steepest at the grid day nearest the centre, 120 (by hand). */
    enum { T = 200 };
    double t[T];
    float lg[T];
    for (int k = 0; k < T; k++) {
        t[k] = k;
        double base = k < 50 ? 42 - 1e-4 * (k - 50) * (k - 50) : 42 - 1e-3 * (k - 50);
        lg[k] = (float)(base - 0.5 * (1 + tanh((k - 120.25) / 3)));
    }
    snf_lc_derived d;
    snf_hydro_peak(&d, t, lg, T, 10);
    CHECK_ABS(d.t_peak_d, 50, 0.5, "hydro peak near day 50 (%.3f)", d.t_peak_d);
    CHECK_ABS(d.t_plateau_end_d, 120, 0, "hydro end of dome: the grid day nearest the step's centre 120.25");
}

static void test_residuals(void)
{
    /* A dome peaking at day 80 that falls by 1 dex around day 145.5 (a tanh step) onto a tail; a model
     * equal to the hydro curve times 2 (v_ph x 1.1) gives +log10(2) dex (+10%) in every phase. */
    enum { T = 200 };
    double t[T], L[T], v[T];
    float lg[T], vh[T];
    for (int k = 0; k < T; k++) {
        t[k] = k;
        double x = 42 - 0.5 * pow((k - 80) / 40.0, 2) - 0.5 * (1 + tanh((k - 145.5) / 2));
        lg[k] = (float)x;
        vh[k] = 3000.0f;
        L[k] = 2 * pow(10, lg[k]);
        v[k] = 3300;
    }
    snf_valid_opts o = snf_valid_opts_default();
    snf_valid_result r = {0};
    snf_valid_residuals(&r, t, T, lg, vh, L, v, &o);
    CHECK_ABS(r.hydro.t_peak_d, 80, 1e-6, "hydro peak day");
    CHECK_ABS(r.model.t_peak_d - r.hydro.t_peak_d, 0, 1e-6, "same peak day");
    /* The hydro end of dome is the grid day of steepest 4-day central difference (hydro_resample.c): the
     * tanh is symmetric about 145.5, so days 145 and 146 tie but for the dome's own fall: 146. */
    CHECK_ABS(r.hydro.t_plateau_end_d, 146, 1e-9, "end of the dome at the steepest central difference");
    for (int p = 0; p < SNF_NPHASE; p++) {
        CHECK_TRUE(r.dlogL[p].n > 0, "phase %s has days", snf_valid_phase_name(p));
        CHECK_ABS(r.dlogL[p].median, log10(2), 1e-6, "phase %s: dlog L = log10 2", snf_valid_phase_name(p));
        CHECK_ABS(r.dv[p].mean, 0.1, 1e-9, "phase %s: dv/v = 10%%", snf_valid_phase_name(p));
    }
    /* Phase bounds by hand: early 1-29, rise 30-69 (peak - 10), peak 70-90, fall 91-160 (end of dome
     * 146 + the 15-day gap), tail 161-199. */
    CHECK_INT(r.dlogL[SNF_PHASE_EARLY].n, 29, "early phase: days 1-29 (day 0 excluded)");
    CHECK_INT(r.dlogL[SNF_PHASE_RISE].n, 40, "rise phase: days 30-69");
    CHECK_INT(r.dlogL[SNF_PHASE_PEAK].n, 21, "peak phase: days 70-90");
    CHECK_INT(r.dlogL[SNF_PHASE_FALL].n, 70, "fall phase: days 91-160");
    CHECK_INT(r.dlogL[SNF_PHASE_TAIL].n, 39, "tail phase: days 161-199");
    CHECK_INT(r.dlogL[SNF_PHASE_ALL].n, 199, "all: days 1-199");
}

int main(void)
{
    snprintf(snf_tmpdir, sizeof snf_tmpdir, "test_hydro_tmp");
    FILE *probe = fopen("test_hydro_tmp/.keep", "w");
    if (!probe) {
        if (system("mkdir -p test_hydro_tmp") != 0) {
            return 1;
        }
    } else {
        fclose(probe);
    }
    char cwd[200];
    if (getcwd(cwd, sizeof cwd)) {
        snprintf(snf_tmpdir, sizeof snf_tmpdir, "%s/test_hydro_tmp", cwd);
    }
    test_table_parser();
    test_snec_real();
    test_stella_snippets();
    test_resample_analytic();
    test_columns_config();
    test_index();
    test_hydro_end_of_dome();
    test_residuals();
    return snf_check_failures();
}
