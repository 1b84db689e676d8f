/* internal_fit.h: what mcmc_fit.c and mcmc_chain.c share (the posterior's context, the chain file). */
#ifndef SNFORGE_VALIDATION_INTERNAL_FIT_H
#define SNFORGE_VALIDATION_INTERNAL_FIT_H

#include <gsl/gsl_rng.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "snforge/infer.h"
#include "snforge/models.h"

typedef struct snf_fit_thread {
    snf_model *m;
    double *L, *v; /* [n] model at the observation's times */
} snf_fit_thread;

typedef struct snf_fit_ctx {
    const snf_campaign *c;
    int n;                      /* observation rows used (t >= 0, some value present) */
    double *t, *yL, *yv, *eL, *ev;
    int D;
    int axis_dim[SNF_CONFIG_MAX_AXES]; /* sampled coordinate of each campaign axis, -1 if fixed */
    int log_scale[SNF_FIT_MAX_DIM];
    double ulo[SNF_FIT_MAX_DIM], uhi[SNF_FIT_MAX_DIM]; /* prior box in sampled coordinates */
    int dim_floor_L, dim_floor_v;
    int n_threads;
    snf_fit_thread *th;
    long calls;                 /* serial evaluations (start-up) */
} snf_fit_ctx;

double snf_fit_lnprob(const double *u, int thread, void *user);
int snf_fit_ctx_init(snf_fit_ctx *f, const snf_campaign *c, const snf_obs *obs, int threads, snf_fit_result *res);
void snf_fit_ctx_free(snf_fit_ctx *f);

/* A text that changes when anything the chain depends on changes (data, campaign, walkers, seed). */
void snf_fit_signature(const snf_fit_ctx *f, const snf_obs *obs, const snf_campaign *c, const snf_fit_opts *o,
                       char *buf, size_t n);

/* Reads a stored chain at path if it exists: SNF_OK with *done = 0 if there is none; SNF_EINVAL if it
 * was made with another signature; fills chain/lp for its steps, the generator's state and counters. */
int snf_chain_read(const char *path, const char *sig, int W, int D, long S, double *chain, double *lp, long *done,
                   gsl_rng *r, long *accepted, long *proposed, double *wall_s, long *calls);
/* Writes the first `done` steps (atomically: path.tmp then rename) with the sampling's wall time and model calls
 * so far (all runs together). */
int snf_chain_write(const char *path, const char *sig, int W, int D, long S, const double *chain, const double *lp,
                    long done, const gsl_rng *r, long accepted, long proposed, const int *log_scale, double wall_s,
                    long calls);

#endif
