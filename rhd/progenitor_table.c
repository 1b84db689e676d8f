/* progenitor_table.c: the built structure onto output zones, the parameters' table and checks, and the
 * hydrostatic-equilibrium residual (progenitor.h).
 *
 * Zoning (the reference's): each layer tabulated finely (40,000 radii mixing log-radius and log-depth
 * spacing); output masses 1,500 uniform from m_in to the
 * surface, 500 log-spaced depths (1e-9 to 1 Msun) below the surface, 300 log-spaced heights (1e-4 to 1 Msun)
 * above m_in, 41 points within +-0.05 Msun of each interface; r(m) linear in m over the fine table, rho and
 * P log-log in r within the zone's own layer (interfaces stay sharp), T from the EOS. */
#include "rhd/progenitor_build.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

/* ---- numpy-like spacings ---- */

static void linspace(double a, double b, int n, double *out)
{
    double step = (b - a) / (n - 1);
    for (int i = 0; i < n; i++) {
        out[i] = i * step + a;
    }
    out[n - 1] = b;
}

static void geomspace(double a, double b, int n, double *out)
{
    double la = log10(a), lb = log10(b), step = (lb - la) / (n - 1);
    for (int i = 0; i < n; i++) {
        out[i] = pow(10.0, i * step + la);
    }
    out[0] = a;
    out[n - 1] = b;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : (x > y);
}

/* Sorts and removes repeats; returns the new count. */
static int sort_unique(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k == 0 || v[i] != v[k - 1]) {
            v[k++] = v[i];
        }
    }
    return k;
}

/* np.interp: linear, clamped to the end values. */
static double interp(double x, const double *xp, const double *fp, int n)
{
    if (x <= xp[0]) {
        return fp[0];
    }
    if (x >= xp[n - 1]) {
        return fp[n - 1];
    }
    int lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (xp[mid] <= x) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    double slope = (fp[hi] - fp[lo]) / (xp[hi] - xp[lo]);
    return slope * (x - xp[lo]) + fp[lo];
}

/* ---- the fine table ---- */

typedef struct table {
    int n, cap;
    double *r, *m, *lrho, *lP, *lr;
    int *kind;
} table;

static void table_free(table *t)
{
    free(t->r), free(t->m), free(t->lrho), free(t->lP), free(t->lr), free(t->kind);
}

static int table_grow(table *t, int add)
{
    if (t->n + add <= t->cap) {
        return SNF_OK;
    }
    int cap = t->n + add + 1024;
    double **arr[5] = {&t->r, &t->m, &t->lrho, &t->lP, &t->lr};
    for (int k = 0; k < 5; k++) {
        double *p = realloc(*arr[k], (size_t)cap * sizeof(double));
        if (!p) {
            SNF_ERROR(SNF_ENOMEM, "progenitor table of %d points", cap);
        }
        *arr[k] = p;
    }
    int *q = realloc(t->kind, (size_t)cap * sizeof(int));
    if (!q) {
        SNF_ERROR(SNF_ENOMEM, "progenitor table of %d points", cap);
    }
    t->kind = q;
    t->cap = cap;
    return SNF_OK;
}

/* A layer integrated in r: radii between r_bot and r_top (the surface for the envelope). */
static int table_layer(snf_prog_builder *b, const snf_prog_layer *L, double r_top, table *t)
{
    enum { NF = 20000 };
    int rc = SNF_OK;
    double r_bot = L->r_bot;
    double *rr = malloc((2 * NF + 2) * sizeof(double)), *h = malloc((2 * NF + 2) * sizeof(double));
    double *m = malloc((2 * NF + 2) * sizeof(double)), *dr = malloc((2 * NF + 2) * sizeof(double));
    if (!rr || !h || !m || !dr) {
        SNF_FAIL(SNF_ENOMEM, "progenitor table");
    }
    geomspace(r_bot, r_top, NF, rr);
    geomspace(1e-9 * r_top, 0.999 * (r_top - r_bot), NF, rr + NF);
    for (int i = NF; i < 2 * NF; i++) {
        rr[i] = r_top - rr[i];
    }
    rr[2 * NF] = r_bot;
    rr[2 * NF + 1] = r_top;
    int n = sort_unique(rr, 2 * NF + 2), k = 0;
    for (int i = 0; i < n; i++) {
        if (rr[i] >= r_bot && rr[i] <= r_top) {
            rr[k++] = rr[i];
        }
    }
    n = k;
    for (int i = 0; i < n; i++) { /* decreasing for the integration */
        dr[i] = rr[n - 1 - i];
    }
    if ((rc = snf_prog_sample_layer(b, L, dr, n, h, m)) < 0 || (rc = table_grow(t, n)) < 0) {
        goto cleanup;
    }
    for (int i = n - 1; i >= 0; i--) {
        double rho = snf_prog_rho_of_h(h[i], L->K, L->n);
        int j = t->n++;
        t->r[j] = dr[i];
        t->m[j] = m[i];
        t->lrho[j] = log(rho);
        t->lP[j] = log(L->K * pow(rho, 1.0 + 1.0 / L->n));
        t->lr[j] = log(dr[i]);
        t->kind[j] = L->kind;
    }
cleanup:
    free(rr), free(h), free(m), free(dr);
    return rc;
}

static _Thread_local const double *cmp_m_base;
static int cmp_by_m(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    double x = cmp_m_base[i], y = cmp_m_base[j];
    return x < y ? -1 : (x > y ? 1 : (i > j) - (i < j));
}

/* The zone's composition (a blend inside the H/He transition). */
static void zone_comp(const snf_prog_builder *b, int kind, double m, double *x)
{
    if (kind != SNF_PROG_HE || m <= b->m_mix_bot) {
        memcpy(x, b->x[kind], SNF_PROG_NISO * sizeof(double));
        return;
    }
    double s = snf_prog_mix_s(b, m);
    for (int k = 0; k < SNF_PROG_NISO; k++) {
        x[k] = (1.0 - s) * b->x[SNF_PROG_ENV][k] + s * b->x[SNF_PROG_HE][k];
    }
}

static int make_profile(snf_prog_builder *b, snf_rhd_profile *out, snf_prog_info *info)
{
    int rc = SNF_OK;
    table t;
    memset(&t, 0, sizeof t);
    double *mk = NULL, *rk = NULL, *q = NULL, *rq = NULL;
    int *idx = NULL;
    for (int l = b->nl - 1; l >= 0; l--) { /* innermost first: increasing r */
        const snf_prog_layer *L = &b->L[l];
        rc = table_layer(b, L, L->kind == SNF_PROG_ENV ? b->r_tr : L->r_top, &t);
        if (rc < 0) {
            goto cleanup;
        }
    }
    /* r(m): the distinct masses, each with its first radius */
    idx = malloc((size_t)t.n * sizeof *idx);
    mk = malloc((size_t)t.n * sizeof *mk);
    rk = malloc((size_t)t.n * sizeof *rk);
    if (!idx || !mk || !rk) {
        SNF_FAIL(SNF_ENOMEM, "progenitor table");
    }
    for (int i = 0; i < t.n; i++) {
        idx[i] = i;
    }
    cmp_m_base = t.m;
    qsort(idx, (size_t)t.n, sizeof *idx, cmp_by_m);
    int nk = 0;
    for (int i = 0; i < t.n; i++) {
        if (nk == 0 || t.m[idx[i]] != mk[nk - 1]) {
            mk[nk] = t.m[idx[i]];
            rk[nk++] = t.r[idx[i]];
        }
    }
    /* output masses */
    const double Msun = SNF_PROG_MSUN, Mt = t.m[t.n - 1], m_in = b->m_in;
    enum { NU = 1500, NS = 500, NI = 300, NF = 41 };
    int nq = NU + NS + NI + 2 * NF + 2;
    q = malloc((size_t)nq * sizeof *q);
    rq = malloc((size_t)nq * sizeof *rq);
    if (!q || !rq) {
        SNF_FAIL(SNF_ENOMEM, "progenitor zones");
    }
    double *p = q;
    linspace(m_in, Mt, NU, p);
    p += NU;
    geomspace(1e-9 * Msun, 1.0 * Msun, NS, p);
    for (int i = 0; i < NS; i++) {
        p[i] = Mt - p[i];
    }
    p += NS;
    geomspace(1e-4 * Msun, 1.0 * Msun, NI, p);
    for (int i = 0; i < NI; i++) {
        p[i] = m_in + p[i];
    }
    p += NI;
    const double mif[2] = {b->M_CO, b->m_mix_top}; /* the density jumps */
    for (int k = 0; k < 2; k++, p += NF) {
        linspace(-0.05, 0.05, NF, p);
        for (int i = 0; i < NF; i++) {
            p[i] = mif[k] + p[i] * Msun;
        }
    }
    p[0] = m_in;
    p[1] = Mt;
    nq = sort_unique(q, nq);
    int k = 0;
    for (int i = 0; i < nq; i++) {
        if (q[i] >= m_in && q[i] <= Mt) {
            q[k++] = q[i];
        }
    }
    nq = k;
    /* the profile */
    memset(out, 0, sizeof *out);
    out->n = out->nc = nq;
    out->ncomp = SNF_PROG_NISO;
    out->mass = malloc((size_t)nq * sizeof(double));
    out->r = malloc((size_t)nq * sizeof(double));
    out->T = malloc((size_t)nq * sizeof(double));
    out->rho = calloc((size_t)nq, sizeof(double));
    out->v = calloc((size_t)nq, sizeof(double));
    out->A = malloc(SNF_PROG_NISO * sizeof(double));
    out->Z = malloc(SNF_PROG_NISO * sizeof(double));
    out->cmass = malloc((size_t)nq * sizeof(double));
    out->comp = malloc((size_t)nq * SNF_PROG_NISO * sizeof(double));
    if (!out->mass || !out->r || !out->T || !out->rho || !out->v || !out->A || !out->Z || !out->cmass || !out->comp) {
        SNF_FAIL(SNF_ENOMEM, "profile of %d zones", nq);
    }
    memcpy(out->A, snf_prog_iso_A, sizeof snf_prog_iso_A);
    memcpy(out->Z, snf_prog_iso_Z, sizeof snf_prog_iso_Z);
    const double top_he = b->m_mix_top; /* the He polytrope reaches the top of the transition */
    for (int i = 0; i < nq; i++) {
        double m = q[i], r = interp(m, mk, rk, nk);
        int kind = m <= b->M_CO ? SNF_PROG_CO : (m <= top_he ? SNF_PROG_HE : SNF_PROG_ENV);
        /* the layer's own rows of the table (contiguous) */
        int a = 0;
        while (a < t.n && t.kind[a] != kind) {
            a++;
        }
        int e = a;
        while (e < t.n && t.kind[e] == kind) {
            e++;
        }
        if (e - a < 2) {
            SNF_FAIL(SNF_ENONFINITE, "zone at %g Msun: its layer has no table", m / Msun);
        }
        double lr = log(r);
        double rho = exp(interp(lr, t.lr + a, t.lrho + a, e - a)), P = exp(interp(lr, t.lr + a, t.lP + a, e - a));
        double *x = out->comp + (size_t)i * SNF_PROG_NISO;
        zone_comp(b, kind, m, x);
        double T = snf_prog_temperature(P, rho, x);
        if (!isfinite(T) || !isfinite(rho) || !(r > 0)) {
            SNF_FAIL(SNF_ENONFINITE, "zone at %g Msun: rho = %g, T = %g", m / Msun, rho, T);
        }
        out->mass[i] = out->cmass[i] = m;
        out->r[i] = r;
        out->rho[i] = rho;
        out->T[i] = T;
    }
    for (int i = 1; i < nq; i++) {
        if (!(out->r[i] > out->r[i - 1])) {
            SNF_FAIL(SNF_ENONFINITE, "radius not increasing at zone %d (%g Msun)", i + 1, q[i] / Msun);
        }
    }
    if (info) {
        info->R0 = out->r[nq - 1];
        info->M = out->mass[nq - 1];
    }
cleanup:
    if (rc < 0) {
        snf_rhd_profile_free(out);
    }
    table_free(&t);
    free(idx), free(mk), free(rk), free(q), free(rq);
    return rc;
}

/* ---- parameters ---- */

#define KNOB(opt, field, lo, hi, what) {opt, offsetof(snf_prog_params, field), lo, hi, what}
static const snf_prog_knob knobs[] = {
    KNOB("--mass", M_tot, 6.0, 60.0, "total mass [Msun]"),
    KNOB("--radius", R0, 1e12, 2e13, "radius, where T = T_eff(L_star, R0) [cm]"),
    KNOB("--mhe", M_He, 2.3, 20.0, "H/He interface mass [Msun] (default clip(0.35 M, 3, 8))"),
    KNOB("--mco", M_CO, 1.5, 15.0, "He/CO interface mass [Msun] (default max(0.55 M_He, m_in + 0.5))"),
    KNOB("--rhe", R_He, 2e10, 3e11, "radius of the H/He interface [cm]"),
    KNOB("--min", m_in, 1.0, 2.0, "central point mass [Msun]"),
    KNOB("--rin", r_in, 0.0, 1e10, "radius of the central point mass [cm] (0: H/He jump = mu ratio)"),
    KNOB("--lstar", L_star, 1e4, 1e6, "luminosity that sets the surface temperature [Lsun]"),
    KNOB("--n-env", n_env, 1.5, 4.0, "polytropic index of the H envelope"),
    KNOB("--he-fraction", he_frac, 0.15, 0.5, "He-core mass over total mass (instead of --mhe)"),
    KNOB("--hhe-width", hhe_width, 0.0, 2.0, "mass width of the H/He composition transition [Msun] (0: sharp)"),
    KNOB("--x-env", X_env, 0.4, 0.8, "hydrogen mass fraction of the envelope"),
    KNOB("--z-env", Z_env, 0.0, 0.04, "metal mass fraction of the envelope"),
};

const snf_prog_knob *snf_prog_knobs(int *n)
{
    *n = (int)(sizeof knobs / sizeof knobs[0]);
    return knobs;
}

snf_prog_params snf_prog_default(void)
{
    snf_prog_params p = {NAN, NAN, NAN, NAN, 7.0e10, 1.30, 1.0e9, 1.0e5, 3.0, NAN, 0.0, 0.70, 0.01};
    return p;
}

int snf_prog_check(const snf_prog_params *p)
{
    for (size_t k = 0; k < sizeof knobs / sizeof knobs[0]; k++) {
        const snf_prog_knob *q = &knobs[k];
        double v = *(const double *)((const char *)p + q->offset);
        int optional = q->offset == offsetof(snf_prog_params, M_He) || q->offset == offsetof(snf_prog_params, M_CO) ||
                       q->offset == offsetof(snf_prog_params, he_frac);
        if (isnan(v) && optional) {
            continue;
        }
        if (isnan(v)) {
            SNF_ERROR(SNF_EINVAL, "%s is required (%s, in [%g, %g])", q->option, q->what, q->lo, q->hi);
        }
        if (!(v >= q->lo && v <= q->hi)) {
            SNF_ERROR(SNF_EINVAL, "%s = %g: outside [%g, %g] (%s)", q->option, v, q->lo, q->hi, q->what);
        }
    }
    if (!isnan(p->M_He) && !isnan(p->he_frac)) {
        SNF_ERROR(SNF_EINVAL, "--mhe and --he-fraction both set: give one");
    }
    double mhe = !isnan(p->M_He) ? p->M_He : (!isnan(p->he_frac) ? p->he_frac * p->M_tot : fmin(fmax(0.35 * p->M_tot, 3.0), 8.0));
    double mco = !isnan(p->M_CO) ? p->M_CO : fmax(0.55 * mhe, p->m_in + 0.5);
    const char *who = !isnan(p->he_frac) ? "--he-fraction" : "--mhe";
    if (mco < p->m_in + 0.5) {
        SNF_ERROR(SNF_EINVAL, "--mco = %g: must be at least --min + 0.5 = %g Msun", mco, p->m_in + 0.5);
    }
    if (mhe - 0.5 * p->hhe_width < mco + 0.3) {
        SNF_ERROR(SNF_EINVAL, "%s: M_He = %g Msun with --hhe-width %g leaves the He layer under 0.3 Msun above M_CO = %g "
                              "(need M_He - width/2 >= M_CO + 0.3)", who, mhe, p->hhe_width, mco);
    }
    if (mhe + 0.5 * p->hhe_width > p->M_tot - 1.0) {
        SNF_ERROR(SNF_EINVAL, "%s: M_He = %g Msun with --hhe-width %g leaves under 1 Msun of envelope in --mass %g "
                              "(need M_He + width/2 <= M - 1)", who, mhe, p->hhe_width, p->M_tot);
    }
    if (p->R_He > 0.05 * p->R0) {
        SNF_ERROR(SNF_EINVAL, "--rhe = %g cm: must be at most 0.05 --radius = %g cm", p->R_He, 0.05 * p->R0);
    }
    if (p->r_in > 0 && p->r_in > 0.5 * p->R_He) {
        SNF_ERROR(SNF_EINVAL, "--rin = %g cm: must be below half --rhe = %g cm", p->r_in, 0.5 * p->R_He);
    }
    return SNF_OK;
}

int snf_prog_build(const snf_prog_params *p, snf_rhd_profile *out, snf_prog_info *info)
{
    memset(out, 0, sizeof *out);
    SNF_CHECK(snf_prog_check(p));
    snf_prog_builder b;
    SNF_CHECK(snf_prog_builder_init(&b, p));
    int rc = snf_prog_structure(&b, info);
    if (rc == SNF_OK) {
        rc = make_profile(&b, out, info);
    }
    snf_prog_builder_free(&b);
    return rc;
}

double snf_prog_hse_residual(const snf_rhd_profile *p, double m_lo, double m_hi, double *median, int *where)
{
    const double PI = 3.14159265358979323846;
    double worst = 0.0;
    double *res = malloc((size_t)p->n * sizeof *res);
    int nr = 0;
    for (int i = 0; i + 1 < p->n && res; i++) {
        const double *x0 = p->comp + (size_t)i * (size_t)p->ncomp, *x1 = x0 + p->ncomp;
        if (p->ncomp != SNF_PROG_NISO || memcmp(x0, x1, SNF_PROG_NISO * sizeof(double)) != 0 || p->mass[i] < m_lo ||
            p->mass[i + 1] > m_hi) {
            continue;
        }
        double P0 = snf_prog_pressure(p->rho[i], p->T[i], x0), P1 = snf_prog_pressure(p->rho[i + 1], p->T[i + 1], x1);
        double mc = 0.5 * (p->mass[i] + p->mass[i + 1]), rc = 0.5 * (p->r[i] + p->r[i + 1]);
        double want = -SNF_PROG_G * mc / (4.0 * PI * rc * rc * rc * rc);
        double e = fabs((P1 - P0) / (p->mass[i + 1] - p->mass[i]) / want - 1.0);
        res[nr++] = e;
        if (e > worst) {
            worst = e;
            if (where) {
                *where = i;
            }
        }
    }
    if (median) {
        *median = NAN;
        if (nr > 0) {
            qsort(res, (size_t)nr, sizeof *res, cmp_double);
            *median = res[nr / 2];
        }
    }
    free(res);
    return nr > 0 ? worst : NAN;
}
