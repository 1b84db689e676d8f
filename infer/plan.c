/* plan.c: the greedy observing plan of explain.h. A set of observations (grid days of each series) is encoded as
 * an observation file with those epochs is (snf_obs_encode: each series interpolated between its epochs), so the
 * network is asked about what `predict` would give it, the input a model trained with [observe] knows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/grids.h"
#include "snforge/core.h"

/* Rows scanned for the stand-in curve. */
#define SNF_PLAN_MAX_ROWS 20000L

/* ---- static helpers ---- */

/* The encoded stand-in row: the usable row of the dataset whose standardised targets are nearest target
 * (n NP values; NULL: the training mean, 0). */
static int snf_plan_standin(const snf_uq_model *m, const char *dpath, const double *target, float *full, long *row)
{
    const snf_data_spec *s = &m->ck.spec;
    snf_data *d = NULL;
    long *rows = NULL, n = 0, skipped = 0;
    snf_rows r;
    memset(&r, 0, sizeof r);
    int rc = snf_data_open(&d, dpath, s, 1024);
    if (rc >= 0) {
        rc = snf_data_usable_rows(d, &rows, &n, &skipped);
    }
    if (rc >= 0 && n == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s has no usable rows", dpath);
    }
    if (rc < 0 || (rc = snf_rows_read(&r, d, &m->ck.norm, rows, n < SNF_PLAN_MAX_ROWS ? n : SNF_PLAN_MAX_ROWS)) < 0) {
        goto cleanup;
    }
    long best = 0;
    double bd = INFINITY;
    for (long i = 0; i < r.n; i++) {
        double dd = 0;
        for (int k = 0; k < SNF_DATA_NP; k++) {
            double e = r.y[i * SNF_DATA_NP + k] - (target ? target[k] : 0.0);
            dd += e * e;
        }
        if (dd < bd) {
            bd = dd;
            best = i;
        }
    }
    memcpy(full, r.x + (size_t)best * r.CL, r.CL * sizeof *full);
    *row = rows[best];
cleanup:
    snf_rows_free(&r);
    free(rows);
    snf_data_close(d);
    return rc;
}

/* The day the stand-in's photosphere is gone for an observer: the end of its dome (derived/t_plateau_end_d; after
 * it the spectrum turns nebular), NaN when the file does not say (hydro files: their v_ph is already NaN after the
 * photosphere reaches the deepest cell, and the mask says so). */
static double snf_plan_photosphere_end(const char *dpath, long row)
{
    snf_dataset *d = NULL;
    snf_lc_derived der = {NAN, NAN, NAN, NAN, NAN, NAN};
    snf_dataset_rows rows = {.derived = &der};
    if (snf_dataset_open(&d, dpath, 0) < 0 || snf_dataset_read_rows(d, row, 1, &rows) < 0) {
        snf_error_clear();
    }
    snf_dataset_close(d);
    return der.t_plateau_end_d;
}


/* Mixture log10 std per parameter std[n][NP] of n encoded rows. */
static int snf_plan_std(snf_uq_model *m, const float *x, long n, double *std, double *mu, double *var)
{
    const int NP = SNF_DATA_NP, K = snf_uq_model_ncomp(m), B = m->max_B;
    const size_t CL = (size_t)m->net->cfg.C_in * m->net->cfg.T;
    for (long i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? (int)(n - i0) : B;
        int rc = snf_uq_model_components(m, x + (size_t)i0 * CL, nb, 1, mu, var, NULL);
        if (rc < 0) {
            return rc;
        }
        for (int b = 0; b < nb; b++) {
            for (int k = 0; k < NP; k++) {
                size_t at = ((size_t)b * NP + k) * K;
                std[(i0 + b) * NP + k] = snf_mix_summarise(mu + at, var + at, K).std;
            }
        }
    }
    return SNF_OK;
}

/* The observations flagged in on[ns][T] (values: the encoded samples of val) encoded into out[C_in T] as an
 * observation file with epochs on those grid days; o holds room for ns T rows, lg and vg T floats each. */
static void snf_plan_encode(const snf_uq_model *m, const unsigned char *on, const float *val, float *out, snf_obs *o,
                            float *lg, float *vg)
{
    const snf_data_spec *sp = &m->ck.spec;
    const snf_norm *nm = &m->ck.norm;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds), T = sp->L;
    o->n = 0;
    for (int t = 0; t < T; t++) {
        for (int k = 0; k < ns; k++) {
            if (!on[k * T + t]) {
                continue;
            }
            const int q = kinds[k];
            const double y = (double)val[k * T + t] * nm->x_std[q] + nm->x_mean[q];
            o->t_d[o->n] = snf_data_spec_time(sp, t);
            o->L_erg_s[o->n] = q == SNF_SERIES_LBOL ? pow(10.0, y) : NAN;
            o->vph_km_s[o->n] = q == SNF_SERIES_VPH ? y : NAN;
            o->n++;
        }
    }
    snf_obs_encode(out, o, 0.0, sp, nm, lg, vg);
}

/* ---- public API ---- */

int snf_plan_greedy(snf_uq_model *m, const float *x0, const float *full, int K, int *sample, int *series,
                    double *std_k, double *std0, double *std_full)
{
    const snf_data_spec *sp = &m->ck.spec;
    const int NP = SNF_DATA_NP, T = sp->L, C = m->net->cfg.C_in, CT = C * T, KC = snf_uq_model_ncomp(m);
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds);
    if (!sp->mask) {
        SNF_ERROR(SNF_EINVAL, "an observing plan needs a model trained with mask channels ([data] mask = yes)");
    }
    if (m->net->cfg.head != SNF_HEAD_GAUSSIAN && m->members <= 1 && (m->mc_samples <= 1 || !(m->net->cfg.dropout > 0))) {
        SNF_ERROR(SNF_EINVAL, "an observing plan needs a model with an uncertainty (a Gaussian head, an ensemble of "
                  "members or Monte Carlo dropout); this one is a point-estimate (MSE head, one member, no dropout): "
                  "every standard deviation would be 0");
    }
    float *cur = malloc((size_t)CT * sizeof *cur), *xb = malloc((size_t)ns * T * CT * sizeof *xb);
    float *val = malloc((size_t)CT * sizeof *val), *lg = malloc((size_t)2 * T * sizeof *lg);
    unsigned char *on = calloc((size_t)ns * T, 1);
    int *cand = malloc((size_t)ns * T * sizeof *cand);
    double *std = malloc((size_t)ns * T * NP * sizeof *std);
    double *mu = malloc((size_t)m->max_B * NP * KC * sizeof *mu), *var = malloc((size_t)m->max_B * NP * KC * sizeof *var);
    snf_obs o;
    memset(&o, 0, sizeof o);
    o.t_d = malloc((size_t)ns * T * 3 * sizeof *o.t_d);
    int rc = SNF_OK;
    if (!cur || !xb || !val || !lg || !on || !cand || !std || !mu || !var || !o.t_d) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for the observing plan");
    }
    o.L_erg_s = o.t_d + ns * T;
    o.vph_km_s = o.t_d + 2 * ns * T;
    memcpy(cur, x0, (size_t)CT * sizeof *cur);
    memcpy(val, x0, (size_t)CT * sizeof *val); /* x0's observed samples stay epochs of every candidate */
    for (int i = 0; i < ns * T; i++) {
        on[i] = x0[ns * T + i] > 0.5f;
    }
    rc = snf_plan_std(m, cur, 1, std0, mu, var);
    if (rc >= 0) {
        rc = snf_plan_std(m, full, 1, std_full, mu, var);
    }
    if (rc < 0) {
        goto cleanup;
    }
    for (int step = 0; step < K; step++) {
        int nc = 0;
        for (int s = 0; s < ns; s++) {
            for (int t = 0; t < T; t++) {
                const int i = s * T + t;
                if (full[(ns + s) * T + t] > 0.5f && !on[i]) {
                    const float keep = val[i];
                    on[i] = 1;
                    val[i] = full[i];
                    snf_plan_encode(m, on, val, xb + (size_t)nc * CT, &o, lg, lg + T);
                    on[i] = 0;
                    val[i] = keep;
                    cand[nc++] = i;
                }
            }
        }
        if (nc == 0) {
            SNF_FAIL(SNF_EINVAL, "only %d observations are possible, %d asked for", step, K);
        }
        rc = snf_plan_std(m, xb, nc, std, mu, var);
        if (rc < 0) {
            goto cleanup;
        }
        int best = 0;
        double bs = INFINITY;
        for (int c = 0; c < nc; c++) {
            double sc = 0;
            for (int k = 0; k < NP; k++) {
                sc += std[c * NP + k] / NP;
            }
            if (sc < bs) { /* ties: the earliest candidate */
                bs = sc;
                best = c;
            }
        }
        int s = cand[best] / T, t = cand[best] % T;
        on[cand[best]] = 1;
        val[cand[best]] = full[cand[best]];
        memcpy(cur, xb + (size_t)best * CT, (size_t)CT * sizeof *cur);
        sample[step] = t;
        series[step] = s;
        memcpy(std_k + (size_t)step * NP, std + (size_t)best * NP, NP * sizeof *std_k);
    }
cleanup:
    free(cur);
    free(xb);
    free(val);
    free(lg);
    free(on);
    free(o.t_d);
    free(cand);
    free(std);
    free(mu);
    free(var);
    return rc;
}

int snf_plan_vph_until(const snf_uq_model *m, float *full, double t_last_d)
{
    const snf_data_spec *sp = &m->ck.spec;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds), T = sp->L;
    int cleared = 0;
    for (int s = 0; s < ns && sp->mask && isfinite(t_last_d); s++) {
        if (kinds[s] != SNF_SERIES_VPH) {
            continue;
        }
        for (int t = 0; t < T; t++) {
            if (snf_data_spec_time(sp, t) > t_last_d && full[(ns + s) * T + t] > 0.5f) {
                full[s * T + t] = 0.0f; /* the encoded training mean, as for any missing sample */
                full[(ns + s) * T + t] = 0.0f;
                cleared++;
            }
        }
    }
    return cleared;
}

int snf_plan_observations(snf_uq_model *m, const char *obs_path, const char *dpath, int K, snf_plan_result *r)
{
    const snf_data_spec *s = &m->ck.spec;
    const int L = s->L, NP = SNF_DATA_NP;
    const size_t CL = (size_t)snf_data_spec_cin(s) * L;
    memset(r, 0, sizeof *r);
    r->K = K;
    r->row = -1;
    r->t_vph_end = NAN;
    float *x0 = calloc(CL, sizeof *x0), *full = malloc(CL * sizeof *full);
    r->sample = malloc((size_t)K * sizeof *r->sample);
    r->series = malloc((size_t)K * sizeof *r->series);
    r->std_k = malloc((size_t)K * NP * sizeof *r->std_k);
    int rc = SNF_OK;
    if (!x0 || !full || !r->sample || !r->series || !r->std_k) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    double target[SNF_DATA_NP], *tp = NULL;
    if (obs_path) { /* the stand-in nearest the observation's answer (in standardised log10 units) */
        snf_uq_pred pr;
        rc = snf_infer_encode_file(m, obs_path, x0, NULL);
        if (rc >= 0) {
            rc = snf_infer_answer(m, x0, obs_path, &pr);
        }
        if (rc < 0) {
            goto done;
        }
        for (int k = 0; k < NP; k++) {
            target[k] = (pr.p[k].log10.mean - m->ck.norm.y_mean[k]) / m->ck.norm.y_std[k];
        }
        tp = target;
    }
    rc = snf_plan_standin(m, dpath, tp, full, &r->row);
    if (rc < 0) {
        goto done;
    }
    /* no v_ph where the stand-in has no photosphere to measure (before the observed samples are merged in: what
     * was observed stays) */
    r->t_vph_end = snf_plan_photosphere_end(dpath, r->row);
    r->n_cleared = snf_plan_vph_until(m, full, r->t_vph_end);
    /* the observed samples of the partial observation replace the stand-in's (full curve = both) */
    const int ns = (int)(CL / (size_t)L / 2);
    for (int c = 0; obs_path && c < ns; c++) {
        for (int t = 0; t < L; t++) {
            if (x0[(ns + c) * L + t] > 0.5f) {
                full[c * L + t] = x0[c * L + t];
                full[(ns + c) * L + t] = 1.0f;
            }
        }
    }
    rc = snf_plan_greedy(m, x0, full, K, r->sample, r->series, r->std_k, r->std0, r->std_full);
done:
    free(x0);
    free(full);
    return rc < 0 ? rc : SNF_OK;
}

void snf_plan_result_free(snf_plan_result *r)
{
    free(r->sample);
    free(r->series);
    free(r->std_k);
    r->sample = r->series = NULL;
    r->std_k = NULL;
}
