/* rng.c: a small deterministic generator (splitmix64) whose state belongs to the caller, plus the
 * Glorot-uniform initialiser and a stateless (seed, step, index) hash for dropout masks. */
#include <math.h>

#include "snforge/nn.h"

/* ---- static helpers ---- */

static uint64_t snf_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- public API ---- */

snf_rng snf_rng_seed(uint64_t seed)
{
    snf_rng r = {snf_mix64(seed + 0x9e3779b97f4a7c15ULL)};
    return r;
}

uint64_t snf_rng_u64(snf_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return snf_mix64(r->s);
}

void snf_rng_shuffle(snf_rng *r, long *v, long n)
{
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(snf_rng_u64(r) % (uint64_t)(i + 1));
        long t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

float snf_rng_uniform(snf_rng *r)
{
    return (float)(snf_rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

float snf_rng_hash_uniform(uint64_t seed, uint64_t step, uint64_t index)
{
    uint64_t h = snf_mix64(seed ^ 0x243f6a8885a308d3ULL);
    h = snf_mix64(h ^ (step + 0x9e3779b97f4a7c15ULL));
    h = snf_mix64(h ^ (index + 0x6a09e667f3bcc909ULL));
    return (float)(h >> 40) * (1.0f / 16777216.0f);
}

void snf_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, snf_rng *r)
{
    float a = sqrtf(6.0f / (float)(fan_in + fan_out));
    for (size_t i = 0; i < n; i++) {
        w[i] = a * (2.0f * snf_rng_uniform(r) - 1.0f);
    }
}
