/* cmd_predict.c: `snforge predict MODEL.h5 OBS.csv`: the four parameters of one observed supernova.
 * The observation file (interfaces.md) is interpolated onto the model's grid (linear in log L and in
 * v_ph, NaN outside each series' coverage, then the model's NaN policy); a series the model was trained
 * on must be present in the file. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/data.h"
#include "snforge/nn.h"
#include "snforge/status.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

static void snf_predict_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge predict MODEL.h5 OBS.csv [--threads N] [--digits N]\n\n"
            "Predicts energy (foe), mass (Msun), radius (cm) and nickel (Msun) with a model written by\n"
            "snforge train, from an observation file: CSV with the header t_d,L_erg_s,L_err,vph_km_s,vph_err\n"
            "('#' comment lines before it), empty fields for missing values, irregular sampling allowed.\n"
            "Each series is interpolated linearly (log L, v_ph) onto the model's grid between its first and\n"
            "last points; outside, samples are missing (filled with the training mean, mask 0). A model\n"
            "trained on luminosity alone accepts a file without velocities; one trained on velocities needs them.\n\n"
            "options:\n"
            "  -t, --threads N   OpenMP threads\n"
            "      --digits N    significant digits printed (1-17, default 4)\n"
            "  -h, --help        this text\n\n"
            "Output: one line per parameter on stdout ('energy 1.52 foe'); coverage summary on stderr.\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, MODEL.h5, OBS.csv file:line).\n");
}

static int snf_count_finite(const float *v, int L)
{
    int n = 0;
    for (int j = 0; j < L; j++) {
        n += isfinite(v[j]) ? 1 : 0;
    }
    return n;
}

/* ---- the subcommand ---- */

int snf_cmd_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'}, {"digits", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int threads = 0, digits = 4;
    optind = 1;
    opterr = 0;
    for (;;) {
        int ch = getopt_long(argc, argv, "t:h", opts, NULL);
        if (ch == -1) {
            break;
        }
        switch (ch) {
        case 't': {
            long v;
            if (snf_cli_parse_long("predict", "--threads", optarg, 1, 4096, &v) != 0) {
                return 2;
            }
            threads = (int)v;
            break;
        }
        case 'd': {
            long v;
            if (snf_cli_parse_long("predict", "--digits", optarg, 1, 17, &v) != 0) {
                return 2;
            }
            digits = (int)v;
            break;
        }
        case 'h': snf_predict_usage(stdout); return 0;
        default: return snf_cli_unknown_option(argv, "predict");
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "snforge predict: expected MODEL.h5 OBS.csv, got %d arguments (see snforge predict --help)\n",
                argc - optind);
        return 2;
    }
    const char *mpath = argv[optind], *opath = argv[optind + 1];
    snf_threads_setup(threads);
    snf_ckpt ck;
    snf_obs obs;
    memset(&obs, 0, sizeof obs);
    snf_it *net = NULL;
    float *lg = NULL, *vg = NULL, *x = NULL;
    int code = 0;
    int rc = snf_ckpt_read(&ck, mpath);
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        return snf_status_exit_code(rc);
    }
    rc = snf_obs_read(&obs, opath);
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        code = snf_status_exit_code(rc);
        goto cleanup;
    }
    const snf_data_spec *s = &ck.spec;
    if ((s->channels & SNF_CH_VPH) && obs.n_v == 0) {
        fprintf(stderr, "snforge predict: %s has no vph_km_s values, but %s was trained on %s (luminosity and "
                        "velocity): give velocities, or use a model trained with channels = luminosity\n",
                opath, mpath, s->channels == SNF_CH_BOTH ? "both series" : "velocity");
        code = 2;
        goto cleanup;
    }
    if ((s->channels & SNF_CH_LBOL) && obs.n_L == 0) {
        fprintf(stderr, "snforge predict: %s has no L_erg_s values, but %s was trained on the luminosity: give "
                        "luminosities, or use a model trained with channels = velocity\n", opath, mpath);
        code = 2;
        goto cleanup;
    }
    const int L = s->L;
    lg = malloc((size_t)L * sizeof *lg);
    vg = malloc((size_t)L * sizeof *vg);
    x = malloc((size_t)snf_data_spec_cin(s) * L * sizeof *x);
    if (!lg || !vg || !x) {
        fprintf(stderr, "snforge predict: out of memory\n");
        code = 1;
        goto cleanup;
    }
    snf_obs_resample(&obs, s, lg, vg);
    int cl = snf_count_finite(lg, L), cv = snf_count_finite(vg, L);
    if (((s->channels & SNF_CH_LBOL) && cl == 0) || ((s->channels & SNF_CH_VPH) && cv == 0)) {
        fprintf(stderr, "snforge predict: %s does not overlap the model's grid (days %g-%g) in %s\n", opath,
                s->t_start_d, s->t_end_d, cl == 0 ? "L_erg_s" : "vph_km_s");
        code = 2;
        goto cleanup;
    }
    snf_data_encode(x, (s->channels & SNF_CH_LBOL) ? lg : NULL, (s->channels & SNF_CH_VPH) ? vg : NULL, s, &ck.norm);
    rc = snf_ckpt_net(&ck, 1, &net);
    double p[SNF_DATA_NP];
    if (rc >= 0) {
        rc = snf_predict(net, &ck.norm, x, 1, p);
    }
    if (rc < 0) {
        fprintf(stderr, "snforge predict: %s\n", snf_error_last_message());
        code = 1;
        goto cleanup;
    }
    printf("energy %.*g foe\nmass %.*g Msun\nradius %.*g cm\nnickel %.*g Msun\n", digits, p[0], digits, p[1], digits,
           p[2], digits, p[3]);
    fprintf(stderr, "snforge predict: %s with %s: %ld rows (%ld L, %ld v_ph); model grid days %g-%g x %d covered "
                    "%d (L) and %d (v_ph) samples%s\n", opath, mpath, obs.n, obs.n_L, obs.n_v, s->t_start_d,
            s->t_end_d, L, (s->channels & SNF_CH_LBOL) ? cl : 0, (s->channels & SNF_CH_VPH) ? cv : 0,
            (s->channels & SNF_CH_VPH) ? "" : " (velocities not used: the model was trained on luminosity alone)");
cleanup:
    snf_it_free(net);
    free(lg);
    free(vg);
    free(x);
    snf_obs_free(&obs);
    snf_ckpt_free(&ck);
    return code;
}
