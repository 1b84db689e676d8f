/* uq_model.c: a model file with its /uq group (uq.h): the stored group (snf_ckpt's uq, a part of the model
 * file's field table, train/checkpoint_fields.c, which also describes its layout) taken into the working model
 * and written back, the mixture components of every member x Monte Carlo dropout pass, and the per-object
 * prediction with intervals, OOD score and training-range flags. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"
#include "snforge/infer.h"

/* ---- the stored group <-> the working model ---- */

/* Takes the /uq group that snf_ckpt_read_uq left in m->ck (arrays moved, not copied) into m's fields. */
static void snf_uq_from_ckpt(snf_uq_model *m)
{
    struct snf_ckpt_uq *u = &m->ck.uq;
    m->members = (int)u->members;
    m->mc_samples = (int)u->mc_samples;
    m->calibrated = u->calibrated != 0;
    m->has_ranges = u->has_ranges != 0;
    m->has_ood = u->has_ood != 0;
    m->ood_alpha = (float)u->ood_alpha;
    free(m->member_params);
    free(m->member_stats);
    m->member_params = u->member_params;
    m->member_stats = u->member_stats;
    memcpy(m->var_scale, u->var_scale, sizeof m->var_scale);
    memcpy(m->var_add, u->var_add, sizeof m->var_add);
    memcpy(m->range_lo, u->range_lo, sizeof m->range_lo);
    memcpy(m->range_hi, u->range_hi, sizeof m->range_hi);
    snprintf(m->calib_source, sizeof m->calib_source, "%s", u->calib_source);
    if (m->has_ood) {
        m->ood.D = (int)u->ood_D;
        m->ood.n_ref = u->ood_n_ref;
        m->ood.mean = u->ood_mean;
        m->ood.chol = u->ood_chol;
        m->ood.ref_d2 = u->ood_ref_d2;
        u->ood_mean = u->ood_chol = u->ood_ref_d2 = NULL;
        if (u->near_lbol != NULL) {
            m->near_rows = u->near_lbol;
            m->near_n = u->near_n;
            m->has_nearest = 1;
            u->near_lbol = NULL;
        }
    }
    u->member_params = u->member_stats = NULL;
    free(u->ood_mean); /* what is left (an OOD fit or near rows beside has_ood 0): m->ck carries no /uq */
    free(u->ood_chol);
    free(u->ood_ref_d2);
    free(u->near_lbol);
    memset(u, 0, sizeof *u);
    m->ck.has_uq = 0;
}

/* ---- public API ---- */

int snf_uq_model_write(const snf_uq_model *m, const char *path)
{
    snf_ckpt c = m->ck; /* a view: m's arrays, written, never freed here */
    struct snf_ckpt_uq *u = &c.uq;
    memset(u, 0, sizeof *u);
    c.has_uq = 1;
    u->members = m->members;
    u->mc_samples = m->mc_samples;
    u->calibrated = m->calibrated;
    u->has_ranges = m->has_ranges;
    u->has_ood = m->has_ood;
    u->ood_alpha = m->ood_alpha;
    u->complete = 1.0;
    u->member_params = m->member_params;
    u->member_stats = m->member_stats;
    memcpy(u->var_scale, m->var_scale, sizeof u->var_scale);
    memcpy(u->var_add, m->var_add, sizeof u->var_add);
    memcpy(u->range_lo, m->range_lo, sizeof u->range_lo);
    memcpy(u->range_hi, m->range_hi, sizeof u->range_hi);
    snprintf(u->calib_source, sizeof u->calib_source, "%s", m->calib_source);
    if (m->has_ood) {
        u->ood_D = m->ood.D;
        u->ood_n_ref = m->ood.n_ref;
        u->ood_mean = m->ood.mean;
        u->ood_chol = m->ood.chol;
        u->ood_ref_d2 = m->ood.ref_d2;
        u->near_n = m->has_nearest ? m->near_n : 0;
        u->near_lbol = m->has_nearest ? m->near_rows : NULL;
    }
    return snf_ckpt_write(path, &c);
}

int snf_uq_model_open(snf_uq_model *m, const char *path, int max_B)
{
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", path);
    int rc = snf_ckpt_read_uq(&m->ck, path);
    if (rc < 0) {
        return rc;
    }
    m->members = 1;
    m->mc_samples = 1;
    m->ood_alpha = 0.01f;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        m->var_scale[k] = 1.0;
    }
    m->member_params = malloc(m->ck.nparams * sizeof(float));
    m->member_stats = malloc((m->ck.nstats ? m->ck.nstats : 1) * sizeof(float));
    if (!m->member_params || !m->member_stats) {
        snf_uq_model_free(m);
        SNF_ERROR(SNF_ENOMEM, "out of memory reading %s", path);
    }
    memcpy(m->member_params, m->ck.best_params, m->ck.nparams * sizeof(float));
    memcpy(m->member_stats, m->ck.best_stats, m->ck.nstats * sizeof(float));
    if (m->ck.has_uq) {
        snf_uq_from_ckpt(m);
    }
    rc = snf_ckpt_net(&m->ck, max_B, &m->net);
    if (rc < 0) {
        snf_uq_model_free(m);
        return rc;
    }
    m->max_B = max_B;
    return SNF_OK;
}

int snf_uq_model_ncomp(const snf_uq_model *m)
{
    return m->members * m->mc_samples;
}

int snf_uq_model_nfeat(const snf_uq_model *m)
{
    const snf_net *net = m->net;
    return (int)(net->sizes[net->ntensors - 2] / (size_t)net->cfg.n_out);
}

int snf_uq_model_features(snf_uq_model *m, const float *x, long n, float *feat)
{
    snf_net *net = m->net;
    const int D = snf_uq_model_nfeat(m), B = m->max_B;
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    memcpy(net->params, m->member_params, net->nparams * sizeof(float));
    memcpy(net->bn_stats, m->member_stats, net->nstats * sizeof(float));
    for (long i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? (int)(n - i0) : B;
        int rc = snf_net_forward(net, x + (size_t)i0 * CL, NULL, nb, 0, NULL);
        if (rc < 0) {
            return rc;
        }
        const float *gap = snf_net_features(net);
        memcpy(feat + (size_t)i0 * D, gap, (size_t)nb * D * sizeof(float));
    }
    return SNF_OK;
}

int snf_uq_model_components(snf_uq_model *m, const float *x, long n, int calibrated_out, double *mu, double *var,
                            float *feat)
{
    snf_net *net = m->net;
    const snf_net_config *c = &net->cfg;
    const int K = snf_uq_model_ncomp(m), NP = SNF_DATA_NP, D = snf_uq_model_nfeat(m), B = m->max_B;
    const size_t CL = (size_t)c->C_in * c->T;
    const snf_norm *nm = &m->ck.norm;
    for (int mb = 0; mb < m->members; mb++) {
        memcpy(net->params, m->member_params + (size_t)mb * net->nparams, net->nparams * sizeof(float));
        memcpy(net->bn_stats, m->member_stats + (size_t)mb * net->nstats, net->nstats * sizeof(float));
        for (long i0 = 0; i0 < n; i0 += B) {
            int nb = n - i0 < B ? (int)(n - i0) : B;
            const float *xb = x + (size_t)i0 * CL;
            if (mb == 0 && feat) {
                int rc = snf_net_forward(net, xb, NULL, nb, 0, NULL);
                if (rc < 0) {
                    return rc;
                }
                const float *gap = snf_net_features(net);
                memcpy(feat + (size_t)i0 * D, gap, (size_t)nb * D * sizeof(float));
            }
            for (int t = 0; t < m->mc_samples; t++) {
                net->step = (uint64_t)t; /* the dropout masks of pass t (the same for every member) */
                /* without dropout passes, the features' forward pass above already holds member 0's outputs */
                int rc = mb == 0 && feat && m->mc_samples == 1
                             ? SNF_OK
                             : snf_net_forward(net, xb, NULL, nb, m->mc_samples > 1 ? SNF_NET_MC : 0, NULL);
                if (rc < 0) {
                    return rc;
                }
                const float *p = snf_net_pred(net);
                const int comp = mb * m->mc_samples + t;
                for (int b = 0; b < nb; b++) {
                    const float *pb = p + (size_t)b * c->n_out;
                    for (int k = 0; k < NP; k++) {
                        double s2 = c->head == SNF_HEAD_GAUSSIAN ? snf_gnll_var(pb[NP + k]) : 0.0;
                        size_t at = ((size_t)(i0 + b) * NP + k) * K + comp;
                        mu[at] = (double)pb[k] * nm->y_std[k] + nm->y_mean[k];
                        var[at] = s2 * nm->y_std[k] * nm->y_std[k];
                    }
                }
            }
        }
    }
    if (calibrated_out && m->calibrated) {
        for (long i = 0; i < n; i++) {
            for (int k = 0; k < NP; k++) {
                size_t at = ((size_t)i * NP + k) * K;
                snf_mix_rescale(mu + at, var + at, K, m->var_scale[k]);
                for (int j = 0; j < K; j++) {
                    var[at + j] += m->var_add[k];
                }
            }
        }
    }
    return SNF_OK;
}

snf_uq_param snf_uq_param_from_mixture(const double *mu, const double *var, int K)
{
    const double ln10 = 2.302585092994045684;
    snf_uq_param q;
    q.log10 = snf_mix_summarise(mu, var, K);
    double e1 = 0.0, e2 = 0.0;
    for (int j = 0; j < K; j++) { /* log-normal moments of 10^Y, Y ~ N(mu, var) */
        double a = mu[j] * ln10, v = var[j] * ln10 * ln10;
        e1 += exp(a + 0.5 * v);
        e2 += exp(2.0 * a + 2.0 * v);
    }
    e1 /= K;
    e2 /= K;
    q.mean = e1;
    q.std = sqrt(fmax(e2 - e1 * e1, 0.0));
    q.lo68 = pow(10.0, q.log10.lo68);
    q.hi68 = pow(10.0, q.log10.hi68);
    q.lo95 = pow(10.0, q.log10.lo95);
    q.hi95 = pow(10.0, q.log10.hi95);
    return q;
}

void snf_uq_model_summarise(const snf_uq_model *m, const double *mu, const double *var, int S, const float *feat,
                            snf_uq_pred *o)
{
    const int K = snf_uq_model_ncomp(m), NP = SNF_DATA_NP, SK = S * K;
    memset(o, 0, sizeof *o);
    o->near_dex = NAN; /* snf_uq_pred_nearest sets it */
    for (int k = 0; k < NP; k++) {
        snf_uq_param *q = &o->p[k];
        if (S == 1) {
            *q = snf_uq_param_from_mixture(mu + (size_t)k * K, var + (size_t)k * K, K);
        } else {
            double cm[SNF_UQ_MAX_POOL], cv[SNF_UQ_MAX_POOL];
            for (int r = 0; r < S; r++) {
                for (int j = 0; j < K; j++) {
                    cm[r * K + j] = mu[((size_t)r * NP + k) * K + j];
                    cv[r * K + j] = var[((size_t)r * NP + k) * K + j];
                }
            }
            *q = snf_uq_param_from_mixture(cm, cv, SK);
        }
        if (m->has_ranges) {
            o->outside[k] = q->mean < m->range_lo[k] || q->mean > m->range_hi[k] || q->lo95 < m->range_lo[k] ||
                            q->hi95 > m->range_hi[k];
            o->n_outside += o->outside[k];
            o->excludes[k] = q->lo95 > m->range_hi[k] || q->hi95 < m->range_lo[k];
            o->n_excludes += o->excludes[k];
        }
    }
    if (m->has_ood && feat) {
        o->ood_d2 = snf_ood_d2(&m->ood, feat);
        o->ood_p = snf_ood_pvalue(&m->ood, o->ood_d2);
        /* beyond every validation row also flags: with few validation rows 1 / (n_ref + 1) may exceed alpha */
        o->ood_flag = o->ood_p < m->ood_alpha || (m->ood.n_ref > 0 && o->ood_d2 > m->ood.ref_d2[m->ood.n_ref - 1]);
    } else {
        o->ood_d2 = NAN;
        o->ood_p = 1.0;
    }
}

int snf_uq_model_predict(snf_uq_model *m, const float *x, long n, snf_uq_pred *out)
{
    const int K = snf_uq_model_ncomp(m), NP = SNF_DATA_NP, D = snf_uq_model_nfeat(m);
    double *mu = malloc((size_t)n * NP * K * sizeof *mu);
    double *var = malloc((size_t)n * NP * K * sizeof *var);
    float *feat = malloc((size_t)n * D * sizeof *feat);
    int rc = SNF_OK;
    if (!mu || !var || !feat) {
        SNF_FAIL(SNF_ENOMEM, "out of memory predicting %ld rows", n);
    }
    rc = snf_uq_model_components(m, x, n, 1, mu, var, feat);
    if (rc < 0) {
        goto cleanup;
    }
    for (long i = 0; i < n; i++) {
        snf_uq_model_summarise(m, mu + (size_t)i * NP * K, var + (size_t)i * NP * K, 1, feat + (size_t)i * D, &out[i]);
        if (m->has_ood) {
            snf_uq_pred_nearest(m, x + (size_t)i * snf_data_spec_cin(&m->ck.spec) * m->ck.spec.L, &out[i]);
        }
    }
cleanup:
    free(mu);
    free(var);
    free(feat);
    return rc;
}

void snf_uq_model_free(snf_uq_model *m)
{
    if (!m) {
        return;
    }
    snf_net_free(m->net);
    free(m->member_params);
    free(m->member_stats);
    snf_ood_free(&m->ood);
    free(m->near_rows);
    snf_ckpt_free(&m->ck);
    memset(m, 0, sizeof *m);
}
