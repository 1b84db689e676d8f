/* core/h5io.h: the HDF5 calls every snforge file (datasets, models, checkpoints) goes through, so that a
 * damaged file is an error and never a crash.
 *
 * Writing: snf_h5_create_file makes files with library version bounds 1.8 .. 1.10 (superblock v2, object
 * headers v2 and v2 B-trees: every piece of metadata carries a checksum that the library verifies on
 * read) and never truncates an existing file in place (it is unlinked first, so a program still holding
 * the old file keeps its copy). Strings are written as fixed-length UTF-8 attributes (no global heap,
 * which has no checksum: a flipped byte there made libhdf5 1.10 read out of bounds). h5py reads them as
 * bytes: `.decode()` them.
 *
 * Reading: snf_h5_guard runs a check of the whole file in a child process first (fork; the child's
 * output is discarded). If libhdf5 crashes (any signal, or a sanitizer's exit) or hangs (over the
 * timeout) on the file, the child dies instead of the program and the file is reported as corrupt
 * (SNF_EFORMAT, exit 2). This also keeps files written before the change (variable-length strings,
 * superblock v0) readable: they are read as before once the child has read them without harm.
 * snf_h5_open_read opens a file read-only after telling a missing file (SNF_EINVAL), a file locked by
 * another program through HDF5's own file locking (SNF_EIO: never taken for corruption) and a file
 * that is not HDF5 or is damaged (SNF_EFORMAT) apart. */
#ifndef SNFORGE_CORE_H5IO_H
#define SNFORGE_CORE_H5IO_H

#include "snforge/export.h"

#include <stddef.h>

#include <hdf5.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Stops HDF5 printing its error stack on stderr: the library reports through snf_error_report. */
SNF_API void snf_h5_quiet(void);

/* HDF5's innermost error description (the current error stack), or "" if none. */
SNF_API void snf_h5_reason(char *buf, size_t n);

/* 1 if the current HDF5 error stack says a file could not be locked (another program has it open). */
SNF_API int snf_h5_lock_failed(void);

/* The message for a failed HDF5 file lock on path (the current error stack): SNF_ENOLOCK when the file
 * system has no locks (errno ENOLCK, ENOSYS, EOPNOTSUPP: named as such, with SNF_FILE_LOCKING=FALSE as the
 * way around), else SNF_EIO "path is open in another program". Returns the status. */
SNF_API int snf_h5_lock_error(const char *path, const char *reason);

/* A file access property list for every file snforge opens or creates: H5F_CLOSE_STRONG (a failed close
 * leaves no object behind for libhdf5's exit handler) and HDF5's file lock off when snf_file_locking()
 * says so. The caller closes it; < 0 on failure. */
SNF_API hid_t snf_h5_fapl(void);

/* A new file at path (an existing one is unlinked first, never truncated) with the version bounds above.
 * Returns the file id, or < 0 after reporting SNF_EHDF5 / SNF_EIO (with errno's text). */
SNF_API hid_t snf_h5_create_file(const char *path);

/* Opens path (read-only, or read-write if writable) into *out; what names the file's role in messages
 * ("model file"). SNF_OK, or SNF_EINVAL (missing), SNF_EIO (locked by another program through HDF5's
 * file locking, or unreadable), SNF_EFORMAT (not HDF5, or damaged) with *out = -1. */
SNF_API int snf_h5_open(hid_t *out, const char *path, int writable, const char *what);

/* Runs check(path, ctx) in a child process with a timeout of timeout_s seconds. SNF_OK if the check
 * succeeded; the check's own status and message if it failed cleanly (the caller then never reads the
 * file itself); SNF_EFORMAT "path: the WHAT is damaged: reading it crashed libhdf5 (signal) ..." if the
 * child crashed, exited through a sanitizer, or did not finish in time (libhdf5 looping, or allocating
 * and reading gigabytes for a damaged size). If the process cannot fork, SNF_OK (unguarded: the caller's
 * own read still checks everything). Set SNF_H5_NO_GUARD=1 in the environment to skip it. */
SNF_API int snf_h5_guard(const char *path, const char *what, int (*check)(const char *path, void *ctx), void *ctx,
                 int timeout_s);

/* Attributes: fixed-length UTF-8 strings and string lists, 64-bit integers, doubles. Each replaces an
 * attribute of the same name. SNF_EHDF5 naming file and attribute. */
SNF_API int snf_h5_attr_put_string(hid_t obj, const char *name, const char *value, const char *file);
SNF_API int snf_h5_attr_put_strings(hid_t obj, const char *name, const char *const *values, int n, const char *file);
SNF_API int snf_h5_attr_put_long(hid_t obj, const char *name, long long value, const char *file);
SNF_API int snf_h5_attr_put_doubles(hid_t obj, const char *name, const double *values, int n, const char *file);

/* Reads a string attribute (fixed or variable length; a list comes back joined with ',') into buf[n],
 * an integer (any integer or float class holding a whole number) or doubles (exactly count values).
 * SNF_EFORMAT naming file and attribute if absent, of the wrong class or shape. */
SNF_API int snf_h5_attr_get_string(hid_t obj, const char *name, char *buf, size_t n, const char *file);
SNF_API int snf_h5_attr_get_long(hid_t obj, const char *name, long long *value, const char *file);
SNF_API int snf_h5_attr_get_doubles(hid_t obj, const char *name, double *values, int count, const char *file);

/* Reads element k of a string-list attribute into buf[n]; SNF_EFORMAT if absent or k out of range. *count
 * (may be NULL) gets the list's length. */
SNF_API int snf_h5_attr_get_string_at(hid_t obj, const char *name, int k, char *buf, size_t n, int *count,
                              const char *file);

/* Checks dataset name under loc: rank, dims (0 = any), type class (H5T_FLOAT, H5T_INTEGER, H5T_STRING).
 * SNF_EFORMAT "file: /name: ..." naming what is wrong. dims_out (may be NULL) gets the dims. */
SNF_API int snf_h5_check_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, H5T_class_t cls,
                         hsize_t *dims_out, const char *file);

/* ---- whole fields of the model file (h5obj.c; the field table train/checkpoint_fields.c uses these) ---- */

/* Writes buf (memory type type) as attribute (attr 1; rows 0: a scalar) or dataset name of loc: rows values, or
 * rows x cols when cols > 0. A dataset that is not empty is one chunk with fletcher32 (a damaged value is a read
 * error, not a silent change). SNF_EHDF5 naming file and field. */
SNF_API int snf_h5_put(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols, int attr,
                       const char *file);
/* n strings as a fixed-length UTF-8 string dataset [n] (attr 0, as snf_h5_put) or attribute (attr 1). */
SNF_API int snf_h5_put_strings(hid_t loc, const char *name, const char *const *values, int n, int attr,
                               const char *file);
/* Reads attribute name of obj as type into val: exactly n values (0: one). SNF_EFORMAT naming it if missing
 * or of another count. */
SNF_API int snf_h5_get(hid_t obj, const char *name, hid_t type, void *val, hsize_t n, const char *file);
/* The dims of dataset name (of rank rank) into dims[rank]. SNF_EFORMAT if missing or of another rank. */
SNF_API int snf_h5_get_dims(hid_t loc, const char *name, int rank, hsize_t *dims, const char *file);
/* Reads dataset name as type (elements of elsize bytes) into a new buffer *buf (the caller frees it) of exactly
 * rows values, or rows x cols when cols > 0. SNF_EFORMAT if missing, of another shape, or unreadable. */
SNF_API int snf_h5_get_dset(hid_t loc, const char *name, hid_t type, size_t elsize, void **buf, hsize_t rows,
                            hsize_t cols, const char *file);
/* Reads the string dataset name [n] (fixed-length, or variable-length as files before the model format 2
 * wrote) into a new buffer *out of *count NUL-terminated strings *width bytes apart (the caller frees it). */
SNF_API int snf_h5_get_strings(hid_t loc, const char *name, char **out, size_t *width, hsize_t *count,
                               const char *file);

/* ---- datasets in rows, for the rooms that write HDF5 files ---- */

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
SNF_API hid_t snf_h5_create(hid_t loc, const char *file, const char *name, hid_t type, int rank, hsize_t N, hsize_t C,
                            hsize_t chunk_rows, int deflate, const void *fill);

/* Writes / reads rows row0 .. row0+n-1 of a rank-1 or rank-2 dataset (all columns) from / into buf. */
SNF_API int snf_h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, const void *buf, const char *file,
                              const char *name);
SNF_API int snf_h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, void *buf, const char *file,
                             const char *name);

/* Copies every attribute of src onto dst (same names, types, values). */
SNF_API int snf_h5_attr_copy_all(hid_t dst, hid_t src, const char *file);

#ifdef __cplusplus
}
#endif

#endif
