/* batchnorm.c: batch normalisation over (batch x time) per channel, train and eval modes, and the
 * fused BN + ReLU used after every Inception module. Channels are independent, so OpenMP runs over
 * channels and every reduction is serial within its channel: results do not depend on the thread
 * count. Sums are accumulated in double (B*T can be 32768 values). */
#include <math.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers ---- */

/* Row sums with 16 independent lanes, so they vectorise without -ffast-math (fixed order). */
#define SNF_LANES 16

static float snf_row_sum(const float *restrict x, int n)
{
    float a[SNF_LANES] = {0};
    int t = 0;
    for (; t + SNF_LANES <= n; t += SNF_LANES)
        for (int j = 0; j < SNF_LANES; j++) a[j] += x[t + j];
    float s = 0.0f;
    for (; t < n; t++) s += x[t];
    for (int j = 0; j < SNF_LANES; j++) s += a[j];
    return s;
}

static float snf_row_sumsq(const float *restrict x, float m, int n)
{
    float a[SNF_LANES] = {0};
    int t = 0;
    for (; t + SNF_LANES <= n; t += SNF_LANES)
        for (int j = 0; j < SNF_LANES; j++) {
            float d = x[t + j] - m;
            a[j] += d * d;
        }
    float s = 0.0f;
    for (; t < n; t++) s += (x[t] - m) * (x[t] - m);
    for (int j = 0; j < SNF_LANES; j++) s += a[j];
    return s;
}

/* s1 = sum g, s2 = sum g (x - m) with g = dy, masked by y > 0 when y is given. */
static void snf_row_gsums(const float *restrict dy, const float *restrict y,
                          const float *restrict x, float m, int n, float *s1, float *s2)
{
    float a[SNF_LANES] = {0}, b[SNF_LANES] = {0};
    int t = 0;
    for (; t + SNF_LANES <= n; t += SNF_LANES)
        for (int j = 0; j < SNF_LANES; j++) {
            float g = (!y || y[t + j] > 0.0f) ? dy[t + j] : 0.0f;
            a[j] += g;
            b[j] += g * (x[t + j] - m);
        }
    float u = 0.0f, v = 0.0f;
    for (; t < n; t++) {
        float g = (!y || y[t] > 0.0f) ? dy[t] : 0.0f;
        u += g;
        v += g * (x[t] - m);
    }
    for (int j = 0; j < SNF_LANES; j++) u += a[j], v += b[j];
    *s1 = u;
    *s2 = v;
}

/* y = a x + sh over one row of n samples, then ReLU if relu (the normalise-scale-shift of both modes). */
static void snf_bn_affine_row(float *y, const float *x, float a, float sh, int n, int relu)
{
    if (relu) {
        for (int t = 0; t < n; t++) {
            float z = a * x[t] + sh;
            y[t] = z > 0.0f ? z : 0.0f;
        }
    } else {
        for (int t = 0; t < n; t++) {
            y[t] = a * x[t] + sh;
        }
    }
}

/* The synchronised-BN reducer (NULL: local statistics) and its scratch. */
static snf_bn_reduce_fn snf_bn_reduce = NULL;
static void *snf_bn_reduce_ctx = NULL;
static double snf_bn_buf[2 * SNF_BN_SYNC_MAX + 1];

void snf_bn_set_reduce(snf_bn_reduce_fn fn, void *ctx)
{
    snf_bn_reduce = fn;
    snf_bn_reduce_ctx = ctx;
}

/* Train mode with statistics summed over the ranks: the same arithmetic as snf_bn_train, split into
 * phases around the two reductions. */
static void snf_bn_train_sync(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                              const float *inp, const float *gamma, const float *beta, int B, int C,
                              int T, float eps, float momentum, int relu)
{
    double *acc = snf_bn_buf;
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int c = 0; c < C; c++) {
        double s = 0.0;
        for (int b = 0; b < B; b++) {
            s += snf_row_sum(inp + ((size_t)b * C + c) * T, T);
        }
        acc[c] = s;
    }
    acc[C] = (double)B * T;
    snf_bn_reduce(acc, C + 1, snf_bn_reduce_ctx);
    const double n = acc[C];
    for (int c = 0; c < C; c++) {
        mean[c] = (float)(acc[c] / n);
    }
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int c = 0; c < C; c++) {
        double v = 0.0;
        for (int b = 0; b < B; b++) {
            v += snf_row_sumsq(inp + ((size_t)b * C + c) * T, mean[c], T);
        }
        acc[c] = v;
    }
    snf_bn_reduce(acc, C, snf_bn_reduce_ctx);
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int c = 0; c < C; c++) {
        double v = acc[c] / n;
        float mf = mean[c];
        float rs = (float)(1.0 / sqrt(v + (double)eps));
        rstd[c] = rs;
        if (run_mean && run_var) {
            run_mean[c] = momentum * run_mean[c] + (1.0f - momentum) * mf;
            run_var[c] = momentum * run_var[c] + (1.0f - momentum) * (float)v;
        }
        float a = gamma[c] * rs;
        float sh = beta[c] - a * mf;
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + c) * T;
            snf_bn_affine_row(out + off, inp + off, a, sh, T, relu);
        }
    }
}

static void snf_bn_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                         const float *inp, const float *gamma, const float *beta, int B, int C,
                         int T, float eps, float momentum, int relu)
{
    if (snf_bn_reduce) {
        snf_bn_train_sync(out, mean, rstd, run_mean, run_var, inp, gamma, beta, B, C, T, eps, momentum, relu);
        return;
    }
    double n = (double)B * T;
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int c = 0; c < C; c++) {
        double s = 0.0; /* per-row float sums (vectorised), rows added in double */
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * T;
            s += snf_row_sum(x, T);
        }
        double m = s / n;
        float mf0 = (float)m;
        double v = 0.0; /* two-pass variance: no cancellation */
        for (int b = 0; b < B; b++) {
            const float *x = inp + ((size_t)b * C + c) * T;
            v += snf_row_sumsq(x, mf0, T);
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
            size_t off = ((size_t)b * C + c) * T;
            snf_bn_affine_row(out + off, inp + off, a, sh, T, relu);
        }
    }
}

static void snf_bn_eval(float *out, const float *inp, const float *gamma, const float *beta,
                        const float *run_mean, const float *run_var, int B, int C, int T, float eps,
                        int relu)
{
SNF_OMP(parallel for schedule(dynamic, 16) collapse(2))
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            float a = gamma[c] / sqrtf(run_var[c] + eps);
            float sh = beta[c] - a * run_mean[c];
            size_t off = ((size_t)b * C + c) * T;
            snf_bn_affine_row(out + off, inp + off, a, sh, T, relu);
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
    double *acc = snf_bn_buf; /* synchronised BN: the sums over all ranks */
    if (snf_bn_reduce) {
SNF_OMP(parallel for schedule(dynamic, 4))
        for (int c = 0; c < C; c++) {
            double sg = 0.0, sgx = 0.0;
            for (int b = 0; b < B; b++) {
                size_t o = ((size_t)b * C + c) * T;
                float s1, s2;
                snf_row_gsums(dout + o, out ? out + o : NULL, inp + o, mean[c], T, &s1, &s2);
                sg += s1;
                sgx += s2;
            }
            acc[c] = sg;
            acc[C + c] = sgx;
        }
        acc[2 * C] = n;
        snf_bn_reduce(acc, 2 * C + 1, snf_bn_reduce_ctx);
        n = acc[2 * C];
    }
SNF_OMP(parallel for schedule(dynamic, 4))
    for (int c = 0; c < C; c++) {
        float m = mean[c], rs = rstd[c];
        double sg = 0.0, sgx = 0.0;
        for (int b = 0; b < B; b++) {
            size_t o = ((size_t)b * C + c) * T;
            const float *x = inp + o, *dy = dout + o;
            float s1, s2; /* per-row float sums, rows added in double */
            snf_row_gsums(dy, out ? out + o : NULL, x, m, T, &s1, &s2);
            sg += s1;
            sgx += s2;
        }
        sgx *= rs; /* sum g xhat */
        dbeta[c] += (float)sg; /* local sums: parameter gradients are summed over the ranks later */
        dgamma[c] += (float)sgx;
        if (snf_bn_reduce) {
            sg = acc[c];
            sgx = acc[C + c] * rs;
        }
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
