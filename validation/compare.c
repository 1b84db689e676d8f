/* compare.c: residuals of a semi-analytic curve against a hydro curve on one time grid, by phase. The
 * phases come from the hydro curve alone (its peak after t_min_peak and its steepest fall), so every
 * closure is measured on the same days. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/validation.h"

/* ---- static helpers ---- */

static int snf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- public API ---- */

snf_valid_opts snf_valid_opts_default(void)
{
    snf_valid_opts o = {.t_early_d = 30, .peak_half_d = 10, .tail_gap_d = 15, .t_min_peak_d = 10,
                        .t_fit_min_d = 2, .fit_v_weight = 1, .fit_max_iter = 60};
    return o;
}

const char *snf_valid_phase_name(int phase)
{
    static const char *const names[SNF_NPHASE] = {"early", "rise", "peak", "fall", "tail", "all"};
    return phase >= 0 && phase < SNF_NPHASE ? names[phase] : "?";
}

snf_valid_stats snf_valid_stats_of(const double *x, int n, double *work)
{
    snf_valid_stats s = {0, NAN, NAN, NAN};
    double sum = 0, sq = 0;
    for (int k = 0; k < n; k++) {
        if (isfinite(x[k])) {
            work[s.n++] = x[k];
            sum += x[k];
            sq += x[k] * x[k];
        }
    }
    if (s.n == 0) {
        return s;
    }
    qsort(work, (size_t)s.n, sizeof *work, snf_cmp_double);
    s.mean = sum / s.n;
    s.rms = sqrt(sq / s.n);
    s.median = s.n % 2 ? work[s.n / 2] : 0.5 * (work[s.n / 2 - 1] + work[s.n / 2]);
    return s;
}

void snf_valid_residuals(snf_valid_result *r, const double *t, int T, const float *log_l_h, const float *v_h,
                         const double *L_model, const double *v_model, const snf_valid_opts *o)
{
    float *lg_m = malloc((size_t)T * sizeof *lg_m);
    double *dl = malloc((size_t)T * sizeof *dl), *dv = malloc((size_t)T * sizeof *dv);
    double *xl = malloc((size_t)T * sizeof *xl), *xv = malloc((size_t)T * sizeof *xv);
    double *work = malloc((size_t)T * sizeof *work);
    int status = r->model_status;
    memset(r, 0, sizeof *r);
    r->model_status = status;
    if (!lg_m || !dl || !dv || !xl || !xv || !work) {
        for (int p = 0; p < SNF_NPHASE; p++) {
            r->dlogL[p] = r->dv[p] = (snf_valid_stats){0, NAN, NAN, NAN};
        }
        goto done;
    }
    for (int k = 0; k < T; k++) {
        lg_m[k] = L_model[k] > 0 ? (float)log10(L_model[k]) : NAN;
        dl[k] = (t[k] > 0 && isfinite(log_l_h[k]) && isfinite(lg_m[k])) ? (double)lg_m[k] - log_l_h[k] : NAN;
        dv[k] = (t[k] > 0 && isfinite(v_h[k]) && v_h[k] > 0) ? (v_model[k] - v_h[k]) / v_h[k] : NAN;
    }
    snf_hydro_peak(&r->hydro, t, log_l_h, T, o->t_min_peak_d);
    snf_hydro_peak(&r->model, t, lg_m, T, o->t_min_peak_d);
    double tp = r->hydro.t_peak_d, tlast = t[T - 1];
    for (int k = T - 1; k >= 0; k--) {
        if (isfinite(log_l_h[k])) {
            tlast = t[k];
            break;
        }
    }
    double t_tail = isfinite(r->hydro.t_plateau_end_d) ? r->hydro.t_plateau_end_d + o->tail_gap_d : INFINITY;
    r->bound_d[0] = o->t_early_d;
    r->bound_d[1] = tp - o->peak_half_d;
    r->bound_d[2] = tp + o->peak_half_d;
    r->bound_d[3] = t_tail;
    r->bound_d[4] = tlast;
    for (int p = 0; p < SNF_NPHASE; p++) {
        for (int k = 0; k < T; k++) {
            double tk = t[k];
            int in;
            switch (p) {
            case SNF_PHASE_EARLY: in = tk < o->t_early_d; break;
            case SNF_PHASE_RISE: in = tk >= o->t_early_d && tk < r->bound_d[1]; break;
            case SNF_PHASE_PEAK: in = tk >= r->bound_d[1] && tk <= r->bound_d[2]; break;
            case SNF_PHASE_FALL: in = tk > r->bound_d[2] && tk < t_tail; break;
            case SNF_PHASE_TAIL: in = tk >= t_tail && tk > r->bound_d[2]; break;
            default: in = 1; break;
            }
            if (p != SNF_PHASE_EARLY && p != SNF_PHASE_ALL && !isfinite(tp)) {
                in = 0;
            }
            xl[k] = in ? dl[k] : NAN;
            xv[k] = in ? dv[k] : NAN;
        }
        r->dlogL[p] = snf_valid_stats_of(xl, T, work);
        r->dv[p] = snf_valid_stats_of(xv, T, work);
    }
done:
    free(lg_m);
    free(dl);
    free(dv);
    free(xl);
    free(xv);
    free(work);
}
