/* api.c: the stable entry points of api.h. The physics settings go through the campaign parser
 * (config.c) inside a one-model campaign text, so that every [physics] key a campaign accepts is
 * accepted here with the same checks and messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/api.h"
#include "snforge/config.h"
#include "snforge/model.h"
#include "snforge/status.h"

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
    const char *ph = physics ? physics : "";
    size_t n = strlen(ph) + 512;
    char *text = malloc(n);
    if (!text) {
        SNF_ERROR(SNF_ENOMEM, "simulate: out of memory");
    }
    /* The parameters are checked by snf_model_run (its messages name them); the [param.*] values here
     * only satisfy the campaign format. */
    snprintf(text, n,
             "[physics]\n%s\n[campaign]\nmodel = semi-analytic\nsampler = grid\nn_models = 1\nseed = 0\n"
             "[param.energy]\nvalue = 1\n[param.mass]\nvalue = 1\n[param.radius]\nvalue = 1e12\n"
             "[param.nickel]\nvalue = 0.1\n[time]\nstart = 0\nend = 1\nstep = 1\n", ph);
    snf_campaign c;
    int rc = snf_config_parse(&c, text, "physics");
    free(text);
    if (rc < 0) {
        return rc;
    }
    snf_physics phys = c.physics;
    snf_config_free(&c);
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
    rc = snf_model_run(m, &p, &phys, t_days, T, &lc);
    snf_model_free(m);
    return rc;
}
