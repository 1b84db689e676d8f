/* infer.h: the one inference path. "Answer one observed supernova" as a library call: read the
 * observation file, check that it carries the series the model was trained on and that they overlap
 * the model's grid, resample and encode it as the network's input, then predict with intervals, the
 * OOD test and the training-range flags (uq.h). `snforge predict`, `plan` and `explain` call it; the
 * Python package mirrors it (python/snforge: predict_observation_uq).
 * It does not train (train.h) and prints nothing: failures come back as status codes with a message
 * (snf_error_last_message) naming the file and what was expected. */
#ifndef SNFORGE_INFER_H
#define SNFORGE_INFER_H

#include "snforge/export.h"

#include "snforge/uq.h"

/* What an observation gave the model. */
typedef struct snf_infer_obs {
    long rows, n_L, n_v;        /* rows of the file and values per series */
    int covered_L, covered_v;   /* model grid samples each series covers (0 for a series the model ignores) */
    int uses_L, uses_v;         /* the model reads the series */
} snf_infer_obs;

/* Reads, checks and encodes the observation file obs_path for model m into x (snf_data_spec_cin(spec) x
 * spec.L floats, the caller's): SNF_EINVAL naming the file when a series the model was trained on has no
 * values in it or does not overlap the model's grid; the reader's own codes for a bad file (SNF_EFORMAT,
 * SNF_EIO). info may be NULL. */
SNF_API int snf_infer_encode_file(const snf_uq_model *m, const char *obs_path, float *x, snf_infer_obs *info);

/* The answer for an encoded input x (from snf_infer_encode_file; name names it in messages):
 * snf_uq_model_predict, then a mean, standard deviation or 95% bound that is not finite and positive is
 * SNF_ENONFINITE (the model file may be damaged, or the observation far outside its training range):
 * nothing unusable is returned as an answer. */
SNF_API int snf_infer_answer(snf_uq_model *m, const float *x, const char *name, snf_uq_pred *pred);

/* Both: the whole answer for one observation file. info may be NULL. */
SNF_API int snf_infer_answer_file(snf_uq_model *m, const char *obs_path, snf_uq_pred *pred, snf_infer_obs *info);

#endif
