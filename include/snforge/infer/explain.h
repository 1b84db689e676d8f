/* infer/explain.h: which days of which series the network's answer rests on. Integrated gradients
 * (Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep networks", ICML) from the baseline
 * x' = 0, which in the encoded input is every series at its training mean with its mask channel at 0:
 * the all-missing input; the path integral by the midpoint rule over `steps` points, the gradient at
 * each point by central differences (h = 1e-4 standardised units) of the eval-mode network. The path is
 * x' + a (x - x') + a (1 - a) delta, a fixed pseudo-random bow (|delta_i| <= 0.2) vanishing at both
 * ends (a path method, Sundararajan et al. sec. 2.1): the encoded input has exact ties (constant mask
 * channels, filled samples) where max-pooling has no gradient and central differences credit every
 * tied sample, so a straight path over-counts by up to 1.5x; the bow breaks the ties. Completeness,
 * sum_i attr_i = F(x) - F(x'), then holds to the quadrature and difference error (0.3% at 256 steps
 * in tests/test_uq.c). Occlusion
 * (Zeiler & Fergus 2014): a window of `win` samples of one series set to missing (value 0, mask 0),
 * slid by `stride`; a sample's importance is the mean |change| of the outputs over the windows that
 * cover it. F is the ensemble's mean of the log10 parameter (dex). Phases as the model-vs-hydro
 * comparison (valid.h's defaults) on the object's own grid luminosity: early t < 30 d, peak within
 * 10 d of the brightest sample, rise between, fall until 15 d after the steepest decline of log L,
 * tail after. It trains nothing and reads no files. */
#ifndef SNFORGE_INFER_EXPLAIN_H
#define SNFORGE_INFER_EXPLAIN_H

#include "snforge/export.h"

#include "snforge/infer/uq.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SNF_EXPLAIN_EARLY, SNF_EXPLAIN_RISE, SNF_EXPLAIN_PEAK, SNF_EXPLAIN_FALL, SNF_EXPLAIN_TAIL, SNF_EXPLAIN_NPHASE };

/* "early", "rise", "peak", "fall", "tail". */
SNF_API const char *snf_explain_phase_name(int phase);

/* F(x) for n encoded rows: out[n][NP], the members' mean of the predicted log10 parameter. */
SNF_API int snf_explain_outputs(snf_uq_model *m, const float *x, long n, double *out);

/* Integrated gradients of one encoded row x[C_in T]: attr[NP][C_in][T] (dex per input) and
 * delta[NP] = F(x) - F(0). steps >= 1. SNF_ENOMEM or the network's errors. */
SNF_API int snf_explain_ig(snf_uq_model *m, const float *x, int steps, double *attr, double *delta);

/* Occlusion of one encoded row: imp[NP][nseries][T] (dex), windows of win samples, stride >= 1. */
SNF_API int snf_explain_occlusion(snf_uq_model *m, const float *x, int win, int stride, double *imp);

/* The phase of each grid sample phase[T] from the row's luminosity channel (all SNF_EXPLAIN_EARLY
 * before 30 d, else by the rules above; without a luminosity channel: by day only, peak at the middle). */
SNF_API void snf_explain_phases(const snf_uq_model *m, const float *x, int *phase);

/* Integrated gradients and occlusion of n encoded rows x[n][C_in T], averaged over the rows (snforge
 * explain). ig_day / oc_day [NP][nseries][T]: per parameter, series and grid sample the mean over rows of
 * |attribution| (the value and mask channels together) and of the occlusion importance (dex); frac[0|1]
 * [NP][phase]: the mean over rows of each phase's share of a row's IG / occlusion total (the row's own
 * phases, snf_explain_phases); worst: the largest relative completeness error |sum attr - delta| /
 * max(|delta|, 1e-3) over rows and parameters. progress (may be NULL) is called after each row. */
typedef struct snf_explain_avg {
    int nseries, T;
    double *ig_day, *oc_day;
    double frac[2][SNF_DATA_NP][SNF_EXPLAIN_NPHASE];
    double worst;
} snf_explain_avg;
SNF_API int snf_explain_average(snf_uq_model *m, const float *x, long n, int steps, int win, int stride,
                                snf_explain_avg *out, void (*progress)(long done, long n, void *ctx), void *ctx);
SNF_API void snf_explain_avg_free(snf_explain_avg *a);

/* ---- observing plans (plan.c) ---- */

/* Greedy observing plan (a myopic design: each step takes the single best next observation). The
 * model must have mask channels. x0[C_in T]: the encoded starting input (all missing, or a partial
 * observation); full[C_in T]: an encoded curve the new observations are drawn from (a stand-in for the
 * object). For k < K: among the (grid sample, series) observed in full and not yet an epoch, the one whose
 * addition (full's value at that day) gives the smallest mean over the parameters of the predicted mixture's
 * log10 standard deviation is added. The epochs (x0's observed samples and those added) are encoded as an
 * observation file with them is (snf_obs_encode: each series interpolated between its epochs), so needs the
 * model's normalisation (m->ck.norm). Writes sample[K], series[K] (index among the
 * model's series), std_k[K][NP] (dex, after step k), std0[NP] at x0 and std_full[NP] with all of full.
 * SNF_EINVAL without mask channels or when fewer than K candidates remain. */
SNF_API int snf_plan_greedy(snf_uq_model *m, const float *x0, const float *full, int K, int *sample, int *series,
                    double *std_k, double *std0, double *std_full);

/* Where v_ph cannot be observed: clears the v_ph samples of the encoded curve full[C_in T] after day
 * t_last_d (value to the training mean, mask 0), so snf_plan_greedy never proposes them. The caller gives
 * the day the photosphere is gone: the model already marks v_ph missing once its recombination front is
 * gone (mask 0); after the end of the dome the front has swept the hydrogen envelope and the spectrum turns
 * nebular, so absorption minima no longer measure a photosphere even where the model's front lingers.
 * Returns the samples cleared (0 without a v_ph channel or with t_last_d NaN). */
SNF_API int snf_plan_vph_until(const snf_uq_model *m, float *full, double t_last_d);

/* The plan for one object (snforge plan): the stand-in curve is the usable row (among the first 20,000) of
 * dataset dpath whose standardised log10 parameters are nearest the answer for the observation file
 * obs_path (snf_infer_encode_file / snf_infer_answer, the one inference path), or nearest the training mean
 * when obs_path is NULL; its v_ph is cleared after the end of its dome (derived/t_plateau_end_d, when the
 * file has it: snf_plan_vph_until), the observation's samples replace the stand-in's, and snf_plan_greedy
 * picks K observations starting from the observation (or from nothing). Reads files, prints nothing; free
 * r with snf_plan_result_free (also after a failure). */
typedef struct snf_plan_result {
    int K;
    long row;            /* the stand-in's dataset row */
    double t_vph_end;    /* the day v_ph is proposed to (NaN: wherever the stand-in has it) */
    int n_cleared;       /* grid samples of v_ph left out after it */
    int *sample, *series; /* [K] grid sample and series (index among the model's) of each observation */
    double *std_k;       /* [K][NP] predicted std (dex) after each */
    double std0[SNF_DATA_NP], std_full[SNF_DATA_NP]; /* at the start; with the whole stand-in curve */
} snf_plan_result;
SNF_API int snf_plan_observations(snf_uq_model *m, const char *obs_path, const char *dpath, int K, snf_plan_result *r);
SNF_API void snf_plan_result_free(snf_plan_result *r);

#ifdef __cplusplus
}
#endif

#endif
