/* cmd_evaluate.c: `snforge evaluate MODEL.h5 DATA.h5 [-o DIR]`: scores a trained model on every usable row
 * (status >= 0) of a dataset file: per-parameter MAPE, median APE and R^2(log10), with the
 * predict-the-training-mean baseline beside them, and the uncertainty's calibration (coverage of the 68%
 * and 95% intervals, mean NLL of log10 truth), printed and written to DIR/metrics.csv; the true and
 * predicted parameters of every row with std and 68% interval to DIR/parity.csv; the reliability curve to
 * DIR/reliability.csv; DIR/parity.png and DIR/reliability.png through infer/plot_parity.py and
 * infer/plot_reliability.py (python3 + matplotlib; skipped with a note when they are missing). Rows
 * stream in blocks. Beside the network, a fast physics baseline: the key points of each row's own light curve
 * (keypoints.h: M_Ni from the 56Co tail, E/M/R0 from Popov 1993), their MAPE and the count of rows with an
 * estimate appended to metrics.csv as keypoints_mape_pct,keypoints_n. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/nn.h"

/* ---- static helpers ---- */


static void snf_evaluate_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge evaluate MODEL.h5 DATA.h5 [-o DIR] [--threads N] [--max-rows N] [--no-plot]\n"
            "                        [--uncalibrated]\n\n"
            "Scores MODEL.h5 (snforge train) on every usable row (status >= 0) of the dataset file DATA.h5:\n"
            "per parameter the mean and median absolute percentage error (linear parameter) and R^2 of\n"
            "log10, beside the predict-the-training-mean baseline; the coverage (%%) of the 68%% and 95%%\n"
            "intervals and the mean negative log-likelihood of the log10 truth (nats) under the predicted\n"
            "mixture (uq.h). The point prediction is 10^(mixture mean of log10). Beside the network, the\n"
            "key-point baseline (snforge keypoints on each row's own light curve: M_Ni from the 56Co tail,\n"
            "E, M, R0 from Popov 1993) with its MAPE over the rows in each estimate's domain and their number\n"
            "(Popov only on plateaus, never on domes; keypoints.h)\n"
            "(metrics.csv columns keypoints_mape_pct, keypoints_n; NaN and 0 where none). Writes DIR/metrics.csv,\n"
            "DIR/parity.csv (row, true and predicted value, std, lo68, hi68 of each parameter),\n"
            "DIR/reliability.csv (observed against nominal coverage of central intervals) and DIR/parity.png,\n"
            "DIR/reliability.png (python3 + matplotlib, scripts infer/plot_parity.py, plot_reliability.py\n"
            "from the data folder, or $SNF_PLOT_PARITY, $SNF_PLOT_RELIABILITY; Python $SNFORGE_PYTHON or\n"
            "/usr/bin/python3; skipped with a note if unavailable).\n\n"
            "options:\n"
            "  -o, --output DIR   folder for the CSV and PNG files (default: .; created if missing)\n"
            "  -t, --threads N    OpenMP threads\n"
            "      --max-rows N   rows encoded in memory at a time (default 16384)\n"
            "      --no-plot      do not call python for the PNG\n"
            "      --uncalibrated score the intervals without the model's variance scale\n"
            "  -h, --help         this text\n\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, MODEL.h5, DATA.h5).\n");
}

static int snf_eval_write_metrics(snf_output *o, const char *name, const snf_metrics *m, const snf_metrics *b, const snf_calib *c,
                                  const double *kmape, const long *kn)
{
    FILE *f = snf_output_open_file(o, name); /* staged: replaced with the others only when all are written */
    if (!f) {
        return SNF_EIO;
    }
    fprintf(f, "parameter,unit,n,mape_pct,mdape_pct,r2_log10,baseline_mape_pct,baseline_mdape_pct,coverage68_pct,"
               "coverage95_pct,nll,keypoints_mape_pct,keypoints_n\n");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        fprintf(f, "%s,%s,%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%ld\n", snf_axis_name((snf_axis_target)(p)),
                snf_axis_units((snf_axis_target)(p)), m->n, m->mape[p], m->mdape[p], m->r2[p], b->mape[p], b->mdape[p],
                c[p].cover68, c[p].cover95, c[p].nll, kmape[p], kn[p]);
    }
    return snf_output_close_file(o, f, name);
}

static int snf_eval_write_parity(snf_output *o, const char *name, const long *rows, const double *truth, const double *pred,
                                 const double *band, const double *oodp, long n)
{
    FILE *f = snf_output_open_file(o, name); /* staged: replaced with the others only when all are written */
    if (!f) {
        return SNF_EIO;
    }
    fprintf(f, "row");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        fprintf(f, ",%s_true,%s_pred,%s_std,%s_lo68,%s_hi68", snf_axis_name((snf_axis_target)(p)), snf_axis_name((snf_axis_target)(p)), snf_axis_name((snf_axis_target)(p)),
                snf_axis_name((snf_axis_target)(p)), snf_axis_name((snf_axis_target)(p)));
    }
    fprintf(f, "%s\n", oodp ? ",ood_p_value" : "");
    for (long i = 0; i < n; i++) {
        fprintf(f, "%ld", rows[i]);
        for (int p = 0; p < SNF_DATA_NP; p++) {
            const double *bd = band + (i * SNF_DATA_NP + p) * 3;
            fprintf(f, ",%.7g,%.7g,%.7g,%.7g,%.7g", truth[i * SNF_DATA_NP + p], pred[i * SNF_DATA_NP + p], bd[0], bd[1],
                    bd[2]);
        }
        if (oodp) {
            fprintf(f, ",%.6g", oodp[i]);
        }
        fprintf(f, "\n");
    }
    return snf_output_close_file(o, f, name);
}

/* Observed coverage of central intervals at nominal levels 5%, 10%, ... 95%, 99% from the PIT values
 * u = CDF(truth) (a central interval at level a covers the truth iff |u - 1/2| <= a/2). */
static int snf_eval_write_reliability(snf_output *o, const char *name, const double *pit, long n)
{
    FILE *f = snf_output_open_file(o, name); /* staged: replaced with the others only when all are written */
    if (!f) {
        return SNF_EIO;
    }
    fprintf(f, "nominal_pct,energy_pct,mass_pct,radius_pct,nickel_pct\n");
    for (int l = 1; l <= 20; l++) {
        double a = l < 20 ? 0.05 * l : 0.99;
        fprintf(f, "%.6g", 100.0 * a);
        for (int p = 0; p < SNF_DATA_NP; p++) {
            long in = 0;
            for (long i = 0; i < n; i++) {
                in += fabs(pit[i * SNF_DATA_NP + p] - 0.5) <= 0.5 * a;
            }
            fprintf(f, ",%.6g", n ? 100.0 * (double)in / (double)n : NAN);
        }
        fprintf(f, "\n");
    }
    return snf_output_close_file(o, f, name);
}

/* Runs the plot script infer/NAME (found by the resource finder, resource.h; $ENVNAME names another script)
 * as PYTHON SCRIPT CSV PNG TITLE with the resource finder's Python; 0 if the PNG was written. */
int snf_cli_plot(const char *envname, const char *name, const char *csv, const char *png, const char *title)
{
    char script[4200], rel[256];
    const char *env = getenv(envname);
    snprintf(rel, sizeof rel, "infer/%s", name);
    if (env && *env) {
        snprintf(script, sizeof script, "%s", env);
    } else if (!snf_resource_find(rel, script, sizeof script)) {
        snf_resource_where(rel, script, sizeof script);
        fprintf(stderr, "snforge: note: no %s (%s)\n", png, script);
        return -1;
    }
    const char *python = snf_resource_python();
    const char *args[] = {csv, png, title, NULL};
    if (snf_resource_run_python(python, script, args) == 0) {
        return 0;
    }
    fprintf(stderr, "snforge: note: no %s (%s with matplotlib could not run %s; set %s; the CSV files are "
                    "written)\n", png, python, script, SNF_ENV_PYTHON);
    return -1;
}

/* The table on stdout: the network, the baseline, the calibration and the key points per parameter; what the
 * uncertainty is made of; the OOD count. */
static void snf_eval_print(const snf_eval_result *r, const snf_uq_model *um, int calibrated)
{
    printf("parameter  unit   MAPE%%   MdAPE%%  R2(log10)  baseline MAPE%%  cover68%%  cover95%%  NLL(log10)  "
           "keypoints MAPE%% (rows)\n");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        char kcol[64];
        if (r->kn[p] > 0) {
            snprintf(kcol, sizeof kcol, "%.2f (%ld)", r->kmape[p], r->kn[p]);
        } else {
            snprintf(kcol, sizeof kcol, "- (0)");
        }
        printf("%-10s %-5s %7.2f %8.2f %9.4f %10.2f %14.1f %9.1f %10.3f  %14s\n", snf_axis_name((snf_axis_target)(p)),
               snf_axis_units((snf_axis_target)(p)), r->m.mape[p], r->m.mdape[p], r->m.r2[p], r->base.mape[p],
               r->cal[p].cover68, r->cal[p].cover95, r->cal[p].nll, kcol);
    }
    printf("keypoints: the light curve by itself (keypoints.h): M_Ni from the 56Co tail, E/M/R0 from Popov (1993, order "
           "of magnitude); each only on rows in its domain (Popov: plateaus; keypoints.h), their count in brackets\n");
    printf("uncertainty: %d member%s x %d dropout pass%s, %s head%s%s%s%s\n", um->members, um->members > 1 ? "s" : "",
           um->mc_samples, um->mc_samples > 1 ? "es" : "", um->ck.net.head == SNF_HEAD_GAUSSIAN ? "Gaussian" : "MSE",
           um->calibrated ? (calibrated ? ", calibrated" : ", calibration off (--uncalibrated)") : "",
           um->calibrated && um->calib_source[0] ? " (" : "", um->calibrated ? um->calib_source : "",
           um->calibrated && um->calib_source[0] ? ")" : "");
    if (um->has_ood) {
        printf("ood: %ld of %ld rows (%.1f%%) flagged unlike the training inputs (p < %.3g or beyond every "
               "validation row)\n", r->n_flag, r->n, r->n ? 100.0 * (double)r->n_flag / (double)r->n : 0.0,
               (double)um->ood_alpha);
    }
}

/* A note on stderr when dpath holds what mpath was trained on (the model's stored data fingerprint, train.h, equals
 * dpath's): the scores then include training rows and are no held-out measure. */
static void snf_eval_note_training(const snf_uq_model *um, const char *mpath, const char *dpath)
{
    char fp[256];
    const char *stored = um->ck.fingerprint;
    if (!stored[0] || snf_train_fingerprint(dpath, fp, sizeof fp) < 0) {
        snf_error_clear();
        return; /* no fingerprint stored (an older file) or none computed: nothing to say */
    }
    const size_t n = strcspn(fp, ";"); /* "data=<digest>" */
    if (strncmp(stored, fp, n) == 0 && (stored[n] == ';' || stored[n] == '\0')) {
        fprintf(stderr, "snforge evaluate: note: %s is the dataset %s was trained on (its data fingerprint matches): "
                        "these scores include its training and validation rows, not only held-out ones (the model's "
                        "test figures, on rows it never saw, are the ones train printed)\n", dpath, mpath);
    }
}

/* metrics.csv, parity.csv and reliability.csv, staged in o and replaced together; the two plots; the summary
 * line on stderr. Returns the exit code. */
static int snf_eval_write(snf_output *o, const snf_eval_result *r, const snf_uq_model *um, const char *mpath,
                          const char *dpath, int plot)
{
    char mcsv[4200], pcsv[4200], png[4200], rcsv[4200], rpng[4200];
    snf_output_path(o, "reliability.csv", rcsv, sizeof rcsv);
    snf_output_path(o, "reliability.png", rpng, sizeof rpng);
    snf_output_path(o, "metrics.csv", mcsv, sizeof mcsv);
    snf_output_path(o, "parity.csv", pcsv, sizeof pcsv);
    snf_output_path(o, "parity.png", png, sizeof png);
    int rc = snf_eval_write_metrics(o, "metrics.csv", &r->m, &r->base, r->cal, r->kmape, r->kn);
    if (rc >= 0) {
        rc = snf_eval_write_parity(o, "parity.csv", r->rows, r->truth, r->pred, r->band, um->has_ood ? r->oodp : NULL,
                                   r->n);
    }
    if (rc >= 0) {
        rc = snf_eval_write_reliability(o, "reliability.csv", r->pit, r->n);
    }
    if (rc >= 0) {
        rc = snf_output_commit(o);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s (the earlier files in %s are untouched)\n", snf_error_last_message(),
                o->path);
        return 1;
    }
    char title[2200]; /* the model and the dataset it is scored on */
    snprintf(title, sizeof title, "model %s on dataset %s (%ld rows)", mpath, dpath, r->n);
    int have_png = plot ? snf_cli_plot("SNF_PLOT_PARITY", "plot_parity.py", pcsv, png, title) == 0 : 0;
    int have_rpng = plot ? snf_cli_plot("SNF_PLOT_RELIABILITY", "plot_reliability.py", rcsv, rpng, title) == 0 : 0;
    double mm = 0, mb = 0;
    for (int p = 0; p < SNF_DATA_NP; p++) {
        mm += r->m.mape[p] / SNF_DATA_NP;
        mb += r->base.mape[p] / SNF_DATA_NP;
    }
    fprintf(stderr, "snforge evaluate: %s on %s: %ld rows (%ld skipped), mean MAPE %.2f%% (baseline %.2f%%); wrote "
                    "%s, %s, %s%s%s%s%s\n", mpath, dpath, r->n, r->skipped, mm, mb, mcsv, pcsv, rcsv,
            have_png ? ", " : "", have_png ? png : "", have_rpng ? ", " : "", have_rpng ? rpng : "");
    snf_eval_note_training(um, mpath, dpath);
    return 0;
}

/* ---- the subcommand ---- */

int snf_cmd_evaluate(int argc, char **argv)
{
    enum { OPT_MAXROWS = 1000, OPT_NOPLOT, OPT_UNCAL };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"max-rows", required_argument, NULL, OPT_MAXROWS}, {"no-plot", no_argument, NULL, OPT_NOPLOT},
        {"uncalibrated", no_argument, NULL, OPT_UNCAL},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *dir = ".";
    long threads = 0, max_rows = 16384;
    int plot = 1, calibrated = 1;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:h", opts, NULL)) != -1;) {
        char *end;
        switch (ch) {
        case 'o': dir = optarg; break;
        case 't':
            if (snf_cli_parse_threads("evaluate", optarg, &threads) != 0) {
                return 2;
            }
            break;
        case OPT_MAXROWS:
            max_rows = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || max_rows < 1) {
                fprintf(stderr, "snforge evaluate: --max-rows expects a positive integer, got '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_NOPLOT: plot = 0; break;
        case OPT_UNCAL: calibrated = 0; break;
        case 'h': snf_evaluate_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "evaluate");
        }
    }
    if (snf_cli_expect_operands("evaluate", argc, 2, "MODEL.h5 DATA.h5")) {
        return 2;
    }
    const char *mpath = argv[optind], *dpath = argv[optind + 1];
    snf_threads_setup((int)threads);
    snf_output owner; /* DIR.lock from the start: a second evaluate into DIR refuses at once */
    int rc = snf_output_begin(&owner, dir, 1);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    snf_uq_model um;
    rc = snf_uq_model_open(&um, mpath, SNF_EVAL_BATCH);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        snf_output_end(&owner);
        return snf_status_exit_code(rc);
    }
    snf_eval_result r;
    int code = 0;
    rc = snf_eval_dataset(&r, &um, dpath, max_rows, calibrated);
    if (rc < 0) { /* a dataset that cannot be read is bad input (2), a failure while scoring it is 1 */
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        code = r.read_failed && (rc == SNF_EHDF5 || rc == SNF_EFORMAT || rc == SNF_EINVAL) ? 2 : 1;
    } else {
        snf_eval_print(&r, &um, calibrated);
        code = snf_eval_write(&owner, &r, &um, mpath, dpath, plot);
    }
    snf_output_end(&owner);
    snf_eval_result_free(&r);
    snf_uq_model_free(&um);
    return code;
}
