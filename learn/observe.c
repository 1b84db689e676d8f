/* observe.c: observation files (interfaces.md) and their resampling onto a model's grid. The file is
 * CSV: '#' comment lines (and blank lines) before the header t_d,L_erg_s,L_err,vph_km_s,vph_err, then
 * one row per epoch with empty fields for missing values. Errors (L_err, vph_err) are read and checked;
 * the network takes no uncertainties, `snforge fit` and `keypoints` use them. Each series is interpolated linearly (log10 L and
 * v_ph) between its own first and last points; outside, the grid gets NaN (the NaN policy then fills
 * it and clears its mask). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/data.h"
#include "snforge/status.h"

/* ---- static helpers ---- */

static const char *const snf_obs_cols[5] = {"t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"};

static char *snf_trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* Splits line at commas into at most max fields; returns the number of fields. */
static int snf_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (n < max) {
            f[n] = p;
        }
        n++;
        if (!c) {
            break;
        }
        *c = '\0';
        p = c + 1;
    }
    for (int k = 0; k < n && k < max; k++) {
        f[k] = snf_trim(f[k]);
    }
    return n;
}

/* Empty -> NaN (missing); otherwise a strict finite number. Returns 0 on bad text. */
static int snf_obs_number(const char *s, double *out)
{
    if (*s == '\0') {
        *out = NAN;
        return 1;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        return 0;
    }
    *out = v;
    return 1;
}

static int snf_obs_push(snf_obs *o, long *cap, double t, double L, double v, double le, double ve)
{
    if (o->n == *cap) {
        long nc = *cap ? 2 * *cap : 256;
        double *e = realloc(o->L_err, (size_t)nc * sizeof *e);
        if (!e) {
            return SNF_ENOMEM;
        }
        o->L_err = e;
        e = realloc(o->vph_err, (size_t)nc * sizeof *e);
        if (!e) {
            return SNF_ENOMEM;
        }
        o->vph_err = e;
        double *a = realloc(o->t_d, (size_t)nc * sizeof *a);
        if (!a) {
            return SNF_ENOMEM;
        }
        o->t_d = a;
        a = realloc(o->L_erg_s, (size_t)nc * sizeof *a);
        if (!a) {
            return SNF_ENOMEM;
        }
        o->L_erg_s = a;
        a = realloc(o->vph_km_s, (size_t)nc * sizeof *a);
        if (!a) {
            return SNF_ENOMEM;
        }
        o->vph_km_s = a;
        *cap = nc;
    }
    o->t_d[o->n] = t;
    o->L_erg_s[o->n] = L;
    o->vph_km_s[o->n] = v;
    o->L_err[o->n] = le;
    o->vph_err[o->n] = ve;
    o->n++;
    o->n_L += isfinite(L);
    o->n_v += isfinite(v);
    return SNF_OK;
}

/* ---- public API ---- */

int snf_obs_read(snf_obs *o, const char *path)
{
    memset(o, 0, sizeof *o);
    FILE *f = fopen(path, "r");
    if (!f) {
        int err = errno; /* a missing file is the user's input (exit 2); other failures are I/O */
        SNF_ERROR(err == ENOENT ? SNF_EINVAL : SNF_EIO, "cannot read observation file %s: %s", path, strerror(err));
    }
    int rc = SNF_OK;
    char buf[4096];
    long line = 0, cap = 0;
    int header = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n' && !feof(f)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: line longer than %zu characters", path, line, sizeof buf - 2);
        }
        char *s = snf_trim(buf);
        if (!header) {
            if (*s == '\0' || *s == '#') {
                continue;
            }
            char *f5[6];
            int nf = snf_split(s, f5, 6);
            int ok = nf == 5;
            for (int k = 0; ok && k < 5; k++) {
                ok = strcmp(f5[k], snf_obs_cols[k]) == 0;
            }
            if (!ok) {
                SNF_FAIL(SNF_EFORMAT, "%s:%ld: bad header (expected 't_d,L_erg_s,L_err,vph_km_s,vph_err' after "
                         "'#' comment lines)", path, line);
            }
            header = 1;
            continue;
        }
        if (*s == '\0') {
            continue;
        }
        char *fl[6];
        int nf = snf_split(s, fl, 6);
        if (nf != 5) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: %d fields (expected 5: t_d,L_erg_s,L_err,vph_km_s,vph_err)", path, line, nf);
        }
        double v[5];
        for (int k = 0; k < 5; k++) {
            if (!snf_obs_number(fl[k], &v[k])) {
                SNF_FAIL(SNF_EFORMAT, "%s:%ld: %s '%s' is not a number (leave the field empty for a missing value)",
                         path, line, snf_obs_cols[k], fl[k]);
            }
        }
        if (!isfinite(v[0])) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: t_d is empty (every row needs a time)", path, line);
        }
        if (o->n > 0 && !(v[0] > o->t_d[o->n - 1])) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: t_d %g is not after the previous row's %g (times must increase)", path,
                     line, v[0], o->t_d[o->n - 1]);
        }
        if (isfinite(v[1]) && !(v[1] > 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: L_erg_s %g must be > 0", path, line, v[1]);
        }
        if (isfinite(v[3]) && !(v[3] > 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: vph_km_s %g must be > 0", path, line, v[3]);
        }
        if ((isfinite(v[2]) && v[2] < 0) || (isfinite(v[4]) && v[4] < 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%ld: uncertainties must be >= 0", path, line);
        }
        if (snf_obs_push(o, &cap, v[0], v[1], v[3], v[2], v[4]) < 0) {
            SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", path);
        }
    }
    if (ferror(f)) {
        SNF_FAIL(SNF_EIO, "error reading %s", path);
    }
    if (!header) {
        SNF_FAIL(SNF_EFORMAT, "%s:%ld: no header line 't_d,L_erg_s,L_err,vph_km_s,vph_err'", path, line);
    }
    if (o->n == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%ld: no data rows after the header", path, line);
    }
    fclose(f);
    return SNF_OK;
cleanup:
    fclose(f);
    snf_obs_free(o);
    return rc;
}

/* out[L] from the present values of one series (xs, ys as read; NaN rows skipped). */
static void snf_obs_series(float *out, const double *t, const double *y, long n, int logy,
                           const snf_data_spec *s)
{
    long first = -1, last = -1;
    for (long i = 0; i < n; i++) {
        if (isfinite(y[i])) {
            if (first < 0) {
                first = i;
            }
            last = i;
        }
    }
    long i = first; /* the last present point at or before the grid time */
    for (int j = 0; j < s->L; j++) {
        out[j] = NAN;
        double tj = snf_data_spec_time(s, j);
        if (first < 0 || tj < t[first] || tj > t[last]) {
            continue;
        }
        long nx = i; /* next present point after i */
        for (;;) {
            nx = i + 1;
            while (nx <= last && !isfinite(y[nx])) {
                nx++;
            }
            if (nx > last || t[nx] > tj) {
                break;
            }
            i = nx;
        }
        double a = logy ? log10(y[i]) : y[i];
        if (t[i] == tj || nx > last) {
            out[j] = (float)a;
            continue;
        }
        double b = logy ? log10(y[nx]) : y[nx];
        out[j] = (float)(a + (b - a) * (tj - t[i]) / (t[nx] - t[i]));
    }
}

void snf_obs_resample(const snf_obs *o, const snf_data_spec *s, float *lbol, float *vph)
{
    snf_obs_series(lbol, o->t_d, o->L_erg_s, o->n, 1, s);
    snf_obs_series(vph, o->t_d, o->vph_km_s, o->n, 0, s);
}

void snf_obs_free(snf_obs *o)
{
    if (!o) {
        return;
    }
    free(o->t_d);
    free(o->L_erg_s);
    free(o->vph_km_s);
    free(o->L_err);
    free(o->vph_err);
    memset(o, 0, sizeof *o);
}
