/* cli_util.h: option parsing and output helpers shared by the subcommands. */
#ifndef SNFORGE_CLI_UTIL_H
#define SNFORGE_CLI_UTIL_H

#include <getopt.h>
#include <stdio.h>

#include "snforge/models.h"

/* "--name" of a getopt_long option value (for messages); "option" if not found. */
const char *snf_cli_option_name(const struct option *opts, int val);

/* Strict number: the whole text must parse as a finite double. SNF_EINVAL naming the option. */
int snf_cli_parse_double(const char *opt, const char *text, double *out);
/* snf_cli_parse_double, then the value's plausibility with a unit hint (snf_param_plausible, model.h):
 * key names the quantity in the table (energy, mass, radius, nickel, kappa, t_ion, ...). */
int snf_cli_parse_physical(const char *opt, const char *key, const char *text, double *out);
int snf_cli_parse_heating(const char *text, snf_heating *out);
int snf_cli_parse_gamma(const char *text, snf_gamma_mode *out);

/* Strict integer option value: the whole text, in [lo, hi]. Returns 0 with *out set; otherwise prints
 * "snforge CMD: OPT expects an integer in [LO, HI], got 'TEXT'" and returns exit status 2. */
int snf_cli_parse_long(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out);

/* Starts getopt_long on a subcommand's argv: optind = 1 (run calls several subcommands in one process) and
 * opterr = 0 (getopt prints nothing: snf_cli_unknown_option / snf_cli_bad_option word the message). */
void snf_cli_getopt_start(void);

/* The most OpenMP threads any subcommand's --threads accepts (one range everywhere). */
#define SNF_CLI_MAX_THREADS 4096

/* --threads TEXT of subcommand CMD: snf_cli_parse_long over [1, SNF_CLI_MAX_THREADS] (0, or its message and exit
 * status 2). */
int snf_cli_parse_threads(const char *cmd, const char *text, long *out);

/* The words of a finished run's stop reason (train.h stop_reason: "epochs", "time budget", "schedule", "early
 * stopping"), as train and finetune print them: "finished all epochs", ... */
const char *snf_cli_outcome(const char *reason);

/* 0 if argv holds exactly n operands after the options (argc - optind == n); otherwise prints "snforge CMD:
 * expected WHAT, got N arguments (see snforge CMD --help)" and returns exit status 2. */
int snf_cli_expect_operands(const char *cmd, int argc, int n, const char *what);

/* Message for getopt's '?' / ':' (unknown option or missing value); returns exit status 2. */
int snf_cli_bad_option(char **argv, const char *cmd);

/* The same in the one-line wording of grid, train, evaluate and predict: "snforge CMD: unknown option
 * or missing value: 'ARG' (see snforge CMD --help)". Returns exit status 2. */
int snf_cli_unknown_option(char **argv, const char *cmd);

int snf_cli_has_suffix(const char *s, const char *suffix);

/* -o PATH of subcommand CMD checked before any work: the folder PATH goes into must exist and be a folder.
 * 0, or "snforge CMD: -o PATH: ..." on stderr and exit status 2. */
int snf_cli_check_output(const char *cmd, const char *path);

/* Writes PATH.tmp with write(ctx, f, arg), then renames it to PATH: never a half-written PATH. */
int snf_cli_write_file_atomic(const char *path, int (*write)(const void *ctx, FILE *f, int arg),
                              const void *ctx, int arg);

/* A one-row dataset file (interfaces.md layout) for one simulated model. */
int snf_cli_write_one_row(const char *path, const snf_sn_params *p, const snf_physics *ph, const double *t,
                          int T, const double *L, const double *v, int status, const snf_lc_derived *d);

#endif
