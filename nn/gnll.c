/* gnll.c: the Gaussian output head's loss (uq.h): negative log-likelihood with a softplus variance, and
 * the dispatch between it and the MSE head. */
#include <math.h>
#include <stddef.h>

#include "snforge/nn.h"

/* ---- static helpers ---- */

/* log(1 + e^s) without overflow (s > 30: e^-s < 1e-13 relative) */
static double snf_softplus(double s)
{
    return s > 30.0 ? s : (s < -30.0 ? exp(s) : log1p(exp(s)));
}

static double snf_sigmoid(double s)
{
    return s >= 0 ? 1.0 / (1.0 + exp(-s)) : exp(s) / (1.0 + exp(s));
}

/* ---- public API ---- */

double snf_gnll_var(float s)
{
    return snf_softplus((double)s) + SNF_GNLL_VAR_MIN;
}

float snf_gnll_forward(const float *pred, const float *target, int B, int NP)
{
    const double half_ln_2pi = 0.91893853320467274178;
    double sum = 0.0;
    for (int b = 0; b < B; b++) {
        const float *mu = pred + (size_t)b * 2 * NP, *s = mu + NP, *y = target + (size_t)b * NP;
        for (int k = 0; k < NP; k++) {
            double var = snf_gnll_var(s[k]), d = (double)y[k] - (double)mu[k];
            sum += half_ln_2pi + 0.5 * log(var) + 0.5 * d * d / var;
        }
    }
    return B * NP > 0 ? (float)(sum / ((double)B * NP)) : 0.0f;
}

void snf_gnll_backward(float *dpred, const float *pred, const float *target, int B, int NP)
{
    const double inv_n = B * NP > 0 ? 1.0 / ((double)B * NP) : 0.0;
    for (int b = 0; b < B; b++) {
        const float *mu = pred + (size_t)b * 2 * NP, *s = mu + NP, *y = target + (size_t)b * NP;
        float *dmu = dpred + (size_t)b * 2 * NP, *ds = dmu + NP;
        for (int k = 0; k < NP; k++) {
            double var = snf_gnll_var(s[k]), d = (double)mu[k] - (double)y[k];
            dmu[k] += (float)(d / var * inv_n);
            ds[k] += (float)(0.5 * (1.0 / var - d * d / (var * var)) * snf_sigmoid((double)s[k]) * inv_n);
        }
    }
}

float snf_head_loss(int head, const float *pred, const float *target, int B, int n_out)
{
    return head == SNF_HEAD_GAUSSIAN ? snf_gnll_forward(pred, target, B, n_out / 2)
                                     : snf_mse_forward(pred, target, B, n_out);
}

void snf_head_loss_backward(int head, float *dpred, const float *pred, const float *target, int B, int n_out)
{
    if (head == SNF_HEAD_GAUSSIAN) {
        snf_gnll_backward(dpred, pred, target, B, n_out / 2);
    } else {
        snf_mse_backward(dpred, pred, target, B, n_out);
    }
}
