/* adam.c: Adam(W) over a flat parameter slab with a per-tensor learning-rate multiplier (curriculum
 * freezes are multiplier 0, not a separate code path), step-wise learning-rate schedules, gradient-norm
 * clipping, the weight EMA, and Keras's ReduceLROnPlateau and early stopping rules, as small pure
 * functions on caller-owned state. */
#include <math.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- Adam ---- */

snf_adam_config snf_adam_config_default(void)
{
    snf_adam_config c = {1e-3f, 0.9f, 0.999f, 1e-7f, 0.0f};
    return c;
}

void snf_adam_update(float *params, float *m, float *v, const float *grads, const size_t *sizes,
                     const float *lr_mult, int ntensors, const snf_adam_config *cfg, long t)
{
    snf_adamw_update(params, m, v, grads, sizes, lr_mult, NULL, ntensors, cfg, t);
}

void snf_adamw_update(float *params, float *m, float *v, const float *grads, const size_t *sizes,
                      const float *lr_mult, const float *wd_mult, int ntensors, const snf_adam_config *cfg,
                      long t)
{
    double bc1 = 1.0 - pow((double)cfg->beta1, (double)t);
    double bc2 = 1.0 - pow((double)cfg->beta2, (double)t);
    float lr_t0 = (float)((double)cfg->lr * sqrt(bc2) / bc1);
    float b1 = cfg->beta1, b2 = cfg->beta2, eps = cfg->eps;
    size_t off = 0;
    for (int i = 0; i < ntensors; i++) {
        size_t n = sizes[i];
        float mult = lr_mult ? lr_mult[i] : 1.0f;
        if (mult != 0.0f) {
            float lr_t = lr_t0 * mult;
            float *p = params + off, *mm = m + off, *vv = v + off;
            const float *g = grads + off;
            float wd = cfg->weight_decay * (wd_mult ? wd_mult[i] : 1.0f);
            if (wd > 0.0f) { /* decoupled: the decay scales p before, and apart from, the Adam step */
                float keep = 1.0f - cfg->lr * mult * wd;
                for (size_t j = 0; j < n; j++) {
                    p[j] *= keep;
                }
            }
SNF_OMP(parallel for schedule(static) if (n > 65536))
            for (size_t j = 0; j < n; j++) {
                float gj = g[j];
                float mj = b1 * mm[j] + (1.0f - b1) * gj;
                float vj = b2 * vv[j] + (1.0f - b2) * gj * gj;
                mm[j] = mj;
                vv[j] = vj;
                p[j] -= lr_t * mj / (sqrtf(vj) + eps);
            }
        }
        off += n;
    }
}

/* ---- learning-rate schedules by step ---- */

/* Half cosine from a (x = 0) to b (x = 1). */
static float snf_cos_interp(float a, float b, double x)
{
    x = x < 0 ? 0 : (x > 1 ? 1 : x);
    return (float)((double)b + ((double)a - (double)b) * 0.5 * (1.0 + cos(M_PI * x)));
}

float snf_lr_schedule_at(const snf_lr_schedule *s, long t)
{
    if (s->kind != SNF_SCHED_COSINE && s->kind != SNF_SCHED_ONECYCLE) {
        return s->lr;
    }
    long total = s->total > 0 ? s->total : 1;
    long w = (long)floor((double)s->warmup * (double)total);
    if (t >= total) {
        return s->lr_end;
    }
    if (t < w) {
        if (s->kind == SNF_SCHED_COSINE) { /* linear from 0: step 0 already moves, step w-1 reaches lr */
            return (float)((double)s->lr * (double)(t + 1) / (double)w);
        }
        return snf_cos_interp(s->lr / s->div, s->lr, (double)t / (double)w);
    }
    return snf_cos_interp(s->lr, s->lr_end, (double)(t - w) / (double)(total - w));
}

/* ---- gradient clipping and the weight EMA ---- */

double snf_grad_clip(float *g, size_t n, float max_norm)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        s += (double)g[i] * (double)g[i];
    }
    double norm = sqrt(s);
    if (max_norm > 0.0f && norm > (double)max_norm) {
        float k = (float)((double)max_norm / norm);
        for (size_t i = 0; i < n; i++) {
            g[i] *= k;
        }
    }
    return norm;
}

float snf_ema_update(float *ema, const float *x, size_t n, float decay, long t)
{
    double warm = (1.0 + (double)t) / (10.0 + (double)t);
    float d = (double)decay < warm ? decay : (float)warm;
    float e = 1.0f - d;
SNF_OMP(parallel for schedule(static) if (n > 65536))
    for (size_t i = 0; i < n; i++) {
        ema[i] = d * ema[i] + e * x[i];
    }
    return d;
}

/* ---- reduce LR on plateau (Keras semantics, mode 'min') ---- */

snf_plateau snf_plateau_default(void)
{
    snf_plateau s = {0.5f, 50, 1e-4f, 1e-4f, 0, INFINITY, 0, 0};
    return s;
}

float snf_plateau_update(snf_plateau *s, float loss, float lr)
{
    if (s->cooldown_left > 0) {
        s->cooldown_left--;
        s->wait = 0;
    }
    if (loss < s->best - s->min_delta) {
        s->best = loss;
        s->wait = 0;
    } else if (s->cooldown_left == 0) {
        s->wait++;
        if (s->wait >= s->patience && lr > s->min_lr) {
            float nl = lr * s->factor;
            lr = nl > s->min_lr ? nl : s->min_lr;
            s->cooldown_left = s->cooldown;
            s->wait = 0;
        }
    }
    return lr;
}

/* ---- early stopping ---- */

snf_earlystop snf_earlystop_default(int patience, float min_delta)
{
    snf_earlystop s = {patience, min_delta, INFINITY, 0, -1};
    return s;
}

int snf_earlystop_update(snf_earlystop *s, float loss, long epoch)
{
    if (loss < s->best - s->min_delta) {
        s->best = loss;
        s->best_epoch = epoch;
        s->wait = 0;
        return 0;
    }
    s->wait++;
    return s->wait >= s->patience;
}
