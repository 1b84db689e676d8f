/* conv1d_direct.c: a direct (no im2col, no packing) 1-D convolution micro-kernel for AVX-512 CPUs
 * (its AVX2 + FMA twin for the forward pass and the input gradient is conv1d_direct_avx2.c; this file
 * chooses between them),
 * used by conv1d.c for the forward pass and for the input gradient (a convolution of dout with the
 * flipped, transposed kernel). OpenBLAS 0.3.21 runs its Haswell (AVX2) sgemm here, and im2col plus
 * packing cost as much again; this kernel streams the padded input once per 8 output channels.
 * Chosen at run time (__builtin_cpu_supports): AVX-512F, else AVX2 + FMA, else the im2col + sgemm path,
 * which any CPU takes when the environment sets SNF_CONV_PORTABLE (to anything but "" or "0");
 * SNF_CONV_AVX2 likewise makes an AVX-512 CPU take the AVX2 kernels. */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_DC_RO 8  /* output channels per register block */
#define SNF_DC_RT 32 /* time samples per register block (two 16-float vectors) */

static __mmask16 snf_dc_mask(int n)
{
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1u);
}

/* 8 output channels x 32 time samples: acc[r][j] += wt[c][k][r] * xp[c][t + k + 16 j]. Loads are
 * masked with the output mask, so nothing past the last needed sample is read. */
__attribute__((target("avx512f"), always_inline)) static inline void
snf_dc_block(float *out, int ldo, const float *xp, int ldx, const float *wt, int OCP, int C, int K,
             int nrow, __mmask16 m0, __mmask16 m1, int accumulate)
{
    __m512 a00 = _mm512_setzero_ps(), a01 = _mm512_setzero_ps();
    __m512 a10 = _mm512_setzero_ps(), a11 = _mm512_setzero_ps();
    __m512 a20 = _mm512_setzero_ps(), a21 = _mm512_setzero_ps();
    __m512 a30 = _mm512_setzero_ps(), a31 = _mm512_setzero_ps();
    __m512 a40 = _mm512_setzero_ps(), a41 = _mm512_setzero_ps();
    __m512 a50 = _mm512_setzero_ps(), a51 = _mm512_setzero_ps();
    __m512 a60 = _mm512_setzero_ps(), a61 = _mm512_setzero_ps();
    __m512 a70 = _mm512_setzero_ps(), a71 = _mm512_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xr = xp + (size_t)c * ldx;
        const float *wr = wt + (size_t)c * K * OCP;
        for (int k = 0; k < K; k++) {
            __m512 x0 = _mm512_maskz_loadu_ps(m0, xr + k);
            __m512 x1 = _mm512_maskz_loadu_ps(m1, xr + k + 16);
            const float *wk = wr + (size_t)k * OCP;
            __m512 w;
            w = _mm512_set1_ps(wk[0]), a00 = _mm512_fmadd_ps(w, x0, a00), a01 = _mm512_fmadd_ps(w, x1, a01);
            w = _mm512_set1_ps(wk[1]), a10 = _mm512_fmadd_ps(w, x0, a10), a11 = _mm512_fmadd_ps(w, x1, a11);
            w = _mm512_set1_ps(wk[2]), a20 = _mm512_fmadd_ps(w, x0, a20), a21 = _mm512_fmadd_ps(w, x1, a21);
            w = _mm512_set1_ps(wk[3]), a30 = _mm512_fmadd_ps(w, x0, a30), a31 = _mm512_fmadd_ps(w, x1, a31);
            w = _mm512_set1_ps(wk[4]), a40 = _mm512_fmadd_ps(w, x0, a40), a41 = _mm512_fmadd_ps(w, x1, a41);
            w = _mm512_set1_ps(wk[5]), a50 = _mm512_fmadd_ps(w, x0, a50), a51 = _mm512_fmadd_ps(w, x1, a51);
            w = _mm512_set1_ps(wk[6]), a60 = _mm512_fmadd_ps(w, x0, a60), a61 = _mm512_fmadd_ps(w, x1, a61);
            w = _mm512_set1_ps(wk[7]), a70 = _mm512_fmadd_ps(w, x0, a70), a71 = _mm512_fmadd_ps(w, x1, a71);
        }
    }
    __m512 acc[SNF_DC_RO][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31},
                                {a40, a41}, {a50, a51}, {a60, a61}, {a70, a71}};
    for (int r = 0; r < nrow; r++) {
        float *o = out + (size_t)r * ldo;
        __m512 v0 = acc[r][0], v1 = acc[r][1];
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, o));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, o + 16));
        }
        _mm512_mask_storeu_ps(o, m0, v0);
        _mm512_mask_storeu_ps(o + 16, m1, v1);
    }
}


/* 8 output channels x 48 time samples (three vectors), full blocks only (no masks): the same sums
 * as snf_dc_block with 11 loads per 24 FMAs instead of 10 per 16. */
__attribute__((target("avx512f"))) static void
snf_dc_block48(float *out, int ldo, const float *xp, int ldx, const float *wt, int OCP, int C, int K,
               int nrow, int accumulate)
{
#define SNF_DC3(r) __m512 a##r##0 = _mm512_setzero_ps(), a##r##1 = _mm512_setzero_ps(), a##r##2 = _mm512_setzero_ps()
    SNF_DC3(0); SNF_DC3(1); SNF_DC3(2); SNF_DC3(3); SNF_DC3(4); SNF_DC3(5); SNF_DC3(6); SNF_DC3(7);
#undef SNF_DC3
    for (int c = 0; c < C; c++) {
        const float *xr = xp + (size_t)c * ldx;
        const float *wr = wt + (size_t)c * K * OCP;
        for (int k = 0; k < K; k++) {
            __m512 x0 = _mm512_loadu_ps(xr + k);
            __m512 x1 = _mm512_loadu_ps(xr + k + 16);
            __m512 x2 = _mm512_loadu_ps(xr + k + 32);
            const float *wk = wr + (size_t)k * OCP;
            __m512 w;
#define SNF_DCF(r)                                                                         \
    w = _mm512_set1_ps(wk[r]), a##r##0 = _mm512_fmadd_ps(w, x0, a##r##0),                   \
    a##r##1 = _mm512_fmadd_ps(w, x1, a##r##1), a##r##2 = _mm512_fmadd_ps(w, x2, a##r##2)
            SNF_DCF(0); SNF_DCF(1); SNF_DCF(2); SNF_DCF(3); SNF_DCF(4); SNF_DCF(5); SNF_DCF(6); SNF_DCF(7);
#undef SNF_DCF
        }
    }
    __m512 acc[SNF_DC_RO][3] = {{a00, a01, a02}, {a10, a11, a12}, {a20, a21, a22}, {a30, a31, a32},
                                {a40, a41, a42}, {a50, a51, a52}, {a60, a61, a62}, {a70, a71, a72}};
    for (int r = 0; r < nrow; r++) {
        float *o = out + (size_t)r * ldo;
        for (int v = 0; v < 3; v++) {
            __m512 y = acc[r][v];
            if (accumulate) {
                y = _mm512_add_ps(y, _mm512_loadu_ps(o + 16 * v));
            }
            _mm512_storeu_ps(o + 16 * v, y);
        }
    }
}

/* 32 output channels x 8 columns of the input, summed over t:
 * dwt[(j0 + j) OCP + o0 + l] += sum_t dyt[t OCP + o0 + l] xr[j js + t], j < nj.
 * Columns are kernel taps of one input row (js = 1, xr at tap j0) or, for 1x1 kernels, input
 * channels (js = ldx). dyt is the sample's output gradient transposed to (T, OCP), zero-padded in
 * o. Columns j >= nj are neither read nor stored. */
__attribute__((target("avx512f"))) static inline void
snf_dcw_block(float *dwt, int OCP, int o0, int j0, int nj, const float *dyt, int T, const float *xr,
              size_t js)
{
    __m512 a[8][2];
    for (int j = 0; j < 8; j++) a[j][0] = _mm512_setzero_ps(), a[j][1] = _mm512_setzero_ps();
    for (int t = 0; t < T; t++) {
        __m512 d0 = _mm512_loadu_ps(dyt + (size_t)t * OCP + o0);
        __m512 d1 = _mm512_loadu_ps(dyt + (size_t)t * OCP + o0 + 16);
        const float *xt = xr + t;
        for (int j = 0; j < 8; j++) {
            if (j < nj) {
                __m512 xv = _mm512_set1_ps(xt[(size_t)j * js]);
                a[j][0] = _mm512_fmadd_ps(xv, d0, a[j][0]);
                a[j][1] = _mm512_fmadd_ps(xv, d1, a[j][1]);
            }
        }
    }
    for (int j = 0; j < nj; j++) {
        float *r = dwt + (size_t)(j0 + j) * OCP + o0;
        _mm512_storeu_ps(r, _mm512_add_ps(_mm512_loadu_ps(r), a[j][0]));
        _mm512_storeu_ps(r + 16, _mm512_add_ps(_mm512_loadu_ps(r + 16), a[j][1]));
    }
}

/* ---- internal API (internal.h) ---- */

int snf_conv1d_direct_level(void)
{
    /* SNF_CONV_PORTABLE=1 forces im2col + sgemm on any CPU, SNF_CONV_AVX2=1 the AVX2 kernels on an
     * AVX-512 CPU (tests run every path a CPU can take). */
    const char *portable = getenv("SNF_CONV_PORTABLE"), *avx2 = getenv("SNF_CONV_AVX2");
    if (portable != NULL && portable[0] != '\0' && strcmp(portable, "0") != 0) {
        return SNF_CONV_IM2COL;
    }
    __builtin_cpu_init();
    int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (__builtin_cpu_supports("avx512f") && !(has2 && avx2 != NULL && avx2[0] != '\0' && strcmp(avx2, "0") != 0)) {
        return SNF_CONV_AVX512;
    }
    return has2 ? SNF_CONV_AVX2 : SNF_CONV_IM2COL;
}

int snf_conv1d_direct_ok(void)
{
    return snf_conv1d_direct_level() != SNF_CONV_IM2COL;
}

size_t snf_conv1d_direct_pack_size(int C, int OC, int K)
{
    return (size_t)C * K * (size_t)((OC + SNF_DC_RO - 1) / SNF_DC_RO * SNF_DC_RO);
}

void snf_conv1d_direct_pack(float *wt, const float *w, int C, int OC, int K, int flip)
{
    if (!flip) {
        /* forward: wt[(c K + k) OCP + o] = w[(o C + c) K + k] */
        int OCP = (OC + SNF_DC_RO - 1) / SNF_DC_RO * SNF_DC_RO;
        memset(wt, 0, (size_t)C * K * OCP * sizeof(float));
        for (int o = 0; o < OC; o++)
            for (int c = 0; c < C; c++)
                for (int k = 0; k < K; k++)
                    wt[((size_t)c * K + k) * OCP + o] = w[((size_t)o * C + c) * K + k];
    } else {
        /* input gradient: in-channels o, out-channels c, kernel reversed:
         * wt[(o K + k) CP + c] = w[(o C + c) K + K-1-k] */
        int CP = (C + SNF_DC_RO - 1) / SNF_DC_RO * SNF_DC_RO;
        memset(wt, 0, (size_t)OC * K * CP * sizeof(float));
        for (int o = 0; o < OC; o++)
            for (int c = 0; c < C; c++)
                for (int k = 0; k < K; k++)
                    wt[((size_t)o * K + k) * CP + c] = w[((size_t)o * C + c) * K + (K - 1 - k)];
    }
}

__attribute__((target("avx512f"))) static void snf_conv1d_direct_avx512(float *out, int ldo, const float *xp,
                                                                          int ldx, const float *wt, int C,
                                                                          int OC, int T, int K, int accumulate)
{
    int OCP = (OC + SNF_DC_RO - 1) / SNF_DC_RO * SNF_DC_RO;
    for (int o0 = 0; o0 < OC; o0 += SNF_DC_RO) {
        int nrow = OC - o0 < SNF_DC_RO ? OC - o0 : SNF_DC_RO;
        int t0 = 0;
        /* 48-sample blocks while at least 48 + 32 remain or exactly 48 do, then 32-sample ones */
        for (; T - t0 >= 80 || T - t0 == 48; t0 += 48) {
            snf_dc_block48(out + (size_t)o0 * ldo + t0, ldo, xp + t0, ldx, wt + o0, OCP, C, K, nrow,
                           accumulate);
        }
        for (; t0 < T; t0 += SNF_DC_RT) {
            int n = T - t0;
            if (n >= SNF_DC_RT) { /* full block: constant masks, plain loads once inlined */
                snf_dc_block(out + (size_t)o0 * ldo + t0, ldo, xp + t0, ldx, wt + o0, OCP, C, K,
                             nrow, (__mmask16)0xFFFF, (__mmask16)0xFFFF, accumulate);
            } else {
                snf_dc_block(out + (size_t)o0 * ldo + t0, ldo, xp + t0, ldx, wt + o0, OCP, C, K,
                             nrow, snf_dc_mask(n), snf_dc_mask(n - 16), accumulate);
            }
        }
    }
}

int snf_conv1d_direct_ocp(int OC)
{
    return (OC + 31) / 32 * 32;
}

/* dwt += the weight gradient of one sample from its transposed output gradient dyt (T, OCP). */
__attribute__((target("avx512f"))) static void snf_conv1d_direct_dw_avx512(float *dwt, const float *dyt,
                                                                             const float *xp, int ldx, int C,
                                                                             int OC, int T, int K)
{
    int OCP = snf_conv1d_direct_ocp(OC);
    if (K == 1) { /* 1x1: blocks of 8 input channels (the layout (C, 1, OCP) is (C, OCP)) */
        for (int o0 = 0; o0 < OCP; o0 += 32) {
            int c0 = 0;
            for (; c0 + 8 <= C; c0 += 8)
                snf_dcw_block(dwt, OCP, o0, c0, 8, dyt, T, xp + (size_t)c0 * ldx, (size_t)ldx);
            if (c0 < C)
                snf_dcw_block(dwt, OCP, o0, c0, C - c0, dyt, T, xp + (size_t)c0 * ldx, (size_t)ldx);
        }
        return;
    }
    for (int c = 0; c < C; c++) {
        const float *xr = xp + (size_t)c * ldx;
        float *dwc = dwt + (size_t)c * K * OCP;
        for (int o0 = 0; o0 < OCP; o0 += 32) {
            int k0 = 0;
            for (; k0 + 8 <= K; k0 += 8) snf_dcw_block(dwc, OCP, o0, k0, 8, dyt, T, xr + k0, 1);
            if (k0 < K) snf_dcw_block(dwc, OCP, o0, k0, K - k0, dyt, T, xr + k0, 1);
        }
    }
}

void snf_conv1d_direct(float *out, int ldo, const float *xp, int ldx, const float *wt, int C, int OC, int T,
                       int K, int accumulate)
{
    if (snf_conv1d_direct_level() == SNF_CONV_AVX512) {
        snf_conv1d_direct_avx512(out, ldo, xp, ldx, wt, C, OC, T, K, accumulate);
    } else {
        snf_conv1d_direct_avx2(out, ldo, xp, ldx, wt, C, OC, T, K, accumulate);
    }
}

void snf_conv1d_direct_dw(float *dwt, float *dyt, const float *dy, const float *xp, int ldx, int C, int OC,
                          int T, int K)
{
    int OCP = snf_conv1d_direct_ocp(OC);
    for (int t = 0; t < T; t++) { /* dyt (T, OCP) = dy (OC, T) transposed, zero-padded in o */
        float *r = dyt + (size_t)t * OCP;
        for (int o = 0; o < OC; o++) r[o] = dy[(size_t)o * T + t];
        for (int o = OC; o < OCP; o++) r[o] = 0.0f;
    }
    snf_conv1d_direct_dw_avx512(dwt, dyt, xp, ldx, C, OC, T, K);
}
