/* net.c: the network of snforge (net.h, snf_net_*) whatever its architecture: the size table, the slabs
 * (params, grads and Adam moments laid out alike; BN statistics; activations and their gradients for the
 * largest batch; the convolutions' workspace), initialisation, the forward and backward entry points, the
 * loss and the optimiser step. What differs between InceptionTime, H-InceptionTime and LITE is asked of the
 * architecture's operations table (internal.h snf_net_ops: inception.c, lite.c); nothing here asks which
 * architecture it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#include "internal.h"

/* ---- static helpers ---- */

/* The operations of cfg's architecture; NULL for an unknown one. */
static const snf_net_ops *snf_net_ops_of(const snf_net_config *c)
{
    switch (c->arch) {
    case SNF_ARCH_INCEPTION: return &snf_inception_ops;
    case SNF_ARCH_HINCEPTION: return &snf_hinception_ops;
    case SNF_ARCH_LITE: return &snf_lite_ops;
    default: return NULL;
    }
}

static int snf_net_valid(const snf_net_config *c)
{
    if (!(c->head == SNF_HEAD_MSE || (c->head == SNF_HEAD_GAUSSIAN && c->n_out % 2 == 0))) {
        return 0;
    }
    const snf_net_ops *ops = snf_net_ops_of(c);
    return ops != NULL && ops->valid(c);
}

/* SNF_EINVAL naming every field of an invalid configuration (the caller said what it was opening). */
static int snf_net_invalid(const snf_net_config *c)
{
    static const char *arch[] = {"InceptionTime", "LITE", "H-InceptionTime"};
    SNF_ERROR(SNF_EINVAL, "invalid %s network configuration: C_in %d, n_out %d, T %d, max_B %d, filters %d, "
              "depth %d (at most %d), kernel %d, bottleneck %d, head %d (every count >= 1; a Gaussian head needs an "
              "even n_out)", c->arch >= 0 && c->arch < 3 ? arch[c->arch] : "unknown-architecture", c->C_in, c->n_out,
              c->T, c->max_B, c->filters, c->depth, SNF_NET_MAX_DEPTH, c->kernel, c->bottleneck, c->head);
}

/* ---- public API: sizes and layout ---- */

snf_net_config snf_net_config_default(void)
{
    snf_net_config c = {2, 4, 128, 64, 32, 6, 40, 32, 1, 1e-3f, 0.99f, 0.0f, SNF_ARCH_INCEPTION, SNF_HEAD_MSE};
    return c;
}

int snf_net_sizes(const snf_net_config *cfg, size_t *sizes)
{
    if (!snf_net_valid(cfg)) {
        return snf_net_invalid(cfg);
    }
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    int n = snf_net_ops_of(cfg)->describe(cfg, d);
    for (int i = 0; i < n; i++) {
        sizes[i] = d[i].size;
    }
    return n;
}

size_t snf_net_num_params(const snf_net_config *cfg)
{
    size_t sizes[SNF_NET_MAX_TENSORS], tot = 0;
    int n = snf_net_sizes(cfg, sizes);
    for (int i = 0; i < n; i++) {
        tot += sizes[i];
    }
    return tot;
}

size_t snf_net_num_stats(const snf_net_config *cfg)
{
    return snf_net_valid(cfg) ? snf_net_ops_of(cfg)->num_stats(cfg) : 0;
}

double snf_net_flops(const snf_net_config *cfg)
{
    if (!snf_net_valid(cfg)) {
        return 0.0;
    }
    const snf_net_ops *ops = snf_net_ops_of(cfg);
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    int n = ops->describe(cfg, d);
    double mac = 0.0;
    for (int i = 0; i < n; i++) {
        int conv = d[i].kind == SNF_NET_KIND_CONV || d[i].kind == SNF_NET_KIND_DWCONV;
        mac += conv ? (double)d[i].size * cfg->T : d[i].kind == SNF_NET_KIND_DENSE ? (double)d[i].size : 0.0;
    }
    if (ops->hybrid) {
        float w[96];
        for (int j = 0; j < SNF_HYBRID_PER_CHANNEL; j++) {
            mac += (double)snf_hybrid_filter(j, w) * cfg->C_in * cfg->T;
        }
    }
    return 2.0 * mac;
}

size_t snf_net_point(const snf_net_config *cfg, float *base, snf_net_params *p)
{
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    memset(p, 0, sizeof *p);
    const snf_net_ops *ops = snf_net_ops_of(cfg);
    int n = ops->table_slots ? ops->table_slots(cfg, p, d) : ops->describe(cfg, d);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        if (d[i].slot) {
            *d[i].slot = base + off;
        }
        off += d[i].size;
    }
    return off;
}

void snf_net_tensor_name(const snf_net_config *cfg, int i, char *buf, size_t n)
{
    snf_net_ops_of(cfg)->tensor_name(cfg, i, buf, n);
}

int snf_net_tensor_shape(const snf_net_config *cfg, int i, int dims[3])
{
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    int n = snf_net_valid(cfg) ? snf_net_ops_of(cfg)->describe(cfg, d) : 0;
    if (i < 0 || i >= n) {
        return 0;
    }
    if (d[i].kind == SNF_NET_KIND_DWCONV) { /* PyTorch's grouped Conv1d weight (C, 1, K) */
        dims[0] = (int)(d[i].size / (size_t)d[i].fan_in);
        dims[1] = 1;
        dims[2] = d[i].fan_in;
        return 3;
    }
    if (d[i].kind == SNF_NET_KIND_CONV) {
        /* size = C_out C_in K, fan_in = C_in K, fan_out = C_out K; an unused tensor (size 0) is
         * (0, C_in, 1) */
        int K = d[i].size ? (int)((size_t)d[i].fan_in * (size_t)d[i].fan_out / d[i].size) : 1;
        dims[0] = d[i].fan_out / K;
        dims[1] = d[i].fan_in / K;
        dims[2] = K;
        return 3;
    }
    if (d[i].kind == SNF_NET_KIND_DENSE) {
        dims[0] = d[i].fan_out;
        dims[1] = d[i].fan_in;
        return 2;
    }
    dims[0] = (int)d[i].size;
    return 1;
}

int snf_net_stats_tensor(const snf_net_config *cfg, int i, char *buf, size_t n, size_t *offset, size_t *size)
{
    char pre[16];
    size_t off = 0;
    int C;
    for (int j = 0; snf_net_valid(cfg) && (C = snf_net_ops_of(cfg)->stats_layer(cfg, j, pre, sizeof pre)) > 0; j++) {
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

int snf_net_alloc(snf_net **out, const snf_net_config *cfg)
{
    *out = NULL;
    if (!snf_net_valid(cfg)) {
        return snf_net_invalid(cfg);
    }
    snf_net *net = calloc(1, sizeof *net);
    if (!net) {
        SNF_ERROR(SNF_ENOMEM, "network struct");
    }
    const snf_net_ops *ops = snf_net_ops_of(cfg);
    net->cfg = *cfg;
    net->ntensors = snf_net_sizes(cfg, net->sizes);
    for (int i = 0; i < net->ntensors; i++) {
        net->nparams += net->sizes[i];
        net->lr_mult[i] = 1.0f;
    }
    net->nthreads = snf_threads_max();
    net->nstats = ops->num_stats(cfg);
    size_t nidx = 0;
    ops->layout(cfg, net->nthreads, &net->nacts, &net->nws, &nidx);
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
        snf_net_free(net);
        SNF_ERROR(SNF_ENOMEM, "InceptionTime slabs (%zu params, %zu activations)", np, na);
    }
    ops->bind(net);
    snf_net_init(net, 0);
    *out = net;
    return SNF_OK;
}

void snf_net_init(snf_net *net, uint64_t seed)
{
    const snf_net_ops *ops = snf_net_ops_of(&net->cfg);
    snf_net_tdesc d[SNF_NET_MAX_TENSORS];
    int n = ops->describe(&net->cfg, d);
    snf_rng rng = snf_rng_seed(seed);
    float *w = net->params;
    for (int i = 0; i < n; i++) {
        switch (d[i].kind) {
        case SNF_NET_KIND_CONV:
        case SNF_NET_KIND_DWCONV:
        case SNF_NET_KIND_DENSE:
            snf_glorot_uniform(w, d[i].size, d[i].fan_in, d[i].fan_out, &rng);
            break;
        case SNF_NET_KIND_GAMMA:
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
        int decays = d[i].kind == SNF_NET_KIND_CONV || d[i].kind == SNF_NET_KIND_DWCONV || d[i].kind == SNF_NET_KIND_DENSE;
        net->wd_mult[i] = decays ? 1.0f : 0.0f;
    }
    ops->reset_stats(net); /* running mean 0, running variance 1 (Keras initialisers) */
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

void snf_net_free(snf_net *net)
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

int snf_net_forward(snf_net *net, const float *x, const float *y, int B, int train, float *loss)
{
    const snf_net_config *c = &net->cfg;
    if (B < 1 || B > c->max_B) {
        SNF_ERROR(SNF_EINVAL, "batch %d outside [1, %d]", B, c->max_B);
    }
    if (snf_threads_max() > net->nthreads) {
        SNF_ERROR(SNF_EINVAL, "%d threads but workspaces for %d", snf_threads_max(), net->nthreads);
    }
    net->x = x;
    net->y = y;
    net->B = B;
    net->train = train;
    snf_net_ops_of(c)->forward(net, x, B, train);
    if (train == 1) {
        net->step++;
    }
    net->loss = y ? snf_head_loss(c->head, snf_net_pred(net), y, B, c->n_out) : 0.0f;
    if (loss) {
        *loss = net->loss;
    }
    return SNF_OK;
}

int snf_net_backward(snf_net *net)
{
    if (net->train != 1 || !net->y || net->B < 1) {
        SNF_ERROR(SNF_EINVAL, "backward needs a preceding training forward with targets");
    }
    snf_net_ops_of(&net->cfg)->backward(net);
    return SNF_OK;
}

void snf_net_zero_grad(snf_net *net)
{
    memset(net->grads, 0, net->nparams * sizeof(float));
}

const float *snf_net_pred(const snf_net *net)
{
    return snf_net_ops_of(&net->cfg)->pred(net);
}

const float *snf_net_features(const snf_net *net)
{
    return snf_net_ops_of(&net->cfg)->features(net);
}

void snf_net_adam_step(snf_net *net, const snf_adam_config *cfg)
{
    net->adam_t++;
    snf_adamw_update(net->params, net->adam_m, net->adam_v, net->grads, net->sizes, net->lr_mult,
                     net->wd_mult, net->ntensors, cfg, net->adam_t);
}
