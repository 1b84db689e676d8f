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
#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/infer.h"
#include "snforge/models.h"
#include "snforge/nn.h"

/* ---- static helpers ---- */

static void snf_predict_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge predict MODEL.h5 OBS.csv [--json] [--threads N] [--digits N] [--t0-err DAYS]\n"
            "       snforge predict MODEL.h5 --catalogue LIST.csv -o OBJECTS.csv [--threads N]\n\n"
            "Predicts energy (foe), mass (Msun), radius (cm) and nickel (Msun) with a model written by\n"
            "snforge train, from an observation file: CSV with the header t_d,L_erg_s,L_err,vph_km_s,vph_err\n"
            "('#' comment lines before it), empty fields for missing values, irregular sampling allowed.\n"
            "Each series is interpolated linearly (log L, v_ph) onto the model's grid between its first and\n"
            "last points; outside, samples are missing (filled with the training mean, mask 0). A model\n"
            "trained on luminosity alone accepts a file without velocities; one trained on velocities needs them.\n"
            "A series measured twice on one day is combined (inverse-variance weights), with a note on stderr.\n\n"
            "options:\n"
            "  -j, --json        one JSON object on stdout instead of the table\n"
            "      --t0-err D    the explosion epoch is uncertain by D days (1 sigma): the answer is the mixture of\n"
            "                    the answers at 9 epochs spread as that normal law (default: the file's own\n"
            "                    '# t0_err_d = D' comment line, else the epoch is taken as exact)\n"
            "  -c, --catalogue LIST.csv  answer every object of LIST.csv (header name,path or name,path,t0_err_d;\n"
            "                    paths relative to the list's folder) into -o OBJECTS.csv: one row per object and\n"
            "                    parameter, name,parameter,mean,std,lo68,hi68,lo95,hi95,unit,ood_score,ood_p_value,\n"
            "                    ood_flag,outside_range,status,message; an object that cannot be answered gets\n"
            "                    status error and its reason, and never stops the others (a malformed row of\n"
            "                    the list itself: wrong field count, empty name or path, bad t0_err_d, is\n"
            "                    refused with LIST.csv:line, exit 2, before any object is answered)\n"
            "  -o, --output FILE the catalogue's table (required with --catalogue)\n"
            "  -t, --threads N   OpenMP threads\n"
            "      --digits N    significant digits printed (1-17, default 4)\n"
            "  -h, --help        this text\n\n"
            "Output: one line per parameter on stdout, 'energy MEAN +- STD  68%% [LO, HI]  95%% [LO, HI] foe': the\n"
            "mean, standard deviation and central 68%% and 95%% intervals\n"
            "(the mixture of the ensemble members' Gaussians x Monte Carlo dropout passes, calibrated when the\n"
            "model is; a plain MSE model has std 0), then the OOD line: the Mahalanobis distance of the pooled\n"
            "features and its p-value against the validation rows, flagged below the model's alpha, and the\n"
            "parameters whose mean or 95%% interval leaves the training ranges (marked OUTSIDE TRAINING RANGE; a\n"
            "95%% interval that lies wholly outside them is marked too), then the caveat in words: whether the\n"
            "answer is an extrapolation (OOD flag or a parameter outside the ranges) and which numbers not to use\n"
            "(DO NOT USE: all four when the curve is flagged OOD). Without an OOD fit in the model file the OOD\n"
            "test is reported as not available, never as in distribution. Flags do not change the exit status.\n"
            "With --json: {\"parameters\": {\"energy\": {\"mean\", \"std\", \"lo68\", \"hi68\", \"lo95\",\n"
            "\"hi95\", \"unit\"}, ...}, \"ood\": {\"score\", \"p_value\", \"flag\", \"available\"} (score, p_value and\n"
            "flag null when not available), \"outside_training_ranges\": [...], \"interval_excludes_training\":\n"
            "[...], \"extrapolation\": true|false, \"do_not_use\": [...], \"caveat\": \"the caveat in words\"}.\n"
            "Coverage summary on stderr.\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, MODEL.h5, OBS.csv file:line).\n");
}


/* The answer with its uncertainty: a table (digits significant digits for the mean and the intervals), or one
 * JSON object (max(6, digits) significant digits). */
static void snf_predict_json_names(FILE *f, const int *flag)
{
    fputc('[', f);
    for (int k = 0, n = 0; k < SNF_DATA_NP; k++) {
        if (flag[k]) {
            fprintf(f, "%s\"%s\"", n++ ? ", " : "", snf_param_name(k));
        }
    }
    fputc(']', f);
}

static void snf_predict_print(FILE *f, const snf_uq_model *m, const snf_uq_pred *p, int json, int digits)
{
    int do_not_use[SNF_DATA_NP];
    char caveat[1024];
    const int extrapolation = snf_uq_pred_caveat(m, p, do_not_use, caveat, sizeof caveat);
    if (json) {
        fprintf(f, "{\"parameters\": {");
        for (int k = 0; k < SNF_DATA_NP; k++) {
            const snf_uq_param *q = &p->p[k];
            const int d = digits > 6 ? digits : 6;
            fprintf(f, "%s\"%s\": {\"mean\": %.*g, \"std\": %.*g, \"lo68\": %.*g, \"hi68\": %.*g, \"lo95\": %.*g, "
                       "\"hi95\": %.*g, \"unit\": \"%s\"}", k ? ", " : "", snf_param_name(k), d, q->mean, d, q->std, d,
                    q->lo68, d, q->hi68, d, q->lo95, d, q->hi95, snf_param_unit(k));
        }
        fprintf(f, "}, \"ood\": {");
        if (m->has_ood) {
            fprintf(f, "\"score\": %.6g, \"p_value\": %.6g, \"flag\": %s, \"available\": true", p->ood_d2,
                    p->ood_p, p->ood_flag ? "true" : "false");
        } else { /* unknown, never "not OOD" */
            fprintf(f, "\"score\": null, \"p_value\": null, \"flag\": null, \"available\": false");
        }
        fprintf(f, "}, \"outside_training_ranges\": ");
        if (m->has_ranges) {
            snf_predict_json_names(f, p->outside);
        } else {
            fprintf(f, "null"); /* unknown: the model stores no training ranges */
        }
        fprintf(f, ", \"interval_excludes_training\": ");
        if (m->has_ranges) {
            snf_predict_json_names(f, p->excludes);
        } else {
            fprintf(f, "null");
        }
        fprintf(f, ", \"extrapolation\": %s, \"do_not_use\": ", extrapolation ? "true" : "false");
        snf_predict_json_names(f, do_not_use);
        fprintf(f, ", \"caveat\": \"%s\"}\n", caveat); /* plain ASCII without quotes or backslashes */
        return;
    }
    for (int k = 0; k < SNF_DATA_NP; k++) {
        const snf_uq_param *q = &p->p[k];
        fprintf(f, "%s %.*g +- %.3g  68%% [%.*g, %.*g]  95%% [%.*g, %.*g] %s%s%s%s\n", snf_param_name(k), digits, q->mean,
                q->std, digits, q->lo68, digits, q->hi68, digits, q->lo95, digits, q->hi95, snf_param_unit(k),
                p->outside[k] ? "  OUTSIDE TRAINING RANGE" : "",
                p->excludes[k] ? " (95% INTERVAL EXCLUDES EVERY TRAINED VALUE)" : "",
                do_not_use[k] ? "  DO NOT USE" : "");
    }
    if (m->has_ood) {
        fprintf(f, "ood: Mahalanobis d2 %.4g, p-value %.4g (%s at alpha %.3g)\n", p->ood_d2, p->ood_p,
                p->ood_flag ? "FLAG: unlike the training inputs" : "in distribution", (double)m->ood_alpha);
    } else {
        fprintf(f, "ood: NOT AVAILABLE (the model file has no OOD fit): unknown whether this curve is like the training "
                   "curves\n");
    }
    if (m->has_ranges) {
        fprintf(f, "training ranges: E %.3g-%.3g foe, M %.3g-%.3g Msun, R %.3g-%.3g cm, Ni %.3g-%.3g Msun; outside: ",
                m->range_lo[0], m->range_hi[0], m->range_lo[1], m->range_hi[1], m->range_lo[2], m->range_hi[2],
                m->range_lo[3], m->range_hi[3]);
        for (int k = 0, n = 0; k < SNF_DATA_NP; k++) {
            if (p->outside[k]) {
                fprintf(f, "%s%s", n++ ? ", " : "", snf_param_name(k));
            }
        }
        fprintf(f, "%s\n", p->n_outside ? "" : "none");
    }
    fprintf(f, "caveat: %s\n", caveat);
    fprintf(f, "uncertainty: %d member%s x %d dropout pass%s%s%s%s\n", m->members, m->members > 1 ? "s" : "",
            m->mc_samples, m->mc_samples > 1 ? "es" : "", m->ck.net.head == SNF_HEAD_GAUSSIAN ? ", Gaussian head" : ", MSE head",
            m->calibrated ? (m->calib_source[0] ? ", calibrated: " : ", calibrated on validation rows") : "",
            m->calibrated ? m->calib_source : "");
}

/* ---- the subcommand ---- */

static int snf_predict_write_catalogue(void *ctx, FILE *f)
{
    struct { const snf_uq_model *m; const snf_catalogue *c; const snf_catalogue_result *r; } *w = ctx;
    return snf_catalogue_write_csv(f, w->m, w->c, w->r);
}

/* Catalogue mode: every object of the list answered into out_path (locked, written atomically). */
static int snf_predict_catalogue(snf_uq_model *um, const char *list, const char *out_path)
{
    snf_catalogue cat;
    int rc = snf_catalogue_read(&cat, list);
    if (rc < 0) {
        return snf_cli_fail("predict", rc);
    }
    snf_catalogue_result *res = calloc((size_t)cat.n, sizeof *res);
    snf_output out = {.lock = -1}; /* the output owner: OUT.lock first, OUT.tmp put in place when whole */
    rc = res ? snf_output_begin(&out, out_path, 0) : SNF_ENOMEM;
    const double ta = snf_clock_s();
    if (rc >= 0) {
        rc = snf_catalogue_answer(um, &cat, res);
    }
    const double tb = snf_clock_s();
    if (rc >= 0) {
        struct { const snf_uq_model *m; const snf_catalogue *c; const snf_catalogue_result *r; } w = {um, &cat, res};
        rc = snf_output_stage(&out, "catalogue", snf_predict_write_catalogue, &w);
    }
    if (rc >= 0) {
        rc = snf_output_commit(&out);
    }
    int code = rc < 0 ? snf_cli_fail("predict", rc) : 0;
    if (rc >= 0) {
        long ok = 0, ood = 0;
        for (long i = 0; i < cat.n; i++) {
            ok += res[i].ok;
            ood += res[i].ok && res[i].pred.ood_flag;
        }
        const double s = tb - ta;
        fprintf(stderr, "snforge predict: %s: %ld objects, %ld answered (%ld flagged OOD), %ld errors (status error, "
                        "message); %.3g s, %.4g objects/s (reading, encoding and the network)\n", out_path, cat.n, ok, ood,
                cat.n - ok, s, s > 0 ? (double)cat.n / s : 0.0);
    }
    snf_output_end(&out);
    free(res);
    snf_catalogue_free(&cat);
    return code;
}

int snf_cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"digits", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {"catalogue", required_argument, NULL, 'c'}, {"output", required_argument, NULL, 'o'},
        {"t0-err", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    int threads = 0, json = 0, digits = 4;
    const char *list = NULL, *out_path = NULL;
    double t0_err = -1;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "t:jd:hc:o:", opts, NULL)) != -1;) {
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
        case 'c': list = optarg; break;
        case 'o': out_path = optarg; break;
        case 'T':
            if (snf_cli_parse_double("--t0-err", optarg, &t0_err) < 0 || !(t0_err >= 0 && t0_err <= SNF_OBS_T0_ERR_MAX_D)) {
                fprintf(stderr, "snforge predict: --t0-err %s: expected the explosion epoch's uncertainty in days, 0 to "
                                "100\n", optarg);
                return 2;
            }
            break;
        case 'h': snf_predict_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "predict");
        }
    }
    if (list || out_path) {
        if (!list || !out_path || json || snf_cli_expect_operands("predict", argc, 1, "MODEL.h5 --catalogue LIST.csv -o OBJECTS.csv")) {
            fprintf(stderr, "snforge predict: catalogue mode is MODEL.h5 --catalogue LIST.csv -o OBJECTS.csv (no OBS.csv, "
                            "no --json)\n");
            return 2;
        }
    } else if (snf_cli_expect_operands("predict", argc, 2, "MODEL.h5 OBS.csv")) {
        return 2;
    }
    const char *mpath = argv[optind];
    snf_threads_setup(threads);
    if (!list) {
        return snf_predict_file(mpath, argv[optind + 1], json, digits, t0_err, NULL);
    }
    snf_uq_model um;
    int rc = snf_uq_model_open(&um, mpath, 64);
    if (rc < 0) {
        return snf_cli_fail("predict", rc);
    }
    int code = snf_predict_catalogue(&um, list, out_path);
    snf_uq_model_free(&um);
    return code;
}

int snf_predict_file(const char *mpath, const char *opath, int json, int digits, double t0_err,
                     snf_predict_answer *out)
{
    snf_uq_model um;
    int rc = snf_uq_model_open(&um, mpath, 1);
    if (rc < 0) {
        return snf_cli_fail("predict", rc);
    }
    const snf_data_spec *s = &um.ck.spec;
    float *x = malloc((size_t)snf_data_spec_cin(s) * s->L * sizeof *x);
    snf_infer_obs info;
    snf_uq_pred pr;
    rc = x ? snf_infer_answer_file(&um, opath, t0_err, &pr, &info) : SNF_ENOMEM;
    if (rc >= 0) {
        rc = snf_infer_encode_file(&um, opath, x, NULL); /* the stated epoch's input, for the timing below */
    }
    /* The network's answer alone (every member and MC pass; no start-up, file reading or resampling), mean of
     * repeats after the warm-up call above: the figure compared with a fit's time (validation/sn1987a.sh). */
    double fwd_s = NAN;
    const int reps = 20;
    if (rc >= 0) {
        snf_uq_pred scratch;
        const double ta = snf_clock_s();
        for (int r = 0; r < reps && rc >= 0; r++) {
            rc = snf_uq_model_predict(&um, x, 1, &scratch);
        }
        fwd_s = (snf_clock_s() - ta) / reps;
    }
    free(x);
    if (rc < 0) {
        int code = snf_cli_fail("predict", rc);
        snf_uq_model_free(&um);
        return code;
    }
    snf_predict_print(stdout, &um, &pr, json, digits);
    if (out) {
        out->pred = pr;
        out->has_ood = um.has_ood;
        out->has_ranges = um.has_ranges;
    }
    fprintf(stderr, "snforge predict: %s with %s: %ld rows (%ld L, %ld v_ph); model grid days %g-%g x %d covered "
                    "%d (L) and %d (v_ph) samples%s\n", opath, mpath, info.rows, info.n_L, info.n_v, s->t_start_d,
            s->t_end_d, s->L, info.covered_L, info.covered_v,
            info.uses_v ? "" : " (velocities not used: the model was trained on luminosity alone)");
    if (info.n_combined > 0) {
        fprintf(stderr, "snforge predict: %s: %ld repeated epochs of a series combined (inverse-variance weighted mean "
                        "where every repeat has an error, else the plain mean)\n", opath, info.n_combined);
    }
    if (info.t0_nodes > 1) {
        fprintf(stderr, "snforge predict: marginalised over the explosion epoch's uncertainty +- %g d (%d epochs)\n",
                info.t0_err_d, info.t0_nodes);
    }
    fprintf(stderr, "snforge predict: forward pass %.4g ms (mean of %d after a warm-up; start-up and reading not "
                    "included)\n", 1e3 * fwd_s, reps);
    snf_uq_model_free(&um);
    return 0;
}
