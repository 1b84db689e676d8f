/* fit.c: best-fit semi-analytic parameters (E, M, R0, M_Ni) for one hydro curve, by GSL nonlinear least
 * squares (trust region, Levenberg-Marquardt) in ln p. The Jacobian is a forward difference with a
 * fixed step of 2e-3 in ln p: the model is integrated to rtol ~ 3e-6, so GSL's default step (~1e-8
 * relative) would difference integrator noise. A model that fails (or a step outside the model's valid
 * range) gives a large constant residual, which the trust region rejects. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#include "snforge/core.h"
#include "snforge/validation.h"

/* ---- types ---- */

typedef struct snf_fit_ctx {
    snf_model *m;
    const snf_physics *ph;
    const snf_sn_params *p0;
    const double *t;  /* [T] */
    int T;
    const float *lg_h, *v_h;
    const int *use_l, *use_v; /* [T] 1 where the residual is used */
    double *L, *v;    /* [T] model workspace */
    double w_v;
    size_t n;         /* residual count */
} snf_fit_ctx;

#define SNF_FIT_FD_STEP 2e-3    /* ln p: well above the integrator's noise, well below the curvature */
#define SNF_FIT_PENALTY 3.0     /* dex, for a failed model: any successful model is better */
#define SNF_FIT_NO_V_PENALTY 0.3 /* dex: the model has no photosphere where the hydro run has one */

/* ---- static helpers ---- */

static snf_sn_params snf_fit_params(const snf_fit_ctx *c, const gsl_vector *x)
{
    snf_sn_params p = {c->p0->energy_foe * exp(gsl_vector_get(x, 0)), c->p0->mass_msun * exp(gsl_vector_get(x, 1)),
                       c->p0->radius_cm * exp(gsl_vector_get(x, 2)), c->p0->nickel_msun * exp(gsl_vector_get(x, 3))};
    return p;
}

static int snf_fit_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    snf_fit_ctx *c = params;
    snf_sn_params p = snf_fit_params(c, x);
    snf_lc lc = {.L_erg_s = c->L, .vph_km_s = c->v};
    int rc = -1;
    if (isfinite(p.energy_foe) && isfinite(p.mass_msun) && isfinite(p.radius_cm) && isfinite(p.nickel_msun) &&
        p.nickel_msun < p.mass_msun && p.energy_foe < 1e3 && p.mass_msun < 1e3 && p.radius_cm < 1e16) {
        rc = snf_model_run(c->m, &p, c->ph, c->t, c->T, &lc);
    }
    size_t i = 0;
    for (int k = 0; k < c->T; k++) {
        if (c->use_l[k]) {
            double r = SNF_FIT_PENALTY;
            if (rc >= 0 && c->L[k] > 0) {
                r = log10(c->L[k]) - c->lg_h[k];
            }
            gsl_vector_set(f, i++, r);
        }
        if (c->use_v[k]) {
            double r = SNF_FIT_PENALTY;
            if (rc >= 0) {
                r = (isfinite(c->v[k]) && c->v[k] > 0) ? log10(c->v[k] / c->v_h[k]) : -SNF_FIT_NO_V_PENALTY;
            }
            gsl_vector_set(f, i++, c->w_v * r);
        }
    }
    if (rc < 0) {
        snf_error_clear();
    }
    return GSL_SUCCESS;
}

static int snf_fit_df(const gsl_vector *x, void *params, gsl_matrix *J)
{
    snf_fit_ctx *c = params;
    gsl_vector *f0 = gsl_vector_alloc(c->n), *f1 = gsl_vector_alloc(c->n), *x1 = gsl_vector_alloc(4);
    if (!f0 || !f1 || !x1) {
        gsl_vector_free(f0);
        gsl_vector_free(f1);
        gsl_vector_free(x1);
        return GSL_ENOMEM;
    }
    snf_fit_f(x, params, f0);
    for (size_t j = 0; j < 4; j++) {
        gsl_vector_memcpy(x1, x);
        gsl_vector_set(x1, j, gsl_vector_get(x, j) + SNF_FIT_FD_STEP);
        snf_fit_f(x1, params, f1);
        for (size_t i = 0; i < c->n; i++) {
            gsl_matrix_set(J, i, j, (gsl_vector_get(f1, i) - gsl_vector_get(f0, i)) / SNF_FIT_FD_STEP);
        }
    }
    gsl_vector_free(f0);
    gsl_vector_free(f1);
    gsl_vector_free(x1);
    return GSL_SUCCESS;
}

static double snf_fit_rms(const gsl_vector *f)
{
    return f->size ? gsl_blas_dnrm2(f) / sqrt((double)f->size) : NAN;
}

/* ---- public API ---- */

int snf_valid_fit_run(snf_valid_fit *fit, snf_model *m, const snf_physics *ph, const snf_sn_params *start,
                      const double *t, int T, const float *lg_h, const float *v_h, const snf_valid_opts *o)
{
    memset(fit, 0, sizeof *fit);
    fit->p = *start;
    fit->rms = fit->rms_start = NAN;
    int rc = SNF_OK;
    int *use_l = calloc((size_t)T, sizeof *use_l), *use_v = calloc((size_t)T, sizeof *use_v);
    double *L = malloc((size_t)T * sizeof *L), *v = malloc((size_t)T * sizeof *v);
    gsl_multifit_nlinear_workspace *w = NULL;
    gsl_vector *x = NULL;
    if (!use_l || !use_v || !L || !v) {
        SNF_FAIL(SNF_ENOMEM, "out of memory (%d times)", T);
    }
    size_t n = 0;
    for (int k = 0; k < T; k++) {
        use_l[k] = t[k] >= o->t_fit_min_d && isfinite(lg_h[k]);
        use_v[k] = o->fit_v_weight > 0 && t[k] >= o->t_fit_min_d && isfinite(v_h[k]) && v_h[k] > 0;
        n += (size_t)use_l[k] + (size_t)use_v[k];
    }
    if (n < 8) {
        SNF_FAIL(SNF_EINVAL, "only %zu usable hydro points: expected at least 8 to fit 4 parameters", n);
    }
    snf_fit_ctx c = {.m = m, .ph = ph, .p0 = start, .t = t, .T = T, .lg_h = lg_h, .v_h = v_h, .use_l = use_l,
                     .use_v = use_v, .L = L, .v = v, .w_v = o->fit_v_weight, .n = n};
    gsl_multifit_nlinear_fdf fdf = {.f = snf_fit_f, .df = snf_fit_df, .fvv = NULL, .n = n, .p = 4, .params = &c};
    gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
    w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, n, 4);
    x = gsl_vector_calloc(4);
    if (!w || !x) {
        SNF_FAIL(SNF_ENOMEM, "out of memory (GSL workspace %zu x 4)", n);
    }
    int e = gsl_multifit_nlinear_init(x, &fdf, w);
    if (e != 0) {
        SNF_FAIL(SNF_EGSL, "gsl_multifit_nlinear_init: %s", gsl_strerror(e));
    }
    fit->rms_start = snf_fit_rms(gsl_multifit_nlinear_residual(w));
    int info = 0;
    e = gsl_multifit_nlinear_driver((size_t)o->fit_max_iter, 1e-5, 1e-8, 1e-10, NULL, NULL, &info, w);
    /* GSL_EMAXITER and GSL_ENOPROG still leave the best point found so far: keep it. */
    if (e != 0 && e != GSL_EMAXITER && e != GSL_ENOPROG) {
        SNF_FAIL(SNF_EGSL, "gsl_multifit_nlinear_driver: %s", gsl_strerror(e));
    }
    fit->p = snf_fit_params(&c, gsl_multifit_nlinear_position(w));
    fit->rms = snf_fit_rms(gsl_multifit_nlinear_residual(w));
    fit->n_iter = (int)gsl_multifit_nlinear_niter(w);
cleanup:
    fit->status = rc;
    gsl_vector_free(x);
    gsl_multifit_nlinear_free(w);
    free(use_l);
    free(use_v);
    free(L);
    free(v);
    return rc;
}
