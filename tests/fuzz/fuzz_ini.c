/* fuzz_ini.c: libFuzzer target for the INI readers: the campaign config (grids/config.c) and the training config
 * (train/train_config.c), both through core/ini.c. The input is NUL-terminated and given to both parsers; a
 * config that parses is freed. Any crash, leak or sanitizer report is a bug; error returns are expected. Built
 * by tests/test_files_fuzz.sh with clang -fsanitize=fuzzer,address,undefined, linked against the whole library
 * (the training config reaches the checkpoint and uncertainty code, hence HDF5), with the library's own error sink. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    snf_campaign c;
    if (snf_config_parse(&c, text, "fuzz.ini") == SNF_OK) {
        double *t = malloc((size_t)(c.T > 0 ? c.T : 1) * sizeof *t);
        if (t != NULL && c.T > 0 && c.T < 100000) {
            snf_config_times(&c, t);
        }
        free(t);
        snf_config_free(&c);
    }
    snf_train_config tc;
    if (snf_train_config_parse(&tc, text, "fuzz.ini") == SNF_OK) {
        snf_train_config_free(&tc);
    }
    free(text);
    return 0;
}
