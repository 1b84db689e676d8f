/* progenitor_eos.c: the progenitor builder's compositions and equation of state (T from P and rho).
 * Its own constants (CODATA 2018 and the reference script's solar values), not rhd.h's SNEC values: the
 * profiles it makes are defined by them (kB alone differs by 1e-5 between the two sets). Electrons from
 * the Saha equations of H and He with the metals fully ionised (above 3e6 K everything is ionised), ions
 * counted per atomic mass unit with neutrons as ions, radiation a T^4 / 3. */
#include "rhd/progenitor_internal.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>

const double snf_prog_iso_A[SNF_PROG_NISO] = {1, 1, 4, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56};
const double snf_prog_iso_Z[SNF_PROG_NISO] = {0, 1, 2, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28};

/* Metals by mass within Z (species index, share): C, O (with N), Ne, Mg, Si, S, Ar, Ca, Fe group. */
static const int metal_idx[] = {3, 4, 5, 6, 7, 8, 9, 10, 13};
static const double metal_share[] = {0.18, 0.50, 0.12, 0.05, 0.06, 0.03, 0.01, 0.01, 0.04};

void snf_prog_composition(int layer, double X_env, double Z_env, double x[SNF_PROG_NISO])
{
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        x[k] = 0.0;
    }
    double z;
    if (layer == SNF_PROG_CO) {
        x[2] = 0.05, x[3] = 0.25, x[4] = 0.62, x[5] = 0.05, x[6] = 0.02, x[7] = 0.01;
        return;
    }
    if (layer == SNF_PROG_ENV) {
        x[1] = X_env;
        x[2] = 1.0 - X_env - Z_env;
        z = Z_env;
    } else {
        x[2] = 0.98;
        z = 0.02;
    }
    for (size_t j = 0; j < sizeof metal_idx / sizeof metal_idx[0]; j++) {
        x[metal_idx[j]] += z * metal_share[j];
    }
    double s = 0.0;
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        s += x[k];
    }
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        x[k] /= s;
    }
}

double snf_prog_mu(const double x[SNF_PROG_NISO])
{
    double s = 0.0;
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        s += x[k] * (snf_prog_iso_Z[k] + 1.0) / snf_prog_iso_A[k];
    }
    return 1.0 / s;
}

/* ---- Brent's method (GSL) ---- */

double snf_prog_brent(double (*f)(double, void *), void *ctx, double lo, double hi, double tol)
{
    double flo = f(lo, ctx), fhi = f(hi, ctx);
    if (!isfinite(flo) || !isfinite(fhi) || (flo < 0 && fhi < 0) || (flo > 0 && fhi > 0)) {
        return NAN; /* checked here: GSL would call its error handler */
    }
    gsl_function F = {f, ctx};
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    double x = NAN;
    if (!s) {
        return NAN;
    }
    /* off while it runs, as infer/ood.c does: a library call must never abort() (the program sets it off
     * for good at start) */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    if (gsl_root_fsolver_set(s, &F, lo, hi) == GSL_SUCCESS) {
        for (int it = 0; it < 300; it++) {
            if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) {
                x = NAN;
                break;
            }
            x = gsl_root_fsolver_root(s);
            if (gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), tol, 0.0) ==
                GSL_SUCCESS) {
                break;
            }
        }
    }
    gsl_set_error_handler(old);
    gsl_root_fsolver_free(s);
    return x;
}

/* ---- Saha electrons ---- */

typedef struct saha_ctx {
    double nH, nHe, nm, sH, s1, s2;
} saha_ctx;

static double saha_f(double lne, void *v)
{
    const saha_ctx *c = v;
    double ne = exp(lne);
    double fH = c->sH / (ne + c->sH);
    double d = ne * ne + ne * c->s1 + c->s1 * c->s2;
    double fHe1 = ne * c->s1 / d, fHe2 = c->s1 * c->s2 / d;
    return ne - (c->nH * fH + c->nHe * (fHe1 + 2.0 * fHe2) + c->nm);
}

/* Free electrons per cm^3 at (rho, T). */
static double saha_ne(double rho, double T, const double *x)
{
    const double pi = 3.14159265358979323846;
    double zel = 0.0;
    for (int k = 3; k < SNF_PROG_NISO; k++) {
        zel += x[k] * snf_prog_iso_Z[k] / snf_prog_iso_A[k];
    }
    saha_ctx c;
    c.nH = rho * x[1] / SNF_PROG_AMU;
    c.nHe = rho * x[2] / (4.0 * SNF_PROG_AMU);
    c.nm = rho * zel / SNF_PROG_AMU;
    double kT = SNF_PROG_KB * T;
    double lam = pow(2.0 * pi * SNF_PROG_ME * kT / (SNF_PROG_H * SNF_PROG_H), 1.5);
    c.sH = lam * exp(-SNF_PROG_CHI_H / kT);
    c.s1 = 4.0 * lam * exp(-SNF_PROG_CHI_HE1 / kT);
    c.s2 = lam * exp(-SNF_PROG_CHI_HE2 / kT);
    double nmax = c.nH + 2.0 * c.nHe + c.nm;
    double lo = log(fmax(nmax * 1e-14, 1e-30)), hi = log(nmax * 1.0000001 + 1e-30);
    if (saha_f(hi, &c) <= 0) {
        return nmax;
    }
    if (saha_f(lo, &c) >= 0) {
        return exp(lo);
    }
    return exp(snf_prog_brent(saha_f, &c, lo, hi, 1e-14));
}

double snf_prog_pressure(double rho, double T, const double x[SNF_PROG_NISO])
{
    double nion = 0.0, ne_full = 0.0;
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        nion += x[k] / snf_prog_iso_A[k];
        ne_full += x[k] * snf_prog_iso_Z[k] / snf_prog_iso_A[k];
    }
    nion *= rho / SNF_PROG_AMU;
    double ne = T > 3e6 ? rho / SNF_PROG_AMU * ne_full : saha_ne(rho, T, x);
    return (nion + ne) * SNF_PROG_KB * T + SNF_PROG_ARAD * T * T * T * T / 3.0;
}

typedef struct temp_ctx {
    double lP, rho;
    const double *x;
} temp_ctx;

static double temp_f(double lT, void *v)
{
    const temp_ctx *c = v;
    return log(snf_prog_pressure(c->rho, exp(lT), c->x)) - c->lP;
}

double snf_prog_temperature(double P, double rho, const double x[SNF_PROG_NISO])
{
    temp_ctx c = {log(P), rho, x};
    double lo = 0.0, hi = log(1e11);
    if (temp_f(lo, &c) >= 0) {
        return 1.0; /* far above the photosphere */
    }
    return exp(snf_prog_brent(temp_f, &c, lo, hi, 1e-14));
}
