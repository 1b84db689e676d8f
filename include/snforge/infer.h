/* infer.h: the door of infer/, answers from trained models.
 * Owns: the one inference path, one observation file answered with intervals, OOD and range flags, and
 * the catalogue mode (answer.h); uncertainty: Gaussian mixtures, deep ensembles, calibration scoring, OOD,
 * the curriculum's deployable model, evaluate (uq.h); integrated-gradient explanations and observing plans
 * (explain.h); the Bayesian MCMC fit of the semi-analytic model (fit.h).
 * Never: campaigns of its own, or training loops of its own (it calls train.h's). Stands on every room
 * below it.
 * Prefixes: snf_calib_ snf_catalogue_ snf_eval_ snf_explain_ snf_fit_ snf_infer_ snf_mix_ snf_ood_ snf_plan_
 *           snf_uq_ */
#ifndef SNFORGE_DOOR_INFER_H
#define SNFORGE_DOOR_INFER_H

#include "snforge/export.h"
#include "snforge/infer/answer.h"
#include "snforge/infer/uq.h"
#include "snforge/infer/explain.h"
#include "snforge/infer/fit.h"

#endif
