/* cmd_simulate.c: `snforge simulate`: one model to CSV or a one-row dataset file; and the table of
 * the SN 1987A-like default under each closure that `snforge run` opens with. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "snforge/models.h"
#include "snforge/core.h"

static void snf_simulate_usage(FILE *f)
{
    snf_sn_params p = snf_sn_params_default();
    snf_physics ph = snf_physics_default();
    fprintf(f,
            "usage: snforge simulate [options] [-o FILE.csv|FILE.h5]\n"
            "One semi-analytic 87A-like model. Without -o, CSV goes to stdout with the header\n"
            "t_d,L_erg_s,vph_km_s (v_ph is empty once the recombination front is gone).\n\n"
            "parameters (defaults: SN 1987A, Arnett 1996 Table 13.2):\n"
            "  --energy E        explosion energy, foe (1e51 erg)          [%g]\n"
            "  --mass M          ejected mass, Msun                        [%g]\n"
            "  --radius R        progenitor radius, cm                     [%g]\n"
            "  --nickel N        56Ni mass, Msun                           [%g]\n"
            "model and time grid:\n"
            "  --model NAME      front closure: temperature, flux or none  [%s]\n"
            "  --t-max D         last day                                  [300]\n"
            "  --dt D            output step, days                         [1]\n"
            "physics settings (README.md gives the sources):\n"
            "  --kappa K         opacity of the ionized ejecta, cm^2/g     [%g]\n"
            "  --t-ion T         recombination temperature, K              [%g]\n"
            "  --q-rec Q         recombination energy, erg/g               [%g]\n"
            "  --eth-fraction F  thermal share of E                        [%g]\n"
            "  --beta B          Arnett's diffusion constant (t_d0 = kappa M / (beta c R0)) [%.6g]\n"
            "nuclear data (56Ni -> 56Co -> 56Fe):\n"
            "  --heating NAME    nadyozhin or bateman                      [nadyozhin]\n"
            "  --eps-ni E        56Ni decay energy rate, erg/g/s           [%g]\n"
            "  --eps-co E        56Co decay energy rate, erg/g/s           [%g]\n"
            "                    (gammas only if --eps-pos > 0)\n"
            "  --eps-pos E       56Co positron share, deposited locally, erg/g/s [%g]\n"
            "  --tau-ni D        56Ni mean life, days                      [%g]\n"
            "  --tau-co D        56Co mean life, days                      [%g]\n"
            "gamma-ray leakage:\n"
            "  --gamma NAME      heating, luminosity, off or colgate                [heating]\n"
            "                    (f_dep on the heating; on L as LC2; full trapping; Colgate et al. 1980 as snlc)\n"
            "  --kappa-gamma K   gamma-ray opacity, cm^2/g                 [%g]\n"
            "  --a-gamma A       trapping constant A_g, days^2 (0 = from kappa-gamma) [0]\n"
            "front and numerics:\n"
            "  --x-floor X       LC2's front floor (0 = none)              [0]\n"
            "  --x-end X         front gone below this                     [%g]\n"
            "  --rtol R          CVODE relative tolerance                  [%g]\n"
            "  --atol-phi A      CVODE absolute tolerance on phi           [%g]\n"
            "  --atol-w A        CVODE absolute tolerance on 1 - x_i       [%g]\n"
            "  --max-steps N     CVODE step limit per model                [%ld]\n"
            "output:\n"
            "  -o FILE           .csv or .h5 (layout: cli/interfaces.md)\n"
            "  --diagnostics     CSV: add L_rec_erg_s,x_i,phi columns\n"
            "  -h, --help\n",
            p.energy_foe, p.mass_msun, p.radius_cm, p.nickel_msun, snf_closure_name(ph.closure),
            ph.kappa_cm2_g, ph.t_ion_K, ph.q_rec_erg_g, ph.eth_fraction, ph.beta, ph.eps_ni_erg_g_s,
            ph.eps_co_erg_g_s, ph.eps_pos_erg_g_s, ph.tau_ni_d, ph.tau_co_d, ph.kappa_gamma_cm2_g, ph.x_end,
            ph.rtol, ph.atol_phi, ph.atol_w, ph.max_steps);
}

enum { OPT_ENERGY = 256, OPT_MASS, OPT_RADIUS, OPT_NICKEL, OPT_TMAX, OPT_DT, OPT_DIAG, OPT_PHYS };

/* The options: the four parameters, the time grid and outputs, then one per physics key of model.h's
 * table (OPT_PHYS + its index), so every [physics] key of a campaign is an option here. */
enum { SNF_SIM_FIXED = 9, SNF_SIM_MAX_OPTS = SNF_SIM_FIXED + 40 };
static void snf_simulate_options(struct option *o)
{
    static const struct option fixed[SNF_SIM_FIXED] = {
        {"energy", required_argument, 0, OPT_ENERGY}, {"mass", required_argument, 0, OPT_MASS},
        {"radius", required_argument, 0, OPT_RADIUS}, {"nickel", required_argument, 0, OPT_NICKEL},
        {"t-max", required_argument, 0, OPT_TMAX},    {"dt", required_argument, 0, OPT_DT},
        {"diagnostics", no_argument, 0, OPT_DIAG},    {"output", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'}};
    int n;
    const snf_physics_key *k = snf_physics_keys(&n);
    memcpy(o, fixed, sizeof fixed);
    for (int i = 0; i < n && SNF_SIM_FIXED + i < SNF_SIM_MAX_OPTS - 1; i++) {
        o[SNF_SIM_FIXED + i] = (struct option){k[i].option, required_argument, 0, OPT_PHYS + i};
    }
    o[SNF_SIM_FIXED + n] = (struct option){0, 0, 0, 0};
}

/* A physics option's value into s->ph through the table entry k (name: the option as the user wrote it). */
static int snf_simulate_physics_option(snf_physics *ph, const snf_physics_key *k, const char *name, const char *v)
{
    void *field = (char *)ph + k->offset;
    switch (k->kind) {
    case SNF_PHYS_DOUBLE: return snf_cli_parse_physical(name, k->key, v, (double *)field);
    case SNF_PHYS_CLOSURE: return snf_closure_parse(v, (snf_closure *)field);
    case SNF_PHYS_HEATING: return snf_cli_parse_heating(v, (snf_heating *)field);
    case SNF_PHYS_GAMMA: return snf_cli_parse_gamma(v, (snf_gamma_mode *)field);
    case SNF_PHYS_LONG: {
        double x = 0;
        int rc = snf_cli_parse_double(name, v, &x);
        if (rc >= 0 && !(x >= 1 && x <= 1e9 && x == floor(x))) {
            SNF_ERROR(SNF_EINVAL, "--%s '%s' is invalid: expected a whole number 1-1e9", k->option, v);
        }
        *(long *)field = (long)x;
        return rc;
    }
    }
    return SNF_OK;
}

/* One model with its grid and outputs; buffers owned here. */
typedef struct snf_sim {
    snf_sn_params p;
    snf_physics ph;
    double t_max, dt;
    int T;
    double *t, *L, *v, *lrec, *x, *phi;
    snf_lc lc;
    int status;
} snf_sim;

static void snf_sim_free(snf_sim *s)
{
    free(s->t);
    free(s->L);
    free(s->v);
    free(s->lrec);
    free(s->x);
    free(s->phi);
}

/* Builds the grid 0, dt, ..., t_max and runs the model. Returns a status (message recorded). */
static int snf_sim_run(snf_sim *s)
{
    if (!(s->t_max > 0) || !isfinite(s->t_max)) {
        SNF_ERROR(SNF_EINVAL, "--t-max = %g is invalid: expected a finite number of days > 0", s->t_max);
    }
    if (!(s->dt > 0) || !isfinite(s->dt) || s->t_max / s->dt > 1e7) {
        SNF_ERROR(SNF_EINVAL, "--dt = %g is invalid: expected days > 0 and at most 1e7 steps to t-max", s->dt);
    }
    SNF_CHECK(snf_sn_params_check(&s->p));
    SNF_CHECK(snf_physics_check(&s->ph));
    s->T = (int)floor(s->t_max / s->dt * (1 + 1e-12)) + 1;
    size_t n = (size_t)s->T;
    s->t = malloc(n * sizeof(double));
    s->L = malloc(n * sizeof(double));
    s->v = malloc(n * sizeof(double));
    s->lrec = malloc(n * sizeof(double));
    s->x = malloc(n * sizeof(double));
    s->phi = malloc(n * sizeof(double));
    if (!s->t || !s->L || !s->v || !s->lrec || !s->x || !s->phi) {
        SNF_ERROR(SNF_ENOMEM, "cannot allocate a %d-point time grid", s->T);
    }
    for (int k = 0; k < s->T; k++) {
        s->t[k] = k * s->dt;
    }
    snf_lc lc = {.L_erg_s = s->L, .vph_km_s = s->v, .L_rec_erg_s = s->lrec, .x_i = s->x, .phi = s->phi};
    snf_model *m = snf_model_alloc();
    if (!m) {
        SNF_ERROR(SNF_ENOMEM, "cannot allocate the model workspace");
    }
    s->status = snf_model_run(m, &s->p, &s->ph, s->t, s->T, &lc);
    snf_model_free(m);
    s->lc = lc;
    return s->status;
}

static int snf_sim_write_csv(const snf_sim *s, FILE *f, int diagnostics)
{
    fprintf(f, diagnostics ? "t_d,L_erg_s,vph_km_s,L_rec_erg_s,x_i,phi\n" : "t_d,L_erg_s,vph_km_s\n");
    for (int k = 0; k < s->T; k++) {
        fprintf(f, "%.10g,%.8e,", s->t[k], s->L[k]);
        if (isfinite(s->v[k])) {
            fprintf(f, "%.8g", s->v[k]);
        }
        if (diagnostics) {
            fprintf(f, ",%.8e,%.10g,", s->lrec[k], s->x[k]);
            if (isfinite(s->phi[k])) {
                fprintf(f, "%.10g", s->phi[k]);
            }
        }
        fputc('\n', f);
    }
    return ferror(f) ? SNF_EIO : SNF_OK;
}

static void snf_sim_summary(const snf_sim *s, FILE *f)
{
    const snf_lc_derived *d = &s->lc.derived;
    char front[96];
    if (isfinite(d->t_front_end_d)) {
        snprintf(front, sizeof front, "front end day %.1f", d->t_front_end_d);
    } else { /* not an error: the recombination front is still there at the grid's last day */
        snprintf(front, sizeof front, "front not gone by day %g (v_ph defined to the end)", s->t_max);
    }
    fprintf(f,
            "snforge simulate: model %s, E %g foe, M %g Msun, R0 %g cm, M_Ni %g Msun: peak day %.2f, "
            "log L_peak %.4f, plateau end day %.1f, %s, %d points, %ld steps, status %d (%s)\n",
            snf_closure_name(s->ph.closure), s->p.energy_foe, s->p.mass_msun, s->p.radius_cm,
            s->p.nickel_msun, d->t_peak_d, d->log_lpeak, d->t_plateau_end_d, front, s->T,
            s->lc.n_steps, s->status, snf_strerror(s->status));
}

int snf_cmd_simulate(int argc, char **argv)
{
    snf_sim s = {.p = snf_sn_params_default(), .ph = snf_physics_default(), .t_max = 300, .dt = 1};
    const char *out = NULL;
    int diagnostics = 0, rc = SNF_OK;
    struct option opts[SNF_SIM_MAX_OPTS];
    snf_simulate_options(opts);
    int nk;
    const snf_physics_key *keys = snf_physics_keys(&nk);
    snf_cli_getopt_start();
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        const char *name = snf_cli_option_name(opts, c);
        switch (c) {
        case OPT_ENERGY: rc = snf_cli_parse_physical(name, "energy", optarg, &s.p.energy_foe); break;
        case OPT_MASS: rc = snf_cli_parse_physical(name, "mass", optarg, &s.p.mass_msun); break;
        case OPT_RADIUS: rc = snf_cli_parse_physical(name, "radius", optarg, &s.p.radius_cm); break;
        case OPT_NICKEL: rc = snf_cli_parse_physical(name, "nickel", optarg, &s.p.nickel_msun); break;
        case OPT_TMAX: rc = snf_cli_parse_double(name, optarg, &s.t_max); break;
        case OPT_DT: rc = snf_cli_parse_double(name, optarg, &s.dt); break;
        case OPT_DIAG: diagnostics = 1; break;
        case 'o': out = optarg; break;
        case 'h': snf_simulate_usage(stdout); return 0;
        default:
            if (c < OPT_PHYS || c >= OPT_PHYS + nk) {
                return snf_cli_bad_option(argv, "simulate");
            }
            rc = snf_simulate_physics_option(&s.ph, &keys[c - OPT_PHYS], name, optarg);
        }
        if (rc < 0) {
            return snf_cli_fail("simulate", rc);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "snforge simulate: unexpected argument '%s' (see snforge simulate --help)\n", argv[optind]);
        return 2;
    }
    if (out && snf_cli_check_output("simulate", out) != 0) {
        snf_sim_free(&s);
        return 2; /* before the model is computed */
    }
    rc = snf_sim_run(&s);
    if (rc < 0) {
        rc = snf_cli_fail("simulate", rc);
        snf_sim_free(&s);
        return rc;
    }
    if (out && snf_cli_has_suffix(out, ".h5")) {
        rc = snf_cli_write_one_row(out, &s.p, &s.ph, s.t, s.T, s.L, s.v, s.status, &s.lc.derived);
    } else if (out) {
        rc = snf_cli_write_file_atomic(out, (int (*)(const void *, FILE *, int))snf_sim_write_csv, &s, diagnostics);
    } else {
        rc = snf_sim_write_csv(&s, stdout, diagnostics);
        if (rc < 0) {
            rc = snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "writing CSV to stdout failed");
        }
    }
    snf_sim_summary(&s, stderr);
    snf_sim_free(&s);
    return rc < 0 ? snf_cli_fail("simulate", rc) : 0;
}

int snf_cli_closure_table(FILE *f)
{
    const snf_closure closures[3] = {SNF_CLOSURE_FLUX, SNF_CLOSURE_TEMPERATURE, SNF_CLOSURE_NONE};
    fprintf(f, "SN 1987A-like default: E 1.7 foe, M 15 Msun, R0 3e12 cm, M_Ni 0.075 Msun, daily to day 300\n");
    fprintf(f, "%-12s %10s %12s %14s %14s %12s\n", "closure", "peak_day", "L_peak", "plateau_end", "front_end",
            "vph_d50");
    for (int i = 0; i < 3; i++) {
        snf_sim s = {.p = snf_sn_params_default(), .ph = snf_physics_default(), .t_max = 300, .dt = 1};
        s.ph.closure = closures[i];
        int rc = snf_sim_run(&s);
        if (rc < 0) {
            snf_sim_free(&s);
            return rc;
        }
        const snf_lc_derived *d = &s.lc.derived;
        fprintf(f, "%-12s %10.2f %12.4e %14.1f %14.1f %12.1f\n", snf_closure_name(closures[i]), d->t_peak_d,
                pow(10.0, d->log_lpeak), d->t_plateau_end_d, d->t_front_end_d, s.v[50]);
        snf_sim_free(&s);
    }
    return SNF_OK;
}
