/* rhd.h: the door of rhd/, the radiation-hydrodynamics light-curve code.
 * Owns: the 1D Lagrangian code with SNEC 1.01's physics, its inputs (SNEC parameter files, profiles, OPAL
 * tables), light curves, photospheric and Fe II velocities (hydro.h); toy blue-supergiant progenitors
 * built in memory (progenitor.h).
 * Never: campaigns, dataset files, networks (a hydro campaign is grids.h's; profiles as files are
 * grids/import.h's). Stands on core, solvers and models.
 * Prefixes: snf_prog_ snf_rhd_ */
#ifndef SNFORGE_DOOR_RHD_H
#define SNFORGE_DOOR_RHD_H

#include "snforge/export.h"
#include "snforge/rhd/hydro.h"
#include "snforge/rhd/progenitor.h"

#endif
