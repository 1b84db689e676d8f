/* cmd_fit.c: `snforge fit OBS.csv -o DIR`: Bayesian fit of the semi-analytic model to one observed light
 * curve with the ensemble MCMC of infer/mcmc_fit.c (fit.h): posterior.csv, summary.json, the chain
 * (chain.h5, resumable), the best-fit curve (bestfit.csv) and the plots (corner.png, bestfit.png) by
 * validation/plot_fit.py. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "resource.h"
#include "snforge/grids.h"
#include "snforge/train.h"
#include "snforge/infer.h"
#include "snforge/core.h"
#include "snforge/solvers.h"

extern const char snf_embedded_prior[]; /* grids/87a_default.ini (cli/embed.cmake) */

static void snf_fit_usage(FILE *f)
{
    snf_fit_opts o = snf_fit_opts_default();
    fprintf(f,
            "usage: snforge fit OBS.csv -o DIR [options]\n\n"
            "Bayesian fit of the semi-analytic model to one observed light curve (CSV: t_d,L_erg_s,L_err,\n"
            "vph_km_s,vph_err; interfaces.md) with the affine-invariant ensemble sampler (Goodman & Weare 2010,\n"
            "stretch move a = 2). Likelihood: Gaussian with the file's errors plus a fitted fractional error\n"
            "floor per series (the model's error); priors uniform over the campaign's ranges (in ln x on its\n"
            "log axes), floors log-uniform on [1e-3, 1]. Walkers start in a small ball around the best of\n"
            "--init-draws prior draws polished by Nelder-Mead; the first --burn steps are dropped.\n\n"
            "options:\n"
            "  -o, --output DIR     output folder (required; created)\n"
            "      --prior FILE     campaign whose [physics] and [param.*] ranges are the model and prior\n"
            "                       [grids/87a_default.ini, embedded]\n"
            "      --closure NAME   override the campaign's closure: temperature, flux or none\n"
            "  -w, --walkers W      walkers (even, >= 2 D + 2)                         [%d]\n"
            "  -s, --steps S        iterations; rerunning with more continues the chain [%ld]\n"
            "      --burn B         iterations dropped before the summaries            [steps / 2]\n"
            "      --seed N         GSL mt19937 seed                                   [%lu]\n"
            "  -t, --threads N      OpenMP threads evaluating walkers (one model each)  [1]\n"
            "      --init-draws N   prior draws for the start                          [%d]\n"
            "      --start LIST     start the polish from these values of the campaign's parameters, comma-\n"
            "                       separated in its order (energy,mass,radius,nickel: e.g. a network's\n"
            "                       answer; clamped into the prior) instead of the best prior draw; the draws\n"
            "                       then choose only the error floors\n"
            "      --no-plot        do not call python for corner.png and bestfit.png\n"
            "  -q, --quiet          no progress line\n"
            "  -h, --help           this text\n\n"
            "Output in DIR: posterior.csv (parameter,median,lo68,hi68,lo95,hi95,unit,prior_edge,\n"
            "edge_share_lo_pct,edge_share_hi_pct: one row per parameter and error floor; prior_edge is low, high\n"
            "or both when the marginal piles up at that prior edge: at least 3x a flat posterior's share, i.e. 6%%\n"
            "of the samples, within the outer 2%% of the prior range, in the coordinate the prior is uniform in;\n"
            "such a marginal also gets a PRIOR EDGE line on stdout), summary.json (intervals, autocorrelation time, effective sample size,\n"
            "acceptance, wall time, model calls), chain.h5 (resumable: the same command continues an\n"
            "interrupted run), bestfit.csv (the highest-posterior model, daily), corner.png and bestfit.png\n"
            "(python3 + matplotlib: $SNFORGE_PYTHON or /usr/bin/python3; script infer/plot_fit.py from the\n"
            "data folder, or $SNF_PLOT_FIT).\n"
            "Exit status: 0 success, 1 the work failed, 2 bad input (option, OBS.csv file:line, campaign).\n",
            o.walkers, o.steps, o.seed, o.init_draws);
}

/* Runs infer/plot_fit.py DIR OBS (found by the resource finder, resource.h, or $SNF_PLOT_FIT) with the
 * resource finder's Python; 0 if it ran. */
static int snf_fit_plot(const char *dir, const char *obs)
{
    char script[4200];
    const char *env = getenv("SNF_PLOT_FIT");
    if (env && *env) {
        snprintf(script, sizeof script, "%s", env);
    } else if (!snf_resource_find("infer/plot_fit.py", script, sizeof script)) {
        snf_resource_where("infer/plot_fit.py", script, sizeof script);
        fprintf(stderr, "snforge fit: note: no plots (%s)\n", script);
        return -1;
    }
    const char *python = snf_resource_python();
    const char *args[] = {dir, obs, NULL};
    if (snf_resource_run_python(python, script, args) == 0) {
        return 0;
    }
    fprintf(stderr, "snforge fit: note: no plots (%s with matplotlib and h5py could not run %s; set %s)\n", python,
            script, SNF_ENV_PYTHON);
    return -1;
}

typedef struct snf_fit_out {
    const snf_fit_result *r;
    const snf_fit_opts *o;
    const char *obs, *prior, *closure;
} snf_fit_out;

/* posterior.csv's prior_edge column: the prior edge(s) where the marginal piles up (mcmc.h's definition). */
static const char *snf_fit_edge_name(int edge)
{
    static const char *const names[4] = {"none", "low", "high", "both"};
    return names[edge & 3];
}

/* One line on stdout per marginal piled up at a prior edge: the prior, not the data, bounds it there. */
static void snf_fit_print_edges(const snf_fit_result *r)
{
    for (int k = 0; k < r->D; k++) {
        const snf_fit_param *p = &r->par[k];
        for (int e = 0; e < 2; e++) {
            if (p->prior_edge & (e ? SNF_EDGE_HIGH : SNF_EDGE_LOW)) {
                printf("PRIOR EDGE: %s piles up at the prior's %s edge %.4g %s (%.0f%% of the samples in the outer "
                       "%.0f%% of the prior range, %.0f%% for a flat posterior): the prior, not the data, bounds it "
                       "there; its median and interval are not a measurement (widen the prior with --prior)\n",
                       p->name, e ? "upper" : "lower", e ? p->hi : p->lo, p->units, 100 * p->edge_share[e],
                       100 * SNF_EDGE_BAND, 100 * SNF_EDGE_BAND);
            }
        }
    }
}

static int snf_fit_write_csv(const void *ctx, FILE *f, int arg)
{
    (void)arg;
    const snf_fit_result *r = ((const snf_fit_out *)ctx)->r;
    fprintf(f, "parameter,median,lo68,hi68,lo95,hi95,unit,prior_edge,edge_share_lo_pct,edge_share_hi_pct\n");
    for (int k = 0; k < r->D; k++) {
        const snf_fit_param *p = &r->par[k];
        fprintf(f, "%s,%.6g,%.6g,%.6g,%.6g,%.6g,%s,%s,%.1f,%.1f\n", p->name, p->q[2], p->q[1], p->q[3], p->q[0], p->q[4],
                p->units, snf_fit_edge_name(p->prior_edge), 100 * p->edge_share[0], 100 * p->edge_share[1]);
    }
    return ferror(f) ? SNF_EIO : SNF_OK;
}


static void snf_json_num(FILE *f, double v)
{
    if (isfinite(v)) fprintf(f, "%.8g", v);
    else fputs("null", f);
}

static int snf_fit_write_json(const void *ctx, FILE *f, int arg)
{
    (void)arg;
    const snf_fit_out *x = ctx;
    const snf_fit_result *r = x->r;
    fprintf(f, "{\n  \"observation\": ");
    snf_json_string(f, x->obs);
    fprintf(f, ",\n  \"prior\": ");
    snf_json_string(f, x->prior);
    fprintf(f, ",\n  \"closure\": ");
    snf_json_string(f, x->closure);
    fprintf(f, ",\n  \"walkers\": %d,\n  \"steps\": %ld,\n  \"burn\": %ld,\n  \"steps_resumed\": %ld,\n  \"seed\": %lu,\n"
               "  \"threads\": %d,\n  \"acceptance\": ",
            x->o->walkers, r->steps_done, x->o->burn, r->steps_resumed, x->o->seed, x->o->threads);
    snf_json_num(f, r->acceptance);
    fprintf(f, ",\n  \"model_calls\": %ld,\n  \"wall_s\": ", r->model_calls);
    snf_json_num(f, r->wall_s);
    fprintf(f, ",\n  \"seconds_per_model_call\": ");
    snf_json_num(f, r->model_calls ? r->wall_s / (double)r->model_calls : NAN);
    fprintf(f, ",\n  \"best_lnprob\": ");
    snf_json_num(f, r->best_lp);
    fprintf(f, ",\n  \"autocorrelation_reliable\": %s,\n  \"parameters\": [\n", r->tau_reliable ? "true" : "false");
    for (int k = 0; k < r->D; k++) {
        const snf_fit_param *p = &r->par[k];
        fprintf(f, "    {\"name\": ");
        snf_json_string(f, p->name);
        fprintf(f, ", \"unit\": ");
        snf_json_string(f, p->units);
        fprintf(f, ", \"prior\": [%.6g, %.6g], \"prior_scale\": \"%s\", \"median\": ", p->lo, p->hi,
                p->log_scale ? "log" : "linear");
        snf_json_num(f, p->q[2]);
        fprintf(f, ", \"lo68\": ");
        snf_json_num(f, p->q[1]);
        fprintf(f, ", \"hi68\": ");
        snf_json_num(f, p->q[3]);
        fprintf(f, ", \"lo95\": ");
        snf_json_num(f, p->q[0]);
        fprintf(f, ", \"hi95\": ");
        snf_json_num(f, p->q[4]);
        fprintf(f, ", \"best\": ");
        snf_json_num(f, p->best);
        fprintf(f, ", \"tau_steps\": ");
        snf_json_num(f, p->tau);
        fprintf(f, ", \"ess\": ");
        snf_json_num(f, p->ess);
        fprintf(f, ", \"prior_edge\": \"%s\"", snf_fit_edge_name(p->prior_edge));
        fprintf(f, "}%s\n", k + 1 < r->D ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return ferror(f) ? SNF_EIO : SNF_OK;
}

/* The best-fit model, daily to the last observation (at least day 300). */
typedef struct { const snf_campaign *c; const snf_fit_result *r; double t_end; } snf_best_ctx;

static int snf_fit_write_best(const void *ctx, FILE *f, int arg)
{
    (void)arg;
    const snf_best_ctx *b = ctx;
    double x[SNF_CONFIG_MAX_AXES];
    for (int a = 0, k = 0; a < b->c->n_axes; a++) {
        x[a] = b->c->axes[a].hi > b->c->axes[a].lo ? b->r->par[k++].best : b->c->axes[a].lo;
    }
    snf_sn_params p;
    snf_physics ph;
    snf_config_model_inputs(b->c, x, &p, &ph);
    int T = (int)ceil(b->t_end) + 1;
    double *t = malloc(sizeof(double) * T), *L = malloc(sizeof(double) * T), *v = malloc(sizeof(double) * T);
    snf_model *m = snf_model_alloc();
    int rc = SNF_ENOMEM;
    if (t && L && v && m) {
        for (int k = 0; k < T; k++) t[k] = k;
        snf_lc lc = {.L_erg_s = L, .vph_km_s = v};
        rc = snf_model_run(m, &p, &ph, t, T, &lc);
        if (rc >= 0) {
            fprintf(f, "# best fit: energy %.6g foe, mass %.6g Msun, radius %.6g cm, nickel %.6g Msun, closure %s\n",
                    p.energy_foe, p.mass_msun, p.radius_cm, p.nickel_msun, snf_closure_name(ph.closure));
            fprintf(f, "t_d,L_erg_s,vph_km_s\n");
            for (int k = 0; k < T; k++) {
                fprintf(f, "%g,%.6e,", t[k], L[k]);
                if (isfinite(v[k])) fprintf(f, "%.6g", v[k]);
                fputc('\n', f);
            }
            rc = ferror(f) ? SNF_EIO : SNF_OK;
        }
    }
    free(t);
    free(L);
    free(v);
    snf_model_free(m);
    return rc < 0 ? rc : SNF_OK;
}

/* --start LIST: one positive value per campaign axis, in its order; -1 with the message on stderr. */
static int snf_fit_parse_start(const char *text, const snf_campaign *c, snf_fit_opts *o)
{
    char tok[128];
    int n = 0, bad = 0; /* n: values read */
    for (const char *p = text; !bad;) {
        const size_t len = strcspn(p, ",");
        double v = 0;
        snprintf(tok, sizeof tok, "%.*s", (int)(len < sizeof tok ? len : sizeof tok - 1), p);
        bad = n >= c->n_axes || len >= sizeof tok || snf_cli_parse_double("--start", tok, &v) < 0 || !(v > 0);
        if (!bad) o->start[n++] = v;
        if (p[len] == '\0') break;
        p += len + 1;
    }
    if (bad || n != c->n_axes) {
        fprintf(stderr, "snforge fit: --start '%s': expected %d positive numbers separated by commas (the campaign's "
                "parameters in order:", text, c->n_axes);
        for (int a = 0; a < c->n_axes; a++) fprintf(stderr, "%s%s", a ? "," : " ", c->axes[a].name);
        fprintf(stderr, ")\n");
        return -1;
    }
    o->has_start = 1;
    return 0;
}

enum { OPT_PRIOR = 256, OPT_CLOSURE, OPT_BURN, OPT_SEED, OPT_INIT, OPT_NOPLOT, OPT_START };

/* The command's options besides the chain's (snf_fit_opts). */
typedef struct snf_fit_cli {
    const char *dir, *prior, *closure, *start;
    int plot;
} snf_fit_cli;

/* Parses the options into o and cl: -1 to go on, else the exit code (0 after --help, 2 for bad input). */
static int snf_fit_parse(int argc, char **argv, snf_fit_opts *op, snf_fit_cli *cl)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},   {"prior", required_argument, NULL, OPT_PRIOR},
        {"closure", required_argument, NULL, OPT_CLOSURE}, {"walkers", required_argument, NULL, 'w'},
        {"steps", required_argument, NULL, 's'},    {"burn", required_argument, NULL, OPT_BURN},
        {"seed", required_argument, NULL, OPT_SEED}, {"threads", required_argument, NULL, 't'},
        {"init-draws", required_argument, NULL, OPT_INIT}, {"no-plot", no_argument, NULL, OPT_NOPLOT},
        {"start", required_argument, NULL, OPT_START},
        {"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    snf_fit_opts o = *op;
    const char *dir = NULL, *prior = NULL, *closure = NULL, *start = NULL;
    int plot = 1;
    long v = 0;
    snf_cli_getopt_start();
    for (int ch; (ch = getopt_long(argc, argv, ":o:w:s:t:qh", opts, NULL)) != -1;) {
        int rc = 0;
        switch (ch) {
        case 'o': dir = optarg; break;
        case OPT_PRIOR: prior = optarg; break;
        case OPT_CLOSURE: closure = optarg; break;
        case 'w': rc = snf_cli_parse_long("fit", "--walkers", optarg, 4, 100000, &v); o.walkers = (int)v; break;
        case 's': rc = snf_cli_parse_long("fit", "--steps", optarg, 10, 100000000L, &v); o.steps = v; break;
        case OPT_BURN: rc = snf_cli_parse_long("fit", "--burn", optarg, 0, 100000000L, &v); o.burn = v; break;
        case OPT_SEED: rc = snf_cli_parse_long("fit", "--seed", optarg, 0, 4294967295L, &v); o.seed = (unsigned long)v; break;
        case 't': rc = snf_cli_parse_long("fit", "--threads", optarg, 1, 1024, &v); o.threads = (int)v; break;
        case OPT_INIT: rc = snf_cli_parse_long("fit", "--init-draws", optarg, 1, 10000000L, &v); o.init_draws = (int)v; break;
        case OPT_NOPLOT: plot = 0; break;
        case OPT_START: start = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'h': snf_fit_usage(stdout); return 0;
        default: return snf_cli_bad_option(argv, "fit");
        }
        if (rc) return rc;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "snforge fit: expected one observation file OBS.csv (see snforge fit --help)\n");
        return 2;
    }
    if (!dir) {
        fprintf(stderr, "snforge fit: -o DIR is required (see snforge fit --help)\n");
        return 2;
    }
    if (o.burn < 0) o.burn = o.steps / 2;
    if (o.burn >= o.steps - 4) {
        fprintf(stderr, "snforge fit: --burn %ld must be below --steps %ld minus 4\n", o.burn, o.steps);
        return 2;
    }
    *op = o;
    *cl = (snf_fit_cli){dir, prior, closure, start, plot};
    return -1;
}

/* posterior.csv, summary.json and bestfit.csv, staged in owner and replaced together. */
static int snf_fit_write_all(snf_output *owner, const snf_fit_out *out, const snf_best_ctx *best)
{
    int rc = SNF_OK;
    static const char *const names[3] = {"posterior.csv", "summary.json", "bestfit.csv"};
    int (*const writers[3])(const void *, FILE *, int) = {snf_fit_write_csv, snf_fit_write_json, snf_fit_write_best};
    const void *ctxs[3] = {out, out, best};
    for (int k = 0; k < 3 && rc >= 0; k++) {
        FILE *fo = snf_output_open_file(owner, names[k]);
        if (fo == NULL) {
            rc = SNF_EIO;
            break;
        }
        snf_error_clear();
        errno = 0;
        rc = writers[k](ctxs[k], fo, 0);
        if (rc < 0) {
            int e = errno ? errno : EIO;
            fclose(fo);
            if (snf_error_last()[0] == '\0') { /* a writer that failed without a word: a failed fprintf */
                rc = snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "cannot write %s/%s.tmp: %s",
                                      owner->path, names[k], strerror(e));
            }
        } else {
            rc = snf_output_close_file(owner, fo, names[k]);
        }
    }
    if (rc >= 0) rc = snf_output_commit(owner);
    return rc;
}

/* The intervals on stdout, prior edges, the chain's figures on stderr. */
static void snf_fit_print(const snf_fit_result *r, const snf_fit_opts *o)
{
    printf("%-10s %12s %12s %12s %12s %12s %8s %8s\n", "parameter", "median", "lo68", "hi68", "lo95", "hi95",
           "tau", "ess");
    for (int k = 0; k < r->D; k++) {
        const snf_fit_param *p = &r->par[k];
        printf("%-10s %12.5g %12.5g %12.5g %12.5g %12.5g %8.1f %8.0f %s\n", p->name, p->q[2], p->q[1], p->q[3],
               p->q[0], p->q[4], p->tau, p->ess, p->units);
    }
    snf_fit_print_edges(r);
    fprintf(stderr, "snforge fit: %ld steps x %d walkers (%ld resumed), acceptance %.3f, %ld model calls in "
                    "%.1f s (%.3g ms each), autocorrelation %s\n",
            r->steps_done, o->walkers, r->steps_resumed, r->acceptance, r->model_calls, r->wall_s,
            1e3 * r->wall_s / (double)(r->model_calls ? r->model_calls : 1),
            r->tau_reliable ? "reliable (steps >= 50 tau)" : "NOT yet reliable (steps < 50 tau): run longer");
}

int snf_cmd_fit(int argc, char **argv)
{
    snf_fit_opts o = snf_fit_opts_default();
    o.quiet = !isatty(fileno(stderr)); /* the progress line only on a terminal */
    snf_fit_cli cl = {NULL, NULL, NULL, NULL, 1};
    int code = snf_fit_parse(argc, argv, &o, &cl);
    if (code >= 0) {
        return code;
    }
    const char *dir = cl.dir, *prior = cl.prior, *closure = cl.closure, *start = cl.start;
    const char *obs_path = argv[optind];
    if (prior && access(prior, R_OK) != 0) {
        fprintf(stderr, "snforge fit: --prior %s: %s (expected a campaign file such as grids/87a_default.ini)\n",
                prior, strerror(errno));
        return 2;
    }
    snf_campaign c;
    int rc = prior ? snf_config_load(&c, prior)
                   : snf_config_parse(&c, snf_embedded_prior, "grids/87a_default.ini (embedded)");
    if (rc < 0) return snf_cli_fail("fit", rc);
    if (closure && (rc = snf_closure_parse(closure, &c.physics.closure)) < 0) {
        snf_config_free(&c);
        fprintf(stderr, "snforge fit: --closure: %s\n", snf_error_last_message());
        return 2;
    }
    if (start && snf_fit_parse_start(start, &c, &o) < 0) {
        snf_config_free(&c);
        return 2;
    }
    snf_obs obs;
    rc = snf_obs_read(&obs, obs_path);
    if (rc < 0) {
        snf_config_free(&c);
        return snf_cli_fail("fit", rc);
    }
    snf_output owner; /* DIR.lock for the whole run; the result files are replaced together at the end */
    if ((rc = snf_output_begin(&owner, dir, 1)) < 0) {
        snf_obs_free(&obs);
        snf_config_free(&c);
        return snf_cli_fail("fit", rc);
    }
    char chain[4200];
    snf_output_path(&owner, "chain.h5", chain, sizeof chain);
    o.chain_path = chain;
    snf_fit_result r;
    rc = snf_fit_run(&c, &obs, &o, &r);
    if (rc >= 0) {
        snf_fit_out out = {&r, &o, obs_path, prior ? prior : "grids/87a_default.ini (embedded)",
                           snf_closure_name(c.physics.closure)};
        double t_end = 300;
        for (long i = 0; i < obs.n; i++) t_end = fmax(t_end, obs.t_d[i]);
        snf_best_ctx best = {&c, &r, t_end};
        rc = snf_fit_write_all(&owner, &out, &best);
        if (rc >= 0) {
            snf_fit_print(&r, &o);
            if (cl.plot) snf_fit_plot(dir, obs_path);
        }
    }
    snf_output_end(&owner);
    snf_obs_free(&obs);
    snf_config_free(&c);
    return rc < 0 ? snf_cli_fail("fit", rc) : 0;
}
