/* bench_hydro.c: the speed of `snforge hydro` and its growth with the zone count.
 * usage (from the source root): bench_hydro [PARAMETERS [TABLES_DIR [ZONES...]]]
 *   defaults: ../shared/hydro/snec/m000/parameters, rhd/tables, zones 100 200 400.
 * For each zone count: wall seconds of one model, models per core-hour, steps, and (when SNEC's
 * Data/lum_observed.dat sits beside the parameter file) the RMS of delta log10 L over days 10-250 against
 * SNEC; then the cost's growth exponent between successive zone counts (seconds ~ zones^p) and the ratio
 * to the first count; each zone count twice: with SNEC's time step (the file's dtmax, Crank-Nicolson) and
 * with long steps (dtmax 1e4 s, theta 0.7: `snforge hydro --dtmax 10000 --theta 0.7`), and the speed-up of
 * the second over the first. The load average is printed beside the timings. One thread. */
#include "snforge/rhd.h"
#include "snforge/core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void loadavg(char *buf, size_t n)
{
    FILE *f = fopen("/proc/loadavg", "r");
    buf[0] = '\0';
    if (f) {
        if (!fgets(buf, (int)n, f)) {
            buf[0] = '\0';
        }
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
}

/* SNEC's lum_observed.dat (time [s], L) beside the parameter file; count or 0. */
static int read_snec(const char *params, double **t, double **L)
{
    char path[4096];
    const char *slash = strrchr(params, '/');
    snprintf(path, sizeof path, "%.*s/Data/lum_observed.dat", slash ? (int)(slash - params) : 1, slash ? params : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    int n = 0, cap = 1024;
    *t = malloc((size_t)cap * sizeof **t);
    *L = malloc((size_t)cap * sizeof **L);
    double a, b;
    while (*t && *L && fscanf(f, "%lf %lf", &a, &b) == 2) {
        if (n == cap) {
            cap *= 2;
            *t = realloc(*t, (size_t)cap * sizeof **t);
            *L = realloc(*L, (size_t)cap * sizeof **L);
            if (!*t || !*L) {
                break;
            }
        }
        (*t)[n] = a / 86400.0;
        (*L)[n++] = b;
    }
    fclose(f);
    return n;
}

static double rms_vs_snec(const snf_rhd_result *r, const double *ts, const double *Ls, int n)
{
    double s = 0;
    int m = 0;
    for (int k = 0; k < r->ndays; k++) {
        double d = r->t_d[k];
        if (d < 10 || d > 250) {
            continue;
        }
        int j = 0;
        while (j < n - 2 && ts[j + 1] < d) {
            j++;
        }
        double w = (d - ts[j]) / (ts[j + 1] - ts[j]);
        double ls = Ls[j] + w * (Ls[j + 1] - Ls[j]);
        double x = log10(r->L[k] / ls);
        s += x * x;
        m++;
    }
    return m ? sqrt(s / m) : NAN;
}

int main(int argc, char **argv)
{
    const char *params = argc > 1 ? argv[1] : "../shared/hydro/snec/m000/parameters";
    const char *tables = argc > 2 ? argv[2] : "rhd/tables";
    int zones[16] = {100, 200, 400}, nz = 3;
    double base[16] = {0};
    if (argc > 3) {
        nz = 0;
        for (int k = 3; k < argc && nz < 16; k++) {
            zones[nz++] = atoi(argv[k]);
        }
    }
    snf_rhd_params par;
    char prof[4096], comp[4096], pat_path[4200];
    snf_rhd_profile prf;
    snf_rhd_opal *opal = malloc(sizeof *opal);
    double *pattern = NULL, *ts = NULL, *Ls = NULL;
    int npat = 0;
    snprintf(pat_path, sizeof pat_path, "%s/GridPattern.dat", tables);
    if (!opal || snf_rhd_read_params(params, &par, prof, comp, sizeof prof) != SNF_OK ||
        snf_rhd_read_profile(prof, comp, &prf) != SNF_OK || snf_rhd_read_opal(tables, opal) != SNF_OK ||
        snf_rhd_read_pattern(pat_path, &pattern, &npat) != SNF_OK) {
        fprintf(stderr, "bench_hydro: %s\n", snf_error_last_message());
        return 1;
    }
    int ns = read_snec(params, &ts, &Ls);
    char la[128];
    loadavg(la, sizeof la);
    printf("bench_hydro: %s, one thread; load average before: %s\n", params, la);
    printf("%6s %-22s %8s %14s %8s %12s %14s %10s\n", "zones", "time step", "seconds", "models/core-h", "steps",
           "iterations", "rms dlogL(SNEC)", "vs first");
    const double dtmax_file = par.dtmax;
    for (int mode = 0; mode < 2; mode++) {
        double first = 0, prev = 0;
        par.dtmax = mode == 0 ? dtmax_file : 1e4;
        par.theta = mode == 0 ? 0.5 : 0.7;
        char label[64];
        snprintf(label, sizeof label, "dtmax %g s, theta %.1f", par.dtmax, par.theta);
        for (int k = 0; k < nz; k++) {
            par.imax = zones[k];
            snf_rhd_result res;
            double t0 = now();
            int rc = snf_rhd_run(&res, &par, &prf, opal, pattern, npat);
            double dt = now() - t0;
            if (rc != SNF_OK) {
                printf("%6d %-22s failed: %s\n", zones[k], label, snf_error_last_message());
                snf_rhd_result_free(&res);
                continue;
            }
            if (k == 0) {
                first = dt;
            }
            printf("%6d %-22s %8.2f %14.0f %8ld %12ld %14.4f %9.2fx", zones[k], label, dt, 3600.0 / dt, res.steps,
                   res.iterations, ns > 1 ? rms_vs_snec(&res, ts, Ls, ns) : NAN, dt / first);
            if (k > 0 && prev > 0) {
                printf("  growth p = %.2f (seconds ~ zones^p)", log(dt / prev) / log((double)zones[k] / zones[k - 1]));
            }
            if (mode == 1 && k < 16 && base[k] > 0) {
                printf("  speed-up over SNEC's step %.2fx", base[k] / dt);
            }
            if (mode == 0 && k < 16) {
                base[k] = dt;
            }
            printf("\n");
            prev = dt;
            snf_rhd_result_free(&res);
        }
    }
    loadavg(la, sizeof la);
    printf("load average after: %s\n", la);
    free(ts);
    free(Ls);
    free(pattern);
    free(opal);
    snf_rhd_profile_free(&prf);
    return 0;
}
