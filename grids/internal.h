/* internal.h: HDF5 helpers and the dataset file's internals shared by grids/ (not installed). Every helper checks its HDF5
 * calls and reports SNF_EHDF5 naming the file and object, with HDF5's own innermost reason appended. */
#ifndef SNFORGE_GRIDS_INTERNAL_H
#define SNFORGE_GRIDS_INTERNAL_H

#include <stddef.h>

#include <hdf5.h>

#include "snforge/h5.h"
#include "snforge/h5io.h"

/* Reports SNF_EHDF5 "file: name: what failed: HDF5's reason", sets rc and jumps to cleanup. */
#define SNF_H5_FAIL(file, name, what)                                                                   \
    do {                                                                                                \
        char reason_[256];                                                                              \
        snf_h5_reason(reason_, sizeof reason_);                                                         \
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: %s: %s failed%s%s", (file), \
                              (name), (what), reason_[0] ? ": " : "", reason_);                         \
        goto cleanup;                                                                                   \
    } while (0)

/* A dataset of rank 1 or 2 ([N] or [N, C]) chunked along N (chunk_rows clamped to [1, N]), with
 * shuffle + deflate (if level > 0) + fletcher32, and fill value fill (may be NULL). N = 0: contiguous,
 * no filters. Returns the dataset id, or < 0 after reporting. */
hid_t snf_h5_create(hid_t loc, const char *file, const char *name, hid_t type, int rank, hsize_t N, hsize_t C,
                    hsize_t chunk_rows, int deflate, const void *fill);

/* Writes / reads rows row0 .. row0+n-1 of a rank-1 or rank-2 dataset (all columns) from / into buf. */
int snf_h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, const void *buf, const char *file,
                      const char *name);
int snf_h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, void *buf, const char *file,
                     const char *name);

/* Copies every attribute of src onto dst (same names, types, values). */
int snf_h5_attr_copy_all(hid_t dst, hid_t src, const char *file);

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

#endif
