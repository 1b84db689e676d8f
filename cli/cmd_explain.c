/* cmd_explain.c: `snforge explain MODEL.h5 DATA.h5|OBS.csv -o DIR`: per-day importance of each series for
 * each parameter (explain.h: integrated gradients and occlusion), averaged over the objects, as
 * DIR/explain.csv, DIR/phases.csv, DIR/summary.md and DIR/explain.png (infer/plot_explain.py). */
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
#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

static const char *const snf_xp_ser[SNF_SERIES_COUNT] = {"L", "vph"};

static void snf_explain_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge explain MODEL.h5 DATA.h5|OBS.csv [-o DIR] [--rows N] [--steps S] [--window W]\n"
            "                       [--stride S] [--threads N] [--no-plot]\n\n"
            "Which days of which series each parameter's prediction rests on, for one observation file or\n"
            "averaged over N rows of a dataset file (spread evenly through its usable rows):\n"
            "  integrated gradients (Sundararajan et al. 2017) from the all-missing input (every series at\n"
            "  its training mean, mask 0) along a slightly bowed path (explain.h), S midpoint steps, gradients\n"
            "  by central differences; per grid day\n"
            "  the |attribution| of the series' value and mask channels together, in dex of log10 parameter;\n"
            "  occlusion: W-sample windows of one series set to missing, slid by the stride; per day the mean\n"
            "  |change| of the prediction (dex) over the windows covering it.\n"
            "Phases per object from its own luminosity: early (< 30 d), rise, peak (+-10 d of the brightest\n"
            "sample), fall (to 15 d after the steepest decline), tail.\n\n"
            "options:\n"
            "  -o, --output DIR   folder for explain.csv, phases.csv, summary.md, explain.png (default .)\n"
            "      --rows N       dataset rows to average over (default 16)\n"
            "      --steps S      integrated-gradient steps (default 64)\n"
            "      --window W     occlusion window in grid samples (default L/10)\n"
            "      --stride S     occlusion stride (default W/2)\n"
            "  -t, --threads N    OpenMP threads\n"
            "      --no-plot      no PNG\n"
            "  -h, --help         this text\n\n"
            "Output: the phase summary on stdout; completeness of the attributions (sum vs the output change)\n"
            "on stderr. Exit status: 0 success, 1 the work failed, 2 bad input.\n");
}

static int snf_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* Encoded rows of the input: one observation, or n rows of a dataset. *x malloc'd. */
static int snf_explain_load(const snf_uq_model *m, const char *in, long want, float **x, long *n)
{
    const snf_data_spec *s = &m->ck.spec;
    const size_t CL = (size_t)snf_data_spec_cin(s) * s->L;
    int rc;
    if (snf_has_suffix(in, ".csv")) {
        *x = malloc(CL * sizeof **x);
        if (!*x) {
            SNF_ERROR(SNF_ENOMEM, "out of memory");
        }
        rc = snf_infer_encode_file(m, in, *x, NULL);
        if (rc < 0) {
            free(*x);
            *x = NULL;
            return rc;
        }
        *n = 1;
        return SNF_OK;
    }
    snf_data *d = NULL;
    long *rows = NULL, nr = 0, skipped = 0;
    rc = snf_data_open(&d, in, s, 1024);
    if (rc >= 0) {
        rc = snf_data_usable_rows(d, &rows, &nr, &skipped);
    }
    if (rc >= 0 && nr == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s has no usable rows", in);
    }
    if (rc >= 0) {
        long k = want < nr ? want : nr;
        for (long i = 0; i < k; i++) {
            rows[i] = rows[(long)((double)i * nr / k)];
        }
        *x = malloc((size_t)k * CL * sizeof **x);
        rc = *x ? snf_data_load(d, &m->ck.norm, rows, k, *x, NULL) : SNF_ENOMEM;
        *n = k;
    }
    free(rows);
    snf_data_close(d);
    return rc;
}

/* explain.csv, phases.csv and summary.md, staged in out and replaced together; the phase table on stdout,
 * completeness on stderr, the plot. Returns the exit code. */
static int snf_explain_write(snf_output *out, const snf_explain_avg *a, const snf_uq_model *m, const char *mpath,
                             const char *in, long n, long steps, long win, long stride, int plot)
{
    const snf_data_spec *sp = &m->ck.spec;
    const int T = sp->L, NP = SNF_DATA_NP;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds);
    char csv[4200], pcsv[4200], md[4200], png[4200];
    snf_output_path(out, "explain.csv", csv, sizeof csv);
    snf_output_path(out, "phases.csv", pcsv, sizeof pcsv);
    snf_output_path(out, "summary.md", md, sizeof md);
    snf_output_path(out, "explain.png", png, sizeof png);
    FILE *f = snf_output_open_file(out, "explain.csv"), *g = f ? snf_output_open_file(out, "phases.csv") : NULL,
         *h = g ? snf_output_open_file(out, "summary.md") : NULL;
    if (!f || !g || !h) {
        fprintf(stderr, "snforge explain: %s\n", snf_error_last_message());
        if (f) fclose(f);
        if (g) fclose(g);
        return 1;
    }
    fprintf(f, "t_d");
    for (int k = 0; k < NP; k++) {
        for (int s = 0; s < ns; s++) {
            fprintf(f, ",ig_%s_%s,occ_%s_%s", snf_param_name(k), snf_xp_ser[kinds[s]], snf_param_name(k), snf_xp_ser[kinds[s]]);
        }
    }
    fprintf(f, "\n");
    for (int t = 0; t < T; t++) {
        fprintf(f, "%.6g", snf_data_spec_time(sp, t));
        for (int k = 0; k < NP; k++) {
            for (int s = 0; s < ns; s++) {
                fprintf(f, ",%.6g,%.6g", a->ig_day[((size_t)k * ns + s) * T + t], a->oc_day[((size_t)k * ns + s) * T + t]);
            }
        }
        fprintf(f, "\n");
    }
    fprintf(g, "parameter,method,early,rise,peak,fall,tail\n");
    fprintf(h, "# snforge explain %s %s\n\n%ld object(s); integrated gradients (%ld steps, all-missing baseline) and "
               "occlusion (%ld-sample windows, stride %ld); share of the per-day importance by phase (%%).\n\n"
               "| parameter | method | early | rise | peak | fall | tail | most |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
            mpath, in, n, steps, win, stride);
    printf("share of importance by phase (%%), %ld object(s):\nparameter method       early  rise  peak  fall  tail  most\n", n);
    for (int k = 0; k < NP; k++) {
        for (int meth = 0; meth < 2; meth++) {
            const char *mn = meth ? "occlusion" : "integrated-gradients";
            int best = 0;
            for (int p = 1; p < SNF_EXPLAIN_NPHASE; p++) {
                best = a->frac[meth][k][p] > a->frac[meth][k][best] ? p : best;
            }
            fprintf(g, "%s,%s", snf_param_name(k), mn);
            fprintf(h, "| %s | %s", snf_param_name(k), mn);
            printf("%-9s %-10s", snf_param_name(k), meth ? "occlusion" : "IG");
            for (int p = 0; p < SNF_EXPLAIN_NPHASE; p++) {
                fprintf(g, ",%.4f", 100 * a->frac[meth][k][p]);
                fprintf(h, " | %.1f", 100 * a->frac[meth][k][p]);
                printf(" %5.1f", 100 * a->frac[meth][k][p]);
            }
            fprintf(g, "\n");
            fprintf(h, " | %s |\n", snf_explain_phase_name(best));
            printf("  %s\n", snf_explain_phase_name(best));
        }
    }
    fprintf(h, "\nCompleteness: the attributions sum to the output change within %.2g (relative, worst object "
               "and parameter).\n", a->worst);
    int wrc = snf_output_close_file(out, f, "explain.csv");
    int wrc2 = snf_output_close_file(out, g, "phases.csv");
    int wrc3 = snf_output_close_file(out, h, "summary.md");
    if (wrc >= 0 && wrc2 >= 0 && wrc3 >= 0) {
        wrc = snf_output_commit(out); /* every file written: only now are the earlier ones replaced */
    }
    if (wrc < 0 || wrc2 < 0 || wrc3 < 0) {
        fprintf(stderr, "snforge explain: %s (the earlier files in %s are untouched)\n", snf_error_last_message(),
                out->path);
        return 1;
    }
    int have_png = 0; /* the plot first, so that the closing line lists every file written */
    if (plot) {
        char title[2200]; /* the model and the object or dataset explained */
        snprintf(title, sizeof title, "model %s on %s (%ld %s)", mpath, in, n, n == 1 ? "object" : "rows averaged");
        have_png = snf_cli_plot("SNF_PLOT_EXPLAIN", "plot_explain.py", csv, png, title) == 0;
    }
    fprintf(stderr, "snforge explain: completeness: attributions sum to F(x) - F(baseline) within %.2g (relative, "
                    "worst); wrote %s, %s, %s%s%s\n", a->worst, csv, pcsv, md, have_png ? ", " : "", have_png ? png : "");
    return 0;
}

static void snf_explain_progress(long done, long n, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "\rsnforge explain: %ld/%ld objects", done, n);
}

/* ---- the subcommand ---- */

int snf_cmd_explain(int argc, char **argv)
{
    enum { O_ROWS = 1000, O_STEPS, O_WIN, O_STRIDE, O_NOPLOT };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"rows", required_argument, NULL, O_ROWS}, {"steps", required_argument, NULL, O_STEPS},
        {"window", required_argument, NULL, O_WIN}, {"stride", required_argument, NULL, O_STRIDE},
        {"no-plot", no_argument, NULL, O_NOPLOT}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *dir = ".";
    long threads = 0, nrows = 16, steps = 64, win = 0, stride = 0;
    int plot = 1;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:h", opts, NULL)) != -1;) {
        int bad = 0;
        switch (ch) {
        case 'o': dir = optarg; break;
        case 't': bad = snf_cli_parse_threads("explain", optarg, &threads); break;
        case O_ROWS: bad = snf_cli_parse_long("explain", "--rows", optarg, 1, 100000, &nrows); break;
        case O_STEPS: bad = snf_cli_parse_long("explain", "--steps", optarg, 1, 10000, &steps); break;
        case O_WIN: bad = snf_cli_parse_long("explain", "--window", optarg, 1, 100000, &win); break;
        case O_STRIDE: bad = snf_cli_parse_long("explain", "--stride", optarg, 1, 100000, &stride); break;
        case O_NOPLOT: plot = 0; break;
        case 'h': snf_explain_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "explain");
        }
        if (bad) {
            return 2;
        }
    }
    if (snf_cli_expect_operands("explain", argc, 2, "MODEL.h5 DATA.h5|OBS.csv")) {
        return 2;
    }
    const char *mpath = argv[optind], *in = argv[optind + 1];
    snf_threads_setup((int)threads);
    snf_output out; /* the folder's owner: locked now, its three files replaced together at the end */
    int rc = snf_output_begin(&out, dir, 1);
    if (rc < 0) {
        fprintf(stderr, "snforge explain: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    snf_uq_model m;
    rc = snf_uq_model_open(&m, mpath, 64);
    if (rc < 0) {
        fprintf(stderr, "snforge explain: %s\n", snf_error_last_message());
        snf_output_end(&out);
        return snf_status_exit_code(rc);
    }
    const int T = m.ck.spec.L;
    if (win == 0) {
        win = T / 10 > 0 ? T / 10 : 1;
    }
    if (win > T) {
        fprintf(stderr, "snforge explain: --window %ld is longer than the model's %d samples\n", win, T);
        snf_uq_model_free(&m);
        snf_output_end(&out);
        return 2;
    }
    if (stride == 0) {
        stride = win / 2 > 0 ? win / 2 : 1;
    }
    float *x = NULL;
    long n = 0;
    int code = 0;
    snf_explain_avg avg = {0};
    rc = snf_explain_load(&m, in, nrows, &x, &n);
    if (rc < 0) {
        fprintf(stderr, "snforge explain: %s\n", snf_error_last_message());
        code = snf_status_exit_code(rc);
        goto cleanup;
    }
    rc = snf_explain_average(&m, x, n, (int)steps, (int)win, (int)stride, &avg, snf_explain_progress, NULL);
    if (rc < 0) {
        fprintf(stderr, "snforge explain: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    fprintf(stderr, "\n");
    code = snf_explain_write(&out, &avg, &m, mpath, in, n, steps, win, stride, plot);
cleanup:
    snf_output_end(&out);
    free(x);
    snf_explain_avg_free(&avg);
    snf_uq_model_free(&m);
    return code;
}
