/* eos.c: the equation of state of the radiation-hydrodynamics code: ions and free electrons as ideal gases,
 * black-body radiation, and the Saha ionisation of H and He (other elements fully ionised), with the
 * temperature derivatives at constant density that the implicit energy solve needs. */
#include "snforge/rhd.h"

#include <math.h>

/* ---- Saha equations ---- */

#define CHI_H (13.598 * SNF_RHD_EV)
#define CHI_HE1 (24.587 * SNF_RHD_EV)
#define CHI_HE2 (54.418 * SNF_RHD_EV)

/* 2 (2 pi m_e k / h^2)^{3/2}: the factor of g_{i+1}/g_i T^{3/2} exp(-chi/kT) in n_{i+1} n_e / n_i. */
static double saha_coeff(void)
{
    const double pi = 3.14159265358979323846;
    return 2.0 * pow(2.0 * pi * SNF_RHD_MELECTRON * SNF_RHD_KBOLTZ / (SNF_RHD_HPLANCK * SNF_RHD_HPLANCK), 1.5);
}

typedef struct saha_state {
    double NH, NHe, Nm;  /* H and He nuclei, metal electrons per cm^3 */
    double fH, f1, f2;   /* Saha right-hand sides per cm^3 */
    double Ne;           /* free electrons per cm^3 */
    double a, b1, b2, D; /* fH/Ne, f1/Ne, f1 f2/Ne^2, 1 + b1 + b2 */
} saha_state;

static void saha_set(saha_state *s, double Ne)
{
    s->Ne = Ne;
    s->a = s->fH / Ne;
    s->b1 = s->f1 / Ne;
    s->b2 = s->b1 * (s->f2 / Ne);
    s->D = 1.0 + s->b1 + s->b2;
}

/* g(Ne) = Ne - electrons(Ne) (increasing in Ne) and Ne dg/dNe. */
static double saha_g(const saha_state *s, double *dg_dlnNe)
{
    double xH = s->a / (1.0 + s->a);
    double S = (s->b1 + 2.0 * s->b2) / s->D;
    double g = s->Ne - s->Nm - s->NH * xH - s->NHe * S;
    double dxH = -s->a / ((1.0 + s->a) * (1.0 + s->a));                          /* Ne dxH/dNe */
    double dS = (-(s->b1 + 4.0 * s->b2) * s->D + (s->b1 + 2.0 * s->b2) * (s->b1 + 2.0 * s->b2)) /
                (s->D * s->D);                                                   /* Ne dS/dNe */
    *dg_dlnNe = s->Ne - s->NH * dxH - s->NHe * dS;
    return g;
}

/* guess: free electrons per cm^3 to start from (<= 0: none). */
static void saha_solve(saha_state *s, const snf_rhd_mix *mix, double rho, double T, double guess)
{
    double kT = SNF_RHD_KBOLTZ * T;
    double c = saha_coeff() * T * sqrt(T);
    s->NH = rho * mix->X / SNF_RHD_MPROTON;
    s->NHe = rho * mix->Y / (4.0 * SNF_RHD_MPROTON);
    s->Nm = rho * mix->ne_metal;
    s->fH = 0.5 * c * exp(-CHI_H / kT);
    s->f1 = 2.0 * c * exp(-CHI_HE1 / kT);
    s->f2 = 0.5 * c * exp(-CHI_HE2 / kT);
    double hi = s->Nm + s->NH + 2.0 * s->NHe;
    double lo = s->Nm > 0 ? s->Nm : 1e-300;
    if (hi <= 0) {
        saha_set(s, 1e-300);
        return;
    }
    double d;
    saha_set(s, lo);
    if (saha_g(s, &d) >= 0) {
        return;
    }
    /* Newton in ln Ne, kept inside the bracket [lo, hi] by bisection (in ln Ne). */
    double ulo = log(lo), uhi = log(hi), u = uhi;
    if (guess > lo && guess < hi) {
        u = log(guess);
    }
    saha_set(s, exp(u));
    for (int it = 0; it < 200; it++) {
        double g = saha_g(s, &d);
        if (fabs(g) <= 1e-14 * s->Ne) { /* converged (a good starting point often is) */
            return;
        }
        if (g > 0) {
            uhi = u;
        } else {
            ulo = u;
        }
        double un = (d > 0) ? u - g / d : 0.5 * (ulo + uhi);
        if (!(un > ulo && un < uhi)) {
            un = 0.5 * (ulo + uhi);
        }
        if (fabs(un - u) < 1e-13 || uhi - ulo < 1e-13) {
            saha_set(s, exp(un));
            return;
        }
        u = un;
        saha_set(s, exp(u));
    }
}

void snf_rhd_saha(snf_rhd_ion *out, const snf_rhd_mix *mix, double rho, double T)
{
    saha_state s;
    saha_solve(&s, mix, rho, T, 0.0);
    out->xH1 = s.a / (1.0 + s.a);
    out->xHe1 = s.b1 / s.D;
    out->xHe2 = s.b2 / s.D;
    out->ne = s.Ne / rho;
}

/* ---- the EOS ---- */

void snf_rhd_eos(snf_rhd_thermo *out, snf_rhd_ion *ion, const snf_rhd_mix *mix, double rho, double T)
{
    saha_state s;
    saha_solve(&s, mix, rho, T, ion && ion->ne > 0 ? ion->ne * rho : 0.0);
    double k = SNF_RHD_KBOLTZ, kT = k * T;
    double xH = s.a / (1.0 + s.a), y1 = s.b1 / s.D, y2 = s.b2 / s.D;
    double ne = s.Ne / rho, nH = mix->X / SNF_RHD_MPROTON, nHe = mix->Y / (4.0 * SNF_RHD_MPROTON);
    /* dNe/dT at constant rho from g(Ne, T) = 0 */
    double aH = 1.5 / T + CHI_H / (kT * T), a1 = 1.5 / T + CHI_HE1 / (kT * T), a2 = 1.5 / T + CHI_HE2 / (kT * T);
    double dg_dlnNe;
    (void)saha_g(&s, &dg_dlnNe);
    double dxH_T = s.a * aH / ((1.0 + s.a) * (1.0 + s.a));
    double db1 = s.b1 * a1, db2 = s.b2 * (a1 + a2), dD = db1 + db2;
    double dS_T = ((db1 + 2.0 * db2) * s.D - (s.b1 + 2.0 * s.b2) * dD) / (s.D * s.D);
    double dg_T = -(s.NH * dxH_T + s.NHe * dS_T);
    double dNe_T = dg_dlnNe > 0 ? -dg_T * s.Ne / dg_dlnNe : 0.0;
    double dlnNe = dNe_T / s.Ne;
    /* total derivatives of the fractions */
    double dxH = s.a * (aH - dlnNe) / ((1.0 + s.a) * (1.0 + s.a));
    double tb1 = s.b1 * (a1 - dlnNe), tb2 = s.b2 * (a1 + a2 - 2.0 * dlnNe), tD = tb1 + tb2;
    double dy1 = (tb1 * s.D - s.b1 * tD) / (s.D * s.D), dy2 = (tb2 * s.D - s.b2 * tD) / (s.D * s.D);
    double ntot = mix->n_ion + ne;
    double aT3 = SNF_RHD_ARAD * T * T * T, aT4 = aT3 * T;
    out->p = rho * kT * ntot + aT4 / 3.0;
    out->e = 1.5 * kT * ntot + aT4 / rho + nH * xH * CHI_H + nHe * (y1 * CHI_HE1 + y2 * (CHI_HE1 + CHI_HE2));
    out->dpdT = rho * k * ntot + kT * dNe_T + 4.0 * aT3 / 3.0;
    out->dedT = 1.5 * k * ntot + 1.5 * kT * dNe_T / rho + 4.0 * aT3 / rho + nH * CHI_H * dxH +
                nHe * (CHI_HE1 * dy1 + (CHI_HE1 + CHI_HE2) * dy2);
    /* Gamma_1 = chi_T^2 p / (c_V rho T) + chi_rho, with chi_rho taken as p_gas / p (ionisation ignored:
     * the sound speed only sets the time step). */
    double chiT = T * out->dpdT / out->p;
    double chirho = rho * kT * ntot / out->p;
    double g1 = chiT * chiT * out->p / (out->dedT * rho * T) + chirho;
    out->cs2 = g1 * out->p / rho;
    if (ion) {
        ion->xH1 = xH;
        ion->xHe1 = y1;
        ion->xHe2 = y2;
        ion->ne = ne;
    }
}

void snf_rhd_eos_ideal(snf_rhd_thermo *out, double gamma, double mu, double rho, double T)
{
    double R = SNF_RHD_KBOLTZ / (mu * SNF_RHD_MPROTON);
    out->p = R * rho * T;
    out->e = R * T / (gamma - 1.0);
    out->dpdT = R * rho;
    out->dedT = R / (gamma - 1.0);
    out->cs2 = gamma * R * T;
}
