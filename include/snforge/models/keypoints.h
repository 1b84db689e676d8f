/* models/keypoints.h: what a light curve says by itself -- key points of any bolometric light curve (observed,
 * semi-analytic or hydro) and the classical estimates they give. No files, no solver.
 *
 * Key points (times in days since explosion, L in erg/s):
 *  - end of the cooling phase: the running minimum of log L from the first point on, until a later point
 *    lies 5% above it. A shock-cooling spike at the first samples (a hydro model's day 1) is not a peak:
 *    the peak is searched from here on. A curve that only declines has no peak (NaN).
 *  - peak: weighted least-squares parabola in log10 L through the points within 25% of the maximum's
 *    day (at least the 3 nearest), the maximum taken after the cooling phase; 1-sigma errors from the
 *    fit's covariance scaled by its residuals. Rise time = peak day (t = 0 is the explosion).
 *  - end of the dome: steepest fall of log10 L after the peak, from local straight-line fits over
 *    +-5 days (at least 3 points); error = half the local sampling interval (at least 0.5 d).
 *  - tail: points from end of dome + max(25 d, 2 (end of dome - peak day)) on -- the energy stored in the
 *    dome has leaked out by then (semi-analytic models: L within ~3% of the deposited decay power) --
 *    or, with fewer than 3 points there, from end of dome + 25 d; log10 L = a + b t by least squares: decline rate
 *    -250 b mag per 100 d (1 dex = 2.5 mag) with its error, L_tail at the tail's median day.
 *  - v_ph at days 15, 30, 50, 100: linear interpolation between the two nearest measurements when they
 *    lie within 10 d of the day (errors interpolated likewise), otherwise NaN.
 * Classical estimates:
 *  - nickel_from_tail: M_Ni from the tail with gamma-ray leakage, L(t) = M_Ni S(t) (1 - exp(-T0^2/t^2)),
 *    S per Msun from Nadyozhin (1994): eps_Ni = 3.90e10, eps_Co = 6.78e9 erg/g/s, tau 8.8 / 111.3 d
 *    (S = (eps_Ni - eps_Co) e^-t/tNi + eps_Co e^-t/tCo); trapping time T0 (Clocchiatti & Wheeler 1997;
 *    Jeffery 1999) profiled over 30-3000 d, M_Ni linear least squares in ln L for each T0. Error: the
 *    range of M_Ni over the T0 with chi^2 (scaled to a reduced chi^2 of 1) within 1 of its minimum,
 *    combined with the statistical error of the mean ln L and (6 tail points or more) the change of the
 *    estimate when only the later half of the tail is used (the dome's stored energy biases it high).
 *  - nickel_from_peak: Arnett's rule (Arnett 1982, ApJ 253, 785): L_peak = M_Ni S(t_peak) (full trapping).
 *  - energy, mass, radius from Popov (1993, ApJ 414, 712) inverted: t_p = 99 d k^(1/6) M10^(1/2)
 *    R500^(1/6) E51^(-1/6) T5054^(-2/3), L_p = 1.64e42 erg/s R500^(2/3) E51^(5/6) M10^(-1/2) k^(-1/3)
 *    T5054^(4/3) (k = kappa / 0.34 cm^2/g, T5054 = T_ion / 5054 K; coefficients as recalled in
 *    ../shared/physics/semi-analytic-model.md section 7, not checked against the paper), with
 *    v = sqrt(10 E / (3 M)) the homologous scale velocity; inputs t_p = end of the dome (the plateau's end),
 *    L_p = L at t_p / 2 (L_plateau), v = v_ph at day 30.
 * Domains (issue 21): each classical estimate is NaN, with the reason in popov_out / arnett_out, outside its
 *  domain. Popov (1993): a plateau -- from the end of the cooling phase (or the first point) to the end of the
 *  dome 30 days or more, L within 2x over the middle half of that stretch, no peak reached by a rise of 2x or
 *  more, v_ph at day 30 measured. A blue-supergiant dome (SN 1987A, rising 4x) is outside. Arnett's rule: a
 *  nickel-powered peak -- a peak after the cooling phase reached by a rise of 2x or more (a dome, not a
 *  plateau), and when the tail gives M_Ni, that nickel powers at least a third of the peak (nickel_from_peak
 *  <= 3 nickel_from_tail).
 * Every value is NaN when the curve does not show it (no fall after the peak, < 3 tail points, ...). */
#ifndef SNFORGE_MODELS_KEYPOINTS_H
#define SNFORGE_MODELS_KEYPOINTS_H

#include "snforge/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SNF_KP_NV 4 /* days of v_ph: 15, 30, 50, 100 */

typedef struct snf_keypoints {
    double t_peak_d, t_peak_err;
    double L_peak, L_peak_err;
    double rise_d, rise_err;            /* = peak day, explosion at t = 0 */
    double t_dome_end_d, t_dome_end_err;
    double t_tail_from_d, t_tail_to_d;  /* the points used for the tail */
    int n_tail;
    double L_tail, L_tail_err, t_tail_ref_d;
    double decline_mag_100d, decline_err;
    double vph_day[SNF_KP_NV], vph[SNF_KP_NV], vph_err[SNF_KP_NV];
    double nickel_from_tail, nickel_from_tail_err, t0_gamma_d;
    double nickel_from_peak;
    double energy_popov_foe, mass_popov_msun, radius_popov_cm;
    double t_cool_end_d, L_cool_end; /* end of the cooling phase (t NaN if the curve rises from its start) */
    double L_plateau;                /* L at half the plateau's length, Popov's L_p (NaN outside his domain) */
    /* Why an estimate is NaN though the curve was read (NULL: in its domain). Static strings. */
    const char *popov_out, *arnett_out;
} snf_keypoints;

/* Key points of one curve: t[n] strictly increasing (days), L[n] (erg/s, NaN = missing), L_err[n]
 * (NaN or 0 = not given; may be NULL), v[n] (km/s, NaN = missing; may be NULL), v_err[n] (may be NULL).
 * kappa_cm2_g and t_ion_K enter only the Popov estimates. Returns 0, or -1 if fewer than 3 L values
 * (then every field is NaN). */
SNF_API int snf_keypoints_compute(snf_keypoints *k, const double *t, const double *L, const double *L_err, const double *v,
                          const double *v_err, int n, double kappa_cm2_g, double t_ion_K);

/* Deposited 56Ni/56Co decay power per solar mass of 56Ni at t days with trapping time T0 (days; <= 0 for
 * full trapping), Nadyozhin (1994) rates: erg/s/Msun. */
SNF_API double snf_keypoints_decay_power(double t_d, double t0_d);

#ifdef __cplusplus
}
#endif

#endif
