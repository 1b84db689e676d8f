/* threads.c: one decision about threads for the whole program. OpenMP parallelises the outermost
 * batch/channel loops of the kernels (and the grid's models); OpenBLAS then runs single-threaded inside each
 * OpenMP thread (results.md: faster than letting OpenBLAS thread one call, and two pools on 2 cores
 * oversubscribe). On a busy machine two things cost most (issue 21): OpenMP threads that spin while they wait
 * (libgomp's default spins 300,000 times at every barrier, stealing the CPU that the other threads and the
 * machine's other work need) and more threads than idle cores (a thread that is not scheduled holds every
 * barrier). snf_omp_passive_reexec and snf_threads_auto remove both. */
#include <cblas.h>
#include <math.h>
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

int snf_threads_pick(int ncpu, double idle_cores)
{
    if (ncpu < 1) {
        ncpu = 1;
    }
    const double r = floor(idle_cores + 0.5);
    return r < 1 ? 1 : (r > ncpu ? ncpu : (int)r);
}

/* The busy and total jiffies of all CPUs (the first line of /proc/stat); -1 if it cannot be read. */
static int snf_cpu_jiffies(double *busy, double *total, int *ncpu_online)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL) {
        return -1;
    }
    char line[512];
    int rc = -1, n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long v[8] = {0};
        if (strncmp(line, "cpu ", 4) == 0 &&
            sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                   &v[6], &v[7]) >= 4) {
            /* user nice system idle iowait irq softirq steal */
            *total = 0;
            for (int i = 0; i < 8; i++) {
                *total += (double)v[i];
            }
            *busy = *total - (double)v[3] - (double)v[4];
            rc = 0;
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            n++;
        }
    }
    fclose(f);
    *ncpu_online = n;
    return rc;
}

/* This process's CPU time, all threads (utime + stime of /proc/self/stat), in the same ticks; -1 if unread. */
static int snf_self_jiffies(double *j)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (f == NULL) {
        return -1;
    }
    char line[1024];
    const char *p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    unsigned long long ut = 0, st = 0;
    /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (p == NULL || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    *j = (double)ut + (double)st;
    return 0;
}

double snf_threads_idle(int *cores_out)
{
    int ncpu = 1;
#ifdef _OPENMP
    ncpu = omp_get_num_procs(); /* the cores this process may run on (affinity) */
#endif
    if (cores_out != NULL) {
        *cores_out = ncpu;
    }
    /* The machine's CPU time over 100 ms while this thread sleeps: a busy loop or another program's threads
     * count as the share of a core they use, a shell or a compiler that comes and goes only for its share. */
    /* This process's own threads do not count: OpenBLAS's thread pool spins for about 0.1 s after it starts. */
    double b0, t0, b1, t1, s0 = 0, s1 = 0;
    int n0, n1;
    if (snf_cpu_jiffies(&b0, &t0, &n0) < 0) {
        return ncpu;
    }
    const int self = snf_self_jiffies(&s0) == 0;
    struct timespec ts = {0, 100000000L};
    nanosleep(&ts, NULL);
    if (snf_cpu_jiffies(&b1, &t1, &n1) < 0 || !(t1 > t0) || n1 < 1) {
        return ncpu;
    }
    if (!self || snf_self_jiffies(&s1) != 0) {
        s1 = s0;
    }
    const double others = fmax(0.0, (b1 - b0) - (s1 - s0));
    const double idle = (double)n1 * (1.0 - others / (t1 - t0)); /* idle cores of the whole machine */
    return idle < ncpu ? idle : ncpu;
}

int snf_threads_auto(void)
{
#ifdef _OPENMP
    if (snf_env_set("OMP_NUM_THREADS")) {
        return omp_get_max_threads(); /* the user's choice */
    }
    int cores = 1;
    const double idle = snf_threads_idle(&cores);
    const int n = snf_threads_pick(cores, idle);
    omp_set_num_threads(n);
    return n;
#else
    return 1;
#endif
}
