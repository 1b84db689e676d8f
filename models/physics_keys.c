/* physics_keys.c: the one table of the semi-analytic model's physics settings (model.h snf_physics_key):
 * the key a campaign's [physics] section and the Python API use, the option `snforge simulate` takes, what
 * the setting holds and where it lives in snf_physics. The parsers (grids/config.c, cli/cmd_simulate.c)
 * read values their own way (their messages name file:line or the option); the table says which keys
 * exist. It reads no files. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "snforge/models.h"

#define SNF_PK(k, o, kind, field) {k, o, kind, offsetof(snf_physics, field)}

static const snf_physics_key snf_physics_key_table[] = {
    SNF_PK("closure", "model", SNF_PHYS_CLOSURE, closure),
    SNF_PK("kappa", "kappa", SNF_PHYS_DOUBLE, kappa_cm2_g),
    SNF_PK("t_ion", "t-ion", SNF_PHYS_DOUBLE, t_ion_K),
    SNF_PK("q_rec", "q-rec", SNF_PHYS_DOUBLE, q_rec_erg_g),
    SNF_PK("eth_fraction", "eth-fraction", SNF_PHYS_DOUBLE, eth_fraction),
    SNF_PK("beta", "beta", SNF_PHYS_DOUBLE, beta),
    SNF_PK("heating", "heating", SNF_PHYS_HEATING, heating),
    SNF_PK("eps_ni", "eps-ni", SNF_PHYS_DOUBLE, eps_ni_erg_g_s),
    SNF_PK("eps_co", "eps-co", SNF_PHYS_DOUBLE, eps_co_erg_g_s),
    SNF_PK("eps_pos", "eps-pos", SNF_PHYS_DOUBLE, eps_pos_erg_g_s),
    SNF_PK("tau_ni", "tau-ni", SNF_PHYS_DOUBLE, tau_ni_d),
    SNF_PK("tau_co", "tau-co", SNF_PHYS_DOUBLE, tau_co_d),
    SNF_PK("gamma", "gamma", SNF_PHYS_GAMMA, gamma_mode),
    SNF_PK("kappa_gamma", "kappa-gamma", SNF_PHYS_DOUBLE, kappa_gamma_cm2_g),
    SNF_PK("a_gamma_d2", "a-gamma", SNF_PHYS_DOUBLE, a_gamma_d2),
    SNF_PK("x_floor", "x-floor", SNF_PHYS_DOUBLE, x_floor),
    SNF_PK("x_end", "x-end", SNF_PHYS_DOUBLE, x_end),
    SNF_PK("rtol", "rtol", SNF_PHYS_DOUBLE, rtol),
    SNF_PK("atol_phi", "atol-phi", SNF_PHYS_DOUBLE, atol_phi),
    SNF_PK("atol_w", "atol-w", SNF_PHYS_DOUBLE, atol_w),
    SNF_PK("max_steps", "max-steps", SNF_PHYS_LONG, max_steps),
};

#define SNF_NPK ((int)(sizeof snf_physics_key_table / sizeof snf_physics_key_table[0]))

const snf_physics_key *snf_physics_keys(int *n)
{
    *n = SNF_NPK;
    return snf_physics_key_table;
}

const snf_physics_key *snf_physics_key_find(const char *key)
{
    for (int i = 0; key && i < SNF_NPK; i++) {
        if (!strcmp(key, snf_physics_key_table[i].key)) {
            return &snf_physics_key_table[i];
        }
    }
    return NULL;
}

void snf_physics_key_list(char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < SNF_NPK && k < n; i++) {
        int w = snprintf(buf + k, n - k, "%s%s", i ? ", " : "", snf_physics_key_table[i].key);
        k += w > 0 ? (size_t)w : 0;
    }
}
