/* cli_mpi.h: the MPI frame of the training commands (train, finetune, curriculum). Built with
 * -DSNF_ENABLE_MPI=ON and started by `mpirun -np K`, such a command trains data-parallel: every rank reads the
 * same inputs and holds the same state (train_loop.c, nn/dist.c), rank 0 alone takes the output's lock,
 * writes the files (snf_dist_once) and prints progress and results, and the ranks agree on one exit status at
 * the end. Without MPI, or in one process, every call is the one-process case. */
#ifndef SNFORGE_CLI_MPI_H
#define SNFORGE_CLI_MPI_H

#include "snforge/core.h"

typedef struct snf_cli_mpi {
    const char *cmd;    /* the subcommand, for messages ("train") */
    int rank, nranks;   /* this process's rank and the number of ranks (0 and 1 without MPI) */
    int owns;           /* 1: this command initialised MPI, so it finalises it */
    snf_output owner;   /* rank 0's output owner (lock -1 elsewhere) */
} snf_cli_mpi;

/* Initialises MPI unless it is already (an outer command) or was (a command of `snforge run` before this one:
 * then this process is one rank of 1), and fills m. */
void snf_cli_mpi_begin(snf_cli_mpi *m, const char *cmd, int *argc, char ***argv);

/* Rank 0 takes the lock of the output path (a folder when is_dir: created) for the whole run; every rank gets
 * its status (SNF_OK, or rank 0's failure, whose message rank 0 alone has). */
int snf_cli_mpi_lock(snf_cli_mpi *m, const char *path, int is_dir);

/* 1 on rank 0: the rank that prints messages, progress and results. */
int snf_cli_mpi_says(const snf_cli_mpi *m);

/* With more than one rank, rank 0 says so on stderr ("snforge CMD: data-parallel over K ranks; rank 0 writes
 * OUT"); one process prints nothing. */
void snf_cli_mpi_note(const snf_cli_mpi *m, const char *out);

/* Ends the run of exit status code (0, 1 or 2; after a failure the reason is snf_error_last_message): releases
 * the lock, then the ranks agree on the worst status, which is returned on every rank, and MPI is finalised
 * when m owns it. A rank that failed while rank 0 did not prints its reason ("snforge CMD (rank R): ..."), and
 * rank 0 says that another rank failed. A rank that failed and whose peers do not reach the end within a
 * 30 s (they wait in a collective call of the training for it) prints its reason and ends them all
 * (MPI_Abort with its status), so a failure on one rank never leaves the others hanging. */
int snf_cli_mpi_end(snf_cli_mpi *m, int code);

/* For commands that do not train data-parallel (run, search: their stages or trials are separate runs, some in
 * forked children): started by mpirun with more than one rank, prints why on the first rank and returns exit
 * status 2; otherwise 0. MPI is not initialised. */
int snf_cli_mpi_refuse(const char *cmd, const char *why);

#endif
