/* normalize.c: the model grid, the encoding of light curves and targets into standardised tensors (and
 * back), and the training-time augmentations. Pure functions: no files, no allocation.
 *
 * NaN policy: a sample with no value (v_ph after the recombination front is gone, log L outside a hydro
 * run's coverage, an observation gap) is standardised to NaN and then replaced by 0, the series' training
 * mean; with mask = 1 a mask channel per series says which samples were observed (1) or filled (0), so the
 * network can tell "missing" from "equal to the mean". */
#include <math.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "train_internal.h"

/* ---- spec ---- */

snf_data_spec snf_data_spec_default(void)
{
    snf_data_spec s = {.channels = SNF_CH_BOTH, .mask = 1, .L = 128, .t_start_d = 1.0, .t_end_d = 300.0};
    return s;
}

int snf_data_spec_series(const snf_data_spec *s, int kinds[SNF_SERIES_COUNT])
{
    int n = 0;
    if (s->channels & SNF_CH_LBOL) {
        kinds[n++] = SNF_SERIES_LBOL;
    }
    if (s->channels & SNF_CH_VPH) {
        kinds[n++] = SNF_SERIES_VPH;
    }
    return n;
}

int snf_data_spec_cin(const snf_data_spec *s)
{
    int kinds[SNF_SERIES_COUNT];
    int n = snf_data_spec_series(s, kinds);
    return s->mask ? 2 * n : n;
}

const char *snf_data_channels_name(int channels)
{
    switch (channels) {
    case SNF_CH_LBOL: return "luminosity";
    case SNF_CH_VPH: return "velocity";
    case SNF_CH_BOTH: return "both";
    default: return "none";
    }
}

double snf_data_spec_time(const snf_data_spec *s, int j)
{
    if (s->L <= 1) {
        return s->t_start_d;
    }
    return s->t_start_d + (s->t_end_d - s->t_start_d) * (double)j / (double)(s->L - 1);
}

/* ---- encoding ---- */

void snf_data_encode(float *out, const float *lbol, const float *vph, const snf_data_spec *s,
                     const snf_norm *norm)
{
    int kinds[SNF_SERIES_COUNT];
    int ns = snf_data_spec_series(s, kinds);
    const int L = s->L;
    for (int k = 0; k < ns; k++) {
        const float *src = kinds[k] == SNF_SERIES_LBOL ? lbol : vph;
        const double mu = norm->x_mean[kinds[k]], is = 1.0 / norm->x_std[kinds[k]];
        float *val = out + (size_t)k * L;
        float *msk = s->mask ? out + (size_t)(ns + k) * L : NULL;
        for (int j = 0; j < L; j++) {
            float v = src ? src[j] : NAN;
            int ok = isfinite(v);
            val[j] = ok ? (float)(((double)v - mu) * is) : 0.0f;
            if (msk) {
                msk[j] = ok ? 1.0f : 0.0f;
            }
        }
    }
}

int snf_data_encode_targets(float *y, const double *p, const snf_norm *norm)
{
    for (int k = 0; k < SNF_DATA_NP; k++) {
        if (!(isfinite(p[k]) && p[k] > 0)) {
            SNF_ERROR(SNF_EINVAL, "parameter %d is %g (targets must be finite and > 0)", k, p[k]);
        }
        y[k] = (float)((log10(p[k]) - norm->y_mean[k]) / norm->y_std[k]);
    }
    return SNF_OK;
}

void snf_data_decode_targets(double *p, const float *y, const snf_norm *norm)
{
    for (int k = 0; k < SNF_DATA_NP; k++) {
        p[k] = pow(10.0, (double)y[k] * norm->y_std[k] + norm->y_mean[k]);
    }
}

/* ---- augmentation ---- */

/* Standard normal deviate (Box-Muller on two 24-bit uniforms; u1 kept away from 0); train_internal.h. */
double snf_train_gauss(snf_rng *r)
{
    double u1 = ((double)snf_rng_uniform(r) + 0x1p-25);
    double u2 = (double)snf_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void snf_data_augment(float *x, int nb, const snf_data_spec *s, const snf_augment *a, snf_rng *r)
{
    if (a->noise <= 0 && a->shift <= 0 && a->drop <= 0) {
        return;
    }
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(s, kinds), L = s->L, C = snf_data_spec_cin(s);
    for (int b = 0; b < nb; b++) {
        float *row = x + (size_t)b * C * L;
        if (a->shift > 0) { /* one shift per light curve: all channels move together */
            int sh = (int)(snf_rng_u64(r) % (uint64_t)(2 * a->shift + 1)) - a->shift;
            for (int c = 0; c < C && sh != 0; c++) {
                float *ch = row + (size_t)c * L;
                if (sh > 0) {
                    memmove(ch + sh, ch, (size_t)(L - sh) * sizeof *ch);
                    memset(ch, 0, (size_t)sh * sizeof *ch);
                } else {
                    memmove(ch, ch - sh, (size_t)(L + sh) * sizeof *ch);
                    memset(ch + L + sh, 0, (size_t)(-sh) * sizeof *ch);
                }
            }
        }
        for (int k = 0; k < ns; k++) {
            float *val = row + (size_t)k * L;
            float *msk = s->mask ? row + (size_t)(ns + k) * L : NULL;
            for (int j = 0; j < L; j++) {
                int observed = msk ? msk[j] > 0.5f : val[j] != 0.0f;
                if (!observed) {
                    continue;
                }
                if (a->drop > 0 && snf_rng_uniform(r) < a->drop) {
                    val[j] = 0.0f;
                    if (msk) {
                        msk[j] = 0.0f;
                    }
                } else if (a->noise > 0) {
                    val[j] += a->noise * (float)snf_train_gauss(r);
                }
            }
        }
    }
}
