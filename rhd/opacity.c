/* opacity.c: interpolation of OPAL Rosseland mean opacities in (X, log T, log R). The tables are arrays
 * (read by read_opal.c); a point outside the tabulated region is reported, never extrapolated. */
#include "snforge/rhd.h"

#include <math.h>

/* Largest k with x[k] <= v < x[k+1] in x[0..n) (v inside [x[0], x[n-1]]). */
static int bracket(const double *x, int n, double v)
{
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (v >= x[mid]) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Cubic Hermite on [x1, x2] with slopes from the outer neighbours when they exist (f0 or f3 NaN: the
 * slope of the interval itself). NaN unless f1 and f2 are values. */
static double hermite(double v, const double *x, const double *f, int have0, int have3)
{
    double x1 = x[1], x2 = x[2], f1 = f[1], f2 = f[2];
    if (isnan(f1) || isnan(f2)) {
        return NAN;
    }
    double h = x2 - x1, s = (f2 - f1) / h;
    double m1 = (have0 && !isnan(f[0])) ? (f2 - f[0]) / (x2 - x[0]) : s;
    double m2 = (have3 && !isnan(f[3])) ? (f[3] - f1) / (x[3] - x1) : s;
    double t = (v - x1) / h, t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * f1 + (t3 - 2 * t2 + t) * h * m1 + (-2 * t3 + 3 * t2) * f2 + (t3 - t2) * h * m2;
}

/* One table at (log T, log R): Hermite in log T on the four columns around log R, then in log R. */
static double table_logk(const snf_rhd_opal *op, int kx, double lt, double lr)
{
    const int NT = SNF_RHD_OPAL_NT, NR = SNF_RHD_OPAL_NR;
    int i = bracket(op->logT, NT, lt), j = bracket(op->logR, NR, lr);
    double col[4], xr[4];
    for (int c = 0; c < 4; c++) {
        int jj = j - 1 + c;
        col[c] = NAN;
        xr[c] = 0;
        if (jj < 0 || jj >= NR) {
            continue;
        }
        xr[c] = op->logR[jj];
        double f[4], xt[4];
        for (int r = 0; r < 4; r++) {
            int ii = i - 1 + r;
            int in = ii >= 0 && ii < NT;
            f[r] = in ? op->logk[kx][ii][jj] : NAN;
            xt[r] = in ? op->logT[ii] : 0;
        }
        col[c] = hermite(lt, xt, f, i - 1 >= 0, i + 2 < NT);
    }
    return hermite(lr, xr, col, j - 1 >= 0, j + 2 < NR);
}

int snf_rhd_opal_logk(const snf_rhd_opal *op, double X, double logT, double logR, double *logk)
{
    const int NT = SNF_RHD_OPAL_NT, NR = SNF_RHD_OPAL_NR, NX = SNF_RHD_OPAL_NX;
    if (!(logT >= op->logT[0] && logT <= op->logT[NT - 1] && logR >= op->logR[0] && logR <= op->logR[NR - 1])) {
        return -1;
    }
    if (X < op->X[0]) {
        X = op->X[0];
    }
    if (X > op->X[NX - 1]) {
        X = op->X[NX - 1];
    }
    int k = bracket(op->X, NX, X);
    if (k >= NX - 1) {
        k = NX - 2;
    }
    double w = (X - op->X[k]) / (op->X[k + 1] - op->X[k]);
    double a = w < 1.0 ? table_logk(op, k, logT, logR) : 0.0;
    double b = w > 0.0 ? table_logk(op, k + 1, logT, logR) : 0.0;
    double v = (1.0 - w) * a + w * b;
    if (isnan(v)) {
        return -1;
    }
    *logk = v;
    return 0;
}
