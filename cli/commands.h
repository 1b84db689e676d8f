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
int snf_cmd_explain(int argc, char **argv);
int snf_cmd_plan(int argc, char **argv);

/* Runs python3 learn/NAME (or $ENVNAME) CSV PNG TITLE (cmd_evaluate.c); 0 if the PNG was written, else a
 * note on stderr and -1. */
int snf_cli_plot(const char *envname, const char *name, const char *csv, const char *png, const char *title);

/* The SN 1987A-like default under each closure, as a table on f; a status. */
#include <stdio.h>
int snf_cli_closure_table(FILE *f);

/* Prints "snforge CMD: <msg>" (the last error's message) on stderr and returns the exit code for status
 * (see snf_status_exit_code). */
int snf_cli_fail(const char *cmd, int status);

#endif
