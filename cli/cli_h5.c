/* cli_h5.c: one-row dataset files for `snforge simulate -o x.h5`. */
#include "cli_util.h"
#include "snforge/status.h"

int snf_cli_write_one_row(const char *path, const snf_sn_params *p, const snf_physics *ph, const double *t,
                          int T, const double *L, const double *v, int status, const snf_lc_derived *d)
{
    (void)p; (void)ph; (void)t; (void)T; (void)L; (void)v; (void)status; (void)d;
    SNF_ERROR(SNF_ENOTIMPL, "writing '%s': the dataset writer is not built yet", path);
}
