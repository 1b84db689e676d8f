/* validation.h: the door of validation/, the semi-analytic model against hydrodynamical light curves.
 * Owns: residuals by phase, peak differences and best-fit semi-analytic parameters for each hydro model
 * of a dataset file, and their report (valid.h).
 * Never: training or inference. Stands on core, solvers, models, rhd and grids.
 * Prefixes: snf_valid_ */
#ifndef SNFORGE_DOOR_VALIDATION_H
#define SNFORGE_DOOR_VALIDATION_H

#include "snforge/export.h"
#include "snforge/validation/valid.h"

#endif
