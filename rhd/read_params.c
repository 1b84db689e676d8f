/* read_params.c: SNEC 1.01 parameter files ("key = value", '#' comments, values optionally quoted, Fortran
 * numbers such as 1.0d9). Every key SNEC 1.01 reads is known here; the ones about its own output files
 * (outdir, dtout*, ntout*, ntinfo) are accepted and have no effect (snforge writes one row a day). A key
 * SNEC does not read, a value this code does not support, a repeated or a missing required key is refused
 * with file:line. */
#include "snforge/core.h"
#include "snforge/rhd.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

snf_rhd_params snf_rhd_params_default(void)
{
    snf_rhd_params p;
    memset(&p, 0, sizeof p);
    p.initial_data = SNF_RHD_BOMB;
    p.bomb_mode = 1;
    p.bomb_start_point = 1;
    p.imax = 1000;
    p.gridding = SNF_RHD_GRID_FILE;
    p.radiation = 1;
    p.Ni_by_hand = 1;
    p.Ni_period = 1e5;
    p.saha_ncomps = 3;
    p.boxcar_smoothing = 1;
    p.opacity_floor_envelope = 0.01;
    p.opacity_floor_core = 0.24;
    p.tend = 2.16e7;
    p.dtmin = 1e-10;
    p.dtmax = 1e3;
    p.ntmax = 1e13;
    p.positron_fraction = 0.032;
    p.theta = 0.5;
    return p;
}

typedef enum { K_STR, K_DBL, K_INT, K_IGNORED } kind;

typedef struct key {
    const char *name;
    kind k;
    int required; /* 1 always, 2 with a thermal bomb, 3 with a piston, 4 with mass excision */
} key;

static const key KEYS[] = {
    {"outdir", K_IGNORED, 0},          {"profile_name", K_STR, 1},        {"comp_profile_name", K_STR, 1},
    {"initial_data", K_STR, 1},        {"piston_vel", K_DBL, 3},          {"piston_tstart", K_DBL, 3},
    {"piston_tend", K_DBL, 3},         {"final_energy", K_DBL, 2},        {"bomb_tstart", K_DBL, 2},
    {"bomb_tend", K_DBL, 2},           {"bomb_mass_spread", K_DBL, 2},    {"bomb_start_point", K_INT, 2},
    {"bomb_mode", K_INT, 0},           {"imax", K_INT, 1},                {"gridding", K_STR, 1},
    {"mass_excision", K_INT, 1},       {"mass_excised", K_DBL, 4},        {"radiation", K_INT, 1},
    {"eoskey", K_INT, 1},              {"Ni_switch", K_INT, 1},           {"Ni_mass", K_DBL, 1},
    {"Ni_boundary_mass", K_DBL, 1},    {"Ni_period", K_DBL, 1},           {"Ni_by_hand", K_INT, 0},
    {"saha_ncomps", K_INT, 1},         {"boxcar_smoothing", K_INT, 1},    {"opacity_floor_envelope", K_DBL, 1},
    {"opacity_floor_core", K_DBL, 1},  {"ntmax", K_DBL, 1},               {"tend", K_DBL, 1},
    {"dtout", K_IGNORED, 0},           {"dtout_scalar", K_IGNORED, 0},    {"dtout_check", K_IGNORED, 0},
    {"ntout", K_IGNORED, 0},           {"ntout_scalar", K_IGNORED, 0},    {"ntout_check", K_IGNORED, 0},
    {"ntinfo", K_IGNORED, 0},          {"dtmin", K_DBL, 1},               {"dtmax", K_DBL, 1},
    {"sedov", K_INT, 0},
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

static int key_index(const char *s, size_t n)
{
    for (int k = 0; k < NKEYS; k++) {
        if (strlen(KEYS[k].name) == n && strncmp(KEYS[k].name, s, n) == 0) {
            return k;
        }
    }
    return -1;
}

/* Joins the parameter file's folder and a relative path. */
static int rel_path(char *dst, size_t n, const char *file, const char *val)
{
    char dir[4096];
    snf_path_dir(file, dir, sizeof dir);
    int w = val[0] == '/' ? snprintf(dst, n, "%s", val) : snprintf(dst, n, "%s/%s", dir, val);
    return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

static int set_value(snf_rhd_params *p, const char *name, double v, int iv)
{
#define D(field)                      \
    if (strcmp(name, #field) == 0) {  \
        p->field = v;                 \
        return 0;                     \
    }
#define I(field)                      \
    if (strcmp(name, #field) == 0) {  \
        p->field = iv;                \
        return 0;                     \
    }
    D(piston_vel) D(piston_tstart) D(piston_tend) D(final_energy) D(bomb_tstart) D(bomb_tend) D(bomb_mass_spread)
    I(bomb_start_point) I(bomb_mode) I(imax) I(mass_excision) D(mass_excised) I(radiation) I(Ni_switch) D(Ni_mass)
    D(Ni_boundary_mass) D(Ni_period) I(Ni_by_hand) I(saha_ncomps) I(boxcar_smoothing) D(opacity_floor_envelope)
    D(opacity_floor_core) D(ntmax) D(tend) D(dtmin) D(dtmax)
#undef D
#undef I
    return -1;
}

int snf_rhd_read_params(const char *path, snf_rhd_params *p, char *profile, char *comp, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = snf_text_slurp(path, "SNEC parameter file", &buf, &len);
    if (rc != SNF_OK) {
        return rc;
    }
    *p = snf_rhd_params_default();
    int seen[NKEYS] = {0};
    int eoskey = 2, sedov = 0;
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t ln;
    while (snf_text_next(&it, &s, &ln)) {
        const char *hash = memchr(s, '#', ln);
        size_t m = hash ? (size_t)(hash - s) : ln;
        const char *eq = memchr(s, '=', m);
        if (!eq) {
            char ex[64];
            snf_text_excerpt(ex, sizeof ex, s, ln);
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected \"key = value\", got \"%s\"", path, it.line, ex);
        }
        size_t kl = (size_t)(eq - s);
        while (kl > 0 && (s[kl - 1] == ' ' || s[kl - 1] == '\t')) {
            kl--;
        }
        int k = key_index(s, kl);
        if (k < 0) {
            char ex[64];
            snf_text_excerpt(ex, sizeof ex, s, kl);
            SNF_FAIL(SNF_EFORMAT, "%s:%d: unknown key \"%s\" (not a key SNEC 1.01 reads)", path, it.line, ex);
        }
        if (seen[k]) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: key %s given twice", path, it.line, KEYS[k].name);
        }
        seen[k] = it.line;
        /* the value: quotes and tabs are blanks, the first word counts (SNEC's rule) */
        char val[1024];
        size_t vl = 0;
        for (const char *q = eq + 1; q < s + m && vl + 1 < sizeof val; q++) {
            char ch = (*q == '"' || *q == '\'' || *q == '\t') ? ' ' : *q;
            if (ch == ' ' && vl == 0) {
                continue;
            }
            if (ch == ' ') {
                break;
            }
            val[vl++] = ch;
        }
        val[vl] = '\0';
        if (vl == 0) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: key %s has no value", path, it.line, KEYS[k].name);
        }
        const char *name = KEYS[k].name;
        if (KEYS[k].k == K_IGNORED) {
            continue;
        }
        if (KEYS[k].k == K_STR) {
            if (strcmp(name, "profile_name") == 0 || strcmp(name, "comp_profile_name") == 0) {
                if (rel_path(strcmp(name, "profile_name") == 0 ? profile : comp, n, path, val) != 0) {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: path too long", path, it.line);
                }
            } else if (strcmp(name, "initial_data") == 0) {
                if (strcmp(val, "Thermal_Bomb") == 0) {
                    p->initial_data = SNF_RHD_BOMB;
                } else if (strcmp(val, "Piston_Explosion") == 0) {
                    p->initial_data = SNF_RHD_PISTON;
                } else {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: initial_data \"%s\": expected Thermal_Bomb or Piston_Explosion",
                             path, it.line, val);
                }
            } else if (strcmp(name, "gridding") == 0) {
                if (strcmp(val, "from_file_by_mass") == 0) {
                    p->gridding = SNF_RHD_GRID_FILE;
                } else if (strcmp(val, "uniform_in_mass") == 0) {
                    p->gridding = SNF_RHD_GRID_UNIFORM;
                } else {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: gridding \"%s\": expected from_file_by_mass or uniform_in_mass",
                             path, it.line, val);
                }
            }
            continue;
        }
        double v;
        if (snf_csv_number(val, vl, &v) != 0 || isnan(v)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %s = \"%s\" is not a number", path, it.line, name, val);
        }
        int iv = (int)v;
        if (KEYS[k].k == K_INT && (v != floor(v) || fabs(v) > 2e9)) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %s = %s: expected an integer", path, it.line, name, val);
        }
        if (strcmp(name, "eoskey") == 0) {
            eoskey = iv;
        } else if (strcmp(name, "sedov") == 0) {
            sedov = iv;
        } else {
            (void)set_value(p, name, v, iv);
        }
    }
    /* required keys */
    for (int k = 0; k < NKEYS; k++) {
        int r = KEYS[k].required;
        int need = r == 1 || (r == 2 && p->initial_data == SNF_RHD_BOMB) ||
                   (r == 3 && p->initial_data == SNF_RHD_PISTON) || (r == 4 && p->mass_excision);
        if (need && !seen[k]) {
            SNF_FAIL(SNF_EFORMAT, "%s: required key %s missing", path, KEYS[k].name);
        }
    }
    /* values this code does not support */
#define UNSUPPORTED(key, cond, what)                                                                          \
    if (cond) {                                                                                               \
        SNF_FAIL(SNF_EFORMAT, "%s:%d: %s: %s", path, seen[key_index(key, strlen(key))], key, what);           \
    }
    UNSUPPORTED("eoskey", eoskey != 2, "only eoskey = 2 (ideal gas + radiation + Saha) is supported")
    UNSUPPORTED("sedov", sedov != 0, "the Sedov test mode is not supported (sedov = 0)")
    UNSUPPORTED("radiation", p->radiation != 1, "only radiation = 1 is supported (without radiation there is no "
                                                   "light curve to compute)")
    UNSUPPORTED("saha_ncomps", p->saha_ncomps != 3, "only saha_ncomps = 3 (n, H, He: Saha for H and He) is supported")
    UNSUPPORTED("imax", p->imax < 10, "expected at least 10 grid points")
    UNSUPPORTED("tend", !(p->tend > 0), "expected a positive end time")
    UNSUPPORTED("dtmax", !(p->dtmax > 0 && p->dtmax >= p->dtmin), "expected 0 < dtmin <= dtmax")
    UNSUPPORTED("Ni_period", !(p->Ni_period > 0), "expected a positive period")
    if (p->initial_data == SNF_RHD_BOMB) {
        UNSUPPORTED("bomb_mode", p->bomb_mode != 1 && p->bomb_mode != 2, "expected 1 or 2")
        UNSUPPORTED("bomb_tend", !(p->bomb_tend > p->bomb_tstart), "expected bomb_tend > bomb_tstart")
        UNSUPPORTED("bomb_mass_spread", !(p->bomb_mass_spread > 0), "expected a positive mass")
    }
    if (p->Ni_switch && p->Ni_by_hand) {
        UNSUPPORTED("Ni_boundary_mass", !(p->Ni_boundary_mass > (p->mass_excision ? p->mass_excised : 0)),
                    "expected a boundary above the excised mass")
    }
#undef UNSUPPORTED
cleanup:
    free(buf);
    return rc;
}
