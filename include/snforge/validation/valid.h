/* validation/valid.h: the semi-analytic model against hydrodynamical light curves. For each hydro model of a dataset
 * file (hydro.h writes them) it runs the model at the same parameters, with each closure, and measures
 * residuals of log L and v_ph by phase (first days, rise, peak, fall from the dome, tail), the peak day
 * and luminosity differences, and optionally the best-fit semi-analytic parameters (GSL nonlinear least
 * squares), which show how biased parameters inferred with the model would be. It writes tables (CSV,
 * Markdown) and per-model curve files for plotting; it draws nothing itself. */
#ifndef SNFORGE_VALIDATION_VALID_H
#define SNFORGE_VALIDATION_VALID_H

#include "snforge/export.h"

#include "snforge/models.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

enum {
    SNF_PHASE_EARLY = 0, /* 0 < t < t_early (first 30 days: breakout cooling, the hydro minimum) */
    SNF_PHASE_RISE = 1,  /* t_early <= t < t_peak - peak_half */
    SNF_PHASE_PEAK = 2,  /* |t - t_peak| <= peak_half */
    SNF_PHASE_FALL = 3,  /* t_peak + peak_half < t < t_fall_end + tail_gap (the fall from the dome) */
    SNF_PHASE_TAIL = 4,  /* the radioactive tail after that */
    SNF_PHASE_ALL = 5,   /* every day with data, t > 0 */
    SNF_NPHASE = 6
};

typedef struct snf_valid_opts {
    double t_early_d;     /* end of the early phase, days [30] */
    double peak_half_d;   /* half width of the peak phase, days [10] */
    double tail_gap_d;    /* the tail starts this long after the steepest fall of the hydro curve [15] */
    double t_min_peak_d;  /* peaks are searched after this day (SNEC's breakout spike comes first) [10] */
    double t_fit_min_d;   /* the fit uses days >= this [2] */
    double fit_v_weight;  /* weight of log10 v_ph residuals against log10 L residuals in the fit [1] */
    int fit_max_iter;     /* GSL trust-region iterations [60] */
} snf_valid_opts;

/* Statistics of one residual over one phase. NaN (and n = 0) when the phase holds no day. */
typedef struct snf_valid_stats {
    int n;
    double mean, median, rms;
} snf_valid_stats;

/* One hydro model against one semi-analytic run. */
typedef struct snf_valid_result {
    double bound_d[5];               /* phase bounds t_early, t_peak - h, t_peak + h, tail start, last day */
    snf_valid_stats dlogL[SNF_NPHASE]; /* log10 L_model - log10 L_hydro, dex */
    snf_valid_stats dv[SNF_NPHASE];    /* (v_model - v_hydro) / v_hydro */
    snf_lc_derived hydro, model;     /* peaks and dome ends of both curves (same definition) */
    int model_status;                /* snf_model_run's status */
} snf_valid_result;

/* Best-fit semi-analytic parameters for one hydro model. */
typedef struct snf_valid_fit {
    snf_sn_params p;     /* the fit */
    double rms_start;    /* rms of the residual vector at the start (the hydro's own parameters) */
    double rms;          /* at the fit */
    int n_iter;
    int status;          /* SNF_OK or the failure (the fit then holds the start) */
} snf_valid_fit;

/* ---- defaults ---- */

SNF_API snf_valid_opts snf_valid_opts_default(void);
SNF_API const char *snf_valid_phase_name(int phase);

/* ---- residuals ---- */

/* Residuals of one model curve (L_model, v_model on t[T]; NaN where undefined) against the hydro
 * curve (log_l_h, v_h as stored in the dataset). Fills r except model_status. */
SNF_API void snf_valid_residuals(snf_valid_result *r, const double *t, int T, const float *log_l_h, const float *v_h,
                         const double *L_model, const double *v_model, const snf_valid_opts *o);

/* Mean, median, rms of x[n] ignoring NaN (work: n doubles). */
SNF_API snf_valid_stats snf_valid_stats_of(const double *x, int n, double *work);

/* ---- fit ---- */

/* Least squares in log parameters (GSL trust region, Levenberg-Marquardt, finite-difference Jacobian
 * with steps of 2e-3 in ln p) of the residuals log10 L_model - log10 L_hydro and weight x
 * log10(v_model / v_hydro) on days >= t_fit_min_d, from start. Returns SNF_OK (fit filled),
 * SNF_EGSL or SNF_ENOMEM (f->status set, f->p = start). */
SNF_API int snf_valid_fit_run(snf_valid_fit *f, snf_model *m, const snf_physics *ph, const snf_sn_params *start,
                      const double *t, int T, const float *log_l_h, const float *v_h, const snf_valid_opts *o);

/* ---- whole comparison ---- */

typedef struct snf_valid_run_opts {
    const char *hydro_path;     /* dataset file from `snforge import` */
    const char *out_dir;        /* created if missing */
    snf_physics physics;        /* settings; the closure is taken from closures[] */
    snf_closure closures[3];
    int n_closures;
    int fit;                    /* 1: best-fit parameters per model and closure */
    snf_valid_opts opts;
    int *n_left_out;            /* out (may be NULL): rows left out because their status is failed */
} snf_valid_run_opts;

/* Compares every row of the hydro file with every closure and writes, in out_dir: residuals.csv (one
 * row per model and closure), summary.csv and report.md (per closure and phase: median and mean over
 * models), curves/<model>.csv (t, hydro and model curves, for plot_compare.py). Files are written as
 * .tmp and renamed. Rows with a failed status (< 0: e.g. a run with no usable coverage) are left out
 * and listed in report.md; *o->n_left_out counts them. Returns SNF_OK, SNF_EFORMAT (not a hydro dataset,
 * or every row failed), SNF_EIO, SNF_ENOMEM. */
SNF_API int snf_valid_compare_file(const snf_valid_run_opts *o, int *n_models);

#ifdef __cplusplus
}
#endif

#endif
