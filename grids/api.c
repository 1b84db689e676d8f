/* api.c: the stable entry points of api.h. The physics settings go through the campaign parser's
 * [physics] rules (snf_config_parse_physics, over the one table of physics keys of model.h), so that every
 * [physics] key a campaign accepts is accepted here with the same checks and messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/models.h"
#include "snforge/core.h"

int snf_api_simulate(const char *physics, double energy_foe, double mass_msun, double radius_cm,
                     double nickel_msun, const double *t_days, int T, double *L_erg_s, double *vph_km_s)
{
    if (T < 1 || !t_days || !L_erg_s || !vph_km_s) {
        SNF_ERROR(SNF_EINVAL, "simulate: t must hold at least one time (got %d) and L, v_ph buffers", T);
    }
    for (int k = 0; k < T; k++) {
        if (!isfinite(t_days[k]) || t_days[k] < 0 || (k > 0 && !(t_days[k] > t_days[k - 1]))) {
            SNF_ERROR(SNF_EINVAL, "simulate: t[%d] = %g: times must be finite, >= 0 and strictly increasing", k,
                      t_days[k]);
        }
    }
    snf_physics phys;
    SNF_CHECK(snf_config_parse_physics(&phys, physics ? physics : "", "physics"));
    SNF_CHECK(snf_physics_check(&phys));
    /* The same plausibility table and unit hints as the command line's options (model.h). */
    SNF_CHECK(snf_param_plausible("energy", "energy", NULL, energy_foe));
    SNF_CHECK(snf_param_plausible("mass", "mass", NULL, mass_msun));
    SNF_CHECK(snf_param_plausible("radius", "radius", NULL, radius_cm));
    SNF_CHECK(snf_param_plausible("nickel", "nickel", NULL, nickel_msun));
    snf_sn_params p = {energy_foe, mass_msun, radius_cm, nickel_msun};
    snf_model *m = snf_model_alloc();
    if (!m) {
        SNF_ERROR(SNF_ENOMEM, "simulate: cannot allocate the model workspace");
    }
    snf_lc lc = {.L_erg_s = L_erg_s, .vph_km_s = vph_km_s};
    int rc = snf_model_run(m, &p, &phys, t_days, T, &lc);
    snf_model_free(m);
    return rc;
}
