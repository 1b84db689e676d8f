/* internal.h: the HDF5 helpers of core/ shared by the rooms that write HDF5 files (not installed): every
 * helper checks its HDF5 calls and reports SNF_EHDF5 naming the file and object, with HDF5's own
 * innermost reason appended. */
#ifndef SNFORGE_CORE_INTERNAL_H
#define SNFORGE_CORE_INTERNAL_H

#include <stddef.h>

#include <sys/types.h>

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

/* ---- child processes (child.c) ---- */

/* In a child just forked by process `parent`: SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG), and exit
 * at once if it has died already (ensemble members, search trials). */
void snf_child_tie_to_parent(pid_t parent);

#endif
