/* cmd_train.c: `snforge train CONFIG.ini [-o MODEL.h5] [--threads N]`: trains an InceptionTime regressor
 * on a dataset file as the config says (train/train_small.ini), writing MODEL.h5 after every epoch;
 * running the same command again after an interruption resumes where it stopped. */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_mpi.h"
#include "cli_util.h"
#include "commands.h"
#include "snforge/core.h"
#include "snforge/nn.h"
#include "snforge/train.h"
#include "snforge/infer.h"

/* ---- static helpers ---- */

static void snf_train_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge train CONFIG.ini [-o MODEL.h5] [--threads N] [--time-budget S [--budget-clock cpu]]\n"
            "                     [--quiet]\n\n"
            "Trains the regressor ([model] arch: InceptionTime, LITE or H-InceptionTime) of energy, mass,\n"
            "radius and nickel on the dataset file named in CONFIG.ini (example and every key:\n"
            "train/train_small.ini). MODEL.h5 (default: [output] model) is\n"
            "the checkpoint, rewritten atomically after every epoch; run the same command again after an\n"
            "interruption and training resumes from it (same final weights as an uninterrupted run). A\n"
            "finished MODEL.h5 is never rewritten.\n\n"
            "options:\n"
            "  -o, --output MODEL.h5     the model file (overrides [output] model)\n"
            "  -t, --threads N           OpenMP threads (default: OMP_NUM_THREADS, else the idle cores at start)\n"
            "      --time-budget S       end training after the epoch at which one more epoch as long as the\n"
            "                            last would pass S seconds of this run: the model is finished as after\n"
            "                            early stopping (best weights, test rows scored; reason 'time budget').\n"
            "                            A step schedule ([train] schedule = cosine | onecycle) is sized to\n"
            "                            the steps that fit in S, timed on the first batch and re-sized after\n"
            "                            every epoch by that epoch's time (reason 'schedule')\n"
            "      --budget-clock C      wall (default): S is wall-clock seconds; cpu: S is counted on the\n"
            "                            process's CPU clock divided by the threads, i.e. seconds on N\n"
            "                            dedicated cores (a benchmark on a shared machine then does the work\n"
            "                            of S dedicated seconds and takes longer on the wall clock)\n"
            "  -q, --quiet               no per-epoch lines and no progress line\n"
            "      --stop-after-epochs K stop after K epochs of this run, as if interrupted (for tests)\n"
            "  -h, --help                this text\n\n"
            "With an MPI build (-DSNF_ENABLE_MPI=ON), `mpirun -np K snforge train CONFIG.ini` trains data-parallel:\n"
            "each rank computes its share of every batch of [train] batch rows (BatchNorm synchronised,\n"
            "gradients summed over the ranks); rank 0 logs and writes MODEL.h5 (see README.md).\n\n"
            "Exit status: 0 trained (or already finished), 1 the work failed (file, disk, non-finite loss),\n"
            "2 bad input (option, CONFIG file:line, data file, MODEL.h5 holding another config).\n");
}

static void snf_train_print_metrics(const char *what, const snf_metrics *m, const snf_metrics *b)
{
    if (m->n == 0) {
        return;
    }
    fprintf(stderr, "  %s (%ld rows): MAPE E %.1f%% M %.1f%% R %.1f%% Ni %.1f%% (predict-the-mean: %.1f%% %.1f%% "
                    "%.1f%% %.1f%%); R2(log) %.3f %.3f %.3f %.3f\n", what, m->n, m->mape[0], m->mape[1], m->mape[2],
            m->mape[3], b->mape[0], b->mape[1], b->mape[2], b->mape[3], m->r2[0], m->r2[1], m->r2[2], m->r2[3]);
}

/* ---- the subcommand ---- */

/* The command's options. */
typedef struct snf_train_cli {
    const char *out;
    long threads, stop;
    double budget;
    int quiet, budget_cpu;
} snf_train_cli;

/* Parses the options into o: -1 to go on, else the exit code (0 after --help, 2 for a bad option). */
static int snf_train_parse(int argc, char **argv, snf_train_cli *o)
{
    enum { OPT_STOP = 1000, OPT_BUDGET, OPT_CLOCK };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"stop-after-epochs", required_argument, NULL, OPT_STOP},
        {"time-budget", required_argument, NULL, OPT_BUDGET},
        {"budget-clock", required_argument, NULL, OPT_CLOCK},    {NULL, 0, NULL, 0},
    };
    *o = (snf_train_cli){NULL, 0, 0, 0.0, 0, 0};
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:qh", opts, NULL)) != -1;) {
        switch (ch) {
        case 'o': o->out = optarg; break;
        case 't':
            if (snf_cli_parse_threads("train", optarg, &o->threads) != 0) {
                return 2;
            }
            break;
        case OPT_STOP:
            if (snf_cli_parse_long("train", "--stop-after-epochs", optarg, 1, 1L << 30, &o->stop) != 0) {
                return 2;
            }
            break;
        case OPT_BUDGET: {
            char *end;
            o->budget = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(o->budget > 0) || !isfinite(o->budget)) {
                fprintf(stderr, "snforge train: --time-budget expects seconds > 0, got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case OPT_CLOCK:
            if (strcmp(optarg, "wall") != 0 && strcmp(optarg, "cpu") != 0) {
                fprintf(stderr, "snforge train: --budget-clock expects wall or cpu, got '%s'\n", optarg);
                return 2;
            }
            o->budget_cpu = strcmp(optarg, "cpu") == 0;
            break;
        case 'q': o->quiet = 1; break;
        case 'h': snf_train_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "train");
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snforge train: expected one CONFIG file, got %d (see snforge train --help)\n", argc - optind);
        return 2;
    }
    return -1;
}

/* What the run did, on stderr: finished before, or the validation and test metrics and the summary line. */
static void snf_train_report(const snf_train_summary *s, const char *model_path, int nt, int nranks)
{
    if (s->already_finished) {
        fprintf(stderr, "snforge train: %s is finished (%s at epoch %ld); nothing to do\n", model_path,
                snf_cli_outcome(s->stop_reason), s->epoch);
        snf_train_print_metrics("test", &s->test, &s->test_baseline);
    } else {
        snf_train_print_metrics("validation", &s->val, &s->val_baseline);
        snf_train_print_metrics("test", &s->test, &s->test_baseline);
        if (s->rows_observed > 0) {
            fprintf(stderr, "snforge train: %ld training rows drawn as observations ([observe]); validation and test "
                            "rows are complete curves\n", s->rows_observed);
        }
        fprintf(stderr, "snforge train: %s: %s at epoch %ld (%ld this run%s), best epoch %ld (val loss %.5f), "
                        "%ld/%ld/%ld train/val/test rows (%ld skipped), %d threads x %d ranks, %.1f s\n", model_path,
                s->finished ? snf_cli_outcome(s->stop_reason) : "interrupted", s->epoch, s->epochs_run, s->resumed ? ", resumed" : "",
                s->best_epoch + 1, s->best_val_loss, s->n_train, s->n_val, s->n_test, s->n_skipped, nt, nranks, s->wall_s);
    }
}

int snf_cmd_train(int argc, char **argv)
{
    snf_train_cli o;
    int code = snf_train_parse(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    const char *out = o.out;
    int quiet = o.quiet;
    snf_train_config cfg;
    int rc = snf_train_config_load(&cfg, argv[optind]);
    if (rc < 0) {
        fprintf(stderr, "snforge train: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    if (out) {
        snprintf(cfg.model_path, sizeof cfg.model_path, "%s", out);
    }
    int nt = snf_threads_setup((int)o.threads);
    snf_cli_mpi mpi; /* under mpirun: data-parallel, rank 0 locks, writes and reports (cli_mpi.h) */
    snf_cli_mpi_begin(&mpi, "train", &argc, &argv);
    if (!snf_cli_mpi_says(&mpi)) {
        quiet = 1;
    }
    /* One run per model file, for the whole run (its checkpoints are rewritten every epoch; the model file
     * itself is rewritten atomically each epoch); every rank stops if rank 0 could not take it. */
    if (snf_cli_mpi_lock(&mpi, cfg.model_path, 0) < 0) {
        if (snf_cli_mpi_says(&mpi)) {
            fprintf(stderr, "snforge train: %s\n", snf_error_last_message());
        }
        snf_train_config_free(&cfg);
        return snf_cli_mpi_end(&mpi, 1);
    }
    if (!quiet) {
        snf_cli_mpi_note(&mpi, cfg.model_path);
    }
    snf_train_options opt = snf_train_options_default();
    opt.threads = nt;
    opt.stop_after = o.stop;
    opt.max_wall_s = o.budget;
    opt.budget_cpu = o.budget_cpu;
    opt.quiet = quiet;
    opt.log = stderr;
    opt.progress = (!quiet && isatty(fileno(stderr))) ? stderr : NULL;
    snf_train_summary s;
    /* one process: snf_train_run per ensemble member, then the /uq group (uq.h); under MPI with several
     * ranks the data-parallel run alone (no ensemble, no /uq group: its members train in forked children) */
    rc = mpi.nranks > 1 ? snf_train_run(&cfg, &opt, &s) : snf_uq_train(&cfg, &opt, &s);
    if (rc < 0 && snf_cli_mpi_says(&mpi)) {
        fprintf(stderr, "snforge train: %s\n", snf_error_last_message());
    }
    code = snf_cli_mpi_end(&mpi, rc < 0 ? snf_status_exit_code(rc) : 0);
    if (rc < 0 || code != 0 || !snf_cli_mpi_says(&mpi)) {
        snf_train_config_free(&cfg);
        return code;
    }
    snf_train_report(&s, cfg.model_path, nt, mpi.nranks);
    snf_train_config_free(&cfg);
    return 0;
}
