/* params.c: defaults, validation and derived scales of the model's inputs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "snforge/core.h"

/* ---- defaults ---- */

snf_sn_params snf_sn_params_default(void)
{
    /* SN 1987A, Arnett (1996) Table 13.2 (from AF89): E = 1.7 foe split 50/50, M = 15 Msun,
     * R0 = 3e12 cm, M_Ni = 0.075 Msun (physics notes section 5). */
    snf_sn_params p = {.energy_foe = 1.7, .mass_msun = 15.0, .radius_cm = 3e12, .nickel_msun = 0.075};
    return p;
}

snf_physics snf_physics_default(void)
{
    snf_physics ph = {
        /* Closure, kappa and T_ion chosen against 13 SNEC 87A-like models (validation/results/choice.md,
         * validation/run_snec_comparison.py): the flux closure with kappa 0.34 and T_ion 4000 K has the
         * lowest residuals after day 30 (score 0.239 vs 0.315 for the former 0.2 / 4500 K; the temperature
         * and no-recombination closures at their best settings score 0.375 / 0.396). */
        .closure = SNF_CLOSURE_FLUX,
        .kappa_cm2_g = 0.34,         /* Thomson opacity of ionized H-rich matter, 0.2 (1 + X), X = 0.7 */
        .t_ion_K = 4000.0,           /* SNEC comparison; Arnett 1996's 87A table has 4500 K */
        .q_rec_erg_g = 9.12e12,      /* 0.7 x 13.6 eV / m_p: hydrogen mass fraction 0.7 (snlc) */
        .eth_fraction = 0.5,         /* equipartition (Arnett 1996); SNEC prefers 0.3 by < 1%: kept */
        .beta = 4.0 * M_PI * M_PI * M_PI / 9.0, /* 13.78, exact for the psi mode of a sphere */
        .heating = SNF_HEATING_NADYOZHIN,       /* matches the 87A tail calibration, notes 2.2 */
        .eps_ni_erg_g_s = 3.90e10,              /* Nadyozhin 1994 */
        .eps_co_erg_g_s = 6.78e9,               /* Nadyozhin 1994, positrons included */
        .eps_pos_erg_g_s = 0.0,
        .tau_ni_d = 8.8,                        /* t_1/2 = 6.10 d */
        .tau_co_d = 111.3,                      /* t_1/2 = 77.12 d */
        .gamma_mode = SNF_GAMMA_HEATING,
        .kappa_gamma_cm2_g = 0.028,             /* LC2 v2 */
        .a_gamma_d2 = 0.0,
        .x_floor = 0.0,
        .x_end = 1e-2, /* the front then holds 1e-6 of the mass and v_ph < 1% of v_sc */
        .rtol = 3e-6,
        .atol_phi = 1e-10,
        .atol_w = 1e-12, /* the temperature closure tightens it to 1e-3 of the initial depth */
        .max_steps = 20000,
    };
    return ph;
}

/* ---- checks ---- */

/* Each check names the parameter, the value seen and the valid range. */
int snf_sn_params_check(const snf_sn_params *p)
{
    if (!(p->energy_foe > 0) || !isfinite(p->energy_foe)) {
        SNF_ERROR(SNF_EINVAL, "energy = %g foe is invalid: expected a finite value > 0 (87A-like: 0.5-15)",
                  p->energy_foe);
    }
    if (!(p->mass_msun > 0) || !isfinite(p->mass_msun)) {
        SNF_ERROR(SNF_EINVAL, "mass = %g Msun is invalid: expected a finite value > 0 (87A-like: 10-55)",
                  p->mass_msun);
    }
    if (!(p->radius_cm > 0) || !isfinite(p->radius_cm)) {
        SNF_ERROR(SNF_EINVAL,
                  "radius = %g cm is invalid: expected a finite value > 0 (87A-like: 2e11-1e14)",
                  p->radius_cm);
    }
    if (!(p->nickel_msun >= 0) || !isfinite(p->nickel_msun) || p->nickel_msun > p->mass_msun) {
        SNF_ERROR(SNF_EINVAL,
                  "nickel = %g Msun is invalid: expected a finite value >= 0 and <= mass (87A-like: 0.01-0.3)",
                  p->nickel_msun);
    }
    return SNF_OK;
}

/* ---- plausibility: one table of ranges and unit hints ---- */

/* A value above `hi` (or below `lo`) gets the first hint whose threshold it passes: a guess at the unit it
 * was given in; otherwise the plain statement of the unit. */
typedef struct snf_unit_guess {
    double above; /* the value is >= this: ... */
    const char *guess;
} snf_unit_guess;

typedef struct snf_plausible {
    const char *key, *unit, *takes; /* takes: "foe (1 foe = 1e51 erg)" */
    double lo, hi;
    snf_unit_guess high[2], low[2]; /* tried in order; for low, .above is the bound the value is below */
} snf_plausible;

/* The first SNF_PARAM_COUNT rows are the four parameters in their order (snf_param_name, snf_param_unit):
 * the one place their names and units are spelled. */
static const snf_plausible snf_plausible_table[] = {
    {"energy", "foe", "foe (1 foe = 1e51 erg)", 0.01, 100, {{1e40, "in erg?"}, {0, NULL}}, {{0, NULL}, {0, NULL}}},
    {"mass", "Msun", "Msun (1 Msun = 1.989e33 g)", 0.05, 500, {{1e32, "in grams?"}, {1e27, "in kg?"}},
     {{0, NULL}, {0, NULL}}},
    {"radius", "cm", "cm (1 Rsun = 6.957e10 cm)", 1e8, 1e16, {{0, NULL}, {0, NULL}},
     {{1e5, "in solar radii?"}, {1e8, "in km or m?"}}},
    {"nickel", "Msun", "Msun (1 Msun = 1.989e33 g)", 0, 10, {{1e32, "in grams?"}, {1e27, "in kg?"}},
     {{0, NULL}, {0, NULL}}},
    {"kappa", "cm^2/g", "cm^2/g (ionized H-rich ejecta: 0.2-0.4)", 0.01, 10, {{0, NULL}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
    {"t_ion", "K", "K (hydrogen recombines at 4000-7000 K)", 1000, 50000, {{0, NULL}, {0, NULL}},
     {{100, "in eV or thousands of K?"}, {0, NULL}}},
    {"q_rec", "erg/g", "erg/g (hydrogen: 1.3e13 erg/g per unit H mass fraction)", 1e10, 1e15,
     {{0, NULL}, {0, NULL}}, {{1e10, "in J/kg (1 J/kg = 1e4 erg/g)?"}, {0, NULL}}},
    {"beta", "", "a pure number (4 pi^3 / 9 = 13.78 for a uniform sphere)", 1, 100, {{0, NULL}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
    {"eps_ni", "erg/g/s", "erg/g/s (Nadyozhin 1994: 3.90e10)", 1e9, 1e12, {{0, NULL}, {0, NULL}},
     {{1e9, "in W/kg (1 W/kg = 1e4 erg/g/s)?"}, {0, NULL}}},
    {"eps_co", "erg/g/s", "erg/g/s (Nadyozhin 1994: 6.78e9)", 1e8, 1e11, {{0, NULL}, {0, NULL}},
     {{1e8, "in W/kg (1 W/kg = 1e4 erg/g/s)?"}, {0, NULL}}},
    {"eps_pos", "erg/g/s", "erg/g/s (56Co positrons: about 2e8)", 1e6, 1e10, {{0, NULL}, {0, NULL}},
     {{1e6, "in W/kg (1 W/kg = 1e4 erg/g/s)?"}, {0, NULL}}},
    {"tau_ni", "d", "days (the 56Ni mean life is 8.8 d)", 1, 100, {{1e4, "in seconds?"}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
    {"tau_co", "d", "days (the 56Co mean life is 111.3 d)", 10, 1000, {{1e5, "in seconds?"}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
    {"kappa_gamma", "cm^2/g", "cm^2/g (gamma rays: about 0.03)", 1e-4, 1, {{0, NULL}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
    {"a_gamma_d2", "d^2", "days^2 (LC2's full trapping: 1e6)", 1, 1e9, {{1e9, "in s^2?"}, {0, NULL}},
     {{0, NULL}, {0, NULL}}},
};

const char *snf_param_name(int k)
{
    return k >= 0 && k < SNF_PARAM_COUNT ? snf_plausible_table[k].key : "?";
}

const char *snf_param_unit(int k)
{
    return k >= 0 && k < SNF_PARAM_COUNT ? snf_plausible_table[k].unit : "?";
}

int snf_param_plausible(const char *key, const char *opt, const char *text, double value)
{
    if (!(value > 0) || !isfinite(value)) {
        return SNF_OK;
    }
    for (size_t i = 0; i < sizeof snf_plausible_table / sizeof snf_plausible_table[0]; i++) {
        const snf_plausible *e = &snf_plausible_table[i];
        if (strcmp(key, e->key) != 0) {
            continue;
        }
        if (value >= e->lo && value <= e->hi) {
            return SNF_OK;
        }
        const char *guess = NULL;
        for (int k = 0; k < 2 && guess == NULL; k++) {
            if (value > e->hi && e->high[k].guess != NULL && value >= e->high[k].above) {
                guess = e->high[k].guess;
            }
            if (value < e->lo && e->low[k].guess != NULL && value < e->low[k].above) {
                guess = e->low[k].guess;
            }
        }
        char num[64];
        if (text == NULL) {
            snprintf(num, sizeof num, "%g", value);
        }
        SNF_ERROR(SNF_EINVAL, "%s %s: %s%s%s takes %s; plausible %g-%g%s%s", opt, text ? text : num,
                  guess ? guess : "", guess ? " " : "", opt, e->takes, e->lo, e->hi, e->unit[0] ? " " : "",
                  e->unit);
    }
    return SNF_OK;
}

#define SNF_CHECK_POS(field, name, unit)                                                          \
    do {                                                                                          \
        if (!(ph->field > 0) || !isfinite(ph->field)) {                                           \
            SNF_ERROR(SNF_EINVAL, "%s = %g %s is invalid: expected a finite value > 0", name,      \
                      ph->field, unit);                                                           \
        }                                                                                         \
    } while (0)

int snf_physics_check(const snf_physics *ph)
{
    if (ph->closure != SNF_CLOSURE_TEMPERATURE && ph->closure != SNF_CLOSURE_FLUX &&
        ph->closure != SNF_CLOSURE_NONE) {
        SNF_ERROR(SNF_EINVAL, "closure = %d is invalid: expected temperature, flux or none", (int)ph->closure);
    }
    SNF_CHECK_POS(kappa_cm2_g, "kappa", "cm^2/g");
    SNF_CHECK_POS(t_ion_K, "t_ion", "K");
    SNF_CHECK_POS(beta, "beta", "");
    SNF_CHECK_POS(tau_ni_d, "tau_ni", "d");
    SNF_CHECK_POS(tau_co_d, "tau_co", "d");
    SNF_CHECK_POS(rtol, "rtol", "");
    SNF_CHECK_POS(atol_phi, "atol_phi", "");
    SNF_CHECK_POS(atol_w, "atol_w", "");
    if (!(ph->q_rec_erg_g >= 0) || !isfinite(ph->q_rec_erg_g)) {
        SNF_ERROR(SNF_EINVAL, "q_rec = %g erg/g is invalid: expected a finite value >= 0", ph->q_rec_erg_g);
    }
    if (!(ph->eth_fraction > 0 && ph->eth_fraction < 1)) {
        SNF_ERROR(SNF_EINVAL, "eth_fraction = %g is invalid: expected 0 < eth_fraction < 1", ph->eth_fraction);
    }
    if (!(ph->eps_ni_erg_g_s > 0) || !(ph->eps_co_erg_g_s >= 0) || !isfinite(ph->eps_ni_erg_g_s) ||
        !isfinite(ph->eps_co_erg_g_s)) {
        SNF_ERROR(SNF_EINVAL, "eps_ni = %g, eps_co = %g erg/g/s are invalid: expected eps_ni > 0 and eps_co >= 0, finite",
                  ph->eps_ni_erg_g_s, ph->eps_co_erg_g_s);
    }
    if (!(ph->eps_pos_erg_g_s >= 0) || !isfinite(ph->eps_pos_erg_g_s)) {
        SNF_ERROR(SNF_EINVAL, "eps_pos = %g erg/g/s is invalid: expected a finite value >= 0", ph->eps_pos_erg_g_s);
    }
    if (ph->heating != SNF_HEATING_NADYOZHIN && ph->heating != SNF_HEATING_BATEMAN) {
        SNF_ERROR(SNF_EINVAL, "heating = %d is invalid: expected nadyozhin or bateman", (int)ph->heating);
    }
    if (ph->heating == SNF_HEATING_BATEMAN && ph->tau_co_d == ph->tau_ni_d) {
        SNF_ERROR(SNF_EINVAL, "tau_co = tau_ni = %g d: the Bateman solution needs distinct mean lives",
                  ph->tau_ni_d);
    }
    if (ph->gamma_mode != SNF_GAMMA_HEATING && ph->gamma_mode != SNF_GAMMA_LUMINOSITY &&
        ph->gamma_mode != SNF_GAMMA_OFF && ph->gamma_mode != SNF_GAMMA_COLGATE) {
        SNF_ERROR(SNF_EINVAL, "gamma = %d is invalid: expected heating, luminosity, off or colgate",
                  (int)ph->gamma_mode);
    }
    if (!(ph->kappa_gamma_cm2_g >= 0) || !isfinite(ph->kappa_gamma_cm2_g)) {
        SNF_ERROR(SNF_EINVAL, "kappa_gamma = %g cm^2/g is invalid: expected a finite value >= 0",
                  ph->kappa_gamma_cm2_g);
    }
    if (!(ph->a_gamma_d2 >= 0) || !isfinite(ph->a_gamma_d2)) {
        SNF_ERROR(SNF_EINVAL, "a_gamma_d2 = %g d^2 is invalid: expected 0 (from kappa_gamma) or > 0",
                  ph->a_gamma_d2);
    }
    if (!(ph->x_end > 0 && ph->x_end < 1)) {
        SNF_ERROR(SNF_EINVAL, "x_end = %g is invalid: expected 0 < x_end < 1", ph->x_end);
    }
    if (!(ph->x_floor >= 0 && ph->x_floor < 1)) {
        SNF_ERROR(SNF_EINVAL, "x_floor = %g is invalid: expected 0 <= x_floor < 1 (0 = no floor)", ph->x_floor);
    }
    if (ph->max_steps <= 0) {
        SNF_ERROR(SNF_EINVAL, "max_steps = %ld is invalid: expected > 0", ph->max_steps);
    }
    return SNF_OK;
}

int snf_closure_parse(const char *name, snf_closure *out)
{
    static const char *const names[] = {"temperature", "flux", "none"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (snf_closure)i;
            return SNF_OK;
        }
    }
    SNF_ERROR(SNF_EINVAL, "model '%s' is unknown: expected temperature, flux or none", name);
}

const char *snf_closure_name(snf_closure c)
{
    switch (c) {
    case SNF_CLOSURE_TEMPERATURE:
        return "temperature";
    case SNF_CLOSURE_FLUX:
        return "flux";
    case SNF_CLOSURE_NONE:
        return "none";
    }
    return "unknown";
}

int snf_heating_parse(const char *name, snf_heating *out)
{
    if (strcmp(name, "nadyozhin") == 0) {
        *out = SNF_HEATING_NADYOZHIN;
    } else if (strcmp(name, "bateman") == 0) {
        *out = SNF_HEATING_BATEMAN;
    } else {
        SNF_ERROR(SNF_EINVAL, "heating '%s' is unknown: expected nadyozhin or bateman", name);
    }
    return SNF_OK;
}

int snf_gamma_parse(const char *name, snf_gamma_mode *out)
{
    if (strcmp(name, "heating") == 0) {
        *out = SNF_GAMMA_HEATING;
    } else if (strcmp(name, "luminosity") == 0) {
        *out = SNF_GAMMA_LUMINOSITY;
    } else if (strcmp(name, "off") == 0) {
        *out = SNF_GAMMA_OFF;
    } else if (strcmp(name, "colgate") == 0) {
        *out = SNF_GAMMA_COLGATE;
    } else {
        SNF_ERROR(SNF_EINVAL, "gamma '%s' is unknown: expected heating, luminosity, off or colgate", name);
    }
    return SNF_OK;
}

/* ---- scales ---- */

int snf_model_scales_compute(snf_model_scales *s, const snf_sn_params *p, const snf_physics *ph)
{
    SNF_CHECK(snf_sn_params_check(p));
    SNF_CHECK(snf_physics_check(ph));
    const double E = p->energy_foe * SNF_FOE_ERG;
    const double M = p->mass_msun * SNF_MSUN_G;
    const double R0 = p->radius_cm;
    s->e_th0_erg = ph->eth_fraction * E;
    s->e_kin_erg = E - s->e_th0_erg;
    const double v = sqrt(10.0 * s->e_kin_erg / (3.0 * M)); /* cm/s, uniform-density sphere */
    s->v_sc_km_s = v / 1e5;
    s->t_h_d = R0 / v / SNF_DAY_S;
    s->t_d0_d = ph->kappa_cm2_g * M / (ph->beta * SNF_C_CM_S * R0) / SNF_DAY_S;
    s->t_m_d = sqrt(2.0 * s->t_d0_d * s->t_h_d);
    /* E_th0 = (4/pi) R0^3 a T0^4, because the integral of psi x^2 over (0,1) is 1/pi^2. */
    s->T0_K = pow(M_PI * s->e_th0_erg / (4.0 * R0 * R0 * R0 * SNF_ARAD), 0.25);
    const double r = ph->t_ion_K / s->T0_K;
    s->a_ion = r * r * r * r;
    s->a_gamma_d2 = ph->a_gamma_d2 > 0
                        ? ph->a_gamma_d2
                        : 3.0 * ph->kappa_gamma_cm2_g * M / (4.0 * M_PI * v * v) / (SNF_DAY_S * SNF_DAY_S);
    return SNF_OK;
}
