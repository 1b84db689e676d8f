#define _POSIX_C_SOURCE 200809L /* strdup, gmtime_r */
/* dataset.c: the snforge dataset file (interfaces.md) on top of core/h5.c: create with every row
 * pending, open, write row blocks (data, flush, then status, flush), mark complete, one-call small
 * files, and the block reader the trainer uses. Joins of shards: join.c. */
#include "snforge/grids.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "snforge/core.h"
#include "snforge/version.h"

/* ---- types ---- */

static const struct {
    const char *name;
    const char *units;
    size_t off;
    const char *description;
} snf_derived_defs[SNF_N_DERIVED] = {
    {"t_peak_d", "d", offsetof(snf_lc_derived, t_peak_d), "day of the luminosity maximum"},
    {"log_lpeak", "log10(erg/s)", offsetof(snf_lc_derived, log_lpeak), "log10 of the maximum luminosity"},
    {"t_plateau_end_d", "d", offsetof(snf_lc_derived, t_plateau_end_d), "end of the plateau: steepest decline after the peak"},
    {"t_front_end_d", "d", offsetof(snf_lc_derived, t_front_end_d), "day the recombination front is gone"},
    {"e_rad_erg", "erg", offsetof(snf_lc_derived, e_rad_erg), "radiated energy over the time grid"},
    {"e_rec_erg", "erg", offsetof(snf_lc_derived, e_rec_erg), "recombination energy released by the end of the grid"},
};

/* ---- helpers (shared with join.c through internal.h) ---- */

const char *snf_ds_name(int k)
{
    static const char *names[D_COUNT] = {
        [D_PARAMS] = "params", [D_LOG_LBOL] = "log_lbol", [D_VPH] = "vph", [D_STATUS_MSG] = "status_msg",
        [D_DERIVED0 + 0] = "derived/t_peak_d", [D_DERIVED0 + 1] = "derived/log_lpeak",
        [D_DERIVED0 + 2] = "derived/t_plateau_end_d", [D_DERIVED0 + 3] = "derived/t_front_end_d",
        [D_DERIVED0 + 4] = "derived/e_rad_erg", [D_DERIVED0 + 5] = "derived/e_rec_erg",
        [D_STATUS] = "status",
    };
    return names[k];
}

/* Memory type of dataset k. */
static hid_t snf_ds_memtype(const snf_dataset *d, int k)
{
    switch (k) {
    case D_LOG_LBOL:
    case D_VPH: return H5T_NATIVE_FLOAT;
    case D_STATUS: return H5T_NATIVE_INT;
    case D_STATUS_MSG: return d->msgtype;
    default: return H5T_NATIVE_DOUBLE;
    }
}

static hid_t snf_msg_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, SNF_DATASET_MSG_LEN) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

snf_dataset *snf_ds_new(const char *path)
{
    snf_dataset *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return NULL;
    }
    snprintf(d->path, sizeof d->path, "%s", path);
    d->file = -1;
    d->time = -1;
    for (int k = 0; k < D_COUNT; k++) {
        d->d[k] = -1;
    }
    d->msgtype = snf_msg_type();
    if (d->msgtype < 0) {
        free(d);
        return NULL;
    }
    return d;
}

/* Units and description of row dataset k (D_PARAMS: description only). */
void snf_ds_units_desc(int k, const char **units, const char **desc)
{
    switch (k) {
    case D_PARAMS: *units = ""; *desc = "model parameters, one row a model (columns: names)"; break;
    case D_LOG_LBOL: *units = "log10(erg/s)"; *desc = "log10 of the bolometric luminosity; NaN where not defined"; break;
    case D_VPH: *units = "km/s"; *desc = "photospheric velocity; NaN where there is no photosphere"; break;
    case D_STATUS: *units = "1"; *desc = "0 computed, > 0 with a warning, < 0 failed (see status_msg), -100 pending"; break;
    case D_STATUS_MSG: *units = "1"; *desc = "message of a failed or warned model, empty otherwise"; break;
    default:
        *units = snf_derived_defs[k - D_DERIVED0].units;
        *desc = snf_derived_defs[k - D_DERIVED0].description;
        break;
    }
}

/* The per-dataset attributes: units and description (and names/units lists on /params). */
static int snf_ds_attrs(const snf_dataset *d, hid_t obj, int k, const snf_dataset_meta *meta)
{
    const char *units = "", *desc = "";
    snf_ds_units_desc(k, &units, &desc);
    switch (k) {
    case D_PARAMS:
        if (meta && meta->param_names && meta->param_units) {
            SNF_CHECK(snf_h5_attr_put_strings(obj, "names", meta->param_names, d->P, d->path));
            SNF_CHECK(snf_h5_attr_put_strings(obj, "units", meta->param_units, d->P, d->path));
        }
        if (meta && meta->param_min && meta->param_max) {
            SNF_CHECK(snf_h5_attr_put_doubles(obj, "min", meta->param_min, d->P, d->path));
            SNF_CHECK(snf_h5_attr_put_doubles(obj, "max", meta->param_max, d->P, d->path));
        }
        if (meta && meta->param_scale) {
            SNF_CHECK(snf_h5_attr_put_strings(obj, "scale", meta->param_scale, d->P, d->path));
        }
        return snf_h5_attr_put_string(obj, "description", desc, d->path);
    default: break;
    }
    SNF_CHECK(snf_h5_attr_put_string(obj, "units", units, d->path));
    return snf_h5_attr_put_string(obj, "description", desc, d->path);
}

static int snf_ds_root_attrs(snf_dataset *d, const snf_dataset_meta *meta, long N)
{
    char created[32], versions[512];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    snf_versions(versions, sizeof versions);
    hid_t r = d->file;
    SNF_CHECK(snf_h5_attr_put_string(r, "format", SNF_DATASET_FORMAT, d->path));
    SNF_CHECK(snf_h5_attr_put_long(r, "format_version", SNF_DATASET_FORMAT_VERSION, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "source", meta->source, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "config", meta->config_text, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "sampler", meta->sampler, d->path));
    SNF_CHECK(snf_h5_attr_put_long(r, "seed", (long long)meta->seed, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "code_revision", SNF_GIT_REVISION, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "library_versions", versions, d->path));
    SNF_CHECK(snf_h5_attr_put_string(r, "created", created, d->path));
    SNF_CHECK(snf_h5_attr_put_long(r, "row_offset", meta->row_offset, d->path));
    return snf_h5_attr_put_long(r, "n_total", meta->n_total > 0 ? meta->n_total : N, d->path);
}

int snf_ds_open_members(snf_dataset *d)
{
    int rc = SNF_OK;
    for (int k = 0; k < D_COUNT; k++) {
        d->d[k] = H5Dopen2(d->file, snf_ds_name(k), H5P_DEFAULT);
        if (d->d[k] < 0) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: no dataset /%s", d->path, snf_ds_name(k));
            return rc;
        }
    }
    d->time = H5Dopen2(d->file, "time", H5P_DEFAULT);
    if (d->time < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: no dataset /time", d->path);
    }
    hsize_t dims[2] = {0, 0};
    hid_t s = H5Dget_space(d->d[D_LOG_LBOL]);
    int r = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    if (s >= 0) {
        H5Sclose(s);
    }
    if (r != 2) {
        SNF_ERROR(SNF_EFORMAT, "%s: /log_lbol is not [N, T]", d->path);
    }
    d->N = (long)dims[0];
    d->T = (int)dims[1];
    s = H5Dget_space(d->d[D_PARAMS]);
    r = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    if (s >= 0) {
        H5Sclose(s);
    }
    if (r != 2 || (long)dims[0] != d->N) {
        SNF_ERROR(SNF_EFORMAT, "%s: /params is not [N, P] with the N of /log_lbol", d->path);
    }
    d->P = (int)dims[1];
    return SNF_OK;
}

/* ---- create / open ---- */

int snf_dataset_create(snf_dataset **out, const char *path, const snf_dataset_meta *meta, long N, int P, int T,
                       const double *time_d)
{
    *out = NULL;
    if (N < 0 || P < 1 || T < 1 || time_d == NULL) {
        SNF_ERROR(SNF_EINVAL, "%s: bad shape N = %ld, P = %d, T = %d", path, N, P, T);
    }
    for (int k = 1; k < T; k++) {
        if (!(time_d[k] > time_d[k - 1])) {
            SNF_ERROR(SNF_EINVAL, "%s: times not strictly increasing at index %d (%g after %g)", path, k, time_d[k],
                      time_d[k - 1]);
        }
    }
    snf_h5_quiet();
    int rc = SNF_OK;
    snf_dataset *d = snf_ds_new(path);
    if (d == NULL) {
        SNF_ERROR(SNF_ENOMEM, "%s: out of memory", path);
    }
    d->N = N;
    d->P = P;
    d->T = T;
    d->writable = 1;
    d->file = snf_h5_create_file(path);
    if (d->file < 0) {
        rc = SNF_EHDF5;
        goto cleanup;
    }
    const float fnan = NAN;
    const double dnan = NAN;
    const int pending = SNF_STATUS_PENDING;
    hsize_t chunk = (hsize_t)(meta->chunk_rows > 0 ? meta->chunk_rows : 256);
    for (int k = 0; k < D_COUNT; k++) {
        int rank = (k == D_PARAMS || k == D_LOG_LBOL || k == D_VPH) ? 2 : 1;
        hsize_t C = k == D_PARAMS ? (hsize_t)P : (hsize_t)T;
        const void *fill = k == D_STATUS ? (const void *)&pending
                         : (k == D_LOG_LBOL || k == D_VPH) ? (const void *)&fnan
                         : k == D_STATUS_MSG ? NULL : (const void *)&dnan;
        hid_t ftype = k == D_STATUS ? H5T_STD_I32LE
                    : (k == D_LOG_LBOL || k == D_VPH) ? H5T_IEEE_F32LE
                    : k == D_STATUS_MSG ? d->msgtype : H5T_IEEE_F64LE;
        d->d[k] = snf_h5_create(d->file, path, snf_ds_name(k), ftype, rank, (hsize_t)N, C, chunk, meta->deflate, fill);
        if (d->d[k] < 0) {
            rc = SNF_EHDF5;
            goto cleanup;
        }
        rc = snf_ds_attrs(d, d->d[k], k, meta);
        if (rc < 0) {
            goto cleanup;
        }
    }
    d->time = snf_h5_create(d->file, path, "time", H5T_IEEE_F64LE, 1, (hsize_t)T, 1, (hsize_t)T, meta->deflate, NULL);
    if (d->time < 0) {
        rc = SNF_EHDF5;
        goto cleanup;
    }
    if ((rc = snf_h5_write_rows(d->time, H5T_NATIVE_DOUBLE, 0, (hsize_t)T, time_d, path, "time")) < 0 ||
        (rc = snf_h5_attr_put_string(d->time, "units", "d", path)) < 0 ||
        (rc = snf_h5_attr_put_string(d->time, "description", "days since explosion", path)) < 0 ||
        (rc = snf_ds_root_attrs(d, meta, N)) < 0) {
        goto cleanup;
    }
    if (H5Fflush(d->file, H5F_SCOPE_LOCAL) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: H5Fflush failed", path);
        goto cleanup;
    }
    *out = d;
    return SNF_OK;
cleanup:
    snf_dataset_close(d);
    return rc;
}

/* ---- write ---- */

static int snf_ds_flush(snf_dataset *d)
{
    if (H5Fflush(d->file, H5F_SCOPE_LOCAL) < 0) {
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        SNF_ERROR(SNF_EHDF5, "%s: H5Fflush failed: %s", d->path, reason);
    }
    return SNF_OK;
}

int snf_dataset_write_block(snf_dataset *d, long row0, long n, const snf_dataset_rows *rows)
{
    if (!d->writable) {
        SNF_ERROR(SNF_EINVAL, "%s: opened read-only", d->path);
    }
    if (row0 < 0 || n < 0 || row0 + n > d->N || rows->params == NULL || rows->log_lbol == NULL ||
        rows->vph == NULL || rows->status == NULL) {
        SNF_ERROR(SNF_EINVAL, "%s: bad block rows %ld + %ld of %ld (params, log_lbol, vph, status needed)", d->path,
                  row0, n, d->N);
    }
    if (n == 0) {
        return SNF_OK;
    }
    hsize_t r0 = (hsize_t)row0, nn = (hsize_t)n;
    SNF_CHECK(snf_h5_write_rows(d->d[D_PARAMS], H5T_NATIVE_DOUBLE, r0, nn, rows->params, d->path, "params"));
    SNF_CHECK(snf_h5_write_rows(d->d[D_LOG_LBOL], H5T_NATIVE_FLOAT, r0, nn, rows->log_lbol, d->path, "log_lbol"));
    SNF_CHECK(snf_h5_write_rows(d->d[D_VPH], H5T_NATIVE_FLOAT, r0, nn, rows->vph, d->path, "vph"));
    if (rows->msg != NULL) {
        SNF_CHECK(snf_h5_write_rows(d->d[D_STATUS_MSG], d->msgtype, r0, nn, rows->msg, d->path, "status_msg"));
    }
    if (rows->derived != NULL) {
        double *col = malloc((size_t)n * sizeof *col);
        if (col == NULL) {
            SNF_ERROR(SNF_ENOMEM, "%s: out of memory", d->path);
        }
        for (int k = 0; k < SNF_N_DERIVED; k++) {
            for (long r = 0; r < n; r++) {
                col[r] = *(const double *)((const char *)&rows->derived[r] + snf_derived_defs[k].off);
            }
            int rc = snf_h5_write_rows(d->d[D_DERIVED0 + k], H5T_NATIVE_DOUBLE, r0, nn, col, d->path,
                                       snf_ds_name(D_DERIVED0 + k));
            if (rc < 0) {
                free(col);
                return rc;
            }
        }
        free(col);
    }
    /* The data must be on disk before the status says it is: a crash in between leaves the rows pending. */
    SNF_CHECK(snf_ds_flush(d));
    SNF_CHECK(snf_h5_write_rows(d->d[D_STATUS], H5T_NATIVE_INT, r0, nn, rows->status, d->path, "status"));
    return snf_ds_flush(d);
}

int snf_dataset_mark_complete(snf_dataset *d)
{
    SNF_CHECK(snf_h5_attr_put_long(d->file, "complete", 1, d->path));
    return snf_ds_flush(d);
}

int snf_dataset_write_rows(const char *path, const snf_dataset_meta *meta, int N, int P, int T, const double *time_d,
                           const double *params, const float *log_lbol, const float *vph, const int *status,
                           const snf_lc_derived *derived)
{
    char tmp[4200];
    snf_dataset *d = NULL;
    snf_output out; /* the output owner: PATH.lock, PATH.tmp put in place when whole, removed on failure */
    SNF_CHECK(snf_output_begin(&out, path, 0));
    int rc = snf_output_stage_path(&out, "dataset", 0, tmp, sizeof tmp);
    if (rc >= 0) {
        rc = snf_dataset_create(&d, tmp, meta, N, P, T, time_d);
    }
    if (rc >= 0) {
        snf_dataset_rows rows = {(double *)(uintptr_t)params, (float *)(uintptr_t)log_lbol, (float *)(uintptr_t)vph,
                                 (int *)(uintptr_t)status, NULL, (snf_lc_derived *)(uintptr_t)derived};
        rc = snf_dataset_write_block(d, 0, N, &rows);
        if (rc >= 0) {
            rc = snf_dataset_mark_complete(d);
        }
        int rc2 = snf_dataset_close(d);
        if (rc >= 0) {
            rc = rc2;
        }
    }
    if (rc >= 0) {
        rc = snf_output_commit(&out);
    }
    snf_output_end(&out);
    return rc;
}

/* ---- extra series ---- */

/* A series name: letters, digits and '_' only (it becomes /series/NAME). */
static int snf_ds_series_name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 64) {
        return 0;
    }
    for (const char *c = name; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            return 0;
        }
    }
    return 1;
}

int snf_dataset_write_series(snf_dataset *d, const char *name, const char *units, const char *description,
                             const float *y)
{
    if (!d->writable) {
        SNF_ERROR(SNF_EINVAL, "%s: opened read-only", d->path);
    }
    if (!snf_ds_series_name_ok(name) || y == NULL) {
        SNF_ERROR(SNF_EINVAL, "%s: series name '%s': expected 1-64 letters, digits or '_', and values", d->path,
                  name ? name : "(null)");
    }
    char full[80];
    snprintf(full, sizeof full, "series/%s", name);
    const float fnan = NAN;
    hid_t ds = snf_h5_create(d->file, d->path, full, H5T_IEEE_F32LE, 2, (hsize_t)d->N, (hsize_t)d->T,
                             (hsize_t)(d->N > 0 ? d->N : 1), 4, &fnan);
    if (ds < 0) {
        return SNF_EHDF5;
    }
    int rc = snf_h5_attr_put_string(ds, "units", units ? units : "", d->path);
    if (rc >= 0) {
        rc = snf_h5_attr_put_string(ds, "description", description ? description : "", d->path);
    }
    if (rc >= 0 && d->N > 0) {
        rc = snf_h5_write_rows(ds, H5T_NATIVE_FLOAT, 0, (hsize_t)d->N, y, d->path, full);
    }
    H5Dclose(ds);
    return rc < 0 ? rc : snf_ds_flush(d);
}

int snf_dataset_series_create(snf_dataset *d, const char *name, const char *units, const char *description,
                              int chunk_rows, int deflate)
{
    if (!d->writable || !snf_ds_series_name_ok(name)) {
        SNF_ERROR(SNF_EINVAL, "%s: series '%s': expected a writable file and 1-64 letters, digits or '_'", d->path,
                  name ? name : "(null)");
    }
    char full[80];
    snprintf(full, sizeof full, "series/%s", name);
    if (H5Lexists(d->file, "series", H5P_DEFAULT) > 0 && H5Lexists(d->file, full, H5P_DEFAULT) > 0) {
        return SNF_OK;
    }
    const float fnan = NAN;
    hid_t ds = snf_h5_create(d->file, d->path, full, H5T_IEEE_F32LE, 2, (hsize_t)d->N, (hsize_t)d->T,
                             (hsize_t)(chunk_rows > 0 ? chunk_rows : 1), deflate, &fnan);
    if (ds < 0) {
        return SNF_EHDF5;
    }
    int rc = snf_h5_attr_put_string(ds, "units", units ? units : "", d->path);
    if (rc >= 0) {
        rc = snf_h5_attr_put_string(ds, "description", description ? description : "", d->path);
    }
    H5Dclose(ds);
    return rc < 0 ? rc : snf_ds_flush(d);
}

int snf_dataset_series_write_rows(snf_dataset *d, const char *name, long row0, long n, const float *y)
{
    char full[80];
    snprintf(full, sizeof full, "series/%s", name);
    if (!d->writable || !snf_ds_series_name_ok(name) || H5Lexists(d->file, "series", H5P_DEFAULT) <= 0 ||
        H5Lexists(d->file, full, H5P_DEFAULT) <= 0) {
        SNF_ERROR(SNF_EINVAL, "%s: no writable series /%s", d->path, full);
    }
    hid_t ds = H5Dopen2(d->file, full, H5P_DEFAULT);
    if (ds < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: /%s cannot be opened", d->path, full);
    }
    int rc = n > 0 ? snf_h5_write_rows(ds, H5T_NATIVE_FLOAT, (hsize_t)row0, (hsize_t)n, y, d->path, full) : SNF_OK;
    H5Dclose(ds);
    return rc;
}

int snf_dataset_read_series(snf_dataset *d, const char *name, float *y)
{
    if (!snf_ds_series_name_ok(name)) {
        SNF_ERROR(SNF_EINVAL, "%s: series name '%s': expected 1-64 letters, digits or '_'", d->path,
                  name ? name : "(null)");
    }
    char full[80];
    snprintf(full, sizeof full, "series/%s", name);
    if (H5Lexists(d->file, "series", H5P_DEFAULT) <= 0 || H5Lexists(d->file, full, H5P_DEFAULT) <= 0) {
        SNF_ERROR(SNF_EINVAL, "%s: no series /%s", d->path, full);
    }
    hid_t ds = H5Dopen2(d->file, full, H5P_DEFAULT);
    if (ds < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: /%s cannot be opened", d->path, full);
    }
    hsize_t dims[2] = {0, 0};
    hid_t sp = H5Dget_space(ds);
    int r = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    if (sp >= 0) {
        H5Sclose(sp);
    }
    int rc = SNF_OK;
    if (r != 2 || (long)dims[0] != d->N || (int)dims[1] != d->T) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /%s is not [N, T] = [%ld, %d]", d->path,
                              full, d->N, d->T);
    } else if (d->N > 0) {
        rc = snf_h5_read_rows(ds, H5T_NATIVE_FLOAT, 0, (hsize_t)d->N, y, d->path, full);
    }
    H5Dclose(ds);
    return rc;
}

/* ---- read ---- */

void snf_dataset_dims(const snf_dataset *d, long *N, int *P, int *T)
{
    if (N) {
        *N = d->N;
    }
    if (P) {
        *P = d->P;
    }
    if (T) {
        *T = d->T;
    }
}

int snf_dataset_read_rows(snf_dataset *d, long row0, long n, snf_dataset_rows *rows)
{
    if (row0 < 0 || n < 0 || row0 + n > d->N) {
        SNF_ERROR(SNF_EINVAL, "%s: rows %ld + %ld outside [0, %ld)", d->path, row0, n, d->N);
    }
    hsize_t r0 = (hsize_t)row0, nn = (hsize_t)n;
    void *bufs[] = {[D_PARAMS] = rows->params, [D_LOG_LBOL] = rows->log_lbol, [D_VPH] = rows->vph,
                    [D_STATUS_MSG] = rows->msg, [D_STATUS] = rows->status};
    for (int k = 0; k < D_COUNT; k++) {
        if (k >= D_DERIVED0 && k < D_DERIVED0 + SNF_N_DERIVED) {
            continue;
        }
        if (bufs[k] != NULL) {
            SNF_CHECK(snf_h5_read_rows(d->d[k], snf_ds_memtype(d, k), r0, nn, bufs[k], d->path, snf_ds_name(k)));
        }
    }
    if (rows->derived != NULL && n > 0) {
        double *col = malloc((size_t)n * sizeof *col);
        if (col == NULL) {
            SNF_ERROR(SNF_ENOMEM, "%s: out of memory", d->path);
        }
        for (int k = 0; k < SNF_N_DERIVED; k++) {
            int rc = snf_h5_read_rows(d->d[D_DERIVED0 + k], H5T_NATIVE_DOUBLE, r0, nn, col, d->path,
                                      snf_ds_name(D_DERIVED0 + k));
            if (rc < 0) {
                free(col);
                return rc;
            }
            for (long r = 0; r < n; r++) {
                *(double *)((char *)&rows->derived[r] + snf_derived_defs[k].off) = col[r];
            }
        }
        free(col);
    }
    return SNF_OK;
}

int snf_dataset_read_time(snf_dataset *d, double *time_d)
{
    return snf_h5_read_rows(d->time, H5T_NATIVE_DOUBLE, 0, (hsize_t)d->T, time_d, d->path, "time");
}

int snf_dataset_read_status(snf_dataset *d, int *status)
{
    return snf_h5_read_rows(d->d[D_STATUS], H5T_NATIVE_INT, 0, (hsize_t)d->N, status, d->path, "status");
}

int snf_dataset_attr_string(snf_dataset *d, const char *obj, const char *name, char *buf, size_t n)
{
    if (obj == NULL || strcmp(obj, "/") == 0) {
        return snf_h5_attr_get_string(d->file, name, buf, n, d->path);
    }
    hid_t o = H5Oopen(d->file, obj, H5P_DEFAULT);
    if (o < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: no object %s", d->path, obj);
    }
    int rc = snf_h5_attr_get_string(o, name, buf, n, d->path);
    H5Oclose(o);
    return rc;
}

int snf_dataset_attr_long(snf_dataset *d, const char *name, long *value)
{
    long long v = 0;
    SNF_CHECK(snf_h5_attr_get_long(d->file, name, &v, d->path));
    *value = (long)v;
    return SNF_OK;
}

int snf_dataset_is_complete(snf_dataset *d)
{
    long long v = 0;
    if (H5Aexists(d->file, "complete") <= 0 || snf_h5_attr_get_long(d->file, "complete", &v, d->path) < 0) {
        return 0;
    }
    return v == 1;
}

/* ---- close ---- */

int snf_dataset_close(snf_dataset *d)
{
    if (d == NULL) {
        return SNF_OK;
    }
    for (int k = 0; k < D_COUNT; k++) {
        if (d->d[k] >= 0) {
            H5Dclose(d->d[k]);
        }
    }
    if (d->time >= 0) {
        H5Dclose(d->time);
    }
    if (d->msgtype >= 0) {
        H5Tclose(d->msgtype);
    }
    int rc = SNF_OK;
    if (d->file >= 0 && H5Fclose(d->file) < 0) {
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: H5Fclose failed (its last writes did not "
                              "reach the disk): %s", d->path, reason);
    }
    free(d);
    return rc;
}

int snf_dataset_digest(const char *path, char hex[17])
{
    snf_dataset *d = NULL;
    SNF_CHECK(snf_dataset_open(&d, path, 0));
    long N = 0;
    int P = 0, T = 0;
    snf_dataset_dims(d, &N, &P, &T);
    unsigned long long h = SNF_DIGEST_INIT;
    h = snf_digest(h, &N, sizeof N);
    h = snf_digest(h, &P, sizeof P);
    h = snf_digest(h, &T, sizeof T);
    const long chunk = 256;
    double *t = malloc((size_t)(T > 0 ? T : 1) * sizeof *t);
    snf_dataset_rows r = {0};
    r.params = malloc((size_t)chunk * (P > 0 ? P : 1) * sizeof *r.params);
    r.log_lbol = malloc((size_t)chunk * (T > 0 ? T : 1) * sizeof *r.log_lbol);
    r.vph = malloc((size_t)chunk * (T > 0 ? T : 1) * sizeof *r.vph);
    r.status = malloc((size_t)chunk * sizeof *r.status);
    int rc = SNF_OK;
    if (!t || !r.params || !r.log_lbol || !r.vph || !r.status) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "%s: out of memory", path);
    }
    if (rc >= 0 && (rc = snf_dataset_read_time(d, t)) >= 0) {
        h = snf_digest(h, t, (size_t)T * sizeof *t);
    }
    for (long r0 = 0; rc >= 0 && r0 < N; r0 += chunk) {
        const long n = N - r0 < chunk ? N - r0 : chunk;
        if ((rc = snf_dataset_read_rows(d, r0, n, &r)) < 0) {
            break;
        }
        h = snf_digest(h, r.params, (size_t)n * P * sizeof *r.params);
        h = snf_digest(h, r.log_lbol, (size_t)n * T * sizeof *r.log_lbol);
        h = snf_digest(h, r.vph, (size_t)n * T * sizeof *r.vph);
        h = snf_digest(h, r.status, (size_t)n * sizeof *r.status);
    }
    free(t);
    free(r.params);
    free(r.log_lbol);
    free(r.vph);
    free(r.status);
    int rc2 = snf_dataset_close(d);
    if (rc >= 0 && rc2 < 0) {
        rc = rc2;
    }
    if (rc >= 0) {
        snprintf(hex, 17, "%016llx", h);
    }
    return rc;
}
