/* dist.c: data-parallel training over MPI ranks (built with -DSNF_ENABLE_MPI=ON; a serial build, or one
 * process, is one rank and every call is a no-op). Sums are made identical on every rank and
 * independent of the MPI library's reduction order: each rank's vector is gathered to all (Allgather)
 * and added in rank order, in double. MPI_Init/Finalize are the program's (cli/cli_mpi.c).
 * Files: every rank holds the same state, so rank 0 alone writes; snf_dist_once runs a write there when every
 * rank has come to it (so no rank's earlier read or decision sees it) and gives every rank its status (and
 * message), which orders each rank's later reads after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef SNF_HAVE_MPI
#include <mpi.h>
#endif

#include "snforge/core.h"
#include "snforge/nn.h"

/* ---- public API ---- */

void snf_dist_info(int *rank, int *size)
{
    *rank = 0;
    *size = 1;
#ifdef SNF_HAVE_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) {
        MPI_Comm_rank(MPI_COMM_WORLD, rank);
        MPI_Comm_size(MPI_COMM_WORLD, size);
    }
#endif
}

int snf_dist_sum_doubles(double *v, int n)
{
#ifdef SNF_HAVE_MPI
    int rank, size;
    snf_dist_info(&rank, &size);
    if (size > 1 && n > 0) {
        double *all = malloc((size_t)n * size * sizeof *all);
        if (!all) {
            SNF_ERROR(SNF_ENOMEM, "out of memory summing over %d ranks", size);
        }
        MPI_Allgather(v, n, MPI_DOUBLE, all, n, MPI_DOUBLE, MPI_COMM_WORLD);
        for (int i = 0; i < n; i++) {
            double s = 0.0;
            for (int r = 0; r < size; r++) {
                s += all[(size_t)r * n + i];
            }
            v[i] = s;
        }
        free(all);
    }
#else
    (void)v;
    (void)n;
#endif
    return SNF_OK;
}

int snf_dist_sum_floats(float *v, size_t n, float *scratch)
{
#ifdef SNF_HAVE_MPI
    int rank, size;
    snf_dist_info(&rank, &size);
    if (size > 1 && n > 0) {
        MPI_Allgather(v, (int)n, MPI_FLOAT, scratch, (int)n, MPI_FLOAT, MPI_COMM_WORLD);
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (int r = 0; r < size; r++) {
                s += scratch[(size_t)r * n + i];
            }
            v[i] = (float)s;
        }
    }
#else
    (void)v;
    (void)n;
    (void)scratch;
#endif
    return SNF_OK;
}

void snf_dist_bcast_doubles(double *v, int n)
{
#ifdef SNF_HAVE_MPI
    int rank, size;
    snf_dist_info(&rank, &size);
    if (size > 1) {
        MPI_Bcast(v, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    }
#else
    (void)v;
    (void)n;
#endif
}

/* Set on rank 0 while it runs an snf_dist_once section: a nested section runs at once (the other ranks are
 * not in it). */
static int snf_dist_in_once;

int snf_dist_once(int (*fn)(void *ctx), void *ctx)
{
    int rank, size;
    snf_dist_info(&rank, &size);
    if (size == 1 || snf_dist_in_once) {
        return fn(ctx);
    }
#ifdef SNF_HAVE_MPI
    /* every rank is here, so whatever it read or decided from the files before is done when rank 0 changes them */
    MPI_Barrier(MPI_COMM_WORLD);
    int rc = SNF_OK;
    if (rank == 0) {
        snf_dist_in_once = 1;
        rc = fn(ctx);
        snf_dist_in_once = 0;
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc < 0) { /* rank 0's reason, so that every rank fails with it */
        char msg[1024] = "";
        if (rank == 0) {
            snprintf(msg, sizeof msg, "%s", snf_error_last_message());
        }
        MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD);
        if (rank != 0) {
            return snf_error_report(rc, __FILE__, __LINE__, __func__, "%s", msg);
        }
    }
    return rc;
#else
    return fn(ctx);
#endif
}

/* The snf_bn_reduce_fn of synchronised BatchNorm. */
void snf_dist_bn_reduce(double *v, int n, void *ctx)
{
    (void)ctx;
    snf_dist_sum_doubles(v, n);
}
