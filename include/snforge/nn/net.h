/* nn/net.h: the network (snf_net: any architecture, run through its operations table): the InceptionTime regressor
 * (Fawaz et al. 2020, Keras semantics; ../shared/bench/inceptiontime.md) and its lighter relatives H-InceptionTime
 * (Ismail-Fawaz et al. 2022: InceptionTime with the fixed hand-crafted filters of nn.h beside the first module's
 * branches) and LITE (Ismail-Fawaz et al. 2023, "LITE: Light Inception with boosTing tEchniques for Time Series
 * Classification", DSAA; layout learnt from aeon's LITENetwork), on flat float slabs, llm.c style: a size table,
 * one layout routine that points params, grads, adam_m and adam_v identically, activations laid out once for the
 * largest batch, and forward / backward as straight lists of nn.h kernel calls. Also Adam over the flat slab with
 * a per-tensor learning-rate multiplier, and the reduce-LR-on-plateau and early-stopping rules (Keras). It does
 * not read data, write checkpoints or parse configuration files. */
#ifndef SNFORGE_NN_NET_H
#define SNFORGE_NN_NET_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_NET_MAX_DEPTH 12 /* Inception modules */
#define SNF_NET_NBRANCH 3    /* wide convolutions per module: kernel, kernel/2, kernel/4 */
#define SNF_NET_MAX_RES (SNF_NET_MAX_DEPTH / 3)
/* Per module: bottleneck, 3 branch convs, pool conv, BN gamma, BN beta; per shortcut: conv, gamma,
 * beta; head: weight, bias. A tensor that a configuration does not use has size 0. */
#define SNF_NET_TENSORS_PER_MODULE 7
#define SNF_NET_TENSORS_PER_RES 3
#define SNF_NET_MAX_TENSORS \
    (SNF_NET_MAX_DEPTH * SNF_NET_TENSORS_PER_MODULE + SNF_NET_MAX_RES * SNF_NET_TENSORS_PER_RES + 2)

typedef struct snf_net_config {
    int C_in;          /* input channels (2: bolometric luminosity, photospheric velocity) */
    int n_out;         /* regression outputs (4 standardised parameters) */
    int T;             /* samples per series (L) */
    int max_B;         /* largest batch; activations are laid out for it */
    int filters;       /* filters per branch (32); a module outputs 4*filters channels */
    int depth;         /* Inception modules (6), <= SNF_NET_MAX_DEPTH */
    int kernel;        /* widest kernel (40); branches use kernel >> 0, 1, 2 */
    int bottleneck;    /* bottleneck channels (32), used when a module's input has > 1 channel; 0 = off */
    int residual;      /* 1: shortcut (1x1 conv + BN, add, ReLU) after every third module */
    float bn_eps;      /* BatchNorm epsilon (Keras 1e-3) */
    float bn_momentum; /* running = momentum*running + (1-momentum)*batch (Keras 0.99) */
    float dropout;     /* dropout probability before the head (0: none, as in every reference) */
    int arch;          /* SNF_ARCH_INCEPTION (0), SNF_ARCH_LITE or SNF_ARCH_HINCEPTION */
    int head;          /* SNF_HEAD_MSE (0): n_out means, MSE loss; SNF_HEAD_GAUSSIAN: n_out = 2 NP outputs
                        * (NP means, then NP raw variances), Gaussian NLL loss (uq.h) */
} snf_net_config;

/* Output heads (uq.h documents the Gaussian one). */
enum { SNF_HEAD_MSE = 0, SNF_HEAD_GAUSSIAN = 1 };
/* snf_net_forward's train argument: 0 eval, 1 training, SNF_NET_MC: BN running statistics (eval) with
 * dropout on, mask index net->step (not advanced): Monte Carlo dropout (Gal & Ghahramani 2016). */
#define SNF_NET_MC 2

/* Architectures. INCEPTION: the reference above. HINCEPTION: the same, with the SNF_HYBRID_PER_CHANNEL
 * x C_in hand-crafted filter outputs (nn.h, ReLU'd) concatenated after module 0's four branches, so
 * module 0 outputs 4 filters + 17 C_in channels (depth >= 2). LITE: module 0 = three convolutions
 * C_in -> filters of widths kernel, kernel/2, kernel/4 (no bottleneck, no pool branch; the
 * multiplexed kernels), the hybrid filters (depthwise on each input channel, as aeon's LITEMV, since
 * our channels are different quantities), BN + ReLU over the 3 filters + 17 C_in channels; then two
 * depthwise-separable blocks (depthwise kernel/2 with dilation 2, then kernel/4 with dilation 4, each
 * followed by a 1x1 convolution to `filters`, BN, ReLU); GAP; dense head. No biases but the head's.
 * LITE ignores depth, bottleneck and residual. */
enum { SNF_ARCH_INCEPTION = 0, SNF_ARCH_LITE = 1, SNF_ARCH_HINCEPTION = 2 };

/* LITE's tensors (pointers into the same slabs as snf_net_params). */
typedef struct snf_lite_params {
    float *conv_w[SNF_NET_NBRANCH]; /* (filters, C_in, kernel >> i) */
    float *bn0_g, *bn0_b;          /* (3 filters + 17 C_in) */
    float *dw_w[2];                /* depthwise (C_l, K_l): C_0 = 3 filters + 17 C_in, K_0 = kernel/2; C_1 = filters, K_1 = kernel/4 */
    float *pw_w[2];                /* pointwise (filters, C_l, 1) */
    float *bn_g[2], *bn_b[2];      /* (filters) */
    float *head_w, *head_b;        /* (n_out, filters), (n_out) */
} snf_lite_params;

typedef struct snf_lite_stats {
    float *mean[3], *var[3]; /* module 0 (3 filters + 17 C_in), separable blocks 0 and 1 (filters) */
} snf_lite_stats;

typedef struct snf_lite_acts {
    float *cat, *mean0, *rstd0, *out0;          /* module 0: branches + hybrid, BN stats, BN+ReLU output */
    float *dw[2], *pw[2], *mean[2], *rstd[2], *out[2]; /* separable blocks */
    float *gap, *drop, *mask, *pred;
} snf_lite_acts;

/* Pointers into a slab laid out by snf_net_point; unused tensors point at size-0 slots. */
typedef struct snf_net_params {
    struct {
        float *bott_w;                 /* (bottleneck, C_mod, 1) or size 0 */
        float *conv_w[SNF_NET_NBRANCH]; /* (filters, C_src, K_i) */
        float *pool_w;                 /* (filters, C_mod, 1) */
        float *bn_g, *bn_b;            /* (4 filters) */
    } mod[SNF_NET_MAX_DEPTH];
    struct {
        float *sc_w;        /* (4 filters, C_res, 1) */
        float *bn_g, *bn_b; /* (4 filters) */
    } res[SNF_NET_MAX_RES];
    float *head_w; /* (n_out, 4 filters) */
    float *head_b; /* (n_out) */
} snf_net_params;

/* Non-trainable BatchNorm running statistics (2*4*filters per BN), in their own slab. */
typedef struct snf_net_stats {
    float *mod_mean[SNF_NET_MAX_DEPTH], *mod_var[SNF_NET_MAX_DEPTH];
    float *res_mean[SNF_NET_MAX_RES], *res_var[SNF_NET_MAX_RES];
} snf_net_stats;

/* Activations (and, with the same layout, their gradients), each (max_B, channels, T) unless noted. */
typedef struct snf_net_acts {
    struct {
        float *bott;       /* bottleneck output (bottleneck channels) or size 0 */
        float *cat;        /* the four branches, concatenated (4 filters), before BN */
        float *mp;         /* max-pool of the module input (C_mod) */
        float *mean, *rstd; /* BN batch statistics (4 filters), written by forward for backward */
        float *out;        /* BN + ReLU output (4 filters) */
    } mod[SNF_NET_MAX_DEPTH];
    struct {
        float *sc;          /* shortcut 1x1 conv output (4 filters) */
        float *mean, *rstd; /* its BN statistics (4 filters) */
        float *scn;         /* shortcut after BN */
        float *out;         /* ReLU(module output + scn): the block output */
    } res[SNF_NET_MAX_RES];
    float *gap;  /* (max_B, 4 filters) */
    float *drop; /* dropout output (max_B, 4 filters) */
    float *mask; /* dropout mask (max_B, 4 filters) */
    float *pred; /* (max_B, n_out) */
} snf_net_acts;

/* The network workspace (heap, snf_net_alloc). Fields are readable; the slabs are the trainer's to
 * checkpoint. params/grads/adam_m/adam_v have nparams floats each, laid out by snf_net_point. */
typedef struct snf_net {
    snf_net_config cfg;
    int ntensors;                      /* entries of sizes/lr_mult */
    size_t sizes[SNF_NET_MAX_TENSORS];  /* floats per trainable tensor, in slab order */
    float lr_mult[SNF_NET_MAX_TENSORS]; /* per-tensor learning-rate multiplier (1; 0 freezes) */
    float wd_mult[SNF_NET_MAX_TENSORS]; /* weight decay applies (1): conv and dense kernels; not (0): BN
                                        * gamma/beta and biases (the usual AdamW practice) */
    size_t nparams;
    float *params, *grads, *adam_m, *adam_v;
    snf_net_params p, g, m, v;
    size_t nstats; /* 2 * 4 filters per BatchNorm layer */
    float *bn_stats;
    snf_net_stats st;
    snf_lite_params lp, lg, lm, lv; /* LITE: params, grads, adam_m, adam_v (arch = LITE only) */
    snf_lite_stats lst;
    snf_lite_acts la, lda;
    size_t nacts;
    float *acts, *dacts;
    int *mpidx[SNF_NET_MAX_DEPTH]; /* max-pool argmax per module (max_B, C_mod, T), in idx */
    int *idx;
    snf_net_acts a, da;
    float *ws; /* conv workspace for nthreads threads */
    size_t nws;
    int nthreads;
    /* State of the last forward call, read by backward. */
    const float *x, *y; /* the caller's input (B, C_in, T) and targets (B, n_out); kept alive by it */
    int B, train;
    float loss;
    float grad_scale; /* multiplies d(loss)/d(pred) in backward (1; a data-parallel rank: its rows / the
                       * global batch, so the summed gradients are the global batch mean's) */
    uint64_t dropout_seed;
    uint64_t step; /* training forwards so far (dropout mask index) */
    long adam_t;   /* Adam steps so far */
} snf_net;

typedef struct snf_adam_config {
    float lr;    /* learning rate (1e-3) */
    float beta1; /* 0.9 */
    float beta2; /* 0.999 */
    float eps;   /* 1e-7 (Keras; PyTorch uses 1e-8) */
    float weight_decay; /* decoupled (AdamW) decay per unit learning rate (0: plain Adam) */
} snf_adam_config;

/* Learning-rate schedules by optimiser step. PLATEAU: the epoch-level reduce-on-plateau rule (below)
 * owns the rate; CONSTANT: lr throughout; COSINE: linear warm-up from 0 to lr over the first
 * warmup * total steps, then a half cosine from lr to lr_end at step total (Loshchilov & Hutter 2017,
 * SGDR without restarts; Goyal et al. 2017 warm-up); ONECYCLE: a half-cosine warm-up from lr / div to
 * lr over warmup * total steps, then a half cosine to lr_end (Smith & Topin 2019, the fastai
 * fit_one_cycle shape; momentum is not cycled). After total steps the rate stays at lr_end. */
enum { SNF_SCHED_PLATEAU = 0, SNF_SCHED_CONSTANT = 1, SNF_SCHED_COSINE = 2, SNF_SCHED_ONECYCLE = 3 };

typedef struct snf_lr_schedule {
    int kind;     /* SNF_SCHED_* */
    float lr;     /* peak rate (the [train] lr) */
    float lr_end; /* rate at the end of the decay */
    float warmup; /* warm-up as a fraction of total, [0, 1) */
    float div;    /* one-cycle: starting rate lr / div (25) */
    long total;   /* optimiser steps the schedule spans (>= 1) */
} snf_lr_schedule;

/* Keras ReduceLROnPlateau on a monitored loss (mode 'min', absolute min_delta). */
typedef struct snf_plateau {
    float factor;    /* new lr = max(lr * factor, min_lr) (0.5) */
    int patience;    /* epochs without improvement before a reduction (50) */
    float min_lr;    /* floor (1e-4) */
    float min_delta; /* an improvement is loss < best - min_delta (1e-4) */
    int cooldown;    /* epochs after a reduction during which waiting is suspended (0) */
    float best;      /* best loss so far (+inf at start) */
    int wait, cooldown_left;
} snf_plateau;

/* Early stopping: stop once `patience` epochs pass without loss < best - min_delta. */
typedef struct snf_earlystop {
    int patience;
    float min_delta;
    float best;
    int wait;
    long best_epoch; /* epoch index of the best loss */
} snf_earlystop;

/* ---- defaults and the size table ---- */

/* Reference configuration: C_in 2, n_out 4, T 128, max_B 64, 32 filters, depth 6, kernel 40,
 * bottleneck 32, residual, BN eps 1e-3 momentum 0.99, no dropout. */
SNF_API snf_net_config snf_net_config_default(void);

/* Fills sizes[SNF_NET_MAX_TENSORS] (floats per trainable tensor in slab order) and returns the
 * number of tensors, or SNF_EINVAL (< 0) for an invalid configuration. */
SNF_API int snf_net_sizes(const snf_net_config *cfg, size_t *sizes);
/* Total trainable floats (490,372 for the reference); 0 for an invalid configuration. */
SNF_API size_t snf_net_num_params(const snf_net_config *cfg);
/* Forward FLOP per sample as executed: 2 x the multiply-adds of every convolution (weights x T, the
 * zero padding included), of the fixed hand-crafted filters and of the head; BN, ReLU and pooling
 * left out (< 1 %). 124.9 MFLOP for the reference at T = 128 (../shared/bench/inceptiontime.md). */
SNF_API double snf_net_flops(const snf_net_config *cfg);
/* Floats of BN running statistics (2,048 for the reference). */
SNF_API size_t snf_net_num_stats(const snf_net_config *cfg);
/* The one layout routine: points p's tensors into base (params, grads, adam_m or adam_v alike).
 * Returns the number of floats used. */
SNF_API size_t snf_net_point(const snf_net_config *cfg, float *base, snf_net_params *p);
/* "mod2.conv1_w", "res0.bn_g", "head_b", ... for tensor i of the size table. */
SNF_API void snf_net_tensor_name(const snf_net_config *cfg, int i, char *buf, size_t n);
/* The shape of tensor i of the size table, in the PyTorch layout: (C_out, C_in, K) for a convolution,
 * (C, 1, K) for LITE's depthwise ones (a Conv1d with groups = C), (n_out, in) for the dense head, (n) for
 * BN gamma/beta and the head bias. Returns the rank (1-3), or 0
 * for an i outside the table or an invalid configuration. An unused bottleneck (size 0) is (0, C_in, 1). */
SNF_API int snf_net_tensor_shape(const snf_net_config *cfg, int i, int dims[3]);
/* BatchNorm running statistic i of the stats slab, in slab order: its name ("mod2.bn_mean",
 * "mod2.bn_var", "res0.bn_mean", ...; LITE "m0.bn_mean", "sep0.bn_var", ...) into buf[n], its float offset
 * and size (the layer's channels: 4 filters, + the hand-crafted channels in H-InceptionTime's module 0).
 * Returns 1, or 0 when i is past the last statistic. */
SNF_API int snf_net_stats_tensor(const snf_net_config *cfg, int i, char *buf, size_t n, size_t *offset, size_t *size);

/* ---- life cycle ---- */

/* Allocates slabs for cfg and the current thread count (snf_threads_max()); *out = NULL on failure.
 * Returns SNF_OK, SNF_EINVAL (bad configuration) or SNF_ENOMEM (nothing is left allocated). */
SNF_API int snf_net_alloc(snf_net **out, const snf_net_config *cfg);

/* Glorot-uniform conv/dense kernels (fan_in = C_in K, fan_out = C_out K), zero dense bias, BN gamma 1
 * beta 0, running mean 0 var 1, Adam moments and grads 0, lr_mult 1, step counters 0. */
SNF_API void snf_net_init(snf_net *net, uint64_t seed);

/* ---- run ---- */

/* Forward pass on x (B, C_in, T), B <= max_B. train = 1: BN batch statistics (running statistics
 * updated), dropout on; train = 0: running statistics, no dropout; train = SNF_NET_MC: running
 * statistics, dropout on. If y (B, NP) is not NULL the head's loss (MSE, or the Gaussian NLL of uq.h)
 * is computed (returned through *loss when loss is not NULL). x and y must stay valid until
 * snf_net_backward. Returns SNF_OK, or SNF_EINVAL for a bad B or more threads than allocated for. */
SNF_API int snf_net_forward(snf_net *net, const float *x, const float *y, int B, int train, float *loss);

/* Accumulates d(loss)/d(params) into net->grads for the last forward (train = 1, y given).
 * Returns SNF_OK or SNF_EINVAL if there is no such forward. */
SNF_API int snf_net_backward(snf_net *net);

SNF_API void snf_net_zero_grad(snf_net *net);

/* Predictions (B, n_out) of the last forward. */
SNF_API const float *snf_net_pred(const snf_net *net);

/* The pooled features (B, channels of the last layer) of the last forward, before the head: what the OOD
 * test compares (uq.h). */
SNF_API const float *snf_net_features(const snf_net *net);

/* One Adam(W) step of the whole parameter slab with net->lr_mult and, when cfg->weight_decay > 0,
 * decoupled weight decay on the tensors with net->wd_mult 1 (increments net->adam_t). */
SNF_API void snf_net_adam_step(snf_net *net, const snf_adam_config *cfg);

SNF_API void snf_net_free(snf_net *net);

/* ---- Adam and schedules (pure functions on flat arrays) ---- */

SNF_API snf_adam_config snf_adam_config_default(void);

/* Keras Adam, step number t >= 1: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr_t m / (sqrt(v) + eps) with lr_t = lr mult_i sqrt(1-b2^t) / (1-b1^t).
 * Tensor i has sizes[i] floats; lr_mult (NULL = all 1) of 0 leaves its params, m and v unchanged. */
SNF_API void snf_adam_update(float *params, float *m, float *v, const float *grads, const size_t *sizes,
                     const float *lr_mult, int ntensors, const snf_adam_config *cfg, long t);
/* AdamW (Loshchilov & Hutter 2019, "Decoupled weight decay regularization", Algorithm 2, in the
 * PyTorch parametrisation): first p *= 1 - lr mult_i wd wd_mult_i with lr = cfg->lr (the scheduled
 * rate, before bias correction), then the Adam step above on the gradient alone, so the decay never
 * enters m or v. wd_mult NULL: decay on every tensor. cfg->weight_decay 0 is snf_adam_update. */
SNF_API void snf_adamw_update(float *params, float *m, float *v, const float *grads, const size_t *sizes,
                      const float *lr_mult, const float *wd_mult, int ntensors, const snf_adam_config *cfg,
                      long t);

/* The schedule's rate for 0-based optimiser step t (t >= total gives lr_end; PLATEAU and CONSTANT
 * give lr). */
SNF_API float snf_lr_schedule_at(const snf_lr_schedule *s, long t);

/* Gradient-norm clipping (Pascanu et al. 2013): the global L2 norm of g[n] (summed in double in index
 * order, so it is deterministic); when it exceeds max_norm > 0, g *= max_norm / norm. Returns the norm
 * before clipping. max_norm <= 0 only measures. */
SNF_API double snf_grad_clip(float *g, size_t n, float max_norm);

/* Exponential moving average of weights (Polyak averaging; the TensorFlow ExponentialMovingAverage
 * rule with num_updates): d = min(decay, (1 + t) / (10 + t)) for update number t >= 1, then
 * ema = d ema + (1 - d) x over n floats. Returns d. */
SNF_API float snf_ema_update(float *ema, const float *x, size_t n, float decay, long t);

SNF_API snf_plateau snf_plateau_default(void);
/* Feeds one epoch's loss; returns the learning rate to use next (lr or a reduced one). */
SNF_API float snf_plateau_update(snf_plateau *s, float loss, float lr);

SNF_API snf_earlystop snf_earlystop_default(int patience, float min_delta);
/* Feeds epoch `epoch`'s loss; returns 1 when training should stop, else 0. */
SNF_API int snf_earlystop_update(snf_earlystop *s, float loss, long epoch);

#ifdef __cplusplus
}
#endif

#endif
