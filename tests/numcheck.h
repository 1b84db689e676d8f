/* numcheck.h: numerical helpers of the network tests (test_learn.c, test_arch.c): zeroed float buffers, uniform
 * fills, double-accumulated dot products, the 4-point central difference of a scalar loss and a network's loss. */
#ifndef SNFORGE_TESTS_NUMCHECK_H
#define SNFORGE_TESTS_NUMCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "snforge/nn.h"

/* n zeroed floats (at least one); exits 2 when memory runs out. */
static inline float *fmalloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* x[i] uniform in [lo, hi) from r. */
static inline void fill_uniform(float *x, size_t n, float lo, float hi, snf_rng *r)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = lo + (hi - lo) * snf_rng_uniform(r);
    }
}

static inline double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)a[i] * (double)b[i];
    }
    return s;
}

/* A scalar function of the current contents of the float buffers it closes over. */
typedef double (*loss_fn)(void *ctx);

/* 4-point central difference of f with respect to *x:
 * (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h, f evaluated in double from float kernels.
 * h is a power of two, so x +- h and x +- 2h are exact in float for |x| < 2^13. */
static inline double fd_one(loss_fn f, void *ctx, float *x, float h)
{
    float x0 = *x;
    *x = x0 + h;
    double fp1 = f(ctx);
    *x = x0 - h;
    double fm1 = f(ctx);
    *x = x0 + 2 * h;
    double fp2 = f(ctx);
    *x = x0 - 2 * h;
    double fm2 = f(ctx);
    *x = x0;
    return (8.0 * (fp1 - fm1) - (fp2 - fm2)) / (12.0 * (double)h);
}

/* 1 if the derivative an of f at *x agrees with the central difference for some h in 2^-10, 2^-12, 2^-14:
 * |num - an| <= 1e-3 + 3e-2 |an| (1e-3: float rounding of an O(1) loss over small h; a ReLU or max-pool kink
 * inside a stencil spoils one h, a wiring error every h). */
static inline int fd_agrees(loss_fn f, void *ctx, float *x, double an)
{
    for (int e = 10; e <= 14; e += 2) {
        double num = fd_one(f, ctx, x, ldexpf(1.0f, -e));
        if (fabs(num - an) <= 1e-3 + 3e-2 * fabs(an)) {
            return 1;
        }
    }
    return 0;
}

/* The network's training-mode loss on a fixed batch (x, y of B rows), as a loss_fn. */
typedef struct net_ctx {
    snf_net *net;
    const float *x, *y;
    int B;
} net_ctx;

static inline double net_loss(void *vc)
{
    net_ctx *c = vc;
    float loss = 0;
    snf_net_forward(c->net, c->x, c->y, c->B, 1, &loss);
    return loss;
}

#endif
