/* nn/dist.h: data parallelism across MPI ranks for the layers and networks (nn/dist.c). Sums are gathered and
 * added in rank order, in double, so every rank holds identical values whatever the network. Without
 * SNF_HAVE_MPI (or before MPI_Init) there is one rank and every call is the identity. It never calls
 * MPI_Init or MPI_Finalize (the program does) and knows nothing of data files or training. */
#ifndef SNFORGE_NN_DIST_H
#define SNFORGE_NN_DIST_H

#include "snforge/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This process's MPI rank and the number of ranks (0 and 1 without MPI or before MPI_Init). */
SNF_API void snf_dist_info(int *rank, int *size);
/* v[i] <- sum over the ranks of v[i], added in rank order in double (identical on every rank).
 * snf_dist_sum_floats needs scratch of n x ranks floats. SNF_OK, SNF_ENOMEM. */
SNF_API int snf_dist_sum_doubles(double *v, int n);
SNF_API int snf_dist_sum_floats(float *v, size_t n, float *scratch);
/* Rank 0's v[0..n) to every rank. */
SNF_API void snf_dist_bcast_doubles(double *v, int n);
/* snf_bn_reduce_fn for synchronised BatchNorm (nn.h): snf_dist_sum_doubles. */
SNF_API void snf_dist_bn_reduce(double *v, int n, void *ctx);
/* fn(ctx) on rank 0 alone (the ranks hold the same state: one writes the files) once every rank has called it,
 * its status given to every rank, a failure with rank 0's message; a collective call (every rank at the same
 * point): no rank sees fn's changes before it, every rank sees them after. One rank, or a section nested in
 * another: fn(ctx) at once. */
SNF_API int snf_dist_once(int (*fn)(void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
