/* edge.c: marginals piled up at an edge of a bounded prior (mcmc.h): the share of samples within the outer
 * band of the range, against a uniform marginal's. */
#include "snforge/solvers.h"

int snf_edge_pileup(const double *x, long n, double lo, double hi, double share[2])
{
    share[0] = share[1] = 0.0;
    if (n < 1 || !(hi > lo)) {
        return SNF_EDGE_NONE;
    }
    const double band = SNF_EDGE_BAND * (hi - lo);
    long n_lo = 0, n_hi = 0;
    for (long i = 0; i < n; i++) {
        n_lo += x[i] <= lo + band;
        n_hi += x[i] >= hi - band;
    }
    share[0] = (double)n_lo / (double)n;
    share[1] = (double)n_hi / (double)n;
    const double limit = SNF_EDGE_RATIO * SNF_EDGE_BAND;
    return (share[0] >= limit ? SNF_EDGE_LOW : 0) | (share[1] >= limit ? SNF_EDGE_HIGH : 0);
}
