/* hydro_table.c: numeric text tables of hydro codes (CSV or blank-separated) with the source line of
 * every row, so each reader can say "file:line: what was expected". Strict: a field that is not a whole
 * number, a NaN or inf, an empty field or a wrong column count is an error, never skipped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"
#include "snforge/grids.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_TABLE_MAX_COLS 256 /* a generous bound: the widest known output (MESA .data) has 36 */

/* Splits line[0..len) into fields: ',' through the one CSV splitter (fileio.h), ' ' on runs of blanks.
 * Fields are (start, length) pairs. Returns the count, or -1 if more than max. */
static int snf_split(const char *line, size_t len, char delim, const char **fs, size_t *fl, int max)
{
    if (delim == ',') {
        int n = snf_csv_split(line, len, fs, fl, max);
        return n > max ? -1 : n;
    }
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f')) {
            i++;
        }
        if (i >= len) {
            break;
        }
        size_t a = i;
        while (i < len && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\v' || line[i] == '\f')) {
            i++;
        }
        if (n == max) {
            return -1;
        }
        fs[n] = line + a;
        fl[n] = i - a;
        n++;
    }
    return n;
}

/* Strict number: the whole field (an empty field is an error here). Returns 0 and *out, -1 if not a
 * number, -2 if not finite (unless allowed). */
static int snf_field_number(const char *f, size_t n, double *out, int allow_nonfinite)
{
    if (n == 0) {
        return -1;
    }
    int e = snf_csv_number(f, n, out);
    return (e == -2 && allow_nonfinite) ? 0 : e;
}

/* ---- public API ---- */

snf_hydro_table_opts snf_hydro_table_opts_default(void)
{
    snf_hydro_table_opts o = {.skip_lines = 0, .delimiter = 0, .ncols = 0, .skip_text_header = 0,
                              .start_after = NULL, .allow_nonfinite = 0};
    return o;
}

void snf_hydro_table_free(snf_hydro_table *t)
{
    if (t == NULL) {
        return;
    }
    free(t->v);
    free(t->line);
    t->v = NULL;
    t->line = NULL;
    t->nrows = t->ncols = 0;
}

int snf_hydro_table_parse(snf_hydro_table *t, const char *name, const char *buf, size_t len,
                          const snf_hydro_table_opts *o)
{
    int rc = SNF_OK;
    memset(t, 0, sizeof *t);
    const char *fs[SNF_TABLE_MAX_COLS];
    size_t fl[SNF_TABLE_MAX_COLS];
    size_t cap = 0;
    char delim = o->delimiter;
    int in_header = o->skip_text_header;
    int waiting_start = o->start_after != NULL;
    if (memchr(buf, '\0', len) != NULL) {
        int nl = 1;
        for (const char *p = buf; *p; p++) {
            nl += *p == '\n';
        }
        SNF_FAIL(SNF_EFORMAT, "%s:%d: binary data (a NUL byte): expected a text table", name, nl);
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *ln;
    size_t lnl;
    int line = 0;
    while (snf_text_next(&it, &ln, &lnl)) {
        line = it.line;
        if (line <= o->skip_lines) {
            continue;
        }
        size_t s = 0, b = lnl;
        buf = ln; /* the loop below indexes buf[s..b) */
        if (waiting_start) {
            const char *w = o->start_after;
            size_t wl = strlen(w);
            if (b - s >= wl && memcmp(buf + s, w, wl) == 0 && (s + wl == b || buf[s + wl] == ' ' || buf[s + wl] == '\t')) {
                waiting_start = 0;
            }
            continue;
        }
        if (delim == 0) {
            delim = memchr(buf + s, ',', b - s) ? ',' : ' ';
        }
        int n = snf_split(buf + s, b - s, delim, fs, fl, SNF_TABLE_MAX_COLS);
        if (n < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: more than %d fields: expected a table of numbers", name, line,
                     SNF_TABLE_MAX_COLS);
        }
        if (in_header) {
            double first_value; /* parsed only to tell a header line from data */
            if (n == 0 || snf_field_number(fs[0], fl[0], &first_value, 1) != 0) {
                continue;
            }
            in_header = 0;
        }
        int want = o->ncols != 0 ? o->ncols : (t->nrows > 0 ? t->ncols : 0);
        if ((want > 0 && n != want) || (want < 0 && n < -want)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d fields: expected %s%d (%s-separated)", name, line, n,
                     want < 0 ? "at least " : "", want < 0 ? -want : want, delim == ',' ? "comma" : "blank");
        }
        if (t->nrows == 0) {
            t->ncols = want > 0 ? want : n;
            if (want < 0) {
                t->ncols = -want; /* only the first -ncols fields are kept */
            }
        }
        if ((size_t)t->nrows == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            if (ncap > (size_t)1 << 26) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: more than %zu rows", name, line, cap);
            }
            double *nv = realloc(t->v, ncap * (size_t)t->ncols * sizeof *nv);
            if (nv == NULL) {
                SNF_FAIL(SNF_ENOMEM, "%s: out of memory at line %d", name, line);
            }
            t->v = nv;
            int *nl = realloc(t->line, ncap * sizeof *nl);
            if (nl == NULL) {
                SNF_FAIL(SNF_ENOMEM, "%s: out of memory at line %d", name, line);
            }
            t->line = nl;
            cap = ncap;
        }
        for (int k = 0; k < t->ncols; k++) {
            double v = 0;
            int e = snf_field_number(fs[k], fl[k], &v, o->allow_nonfinite);
            if (e != 0) {
                char ex[40];
                snf_text_excerpt(ex, sizeof ex, fs[k], fl[k]);
                if (fl[k] == 0) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: field %d is empty: expected a number", name, line, k + 1);
                }
                SNF_FAIL(SNF_EFORMAT, "%s:%d: field %d '%s' is %s: expected a finite number", name, line, k + 1,
                         ex, e == -2 ? "not finite" : "not a number");
            }
            t->v[(size_t)t->nrows * (size_t)t->ncols + (size_t)k] = v;
        }
        t->line[t->nrows] = line;
        t->nrows++;
    }
    line = it.line;
    if (waiting_start) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no line starting with '%s': expected the column header before the data",
                 name, line, o->start_after);
    }
    if (t->nrows == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no data rows: expected a table of numbers", name, line);
    }
    return SNF_OK;
cleanup:
    snf_hydro_table_free(t);
    return rc;
}

int snf_hydro_file_slurp(const char *path, char **out, size_t *len)
{
    int rc = snf_text_slurp(path, "table", out, len);
    if (rc == SNF_EINVAL) { /* a missing table is a malformed run for the importers (exit 2 either way) */
        return snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s", snf_error_last_message());
    }
    return rc;
}

int snf_hydro_table_read(snf_hydro_table *t, const char *path, const snf_hydro_table_opts *o)
{
    memset(t, 0, sizeof *t);
    char *buf = NULL;
    size_t len = 0;
    SNF_CHECK(snf_hydro_file_slurp(path, &buf, &len));
    if (len == 0) {
        free(buf);
        SNF_ERROR(SNF_EFORMAT, "%s:1: the file is empty: expected a table of numbers", path);
    }
    int rc = snf_hydro_table_parse(t, path, buf, len, o);
    free(buf);
    return rc;
}

int snf_hydro_series_alloc(snf_hydro_series *s, snf_hydro_table *t, int n, const char *path)
{
    s->n = n;
    s->t_d = malloc((size_t)n * sizeof(double));
    s->y = malloc((size_t)n * sizeof(double));
    if (!s->t_d || !s->y) {
        snf_hydro_series_free(s);
        snf_hydro_table_free(t);
        SNF_ERROR(SNF_ENOMEM, "%s: out of memory", path);
    }
    return SNF_OK;
}

int snf_hydro_series_take(snf_hydro_series *s, int **lines, snf_hydro_table *t, const char *path, int rc)
{
    *lines = t->line; /* the caller owns the line numbers now */
    t->line = NULL;
    snf_hydro_table_free(t);
    if (rc >= 0) {
        rc = snf_hydro_series_check(s, *lines, path, "data");
    }
    if (rc < 0) {
        snf_hydro_series_free(s);
        free(*lines);
        *lines = NULL;
    }
    return rc;
}

int snf_hydro_series_check(const snf_hydro_series *s, const int *lines, const char *name, const char *what)
{
    if (s->n < 2) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: %d row%s of %s: expected at least 2", name, s->n > 0 ? lines[0] : 1, s->n,
                  s->n == 1 ? "" : "s", what);
    }
    for (int k = 0; k < s->n; k++) {
        if (!isfinite(s->t_d[k])) {
            SNF_ERROR(SNF_EFORMAT, "%s:%d: time is not finite after unit conversion", name, lines[k]);
        }
        if (k > 0 && !(s->t_d[k] > s->t_d[k - 1])) {
            SNF_ERROR(SNF_EFORMAT,
                      "%s:%d: time %.10g d %s the previous row's %.10g d (line %d): expected strictly increasing "
                      "times (a rerun appended to the same file?)",
                      name, lines[k], s->t_d[k], s->t_d[k] == s->t_d[k - 1] ? "repeats" : "is before", s->t_d[k - 1],
                      lines[k - 1]);
        }
    }
    return SNF_OK;
}
