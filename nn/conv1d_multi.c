/* conv1d_multi.c: the Inception branches as one kernel: n convolutions of the same input (widths
 * K[i], same out-channel count OC) writing consecutive channel slices of one output. Per sample,
 * one zero-padded copy of the input (padded for the widest kernel) serves every branch, and the
 * whole module costs one parallel region forward and one backward instead of n (fewer barriers,
 * which a shared 2-core machine makes expensive). Uses the direct kernels (the forward pass on AVX-512
 * or AVX2, the backward pass on AVX-512); otherwise it calls the single-branch kernels in turn. Same determinism rules as conv1d.c. */
#include <assert.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_MULTI_CHUNKS 16 /* batch chunks with separate weight-gradient partials (fixed) */

typedef struct snf_multi_layout {
    int Kmax, lmax, ldx, OCP;
    size_t S;        /* per-thread buffer: padded x (C ldx), padded dy (OC ldx), dyt (T OCP) */
    size_t pw[SNF_MULTI_MAX]; /* partial floats of branch i (C K_i OCP), and their offsets: */
    size_t poff[SNF_MULTI_MAX];
    size_t P;        /* one chunk's partials, all branches */
    size_t pk[SNF_MULTI_MAX]; /* offsets of branch i's packed kernels (forward, then flipped) */
    size_t total;
} snf_multi_layout;

static size_t snf_al16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static void snf_multi_plan(snf_multi_layout *L, int C, int OC, int T, const int *K, int n,
                           int nthreads)
{
    L->Kmax = 1;
    for (int i = 0; i < n; i++) L->Kmax = K[i] > L->Kmax ? K[i] : L->Kmax;
    L->lmax = (L->Kmax - 1) / 2;
    L->ldx = T + L->Kmax - 1;
    L->OCP = snf_conv1d_direct_ocp(OC);
    L->S = snf_al16((size_t)C * L->ldx) + snf_al16((size_t)OC * L->ldx) +
           snf_al16((size_t)T * L->OCP);
    L->P = 0;
    for (int i = 0; i < n; i++) {
        L->pw[i] = snf_al16((size_t)C * K[i] * L->OCP);
        L->poff[i] = L->P;
        L->P += L->pw[i];
    }
    size_t off = (size_t)(nthreads < 1 ? 1 : nthreads) * L->S + (size_t)SNF_MULTI_CHUNKS * L->P;
    for (int i = 0; i < n; i++) {
        L->pk[i] = off;
        off += snf_al16(snf_conv1d_direct_pack_size(C, OC, K[i])) +
               snf_al16(snf_conv1d_direct_pack_size(OC, C, K[i]));
    }
    L->total = off;
}

/* Row c of xp (stride ldx): lead zeros, x row c, zeros to ldx. */
static void snf_multi_pad(float *restrict xp, int ldx, const float *restrict x, int C, int T, int lead)
{
    for (int c = 0; c < C; c++) {
        float *r = xp + (size_t)c * ldx;
        memset(r, 0, (size_t)lead * sizeof(float));
        memcpy(r + lead, x + (size_t)c * T, (size_t)T * sizeof(float));
        memset(r + lead + T, 0, (size_t)(ldx - lead - T) * sizeof(float));
    }
}

/* ---- public API ---- */

size_t snf_conv1d_multi_ws_size(int C, int OC, int T, const int *K, int n, int nthreads)
{
    assert(n >= 1 && n <= SNF_MULTI_MAX);
    snf_multi_layout L;
    snf_multi_plan(&L, C, OC, T, K, n, nthreads);
    size_t m = L.total;
    for (int i = 0; i < n; i++) { /* the fallback calls the single-branch kernels with this ws */
        size_t s = snf_conv1d_ws_size(C, OC, T, K[i], nthreads);
        m = s > m ? s : m;
    }
    return m;
}

void snf_conv1d_multi_forward(float *out, float *ws, const float *inp, const float *const *w,
                              const int *K, int n, int B, int C, int OC, int OCS, int T)
{
    assert(n >= 1 && n <= SNF_MULTI_MAX && OCS >= n * OC);
    if (!snf_conv1d_direct_ok()) {
        for (int i = 0; i < n; i++) {
            snf_conv1d_forward_cs(out + (size_t)i * OC * T, ws, inp, w[i], NULL, B, C, OC, OCS, T,
                                  K[i]);
        }
        return;
    }
    snf_multi_layout L;
    snf_multi_plan(&L, C, OC, T, K, n, snf_threads_max());
    for (int i = 0; i < n; i++) {
        snf_conv1d_direct_pack(ws + L.pk[i], w[i], C, OC, K[i], 0);
    }
SNF_OMP(parallel)
    {
        float *xp = ws + (size_t)SNF_OMP_TID() * L.S;
SNF_OMP(for schedule(dynamic, 1))
        for (int b = 0; b < B; b++) {
            snf_multi_pad(xp, L.ldx, inp + (size_t)b * C * T, C, T, L.lmax);
            for (int i = 0; i < n; i++) {
                int shift = L.lmax - (K[i] - 1) / 2; /* branch i's own left padding */
                snf_conv1d_direct(out + ((size_t)b * OCS + (size_t)i * OC) * T, T, xp + shift,
                                  L.ldx, ws + L.pk[i], C, OC, T, K[i], 0);
            }
        }
    }
}

void snf_conv1d_multi_backward(float *dinp, float *const *dw, float *ws, const float *dout,
                               const float *inp, const float *const *w, const int *K, int n, int B,
                               int C, int OC, int OCS, int T)
{
    assert(n >= 1 && n <= SNF_MULTI_MAX && OCS >= n * OC);
    if (snf_conv1d_direct_level() != SNF_CONV_AVX512) { /* AVX2 keeps sgemm for dW (conv1d.c) */
        for (int i = n - 1; i >= 0; i--) {
            snf_conv1d_backward_cs(dinp, dw[i], NULL, ws, dout + (size_t)i * OC * T, inp, w[i],
                                   B, C, OC, OCS, T, K[i]);
        }
        return;
    }
    snf_multi_layout L;
    snf_multi_plan(&L, C, OC, T, K, n, snf_threads_max());
    if (dinp) {
        for (int i = 0; i < n; i++) {
            snf_conv1d_direct_pack(ws + L.pk[i] + snf_al16(snf_conv1d_direct_pack_size(C, OC, K[i])),
                                   w[i], C, OC, K[i], 1);
        }
    }
    int nch = B < SNF_MULTI_CHUNKS ? B : SNF_MULTI_CHUNKS;
    size_t padx = snf_al16((size_t)C * L.ldx), pady = snf_al16((size_t)OC * L.ldx);
SNF_OMP(parallel)
    {
        float *xp = ws + (size_t)SNF_OMP_TID() * L.S;
        float *dyp = xp + padx, *dyt = dyp + pady;
        float *parts = ws + (size_t)SNF_OMP_NT() * L.S;
SNF_OMP(for schedule(dynamic, 1))
        for (int ch = 0; ch < nch; ch++) {
            float *pch = parts + (size_t)ch * L.P;
            int lo, hi;
            snf_split(B, nch, ch, &lo, &hi);
            memset(pch, 0, L.P * sizeof(float));
            for (int b = lo; b < hi; b++) {
                snf_multi_pad(xp, L.ldx, inp + (size_t)b * C * T, C, T, L.lmax);
                for (int i = n - 1; i >= 0; i--) {
                    int Ki = K[i], left = (Ki - 1) / 2, right = Ki - 1 - left;
                    const float *dy = dout + ((size_t)b * OCS + (size_t)i * OC) * T;
                    snf_conv1d_direct_dw(pch + L.poff[i], dyt, dy, xp + (L.lmax - left), L.ldx, C,
                                         OC, T, Ki);
                    if (dinp) {
                        const float *wtb =
                            ws + L.pk[i] + snf_al16(snf_conv1d_direct_pack_size(C, OC, Ki));
                        snf_multi_pad(dyp, T + Ki - 1, dy, OC, T, right);
                        snf_conv1d_direct(dinp + (size_t)b * C * T, T, dyp, T + Ki - 1, wtb, OC, C,
                                          T, Ki, 1);
                    }
                }
            }
        }
        /* (implicit barrier) ordered sums over chunks, all branches in one loop */
        for (int i = 0; i < n; i++) {
            size_t CK = (size_t)C * K[i], nw = (size_t)OC * CK;
            float *dwi = dw[i];
            const float *pi = parts + L.poff[i];
SNF_OMP(for schedule(static) nowait)
            for (size_t e = 0; e < nw; e++) {
                size_t j = (e % CK) * (size_t)L.OCP + e / CK; /* partials are (c K + k) OCP + o */
                float s = 0.0f;
                for (int p = 0; p < nch; p++) {
                    s += pi[(size_t)p * L.P + j];
                }
                dwi[e] += s;
            }
        }
    }
}
