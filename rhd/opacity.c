/* opacity.c: OPAL Rosseland mean opacities at a composition (X, carbon and oxygen excesses) and at
 * (log T, log R). A cell's composition is fixed in a Lagrangian code, so a run composes one 134 x 19 table
 * per composition once (snf_rhd_opal_compose) and interpolates in it every step. A point off the tabulated
 * region is reported, never extrapolated. */
#include "snforge/rhd.h"

#include <math.h>
#include <stdlib.h>

#define NT SNF_RHD_OPAL_NT
#define NR SNF_RHD_OPAL_NR

/* ---- interpolation in a composed table ---- */

/* Largest k with x[k] <= v (v inside [x[0], x[n-1]]), at most n - 2. */
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

/* Cubic Hermite on [x1, x2] with slopes from the outer neighbours when they are values (else the slope of
 * the interval itself). NaN unless f1 and f2 are values. */
static double hermite(double v, const double *x, const double *f)
{
    double x1 = x[1], x2 = x[2], f1 = f[1], f2 = f[2];
    if (isnan(f1) || isnan(f2)) {
        return NAN;
    }
    double h = x2 - x1, s = (f2 - f1) / h;
    double m1 = !isnan(f[0]) ? (f2 - f[0]) / (x2 - x[0]) : s;
    double m2 = !isnan(f[3]) ? (f[3] - f1) / (x[3] - x1) : s;
    double t = (v - x1) / h, t2 = t * t, t3 = t2 * t;
    return (2 * t3 - 3 * t2 + 1) * f1 + (t3 - 2 * t2 + t) * h * m1 + (-2 * t3 + 3 * t2) * f2 + (t3 - t2) * h * m2;
}

int snf_rhd_opal_table_logk(const snf_rhd_opal *op, const double *table, double lt, double lr, double *logk)
{
    if (!(lt >= op->logT[0] && lt <= op->logT[NT - 1] && lr >= op->logR[0] && lr <= op->logR[NR - 1])) {
        return -1;
    }
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
            f[r] = in ? table[ii * NR + jj] : NAN;
            xt[r] = in ? op->logT[ii] : 0;
        }
        col[c] = hermite(lt, xt, f);
    }
    double v = hermite(lr, xr, col);
    if (isnan(v)) {
        return -1;
    }
    *logk = v;
    return 0;
}

/* ---- composition weights ---- */

static double u_of(double x)
{
    return log10(x + SNF_RHD_OPAL_Z + 0.001);
}

/* The tables of file f on the row dXo = o (sorted by dXc): their indices into idx[], count returned. */
static int row_tables(const snf_rhd_opal *op, int f, double o, int *idx)
{
    int n = 0;
    for (int t = 0; t < op->ntab[f]; t++) {
        if (fabs(op->dXo[f][t] - o) < 1e-6) {
            int k = n++;
            while (k > 0 && op->dXc[f][idx[k - 1]] > op->dXc[f][t]) {
                idx[k] = idx[k - 1];
                k--;
            }
            idx[k] = t;
        }
    }
    return n;
}

/* Weights along a sorted row at dXc = xc (clamped to the row's ends): up to 2 entries. */
static int row_weights(const snf_rhd_opal *op, int f, const int *idx, int n, double xc, int *tab, double *w)
{
    if (n == 1 || xc <= op->dXc[f][idx[0]]) {
        tab[0] = idx[0];
        w[0] = 1.0;
        return 1;
    }
    if (xc >= op->dXc[f][idx[n - 1]]) {
        tab[0] = idx[n - 1];
        w[0] = 1.0;
        return 1;
    }
    int k = 0;
    while (k < n - 2 && xc > op->dXc[f][idx[k + 1]]) {
        k++;
    }
    double a = u_of(op->dXc[f][idx[k]]), b = u_of(op->dXc[f][idx[k + 1]]);
    double q = (u_of(xc) - a) / (b - a);
    tab[0] = idx[k];
    w[0] = 1.0 - q;
    tab[1] = idx[k + 1];
    w[1] = q;
    return 2;
}

/* Weights within one file: the two rows of dXo around xo, each interpolated in dXc. */
static int file_weights(const snf_rhd_opal *op, int f, double xc, double xo, int *tab, double *w)
{
    /* distinct dXo values of the file, sorted */
    double rows[SNF_RHD_OPAL_NTAB];
    int nr = 0;
    for (int t = 0; t < op->ntab[f]; t++) {
        int seen = 0;
        for (int k = 0; k < nr; k++) {
            seen = seen || fabs(rows[k] - op->dXo[f][t]) < 1e-6;
        }
        if (!seen) {
            int k = nr++;
            while (k > 0 && rows[k - 1] > op->dXo[f][t]) {
                rows[k] = rows[k - 1];
                k--;
            }
            rows[k] = op->dXo[f][t];
        }
    }
    int lo = 0;
    while (lo < nr - 1 && xo > rows[lo + 1]) {
        lo++;
    }
    int hi = lo + 1 < nr && xo > rows[lo] ? lo + 1 : lo;
    double q = hi > lo ? (u_of(xo) - u_of(rows[lo])) / (u_of(rows[hi]) - u_of(rows[lo])) : 0.0;
    if (q > 1.0) {
        q = 1.0;
    }
    int n = 0, idx[SNF_RHD_OPAL_NTAB];
    int rws[2] = {lo, hi};
    double rw[2] = {1.0 - q, q};
    for (int k = 0; k < (hi > lo ? 2 : 1); k++) {
        int m = row_tables(op, f, rows[rws[k]], idx);
        int t2[2];
        double w2[2];
        int c = row_weights(op, f, idx, m, xc, t2, w2);
        for (int j = 0; j < c; j++) {
            tab[n] = t2[j];
            w[n++] = (hi > lo ? rw[k] : 1.0) * w2[j];
        }
    }
    return n;
}

int snf_rhd_opal_weights(const snf_rhd_opal *op, double X, double xc, double xo, int *file, int *tab, double *w)
{
    const int NX = SNF_RHD_OPAL_NX;
    if (X < op->X[0]) {
        X = op->X[0];
    }
    if (X > op->X[NX - 1]) {
        X = op->X[NX - 1];
    }
    int k = 0;
    while (k < NX - 2 && X > op->X[k + 1]) {
        k++;
    }
    double q = (X - op->X[k]) / (op->X[k + 1] - op->X[k]);
    int n = 0;
    for (int f = k; f <= k + 1; f++) {
        double wf = f == k ? 1.0 - q : q;
        if (wf <= 0.0) {
            continue;
        }
        int t4[4];
        double w4[4];
        int m = file_weights(op, f, xc, xo, t4, w4);
        for (int j = 0; j < m; j++) {
            if (w4[j] * wf > 0.0) {
                file[n] = f;
                tab[n] = t4[j];
                w[n++] = w4[j] * wf;
            }
        }
    }
    return n;
}

void snf_rhd_opal_compose(const snf_rhd_opal *op, double X, double xc, double xo, double *table)
{
    int file[8], tab[8];
    double w[8];
    int n = snf_rhd_opal_weights(op, X, xc, xo, file, tab, w);
    for (int i = 0; i < NT; i++) {
        for (int j = 0; j < NR; j++) {
            double v = 0.0;
            for (int k = 0; k < n; k++) {
                v += w[k] * op->logk[file[k]][tab[k]][i][j];
            }
            table[i * NR + j] = v; /* NaN propagates */
        }
    }
}

int snf_rhd_opal_logk(const snf_rhd_opal *op, double X, double xc, double xo, double logT, double logR,
                      double *logk)
{
    double *t = malloc((size_t)NT * NR * sizeof *t);
    if (!t) {
        return -1;
    }
    snf_rhd_opal_compose(op, X, xc, xo, t);
    int rc = snf_rhd_opal_table_logk(op, t, logT, logR, logk);
    free(t);
    return rc;
}
