/* cmd_search.c: `snforge search SEARCH.ini -o DIR [--threads N]`: hyper-parameter search over curriculum
 * experiments (search.h): grid or random trials, resumable, DIR/trials.csv, the best by validation only. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_mpi.h"
#include "cli_util.h"
#include "commands.h"
#include "snforge/core.h"
#include "snforge/nn.h"
#include "snforge/train.h"

static void snf_search_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge search SEARCH.ini -o DIR [--threads N] [--jobs J]\n\n"
            "Hyper-parameter search over a curriculum experiment (snforge curriculum). SEARCH.ini:\n"
            "  [search]\n"
            "  base = curriculum.ini   ; the curriculum config whose keys are varied (its ablations are dropped)\n"
            "  mode = grid             ; grid: every combination; random: `trials` distinct combinations drawn\n"
            "  trials = 8              ;   with `seed`\n"
            "  seed = 1\n"
            "  [vary]\n"
            "  stage2.lr = 1e-4, 3e-4, 1e-3   ; SECTION.KEY of the curriculum config = comma-separated values\n"
            "  stage2.mix_share = 0, 0.25\n\n"
            "Trial t runs into DIR/trialNNN (its config in curriculum.ini there) and resumes like a curriculum; a\n"
            "finished trial is not recomputed. Criterion: the mean over folds of stage 2's best hydro validation\n"
            "loss; the test models never choose. DIR/trials.csv lists each trial's values, criterion and (for\n"
            "information) k-fold curriculum test MAPE. Trials run J at a time side by side, N/J threads each\n"
            "(each logs to DIR/trialNNN/search.log); default J = N, one trial per core, the faster mode: 4\n"
            "small trials on 2 cores took 138 s / 166 s side by side against 140 s / 195 s one after another\n"
            "(README). Results do not depend on J (the kernels sum in a fixed order whatever the threads).\n\n"
            "options:\n"
            "  -o, --output DIR   the output folder (required)\n"
            "  -t, --threads N    OpenMP threads (all of them together)\n"
            "  -j, --jobs J       trials side by side (default: N; 1: one after another with all N threads)\n"
            "  -h, --help         this text\n\n"
            "Under mpirun with more than one rank (an MPI build) it refuses (exit 2): its trials are processes\n"
            "already; `mpirun -np K snforge curriculum` trains one trial's config data-parallel.\n\n"
            "Exit status: 0 done, 1 the work failed, 2 bad input (option, config file:line).\n");
}

int snf_cmd_search(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    long threads = 0, jobs = 0;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:j:h", opts, NULL)) != -1;) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 't':
            if (snf_cli_parse_threads("search", optarg, &threads) != 0) {
                return 2;
            }
            break;
        case 'j':
            if (snf_cli_parse_long("search", "--jobs", optarg, 1, 4096, &jobs) != 0) {
                return 2;
            }
            break;
        case 'h': snf_search_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "search");
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "snforge search: expected one SEARCH.ini and -o DIR (see snforge search --help)\n");
        return 2;
    }
    /* a trial is a whole curriculum, several side by side in forked children: the processes are the trials' */
    if (snf_cli_mpi_refuse("search", "its trials run side by side in forked children (--jobs J); run it as one "
                                     "process, or `mpirun -np K snforge curriculum` on one trial's config") != 0) {
        return 2;
    }
    snf_search_config c;
    snf_output owner = {.lock = -1};
    int rc = snf_search_config_load(&c, argv[optind]);
    if (rc >= 0) {
        rc = snf_output_begin(&owner, out, 1); /* DIR.lock: a second search into DIR refuses at once */
    }
    if (rc >= 0) {
        int nt = snf_threads_setup((int)threads);
        rc = snf_search_run(&c, out, nt, jobs > 0 ? (int)jobs : nt, stderr);
    }
    snf_output_end(&owner);
    if (rc < 0) {
        fprintf(stderr, "snforge search: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    return 0;
}
