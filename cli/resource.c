#define _POSIX_C_SOURCE 200809L /* posix_spawn, readlink */
/* resource.c: the one resource finder of the snforge program (see resource.h). */
#include "resource.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SNF_BIN_TO_DATA
#define SNF_BIN_TO_DATA "../share/snforge"
#endif
#ifndef SNF_SOURCE_TREE
#define SNF_SOURCE_TREE "."
#endif

extern char **environ;

/* The folder of the running program (no trailing slash); 0 on success. */
static int snf_program_dir(char *buf, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", buf, n - 1);
    if (k <= 0 || (size_t)k >= n - 1) {
        return -1;
    }
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) {
        return -1;
    }
    *slash = '\0';
    return 0;
}

/* Writes "DIR/REL" into buf; 1 if it fits and the file is readable. */
static int snf_try(const char *dir, const char *rel, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/%s", dir, rel);
    return w > 0 && (size_t)w < n && access(buf, R_OK) == 0;
}

const char *snf_resource_find(const char *rel, char *buf, size_t n)
{
    const char *env = getenv(SNF_ENV_DATA_DIR);
    if (env && *env) {
        return snf_try(env, rel, buf, n) ? buf : NULL;
    }
    char dir[4096];
    if (snf_program_dir(dir, sizeof dir) == 0) {
        size_t len = strlen(dir);
        int w = snprintf(dir + len, sizeof dir - len, "/%s", SNF_BIN_TO_DATA);
        if (w > 0 && (size_t)w < sizeof dir - len && snf_try(dir, rel, buf, n)) {
            return buf;
        }
    }
    return snf_try(SNF_SOURCE_TREE, rel, buf, n) ? buf : NULL;
}

void snf_resource_where(const char *rel, char *buf, size_t n)
{
    const char *env = getenv(SNF_ENV_DATA_DIR);
    if (env && *env) {
        snprintf(buf, n, "%s not found in $%s (%s)", rel, SNF_ENV_DATA_DIR, env);
    } else {
        snprintf(buf, n, "%s not found in the installed data folder (<bin>/%s) nor in the source tree %s; set %s",
                 rel, SNF_BIN_TO_DATA, SNF_SOURCE_TREE, SNF_ENV_DATA_DIR);
    }
}

const char *snf_resource_python(void)
{
    const char *env = getenv(SNF_ENV_PYTHON);
    return env && *env ? env : SNF_DEFAULT_PYTHON;
}

int snf_resource_run_python(const char *python, const char *script, const char *const *args)
{
    char *argv[11];
    int k = 0;
    argv[k++] = (char *)(size_t)python; /* posix_spawn takes char *const argv[] and does not write them */
    argv[k++] = (char *)(size_t)script;
    for (int i = 0; args && args[i] && k < 10; i++) {
        argv[k++] = (char *)(size_t)args[i];
    }
    argv[k] = NULL;
    pid_t pid;
    if (posix_spawn(&pid, python, NULL, NULL, argv, environ) != 0) {
        return -1;
    }
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st)) {
        return -2;
    }
    return WEXITSTATUS(st);
}
