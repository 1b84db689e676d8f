/* loss.c: mean squared error on standardised targets, mean over batch and outputs. */
#include <stddef.h>

#include "snforge/nn.h"

/* ---- public API ---- */

float snf_mse_forward(const float *pred, const float *target, int B, int NO)
{
    size_t n = (size_t)B * NO;
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)pred[i] - (double)target[i];
        s += d * d;
    }
    return n ? (float)(s / (double)n) : 0.0f;
}

void snf_mse_backward(float *dpred, const float *pred, const float *target, int B, int NO)
{
    size_t n = (size_t)B * NO;
    float k = n ? 2.0f / (float)n : 0.0f;
    for (size_t i = 0; i < n; i++) {
        dpred[i] += k * (pred[i] - target[i]);
    }
}
