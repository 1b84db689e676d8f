/* conv1d_direct_avx2.c: the direct 1-D convolution kernel of conv1d_direct.c for CPUs with AVX2 and
 * FMA but no AVX-512 (8-float registers, 16 of them), for the forward pass and the input gradient.
 * Same packed layout and sums as the AVX-512 kernel (internal.h); only the register blocking differs:
 * 4 output channels x 24 samples (12 accumulators, 3 loads + 4 broadcasts per 12 FMAs). On this
 * project's AVX2 machine (AMD EPYC, 2 threads, L 128, batch 64) it cut the reference's forward pass
 * from 108 to 88 ms and its backward pass from 269 to 226 ms a step against im2col + sgemm; a direct
 * weight-gradient kernel was slower than sgemm there (320 ms), so the weight gradient stays on sgemm.
 * Chosen at run time by conv1d_direct.c (__builtin_cpu_supports). */
#include <immintrin.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_D2_RO 4  /* output channels per forward register block */
#define SNF_D2_RT 24 /* samples per full forward block (three vectors) */

/* Lanes [0, n) set: the mask of _mm256_maskload_ps / _mm256_maskstore_ps for n of 8 floats. */
__attribute__((target("avx2,fma"))) static inline __m256i snf_d2_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* 4 output channels x 24 samples, a full block: acc[r][v] += wt[c][k][r] * xp[c][t + k + 8 v]. */
__attribute__((target("avx2,fma"))) static void
snf_d2_block24(float *out, int ldo, const float *xp, int ldx, const float *wt, int OCP, int C, int K,
               int nrow, int accumulate)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a02 = _mm256_setzero_ps();
    __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps(), a12 = _mm256_setzero_ps();
    __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps(), a22 = _mm256_setzero_ps();
    __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps(), a32 = _mm256_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xr = xp + (size_t)c * ldx;
        const float *wr = wt + (size_t)c * K * OCP;
        for (int k = 0; k < K; k++) {
            __m256 x0 = _mm256_loadu_ps(xr + k);
            __m256 x1 = _mm256_loadu_ps(xr + k + 8);
            __m256 x2 = _mm256_loadu_ps(xr + k + 16);
            const float *wk = wr + (size_t)k * OCP;
            __m256 w;
            w = _mm256_broadcast_ss(wk + 0);
            a00 = _mm256_fmadd_ps(w, x0, a00), a01 = _mm256_fmadd_ps(w, x1, a01), a02 = _mm256_fmadd_ps(w, x2, a02);
            w = _mm256_broadcast_ss(wk + 1);
            a10 = _mm256_fmadd_ps(w, x0, a10), a11 = _mm256_fmadd_ps(w, x1, a11), a12 = _mm256_fmadd_ps(w, x2, a12);
            w = _mm256_broadcast_ss(wk + 2);
            a20 = _mm256_fmadd_ps(w, x0, a20), a21 = _mm256_fmadd_ps(w, x1, a21), a22 = _mm256_fmadd_ps(w, x2, a22);
            w = _mm256_broadcast_ss(wk + 3);
            a30 = _mm256_fmadd_ps(w, x0, a30), a31 = _mm256_fmadd_ps(w, x1, a31), a32 = _mm256_fmadd_ps(w, x2, a32);
        }
    }
    __m256 acc[SNF_D2_RO][3] = {{a00, a01, a02}, {a10, a11, a12}, {a20, a21, a22}, {a30, a31, a32}};
    for (int r = 0; r < nrow; r++) {
        float *o = out + (size_t)r * ldo;
        for (int v = 0; v < 3; v++) {
            __m256 y = acc[r][v];
            if (accumulate) {
                y = _mm256_add_ps(y, _mm256_loadu_ps(o + 8 * v));
            }
            _mm256_storeu_ps(o + 8 * v, y);
        }
    }
}

/* 4 output channels x n <= 8 samples (the remainder): loads and stores masked to the n samples, so
 * nothing past the last needed input sample is read. */
__attribute__((target("avx2,fma"))) static void
snf_d2_block8(float *out, int ldo, const float *xp, int ldx, const float *wt, int OCP, int C, int K,
              int nrow, int n, int accumulate)
{
    __m256i m = snf_d2_mask(n);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xr = xp + (size_t)c * ldx;
        const float *wr = wt + (size_t)c * K * OCP;
        for (int k = 0; k < K; k++) {
            __m256 x = _mm256_maskload_ps(xr + k, m);
            const float *wk = wr + (size_t)k * OCP;
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + 0), x, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + 1), x, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + 2), x, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + 3), x, a3);
        }
    }
    __m256 acc[SNF_D2_RO] = {a0, a1, a2, a3};
    for (int r = 0; r < nrow; r++) {
        float *o = out + (size_t)r * ldo;
        __m256 y = acc[r];
        if (accumulate) {
            y = _mm256_add_ps(y, _mm256_maskload_ps(o, m));
        }
        _mm256_maskstore_ps(o, m, y);
    }
}

/* ---- internal API (internal.h) ---- */

__attribute__((target("avx2,fma"))) void snf_conv1d_direct_avx2(float *out, int ldo, const float *xp, int ldx,
                                                                 const float *wt, int C, int OC, int T, int K,
                                                                 int accumulate)
{
    int OCP = (int)snf_conv1d_direct_pack_size(1, OC, 1); /* OC rounded up to the packed layout's 8 */
    for (int o0 = 0; o0 < OC; o0 += SNF_D2_RO) {
        int nrow = OC - o0 < SNF_D2_RO ? OC - o0 : SNF_D2_RO;
        int t0 = 0;
        for (; T - t0 >= SNF_D2_RT; t0 += SNF_D2_RT) {
            snf_d2_block24(out + (size_t)o0 * ldo + t0, ldo, xp + t0, ldx, wt + o0, OCP, C, K, nrow,
                           accumulate);
        }
        for (; t0 < T; t0 += 8) {
            int n = T - t0 < 8 ? T - t0 : 8;
            snf_d2_block8(out + (size_t)o0 * ldo + t0, ldo, xp + t0, ldx, wt + o0, OCP, C, K, nrow, n,
                          accumulate);
        }
    }
}
