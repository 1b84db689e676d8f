/* test_model_prior.c: the semi-analytic model across the whole 87A-like prior (grids/87a_default.ini):
 * every closure, with and without nickel, with and without LC2's front floor, at the prior's corners
 * and at random interior points, integrates to day 600 or returns a documented status, and L is
 * finite and never negative. Issue 11: the temperature closure without nickel held at a floor used to
 * stall CVODE (CV_REPTD_RHSFUNC_ERR) once the core had radiated its energy (phi -> 0). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "snforge/models.h"
#include "snforge/core.h"

#define T_N 1201 /* 0, 0.5, ..., 600 days */

static double t_grid[T_N], L[T_N], V[T_N], LREC[T_N];

/* Runs one model; returns its status and counts its defects (non-finite or negative output). */
static int run_one(snf_model *m, const snf_sn_params *p, const snf_physics *ph, int *defects)
{
    snf_lc lc = {.L_erg_s = L, .vph_km_s = V, .L_rec_erg_s = LREC};
    int rc = snf_model_run(m, p, ph, t_grid, T_N, &lc);
    *defects = 0;
    if (rc < 0) {
        return rc;
    }
    for (int k = 0; k < T_N; k++) {
        if (!isfinite(L[k]) || L[k] < 0 || !(LREC[k] >= 0)) {
            (*defects)++;
        }
        if (isfinite(V[k]) && V[k] < 0) {
            (*defects)++;
        }
    }
    return rc;
}

/* Documented statuses of snf_model_run for valid inputs (model.h): success or a warning. */
static int documented(int rc)
{
    return rc == SNF_OK || rc == SNF_WARN_FRONT_FLOOR || rc == SNF_WARN_NO_PEAK;
}

static void sweep(const char *what, const snf_sn_params *pts, int n)
{
    const snf_closure closures[3] = {SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_FLUX, SNF_CLOSURE_NONE};
    const double floors[3] = {0.0, 0.1, 0.4};
    const double kappas[2] = {0.2, 0.34};
    snf_model *m = snf_model_alloc();
    for (int ci = 0; ci < 3; ci++) {
        for (int fi = 0; fi < 3; fi++) {
            for (int ni = 0; ni < 2; ni++) {
                int failed = 0, defects = 0, first_bad = -1, first_rc = 0;
                for (int i = 0; i < n; i++) {
                    for (int ki = 0; ki < 2; ki++) {
                        snf_sn_params p = pts[i];
                        if (ni == 0) p.nickel_msun = 0;
                        snf_physics ph = snf_physics_default();
                        ph.closure = closures[ci];
                        ph.x_floor = floors[fi];
                        ph.kappa_cm2_g = kappas[ki];
                        ph.t_ion_K = ki ? 4000 : 4500;
                        int d = 0;
                        int rc = run_one(m, &p, &ph, &d);
                        if (!documented(rc) || d > 0) {
                            if (first_bad < 0) {
                                first_bad = i;
                                first_rc = rc;
                                printf("  first bad: E %g M %g R %g Ni %g kappa %g: rc %d (%s), %d defects\n",
                                       p.energy_foe, p.mass_msun, p.radius_cm, p.nickel_msun, ph.kappa_cm2_g,
                                       rc, rc < 0 ? snf_error_last_message() : "", d);
                            }
                            failed += !documented(rc);
                            defects += d;
                        }
                    }
                }
                (void)first_rc;
                CHECK_INT(failed + defects, 0, "%s: %s closure, x_floor %g, %s: models failing or with L < 0",
                          what, snf_closure_name(closures[ci]), floors[fi], ni ? "with nickel" : "no nickel");
            }
        }
    }
    snf_model_free(m);
}

/* The case of issue 11, by itself: L decays to ~0 at the floor and the model reaches day 600. */
static void test_issue_case(void)
{
    snf_sn_params p = snf_sn_params_default();
    p.nickel_msun = 0;
    snf_physics ph = snf_physics_default();
    ph.closure = SNF_CLOSURE_TEMPERATURE;
    ph.x_floor = 0.4;
    ph.kappa_cm2_g = 0.2;
    ph.t_ion_K = 4500;
    snf_model *m = snf_model_alloc();
    int d = 0;
    int rc = run_one(m, &p, &ph, &d);
    CHECK_INT(rc, SNF_WARN_FRONT_FLOOR, "temperature closure, no nickel, x_floor 0.4: status");
    CHECK_INT(d, 0, "temperature closure, no nickel, x_floor 0.4: no negative or non-finite L");
    /* Without heating the held core cools as exp(-int s dt / (x^2 t_d0)): by day 400 L is below
     * 1e-9 of its day-100 value (an upper bound: at x = 0.4 the e-folding time is < 2 days). */
    CHECK_TRUE(L[800] <= 1e-9 * L[200], "core cooled at the floor: L(400 d) = %g <= 1e-9 L(100 d) = %g", L[800],
               L[200]);
    snf_model_free(m);
}

int main(void)
{
    for (int k = 0; k < T_N; k++) t_grid[k] = 0.5 * k;
    /* Prior of grids/87a_default.ini: E 0.5-15 foe (log), M 10-55 Msun, R0 2e11-1e14 cm (log),
     * M_Ni 0.01-0.3 Msun: its 16 corners, then 24 interior points from a fixed generator. */
    snf_sn_params pts[40];
    int n = 0;
    for (int c = 0; c < 16; c++) {
        pts[n++] = (snf_sn_params){.energy_foe = (c & 1) ? 15 : 0.5, .mass_msun = (c & 2) ? 55 : 10,
                                   .radius_cm = (c & 4) ? 1e14 : 2e11, .nickel_msun = (c & 8) ? 0.3 : 0.01};
    }
    unsigned long long s = 1987;
    for (; n < 40;) {
        double u[4];
        for (int j = 0; j < 4; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            u[j] = (double)(s >> 11) / 9007199254740992.0;
        }
        pts[n++] = (snf_sn_params){.energy_foe = 0.5 * pow(30.0, u[0]), .mass_msun = 10 + 45 * u[1],
                                   .radius_cm = 2e11 * pow(500.0, u[2]), .nickel_msun = 0.01 + 0.29 * u[3]};
    }
    test_issue_case();
    sweep("prior corners", pts, 16);
    sweep("prior interior", pts + 16, 24);
    return snf_check_failures();
}
