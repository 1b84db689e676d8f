/* cmd_compare.c: `snforge compare HYDRO.h5 -o DIR`: the semi-analytic model (each closure) against every
 * hydro model of an imported file (valid.h), then PNGs through validation/plot_compare.py (matplotlib).
 * Without python3 or matplotlib the tables are still written and the command succeeds. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/core.h"
#include "snforge/validation.h"

static void snf_compare_usage(FILE *f)
{
    snf_physics ph = snf_physics_default();
    fprintf(f,
            "usage: snforge compare HYDRO.h5 -o DIR [options]\n"
            "For every model of HYDRO.h5 (from snforge import), the semi-analytic model at the same parameters with\n"
            "each closure: residuals of log L and v_ph by phase (early < 30 d, rise, peak +-10 d, fall, tail),\n"
            "peak day and luminosity differences. Writes DIR/residuals.csv, DIR/summary.csv, DIR/report.md,\n"
            "DIR/curves/<model>.csv and, with python3 + matplotlib, DIR/<model>.png and DIR/summary.png.\n\n"
            "  -o DIR              output folder (created)\n"
            "  --closures LIST     comma-separated: temperature,flux,none   [all three]\n"
            "  --fit               also the best-fit semi-analytic parameters per model and closure\n"
            "                      (GSL nonlinear least squares in log E, M, R0, M_Ni)\n"
            "  --fit-v-weight W    weight of log v_ph residuals in the fit     [1]\n"
            "  --kappa K --t-ion T --eth-fraction F --q-rec Q   physics settings [%g, %g, %g, %g]\n"
            "  --no-plots          tables only\n"
            "  --python PATH       the interpreter for the plots      [$SNFORGE_PYTHON or /usr/bin/python3]\n"
            "  --plot-script PATH  plot_compare.py (default: validation/plot_compare.py in $SNFORGE_DATA_DIR,\n"
            "                      the installed data folder, or the source tree)\n"
            "  -h, --help\n",
            ph.kappa_cm2_g, ph.t_ion_K, ph.eth_fraction, ph.q_rec_erg_g);
}

enum { OPT_CLOSURES = 256, OPT_FIT, OPT_FITW, OPT_KAPPA, OPT_TION, OPT_ETH, OPT_QREC, OPT_NOPLOTS, OPT_PYTHON, OPT_SCRIPT };

static const struct option snf_compare_opts[] = {
    {"closures", required_argument, 0, OPT_CLOSURES}, {"fit", no_argument, 0, OPT_FIT},
    {"fit-v-weight", required_argument, 0, OPT_FITW}, {"kappa", required_argument, 0, OPT_KAPPA},
    {"t-ion", required_argument, 0, OPT_TION},        {"eth-fraction", required_argument, 0, OPT_ETH},
    {"q-rec", required_argument, 0, OPT_QREC},        {"no-plots", no_argument, 0, OPT_NOPLOTS},
    {"python", required_argument, 0, OPT_PYTHON},     {"plot-script", required_argument, 0, OPT_SCRIPT},
    {"output", required_argument, 0, 'o'},            {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0}};

static int snf_parse_closures(const char *text, snf_valid_run_opts *o)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    o->n_closures = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (o->n_closures == 3) {
            SNF_ERROR(SNF_EINVAL, "--closures '%s': at most 3 closures", text);
        }
        SNF_CHECK(snf_closure_parse(tok, &o->closures[o->n_closures]));
        o->n_closures++;
    }
    if (o->n_closures == 0) {
        SNF_ERROR(SNF_EINVAL, "--closures '%s' is empty: expected e.g. temperature,flux,none", text);
    }
    return SNF_OK;
}

int snf_cmd_compare(int argc, char **argv)
{
    snf_valid_run_opts o = {.physics = snf_physics_default(),
                            .closures = {SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_FLUX, SNF_CLOSURE_NONE},
                            .n_closures = 3, .opts = snf_valid_opts_default()};
    const char *python = snf_resource_python(), *script = NULL;
    int plots = 1, rc = SNF_OK;
    snf_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", snf_compare_opts, NULL)) != -1) {
        const char *name = snf_cli_option_name(snf_compare_opts, c);
        switch (c) {
        case OPT_CLOSURES: rc = snf_parse_closures(optarg, &o); break;
        case OPT_FIT: o.fit = 1; break;
        case OPT_FITW: rc = snf_cli_parse_double(name, optarg, &o.opts.fit_v_weight); break;
        case OPT_KAPPA: rc = snf_cli_parse_physical(name, "kappa", optarg, &o.physics.kappa_cm2_g); break;
        case OPT_TION: rc = snf_cli_parse_physical(name, "t_ion", optarg, &o.physics.t_ion_K); break;
        case OPT_ETH: rc = snf_cli_parse_double(name, optarg, &o.physics.eth_fraction); break;
        case OPT_QREC: rc = snf_cli_parse_physical(name, "q_rec", optarg, &o.physics.q_rec_erg_g); break;
        case OPT_NOPLOTS: plots = 0; break;
        case OPT_PYTHON: python = optarg; break;
        case OPT_SCRIPT: script = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'h': snf_compare_usage(stdout); return 0;
        default: return snf_cli_bad_option(argv, "compare");
        }
        if (rc < 0) {
            return snf_cli_fail("compare", rc);
        }
    }
    if (optind != argc - 1 || !o.out_dir) {
        fprintf(stderr, "snforge compare: %s (see snforge compare --help)\n",
                optind >= argc ? "HYDRO.h5 is required" : optind < argc - 1 ? "only one HYDRO.h5 is expected" : "-o DIR is required");
        return 2;
    }
    if (!(o.opts.fit_v_weight >= 0)) {
        fprintf(stderr, "snforge compare: --fit-v-weight must be >= 0\n");
        return 2;
    }
    rc = snf_physics_check(&o.physics);
    if (rc < 0) {
        return snf_cli_fail("compare", rc);
    }
    o.hydro_path = argv[optind];
    if (access(o.hydro_path, R_OK) != 0) {
        fprintf(stderr, "snforge compare: %s:0: cannot read the file: expected a dataset from snforge import\n", o.hydro_path);
        return 2;
    }
    int n = 0, n_left = 0;
    o.n_left_out = &n_left;
    rc = snf_valid_compare_file(&o, &n);
    if (rc < 0) {
        return snf_cli_fail("compare", rc);
    }
    const char *plot_note = "no plots (--no-plots)";
    if (plots) {
        char buf[4200];
        const char *sc = script ? script : snf_resource_find("validation/plot_compare.py", buf, sizeof buf);
        if (!sc) {
            snf_resource_where("validation/plot_compare.py", buf, sizeof buf);
            fprintf(stderr, "snforge compare: %s (or use --plot-script): tables only\n", buf);
            plot_note = "no plots (script not found)";
        } else {
            const char *args[] = {o.out_dir, NULL};
            int code = snf_resource_run_python(python, sc, args);
            if (code == -1) {
                fprintf(stderr, "snforge compare: cannot run %s: no plots (tables written)\n", python);
                plot_note = "no plots (python missing)";
            } else if (code != 0) {
                fprintf(stderr, "snforge compare: %s %s failed (exit %d%s): no plots (tables written)\n", python, sc, code,
                        code == 3 ? ": matplotlib is missing" : "");
                plot_note = "no plots (plot script failed)";
            } else {
                plot_note = "PNGs written";
            }
        }
    }
    fprintf(stderr, "snforge compare: %d hydro models x %d closures%s -> %s (residuals.csv, summary.csv, report.md; %s)\n",
            n, o.n_closures, o.fit ? " with fits" : "", o.out_dir, plot_note);
    if (n_left > 0) {
        fprintf(stderr, "snforge compare: left out %d run%s marked failed in %s (no usable coverage or failed import; "
                "listed in report.md)\n", n_left, n_left == 1 ? "" : "s", o.hydro_path);
    }
    return 0;
}
