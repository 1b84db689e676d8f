/* grids/api.h: stable entry points for callers in other languages (the Python package's ctypes calls into
 * libsnforge.so; python/snforge/simulate.py). Plain C types only: no structs whose layout may change
 * between versions, physics settings by name in the campaign file's [physics] syntax (config.h). */
#ifndef SNFORGE_GRIDS_API_H
#define SNFORGE_GRIDS_API_H

#include "snforge/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One semi-analytic model (model.h) at energy (foe), mass (Msun), radius (cm) and nickel (Msun), on the
 * T >= 1 strictly increasing times t_days (days since explosion, >= 0). physics is the text of a campaign's
 * [physics] section, "key = value" lines (the keys of model.h's table: closure, kappa, t_ion, q_rec,
 * eth_fraction, heating, gamma, ...; messages count its first line as line 1), or NULL / "" for
 * snf_physics_default(); it is parsed by the campaign parser's [physics] rules (config.h
 * snf_config_parse_physics), so the keys, units and checks are the same as in a campaign file. Writes L_erg_s[T] (erg/s) and vph_km_s[T] (km/s, NaN once
 * the recombination front is gone). Returns snf_model_run's status: SNF_OK, a positive warning (the curves
 * are usable), SNF_EINVAL / SNF_EFORMAT for a bad parameter, setting or time grid, SNF_ECVODE, SNF_ENOMEM;
 * the message is snf_error_last_message() (status.h) on the calling thread. Thread-safe; allocates one model
 * workspace per call (about 0.1 ms beside the model's own 0.2-0.4 ms). */
SNF_API int snf_api_simulate(const char *physics, double energy_foe, double mass_msun, double radius_cm,
                     double nickel_msun, const double *t_days, int T, double *L_erg_s, double *vph_km_s);

#ifdef __cplusplus
}
#endif

#endif
