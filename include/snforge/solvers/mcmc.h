/* solvers/mcmc.h: generic Markov chain Monte Carlo numerics (no physics): the affine-invariant ensemble
 * sampler with the stretch move and the integrated autocorrelation time of its chains.
 *
 * Ensemble sampler: Goodman & Weare (2010), Comm. App. Math. Comp. Sci. 5, 65, "Ensemble samplers
 * with affine invariance", stretch move with z ~ g(z) = 1/sqrt(z) on [1/a, a] (a = 2), accepted with
 * probability min(1, z^(D-1) p(Y)/p(X)); walkers are updated in two halves, each half moved against
 * the other's positions (Foreman-Mackey et al. 2013, PASP 125, 306, section 3: the "parallel stretch
 * move"), so that the log-probabilities of a half are evaluated in parallel (OpenMP). Every random
 * number is drawn serially from one GSL generator before the parallel evaluation: a seed gives the
 * same chain for any thread count.
 *
 * Autocorrelation: the normalised autocorrelation function of each walker's series by FFT (GSL
 * radix-2, zero-padded to >= 2n), averaged over walkers, then the integrated time
 * tau = 1 + 2 sum_{t=1}^{M} rho(t) with Sokal's automatic window: the smallest M >= c tau(M), c = 5
 * (Sokal 1997, "Monte Carlo methods in statistical mechanics", section 3; as in emcee's documentation,
 * "Autocorrelation analysis & convergence"). Effective sample size = W S / tau. */
#ifndef SNFORGE_SOLVERS_MCMC_H
#define SNFORGE_SOLVERS_MCMC_H

#include "snforge/export.h"

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

/* log p(x) up to a constant for x[D]; -INFINITY (or NaN) outside the support, which is never
 * accepted. thread is the calling OpenMP thread's index in [0, threads): one workspace per thread. */
typedef double (*snf_logprob_fn)(const double *x, int thread, void *user);

typedef struct snf_mcmc {
    int W, D;         /* walkers (even, >= 2 D + 2 recommended; >= 4 required), dimensions >= 1 */
    double a;         /* stretch scale, > 1 (Goodman & Weare: 2) */
    double *pos;      /* [W][D] current positions */
    double *lp;       /* [W] log p at pos */
    long accepted;    /* proposals accepted since allocation */
    long proposed;    /* proposals made since allocation */
    long calls;       /* log-probability evaluations since allocation */
    /* scratch (allocated once) */
    double *prop, *prop_lp, *z, *u;
    int *partner;
} snf_mcmc;

/* Allocates an ensemble of W walkers in D dimensions with stretch scale a. SNF_EINVAL if W is odd,
 * W < 4, D < 1 or a <= 1; SNF_ENOMEM. */
SNF_API int snf_mcmc_alloc(snf_mcmc **out, int W, int D, double a);

/* Sets the walkers' positions x0[W][D] and evaluates log p there (in parallel with `threads` OpenMP
 * threads). SNF_EINVAL if any walker starts where log p is not finite (message names the walker). */
SNF_API int snf_mcmc_start(snf_mcmc *e, const double *x0, snf_logprob_fn f, void *user, int threads);

/* Sets positions and their log p without evaluating (resuming a stored chain). */
SNF_API void snf_mcmc_restore(snf_mcmc *e, const double *x, const double *lp);

/* One iteration: every walker proposes one stretch move (two halves in turn). r drives every
 * random choice; threads = OpenMP threads evaluating f. Returns SNF_OK. */
SNF_API int snf_mcmc_step(snf_mcmc *e, snf_logprob_fn f, void *user, gsl_rng *r, int threads);

SNF_API void snf_mcmc_free(snf_mcmc *e);

/* Normalised autocorrelation function rho[0..n-1] of x[n] (rho[0] = 1) by FFT. SNF_EINVAL if n < 2 or
 * x is constant; SNF_ENOMEM; SNF_EGSL. */
SNF_API int snf_autocorr_function(const double *x, long n, double *rho);

/* Integrated autocorrelation time of one parameter of an ensemble chain: chain[s * stride + w] is
 * walker w (of W) at step s (of S). The walkers' ACFs are averaged, then Sokal's window with constant
 * c (5). *tau in steps; *reliable = 1 when S >= 50 tau (emcee's rule of thumb), 0 otherwise. */
SNF_API int snf_autocorr_time(const double *chain, long S, int W, long stride, double c, double *tau, int *reliable);

/* ---- marginals cut by a bounded prior (edge.c) ---- */

/* A marginal "piles up" at an edge of its prior [lo, hi] when the share of its samples within the outer
 * SNF_EDGE_BAND of the range at that edge is at least SNF_EDGE_RATIO times what a uniform marginal puts
 * there (SNF_EDGE_BAND itself): 3 x 2% = 6% of the samples in the outer 2%. A posterior whose mode lies
 * beyond the edge (a Gaussian of width sigma cut at its mean) is flagged for sigma < ~0.27 of the range; an
 * interior or flat (prior-dominated) marginal is not. Measure x in the coordinate the prior is uniform in
 * (ln x on log axes). */
#define SNF_EDGE_BAND 0.02
#define SNF_EDGE_RATIO 3.0
enum { SNF_EDGE_NONE = 0, SNF_EDGE_LOW = 1, SNF_EDGE_HIGH = 2 }; /* bits: both edges = 3 */

/* Shares of x[n] within the outer band at each edge (share[0] low, share[1] high) and the edges where the
 * samples pile up (SNF_EDGE_* bits); SNF_EDGE_NONE when n < 1 or hi <= lo. */
SNF_API int snf_edge_pileup(const double *x, long n, double lo, double hi, double share[2]);

#ifdef __cplusplus
}
#endif

#endif
