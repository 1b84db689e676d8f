/* test_keypoints.c: key points of light curves with known answers (include/snforge/keypoints.h).
 * Analytic curves: a parabola in log L (peak day and L exact), a tanh drop (steepest fall at its
 * centre), a pure 56Co-like exponential tail (decline rate exact), and a tail built here from
 * Nadyozhin's (1994) rates with gamma-ray leakage (M_Ni and T0 recovered); v_ph interpolation.
 * Semi-analytic models (the default flux closure to day 500): M_Ni from the tail within 5% of the
 * model's nickel wherever the dome ends before day 250 (a tail of >= 100 days is observed). */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "snforge/keypoints.h"
#include "snforge/model.h"

#define N 501
static double t[N], L[N], v[N];

/* Nadyozhin (1994) deposited power per Msun written out here (not the library's function). */
static double tail_power(double td, double t0)
{
    const double msun = 1.98847e33;
    const double s = (3.90e10 - 6.78e9) * exp(-td / 8.8) + 6.78e9 * exp(-td / 111.3);
    return msun * s * (1.0 - exp(-t0 * t0 / (td * td)));
}

static void test_peak(void)
{
    for (int i = 0; i < N; i++) {
        t[i] = i;
        L[i] = pow(10.0, 42.0 - pow((t[i] - 80.3) / 60.0, 2));
        v[i] = 4000.0 - 10.0 * t[i];
    }
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, v, NULL, N, 0.34, 5054);
    CHECK_ABS(k.t_peak_d, 80.3, 1e-6, "parabola in log L: peak day");
    CHECK_REL(k.L_peak, 1e42, 1e-9, "parabola in log L: peak L");
    CHECK_ABS(k.rise_d, 80.3, 1e-6, "rise time = peak day (explosion at t = 0)");
    CHECK_ABS(k.vph[1], 3700.0, 1e-9, "v_ph at day 30 by linear interpolation");
    CHECK_ABS(k.vph[2], 3500.0, 1e-9, "v_ph at day 50");
}

static void test_dome_end_and_decline(void)
{
    /* log L = 41.5 - 0.004 t - 0.5 tanh((t - 130)/6) + rising start: slope steepest at t = 130;
     * far after it the decline is 0.004 dex/day = 1.00 mag / 100 d. */
    for (int i = 0; i < N; i++) {
        t[i] = i;
        const double rise = -2.0 * exp(-t[i] / 15.0);
        L[i] = pow(10.0, 41.5 - 0.004 * t[i] - 0.5 * tanh((t[i] - 130.0) / 6.0) + rise);
    }
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, NULL, NULL, N, 0.34, 5054);
    CHECK_ABS(k.t_dome_end_d, 130.0, 0.5, "tanh drop: end of the dome at its centre (daily grid)");
    CHECK_ABS(k.decline_mag_100d, 1.00, 0.01, "tail decline 0.004 dex/day = 1.00 mag/100 d");
    CHECK_TRUE(isnan(k.vph[1]), "no velocities: v_ph NaN");
}

static void test_tail_nickel(void)
{
    /* A dome (parabola in log L) then, from day 100 on, the deposited power of 0.07 Msun with T0 = 400 d, 2%
     * errors but no noise: M_Ni and T0 are recovered. */
    for (int i = 0; i < N; i++) {
        t[i] = i + 1;
        const double dome = pow(10.0, 42.0 - pow((t[i] - 80.0) / 40.0, 2));
        L[i] = dome + (t[i] >= 100 ? 0.07 * tail_power(t[i], 400.0) : 0.0); /* dome < 1e39 after day 145 */
    }
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, NULL, NULL, N, 0.34, 5054);
    printf("  dome end %.1f, tail %.0f-%.0f (%d points)\n", k.t_dome_end_d, k.t_tail_from_d, k.t_tail_to_d, k.n_tail);
    CHECK_REL(k.nickel_from_tail, 0.07, 0.005, "analytic 56Co tail with leakage: M_Ni");
    CHECK_REL(k.t0_gamma_d, 400.0, 0.05, "analytic tail: trapping time T0");
    CHECK_TRUE(k.nickel_from_tail_err < 0.01 * 0.07, "noise-free tail: M_Ni error %.2g < 1%%",
               k.nickel_from_tail_err);
}

static void test_semi_analytic_nickel(void)
{
    const snf_sn_params ps[7] = {{1.7, 15, 3e12, 0.075}, {1.2, 18, 3e12, 0.08}, {0.6, 50, 3e11, 0.02},
                                 {5, 30, 2e13, 0.2},     {3, 12, 1e12, 0.15},  {10, 40, 5e13, 0.05},
                                 {1, 25, 5e12, 0.03}};
    snf_physics ph = snf_physics_default();
    snf_model *m = snf_model_alloc();
    for (int j = 0; j < 7; j++) {
        for (int i = 0; i < N; i++) t[i] = i + 1;
        snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
        int rc = snf_model_run(m, &ps[j], &ph, t, N - 1, &lc);
        snf_keypoints k;
        snf_keypoints_compute(&k, t, L, NULL, v, NULL, N - 1, 0.34, 5054);
        CHECK_TRUE(rc >= 0 && k.t_dome_end_d < 250, "model E %g M %g: dome ends on day %.0f < 250", ps[j].energy_foe,
                   ps[j].mass_msun, k.t_dome_end_d);
        CHECK_REL(k.nickel_from_tail, ps[j].nickel_msun, 0.05,
                  "semi-analytic E %g M %g R %g: M_Ni from the tail (days %.0f-%.0f) within 5%%", ps[j].energy_foe,
                  ps[j].mass_msun, ps[j].radius_cm, k.t_tail_from_d, k.t_tail_to_d);
    }
    snf_model_free(m);
}

int main(void)
{
    test_peak();
    test_dome_end_and_decline();
    test_tail_nickel();
    test_semi_analytic_nickel();
    return snf_check_failures();
}
