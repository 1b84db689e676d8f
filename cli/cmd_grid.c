/* cmd_grid.c: `snforge grid CAMPAIGN -o FILE.h5 [--threads N] [--shard I/N] [--join N]`: runs or resumes a
 * dataset campaign, one shard of it, or joins finished shards into one virtual-dataset file. Built with
 * MPI (SNF_HAVE_MPI), `mpirun -np K snforge grid ...` runs rank r as shard r/K and rank 0 joins
 * (grids/grid_mpi.c). */
#define _POSIX_C_SOURCE 200809L /* fileno, isatty */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/grids.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

static void snf_grid_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge grid CAMPAIGN.ini -o FILE.h5 [--threads N] [--shard I/N] [--join N] [--quiet]\n\n"
            "Runs the dataset campaign described by CAMPAIGN.ini (see grids/87a_small.ini) into FILE.h5\n"
            "(layout: cli/interfaces.md). While running, the file is FILE.h5.tmp; run the same command\n"
            "again after an interruption and it finishes the campaign without recomputing written blocks.\n"
            "A complete FILE.h5 is never rewritten: a rerun says it is complete and exits 0.\n"
            "model = hydro (see validation/hydro_campaign.ini): each row builds its progenitor and runs the\n"
            "radiation-hydro code (rhd/tables found as snforge hydro finds them), one model per thread at a time.\n\n"
            "options:\n"
            "  -o, --output FILE.h5   the dataset file (required)\n"
            "  -t, --threads N        OpenMP threads (default: OMP_NUM_THREADS, else every core: the loop has no\n"
            "                         barrier, so a busy core costs only its share)\n"
            "      --shard I/N        compute shard I (0..N-1) of N only, into FILE.shardI-of-N.h5\n"
            "                         (whole blocks, contiguous rows; for Slurm job arrays)\n"
            "      --join N           join the N finished shards into FILE.h5 (HDF5 virtual datasets that\n"
            "                         read the shard files, which must stay beside FILE.h5)\n"
            "  -q, --quiet            no progress line (it is shown only when stderr is a terminal)\n"
            "      --stop-after-blocks K  stop after writing K blocks, as if interrupted (for tests)\n"
            "  -h, --help             this text\n\n"
            "With MPI (built with -DSNF_ENABLE_MPI=ON): mpirun -np K snforge grid CAMPAIGN -o FILE.h5\n"
            "runs rank r as shard r of K and rank 0 joins them into FILE.h5.\n"
            "Exit status: 0 complete (failed models are recorded in /status, not errors), 1 the work failed\n"
            "(disk, HDF5), 2 bad input (option, campaign file:line, FILE.h5 holds another campaign).\n");
}

static void snf_human_bytes(double b, char *buf, size_t n)
{
    if (b >= 1e9) {
        snprintf(buf, n, "%.2f GB", b / 1e9);
    } else if (b >= 1e6) {
        snprintf(buf, n, "%.1f MB", b / 1e6);
    } else {
        snprintf(buf, n, "%.1f kB", b / 1e3);
    }
}

/* The one-line summary (always printed, on stderr with the progress line). */
static void snf_grid_print_summary(const snf_grid_summary *s)
{
    char size[32];
    snf_human_bytes(s->file_bytes, size, sizeof size);
    if (s->already_complete) {
        fprintf(stderr, "snforge grid: %s is complete (%ld models: %ld ok, %ld warnings, %ld failed, %s); "
                        "nothing to do\n", s->path, s->n_rows, s->n_ok, s->n_warn, s->n_failed, size);
        return;
    }
    char by[512] = "";
    size_t len = 0;
    for (int k = 0; k <= SNF_GRID_STATUS_MAX - SNF_GRID_STATUS_MIN; k++) {
        int code = k + SNF_GRID_STATUS_MIN;
        if (code != 0 && s->by_status[k] > 0 && len < sizeof by) {
            int w = snprintf(by + len, sizeof by - len, "%s%s %ld", len ? ", " : " (", snf_status_name(code),
                             s->by_status[k]);
            len += w > 0 ? (size_t)w : 0;
        }
    }
    if (s->by_status_other > 0 && len < sizeof by) {
        int w = snprintf(by + len, sizeof by - len, "%sother %ld", len ? ", " : " (", s->by_status_other);
        len += w > 0 ? (size_t)w : 0;
    }
    if (len > 0 && len < sizeof by - 1) {
        strcat(by, ")");
    }
    double rate = s->wall_s > 0 ? (double)s->n_computed / s->wall_s : 0;
    fprintf(stderr,
            "snforge grid: %s%s: %ld models: %ld ok, %ld warnings, %ld failed%s; computed %ld, resumed past %ld; "
            "wall %.2f s, %.0f models/s on %d thread%s, file %s\n",
            s->path, s->stopped ? ".tmp (stopped early)" : "", s->n_rows, s->n_ok, s->n_warn, s->n_failed, by,
            s->n_computed, s->n_skipped, s->wall_s, rate, s->threads, s->threads == 1 ? "" : "s", size);
    if (s->n_reread_bad > 0) {
        fprintf(stderr, "snforge grid: note: %ld written rows did not read back cleanly and were computed again\n",
                s->n_reread_bad);
    }
    if (s->restarted) {
        fprintf(stderr, "snforge grid: note: the previous .tmp was unreadable or damaged (%s); the campaign was "
                        "started over\n", s->restart_why);
    }
}

/* Exit status for a run's failure: a wrong campaign / output name is the user's input (2). */
static int snf_grid_fail(int rc)
{
    fprintf(stderr, "snforge grid: %s\n", snf_error_last_message());
    return (rc == SNF_EEXIST || rc == SNF_EINVAL || rc == SNF_EFORMAT) ? 2 : 1;
}

/* ---- the subcommand ---- */

/* Parses the options and operand: -1 to go on (*out the output, *join the shards to join or 0, *quiet), else
 * the exit code (0 after --help, 2 for bad input). */
static int snf_grid_parse(int argc, char **argv, const char **outp, int *joinp, int *quietp, snf_grid_options *optp)
{
    enum { OPT_SHARD = 1000, OPT_JOIN, OPT_STOP };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 't'},
        {"shard", required_argument, NULL, OPT_SHARD}, {"join", required_argument, NULL, OPT_JOIN},
        {"quiet", no_argument, NULL, 'q'}, {"stop-after-blocks", required_argument, NULL, OPT_STOP},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    int join = 0, quiet = 0;
    long v;
    snf_grid_options opt = *optp;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, "o:t:qh", opts, NULL)) != -1;) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 't':
            if (snf_cli_parse_threads("grid", optarg, &v) != 0) {
                return 2;
            }
            opt.threads = (int)v;
            break;
        case OPT_SHARD: {
            int i, n, used = 0;
            if (sscanf(optarg, "%d/%d%n", &i, &n, &used) != 2 || optarg[used] != '\0' || n < 1 || i < 0 || i >= n) {
                fprintf(stderr, "snforge grid: --shard expects I/N with 0 <= I < N (e.g. 0/4), got '%s'\n", optarg);
                return 2;
            }
            opt.shard_index = i;
            opt.shard_count = n;
            break;
        }
        case OPT_JOIN:
            if (snf_cli_parse_long("grid", "--join", optarg, 1, 1000000, &v) != 0) {
                return 2;
            }
            join = (int)v;
            break;
        case OPT_STOP:
            if (snf_cli_parse_long("grid", "--stop-after-blocks", optarg, 1, 1L << 30, &v) != 0) {
                return 2;
            }
            opt.stop_after = (int)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': snf_grid_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "grid");
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snforge grid: expected one CAMPAIGN file, got %d (see snforge grid --help)\n", argc - optind);
        return 2;
    }
    if (out == NULL) {
        fprintf(stderr, "snforge grid: -o FILE.h5 is required (see snforge grid --help)\n");
        return 2;
    }
    if (join > 0 && opt.shard_count > 1) {
        fprintf(stderr, "snforge grid: --join and --shard exclude each other\n");
        return 2;
    }
    *outp = out;
    *joinp = join;
    *quietp = quiet;
    *optp = opt;
    return -1;
}

/* --join N: the shards' files into out. */
static int snf_grid_join_shards(snf_campaign *c, const char *out, int join)
{
    int already = 0;
    int rc = snf_grid_join(c, out, join, &already);
    snf_config_free(c);
    if (rc < 0) {
        return snf_grid_fail(rc);
    }
    if (already) {
        fprintf(stderr, "snforge grid: %s is complete (a join of %d shards); nothing to do\n", out, join);
    } else {
        fprintf(stderr, "snforge grid: joined %d shards into %s\n", join, out);
    }
    return 0;
}

/* model = hydro: the opacity tables and grid pattern folder into tables, found like snforge hydro finds them;
 * 0, or -1 with the message printed. */
static int snf_grid_hydro_tables(char *tables, size_t n)
{
    if (!snf_resource_find("rhd/tables/codataa", tables, n)) {
        char where[1024];
        snf_resource_where("rhd/tables/codataa", where, sizeof where);
        fprintf(stderr, "snforge grid: %s\n", where);
        return -1;
    }
    *strrchr(tables, '/') = '\0';
    return 0;
}

int snf_cmd_grid(int argc, char **argv)
{
    const char *out = NULL;
    int join = 0, quiet = 0;
    snf_grid_options opt = snf_grid_options_default();
    int code = snf_grid_parse(argc, argv, &out, &join, &quiet, &opt);
    if (code >= 0) {
        return code;
    }
    snf_campaign c;
    int rc = snf_config_load(&c, argv[optind]);
    if (rc < 0) {
        fprintf(stderr, "snforge grid: %s\n", snf_error_last_message());
        return 2;
    }
    if (join > 0) {
        return snf_grid_join_shards(&c, out, join);
    }
    opt.progress = (!quiet && isatty(fileno(stderr))) ? stderr : NULL;
    char tables[4096];
    if (c.hydro) {
        if (snf_grid_hydro_tables(tables, sizeof tables) < 0) {
            snf_config_free(&c);
            return 1;
        }
        opt.hydro_tables = tables;
    }

    int rank = 0, size = 1;
    snf_grid_mpi_init(&argc, &argv, &rank, &size);
    if (size > 1) {
        if (opt.shard_count > 1) {
            if (rank == 0) {
                fprintf(stderr, "snforge grid: under mpirun the ranks are the shards; drop --shard\n");
            }
            snf_grid_mpi_finalize();
            snf_config_free(&c);
            return 2;
        }
        opt.shard_index = rank;
        opt.shard_count = size;
        if (rank != 0) {
            opt.progress = NULL;
        }
    }
    snf_grid_summary sum;
    rc = snf_grid_run(&c, out, &opt, &sum);
    code = rc < 0 ? snf_grid_fail(rc) : 0;
    if (rc >= 0 && size == 1) {
        snf_grid_print_summary(&sum);
    }
    if (size > 1) {
        snf_grid_summary tot;
        int worst = code, joined = 0;
        rc = snf_grid_mpi_combine(&c, out, rank, size, code, &sum, &tot, &worst, &joined);
        if (rc < 0) {
            worst = snf_grid_fail(rc);
        } else if (joined) {
            snf_grid_print_summary(&tot);
        }
        code = snf_grid_mpi_share(worst);
    }
    snf_grid_mpi_finalize();
    snf_config_free(&c);
    return code;
}
