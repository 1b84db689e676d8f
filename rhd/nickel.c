/* nickel.c: radioactive heating. The decay power of 56Ni -> 56Co -> 56Fe (Bateman), and where it is
 * deposited: gamma rays by grey transport with kappa_gamma = 0.06 Ye cm^2/g (Swartz, Sutherland & Harkness
 * 1995; the rule SNEC 1.01 uses), positron kinetic energy locally. The deposition function at a point is
 * the mean over directions of the source-weighted attenuated intensity, I = int X_Ni exp(-tau) dtau along
 * the ray through the Ni region: 1 per unit Ni fraction when the gas is opaque (local deposition), -> 0
 * when transparent (positrons: the local Ni fraction, kept in pos[]). It is computed at the cell centres,
 * every cell up to just past the Ni region and every k-th one above it (linear in between). */
#include "internal.h"

#include <math.h>

#define PI 3.14159265358979323846
#define TAU_NI (6.075 * SNF_RHD_DAY / 0.69314718055994531)
#define TAU_CO (77.236 * SNF_RHD_DAY / 0.69314718055994531)
#define EPS_NI 3.9e10  /* erg/g/s per gram of 56Ni (Nadyozhin 1994) */
#define EPS_CO 6.78e9  /* erg/g/s per gram of 56Co */

double snf_rhd_decay_power(double t, double *co_part)
{
    double eni = exp(-t / TAU_NI), eco = exp(-t / TAU_CO);
    double co = EPS_CO * TAU_CO / (TAU_CO - TAU_NI) * (eco - eni); /* per gram of initial Ni */
    if (co_part) {
        *co_part = co;
    }
    return EPS_NI * eni + co;
}

double snf_rhd_decay_fe_fraction(double t)
{
    double lni = 1.0 / TAU_NI, lco = 1.0 / TAU_CO;
    return 1.0 - (lco * exp(-lni * t) - lni * exp(-lco * t)) / (lco - lni);
}

#define N_ANGLE 40
#define N_STEP 64
#define N_SAMPLE 80

/* The cell holding radius x, walking from the hint (radii increase with the index). */
static int cell_of(const snf_rhd_state *s, double x, int hint)
{
    int c = hint;
    while (c > 0 && x < s->r[c]) {
        c--;
    }
    while (c < s->N - 2 && x >= s->r[c + 1]) {
        c++;
    }
    return c;
}

static double deposit_at(const snf_rhd_state *s, int i, double rNi)
{
    double r = s->cr[i]; /* the cell's centre */
    /* directions mu = cos(theta) in [-1, mu_max]: mu = -1 points inward; outside the Ni sphere only the
     * cone that meets it */
    double mu_max = 1.0;
    if (r > rNi) {
        mu_max = -sqrt(1.0 - (rNi / r) * (rNi / r));
    }
    double sum = 0.0;
    double dmu = (mu_max + 1.0) / N_ANGLE;
    for (int a = 0; a < N_ANGLE; a++) {
        double mu = -1.0 + (a + 0.5) * dmu;
        double disc = r * r * mu * mu - (r * r - rNi * rNi);
        if (disc < 0) {
            continue;
        }
        double smax = -r * mu + sqrt(disc);
        if (smax <= 0) {
            continue;
        }
        double ds = smax / N_STEP, I = 0.0;
        int hint = i;
        /* from the far end of the ray back to the point */
        for (int k = N_STEP - 1; k >= 0; k--) {
            double x = (k + 0.5) * ds;
            double rj = sqrt(r * r + x * x + 2.0 * r * x * mu);
            if (rj <= s->r[0]) {
                continue;
            }
            int c = cell_of(s, rj, hint);
            hint = c;
            double dtau = ds * 0.06 * s->ye[c] * s->rho[c];
            double X = s->xni[c];
            I = (I - X) * exp(-dtau) + X;
        }
        sum += I;
    }
    return sum * dmu * 0.5; /* mean over the full sphere of directions: (1/2) int dmu */
}

void snf_rhd_gamma_deposition(snf_rhd_state *s)
{
    int N = s->N - 1, top = -1; /* cells 0..N-1 (the ghost cell has none) */
    for (int c = N - 1; c >= 0; c--) {
        if (s->xni[c] > 1e-5) {
            top = c;
            break;
        }
    }
    for (int i = 0; i <= N; i++) {
        s->dep[i] = 0.0;
        s->pos[i] = i < N ? s->xni[i] : 0.0;
    }
    if (top < 0) {
        return;
    }
    double rNi = s->r[top + 1];
    /* every cell up to just past the Ni region (where the function varies fast), then every step-th cell */
    int step = (N + N_SAMPLE - 1) / N_SAMPLE, prev = 0;
    for (int i = 0;; i = i <= top + 2 ? i + 1 : i + step) {
        if (i > N - 1) {
            i = N - 1;
        }
        s->dep[i] = deposit_at(s, i, rNi);
        for (int j = prev + 1; j < i; j++) {
            double w = (double)(j - prev) / (double)(i - prev);
            s->dep[j] = (1.0 - w) * s->dep[prev] + w * s->dep[i];
        }
        prev = i;
        if (i == N - 1) {
            break;
        }
    }
}
