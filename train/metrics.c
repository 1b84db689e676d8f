/* metrics.c: per-parameter regression metrics in physical units. MAPE and the median absolute percentage
 * error are taken on the linear parameter (what a reader of "E within 10%" means); R^2 on log10 of it,
 * the space the network regresses in (radius spans three decades: a linear R^2 would be the largest
 * radii's alone). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

static int snf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- public API ---- */

int snf_metrics_compute(snf_metrics *m, const double *truth, const double *pred, long n)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    if (n <= 0) {
        return SNF_OK;
    }
    double *ape = malloc((size_t)n * sizeof *ape);
    if (!ape) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for metrics of %ld rows", n);
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        double s = 0, mean_log = 0;
        for (long i = 0; i < n; i++) {
            double t = truth[i * SNF_DATA_NP + p], y = pred[i * SNF_DATA_NP + p];
            ape[i] = 100.0 * fabs(y - t) / fabs(t);
            s += ape[i];
            mean_log += log10(t);
        }
        m->mape[p] = s / (double)n;
        qsort(ape, (size_t)n, sizeof *ape, snf_cmp_double);
        m->mdape[p] = n % 2 ? ape[n / 2] : 0.5 * (ape[n / 2 - 1] + ape[n / 2]);
        mean_log /= (double)n;
        double ss_res = 0, ss_tot = 0;
        for (long i = 0; i < n; i++) {
            double lt = log10(truth[i * SNF_DATA_NP + p]), ly = log10(pred[i * SNF_DATA_NP + p]);
            ss_res += (ly - lt) * (ly - lt);
            ss_tot += (lt - mean_log) * (lt - mean_log);
        }
        m->r2[p] = ss_tot > 0 ? 1.0 - ss_res / ss_tot : NAN;
    }
    free(ape);
    return SNF_OK;
}

int snf_metrics_baseline(snf_metrics *base, const double *truth, long n, const snf_norm *norm)
{
    memset(base, 0, sizeof *base);
    if (n <= 0) {
        return SNF_OK;
    }
    double *bp = malloc((size_t)n * SNF_DATA_NP * sizeof *bp);
    if (!bp) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for the baseline of %ld rows", n);
    }
    float zero[SNF_DATA_NP] = {0};
    double mean[SNF_DATA_NP];
    snf_data_decode_targets(mean, zero, norm);
    for (long i = 0; i < n; i++) {
        memcpy(bp + i * SNF_DATA_NP, mean, sizeof mean);
    }
    int rc = snf_metrics_compute(base, truth, bp, n);
    free(bp);
    return rc;
}
