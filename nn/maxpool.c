/* maxpool.c: max-pooling over time, window K, stride 1, 'same' padding (left (K-1)/2) where the
 * padding never wins (only in-range samples compete). Forward records the argmax for backward. */
#include <stddef.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

void snf_maxpool_forward(float *out, int *argmax, const float *inp, int B, int C, int T, int K)
{
    int left = (K - 1) / 2;
    int rows = B * C;
SNF_OMP(parallel for schedule(dynamic, 16))
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * T;
        float *y = out + (size_t)r * T;
        int *am = argmax + (size_t)r * T;
        if (K == 3 && T >= 3) {
            /* The common case, branch-free so it vectorises: ties go to the earliest index. */
            for (int t = 1; t < T - 1; t++) {
                float a = x[t - 1], b = x[t], c = x[t + 1];
                float m = a;
                int i = t - 1;
                i = b > m ? t : i;
                m = b > m ? b : m;
                i = c > m ? t + 1 : i;
                m = c > m ? c : m;
                y[t] = m;
                am[t] = i;
            }
            y[0] = x[1] > x[0] ? x[1] : x[0];
            am[0] = x[1] > x[0] ? 1 : 0;
            y[T - 1] = x[T - 1] > x[T - 2] ? x[T - 1] : x[T - 2];
            am[T - 1] = x[T - 1] > x[T - 2] ? T - 1 : T - 2;
            continue;
        }
        for (int t = 0; t < T; t++) {
            int lo = t - left, hi = t - left + K; /* window [lo, hi) clipped to [0, T) */
            if (lo < 0) {
                lo = 0;
            }
            if (hi > T) {
                hi = T;
            }
            int best = lo;
            float bv = x[lo];
            for (int i = lo + 1; i < hi; i++) {
                if (x[i] > bv) {
                    bv = x[i];
                    best = i;
                }
            }
            y[t] = bv;
            am[t] = best;
        }
    }
}

void snf_maxpool_backward(float *dinp, const float *dout, const int *argmax, int B, int C, int T)
{
    int rows = B * C;
SNF_OMP(parallel for schedule(dynamic, 16))
    for (int r = 0; r < rows; r++) {
        const float *dy = dout + (size_t)r * T;
        const int *am = argmax + (size_t)r * T;
        float *dx = dinp + (size_t)r * T;
        for (int t = 0; t < T; t++) {
            dx[am[t]] += dy[t];
        }
    }
}
