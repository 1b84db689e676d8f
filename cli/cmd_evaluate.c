/* cmd_evaluate.c: `snforge evaluate MODEL.h5 DATA.h5 [-o DIR]`: scores a trained model on every usable row
 * (status >= 0) of a dataset file: per-parameter MAPE, median APE and R^2(log10), with the
 * predict-the-training-mean baseline beside them, printed and written to DIR/metrics.csv; the true and
 * predicted parameters of every row to DIR/parity.csv; DIR/parity.png through learn/plot_parity.py
 * (python3 + matplotlib; skipped with a note when they are missing). Rows stream in blocks. */
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
#include "snforge/config.h"
#include "snforge/data.h"
#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

static void snf_evaluate_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge evaluate MODEL.h5 DATA.h5 [-o DIR] [--threads N] [--max-rows N] [--no-plot]\n\n"
            "Scores MODEL.h5 (snforge train) on every usable row (status >= 0) of the dataset file DATA.h5:\n"
            "per parameter the mean and median absolute percentage error (linear parameter) and R^2 of\n"
            "log10, beside the predict-the-training-mean baseline. Writes DIR/metrics.csv, DIR/parity.csv\n"
            "(row, true and predicted value of each parameter) and DIR/parity.png (python3 + matplotlib,\n"
            "script learn/plot_parity.py from the data folder, Python $SNFORGE_PYTHON or /usr/bin/python3;\n"
            "skipped with a note if unavailable).\n\n"
            "options:\n"
            "  -o, --output DIR   folder for the CSV and PNG files (default: .; created if missing)\n"
            "  -t, --threads N    OpenMP threads\n"
            "      --max-rows N   rows encoded in memory at a time (default 16384)\n"
            "      --no-plot      do not call python for the PNG\n"
            "  -h, --help         this text\n\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, MODEL.h5, DATA.h5).\n");
}

static int snf_eval_write_metrics(const char *path, const snf_metrics *m, const snf_metrics *b)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        SNF_ERROR(SNF_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    fprintf(f, "parameter,unit,n,mape_pct,mdape_pct,r2_log10,baseline_mape_pct,baseline_mdape_pct\n");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        fprintf(f, "%s,%s,%ld,%.6g,%.6g,%.6g,%.6g,%.6g\n", snf_axis_name((snf_axis_target)p), snf_axis_units((snf_axis_target)p), m->n, m->mape[p],
                m->mdape[p], m->r2[p], b->mape[p], b->mdape[p]);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        SNF_ERROR(SNF_EIO, "cannot write %s", path);
    }
    return SNF_OK;
}

static int snf_eval_write_parity(const char *path, const long *rows, const double *truth, const double *pred,
                                 long n)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        SNF_ERROR(SNF_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    fprintf(f, "row");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        fprintf(f, ",%s_true,%s_pred", snf_axis_name((snf_axis_target)p), snf_axis_name((snf_axis_target)p));
    }
    fprintf(f, "\n");
    for (long i = 0; i < n; i++) {
        fprintf(f, "%ld", rows[i]);
        for (int p = 0; p < SNF_DATA_NP; p++) {
            fprintf(f, ",%.7g,%.7g", truth[i * SNF_DATA_NP + p], pred[i * SNF_DATA_NP + p]);
        }
        fprintf(f, "\n");
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        SNF_ERROR(SNF_EIO, "cannot write %s", path);
    }
    return SNF_OK;
}

/* Runs the plot script learn/plot_parity.py (found by the resource finder) on CSV -> PNG; 0 if the PNG was
 * written. */
static int snf_eval_plot(const char *csv, const char *png, const char *title)
{
    char script[4200];
    if (!snf_resource_find("learn/plot_parity.py", script, sizeof script)) {
        snf_resource_where("learn/plot_parity.py", script, sizeof script);
        fprintf(stderr, "snforge evaluate: note: no parity.png (%s)\n", script);
        return -1;
    }
    const char *python = snf_resource_python();
    const char *args[] = {csv, png, title, NULL};
    if (snf_resource_run_python(python, script, args) == 0) {
        return 0;
    }
    fprintf(stderr, "snforge evaluate: note: no parity.png (%s with matplotlib could not run %s; set %s; "
                    "the CSV files are written)\n", python, script, SNF_ENV_PYTHON);
    return -1;
}

/* ---- the subcommand ---- */

int snf_cmd_evaluate(int argc, char **argv)
{
    enum { OPT_MAXROWS = 1000, OPT_NOPLOT };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"max-rows", required_argument, NULL, OPT_MAXROWS}, {"no-plot", no_argument, NULL, OPT_NOPLOT},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *dir = ".";
    long threads = 0, max_rows = 16384;
    int plot = 1;
    optind = 1;
    opterr = 0;
    for (;;) {
        int ch = getopt_long(argc, argv, "o:t:h", opts, NULL);
        if (ch == -1) {
            break;
        }
        char *end;
        switch (ch) {
        case 'o': dir = optarg; break;
        case 't':
            if (snf_cli_parse_long("evaluate", "--threads", optarg, 1, 4096, &threads) != 0) {
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
        case 'h': snf_evaluate_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "evaluate");
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "snforge evaluate: expected MODEL.h5 DATA.h5, got %d arguments (see snforge evaluate "
                        "--help)\n", argc - optind);
        return 2;
    }
    const char *mpath = argv[optind], *dpath = argv[optind + 1];
    snf_threads_setup((int)threads);
    snf_ckpt ck;
    snf_data *d = NULL;
    snf_batcher *b = NULL;
    snf_it *net = NULL;
    long *rows = NULL, *prow = NULL;
    double *truth = NULL, *pred = NULL;
    int code = 0;
    int rc = snf_ckpt_read(&ck, mpath);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    const int B = 64;
    long n = 0, skipped = 0;
    rc = snf_data_open(&d, dpath, &ck.spec, 1024);
    if (rc >= 0) {
        rc = snf_data_usable_rows(d, &rows, &n, &skipped);
    }
    if (rc >= 0 && n == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s has no usable rows (status >= 0)", dpath);
    }
    if (rc >= 0) {
        rc = snf_batcher_alloc(&b, d, &ck.norm, rows, n, B, max_rows, 0, 0);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        code = rc == SNF_EHDF5 || rc == SNF_EFORMAT || rc == SNF_EINVAL ? 2 : 1;
        if (rc == SNF_ENOMEM) {
            code = 1;
        }
        goto cleanup;
    }
    rc = snf_ckpt_net(&ck, B, &net);
    truth = malloc((size_t)n * SNF_DATA_NP * sizeof *truth);
    pred = malloc((size_t)n * SNF_DATA_NP * sizeof *pred);
    prow = malloc((size_t)n * sizeof *prow);
    if (rc < 0 || !truth || !pred || !prow) {
        fprintf(stderr, "snforge evaluate: out of memory\n");
        code = 1;
        goto cleanup;
    }
    rc = snf_score_rows(net, b, &ck.norm, n, truth, pred, prow);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    snf_metrics m, base;
    rc = snf_metrics_compute(&m, truth, pred, n);
    if (rc >= 0) {
        rc = snf_metrics_baseline(&base, truth, n, &ck.norm);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: out of memory\n");
        code = 1;
        goto cleanup;
    }
    printf("parameter  unit   MAPE%%   MdAPE%%  R2(log10)  baseline MAPE%%\n");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        printf("%-10s %-5s %7.2f %8.2f %9.4f %10.2f\n", snf_axis_name((snf_axis_target)p), snf_axis_units((snf_axis_target)p), m.mape[p], m.mdape[p],
               m.r2[p], base.mape[p]);
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "snforge evaluate: -o %s: cannot create the folder: %s\n", dir, strerror(errno));
        code = 1;
        goto cleanup;
    }
    char mcsv[1100], pcsv[1100], png[1100];
    snprintf(mcsv, sizeof mcsv, "%s/metrics.csv", dir);
    snprintf(pcsv, sizeof pcsv, "%s/parity.csv", dir);
    snprintf(png, sizeof png, "%s/parity.png", dir);
    rc = snf_eval_write_metrics(mcsv, &m, &base);
    if (rc >= 0) {
        rc = snf_eval_write_parity(pcsv, prow, truth, pred, n);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    int have_png = plot ? snf_eval_plot(pcsv, png, mpath) == 0 : 0;
    double mm = 0, mb = 0;
    for (int p = 0; p < SNF_DATA_NP; p++) {
        mm += m.mape[p] / SNF_DATA_NP;
        mb += base.mape[p] / SNF_DATA_NP;
    }
    fprintf(stderr, "snforge evaluate: %s on %s: %ld rows (%ld skipped), mean MAPE %.2f%% (baseline %.2f%%); wrote "
                    "%s, %s%s%s\n", mpath, dpath, n, skipped, mm, mb, mcsv, pcsv, have_png ? ", " : "",
            have_png ? png : "");
cleanup:
    free(rows);
    free(prow);
    free(truth);
    free(pred);
    snf_it_free(net);
    snf_batcher_free(b);
    snf_data_close(d);
    snf_ckpt_free(&ck);
    return code;
}
