/* model.c: one light curve: set up the context, integrate with events, write the outputs. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "internal.h"
#include "snforge/solvers.h"
#include "snforge/core.h"

/* ---- types ---- */

struct snf_model {
    snf_ode *ode;
    gsl_root_fsolver *brent; /* initial front position; allocated once */
    snf_rhs_ctx ctx;         /* CVODE's user data: its address must not change */
};

/* Switches of a front that flickers between frozen and moving are bounded: beyond this the
 * solution is numerically undecided and the model fails rather than spinning. */
#define SNF_MAX_SWITCHES 2000

/* ---- static helpers ---- */

static double snf_psi_minus_a(double w, void *params)
{
    return snf_psi_w(w) - *(const double *)params;
}

/* Moving if the closure's drive is positive at t = 0 (phi = 1, front depth w0), else frozen. */
static int snf_front_first_mode(snf_rhs_ctx *c, double w0, snf_front_mode *mode)
{
    double y[SNF_NEQ] = {1.0, w0}, g[SNF_NROOT];
    c->mode = SNF_FRONT_MOVING;
    snf_model_roots(0.0, y, g, c);
    *mode = g[SNF_ROOT_SWITCH] > 0 ? SNF_FRONT_MOVING : SNF_FRONT_FROZEN;
    return SNF_OK;
}

/* Initial mode and front depth w0 = 1 - x_i(0) for the closure; SNF_EINVAL if the ejecta start
 * below T_ion ((T_ion/T0)^4 >= 1: there is no ionized core to follow). */
static int snf_front_init(snf_model *m, snf_front_mode *mode, double *w0)
{
    snf_rhs_ctx *c = &m->ctx;
    *w0 = 0.0;
    if (c->closure == SNF_CLOSURE_NONE) {
        *mode = SNF_FRONT_NONE;
        return SNF_OK;
    }
    if (c->closure == SNF_CLOSURE_FLUX) {
        /* Frozen at x_i = 1 until L_min first exceeds L_diff: a root restarts the solver at that
         * kink. From then on the front stays 'moving' and the clamp dx_i/dt <= 0 holds it where
         * needed: at late times it slides along L_min = L_diff, where switching would chatter. */
        return snf_front_first_mode(c, 0.0, mode);
    }
    /* Temperature closure: psi(x_i) = a at t = 0 (phi = 1, s = 1); psi rises from 0 at w = 0 to 1. */
    double a = c->a_ion;
    if (!(a < 1.0)) {
        SNF_ERROR(SNF_EINVAL,
                  "the ejecta start colder than t_ion: (T_ion/T0)^4 = %g >= 1 (T0 from energy, radius)", a);
    }
    gsl_function F = {.function = snf_psi_minus_a, .params = &a};
    double hi = fmin(1.0 - 1e-12, 4.0 * a + 1e-300); /* psi(w) >= w, so w0 <= a; 4a brackets it */
    if (!(snf_psi_minus_a(hi, &a) > 0)) {
        hi = 1.0 - 1e-12;
    }
    int rc = gsl_root_fsolver_set(m->brent, &F, 0.0, hi);
    if (rc != GSL_SUCCESS) {
        SNF_ERROR(SNF_EGSL, "initial front: gsl_root_fsolver_set: %s", gsl_strerror(rc));
    }
    for (int it = 0; it < 200; it++) {
        rc = gsl_root_fsolver_iterate(m->brent);
        if (rc != GSL_SUCCESS) {
            SNF_ERROR(SNF_EGSL, "initial front: brent: %s", gsl_strerror(rc));
        }
        double lo = gsl_root_fsolver_x_lower(m->brent), up = gsl_root_fsolver_x_upper(m->brent);
        if (gsl_root_test_interval(lo, up, 0.0, 1e-14) == GSL_SUCCESS) {
            break;
        }
    }
    *w0 = gsl_root_fsolver_root(m->brent);
    return snf_front_first_mode(c, *w0, mode);
}

static int snf_check_times(const double *t, int T)
{
    if (T < 1) {
        SNF_ERROR(SNF_EINVAL, "time grid: %d points, expected at least 1", T);
    }
    for (int k = 0; k < T; k++) {
        if (!isfinite(t[k]) || t[k] < 0) {
            SNF_ERROR(SNF_EINVAL, "time grid: t[%d] = %g days, expected a finite value >= 0", k, t[k]);
        }
        if (k > 0 && !(t[k] > t[k - 1])) {
            SNF_ERROR(SNF_EINVAL, "time grid: t[%d] = %g is not after t[%d] = %g (must increase strictly)",
                      k, t[k], k - 1, t[k - 1]);
        }
    }
    return SNF_OK;
}

static void snf_lc_fill_nan(snf_lc *out, int T)
{
    for (int k = 0; k < T; k++) {
        out->L_erg_s[k] = NAN;
        out->vph_km_s[k] = NAN;
        if (out->L_rec_erg_s) out->L_rec_erg_s[k] = NAN;
        if (out->x_i) out->x_i[k] = NAN;
        if (out->phi) out->phi[k] = NAN;
    }
    snf_lc_derived nan_d = {NAN, NAN, NAN, NAN, NAN, NAN};
    out->derived = nan_d;
}

/* L, v_ph, L_rec, x_i and phi at time tk from the state y in the current mode. */
static void snf_model_eval(const snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, const double *y,
                           double tk, double *L_out, double *v_out, double *lrec_out, double *x_out, double *phi_out)
{
    const snf_rhs_ctx *c = &m->ctx;
    const snf_physics *ph = c->ph;
    double L, v, lrec = 0.0, x = 0.0, phi_o = NAN;
    if (c->mode == SNF_FRONT_GONE) {
        L = p->nickel_msun * SNF_MSUN_G * ph->eps_ni_erg_g_s * snf_heating_tail(c, tk);
        v = NAN; /* no photosphere inside transparent ejecta */
    } else {
        const double lum_unit = sc->e_th0_erg / SNF_DAY_S; /* E_th0 per day in erg/s */
        /* phi below 0 is the solver's absolute tolerance around an empty core: it counts as 0, so
         * L >= 0 (L_rec >= 0 because x' <= 0 in every closure). */
        const double phi = y[SNF_IPHI] > 0 ? y[SNF_IPHI] : 0.0, w = y[SNF_IW] > 0 ? y[SNF_IW] : 0.0;
        x = 1.0 - w;
        const double s = 1.0 + tk / c->t_h;
        double ldiff = x * phi / c->t_d0 * lum_unit;
        if (ph->gamma_mode == SNF_GAMMA_LUMINOSITY) {
            ldiff *= snf_gamma_deposition(c->a_gamma, tk);
        }
        const double xdot = snf_front_speed(c, tk, phi, x, w);
        lrec = -3.0 * p->mass_msun * SNF_MSUN_G * ph->q_rec_erg_g / SNF_DAY_S * x * x * xdot;
        if (c->closure == SNF_CLOSURE_FLUX) {
            const double lmin = x * x * s * s / c->t_i0 * lum_unit;
            L = ldiff > lmin ? ldiff : lmin;
        } else {
            L = ldiff + lrec;
        }
        v = x * sc->v_sc_km_s;
        phi_o = phi;
    }
    *L_out = L;
    *v_out = v;
    if (lrec_out) *lrec_out = lrec;
    if (x_out) *x_out = x;
    if (phi_out) *phi_out = phi_o;
}

/* Writes output k at time tk from the state y in the current mode. */
static int snf_model_output(snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, const double *y,
                            double tk, int k, snf_lc *out)
{
    double L, v, lrec, x, phi;
    snf_model_eval(m, sc, p, y, tk, &L, &v, &lrec, &x, &phi);
    if (!isfinite(L) || (m->ctx.mode != SNF_FRONT_GONE && !isfinite(v))) {
        SNF_ERROR(SNF_ENONFINITE, "non-finite output at t = %g d (L = %g, v_ph = %g)", tk, L, v);
    }
    out->L_erg_s[k] = L;
    out->vph_km_s[k] = v;
    if (out->L_rec_erg_s) out->L_rec_erg_s[k] = lrec;
    if (out->x_i) out->x_i[k] = x;
    if (out->phi) out->phi[k] = phi;
    return SNF_OK;
}

/* ---- derived values from the dense output ---- */

/* Sub-intervals of log L samples per internal step fed to the tracker (steps are a few days near the peak). */
#define SNF_DENSE_SAMPLES 3

/* What the golden-section searches evaluate: log10 L inside the last step [t0, t1]. */
typedef struct snf_dense_ctx {
    snf_model *m;
    const snf_model_scales *sc;
    const snf_sn_params *p;
    double t0, t1;
} snf_dense_ctx;

/* log10 L(t) in the current mode from the last step's interpolant (-inf where L <= 0). */
static double snf_dense_lg(const snf_dense_ctx *d, double t)
{
    double y[SNF_NEQ], L, v;
    t = t < d->t0 ? d->t0 : (t > d->t1 ? d->t1 : t);
    if (snf_ode_dense(d->m->ode, t, y) < 0) {
        return NAN;
    }
    snf_model_eval(d->m, d->sc, d->p, y, t, &L, &v, NULL, NULL, NULL);
    return L > 0 ? log10(L) : -INFINITY;
}

/* d log10 L / dt at t by a central difference on the interpolant. */
static double snf_dense_slope(const snf_dense_ctx *d, double t)
{
    const double h = 1e-4 * (d->t1 - d->t0) + 1e-9;
    const double a = fmax(d->t0, t - h), b = fmin(d->t1, t + h);
    return (snf_dense_lg(d, b) - snf_dense_lg(d, a)) / (b - a);
}

/* Golden-section search for the maximum of sign * f on [a, b] to 1e-4 days (Kiefer 1953; Press et
 * al., Numerical Recipes 10.2). Returns the abscissa; *fbest = f there. */
static double snf_golden(const snf_dense_ctx *d, double (*f)(const snf_dense_ctx *, double), double sign,
                         double a, double b, double *fbest)
{
    const double r = 0.5 * (sqrt(5.0) - 1.0);
    double x1 = b - r * (b - a), x2 = a + r * (b - a);
    double f1 = sign * f(d, x1), f2 = sign * f(d, x2);
    for (int it = 0; it < 80 && b - a > 1e-4; it++) {
        if (f1 > f2) {
            b = x2; x2 = x1; f2 = f1; x1 = b - r * (b - a); f1 = sign * f(d, x1);
        } else {
            a = x1; x1 = x2; f1 = f2; x2 = a + r * (b - a); f2 = sign * f(d, x2);
        }
    }
    const double x = 0.5 * (a + b);
    *fbest = f(d, x);
    return x;
}

/* Feeds the step [t0, t1] just taken (current mode) to the tracker and refines a new peak or
 * steepest fall inside it. */
static double snf_state_lg(const snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, const double *y,
                           double t);

/* The step's end points come from the states the solver returned (y0 at t0, y1 at t1), the interior
 * samples from the interpolant: SNF_DENSE_SAMPLES - 1 CVodeGetDky calls a step. */
static void snf_dense_step(snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, double t0,
                           const double *y0, double t1, const double *y1, snf_derive_track *tr)
{
    const double a = fmax(t0, tr->t_lo), b = fmin(t1, tr->t_hi);
    if (!(b >= a) || !(t1 > t0)) {
        return;
    }
    snf_dense_ctx d = {m, sc, p, t0, t1};
    const double h = (b - a) / SNF_DENSE_SAMPLES;
    tr->peak_new = tr->fall_new = 0;
    for (int j = 0; j <= SNF_DENSE_SAMPLES; j++) {
        const double tj = j == SNF_DENSE_SAMPLES ? b : a + j * h;
        double lg;
        if (tj == t0) {
            lg = snf_state_lg(m, sc, p, y0, t0);
        } else if (tj == t1) {
            lg = snf_state_lg(m, sc, p, y1, t1);
        } else {
            lg = snf_dense_lg(&d, tj);
        }
        snf_track_sample(tr, tj, lg);
    }
    if (h <= 0) {
        return;
    }
    if (tr->peak_new && tr->peak_t > a && tr->peak_t < b) {
        double fv;
        double tv = snf_golden(&d, snf_dense_lg, 1.0, fmax(a, tr->peak_t - h), fmin(b, tr->peak_t + h), &fv);
        if (fv > tr->peak_lg) {
            tr->peak_t = tv;
            tr->peak_lg = fv;
        }
    }
    /* A fall still steepening at the step's end is refined in a later step, if it stays steepest. */
    if (tr->fall_new && tr->fall_t > a && tr->fall_t < b - h) {
        double sv;
        double tv = snf_golden(&d, snf_dense_slope, -1.0, fmax(a, tr->fall_t - h), fmin(b, tr->fall_t + h), &sv);
        if (sv < tr->fall_slope) {
            tr->fall_t = tv;
            tr->fall_slope = sv;
        }
    }
}

/* log10 L at t from the state y in the current mode. */
static double snf_state_lg(const snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, const double *y,
                           double t)
{
    double L, v;
    snf_model_eval(m, sc, p, y, t, &L, &v, NULL, NULL, NULL);
    return L > 0 ? log10(L) : -INFINITY;
}

/* The tail after the front is gone (no solver): daily samples from t_gone to the grid's end. */
static void snf_dense_tail(const snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, double t_gone,
                           snf_derive_track *tr)
{
    const double y[SNF_NEQ] = {0.0, 1.0};
    for (double t = t_gone; t < tr->t_hi; t += 1.0) {
        snf_track_sample(tr, t, snf_state_lg(m, sc, p, y, t));
    }
    snf_track_sample(tr, tr->t_hi, snf_state_lg(m, sc, p, y, tr->t_hi));
}

/* Writes the outputs k.. whose times are <= t (the current solver time, state y there), from
 * the last step's interpolant; advances *k. */
static int snf_model_emit(snf_model *m, const snf_model_scales *sc, const snf_sn_params *p, const double *t_days,
                          int T, double t, const double *y, int *k, snf_lc *out)
{
    for (; *k < T && t_days[*k] <= t; (*k)++) {
        double yk[SNF_NEQ] = {y[0], y[1]};
        if (t_days[*k] != t && m->ctx.mode != SNF_FRONT_GONE) {
            SNF_CHECK(snf_ode_dense(m->ode, t_days[*k], yk));
        }
        SNF_CHECK(snf_model_output(m, sc, p, yk, t_days[*k], *k, out));
    }
    return SNF_OK;
}

/* Fills the right-hand side's context for (p, ph) in days. */
static void snf_model_setup(snf_rhs_ctx *c, const snf_model_scales *sc, const snf_sn_params *p,
                            const snf_physics *ph)
{
    c->ph = ph;
    c->closure = ph->closure;
    c->t_h = sc->t_h_d;
    c->t_d0 = sc->t_d0_d;
    c->t_i0 = sc->e_th0_erg /
              (4.0 * M_PI * p->radius_cm * p->radius_cm * SNF_SIGMA_SB * 2.0 * pow(ph->t_ion_K, 4)) / SNF_DAY_S;
    c->a_ion = sc->a_ion;
    c->p1 = p->nickel_msun * SNF_MSUN_G * ph->eps_ni_erg_g_s / sc->e_th0_erg * SNF_DAY_S;
    c->q_rel = p->mass_msun * SNF_MSUN_G * ph->q_rec_erg_g / sc->e_th0_erg;
    snf_heating_setup(c, ph, sc, p);
}

/* ---- public API ---- */

snf_model *snf_model_alloc(void)
{
    snf_model *m = calloc(1, sizeof *m);
    if (!m) {
        return NULL;
    }
    m->ode = snf_ode_alloc(SNF_NEQ, SNF_NROOT, SNF_ODE_BDF);
    m->brent = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!m->ode || !m->brent || snf_ode_set_problem(m->ode, snf_model_rhs, snf_model_roots, &m->ctx) < 0) {
        snf_model_free(m);
        return NULL;
    }
    const int dir[SNF_NROOT] = {-1, -1, -1}; /* every root function fires on a downward crossing */
    if (snf_ode_set_root_direction(m->ode, dir) < 0) {
        snf_model_free(m);
        return NULL;
    }
    return m;
}

void snf_model_free(snf_model *m)
{
    if (!m) {
        return;
    }
    snf_ode_free(m->ode);
    if (m->brent) {
        gsl_root_fsolver_free(m->brent);
    }
    free(m);
}

int snf_model_run(snf_model *m, const snf_sn_params *p, const snf_physics *ph, const double *t_days,
                  int T, snf_lc *out)
{
    int rc = SNF_OK;
    int warn = SNF_OK;
    snf_model_scales sc;
    out->n_steps = out->n_rhs = 0;
    if (T > 0) {
        snf_lc_fill_nan(out, T);
    }
    rc = snf_check_times(t_days, T);
    if (rc < 0) {
        return rc;
    }
    rc = snf_model_scales_compute(&sc, p, ph);
    if (rc < 0) {
        return rc;
    }

    const double M = p->mass_msun * SNF_MSUN_G;
    snf_rhs_ctx *c = &m->ctx;
    snf_model_setup(c, &sc, p, ph);

    snf_front_mode mode = SNF_FRONT_NONE;
    double y[SNF_NEQ];
    rc = snf_front_init(m, &mode, &y[SNF_IW]);
    if (rc < 0) {
        return rc;
    }
    y[SNF_IPHI] = 1.0;
    c->mode = mode;
    /* The front starts at depth w0 = (T_ion/T0)^4 ~ 1e-13 in the temperature closure, and an error
     * in w there persists in relative terms (w grows like s^4): its tolerance is 1e-3 w0 (1e-1 w0 gives 4% errors in v_ph by day 200). Elsewhere
     * w starts at 0 and below ~1e-13 it is rounding noise of the closure's drive. */
    const double atol_w = y[SNF_IW] > 0 ? fmin(ph->atol_w, 1e-3 * y[SNF_IW]) : ph->atol_w;
    const double atol[SNF_NEQ] = {ph->atol_phi, atol_w};
    const double t_stop = t_days[T - 1];
    double t = 0.0;
    rc = snf_ode_reinit(m->ode, 0.0, y, ph->rtol, atol, ph->max_steps, t_stop);
    if (rc < 0) {
        return rc;
    }

    double t_front_end = NAN;
    int switches = 0;
    int k = 0;
    snf_derive_track tr;
    snf_track_init(&tr, t_days[0], t_stop);
    /* One internal step at a time; the outputs inside each step come from its interpolant, and at a
     * root the outputs up to the root are written in the old mode before the mode changes. */
    while (k < T) {
        rc = snf_model_emit(m, &sc, p, t_days, T, t, y, &k, out);
        if (rc < 0 || k == T) {
            break;
        }
        if (c->mode == SNF_FRONT_GONE) { /* the tail needs no solver */
            snf_dense_tail(m, &sc, p, t, &tr);
            rc = snf_model_emit(m, &sc, p, t_days, T, t_days[T - 1], y, &k, out);
            break;
        }
        int found[SNF_NROOT] = {0, 0, 0};
        const double t_prev = t, y_prev[SNF_NEQ] = {y[0], y[1]};
        rc = snf_ode_step(m->ode, &t, y, found);
        if (rc < 0) {
            break;
        }
        snf_dense_step(m, &sc, p, t_prev, y_prev, t, y, &tr);
        /* One-step mode: CVODE's own mxstep counts per call, so the limit is enforced here. */
        if (out->n_steps + snf_ode_num_steps(m->ode) > ph->max_steps) {
            rc = snf_error_report(SNF_ECVODE, __FILE__, __LINE__, __func__,
                                  "CV_TOO_MUCH_WORK: more than max_steps = %ld CVODE steps by t = %g d",
                                  ph->max_steps, t);
            break;
        }
        if (rc != SNF_ODE_ROOT) {
            continue;
        }
        /* Outputs up to the root belong to the old mode. */
        rc = snf_model_emit(m, &sc, p, t_days, T, t, y, &k, out);
        if (rc < 0) {
            break;
        }
        rc = SNF_OK;
        const double lg_before = snf_state_lg(m, &sc, p, y, t);
        if (found[SNF_ROOT_END]) {
            c->mode = SNF_FRONT_GONE;
            t_front_end = t;
            snf_track_jump(&tr, t, lg_before, snf_state_lg(m, &sc, p, y, t));
            continue;
        }
        if (found[SNF_ROOT_FLOOR]) {
            c->mode = SNF_FRONT_FLOOR;
            y[SNF_IW] = 1.0 - ph->x_floor;
            t_front_end = t;
            warn = SNF_WARN_FRONT_FLOOR;
        } else if (found[SNF_ROOT_SWITCH]) {
            c->mode = snf_front_switch(c, c->mode);
            if (++switches > SNF_MAX_SWITCHES) {
                rc = snf_error_report(SNF_ECVODE, __FILE__, __LINE__, __func__,
                                      "the front switched between frozen and moving %d times by t = %g d",
                                      switches, t);
                break;
            }
        }
        snf_track_jump(&tr, t, lg_before, snf_state_lg(m, &sc, p, y, t));
        out->n_steps += snf_ode_num_steps(m->ode); /* the counters restart with each reinit */
        out->n_rhs += snf_ode_num_rhs(m->ode);
        rc = snf_ode_reinit(m->ode, t, y, ph->rtol, atol, ph->max_steps, t_stop);
        if (rc < 0) {
            break;
        }
    }
    if (rc < 0) {
        snf_lc_fill_nan(out, T);
        return rc;
    }

    out->n_steps += snf_ode_num_steps(m->ode);
    out->n_rhs += snf_ode_num_rhs(m->ode);
    snf_lc_derive(&out->derived, t_days, out->L_erg_s, T);
    /* Peak and end of the dome from the dense output (snf_derive_track), not from the grid. */
    if (isfinite(tr.peak_lg)) {
        out->derived.t_peak_d = tr.peak_t;
        out->derived.log_lpeak = tr.peak_lg;
        out->derived.t_plateau_end_d = tr.fall_t;
    }
    out->derived.t_front_end_d = t_front_end;
    const double x_last = c->mode == SNF_FRONT_GONE ? 0.0 : 1.0 - y[SNF_IW];
    out->derived.e_rec_erg = ph->q_rec_erg_g * M * (1.0 - x_last * x_last * x_last);
    if (warn == SNF_OK && T > 2 && !(out->derived.t_peak_d > t_days[0] && out->derived.t_peak_d < t_stop)) {
        warn = SNF_WARN_NO_PEAK;
    }
    return warn;
}
