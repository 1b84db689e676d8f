/* uq_nearest.c: the nearest-curve part of the OOD test (uq.h). The network's features can map an input unlike
 * every training curve close to them (a red-supergiant plateau, a luminosity off by a distance error); the
 * nearest training curve says so in the data's own units: the RMS distance in log10 L_bol over the observed
 * samples of the grid to the closest of (up to SNF_UQ_NEAR_MAX_ROWS) training rows. Farther than
 * SNF_UQ_NEAR_TOL_DEX is flagged OOD. */
#include <math.h>
#include <stdlib.h>

#include "snforge/core.h"
#include "snforge/infer.h"

/* ---- static helpers ---- */

/* The luminosity series' values and mask of row x (NULL mask: every sample observed); 0 without an L series. */
static int snf_near_series(const snf_uq_model *m, const float *x, const float **val, const float **msk)
{
    const snf_data_spec *s = &m->ck.spec;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(s, kinds);
    if (ns < 1 || kinds[0] != SNF_SERIES_LBOL) {
        return 0;
    }
    *val = x;
    *msk = s->mask ? x + (size_t)ns * s->L : NULL;
    return 1;
}

/* ---- public API ---- */

int snf_uq_nearest_add(snf_uq_model *m, const float *x, long n, long first, long total)
{
    const snf_data_spec *s = &m->ck.spec;
    const int L = s->L;
    const size_t CL = (size_t)snf_data_spec_cin(s) * (size_t)L;
    const double mu = m->ck.norm.x_mean[SNF_SERIES_LBOL], sd = m->ck.norm.x_std[SNF_SERIES_LBOL];
    const long stride = (total + SNF_UQ_NEAR_MAX_ROWS - 1) / SNF_UQ_NEAR_MAX_ROWS;
    const float *val, *msk;
    if (n <= 0 || total <= 0 || !snf_near_series(m, x, &val, &msk)) {
        return SNF_OK;
    }
    if (!m->near_rows) {
        m->near_rows = malloc((size_t)SNF_UQ_NEAR_MAX_ROWS * L * sizeof *m->near_rows);
        if (!m->near_rows) {
            SNF_ERROR(SNF_ENOMEM, "out of memory for the nearest-curve rows");
        }
        m->near_n = 0;
    }
    for (long i = 0; i < n && m->near_n < SNF_UQ_NEAR_MAX_ROWS; i++) {
        if ((first + i) % stride != 0) {
            continue;
        }
        snf_near_series(m, x + (size_t)i * CL, &val, &msk);
        float *row = m->near_rows + (size_t)m->near_n++ * L;
        for (int j = 0; j < L; j++) {
            row[j] = (!msk || msk[j] > 0.5f) ? (float)((double)val[j] * sd + mu) : NAN;
        }
    }
    m->has_nearest = m->near_n > 0;
    return SNF_OK;
}

void snf_uq_pred_nearest(const snf_uq_model *m, const float *x, snf_uq_pred *p)
{
    const snf_data_spec *s = &m->ck.spec;
    const int L = s->L;
    const double mu = m->ck.norm.x_mean[SNF_SERIES_LBOL], sd = m->ck.norm.x_std[SNF_SERIES_LBOL];
    const float *val, *msk;
    p->near_dex = NAN;
    p->near_flag = 0;
    if (!m->has_nearest || !snf_near_series(m, x, &val, &msk)) {
        return;
    }
    /* The observed samples once (their log10 L in double, as each row's sum reads them), then every row's sum
     * over them in grid order. A row is left as soon as its partial sum over all the observed samples already
     * reaches the best mean: its own mean (the full sum, never smaller, over at most that many samples) could not
     * be smaller, so the minimum, and the answer, are the ones of the full scan bit for bit. */
    int *at = malloc((size_t)L * sizeof *at);
    double *obs = malloc((size_t)L * sizeof *obs);
    if (!at || !obs) {
        free(at); /* no scratch: the full scan below, on the raw series */
        free(obs);
        at = NULL;
        obs = NULL;
    }
    int n = 0;
    for (int j = 0; at && j < L; j++) {
        if (!msk || msk[j] > 0.5f) {
            at[n] = j;
            obs[n++] = (double)val[j] * sd + mu;
        }
    }
    double best = INFINITY;
    /* with scratch, every 16th row first (a near row early makes the bound tight), then the others: the minimum
     * does not depend on the order */
    const long step = at ? 16 : 1;
    for (int pass = 0; pass < (at ? 2 : 1); pass++) {
        for (long r = 0; r < m->near_n; r++) {
            if (at && (pass == 0) != (r % step == 0)) {
                continue;
            }
            const float *row = m->near_rows + (size_t)r * L;
            double ss = 0;
            int k = 0;
            if (at) {
                /* partial sum >= bound > best n (exactly: the factor covers the product's rounding): this row's
                 * mean >= best */
                const double bound = best * n * (1.0 + 1e-12);
                if (n >= 16 && isfinite(bound)) {
                    /* a quick look first: eight samples spread over the curve. Their sum (in another order than
                     * the row's sum) is at most 1e-13 relatively above its exact value, which is at most the
                     * row's exact sum, itself at most 1e-13 relatively above the sum in grid order (n <= 64 positive
                     * terms): so a quick sum above bound (1 + 1e-9) means a row sum above bound */
                    double q = 0;
                    for (int e = 0; e < 8; e++) {
                        const int i = (2 * e + 1) * n / 16, j = at[i];
                        if (isfinite(row[j])) {
                            const double d = obs[i] - row[j];
                            q += d * d;
                        }
                    }
                    if (q >= bound * (1.0 + 1e-9)) {
                        continue;
                    }
                }
                for (int i = 0; i < n; i++) {
                    const int j = at[i];
                    if (isfinite(row[j])) {
                        const double d = obs[i] - row[j];
                        ss += d * d;
                        k++;
                    }
                    if ((i & 3) == 3 && ss >= bound) {
                        break;
                    }
                }
                if (ss >= bound) {
                    continue;
                }
            } else {
                for (int j = 0; j < L; j++) {
                    if ((!msk || msk[j] > 0.5f) && isfinite(row[j])) {
                        const double d = (double)val[j] * sd + mu - row[j];
                        ss += d * d;
                        k++;
                    }
                }
            }
            if (k >= SNF_UQ_NEAR_MIN_SAMPLES) {
                best = fmin(best, ss / k);
            }
        }
    }
    free(at);
    free(obs);
    if (isfinite(best)) {
        p->near_dex = sqrt(best);
        if (p->near_dex > SNF_UQ_NEAR_TOL_DEX) {
            p->near_flag = 1;
            p->ood_flag = 1;
        }
    }
}
