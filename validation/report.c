#define _POSIX_C_SOURCE 200809L /* mkdir, fileno */
/* report.c: the whole comparison of a hydro dataset file against the semi-analytic model: for every row
 * and closure, residuals by phase, peak differences and optionally a best fit; written as
 * residuals.csv, summary.csv, report.md and curves/<model>.csv (NAME.tmp, then renamed). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/validation.h"

/* ---- types ---- */

typedef struct snf_out_file {
    FILE *f;
    char path[4600]; /* the file being written (staged: its .tmp, or a file inside the staged curves folder) */
    int owned;       /* 1: staged by the output owner (snf_output_close_file); 0: plain, inside a staged folder */
    char name[256];
} snf_out_file;

/* Everything measured for one (model, closure). */
typedef struct snf_cmp_row {
    snf_valid_result r;
    snf_valid_fit fit;
} snf_cmp_row;

/* ---- static helpers ---- */

/* A file of the output: staged by the owner (summary, residuals, report), or written plainly inside the
 * staged curves folder (put in place whole at commit). */
static int snf_out_open(snf_out_file *o, snf_output *owner, const char *curves_dir, const char *name)
{
    snprintf(o->name, sizeof o->name, "%s", name);
    o->owned = curves_dir == NULL;
    if (o->owned) {
        o->f = snf_output_open_file(owner, name);
        snprintf(o->path, sizeof o->path, "%s/%s.tmp", owner->path, name);
        return o->f ? SNF_OK : SNF_EIO;
    }
    snprintf(o->path, sizeof o->path, "%s/%s", curves_dir, name);
    o->f = fopen(o->path, "w");
    if (!o->f) {
        SNF_ERROR(SNF_EIO, "cannot create '%s': %s", o->path, strerror(errno));
    }
    return SNF_OK;
}

static int snf_out_close(snf_output *owner, snf_out_file *o)
{
    FILE *f = o->f;
    o->f = NULL;
    if (o->owned) {
        return snf_output_close_file(owner, f, o->name);
    }
    if (fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        SNF_ERROR(SNF_EIO, "cannot write %s to disk (fsync): %s", o->path, strerror(e));
    }
    return snf_file_close_checked(f, o->path);
}

/* A file-name-safe model name from the row's status message (the run's path in the index). */
static void snf_model_name(char *out, size_t n, const char *msg, long i)
{
    size_t k = 0;
    for (const char *s = msg; *s && k + 1 < n; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
    if (k == 0 || out[0] == '.') {
        snprintf(out, n, "row%ld", i);
    }
}

static void snf_put(FILE *f, double x, const char *fmt)
{
    if (isfinite(x)) {
        fprintf(f, fmt, x);
    }
}

static double snf_median_of(double *x, int n, double *work)
{
    return snf_valid_stats_of(x, n, work).median;
}

static double snf_mean_of(double *x, int n, double *work)
{
    return snf_valid_stats_of(x, n, work).mean;
}

/* ---- the comparison, section by section ---- */

/* The comparison's state: the hydro file's rows, the model workspace and the results. */
typedef struct snf_cmp {
    const snf_valid_run_opts *o;
    snf_output *owner;    /* the output folder's owner: every file staged, put in place together */
    char curves[4300];    /* the staged curves folder (curves.tmp/) */
    long N;
    int P, T, C;
    double *t, *params, *L, *v, *Lf, *vf, *col, *work;
    float *lg, *vp;
    char *msg;
    char *left;   /* the runs left out (failed status), one Markdown list line each */
    long n_left;
    snf_cmp_row *rows;
    snf_model *m;
} snf_cmp;

/* Row i under every closure: residuals, the optional fit, and curves[T][C][4] (log L, v_ph, fitted log L,
 * fitted v_ph) for its curve file. */
static void snf_cmp_model(snf_cmp *x, long i, const snf_sn_params *psp, const float *lh, const float *vh,
                          double *curves)
{
    const snf_sn_params sp = *psp;
    const snf_valid_run_opts *o = x->o;
    const int T = x->T, C = x->C;
    const double *t = x->t;
    snf_cmp_row *rows = x->rows;
    double *L = x->L;
    double *v = x->v;
    double *Lf = x->Lf;
    double *vf = x->vf;
    snf_model *m = x->m;
    for (int c = 0; c < C; c++) {
        snf_physics ph = o->physics;
        ph.closure = o->closures[c];
        snf_cmp_row *row = &rows[(size_t)i * (size_t)C + (size_t)c];
        snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
        row->r.model_status = snf_model_run(m, &sp, &ph, t, T, &lc);
        if (row->r.model_status < 0) {
            snf_error_clear();
        }
        snf_valid_residuals(&row->r, t, T, lh, vh, L, v, &o->opts);
        row->fit.p = (snf_sn_params){NAN, NAN, NAN, NAN};
        row->fit.rms = row->fit.rms_start = NAN;
        for (int k = 0; k < T; k++) {
            Lf[k] = vf[k] = NAN;
        }
        if (o->fit) {
            int frc = snf_valid_fit_run(&row->fit, m, &ph, &sp, t, T, lh, vh, &o->opts);
            if (frc >= 0) {
                snf_lc lf = {.L_erg_s = Lf, .vph_km_s = vf};
                if (snf_model_run(m, &row->fit.p, &ph, t, T, &lf) < 0) {
                    snf_error_clear();
                }
            } else {
                row->fit.p = (snf_sn_params){NAN, NAN, NAN, NAN};
                snf_error_clear();
            }
        }
        for (int k = 0; k < T; k++) {
            double *q = curves + ((size_t)k * (size_t)C + (size_t)c) * 4;
            q[0] = L[k] > 0 ? log10(L[k]) : NAN;
            q[1] = v[k];
            q[2] = Lf[k] > 0 ? log10(Lf[k]) : NAN;
            q[3] = vf[k];
        }
    }
}

/* Computes every row and writes one curve file per model (curves/<model>.csv). */
static int snf_cmp_curves(snf_cmp *x)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    const int P = x->P, T = x->T, C = x->C;
    const double *t = x->t;
    const double *params = x->params;
    const float *lg = x->lg;
    const float *vp = x->vp;
    const char *msg = x->msg;
    snf_out_file fo = {0};
    int rc = SNF_OK;
    for (long i = 0; i < N; i++) {
        const double *pr = params + (size_t)i * (size_t)P;
        snf_sn_params sp = {pr[0], pr[1], pr[2], pr[3]};
        const float *lh = lg + (size_t)i * (size_t)T, *vh = vp + (size_t)i * (size_t)T;
        char name[SNF_DATASET_MSG_LEN + 8], fname[SNF_DATASET_MSG_LEN + 32];
        snf_model_name(name, sizeof name, msg + (size_t)i * SNF_DATASET_MSG_LEN, i);
        snprintf(fname, sizeof fname, "%s.csv", name);
        rc = snf_out_open(&fo, x->owner, x->curves, fname);
        if (rc < 0) {
            return rc;
        }
        /* columns: t_d, logL_hydro, vph_hydro, then per closure logL_<c>, vph_<c>[, logL_<c>_fit, vph_<c>_fit] */
        double *curves = malloc((size_t)T * (size_t)C * 4 * sizeof *curves);
        if (!curves) {
            fclose(fo.f);
            SNF_ERROR(SNF_ENOMEM, "out of memory");
        }
        snf_cmp_model(x, i, &sp, lh, vh, curves);
        fprintf(fo.f, "# %s: model %s (E %g foe, M %g Msun, R0 %g cm, M_Ni %g Msun); hydro from %s\n", "snforge compare",
                name, sp.energy_foe, sp.mass_msun, sp.radius_cm, sp.nickel_msun, o->hydro_path);
        fprintf(fo.f, "t_d,logL_hydro,vph_hydro");
        for (int c = 0; c < C; c++) {
            const char *cn = snf_closure_name(o->closures[c]);
            fprintf(fo.f, ",logL_%s,vph_%s", cn, cn);
            if (o->fit) {
                fprintf(fo.f, ",logL_%s_fit,vph_%s_fit", cn, cn);
            }
        }
        fputc('\n', fo.f);
        for (int k = 0; k < T; k++) {
            fprintf(fo.f, "%.10g,", t[k]);
            snf_put(fo.f, lh[k], "%.6f");
            fputc(',', fo.f);
            snf_put(fo.f, vh[k], "%.2f");
            for (int c = 0; c < C; c++) {
                const double *q = curves + ((size_t)k * (size_t)C + (size_t)c) * 4;
                for (int j = 0; j < (o->fit ? 4 : 2); j++) {
                    fputc(',', fo.f);
                    snf_put(fo.f, q[j], j % 2 ? "%.2f" : "%.6f");
                }
            }
            fputc('\n', fo.f);
        }
        free(curves);
        rc = snf_out_close(x->owner, &fo);
        if (rc < 0) {
            return rc;
        }
    }
    return SNF_OK;
}

/* residuals.csv: one row per model and closure. */
static int snf_cmp_residuals(snf_cmp *x)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    const int P = x->P, C = x->C;
    const double *params = x->params;
    const char *msg = x->msg;
    snf_cmp_row *rows = x->rows;
    snf_out_file fo = {0};
    int rc = snf_out_open(&fo, x->owner, NULL, "residuals.csv");
    if (rc < 0) {
        return rc;
    }
    fprintf(fo.f, "model,closure,energy,mass,radius,nickel,model_status,t_peak_hydro_d,t_peak_model_d,dt_peak_d,"
                  "log_lpeak_hydro,log_lpeak_model,dlog_lpeak");
    for (int p = 0; p < SNF_NPHASE; p++) {
        const char *pn = snf_valid_phase_name(p);
        fprintf(fo.f, ",n_%s,dlogL_%s_median,dlogL_%s_mean,dlogL_%s_rms,dv_%s_median,dv_%s_mean,dv_%s_rms", pn, pn, pn,
                pn, pn, pn, pn);
    }
    fprintf(fo.f, ",fit_energy,fit_mass,fit_radius,fit_nickel,fit_rms_start,fit_rms,fit_iter,fit_status\n");
    for (long i = 0; i < N; i++) {
        const double *pr = params + (size_t)i * (size_t)P;
        char name[SNF_DATASET_MSG_LEN + 8];
        snf_model_name(name, sizeof name, msg + (size_t)i * SNF_DATASET_MSG_LEN, i);
        for (int c = 0; c < C; c++) {
            const snf_cmp_row *row = &rows[(size_t)i * (size_t)C + (size_t)c];
            const snf_valid_result *r = &row->r;
            fprintf(fo.f, "%s,%s,%.10g,%.10g,%.10g,%.10g,%d,", name, snf_closure_name(o->closures[c]), pr[0], pr[1],
                    pr[2], pr[3], r->model_status);
            double vals[6] = {r->hydro.t_peak_d, r->model.t_peak_d, r->model.t_peak_d - r->hydro.t_peak_d,
                              r->hydro.log_lpeak, r->model.log_lpeak, r->model.log_lpeak - r->hydro.log_lpeak};
            for (int j = 0; j < 6; j++) {
                if (j) {
                    fputc(',', fo.f);
                }
                snf_put(fo.f, vals[j], "%.5g");
            }
            for (int p = 0; p < SNF_NPHASE; p++) {
                fprintf(fo.f, ",%d", r->dlogL[p].n);
                double s6[6] = {r->dlogL[p].median, r->dlogL[p].mean, r->dlogL[p].rms,
                                r->dv[p].median, r->dv[p].mean, r->dv[p].rms};
                for (int j = 0; j < 6; j++) {
                    fputc(',', fo.f);
                    snf_put(fo.f, s6[j], "%.5g");
                }
            }
            double f6[6] = {row->fit.p.energy_foe, row->fit.p.mass_msun, row->fit.p.radius_cm, row->fit.p.nickel_msun,
                            row->fit.rms_start, row->fit.rms};
            for (int j = 0; j < 6; j++) {
                fputc(',', fo.f);
                snf_put(fo.f, f6[j], "%.6g");
            }
            if (o->fit) {
                fprintf(fo.f, ",%d,%d\n", row->fit.n_iter, row->fit.status);
            } else {
                fprintf(fo.f, ",,\n");
            }
        }
    }
    rc = snf_out_close(x->owner, &fo);
    if (rc < 0) {
        return rc;
    }
    return SNF_OK;
}

/* summary.csv and report.md: the median (mean) residual of each phase, per closure. */
static void snf_cmp_phases(const snf_cmp *x, FILE *fs, FILE *fr)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    const int C = x->C;
    const snf_cmp_row *rows = x->rows;
    double *col = x->col;
    double *work = x->work;
    fprintf(fr, "| closure | quantity |");
    for (int p = 0; p < SNF_NPHASE; p++) {
        fprintf(fr, " %s |", snf_valid_phase_name(p));
    }
    fprintf(fr, "\n| --- | --- |");
    for (int p = 0; p < SNF_NPHASE; p++) {
        fprintf(fr, " --- |");
    }
    fputc('\n', fr);
    for (int c = 0; c < C; c++) {
        const char *cn = snf_closure_name(o->closures[c]);
        for (int q = 0; q < 3; q++) {
            const char *qn = q == 0 ? "dlogL" : q == 1 ? "dv" : "rms_dlogL";
            fprintf(fr, "| %s | %s |", cn, q == 0 ? "dlog L (dex)" : q == 1 ? "dv/v" : "rms dlog L (dex)");
            for (int p = 0; p < SNF_NPHASE; p++) {
                for (long i = 0; i < N; i++) {
                    const snf_valid_result *r = &rows[(size_t)i * (size_t)C + (size_t)c].r;
                    col[i] = q == 0 ? r->dlogL[p].median : q == 1 ? r->dv[p].median : r->dlogL[p].rms;
                }
                double med = snf_median_of(col, (int)N, work), mean = snf_mean_of(col, (int)N, work);
                fprintf(fs, "%s,%s,%s,%.5g,%.5g,%ld\n", cn, qn, snf_valid_phase_name(p), med, mean, N);
                if (isfinite(med)) {
                    fprintf(fr, q == 1 ? " %+.1f%% (%+.1f%%) |" : " %+.3f (%+.3f) |", q == 1 ? 100 * med : med,
                            q == 1 ? 100 * mean : mean);
                } else {
                    fprintf(fr, " - |");
                }
            }
            fputc('\n', fr);
        }
    }
}

/* summary.csv and report.md: peak differences and, with --fit, fit biases and MAPE, per closure. */
static void snf_cmp_peaks(const snf_cmp *x, FILE *fs, FILE *fr)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    const int P = x->P, C = x->C;
    const double *params = x->params;
    const snf_cmp_row *rows = x->rows;
    double *col = x->col;
    double *work = x->work;
    fprintf(fr, "\n| closure | peak day: model - hydro, median (mean) | log L_peak: model - hydro, median (mean) |");
    if (o->fit) {
        fprintf(fr, " fit bias E | fit bias M | fit bias R0 | fit bias M_Ni | fit MAPE E/M/R0/Ni | rms start -> fit (dex) |");
    }
    fprintf(fr, "\n| --- | --- | --- |%s\n", o->fit ? " --- | --- | --- | --- | --- | --- |" : "");
    for (int c = 0; c < C; c++) {
        const char *cn = snf_closure_name(o->closures[c]);
        double med[2], mean[2];
        for (int q = 0; q < 2; q++) {
            for (long i = 0; i < N; i++) {
                const snf_valid_result *r = &rows[(size_t)i * (size_t)C + (size_t)c].r;
                col[i] = q == 0 ? r->model.t_peak_d - r->hydro.t_peak_d : r->model.log_lpeak - r->hydro.log_lpeak;
            }
            med[q] = snf_median_of(col, (int)N, work);
            mean[q] = snf_mean_of(col, (int)N, work);
            fprintf(fs, "%s,%s,peak,%.5g,%.5g,%ld\n", cn, q == 0 ? "dt_peak_d" : "dlog_lpeak", med[q], mean[q], N);
        }
        fprintf(fr, "| %s | %+.1f d (%+.1f d) | %+.3f (%+.3f) |", cn, med[0], mean[0], med[1], mean[1]);
        if (o->fit) {
            double mape[4];
            for (int j = 0; j < 4; j++) {
                for (long i = 0; i < N; i++) {
                    const snf_cmp_row *row = &rows[(size_t)i * (size_t)C + (size_t)c];
                    const double *pr = params + (size_t)i * (size_t)P;
                    double fv = j == 0 ? row->fit.p.energy_foe : j == 1 ? row->fit.p.mass_msun
                                : j == 2 ? row->fit.p.radius_cm : row->fit.p.nickel_msun;
                    col[i] = fv / pr[j] - 1;
                }
                double bm = snf_median_of(col, (int)N, work), bmean = snf_mean_of(col, (int)N, work);
                for (long i = 0; i < N; i++) {
                    col[i] = fabs(col[i]);
                }
                mape[j] = 100 * snf_mean_of(col, (int)N, work);
                fprintf(fs, "%s,fit_bias_%s,all,%.5g,%.5g,%ld\n", cn, snf_axis_name((snf_axis_target)j), bm, bmean, N);
                fprintf(fs, "%s,fit_mape_%s,all,%.5g,%.5g,%ld\n", cn, snf_axis_name((snf_axis_target)j), mape[j], mape[j], N);
                fprintf(fr, " %+.0f%% (%+.0f%%) |", 100 * bm, 100 * bmean);
            }
            double rs[2];
            for (int q = 0; q < 2; q++) {
                for (long i = 0; i < N; i++) {
                    const snf_cmp_row *row = &rows[(size_t)i * (size_t)C + (size_t)c];
                    col[i] = q == 0 ? row->fit.rms_start : row->fit.rms;
                }
                rs[q] = snf_median_of(col, (int)N, work);
                fprintf(fs, "%s,%s,all,%.5g,%.5g,%ld\n", cn, q == 0 ? "fit_rms_start" : "fit_rms", rs[q],
                        snf_mean_of(col, (int)N, work), N);
            }
            fprintf(fr, " %.0f/%.0f/%.0f/%.0f%% | %.3f -> %.3f |", mape[0], mape[1], mape[2], mape[3], rs[0], rs[1]);
        }
        fputc('\n', fr);
    }
}

/* report.md: one line per model and closure. */
static void snf_cmp_per_model(const snf_cmp *x, FILE *fr)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    const int C = x->C;
    const char *msg = x->msg;
    const snf_cmp_row *rows = x->rows;
    if (x->n_left > 0) {
        fprintf(fr, "\nLeft out: %ld run%s marked failed in %s (not compared):\n\n%s", x->n_left,
                x->n_left == 1 ? "" : "s", o->hydro_path, x->left);
    }
    fprintf(fr, "\nPer model (median residual over all days; peak differences):\n\n"
                  "| model | closure | dlog L all (dex) | rms dlog L (dex) | dv/v all | peak day hydro / model | "
                  "log L_peak hydro / model |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for (long i = 0; i < N; i++) {
        char name[SNF_DATASET_MSG_LEN + 8];
        snf_model_name(name, sizeof name, msg + (size_t)i * SNF_DATASET_MSG_LEN, i);
        for (int c = 0; c < C; c++) {
            const snf_valid_result *r = &rows[(size_t)i * (size_t)C + (size_t)c].r;
            fprintf(fr, "| %s | %s | %+.3f | %.3f | %+.1f%% | %.1f / %.1f | %.3f / %.3f |\n", name,
                    snf_closure_name(o->closures[c]), r->dlogL[SNF_PHASE_ALL].median, r->dlogL[SNF_PHASE_ALL].rms,
                    100 * r->dv[SNF_PHASE_ALL].median, r->hydro.t_peak_d, r->model.t_peak_d, r->hydro.log_lpeak,
                    r->model.log_lpeak);
        }
    }
}

/* summary.csv and report.md: per closure, over models; then report.md's per-model table. */
static int snf_cmp_summary(snf_cmp *x)
{
    const snf_valid_run_opts *o = x->o;
    const long N = x->N;
    snf_out_file fm = {0};
    snf_out_file fo = {0};
    int rc = snf_out_open(&fo, x->owner, NULL, "summary.csv");
    if (rc >= 0) {
        rc = snf_out_open(&fm, x->owner, NULL, "report.md");
        if (rc < 0) {
            fclose(fo.f); /* staged: removed by snf_output_end */
        }
    }
    if (rc < 0) {
        return rc;
    }
    fprintf(fo.f, "closure,quantity,phase,median,mean,n_models\n");
    fprintf(fm.f, "# Semi-analytic model vs hydro: %ld models from %s\n\n", N, o->hydro_path);
    fprintf(fm.f, "Physics: kappa %g cm^2/g, T_ion %g K, eth_fraction %g, Q %g erg/g. Residuals are model minus hydro: "
                  "log L in dex, v_ph relative. Per model, the median residual of each phase; then the median (mean) "
                  "over models. Phases from the hydro curve: early t < %g d, rise to t_peak - %g d, peak +-%g d, fall "
                  "to %g d after the steepest decline, then tail.\n\n",
            o->physics.kappa_cm2_g, o->physics.t_ion_K, o->physics.eth_fraction, o->physics.q_rec_erg_g,
            o->opts.t_early_d, o->opts.peak_half_d, o->opts.peak_half_d, o->opts.tail_gap_d);
    snf_cmp_phases(x, fo.f, fm.f);
    snf_cmp_peaks(x, fo.f, fm.f);
    snf_cmp_per_model(x, fm.f);
    rc = snf_out_close(x->owner, &fo);
    if (rc >= 0) {
        rc = snf_out_close(x->owner, &fm);
    } else {
        fclose(fm.f);
    }
    return rc;
}

/* ---- public API ---- */

int snf_valid_compare_file(const snf_valid_run_opts *o, int *n_models)
{
    snf_cmp x = {.o = o, .C = o->n_closures};
    snf_dataset *d = NULL;
    int rc = SNF_OK;
    char source[128];
    int *status = NULL;
    snf_output owner = {.lock = -1};
    *n_models = 0;
    rc = snf_dataset_open(&d, o->hydro_path, 0);
    if (rc < 0) {
        return rc == SNF_EHDF5 ? SNF_EFORMAT : rc;
    }
    if ((rc = snf_dataset_require_complete(d)) < 0) {
        snf_dataset_close(d);
        return rc;
    }
    if (snf_dataset_attr_string(d, NULL, "source", source, sizeof source) < 0 || strncmp(source, "hydro:", 6) != 0) {
        snf_dataset_close(d);
        SNF_ERROR(SNF_EFORMAT, "%s: source is '%s': expected a hydro dataset (source \"hydro:<code>\", made by snforge import)",
                  o->hydro_path, source);
    }
    long N = 0;
    int P = 0, T = 0;
    snf_dataset_dims(d, &N, &P, &T);
    x.N = N;
    x.P = P;
    x.T = T;
    if (N < 1 || T < 3 || P < 4) {
        SNF_FAIL(SNF_EFORMAT, "%s: %ld rows, %d params, %d times: expected >= 1, >= 4, >= 3", o->hydro_path, N, P, T);
    }
    size_t NT = (size_t)N * (size_t)T;
    x.t = malloc((size_t)T * sizeof *x.t);
    x.params = malloc((size_t)N * (size_t)P * sizeof *x.params);
    x.lg = malloc(NT * sizeof *x.lg);
    x.vp = malloc(NT * sizeof *x.vp);
    x.msg = calloc((size_t)N, SNF_DATASET_MSG_LEN);
    x.rows = calloc((size_t)N * (size_t)x.C, sizeof *x.rows);
    x.L = malloc((size_t)T * sizeof *x.L);
    x.v = malloc((size_t)T * sizeof *x.v);
    x.Lf = malloc((size_t)T * sizeof *x.Lf);
    x.vf = malloc((size_t)T * sizeof *x.vf);
    x.col = malloc((size_t)(N > 4 ? N : 4) * sizeof *x.col);
    x.work = malloc((size_t)(N > 4 ? N : 4) * sizeof *x.work);
    x.m = snf_model_alloc();
    if (!x.t || !x.params || !x.lg || !x.vp || !x.msg || !x.rows || !x.L || !x.v || !x.Lf || !x.vf || !x.col ||
        !x.work || !x.m) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %ld models x %d times", N, T);
    }
    status = malloc((size_t)N * sizeof *status);
    x.left = calloc(1, 4096);
    if (!status || !x.left) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    rc = snf_dataset_read_time(d, x.t);
    if (rc >= 0) {
        snf_dataset_rows rr = {.params = x.params, .log_lbol = x.lg, .vph = x.vp, .msg = x.msg, .status = status};
        rc = snf_dataset_read_rows(d, 0, N, &rr);
    }
    if (rc < 0) {
        goto cleanup;
    }
    /* Failed runs (no usable coverage, or failed imports) are left out, and said so: compact the rows. */
    long kept = 0;
    for (long i = 0; i < N; i++) {
        if (status[i] < 0) {
            size_t ll = strlen(x.left);
            snprintf(x.left + ll, 4096 - ll, "- %.*s (status %d)\n", SNF_DATASET_MSG_LEN,
                     x.msg + (size_t)i * SNF_DATASET_MSG_LEN, status[i]);
            x.n_left++;
            continue;
        }
        if (kept != i) {
            memmove(x.params + (size_t)kept * (size_t)P, x.params + (size_t)i * (size_t)P, (size_t)P * sizeof *x.params);
            memmove(x.lg + (size_t)kept * (size_t)T, x.lg + (size_t)i * (size_t)T, (size_t)T * sizeof *x.lg);
            memmove(x.vp + (size_t)kept * (size_t)T, x.vp + (size_t)i * (size_t)T, (size_t)T * sizeof *x.vp);
            memmove(x.msg + (size_t)kept * SNF_DATASET_MSG_LEN, x.msg + (size_t)i * SNF_DATASET_MSG_LEN,
                    SNF_DATASET_MSG_LEN);
        }
        kept++;
    }
    if (o->n_left_out) {
        *o->n_left_out = (int)x.n_left;
    }
    if (kept == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: all %ld runs are marked failed (e.g. no usable coverage): nothing to compare",
                 o->hydro_path, N);
    }
    N = kept;
    x.N = N;
    if (x.t[0] < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: /time starts at %g d: expected days >= 0 since the explosion", o->hydro_path, x.t[0]);
    }
    /* DIR.lock, then the folder: one writer per output; curves/ and the three files put in place together */
    rc = snf_output_begin(&owner, o->out_dir, 1);
    x.owner = &owner;
    if (rc >= 0) {
        rc = snf_output_stage_dir(&owner, "curves", x.curves, sizeof x.curves);
    }
    if (rc >= 0) {
        rc = snf_cmp_curves(&x);
    }
    if (rc >= 0) {
        rc = snf_cmp_residuals(&x);
    }
    if (rc >= 0) {
        rc = snf_cmp_summary(&x);
    }
    if (rc >= 0) {
        rc = snf_output_commit(&owner);
    }
    if (rc >= 0) {
        *n_models = (int)N;
    }
cleanup:
    snf_output_end(&owner);
    snf_model_free(x.m);
    snf_dataset_close(d);
    free(x.t);
    free(x.params);
    free(x.lg);
    free(x.vp);
    free(x.msg);
    free(x.left);
    free(status);
    free(x.rows);
    free(x.L);
    free(x.v);
    free(x.Lf);
    free(x.vf);
    free(x.col);
    free(x.work);
    return rc;
}
