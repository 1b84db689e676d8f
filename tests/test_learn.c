/* test_learn.c: the nn/ numerical core. Every backward is checked against central differences
 * (4-point stencil, evaluated in double from the float kernels) on small random shapes; BLAS kernels
 * against naive loops; 'same' padding and Adam against hand-computed numbers; BN modes, the
 * parameter count, schedules, error codes and bitwise determinism of the whole network.
 * Gradient errors are reported as ||numeric - analytic||_2 / ||analytic||_2 per tensor. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "numcheck.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- helpers ---- */

/* Values whose magnitude stays >= margin (away from ReLU kinks). */
static void fill_away(float *x, size_t n, float margin, snf_rng *r)
{
    for (size_t i = 0; i < n; i++) {
        float u = snf_rng_uniform(r);
        float s = snf_rng_uniform(r) < 0.5f ? -1.0f : 1.0f;
        x[i] = s * (margin + u);
    }
}

#define H_LIN (1.0f / 128)   /* step for smooth or linear functions */
#define H_KINK (1.0f / 1024) /* step where a kink is 0.045 or more away */

/* Relative L2 error between the central differences of f with respect to x[0..n) and g. */
static double fd_error(loss_fn f, void *ctx, float *x, size_t n, const float *g, float h)
{
    double num2 = 0.0, den2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fd_one(f, ctx, x + i, h) - (double)g[i];
        num2 += d * d;
        den2 += (double)g[i] * g[i];
    }
    return den2 > 0 ? sqrt(num2 / den2) : sqrt(num2);
}

static double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* ---- conv1d ---- */

typedef struct conv_ctx {
    float *out, *ws, *inp, *w, *b, *r;
    int B, C, OC, T, K;
} conv_ctx;

static double conv_loss(void *vc)
{
    conv_ctx *c = vc;
    snf_conv1d_forward(c->out, c->ws, c->inp, c->w, c->b, c->B, c->C, c->OC, c->T, c->K);
    return dot(c->out, c->r, (size_t)c->B * c->OC * c->T);
}

static void test_conv1d_grad(int B, int C, int OC, int T, int K, snf_rng *rng)
{
    conv_ctx c = {0};
    c.B = B, c.C = C, c.OC = OC, c.T = T, c.K = K;
    size_t ni = (size_t)B * C * T, nw = (size_t)OC * C * K, no = (size_t)B * OC * T;
    c.inp = fmalloc(ni), c.w = fmalloc(nw), c.b = fmalloc(OC), c.r = fmalloc(no), c.out = fmalloc(no);
    c.ws = fmalloc(snf_conv1d_ws_size(C, OC, T, K, snf_threads_max()));
    fill_uniform(c.inp, ni, -1, 1, rng);
    fill_uniform(c.w, nw, -1, 1, rng);
    fill_uniform(c.b, OC, -1, 1, rng);
    fill_uniform(c.r, no, -1, 1, rng);
    float *dinp = fmalloc(ni), *dw = fmalloc(nw), *db = fmalloc(OC);
    /* Start from non-zero gradients to check that backward accumulates. */
    for (size_t i = 0; i < ni; i++) dinp[i] = 0.5f;
    for (size_t i = 0; i < nw; i++) dw[i] = 0.5f;
    for (int i = 0; i < OC; i++) db[i] = 0.5f;
    snf_conv1d_backward(dinp, dw, db, c.ws, c.r, c.inp, c.w, B, C, OC, T, K);
    for (size_t i = 0; i < ni; i++) dinp[i] -= 0.5f;
    for (size_t i = 0; i < nw; i++) dw[i] -= 0.5f;
    for (int i = 0; i < OC; i++) db[i] -= 0.5f;
    const double tol = 1e-4; /* linear in every input: only float rounding remains */
    CHECK_ABS(fd_error(conv_loss, &c, c.inp, ni, dinp, H_LIN), 0, tol, "conv1d K=%d dinp (B%d C%d OC%d T%d)", K, B, C, OC, T);
    CHECK_ABS(fd_error(conv_loss, &c, c.w, nw, dw, H_LIN), 0, tol, "conv1d K=%d dw", K);
    CHECK_ABS(fd_error(conv_loss, &c, c.b, OC, db, H_LIN), 0, tol, "conv1d K=%d db", K);
    free(dinp), free(dw), free(db);
    free(c.inp), free(c.w), free(c.b), free(c.r), free(c.out), free(c.ws);
}

static void test_conv1d_naive_vs_blas(int B, int C, int OC, int T, int K, snf_rng *rng)
{
    size_t ni = (size_t)B * C * T, nw = (size_t)OC * C * K, no = (size_t)B * OC * T;
    float *inp = fmalloc(ni), *w = fmalloc(nw), *b = fmalloc(OC), *dout = fmalloc(no);
    float *o1 = fmalloc(no), *o2 = fmalloc(no);
    float *ws = fmalloc(snf_conv1d_ws_size(C, OC, T, K, snf_threads_max()));
    float *di1 = fmalloc(ni), *di2 = fmalloc(ni), *dw1 = fmalloc(nw), *dw2 = fmalloc(nw);
    float *db1 = fmalloc(OC), *db2 = fmalloc(OC);
    fill_uniform(inp, ni, -1, 1, rng);
    fill_uniform(w, nw, -1, 1, rng);
    fill_uniform(b, OC, -1, 1, rng);
    fill_uniform(dout, no, -1, 1, rng);
    snf_conv1d_forward(o1, ws, inp, w, b, B, C, OC, T, K);
    snf_conv1d_forward_naive(o2, inp, w, b, B, C, OC, T, K);
    snf_conv1d_backward(di1, dw1, db1, ws, dout, inp, w, B, C, OC, T, K);
    snf_conv1d_backward_naive(di2, dw2, db2, dout, inp, w, B, C, OC, T, K);
    const double tol = 1e-5;
    CHECK_ABS(rel_l2(o1, o2, no), 0, tol, "conv1d BLAS vs naive forward B%d C%d OC%d T%d K%d", B, C, OC, T, K);
    CHECK_ABS(rel_l2(di1, di2, ni), 0, tol, "conv1d BLAS vs naive dinp K%d", K);
    CHECK_ABS(rel_l2(dw1, dw2, nw), 0, tol, "conv1d BLAS vs naive dw K%d", K);
    CHECK_ABS(rel_l2(db1, db2, OC), 0, tol, "conv1d BLAS vs naive db K%d", K);
    /* the im2col + sgemm path, whatever the CPU (the default may take the direct AVX-512 kernel) */
    memset(di1, 0, ni * sizeof(float)), memset(dw1, 0, nw * sizeof(float)), memset(db1, 0, OC * sizeof(float));
    snf_conv1d_forward_im2col(o1, ws, inp, w, b, B, C, OC, T, K);
    snf_conv1d_backward_im2col(di1, dw1, db1, ws, dout, inp, w, B, C, OC, T, K);
    CHECK_ABS(rel_l2(o1, o2, no), 0, tol, "conv1d im2col vs naive forward K%d", K);
    CHECK_ABS(rel_l2(di1, di2, ni), 0, tol, "conv1d im2col vs naive dinp K%d", K);
    CHECK_ABS(rel_l2(dw1, dw2, nw), 0, tol, "conv1d im2col vs naive dw K%d", K);
    CHECK_ABS(rel_l2(db1, db2, OC), 0, tol, "conv1d im2col vs naive db K%d", K);
    free(inp), free(w), free(b), free(dout), free(o1), free(o2), free(ws);
    free(di1), free(di2), free(dw1), free(dw2), free(db1), free(db2);
}

/* K = 4 on T = 5: TF 'same' puts 1 zero on the left and 2 on the right. */
static void test_conv1d_same_even(void)
{
    const float x[5] = {1, 2, 3, 4, 5}, w[4] = {1, 10, 100, 1000};
    const float want[5] = {3210, 4321, 5432, 543, 54};
    float out[5], out2[5];
    float *ws = fmalloc(snf_conv1d_ws_size(1, 1, 5, 4, snf_threads_max()));
    snf_conv1d_forward(out, ws, x, w, NULL, 1, 1, 1, 5, 4);
    snf_conv1d_forward_naive(out2, x, w, NULL, 1, 1, 1, 5, 4);
    for (int t = 0; t < 5; t++) {
        CHECK_ABS(out[t], want[t], 0, "same padding K=4 T=5 (left 1, right 2) BLAS out[%d]", t);
        CHECK_ABS(out2[t], want[t], 0, "same padding K=4 T=5 naive out[%d]", t);
    }
    free(ws);
}

/* A branch writing channels [2, 5) of a 7-channel tensor equals the plain conv, and leaves the rest. */
static void test_conv1d_slice(snf_rng *rng)
{
    enum { B = 2, C = 3, OC = 3, OCS = 7, T = 9, K = 6, OFF = 2 };
    float inp[B * C * T], w[OC * C * K], o1[B * OC * T], big[B * OCS * T];
    float *ws = fmalloc(snf_conv1d_ws_size(C, OC, T, K, snf_threads_max()));
    fill_uniform(inp, B * C * T, -1, 1, rng);
    fill_uniform(w, OC * C * K, -1, 1, rng);
    for (int i = 0; i < B * OCS * T; i++) big[i] = -7.0f;
    snf_conv1d_forward(o1, ws, inp, w, NULL, B, C, OC, T, K);
    snf_conv1d_forward_cs(big + OFF * T, ws, inp, w, NULL, B, C, OC, OCS, T, K);
    int bad = 0, untouched = 1;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < OCS; c++)
            for (int t = 0; t < T; t++) {
                float v = big[(b * OCS + c) * T + t];
                if (c >= OFF && c < OFF + OC) {
                    bad += v != o1[(b * OC + c - OFF) * T + t];
                } else {
                    untouched &= v == -7.0f;
                }
            }
    CHECK_INT(bad, 0, "conv1d channel-slice output equals the plain output");
    CHECK_TRUE(untouched, "conv1d channel-slice leaves the other channels alone");
    free(ws);
}

/* The Inception multi-branch kernel equals separate channel-slice convolutions. */
static void test_conv1d_multi(int B, int C, int OC, int T, snf_rng *rng)
{
    enum { NB = 3 };
    const int K[NB] = {8, 4, 2};
    int OCS = NB * OC + 2;
    size_t ni = (size_t)B * C * T, no = (size_t)B * OCS * T;
    float *inp = fmalloc(ni), *dout = fmalloc(no), *o1 = fmalloc(no), *o2 = fmalloc(no);
    float *di1 = fmalloc(ni), *di2 = fmalloc(ni), *w[NB], *dw1[NB], *dw2[NB];
    size_t wsn = snf_conv1d_multi_ws_size(C, OC, T, K, NB, snf_threads_max());
    for (int i = 0; i < NB; i++) {
        size_t s = snf_conv1d_ws_size(C, OC, T, K[i], snf_threads_max());
        wsn = s > wsn ? s : wsn;
        w[i] = fmalloc((size_t)OC * C * K[i]), dw1[i] = fmalloc((size_t)OC * C * K[i]);
        dw2[i] = fmalloc((size_t)OC * C * K[i]);
        fill_uniform(w[i], (size_t)OC * C * K[i], -1, 1, rng);
    }
    float *ws = fmalloc(wsn);
    fill_uniform(inp, ni, -1, 1, rng);
    fill_uniform(dout, no, -1, 1, rng);
    snf_conv1d_multi_forward(o1, ws, inp, (const float *const *)w, K, NB, B, C, OC, OCS, T);
    snf_conv1d_multi_backward(di1, dw1, ws, dout, inp, (const float *const *)w, K, NB, B, C, OC, OCS, T);
    for (int i = 0; i < NB; i++) {
        snf_conv1d_forward_cs(o2 + (size_t)i * OC * T, ws, inp, w[i], NULL, B, C, OC, OCS, T, K[i]);
    }
    for (int i = NB - 1; i >= 0; i--) {
        snf_conv1d_backward_cs(di2, dw2[i], NULL, ws, dout + (size_t)i * OC * T, inp, w[i], B, C, OC, OCS, T, K[i]);
    }
    double e = 0;
    for (int b = 0; b < B; b++)
        for (size_t j = 0; j < (size_t)NB * OC * T; j++) {
            size_t idx = (size_t)b * OCS * T + j;
            e = fmax(e, fabs(o1[idx] - o2[idx]));
        }
    CHECK_ABS(e, 0, 1e-6, "multi-branch forward equals 3 slice convs (B%d C%d OC%d T%d)", B, C, OC, T);
    CHECK_ABS(rel_l2(di1, di2, ni), 0, 1e-6, "multi-branch backward dinp equals 3 slice convs");
    for (int i = 0; i < NB; i++) {
        CHECK_ABS(rel_l2(dw1[i], dw2[i], (size_t)OC * C * K[i]), 0, 1e-6, "multi-branch backward dw[%d]", i);
        free(w[i]), free(dw1[i]), free(dw2[i]);
    }
    free(inp), free(dout), free(o1), free(o2), free(di1), free(di2), free(ws);
}

/* ---- batch normalisation ---- */

typedef struct bn_ctx {
    float *out, *mean, *rstd, *inp, *g, *b, *r;
    int B, C, T;
} bn_ctx;

static double bn_loss(void *vc)
{
    bn_ctx *c = vc;
    snf_bn_forward_train(c->out, c->mean, c->rstd, NULL, NULL, c->inp, c->g, c->b, c->B, c->C, c->T,
                         1e-3f, 0.99f);
    return dot(c->out, c->r, (size_t)c->B * c->C * c->T);
}

static void test_bn(snf_rng *rng)
{
    enum { B = 3, C = 4, T = 5 };
    size_t n = B * C * T;
    bn_ctx c = {0};
    c.B = B, c.C = C, c.T = T;
    c.out = fmalloc(n), c.inp = fmalloc(n), c.r = fmalloc(n);
    c.mean = fmalloc(C), c.rstd = fmalloc(C), c.g = fmalloc(C), c.b = fmalloc(C);
    fill_uniform(c.inp, n, -2, 3, rng);
    fill_uniform(c.g, C, 0.5f, 1.5f, rng);
    fill_uniform(c.b, C, -1, 1, rng);
    fill_uniform(c.r, n, -1, 1, rng);
    float *dinp = fmalloc(n), *dg = fmalloc(C), *db = fmalloc(C);
    bn_loss(&c);
    snf_bn_backward(dinp, dg, db, c.r, c.inp, c.mean, c.rstd, c.g, B, C, T);
    const double tol = 1e-3; /* nonlinear through mean/rstd; float forward, h = 1e-2, 4-point */
    CHECK_ABS(fd_error(bn_loss, &c, c.inp, n, dinp, H_LIN), 0, tol, "BN train dinp");
    CHECK_ABS(fd_error(bn_loss, &c, c.g, C, dg, H_LIN), 0, tol, "BN train dgamma");
    CHECK_ABS(fd_error(bn_loss, &c, c.b, C, db, H_LIN), 0, tol, "BN train dbeta");

    /* Fused BN+ReLU backward equals BN backward of the ReLU backward (same forward). */
    float *y = fmalloc(n), *yr = fmalloc(n), *dpre = fmalloc(n);
    float *d1 = fmalloc(n), *d2 = fmalloc(n), *g1 = fmalloc(C), *g2 = fmalloc(C), *b1 = fmalloc(C),
          *b2 = fmalloc(C), *yf = fmalloc(n);
    snf_bn_forward_train(y, c.mean, c.rstd, NULL, NULL, c.inp, c.g, c.b, B, C, T, 1e-3f, 0.99f);
    snf_relu_forward(yr, y, n);
    snf_bnrelu_forward_train(yf, c.mean, c.rstd, NULL, NULL, c.inp, c.g, c.b, B, C, T, 1e-3f, 0.99f);
    CHECK_ABS(rel_l2(yf, yr, n), 0, 1e-6, "fused BN+ReLU forward equals BN then ReLU");
    snf_relu_backward(dpre, c.r, yr, n);
    snf_bn_backward(d1, g1, b1, dpre, c.inp, c.mean, c.rstd, c.g, B, C, T);
    snf_bnrelu_backward(d2, g2, b2, c.r, yf, c.inp, c.mean, c.rstd, c.g, B, C, T);
    CHECK_ABS(rel_l2(d2, d1, n), 0, 1e-5, "fused BN+ReLU backward dinp equals BN(ReLU) backward");
    CHECK_ABS(rel_l2(g2, g1, C), 0, 1e-5, "fused BN+ReLU backward dgamma");
    CHECK_ABS(rel_l2(b2, b1, C), 0, 1e-5, "fused BN+ReLU backward dbeta");

    /* Running statistics: run = 0.99 run + 0.01 batch (biased variance), from (0, 1). */
    float rm[C], rv[C];
    for (int i = 0; i < C; i++) rm[i] = 0.0f, rv[i] = 1.0f;
    snf_bn_forward_train(y, c.mean, c.rstd, rm, rv, c.inp, c.g, c.b, B, C, T, 1e-3f, 0.99f);
    double bm[C], bv[C];
    for (int ch = 0; ch < C; ch++) {
        double s = 0, s2 = 0;
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) s += c.inp[(b * C + ch) * T + t];
        bm[ch] = s / (B * T);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                double d = c.inp[(b * C + ch) * T + t] - bm[ch];
                s2 += d * d;
            }
        bv[ch] = s2 / (B * T);
        CHECK_REL(rm[ch], 0.01 * bm[ch], 1e-5, "BN running mean ch%d = 0.01 batch mean", ch);
        CHECK_REL(rv[ch], 0.99 + 0.01 * bv[ch], 1e-6, "BN running var ch%d = 0.99 + 0.01 biased var", ch);
        CHECK_REL(c.rstd[ch], 1.0 / sqrt(bv[ch] + 1e-3), 1e-6, "BN rstd ch%d uses the biased variance", ch);
    }
    /* Eval mode with the batch statistics as running statistics reproduces train mode. */
    float em[C], ev[C];
    for (int i = 0; i < C; i++) em[i] = (float)bm[i], ev[i] = (float)bv[i];
    snf_bn_forward_eval(yr, c.inp, c.g, c.b, em, ev, B, C, T, 1e-3f);
    CHECK_ABS(rel_l2(yr, y, n), 0, 1e-6, "BN eval with batch stats equals train output");
    /* Eval mode with the updated running statistics follows them, not the batch. */
    snf_bn_forward_eval(yr, c.inp, c.g, c.b, rm, rv, B, C, T, 1e-3f);
    double e = 0;
    for (int b = 0; b < B; b++)
        for (int ch = 0; ch < C; ch++)
            for (int t = 0; t < T; t++) {
                size_t i = (b * C + ch) * T + t;
                double want = c.g[ch] * (c.inp[i] - rm[ch]) / sqrt(rv[ch] + 1e-3) + c.b[ch];
                e = fmax(e, fabs(yr[i] - want));
            }
    CHECK_ABS(e, 0, 1e-5, "BN eval uses running stats (max abs error)");
    free(y), free(yr), free(dpre), free(d1), free(d2), free(g1), free(g2), free(b1), free(b2), free(yf);
    free(dinp), free(dg), free(db);
    free(c.out), free(c.inp), free(c.r), free(c.mean), free(c.rstd), free(c.g), free(c.b);
}

/* ---- max-pool, GAP, element-wise, dropout, linear, MSE ---- */

typedef struct small_ctx {
    int kind;
    float *out, *inp, *inp2, *w, *b, *r, *mask;
    int *idx;
    int B, C, OC, T;
    size_t n;
} small_ctx;

enum { K_MAXPOOL, K_GAP, K_RELU, K_ADD, K_ADDRELU, K_DROPOUT, K_LINEAR, K_MSE };

static double small_loss(void *vc)
{
    small_ctx *c = vc;
    size_t no = c->n;
    switch (c->kind) {
    case K_MAXPOOL: snf_maxpool_forward(c->out, c->idx, c->inp, c->B, c->C, c->T, 3); break;
    case K_GAP: snf_gap_forward(c->out, c->inp, c->B, c->C, c->T); no = (size_t)c->B * c->C; break;
    case K_RELU: snf_relu_forward(c->out, c->inp, c->n); break;
    case K_ADD: snf_add_forward(c->out, c->inp, c->inp2, c->n); break;
    case K_ADDRELU: snf_addrelu_forward(c->out, c->inp, c->inp2, c->n); break;
    case K_DROPOUT: snf_dropout_forward(c->out, c->mask, c->inp, 0.3f, 42, 7, c->n); break;
    case K_LINEAR:
        snf_linear_forward(c->out, c->inp, c->w, c->b, c->B, c->C, c->OC);
        no = (size_t)c->B * c->OC;
        break;
    case K_MSE: return snf_mse_forward(c->inp, c->inp2, c->B, c->C);
    }
    return dot(c->out, c->r, no);
}

static void test_small_layers(snf_rng *rng)
{
    enum { B = 2, C = 3, T = 11, OC = 4 };
    size_t n = B * C * T;
    small_ctx c = {0};
    c.B = B, c.C = C, c.T = T, c.OC = OC, c.n = n;
    c.out = fmalloc(n), c.inp = fmalloc(n), c.inp2 = fmalloc(n), c.r = fmalloc(n), c.mask = fmalloc(n);
    c.w = fmalloc(OC * C), c.b = fmalloc(OC);
    c.idx = calloc(n, sizeof(int));
    float *d = fmalloc(n), *d2 = fmalloc(n), *dw = fmalloc(OC * C), *db = fmalloc(OC);
    fill_uniform(c.r, n, -1, 1, rng);

    /* max-pool: distinct values 0.05 apart (a shuffled ramp), h = 1e-3 never changes a winner. */
    for (size_t i = 0; i < n; i++) c.inp[i] = 0.05f * (float)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = snf_rng_u64(rng) % (i + 1);
        float tmp = c.inp[i]; c.inp[i] = c.inp[j]; c.inp[j] = tmp;
    }
    c.kind = K_MAXPOOL;
    small_loss(&c);
    memset(d, 0, n * sizeof(float));
    snf_maxpool_backward(d, c.r, c.idx, B, C, T);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_KINK), 0, 1e-4, "maxpool dinp (no ties)");
    /* padding never wins: an all-negative row keeps negative maxima at the edges */
    {
        float x[4] = {-3, -1, -2, -5}, y[4];
        int am[4];
        snf_maxpool_forward(y, am, x, 1, 1, 4, 3);
        CHECK_TRUE(y[0] == -1 && y[1] == -1 && y[2] == -1 && y[3] == -2 && am[3] == 2,
                   "maxpool same padding never wins (got %g %g %g %g)", y[0], y[1], y[2], y[3]);
    }

    fill_uniform(c.inp, n, -1, 1, rng);
    c.kind = K_GAP;
    memset(d, 0, n * sizeof(float));
    snf_gap_backward(d, c.r, B, C, T);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_LIN), 0, 1e-4, "GAP dinp");

    fill_away(c.inp, n, 0.05f, rng);
    c.kind = K_RELU;
    small_loss(&c);
    memset(d, 0, n * sizeof(float));
    snf_relu_backward(d, c.r, c.out, n);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_KINK), 0, 1e-4, "ReLU dinp (away from 0)");

    fill_uniform(c.inp, n, -1, 1, rng);
    fill_uniform(c.inp2, n, -1, 1, rng);
    c.kind = K_ADD;
    memset(d, 0, n * sizeof(float));
    memset(d2, 0, n * sizeof(float));
    snf_add_backward(d, d2, c.r, n);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_LIN), 0, 1e-4, "residual add da");
    CHECK_ABS(fd_error(small_loss, &c, c.inp2, n, d2, H_LIN), 0, 1e-4, "residual add db");

    fill_away(c.inp, n, 0.05f, rng);
    for (size_t i = 0; i < n; i++) c.inp2[i] = 0.01f * (snf_rng_uniform(rng) - 0.5f); /* |a+b| > 0.045 */
    c.kind = K_ADDRELU;
    small_loss(&c);
    memset(d, 0, n * sizeof(float));
    memset(d2, 0, n * sizeof(float));
    snf_addrelu_backward(d, d2, c.r, c.out, n);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_KINK), 0, 1e-4, "add+ReLU da");
    CHECK_ABS(fd_error(small_loss, &c, c.inp2, n, d2, H_KINK), 0, 1e-4, "add+ReLU db");

    fill_uniform(c.inp, n, -1, 1, rng);
    c.kind = K_DROPOUT;
    small_loss(&c);
    int zeros = 0;
    for (size_t i = 0; i < n; i++) zeros += c.mask[i] == 0.0f;
    CHECK_TRUE(zeros > 0 && zeros < (int)n, "dropout p=0.3 drops some but not all (%d of %zu)", zeros, n);
    memset(d, 0, n * sizeof(float));
    snf_dropout_backward(d, c.r, c.mask, n);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, n, d, H_LIN), 0, 1e-4, "dropout dinp (fixed mask)");

    /* linear: inp (B, C) */
    fill_uniform(c.inp, B * C, -1, 1, rng);
    fill_uniform(c.w, OC * C, -1, 1, rng);
    fill_uniform(c.b, OC, -1, 1, rng);
    c.kind = K_LINEAR;
    memset(d, 0, n * sizeof(float));
    memset(dw, 0, OC * C * sizeof(float));
    memset(db, 0, OC * sizeof(float));
    snf_linear_backward(d, dw, db, c.r, c.inp, c.w, B, C, OC);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, B * C, d, H_LIN), 0, 1e-4, "linear dinp");
    CHECK_ABS(fd_error(small_loss, &c, c.w, OC * C, dw, H_LIN), 0, 1e-4, "linear dw");
    CHECK_ABS(fd_error(small_loss, &c, c.b, OC, db, H_LIN), 0, 1e-4, "linear db");
    {
        float o1[B * OC], o2[B * OC], dn[B * C] = {0}, dwn[OC * C] = {0}, dbn[OC] = {0};
        snf_linear_forward(o1, c.inp, c.w, c.b, B, C, OC);
        snf_linear_forward_naive(o2, c.inp, c.w, c.b, B, C, OC);
        snf_linear_backward_naive(dn, dwn, dbn, c.r, c.inp, c.w, B, C, OC);
        CHECK_ABS(rel_l2(o1, o2, B * OC), 0, 1e-6, "linear BLAS vs naive forward");
        CHECK_ABS(rel_l2(d, dn, B * C), 0, 1e-6, "linear BLAS vs naive dinp");
        CHECK_ABS(rel_l2(dw, dwn, OC * C), 0, 1e-6, "linear BLAS vs naive dw");
        CHECK_ABS(rel_l2(db, dbn, OC), 0, 1e-6, "linear BLAS vs naive db");
    }

    /* MSE over B x C with targets inp2 */
    fill_uniform(c.inp, B * C, -1, 1, rng);
    fill_uniform(c.inp2, B * C, -1, 1, rng);
    c.kind = K_MSE;
    memset(d, 0, n * sizeof(float));
    snf_mse_backward(d, c.inp, c.inp2, B, C);
    CHECK_ABS(fd_error(small_loss, &c, c.inp, B * C, d, H_LIN), 0, 1e-4, "MSE dpred");
    {
        float p2[2] = {1, 3}, t2[2] = {0, 1};
        CHECK_REL(snf_mse_forward(p2, t2, 1, 2), 2.5, 1e-7, "MSE of (1,3) vs (0,1)");
    }

    free(d), free(d2), free(dw), free(db), free(c.idx);
    free(c.out), free(c.inp), free(c.inp2), free(c.r), free(c.mask), free(c.w), free(c.b);
}

/* ---- the network ---- */

static snf_net_config tiny_config(void)
{
    snf_net_config c = snf_net_config_default();
    c.C_in = 2, c.n_out = 3, c.T = 16, c.max_B = 3, c.filters = 4, c.depth = 6, c.kernel = 8,
    c.bottleneck = 4;
    return c;
}


/* Distance of the last training forward from the nearest kink: min |ReLU input| (BN+ReLU of each
 * module, add+ReLU of each shortcut) and min gap between a max-pool window's maximum and a smaller
 * competitor. */
static double net_kink_margin(const snf_net *net, const float *x, int B)
{
    const snf_net_config *c = &net->cfg;
    int T = c->T, F4 = 4 * c->filters;
    double mn = INFINITY;
    for (int m = 0; m < c->depth; m++) {
        for (int b = 0; b < B; b++)
            for (int ch = 0; ch < F4; ch++)
                for (int t = 0; t < T; t++) {
                    size_t i = ((size_t)b * F4 + ch) * T + t;
                    double z = net->p.mod[m].bn_g[ch] * (net->a.mod[m].cat[i] - net->a.mod[m].mean[ch]) *
                                   net->a.mod[m].rstd[ch] + net->p.mod[m].bn_b[ch];
                    mn = fmin(mn, fabs(z));
                    if (c->residual && m % 3 == 2) {
                        mn = fmin(mn, fabs(net->a.mod[m].out[i] + net->a.res[m / 3].scn[i]));
                    }
                }
        int cin = m == 0 ? c->C_in : F4;
        const float *xin = m == 0 ? x : (c->residual && m % 3 == 0) ? net->a.res[m / 3 - 1].out : net->a.mod[m - 1].out;
        for (int r = 0; r < B * cin; r++)
            for (int t = 0; t < T; t++) {
                const float *w = xin + (size_t)r * T;
                int lo = t > 0 ? t - 1 : 0, hi = t + 2 < T ? t + 2 : T;
                float mx = w[lo];
                for (int k = lo; k < hi; k++) mx = fmaxf(mx, w[k]);
                if (m > 0 && mx <= 0.0f) continue; /* all-zero window: moves only through a ReLU kink */
                for (int k = lo; k < hi; k++)
                    if (w[k] < mx) mn = fmin(mn, mx - w[k]);
            }
    }
    return mn;
}

static void test_network_grad(snf_rng *rng)
{
    snf_net_config cfg = tiny_config();
    snf_net *net = NULL;
    int rc = snf_net_alloc(&net, &cfg);
    CHECK_INT(rc, SNF_OK, "alloc tiny network");
    if (rc != SNF_OK) return;
    snf_net_init(net, 7);
    int B = 3;
    size_t nx = (size_t)B * cfg.C_in * cfg.T, ny = (size_t)B * cfg.n_out;
    float *x = fmalloc(nx), *y = fmalloc(ny);
    net_ctx c = {net, x, y, B};
    float loss;
    double margin = 0;
    int tries = 0;
    while (margin < 2e-4 && tries < 200) {
        fill_uniform(x, nx, -2, 2, rng);
        fill_uniform(y, ny, -1, 1, rng);
        snf_net_forward(net, x, y, B, 1, &loss);
        margin = net_kink_margin(net, x, B);
        tries++;
    }
    CHECK_TRUE(margin >= 2e-4, "network test data: nearest kink %.3g away after %d draws", margin, tries);
    snf_net_zero_grad(net);
    snf_net_forward(net, x, y, B, 1, &loss);
    rc = snf_net_backward(net);
    CHECK_INT(rc, SNF_OK, "tiny network backward");
    float *g = fmalloc(net->nparams);
    memcpy(g, net->grads, net->nparams * sizeof(float));
    /* Per tensor, up to 24 entries by central differences. The network is piecewise smooth (ReLU,
     * max-pool): a stencil that straddles a kink mixes two slopes, and one ReLU input within 3e-5
     * of zero spoils the quotients of every upstream parameter at every usable h (seen: a random
     * draw with |z| = 2.9e-5). So the data are redrawn until every kink is >= 2e-4 away (margin
     * above), and an entry agrees if for some h in {2^-10, 2^-12, 2^-14}
     * |num - an| <= 1e-3 + 3e-2 |an| (1e-3: float rounding of an O(1) loss over small h). A wiring
     * error (wrong tensor, missing accumulation, factor 2 or sign) fails at every h. Required: all
     * but 1 + 10 % of each tensor's sampled entries, >= 98 % of all (checked with three seeds). */
    int agree_all = 0, total_all = 0;
    size_t off = 0;
    double worst = 1.0;
    for (int i = 0; i < net->ntensors; i++) {
        size_t n = net->sizes[i], step = n > 24 ? n / 24 : 1;
        int agree = 0, total = 0;
        for (size_t j = 0; j < n; j += step) {
            int ok = fd_agrees(net_loss, &c, net->params + off + j, g[off + j]);
            agree += ok;
            total++;
        }
        if (total) {
            char name[64];
            snf_net_tensor_name(&cfg, i, name, sizeof name);
            CHECK_TRUE(agree >= total - 1 - total / 10, "network gradient %s: %d of %d entries agree", name, agree, total);
            worst = fmin(worst, (double)agree / total);
        }
        agree_all += agree, total_all += total;
        off += n;
    }
    CHECK_TRUE(agree_all >= 0.98 * total_all, "network gradient: %d of %d entries agree", agree_all, total_all);
    printf("network gradient: worst tensor agreement %.3g\n", worst);
    free(g), free(x), free(y);
    snf_net_free(net);
}

static void test_param_count(void)
{
    snf_net_config cfg = snf_net_config_default();
    /* The reference recipe (inceptiontime.md, Keras layers' defaults) typed in here. */
    CHECK_TRUE(cfg.filters == 32 && cfg.depth == 6 && cfg.kernel == 40 && cfg.bottleneck == 32 && cfg.residual == 1,
               "default: 32 filters, depth 6, kernel 40, bottleneck 32, residual");
    CHECK_ABS(cfg.bn_eps, 1e-3, 1e-10, "default BatchNorm epsilon is Keras' 1e-3");
    CHECK_ABS(cfg.bn_momentum, 0.99, 1e-7, "default BatchNorm momentum is Keras' 0.99");
    CHECK_ABS(cfg.dropout, 0, 0, "no dropout by default");
    snf_adam_config ad = snf_adam_config_default();
    CHECK_TRUE(fabs(ad.lr - 1e-3) < 1e-10 && fabs(ad.beta1 - 0.9) < 1e-7 && fabs(ad.beta2 - 0.999) < 1e-7 &&
                   fabs(ad.eps - 1e-7) < 1e-13,
               "default Adam: Keras' lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-7");
    CHECK_INT(snf_net_num_params(&cfg), 490372, "reference InceptionTime trainable parameters");
    CHECK_INT(snf_net_num_stats(&cfg), 2048, "reference BN running statistics");
    cfg.n_out = 1;
    CHECK_INT(snf_net_num_params(&cfg), 489985, "1-output variant (aeon/sktime regressor)");
    cfg.C_in = 1;
    CHECK_INT(snf_net_num_params(&cfg), 420321, "univariate variant: bottleneck skipped in module 0");
    snf_net_config d = snf_net_config_default();
    size_t sizes[SNF_NET_MAX_TENSORS];
    int n = snf_net_sizes(&d, sizes);
    snf_net_params p;
    float *slab = fmalloc(snf_net_num_params(&d));
    size_t used = snf_net_point(&d, slab, &p);
    CHECK_INT(used, 490372, "layout routine uses the size table total");
    CHECK_INT(n, 6 * 7 + 2 * 3 + 2, "tensor count");
    CHECK_INT(p.head_b - p.head_w, 4 * 128, "head bias follows head weight");
    char name[32];
    snf_net_tensor_name(&d, 7 * 3, name, sizeof name);
    CHECK_TRUE(strcmp(name, "res0.sc_w") == 0, "tensor 21 is res0.sc_w (got %s)", name);
    free(slab);
}

/* Glorot-uniform bounds (fan_in = C_in K, fan_out = C_out K), zero dense bias, BN gamma 1 beta 0,
 * running mean 0 var 1; the same seed gives the same parameters. */
static void test_init(void)
{
    snf_net_config cfg = snf_net_config_default();
    cfg.T = 16, cfg.max_B = 2;
    snf_net *net = NULL, *net2 = NULL;
    if (snf_net_alloc(&net, &cfg) != SNF_OK || snf_net_alloc(&net2, &cfg) != SNF_OK) {
        CHECK_TRUE(0, "alloc for init test");
        snf_net_free(net);
        return;
    }
    snf_net_init(net, 42);
    snf_net_init(net2, 42);
    CHECK_TRUE(memcmp(net->params, net2->params, net->nparams * sizeof(float)) == 0, "init is a function of the seed");
    const float *w = net->p.mod[1].conv_w[0]; /* (32, 32, 40): fan_in 1280, fan_out 1280 */
    size_t n = 32 * 32 * 40;
    double a = sqrt(6.0 / (1280 + 1280)), mx = 0, mean = 0, var = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(w[i])), mean += w[i];
    mean /= n;
    for (size_t i = 0; i < n; i++) var += (w[i] - mean) * (w[i] - mean);
    var /= n;
    CHECK_TRUE(mx <= a && mx > 0.99 * a, "mod1.conv0_w inside the Glorot bound %.4g (max %.4g)", a, mx);
    CHECK_REL(var, a * a / 3.0, 0.03, "mod1.conv0_w variance a^2/3 (7 sigma for 40960 draws)");
    w = net->p.head_w; /* (4, 128): fan_in 128, fan_out 4 */
    a = sqrt(6.0 / (128 + 4)), mx = 0;
    for (size_t i = 0; i < 4 * 128; i++) mx = fmax(mx, fabs(w[i]));
    CHECK_TRUE(mx <= a && mx > 0.9 * a, "head_w inside the Glorot bound %.4g (max %.4g)", a, mx);
    int ok = 1;
    for (int i = 0; i < 4; i++) ok &= net->p.head_b[i] == 0.0f;
    for (int i = 0; i < 128; i++) ok &= net->p.mod[3].bn_g[i] == 1.0f && net->p.mod[3].bn_b[i] == 0.0f;
    for (int i = 0; i < 128; i++) ok &= net->st.res_mean[1][i] == 0.0f && net->st.res_var[1][i] == 1.0f;
    CHECK_TRUE(ok, "dense bias 0, BN gamma 1 beta 0, running mean 0 var 1");
    snf_net_free(net);
    snf_net_free(net2);
}

static void test_errors(void)
{
    snf_net_config cfg = tiny_config();
    cfg.depth = 0;
    snf_net *net = (snf_net *)1;
    CHECK_INT(snf_net_alloc(&net, &cfg), SNF_EINVAL, "alloc rejects depth 0");
    CHECK_TRUE(net == NULL, "failed alloc leaves NULL");
    size_t sizes[SNF_NET_MAX_TENSORS];
    CHECK_INT(snf_net_sizes(&cfg, sizes), SNF_EINVAL, "sizes rejects depth 0");
    cfg = tiny_config();
    snf_net_alloc(&net, &cfg);
    float x[3 * 2 * 16] = {0}, y[3 * 3] = {0};
    CHECK_INT(snf_net_backward(net), SNF_EINVAL, "backward before forward");
    CHECK_INT(snf_net_forward(net, x, y, 4, 1, NULL), SNF_EINVAL, "forward with B > max_B");
    CHECK_INT(snf_net_forward(net, x, y, 3, 0, NULL), SNF_OK, "eval forward");
    CHECK_INT(snf_net_backward(net), SNF_EINVAL, "backward after an eval forward");
    snf_net_free(net);
    snf_net_free(NULL);
}

/* Two runs from the same seed with the same thread count give bitwise-equal gradients; the batch
 * reductions sum fixed chunks in a fixed order, so a run on one thread matches too. */
static void test_determinism(snf_rng *rng)
{
    int nt = snf_threads_max();
    snf_net_config cfg = snf_net_config_default();
    cfg.T = 32, cfg.max_B = 8, cfg.filters = 8, cfg.bottleneck = 8, cfg.kernel = 10, cfg.dropout = 0.2f;
    size_t nx = (size_t)cfg.max_B * cfg.C_in * cfg.T, ny = (size_t)cfg.max_B * cfg.n_out;
    float *x = fmalloc(nx), *y = fmalloc(ny);
    fill_uniform(x, nx, -2, 2, rng);
    fill_uniform(y, ny, -1, 1, rng);
    float *gref = NULL, lref = 0;
    for (int run = 0; run < 3; run++) {
        snf_net *net = NULL;
        snf_threads_setup(run == 2 ? 1 : nt);
        if (snf_net_alloc(&net, &cfg) != SNF_OK) {
            CHECK_TRUE(0, "alloc for determinism");
            break;
        }
        snf_net_init(net, 123);
        snf_adam_config ac = snf_adam_config_default();
        float loss = 0;
        for (int s = 0; s < 2; s++) { /* two steps so Adam and running stats are in the loop */
            snf_net_zero_grad(net);
            snf_net_forward(net, x, y, cfg.max_B, 1, &loss);
            snf_net_backward(net);
            if (s == 0) snf_net_adam_step(net, &ac);
        }
        if (run == 0) {
            gref = fmalloc(net->nparams);
            memcpy(gref, net->grads, net->nparams * sizeof(float));
            lref = loss;
        } else {
            CHECK_TRUE(memcmp(gref, net->grads, net->nparams * sizeof(float)) == 0,
                       "bitwise-equal gradients, run %d (%d threads vs %d)", run, snf_threads_max(), nt);
            CHECK_TRUE(loss == lref, "bitwise-equal loss (%.9g vs %.9g)", loss, lref);
        }
        snf_net_free(net);
    }
    snf_threads_setup(nt);
    free(gref), free(x), free(y);
}

/* A few Adam steps on the reference-shaped tiny net reduce the training loss on a fixed batch. */
static void test_training_reduces_loss(snf_rng *rng)
{
    snf_net_config cfg = tiny_config();
    snf_net *net = NULL;
    if (snf_net_alloc(&net, &cfg) != SNF_OK) {
        CHECK_TRUE(0, "alloc");
        return;
    }
    snf_net_init(net, 3);
    size_t nx = (size_t)3 * cfg.C_in * cfg.T, ny = (size_t)3 * cfg.n_out;
    float *x = fmalloc(nx), *y = fmalloc(ny);
    fill_uniform(x, nx, -2, 2, rng);
    fill_uniform(y, ny, -1, 1, rng);
    snf_adam_config ac = snf_adam_config_default();
    ac.lr = 1e-2f;
    float l0 = 0, l = 0;
    for (int s = 0; s < 30; s++) {
        snf_net_zero_grad(net);
        snf_net_forward(net, x, y, 3, 1, &l);
        if (s == 0) l0 = l;
        snf_net_backward(net);
        snf_net_adam_step(net, &ac);
    }
    CHECK_TRUE(l < 0.5f * l0, "30 Adam steps halve the loss on one batch (%.4g -> %.4g)", l0, l);
    snf_net_free(net);
    free(x), free(y);
}

/* ---- Adam and schedules ---- */

static void test_adam(void)
{
    size_t sizes[2] = {1, 2};
    float p[3] = {1.0f, 2.0f, -3.0f}, m[3] = {0}, v[3] = {0}, g[3] = {0.5f, 0.1f, 0.2f};
    float mult[2] = {1.0f, 0.0f};
    snf_adam_config c = snf_adam_config_default();
    snf_adam_update(p, m, v, g, sizes, mult, 2, &c, 1);
    /* t = 1: m = 0.05, v = 0.00025, lr_t = 1e-3 sqrt(0.001)/0.1; p = 1 - lr_t m/(sqrt v + 1e-7) */
    CHECK_REL(1.0 - p[0], 1.0 - 0.9990000063245154, 1e-4, "Adam step 1 update (hand computed)");
    CHECK_REL(m[0], 0.05, 1e-5, "Adam m after step 1");
    CHECK_REL(v[0], 0.00025, 1e-4, "Adam v after step 1");
    g[0] = -0.25f;
    snf_adam_update(p, m, v, g, sizes, mult, 2, &c, 2);
    CHECK_REL(1.0 - p[0], 1.0 - 0.9987336707920792, 1e-4, "Adam steps 1+2 total update (hand computed)");
    CHECK_TRUE(p[1] == 2.0f && p[2] == -3.0f && m[1] == 0.0f && v[2] == 0.0f,
               "lr multiplier 0 leaves the tensor (and its moments) unchanged");
}

static void test_schedules(void)
{
    snf_plateau s = snf_plateau_default();
    s.patience = 2;
    float lr = 1e-3f;
    lr = snf_plateau_update(&s, 1.0f, lr);     /* best 1.0 */
    lr = snf_plateau_update(&s, 0.99995f, lr); /* not < best - 1e-4: wait 1 */
    CHECK_REL(lr, 1e-3, 1e-7, "plateau: no reduction before patience");
    lr = snf_plateau_update(&s, 0.9995f, lr); /* improvement resets */
    lr = snf_plateau_update(&s, 0.9995f, lr); /* wait 1 */
    lr = snf_plateau_update(&s, 0.9995f, lr); /* wait 2 -> halve */
    CHECK_REL(lr, 5e-4, 1e-7, "plateau: halved after patience epochs without absolute improvement");
    for (int i = 0; i < 20; i++) lr = snf_plateau_update(&s, 0.9995f, lr);
    CHECK_REL(lr, 1e-4, 1e-7, "plateau: floored at min_lr");
    snf_earlystop e = snf_earlystop_default(3, 0.0f);
    int stop = 0;
    float losses[6] = {1.0f, 0.5f, 0.6f, 0.5f, 0.7f, 0.4f};
    long at = -1;
    for (int i = 0; i < 6 && !stop; i++) {
        stop = snf_earlystop_update(&e, losses[i], i);
        if (stop) at = i;
    }
    CHECK_INT(at, 4, "early stop after 3 epochs without improvement");
    CHECK_INT(e.best_epoch, 1, "early stop remembers the best epoch");
}

/* test_learn [portable|avx2|avx512]: "portable" forces the im2col + sgemm convolutions
 * (SNF_CONV_PORTABLE=1) on every CPU; "avx2" the direct AVX2 kernels (SNF_CONV_AVX2=1, also on an AVX-512
 * CPU); "avx512" runs the direct AVX-512 kernels; each exits 77 (ctest: Skipped) on a CPU without them. Every layer and network check then runs on the chosen path. */
int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "default";
    if (strcmp(mode, "portable") == 0) {
        setenv("SNF_CONV_PORTABLE", "1", 1);
        CHECK_TRUE(strcmp(snf_conv1d_path_name(), "im2col-sgemm") == 0, "SNF_CONV_PORTABLE=1 forces im2col + sgemm (%s)",
                   snf_conv1d_path_name());
    } else if (strcmp(mode, "avx512") == 0) {
        unsetenv("SNF_CONV_PORTABLE");
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx512f")) {
            printf("SKIP: this CPU has no AVX-512F: the direct kernels cannot run here (test_learn portable ran the rest)\n");
            return 77;
        }
        CHECK_TRUE(strcmp(snf_conv1d_path_name(), "direct-avx512") == 0, "AVX-512 CPU takes the direct kernels (%s)",
                   snf_conv1d_path_name());
    } else if (strcmp(mode, "avx2") == 0) {
        setenv("SNF_CONV_AVX2", "1", 1);
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
            printf("SKIP: this CPU has no AVX2 with FMA: the AVX2 direct kernels cannot run here\n");
            return 77;
        }
        CHECK_TRUE(strcmp(snf_conv1d_path_name(), "direct-avx2") == 0, "AVX2 CPU takes the AVX2 direct kernels (%s)",
                   snf_conv1d_path_name());
    } else if (strcmp(mode, "default") != 0) {
        fprintf(stderr, "usage: test_learn [portable|avx2|avx512]\n");
        return 2;
    }
    printf("convolution path: %s\n", snf_conv1d_path_name());
    snf_threads_setup(0);
    snf_rng rng = snf_rng_seed(20261122);
    int Ks[] = {1, 2, 3, 4, 5, 8};
    for (size_t i = 0; i < sizeof Ks / sizeof *Ks; i++) {
        test_conv1d_grad(2, 3, 4, 7, Ks[i], &rng);
    }
    test_conv1d_naive_vs_blas(3, 5, 7, 13, 6, &rng);
    test_conv1d_naive_vs_blas(5, 2, 9, 31, 10, &rng);
    test_conv1d_naive_vs_blas(4, 8, 3, 17, 1, &rng);
    test_conv1d_naive_vs_blas(1, 4, 4, 3, 9, &rng); /* kernel longer than the series */
    test_conv1d_naive_vs_blas(3, 32, 32, 37, 40, &rng); /* reference widths, ragged T */
    test_conv1d_naive_vs_blas(2, 13, 19, 64, 20, &rng); /* channel counts not multiples of 8 */
    test_conv1d_multi(3, 5, 7, 19, &rng);
    test_conv1d_multi(4, 32, 32, 64, &rng);
    test_conv1d_same_even();
    test_conv1d_slice(&rng);
    test_bn(&rng);
    test_small_layers(&rng);
    test_param_count();
    test_adam();
    test_schedules();
    test_errors();
    test_init();
    test_network_grad(&rng);
    test_determinism(&rng);
    test_training_reduces_loss(&rng);
    return snf_check_failures();
}
