/* internal.h: what the model's files share and nobody else sees: the right-hand-side context,
 * state indices and the closure/heating helpers. Time is in days throughout the ODE. */
#ifndef SNFORGE_MODELS_INTERNAL_H
#define SNFORGE_MODELS_INTERNAL_H

#include "snforge/models.h"

#define SNF_DAY_S 86400.0
#define SNF_MSUN_G 1.98847e33
#define SNF_FOE_ERG 1e51
#define SNF_C_CM_S 2.99792458e10
#define SNF_ARAD 7.565723e-15   /* radiation constant, erg cm^-3 K^-4 */
#define SNF_SIGMA_SB 5.670374e-5 /* Stefan-Boltzmann, erg cm^-2 s^-1 K^-4 */

/* State vector: phi (thermal energy of the ionized core / E_th0, times R/R0 / x_i^3) and
 * w = 1 - x_i (front depth below the surface: kept instead of x_i because x_i starts within
 * (T_ion/T0)^4 ~ 1e-13 of 1, which x_i itself cannot resolve in double precision). */
enum { SNF_IPHI = 0, SNF_IW = 1, SNF_NEQ = 2 };

/* Root functions (fixed count; an inactive one returns 1). */
enum { SNF_ROOT_SWITCH = 0, SNF_ROOT_END = 1, SNF_ROOT_FLOOR = 2, SNF_NROOT = 3 };

/* Phase of the front, set between solves; the RHS only reads it. */
typedef enum snf_front_mode {
    SNF_FRONT_MOVING = 0, /* the closure sets dx_i/dt < 0 */
    SNF_FRONT_FROZEN = 1, /* the closure would move the front outwards: dx_i/dt = 0 */
    SNF_FRONT_FLOOR = 2,  /* held at x_floor for good (LC2 device) */
    SNF_FRONT_NONE = 3,   /* no recombination: x_i = 1 */
    SNF_FRONT_GONE = 4    /* below x_end: the tail */
} snf_front_mode;

/* Everything the RHS needs, in days and dimensionless units. Read-only during a solve. */
typedef struct snf_rhs_ctx {
    const snf_physics *ph;
    snf_closure closure;
    snf_front_mode mode;
    double t_h;      /* R0 / v_sc, days */
    double t_d0;     /* initial diffusion time, days */
    double t_i0;     /* E_th0 / (4 pi R0^2 sigma 2 T_ion^4), days (flux closure) */
    double a_ion;    /* (T_ion / T0)^4 */
    double p1;       /* M_Ni eps_Ni / E_th0, per day */
    double q_rel;    /* M Q / E_th0 (flux closure) */
    double a_gamma;  /* A_g, days^2 */
    double x_fixed;  /* x_i while frozen or held at the floor */
    /* decay data, days and eps_Co / eps_Ni */
    double tau_ni, tau_co, eps_ratio, pos_ratio; /* eps_Co / eps_Ni, eps_pos / eps_Ni */
    double tau_g0;   /* kappa_g rho0 R0: gamma-ray optical depth at t = 0 (Colgate mode) */
    snf_heating heating;
    snf_gamma_mode gamma_mode;
} snf_rhs_ctx;

/* ---- heating.c ---- */
/* Fills the decay data of c (tau_*, eps ratios, heating, gamma mode, a_gamma, tau_g0). */
void snf_heating_setup(snf_rhs_ctx *c, const snf_physics *ph, const snf_model_scales *sc,
                       const snf_sn_params *p);
/* Heating deposited in the ejecta, normalised by M_Ni eps_Ni: zeta(t) times the deposition of
 * the gamma mode (gamma modes other than heating/colgate deposit it all here). */
double snf_heating_deposited(const snf_rhs_ctx *c, double t_d);
/* The same, with the deposition every gamma mode implies (the tail's luminosity / M_Ni eps_Ni). */
double snf_heating_tail(const snf_rhs_ctx *c, double t_d);
/* f_dep(t) = 1 - exp(-A_g / t^2): share of the decay gamma-ray energy deposited. */
double snf_gamma_deposition(double a_gamma_d2, double t_d);

/* ---- closures.c ---- */
int snf_model_rhs(double t, const double *y, double *ydot, void *user);
int snf_model_roots(double t, const double *y, double *g, void *user);
/* Front speed dx_i/dt (per day) in the current mode, and the energy-equation source H. */
double snf_front_speed(const snf_rhs_ctx *c, double t, double phi, double x, double w);
/* psi(x) = sin(pi x) / (pi x) written with w = 1 - x. */
double snf_psi_w(double w);
/* Mode to enter when the switch root fires in mode m. */
snf_front_mode snf_front_switch(const snf_rhs_ctx *c, snf_front_mode m);

/* ---- derived.c ---- */
/* Grid summaries: peak (parabola through the grid maximum), steepest grid fall, radiated energy. */
void snf_lc_derive(snf_lc_derived *d, const double *t, const double *L, int T);

/* Derived values from the solver's dense output rather than the output grid (issue 11): the model
 * feeds log10 L at sub-samples of every internal step, in time order, within [t_lo, t_hi]; the
 * peak and the steepest fall after it are then refined inside the step by golden-section search
 * on the step's interpolant. CVODE's steps do not depend on the output grid, so neither do these. */
typedef struct snf_derive_track {
    double t_lo, t_hi;          /* the output grid's span: values outside it are not summaries */
    double peak_t, peak_lg;     /* running maximum of log10 L */
    double fall_t, fall_slope;  /* steepest fall of log10 L (dex/day, < 0) after the running maximum */
    double prev_t, prev_lg;     /* last sample (slopes between consecutive samples) */
    int have_prev;
    int peak_new, fall_new;     /* set when the last samples moved the maximum / the steepest fall */
} snf_derive_track;

/* A fall of log L steeper than this share of the peak is not followed (no-nickel cooling ends in an
 * ever-steeper fall towards 0: its "end of the dome" is where L is 1e-3 of the peak at the latest). */
#define SNF_FALL_FLOOR_DEX 3.0
/* A drop of log L at a mode change (floor, front end) counts as a fall over this many days. */
#define SNF_JUMP_DAYS 1e-3

void snf_track_init(snf_derive_track *tr, double t_lo, double t_hi);
/* One sample (t, log10 L) later than every earlier one. */
void snf_track_sample(snf_derive_track *tr, double t, double lg);
/* log10 L changes from lg_before to lg_after at t (a mode change): a drop counts as a steep fall. */
void snf_track_jump(snf_derive_track *tr, double t, double lg_before, double lg_after);

#endif
