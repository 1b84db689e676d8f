/* train_fixtures.h: what the training tests (test_train.c, test_recipe.c) share: the small dataset file they
 * train on, and the table check of configurations that must be refused (each text through
 * snf_train_config_parse gives SNF_EFORMAT and a message holding the expected file:line and words). */
#ifndef SNFORGE_TESTS_TRAIN_FIXTURES_H
#define SNFORGE_TESTS_TRAIN_FIXTURES_H

#include <string.h>

#include "check.h"
#include "snforge/h5.h"
#include "snforge/status.h"
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
