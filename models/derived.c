/* derived.c: per-model summaries from a light curve on its time grid. */
#include <math.h>

#include "internal.h"

/* Vertex of the parabola through three points (t, y): refines a grid maximum. */
static void snf_parabola_vertex(const double *t, const double *y, double *tv, double *yv)
{
    const double d1 = (y[1] - y[0]) / (t[1] - t[0]);
    const double d2 = (y[2] - y[1]) / (t[2] - t[1]);
    const double a = (d2 - d1) / (t[2] - t[0]);
    if (!(a < 0)) {
        *tv = t[1];
        *yv = y[1];
        return;
    }
    const double b = d1 - a * (t[0] + t[1]);
    const double c = y[0] - a * t[0] * t[0] - b * t[0];
    *tv = -b / (2.0 * a);
    *yv = c - b * b / (4.0 * a);
    if (*tv < t[0] || *tv > t[2]) { /* cannot happen for a true interior maximum: keep the grid */
        *tv = t[1];
        *yv = y[1];
    }
}

void snf_lc_derive(snf_lc_derived *d, const double *t, const double *L, int T)
{
    d->t_peak_d = d->log_lpeak = d->t_plateau_end_d = d->e_rad_erg = NAN;
    int kmax = -1;
    for (int k = 0; k < T; k++) {
        if (L[k] > 0 && (kmax < 0 || L[k] > L[kmax])) {
            kmax = k;
        }
    }
    if (kmax < 0) {
        return;
    }
    d->t_peak_d = t[kmax];
    d->log_lpeak = log10(L[kmax]);
    if (kmax > 0 && kmax < T - 1 && L[kmax - 1] > 0 && L[kmax + 1] > 0) {
        const double lg[3] = {log10(L[kmax - 1]), log10(L[kmax]), log10(L[kmax + 1])};
        snf_parabola_vertex(&t[kmax - 1], lg, &d->t_peak_d, &d->log_lpeak);
    }
    /* End of the plateau or dome: the steepest fall of log L after the peak (the middle of the
     * drop onto the radioactive tail), at the midpoint of the steepest grid interval. */
    double steepest = 0.0;
    for (int k = kmax; k + 1 < T; k++) {
        if (!(L[k] > 0 && L[k + 1] > 0)) {
            continue;
        }
        const double slope = (log10(L[k + 1]) - log10(L[k])) / (t[k + 1] - t[k]);
        if (slope < steepest) {
            steepest = slope;
            d->t_plateau_end_d = 0.5 * (t[k] + t[k + 1]);
        }
    }
    double e = 0.0;
    for (int k = 0; k + 1 < T; k++) {
        e += 0.5 * (L[k] + L[k + 1]) * (t[k + 1] - t[k]);
    }
    d->e_rad_erg = e * SNF_DAY_S;
}

/* ---- dense-output tracker ---- */

void snf_track_init(snf_derive_track *tr, double t_lo, double t_hi)
{
    *tr = (snf_derive_track){.t_lo = t_lo, .t_hi = t_hi, .peak_t = NAN, .peak_lg = -INFINITY, .fall_t = NAN,
                             .fall_slope = 0.0};
}

static void snf_track_fall(snf_derive_track *tr, double t, double slope, double lg)
{
    if (slope < tr->fall_slope && lg > tr->peak_lg - SNF_FALL_FLOOR_DEX) {
        tr->fall_slope = slope;
        tr->fall_t = t;
        tr->fall_new = 1;
    }
}

void snf_track_sample(snf_derive_track *tr, double t, double lg)
{
    if (!(t >= tr->t_lo && t <= tr->t_hi) || !isfinite(lg)) {
        tr->have_prev = 0; /* L = 0 (an empty core without nickel): no slope across it */
        return;
    }
    if (lg > tr->peak_lg) {
        tr->peak_lg = lg;
        tr->peak_t = t;
        tr->fall_t = NAN; /* the steepest fall is sought after the final maximum */
        tr->fall_slope = 0.0;
        tr->peak_new = 1;
    } else if (tr->have_prev && t > tr->prev_t) {
        snf_track_fall(tr, 0.5 * (t + tr->prev_t), (lg - tr->prev_lg) / (t - tr->prev_t), lg);
    }
    tr->prev_t = t;
    tr->prev_lg = lg;
    tr->have_prev = 1;
}

void snf_track_jump(snf_derive_track *tr, double t, double lg_before, double lg_after)
{
    if (!(t >= tr->t_lo && t <= tr->t_hi) || !isfinite(lg_before)) {
        return;
    }
    const double drop = isfinite(lg_after) ? lg_after - lg_before : -SNF_FALL_FLOOR_DEX;
    if (drop < 0 && t > tr->peak_t) {
        snf_track_fall(tr, t, drop / SNF_JUMP_DAYS, lg_before);
    }
}
