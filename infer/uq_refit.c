/* uq_refit.c: the /uq group of a transferred model (uq.h snf_uq_refit): a fine-tuned file (finetune) or the
 * curriculum's deployable ensemble (uq_final.c), whose weights are no longer those the training's /uq group
 * was fitted on. Every member's best weights; the training ranges of the rows trained on; the OOD fit on
 * their pooled features with the held-out rows' d2 as reference; an additive log10 residual variance per
 * parameter fitted on predictions of rows the predicting networks never trained or selected on. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

#include "snforge/infer.h"

/* Every member's best weights into m (members[0] already open in m). */
static int snf_refit_members(snf_uq_model *m, const snf_uq_refit_input *in)
{
    const size_t np = m->ck.nparams, ns = m->ck.nstats;
    const int M = in->nmembers;
    free(m->member_params);
    free(m->member_stats);
    m->member_params = malloc((size_t)M * np * sizeof(float));
    m->member_stats = malloc((size_t)M * (ns ? ns : 1) * sizeof(float));
    if (!m->member_params || !m->member_stats) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for %d members", M);
    }
    m->members = M;
    m->mc_samples = 1;
    for (int k = 0; k < M; k++) {
        snf_ckpt ck;
        SNF_CHECK(snf_ckpt_read(&ck, in->members[k]));
        int ok = ck.finished && ck.nparams == np && ck.nstats == ns;
        if (ok) {
            memcpy(m->member_params + (size_t)k * np, ck.best_params, np * sizeof(float));
            memcpy(m->member_stats + (size_t)k * ns, ck.best_stats, ns * sizeof(float));
        }
        snf_ckpt_free(&ck);
        if (!ok) {
            SNF_ERROR(SNF_EINVAL, "%s: member %d is unfinished or has another network than %s", in->members[k], k,
                      in->members[0]);
        }
    }
    return SNF_OK;
}

int snf_uq_refit(const snf_uq_refit_input *in, const char *out_path)
{
    const int NP = SNF_DATA_NP;
    if (in->nmembers < 1 || in->nmembers > SNF_UQ_MAX_MEMBERS || in->n_fit < 1) {
        SNF_ERROR(SNF_EINVAL, "%s: a /uq group needs 1-%d members and rows trained on (got %d members, %ld rows)",
                  out_path, SNF_UQ_MAX_MEMBERS, in->nmembers, in->n_fit);
    }
    snf_uq_model m;
    int B = 64;
    SNF_CHECK(snf_uq_model_open(&m, in->members[0], B));
    float *feat = NULL;
    int rc = snf_refit_members(&m, in);
    if (rc < 0) {
        goto cleanup;
    }
    snf_ood_free(&m.ood);
    m.has_ood = 0;
    free(m.near_rows);
    m.near_rows = NULL;
    m.near_n = 0;
    m.has_nearest = 0;
    m.ood_alpha = in->ood_alpha;
    m.calibrated = 0;
    m.calib_source[0] = '\0';
    for (int k = 0; k < NP; k++) {
        m.var_scale[k] = 1.0;
        m.var_add[k] = 0.0;
        m.range_lo[k] = INFINITY;
        m.range_hi[k] = -INFINITY;
        if (in->keep_ranges && in->keep_ranges->has_ranges) {
            m.range_lo[k] = in->keep_ranges->range_lo[k];
            m.range_hi[k] = in->keep_ranges->range_hi[k];
        }
        for (long i = 0; i < in->n_fit; i++) {
            m.range_lo[k] = fmin(m.range_lo[k], in->fit_params[i * NP + k]);
            m.range_hi[k] = fmax(m.range_hi[k], in->fit_params[i * NP + k]);
        }
    }
    m.has_ranges = 1;
    const int D = snf_uq_model_nfeat(&m);
    long nmax = in->n_fit > in->n_ref ? in->n_fit : in->n_ref;
    feat = malloc((size_t)nmax * (size_t)D * sizeof *feat);
    if (!feat) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %ld feature rows", nmax);
    }
    /* without held-out reference rows the p-value would always be 1: no OOD test rather than a blind one */
    if (in->n_fit >= 2 && in->n_ref > 0) {
        if ((rc = snf_uq_model_features(&m, in->fit_x, in->n_fit, feat)) < 0 ||
            (rc = snf_ood_fit(&m.ood, feat, in->n_fit, D, in->ood_shrinkage)) < 0 ||
            (rc = snf_uq_model_features(&m, in->ref_x, in->n_ref, feat)) < 0 ||
            (rc = snf_ood_set_reference(&m.ood, feat, in->n_ref)) < 0 ||
            (rc = snf_uq_nearest_add(&m, in->fit_x, in->n_fit, 0, in->n_fit)) < 0) {
            goto cleanup;
        }
        m.has_ood = 1;
    }
    if (in->n_cal > 0) {
        double *t = malloc(2 * (size_t)in->n_cal * sizeof *t);
        if (!t) {
            SNF_FAIL(SNF_ENOMEM, "out of memory");
        }
        for (int k = 0; k < NP; k++) {
            for (long i = 0; i < in->n_cal; i++) {
                t[i] = in->cal_truth[i * NP + k];
                t[in->n_cal + i] = in->cal_pred[i * NP + k];
            }
            m.var_add[k] = snf_calib_fit_var_add(t, t + in->n_cal, in->n_cal);
        }
        free(t);
        m.calibrated = 1;
        snprintf(m.calib_source, sizeof m.calib_source, "%s", in->calib_source ? in->calib_source : "");
    }
    rc = snf_uq_model_write(&m, out_path);
cleanup:
    free(feat);
    snf_uq_model_free(&m);
    return rc;
}
