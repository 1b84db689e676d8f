/* solvers/ode.h: a thin wrapper over SUNDIALS CVODE for small dense systems with root functions.
 * It owns one SUNContext, the CVODE memory, vectors and a dense linear solver, all created once
 * by snf_ode_alloc and reused across solves with snf_ode_reinit (CVodeReInit): nothing is
 * allocated per solve. It knows nothing of the physics; right-hand sides see plain arrays.
 * One snf_ode serves one thread. */
#ifndef SNFORGE_SOLVERS_ODE_H
#define SNFORGE_SOLVERS_ODE_H

#include "snforge/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Right-hand side: ydot = f(t, y). Return 0 on success, > 0 for a recoverable failure (CVODE
 * retries with a smaller step), < 0 for an unrecoverable one. */
typedef int (*snf_ode_rhs_fn)(double t, const double *y, double *ydot, void *user);

/* Root functions g[0..nroots-1](t, y); a sign change of g[i] stops the integration there. */
typedef int (*snf_ode_root_fn)(double t, const double *y, double *g, void *user);

typedef enum snf_ode_method { SNF_ODE_BDF = 0, SNF_ODE_ADAMS = 1 } snf_ode_method;

typedef struct snf_ode snf_ode;

/* Returned (> 0) by snf_ode_advance when a root function changed sign before tout. */
#define SNF_ODE_ROOT 10

/* A workspace for neq equations and nroots root functions (the count is fixed for its life,
 * so switching models never reallocates: unused root functions should return a constant).
 * NULL if allocation fails. */
SNF_API snf_ode *snf_ode_alloc(int neq, int nroots, snf_ode_method method);

/* Sets the problem once per workspace; user is passed to f and g. */
SNF_API int snf_ode_set_problem(snf_ode *o, snf_ode_rhs_fn f, snf_ode_root_fn g, void *user);

/* Restarts at (t0, y0) with tolerances rtol and atol[neq], step limit max_steps and a stop time
 * t_stop the solver never steps past. SNF_OK or SNF_ECVODE with CVODE's flag name. */
SNF_API int snf_ode_reinit(snf_ode *o, double t0, const double *y0, double rtol, const double *atol,
                   long max_steps, double t_stop);

/* Restricts root i to crossings in one direction: +1 increasing, -1 decreasing, 0 both. */
SNF_API int snf_ode_set_root_direction(snf_ode *o, const int *dir);

/* Integrates towards tout. Returns SNF_OK with *t = tout and y(tout) in y, or SNF_ODE_ROOT with
 * *t the root time, y there, and found[i] != 0 for the roots that fired; SNF_ECVODE on failure
 * (message names CVODE's flag and the time). */
SNF_API int snf_ode_advance(snf_ode *o, double tout, double *t, double *y, int *found);

/* Takes one internal step (never past the stop time). Returns SNF_OK with *t the new time and y
 * there, SNF_ODE_ROOT as snf_ode_advance, or SNF_ECVODE. Outputs inside the step come from
 * snf_ode_dense: with many outputs this is cheaper than one snf_ode_advance call each. */
SNF_API int snf_ode_step(snf_ode *o, double *t, double *y, int *found);

/* y(t) from the interpolant of the last step; t must lie within that step (or at a root just
 * returned). SNF_ECVODE (CV_BAD_T) otherwise. */
SNF_API int snf_ode_dense(snf_ode *o, double t, double *y);

/* Counters since the last reinit. */
SNF_API long snf_ode_num_steps(const snf_ode *o);
SNF_API long snf_ode_num_rhs(const snf_ode *o);

/* Solver work since the last reinit (for benchmarks and tuning). */
typedef struct snf_ode_stats {
    long steps, rhs, rhs_jac, jac, lin_setups, err_fails, nonlin_iters, nonlin_fails, g_evals;
} snf_ode_stats;
SNF_API void snf_ode_get_stats(const snf_ode *o, snf_ode_stats *st);

SNF_API void snf_ode_free(snf_ode *o);

#ifdef __cplusplus
}
#endif

#endif
