/* feii.c: the Fe II 5169 line velocity, the velocity observers measure from the line's absorption, from the
 * Sobolev optical depth of the line in each cell with LTE level populations (beyond SNEC, which has none).
 *
 * The line: Fe II 5169.03 A (air), a6S_5/2 - z6P_7/2 (multiplet 42), lower level E_l = 2.891 eV (g_l = 6),
 * log gf = -0.87 (NIST ASD, from Fuhr & Wiese 2006, J. Phys. Chem. Ref. Data 35, 1669, accuracy class D,
 * i.e. +-50%: A_ul = 4.2e6 s^-1 with g_u = 8 gives gf = 1.499e-16 g_u A_ul lambda[A]^2 = 0.135; Kurucz's gfall
 * has the same -0.870). Recalled from those line lists, not re-read in this session: a factor of 2 in gf
 * moves the tau = 1 point by a small fraction of a cell in these steep density profiles (rho ~ r^-n, n >~ 8).
 *
 * Populations (LTE at the cell's T):
 * - ionisation: Saha for Fe I/II/III/IV (potentials 7.9024, 16.1988, 30.651 eV, NIST) with the free electron
 *   density of H and He Saha plus one electron from every metal nucleus (Fe, Mg, Si, Ca, Na ionise below 8 eV;
 *   the hydro EOS counts the metals as fully ionised, SNEC's choice for the pressure, which would put ~Z/2
 *   electrons per nucleon in gas where H has recombined and push Fe to Fe III artificially);
 * - partition functions: truncated sums over the lowest LS terms (term centroid energies and g = (2S+1)(2L+1)
 *   from NIST's level tables, the terms below ~3.2 eV): U(Fe II) = 44.0 at 5040 K and 63 at 10^4 K, within
 *   ~5% of Irwin's (1981) fits over 4000-12000 K; levels above ~3.5 eV are left out (they matter above
 *   ~15000 K, where Fe II is negligible anyway);
 * - the lower level by Boltzmann: n_l = n(Fe II) g_l exp(-E_l / kT) / U(Fe II), with the stimulated-emission
 *   factor 1 - exp(-h nu / kT).
 * Fe abundance: the species with Z = 26 of the composition profile plus the 56Fe made by 56Ni decay so far;
 * when the profile has no Z = 26 species, the solar mass fraction 1.29e-3 (Asplund et al. 2009: log eps = 7.50,
 * X = 0.7381) everywhere.
 * Sobolev optical depth of homologous flow (dv/dr = 1/t): tau = (pi e^2 / (m_e c)) f lambda n_l t (1 - e^-hnu/kT).
 * Reported velocity: where tau crosses 1 going inward from the surface, above the photosphere (log tau
 * interpolated between cell centres). Observers measure the absorption minimum, which lies where the line
 * turns optically thick over the photospheric disc: the outermost tau = 1 point is that place in the Sobolev
 * picture (the absorption saturates inside it); it is NaN when no cell above the photosphere reaches tau = 1. */
#include "internal.h"

#include <math.h>

#define FE_CHI1 7.9024  /* eV: Fe I -> II */
#define FE_CHI2 16.1988 /* Fe II -> III */
#define FE_CHI3 30.651  /* Fe III -> IV */
#define FEII_EL 2.891   /* eV, a6S_5/2 */
#define FEII_GF 0.1349  /* 10^-0.87 */
#define FEII_LAMBDA 5169.03e-8 /* cm */
#define SOBOLEV_CONST 0.026540 /* pi e^2 / (m_e c) [cm^2 s^-1] */
#define FE_SOLAR 1.29e-3
#define A_FE 55.845

typedef struct term {
    double E; /* eV, centroid */
    double g;
} term;

static const term FE1[] = {{0.05, 25}, {0.91, 35}, {1.51, 21}, {2.20, 15}, {2.42, 35}, {2.45, 9}, {2.60, 33}};
static const term FE2[] = {{0.05, 30}, {0.27, 28}, {1.04, 20}, {1.70, 12}, {2.00, 18}, {2.29, 6},
                           {2.55, 22}, {2.62, 44}, {2.70, 10}, {2.80, 12}, {2.89, 6},  {3.20, 28}};
static const term FE3[] = {{0.05, 25}, {2.45, 9}, {2.55, 33}, {2.70, 21}, {3.00, 27}};
static const term FE4[] = {{0.0, 6}, {4.10, 36}};

double snf_rhd_fe_partition(int stage, double T)
{
    static const term *const tab[4] = {FE1, FE2, FE3, FE4};
    static const int n[4] = {sizeof FE1 / sizeof FE1[0], sizeof FE2 / sizeof FE2[0], sizeof FE3 / sizeof FE3[0],
                             sizeof FE4 / sizeof FE4[0]};
    if (stage < 0 || stage > 3) {
        return NAN;
    }
    double kT = SNF_RHD_KBOLTZ * T / SNF_RHD_EV, U = 0.0;
    for (int k = 0; k < n[stage]; k++) {
        U += tab[stage][k].g * exp(-tab[stage][k].E / kT);
    }
    return U;
}

void snf_rhd_fe_saha(double T, double n_e, double frac[4])
{
    static const double chi[3] = {FE_CHI1, FE_CHI2, FE_CHI3};
    /* (2 pi m_e k T / h^2)^(3/2) */
    double c = pow(2.0 * 3.14159265358979323846 * SNF_RHD_MELECTRON * SNF_RHD_KBOLTZ * T /
                       (SNF_RHD_HPLANCK * SNF_RHD_HPLANCK), 1.5);
    double kT = SNF_RHD_KBOLTZ * T / SNF_RHD_EV;
    /* ln of n_{k+1} / n_k, then normalised from the largest stage to avoid overflow */
    double ln[4] = {0.0, 0.0, 0.0, 0.0}, mx = 0.0;
    for (int k = 0; k < 3; k++) {
        ln[k + 1] = ln[k] + log(2.0 * c / n_e * snf_rhd_fe_partition(k + 1, T) / snf_rhd_fe_partition(k, T)) -
                    chi[k] / kT;
        mx = fmax(mx, ln[k + 1]);
    }
    double sum = 0.0;
    for (int k = 0; k < 4; k++) {
        frac[k] = exp(ln[k] - mx);
        sum += frac[k];
    }
    for (int k = 0; k < 4; k++) {
        frac[k] /= sum;
    }
}

double snf_rhd_feii_tau(double rho, double T, double n_e, double x_fe, double t)
{
    if (!(rho > 0) || !(T > 0) || !(n_e > 0) || !(x_fe > 0) || !(t > 0)) {
        return 0.0;
    }
    double f[4];
    snf_rhd_fe_saha(T, n_e, f);
    double kT = SNF_RHD_KBOLTZ * T;
    double n_fe2 = f[1] * x_fe * rho / (A_FE * SNF_RHD_MPROTON);
    double gfn = FEII_GF * n_fe2 * exp(-FEII_EL * SNF_RHD_EV / kT) / snf_rhd_fe_partition(1, T); /* g_l f n_l / g_l */
    double stim = 1.0 - exp(-SNF_RHD_HPLANCK * SNF_RHD_CLIGHT / (FEII_LAMBDA * kT));
    return SOBOLEV_CONST * FEII_LAMBDA * t * gfn * stim;
}

/* Free electrons per cm^3 for the line: H and He by Saha, one electron from each metal nucleus. */
static double line_electrons(const snf_rhd_mix *mix, double rho, double T)
{
    snf_rhd_mix m = *mix;
    m.ne_metal = fmax(0.0, mix->n_ion - mix->X / SNF_RHD_MPROTON - mix->Y / (4.0 * SNF_RHD_MPROTON));
    snf_rhd_ion ion;
    snf_rhd_saha(&ion, &m, rho, T);
    return ion.ne * rho;
}

double snf_rhd_feii_velocity(const snf_rhd_state *s, int iph, double *tau)
{
    int N = s->N;
    double fe_made = snf_rhd_decay_fe_fraction(s->t);
    int c0 = iph > 0 ? iph : 0;
    for (int c = c0; c < N - 1; c++) {
        double xfe = s->xfe[c] < 0 ? FE_SOLAR : s->xfe[c] + s->xni[c] * fe_made;
        tau[c] = snf_rhd_feii_tau(s->rho[c], s->T[c], line_electrons(&s->mix[c], s->rho[c], s->T[c]), xfe, s->t);
    }
    for (int c = N - 2; c >= c0; c--) {
        if (tau[c] >= 1.0) {
            double vc = 0.5 * (s->v[c] + s->v[c + 1]);
            if (c == N - 2) {
                return vc; /* thick up to the surface */
            }
            double vo = 0.5 * (s->v[c + 1] + s->v[c + 2]);
            double lo = log(tau[c]), hi = tau[c + 1] > 0 ? log(tau[c + 1]) : lo - 50.0;
            double w = lo > hi ? lo / (lo - hi) : 0.0; /* log tau = 0 between c and c + 1 */
            return vc + w * (vo - vc);
        }
    }
    return NAN;
}
