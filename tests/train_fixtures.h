/* train_fixtures.h: what the training tests (test_train.c, test_recipe.c, test_observe_aug.c) share: the one
 * synthetic-curve generator and the small dataset file they train on, and the table check of configurations that
 * must be refused (each text through snf_train_config_parse gives SNF_EFORMAT and a message holding the expected
 * file:line and words). */
#ifndef SNFORGE_TESTS_TRAIN_FIXTURES_H
#define SNFORGE_TESTS_TRAIN_FIXTURES_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/train.h"

/* A dataset file of nr rows on nt times t (days) with parameters p [nr, 4] (energy, mass, radius, nickel in
 * foe, Msun, cm, Msun), log L l and v_ph v [nr, nt] and statuses st [nr], in chunks of 8 rows; one check. */
static inline void write_test_dataset(const char *path, int nr, int nt, const double *t, const double *p,
                                      const float *l, const float *v, const int *st)
{
    const char *names[4] = {"energy", "mass", "radius", "nickel"};
    const char *units[4] = {"foe", "Msun", "cm", "Msun"};
    snf_dataset_meta m;
    memset(&m, 0, sizeof m);
    m.source = "semi-analytic:test";
    m.param_names = names;
    m.param_units = units;
    m.sampler = "test";
    m.chunk_rows = 8;
    int rc = snf_dataset_write_rows(path, &m, nr, 4, nt, t, p, l, v, st, NULL);
    CHECK_INT(rc, SNF_OK, "write the test dataset (%s)", snf_error_last());
}

/* The shape of a synthetic campaign: nr rows on the nt times t_j = t0 + dt j (days). Row r has energy 0.5 + 0.1 r
 * foe, mass 10 + r Msun, radius 1e12 (1 + 0.2 r) cm, nickel ni0 + ni_step r Msun, status 0, and the smooth, learnable
 *   log L = l0 + 0.01 r - l_slope t + wiggle sin(w_freq t (1 + r % w_period)),
 *   v_ph  = v0 + v_row r - v_slope t (km/s), NaN after v_end days. */
typedef struct snf_test_curves {
    int nr, nt;
    double t0, dt;
    double l0, l_slope, wiggle, w_freq;
    int w_period;
    double v0, v_row, v_slope, v_end;
    double ni0, ni_step;
} snf_test_curves;

/* Fills t [nt], p [nr, 4], l and v [nr, nt] and st [nr] with the campaign c describes. */
static inline void make_test_curves(const snf_test_curves *c, double *t, double *p, float *l, float *v, int *st)
{
    for (int j = 0; j < c->nt; j++) {
        t[j] = c->t0 + c->dt * j;
    }
    for (int r = 0; r < c->nr; r++) {
        p[r * 4 + 0] = 0.5 + 0.1 * r;
        p[r * 4 + 1] = 10 + r;
        p[r * 4 + 2] = 1e12 * (1 + 0.2 * r);
        p[r * 4 + 3] = c->ni0 + c->ni_step * r;
        st[r] = 0;
        for (int j = 0; j < c->nt; j++) {
            double tj = t[j];
            l[(size_t)r * c->nt + j] =
                (float)(c->l0 + 0.01 * r - c->l_slope * tj + c->wiggle * sin(c->w_freq * tj * (1 + r % c->w_period)));
            v[(size_t)r * c->nt + j] = tj > c->v_end ? NAN : (float)(c->v0 + c->v_row * r - c->v_slope * tj);
        }
    }
}

/* The dataset file of the campaign c at path (make_test_curves, write_test_dataset); one check. */
static inline void write_test_curves(const char *path, const snf_test_curves *c)
{
    double *t = malloc((size_t)c->nt * sizeof *t), *p = malloc((size_t)c->nr * 4 * sizeof *p);
    float *l = malloc((size_t)c->nr * c->nt * sizeof *l), *v = malloc((size_t)c->nr * c->nt * sizeof *v);
    int *st = malloc((size_t)c->nr * sizeof *st);
    if (t && p && l && v && st) {
        make_test_curves(c, t, p, l, v, st);
        write_test_dataset(path, c->nr, c->nt, t, p, l, v, st);
    } else {
        CHECK_TRUE(0, "memory for the test dataset %s", path);
    }
    free(t);
    free(p);
    free(l);
    free(v);
    free(st);
}

/* A configuration text and a piece of the message it must be refused with. */
typedef struct snf_bad_config {
    const char *text, *want;
} snf_bad_config;

/* Parses each of bad[0..n) as the file `name`; one check per entry. */
static inline void check_config_errors(const snf_bad_config *bad, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        snf_train_config c;
        int rc = snf_train_config_parse(&c, bad[i].text, name);
        if (rc == SNF_OK) {
            snf_train_config_free(&c);
        }
        CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), bad[i].want) != NULL,
                   "config error %zu: '%s' (got '%s')", i, bad[i].want, snf_error_last_message());
    }
}

#endif
