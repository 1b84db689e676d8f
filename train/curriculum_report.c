/* curriculum_report.c: the curriculum's table. Reads each variant's per-fold scores (MAPE per parameter
 * of the fold's test models), gives the mean and the sample standard deviation over folds, scores the
 * external test set (first read here) with the mean of log10 predictions of the variant's fold models,
 * and writes results.csv (row,split,energy,mass,radius,nickel) and results.md with Grassia et al. (2024)'s
 * figures beside ours. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curriculum_internal.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

enum { SNF_R_SASA = 0, SNF_R_SAHYDRO = 1, SNF_R_CURR = 2, SNF_R_N = 3 };

typedef struct snf_vscores {
    double mape[SNF_CURR_MAX_FOLDS][SNF_R_N][SNF_DATA_NP];
    long n[SNF_CURR_MAX_FOLDS][SNF_R_N];
    double mean[SNF_R_N][SNF_DATA_NP], std[SNF_R_N][SNF_DATA_NP];
    int have_ext;
    double ext[SNF_R_N][SNF_DATA_NP];
    long n_ext;
} snf_vscores;

/* Paper (Grassia, Mangioni, Cosentino & Pumo 2024), MAPE % in our order energy, mass, radius, nickel. */
static const double snf_paper_sa_hydro[SNF_DATA_NP] = {193, 48, 98, 186};
static const double snf_paper_curr[SNF_DATA_NP] = {41, 20, 61, 39};

static int snf_read_scores(const char *path, snf_vscores *s, int f)
{
    char *buf = NULL, line[1024];
    size_t len = 0;
    SNF_CHECK(snf_text_slurp_sealed(path, "fold scores", &buf, &len)); /* a damaged fold is refused */
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *l;
    size_t ln;
    int got = 0;
    while (snf_text_next(&it, &l, &ln)) {
        snprintf(line, sizeof line, "%.*s", (int)ln, l);
        char name[64];
        long n;
        double m[SNF_DATA_NP];
        if (sscanf(line, "%63[^,],%ld,%lf,%lf,%lf,%lf", name, &n, &m[0], &m[1], &m[2], &m[3]) != 6) {
            continue;
        }
        int r = !strcmp(name, "sa_sa") ? SNF_R_SASA : !strcmp(name, "sa_hydro") ? SNF_R_SAHYDRO
                : !strcmp(name, "curriculum") ? SNF_R_CURR : -1;
        if (r >= 0) {
            memcpy(s->mape[f][r], m, sizeof m);
            s->n[f][r] = n;
            got |= 1 << r;
        }
    }
    free(buf);
    if (got != 7) {
        SNF_ERROR(SNF_EFORMAT, "%s: incomplete scores (remove the fold's folder to recompute it)", path);
    }
    return SNF_OK;
}

/* The external test set scored with the mean of log10 predictions of the variant's fold models. */
static int snf_external(const snf_curr_config *c, const snf_curr_variant *v, const char *vdir, const char *test,
                        snf_vscores *s)
{
    snf_ckpt ck;
    memset(&ck, 0, sizeof ck);
    snf_rows ext, hyd;
    memset(&ext, 0, sizeof ext);
    memset(&hyd, 0, sizeof hyd);
    double *acc[2] = {NULL, NULL}, *pred = NULL;
    char p[1400];
    snprintf(p, sizeof p, "%s/fold1/stage1.h5", vdir);
    int rc = snf_ckpt_read(&ck, p);
    if (rc < 0) {
        return rc;
    }
    snf_norm norm = ck.norm;
    snf_ckpt_free(&ck);
    if ((rc = snf_rows_load(&ext, test, &v->spec, &norm, NULL, 0)) < 0 ||
        (rc = snf_rows_load(&hyd, c->hydro_file, &v->spec, &norm, NULL, 0)) < 0) {
        goto cleanup;
    }
    if (ext.n < 1) {
        SNF_FAIL(SNF_EINVAL, "%s has no usable models to test on", test);
    }
    if ((rc = snf_curr_observe_rows(c, v, &norm, &ext)) < 0) { /* [observe]: scored as drawn once, as the folds' */
        goto cleanup;
    }
    /* Disjoint from every hydro model of the experiment (each trains or selects in some fold). */
    for (long i = 0; i < ext.n; i++) {
        for (long j = 0; j < hyd.n; j++) {
            int same = 1;
            for (int q = 0; q < SNF_DATA_NP; q++) {
                double a = ext.params[i * SNF_DATA_NP + q], b = hyd.params[j * SNF_DATA_NP + q];
                same &= fabs(a - b) <= 1e-5 * fabs(b);
            }
            if (same) {
                SNF_FAIL(SNF_EINVAL, "--test %s: model row %ld has the parameters of hydro model row %ld of %s: an "
                         "external test set must hold other models", test, ext.ids[i], hyd.ids[j], c->hydro_file);
            }
        }
    }
    size_t m = (size_t)ext.n * SNF_DATA_NP;
    acc[0] = calloc(m, sizeof(double));
    acc[1] = calloc(m, sizeof(double));
    pred = malloc(m * sizeof(double));
    if (!acc[0] || !acc[1] || !pred) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    for (int f = 0; f < c->folds; f++) {
        for (int st = 0; st < 2; st++) {
            snprintf(p, sizeof p, "%s/fold%d/stage%d.h5", vdir, f + 1, st + 1);
            snf_metrics mm;
            if ((rc = snf_ckpt_read(&ck, p)) < 0 || (rc = snf_transfer_score(&ck, &ext, &mm, pred)) < 0) {
                goto cleanup;
            }
            snf_ckpt_free(&ck);
            for (size_t k = 0; k < m; k++) {
                acc[st][k] += log10(pred[k]) / c->folds;
            }
        }
    }
    for (int st = 0; st < 2; st++) {
        for (size_t k = 0; k < m; k++) {
            pred[k] = pow(10.0, acc[st][k]);
        }
        snf_metrics mm;
        if ((rc = snf_metrics_compute(&mm, ext.params, pred, ext.n)) < 0) {
            goto cleanup;
        }
        memcpy(s->ext[st ? SNF_R_CURR : SNF_R_SAHYDRO], mm.mape, sizeof mm.mape);
    }
    s->have_ext = 1;
    s->n_ext = ext.n;
cleanup:
    snf_ckpt_free(&ck);
    snf_rows_free(&ext);
    snf_rows_free(&hyd);
    free(acc[0]);
    free(acc[1]);
    free(pred);
    return rc;
}

static size_t snf_csv_row(char *o, const char *row, const char *split, const double *m)
{
    return (size_t)sprintf(o, "%s,%s,%.4f,%.4f,%.4f,%.4f\n", row, split, m[0], m[1], m[2], m[3]);
}

static size_t snf_md_cells(char *o, const double *mean, const double *std)
{
    size_t k = 0;
    for (int q = 0; q < SNF_DATA_NP; q++) {
        k += (size_t)sprintf(o + k, std ? " %.1f ± %.1f |" : " %.1f |", mean[q], std ? std[q] : 0.0);
    }
    return k;
}

/* ---- internal API ---- */

int snf_curr_report(const snf_curr_config *c, const snf_curr_options *opt)
{
    int rc = SNF_OK;
    const int K = c->folds, NV = c->nvariants;
    snf_vscores *s = calloc((size_t)NV, sizeof *s);
    size_t cap = 65536 + (size_t)NV * (size_t)(K + 4) * 600;
    char *csv = malloc(cap), *md = malloc(cap);
    if (!s || !csv || !md) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for the table");
    }
    for (int v = 0; v < NV; v++) {
        char vdir[1200], p[1400];
        snprintf(vdir, sizeof vdir, "%s/%s", opt->out_dir, c->variants[v].name);
        for (int f = 0; f < K; f++) {
            snprintf(p, sizeof p, "%s/fold%d/scores.csv", vdir, f + 1);
            if ((rc = snf_read_scores(p, &s[v], f)) < 0) {
                goto cleanup;
            }
        }
        for (int r = 0; r < SNF_R_N; r++) {
            for (int q = 0; q < SNF_DATA_NP; q++) {
                double sum = 0, ss = 0;
                for (int f = 0; f < K; f++) {
                    sum += s[v].mape[f][r][q];
                }
                double mean = sum / K;
                for (int f = 0; f < K; f++) {
                    ss += (s[v].mape[f][r][q] - mean) * (s[v].mape[f][r][q] - mean);
                }
                s[v].mean[r][q] = mean;
                s[v].std[r][q] = sqrt(ss / (K - 1));
            }
        }
        if (opt->test_file && (rc = snf_external(c, &c->variants[v], vdir, opt->test_file, &s[v])) < 0) {
            goto cleanup;
        }
    }
    /* results.csv */
    size_t k = (size_t)sprintf(csv, "row,split,energy,mass,radius,nickel\n");
    for (int v = 0; v < NV; v++) {
        int r0 = v == 0 ? SNF_R_SASA : SNF_R_CURR;
        for (int r = r0; r < SNF_R_N; r++) {
            const char *row = v > 0 ? c->variants[v].name : r == SNF_R_SASA ? "sa_sa" : r == SNF_R_SAHYDRO ? "sa_hydro"
                                                                                                            : "curriculum";
            char split[16];
            for (int f = 0; f < K; f++) {
                snprintf(split, sizeof split, "%d", f + 1);
                k += snf_csv_row(csv + k, row, split, s[v].mape[f][r]);
            }
            k += snf_csv_row(csv + k, row, "mean", s[v].mean[r]);
            k += snf_csv_row(csv + k, row, "std", s[v].std[r]);
            if (s[v].have_ext && r != SNF_R_SASA) {
                k += snf_csv_row(csv + k, row, "external", s[v].ext[r]);
            }
        }
    }
    char p[1400];
    snprintf(p, sizeof p, "%s/results.csv", opt->out_dir);
    if ((rc = snf_curr_write_atomic(p, csv)) < 0) {
        goto cleanup;
    }
    /* results.md */
    const snf_curr_variant *b = &c->variants[0];
    k = (size_t)sprintf(md, "# Curriculum transfer: semi-analytic -> hydro models (k = %d folds)\n\n"
                            "Made by `snforge curriculum %s`. MAPE in percent of the linear parameter, mean ± sample "
                            "standard deviation over the %d folds (every hydro model of `%s` tested exactly once, in "
                            "the fold where it was neither trained on nor used for selection). Single split = fold 1 "
                            "alone. Paper: Grassia, Mangioni, Cosentino & Pumo (2024).\n\n",
                        K, c->path, K, c->hydro_file);
    k += (size_t)sprintf(md + k, "| row | energy | mass | radius | nickel | single split (E / M / R / Ni) | paper "
                                 "(E / M / R / Ni) |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for (int v = 0; v < NV; v++) {
        int r0 = v == 0 ? SNF_R_SASA : SNF_R_CURR;
        for (int r = r0; r < SNF_R_N; r++) {
            const char *row = v > 0 ? c->variants[v].name : r == SNF_R_SASA ? "sa_sa" : r == SNF_R_SAHYDRO ? "sa_hydro"
                                                                                                            : "curriculum";
            k += (size_t)sprintf(md + k, "| %s |", row);
            k += snf_md_cells(md + k, s[v].mean[r], s[v].std[r]);
            const double *f1 = s[v].mape[0][r];
            k += (size_t)sprintf(md + k, " %.1f / %.1f / %.1f / %.1f |", f1[0], f1[1], f1[2], f1[3]);
            if (v == 0 && r == SNF_R_SASA) {
                k += (size_t)sprintf(md + k, " < 1 (all four) |\n");
            } else if (v == 0 && r == SNF_R_SAHYDRO) {
                const double *q = snf_paper_sa_hydro;
                k += (size_t)sprintf(md + k, " %.0f / %.0f / %.0f / %.0f |\n", q[0], q[1], q[2], q[3]);
            } else if (v == 0) {
                const double *q = snf_paper_curr;
                k += (size_t)sprintf(md + k, " %.0f / %.0f / %.0f / %.0f |\n", q[0], q[1], q[2], q[3]);
            } else {
                k += (size_t)sprintf(md + k, " - |\n");
            }
        }
    }
    if (s[0].have_ext) {
        k += (size_t)sprintf(md + k, "\nExternal test set `%s` (%ld models, read only after every fold was done; "
                                     "prediction = mean of log10 predictions of the %d fold models):\n\n| row | "
                                     "energy | mass | radius | nickel |\n| --- | --- | --- | --- | --- |\n",
                             opt->test_file, s[0].n_ext, K);
        for (int v = 0; v < NV; v++) {
            for (int r = v == 0 ? SNF_R_SAHYDRO : SNF_R_CURR; r < SNF_R_N; r++) {
                k += (size_t)sprintf(md + k, "| %s |", v > 0 ? c->variants[v].name : r == SNF_R_SAHYDRO ? "sa_hydro"
                                                                                                         : "curriculum");
                k += snf_md_cells(md + k, s[v].ext[r], NULL);
                k += (size_t)sprintf(md + k, "\n");
            }
        }
    }
    k += (size_t)sprintf(md + k, "\nRows: `sa_sa` stage-1 model on held-out semi-analytic rows; `sa_hydro` the same "
                                 "model (trained on semi-analytic rows only, epoch selected on the fold's hydro "
                                 "validation models) on the fold's hydro test models; `curriculum` after stage 2 "
                                 "(fine-tuned on the fold's hydro training models); each ablation row is the "
                                 "curriculum row of the experiment with that change (config section "
                                 "[ablation.NAME]).\n\n| fold | test models | sa_hydro E / M / R / Ni | curriculum "
                                 "E / M / R / Ni |\n| --- | --- | --- | --- |\n");
    for (int f = 0; f < K; f++) {
        const double *a = s[0].mape[f][SNF_R_SAHYDRO], *d = s[0].mape[f][SNF_R_CURR];
        k += (size_t)sprintf(md + k, "| %d | %ld | %.1f / %.1f / %.1f / %.1f | %.1f / %.1f / %.1f / %.1f |\n", f + 1,
                             s[0].n[f][SNF_R_CURR], a[0], a[1], a[2], a[3], d[0], d[1], d[2], d[3]);
    }
    k += (size_t)sprintf(md + k, "\nBase settings: stage 1 %d epochs, batch %d, lr %g, patience %d; stage 2 %d "
                                 "epochs, batch %d, lr %g, patience %d, %d frozen modules, semi-analytic share %.2f; "
                                 "input %s, L %d over days %g-%g.\n", b->s1.epochs, b->s1.batch, b->s1.lr,
                         b->s1.patience, b->s2.epochs, b->s2.batch, b->s2.lr, b->s2.patience, b->s2.freeze,
                         b->s2.mix_share, snf_data_channels_name(b->spec.channels), b->spec.L, b->spec.t_start_d,
                         b->spec.t_end_d);
    /* a stage with recipe keys says so (a table made with a schedule or EMA must not read as the defaults') */
    const snf_curr_stage *st[2] = {&b->s1, &b->s2};
    for (int q = 0; q < 2; q++) {
        const snf_recipe *r = &st[q]->recipe;
        if (!snf_recipe_is_default(r)) {
            static const char *const names[] = {"constant", "plateau", "cosine", "onecycle"};
            k += (size_t)sprintf(md + k, "Stage %d recipe: schedule %s, warmup %g, lr_end %g, onecycle_div %g, "
                                         "clip_norm %g, ema %g.\n", q + 1,
                                 names[r->schedule >= 0 && r->schedule < 4 ? r->schedule : 0], (double)r->warmup,
                                 (double)r->lr_end, (double)r->onecycle_div, (double)r->clip_norm, (double)r->ema);
        }
    }
    snprintf(p, sizeof p, "%s/results.md", opt->out_dir);
    rc = snf_curr_write_atomic(p, md);
cleanup:
    free(s);
    free(csv);
    free(md);
    return rc;
}
