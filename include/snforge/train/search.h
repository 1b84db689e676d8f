/* train/search.h: hyper-parameter search over curriculum experiments (curriculum.h). A search config names a base
 * curriculum config and lists values per key; trials are the grid of every combination or a seeded random
 * draw of some of them. Each trial is the base experiment (its ablations dropped) with those keys set, run
 * into DIR/trialNNN (so it resumes like any curriculum, and a finished trial is not recomputed); the
 * criterion is the mean over folds of the stage-2 best hydro validation loss (the test models are never
 * used to choose), and DIR/trials.csv lists every trial with its criterion and, for information only,
 * its k-fold curriculum test MAPE. Trials run `jobs` at a time side by side (forked processes, the threads
 * split between them, each logging to its DIR/trialNNN/search.log), or one after another with all threads
 * (jobs = 1). */
#ifndef SNFORGE_TRAIN_SEARCH_H
#define SNFORGE_TRAIN_SEARCH_H

#include "snforge/export.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_SEARCH_MAX_KEYS 8
#define SNF_SEARCH_MAX_VALUES 16

typedef struct snf_search_config {
    char path[1024];
    char base[1024];         /* the curriculum config (resolved against the search config's folder) */
    int random;              /* 0: grid; 1: random draw of `trials` distinct combinations */
    int trials;
    unsigned long long seed;
    int nkeys;
    char section[SNF_SEARCH_MAX_KEYS][64], key[SNF_SEARCH_MAX_KEYS][64];
    int nvalues[SNF_SEARCH_MAX_KEYS];
    char value[SNF_SEARCH_MAX_KEYS][SNF_SEARCH_MAX_VALUES][64];
} snf_search_config;

/* ---- config ---- */

/* Parses a search config:
 *   [search] base = curriculum.ini, mode = grid | random, trials = N (random), seed = S
 *   [vary]   SECTION.KEY = v1, v2, ...   (e.g. stage2.lr = 1e-4, 3e-4)
 * SNF_EFORMAT naming file:line; SNF_EIO / SNF_EINVAL for an unreadable / missing file. */
SNF_API int snf_search_config_load(snf_search_config *c, const char *path);

/* The text of curriculum config `text` with [section] key = value set (replacing the key's line, or
 * added under the section header, or a new section at the end) and every [ablation.*] section dropped.
 * Returns a malloc'd string (NULL: out of memory). */
SNF_API char *snf_search_set_keys(const char *text, int n, char (*section)[64], char (*key)[64], const char **value);

/* ---- run ---- */

/* Runs (or resumes) every trial into out_dir, `jobs` at a time (>= 1; threads / jobs threads each, at least
 * one), writes out_dir/trials.csv and prints the best trial (lowest criterion) on log. Every trial's config
 * is checked before any runs: SNF_EFORMAT for one that does not parse (naming the trial and key).
 * SNF_EINVAL / SNF_EIO when a trial run side by side failed (its message on stderr and its search.log). */
SNF_API int snf_search_run(const snf_search_config *c, const char *out_dir, int threads, int jobs, FILE *log);

#ifdef __cplusplus
}
#endif

#endif
