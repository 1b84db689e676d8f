/* batchnorm.c: batch normalisation over (batch x time) per channel, train and eval modes, and the
 * fused BN + ReLU used after every Inception module. Channels are independent, so OpenMP runs over
 * channels and every reduction is serial within its channel: results do not depend on the thread
 * count. Sums are accumulated in double (B*T can be 32768 values). */
#include <math.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

static void snf_bn_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                         const float *inp, const float *gamma, const float *beta, int B, int C,
                         int T, float eps, float momentum, int relu)
{
    double n = (double)B * T;
#pragma omp parallel for schedule(dynamic, 4)
    for (int c = 0; c < C; c++) {
        double s = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * T;
            for (int t = 0; t < T; t++) {
                s += x[t];
            }
        }
        double m = s / n;
        double v = 0.0; /* two-pass variance: no cancellation */
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * T;
            for (int t = 0; t < T; t++) {
                double d = x[t] - m;
                v += d * d;
            }
        }
        v /= n; /* biased: the normalisation uses it, and so does the running-variance update */
        float mf = (float)m;
        float rs = (float)(1.0 / sqrt(v + (double)eps));
        mean[c] = mf;
        rstd[c] = rs;
        if (run_mean && run_var) {
            run_mean[c] = momentum * run_mean[c] + (1.0f - momentum) * mf;
            run_var[c] = momentum * run_var[c] + (1.0f - momentum) * (float)v;
        }
        float a = gamma[c] * rs;
        float sh = beta[c] - a * mf;
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * T;
            float *y = out + ((size_t)b * C + c) * T;
            if (relu) {
                for (int t = 0; t < T; t++) {
                    float z = a * x[t] + sh;
                    y[t] = z > 0.0f ? z : 0.0f;
                }
            } else {
                for (int t = 0; t < T; t++) {
                    y[t] = a * x[t] + sh;
                }
            }
        }
    }
}

static void snf_bn_eval(float *out, const float *inp, const float *gamma, const float *beta,
                        const float *run_mean, const float *run_var, int B, int C, int T, float eps,
                        int relu)
{
#pragma omp parallel for schedule(dynamic, 16) collapse(2)
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            float a = gamma[c] / sqrtf(run_var[c] + eps);
            float sh = beta[c] - a * run_mean[c];
            const float *x = inp + ((size_t)b * C + c) * T;
            float *y = out + ((size_t)b * C + c) * T;
            if (relu) {
                for (int t = 0; t < T; t++) {
                    float z = a * x[t] + sh;
                    y[t] = z > 0.0f ? z : 0.0f;
                }
            } else {
                for (int t = 0; t < T; t++) {
                    y[t] = a * x[t] + sh;
                }
            }
        }
    }
}

/* g = dout (times the ReLU mask out > 0 when out is given); xhat = (x - mean) rstd;
 * dbeta += sum g, dgamma += sum g xhat, dx += gamma rstd (g - mean(g) - xhat mean(g xhat)). */
static void snf_bn_back(float *dinp, float *dgamma, float *dbeta, const float *dout,
                        const float *out, const float *inp, const float *mean, const float *rstd,
                        const float *gamma, int B, int C, int T)
{
    double n = (double)B * T;
#pragma omp parallel for schedule(dynamic, 4)
    for (int c = 0; c < C; c++) {
        float m = mean[c], rs = rstd[c];
        double sg = 0.0, sgx = 0.0;
        for (int b = 0; b < B; b++) {
            size_t o = ((size_t)b * C + c) * T;
            const float *x = inp + o, *dy = dout + o;
            float s1 = 0.0f, s2 = 0.0f; /* per-row float sums, rows added in double */
            if (out) {
                const float *y = out + o;
                for (int t = 0; t < T; t++) {
                    float g = y[t] > 0.0f ? dy[t] : 0.0f;
                    s1 += g;
                    s2 += g * (x[t] - m);
                }
            } else {
                for (int t = 0; t < T; t++) {
                    s1 += dy[t];
                    s2 += dy[t] * (x[t] - m);
                }
            }
            sg += s1;
            sgx += s2;
        }
        sgx *= rs; /* sum g xhat */
        dbeta[c] += (float)sg;
        dgamma[c] += (float)sgx;
        float k = gamma[c] * rs;
        float mg = (float)(sg / n);
        float mgx = (float)(sgx / n) * rs; /* multiplies (x - m): xhat mean(g xhat) */
        if (dinp) {
            for (int b = 0; b < B; b++) {
                size_t o = ((size_t)b * C + c) * T;
                const float *x = inp + o, *dy = dout + o;
                float *dx = dinp + o;
                if (out) {
                    const float *y = out + o;
                    for (int t = 0; t < T; t++) {
                        float g = y[t] > 0.0f ? dy[t] : 0.0f;
                        dx[t] += k * (g - mg - (x[t] - m) * mgx);
                    }
                } else {
                    for (int t = 0; t < T; t++) {
                        dx[t] += k * (dy[t] - mg - (x[t] - m) * mgx);
                    }
                }
            }
        }
    }
}

/* ---- public API ---- */

void snf_bn_forward_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                          const float *inp, const float *gamma, const float *beta, int B, int C,
                          int T, float eps, float momentum)
{
    snf_bn_train(out, mean, rstd, run_mean, run_var, inp, gamma, beta, B, C, T, eps, momentum, 0);
}

void snf_bn_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *run_mean, const float *run_var, int B, int C, int T, float eps)
{
    snf_bn_eval(out, inp, gamma, beta, run_mean, run_var, B, C, T, eps, 0);
}

void snf_bn_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                     const float *mean, const float *rstd, const float *gamma, int B, int C, int T)
{
    snf_bn_back(dinp, dgamma, dbeta, dout, NULL, inp, mean, rstd, gamma, B, C, T);
}

void snf_bnrelu_forward_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                              const float *inp, const float *gamma, const float *beta, int B, int C,
                              int T, float eps, float momentum)
{
    snf_bn_train(out, mean, rstd, run_mean, run_var, inp, gamma, beta, B, C, T, eps, momentum, 1);
}

void snf_bnrelu_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                             const float *run_mean, const float *run_var, int B, int C, int T,
                             float eps)
{
    snf_bn_eval(out, inp, gamma, beta, run_mean, run_var, B, C, T, eps, 1);
}

void snf_bnrelu_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *out, const float *inp, const float *mean, const float *rstd,
                         const float *gamma, int B, int C, int T)
{
    snf_bn_back(dinp, dgamma, dbeta, dout, out, inp, mean, rstd, gamma, B, C, T);
}
