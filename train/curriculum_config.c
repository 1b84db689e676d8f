/* curriculum_config.c: curriculum experiment configs (INI through snf_ini, so every message names
 * file:line, [section] and key). Sections: [data], [split], [model], [stage1], [stage2], [augment] and any
 * number of [ablation.NAME], whose keys override the base's (data and augment keys by name, stage keys as
 * stage1.KEY / stage2.KEY); ablations are applied after the whole file is read, so section order does not
 * matter. Relative paths are taken from the config file's folder. Format: validation/curriculum.ini. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/nn.h"
#include "train_internal.h"

/* ---- parser state ---- */

#define SNF_CURR_MAX_OVERRIDES 24

typedef struct snf_override {
    char key[64], value[1024];
    int line;
} snf_override;

typedef struct snf_cparse {
    snf_ini ini;
    snf_curr_config *c;
    int sa_line, hydro_line;
    int observe_yes_line;   /* a stage's `observe = yes` (needs [observe]) and its section */
    char observe_yes_sec[80];
    char sa_rel[1024], hydro_rel[1024];
    int nov[SNF_CURR_MAX_VARIANTS];
    snf_override ov[SNF_CURR_MAX_VARIANTS][SNF_CURR_MAX_OVERRIDES];
} snf_cparse;

/* ---- static helpers ---- */

static int snf_cnum(snf_cparse *ps, int line, const char *sec, const char *key, const char *v, double lo, double hi,
                    double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    while (*end == ' ' || *end == '\t') {
        end++;
    }
    if (end == v || *end != '\0' || errno == ERANGE || !isfinite(x) || x < lo || x > hi) {
        return snf_ini_fail(&ps->ini, line, sec, key, "'%s' is not a number in [%g, %g]", v, lo, hi);
    }
    *out = x;
    return 1;
}

static int snf_cint(snf_cparse *ps, int line, const char *sec, const char *key, const char *v, long lo, long hi,
                    long *out)
{
    double x;
    if (!snf_cnum(ps, line, sec, key, v, (double)lo, (double)hi, &x)) {
        return 0;
    }
    if (x != floor(x)) {
        return snf_ini_fail(&ps->ini, line, sec, key, "'%s' is not an integer in [%ld, %ld]", v, lo, hi);
    }
    *out = (long)x;
    return 1;
}

/* A variant's key (data, augment and stage keys); stage keys come as "stage1.KEY" or with sec = stage1. */
static int snf_cvariant_key(snf_cparse *ps, snf_curr_variant *v, int line, const char *sec, const char *key,
                            const char *val)
{
    double d = 0;
    long l = 0;
    snf_curr_stage *st = NULL;
    const char *k = key;
    if (!strcmp(sec, "stage1") || !strncmp(key, "stage1.", 7)) {
        st = &v->s1;
        k = strncmp(key, "stage1.", 7) ? key : key + 7;
    } else if (!strcmp(sec, "stage2") || !strncmp(key, "stage2.", 7)) {
        st = &v->s2;
        k = strncmp(key, "stage2.", 7) ? key : key + 7;
    }
    if (st) {
        if (!strcmp(k, "epochs") && snf_cint(ps, line, sec, key, val, 1, 100000, &l)) {
            st->epochs = (int)l;
        } else if (!strcmp(k, "batch") && snf_cint(ps, line, sec, key, val, 1, 4096, &l)) {
            st->batch = (int)l;
        } else if (!strcmp(k, "patience") && snf_cint(ps, line, sec, key, val, 0, 100000, &l)) {
            st->patience = (int)l;
        } else if (!strcmp(k, "lr") && snf_cnum(ps, line, sec, key, val, 1e-9, 1, &d)) {
            st->lr = d;
        } else if (!strcmp(k, "weight_decay") && snf_cnum(ps, line, sec, key, val, 0, 1, &d)) {
            st->weight_decay = d;
        } else if (!strcmp(k, "freeze") && st == &v->s2 && snf_cint(ps, line, sec, key, val, 0, SNF_NET_MAX_DEPTH, &l)) {
            st->freeze = (int)l;
        } else if (!strcmp(k, "mix_share") && st == &v->s2 && snf_cnum(ps, line, sec, key, val, 0, 0.9, &d)) {
            st->mix_share = d;
        } else if (!strcmp(k, "observe")) {
            st->observe = !strcmp(val, "yes") ? 1 : !strcmp(val, "no") ? 0 : -2;
            if (st->observe == -2) {
                return snf_ini_fail(&ps->ini, line, sec, key, "'%s' is not yes or no", val);
            }
            if (st->observe == 1) {
                ps->observe_yes_line = line;
                snprintf(ps->observe_yes_sec, sizeof ps->observe_yes_sec, "%s", sec);
            }
        } else if (!ps->ini.err) {
            char why[160];
            int r = snf_recipe_set(&st->recipe, k, val, why, sizeof why);
            if (r < 0) {
                return snf_ini_fail(&ps->ini, line, sec, key, "%s", why);
            }
            if (r == 0) {
                return snf_ini_fail(&ps->ini, line, sec, key, "unknown key (expected epochs, batch, patience, lr, "
                                    "weight_decay%s, schedule, warmup, lr_end, onecycle_div, clip_norm, ema, observe)",
                                    st == &v->s2 ? ", freeze, mix_share" : "");
            }
        }
        return !ps->ini.err;
    }
    if (!strcmp(key, "sa")) {
        if (!*val) {
            return snf_ini_fail(&ps->ini, line, sec, key, "empty path");
        }
        snf_ini_resolve(v->sa_file, sizeof v->sa_file, ps->c->path, val);
    } else if (!strcmp(key, "channels")) {
        v->spec.channels = !strcmp(val, "luminosity") ? SNF_CH_LBOL : !strcmp(val, "velocity") ? SNF_CH_VPH
                           : !strcmp(val, "both") ? SNF_CH_BOTH : 0;
        if (!v->spec.channels) {
            return snf_ini_fail(&ps->ini, line, sec, key, "'%s': expected luminosity, velocity or both", val);
        }
    } else if (!strcmp(key, "mask")) {
        v->spec.mask = !strcmp(val, "yes") ? 1 : !strcmp(val, "no") ? 0 : -1;
        if (v->spec.mask < 0) {
            return snf_ini_fail(&ps->ini, line, sec, key, "'%s' is not yes or no", val);
        }
    } else if (!strcmp(key, "length") && snf_cint(ps, line, sec, key, val, 8, 4096, &l)) {
        v->spec.L = (int)l;
    } else if (!strcmp(key, "t_start") && snf_cnum(ps, line, sec, key, val, -100, 10000, &d)) {
        v->spec.t_start_d = d;
    } else if (!strcmp(key, "t_end") && snf_cnum(ps, line, sec, key, val, -100, 10000, &d)) {
        v->spec.t_end_d = d;
    } else if (!strcmp(key, "noise") && snf_cnum(ps, line, sec, key, val, 0, 10, &d)) {
        v->aug.noise = (float)d;
    } else if (!strcmp(key, "drop") && snf_cnum(ps, line, sec, key, val, 0, 0.95, &d)) {
        v->aug.drop = (float)d;
    } else if (!strcmp(key, "shift") && snf_cint(ps, line, sec, key, val, 0, 1000, &l)) {
        v->aug.shift = (int)l;
    } else if (!ps->ini.err) {
        return snf_ini_fail(&ps->ini, line, sec, key, "unknown key (expected %s)",
                            !strcmp(sec, "augment") ? "noise, drop, shift"
                            : !strcmp(sec, "data") ? "sa, hydro, channels, mask, length, t_start, t_end, "
                                                     "sa_max_rows, sa_test"
                                                   : "sa, channels, mask, length, t_start, t_end, noise, drop, "
                                                     "shift, stage1.KEY, stage2.KEY");
    }
    return !ps->ini.err;
}

static int snf_chandler(void *user, const char *section, const char *key, const char *value)
{
    snf_cparse *ps = user;
    snf_curr_config *c = ps->c;
    snf_curr_variant *base = &c->variants[0];
    int line = ps->ini.line;
    double d = 0;
    long l = 0;
    if (ps->ini.err) {
        return 0;
    }
    if (snf_ini_key_seen(&ps->ini, section, key)) {
        return snf_ini_fail(&ps->ini, line, section, key, "given twice");
    }
    if (!strncmp(section, "ablation.", 9)) {
        const char *name = section + 9;
        int i;
        for (i = 1; i < c->nvariants; i++) {
            if (!strcmp(c->variants[i].name, name)) {
                break;
            }
        }
        if (i == c->nvariants) {
            if (c->nvariants >= SNF_CURR_MAX_VARIANTS || !*name || strlen(name) >= sizeof c->variants[i].name ||
                strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name)) {
                return snf_ini_fail(&ps->ini, ps->ini.section_line, section, NULL, "an ablation name of letters, "
                                    "digits, _ and - (at most %d ablations)", SNF_CURR_MAX_VARIANTS - 1);
            }
            snprintf(c->variants[i].name, sizeof c->variants[i].name, "%s", name);
            c->variants[i].line = ps->ini.section_line;
            c->nvariants++;
        }
        if (ps->nov[i] >= SNF_CURR_MAX_OVERRIDES || strlen(key) >= 64 || strlen(value) >= 1024) {
            return snf_ini_fail(&ps->ini, line, section, key, "too many or too long keys");
        }
        snf_override *o = &ps->ov[i][ps->nov[i]++];
        snprintf(o->key, sizeof o->key, "%s", key);
        snprintf(o->value, sizeof o->value, "%s", value);
        o->line = line;
        return 1;
    }
    if (!strcmp(section, "data")) {
        if (!strcmp(key, "hydro")) {
            ps->hydro_line = line;
            snprintf(ps->hydro_rel, sizeof ps->hydro_rel, "%s", value);
            return *value ? 1 : snf_ini_fail(&ps->ini, line, section, key, "empty path");
        }
        if (!strcmp(key, "sa")) {
            ps->sa_line = line;
        }
        if (!strcmp(key, "sa_max_rows")) {
            return snf_cint(ps, line, section, key, value, 16, 100000000, &c->sa_max_rows);
        }
        if (!strcmp(key, "sa_test")) {
            return snf_cnum(ps, line, section, key, value, 0, 0.5, &c->sa_test);
        }
        return snf_cvariant_key(ps, base, line, section, key, value);
    }
    if (!strcmp(section, "observe")) { /* train's [observe] keys, through train's parser */
        return snf_observe_key(&ps->ini, &base->obs, section, key, value);
    }
    if (!strcmp(section, "augment") || !strcmp(section, "stage1") || !strcmp(section, "stage2")) {
        return snf_cvariant_key(ps, base, line, section, key, value);
    }
    if (!strcmp(section, "split")) {
        if (!strcmp(key, "folds") && snf_cint(ps, line, section, key, value, 3, SNF_CURR_MAX_FOLDS, &l)) {
            c->folds = (int)l;
        } else if (!strcmp(key, "seed") && snf_cint(ps, line, section, key, value, 0, 1000000000, &l)) {
            c->split_seed = (uint64_t)l;
        } else if (!ps->ini.err) {
            return snf_ini_fail(&ps->ini, line, section, key, "unknown key (expected folds (>= 3), seed)");
        }
        return !ps->ini.err;
    }
    if (!strcmp(section, "model")) {
        if (!strcmp(key, "arch")) {
            c->net.arch = !strcmp(value, "inception") ? SNF_ARCH_INCEPTION : !strcmp(value, "lite") ? SNF_ARCH_LITE
                          : !strcmp(value, "hinception") ? SNF_ARCH_HINCEPTION : -1;
            if (c->net.arch < 0) {
                return snf_ini_fail(&ps->ini, line, section, key, "'%s': expected inception, hinception or lite",
                                    value);
            }
        } else if (!strcmp(key, "filters") && snf_cint(ps, line, section, key, value, 1, 1024, &l)) {
            c->net.filters = (int)l;
        } else if (!strcmp(key, "depth") && snf_cint(ps, line, section, key, value, 1, SNF_NET_MAX_DEPTH, &l)) {
            c->net.depth = (int)l;
        } else if (!strcmp(key, "kernel") && snf_cint(ps, line, section, key, value, 4, 512, &l)) {
            c->net.kernel = (int)l;
        } else if (!strcmp(key, "bottleneck") && snf_cint(ps, line, section, key, value, 0, 1024, &l)) {
            c->net.bottleneck = (int)l;
        } else if (!strcmp(key, "residual")) {
            c->net.residual = !strcmp(value, "yes") ? 1 : !strcmp(value, "no") ? 0 : -1;
            if (c->net.residual < 0) {
                return snf_ini_fail(&ps->ini, line, section, key, "'%s' is not yes or no", value);
            }
        } else if (!strcmp(key, "seed") && snf_cint(ps, line, section, key, value, 0, 1000000000, &l)) {
            c->seed = (uint64_t)l;
        } else if (!strcmp(key, "bn_momentum") && snf_cnum(ps, line, section, key, value, 0, 0.9999, &d)) {
            c->net.bn_momentum = (float)d;
        } else if (!ps->ini.err) {
            return snf_ini_fail(&ps->ini, line, section, key, "unknown key (expected arch, filters, depth, kernel, "
                                "bottleneck, residual, bn_momentum, seed)");
        }
        return !ps->ini.err;
    }
    return snf_ini_fail(&ps->ini, ps->ini.section_line, section, NULL, "unknown section (expected data, split, "
                        "model, stage1, stage2, augment, observe, ablation.NAME)");
}

/* ---- public API ---- */

int snf_curr_config_parse(snf_curr_config *c, const char *text, const char *name)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", name);
    c->sa_max_rows = 4096;
    c->sa_test = 0.1;
    c->folds = 4;
    c->split_seed = 1;
    c->seed = 1;
    c->net = snf_net_config_default();
    c->net.bn_momentum = 0.9f;
    c->nvariants = 1;
    snf_curr_variant *b = &c->variants[0];
    snprintf(b->name, sizeof b->name, "base");
    b->spec = snf_data_spec_default();
    b->s1 = (snf_curr_stage){.epochs = 30, .batch = 64, .patience = 10, .lr = 1e-3, .recipe = snf_recipe_default(),
                             .observe = -1};
    b->obs = snf_obs_aug_default();
    b->s2 = (snf_curr_stage){.epochs = 50, .batch = 16, .patience = 15, .lr = 1e-4, .freeze = 0, .mix_share = 0.25,
                             .recipe = snf_recipe_default(),
                             .observe = -1};
    snf_cparse *ps = calloc(1, sizeof *ps);
    if (!ps) {
        SNF_ERROR(SNF_ENOMEM, "out of memory parsing %s", name);
    }
    snf_ini_init(&ps->ini, name, text, strlen(text));
    ps->c = c;
    int rc = snf_ini_parse(&ps->ini, snf_chandler, ps);
    snf_ini_fail_syntax(&ps->ini, rc);
    int data_line = snf_ini_section_line(&ps->ini, "data");
    if (!ps->ini.err && (!ps->sa_line || !ps->hydro_line)) {
        snf_ini_fail(&ps->ini, data_line, "data", NULL, "missing key '%s' (the %s file)", ps->sa_line ? "hydro" : "sa",
                     ps->sa_line ? "hydro dataset" : "semi-analytic campaign");
    }
    if (!ps->ini.err) {
        snf_ini_resolve(c->hydro_file, sizeof c->hydro_file, name, ps->hydro_rel);
    }
    for (int i = 1; i < c->nvariants && !ps->ini.err; i++) { /* ablations: the base with overrides */
        snf_curr_variant keep = c->variants[i];
        c->variants[i] = *b;
        snprintf(c->variants[i].name, sizeof c->variants[i].name, "%s", keep.name);
        c->variants[i].line = keep.line;
        if (!strcmp(keep.name, "base") || !strcmp(keep.name, "sa_sa") || !strcmp(keep.name, "sa_hydro") ||
            !strcmp(keep.name, "curriculum")) {
            snf_ini_fail(&ps->ini, keep.line, NULL, NULL, "[ablation.%s]: that name is a row of the base experiment",
                         keep.name);
        }
        for (int k = 0; k < ps->nov[i] && !ps->ini.err; k++) {
            char sec[80];
            snprintf(sec, sizeof sec, "ablation.%s", keep.name);
            snf_cvariant_key(ps, &c->variants[i], ps->ov[i][k].line, sec, ps->ov[i][k].key, ps->ov[i][k].value);
        }
    }
    for (int i = 0; i < c->nvariants && !ps->ini.err; i++) {
        snf_curr_variant *v = &c->variants[i];
        int line = v->line ? v->line : data_line;
        const char *sec = v->line ? "ablation" : "data";
        if (!(v->spec.t_end_d > v->spec.t_start_d)) {
            snf_ini_fail(&ps->ini, line, sec, "t_end", "%s: must be after t_start (%g)", v->name, v->spec.t_start_d);
        }
        snf_net_config n = c->net;
        n.C_in = snf_data_spec_cin(&v->spec);
        n.T = v->spec.L;
        n.n_out = SNF_DATA_NP;
        n.max_B = v->s1.batch > v->s2.batch ? v->s1.batch : v->s2.batch;
        size_t sizes[SNF_NET_MAX_TENSORS];
        if (!ps->ini.err && snf_net_sizes(&n, sizes) < 0) {
            snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, "model"), "model", NULL, "invalid architecture: %s",
                         snf_error_last_message());
        }
        const int obs_line = snf_ini_section_line_last(&ps->ini, "observe");
        if (!ps->ini.err && obs_line) { /* train's check of the section, against this variant's grid */
            snf_observe_check(&ps->ini, &v->obs, &v->spec, obs_line, v->line ? "the ablation's" : "[data]");
        }
        if (!ps->ini.err && !obs_line && ps->observe_yes_line) {
            snf_ini_fail(&ps->ini, ps->observe_yes_line, ps->observe_yes_sec, "observe", "yes needs an [observe] section (the "
                         "cadence, noise and gaps to draw)");
        }
        v->s1.observe = v->s1.observe != 0; /* unset: yes */
        v->s2.observe = v->s2.observe != 0;
        if (!ps->ini.err && (v->s2.freeze > n.depth || (v->s2.freeze > 0 && n.arch == SNF_ARCH_LITE))) {
            snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, "stage2"), "stage2", "freeze",
                         "%d: expected 0..depth (%d) Inception modules (0 for lite)", v->s2.freeze, n.depth);
        }
    }
    rc = snf_ini_finish(&ps->ini, &c->text, text, name);
    free(ps);
    if (rc < 0) {
        memset(c, 0, sizeof *c);
    }
    return rc;
}

int snf_curr_config_load(snf_curr_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    char *text = NULL;
    int rc = snf_ini_config_read(&text, path, "curriculum config");
    if (rc < 0) {
        return rc;
    }
    rc = snf_curr_config_parse(c, text, path);
    free(text);
    return rc;
}

void snf_curr_config_free(snf_curr_config *c)
{
    if (c) {
        free(c->text);
        c->text = NULL;
    }
}
