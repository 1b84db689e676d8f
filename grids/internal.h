/* internal.h: the dataset file's and the campaign runner's internals shared by grids/ (not installed); the
 * HDF5 helpers they use are core/'s (core/internal.h). */
#ifndef SNFORGE_GRIDS_INTERNAL_H
#define SNFORGE_GRIDS_INTERNAL_H

#include <stddef.h>

#include <hdf5.h>

#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/models.h"

/* ---- the dataset file's internals (dataset.c, join.c) ---- */

#define SNF_N_DERIVED 6

/* The row datasets, in the order they are created, written and joined (status last). */
enum { D_PARAMS, D_LOG_LBOL, D_VPH, D_STATUS_MSG, D_DERIVED0, D_STATUS = D_DERIVED0 + SNF_N_DERIVED, D_COUNT };

struct snf_dataset {
    char path[1024];
    hid_t file;
    hid_t msgtype; /* fixed-length string of SNF_DATASET_MSG_LEN */
    hid_t d[D_COUNT];
    hid_t time;
    long N;
    int P, T;
    int writable;
};

/* "params", "log_lbol", ..., "derived/t_peak_d", ..., "status" for dataset index k. */
const char *snf_ds_name(int k);

/* Units and description of row dataset k (D_PARAMS: description only), as written and verified. */
void snf_ds_units_desc(int k, const char **units, const char **desc);

/* Opens every row dataset and /time of d->file and reads N, P, T from /log_lbol and /params. */
int snf_ds_open_members(snf_dataset *d);

/* An empty snf_dataset for path (all ids -1, the message string type made); NULL if out of memory. */
snf_dataset *snf_ds_new(const char *path);

/* ---- the campaign runner's internals (grid.c, grid_shard.c) ---- */

struct snf_campaign;
/* 1 if the file's stored campaign text equals c's, 0 if not, < 0 on a read failure. */
int snf_grid_same_campaign(snf_dataset *d, const struct snf_campaign *c);

/* ---- model = hydro rows (grid_hydro.c) ---- */

/* The extra series a hydro row stores (/series/NAME [N, T]), in the order of a row's series buffer. */
#define SNF_GRID_HYDRO_NSERIES 4
typedef struct snf_grid_series_def {
    const char *name, *units, *description;
} snf_grid_series_def;
extern const snf_grid_series_def snf_grid_hydro_series[SNF_GRID_HYDRO_NSERIES];

/* What every hydro row reads and nobody writes: the OPAL tables and SNEC's grid pattern. */
struct snf_rhd_opal;
typedef struct snf_grid_hydro {
    struct snf_rhd_opal *opal;
    double *pattern;
    int npat;
} snf_grid_hydro;

/* Reads DIR/codataa ... codatae and DIR/GridPattern.dat. */
int snf_grid_hydro_load(snf_grid_hydro *h, const char *tables);
void snf_grid_hydro_free(snf_grid_hydro *h);

/* One row x[P]: builds the progenitor, runs it, resamples onto t_days[T]: log10 L, v_ph [km/s], the series
 * [SNF_GRID_HYDRO_NSERIES][T], status (0 or the failure's, with "STATUS: message"), the derived peak. */
struct snf_campaign;
void snf_grid_hydro_row(const struct snf_campaign *c, const snf_grid_hydro *h, const double *t_days, const double *x,
                        float *log_lbol, float *vph, float *series, int *status, char *msg, snf_lc_derived *der);

#endif
