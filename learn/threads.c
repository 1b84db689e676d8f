/* threads.c: one decision about threads for the whole program. OpenMP parallelises the outermost
 * batch/channel loops of the kernels (and the grid's models); OpenBLAS then runs single-threaded inside each
 * OpenMP thread (results.md: faster than letting OpenBLAS thread one call, and two pools on 2 cores
 * oversubscribe). On a busy machine two things cost most (issue 21): OpenMP threads that spin while they wait
 * (libgomp's default spins 300,000 times at every barrier, stealing the CPU that the other threads and the
 * machine's other work need) and more threads than idle cores (a thread that is not scheduled holds every
 * barrier). snf_omp_passive_reexec and snf_threads_auto remove both. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

int snf_threads_setup(int nthreads)
{
#ifdef _OPENMP
    if (nthreads > 0) {
        omp_set_num_threads(nthreads);
    }
    openblas_set_num_threads(1);
    return omp_get_max_threads();
#else
    if (nthreads > 0) {
        openblas_set_num_threads(nthreads);
    }
    return 1;
#endif
}

int snf_threads_max(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ---- the waiting policy: chosen before libgomp starts ---- */

static int snf_env_set(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

int snf_omp_passive_reexec(char **argv)
{
#ifdef _OPENMP
    /* libgomp read its environment before main(): a policy set now would not be seen, so the program runs
     * itself again with one. A user's OMP_WAIT_POLICY or GOMP_SPINCOUNT is kept as it is; the new image sees
     * OMP_WAIT_POLICY set and does not come back here (no loop). */
    if (argv == NULL || argv[0] == NULL || snf_env_set("OMP_WAIT_POLICY") || snf_env_set("GOMP_SPINCOUNT")) {
        return 0;
    }
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0 || setenv("SNF_OMP_PASSIVE", "1", 1) != 0) {
        return -1;
    }
    fflush(NULL);
    execv("/proc/self/exe", argv);
    /* No /proc or no exec: run on with libgomp's default policy, and say nothing (the results are the
     * same, only slower on a busy machine); the variables stay set for child processes. */
    return -1;
#else
    (void)argv;
    return 0;
#endif
}

const char *snf_omp_wait_policy(void)
{
#ifdef _OPENMP
    if (snf_env_set("SNF_OMP_PASSIVE") && snf_env_set("OMP_WAIT_POLICY") &&
        strcmp(getenv("OMP_WAIT_POLICY"), "passive") == 0) {
        return "passive (chosen by snforge)";
    }
    if (snf_env_set("OMP_WAIT_POLICY")) {
        return getenv("OMP_WAIT_POLICY");
    }
    return snf_env_set("GOMP_SPINCOUNT") ? "GOMP_SPINCOUNT (user)" : "libgomp default (spins before sleeping)";
#else
    return "none (serial build)";
#endif
}

/* ---- the thread count: no more threads than idle cores ---- */

int snf_threads_pick(int ncpu, int others_runnable)
{
    if (ncpu < 1) {
        ncpu = 1;
    }
    int n = ncpu - (others_runnable > 0 ? others_runnable : 0);
    return n < 1 ? 1 : n;
}

/* The kernel's count of runnable tasks now (procs_running of /proc/stat, this process's thread included);
 * -1 if it cannot be read. */
static int snf_procs_running(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL) {
        return -1;
    }
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "procs_running ", 14) == 0) {
            n = atoi(line + 14);
            break;
        }
    }
    fclose(f);
    return n;
}

int snf_threads_idle(int *others_out, int *cores_out)
{
    int ncpu = 1;
#ifdef _OPENMP
    ncpu = omp_get_num_procs(); /* the cores this process may run on (affinity) */
#endif
    /* The fewest runnable tasks over four samples 1 ms apart: a compiler or a shell that comes and goes
     * is not load, a busy loop or another program's threads are (they are runnable in every sample). */
    int least = -1;
    for (int i = 0; i < 4; i++) {
        int r = snf_procs_running();
        if (r >= 0 && (least < 0 || r < least)) {
            least = r;
        }
        if (i < 3) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    const int others = least > 0 ? least - 1 : 0; /* minus this thread */
    if (others_out != NULL) {
        *others_out = least < 0 ? -1 : others;
    }
    if (cores_out != NULL) {
        *cores_out = ncpu;
    }
    return snf_threads_pick(ncpu, others);
}

int snf_threads_auto(void)
{
#ifdef _OPENMP
    if (snf_env_set("OMP_NUM_THREADS")) {
        return omp_get_max_threads(); /* the user's choice */
    }
    const int n = snf_threads_idle(NULL, NULL);
    omp_set_num_threads(n);
    return n;
#else
    return 1;
#endif
}
