/* observe_draw.c: training rows drawn as real observation files give them ([observe] of the training config,
 * data.h's snf_obs_aug). A row's curve on the model grid is observed per series at a random cadence: a count
 * of epochs, the first on a day some days after the explosion, the last before or in the tail, the rest
 * uniform in between outside a number of gaps; each value gets log-normal noise at the row's error level, all
 * times move by one explosion-epoch offset, and a share of rows loses its velocities. The observation is then
 * resampled and encoded by snf_obs_encode (observe_grid.c), the path inference takes for a file: the network
 * learns on what it will be given. Every draw of a row comes from a stream keyed by (seed, epoch, file row),
 * so batches, their order, threads and MPI ranks never change it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "train_internal.h"

#define SNF_OBS_MAX_GAPS 16

/* ---- static helpers ---- */

static int snf_draw_int(const int *rg, snf_rng *r)
{
    return rg[0] + (int)(snf_rng_u64(r) % (uint64_t)(rg[1] - rg[0] + 1));
}

static double snf_draw_real(const double *rg, snf_rng *r)
{
    return rg[0] + (rg[1] - rg[0]) * (double)snf_rng_uniform(r);
}

/* The grid curve g[L] at day t, linear between samples; NaN outside the grid or next to a missing sample. */
static double snf_grid_at(const float *g, const snf_data_spec *s, double t)
{
    double p = (t - s->t_start_d) / (s->t_end_d - s->t_start_d) * (double)(s->L - 1);
    const double eps = 1e-9 * (double)s->L; /* the grid's own ends, whatever the rounding */
    if (p < 0.0 && p > -eps) {
        p = 0.0;
    } else if (p > (double)(s->L - 1) && p < (double)(s->L - 1) + eps) {
        p = (double)(s->L - 1);
    }
    if (!(p >= 0.0) || p > (double)(s->L - 1)) {
        return NAN;
    }
    int j = (int)floor(p);
    if (j >= s->L - 1) {
        return g[s->L - 1];
    }
    double w = p - (double)j, a = g[j], b = g[j + 1];
    if (w == 0.0) {
        return a;
    }
    return isfinite(a) && isfinite(b) ? a + w * (b - a) : NAN;
}

static int snf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The true days of one series' epochs into t (room for max(L, cnt[1]) values); returns their number. cnt[1]
 * = 0: every grid sample (the series complete). Else the window [first, last] drawn from the ranges (the
 * grid's ends when unset), its first and last days observed and the others uniform over the window less its
 * gaps (each gap uniform inside the window). */
static long snf_draw_times(double *t, const int *cnt, const snf_obs_aug *a, const snf_data_spec *s, snf_rng *r)
{
    if (cnt[1] == 0) {
        for (int j = 0; j < s->L; j++) {
            t[j] = snf_data_spec_time(s, j);
        }
        return s->L;
    }
    const int n = snf_draw_int(cnt, r);
    const double first = isnan(a->first_d[0]) ? s->t_start_d : snf_draw_real(a->first_d, r);
    const double last = isnan(a->last_d[0]) ? s->t_end_d : snf_draw_real(a->last_d, r);
    double gap[SNF_OBS_MAX_GAPS][2];
    int ng = a->gaps[1] > 0 ? snf_draw_int(a->gaps, r) : 0, m = 0;
    for (int g = 0; g < ng; g++) {
        double len = snf_draw_real(a->gap_d, r), room = last - first - len;
        double u = (double)snf_rng_uniform(r);
        if (room > 0 && len > 0) {
            gap[m][0] = first + u * room;
            gap[m][1] = gap[m][0] + len;
            m++;
        }
    }
    qsort(gap, (size_t)m, sizeof gap[0], snf_cmp_double); /* by start (the first double of each pair) */
    double seg[SNF_OBS_MAX_GAPS + 1][2], total = 0; /* the window less the gaps' union */
    int ns = 0;
    double at = first;
    for (int g = 0; g < m; g++) {
        if (gap[g][0] > at) {
            seg[ns][0] = at;
            seg[ns][1] = gap[g][0];
            total += seg[ns][1] - seg[ns][0];
            ns++;
        }
        if (gap[g][1] > at) {
            at = gap[g][1];
        }
    }
    if (last > at) {
        seg[ns][0] = at;
        seg[ns][1] = last;
        total += last - at;
        ns++;
    }
    long k = 0;
    t[k++] = first;
    for (int i = 1; i < n - 1 && total > 0; i++) {
        double u = (double)snf_rng_uniform(r) * total;
        int q = 0;
        while (q < ns - 1 && u >= seg[q][1] - seg[q][0]) {
            u -= seg[q][1] - seg[q][0];
            q++;
        }
        double v = seg[q][0] + u;
        t[k++] = v < seg[q][1] ? v : seg[q][1];
    }
    if (n > 1) {
        t[k++] = last;
    }
    qsort(t, (size_t)k, sizeof *t, snf_cmp_double);
    return k;
}

/* One series' observed values: out_t[i] observed days, out_y[i] values (L in erg/s when logy, else km/s),
 * out_e[i] their 1-sigma errors (NaN without noise). Returns the count kept. */
static long snf_draw_series(double *out_t, double *out_y, double *out_e, const float *g, const double *t, long n,
                            int logy, double err, double dt, const snf_data_spec *s, snf_rng *r)
{
    long k = 0;
    for (long i = 0; i < n; i++) {
        double y = snf_grid_at(g, s, t[i]);
        double z = err > 0 ? snf_train_gauss(r) : 0.0; /* drawn for every epoch: the stream stays aligned */
        double to = t[i] + dt;
        if (!isfinite(y) || (dt != 0.0 && !(to > 0))) {
            continue;
        }
        double v = logy ? pow(10.0, y + err * z / 2.302585092994046) : y * exp(err * z);
        out_t[k] = to;
        out_y[k] = v;
        out_e[k] = err > 0 ? err * v : NAN;
        k++;
    }
    return k;
}

/* ---- public API ---- */

snf_obs_aug snf_obs_aug_default(void)
{
    snf_obs_aug a;
    memset(&a, 0, sizeof a);
    a.first_d[0] = a.first_d[1] = NAN;
    a.last_d[0] = a.last_d[1] = NAN;
    return a;
}

int snf_obs_aug_active(const snf_obs_aug *a)
{
    return a->epochs_L[1] > 0 || a->epochs_v[1] > 0 || a->t0_err_d > 0 || a->L_err[1] > 0 || a->vph_err[1] > 0 ||
           a->vph_missing > 0;
}

int snf_obs_draw(snf_obs *o, const float *lbol, const float *vph, const snf_data_spec *s, const snf_obs_aug *a,
                 snf_rng *r)
{
    memset(o, 0, sizeof *o);
    o->t0_err_d = NAN;
    /* the row's draws, always in this order */
    const int no_v = a->vph_missing > 0 && (double)snf_rng_uniform(r) < a->vph_missing;
    const double dt = a->t0_err_d > 0 ? a->t0_err_d * snf_train_gauss(r) : 0.0;
    const double eL = a->L_err[1] > 0 ? snf_draw_real(a->L_err, r) : 0.0;
    const double ev = a->vph_err[1] > 0 ? snf_draw_real(a->vph_err, r) : 0.0;
    const long capL = a->epochs_L[1] > s->L ? a->epochs_L[1] : s->L;
    const long capv = a->epochs_v[1] > s->L ? a->epochs_v[1] : s->L;
    const long cap = capL + capv;
    double *buf = malloc((size_t)cap * 7 * sizeof *buf);
    o->t_d = malloc((size_t)cap * sizeof *o->t_d);
    o->L_erg_s = malloc((size_t)cap * sizeof *o->L_erg_s);
    o->vph_km_s = malloc((size_t)cap * sizeof *o->vph_km_s);
    o->L_err = malloc((size_t)cap * sizeof *o->L_err);
    o->vph_err = malloc((size_t)cap * sizeof *o->vph_err);
    if (!buf || !o->t_d || !o->L_erg_s || !o->vph_km_s || !o->L_err || !o->vph_err) {
        free(buf);
        snf_obs_free(o);
        SNF_ERROR(SNF_ENOMEM, "out of memory drawing an observation of %ld epochs", cap);
    }
    double *tt = buf, *Lt = buf + cap, *Ly = Lt + capL, *Le = Ly + capL, *vt = Le + capL, *vy = vt + capv,
           *ve = vy + capv;
    long nL = 0, nv = 0;
    if (lbol) {
        long n = snf_draw_times(tt, a->epochs_L, a, s, r);
        nL = snf_draw_series(Lt, Ly, Le, lbol, tt, n, 1, eL, dt, s, r);
    }
    if (vph) {
        long n = snf_draw_times(tt, a->epochs_v, a, s, r);
        nv = snf_draw_series(vt, vy, ve, vph, tt, n, 0, ev, dt, s, r);
        if (no_v) {
            nv = 0;
        }
    }
    long i = 0, j = 0; /* the two series merged by time (L first on a tie), as a file's rows */
    while (i < nL || j < nv) {
        const long k = o->n++;
        if (j >= nv || (i < nL && Lt[i] <= vt[j])) {
            o->t_d[k] = Lt[i];
            o->L_erg_s[k] = Ly[i];
            o->L_err[k] = Le[i];
            o->vph_km_s[k] = o->vph_err[k] = NAN;
            i++;
        } else {
            o->t_d[k] = vt[j];
            o->vph_km_s[k] = vy[j];
            o->vph_err[k] = ve[j];
            o->L_erg_s[k] = o->L_err[k] = NAN;
            j++;
        }
    }
    o->n_L = nL;
    o->n_v = nv;
    free(buf);
    return SNF_OK;
}

int snf_data_observe(float *x, int nb, const long *rows, const snf_data_spec *s, const snf_norm *norm,
                     const snf_obs_aug *a, uint64_t seed, long epoch)
{
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(s, kinds), L = s->L;
    const size_t CL = (size_t)snf_data_spec_cin(s) * (size_t)L;
    float *g = malloc((size_t)L * 2 * sizeof *g);
    if (!g) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    float *grid[SNF_SERIES_COUNT] = {g, g + L};
    int rc = SNF_OK;
    for (int b = 0; b < nb && rc >= 0; b++) {
        float *row = x + (size_t)b * CL;
        const float *use[SNF_SERIES_COUNT] = {NULL, NULL};
        for (int k = 0; k < ns; k++) { /* back to log10 L and km/s; NaN where the row has no value */
            const int q = kinds[k];
            const float *val = row + (size_t)k * L, *msk = s->mask ? row + (size_t)(ns + k) * L : NULL;
            for (int j = 0; j < L; j++) {
                int have = msk ? msk[j] > 0.5f : val[j] != 0.0f;
                grid[q][j] = have ? (float)((double)val[j] * norm->x_std[q] + norm->x_mean[q]) : NAN;
            }
            use[q] = grid[q];
        }
        snf_rng key = snf_rng_seed(seed ^ 0x6C8E9CF570932BD5ULL);
        snf_rng k2 = snf_rng_seed(snf_rng_u64(&key) ^ (uint64_t)(epoch + 1));
        snf_rng r = snf_rng_seed(snf_rng_u64(&k2) ^ (uint64_t)(rows[b] + 1));
        snf_obs o;
        rc = snf_obs_draw(&o, use[SNF_SERIES_LBOL], use[SNF_SERIES_VPH], s, a, &r);
        if (rc >= 0) {
            snf_obs_encode(row, &o, 0.0, s, norm, grid[0], grid[1]);
            snf_obs_free(&o);
        }
    }
    free(g);
    return rc;
}
