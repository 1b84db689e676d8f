/* h5.c: low-level HDF5 writes and reads for the dataset layer: chunked + filtered datasets, row-block
 * hyperslabs and attributes. Every herr_t / hid_t is checked; failures report SNF_EHDF5 with the file,
 * the object and HDF5's innermost reason. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "snforge/status.h"

/* ---- errors ---- */

typedef struct snf_h5_walk {
    char *buf;
    size_t n;
} snf_h5_walk;

static herr_t snf_h5_walk_cb(unsigned k, const H5E_error2_t *e, void *data)
{
    snf_h5_walk *w = data;
    if (k == 0 && e->desc != NULL) {
        snprintf(w->buf, w->n, "%s (%s)", e->desc, e->func_name ? e->func_name : "?");
    }
    return 0;
}

void snf_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void snf_h5_reason(char *buf, size_t n)
{
    buf[0] = '\0';
    snf_h5_walk w = {buf, n};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, snf_h5_walk_cb, &w);
}

/* Reports SNF_EHDF5 "file: name: what: reason" and returns it. */
#define SNF_H5_FAIL(file, name, what)                                                                   \
    do {                                                                                                \
        char reason_[256];                                                                              \
        snf_h5_reason(reason_, sizeof reason_);                                                         \
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: %s: %s failed%s%s", (file), \
                              (name), (what), reason_[0] ? ": " : "", reason_);                         \
        goto cleanup;                                                                                   \
    } while (0)

/* ---- datasets ---- */

hid_t snf_h5_create(hid_t loc, const char *file, const char *name, hid_t type, int rank, hsize_t N, hsize_t C,
                    hsize_t chunk_rows, int deflate, const void *fill)
{
    int rc = SNF_OK;
    hid_t space = -1, dcpl = -1, dset = -1;
    hsize_t dims[2] = {N, C};
    space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) {
        SNF_H5_FAIL(file, name, "H5Screate_simple");
    }
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) {
        SNF_H5_FAIL(file, name, "H5Pcreate");
    }
    if (N > 0) {
        hsize_t chunk[2] = {chunk_rows < 1 ? 1 : (chunk_rows > N ? N : chunk_rows), C};
        if (H5Pset_chunk(dcpl, rank, chunk) < 0) {
            SNF_H5_FAIL(file, name, "H5Pset_chunk");
        }
        if (deflate > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) {
            SNF_H5_FAIL(file, name, "H5Pset_shuffle/H5Pset_deflate");
        }
        if (H5Pset_fletcher32(dcpl) < 0) {
            SNF_H5_FAIL(file, name, "H5Pset_fletcher32");
        }
    }
    if (fill != NULL && H5Pset_fill_value(dcpl, type, fill) < 0) {
        SNF_H5_FAIL(file, name, "H5Pset_fill_value");
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        if (lcpl >= 0) {
            H5Pclose(lcpl);
        }
        SNF_H5_FAIL(file, name, "H5Pset_create_intermediate_group");
    }
    dset = H5Dcreate2(loc, name, type, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (dset < 0) {
        SNF_H5_FAIL(file, name, "H5Dcreate2");
    }
cleanup:
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    return rc < 0 ? (hid_t)-1 : dset;
}

/* Selects rows row0 .. row0+n-1 (all columns) of dset's space; returns the file space and fills the
 * memory space, or < 0. */
static int snf_h5_rows_select(hid_t dset, hsize_t row0, hsize_t n, hid_t *fspace, hid_t *mspace,
                              const char *file, const char *name)
{
    int rc = SNF_OK;
    *fspace = H5Dget_space(dset);
    *mspace = -1;
    if (*fspace < 0) {
        SNF_H5_FAIL(file, name, "H5Dget_space");
    }
    hsize_t dims[2] = {0, 1};
    int rank = H5Sget_simple_extent_dims(*fspace, dims, NULL);
    if (rank < 1 || rank > 2) {
        SNF_H5_FAIL(file, name, "H5Sget_simple_extent_dims");
    }
    if (row0 + n > dims[0]) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s: %s: rows %llu..%llu outside its %llu rows", file, name,
                              (unsigned long long)row0, (unsigned long long)(row0 + n), (unsigned long long)dims[0]);
        goto cleanup;
    }
    hsize_t start[2] = {row0, 0}, count[2] = {n, rank == 2 ? dims[1] : 1};
    if (H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        SNF_H5_FAIL(file, name, "H5Sselect_hyperslab");
    }
    *mspace = H5Screate_simple(rank, count, NULL);
    if (*mspace < 0) {
        SNF_H5_FAIL(file, name, "H5Screate_simple");
    }
    return SNF_OK;
cleanup:
    if (*fspace >= 0) {
        H5Sclose(*fspace);
    }
    *fspace = -1;
    return rc;
}

int snf_h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, const void *buf, const char *file,
                      const char *name)
{
    if (n == 0) {
        return SNF_OK;
    }
    hid_t fspace, mspace;
    int rc = snf_h5_rows_select(dset, row0, n, &fspace, &mspace, file, name);
    if (rc < 0) {
        return rc;
    }
    if (H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, buf) < 0) {
        SNF_H5_FAIL(file, name, "H5Dwrite");
    }
cleanup:
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc;
}

int snf_h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, void *buf, const char *file,
                     const char *name)
{
    if (n == 0) {
        return SNF_OK;
    }
    hid_t fspace, mspace;
    int rc = snf_h5_rows_select(dset, row0, n, &fspace, &mspace, file, name);
    if (rc < 0) {
        return rc;
    }
    if (H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, buf) < 0) {
        SNF_H5_FAIL(file, name, "H5Dread");
    }
cleanup:
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc;
}

/* ---- attributes ---- */

static hid_t snf_h5_vlen_str(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Creates (replacing) attribute name on obj with type and space, writes buf. */
static int snf_h5_attr_put(hid_t obj, const char *name, hid_t type, hid_t space, const void *buf, const char *file)
{
    int rc = SNF_OK;
    hid_t a = -1;
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
    return rc;
}

int snf_h5_attr_put_string(hid_t obj, const char *name, const char *value, const char *file)
{
    int rc = SNF_OK;
    hid_t t = snf_h5_vlen_str(), s = H5Screate(H5S_SCALAR);
    if (t < 0 || s < 0) {
        SNF_H5_FAIL(file, name, "string type");
    }
    const char *v = value ? value : "";
    rc = snf_h5_attr_put(obj, name, t, s, &v, file);
cleanup:
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    return rc;
}

int snf_h5_attr_put_strings(hid_t obj, const char *name, const char *const *values, int n, const char *file)
{
    int rc = SNF_OK;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t t = snf_h5_vlen_str(), s = H5Screate_simple(1, dims, NULL);
    if (t < 0 || s < 0) {
        SNF_H5_FAIL(file, name, "string list type");
    }
    rc = snf_h5_attr_put(obj, name, t, s, values, file);
cleanup:
    if (s >= 0) {
        H5Sclose(s);
    }
    if (t >= 0) {
        H5Tclose(t);
    }
    return rc;
}

int snf_h5_attr_put_long(hid_t obj, const char *name, long long value, const char *file)
{
    int rc = SNF_OK;
    hid_t s = H5Screate(H5S_SCALAR);
    if (s < 0) {
        SNF_H5_FAIL(file, name, "H5Screate");
    }
    int64_t v = (int64_t)value; /* stored as little-endian int64 whatever the host: the file type */
    rc = snf_h5_attr_put(obj, name, H5T_NATIVE_INT64, s, &v, file);
cleanup:
    if (s >= 0) {
        H5Sclose(s);
    }
    return rc;
}

int snf_h5_attr_put_doubles(hid_t obj, const char *name, const double *values, int n, const char *file)
{
    int rc = SNF_OK;
    hsize_t dims[1] = {(hsize_t)n};
    hid_t s = H5Screate_simple(1, dims, NULL);
    if (s < 0) {
        SNF_H5_FAIL(file, name, "H5Screate_simple");
    }
    rc = snf_h5_attr_put(obj, name, H5T_NATIVE_DOUBLE, s, values, file);
cleanup:
    if (s >= 0) {
        H5Sclose(s);
    }
    return rc;
}

int snf_h5_attr_get_string(hid_t obj, const char *name, char *buf, size_t n, const char *file)
{
    int rc = SNF_OK;
    hid_t a = -1, ft = -1, mt = -1, s = -1;
    char **v = NULL;
    hssize_t count = 0;
    buf[0] = '\0';
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: no attribute '%s'", file, name);
        goto cleanup;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0 || (ft = H5Aget_type(a)) < 0 || (s = H5Aget_space(a)) < 0) {
        SNF_H5_FAIL(file, name, "H5Aopen");
    }
    if (H5Tget_class(ft) != H5T_STRING) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: attribute '%s' is not a string", file, name);
        goto cleanup;
    }
    count = H5Sget_simple_extent_npoints(s);
    if (count < 1) {
        goto cleanup;
    }
    if (H5Tis_variable_str(ft) > 0) {
        mt = snf_h5_vlen_str();
        v = calloc((size_t)count, sizeof *v);
        if (mt < 0 || v == NULL || H5Aread(a, mt, v) < 0) {
            SNF_H5_FAIL(file, name, "H5Aread");
        }
        size_t len = 0;
        for (hssize_t k = 0; k < count; k++) {
            int w = snprintf(buf + len, n - len, "%s%s", k ? "," : "", v[k] ? v[k] : "");
            len = (w < 0 || (size_t)w >= n - len) ? n - 1 : len + (size_t)w;
        }
        H5Dvlen_reclaim(mt, s, H5P_DEFAULT, v);
    } else {
        size_t sz = H5Tget_size(ft);
        char *tmp = calloc((size_t)count, sz + 1);
        if (tmp == NULL) {
            rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
            goto cleanup;
        }
        if (H5Aread(a, ft, tmp) < 0) {
            free(tmp);
            SNF_H5_FAIL(file, name, "H5Aread");
        }
        snprintf(buf, n, "%.*s", (int)(sz * (size_t)count), tmp);
        free(tmp);
    }
cleanup:
    free(v);
    if (mt >= 0) {
        H5Tclose(mt);
    }
    if (s >= 0) {
        H5Sclose(s);
    }
    if (ft >= 0) {
        H5Tclose(ft);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    return rc;
}

int snf_h5_attr_get_long(hid_t obj, const char *name, long long *value, const char *file)
{
    int rc = SNF_OK;
    hid_t a = -1;
    htri_t exists = H5Aexists(obj, name);
    if (exists <= 0) {
        rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: no attribute '%s'", file, name);
        goto cleanup;
    }
    a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_LLONG, value) < 0) {
        SNF_H5_FAIL(file, name, "H5Aread");
    }
cleanup:
    if (a >= 0) {
        H5Aclose(a);
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
    rc = snf_h5_attr_put(cx->dst, name, t, s, buf, cx->file);
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
