#define _POSIX_C_SOURCE 200809L /* strdup, gmtime_r */
/* config.c: campaign files (INI) through snf_ini (ini.h: libinih with a line-counting reader), so
 * every message can name file:line and the key. The file's text is kept verbatim for provenance. */
#include "snforge/grids.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

/* ---- tables ---- */

typedef struct snf_axis_def {
    const char *name;
    const char *units;
    size_t physics_off; /* offset of the double in snf_physics, or (size_t)-1 for the four parameters */
} snf_axis_def;

#define SNF_NOT_PHYSICS ((size_t)-1)

static const snf_axis_def snf_axis_defs[SNF_AXIS_TARGET_COUNT] = {
    /* SNF_AXIS_ENERGY .. SNF_AXIS_NICKEL: the four parameters, named by models/ (snf_param_name, _unit) */
    [SNF_AXIS_ENERGY] = {NULL, NULL, SNF_NOT_PHYSICS},
    [SNF_AXIS_MASS] = {NULL, NULL, SNF_NOT_PHYSICS},
    [SNF_AXIS_RADIUS] = {NULL, NULL, SNF_NOT_PHYSICS},
    [SNF_AXIS_NICKEL] = {NULL, NULL, SNF_NOT_PHYSICS},
    [SNF_AXIS_KAPPA] = {"kappa", "cm2/g", offsetof(snf_physics, kappa_cm2_g)},
    [SNF_AXIS_T_ION] = {"t_ion", "K", offsetof(snf_physics, t_ion_K)},
    [SNF_AXIS_Q_REC] = {"q_rec", "erg/g", offsetof(snf_physics, q_rec_erg_g)},
    [SNF_AXIS_ETH_FRACTION] = {"eth_fraction", "1", offsetof(snf_physics, eth_fraction)},
    [SNF_AXIS_KAPPA_GAMMA] = {"kappa_gamma", "cm2/g", offsetof(snf_physics, kappa_gamma_cm2_g)},
    [SNF_AXIS_A_GAMMA_D2] = {"a_gamma_d2", "d2", offsetof(snf_physics, a_gamma_d2)},
    [SNF_AXIS_X_FLOOR] = {"x_floor", "1", offsetof(snf_physics, x_floor)},
    [SNF_AXIS_NI_MIX] = {"ni_mix", "1", SNF_NOT_PHYSICS},
    [SNF_AXIS_BOMB_MASS] = {"bomb_mass", "Msun", SNF_NOT_PHYSICS},
    [SNF_AXIS_BOMB_DURATION] = {"bomb_duration", "s", SNF_NOT_PHYSICS},
    [SNF_AXIS_N_ENV] = {"n_env", "1", SNF_NOT_PHYSICS},
    [SNF_AXIS_HE_FRACTION] = {"he_fraction", "1", SNF_NOT_PHYSICS},
    [SNF_AXIS_HHE_WIDTH] = {"hhe_width", "Msun", SNF_NOT_PHYSICS},
    [SNF_AXIS_X_ENV] = {"x_env", "1", SNF_NOT_PHYSICS},
    [SNF_AXIS_Z_ENV] = {"z_env", "1", SNF_NOT_PHYSICS},
};

#define SNF_AXIS_IS_HYDRO(t) ((t) >= SNF_AXIS_NI_MIX)

/* model = hydro: the [hydro] keys (doubles of snf_hydro_settings; zones is an integer) with their ranges. The
 * explosion keys double as axes (same name, same range); the structure knobs' ranges are the builder's. */
static const struct {
    const char *key;
    size_t off;
    double lo, hi;
    const char *what;
} snf_hydro_keys[] = {
    {"dtmax", offsetof(snf_hydro_settings, dtmax_s), 1.0, 1e6, "longest time step [s]"},
    {"theta", offsetof(snf_hydro_settings, theta), 0.5, 1.0, "time centring of the implicit diffusion"},
    {"excised", offsetof(snf_hydro_settings, excised_msun), 1.3, 2.5, "excised inner mass [Msun]"},
    {"ni_mix", offsetof(snf_hydro_settings, ni_mix), 0.05, 2.0,
     "Ni mixing boundary: excised + ni_mix (M_He - excised) in mass coordinate"},
    {"bomb_mass", offsetof(snf_hydro_settings, bomb_mass_msun), 0.01, 1.0, "mass the thermal bomb heats [Msun]"},
    {"bomb_duration", offsetof(snf_hydro_settings, bomb_duration_s), 0.001, 10.0, "duration of the bomb [s]"},
};

/* The range of a hydro-only axis (the [hydro] table or the progenitor builder's knobs); 0 if none. */
static int snf_hydro_axis_range(const char *name, double *lo, double *hi, const char **what)
{
    for (size_t k = 0; k < sizeof snf_hydro_keys / sizeof snf_hydro_keys[0]; k++) {
        if (strcmp(name, snf_hydro_keys[k].key) == 0) {
            *lo = snf_hydro_keys[k].lo;
            *hi = snf_hydro_keys[k].hi;
            *what = snf_hydro_keys[k].what;
            return 1;
        }
    }
    char opt[48] = "--";
    for (size_t i = 0; name[i] && i + 3 < sizeof opt; i++) {
        opt[i + 2] = name[i] == '_' ? '-' : name[i];
        opt[i + 3] = '\0';
    }
    int nk = 0;
    const snf_prog_knob *kn = snf_prog_knobs(&nk);
    for (int k = 0; k < nk; k++) {
        if (strcmp(opt, kn[k].option) == 0) {
            *lo = kn[k].lo;
            *hi = kn[k].hi;
            *what = kn[k].what;
            return 1;
        }
    }
    return 0;
}

/* The builder's range of one of its parameters (--mass, --radius). */
static void snf_prog_range(const char *option, double *lo, double *hi)
{
    int nk = 0;
    const snf_prog_knob *kn = snf_prog_knobs(&nk);
    for (int k = 0; k < nk; k++) {
        if (strcmp(option, kn[k].option) == 0) {
            *lo = kn[k].lo;
            *hi = kn[k].hi;
        }
    }
}

/* ---- parser state ---- */

typedef struct snf_axis_seen {
    int min, max, value, scale, points; /* line of each key, 0 if absent */
} snf_axis_seen;

typedef struct snf_parse {
    snf_ini ini;       /* reader state, current line, section lines, first failure */
    snf_campaign *c;
    int key_line[8];   /* [campaign]: model, sampler, n_models, seed; [time]: start, end, step, count */
    int output_rows_line; /* line of [output] chunk_rows or block_rows, 0 if neither (hydro defaults) */
    int spacing_log;
    long t_count;
    int axis_of[SNF_AXIS_TARGET_COUNT]; /* slot in c->axes, -1 if not yet seen */
    snf_axis_seen seen[SNF_CONFIG_MAX_AXES];
} snf_parse;

enum { K_MODEL, K_SAMPLER, K_N_MODELS, K_SEED, K_START, K_END, K_STEP, K_COUNT };

/* ---- static helpers ---- */

/* The typed value parsers are ini.c's (one set for every INI format); these bind them to this parser. */
static int snf_cfg_double(snf_parse *ps, const char *sec, const char *key, const char *v, double *out)
{
    return snf_ini_double(&ps->ini, sec, key, v, -INFINITY, INFINITY, out);
}

static int snf_cfg_long(snf_parse *ps, const char *sec, const char *key, const char *v, long lo, long hi,
                        long *out)
{
    return snf_ini_long(&ps->ini, sec, key, v, lo, hi, out);
}

static int snf_cfg_campaign(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    snf_campaign *c = ps->c;
    if (strcmp(key, "model") == 0) {
        if (strcmp(v, "semi-analytic") != 0 && strcmp(v, "hydro") != 0) {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown model '%s' (expected semi-analytic or hydro)",
                                v);
        }
        c->hydro = strcmp(v, "hydro") == 0;
        snprintf(c->model, sizeof c->model, "%s", v);
        ps->key_line[K_MODEL] = ps->ini.line;
    } else if (strcmp(key, "sampler") == 0) {
        if (snf_sampler_parse(v, &c->sampler) != SNF_OK) {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                                "unknown sampler '%s' (expected grid, uniform, lhs or sobol)", v);
        }
        ps->key_line[K_SAMPLER] = ps->ini.line;
    } else if (strcmp(key, "n_models") == 0) {
        if (!snf_cfg_long(ps, sec, key, v, 1, 1000000000L, &c->n_models)) {
            return 0;
        }
        ps->key_line[K_N_MODELS] = ps->ini.line;
    } else if (strcmp(key, "seed") == 0) {
        long s;
        if (!snf_cfg_long(ps, sec, key, v, 0, 2147483647L, &s)) {
            return 0;
        }
        c->seed = (uint64_t)s;
        ps->key_line[K_SEED] = ps->ini.line;
    } else if (strcmp(key, "description") != 0) {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                            "unknown key (expected model, sampler, n_models, seed, description)");
    }
    return 1;
}

/* A [physics] key, by the one table of physics keys (model.h). */
static int snf_cfg_physics(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    snf_physics *ph = &ps->c->physics;
    const snf_physics_key *k = snf_physics_key_find(key);
    if (!k) {
        char list[512];
        snf_physics_key_list(list, sizeof list);
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown physics key (expected %s)", list);
    }
    void *field = (char *)ph + k->offset;
    switch (k->kind) {
    case SNF_PHYS_DOUBLE:
        if (!snf_cfg_double(ps, sec, key, v, (double *)field)) {
            return 0;
        }
        if (snf_param_plausible(key, key, v, *(double *)field) != SNF_OK) { /* unit slips: the table in params.c */
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "%s", snf_error_last_message());
        }
        return 1;
    case SNF_PHYS_LONG: return snf_cfg_long(ps, sec, key, v, 1, 1000000000L, (long *)field);
    case SNF_PHYS_CLOSURE:
        if (snf_closure_parse(v, (snf_closure *)field) != SNF_OK) {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                                "unknown closure '%s' (expected temperature, flux or none)", v);
        }
        return 1;
    case SNF_PHYS_HEATING:
        if (snf_heating_parse(v, (snf_heating *)field) != SNF_OK) {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                                "unknown heating '%s' (expected nadyozhin or bateman)", v);
        }
        return 1;
    case SNF_PHYS_GAMMA:
        if (snf_gamma_parse(v, (snf_gamma_mode *)field) != SNF_OK) {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                                "unknown gamma mode '%s' (expected heating, luminosity, off or colgate)", v);
        }
        return 1;
    }
    return 1;
}

static int snf_cfg_hydro(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    snf_hydro_settings *h = &ps->c->hydro_set;
    if (strcmp(key, "zones") == 0) {
        long z;
        if (!snf_cfg_long(ps, sec, key, v, 10, 100000, &z)) {
            return 0;
        }
        h->zones = (int)z;
        return 1;
    }
    for (size_t k = 0; k < sizeof snf_hydro_keys / sizeof snf_hydro_keys[0]; k++) {
        if (strcmp(key, snf_hydro_keys[k].key) == 0) {
            return snf_ini_double(&ps->ini, sec, key, v, snf_hydro_keys[k].lo, snf_hydro_keys[k].hi,
                                  (double *)((char *)h + snf_hydro_keys[k].off));
        }
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                        "unknown key (expected zones, dtmax, theta, excised, ni_mix, bomb_mass, bomb_duration)");
}

static int snf_cfg_param(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    const char *aname = sec + strlen("param.");
    int target = -1;
    for (int t = 0; t < SNF_AXIS_TARGET_COUNT; t++) {
        if (strcmp(aname, snf_axis_name((snf_axis_target)t)) == 0) {
            target = t;
        }
    }
    if (target < 0) {
        return snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, sec), sec, NULL,
                            "unknown parameter '%s' (expected energy, mass, radius, nickel, or a nuisance "
                            "physics setting: kappa, t_ion, q_rec, eth_fraction, kappa_gamma, a_gamma_d2, x_floor; "
                            "with model = hydro: ni_mix, bomb_mass, bomb_duration, n_env, he_fraction, hhe_width, "
                            "x_env, z_env)",
                            aname);
    }
    snf_campaign *c = ps->c;
    int slot = ps->axis_of[target];
    if (slot < 0) {
        if (target <= SNF_AXIS_NICKEL) {
            slot = target;
        } else {
            if (c->n_axes >= SNF_CONFIG_MAX_AXES) {
                return snf_ini_fail(&ps->ini, ps->ini.line, sec, NULL, "too many parameters (at most %d)",
                                    SNF_CONFIG_MAX_AXES);
            }
            slot = c->n_axes++;
        }
        ps->axis_of[target] = slot;
        snf_axis *a = &c->axes[slot];
        snprintf(a->name, sizeof a->name, "%s", snf_axis_name(target));
        snprintf(a->units, sizeof a->units, "%s", snf_axis_units(target));
        a->target = (snf_axis_target)target;
        a->line = snf_ini_section_line(&ps->ini, sec);
        a->scale = SNF_AXIS_LINEAR;
        a->points = 0;
    }
    snf_axis *a = &c->axes[slot];
    snf_axis_seen *s = &ps->seen[slot];
    if (strcmp(key, "min") == 0) {
        s->min = ps->ini.line;
        return snf_cfg_double(ps, sec, key, v, &a->lo);
    } else if (strcmp(key, "max") == 0) {
        s->max = ps->ini.line;
        return snf_cfg_double(ps, sec, key, v, &a->hi);
    } else if (strcmp(key, "value") == 0) {
        s->value = ps->ini.line;
        if (!snf_cfg_double(ps, sec, key, v, &a->lo)) {
            return 0;
        }
        a->hi = a->lo;
    } else if (strcmp(key, "scale") == 0) {
        s->scale = ps->ini.line;
        if (strcmp(v, "linear") == 0) {
            a->scale = SNF_AXIS_LINEAR;
        } else if (strcmp(v, "log") == 0) {
            a->scale = SNF_AXIS_LOG;
        } else {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown scale '%s' (expected linear or log)", v);
        }
    } else if (strcmp(key, "points") == 0) {
        long n;
        s->points = ps->ini.line;
        if (!snf_cfg_long(ps, sec, key, v, 1, 100000000L, &n)) {
            return 0;
        }
        a->points = (int)n;
    } else {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown key (expected min, max, scale, points, value)");
    }
    return 1;
}

static int snf_cfg_time(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    snf_campaign *c = ps->c;
    if (strcmp(key, "start") == 0) {
        ps->key_line[K_START] = ps->ini.line;
        return snf_cfg_double(ps, sec, key, v, &c->t_start_d);
    } else if (strcmp(key, "end") == 0) {
        ps->key_line[K_END] = ps->ini.line;
        return snf_cfg_double(ps, sec, key, v, &c->t_end_d);
    } else if (strcmp(key, "step") == 0) {
        ps->key_line[K_STEP] = ps->ini.line;
        return snf_cfg_double(ps, sec, key, v, &c->t_step_d);
    } else if (strcmp(key, "count") == 0) {
        ps->key_line[K_COUNT] = ps->ini.line;
        return snf_cfg_long(ps, sec, key, v, 2, 1000000L, &ps->t_count);
    } else if (strcmp(key, "spacing") == 0) {
        if (strcmp(v, "linear") == 0) {
            ps->spacing_log = 0;
        } else if (strcmp(v, "log") == 0) {
            ps->spacing_log = 1;
        } else {
            return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown spacing '%s' (expected linear or log)", v);
        }
    } else {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key,
                            "unknown key (expected start, end, step, count, spacing)");
    }
    return 1;
}

static int snf_cfg_output(snf_parse *ps, const char *sec, const char *key, const char *v)
{
    snf_campaign *c = ps->c;
    long x;
    if (strcmp(key, "chunk_rows") == 0 || strcmp(key, "block_rows") == 0) {
        ps->output_rows_line = ps->ini.line;
    }
    if (strcmp(key, "deflate") == 0) {
        if (!snf_cfg_long(ps, sec, key, v, 0, 9, &x)) {
            return 0;
        }
        c->deflate = (int)x;
    } else if (strcmp(key, "chunk_rows") == 0) {
        if (!snf_cfg_long(ps, sec, key, v, 1, 1 << 20, &x)) {
            return 0;
        }
        c->chunk_rows = (int)x;
    } else if (strcmp(key, "block_rows") == 0) {
        if (!snf_cfg_long(ps, sec, key, v, 1, 1 << 22, &x)) {
            return 0;
        }
        c->block_rows = (int)x;
    } else {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "unknown key (expected deflate, chunk_rows, block_rows)");
    }
    return 1;
}

static int snf_cfg_handler(void *user, const char *section, const char *name, const char *value)
{
    snf_parse *ps = user;
    if (ps->ini.err != 0) {
        return 0;
    }
    if (snf_ini_key_seen(&ps->ini, section, name)) {
        return snf_ini_fail(&ps->ini, ps->ini.line, section, name, "key given twice");
    }
    if (strcmp(section, "campaign") == 0) {
        return snf_cfg_campaign(ps, section, name, value);
    } else if (strcmp(section, "physics") == 0) {
        return snf_cfg_physics(ps, section, name, value);
    } else if (strncmp(section, "param.", 6) == 0) {
        return snf_cfg_param(ps, section, name, value);
    } else if (strcmp(section, "time") == 0) {
        return snf_cfg_time(ps, section, name, value);
    } else if (strcmp(section, "output") == 0) {
        return snf_cfg_output(ps, section, name, value);
    } else if (strcmp(section, "hydro") == 0) {
        return snf_cfg_hydro(ps, section, name, value);
    } else if (section[0] == '\0') {
        return snf_ini_fail(&ps->ini, ps->ini.line, NULL, NULL, "key '%s' outside any section", name);
    }
    return snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, section), section, NULL,
                        "unknown section (expected campaign, physics, hydro, param.NAME, time, output)");
}

/* A required key: names the section's line, or the file alone if the section is absent too. */
static int snf_cfg_require(snf_parse *ps, int line_seen, const char *section, const char *key, const char *what)
{
    if (line_seen > 0) {
        return 1;
    }
    int sl = snf_ini_section_line(&ps->ini, section);
    if (sl == 0) {
        return snf_ini_fail(&ps->ini, 0, NULL, NULL, "missing section [%s] (it needs %s = %s)", section, key, what);
    }
    return snf_ini_fail(&ps->ini, sl, section, NULL, "missing key '%s' (%s)", key, what);
}

/* The sections and axes of the other model are refused; model = hydro gets its small default blocks (one
 * model takes seconds: a block of 16 loses little to a kill and keeps both threads busy). */
static int snf_cfg_model_sections(snf_parse *ps)
{
    snf_campaign *c = ps->c;
    int line = snf_ini_section_line(&ps->ini, c->hydro ? "physics" : "hydro");
    if (line > 0) {
        return snf_ini_fail(&ps->ini, line, c->hydro ? "physics" : "hydro", NULL,
                            c->hydro ? "model = hydro has no [physics] (its settings are in [hydro])"
                                     : "[hydro] needs model = hydro");
    }
    for (int k = 0; k < c->n_axes; k++) {
        const snf_axis *a = &c->axes[k];
        if (a->target > SNF_AXIS_NICKEL && (SNF_AXIS_IS_HYDRO(a->target) != (c->hydro != 0))) {
            return snf_ini_fail(&ps->ini, a->line, NULL, NULL, "[param.%s] is a parameter of model = %s only", a->name,
                                c->hydro ? "semi-analytic" : "hydro");
        }
    }
    if (c->hydro && ps->output_rows_line == 0) {
        c->chunk_rows = 4;
        c->block_rows = 16;
    }
    return 1;
}

/* model = hydro: both ends of an axis inside what the builder and the explosion accept. */
static int snf_cfg_hydro_axis(snf_parse *ps, const snf_axis *a, const snf_axis_seen *s, const char *sec)
{
    double lo = -INFINITY, hi = INFINITY, shift = 0;
    const char *what = "";
    if (a->target == SNF_AXIS_MASS) {
        snf_prog_range("--mass", &lo, &hi);
        shift = ps->c->hydro_set.excised_msun;
        what = "the ejecta mass plus the excised mass is the progenitor's --mass";
    } else if (a->target == SNF_AXIS_RADIUS) {
        snf_prog_range("--radius", &lo, &hi);
        what = "the progenitor's radius R0 [cm]";
    } else if (a->target > SNF_AXIS_NICKEL && !snf_hydro_axis_range(a->name, &lo, &hi, &what)) {
        return 1;
    }
    for (int end = 0; end < 2; end++) {
        double x = (end ? a->hi : a->lo) + shift;
        if (!(x >= lo && x <= hi)) {
            int line = s->value ? s->value : (end ? s->max : s->min);
            return snf_ini_fail(&ps->ini, line, sec, s->value ? "value" : (end ? "max" : "min"),
                                "bad range: %g%s outside [%g, %g] (%s)", end ? a->hi : a->lo, shift ? " + excised" : "",
                                lo, hi, what);
        }
    }
    return 1;
}

/* Checks after the whole file is read: required keys, ranges, derived sizes. */
static int snf_cfg_validate(snf_parse *ps)
{
    snf_campaign *c = ps->c;
    if (!snf_cfg_require(ps, ps->key_line[K_MODEL], "campaign", "model", "semi-analytic or hydro") ||
        !snf_cfg_require(ps, ps->key_line[K_SAMPLER], "campaign", "sampler", "grid, uniform, lhs or sobol") ||
        !snf_cfg_require(ps, ps->key_line[K_SEED], "campaign", "seed", "an integer") ||
        (c->sampler != SNF_SAMPLER_GRID &&
         !snf_cfg_require(ps, ps->key_line[K_N_MODELS], "campaign", "n_models", "the number of models"))) {
        return 0;
    }
    for (int t = 0; t <= SNF_AXIS_NICKEL; t++) {
        if (ps->axis_of[t] < 0) {
            return snf_ini_fail(&ps->ini, 0, NULL, NULL, "missing section [param.%s] (min, max, scale or value)",
                                snf_axis_name((snf_axis_target)t));
        }
    }
    if (!snf_cfg_model_sections(ps)) {
        return 0;
    }
    double prod = 1;
    for (int k = 0; k < c->n_axes; k++) {
        snf_axis *a = &c->axes[k];
        snf_axis_seen *s = &ps->seen[k];
        char sec[64];
        snprintf(sec, sizeof sec, "param.%s", a->name);
        if (c->hydro && !snf_cfg_hydro_axis(ps, a, s, sec)) {
            return 0;
        }
        if (s->value > 0 && (s->min > 0 || s->max > 0)) {
            return snf_ini_fail(&ps->ini, s->value, sec, "value", "give either value or min and max, not both");
        }
        if (s->value == 0) {
            if (!snf_cfg_require(ps, s->min, sec, "min", "the low end of the range") ||
                !snf_cfg_require(ps, s->max, sec, "max", "the high end of the range")) {
                return 0;
            }
            if (!(a->hi > a->lo)) {
                return snf_ini_fail(&ps->ini, s->max, sec, "max", "bad range: max (%g) must exceed min (%g)", a->hi,
                                    a->lo);
            }
        }
        if (a->scale == SNF_AXIS_LOG && !(a->lo > 0)) {
            return snf_ini_fail(&ps->ini, s->min ? s->min : s->value, sec, s->min ? "min" : "value",
                                "bad range: a log scale needs min > 0 (got %g)", a->lo);
        }
        for (int end = 0; end < 2 && !SNF_AXIS_IS_HYDRO(a->target); end++) { /* unit slips: the table in params.c */
            const int line = s->value ? s->value : (end ? s->max : s->min);
            if (snf_param_plausible(a->name, a->name, NULL,
                                    end ? a->hi : a->lo) != SNF_OK) {
                return snf_ini_fail(&ps->ini, line, sec, s->value ? "value" : (end ? "max" : "min"), "%s",
                                    snf_error_last_message());
            }
        }
        if (a->target <= SNF_AXIS_NICKEL) {
            /* Both ends must be valid physical parameters: the model's check says which rule fails. */
            for (int end = 0; end < 2; end++) {
                snf_sn_params p = snf_sn_params_default();
                double x = end ? a->hi : a->lo;
                double *f[] = {&p.energy_foe, &p.mass_msun, &p.radius_cm, &p.nickel_msun};
                *f[a->target] = x;
                if (snf_sn_params_check(&p) != SNF_OK) {
                    int line = s->value ? s->value : (end ? s->max : s->min);
                    return snf_ini_fail(&ps->ini, line, sec, s->value ? "value" : (end ? "max" : "min"),
                                        "bad range: %s", snf_error_last_message());
                }
            }
        }
        if (s->value > 0) {
            a->points = 1;
        } else if (c->sampler == SNF_SAMPLER_GRID) {
            if (!snf_cfg_require(ps, s->points, sec, "points", "values on this axis for sampler = grid")) {
                return 0;
            }
        } else if (a->points == 0) {
            a->points = 1;
        }
        prod *= a->points;
    }
    if (c->sampler == SNF_SAMPLER_GRID) {
        if (prod > 1e9) {
            return snf_ini_fail(&ps->ini, ps->key_line[K_SAMPLER], "campaign", "sampler",
                                "the grid's points multiply to %.0f models (at most 1e9)", prod);
        }
        if (ps->key_line[K_N_MODELS] > 0 && (double)c->n_models != prod) {
            return snf_ini_fail(&ps->ini, ps->key_line[K_N_MODELS], "campaign", "n_models",
                                "%ld differs from the product of the axes' points (%.0f); omit it or make them agree",
                                c->n_models, prod);
        }
        c->n_models = (long)prod;
    }
    if (!c->hydro && snf_physics_check(&c->physics) != SNF_OK) {
        return snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, "physics"), "physics", NULL, "%s",
                            snf_error_last_message());
    }
    /* time grid */
    if (!snf_cfg_require(ps, ps->key_line[K_START], "time", "start", "first day") ||
        !snf_cfg_require(ps, ps->key_line[K_END], "time", "end", "last day")) {
        return 0;
    }
    if (!(c->t_start_d >= 0)) {
        return snf_ini_fail(&ps->ini, ps->key_line[K_START], "time", "start", "must be >= 0 days (got %g)",
                            c->t_start_d);
    }
    if (!(c->t_end_d > c->t_start_d)) {
        return snf_ini_fail(&ps->ini, ps->key_line[K_END], "time", "end", "bad range: end (%g) must exceed start (%g)",
                            c->t_end_d, c->t_start_d);
    }
    c->t_log = ps->spacing_log;
    if (c->t_log) {
        if (!snf_cfg_require(ps, ps->key_line[K_COUNT], "time", "count", "number of log-spaced times")) {
            return 0;
        }
        if (!(c->t_start_d > 0)) {
            return snf_ini_fail(&ps->ini, ps->key_line[K_START], "time", "start", "log spacing needs start > 0");
        }
        c->t_step_d = 0;
        c->T = (int)ps->t_count;
    } else {
        if (ps->key_line[K_COUNT] > 0 && ps->key_line[K_STEP] == 0) {
            c->t_step_d = (c->t_end_d - c->t_start_d) / (double)(ps->t_count - 1);
        } else if (!snf_cfg_require(ps, ps->key_line[K_STEP], "time", "step", "spacing in days, or count")) {
            return 0;
        }
        if (!(c->t_step_d > 0)) {
            return snf_ini_fail(&ps->ini, ps->key_line[K_STEP], "time", "step", "must be > 0 (got %g)", c->t_step_d);
        }
        /* The small slack keeps end itself when (end - start) / step is an integer up to rounding. */
        double nt = floor((c->t_end_d - c->t_start_d) / c->t_step_d * (1 + 1e-12)) + 1;
        if (nt > 1000000) {
            return snf_ini_fail(&ps->ini, ps->key_line[K_STEP], "time", "step", "gives %.0f times (at most 1e6)", nt);
        }
        c->T = (int)nt;
    }
    if (c->block_rows % c->chunk_rows != 0) {
        return snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, "output"), "output", "block_rows",
                            "must be a multiple of chunk_rows (%d), got %d", c->chunk_rows, c->block_rows);
    }
    return 1;
}

/* ---- load ---- */

/* snf_config_parse_physics's handler: keys before any section header, or in [physics], are physics keys. */
static int snf_cfg_physics_only(void *user, const char *section, const char *name, const char *value)
{
    snf_parse *ps = user;
    if (section[0] && strcmp(section, "physics") != 0) {
        return snf_ini_fail(&ps->ini, ps->ini.line, section, NULL, "unknown section (expected physics settings only)");
    }
    return snf_cfg_physics(ps, "physics", name, value);
}

int snf_config_parse_physics(snf_physics *ph, const char *text, const char *name)
{
    snf_campaign *c = calloc(1, sizeof *c);
    snf_parse *ps = calloc(1, sizeof *ps);
    if (!c || !ps) {
        free(c);
        free(ps);
        SNF_ERROR(SNF_ENOMEM, "out of memory parsing %s", name);
    }
    c->physics = snf_physics_default();
    ps->c = c;
    snf_ini_init(&ps->ini, name, text, strlen(text));
    snf_ini_fail_syntax(&ps->ini, snf_ini_parse(&ps->ini, snf_cfg_physics_only, ps));
    int rc = snf_ini_report(&ps->ini);
    if (rc >= 0) {
        *ph = c->physics;
    }
    free(ps);
    free(c);
    return rc;
}

int snf_config_parse(snf_campaign *c, const char *text, const char *name)
{
    memset(c, 0, sizeof *c);
    c->physics = snf_physics_default();
    c->sampler = SNF_SAMPLER_SOBOL;
    c->n_axes = SNF_AXIS_NICKEL + 1;
    c->deflate = 4;
    c->chunk_rows = 256;
    c->block_rows = 2048;
    c->hydro_set = (snf_hydro_settings){.zones = 300, .dtmax_s = 1e4, .theta = 0.7, .excised_msun = 1.5, .ni_mix = 1.0,
                                        .bomb_mass_msun = 0.1, .bomb_duration_s = 0.1};
    snprintf(c->path, sizeof c->path, "%s", name);

    snf_parse *ps = calloc(1, sizeof *ps);
    if (ps == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory parsing %s", name);
    }
    snf_ini_init(&ps->ini, name, text, strlen(text));
    ps->c = c;
    for (int t = 0; t < SNF_AXIS_TARGET_COUNT; t++) {
        ps->axis_of[t] = -1;
    }
    int rc = snf_ini_parse(&ps->ini, snf_cfg_handler, ps);
    snf_ini_fail_syntax(&ps->ini, rc);
    if (ps->ini.err == 0) {
        snf_cfg_validate(ps);
    }
    rc = snf_ini_finish(&ps->ini, &c->text, text, name);
    free(ps);
    if (rc < 0) {
        memset(c, 0, sizeof *c);
    }
    return rc;
}

int snf_config_load(snf_campaign *c, const char *path)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    size_t len = 0;
    SNF_CHECK(snf_ini_file_read(&text, &len, path, "campaign file"));
    int rc;
    if (strlen(text) != len) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: not a text file (NUL byte)", path);
    } else {
        rc = snf_config_parse(c, text, path);
    }
    free(text);
    return rc;
}

/* ---- getters ---- */

void snf_config_times(const snf_campaign *c, double *t_days)
{
    for (int k = 0; k < c->T; k++) {
        if (c->t_log) {
            double f = (double)k / (double)(c->T - 1);
            t_days[k] = c->t_start_d * pow(c->t_end_d / c->t_start_d, f);
        } else {
            t_days[k] = c->t_start_d + (double)k * c->t_step_d;
        }
    }
    if (c->t_log) {
        t_days[c->T - 1] = c->t_end_d; /* exact end despite pow's rounding */
    }
}

void snf_config_point(const snf_campaign *c, const double *u, double *x)
{
    for (int k = 0; k < c->n_axes; k++) {
        const snf_axis *a = &c->axes[k];
        if (a->hi == a->lo) {
            x[k] = a->lo;
        } else if (a->scale == SNF_AXIS_LOG) {
            x[k] = exp(log(a->lo) + u[k] * (log(a->hi) - log(a->lo)));
        } else {
            x[k] = a->lo + u[k] * (a->hi - a->lo);
        }
    }
}

void snf_config_model_inputs(const snf_campaign *c, const double *x, snf_sn_params *p, snf_physics *ph)
{
    *ph = c->physics;
    *p = snf_sn_params_default();
    for (int k = 0; k < c->n_axes; k++) {
        switch (c->axes[k].target) {
        case SNF_AXIS_ENERGY: p->energy_foe = x[k]; break;
        case SNF_AXIS_MASS: p->mass_msun = x[k]; break;
        case SNF_AXIS_RADIUS: p->radius_cm = x[k]; break;
        case SNF_AXIS_NICKEL: p->nickel_msun = x[k]; break;
        default:
            if (snf_axis_defs[c->axes[k].target].physics_off != SNF_NOT_PHYSICS) {
                *(double *)((char *)ph + snf_axis_defs[c->axes[k].target].physics_off) = x[k];
            }
            break;
        }
    }
}

void snf_config_grid_points(const snf_campaign *c, int *points)
{
    for (int k = 0; k < c->n_axes; k++) {
        points[k] = c->axes[k].points;
    }
}

void snf_config_source(const snf_campaign *c, char *buf, int n)
{
    if (c->hydro) {
        snprintf(buf, (size_t)n, "hydro:snforge");
    } else {
        snprintf(buf, (size_t)n, "%s:%s", c->model, snf_closure_name(c->physics.closure));
    }
}

void snf_config_hydro_inputs(const snf_campaign *c, const double *x, snf_rhd_params *par, snf_prog_params *prog,
                             double *ni_mix)
{
    const snf_hydro_settings *h = &c->hydro_set;
    double E = NAN, M = NAN, R = NAN, Ni = NAN, mix = h->ni_mix, bm = h->bomb_mass_msun, bt = h->bomb_duration_s;
    *prog = snf_prog_default();
    for (int k = 0; k < c->n_axes; k++) {
        switch (c->axes[k].target) {
        case SNF_AXIS_ENERGY: E = x[k]; break;
        case SNF_AXIS_MASS: M = x[k]; break;
        case SNF_AXIS_RADIUS: R = x[k]; break;
        case SNF_AXIS_NICKEL: Ni = x[k]; break;
        case SNF_AXIS_NI_MIX: mix = x[k]; break;
        case SNF_AXIS_BOMB_MASS: bm = x[k]; break;
        case SNF_AXIS_BOMB_DURATION: bt = x[k]; break;
        case SNF_AXIS_N_ENV: prog->n_env = x[k]; break;
        case SNF_AXIS_HE_FRACTION: prog->he_frac = x[k]; break;
        case SNF_AXIS_HHE_WIDTH: prog->hhe_width = x[k]; break;
        case SNF_AXIS_X_ENV: prog->X_env = x[k]; break;
        case SNF_AXIS_Z_ENV: prog->Z_env = x[k]; break;
        default: break;
        }
    }
    prog->M_tot = M + h->excised_msun;
    prog->R0 = R;
    /* The keys of the SNEC parameter files of ../shared/hydro/snec (their README), with [hydro]'s settings. */
    *par = snf_rhd_params_default();
    par->initial_data = SNF_RHD_BOMB;
    par->final_energy = E * 1e51;
    par->bomb_tstart = 0.0;
    par->bomb_tend = bt;
    par->bomb_mass_spread = bm;
    par->bomb_start_point = 1;
    par->bomb_mode = 1;
    par->imax = h->zones;
    par->gridding = SNF_RHD_GRID_FILE;
    par->mass_excision = 1;
    par->mass_excised = h->excised_msun;
    par->Ni_switch = 1;
    par->Ni_mass = Ni;
    par->Ni_boundary_mass = NAN; /* excised + ni_mix (M_He - excised): M_He is the builder's */
    par->tend = (c->t_end_d + 1.0) * SNF_RHD_DAY;
    par->dtmax = h->dtmax_s;
    par->theta = h->theta;
    *ni_mix = mix;
}

void snf_config_free(snf_campaign *c)
{
    if (c == NULL) {
        return;
    }
    free(c->text);
    c->text = NULL;
}

const char *snf_axis_name(snf_axis_target t)
{
    return t >= 0 && t <= SNF_AXIS_NICKEL ? snf_param_name((int)t)
           : t < SNF_AXIS_TARGET_COUNT    ? snf_axis_defs[t].name
                                          : "?";
}

const char *snf_axis_units(snf_axis_target t)
{
    return t >= 0 && t <= SNF_AXIS_NICKEL ? snf_param_unit((int)t)
           : t < SNF_AXIS_TARGET_COUNT    ? snf_axis_defs[t].units
                                          : "?";
}
