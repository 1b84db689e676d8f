/* sampler.c: campaign points in the unit cube. Every sampler but Sobol is stateless: point i is a pure
 * function of (seed, i, d); Sobol keeps GSL's generator and a cursor so sequential blocks cost O(n). */
#include "snforge/grids.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_qrng.h>

#include "snforge/core.h"

/* ---- types ---- */

struct snf_sampler {
    snf_sampler_kind kind;
    int D;
    long N;
    uint64_t seed;
    int points[SNF_SAMPLER_MAX_DIM];  /* grid sizes */
    double shift[SNF_SAMPLER_MAX_DIM]; /* Sobol: Cranley-Patterson shift from the seed */
    gsl_qrng *qrng;                    /* Sobol only */
    long cursor;                       /* Sobol: index of the next point qrng returns */
    double *scratch;                   /* Sobol: one point [D] */
};

/* ---- static helpers: counter-based hashing ---- */

/* SplitMix64's finaliser: a bijective 64-bit mix with good avalanche; the whole "generator" is
 * hash(seed, i, d), so no state is carried from one point to the next. */
static uint64_t snf_mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t snf_hash3(uint64_t seed, uint64_t a, uint64_t b)
{
    return snf_mix64(snf_mix64(snf_mix64(seed) ^ a) ^ (b * 0xd6e8feb86659fd93ULL));
}

/* A double in [0, 1) from the top 53 bits. */
static double snf_unit(uint64_t h) { return (double)(h >> 11) * (1.0 / 9007199254740992.0); }

/* A keyed bijection of [0, N): a 4-round balanced Feistel network on 2h bits (2^(2h) >= N), with
 * cycle walking to stay inside [0, N). Expected walks < 4 because 2^(2h) < 4N. */
static long snf_permute(long i, long N, uint64_t key)
{
    if (N <= 1) {
        return 0;
    }
    int bits = 0;
    while ((1L << bits) < N) {
        bits++;
    }
    int h = (bits + 1) / 2;
    uint64_t mask = (1ULL << h) - 1;
    uint64_t x = (uint64_t)i;
    do {
        uint64_t L = x >> h, R = x & mask;
        for (uint64_t r = 0; r < 4; r++) {
            uint64_t F = snf_hash3(key, r, R) & mask;
            uint64_t nL = R;
            R = L ^ F;
            L = nL;
        }
        x = (L << h) | R;
    } while (x >= (uint64_t)N);
    return (long)x;
}

/* ---- names ---- */

const char *snf_sampler_name(snf_sampler_kind kind)
{
    switch (kind) {
    case SNF_SAMPLER_GRID: return "grid";
    case SNF_SAMPLER_UNIFORM: return "uniform";
    case SNF_SAMPLER_LHS: return "lhs";
    case SNF_SAMPLER_SOBOL: return "sobol";
    }
    return "unknown";
}

int snf_sampler_parse(const char *name, snf_sampler_kind *out)
{
    static const struct { const char *name; snf_sampler_kind kind; } table[] = {
        {"grid", SNF_SAMPLER_GRID},       {"factorial", SNF_SAMPLER_GRID},
        {"uniform", SNF_SAMPLER_UNIFORM}, {"random", SNF_SAMPLER_UNIFORM},
        {"lhs", SNF_SAMPLER_LHS},         {"latin", SNF_SAMPLER_LHS},
        {"sobol", SNF_SAMPLER_SOBOL},
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        if (strcmp(name, table[k].name) == 0) {
            *out = table[k].kind;
            return SNF_OK;
        }
    }
    SNF_ERROR(SNF_EINVAL, "unknown sampler '%s' (expected grid, uniform, lhs or sobol)", name);
}

/* ---- life cycle ---- */

snf_sampler *snf_sampler_alloc(snf_sampler_kind kind, int D, long N, uint64_t seed, const int *points)
{
    if (D < 1 || D > SNF_SAMPLER_MAX_DIM || N < 0) {
        snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                         "sampler needs 1 <= D <= %d and N >= 0 (got D = %d, N = %ld)",
                         SNF_SAMPLER_MAX_DIM, D, N);
        return NULL;
    }
    if (kind == SNF_SAMPLER_GRID) {
        double prod = 1;
        for (int d = 0; d < D; d++) {
            if (points == NULL || points[d] < 1) {
                snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                 "grid sampler needs points >= 1 on every axis");
                return NULL;
            }
            prod *= points[d];
        }
        if (prod != (double)N) {
            snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                             "grid sampler: N = %ld but the axes' points multiply to %.0f", N, prod);
            return NULL;
        }
    }
    snf_sampler *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "sampler: out of memory");
        return NULL;
    }
    s->kind = kind;
    s->D = D;
    s->N = N;
    s->seed = seed;
    for (int d = 0; d < D; d++) {
        s->points[d] = points ? points[d] : 1;
        s->shift[d] = seed == 0 ? 0.0 : snf_unit(snf_hash3(seed, 0x50b01ULL, (uint64_t)d));
    }
    if (kind == SNF_SAMPLER_SOBOL) {
        s->qrng = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)D);
        s->scratch = malloc((size_t)D * sizeof *s->scratch);
        if (s->qrng == NULL || s->scratch == NULL) {
            snf_sampler_free(s);
            snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "sampler: gsl_qrng_alloc failed");
            return NULL;
        }
    }
    return s;
}

void snf_sampler_free(snf_sampler *s)
{
    if (s == NULL) {
        return;
    }
    if (s->qrng) {
        gsl_qrng_free(s->qrng);
    }
    free(s->scratch);
    free(s);
}

/* ---- run ---- */

static void snf_grid_point(const snf_sampler *s, long i, double *u)
{
    long rem = i;
    for (int d = s->D - 1; d >= 0; d--) {
        int n = s->points[d];
        long k = rem % n;
        rem /= n;
        u[d] = n > 1 ? (double)k / (double)(n - 1) : 0.5;
    }
}

int snf_sampler_points(snf_sampler *s, long i0, long n, double *u)
{
    if (i0 < 0 || n < 0 || i0 + n > s->N) {
        SNF_ERROR(SNF_EINVAL, "points %ld..%ld outside [0, %ld)", i0, i0 + n - 1, s->N);
    }
    const int D = s->D;
    switch (s->kind) {
    case SNF_SAMPLER_GRID:
        for (long r = 0; r < n; r++) {
            snf_grid_point(s, i0 + r, u + r * D);
        }
        break;
    case SNF_SAMPLER_UNIFORM:
        for (long r = 0; r < n; r++) {
            for (int d = 0; d < D; d++) {
                u[r * D + d] = snf_unit(snf_hash3(s->seed, (uint64_t)(i0 + r), (uint64_t)d));
            }
        }
        break;
    case SNF_SAMPLER_LHS:
        for (long r = 0; r < n; r++) {
            for (int d = 0; d < D; d++) {
                /* The stratum comes from a per-axis permutation, the place inside it from a draw
                 * keyed differently from the permutation's (d + D + 1). */
                long stratum = snf_permute(i0 + r, s->N, snf_hash3(s->seed, 0x1a5ULL, (uint64_t)d));
                double jitter = snf_unit(snf_hash3(s->seed, (uint64_t)(i0 + r), (uint64_t)(d + D + 1)));
                u[r * D + d] = ((double)stratum + jitter) / (double)s->N;
            }
        }
        break;
    case SNF_SAMPLER_SOBOL:
        if (i0 < s->cursor) {
            gsl_qrng_init(s->qrng);
            s->cursor = 0;
        }
        while (s->cursor < i0) {
            gsl_qrng_get(s->qrng, s->scratch);
            s->cursor++;
        }
        for (long r = 0; r < n; r++) {
            gsl_qrng_get(s->qrng, s->scratch);
            s->cursor++;
            for (int d = 0; d < D; d++) {
                double v = s->scratch[d] + s->shift[d];
                u[r * D + d] = v >= 1.0 ? v - 1.0 : v;
            }
        }
        break;
    }
    return SNF_OK;
}

double snf_sampler_l2_star_discrepancy(const double *u, long n, int D)
{
    if (n <= 0) {
        return NAN;
    }
    double s1 = 0, s2 = 0;
    for (long i = 0; i < n; i++) {
        double p = 1;
        for (int d = 0; d < D; d++) {
            p *= 1.0 - u[i * D + d] * u[i * D + d];
        }
        s1 += p;
        for (long j = 0; j < n; j++) {
            double q = 1;
            for (int d = 0; d < D; d++) {
                double a = u[i * D + d], b = u[j * D + d];
                q *= 1.0 - (a > b ? a : b);
            }
            s2 += q;
        }
    }
    double t2 = pow(3.0, -D) - pow(2.0, 1 - D) / (double)n * s1 + s2 / ((double)n * (double)n);
    return sqrt(t2 > 0 ? t2 : 0);
}
