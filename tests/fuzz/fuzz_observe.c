/* fuzz_observe.c: libFuzzer target for the observation reader (train/observe_read.c over core/fileio.c): the input
 * is an observation file; one that parses is resampled onto a grid by train/observe_grid.c (every row's series
 * order is relied on there). Any crash, leak or sanitizer report is a bug; error returns are expected. Built by
 * tests/test_files_fuzz.sh with clang -fsanitize=fuzzer,address,undefined. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_error_sink.h"
#include "snforge/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    snf_obs o;
    if (snf_obs_parse(&o, "fuzz.csv", (const char *)data, size) == SNF_OK) {
        snf_data_spec s = {.channels = SNF_CH_BOTH, .mask = 1, .L = 32, .t_start_d = 0, .t_end_d = 400};
        float lg[32], vg[32];
        snf_obs_resample(&o, &s, lg, vg);
        for (long i = 1; i < o.n; i++) {
            if (o.t_d[i] < o.t_d[i - 1]) {
                __builtin_trap(); /* the documented order: rows sorted by time */
            }
        }
        snf_obs_free(&o);
    }
    return 0;
}
