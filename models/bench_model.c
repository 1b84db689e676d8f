/* bench_model: throughput of the semi-analytic model on one thread.
 * 10,000 models (default) drawn over the 87A-like ranges (E 0.5-15 foe log-uniform, M 10-55 Msun,
 * R0 2e11-1e14 cm log-uniform, M_Ni 0.01-0.3 Msun), daily outputs to day 300, for each closure.
 * Prints microseconds per model and the share of failed models; the last line is
 * `models_per_s <number>` for the default closure.
 * Usage: bench_model [--models N] [--dt DAYS (output step, default 1)] [--seed S] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "snforge/models.h"
#include "snforge/core.h"

static double snf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = 10000;
    double out_dt = 1.0;
    unsigned long seed = 1987;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--models") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dt") == 0 && i + 1 < argc) {
            out_dt = atof(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoul(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_model [--models N] [--dt DAYS] [--seed S]\n");
            return 2;
        }
    }
    if (n <= 0 || !(out_dt > 0)) {
        fprintf(stderr, "bench_model: --models and --dt must be > 0\n");
        return 2;
    }
    enum { T = 301 };
    double t[T], L[T], v[T];
    for (int k = 0; k < T; k++) {
        t[k] = k * out_dt;
    }
    snf_sn_params *p = malloc((size_t)n * sizeof *p);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    snf_model *m = snf_model_alloc();
    if (!p || !rng || !m) {
        fprintf(stderr, "bench_model: out of memory\n");
        return 1;
    }
    gsl_rng_set(rng, seed);
    for (int i = 0; i < n; i++) {
        p[i].energy_foe = exp(log(0.5) + gsl_rng_uniform(rng) * log(15.0 / 0.5));
        p[i].mass_msun = 10.0 + gsl_rng_uniform(rng) * 45.0;
        p[i].radius_cm = exp(log(2e11) + gsl_rng_uniform(rng) * log(1e14 / 2e11));
        p[i].nickel_msun = 0.01 + gsl_rng_uniform(rng) * 0.29;
    }
    const snf_physics def = snf_physics_default();
    const snf_closure order[3] = {SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_FLUX, SNF_CLOSURE_NONE};
    double rate_default = 0;
    printf("bench_model: %d models, 301 outputs every %g d, one thread, seed %lu\n", n, out_dt, seed);
    for (int c = 0; c < 3; c++) {
        snf_physics ph = def;
        ph.closure = order[c];
        long failed = 0, warned = 0, steps = 0;
        int first_fail = 0;
        char first_msg[256] = "";
        double t0 = snf_now();
        for (int i = 0; i < n; i++) {
            snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
            int rc = snf_model_run(m, &p[i], &ph, t, T, &lc);
            steps += lc.n_steps;
            if (rc < 0) {
                if (failed++ == 0) {
                    first_fail = i;
                    snprintf(first_msg, sizeof first_msg, "%s", snf_error_last_message());
                }
            } else if (rc > 0) {
                warned++;
            }
        }
        double dt = snf_now() - t0;
        printf("closure %-12s %8.1f us/model  %9.0f models/s  failed %.4f%%  warned %.2f%%  steps/model %.0f\n",
               snf_closure_name(order[c]), 1e6 * dt / n, n / dt, 100.0 * failed / n, 100.0 * warned / n,
               (double)steps / n);
        if (failed) {
            printf("  first failure: model %d (E %g M %g R %g Ni %g): %s\n", first_fail, p[first_fail].energy_foe,
                   p[first_fail].mass_msun, p[first_fail].radius_cm, p[first_fail].nickel_msun, first_msg);
        }
        if (order[c] == def.closure) {
            rate_default = n / dt;
        }
    }
    printf("default closure: %s\n", snf_closure_name(def.closure));
    printf("models_per_s %.0f\n", rate_default);
    snf_model_free(m);
    gsl_rng_free(rng);
    free(p);
    return 0;
}
