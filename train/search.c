/* search.c: the hyper-parameter search of search.h: config parsing (snf_ini), key substitution in the base
 * curriculum config's text, the grid / random trial list, and the trials run through snf_curr_run, one
 * after another or side by side in forked children (as the ensemble members of uq_train.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "curriculum_internal.h"
#include "snforge/core.h"
#include "snforge/nn.h"
#include "snforge/train.h"

/* ---- config ---- */

typedef struct snf_sparse {
    snf_ini ini;
    snf_search_config *c;
    int base_line;
    char base_rel[1024];
} snf_sparse;

static int snf_shandler(void *user, const char *section, const char *key, const char *value)
{
    snf_sparse *ps = user;
    snf_search_config *c = ps->c;
    int line = ps->ini.line;
    if (ps->ini.err) {
        return 0;
    }
    if (snf_ini_key_seen(&ps->ini, section, key)) {
        return snf_ini_fail(&ps->ini, line, section, key, "given twice");
    }
    if (!strcmp(section, "search")) {
        if (!strcmp(key, "base")) {
            ps->base_line = line;
            snprintf(ps->base_rel, sizeof ps->base_rel, "%s", value);
            return *value ? 1 : snf_ini_fail(&ps->ini, line, section, key, "empty path");
        }
        if (!strcmp(key, "mode")) {
            c->random = !strcmp(value, "random") ? 1 : !strcmp(value, "grid") ? 0 : -1;
            return c->random >= 0 ? 1 : snf_ini_fail(&ps->ini, line, section, key, "'%s': expected grid or random",
                                                     value);
        }
        if (!strcmp(key, "trials") || !strcmp(key, "seed")) {
            char *end;
            errno = 0;
            long v = strtol(value, &end, 10);
            if (end == value || *end || errno || v < (key[0] == 't' ? 1 : 0) || v > 100000) {
                return snf_ini_fail(&ps->ini, line, section, key, "'%s' is not an integer in [%d, 100000]", value,
                                    key[0] == 't');
            }
            if (key[0] == 't') {
                c->trials = (int)v;
            } else {
                c->seed = (unsigned long long)v;
            }
            return 1;
        }
        return snf_ini_fail(&ps->ini, line, section, key, "unknown key (expected base, mode, trials, seed)");
    }
    if (!strcmp(section, "vary")) {
        const char *dot = strchr(key, '.');
        if (!dot || dot == key || !dot[1] || (size_t)(dot - key) >= 64 || strlen(dot + 1) >= 64) {
            return snf_ini_fail(&ps->ini, line, section, key, "expected SECTION.KEY of the curriculum config");
        }
        if (c->nkeys >= SNF_SEARCH_MAX_KEYS) {
            return snf_ini_fail(&ps->ini, line, section, key, "at most %d keys", SNF_SEARCH_MAX_KEYS);
        }
        int k = c->nkeys++;
        snprintf(c->section[k], 64, "%.*s", (int)(dot - key), key);
        snprintf(c->key[k], 64, "%s", dot + 1);
        const char *p = value;
        while (*p) {
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            size_t n = strcspn(p, ",");
            size_t m = n;
            while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t')) {
                m--;
            }
            if (m == 0 || m >= 64 || c->nvalues[k] >= SNF_SEARCH_MAX_VALUES) {
                return snf_ini_fail(&ps->ini, line, section, key, "expected 1-%d comma-separated values",
                                    SNF_SEARCH_MAX_VALUES);
            }
            snprintf(c->value[k][c->nvalues[k]++], 64, "%.*s", (int)m, p);
            p += n;
            if (*p == ',') {
                p++;
            }
        }
        return c->nvalues[k] > 0 ? 1 : snf_ini_fail(&ps->ini, line, section, key, "no values");
    }
    return snf_ini_fail(&ps->ini, ps->ini.section_line, section, NULL, "unknown section (expected search, vary)");
}

int snf_search_config_load(snf_search_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    c->trials = 8;
    c->seed = 1;
    char *text = NULL;
    size_t len = 0;
    int rc = snf_ini_file_read(&text, &len, path, "search config");
    if (rc == SNF_EIO && text == NULL && errno == ENOENT) {
        return SNF_EINVAL;
    }
    if (rc < 0) {
        return rc;
    }
    snf_sparse *ps = calloc(1, sizeof *ps);
    if (!ps) {
        free(text);
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    snf_ini_init(&ps->ini, path, text, len);
    ps->c = c;
    rc = snf_ini_parse(&ps->ini, snf_shandler, ps);
    snf_ini_fail_syntax(&ps->ini, rc);
    if (!ps->ini.err && !ps->base_line) {
        snf_ini_fail(&ps->ini, snf_ini_section_line(&ps->ini, "search"), "search", NULL,
                     "missing key 'base' (the curriculum config)");
    }
    if (!ps->ini.err && c->nkeys == 0) {
        snf_ini_fail(&ps->ini, 0, "vary", NULL, "missing section [vary] with at least one SECTION.KEY = values");
    }
    if (!ps->ini.err) {
        const char *slash = strrchr(path, '/');
        if (ps->base_rel[0] == '/' || !slash) {
            snprintf(c->base, sizeof c->base, "%s", ps->base_rel);
        } else {
            snprintf(c->base, sizeof c->base, "%.*s/%.*s", (int)(slash - path), path,
                     (int)(sizeof c->base - (size_t)(slash - path) - 2), ps->base_rel);
        }
    }
    rc = snf_ini_report(&ps->ini);
    free(ps);
    free(text);
    return rc;
}

/* ---- key substitution ---- */

/* The section name of a header line "[name]" (with optional comment), or NULL. */
static int snf_header(const char *l, size_t n, char *name, size_t cap)
{
    while (n > 0 && (*l == ' ' || *l == '\t')) {
        l++;
        n--;
    }
    if (n == 0 || *l != '[') {
        return 0;
    }
    const char *e = memchr(l, ']', n);
    if (!e || (size_t)(e - l - 1) >= cap) {
        return 0;
    }
    snprintf(name, cap, "%.*s", (int)(e - l - 1), l + 1);
    return 1;
}

/* 1 if the line sets `key` ("key = ..."). */
static int snf_sets(const char *l, size_t n, const char *key)
{
    while (n > 0 && (*l == ' ' || *l == '\t')) {
        l++;
        n--;
    }
    size_t k = strlen(key);
    if (n <= k || strncmp(l, key, k) != 0) {
        return 0;
    }
    l += k;
    n -= k;
    while (n > 0 && (*l == ' ' || *l == '\t')) {
        l++;
        n--;
    }
    return n > 0 && (*l == '=' || *l == ':');
}

char *snf_search_set_keys(const char *text, int n, char (*section)[64], char (*key)[64], const char **value)
{
    size_t cap = strlen(text) + 256 * (size_t)(n + 1) + 64;
    char *out = malloc(cap);
    if (!out) {
        return NULL;
    }
    int done[SNF_SEARCH_MAX_KEYS] = {0};
    char cur[128] = "";
    size_t k = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char name[128];
        int header = snf_header(p, len, name, sizeof name);
        if (header) {
            snprintf(cur, sizeof cur, "%s", name);
        }
        int skip = !strncmp(cur, "ablation.", 9);
        int replaced = 0;
        for (int i = 0; i < n && !header && !skip; i++) {
            if (!strcmp(cur, section[i]) && snf_sets(p, len, key[i])) {
                k += (size_t)snprintf(out + k, cap - k, "%s = %s\n", key[i], value[i]);
                done[i] = replaced = 1;
            }
        }
        if (!skip && !replaced) {
            memcpy(out + k, p, len);
            k += len;
            out[k++] = '\n';
        }
        if (header && !skip) { /* keys not in the file go right under their section's header */
            for (int i = 0; i < n; i++) {
                if (!done[i] && !strcmp(cur, section[i])) {
                    /* added here only if the section holds no line of the key (look ahead to the next header) */
                    const char *q = p + len;
                    int present = 0;
                    while (*q) {
                        q += *q == '\n';
                        size_t l2 = strcspn(q, "\n");
                        char nm[128];
                        if (snf_header(q, l2, nm, sizeof nm)) {
                            break;
                        }
                        present |= snf_sets(q, l2, key[i]);
                        q += l2;
                    }
                    if (!present) {
                        k += (size_t)snprintf(out + k, cap - k, "%s = %s\n", key[i], value[i]);
                        done[i] = 1;
                    }
                }
            }
        }
        p += len;
        p += *p == '\n';
    }
    for (int i = 0; i < n; i++) {
        if (!done[i]) {
            k += (size_t)snprintf(out + k, cap - k, "[%s]\n%s = %s\n", section[i], key[i], value[i]);
        }
    }
    out[k] = '\0';
    return out;
}

/* ---- run ---- */

/* Mean over folds of stage 2's best validation loss; the curriculum row's k-fold mean test MAPE. */
static int snf_trial_result(const char *dir, int folds, double *crit, double *mape)
{
    double s = 0;
    for (int f = 0; f < folds; f++) {
        char p[1400];
        snprintf(p, sizeof p, "%s/base/fold%d/stage2.h5", dir, f + 1);
        snf_ckpt ck;
        int rc = snf_ckpt_read(&ck, p);
        if (rc < 0) {
            return rc;
        }
        s += ck.es.best;
        snf_ckpt_free(&ck);
    }
    *crit = s / folds;
    char p[1300];
    snprintf(p, sizeof p, "%s/results.csv", dir);
    FILE *f = fopen(p, "r");
    if (!f) {
        SNF_ERROR(SNF_EIO, "cannot read %s", p);
    }
    char line[512];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        got |= sscanf(line, "curriculum,mean,%lf,%lf,%lf,%lf", &mape[0], &mape[1], &mape[2], &mape[3]) == 4;
    }
    fclose(f);
    if (!got) {
        SNF_ERROR(SNF_EFORMAT, "%s lacks the curriculum mean row", p);
    }
    return SNF_OK;
}

/* Trial t's values (vals[nkeys]) and its parsed config (SNF_EFORMAT naming the trial). */
static int snf_trial_config(const snf_search_config *c, const char *base, long code, long t, const char **vals,
                            char **text, snf_curr_config *cc)
{
    for (int i = 0; i < c->nkeys; i++) {
        vals[i] = c->value[i][code % c->nvalues[i]];
        code /= c->nvalues[i];
    }
    char (*sec)[64] = (char (*)[64])c->section, (*key)[64] = (char (*)[64])c->key;
    *text = snf_search_set_keys(base, c->nkeys, sec, key, vals);
    if (!*text) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    if (snf_curr_config_parse(cc, *text, c->base) < 0) { /* relative paths stay the base config's */
        free(*text);
        *text = NULL;
        SNF_ERROR(SNF_EFORMAT, "%s: trial %ld: %s", c->path, t + 1, snf_error_last_message());
    }
    return SNF_OK;
}

/* Runs one trial (config cc) into dir in this process. */
static int snf_trial_run(const snf_curr_config *cc, const char *dir, int threads, FILE *log)
{
    snf_curr_options o = {.out_dir = dir, .test_file = NULL, .threads = threads, .log = log};
    int stopped = 0;
    return snf_curr_run(cc, &o, &stopped);
}

/* The trials pending[n] (indices into order) in child processes, `jobs` at a time, threads split between
 * them; each child logs to its trial's search.log. SNF_EINVAL / SNF_EIO if a trial failed (after all
 * running ones ended). */
static int snf_trials_parallel(const snf_search_config *c, const char *base, const long *order, const long *pending,
                               long n, long nt, const char *out_dir, int threads, int jobs, FILE *log)
{
    int per = threads / jobs > 0 ? threads / jobs : 1, worst = 0;
    long next = 0, running = 0, failed = -1;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (!pids) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    fflush(NULL);
    while (next < n || running > 0) {
        if (next < n && running < jobs && worst == 0) {
            long t = pending[next++];
            char dir[1200];
            snprintf(dir, sizeof dir, "%s/trial%03ld", out_dir, t + 1);
            if (log) {
                fprintf(log, "snforge search: trial %ld/%ld (%d thread%s; log %s/search.log)\n", t + 1, nt, per,
                        per > 1 ? "s" : "", dir);
                fflush(log);
            }
            pid_t parent = getpid(), pid = fork();
            if (pid < 0) {
                worst = 1;
                failed = t;
                continue;
            }
            if (pid == 0) {
                snf_child_tie_to_parent(parent); /* a killed search takes its trials with it */
                snf_threads_setup(per);
                char lp[1300];
                snprintf(lp, sizeof lp, "%s/search.log", dir);
                FILE *tl = fopen(lp, "a");
                const char *vals[SNF_SEARCH_MAX_KEYS];
                char *text = NULL;
                snf_curr_config cc;
                int rc = snf_trial_config(c, base, order[t], t, vals, &text, &cc);
                if (rc >= 0) {
                    rc = snf_trial_run(&cc, dir, per, tl ? tl : stderr);
                    snf_curr_config_free(&cc);
                }
                free(text);
                if (rc < 0) {
                    fprintf(stderr, "snforge search: trial %ld: %s\n", t + 1, snf_error_last_message());
                    if (tl) {
                        fprintf(tl, "snforge search: trial %ld: %s\n", t + 1, snf_error_last_message());
                    }
                }
                if (tl) {
                    fclose(tl);
                }
                fflush(NULL);
                _exit(snf_status_exit_code(rc));
            }
            pids[next - 1] = pid;
            running++;
            continue;
        }
        int st = 0;
        pid_t w = wait(&st);
        if (w < 0) {
            break;
        }
        running--;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        for (long i = 0; i < next && log; i++) {
            if (pids[i] == w) {
                fprintf(log, "snforge search: trial %ld/%ld %s\n", pending[i] + 1, nt, code ? "failed" : "done");
                fflush(log);
            }
        }
        if (code != 0 && (worst == 0 || code == 2)) {
            worst = code;
        }
    }
    free(pids);
    if (worst) {
        if (failed >= 0) {
            SNF_ERROR(SNF_EIO, "cannot start trial %ld (fork failed)", failed + 1);
        }
        SNF_ERROR(worst == 2 ? SNF_EINVAL : SNF_EIO, "a trial failed (its message above and in its search.log)");
    }
    return SNF_OK;
}

int snf_search_run(const snf_search_config *c, const char *out_dir, int threads, int jobs, FILE *log)
{
    char *base = NULL, *csv = NULL;
    size_t blen = 0;
    long *order = NULL, *pending = NULL, npending = 0;
    int rc = snf_ini_file_read(&base, &blen, c->base, "curriculum config");
    if (rc < 0) {
        return errno == ENOENT ? SNF_EINVAL : rc;
    }
    long total = 1;
    for (int i = 0; i < c->nkeys; i++) {
        total *= c->nvalues[i];
    }
    long nt = c->random && c->trials < total ? c->trials : total;
    order = malloc((size_t)total * sizeof *order);
    pending = malloc((size_t)nt * sizeof *pending);
    csv = malloc(4096 + (size_t)nt * (200 + 64 * SNF_SEARCH_MAX_KEYS));
    if (!order || !pending || !csv) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    for (long i = 0; i < total; i++) {
        order[i] = i;
    }
    if (c->random) { /* a seeded draw of distinct combinations */
        snf_rng r = snf_rng_seed(c->seed * 0x9E3779B97F4A7C15ULL + 3);
        for (long i = 0; i < nt; i++) {
            long j = i + (long)(snf_rng_u64(&r) % (uint64_t)(total - i)), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        SNF_FAIL(SNF_EIO, "cannot create %s: %s", out_dir, strerror(errno));
    }
    if (jobs < 1) {
        jobs = 1;
    }
    /* Every trial's config first (a bad one fails before any training), then the unfinished trials. */
    for (long t = 0; t < nt && rc >= 0; t++) {
        const char *vals[SNF_SEARCH_MAX_KEYS];
        char *text = NULL, dir[1200], p[1400];
        snf_curr_config cc;
        if ((rc = snf_trial_config(c, base, order[t], t, vals, &text, &cc)) < 0) {
            goto cleanup;
        }
        snf_curr_config_free(&cc);
        snprintf(dir, sizeof dir, "%s/trial%03ld", out_dir, t + 1);
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            free(text);
            SNF_FAIL(SNF_EIO, "cannot create %s: %s", dir, strerror(errno));
        }
        snprintf(p, sizeof p, "%s/curriculum.ini", dir);
        if (snf_curr_exists(p)) {
            /* the trial's fingerprint is its whole config: a rerun with other values never relabels old trials */
            char *old = NULL;
            size_t olen = 0;
            rc = snf_text_slurp(p, "trial config", &old, &olen);
            if (rc >= 0 && strcmp(old, text) != 0) {
                rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                      "%s was run with another configuration than trial %ld of %s now (values or "
                                      "base config changed): remove %s or use another -o", dir, t + 1, c->path, out_dir);
            }
            free(old);
            if (rc < 0) {
                free(text);
                goto cleanup;
            }
        }
        rc = snf_curr_write_atomic(p, text);
        free(text);
        snprintf(p, sizeof p, "%s/results.csv", dir);
        if (!snf_curr_exists(p)) { /* a finished trial is not recomputed */
            pending[npending++] = t;
        }
    }
    if (rc < 0) {
        goto cleanup;
    }
    if (jobs > 1 && npending > 1) {
        rc = snf_trials_parallel(c, base, order, pending, npending, nt, out_dir, threads, jobs < npending ? jobs : (int)npending,
                                 log);
    } else {
        for (long i = 0; i < npending && rc >= 0; i++) {
            long t = pending[i];
            const char *vals[SNF_SEARCH_MAX_KEYS];
            char *text = NULL, dir[1200];
            snf_curr_config cc;
            if ((rc = snf_trial_config(c, base, order[t], t, vals, &text, &cc)) < 0) {
                break;
            }
            snprintf(dir, sizeof dir, "%s/trial%03ld", out_dir, t + 1);
            if (log) {
                fprintf(log, "snforge search: trial %ld/%ld\n", t + 1, nt);
            }
            rc = snf_trial_run(&cc, dir, threads, log);
            snf_curr_config_free(&cc);
            free(text);
        }
    }
    if (rc < 0) {
        goto cleanup;
    }
    size_t k = (size_t)sprintf(csv, "trial");
    for (int i = 0; i < c->nkeys; i++) {
        k += (size_t)sprintf(csv + k, ",%s.%s", c->section[i], c->key[i]);
    }
    k += (size_t)sprintf(csv + k, ",val_loss,test_mape_energy,test_mape_mass,test_mape_radius,test_mape_nickel\n");
    double best = INFINITY;
    long best_t = -1;
    for (long t = 0; t < nt; t++) {
        const char *vals[SNF_SEARCH_MAX_KEYS];
        char *text = NULL, dir[1200];
        snf_curr_config cc;
        if ((rc = snf_trial_config(c, base, order[t], t, vals, &text, &cc)) < 0) {
            goto cleanup;
        }
        free(text);
        snprintf(dir, sizeof dir, "%s/trial%03ld", out_dir, t + 1);
        double crit = NAN, m[4] = {NAN, NAN, NAN, NAN};
        /* the trial's results.csv is a user-facing table, not sealed: rewrite it from the trial's sealed fold
         * scores (a damaged fold is refused) before it is read, so a changed byte never reaches the ranking */
        snf_curr_options ro = {.out_dir = dir};
        rc = snf_curr_report(&cc, &ro);
        if (rc >= 0) {
            rc = snf_trial_result(dir, cc.folds, &crit, m);
        }
        snf_curr_config_free(&cc);
        if (rc < 0) {
            goto cleanup;
        }
        k += (size_t)sprintf(csv + k, "%ld", t + 1);
        for (int i = 0; i < c->nkeys; i++) {
            k += (size_t)sprintf(csv + k, ",%s", vals[i]);
        }
        k += (size_t)sprintf(csv + k, ",%.6g,%.4f,%.4f,%.4f,%.4f\n", crit, m[0], m[1], m[2], m[3]);
        if (crit < best) {
            best = crit;
            best_t = t + 1;
        }
    }
    char p[1300];
    snprintf(p, sizeof p, "%s/trials.csv", out_dir);
    rc = snf_curr_write_atomic(p, csv);
    if (rc >= 0 && log) {
        fprintf(log, "snforge search: %ld trials -> %s; best by the hydro validation loss (never the test models): "
                "trial %ld (%.5f), settings in %s/trial%03ld/curriculum.ini\n", nt, p, best_t, best, out_dir, best_t);
    }
cleanup:
    free(base);
    free(csv);
    free(order);
    free(pending);
    return rc;
}
