/* fuzz_columns.c: libFuzzer target for the column parser (grids/hydro/hydro_table.c, grids/hydro/import_columns.c):
 * the input is split at the first "\n---\n" into a columns config (INI) and a data table; both are parsed, and a
 * table that parses is applied through the config (or the default spec). Any crash, leak or sanitizer report
 * is a bug; error returns are expected. Built by tests/test_hydro_fuzz.sh with clang -fsanitize=fuzzer,address. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/core.h"

/* The library's error sink (core/status.c pulls in HDF5 and BLAS; the parser needs only this). */
int snf_error_report(int status, const char *file, int line, const char *func, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)file;
    (void)line;
    (void)func;
    return status;
}

void snf_error_clear(void) {}
const char *snf_error_last_message(void) { return ""; }
const char *snf_error_last(void) { return ""; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    const char *sep = NULL;
    for (size_t i = 0; i + 5 <= size; i++) {
        if (memcmp(buf + i, "\n---\n", 5) == 0) {
            sep = buf + i;
            break;
        }
    }
    snf_columns_spec spec = snf_columns_spec_default();
    const char *table = buf;
    size_t tlen = size;
    if (sep) {
        size_t clen = (size_t)(sep - buf);
        if (snf_columns_config_parse(&spec, "fuzz.ini", buf, clen) < 0) {
            spec = snf_columns_spec_default();
        }
        table = sep + 5;
        tlen = size - clen - 5;
    }
    snf_hydro_table t;
    if (snf_hydro_table_parse(&t, "fuzz.dat", table, tlen, &spec.table) == SNF_OK) {
        snf_hydro_run r;
        if (snf_columns_apply(&r, &t, "fuzz.dat", &spec) == SNF_OK) {
            double grid[16];
            float out[16];
            for (int k = 0; k < 16; k++) {
                grid[k] = -5.0 + 3.0 * k;
            }
            snf_hydro_resample(out, &r.L, 1, grid, 16);
            if (r.v.n > 0) {
                snf_hydro_resample(out, &r.v, 0, grid, 16);
            }
            snf_hydro_run_free(&r);
        }
        snf_hydro_table_free(&t);
    }
    return 0;
}
