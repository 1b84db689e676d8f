/* adam.c: Adam over a flat parameter slab with a per-tensor learning-rate multiplier (curriculum
 * freezes are multiplier 0, not a separate code path), and Keras's ReduceLROnPlateau and early
 * stopping rules as small pure functions on caller-owned state. */
#include <math.h>

#include "snforge/it.h"
#include "internal.h"

/* ---- Adam ---- */

snf_adam_config snf_adam_config_default(void)
{
    snf_adam_config c = {1e-3f, 0.9f, 0.999f, 1e-7f};
    return c;
}

void snf_adam_update(float *params, float *m, float *v, const float *grads, const size_t *sizes,
                     const float *lr_mult, int ntensors, const snf_adam_config *cfg, long t)
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
