/* lite.c: the LITE regressor (Ismail-Fawaz et al. 2023; net.h gives the layout) on the same flat slabs
 * as InceptionTime: a size table whose tensors point into params, grads and Adam moments alike, one
 * activation layout for the largest batch, forward and backward as straight lists of nn.h calls.
 * Reached through its operations table snf_lite_ops (internal.h), which net.c calls. */
#include <stdio.h>
#include <string.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- static helpers: shapes ---- */

static int snf_lite_hyb(const snf_net_config *c)
{
    return SNF_HYBRID_PER_CHANNEL * c->C_in;
}

/* Channels into separable block l: module 0's output (3 filters + hybrid), then filters. */
static int snf_lite_cl(const snf_net_config *c, int l)
{
    return l == 0 ? 3 * c->filters + snf_lite_hyb(c) : c->filters;
}

/* Depthwise kernel width and dilation of separable block l: kernel/2 dilated 2, kernel/4 dilated 4. */
static int snf_lite_kl(const snf_net_config *c, int l)
{
    return c->kernel >> (l + 1);
}

static int snf_lite_dl(int l)
{
    return 2 << l;
}

/* ---- the operations (snf_lite_ops) ---- */

static int snf_lite_valid(const snf_net_config *c)
{
    return c->C_in >= 1 && c->n_out >= 1 && c->T >= 1 && c->max_B >= 1 && c->filters >= 1 && c->kernel >= 4 &&
           c->bn_eps > 0.0f && c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f && c->dropout >= 0.0f &&
           c->dropout < 1.0f;
}

static int snf_lite_table(const snf_net_config *c, snf_lite_params *p, snf_net_tdesc *d)
{
    static const char *const conv_names[SNF_NET_NBRANCH] = {"m0.conv0_w", "m0.conv1_w", "m0.conv2_w"};
    static const char *const sep_names[2][4] = {{"sep0.dw_w", "sep0.pw_w", "sep0.bn_g", "sep0.bn_b"},
                                                {"sep1.dw_w", "sep1.pw_w", "sep1.bn_g", "sep1.bn_b"}};
    int n = 0, F = c->filters, C0 = snf_lite_cl(c, 0);
#define SNF_T(sz, kd, fi, fo, sl, nm)                   \
    do {                                                \
        d[n].size = (size_t)(sz);                       \
        d[n].kind = (kd);                               \
        d[n].fan_in = (fi);                             \
        d[n].fan_out = (fo);                            \
        d[n].slot = p ? (sl) : NULL;                    \
        d[n].name = (nm);                               \
        n++;                                            \
    } while (0)
    for (int i = 0; i < SNF_NET_NBRANCH; i++) {
        int K = c->kernel >> i;
        SNF_T(F * c->C_in * K, SNF_NET_KIND_CONV, c->C_in * K, F * K, p ? &p->conv_w[i] : NULL, conv_names[i]);
    }
    SNF_T(C0, SNF_NET_KIND_GAMMA, 0, 0, p ? &p->bn0_g : NULL, "m0.bn_g");
    SNF_T(C0, SNF_NET_KIND_BETA, 0, 0, p ? &p->bn0_b : NULL, "m0.bn_b");
    for (int l = 0; l < 2; l++) {
        int Cl = snf_lite_cl(c, l), K = snf_lite_kl(c, l);
        /* a depthwise filter has one input and one output channel: fan_in = fan_out = K */
        SNF_T(Cl * K, SNF_NET_KIND_DWCONV, K, K, p ? &p->dw_w[l] : NULL, sep_names[l][0]);
        SNF_T(F * Cl, SNF_NET_KIND_CONV, Cl, F, p ? &p->pw_w[l] : NULL, sep_names[l][1]);
        SNF_T(F, SNF_NET_KIND_GAMMA, 0, 0, p ? &p->bn_g[l] : NULL, sep_names[l][2]);
        SNF_T(F, SNF_NET_KIND_BETA, 0, 0, p ? &p->bn_b[l] : NULL, sep_names[l][3]);
    }
    SNF_T(c->n_out * F, SNF_NET_KIND_DENSE, F, c->n_out, p ? &p->head_w : NULL, "head_w");
    SNF_T(c->n_out, SNF_NET_KIND_BIAS, 0, 0, p ? &p->head_b : NULL, "head_b");
#undef SNF_T
    return n;
}

static size_t snf_lite_point_acts(const snf_net_config *c, float *base, snf_lite_acts *a)
{
    size_t off = 0, BT = (size_t)c->max_B * c->T;
    int F = c->filters, C0 = snf_lite_cl(c, 0);
#define SNF_A(ptr, n)                            \
    do {                                         \
        (ptr) = base ? base + off : NULL;        \
        off += ((size_t)(n) + 15) & ~(size_t)15; \
    } while (0)
    memset(a, 0, sizeof *a);
    SNF_A(a->cat, BT * C0);
    SNF_A(a->mean0, C0);
    SNF_A(a->rstd0, C0);
    SNF_A(a->out0, BT * C0);
    for (int l = 0; l < 2; l++) {
        SNF_A(a->dw[l], BT * snf_lite_cl(c, l));
        SNF_A(a->pw[l], BT * F);
        SNF_A(a->mean[l], F);
        SNF_A(a->rstd[l], F);
        SNF_A(a->out[l], BT * F);
    }
    SNF_A(a->gap, (size_t)c->max_B * F);
    SNF_A(a->drop, (size_t)c->max_B * F);
    SNF_A(a->mask, (size_t)c->max_B * F);
    SNF_A(a->pred, (size_t)c->max_B * c->n_out);
#undef SNF_A
    return off;
}

static size_t snf_lite_point_stats(const snf_net_config *c, float *base, snf_lite_stats *s, int init)
{
    size_t off = 0;
    memset(s, 0, sizeof *s);
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)(k == 0 ? snf_lite_cl(c, 0) : c->filters);
        s->mean[k] = base ? base + off : NULL;
        s->var[k] = base ? base + off + n : NULL;
        for (size_t j = 0; base && init && j < 2 * n; j++) {
            base[off + j] = j < n ? 0.0f : 1.0f;
        }
        off += 2 * n;
    }
    return off;
}

static size_t snf_lite_ws_size(const snf_net_config *c, int nthreads)
{
    int Ks[SNF_NET_NBRANCH];
    for (int i = 0; i < SNF_NET_NBRANCH; i++) {
        Ks[i] = c->kernel >> i;
    }
    size_t w = snf_conv1d_multi_ws_size(c->C_in, c->filters, c->T, Ks, SNF_NET_NBRANCH, nthreads);
    for (int l = 0; l < 2; l++) {
        size_t v = snf_conv1d_ws_size(snf_lite_cl(c, l), c->filters, c->T, 1, nthreads);
        w = v > w ? v : w;
    }
    return w;
}

static void snf_lite_forward(snf_net *net, const float *x, int B, int train)
{
    const snf_net_config *c = &net->cfg;
    const snf_lite_params *p = &net->lp;
    const snf_lite_stats *st = &net->lst;
    snf_lite_acts *a = &net->la;
    const int F = c->filters, T = c->T, C0 = snf_lite_cl(c, 0);
    int Ks[SNF_NET_NBRANCH];
    const float *wb[SNF_NET_NBRANCH];
    for (int i = 0; i < SNF_NET_NBRANCH; i++) {
        Ks[i] = c->kernel >> i;
        wb[i] = p->conv_w[i];
    }
    /* module 0: the multiplexed convolutions write channels [0, 3F) of cat, the fixed filters [3F, C0) */
    snf_conv1d_multi_forward(a->cat, net->ws, x, wb, Ks, SNF_NET_NBRANCH, B, c->C_in, F, C0, T);
    snf_hybrid_forward(a->cat + (size_t)3 * F * T, x, B, c->C_in, C0, T);
    if (train == 1) {
        snf_bnrelu_forward_train(a->out0, a->mean0, a->rstd0, st->mean[0], st->var[0], a->cat, p->bn0_g, p->bn0_b,
                                 B, C0, T, c->bn_eps, c->bn_momentum);
    } else {
        snf_bnrelu_forward_eval(a->out0, a->cat, p->bn0_g, p->bn0_b, st->mean[0], st->var[0], B, C0, T, c->bn_eps);
    }
    const float *in = a->out0;
    for (int l = 0; l < 2; l++) {
        int Cl = snf_lite_cl(c, l);
        snf_dwconv1d_forward(a->dw[l], in, p->dw_w[l], B, Cl, T, snf_lite_kl(c, l), snf_lite_dl(l));
        snf_conv1d_forward(a->pw[l], net->ws, a->dw[l], p->pw_w[l], NULL, B, Cl, F, T, 1);
        if (train == 1) {
            snf_bnrelu_forward_train(a->out[l], a->mean[l], a->rstd[l], st->mean[l + 1], st->var[l + 1], a->pw[l],
                                     p->bn_g[l], p->bn_b[l], B, F, T, c->bn_eps, c->bn_momentum);
        } else {
            snf_bnrelu_forward_eval(a->out[l], a->pw[l], p->bn_g[l], p->bn_b[l], st->mean[l + 1], st->var[l + 1], B,
                                    F, T, c->bn_eps);
        }
        in = a->out[l];
    }
    snf_gap_forward(a->gap, a->out[1], B, F, T);
    const float *h = a->gap;
    if (train && c->dropout > 0.0f) {
        snf_dropout_forward(a->drop, a->mask, a->gap, c->dropout, net->dropout_seed, net->step, (size_t)B * F);
        h = a->drop;
    }
    snf_linear_forward(a->pred, h, p->head_w, p->head_b, B, F, c->n_out);
}

static void snf_lite_backward(snf_net *net)
{
    const snf_net_config *c = &net->cfg;
    const snf_lite_params *p = &net->lp, *g = &net->lg;
    const snf_lite_acts *a = &net->la, *da = &net->lda;
    const int B = net->B, F = c->filters, T = c->T, C0 = snf_lite_cl(c, 0), dropout = c->dropout > 0.0f;
    const size_t BT = (size_t)B * T;
    /* zero what this batch's backward accumulates into */
    memset(da->cat, 0, BT * C0 * sizeof(float));
    memset(da->out0, 0, BT * C0 * sizeof(float));
    for (int l = 0; l < 2; l++) {
        memset(da->dw[l], 0, BT * snf_lite_cl(c, l) * sizeof(float));
        memset(da->pw[l], 0, BT * F * sizeof(float));
        memset(da->out[l], 0, BT * F * sizeof(float));
    }
    memset(da->gap, 0, (size_t)B * F * sizeof(float));
    memset(da->drop, 0, (size_t)B * F * sizeof(float));
    memset(da->pred, 0, (size_t)B * c->n_out * sizeof(float));

    snf_head_loss_backward(c->head, da->pred, a->pred, net->y, B, c->n_out);
    if (net->grad_scale != 1.0f) {
        for (int i = 0; i < B * c->n_out; i++) {
            da->pred[i] *= net->grad_scale;
        }
    }
    snf_linear_backward(dropout ? da->drop : da->gap, g->head_w, g->head_b, da->pred, dropout ? a->drop : a->gap,
                        p->head_w, B, F, c->n_out);
    if (dropout) {
        snf_dropout_backward(da->gap, da->drop, a->mask, (size_t)B * F);
    }
    snf_gap_backward(da->out[1], da->gap, B, F, T);
    for (int l = 1; l >= 0; l--) {
        int Cl = snf_lite_cl(c, l);
        const float *in = l == 0 ? a->out0 : a->out[0];
        float *din = l == 0 ? da->out0 : da->out[0];
        snf_bnrelu_backward(da->pw[l], g->bn_g[l], g->bn_b[l], da->out[l], a->out[l], a->pw[l], a->mean[l], a->rstd[l],
                            p->bn_g[l], B, F, T);
        snf_conv1d_backward(da->dw[l], g->pw_w[l], NULL, net->ws, da->pw[l], a->dw[l], p->pw_w[l], B, Cl, F, T, 1);
        snf_dwconv1d_backward(din, g->dw_w[l], da->dw[l], in, p->dw_w[l], B, Cl, T, snf_lite_kl(c, l),
                              snf_lite_dl(l));
    }
    snf_bnrelu_backward(da->cat, g->bn0_g, g->bn0_b, da->out0, a->out0, a->cat, a->mean0, a->rstd0, p->bn0_g, B, C0,
                        T);
    /* the fixed filters' channels [3F, C0) stop here; the convolutions read the network input (no dinp) */
    int Ks[SNF_NET_NBRANCH];
    const float *wb[SNF_NET_NBRANCH];
    float *gb[SNF_NET_NBRANCH];
    for (int i = 0; i < SNF_NET_NBRANCH; i++) {
        Ks[i] = c->kernel >> i;
        wb[i] = p->conv_w[i];
        gb[i] = g->conv_w[i];
    }
    snf_conv1d_multi_backward(NULL, gb, net->ws, da->cat, net->x, wb, Ks, SNF_NET_NBRANCH, B, c->C_in, F, C0, T);
}

static int snf_lite_describe(const snf_net_config *c, snf_net_tdesc *d)
{
    return snf_lite_table(c, NULL, d);
}

static void snf_lite_tensor_name(const snf_net_config *c, int i, char *buf, size_t n)
{
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    int nt = snf_lite_table(c, NULL, d);
    snprintf(buf, n, "%s", i >= 0 && i < nt ? d[i].name : "?");
}

/* The three BatchNorm layers in the order of snf_lite_point_stats: module 0, then the separable blocks. */
static int snf_lite_stats_layer(const snf_net_config *c, int j, char *pre, size_t n)
{
    static const char *const names[3] = {"m0", "sep0", "sep1"};
    if (j < 0 || j >= 3) {
        return 0;
    }
    snprintf(pre, n, "%s", names[j]);
    return j == 0 ? snf_lite_cl(c, 0) : c->filters;
}

static size_t snf_lite_num_stats(const snf_net_config *c)
{
    snf_lite_stats s;
    return snf_lite_point_stats(c, NULL, &s, 0);
}

static void snf_lite_layout(const snf_net_config *c, int nthreads, size_t *nacts, size_t *nws, size_t *nidx)
{
    snf_lite_acts a;
    *nacts = snf_lite_point_acts(c, NULL, &a);
    *nws = snf_lite_ws_size(c, nthreads);
    *nidx = 0; /* no max-pooling */
}

static void snf_lite_bind(snf_net *net)
{
    const snf_net_config *c = &net->cfg;
    snf_lite_params *lps[4] = {&net->lp, &net->lg, &net->lm, &net->lv};
    float *slabs[4] = {net->params, net->grads, net->adam_m, net->adam_v};
    for (int k = 0; k < 4; k++) {
        snf_net_tdesc d[SNF_NET_MAX_TENSORS];
        int nt = snf_lite_table(c, lps[k], d);
        size_t off = 0;
        for (int i = 0; i < nt; i++) {
            *d[i].slot = slabs[k] + off;
            off += d[i].size;
        }
    }
    snf_lite_point_stats(c, net->bn_stats, &net->lst, 0);
    snf_lite_point_acts(c, net->acts, &net->la);
    snf_lite_point_acts(c, net->dacts, &net->lda);
}

static void snf_lite_reset_stats(snf_net *net)
{
    snf_lite_stats s;
    snf_lite_point_stats(&net->cfg, net->bn_stats, &s, 1);
}

static const float *snf_lite_pred(const snf_net *net)
{
    return net->la.pred;
}

static const float *snf_lite_features(const snf_net *net)
{
    return net->la.gap;
}

const snf_net_ops snf_lite_ops = {
    .hybrid = 1,
    .valid = snf_lite_valid,
    .describe = snf_lite_describe,
    .tensor_name = snf_lite_tensor_name,
    .stats_layer = snf_lite_stats_layer,
    .num_stats = snf_lite_num_stats,
    .layout = snf_lite_layout,
    .bind = snf_lite_bind,
    .reset_stats = snf_lite_reset_stats,
    .forward = snf_lite_forward,
    .backward = snf_lite_backward,
    .pred = snf_lite_pred,
    .features = snf_lite_features,
    .table_slots = NULL, /* InceptionTime's parameter views do not apply */
};
