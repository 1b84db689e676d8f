/* grids/sampler.h: points of a campaign in the unit cube [0,1]^D. Full factorial grid, uniform random,
 * Latin hypercube and Sobol (GSL's gsl_qrng). Point i depends only on (kind, D, N, seed, i) and the
 * grid sizes, never on which thread, shard or block asks for it, so a campaign is reproducible under
 * any split. Mapping the unit cube onto parameter ranges (linear or log) is the caller's job
 * (config.h: snf_config_point); this module knows nothing of physics or files. */
#ifndef SNFORGE_GRIDS_SAMPLER_H
#define SNFORGE_GRIDS_SAMPLER_H

#include "snforge/export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

typedef enum snf_sampler_kind {
    SNF_SAMPLER_GRID = 0,    /* full factorial: axis d has points[d] values, endpoints included;
                                index i in mixed radix, the first axis varying slowest */
    SNF_SAMPLER_UNIFORM = 1, /* independent uniform draws, counter-based (hash of seed, i, d) */
    SNF_SAMPLER_LHS = 2,     /* Latin hypercube: each axis cut into N strata, each stratum used once,
                                strata permuted per axis by a keyed bijection of [0, N) */
    SNF_SAMPLER_SOBOL = 3    /* gsl_qrng_sobol (D <= 40), point i = element i of the sequence,
                                shifted modulo 1 by a seed-dependent vector (seed 0: no shift) */
} snf_sampler_kind;

#define SNF_SAMPLER_MAX_DIM 40 /* gsl_qrng_sobol's limit; the other samplers share it */

typedef struct snf_sampler snf_sampler; /* opaque; holds the Sobol generator and its cursor */

/* ---- names ---- */

/* "grid", "uniform", "lhs", "sobol". */
SNF_API const char *snf_sampler_name(snf_sampler_kind kind);

/* Kind by name (also "random" = uniform, "latin" = lhs); SNF_EINVAL naming the choices otherwise. */
SNF_API int snf_sampler_parse(const char *name, snf_sampler_kind *out);

/* ---- life cycle ---- */

/* D dimensions, N points, a seed; points[D] (the axis sizes) is read only for SNF_SAMPLER_GRID, where
 * N must equal their product. NULL on bad arguments or allocation failure (snf_error_last says which). */
SNF_API snf_sampler *snf_sampler_alloc(snf_sampler_kind kind, int D, long N, uint64_t seed, const int *points);

/* ---- run ---- */

/* Points i0 .. i0+n-1 into u[n][D] (row-major), each coordinate in [0, 1].
 * Sequential calls with increasing i0 cost O(n); a Sobol call that goes back restarts the sequence.
 * Not thread-safe on one sampler (call it from the thread that writes, or give each thread its own).
 * SNF_OK, or SNF_EINVAL if the range leaves [0, N). */
SNF_API int snf_sampler_points(snf_sampler *s, long i0, long n, double *u);

/* L2-star discrepancy of n points u[n][D] (Warnock's formula, O(n^2 D)): a test and diagnostics helper. */
SNF_API double snf_sampler_l2_star_discrepancy(const double *u, long n, int D);

SNF_API void snf_sampler_free(snf_sampler *s);

#ifdef __cplusplus
}
#endif

#endif
