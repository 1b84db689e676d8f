/* progenitor.c: the composite-polytrope structure (progenitor.h): layers integrated inward from the
 * polytropic surface, the envelope constant that puts the H/He interface at R_He, the density jump that
 * puts the central point mass at r_in, and the surface radius iterated until T = T_surf falls at R0. The
 * tabulation onto the output zones is in progenitor_table.c. A H/He transition of width w: the envelope
 * ends (and the density jumps) at M_He + w/2, and the composition turns from the envelope's to the He
 * layer's over [M_He - w/2, M_He + w/2] inside the He polytrope (progenitor_table.c). ODEs by CVODE's Adams method (snf_ode) at a
 * relative tolerance of 1e-12, roots by Brent's method (GSL). */
#include "rhd/progenitor_build.h"

#include <math.h>
#include <string.h>

#include "snforge/core.h"

#define PI 3.14159265358979323846
#define RTOL 1e-12

/* ---- right-hand sides ---- */

/* In r, y = (h, m): dh/dr = -G m / r^2, dm/dr = 4 pi r^2 rho(h). */
static int rhs_r(double r, const double *y, double *dy, void *user)
{
    const snf_prog_builder *b = user;
    dy[0] = -SNF_PROG_G * y[1] / (r * r);
    dy[1] = 4.0 * PI * r * r * snf_prog_rho_of_h(y[0], b->K, b->n);
    return 0;
}

static int root_r(double r, const double *y, double *g, void *user)
{
    (void)r;
    const snf_prog_builder *b = user;
    g[0] = b->roots_on ? y[1] - b->m_stop : 1.0;
    return 0;
}

double snf_prog_rho_of_h(double h, double K, double n)
{
    double u = fmax(h, 0.0) / ((n + 1.0) * K);
    return n == 3.0 ? u * u * u : pow(u, n);
}

/* The He share of the composition across the H/He transition: a cosine step from 0 at its top to 1 at its
 * bottom (a step at M_He when sharp). */
double snf_prog_mix_s(const snf_prog_builder *b, double m)
{
    if (!(b->m_mix_top > b->m_mix_bot)) {
        return m <= b->M_He ? 1.0 : 0.0;
    }
    double u = (b->m_mix_top - m) / (b->m_mix_top - b->m_mix_bot);
    u = u < 0 ? 0 : (u > 1 ? 1 : u);
    return 0.5 * (1.0 - cos(PI * u));
}

/* ---- one layer ---- */

/* Integrates layer L (K, n, r_top, y_top set) inward until m = m_stop or r = r_floor. *reached 0 if the
 * floor came first. Sets r_bot, y_bot. */
static int run_layer(snf_prog_builder *b, snf_prog_layer *L, double m_stop, double r_floor, int *reached)
{
    double atol[2] = {1e-30, 1e12}, t, y[2];
    int found[1] = {0};
    b->K = L->K;
    b->n = L->n;
    b->m_stop = m_stop;
    b->roots_on = 1;
    SNF_CHECK(snf_ode_reinit(b->ode_r, L->r_top, L->y_top, RTOL, atol, 2000000, r_floor));
    int rc = snf_ode_advance(b->ode_r, r_floor, &t, y, found);
    if (rc < 0) {
        return rc;
    }
    *reached = rc == SNF_ODE_ROOT;
    L->r_bot = t;
    L->y_bot[0] = y[0];
    L->y_bot[1] = *reached ? m_stop : y[1];
    return SNF_OK;
}

int snf_prog_sample_layer(snf_prog_builder *b, const snf_prog_layer *L, const double *r, int nr, double *h, double *m)
{
    double atol[2] = {1e-30, 1e12}, t, y[2];
    int found[1];
    b->K = L->K;
    b->n = L->n;
    b->roots_on = 0;
    SNF_CHECK(snf_ode_reinit(b->ode_r, L->r_top, L->y_top, RTOL, atol, 2000000, L->r_bot));
    for (int i = 0; i < nr; i++) { /* r decreasing */
        if (r[i] >= L->r_top) {
            h[i] = L->y_top[0], m[i] = L->y_top[1];
            continue;
        }
        SNF_CHECK(snf_ode_advance(b->ode_r, r[i] < L->r_bot ? L->r_bot : r[i], &t, y, found));
        h[i] = y[0], m[i] = y[1];
    }
    return SNF_OK;
}

/* ---- all layers ---- */

/* The envelope from R_s with K_env. envelope_only: stop there (*r_if = the radius of its inner edge, 0 if
 * never reached). Else every layer into b->L (count b->nl); f_jump NaN: the He density jump is mu_He/mu_env.
 * Returns SNF_OK, 1 when a deeper layer never reached its inner mass, or an error. */
int snf_prog_integrate(snf_prog_builder *b, double R_s, double K_env, int envelope_only, double f_jump, double *r_if)
{
    const double w = b->p.hhe_width * SNF_PROG_MSUN;
    double r_start = R_s - 1e-7 * R_s;
    snf_prog_layer *L = &b->L[0];
    memset(b->L, 0, sizeof b->L);
    L->kind = SNF_PROG_ENV;
    L->K = K_env;
    L->n = b->p.n_env;
    L->r_top = r_start;
    L->y_top[0] = SNF_PROG_G * b->M_tot * (1.0 / r_start - 1.0 / R_s); /* plane-parallel start */
    L->y_top[1] = b->M_tot;
    int reached;
    SNF_CHECK(run_layer(b, L, b->M_He + 0.5 * w, 1e5, &reached));
    b->nl = 1;
    if (envelope_only) {
        *r_if = reached ? L->r_bot : 0.0;
        return SNF_OK;
    }
    if (!reached) {
        return 1;
    }
    double rho_out = snf_prog_rho_of_h(L->y_bot[0], L->K, L->n);
    double P_i = L->K * pow(rho_out, 1.0 + 1.0 / L->n);
    double jump = isnan(f_jump) ? b->mu[SNF_PROG_HE] / b->mu[SNF_PROG_ENV] : f_jump;
    double rho_in = rho_out * jump;
    double K_he = P_i / pow(rho_in, 4.0 / 3.0);
    double r_i = L->r_bot;
    const int kinds[2] = {SNF_PROG_HE, SNF_PROG_CO};
    const double m_stop[2] = {b->M_CO, b->m_in};
    double K = K_he;
    for (int k = 0; k < 2; k++) {
        if (k == 1) {
            snf_prog_layer *U = &b->L[b->nl - 1];
            double ro = snf_prog_rho_of_h(U->y_bot[0], U->K, U->n);
            double P = U->K * pow(ro, 4.0 / 3.0);
            rho_in = ro * b->mu[SNF_PROG_CO] / b->mu[SNF_PROG_HE];
            K = P / pow(rho_in, 4.0 / 3.0);
            r_i = U->r_bot;
        }
        snf_prog_layer *N = &b->L[b->nl++];
        N->kind = kinds[k];
        N->K = K;
        N->n = 3.0;
        N->r_top = r_i;
        N->y_top[0] = 4.0 * K * cbrt(rho_in);
        N->y_top[1] = b->L[b->nl - 2].y_bot[1];
        SNF_CHECK(run_layer(b, N, m_stop[k], 1e3, &reached));
        if (!reached) {
            return 1;
        }
    }
    return SNF_OK;
}

/* ---- roots ---- */

typedef struct root_ctx {
    snf_prog_builder *b;
    double R_s, K_env;
    int rc; /* first error */
} root_ctx;

static double g_K(double lK, void *v)
{
    root_ctx *c = v;
    double r_if = 0.0;
    int rc = snf_prog_integrate(c->b, c->R_s, exp(lK), 1, NAN, &r_if);
    if (rc < 0 && c->rc == 0) {
        c->rc = rc;
    }
    return log(r_if + 1.0) - log(c->b->p.R_He);
}

static double g_jump(double lf, void *v)
{
    root_ctx *c = v;
    int rc = snf_prog_integrate(c->b, c->R_s, c->K_env, 0, exp(lf), NULL);
    if (rc < 0 && c->rc == 0) {
        c->rc = rc;
    }
    if (rc != SNF_OK) {
        return -50.0; /* core too diffuse: the point mass would sit at r -> 0 */
    }
    return log(c->b->L[c->b->nl - 1].r_bot) - log(c->b->p.r_in);
}

/* K_env with the H/He interface (its outer edge with a transition) at R_He. */
static int solve_K(snf_prog_builder *b, double R_s, double *K)
{
    root_ctx c = {b, R_s, 0.0, 0};
    double lo = log(1e12), hi = log(1e17);
    for (int k = 0; g_K(lo, &c) < 0; k++) { /* small K: the interface far out */
        lo -= 2.0;
        if (k > 40 || c.rc) {
            goto fail;
        }
    }
    for (int k = 0; g_K(hi, &c) > 0; k++) {
        hi += 2.0;
        if (k > 40 || c.rc) {
            goto fail;
        }
    }
    double lK = snf_prog_brent(g_K, &c, lo, hi, 1e-13);
    if (c.rc) {
        return c.rc;
    }
    if (isnan(lK)) {
        goto fail;
    }
    *K = exp(lK);
    return SNF_OK;
fail:
    if (c.rc) {
        return c.rc;
    }
    SNF_ERROR(SNF_ENONFINITE, "no envelope constant puts the H/He interface at R_He = %g cm (R_s = %g cm)",
              b->p.R_He, R_s);
}

static int solve_jump(snf_prog_builder *b, double R_s, double K_env, double *f)
{
    root_ctx c = {b, R_s, K_env, 0};
    double lo = log(1e-3), hi = log(1e4);
    double glo = g_jump(lo, &c), ghi = g_jump(hi, &c);
    if (c.rc) {
        return c.rc;
    }
    double lf = (glo < 0) != (ghi < 0) ? snf_prog_brent(g_jump, &c, lo, hi, 1e-12) : NAN;
    if (c.rc) {
        return c.rc;
    }
    if (isnan(lf)) {
        SNF_ERROR(SNF_ENONFINITE, "no H/He density jump in [1e-3, 1e4] puts m_in = %g Msun at r_in = %g cm "
                                  "(--rin, or --rin 0 for the mu ratio)", b->p.m_in, b->p.r_in);
    }
    *f = exp(lf);
    return SNF_OK;
}

/* Where T falls to T_surf below R_s: 4000 depths log-spaced from 1e-7 R_s to 0.5 R_s, linear in r between
 * the two around it in log T. */
static int truncation(snf_prog_builder *b, double R_s, double T_surf, double *r_tr)
{
    enum { ND = 4000 };
    static _Thread_local double rr[ND], h[ND], m[ND];
    const snf_prog_layer *E = &b->L[0];
    int n = 0;
    double la = log10(1e-7 * R_s), lb = log10(0.5 * R_s), step = (lb - la) / (ND - 1);
    for (int i = 0; i < ND; i++) {
        double d = i == 0 ? 1e-7 * R_s : (i == ND - 1 ? 0.5 * R_s : pow(10.0, la + i * step));
        double r = R_s - d;
        if (r <= E->r_top) {
            rr[n++] = r;
        }
    }
    if (n == 0 || rr[n - 1] < E->r_bot) {
        SNF_ERROR(SNF_ENONFINITE, "the envelope ends above half the surface radius (R_He too large for R0)");
    }
    SNF_CHECK(snf_prog_sample_layer(b, E, rr, n, h, m));
    double Tp = 0.0;
    for (int j = 0; j < n; j++) {
        double rho = snf_prog_rho_of_h(h[j], E->K, E->n);
        double T = snf_prog_temperature(E->K * pow(rho, 1.0 + 1.0 / E->n), rho, b->x[SNF_PROG_ENV]);
        if (!isfinite(T)) {
            SNF_ERROR(SNF_ENONFINITE, "no temperature at r = %g cm of the envelope", rr[j]);
        }
        if (T >= T_surf) {
            if (j == 0) {
                *r_tr = rr[0];
            } else {
                double wt = (log(T_surf) - log(Tp)) / (log(T) - log(Tp));
                *r_tr = rr[j - 1] + wt * (rr[j] - rr[j - 1]);
            }
            return SNF_OK;
        }
        Tp = T;
    }
    SNF_ERROR(SNF_ENONFINITE, "the envelope stays below T_surf = %g K down to half its radius", T_surf);
}

int snf_prog_structure(snf_prog_builder *b, snf_prog_info *info)
{
    const snf_prog_params *p = &b->p;
    double T_surf = pow(p->L_star * SNF_PROG_LSUN / (4.0 * PI * p->R0 * p->R0 * SNF_PROG_SIGMA), 0.25);
    double R_s = 1.02 * p->R0, K_env = 0.0, r_tr = 0.0;
    int it, rc;
    for (it = 0; it < 8; it++) {
        double r_if;
        SNF_CHECK(solve_K(b, R_s, &K_env));
        SNF_CHECK(snf_prog_integrate(b, R_s, K_env, 1, NAN, &r_if)); /* the surface needs the envelope only */
        SNF_CHECK(truncation(b, R_s, T_surf, &r_tr));
        if (fabs(r_tr / p->R0 - 1.0) < 1e-4) {
            break;
        }
        R_s *= p->R0 / r_tr;
    }
    double f_jump = NAN;
    if (p->r_in > 0) {
        SNF_CHECK(solve_jump(b, R_s, K_env, &f_jump));
    }
    if ((rc = snf_prog_integrate(b, R_s, K_env, 0, f_jump, NULL)) != SNF_OK) {
        if (rc < 0) {
            return rc;
        }
        SNF_ERROR(SNF_ENONFINITE, "the core layers never reach m_in = %g Msun with the H/He density jump %s: %s",
                  p->m_in, p->r_in > 0 ? "found" : "mu_He/mu_env",
                  p->r_in > 0 ? "change --rhe or --n-env" : "set --rin (the jump is then solved for)");
    }
    b->r_tr = r_tr;
    b->T_surf = T_surf;
    if (info) {
        info->R_s = R_s;
        info->K_env = K_env;
        info->f_jump = f_jump;
        info->M_He = b->M_He / SNF_PROG_MSUN;
        info->M_CO = b->M_CO / SNF_PROG_MSUN;
        info->T_surf = T_surf;
        info->iterations = it < 8 ? it + 1 : 8;
    }
    return SNF_OK;
}

int snf_prog_builder_init(snf_prog_builder *b, const snf_prog_params *p)
{
    memset(b, 0, sizeof *b);
    b->p = *p;
    b->M_tot = p->M_tot * SNF_PROG_MSUN;
    double mhe = !isnan(p->M_He) ? p->M_He : (!isnan(p->he_frac) ? p->he_frac * p->M_tot : fmin(fmax(0.35 * p->M_tot, 3.0), 8.0));
    double mco = !isnan(p->M_CO) ? p->M_CO : fmax(0.55 * mhe, p->m_in + 0.5);
    b->M_He = mhe * SNF_PROG_MSUN;
    b->M_CO = mco * SNF_PROG_MSUN;
    b->m_in = p->m_in * SNF_PROG_MSUN;
    for (int k = 0; k < 3; k++) {
        snf_prog_composition(k, p->X_env, p->Z_env, b->x[k]);
        b->mu[k] = snf_prog_mu(b->x[k]);
    }
    b->m_mix_top = b->M_He + 0.5 * p->hhe_width * SNF_PROG_MSUN;
    b->m_mix_bot = b->M_He - 0.5 * p->hhe_width * SNF_PROG_MSUN;
    b->ode_r = snf_ode_alloc(2, 1, SNF_ODE_ADAMS);
    if (!b->ode_r) {
        snf_prog_builder_free(b);
        SNF_ERROR(SNF_ENOMEM, "ODE workspaces");
    }
    SNF_CHECK(snf_ode_set_problem(b->ode_r, rhs_r, root_r, b));
    return SNF_OK;
}

void snf_prog_builder_free(snf_prog_builder *b)
{
    if (b->ode_r) {
        snf_ode_free(b->ode_r);
    }
    b->ode_r = NULL;
}
