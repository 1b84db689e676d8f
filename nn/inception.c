/* inception.c: the InceptionTime network on flat slabs (llm.c style). One size table and one layout
 * routine place params, grads, adam_m and adam_v identically; activations and their gradients share
 * one layout for the largest batch; forward and backward are straight lists of nn.h kernel calls,
 * backward in exact reverse order. Branches write their channel slice of `cat` (free concatenation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/it.h"
#include "snforge/nn.h"
#include "snforge/uq.h"
#include "snforge/status.h"
#include "internal.h"

/* ---- static helpers: shapes ---- */

/* Hand-crafted filter channels beside module 0's branches (H-InceptionTime), else 0. */
static int snf_it_hyb(const snf_it_config *c)
{
    return c->arch == SNF_ARCH_HINCEPTION ? SNF_HYBRID_PER_CHANNEL * c->C_in : 0;
}

/* Channels module m outputs: its four branches (+ the hybrid filters in module 0). */
static int snf_it_mod_cout(const snf_it_config *c, int m)
{
    return 4 * c->filters + (m == 0 ? snf_it_hyb(c) : 0);
}

/* A module reads the network input or the previous module's (or shortcut block's, also 4 filters) output. */
static int snf_it_mod_cin(const snf_it_config *c, int m)
{
    return m == 0 ? c->C_in : snf_it_mod_cout(c, m - 1);
}

static int snf_it_use_bott(const snf_it_config *c, int m)
{
    return c->bottleneck > 0 && snf_it_mod_cin(c, m) > 1;
}

/* Channels the wide convolutions read: the bottleneck output or the module input. */
static int snf_it_mod_csrc(const snf_it_config *c, int m)
{
    return snf_it_use_bott(c, m) ? c->bottleneck : snf_it_mod_cin(c, m);
}

static int snf_it_kernel(const snf_it_config *c, int i)
{
    return c->kernel >> i;
}

/* 1 if a shortcut closes after module m. */
static int snf_it_has_res(const snf_it_config *c, int m)
{
    return c->residual && m % 3 == 2;
}

static int snf_it_res_cin(const snf_it_config *c, int r)
{
    return r == 0 ? c->C_in : 4 * c->filters;
}

static int snf_it_valid(const snf_it_config *c)
{
    if (!(c->head == SNF_HEAD_MSE || (c->head == SNF_HEAD_GAUSSIAN && c->n_out % 2 == 0))) {
        return 0;
    }
    if (c->arch == SNF_ARCH_LITE) {
        return snf_lite_valid(c);
    }
    return (c->arch == SNF_ARCH_INCEPTION || c->arch == SNF_ARCH_HINCEPTION) && c->C_in >= 1 && c->n_out >= 1 && c->T >= 1 && c->max_B >= 1 && c->filters >= 1 &&
           c->depth >= 1 && c->depth <= SNF_IT_MAX_DEPTH && c->kernel >= 4 && c->bottleneck >= 0 &&
           c->bn_eps > 0.0f && c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f &&
           c->dropout >= 0.0f && c->dropout < 1.0f;
}

/* ---- static helpers: the parameter table ---- */

/* Walks the tensors in slab order: returns the count and fills d[] (slots into p when p != NULL). */
static int snf_it_table(const snf_it_config *c, snf_it_params *p, snf_it_tdesc *d)
{
    int n = 0, F = c->filters, F4 = 4 * c->filters;
#define SNF_T(sz, kd, fi, fo, sl)                                                 \
    do {                                                                          \
        d[n].size = (size_t)(sz);                                                 \
        d[n].kind = (kd);                                                         \
        d[n].fan_in = (fi);                                                       \
        d[n].fan_out = (fo);                                                      \
        d[n].slot = p ? (sl) : NULL;                                              \
        d[n].name = NULL;                                                         \
        n++;                                                                      \
    } while (0)
    for (int m = 0; m < c->depth; m++) {
        int cin = snf_it_mod_cin(c, m), cs = snf_it_mod_csrc(c, m);
        int nb = snf_it_use_bott(c, m) ? c->bottleneck : 0;
        SNF_T(nb * cin, SNF_IT_KIND_CONV, cin, nb, p ? &p->mod[m].bott_w : NULL);
        for (int i = 0; i < SNF_IT_NBRANCH; i++) {
            int K = snf_it_kernel(c, i);
            SNF_T(F * cs * K, SNF_IT_KIND_CONV, cs * K, F * K, p ? &p->mod[m].conv_w[i] : NULL);
        }
        SNF_T(F * cin, SNF_IT_KIND_CONV, cin, F, p ? &p->mod[m].pool_w : NULL);
        SNF_T(snf_it_mod_cout(c, m), SNF_IT_KIND_GAMMA, 0, 0, p ? &p->mod[m].bn_g : NULL);
        SNF_T(snf_it_mod_cout(c, m), SNF_IT_KIND_BETA, 0, 0, p ? &p->mod[m].bn_b : NULL);
        if (snf_it_has_res(c, m)) {
            int r = m / 3, cr = snf_it_res_cin(c, r);
            SNF_T(F4 * cr, SNF_IT_KIND_CONV, cr, F4, p ? &p->res[r].sc_w : NULL);
            SNF_T(F4, SNF_IT_KIND_GAMMA, 0, 0, p ? &p->res[r].bn_g : NULL);
            SNF_T(F4, SNF_IT_KIND_BETA, 0, 0, p ? &p->res[r].bn_b : NULL);
        }
    }
    int Fo = snf_it_mod_cout(c, c->depth - 1);
    SNF_T(c->n_out * Fo, SNF_IT_KIND_DENSE, Fo, c->n_out, p ? &p->head_w : NULL);
    SNF_T(c->n_out, SNF_IT_KIND_BIAS, 0, 0, p ? &p->head_b : NULL);
#undef SNF_T
    return n;
}

/* ---- static helpers: activation layout (one routine for acts and dacts) ---- */

static size_t snf_it_point_acts(const snf_it_config *c, float *base, snf_it_acts *a)
{
    size_t off = 0, BT = (size_t)c->max_B * c->T;
    int F4 = 4 * c->filters;
#define SNF_A(ptr, n)                          \
    do {                                       \
        (ptr) = base ? base + off : NULL;      \
        off += ((size_t)(n) + 15) & ~(size_t)15; \
    } while (0)
    memset(a, 0, sizeof *a);
    for (int m = 0; m < c->depth; m++) {
        SNF_A(a->mod[m].bott, snf_it_use_bott(c, m) ? BT * c->bottleneck : 0);
        int Fm = snf_it_mod_cout(c, m);
        SNF_A(a->mod[m].cat, BT * Fm);
        SNF_A(a->mod[m].mp, BT * snf_it_mod_cin(c, m));
        SNF_A(a->mod[m].mean, Fm);
        SNF_A(a->mod[m].rstd, Fm);
        SNF_A(a->mod[m].out, BT * Fm);
        if (snf_it_has_res(c, m)) {
            int r = m / 3;
            SNF_A(a->res[r].sc, BT * F4);
            SNF_A(a->res[r].mean, F4);
            SNF_A(a->res[r].rstd, F4);
            SNF_A(a->res[r].scn, BT * F4);
            SNF_A(a->res[r].out, BT * F4);
        }
    }
    int Fo = snf_it_mod_cout(c, c->depth - 1);
    SNF_A(a->gap, (size_t)c->max_B * Fo);
    SNF_A(a->drop, (size_t)c->max_B * Fo);
    SNF_A(a->mask, (size_t)c->max_B * Fo);
    SNF_A(a->pred, (size_t)c->max_B * c->n_out);
#undef SNF_A
    return off;
}

/* Lays out the BN running statistics (mean then variance per layer); fills mean 0, variance 1 if init. */
static size_t snf_it_point_stats(const snf_it_config *c, float *base, snf_it_stats *s, int init)
{
    size_t off = 0, F4 = 4 * (size_t)c->filters;
    memset(s, 0, sizeof *s);
    for (int m = 0; m < c->depth; m++) {
        size_t Fm = (size_t)snf_it_mod_cout(c, m);
        s->mod_mean[m] = base ? base + off : NULL;
        s->mod_var[m] = base ? base + off + Fm : NULL;
        for (size_t j = 0; base && init && j < 2 * Fm; j++) {
            base[off + j] = j < Fm ? 0.0f : 1.0f;
        }
        off += 2 * Fm;
        if (snf_it_has_res(c, m)) {
            s->res_mean[m / 3] = base ? base + off : NULL;
            s->res_var[m / 3] = base ? base + off + F4 : NULL;
            for (size_t j = 0; base && init && j < 2 * F4; j++) {
                base[off + j] = j < F4 ? 0.0f : 1.0f;
            }
            off += 2 * F4;
        }
    }
    return off;
}

/* The input tensor of module m (NULL means the network input), and its gradient tensor. */
static const float *snf_it_mod_in(const snf_it *net, const snf_it_acts *a, int m)
{
    if (m == 0) {
        return net->x;
    }
    return snf_it_has_res(&net->cfg, m - 1) ? a->res[(m - 1) / 3].out : a->mod[m - 1].out;
}

static float *snf_it_mod_din(const snf_it *net, int m)
{
    if (m == 0) {
        return NULL;
    }
    return snf_it_has_res(&net->cfg, m - 1) ? net->da.res[(m - 1) / 3].out : net->da.mod[m - 1].out;
}

/* The input of shortcut r (network input for r = 0). */
static const float *snf_it_res_in(const snf_it *net, const snf_it_acts *a, int r)
{
    return r == 0 ? net->x : a->res[r - 1].out;
}

/* The tensor table of either architecture, without slots. */
static int snf_it_desc(const snf_it_config *c, snf_it_tdesc *d)
{
    return c->arch == SNF_ARCH_LITE ? snf_lite_table(c, NULL, d) : snf_it_table(c, NULL, d);
}

/* BatchNorm layer j of the stats slab, in the order of snf_it_point_stats / snf_lite_point_stats: its name
 * prefix into pre[n] ("mod2", "res0"; LITE "m0", "sep0", "sep1") and its channel count; 0 past the last. */
static int snf_it_stats_layer(const snf_it_config *c, int j, char *pre, size_t n)
{
    if (c->arch == SNF_ARCH_LITE) {
        static const char *const names[3] = {"m0", "sep0", "sep1"};
        if (j < 0 || j >= 3) {
            return 0;
        }
        snprintf(pre, n, "%s", names[j]);
        return j == 0 ? 3 * c->filters + SNF_HYBRID_PER_CHANNEL * c->C_in : c->filters;
    }
    for (int m = 0; m < c->depth; m++) {
        if (j-- == 0) {
            snprintf(pre, n, "mod%d", m);
            return snf_it_mod_cout(c, m);
        }
        if (snf_it_has_res(c, m) && j-- == 0) {
            snprintf(pre, n, "res%d", m / 3);
            return 4 * c->filters;
        }
    }
    return 0;
}

/* ---- public API: sizes and layout ---- */

snf_it_config snf_it_config_default(void)
{
    snf_it_config c = {2, 4, 128, 64, 32, 6, 40, 32, 1, 1e-3f, 0.99f, 0.0f, SNF_ARCH_INCEPTION, SNF_HEAD_MSE};
    return c;
}

int snf_it_sizes(const snf_it_config *cfg, size_t *sizes)
{
    if (!snf_it_valid(cfg)) {
        SNF_ERROR(SNF_EINVAL, "invalid InceptionTime configuration");
    }
    snf_it_tdesc d[SNF_IT_MAX_TENSORS];
    int n = snf_it_desc(cfg, d);
    for (int i = 0; i < n; i++) {
        sizes[i] = d[i].size;
    }
    return n;
}

size_t snf_it_num_params(const snf_it_config *cfg)
{
    size_t sizes[SNF_IT_MAX_TENSORS], tot = 0;
    int n = snf_it_sizes(cfg, sizes);
    for (int i = 0; i < n; i++) {
        tot += sizes[i];
    }
    return tot;
}

size_t snf_it_num_stats(const snf_it_config *cfg)
{
    snf_it_stats s;
    snf_lite_stats ls;
    if (!snf_it_valid(cfg)) {
        return 0;
    }
    return cfg->arch == SNF_ARCH_LITE ? snf_lite_point_stats(cfg, NULL, &ls, 0) : snf_it_point_stats(cfg, NULL, &s, 0);
}

double snf_it_flops(const snf_it_config *cfg)
{
    if (!snf_it_valid(cfg)) {
        return 0.0;
    }
    snf_it_tdesc d[SNF_IT_MAX_TENSORS];
    int n = snf_it_desc(cfg, d);
    double mac = 0.0;
    for (int i = 0; i < n; i++) {
        int conv = d[i].kind == SNF_IT_KIND_CONV || d[i].kind == SNF_IT_KIND_DWCONV;
        mac += conv ? (double)d[i].size * cfg->T : d[i].kind == SNF_IT_KIND_DENSE ? (double)d[i].size : 0.0;
    }
    if (cfg->arch != SNF_ARCH_INCEPTION) {
        float w[96];
        for (int j = 0; j < SNF_HYBRID_PER_CHANNEL; j++) {
            mac += (double)snf_hybrid_filter(j, w) * cfg->C_in * cfg->T;
        }
    }
    return 2.0 * mac;
}

size_t snf_it_point(const snf_it_config *cfg, float *base, snf_it_params *p)
{
    snf_it_tdesc d[SNF_IT_MAX_TENSORS];
    memset(p, 0, sizeof *p);
    int n = cfg->arch == SNF_ARCH_LITE ? snf_lite_table(cfg, NULL, d) : snf_it_table(cfg, p, d);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (d[i].slot) {
            *d[i].slot = base + off;
        }
        off += d[i].size;
    }
    return off;
}

void snf_it_tensor_name(const snf_it_config *cfg, int i, char *buf, size_t n)
{
    static const char *const mod_names[SNF_IT_TENSORS_PER_MODULE] = {
        "bott_w", "conv0_w", "conv1_w", "conv2_w", "pool_w", "bn_g", "bn_b"};
    static const char *const res_names[SNF_IT_TENSORS_PER_RES] = {"sc_w", "bn_g", "bn_b"};
    if (cfg->arch == SNF_ARCH_LITE) {
        snf_it_tdesc d[SNF_IT_MAX_TENSORS];
        int nt = snf_lite_table(cfg, NULL, d);
        snprintf(buf, n, "%s", i >= 0 && i < nt ? d[i].name : "?");
        return;
    }
    int k = 0;
    for (int m = 0; m < cfg->depth; m++) {
        if (i < k + SNF_IT_TENSORS_PER_MODULE) {
            snprintf(buf, n, "mod%d.%s", m, mod_names[i - k]);
            return;
        }
        k += SNF_IT_TENSORS_PER_MODULE;
        if (snf_it_has_res(cfg, m)) {
            if (i < k + SNF_IT_TENSORS_PER_RES) {
                snprintf(buf, n, "res%d.%s", m / 3, res_names[i - k]);
                return;
            }
            k += SNF_IT_TENSORS_PER_RES;
        }
    }
    snprintf(buf, n, "%s", i == k ? "head_w" : i == k + 1 ? "head_b" : "?");
}

int snf_it_tensor_shape(const snf_it_config *cfg, int i, int dims[3])
{
    snf_it_tdesc d[SNF_IT_MAX_TENSORS];
    int n = snf_it_valid(cfg) ? snf_it_desc(cfg, d) : 0;
    if (i < 0 || i >= n) {
        return 0;
    }
    if (d[i].kind == SNF_IT_KIND_DWCONV) { /* PyTorch's grouped Conv1d weight (C, 1, K) */
        dims[0] = (int)(d[i].size / (size_t)d[i].fan_in);
        dims[1] = 1;
        dims[2] = d[i].fan_in;
        return 3;
    }
    if (d[i].kind == SNF_IT_KIND_CONV) {
        /* size = C_out C_in K, fan_in = C_in K, fan_out = C_out K; an unused tensor (size 0) is
         * (0, C_in, 1) */
        int K = d[i].size ? (int)((size_t)d[i].fan_in * (size_t)d[i].fan_out / d[i].size) : 1;
        dims[0] = d[i].fan_out / K;
        dims[1] = d[i].fan_in / K;
        dims[2] = K;
        return 3;
    }
    if (d[i].kind == SNF_IT_KIND_DENSE) {
        dims[0] = d[i].fan_out;
        dims[1] = d[i].fan_in;
        return 2;
    }
    dims[0] = (int)d[i].size;
    return 1;
}

int snf_it_stats_tensor(const snf_it_config *cfg, int i, char *buf, size_t n, size_t *offset, size_t *size)
{
    char pre[16];
    size_t off = 0;
    int C;
    for (int j = 0; snf_it_valid(cfg) && (C = snf_it_stats_layer(cfg, j, pre, sizeof pre)) > 0; j++) {
        for (int v = 0; v < 2; v++, off += (size_t)C) {
            if (2 * j + v == i) {
                snprintf(buf, n, "%s.bn_%s", pre, v ? "var" : "mean");
                *offset = off;
                *size = (size_t)C;
                return 1;
            }
        }
    }
    return 0;
}

/* ---- public API: life cycle ---- */

int snf_it_alloc(snf_it **out, const snf_it_config *cfg)
{
    *out = NULL;
    if (!snf_it_valid(cfg)) {
        SNF_ERROR(SNF_EINVAL, "invalid InceptionTime configuration");
    }
    snf_it *net = calloc(1, sizeof *net);
    if (!net) {
        SNF_ERROR(SNF_ENOMEM, "network struct");
    }
    net->cfg = *cfg;
    net->ntensors = snf_it_sizes(cfg, net->sizes);
    for (int i = 0; i < net->ntensors; i++) {
        net->nparams += net->sizes[i];
        net->lr_mult[i] = 1.0f;
    }
    const int lite = cfg->arch == SNF_ARCH_LITE;
    net->nthreads = snf_threads_max();
    net->nstats = lite ? snf_lite_point_stats(cfg, NULL, &net->lst, 0) : snf_it_point_stats(cfg, NULL, &net->st, 0);
    net->nacts = lite ? snf_lite_point_acts(cfg, NULL, &net->la) : snf_it_point_acts(cfg, NULL, &net->a);
    net->nws = lite ? snf_lite_ws_size(cfg, net->nthreads) : 0;
    /* The workspace serves the widest convolution of every shape the network calls. */
    int F = cfg->filters, F4 = 4 * F, T = cfg->T;
    size_t nidx = 0;
    for (int m = 0; !lite && m < cfg->depth; m++) {
        int cin = snf_it_mod_cin(cfg, m), cs = snf_it_mod_csrc(cfg, m);
        size_t w = snf_conv1d_ws_size(cin, F > cfg->bottleneck ? F : cfg->bottleneck, T, 1,
                                      net->nthreads);
        net->nws = w > net->nws ? w : net->nws;
        int Ks[SNF_IT_NBRANCH];
        for (int i = 0; i < SNF_IT_NBRANCH; i++) {
            Ks[i] = snf_it_kernel(cfg, i);
        }
        w = snf_conv1d_multi_ws_size(cs, F, T, Ks, SNF_IT_NBRANCH, net->nthreads);
        net->nws = w > net->nws ? w : net->nws;
        if (snf_it_has_res(cfg, m)) {
            w = snf_conv1d_ws_size(snf_it_res_cin(cfg, m / 3), F4, T, 1, net->nthreads);
            net->nws = w > net->nws ? w : net->nws;
        }
        nidx += (size_t)cfg->max_B * cin * T;
    }
    net->params = malloc(net->nparams * sizeof(float));
    net->grads = calloc(net->nparams, sizeof(float));
    net->adam_m = calloc(net->nparams, sizeof(float));
    net->adam_v = calloc(net->nparams, sizeof(float));
    net->bn_stats = malloc((net->nstats ? net->nstats : 1) * sizeof(float));
    net->acts = malloc(net->nacts * sizeof(float));
    net->dacts = malloc(net->nacts * sizeof(float));
    net->idx = malloc((nidx ? nidx : 1) * sizeof(int));
    net->ws = malloc((net->nws ? net->nws : 1) * sizeof(float));
    if (!net->params || !net->grads || !net->adam_m || !net->adam_v || !net->bn_stats ||
        !net->acts || !net->dacts || !net->idx || !net->ws) {
        size_t np = net->nparams, na = net->nacts;
        snf_it_free(net);
        SNF_ERROR(SNF_ENOMEM, "InceptionTime slabs (%zu params, %zu activations)", np, na);
    }
    if (lite) {
        snf_lite_params *lps[4] = {&net->lp, &net->lg, &net->lm, &net->lv};
        float *slabs[4] = {net->params, net->grads, net->adam_m, net->adam_v};
        for (int k = 0; k < 4; k++) {
            snf_it_tdesc d[SNF_IT_MAX_TENSORS];
            int nt = snf_lite_table(cfg, lps[k], d);
            size_t off = 0;
            for (int i = 0; i < nt; i++) {
                *d[i].slot = slabs[k] + off;
                off += d[i].size;
            }
        }
        snf_lite_point_stats(cfg, net->bn_stats, &net->lst, 0);
        snf_lite_point_acts(cfg, net->acts, &net->la);
        snf_lite_point_acts(cfg, net->dacts, &net->lda);
    } else {
        snf_it_point(cfg, net->params, &net->p);
        snf_it_point(cfg, net->grads, &net->g);
        snf_it_point(cfg, net->adam_m, &net->m);
        snf_it_point(cfg, net->adam_v, &net->v);
        snf_it_point_stats(cfg, net->bn_stats, &net->st, 0);
        snf_it_point_acts(cfg, net->acts, &net->a);
        snf_it_point_acts(cfg, net->dacts, &net->da);
    }
    size_t off = 0;
    for (int m = 0; !lite && m < cfg->depth; m++) {
        net->mpidx[m] = net->idx + off;
        off += (size_t)cfg->max_B * snf_it_mod_cin(cfg, m) * T;
    }
    snf_it_init(net, 0);
    *out = net;
    return SNF_OK;
}

void snf_it_init(snf_it *net, uint64_t seed)
{
    snf_it_tdesc d[SNF_IT_MAX_TENSORS];
    int n = snf_it_desc(&net->cfg, d);
    snf_rng rng = snf_rng_seed(seed);
    float *w = net->params;
    for (int i = 0; i < n; i++) {
        switch (d[i].kind) {
        case SNF_IT_KIND_CONV:
        case SNF_IT_KIND_DWCONV:
        case SNF_IT_KIND_DENSE:
            snf_glorot_uniform(w, d[i].size, d[i].fan_in, d[i].fan_out, &rng);
            break;
        case SNF_IT_KIND_GAMMA:
            for (size_t j = 0; j < d[i].size; j++) {
                w[j] = 1.0f;
            }
            break;
        default:
            memset(w, 0, d[i].size * sizeof(float));
            break;
        }
        w += d[i].size;
        net->lr_mult[i] = 1.0f;
        int decays = d[i].kind == SNF_IT_KIND_CONV || d[i].kind == SNF_IT_KIND_DWCONV || d[i].kind == SNF_IT_KIND_DENSE;
        net->wd_mult[i] = decays ? 1.0f : 0.0f;
    }
    /* Running mean 0, running variance 1 (Keras initialisers). */
    if (net->cfg.arch == SNF_ARCH_LITE) {
        snf_lite_stats ls;
        snf_lite_point_stats(&net->cfg, net->bn_stats, &ls, 1);
    } else {
        snf_it_stats st;
        snf_it_point_stats(&net->cfg, net->bn_stats, &st, 1);
    }
    memset(net->grads, 0, net->nparams * sizeof(float));
    memset(net->adam_m, 0, net->nparams * sizeof(float));
    memset(net->adam_v, 0, net->nparams * sizeof(float));
    net->dropout_seed = seed ^ 0xd1b54a32d192ed03ULL;
    net->step = 0;
    net->grad_scale = 1.0f;
    net->adam_t = 0;
    net->B = 0;
    net->train = 0;
}

void snf_it_free(snf_it *net)
{
    if (!net) {
        return;
    }
    free(net->ws);
    free(net->idx);
    free(net->dacts);
    free(net->acts);
    free(net->bn_stats);
    free(net->adam_v);
    free(net->adam_m);
    free(net->grads);
    free(net->params);
    free(net);
}

/* ---- public API: forward and backward ---- */

int snf_it_forward(snf_it *net, const float *x, const float *y, int B, int train, float *loss)
{
    const snf_it_config *c = &net->cfg;
    if (B < 1 || B > c->max_B) {
        SNF_ERROR(SNF_EINVAL, "batch %d outside [1, %d]", B, c->max_B);
    }
    if (snf_threads_max() > net->nthreads) {
        SNF_ERROR(SNF_EINVAL, "%d threads but workspaces for %d", snf_threads_max(), net->nthreads);
    }
    const int F = c->filters, F4 = 4 * F, T = c->T, Fb = c->bottleneck;
    const size_t N4 = (size_t)B * F4 * T;
    const snf_it_params *p = &net->p;
    snf_it_acts *a = &net->a;
    float *ws = net->ws;
    net->x = x;
    net->y = y;
    net->B = B;
    net->train = train;
    if (c->arch == SNF_ARCH_LITE) {
        snf_lite_forward(net, x, B, train);
        goto head_done;
    }

    for (int m = 0; m < c->depth; m++) {
        const float *xin = snf_it_mod_in(net, a, m);
        int cin = snf_it_mod_cin(c, m), cs = snf_it_mod_csrc(c, m), Fm = snf_it_mod_cout(c, m);
        const float *src = xin;
        if (snf_it_use_bott(c, m)) {
            snf_conv1d_forward(a->mod[m].bott, ws, xin, p->mod[m].bott_w, NULL, B, cin, Fb, T, 1);
            src = a->mod[m].bott;
        }
        int Ks[SNF_IT_NBRANCH];
        const float *wb[SNF_IT_NBRANCH];
        for (int i = 0; i < SNF_IT_NBRANCH; i++) {
            Ks[i] = snf_it_kernel(c, i);
            wb[i] = p->mod[m].conv_w[i];
        }
        /* the wide branches write channels [0, 3F) of cat; the pool branch writes [3F, 4F); the
         * hand-crafted filters of H-InceptionTime [4F, Fm) of module 0 */
        snf_conv1d_multi_forward(a->mod[m].cat, ws, src, wb, Ks, SNF_IT_NBRANCH, B, cs, F, Fm, T);
        snf_maxpool_forward(a->mod[m].mp, net->mpidx[m], xin, B, cin, T, 3);
        snf_conv1d_forward_cs(a->mod[m].cat + (size_t)3 * F * T, ws, a->mod[m].mp, p->mod[m].pool_w,
                              NULL, B, cin, F, Fm, T, 1);
        if (Fm > F4) {
            snf_hybrid_forward(a->mod[m].cat + (size_t)F4 * T, xin, B, cin, Fm, T);
        }
        if (train == 1) {
            snf_bnrelu_forward_train(a->mod[m].out, a->mod[m].mean, a->mod[m].rstd,
                                     net->st.mod_mean[m], net->st.mod_var[m], a->mod[m].cat,
                                     p->mod[m].bn_g, p->mod[m].bn_b, B, Fm, T, c->bn_eps,
                                     c->bn_momentum);
        } else {
            snf_bnrelu_forward_eval(a->mod[m].out, a->mod[m].cat, p->mod[m].bn_g, p->mod[m].bn_b,
                                    net->st.mod_mean[m], net->st.mod_var[m], B, Fm, T, c->bn_eps);
        }
        if (snf_it_has_res(c, m)) {
            int r = m / 3;
            snf_conv1d_forward(a->res[r].sc, ws, snf_it_res_in(net, a, r), p->res[r].sc_w, NULL, B,
                               snf_it_res_cin(c, r), F4, T, 1);
            if (train == 1) {
                snf_bn_forward_train(a->res[r].scn, a->res[r].mean, a->res[r].rstd,
                                     net->st.res_mean[r], net->st.res_var[r], a->res[r].sc,
                                     p->res[r].bn_g, p->res[r].bn_b, B, F4, T, c->bn_eps,
                                     c->bn_momentum);
            } else {
                snf_bn_forward_eval(a->res[r].scn, a->res[r].sc, p->res[r].bn_g, p->res[r].bn_b,
                                    net->st.res_mean[r], net->st.res_var[r], B, F4, T, c->bn_eps);
            }
            snf_addrelu_forward(a->res[r].out, a->mod[m].out, a->res[r].scn, N4);
        }
    }
    const float *last = snf_it_mod_in(net, a, c->depth); /* output of the last module/block */
    const int Fo = snf_it_mod_cout(c, c->depth - 1);
    snf_gap_forward(a->gap, last, B, Fo, T);
    const float *h = a->gap;
    if (train && c->dropout > 0.0f) {
        snf_dropout_forward(a->drop, a->mask, a->gap, c->dropout, net->dropout_seed, net->step,
                            (size_t)B * Fo);
        h = a->drop;
    }
    snf_linear_forward(a->pred, h, p->head_w, p->head_b, B, Fo, c->n_out);
head_done:
    if (train == 1) {
        net->step++;
    }
    net->loss = y ? snf_head_loss(c->head, snf_it_pred(net), y, B, c->n_out) : 0.0f;
    if (loss) {
        *loss = net->loss;
    }
    return SNF_OK;
}

int snf_it_backward(snf_it *net)
{
    const snf_it_config *c = &net->cfg;
    if (net->train != 1 || !net->y || net->B < 1) {
        SNF_ERROR(SNF_EINVAL, "backward needs a preceding training forward with targets");
    }
    const int B = net->B, F = c->filters, F4 = 4 * F, T = c->T, Fb = c->bottleneck;
    const size_t N4 = (size_t)B * F4 * T;
    const snf_it_params *p = &net->p;
    const snf_it_params *g = &net->g;
    const snf_it_acts *a = &net->a;
    const snf_it_acts *da = &net->da;
    float *ws = net->ws;
    const int dropout = c->dropout > 0.0f;
    if (c->arch == SNF_ARCH_LITE) {
        snf_lite_backward(net);
        return SNF_OK;
    }
    const int Fo = snf_it_mod_cout(c, c->depth - 1);

    /* Zero the gradient tensors this batch touches (each backward kernel accumulates). */
    size_t BT = (size_t)B * T;
    for (int m = 0; m < c->depth; m++) {
        if (snf_it_use_bott(c, m)) {
            memset(da->mod[m].bott, 0, BT * Fb * sizeof(float));
        }
        memset(da->mod[m].cat, 0, BT * snf_it_mod_cout(c, m) * sizeof(float));
        memset(da->mod[m].mp, 0, BT * snf_it_mod_cin(c, m) * sizeof(float));
        memset(da->mod[m].out, 0, BT * snf_it_mod_cout(c, m) * sizeof(float));
        if (snf_it_has_res(c, m)) {
            int r = m / 3;
            memset(da->res[r].sc, 0, N4 * sizeof(float));
            memset(da->res[r].scn, 0, N4 * sizeof(float));
            memset(da->res[r].out, 0, N4 * sizeof(float));
        }
    }
    memset(da->gap, 0, (size_t)B * Fo * sizeof(float));
    memset(da->drop, 0, (size_t)B * Fo * sizeof(float));
    memset(da->pred, 0, (size_t)B * c->n_out * sizeof(float));

    snf_head_loss_backward(c->head, da->pred, a->pred, net->y, B, c->n_out);
    if (net->grad_scale != 1.0f) {
        for (int i = 0; i < B * c->n_out; i++) {
            da->pred[i] *= net->grad_scale;
        }
    }
    snf_linear_backward(dropout ? da->drop : da->gap, g->head_w, g->head_b, da->pred,
                        dropout ? a->drop : a->gap, p->head_w, B, Fo, c->n_out);
    if (dropout) {
        snf_dropout_backward(da->gap, da->drop, a->mask, (size_t)B * Fo);
    }
    snf_gap_backward(snf_it_mod_din(net, c->depth), da->gap, B, Fo, T);

    for (int m = c->depth - 1; m >= 0; m--) {
        const float *xin = snf_it_mod_in(net, a, m);
        float *dxin = snf_it_mod_din(net, m);
        int cin = snf_it_mod_cin(c, m), cs = snf_it_mod_csrc(c, m), Fm = snf_it_mod_cout(c, m);
        if (snf_it_has_res(c, m)) {
            int r = m / 3;
            float *dres_in = r == 0 ? NULL : da->res[r - 1].out;
            snf_addrelu_backward(da->mod[m].out, da->res[r].scn, da->res[r].out, a->res[r].out, N4);
            snf_bn_backward(da->res[r].sc, g->res[r].bn_g, g->res[r].bn_b, da->res[r].scn,
                            a->res[r].sc, a->res[r].mean, a->res[r].rstd, p->res[r].bn_g, B, F4, T);
            snf_conv1d_backward(dres_in, g->res[r].sc_w, NULL, ws, da->res[r].sc,
                                snf_it_res_in(net, a, r), p->res[r].sc_w, B, snf_it_res_cin(c, r),
                                F4, T, 1);
        }
        snf_bnrelu_backward(da->mod[m].cat, g->mod[m].bn_g, g->mod[m].bn_b, da->mod[m].out,
                            a->mod[m].out, a->mod[m].cat, a->mod[m].mean, a->mod[m].rstd,
                            p->mod[m].bn_g, B, Fm, T);
        /* the hand-crafted channels [4F, Fm) read the network input through fixed filters: no gradient */
        snf_conv1d_backward_cs(da->mod[m].mp, g->mod[m].pool_w, NULL, ws,
                               da->mod[m].cat + (size_t)3 * F * T, a->mod[m].mp, p->mod[m].pool_w,
                               B, cin, F, Fm, T, 1);
        if (dxin) {
            snf_maxpool_backward(dxin, da->mod[m].mp, net->mpidx[m], B, cin, T);
        }
        const float *src = snf_it_use_bott(c, m) ? a->mod[m].bott : xin;
        float *dsrc = snf_it_use_bott(c, m) ? da->mod[m].bott : dxin;
        int Ks[SNF_IT_NBRANCH];
        const float *wb[SNF_IT_NBRANCH];
        float *gb[SNF_IT_NBRANCH];
        for (int i = 0; i < SNF_IT_NBRANCH; i++) {
            Ks[i] = snf_it_kernel(c, i);
            wb[i] = p->mod[m].conv_w[i];
            gb[i] = g->mod[m].conv_w[i];
        }
        snf_conv1d_multi_backward(dsrc, gb, ws, da->mod[m].cat, src, wb, Ks, SNF_IT_NBRANCH, B, cs,
                                  F, Fm, T);
        if (snf_it_use_bott(c, m)) {
            snf_conv1d_backward(dxin, g->mod[m].bott_w, NULL, ws, da->mod[m].bott, xin,
                                p->mod[m].bott_w, B, cin, Fb, T, 1);
        }
    }
    return SNF_OK;
}

void snf_it_zero_grad(snf_it *net)
{
    memset(net->grads, 0, net->nparams * sizeof(float));
}

const float *snf_it_pred(const snf_it *net)
{
    return net->cfg.arch == SNF_ARCH_LITE ? net->la.pred : net->a.pred;
}

void snf_it_adam_step(snf_it *net, const snf_adam_config *cfg)
{
    net->adam_t++;
    snf_adamw_update(net->params, net->adam_m, net->adam_v, net->grads, net->sizes, net->lr_mult,
                     net->wd_mult, net->ntensors, cfg, net->adam_t);
}
