/* mcmc_fit.c: the posterior of the semi-analytic model given one observation and its ensemble-MCMC
 * sampling (fit.h). Start: the best of `init_draws` prior draws, polished by a Nelder-Mead simplex
 * (GSL nmsimplex2) on -ln p, then a small ball around it; chains in memory, checkpointed to HDF5
 * (mcmc_chain.c) so that a rerun of the same command continues where the last one stopped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "internal_fit.h"
#include "snforge/solvers.h"
#include "snforge/core.h"

/* ---- posterior ---- */

snf_fit_opts snf_fit_opts_default(void)
{
    snf_fit_opts o = {.walkers = 32, .steps = 2000, .burn = -1, .seed = 1987, .threads = 1, .init_draws = 256,
                      .has_start = 0, .chain_path = NULL, .checkpoint_steps = 100, .quiet = 0};
    return o;
}

/* Physical value of sampled coordinate k. */
static double snf_fit_phys(const snf_fit_ctx *f, int k, double u)
{
    return f->log_scale[k] ? exp(u) : u;
}

double snf_fit_lnprob(const double *u, int thread, void *user)
{
    snf_fit_ctx *f = user;
    const snf_campaign *c = f->c;
    double x[SNF_CONFIG_MAX_AXES];
    for (int k = 0; k < f->D; k++) {
        if (!(u[k] >= f->ulo[k] && u[k] <= f->uhi[k])) {
            return -INFINITY; /* uniform prior: zero outside the range */
        }
    }
    for (int a = 0; a < c->n_axes; a++) {
        x[a] = f->axis_dim[a] >= 0 ? snf_fit_phys(f, f->axis_dim[a], u[f->axis_dim[a]]) : c->axes[a].lo;
    }
    snf_sn_params p;
    snf_physics ph;
    snf_config_model_inputs(c, x, &p, &ph);
    snf_fit_thread *th = &f->th[thread];
    snf_lc lc = {.L_erg_s = th->L, .vph_km_s = th->v};
    int rc = snf_model_run(th->m, &p, &ph, f->t, f->n, &lc);
    if (rc < 0) {
        return -INFINITY;
    }
    const double fl = f->dim_floor_L >= 0 ? exp(u[f->dim_floor_L]) : 0.0;
    const double fv = f->dim_floor_v >= 0 ? exp(u[f->dim_floor_v]) : 0.0;
    double lp = 0.0;
    for (int i = 0; i < f->n; i++) {
        if (isfinite(f->yL[i])) {
            const double m = th->L[i], s2 = f->eL[i] * f->eL[i] + fl * fl * m * m, r = f->yL[i] - m;
            if (!(s2 > 0)) {
                return -INFINITY;
            }
            lp += -0.5 * r * r / s2 - 0.5 * log(s2);
        }
        if (isfinite(f->yv[i])) {
            const double m = isfinite(th->v[i]) ? th->v[i] : 0.0; /* the front is gone: v_ph -> 0 */
            const double s2 = f->ev[i] * f->ev[i] + fv * fv * m * m, r = f->yv[i] - m;
            if (!(s2 > 0)) {
                return -INFINITY;
            }
            lp += -0.5 * r * r / s2 - 0.5 * log(s2);
        }
    }
    return isfinite(lp) ? lp : -INFINITY;
}

void snf_fit_ctx_free(snf_fit_ctx *f)
{
    if (f->th) {
        for (int i = 0; i < f->n_threads; i++) {
            snf_model_free(f->th[i].m);
            free(f->th[i].L);
            free(f->th[i].v);
        }
    }
    free(f->th);
    free(f->t);
    free(f->yL);
    free(f->yv);
    free(f->eL);
    free(f->ev);
    memset(f, 0, sizeof *f);
}

int snf_fit_ctx_init(snf_fit_ctx *f, const snf_campaign *c, const snf_obs *obs, int threads, snf_fit_result *res)
{
    memset(f, 0, sizeof *f);
    f->c = c;
    f->n_threads = threads > 0 ? threads : 1;
    long n = 0;
    for (long i = 0; i < obs->n; i++) {
        n += obs->t_d[i] >= 0 && (isfinite(obs->L_erg_s[i]) || isfinite(obs->vph_km_s[i]));
    }
    if (n < 1) {
        SNF_ERROR(SNF_EINVAL, "the observation has no L or v_ph at t_d >= 0 (days since explosion)");
    }
    f->n = (int)n;
    f->t = malloc((size_t)n * sizeof(double));
    f->yL = malloc((size_t)n * sizeof(double));
    f->yv = malloc((size_t)n * sizeof(double));
    f->eL = malloc((size_t)n * sizeof(double));
    f->ev = malloc((size_t)n * sizeof(double));
    f->th = calloc((size_t)f->n_threads, sizeof *f->th);
    if (!f->t || !f->yL || !f->yv || !f->eL || !f->ev || !f->th) {
        snf_fit_ctx_free(f);
        SNF_ERROR(SNF_ENOMEM, "fit: out of memory");
    }
    int has_L = 0, has_v = 0, j = 0;
    for (long i = 0; i < obs->n; i++) {
        if (!(obs->t_d[i] >= 0 && (isfinite(obs->L_erg_s[i]) || isfinite(obs->vph_km_s[i])))) {
            continue;
        }
        f->t[j] = obs->t_d[i];
        f->yL[j] = obs->L_erg_s[i];
        f->yv[j] = obs->vph_km_s[i];
        f->eL[j] = obs->L_err && isfinite(obs->L_err[i]) ? obs->L_err[i] : 0.0;
        f->ev[j] = obs->vph_err && isfinite(obs->vph_err[i]) ? obs->vph_err[i] : 0.0;
        has_L |= isfinite(f->yL[j]);
        has_v |= isfinite(f->yv[j]);
        j++;
    }
    for (int i = 0; i < f->n_threads; i++) {
        f->th[i].m = snf_model_alloc();
        f->th[i].L = malloc((size_t)n * sizeof(double));
        f->th[i].v = malloc((size_t)n * sizeof(double));
        if (!f->th[i].m || !f->th[i].L || !f->th[i].v) {
            snf_fit_ctx_free(f);
            SNF_ERROR(SNF_ENOMEM, "fit: out of memory for thread %d's model workspace", i);
        }
    }
    int D = 0;
    for (int a = 0; a < c->n_axes; a++) {
        const snf_axis *ax = &c->axes[a];
        f->axis_dim[a] = -1;
        if (ax->hi > ax->lo) {
            f->axis_dim[a] = D;
            f->log_scale[D] = ax->scale == SNF_AXIS_LOG;
            f->ulo[D] = f->log_scale[D] ? log(ax->lo) : ax->lo;
            f->uhi[D] = f->log_scale[D] ? log(ax->hi) : ax->hi;
            snf_fit_param *pp = &res->par[D];
            snprintf(pp->name, sizeof pp->name, "%s", ax->name);
            snprintf(pp->units, sizeof pp->units, "%s", ax->units);
            pp->log_scale = f->log_scale[D];
            pp->lo = ax->lo;
            pp->hi = ax->hi;
            D++;
        }
    }
    f->dim_floor_L = f->dim_floor_v = -1;
    for (int s = 0; s < 2; s++) {
        if (!(s == 0 ? has_L : has_v)) {
            continue;
        }
        *(s == 0 ? &f->dim_floor_L : &f->dim_floor_v) = D;
        f->log_scale[D] = 1;
        f->ulo[D] = log(SNF_FIT_FLOOR_LO);
        f->uhi[D] = log(SNF_FIT_FLOOR_HI);
        snf_fit_param *pp = &res->par[D];
        snprintf(pp->name, sizeof pp->name, "%s", s == 0 ? "floor_L" : "floor_vph");
        snprintf(pp->units, sizeof pp->units, "1");
        pp->log_scale = 1;
        pp->lo = SNF_FIT_FLOOR_LO;
        pp->hi = SNF_FIT_FLOOR_HI;
        D++;
    }
    if (D < 1) {
        snf_fit_ctx_free(f);
        SNF_ERROR(SNF_EINVAL, "the campaign %s fixes every parameter: nothing to fit", c->path);
    }
    f->D = D;
    res->D = D;
    return SNF_OK;
}

/* ---- start ---- */

typedef struct { snf_fit_ctx *f; } snf_nm_ctx;

static double snf_nm_f(const gsl_vector *v, void *p)
{
    snf_fit_ctx *f = p;
    double lp = snf_fit_lnprob(v->data, 0, f);
    f->calls++;
    return isfinite(lp) ? -lp : 1e300;
}

/* Walker start positions x0[W][D]: best prior draw (with o->has_start, every draw at o->start: only the error
 * floors drawn), Nelder-Mead polish, ball of 1e-3 of each range. */
static int snf_fit_start(snf_fit_ctx *f, const snf_fit_opts *o, gsl_rng *r, double *x0)
{
    const int D = f->D, N = o->init_draws > 0 ? o->init_draws : 1;
    double *u = malloc(sizeof(double) * (size_t)N * D), *lp = malloc(sizeof(double) * (size_t)N);
    if (!u || !lp) {
        free(u);
        free(lp);
        SNF_ERROR(SNF_ENOMEM, "fit: out of memory");
    }
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < D; k++) {
            u[(size_t)i * D + k] = f->ulo[k] + (f->uhi[k] - f->ulo[k]) * gsl_rng_uniform(r);
        }
        for (int a = 0; o->has_start && a < f->c->n_axes; a++) { /* the given start: only the floors are drawn */
            const int k = f->axis_dim[a];
            if (k >= 0) {
                const double x = f->log_scale[k] ? log(o->start[a]) : o->start[a];
                u[(size_t)i * D + k] = fmin(f->uhi[k], fmax(f->ulo[k], x));
            }
        }
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) num_threads(f->n_threads)
#endif
    for (int i = 0; i < N; i++) {
        int th = 0;
#ifdef _OPENMP
        th = omp_get_thread_num();
#endif
        lp[i] = snf_fit_lnprob(u + (size_t)i * D, th, f);
    }
    f->calls += N;
    int best = -1;
    for (int i = 0; i < N; i++) {
        if (isfinite(lp[i]) && (best < 0 || lp[i] > lp[best])) {
            best = i;
        }
    }
    if (best < 0) {
        free(u);
        free(lp);
        SNF_ERROR(SNF_EINVAL, "fit: none of %d prior draws gives a finite posterior (does the observation "
                  "lie within the prior's reach?)", N);
    }
    double ub[SNF_FIT_MAX_DIM];
    memcpy(ub, u + (size_t)best * D, sizeof(double) * D);
    free(u);
    free(lp);
    /* Nelder-Mead polish of the best draw (nmsimplex2, initial steps 5% of each range). */
    gsl_multimin_fminimizer *nm = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, (size_t)D);
    gsl_vector *xv = gsl_vector_alloc((size_t)D), *ss = gsl_vector_alloc((size_t)D);
    if (nm && xv && ss) {
        for (int k = 0; k < D; k++) {
            gsl_vector_set(xv, (size_t)k, ub[k]);
            gsl_vector_set(ss, (size_t)k, 0.05 * (f->uhi[k] - f->ulo[k]));
        }
        gsl_multimin_function F = {.n = (size_t)D, .f = snf_nm_f, .params = f};
        gsl_multimin_fminimizer_set(nm, &F, xv, ss);
        for (int it = 0; it < 100 * D; it++) {
            if (gsl_multimin_fminimizer_iterate(nm) != GSL_SUCCESS ||
                gsl_multimin_test_size(gsl_multimin_fminimizer_size(nm), 1e-4) == GSL_SUCCESS) {
                break;
            }
        }
        if (nm->fval < 1e299) {
            memcpy(ub, nm->x->data, sizeof(double) * D);
        }
    }
    gsl_multimin_fminimizer_free(nm);
    gsl_vector_free(xv);
    gsl_vector_free(ss);
    for (int w = 0; w < o->walkers; w++) {
        for (int tries = 0;; tries++) {
            for (int k = 0; k < D; k++) {
                double v = ub[k] + 1e-3 * (f->uhi[k] - f->ulo[k]) * gsl_ran_gaussian(r, 1.0);
                x0[(size_t)w * D + k] = fmin(f->uhi[k], fmax(f->ulo[k], v));
            }
            f->calls++;
            if (isfinite(snf_fit_lnprob(x0 + (size_t)w * D, 0, f)) || tries > 100) {
                break;
            }
        }
    }
    return SNF_OK;
}

/* ---- summaries ---- */

static void snf_fit_summarize(const snf_fit_ctx *f, const double *chain, const double *lpc, long S, long burn, int W,
                              snf_fit_result *res)
{
    const int D = f->D;
    const long Sp = S - burn, n = Sp * W;
    double *x = malloc(sizeof(double) * (size_t)n);
    long bi = 0;
    for (long i = 0; i < S * W; i++) {
        if (lpc[i] > lpc[bi]) bi = i;
    }
    res->best_lp = lpc[bi];
    res->tau_reliable = 1;
    for (int k = 0; k < D; k++) {
        snf_fit_param *pp = &res->par[k];
        for (long s = 0; s < Sp; s++) {
            for (int w = 0; w < W; w++) {
                x[s * W + w] = chain[((size_t)(burn + s) * W + w) * D + k];
            }
        }
        int rel = 0;
        if (snf_autocorr_time(x, Sp, W, W, 5.0, &pp->tau, &rel) < 0) {
            pp->tau = NAN;
        }
        res->tau_reliable &= rel;
        pp->ess = pp->tau > 0 ? (double)n / pp->tau : NAN;
        pp->prior_edge = snf_edge_pileup(x, n, f->ulo[k], f->uhi[k], pp->edge_share); /* sampled coordinates */
        gsl_sort(x, 1, (size_t)n);
        const double probs[5] = {0.025, 0.16, 0.5, 0.84, 0.975};
        for (int q = 0; q < 5; q++) {
            pp->q[q] = snf_fit_phys(f, k, gsl_stats_quantile_from_sorted_data(x, 1, (size_t)n, probs[q]));
        }
        pp->best = snf_fit_phys(f, k, chain[(size_t)bi * D + k]);
    }
    free(x);
}

/* ---- run ---- */

int snf_fit_run(const snf_campaign *c, const snf_obs *obs, const snf_fit_opts *o, snf_fit_result *res)
{
    memset(res, 0, sizeof *res);
    snf_fit_ctx f;
    SNF_CHECK(snf_fit_ctx_init(&f, c, obs, o->threads, res));
    const int W = o->walkers, D = f.D;
    const long S = o->steps, burn = o->burn >= 0 ? o->burn : o->steps / 2;
    int rc = SNF_OK;
    snf_mcmc *e = NULL;
    double *chain = NULL, *lpc = NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        SNF_FAIL(SNF_ENOMEM, "fit: out of memory");
    }
    gsl_rng_set(r, o->seed);
    if (W < 2 * D + 2 || W % 2) {
        SNF_FAIL(SNF_EINVAL, "--walkers %d: expected an even number >= 2 D + 2 = %d for %d parameters", W,
                 2 * D + 2, D);
    }
    if (S < 10 || burn >= S - 4) {
        SNF_FAIL(SNF_EINVAL, "--steps %ld with --burn %ld: expected steps >= 10 and burn < steps - 4", S, burn);
    }
    rc = snf_mcmc_alloc(&e, W, D, 2.0);
    if (rc < 0) goto cleanup;
    chain = malloc(sizeof(double) * (size_t)S * W * D);
    lpc = malloc(sizeof(double) * (size_t)S * W);
    if (!chain || !lpc) {
        SNF_FAIL(SNF_ENOMEM, "fit: out of memory for a %ld x %d x %d chain", S, W, D);
    }
    char sig[512];
    snf_fit_signature(&f, obs, c, o, sig, sizeof sig);
    long done = 0, calls_before = 0;
    double wall_before = 0;
    if (o->chain_path) {
        rc = snf_chain_read(o->chain_path, sig, W, D, S, chain, lpc, &done, r, &e->accepted, &e->proposed,
                            &wall_before, &calls_before);
        if (rc < 0) goto cleanup;
    }
    res->steps_resumed = done;
    const double t0 = snf_clock_s();
    if (done > 0) {
        /* The values the run continues from are checked against the model: the last step's walkers must give
         * their stored log-probabilities (a damaged chain, or one of another model, is refused). */
        const double *last = chain + (size_t)(done - 1) * W * D, *lpl = lpc + (size_t)(done - 1) * W;
        for (int w = 0; w < W; w++) {
            double lp = snf_fit_lnprob(last + (size_t)w * D, 0, &f);
            if (!(fabs(lp - lpl[w]) <= 1e-6 * fmax(1.0, fabs(lpl[w])))) {
                SNF_FAIL(SNF_EINVAL, "%s: step %ld walker %d: stored log-probability %.10g but the model gives %.10g "
                         "(damaged, or made by another model): remove it to start over", o->chain_path, done, w,
                         lpl[w], lp);
            }
        }
        snf_mcmc_restore(e, last, lpl);
    } else {
        double *x0 = malloc(sizeof(double) * (size_t)W * D);
        if (!x0) SNF_FAIL(SNF_ENOMEM, "fit: out of memory");
        rc = snf_fit_start(&f, o, r, x0);
        if (rc == SNF_OK) rc = snf_mcmc_start(e, x0, snf_fit_lnprob, &f, f.n_threads);
        free(x0);
        if (rc < 0) goto cleanup;
    }
    for (long s = done; s < S; s++) {
        snf_mcmc_step(e, snf_fit_lnprob, &f, r, f.n_threads);
        memcpy(chain + (size_t)s * W * D, e->pos, sizeof(double) * W * D);
        memcpy(lpc + (size_t)s * W, e->lp, sizeof(double) * W);
        const long have = s + 1;
        if (o->chain_path && (have % o->checkpoint_steps == 0 || have == S)) {
            rc = snf_chain_write(o->chain_path, sig, W, D, S, chain, lpc, have, r, e->accepted, e->proposed,
                                 f.log_scale, wall_before + snf_clock_s() - t0, calls_before + f.calls + e->calls);
            if (rc < 0) goto cleanup;
        }
        if (!o->quiet && (have % 100 == 0 || have == S)) {
            fprintf(stderr, "\rsnforge fit: step %ld/%ld, acceptance %.2f", have, S,
                    (double)e->accepted / (double)(e->proposed ? e->proposed : 1));
            if (have == S) fputc('\n', stderr);
        }
    }
    res->wall_s = wall_before + snf_clock_s() - t0;
    res->model_calls = calls_before + f.calls + e->calls;
    res->steps_done = S;
    res->acceptance = (double)e->accepted / (double)(e->proposed ? e->proposed : 1);
    snf_fit_summarize(&f, chain, lpc, S, burn, W, res);
cleanup:
    snf_mcmc_free(e);
    free(chain);
    free(lpc);
    gsl_rng_free(r);
    snf_fit_ctx_free(&f);
    return rc;
}

double snf_fit_lnprob_at(const snf_campaign *c, const snf_obs *obs, const double *x_phys, int D)
{
    snf_fit_ctx f;
    snf_fit_result res;
    if (snf_fit_ctx_init(&f, c, obs, 1, &res) < 0 || D != f.D) {
        snf_fit_ctx_free(&f);
        return NAN;
    }
    double u[SNF_FIT_MAX_DIM];
    for (int k = 0; k < D; k++) {
        u[k] = f.log_scale[k] ? log(x_phys[k]) : x_phys[k];
    }
    double lp = snf_fit_lnprob(u, 0, &f);
    snf_fit_ctx_free(&f);
    return lp;
}
