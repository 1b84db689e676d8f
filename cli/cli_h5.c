/* cli_h5.c: one-row dataset files for `snforge simulate -o x.h5`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_util.h"
#include "snforge/grids.h"
#include "snforge/core.h"

int snf_cli_write_one_row(const char *path, const snf_sn_params *p, const snf_physics *ph, const double *t,
                          int T, const double *L, const double *v, int status, const snf_lc_derived *d)
{
    const char *names[4], *units[4];
    for (int k = 0; k < 4; k++) {
        names[k] = snf_axis_name((snf_axis_target)k);
        units[k] = snf_axis_units((snf_axis_target)k);
    }
    char source[64], config[512];
    snprintf(source, sizeof source, "semi-analytic:%s", snf_closure_name(ph->closure));
    snprintf(config, sizeof config,
             "snforge simulate --energy %.17g --mass %.17g --radius %.17g --nickel %.17g --model %s "
             "--kappa %.17g --t-ion %.17g --q-rec %.17g --eth-fraction %.17g --heating %s --gamma %d "
             "--kappa-gamma %.17g --a-gamma %.17g --x-floor %.17g --x-end %.17g --rtol %.17g",
             p->energy_foe, p->mass_msun, p->radius_cm, p->nickel_msun, snf_closure_name(ph->closure),
             ph->kappa_cm2_g, ph->t_ion_K, ph->q_rec_erg_g, ph->eth_fraction,
             ph->heating == SNF_HEATING_BATEMAN ? "bateman" : "nadyozhin", (int)ph->gamma_mode,
             ph->kappa_gamma_cm2_g, ph->a_gamma_d2, ph->x_floor, ph->x_end, ph->rtol);
    snf_dataset_meta meta = {.source = source, .param_names = names, .param_units = units,
                             .config_text = config, .sampler = "single", .seed = 0, .deflate = 4,
                             .chunk_rows = 1};
    const double params[4] = {p->energy_foe, p->mass_msun, p->radius_cm, p->nickel_msun};
    float *lg = malloc((size_t)T * sizeof *lg), *vf = malloc((size_t)T * sizeof *vf);
    if (!lg || !vf) {
        free(lg);
        free(vf);
        SNF_ERROR(SNF_ENOMEM, "cannot allocate %d-point rows", T);
    }
    for (int k = 0; k < T; k++) {
        lg[k] = L[k] > 0 ? (float)log10(L[k]) : NAN; /* log_lbol is NaN where L is not positive */
        vf[k] = (float)v[k];
    }
    int rc = snf_dataset_write_rows(path, &meta, 1, 4, T, t, params, lg, vf, &status, d);
    free(lg);
    free(vf);
    return rc;
}
