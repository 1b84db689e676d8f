/* test_mcmc.c: the ensemble sampler and the autocorrelation time (solvers/, include/snforge/mcmc.h)
 * against known answers: an AR(1) series has tau = (1 + phi) / (1 - phi) and rho(t) = phi^t; the
 * stretch move leaves a 2-D correlated Gaussian invariant (detailed balance), so its chain's mean and
 * covariance approach the target's; a seed gives the same chain for 1 or 2 threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "snforge/solvers.h"
#include "snforge/core.h"

static void test_ar1(double phi)
{
    const long S = 20000;
    const int W = 32;
    double *chain = malloc((size_t)S * W * sizeof *chain);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    for (int w = 0; w < W; w++) {
        double x = gsl_ran_gaussian(r, 1.0) / sqrt(1 - phi * phi); /* stationary start */
        for (long s = 0; s < S; s++) {
            x = phi * x + gsl_ran_gaussian(r, 1.0);
            chain[s * W + w] = x;
        }
    }
    double tau;
    int reliable;
    int rc = snf_autocorr_time(chain, S, W, W, 5.0, &tau, &reliable);
    CHECK_INT(rc, SNF_OK, "AR(1) phi %g: autocorrelation time status", phi);
    /* Sokal's window estimate: its standard error is ~ tau sqrt(2 (2M + 1) / (W S)) < 1% here; its
     * truncation bias is -2 phi^(M+1) / (1 - phi) ~ -1e-3 tau for M = 5 tau. 5% holds both. */
    CHECK_REL(tau, (1 + phi) / (1 - phi), 0.05, "AR(1) phi %g: tau = (1 + phi) / (1 - phi)", phi);
    CHECK_TRUE(reliable, "AR(1) phi %g: %ld steps >= 50 tau flagged reliable", phi, S);
    double *rho = malloc((size_t)S * sizeof *rho);
    for (long s = 0; s < S; s++) chain[s] = chain[s * W]; /* walker 0 */
    snf_autocorr_function(chain, S, rho);
    CHECK_ABS(rho[0], 1.0, 1e-12, "AR(1) phi %g: rho(0) = 1", phi);
    CHECK_ABS(rho[1], phi, 0.03, "AR(1) phi %g: rho(1) = phi (one walker, 20000 steps)", phi);
    CHECK_ABS(rho[3], pow(phi, 3), 0.05, "AR(1) phi %g: rho(3) = phi^3", phi);
    free(rho);
    free(chain);
    gsl_rng_free(r);
}

/* Correlated Gaussian: mean (1, -2), sd (1, 2), correlation 0.8. */
typedef struct { double mu[2], icov[4]; } gauss2;

static double gauss_lp(const double *x, int thread, void *user)
{
    (void)thread;
    const gauss2 *g = user;
    const double d0 = x[0] - g->mu[0], d1 = x[1] - g->mu[1];
    return -0.5 * (d0 * (g->icov[0] * d0 + g->icov[1] * d1) + d1 * (g->icov[2] * d0 + g->icov[3] * d1));
}

static void run_gauss(int threads, long S, double *chain, double *acc)
{
    const double s0 = 1, s1 = 2, rho = 0.8;
    const double det = s0 * s0 * s1 * s1 * (1 - rho * rho);
    gauss2 g = {{1, -2}, {s1 * s1 / det, -rho * s0 * s1 / det, -rho * s0 * s1 / det, s0 * s0 / det}};
    const int W = 32;
    snf_mcmc *e;
    snf_mcmc_alloc(&e, W, 2, 2.0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    double x0[64];
    for (int w = 0; w < W; w++) { /* a small ball away from the mean: the chain must find it */
        x0[2 * w] = 3 + 0.1 * gsl_ran_gaussian(r, 1);
        x0[2 * w + 1] = 1 + 0.1 * gsl_ran_gaussian(r, 1);
    }
    snf_mcmc_start(e, x0, gauss_lp, &g, threads);
    for (long s = 0; s < S; s++) {
        snf_mcmc_step(e, gauss_lp, &g, r, threads);
        memcpy(chain + s * W * 2, e->pos, sizeof(double) * W * 2);
    }
    *acc = (double)e->accepted / (double)e->proposed;
    snf_mcmc_free(e);
    gsl_rng_free(r);
}

static void test_stretch_gaussian(void)
{
    const long S = 3000, burn = 600;
    const int W = 32;
    double *c1 = malloc(sizeof(double) * S * W * 2), *c2 = malloc(sizeof(double) * S * W * 2), acc, acc2;
    run_gauss(1, S, c1, &acc);
    run_gauss(2, S, c2, &acc2);
    CHECK_INT(memcmp(c1, c2, sizeof(double) * S * W * 2) == 0, 1, "same seed: identical chains with 1 and 2 threads");
    double m[2] = {0, 0}, cv[3] = {0, 0, 0};
    long n = (S - burn) * W;
    for (long s = burn; s < S; s++)
        for (int w = 0; w < W; w++) {
            m[0] += c1[(s * W + w) * 2];
            m[1] += c1[(s * W + w) * 2 + 1];
        }
    m[0] /= n;
    m[1] /= n;
    for (long s = burn; s < S; s++)
        for (int w = 0; w < W; w++) {
            double d0 = c1[(s * W + w) * 2] - m[0], d1 = c1[(s * W + w) * 2 + 1] - m[1];
            cv[0] += d0 * d0; cv[1] += d0 * d1; cv[2] += d1 * d1;
        }
    for (int k = 0; k < 3; k++) cv[k] /= n - 1;
    double tau0, tau1;
    int rel;
    double *x0 = malloc(sizeof(double) * (S - burn) * W), *x1 = malloc(sizeof(double) * (S - burn) * W);
    for (long i = 0; i < (S - burn) * W; i++) { x0[i] = c1[(burn * W + i) * 2]; x1[i] = c1[(burn * W + i) * 2 + 1]; }
    snf_autocorr_time(x0, S - burn, W, W, 5.0, &tau0, &rel);
    snf_autocorr_time(x1, S - burn, W, W, 5.0, &tau1, &rel);
    /* Monte Carlo standard error of a mean: sd sqrt(tau / n); 5 of them as the tolerance. */
    const double se0 = 1 * sqrt(tau0 / n), se1 = 2 * sqrt(tau1 / n);
    printf("  stretch move: acceptance %.3f, tau %.1f / %.1f steps, n %ld, se %.4f / %.4f\n", acc, tau0, tau1, n,
           se0, se1);
    CHECK_ABS(m[0], 1.0, 5 * se0, "stretch move on a correlated Gaussian: mean x");
    CHECK_ABS(m[1], -2.0, 5 * se1, "stretch move on a correlated Gaussian: mean y");
    CHECK_REL(cv[0], 1.0, 0.08, "stretch move: var x");
    CHECK_REL(cv[2], 4.0, 0.08, "stretch move: var y");
    CHECK_REL(cv[1], 0.8 * 1 * 2, 0.08, "stretch move: cov xy");
    CHECK_TRUE(acc > 0.2 && acc < 0.9, "stretch move acceptance %.3f in (0.2, 0.9) (Goodman & Weare: ~0.5-0.7 in 2-D)",
               acc);
    free(x0); free(x1); free(c1); free(c2);
}

static double flat_lp(const double *x, int thread, void *user)
{
    (void)thread; (void)user;
    return x[0] > 0 ? 0.0 : -INFINITY;
}

static void test_bad_input(void)
{
    snf_mcmc *e = NULL;
    CHECK_INT(snf_mcmc_alloc(&e, 5, 2, 2.0), SNF_EINVAL, "odd number of walkers refused");
    CHECK_INT(snf_mcmc_alloc(&e, 8, 2, 1.0), SNF_EINVAL, "a = 1 refused");
    snf_mcmc_alloc(&e, 4, 1, 2.0);
    double x0[4] = {1, 2, -1, 3};
    CHECK_INT(snf_mcmc_start(e, x0, flat_lp, NULL, 1), SNF_EINVAL, "a walker outside the support refused");
    snf_mcmc_free(e);
    double c[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, tau;
    int rel;
    CHECK_INT(snf_autocorr_time(c, 10, 1, 1, 5.0, &tau, &rel), SNF_EINVAL, "constant series refused");
}

/* Toy posteriors on the prior [2, 7] (50,000 draws): a marginal cut by an edge is flagged at that edge, a flat
 * (prior-only) one, an interior one and one near but inside an edge are not; the threshold sits between a
 * half-Gaussian of width 0.2 of the range (density 4x uniform at the edge: flagged) and one of 0.4 (2x: not). */
static void test_edge_pileup(void)
{
    const long n = 50000;
    const double lo = 2.0, hi = 7.0, w = hi - lo;
    double *x = malloc((size_t)n * sizeof *x), sh[2];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    struct { const char *what; double mode, sigma; int half, expect; } cases[] = {
        {"flat (prior only)", 0, 0, -1, SNF_EDGE_NONE},
        {"interior Gaussian", 0.5, 0.1, 0, SNF_EDGE_NONE},
        {"Gaussian near, inside the high edge", 0.9, 0.05, 0, SNF_EDGE_NONE},
        {"cut at the low edge, width 0.05", 0.0, 0.05, 1, SNF_EDGE_LOW},
        {"cut at the high edge, width 0.05", 1.0, 0.05, 1, SNF_EDGE_HIGH},
        {"cut at the low edge, width 0.2", 0.0, 0.2, 1, SNF_EDGE_LOW},
        {"cut at the low edge, width 0.4", 0.0, 0.4, 1, SNF_EDGE_NONE},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (long i = 0; i < n; i++) {
            double u;
            if (cases[c].half < 0) {
                u = gsl_rng_uniform(r);
            } else {
                do { /* the prior truncates: rejection to [0, 1] */
                    double g = gsl_ran_gaussian(r, cases[c].sigma);
                    u = cases[c].mode + (cases[c].half ? (cases[c].mode < 0.5 ? fabs(g) : -fabs(g)) : g);
                } while (u < 0 || u > 1);
            }
            x[i] = lo + w * u;
        }
        int got = snf_edge_pileup(x, n, lo, hi, sh);
        CHECK_TRUE(got == cases[c].expect, "edge pile-up, %s: got %d (shares %.3f low, %.3f high), expected %d",
              cases[c].what, got, sh[0], sh[1], cases[c].expect);
    }
    for (long i = 0; i < n; i++) {
        x[i] = lo + w * gsl_rng_uniform(r);
    }
    snf_edge_pileup(x, n, lo, hi, sh);
    CHECK_TRUE(fabs(sh[0] - SNF_EDGE_BAND) < 0.003 && fabs(sh[1] - SNF_EDGE_BAND) < 0.003,
          "a uniform marginal puts the band's share in each band: %.4f %.4f", sh[0], sh[1]);
    CHECK_TRUE(snf_edge_pileup(x, 0, lo, hi, sh) == SNF_EDGE_NONE && snf_edge_pileup(x, n, hi, lo, sh) == SNF_EDGE_NONE,
          "no samples or an empty range: no flag");
    gsl_rng_free(r);
    free(x);
}

int main(void)
{
    test_edge_pileup();
    test_ar1(0.5);
    test_ar1(0.9);
    test_stretch_gaussian();
    test_bad_input();
    return snf_check_failures();
}
