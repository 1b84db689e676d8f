/* train_config.c: training config files (INI) through snf_ini (ini.h: libinih with a line-counting
 * reader, shared with grids/config.c), so every message names file:line, [section] and key. Relative
 * paths (data.file, output.model) are taken relative to the config file's folder. The text is kept
 * verbatim: the model stores it, and a resume checks it is unchanged. Format: train/train_small.ini. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"
#include "snforge/nn.h"
#include "snforge/train.h"
#include "train_internal.h"

/* ---- parser state ---- */

typedef struct snf_tparse {
    snf_ini ini;           /* reader state, current line, section lines, first failure */
    snf_train_config *c;
    int file_line;         /* line of data.file (0: missing) */
    char data_rel[1024], model_rel[1024];
} snf_tparse;

/* ---- static helpers ---- */

/* The typed value parsers are ini.c's (one set for every INI format); these bind them to this parser. */
static int snf_tdouble(snf_tparse *ps, const char *sec, const char *key, const char *v, double lo, double hi,
                       double *out)
{
    return snf_ini_double(&ps->ini, sec, key, v, lo, hi, out);
}

static int snf_tfloat(snf_tparse *ps, const char *sec, const char *key, const char *v, double lo, double hi,
                      float *out)
{
    return snf_ini_float(&ps->ini, sec, key, v, lo, hi, out);
}

static int snf_tlong(snf_tparse *ps, const char *sec, const char *key, const char *v, long lo, long hi,
                     long *out)
{
    return snf_ini_long(&ps->ini, sec, key, v, lo, hi, out);
}

static int snf_tint(snf_tparse *ps, const char *sec, const char *key, const char *v, long lo, long hi, int *out)
{
    return snf_ini_int(&ps->ini, sec, key, v, lo, hi, out);
}

static int snf_tbool(snf_tparse *ps, const char *sec, const char *key, const char *v, int *out)
{
    return snf_ini_bool(&ps->ini, sec, key, v, out);
}

static int snf_tpath(snf_tparse *ps, const char *sec, const char *key, const char *v, char *out, size_t n)
{
    if (*v == '\0') {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "empty path");
    }
    if (strlen(v) >= n) {
        return snf_ini_fail(&ps->ini, ps->ini.line, sec, key, "path longer than %zu characters", n - 1);
    }
    snprintf(out, n, "%s", v);
    return 1;
}

static int snf_tdata(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_train_config *c = ps->c;
    if (!strcmp(k, "file")) {
        ps->file_line = ps->ini.line;
        return snf_tpath(ps, s, k, v, ps->data_rel, sizeof ps->data_rel);
    } else if (!strcmp(k, "channels")) {
        if (!strcmp(v, "luminosity")) {
            c->spec.channels = SNF_CH_LBOL;
        } else if (!strcmp(v, "velocity")) {
            c->spec.channels = SNF_CH_VPH;
        } else if (!strcmp(v, "both")) {
            c->spec.channels = SNF_CH_BOTH;
        } else {
            return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                                "unknown channels '%s' (expected luminosity, velocity or both)", v);
        }
        return 1;
    } else if (!strcmp(k, "mask")) {
        return snf_tbool(ps, s, k, v, &c->spec.mask);
    } else if (!strcmp(k, "length")) {
        return snf_tint(ps, s, k, v, 8, 4096, &c->spec.L);
    } else if (!strcmp(k, "t_start")) {
        c->t_start_line = ps->ini.line;
        return snf_tdouble(ps, s, k, v, -1e6, 1e6, &c->spec.t_start_d);
    } else if (!strcmp(k, "t_end")) {
        c->t_end_line = ps->ini.line;
        return snf_tdouble(ps, s, k, v, -1e6, 1e6, &c->spec.t_end_d);
    } else if (!strcmp(k, "split")) {
        if (!strcmp(v, "random")) {
            c->split = SNF_SPLIT_RANDOM;
        } else if (!strcmp(v, "ordered")) {
            c->split = SNF_SPLIT_ORDERED;
        } else {
            return snf_ini_fail(&ps->ini, ps->ini.line, s, k, "unknown split '%s' (expected random or ordered)", v);
        }
        return 1;
    } else if (!strcmp(k, "validation")) {
        return snf_tdouble(ps, s, k, v, 0.0, 0.9, &c->val_frac);
    } else if (!strcmp(k, "test")) {
        return snf_tdouble(ps, s, k, v, 0.0, 0.9, &c->test_frac);
    } else if (!strcmp(k, "split_seed")) {
        long x;
        if (!snf_tlong(ps, s, k, v, 0, 2147483647L, &x)) {
            return 0;
        }
        c->split_seed = (uint64_t)x;
        return 1;
    } else if (!strcmp(k, "max_rows")) {
        return snf_tlong(ps, s, k, v, 0, 1000000000L, &c->max_rows);
    } else if (!strcmp(k, "block_rows")) {
        return snf_tlong(ps, s, k, v, 1, 100000000L, &c->block_rows);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                        "unknown key (expected file, channels, mask, length, t_start, t_end, "
                        "split, validation, test, split_seed, max_rows, block_rows)");
}

static int snf_ttrain(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_train_config *c = ps->c;
    if (!strcmp(k, "seed")) {
        long x;
        if (!snf_tlong(ps, s, k, v, 0, 2147483647L, &x)) {
            return 0;
        }
        c->seed = (uint64_t)x;
        return 1;
    } else if (!strcmp(k, "epochs")) {
        return snf_tint(ps, s, k, v, 1, 1000000, &c->epochs);
    } else if (!strcmp(k, "batch")) {
        return snf_tint(ps, s, k, v, 1, 65536, &c->batch);
    } else if (!strcmp(k, "lr")) {
        return snf_tfloat(ps, s, k, v, 1e-9, 10.0, &c->adam.lr);
    } else if (!strcmp(k, "beta1")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.999999, &c->adam.beta1);
    } else if (!strcmp(k, "beta2")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.999999, &c->adam.beta2);
    } else if (!strcmp(k, "eps")) {
        return snf_tfloat(ps, s, k, v, 1e-12, 1.0, &c->adam.eps);
    } else if (!strcmp(k, "schedule")) {
        static const char *const names[] = {"plateau", "constant", "cosine", "onecycle"};
        for (int i = 0; i < 4; i++) {
            if (!strcmp(v, names[i])) {
                c->sched.kind = i;
                return 1;
            }
        }
        return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                            "unknown schedule '%s' (expected plateau, constant, cosine or onecycle)", v);
    } else if (!strcmp(k, "warmup")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.9, &c->sched.warmup);
    } else if (!strcmp(k, "lr_end")) {
        return snf_tfloat(ps, s, k, v, 0.0, 10.0, &c->sched.lr_end);
    } else if (!strcmp(k, "onecycle_div")) {
        return snf_tfloat(ps, s, k, v, 1.0, 1e6, &c->sched.div);
    } else if (!strcmp(k, "weight_decay")) {
        return snf_tfloat(ps, s, k, v, 0.0, 10.0, &c->adam.weight_decay);
    } else if (!strcmp(k, "clip_norm")) {
        return snf_tfloat(ps, s, k, v, 0.0, 1e9, &c->clip_norm);
    } else if (!strcmp(k, "ema")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.999999, &c->ema);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                        "unknown key (expected seed, epochs, batch, lr, beta1, beta2, eps, schedule, warmup, "
                        "lr_end, onecycle_div, weight_decay, clip_norm, ema)");
}

static int snf_tplateau(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_plateau *p = &ps->c->plateau;
    if (!strcmp(k, "factor")) {
        return snf_tfloat(ps, s, k, v, 0.01, 1.0, &p->factor);
    } else if (!strcmp(k, "patience")) {
        return snf_tint(ps, s, k, v, 0, 1000000, &p->patience);
    } else if (!strcmp(k, "min_lr")) {
        return snf_tfloat(ps, s, k, v, 0.0, 10.0, &p->min_lr);
    } else if (!strcmp(k, "min_delta")) {
        return snf_tfloat(ps, s, k, v, 0.0, 1e6, &p->min_delta);
    } else if (!strcmp(k, "cooldown")) {
        return snf_tint(ps, s, k, v, 0, 1000000, &p->cooldown);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                        "unknown key (expected factor, patience, min_lr, min_delta, cooldown)");
}

static int snf_tearly(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_train_config *c = ps->c;
    if (!strcmp(k, "patience")) {
        return snf_tint(ps, s, k, v, 0, 1000000, &c->es_patience);
    } else if (!strcmp(k, "min_delta")) {
        return snf_tfloat(ps, s, k, v, 0.0, 1e6, &c->es_min_delta);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k, "unknown key (expected patience (0 = off), min_delta)");
}

static int snf_tmodel(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_net_config *n = &ps->c->net;
    if (!strcmp(k, "arch")) {
        static const char *const names[] = {"inception", "lite", "hinception"};
        for (int i = 0; i < 3; i++) {
            if (!strcmp(v, names[i])) {
                n->arch = i;
                return 1;
            }
        }
        return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                            "unknown architecture '%s' (expected inception, lite or hinception)", v);
    } else if (!strcmp(k, "filters")) {
        return snf_tint(ps, s, k, v, 1, 1024, &n->filters);
    } else if (!strcmp(k, "depth")) {
        return snf_tint(ps, s, k, v, 1, SNF_NET_MAX_DEPTH, &n->depth);
    } else if (!strcmp(k, "kernel")) {
        return snf_tint(ps, s, k, v, 4, 1024, &n->kernel);
    } else if (!strcmp(k, "bottleneck")) {
        return snf_tint(ps, s, k, v, 0, 1024, &n->bottleneck);
    } else if (!strcmp(k, "residual")) {
        return snf_tbool(ps, s, k, v, &n->residual);
    } else if (!strcmp(k, "dropout")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.95, &n->dropout);
    } else if (!strcmp(k, "head")) {
        if (!strcmp(v, "mse") || !strcmp(v, "gaussian")) {
            n->head = !strcmp(v, "gaussian") ? SNF_HEAD_GAUSSIAN : SNF_HEAD_MSE;
            return 1;
        }
        return snf_ini_fail(&ps->ini, ps->ini.line, s, k, "unknown head '%s' (expected mse or gaussian)", v);
    } else if (!strcmp(k, "bn_eps")) {
        return snf_tfloat(ps, s, k, v, 1e-9, 1.0, &n->bn_eps);
    } else if (!strcmp(k, "bn_momentum")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.99999, &n->bn_momentum);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                        "unknown key (expected arch, filters, depth, kernel, bottleneck, residual, "
                        "dropout, head, bn_eps, bn_momentum)");
}

static int snf_taugment(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_augment *a = &ps->c->aug;
    if (!strcmp(k, "noise")) {
        return snf_tfloat(ps, s, k, v, 0.0, 10.0, &a->noise);
    } else if (!strcmp(k, "shift")) {
        return snf_tint(ps, s, k, v, 0, 4096, &a->shift);
    } else if (!strcmp(k, "drop")) {
        return snf_tfloat(ps, s, k, v, 0.0, 0.95, &a->drop);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k, "unknown key (expected noise, shift, drop)");
}

/* A number or a range LO-HI (LO <= HI) within [lo, hi] into out[2] (a number: out[0] = out[1]). */
static int snf_trange(snf_ini *ini, const char *s, const char *k, const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    double a = strtod(v, &end), b = a;
    int bad = end == v;
    if (!bad && *end == '-') {
        const char *w = end + 1;
        b = strtod(w, &end);
        bad = end == w;
    }
    if (bad || *end != '\0' || !isfinite(a) || !isfinite(b)) {
        return snf_ini_fail(ini, ini->line, s, k, "'%s' is not a number or a range LO-HI", v);
    }
    if (!(a >= lo && b <= hi && a <= b)) {
        return snf_ini_fail(ini, ini->line, s, k, "'%s' must lie within %g-%g with LO <= HI", v, lo, hi);
    }
    out[0] = a;
    out[1] = b;
    return 1;
}

/* An integer range (as snf_trange); 0 (off) or both ends within [lo, hi]. */
static int snf_tirange(snf_ini *ini, const char *s, const char *k, const char *v, long lo, long hi, int *out)
{
    double d[2] = {0, 0};
    if (snf_trange(ini, s, k, v, 0, (double)hi, d) != 1) {
        return 0;
    }
    if (d[0] != floor(d[0]) || d[1] != floor(d[1]) || (d[1] > 0 && d[0] < (double)lo)) {
        return snf_ini_fail(ini, ini->line, s, k, "'%s' must be 0 (off) or whole numbers within %ld-%ld", v,
                            lo, hi);
    }
    out[0] = (int)d[0];
    out[1] = (int)d[1];
    return 1;
}

/* ---- internal API: [observe], shared with the curriculum's config (curriculum_config.c) ---- */

/* [observe]: training rows drawn as real observations (data.h's snf_obs_aug) */
int snf_observe_key(snf_ini *ini, snf_obs_aug *a, const char *s, const char *k, const char *v)
{
    if (!strcmp(k, "epochs_L")) {
        return snf_tirange(ini, s, k, v, 2, 100000, a->epochs_L);
    } else if (!strcmp(k, "epochs_v")) {
        return snf_tirange(ini, s, k, v, 2, 100000, a->epochs_v);
    } else if (!strcmp(k, "first_d")) {
        return snf_trange(ini, s, k, v, 0.0, SNF_OBS_T_MAX_D, a->first_d);
    } else if (!strcmp(k, "last_d")) {
        return snf_trange(ini, s, k, v, 0.0, SNF_OBS_T_MAX_D, a->last_d);
    } else if (!strcmp(k, "gaps")) {
        return snf_tirange(ini, s, k, v, 0, 16, a->gaps);
    } else if (!strcmp(k, "gap_d")) {
        return snf_trange(ini, s, k, v, 0.0, SNF_OBS_T_MAX_D, a->gap_d);
    } else if (!strcmp(k, "t0_err_d")) {
        return snf_ini_double(ini, s, k, v, 0.0, 100.0, &a->t0_err_d);
    } else if (!strcmp(k, "L_err")) {
        return snf_trange(ini, s, k, v, 0.0, 2.0, a->L_err);
    } else if (!strcmp(k, "vph_err")) {
        return snf_trange(ini, s, k, v, 0.0, 2.0, a->vph_err);
    } else if (!strcmp(k, "vph_missing")) {
        return snf_ini_double(ini, s, k, v, 0.0, 1.0, &a->vph_missing);
    }
    return snf_ini_fail(ini, ini->line, s, k,
                        "unknown key (expected epochs_L, epochs_v, first_d, last_d, gaps, gap_d, t0_err_d, L_err, "
                        "vph_err, vph_missing)");
}

/* [observe] as a whole: a window inside the model's grid whose first day comes before its last, gaps with a
 * length and a cadence to put them in. */
void snf_observe_check(snf_ini *ini, const snf_obs_aug *a, const snf_data_spec *sp, int line, const char *grid)
{
    const double first = isnan(a->first_d[0]) ? sp->t_start_d : a->first_d[1];
    const double last = isnan(a->last_d[0]) ? sp->t_end_d : a->last_d[0];
    if (!(first < last)) {
        snf_ini_fail(ini, line, "observe", "last_d", "the window's last day (from %g) must come after its first "
                     "(up to %g)", last, first);
    } else if (!isnan(a->first_d[0]) && a->first_d[1] >= sp->t_end_d) {
        snf_ini_fail(ini, line, "observe", "first_d", "must begin before the model grid ends (%s t_end %g)", grid,
                     sp->t_end_d);
    } else if (a->gaps[1] > 0 && !(a->gap_d[1] > 0)) {
        snf_ini_fail(ini, line, "observe", "gap_d", "the gaps need a length in days > 0");
    } else if ((a->gaps[1] > 0 || !isnan(a->first_d[0]) || !isnan(a->last_d[0])) && a->epochs_L[1] == 0 &&
               a->epochs_v[1] == 0) {
        snf_ini_fail(ini, line, "observe", NULL, "a window (first_d, last_d, gaps) needs a cadence: "
                     "epochs_L or epochs_v");
    }
}

/* [uncertainty]: deep ensembles, MC dropout, calibration, OOD (uq.h) */
static int snf_tuq(snf_tparse *ps, const char *s, const char *k, const char *v)
{
    snf_uq_config *u = &ps->c->uq;
    if (!strcmp(k, "ensemble")) {
        return snf_tint(ps, s, k, v, 1, SNF_UQ_MAX_MEMBERS, &u->ensemble);
    } else if (!strcmp(k, "jobs")) {
        return snf_tint(ps, s, k, v, 1, SNF_UQ_MAX_MEMBERS, &u->jobs);
    } else if (!strcmp(k, "mc_samples")) {
        return snf_tint(ps, s, k, v, 1, 10000, &u->mc_samples);
    } else if (!strcmp(k, "calibrate")) {
        return snf_tbool(ps, s, k, v, &u->calibrate);
    } else if (!strcmp(k, "ood_shrinkage")) {
        return snf_tfloat(ps, s, k, v, 0.0, 1.0, &u->ood_shrinkage);
    } else if (!strcmp(k, "ood_alpha")) {
        return snf_tfloat(ps, s, k, v, 1e-6, 0.5, &u->ood_alpha);
    }
    return snf_ini_fail(&ps->ini, ps->ini.line, s, k,
                        "unknown key (expected ensemble, jobs, mc_samples, calibrate, ood_shrinkage, ood_alpha)");
}

static int snf_thandler(void *user, const char *section, const char *key, const char *value)
{
    snf_tparse *ps = user;
    if (ps->ini.err) {
        return 0;
    }
    if (!key) { /* a section header alone (inih calls with NULL name for empty sections in newer versions) */
        return 1;
    }
    if (snf_ini_key_seen(&ps->ini, section, key)) {
        return snf_ini_fail(&ps->ini, ps->ini.line, section, key, "given twice");
    }
    if (!strcmp(section, "data")) {
        return snf_tdata(ps, section, key, value);
    } else if (!strcmp(section, "train")) {
        return snf_ttrain(ps, section, key, value);
    } else if (!strcmp(section, "plateau")) {
        return snf_tplateau(ps, section, key, value);
    } else if (!strcmp(section, "early_stop")) {
        return snf_tearly(ps, section, key, value);
    } else if (!strcmp(section, "model")) {
        return snf_tmodel(ps, section, key, value);
    } else if (!strcmp(section, "uncertainty")) {
        return snf_tuq(ps, section, key, value);
    } else if (!strcmp(section, "augment")) {
        return snf_taugment(ps, section, key, value);
    } else if (!strcmp(section, "observe")) {
        return snf_observe_key(&ps->ini, &ps->c->obs, section, key, value);
    } else if (!strcmp(section, "output")) {
        if (!strcmp(key, "model")) {
            return snf_tpath(ps, section, key, value, ps->model_rel, sizeof ps->model_rel);
        }
        return snf_ini_fail(&ps->ini, ps->ini.line, section, key, "unknown key (expected model)");
    } else if (section[0] == '\0') {
        return snf_ini_fail(&ps->ini, ps->ini.line, NULL, NULL,
                            "key '%s' outside a section (expected [data], [train], ...)", key);
    }
    return snf_ini_fail(&ps->ini, ps->ini.section_line, section, NULL,
                        "unknown section (expected data, train, plateau, early_stop, model, uncertainty, augment, observe, "
                        "output)");
}

/* ---- public API ---- */

snf_uq_config snf_train_uq_default(void)
{
    snf_uq_config u = {1, 1, 1, 0, 0.1f, 0.01f};
    return u;
}

void snf_train_config_default(snf_train_config *c)
{
    memset(c, 0, sizeof *c);
    c->spec = snf_data_spec_default();
    c->split = SNF_SPLIT_RANDOM;
    c->val_frac = 0.1;
    c->test_frac = 0.1;
    c->split_seed = 1;
    c->max_rows = 0;
    c->block_rows = 1024;
    c->seed = 1;
    c->epochs = 100;
    c->batch = 64;
    c->adam = snf_adam_config_default();
    c->sched.kind = SNF_SCHED_PLATEAU;
    c->sched.warmup = 0.05f;
    c->sched.lr_end = 1e-6f;
    c->sched.div = 25.0f;
    c->clip_norm = 0.0f;
    c->ema = 0.0f;
    c->plateau = snf_plateau_default();
    c->plateau.patience = 10;
    c->plateau.min_lr = 1e-5f;
    c->es_patience = 20;
    c->es_min_delta = 0.0f;
    c->net = snf_net_config_default();
    c->uq = snf_train_uq_default();
    c->obs = snf_obs_aug_default();
    snprintf(c->model_path, sizeof c->model_path, "model.h5");
}

int snf_train_config_parse(snf_train_config *c, const char *text, const char *name)
{
    snf_train_config_default(c);
    snprintf(c->path, sizeof c->path, "%s", name);
    snf_tparse *ps = calloc(1, sizeof *ps);
    if (!ps) {
        SNF_ERROR(SNF_ENOMEM, "out of memory parsing %s", name);
    }
    snf_ini_init(&ps->ini, name, text, strlen(text));
    ps->c = c;
    int rc = snf_ini_parse(&ps->ini, snf_thandler, ps);
    snf_ini_fail_syntax(&ps->ini, rc);
    int data_line = snf_ini_section_line_last(&ps->ini, "data");
    if (!ps->ini.err && ps->file_line == 0) {
        if (data_line) {
            snf_ini_fail(&ps->ini, data_line, "data", NULL, "missing key 'file' (the dataset file to train on)");
        } else {
            snf_ini_fail(&ps->ini, 0, NULL, NULL, "missing section [data] with the key 'file'");
        }
    }
    if (!ps->ini.err && !(c->spec.t_end_d > c->spec.t_start_d)) {
        snf_ini_fail(&ps->ini, data_line, "data", "t_end", "must be after t_start (%g)", c->spec.t_start_d);
    }
    if (!ps->ini.err && c->val_frac + c->test_frac >= 0.95) {
        snf_ini_fail(&ps->ini, data_line, "data", "validation", "validation + test = %g leaves too few training rows",
                     c->val_frac + c->test_frac);
    }
    if (!ps->ini.err) {
        snf_observe_check(&ps->ini, &c->obs, &c->spec, snf_ini_section_line_last(&ps->ini, "observe"), "[data]");
    }
    if (!ps->ini.err) {
        snf_ini_resolve(c->data_file, sizeof c->data_file, name, ps->data_rel);
        if (ps->model_rel[0]) {
            snf_ini_resolve(c->model_path, sizeof c->model_path, name, ps->model_rel);
        }
        c->net.C_in = snf_data_spec_cin(&c->spec);
        c->net.T = c->spec.L;
        c->net.n_out = c->net.head == SNF_HEAD_GAUSSIAN ? 2 * SNF_DATA_NP : SNF_DATA_NP;
        if (c->uq.mc_samples > 1 && c->net.dropout <= 0.0f) {
            snf_ini_fail(&ps->ini, 0, "uncertainty", "mc_samples",
                         "%d Monte Carlo dropout samples need [model] dropout > 0", c->uq.mc_samples);
        }
        c->net.max_B = c->batch;
        size_t sizes[SNF_NET_MAX_TENSORS];
        if (snf_net_sizes(&c->net, sizes) < 0) {
            snf_ini_fail(&ps->ini, 0, "model", NULL,
                         "invalid architecture (filters %d, depth %d, kernel %d, bottleneck %d): %s",
                         c->net.filters, c->net.depth, c->net.kernel, c->net.bottleneck, snf_error_last_message());
        }
    }
    rc = snf_ini_finish(&ps->ini, &c->text, text, name);
    free(ps);
    if (rc < 0) {
        memset(c, 0, sizeof *c);
    }
    return rc;
}

int snf_train_config_load(snf_train_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    int rc = snf_ini_config_read(&text, path, "training config");
    if (rc < 0) {
        return rc;
    }
    rc = snf_train_config_parse(c, text, path);
    free(text);
    return rc;
}

void snf_train_config_free(snf_train_config *c)
{
    if (!c) {
        return;
    }
    free(c->text);
    c->text = NULL;
}
