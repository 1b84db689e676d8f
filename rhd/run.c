/* run.c: a whole light-curve run: the initial model, the explosion (thermal bomb or piston), the time
 * loop with retries of failed steps at half the time step, and the daily outputs (SNEC's analysis: the
 * tau = 2/3 photosphere from the table opacities, lum_observed = L at the photosphere + decay power
 * deposited above it, T_eff from L and R at the photosphere; the Fe II 5169 velocity, feii.c: its profile's
 * minimum in units of v_ph from the state at the end of the step that passes each day, times v_ph at the day). */
#include "internal.h"
#include "snforge/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define TAU_PH 0.66

typedef struct snap {
    double t, L, vph, Teff, Rph, Ldep;
    int iph;
} snap;

typedef struct run_ctx {
    const snf_rhd_params *par;
    double *tau, *xs; /* xs: the Fe II profile's scratch */
    int fell_to_centre;
    /* bomb */
    int b0, nb;
    double bomb_E, bC, bD, bA;
    /* decay */
    double t_ni, rate_g, rate_p;
    double e_piston; /* work done by the piston so far [erg] */
} run_ctx;

/* Linear interpolation of y over points where tau (decreasing outward) crosses TAU_PH. */
static double at_photosphere(const double *tau, const double *y, int k)
{
    /* tau[k] >= TAU_PH > tau[k + 1] */
    double w = (tau[k] - TAU_PH) / (tau[k] - tau[k + 1]);
    return y[k] + w * (y[k + 1] - y[k]);
}

static void analysis(const snf_rhd_state *s, run_ctx *x, snap *o)
{
    int N = s->N;
    double *tau = x->tau;
    tau[N - 1] = 0.0;
    for (int c = N - 2; c >= 0; c--) {
        tau[c] = tau[c + 1] + (s->r[c + 1] - s->r[c]) * s->rho[c] * 0.5 * (s->kap_tab[c + 1] + s->kap_tab[c]);
    }
    int k = -1;
    for (int i = N - 2; i >= 0; i--) {
        if (tau[i] > TAU_PH) {
            k = i;
            break;
        }
    }
    if (k < 0) {
        x->fell_to_centre = 1;
    }
    double Lph, vph, rph;
    int iph;
    if (x->fell_to_centre) {
        iph = 0;
        Lph = s->lum[0];
        vph = s->v[0];
        rph = s->r[0];
    } else {
        iph = k + 1;
        Lph = at_photosphere(tau, s->lum, k);
        vph = at_photosphere(tau, s->v, k);
        rph = at_photosphere(tau, s->r, k);
    }
    double above = 0.0, all = 0.0;
    for (int i = 0; i < N; i++) {
        double d = (x->rate_g * s->dep[i] + x->rate_p * s->pos[i]) * s->dm[i];
        all += d;
        if (i >= iph) {
            above += d;
        }
    }
    o->t = s->t;
    o->L = Lph + above;
    o->vph = vph;
    o->Rph = rph;
    o->Teff = Lph > 0 ? pow(Lph / (4.0 * PI * SNF_RHD_SIGMA_SB * rph * rph), 0.25) : 0.0;
    o->Ldep = all;
    o->iph = iph;
}

static void set_heating(snf_rhd_state *s, run_ctx *x)
{
    const snf_rhd_params *par = x->par;
    int N = s->N;
    if (par->Ni_switch && s->t >= x->t_ni) {
        x->t_ni += par->Ni_period;
        double co, P = snf_rhd_decay_power(s->t, &co);
        x->rate_p = par->positron_fraction * co;
        x->rate_g = P - x->rate_p;
        snf_rhd_gamma_deposition(s);
    }
    for (int c = 0; c < N; c++) {
        s->heat[c] = x->rate_g * s->dep[c] + x->rate_p * s->pos[c];
    }
    if (par->initial_data == SNF_RHD_BOMB && s->t >= par->bomb_tstart && s->t <= par->bomb_tend) {
        double Lb = x->bD * exp(-x->bC * s->t), sum = 0.0;
        for (int c = x->b0; c < x->b0 + x->nb; c++) {
            sum += s->dm[c] * exp(-x->bA * (s->m[c] - s->m[x->b0]));
        }
        for (int c = x->b0; c < x->b0 + x->nb; c++) {
            s->heat[c] += Lb / sum * exp(-x->bA * (s->m[c] - s->m[x->b0]));
        }
    }
    if (par->initial_data == SNF_RHD_PISTON) {
        s->v_inner = (s->t >= par->piston_tstart && s->t <= par->piston_tend) ? par->piston_vel : 0.0;
    }
}

static int setup_bomb(snf_rhd_state *s, run_ctx *x)
{
    const snf_rhd_params *par = x->par;
    double E0 = snf_rhd_energy(s);
    x->bomb_E = par->bomb_mode == 1 ? par->final_energy - E0 : par->final_energy;
    if (!(x->bomb_E > 0)) {
        SNF_ERROR(SNF_EINVAL, "final_energy %g erg is below the model's total energy %g erg: no bomb", par->final_energy,
                  E0);
    }
    x->b0 = par->bomb_start_point - 1;
    if (x->b0 < 0 || x->b0 >= s->N - 1) {
        SNF_ERROR(SNF_EINVAL, "bomb_start_point %d outside the grid (1 ... %d)", par->bomb_start_point, s->N - 1);
    }
    int i = x->b0;
    while (i < s->N && s->m[i] < s->m[x->b0] + par->bomb_mass_spread * SNF_RHD_MSUN) {
        i++;
    }
    x->nb = i - x->b0;
    if (x->nb < 1) {
        x->nb = 1;
    }
    x->bC = log(100.0) / (par->bomb_tend - par->bomb_tstart);
    x->bD = x->bC * x->bomb_E / (exp(-x->bC * par->bomb_tstart) - exp(-x->bC * par->bomb_tend));
    int last = x->b0 + x->nb - 1;
    x->bA = last > x->b0 ? log(100.0) / (s->m[last] - s->m[x->b0]) : 0.0;
    return SNF_OK;
}

static int result_alloc(snf_rhd_result *o, int ndays)
{
    memset(o, 0, sizeof *o);
    size_t n = (size_t)(ndays > 0 ? ndays : 1);
    o->t_d = calloc(n, sizeof(double));
    o->L = calloc(n, sizeof(double));
    o->vph = calloc(n, sizeof(double));
    o->vfe = calloc(n, sizeof(double));
    o->Teff = calloc(n, sizeof(double));
    o->Rph = calloc(n, sizeof(double));
    o->Ldep = calloc(n, sizeof(double));
    o->iph = calloc(n, sizeof(int));
    if (!o->t_d || !o->L || !o->vph || !o->vfe || !o->Teff || !o->Rph || !o->Ldep || !o->iph) {
        snf_rhd_result_free(o);
        return -1;
    }
    return 0;
}

int snf_rhd_vph_last_day(const snf_rhd_result *r)
{
    int kmin = 0, back_out = 0;
    if (r->ndays <= 0 || r->iph == NULL) {
        return r->ndays - 1;
    }
    for (int k = 1; k < r->ndays; k++) {
        kmin = r->iph[k] < r->iph[kmin] ? k : kmin;
    }
    for (int k = kmin + 1; k < r->ndays; k++) {
        back_out |= r->iph[k] > r->iph[kmin];
    }
    return back_out ? kmin : r->ndays - 1;
}

void snf_rhd_result_free(snf_rhd_result *o)
{
    if (!o) {
        return;
    }
    free(o->t_d);
    free(o->L);
    free(o->vph);
    free(o->vfe);
    free(o->Teff);
    free(o->Rph);
    free(o->Ldep);
    free(o->iph);
    memset(o, 0, sizeof *o);
}

static void record(snf_rhd_result *o, int day, const snap *a, const snap *b, double wfe)
{
    double t = day * SNF_RHD_DAY, w = (b->t > a->t) ? (t - a->t) / (b->t - a->t) : 1.0;
    int k = o->ndays++;
    o->t_d[k] = day;
    o->L[k] = a->L + w * (b->L - a->L);
    o->vph[k] = a->vph + w * (b->vph - a->vph);
    o->Teff[k] = a->Teff + w * (b->Teff - a->Teff);
    o->Rph[k] = a->Rph + w * (b->Rph - a->Rph);
    o->Ldep[k] = a->Ldep + w * (b->Ldep - a->Ldep);
    o->vfe[k] = wfe * o->vph[k];
    o->iph[k] = w < 0.5 ? a->iph : b->iph;
}

int snf_rhd_run(snf_rhd_result *out, const snf_rhd_params *par, const snf_rhd_profile *prof,
                const snf_rhd_opal *opal, const double *pattern, int npattern)
{
    snf_rhd_state s;
    run_ctx x;
    memset(&x, 0, sizeof x);
    x.par = par;
    int ndays = (int)floor(par->tend / SNF_RHD_DAY + 1e-9);
    int rc = SNF_OK;
    double *save = NULL;
    memset(out, 0, sizeof *out);
    SNF_CHECK(snf_rhd_setup(&s, par, prof, pattern, npattern));
    if (result_alloc(out, ndays) != 0) {
        snf_rhd_state_free(&s);
        SNF_ERROR(SNF_ENOMEM, "outputs of %d days", ndays);
    }
    x.tau = calloc((size_t)s.N, sizeof(double));
    x.xs = calloc((size_t)s.N, sizeof(double));
    save = malloc(snf_rhd_state_save_size(&s) * sizeof(double));
    if (!x.tau || !x.xs || !save) {
        SNF_FAIL(SNF_ENOMEM, "work arrays of %d points", s.N);
    }
    s.opal = opal;
    if (!(par->theta >= 0.5 && par->theta <= 1.0)) {
        SNF_FAIL(SNF_EINVAL, "theta = %g: expected 0.5 ... 1", par->theta);
    }
    s.theta = par->theta;
    s.radiation = par->radiation;
    if (opal && snf_rhd_opacity_prepare(&s) != 0) {
        SNF_FAIL(SNF_ENOMEM, "opacity tables of %d cells", s.N);
    }
    snf_rhd_opacity_all(&s);
    snf_rhd_luminosity(&s, s.T, s.lum);
    if (par->initial_data == SNF_RHD_BOMB) {
        rc = setup_bomb(&s, &x);
        if (rc != SNF_OK) {
            goto cleanup;
        }
        out->e_bomb = x.bomb_E;
    }
    double E0 = snf_rhd_energy(&s);
    s.t = 0.0;
    s.dt = 1e-8;
    snap prev, cur;
    analysis(&s, &x, &prev);
    int day = 1;
    const int N = s.N;
    while (s.t < par->tend && day <= ndays) {
        if ((double)out->steps >= par->ntmax) {
            SNF_FAIL(SNF_ENONFINITE, "day %.3f: the step limit ntmax = %.0f reached", s.t / SNF_RHD_DAY, par->ntmax);
        }
        double dt_prev = s.dt;
        double dt = out->steps == 0 ? 1e-8 : snf_rhd_timestep(&s, par->dtmin, par->dtmax);
        if (s.t + dt > par->tend) {
            dt = par->tend - s.t;
        }
        set_heating(&s, &x);
        snf_rhd_state_save(&s, save);
        char why[160];
        int tries = 0;
        for (;;) {
            s.dt_p = dt_prev;
            s.dt = dt;
            if (snf_rhd_step(&s, why, sizeof why) == 0) {
                break;
            }
            snf_rhd_state_restore(&s, save);
            if (++tries > 10 || dt * 0.5 < par->dtmin) {
                SNF_FAIL(SNF_ENONFINITE, "day %.4f, zone %d (of %d, mass coordinate %.4f Msun): %s; the time step "
                         "collapsed to %.3g s after %d retries", s.t / SNF_RHD_DAY, s.fail_zone + 1, N - 1,
                         s.m[s.fail_zone] / SNF_RHD_MSUN, why, dt, tries - 1);
            }
            dt *= 0.5;
        }
        for (int c = 0; c < N - 1; c++) {
            s.e_in += s.heat[c] * s.dm[c] * dt;
        }
        s.e_out += dt * (s.theta * s.lt[N - 2] + (1.0 - s.theta) * s.lum_p[N - 2]);
        if (s.v[0] != 0.0) {
            /* the piston's work on the gas as the scheme does it (hydro.c): the pressure, time-centred, on the
             * volume its face sweeps, 4 pi / 3 (r^3 - r_p^3), and the artificial viscosity on the area of the cell's
             * centre, as Qterm heats cell 0 (4 pi rc^2 Q dv). The face's area 4 pi r_p^2 under both (as before)
             * left out most of the viscous work at a coarse inner cell (rc >> r): 65% of the piston's energy was
             * "missing" on m000's progenitor at 60 zones, 24% at 120 (now 2.7% and 0.7%) */
            double rq = 0.5 * (s.cr[0] + s.cr_p[0]);
            double w = 0.5 * (s.p[0] + s.p_p[0]) * 4.0 / 3.0 * PI * (s.r[0] * s.r[0] * s.r[0] - s.r_p[0] * s.r_p[0] * s.r_p[0]) +
                       4.0 * PI * rq * rq * s.Q[0] * s.v[0] * dt;
            s.e_in += w;
            x.e_piston += w;
        }
        s.t += dt;
        out->steps++;
        for (int c = 0; c < N - 1; c++) {
            if (!isfinite(s.T[c]) || !(s.T[c] > 0)) {
                SNF_FAIL(SNF_ENONFINITE, "day %.4f, zone %d: temperature %g", s.t / SNF_RHD_DAY, c + 1, s.T[c]);
            }
        }
        analysis(&s, &x, &cur);
        /* the Fe II minimum over v_ph at the step that ends past the day (at most dtmax late); record() scales
         * it by v_ph at the day itself, so that the line never lies below the photosphere it is measured on */
        double wfe = day <= ndays && cur.t >= day * SNF_RHD_DAY - 1e-6
                         ? snf_rhd_feii_minimum(&s, cur.iph, cur.vph, x.tau, x.xs)
                         : NAN;
        while (day <= ndays && cur.t >= day * SNF_RHD_DAY - 1e-6) {
            record(out, day, &prev, &cur, wfe);
            day++;
        }
        prev = cur;
    }
    {
        double scale = out->e_bomb > 0 ? out->e_bomb : x.e_piston > 0 ? x.e_piston : fabs(E0);
        out->e_err = fabs(snf_rhd_energy(&s) - E0 - s.e_in + s.e_out) / scale;
    }
cleanup:
    out->iterations = s.newton_its;
    free(x.tau);
    free(x.xs);
    free(save);
    snf_rhd_state_free(&s);
    return rc;
}
