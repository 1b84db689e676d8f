/* internal.h: helpers shared by the nn/ kernels (not installed). OpenMP stays behind _OPENMP so
 * that SNF_ENABLE_OPENMP=OFF gives a correct serial build. */
#ifndef SNFORGE_LEARN_INTERNAL_H
#define SNFORGE_LEARN_INTERNAL_H

#include <stddef.h>

/* SNF_OMP(parallel for ...) is "#pragma omp parallel for ..." with OpenMP and nothing without, so a
 * serial build has no unknown-pragma warnings. */
#define SNF_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#include <omp.h>
#define SNF_OMP(x) SNF_PRAGMA(omp x)
#define SNF_OMP_TID() omp_get_thread_num()
#define SNF_OMP_NT() omp_get_num_threads()
#else
#define SNF_OMP(x)
#define SNF_OMP_TID() 0
#define SNF_OMP_NT() 1
#endif

/* OpenBLAS's Fortran sgemm_, declared here with const qualifiers. We call it instead of cblas_sgemm
 * because the library also links GSL's reference CBLAS (libgslcblas defines cblas_sgemm too, and
 * it comes first on the link line of every snforge program: a 10-20x slower sgemm). GSL's CBLAS
 * does not define sgemm_, so this name always reaches OpenBLAS. blasint is 32-bit in Debian's
 * OpenBLAS; OpenBLAS's sgemm_ takes no hidden string-length arguments. */
void sgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
            const float *alpha, const float *a, const int *lda, const float *b, const int *ldb,
            const float *beta, float *c, const int *ldc);

/* Row-major C (M x N) = alpha op(A) (M x K) op(B) (K x N) + beta C, cblas_sgemm's CblasRowMajor
 * contract: ta/tb are 0 (no transpose) or 1. A row-major product is the column-major product of
 * the transposes in swapped order, C^T = op(B)^T op(A)^T. */
static inline void snf_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A,
                             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
    const char cta = ta ? 'T' : 'N', ctb = tb ? 'T' : 'N';
    sgemm_(&ctb, &cta, &N, &M, &K, &alpha, B, &ldb, A, &lda, &beta, C, &ldc);
}

/* ---- direct convolution kernels (conv1d_direct.c: AVX-512F; conv1d_direct_avx2.c: AVX2 + FMA) ---- */
enum { SNF_CONV_IM2COL, SNF_CONV_AVX2, SNF_CONV_AVX512 };
/* The convolution path of this CPU and environment (SNF_CONV_PORTABLE, SNF_CONV_AVX2; conv1d_direct.c). */
int snf_conv1d_direct_level(void);
/* 1 if this CPU runs a direct kernel (AVX-512F, or AVX2 with FMA). */
int snf_conv1d_direct_ok(void);
/* Floats of a packed kernel for C in-channels, OC out-channels (rounded up to 8), width K. */
size_t snf_conv1d_direct_pack_size(int C, int OC, int K);
/* flip = 0: wt (C, K, OC8) for the forward pass; flip = 1: wt (OC, K, C8), reversed in k, for the
 * input gradient (call direct with C and OC swapped). */
void snf_conv1d_direct_pack(float *wt, const float *w, int C, int OC, int K, int flip);
/* out[o ldo + t] (+)= sum_{c,k} wt[(c K + k) OC8 + o] xp[c ldx + t + k] for o < OC, t < T: xp is
 * already padded (row c holds the input shifted by the left padding), ldx >= T + K - 1. */
void snf_conv1d_direct(float *out, int ldo, const float *xp, int ldx, const float *wt, int C,
                       int OC, int T, int K, int accumulate);

/* Out-channel padding of the direct weight-gradient layout (a multiple of 32). */
int snf_conv1d_direct_ocp(int OC);
/* AVX-512 only (AVX2 CPUs use sgemm for the weight gradient, conv1d.c).
 * Weight gradient in the transposed layout dwt (C, K, OCP): dwt[(c K + k) OCP + o] +=
 * sum_t dy[o T + t] xp[c ldx + t + k] (xp padded as for the forward pass, ldx >= T + K - 1).
 * dyt is scratch of T * OCP floats. */
void snf_conv1d_direct_dw(float *dwt, float *dyt, const float *dy, const float *xp, int ldx, int C,
                          int OC, int T, int K);
/* The AVX2 + FMA kernel behind snf_conv1d_direct (same arguments and sums). */
void snf_conv1d_direct_avx2(float *out, int ldo, const float *xp, int ldx, const float *wt, int C, int OC,
                            int T, int K, int accumulate);

/* ---- the networks' tensor tables (inception.c, lite.c) ---- */

/* DWCONV: a depthwise convolution (C channels of width K, fan_in = fan_out = K); otherwise as CONV. */
enum { SNF_NET_KIND_CONV, SNF_NET_KIND_DENSE, SNF_NET_KIND_BIAS, SNF_NET_KIND_GAMMA, SNF_NET_KIND_BETA, SNF_NET_KIND_DWCONV };

typedef struct snf_net_tdesc {
    size_t size;
    int kind, fan_in, fan_out;
    float **slot; /* where the layout routine writes the tensor's address (may be NULL) */
    const char *name;
} snf_net_tdesc;

struct snf_net_config;
struct snf_net;
struct snf_lite_params;
struct snf_lite_acts;
struct snf_lite_stats;
struct snf_net_params;

/* One architecture of the network (snf_net): what the generic network (net.c: the public snf_net_* API, its
 * slabs, initialisation, forward and backward entry points, the names the model file uses) asks of it.
 * InceptionTime and H-InceptionTime (inception.c) and LITE (lite.c) each provide one; net.c never asks
 * which architecture it runs. */
typedef struct snf_net_ops {
    int hybrid; /* 1: hand-crafted filters beside the first layer (H-InceptionTime, LITE) */
    /* the architecture's own shape rules (net.c checks the head) */
    int (*valid)(const struct snf_net_config *c);
    /* the tensor table in slab order, without slots: the count, d[] filled */
    int (*describe)(const struct snf_net_config *c, snf_net_tdesc *d);
    /* name of tensor i into buf[n] ("mod0.bott_w", "sep0.dw_w", "head_w"; "?" past the last) */
    void (*tensor_name)(const struct snf_net_config *c, int i, char *buf, size_t n);
    /* BatchNorm layer j of the statistics slab: its name prefix and channel count; 0 past the last */
    int (*stats_layer)(const struct snf_net_config *c, int j, char *pre, size_t n);
    /* floats of the BN statistics slab */
    size_t (*num_stats)(const struct snf_net_config *c);
    /* sizes of a network's slabs: activations (and their gradients), workspace floats, argmax indices */
    void (*layout)(const struct snf_net_config *c, int nthreads, size_t *nacts, size_t *nws, size_t *nidx);
    /* points the network's views into its allocated slabs (params, grads, Adam moments, stats, acts) */
    void (*bind)(struct snf_net *net);
    /* running means 0, variances 1 */
    void (*reset_stats)(struct snf_net *net);
    /* the forward pass to the prediction, and the backward pass from the loss's gradient */
    void (*forward)(struct snf_net *net, const float *x, int B, int train);
    void (*backward)(struct snf_net *net);
    /* the prediction (B, n_out) and the pooled features (B, features) of the last forward */
    const float *(*pred)(const struct snf_net *net);
    const float *(*features)(const struct snf_net *net);
    /* InceptionTime's public parameter views (snf_net_point), NULL where the architecture has none */
    int (*table_slots)(const struct snf_net_config *c, struct snf_net_params *p, snf_net_tdesc *d);
} snf_net_ops;

extern const snf_net_ops snf_inception_ops, snf_hinception_ops, snf_lite_ops;

/* Static split of n items over nt threads: thread tid gets [*lo, *hi). Contiguous chunks, so the
 * per-thread partial sums (and hence results) depend only on the thread count. */
static inline void snf_split(int n, int nt, int tid, int *lo, int *hi)
{
    int q = n / nt, r = n % nt;
    *lo = tid * q + (tid < r ? tid : r);
    *hi = *lo + q + (tid < r ? 1 : 0);
}

#endif
