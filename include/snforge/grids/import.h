/* grids/import.h: light curves of hydrodynamical codes (SNEC, STELLA / MESA+STELLA, any text table) read into
 * time series in the framework's units (days since explosion, L in erg/s, v_ph in km/s), resampled onto a
 * campaign's time grid (GSL interpolation in log L; NaN outside each run's coverage, never extrapolated),
 * and written as a dataset file with source "hydro:<code>". Every malformed input is reported as
 * SNF_EFORMAT with "file:line: what was expected". It does not run the semi-analytic model: comparisons
 * live in valid.h. Formats: ../shared/hydro/FORMATS.md; choices: validation/README.md. */
#ifndef SNFORGE_GRIDS_IMPORT_H
#define SNFORGE_GRIDS_IMPORT_H

#include "snforge/export.h"

#include <stddef.h>

#include "snforge/models.h" /* snf_lc_derived */
#include "snforge/rhd.h"    /* snf_rhd_profile */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

/* A numeric text table: rows of doubles and the source line of each row (for messages). */
typedef struct snf_hydro_table {
    int nrows, ncols;
    double *v; /* [nrows][ncols] row-major */
    int *line; /* [nrows] 1-based line in the source */
} snf_hydro_table;

/* How to read a table. '#' lines and blank lines are always skipped. */
typedef struct snf_hydro_table_opts {
    int skip_lines;         /* lines skipped first (a header), counted in line numbers */
    char delimiter;         /* 0: auto (comma if the first data line has one, else blanks), ',' or ' ' */
    int ncols;              /* > 0: every row has exactly this many fields; < 0: at least -ncols;
                             * 0: every row as many as the first */
    int skip_text_header;   /* 1: leading lines whose first field is not a number are a header */
    const char *start_after; /* non-NULL: data start after the first line whose first field is this word */
    int allow_nonfinite;    /* 0: "nan", "inf" are errors */
} snf_hydro_table_opts;

/* One channel of one run: n samples, times strictly increasing; y NaN where undefined. */
typedef struct snf_hydro_series {
    int n;
    double *t_d; /* [n] days since explosion */
    double *y;   /* [n] L in erg/s, or v_ph in km/s */
} snf_hydro_series;

/* One hydro run in framework units. v.n == 0 if the code gave no velocity. */
typedef struct snf_hydro_run {
    snf_hydro_series L;
    snf_hydro_series v;
    double t_breakout_d;   /* shock breakout after the explosion (NaN if unknown) */
    double v_valid_end_d;  /* v_ph is defined up to this day (INFINITY if throughout) */
    int n_repeats_dropped; /* rows dropped because they repeat the previous row's time (STELLA .tt start) */
} snf_hydro_run;

typedef enum snf_hydro_format { SNF_HYDRO_SNEC = 0, SNF_HYDRO_STELLA = 1, SNF_HYDRO_COLUMNS = 2 } snf_hydro_format;

/* Where t = 0 of the files lies. SNEC: RUN (the bomb; default) or BREAKOUT (info.dat's "Time of
 * breakout" becomes t = 0). Columns: EXPLOSION, BREAKOUT or LMAX (t = 0 at the maximum of L in the
 * file) plus an offset in days: t_explosion = t_file - t_ref + offset. */
typedef enum snf_time_origin {
    SNF_ORIGIN_EXPLOSION = 0, /* same as the start of the run */
    SNF_ORIGIN_BREAKOUT = 1,
    SNF_ORIGIN_LMAX = 2
} snf_time_origin;

typedef enum snf_lum_scale {
    SNF_LUM_LINEAR = 0, /* L = value * unit */
    SNF_LUM_LOG10 = 1,  /* L = 10^value * unit */
    SNF_LUM_MBOL = 2    /* L = L_sun 10^(0.4 (M_bol,sun - value)) */
} snf_lum_scale;

/* The columns format: a mapping of columns and units (validation/README.md shows the INI file). */
typedef struct snf_columns_spec {
    snf_hydro_table_opts table;
    int col_t, col_L, col_v;   /* 1-based columns; col_v = 0: no velocity column */
    double t_to_d;             /* time unit in days (s: 1/86400) */
    snf_lum_scale lum_scale;
    double lum_unit_erg_s;     /* erg/s (1), W (1e7), Lsun (3.828e33) */
    double mbol_sun;           /* M_bol of the Sun for SNF_LUM_MBOL (IAU 2015: 4.74) */
    double v_to_km_s;          /* velocity unit in km/s (cm/s: 1e-5) */
    snf_time_origin origin;
    double offset_d;           /* days from the explosion to the file's reference time */
} snf_columns_spec;

/* The index file: `path,energy,mass,radius,nickel[,extra...]`; paths relative to the index's folder. */
typedef struct snf_hydro_index {
    int n, P;         /* rows, parameter columns (4 + extras) */
    char **path;      /* [n] resolved paths */
    char **name;      /* [n] the path as written in the index */
    int *line;        /* [n] line in the index */
    double *params;   /* [n][P] energy, mass, radius, nickel, extras */
    char **param_names; /* [P] */
    char *file;       /* the index path as given */
} snf_hydro_index;

/* Options of one import. */
typedef struct snf_hydro_import_opts {
    snf_hydro_format format;
    const char *index_path;
    const char *like_path;          /* campaign file whose /time is used; NULL: t_min..t_max step dt */
    double t_min_d, t_max_d, dt_d;  /* default grid: 0, 300, 1 */
    snf_time_origin snec_origin;    /* SNF_ORIGIN_EXPLOSION (run start) or SNF_ORIGIN_BREAKOUT */
    const snf_columns_spec *columns; /* required for SNF_HYDRO_COLUMNS */
    const char *command_line;       /* stored as the file's config text (may be NULL) */
    const char *out_path;
} snf_hydro_import_opts;

/* Summary of an import (for the command's one-line report). */
typedef struct snf_hydro_import_summary {
    int n_models, T;
    long n_l_points, n_l_nan; /* finite / NaN log_lbol values on the grid */
    long n_v_points, n_v_nan;
    int n_failed;             /* runs stored as failed (status SNF_ENONFINITE): no usable coverage */
    int n_repeats_dropped;    /* rows dropped over all runs: their time repeated the previous row's (STELLA .tt) */
} snf_hydro_import_summary;

/* A run whose log L is defined at fewer grid times than this is stored as failed (status
 * SNF_ENONFINITE, /status_msg "NAME: no usable coverage: ..."): it cannot be compared nor trained on. */
#define SNF_HYDRO_MIN_COVERAGE 3

/* ---- defaults ---- */

SNF_API snf_hydro_table_opts snf_hydro_table_opts_default(void);
/* Time in days, L linear erg/s, v in km/s, columns 1,2,3, origin explosion, auto delimiter. */
SNF_API snf_columns_spec snf_columns_spec_default(void);
SNF_API snf_hydro_import_opts snf_hydro_import_opts_default(void);

/* ---- parsers ---- */

/* Parses a table from memory (name is used in messages). SNF_OK, SNF_EFORMAT ("name:line: ..."),
 * SNF_ENOMEM. On failure t is empty. */
SNF_API int snf_hydro_table_parse(snf_hydro_table *t, const char *name, const char *buf, size_t len,
                          const snf_hydro_table_opts *o);
/* Reads a whole file and parses it; SNF_EFORMAT also for a missing or unreadable file. */
SNF_API int snf_hydro_table_read(snf_hydro_table *t, const char *path, const snf_hydro_table_opts *o);
/* Reads a whole file into a NUL-terminated buffer (caller frees); SNF_EFORMAT if missing. */
SNF_API int snf_hydro_file_slurp(const char *path, char **buf, size_t *len);

/* The columns INI config (validation/README.md), from memory or a file; SNF_EFORMAT "name:line: ...". */
SNF_API int snf_columns_config_parse(snf_columns_spec *s, const char *name, const char *buf, size_t len);
SNF_API int snf_columns_config_read(snf_columns_spec *s, const char *path);

/* Applies a spec to a parsed table: checks columns, converts units and the time origin, checks the
 * series (strictly increasing times, L >= 0, at least 2 rows). name is used in messages. */
SNF_API int snf_columns_apply(snf_hydro_run *r, const snf_hydro_table *t, const char *name, const snf_columns_spec *s);

/* ---- readers: one run each ---- */

/* A column file (one file: time, L and optionally v). */
SNF_API int snf_hydro_read_columns(snf_hydro_run *r, const char *path, const snf_columns_spec *s);
/* A SNEC output folder (its Data/ subfolder is used if present): lum_observed.dat, vel_photo.dat;
 * index_photo.dat (optional) ends v_ph at the photosphere's deepest cell; info.dat (optional) gives the
 * breakout time. origin: SNF_ORIGIN_EXPLOSION (t = 0 at the bomb) or SNF_ORIGIN_BREAKOUT. */
SNF_API int snf_hydro_read_snec(snf_hydro_run *r, const char *dir, snf_time_origin origin);
/* A STELLA model by base name: L from BASE.lbol, else BASE.tt (Mbol), else BASE.lbol_lnuc.txt; v_ph from
 * BASE.swd.ph (tau = 2/3), else BASE.vel_feII (Fe II 5169, tau_Sob = 1), else none. */
SNF_API int snf_hydro_read_stella(snf_hydro_run *r, const char *base);

/* Strict checks shared by the readers (the message names name and the source lines). */
SNF_API int snf_hydro_series_check(const snf_hydro_series *s, const int *lines, const char *name, const char *what);

/* ---- resampling ---- */

/* Resamples a series onto t_d[T]: interpolation (GSL Steffen, monotone between samples; linear for two
 * samples) inside each stretch of finite samples, of log10 y if log_y (y <= 0 is undefined), else of y.
 * Grid times outside the stretches (before the first sample, after the last, or across undefined
 * samples) get NaN. Values are float like the dataset. SNF_OK, SNF_EGSL, SNF_ENOMEM. */
SNF_API int snf_hydro_resample(float *out, const snf_hydro_series *s, int log_y, const double *t_d, int T);

/* Peak of a curve on a grid, ignoring t < t_min_d (SNEC's breakout spike): day and log10 L of the
 * maximum (parabolic refinement), and the end of the dome (steepest fall of log L after the peak, over
 * +-2 samples). NaN where undefined. */
SNF_API void snf_hydro_peak(snf_lc_derived *d, const double *t_d, const float *log_l, int T, double t_min_d);

/* ---- index and import ---- */

SNF_API int snf_hydro_index_read(snf_hydro_index *idx, const char *path);
SNF_API void snf_hydro_index_free(snf_hydro_index *idx);

/* Reads every run of the index, resamples, writes opts->out_path (as .tmp, renamed when complete).
 * /status_msg of each row holds the run's path as written in the index (then ": reason" for a failed
 * run: fewer than SNF_HYDRO_MIN_COVERAGE grid times with L). */
SNF_API int snf_hydro_import(const snf_hydro_import_opts *o, snf_hydro_import_summary *sum);

/* Format by name ("snec", "stella", "columns"), origin by name ("explosion", "run", "breakout", "lmax"). */
SNF_API int snf_hydro_format_parse(const char *name, snf_hydro_format *out);
SNF_API const char *snf_hydro_format_name(snf_hydro_format f);
SNF_API int snf_time_origin_parse(const char *name, snf_time_origin *out);

/* ---- free ---- */

SNF_API void snf_hydro_table_free(snf_hydro_table *t);
/* Frees t_d and y and zeroes the series (NULL: nothing). */
SNF_API void snf_hydro_series_free(snf_hydro_series *s);
SNF_API void snf_hydro_run_free(snf_hydro_run *r);

/* ---- progenitor profiles as files (grids/hydro/profile_io.c; the profile is rhd.h's) ---- */

/* Writes PREFIX.short and PREFIX.iso.dat (SNEC's format, the reference's number formats) through the output
 * owner: both files staged and renamed together under PREFIX's lock, nothing left on failure. */
SNF_API int snf_profile_write_snec(const char *prefix, const snf_rhd_profile *p);

/* A user's stellar profile (MESA / KEPLER-style text table: blank- or comma-separated columns under one
 * header line of names, the first line naming a mass column; '#' comments and blank lines skipped) into a
 * profile of SNEC's 15 species. Columns found by name, case-insensitively: mass (mass, m, mass_g, mass_msun),
 * radius (radius, r, radius_cm, radius_rsun, or log10 as logr / log_r), density (rho, density, dens, logrho,
 * log_rho), temperature (temperature, temp, t, logt, log_t), velocity (velocity, vel, v, u; optional, else 0)
 * and the composition (neut/n, h1/h/prot, he4/he, c12, n14 and o16 (both into O16), ne20, mg24, si28, s32,
 * ar36, ca40, ti44, cr48, fe52/fe54/fe56, ni56; any subset, each row renormalised). Units: mass in Msun when
 * the largest is below 1e3, else g; radius in Rsun (6.96e10 cm) when the largest is below 1e6, else cm.
 * Rows in either order (sorted by mass). A missing column: SNF_EFORMAT "file:line: no column for <quantity>
 * (names tried: ...)" at the header line; a bad value "file:line: column K: ..."; a row of another length. */
SNF_API int snf_profile_read_columns(const char *path, snf_rhd_profile *p);

#ifdef __cplusplus
}
#endif

#endif
