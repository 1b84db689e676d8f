/* resource.h: where the snforge program finds its scripts and data files, and which Python runs its plots.
 * Every subcommand that needs a file shipped with snforge (plot scripts, example configs, bundled data)
 * asks snf_resource_find for it by its path relative to the data folder, which is also its path in the
 * source tree (e.g. "validation/plot_compare.py", "infer/plot_parity.py"). */
#ifndef SNFORGE_CLI_RESOURCE_H
#define SNFORGE_CLI_RESOURCE_H

#include <stddef.h>

/* The environment variables a user sets (documented in README.md, "Installing"). */
#define SNF_ENV_DATA_DIR "SNFORGE_DATA_DIR" /* the data folder, instead of the installed one */
#define SNF_ENV_PYTHON "SNFORGE_PYTHON"     /* the interpreter for plot scripts */
#define SNF_DEFAULT_PYTHON "/usr/bin/python3" /* Debian's, which has python3-matplotlib */

/* Writes into buf (n bytes) the path of the data file REL and returns buf, or NULL when it does not exist
 * (or does not fit in buf). Looks, in this order:
 *   1. $SNFORGE_DATA_DIR/REL when SNFORGE_DATA_DIR is set and not empty (then only there);
 *   2. the installed data folder, <folder of the running program>/SNF_BIN_TO_DATA/REL
 *      (bin/../share/snforge: found from /proc/self/exe, so an installed tree may be moved);
 *   3. the source tree the program was built from, SNF_SOURCE_TREE/REL (builds that are not installed). */
const char *snf_resource_find(const char *rel, char *buf, size_t n);

/* One line naming where snf_resource_find looks for REL, for "not found" messages. */
void snf_resource_where(const char *rel, char *buf, size_t n);

/* The interpreter for plot scripts: $SNFORGE_PYTHON when set and not empty, else /usr/bin/python3. */
const char *snf_resource_python(void);

/* Runs PYTHON SCRIPT ARGS... (args NULL-terminated, at most 8) and waits for it. Returns its exit status
 * (0 success), -1 if PYTHON could not be started, -2 if it died from a signal. The standard streams are
 * the program's. */
int snf_resource_run_python(const char *python, const char *script, const char *const *args);

#endif
