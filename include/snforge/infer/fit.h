/* infer/fit.h: Bayesian fit of the semi-analytic model to one observed light curve with the affine-invariant
 * ensemble sampler (mcmc.h). The posterior (Hogg, Bovy & Lang 2010, arXiv:1008.4686, for the fitted
 * fractional error floor):
 *   ln p = sum_series sum_i [ -(y_i - m_i)^2 / (2 s_i^2) - ln s_i ],  s_i^2 = e_i^2 + (f m_i)^2
 * with y_i the observed L (erg/s) or v_ph (km/s), e_i the file's 1-sigma error (0 where not given), m_i
 * the model at t_i (v_ph = 0 where the model's front is gone) and f a fractional error floor per series
 * (the model's own error); priors uniform over the campaign's ranges (uniform in ln x on its log axes),
 * the floors log-uniform on [1e-3, 1]. Sampled coordinates: x on linear axes, ln x on log axes, ln f.
 * A model that fails has p = 0. One model workspace per OpenMP thread. */
#ifndef SNFORGE_INFER_FIT_H
#define SNFORGE_INFER_FIT_H

#include "snforge/export.h"

#include "snforge/grids.h"
#include "snforge/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SNF_FIT_MAX_DIM (SNF_CONFIG_MAX_AXES + 2)
#define SNF_FIT_FLOOR_LO 1e-3
#define SNF_FIT_FLOOR_HI 1.0

typedef struct snf_fit_opts {
    int walkers;       /* even, >= 2 D + 2 */
    long steps;        /* total iterations (a rerun continues a stored chain up to this) */
    long burn;         /* iterations dropped before the summaries; < steps */
    unsigned long seed;
    int threads;       /* OpenMP threads evaluating walkers */
    int init_draws;    /* prior draws whose best seeds the walkers' start ball */
    int has_start;     /* 1: the draws take start[] for the campaign's free axes (only the error floors vary),
                        * e.g. a network's answer: the fit starts from it (clamped into the prior box) */
    double start[SNF_CONFIG_MAX_AXES]; /* physical values, one per campaign axis in its order */
    const char *chain_path; /* HDF5 chain, written every checkpoint_steps and at the end; NULL = none */
    long checkpoint_steps;
    int quiet;
} snf_fit_opts;

SNF_API snf_fit_opts snf_fit_opts_default(void);

typedef struct snf_fit_param {
    char name[SNF_CONFIG_NAME_LEN];  /* energy, mass, ..., floor_L, floor_vph */
    char units[SNF_CONFIG_NAME_LEN];
    int log_scale;                   /* sampled in ln x */
    double lo, hi;                   /* prior range, physical units */
    double q[5];                     /* 2.5, 16, 50, 84, 97.5 % quantiles, physical units */
    double best;                     /* at the highest posterior sample */
    double tau;                      /* integrated autocorrelation time, steps (post burn-in) */
    double ess;                      /* effective sample size (post burn-in walkers x steps / tau) */
    int prior_edge;                  /* SNF_EDGE_* bits (mcmc.h): the marginal piles up at that prior edge */
    double edge_share[2];            /* share of post burn-in samples in the outer 2% of the prior at lo, hi */
} snf_fit_param;

typedef struct snf_fit_result {
    int D;
    snf_fit_param par[SNF_FIT_MAX_DIM];
    double acceptance;      /* accepted / proposed over all iterations */
    double best_lp;         /* highest ln p seen */
    long model_calls;       /* posterior evaluations of the whole chain, every run (start-up draws included) */
    long steps_done;        /* iterations in the chain (including resumed ones) */
    long steps_resumed;     /* iterations read from an existing chain */
    int tau_reliable;       /* post burn-in steps >= 50 tau for every parameter */
    double wall_s;          /* wall time of the sampling, every run of the chain together */
} snf_fit_result;

/* Fits obs under campaign c's physics and prior. Returns SNF_OK; SNF_EINVAL (an observation with no
 * L or v_ph in the model's time range, walkers too few for the dimension, a stored chain made with
 * other settings: the message says which); SNF_ENOMEM; SNF_EHDF5/SNF_EIO for the chain file. */
SNF_API int snf_fit_run(const snf_campaign *c, const snf_obs *obs, const snf_fit_opts *o, snf_fit_result *res);

/* ln p at physical parameters x[D] (the order of res->par; for tests and the best-fit curve). */
SNF_API double snf_fit_lnprob_at(const snf_campaign *c, const snf_obs *obs, const double *x_phys, int D);

#ifdef __cplusplus
}
#endif

#endif
