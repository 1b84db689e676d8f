/* answer.c: the one inference path (infer.h): an observation file read, checked against the model's
 * series, resampled onto its grid, encoded, and answered with intervals, OOD and range flags,
 * marginalised over the explosion epoch's uncertainty when one is stated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/models.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

static int snf_infer_count_finite(const float *v, int L)
{
    int n = 0;
    for (int j = 0; j < L; j++) {
        n += isfinite(v[j]) ? 1 : 0;
    }
    return n;
}


/* SNF_EINVAL naming the file when a series the model reads has no values. */
static int snf_infer_check_series(const snf_uq_model *m, const snf_obs *obs, const char *obs_path)
{
    const snf_data_spec *s = &m->ck.spec;
    if ((s->channels & SNF_CH_VPH) && obs->n_v == 0) {
        return snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                "%s has no vph_km_s values, but %s was trained on %s (luminosity and velocity): "
                                "give velocities, or use a model trained with channels = luminosity", obs_path,
                                m->path, s->channels == SNF_CH_BOTH ? "both series" : "velocity");
    }
    if ((s->channels & SNF_CH_LBOL) && obs->n_L == 0) {
        return snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                "%s has no L_erg_s values, but %s was trained on the luminosity: give luminosities, "
                                "or use a model trained with channels = velocity", obs_path, m->path);
    }
    return SNF_OK;
}

/* Encodes obs with every time shifted by shift days (rows at or before the explosion dropped) into x, by the
 * one encoding of an observation (snf_obs_encode); coverage of the model's grid into *cl, *cv. lg, vg: L
 * floats of scratch. */
static int snf_infer_encode_obs(const snf_uq_model *m, const snf_obs *obs, double shift, float *x, float *lg,
                                float *vg, int *cl, int *cv)
{
    const snf_data_spec *s = &m->ck.spec;
    snf_obs_encode(x, obs, shift, s, &m->ck.norm, lg, vg);
    *cl = snf_infer_count_finite(lg, s->L);
    *cv = snf_infer_count_finite(vg, s->L);
    return SNF_OK;
}

static void snf_infer_fill_info(snf_infer_obs *info, const snf_uq_model *m, const snf_obs *obs, int cl, int cv)
{
    const snf_data_spec *s = &m->ck.spec;
    memset(info, 0, sizeof *info);
    info->rows = obs->n;
    info->n_L = obs->n_L;
    info->n_v = obs->n_v;
    info->n_combined = obs->n_combined;
    info->uses_L = (s->channels & SNF_CH_LBOL) != 0;
    info->uses_v = (s->channels & SNF_CH_VPH) != 0;
    info->covered_L = info->uses_L ? cl : 0;
    info->covered_v = info->uses_v ? cv : 0;
    info->t0_nodes = 1;
}

/* SNF_EINVAL when a series the model reads does not overlap its grid: too few points to interpolate (fewer than
 * 2: said so, with how many are needed), or points all outside the grid's days. */
static int snf_infer_check_cover(const snf_uq_model *m, const snf_obs *obs, const char *obs_path, int cl, int cv)
{
    const snf_data_spec *s = &m->ck.spec;
    const int missL = (s->channels & SNF_CH_LBOL) && cl == 0, missv = (s->channels & SNF_CH_VPH) && cv == 0;
    const long have = missL ? obs->n_L : obs->n_v;
    if ((missL || missv) && have < 2) {
        return snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                "%s has %ld %s point%s: too few, at least 2 are needed to place the curve on the "
                                "model's grid (days %g-%g)", obs_path, have, missL ? "L_erg_s" : "vph_km_s",
                                have == 1 ? "" : "s", s->t_start_d, s->t_end_d);
    }
    if (missL || missv) {
        return snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                "%s does not overlap the model's grid (days %g-%g) in %s", obs_path, s->t_start_d,
                                s->t_end_d, ((s->channels & SNF_CH_LBOL) && cl == 0) ? "L_erg_s" : "vph_km_s");
    }
    return SNF_OK;
}

/* SNF_ENONFINITE when an answer is not finite and positive. */
static int snf_infer_check_answer(const snf_uq_model *m, const snf_uq_pred *pred, const char *name)
{
    for (int k = 0; k < SNF_DATA_NP; k++) {
        const snf_uq_param *q = &pred->p[k];
        if (!isfinite(q->mean) || !(q->mean > 0) || !isfinite(q->std) || !isfinite(q->lo95) || !isfinite(q->hi95)) {
            return snf_error_report(SNF_ENONFINITE, __FILE__, __LINE__, __func__,
                                    "the model gives %s = %g +- %g for %s: not a usable value (the model file %s may "
                                    "be damaged, or the observations far outside its training range)",
                                    snf_param_name(k), q->mean, q->std, name, m->path);
        }
    }
    return SNF_OK;
}

/* ---- internal API (catalogue.c) ---- */

int snf_infer_components(snf_uq_model *m, const float *x, long n, double *mu, double *var, float *feat);
int snf_infer_prepare(const snf_uq_model *m, const char *obs_path, double t0_err_d, float *x, int *nrows,
                      snf_infer_obs *info);
int snf_infer_finish(const snf_uq_model *m, const double *mu, const double *var, int S, const float *feat,
                     const float *x_mid, const char *name, snf_uq_pred *pred);

/* The components of n encoded rows, in passes of at most max_B rows; one row a pass when the model draws Monte
 * Carlo dropout masks, whose pattern depends on a row's place in the batch: a row's answer never depends on
 * the rows beside it (a catalogue gives each object what `predict` gives it alone). */
int snf_infer_components(snf_uq_model *m, const float *x, long n, double *mu, double *var, float *feat)
{
    const size_t CL = (size_t)snf_data_spec_cin(&m->ck.spec) * (size_t)m->ck.spec.L;
    const int K = snf_uq_model_ncomp(m), D = snf_uq_model_nfeat(m), NP = SNF_DATA_NP;
    const long pass = m->mc_samples > 1 ? 1 : m->max_B;
    for (long i = 0; i < n; i += pass) {
        const long nb = n - i < pass ? n - i : pass;
        SNF_CHECK(snf_uq_model_components(m, x + (size_t)i * CL, nb, 1, mu + (size_t)i * NP * K,
                                          var + (size_t)i * NP * K, feat + (size_t)i * D));
    }
    return SNF_OK;
}

/* Reads obs_path and encodes its rows for the answer into x (room for SNF_INFER_T0_NODES rows): one row at
 * the stated epoch, or SNF_INFER_T0_NODES shifted ones; *nrows of them. */
int snf_infer_prepare(const snf_uq_model *m, const char *obs_path, double t0_err_d, float *x, int *nrows,
                      snf_infer_obs *info)
{
    const snf_data_spec *s = &m->ck.spec;
    const size_t CL = (size_t)snf_data_spec_cin(s) * (size_t)s->L;
    snf_obs obs;
    memset(&obs, 0, sizeof obs);
    float *lg = malloc((size_t)s->L * 2 * sizeof *lg);
    if (!lg) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    float *vg = lg + s->L;
    int cl = 0, cv = 0;
    int rc = SNF_OK;
    if (obs_path == NULL) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "no observation file given (obs_path NULL)");
    } else if (t0_err_d > SNF_OBS_T0_ERR_MAX_D) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "t0_err_d %g days for %s: expected 0 to %g (or "
                              "< 0: the file's own '# t0_err_d' line)", t0_err_d, obs_path, SNF_OBS_T0_ERR_MAX_D);
    } else {
        rc = snf_obs_read(&obs, obs_path);
    }
    if (rc >= 0) {
        rc = snf_infer_check_series(m, &obs, obs_path);
    }
    const double sigma = t0_err_d >= 0 ? t0_err_d : isfinite(obs.t0_err_d) ? obs.t0_err_d : 0.0;
    const int S = sigma > 0 ? SNF_INFER_T0_NODES : 1;
    for (int i = 0; rc >= 0 && i < S; i++) {
        /* the middle node is the stated epoch, encoded unshifted (its coverage is the one reported) */
        const double d = 2 * i + 1 == S ? 0.0 : sigma * gsl_cdf_ugaussian_Pinv((i + 0.5) / S);
        int a, b;
        rc = snf_infer_encode_obs(m, &obs, d, x + (size_t)i * CL, lg, vg, &a, &b);
        if (2 * i + 1 == S) {
            cl = a;
            cv = b;
        }
    }
    if (rc >= 0) {
        rc = snf_infer_check_cover(m, &obs, obs_path, cl, cv);
    }
    if (rc >= 0) {
        snf_infer_fill_info(info, m, &obs, cl, cv);
        info->t0_err_d = S > 1 ? sigma : 0.0;
        info->t0_nodes = S;
        *nrows = S;
    }
    free(lg);
    snf_obs_free(&obs);
    return rc;
}

/* The answer from the components of an object's S rows (the middle one's features and encoded row x_mid for
 * the OOD test). */
int snf_infer_finish(const snf_uq_model *m, const double *mu, const double *var, int S, const float *feat,
                     const float *x_mid, const char *name, snf_uq_pred *pred)
{
    snf_uq_model_summarise(m, mu, var, S, feat, pred);
    if (m->has_ood) {
        snf_uq_pred_nearest(m, x_mid, pred);
    }
    return snf_infer_check_answer(m, pred, name);
}

/* ---- public API ---- */

int snf_infer_encode_file(const snf_uq_model *m, const char *obs_path, float *x, snf_infer_obs *info)
{
    const snf_data_spec *s = &m->ck.spec;
    snf_obs obs;
    memset(&obs, 0, sizeof obs);
    float *lg = malloc((size_t)s->L * 2 * sizeof *lg);
    if (!lg) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    int cl = 0, cv = 0;
    int rc = snf_obs_read(&obs, obs_path);
    if (rc >= 0) {
        rc = snf_infer_check_series(m, &obs, obs_path);
    }
    if (rc >= 0) {
        rc = snf_infer_encode_obs(m, &obs, 0.0, x, lg, lg + s->L, &cl, &cv);
    }
    if (rc >= 0) {
        rc = snf_infer_check_cover(m, &obs, obs_path, cl, cv);
    }
    if (rc >= 0 && info) {
        snf_infer_fill_info(info, m, &obs, cl, cv);
    }
    free(lg);
    snf_obs_free(&obs);
    return rc;
}

int snf_infer_answer(snf_uq_model *m, const float *x, const char *name, snf_uq_pred *pred)
{
    int rc = snf_uq_model_predict(m, x, 1, pred);
    return rc < 0 ? rc : snf_infer_check_answer(m, pred, name);
}

int snf_infer_answer_file(snf_uq_model *m, const char *obs_path, double t0_err_d, snf_uq_pred *pred,
                          snf_infer_obs *info)
{
    const snf_data_spec *s = &m->ck.spec;
    const size_t CL = (size_t)snf_data_spec_cin(s) * (size_t)s->L;
    const int K = snf_uq_model_ncomp(m), D = snf_uq_model_nfeat(m), NP = SNF_DATA_NP, N = SNF_INFER_T0_NODES;
    snf_infer_obs own;
    if (!info) {
        info = &own;
    }
    float *x = malloc(N * CL * sizeof *x), *feat = malloc((size_t)N * (D > 0 ? D : 1) * sizeof *feat);
    double *mu = malloc((size_t)N * NP * K * sizeof *mu), *var = malloc((size_t)N * NP * K * sizeof *var);
    int rc = SNF_OK, S = 1;
    if (!x || !feat || !mu || !var) {
        SNF_FAIL(SNF_ENOMEM, "out of memory answering %s", obs_path);
    }
    rc = snf_infer_prepare(m, obs_path, t0_err_d, x, &S, info);
    if (rc >= 0) {
        rc = snf_infer_components(m, x, S, mu, var, feat);
    }
    if (rc >= 0) {
        rc = snf_infer_finish(m, mu, var, S, feat + (size_t)(S / 2) * D, x + (size_t)(S / 2) * CL, obs_path, pred);
    }
cleanup:
    free(x);
    free(feat);
    free(mu);
    free(var);
    return rc;
}
