/* conv1d.c: 1-D convolution, stride 1, 'same' padding with TensorFlow's split for even kernels
 * (left = (K-1)/2, right = K-1-left), and a naive loop version. On AVX-512 CPUs the forward pass, the
 * input gradient and the weight gradient use the direct kernels of conv1d_direct.c, on AVX2 CPUs the
 * forward pass and the input gradient (conv1d_direct_avx2.c); elsewhere, and for the rest,
 * per-sample im2col + sgemm (OpenBLAS, see internal.h), whose GEMMs stay cache-resident.
 * OpenMP runs over the batch with
 * single-threaded BLAS inside, samples handed out dynamically (a shared machine slows one core at a
 * time). The weight gradient is summed per fixed chunk of samples, then over chunks in order, so
 * results are bitwise independent of the thread count and of the scheduling. */
#include <assert.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

/* Chunks of the batch whose weight-gradient partials are kept apart (fixed, not per thread). */
#define SNF_CONV_CHUNKS 16

/* ws holds, 64-byte aligned: nthreads per-thread buffers (im2col columns, C*K*T floats, or a
 * zero-padded copy of one sample's input or output gradient and its transposed output gradient),
 * then SNF_CONV_CHUNKS dw/db partials, then the two packed kernels of the direct
 * path (forward and input gradient). */
static size_t snf_conv1d_pad_floats(int C, int OC, int T, int K)
{
    size_t pad = K == 1 ? 0 : (size_t)(C > OC ? C : OC) * (size_t)(T + K - 1);
    return (pad + 15) & ~(size_t)15;
}

/* Per-thread buffer: im2col columns, or (direct path) a padded copy of one sample's input or
 * output gradient followed by the transposed output gradient (T, OCP). */
static size_t snf_conv1d_col_floats(int C, int OC, int T, int K)
{
    size_t col = K == 1 ? 0 : (size_t)C * K * T;
    size_t direct = snf_conv1d_pad_floats(C, OC, T, K) + (size_t)T * snf_conv1d_direct_ocp(OC);
    size_t n = col > direct ? col : direct;
    return (n + 15) & ~(size_t)15;
}

static size_t snf_conv1d_pack_floats(int C, int OC, int K)
{
    size_t n = snf_conv1d_direct_pack_size(C, OC, K) + snf_conv1d_direct_pack_size(OC, C, K);
    return (n + 15) & ~(size_t)15;
}

/* Row c of xp (ldx = T + K - 1) = lead zeros, the T samples of x row c, trailing zeros. */
static void snf_pad_rows(float *restrict xp, const float *restrict x, int C, int T, int K, int lead)
{
    int ldx = T + K - 1;
    for (int c = 0; c < C; c++) {
        float *r = xp + (size_t)c * ldx;
        memset(r, 0, (size_t)lead * sizeof(float));
        memcpy(r + lead, x + (size_t)c * T, (size_t)T * sizeof(float));
        memset(r + lead + T, 0, (size_t)(K - 1 - lead) * sizeof(float));
    }
}

/* dw partial floats before db: (OC, C, K) for sgemm, (C, K, OCP) for the direct kernel. */
static size_t snf_conv1d_part_w(int C, int OC, int K, int direct)
{
    return direct ? (size_t)C * K * snf_conv1d_direct_ocp(OC) : (size_t)OC * C * K;
}

static size_t snf_conv1d_part_floats(int C, int OC, int K)
{
    size_t n = snf_conv1d_part_w(C, OC, K, 1) + (size_t)snf_conv1d_direct_ocp(OC);
    return (n + 15) & ~(size_t)15;
}
/* col[(c*K + k)*T + t] = x[c*T + t + k - left], zero outside [0, T). */
static void snf_im2col(float *restrict col, const float *restrict x, int C, int T, int K)
{
    int left = (K - 1) / 2;
    for (int c = 0; c < C; c++) {
        for (int k = 0; k < K; k++) {
            float *row = col + ((size_t)c * K + k) * T;
            int s = k - left; /* row[t] = x[t + s] */
            int t0 = s < 0 ? -s : 0;
            int t1 = s > 0 ? T - s : T;
            if (t1 < t0) {
                t1 = t0;
            }
            for (int t = 0; t < t0; t++) {
                row[t] = 0.0f;
            }
            memcpy(row + t0, x + (size_t)c * T + t0 + s, (size_t)(t1 - t0) * sizeof(float));
            for (int t = t1; t < T; t++) {
                row[t] = 0.0f;
            }
        }
    }
}

/* dx[c*T + t + k - left] += col[(c*K + k)*T + t] where the target is inside [0, T). */
static void snf_col2im_add(float *restrict dx, const float *restrict col, int C, int T, int K)
{
    int left = (K - 1) / 2;
    for (int c = 0; c < C; c++) {
        float *restrict d = dx + (size_t)c * T;
        for (int k = 0; k < K; k++) {
            const float *restrict row = col + ((size_t)c * K + k) * T;
            int s = k - left;
            int t0 = s < 0 ? -s : 0;
            int t1 = s > 0 ? T - s : T;
            for (int t = t0; t < t1; t++) {
                d[t + s] += row[t];
            }
        }
    }
}

/* ---- public API ---- */

size_t snf_conv1d_ws_size(int C, int OC, int T, int K, int nthreads)
{
    return (size_t)(nthreads < 1 ? 1 : nthreads) * snf_conv1d_col_floats(C, OC, T, K) +
           (size_t)SNF_CONV_CHUNKS * snf_conv1d_part_floats(C, OC, K) +
           snf_conv1d_pack_floats(C, OC, K);
}

static void snf_conv1d_fwd(float *out, float *ws, const float *inp, const float *w, const float *b,
                           int B, int C, int OC, int OCS, int T, int K, int direct)
{
    assert(OCS >= OC && K >= 1);
    size_t S = snf_conv1d_col_floats(C, OC, T, K);
    float *wt = ws + (size_t)snf_threads_max() * S + (size_t)SNF_CONV_CHUNKS * snf_conv1d_part_floats(C, OC, K);
    int CK = C * K, left = (K - 1) / 2;
    if (direct) {
        snf_conv1d_direct_pack(wt, w, C, OC, K, 0);
    }
SNF_OMP(parallel)
    {
        float *col = ws + (size_t)SNF_OMP_TID() * S;
SNF_OMP(for schedule(dynamic, 1))
        for (int bb = 0; bb < B; bb++) {
            const float *x = inp + (size_t)bb * C * T;
            float *y = out + (size_t)bb * OCS * T;
            if (direct) {
                if (K == 1) {
                    snf_conv1d_direct(y, T, x, T, wt, C, OC, T, 1, 0);
                } else {
                    snf_pad_rows(col, x, C, T, K, left);
                    snf_conv1d_direct(y, T, col, T + K - 1, wt, C, OC, T, K, 0);
                }
            } else {
                const float *xc = x;
                if (K > 1) {
                    snf_im2col(col, x, C, T, K);
                    xc = col;
                }
                snf_sgemm(0, 0, OC, T, CK, 1.0f, w, CK, xc, T, 0.0f, y, T);
            }
            if (b) {
                for (int o = 0; o < OC; o++) {
                    float bo = b[o];
                    float *yo = y + (size_t)o * T;
                    for (int t = 0; t < T; t++) {
                        yo[t] += bo;
                    }
                }
            }
        }
    }
}

/* direct: the weight gradient by the AVX-512 direct kernel (else im2col + sgemm); direct_dx: the input
 * gradient by a direct kernel (AVX-512 or AVX2; else sgemm + col2im). */
static void snf_conv1d_bwd(float *dinp, float *dw, float *db, float *ws, const float *dout,
                           const float *inp, const float *w, int B, int C, int OC, int OCS, int T,
                           int K, int direct, int direct_dx)
{
    assert(OCS >= OC && K >= 1);
    size_t S = snf_conv1d_col_floats(C, OC, T, K);
    size_t P = snf_conv1d_part_floats(C, OC, K);
    float *wtb = ws + (size_t)snf_threads_max() * S + (size_t)SNF_CONV_CHUNKS * P +
                 snf_conv1d_direct_pack_size(C, OC, K);
    int right = K - 1 - (K - 1) / 2;
    if (direct_dx && dinp) {
        snf_conv1d_direct_pack(wtb, w, C, OC, K, 1);
    }
    int CK = C * K;
    size_t nw = (size_t)OC * CK;
    int nch = B < SNF_CONV_CHUNKS ? B : SNF_CONV_CHUNKS;
    size_t nwp = snf_conv1d_part_w(C, OC, K, direct);
    int OCP = snf_conv1d_direct_ocp(OC);
    size_t padf = snf_conv1d_pad_floats(C, OC, T, K);
SNF_OMP(parallel)
    {
        float *col = ws + (size_t)SNF_OMP_TID() * S;
        float *parts = ws + (size_t)SNF_OMP_NT() * S;
SNF_OMP(for schedule(dynamic, 1))
        for (int ch = 0; ch < nch; ch++) {
            float *pdw = parts + (size_t)ch * P;
            float *pdb = pdw + nwp;
            int lo, hi;
            snf_split(B, nch, ch, &lo, &hi);
            memset(pdw, 0, (nwp + (size_t)OC) * sizeof(float));
            for (int bb = lo; bb < hi; bb++) {
                const float *x = inp + (size_t)bb * C * T;
                const float *dy = dout + (size_t)bb * OCS * T;
                if (direct) {
                    const float *xp = x;
                    if (K > 1) {
                        snf_pad_rows(col, x, C, T, K, (K - 1) / 2);
                        xp = col;
                    }
                    snf_conv1d_direct_dw(pdw, col + padf, dy, xp, K > 1 ? T + K - 1 : T, C, OC, T, K);
                } else {
                    const float *xc = x;
                    if (K > 1) {
                        snf_im2col(col, x, C, T, K);
                        xc = col;
                    }
                    /* dW (OC, CK) += dY (OC, T) . Xcol^T (T, CK) */
                    snf_sgemm(0, 1, OC, CK, T, 1.0f, dy, T, xc, T, 1.0f, pdw, CK);
                }
                if (db) {
                    for (int o = 0; o < OC; o++) {
                        const float *dyo = dy + (size_t)o * T;
                        float s = 0.0f;
                        for (int t = 0; t < T; t++) {
                            s += dyo[t];
                        }
                        pdb[o] += s;
                    }
                }
                if (dinp && direct_dx) {
                    /* dX (+)= dY (padded by `right` in front) convolved with the flipped kernel */
                    float *dx = dinp + (size_t)bb * C * T;
                    if (K == 1) {
                        snf_conv1d_direct(dx, T, dy, T, wtb, OC, C, T, 1, 1);
                    } else {
                        snf_pad_rows(col, dy, OC, T, K, right);
                        snf_conv1d_direct(dx, T, col, T + K - 1, wtb, OC, C, T, K, 1);
                    }
                } else if (dinp) {
                    float *dx = dinp + (size_t)bb * C * T;
                    if (K == 1) {
                        /* dX (C, T) += W^T (C, OC) . dY (OC, T) */
                        snf_sgemm(1, 0, C, T, OC, 1.0f, w, C, dy, T, 1.0f, dx, T);
                    } else {
                        /* dXcol (CK, T) = W^T (CK, OC) . dY (OC, T), then scatter-add back. */
                        snf_sgemm(1, 0, CK, T, OC, 1.0f, w, CK, dy, T, 0.0f, col, T);
                        snf_col2im_add(dx, col, C, T, K);
                    }
                }
            }
        }
        /* (implicit barrier) Sum the chunk partials element by element in chunk order; the dw and
         * db sums share one loop (one barrier, at the end of the region). */
        size_t nred = nw + (db ? (size_t)OC : 0);
SNF_OMP(for schedule(static) nowait)
        for (size_t i = 0; i < nred; i++) {
            /* the direct kernel's dw partials are transposed: (c K + k) OCP + o */
            size_t j = i >= nw ? nwp + (i - nw) : direct ? (i % (size_t)CK) * OCP + i / (size_t)CK : i;
            float s = 0.0f;
            for (int p = 0; p < nch; p++) {
                s += parts[(size_t)p * P + j];
            }
            if (i < nw) {
                dw[i] += s;
            } else {
                db[i - nw] += s;
            }
        }
    }
}

const char *snf_conv1d_path_name(void)
{
    int level = snf_conv1d_direct_level();
    return level == SNF_CONV_AVX512 ? "direct-avx512" : level == SNF_CONV_AVX2 ? "direct-avx2" : "im2col-sgemm";
}

void snf_conv1d_forward_cs(float *out, float *ws, const float *inp, const float *w, const float *b,
                           int B, int C, int OC, int OCS, int T, int K)
{
    snf_conv1d_fwd(out, ws, inp, w, b, B, C, OC, OCS, T, K, snf_conv1d_direct_ok());
}

void snf_conv1d_backward_cs(float *dinp, float *dw, float *db, float *ws, const float *dout,
                            const float *inp, const float *w, int B, int C, int OC, int OCS, int T,
                            int K)
{
    int level = snf_conv1d_direct_level();
    /* AVX2: the weight gradient stays on sgemm (measured: the reference's backward pass took 226 ms a
     * step with sgemm for dW and the direct kernel for dX, 320 ms with an AVX2 direct dW kernel) */
    snf_conv1d_bwd(dinp, dw, db, ws, dout, inp, w, B, C, OC, OCS, T, K, level == SNF_CONV_AVX512,
                   level != SNF_CONV_IM2COL);
}

void snf_conv1d_forward_im2col(float *out, float *ws, const float *inp, const float *w,
                               const float *b, int B, int C, int OC, int T, int K)
{
    snf_conv1d_fwd(out, ws, inp, w, b, B, C, OC, OC, T, K, 0);
}

void snf_conv1d_backward_im2col(float *dinp, float *dw, float *db, float *ws, const float *dout,
                                const float *inp, const float *w, int B, int C, int OC, int T, int K)
{
    snf_conv1d_bwd(dinp, dw, db, ws, dout, inp, w, B, C, OC, OC, T, K, 0, 0);
}

void snf_conv1d_forward(float *out, float *ws, const float *inp, const float *w, const float *b,
                        int B, int C, int OC, int T, int K)
{
    snf_conv1d_forward_cs(out, ws, inp, w, b, B, C, OC, OC, T, K);
}

void snf_conv1d_backward(float *dinp, float *dw, float *db, float *ws, const float *dout,
                         const float *inp, const float *w, int B, int C, int OC, int T, int K)
{
    snf_conv1d_backward_cs(dinp, dw, db, ws, dout, inp, w, B, C, OC, OC, T, K);
}

void snf_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *b, int B,
                              int C, int OC, int T, int K)
{
    int left = (K - 1) / 2;
    for (int bb = 0; bb < B; bb++) {
        for (int o = 0; o < OC; o++) {
            for (int t = 0; t < T; t++) {
                float s = b ? b[o] : 0.0f;
                for (int c = 0; c < C; c++) {
                    for (int k = 0; k < K; k++) {
                        int ti = t + k - left;
                        if (ti >= 0 && ti < T) {
                            s += w[((size_t)o * C + c) * K + k] * inp[((size_t)bb * C + c) * T + ti];
                        }
                    }
                }
                out[((size_t)bb * OC + o) * T + t] = s;
            }
        }
    }
}

void snf_conv1d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, int B, int C, int OC, int T, int K)
{
    int left = (K - 1) / 2;
    for (int bb = 0; bb < B; bb++) {
        for (int o = 0; o < OC; o++) {
            for (int t = 0; t < T; t++) {
                float g = dout[((size_t)bb * OC + o) * T + t];
                if (db) {
                    db[o] += g;
                }
                for (int c = 0; c < C; c++) {
                    for (int k = 0; k < K; k++) {
                        int ti = t + k - left;
                        if (ti >= 0 && ti < T) {
                            size_t iw = ((size_t)o * C + c) * K + k;
                            size_t ix = ((size_t)bb * C + c) * T + ti;
                            dw[iw] += g * inp[ix];
                            if (dinp) {
                                dinp[ix] += g * w[iw];
                            }
                        }
                    }
                }
            }
        }
    }
}
