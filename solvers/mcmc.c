/* mcmc.c: the MCMC sampler snf_mcmc_* (the affine-invariant ensemble sampler, stretch move; see mcmc.h for the
 * sources). "Ensemble" elsewhere in snforge means the deep ensemble of uq.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "snforge/solvers.h"
#include "snforge/core.h"

static int snf_thread_id(void)
{
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* lp[i] = f(x[i]) for the n points x[n][D], with `threads` threads. */
static void snf_eval_many(const double *x, double *lp, int n, int D, snf_logprob_fn f, void *user, int threads)
{
    (void)threads;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads > 0 ? threads : 1)
#endif
    for (int i = 0; i < n; i++) {
        double v = f(x + (size_t)i * D, snf_thread_id(), user);
        lp[i] = isnan(v) ? -INFINITY : v;
    }
}

int snf_mcmc_alloc(snf_mcmc **out, int W, int D, double a)
{
    *out = NULL;
    if (W < 4 || W % 2 != 0 || D < 1 || !(a > 1) || !isfinite(a)) {
        SNF_ERROR(SNF_EINVAL, "ensemble: walkers = %d, dimensions = %d, a = %g: expected an even number of "
                  "walkers >= 4, dimensions >= 1 and a > 1", W, D, a);
    }
    snf_mcmc *e = calloc(1, sizeof *e);
    if (!e) {
        SNF_ERROR(SNF_ENOMEM, "ensemble: out of memory");
    }
    e->W = W;
    e->D = D;
    e->a = a;
    size_t wd = (size_t)W * (size_t)D;
    e->pos = calloc(wd, sizeof *e->pos);
    e->lp = calloc((size_t)W, sizeof *e->lp);
    e->prop = calloc(wd, sizeof *e->prop);
    e->prop_lp = calloc((size_t)W, sizeof *e->prop_lp);
    e->z = calloc((size_t)W, sizeof *e->z);
    e->u = calloc((size_t)W, sizeof *e->u);
    e->partner = calloc((size_t)W, sizeof *e->partner);
    if (!e->pos || !e->lp || !e->prop || !e->prop_lp || !e->z || !e->u || !e->partner) {
        snf_mcmc_free(e);
        SNF_ERROR(SNF_ENOMEM, "ensemble: out of memory for %d walkers x %d dimensions", W, D);
    }
    *out = e;
    return SNF_OK;
}

int snf_mcmc_start(snf_mcmc *e, const double *x0, snf_logprob_fn f, void *user, int threads)
{
    memcpy(e->pos, x0, (size_t)e->W * (size_t)e->D * sizeof *x0);
    snf_eval_many(e->pos, e->lp, e->W, e->D, f, user, threads);
    e->calls += e->W;
    for (int w = 0; w < e->W; w++) {
        if (!isfinite(e->lp[w])) {
            SNF_ERROR(SNF_EINVAL, "ensemble: walker %d starts where log p = %g (outside the support)", w, e->lp[w]);
        }
    }
    return SNF_OK;
}

void snf_mcmc_restore(snf_mcmc *e, const double *x, const double *lp)
{
    memcpy(e->pos, x, (size_t)e->W * (size_t)e->D * sizeof *x);
    memcpy(e->lp, lp, (size_t)e->W * sizeof *lp);
}

int snf_mcmc_step(snf_mcmc *e, snf_logprob_fn f, void *user, gsl_rng *r, int threads)
{
    const int W = e->W, D = e->D, half = W / 2;
    for (int h = 0; h < 2; h++) {
        const int first = h * half, other = (1 - h) * half;
        /* All random numbers first, serially: the chain does not depend on the thread count. */
        for (int i = 0; i < half; i++) {
            const double v = (e->a - 1.0) * gsl_rng_uniform(r) + 1.0;
            e->z[i] = v * v / e->a; /* inverse CDF of g(z) ~ 1/sqrt(z) on [1/a, a] */
            e->partner[i] = other + (int)gsl_rng_uniform_int(r, (unsigned long)half);
            e->u[i] = gsl_rng_uniform_pos(r);
        }
        for (int i = 0; i < half; i++) {
            const double *x = e->pos + (size_t)(first + i) * D, *xj = e->pos + (size_t)e->partner[i] * D;
            double *y = e->prop + (size_t)i * D;
            for (int d = 0; d < D; d++) {
                y[d] = xj[d] + e->z[i] * (x[d] - xj[d]);
            }
        }
        snf_eval_many(e->prop, e->prop_lp, half, D, f, user, threads);
        e->calls += half;
        for (int i = 0; i < half; i++) {
            const int w = first + i;
            const double logq = (D - 1) * log(e->z[i]) + e->prop_lp[i] - e->lp[w];
            e->proposed++;
            if (isfinite(e->prop_lp[i]) && log(e->u[i]) < logq) {
                memcpy(e->pos + (size_t)w * D, e->prop + (size_t)i * D, (size_t)D * sizeof(double));
                e->lp[w] = e->prop_lp[i];
                e->accepted++;
            }
        }
    }
    return SNF_OK;
}

void snf_mcmc_free(snf_mcmc *e)
{
    if (!e) {
        return;
    }
    free(e->pos);
    free(e->lp);
    free(e->prop);
    free(e->prop_lp);
    free(e->z);
    free(e->u);
    free(e->partner);
    free(e);
}
