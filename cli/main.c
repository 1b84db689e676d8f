/* main.c: the snforge program: dispatches to one subcommand per verb (interfaces.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <hdf5.h>

#include "commands.h"
#include "snforge/nn.h"
#include "snforge/core.h"

typedef struct snf_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    int threaded; /* runs OpenMP loops: its default thread count is chosen at start (snf_threads_auto) */
} snf_command;

static const snf_command snf_commands[] = {
    {"run", snf_cmd_run, "the main job on the embedded default: model, campaign, training, SN 1987A", 1},
    {"simulate", snf_cmd_simulate, "one semi-analytic model: L(t), v_ph(t) as CSV or a dataset file", 0},
    {"grid", snf_cmd_grid, "a dataset campaign (config file) into HDF5: parallel, resumable, shardable", 1},
    {"import", snf_cmd_import, "hydro runs (SNEC, STELLA, column tables) into a dataset file on a campaign's time grid", 0},
    {"compare", snf_cmd_compare, "semi-analytic model against imported hydro runs: residuals by phase, fits, plots", 0},
    {"train", snf_cmd_train, "train the InceptionTime regressor on a dataset file (config file); resumable", 1},
    {"finetune", snf_cmd_finetune, "continue training a model file on another dataset (frozen modules, mixed rows)", 1},
    {"curriculum", snf_cmd_curriculum, "curriculum transfer semi-analytic -> hydro, k-fold, ablations (config)", 1},
    {"search", snf_cmd_search, "hyper-parameter search over curriculum experiments (grid / random, resumable)", 1},
    {"evaluate", snf_cmd_evaluate, "score a trained model on a dataset file: metrics, parity CSV and PNG", 1},
    {"predict", snf_cmd_predict, "energy, mass, radius and nickel of an observed supernova (CSV)", 1},
    {"keypoints", snf_cmd_keypoints, "peak, end of the dome, 56Co tail and classical estimates of any light curve", 0},
    {"hydro", snf_cmd_hydro, "one radiation-hydrodynamics light curve from a SNEC parameter file and profile", 0},
    {"progenitor", snf_cmd_progenitor, "a toy blue-supergiant progenitor (or a MESA/KEPLER table) as SNEC's profile pair", 0},
    {"fit", snf_cmd_fit, "Bayesian fit (ensemble MCMC) of the semi-analytic model to an observed light curve", 1},
    {"plan", snf_cmd_plan, "the observing days (and series) that shrink the predicted uncertainty the most", 1},
    {"explain", snf_cmd_explain, "which days of which series each parameter rests on: integrated gradients, occlusion", 1},
};

static void snf_usage(FILE *f)
{
    fprintf(f, "usage: snforge [--help] [--version] SUBCOMMAND [options]\n\nsubcommands:\n");
    for (size_t i = 0; i < sizeof snf_commands / sizeof snf_commands[0]; i++) {
        fprintf(f, "  %-10s %s\n", snf_commands[i].name, snf_commands[i].summary);
    }
    fprintf(f, "\n'snforge SUBCOMMAND --help' describes a subcommand's options.\n"
               "Exit status: 0 success, 1 the work failed, 2 the input is wrong.\n");
}

int snf_cli_fail(const char *cmd, int status)
{
    fprintf(stderr, "snforge %s: %s\n", cmd, snf_error_last_message());
    return snf_status_exit_code(status);
}

/* Everything printed must have reached its destination: a full disk or a closed pipe behind stdout is a
 * failure (exit 1), not a silent success. */
static int snf_finish(const char *cmd, int code)
{
    errno = 0;
    int bad = ferror(stdout);
    if (fflush(stdout) != 0) {
        bad = 1;
    }
    if (bad) {
        int e = errno;
        fprintf(stderr, "snforge%s%s: cannot write the standard output: %s\n", cmd ? " " : "", cmd ? cmd : "",
                e ? strerror(e) : "write error");
        return code == 0 ? 1 : code;
    }
    return code;
}

int main(int argc, char **argv)
{
    /* No OpenMP thread spins while it waits (issue 21; nn.h); the thread count: below, per command. */
    snf_omp_passive_reexec(argv);
    gsl_set_error_handler_off(); /* GSL failures come back as status codes, never abort() */
    /* libhdf5 1.10's exit handler closes every file id still in its table. An H5Fclose that failed (a full
     * disk: its last writes failed) tears the file down (H5F_t.shared = NULL) but leaves its id in the
     * table, and the handler then dereferences it (SIGSEGV in H5F__close_cb at exit). Every file is closed
     * by the program itself, so the handler is not registered (this must precede every other HDF5 call). */
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* no raw HDF5 error stack reaches the user: the reason is reported */
    if (argc < 2) {
        snf_usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        snf_usage(stdout);
        return snf_finish(NULL, 0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        char buf[512];
        snf_versions(buf, sizeof buf);
        int cores = 1;
        const double idle = snf_threads_idle(&cores);
        const int threads = snf_threads_auto();
        printf("%s\nOpenMP: waiting %s; %d thread%s by default (%s; %.1f idle of %d cores now)\n", buf,
               snf_omp_wait_policy(), threads, threads == 1 ? "" : "s",
               getenv("OMP_NUM_THREADS") ? "OMP_NUM_THREADS" : "the idle cores, rounded", idle, cores);
        return snf_finish(NULL, 0);
    }
    for (size_t i = 0; i < sizeof snf_commands / sizeof snf_commands[0]; i++) {
        if (strcmp(argv[1], snf_commands[i].name) == 0) {
            if (snf_commands[i].threaded) {
                snf_threads_auto(); /* no more threads than idle cores (issue 21; nn.h) */
            }
            return snf_finish(snf_commands[i].name, snf_commands[i].run(argc - 1, argv + 1));
        }
    }
    fprintf(stderr, "snforge: unknown subcommand '%s' (expected one of:", argv[1]);
    for (size_t i = 0; i < sizeof snf_commands / sizeof snf_commands[0]; i++) {
        fprintf(stderr, " %s", snf_commands[i].name);
    }
    fprintf(stderr, ")\n");
    return 2;
}
