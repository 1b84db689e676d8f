/* cli_mpi.c: the MPI frame of train, finetune and curriculum (cli_mpi.h). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SNF_HAVE_MPI
#include <mpi.h>
#endif

#include "cli_mpi.h"
#include "snforge/core.h"
#include "snforge/nn.h"

/* How long a rank that failed waits for the others to reach the end before it ends them (seconds). */
#define SNF_CLI_MPI_FAIL_WAIT_S 30.0

/* ---- static helpers ---- */

#ifdef SNF_HAVE_MPI
/* The worst status over the ranks and rank 0's own (Iallreduce of {code, rank 0's code}, MAX). A rank whose
 * code is not 0 polls and, when the others do not arrive in time, prints its reason and aborts every rank. */
static void snf_cli_mpi_agree(const snf_cli_mpi *m, int code, int *worst, int *code0)
{
    int mine[2] = {code, m->rank == 0 ? code : 0}, all[2] = {code, code};
    MPI_Request req;
    MPI_Iallreduce(mine, all, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    if (code == 0) {
        MPI_Wait(&req, MPI_STATUS_IGNORE);
    } else {
        double t0 = snf_clock_s();
        int done = 0;
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        while (!done) {
            if (snf_clock_s() - t0 > SNF_CLI_MPI_FAIL_WAIT_S) {
                fprintf(stderr, "snforge %s (rank %d of %d): %s\nsnforge %s (rank %d): the other ranks did not "
                                "finish within %.0f s of this failure: ending them\n", m->cmd, m->rank, m->nranks,
                        snf_error_last_message(), m->cmd, m->rank, SNF_CLI_MPI_FAIL_WAIT_S);
                fflush(stderr);
                MPI_Abort(MPI_COMM_WORLD, code);
            }
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
            MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        }
    }
    *worst = all[0];
    *code0 = all[1];
}
#endif

/* ---- public API ---- */

void snf_cli_mpi_begin(snf_cli_mpi *m, const char *cmd, int *argc, char ***argv)
{
    memset(m, 0, sizeof *m);
    m->cmd = cmd;
    m->owner.lock = -1;
#ifdef SNF_HAVE_MPI
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init && !fin) {
        MPI_Init(argc, argv);
        m->owns = 1;
    }
#else
    (void)argc;
    (void)argv;
#endif
    snf_dist_info(&m->rank, &m->nranks);
}

int snf_cli_mpi_lock(snf_cli_mpi *m, const char *path, int is_dir)
{
    int rc = m->rank == 0 ? snf_output_begin(&m->owner, path, is_dir) : SNF_OK;
#ifdef SNF_HAVE_MPI
    if (m->nranks > 1) {
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
#endif
    return rc;
}

int snf_cli_mpi_says(const snf_cli_mpi *m) { return m->rank == 0; }

void snf_cli_mpi_note(const snf_cli_mpi *m, const char *out)
{
    if (m->nranks > 1 && m->rank == 0) {
        fprintf(stderr, "snforge %s: data-parallel over %d ranks; rank 0 writes %s\n", m->cmd, m->nranks, out);
    }
}

int snf_cli_mpi_end(snf_cli_mpi *m, int code)
{
    snf_output_end(&m->owner);
#ifdef SNF_HAVE_MPI
    if (m->nranks > 1) {
        int worst = code, code0 = 0;
        snf_cli_mpi_agree(m, code, &worst, &code0);
        if (m->rank != 0 && code != 0 && code0 == 0) {
            fprintf(stderr, "snforge %s (rank %d of %d): %s\n", m->cmd, m->rank, m->nranks, snf_error_last_message());
        }
        if (m->rank == 0 && code == 0 && worst != 0) {
            fprintf(stderr, "snforge %s: another rank failed (its message is above)\n", m->cmd);
        }
        code = worst;
    }
    if (m->owns) {
        MPI_Finalize();
        m->owns = 0;
    }
#endif
    return code;
}

int snf_cli_mpi_refuse(const char *cmd, const char *why)
{
#ifdef SNF_HAVE_MPI
    /* the launcher's variables (Open MPI, then MPICH/Hydra and PMIx): MPI itself is not initialised here */
    const char *size = getenv("OMPI_COMM_WORLD_SIZE"), *rank = getenv("OMPI_COMM_WORLD_RANK");
    if (!size) {
        size = getenv("PMI_SIZE");
        rank = getenv("PMI_RANK");
    }
    if (size && atoi(size) > 1) {
        if (!rank || atoi(rank) == 0) {
            fprintf(stderr, "snforge %s: does not run under mpirun with %d ranks: %s\n", cmd, atoi(size), why);
        }
        return 2;
    }
#else
    (void)cmd;
    (void)why;
#endif
    return 0;
}
