/* profile_io.c: progenitor profiles as files (progenitor.h): SNEC's .short / .iso.dat pair written through
 * the output owner, and a user's MESA / KEPLER-style column table read into the same in-memory profile. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/rhd.h"

#define MSUN_G 1.989e33
#define RSUN_CM 6.96e10

/* ---- writing ---- */

typedef struct wctx {
    const snf_rhd_profile *p;
} wctx;

static int write_short(void *ctx, FILE *f)
{
    const snf_rhd_profile *p = ((wctx *)ctx)->p;
    fprintf(f, "%d\n", p->n);
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "%6d %.10E %.10E %.10E %.10E %.10E\n", i + 1, p->mass[i], p->r[i], p->T[i], p->rho[i], p->v[i]);
    }
    return SNF_OK;
}

static int write_iso(void *ctx, FILE *f)
{
    const snf_rhd_profile *p = ((wctx *)ctx)->p;
    fprintf(f, "%d\t%d\n", p->n, p->ncomp);
    for (int row = 0; row < 2; row++) {
        for (int j = 0; j < p->ncomp; j++) {
            fprintf(f, "%s%.1fd0", j ? " " : "", row == 0 ? p->A[j] : p->Z[j]);
        }
        fprintf(f, " \n");
    }
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "   %.8E   %.8E", p->mass[i], p->r[i]);
        for (int j = 0; j < p->ncomp; j++) {
            fprintf(f, "   %.8E", p->comp[(size_t)i * (size_t)p->ncomp + (size_t)j]);
        }
        fprintf(f, "\n");
    }
    return SNF_OK;
}

int snf_profile_write_snec(const char *prefix, const snf_rhd_profile *p)
{
    if (p->nc != p->n || p->n < 2 || p->ncomp < 1) {
        SNF_ERROR(SNF_EINVAL, "profile of %d zones with %d composition zones: the pair needs them equal", p->n, p->nc);
    }
    for (int i = 0; i < p->n; i++) {
        if (p->cmass[i] != p->mass[i]) {
            SNF_ERROR(SNF_EINVAL, "composition zone %d is not at the structure zone's mass", i + 1);
        }
    }
    char path[2][4200];
    snprintf(path[0], sizeof path[0], "%s.short", prefix);
    snprintf(path[1], sizeof path[1], "%s.iso.dat", prefix);
    snf_output o[2];
    int (*wr[2])(void *, FILE *) = {write_short, write_iso};
    int rc = SNF_OK, begun = 0;
    wctx ctx = {p};
    for (; begun < 2; begun++) {
        if ((rc = snf_output_begin(&o[begun], path[begun], 0)) < 0) {
            goto cleanup;
        }
    }
    for (int k = 0; k < 2 && rc == SNF_OK; k++) {
        rc = snf_output_stage(&o[k], "profile", wr[k], &ctx);
    }
    for (int k = 0; k < 2 && rc == SNF_OK; k++) {
        rc = snf_output_commit(&o[k]);
    }
cleanup:
    for (int k = 0; k < begun; k++) {
        snf_output_end(&o[k]);
    }
    return rc;
}

/* ---- reading a column table ---- */

enum { Q_MASS, Q_RADIUS, Q_RHO, Q_T, Q_V, NQ };
static const char *q_label[NQ] = {"mass", "radius", "density", "temperature", "velocity"};
/* names of each quantity; a leading "log" form means log10 of the value */
static const char *q_names[NQ][8] = {
    {"mass", "m", "mass_g", "mass_msun", NULL},
    {"radius", "r", "radius_cm", "radius_rsun", "logr", "log_r", NULL},
    {"rho", "density", "dens", "logrho", "log_rho", NULL},
    {"temperature", "temp", "t", "logt", "log_t", NULL},
    {"velocity", "vel", "v", "u", NULL},
};
/* SNEC network index of a composition column name */
static const struct {
    const char *name;
    int k;
} species[] = {{"neut", 0}, {"n", 0},     {"h1", 1},    {"h", 1},     {"prot", 1},  {"he4", 2},   {"he", 2},
               {"c12", 3},  {"n14", 4},   {"o16", 4},   {"ne20", 5},  {"mg24", 6},  {"si28", 7},  {"s32", 8},
               {"ar36", 9}, {"ca40", 10}, {"ti44", 11}, {"cr48", 12}, {"fe52", 13}, {"fe54", 13}, {"fe56", 13},
               {"ni56", 14}};
static const double iso_A[15] = {1, 1, 4, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56};
static const double iso_Z[15] = {0, 1, 2, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28};

#define MAXCOL 512

/* Splits a line at commas (csv) or blanks into up to MAXCOL fields; returns the count. */
static int split(const char *s, size_t n, int csv, const char **fs, size_t *fl)
{
    if (csv) {
        return snf_csv_split(s, n, fs, fl, MAXCOL);
    }
    int k = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && isspace((unsigned char)s[i])) {
            i++;
        }
        if (i >= n) {
            break;
        }
        size_t j = i;
        while (j < n && !isspace((unsigned char)s[j])) {
            j++;
        }
        if (k < MAXCOL) {
            fs[k] = s + i, fl[k] = j - i;
        }
        k++;
        i = j;
    }
    return k;
}

static int field_is(const char *f, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(f, name, n) == 0;
}

typedef struct row {
    double q[NQ], x[15];
} row;

static int cmp_row(const void *a, const void *b)
{
    double x = ((const row *)a)->q[Q_MASS], y = ((const row *)b)->q[Q_MASS];
    return x < y ? -1 : (x > y);
}

int snf_profile_read_columns(const char *path, snf_rhd_profile *p)
{
    memset(p, 0, sizeof *p);
    char *buf = NULL;
    size_t len = 0;
    row *rows = NULL;
    const char *fs[MAXCOL];
    size_t fl[MAXCOL];
    int col[NQ], logq[NQ], spc[MAXCOL], nfield = 0, csv = 0, hline = 0, nrow = 0, cap = 0;
    int rc = snf_text_slurp(path, "stellar profile", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t n;
    /* the header: the first line naming a mass column */
    while (snf_text_next(&it, &s, &n)) {
        csv = memchr(s, ',', n) != NULL;
        nfield = split(s, n, csv, fs, fl);
        int found = 0;
        for (int k = 0; k < nfield && k < MAXCOL && !found; k++) {
            double v;
            for (int j = 0; q_names[Q_MASS][j] && !found; j++) {
                found = field_is(fs[k], fl[k], q_names[Q_MASS][j]) && snf_csv_number(fs[k], fl[k], &v) != 0;
            }
        }
        if (found) {
            hline = it.line;
            break;
        }
    }
    if (!hline) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no header line naming a mass column (names tried: mass, m, mass_g, mass_msun)",
                 path, it.line);
    }
    if (nfield > MAXCOL) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: %d columns, at most %d read", path, hline, nfield, MAXCOL);
    }
    int nspc = 0;
    for (int q = 0; q < NQ; q++) {
        col[q] = -1, logq[q] = 0;
        for (int k = 0; k < nfield && col[q] < 0; k++) {
            for (int j = 0; q_names[q][j]; j++) {
                if (field_is(fs[k], fl[k], q_names[q][j])) {
                    col[q] = k;
                    logq[q] = strncmp(q_names[q][j], "log", 3) == 0;
                    break;
                }
            }
        }
        if (col[q] < 0 && q != Q_V) {
            char tried[200] = "";
            for (int j = 0; q_names[q][j]; j++) {
                strncat(tried, j ? ", " : "", sizeof tried - strlen(tried) - 1);
                strncat(tried, q_names[q][j], sizeof tried - strlen(tried) - 1);
            }
            SNF_FAIL(SNF_EFORMAT, "%s:%d: no column for %s (names tried: %s)", path, hline, q_label[q], tried);
        }
    }
    for (int k = 0; k < nfield; k++) {
        spc[k] = -1;
        int taken = 0;
        for (int q = 0; q < NQ; q++) {
            taken |= col[q] == k;
        }
        for (size_t j = 0; j < sizeof species / sizeof species[0] && !taken; j++) {
            if (field_is(fs[k], fl[k], species[j].name)) {
                spc[k] = species[j].k;
                nspc++;
                break;
            }
        }
    }
    if (nspc == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no composition column (names tried: h1, he4, c12, o16, ne20, mg24, si28, s32, "
                 "ar36, ca40, ti44, cr48, fe52, fe56, ni56, neut)", path, hline);
    }
    /* data rows */
    while (snf_text_next(&it, &s, &n)) {
        int got = split(s, n, csv, fs, fl);
        if (got != nfield) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d fields, the header (line %d) names %d", path, it.line, got, hline, nfield);
        }
        if (nrow == cap) {
            cap = cap ? 2 * cap : 1024;
            row *r2 = realloc(rows, (size_t)cap * sizeof *rows);
            if (!r2) {
                SNF_FAIL(SNF_ENOMEM, "profile rows");
            }
            rows = r2;
        }
        row *r = &rows[nrow++];
        memset(r, 0, sizeof *r);
        double sum = 0.0;
        for (int k = 0; k < nfield; k++) {
            double v;
            if (snf_csv_number(fs[k], fl[k], &v) != 0 || isnan(v)) {
                char ex[40];
                snf_text_excerpt(ex, sizeof ex, fs[k], fl[k]);
                SNF_FAIL(SNF_EFORMAT, "%s:%d: column %d: '%s' is not a number", path, it.line, k + 1, ex);
            }
            for (int q = 0; q < NQ; q++) {
                if (col[q] == k) {
                    r->q[q] = logq[q] ? pow(10.0, v) : v;
                }
            }
            if (spc[k] >= 0) {
                if (!(v >= 0 && v <= 1.000001)) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: mass fraction %g in column %d outside [0, 1]", path, it.line, v, k + 1);
                }
                r->x[spc[k]] += v;
                sum += v;
            }
        }
        if (!(sum > 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: the mass fractions add up to 0", path, it.line);
        }
        for (int j = 0; j < 15; j++) {
            r->x[j] /= sum;
        }
        if (!(r->q[Q_RADIUS] > 0) || !(r->q[Q_RHO] > 0) || !(r->q[Q_T] > 0) || !(r->q[Q_MASS] > 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: mass, radius, density and temperature must be positive", path, it.line);
        }
    }
    if (nrow < 2) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: %d data rows under the header, at least 2 expected", path, it.line, nrow);
    }
    qsort(rows, (size_t)nrow, sizeof *rows, cmp_row);
    /* units: Msun / Rsun when the names say so or the values are that small */
    double mscale = 1.0, rscale = 1.0;
    if (rows[nrow - 1].q[Q_MASS] < 1e3) {
        mscale = MSUN_G;
    }
    if (rows[nrow - 1].q[Q_RADIUS] < 1e6) {
        rscale = RSUN_CM;
    }
    p->n = p->nc = nrow;
    p->ncomp = 15;
    p->mass = malloc((size_t)nrow * sizeof(double));
    p->r = malloc((size_t)nrow * sizeof(double));
    p->T = malloc((size_t)nrow * sizeof(double));
    p->rho = malloc((size_t)nrow * sizeof(double));
    p->v = malloc((size_t)nrow * sizeof(double));
    p->A = malloc(15 * sizeof(double));
    p->Z = malloc(15 * sizeof(double));
    p->cmass = malloc((size_t)nrow * sizeof(double));
    p->comp = malloc((size_t)nrow * 15 * sizeof(double));
    if (!p->mass || !p->r || !p->T || !p->rho || !p->v || !p->A || !p->Z || !p->cmass || !p->comp) {
        SNF_FAIL(SNF_ENOMEM, "profile of %d zones", nrow);
    }
    memcpy(p->A, iso_A, sizeof iso_A);
    memcpy(p->Z, iso_Z, sizeof iso_Z);
    for (int i = 0; i < nrow; i++) {
        p->mass[i] = p->cmass[i] = rows[i].q[Q_MASS] * mscale;
        p->r[i] = rows[i].q[Q_RADIUS] * rscale;
        p->T[i] = rows[i].q[Q_T];
        p->rho[i] = rows[i].q[Q_RHO];
        p->v[i] = rows[i].q[Q_V];
        memcpy(p->comp + (size_t)i * 15, rows[i].x, sizeof rows[i].x);
        if (i > 0 && !(p->mass[i] > p->mass[i - 1])) {
            SNF_FAIL(SNF_EFORMAT, "%s: two rows at mass %g g (the mass coordinate must be strictly monotonic)", path,
                     p->mass[i]);
        }
    }
cleanup:
    if (rc < 0) {
        snf_rhd_profile_free(p);
    }
    free(rows);
    free(buf);
    return rc;
}
