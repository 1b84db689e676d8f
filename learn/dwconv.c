/* dwconv.c: depthwise 1-D convolution with dilation and TensorFlow 'same' padding (LITE's separable
 * convolutions are this followed by a 1x1 convolution), and the fixed hand-crafted filters of the
 * LITE / H-InceptionTime hybrid layer (nn.h gives the formulas and sources). Portable C loops: the work
 * is a few percent of InceptionTime's, and the compiler vectorises the inner time loops. */
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- depthwise convolution ---- */

/* One row: out[t] (+)= sum_k w[k] x[t + d k - left] over in-range indices. */
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

void snf_dwconv1d_forward(float *out, const float *inp, const float *w, int B, int C, int T, int K, int d)
{
    const int left = d * (K - 1) / 2;
    const long rows = (long)B * C;
SNF_OMP(parallel for schedule(static))
    for (long r = 0; r < rows; r++) {
        int c = (int)(r % C);
        float *o = out + (size_t)r * T;
        memset(o, 0, (size_t)T * sizeof *o);
        snf_dw_row(o, inp + (size_t)r * T, w + (size_t)c * K, T, K, d, left);
    }
}

void snf_dwconv1d_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, int B,
                           int C, int T, int K, int d)
{
    const int left = d * (K - 1) / 2;
    const long rows = (long)B * C;
    if (dinp) { /* dx[t + sh] += w[k] dy[t]: dx[s] += w[k] dy[s - sh] */
SNF_OMP(parallel for schedule(static))
        for (long r = 0; r < rows; r++) {
            int c = (int)(r % C);
            const float *dy = dout + (size_t)r * T, *wc = w + (size_t)c * K;
            float *dx = dinp + (size_t)r * T;
            for (int k = 0; k < K; k++) {
                int sh = d * k - left;
                int lo = sh > 0 ? sh : 0, hi = sh < 0 ? T + sh : T;
                float wk = wc[k];
                for (int s = lo; s < hi; s++) {
                    dx[s] += wk * dy[s - sh];
                }
            }
        }
    }
    /* dw[c,k] += sum_b sum_t dy[b,c,t] x[b,c,t + sh]: one channel per iteration, batch in order */
SNF_OMP(parallel for schedule(static))
    for (int c = 0; c < C; c++) {
        for (int k = 0; k < K; k++) {
            int sh = d * k - left;
            int lo = sh < 0 ? -sh : 0, hi = sh > 0 ? T - sh : T;
            double acc = 0.0;
            for (int b = 0; b < B; b++) {
                const float *dy = dout + ((size_t)b * C + c) * T, *x = inp + ((size_t)b * C + c) * T;
                float part = 0.0f;
                for (int t = lo; t < hi; t++) {
                    part += dy[t] * x[t + sh];
                }
                acc += part;
            }
            dw[(size_t)c * K + k] += (float)acc;
        }
    }
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
    int len[SNF_HYBRID_PER_CHANNEL];
    for (int j = 0; j < SNF_HYBRID_PER_CHANNEL; j++) {
        len[j] = snf_hybrid_filter(j, wt[j]);
    }
    const long rows = (long)B * C * SNF_HYBRID_PER_CHANNEL;
SNF_OMP(parallel for schedule(static))
    for (long r = 0; r < rows; r++) {
        int j = (int)(r % SNF_HYBRID_PER_CHANNEL);
        long bc = r / SNF_HYBRID_PER_CHANNEL;
        int b = (int)(bc / C), c = (int)(bc % C);
        float *o = out + ((size_t)b * OCS + (size_t)c * SNF_HYBRID_PER_CHANNEL + j) * T;
        memset(o, 0, (size_t)T * sizeof *o);
        snf_dw_row(o, inp + ((size_t)b * C + c) * T, wt[j], T, len[j], 1, (len[j] - 1) / 2);
        for (int t = 0; t < T; t++) {
            o[t] = o[t] > 0.0f ? o[t] : 0.0f;
        }
    }
}
