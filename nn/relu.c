/* relu.c: element-wise kernels: ReLU, the residual add, and the fused add + ReLU that closes every
 * residual block. Backward passes accumulate, so a residual add's backward is two += loops. */
#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

void snf_relu_forward(float *out, const float *inp, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
    }
}

void snf_relu_backward(float *dinp, const float *dout, const float *out, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
    }
}

void snf_add_forward(float *out, const float *a, const float *b, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        out[i] = a[i] + b[i];
    }
}

void snf_add_backward(float *da, float *db, const float *dout, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

void snf_addrelu_forward(float *out, const float *a, const float *b, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        float z = a[i] + b[i];
        out[i] = z > 0.0f ? z : 0.0f;
    }
}

void snf_addrelu_backward(float *da, float *db, const float *dout, const float *out, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        float g = out[i] > 0.0f ? dout[i] : 0.0f;
        da[i] += g;
        db[i] += g;
    }
}
