/* test_progenitor.c: the progenitor builder (progenitor.h).
 *   - every shared SNEC model folder found at run time (SHARED/hydro/snec/mNNN/bsg.short): the profile rebuilt
 *     from the parameters its params.json gives (M_tot_msun, R0_cm; the reference script's defaults) matches
 *     bsg.short and bsg.iso.dat zone for zone, every column, to 1e-6 relative;
 *   - hydrostatic equilibrium of built models (default and with every knob moved): dP/dm against
 *     -G m / (4 pi r^4) between neighbouring zones of one composition, P from the EOS: median below 1e-4,
 *     worst below 1.5e-2 (first differences on the output zoning: the default's worst is 3.3e-4 as the
 *     reference reports for its own; 9e-3 at the base of a soft n = 1.5 envelope, zones of 0.015 Msun);
 *   - the knobs act: a softer envelope (n = 2) and a wide H/He transition change the structure, the
 *     envelope composition reaches the zones; every parameter's range refused one step outside;
 *   - builder -> snf_rhd_run in memory gives the light curve of the shared file pair (2 days, 60 zones);
 *   - the column reader: a small hand-made MESA-like table (surface first, Msun, log columns) and bad files
 *     (a missing column named with file:line, a non-number), and the SNEC pair written and read back. */
#include "check.h"
#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/rhd.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSUN 1.989e33

/* The number after "KEY": in a JSON text (the first occurrence: params.json's top level comes first). */
static int json_number(const char *text, const char *key, double *v)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    if (!p) {
        return -1;
    }
    *v = strtod(p + strlen(pat), NULL);
    return 0;
}

static double rel(double a, double b)
{
    return a == b ? 0.0 : fabs(a - b) / fmax(fabs(b), 1e-300);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_reproduce(void)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/hydro/snec", SNF_SHARED_DIR);
    DIR *d = opendir(dir);
    CHECK_TRUE(d != NULL, "shared SNEC folder opened");
    if (!d) {
        return;
    }
    char *names[1000];
    int nm = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nm < 1000) {
        char f[8192];
        snprintf(f, sizeof f, "%s/%s/bsg.short", dir, e->d_name);
        if (e->d_name[0] != '.' && access(f, R_OK) == 0) {
            names[nm++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, (size_t)nm, sizeof *names, cmp_str);
    CHECK_TRUE(nm > 0, "model folders with bsg.short found: %d", nm);
    for (int k = 0; k < nm; k++) {
        char f[8192], g[8192], *json = NULL;
        size_t len;
        snprintf(f, sizeof f, "%s/%s/params.json", dir, names[k]);
        snf_prog_params p = snf_prog_default();
        int ok = snf_text_slurp(f, "params", &json, &len) == SNF_OK && json_number(json, "M_tot_msun", &p.M_tot) == 0 &&
                 json_number(json, "R0_cm", &p.R0) == 0;
        free(json);
        CHECK_TRUE(ok, "%s/params.json: M_tot_msun and R0_cm read", names[k]);
        snf_rhd_profile ref, got;
        snprintf(f, sizeof f, "%s/%s/bsg.short", dir, names[k]);
        snprintf(g, sizeof g, "%s/%s/bsg.iso.dat", dir, names[k]);
        if (!ok || snf_rhd_read_profile(f, g, &ref) != SNF_OK) {
            CHECK_TRUE(0, "%s: reference pair read: %s", names[k], snf_error_last());
            continue;
        }
        snf_prog_info info;
        int rc = snf_prog_build(&p, &got, &info);
        CHECK_TRUE(rc == SNF_OK, "%s: built (M %g, R0 %g): %s", names[k], p.M_tot, p.R0, rc ? snf_error_last() : "ok");
        if (rc == SNF_OK) {
            CHECK_INT(got.n, ref.n, "%s: zones", names[k]);
            double worst[6] = {0};
            if (got.n == ref.n) {
                for (int i = 0; i < ref.n; i++) {
                    worst[0] = fmax(worst[0], rel(got.mass[i], ref.mass[i]));
                    worst[1] = fmax(worst[1], rel(got.r[i], ref.r[i]));
                    worst[2] = fmax(worst[2], rel(got.T[i], ref.T[i]));
                    worst[3] = fmax(worst[3], rel(got.rho[i], ref.rho[i]));
                    worst[4] = fmax(worst[4], fabs(got.v[i] - ref.v[i]));
                    for (int j = 0; j < 15; j++) {
                        double a = got.comp[i * 15 + j], b = ref.comp[i * 15 + j];
                        worst[5] = fmax(worst[5], fabs(a - b) / fmax(fabs(b), 1e-3));
                    }
                }
                CHECK_TRUE(worst[0] <= 1e-6 && worst[1] <= 1e-6 && worst[2] <= 1e-6 && worst[3] <= 1e-6 &&
                               worst[4] == 0 && worst[5] <= 1e-6,
                           "%s: every column within 1e-6 (worst mass %.2e radius %.2e T %.2e rho %.2e |v| %.2e X %.2e)",
                           names[k], worst[0], worst[1], worst[2], worst[3], worst[4], worst[5]);
            }
            snf_rhd_profile_free(&got);
        }
        snf_rhd_profile_free(&ref);
        free(names[k]);
    }
}

static void hse(const char *what, const snf_prog_params *p)
{
    snf_rhd_profile pr;
    int rc = snf_prog_build(p, &pr, NULL);
    CHECK_TRUE(rc == SNF_OK, "%s: built: %s", what, rc ? snf_error_last() : "ok");
    if (rc != SNF_OK) {
        return;
    }
    int at = -1;
    double med, worst = snf_prog_hse_residual(&pr, 0.0, 1e40, &med, &at);
    if (at < 0) {
        CHECK_TRUE(0, "%s: no pair of zones to difference", what);
        snf_rhd_profile_free(&pr);
        return;
    }
    CHECK_TRUE(med < 1e-4 && worst < 1.5e-2, "%s: hydrostatic: median %.2e, worst %.2e of G m / (4 pi r^4) at zone %d "
               "(m %.6g Msun, dm %.3g Msun, r %.4g cm)", what, med, worst, at, pr.mass[at] / MSUN,
               (pr.mass[at + 1] - pr.mass[at]) / MSUN, pr.r[at]);
    snf_rhd_profile_free(&pr);
}

static void test_hse_and_knobs(void)
{
    snf_prog_params p = snf_prog_default();
    p.M_tot = 16.5, p.R0 = 3.1e12;
    hse("default 16.5 Msun, 3.1e12 cm", &p);
    snf_rhd_profile a, b;
    int rc = snf_prog_build(&p, &a, NULL);
    CHECK_TRUE(rc == SNF_OK, "default built");
    snf_prog_params q = p;
    q.n_env = 2.0;
    hse("n_env = 2", &q);
    q = p;
    q.hhe_width = 1.0;
    hse("H/He width 1 Msun", &q);
    q = p;
    q.he_frac = 0.25, q.X_env = 0.5, q.Z_env = 0.02;
    hse("He fraction 0.25, X 0.5, Z 0.02", &q);
    q = p;
    q.n_env = 1.5, q.hhe_width = 2.0, q.M_tot = 24, q.R0 = 6.5e12;
    hse("n_env 1.5, width 2, 24 Msun, 6.5e12 cm", &q);
    /* the knobs act where they should */
    q = p;
    q.n_env = 2.0;
    if (rc == SNF_OK && snf_prog_build(&q, &b, NULL) == SNF_OK) {
        int i = a.n / 2, j = b.n / 2;
        CHECK_TRUE(fabs(b.rho[j] / a.rho[i] - 1) > 0.05 || fabs(b.r[j] / a.r[i] - 1) > 0.05,
                   "n_env 2 changes the envelope (rho %g -> %g at zone %d)", a.rho[i], b.rho[j], i);
        CHECK_REL(b.r[b.n - 1], 3.1e12, 2e-4, "n_env 2: surface at R0");
        snf_rhd_profile_free(&b);
    }
    q = p;
    q.X_env = 0.5, q.Z_env = 0.02;
    if (rc == SNF_OK && snf_prog_build(&q, &b, NULL) == SNF_OK) {
        const double *x = b.comp + (size_t)(b.n - 1) * 15;
        CHECK_REL(x[1], 0.5, 1e-12, "X_env reaches the surface zone");
        CHECK_REL(1 - x[1] - x[2], 0.02, 1e-9, "Z_env reaches the surface zone");
        snf_rhd_profile_free(&b);
    }
    q = p;
    q.hhe_width = 1.0;
    if (rc == SNF_OK && snf_prog_build(&q, &b, NULL) == SNF_OK) {
        int blended = 0;
        for (int i = 0; i < b.n; i++) {
            double X = b.comp[i * 15 + 1];
            blended += X > 0.05 && X < 0.65;
        }
        CHECK_TRUE(blended >= 50, "width 1 Msun: %d zones of intermediate X (sharp: none)", blended);
        snf_rhd_profile_free(&b);
    }
    if (rc == SNF_OK) {
        snf_rhd_profile_free(&a);
    }
}

static void test_ranges(void)
{
    int nk;
    const snf_prog_knob *k = snf_prog_knobs(&nk);
    CHECK_TRUE(nk >= 13, "%d parameters in the table", nk);
    for (int i = 0; i < nk; i++) {
        for (int side = 0; side < 2; side++) {
            snf_prog_params p = snf_prog_default();
            p.M_tot = 16.5, p.R0 = 3.1e12;
            double v = side ? k[i].hi + 0.01 * (k[i].hi - k[i].lo) : k[i].lo - 0.01 * (k[i].hi - k[i].lo);
            *(double *)((char *)&p + k[i].offset) = v;
            snf_rhd_profile pr;
            int rc = snf_prog_build(&p, &pr, NULL);
            const char *msg = snf_error_last();
            CHECK_TRUE(rc == SNF_EINVAL && strstr(msg, k[i].option) && strstr(msg, "outside"),
                       "%s = %g refused naming the option and range: %s", k[i].option, v, msg);
        }
    }
    snf_prog_params p = snf_prog_default();
    p.M_tot = 16.5, p.R0 = 3.1e12, p.he_frac = 0.3, p.M_He = 5;
    int rc = snf_prog_check(&p);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last(), "--he-fraction"), "--mhe with --he-fraction refused");
    p = snf_prog_default();
    p.M_tot = 6, p.R0 = 3.1e12, p.he_frac = 0.5, p.hhe_width = 2.0;
    rc = snf_prog_check(&p);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last(), "--he-fraction") &&
                   strstr(snf_error_last(), "He layer"),
               "a transition eating the He layer refused: %s", snf_error_last());
    p = snf_prog_default();
    p.M_tot = 8, p.R0 = 3.1e12, p.M_He = 7.5;
    rc = snf_prog_check(&p);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last(), "--mhe") &&
                   strstr(snf_error_last(), "envelope"),
               "a He core leaving no envelope refused: %s", snf_error_last());
    p = snf_prog_default();
    p.R0 = 3.1e12;
    rc = snf_prog_check(&p);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last(), "--mass is required"), "--mass required");
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[3][512];
    static int k = 0;
    char *p = path[k++ % 3];
    snprintf(p, 512, "%s", name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static void test_reader(void)
{
    /* MESA-like: surface first, mass in Msun, log R in Rsun, log rho, log T, velocity; h1 he4 o16 */
    const char *good = write_tmp("prog_good.data",
                                 "# a hand-made profile\n"
                                 "   1     2     3     4     5     6   7   8    9\n"
                                 "zone  mass  logR  logRho  logT  velocity h1 he4 o16\n"
                                 "1  10.0  1.5  -9.0  4.2  0  0.7 0.28 0.02\n"
                                 "2   5.0  0.0  -3.0  6.0  0  0.0 0.98 0.02\n"
                                 "3   2.0  -1.0  1.0  8.0  0  0.0 0.0 1.0\n");
    snf_rhd_profile p;
    int rc = snf_profile_read_columns(good, &p);
    CHECK_TRUE(rc == SNF_OK, "hand-made MESA-like table read: %s", rc ? snf_error_last() : "ok");
    if (rc == SNF_OK) {
        CHECK_INT(p.n, 3, "rows");
        CHECK_REL(p.mass[0], 2.0 * MSUN, 1e-12, "sorted by mass, Msun -> g");
        CHECK_REL(p.r[2], pow(10, 1.5) * 6.96e10, 1e-12, "log R in Rsun -> cm");
        CHECK_REL(p.rho[1], 1e-3, 1e-12, "log rho");
        CHECK_REL(p.T[0], 1e8, 1e-12, "log T");
        CHECK_REL(p.comp[2 * 15 + 1], 0.7, 1e-12, "h1 -> species 1");
        CHECK_REL(p.comp[0 * 15 + 4], 1.0, 1e-12, "o16 -> species 4");
        /* the SNEC pair written and read back */
        rc = snf_profile_write_snec("prog_rt", &p);
        CHECK_TRUE(rc == SNF_OK, "SNEC pair written: %s", rc ? snf_error_last() : "ok");
        snf_rhd_profile q;
        if (rc == SNF_OK && snf_rhd_read_profile("prog_rt.short", "prog_rt.iso.dat", &q) == SNF_OK) {
            CHECK_INT(q.n, 3, "read back");
            CHECK_REL(q.T[0], p.T[0], 1e-10, "T read back");
            CHECK_REL(q.comp[2 * 15 + 1], 0.7, 1e-8, "X read back");
            CHECK_TRUE(access("prog_rt.short.tmp", F_OK) != 0 && access("prog_rt.short.lock", F_OK) != 0,
                       "no .tmp or .lock left");
            snf_rhd_profile_free(&q);
        } else {
            CHECK_TRUE(0, "pair read back: %s", snf_error_last());
        }
        snf_rhd_profile_free(&p);
    }
    const char *csv = write_tmp("prog_good.csv", "mass_g,radius_cm,rho,temperature,h1,he4\n"
                                                  "3e33,1e9,1e4,1e8,0,1\n"
                                                  "2e34,3e12,1e-9,2e4,0.7,0.3\n");
    rc = snf_profile_read_columns(csv, &p);
    CHECK_TRUE(rc == SNF_OK, "CSV with grams and cm read: %s", rc ? snf_error_last() : "ok");
    if (rc == SNF_OK) {
        CHECK_REL(p.mass[1], 2e34, 1e-12, "grams kept");
        CHECK_REL(p.r[1], 3e12, 1e-12, "cm kept");
        CHECK_ABS(p.v[1], 0.0, 0.0, "no velocity column: at rest");
        snf_rhd_profile_free(&p);
    }
    const char *nodens = write_tmp("prog_bad1.data", "# no density\nmass radius temperature h1\n1 1 1e4 0.7\n2 2 1e4 0.7\n");
    rc = snf_profile_read_columns(nodens, &p);
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last(), "prog_bad1.data:2: no column for density"),
               "missing density named with file:line: %s", snf_error_last());
    const char *badnum = write_tmp("prog_bad2.data", "mass radius rho temperature h1\n1 1 1 1e4 0.7\n2 2 x 1e4 0.7\n");
    rc = snf_profile_read_columns(badnum, &p);
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last(), "prog_bad2.data:3: column 3"),
               "a non-number named with file:line and column: %s", snf_error_last());
}

/* builder -> hydro without files: m000's progenitor built in memory runs 2 days at 60 zones to the light curve
 * of the shared file pair. */
static void test_memory_run(void)
{
    char par_file[4096], prof[4096], comp[4096], dir[4096], pat_file[4096];
    snprintf(par_file, sizeof par_file, "%s/hydro/snec/m000/parameters", SNF_SHARED_DIR);
    snprintf(dir, sizeof dir, "%s/rhd/tables", SNF_SOURCE_DIR);
    snprintf(pat_file, sizeof pat_file, "%s/rhd/tables/GridPattern.dat", SNF_SOURCE_DIR);
    snf_rhd_params par;
    snf_rhd_opal *opal = malloc(sizeof *opal);
    double *pat = NULL;
    int npat = 0;
    snf_rhd_profile file, built;
    int ok = opal && snf_rhd_read_params(par_file, &par, prof, comp, sizeof prof) == SNF_OK &&
             snf_rhd_read_opal(dir, opal) == SNF_OK && snf_rhd_read_pattern(pat_file, &pat, &npat) == SNF_OK &&
             snf_rhd_read_profile(prof, comp, &file) == SNF_OK;
    CHECK_TRUE(ok, "m000 parameters, profile, OPAL tables and grid pattern read: %s", ok ? "ok" : snf_error_last());
    if (!ok) {
        free(opal);
        free(pat);
        return;
    }
    snf_prog_params p = snf_prog_default();
    p.M_tot = 16.5, p.R0 = 3.1e12;
    int rc = snf_prog_build(&p, &built, NULL);
    CHECK_TRUE(rc == SNF_OK, "m000 built in memory");
    par.tend = 2 * 86400.0;
    par.imax = 60;
    snf_rhd_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (rc == SNF_OK) {
        int ra = snf_rhd_run(&a, &par, &file, opal, pat, npat), rb = snf_rhd_run(&b, &par, &built, opal, pat, npat);
        CHECK_TRUE(ra == SNF_OK && rb == SNF_OK && a.ndays == 2 && b.ndays == 2, "both runs of 2 days");
        for (int d = 0; d < a.ndays && d < b.ndays; d++) {
            CHECK_REL(b.L[d], a.L[d], 1e-5, "day %d luminosity: in-memory profile against the file pair", d + 1);
            CHECK_REL(b.vph[d], a.vph[d], 1e-5, "day %d photospheric velocity", d + 1);
        }
        snf_rhd_profile_free(&built);
    }
    snf_rhd_result_free(&a);
    snf_rhd_result_free(&b);
    snf_rhd_profile_free(&file);
    free(opal);
    free(pat);
}

int main(void)
{
    test_ranges();
    test_reader();
    test_hse_and_knobs();
    test_reproduce();
    test_memory_run();
    return snf_check_failures();
}
