/* conv1d.c: 1-D convolution, stride 1, 'same' padding with TensorFlow's split for even kernels
 * (left = (K-1)/2, right = K-1-left), as per-sample im2col + sgemm (OpenBLAS, see internal.h), and a naive loop version.
 * Per-sample GEMMs keep the column matrix cache-resident; OpenMP runs over the batch with
 * single-threaded BLAS inside. The weight gradient is reduced from per-thread partials in thread
 * order, so results depend only on the thread count. */
#include <assert.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

/* Floats per thread in ws: im2col columns (none for K = 1) and the dw/db partials, 64-byte aligned. */
static size_t snf_conv1d_col_floats(int C, int T, int K)
{
    return K == 1 ? 0 : (size_t)C * K * T;
}

static size_t snf_conv1d_stride(int C, int OC, int T, int K)
{
    size_t n = snf_conv1d_col_floats(C, T, K) + (size_t)OC * C * K + (size_t)OC;
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
    return (size_t)(nthreads < 1 ? 1 : nthreads) * snf_conv1d_stride(C, OC, T, K);
}

void snf_conv1d_forward_cs(float *out, float *ws, const float *inp, const float *w, const float *b,
                           int B, int C, int OC, int OCS, int T, int K)
{
    assert(OCS >= OC && K >= 1);
    size_t S = snf_conv1d_stride(C, OC, T, K);
    int CK = C * K;
#pragma omp parallel
    {
        float *col = ws + (size_t)SNF_OMP_TID() * S;
#pragma omp for schedule(static)
        for (int bb = 0; bb < B; bb++) {
            const float *x = inp + (size_t)bb * C * T;
            float *y = out + (size_t)bb * OCS * T;
            const float *xc = x;
            if (K > 1) {
                snf_im2col(col, x, C, T, K);
                xc = col;
            }
            snf_sgemm(0, 0, OC, T, CK, 1.0f, w, CK, xc, T,
                        0.0f, y, T);
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

void snf_conv1d_backward_cs(float *dinp, float *dw, float *db, float *ws, const float *dout,
                            const float *inp, const float *w, int B, int C, int OC, int OCS, int T,
                            int K)
{
    assert(OCS >= OC && K >= 1);
    size_t S = snf_conv1d_stride(C, OC, T, K);
    size_t colf = snf_conv1d_col_floats(C, T, K);
    int CK = C * K;
    size_t nw = (size_t)OC * CK;
#pragma omp parallel
    {
        int tid = SNF_OMP_TID(), nt = SNF_OMP_NT();
        float *col = ws + (size_t)tid * S;
        float *pdw = col + colf;
        float *pdb = pdw + nw;
        int lo, hi;
        snf_split(B, nt, tid, &lo, &hi);
        memset(pdw, 0, (nw + (size_t)OC) * sizeof(float));
        for (int bb = lo; bb < hi; bb++) {
            const float *x = inp + (size_t)bb * C * T;
            const float *dy = dout + (size_t)bb * OCS * T;
            const float *xc = x;
            if (K > 1) {
                snf_im2col(col, x, C, T, K);
                xc = col;
            }
            /* dW (OC, CK) += dY (OC, T) . Xcol^T (T, CK) */
            snf_sgemm(0, 1, OC, CK, T, 1.0f, dy, T, xc, T,
                        1.0f, pdw, CK);
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
            if (dinp) {
                float *dx = dinp + (size_t)bb * C * T;
                if (K == 1) {
                    /* dX (C, T) += W^T (C, OC) . dY (OC, T) */
                    snf_sgemm(1, 0, C, T, OC, 1.0f, w, C, dy,
                                T, 1.0f, dx, T);
                } else {
                    /* dXcol (CK, T) = W^T (CK, OC) . dY (OC, T), then scatter-add back. */
                    snf_sgemm(1, 0, CK, T, OC, 1.0f, w, CK,
                                dy, T, 0.0f, col, T);
                    snf_col2im_add(dx, col, C, T, K);
                }
            }
        }
#pragma omp barrier
        /* Reduce the partials element by element in thread order (deterministic for nt). */
#pragma omp for schedule(static)
        for (size_t i = 0; i < nw; i++) {
            float s = 0.0f;
            for (int p = 0; p < nt; p++) {
                s += ws[(size_t)p * S + colf + i];
            }
            dw[i] += s;
        }
        if (db) {
#pragma omp for schedule(static)
            for (int o = 0; o < OC; o++) {
                float s = 0.0f;
                for (int p = 0; p < nt; p++) {
                    s += ws[(size_t)p * S + colf + nw + (size_t)o];
                }
                db[o] += s;
            }
        }
    }
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
