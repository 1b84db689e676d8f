/* hydro.c: the grid state and one time step of the Lagrangian radiation hydrodynamics.
 *
 * The scheme (Mezzacappa & Bruenn 1993 as used by SNEC 1.01, written afresh): velocities on the points are
 * leapfrogged with pressure, gravity and Richtmyer-von Neumann viscosity (Q = 2 rho dv^2 in compression),
 * radii move with the new velocities, densities follow from the cell masses. The energy equation of each
 * cell, de + (p_old + p_new)/2 d(1/rho) + dt dL/dm = Q-heating + external heating, with L the flux-limited
 * diffusion luminosity time-centred by theta (Crank-Nicolson at 0.5), is solved for the cell temperatures
 * by Newton iterations; each iteration is one tridiagonal solve (the Jacobian couples a cell only to its two
 * neighbours through L; it includes the flux limiter's dependence on T, which SNEC leaves out: without it
 * the iterations converge only linearly where the gas turns transparent). Implicit because the diffusion time of a cell is far below the hydrodynamic step;
 * Newton with a tridiagonal solve costs O(N) per iteration, and converges in 2-4 iterations at our steps. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define CVISC 2.0

/* ---- allocation ---- */

#define RHD_ARRAYS(X)                                                                                    \
    X(m) X(dm) X(cm) X(dcm) X(r) X(v) X(cr) X(rho) X(T) X(p) X(e) X(cs2) X(dpdT) X(dedT) X(kap)         \
        X(kap_tab) X(kfloor) X(lum) X(lam) X(ikap) X(Q) X(Qterm) X(heat) X(dep) X(pos) X(ne) X(xc) X(xo) X(XH) X(xni) X(ye) \
            X(Zmet) X(xfe) X(r_p) X(v_p) X(rho_p) X(e_p) X(p_p) X(T_p) X(cr_p) X(lum_p) X(A) X(B) X(C) X(D) X(dLa) X(dLb)      \
                X(Tt) X(lt)

int snf_rhd_state_alloc(snf_rhd_state *s, int N)
{
    memset(s, 0, sizeof *s);
    s->N = N;
    int ok = 1;
#define ALLOC_ONE(name)                                      \
    s->name = calloc((size_t)N, sizeof(double));             \
    ok = ok && s->name != NULL;
    RHD_ARRAYS(ALLOC_ONE)
#undef ALLOC_ONE
    s->mix = calloc((size_t)N, sizeof *s->mix);
    if (!ok || !s->mix) {
        snf_rhd_state_free(s);
        return -1;
    }
    s->theta = 0.5;
    s->newton_tol = 1e-7;
    s->gravity = 1;
    s->radiation = 1;
    s->inner_fixed = 1;
    return 0;
}

void snf_rhd_state_free(snf_rhd_state *s)
{
    if (!s) {
        return;
    }
#define FREE_ONE(name) free(s->name);
    RHD_ARRAYS(FREE_ONE)
#undef FREE_ONE
    free(s->mix);
    free(s->ktab);
    free(s->ktab_store);
    memset(s, 0, sizeof *s);
}

/* The arrays a step changes, in a flat buffer for retries. */
#define SAVED(X) X(r) X(v) X(cr) X(rho) X(T) X(p) X(e) X(cs2) X(dpdT) X(dedT) X(kap) X(kap_tab) X(lum) X(lam) X(ikap) X(Q) X(Qterm)

size_t snf_rhd_state_save_size(const snf_rhd_state *s)
{
    size_t k = 0;
#define COUNT(name) k++;
    SAVED(COUNT)
#undef COUNT
    return k * (size_t)s->N;
}

void snf_rhd_state_save(snf_rhd_state *s, double *buf)
{
    size_t N = (size_t)s->N, k = 0;
#define SAVE(name) memcpy(buf + N * k++, s->name, N * sizeof(double));
    SAVED(SAVE)
#undef SAVE
}

void snf_rhd_state_restore(snf_rhd_state *s, const double *buf)
{
    size_t N = (size_t)s->N, k = 0;
#define RESTORE(name) memcpy(s->name, buf + N * k++, N * sizeof(double));
    SAVED(RESTORE)
#undef RESTORE
}

/* ---- grid ---- */

void snf_rhd_grid_finish(snf_rhd_state *s)
{
    int N = s->N;
    for (int c = 0; c < N - 1; c++) {
        s->dm[c] = s->m[c + 1] - s->m[c];
        s->cm[c] = s->m[c] + 0.5 * s->dm[c];
    }
    s->dm[N - 1] = s->dm[N - 2];
    s->cm[N - 1] = s->m[N - 1] + 0.5 * s->dm[N - 2];
    for (int c = 0; c < N - 1; c++) {
        s->dcm[c] = s->cm[c + 1] - s->cm[c];
    }
    s->dcm[N - 1] = s->dcm[N - 2];
}

static void centres(snf_rhd_state *s)
{
    int N = s->N;
    for (int c = 0; c < N - 1; c++) {
        s->cr[c] = cbrt(0.5 * (s->r[c] * s->r[c] * s->r[c] + s->r[c + 1] * s->r[c + 1] * s->r[c + 1]));
    }
    s->cr[N - 1] = s->r[N - 1] + (s->r[N - 1] - s->cr[N - 2]);
}

void snf_rhd_radii_from_density(snf_rhd_state *s)
{
    for (int c = 0; c < s->N - 1; c++) {
        s->r[c + 1] = cbrt(3.0 / (4.0 * PI) * s->dm[c] / s->rho[c] + s->r[c] * s->r[c] * s->r[c]);
    }
    centres(s);
}

/* ---- microphysics on the grid ---- */

static void eos_cell(snf_rhd_state *s, int c, double T, double *p, double *e)
{
    snf_rhd_thermo th;
    if (s->ideal) {
        snf_rhd_eos_ideal(&th, s->gamma, s->mu, s->rho[c], T);
        if (s->ideal == 2) {
            double aT3 = SNF_RHD_ARAD * T * T * T;
            th.p += aT3 * T / 3.0;
            th.e += aT3 * T / s->rho[c];
            th.dpdT += 4.0 * aT3 / 3.0;
            th.dedT += 4.0 * aT3 / s->rho[c];
        }
    } else {
        snf_rhd_ion ion;
        ion.ne = s->ne[c];
        snf_rhd_eos(&th, &ion, &s->mix[c], s->rho[c], T);
        s->ne[c] = ion.ne;
    }
    *p = th.p;
    *e = th.e;
    s->cs2[c] = th.cs2;
    s->dpdT[c] = th.dpdT;
    s->dedT[c] = th.dedT;
}

void snf_rhd_eos_all(snf_rhd_state *s)
{
    for (int c = 0; c < s->N - 1; c++) {
        eos_cell(s, c, s->T[c], &s->p[c], &s->e[c]);
    }
    s->p[s->N - 1] = 0.0;
    s->e[s->N - 1] = 0.0;
}

int snf_rhd_opacity_prepare(snf_rhd_state *s)
{
    const size_t sz = (size_t)SNF_RHD_OPAL_NT * SNF_RHD_OPAL_NR;
    int N = s->N, nu = 0;
    free(s->ktab);
    free(s->ktab_store);
    s->ktab = calloc((size_t)N, sizeof *s->ktab);
    int *first = malloc((size_t)N * sizeof *first);
    if (!s->ktab || !first) {
        free(first);
        return -1;
    }
    for (int c = 0; c < N - 1; c++) { /* cells with the composition of the cell before share its table */
        if (c == 0 || s->XH[c] != s->XH[c - 1] || s->xc[c] != s->xc[c - 1] || s->xo[c] != s->xo[c - 1]) {
            first[nu++] = c;
        }
    }
    s->ktab_store = malloc((size_t)(nu > 0 ? nu : 1) * sz * sizeof(double));
    if (!s->ktab_store) {
        free(first);
        return -1;
    }
    for (int u = 0, c = 0; c < N; c++) {
        if (u < nu && first[u] == c) {
            snf_rhd_opal_compose(s->opal, s->XH[c], s->xc[c], s->xo[c], s->ktab_store + (size_t)u * sz);
            u++;
        }
        s->ktab[c] = s->ktab_store + (size_t)(u - 1) * sz;
    }
    free(first);
    return 0;
}

void snf_rhd_opacity_all(snf_rhd_state *s)
{
    int N = s->N;
    for (int c = 0; c < N - 1; c++) {
        double k = NAN;
        if (s->opal) {
            double t6 = s->T[c] * 1e-6, lk;
            if (s->T[c] > 0 && snf_rhd_opal_table_logk(s->opal, s->ktab[c], log10(s->T[c]),
                                                       log10(s->rho[c] / (t6 * t6 * t6)), &lk) == 0) {
                k = pow(10.0, lk);
            }
        }
        if (isnan(k)) { /* off the tables: the inner neighbour's value (SNEC), the floor at the centre */
            k = c > 0 ? s->kap_tab[c - 1] : s->kfloor[c];
        }
        s->kap_tab[c] = k;
        s->kap[c] = k > s->kfloor[c] ? k : s->kfloor[c];
    }
    s->kap[N - 1] = s->kap[N - 2];
    s->kap_tab[N - 1] = s->kap_tab[N - 2];
}

void snf_rhd_luminosity(snf_rhd_state *s, const double *T, double *lum)
{
    int N = s->N;
    const double ac3 = SNF_RHD_ARAD * SNF_RHD_CLIGHT / 3.0;
    lum[0] = 0.0;
    s->lam[0] = 1.0;
    s->ikap[0] = 1.0;
    s->dLa[0] = s->dLb[0] = 0.0;
    for (int i = 1; i < N; i++) {
        double t3a = T[i] * T[i] * T[i], t3b = T[i - 1] * T[i - 1] * T[i - 1];
        double t4a = t3a * T[i], t4b = t3b * T[i - 1];
        double sum = t4a + t4b, u = t4a - t4b, au = fabs(u);
        double ik = sum > 0 ? (t4a / s->kap[i] + t4b / s->kap[i - 1]) / sum : 1.0 / s->kap[i - 1];
        double beta = 8.0 * PI * s->r[i] * s->r[i] * ik / s->dcm[i - 1];
        double R = sum > 0 ? beta * au / sum : 0.0;
        double den = 6.0 + 3.0 * R + R * R;
        double lam = (6.0 + 3.0 * R) / den;
        s->ikap[i] = ik;
        s->lam[i] = lam;
        s->dLa[i] = s->dLb[i] = 0.0;
        if (i < N - 1) {
            double a = 4.0 * PI * s->r[i] * s->r[i];
            double K = a * a * ac3 * ik / s->dcm[i - 1];
            lum[i] = -K * lam * u;
            if (sum > 0) {
                /* dL/dT_i and dL/dT_{i-1} with the flux limiter's dependence on T (ikap held) */
                double dlam = -(12.0 * R + 3.0 * R * R) / (den * den);
                double sg = u >= 0 ? 1.0 : -1.0;
                double dRa = beta * 4.0 * t3a * (sg * sum - au) / (sum * sum);
                double dRb = beta * 4.0 * t3b * (-sg * sum - au) / (sum * sum);
                s->dLa[i] = -K * (lam * 4.0 * t3a + u * dlam * dRa);
                s->dLb[i] = -K * (-lam * 4.0 * t3b + u * dlam * dRb);
            }
        }
    }
    lum[N - 1] = lum[N - 2];
    if (!s->radiation) {
        memset(lum, 0, (size_t)N * sizeof(double));
    }
}

double snf_rhd_timestep(const snf_rhd_state *s, double dtmin, double dtmax)
{
    double dt = dtmax;
    for (int c = 0; c < s->N - 1; c++) {
        double cs = sqrt(s->cs2[c]);
        double w = fmax(fabs(s->v[c] + cs), fabs(s->v[c] - cs));
        double d = (s->r[c + 1] - s->r[c]) / w;
        if (d < dt) {
            dt = d;
        }
    }
    dt *= 0.95;
    if (s->dt > 0 && dt > 1.025 * s->dt) {
        dt = 1.025 * s->dt;
    }
    return fmin(fmax(dt, dtmin), dtmax);
}

double snf_rhd_energy(const snf_rhd_state *s)
{
    int N = s->N;
    double eg = 0, ei = 0, ek = 0;
    for (int i = 0; i < N; i++) {
        if (s->gravity) {
            eg -= SNF_RHD_GRAV * s->dm[i] * s->cm[i] / s->cr[i];
        }
        ei += s->e[i] * s->dm[i];
    }
    for (int c = 0; c < N - 1; c++) {
        double vc = 0.5 * (s->v[c] + s->v[c + 1]);
        ek += 0.5 * vc * vc * s->dm[c];
    }
    ek += 0.5 * s->v[N - 1] * s->v[N - 1] * s->dm[N - 1];
    return eg + ei + ek;
}

/* ---- the step ---- */

static void viscosity(snf_rhd_state *s)
{
    int N = s->N;
    for (int c = 0; c < N - 1; c++) {
        double dv = s->v[c + 1] - s->v[c];
        s->Q[c] = dv < 0 ? CVISC * s->rho[c] * dv * dv : 0.0;
        double rc = 0.5 * (s->cr[c] + s->cr_p[c]);
        s->Qterm[c] = -4.0 * PI * s->dt * rc * rc * s->Q[c] * dv / s->dm[c];
    }
    s->Q[N - 1] = 0.0;
    s->Qterm[N - 1] = 0.0;
}

/* Thomas algorithm: a[c] x[c-1] + b[c] x[c] + d[c] x[c+1] = rhs[c], c = 0..n-1 (a[0], d[n-1] unused);
 * b and rhs are overwritten, the solution is left in rhs. */
static int tridiag(const double *a, double *b, const double *d, double *rhs, int n)
{
    for (int c = 1; c < n; c++) {
        if (b[c - 1] == 0.0) {
            return -1;
        }
        double w = a[c] / b[c - 1];
        b[c] -= w * d[c - 1];
        rhs[c] -= w * rhs[c - 1];
    }
    if (b[n - 1] == 0.0) {
        return -1;
    }
    rhs[n - 1] /= b[n - 1];
    for (int c = n - 2; c >= 0; c--) {
        rhs[c] = (rhs[c] - d[c] * rhs[c + 1]) / b[c];
    }
    return 0;
}

/* Newton iterations on the cell temperatures (cells 0..N-2). A: coefficient of dT[c-1], B: of dT[c],
 * C: of dT[c+1], D: minus the residual. */
static int solve_temperature(snf_rhd_state *s, char *why, size_t nwhy)
{
    int N = s->N, n = N - 1;
    const double th = s->theta, dt = s->dt;
    memcpy(s->Tt, s->T, (size_t)N * sizeof(double));
    int last_worst = 0;
    for (int it = 0; it < 100; it++) {
        s->newton_its++;
        for (int c = 0; c < n; c++) {
            eos_cell(s, c, s->Tt[c], &s->p[c], &s->e[c]);
        }
        snf_rhd_luminosity(s, s->Tt, s->lt);
        for (int c = 0; c < n; c++) {
            double dv = 1.0 / s->rho[c] - 1.0 / s->rho_p[c];
            double idm = dt / s->dm[c];
            double F = s->e[c] - s->e_p[c] + 0.5 * (s->p[c] + s->p_p[c]) * dv - s->Qterm[c] - s->heat[c] * dt;
            double b = s->dedT[c] + 0.5 * s->dpdT[c] * dv, a = 0.0, d = 0.0;
            if (c < n - 1 && s->radiation) { /* the outermost cell has L_out = L_in: no diffusion term */
                F += idm * (th * (s->lt[c + 1] - s->lt[c]) + (1.0 - th) * (s->lum_p[c + 1] - s->lum_p[c]));
                b += th * idm * (s->dLb[c + 1] - s->dLa[c]);
                d = th * idm * s->dLa[c + 1];
                a = c > 0 ? -th * idm * s->dLb[c] : 0.0;
            }
            s->A[c] = a;
            s->B[c] = b;
            s->C[c] = d;
            s->D[c] = -F;
        }
        if (tridiag(s->A, s->B, s->C, s->D, n) != 0) {
            s->fail_zone = 0;
            snprintf(why, nwhy, "singular temperature matrix");
            return -1;
        }
        double dmax = 0;
        int imax = 0;
        for (int c = 0; c < n; c++) {
            double q = fabs(s->D[c] / s->Tt[c]);
            if (!(q <= dmax)) {
                dmax = q;
                imax = c;
            }
        }
        if (!isfinite(dmax)) {
            s->fail_zone = imax;
            snprintf(why, nwhy, "non-finite temperature");
            return -1;
        }
        int done = dmax <= s->newton_tol;
        last_worst = imax;
        for (int c = 0; c < n; c++) {
            double dT = s->D[c];
            if (dT < -0.5 * s->Tt[c]) { /* damped: never more than halve a temperature in one iteration */
                dT = -0.5 * s->Tt[c];
            }
            s->Tt[c] += dT;
            if (done) { /* |dT/T| <= tol: p and e to first order (the error is O(tol^2)) */
                s->p[c] += s->dpdT[c] * dT;
                s->e[c] += s->dedT[c] * dT;
            }
        }
        if (done) {
            memcpy(s->T, s->Tt, (size_t)n * sizeof(double));
            return 0;
        }
    }
    s->fail_zone = last_worst; /* the cell of the largest change in the last iteration */
    snprintf(why, nwhy, "temperature iterations did not converge");
    return -1;
}

int snf_rhd_step(snf_rhd_state *s, char *why, size_t nwhy)
{
    int N = s->N;
    size_t bytes = (size_t)N * sizeof(double);
    double dtv = 0.5 * (s->dt + s->dt_p);
    memcpy(s->rho_p, s->rho, bytes);
    memcpy(s->v_p, s->v, bytes);
    memcpy(s->r_p, s->r, bytes);
    memcpy(s->cr_p, s->cr, bytes);
    memcpy(s->e_p, s->e, bytes);
    memcpy(s->p_p, s->p, bytes);
    memcpy(s->T_p, s->T, bytes);
    memcpy(s->lum_p, s->lum, bytes);
    for (int i = 1; i < N && !s->frozen; i++) {
        double a = 4.0 * PI * s->r[i] * s->r[i];
        double g = s->gravity ? SNF_RHD_GRAV * s->m[i] / (s->r[i] * s->r[i]) : 0.0;
        double cq = s->cr[i] * s->cr[i] * s->Q[i] - s->cr[i - 1] * s->cr[i - 1] * s->Q[i - 1];
        s->v[i] = s->v_p[i] - dtv * g - dtv * a * (s->p[i] - s->p[i - 1]) / s->dcm[i - 1] -
                  dtv * 4.0 * PI * cq / s->dcm[i - 1];
    }
    if (s->inner_fixed && !s->frozen) {
        s->v[0] = s->v_inner;
    }
    for (int i = 0; i < N; i++) {
        s->r[i] = s->r_p[i] + s->dt * s->v[i];
        if (i > 0 && !(s->r[i] > s->r[i - 1])) {
            s->fail_zone = i - 1;
            snprintf(why, nwhy, "cell crushed (radius of point %d below its inner neighbour's)", i);
            return -1;
        }
    }
    if (!(s->r[0] >= 0)) {
        s->fail_zone = 0;
        snprintf(why, nwhy, "negative inner radius");
        return -1;
    }
    for (int c = 0; c < N - 1; c++) {
        double r1 = s->r[c], r2 = s->r[c + 1];
        s->rho[c] = s->dm[c] / (4.0 * PI / 3.0 * (r2 * r2 * r2 - r1 * r1 * r1));
        if (!(s->rho[c] > 0) || !isfinite(s->rho[c])) {
            s->fail_zone = c;
            snprintf(why, nwhy, "negative density");
            return -1;
        }
    }
    s->rho[N - 1] = 0.0;
    centres(s);
    viscosity(s);
    if (solve_temperature(s, why, nwhy) != 0) {
        return -1;
    }
    s->T[N - 1] = 0.0;
    s->e[N - 1] = 0.0;
    s->p[N - 1] = 0.0;
    if (s->radiation) {
        snf_rhd_opacity_all(s);
    }
    snf_rhd_luminosity(s, s->T, s->lum);
    return 0;
}
