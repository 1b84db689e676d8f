/* internal.h (not installed): the grid state of the radiation-hydrodynamics code and the steps that act
 * on it, shared by the files of rhd/ and the analytic tests.
 *
 * Staggered Lagrangian grid of N points (SNEC's imax): points i = 0..N-1 carry the mass coordinate m,
 * radius r and velocity v; cell c = 0..N-2 lies between points c and c+1 and carries rho, T, p, e, kappa,
 * the composition. Cell N-1 is a ghost (p = 0, T = 0) outside the star. lum[i] is the luminosity through
 * point i (lum[0] = 0 at the inner boundary, lum[N-1] = lum[N-2]). */
#ifndef SNFORGE_RHD_INTERNAL_H
#define SNFORGE_RHD_INTERNAL_H

#include "snforge/rhd.h"

typedef struct snf_rhd_state {
    int N;
    /* grid (fixed) */
    double *m, *dm, *cm, *dcm; /* point mass coordinate, cell mass, cell-centre mass, centre spacing */
    /* evolving */
    double *r, *v, *cr, *rho, *T, *p, *e, *cs2, *dpdT, *dedT;
    double *kap, *kap_tab, *kfloor, *lum, *lam, *ikap, *Q, *Qterm;
    double *heat;   /* external heating (bomb + decay) [erg/g/s] */
    double *dep;    /* gamma-ray deposition function (SNEC's Ni_deposit_function) */
    double *pos;    /* positron heating per unit decay rate (local Ni fraction x positron share) */
    snf_rhd_mix *mix;
    double *ne;     /* free electrons per gram (the Saha iterations' starting point) */
    double *XH, *xni, *ye, *Zmet;
    double *xfe;          /* Fe (Z = 26) mass fraction of the profile; < 0: the profile has none (solar used) */
    double *xc, *xo;      /* C and O excesses over the OPAL tables' solar mixture */
    const double **ktab; /* [N] the cell's composed opacity table (134 x 19), shared by equal compositions */
    double *ktab_store; /* H, 56Ni, electrons per nucleon mass, metallicity 1 - X - Y */
    /* previous step and Newton scratch */
    double *r_p, *v_p, *rho_p, *e_p, *p_p, *T_p, *cr_p, *lum_p;
    double *A, *B, *C, *D, *Tt, *lt, *dLa, *dLb; /* dLa/dLb: dlum[i]/dT[i], dlum[i]/dT[i-1] */
    double t, dt, dt_p;
    /* switches */
    int ideal;           /* 1: ideal gas (gamma, mu) for the analytic tests; 2: the same plus radiation */
    int frozen;          /* 1: the medium does not move (radiation-diffusion tests) */
    double gamma, mu;
    int radiation, gravity;
    int inner_fixed;     /* v[0] held (0, or the piston's velocity) */
    double v_inner;
    double theta;        /* time centring of the diffusion term (0.5: Crank-Nicolson) */
    double newton_tol;   /* max |dT/T| at convergence */
    const snf_rhd_opal *opal;
    /* bookkeeping */
    double e_in;   /* energy deposited by heating so far [erg] */
    double e_out;  /* energy radiated through the surface so far [erg] */
    int fail_zone; /* 0-based cell of the last failure */
    long newton_its; /* temperature iterations so far */
} snf_rhd_state;

int snf_rhd_state_alloc(snf_rhd_state *s, int N);
void snf_rhd_state_free(snf_rhd_state *s);

/* The initial model on a new grid of par->imax points (allocates s; freed on failure). */
int snf_rhd_setup(snf_rhd_state *s, const snf_rhd_params *par, const snf_rhd_profile *pr, const double *pat,
                  int npat);

/* Cell-centre masses, spacings and the ghost cell from m[] and dm[] (set by the caller). */
void snf_rhd_grid_finish(snf_rhd_state *s);
/* r[1..N-1] from r[0], dm and rho (hydrostatic start), then cr. */
void snf_rhd_radii_from_density(snf_rhd_state *s);
/* EOS on every cell from (rho, T): p, e, cs2, dpdT, dedT. */
void snf_rhd_eos_all(snf_rhd_state *s);
/* Composes the opacity table of every composition on the grid (s->opal set). 0, or -1 out of memory. */
int snf_rhd_opacity_prepare(snf_rhd_state *s);
/* Opacities of every cell (copy of the inner neighbour off the tables, then the floors). */
void snf_rhd_opacity_all(snf_rhd_state *s);
/* Luminosity through every point from T[] (flux limited); lam, ikap, dLa, dLb filled. */
void snf_rhd_luminosity(snf_rhd_state *s, const double *T, double *lum);
/* The CFL time step (SNEC's rule: 0.95 of the shortest sound crossing, growth <= 2.5%, [dtmin, dtmax]). */
double snf_rhd_timestep(const snf_rhd_state *s, double dtmin, double dtmax);
/* One time step of length s->dt: velocities, radii, densities, viscosity, then the implicit energy and
 * diffusion solve. Returns 0, or -1 (state undefined: the caller restores it) with s->fail_zone set and
 * the cause written into why[nwhy]. */
int snf_rhd_step(snf_rhd_state *s, char *why, size_t nwhy);
/* Total energy: gravitational + internal + kinetic [erg] (SNEC's conservation sums). */
double snf_rhd_energy(const snf_rhd_state *s);
/* Saves / restores the evolving arrays (for retrying a failed step with a shorter time step). */
void snf_rhd_state_save(snf_rhd_state *s, double *buf);
void snf_rhd_state_restore(snf_rhd_state *s, const double *buf);
size_t snf_rhd_state_save_size(const snf_rhd_state *s);

/* Gamma-ray deposition function at every point (grey transport, kappa_gamma = 0.06 Ye cm^2/g, rays from
 * the Ni region), SNEC's Ni_deposit_function; 0 if there is no Ni. */
void snf_rhd_gamma_deposition(snf_rhd_state *s);

/* 56Fe nuclei made by time t per initial 56Ni nucleus (Bateman). */
double snf_rhd_decay_fe_fraction(double t);

/* ---- Fe II 5169 (feii.c) ---- */
/* Partition function of Fe I (stage 0) ... Fe IV (3) at T: truncated sum over the lowest terms. */
double snf_rhd_fe_partition(int stage, double T);
/* LTE fractions of Fe I ... Fe IV at T and free electron density n_e [cm^-3] (Saha). */
void snf_rhd_fe_saha(double T, double n_e, double frac[4]);
/* Sobolev optical depth of Fe II 5169 in homologous flow at time t [s] in gas of density rho, temperature T,
 * free electrons n_e [cm^-3] and Fe mass fraction x_fe (0 when any is not positive). */
double snf_rhd_feii_tau(double rho, double T, double n_e, double x_fe, double t);
/* P-Cygni profile of a line above a sharp photosphere in homologous flow, Sobolev approximation (feii.c):
 * x[n] velocities in units of v_ph (rising), tau[n] the Sobolev optical depth there (log-linear between the
 * points, tau[0] below x[0], none above x[n-1]); scatter = 1 adds resonance scattering with the dilution
 * factor, 0 is pure absorption. Returns the blueshift of the flux minimum in units of v_ph, or NaN when the
 * trough is shallower than SNF_RHD_PCYGNI_MIN_DEPTH of the continuum (no line), or on bad input. When w and
 * F are given, fills the flux F[j] / continuum at the nbins (8 ... 1024) blue-side bins w[j]; *depth (if
 * given) = 1 - F at the minimum. */
#define SNF_RHD_PCYGNI_BINS 128
#define SNF_RHD_PCYGNI_MIN_DEPTH 0.01
double snf_rhd_pcygni(const double *x, const double *tau, int n, int scatter, int nbins, double *w, double *F,
                      double *depth);
/* Fe II 5169 velocity over v_ph: the absorption minimum of the line's P-Cygni profile (snf_rhd_pcygni with
 * scattering) from the LTE Sobolev tau of the cells from the photosphere's (iph - 1) out, with vph the
 * photosphere's velocity [cm/s]; >= 1, or NaN when there is no line. tau[N] and x[N] are scratch. */
double snf_rhd_feii_minimum(const snf_rhd_state *s, int iph, double vph, double *tau, double *x);

/* Boxcar smoothing of mass fractions comp[N * nc] over 0.4 Msun, four passes (SNEC's). */
void snf_rhd_boxcar(double *comp, int nc, const double *dm, int N);

#endif
