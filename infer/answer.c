/* answer.c: the one inference path (infer.h): an observation file read, checked against the model's
 * series, resampled onto its grid, encoded, and answered with intervals, OOD and range flags. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/data.h"
#include "snforge/infer.h"
#include "snforge/status.h"

/* ---- static helpers ---- */

static int snf_infer_count_finite(const float *v, int L)
{
    int n = 0;
    for (int j = 0; j < L; j++) {
        n += isfinite(v[j]) ? 1 : 0;
    }
    return n;
}

static const char *const snf_infer_pnames[SNF_DATA_NP] = {"energy", "mass", "radius", "nickel"};

/* ---- public API ---- */

int snf_infer_encode_file(const snf_uq_model *m, const char *obs_path, float *x, snf_infer_obs *info)
{
    const snf_data_spec *s = &m->ck.spec;
    const char *mpath = m->path[0] ? m->path : "the model";
    snf_obs obs;
    memset(&obs, 0, sizeof obs);
    float *lg = NULL, *vg = NULL;
    int rc = snf_obs_read(&obs, obs_path);
    if (rc < 0) {
        return rc;
    }
    if ((s->channels & SNF_CH_VPH) && obs.n_v == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s has no vph_km_s values, but %s was trained on %s (luminosity and velocity): give "
                              "velocities, or use a model trained with channels = luminosity",
                              obs_path, mpath, s->channels == SNF_CH_BOTH ? "both series" : "velocity");
        goto cleanup;
    }
    if ((s->channels & SNF_CH_LBOL) && obs.n_L == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s has no L_erg_s values, but %s was trained on the luminosity: give luminosities, "
                              "or use a model trained with channels = velocity", obs_path, mpath);
        goto cleanup;
    }
    const int L = s->L;
    lg = malloc((size_t)L * sizeof *lg);
    vg = malloc((size_t)L * sizeof *vg);
    if (!lg || !vg) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    snf_obs_resample(&obs, s, lg, vg);
    const int cl = snf_infer_count_finite(lg, L), cv = snf_infer_count_finite(vg, L);
    if (((s->channels & SNF_CH_LBOL) && cl == 0) || ((s->channels & SNF_CH_VPH) && cv == 0)) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s does not overlap the model's grid (days %g-%g) in %s", obs_path, s->t_start_d,
                              s->t_end_d, ((s->channels & SNF_CH_LBOL) && cl == 0) ? "L_erg_s" : "vph_km_s");
        goto cleanup;
    }
    snf_data_encode(x, (s->channels & SNF_CH_LBOL) ? lg : NULL, (s->channels & SNF_CH_VPH) ? vg : NULL, s,
                    &m->ck.norm);
    if (info) {
        info->rows = obs.n;
        info->n_L = obs.n_L;
        info->n_v = obs.n_v;
        info->uses_L = (s->channels & SNF_CH_LBOL) != 0;
        info->uses_v = (s->channels & SNF_CH_VPH) != 0;
        info->covered_L = info->uses_L ? cl : 0;
        info->covered_v = info->uses_v ? cv : 0;
    }
    rc = SNF_OK;
cleanup:
    free(lg);
    free(vg);
    snf_obs_free(&obs);
    return rc;
}

int snf_infer_answer(snf_uq_model *m, const float *x, const char *name, snf_uq_pred *pred)
{
    int rc = snf_uq_model_predict(m, x, 1, pred);
    if (rc < 0) {
        return rc;
    }
    for (int k = 0; k < SNF_DATA_NP; k++) {
        const snf_uq_param *q = &pred->p[k];
        if (!isfinite(q->mean) || !(q->mean > 0) || !isfinite(q->std) || !isfinite(q->lo95) || !isfinite(q->hi95)) {
            return snf_error_report(SNF_ENONFINITE, __FILE__, __LINE__, __func__,
                                    "the model gives %s = %g +- %g for %s: not a usable value (the model file %s may "
                                    "be damaged, or the observations far outside its training range)",
                                    snf_infer_pnames[k], q->mean, q->std, name, m->path);
        }
    }
    return SNF_OK;
}

int snf_infer_answer_file(snf_uq_model *m, const char *obs_path, snf_uq_pred *pred, snf_infer_obs *info)
{
    const snf_data_spec *s = &m->ck.spec;
    float *x = malloc((size_t)snf_data_spec_cin(s) * (size_t)s->L * sizeof *x);
    if (!x) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    int rc = snf_infer_encode_file(m, obs_path, x, info);
    if (rc >= 0) {
        rc = snf_infer_answer(m, x, obs_path, pred);
    }
    free(x);
    return rc;
}
