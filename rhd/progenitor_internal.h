/* progenitor_internal.h (not installed): constants, compositions and the EOS shared by the files of the
 * progenitor builder (progenitor.c, progenitor_eos.c, progenitor_table.c). */
#ifndef SNFORGE_RHD_PROGENITOR_INTERNAL_H
#define SNFORGE_RHD_PROGENITOR_INTERNAL_H

#include "snforge/rhd.h"

/* cgs; the reference script's values (progenitor.h) */
#define SNF_PROG_G 6.6743e-8
#define SNF_PROG_MSUN 1.989e33
#define SNF_PROG_LSUN 3.828e33
#define SNF_PROG_KB 1.380649e-16
#define SNF_PROG_AMU 1.66053907e-24
#define SNF_PROG_ME 9.1093837e-28
#define SNF_PROG_H 6.62607015e-27
#define SNF_PROG_ARAD 7.5657e-15
#define SNF_PROG_SIGMA 5.670374e-5
#define SNF_PROG_EV 1.602176634e-12
#define SNF_PROG_CHI_H (13.59844 * SNF_PROG_EV)
#define SNF_PROG_CHI_HE1 (24.58741 * SNF_PROG_EV)
#define SNF_PROG_CHI_HE2 (54.41778 * SNF_PROG_EV)

#define SNF_PROG_NISO 15 /* SNEC's network: n, H1, He4, C12, O16, Ne20, Mg24, Si28, S32, Ar36, Ca40, Ti44, Cr48, Fe52, Ni56 */
extern const double snf_prog_iso_A[SNF_PROG_NISO];
extern const double snf_prog_iso_Z[SNF_PROG_NISO];

/* Layers, innermost first (the order of the tabulation). */
enum { SNF_PROG_CO = 0, SNF_PROG_HE = 1, SNF_PROG_ENV = 2 };

/* Mass fractions of a layer (envelope: X_env, Y = 1 - X - Z, Z_env spread over the metals). */
void snf_prog_composition(int layer, double X_env, double Z_env, double x[SNF_PROG_NISO]);
/* Mean molecular weight of the fully ionised mixture (neutrons count as ions). */
double snf_prog_mu(const double x[SNF_PROG_NISO]);
/* Root of f on [lo, hi] to an interval of tol (GSL's Brent); NaN when f does not change sign there. */
double snf_prog_brent(double (*f)(double, void *), void *ctx, double lo, double hi, double tol);
/* Pressure of ions + electrons (Saha) + radiation at (rho, T). */
double snf_prog_pressure(double rho, double T, const double x[SNF_PROG_NISO]);

#endif
