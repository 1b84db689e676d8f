/* keypoints.c: key points and classical estimates of a light curve (keypoints.h gives the methods and
 * sources). */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "snforge/models.h"

#define SNF_KP_EPS_NI 3.90e10 /* Nadyozhin 1994, erg/g/s */
#define SNF_KP_EPS_CO 6.78e9
#define SNF_KP_TAU_NI 8.8     /* days */
#define SNF_KP_TAU_CO 111.3

double snf_keypoints_decay_power(double t_d, double t0_d)
{
    const double s = (SNF_KP_EPS_NI - SNF_KP_EPS_CO) * exp(-t_d / SNF_KP_TAU_NI) + SNF_KP_EPS_CO * exp(-t_d / SNF_KP_TAU_CO);
    const double f = t0_d > 0 && t_d > 0 ? -expm1(-t0_d * t0_d / (t_d * t_d)) : 1.0;
    return SNF_MSUN_G * s * f;
}

/* Weighted least squares y = sum_j c_j t^j (j < np <= 3) over points idx[m]; c, covariance scaled by the
 * residual variance (reduced chi^2) when m > np. Returns 0, -1 if singular. */
static int snf_polyfit(const double *t, const double *y, const double *w, const int *idx, int m, int np, double t_c,
                       double *c, double cov[3][3])
{
    double A[3][3] = {{0}}, b[3] = {0};
    for (int i = 0; i < m; i++) {
        const double x = t[idx[i]] - t_c, p[3] = {1, x, x * x};
        for (int r = 0; r < np; r++) {
            b[r] += w[idx[i]] * p[r] * y[idx[i]];
            for (int q = 0; q < np; q++) A[r][q] += w[idx[i]] * p[r] * p[q];
        }
    }
    /* Gauss-Jordan inverse of the np x np normal matrix. */
    double inv[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    for (int col = 0; col < np; col++) {
        int piv = col;
        for (int r = col + 1; r < np; r++) if (fabs(A[r][col]) > fabs(A[piv][col])) piv = r;
        if (!(fabs(A[piv][col]) > 1e-300)) return -1;
        for (int q = 0; q < 3; q++) {
            double tmp = A[col][q]; A[col][q] = A[piv][q]; A[piv][q] = tmp;
            tmp = inv[col][q]; inv[col][q] = inv[piv][q]; inv[piv][q] = tmp;
        }
        const double d = A[col][col];
        for (int q = 0; q < np; q++) { A[col][q] /= d; inv[col][q] /= d; }
        for (int r = 0; r < np; r++) {
            if (r == col) continue;
            const double f = A[r][col];
            for (int q = 0; q < np; q++) { A[r][q] -= f * A[col][q]; inv[r][q] -= f * inv[col][q]; }
        }
    }
    for (int r = 0; r < np; r++) {
        c[r] = 0;
        for (int q = 0; q < np; q++) c[r] += inv[r][q] * b[q];
    }
    double chi2 = 0;
    for (int i = 0; i < m; i++) {
        const double x = t[idx[i]] - t_c;
        double f = 0;
        for (int r = np - 1; r >= 0; r--) f = f * x + c[r];
        chi2 += w[idx[i]] * (y[idx[i]] - f) * (y[idx[i]] - f);
    }
    const double s2 = m > np ? chi2 / (m - np) : 1.0;
    for (int r = 0; r < np; r++)
        for (int q = 0; q < np; q++) cov[r][q] = inv[r][q] * s2;
    return 0;
}

/* Linear interpolation of y (and its error) at day d from the nearest measurements on each side within
 * 10 days; NaN otherwise. */
static void snf_interp_at(const double *t, const double *y, const double *e, int n, double d, double *out,
                          double *out_err)
{
    *out = *out_err = NAN;
    int lo = -1, hi = -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) continue;
        if (t[i] <= d) lo = i;
        if (t[i] >= d && hi < 0) hi = i;
    }
    if (lo < 0 || hi < 0 || d - t[lo] > 10 || t[hi] - d > 10) return;
    const double a = hi == lo ? 0 : (d - t[lo]) / (t[hi] - t[lo]);
    *out = y[lo] + a * (y[hi] - y[lo]);
    if (e && isfinite(e[lo]) && isfinite(e[hi])) *out_err = e[lo] + a * (e[hi] - e[lo]);
}

static void snf_kp_nan(snf_keypoints *k)
{
    const double N = NAN;
    *k = (snf_keypoints){N, N, N, N, N, N, N, N, N, N, 0, N, N, N, N, N,
                         {N, N, N, N}, {N, N, N, N}, {N, N, N, N}, N, N, N, N, N, N, N, N, N, N,
                         "fewer than 3 luminosities", "fewer than 3 luminosities"};
}

/* The end of the cooling phase: from the first luminosity on, the running minimum of log L until a later
 * point lies 5% above it (a rise that noise does not make). Returns that minimum's index, or -1 if the curve
 * never rises (it only declines: whatever its first points show, there is no peak after cooling). A curve
 * that rises from its first point has no cooling phase: its first index. */
static int snf_kp_cooling_end(const double *y, int n)
{
    int imin = -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i])) continue;
        if (imin < 0 || y[i] < y[imin]) imin = i;
        else if (y[i] > y[imin] + 0.0212) return imin; /* log10(1.05) */
    }
    return -1;
}

/* log10 L at day d from the nearest finite sample (NaN if none). */
static double snf_kp_y_near(const double *t, const double *y, int n, double d)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (isfinite(y[i]) && (best < 0 || fabs(t[i] - d) < fabs(t[best] - d))) best = i;
    return best < 0 ? NAN : y[best];
}

/* The domains of the classical estimates (keypoints.h): Popov (1993) for plateaus, Arnett's rule for a
 * nickel-powered peak. t_start: the end of the cooling phase, or the first point. Sets the reasons (NULL = in
 * domain) and NaN for the estimates outside. */
static void snf_kp_domains(snf_keypoints *k, const double *t, const double *y, int n, double t_start)
{
    const double log2 = M_LN2 / M_LN10;
    const double rise = log10(k->L_peak / k->L_cool_end); /* NaN without a peak */
    k->popov_out = k->arnett_out = NULL;
    /* Popov: a plateau from the end of the cooling phase to the end of the dome, 30 days or more, whose middle
     * half stays within 2x, and no dome rising 2x or more on it. */
    const double span = k->t_dome_end_d - t_start;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (isfinite(y[i]) && t[i] >= t_start + 0.25 * span && t[i] <= t_start + 0.75 * span) {
            lo = fmin(lo, y[i]);
            hi = fmax(hi, y[i]);
        }
    }
    if (rise >= log2) {
        k->popov_out = "a dome not a plateau: L rises 2x or more to the peak (Popov 1993 describes plateaus)";
    } else if (!(span >= 30.0) || !(hi - lo <= log2)) {
        k->popov_out = "no plateau: L does not stay within 2x over 30 days or more before its fall";
    } else if (!(k->vph[1] > 0)) {
        k->popov_out = "no v_ph at day 30";
    }
    /* Arnett's rule: a peak after the cooling phase, reached by a rise of 2x or more, that the tail's nickel
     * (when measured) can power to within 3x. */
    if (!isfinite(k->t_peak_d)) {
        k->arnett_out = "no peak after the cooling phase (the curve only declines)";
    } else if (!(rise >= log2)) {
        k->arnett_out = "a plateau not a nickel-powered peak: L rises less than 2x to the peak";
    } else if (k->nickel_from_tail >= 0 && k->nickel_from_tail * 3.0 < k->nickel_from_peak) {
        k->arnett_out = "not a nickel-powered peak: the tail's 56Ni powers less than a third of it";
    }
    if (k->popov_out) {
        k->energy_popov_foe = k->mass_popov_msun = k->radius_popov_cm = NAN;
    } else {
        k->L_plateau = pow(10.0, snf_kp_y_near(t, y, n, 0.5 * k->t_dome_end_d));
    }
    if (k->arnett_out) k->nickel_from_peak = NAN;
}

/* Nickel from the tail points idx[m], trapping time profiled (keypoints.h). */
static void snf_kp_tail_nickel(snf_keypoints *k, const double *t, const double *L, const int *idx, int m)
{
    double best_chi2 = INFINITY, best_ln = NAN, best_t0 = NAN, ln_m[400], chi2[400];
    const int NT = 400;
    for (int j = 0; j < NT; j++) {
        const double t0 = 30.0 * pow(100.0, (double)j / (NT - 1)); /* 30 - 3000 d */
        double s = 0, s2 = 0;
        for (int i = 0; i < m; i++) s += log(L[idx[i]] / snf_keypoints_decay_power(t[idx[i]], t0));
        ln_m[j] = s / m;
        for (int i = 0; i < m; i++) {
            const double r = log(L[idx[i]] / snf_keypoints_decay_power(t[idx[i]], t0)) - ln_m[j];
            s2 += r * r;
        }
        chi2[j] = s2;
        if (s2 < best_chi2) { best_chi2 = s2; best_ln = ln_m[j]; best_t0 = t0; }
    }
    const double s2red = m > 2 ? best_chi2 / (m - 2) : 0.0;
    double lo = best_ln, hi = best_ln;
    for (int j = 0; j < NT; j++) {
        if (s2red > 0 ? (chi2[j] - best_chi2) / s2red <= 1.0 : chi2[j] <= best_chi2 * (1 + 1e-9)) {
            lo = fmin(lo, ln_m[j]);
            hi = fmax(hi, ln_m[j]);
        }
    }
    const double stat = m > 2 ? sqrt(s2red / m) : 0.0;
    k->nickel_from_tail = exp(best_ln);
    k->nickel_from_tail_err = k->nickel_from_tail * sqrt(0.25 * (hi - lo) * (hi - lo) + stat * stat);
    k->t0_gamma_d = best_t0;
}

/* Popov (1993) inverted for E, M, R0 (keypoints.h): three log-linear equations in ln E51, ln M10, ln R500. */
static void snf_kp_popov(snf_keypoints *k, double kappa, double t_ion)
{
    const double tp = k->t_dome_end_d, Lp = k->L_plateau, v = k->vph[1];
    if (!(tp > 0 && Lp > 0 && v > 0)) return;
    const double lk = log(kappa / 0.34), lT = log(t_ion / 5054.0);
    const double v0 = sqrt(10.0 * SNF_FOE_ERG / (3.0 * 10.0 * SNF_MSUN_G)) / 1e5; /* km/s for E51 = M10 = 1 */
    /* rows: coefficients of (e, m, r) and right-hand sides */
    double A[3][3] = {{-1.0 / 6, 0.5, 1.0 / 6}, {5.0 / 6, -0.5, 2.0 / 3}, {0.5, -0.5, 0}};
    double b[3] = {log(tp / 99.0) - lk / 6 + 2 * lT / 3, log(Lp / 1.64e42) + lk / 3 - 4 * lT / 3, log(v / v0)};
    /* Cramer's rule */
    const double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                       A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    double x[3];
    for (int c = 0; c < 3; c++) {
        double M[3][3];
        memcpy(M, A, sizeof M);
        for (int r = 0; r < 3; r++) M[r][c] = b[r];
        x[c] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) - M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) / det;
    }
    k->energy_popov_foe = exp(x[0]);
    k->mass_popov_msun = 10.0 * exp(x[1]);
    k->radius_popov_cm = 500.0 * 6.957e10 * exp(x[2]);
}

int snf_keypoints_compute(snf_keypoints *k, const double *t, const double *L, const double *L_err, const double *v,
                          const double *v_err, int n, double kappa_cm2_g, double t_ion_K)
{
    snf_kp_nan(k);
    int idx[4096], m = 0;
    double y[4096], w[4096];
    if (n > 4096) n = 4096; /* key points need no more than a daily curve over 11 years */
    for (int i = 0; i < n; i++) {
        y[i] = NAN;
        w[i] = 0;
        if (isfinite(L[i]) && L[i] > 0) {
            y[i] = log10(L[i]);
            const double rel = L_err && isfinite(L_err[i]) && L_err[i] > 0 ? L_err[i] / L[i] : 0.0;
            w[i] = rel > 0 ? 1.0 / (rel * rel / (M_LN10 * M_LN10)) : 1.0;
            m++;
        }
    }
    for (int j = 0; j < SNF_KP_NV; j++) {
        const double days[SNF_KP_NV] = {15, 30, 50, 100};
        k->vph_day[j] = days[j];
        if (v) snf_interp_at(t, v, v_err, n, days[j], &k->vph[j], &k->vph_err[j]);
    }
    if (m < 3) return -1;
    /* ---- peak: the maximum after the cooling phase (a shock-cooling spike at the first samples is not it) ---- */
    const int icool = snf_kp_cooling_end(y, n);
    int first = 0;
    while (!isfinite(y[first])) first++;
    k->t_cool_end_d = icool > first ? t[icool] : NAN;
    k->L_cool_end = icool >= 0 ? L[icool] : NAN;
    int imax = -1;
    for (int i = icool < 0 ? n : icool; i < n; i++)
        if (isfinite(y[i]) && (imax < 0 || y[i] > y[imax])) imax = i;
    int np = 0;
    for (int i = icool < 0 ? n : icool; i < n; i++)
        if (isfinite(y[i]) && fabs(t[i] - t[imax]) <= 0.25 * t[imax]) idx[np++] = i;
    if (imax >= 0 && np < 3) { /* the maximum and its nearest present neighbour on each side */
        np = 0;
        int before = -1, after = -1;
        for (int i = imax - 1; i >= icool && before < 0; i--) if (isfinite(y[i])) before = i;
        for (int i = imax + 1; i < n && after < 0; i++) if (isfinite(y[i])) after = i;
        if (before >= 0 && after >= 0) {
            idx[0] = before; idx[1] = imax; idx[2] = after;
            np = 3;
        }
    }
    double c[3], cov[3][3];
    if (imax >= 0) {
        k->t_peak_d = t[imax];
        k->L_peak = L[imax];
    }
    if (imax >= 0 && np >= 3 && snf_polyfit(t, y, w, idx, np, 3, t[imax], c, cov) == 0 && c[2] < 0) {
        const double tv = -c[1] / (2 * c[2]);
        if (tv >= t[idx[0]] - t[imax] && tv <= t[idx[np - 1]] - t[imax]) {
            k->t_peak_d = t[imax] + tv;
            const double lv = c[0] - c[1] * c[1] / (4 * c[2]);
            k->L_peak = pow(10.0, lv);
            /* delta method on tv = -c1 / (2 c2) and lv = c0 - c1^2 / (4 c2) */
            const double g1[3] = {0, -1 / (2 * c[2]), c[1] / (2 * c[2] * c[2])};
            const double g2[3] = {1, -c[1] / (2 * c[2]), c[1] * c[1] / (4 * c[2] * c[2])};
            double vt = 0, vl = 0;
            for (int r = 0; r < 3; r++)
                for (int q = 0; q < 3; q++) { vt += g1[r] * cov[r][q] * g1[q]; vl += g2[r] * cov[r][q] * g2[q]; }
            k->t_peak_err = sqrt(fmax(vt, 0));
            k->L_peak_err = k->L_peak * M_LN10 * sqrt(fmax(vl, 0));
        }
    }
    k->rise_d = k->t_peak_d;
    k->rise_err = k->t_peak_err;
    /* ---- end of the dome: steepest local slope of log L after the peak (after the first point if none) ---- */
    const double t_from = isfinite(k->t_peak_d) ? k->t_peak_d : t[first];
    double steepest = 0;
    int ie = -1;
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]) || t[i] <= t_from) continue;
        int q = 0;
        for (int j = 0; j < n; j++)
            if (isfinite(y[j]) && fabs(t[j] - t[i]) <= 5.0 && t[j] >= t_from) idx[q++] = j;
        if (q < 3 || snf_polyfit(t, y, w, idx, q, 2, t[i], c, cov) != 0) continue;
        if (c[1] < steepest) { steepest = c[1]; ie = i; }
    }
    if (ie >= 0) {
        k->t_dome_end_d = t[ie];
        double gap = 1.0;
        for (int j = ie - 1; j >= 0; j--) if (isfinite(y[j])) { gap = t[ie] - t[j]; break; }
        for (int j = ie + 1; j < n; j++) if (isfinite(y[j])) { gap = fmax(gap, t[j] - t[ie]); break; }
        k->t_dome_end_err = fmax(0.5, 0.5 * gap);
        /* ---- tail ---- */
        /* The tail starts once the energy stored in the dome has leaked out: 2 (dome end - peak) after
         * the dome's end (at least 25 d); with fewer than 3 points there, 25 d after it. */
        int q = 0;
        const double late = k->t_dome_end_d + fmax(25.0, 2.0 * (k->t_dome_end_d - t_from));
        for (int j = 0; j < n; j++)
            if (isfinite(y[j]) && t[j] >= late) idx[q++] = j;
        if (q < 3) {
            q = 0;
            for (int j = 0; j < n; j++)
                if (isfinite(y[j]) && t[j] >= k->t_dome_end_d + 25.0) idx[q++] = j;
        }
        k->n_tail = q;
        if (q >= 3) {
            k->t_tail_from_d = t[idx[0]];
            k->t_tail_to_d = t[idx[q - 1]];
            k->t_tail_ref_d = t[idx[q / 2]];
            if (snf_polyfit(t, y, w, idx, q, 2, k->t_tail_ref_d, c, cov) == 0) {
                k->L_tail = pow(10.0, c[0]);
                k->L_tail_err = k->L_tail * M_LN10 * sqrt(fmax(cov[0][0], 0));
                k->decline_mag_100d = -250.0 * c[1];
                k->decline_err = 250.0 * sqrt(fmax(cov[1][1], 0));
            }
            snf_kp_tail_nickel(k, t, L, idx, q);
            /* Systematic part: the estimate from the later half of the tail alone differs when the dome's
             * stored energy (or a leakage the fit misreads) still shapes the early tail. */
            if (q >= 6) {
                snf_keypoints late_half = *k;
                snf_kp_tail_nickel(&late_half, t, L, idx + q / 2, q - q / 2);
                const double d = late_half.nickel_from_tail - k->nickel_from_tail;
                k->nickel_from_tail_err = sqrt(k->nickel_from_tail_err * k->nickel_from_tail_err + d * d);
            }
        }
    }
    k->nickel_from_peak = k->L_peak / snf_keypoints_decay_power(k->t_peak_d, 0.0);
    snf_kp_domains(k, t, y, n, isfinite(k->t_cool_end_d) ? k->t_cool_end_d : t[first]);
    snf_kp_popov(k, kappa_cm2_g, t_ion_K);
    return 0;
}
