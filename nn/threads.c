/* threads.c: one decision about threads for the whole trainer. OpenMP parallelises the outermost
 * batch/channel loops of the kernels; OpenBLAS then runs single-threaded inside each OpenMP thread
 * (results.md: faster than letting OpenBLAS thread one call, and two pools on 2 cores oversubscribe). */
#include <cblas.h>

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
