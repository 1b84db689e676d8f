/* grids/config.h: dataset campaign files (INI, parsed with Debian's libinih). A campaign names the model and
 * its physics settings, the parameter axes (range, linear or log), the sampler, the number of models
 * and the seed, the time grid and the output options. Errors name file:line and the key. It computes
 * nothing and writes nothing: grid.h runs a campaign, h5.h stores it. The format, by example:
 *
 *   [campaign]              model = semi-analytic; sampler = grid|uniform|lhs|sobol; n_models; seed
 *   [physics]               closure, kappa, t_ion, q_rec, eth_fraction, heating, gamma, ... (snf_physics)
 *   [param.energy]          min, max, scale = linear|log (points = K for the grid sampler), or value
 *   [param.mass] [param.radius] [param.nickel]   required; [param.kappa] etc. add nuisance columns
 *   [time]                  start, end, and step (linear) or count (log spacing: spacing = log)
 *   [output]                deflate = 0..9, chunk_rows, block_rows
 *
 * model = hydro (radiation hydrodynamics on progenitors built per row, no [physics]):
 *   [hydro]                 zones, dtmax, theta, excised, ni_mix, bomb_mass, bomb_duration (fixed settings)
 *   [param.NAME]            energy, mass (ejecta), radius (R0), nickel; and ni_mix, bomb_mass, bomb_duration,
 *                           n_env, he_fraction, hhe_width, x_env, z_env (the progenitor builder's knobs)
 */
#ifndef SNFORGE_GRIDS_CONFIG_H
#define SNFORGE_GRIDS_CONFIG_H

#include "snforge/export.h"

#include <stdint.h>

#include "snforge/models.h"
#include "snforge/rhd.h"
#include "snforge/grids/sampler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_CONFIG_MAX_AXES 12
#define SNF_CONFIG_NAME_LEN 32

typedef enum snf_axis_scale { SNF_AXIS_LINEAR = 0, SNF_AXIS_LOG = 1 } snf_axis_scale;

/* Which model input an axis drives: the four physical parameters, then physics settings sampled as
 * nuisance parameters (extra /params columns). */
typedef enum snf_axis_target {
    SNF_AXIS_ENERGY = 0, SNF_AXIS_MASS, SNF_AXIS_RADIUS, SNF_AXIS_NICKEL,
    SNF_AXIS_KAPPA, SNF_AXIS_T_ION, SNF_AXIS_Q_REC, SNF_AXIS_ETH_FRACTION, SNF_AXIS_KAPPA_GAMMA,
    SNF_AXIS_A_GAMMA_D2, SNF_AXIS_X_FLOOR,
    /* model = hydro only: the explosion and the progenitor's structure knobs (progenitor.h) */
    SNF_AXIS_NI_MIX, SNF_AXIS_BOMB_MASS, SNF_AXIS_BOMB_DURATION,
    SNF_AXIS_N_ENV, SNF_AXIS_HE_FRACTION, SNF_AXIS_HHE_WIDTH, SNF_AXIS_X_ENV, SNF_AXIS_Z_ENV,
    SNF_AXIS_TARGET_COUNT
} snf_axis_target;

typedef struct snf_axis {
    char name[SNF_CONFIG_NAME_LEN];  /* "energy", "mass", ... (the /params column name) */
    char units[SNF_CONFIG_NAME_LEN]; /* "foe", "Msun", "cm", ... (interfaces.md) */
    snf_axis_target target;
    double lo, hi;        /* range in the axis's units; lo == hi for a fixed value */
    snf_axis_scale scale; /* how the unit interval maps onto [lo, hi] */
    int points;           /* values on this axis for the grid sampler (1 if fixed) */
    int line;             /* line of the [param.NAME] section header, for messages */
} snf_axis;

/* model = hydro: the fixed settings of every run ([hydro]) and the defaults of the axes not given. A row
 * builds its progenitor (M_tot = mass + excised, R0 = radius, the knobs) and runs the radiation-hydro code;
 * energy is SNEC's final_energy (asymptotic total energy), mass the ejecta mass, nickel Ni_mass mixed
 * uniformly from the excised mass out to excised + ni_mix (M_He - excised). */
typedef struct snf_hydro_settings {
    int zones;            /* grid points (GridPattern.dat resampled) */
    double dtmax_s;       /* longest time step */
    double theta;         /* time centring of the implicit diffusion (0.5 ... 1) */
    double excised_msun;  /* excised inner mass (the remnant) */
    double ni_mix;        /* Ni mixing boundary as a fraction of the He core above the excised mass */
    double bomb_mass_msun; /* mass the thermal bomb heats */
    double bomb_duration_s; /* the bomb's duration */
} snf_hydro_settings;

typedef struct snf_campaign {
    char path[512];                /* the file it came from (for messages) */
    char *text;                    /* the file's text verbatim: stored in the dataset, compared on resume */
    char model[SNF_CONFIG_NAME_LEN];   /* "semi-analytic" or "hydro" */
    int hydro;                     /* 1: model = hydro (physics unused, hydro used) */
    snf_hydro_settings hydro_set;  /* model = hydro: [hydro] */
    snf_physics physics;           /* fixed physics settings ([physics]) */
    snf_sampler_kind sampler;
    long n_models;                 /* N: rows of the dataset */
    uint64_t seed;
    int n_axes;                    /* P: /params columns, energy, mass, radius, nickel first */
    snf_axis axes[SNF_CONFIG_MAX_AXES];
    double t_start_d, t_end_d;     /* time grid, days since explosion */
    double t_step_d;               /* linear spacing (0 if log) */
    int t_log;                     /* 1: count points log-spaced from start to end (start > 0) */
    int T;                         /* number of times */
    int deflate;                   /* 0..9 */
    int chunk_rows;                /* HDF5 chunk along N (clamped to N when written) */
    int block_rows;                /* rows computed and written together; a multiple of chunk_rows */
} snf_campaign;

/* ---- load ---- */

/* Parses the file at path into c (which the caller owns; release with snf_config_free).
 * SNF_OK; SNF_EIO if it cannot be read; SNF_EFORMAT with "path:line: [section] key: what was expected"
 * for a syntax error, an unknown section or key, a bad value, a bad range, an unknown sampler or
 * model, or a missing key (then the line of its section, or the file alone if the section is missing).
 * On failure c holds nothing to free. */
SNF_API int snf_config_load(snf_campaign *c, const char *path);

/* Same, from text in memory; name stands for the file in messages. */
SNF_API int snf_config_parse(snf_campaign *c, const char *text, const char *name);

/* The settings of a [physics] section alone: text holds "key = value" lines (a "[physics]" header is
 * optional), read by the campaign parser's [physics] rules from snf_physics_default(); *ph set on success.
 * SNF_EFORMAT "NAME:LINE: [physics] key: what" as snf_config_parse. */
SNF_API int snf_config_parse_physics(snf_physics *ph, const char *text, const char *name);

/* ---- getters ---- */

/* The campaign's T times into t_days[T]. */
SNF_API void snf_config_times(const snf_campaign *c, double *t_days);

/* Maps a unit-cube point u[P] onto the axes: x[P] in the axes' units. */
SNF_API void snf_config_point(const snf_campaign *c, const double *u, double *x);

/* Builds the model inputs of one row x[P]: the four parameters and the physics (fixed settings
 * overridden by nuisance axes). Values are not checked here: snf_model_run rejects bad ones per row. */
SNF_API void snf_config_model_inputs(const snf_campaign *c, const double *x, snf_sn_params *p, snf_physics *ph);

/* Grid sizes per axis (points[P]) for snf_sampler_alloc. */
SNF_API void snf_config_grid_points(const snf_campaign *c, int *points);

/* model = hydro: the explosion parameters and the progenitor of row x[P] (axes over the [hydro] settings):
 * par as SNEC's parameter files of ../shared/hydro/snec set it (tend one day past the time grid), except
 * Ni_boundary_mass, NaN: it is excised + ni_mix (M_He - excised) with the builder's M_He. */
SNF_API void snf_config_hydro_inputs(const snf_campaign *c, const double *x, snf_rhd_params *par,
                                     snf_prog_params *prog, double *ni_mix);

/* "semi-analytic:<closure>", or "hydro:snforge": the dataset's source attribute. */
SNF_API void snf_config_source(const snf_campaign *c, char *buf, int n);

SNF_API void snf_config_free(snf_campaign *c);

/* ---- the parameter table ---- */

/* Name and units of an axis target: the one table of parameter names and units (interfaces.md) that
 * every file writer and reader uses. The four physical parameters come first, in file order: energy
 * "foe", mass "Msun", radius "cm", nickel "Msun"; then the nuisance settings (kappa "cm2/g", t_ion "K",
 * ...). "?" for a value outside the enum. */
SNF_API const char *snf_axis_name(snf_axis_target t);
SNF_API const char *snf_axis_units(snf_axis_target t);

#ifdef __cplusplus
}
#endif

#endif
