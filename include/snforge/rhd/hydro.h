/* rhd/hydro.h: a 1D Lagrangian radiation-hydrodynamics light-curve code with SNEC 1.01's physics (Morozova et
 * al. 2015): staggered Lagrangian hydrodynamics with gravity and Richtmyer-von Neumann viscosity, equilibrium
 * flux-limited radiation diffusion solved implicitly (Crank-Nicolson in time, Newton iterations on the cell
 * temperatures with one tridiagonal solve each), an EOS of ions + electrons + radiation with Saha ionisation
 * of H and He, OPAL Rosseland opacities with envelope/core floors, 56Ni/56Co heating with grey gamma-ray
 * transport, a thermal bomb or a piston, boxcar smoothing of compositions, the inner boundary at the excised
 * mass. The physics takes arrays and structs; the readers (snf_rhd_read_*) are the only functions that open
 * files. Units are cgs throughout. Nothing prints; failures are statuses with snf_error_last() naming the
 * day, the zone and the cause. */
#ifndef SNFORGE_RHD_HYDRO_H
#define SNFORGE_RHD_HYDRO_H

#include "snforge/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants (cgs; the values SNEC 1.01 uses where it names one) ---- */
#define SNF_RHD_MSUN 1.98892e33
#define SNF_RHD_CLIGHT 2.99792458e10
#define SNF_RHD_GRAV 6.6742e-8
#define SNF_RHD_KBOLTZ 1.380662e-16
#define SNF_RHD_ARAD 7.5657e-15
#define SNF_RHD_MPROTON 1.67262178e-24
#define SNF_RHD_MELECTRON 9.1093897e-28
#define SNF_RHD_HPLANCK 6.626058e-27
#define SNF_RHD_SIGMA_SB 5.6704e-5
#define SNF_RHD_EV 1.602177e-12
#define SNF_RHD_DAY 86400.0

/* ---- equation of state ---- */

/* What the EOS needs of a cell's composition (mass fractions; "metals" are every other element, taken
 * fully ionised as SNEC does for the species beyond saha_ncomps). */
typedef struct snf_rhd_mix {
    double X;        /* hydrogen mass fraction */
    double Y;        /* helium-4 mass fraction */
    double n_ion;    /* nuclei per gram, all species (1 / (abar m_p)) */
    double ne_metal; /* electrons per gram from the fully ionised metals */
} snf_rhd_mix;

/* Ionisation state of H and He at (rho, T): fractions of H that is ionised, of He singly and doubly
 * ionised, and free electrons per gram. */
typedef struct snf_rhd_ion {
    double xH1, xHe1, xHe2; /* n(H+)/n(H), n(He+)/n(He), n(He++)/n(He) */
    double ne;              /* free electrons per gram */
} snf_rhd_ion;

/* Thermodynamic state at (rho, T). */
typedef struct snf_rhd_thermo {
    double p;    /* pressure [erg/cm^3] */
    double e;    /* specific internal energy [erg/g] (ions, electrons, radiation, H/He ionisation) */
    double dpdT; /* dp/dT at constant rho */
    double dedT; /* de/dT at constant rho */
    double cs2;  /* adiabatic sound speed squared [cm^2/s^2] */
} snf_rhd_thermo;

/* Solves the Saha equations of H (H0, H+) and He (He0, He+, He++) together with charge conservation.
 * Statistical-weight ratios 1/2 (H), 2 and 1/2 (He); potentials 13.598, 24.587, 54.418 eV. */
SNF_API void snf_rhd_saha(snf_rhd_ion *out, const snf_rhd_mix *mix, double rho, double T);

/* The EOS: ideal ions and electrons (counted by Saha), radiation (a T^4), ionisation energy of H and He.
 * ion may be NULL; if not, ion->ne > 0 on entry is where the Saha iterations start (electrons per gram: the
 * last value of the cell), and on return ion holds the ionisation state. */
SNF_API void snf_rhd_eos(snf_rhd_thermo *out, snf_rhd_ion *ion, const snf_rhd_mix *mix, double rho, double T);

/* An ideal gas of index gamma and mean molecular weight mu (no radiation), for the analytic tests. */
SNF_API void snf_rhd_eos_ideal(snf_rhd_thermo *out, double gamma, double mu, double rho, double T);

/* ---- OPAL Rosseland opacities ---- */

#define SNF_RHD_OPAL_NX 5   /* X = 0, 0.03, 0.1, 0.35, 0.7 (codataa ... codatae) */
#define SNF_RHD_OPAL_NTAB 60 /* tables per file at most (carbon and oxygen excesses dXc, dXo) */
#define SNF_RHD_OPAL_NT 134 /* log T rows, 2.70 ... 8.70 */
#define SNF_RHD_OPAL_NR 19  /* log R = log(rho / T6^3) columns, -8.0 ... 1.0 */
#define SNF_RHD_OPAL_Z 0.02 /* metallicity of the tables */

/* The OPAL Type 2 tables (Z = 0.02): for each X, tables at carbon and oxygen excesses (dXc, dXo) over the
 * solar mixture; NaN marks no value. About 6 MB: allocate it on the heap. */
typedef struct snf_rhd_opal {
    double X[SNF_RHD_OPAL_NX];
    int ntab[SNF_RHD_OPAL_NX];
    double dXc[SNF_RHD_OPAL_NX][SNF_RHD_OPAL_NTAB], dXo[SNF_RHD_OPAL_NX][SNF_RHD_OPAL_NTAB];
    double logT[SNF_RHD_OPAL_NT];
    double logR[SNF_RHD_OPAL_NR];
    double logk[SNF_RHD_OPAL_NX][SNF_RHD_OPAL_NTAB][SNF_RHD_OPAL_NT][SNF_RHD_OPAL_NR];
} snf_rhd_opal;

/* The tables around a composition and their weights (at most 8): linear in X between the two files around
 * it; in each file linear in u = log10(dXo + 0.021) between the two rows of equal dXo around the cell's,
 * and in each row linear in log10(dXc + 0.021) between the two tables around it (clamped at the row's
 * ends: the rows are cut by dXc + dXo <= 1 - X - Z). xc, xo: the C and O excesses over the tables' solar
 * mixture (X_C - 0.173285 Z, X_O - 0.482273 Z, at least 0). Returns the count; file[k], tab[k], w[k]. */
SNF_API int snf_rhd_opal_weights(const snf_rhd_opal *op, double X, double xc, double xo, int *file, int *tab, double *w);

/* log10 kappa of one composed table (log kappa at the 134 x 19 nodes, NaN = no value) at (log T, log R):
 * bicubic Hermite (slopes from neighbouring values, one-sided at the edge of the valid region). Returns 0,
 * or -1 (*logk untouched) when the point is off the tabulated region. */
SNF_API int snf_rhd_opal_table_logk(const snf_rhd_opal *op, const double *table, double logT, double logR, double *logk);

/* Composes the table of a composition (weights above) into table[134 * 19]; a node is NaN when any table
 * with weight > 0 lacks it. */
SNF_API void snf_rhd_opal_compose(const snf_rhd_opal *op, double X, double xc, double xo, double *table);

/* log10 kappa at (X, xc, xo, log T, log R): compose and interpolate (slow: for tests and single values). */
SNF_API int snf_rhd_opal_logk(const snf_rhd_opal *op, double X, double xc, double xo, double logT, double logR,
                      double *logk);

/* ---- run parameters (the keys of a SNEC 1.01 parameter file) ---- */

typedef enum { SNF_RHD_BOMB = 0, SNF_RHD_PISTON = 1 } snf_rhd_explosion;
typedef enum { SNF_RHD_GRID_FILE = 0, SNF_RHD_GRID_UNIFORM = 1 } snf_rhd_gridding;

typedef struct snf_rhd_params {
    snf_rhd_explosion initial_data;
    double piston_vel, piston_tstart, piston_tend;    /* cm/s, s, s */
    double final_energy;                              /* erg (bomb_mode 1: asymptotic total energy) */
    double bomb_tstart, bomb_tend, bomb_mass_spread;  /* s, s, Msun */
    int bomb_start_point;                             /* 1-based first cell of the bomb */
    int bomb_mode;                                    /* 1: final_energy is the total; 2: the bomb's */
    int imax;                                         /* grid points (cells + 1) */
    snf_rhd_gridding gridding;
    int mass_excision;
    double mass_excised;                              /* Msun */
    int radiation;                                    /* 1: radiation diffusion on */
    int Ni_switch;
    double Ni_mass, Ni_boundary_mass;                 /* Msun, Msun (mass coordinate) */
    double Ni_period;                                 /* s between gamma-ray deposition updates */
    int Ni_by_hand;                                   /* 1: uniform Ni below Ni_boundary_mass */
    int saha_ncomps;                                  /* only 3 (n, H, He) is supported */
    int boxcar_smoothing;
    double opacity_floor_envelope, opacity_floor_core; /* cm^2/g */
    double tend, dtmin, dtmax;                        /* s */
    double ntmax;                                     /* step limit */
    double positron_fraction; /* share of the Co decay energy carried by positrons, deposited locally
                                 (not a SNEC key; 0 reproduces SNEC) */
    double theta;             /* time centring of the implicit diffusion term: 0.5 (SNEC's Crank-Nicolson,
                                 the default) ... 1 (backward Euler); above 0.5 damps the ringing of stiff
                                 cells that Crank-Nicolson lets through at long steps (not a SNEC key) */
} snf_rhd_params;

/* SNEC's defaults where its parameter file leaves a key optional; the required keys are NaN/-1. */
SNF_API snf_rhd_params snf_rhd_params_default(void);

/* ---- progenitor profile (SNEC's .short and .iso.dat pair) ---- */

typedef struct snf_rhd_profile {
    int n;            /* zones of the structure file */
    double *mass;     /* [n] mass coordinate [g] */
    double *r;        /* [n] radius [cm] */
    double *T;        /* [n] temperature [K] */
    double *rho;      /* [n] density [g/cm^3] */
    double *v;        /* [n] velocity [cm/s] */
    int nc;           /* zones of the composition file */
    int ncomp;        /* species */
    double *A, *Z;    /* [ncomp] mass and charge numbers */
    double *cmass;    /* [nc] mass coordinate of the composition zones [g] */
    double *comp;     /* [nc * ncomp] mass fractions, zone-major */
} snf_rhd_profile;

SNF_API void snf_rhd_profile_free(snf_rhd_profile *p);

/* ---- the run ---- */

/* Daily outputs, one row a day from day 1 (times from the start of the run, as SNEC's). */
typedef struct snf_rhd_result {
    int ndays;
    double *t_d;    /* day */
    double *L;      /* SNEC's lum_observed: photospheric luminosity + decay power deposited above it [erg/s] */
    double *vph;    /* fluid velocity at the tau = 2/3 photosphere [cm/s] */
    double *vfe;    /* Fe II 5169 velocity: the absorption minimum of its Sobolev P-Cygni profile (LTE tau above
                       the photosphere, resonance scattering), >= vph [cm/s] (NaN: trough under 1% deep) */
    double *Teff;   /* effective temperature [K] */
    double *Rph;    /* photospheric radius [cm] */
    double *Ldep;   /* total deposited decay power [erg/s] */
    int *iph;       /* 0-based grid index of the photosphere */
    long steps;     /* time steps taken */
    long iterations; /* Newton iterations of the temperature solve, all steps */
    double e_err;   /* energy-conservation error at the end: |E(t) - E(0) - heating - piston work + radiated|
                       over the bomb's energy (the piston's work with a piston) */
    double e_bomb;  /* energy the bomb deposited [erg] */
} snf_rhd_result;

SNF_API void snf_rhd_result_free(snf_rhd_result *r);

/* The last day whose v_ph is a photospheric velocity: the first day the photosphere stands at its deepest
 * cell (iph's minimum) once it has moved back out after it (the tau = 2/3 point then recedes outward through
 * the ejecta and its fluid velocity is no photospheric velocity; SNEC's importer ends v_ph the same way).
 * A run that ends before the photosphere moves back out has not shown its deepest cell: ndays - 1. Used by
 * `snforge hydro -o OUT.h5` and hydro campaigns alike. -1 for no days. */
SNF_API int snf_rhd_vph_last_day(const snf_rhd_result *r);

/* Runs a model: the profile mapped on the grid (pattern[imax] from GridPattern.dat, or NULL for the
 * uniform gridding or when imax differs from the pattern's length, then it is resampled), the explosion,
 * and the evolution to tend. On failure (negative density, temperature solve or time step collapse,
 * opacity tables left) returns SNF_ENONFINITE / SNF_EINVAL with the day, zone and cause in
 * snf_error_last(); out then holds the days computed so far. */
SNF_API int snf_rhd_run(snf_rhd_result *out, const snf_rhd_params *par, const snf_rhd_profile *prof,
                const snf_rhd_opal *opal, const double *pattern, int npattern);

/* ---- pieces exposed for the tests (analytic problems) ---- */

/* Total decay power per gram of initial 56Ni at time t [erg/g/s] from the Bateman solution
 * (56Ni -> 56Co -> 56Fe, half-lives 6.075 d and 77.236 d; 3.9e10 and 6.78e9 erg/g/s per gram of Ni and
 * of Co), and in *co (if not NULL) the part of it from the Co decays. */
SNF_API double snf_rhd_decay_power(double t, double *co);

/* ---- readers (the only functions that open files) ---- */

/* A SNEC 1.01 parameter file: key = value lines, '#' comments. Paths in profile/comp are made relative to
 * the file's folder. An unknown key, a key SNEC reads that this code does not support (or a value it does
 * not support), a malformed value or a missing required key: SNF_EFORMAT "file:line: ...". */
SNF_API int snf_rhd_read_params(const char *path, snf_rhd_params *par, char *profile, char *comp, size_t n);

/* SNEC's profile pair: NAME.short (count; index mass radius T rho v) and NAME.iso.dat (zones ncomp; A row;
 * Z row; mass radius X_1 ... X_ncomp). SNF_EFORMAT "file:line: ..." on malformed input. */
SNF_API int snf_rhd_read_profile(const char *shortfile, const char *isofile, snf_rhd_profile *p);

/* The five OPAL files DIR/codataa ... DIR/codatae (first table of each). */
SNF_API int snf_rhd_read_opal(const char *dir, snf_rhd_opal *op);

/* A grid pattern (increasing numbers 0 ... 1, one a line) into a malloc'd array (*pattern, *n). */
SNF_API int snf_rhd_read_pattern(const char *path, double **pattern, int *n);

#ifdef __cplusplus
}
#endif

#endif
