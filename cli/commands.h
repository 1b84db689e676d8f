/* commands.h: the subcommands of the snforge program. Each takes (argc, argv) with argv[0] the
 * subcommand's name and returns the process exit status: 0 success, 1 the work failed, 2 bad input. */
#ifndef SNFORGE_CLI_COMMANDS_H
#define SNFORGE_CLI_COMMANDS_H

int snf_cmd_simulate(int argc, char **argv);
int snf_cmd_run(int argc, char **argv);
int snf_cmd_grid(int argc, char **argv);
int snf_cmd_import(int argc, char **argv);
int snf_cmd_compare(int argc, char **argv);
int snf_cmd_train(int argc, char **argv);
int snf_cmd_evaluate(int argc, char **argv);
int snf_cmd_predict(int argc, char **argv);
int snf_cmd_finetune(int argc, char **argv);
int snf_cmd_curriculum(int argc, char **argv);
int snf_cmd_search(int argc, char **argv);
int snf_cmd_fit(int argc, char **argv);
int snf_cmd_keypoints(int argc, char **argv);
int snf_cmd_hydro(int argc, char **argv);
int snf_cmd_progenitor(int argc, char **argv);
int snf_cmd_explain(int argc, char **argv);
int snf_cmd_plan(int argc, char **argv);

/* `predict` on files (cmd_predict.c): prints the answer and its caveat on stdout as the subcommand does and,
 * when out is not NULL and the answer was printed, keeps it there (for `run`'s comparison with the published
 * values). t0_err: the explosion epoch's uncertainty in days (< 0: the file's, else exact; predict's
 * --t0-err). Returns the exit status. */
#include "snforge/infer.h"
typedef struct snf_predict_answer {
    snf_uq_pred pred;
    int has_ood, has_ranges;
} snf_predict_answer;
int snf_predict_file(const char *mpath, const char *opath, int json, int digits, double t0_err,
                     snf_predict_answer *out);

/* Runs python3 infer/NAME (or $ENVNAME) CSV PNG TITLE (cmd_evaluate.c); 0 if the PNG was written, else a
 * note on stderr and -1. */
int snf_cli_plot(const char *envname, const char *name, const char *csv, const char *png, const char *title);

/* The SN 1987A-like default under each closure, as a table on f; a status. */
#include <stdio.h>
int snf_cli_closure_table(FILE *f);

/* Prints "snforge CMD: <msg>" (the last error's message) on stderr and returns the exit code for status
 * (see snf_status_exit_code). */
int snf_cli_fail(const char *cmd, int status);

#endif
