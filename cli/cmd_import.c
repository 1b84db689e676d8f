/* cmd_import.c: `snforge import`: hydro runs (SNEC, STELLA, column tables) listed in an index file into
 * one dataset file on a campaign's time grid (hydro.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/grids.h"
#include "snforge/core.h"

static void snf_import_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge import --format snec|stella|columns --index INDEX.csv [--like CAMPAIGN.h5] -o HYDRO.h5\n"
            "Reads the hydro runs listed in INDEX.csv (header path,energy,mass,radius,nickel[,extra...]; paths\n"
            "relative to the index; extra numeric columns are kept as nuisance parameters) and writes them on one\n"
            "time grid (interpolation in log L; NaN outside each run's coverage, never extrapolated).\n\n"
            "  --format NAME       snec: a SNEC output folder (Data/lum_observed.dat, vel_photo.dat, index_photo.dat)\n"
            "                      stella: a STELLA model's base name (.lbol | .tt | .lbol_lnuc.txt; .swd.ph | .vel_feII)\n"
            "                      columns: one table per run, read through --config\n"
            "  --index FILE        the index (CSV)\n"
            "  --config FILE       columns format: the INI mapping of columns, units and time origin\n"
            "  --like FILE         take the time grid (/time) of this campaign file\n"
            "  --t-min D --t-max D --dt D   otherwise the grid t-min..t-max step dt days [0, 300, 1]\n"
            "  --time-origin NAME  snec: run (t = 0 at the bomb, default; breakout comes ~0.06 d later for\n"
            "                      87A-like runs) or breakout (t = 0 at info.dat's breakout time)\n"
            "  -o FILE             output dataset file (written as FILE.tmp, renamed when complete)\n"
            "  -h, --help\n"
            "Exit status: 0 done, 1 the work failed, 2 bad input (the message names file:line).\n");
}

enum { OPT_FORMAT = 256, OPT_INDEX, OPT_CONFIG, OPT_LIKE, OPT_TMIN, OPT_TMAX, OPT_DT, OPT_ORIGIN };

static const struct option snf_import_opts[] = {
    {"format", required_argument, 0, OPT_FORMAT}, {"index", required_argument, 0, OPT_INDEX},
    {"config", required_argument, 0, OPT_CONFIG}, {"like", required_argument, 0, OPT_LIKE},
    {"t-min", required_argument, 0, OPT_TMIN},    {"t-max", required_argument, 0, OPT_TMAX},
    {"dt", required_argument, 0, OPT_DT},         {"time-origin", required_argument, 0, OPT_ORIGIN},
    {"output", required_argument, 0, 'o'},        {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

int snf_cmd_import(int argc, char **argv)
{
    snf_hydro_import_opts o = snf_hydro_import_opts_default();
    snf_columns_spec spec;
    const char *config = NULL;
    int have_format = 0, rc = SNF_OK;
    snf_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", snf_import_opts, NULL)) != -1) {
        const char *name = snf_cli_option_name(snf_import_opts, c);
        switch (c) {
        case OPT_FORMAT: rc = snf_hydro_format_parse(optarg, &o.format); have_format = 1; break;
        case OPT_INDEX: o.index_path = optarg; break;
        case OPT_CONFIG: config = optarg; break;
        case OPT_LIKE: o.like_path = optarg; break;
        case OPT_TMIN: rc = snf_cli_parse_double(name, optarg, &o.t_min_d); break;
        case OPT_TMAX: rc = snf_cli_parse_double(name, optarg, &o.t_max_d); break;
        case OPT_DT: rc = snf_cli_parse_double(name, optarg, &o.dt_d); break;
        case OPT_ORIGIN:
            rc = snf_time_origin_parse(optarg, &o.snec_origin);
            if (rc >= 0 && o.snec_origin == SNF_ORIGIN_LMAX) {
                rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                      "--time-origin lmax is for the columns config, not SNEC (expected run or breakout)");
            }
            break;
        case 'o': o.out_path = optarg; break;
        case 'h': snf_import_usage(stdout); return 0;
        default: return snf_cli_bad_option(argv, "import");
        }
        if (rc < 0) {
            return snf_cli_fail("import", rc);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "snforge import: unexpected argument '%s' (see snforge import --help)\n", argv[optind]);
        return 2;
    }
    if (!have_format || !o.index_path || !o.out_path) {
        fprintf(stderr, "snforge import: %s is required (see snforge import --help)\n",
                !have_format ? "--format" : !o.index_path ? "--index" : "-o");
        return 2;
    }
    if (o.format == SNF_HYDRO_COLUMNS) {
        if (!config) {
            fprintf(stderr, "snforge import: --format columns needs --config FILE.ini (see snforge import --help)\n");
            return 2;
        }
        rc = snf_columns_config_read(&spec, config);
        if (rc < 0) {
            return snf_cli_fail("import", rc);
        }
        o.columns = &spec;
    } else if (config) {
        fprintf(stderr, "snforge import: --config is only for --format columns\n");
        return 2;
    }
    char cmdline[4096];
    size_t n = 0;
    cmdline[0] = '\0';
    for (int k = 0; k < argc && n < sizeof cmdline; k++) {
        int w = snprintf(cmdline + n, sizeof cmdline - n, "%s%s", k ? " " : "snforge ", argv[k]);
        n += w > 0 ? (size_t)w : 0;
    }
    o.command_line = cmdline;
    snf_hydro_import_summary s;
    rc = snf_hydro_import(&o, &s);
    if (rc < 0) {
        return snf_cli_fail("import", rc);
    }
    fprintf(stderr,
            "snforge import: %d %s runs -> %s, %d times; log_lbol defined at %ld points (%ld NaN: outside the runs), "
            "v_ph at %ld (%ld NaN)\n",
            s.n_models, snf_hydro_format_name(o.format), o.out_path, s.T, s.n_l_points, s.n_l_nan, s.n_v_points,
            s.n_v_nan);
    if (rc >= 0 && s.n_repeats_dropped > 0) {
        fprintf(stderr, "snforge import: note: %d row%s dropped: %s time repeated the previous row's (STELLA .tt "
                "files start with several rows at one time; the last row of each time is kept)\n",
                s.n_repeats_dropped, s.n_repeats_dropped == 1 ? "" : "s", s.n_repeats_dropped == 1 ? "its" : "their");
    }
    if (s.n_failed > 0) {
        fprintf(stderr, "snforge import: warning: %d run%s with no usable coverage stored as failed (status %d; see "
                "/status_msg): compare and train leave %s out\n", s.n_failed, s.n_failed == 1 ? "" : "s", SNF_ENONFINITE,
                s.n_failed == 1 ? "it" : "them");
    }
    return 0;
}
