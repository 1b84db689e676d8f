/* cli_util.c: option parsing and output helpers shared by the subcommands. */
#include "cli_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snforge/core.h"
#include "snforge/models.h"

const char *snf_cli_option_name(const struct option *opts, int val)
{
    static _Thread_local char buf[64];
    for (; opts->name; opts++) {
        if (opts->val == val) {
            snprintf(buf, sizeof buf, "--%s", opts->name);
            return buf;
        }
    }
    return "option";
}

int snf_cli_parse_double(const char *opt, const char *text, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        SNF_ERROR(SNF_EINVAL, "%s '%s' is not a finite number (expected e.g. 1.5 or 3e12)", opt, text);
    }
    *out = v;
    return SNF_OK;
}

int snf_cli_parse_physical(const char *opt, const char *key, const char *text, double *out)
{
    SNF_CHECK(snf_cli_parse_double(opt, text, out));
    return snf_param_plausible(key, opt, text, *out);
}

int snf_cli_parse_long(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "snforge %s: %s expects an integer in [%ld, %ld], got '%s'\n", cmd, opt, lo, hi, text);
        return 2;
    }
    *out = v;
    return 0;
}

int snf_cli_parse_threads(const char *cmd, const char *text, long *out)
{
    return snf_cli_parse_long(cmd, "--threads", text, 1, SNF_CLI_MAX_THREADS, out);
}

const char *snf_cli_outcome(const char *reason)
{
    if (strcmp(reason, "epochs") == 0) {
        return "finished all epochs";
    }
    if (strcmp(reason, "time budget") == 0) {
        return "stopped at the time budget";
    }
    if (strcmp(reason, "schedule") == 0) {
        return "finished the learning-rate schedule";
    }
    return "stopped early (validation loss)";
}

void snf_cli_getopt_start(void)
{
    optind = 1;
    opterr = 0;
}

int snf_cli_expect_operands(const char *cmd, int argc, int n, const char *what)
{
    if (argc - optind == n) {
        return 0;
    }
    fprintf(stderr, "snforge %s: expected %s, got %d argument%s (see snforge %s --help)\n", cmd, what, argc - optind,
            argc - optind == 1 ? "" : "s", cmd);
    return 2;
}

int snf_cli_parse_heating(const char *text, snf_heating *out) { return snf_heating_parse(text, out); }

int snf_cli_parse_gamma(const char *text, snf_gamma_mode *out) { return snf_gamma_parse(text, out); }

int snf_cli_bad_option(char **argv, const char *cmd)
{
    const char *arg = argv[optind - 1];
    if (optopt && optopt < 256) {
        if (strchr("o", optopt) && arg && arg[0] == '-' && arg[1] == optopt) {
            fprintf(stderr, "snforge %s: option -%c needs a value (see snforge %s --help)\n", cmd, optopt, cmd);
        } else {
            fprintf(stderr, "snforge %s: unknown option -%c (see snforge %s --help)\n", cmd, optopt, cmd);
        }
    } else if (arg && strncmp(arg, "--", 2) == 0 && optopt) {
        fprintf(stderr, "snforge %s: option %s needs a value (see snforge %s --help)\n", cmd, arg, cmd);
    } else {
        fprintf(stderr, "snforge %s: unknown option '%s' (see snforge %s --help)\n", cmd, arg ? arg : "?", cmd);
    }
    return 2;
}

int snf_cli_unknown_option(char **argv, const char *cmd)
{
    fprintf(stderr, "snforge %s: unknown option or missing value: '%s' (see snforge %s --help)\n", cmd,
            argv[optind - 1], cmd);
    return 2;
}

int snf_cli_check_output(const char *cmd, const char *path)
{
    char dir[4096];
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        n--;
    }
    if (n == 0 || n >= sizeof dir) {
        fprintf(stderr, "snforge %s: -o '%s': expected a path\n", cmd, path);
        return 2;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash) {
        return 0; /* the current folder */
    }
    slash[slash == dir] = '\0'; /* "/x": the root folder */
    struct stat st;
    const int found = stat(dir, &st) == 0;
    if (!found || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "snforge %s: -o %s: its folder %s %s\n", cmd, path, dir,
                !found ? "does not exist" : "is not a folder");
        return 2;
    }
    return 0;
}

int snf_cli_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int snf_cli_write_file_atomic(const char *path, int (*write)(const void *ctx, FILE *f, int arg),
                              const void *ctx, int arg)
{
    snf_output o; /* the one output owner: PATH.lock, PATH.tmp, fsync, rename; nothing left on failure */
    int rc = snf_output_begin(&o, path, 0);
    if (rc < 0) {
        return rc;
    }
    FILE *f = snf_output_open_file(&o, "file");
    if (!f) {
        snf_output_end(&o);
        return SNF_EIO;
    }
    snf_error_clear();
    errno = 0;
    rc = write(ctx, f, arg);
    if (rc < 0) {
        int e = errno ? errno : EIO;
        fclose(f);
        if (snf_error_last()[0] == '\0') { /* a writer that failed without a word: a failed fprintf */
            rc = snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "cannot write %s.tmp: %s", o.path,
                                  strerror(e));
        }
    } else {
        rc = snf_output_close_file(&o, f, "file");
    }
    if (rc >= 0) {
        rc = snf_output_commit(&o);
    }
    snf_output_end(&o);
    return rc;
}
