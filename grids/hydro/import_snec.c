/* import_snec.c: one SNEC run (Morozova et al. 2015) from its output folder: lum_observed.dat (L_bol,
 * erg/s) and vel_photo.dat (velocity at the tau = 2/3 photosphere, cm/s), two columns with time in
 * seconds from the start of the run (the bomb). index_photo.dat, when present, ends v_ph once the
 * photosphere has reached its deepest cell (afterwards SNEC's tau = 2/3 point moves back out through
 * transparent ejecta: not a photosphere). info.dat, when present, gives the breakout time. Files may
 * carry '#' provenance lines (the bundled copies in validation/data do). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_S_PER_DAY 86400.0

static int snf_snec_path(char *out, size_t n, const char *dir, const char *file)
{
    char data[4096];
    struct stat st;
    snprintf(data, sizeof data, "%s/Data", dir);
    const char *base = (stat(data, &st) == 0 && S_ISDIR(st.st_mode)) ? data : dir;
    if (snprintf(out, n, "%s/%s", base, file) >= (int)n) {
        SNF_ERROR(SNF_EINVAL, "%s/%s: path too long", dir, file);
    }
    return SNF_OK;
}

/* Reads a 2-column SNEC scalar file into a series (times converted to days, values as read). */
static int snf_snec_series(snf_hydro_series *s, int **lines, const char *path)
{
    snf_hydro_table t;
    snf_hydro_table_opts o = snf_hydro_table_opts_default();
    o.ncols = 2;
    o.delimiter = ' ';
    memset(s, 0, sizeof *s);
    *lines = NULL;
    SNF_CHECK(snf_hydro_table_read(&t, path, &o));
    SNF_CHECK(snf_hydro_series_alloc(s, &t, t.nrows, path));
    for (int k = 0; k < t.nrows; k++) {
        s->t_d[k] = t.v[2 * k] / SNF_S_PER_DAY;
        s->y[k] = t.v[2 * k + 1];
    }
    return snf_hydro_series_take(s, lines, &t, path, SNF_OK);
}

/* "Time of breakout =    5566.57 seconds" from info.dat; NaN if absent. */
static double snf_snec_breakout_s(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    if (snf_hydro_file_slurp(path, &buf, &len) < 0) {
        snf_error_clear();
        return NAN;
    }
    double t = NAN;
    const char *p = strstr(buf, "Time of breakout =");
    if (p) {
        char *end = NULL;
        double v = strtod(p + strlen("Time of breakout ="), &end);
        if (end != p && isfinite(v) && v >= 0) {
            t = v;
        }
    }
    free(buf);
    return t;
}

/* ---- public API ---- */

int snf_hydro_read_snec(snf_hydro_run *r, const char *dir, snf_time_origin origin)
{
    memset(r, 0, sizeof *r);
    r->t_breakout_d = NAN;
    r->v_valid_end_d = INFINITY;
    char path[4200];
    int *lines = NULL, rc = SNF_OK;
    snf_hydro_series idx = {0};
    if (origin == SNF_ORIGIN_LMAX) {
        SNF_ERROR(SNF_EINVAL, "SNEC runs take the time origin run (= explosion) or breakout, not lmax");
    }
    SNF_CHECK(snf_snec_path(path, sizeof path, dir, "lum_observed.dat"));
    SNF_CHECK(snf_snec_series(&r->L, &lines, path));
    for (int k = 0; k < r->L.n; k++) {
        if (r->L.y[k] < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: luminosity %g erg/s is negative: expected L >= 0", path, lines[k],
                     r->L.y[k]);
        }
    }
    free(lines);
    lines = NULL;

    rc = snf_snec_path(path, sizeof path, dir, "vel_photo.dat");
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_snec_series(&r->v, &lines, path);
    if (rc < 0) {
        goto cleanup;
    }
    for (int k = 0; k < r->v.n; k++) {
        double v = r->v.y[k] * 1e-5; /* cm/s -> km/s */
        r->v.y[k] = v > 0 ? v : NAN; /* the first row is 0: no photosphere yet */
    }
    free(lines);
    lines = NULL;

    /* The photosphere's deepest cell: v_ph ends at the first time index_photo.dat reaches its minimum. */
    rc = snf_snec_path(path, sizeof path, dir, "index_photo.dat");
    if (rc < 0) {
        goto cleanup;
    }
    FILE *probe = fopen(path, "r");
    if (probe != NULL) {
        fclose(probe);
        rc = snf_snec_series(&idx, &lines, path);
        if (rc < 0) {
            goto cleanup;
        }
        double imin = INFINITY, tmin = INFINITY;
        for (int k = 0; k < idx.n; k++) {
            if (idx.t_d[k] > 0 && idx.y[k] < imin) { /* row 0 (t = 0) holds index 0 before any output */
                imin = idx.y[k];
                tmin = idx.t_d[k];
            }
        }
        r->v_valid_end_d = tmin;
        for (int k = 0; k < r->v.n; k++) {
            if (r->v.t_d[k] > tmin) {
                r->v.y[k] = NAN;
            }
        }
        free(lines);
        lines = NULL;
    }

    rc = snf_snec_path(path, sizeof path, dir, "info.dat");
    if (rc < 0) {
        goto cleanup;
    }
    double tb = snf_snec_breakout_s(path);
    r->t_breakout_d = tb / SNF_S_PER_DAY;
    if (origin == SNF_ORIGIN_BREAKOUT) {
        if (!isfinite(tb)) {
            SNF_FAIL(SNF_EFORMAT, "%s:1: no 'Time of breakout = ... seconds' line: expected it for --time-origin breakout",
                     path);
        }
        for (int k = 0; k < r->L.n; k++) {
            r->L.t_d[k] -= r->t_breakout_d;
        }
        for (int k = 0; k < r->v.n; k++) {
            r->v.t_d[k] -= r->t_breakout_d;
        }
        r->v_valid_end_d -= r->t_breakout_d;
        r->t_breakout_d = 0;
    }
    snf_hydro_series_free(&idx);
    return SNF_OK;
cleanup:
    free(lines);
    snf_hydro_series_free(&idx);
    snf_hydro_run_free(r);
    return rc;
}
