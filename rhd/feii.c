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
 * Reported velocity: the blueshift of the absorption minimum of the line's P-Cygni profile, what observers
 * measure, from these tau in the Sobolev approximation (snf_rhd_pcygni below): a uniform photospheric disc at
 * the tau = 2/3 photosphere (v_ph), the line's resonance planes z = v_z t of homologous flow, absorption of the
 * disc's light in front of it and resonance scattering (source function W(r) I_ph) from the whole plane outside
 * the occulted region. Left out: limb darkening, the continuum's optical depth above the photosphere,
 * thermalisation of the line's source function, overlap with other lines (Fe II 5018, Mg I b), and the
 * departure from homology in the first days. Consequence of the sharp photosphere: the minimum is never below
 * v_ph (for v_z < v_ph the absorbing part of the disc grows with v_z while the scattered light does not
 * change); it sits at v_ph while the line is thin or thick only close to the photosphere (up to about
 * tau(sqrt 2 v_ph) = ln 2 for a thick line) and moves out as the thick region widens. NaN when the trough is
 * shallower than 1% of the continuum. */
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

/* ---- the P-Cygni profile in the Sobolev approximation ----
 * Velocities in units of v_ph. In homologous flow the points that absorb or scatter at line-of-sight velocity
 * w (towards the observer, blueshift > 0) lie on the plane z = w; at impact parameter p the resonance point is
 * at radius r = sqrt(p^2 + w^2), and p dp = r dr on the plane. Relative to the continuum pi R_ph^2 I_ph of a
 * uniform disc (no limb darkening):
 *   F(w) = 1 - A(w) + E(w),
 *   A(w) = int_{max(1,w)}^{sqrt(1+w^2)} 2 r (1 - e^-tau(r)) dr     (w > 0: the disc's light taken out in front),
 *   E(w) = int_{lo}^{inf} 2 r S(r) (1 - e^-tau(r)) dr             (light scattered into the line of sight),
 * lo = max(1, w) on the blue side, sqrt(1 + w^2) on the red side (points behind the disc are occulted);
 * the points of the plane inside the photosphere are left out (the disc's light leaves from its surface, in
 * front of them). S = W(r) I_ph, the dilution factor W = (1 - sqrt(1 - 1/r^2)) / 2, is the resonance-scattering
 * source function (pure scattering, thermalisation neglected); scatter = 0 gives pure absorption (E = 0).
 * A and E come from two cumulative integrals on one fine grid in ln r, so F(w) costs two look-ups. */
#define PC_M 2048            /* fine grid points, uniform in ln r from 1 to the line's outer edge */
#define PC_TAU_EDGE 1e-8     /* tau below this beyond the last point above it: no line there */
#define PC_MAXBINS 1024

typedef struct pc_grid {
    double lx, h;            /* ln of the outer edge x_top, grid step in ln r */
    double ga[PC_M], ge[PC_M];
    int scatter;
} pc_grid;

static double dilution(double r)
{
    return r > 1.0 ? 0.5 * (1.0 - sqrt(1.0 - 1.0 / (r * r))) : 0.5;
}

/* the cumulative integral g (from r = 1) at r, linear between the grid points */
static double pc_cum(const pc_grid *g, const double *c, double r)
{
    if (!(r > 1.0)) {
        return 0.0;
    }
    double u = log(r) / g->h;
    if (u >= PC_M - 1) {
        return c[PC_M - 1];
    }
    int j = (int)u;
    double r0 = exp(j * g->h), f = (r - r0) / (exp((j + 1) * g->h) - r0); /* linear in r: exact where saturated */
    return c[j] + f * (c[j + 1] - c[j]);
}

static double pc_flux(const pc_grid *g, double w)
{
    double s = sqrt(1.0 + w * w), A = 0.0, E = 0.0;
    double lo = w > 0 ? fmax(1.0, w) : s;
    if (w > 0) {
        A = pc_cum(g, g->ga, s) - pc_cum(g, g->ga, lo);
    }
    if (g->scatter) {
        E = g->ge[PC_M - 1] - pc_cum(g, g->ge, lo);
    }
    return 1.0 - A + E;
}

/* tau at x from the table (log-linear between points, tau[0] below x[0], 0 above x[n-1]); *k walks up */
static double pc_tau(const double *x, const double *tau, int n, double xx, int *k)
{
    if (xx <= x[0]) {
        return tau[0];
    }
    if (xx > x[n - 1]) {
        return 0.0;
    }
    while (*k < n - 2 && x[*k + 1] < xx) {
        (*k)++;
    }
    double a = tau[*k], b = tau[*k + 1], f = (xx - x[*k]) / (x[*k + 1] - x[*k]);
    if (a > 0 && b > 0) {
        return a * pow(b / a, f);
    }
    return a + f * (b - a);
}

double snf_rhd_pcygni(const double *x, const double *tau, int n, int scatter, int nbins, double *w, double *F,
                      double *depth)
{
    if (depth) {
        *depth = 0.0;
    }
    if (n < 1 || nbins < 8 || nbins > PC_MAXBINS) {
        return NAN;
    }
    for (int k = 1; k < n; k++) {
        if (!(x[k] > x[k - 1])) {
            return NAN;
        }
    }
    /* the line's outer edge: the point after the last one with tau > PC_TAU_EDGE (the surface if none) */
    int last = -1;
    for (int k = n - 1; k >= 0; k--) {
        if (tau[k] > PC_TAU_EDGE) {
            last = k;
            break;
        }
    }
    double xtop = last < 0 ? 1.0 : x[last < n - 1 ? last + 1 : n - 1];
    if (!(xtop > 1.0 + 1e-9)) { /* no line above the photosphere: a flat profile */
        for (int j = 0; j < nbins && w && F; j++) {
            w[j] = (j + 1.0) / nbins;
            F[j] = 1.0;
        }
        return NAN;
    }
    pc_grid g;
    g.scatter = scatter;
    g.lx = log(xtop);
    g.h = g.lx / (PC_M - 1);
    int k = 0;
    double prev_a = 0.0, prev_e = 0.0, prev_r = 1.0;
    g.ga[0] = g.ge[0] = 0.0;
    for (int j = 0; j < PC_M; j++) {
        double r = j == PC_M - 1 ? xtop : exp(j * g.h);
        double t = pc_tau(x, tau, n, r, &k);
        double a = 2.0 * r * (t > 1e-6 ? 1.0 - exp(-t) : t * (1.0 - 0.5 * t));
        double e = a * dilution(r);
        if (j > 0) {
            g.ga[j] = g.ga[j - 1] + 0.5 * (a + prev_a) * (r - prev_r);
            g.ge[j] = g.ge[j - 1] + 0.5 * (e + prev_e) * (r - prev_r);
        }
        prev_a = a;
        prev_e = e;
        prev_r = r;
    }
    /* the blue side: a quarter of the bins uniform in (0, 1], the rest uniform in ln w from 1 to the edge */
    int nb1 = nbins / 4, jmin = 0;
    double fmin = INFINITY, wb[PC_MAXBINS];
    for (int j = 0; j < nbins; j++) {
        wb[j] = j < nb1 ? (j + 1.0) / nb1 : exp(g.lx * (j - nb1 + 1.0) / (nbins - nb1));
        double f = pc_flux(&g, wb[j]);
        if (w && F) {
            w[j] = wb[j];
            F[j] = f;
        }
        if (f < fmin) {
            fmin = f;
            jmin = j;
        }
    }
    /* golden-section search between the neighbours of the lowest bin */
    double a = jmin > 0 ? wb[jmin - 1] : 0.0, b = jmin < nbins - 1 ? wb[jmin + 1] : xtop;
    const double gr = 0.6180339887498949;
    double c = b - gr * (b - a), d = a + gr * (b - a), fc = pc_flux(&g, c), fd = pc_flux(&g, d);
    while (b - a > 1e-7 * b) {
        if (fc <= fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - gr * (b - a);
            fc = pc_flux(&g, c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + gr * (b - a);
            fd = pc_flux(&g, d);
        }
    }
    double wm = 0.5 * (a + b), fm = pc_flux(&g, wm);
    if (fmin < fm) { /* the bin itself is lower (a kink the search stepped over): keep it */
        wm = wb[jmin];
        fm = fmin;
    }
    if (depth) {
        *depth = 1.0 - fm;
    }
    return 1.0 - fm >= SNF_RHD_PCYGNI_MIN_DEPTH ? wm : NAN;
}

double snf_rhd_feii_minimum(const snf_rhd_state *s, int iph, double vph, double *tau, double *x)
{
    int N = s->N;
    if (!(vph > 0) || N < 3) {
        return NAN;
    }
    double fe_made = snf_rhd_decay_fe_fraction(s->t);
    int c0 = iph > 0 ? iph - 1 : 0, n = 0; /* cell iph - 1 holds the photosphere */
    for (int c = c0; c < N - 1; c++) {
        double xc = 0.5 * (s->v[c] + s->v[c + 1]) / vph;
        if (n > 0 && !(xc > x[n - 1])) {
            continue; /* not yet homologous (a shock): keep the points that rise outward */
        }
        double xfe = s->xfe[c] < 0 ? FE_SOLAR : s->xfe[c] + s->xni[c] * fe_made;
        x[n] = xc;
        tau[n++] = snf_rhd_feii_tau(s->rho[c], s->T[c], line_electrons(&s->mix[c], s->rho[c], s->T[c]), xfe, s->t);
    }
    double xs = s->v[N - 1] / vph; /* the surface: the last cell's tau out to it */
    if (n > 0 && xs > x[n - 1]) {
        x[n] = xs;
        tau[n] = tau[n - 1];
        n++;
    }
    /* Above a sharp photosphere moving out homologously the minimum is never below v_ph (test_rhd); one below
     * it means the gas above the photosphere moves slower than the photosphere's own (the first days after
     * shock breakout, before homology), where this profile does not describe the line: no velocity then. */
    double m = snf_rhd_pcygni(x, tau, n, 1, SNF_RHD_PCYGNI_BINS, NULL, NULL, NULL);
    return m < 1.0 - 1e-3 ? NAN : m;
}
