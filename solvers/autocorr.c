/* autocorr.c: autocorrelation function by FFT and the integrated autocorrelation time with Sokal's
 * automatic window (see mcmc.h for the sources). */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_complex.h>

#include "snforge/solvers.h"
#include "snforge/core.h"

int snf_autocorr_function(const double *x, long n, double *rho)
{
    if (n < 2) {
        SNF_ERROR(SNF_EINVAL, "autocorrelation: %ld samples, expected at least 2", n);
    }
    size_t m = 1;
    while (m < 2 * (size_t)n) {
        m <<= 1; /* zero padding to >= 2n: the circular correlation equals the linear one */
    }
    double *c = calloc(2 * m, sizeof *c); /* packed complex */
    if (!c) {
        SNF_ERROR(SNF_ENOMEM, "autocorrelation: out of memory for %zu points", m);
    }
    double mean = 0;
    for (long i = 0; i < n; i++) {
        mean += x[i];
    }
    mean /= (double)n;
    for (long i = 0; i < n; i++) {
        c[2 * i] = x[i] - mean;
    }
    int rc = gsl_fft_complex_radix2_forward(c, 1, m);
    if (rc == GSL_SUCCESS) {
        for (size_t k = 0; k < m; k++) { /* power spectrum |X_k|^2 */
            c[2 * k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1];
            c[2 * k + 1] = 0;
        }
        rc = gsl_fft_complex_radix2_inverse(c, 1, m);
    }
    if (rc != GSL_SUCCESS) {
        free(c);
        SNF_ERROR(SNF_EGSL, "autocorrelation: GSL FFT: %s", gsl_strerror(rc));
    }
    const double c0 = c[0];
    if (!(c0 > 0)) {
        free(c);
        SNF_ERROR(SNF_EINVAL, "autocorrelation: the series is constant (zero variance)");
    }
    for (long t = 0; t < n; t++) {
        rho[t] = c[2 * t] / c0;
    }
    free(c);
    return SNF_OK;
}

int snf_autocorr_time(const double *chain, long S, int W, long stride, double c, double *tau, int *reliable)
{
    *tau = NAN;
    *reliable = 0;
    if (S < 2 || W < 1 || !(c > 0)) {
        SNF_ERROR(SNF_EINVAL, "autocorrelation time: %ld steps x %d walkers, c = %g: expected >= 2 steps, "
                  ">= 1 walker and c > 0", S, W, c);
    }
    double *x = malloc((size_t)S * sizeof *x), *rho = malloc((size_t)S * sizeof *rho),
           *avg = calloc((size_t)S, sizeof *avg);
    int rc = SNF_OK;
    if (!x || !rho || !avg) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "autocorrelation time: out of memory");
        goto done;
    }
    int used = 0;
    for (int w = 0; w < W; w++) {
        for (long s = 0; s < S; s++) {
            x[s] = chain[s * stride + w];
        }
        int r = snf_autocorr_function(x, S, rho);
        if (r == SNF_EINVAL) {
            continue; /* a walker that never moved carries no information about its correlation */
        }
        if (r < 0) {
            rc = r;
            goto done;
        }
        for (long s = 0; s < S; s++) {
            avg[s] += rho[s];
        }
        used++;
    }
    if (used == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "autocorrelation time: every walker's series is constant");
        goto done;
    }
    /* Sokal: tau(M) = 1 + 2 sum_{t=1}^{M} rho(t); the smallest M with M >= c tau(M). */
    double t_sum = 1.0;
    long M = S - 1;
    for (long m = 1; m < S; m++) {
        t_sum += 2.0 * avg[m] / used;
        if ((double)m >= c * t_sum) {
            M = m;
            break;
        }
    }
    (void)M;
    *tau = t_sum;
    *reliable = (double)S >= 50.0 * t_sum;
done:
    free(x);
    free(rho);
    free(avg);
    return rc;
}
