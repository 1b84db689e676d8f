/* dwconv.c: depthwise 1-D convolution with dilation and TensorFlow 'same' padding (LITE's separable
 * convolutions are this followed by a 1x1 convolution), and the fixed hand-crafted filters of the
 * LITE / H-InceptionTime hybrid layer (nn.h gives the formulas and sources). Portable C loops written
 * so the compiler vectorises them: sums kept in blocks of SNF_DW_TB samples or lanes on zero-padded
 * rows (in LITE these kernels took 46% of a training step as plain loops, the weight-gradient sums
 * scalar). */
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- depthwise convolution ---- */

/* One row: out[t] (+)= sum_k w[k] x[t + d k - left] over in-range indices (the hand-crafted filters,
 * and the depthwise convolution when no padded scratch row could be allocated). */
static void snf_dw_row(float *out, const float *x, const float *w, int T, int K, int d, int left)
{
    for (int k = 0; k < K; k++) {
        int sh = d * k - left; /* out[t] reads x[t + sh] */
        int lo = sh < 0 ? -sh : 0, hi = sh > 0 ? T - sh : T;
        float wk = w[k];
        for (int t = lo; t < hi; t++) {
            out[t] += wk * x[t + sh];
        }
    }
}

/* Eight floats in one AVX2 register (GCC/Clang vector extension: nn/ is built for x86-64-v3 (SNF_ARCH_FLAGS); the
 * same source gives SSE pairs elsewhere). Loads and stores through memcpy, so any alignment is fine. */
typedef float snf_v8 __attribute__((vector_size(32)));
#define SNF_DW_TB 32 /* samples per register block: four snf_v8, four independent sum chains */

static inline snf_v8 snf_v8_load(const float *p)
{
    snf_v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void snf_v8_store(float *p, snf_v8 v)
{
    memcpy(p, &v, sizeof v);
}

/* Scratch of one thread, in floats: a zero-padded input row (Tp + d (K-1)), a zero-padded output-
 * gradient row (Tp), the reversed kernel (K) and the per-tap double sums (2 K), Tp = T rounded up to
 * SNF_DW_TB. */
static int snf_dw_tp(int T)
{
    return (T + SNF_DW_TB - 1) / SNF_DW_TB * SNF_DW_TB;
}

static size_t snf_dw_scratch_floats(int T, int K, int d)
{
    size_t tp = (size_t)snf_dw_tp(T);
    return (2 * tp + (size_t)d * (K - 1) + 3 * (size_t)K + 2 + 15) & ~(size_t)15;
}

/* xp[0 .. lead) = 0, xp[lead .. lead+T) = x, zeros after, n samples in all. */
static void snf_dw_pad(float *restrict xp, const float *restrict x, int T, int lead, int n)
{
    memset(xp, 0, (size_t)lead * sizeof *xp);
    memcpy(xp + lead, x, (size_t)T * sizeof *xp);
    memset(xp + lead + T, 0, (size_t)(n - lead - T) * sizeof *xp);
}

/* out[t] (+)= sum_k w[k] xp[t + d k], t < T, xp zero-padded to Tp + d (K-1) samples: blocks of
 * SNF_DW_TB samples keep their sums in four registers over the K taps, k in order. */
static void snf_dw_padded(float *restrict out, const float *restrict xp, const float *restrict w, int T, int K,
                          int d, int accumulate)
{
    for (int t0 = 0; t0 < T; t0 += SNF_DW_TB) {
        snf_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        for (int k = 0; k < K; k++) {
            const float *x = xp + t0 + (size_t)d * k;
            snf_v8 wk = {0};
            wk += w[k]; /* broadcast */
            a0 += wk * snf_v8_load(x);
            a1 += wk * snf_v8_load(x + 8);
            a2 += wk * snf_v8_load(x + 16);
            a3 += wk * snf_v8_load(x + 24);
        }
        float a[SNF_DW_TB];
        snf_v8_store(a, a0);
        snf_v8_store(a + 8, a1);
        snf_v8_store(a + 16, a2);
        snf_v8_store(a + 24, a3);
        int n = T - t0 < SNF_DW_TB ? T - t0 : SNF_DW_TB;
        for (int j = 0; j < n; j++) out[t0 + j] = accumulate ? out[t0 + j] + a[j] : a[j];
    }
}

/* sum_t dy[t] xp[t], t < Tp (a multiple of SNF_DW_TB; both rows zero-padded): four register lanes
 * summed in a fixed order, so the result does not depend on the thread count. */
static float snf_dw_dot(const float *restrict dy, const float *restrict xp, int Tp)
{
    snf_v8 l0 = {0}, l1 = {0}, l2 = {0}, l3 = {0};
    for (int t = 0; t < Tp; t += SNF_DW_TB) {
        l0 += snf_v8_load(dy + t) * snf_v8_load(xp + t);
        l1 += snf_v8_load(dy + t + 8) * snf_v8_load(xp + t + 8);
        l2 += snf_v8_load(dy + t + 16) * snf_v8_load(xp + t + 16);
        l3 += snf_v8_load(dy + t + 24) * snf_v8_load(xp + t + 24);
    }
    snf_v8 l = (l0 + l1) + (l2 + l3);
    return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
}

void snf_dwconv1d_forward(float *out, const float *inp, const float *w, int B, int C, int T, int K, int d)
{
    const int left = d * (K - 1) / 2, np = snf_dw_tp(T) + d * (K - 1);
    const long rows = (long)B * C;
    const size_t S = snf_dw_scratch_floats(T, K, d);
    float *scratch = malloc((size_t)snf_threads_max() * S * sizeof *scratch);
SNF_OMP(parallel)
    {
        float *xp = scratch ? scratch + (size_t)SNF_OMP_TID() * S : NULL;
SNF_OMP(for schedule(static))
        for (long r = 0; r < rows; r++) {
            int c = (int)(r % C);
            float *o = out + (size_t)r * T;
            const float *x = inp + (size_t)r * T, *wc = w + (size_t)c * K;
            if (xp) {
                snf_dw_pad(xp, x, T, left, np);
                snf_dw_padded(o, xp, wc, T, K, d, 0);
            } else {
                memset(o, 0, (size_t)T * sizeof *o);
                snf_dw_row(o, x, wc, T, K, d, left);
            }
        }
    }
    free(scratch);
}

/* The unpadded loops of the backward pass, when no scratch could be allocated. */
static void snf_dw_backward_rows(float *dinp, float *dw, const float *dout, const float *inp, const float *w,
                                 int B, int C, int T, int K, int d)
{
    const int left = d * (K - 1) / 2;
    for (long r = 0; dinp && r < (long)B * C; r++) {
        const float *dy = dout + (size_t)r * T, *wc = w + (size_t)(r % C) * K;
        float *dx = dinp + (size_t)r * T;
        for (int k = 0; k < K; k++) {
            int sh = d * k - left;
            for (int s = sh > 0 ? sh : 0; s < (sh < 0 ? T + sh : T); s++) dx[s] += wc[k] * dy[s - sh];
        }
    }
    for (int c = 0; c < C; c++) {
        for (int k = 0; k < K; k++) {
            int sh = d * k - left;
            double acc = 0.0;
            for (int b = 0; b < B; b++) {
                const float *dy = dout + ((size_t)b * C + c) * T, *x = inp + ((size_t)b * C + c) * T;
                float part = 0.0f;
                for (int t = sh < 0 ? -sh : 0; t < (sh > 0 ? T - sh : T); t++) part += dy[t] * x[t + sh];
                acc += part;
            }
            dw[(size_t)c * K + k] += (float)acc;
        }
    }
}

void snf_dwconv1d_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, int B,
                           int C, int T, int K, int d)
{
    const int left = d * (K - 1) / 2, Tp = snf_dw_tp(T), np = Tp + d * (K - 1);
    const long rows = (long)B * C;
    const size_t S = snf_dw_scratch_floats(T, K, d);
    float *scratch = malloc((size_t)snf_threads_max() * S * sizeof *scratch);
    if (!scratch) {
        snf_dw_backward_rows(dinp, dw, dout, inp, w, B, C, T, K, d);
        return;
    }
SNF_OMP(parallel)
    {
        float *xp = scratch + (size_t)SNF_OMP_TID() * S, *dyp = xp + np, *wf = dyp + Tp;
        double *acc = (double *)(void *)(xp + (((size_t)np + (size_t)Tp + (size_t)K + 1) & ~(size_t)1));
        /* dx[s] += sum_k w[k] dy[s - (d k - left)] = sum_k w[K-1-k] dyp[s + d k] with dyp = dy padded by
         * d (K-1) - left in front: the forward kernel with the taps reversed */
        if (dinp) {
SNF_OMP(for schedule(static))
            for (long r = 0; r < rows; r++) {
                const float *wc = w + (size_t)(r % C) * K;
                for (int k = 0; k < K; k++) wf[k] = wc[K - 1 - k];
                snf_dw_pad(xp, dout + (size_t)r * T, T, d * (K - 1) - left, np);
                snf_dw_padded(dinp + (size_t)r * T, xp, wf, T, K, d, 1);
            }
        }
        /* dw[c,k] += sum_b sum_t dy[b,c,t] x[b,c,t + d k - left]: one channel per iteration; per row
         * and tap a float sum over the padded rows, rows added in batch order in double */
SNF_OMP(for schedule(static))
        for (int c = 0; c < C; c++) {
            for (int k = 0; k < K; k++) acc[k] = 0.0;
            for (int b = 0; b < B; b++) {
                size_t off = ((size_t)b * C + c) * T;
                snf_dw_pad(xp, inp + off, T, left, np);
                snf_dw_pad(dyp, dout + off, T, 0, Tp);
                for (int k = 0; k < K; k++) acc[k] += snf_dw_dot(dyp, xp + (size_t)d * k, Tp);
            }
            for (int k = 0; k < K; k++) dw[(size_t)c * K + k] += (float)acc[k];
        }
    }
    free(scratch);
}

/* ---- hand-crafted filters ---- */

int snf_hybrid_filter(int j, float *w)
{
    if (j < 12) { /* trend filters: lengths 2^(1 + j mod 6); increasing -1, +1, ...; decreasing +1, -1, ... */
        int L = 2 << (j % 6);
        float first = j < 6 ? -1.0f : 1.0f;
        for (int k = 0; k < L; k++) {
            w[k] = k % 2 == 0 ? first : -first;
        }
        return L;
    }
    int K = 4 << (j - 12), q = K / 4, L = K + K / 2; /* peak filters: K = 4 ... 64, length 3K/2 */
    for (int i = 0; i < q; i++) {
        float l = (float)((double)(i + 1) / q * (double)(i + 1) / q), r = (float)((double)(q - i) / q * (double)(q - i) / q);
        w[i] = -l;
        w[q + i] = -r;
        w[2 * q + i] = 2.0f * l;
        w[3 * q + i] = 2.0f * r;
        w[4 * q + i] = -l;
        w[5 * q + i] = -r;
    }
    return L;
}

void snf_hybrid_forward(float *out, const float *inp, int B, int C, int OCS, int T)
{
    float wt[SNF_HYBRID_PER_CHANNEL][96];
    int len[SNF_HYBRID_PER_CHANNEL], kmax = 1;
    for (int j = 0; j < SNF_HYBRID_PER_CHANNEL; j++) {
        len[j] = snf_hybrid_filter(j, wt[j]);
        kmax = len[j] > kmax ? len[j] : kmax;
    }
    const long rows = (long)B * C * SNF_HYBRID_PER_CHANNEL;
    /* the depthwise kernel on zero-padded rows (the plain loop without scratch): the same sums, taps in the same
     * order; a padded tap adds w x 0, which changes no sum but the sign of a zero, and the ReLU maps both zeros
     * to +0, so the output is the plain loop's bit for bit */
    const size_t S = snf_dw_scratch_floats(T, kmax, 1);
    float *scratch = malloc((size_t)snf_threads_max() * S * sizeof *scratch);
SNF_OMP(parallel)
    {
        float *xp = scratch ? scratch + (size_t)SNF_OMP_TID() * S : NULL;
SNF_OMP(for schedule(static))
        for (long r = 0; r < rows; r++) {
            int j = (int)(r % SNF_HYBRID_PER_CHANNEL);
            long bc = r / SNF_HYBRID_PER_CHANNEL;
            int b = (int)(bc / C), c = (int)(bc % C);
            float *o = out + ((size_t)b * OCS + (size_t)c * SNF_HYBRID_PER_CHANNEL + j) * T;
            const float *x = inp + ((size_t)b * C + c) * T;
            const int left = (len[j] - 1) / 2;
            if (xp) {
                snf_dw_pad(xp, x, T, left, snf_dw_tp(T) + len[j] - 1);
                snf_dw_padded(o, xp, wt[j], T, len[j], 1, 0);
            } else {
                memset(o, 0, (size_t)T * sizeof *o);
                snf_dw_row(o, x, wt[j], T, len[j], 1, left);
            }
            for (int t = 0; t < T; t++) {
                o[t] = o[t] > 0.0f ? o[t] : 0.0f;
            }
        }
    }
    free(scratch);
}
