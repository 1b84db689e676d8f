/* uq_caveat.c: what a prediction is worth, in words (uq.h): the caveats that travel with every answer of
 * `predict` and `run`. A reader who copies the numbers into a paper must learn here whether they are an
 * extrapolation and which of them not to use. No printing: the text goes into a buffer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "snforge/models.h"
#include "snforge/infer.h"

/* ---- static helpers ---- */


/* Appends printf-style text to buf[n] at *at (truncating, always terminated). */
static void snf_caveat_add(char *buf, size_t n, size_t *at, const char *fmt, ...)
{
    if (*at + 1 >= n) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *at, n - *at, fmt, ap);
    va_end(ap);
    if (k > 0) {
        *at += (size_t)k < n - *at ? (size_t)k : n - *at - 1;
    }
}

/* "mass and radius" from the flagged parameters. */
static void snf_caveat_list(char *buf, size_t n, size_t *at, const int *flag)
{
    int total = 0, done = 0;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        total += flag[k] != 0;
    }
    for (int k = 0; k < SNF_DATA_NP; k++) {
        if (flag[k]) {
            done++;
            snf_caveat_add(buf, n, at, "%s%s", done == 1 ? "" : (done == total ? " and " : ", "),
                           snf_param_name(k));
        }
    }
}

/* ---- public API ---- */

int snf_uq_pred_caveat(const snf_uq_model *m, const snf_uq_pred *p, int do_not_use[SNF_DATA_NP], char *buf,
                       size_t n)
{
    size_t at = 0;
    if (n > 0) {
        buf[0] = '\0';
    }
    const int ood = m->has_ood && p->ood_flag;
    int any = 0;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        do_not_use[k] = ood || (m->has_ranges && (p->outside[k] || p->excludes[k]));
        any |= do_not_use[k];
    }
    if (ood) {
        snf_caveat_add(buf, n, &at, "EXTRAPOLATION: this light curve is unlike every curve the model was trained "
                                    "on (");
        if (p->near_flag) {
            snf_caveat_add(buf, n, &at, "its luminosity lies %.2f dex (RMS) from the nearest training curve, beyond "
                           "%.2g dex; OOD p-value %.2g", p->near_dex, SNF_UQ_NEAR_TOL_DEX, p->ood_p);
        } else if (p->ood_p < m->ood_alpha) {
            snf_caveat_add(buf, n, &at, "OOD p-value %.2g, below %.2g", p->ood_p, (double)m->ood_alpha);
        } else { /* flagged as beyond every validation row: p is then 1 / (n_ref + 1), the smallest it can be */
            snf_caveat_add(buf, n, &at, "farther from them than every validation curve: OOD p-value %.2g, the "
                                        "smallest %ld validation curves can give", p->ood_p, m->ood.n_ref);
        }
        snf_caveat_add(buf, n, &at, "), so none of the four numbers is a measurement: do not use energy, mass, radius "
                                    "or nickel from this model.");
    } else if (any) {
        snf_caveat_add(buf, n, &at, "EXTRAPOLATION for ");
        snf_caveat_list(buf, n, &at, do_not_use);
        snf_caveat_add(buf, n, &at, ": the mean or the 95%% interval leaves the range the model was trained on; do "
                                    "not use these numbers.");
    }
    if (m->has_ranges && p->n_excludes > 0) {
        snf_caveat_add(buf, n, &at, "%sThe whole 95%% interval of ", at ? " " : "");
        snf_caveat_list(buf, n, &at, p->excludes);
        snf_caveat_add(buf, n, &at, " lies outside the training range: the model never saw such a value, the "
                                    "number only says 'beyond the range'.");
    }
    if (!m->has_ood) {
        snf_caveat_add(buf, n, &at, "%sThe OOD test is not available (the model file has no OOD fit): whether this "
                                    "light curve is like the training curves is unknown, not 'in distribution'.",
                       at ? " " : "");
    }
    if (!m->has_ranges) {
        snf_caveat_add(buf, n, &at, "%sThe model file has no training ranges: whether a value is an extrapolation "
                                    "cannot be told.", at ? " " : "");
    }
    if (at == 0) {
        snf_caveat_add(buf, n, &at, "No extrapolation: the curve is like the training curves (OOD p-value %.2g) and "
                                    "every parameter's 95%% interval lies inside the training ranges.", p->ood_p);
    }
    return ood || any;
}
