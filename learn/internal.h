/* internal.h: helpers shared by the learn/ kernels (not installed). OpenMP stays behind _OPENMP so
 * that SNF_ENABLE_OPENMP=OFF gives a correct serial build. */
#ifndef SNFORGE_LEARN_INTERNAL_H
#define SNFORGE_LEARN_INTERNAL_H

#ifdef _OPENMP
#include <omp.h>
#define SNF_OMP_TID() omp_get_thread_num()
#define SNF_OMP_NT() omp_get_num_threads()
#else
#define SNF_OMP_TID() 0
#define SNF_OMP_NT() 1
#endif

/* Static split of n items over nt threads: thread tid gets [*lo, *hi). Contiguous chunks, so the
 * per-thread partial sums (and hence results) depend only on the thread count. */
static inline void snf_split(int n, int nt, int tid, int *lo, int *hi)
{
    int q = n / nt, r = n % nt;
    *lo = tid * q + (tid < r ? tid : r);
    *hi = *lo + q + (tid < r ? 1 : 0);
}

#endif
