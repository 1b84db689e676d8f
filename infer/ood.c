/* ood.c: the out-of-distribution score of uq.h: Mahalanobis distance of pooled features under a shrunk
 * covariance (Cholesky by GSL), and its empirical p-value on validation rows. GSL only here (no cblas). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "snforge/core.h"
#include "snforge/infer.h"

/* ---- static helpers ---- */

static int snf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- public API ---- */

int snf_ood_fit(snf_ood *o, const float *feat, long n, int D, double shrinkage)
{
    memset(o, 0, sizeof *o);
    if (n < 2 || D < 1) {
        SNF_ERROR(SNF_EINVAL, "the OOD fit needs >= 2 feature rows of >= 1 features (got %ld x %d)", n, D);
    }
    o->D = D;
    o->mean = calloc((size_t)D, sizeof *o->mean);
    o->chol = calloc((size_t)D * D, sizeof *o->chol);
    if (!o->mean || !o->chol) {
        snf_ood_free(o);
        SNF_ERROR(SNF_ENOMEM, "out of memory for the OOD fit (%d features)", D);
    }
    for (long i = 0; i < n; i++) {
        for (int a = 0; a < D; a++) {
            o->mean[a] += feat[i * D + a];
        }
    }
    for (int a = 0; a < D; a++) {
        o->mean[a] /= (double)n;
    }
    double *S = o->chol;
    double *dv = malloc((size_t)D * sizeof *dv);
    if (!dv) {
        snf_ood_free(o);
        SNF_ERROR(SNF_ENOMEM, "out of memory for the OOD fit");
    }
    for (long i = 0; i < n; i++) {
        for (int a = 0; a < D; a++) {
            dv[a] = feat[i * D + a] - o->mean[a];
        }
        for (int a = 0; a < D; a++) {
            for (int b = 0; b <= a; b++) {
                S[a * D + b] += dv[a] * dv[b];
            }
        }
    }
    free(dv);
    double tr = 0.0;
    for (int a = 0; a < D; a++) {
        for (int b = 0; b <= a; b++) {
            S[a * D + b] /= (double)(n - 1);
            S[b * D + a] = S[a * D + b];
        }
        tr += S[a * D + a];
    }
    /* 1e-12: a floor for a feature set that is constant over every training row */
    double target = tr / D > 1e-12 ? tr / D : 1e-12;
    for (int a = 0; a < D; a++) {
        for (int b = 0; b < D; b++) {
            S[a * D + b] *= 1.0 - shrinkage;
        }
        S[a * D + a] += shrinkage * target;
    }
    gsl_matrix_view mv = gsl_matrix_view_array(S, (size_t)D, (size_t)D);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_linalg_cholesky_decomp1(&mv.matrix);
    gsl_set_error_handler(old);
    if (st != 0) {
        snf_ood_free(o);
        SNF_ERROR(SNF_ENONFINITE, "the shrunk feature covariance is not positive definite (%s)", gsl_strerror(st));
    }
    return SNF_OK;
}

double snf_ood_d2(const snf_ood *o, const float *f)
{
    /* solve L z = f - m by forward substitution; d2 = |z|^2 */
    const int D = o->D;
    double d2 = 0.0;
    double zs[512];
    double *z = D <= 512 ? zs : malloc((size_t)D * sizeof *z);
    if (!z) {
        return NAN;
    }
    for (int a = 0; a < D; a++) {
        double s = (double)f[a] - o->mean[a];
        for (int b = 0; b < a; b++) {
            s -= o->chol[a * D + b] * z[b];
        }
        z[a] = s / o->chol[a * D + a];
        d2 += z[a] * z[a];
    }
    if (z != zs) {
        free(z);
    }
    return d2;
}

int snf_ood_set_reference(snf_ood *o, const float *feat, long n)
{
    free(o->ref_d2);
    o->ref_d2 = NULL;
    o->n_ref = 0;
    if (n < 1) {
        return SNF_OK;
    }
    o->ref_d2 = malloc((size_t)n * sizeof *o->ref_d2);
    if (!o->ref_d2) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for %ld OOD reference rows", n);
    }
    for (long i = 0; i < n; i++) {
        o->ref_d2[i] = snf_ood_d2(o, feat + i * o->D);
    }
    qsort(o->ref_d2, (size_t)n, sizeof *o->ref_d2, snf_cmp_double);
    o->n_ref = n;
    return SNF_OK;
}

double snf_ood_pvalue(const snf_ood *o, double d2)
{
    if (o->n_ref < 1) {
        return 1.0;
    }
    /* first index with ref_d2 >= d2 (binary search): the count at or above is n_ref - lo */
    long lo = 0, hi = o->n_ref;
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (o->ref_d2[mid] < d2) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (1.0 + (double)(o->n_ref - lo)) / ((double)o->n_ref + 1.0);
}

void snf_ood_free(snf_ood *o)
{
    if (!o) {
        return;
    }
    free(o->mean);
    free(o->chol);
    free(o->ref_d2);
    memset(o, 0, sizeof *o);
}
