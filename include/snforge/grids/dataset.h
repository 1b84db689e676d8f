/* grids/dataset.h: the dataset file (interfaces.md): /params, /time, /log_lbol, /vph, /status, /status_msg,
 * /derived/..., and the provenance attributes at the root. One layer for every writer (grid campaigns,
 * `snforge simulate -o x.h5`, the hydro importer) and every reader (the trainer, tools). Datasets are
 * chunked along N (chunk clamped to N), shuffle + deflate + fletcher32; every HDF5 call is checked and
 * a failure returns SNF_EHDF5 naming the file and dataset. HDF5 is not thread-safe: one thread at a
 * time may call into an snf_dataset. It does not compute models nor decide which rows to compute. */
#ifndef SNFORGE_GRIDS_DATASET_H
#define SNFORGE_GRIDS_DATASET_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdint.h>

#include "snforge/models.h" /* snf_lc_derived */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_DATASET_FORMAT "snforge-dataset"
#define SNF_DATASET_FORMAT_VERSION 1
#define SNF_DATASET_MSG_LEN 128 /* /status_msg: fixed-length strings, NUL-padded */

/* Provenance and storage options of a new file. Strings may be NULL (then omitted or empty). */
typedef struct snf_dataset_meta {
    const char *source;              /* "semi-analytic:<closure>", "hydro:<code>", "observed" */
    const char *const *param_names;  /* [P] column names, energy, mass, radius, nickel first */
    const char *const *param_units;  /* [P] units ("foe", "Msun", "cm", "Msun", ...) */
    const char *config_text;         /* the campaign file's text (or the command line) */
    const char *sampler;             /* "sobol", ... or "single" */
    uint64_t seed;
    int deflate;                     /* 0..9 */
    int chunk_rows;                  /* chunk along N; clamped to [1, N] */
    long row_offset;                 /* first global row in this file (shards; 0 otherwise) */
    long n_total;                    /* rows of the whole campaign (shards; 0 = this file's N) */
    const double *param_min;         /* [P] sampled range per column (/params attrs min, max, scale), */
    const double *param_max;         /*     what a trainer normalises with; NULL to omit */
    const char *const *param_scale;  /* [P] "linear" / "log"; NULL to omit */
} snf_dataset_meta;

/* One row-block of results, all arrays with n rows. Any pointer may be NULL for a reader that does not
 * want that dataset; writers give all but msg (NULL: empty messages) and derived (NULL: NaN). */
typedef struct snf_dataset_rows {
    double *params;          /* [n][P] */
    float *log_lbol;         /* [n][T] */
    float *vph;              /* [n][T] */
    int *status;             /* [n] */
    char *msg;               /* [n][SNF_DATASET_MSG_LEN] */
    snf_lc_derived *derived; /* [n] */
} snf_dataset_rows;

typedef struct snf_dataset snf_dataset; /* opaque: the open file and its datasets */

/* ---- create / open ---- */

/* Creates (truncating) path with N rows, P params, T times and every row pending: /status reads
 * SNF_STATUS_PENDING, the float datasets NaN, until written. Writes /time and all attributes except
 * `complete`. SNF_OK, SNF_EINVAL (shapes, times not strictly increasing), SNF_EHDF5. */
SNF_API int snf_dataset_create(snf_dataset **out, const char *path, const snf_dataset_meta *meta, long N, int P,
                       int T, const double *time_d);

/* Opens an existing file; writable = 1 to continue writing it (a campaign's .tmp), 0 to read. The file
 * is first read in a checking child process (h5io.h: a file that crashes or hangs libhdf5 is reported,
 * never crashes the program), then its layout is checked (interfaces.md): format and a known
 * format_version, the dtype and shape of every dataset, /time finite and strictly increasing, /params
 * names (one per column, non-empty, distinct). SNF_EINVAL if it does not exist, SNF_EIO if another
 * program holds it (HDF5 file lock) or it cannot be read, SNF_EFORMAT naming the file and what is wrong
 * (not HDF5, damaged, not an snforge dataset, layout). It does not require `complete`: readers of
 * finished files call snf_dataset_require_complete. */
SNF_API int snf_dataset_open(snf_dataset **out, const char *path, int writable);

/* Checks an open file (a campaign's .tmp before resuming it) against what snf_dataset_create would write
 * with meta, N, P, T and time_d: dims, every value of /time, every root attribute (format,
 * format_version, source, config, sampler, seed, row_offset, n_total; the free-text ones readable), the
 * units and description of every dataset, /params names, units, scale, min, max. SNF_OK, or SNF_EFORMAT
 * naming the first difference (the caller recomputes the file). */
SNF_API int snf_dataset_verify(snf_dataset *d, const snf_dataset_meta *meta, long N, int P, int T, const double *time_d);

/* SNF_EFORMAT "PATH is not marked complete ..." unless the root attribute complete is 1. */
SNF_API int snf_dataset_require_complete(snf_dataset *d);

/* ---- write ---- */

/* Writes rows row0 .. row0+n-1 (local rows of this file): data first, flushed to disk, then /status,
 * flushed: after a crash a row's status is only set if its data is on disk. */
SNF_API int snf_dataset_write_block(snf_dataset *d, long row0, long n, const snf_dataset_rows *rows);

/* Sets the root attribute complete = 1 (the last thing written to a file) and flushes. */
SNF_API int snf_dataset_mark_complete(snf_dataset *d);

/* An extra time series beside /log_lbol and /vph: /series/NAME float32 [N, T] (NaN where not defined) with
 * its units and description attributes, all N rows of y at once (a hydro run's T_eff, R_ph, Fe II 5169
 * velocity). NAME: 1-64 letters, digits or '_'. Readers that do not know a series ignore it. SNF_OK,
 * SNF_EINVAL (name, read-only file), SNF_EHDF5. */
SNF_API int snf_dataset_write_series(snf_dataset *d, const char *name, const char *units, const char *description,
                                     const float *y);

/* Reads /series/NAME into y[N * T]. SNF_EINVAL when the file has no such series, SNF_EFORMAT when its shape is
 * not [N, T]. */
SNF_API int snf_dataset_read_series(snf_dataset *d, const char *name, float *y);

/* For files written block by block (a hydro campaign): makes /series/NAME [N, T] filled with NaN, chunked by
 * chunk_rows (nothing if it exists: a resumed file), then rows row0 .. row0+n-1 of it from y[n * T]. */
SNF_API int snf_dataset_series_create(snf_dataset *d, const char *name, const char *units, const char *description,
                                      int chunk_rows, int deflate);
SNF_API int snf_dataset_series_write_rows(snf_dataset *d, const char *name, long row0, long n, const float *y);

/* One call for a small file: writes path.tmp with all N rows, marks it complete, closes, renames.
 * derived may be NULL (NaN). */
SNF_API int snf_dataset_write_rows(const char *path, const snf_dataset_meta *meta, int N, int P, int T,
                           const double *time_d, const double *params, const float *log_lbol,
                           const float *vph, const int *status, const snf_lc_derived *derived);

/* Builds path as one file whose datasets are HDF5 virtual datasets over the n complete shard files
 * (each made with row_offset/n_total; together they must cover [0, n_total) exactly). Shard paths are
 * stored relative to path's folder when they sit in it. Writes path.tmp, marks complete, renames. */
SNF_API int snf_dataset_join(const char *path, const char *const *shard_paths, int n);

/* ---- read ---- */

SNF_API void snf_dataset_dims(const snf_dataset *d, long *N, int *P, int *T);

/* Reads rows row0 .. row0+n-1 into the non-NULL members of rows. */
SNF_API int snf_dataset_read_rows(snf_dataset *d, long row0, long n, snf_dataset_rows *rows);

/* /time into time_d[T]. */
SNF_API int snf_dataset_read_time(snf_dataset *d, double *time_d);

/* A digest of what the dataset holds, not of its file's bytes: /time and every row's parameters, log L, v_ph
 * and status (64-bit FNV-1a, as 16 hex digits into hex[17]). Two imports of the same runs, or a rerun of the
 * same campaign, give the same digest though their files differ in creation times: what a resume
 * fingerprint needs. */
SNF_API int snf_dataset_digest(const char *path, char hex[17]);

/* Only /status (all N rows) into status[N]: what a campaign reads to resume. */
SNF_API int snf_dataset_read_status(snf_dataset *d, int *status);

/* A string attribute of the root (or of dataset obj, e.g. "/vph" for "units") into buf[n]; SNF_EFORMAT
 * if absent. String-list attributes (/params names) come back joined with ','. */
SNF_API int snf_dataset_attr_string(snf_dataset *d, const char *obj, const char *name, char *buf, size_t n);

/* An integer attribute of the root ("complete", "format_version", "seed", "row_offset", "n_total"). */
SNF_API int snf_dataset_attr_long(snf_dataset *d, const char *name, long *value);

/* 1 if the root attribute complete is set to 1, else 0. */
SNF_API int snf_dataset_is_complete(snf_dataset *d);

/* ---- close ---- */

/* Closes and frees (NULL is a no-op). SNF_EHDF5 if the final flush fails. */
SNF_API int snf_dataset_close(snf_dataset *d);

#ifdef __cplusplus
}
#endif

#endif
