/* import_columns.c: the "columns" format: any CSV or blank-separated table read through a mapping of
 * columns, units, log/linear luminosity and time origin given in a small INI file (snf_ini in ini.h:
 * libinih with a line-counting reader, so every message names file:line and the key). This lets a code
 * snforge does not know be read by configuration alone. The config's keys are documented in validation/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "snforge/grids.h"
#include "snforge/core.h"

/* ---- types ---- */

typedef struct snf_cc_parse {
    snf_ini ini; /* reader state, current line, first failure */
    snf_columns_spec *s;
} snf_cc_parse;

#define SNF_SOLAR_L_ERG_S 3.828e33 /* IAU 2015 nominal solar luminosity */
#define SNF_SOLAR_MBOL 4.74         /* IAU 2015 zero point: M_bol,sun for L_sun = 3.828e33 erg/s */

/* ---- static helpers ---- */

static int snf_cc_number(snf_cc_parse *ps, const char *sec, const char *key, const char *v, double *out)
{
    return snf_ini_double(&ps->ini, sec, key, v, -INFINITY, INFINITY, out); /* ini.c's typed parser */
}

static int snf_cc_column(snf_cc_parse *ps, const char *sec, const char *key, const char *v, int *out, int zero_ok)
{
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || x < (zero_ok ? 0 : 1) || x > 256) {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "'%s' is not a column number (expected %s1-256)", v,
                            zero_ok ? "0 = none or " : "");
    }
    *out = (int)x;
    return 1;
}

static int snf_cc_handler(void *user, const char *section, const char *key, const char *v)
{
    snf_cc_parse *ps = user;
    snf_columns_spec *s = ps->s;
    if (ps->ini.err) {
        return 0;
    }
    if (strcmp(section, "columns") == 0) {
        if (strcmp(key, "time") == 0) {
            return snf_cc_column(ps, section, key, v, &s->col_t, 0);
        }
        if (strcmp(key, "lum") == 0) {
            return snf_cc_column(ps, section, key, v, &s->col_L, 0);
        }
        if (strcmp(key, "vph") == 0) {
            return snf_cc_column(ps, section, key, v, &s->col_v, 1);
        }
        if (strcmp(key, "ncols") == 0) {
            return snf_cc_column(ps, section, key, v, &s->table.ncols, 1);
        }
        if (strcmp(key, "skip") == 0) {
            char *end = NULL;
            long x = strtol(v, &end, 10);
            if (end == v || *end != '\0' || x < 0 || x > 100000) {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is not a line count (expected 0-100000)", v);
            }
            s->table.skip_lines = (int)x;
            return 1;
        }
        if (strcmp(key, "delimiter") == 0) {
            if (strcmp(v, "auto") == 0) {
                s->table.delimiter = 0;
            } else if (strcmp(v, "comma") == 0 || strcmp(v, ",") == 0) {
                s->table.delimiter = ',';
            } else if (strcmp(v, "whitespace") == 0 || strcmp(v, "blank") == 0) {
                s->table.delimiter = ' ';
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is unknown (expected auto, comma or whitespace)", v);
            }
            return 1;
        }
        if (strcmp(key, "header") == 0) {
            if (strcmp(v, "auto") == 0) {
                s->table.skip_text_header = 1;
            } else if (strcmp(v, "none") == 0) {
                s->table.skip_text_header = 0;
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key, "'%s' is unknown (expected auto or none)", v);
            }
            return 1;
        }
    } else if (strcmp(section, "units") == 0) {
        if (strcmp(key, "time") == 0) {
            if (strcmp(v, "s") == 0) {
                s->t_to_d = 1.0 / 86400.0;
            } else if (strcmp(v, "min") == 0) {
                s->t_to_d = 1.0 / 1440.0;
            } else if (strcmp(v, "h") == 0) {
                s->t_to_d = 1.0 / 24.0;
            } else if (strcmp(v, "d") == 0) {
                s->t_to_d = 1.0;
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key, "'%s' is unknown (expected s, min, h or d)",
                                    v);
            }
            return 1;
        }
        if (strcmp(key, "lum") == 0) {
            if (strcmp(v, "erg/s") == 0) {
                s->lum_unit_erg_s = 1.0;
            } else if (strcmp(v, "W") == 0) {
                s->lum_unit_erg_s = 1e7;
            } else if (strcmp(v, "Lsun") == 0) {
                s->lum_unit_erg_s = SNF_SOLAR_L_ERG_S;
            } else if (strcmp(v, "1e40 erg/s") == 0) {
                s->lum_unit_erg_s = 1e40;
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is unknown (expected erg/s, W, Lsun or 1e40 erg/s)", v);
            }
            return 1;
        }
        if (strcmp(key, "lum_scale") == 0) {
            if (strcmp(v, "linear") == 0) {
                s->lum_scale = SNF_LUM_LINEAR;
            } else if (strcmp(v, "log10") == 0) {
                s->lum_scale = SNF_LUM_LOG10;
            } else if (strcmp(v, "mbol") == 0) {
                s->lum_scale = SNF_LUM_MBOL;
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is unknown (expected linear, log10 or mbol)", v);
            }
            return 1;
        }
        if (strcmp(key, "mbol_sun") == 0) {
            return snf_cc_number(ps, section, key, v, &s->mbol_sun);
        }
        if (strcmp(key, "vph") == 0) {
            if (strcmp(v, "km/s") == 0) {
                s->v_to_km_s = 1.0;
            } else if (strcmp(v, "cm/s") == 0) {
                s->v_to_km_s = 1e-5;
            } else if (strcmp(v, "m/s") == 0) {
                s->v_to_km_s = 1e-3;
            } else if (strcmp(v, "1000 km/s") == 0 || strcmp(v, "1e8 cm/s") == 0) {
                s->v_to_km_s = 1e3;
            } else {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is unknown (expected km/s, cm/s, m/s or 1000 km/s)", v);
            }
            return 1;
        }
    } else if (strcmp(section, "time") == 0) {
        if (strcmp(key, "origin") == 0) {
            if (snf_time_origin_parse(v, &s->origin) < 0) {
                return snf_ini_fail(&ps->ini, ps->ini.line, section, key,
                                    "'%s' is unknown (expected explosion, run, breakout or lmax)", v);
            }
            return 1;
        }
        if (strcmp(key, "offset") == 0) {
            return snf_cc_number(ps, section, key, v, &s->offset_d);
        }
    } else {
        return snf_ini_fail(&ps->ini, ps->ini.line, NULL, NULL,
                            "unknown section [%s] (expected [columns], [units] or [time])", section);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, section, key, "unknown key");
}

/* ---- public API ---- */

snf_columns_spec snf_columns_spec_default(void)
{
    snf_columns_spec s = {.table = snf_hydro_table_opts_default(),
                          .col_t = 1, .col_L = 2, .col_v = 3,
                          .t_to_d = 1.0,
                          .lum_scale = SNF_LUM_LINEAR, .lum_unit_erg_s = 1.0, .mbol_sun = SNF_SOLAR_MBOL,
                          .v_to_km_s = 1.0,
                          .origin = SNF_ORIGIN_EXPLOSION, .offset_d = 0.0};
    return s;
}

int snf_time_origin_parse(const char *name, snf_time_origin *out)
{
    if (strcmp(name, "explosion") == 0 || strcmp(name, "run") == 0) {
        *out = SNF_ORIGIN_EXPLOSION;
    } else if (strcmp(name, "breakout") == 0) {
        *out = SNF_ORIGIN_BREAKOUT;
    } else if (strcmp(name, "lmax") == 0) {
        *out = SNF_ORIGIN_LMAX;
    } else {
        SNF_ERROR(SNF_EINVAL, "unknown time origin '%s' (expected explosion, run, breakout or lmax)", name);
    }
    return SNF_OK;
}

int snf_columns_config_parse(snf_columns_spec *s, const char *name, const char *buf, size_t len)
{
    *s = snf_columns_spec_default();
    snf_cc_parse *ps = malloc(sizeof *ps);
    if (ps == NULL) {
        SNF_ERROR(SNF_ENOMEM, "%s: out of memory", name);
    }
    snf_ini_init(&ps->ini, name, buf, len);
    ps->s = s;
    int e = snf_ini_parse(&ps->ini, snf_cc_handler, ps);
    int line = ps->ini.line;
    int rc = snf_ini_report(&ps->ini);
    free(ps);
    if (rc < 0) {
        return rc;
    }
    if (e > 0) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: not an INI line: expected [section] or key = value", name, e);
    }
    if (e < 0) {
        SNF_ERROR(SNF_ENOMEM, "%s: the INI parser failed (%d)", name, e);
    }
    int cols[3] = {s->col_t, s->col_L, s->col_v};
    for (int a = 0; a < 3; a++) {
        for (int b = a + 1; b < 3; b++) {
            if (cols[a] > 0 && cols[a] == cols[b]) {
                SNF_ERROR(SNF_EFORMAT, "%s:%d: [columns] time, lum and vph use column %d twice: expected distinct columns",
                          name, line, cols[a]);
            }
        }
    }
    int maxc = s->col_t > s->col_L ? s->col_t : s->col_L;
    maxc = s->col_v > maxc ? s->col_v : maxc;
    if (s->table.ncols > 0 && s->table.ncols < maxc) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: [columns] ncols = %d but column %d is used: expected ncols >= %d", name, line,
                  s->table.ncols, maxc, maxc);
    }
    return SNF_OK;
}

int snf_columns_config_read(snf_columns_spec *s, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    SNF_CHECK(snf_hydro_file_slurp(path, &buf, &len));
    int rc = snf_columns_config_parse(s, path, buf, len);
    free(buf);
    return rc;
}

void snf_hydro_series_free(snf_hydro_series *s)
{
    if (s == NULL) {
        return;
    }
    free(s->t_d);
    free(s->y);
    memset(s, 0, sizeof *s);
}

void snf_hydro_run_free(snf_hydro_run *r)
{
    if (r == NULL) {
        return;
    }
    snf_hydro_series_free(&r->L);
    snf_hydro_series_free(&r->v);
    memset(r, 0, sizeof *r);
}

int snf_columns_apply(snf_hydro_run *r, const snf_hydro_table *t, const char *name, const snf_columns_spec *s)
{
    memset(r, 0, sizeof *r);
    r->t_breakout_d = NAN;
    r->v_valid_end_d = INFINITY;
    int maxc = s->col_t > s->col_L ? s->col_t : s->col_L;
    maxc = s->col_v > maxc ? s->col_v : maxc;
    if (s->col_t < 1 || s->col_L < 1 || t->ncols < maxc) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: %d column%s: expected at least %d (time in %d, L in %d%s)", name,
                  t->nrows > 0 ? t->line[0] : 1, t->ncols, t->ncols == 1 ? "" : "s", maxc, s->col_t, s->col_L,
                  s->col_v > 0 ? ", v_ph too" : "");
    }
    int n = t->nrows, rc = SNF_OK;
    r->L.t_d = malloc((size_t)n * sizeof(double));
    r->L.y = malloc((size_t)n * sizeof(double));
    if (s->col_v > 0) {
        r->v.t_d = malloc((size_t)n * sizeof(double));
        r->v.y = malloc((size_t)n * sizeof(double));
    }
    if (!r->L.t_d || !r->L.y || (s->col_v > 0 && (!r->v.t_d || !r->v.y))) {
        SNF_FAIL(SNF_ENOMEM, "%s: out of memory for %d rows", name, n);
    }
    r->L.n = n;
    r->v.n = s->col_v > 0 ? n : 0;
    double t_ref = 0, lmax = -INFINITY;
    for (int k = 0; k < n; k++) {
        const double *row = t->v + (size_t)k * (size_t)t->ncols;
        double raw = row[s->col_L - 1], L;
        switch (s->lum_scale) {
        case SNF_LUM_LOG10: L = pow(10.0, raw) * s->lum_unit_erg_s; break;
        case SNF_LUM_MBOL: L = SNF_SOLAR_L_ERG_S * pow(10.0, 0.4 * (s->mbol_sun - raw)); break;
        default: L = raw * s->lum_unit_erg_s; break;
        }
        if (s->lum_scale == SNF_LUM_LINEAR && raw < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: luminosity %g in column %d is negative: expected L >= 0", name, t->line[k],
                     raw, s->col_L);
        }
        if (!isfinite(L)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: luminosity %g in column %d overflows: expected %s", name, t->line[k], raw,
                     s->col_L, s->lum_scale == SNF_LUM_LOG10 ? "log10 L < 300" : "a finite value");
        }
        r->L.y[k] = L;
        r->L.t_d[k] = row[s->col_t - 1] * s->t_to_d;
        if (L > lmax) {
            lmax = L;
            t_ref = r->L.t_d[k];
        }
        if (s->col_v > 0) {
            double v = row[s->col_v - 1] * s->v_to_km_s;
            r->v.t_d[k] = r->L.t_d[k];
            r->v.y[k] = v > 0 ? v : NAN; /* no photosphere (0) or infall: undefined */
        }
    }
    if (s->origin != SNF_ORIGIN_LMAX) {
        t_ref = 0;
    }
    for (int k = 0; k < n; k++) {
        r->L.t_d[k] = r->L.t_d[k] - t_ref + s->offset_d;
        if (s->col_v > 0) {
            r->v.t_d[k] = r->L.t_d[k];
        }
    }
    if (s->origin == SNF_ORIGIN_BREAKOUT) {
        r->t_breakout_d = s->offset_d;
    }
    rc = snf_hydro_series_check(&r->L, t->line, name, "data");
    if (rc < 0) {
        goto cleanup;
    }
    return SNF_OK;
cleanup:
    snf_hydro_run_free(r);
    return rc;
}

int snf_hydro_read_columns(snf_hydro_run *r, const char *path, const snf_columns_spec *s)
{
    memset(r, 0, sizeof *r);
    snf_hydro_table t;
    SNF_CHECK(snf_hydro_table_read(&t, path, &s->table));
    int rc = snf_columns_apply(r, &t, path, s);
    snf_hydro_table_free(&t);
    return rc;
}
