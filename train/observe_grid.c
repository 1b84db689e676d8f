/* observe_grid.c: an observation (data.h's snf_obs) onto a model's grid and into the network's input: the one
 * resampling and encoding of a sparse observation, used by inference (infer/answer.c, for files) and by
 * training rows drawn as observations (observe_draw.c). Each series is interpolated linearly (log10 L and
 * v_ph) between its own first and last points; outside, the grid gets NaN (the NaN policy of normalize.c
 * then fills it and clears its mask). Pure functions except snf_obs_free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"

/* ---- static helpers ---- */

/* out[L] from the present values of one series (NaN rows skipped; with shift != 0 also the rows at or before
 * the explosion once moved), times t + shift. */
static void snf_obs_series(float *out, const double *t, const double *y, long n, int logy, double shift,
                           const snf_data_spec *s)
{
#define SNF_OBS_HAS(i) (isfinite(y[i]) && (shift == 0.0 || t[i] + shift > 0))
    long first = -1, last = -1;
    for (long i = 0; i < n; i++) {
        if (SNF_OBS_HAS(i)) {
            if (first < 0) {
                first = i;
            }
            last = i;
        }
    }
    long i = first; /* the last present point at or before the grid time */
    for (int j = 0; j < s->L; j++) {
        out[j] = NAN;
        double tj = snf_data_spec_time(s, j);
        if (first < 0 || tj < t[first] + shift || tj > t[last] + shift) {
            continue;
        }
        long nx = i; /* next present point after i */
        for (;;) {
            nx = i + 1;
            while (nx <= last && !SNF_OBS_HAS(nx)) {
                nx++;
            }
            if (nx > last || t[nx] + shift > tj) {
                break;
            }
            i = nx;
        }
        double a = logy ? log10(y[i]) : y[i];
        double ti = t[i] + shift;
        if (ti == tj || nx > last) {
            out[j] = (float)a;
            continue;
        }
        double b = logy ? log10(y[nx]) : y[nx];
        double tn = t[nx] + shift;
        out[j] = (float)(a + (b - a) * (tj - ti) / (tn - ti));
    }
#undef SNF_OBS_HAS
}

/* ---- public API ---- */

void snf_obs_resample_shifted(const snf_obs *o, double shift, const snf_data_spec *s, float *lbol, float *vph)
{
    snf_obs_series(lbol, o->t_d, o->L_erg_s, o->n, 1, shift, s);
    snf_obs_series(vph, o->t_d, o->vph_km_s, o->n, 0, shift, s);
}

void snf_obs_resample(const snf_obs *o, const snf_data_spec *s, float *lbol, float *vph)
{
    snf_obs_resample_shifted(o, 0.0, s, lbol, vph);
}

void snf_obs_encode(float *x, const snf_obs *o, double shift, const snf_data_spec *s, const snf_norm *norm,
                    float *lg, float *vg)
{
    snf_obs_resample_shifted(o, shift, s, lg, vg);
    snf_data_encode(x, (s->channels & SNF_CH_LBOL) ? lg : NULL, (s->channels & SNF_CH_VPH) ? vg : NULL, s, norm);
}

void snf_obs_free(snf_obs *o)
{
    if (!o) {
        return;
    }
    free(o->t_d);
    free(o->L_erg_s);
    free(o->vph_km_s);
    free(o->L_err);
    free(o->vph_err);
    memset(o, 0, sizeof *o);
}
