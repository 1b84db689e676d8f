/* evaluate.c: a trained model scored on every usable row of a dataset file (infer.h, snf_eval_dataset): the
 * rows stream through the batcher (data.h) in blocks, each row's mixture per parameter (uq.h) gives the point
 * prediction, its 68% band and PIT value; coverage and NLL come from the one calibration scorer
 * (snf_calib_add, mixture.c); MAPE / median APE / R^2 and the predict-the-training-mean baseline from
 * train.h's metrics; the key-point baseline from each row's own light curve (keypoints.h). Prints nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/models.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

/* The key-point baseline (keypoints.h): each scored row's own light curve (/time, /log_lbol, /vph) through
 * snf_keypoints_compute, M_Ni from the 56Co tail and E, M, R0 from Popov (1993; kappa 0.34, T_ion 5054 K),
 * against the row's true parameters. kmape[p]: mean APE (%) over the rows with a finite estimate, i.e. in the
 * estimate's domain (keypoints.h: Popov's NaN on domes; NaN if none), kn[p] their count. Rows are read in
 * file order, in blocks, each block's rows computed in parallel
 * (OpenMP; about 5 ms a row on a daily 300-day grid, measured). */
typedef struct snf_eval_key {
    long row, i; /* a dataset row and its index into the scored rows */
} snf_eval_key;

static int snf_eval_cmp_rows(const void *a, const void *b) /* by row: the rows are distinct */
{
    long ra = ((const snf_eval_key *)a)->row, rb = ((const snf_eval_key *)b)->row;
    return (ra > rb) - (ra < rb);
}

static int snf_eval_keypoints(const char *dpath, const long *prow, const double *truth, long n, double *kmape,
                              long *kn)
{
    enum { KB = 256 };
    double sum[SNF_DATA_NP] = {0};
    for (int p = 0; p < SNF_DATA_NP; p++) {
        kmape[p] = NAN;
        kn[p] = 0;
    }
    snf_dataset *ds = NULL;
    int rc = snf_dataset_open(&ds, dpath, 0);
    if (rc < 0) {
        return rc;
    }
    long N;
    int P, T;
    snf_dataset_dims(ds, &N, &P, &T);
    snf_eval_key *ord = malloc((size_t)n * sizeof *ord);
    double *t = malloc((size_t)T * sizeof *t), *est = malloc((size_t)KB * SNF_DATA_NP * sizeof *est);
    float *lg = malloc((size_t)KB * T * sizeof *lg), *vf = malloc((size_t)KB * T * sizeof *vf);
    if (!ord || !t || !est || !lg || !vf) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    if ((rc = snf_dataset_read_time(ds, t)) < 0) {
        goto done;
    }
    for (long i = 0; i < n; i++) { /* indices into prow, sorted into file order */
        ord[i] = (snf_eval_key){prow[i], i};
    }
    qsort(ord, (size_t)n, sizeof *ord, snf_eval_cmp_rows);
    for (long i = 0; i < n;) {
        long row0 = ord[i].row, nb = N - row0 < KB ? N - row0 : KB;
        snf_dataset_rows rows = {.log_lbol = lg, .vph = vf};
        if (row0 < 0 || nb < 1) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: row %ld out of range", dpath, row0);
            goto done;
        }
        if ((rc = snf_dataset_read_rows(ds, row0, nb, &rows)) < 0) {
            goto done;
        }
        long i1 = i;
        while (i1 < n && ord[i1].row < row0 + nb) {
            i1++;
        }
        const long m = i1 - i;
        int oom = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4) reduction(| : oom)
#endif
        for (long q = 0; q < m; q++) { /* ~ms a row on a daily grid: the rows of a block in parallel */
            const long r = ord[i + q].i, off = (prow[r] - row0) * T;
            double *Lq = malloc((size_t)T * sizeof *Lq), *vq = malloc((size_t)T * sizeof *vq);
            if (!Lq || !vq) {
                oom = 1;
            } else {
                for (int k = 0; k < T; k++) {
                    Lq[k] = isfinite(lg[off + k]) ? pow(10.0, lg[off + k]) : NAN;
                    vq[k] = isfinite(vf[off + k]) ? vf[off + k] : NAN;
                }
                snf_keypoints kp;
                snf_keypoints_compute(&kp, t, Lq, NULL, vq, NULL, T, 0.34, 5054.0);
                est[q * SNF_DATA_NP + 0] = kp.energy_popov_foe;
                est[q * SNF_DATA_NP + 1] = kp.mass_popov_msun;
                est[q * SNF_DATA_NP + 2] = kp.radius_popov_cm;
                est[q * SNF_DATA_NP + 3] = kp.nickel_from_tail;
            }
            free(Lq);
            free(vq);
        }
        if (oom) {
            rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
            goto done;
        }
        for (long q = 0; q < m; q++) { /* summed in file order: the same figures for any thread count */
            const long r = ord[i + q].i;
            for (int p = 0; p < SNF_DATA_NP; p++) {
                const double tr = truth[r * SNF_DATA_NP + p], e = est[q * SNF_DATA_NP + p];
                if (isfinite(e) && tr > 0) {
                    sum[p] += 100.0 * fabs(e - tr) / tr;
                    kn[p]++;
                }
            }
        }
        i = i1;
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        kmape[p] = kn[p] ? sum[p] / (double)kn[p] : NAN;
    }
done:
    free(ord);
    free(t);
    free(est);
    free(lg);
    free(vf);
    snf_dataset_close(ds);
    return rc < 0 ? rc : 0;
}

/* Scores the rows of the batcher b: fills r's rows, truth, pred, band, pit, oodp and the calibration sums. */
static int snf_eval_score(snf_eval_result *r, snf_uq_model *um, snf_batcher *b, int calibrated)
{
    const int B = SNF_EVAL_BATCH, K = snf_uq_model_ncomp(um), NP = SNF_DATA_NP;
    const snf_ckpt *ck = &um->ck;
    const size_t CL = (size_t)ck->net.C_in * ck->net.T;
    long *brow = malloc((size_t)B * sizeof *brow);
    float *x = malloc((size_t)B * CL * sizeof *x), *y = malloc((size_t)B * NP * sizeof *y);
    float *feat = malloc((size_t)B * snf_uq_model_nfeat(um) * sizeof *feat);
    double *cmu = malloc((size_t)B * NP * K * sizeof *cmu), *cvar = malloc((size_t)B * NP * K * sizeof *cvar);
    double *tl = malloc((size_t)B * sizeof *tl), *pm = malloc((size_t)B * K * sizeof *pm),
           *pv = malloc((size_t)B * K * sizeof *pv);
    snf_calib_sum cs[SNF_DATA_NP];
    memset(cs, 0, sizeof cs);
    int rc = SNF_OK, nb;
    long done = 0;
    if (!brow || !x || !y || !feat || !cmu || !cvar || !tl || !pm || !pv) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    while ((rc = snf_batcher_next(b, x, y, brow, &nb)) > 0) {
        rc = snf_uq_model_components(um, x, nb, calibrated, cmu, cvar, um->has_ood ? feat : NULL);
        if (rc < 0) {
            break;
        }
        for (int k = 0; um->has_ood && k < nb; k++) {
            double d2 = snf_ood_d2(&um->ood, feat + (size_t)k * snf_uq_model_nfeat(um));
            r->oodp[done + k] = snf_ood_pvalue(&um->ood, d2);
            r->n_flag += r->oodp[done + k] < um->ood_alpha ||
                         (um->ood.n_ref > 0 && d2 > um->ood.ref_d2[um->ood.n_ref - 1]);
        }
        for (int k = 0; k < nb; k++) {
            long i = done + k;
            snf_data_decode_targets(r->truth + i * NP, y + (size_t)k * NP, &ck->norm);
            r->rows[i] = brow[k];
            for (int p = 0; p < NP; p++) {
                const double *m = cmu + ((size_t)k * NP + p) * K, *v = cvar + ((size_t)k * NP + p) * K;
                snf_uq_param q = snf_uq_param_from_mixture(m, v, K);
                r->pred[i * NP + p] = pow(10.0, q.log10.mean);
                r->band[(i * NP + p) * 3 + 0] = q.std;
                r->band[(i * NP + p) * 3 + 1] = q.lo68;
                r->band[(i * NP + p) * 3 + 2] = q.hi68;
                r->pit[i * NP + p] = snf_mix_cdf(log10(r->truth[i * NP + p]), m, v, K);
            }
        }
        for (int p = 0; p < NP; p++) { /* the batch's mixtures of parameter p, row after row */
            for (int k = 0; k < nb; k++) {
                tl[k] = log10(r->truth[(done + k) * NP + p]);
                memcpy(pm + (size_t)k * K, cmu + ((size_t)k * NP + p) * K, (size_t)K * sizeof *pm);
                memcpy(pv + (size_t)k * K, cvar + ((size_t)k * NP + p) * K, (size_t)K * sizeof *pv);
            }
            snf_calib_add(&cs[p], tl, pm, pv, K, nb);
        }
        done += nb;
    }
    for (int p = 0; p < NP; p++) {
        snf_calib_finish(&cs[p], &r->cal[p]);
    }
done:
    free(brow);
    free(x);
    free(y);
    free(feat);
    free(cmu);
    free(cvar);
    free(tl);
    free(pm);
    free(pv);
    return rc < 0 ? rc : SNF_OK;
}

/* ---- public API ---- */

int snf_eval_dataset(snf_eval_result *r, snf_uq_model *um, const char *dpath, long max_rows, int calibrated)
{
    memset(r, 0, sizeof *r);
    r->read_failed = 1;
    const snf_ckpt *ck = &um->ck;
    snf_data *d = NULL;
    snf_batcher *b = NULL;
    long *usable = NULL, n = 0;
    int rc = snf_data_open(&d, dpath, &ck->spec, 1024);
    if (rc >= 0) {
        rc = snf_data_usable_rows(d, &usable, &n, &r->skipped);
    }
    if (rc >= 0 && n == 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s has no usable rows (status >= 0)", dpath);
    }
    if (rc >= 0) {
        rc = snf_batcher_alloc(&b, d, &ck->norm, usable, n, SNF_EVAL_BATCH, max_rows, 0, 0);
    }
    if (rc < 0) {
        goto done;
    }
    r->read_failed = 0;
    const int NP = SNF_DATA_NP;
    r->n = n;
    r->rows = malloc((size_t)n * sizeof *r->rows);
    r->truth = malloc((size_t)n * NP * sizeof *r->truth);
    r->pred = malloc((size_t)n * NP * sizeof *r->pred);
    r->band = malloc((size_t)n * NP * 3 * sizeof *r->band);
    r->pit = malloc((size_t)n * NP * sizeof *r->pit);
    r->oodp = malloc((size_t)n * sizeof *r->oodp);
    if (!r->rows || !r->truth || !r->pred || !r->band || !r->pit || !r->oodp) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    if ((rc = snf_eval_score(r, um, b, calibrated)) < 0) {
        goto done;
    }
    for (long i = 0; i < n * NP; i++) { /* checked before anything is reported */
        if (!isfinite(r->pred[i])) {
            rc = snf_error_report(SNF_ENONFINITE, __FILE__, __LINE__, __func__,
                                  "the model gives a non-finite %s (%g) for row %ld of %s: the model file %s may be "
                                  "damaged", snf_axis_name((snf_axis_target)(i % NP)), r->pred[i], r->rows[i / NP],
                                  dpath, um->path);
            goto done;
        }
    }
    rc = snf_metrics_compute(&r->m, r->truth, r->pred, n);
    if (rc >= 0) {
        rc = snf_metrics_baseline(&r->base, r->truth, n, &ck->norm);
    }
    if (rc < 0) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    if ((rc = snf_eval_keypoints(dpath, r->rows, r->truth, n, r->kmape, r->kn)) < 0) {
        rc = snf_error_report(rc, __FILE__, __LINE__, __func__, "key-point baseline: %s", snf_error_last_message());
    }
done:
    free(usable);
    snf_batcher_free(b);
    snf_data_close(d);
    return rc < 0 ? rc : SNF_OK;
}

void snf_eval_result_free(snf_eval_result *r)
{
    free(r->rows);
    free(r->truth);
    free(r->pred);
    free(r->band);
    free(r->pit);
    free(r->oodp);
    memset(r, 0, sizeof *r);
}
