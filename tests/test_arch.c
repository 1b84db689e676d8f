/* test_arch.c: the lighter architectures of net.h. The depthwise dilated convolution against plain loops
 * written here from the TensorFlow 'same' rule and against central differences; the hand-crafted filters
 * against their published values; LITE and H-InceptionTime parameter counts against hand counts (and
 * LITE's univariate backbone against the paper's 9,814); both networks' gradients against central
 * differences; and run-to-run bitwise determinism across thread counts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "numcheck.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- depthwise convolution ---- */

/* out[b,c,t] = sum_k w[c,k] x[b,c,t + d k - (d (K-1)) / 2], zeros outside: the TensorFlow 'same' rule. */
static void dw_reference(float *out, const float *x, const float *w, int B, int C, int T, int K, int d)
{
    int left = d * (K - 1) / 2;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    int i = t + d * k - left;
                    if (i >= 0 && i < T) s += (double)w[c * K + k] * x[((size_t)b * C + c) * T + i];
                }
                out[((size_t)b * C + c) * T + t] = (float)s;
            }
}

typedef struct dw_ctx {
    float *out, *x, *w, *r;
    int B, C, T, K, d;
} dw_ctx;

static double dw_loss(void *v)
{
    dw_ctx *c = v;
    snf_dwconv1d_forward(c->out, c->x, c->w, c->B, c->C, c->T, c->K, c->d);
    return dot(c->out, c->r, (size_t)c->B * c->C * c->T);
}

static void test_dwconv(int B, int C, int T, int K, int d, snf_rng *rng)
{
    size_t nx = (size_t)B * C * T, nw = (size_t)C * K;
    dw_ctx c = {fmalloc(nx), fmalloc(nx), fmalloc(nw), fmalloc(nx), B, C, T, K, d};
    float *ref = fmalloc(nx), *dx = fmalloc(nx), *dw = fmalloc(nw);
    fill_uniform(c.x, nx, -1, 1, rng);
    fill_uniform(c.w, nw, -1, 1, rng);
    fill_uniform(c.r, nx, -1, 1, rng);
    dw_reference(ref, c.x, c.w, B, C, T, K, d);
    snf_dwconv1d_forward(c.out, c.x, c.w, B, C, T, K, d);
    double e = 0;
    for (size_t i = 0; i < nx; i++) e = fmax(e, fabs((double)c.out[i] - ref[i]));
    CHECK_TRUE(e < 1e-5, "dwconv K %d d %d T %d: forward equals the 'same' loops (max diff %.2g)", K, d, T, e);
    /* loss = <out, r> is linear: the gradients are exact, so central differences agree to rounding */
    snf_dwconv1d_backward(dx, dw, c.r, c.x, c.w, B, C, T, K, d);
    double num2 = 0, den2 = 0;
    for (size_t i = 0; i < nx; i += 3) {
        double g = fd_one(dw_loss, &c, c.x + i, 1.0f / 64);
        num2 += (g - dx[i]) * (g - dx[i]), den2 += (double)dx[i] * dx[i];
    }
    CHECK_TRUE(sqrt(num2 / den2) < 1e-4, "dwconv K %d d %d: input gradient vs central differences (rel %.2g)", K, d,
               sqrt(num2 / den2));
    num2 = den2 = 0;
    for (size_t i = 0; i < nw; i++) {
        double g = fd_one(dw_loss, &c, c.w + i, 1.0f / 64);
        num2 += (g - dw[i]) * (g - dw[i]), den2 += (double)dw[i] * dw[i];
    }
    CHECK_TRUE(sqrt(num2 / den2) < 1e-4, "dwconv K %d d %d: weight gradient vs central differences (rel %.2g)", K, d,
               sqrt(num2 / den2));
    free(c.out), free(c.x), free(c.w), free(c.r), free(ref), free(dx), free(dw);
}

/* ---- hand-crafted filters ---- */

static void test_hybrid(void)
{
    float w[96];
    int L = snf_hybrid_filter(0, w);
    CHECK_TRUE(L == 2 && w[0] == -1.0f && w[1] == 1.0f, "increasing filter of length 2 is (-1, 1)");
    L = snf_hybrid_filter(5, w);
    CHECK_TRUE(L == 64 && w[62] == -1.0f && w[63] == 1.0f, "increasing filter 6 has length 64");
    L = snf_hybrid_filter(6, w);
    CHECK_TRUE(L == 2 && w[0] == 1.0f && w[1] == -1.0f, "decreasing filter of length 2 is (1, -1)");
    L = snf_hybrid_filter(12, w);
    const float p4[6] = {-1, -1, 2, 2, -1, -1};
    CHECK_TRUE(L == 6 && !memcmp(w, p4, sizeof p4), "peak filter K = 4 is (-1, -1, 2, 2, -1, -1)");
    L = snf_hybrid_filter(13, w);
    const float p8[12] = {-0.25f, -1, -1, -0.25f, 0.5f, 2, 2, 0.5f, -0.25f, -1, -1, -0.25f};
    CHECK_TRUE(L == 12 && !memcmp(w, p8, sizeof p8), "peak filter K = 8: q = 2 parabola samples 1/4, 1");
    L = snf_hybrid_filter(16, w);
    double s = 0;
    for (int k = 0; k < L; k++) s += w[k];
    CHECK_TRUE(L == 96 && fabs(s) < 1e-5, "peak filter K = 64: length 96, zero sum (%.2g)", s);
    /* A rising ramp x[t] = t: the length-2 increasing filter gives x[t+1] - x[t] = 1 inside, the decreasing
     * one -1 -> ReLU 0; the last sample sees the zero padding. Two input channels, OCS = 40. */
    enum { T = 8, OCS = 40 };
    float x[2 * T], out[OCS * T];
    for (int t = 0; t < T; t++) x[t] = (float)t, x[T + t] = (float)(T - t);
    memset(out, 0, sizeof out);
    snf_hybrid_forward(out + 3 * T, x, 1, 2, OCS, T); /* slice starts at channel 3 */
    int ok = 1;
    for (int t = 0; t < T - 1; t++) ok &= out[3 * T + t] == 1.0f && out[(3 + 6) * T + t] == 0.0f;
    ok &= out[3 * T + T - 1] == 0.0f; /* -x[T-1] + 0 < 0 */
    /* channel 1 falls: its decreasing length-2 filter (slice channel 17 + 6) gives 1 */
    for (int t = 0; t < T - 1; t++) ok &= out[(3 + 17 + 6) * T + t] == 1.0f && out[(3 + 17) * T + t] == 0.0f;
    CHECK_TRUE(ok, "hybrid layer on ramps: trend filters detect the slope, ReLU clips, channel slice respected");
    CHECK_TRUE(out[0] == 0.0f && out[2 * T + T - 1] == 0.0f, "hybrid layer writes only its slice");
}

/* ---- parameter counts ---- */

static void test_counts(void)
{
    snf_net_config c = snf_net_config_default(); /* C_in 2, 4 outputs, 32 filters, kernel 40 */
    c.arch = SNF_ARCH_HINCEPTION;
    /* H = 17 x 2 = 34 hybrid channels: module 0's BN grows by 2 x 34, module 1's bottleneck and pool
     * convolutions read 128 + 34 channels (2 x 34 x 32 more). 490,372 + 68 + 2,176. */
    CHECK_INT(snf_net_num_params(&c), 492616, "H-InceptionTime parameters (hand count)");
    CHECK_INT(snf_net_num_stats(&c), 2048 + 68, "H-InceptionTime BN statistics");
    c.arch = SNF_ARCH_LITE;
    /* convs 32 x 2 x (40 + 20 + 10) = 4,480; BN0 2 x 130 (96 + 34); depthwise 130 x 20 = 2,600 and
     * pointwise 32 x 130 = 4,160, BN 64; depthwise 32 x 10 = 320, pointwise 1,024, BN 64; head 132 */
    CHECK_INT(snf_net_num_params(&c), 13104, "LITE parameters (hand count)");
    CHECK_INT(snf_net_num_stats(&c), 2 * 130 + 4 * 32, "LITE BN statistics");
    /* univariate, without the head: the paper's 9,814 trainable parameters (LITE, Ismail-Fawaz 2023) */
    c.C_in = 1, c.n_out = 1;
    CHECK_INT(snf_net_num_params(&c) - 33, 9814, "univariate LITE backbone = the paper's 9,814");
    c = snf_net_config_default();
    c.arch = 7;
    CHECK_INT(snf_net_num_params(&c), 0, "an unknown arch is invalid");
    c.arch = SNF_ARCH_LITE;
    size_t sizes[SNF_NET_MAX_TENSORS];
    int n = snf_net_sizes(&c, sizes);
    char name[32];
    snf_net_tensor_name(&c, 5, name, sizeof name);
    CHECK_TRUE(n == 15 && strcmp(name, "sep0.dw_w") == 0, "LITE: 15 tensors, tensor 5 is sep0.dw_w (%d, %s)", n, name);
}

/* The tensor index of model files (model_tensors.c): every shape's product is its tensor's size, the BN statistics
 * tile the stats slab in order, and the hand-counted layers have their channels. */
static void test_index(void)
{
    static const int archs[3] = {SNF_ARCH_INCEPTION, SNF_ARCH_LITE, SNF_ARCH_HINCEPTION};
    static const char *const what[3] = {"InceptionTime", "LITE", "H-InceptionTime"};
    for (int a = 0; a < 3; a++) {
        snf_net_config c = snf_net_config_default(); /* C_in 2, 32 filters, depth 6, kernel 40 */
        c.arch = archs[a];
        size_t sizes[SNF_NET_MAX_TENSORS], off = 0, so, ss;
        int n = snf_net_sizes(&c, sizes), bad = 0, k = 0;
        char name[32];
        for (int i = 0; i < n; i++) {
            int d[3] = {1, 1, 1}, r = snf_net_tensor_shape(&c, i, d);
            bad += r < 1 || (size_t)d[0] * (size_t)(r > 1 ? d[1] : 1) * (size_t)(r > 2 ? d[2] : 1) != sizes[i];
        }
        CHECK_INT(bad, 0, "%s: tensor shapes multiply to the sizes", what[a]);
        for (; snf_net_stats_tensor(&c, k, name, sizeof name, &so, &ss); k++) {
            bad += so != off;
            off += ss;
        }
        CHECK_TRUE(bad == 0 && off == snf_net_num_stats(&c), "%s: %d BN statistics tile the slab (%zu of %zu)",
                   what[a], k, off, snf_net_num_stats(&c));
    }
    snf_net_config c = snf_net_config_default();
    c.arch = SNF_ARCH_LITE;
    int d[3];
    char name[32];
    size_t so, ss;
    snf_net_tensor_shape(&c, 5, d);
    CHECK_TRUE(d[0] == 130 && d[1] == 1 && d[2] == 20, "LITE sep0.dw_w is (130, 1, 20): (%d, %d, %d)", d[0], d[1],
               d[2]);
    snf_net_stats_tensor(&c, 3, name, sizeof name, &so, &ss);
    CHECK_TRUE(!strcmp(name, "sep0.bn_var") && so == 2 * 130 + 32 && ss == 32, "LITE statistic 3: %s at %zu, %zu", name, so,
               ss);
    c.arch = SNF_ARCH_HINCEPTION;
    snf_net_stats_tensor(&c, 2, name, sizeof name, &so, &ss);
    CHECK_TRUE(!strcmp(name, "mod1.bn_mean") && so == 2 * 162 && ss == 128,
               "H-InceptionTime statistic 2: %s at %zu, %zu (module 0: 128 + 34 channels)", name, so, ss);
}

/* ---- network gradients ---- */


/* Per tensor up to 16 entries; an entry agrees if for some h in 2^-10, 2^-12, 2^-14
 * |num - an| <= 1e-3 + 3e-2 |an| (test_learn's rule; ReLU and max-pool kinks spoil a stencil that
 * straddles one, so each tensor may miss 1 + 10 %, the whole 3 %). A wiring error fails at every h. */
static void check_net_grad(snf_net_config cfg, const char *what, snf_rng *rng)
{
    snf_net *net = NULL;
    if (snf_net_alloc(&net, &cfg) != SNF_OK) {
        CHECK_TRUE(0, "%s: alloc (%s)", what, snf_error_last_message());
        return;
    }
    snf_net_init(net, 11);
    int B = cfg.max_B;
    size_t nx = (size_t)B * cfg.C_in * cfg.T, ny = (size_t)B * cfg.n_out;
    float *x = fmalloc(nx), *y = fmalloc(ny), *g = fmalloc(net->nparams);
    fill_uniform(x, nx, -2, 2, rng);
    fill_uniform(y, ny, -1, 1, rng);
    net_ctx c = {net, x, y, B};
    float loss;
    snf_net_zero_grad(net);
    snf_net_forward(net, x, y, B, 1, &loss);
    CHECK_INT(snf_net_backward(net), SNF_OK, "%s: backward", what);
    memcpy(g, net->grads, net->nparams * sizeof(float));
    int agree_all = 0, total_all = 0;
    size_t off = 0;
    for (int i = 0; i < net->ntensors; i++) {
        size_t n = net->sizes[i], step = n > 16 ? n / 16 : 1;
        int agree = 0, total = 0;
        for (size_t j = 0; j < n; j += step) {
            int ok = fd_agrees(net_loss, &c, net->params + off + j, g[off + j]);
            agree += ok, total++;
        }
        if (total) {
            char name[64];
            snf_net_tensor_name(&cfg, i, name, sizeof name);
            CHECK_TRUE(agree >= total - 1 - total / 10, "%s gradient %s: %d of %d entries agree", what, name, agree,
                       total);
        }
        agree_all += agree, total_all += total;
        off += n;
    }
    CHECK_TRUE(agree_all >= 0.97 * total_all, "%s gradient: %d of %d entries agree", what, agree_all, total_all);
    free(x), free(y), free(g);
    snf_net_free(net);
}

/* Two runs agree bitwise, and a run on one thread agrees with one on all (fixed-order reductions). */
static void check_determinism(snf_net_config cfg, const char *what, snf_rng *rng)
{
    int nt = 2, keep = snf_threads_max();
    size_t nx = (size_t)cfg.max_B * cfg.C_in * cfg.T, ny = (size_t)cfg.max_B * cfg.n_out;
    float *x = fmalloc(nx), *y = fmalloc(ny), *gref = NULL;
    fill_uniform(x, nx, -2, 2, rng);
    fill_uniform(y, ny, -1, 1, rng);
    for (int run = 0; run < 2; run++) {
        snf_threads_setup(run == 1 ? 1 : nt);
        snf_net *net = NULL;
        if (snf_net_alloc(&net, &cfg) != SNF_OK) {
            CHECK_TRUE(0, "%s: alloc", what);
            break;
        }
        snf_net_init(net, 5);
        snf_adam_config ac = snf_adam_config_default();
        for (int s = 0; s < 2; s++) {
            snf_net_zero_grad(net);
            snf_net_forward(net, x, y, cfg.max_B, 1, NULL);
            snf_net_backward(net);
            if (s == 0) snf_net_adam_step(net, &ac);
        }
        if (run == 0) {
            gref = fmalloc(net->nparams);
            memcpy(gref, net->grads, net->nparams * sizeof(float));
        } else {
            CHECK_TRUE(!memcmp(gref, net->grads, net->nparams * sizeof(float)), "%s: gradients bitwise equal on 1 and %d threads",
                       what, nt);
        }
        snf_net_free(net);
    }
    snf_threads_setup(keep);
    free(x), free(y), free(gref);
}

int main(void)
{
    /* One thread for the kernel and gradient checks (thousands of small forwards: on a loaded machine two
     * OpenMP threads stall each other at every barrier); the determinism checks compare 1 and 2 threads. */
    snf_threads_setup(1);
    snf_rng rng = snf_rng_seed(20261129);
    test_dwconv(2, 3, 17, 5, 1, &rng);
    test_dwconv(2, 3, 17, 4, 2, &rng); /* even kernel, dilated: span 7, left 3 */
    test_dwconv(3, 2, 20, 10, 4, &rng); /* span 37 > T: most taps fall in the padding */
    test_hybrid();
    test_counts();
    test_index();
    snf_net_config c = snf_net_config_default();
    c.C_in = 2, c.n_out = 3, c.T = 24, c.max_B = 3, c.filters = 4, c.kernel = 8, c.bottleneck = 4;
    c.arch = SNF_ARCH_LITE;
    check_net_grad(c, "LITE", &rng);
    check_determinism(c, "LITE", &rng);
    c.arch = SNF_ARCH_HINCEPTION;
    c.depth = 3;
    check_net_grad(c, "H-InceptionTime", &rng);
    check_determinism(c, "H-InceptionTime", &rng);
    return snf_check_failures();
}
