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
#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/grids.h"
#include "snforge/nn.h"
#include "snforge/core.h"

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

/* ---- the subcommand ---- */

/* The plan on stdout (the stand-in, the v_ph limit, the table), the precision kept on stderr. */
static void snf_plan_print(const snf_uq_model *m, const snf_plan_result *r, const char *dpath, const char *opath)
{
    const snf_data_spec *s = &m->ck.spec;
    const int NP = SNF_DATA_NP;
    const long K = r->K;
    const double *std0 = r->std0, *stdf = r->std_full;
    int kinds[SNF_SERIES_COUNT];
    snf_data_spec_series(s, kinds);
    static const char *const sn[SNF_SERIES_COUNT] = {"L", "vph"};
    printf("# stand-in curve: row %ld of %s; start: %s\n", r->row, dpath, opath ? opath : "nothing observed");
    if (s->channels & SNF_CH_VPH) {
        if (isfinite(r->t_vph_end)) {
            printf("# v_ph proposed only to day %.0f, the end of the stand-in's dome: after it the recombination front "
                   "has swept the envelope and the spectrum turns nebular (no photosphere to measure; %d grid days "
                   "left out)\n", r->t_vph_end, r->n_cleared);
        } else {
            printf("# v_ph proposed only where the stand-in has a photosphere (its v_ph series is defined)\n");
        }
    }
    printf("# std (dex of log10) energy mass radius nickel; start %.4f %.4f %.4f %.4f; full curve %.4f %.4f %.4f %.4f\n",
           std0[0], std0[1], std0[2], std0[3], stdf[0], stdf[1], stdf[2], stdf[3]);
    printf("k,day,series,std_energy,std_mass,std_radius,std_nickel\n");
    for (long k = 0; k < K; k++) {
        const double *q = r->std_k + k * NP;
        printf("%ld,%.1f,%s,%.4f,%.4f,%.4f,%.4f\n", k + 1, snf_data_spec_time(s, r->sample[k]), sn[kinds[r->series[k]]], q[0],
               q[1], q[2], q[3]);
    }
    const long marks[4] = {5, 10, 20, K};
    int over = 0;
    for (int i = 0; i < 4; i++) {
        if (marks[i] > K || (i == 3 && (K == 5 || K == 10 || K == 20))) {
            continue;
        }
        const double *q = r->std_k + (marks[i] - 1) * NP;
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
}

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
    const int from_model = dpath == NULL;
    if (from_model) {
        dpath = m.ck.data_file;
    }
    snf_plan_result r;
    rc = snf_plan_observations(&m, opath, dpath, (int)K, &r);
    int code = 0;
    if (rc < 0) {
        fprintf(stderr, "snforge plan: %s%s\n", snf_error_last_message(),
                from_model ? " (the training data file the model names, relative to where it was trained: give "
                             "--data DATA.h5)"
                           : "");
        code = snf_status_exit_code(rc);
    } else {
        snf_plan_print(&m, &r, dpath, opath);
    }
    snf_plan_result_free(&r);
    snf_uq_model_free(&m);
    return code;
}
