/* setup.c: the initial model on the grid, as SNEC 1.01 builds it: points placed in mass by the grid
 * pattern (or uniformly) from the excised mass to the surface; density, temperature and composition
 * mapped linearly in mass at the cell centres, velocity at the points; 56Ni set by hand below its boundary
 * mass (other species rescaled), boxcar smoothing, the opacity floors by metallicity, radii integrated from
 * the density. */
#include "internal.h"
#include "snforge/core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Z_ENVELOPE 0.02 /* metallicity of the OPAL tables, at which the envelope floor applies */
#define C_SOLAR 0.173285 /* C and O shares of the metals in the tables' mixture (Grevesse & Noels 1993) */
#define O_SOLAR 0.482273

/* Linear interpolation of y(x) at v, x increasing; linear extrapolation from the end intervals. */
static double map_lin(const double *x, const double *y, int n, double v)
{
    int lo = 0, hi = n - 1;
    if (v < x[0]) {
        hi = 1;
    } else if (v > x[n - 1]) {
        lo = n - 2;
    } else {
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (v <= x[mid]) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
    }
    if (x[hi] == x[lo]) {
        return y[lo];
    }
    return y[lo] + (y[hi] - y[lo]) * (v - x[lo]) / (x[hi] - x[lo]);
}

void snf_rhd_boxcar(double *comp, int nc, const double *dm, int N)
{
    const double box = 0.4 * SNF_RHD_MSUN;
    for (int pass = 0; pass < 4; pass++) {
        for (int i = 0; i < N; i++) {
            int l = i;
            double mass = 0.0;
            for (; l < N; l++) {
                mass += dm[l];
                if (mass > box) {
                    break;
                }
            }
            if (l == N) {
                l = N - 1;
            }
            for (int el = 0; el < nc; el++) {
                double me = 0.0;
                for (int k = i; k <= l; k++) {
                    me += dm[k] * comp[(size_t)k * (size_t)nc + (size_t)el];
                }
                for (int k = i; k <= l; k++) {
                    comp[(size_t)k * (size_t)nc + (size_t)el] = me / mass;
                }
            }
            if (mass < box) {
                break;
            }
        }
    }
}

/* Grid points in mass: pattern[k] in [0, 1] (resampled to N points when its length differs). */
static void place_points(snf_rhd_state *s, const snf_rhd_params *par, double m0, double M, const double *pat,
                         int npat)
{
    int N = s->N;
    for (int k = 0; k < N; k++) {
        double f = (double)k / (double)(N - 1);
        if (par->gridding == SNF_RHD_GRID_FILE && pat && npat >= 2) {
            double x = f * (npat - 1);
            int j = (int)x;
            if (j >= npat - 1) {
                j = npat - 2;
            }
            double w = x - j;
            f = (pat[j] + w * (pat[j + 1] - pat[j]) - pat[0]) / (pat[npat - 1] - pat[0]);
        }
        s->m[k] = m0 + f * (M - m0);
    }
    s->m[N - 1] = M;
}

int snf_rhd_setup(snf_rhd_state *s, const snf_rhd_params *par, const snf_rhd_profile *pr, const double *pat,
                  int npat)
{
    int N = par->imax, nc = pr->ncomp, rc = SNF_OK;
    double *comp = NULL;
    if (N < 10) {
        SNF_ERROR(SNF_EINVAL, "imax = %d: at least 10 grid points", N);
    }
    if (snf_rhd_state_alloc(s, N) != 0) {
        SNF_ERROR(SNF_ENOMEM, "grid of %d points", N);
    }
    double m0 = par->mass_excision ? par->mass_excised * SNF_RHD_MSUN : pr->mass[0];
    double M = pr->mass[pr->n - 1];
    if (!(m0 >= pr->mass[0] && m0 < M)) {
        SNF_FAIL(SNF_EINVAL, "excised mass %g Msun outside the profile (%g ... %g Msun)", m0 / SNF_RHD_MSUN,
                 pr->mass[0] / SNF_RHD_MSUN, M / SNF_RHD_MSUN);
    }
    place_points(s, par, m0, M, pat, npat);
    snf_rhd_grid_finish(s);
    s->r[0] = map_lin(pr->mass, pr->r, pr->n, m0);
    for (int i = 0; i < N; i++) {
        s->v[i] = map_lin(pr->mass, pr->v, pr->n, s->m[i]);
    }
    for (int c = 0; c < N - 1; c++) {
        s->rho[c] = map_lin(pr->mass, pr->rho, pr->n, s->cm[c]);
        s->T[c] = map_lin(pr->mass, pr->T, pr->n, s->cm[c]);
        if (!(s->rho[c] > 0) || !(s->T[c] > 0)) {
            SNF_FAIL(SNF_EINVAL, "profile gives density %g, temperature %g at cell %d", s->rho[c], s->T[c], c);
        }
    }
    /* compositions at the cell centres (the ghost cell copies the last) */
    comp = malloc((size_t)N * (size_t)nc * sizeof *comp);
    if (!comp) {
        SNF_FAIL(SNF_ENOMEM, "composition of %d cells", N);
    }
    double *col = malloc((size_t)pr->nc * sizeof *col);
    if (!col) {
        SNF_FAIL(SNF_ENOMEM, "composition column");
    }
    for (int el = 0; el < nc; el++) {
        for (int k = 0; k < pr->nc; k++) {
            col[k] = pr->comp[(size_t)k * (size_t)nc + (size_t)el];
        }
        for (int c = 0; c < N - 1; c++) {
            comp[(size_t)c * (size_t)nc + (size_t)el] = map_lin(pr->cmass, col, pr->nc, s->cm[c]);
        }
        comp[(size_t)(N - 1) * (size_t)nc + (size_t)el] = comp[(size_t)(N - 2) * (size_t)nc + (size_t)el];
    }
    free(col);
    int iH = -1, iHe = -1, iNi = -1, iC = -1, iO = -1;
    for (int el = 0; el < nc; el++) {
        if (pr->Z[el] == 1 && pr->A[el] == 1) {
            iH = el;
        } else if (pr->Z[el] == 2 && pr->A[el] == 4) {
            iHe = el;
        } else if (pr->Z[el] == 28 && pr->A[el] == 56) {
            iNi = el;
        } else if (pr->Z[el] == 6 && pr->A[el] == 12) {
            iC = el;
        } else if (pr->Z[el] == 8 && pr->A[el] == 16) {
            iO = el;
        }
    }
    if (par->Ni_switch && iNi < 0) {
        SNF_FAIL(SNF_EINVAL, "Ni_switch = 1 but the composition profile has no 56Ni column (A = 56, Z = 28)");
    }
    if (par->Ni_by_hand && iNi >= 0) {
        double xni = par->Ni_mass / (par->Ni_boundary_mass - m0 / SNF_RHD_MSUN);
        double mb = par->Ni_boundary_mass * SNF_RHD_MSUN;
        int up = 1;
        while (up < N - 1 && s->m[up] < mb) {
            up++;
        }
        for (int c = 0; c < N; c++) {
            comp[(size_t)c * (size_t)nc + (size_t)iNi] = c < up ? xni : 0.0;
        }
    }
    for (int c = 0; c < N; c++) { /* mass fractions sum to one, the Ni fraction unchanged */
        double *x = comp + (size_t)c * (size_t)nc, sum = 0.0, ni = iNi >= 0 ? x[iNi] : 0.0;
        for (int el = 0; el < nc; el++) {
            sum += x[el];
        }
        for (int el = 0; el < nc; el++) {
            if (el != iNi && sum - ni > 0) {
                x[el] *= (1.0 - ni) / (sum - ni);
            }
        }
    }
    if (par->boxcar_smoothing) {
        snf_rhd_boxcar(comp, nc, s->dm, N);
    }
    for (int c = 0; c < N; c++) {
        const double *x = comp + (size_t)c * (size_t)nc;
        snf_rhd_mix *mx = &s->mix[c];
        memset(mx, 0, sizeof *mx);
        double ye = 0.0;
        for (int el = 0; el < nc; el++) {
            double n = x[el] / (pr->A[el] * SNF_RHD_MPROTON);
            mx->n_ion += n;
            ye += x[el] * pr->Z[el] / pr->A[el];
            if (el != iH && el != iHe) {
                mx->ne_metal += n * pr->Z[el];
            }
        }
        mx->X = iH >= 0 ? x[iH] : 0.0;
        mx->Y = iHe >= 0 ? x[iHe] : 0.0;
        s->XH[c] = mx->X;
        s->xni[c] = iNi >= 0 ? x[iNi] : 0.0;
        s->ye[c] = ye;
        s->xc[c] = iC >= 0 ? fmax(0.0, x[iC] - Z_ENVELOPE * C_SOLAR) : 0.0;
        s->xo[c] = iO >= 0 ? fmax(0.0, x[iO] - Z_ENVELOPE * O_SOLAR) : 0.0;
        s->Zmet[c] = 1.0 - mx->X - mx->Y;
        s->xfe[c] = -1.0;
        for (int el = 0; el < nc; el++) {
            if (pr->Z[el] == 26) {
                s->xfe[c] = fmax(s->xfe[c], 0.0) + x[el];
            }
        }
        double fe = par->opacity_floor_envelope, fc = par->opacity_floor_core;
        s->kfloor[c] = (Z_ENVELOPE * fc - fe + s->Zmet[c] * (fe - fc)) / (Z_ENVELOPE - 1.0);
    }
    snf_rhd_radii_from_density(s);
    snf_rhd_eos_all(s);
cleanup:
    free(comp);
    if (rc != SNF_OK) {
        snf_rhd_state_free(s);
    }
    return rc;
}
