/* core/status.h: status codes, error reporting and library versions shared by every snforge module.
 * Codes follow CVODE's sign rule: 0 success, < 0 failure, > 0 information (a result with a warning).
 * The library never prints and never aborts: a failing call records "file:line func: message" in a
 * per-thread buffer (snf_error_last) and returns its code; the command line decides what to show.
 * It does not decide exit codes: snf_status_exit_code maps a status onto the CLI's 0/1/2 rule. */
#ifndef SNFORGE_CORE_STATUS_H
#define SNFORGE_CORE_STATUS_H

#include "snforge/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X-macro list: name, value, description. One list makes the enum and snf_strerror. */
#define SNF_STATUS_LIST(X)                                                         \
    X(SNF_OK, 0, "success")                                                        \
    X(SNF_WARN_FRONT_FLOOR, 1, "recombination front held at the x_floor setting")  \
    X(SNF_WARN_NO_PEAK, 2, "no luminosity maximum inside the time grid")           \
    X(SNF_ENOMEM, -1, "out of memory")                                             \
    X(SNF_EINVAL, -2, "invalid argument")                                          \
    X(SNF_EGSL, -3, "GSL failure")                                                 \
    X(SNF_ECVODE, -4, "CVODE failure")                                             \
    X(SNF_EHDF5, -5, "HDF5 failure")                                               \
    X(SNF_EIO, -6, "input/output failure")                                         \
    X(SNF_ENONFINITE, -7, "non-finite value")                                      \
    X(SNF_EFORMAT, -8, "malformed input file")                                     \
    X(SNF_EEXIST, -9, "output exists and is complete")                             \
    X(SNF_ENOTIMPL, -10, "not available in this build")                           \
    X(SNF_ENOLOCK, -11, "the file system does not support file locks")

typedef enum snf_status {
#define SNF_STATUS_ENUM(name, value, text) name = value,
    SNF_STATUS_LIST(SNF_STATUS_ENUM)
#undef SNF_STATUS_ENUM
} snf_status;

/* Campaign rows not yet computed carry this value in /status (interfaces.md). */
#define SNF_STATUS_PENDING (-100)

/* Description of a status code; never NULL ("unknown status" for codes not in the list). */
SNF_API const char *snf_strerror(int status);

/* Symbolic name of a status code ("SNF_EINVAL"); never NULL. */
SNF_API const char *snf_status_name(int status);

/* The command line's exit rule: 0 success, 2 the user's input is wrong (SNF_EINVAL, SNF_EFORMAT),
 * 1 any other failure. Positive (warning) codes count as success. */
SNF_API int snf_status_exit_code(int status);

/* Records "file:line func: message" as this thread's last error and returns status.
 * This is the single place every library error passes through (a breakpoint target). */
SNF_API int snf_error_report(int status, const char *file, int line, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* This thread's last error message ("" if none since snf_error_clear). */
SNF_API const char *snf_error_last(void);

/* The last message without its "file:line func: " location prefix, for users. */
SNF_API const char *snf_error_last_message(void);

SNF_API void snf_error_clear(void);

/* Versions of snforge and its libraries, one line ("snforge 0.1.0 (rev abc); GSL 2.7.1; ..."). */
SNF_API void snf_versions(char *buf, size_t n);

/* The one monotonic clock of snforge (CLOCK_MONOTONIC), in seconds from an arbitrary origin: wall times
 * and rates are differences of two readings. */
SNF_API double snf_clock_s(void);

/* Report an error here and return its code from the current function. */
#define SNF_ERROR(code, ...)                                                         \
    do {                                                                             \
        return snf_error_report((code), __FILE__, __LINE__, __func__, __VA_ARGS__); \
    } while (0)

/* Record an error, set rc and jump to the function's cleanup label. */
#define SNF_FAIL(code, ...)                                                        \
    do {                                                                           \
        rc = snf_error_report((code), __FILE__, __LINE__, __func__, __VA_ARGS__); \
        goto cleanup;                                                              \
    } while (0)

/* Propagate a failing status from a call (keeps the callee's message). */
#define SNF_CHECK(call)                   \
    do {                                  \
        int snf_check_rc_ = (call);       \
        if (snf_check_rc_ < 0) {          \
            return snf_check_rc_;         \
        }                                 \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif
