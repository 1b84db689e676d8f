/* explain.c: integrated gradients, occlusion and phases (explain.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/infer.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- public API ---- */

const char *snf_explain_phase_name(int phase)
{
    static const char *const n[SNF_EXPLAIN_NPHASE] = {"early", "rise", "peak", "fall", "tail"};
    return phase >= 0 && phase < SNF_EXPLAIN_NPHASE ? n[phase] : "?";
}

int snf_explain_outputs(snf_uq_model *m, const float *x, long n, double *out)
{
    const int NP = SNF_DATA_NP, K = snf_uq_model_ncomp(m), B = m->max_B;
    const int mc = m->mc_samples;
    m->mc_samples = 1; /* the deterministic (eval-mode) network: dropout off */
    const int K1 = snf_uq_model_ncomp(m);
    double *mu = malloc((size_t)B * NP * K * sizeof *mu), *var = malloc((size_t)B * NP * K * sizeof *var);
    int rc = SNF_OK;
    if (!mu || !var) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for the explanation");
    }
    const size_t CL = (size_t)m->net->cfg.C_in * m->net->cfg.T;
    for (long i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? (int)(n - i0) : B;
        rc = snf_uq_model_components(m, x + (size_t)i0 * CL, nb, 0, mu, var, NULL);
        if (rc < 0) {
            goto cleanup;
        }
        for (int b = 0; b < nb; b++) {
            for (int k = 0; k < NP; k++) {
                double s = 0;
                for (int j = 0; j < K1; j++) {
                    s += mu[((size_t)b * NP + k) * K1 + j];
                }
                out[(i0 + b) * NP + k] = s / K1;
            }
        }
    }
cleanup:
    m->mc_samples = mc;
    free(mu);
    free(var);
    return rc;
}

int snf_explain_ig(snf_uq_model *m, const float *x, int steps, double *attr, double *delta)
{
    const int NP = SNF_DATA_NP, CT = m->net->cfg.C_in * m->net->cfg.T;
    /* the path gamma(a) = a x + a (1 - a) delta: a fixed pseudo-random bow (|delta_i| <= 0.2) that
     * vanishes at both ends, so completeness is exact, and that breaks the exact ties of the encoded
     * input (constant mask channels, filled samples) at which max-pooling has no gradient and central
     * differences credit every tied sample (a straight path over such ties over-counts by up to 1.5x) */
    const float h = 1e-4f;
    float *dl = malloc((size_t)CT * sizeof *dl);
    if (!dl) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for integrated gradients");
    }
    snf_rng rr = snf_rng_seed(0x1f2e3d4c5b6a7988ULL);
    for (int i = 0; i < CT; i++) {
        dl[i] = 0.2f * (2.0f * snf_rng_uniform(&rr) - 1.0f);
    }
    /* one batch per path point: row 2i = point + h e_i, row 2i+1 = point - h e_i, then the end points */
    const long nrow = 2L * CT;
    float *xb = malloc((size_t)nrow * CT * sizeof *xb);
    double *out = malloc((size_t)nrow * NP * sizeof *out);
    int rc = SNF_OK;
    if (!xb || !out) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for integrated gradients (%d inputs)", CT);
    }
    memset(attr, 0, (size_t)NP * CT * sizeof *attr);
    for (int s = 0; s < steps; s++) {
        float a = (float)((s + 0.5) / steps), bow = a * (1.0f - a), dbow = 1.0f - 2.0f * a;
        for (int i = 0; i < CT; i++) {
            float *rp = xb + (size_t)(2 * i) * CT, *rm = rp + CT;
            for (int j = 0; j < CT; j++) {
                rp[j] = rm[j] = a * x[j] + bow * dl[j];
            }
            rp[i] += h;
            rm[i] -= h;
        }
        rc = snf_explain_outputs(m, xb, nrow, out);
        if (rc < 0) {
            goto cleanup;
        }
        for (int i = 0; i < CT; i++) {
            for (int k = 0; k < NP; k++) {
                double g = (out[(2 * i) * NP + k] - out[(2 * i + 1) * NP + k]) / (2.0 * h);
                attr[(size_t)k * CT + i] += g * (x[i] + dbow * dl[i]) / steps;
            }
        }
    }
    memset(xb, 0, (size_t)CT * sizeof *xb);
    memcpy(xb + CT, x, (size_t)CT * sizeof *xb);
    rc = snf_explain_outputs(m, xb, 2, out);
    if (rc < 0) {
        goto cleanup;
    }
    for (int k = 0; k < NP; k++) {
        delta[k] = out[NP + k] - out[k];
    }
cleanup:
    free(dl);
    free(xb);
    free(out);
    return rc;
}

int snf_explain_occlusion(snf_uq_model *m, const float *x, int win, int stride, double *imp)
{
    const snf_data_spec *sp = &m->ck.spec;
    const int NP = SNF_DATA_NP, T = m->net->cfg.T, CT = m->net->cfg.C_in * T;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds);
    if (win < 1 || win > T || stride < 1) {
        SNF_ERROR(SNF_EINVAL, "occlusion window %d / stride %d outside [1, %d] / >= 1", win, stride, T);
    }
    int nw = (T - win) / stride + 1;
    if ((nw - 1) * stride + win < T) {
        nw++; /* a last window flush with the end */
    }
    const long nrow = 1 + (long)ns * nw;
    float *xb = malloc((size_t)nrow * CT * sizeof *xb);
    double *out = malloc((size_t)nrow * NP * sizeof *out);
    int *cover = calloc((size_t)ns * T, sizeof *cover);
    int rc = SNF_OK;
    if (!xb || !out || !cover) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for occlusion");
    }
    memcpy(xb, x, (size_t)CT * sizeof *xb);
    for (int s = 0; s < ns; s++) {
        for (int w = 0; w < nw; w++) {
            int t0 = w * stride < T - win ? w * stride : T - win;
            float *r = xb + (size_t)(1 + s * nw + w) * CT;
            memcpy(r, x, (size_t)CT * sizeof *r);
            for (int t = t0; t < t0 + win; t++) {
                r[s * T + t] = 0.0f;
                if (sp->mask) {
                    r[(ns + s) * T + t] = 0.0f;
                }
            }
        }
    }
    rc = snf_explain_outputs(m, xb, nrow, out);
    if (rc < 0) {
        goto cleanup;
    }
    memset(imp, 0, (size_t)NP * ns * T * sizeof *imp);
    for (int s = 0; s < ns; s++) {
        for (int w = 0; w < nw; w++) {
            int t0 = w * stride < T - win ? w * stride : T - win;
            for (int t = t0; t < t0 + win; t++) {
                cover[s * T + t]++;
                for (int k = 0; k < NP; k++) {
                    imp[((size_t)k * ns + s) * T + t] += fabs(out[(1 + s * nw + w) * NP + k] - out[k]);
                }
            }
        }
    }
    for (int k = 0; k < NP; k++) {
        for (int i = 0; i < ns * T; i++) {
            imp[(size_t)k * ns * T + i] /= cover[i] > 0 ? cover[i] : 1;
        }
    }
cleanup:
    free(xb);
    free(out);
    free(cover);
    return rc;
}

void snf_explain_phases(const snf_uq_model *m, const float *x, int *phase)
{
    const snf_data_spec *sp = &m->ck.spec;
    const int T = sp->L;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds);
    int li = -1;
    for (int s = 0; s < ns; s++) {
        li = kinds[s] == SNF_SERIES_LBOL ? s : li;
    }
    /* the brightest observed sample after the early phase, and the steepest decline after it */
    int ip = T / 2, ifall = T - 1;
    if (li >= 0) {
        double best = -INFINITY;
        for (int t = 0; t < T; t++) {
            int obs = !sp->mask || x[(ns + li) * T + t] > 0.5f;
            if (obs && snf_data_spec_time(sp, t) >= 30.0 && x[li * T + t] > best) {
                best = x[li * T + t];
                ip = t;
            }
        }
        double steep = INFINITY;
        for (int t = ip + 1; t < T; t++) {
            int obs = !sp->mask || (x[(ns + li) * T + t] > 0.5f && x[(ns + li) * T + t - 1] > 0.5f);
            double d = x[li * T + t] - x[li * T + t - 1];
            if (obs && d < steep) {
                steep = d;
                ifall = t;
            }
        }
    }
    double tp = snf_data_spec_time(sp, ip), tf = snf_data_spec_time(sp, ifall) + 15.0;
    for (int t = 0; t < T; t++) {
        double d = snf_data_spec_time(sp, t);
        phase[t] = d < 30.0 ? SNF_EXPLAIN_EARLY
                 : fabs(d - tp) <= 10.0 ? SNF_EXPLAIN_PEAK
                 : d < tp ? SNF_EXPLAIN_RISE
                 : d < tf ? SNF_EXPLAIN_FALL
                 : SNF_EXPLAIN_TAIL;
    }
}

int snf_explain_average(snf_uq_model *m, const float *x, long n, int steps, int win, int stride,
                        snf_explain_avg *out, void (*progress)(long done, long n, void *ctx), void *ctx)
{
    const snf_data_spec *sp = &m->ck.spec;
    const int T = sp->L, NP = SNF_DATA_NP, C = m->net->cfg.C_in, CT = C * T;
    int kinds[SNF_SERIES_COUNT];
    const int ns = snf_data_spec_series(sp, kinds);
    memset(out, 0, sizeof *out);
    out->nseries = ns;
    out->T = T;
    double *attr = malloc((size_t)NP * CT * sizeof *attr), *imp = malloc((size_t)NP * ns * T * sizeof *imp);
    double *ig_day = calloc((size_t)NP * ns * T, sizeof *ig_day), *oc_day = calloc((size_t)NP * ns * T, sizeof *oc_day);
    int *phase = malloc((size_t)T * sizeof *phase);
    out->ig_day = ig_day;
    out->oc_day = oc_day;
    int rc = SNF_OK;
    if (!attr || !imp || !ig_day || !oc_day || !phase) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    double worst = 0;
    for (long r = 0; r < n; r++) {
        const float *xr = x + (size_t)r * CT;
        double delta[SNF_DATA_NP];
        rc = snf_explain_ig(m, xr, steps, attr, delta);
        if (rc >= 0) {
            rc = snf_explain_occlusion(m, xr, win, stride, imp);
        }
        if (rc < 0) {
            goto done;
        }
        snf_explain_phases(m, xr, phase);
        for (int k = 0; k < NP; k++) {
            double sum = 0, tot[2] = {0, 0}, ph[2][SNF_EXPLAIN_NPHASE] = {{0}};
            for (int i = 0; i < CT; i++) {
                sum += attr[(size_t)k * CT + i];
            }
            worst = fmax(worst, fabs(sum - delta[k]) / fmax(fabs(delta[k]), 1e-3));
            for (int s = 0; s < ns; s++) {
                for (int t = 0; t < T; t++) {
                    double a = attr[((size_t)k * C + s) * T + t];
                    if (sp->mask) {
                        a += attr[((size_t)k * C + ns + s) * T + t];
                    }
                    double o = imp[((size_t)k * ns + s) * T + t];
                    ig_day[((size_t)k * ns + s) * T + t] += fabs(a) / n;
                    oc_day[((size_t)k * ns + s) * T + t] += o / n;
                    ph[0][phase[t]] += fabs(a), tot[0] += fabs(a);
                    ph[1][phase[t]] += o, tot[1] += o;
                }
            }
            for (int meth = 0; meth < 2; meth++) {
                for (int p = 0; p < SNF_EXPLAIN_NPHASE; p++) {
                    out->frac[meth][k][p] += tot[meth] > 0 ? ph[meth][p] / tot[meth] / n : 0;
                }
            }
        }
        if (progress) {
            progress(r + 1, n, ctx);
        }
    }
    out->worst = worst;
done:
    free(attr);
    free(imp);
    free(phase);
    return rc < 0 ? rc : SNF_OK;
}

void snf_explain_avg_free(snf_explain_avg *a)
{
    free(a->ig_day);
    free(a->oc_day);
    a->ig_day = a->oc_day = NULL;
}
