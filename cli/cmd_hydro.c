/* cmd_hydro.c: `snforge hydro PARAMETERS [-o OUT.csv|OUT.h5] [--zones N]`: one radiation-hydrodynamics run
 * from a SNEC 1.01 parameter file and its profile pair; daily CSV, or a one-row dataset file laid out as
 * `snforge import` writes hydro runs (source "hydro:snforge", params energy/mass/radius/nickel as the import
 * index has them, /log_lbol, /vph, /derived from the same peak finder) plus the extra series /series/vfe,
 * /series/teff, /series/rph, /series/log_ldep; wall time, steps and the energy-conservation error on stderr. The
 * opacity tables and the grid pattern are found like the program's other data. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/rhd.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: snforge hydro PARAMETERS [-o OUT.csv|OUT.h5] [--zones N] [--dtmax S] [--theta X]\n"
               "One radiation-hydrodynamics light curve with SNEC 1.01's physics from SNEC's parameter file\n"
               "(profile paths relative to it). CSV columns t_d,L_erg_s,vph_km_s,vfe_km_s,Teff_K,Rph_cm,Ldep_erg_s,\n"
               "one row a day from day 1: L as SNEC's lum_observed, the fluid velocity, T_eff and radius at the\n"
               "tau = 2/3 photosphere, the deposited decay power; vfe_km_s is the Fe II 5169 velocity (the absorption\n"
               "minimum of its LTE Sobolev P-Cygni profile; empty where the line does not form).\n"
               "  -o FILE      output .csv (default: stdout), or .h5: a one-row dataset as `snforge import` writes\n"
               "               (source hydro:snforge; energy = final_energy, mass = ejecta, radius = the profile's,\n"
               "               nickel = Ni_mass) with the series vfe, teff, rph, log_ldep under /series\n"
               "  --zones N    grid points instead of the file's imax (GridPattern.dat resampled)\n"
               "  --dtmax S    longest time step [s] instead of the file's dtmax (SNEC's 1000 s forces >= 21,600\n"
               "               steps over 250 days)\n"
               "  --theta X    time centring of the implicit diffusion, 0.5 (Crank-Nicolson, SNEC's; default) ... 1\n"
               "               (backward Euler); 0.7 keeps long steps (--dtmax 50000) free of ringing\n");
}

typedef struct out_ctx {
    const snf_rhd_result *r;
} out_ctx;

static int write_csv(const void *ctx, FILE *f, int arg)
{
    (void)arg;
    const snf_rhd_result *r = ((const out_ctx *)ctx)->r;
    fprintf(f, "t_d,L_erg_s,vph_km_s,vfe_km_s,Teff_K,Rph_cm,Ldep_erg_s\n");
    for (int k = 0; k < r->ndays; k++) {
        fprintf(f, "%g,%.6e,%.3f,", r->t_d[k], r->L[k], r->vph[k] * 1e-5);
        if (isfinite(r->vfe[k])) {
            fprintf(f, "%.3f", r->vfe[k] * 1e-5);
        }
        fprintf(f, ",%.2f,%.6e,%.6e\n", r->Teff[k], r->Rph[k], r->Ldep[k]);
    }
    return ferror(f) ? SNF_EIO : SNF_OK;
}

/* One-row dataset file through the output owner (PATH.lock, PATH.tmp, rename when complete). */
static int write_h5(const char *path, const snf_rhd_result *r, const snf_rhd_params *par, const snf_rhd_profile *prf,
                    const char *config)
{
    int T = r->ndays, rc = SNF_OK;
    if (T < 1) {
        SNF_ERROR(SNF_EINVAL, "%s: the run has no daily output (tend below one day)", path);
    }
    const char *names[4], *units[4];
    for (int k = 0; k < 4; k++) {
        names[k] = snf_axis_name((snf_axis_target)k);
        units[k] = snf_axis_units((snf_axis_target)k);
    }
    double m_excised = par->mass_excision ? par->mass_excised * SNF_RHD_MSUN : prf->mass[0];
    double params[4] = {par->final_energy / 1e51, (prf->mass[prf->n - 1] - m_excised) / SNF_RHD_MSUN,
                        prf->r[prf->n - 1], par->Ni_mass};
    snf_dataset_meta meta = {.source = "hydro:snforge", .param_names = names, .param_units = units,
                             .config_text = config, .sampler = "single", .seed = 0, .deflate = 4, .chunk_rows = 1};
    float *buf = malloc((size_t)T * 6 * sizeof *buf);
    if (!buf) {
        SNF_ERROR(SNF_ENOMEM, "rows of %d days", T);
    }
    float *lg = buf, *vp = buf + T, *fe = buf + 2 * T, *te = buf + 3 * T, *rp = buf + 4 * T, *ld = buf + 5 * T;
    int kmin = snf_rhd_vph_last_day(r); /* v_ph NaN after it, as `snforge import` and hydro campaigns */
    for (int k = 0; k < T; k++) {
        lg[k] = r->L[k] > 0 ? (float)log10(r->L[k]) : NAN;
        vp[k] = k <= kmin && r->vph[k] > 0 ? (float)(r->vph[k] * 1e-5) : NAN;
        fe[k] = (float)(r->vfe[k] * 1e-5);
        te[k] = (float)r->Teff[k];
        rp[k] = (float)r->Rph[k];
        ld[k] = r->Ldep[k] > 0 ? (float)log10(r->Ldep[k]) : NAN; /* erg/s overflows float32: log10, as campaigns */
    }
    snf_lc_derived der;
    snf_hydro_peak(&der, r->t_d, lg, T, 10.0);
    int status = 0;
    char msg[SNF_DATASET_MSG_LEN] = "";
    snprintf(msg, sizeof msg, "%.*s", (int)sizeof msg - 1, config);
    snf_output o;
    snf_dataset *d = NULL;
    char tmp[4200];
    if ((rc = snf_output_begin(&o, path, 0)) < 0) {
        free(buf);
        return rc;
    }
    FILE *f = snf_output_open_file(&o, "file"); /* stages PATH.tmp: removed by snf_output_end unless committed */
    if (!f || (rc = snf_output_close_file(&o, f, "file")) < 0) {
        rc = rc < 0 ? rc : SNF_EIO;
        goto done;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", o.path);
    if ((rc = snf_dataset_create(&d, tmp, &meta, 1, 4, T, r->t_d)) < 0) {
        goto done;
    }
    snf_dataset_rows rows = {.params = params, .log_lbol = lg, .vph = vp, .status = &status, .msg = msg,
                             .derived = &der};
    if ((rc = snf_dataset_write_block(d, 0, 1, &rows)) < 0 ||
        (rc = snf_dataset_write_series(d, "vfe", "km/s", "Fe II 5169 velocity: the absorption minimum of its LTE "
                                       "Sobolev P-Cygni profile; NaN where the line does not form", fe)) < 0 ||
        (rc = snf_dataset_write_series(d, "teff", "K", "effective temperature at the tau = 2/3 photosphere", te)) < 0 ||
        (rc = snf_dataset_write_series(d, "rph", "cm", "radius of the tau = 2/3 photosphere", rp)) < 0 ||
        (rc = snf_dataset_write_series(d, "log_ldep", "log10(erg/s)", "log10 of the deposited 56Ni + 56Co decay power "
                                       "(erg/s overflows float32)", ld)) < 0 ||
        (rc = snf_dataset_mark_complete(d)) < 0) {
        goto done;
    }
    rc = snf_dataset_close(d);
    d = NULL;
    if (rc >= 0) {
        rc = snf_output_commit(&o);
    }
done:
    if (d) {
        snf_dataset_close(d);
    }
    snf_output_end(&o);
    free(buf);
    return rc;
}

/* The data file REL (rhd/tables/...) or a message and NULL. */
static const char *find_table(const char *rel, char *buf, size_t n)
{
    if (snf_resource_find(rel, buf, n)) {
        return buf;
    }
    char where[1024];
    snf_resource_where(rel, where, sizeof where);
    fprintf(stderr, "snforge hydro: %s\n", where);
    return NULL;
}

/* The command's options (0: the parameter file's value). */
typedef struct hydro_cli {
    const char *out;
    long zones;
    double dtmax, theta;
} hydro_cli;

/* Parses the options and operand into o: -1 to go on, else the exit code (0 after --help, 2 for bad input). */
static int parse_options(int argc, char **argv, hydro_cli *o)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"zones", required_argument, NULL, 'z'},
        {"dtmax", required_argument, NULL, 'd'}, {"theta", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *out = NULL;
    long zones = 0;
    double dtmax = 0.0, theta = 0.0;
    int c;
    snf_cli_getopt_start();
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o') {
            out = optarg;
        } else if (c == 'z') {
            if (snf_cli_parse_long("hydro", "--zones", optarg, 10, 100000, &zones) != 0) {
                return 2;
            }
        } else if (c == 'd') {
            if (snf_cli_parse_double("--dtmax", optarg, &dtmax) != 0 || !(dtmax > 0)) {
                fprintf(stderr, "snforge hydro: --dtmax expects a time step in seconds > 0, got '%s'\n", optarg);
                return 2;
            }
        } else if (c == 't') {
            if (snf_cli_parse_double("--theta", optarg, &theta) != 0 || !(theta >= 0.5 && theta <= 1.0)) {
                fprintf(stderr, "snforge hydro: --theta expects a number in [0.5, 1], got '%s'\n", optarg);
                return 2;
            }
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            return snf_cli_unknown_option(argv, "hydro");
        }
    }
    if (snf_cli_expect_operands("hydro", argc, 1, "one SNEC parameter file") != 0) {
        return 2;
    }
    if (out && !snf_cli_has_suffix(out, ".csv") && !snf_cli_has_suffix(out, ".h5")) {
        fprintf(stderr, "snforge hydro: -o %s: expected a .csv or .h5 file name\n", out);
        return 2;
    }
    *o = (hydro_cli){out, zones, dtmax, theta};
    return -1;
}

/* The result into out (.h5: a one-row dataset; .csv; NULL: stdout). */
static int write_result(const char *out, const char *param_file, const snf_rhd_result *res, const snf_rhd_params *par,
                        const snf_rhd_profile *prf)
{
    out_ctx ctx = {res};
    if (out && snf_cli_has_suffix(out, ".h5")) {
        char config[4096];
        int n = snprintf(config, sizeof config, "snforge hydro %s --zones %d --dtmax %.17g --theta %.17g", param_file,
                         par->imax, par->dtmax, par->theta);
        return n < (int)sizeof config ? write_h5(out, res, par, prf, config)
                                      : snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                                         "parameter file path too long");
    }
    if (out) {
        return snf_cli_write_file_atomic(out, write_csv, &ctx, 0);
    }
    return write_csv(&ctx, stdout, 0);
}

int snf_cmd_hydro(int argc, char **argv)
{
    hydro_cli o = {NULL, 0, 0.0, 0.0};
    int code = parse_options(argc, argv, &o);
    if (code >= 0) {
        return code;
    }
    const char *out = o.out;
    const long zones = o.zones;
    const double dtmax = o.dtmax, theta = o.theta;
    char prof[4096], comp[4096], opal_file[4096], pat_file[4096], dir[4096];
    snf_rhd_params par;
    int rc = snf_rhd_read_params(argv[optind], &par, prof, comp, sizeof prof);
    if (rc != SNF_OK) {
        return snf_cli_fail("hydro", rc);
    }
    if (zones > 0) {
        par.imax = (int)zones;
    }
    if (dtmax > 0) {
        par.dtmax = dtmax;
    }
    if (theta > 0) {
        par.theta = theta;
    }
    if (out) { /* a held, missing or read-only output is refused before the run, not after it */
        snf_output probe;
        if ((rc = snf_output_begin(&probe, out, 0)) < 0) {
            return snf_cli_fail("hydro", rc);
        }
        snf_output_end(&probe);
    }
    if (!find_table("rhd/tables/codataa", opal_file, sizeof opal_file) ||
        !find_table("rhd/tables/GridPattern.dat", pat_file, sizeof pat_file)) {
        return 1;
    }
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(opal_file, '/') - opal_file), opal_file);
    snf_rhd_profile prf;
    snf_rhd_opal *opal = malloc(sizeof *opal);
    double *pattern = NULL;
    int npat = 0;
    if (!opal) {
        return snf_cli_fail("hydro", SNF_ENOMEM);
    }
    memset(&prf, 0, sizeof prf);
    snf_rhd_result res;
    memset(&res, 0, sizeof res);
    double t0 = 0, t1 = 0;
    if ((rc = snf_rhd_read_profile(prof, comp, &prf)) != SNF_OK || (rc = snf_rhd_read_opal(dir, opal)) != SNF_OK ||
        (rc = snf_rhd_read_pattern(pat_file, &pattern, &npat)) != SNF_OK) {
        goto done;
    }
    t0 = snf_clock_s();
    rc = snf_rhd_run(&res, &par, &prf, opal, par.gridding == SNF_RHD_GRID_FILE ? pattern : NULL, npat);
    t1 = snf_clock_s();
    if (rc == SNF_OK) {
        rc = write_result(out, argv[optind], &res, &par, &prf);
        fprintf(stderr, "snforge hydro: %d zones, %.2f s wall, %ld steps (%ld temperature iterations), energy-conservation error %.2e of the "
                        "energy put in (bomb or piston)\n", par.imax, t1 - t0,
                res.steps, res.iterations, res.e_err);
    }
done:
    snf_rhd_result_free(&res);
    snf_rhd_profile_free(&prf);
    free(pattern);
    free(opal);
    return rc == SNF_OK ? 0 : snf_cli_fail("hydro", rc);
}
