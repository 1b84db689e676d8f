/* cmd_curriculum.c: `snforge curriculum EXPERIMENT.ini -o DIR [--test HYDRO.h5] [--threads N]`: curriculum
 * transfer from semi-analytic to hydro models, k-fold cross-validated, with ablations (curriculum.h);
 * DIR/results.csv, results.md and, with python3 + matplotlib, results.png. Resumable after kill -9. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_mpi.h"
#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/nn.h"
#include "snforge/infer.h"


/* ---- static helpers ---- */

static void snf_curr_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge curriculum EXPERIMENT.ini -o DIR [--test HYDRO.h5] [--threads N] [--no-plot]\n"
            "                          [--final [--final-members M]]\n\n"
            "Curriculum transfer from semi-analytic to hydrodynamical light curves (Grassia et al. 2024), k-fold\n"
            "cross-validated over the hydro models: per fold, stage 1 trains on the semi-analytic campaign and\n"
            "selects the epoch on the fold's hydro validation models, stage 2 fine-tunes it on the fold's hydro\n"
            "training models (semi-analytic rows mixed in), stage 3 scores the fold's hydro test models. Every\n"
            "hydro model is tested exactly once. Each [ablation.NAME] of the config reruns the experiment with\n"
            "its changes. Config: every key in validation/curriculum.ini.\n\n"
            "Stage 1 reads no hydro rows: it is one training run per variant for every fold, each fold keeping\n"
            "its own best epoch (DIR/<variant>/stage1/losses.csv: each fold's validation loss per epoch).\n"
            "Writes DIR/<variant>/fold<k>/{stage1.h5,stage2.h5,tested.csv,scores.csv}, DIR/results.csv (row,split,\n"
            "energy,mass,radius,nickel: MAPE %%; split = fold number, mean, std or external), DIR/results.md and\n"
            "DIR/results.png. Run the same command after an interruption: finished folds are not recomputed and\n"
            "an unfinished stage resumes bitwise.\n\n"
            "With --final, after the experiment: the deployable model DIR/final/model.h5, M networks (seeds\n"
            "seed + 7919 k) trained like the base variant's folds on every hydro model, each stage for the median\n"
            "over folds of the epoch count it kept; its /uq group holds the members, the training ranges, the OOD\n"
            "fit and a calibration fitted only on the out-of-fold predictions (each hydro model predicted by the\n"
            "fold that tested it; DIR/final/oof.csv), named by the attribute calibration_source. Use it with\n"
            "predict, evaluate, plan and explain like any model. Resumable; another M in the same DIR is refused.\n\n"
            "options:\n"
            "  -o, --output DIR      the output folder (required)\n"
            "      --test HYDRO.h5   an external hydro test set, read only after every fold is done; scored with\n"
            "                        the mean of log10 predictions of the fold models (rows split = external)\n"
            "  -t, --threads N       OpenMP threads\n"
            "      --no-plot         no results.png\n"
            "      --python PATH     interpreter for the plot         [$SNFORGE_PYTHON or /usr/bin/python3]\n"
            "      --plot-script P   plot_curriculum.py (default: validation/ of the data folder)\n"
            "      --final           also build the deployable model DIR/final/model.h5 (see above)\n"
            "      --final-members M its ensemble members, 1-64                     [3]\n"
            "      --stop-after-folds K  return after K newly finished folds, as if interrupted (for tests)\n"
            "  -h, --help            this text\n\n"
            "With an MPI build (-DSNF_ENABLE_MPI=ON), `mpirun -np K snforge curriculum ...` trains every stage\n"
            "data-parallel as train does: every rank reads the same files, rank 0 logs and writes DIR.\n\n"
            "Exit status: 0 done, 1 the work failed, 2 bad input (option, config file:line, data files,\n"
            "too few hydro models for the folds, an external model that is also in the hydro set).\n");
}

/* Runs PYTHON SCRIPT DIR: the script given, else validation/plot_curriculum.py from the resource finder
 * (resource.h); a note for the summary line. */
static const char *snf_curr_plot(const char *python, const char *script, const char *dir)
{
    char buf[4200];
    if (!script) {
        if (!snf_resource_find("validation/plot_curriculum.py", buf, sizeof buf)) {
            return "no plot (validation/plot_curriculum.py not found in the data folder; --plot-script)";
        }
        script = buf;
    }
    const char *args[] = {dir, NULL};
    int st = snf_resource_run_python(python, script, args);
    if (st == -1) {
        return "no plot (python missing)";
    }
    if (st != 0) {
        return "no plot (the plot script failed; matplotlib missing?)";
    }
    return "results.png written";
}

/* ---- the subcommand ---- */

/* The arguments' checks after the options (1: fine; 0: said why, exit 2). */
static int snf_curr_args_ok(int argc, const char *out, const char *test, int final, int members_given)
{
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "snforge curriculum: expected one EXPERIMENT.ini and -o DIR (see snforge curriculum "
                        "--help)\n");
        return 0;
    }
    if (members_given && !final) {
        fprintf(stderr, "snforge curriculum: --final-members needs --final\n");
        return 0;
    }
    if (test && access(test, R_OK) != 0) {
        fprintf(stderr, "snforge curriculum: --test %s: cannot read the file (expected a dataset from snforge "
                        "import)\n", test);
        return 0;
    }
    return 1;
}

int snf_cmd_curriculum(int argc, char **argv)
{
    enum { O_TEST = 1000, O_NOPLOT, O_PY, O_SCRIPT, O_STOP, O_FINAL, O_MEMBERS };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {"test", required_argument, NULL, O_TEST},
        {"no-plot", no_argument, NULL, O_NOPLOT}, {"python", required_argument, NULL, O_PY},
        {"plot-script", required_argument, NULL, O_SCRIPT}, {"stop-after-folds", required_argument, NULL, O_STOP},
        {"final", no_argument, NULL, O_FINAL}, {"final-members", required_argument, NULL, O_MEMBERS},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *test = NULL, *python = snf_resource_python(), *script = NULL;
    long threads = 0, stop = 0, members = 3;
    int plot = 1, final = 0, members_given = 0;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:h", opts, NULL)) != -1;) {
        int e = 0;
        switch (ch) {
        case 'o': out = optarg; break;
        case 't': e = snf_cli_parse_threads("curriculum", optarg, &threads); break;
        case 'h': snf_curr_usage(stdout); return 0;
        case O_TEST: test = optarg; break;
        case O_NOPLOT: plot = 0; break;
        case O_PY: python = optarg; break;
        case O_SCRIPT: script = optarg; break;
        case O_STOP: e = snf_cli_parse_long("curriculum", "--stop-after-folds", optarg, 1, 1L << 30, &stop); break;
        case O_FINAL: final = 1; break;
        case O_MEMBERS:
            e = snf_cli_parse_long("curriculum", "--final-members", optarg, 1, SNF_UQ_MAX_MEMBERS, &members);
            members_given = 1;
            break;
        default: return snf_cli_unknown_option(argv, "curriculum");
        }
        if (e) {
            return 2;
        }
    }
    if (!snf_curr_args_ok(argc, out, test, final, members_given)) {
        return 2;
    }
    snf_curr_config c;
    int rc = snf_curr_config_load(&c, argv[optind]);
    if (rc < 0) {
        fprintf(stderr, "snforge curriculum: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    snf_cli_mpi mpi; /* under mpirun: every stage data-parallel, rank 0 locks, writes and reports (cli_mpi.h) */
    snf_cli_mpi_begin(&mpi, "curriculum", &argc, &argv);
    const int say = snf_cli_mpi_says(&mpi);
    /* DIR.lock for the whole run: a second curriculum into DIR refuses at once */
    if ((rc = snf_cli_mpi_lock(&mpi, out, 1)) < 0) {
        snf_curr_config_free(&c);
        if (say) {
            fprintf(stderr, "snforge curriculum: %s\n", snf_error_last_message());
        }
        return snf_cli_mpi_end(&mpi, snf_status_exit_code(rc));
    }
    snf_cli_mpi_note(&mpi, out);
    int nt = snf_threads_setup((int)threads);
    snf_curr_options o = {.out_dir = out, .test_file = test, .threads = nt, .stop_after_folds = stop,
                          .log = say ? stderr : NULL};
    int stopped = 0;
    rc = snf_curr_run(&c, &o, &stopped);
    snf_uq_final_info fi;
    if (rc >= 0 && !stopped && final) {
        rc = snf_uq_final(&c, &o, (int)members, &fi);
    }
    snf_curr_config_free(&c);
    if (rc < 0) {
        if (say) {
            fprintf(stderr, "snforge curriculum: %s\n", snf_error_last_message());
        }
        return snf_cli_mpi_end(&mpi, snf_status_exit_code(rc));
    }
    if (!say) { /* the plot and the summary are rank 0's */
        return snf_cli_mpi_end(&mpi, 0);
    }
    if (stopped) {
        int code = snf_cli_mpi_end(&mpi, 0);
        fprintf(stderr, "snforge curriculum: stopped after %ld folds (run again to go on)\n", stop);
        return code;
    }
    int code = snf_cli_mpi_end(&mpi, 0); /* MPI is done before the plot's child process starts */
    if (code != 0) {
        return code;
    }
    const char *note = plot ? snf_curr_plot(python, script, out) : "no plot (--no-plot)";
    fprintf(stderr, "snforge curriculum: %s/results.csv, results.md; %s\n", out, note);
    if (final) {
        fprintf(stderr, "snforge curriculum: deployable model %s/final/model.h5 (%d members, stages of %d + %d "
                        "epochs, calibrated out of fold: %s/final/oof.csv)\n", out, fi.members, fi.epochs1,
                fi.epochs2, out);
    }
    return 0;
}
