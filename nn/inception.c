/* inception.c: InceptionTime and H-InceptionTime (net.h gives the layout) on the network's flat slabs
 * (llm.c style), reached through their operations tables snf_inception_ops / snf_hinception_ops
 * (internal.h), which net.c calls. One size table places params, grads, adam_m and adam_v identically;
 * activations and their gradients share one layout for the largest batch; forward and backward are
 * straight lists of nn.h kernel calls, backward in exact reverse order. Branches write their channel
 * slice of `cat` (free concatenation). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#include "internal.h"

/* ---- static helpers: shapes ---- */

/* Hand-crafted filter channels beside module 0's branches (H-InceptionTime), else 0. */
static int snf_net_hyb(const snf_net_config *c)
{
    return c->arch == SNF_ARCH_HINCEPTION ? SNF_HYBRID_PER_CHANNEL * c->C_in : 0;
}

/* Channels module m outputs: its four branches (+ the hybrid filters in module 0). */
static int snf_net_mod_cout(const snf_net_config *c, int m)
{
    return 4 * c->filters + (m == 0 ? snf_net_hyb(c) : 0);
}

/* A module reads the network input or the previous module's (or shortcut block's, also 4 filters) output. */
static int snf_net_mod_cin(const snf_net_config *c, int m)
{
    return m == 0 ? c->C_in : snf_net_mod_cout(c, m - 1);
}

static int snf_net_use_bott(const snf_net_config *c, int m)
{
    return c->bottleneck > 0 && snf_net_mod_cin(c, m) > 1;
}

/* Channels the wide convolutions read: the bottleneck output or the module input. */
static int snf_net_mod_csrc(const snf_net_config *c, int m)
{
    return snf_net_use_bott(c, m) ? c->bottleneck : snf_net_mod_cin(c, m);
}

static int snf_net_kernel(const snf_net_config *c, int i)
{
    return c->kernel >> i;
}

/* 1 if a shortcut closes after module m. */
static int snf_net_has_res(const snf_net_config *c, int m)
{
    return c->residual && m % 3 == 2;
}

static int snf_net_res_cin(const snf_net_config *c, int r)
{
    return r == 0 ? c->C_in : 4 * c->filters;
}


/* The architecture's own shape rules (the head is net.c's). */
static int snf_net_valid_shape(const snf_net_config *c)
{
    return c->C_in >= 1 && c->n_out >= 1 && c->T >= 1 && c->max_B >= 1 && c->filters >= 1 &&
           c->depth >= 1 && c->depth <= SNF_NET_MAX_DEPTH && c->kernel >= 4 && c->bottleneck >= 0 &&
           c->bn_eps > 0.0f && c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f &&
           c->dropout >= 0.0f && c->dropout < 1.0f;
}

/* ---- static helpers: the parameter table ---- */

/* Walks the tensors in slab order: returns the count and fills d[] (slots into p when p != NULL). */
static int snf_net_table(const snf_net_config *c, snf_net_params *p, snf_net_tdesc *d)
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
        int cin = snf_net_mod_cin(c, m), cs = snf_net_mod_csrc(c, m);
        int nb = snf_net_use_bott(c, m) ? c->bottleneck : 0;
        SNF_T(nb * cin, SNF_NET_KIND_CONV, cin, nb, p ? &p->mod[m].bott_w : NULL);
        for (int i = 0; i < SNF_NET_NBRANCH; i++) {
            int K = snf_net_kernel(c, i);
            SNF_T(F * cs * K, SNF_NET_KIND_CONV, cs * K, F * K, p ? &p->mod[m].conv_w[i] : NULL);
        }
        SNF_T(F * cin, SNF_NET_KIND_CONV, cin, F, p ? &p->mod[m].pool_w : NULL);
        SNF_T(snf_net_mod_cout(c, m), SNF_NET_KIND_GAMMA, 0, 0, p ? &p->mod[m].bn_g : NULL);
        SNF_T(snf_net_mod_cout(c, m), SNF_NET_KIND_BETA, 0, 0, p ? &p->mod[m].bn_b : NULL);
        if (snf_net_has_res(c, m)) {
            int r = m / 3, cr = snf_net_res_cin(c, r);
            SNF_T(F4 * cr, SNF_NET_KIND_CONV, cr, F4, p ? &p->res[r].sc_w : NULL);
            SNF_T(F4, SNF_NET_KIND_GAMMA, 0, 0, p ? &p->res[r].bn_g : NULL);
            SNF_T(F4, SNF_NET_KIND_BETA, 0, 0, p ? &p->res[r].bn_b : NULL);
        }
    }
    int Fo = snf_net_mod_cout(c, c->depth - 1);
    SNF_T(c->n_out * Fo, SNF_NET_KIND_DENSE, Fo, c->n_out, p ? &p->head_w : NULL);
    SNF_T(c->n_out, SNF_NET_KIND_BIAS, 0, 0, p ? &p->head_b : NULL);
#undef SNF_T
    return n;
}

/* ---- static helpers: activation layout (one routine for acts and dacts) ---- */

static size_t snf_net_point_acts(const snf_net_config *c, float *base, snf_net_acts *a)
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
        SNF_A(a->mod[m].bott, snf_net_use_bott(c, m) ? BT * c->bottleneck : 0);
        int Fm = snf_net_mod_cout(c, m);
        SNF_A(a->mod[m].cat, BT * Fm);
        SNF_A(a->mod[m].mp, BT * snf_net_mod_cin(c, m));
        SNF_A(a->mod[m].mean, Fm);
        SNF_A(a->mod[m].rstd, Fm);
        SNF_A(a->mod[m].out, BT * Fm);
        if (snf_net_has_res(c, m)) {
            int r = m / 3;
            SNF_A(a->res[r].sc, BT * F4);
            SNF_A(a->res[r].mean, F4);
            SNF_A(a->res[r].rstd, F4);
            SNF_A(a->res[r].scn, BT * F4);
            SNF_A(a->res[r].out, BT * F4);
        }
    }
    int Fo = snf_net_mod_cout(c, c->depth - 1);
    SNF_A(a->gap, (size_t)c->max_B * Fo);
    SNF_A(a->drop, (size_t)c->max_B * Fo);
    SNF_A(a->mask, (size_t)c->max_B * Fo);
    SNF_A(a->pred, (size_t)c->max_B * c->n_out);
#undef SNF_A
    return off;
}

/* Lays out the BN running statistics (mean then variance per layer); fills mean 0, variance 1 if init. */
static size_t snf_net_point_stats(const snf_net_config *c, float *base, snf_net_stats *s, int init)
{
    size_t off = 0, F4 = 4 * (size_t)c->filters;
    memset(s, 0, sizeof *s);
    for (int m = 0; m < c->depth; m++) {
        size_t Fm = (size_t)snf_net_mod_cout(c, m);
        s->mod_mean[m] = base ? base + off : NULL;
        s->mod_var[m] = base ? base + off + Fm : NULL;
        for (size_t j = 0; base && init && j < 2 * Fm; j++) {
            base[off + j] = j < Fm ? 0.0f : 1.0f;
        }
        off += 2 * Fm;
        if (snf_net_has_res(c, m)) {
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
static const float *snf_net_mod_in(const snf_net *net, const snf_net_acts *a, int m)
{
    if (m == 0) {
        return net->x;
    }
    return snf_net_has_res(&net->cfg, m - 1) ? a->res[(m - 1) / 3].out : a->mod[m - 1].out;
}

static float *snf_net_mod_din(const snf_net *net, int m)
{
    if (m == 0) {
        return NULL;
    }
    return snf_net_has_res(&net->cfg, m - 1) ? net->da.res[(m - 1) / 3].out : net->da.mod[m - 1].out;
}

/* The input of shortcut r (network input for r = 0). */
static const float *snf_net_res_in(const snf_net *net, const snf_net_acts *a, int r)
{
    return r == 0 ? net->x : a->res[r - 1].out;
}


/* BatchNorm layer j of the stats slab, in the order of snf_net_point_stats: its name prefix into pre[n]
 * ("mod2", "res0") and its channel count; 0 past the last. */
static int snf_net_stats_layer(const snf_net_config *c, int j, char *pre, size_t n)
{
    for (int m = 0; m < c->depth; m++) {
        if (j-- == 0) {
            snprintf(pre, n, "mod%d", m);
            return snf_net_mod_cout(c, m);
        }
        if (snf_net_has_res(c, m) && j-- == 0) {
            snprintf(pre, n, "res%d", m / 3);
            return 4 * c->filters;
        }
    }
    return 0;
}

static void snf_net_tensor_name_of(const snf_net_config *cfg, int i, char *buf, size_t n)
{
    static const char *const mod_names[SNF_NET_TENSORS_PER_MODULE] = {
        "bott_w", "conv0_w", "conv1_w", "conv2_w", "pool_w", "bn_g", "bn_b"};
    static const char *const res_names[SNF_NET_TENSORS_PER_RES] = {"sc_w", "bn_g", "bn_b"};
    int k = 0;
    for (int m = 0; m < cfg->depth; m++) {
        if (i < k + SNF_NET_TENSORS_PER_MODULE) {
            snprintf(buf, n, "mod%d.%s", m, mod_names[i - k]);
            return;
        }
        k += SNF_NET_TENSORS_PER_MODULE;
        if (snf_net_has_res(cfg, m)) {
            if (i < k + SNF_NET_TENSORS_PER_RES) {
                snprintf(buf, n, "res%d.%s", m / 3, res_names[i - k]);
                return;
            }
            k += SNF_NET_TENSORS_PER_RES;
        }
    }
    snprintf(buf, n, "%s", i == k ? "head_w" : i == k + 1 ? "head_b" : "?");
}

/* ---- forward and backward ---- */

/* The forward pass to the prediction (net.c checked the batch and set x, y, B, train). */
static void snf_net_forward_pass(snf_net *net, const float *x, int B, int train)
{
    const snf_net_config *c = &net->cfg;
    const int F = c->filters, F4 = 4 * F, T = c->T, Fb = c->bottleneck;
    const size_t N4 = (size_t)B * F4 * T;
    const snf_net_params *p = &net->p;
    snf_net_acts *a = &net->a;
    float *ws = net->ws;
    (void)x; /* net->x, read through snf_net_mod_in */
    for (int m = 0; m < c->depth; m++) {
        const float *xin = snf_net_mod_in(net, a, m);
        int cin = snf_net_mod_cin(c, m), cs = snf_net_mod_csrc(c, m), Fm = snf_net_mod_cout(c, m);
        const float *src = xin;
        if (snf_net_use_bott(c, m)) {
            snf_conv1d_forward(a->mod[m].bott, ws, xin, p->mod[m].bott_w, NULL, B, cin, Fb, T, 1);
            src = a->mod[m].bott;
        }
        int Ks[SNF_NET_NBRANCH];
        const float *wb[SNF_NET_NBRANCH];
        for (int i = 0; i < SNF_NET_NBRANCH; i++) {
            Ks[i] = snf_net_kernel(c, i);
            wb[i] = p->mod[m].conv_w[i];
        }
        /* the wide branches write channels [0, 3F) of cat; the pool branch writes [3F, 4F); the
         * hand-crafted filters of H-InceptionTime [4F, Fm) of module 0 */
        snf_conv1d_multi_forward(a->mod[m].cat, ws, src, wb, Ks, SNF_NET_NBRANCH, B, cs, F, Fm, T);
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
        if (snf_net_has_res(c, m)) {
            int r = m / 3;
            snf_conv1d_forward(a->res[r].sc, ws, snf_net_res_in(net, a, r), p->res[r].sc_w, NULL, B,
                               snf_net_res_cin(c, r), F4, T, 1);
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
    const float *last = snf_net_mod_in(net, a, c->depth); /* output of the last module/block */
    const int Fo = snf_net_mod_cout(c, c->depth - 1);
    snf_gap_forward(a->gap, last, B, Fo, T);
    const float *h = a->gap;
    if (train && c->dropout > 0.0f) {
        snf_dropout_forward(a->drop, a->mask, a->gap, c->dropout, net->dropout_seed, net->step,
                            (size_t)B * Fo);
        h = a->drop;
    }
    snf_linear_forward(a->pred, h, p->head_w, p->head_b, B, Fo, c->n_out);
}

/* The backward pass from the loss's gradient (net.c checked that a training forward with targets ran). */
static void snf_net_backward_pass(snf_net *net)
{
    const snf_net_config *c = &net->cfg;
    const int B = net->B, F = c->filters, F4 = 4 * F, T = c->T, Fb = c->bottleneck;
    const size_t N4 = (size_t)B * F4 * T;
    const snf_net_params *p = &net->p;
    const snf_net_params *g = &net->g;
    const snf_net_acts *a = &net->a;
    const snf_net_acts *da = &net->da;
    float *ws = net->ws;
    const int dropout = c->dropout > 0.0f;
    const int Fo = snf_net_mod_cout(c, c->depth - 1);

    /* Zero the gradient tensors this batch touches (each backward kernel accumulates). */
    size_t BT = (size_t)B * T;
    for (int m = 0; m < c->depth; m++) {
        if (snf_net_use_bott(c, m)) {
            memset(da->mod[m].bott, 0, BT * Fb * sizeof(float));
        }
        memset(da->mod[m].cat, 0, BT * snf_net_mod_cout(c, m) * sizeof(float));
        memset(da->mod[m].mp, 0, BT * snf_net_mod_cin(c, m) * sizeof(float));
        memset(da->mod[m].out, 0, BT * snf_net_mod_cout(c, m) * sizeof(float));
        if (snf_net_has_res(c, m)) {
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
    snf_gap_backward(snf_net_mod_din(net, c->depth), da->gap, B, Fo, T);

    for (int m = c->depth - 1; m >= 0; m--) {
        const float *xin = snf_net_mod_in(net, a, m);
        float *dxin = snf_net_mod_din(net, m);
        int cin = snf_net_mod_cin(c, m), cs = snf_net_mod_csrc(c, m), Fm = snf_net_mod_cout(c, m);
        if (snf_net_has_res(c, m)) {
            int r = m / 3;
            float *dres_in = r == 0 ? NULL : da->res[r - 1].out;
            snf_addrelu_backward(da->mod[m].out, da->res[r].scn, da->res[r].out, a->res[r].out, N4);
            snf_bn_backward(da->res[r].sc, g->res[r].bn_g, g->res[r].bn_b, da->res[r].scn,
                            a->res[r].sc, a->res[r].mean, a->res[r].rstd, p->res[r].bn_g, B, F4, T);
            snf_conv1d_backward(dres_in, g->res[r].sc_w, NULL, ws, da->res[r].sc,
                                snf_net_res_in(net, a, r), p->res[r].sc_w, B, snf_net_res_cin(c, r),
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
        const float *src = snf_net_use_bott(c, m) ? a->mod[m].bott : xin;
        float *dsrc = snf_net_use_bott(c, m) ? da->mod[m].bott : dxin;
        int Ks[SNF_NET_NBRANCH];
        const float *wb[SNF_NET_NBRANCH];
        float *gb[SNF_NET_NBRANCH];
        for (int i = 0; i < SNF_NET_NBRANCH; i++) {
            Ks[i] = snf_net_kernel(c, i);
            wb[i] = p->mod[m].conv_w[i];
            gb[i] = g->mod[m].conv_w[i];
        }
        snf_conv1d_multi_backward(dsrc, gb, ws, da->mod[m].cat, src, wb, Ks, SNF_NET_NBRANCH, B, cs,
                                  F, Fm, T);
        if (snf_net_use_bott(c, m)) {
            snf_conv1d_backward(dxin, g->mod[m].bott_w, NULL, ws, da->mod[m].bott, xin,
                                p->mod[m].bott_w, B, cin, Fb, T, 1);
        }
    }
}

/* ---- the operations (snf_inception_ops, snf_hinception_ops) ---- */

static int snf_net_describe(const snf_net_config *c, snf_net_tdesc *d)
{
    return snf_net_table(c, NULL, d);
}

static size_t snf_net_num_stats_of(const snf_net_config *c)
{
    snf_net_stats s;
    return snf_net_point_stats(c, NULL, &s, 0);
}

/* The workspace serves the widest convolution of every shape the network calls; the max-pool argmax
 * indices hold one int per module input value of the largest batch. */
static void snf_net_layout(const snf_net_config *cfg, int nthreads, size_t *nacts, size_t *nws, size_t *nidx)
{
    snf_net_acts a;
    *nacts = snf_net_point_acts(cfg, NULL, &a);
    *nws = 0;
    *nidx = 0;
    int F = cfg->filters, F4 = 4 * F, T = cfg->T;
    for (int m = 0; m < cfg->depth; m++) {
        int cin = snf_net_mod_cin(cfg, m), cs = snf_net_mod_csrc(cfg, m);
        size_t w = snf_conv1d_ws_size(cin, F > cfg->bottleneck ? F : cfg->bottleneck, T, 1, nthreads);
        *nws = w > *nws ? w : *nws;
        int Ks[SNF_NET_NBRANCH];
        for (int i = 0; i < SNF_NET_NBRANCH; i++) {
            Ks[i] = snf_net_kernel(cfg, i);
        }
        w = snf_conv1d_multi_ws_size(cs, F, T, Ks, SNF_NET_NBRANCH, nthreads);
        *nws = w > *nws ? w : *nws;
        if (snf_net_has_res(cfg, m)) {
            w = snf_conv1d_ws_size(snf_net_res_cin(cfg, m / 3), F4, T, 1, nthreads);
            *nws = w > *nws ? w : *nws;
        }
        *nidx += (size_t)cfg->max_B * cin * T;
    }
}

static void snf_net_bind(snf_net *net)
{
    const snf_net_config *cfg = &net->cfg;
    snf_net_point(cfg, net->params, &net->p);
    snf_net_point(cfg, net->grads, &net->g);
    snf_net_point(cfg, net->adam_m, &net->m);
    snf_net_point(cfg, net->adam_v, &net->v);
    snf_net_point_stats(cfg, net->bn_stats, &net->st, 0);
    snf_net_point_acts(cfg, net->acts, &net->a);
    snf_net_point_acts(cfg, net->dacts, &net->da);
    size_t off = 0;
    for (int m = 0; m < cfg->depth; m++) {
        net->mpidx[m] = net->idx + off;
        off += (size_t)cfg->max_B * snf_net_mod_cin(cfg, m) * cfg->T;
    }
}

static void snf_net_reset_stats(snf_net *net)
{
    snf_net_stats s;
    snf_net_point_stats(&net->cfg, net->bn_stats, &s, 1);
}

static const float *snf_net_pred_of(const snf_net *net)
{
    return net->a.pred;
}

static const float *snf_net_features_of(const snf_net *net)
{
    return net->a.gap;
}

#define SNF_INCEPTION_OPS(hyb)                                                                                     \
    {                                                                                                              \
        .hybrid = (hyb), .valid = snf_net_valid_shape, .describe = snf_net_describe,                                  \
        .tensor_name = snf_net_tensor_name_of, .stats_layer = snf_net_stats_layer, .num_stats = snf_net_num_stats_of, \
        .layout = snf_net_layout, .bind = snf_net_bind, .reset_stats = snf_net_reset_stats,                           \
        .forward = snf_net_forward_pass, .backward = snf_net_backward_pass, .pred = snf_net_pred_of,                  \
        .features = snf_net_features_of, .table_slots = snf_net_table                                                \
    }

const snf_net_ops snf_inception_ops = SNF_INCEPTION_OPS(0);
const snf_net_ops snf_hinception_ops = SNF_INCEPTION_OPS(1); /* the hand-crafted filters in module 0 */
