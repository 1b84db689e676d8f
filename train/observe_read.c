/* observe_read.c: reading observation files (interfaces.md); their resampling onto a model's grid and encoding
 * are train/observe_grid.c's (training rows drawn as observations share them). The file is
 * CSV read with the one text-table reader (fileio.h: BOM, CRLF, '#' comments, empty fields missing):
 * the header t_d,L_erg_s,L_err,vph_km_s,vph_err, then one row per epoch. Times increase within each
 * series (an L-only and a v-only row may share a day); implausible units are refused naming the likely
 * mistake. Errors (L_err, vph_err) are read and checked; the network takes no uncertainties, `snforge fit`
 * and `keypoints` use them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

static const char *const snf_obs_cols[5] = {"t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"};

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

/* The likely mistake behind an implausible luminosity (erg/s), or "". */
static const char *snf_obs_L_hint(double L)
{
    if (L <= 0) {
        return " (a magnitude? give L in erg/s)";
    }
    if (L < 30) {
        return " (a bolometric magnitude? give L in erg/s, not mag)";
    }
    if (L < 60) {
        return " (log10 of L? give L itself in erg/s: 10^value)";
    }
    if (L > 1e5 && L < 1e14) {
        return " (in solar luminosities? 1 Lsun = 3.828e33 erg/s)";
    }
    if (L >= 1e32 && L < SNF_OBS_L_MIN) {
        return " (in W? 1 W = 1e7 erg/s)";
    }
    if (L > SNF_OBS_L_MAX) {
        return " (a smaller unit than erg/s, or a flux density times a wrong factor?)";
    }
    return "";
}

static const char *snf_obs_v_hint(double v)
{
    if (v > 5e7) {
        return " (in cm/s? 1 km/s = 1e5 cm/s)";
    }
    if (v > SNF_OBS_V_MAX) {
        return " (in m/s? 1 km/s = 1000 m/s)";
    }
    if (v > 0 && v < 1) {
        return " (a fraction of c? 1 c = 299792 km/s)";
    }
    if (v > 0 && v < SNF_OBS_V_MIN) {
        return " (in 1000 km/s? give km/s)";
    }
    return "";
}

/* Plausibility of one row (v: t_d, L, L_err, v_ph, v_err): SNF_OK or SNF_EFORMAT naming name:line. */
static int snf_obs_row_check(const double *v, const char *name, int line)
{
    if (!isfinite(v[0])) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: t_d is empty (every row needs a time)", name, line);
    }
    if (v[0] < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: t_d %g is before the explosion: t_d counts days since the explosion "
                  "(subtract the explosion's date, not the discovery's)", name, line, v[0]);
    }
    if (v[0] > SNF_OBS_T_MAX_D) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: t_d %g is %s: t_d counts days since the explosion (subtract the "
                  "explosion's date)", name, line, v[0],
                  v[0] > 2e6 ? "a Julian date" : v[0] > 3e4 ? "a modified Julian date (MJD)" : "over 50 years");
    }
    if (isfinite(v[1]) && !(v[1] >= SNF_OBS_L_MIN && v[1] <= SNF_OBS_L_MAX)) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: L_erg_s %g is not a supernova's luminosity in erg/s (expected %g to %g)%s",
                  name, line, v[1], SNF_OBS_L_MIN, SNF_OBS_L_MAX, snf_obs_L_hint(v[1]));
    }
    if (isfinite(v[3]) && !(v[3] >= SNF_OBS_V_MIN && v[3] <= SNF_OBS_V_MAX)) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: vph_km_s %g is not a photospheric velocity in km/s (expected %g to %g)%s",
                  name, line, v[3], SNF_OBS_V_MIN, SNF_OBS_V_MAX, snf_obs_v_hint(v[3]));
    }
    if ((isfinite(v[2]) && v[2] < 0) || (isfinite(v[4]) && v[4] < 0)) {
        const int k = isfinite(v[2]) && v[2] < 0 ? 2 : 4;
        SNF_ERROR(SNF_EFORMAT, "%s:%d: %s %g: uncertainties must be >= 0", name, line, snf_obs_cols[k],
                  v[k]);
    }
    if ((isfinite(v[2]) && !isfinite(v[1])) || (isfinite(v[4]) && !isfinite(v[3]))) {
        SNF_ERROR(SNF_EFORMAT, "%s:%d: an uncertainty without its value (L_err needs L_erg_s, vph_err needs "
                  "vph_km_s)", name, line);
    }
    return SNF_OK;
}

/* Stable merge sort of the rows by time (each series is already strictly increasing, so its order is
 * kept; rows of the two series on one day become neighbours). */
static int snf_obs_sort(snf_obs *o)
{
    long n = o->n;
    long *idx = malloc((size_t)n * 2 * sizeof *idx);
    double *tmp = malloc((size_t)n * sizeof *tmp);
    if (idx == NULL || tmp == NULL) {
        free(idx);
        free(tmp);
        return SNF_ENOMEM;
    }
    long *a = idx, *b = idx + n;
    for (long i = 0; i < n; i++) {
        a[i] = i;
    }
    for (long w = 1; w < n; w *= 2) {
        for (long lo = 0; lo < n; lo += 2 * w) {
            long mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                b[k++] = o->t_d[a[j]] < o->t_d[a[i]] ? a[j++] : a[i++];
            }
            while (i < mid) {
                b[k++] = a[i++];
            }
            while (j < hi) {
                b[k++] = a[j++];
            }
        }
        long *s = a;
        a = b;
        b = s;
    }
    double *cols[5] = {o->t_d, o->L_erg_s, o->vph_km_s, o->L_err, o->vph_err};
    for (int c = 0; c < 5; c++) {
        for (long i = 0; i < n; i++) {
            tmp[i] = cols[c][a[i]];
        }
        memcpy(cols[c], tmp, (size_t)n * sizeof *tmp);
    }
    free(idx);
    free(tmp);
    return SNF_OK;
}

/* The '# t0_err_d = X' comment line of buf, if any: *out = X (NaN when absent). SNF_EFORMAT naming the line for
 * a value that is not a number >= 0. */
static int snf_obs_t0_line(const char *name, const char *buf, size_t len, double *out)
{
    static const char key[] = "t0_err_d";
    *out = NAN;
    int line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t e = i;
        while (e < len && buf[e] != '\n') {
            e++;
        }
        size_t a = i;
        if (line == 1 && e - a >= 3 && memcmp(buf + a, "\xEF\xBB\xBF", 3) == 0) {
            a += 3;
        }
        if (a < e && buf[a] == '#') {
            a++;
            while (a < e && (buf[a] == ' ' || buf[a] == '\t')) {
                a++;
            }
            if (e - a > sizeof key - 1 && memcmp(buf + a, key, sizeof key - 1) == 0) {
                a += sizeof key - 1;
                while (a < e && (buf[a] == ' ' || buf[a] == '\t')) {
                    a++;
                }
                if (a < e && (buf[a] == '=' || buf[a] == ':')) {
                    a++;
                    size_t z = e;
                    while (z > a && (buf[z - 1] == '\r' || buf[z - 1] == ' ' || buf[z - 1] == '\t')) {
                        z--;
                    }
                    while (a < z && (buf[a] == ' ' || buf[a] == '\t')) {
                        a++;
                    }
                    double v;
                    if (snf_csv_number(buf + a, z - a, &v) != 0 || !(v >= 0) || v > SNF_OBS_T0_ERR_MAX_D) {
                        char ex[40];
                        snf_text_excerpt(ex, sizeof ex, buf + a, z - a);
                        SNF_ERROR(SNF_EFORMAT, "%s:%d: t0_err_d '%s' is not an explosion-epoch uncertainty in days "
                                  "(expected a number from 0 to %g)", name, line, ex, SNF_OBS_T0_ERR_MAX_D);
                    }
                    *out = v;
                }
            }
        }
        i = e + 1;
    }
    return SNF_OK;
}

/* The running combination of one series' values on one day (snf_obs_parse). */
typedef struct snf_obs_group {
    long row;          /* the row holding the combined value */
    int n, all_err;    /* values so far; every one had an error > 0 */
    double sw, swv, sv; /* sum of 1/err^2, of v/err^2, of v */
} snf_obs_group;

static void snf_obs_group_start(snf_obs_group *g, long row, double v, double err)
{
    g->row = row;
    g->n = 1;
    g->all_err = isfinite(err) && err > 0;
    g->sw = g->all_err ? 1.0 / (err * err) : 0.0;
    g->swv = g->sw * v;
    g->sv = v;
}

/* Folds value v (error err) into the group and rewrites its row's value and error. */
static void snf_obs_group_add(snf_obs_group *g, double v, double err, double *val, double *val_err)
{
    g->n++;
    g->all_err = g->all_err && isfinite(err) && err > 0;
    if (g->all_err) {
        g->sw += 1.0 / (err * err);
        g->swv += v / (err * err);
    }
    g->sv += v;
    val[g->row] = g->all_err ? g->swv / g->sw : g->sv / g->n;
    val_err[g->row] = g->all_err ? 1.0 / sqrt(g->sw) : NAN;
}

/* ---- public API ---- */

int snf_obs_parse(snf_obs *o, const char *name, const char *buf, size_t len)
{
    memset(o, 0, sizeof *o);
    int rc = SNF_OK;
    long cap = 0;
    int header = 0;
    double last_t[2] = {-INFINITY, -INFINITY};
    int last_line[2] = {0, 0};
    snf_obs_group grp[2];
    memset(grp, 0, sizeof grp);
    if ((rc = snf_obs_t0_line(name, buf, len, &o->t0_err_d)) < 0) {
        goto cleanup;
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t sl;
    while (snf_text_next(&it, &s, &sl)) {
        const char *fs[6];
        size_t fl[6];
        int nf = snf_csv_split(s, sl, fs, fl, 6);
        if (!header) {
            int ok = nf == 5;
            for (int k = 0; ok && k < 5; k++) {
                ok = fl[k] == strlen(snf_obs_cols[k]) && memcmp(fs[k], snf_obs_cols[k], fl[k]) == 0;
            }
            if (!ok) {
                char ex[64];
                snf_text_excerpt(ex, sizeof ex, s, sl);
                SNF_FAIL(SNF_EFORMAT, "%s:%d: bad header '%s' (expected 't_d,L_erg_s,L_err,vph_km_s,vph_err' "
                         "after '#' comment lines)", name, it.line, ex);
            }
            header = 1;
            continue;
        }
        if (nf != 5) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d fields (expected 5: t_d,L_erg_s,L_err,vph_km_s,vph_err)", name, it.line,
                     nf);
        }
        double v[5];
        for (int k = 0; k < 5; k++) {
            int e = snf_csv_number(fs[k], fl[k], &v[k]);
            if (e != 0) {
                char ex[40];
                snf_text_excerpt(ex, sizeof ex, fs[k], fl[k]);
                SNF_FAIL(SNF_EFORMAT, "%s:%d: %s '%s' is not a %s (leave the field empty for a missing value)", name,
                         it.line, snf_obs_cols[k], ex, e == -2 ? "finite number" : "number");
            }
        }
        if ((rc = snf_obs_row_check(v, name, it.line)) < 0) {
            goto cleanup;
        }
        /* Times do not decrease within each series; rows of the two series may share a day; a series measured
         * again on its last day is folded into that day's value. */
        for (int q = 0; q < 2; q++) {
            const int c = q == 0 ? 1 : 3;
            if (!isfinite(v[c])) {
                continue;
            }
            if (v[0] == last_t[q]) {
                snf_obs_group_add(&grp[q], v[c], v[c + 1], q == 0 ? o->L_erg_s : o->vph_km_s,
                                  q == 0 ? o->L_err : o->vph_err);
                o->n_combined++;
                v[c] = v[c + 1] = NAN;
                continue;
            }
            if (!(v[0] > last_t[q])) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: t_d %g is before %g (line %d), the previous %s value: times must "
                         "not decrease within each series", name, it.line, v[0], last_t[q], last_line[q],
                         q == 0 ? "L_erg_s" : "vph_km_s");
            }
            last_t[q] = v[0];
            last_line[q] = it.line;
            snf_obs_group_start(&grp[q], o->n, v[c], v[c + 1]);
        }
        if (!isfinite(v[1]) && !isfinite(v[3])) {
            continue; /* every value of the row was folded into an earlier one */
        }
        if (snf_obs_push(o, &cap, v[0], v[1], v[3], v[2], v[4]) < 0) {
            SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", name);
        }
    }
    if (!header) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no header line 't_d,L_erg_s,L_err,vph_km_s,vph_err'", name, it.line);
    }
    if (o->n_L + o->n_v == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no values after the header (expected rows with L_erg_s or vph_km_s)", name,
                 it.line);
    }
    if (snf_obs_sort(o) < 0) {
        SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", name);
    }
    return SNF_OK;
cleanup:
    snf_obs_free(o);
    return rc;
}

int snf_obs_read(snf_obs *o, const char *path)
{
    memset(o, 0, sizeof *o);
    char *buf = NULL;
    size_t len = 0;
    SNF_CHECK(snf_text_slurp(path, "observation file", &buf, &len));
    int rc = snf_obs_parse(o, path, buf, len);
    free(buf);
    return rc;
}
