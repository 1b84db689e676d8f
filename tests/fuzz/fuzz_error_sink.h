/* fuzz_error_sink.h: the library's error reporting for fuzz targets, a working copy of core/status.c's four
 * calls (status.c pulls in HDF5 and BLAS; the parsers need only these). Included once by each target. */
#ifndef SNFORGE_FUZZ_ERROR_SINK_H
#define SNFORGE_FUZZ_ERROR_SINK_H

#include <stdarg.h>
#include <stdio.h>

#include "snforge/core.h"

static char snf_fuzz_msg[1024];

int snf_error_report(int status, const char *file, int line, const char *func, const char *fmt, ...)
{
    char buf[sizeof snf_fuzz_msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap); /* formats every argument: a bad %s or a stale pointer is caught */
    va_end(ap);
    snprintf(snf_fuzz_msg, sizeof snf_fuzz_msg, "%s", buf);
    (void)file;
    (void)line;
    (void)func;
    return status;
}

void snf_error_clear(void) { snf_fuzz_msg[0] = '\0'; }
const char *snf_error_last_message(void) { return snf_fuzz_msg; }
const char *snf_error_last(void) { return snf_fuzz_msg; }

#endif
