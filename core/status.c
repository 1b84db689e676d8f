/* status.c: status names, the per-thread error buffer, library versions, the monotonic clock. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "snforge/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <sundials/sundials_config.h>

#include "snforge/version.h"

/* ---- error buffer ---- */

/* Per-thread: grid threads report failures of their own points without racing. */
static _Thread_local char snf_last_error[1024];
static _Thread_local size_t snf_last_error_loc; /* length of the "file:line func: " prefix */

int snf_error_report(int status, const char *file, int line, const char *func, const char *fmt, ...)
{
    /* Formatted into a local buffer first: an argument may be snf_error_last_message() itself (a caller
     * wrapping the previous error), which must not be overwritten while it is read. */
    char msg[sizeof snf_last_error];
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    int n = snprintf(msg, sizeof msg, "%s:%d %s: ", base, line, func);
    if (n < 0 || (size_t)n >= sizeof msg) {
        n = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    memcpy(snf_last_error, msg, sizeof msg);
    snf_last_error_loc = (size_t)n;
    return status;
}

const char *snf_error_last(void) { return snf_last_error; }

const char *snf_error_last_message(void)
{
    size_t len = strlen(snf_last_error);
    return snf_last_error + (snf_last_error_loc <= len ? snf_last_error_loc : 0);
}

void snf_error_clear(void)
{
    snf_last_error[0] = '\0';
    snf_last_error_loc = 0;
}

/* ---- names ---- */

const char *snf_strerror(int status)
{
    switch (status) {
#define SNF_STATUS_TEXT(name, value, text) \
    case value:                            \
        return text;
        SNF_STATUS_LIST(SNF_STATUS_TEXT)
#undef SNF_STATUS_TEXT
    case SNF_STATUS_PENDING:
        return "not yet computed";
    default:
        return "unknown status";
    }
}

const char *snf_status_name(int status)
{
    switch (status) {
#define SNF_STATUS_NAME(name, value, text) \
    case value:                            \
        return #name;
        SNF_STATUS_LIST(SNF_STATUS_NAME)
#undef SNF_STATUS_NAME
    case SNF_STATUS_PENDING:
        return "SNF_STATUS_PENDING";
    default:
        return "SNF_UNKNOWN";
    }
}

int snf_status_exit_code(int status)
{
    if (status >= 0) {
        return 0;
    }
    return (status == SNF_EINVAL || status == SNF_EFORMAT) ? 2 : 1;
}

void snf_versions(char *buf, size_t n)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, n, "snforge %s (rev %s, %s, %s); GSL %s; SUNDIALS %s; HDF5 %u.%u.%u; %s",
             SNF_VERSION_STRING, SNF_GIT_REVISION, SNF_C_COMPILER, SNF_BUILD_TYPE, GSL_VERSION,
             SUNDIALS_VERSION, maj, min, rel, openblas_get_config());
}

/* ---- clock ---- */

double snf_clock_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
