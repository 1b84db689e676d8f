/* hydro_resample.c: a hydro series onto a time grid with GSL interpolation (in log L for luminosities) inside
 * each stretch of defined samples, NaN elsewhere (coverage masks: never extrapolated, never across a gap), and
 * the peak / end of the dome of a curve on a grid. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_interp.h>

#include "snforge/grids.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

/* One stretch [a, b] of finite samples: fills the grid points inside it. */
static int snf_resample_stretch(float *out, const double *x, const double *y, int n, const double *t, int T, int log_y)
{
    const double xa = x[0], xb = x[n - 1];
    if (n == 1) {
        for (int k = 0; k < T; k++) {
            if (t[k] == xa) {
                out[k] = (float)(log_y ? log10(y[0]) : y[0]);
            }
        }
        return SNF_OK;
    }
    double *yy = malloc((size_t)n * sizeof *yy);
    if (!yy) {
        SNF_ERROR(SNF_ENOMEM, "out of memory (%d samples)", n);
    }
    for (int i = 0; i < n; i++) {
        yy[i] = log_y ? log10(y[i]) : y[i];
    }
    /* Steffen's method: a cubic that is monotone between samples (no overshoot at the breakout spike or
     * the end of the plateau); two samples get a straight line. */
    gsl_interp *ip = gsl_interp_alloc(n >= 3 ? gsl_interp_steffen : gsl_interp_linear, (size_t)n);
    gsl_interp_accel *acc = gsl_interp_accel_alloc();
    int rc = SNF_OK;
    if (!ip || !acc) {
        SNF_FAIL(SNF_ENOMEM, "out of memory (GSL interpolation of %d samples)", n);
    }
    int e = gsl_interp_init(ip, x, yy, (size_t)n);
    if (e != 0) {
        SNF_FAIL(SNF_EGSL, "gsl_interp_init: %s", gsl_strerror(e));
    }
    for (int k = 0; k < T; k++) {
        if (t[k] >= xa && t[k] <= xb) {
            double v = 0;
            e = gsl_interp_eval_e(ip, x, yy, t[k], acc, &v);
            if (e != 0) {
                SNF_FAIL(SNF_EGSL, "gsl_interp_eval at t = %g d: %s", t[k], gsl_strerror(e));
            }
            out[k] = (float)v;
        }
    }
cleanup:
    gsl_interp_accel_free(acc);
    gsl_interp_free(ip);
    free(yy);
    return rc;
}

/* ---- public API ---- */

int snf_hydro_resample(float *out, const snf_hydro_series *s, int log_y, const double *t_d, int T)
{
    for (int k = 0; k < T; k++) {
        out[k] = NAN;
    }
    int i = 0;
    while (i < s->n) {
        while (i < s->n && !(isfinite(s->y[i]) && (!log_y || s->y[i] > 0))) {
            i++;
        }
        int a = i;
        while (i < s->n && isfinite(s->y[i]) && (!log_y || s->y[i] > 0)) {
            i++;
        }
        if (i > a) {
            SNF_CHECK(snf_resample_stretch(out, s->t_d + a, s->y + a, i - a, t_d, T, log_y));
        }
    }
    return SNF_OK;
}

void snf_hydro_peak(snf_lc_derived *d, const double *t, const float *lg, int T, double t_min_d)
{
    d->t_peak_d = d->log_lpeak = d->t_plateau_end_d = d->t_front_end_d = d->e_rad_erg = d->e_rec_erg = NAN;
    int kp = -1;
    for (int k = 0; k < T; k++) {
        if (t[k] >= t_min_d && isfinite(lg[k]) && (kp < 0 || lg[k] > lg[kp])) {
            kp = k;
        }
    }
    if (kp < 0) {
        return;
    }
    d->t_peak_d = t[kp];
    d->log_lpeak = lg[kp];
    if (kp > 0 && kp < T - 1 && isfinite(lg[kp - 1]) && isfinite(lg[kp + 1]) && t[kp - 1] >= t_min_d) {
        /* parabola through three samples (uniform or not) */
        double x0 = t[kp - 1], x1 = t[kp], x2 = t[kp + 1], y0 = lg[kp - 1], y1 = lg[kp], y2 = lg[kp + 1];
        double d01 = (y1 - y0) / (x1 - x0), d12 = (y2 - y1) / (x2 - x1), a = (d12 - d01) / (x2 - x0);
        if (a < 0) {
            double b = d01 - a * (x0 + x1), xv = -b / (2 * a);
            if (xv > x0 && xv < x2) {
                d->t_peak_d = xv;
                /* the Newton form at xv */
                d->log_lpeak = y0 + d01 * (xv - x0) + a * (xv - x0) * (xv - x1);
            }
        }
    }
    double best = 0;
    for (int k = kp + 2; k + 2 < T; k++) {
        if (!isfinite(lg[k - 2]) || !isfinite(lg[k + 2])) {
            continue;
        }
        double slope = (lg[k + 2] - lg[k - 2]) / (t[k + 2] - t[k - 2]);
        if (slope < best) {
            best = slope;
            d->t_plateau_end_d = t[k];
        }
    }
}

