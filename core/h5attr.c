/* h5attr.c: HDF5 attributes of every snforge file (h5io.h): fixed-length UTF-8 strings and lists written,
 * fixed or variable-length strings, integers and doubles read with their class, count and size checked
 * (a damaged attribute is SNF_EFORMAT, never an overrun), dataset shape/type checks, attribute copies. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

/* ---- attributes ---- */

#define SNF_H5_ATTR_MAX_BYTES ((size_t)1 << 24) /* 16 MiB: no snforge attribute is near; a damaged size is */

static hid_t snf_h5_vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* A fixed-length UTF-8 string type of len bytes (with the terminating NUL). */
static hid_t snf_h5_fixed_str(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, len > 0 ? len : 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
                   H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Creates (replacing) attribute name on obj with type and space, writes buf. own: which of them it closes
 * afterwards (SNF_H5_OWN_SPACE | SNF_H5_OWN_TYPE); a type or space < 0 (their making failed) is reported as
 * `what` failing. */
enum { SNF_H5_OWN_SPACE = 1, SNF_H5_OWN_TYPE = 2 };

static int snf_h5_attr_put(hid_t obj, const char *name, hid_t type, hid_t space, int own, const void *buf,
                           const char *what, const char *file)
{
    int rc = SNF_OK;
    hid_t a = -1;
    if (type < 0 || space < 0) {
        SNF_H5_FAIL(file, name, what);
    }
    htri_t exists = H5Aexists(obj, name);
    if (exists < 0) {
        SNF_H5_FAIL(file, name, "H5Aexists");
    }
    if (exists > 0 && H5Adelete(obj, name) < 0) {
        SNF_H5_FAIL(file, name, "H5Adelete");
    }
    a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) {
        SNF_H5_FAIL(file, name, "H5Acreate2");
    }
    if (H5Awrite(a, type, buf) < 0) {
        SNF_H5_FAIL(file, name, "H5Awrite");
    }
cleanup:
    if (a >= 0) {
        H5Aclose(a);
    }
    if ((own & SNF_H5_OWN_SPACE) && space >= 0) {
        H5Sclose(space);
    }
    if ((own & SNF_H5_OWN_TYPE) && type >= 0) {
        H5Tclose(type);
    }
    return rc;
}

int snf_h5_attr_put_string(hid_t obj, const char *name, const char *value, const char *file)
{
    const char *v = value ? value : "";
    return snf_h5_attr_put(obj, name, snf_h5_fixed_str(strlen(v) + 1), H5Screate(H5S_SCALAR),
                           SNF_H5_OWN_SPACE | SNF_H5_OWN_TYPE, v, "string type", file);
}

int snf_h5_attr_put_strings(hid_t obj, const char *name, const char *const *values, int n, const char *file)
{
    size_t w = 1;
    for (int k = 0; k < n; k++) {
        size_t l = values[k] ? strlen(values[k]) + 1 : 1;
        w = l > w ? l : w;
    }
    hsize_t dims[1] = {(hsize_t)n};
    char *buf = calloc((size_t)(n > 0 ? n : 1), w);
    if (buf == NULL) {
        return snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
    }
    for (int k = 0; k < n; k++) {
        if (values[k]) {
            memcpy(buf + (size_t)k * w, values[k], strlen(values[k]));
        }
    }
    int rc = snf_h5_attr_put(obj, name, snf_h5_fixed_str(w), H5Screate_simple(1, dims, NULL),
                             SNF_H5_OWN_SPACE | SNF_H5_OWN_TYPE, buf, "string list type", file);
    free(buf);
    return rc;
}

int snf_h5_attr_put_long(hid_t obj, const char *name, long long value, const char *file)
{
    int64_t v = (int64_t)value; /* stored as little-endian int64 whatever the host: the file type */
    return snf_h5_attr_put(obj, name, H5T_NATIVE_INT64, H5Screate(H5S_SCALAR), SNF_H5_OWN_SPACE, &v, "H5Screate", file);
}

int snf_h5_attr_put_doubles(hid_t obj, const char *name, const double *values, int n, const char *file)
{
    hsize_t dims[1] = {(hsize_t)n};
    return snf_h5_attr_put(obj, name, H5T_NATIVE_DOUBLE, H5Screate_simple(1, dims, NULL), SNF_H5_OWN_SPACE, values,
                           "H5Screate_simple", file);
}

/* Opens attribute name with its type, space and number of values; SNF_EFORMAT if absent or its class is
 * not cls. */
static int snf_h5_attr_open(hid_t obj, const char *name, H5T_class_t cls, hid_t *a, hid_t *ft, hid_t *s,
                            hssize_t *count, const char *file)
{
    int rc = SNF_OK;
    *a = *ft = *s = -1;
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: no attribute '%s'", file, name);
    }
    *a = H5Aopen(obj, name, H5P_DEFAULT);
    if (*a < 0 || (*ft = H5Aget_type(*a)) < 0 || (*s = H5Aget_space(*a)) < 0) {
        SNF_H5_FAIL(file, name, "H5Aopen");
    }
    H5T_class_t c = H5Tget_class(*ft);
    if (c != cls && !(cls == H5T_INTEGER && c == H5T_FLOAT)) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' is not %s", file, name,
                              cls == H5T_STRING ? "a string" : cls == H5T_INTEGER ? "an integer" : "a number");
        goto cleanup;
    }
    *count = H5Sget_simple_extent_npoints(*s);
    if (*count < 0) {
        SNF_H5_FAIL(file, name, "H5Sget_simple_extent_npoints");
    }
    return SNF_OK;
cleanup:
    if (*s >= 0) {
        H5Sclose(*s);
    }
    if (*ft >= 0) {
        H5Tclose(*ft);
    }
    if (*a >= 0) {
        H5Aclose(*a);
    }
    *a = *ft = *s = -1;
    return rc;
}

static void snf_h5_attr_close(hid_t a, hid_t ft, hid_t s)
{
    if (s >= 0) {
        H5Sclose(s);
    }
    if (ft >= 0) {
        H5Tclose(ft);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
}

/* All strings of a string attribute: calls put(k, text, len, ctx) for each. */
static int snf_h5_attr_strings_each(hid_t obj, const char *name, const char *file,
                                    void (*put)(hssize_t k, const char *text, size_t len, void *ctx), void *ctx,
                                    hssize_t *count_out)
{
    hid_t a, ft, s, mt = -1;
    hssize_t count = 0;
    SNF_CHECK(snf_h5_attr_open(obj, name, H5T_STRING, &a, &ft, &s, &count, file));
    int rc = SNF_OK;
    char **v = NULL;
    char *tmp = NULL;
    if (count_out) {
        *count_out = count;
    }
    if (count < 1) {
        goto cleanup;
    }
    if (H5Tis_variable_str(ft) > 0) {
        mt = snf_h5_vlen_str();
        v = calloc((size_t)count, sizeof *v);
        if (mt < 0 || v == NULL || H5Aread(a, mt, v) < 0) {
            SNF_H5_FAIL(file, name, "H5Aread");
        }
        for (hssize_t k = 0; k < count; k++) {
            put(k, v[k] ? v[k] : "", v[k] ? strlen(v[k]) : 0, ctx);
        }
        H5Dvlen_reclaim(mt, s, H5P_DEFAULT, v);
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0 || sz > SNF_H5_ATTR_MAX_BYTES / (size_t)count) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' has an implausible "
                                  "size (%zu x %lld bytes)", file, name, sz, (long long)count);
            goto cleanup;
        }
        /* Read in the file's own string type (its size, padding and character set): other writers (h5py's
         * numpy bytes, Fortran) store ASCII and NUL- or space-padded strings, which HDF5 will not convert to
         * our UTF-8 NUL-terminated type (and NUL-termination would cut the last character). */
        mt = H5Tcopy(ft);
        tmp = calloc((size_t)count, sz + 1);
        if (tmp == NULL || mt < 0) {
            rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
            goto cleanup;
        }
        if (H5Aread(a, mt, tmp) < 0) {
            SNF_H5_FAIL(file, name, "H5Aread");
        }
        int spaces = H5Tget_strpad(ft) == H5T_STR_SPACEPAD;
        for (hssize_t k = 0; k < count; k++) {
            const char *e = tmp + (size_t)k * sz;
            const char *z = memchr(e, '\0', sz);
            size_t len = z ? (size_t)(z - e) : sz;
            while (spaces && len > 0 && e[len - 1] == ' ') {
                len--; /* Fortran's blank padding */
            }
            put(k, e, len, ctx);
        }
    }
cleanup:
    free(v);
    free(tmp);
    if (mt >= 0) {
        H5Tclose(mt);
    }
    snf_h5_attr_close(a, ft, s);
    return rc;
}

typedef struct snf_h5_join {
    char *buf;
    size_t n, len;
    hssize_t want; /* element wanted, or -1 for all joined with ',' */
} snf_h5_join;

static void snf_h5_join_put(hssize_t k, const char *text, size_t len, void *ctx)
{
    snf_h5_join *j = ctx;
    if (j->want >= 0) {
        if (k == j->want) {
            snprintf(j->buf, j->n, "%.*s", (int)len, text);
        }
        return;
    }
    if (j->len + 1 >= j->n) {
        return;
    }
    int w = snprintf(j->buf + j->len, j->n - j->len, "%s%.*s", k ? "," : "", (int)len, text);
    j->len = (w < 0 || (size_t)w >= j->n - j->len) ? j->n - 1 : j->len + (size_t)w;
}

int snf_h5_attr_get_string(hid_t obj, const char *name, char *buf, size_t n, const char *file)
{
    buf[0] = '\0';
    snf_h5_join j = {buf, n, 0, -1};
    return snf_h5_attr_strings_each(obj, name, file, snf_h5_join_put, &j, NULL);
}

int snf_h5_attr_get_string_at(hid_t obj, const char *name, int k, char *buf, size_t n, int *count,
                              const char *file)
{
    buf[0] = '\0';
    snf_h5_join j = {buf, n, 0, k};
    hssize_t c = 0;
    SNF_CHECK(snf_h5_attr_strings_each(obj, name, file, snf_h5_join_put, &j, &c));
    if (count) {
        *count = (int)c;
    }
    if (k < 0 || k >= c) {
        SNF_ERROR(SNF_EFORMAT, "%s: attribute '%s' has %lld entries, not %d", file, name, (long long)c, k + 1);
    }
    return SNF_OK;
}

int snf_h5_attr_get_long(hid_t obj, const char *name, long long *value, const char *file)
{
    hid_t a, ft, s;
    hssize_t count = 0;
    SNF_CHECK(snf_h5_attr_open(obj, name, H5T_INTEGER, &a, &ft, &s, &count, file));
    int rc = SNF_OK;
    double d = 0;
    if (count != 1) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' holds %lld values, "
                              "not one", file, name, (long long)count);
        goto cleanup;
    }
    if (H5Tget_class(ft) == H5T_FLOAT) {
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &d) < 0) {
            SNF_H5_FAIL(file, name, "H5Aread");
        }
        if (!(d == floor(d) && fabs(d) < 9e15)) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' = %g is not a whole "
                                  "number", file, name, d);
            goto cleanup;
        }
        *value = (long long)d;
    } else if (H5Aread(a, H5T_NATIVE_LLONG, value) < 0) {
        SNF_H5_FAIL(file, name, "H5Aread");
    }
cleanup:
    snf_h5_attr_close(a, ft, s);
    return rc;
}

int snf_h5_attr_get_doubles(hid_t obj, const char *name, double *values, int want, const char *file)
{
    hid_t a, ft, s;
    hssize_t count = 0;
    SNF_CHECK(snf_h5_attr_open(obj, name, H5T_FLOAT, &a, &ft, &s, &count, file));
    int rc = SNF_OK;
    if (count != want) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' holds %lld values, "
                              "expected %d", file, name, (long long)count, want);
        goto cleanup;
    }
    if (H5Aread(a, H5T_NATIVE_DOUBLE, values) < 0) {
        SNF_H5_FAIL(file, name, "H5Aread");
    }
cleanup:
    snf_h5_attr_close(a, ft, s);
    return rc;
}

int snf_h5_check_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, H5T_class_t cls,
                         hsize_t *dims_out, const char *file)
{
    int rc = SNF_OK;
    hid_t d = -1, t = -1, s = -1;
    hsize_t got[H5S_MAX_RANK] = {0};
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: no dataset /%s", file, name);
    }
    d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0 || (t = H5Dget_type(d)) < 0 || (s = H5Dget_space(d)) < 0) {
        SNF_H5_FAIL(file, name, "H5Dopen2");
    }
    int r = H5Sget_simple_extent_ndims(s);
    if (r != rank || H5Sget_simple_extent_dims(s, got, NULL) != rank) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /%s has rank %d, expected %d", file,
                              name, r, rank);
        goto cleanup;
    }
    for (int k = 0; k < rank; k++) {
        if (dims != NULL && dims[k] > 0 && got[k] != dims[k]) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /%s has %llu entries along "
                                  "axis %d, expected %llu", file, name, (unsigned long long)got[k], k,
                                  (unsigned long long)dims[k]);
            goto cleanup;
        }
        if (dims_out) {
            dims_out[k] = got[k];
        }
    }
    if (H5Tget_class(t) != cls) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: /%s is not of %s type", file, name,
                              cls == H5T_FLOAT ? "a floating-point" : cls == H5T_INTEGER ? "an integer" : "a string");
        goto cleanup;
    }
cleanup:
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    return rc;
}

typedef struct snf_h5_copy_ctx {
    hid_t dst;
    const char *file;
    int rc;
} snf_h5_copy_ctx;

static herr_t snf_h5_copy_cb(hid_t src, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    snf_h5_copy_ctx *cx = data;
    int rc = SNF_OK;
    hid_t a = -1, t = -1, s = -1;
    void *buf = NULL;
    a = H5Aopen(src, name, H5P_DEFAULT);
    if (a < 0 || (t = H5Aget_type(a)) < 0 || (s = H5Aget_space(a)) < 0) {
        SNF_H5_FAIL(cx->file, name, "H5Aopen");
    }
    hssize_t count = H5Sget_simple_extent_npoints(s);
    size_t sz = H5Tget_size(t);
    buf = calloc((size_t)(count > 0 ? count : 1), sz > 0 ? sz : 1);
    if (buf == NULL) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    if (H5Aread(a, t, buf) < 0) {
        SNF_H5_FAIL(cx->file, name, "H5Aread");
    }
    rc = snf_h5_attr_put(cx->dst, name, t, s, 0, buf, "H5Aget_type", cx->file);
    if (H5Tdetect_class(t, H5T_VLEN) > 0 || H5Tis_variable_str(t) > 0) {
        H5Dvlen_reclaim(t, s, H5P_DEFAULT, buf);
    }
cleanup:
    free(buf);
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    cx->rc = rc;
    return rc < 0 ? -1 : 0;
}

int snf_h5_attr_copy_all(hid_t dst, hid_t src, const char *file)
{
    snf_h5_copy_ctx cx = {dst, file, SNF_OK};
    hsize_t idx = 0;
    herr_t e = H5Aiterate2(src, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, snf_h5_copy_cb, &cx);
    if (e < 0 && cx.rc == SNF_OK) {
        /* Creation order is only tracked if asked for at creation: fall back to name order. */
        idx = 0;
        e = H5Aiterate2(src, H5_INDEX_NAME, H5_ITER_INC, &idx, snf_h5_copy_cb, &cx);
    }
    if (cx.rc < 0) {
        return cx.rc;
    }
    if (e < 0) {
        int rc;
        SNF_H5_FAIL(file, "attributes", "H5Aiterate2");
    cleanup:
        return rc;
    }
    return SNF_OK;
}
