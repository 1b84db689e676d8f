/* cmd_plan.c: `snforge plan MODEL.h5 --epochs K [OBS.csv] [--data DATA.h5]`: the K observing days (and
 * series) that shrink the predicted standard deviation the most, chosen greedily (explain.h), for a
 * typical training object or around a partial observation, and the share of the full curve's precision
 * that K observations keep. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/data.h"
#include "snforge/infer.h"
#include "snforge/explain.h"
#include "snforge/h5.h"
#include "snforge/nn.h"
#include "snforge/status.h"

/* Rows scanned for the stand-in curve. */
#define SNF_PLAN_MAX_ROWS 20000L

/* ---- static helpers ---- */

static void snf_plan_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge plan MODEL.h5 --epochs K [OBS.csv] [--data DATA.h5] [--threads N]\n\n"
            "Chooses K observations (a grid day and a series each) one at a time, each the one that most\n"
            "reduces the mean over the four parameters of the predicted log10 standard deviation (the model's\n"
            "mixture, uq.h; the mask channels say which days are observed). The values of new observations\n"
            "come from a stand-in curve: without OBS.csv, the training object closest to the mean of the\n"
            "training parameters (a typical object), starting from nothing observed; with OBS.csv, its\n"
            "observations are kept and the stand-in is the dataset object closest to their prediction.\n"
            "DATA.h5 defaults to the model's training file. Needs a model trained with mask = yes and an\n"
            "uncertainty (Gaussian head, ensemble or MC dropout).\n\n"
            "options:\n"
            "  -k, --epochs K     observations to choose (1-1000)\n"
            "      --data FILE    dataset file for the stand-in curve\n"
            "  -t, --threads N    OpenMP threads\n"
            "  -h, --help         this text\n\n"
            "v_ph is proposed only while the stand-in has a photosphere: where its v_ph is defined and not after\n"
            "the end of its dome (derived/t_plateau_end_d: the spectrum turns nebular).\n\n"
            "Output: one line per chosen observation (day, series, std per parameter in dex) and the share of\n"
            "the full curve's precision kept at K = 5, 10, 20 and the last: the predicted standard deviation\n"
            "with the whole curve observed divided by the one with K observations (std_full / std_K), per\n"
            "parameter. 100%% = as precise as the whole curve; over 100%% = the network claims more certainty\n"
            "from K points than from the whole curve, a sign its uncertainty for sparse curves is not calibrated.\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input.\n");
}

/* The encoded stand-in row: the usable row of the dataset whose standardised targets are nearest target
 * (n NP values; NULL: the training mean, 0). */
static int snf_plan_standin(const snf_uq_model *m, const char *dpath, const double *target, float *full, long *row)
{
    const snf_data_spec *s = &m->ck.spec;
    const size_t CL = (size_t)snf_data_spec_cin(s) * s->L;
    snf_data *d = NULL;
    long *rows = NULL, n = 0, skipped = 0;
    float *x = NULL, *y = NULL;
    int rc = snf_data_open(&d, dpath, s, 1024);
    if (rc >= 0) {
        rc = snf_data_usable_rows(d, &rows, &n, &skipped);
    }
    if (rc >= 0 && n == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s has no usable rows", dpath);
    }
    if (rc < 0) {
        goto cleanup;
    }
    n = n < SNF_PLAN_MAX_ROWS ? n : SNF_PLAN_MAX_ROWS;
    x = malloc((size_t)n * CL * sizeof *x);
    y = malloc((size_t)n * SNF_DATA_NP * sizeof *y);
    if (!x || !y) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for %ld rows", n);
        goto cleanup;
    }
    rc = snf_data_load(d, &m->ck.norm, rows, n, x, y);
    if (rc < 0) {
        goto cleanup;
    }
    long best = 0;
    double bd = INFINITY;
    for (long i = 0; i < n; i++) {
        double dd = 0;
        for (int k = 0; k < SNF_DATA_NP; k++) {
            double e = y[i * SNF_DATA_NP + k] - (target ? target[k] : 0.0);
            dd += e * e;
        }
        if (dd < bd) {
            bd = dd;
            best = i;
        }
    }
    memcpy(full, x + (size_t)best * CL, CL * sizeof *full);
    *row = rows[best];
cleanup:
    free(x);
    free(y);
    free(rows);
    snf_data_close(d);
    return rc;
}

/* The day the stand-in's photosphere is gone for an observer: the end of its dome (derived/t_plateau_end_d; after
 * it the spectrum turns nebular), NaN when the file does not say (hydro files: their v_ph is already NaN after the
 * photosphere reaches the deepest cell, and the mask says so). */
static double snf_plan_photosphere_end(const char *dpath, long row)
{
    snf_dataset *d = NULL;
    snf_lc_derived der = {NAN, NAN, NAN, NAN, NAN, NAN};
    snf_dataset_rows rows = {.derived = &der};
    if (snf_dataset_open(&d, dpath, 0) < 0 || snf_dataset_read_rows(d, row, 1, &rows) < 0) {
        snf_error_clear();
    }
    snf_dataset_close(d);
    return der.t_plateau_end_d;
}

/* ---- the subcommand ---- */

int snf_cmd_plan(int argc, char **argv)
{
    enum { O_DATA = 1000 };
    static const struct option opts[] = {
        {"epochs", required_argument, NULL, 'k'}, {"data", required_argument, NULL, O_DATA},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    long K = 0, threads = 0;
    const char *dpath = NULL;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "k:t:h", opts, NULL)) != -1;) {
        int bad = 0;
        switch (ch) {
        case 'k': bad = snf_cli_parse_long("plan", "--epochs", optarg, 1, 1000, &K); break;
        case 't': bad = snf_cli_parse_threads("plan", optarg, &threads); break;
        case O_DATA: dpath = optarg; break;
        case 'h': snf_plan_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "plan");
        }
        if (bad) {
            return 2;
        }
    }
    if (K == 0 || optind > argc - 1 || optind < argc - 2) {
        fprintf(stderr, "snforge plan: expected MODEL.h5 --epochs K [OBS.csv] (see snforge plan --help)\n");
        return 2;
    }
    const char *mpath = argv[optind], *opath = optind == argc - 2 ? argv[optind + 1] : NULL;
    snf_threads_setup((int)threads);
    snf_uq_model m;
    int rc = snf_uq_model_open(&m, mpath, 64);
    if (rc < 0) {
        fprintf(stderr, "snforge plan: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    const snf_data_spec *s = &m.ck.spec;
    const int L = s->L, NP = SNF_DATA_NP;
    const size_t CL = (size_t)snf_data_spec_cin(s) * L;
    int kinds[SNF_SERIES_COUNT];
    snf_data_spec_series(s, kinds);
    float *x0 = calloc(CL, sizeof *x0), *full = malloc(CL * sizeof *full);
    int *sample = malloc((size_t)K * sizeof *sample), *series = malloc((size_t)K * sizeof *series);
    double *stdk = malloc((size_t)K * NP * sizeof *stdk), std0[SNF_DATA_NP], stdf[SNF_DATA_NP];
    int code = 0;
    if (!x0 || !full || !sample || !series || !stdk) {
        fprintf(stderr, "snforge plan: out of memory\n");
        code = 1;
        goto cleanup;
    }
    if (!dpath) {
        dpath = m.ck.data_file;
    }
    double target[SNF_DATA_NP], *tp = NULL;
    if (opath) {
        snf_uq_pred pr;
        rc = snf_infer_encode_file(&m, opath, x0, NULL);
        if (rc >= 0) {
            rc = snf_infer_answer(&m, x0, opath, &pr);
        }
        if (rc < 0) {
            code = snf_cli_fail("plan", rc);
            goto cleanup;
        }
        for (int k = 0; k < NP; k++) {
            target[k] = (pr.p[k].log10.mean - m.ck.norm.y_mean[k]) / m.ck.norm.y_std[k];
        }
        tp = target;
    }
    long row = -1;
    double t_vph_end = NAN;
    int n_cleared = 0;
    rc = snf_plan_standin(&m, dpath, tp, full, &row);
    if (rc >= 0) {
        /* no v_ph where the stand-in has no photosphere to measure (before the observed samples are merged in:
         * what was observed stays) */
        t_vph_end = snf_plan_photosphere_end(dpath, row);
        n_cleared = snf_plan_vph_until(&m, full, t_vph_end);
        /* the observed samples of the partial observation replace the stand-in's (full curve = both) */
        const int ns = (int)(CL / (size_t)L / 2);
        for (int c = 0; opath && c < ns; c++) {
            for (int t = 0; t < L; t++) {
                if (x0[(ns + c) * L + t] > 0.5f) {
                    full[c * L + t] = x0[c * L + t];
                    full[(ns + c) * L + t] = 1.0f;
                }
            }
        }
        rc = snf_plan_greedy(&m, x0, full, (int)K, sample, series, stdk, std0, stdf);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge plan: %s\n", snf_error_last_message());
        code = snf_status_exit_code(rc);
        goto cleanup;
    }
    static const char *const sn[SNF_SERIES_COUNT] = {"L", "vph"};
    printf("# stand-in curve: row %ld of %s; start: %s\n", row, dpath, opath ? opath : "nothing observed");
    if (s->channels & SNF_CH_VPH) {
        if (isfinite(t_vph_end)) {
            printf("# v_ph proposed only to day %.0f, the end of the stand-in's dome: after it the recombination front "
                   "has swept the envelope and the spectrum turns nebular (no photosphere to measure; %d grid days "
                   "left out)\n", t_vph_end, n_cleared);
        } else {
            printf("# v_ph proposed only where the stand-in has a photosphere (its v_ph series is defined)\n");
        }
    }
    printf("# std (dex of log10) energy mass radius nickel; start %.4f %.4f %.4f %.4f; full curve %.4f %.4f %.4f %.4f\n",
           std0[0], std0[1], std0[2], std0[3], stdf[0], stdf[1], stdf[2], stdf[3]);
    printf("k,day,series,std_energy,std_mass,std_radius,std_nickel\n");
    for (long k = 0; k < K; k++) {
        const double *q = stdk + k * NP;
        printf("%ld,%.1f,%s,%.4f,%.4f,%.4f,%.4f\n", k + 1, snf_data_spec_time(s, sample[k]), sn[kinds[series[k]]], q[0],
               q[1], q[2], q[3]);
    }
    const long marks[4] = {5, 10, 20, K};
    int over = 0;
    for (int i = 0; i < 4; i++) {
        if (marks[i] > K || (i == 3 && (K == 5 || K == 10 || K == 20))) {
            continue;
        }
        const double *q = stdk + (marks[i] - 1) * NP;
        fprintf(stderr, "snforge plan: %ld observations keep %.0f%% %.0f%% %.0f%% %.0f%% of the full curve's precision "
                        "(E, M, R0, M_Ni)\n", marks[i], 100 * stdf[0] / q[0], 100 * stdf[1] / q[1],
                100 * stdf[2] / q[2], 100 * stdf[3] / q[3]);
        over |= stdf[0] > q[0] || stdf[1] > q[1] || stdf[2] > q[2] || stdf[3] > q[3];
    }
    fprintf(stderr, "snforge plan: precision kept = the predicted standard deviation (of log10 of the parameter) with "
                    "every day of the full curve observed, divided by the one with these K observations: 100%% means "
                    "K observations pin the parameter down as well as the whole curve, 10%% means a 10x wider "
                    "uncertainty.%s\n",
            over ? " Over 100% means the network claims to be surer with K observations than with the whole curve: "
                   "more data cannot make it less sure, so its uncertainty for sparse curves is not calibrated "
                   "(train with [observe], README); treat such figures as 100% at best"
                 : "");
cleanup:
    free(x0);
    free(full);
    free(sample);
    free(series);
    free(stdk);
    snf_uq_model_free(&m);
    return code;
}
