/* dataset_check.c: the checks of a dataset file on every open (the layout of interfaces.md, after the guard's
 * read in a child process, h5io.h) and before a campaign's .tmp is resumed (every attribute and time as the
 * campaign writes them). Errors are SNF_EFORMAT naming the file and what is wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "snforge/grids.h"
#include "snforge/core.h"

#define SNF_DS_MAX_P 64 /* parameter columns whose names are checked for repeats */

static int snf_ds_open_unguarded(snf_dataset **out, const char *path, int writable);

/* The layout of interfaces.md, checked on every open: format and known format_version, dtypes and shapes
 * of every dataset, /time finite and strictly increasing, /params names (P non-empty, distinct). */
static int snf_ds_validate(snf_dataset *d)
{
    const char *f = d->path;
    char fmt[64];
    if (snf_h5_attr_get_string(d->file, "format", fmt, sizeof fmt, f) < 0 || strcmp(fmt, SNF_DATASET_FORMAT) != 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: not an snforge dataset (root attribute format is not '%s')", f, SNF_DATASET_FORMAT);
    }
    long long ver = 0;
    if (snf_h5_attr_get_long(d->file, "format_version", &ver, f) < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: no readable root attribute format_version", f);
    }
    if (ver != SNF_DATASET_FORMAT_VERSION) {
        SNF_ERROR(SNF_EFORMAT, "%s: format_version %lld is not known to this build (it reads %d): written by %s "
                  "snforge?", f, ver, SNF_DATASET_FORMAT_VERSION, ver > SNF_DATASET_FORMAT_VERSION ? "a newer" : "another");
    }
    hsize_t dims[2];
    hsize_t nt[2] = {(hsize_t)d->N, (hsize_t)d->T}, np[2] = {(hsize_t)d->N, (hsize_t)d->P}, n1[1] = {(hsize_t)d->N};
    for (int k = 0; k < D_COUNT; k++) {
        int rank = (k == D_PARAMS || k == D_LOG_LBOL || k == D_VPH) ? 2 : 1;
        const hsize_t *want = k == D_PARAMS ? np : rank == 2 ? nt : n1;
        H5T_class_t cls = k == D_STATUS ? H5T_INTEGER : k == D_STATUS_MSG ? H5T_STRING : H5T_FLOAT;
        if (d->N == 0) {
            want = NULL; /* an empty file: any shapes of zero rows */
        }
        SNF_CHECK(snf_h5_check_dataset(d->file, snf_ds_name(k), rank, want, cls, dims, f));
    }
    hsize_t t1[1] = {(hsize_t)d->T};
    SNF_CHECK(snf_h5_check_dataset(d->file, "time", 1, t1, H5T_FLOAT, dims, f));
    if (d->T < 1) {
        SNF_ERROR(SNF_EFORMAT, "%s: /time is empty", f);
    }
    double *t = malloc((size_t)d->T * sizeof *t);
    if (t == NULL) {
        SNF_ERROR(SNF_ENOMEM, "%s: out of memory", f);
    }
    int rc = snf_h5_read_rows(d->time, H5T_NATIVE_DOUBLE, 0, (hsize_t)d->T, t, f, "time");
    for (int k = 0; rc >= 0 && k < d->T; k++) {
        if (!isfinite(t[k])) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /time[%d] is %g: expected finite "
                                  "days since the explosion", f, k, t[k]);
        } else if (k > 0 && !(t[k] > t[k - 1])) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /time[%d] = %g is not after "
                                  "/time[%d] = %g: expected strictly increasing times", f, k, t[k], k - 1, t[k - 1]);
        }
    }
    free(t);
    SNF_CHECK(rc);
    if (H5Aexists(d->d[D_PARAMS], "names") > 0) {
        int count = 0;
        char name[128], prev[SNF_DS_MAX_P][64];
        for (int k = 0; k < d->P; k++) {
            SNF_CHECK(snf_h5_attr_get_string_at(d->d[D_PARAMS], "names", k, name, sizeof name, &count, f));
            if (count != d->P) {
                SNF_ERROR(SNF_EFORMAT, "%s: /params has %d columns but %d names", f, d->P, count);
            }
            if (name[0] == '\0' || strlen(name) >= sizeof prev[0]) {
                SNF_ERROR(SNF_EFORMAT, "%s: /params name %d is empty or too long", f, k + 1);
            }
            for (int j = 0; j < k && j < SNF_DS_MAX_P; j++) {
                if (strcmp(prev[j], name) == 0) {
                    SNF_ERROR(SNF_EFORMAT, "%s: /params name '%s' appears twice", f, name);
                }
            }
            if (k < SNF_DS_MAX_P) {
                snprintf(prev[k], sizeof prev[k], "%.63s", name);
            }
        }
    }
    return SNF_OK;
}

/* What the guard's child process runs: the same open and checks, read-only. */
static int snf_ds_check_child(const char *path, void *ctx)
{
    (void)ctx;
    snf_dataset *d = NULL;
    int rc = snf_ds_open_unguarded(&d, path, 0);
    if (rc >= 0) {
        /* the first and last row blocks: their chunk index and filters are read as the trainer will */
        long n = d->N < 64 ? d->N : 64;
        float *buf = malloc((size_t)(n > 0 ? n : 1) * (size_t)d->T * sizeof *buf);
        int *st = malloc((size_t)(d->N > 0 ? d->N : 1) * sizeof *st);
        snf_dataset_rows rows = {.log_lbol = buf};
        if (buf != NULL && st != NULL) {
            snf_dataset_read_status(d, st);
            snf_dataset_read_rows(d, 0, n, &rows);
            snf_dataset_read_rows(d, d->N - n, n, &rows);
        }
        free(buf);
        free(st);
        snf_dataset_close(d);
    }
    return rc;
}

static int snf_ds_open_unguarded(snf_dataset **out, const char *path, int writable)
{
    *out = NULL;
    int rc = SNF_OK;
    snf_dataset *d = snf_ds_new(path);
    if (d == NULL) {
        SNF_ERROR(SNF_ENOMEM, "%s: out of memory", path);
    }
    d->writable = writable;
    rc = snf_h5_open(&d->file, path, writable, "snforge dataset");
    if (rc < 0) {
        goto cleanup;
    }
    char fmt[64];
    if (snf_h5_attr_get_string(d->file, "format", fmt, sizeof fmt, path) < 0 || strcmp(fmt, SNF_DATASET_FORMAT) != 0) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: not an snforge dataset (format attribute)", path);
        goto cleanup;
    }
    rc = snf_ds_open_members(d);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_ds_validate(d);
    if (rc < 0) {
        goto cleanup;
    }
    *out = d;
    return SNF_OK;
cleanup:
    snf_dataset_close(d);
    return rc;
}

int snf_dataset_open(snf_dataset **out, const char *path, int writable)
{
    *out = NULL;
    snf_h5_quiet();
    SNF_CHECK(snf_h5_guard(path, "snforge dataset", snf_ds_check_child, NULL, 60));
    return snf_ds_open_unguarded(out, path, writable);
}

/* SNF_EFORMAT unless string attribute name of obj reads back as want. */
static int snf_ds_verify_string(hid_t obj, const char *where, const char *name, const char *want, const char *file)
{
    size_t n = strlen(want) + 2;
    char *buf = malloc(n);
    if (buf == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    int rc = snf_h5_attr_get_string(obj, name, buf, n, file);
    int same = rc >= 0 && strcmp(buf, want) == 0;
    free(buf);
    if (!same) {
        SNF_ERROR(SNF_EFORMAT, "%s: attribute %s%s is %s", file, where, name, rc < 0 ? "unreadable" : "not what this campaign writes");
    }
    return SNF_OK;
}

static int snf_ds_verify_long(hid_t obj, const char *name, long long want, const char *file)
{
    long long v = 0;
    if (snf_h5_attr_get_long(obj, name, &v, file) < 0 || v != want) {
        SNF_ERROR(SNF_EFORMAT, "%s: root attribute %s is not %lld", file, name, want);
    }
    return SNF_OK;
}

/* A list of n strings joined with ',' (what snf_h5_attr_get_string returns) into a new buffer. */
static char *snf_ds_join(const char *const *v, int n)
{
    size_t len = 1;
    for (int k = 0; k < n; k++) {
        len += strlen(v[k] ? v[k] : "") + 1;
    }
    char *s = malloc(len);
    if (s != NULL) {
        s[0] = '\0';
        for (int k = 0; k < n; k++) {
            if (k) {
                strcat(s, ",");
            }
            strcat(s, v[k] ? v[k] : "");
        }
    }
    return s;
}

int snf_dataset_verify(snf_dataset *d, const snf_dataset_meta *meta, long N, int P, int T, const double *time_d)
{
    const char *f = d->path;
    if (d->N != N || d->P != P || d->T != T) {
        SNF_ERROR(SNF_EFORMAT, "%s: %ld x %d x %d rows, params, times; expected %ld x %d x %d", f, d->N, d->P, d->T, N,
                  P, T);
    }
    double *t = malloc((size_t)(T > 0 ? T : 1) * sizeof *t);
    if (t == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    int rc = snf_dataset_read_time(d, t);
    int same = rc >= 0 && memcmp(t, time_d, (size_t)T * sizeof *t) == 0;
    free(t);
    if (!same) {
        SNF_ERROR(SNF_EFORMAT, "%s: /time differs from the campaign's time grid", f);
    }
    hid_t r = d->file;
    SNF_CHECK(snf_ds_verify_string(r, "/", "format", SNF_DATASET_FORMAT, f));
    SNF_CHECK(snf_ds_verify_long(r, "format_version", SNF_DATASET_FORMAT_VERSION, f));
    SNF_CHECK(snf_ds_verify_string(r, "/", "source", meta->source ? meta->source : "", f));
    SNF_CHECK(snf_ds_verify_string(r, "/", "config", meta->config_text ? meta->config_text : "", f));
    SNF_CHECK(snf_ds_verify_string(r, "/", "sampler", meta->sampler ? meta->sampler : "", f));
    SNF_CHECK(snf_ds_verify_long(r, "seed", (long long)meta->seed, f));
    SNF_CHECK(snf_ds_verify_long(r, "row_offset", meta->row_offset, f));
    SNF_CHECK(snf_ds_verify_long(r, "n_total", meta->n_total > 0 ? meta->n_total : N, f));
    char buf[1024];
    const char *free_text[3] = {"code_revision", "library_versions", "created"};
    for (int k = 0; k < 3; k++) {
        if (snf_h5_attr_get_string(r, free_text[k], buf, sizeof buf, f) < 0) {
            SNF_ERROR(SNF_EFORMAT, "%s: root attribute %s is unreadable", f, free_text[k]);
        }
    }
    for (int k = 0; k < D_COUNT; k++) {
        const char *units, *desc;
        snf_ds_units_desc(k, &units, &desc);
        char where[64];
        snprintf(where, sizeof where, "/%s ", snf_ds_name(k));
        if (k != D_PARAMS) {
            SNF_CHECK(snf_ds_verify_string(d->d[k], where, "units", units, f));
        }
        SNF_CHECK(snf_ds_verify_string(d->d[k], where, "description", desc, f));
    }
    SNF_CHECK(snf_ds_verify_string(d->time, "/time ", "units", "d", f));
    SNF_CHECK(snf_ds_verify_string(d->time, "/time ", "description", "days since explosion", f));
    const char *const *lists[3] = {meta->param_names && meta->param_units ? meta->param_names : NULL,
                                   meta->param_names && meta->param_units ? meta->param_units : NULL,
                                   meta->param_scale};
    const char *lnames[3] = {"names", "units", "scale"};
    for (int k = 0; k < 3; k++) {
        if (lists[k] == NULL) {
            continue;
        }
        char *want = snf_ds_join(lists[k], P);
        if (want == NULL) {
            SNF_ERROR(SNF_ENOMEM, "out of memory");
        }
        rc = snf_ds_verify_string(d->d[D_PARAMS], "/params ", lnames[k], want, f);
        free(want);
        SNF_CHECK(rc);
    }
    if (meta->param_min && meta->param_max) {
        double v[SNF_DS_MAX_P];
        const double *w[2] = {meta->param_min, meta->param_max};
        const char *nm[2] = {"min", "max"};
        for (int k = 0; k < 2 && P <= SNF_DS_MAX_P; k++) {
            if (snf_h5_attr_get_doubles(d->d[D_PARAMS], nm[k], v, P, f) < 0 || memcmp(v, w[k], (size_t)P * sizeof *v) != 0) {
                SNF_ERROR(SNF_EFORMAT, "%s: attribute /params %s is not what this campaign writes", f, nm[k]);
            }
        }
    }
    return SNF_OK;
}

int snf_dataset_require_complete(snf_dataset *d)
{
    if (!snf_dataset_is_complete(d)) {
        SNF_ERROR(SNF_EFORMAT, "%s is not marked complete (an interrupted campaign's file? finish it with the "
                  "command that wrote it)", d->path);
    }
    return SNF_OK;
}

