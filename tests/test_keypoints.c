/* test_keypoints.c: key points of light curves with known answers (include/snforge/keypoints.h).
 * Analytic curves: a parabola in log L (peak day and L exact), a tanh drop (steepest fall at its
 * centre), a pure 56Co-like exponential tail (decline rate exact), and a tail built here from
 * Nadyozhin's (1994) rates with gamma-ray leakage (M_Ni and T0 recovered); v_ph interpolation.
 * Semi-analytic models (the default flux closure to day 500): M_Ni from the tail within 5% of the
 * model's nickel wherever the dome ends before day 250 (a tail of >= 100 days is observed). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "snforge/models.h"

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

/* Issue 21 item 3: the peak after the cooling phase, and the classical estimates only in their domains. */
static int has(const char *s, const char *word)
{
    return s != NULL && strstr(s, word) != NULL;
}

static void test_spike_then_dome(void)
{
    /* A hydro model's day-1 shock-cooling spike (1e42 erg/s, e-folding 3 d) on an 87A-like dome (5e41 at day 70)
     * with 0.03 Msun of nickel: the peak is the dome's, not day 1 (m052 gave day 1 and Popov E 1e-7 foe). */
    for (int i = 0; i < N; i++) {
        t[i] = i + 1;
        L[i] = 1e42 * exp(-t[i] / 3.0) + 5e41 * pow(10.0, -pow((t[i] - 70.0) / 35.0, 2)) +
               0.03 * tail_power(t[i], 400) * 0.5 * (1 + tanh((t[i] - 110.0) / 5.0));
        v[i] = 6000.0 * pow(t[i] / 10.0, -0.5);
    }
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, v, NULL, 300, 0.34, 5054);
    printf("  spike + dome: cooling ends day %.0f, peak day %.1f, L %.3g; %s\n", k.t_cool_end_d, k.t_peak_d, k.L_peak,
           k.popov_out ? k.popov_out : "Popov in domain");
    CHECK_TRUE(k.t_cool_end_d > 5 && k.t_cool_end_d < 60, "spike: the cooling phase ends on day %.0f", k.t_cool_end_d);
    CHECK_TRUE(fabs(k.t_peak_d - 70.0) < 3 && k.L_peak > 4.9e41 && k.L_peak < 5.3e41,
               "spike + dome: peak day %.1f (dome at 70), L %.3g", k.t_peak_d, k.L_peak);
    CHECK_TRUE(isnan(k.energy_popov_foe) && isnan(k.mass_popov_msun) && isnan(k.radius_popov_cm) &&
                   has(k.popov_out, "dome"), "a dome is outside Popov's domain: NaN, '%s'", k.popov_out);
    CHECK_TRUE(k.arnett_out == NULL && isfinite(k.nickel_from_peak),
               "a nickel-powered dome: Arnett's rule in its domain (%.3g Msun, tail %.3g)", k.nickel_from_peak,
               k.nickel_from_tail);
}

static double plateau_curve(double td)
{
    const double plateau = pow(10.0, 42.0 - 0.0015 * td - 1.5 * (1 + tanh((td - 110.0) / 4.0)));
    return 3e42 * exp(-td / 2.0) + plateau + 0.05 * tail_power(td, 400);
}

static void test_plateau(void)
{
    /* A red-supergiant plateau: cooling from 3e42, then 1e42 declining 0.0015 dex/day, falling at day 110 onto
     * the tail of 0.05 Msun; v_ph 6000 km/s - 30 km/s per day. Popov applies; Arnett's rule does not. */
    for (int i = 0; i < N; i++) {
        t[i] = i + 1;
        L[i] = plateau_curve(t[i]);
        v[i] = 6000.0 - 30.0 * fmin(t[i], 150.0);
    }
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, v, NULL, 400, 0.34, 5054);
    printf("  plateau: end day %.1f, L_p %.3g, E %.3g foe, M %.3g Msun, R0 %.3g cm; Arnett: %s\n", k.t_dome_end_d,
           k.L_plateau, k.energy_popov_foe, k.mass_popov_msun, k.radius_popov_cm, k.arnett_out);
    CHECK_TRUE(k.popov_out == NULL && k.energy_popov_foe > 0 && k.mass_popov_msun > 0 && k.radius_popov_cm > 0,
               "a plateau is in Popov's domain (%s)", k.popov_out ? k.popov_out : "yes");
    CHECK_ABS(k.t_dome_end_d, 108.0, 3.0, "plateau: its end in the fall (centre 110, onto a bright tail)");
    CHECK_REL(k.L_plateau, plateau_curve(0.5 * k.t_dome_end_d), 0.005, "Popov's L_p is L at half the plateau");
    /* Popov's forward relations (written out here) at the estimates give back t_p, L_p and v back. */
    const double E = k.energy_popov_foe, M10 = k.mass_popov_msun / 10, R500 = k.radius_popov_cm / (500 * 6.957e10);
    CHECK_REL(99.0 * sqrt(M10) * pow(R500, 1.0 / 6) * pow(E, -1.0 / 6), k.t_dome_end_d, 1e-9, "Popov t_p round trip");
    CHECK_REL(1.64e42 * pow(R500, 2.0 / 3) * pow(E, 5.0 / 6) / sqrt(M10), k.L_plateau, 1e-9, "Popov L_p round trip");
    CHECK_REL(sqrt(10.0 * E * 1e51 / (3.0 * M10 * 10 * 1.98847e33)) / 1e5, 5100.0, 1e-3, "Popov v round trip");
    CHECK_TRUE(isnan(k.nickel_from_peak) && k.arnett_out != NULL,
               "a plateau is outside Arnett's rule: NaN, '%s'", k.arnett_out);
}

static void test_semi_analytic_dome_and_decline(void)
{
    /* The SN 1987A-like default (flux closure): a dome rising 7x, Popov out, Arnett's rule in. */
    snf_physics ph = snf_physics_default();
    snf_sn_params p = snf_sn_params_default();
    snf_model *m = snf_model_alloc();
    for (int i = 0; i < N; i++) t[i] = i;
    snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
    int rc = snf_model_run(m, &p, &ph, t, 301, &lc);
    snf_model_free(m);
    snf_keypoints k;
    snf_keypoints_compute(&k, t, L, NULL, v, NULL, 301, 0.34, 5054);
    CHECK_TRUE(rc >= 0 && isnan(k.energy_popov_foe) && has(k.popov_out, "dome"),
               "87A-like dome: Popov NaN ('%s')", k.popov_out);
    CHECK_TRUE(k.arnett_out == NULL && k.nickel_from_peak > 0.075 && k.nickel_from_peak < 3 * 0.075,
               "87A-like dome: Arnett's rule %.3g Msun (truth 0.075)", k.nickel_from_peak);
    /* A curve that only declines has no peak: not its first sample. */
    for (int i = 0; i < N; i++) {
        t[i] = i + 1;
        L[i] = 1e42 * exp(-t[i] / 40.0);
    }
    snf_keypoints_compute(&k, t, L, NULL, NULL, NULL, 200, 0.34, 5054);
    CHECK_TRUE(isnan(k.t_peak_d) && isnan(k.L_peak) && isnan(k.nickel_from_peak) && has(k.arnett_out, "no peak"),
               "a declining curve: no peak, Arnett's rule NaN ('%s')", k.arnett_out);
}

int main(void)
{
    test_spike_then_dome();
    test_plateau();
    test_semi_analytic_dome_and_decline();
    test_peak();
    test_dome_end_and_decline();
    test_tail_nickel();
    test_semi_analytic_nickel();
    return snf_check_failures();
}
