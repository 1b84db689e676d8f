/* import_stella.c: STELLA (Blinnikov et al.) and MESA+STELLA outputs of one model, by base name.
 * L_bol: BASE.lbol (log10 L, days from the start of the run), else BASE.tt (Mbol, converted with
 * pystella's constants L_sun = 3.827e33 erg/s, M_bol,sun = 4.62), else BASE.lbol_lnuc.txt (MESA's
 * stella_extras: log10 L, days after the maximum of L_bol). v_ph: BASE.swd.ph (MESA: v at tau = 2/3,
 * km/s, days after max L_bol), else BASE.vel_feII (Fe II 5169 at tau_Sob = 1, v_tau_med), else none
 * (computing v_ph from .swd zone snapshots is not done here). Files "after max L_bol" are shifted by the
 * run time of that maximum when a run-time L file exists; otherwise that maximum is taken as t = 0
 * (the shock-breakout peak: about 0.1 d after the explosion for compact progenitors). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "internal.h"

/* ---- static helpers ---- */

#define SNF_PYSTELLA_LSUN 3.827e33 /* pystella util/phys_var.py */
#define SNF_PYSTELLA_MBOL_SUN 4.62 /* pystella util/phys_var.py (4.74 / 4.7554 left as alternatives) */

enum { SNF_Y_LOG10, SNF_Y_MBOL, SNF_Y_KM_S };

static int snf_file_exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f) {
        fclose(f);
        return 1;
    }
    return 0;
}

/* Reads columns (ct, cy) of path into s, converting y by kind. lines: caller frees. */
static int snf_stella_series(snf_hydro_series *s, int **lines, const char *path, const snf_hydro_table_opts *o,
                             int ct, int cy, int kind, int *dropped)
{
    snf_hydro_table t;
    memset(s, 0, sizeof *s);
    *lines = NULL;
    SNF_CHECK(snf_hydro_table_read(&t, path, o));
    int rc = SNF_OK;
    if (t.ncols < (ct > cy ? ct : cy)) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s:%d: %d columns: expected at least %d",
                              path, t.line[0], t.ncols, ct > cy ? ct : cy);
        snf_hydro_table_free(&t);
        return rc;
    }
    SNF_CHECK(snf_hydro_series_alloc(s, &t, t.nrows, path));
    for (int k = 0; k < t.nrows; k++) {
        const double *row = t.v + (size_t)k * (size_t)t.ncols;
        double y = row[cy - 1];
        s->t_d[k] = row[ct - 1];
        if (kind == SNF_Y_LOG10) {
            y = y < 300 ? pow(10.0, y) : INFINITY;
        } else if (kind == SNF_Y_MBOL) {
            y = SNF_PYSTELLA_LSUN * pow(10.0, 0.4 * (SNF_PYSTELLA_MBOL_SUN - y));
        } else {
            y = y > 0 ? y : NAN;
        }
        if (isinf(y)) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__,
                                  "%s:%d: value %g in column %d overflows: expected log10 L < 300", path, t.line[k],
                                  row[cy - 1], cy);
            break;
        }
        s->y[k] = y;
    }
    if (rc >= 0 && dropped != NULL) {
        /* STELLA's .tt starts with several rows at one time (the relaxation before the first step): a row whose
         * time equals the previous row's replaces it (the later state is kept), counted for a note. Times that
         * go backwards are still refused by the check (a rerun appended to the file). */
        int m = 0;
        for (int k = 0; k < s->n; k++) {
            if (m > 0 && s->t_d[k] == s->t_d[m - 1]) {
                m--;
                (*dropped)++;
            }
            s->t_d[m] = s->t_d[k];
            s->y[m] = s->y[k];
            t.line[m] = t.line[k];
            m++;
        }
        s->n = m;
    }
    return snf_hydro_series_take(s, lines, &t, path, rc);
}

/* ---- public API ---- */

int snf_hydro_read_stella(snf_hydro_run *r, const char *base)
{
    memset(r, 0, sizeof *r);
    r->t_breakout_d = NAN;
    r->v_valid_end_d = INFINITY;
    char path[4200];
    int *lines = NULL, rc = SNF_OK;
    int l_post_max = 0;
    snf_hydro_table_opts o = snf_hydro_table_opts_default();
    o.delimiter = ' ';

    snprintf(path, sizeof path, "%s.lbol", base);
    if (snf_file_exists(path)) {
        o.skip_text_header = 1;
        o.ncols = -3;
        rc = snf_stella_series(&r->L, &lines, path, &o, 1, 3, SNF_Y_LOG10, NULL);
    } else {
        snprintf(path, sizeof path, "%s.tt", base);
        if (snf_file_exists(path)) {
            o.start_after = "time";
            o.ncols = -7;
            rc = snf_stella_series(&r->L, &lines, path, &o, 1, 7, SNF_Y_MBOL, &r->n_repeats_dropped);
        } else {
            snprintf(path, sizeof path, "%s.lbol_lnuc.txt", base);
            if (!snf_file_exists(path)) {
                SNF_ERROR(SNF_EFORMAT, "%s.lbol:0: no such file (nor %s.tt, %s.lbol_lnuc.txt): expected a STELLA "
                          "model's base name", base, base, base);
            }
            o.skip_text_header = 1;
            o.ncols = -2;
            l_post_max = 1;
            rc = snf_stella_series(&r->L, &lines, path, &o, 1, 2, SNF_Y_LOG10, NULL);
        }
    }
    if (rc < 0) {
        goto cleanup;
    }
    free(lines);
    lines = NULL;

    /* Run time of the maximum of L_bol: the zero of MESA's "t post max Lbol" files. */
    double t_max = 0, lmax = -INFINITY;
    if (!l_post_max) {
        for (int k = 0; k < r->L.n; k++) {
            if (r->L.y[k] > lmax) {
                lmax = r->L.y[k];
                t_max = r->L.t_d[k];
            }
        }
    }
    r->t_breakout_d = t_max;

    o = snf_hydro_table_opts_default();
    o.delimiter = ' ';
    o.skip_text_header = 1;
    o.ncols = -4;
    snprintf(path, sizeof path, "%s.swd.ph", base);
    int have_v = snf_file_exists(path);
    if (!have_v) {
        snprintf(path, sizeof path, "%s.vel_feII", base);
        have_v = snf_file_exists(path);
    }
    if (have_v) {
        rc = snf_stella_series(&r->v, &lines, path, &o, 2, 4, SNF_Y_KM_S, NULL);
        if (rc < 0) {
            goto cleanup;
        }
        for (int k = 0; k < r->v.n; k++) {
            r->v.t_d[k] += t_max;
        }
        free(lines);
        lines = NULL;
    }
    return SNF_OK;
cleanup:
    free(lines);
    snf_hydro_run_free(r);
    return rc;
}
