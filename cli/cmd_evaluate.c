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
#include "snforge/config.h"
#include "snforge/fileio.h"
#include "snforge/data.h"
#include "snforge/h5.h"
#include "snforge/keypoints.h"
#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/train.h"
#include "snforge/uq.h"

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

/* The key-point baseline (keypoints.h): each scored row's own light curve (/time, /log_lbol, /vph) through
 * snf_keypoints_compute, M_Ni from the 56Co tail and E, M, R0 from Popov (1993; kappa 0.34, T_ion 5054 K),
 * against the row's true parameters. kmape[p]: mean APE (%) over the rows with a finite estimate, i.e. in the
 * estimate's domain (keypoints.h: Popov's NaN on domes; NaN if none), kn[p] their count. Rows are read in file order, in blocks, each block's rows computed in parallel
 * (OpenMP; about 5 ms a row on a daily 300-day grid, measured). */
static const long *snf_eval_sort_rows; /* qsort's key: evaluate runs once per process */
static int snf_eval_cmp_rows(const void *a, const void *b)
{
    long ra = snf_eval_sort_rows[*(const long *)a], rb = snf_eval_sort_rows[*(const long *)b];
    return (ra > rb) - (ra < rb);
}

static int snf_eval_keypoints(const char *dpath, const long *prow, const double *truth, long n, double *kmape,
                              long *kn)
{
    enum { KB = 256 };
    double sum[SNF_DATA_NP] = {0};
    for (int p = 0; p < SNF_DATA_NP; p++) {
        kmape[p] = NAN;
        kn[p] = 0;
    }
    snf_dataset *ds = NULL;
    int rc = snf_dataset_open(&ds, dpath, 0);
    if (rc < 0) {
        return rc;
    }
    long N;
    int P, T;
    snf_dataset_dims(ds, &N, &P, &T);
    long *ord = malloc((size_t)n * sizeof *ord);
    double *t = malloc((size_t)T * sizeof *t), *est = malloc((size_t)KB * SNF_DATA_NP * sizeof *est);
    float *lg = malloc((size_t)KB * T * sizeof *lg), *vf = malloc((size_t)KB * T * sizeof *vf);
    if (!ord || !t || !est || !lg || !vf) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    if ((rc = snf_dataset_read_time(ds, t)) < 0) {
        goto done;
    }
    for (long i = 0; i < n; i++) { /* indices into prow, sorted into file order */
        ord[i] = i;
    }
    snf_eval_sort_rows = prow;
    qsort(ord, (size_t)n, sizeof *ord, snf_eval_cmp_rows);
    for (long i = 0; i < n;) {
        long row0 = prow[ord[i]], nb = N - row0 < KB ? N - row0 : KB;
        snf_dataset_rows rows = {.log_lbol = lg, .vph = vf};
        if (row0 < 0 || nb < 1) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: row %ld out of range", dpath, row0);
            goto done;
        }
        if ((rc = snf_dataset_read_rows(ds, row0, nb, &rows)) < 0) {
            goto done;
        }
        long i1 = i;
        while (i1 < n && prow[ord[i1]] < row0 + nb) {
            i1++;
        }
        const long m = i1 - i;
        int oom = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) reduction(| : oom)
#endif
        for (long q = 0; q < m; q++) { /* ~ms a row on a daily grid: the rows of a block in parallel */
            const long r = ord[i + q], off = (prow[r] - row0) * T;
            double *Lq = malloc((size_t)T * sizeof *Lq), *vq = malloc((size_t)T * sizeof *vq);
            if (!Lq || !vq) {
                oom = 1;
            } else {
                for (int k = 0; k < T; k++) {
                    Lq[k] = isfinite(lg[off + k]) ? pow(10.0, lg[off + k]) : NAN;
                    vq[k] = isfinite(vf[off + k]) ? vf[off + k] : NAN;
                }
                snf_keypoints kp;
                snf_keypoints_compute(&kp, t, Lq, NULL, vq, NULL, T, 0.34, 5054.0);
                est[q * SNF_DATA_NP + 0] = kp.energy_popov_foe;
                est[q * SNF_DATA_NP + 1] = kp.mass_popov_msun;
                est[q * SNF_DATA_NP + 2] = kp.radius_popov_cm;
                est[q * SNF_DATA_NP + 3] = kp.nickel_from_tail;
            }
            free(Lq);
            free(vq);
        }
        if (oom) {
            rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
            goto done;
        }
        for (long q = 0; q < m; q++) { /* summed in file order: the same figures for any thread count */
            const long r = ord[i + q];
            for (int p = 0; p < SNF_DATA_NP; p++) {
                const double tr = truth[r * SNF_DATA_NP + p], e = est[q * SNF_DATA_NP + p];
                if (isfinite(e) && tr > 0) {
                    sum[p] += 100.0 * fabs(e - tr) / tr;
                    kn[p]++;
                }
            }
        }
        i = i1;
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        kmape[p] = kn[p] ? sum[p] / (double)kn[p] : NAN;
    }
done:
    free(ord);
    free(t);
    free(est);
    free(lg);
    free(vf);
    snf_dataset_close(ds);
    return rc < 0 ? rc : 0;
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
    const int B = 64;
    snf_uq_model um;
    snf_data *d = NULL;
    snf_batcher *b = NULL;
    long *rows = NULL, *brow = NULL, *prow = NULL;
    double *truth = NULL, *pred = NULL, *band = NULL, *pit = NULL, *cmu = NULL, *cvar = NULL, *oodp = NULL;
    float *x = NULL, *y = NULL, *feat = NULL;
    int code = 0;
    snf_output owner; /* DIR.lock from the start: a second evaluate into DIR refuses at once */
    int rc = snf_output_begin(&owner, dir, 1);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    rc = snf_uq_model_open(&um, mpath, B);
    const snf_ckpt ck = um.ck; /* a shallow view */
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        snf_output_end(&owner);
        return snf_status_exit_code(rc);
    }
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
    const int K = snf_uq_model_ncomp(&um), NP = SNF_DATA_NP;
    size_t CL = (size_t)ck.net.C_in * ck.net.T;
    truth = malloc((size_t)n * SNF_DATA_NP * sizeof *truth);
    pred = malloc((size_t)n * SNF_DATA_NP * sizeof *pred);
    prow = malloc((size_t)n * sizeof *prow);
    brow = malloc((size_t)B * sizeof *brow);
    x = malloc((size_t)B * CL * sizeof *x);
    y = malloc((size_t)B * SNF_DATA_NP * sizeof *y);
    band = malloc((size_t)n * NP * 3 * sizeof *band);
    pit = malloc((size_t)n * NP * sizeof *pit);
    cmu = malloc((size_t)B * NP * K * sizeof *cmu);
    feat = malloc((size_t)B * snf_uq_model_nfeat(&um) * sizeof *feat);
    oodp = malloc((size_t)n * sizeof *oodp);
    cvar = malloc((size_t)B * NP * K * sizeof *cvar);
    if (!feat || !oodp || !band || !pit || !cmu || !cvar || !truth || !pred || !prow || !brow || !x || !y) {
        fprintf(stderr, "snforge evaluate: out of memory\n");
        code = 1;
        goto cleanup;
    }
    long done = 0, in68[SNF_DATA_NP] = {0}, in95[SNF_DATA_NP] = {0}, n_flag = 0;
    double nll[SNF_DATA_NP] = {0};
    int nb;
    while ((rc = snf_batcher_next(b, x, y, brow, &nb)) > 0) {
        rc = snf_uq_model_components(&um, x, nb, calibrated, cmu, cvar, um.has_ood ? feat : NULL);
        if (rc < 0) {
            break;
        }
        for (int k = 0; um.has_ood && k < nb; k++) {
            double d2 = snf_ood_d2(&um.ood, feat + (size_t)k * snf_uq_model_nfeat(&um));
            oodp[done + k] = snf_ood_pvalue(&um.ood, d2);
            n_flag += oodp[done + k] < um.ood_alpha || (um.ood.n_ref > 0 && d2 > um.ood.ref_d2[um.ood.n_ref - 1]);
        }
        for (int k = 0; k < nb; k++) {
            long r = done + k;
            snf_data_decode_targets(truth + r * NP, y + (size_t)k * NP, &ck.norm);
            prow[r] = brow[k];
            for (int p = 0; p < NP; p++) {
                const double *m = cmu + ((size_t)k * NP + p) * K, *v = cvar + ((size_t)k * NP + p) * K;
                snf_uq_param q = snf_uq_param_from_mixture(m, v, K);
                double tl = log10(truth[r * NP + p]);
                pred[r * NP + p] = pow(10.0, q.log10.mean);
                band[(r * NP + p) * 3 + 0] = q.std;
                band[(r * NP + p) * 3 + 1] = q.lo68;
                band[(r * NP + p) * 3 + 2] = q.hi68;
                pit[r * NP + p] = snf_mix_cdf(tl, m, v, K);
                in68[p] += tl >= q.log10.lo68 && tl <= q.log10.hi68;
                in95[p] += tl >= q.log10.lo95 && tl <= q.log10.hi95;
                nll[p] -= snf_mix_logpdf(tl, m, v, K);
            }
        }
        done += nb;
    }
    snf_calib cal[SNF_DATA_NP];
    for (int p = 0; p < NP; p++) {
        cal[p].n = done;
        cal[p].cover68 = done ? 100.0 * (double)in68[p] / (double)done : NAN;
        cal[p].cover95 = done ? 100.0 * (double)in95[p] / (double)done : NAN;
        cal[p].nll = done ? nll[p] / (double)done : NAN;
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    for (long i = 0; i < n * SNF_DATA_NP; i++) { /* checked before anything is printed */
        if (!isfinite(pred[i])) {
            fprintf(stderr, "snforge evaluate: the model gives a non-finite %s (%g) for row %ld of %s: the model file "
                            "%s may be damaged\n", snf_axis_name((snf_axis_target)(i % SNF_DATA_NP)), pred[i], prow[i / SNF_DATA_NP], dpath,
                    mpath);
            code = 1;
            goto cleanup;
        }
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
    double kmape[SNF_DATA_NP];
    long kn[SNF_DATA_NP];
    rc = snf_eval_keypoints(dpath, prow, truth, n, kmape, kn);
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: key-point baseline: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    printf("parameter  unit   MAPE%%   MdAPE%%  R2(log10)  baseline MAPE%%  cover68%%  cover95%%  NLL(log10)  "
           "keypoints MAPE%% (rows)\n");
    for (int p = 0; p < SNF_DATA_NP; p++) {
        char kcol[64];
        if (kn[p] > 0) {
            snprintf(kcol, sizeof kcol, "%.2f (%ld)", kmape[p], kn[p]);
        } else {
            snprintf(kcol, sizeof kcol, "- (0)");
        }
        printf("%-10s %-5s %7.2f %8.2f %9.4f %10.2f %14.1f %9.1f %10.3f  %14s\n", snf_axis_name((snf_axis_target)(p)),
               snf_axis_units((snf_axis_target)(p)), m.mape[p], m.mdape[p], m.r2[p], base.mape[p], cal[p].cover68,
               cal[p].cover95, cal[p].nll, kcol);
    }
    printf("keypoints: the light curve by itself (keypoints.h): M_Ni from the 56Co tail, E/M/R0 from Popov (1993, order "
           "of magnitude); each only on rows in its domain (Popov: plateaus; keypoints.h), their count in brackets\n");
    printf("uncertainty: %d member%s x %d dropout pass%s, %s head%s%s%s%s\n", um.members, um.members > 1 ? "s" : "",
           um.mc_samples, um.mc_samples > 1 ? "es" : "", ck.net.head == SNF_HEAD_GAUSSIAN ? "Gaussian" : "MSE",
           um.calibrated ? (calibrated ? ", calibrated" : ", calibration off (--uncalibrated)") : "",
           um.calibrated && um.calib_source[0] ? " (" : "", um.calibrated ? um.calib_source : "",
           um.calibrated && um.calib_source[0] ? ")" : "");
    if (um.has_ood) {
        printf("ood: %ld of %ld rows (%.1f%%) flagged unlike the training inputs (p < %.3g or beyond every "
               "validation row)\n", n_flag, done, done ? 100.0 * (double)n_flag / (double)done : 0.0,
               (double)um.ood_alpha);
    }
    char mcsv[4200], pcsv[4200], png[4200], rcsv[4200], rpng[4200];
    snf_output_path(&owner, "reliability.csv", rcsv, sizeof rcsv);
    snf_output_path(&owner, "reliability.png", rpng, sizeof rpng);
    snf_output_path(&owner, "metrics.csv", mcsv, sizeof mcsv);
    snf_output_path(&owner, "parity.csv", pcsv, sizeof pcsv);
    snf_output_path(&owner, "parity.png", png, sizeof png);
    rc = snf_eval_write_metrics(&owner, "metrics.csv", &m, &base, cal, kmape, kn);
    if (rc >= 0) {
        rc = snf_eval_write_parity(&owner, "parity.csv", prow, truth, pred, band, um.has_ood ? oodp : NULL, n);
    }
    if (rc >= 0) {
        rc = snf_eval_write_reliability(&owner, "reliability.csv", pit, n);
    }
    if (rc >= 0) {
        rc = snf_output_commit(&owner);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge evaluate: %s (the earlier files in %s are untouched)\n", snf_error_last_message(),
                owner.path);
        code = 1;
        goto cleanup;
    }
    char title[2200]; /* the model and the dataset it is scored on */
    snprintf(title, sizeof title, "model %s on dataset %s (%ld rows)", mpath, dpath, n);
    int have_png = plot ? snf_cli_plot("SNF_PLOT_PARITY", "plot_parity.py", pcsv, png, title) == 0 : 0;
    if (plot) {
        snf_cli_plot("SNF_PLOT_RELIABILITY", "plot_reliability.py", rcsv, rpng, title);
    }
    double mm = 0, mb = 0;
    for (int p = 0; p < SNF_DATA_NP; p++) {
        mm += m.mape[p] / SNF_DATA_NP;
        mb += base.mape[p] / SNF_DATA_NP;
    }
    fprintf(stderr, "snforge evaluate: %s on %s: %ld rows (%ld skipped), mean MAPE %.2f%% (baseline %.2f%%); wrote "
                    "%s, %s%s%s\n", mpath, dpath, n, skipped, mm, mb, mcsv, pcsv, have_png ? ", " : "",
            have_png ? png : "");
cleanup:
    snf_output_end(&owner);
    free(rows);
    free(brow);
    free(prow);
    free(truth);
    free(pred);
    free(x);
    free(y);
    free(band);
    free(feat);
    free(oodp);
    free(pit);
    free(cmu);
    free(cvar);
    snf_batcher_free(b);
    snf_data_close(d);
    snf_uq_model_free(&um);
    return code;
}
