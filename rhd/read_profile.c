/* read_profile.c: SNEC's progenitor pair and grid pattern.
 *   NAME.short:   first line the zone count; then "index mass[g] radius[cm] T[K] rho[g/cm^3] v[cm/s]".
 *   NAME.iso.dat: first line "zones species"; a line of mass numbers A; a line of charges Z; then
 *                 "mass[g] radius[cm] X_1 ... X_species" per zone.
 *   GridPattern:  one number a line, increasing from 0 to 1.
 * Numbers may use Fortran's D exponent. Malformed input: SNF_EFORMAT "file:line: ...". */
#include "snforge/core.h"
#include "snforge/rhd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Splits s[0..n) at blanks into up to max numbers; returns how many, or -1 - k if word k is not one. */
static int numbers(const char *s, size_t n, double *out, int max)
{
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i >= n) {
            break;
        }
        size_t j = i;
        while (j < n && s[j] != ' ' && s[j] != '\t') {
            j++;
        }
        double v;
        if (k < max) {
            if (snf_csv_number(s + i, j - i, &v) != 0 || isnan(v)) {
                return -1 - k;
            }
            out[k] = v;
        }
        k++;
        i = j;
    }
    return k;
}

void snf_rhd_profile_free(snf_rhd_profile *p)
{
    if (!p) {
        return;
    }
    free(p->mass);
    free(p->r);
    free(p->T);
    free(p->rho);
    free(p->v);
    free(p->A);
    free(p->Z);
    free(p->cmass);
    free(p->comp);
    memset(p, 0, sizeof *p);
}

static int read_short(const char *path, snf_rhd_profile *p)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = snf_text_slurp(path, "SNEC profile", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t n;
    double v[8];
    if (!snf_text_next(&it, &s, &n) || numbers(s, n, v, 1) != 1 || v[0] < 2 || v[0] != floor(v[0]) || v[0] > 1e7) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: expected the number of zones (at least 2) on the first line", path, it.line);
    }
    p->n = (int)v[0];
    p->mass = malloc((size_t)p->n * sizeof(double));
    p->r = malloc((size_t)p->n * sizeof(double));
    p->T = malloc((size_t)p->n * sizeof(double));
    p->rho = malloc((size_t)p->n * sizeof(double));
    p->v = malloc((size_t)p->n * sizeof(double));
    if (!p->mass || !p->r || !p->T || !p->rho || !p->v) {
        SNF_FAIL(SNF_ENOMEM, "profile of %d zones", p->n);
    }
    for (int k = 0; k < p->n; k++) {
        if (!snf_text_next(&it, &s, &n)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d zones announced, %d found", path, it.line, p->n, k);
        }
        int got = numbers(s, n, v, 8);
        if (got != 6) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected 6 numbers (index mass radius T rho v), %s", path, it.line,
                     got < 0 ? "a word is not a number" : "a different count");
        }
        p->mass[k] = v[1];
        p->r[k] = v[2];
        p->T[k] = v[3];
        p->rho[k] = v[4];
        p->v[k] = v[5];
        if (!(v[3] > 0) || !(v[4] > 0) || !(v[2] > 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: radius, temperature and density must be positive", path, it.line);
        }
        if (k > 0 && p->mass[k] < p->mass[k - 1]) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: the mass coordinate decreases", path, it.line);
        }
    }
cleanup:
    free(buf);
    return rc;
}

static int read_iso(const char *path, snf_rhd_profile *p)
{
    char *buf = NULL;
    double *v = NULL;
    size_t len = 0;
    int rc = snf_text_slurp(path, "SNEC composition profile", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t n;
    double h[2];
    if (!snf_text_next(&it, &s, &n) || numbers(s, n, h, 2) != 2 || h[0] < 2 || h[1] < 1 || h[0] > 1e7 ||
        h[1] > 1000 || h[0] != floor(h[0]) || h[1] != floor(h[1])) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: expected \"zones species\" on the first line", path, it.line);
    }
    p->nc = (int)h[0];
    p->ncomp = (int)h[1];
    int nw = p->ncomp + 2;
    v = malloc((size_t)(nw + 1) * sizeof(double));
    p->A = malloc((size_t)p->ncomp * sizeof(double));
    p->Z = malloc((size_t)p->ncomp * sizeof(double));
    p->cmass = malloc((size_t)p->nc * sizeof(double));
    p->comp = malloc((size_t)p->nc * (size_t)p->ncomp * sizeof(double));
    if (!v || !p->A || !p->Z || !p->cmass || !p->comp) {
        SNF_FAIL(SNF_ENOMEM, "composition of %d zones", p->nc);
    }
    for (int row = 0; row < 2; row++) {
        if (!snf_text_next(&it, &s, &n) || numbers(s, n, v, nw) != p->ncomp) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected %d %s", path, it.line, p->ncomp,
                     row == 0 ? "mass numbers A" : "charges Z");
        }
        memcpy(row == 0 ? p->A : p->Z, v, (size_t)p->ncomp * sizeof(double));
    }
    for (int j = 0; j < p->ncomp; j++) {
        if (!(p->A[j] >= 1) || !(p->Z[j] >= 0) || p->Z[j] > p->A[j]) {
            SNF_FAIL(SNF_EFORMAT, "%s: species %d has A = %g, Z = %g", path, j + 1, p->A[j], p->Z[j]);
        }
    }
    for (int k = 0; k < p->nc; k++) {
        if (!snf_text_next(&it, &s, &n)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d zones announced, %d found", path, it.line, p->nc, k);
        }
        int got = numbers(s, n, v, nw + 1);
        if (got != nw) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected %d numbers (mass radius and %d mass fractions)", path, it.line, nw,
                     p->ncomp);
        }
        p->cmass[k] = v[0];
        for (int j = 0; j < p->ncomp; j++) {
            if (!(v[2 + j] >= 0 && v[2 + j] <= 1)) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: mass fraction %d = %g outside [0, 1]", path, it.line, j + 1, v[2 + j]);
            }
            p->comp[(size_t)k * (size_t)p->ncomp + (size_t)j] = v[2 + j];
        }
        if (k > 0 && p->cmass[k] < p->cmass[k - 1]) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: the mass coordinate decreases", path, it.line);
        }
    }
cleanup:
    free(v);
    free(buf);
    return rc;
}

int snf_rhd_read_profile(const char *shortfile, const char *isofile, snf_rhd_profile *p)
{
    memset(p, 0, sizeof *p);
    int rc = read_short(shortfile, p);
    if (rc == SNF_OK) {
        rc = read_iso(isofile, p);
    }
    if (rc != SNF_OK) {
        snf_rhd_profile_free(p);
    }
    return rc;
}

int snf_rhd_read_pattern(const char *path, double **pattern, int *np)
{
    char *buf = NULL;
    size_t len = 0;
    *pattern = NULL;
    *np = 0;
    int rc = snf_text_slurp(path, "grid pattern", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    int cap = 1024, n = 0;
    double *a = malloc((size_t)cap * sizeof *a);
    if (!a) {
        SNF_FAIL(SNF_ENOMEM, "grid pattern");
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t ln;
    while (snf_text_next(&it, &s, &ln)) {
        double v;
        if (numbers(s, ln, &v, 1) != 1 || !(v >= 0 && v <= 1) || (n > 0 && !(v > a[n - 1]))) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected one number in [0, 1], larger than the line before", path, it.line);
        }
        if (n == cap) {
            cap *= 2;
            double *b = realloc(a, (size_t)cap * sizeof *a);
            if (!b) {
                SNF_FAIL(SNF_ENOMEM, "grid pattern");
            }
            a = b;
        }
        a[n++] = v;
    }
    if (n < 10) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: %d values, at least 10 expected", path, it.line, n);
    }
    *pattern = a;
    *np = n;
    a = NULL;
cleanup:
    free(a);
    free(buf);
    return rc;
}
