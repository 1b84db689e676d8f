/* infer/answer.h: the one inference path. "Answer one observed supernova" as a library call: read the
 * observation file, check that it carries the series the model was trained on and that they overlap
 * the model's grid, resample and encode it as the network's input, then predict with intervals, the
 * OOD test and the training-range flags (uq.h), marginalised over the explosion epoch's uncertainty when
 * one is stated. `snforge predict` (one file or a catalogue), `plan` and `explain` call it; the Python
 * package mirrors it (python/snforge: predict_observation_uq). Beside it, the scoring of a model on a whole
 * dataset (`snforge evaluate`).
 * It does not train (train.h) and prints nothing: failures come back as status codes with a message
 * (snf_error_last_message) naming the file and what was expected. */
#ifndef SNFORGE_INFER_ANSWER_H
#define SNFORGE_INFER_ANSWER_H

#include "snforge/export.h"

#include <stdio.h>

#include "snforge/train.h"
#include "snforge/infer/uq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Explosion-epoch nodes of the marginalisation: the answer for an epoch uncertain by sigma days is the
 * equally weighted mixture of the answers with every observed time shifted by delta_i = sigma
 * Phi^-1((i + 1/2) / N), i = 0..N-1 (Phi the standard normal CDF; the middle node is the stated epoch),
 * rows that the shift puts at or before the explosion dropped. */
#define SNF_INFER_T0_NODES 9

/* What an observation gave the model. */
typedef struct snf_infer_obs {
    long rows, n_L, n_v;      /* rows of the file and values per series */
    long n_combined;          /* repeated epochs folded into one value (data.h: snf_obs_parse) */
    int covered_L, covered_v; /* model grid samples each series covers at the stated epoch (0 for a series
                               * the model ignores) */
    int uses_L, uses_v;       /* the model reads the series */
    double t0_err_d;          /* the explosion epoch's uncertainty marginalised over (0: none) */
    int t0_nodes;             /* epochs the answer mixes (1, or SNF_INFER_T0_NODES) */
} snf_infer_obs;

/* Reads, checks and encodes the observation file obs_path for model m into x (snf_data_spec_cin(spec) x
 * spec.L floats, the caller's), at the stated explosion epoch: SNF_EINVAL naming the file when a series
 * the model was trained on has no values in it or does not overlap the model's grid; the reader's own
 * codes for a bad file (SNF_EFORMAT, SNF_EIO). info may be NULL. */
SNF_API int snf_infer_encode_file(const snf_uq_model *m, const char *obs_path, float *x, snf_infer_obs *info);

/* The answer for an encoded input x (from snf_infer_encode_file; name names it in messages):
 * snf_uq_model_predict, then a mean, standard deviation or 95% bound that is not finite and positive is
 * SNF_ENONFINITE (the model file may be damaged, or the observation far outside its training range):
 * nothing unusable is returned as an answer. */
SNF_API int snf_infer_answer(snf_uq_model *m, const float *x, const char *name, snf_uq_pred *pred);

/* The whole answer for one observation file. t0_err_d >= 0: the explosion epoch's 1-sigma uncertainty in
 * days (0: exact); < 0 or NaN: the file's own '# t0_err_d' line, else exact. With an uncertainty the answer
 * is marginalised over SNF_INFER_T0_NODES epochs (above); the OOD test is the stated epoch's. info may be
 * NULL. */
SNF_API int snf_infer_answer_file(snf_uq_model *m, const char *obs_path, double t0_err_d, snf_uq_pred *pred,
                                  snf_infer_obs *info);

/* ---- evaluating a dataset (evaluate.c) ---- */

/* Rows the network answers at a time: open the model with snf_uq_model_open(m, path, SNF_EVAL_BATCH). */
#define SNF_EVAL_BATCH 64

/* A model scored on every usable row (status >= 0) of a dataset file, rows in file order. */
typedef struct snf_eval_result {
    long n, skipped;   /* rows scored; rows left out (status < 0, or parameters not finite and positive) */
    long n_flag;       /* rows the OOD test flags (p < alpha or beyond every validation row; 0 without OOD) */
    long *rows;        /* [n] the dataset rows */
    double *truth;     /* [n][4] true parameters (linear) */
    double *pred;      /* [n][4] 10^(mixture mean of log10) */
    double *band;      /* [n][4][3] std, lo68, hi68 (linear) */
    double *pit;       /* [n][4] mixture CDF of log10 truth (the reliability curve's input) */
    double *oodp;      /* [n] OOD p-values (meaningful when the model has an OOD fit) */
    snf_metrics m, base;        /* the network; predict-the-training-mean */
    snf_calib cal[SNF_DATA_NP]; /* coverage and NLL (snf_calib_add: the one calibration scorer) */
    double kmape[SNF_DATA_NP];  /* the key-point baseline's MAPE (%) over the rows in each estimate's domain */
    long kn[SNF_DATA_NP];       /* and their number (kmape NaN when 0) */
    int read_failed;            /* the failure was in reading the dataset (bad input), not in scoring it */
} snf_eval_result;

/* Scores m (opened for SNF_EVAL_BATCH rows) on dataset dpath, max_rows rows encoded in memory at a time,
 * with the model's calibration when calibrated = 1 and it has one. SNF_EINVAL when dpath has no usable row;
 * SNF_ENONFINITE naming the row when the model gives a non-finite prediction; the readers' codes. r is
 * freed with snf_eval_result_free (also after a failure). */
SNF_API int snf_eval_dataset(snf_eval_result *r, snf_uq_model *m, const char *dpath, long max_rows, int calibrated);
SNF_API void snf_eval_result_free(snf_eval_result *r);

/* ---- catalogue mode (catalogue.c) ---- */

/* One object of a catalogue list: a CSV with the header name,path or name,path,t0_err_d (a UTF-8 BOM,
 * CRLF, '#' comments and blank lines are fine; names may be quoted with "" for a quote; paths relative
 * to the list's folder). */
typedef struct snf_catalogue_entry {
    char *name, *path; /* path resolved against the list's folder */
    double t0_err_d;   /* NaN: the column is absent or empty (the file's own line applies) */
    int line;          /* line of the list */
} snf_catalogue_entry;

typedef struct snf_catalogue {
    long n;
    snf_catalogue_entry *e;
} snf_catalogue;

/* Reads a list: SNF_EFORMAT naming list:line for a bad header, a row without a name or path, a bad
 * t0_err_d; SNF_EINVAL / SNF_EIO for a missing or unreadable list. */
SNF_API int snf_catalogue_read(snf_catalogue *c, const char *list_path);
SNF_API void snf_catalogue_free(snf_catalogue *c);

/* One object's answer: ok, or the reason it has none (an object that cannot be answered never stops the
 * others). */
typedef struct snf_catalogue_result {
    int ok;
    char message[512]; /* why not (ok = 0); notes such as combined repeats (ok = 1) */
    snf_uq_pred pred;
    snf_infer_obs info;
} snf_catalogue_result;

/* Answers every object of c into out[c->n], the network run on batches of objects (m opened with a
 * max_B of 64 or more answers up to 64 rows per pass). Returns SNF_OK when every object was tried (each
 * result says ok or why not), or < 0 when the model itself failed. */
SNF_API int snf_catalogue_answer(snf_uq_model *m, const snf_catalogue *c, snf_catalogue_result *out);

/* The table: one row per object and parameter, header
 * name,parameter,mean,std,lo68,hi68,lo95,hi95,unit,ood_score,ood_p_value,ood_flag,outside_range,status,message
 * (names and messages quoted as CSV requires; empty numbers for an object without an answer; ood_score
 * and ood_p_value empty when the model has no OOD fit, ood_flag then 'unavailable'). */
SNF_API int snf_catalogue_write_csv(FILE *f, const snf_uq_model *m, const snf_catalogue *c,
                                    const snf_catalogue_result *r);

#ifdef __cplusplus
}
#endif

#endif
