/* hydro_table.c: numeric text tables of hydro codes (CSV or blank-separated) with the source line of
 * every row, so each reader can say "file:line: what was expected". Strict: a field that is not a whole
 * number, a NaN or inf, an empty field or a wrong column count is an error, never skipped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/hydro.h"
#include "snforge/status.h"

/* ---- static helpers ---- */

#define SNF_TABLE_MAX_COLS 256 /* a generous bound: the widest known output (MESA .data) has 36 */

static int snf_is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* Splits line[0..len) into fields. delim ',' splits on commas (blanks around a field trimmed); ' ' on
 * runs of blanks. Fields are (start, length) pairs. Returns the count, or -1 if more than max. */
static int snf_split(const char *line, size_t len, char delim, const char **fs, size_t *fl, int max)
{
    int n = 0;
    size_t i = 0;
    if (delim == ',') {
        for (;;) {
            size_t a = i;
            while (i < len && line[i] != ',') {
                i++;
            }
            size_t b = i;
            while (a < b && snf_is_blank(line[a])) {
                a++;
            }
            while (b > a && snf_is_blank(line[b - 1])) {
                b--;
            }
            if (n == max) {
                return -1;
            }
            fs[n] = line + a;
            fl[n] = b - a;
            n++;
            if (i >= len) {
                break;
            }
            i++; /* the comma */
        }
        return n;
    }
    while (i < len) {
        while (i < len && snf_is_blank(line[i])) {
            i++;
        }
        if (i >= len) {
            break;
        }
        size_t a = i;
        while (i < len && !snf_is_blank(line[i])) {
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

/* Strict number: the whole field. Returns 0 and *out, or -1. Fortran's "1.0D+03" is accepted. */
static int snf_field_number(const char *f, size_t n, double *out, int allow_nonfinite)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) {
        return -1;
    }
    memcpy(buf, f, n);
    buf[n] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (buf[k] == 'D' || buf[k] == 'd') {
            buf[k] = 'e';
        }
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0') {
        return -1;
    }
    if (!allow_nonfinite && (!isfinite(v) || errno == ERANGE)) {
        if (!(errno == ERANGE && isfinite(v))) { /* underflow to a tiny value is fine */
            return -2;
        }
    }
    *out = v;
    return 0;
}

/* Copies a field into a short printable excerpt for messages. */
static void snf_excerpt(char *dst, size_t n, const char *f, size_t len)
{
    size_t k = 0;
    for (; k < len && k + 4 < n; k++) {
        char c = f[k];
        dst[k] = (c >= 32 && c < 127) ? c : '?';
    }
    if (k < len) {
        dst[k++] = '.';
        dst[k++] = '.';
    }
    dst[k] = '\0';
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
    int line = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t a = pos;
        while (pos < len && buf[pos] != '\n') {
            pos++;
        }
        size_t b = pos;
        if (pos < len) {
            pos++; /* the newline */
        }
        line++;
        if (memchr(buf + a, '\0', b - a) != NULL) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: binary data (a NUL byte): expected a text table", name, line);
        }
        if (line <= o->skip_lines) {
            continue;
        }
        size_t s = a;
        while (s < b && snf_is_blank(buf[s])) {
            s++;
        }
        if (s == b || buf[s] == '#') {
            continue; /* blank line or comment */
        }
        if (waiting_start) {
            const char *w = o->start_after;
            size_t wl = strlen(w);
            if (b - s >= wl && memcmp(buf + s, w, wl) == 0 && (s + wl == b || snf_is_blank(buf[s + wl]))) {
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
                snf_excerpt(ex, sizeof ex, fs[k], fl[k]);
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
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        SNF_ERROR(SNF_EFORMAT, "%s:0: cannot open: %s", path, strerror(errno));
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = SNF_OK;
    if (buf == NULL) {
        SNF_FAIL(SNF_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                SNF_FAIL(SNF_EFORMAT, "%s:0: read error", path);
            }
            break;
        }
        if (cap > ((size_t)1 << 31)) {
            SNF_FAIL(SNF_EFORMAT, "%s:0: larger than 2 GiB: expected a text table", path);
        }
        char *nb = realloc(buf, 2 * cap + 1);
        if (nb == NULL) {
            SNF_FAIL(SNF_ENOMEM, "%s: out of memory", path);
        }
        buf = nb;
        cap *= 2;
    }
    buf[n] = '\0';
    fclose(f);
    *out = buf;
    *len = n;
    return SNF_OK;
cleanup:
    free(buf);
    fclose(f);
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
