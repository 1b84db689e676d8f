/* test_grids.c: unit tests of grids/: sampler properties, campaign config errors (file:line and key),
 * the dataset layer (write -> read round trip, attributes, pending fill, virtual-dataset join). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "snforge/grids.h"
#include "snforge/core.h"

/* ---- samplers ---- */

static void test_lhs_strata(void)
{
    const long N = 1000;
    const int D = 5;
    snf_sampler *s = snf_sampler_alloc(SNF_SAMPLER_LHS, D, N, 42, NULL);
    CHECK_TRUE(s != NULL, "lhs alloc");
    double *u = malloc((size_t)N * D * sizeof *u);
    /* In three uneven pieces, as blocks and shards would ask. */
    snf_sampler_points(s, 0, 123, u);
    snf_sampler_points(s, 123, 600, u + 123 * D);
    snf_sampler_points(s, 723, N - 723, u + 723 * D);
    int *hit = calloc((size_t)N, sizeof *hit);
    int bad = 0;
    for (int d = 0; d < D; d++) {
        memset(hit, 0, (size_t)N * sizeof *hit);
        for (long i = 0; i < N; i++) {
            double x = u[i * D + d];
            long k = (long)floor(x * (double)N);
            if (x < 0 || x >= 1 || k < 0 || k >= N) {
                bad++;
            } else {
                hit[k]++;
            }
        }
        for (long k = 0; k < N; k++) {
            bad += hit[k] != 1;
        }
    }
    CHECK_INT(bad, 0, "lhs: every axis's %ld strata each hold exactly one point", N);
    /* Same points whatever the split; a different seed gives different points. */
    double v[5];
    snf_sampler_points(s, 500, 1, v);
    CHECK_TRUE(memcmp(v, u + 500 * D, sizeof v) == 0, "lhs: point 500 alone equals point 500 of the sweep");
    snf_sampler *s2 = snf_sampler_alloc(SNF_SAMPLER_LHS, D, N, 43, NULL);
    snf_sampler_points(s2, 500, 1, v);
    CHECK_TRUE(memcmp(v, u + 500 * D, sizeof v) != 0, "lhs: another seed moves point 500");
    snf_sampler_free(s2);
    snf_sampler_free(s);
    free(hit);
    free(u);
}

static void test_sobol_discrepancy(void)
{
    const long N = 1024;
    const int D = 4;
    double *us = malloc((size_t)N * D * sizeof *us), *ur = malloc((size_t)N * D * sizeof *ur);
    snf_sampler *so = snf_sampler_alloc(SNF_SAMPLER_SOBOL, D, N, 1987, NULL);
    snf_sampler *ra = snf_sampler_alloc(SNF_SAMPLER_UNIFORM, D, N, 1987, NULL);
    snf_sampler_points(so, 0, N, us);
    snf_sampler_points(ra, 0, N, ur);
    double ds = snf_sampler_l2_star_discrepancy(us, N, D), dr = snf_sampler_l2_star_discrepancy(ur, N, D);
    printf("L2-star discrepancy, N = %ld, D = %d: sobol %.3e, uniform %.3e\n", N, D, ds, dr);
    CHECK_TRUE(ds < 0.5 * dr, "sobol discrepancy %.3e below half of random's %.3e", ds, dr);
    /* The discrepancy itself against the classical 1-D closed form (Niederreiter 1992, ch. 2) of the L2 star
     * discrepancy of sorted points): D^2 = 1/(12 N^2) + (1/N) sum_i (x_(i) - (2i - 1)/(2N))^2. */
    double x1[10] = {0.91, 0.05, 0.33, 0.62, 0.48, 0.17, 0.77, 0.29, 0.99, 0.56}, xs[10];
    memcpy(xs, x1, sizeof xs);
    for (int i = 1; i < 10; i++) { /* insertion sort */
        double v = xs[i];
        int j = i - 1;
        while (j >= 0 && xs[j] > v) { xs[j + 1] = xs[j]; j--; }
        xs[j + 1] = v;
    }
    double d2 = 1.0 / (12.0 * 100);
    for (int i = 0; i < 10; i++) {
        double e = xs[i] - (2.0 * (i + 1) - 1) / 20.0;
        d2 += e * e / 10;
    }
    CHECK_REL(snf_sampler_l2_star_discrepancy(x1, 10, 1), sqrt(d2), 1e-12, "L2-star discrepancy vs the 1-D closed form");
    /* Random-access into Sobol (going back restarts the sequence) gives the same points. */
    double v[4];
    snf_sampler_points(so, 700, 1, v);
    CHECK_TRUE(memcmp(v, us + 700 * D, sizeof v) == 0, "sobol: point 700 again after the sweep");
    snf_sampler_points(so, 3, 1, v);
    CHECK_TRUE(memcmp(v, us + 3 * D, sizeof v) == 0, "sobol: point 3 after going back");
    /* Uniform: all in [0,1), mean near 1/2. */
    double mean = 0;
    int out = 0;
    for (long i = 0; i < N * D; i++) {
        mean += ur[i];
        out += ur[i] < 0 || ur[i] >= 1;
    }
    mean /= (double)(N * D);
    CHECK_INT(out, 0, "uniform points inside [0, 1)");
    CHECK_ABS(mean, 0.5, 0.03, "uniform mean");
    snf_sampler_free(so);
    snf_sampler_free(ra);
    free(us);
    free(ur);
}

static void test_grid_sampler(void)
{
    int points[3] = {3, 2, 4};
    snf_sampler *s = snf_sampler_alloc(SNF_SAMPLER_GRID, 3, 24, 0, points);
    CHECK_TRUE(s != NULL, "grid alloc");
    double u[24 * 3];
    snf_sampler_points(s, 0, 24, u);
    int distinct = 1;
    for (int i = 0; i < 24; i++) {
        for (int j = 0; j < i; j++) {
            if (memcmp(u + 3 * i, u + 3 * j, 3 * sizeof(double)) == 0) {
                distinct = 0;
            }
        }
    }
    CHECK_TRUE(distinct, "grid: 24 distinct points");
    CHECK_ABS(u[0], 0, 0, "grid: first point at the low corner (axis 0)");
    CHECK_ABS(u[23 * 3 + 0], 1, 0, "grid: last point at the high corner (axis 0)");
    CHECK_ABS(u[23 * 3 + 2], 1, 0, "grid: last point at the high corner (axis 2)");
    CHECK_ABS(u[1 * 3 + 2], 1.0 / 3.0, 1e-15, "grid: last axis varies fastest");
    snf_sampler_free(s);
    CHECK_TRUE(snf_sampler_alloc(SNF_SAMPLER_GRID, 3, 25, 0, points) == NULL, "grid: N must equal the product");
    snf_sampler_kind k;
    CHECK_INT(snf_sampler_parse("halton", &k), SNF_EINVAL, "unknown sampler name rejected");
}

/* ---- config ---- */

static const char *snf_good_config =
    "[campaign]\n"
    "model = semi-analytic\n"
    "sampler = lhs\n"
    "n_models = 100\n"
    "seed = 7\n"
    "[physics]\n"
    "closure = flux\n"
    "kappa = 0.3\n"
    "[param.energy]\n"
    "min = 0.5\n"
    "max = 15\n"
    "scale = log\n"
    "[param.mass]\n"
    "min = 10\n"
    "max = 55\n"
    "[param.radius]\n"
    "min = 2e11\n"
    "max = 1e14\n"
    "scale = log\n"
    "[param.nickel]\n"
    "value = 0.07\n"
    "[param.t_ion]\n"
    "min = 4000\n"
    "max = 6000\n"
    "[time]\n"
    "start = 1\n"
    "end = 300\n"
    "step = 1\n";

/* Replaces the first occurrence of `from` in the good config by `to` and parses it as "bad.ini". */
static int parse_edit(const char *from, const char *to, snf_campaign *c)
{
    char text[4096];
    const char *p = strstr(snf_good_config, from);
    if (p == NULL) {
        printf("test bug: '%s' not in the config\n", from);
        return -999;
    }
    snprintf(text, sizeof text, "%.*s%s%s", (int)(p - snf_good_config), snf_good_config, to, p + strlen(from));
    return snf_config_parse(c, text, "bad.ini");
}

static void expect_error(const char *from, const char *to, const char *want)
{
    snf_campaign c;
    int rc = parse_edit(from, to, &c);
    const char *msg = snf_error_last_message();
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(msg, want) != NULL, "config error '%s' -> '%s': want \"%s\", got \"%s\"",
               from, to, want, rc == SNF_OK ? "(accepted)" : msg);
    if (rc == SNF_OK) {
        snf_config_free(&c);
    }
}

static void test_config(void)
{
    snf_campaign c;
    int rc = snf_config_parse(&c, snf_good_config, "good.ini");
    CHECK_INT(rc, SNF_OK, "good config parses (%s)", rc ? snf_error_last_message() : "");
    if (rc != SNF_OK) {
        return;
    }
    CHECK_INT(c.n_axes, 5, "P = 4 parameters + 1 nuisance axis");
    CHECK_TRUE(strcmp(c.axes[4].name, "t_ion") == 0 && strcmp(c.axes[4].units, "K") == 0, "nuisance axis t_ion [K]");
    CHECK_INT(c.T, 300, "daily grid 1..300 has 300 times");
    CHECK_INT(c.physics.closure, SNF_CLOSURE_FLUX, "closure = flux");
    CHECK_REL(c.physics.kappa_cm2_g, 0.3, 0, "kappa = 0.3");
    CHECK_REL(c.axes[3].lo, 0.07, 0, "nickel fixed value");
    double u[5] = {0, 1, 0.5, 0.3, 0.5}, x[5];
    snf_config_point(&c, u, x);
    CHECK_REL(x[0], 0.5, 1e-14, "log axis: u = 0 -> min");
    CHECK_REL(x[1], 55, 1e-14, "linear axis: u = 1 -> max");
    CHECK_REL(x[2], sqrt(2e11 * 1e14), 1e-12, "log axis: u = 1/2 -> geometric mean");
    CHECK_REL(x[3], 0.07, 0, "fixed axis ignores u");
    snf_sn_params p;
    snf_physics ph;
    snf_config_model_inputs(&c, x, &p, &ph);
    CHECK_REL(ph.t_ion_K, 5000, 1e-14, "nuisance axis drives physics.t_ion_K");
    CHECK_REL(p.radius_cm, x[2], 0, "radius goes to the model's params");
    snf_config_free(&c);

    expect_error("n_models = 100\n", "", "bad.ini:1: [campaign]: missing key 'n_models'");
    expect_error("[time]\nstart = 1\nend = 300\nstep = 1\n", "", "bad.ini: missing section [time]");
    expect_error("max = 15\n", "max = 0.1\n", "bad.ini:11: [param.energy] max: bad range");
    expect_error("min = 2e11\n", "min = -2e11\n", "bad.ini:17: [param.radius] min:");
    expect_error("sampler = lhs\n", "sampler = halton\n", "bad.ini:3: [campaign] sampler: unknown sampler 'halton'");
    expect_error("model = semi-analytic\n", "model = stella\n", "bad.ini:2: [campaign] model: unknown model 'stella'");
    expect_error("kappa = 0.3\n", "kappa_typo = 0.3\n", "bad.ini:8: [physics] kappa_typo: unknown physics key");
    expect_error("kappa = 0.3\n", "kappa = lots\n", "bad.ini:8: [physics] kappa: 'lots' is not a finite number");
    expect_error("closure = flux\n", "closure = magic\n", "bad.ini:7: [physics] closure: unknown closure");
    expect_error("[param.t_ion]\n", "[param.colour]\n", "bad.ini:22: [param.colour]: unknown parameter 'colour'");
    expect_error("[time]\n", "[times]\n", "bad.ini:25: [times]: unknown section");
    expect_error("end = 300\n", "end = 300\nend = 200\n", "bad.ini:28: [time] end: key given twice");
    expect_error("seed = 7\n", "seed = 7\nthis line is not ini\n", "bad.ini:6: syntax error");
    expect_error("sampler = lhs\n", "sampler = grid\n", "bad.ini:9: [param.energy]: missing key 'points'");
    expect_error("step = 1\n", "step = 0\n", "bad.ini:28: [time] step: must be > 0");

    /* A grid campaign: N is the product of the axes' points. */
    char text[4096];
    snprintf(text, sizeof text, "%s", snf_good_config);
    rc = parse_edit("sampler = lhs\nn_models = 100\n", "sampler = grid\n", &c);
    CHECK_TRUE(rc != SNF_OK, "grid without points is rejected");
    const char *grid_cfg =
        "[campaign]\nmodel = semi-analytic\nsampler = grid\nseed = 0\n"
        "[param.energy]\nmin = 1\nmax = 2\npoints = 3\n[param.mass]\nmin = 10\nmax = 20\npoints = 2\n"
        "[param.radius]\nvalue = 3e12\n[param.nickel]\nmin = 0.05\nmax = 0.1\npoints = 4\n"
        "[time]\nstart = 1\nend = 100\ncount = 20\nspacing = log\n";
    rc = snf_config_parse(&c, grid_cfg, "grid.ini");
    CHECK_INT(rc, SNF_OK, "grid config parses (%s)", rc ? snf_error_last_message() : "");
    if (rc == SNF_OK) {
        CHECK_INT(c.n_models, 24, "grid: N = 3 x 2 x 1 x 4");
        CHECK_INT(c.T, 20, "log time grid: count = 20");
        double t[20];
        snf_config_times(&c, t);
        CHECK_REL(t[0], 1, 0, "log grid starts at start");
        CHECK_REL(t[19], 100, 0, "log grid ends at end");
        CHECK_REL(t[10] / t[9], pow(100, 1.0 / 19), 1e-12, "log grid ratio");
        snf_config_free(&c);
    }
    CHECK_INT(snf_config_load(&c, "/nonexistent/x.ini"), SNF_EIO, "missing file -> SNF_EIO");
}

/* ---- dataset layer ---- */

static void test_dataset_roundtrip(void)
{
    enum { N = 37, P = 4, T = 11 };
    double t[T], params[N * P];
    float L[N * T], V[N * T];
    int st[N];
    snf_lc_derived der[N];
    for (int k = 0; k < T; k++) {
        t[k] = 1.0 + 2.0 * k;
    }
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < P; j++) {
            params[i * P + j] = i + 0.25 * j;
        }
        for (int k = 0; k < T; k++) {
            L[i * T + k] = (float)(41 + 0.01 * i + 0.001 * k);
            V[i * T + k] = k == T - 1 ? NAN : (float)(5000 - 10 * k);
        }
        st[i] = i == 5 ? SNF_ECVODE : 0;
        der[i] = (snf_lc_derived){i, 42, 100 + i, NAN, 1e49, 1e48};
    }
    const char *names[P] = {"energy", "mass", "radius", "nickel"}, *units[P] = {"foe", "Msun", "cm", "Msun"};
    snf_dataset_meta meta = {.source = "semi-analytic:temperature", .param_names = names, .param_units = units,
                             .config_text = "energy = 1.7", .sampler = "single", .deflate = 4, .chunk_rows = 8};
    remove("rt.h5");
    int rc = snf_dataset_write_rows("rt.h5", &meta, N, P, T, t, params, L, V, st, der);
    CHECK_INT(rc, SNF_OK, "snf_dataset_write_rows (%s)", rc ? snf_error_last_message() : "");
    FILE *f = fopen("rt.h5.tmp", "rb");
    CHECK_TRUE(f == NULL, "no .tmp left behind");
    if (f) {
        fclose(f);
    }
    snf_dataset *d = NULL;
    rc = snf_dataset_open(&d, "rt.h5", 0);
    CHECK_INT(rc, SNF_OK, "open for reading");
    if (rc != SNF_OK) {
        return;
    }
    long n;
    int p, tt;
    snf_dataset_dims(d, &n, &p, &tt);
    CHECK_TRUE(n == N && p == P && tt == T, "dims %ld %d %d", n, p, tt);
    CHECK_INT(snf_dataset_is_complete(d), 1, "complete attribute set");
    double t2[T], p2[10 * P];
    float L2[10 * T], V2[10 * T];
    int s2[10];
    snf_lc_derived d2[10];
    snf_dataset_rows rows = {p2, L2, V2, s2, NULL, d2};
    snf_dataset_read_time(d, t2);
    CHECK_TRUE(memcmp(t, t2, sizeof t) == 0, "time round trip");
    rc = snf_dataset_read_rows(d, 3, 10, &rows);
    CHECK_INT(rc, SNF_OK, "read a row block");
    CHECK_TRUE(memcmp(params + 3 * P, p2, sizeof p2) == 0, "params round trip");
    CHECK_TRUE(memcmp(L + 3 * T, L2, sizeof L2) == 0, "log_lbol round trip (NaN bits included)");
    CHECK_TRUE(memcmp(V + 3 * T, V2, sizeof V2) == 0, "vph round trip");
    CHECK_INT(s2[2], SNF_ECVODE, "status of row 5");
    CHECK_REL(d2[4].t_plateau_end_d, 107, 0, "derived round trip");
    CHECK_TRUE(isnan(d2[4].t_front_end_d), "derived NaN kept");
    char buf[256];
    snf_dataset_attr_string(d, "/params", "names", buf, sizeof buf);
    CHECK_TRUE(strcmp(buf, "energy,mass,radius,nickel") == 0, "params names: %s", buf);
    snf_dataset_attr_string(d, "/vph", "units", buf, sizeof buf);
    CHECK_TRUE(strcmp(buf, "km/s") == 0, "vph units: %s", buf);
    snf_dataset_attr_string(d, "/time", "units", buf, sizeof buf);
    CHECK_TRUE(strcmp(buf, "d") == 0, "time units: %s", buf);
    snf_dataset_attr_string(d, "/", "format", buf, sizeof buf);
    CHECK_TRUE(strcmp(buf, "snforge-dataset") == 0, "format: %s", buf);
    snf_dataset_attr_string(d, "/", "source", buf, sizeof buf);
    CHECK_TRUE(strcmp(buf, "semi-analytic:temperature") == 0, "source: %s", buf);
    CHECK_INT(snf_dataset_attr_string(d, "/", "nope", buf, sizeof buf), SNF_EFORMAT, "absent attribute");
    snf_dataset_close(d);

    /* A created file reads as pending until written. */
    remove("pend.h5");
    rc = snf_dataset_create(&d, "pend.h5", &meta, N, P, T, t);
    CHECK_INT(rc, SNF_OK, "create");
    int all[N];
    snf_dataset_read_status(d, all);
    int pending = 0;
    for (int i = 0; i < N; i++) {
        pending += all[i] == SNF_STATUS_PENDING;
    }
    CHECK_INT(pending, N, "new file: every row pending");
    CHECK_INT(snf_dataset_is_complete(d), 0, "new file is not complete");
    /* extra series (/series/NAME [N, T]) round trip; names checked; a missing one is SNF_EINVAL */
    CHECK_INT(snf_dataset_write_series(d, "vfe", "km/s", "Fe II velocity", V), SNF_OK, "write a series");
    CHECK_INT(snf_dataset_write_series(d, "bad/name", "", "", V), SNF_EINVAL, "series name with '/' refused");
    snf_dataset_close(d);
    rc = snf_dataset_open(&d, "pend.h5", 0);
    CHECK_INT(rc, SNF_OK, "a file with series opens (layout check passes)");
    if (rc == SNF_OK) {
        float S[N * T];
        CHECK_INT(snf_dataset_read_series(d, "vfe", S), SNF_OK, "read the series");
        CHECK_TRUE(memcmp(S, V, sizeof S) == 0, "series round trip (NaN bits included)");
        CHECK_INT(snf_dataset_read_series(d, "teff", S), SNF_EINVAL, "absent series");
        snf_dataset_attr_string(d, "/series/vfe", "units", buf, sizeof buf);
        CHECK_TRUE(strcmp(buf, "km/s") == 0, "series units: %s", buf);
        snf_dataset_close(d);
    }
    /* Bad inputs. */
    double tbad[3] = {1, 3, 2};
    CHECK_INT(snf_dataset_create(&d, "bad.h5", &meta, N, P, 3, tbad), SNF_EINVAL, "times not increasing");
    CHECK_INT(snf_dataset_open(&d, "/nonexistent.h5", 0), SNF_EINVAL, "open a missing file (the user's input)");
    f = fopen("notds.h5", "w");
    fputs("hello", f);
    fclose(f);
    CHECK_INT(snf_dataset_open(&d, "notds.h5", 0), SNF_EFORMAT, "open a non-HDF5 file (malformed input)");
    remove("pend.h5");
    remove("notds.h5");

    /* Join: three shard files of 37 rows -> one virtual file equal to rt.h5. */
    const long off[3] = {0, 16, 32}, cnt[3] = {16, 16, 5};
    const char *shards[3] = {"rt.part0.h5", "rt.part1.h5", "rt.part2.h5"};
    for (int s = 0; s < 3; s++) {
        snf_dataset_meta m = meta;
        m.row_offset = off[s];
        m.n_total = N;
        remove(shards[s]);
        rc = snf_dataset_write_rows(shards[s], &m, (int)cnt[s], P, T, t, params + off[s] * P, L + off[s] * T,
                                    V + off[s] * T, st + off[s], der + off[s]);
        CHECK_INT(rc, SNF_OK, "shard %d written", s);
    }
    remove("rt_joined.h5");
    rc = snf_dataset_join("rt_joined.h5", shards, 3);
    CHECK_INT(rc, SNF_OK, "join (%s)", rc ? snf_error_last_message() : "");
    rc = snf_dataset_open(&d, "rt_joined.h5", 0);
    if (rc == SNF_OK) {
        float Lall[N * T];
        int sall[N];
        snf_lc_derived dall[N];
        snf_dataset_rows r2 = {NULL, Lall, NULL, sall, NULL, dall};
        snf_dataset_dims(d, &n, &p, &tt);
        CHECK_INT(n, N, "joined N");
        snf_dataset_read_rows(d, 0, N, &r2);
        CHECK_TRUE(memcmp(Lall, L, sizeof Lall) == 0, "joined log_lbol equals the original");
        CHECK_TRUE(memcmp(sall, st, sizeof sall) == 0, "joined status equals the original");
        CHECK_REL(dall[36].t_plateau_end_d, 136, 0, "joined derived");
        CHECK_INT(snf_dataset_is_complete(d), 1, "joined file complete");
        snf_dataset_attr_string(d, "/vph", "units", buf, sizeof buf);
        CHECK_TRUE(strcmp(buf, "km/s") == 0, "joined vph units: %s", buf);
        snf_dataset_close(d);
    }
    const char *gap[2] = {shards[0], shards[2]};
    remove("rt_gap.h5");
    CHECK_INT(snf_dataset_join("rt_gap.h5", gap, 2), SNF_EINVAL, "join with a missing shard is refused");
    for (int s = 0; s < 3; s++) {
        remove(shards[s]);
    }
    remove("rt_joined.h5");
    remove("rt.h5");
}

static void test_shard_range(void)
{
    const long N = 205000, B = 2048;
    for (int count = 1; count <= 7; count += 3) {
        long next = 0;
        int ok = 1;
        for (int i = 0; i < count; i++) {
            long r0, n;
            snf_grid_shard_range(N, B, i, count, &r0, &n);
            ok &= r0 == next && (r0 % B) == 0 && n >= 0;
            next = r0 + n;
        }
        CHECK_TRUE(ok && next == N, "%d shards tile [0, %ld) in whole blocks", count, N);
    }
    char buf[256];
    snf_grid_shard_path(buf, sizeof buf, "out/camp.h5", 2, 8);
    CHECK_TRUE(strcmp(buf, "out/camp.shard2-of-8.h5") == 0, "shard path %s", buf);
}

/* The one table of physics keys (model.h): every key a campaign's [physics] takes sets its own field of
 * snf_physics and nothing else, through snf_config_parse_physics (the Python API's path); an unknown key is
 * refused listing the table's keys. */
static void test_physics_keys(void)
{
    int n;
    const snf_physics_key *k = snf_physics_keys(&n);
    CHECK_TRUE(n >= 21, "the table holds every physics setting (%d)", n);
    const snf_physics def = snf_physics_default();
    for (int i = 0; i < n; i++) {
        static const char *value[] = {[SNF_PHYS_DOUBLE] = "", [SNF_PHYS_LONG] = "1234",
                                      [SNF_PHYS_CLOSURE] = "none", [SNF_PHYS_HEATING] = "bateman",
                                      [SNF_PHYS_GAMMA] = "colgate"};
        char text[128], num[32];
        double d0 = k[i].kind == SNF_PHYS_DOUBLE ? *(const double *)((const char *)&def + k[i].offset) : 0;
        /* a plausible value other than the default (settings off by default: a typical one) */
        snprintf(num, sizeof num, "%.17g", d0 != 0 ? d0 * 1.25 : !strcmp(k[i].key, "eps_pos") ? 2e8
                                                              : !strcmp(k[i].key, "a_gamma_d2") ? 1e6 : 1e-3);
        snprintf(text, sizeof text, "%s = %s\n", k[i].key, k[i].kind == SNF_PHYS_DOUBLE ? num : value[k[i].kind]);
        snf_physics ph;
        int rc = snf_config_parse_physics(&ph, text, "keys");
        CHECK_INT(rc, SNF_OK, "physics key %s parses (%s)", k[i].key, rc ? snf_error_last_message() : "");
        CHECK_TRUE(snf_physics_key_find(k[i].key) == &k[i], "snf_physics_key_find(%s)", k[i].key);
        /* this key's field changed, every other key's field did not (fields compared, not padding) */
        int own = 0, other = 0;
        for (int j = 0; j < n; j++) {
            size_t size = k[j].kind == SNF_PHYS_DOUBLE ? sizeof(double)
                          : k[j].kind == SNF_PHYS_LONG  ? sizeof(long)
                                                        : sizeof(int);
            int differs = memcmp((const char *)&def + k[j].offset, (const char *)&ph + k[j].offset, size) != 0;
            own += j == i && differs;
            other += j != i && differs;
        }
        CHECK_TRUE(rc != SNF_OK || (own == 1 && other == 0), "%s sets its own field only (%d other fields)", k[i].key,
                   other);
    }
    snf_physics ph;
    CHECK_INT(snf_config_parse_physics(&ph, "[physics]\nkappa = 0.3\nmodel = flux\n", "keys"), SNF_EFORMAT,
              "model is not a [physics] key (simulate's --model is closure's option)");
    CHECK_TRUE(strstr(snf_error_last_message(), "keys:3: [physics] model: unknown physics key (expected closure, "
                                                "kappa") != NULL, "unknown key named with its line: %s",
               snf_error_last_message());
    CHECK_INT(snf_config_parse_physics(&ph, "[time]\nstart = 1\n", "keys"), SNF_EFORMAT, "only physics keys");
    CHECK_INT(snf_config_parse_physics(&ph, "", "keys"), SNF_OK, "empty text: the defaults");
    CHECK_TRUE(ph.kappa_cm2_g == def.kappa_cm2_g && ph.closure == def.closure && ph.max_steps == def.max_steps,
               "empty text gives snf_physics_default()");
}

int main(void)
{
    test_lhs_strata();
    test_sobol_discrepancy();
    test_grid_sampler();
    test_config();
    test_physics_keys();
    test_dataset_roundtrip();
    test_shard_range();
    return snf_check_failures();
}
