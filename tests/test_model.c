/* test_model.c: the semi-analytic model against analytic limits (physics notes 2.6), the LC2 and
 * snlc reference tables, its own invariants, Popov's scaling and every class of invalid input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "snforge/models.h"
#include "snforge/core.h"

#define DAY 86400.0
#define MSUN 1.98847e33
#define TMAX 301
/* Tolerances: about ten times the error measured on 2026-11-29 (Release, gcc 12, x86-64), the figure beside
 * each. Against reference codes and published figures the difference is systematic (another code's
 * discretisation, rounded constants), not a numerical error: there the band is the measured difference
 * plus a margin, stated beside each check. */
#define TOL_COOL 7e-6   /* measured 7.2e-7 */
#define TOL_L0 5e-3     /* measured 2.8e-3: the notes' 4-digit figure with beta 13.8 (ours 13.78) */
#define TOL_TAIL_T 1e-12 /* measured 4.4e-16: after the front's end the closure returns the tail itself */
#define TOL_TAIL_F 5e-4 /* measured 5.3e-5 */
#define TOL_TRAP 4e-3   /* measured 1.4e-3: 1.35e43 is Msun x 6.78e9 rounded to 3 digits (half a unit: 3.7e-3) */
#define TOL_REC_T 7e-7  /* measured 6.6e-8 (0.05-d trapezoid at rtol 1e-9) */
#define TOL_REC_F 3e-7  /* measured 2.8e-8 */
#define PEAK_DT_TOL 0.3  /* measured 0.03 d (the fine grid itself resolves 0.025 d) */
#define PEAK_DL_TOL 1e-4 /* measured 8e-6 dex */

/* ---- helpers ---- */

typedef struct run {
    double t[4001], L[4001], v[4001], lrec[4001], x[4001], phi[4001];
    int T;
    snf_lc lc;
    int rc;
} run;

static run *run_model(const snf_sn_params *p, const snf_physics *ph, double t_max, double dt)
{
    static snf_model *m = NULL; /* one workspace reused by every run, as a grid thread would */
    if (!m) {
        m = snf_model_alloc();
    }
    run *r = calloc(1, sizeof *r);
    r->T = (int)llround(t_max / dt) + 1;
    for (int k = 0; k < r->T; k++) {
        r->t[k] = k * dt;
    }
    r->lc = (snf_lc){.L_erg_s = r->L, .vph_km_s = r->v, .L_rec_erg_s = r->lrec, .x_i = r->x, .phi = r->phi};
    r->rc = snf_model_run(m, p, ph, r->t, r->T, &r->lc);
    if (r->rc < 0) {
        printf("model failed: %s\n", snf_error_last());
    }
    return r;
}

/* Reference table columns t, L, v, ... (comment lines start with #). */
static int read_table(const char *name, double *t, double *L, double *v, int max)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/physics/reference/%s", SNF_SHARED_DIR, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(path, sizeof path, "%s/validation/data/reference/%s", SNF_SOURCE_DIR, name);
        f = fopen(path, "r");
    }
    if (!f) {
        printf("FAIL cannot open reference %s\n", name);
        return 0;
    }
    char line[512];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "%lf %lf %lf", &t[n], &L[n], &v[n]) == 3) n++;
    }
    fclose(f);
    return n;
}

/* Largest |L/L_ref - 1| over days in [d0, d1]. */
static double max_rel(const run *r, const double *Lref, int d0, int d1, int *worst)
{
    double m = 0;
    for (int d = d0; d <= d1; d++) {
        double e = fabs(r->L[d] / Lref[d] - 1.0);
        if (e > m) { m = e; *worst = d; }
    }
    return m;
}

/* snlc's physics (Arnett 1996 Table 13.2 defaults, A96 nuclear data, Colgate deposition). */
static snf_physics snlc_physics(snf_closure c)
{
    const double MeV = 1.602176634e-6, amu = 1.66053907e-24, mp = 1.67262192e-24;
    snf_physics ph = snf_physics_default();
    ph.closure = c;
    ph.beta = 13.8;
    ph.kappa_cm2_g = 0.2;
    ph.t_ion_K = 4500;
    ph.q_rec_erg_g = 0.7 * 13.6 * 1.602176634e-12 / mp;
    ph.heating = SNF_HEATING_BATEMAN;
    ph.tau_ni_d = 6.10 / log(2.0);
    ph.tau_co_d = 77.12 / log(2.0);
    double gco = 0.279 * 4.10 + 0.167 * 3.856 + 0.219 * 3.445 + 0.087 * 3.123 + 0.205 * 2.085;
    double pco = 0.5 * (0.009 * (4.556 - 3.123) + 0.181 * (4.556 - 2.085)) + 0.190 * 0.512 * 2;
    ph.eps_ni_erg_g_s = 1.72 * MeV / (55.942132 * amu * ph.tau_ni_d * DAY);
    ph.eps_co_erg_g_s = gco * MeV / (55.9398393 * amu * ph.tau_co_d * DAY);
    ph.eps_pos_erg_g_s = pco * MeV / (56 * mp * ph.tau_co_d * DAY);
    ph.gamma_mode = SNF_GAMMA_COLGATE;
    ph.kappa_gamma_cm2_g = 1.0 / 35.5;
    return ph;
}

/* LC2 v1 as run for the reference tables. */
static snf_physics lc2_physics(double kappa, double t_ion)
{
    snf_physics ph = snf_physics_default();
    ph.closure = SNF_CLOSURE_TEMPERATURE;
    ph.kappa_cm2_g = kappa;
    ph.t_ion_K = t_ion;
    ph.q_rec_erg_g = 1.6e13;
    ph.heating = SNF_HEATING_BATEMAN;
    ph.eps_ni_erg_g_s = 3.89e10;
    ph.eps_co_erg_g_s = 6.8e9;
    ph.gamma_mode = SNF_GAMMA_LUMINOSITY;
    ph.a_gamma_d2 = 1e6;
    ph.x_floor = 0.4;
    return ph;
}

/* ---- the model's scales and tail, written out by hand from the notes (not the library's helpers) ---- */

#define C_CM_S 2.99792458e10
#define FOE 1e51

/* v_sc = sqrt(10 E_k / (3 M)) (uniform sphere), t_h = R0 / v_sc, t_d0 = kappa M / (beta c R0): notes 2.1. */
typedef struct hand_scales { double e_th0, v_sc, t_h_d, t_d0_d, t_m_d, a_g_d2; } hand_scales;

static hand_scales hand_scales_of(const snf_sn_params *p, const snf_physics *ph)
{
    hand_scales h;
    double E = p->energy_foe * FOE, M = p->mass_msun * MSUN;
    h.e_th0 = ph->eth_fraction * E;
    h.v_sc = sqrt(10.0 * (E - h.e_th0) / (3.0 * M));
    h.t_h_d = p->radius_cm / h.v_sc / DAY;
    h.t_d0_d = ph->kappa_cm2_g * M / (ph->beta * C_CM_S * p->radius_cm) / DAY;
    h.t_m_d = sqrt(2 * h.t_d0_d * h.t_h_d);
    h.a_g_d2 = 3.0 * ph->kappa_gamma_cm2_g * M / (4.0 * M_PI * h.v_sc * h.v_sc) / (DAY * DAY);
    return h;
}

/* The deposited Nadyozhin (1994) decay power with the README's constants typed in here (3.90e10 and
 * 6.78e9 erg/g/s, 8.8 and 111.3 d, kappa_g 0.028 cm^2/g), f_dep = 1 - exp(-A_g / t^2) (notes 2.2-2.3),
 * so a wrong constant in the library's defaults or heating code cannot hide. */
static double hand_tail(const snf_sn_params *p, double a_g_d2, double t)
{
    double S = p->nickel_msun * MSUN * ((3.90e10 - 6.78e9) * exp(-t / 8.8) + 6.78e9 * exp(-t / 111.3));
    return (1 - exp(-a_g_d2 / (t * t))) * S;
}

/* ---- analytic limits ---- */

static void test_cooling_limit(void)
{
    /* No Ni, no recombination: phi = exp(-t/t_d0 - t^2/(2 t_h t_d0)), L = E_th0/t_d0 phi. */
    snf_sn_params p = snf_sn_params_default();
    p.nickel_msun = 0;
    snf_physics ph = snf_physics_default();
    ph.closure = SNF_CLOSURE_NONE;
    ph.kappa_cm2_g = 0.2; /* Arnett's 87A set, as in the notes' cross-check of L(0) */
    ph.rtol = 1e-9;
    hand_scales s = hand_scales_of(&p, &ph);
    run *r = run_model(&p, &ph, 300, 1);
    double worst = 0;
    for (int k = 0; k < r->T; k++) {
        double t = r->t[k];
        double L = s.e_th0 / (s.t_d0_d * DAY) * exp(-t / s.t_d0_d - t * t / (2 * s.t_h_d * s.t_d0_d));
        worst = fmax(worst, fabs(r->L[k] / L - 1));
    }
    CHECK_ABS(worst, 0, TOL_COOL, "cooling solution (no Ni, no recombination): max relative error over 0-300 d");
    CHECK_REL(r->L[0], 1.761e41, TOL_L0, "L(0) = E_th0/t_d0 for SN 1987A (notes 6.2: 1.761e41 with beta 13.8)");
    free(r);
}

typedef struct nirec { hand_scales s; double p1; snf_physics ph; } nirec;

static double nickel_integrand(double t, void *vp)
{
    const nirec *q = vp;
    double u = t / q->s.t_d0_d + t * t / (2 * q->s.t_h_d * q->s.t_d0_d);
    double zeta = (1 - q->ph.eps_co_erg_g_s / q->ph.eps_ni_erg_g_s) * exp(-t / q->ph.tau_ni_d) +
                  q->ph.eps_co_erg_g_s / q->ph.eps_ni_erg_g_s * exp(-t / q->ph.tau_co_d);
    return q->p1 * zeta * (1 + t / q->s.t_h_d) * exp(u);
}

static void test_nickel_limit(void)
{
    /* No recombination, with Ni and full trapping: phi = e^-u [1 + int p1 zeta (1 + t/t_h) e^u]. */
    snf_sn_params p = snf_sn_params_default();
    nirec q;
    q.ph = snf_physics_default();
    q.ph.closure = SNF_CLOSURE_NONE;
    q.ph.gamma_mode = SNF_GAMMA_OFF;
    q.ph.rtol = 1e-9;
    q.s = hand_scales_of(&p, &q.ph);
    q.p1 = p.nickel_msun * MSUN * q.ph.eps_ni_erg_g_s / q.s.e_th0 * DAY;
    run *r = run_model(&p, &q.ph, 300, 1);
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    gsl_function F = {.function = nickel_integrand, .params = &q};
    double worst = 0;
    for (int k = 0; k < r->T; k += 5) {
        double t = r->t[k], I = 0, err = 0;
        if (t > 0) gsl_integration_qag(&F, 0, t, 0, 1e-12, 1000, GSL_INTEG_GAUSS61, w, &I, &err);
        double u = t / q.s.t_d0_d + t * t / (2 * q.s.t_h_d * q.s.t_d0_d);
        double L = q.s.e_th0 / (q.s.t_d0_d * DAY) * exp(-u) * (1 + I);
        worst = fmax(worst, fabs(r->L[k] / L - 1));
    }
    gsl_integration_workspace_free(w);
    CHECK_ABS(worst, 0, 3e-7, "no-recombination nickel integral (Arnett 1982 with finite R0): max relative error");
    free(r);
}

static void test_tail_limit(void)
{
    /* After the front is gone and t >> t_m, L = deposited decay power f_dep S(t), written out by hand
     * here (hand_tail) with A_g = 3 kappa_g M / (4 pi v_sc^2), kappa_g = 0.028 (LC2 v2). */
    snf_sn_params p = {.energy_foe = 3.0, .mass_msun = 12.0, .radius_cm = 3e12, .nickel_msun = 0.1};
    const snf_closure cl[2] = {SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_FLUX};
    const double tol[2] = {TOL_TAIL_T, TOL_TAIL_F};
    for (int i = 0; i < 2; i++) {
        snf_physics ph = snf_physics_default();
        ph.closure = cl[i];
        run *r = run_model(&p, &ph, 600, 1);
        hand_scales s = hand_scales_of(&p, &ph);
        double E = p.energy_foe * FOE, M = p.mass_msun * MSUN;
        double v_sc = sqrt(10.0 * (E - 0.5 * E) / (3.0 * M)); /* equipartition E_th0 = E/2 */
        double a_g = 3.0 * 0.028 * M / (4.0 * M_PI * v_sc * v_sc) / (DAY * DAY);
        /* With nickel the front freezes deep inside (heating keeps the core ionized) rather than
         * ending; either way, once t >> t_m the core's diffusion time is short and L -> f_dep S. */
        double t0 = 4 * s.t_m_d;
        CHECK_TRUE(r->x[r->T - 1] < 0.01, "%s closure: front deep inside (x_i = %.4g) by day 600",
                   snf_closure_name(cl[i]), r->x[r->T - 1]);
        double worst = 0;
        for (int k = (int)ceil(t0); k < r->T; k++) {
            worst = fmax(worst, fabs(r->L[k] / hand_tail(&p, a_g, r->t[k]) - 1));
        }
        CHECK_ABS(worst, 0, tol[i], "%s closure: L = f_dep S(t) (by hand) after day %.0f", snf_closure_name(cl[i]), t0);
        free(r);
    }
    /* Full trapping, one model run: L -> 1.35e43 (M_Ni/Msun) e^{-t/111.3} at late times (notes 2.6.3;
     * 1.35e43 = Msun x 6.78e9 to 3 digits: the 0.4% is the rounding of the published figure). */
    snf_physics ph = snf_physics_default();
    ph.gamma_mode = SNF_GAMMA_OFF;
    run *r = run_model(&p, &ph, 600, 1);
    double worst = 0;
    for (int k = 400; k < r->T; k++) {
        worst = fmax(worst, fabs(r->L[k] / (1.35e43 * p.nickel_msun * exp(-r->t[k] / 111.3)) - 1));
    }
    CHECK_ABS(worst, 0, TOL_TRAP, "full-trapping model run, days 400-600, against 1.35e43 M_Ni e^-t/111.3");
    free(r);
}

static void test_recombination_bookkeeping(void)
{
    /* The integral of L_rec equals Q M (1 - x_i^3) (uniform density), for both closures. */
    snf_sn_params p = snf_sn_params_default();
    const snf_closure cl[2] = {SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_FLUX};
    const double tol_rec[2] = {TOL_REC_T, TOL_REC_F};
    for (int i = 0; i < 2; i++) {
        snf_physics ph = snf_physics_default();
        ph.closure = cl[i];
        ph.rtol = 1e-9;
        run *r = run_model(&p, &ph, 150, 0.05);
        double E = 0;
        for (int k = 0; k + 1 < r->T; k++) {
            E += 0.5 * (r->lrec[k] + r->lrec[k + 1]) * (r->t[k + 1] - r->t[k]) * DAY;
        }
        double x = r->x[r->T - 1];
        /* Q = 9.12e12 erg/g (README) typed in here, not read from the library's default */
        const double q_hand = 9.12e12;
        CHECK_REL(E, q_hand * p.mass_msun * MSUN * (1 - x * x * x), tol_rec[i],
                  "%s closure: integral of L_rec to day 150 = Q M (1 - x_i^3), x_i = %.4f", snf_closure_name(cl[i]), x);
        /* The derived summary against the integral of the L_rec series (not its own formula) */
        CHECK_REL(r->lc.derived.e_rec_erg, E, tol_rec[i], "%s closure: derived e_rec = integral of L_rec",
                  snf_closure_name(cl[i]));
        free(r);
    }
}

/* ---- invariants over the 87A-like ranges ---- */

static void test_invariants(void)
{
    unsigned long long st = 12345;
    int bad_x = 0, bad_lrec = 0, bad_v = 0, failed = 0, n = 0;
    for (int i = 0; i < 120; i++) {
        double u[4];
        for (int j = 0; j < 4; j++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            u[j] = (double)(st >> 11) / 9007199254740992.0;
        }
        snf_sn_params p = {.energy_foe = 0.5 * pow(30, u[0]), .mass_msun = 10 + 45 * u[1],
                           .radius_cm = 2e11 * pow(500, u[2]), .nickel_msun = 0.01 + 0.29 * u[3]};
        for (int c = 0; c < 2; c++) {
            snf_physics ph = snf_physics_default();
            ph.closure = c == 0 ? SNF_CLOSURE_TEMPERATURE : SNF_CLOSURE_FLUX;
            hand_scales s = hand_scales_of(&p, &ph);
            run *r = run_model(&p, &ph, 300, 1);
            n++;
            if (r->rc < 0) failed++;
            for (int k = 1; k < r->T; k++) {
                if (r->x[k] > r->x[k - 1] + 1e-12) bad_x++;
                if (r->lrec[k] < 0) bad_lrec++;
                if (isfinite(r->v[k]) && r->v[k] > s.v_sc / 1e5 * (1 + 1e-12)) bad_v++;
            }
            free(r);
        }
    }
    CHECK_INT(failed, 0, "models failed among %d random 87A-like models (both closures)", n);
    CHECK_INT(bad_x, 0, "x_i never increases");
    CHECK_INT(bad_lrec, 0, "L_rec >= 0");
    CHECK_INT(bad_v, 0, "v_ph <= v_sc");
}

/* ---- reference tables ---- */

static void test_lc2_references(void)
{
    static double t[TMAX], L[TMAX], v[TMAX];
    struct { const char *file; double kappa, tion; int floor0, floor1; double peak_day, peak_L; } refs[2] = {
        /* LC2's front reaches its hard x_min = 0.4 on days 219 / 228 and ours 2-3 days later:
         * LC2 steps the front explicitly (1-s stair-steps in L_rec) and L drops by L_rec there. */
        {"ref_lc2_87A_kappa0.20_T4500.txt", 0.20, 4500, 196, 232, 118, 4.70e41},
        {"ref_lc2_87A_kappa0.34_T5000.txt", 0.34, 5000, 201, 255, 153, 4.03e41},
    };
    for (int i = 0; i < 2; i++) {
        int n = read_table(refs[i].file, t, L, v, TMAX);
        CHECK_INT(n, TMAX, "%s rows", refs[i].file);
        if (n != TMAX) continue;
        snf_sn_params p = snf_sn_params_default();
        snf_physics ph = lc2_physics(refs[i].kappa, refs[i].tion);
        run *r = run_model(&p, &ph, 300, 1);
        int w = 0;
        /* Day 0 is excluded: LC2's first explicit front step puts a 2e39 erg/s L_rec spike there. */
        /* L: measured 1.79% / 1.40% before the floor, 1.50% / 1.13% after (systematic: LC2's explicit
         * front steps), held at 2%. */
        double e1 = max_rel(r, L, 1, refs[i].floor0 - 1, &w);
        CHECK_ABS(e1, 0, 0.02, "temperature closure vs LC2 %s, days 1-%d (worst day %d)", refs[i].file,
                  refs[i].floor0 - 1, w);
        double e2 = max_rel(r, L, refs[i].floor1 + 1, 300, &w);
        CHECK_ABS(e2, 0, 0.02, "temperature closure vs LC2 %s, days %d-300 (worst day %d)", refs[i].file,
                  refs[i].floor1 + 1, w);
        /* LC2's peak day is a whole day (its daily output): measured 0.68 / 0.70 d */
        CHECK_ABS(r->lc.derived.t_peak_d, refs[i].peak_day, 1.0, "peak day vs LC2 %s", refs[i].file);
        /* measured 0.31% / 1.1% */
        CHECK_REL(pow(10, r->lc.derived.log_lpeak), refs[i].peak_L, 0.015, "peak L vs LC2 %s", refs[i].file);
        double vw = 0;
        for (int d = 1; d < refs[i].floor0; d++) vw = fmax(vw, fabs(r->v[d] / v[d] - 1));
        CHECK_ABS(vw, 0, 0.006, "v_ph vs LC2 %s before the floor", refs[i].file); /* measured 0.38% / 0.39% */
        free(r);
    }
}

static void test_snlc_references(void)
{
    static double t[TMAX], L[TMAX], v[TMAX];
    snf_sn_params p = snf_sn_params_default();
    int n = read_table("ref_snlc_arnett96_87A_norec.txt", t, L, v, TMAX);
    CHECK_INT(n, TMAX, "snlc norec rows");
    if (n == TMAX) {
        snf_physics ph = snlc_physics(SNF_CLOSURE_NONE);
        run *r = run_model(&p, &ph, 300, 1);
        int w = 0;
        double e = max_rel(r, L, 0, 300, &w);
        CHECK_ABS(e, 0, 3e-3, "no-recombination limit vs snlc norec, days 0-300 (worst day %d)", w);
        free(r);
    }
    n = read_table("ref_snlc_arnett96_87A_slow.txt", t, L, v, TMAX);
    CHECK_INT(n, TMAX, "snlc slow rows");
    if (n == TMAX) {
        snf_physics ph = snlc_physics(SNF_CLOSURE_FLUX);
        run *r = run_model(&p, &ph, 300, 1);
        int w = 0;
        /* snlc's own x_i < 0.1 branch (after ~day 190) is self-described as unverified: L stays flat.
         * Its day 182 is a glitch of its RK45 (x_i rises 0.1205 -> 0.1208, L jumps 1.7%). */
        double e = fmax(max_rel(r, L, 0, 181, &w), max_rel(r, L, 183, 190, &w));
        CHECK_ABS(e, 0, 0.015, "flux closure vs snlc slow, days 0-190 but 182 (worst day %d)", w); /* measured 0.96% */
        /* snlc's peak day is a whole day (daily output): measured 0.44 d */
        CHECK_ABS(r->lc.derived.t_peak_d, 69, 1.0, "flux closure peak day vs snlc slow (69 d)");
        /* measured 2.8e-4; snlc prints 4 digits (half a unit 4e-4) */
        CHECK_REL(pow(10, r->lc.derived.log_lpeak), 1.243e42, 3e-3, "flux closure peak L vs snlc slow");
        double vw = 0;
        for (int d = 0; d <= 190; d++) vw = fmax(vw, fabs(r->v[d] / v[d] - 1));
        CHECK_ABS(vw, 0, 0.015, "flux closure v_ph vs snlc slow, days 0-190"); /* measured 1.03% */
        free(r);
    }
}

/* ---- Popov (1993) scaling ---- */

static void popov_point(double E, double M, double R, snf_closure cl, double kappa, double t_ion, double *tp,
                        double *Lp)
{
    snf_sn_params p = {.energy_foe = E, .mass_msun = M, .radius_cm = R, .nickel_msun = 0};
    snf_physics ph = snf_physics_default();
    ph.closure = cl;
    ph.kappa_cm2_g = kappa;
    ph.t_ion_K = t_ion;
    run *r = run_model(&p, &ph, 400, 0.25);
    *tp = r->lc.derived.t_front_end_d;
    int k = (int)llround(*tp / 2 / 0.25);
    *Lp = r->L[k];
    free(r);
}

/* Log-log slopes of t_p and L(t_p/2) in E, M, R0 by central differences (factor 1.3) around E 1 foe,
 * M 15, R0 5e13 cm, no Ni. */
static void popov_slopes(snf_closure cl, double kappa, double t_ion, double st[3], double sL[3])
{
    const double base[3] = {1.0, 15.0, 5e13}, f = 1.3;
    for (int j = 0; j < 3; j++) {
        double lo[3] = {base[0], base[1], base[2]}, hi[3] = {base[0], base[1], base[2]};
        lo[j] /= f;
        hi[j] *= f;
        double t1, L1, t2, L2;
        popov_point(lo[0], lo[1], lo[2], cl, kappa, t_ion, &t1, &L1);
        popov_point(hi[0], hi[1], hi[2], cl, kappa, t_ion, &t2, &L2);
        st[j] = log(t2 / t1) / log(f * f);
        sL[j] = log(L2 / L1) / log(f * f);
    }
}

static void test_popov_scaling(void)
{
    /* Red-supergiant radius, no Ni; the flux closure at Arnett's 87A opacity and T_ion (the setting the
     * README's figures quote). */
    const double want_t[3] = {-1.0 / 6, 0.5, 1.0 / 6}, want_L[3] = {5.0 / 6, -0.5, 2.0 / 3};
    /* Duration exponents: measured departures 0.011 (E), 0.026 (M), 0.0002 (R0); bands ~3x those for E and
     * M, and 0.005 for R0 (the end of the plateau may move by a fraction of a day with the event detection). */
    const double tol_t[3] = {0.03, 0.06, 0.005};
    const char *names[3] = {"E", "M", "R0"};
    double st[3], sL[3];
    popov_slopes(SNF_CLOSURE_FLUX, 0.2, 4500, st, sL);
    for (int j = 0; j < 3; j++) {
        CHECK_ABS(st[j], want_t[j], tol_t[j], "Popov: d ln t_p / d ln %s (flux closure, no Ni, R0 5e13)", names[j]);
        /* The model's plateau L is the blackbody at the front, 8 pi sigma T_ion^4 (x_i v_sc t)^2,
         * independent of kappa; Popov's L_p ~ kappa^-1/3. Its exponents differ by 0.1-0.2
         * (measured: E 0.95, M -0.64, R0 0.84): we test the sign and a 0.25 band. */
        CHECK_ABS(sL[j], want_L[j], 0.25, "Popov: d ln L(t_p/2) / d ln %s (departs, see README)", names[j]);
    }
    /* The README's other figures, printed for tests/test_readme.sh (not checked against Popov here). */
    printf("popov flux kappa 0.2 T_ion 4500: t %.3f %.3f %.3f L %.3f %.3f %.3f\n", st[0], st[1], st[2], sL[0], sL[1],
           sL[2]);
    popov_slopes(SNF_CLOSURE_FLUX, 0.34, 4000, st, sL);
    printf("popov flux kappa 0.34 T_ion 4000: t %.3f %.3f %.3f L %.3f %.3f %.3f\n", st[0], st[1], st[2], sL[0], sL[1],
           sL[2]);
    popov_slopes(SNF_CLOSURE_TEMPERATURE, 0.2, 4500, st, sL);
    printf("popov temperature kappa 0.2 T_ion 4500: t %.3f %.3f %.3f L %.3f %.3f %.3f\n", st[0], st[1], st[2], sL[0],
           sL[1], sL[2]);
    popov_slopes(SNF_CLOSURE_TEMPERATURE, 0.34, 4000, st, sL);
    printf("popov temperature kappa 0.34 T_ion 4000: t %.3f %.3f %.3f L %.3f %.3f %.3f\n", st[0], st[1], st[2], sL[0],
           sL[1], sL[2]);
}

/* ---- invalid input and error codes ---- */

static void test_invalid_input(void)
{
    snf_sn_params good = snf_sn_params_default();
    struct { const char *name; double *field; double bad; } cases[] = {
        {"energy", &good.energy_foe, 0}, {"energy", &good.energy_foe, -1}, {"energy", &good.energy_foe, NAN},
        {"mass", &good.mass_msun, 0},    {"mass", &good.mass_msun, -3},    {"radius", &good.radius_cm, 0},
        {"radius", &good.radius_cm, INFINITY}, {"nickel", &good.nickel_msun, -0.01},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double keep = *cases[i].field;
        *cases[i].field = cases[i].bad;
        int rc = snf_sn_params_check(&good);
        CHECK_INT(rc, SNF_EINVAL, "%s = %g rejected", cases[i].name, cases[i].bad);
        CHECK_TRUE(strstr(snf_error_last_message(), cases[i].name) != NULL &&
                       strstr(snf_error_last_message(), "expected") != NULL,
                   "message names %s and the valid range: '%s'", cases[i].name, snf_error_last_message());
        *cases[i].field = keep;
    }
    snf_closure c;
    CHECK_INT(snf_closure_parse("arnett", &c), SNF_EINVAL, "unknown closure rejected");
    snf_physics ph = snf_physics_default();
    ph.eth_fraction = 1.5;
    CHECK_INT(snf_physics_check(&ph), SNF_EINVAL, "eth_fraction 1.5 rejected");
    /* A model run with bad times and with a solver that cannot finish. */
    snf_model *m = snf_model_alloc();
    double t[3] = {0, 2, 1}, L[3], v[3];
    snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
    ph = snf_physics_default();
    CHECK_INT(snf_model_run(m, &good, &ph, t, 3, &lc), SNF_EINVAL, "non-increasing time grid rejected");
    CHECK_TRUE(isnan(L[0]), "failed run leaves NaN outputs");
    double t2[2] = {0, 300};
    ph.max_steps = 5;
    int rc = snf_model_run(m, &good, &ph, t2, 2, &lc);
    CHECK_INT(rc, SNF_ECVODE, "step limit gives SNF_ECVODE");
    CHECK_TRUE(strstr(snf_error_last_message(), "CV_TOO_MUCH_WORK") != NULL, "message carries CVODE's flag: '%s'",
               snf_error_last_message());
    /* Ejecta colder than T_ion from the start: (T_ion/T0)^4 >= 1. */
    ph = snf_physics_default();
    ph.closure = SNF_CLOSURE_TEMPERATURE;
    ph.t_ion_K = 1e9;
    CHECK_INT(snf_model_run(m, &good, &ph, t2, 2, &lc), SNF_EINVAL, "T_ion above T0 rejected");
    snf_model_free(m);
    CHECK_INT(snf_status_exit_code(SNF_EINVAL), 2, "EINVAL exits 2");
    CHECK_INT(snf_status_exit_code(SNF_ECVODE), 1, "ECVODE exits 1");
    CHECK_INT(snf_status_exit_code(SNF_WARN_NO_PEAK), 0, "warnings exit 0");
}

static void test_front_onset_regression(void)
{
    /* A 205,000-model campaign failed here (CV_ERR_FAILURE at the flux front's onset, day 32.6,
     * with atol_w = 1e-15 below the rounding noise of L_min - L_diff). */
    snf_sn_params p = {3.5749064710645704, 28.43893421985722, 6555436406512.4844, 0.097237233566562969};
    snf_physics ph = snf_physics_default();
    ph.closure = SNF_CLOSURE_FLUX;
    ph.kappa_cm2_g = 0.2;
    ph.t_ion_K = 4500;
    run *r = run_model(&p, &ph, 300, 1);
    CHECK_TRUE(r->rc >= 0, "flux closure through the front's onset at day 32.6 (rc %d)", r->rc);
    CHECK_TRUE(r->x[40] < 1 && r->x[30] == 1, "front frozen at day 30 (x %.9f), moving by day 40 (x %.9f)",
               r->x[30], r->x[40]);
    free(r);
}

static void test_peak_refinement(void)
{
    /* The derived peak on a 5-day grid (parabolic refinement) against the same model on a 0.05-day grid:
     * a second, independent sampling (tolerances at the top of the file). */
    snf_sn_params p = snf_sn_params_default();
    snf_physics ph = snf_physics_default();
    run *fine = run_model(&p, &ph, 200, 0.05);
    double tf = 0, Lf = 0;
    for (int k = 0; k < fine->T; k++) {
        if (fine->L[k] > Lf) { Lf = fine->L[k]; tf = fine->t[k]; }
    }
    run *coarse = run_model(&p, &ph, 200, 5);
    printf("peak: fine grid day %.3f log L %.6f; 5-day grid refined day %.3f log L %.6f\n", tf, log10(Lf),
           coarse->lc.derived.t_peak_d, coarse->lc.derived.log_lpeak);
    CHECK_ABS(coarse->lc.derived.t_peak_d, tf, PEAK_DT_TOL, "peak day refined on a 5-day grid vs a 0.05-day grid");
    CHECK_ABS(coarse->lc.derived.log_lpeak, log10(Lf), PEAK_DL_TOL, "log L_peak refined on a 5-day grid vs a 0.05-day grid");
    free(fine);
    free(coarse);
}

static void test_determinism_and_reuse(void)
{
    /* A reused workspace gives bit-identical results whatever ran before it. */
    snf_sn_params p = snf_sn_params_default(), q = {8, 40, 5e13, 0.2};
    snf_physics ph = snf_physics_default();
    run *a = run_model(&p, &ph, 300, 1);
    run *b = run_model(&q, &ph, 300, 1);
    run *c = run_model(&p, &ph, 300, 1);
    CHECK_TRUE(memcmp(a->L, c->L, sizeof(double) * 301) == 0, "same model, same workspace: identical L");
    free(a);
    free(b);
    free(c);
}

int main(void)
{
    gsl_set_error_handler_off();
    test_cooling_limit();
    test_nickel_limit();
    test_tail_limit();
    test_recombination_bookkeeping();
    test_invariants();
    test_lc2_references();
    test_snlc_references();
    test_popov_scaling();
    test_invalid_input();
    test_front_onset_regression();
    test_peak_refinement();
    test_determinism_and_reuse();
    return snf_check_failures();
}
