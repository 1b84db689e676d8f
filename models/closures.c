/* closures.c: the right-hand side of the AF89 energy equation with the three front closures,
 * and the root functions that switch the front between moving, frozen, floor and gone.
 *
 * State y = (phi, w = 1 - x_i); s = R/R0 = 1 + t/t_h; time in days.
 *   H      = (s / x^3) (p1 zeta f_dep - phi x / t_d0)                  energy source (E1)
 *   phi'   = H - 2 phi x' / x      (temperature closure, AF89)
 *   phi'   = H                     (flux closure, Arnett 1996 eq. 13.39)
 * Temperature closure (A), exact reduction of phi psi(x) = a s^4 (notes section 2.4):
 *   x'     = psi (4 phi s'/s - H) / (phi (psi' - 2 psi / x)),  frozen (x' = 0) while that is > 0
 * Flux closure (B), blackbody at 2^(1/4) T_ion leaves the front (Arnett 1996, as reconstructed
 * in the notes):
 *   x'     = -(x^2 s^2 / t_i0 - phi x / t_d0) / (3 x^2 (M Q / E_th0 + phi / s)),  clamped <= 0 */
#include <math.h>

#include "internal.h"

/* ---- helpers ---- */

double snf_psi_w(double w)
{
    const double x = 1.0 - w;
    if (x < 1e-8) {
        return 1.0; /* psi(x) = 1 - (pi x)^2 / 6 + ...: below 1e-8 the correction is < 1e-15 */
    }
    return sin(M_PI * w) / (M_PI * x); /* sin(pi x) = sin(pi w), exact near the surface */
}

/* psi'(x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), with cos(pi x) = -cos(pi w). */
static double snf_dpsi_w(double w)
{
    const double x = 1.0 - w;
    if (x < 1e-5) {
        return -M_PI * M_PI * x / 3.0; /* series: the closed form cancels catastrophically here */
    }
    return (-M_PI * x * cos(M_PI * w) - sin(M_PI * w)) / (M_PI * x * x);
}

static double snf_heat(const snf_rhs_ctx *c, double t)
{
    return c->p1 * snf_heating_deposited(c, t);
}

/* Numerator of the temperature closure's x': > 0 means the front must recede. */
static double snf_temp_drive(const snf_rhs_ctx *c, double t, double phi, double H)
{
    return 4.0 * phi / (c->t_h + t) - H;
}

/* L_min - L_diff of the flux closure in units of E_th0 per day: > 0 means the front recedes. */
static double snf_flux_drive(const snf_rhs_ctx *c, double s, double phi, double x)
{
    return x * x * s * s / c->t_i0 - phi * x / c->t_d0;
}

static double snf_source(const snf_rhs_ctx *c, double t, double s, double phi, double x)
{
    return s / (x * x * x) * (snf_heat(c, t) - phi * x / c->t_d0);
}

/* ---- public (within models/) ---- */

double snf_front_speed(const snf_rhs_ctx *c, double t, double phi, double x, double w)
{
    if (c->mode != SNF_FRONT_MOVING) {
        return 0.0;
    }
    const double s = 1.0 + t / c->t_h;
    if (c->closure == SNF_CLOSURE_TEMPERATURE) {
        /* x' = psi (4 phi s'/s - H) / (phi (psi' - 2 psi/x)) with phi divided out:
         * (4 s'/s + s/(x^2 t_d0) - s heat / (x^3 phi)) psi / (psi' - 2 psi/x). Written so, it holds
         * as phi -> 0: without heating the front's speed does not depend on phi; with heating and
         * phi <= 0 (an empty core within the solver's tolerance) the heating holds the front. */
        const double heat = snf_heat(c, t);
        double bracket = 4.0 / (c->t_h + t) + s / (x * x * c->t_d0);
        if (heat > 0) {
            if (!(phi > 0)) {
                return 0.0;
            }
            bracket -= s * heat / (x * x * x * phi);
        }
        const double psi = snf_psi_w(w);
        const double xdot = psi * bracket / (snf_dpsi_w(w) - 2.0 * psi / x);
        return xdot < 0 ? xdot : 0.0; /* within the root finder's tolerance of a freeze */
    }
    if (c->closure == SNF_CLOSURE_FLUX) {
        const double num = snf_flux_drive(c, s, phi, x);
        const double xdot = -num / (3.0 * x * x * (c->q_rel + phi / s));
        return xdot < 0 ? xdot : 0.0;
    }
    return 0.0;
}

int snf_model_rhs(double t, const double *y, double *ydot, void *user)
{
    const snf_rhs_ctx *c = user;
    const double phi = y[SNF_IPHI];
    /* A trial step may put w a little below 0 while the front sits within ~1e-15 of the surface:
     * the rates there are those of w = 0 (a continuous extension; the solution keeps w' >= 0). */
    const double w = y[SNF_IW] > 0 ? y[SNF_IW] : 0.0;
    const double x = 1.0 - w;
    /* Illegal trial states make CVODE retry with a smaller step. phi may dip below 0 in a trial
     * step, or stay there within the absolute tolerance once the core has radiated its energy
     * (no heating: phi decays like exp(-t^2 / (2 t_h t_d0 x^2))). Every closure's rates are
     * finite there (snf_front_speed), so refusing phi <= 0 would stall the solver on the true
     * solution phi -> 0 (CV_REPTD_RHSFUNC_ERR at the floor without nickel). */
    if (!(x > 0) || !isfinite(phi)) {
        return 1;
    }
    const double s = 1.0 + t / c->t_h;
    const double H = snf_source(c, t, s, phi, x);
    const double xdot = snf_front_speed(c, t, phi, x, w);
    /* AF89's -2 phi x'/x renormalises the temperature profile to the shrinking core; Arnett's
     * (1996) eq. 13.39 for the flux closure has no such term: the shell's energy leaves as L_adv. */
    ydot[SNF_IPHI] = c->closure == SNF_CLOSURE_FLUX ? H : H - 2.0 * phi * xdot / x;
    ydot[SNF_IW] = -xdot;
    if (!isfinite(ydot[SNF_IPHI]) || !isfinite(ydot[SNF_IW])) {
        return 1;
    }
    return 0;
}

int snf_model_roots(double t, const double *y, double *g, void *user)
{
    const snf_rhs_ctx *c = user;
    const double phi = y[SNF_IPHI];
    const double w = y[SNF_IW];
    const double x = 1.0 - w;
    const double s = 1.0 + t / c->t_h;
    /* Every root function is > 0 while the current mode holds and fires on a downward crossing. */
    g[SNF_ROOT_SWITCH] = 1.0;
    g[SNF_ROOT_END] = 1.0;
    g[SNF_ROOT_FLOOR] = 1.0;
    if (c->mode == SNF_FRONT_MOVING || c->mode == SNF_FRONT_FROZEN) {
        const int moving = c->mode == SNF_FRONT_MOVING;
        if (c->closure == SNF_CLOSURE_TEMPERATURE) {
            g[SNF_ROOT_SWITCH] = moving ? snf_temp_drive(c, t, phi, snf_source(c, t, s, phi, x))
                                        : phi * snf_psi_w(w) - c->a_ion * s * s * s * s;
        } else if (!moving) { /* flux closure: only the first onset of the front is an event */
            g[SNF_ROOT_SWITCH] = -snf_flux_drive(c, s, phi, x);
        }
        g[SNF_ROOT_END] = x - c->ph->x_end;
        if (c->ph->x_floor > 0) {
            g[SNF_ROOT_FLOOR] = x - c->ph->x_floor;
        }
    }
    return 0;
}

snf_front_mode snf_front_switch(const snf_rhs_ctx *c, snf_front_mode m)
{
    (void)c;
    return m == SNF_FRONT_MOVING ? SNF_FRONT_FROZEN : SNF_FRONT_MOVING;
}
