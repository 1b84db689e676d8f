/* infer/uq.h: uncertainty for the regressor of net.h / train.h. A Gaussian output head and its negative
 * log-likelihood loss; Gaussian mixtures (deep ensembles x Monte Carlo dropout) summarised by mean,
 * standard deviation and quantile intervals; coverage and NLL scoring; a variance scale fitted on
 * validation rows; the out-of-distribution score (Mahalanobis distance of the pooled features) and the
 * training ranges; all stored in the model file's /uq group and used by predict, evaluate and explain.
 * Everything here works on standardised log10 targets (the network's space) unless a name says
 * otherwise. It does not train networks (train.h) nor read observations (data.h). */
#ifndef SNFORGE_INFER_UQ_H
#define SNFORGE_INFER_UQ_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdint.h>

#include "snforge/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Gaussian mixtures (mixture.c) ---- */

/* A one-dimensional summary of an equal-weight mixture of n Gaussians N(mu_i, var_i). */
typedef struct snf_mix_summary {
    double mean, std;          /* of the mixture: mean of mu; var = mean(var_i + mu_i^2) - mean^2 */
    double lo68, hi68, lo95, hi95; /* central intervals: quantiles 0.15866/0.84134 and 0.025/0.975 */
} snf_mix_summary;

/* Summarises the mixture (n >= 1; var_i >= 0: a zero variance is a point mass, handled through a
 * floor of 1e-12 x the squared spread scale). Quantiles by bisection on the mixture CDF to 1e-10 of
 * the bracket (the CDF is monotone, so the root is unique). */
SNF_API snf_mix_summary snf_mix_summarise(const double *mu, const double *var, int n);
/* Mixture CDF and log density at x (same floor). */
SNF_API double snf_mix_cdf(double x, const double *mu, const double *var, int n);
SNF_API double snf_mix_logpdf(double x, const double *mu, const double *var, int n);
/* The x with mixture CDF q in (0, 1). */
SNF_API double snf_mix_quantile(double q, const double *mu, const double *var, int n);

/* Coverage and NLL of n predictions of one parameter: cover68/95 in percent of truths inside
 * [lo68, hi68] / [lo95, hi95] (bounds included); nll = mean of -logpdf(truth) over the rows, each
 * row's mixture given by mu/var rows of ncomp components (row i at mu + i ncomp). */
typedef struct snf_calib {
    long n;
    double cover68, cover95, nll;
} snf_calib;
SNF_API void snf_calib_score(snf_calib *c, const double *truth, const double *mu, const double *var, int ncomp, long n);
/* The same score over rows that arrive in blocks (snforge evaluate streams a dataset): a zeroed sum, then
 * snf_calib_add per block (rows as in snf_calib_score), then snf_calib_finish; the figures equal
 * snf_calib_score's on all the rows at once, bit for bit (snf_calib_score is add and finish on one block). */
typedef struct snf_calib_sum {
    long n, in68, in95;
    double nll; /* sum of -logpdf(truth) */
} snf_calib_sum;
SNF_API void snf_calib_add(snf_calib_sum *s, const double *truth, const double *mu, const double *var, int ncomp,
                           long n);
SNF_API void snf_calib_finish(const snf_calib_sum *s, snf_calib *c);

/* Variance scale (temperature) k > 0 for one parameter: the mixture of row i is rescaled about its mean
 * m_i: mu' = m_i + k (mu - m_i), var' = k^2 var; k minimises the mean NLL of the rows (golden-section
 * search of ln k over [ln 0.05, ln 20], 1e-6; Guo et al. 2017 temperature scaling, for regression as
 * Kuleshov et al. 2018 / Levi et al. 2022 "Evaluating and calibrating uncertainty prediction in
 * regression tasks"). Fitted on validation rows only. */
SNF_API double snf_calib_fit_scale(const double *truth, const double *mu, const double *var, int ncomp, long n);
/* Applies scale k to one row's ncomp components in place. */
SNF_API void snf_mix_rescale(double *mu, double *var, int ncomp, double k);
/* The residual variance s2 >= 0 of one parameter that, added to every component, calibrates point predictions
 * (an MSE head, one member: every var 0): the maximum-likelihood variance of N(0, s2) for the residuals
 * truth - pred of n rows, s2 = mean (truth - pred)^2 (0 for n = 0). */
SNF_API double snf_calib_fit_var_add(const double *truth, const double *pred, long n);

/* ---- out-of-distribution score (ood.c) ---- */

/* Mahalanobis distance of the pooled features (the global-average-pooling output that feeds the head;
 * Lee et al. 2018, "A simple unified framework for detecting out-of-distribution samples and adversarial
 * attacks", NeurIPS, with one class): d2 = (f - m)^T S^-1 (f - m), m and S the mean and covariance of
 * the training rows' features, S shrunk towards a scaled identity, S' = (1 - l) S + l (tr S / D) I
 * (Ledoit & Wolf 2004's target, with a fixed l = [uncertainty] ood_shrinkage, 0.1), so dead or
 * collinear features keep S' invertible. The p-value is empirical on validation rows:
 * p = (1 + #{validation d2 >= d2}) / (n_ref + 1), uniform for an in-distribution object. */
typedef struct snf_ood {
    int D;           /* feature dimension */
    double *mean;    /* [D] */
    double *chol;    /* [D][D] lower Cholesky factor of S' (row-major, upper part unused) */
    long n_ref;
    double *ref_d2;  /* [n_ref] validation d2, ascending */
} snf_ood;

/* Fits mean and shrunk covariance on n >= 2 feature rows feat[n][D]. SNF_ENOMEM, SNF_EINVAL (n < 2),
 * SNF_ENONFINITE (S' not positive definite: cannot happen for shrinkage > 0 unless features are NaN). */
SNF_API int snf_ood_fit(snf_ood *o, const float *feat, long n, int D, double shrinkage);
/* d2 of one feature row f[D]. */
SNF_API double snf_ood_d2(const snf_ood *o, const float *f);
/* Stores the sorted d2 of n reference (validation) rows. */
SNF_API int snf_ood_set_reference(snf_ood *o, const float *feat, long n);
/* The empirical p-value of d2 (1 when there is no reference). */
SNF_API double snf_ood_pvalue(const snf_ood *o, double d2);
SNF_API void snf_ood_free(snf_ood *o);

/* ---- the uncertainty-aware model (uq_model.c) ---- */

/* One parameter of one object: in physical units (foe, Msun, cm, Msun) the mixture's mean and standard
 * deviation (from the log-normal moments of each component: the network's mixture lives in log10) and
 * the central intervals (10^ the log10 quantiles); and the log10-space summary. */
typedef struct snf_uq_param {
    double mean, std, lo68, hi68, lo95, hi95;
    snf_mix_summary log10;
} snf_uq_param;

typedef struct snf_uq_pred {
    snf_uq_param p[SNF_DATA_NP];
    double ood_d2, ood_p; /* NaN, 1 without an OOD fit */
    int ood_flag;         /* ood_p < alpha, or d2 beyond every validation row's, or near_flag */
    int near_flag;        /* the nearest training curve is farther than SNF_UQ_NEAR_TOL_DEX (snf_uq_pred_nearest) */
    double near_dex;      /* its RMS distance in log10 L_bol over the observed samples (NaN: not tested) */
    int outside[SNF_DATA_NP]; /* mean or 95% interval leaves the training range */
    int n_outside;
    int excludes[SNF_DATA_NP]; /* the whole 95% interval lies outside the training range (never trained on) */
    int n_excludes;
} snf_uq_pred;

/* A model file with its /uq group (absent: one member, no calibration, no OOD, no ranges). */
typedef struct snf_uq_model {
    snf_ckpt ck;
    int members, mc_samples;
    float *member_params, *member_stats; /* [members][nparams], [members][nstats] */
    int calibrated;
    double var_scale[SNF_DATA_NP];       /* 1 when not calibrated */
    double var_add[SNF_DATA_NP];         /* log10 variance added to every component after the scale (0: none;
                                          * /uq/var_add, a residual variance for networks with an MSE head) */
    char calib_source[256];              /* what the calibration was fitted on ("" when not said; /uq attribute
                                          * calibration_source) */
    int has_ranges;
    double range_lo[SNF_DATA_NP], range_hi[SNF_DATA_NP]; /* physical, over the training rows */
    int has_ood;
    snf_ood ood;
    float ood_alpha;
    int has_nearest;
    float *near_rows;                    /* [near_n][L] log10 L_bol (erg/s) of training rows on the grid (NaN where
                                          * not observed); /uq/near_lbol, optional */
    long near_n;
    snf_net *net;
    int max_B;
    char path[1024]; /* the file it was opened from (for messages) */
} snf_uq_model;

/* Reads path (snf_ckpt_read's errors; SNF_EFORMAT for a malformed /uq) and lays out a network for
 * batches of max_B. */
SNF_API int snf_uq_model_open(snf_uq_model *m, const char *path, int max_B);
/* Components per row: K = members x mc_samples Gaussians per parameter in log10 units, mu/var
 * [n][NP][K]; feat [n][D] (may be NULL) the pooled features of member 0 in eval mode. Calibration
 * is applied when the model has it and calibrated_out = 1. */
SNF_API int snf_uq_model_components(snf_uq_model *m, const float *x, long n, int calibrated_out, double *mu, double *var,
                            float *feat);
/* Pooled features feat[n][D] of member 0 in eval mode. */
SNF_API int snf_uq_model_features(snf_uq_model *m, const float *x, long n, float *feat);
SNF_API int snf_uq_model_ncomp(const snf_uq_model *m);
SNF_API int snf_uq_model_nfeat(const snf_uq_model *m);
/* One parameter's summary from its K log10 components. */
SNF_API snf_uq_param snf_uq_param_from_mixture(const double *mu, const double *var, int K);
/* Most components snf_uq_model_summarise pools (S rows x K components). */
#define SNF_UQ_MAX_POOL 4096
/* The answer from the components of S rows pooled as one equally weighted mixture of S K Gaussians per
 * parameter (S K <= SNF_UQ_MAX_POOL; S = 1: one row's answer, as snf_uq_model_predict gives it): mu/var
 * [S][NP][K] as snf_uq_model_components writes them; feat the D pooled features of the row whose OOD test
 * is reported (NULL: none). Training-range flags as for one row. */
SNF_API void snf_uq_model_summarise(const snf_uq_model *m, const double *mu, const double *var, int S,
                                    const float *feat, snf_uq_pred *out);
/* Predictions for n encoded rows x[n][C_in L] into out[n]. */
SNF_API int snf_uq_model_predict(snf_uq_model *m, const float *x, long n, snf_uq_pred *out);
/* (uq_caveat.c) What the answer is worth, in words, for a reader who will copy the numbers: whether it is an
 * extrapolation (the OOD flag, a parameter outside the training ranges, a 95% interval that excludes every
 * value trained on) and which numbers not to use; says so when the OOD test is not available (never "in
 * distribution" without one). Writes one or more sentences into buf (always terminated); returns 1 when
 * the answer is an extrapolation, else 0. do_not_use[k] is set for the parameters not to use (all four
 * when the input is flagged OOD). */
SNF_API int snf_uq_pred_caveat(const snf_uq_model *m, const snf_uq_pred *p, int do_not_use[SNF_DATA_NP],
                               char *buf, size_t n);
/* (uq_nearest.c) The nearest-curve part of the OOD test: an observation whose RMS distance in log10 L_bol, over
 * its observed samples of the grid (at least SNF_UQ_NEAR_MIN_SAMPLES shared), to the closest stored training row
 * exceeds SNF_UQ_NEAR_TOL_DEX is flagged OOD, whatever the features' distance says. 0.15 dex: on a 64-sample grid
 * the 87A-like objects (SN 1987A, 2018hna, 2000cb, 2006V, 2009E) lie within 0.07-0.12 dex of a 256-model
 * campaign and 0.07-0.10 of 2,048 models with the SNEC models, the red-supergiant plateaus (SN 2012aw, 2017eaw)
 * at 0.28-0.33 and 0.21, SN 1987A x30 at 1.1 (denser campaigns bring the plateaus closer: hence the midpoint). */
#define SNF_UQ_NEAR_TOL_DEX 0.15
#define SNF_UQ_NEAR_MIN_SAMPLES 3
/* SNF_UQ_NEAR_MAX_ROWS (train.h): most rows stored */
/* Stores encoded training rows x[n][C_in L], rows first..first+n-1 of total, every ceil(total / MAX_ROWS)-th
 * (none yet: starts the store); no-op without an L series. */
SNF_API int snf_uq_nearest_add(snf_uq_model *m, const float *x, long n, long first, long total);
/* Sets p's near_* fields for the encoded row x (and ood_flag when near_flag); no-op without stored rows. */
SNF_API void snf_uq_pred_nearest(const snf_uq_model *m, const float *x, snf_uq_pred *p);
/* ---- refitting the /uq group of a transferred model (uq_refit.c) ---- */

/* What snf_uq_refit builds the group from. Rows are encoded with the model's normalisation (C_in L floats). */
typedef struct snf_uq_refit_input {
    const char *const *members; /* finished model files of one network (members[0]'s checkpoint is kept) */
    int nmembers;
    const float *fit_x;         /* rows trained on: their pooled features fit the OOD mean and covariance */
    long n_fit;
    const double *fit_params;   /* [n_fit][4] physical: the training ranges (widened by keep_ranges) */
    const snf_uq_model *keep_ranges; /* a model whose training ranges are joined to these (NULL: none) */
    const float *ref_x;         /* held-out rows: the OOD reference d2 (n_ref = 0: no OOD test is stored) */
    long n_ref;
    /* calibration (n_cal = 0: none): log10 truths and point predictions [n_cal][4] made by networks that
     * never trained or selected on those rows; an additive residual variance per parameter */
    const double *cal_truth, *cal_pred;
    long n_cal;
    const char *calib_source;   /* stored as the /uq attribute calibration_source */
    double ood_shrinkage;       /* 0.1 as in training */
    float ood_alpha;            /* 0.01 */
} snf_uq_refit_input;

/* Writes out_path: members[0]'s checkpoint and a /uq group with every member's best weights, the training
 * ranges, the OOD fit and reference, and the calibration of in (written to out_path.uq.tmp and renamed over
 * out_path: never half-written). SNF_EINVAL (members of another network, unfinished), the files' errors. */
SNF_API int snf_uq_refit(const snf_uq_refit_input *in, const char *out_path);

/* ---- the curriculum's deployable model (uq_final.c) ---- */

/* After the finished k-fold experiment in opt->out_dir (snf_curr_run): trains the final members
 * (snf_curr_final_train, into out_dir/final/) and writes out_dir/final/model.h5 with its /uq group
 * (snf_uq_refit): the members; the training ranges of the semi-analytic training rows and every hydro model;
 * the OOD fit on their features (at most 20,000 semi-analytic rows and every hydro model), its reference the
 * held-out semi-analytic rows and the hydro models, each drawn as an observation when the stage that trained on
 * it did ([observe]: snf_curr_observe_rows); the calibration, an additive log10 residual variance per
 * parameter fitted on the out-of-fold predictions only (snf_curr_oof_collect, written to final/oof.csv),
 * calibration_source "curriculum out-of-fold, N hydro models, K folds". out_dir/final/fingerprint.txt holds
 * the member count: a rerun with another is refused (SNF_EINVAL). model.h5 written last and atomically: a
 * run that finds it is done. *info (may be NULL) gets the stage lengths. */
SNF_API int snf_uq_final(const snf_curr_config *c, const snf_curr_options *opt, int members,
                           snf_uq_final_info *info);

/* Writes m (its checkpoint and its /uq group, through the model file's one field table: snf_ckpt_write) as
 * the model file path: written to path.tmp, renamed over path (never half-written). SNF_EHDF5, SNF_EIO. */
SNF_API int snf_uq_model_write(const snf_uq_model *m, const char *path);
SNF_API void snf_uq_model_free(snf_uq_model *m);

/* ---- training with uncertainty (uq_train.c) ---- */

/* Trains cfg->uq.ensemble members (member k with seed + k; one member trains straight into
 * model_path, several into model_path.memberK.h5, cfg->uq.jobs at a time in child processes), then
 * writes model_path with the /uq group: every member's best weights, the training ranges, the OOD fit
 * (features of up to 20,000 training rows, reference d2 of the validation rows) and, with calibrate,
 * the per-parameter variance scale fitted on the validation rows. Resumes like snf_train_run. */
SNF_API int snf_uq_train(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum);

#ifdef __cplusplus
}
#endif

#endif
