/* pool_gap.c: global average pooling over time, (B,C,T) -> (B,C). */
#include <stddef.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

void snf_gap_forward(float *out, const float *inp, int B, int C, int T)
{
    int rows = B * C;
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int r = 0; r < rows; r++) {
        const float *x = inp + (size_t)r * T;
        double s = 0.0;
        for (int t = 0; t < T; t++) {
            s += x[t];
        }
        out[r] = (float)(s / T);
    }
}

void snf_gap_backward(float *dinp, const float *dout, int B, int C, int T)
{
    int rows = B * C;
    float inv = 1.0f / (float)T;
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int r = 0; r < rows; r++) {
        float g = dout[r] * inv;
        float *dx = dinp + (size_t)r * T;
        for (int t = 0; t < T; t++) {
            dx[t] += g;
        }
    }
}
