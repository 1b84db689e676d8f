/* cmd_keypoints.c: `snforge keypoints OBS.csv|DATA.h5`: what a light curve says by itself (keypoints.h):
 * peak, end of the dome, rise, 56Co tail and decline, v_ph at fixed days, and the classical estimates
 * (M_Ni from the tail with gamma-ray leakage and from Arnett's rule; E, M, R0 from Popov 1993), as CSV
 * (one row per curve) or JSON (one object per curve, one per line). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/models.h"

static void snf_kp_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge keypoints OBS.csv|DATA.h5 [--json] [-o FILE] [--kappa K] [--t-ion T] [--max-rows N]\n\n"
            "Key points of a bolometric light curve (an observation file, t_d,L_erg_s,L_err,vph_km_s,vph_err, or\n"
            "every row of a dataset file: semi-analytic or hydro) with 1-sigma errors, and the classical\n"
            "estimates they give:\n"
            "  t_peak_d, L_peak     parabola in log L around the maximum (rise time = peak day)\n"
            "  t_dome_end_d         steepest fall of log L after the peak (local +-5 d line fits)\n"
            "  L_tail, decline      straight line in log L over the tail (mag / 100 d): from max(25 d, 2 x (dome end\n"
            "                       - peak)) after the dome's end, or from 25 d after it when that leaves under 3 points\n"
            "  vph_15d ... vph_100d v_ph interpolated at days 15, 30, 50, 100 where measured within 10 d\n"
            "  nickel_from_tail     M_Ni from L = M_Ni S(t)(1 - exp(-T0^2/t^2)), S: Nadyozhin (1994), trapping\n"
            "                       time T0 fitted (Clocchiatti & Wheeler 1997); error from T0's profile\n"
            "  nickel_from_peak     Arnett's rule (Arnett 1982): L_peak = M_Ni S(t_peak)\n"
            "  energy/mass/radius_popov  Popov (1993) inverted with t_p = end of the dome, L_p = L_plateau (L at t_p/2),\n"
            "                       v = v_ph(30 d) as the scale velocity\n"
            "  t_cool_end_d         end of the cooling phase: the peak is searched after it (a shock-cooling\n"
            "                       spike is not a peak; a curve that only declines has none)\n"
            "  popov_outside, arnett_outside  why an estimate is empty: Popov for plateaus only (a dome rising\n"
            "                       2x or more is outside), Arnett's rule for a nickel-powered peak only\n"
            "An observation file of another shape than the SN 1987A-like dome these are tuned to is refused\n"
            "(exit 1 and why): no rise of 2x or more to the maximum (a plateau, SN II-P), L above half the\n"
            "maximum for under 20 days (a spike), the steepest fall after L fell below a quarter of the peak\n"
            "(no identifiable dome end), a tail of 1-4 points or under 20 days. A curve with no point 25 d or more\n"
            "after the dome's end has no tail: its nickel_from_tail is empty and a note says so. Dataset rows are not\n"
            "refused.\n"
            "options:\n"
            "  --json           one JSON object per curve and line (nickel_from_tail, nickel_from_tail_err, ...)\n"
            "  -o FILE          output file (default stdout)\n"
            "  --kappa K        opacity for the Popov estimates, cm^2/g   [0.34]\n"
            "  --t-ion T        recombination temperature for Popov, K    [5054]\n"
            "  --max-rows N     dataset files: the first N rows only      [all]\n"
            "  -h, --help\n"
            "Exit status: 0 success, 1 the work failed or the curve's shape is refused, 2 bad input (option,\n"
            "OBS.csv file:line, DATA.h5).\n");
}

static const char *const snf_kp_cols[] = {
    "t_peak_d", "t_peak_err", "L_peak", "L_peak_err", "rise_d", "rise_err", "t_dome_end_d", "t_dome_end_err",
    "t_tail_from_d", "t_tail_to_d", "n_tail", "L_tail", "L_tail_err", "t_tail_ref_d", "decline_mag_100d",
    "decline_err", "vph_15d", "vph_15d_err", "vph_30d", "vph_30d_err", "vph_50d", "vph_50d_err", "vph_100d",
    "vph_100d_err", "nickel_from_tail", "nickel_from_tail_err", "t0_gamma_d", "nickel_from_peak",
    "energy_popov_foe", "mass_popov_msun", "radius_popov_cm", "t_cool_end_d", "L_plateau"};
#define SNF_KP_NCOLS ((int)(sizeof snf_kp_cols / sizeof snf_kp_cols[0]))
/* Why the Popov / Arnett's-rule estimates are NaN (empty, null: in their domain; keypoints.h). */
static const char *const snf_kp_why_cols[2] = {"popov_outside", "arnett_outside"};

static void snf_kp_values(const snf_keypoints *k, double *v)
{
    const double a[] = {k->t_peak_d, k->t_peak_err, k->L_peak, k->L_peak_err, k->rise_d, k->rise_err,
                        k->t_dome_end_d, k->t_dome_end_err, k->t_tail_from_d, k->t_tail_to_d, (double)k->n_tail,
                        k->L_tail, k->L_tail_err, k->t_tail_ref_d, k->decline_mag_100d, k->decline_err,
                        k->vph[0], k->vph_err[0], k->vph[1], k->vph_err[1], k->vph[2], k->vph_err[2], k->vph[3],
                        k->vph_err[3], k->nickel_from_tail, k->nickel_from_tail_err, k->t0_gamma_d,
                        k->nickel_from_peak, k->energy_popov_foe, k->mass_popov_msun, k->radius_popov_cm,
                        k->t_cool_end_d, k->L_plateau};
    memcpy(v, a, sizeof a);
}

static void snf_kp_print(FILE *f, const char *curve, const snf_keypoints *k, int json)
{
    double v[SNF_KP_NCOLS];
    snf_kp_values(k, v);
    if (json) {
        fputs("{\"curve\": ", f);
        snf_json_string(f, curve);
        for (int c = 0; c < SNF_KP_NCOLS; c++) {
            fprintf(f, ", \"%s\": ", snf_kp_cols[c]);
            if (isfinite(v[c])) fprintf(f, "%.8g", v[c]);
            else fputs("null", f);
        }
        for (int c = 0; c < 2; c++) { /* the reasons contain no quote or backslash (keypoints.c) */
            const char *why = c ? k->arnett_out : k->popov_out;
            fprintf(f, ", \"%s\": ", snf_kp_why_cols[c]);
            if (why) fprintf(f, "\"%s\"", why);
            else fputs("null", f);
        }
        fputs("}\n", f);
        return;
    }
    snf_csv_field(f, curve);
    for (int c = 0; c < SNF_KP_NCOLS; c++) {
        fputc(',', f);
        if (isfinite(v[c])) fprintf(f, "%.8g", v[c]);
    }
    fprintf(f, ",%s,%s\n", k->popov_out ? k->popov_out : "", k->arnett_out ? k->arnett_out : "");
}

static void snf_kp_header(FILE *f, int json)
{
    if (json) return;
    fputs("# snforge keypoints: sources in include/snforge/models/keypoints.h (peak: parabola in log L; dome end: steepest\n"
          "# fall; tail M_Ni with gamma leakage: Nadyozhin 1994 rates, Clocchiatti & Wheeler 1997 trapping; Arnett 1982\n"
          "# rule, nickel-powered peaks only; E, M, R0: Popov 1993 inverted, coefficients as recalled, plateaus only;\n"
          "# outside its domain an estimate is empty and popov_outside / arnett_outside say why)\n"
          "curve", f);
    for (int c = 0; c < SNF_KP_NCOLS; c++) fprintf(f, ",%s", snf_kp_cols[c]);
    fprintf(f, ",%s,%s\n", snf_kp_why_cols[0], snf_kp_why_cols[1]);
}

static int snf_kp_h5(const char *path, FILE *out, int json, long max_rows, double kappa, double tion)
{
    snf_dataset *d = NULL;
    int rc = snf_dataset_open(&d, path, 0);
    if (rc < 0) return rc;
    long N;
    int P, T;
    snf_dataset_dims(d, &N, &P, &T);
    if (max_rows > 0 && max_rows < N) N = max_rows;
    double *t = malloc(sizeof(double) * T), *L = malloc(sizeof(double) * T), *v = malloc(sizeof(double) * T);
    float *lg = malloc(sizeof(float) * T), *vf = malloc(sizeof(float) * T);
    if (!t || !L || !v || !lg || !vf) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto done;
    }
    if ((rc = snf_dataset_read_time(d, t)) < 0) goto done;
    snf_kp_header(out, json);
    for (long r = 0; r < N; r++) {
        snf_dataset_rows rows = {.log_lbol = lg, .vph = vf};
        if ((rc = snf_dataset_read_rows(d, r, 1, &rows)) < 0) goto done;
        for (int k = 0; k < T; k++) {
            L[k] = isfinite(lg[k]) ? pow(10.0, lg[k]) : NAN;
            v[k] = isfinite(vf[k]) ? vf[k] : NAN;
        }
        snf_keypoints kp;
        snf_keypoints_compute(&kp, t, L, NULL, v, NULL, T, kappa, tion);
        char name[64];
        snprintf(name, sizeof name, "row%ld", r);
        snf_kp_print(out, name, &kp, json);
    }
done:
    free(t); free(L); free(v); free(lg); free(vf);
    snf_dataset_close(d);
    return rc;
}

/* The key points are tuned to SN 1987A-like curves: a dome (a broad maximum reached by a rise of 2x or more), its
 * end at the fall from it, a 56Co tail after that. An observed curve of another shape (a plateau of a SN II-P with
 * an early decline, whose noise made a "peak" of a point of the first days; late scatter taken for the dome's end)
 * got key points and nickel masses 2-4x off with confident errors. Returns NULL when the observation o has the
 * shape the key points k assume, else why not (in why[n]): then keypoints refuses the curve (exit 1) rather than
 * print numbers that look measured. A check applies only to what was found (a NaN key point is already said). */
static const char *snf_kp_shape(const snf_keypoints *k, const snf_obs *o, char *why, size_t n)
{
    const double *t = o->t_d, *L = o->L_erg_s;
    const long N = o->n;
    if (!isfinite(k->t_peak_d) || !isfinite(k->L_peak)) {
        return NULL;
    }
    double lo = INFINITY;
    long ip = -1; /* the point nearest the peak */
    for (long i = 0; i < N; i++) {
        if (!isfinite(L[i])) continue;
        if (t[i] < k->t_peak_d && L[i] < lo) lo = L[i];
        if (ip < 0 || fabs(t[i] - k->t_peak_d) < fabs(t[ip] - k->t_peak_d)) ip = i;
    }
    if (!(k->L_peak >= 2.0 * lo)) {
        snprintf(why, n, "not a dome: L rises %.2gx to its maximum (day %.1f; a SN 1987A-like dome rises 2x or more): "
                 "a plateau or a decline (SN II-P?); the peak, dome end, tail and nickel key points assume a dome",
                 isfinite(lo) ? k->L_peak / lo : 1.0, k->t_peak_d);
        return why;
    }
    long a = ip, b = ip; /* the stretch around the peak with L above half of it */
    while (a > 0 && !(isfinite(L[a - 1]) && L[a - 1] < 0.5 * k->L_peak)) a--;
    while (b < N - 1 && !(isfinite(L[b + 1]) && L[b + 1] < 0.5 * k->L_peak)) b++;
    if (t[b] - t[a] < 20.0) {
        snprintf(why, n, "not a dome: L stays above half its maximum (day %.1f) for %.1f days only (a SN 1987A-like "
                 "dome lasts 20 days or more): a spike or scatter, not a dome", k->t_peak_d, t[b] - t[a]);
        return why;
    }
    double t_quarter = NAN; /* the dome has fallen by then */
    for (long i = ip; i < N; i++) {
        if (t[i] > k->t_peak_d && isfinite(L[i]) && L[i] < 0.25 * k->L_peak) {
            t_quarter = t[i];
            break;
        }
    }
    if (isfinite(k->t_dome_end_d) && isfinite(t_quarter) && k->t_dome_end_d > t_quarter) {
        snprintf(why, n, "no identifiable end of the dome: the steepest fall after the peak is at day %.1f, after L fell "
                 "below a quarter of the peak (day %.1f): scatter, not the dome's end; the tail and nickel key points "
                 "depend on it", k->t_dome_end_d, t_quarter);
        return why;
    }
    /* one rule for the tail: none at all is no nickel (said by snf_kp_note), 1-4 points or under 20 days refused */
    if (k->n_tail >= 1 && isfinite(k->t_tail_from_d) && (k->n_tail < 5 || k->t_tail_to_d - k->t_tail_from_d < 20.0)) {
        snprintf(why, n, "too few tail points: %d over days %.1f-%.1f (the 56Co tail's nickel needs 5 or more over 20 "
                 "days or more)", k->n_tail, k->t_tail_from_d, k->t_tail_to_d);
        return why;
    }
    if (k->n_tail >= 1 && !isfinite(k->t_tail_from_d)) {
        snprintf(why, n, "too few tail points: %d at 25 d or more after the dome's end (day %.1f) (the 56Co tail's nickel "
                 "needs 5 or more over 20 days or more)", k->n_tail, k->t_dome_end_d);
        return why;
    }
    return NULL;
}

/* --kappa / --t-ion: a finite number > 0 in a plausible range (unit hints: snf_param_plausible); 2 with the
 * message printed, 0 if good. */
static int snf_kp_physical(const char *opt, const char *key, const char *text, double *out)
{
    if (snf_cli_parse_physical(opt, key, text, out) < 0) {
        fprintf(stderr, "snforge keypoints: %s\n", snf_error_last_message());
        return 2;
    }
    if (!(*out > 0)) {
        fprintf(stderr, "snforge keypoints: %s '%s' is invalid: expected a finite number > 0\n", opt, text);
        return 2;
    }
    return 0;
}

int snf_cmd_keypoints(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"output", required_argument, NULL, 'o'},
        {"kappa", required_argument, NULL, 'k'}, {"t-ion", required_argument, NULL, 'T'},
        {"max-rows", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int json = 0;
    long max_rows = 0;
    double kappa = 0.34, tion = 5054;
    const char *outp = NULL;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1;) {
        int rc = 0;
        switch (ch) {
        case 'j': json = 1; break;
        case 'o': outp = optarg; break;
        case 'k': rc = snf_kp_physical("--kappa", "kappa", optarg, &kappa); break;
        case 'T': rc = snf_kp_physical("--t-ion", "t_ion", optarg, &tion); break;
        case 'm': rc = snf_cli_parse_long("keypoints", "--max-rows", optarg, 1, 1000000000L, &max_rows); break;
        case 'h': snf_kp_usage(stdout); return 0;
        default: return snf_cli_bad_option(argv, "keypoints");
        }
        if (rc) {
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snforge keypoints: expected one light curve, OBS.csv or DATA.h5 (see snforge keypoints --help)\n");
        return 2;
    }
    const char *in = argv[optind];
    FILE *out = stdout;
    snf_output owner = {.lock = -1}; /* -o FILE: locked for the run, written as FILE.tmp, renamed when complete */
    if (outp && snf_cli_check_output("keypoints", outp) != 0) {
        return 2;
    }
    if (outp) {
        int orc = snf_output_begin(&owner, outp, 0);
        out = orc < 0 ? NULL : snf_output_open_file(&owner, "keypoints");
        if (!out) {
            snf_output_end(&owner);
            return snf_cli_fail("keypoints", orc < 0 ? orc : SNF_EIO);
        }
    }
    int rc;
    if (snf_cli_has_suffix(in, ".h5")) {
        rc = snf_kp_h5(in, out, json, max_rows, kappa, tion);
    } else {
        snf_obs o;
        rc = snf_obs_read(&o, in);
        if (rc >= 0) {
            snf_keypoints kp;
            char shape[400];
            if (o.n > 2147483647L || snf_keypoints_compute(&kp, o.t_d, o.L_erg_s, o.L_err, o.vph_km_s, o.vph_err,
                                                            (int)o.n, kappa, tion) < 0) {
                rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                      "%s: fewer than 3 luminosities: no key points", in);
            } else if (snf_kp_shape(&kp, &o, shape, sizeof shape)) {
                rc = snf_error_report(SNF_ENOTIMPL, __FILE__, __LINE__, __func__, "%s: %s", in, shape); /* exit 1 */
            } else {
                if (isfinite(kp.t_dome_end_d) && kp.n_tail == 0) { /* no tail at all: no nickel, said */
                    fprintf(stderr, "snforge keypoints: note: %s: no 56Co tail (no luminosity 25 d or more after the "
                                    "dome's end, day %.1f): nickel_from_tail and the tail's key points are empty\n",
                            in, kp.t_dome_end_d);
                }
                snf_kp_header(out, json);
                const char *base = strrchr(in, '/');
                snf_kp_print(out, base ? base + 1 : in, &kp, json);
            }
            snf_obs_free(&o);
        }
    }
    if (outp) {
        int wc = snf_output_close_file(&owner, out, "keypoints");
        if (wc >= 0 && rc >= 0) {
            wc = snf_output_commit(&owner);
        }
        snf_output_end(&owner); /* a failed run leaves no FILE.tmp and the earlier FILE untouched */
        if (rc >= 0 && wc < 0) {
            rc = wc;
        }
    }
    return rc < 0 ? snf_cli_fail("keypoints", rc) : 0;
}
