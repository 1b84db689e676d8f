/* solvers.h: the door of solvers/, numerics that know no physics.
 * Owns: the CVODE wrapper for small dense systems with root functions (ode.h); the affine-invariant
 * ensemble sampler, the integrated autocorrelation time and the edge test of its chains (mcmc.h).
 * Never: physics, files, networks. Stands on core.
 * Prefixes: snf_autocorr_ snf_edge_ snf_mcmc_ snf_ode_ */
#ifndef SNFORGE_DOOR_SOLVERS_H
#define SNFORGE_DOOR_SOLVERS_H

#include "snforge/export.h"
#include "snforge/solvers/ode.h"
#include "snforge/solvers/mcmc.h"

#endif
