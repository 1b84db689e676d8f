/* h5obj.c: whole attributes and datasets of the model file (h5io.h), the helpers its field table
 * (train/checkpoint_fields.c) is written and read through: one call writes or reads one field, checks its
 * count or shape, and reports SNF_EHDF5 / SNF_EFORMAT naming the file and the field. Strings are written
 * fixed-length UTF-8 and read in either kind (fixed or variable length: files before format 2). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

#define SNF_H5_STR_MAX_BYTES ((size_t)1 << 24) /* 16 MiB: no string dataset of a model is near */

/* ---- write ---- */

int snf_h5_put(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols, int attr,
               const char *file)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = attr && rows == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t o = -1;
    herr_t e = -1;
    if (attr) {
        o = sp < 0 ? -1 : H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        e = o < 0 ? -1 : H5Awrite(o, type, buf);
    } else {
        /* one chunk with fletcher32 when not empty: a damaged value is a read error, not a silent change */
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (dcpl >= 0 && rows * (cols ? cols : 1) > 0) {
            hsize_t chunk[2] = {rows, cols};
            if (H5Pset_chunk(dcpl, cols ? 2 : 1, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) {
                H5Pclose(dcpl);
                dcpl = -1;
            }
        }
        o = (sp < 0 || dcpl < 0) ? -1 : H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (dcpl >= 0) {
            H5Pclose(dcpl);
        }
        e = o < 0 ? -1 : (rows * (cols ? cols : 1) == 0 ? 0 : H5Dwrite(o, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    }
    char reason[256] = "";
    if (e < 0) {
        snf_h5_reason(reason, sizeof reason); /* before the closes clear HDF5's error stack */
    }
    if (o >= 0) {
        attr ? H5Aclose(o) : H5Dclose(o);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write %s %s: %s", file, attr ? "attribute" : "dataset", name,
                  reason[0] ? reason : "HDF5 error");
    }
    return SNF_OK;
}

int snf_h5_put_strings(hid_t loc, const char *name, const char *const *values, int n, int attr, const char *file)
{
    if (attr) {
        return snf_h5_attr_put_strings(loc, name, values, n, file);
    }
    size_t w = 1;
    for (int k = 0; k < n; k++) {
        size_t l = values[k] ? strlen(values[k]) + 1 : 1;
        w = l > w ? l : w;
    }
    char *buf = calloc((size_t)(n > 0 ? n : 1), w);
    hid_t t = H5Tcopy(H5T_C_S1);
    if (buf == NULL || t < 0 || H5Tset_size(t, w) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        free(buf);
        if (t >= 0) {
            H5Tclose(t);
        }
        SNF_ERROR(SNF_ENOMEM, "%s: cannot make the string type of %s", file, name);
    }
    for (int k = 0; k < n; k++) {
        if (values[k]) {
            memcpy(buf + (size_t)k * w, values[k], strlen(values[k]));
        }
    }
    int rc = snf_h5_put(loc, name, t, buf, (hsize_t)n, 0, 0, file);
    H5Tclose(t);
    free(buf);
    return rc;
}

/* ---- read ---- */

int snf_h5_get(hid_t obj, const char *name, hid_t type, void *val, hsize_t n, const char *file)
{
    if (H5Aexists(obj, name) <= 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: attribute %s is missing (not an snforge model file?)", file, name);
    }
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t sp = a < 0 ? -1 : H5Aget_space(a);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    herr_t e = (np < 0 || (hsize_t)np != (n ? n : 1)) ? -1 : H5Aread(a, type, val);
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: cannot read attribute %s", file, name);
    }
    return SNF_OK;
}

int snf_h5_get_dims(hid_t loc, const char *name, int rank, hsize_t *dims, const char *file)
{
    hid_t d = H5Lexists(loc, name, H5P_DEFAULT) > 0 ? H5Dopen2(loc, name, H5P_DEFAULT) : -1;
    hid_t sp = d < 0 ? -1 : H5Dget_space(d);
    hsize_t got[H5S_MAX_RANK] = {0};
    int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    if (r == rank) {
        H5Sget_simple_extent_dims(sp, got, NULL);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    if (r != rank) {
        SNF_ERROR(SNF_EFORMAT, "%s: /%s is missing or has the wrong shape", file, name);
    }
    memcpy(dims, got, (size_t)rank * sizeof *dims);
    return SNF_OK;
}

int snf_h5_get_dset(hid_t loc, const char *name, hid_t type, size_t elsize, void **buf, hsize_t rows, hsize_t cols,
                    const char *file)
{
    *buf = NULL;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: dataset %s is missing", file, name);
    }
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d < 0 ? -1 : H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_dims(sp, dims, NULL);
    int ok = rank == (cols ? 2 : 1) && dims[0] == rows && (!cols || dims[1] == cols);
    size_t n = (size_t)(rows * (cols ? cols : 1));
    herr_t e = -1;
    if (ok) {
        *buf = malloc(n ? n * elsize : 1);
        e = *buf == NULL ? -1 : (n == 0 ? 0 : H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf));
    }
    char reason[256] = "";
    if (e < 0) {
        snf_h5_reason(reason, sizeof reason); /* before the closes below clear HDF5's error stack */
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    if (!ok) {
        SNF_ERROR(SNF_EFORMAT, "%s: dataset %s has the wrong shape (expected %llu x %llu)", file, name,
                  (unsigned long long)rows, (unsigned long long)cols);
    }
    if (e < 0) {
        free(*buf);
        *buf = NULL;
        SNF_ERROR(SNF_EFORMAT, "%s: cannot read dataset %s (%s): the model file is damaged", file, name,
                  reason[0] ? reason : "HDF5 read error");
    }
    return SNF_OK;
}

int snf_h5_get_strings(hid_t loc, const char *name, char **out, size_t *width, hsize_t *count, const char *file)
{
    *out = NULL;
    *width = 0;
    *count = 0;
    hsize_t n = 0;
    SNF_CHECK(snf_h5_get_dims(loc, name, 1, &n, file));
    int rc = SNF_OK;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), ft = d < 0 ? -1 : H5Dget_type(d), mt = -1;
    char **v = NULL, *tmp = NULL;
    if (ft < 0 || H5Tget_class(ft) != H5T_STRING) {
        SNF_FAIL(SNF_EFORMAT, "%s: /%s is not a string dataset", file, name);
    }
    size_t w = 1;
    if (H5Tis_variable_str(ft) > 0) { /* files before format 2 */
        mt = H5Tcopy(H5T_C_S1);
        v = calloc((size_t)(n ? n : 1), sizeof *v);
        if (mt < 0 || H5Tset_size(mt, H5T_VARIABLE) < 0 || H5Tset_cset(mt, H5Tget_cset(ft)) < 0 || v == NULL ||
            (n > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)) {
            SNF_FAIL(SNF_EFORMAT, "%s: cannot read the strings of /%s: the model file is damaged", file, name);
        }
        for (hsize_t k = 0; k < n; k++) {
            size_t l = v[k] ? strlen(v[k]) + 1 : 1;
            w = l > w ? l : w;
        }
        tmp = w <= SNF_H5_STR_MAX_BYTES / (n ? n : 1) ? calloc((size_t)(n ? n : 1), w) : NULL;
        for (hsize_t k = 0; tmp && k < n; k++) {
            if (v[k]) {
                memcpy(tmp + (size_t)k * w, v[k], strlen(v[k]));
            }
        }
        hid_t sp = H5Dget_space(d);
        H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        H5Sclose(sp);
    } else {
        size_t sz = H5Tget_size(ft);
        if (sz == 0 || sz > SNF_H5_STR_MAX_BYTES / (n ? n : 1)) {
            SNF_FAIL(SNF_EFORMAT, "%s: /%s has an implausible string size (%zu bytes)", file, name, sz);
        }
        w = sz + 1;
        char *raw = calloc((size_t)(n ? n : 1), sz);
        mt = H5Tcopy(ft); /* the file's own size, padding and character set */
        if (raw == NULL || mt < 0 || (n > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)) {
            free(raw);
            SNF_FAIL(SNF_EFORMAT, "%s: cannot read the strings of /%s: the model file is damaged", file, name);
        }
        int spaces = H5Tget_strpad(ft) == H5T_STR_SPACEPAD;
        tmp = calloc((size_t)(n ? n : 1), w);
        for (hsize_t k = 0; tmp && k < n; k++) {
            const char *e = raw + (size_t)k * sz;
            const char *z = memchr(e, '\0', sz);
            size_t len = z ? (size_t)(z - e) : sz;
            while (spaces && len > 0 && e[len - 1] == ' ') {
                len--;
            }
            memcpy(tmp + (size_t)k * w, e, len);
        }
        free(raw);
    }
    if (tmp == NULL) {
        SNF_FAIL(SNF_ENOMEM, "out of memory reading /%s of %s", name, file);
    }
    *out = tmp;
    tmp = NULL;
    *width = w;
    *count = n;
cleanup:
    free(v);
    free(tmp);
    if (mt >= 0) {
        H5Tclose(mt);
    }
    if (ft >= 0) {
        H5Tclose(ft);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    return rc;
}
