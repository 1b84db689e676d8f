/* heating.c: radioactive heating by the 56Ni -> 56Co -> 56Fe chain and its gamma-ray deposition. */
#include <math.h>

#include "internal.h"

/* ---- static helpers ---- */

/* 56Ni and 56Co parts of zeta(t) = S(t) / (M_Ni eps_Ni), and the 56Co abundance shape that
 * carries the positron share. */
static void snf_decay_parts(const snf_rhs_ctx *c, double t_d, double *ni, double *co, double *xco)
{
    const double eni = exp(-t_d / c->tau_ni);
    const double eco = exp(-t_d / c->tau_co);
    if (c->heating == SNF_HEATING_BATEMAN) {
        /* X_Co = tau_Co / (tau_Co - tau_Ni) (e^-t/tCo - e^-t/tNi): 56Co per initial 56Ni. */
        *xco = c->tau_co / (c->tau_co - c->tau_ni) * (eco - eni);
        *ni = eni;
        *co = c->eps_ratio * *xco;
    } else {
        /* Nadyozhin (1994): eps_Co already carries the Bateman factor (notes section 2.2). */
        *xco = eco - eni;
        *ni = (1.0 - c->eps_ratio) * eni;
        *co = c->eps_ratio * eco;
    }
}

/* Colgate, Petschek & Kriese (1980) deposited share for gamma-ray optical depth tau. */
static double snf_colgate(double tau)
{
    const double g = tau / (1.6 + tau);
    return g * (1.0 + 2.0 * g * (1.0 - g) * (1.0 - 0.75 * g));
}

/* ---- public (within models/) ---- */

double snf_gamma_deposition(double a_gamma_d2, double t_d)
{
    if (t_d <= 0) {
        return 1.0; /* A_g / t^2 -> infinity: full trapping */
    }
    return -expm1(-a_gamma_d2 / (t_d * t_d));
}

void snf_heating_setup(snf_rhs_ctx *c, const snf_physics *ph, const snf_model_scales *sc,
                       const snf_sn_params *p)
{
    c->tau_ni = ph->tau_ni_d;
    c->tau_co = ph->tau_co_d;
    c->eps_ratio = ph->eps_co_erg_g_s / ph->eps_ni_erg_g_s;
    c->pos_ratio = ph->eps_pos_erg_g_s / ph->eps_ni_erg_g_s;
    c->heating = ph->heating;
    c->gamma_mode = ph->gamma_mode;
    c->a_gamma = sc->a_gamma_d2;
    const double rho0 = 3.0 * p->mass_msun * SNF_MSUN_G / (4.0 * M_PI * pow(p->radius_cm, 3));
    c->tau_g0 = ph->kappa_gamma_cm2_g * rho0 * p->radius_cm;
}

double snf_heating_deposited(const snf_rhs_ctx *c, double t_d)
{
    double ni, co, xco;
    snf_decay_parts(c, t_d, &ni, &co, &xco);
    const double pos = c->pos_ratio * xco;
    switch (c->gamma_mode) {
    case SNF_GAMMA_HEATING:
        return snf_gamma_deposition(c->a_gamma, t_d) * (ni + co) + pos;
    case SNF_GAMMA_COLGATE: {
        const double s = 1.0 + t_d / c->t_h;
        return snf_colgate(c->tau_g0 / (s * s)) * (ni + co) + pos;
    }
    default:
        return ni + co + pos; /* luminosity mode applies f_dep to L; off traps everything */
    }
}

double snf_heating_tail(const snf_rhs_ctx *c, double t_d)
{
    if (c->gamma_mode == SNF_GAMMA_LUMINOSITY) {
        double ni, co, xco;
        snf_decay_parts(c, t_d, &ni, &co, &xco);
        return snf_gamma_deposition(c->a_gamma, t_d) * (ni + co + c->pos_ratio * xco);
    }
    return snf_heating_deposited(c, t_d);
}

double snf_model_tail_lum(const snf_sn_params *p, const snf_physics *ph, double t_days)
{
    snf_model_scales s;
    if (snf_model_scales_compute(&s, p, ph) < 0) {
        return NAN;
    }
    snf_rhs_ctx c = {.t_h = s.t_h_d};
    snf_heating_setup(&c, ph, &s, p);
    return p->nickel_msun * SNF_MSUN_G * ph->eps_ni_erg_g_s * snf_heating_tail(&c, t_days);
}
