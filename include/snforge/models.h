/* models.h: the door of models/, the semi-analytic physics.
 * Owns: the 87A-like light-curve model with its closures, heating and derived summaries, the physics
 * settings and their keys, the four parameters' names and units (model.h); key points of any bolometric
 * light curve and the classical estimates they give (keypoints.h).
 * Never: files, campaigns, datasets, networks. Stands on core and solvers.
 * Prefixes: snf_closure_ snf_gamma_ snf_heating_ snf_keypoints_ snf_model_ snf_param_ snf_physics_ snf_sn_ */
#ifndef SNFORGE_DOOR_MODELS_H
#define SNFORGE_DOOR_MODELS_H

#include "snforge/export.h"
#include "snforge/models/model.h"
#include "snforge/models/keypoints.h"

#endif
