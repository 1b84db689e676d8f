/* read_opal.c: reads the OPAL Type 2 files codataa ... codatae (every table, with its X, dXc, dXo) into
 * the arrays of snf_rhd_opal. Layout (Iglesias & Rogers 1996 as shipped with SNEC 1.01): a 240-line
 * header, then tables "TABLE # n ... X=... Y=... Z=...", each with a "logT -8.0 -7.5 ... 1.0" line and 134
 * rows "logT" (f4.2) + 19 values (f7.3); a blank field or 9.999 is no value. */
#include "snforge/core.h"
#include "snforge/rhd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixed-width field [a, a + w) of s[0..n) as a number; NaN when blank or 9.999 (no value). */
static int field(const char *s, size_t n, size_t a, size_t w, double *out)
{
    *out = NAN;
    if (a >= n) {
        return 0;
    }
    if (a + w > n) {
        w = n - a;
    }
    char buf[16];
    if (w >= sizeof buf) {
        return -1;
    }
    memcpy(buf, s + a, w);
    buf[w] = '\0';
    char *p = buf;
    while (*p == ' ') {
        p++;
    }
    if (*p == '\0') {
        return 0;
    }
    char *end;
    double v = strtod(p, &end);
    while (*end == ' ') {
        end++;
    }
    if (*end != '\0' || !isfinite(v)) {
        return -1;
    }
    if (fabs(v - 9.999) > 1e-9) {
        *out = v;
    }
    return 0;
}

/* The number after KEY= in s[0..n), or NaN. */
static double tagged(const char *s, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 6 <= n; i++) {
        if (strncmp(s + i, key, kl) == 0) {
            char buf[16];
            memcpy(buf, s + i + kl, 6);
            buf[6] = '\0';
            char *end;
            double v = strtod(buf, &end);
            return end == buf ? NAN : v;
        }
    }
    return NAN;
}

static int read_one(const char *path, snf_rhd_opal *op, int kx)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = snf_text_slurp(path, "OPAL opacity table", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t n;
    int state = 0, row = 0, t = -1; /* 0: between tables; 1: after "TABLE #"; 2: rows */
    while (snf_text_next(&it, &s, &n)) {
        if (it.line <= 240) {
            continue;
        }
        if (state == 0) {
            if (n > 9 && strncmp(s, "TABLE #", 7) == 0) {
                if (++t >= SNF_RHD_OPAL_NTAB) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: more than %d tables", path, it.line, SNF_RHD_OPAL_NTAB);
                }
                double X = tagged(s, n, "X="), c = tagged(s, n, "dXc="), o = tagged(s, n, "dXo=");
                if (isnan(X) || isnan(c) || isnan(o)) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: expected X=, dXc= and dXo= in the table heading", path, it.line);
                }
                if (t == 0) {
                    op->X[kx] = X;
                } else if (fabs(X - op->X[kx]) > 1e-9) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: X = %g differs from the file's first table (%g)", path, it.line, X,
                             op->X[kx]);
                }
                op->dXc[kx][t] = c;
                op->dXo[kx][t] = o;
                state = 1;
            }
        } else if (state == 1) {
            if (n > 4 && strncmp(s, "logT", 4) == 0) {
                for (int j = 0; j < SNF_RHD_OPAL_NR; j++) {
                    double v;
                    if (field(s, n, 4 + 7 * (size_t)j, 7, &v) != 0 || isnan(v)) {
                        SNF_FAIL(SNF_EFORMAT, "%s:%d: expected 19 values of log R", path, it.line);
                    }
                    op->logR[j] = v;
                }
                state = 2;
                row = 0;
            }
        } else {
            double lt;
            if (field(s, n, 0, 4, &lt) != 0 || isnan(lt)) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: expected a log T row (f4.2 + 19 f7.3)", path, it.line);
            }
            if (t == 0) {
                op->logT[row] = lt;
            } else if (fabs(op->logT[row] - lt) > 1e-6) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: log T = %g, expected %g as in the first table", path, it.line, lt,
                         op->logT[row]);
            }
            for (int j = 0; j < SNF_RHD_OPAL_NR; j++) {
                if (field(s, n, 4 + 7 * (size_t)j, 7, &op->logk[kx][t][row][j]) != 0) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: value %d of the row is not a number", path, it.line, j + 1);
                }
            }
            if (row > 0 && !(op->logT[row] > op->logT[row - 1])) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: log T does not increase", path, it.line);
            }
            if (++row == SNF_RHD_OPAL_NT) {
                state = 0;
            }
        }
    }
    if (t < 0 || state != 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: %s", path, it.line,
                 t < 0 ? "no table found" : "the last table ends early");
    }
    op->ntab[kx] = t + 1;
cleanup:
    free(buf);
    return rc;
}

int snf_rhd_read_opal(const char *dir, snf_rhd_opal *op)
{
    static const char *const names[SNF_RHD_OPAL_NX] = {"codataa", "codatab", "codatac", "codatad", "codatae"};
    for (int k = 0; k < SNF_RHD_OPAL_NX; k++) {
        char path[4096];
        int w = snprintf(path, sizeof path, "%s/%s", dir, names[k]);
        if (w < 0 || (size_t)w >= sizeof path) {
            SNF_ERROR(SNF_EINVAL, "opacity folder name too long: %s", dir);
        }
        SNF_CHECK(read_one(path, op, k));
        if (k > 0 && !(op->X[k] > op->X[k - 1])) {
            SNF_ERROR(SNF_EFORMAT, "%s: X = %g does not follow X = %g of %s", path, op->X[k], op->X[k - 1],
                      names[k - 1]);
        }
    }
    return SNF_OK;
}
