/* rhd/progenitor.h: toy blue-supergiant progenitors for the radiation-hydrodynamics code (profiles as files:
 * grids/import.h, snf_profile_*).
 *
 * The builder (rhd/progenitor*.c, no files) makes the composite polytrope of ../shared/hydro/snec: a
 * hydrostatic star of mass M_tot and radius R0 in three nested layers (H-rich envelope above M_He, He layer
 * above M_CO, C/O core above a central point mass m_in), each P = K rho^(1 + 1/n), integrated inward from
 * the polytropic surface in the specific enthalpy h = (n + 1) K rho^(1/n) (dh/dr = -G m / r^2). The
 * envelope's K puts the H/He interface at R_He; P is continuous at the interfaces and the density jumps by
 * the ratio of the fully ionised mean molecular weights (C/O on He) or by the factor that places m_in at
 * r_in (He on H); the surface is where T falls to T_eff(L_star, R0), the polytrope's own surface radius
 * iterated until that point is R0 (to 1e-4). T from P and rho: ideal ions and electrons (Saha ionisation of
 * H and He, metals fully ionised) plus radiation. With the defaults it reproduces the profiles of
 * ../shared/hydro/tools/make_bsg_profile.py (the method, its sampling and its constants).
 *
 * Structure knobs beyond that reference (defaults reproduce it): the envelope's polytropic index, the He
 * core's share of the mass, a smooth H/He interface of mass width w (the envelope polytrope ends, and the
 * density jumps, at M_He + w/2, placed at R_He; the composition turns from the envelope's to the He
 * layer's with a cosine step over [M_He - w/2, M_He + w/2] inside the He polytrope, so the structure stays
 * exactly hydrostatic and T follows the local composition), the envelope's H and metal mass fractions.
 * Every parameter has a checked range (snf_prog_check, the table snf_prog_knobs).
 *
 * The result is the in-memory profile the hydro code consumes (snf_rhd_profile: 15 species of SNEC's
 * network, velocity zero), so a campaign can go builder -> snf_rhd_run without files. */
#ifndef SNFORGE_RHD_PROGENITOR_H
#define SNFORGE_RHD_PROGENITOR_H

#include "snforge/export.h"
#include "snforge/rhd/hydro.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct snf_prog_params {
    double M_tot;      /* total mass [Msun] */
    double R0;         /* radius (where T = T_eff) [cm] */
    double M_He;       /* H/He interface [Msun]; NaN: he_frac, or clip(0.35 M_tot, 3, 8) */
    double M_CO;       /* He/CO interface [Msun]; NaN: max(0.55 M_He, m_in + 0.5) */
    double R_He;       /* radius of the H/He interface [cm] */
    double m_in;       /* central point mass [Msun] (inside SNEC's excised region) */
    double r_in;       /* radius of m_in [cm] (sets the density jump at H/He); 0: jump mu_He / mu_env */
    double L_star;     /* luminosity that sets T_surf [Lsun] */
    double n_env;      /* envelope polytropic index */
    double he_frac;    /* M_He / M_tot; NaN: the default rule (M_He given or clipped 0.35 M_tot) */
    double hhe_width;  /* mass width of the H/He transition [Msun]; 0: sharp */
    double X_env;      /* envelope hydrogen mass fraction */
    double Z_env;      /* envelope metal mass fraction (He is 1 - X - Z) */
} snf_prog_params;

/* One parameter's command-line name, range and meaning (for checks, usage text and documentation). */
typedef struct snf_prog_knob {
    const char *option; /* "--n-env" */
    size_t offset;      /* offsetof(snf_prog_params, ...) */
    double lo, hi;      /* closed range */
    const char *what;   /* one line: meaning and unit */
} snf_prog_knob;

/* The table of parameters (count in *n). */
SNF_API const snf_prog_knob *snf_prog_knobs(int *n);

/* The reference's defaults (M_tot and R0 NaN: required). */
SNF_API snf_prog_params snf_prog_default(void);

/* Every parameter inside its range and the derived layer masses consistent (m_in + 0.5 <= M_CO < M_He - w/2,
 * M_He + w/2 < M_tot - 0.5): SNF_OK, or SNF_EINVAL "--NAME = V: outside [LO, HI] (what)" or the derived
 * quantity that fails and the parameter to change. */
SNF_API int snf_prog_check(const snf_prog_params *p);

/* What the construction found. */
typedef struct snf_prog_info {
    double R_s;        /* polytropic surface radius [cm] */
    double K_env;      /* envelope polytropic constant (cgs) */
    double f_jump;     /* density jump at H/He (rho_He / rho_env; NaN when r_in = 0) */
    double M_He, M_CO; /* layer masses used [Msun] */
    double R0;         /* outer radius of the profile [cm] */
    double M;          /* mass of the profile's outer zone [g] */
    double T_surf;     /* surface temperature [K] */
    int iterations;    /* surface iterations */
} snf_prog_info;

/* Builds the profile (allocates out's arrays: snf_rhd_profile_free). info may be NULL. SNF_EINVAL for
 * parameters snf_prog_check refuses; SNF_ENONFINITE "..." when the structure cannot be made (a layer that
 * never reaches its mass, no root for K or the jump); SNF_ECVODE, SNF_ENOMEM. */
SNF_API int snf_prog_build(const snf_prog_params *p, snf_rhd_profile *out, snf_prog_info *info);

/* Temperature [K] from pressure, density and the 15 mass fractions of SNEC's network (the builder's EOS:
 * ideal ions + electrons with Saha H/He ionisation + radiation; 1 K when even 1 K gives too much pressure). */
SNF_API double snf_prog_temperature(double P, double rho, const double x[15]);

/* Largest |dP/dm / (-G m / (4 pi r^4)) - 1| between neighbouring zones of equal composition of a profile,
 * with P from the builder's EOS, over the zones with mass coordinate in [m_lo, m_hi] (g); the median in
 * *median, the 0-based zone where the largest starts in *where (either may be NULL). For tests. */
SNF_API double snf_prog_hse_residual(const snf_rhd_profile *p, double m_lo, double m_hi, double *median, int *where);

#ifdef __cplusplus
}
#endif

#endif
