/* grids.h: the door of grids/, campaigns of light curves.
 * Owns: campaign files and their axes (config.h), points of the unit cube (sampler.h), running a campaign
 * with OpenMP / MPI, resumable (grid.h), the dataset file (dataset.h), light curves of hydro codes read,
 * resampled and written as datasets, and progenitor profiles as files (import.h), the stable entry point
 * for other languages (api.h).
 * Never: networks, training, inference. Stands on core, solvers, models and rhd.
 * Prefixes: snf_api_ snf_axis_ snf_columns_ snf_config_ snf_dataset_ snf_grid_ snf_hydro_ snf_profile_
 *           snf_sampler_ snf_time_ */
#ifndef SNFORGE_DOOR_GRIDS_H
#define SNFORGE_DOOR_GRIDS_H

#include "snforge/export.h"
#include "snforge/grids/config.h"
#include "snforge/grids/sampler.h"
#include "snforge/grids/grid.h"
#include "snforge/grids/dataset.h"
#include "snforge/grids/import.h"
#include "snforge/grids/api.h"

#endif
