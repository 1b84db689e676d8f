/* dropout.c: inverted dropout with a mask that is a pure function of (seed, step, index), so a run
 * replays exactly and the mask does not depend on the thread count. The mask is kept for backward. */
#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

void snf_dropout_forward(float *out, float *mask, const float *inp, float p, uint64_t seed,
                         uint64_t step, size_t N)
{
    float keep = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        float m = (p > 0.0f && snf_rng_hash_uniform(seed, step, i) < p) ? 0.0f : keep;
        mask[i] = m;
        out[i] = inp[i] * m;
    }
}

void snf_dropout_backward(float *dinp, const float *dout, const float *mask, size_t N)
{
SNF_OMP(parallel for schedule(static))
    for (size_t i = 0; i < N; i++) {
        dinp[i] += dout[i] * mask[i];
    }
}
