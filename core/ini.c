/* ini.c: libinih's ini_parse_stream fed by a line-counting reader, file:line failure messages, and the
 * whole-file read that the INI configs share (campaigns, the columns format, training configs). */
#include "snforge/core.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>


/* ---- static helpers ---- */

/* inih's reader: one line per call (fgets semantics), counting lines and noting section headers. */
static char *snf_ini_reader(char *str, int num, void *stream)
{
    snf_ini *p = stream;
    if (p->pos >= p->len || num < 2) {
        return NULL;
    }
    size_t k = 0;
    while (p->pos < p->len && k < (size_t)num - 1) {
        char ch = p->text[p->pos++];
        str[k++] = ch == '\0' ? '?' : ch;
        if (ch == '\n') {
            break;
        }
    }
    str[k] = '\0';
    if (p->at_line_start) {
        p->line++;
    }
    p->at_line_start = (k > 0 && str[k - 1] == '\n') || p->pos >= p->len;
    if (!p->at_line_start) {
        snf_ini_fail(p, p->line, NULL, NULL, "line longer than %d characters", num - 2);
    }
    const char *s = str;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (*s == '[') {
        p->section_line = p->line;
        const char *e = strchr(s, ']');
        if (e && p->n_sections < SNF_INI_MAX_SECTIONS) {
            int n = (int)(e - s - 1);
            snprintf(p->sections[p->n_sections].name, sizeof p->sections[0].name, "%.*s", n, s + 1);
            p->sections[p->n_sections].line = p->line;
            p->n_sections++;
        }
    }
    return str;
}

/* ---- init ---- */

void snf_ini_init(snf_ini *p, const char *name, const char *text, size_t len)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->text = text;
    p->len = len;
    p->at_line_start = 1;
}

/* ---- run ---- */

int snf_ini_parse(snf_ini *p, snf_ini_handler handler, void *user)
{
    return ini_parse_stream(snf_ini_reader, p, handler, user);
}

int snf_ini_fail(snf_ini *p, int line, const char *section, const char *key, const char *fmt, ...)
{
    if (p->err != 0) {
        return 0;
    }
    p->err = SNF_EFORMAT;
    int n;
    if (line > 0) {
        n = snprintf(p->msg, sizeof p->msg, "%s:%d: ", p->name, line);
    } else {
        n = snprintf(p->msg, sizeof p->msg, "%s: ", p->name);
    }
    size_t used = n < 0 ? 0 : ((size_t)n < sizeof p->msg ? (size_t)n : sizeof p->msg - 1);
    if (section && key) {
        n = snprintf(p->msg + used, sizeof p->msg - used, "[%s] %s: ", section, key);
    } else if (section) {
        n = snprintf(p->msg + used, sizeof p->msg - used, "[%s]: ", section);
    } else {
        n = 0;
    }
    used += n < 0 ? 0 : (size_t)n;
    used = used < sizeof p->msg ? used : sizeof p->msg - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg + used, sizeof p->msg - used, fmt, ap);
    va_end(ap);
    return 0;
}

int snf_ini_fail_syntax(snf_ini *p, int rc)
{
    if (rc > 0) {
        return snf_ini_fail(p, rc, NULL, NULL, "syntax error (expected [section], key = value, or a ; comment)");
    }
    if (rc < 0) {
        return snf_ini_fail(p, 0, NULL, NULL, "ini parser failed (%d)", rc);
    }
    return 0;
}

int snf_ini_report(const snf_ini *p)
{
    if (p->err == 0) {
        return SNF_OK;
    }
    return snf_error_report(p->err, __FILE__, __LINE__, __func__, "%s", p->msg);
}

int snf_ini_finish(const snf_ini *p, char **kept, const char *text, const char *name)
{
    SNF_CHECK(snf_ini_report(p));
    *kept = strdup(text);
    if (*kept == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory parsing %s", name);
    }
    return SNF_OK;
}

/* ---- getters ---- */

int snf_ini_section_line(const snf_ini *p, const char *section)
{
    for (int k = 0; k < p->n_sections; k++) {
        if (strcmp(p->sections[k].name, section) == 0) {
            return p->sections[k].line;
        }
    }
    return 0;
}

int snf_ini_section_line_last(const snf_ini *p, const char *section)
{
    for (int k = p->n_sections - 1; k >= 0; k--) {
        if (strcmp(p->sections[k].name, section) == 0) {
            return p->sections[k].line;
        }
    }
    return 0;
}

int snf_ini_key_seen(snf_ini *p, const char *section, const char *key)
{
    char tag[sizeof p->keys[0]];
    snprintf(tag, sizeof tag, "%s\n%s", section, key);
    for (int k = 0; k < p->n_keys; k++) {
        if (strcmp(p->keys[k], tag) == 0) {
            return 1;
        }
    }
    if (p->n_keys < SNF_INI_MAX_KEYS) {
        memcpy(p->keys[p->n_keys++], tag, sizeof tag);
    }
    return 0;
}

/* ---- files ---- */

int snf_ini_file_read(char **text, size_t *len, const char *path, const char *what)
{
    /* The one text reader (fileio.h): a byte-order mark dropped, NUL bytes refused with file:line. */
    int rc = snf_text_slurp(path, what, text, len);
    if (rc == SNF_EINVAL) { /* missing: this function's contract is SNF_EIO with errno ENOENT */
        rc = snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "%s", snf_error_last_message());
        errno = ENOENT;
    }
    return rc;
}

int snf_ini_config_read(char **text, const char *path, const char *what)
{
    size_t len = 0;
    int rc = snf_ini_file_read(text, &len, path, what);
    if (rc == SNF_EIO && *text == NULL && errno == ENOENT) {
        return SNF_EINVAL; /* a missing config is the user's input (exit 2); the message stands */
    }
    return rc;
}

void snf_ini_resolve(char *out, size_t n, const char *name, const char *rel)
{
    const char *slash = strrchr(name, '/');
    size_t dl = (rel[0] == '/' || !slash) ? 0 : (size_t)(slash - name) + 1, rl = strlen(rel);
    if (dl + rl + 1 > n) { /* too long: keep the relative path (the open will name it) */
        dl = 0;
        rl = rl < n - 1 ? rl : n - 1;
    }
    memcpy(out, name, dl);
    memcpy(out + dl, rel, rl);
    out[dl + rl] = '\0';
}

/* ---- typed values ---- */

/* strtod over the whole value (trailing blanks allowed), in range (no ERANGE); 1 if it parsed. */
static int snf_ini_number(const char *v, double *x)
{
    char *end;
    errno = 0;
    *x = strtod(v, &end);
    while (*end == ' ' || *end == '\t') {
        end++;
    }
    return end != v && *end == '\0' && errno != ERANGE;
}

int snf_ini_double(snf_ini *p, const char *sec, const char *key, const char *v, double lo, double hi,
                   double *out)
{
    double x;
    if (!snf_ini_number(v, &x) || !isfinite(x) || x < lo || x > hi) {
        if (lo == -INFINITY && hi == INFINITY) {
            return snf_ini_fail(p, p->line, sec, key, "'%s' is not a finite number", v);
        }
        return snf_ini_fail(p, p->line, sec, key, "'%s' is not a number in [%g, %g]", v, lo, hi);
    }
    *out = x;
    return 1;
}

int snf_ini_float(snf_ini *p, const char *sec, const char *key, const char *v, double lo, double hi, float *out)
{
    double x;
    if (!snf_ini_double(p, sec, key, v, lo, hi, &x)) {
        return 0;
    }
    *out = (float)x;
    return 1;
}

int snf_ini_long(snf_ini *p, const char *sec, const char *key, const char *v, long lo, long hi, long *out)
{
    double x; /* accepts 2.05e5 as well as 205000 */
    if (!snf_ini_number(v, &x) || x != floor(x) || x < (double)lo || x > (double)hi) {
        return snf_ini_fail(p, p->line, sec, key, "'%s' is not an integer in [%ld, %ld]", v, lo, hi);
    }
    *out = (long)x;
    return 1;
}

int snf_ini_int(snf_ini *p, const char *sec, const char *key, const char *v, long lo, long hi, int *out)
{
    long x;
    if (!snf_ini_long(p, sec, key, v, lo, hi, &x)) {
        return 0;
    }
    *out = (int)x;
    return 1;
}

int snf_ini_bool(snf_ini *p, const char *sec, const char *key, const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1")) {
        *out = 1;
    } else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = 0;
    } else {
        return snf_ini_fail(p, p->line, sec, key, "'%s' is not yes or no", v);
    }
    return 1;
}
