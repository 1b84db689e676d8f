/* mixture.c: equal-weight Gaussian mixtures in one dimension (uq.h): moments, CDF, density, quantiles
 * by bisection; coverage / NLL scoring and the validation-fitted variance scale. */
#include <math.h>
#include <stdlib.h>

#include "snforge/infer.h"

/* ---- static helpers ---- */

/* A variance floor for point masses: 1e-12 of the squared scale of the means (or of 1). */
static double snf_mix_floor(const double *mu, int n)
{
    double s = 1.0;
    for (int i = 0; i < n; i++) {
        s = fmax(s, fabs(mu[i]));
    }
    return 1e-12 * s * s;
}

/* ---- public API ---- */

double snf_mix_cdf(double x, const double *mu, const double *var, int n)
{
    double fl = snf_mix_floor(mu, n), c = 0.0;
    for (int i = 0; i < n; i++) {
        c += 0.5 * erfc(-(x - mu[i]) / sqrt(2.0 * fmax(var[i], fl)));
    }
    return c / n;
}

double snf_mix_logpdf(double x, const double *mu, const double *var, int n)
{
    /* log-sum-exp over the components */
    double fl = snf_mix_floor(mu, n), m = -INFINITY;
    double lp[64];
    double *l = n <= 64 ? lp : malloc((size_t)n * sizeof *l);
    if (!l) {
        return NAN;
    }
    for (int i = 0; i < n; i++) {
        double v = fmax(var[i], fl), d = x - mu[i];
        l[i] = -0.91893853320467274178 - 0.5 * log(v) - 0.5 * d * d / v;
        m = fmax(m, l[i]);
    }
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        s += exp(l[i] - m);
    }
    if (l != lp) {
        free(l);
    }
    return m + log(s / n);
}

double snf_mix_quantile(double q, const double *mu, const double *var, int n)
{
    double fl = snf_mix_floor(mu, n), lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        double sd = sqrt(fmax(var[i], fl));
        lo = fmin(lo, mu[i] - 12.0 * sd); /* every component's CDF is < 1e-32 below and > 1 - 1e-32 above */
        hi = fmax(hi, mu[i] + 12.0 * sd);
    }
    double tol = 1e-10 * (hi - lo);
    for (int it = 0; it < 200 && hi - lo > tol; it++) {
        double mid = 0.5 * (lo + hi);
        if (snf_mix_cdf(mid, mu, var, n) < q) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return 0.5 * (lo + hi);
}

snf_mix_summary snf_mix_summarise(const double *mu, const double *var, int n)
{
    snf_mix_summary s;
    double m = 0.0, m2 = 0.0;
    for (int i = 0; i < n; i++) {
        m += mu[i];
        m2 += var[i] + mu[i] * mu[i];
    }
    m /= n;
    m2 /= n;
    s.mean = m;
    s.std = sqrt(fmax(m2 - m * m, 0.0));
    s.lo68 = snf_mix_quantile(0.158655253931457, mu, var, n);
    s.hi68 = snf_mix_quantile(0.841344746068543, mu, var, n);
    s.lo95 = snf_mix_quantile(0.025, mu, var, n);
    s.hi95 = snf_mix_quantile(0.975, mu, var, n);
    return s;
}

void snf_calib_add(snf_calib_sum *s, const double *truth, const double *mu, const double *var, int ncomp, long n)
{
    for (long i = 0; i < n; i++) {
        const double *m = mu + i * ncomp, *v = var + i * ncomp;
        snf_mix_summary q = snf_mix_summarise(m, v, ncomp);
        s->in68 += truth[i] >= q.lo68 && truth[i] <= q.hi68;
        s->in95 += truth[i] >= q.lo95 && truth[i] <= q.hi95;
        s->nll -= snf_mix_logpdf(truth[i], m, v, ncomp);
    }
    s->n += n;
}

void snf_calib_finish(const snf_calib_sum *s, snf_calib *c)
{
    c->n = s->n;
    c->cover68 = s->n > 0 ? 100.0 * (double)s->in68 / (double)s->n : NAN;
    c->cover95 = s->n > 0 ? 100.0 * (double)s->in95 / (double)s->n : NAN;
    c->nll = s->n > 0 ? s->nll / (double)s->n : NAN;
}

void snf_calib_score(snf_calib *c, const double *truth, const double *mu, const double *var, int ncomp, long n)
{
    snf_calib_sum s = {0, 0, 0, 0.0};
    snf_calib_add(&s, truth, mu, var, ncomp, n);
    snf_calib_finish(&s, c);
}

void snf_mix_rescale(double *mu, double *var, int ncomp, double k)
{
    double m = 0.0;
    for (int i = 0; i < ncomp; i++) {
        m += mu[i];
    }
    m /= ncomp;
    for (int i = 0; i < ncomp; i++) {
        mu[i] = m + k * (mu[i] - m);
        var[i] *= k * k;
    }
}

double snf_calib_fit_var_add(const double *truth, const double *pred, long n)
{
    double s = 0.0;
    for (long i = 0; i < n; i++) {
        double r = truth[i] - pred[i];
        s += r * r;
    }
    return n > 0 ? s / (double)n : 0.0;
}

/* mean NLL of the rows with every mixture rescaled by k */
static double snf_calib_nll_at(double k, const double *truth, const double *mu, const double *var, int ncomp,
                               long n, double *wm, double *wv)
{
    double nll = 0.0;
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < ncomp; j++) {
            wm[j] = mu[i * ncomp + j];
            wv[j] = var[i * ncomp + j];
        }
        snf_mix_rescale(wm, wv, ncomp, k);
        nll -= snf_mix_logpdf(truth[i], wm, wv, ncomp);
    }
    return nll / (double)n;
}

double snf_calib_fit_scale(const double *truth, const double *mu, const double *var, int ncomp, long n)
{
    double *wm = malloc(2 * (size_t)ncomp * sizeof *wm);
    if (!wm || n < 1) {
        free(wm);
        return 1.0;
    }
    double *wv = wm + ncomp;
    const double g = 0.61803398874989484820;
    double a = log(0.05), b = log(20.0);
    double x1 = b - g * (b - a), x2 = a + g * (b - a);
    double f1 = snf_calib_nll_at(exp(x1), truth, mu, var, ncomp, n, wm, wv);
    double f2 = snf_calib_nll_at(exp(x2), truth, mu, var, ncomp, n, wm, wv);
    while (b - a > 1e-6) {
        if (f1 < f2) {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = snf_calib_nll_at(exp(x1), truth, mu, var, ncomp, n, wm, wv);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = snf_calib_nll_at(exp(x2), truth, mu, var, ncomp, n, wm, wv);
        }
    }
    free(wm);
    return exp(0.5 * (a + b));
}
