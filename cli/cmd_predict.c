/* cmd_predict.c: `snforge predict MODEL.h5 OBS.csv`: the four parameters of one observed supernova.
 * The observation file (interfaces.md) is interpolated onto the model's grid (linear in log L and in
 * v_ph, NaN outside each series' coverage, then the model's NaN policy); a series the model was trained
 * on must be present in the file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/data.h"
#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/train.h"
#include "snforge/uq.h"

/* ---- static helpers ---- */

static void snf_predict_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge predict MODEL.h5 OBS.csv [--json] [--threads N] [--digits N]\n\n"
            "Predicts energy (foe), mass (Msun), radius (cm) and nickel (Msun) with a model written by\n"
            "snforge train, from an observation file: CSV with the header t_d,L_erg_s,L_err,vph_km_s,vph_err\n"
            "('#' comment lines before it), empty fields for missing values, irregular sampling allowed.\n"
            "Each series is interpolated linearly (log L, v_ph) onto the model's grid between its first and\n"
            "last points; outside, samples are missing (filled with the training mean, mask 0). A model\n"
            "trained on luminosity alone accepts a file without velocities; one trained on velocities needs them.\n\n"
            "options:\n"
            "  -j, --json        one JSON object on stdout instead of the table\n"
            "  -t, --threads N   OpenMP threads\n"
            "      --digits N    significant digits printed (1-17, default 4)\n"
            "  -h, --help        this text\n\n"
            "Output: one line per parameter on stdout, 'energy MEAN +- STD  68%% [LO, HI]  95%% [LO, HI] foe': the\n"
            "mean, standard deviation and central 68%% and 95%% intervals\n"
            "(the mixture of the ensemble members' Gaussians x Monte Carlo dropout passes, calibrated when the\n"
            "model is; a plain MSE model has std 0), then the OOD line: the Mahalanobis distance of the pooled\n"
            "features and its p-value against the validation rows, flagged below the model's alpha, and the\n"
            "parameters whose mean or 95%% interval leaves the training ranges. Flags do not change the exit\n"
            "status. With --json: {\"parameters\": {\"energy\": {\"mean\", \"std\", \"lo68\", \"hi68\", \"lo95\",\n"
            "\"hi95\", \"unit\"}, ...}, \"ood\": {\"score\", \"p_value\", \"flag\"}, \"outside_training_ranges\": [...]}.\n"
            "Coverage summary on stderr.\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, MODEL.h5, OBS.csv file:line).\n");
}

static int snf_count_finite(const float *v, int L)
{
    int n = 0;
    for (int j = 0; j < L; j++) {
        n += isfinite(v[j]) ? 1 : 0;
    }
    return n;
}

static const char *const snf_pnames[SNF_DATA_NP] = {"energy", "mass", "radius", "nickel"};
static const char *const snf_punits[SNF_DATA_NP] = {"foe", "Msun", "cm", "Msun"};

/* The answer with its uncertainty: a table (digits significant digits for the mean and the intervals), or one
 * JSON object (max(6, digits) significant digits). */
static void snf_predict_print(FILE *f, const snf_uq_model *m, const snf_uq_pred *p, int json, int digits)
{
    if (json) {
        fprintf(f, "{\"parameters\": {");
        for (int k = 0; k < SNF_DATA_NP; k++) {
            const snf_uq_param *q = &p->p[k];
            const int d = digits > 6 ? digits : 6;
            fprintf(f, "%s\"%s\": {\"mean\": %.*g, \"std\": %.*g, \"lo68\": %.*g, \"hi68\": %.*g, \"lo95\": %.*g, "
                       "\"hi95\": %.*g, \"unit\": \"%s\"}", k ? ", " : "", snf_pnames[k], d, q->mean, d, q->std, d,
                    q->lo68, d, q->hi68, d, q->lo95, d, q->hi95, snf_punits[k]);
        }
        fprintf(f, "}, \"ood\": {");
        if (m->has_ood) {
            fprintf(f, "\"score\": %.6g, \"p_value\": %.6g, \"flag\": %s", p->ood_d2, p->ood_p,
                    p->ood_flag ? "true" : "false");
        } else {
            fprintf(f, "\"score\": null, \"p_value\": null, \"flag\": null"); /* unknown, not "in distribution" */
        }
        if (!m->has_ranges) {
            fprintf(f, "}, \"outside_training_ranges\": null}\n"); /* unknown: the model stores no ranges */
            return;
        }
        fprintf(f, "}, \"outside_training_ranges\": [");
        for (int k = 0, n = 0; k < SNF_DATA_NP; k++) {
            if (p->outside[k]) {
                fprintf(f, "%s\"%s\"", n++ ? ", " : "", snf_pnames[k]);
            }
        }
        fprintf(f, "]}\n");
        return;
    }
    for (int k = 0; k < SNF_DATA_NP; k++) {
        const snf_uq_param *q = &p->p[k];
        fprintf(f, "%s %.*g +- %.3g  68%% [%.*g, %.*g]  95%% [%.*g, %.*g] %s%s\n", snf_pnames[k], digits, q->mean, q->std,
                digits, q->lo68, digits, q->hi68, digits, q->lo95, digits, q->hi95, snf_punits[k],
                p->outside[k] ? "  OUTSIDE TRAINING RANGE" : "");
    }
    if (m->has_ood) {
        fprintf(f, "ood: Mahalanobis d2 %.4g, p-value %.4g (%s at alpha %.3g)\n", p->ood_d2, p->ood_p,
                p->ood_flag ? "FLAG: unlike the training inputs" : "in distribution", (double)m->ood_alpha);
    } else {
        fprintf(f, "ood: not available (the model file has no /uq group)\n");
    }
    if (m->has_ranges) {
        fprintf(f, "training ranges: E %.3g-%.3g foe, M %.3g-%.3g Msun, R %.3g-%.3g cm, Ni %.3g-%.3g Msun; outside: ",
                m->range_lo[0], m->range_hi[0], m->range_lo[1], m->range_hi[1], m->range_lo[2], m->range_hi[2],
                m->range_lo[3], m->range_hi[3]);
        for (int k = 0, n = 0; k < SNF_DATA_NP; k++) {
            if (p->outside[k]) {
                fprintf(f, "%s%s", n++ ? ", " : "", snf_pnames[k]);
            }
        }
        fprintf(f, "%s\n", p->n_outside ? "" : "none");
    }
    fprintf(f, "uncertainty: %d member%s x %d dropout pass%s%s%s\n", m->members, m->members > 1 ? "s" : "",
            m->mc_samples, m->mc_samples > 1 ? "es" : "", m->ck.net.head == SNF_HEAD_GAUSSIAN ? ", Gaussian head" : ", MSE head",
            m->calibrated ? ", calibrated on validation rows" : "");
}

/* ---- the subcommand ---- */

int snf_cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"digits", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int threads = 0, json = 0, digits = 4;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "t:jd:h", opts, NULL)) != -1;) {
        switch (ch) {
        case 't': {
            long v;
            if (snf_cli_parse_threads("predict", optarg, &v) != 0) {
                return 2;
            }
            threads = (int)v;
            break;
        }
        case 'j': json = 1; break;
        case 'd': {
            long v;
            if (snf_cli_parse_long("predict", "--digits", optarg, 1, 17, &v) != 0) {
                return 2;
            }
            digits = (int)v;
            break;
        }
        case 'h': snf_predict_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "predict");
        }
    }
    if (snf_cli_expect_operands("predict", argc, 2, "MODEL.h5 OBS.csv")) {
        return 2;
    }
    const char *mpath = argv[optind], *opath = argv[optind + 1];
    snf_threads_setup(threads);
    snf_uq_model um;
    snf_obs obs;
    memset(&obs, 0, sizeof obs);
    float *lg = NULL, *vg = NULL, *x = NULL;
    int code = 0;
    int rc = snf_uq_model_open(&um, mpath, 1);
    const snf_ckpt *ckp = &um.ck;
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    rc = snf_obs_read(&obs, opath);
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        code = snf_status_exit_code(rc);
        goto cleanup;
    }
    const snf_data_spec *s = &ckp->spec;
    if ((s->channels & SNF_CH_VPH) && obs.n_v == 0) {
        fprintf(stderr, "snforge predict: %s has no vph_km_s values, but %s was trained on %s (luminosity and "
                        "velocity): give velocities, or use a model trained with channels = luminosity\n",
                opath, mpath, s->channels == SNF_CH_BOTH ? "both series" : "velocity");
        code = 2;
        goto cleanup;
    }
    if ((s->channels & SNF_CH_LBOL) && obs.n_L == 0) {
        fprintf(stderr, "snforge predict: %s has no L_erg_s values, but %s was trained on the luminosity: give "
                        "luminosities, or use a model trained with channels = velocity\n", opath, mpath);
        code = 2;
        goto cleanup;
    }
    const int L = s->L;
    lg = malloc((size_t)L * sizeof *lg);
    vg = malloc((size_t)L * sizeof *vg);
    x = malloc((size_t)snf_data_spec_cin(s) * L * sizeof *x);
    if (!lg || !vg || !x) {
        fprintf(stderr, "snforge predict: out of memory\n");
        code = 1;
        goto cleanup;
    }
    snf_obs_resample(&obs, s, lg, vg);
    int cl = snf_count_finite(lg, L), cv = snf_count_finite(vg, L);
    if (((s->channels & SNF_CH_LBOL) && cl == 0) || ((s->channels & SNF_CH_VPH) && cv == 0)) {
        fprintf(stderr, "snforge predict: %s does not overlap the model's grid (days %g-%g) in %s\n", opath,
                s->t_start_d, s->t_end_d, cl == 0 ? "L_erg_s" : "vph_km_s");
        code = 2;
        goto cleanup;
    }
    snf_data_encode(x, (s->channels & SNF_CH_LBOL) ? lg : NULL, (s->channels & SNF_CH_VPH) ? vg : NULL, s, &ckp->norm);
    snf_uq_pred pr;
    rc = snf_uq_model_predict(&um, x, 1, &pr);
    /* The network's answer alone (every member and MC pass; no start-up, file reading or resampling), mean of
     * repeats after the warm-up call above: the figure compared with a fit's time (validation/sn1987a.sh). */
    double fwd_s = NAN;
    const int reps = 20;
    if (rc >= 0) {
        snf_uq_pred scratch;
        struct timespec ta, tb;
        clock_gettime(CLOCK_MONOTONIC, &ta);
        for (int r = 0; r < reps && rc >= 0; r++) {
            rc = snf_uq_model_predict(&um, x, 1, &scratch);
        }
        clock_gettime(CLOCK_MONOTONIC, &tb);
        fwd_s = ((double)(tb.tv_sec - ta.tv_sec) + 1e-9 * (double)(tb.tv_nsec - ta.tv_nsec)) / reps;
    }
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    for (int k = 0; k < SNF_DATA_NP; k++) { /* checked before anything is printed */
        const snf_uq_param *q = &pr.p[k];
        if (!isfinite(q->mean) || !(q->mean > 0) || !isfinite(q->std) || !isfinite(q->lo95) || !isfinite(q->hi95)) {
            fprintf(stderr, "snforge predict: the model gives %s = %g +- %g for %s: not a usable value (the model "
                            "file %s may be damaged, or the observations far outside its training range)\n",
                    snf_pnames[k], q->mean, q->std, opath, mpath);
            code = 1;
            goto cleanup;
        }
    }
    snf_predict_print(stdout, &um, &pr, json, digits);
    fprintf(stderr, "snforge predict: %s with %s: %ld rows (%ld L, %ld v_ph); model grid days %g-%g x %d covered "
                    "%d (L) and %d (v_ph) samples%s\n", opath, mpath, obs.n, obs.n_L, obs.n_v, s->t_start_d,
            s->t_end_d, L, (s->channels & SNF_CH_LBOL) ? cl : 0, (s->channels & SNF_CH_VPH) ? cv : 0,
            (s->channels & SNF_CH_VPH) ? "" : " (velocities not used: the model was trained on luminosity alone)");
    fprintf(stderr, "snforge predict: forward pass %.4g ms (mean of %d after a warm-up; start-up and reading not "
                    "included)\n", 1e3 * fwd_s, reps);
cleanup:
    free(lg);
    free(vg);
    free(x);
    snf_obs_free(&obs);
    snf_uq_model_free(&um);
    return code;
}
