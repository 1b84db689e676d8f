/* grids/grid.h: runs a dataset campaign (config.h) into a dataset file (h5.h). OpenMP over the models of a
 * block with one snf_model workspace per thread; the calling thread alone writes, block after block,
 * so memory stays flat however many models there are. Resumable: the campaign lives in FILE.tmp with
 * pending rows marked, a rerun skips finished blocks, and FILE is renamed into place only when complete.
 * Sharding (--shard I/N, MPI ranks) computes a block-aligned contiguous part into its own file; join
 * builds one virtual-dataset file over the shards. It prints nothing except the optional progress line. */
#ifndef SNFORGE_GRIDS_GRID_H
#define SNFORGE_GRIDS_GRID_H

#include "snforge/export.h"

#include <stdio.h>

#include "snforge/grids/config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

typedef struct snf_grid_options {
    int threads;       /* OpenMP threads (0: the OpenMP default; on a busy machine see snf_omp_passive_reexec and
                        * snf_threads_auto in nn.h, which the snforge program calls first) */
    int shard_index;   /* this shard, 0 .. shard_count-1 */
    int shard_count;   /* 1: no sharding */
    FILE *progress;    /* progress line target (NULL: none), e.g. stderr when it is a terminal */
    long stop_after;   /* testing: stop (as if killed) after writing this many blocks; 0 = never */
    const char *hydro_tables; /* model = hydro: the folder of the OPAL tables codataa ... codatae and
                               * GridPattern.dat (the program's rhd/tables) */
} snf_grid_options;

#define SNF_GRID_STATUS_MIN (-16) /* failure histogram covers codes SNF_GRID_STATUS_MIN .. +15 */
#define SNF_GRID_STATUS_MAX 15

typedef struct snf_grid_summary {
    char path[1024];      /* the file written (the shard's file when sharding) */
    long n_rows;          /* rows in this file */
    long n_computed;      /* rows computed by this run */
    long n_skipped;       /* rows found already written (resume) */
    long n_ok, n_warn, n_failed; /* over all rows of the file, by status = 0, > 0, < 0 */
    long by_status[SNF_GRID_STATUS_MAX - SNF_GRID_STATUS_MIN + 1]; /* index status - MIN */
    long by_status_other; /* statuses outside the histogram */
    int already_complete; /* 1: the file was complete; nothing was done */
    int stopped;          /* 1: stopped early through stop_after (the .tmp remains) */
    long n_reread_bad;    /* rows of finished blocks that failed to read back on resume (recomputed) */
    int restarted;        /* 1: the .tmp was unreadable (killed inside an HDF5 metadata write) or failed its
                           * checks (a damaged attribute or time): started over */
    char restart_why[256]; /* why, when restarted */
    double wall_s;        /* wall time of this run */
    double file_bytes;    /* size of the file at the end */
    int threads;          /* threads that computed the rows */
} snf_grid_summary;

/* ---- defaults ---- */

SNF_API snf_grid_options snf_grid_options_default(void);

/* ---- helpers ---- */

/* Rows [row0, row0 + n) of shard i of count for a campaign of N rows in blocks of block rows: whole
 * blocks, spread as evenly as possible. */
SNF_API void snf_grid_shard_range(long N, long block, int i, int count, long *row0, long *n);

/* The file of shard i of count for output path "F.h5": "F.shard<i>-of-<count>.h5". */
SNF_API void snf_grid_shard_path(char *buf, size_t n, const char *path, int i, int count);

/* /params rows row0 .. row0+n-1 of the campaign into x[n][P]: what every writer of the campaign agrees on. */
SNF_API int snf_grid_params(const snf_campaign *c, snf_sampler *s, long row0, long n, double *x);

/* ---- run ---- */

/* Runs (or resumes) campaign c into path (or its shard file). SNF_OK when the file is complete (also
 * when it already was: sum->already_complete); SNF_EEXIST if path exists but holds another campaign or
 * is not complete; SNF_EINVAL if the .tmp holds a different campaign (message says how to proceed);
 * SNF_EHDF5 / SNF_EIO / SNF_ENOMEM when the work fails. Failed models are not failures of the run:
 * they are counted in sum and recorded in /status and /status_msg. */
SNF_API int snf_grid_run(const snf_campaign *c, const char *path, const snf_grid_options *opt,
                 snf_grid_summary *sum);

/* Joins the count complete shard files of path into path (virtual datasets). Checks each shard holds
 * campaign c. SNF_OK (*already = 1 if path was already a complete join of c: nothing is rewritten);
 * SNF_EIO if a shard is missing or incomplete; SNF_EINVAL if one holds another campaign; SNF_EEXIST if
 * path exists and is not a complete file of c. */
SNF_API int snf_grid_join(const snf_campaign *c, const char *path, int count, int *already);

/* ---- MPI (grid_mpi.c; without SNF_HAVE_MPI: one process, rank 0 of 1, nothing to combine) ---- */

/* MPI_Init and this process's rank and the number of ranks. */
SNF_API void snf_grid_mpi_init(int *argc, char ***argv, int *rank, int *size);
SNF_API void snf_grid_mpi_finalize(void);
/* After every rank ran its shard (snf_grid_run with shard rank/size): *worst = the largest `code` of all
 * ranks (every rank); on rank 0, *tot = the summaries combined (counts and file sizes summed, wall time the
 * longest, path "PATH (K ranks)"), and if every rank's code was 0 and none stopped early, the shards are
 * joined into path (snf_grid_join) and *joined = 1. Collective. Returns SNF_OK or the join's failure. */
SNF_API int snf_grid_mpi_combine(const snf_campaign *c, const char *path, int rank, int size, int code,
                         const snf_grid_summary *sum, snf_grid_summary *tot, int *worst, int *joined);
/* Rank 0's value on every rank (MPI_Bcast). Collective. */
SNF_API int snf_grid_mpi_share(int value);

#ifdef __cplusplus
}
#endif

#endif
