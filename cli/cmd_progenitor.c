/* cmd_progenitor.c: `snforge progenitor --mass M --radius R0 [knobs] -o PREFIX` builds a toy blue-supergiant
 * progenitor (progenitor.h) and writes SNEC's profile pair PREFIX.short / PREFIX.iso.dat; `snforge progenitor
 * --from-profile FILE -o PREFIX` converts a MESA / KEPLER-style column table into the same pair. The options
 * and their ranges come from the builder's table (snf_prog_knobs), so usage and checks never disagree. */
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/grids.h"
#include "snforge/rhd.h"
#include "snforge/core.h"

enum { OPT_OUT = 'o', OPT_HELP = 'h', OPT_FROM = 1000, OPT_KNOB = 2000 };

static void usage(FILE *f)
{
    int nk;
    const snf_prog_knob *k = snf_prog_knobs(&nk);
    fprintf(f, "usage: snforge progenitor --mass M --radius R0 [options] -o PREFIX\n"
               "       snforge progenitor --from-profile FILE -o PREFIX\n"
               "A hydrostatic toy blue supergiant (three nested polytropes: H envelope, He layer, C/O core over a\n"
               "central point mass; T from ideal gas + radiation with Saha H/He), written as SNEC's profile pair\n"
               "PREFIX.short and PREFIX.iso.dat (both or neither). The defaults reproduce\n"
               "../shared/hydro/tools/make_bsg_profile.py. --from-profile converts a MESA/KEPLER-style table (columns\n"
               "found by name: mass, radius, rho, temperature, velocity, h1, he4, c12, o16, ...) instead.\n"
               "  -o PREFIX             output prefix (required)\n"
               "  --from-profile FILE   convert FILE instead of building\n"
               "  --help                this text\n"
               "Builder options (X a number; the range is checked, exit 2 outside it):\n");
    for (int i = 0; i < nk; i++) {
        fprintf(f, "  %-14s X   %s; [%g, %g]\n", k[i].option, k[i].what, k[i].lo, k[i].hi);
    }
}

int snf_cmd_progenitor(int argc, char **argv)
{
    int nk;
    const snf_prog_knob *k = snf_prog_knobs(&nk);
    struct option opts[64];
    int no = 0;
    opts[no++] = (struct option){"output", required_argument, NULL, OPT_OUT};
    opts[no++] = (struct option){"help", no_argument, NULL, OPT_HELP};
    opts[no++] = (struct option){"from-profile", required_argument, NULL, OPT_FROM};
    for (int i = 0; i < nk && no < 62; i++) {
        opts[no++] = (struct option){k[i].option + 2, required_argument, NULL, OPT_KNOB + i};
    }
    opts[no] = (struct option){NULL, 0, NULL, 0};
    snf_prog_params p = snf_prog_default();
    const char *out = NULL, *from = NULL;
    int c, nknob = 0;
    snf_cli_getopt_start();
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == OPT_OUT) {
            out = optarg;
        } else if (c == OPT_HELP) {
            usage(stdout);
            return 0;
        } else if (c == OPT_FROM) {
            from = optarg;
        } else if (c >= OPT_KNOB && c < OPT_KNOB + nk) {
            const snf_prog_knob *q = &k[c - OPT_KNOB];
            double v;
            if (snf_cli_parse_double(q->option, optarg, &v) != SNF_OK) {
                return snf_cli_fail("progenitor", SNF_EINVAL);
            }
            *(double *)((char *)&p + q->offset) = v;
            nknob++;
        } else {
            return snf_cli_unknown_option(argv, "progenitor");
        }
    }
    if (snf_cli_expect_operands("progenitor", argc, 0, "no operands (options only)") != 0) {
        return 2;
    }
    if (!out) {
        fprintf(stderr, "snforge progenitor: -o PREFIX is required (writes PREFIX.short and PREFIX.iso.dat)\n");
        return 2;
    }
    if (from && nknob > 0) {
        fprintf(stderr, "snforge progenitor: --from-profile converts a file: the builder's options do not apply\n");
        return 2;
    }
    snf_rhd_profile prof;
    snf_prog_info info;
    int rc = from ? snf_profile_read_columns(from, &prof) : snf_prog_build(&p, &prof, &info);
    if (rc != SNF_OK) {
        return snf_cli_fail("progenitor", rc);
    }
    rc = snf_profile_write_snec(out, &prof);
    if (rc == SNF_OK) {
        if (from) {
            fprintf(stderr, "snforge progenitor: %s: %d zones, %.4g Msun, R = %.4e cm -> %s.short, %s.iso.dat\n", from,
                    prof.n, prof.mass[prof.n - 1] / 1.989e33, prof.r[prof.n - 1], out, out);
        } else {
            fprintf(stderr,
                    "snforge progenitor: %d zones, M = %.6g Msun, R0 = %.6e cm (T_surf %.0f K), M_He %.4g, M_CO %.4g Msun, "
                    "R_s = %.6e cm, K_env = %.6e, H/He jump %.6g, %d surface iterations -> %s.short, %s.iso.dat\n",
                    prof.n, info.M / 1.989e33, info.R0, info.T_surf, info.M_He, info.M_CO, info.R_s, info.K_env,
                    info.f_jump, info.iterations, out, out);
        }
    }
    snf_rhd_profile_free(&prof);
    return rc == SNF_OK ? 0 : snf_cli_fail("progenitor", rc);
}
