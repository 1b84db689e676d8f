/* models/model.h: the semi-analytic 87A-like light-curve model (Arnett & Fu 1989 / Zampieri et al. 2003 family).
 * Given explosion energy, ejected mass, progenitor radius and nickel mass, it returns the bolometric
 * luminosity L(t) and the photospheric velocity v_ph(t) on any time grid, plus derived summaries.
 * Three closures of the recombination front: temperature (AF89 / LC2), flux (Arnett 1996) and none.
 * Equations and constants: ../shared/physics/semi-analytic-model.md; choices and sources in README.md.
 * It knows no files, grids or campaigns; one snf_model workspace serves one thread, model after model. */
#ifndef SNFORGE_MODELS_MODEL_H
#define SNFORGE_MODELS_MODEL_H

#include "snforge/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

/* The four physical parameters of one supernova (interfaces.md units). */
typedef struct snf_sn_params {
    double energy_foe;  /* explosion energy E, 1e51 erg; > 0 */
    double mass_msun;   /* ejected mass M, solar masses; > 0 */
    double radius_cm;   /* progenitor radius R0, cm; > 0 */
    double nickel_msun; /* 56Ni mass, solar masses; >= 0 */
} snf_sn_params;

typedef enum snf_closure {
    SNF_CLOSURE_TEMPERATURE = 0, /* (A) T(x_i) = T_ion, exact ODE reduction with front freeze events */
    SNF_CLOSURE_FLUX = 1,        /* (B) blackbody flux at 2^(1/4) T_ion leaves the front (Arnett 1996) */
    SNF_CLOSURE_NONE = 2         /* no recombination: x_i = 1 throughout (Arnett 1980/82 limit) */
} snf_closure;

typedef enum snf_heating {
    SNF_HEATING_NADYOZHIN = 0, /* S = M_Ni[(eps_Ni - eps_Co) e^-t/tNi + eps_Co e^-t/tCo] (Nadyozhin 1994) */
    SNF_HEATING_BATEMAN = 1    /* S = M_Ni[eps_Ni X_Ni + eps_Co X_Co], X_Co from the Bateman solution (LC2) */
} snf_heating;

typedef enum snf_gamma_mode {
    SNF_GAMMA_HEATING = 0,    /* deposition f_dep = 1 - exp(-A_g/t^2) multiplies the heating (default) */
    SNF_GAMMA_LUMINOSITY = 1, /* LC2 convention: f_dep multiplies the diffusive luminosity */
    SNF_GAMMA_OFF = 2,        /* full trapping */
    SNF_GAMMA_COLGATE = 3     /* Colgate et al. (1980) D(tau_g), tau_g = kappa_g rho0 R0 (R0/R)^2, on the
                               * gamma part of the heating; positrons deposit locally (snlc) */
} snf_gamma_mode;

/* Physics and numerics settings. Defaults: snf_physics_default(); sources in README.md. */
typedef struct snf_physics {
    snf_closure closure;
    double kappa_cm2_g;       /* grey opacity of the ionized ejecta, cm^2/g */
    double t_ion_K;           /* recombination (ionization) temperature, K */
    double q_rec_erg_g;       /* recombination energy released per gram, erg/g */
    double eth_fraction;      /* share of E that is initial thermal energy (rest is kinetic), (0,1) */
    double beta;              /* Arnett's diffusion constant, 4 pi^3 / 9 */
    snf_heating heating;      /* Ni/Co heating convention */
    double eps_ni_erg_g_s;    /* 56Ni decay energy rate, erg/g/s */
    double eps_co_erg_g_s;    /* 56Co decay energy rate, erg/g/s (gammas, or all if eps_pos = 0) */
    double eps_pos_erg_g_s;   /* 56Co positron share, always deposited, erg/g/s (0: inside eps_co) */
    double tau_ni_d;          /* 56Ni mean life, days */
    double tau_co_d;          /* 56Co mean life, days */
    snf_gamma_mode gamma_mode;
    double kappa_gamma_cm2_g; /* gamma-ray opacity for A_g = 3 kappa_g M / (4 pi v_sc^2), cm^2/g */
    double a_gamma_d2;        /* if > 0, use this A_g (days^2) instead of the kappa_gamma value */
    double x_floor;           /* LC2 device: the front never recedes below this (0 = no floor) */
    double x_end;             /* the front is gone below this: the tail L = deposited decay power */
    double rtol;              /* CVODE relative tolerance */
    double atol_phi;          /* CVODE absolute tolerance on phi (dimensionless thermal energy) */
    double atol_w;            /* CVODE absolute tolerance on w = 1 - x_i (at most 1e-3 w(0) if w(0) > 0) */
    long max_steps;           /* CVODE step limit for one model */
} snf_physics;

/* Constants derived from (params, physics): what a reader checks against a paper. */
typedef struct snf_model_scales {
    double e_th0_erg;  /* initial thermal energy */
    double e_kin_erg;  /* kinetic energy */
    double v_sc_km_s;  /* velocity scale of the homologous flow, v_sc = sqrt(10 E_k / 3 M) */
    double t_h_d;      /* expansion time R0 / v_sc */
    double t_d0_d;     /* initial diffusion time kappa M / (beta c R0) */
    double t_m_d;      /* Arnett's effective diffusion time sqrt(2 t_d0 t_h) */
    double T0_K;       /* initial central temperature */
    double a_ion;      /* (T_ion / T0)^4 */
    double a_gamma_d2; /* gamma-ray trapping A_g in days^2 */
} snf_model_scales;

/* Per-model summaries (the /derived datasets of a campaign file). NaN where undefined. The first four
 * come from the solver's dense output over [t_days[0], t_days[T-1]], not from the output grid: the same
 * for any grid over that span (golden-section search on each CVODE step's interpolant, 1e-4 d). */
typedef struct snf_lc_derived {
    double t_peak_d;         /* day of the luminosity maximum */
    double log_lpeak;        /* log10 of the maximum luminosity, erg/s */
    double t_plateau_end_d;  /* end of the plateau/dome: steepest decline of log L after the peak (a drop
                              * at a mode change counts as a fall over 1e-3 d; falls below 1e-3 of the
                              * peak are not followed) */
    double t_front_end_d;    /* the front reached x_end (or x_floor): the root's time; NaN if not reached */
    double e_rad_erg;        /* radiated energy over the grid (trapezoid) */
    double e_rec_erg;        /* recombination energy released by the end of the grid, Q M (1 - x_i^3) */
} snf_lc_derived;

/* Output of one model on T caller-given times. L_erg_s and vph_km_s are required; the diagnostics
 * may be NULL. v_ph is NaN once the front is gone (no photosphere inside the ejecta). */
typedef struct snf_lc {
    double *L_erg_s;      /* [T] bolometric luminosity */
    double *vph_km_s;     /* [T] photospheric velocity x_i v_sc */
    double *L_rec_erg_s;  /* [T] recombination luminosity -3 M Q x_i^2 dx_i/dt, or NULL */
    double *x_i;          /* [T] front position, or NULL */
    double *phi;          /* [T] dimensionless thermal energy of the ionized core, or NULL */
    snf_lc_derived derived;
    long n_steps;         /* CVODE steps taken */
    long n_rhs;           /* right-hand-side evaluations */
} snf_lc;

typedef struct snf_model snf_model; /* opaque per-thread workspace (CVODE memory, vectors) */

/* ---- defaults and checks ---- */

/* SN 1987A-like defaults: Arnett (1996) Table 13.2, E = 1.7 foe, M = 15, R0 = 3e12 cm, M_Ni = 0.075. */
SNF_API snf_sn_params snf_sn_params_default(void);
SNF_API snf_physics snf_physics_default(void);

/* SNF_OK, or SNF_EINVAL with a message naming the parameter, its value and the valid range. */
SNF_API int snf_sn_params_check(const snf_sn_params *p);
SNF_API int snf_physics_check(const snf_physics *ph);

/* The four supernova parameters (energy, mass, radius, nickel; SNF_PARAM_*), in the order every table uses
 * them: a dataset's first /params columns, the network's outputs (data.h SNF_DATA_NP), the model file's
 * target_names and target_units, predict's and evaluate's keys. Their names and units live in one table
 * (params.c, the first rows of the plausibility table below); every other place reads them from here. k out
 * of range: "?". */
enum { SNF_PARAM_ENERGY = 0, SNF_PARAM_MASS, SNF_PARAM_RADIUS, SNF_PARAM_NICKEL, SNF_PARAM_COUNT };
SNF_API const char *snf_param_name(int k); /* "energy", "mass", "radius", "nickel" */
SNF_API const char *snf_param_unit(int k); /* "foe", "Msun", "cm", "Msun" */

/* Plausibility of one physical input against the one table of ranges and unit hints (params.c), for the
 * places a user types a value: command-line options, campaign files, the Python API. key: energy, mass,
 * radius, nickel, kappa, t_ion, q_rec, beta, eps_ni, eps_co, eps_pos, tau_ni, tau_co, kappa_gamma, a_gamma_d2
 * (other keys pass). opt: the name the user wrote ("--energy", "[param.energy] max"); text: the value as
 * typed (NULL: printed with %g). Values <= 0 or not finite pass here (the validity checks above name
 * them). SNF_OK, or SNF_EINVAL with e.g. "--energy 1.7e51: in erg? --energy takes foe (1 foe = 1e51 erg);
 * plausible 0.01-100 foe". The ranges are wide (every supernova the model can describe lies inside);
 * they catch unit slips, not unusual objects. */
SNF_API int snf_param_plausible(const char *key, const char *opt, const char *text, double value);

/* Closure by name ("temperature", "flux", "none"); SNF_EINVAL naming the choices otherwise. */
SNF_API int snf_closure_parse(const char *name, snf_closure *out);
SNF_API const char *snf_closure_name(snf_closure c);

/* Heating convention by name ("nadyozhin", "bateman") and gamma mode ("heating", "luminosity",
 * "off", "colgate"); SNF_EINVAL naming the choices otherwise. */
SNF_API int snf_heating_parse(const char *name, snf_heating *out);
SNF_API int snf_gamma_parse(const char *name, snf_gamma_mode *out);

/* ---- the physics keys: one table for campaigns, `snforge simulate` and the Python API ---- */

/* What a physics setting holds: a double of snf_physics, a whole number, or a name (closure, heating, gamma). */
typedef enum { SNF_PHYS_DOUBLE, SNF_PHYS_LONG, SNF_PHYS_CLOSURE, SNF_PHYS_HEATING, SNF_PHYS_GAMMA } snf_physics_kind;

/* One setting of snf_physics: its key in a campaign's [physics] section (also the Python keyword), the
 * long option of `snforge simulate`, what it holds and where (offsetof into snf_physics). */
typedef struct snf_physics_key {
    const char *key, *option;
    snf_physics_kind kind;
    size_t offset;
} snf_physics_key;

/* The table (physics_keys.c), in the order messages list the keys; *n its length. */
SNF_API const snf_physics_key *snf_physics_keys(int *n);

/* The entry of a [physics] key; NULL if none. */
SNF_API const snf_physics_key *snf_physics_key_find(const char *key);

/* "closure, kappa, ..., max_steps": the keys in the table's order, for messages (truncated to n). */
SNF_API void snf_physics_key_list(char *buf, size_t n);

/* Scales for (p, ph); SNF_EINVAL if either is invalid. */
SNF_API int snf_model_scales_compute(snf_model_scales *s, const snf_sn_params *p, const snf_physics *ph);

/* ---- life cycle and run ---- */

/* One workspace per thread, reused across models (CVodeReInit); NULL on allocation failure. */
SNF_API snf_model *snf_model_alloc(void);

/* Computes one model at the T strictly increasing times t_days (>= 0) into out.
 * Returns SNF_OK, a positive warning (the result is usable: SNF_WARN_FRONT_FLOOR, SNF_WARN_NO_PEAK),
 * SNF_EINVAL for bad parameters, SNF_ECVODE if the integrator fails (message names CVODE's flag),
 * SNF_ENONFINITE. Every closure, with or without nickel and with any x_floor, integrates across the
 * 87A-like prior (tests/test_model_prior.c); L >= 0 always (a core that has radiated its energy
 * without nickel has phi -> 0: a state, not an error).
 * On failure the output arrays are filled with NaN. Allocates nothing. */
SNF_API int snf_model_run(snf_model *m, const snf_sn_params *p, const snf_physics *ph, const double *t_days,
                  int T, snf_lc *out);

/* Deposited decay power f_dep(t) S(t) in erg/s at t_days: the model's late-time tail. */
SNF_API double snf_model_tail_lum(const snf_sn_params *p, const snf_physics *ph, double t_days);

SNF_API void snf_model_free(snf_model *m);

#ifdef __cplusplus
}
#endif

#endif
