/* grid_mpi.c: campaigns across MPI ranks (built with -DSNF_ENABLE_MPI=ON: SNF_HAVE_MPI). Rank r of K
 * computes shard r/K with snf_grid_run; the ranks' summaries are combined on rank 0, which joins the shards
 * (snf_grid_join) when every rank finished. Without MPI every function is the one-process case (rank 0 of
 * 1, nothing to combine), so callers need no #ifdef. */
#include <stdio.h>
#include <string.h>

#ifdef SNF_HAVE_MPI
#include <mpi.h>
#endif

#include "snforge/grids.h"
#include "snforge/core.h"

void snf_grid_mpi_init(int *argc, char ***argv, int *rank, int *size)
{
    *rank = 0;
    *size = 1;
#ifdef SNF_HAVE_MPI
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
#else
    (void)argc;
    (void)argv;
#endif
}

void snf_grid_mpi_finalize(void)
{
#ifdef SNF_HAVE_MPI
    MPI_Finalize();
#endif
}

int snf_grid_mpi_combine(const snf_campaign *c, const char *path, int rank, int size, int code,
                         const snf_grid_summary *sum, snf_grid_summary *tot, int *worst, int *joined)
{
    *tot = *sum;
    *worst = code;
    *joined = 0;
#ifdef SNF_HAVE_MPI
    MPI_Allreduce(&code, worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    long mine[6] = {sum->n_rows, sum->n_ok, sum->n_warn, sum->n_failed, sum->n_computed, sum->n_skipped}, all[6];
    MPI_Reduce(mine, all, 6, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&sum->file_bytes, &tot->file_bytes, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(sum->by_status, tot->by_status, SNF_GRID_STATUS_MAX - SNF_GRID_STATUS_MIN + 1, MPI_LONG, MPI_SUM, 0,
               MPI_COMM_WORLD);
    MPI_Reduce(&sum->wall_s, &tot->wall_s, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    int stopped = sum->stopped, any_stopped = 0;
    MPI_Allreduce(&stopped, &any_stopped, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0 && *worst == 0 && !any_stopped) {
        /* A rerun after everything finished finds the joined file and the shards complete. */
        int have = 0;
        int rc = snf_grid_join(c, path, size, &have);
        if (rc < 0) {
            return rc;
        }
        tot->n_rows = all[0];
        tot->n_ok = all[1];
        tot->n_warn = all[2];
        tot->n_failed = all[3];
        tot->n_computed = all[4];
        tot->n_skipped = all[5];
        tot->already_complete = have;
        snprintf(tot->path, sizeof tot->path, "%s (%d ranks)", path, size);
        *joined = 1;
    }
#else
    (void)c;
    (void)path;
    (void)rank;
    (void)size;
#endif
    return SNF_OK;
}

int snf_grid_mpi_share(int value)
{
#ifdef SNF_HAVE_MPI
    MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return value;
}
