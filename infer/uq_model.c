/* uq_model.c: a model file with its /uq group (uq.h): reading and writing the group, the mixture
 * components of every member x Monte Carlo dropout pass, and the per-object prediction with intervals,
 * OOD score and training-range flags.
 *   /uq attrs: members, mc_samples, calibrated, has_ranges, has_ood, ood_alpha, complete
 *       member_params float [members][nparams], member_stats float [members][nstats] (best weights)
 *       var_scale, range_lo, range_hi float64 [4]; ood_mean [D], ood_chol [D][D], ood_ref_d2 [n_ref]
 *       optional: var_add float64 [4] (log10 variance added after the scale), attribute calibration_source,
 *                 near_lbol float32 [n][L] (the nearest-curve rows of the OOD test, uq_nearest.c) */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/fileio.h"
#include "snforge/h5io.h"
#include "snforge/status.h"
#include "snforge/uq.h"

/* ---- static helpers: HDF5 ---- */

static int snf_uq_wr(hid_t g, const char *name, hid_t type, const void *buf, int rank, hsize_t d0, hsize_t d1)
{
    hsize_t dims[2] = {d0, d1};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = sp < 0 ? -1 : H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = ds < 0 ? -1 : H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (ds >= 0) {
        H5Dclose(ds);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    return st < 0 ? -1 : 0;
}

static int snf_uq_rd(hid_t g, const char *name, hid_t type, void *buf, hsize_t want)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0) {
        return -1;
    }
    hid_t sp = H5Dget_space(ds);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    herr_t st = (np < 0 || (hsize_t)np != want) ? -1 : H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (sp >= 0) {
        H5Sclose(sp);
    }
    H5Dclose(ds);
    return st < 0 ? -1 : 0;
}

static hssize_t snf_uq_len(hid_t g, const char *name)
{
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0) {
        return -1;
    }
    hid_t sp = H5Dget_space(ds);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    if (sp >= 0) {
        H5Sclose(sp);
    }
    H5Dclose(ds);
    return np;
}

static int snf_uq_wattr(hid_t g, const char *name, double v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(g, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
    if (a >= 0) {
        H5Aclose(a);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    return st < 0 ? -1 : 0;
}

static int snf_uq_rattr(hid_t g, const char *name, double *v)
{
    if (H5Aexists(g, name) <= 0) {
        return -1;
    }
    hid_t a = H5Aopen(g, name, H5P_DEFAULT);
    herr_t st = a < 0 ? -1 : H5Aread(a, H5T_NATIVE_DOUBLE, v);
    if (a >= 0) {
        H5Aclose(a);
    }
    return st < 0 ? -1 : 0;
}

/* ---- static helpers: the group ---- */

static int snf_uq_read_group(snf_uq_model *m, const char *path)
{
    int rc = SNF_OK;
    hid_t f = -1, g = -1;
    SNF_CHECK(snf_h5_open(&f, path, 0, "model file"));
    if (H5Lexists(f, "uq", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return SNF_OK; /* a model without the group: defaults */
    }
    g = H5Gopen2(f, "uq", H5P_DEFAULT);
    double v[7];
    const char *names[7] = {"members", "mc_samples", "calibrated", "has_ranges", "has_ood", "ood_alpha", "complete"};
    for (int i = 0; i < 7; i++) {
        if (g < 0 || snf_uq_rattr(g, names[i], &v[i]) < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq lacks the attribute %s", path, names[i]);
        }
    }
    if (v[6] != 1.0 || v[0] < 1 || v[0] > SNF_UQ_MAX_MEMBERS || v[1] < 1 || v[1] > 10000) {
        SNF_FAIL(SNF_EFORMAT, "%s: /uq is incomplete or holds invalid counts (members %g, mc_samples %g)", path, v[0],
                 v[1]);
    }
    m->members = (int)v[0];
    m->mc_samples = (int)v[1];
    m->calibrated = v[2] != 0;
    m->has_ranges = v[3] != 0;
    m->has_ood = v[4] != 0;
    m->ood_alpha = (float)v[5];
    const size_t np = m->ck.nparams, ns = m->ck.nstats;
    float *mp = malloc((size_t)m->members * np * sizeof *mp);
    float *ms = malloc((size_t)m->members * (ns ? ns : 1) * sizeof *ms);
    if (!mp || !ms) {
        free(mp);
        free(ms);
        SNF_FAIL(SNF_ENOMEM, "out of memory for %d members", m->members);
    }
    free(m->member_params);
    free(m->member_stats);
    m->member_params = mp;
    m->member_stats = ms;
    if (snf_uq_rd(g, "member_params", H5T_NATIVE_FLOAT, mp, (hsize_t)m->members * np) < 0 ||
        (ns && snf_uq_rd(g, "member_stats", H5T_NATIVE_FLOAT, ms, (hsize_t)m->members * ns) < 0) ||
        snf_uq_rd(g, "var_scale", H5T_NATIVE_DOUBLE, m->var_scale, SNF_DATA_NP) < 0 ||
        snf_uq_rd(g, "range_lo", H5T_NATIVE_DOUBLE, m->range_lo, SNF_DATA_NP) < 0 ||
        snf_uq_rd(g, "range_hi", H5T_NATIVE_DOUBLE, m->range_hi, SNF_DATA_NP) < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: /uq datasets missing or of the wrong size", path);
    }
    if (H5Lexists(g, "var_add", H5P_DEFAULT) > 0 &&
        snf_uq_rd(g, "var_add", H5T_NATIVE_DOUBLE, m->var_add, SNF_DATA_NP) < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: /uq/var_add is not 4 numbers", path);
    }
    for (int k = 0; k < SNF_DATA_NP; k++) {
        if (!(m->var_add[k] >= 0.0 && isfinite(m->var_add[k]))) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq/var_add[%d] is %g: expected a finite variance >= 0", path, k, m->var_add[k]);
        }
    }
    if (H5Aexists(g, "calibration_source") > 0 &&
        snf_h5_attr_get_string(g, "calibration_source", m->calib_source, sizeof m->calib_source, path) < 0) {
        rc = SNF_EFORMAT;
        goto cleanup;
    }
    if (m->has_ood) {
        hssize_t D = snf_uq_len(g, "ood_mean"), nr = snf_uq_len(g, "ood_ref_d2");
        if (D < 1 || D > 65536 || nr < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq/ood_mean or ood_ref_d2 missing", path);
        }
        snf_ood *o = &m->ood;
        o->D = (int)D;
        o->n_ref = (long)nr;
        o->mean = malloc((size_t)D * sizeof *o->mean);
        o->chol = malloc((size_t)D * (size_t)D * sizeof *o->chol);
        o->ref_d2 = malloc((size_t)(nr ? nr : 1) * sizeof *o->ref_d2);
        if (!o->mean || !o->chol || !o->ref_d2) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for the OOD fit");
        }
        if (snf_uq_rd(g, "ood_mean", H5T_NATIVE_DOUBLE, o->mean, (hsize_t)D) < 0 ||
            snf_uq_rd(g, "ood_chol", H5T_NATIVE_DOUBLE, o->chol, (hsize_t)D * (hsize_t)D) < 0 ||
            (nr && snf_uq_rd(g, "ood_ref_d2", H5T_NATIVE_DOUBLE, o->ref_d2, (hsize_t)nr) < 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq OOD datasets of the wrong size", path);
        }
    }
    if (m->has_ood && H5Lexists(g, "near_lbol", H5P_DEFAULT) > 0) {
        const int L = m->ck.spec.L;
        hssize_t n = snf_uq_len(g, "near_lbol");
        if (L < 1 || n < L || n % L != 0 || n / L > SNF_UQ_NEAR_MAX_ROWS) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq/near_lbol is not rows of %d samples (at most %ld rows)", path, L,
                     SNF_UQ_NEAR_MAX_ROWS);
        }
        m->near_rows = malloc((size_t)n * sizeof *m->near_rows);
        if (!m->near_rows) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for the nearest-curve rows");
        }
        if (snf_uq_rd(g, "near_lbol", H5T_NATIVE_FLOAT, m->near_rows, (hsize_t)n) < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s: /uq/near_lbol cannot be read", path);
        }
        m->near_n = (long)(n / L);
        m->has_nearest = 1;
    }
cleanup:
    if (g >= 0) {
        H5Gclose(g);
    }
    H5Fclose(f);
    return rc;
}

/* ---- public API ---- */

int snf_uq_model_write_group(const snf_uq_model *m, int64_t fid, const char *path)
{
    hid_t g = H5Gcreate2((hid_t)fid, "uq", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int bad = g < 0;
    const size_t np = m->ck.nparams, ns = m->ck.nstats;
    bad = bad || snf_uq_wr(g, "member_params", H5T_NATIVE_FLOAT, m->member_params, 2, (hsize_t)m->members, np) < 0;
    bad = bad || (ns && snf_uq_wr(g, "member_stats", H5T_NATIVE_FLOAT, m->member_stats, 2, (hsize_t)m->members, ns) < 0);
    bad = bad || snf_uq_wr(g, "var_scale", H5T_NATIVE_DOUBLE, m->var_scale, 1, SNF_DATA_NP, 0) < 0;
    bad = bad || snf_uq_wr(g, "range_lo", H5T_NATIVE_DOUBLE, m->range_lo, 1, SNF_DATA_NP, 0) < 0;
    bad = bad || snf_uq_wr(g, "range_hi", H5T_NATIVE_DOUBLE, m->range_hi, 1, SNF_DATA_NP, 0) < 0;
    int has_add = 0;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        has_add |= m->var_add[k] != 0.0;
    }
    bad = bad || (has_add && snf_uq_wr(g, "var_add", H5T_NATIVE_DOUBLE, m->var_add, 1, SNF_DATA_NP, 0) < 0);
    bad = bad || (m->calib_source[0] && g >= 0 &&
                  snf_h5_attr_put_string(g, "calibration_source", m->calib_source, path) < 0);
    if (m->has_ood) {
        const snf_ood *o = &m->ood;
        bad = bad || snf_uq_wr(g, "ood_mean", H5T_NATIVE_DOUBLE, o->mean, 1, (hsize_t)o->D, 0) < 0;
        bad = bad || snf_uq_wr(g, "ood_chol", H5T_NATIVE_DOUBLE, o->chol, 2, (hsize_t)o->D, (hsize_t)o->D) < 0;
        double none = 0;
        bad = bad || snf_uq_wr(g, "ood_ref_d2", H5T_NATIVE_DOUBLE, o->n_ref ? o->ref_d2 : &none, 1,
                               (hsize_t)(o->n_ref ? o->n_ref : 0), 0) < 0;
        bad = bad || (m->has_nearest && snf_uq_wr(g, "near_lbol", H5T_NATIVE_FLOAT, m->near_rows, 2,
                                                  (hsize_t)m->near_n, (hsize_t)m->ck.spec.L) < 0);
    }
    bad = bad || snf_uq_wattr(g, "members", m->members) < 0 || snf_uq_wattr(g, "mc_samples", m->mc_samples) < 0 ||
          snf_uq_wattr(g, "calibrated", m->calibrated) < 0 || snf_uq_wattr(g, "has_ranges", m->has_ranges) < 0 ||
          snf_uq_wattr(g, "has_ood", m->has_ood) < 0 || snf_uq_wattr(g, "ood_alpha", m->ood_alpha) < 0 ||
          snf_uq_wattr(g, "complete", 1.0) < 0;
    if (g >= 0) {
        H5Gclose(g);
    }
    if (bad) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write the /uq group", path);
    }
    return SNF_OK;
}

int snf_uq_model_write(const snf_uq_model *m, const char *path)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s.uq.tmp", path) >= (int)sizeof tmp) {
        SNF_ERROR(SNF_EINVAL, "model path %s is too long", path);
    }
    int rc = snf_ckpt_write(tmp, &m->ck);
    hid_t fid = -1;
    if (rc >= 0) {
        rc = snf_h5_open(&fid, tmp, 1, "model file");
    }
    if (rc >= 0) {
        rc = snf_uq_model_write_group(m, (int64_t)fid, tmp);
        if (H5Fclose(fid) < 0 && rc >= 0) {
            rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot close", tmp);
        }
    }
    if (rc >= 0) {
        rc = snf_atomic_commit(tmp, path);
    }
    if (rc < 0) {
        remove(tmp);
    }
    return rc;
}

int snf_uq_model_open(snf_uq_model *m, const char *path, int max_B)
{
    memset(m, 0, sizeof *m);
    snprintf(m->path, sizeof m->path, "%s", path);
    int rc = snf_ckpt_read(&m->ck, path);
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
    rc = snf_uq_read_group(m, path);
    if (rc >= 0) {
        rc = snf_ckpt_net(&m->ck, max_B, &m->net);
    }
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
                int rc = snf_net_forward(net, xb, NULL, nb, m->mc_samples > 1 ? SNF_NET_MC : 0, NULL);
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
