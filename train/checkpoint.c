/* checkpoint.c: the model / checkpoint file (HDF5), written as NAME.tmp, closed, then renamed over NAME
 * (a killed run never leaves a half-written model). Its fields, their layout and their checks are one table
 * (checkpoint_fields.c): snf_ckpt_write, snf_ckpt_read and snf_ckpt_free walk it in order. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "checkpoint_fields.h"
#include "snforge/fileio.h"
#include "snforge/h5io.h"
#include "snforge/status.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

#define TRY(call)            \
    do {                     \
        rc = (call);         \
        if (rc < 0) {        \
            goto cleanup;    \
        }                    \
    } while (0)

/* Writes buf as attribute (attr 1; rows 0: a scalar) or dataset (rows, or rows x cols when cols > 0) name
 * of loc. Datasets are chunked with fletcher32 when not empty: a damaged weight is a read error, not a
 * silent change. */
static int snf_ck_write(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols,
                        int attr, const char *file)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = attr && rows == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t o = -1;
    herr_t e = -1;
    if (attr) {
        o = sp < 0 ? -1 : H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        e = o < 0 ? -1 : H5Awrite(o, type, buf);
    } else {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (dcpl >= 0 && rows > 0) {
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

static int snf_ck_get_attr(hid_t obj, const char *name, hid_t type, void *val, hsize_t n, const char *file)
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

/* A string attribute (fixed or variable length): into buf[n] (when buf) or a malloc'd copy (*dup). */
static int snf_ck_get_string(hid_t obj, const char *name, char *buf, size_t n, char **dup, const char *file)
{
    if (H5Aexists(obj, name) <= 0) {
        SNF_ERROR(SNF_EFORMAT, "%s: attribute %s is missing (not an snforge model file?)", file, name);
    }
    if (buf) {
        return snf_h5_attr_get_string(obj, name, buf, n, file) < 0 ? SNF_EFORMAT : SNF_OK;
    }
    const size_t cap = (size_t)1 << 20;
    char *tmp = malloc(cap);
    if (tmp == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory reading %s", file);
    }
    int rc = snf_h5_attr_get_string(obj, name, tmp, cap, file);
    if (rc >= 0) {
        *dup = strdup(tmp);
        rc = *dup ? SNF_OK : snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory reading %s", file);
    }
    free(tmp);
    return rc < 0 && rc != SNF_ENOMEM ? SNF_EFORMAT : rc;
}

/* Reads dataset name into a new buffer of exactly n elements (rows x cols when cols > 0). */
static int snf_ck_get_dset(hid_t loc, const char *name, hid_t type, size_t elsize, void **buf, hsize_t rows,
                           hsize_t cols, const char *file)
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

/* ---- one row of the table ---- */

static const void *snf_ck_member(const snf_ckpt *c, const snf_ckf *f)
{
    const char *m = (const char *)c + f->off;
    return (f->flags & SNF_CKF_PTR) ? *(void *const *)m : m;
}

static hid_t snf_ck_h5type(snf_ckf_elem e)
{
    return e == SNF_CKE_F32 ? H5T_NATIVE_FLOAT : e == SNF_CKE_F64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG;
}

static size_t snf_ck_elsize(snf_ckf_elem e) { return e == SNF_CKE_F32 ? sizeof(float) : 8; }

/* Writes row f of c into obj (the row's group, or the file for root rows and checks). */
static int snf_ck_put(hid_t file, hid_t obj, const snf_ckf *f, const snf_ckpt *c, const char *path)
{
    const void *m = snf_ck_member(c, f);
    const char *v[SNF_CKF_MAX_STRS];
    long long x = 0;
    double d = 0;
    switch (f->kind) {
    case SNF_CKF_INT:
        if (f->size == sizeof(int)) {
            x = *(const int *)m;
        } else {
            memcpy(&x, m, sizeof x); /* long, uint64_t: the same 64 bits */
        }
        return snf_ck_write(obj, f->name, H5T_NATIVE_LLONG, &x, 0, 0, 1, path);
    case SNF_CKF_REAL:
        if (f->count > 0) {
            return snf_ck_write(obj, f->name, H5T_NATIVE_DOUBLE, m, (hsize_t)f->count, 0, 1, path);
        }
        d = f->size == sizeof(float) ? *(const float *)m : *(const double *)m;
        return snf_ck_write(obj, f->name, H5T_NATIVE_DOUBLE, &d, 0, 0, 1, path);
    case SNF_CKF_STR: return snf_h5_attr_put_string(obj, f->name, m, path);
    case SNF_CKF_CONST:
        return f->text ? snf_h5_attr_put_string(obj, f->name, f->text, path)
                       : snf_ck_write(obj, f->name, H5T_NATIVE_LLONG, &f->value, 0, 0, 1, path);
    case SNF_CKF_STRS: return snf_h5_attr_put_strings(obj, f->name, v, f->strings(v), path);
    case SNF_CKF_CHANNEL:
        return snf_h5_attr_put_string(obj, f->name, snf_data_channels_name(*(const int *)m), path);
    case SNF_CKF_CHECK: return f->put ? f->put(file, c, path) : SNF_OK;
    case SNF_CKF_DSET: break;
    }
    unsigned long long rows, cols;
    snf_ckf_dims(f, c, &rows, &cols);
    if (f->elem != SNF_CKE_SIZE) {
        return snf_ck_write(obj, f->name, snf_ck_h5type(f->elem), m, rows, cols, 0, path);
    }
    long long *sz = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *sz);
    if (!sz) {
        SNF_ERROR(SNF_ENOMEM, "out of memory writing %s", path);
    }
    for (unsigned long long i = 0; i < rows; i++) {
        sz[i] = (long long)((const size_t *)m)[i];
    }
    int rc = snf_ck_write(obj, f->name, H5T_NATIVE_LLONG, sz, rows, cols, 0, path);
    free(sz);
    return rc;
}

/* Reads dataset row f (path group/name from the file) into c. */
static int snf_ck_get_dataset(hid_t file, const snf_ckf *f, snf_ckpt *c, const char *path)
{
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", f->group, f->group[0] ? "/" : "", f->name);
    unsigned long long rows, cols;
    if (f->shape == SNF_CKS_HIST) { /* the rows are the file's */
        hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
        hsize_t dims[2] = {0, 0};
        hid_t sp = d < 0 ? -1 : H5Dget_space(d);
        int rank = sp < 0 ? -1 : H5Sget_simple_extent_dims(sp, dims, NULL);
        if (sp >= 0) {
            H5Sclose(sp);
        }
        if (d >= 0) {
            H5Dclose(d);
        }
        if (rank != 2 || dims[1] != SNF_EPOCH_RECORD_COLS) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s is missing or has the wrong shape", path, name);
        }
        c->n_hist = (long)dims[0];
    }
    snf_ckf_dims(f, c, &rows, &cols);
    void *buf = NULL;
    SNF_CHECK(snf_ck_get_dset(file, name, snf_ck_h5type(f->elem), snf_ck_elsize(f->elem), &buf, rows, cols, path));
    if (f->flags & SNF_CKF_PTR) {
        *(void **)((char *)c + f->off) = buf;
        return SNF_OK;
    }
    if (f->elem == SNF_CKE_SIZE) {
        const long long *sz = buf;
        for (unsigned long long i = 0; i < rows; i++) {
            if ((size_t)sz[i] != c->sizes[i]) {
                int rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: the size table disagrees "
                                          "with /net at tensor %d (%lld vs %zu)", path, (int)i, sz[i], c->sizes[i]);
                free(buf);
                return rc;
            }
        }
    } else {
        memcpy((char *)c + f->off, buf, (size_t)rows * snf_ck_elsize(f->elem));
    }
    free(buf);
    return SNF_OK;
}

/* Reads attribute row f from obj (its group) into c; checks run on c. */
static int snf_ck_get(hid_t obj, const snf_ckf *f, snf_ckpt *c, const char *path)
{
    void *m = (char *)c + f->off;
    long long x = 0;
    double d = 0;
    char buf[64] = "";
    switch (f->kind) {
    case SNF_CKF_INT:
        SNF_CHECK(snf_ck_get_attr(obj, f->name, H5T_NATIVE_LLONG, &x, 0, path));
        if (f->size == sizeof(int)) {
            *(int *)m = (int)x;
        } else {
            memcpy(m, &x, sizeof x);
        }
        return SNF_OK;
    case SNF_CKF_REAL:
        if (f->count > 0) {
            return snf_ck_get_attr(obj, f->name, H5T_NATIVE_DOUBLE, m, (hsize_t)f->count, path);
        }
        SNF_CHECK(snf_ck_get_attr(obj, f->name, H5T_NATIVE_DOUBLE, &d, 0, path));
        if (f->size == sizeof(float)) {
            *(float *)m = (float)d;
        } else {
            *(double *)m = d;
        }
        return SNF_OK;
    case SNF_CKF_STR:
        return (f->flags & SNF_CKF_PTR) ? snf_ck_get_string(obj, f->name, NULL, 0, (char **)m, path)
                                        : snf_ck_get_string(obj, f->name, m, f->size, NULL, path);
    case SNF_CKF_CONST:
        if (f->text) {
            if (snf_ck_get_string(obj, f->name, buf, sizeof buf, NULL, path) < 0) {
                char format[64] = "";
                snf_error_clear();
                if (H5Aexists(obj, "format") > 0 && snf_h5_attr_get_string(obj, "format", format, sizeof format, path) >= 0 &&
                    strcmp(format, "snforge-dataset") == 0) {
                    SNF_ERROR(SNF_EFORMAT, "%s is an snforge dataset file, not a model file (a model is written by "
                                           "snforge train): were a MODEL.h5 and a DATA.h5 argument swapped?", path);
                }
                snf_error_clear();
                SNF_ERROR(SNF_EFORMAT, "%s is not an snforge model file: it has no '%s' attribute '%s' (a model is "
                                       "written by snforge train)", path, f->name, f->text);
            }
            if (strcmp(buf, f->text) != 0) {
                SNF_ERROR(SNF_EFORMAT, "%s is not an snforge model file (%s '%s', expected '%s')", path, f->name, buf,
                          f->text);
            }
            return SNF_OK;
        }
        SNF_CHECK(snf_ck_get_attr(obj, f->name, H5T_NATIVE_LLONG, &x, 0, path));
        if (x != f->value) {
            SNF_ERROR(SNF_EFORMAT, "%s: model %s %lld (this build reads %lld)", path, f->name, x, f->value);
        }
        return SNF_OK;
    case SNF_CKF_CHANNEL:
        SNF_CHECK(snf_ck_get_string(obj, f->name, buf, 32, NULL, path));
        *(int *)m = strcmp(buf, "luminosity") == 0 ? SNF_CH_LBOL
                  : strcmp(buf, "velocity") == 0   ? SNF_CH_VPH
                  : strcmp(buf, "both") == 0       ? SNF_CH_BOTH
                                                   : 0;
        if (*(int *)m == 0) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s %s '%s' (expected luminosity, velocity or both)", path, f->group, f->name,
                      buf);
        }
        return SNF_OK;
    default: return SNF_OK;
    }
}

/* Row f's validation rule on a read c. */
static int snf_ck_rule(const snf_ckf *f, const snf_ckpt *c, const char *path)
{
    unsigned long long n, cols;
    snf_ckf_dims(f, c, &n, &cols);
    const void *m = snf_ck_member(c, f);
    for (size_t i = 0; i < n; i++) {
        double v = f->elem == SNF_CKE_F32 ? ((const float *)m)[i] : ((const double *)m)[i];
        if (f->rule == SNF_CKR_WEIGHTS && !isfinite(v)) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s/%s[%zu] is not finite: the model file is invalid", path, f->group,
                      f->name, i);
        }
        if (f->rule != SNF_CKR_WEIGHTS && (!isfinite(v) || (f->rule == SNF_CKR_POSITIVE && !(v > 0)))) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s/%s[%d] = %g: expected a finite%s value; the model file is invalid "
                      "(train it again)", path, f->group, f->name, (int)i, v,
                      f->rule == SNF_CKR_POSITIVE ? " positive" : "");
        }
    }
    return SNF_OK;
}

/* Makes grp the open object *g (closing the previous one; "" is the root, *g = -1): opened as a group
 * when reading, opened (an existing object, such as the /history dataset) or created when writing. */
static int snf_ck_enter(hid_t f, hid_t *g, const char **open, const char *grp, int write)
{
    if (strcmp(grp, *open) == 0) {
        return SNF_OK;
    }
    if (*g >= 0) {
        H5Oclose(*g);
    }
    *g = -1;
    *open = grp;
    if (grp[0] && !write) {
        *g = H5Gopen2(f, grp, H5P_DEFAULT);
    } else if (grp[0]) {
        *g = H5Lexists(f, grp, H5P_DEFAULT) > 0 ? H5Oopen(f, grp, H5P_DEFAULT)
                                                : H5Gcreate2(f, grp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    return grp[0] && *g < 0 ? -1 : SNF_OK;
}

/* ---- public API ---- */

int snf_ckpt_write(const char *path, const snf_ckpt *c)
{
    int rc = SNF_OK;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = snf_h5_create_file(tmp), g = -1;
    const char *open = "";
    if (f < 0) {
        return SNF_EIO;
    }
    for (int i = 0; i < snf_ckpt_nfields; i++) {
        const snf_ckf *r = &snf_ckpt_fields[i];
        if ((r->flags & SNF_CKF_IF_SET) && snf_ck_member(c, r) == NULL) {
            continue;
        }
        const char *grp = r->kind == SNF_CKF_CHECK ? "" : r->group; /* groups made in the table's order */
        if (snf_ck_enter(f, &g, &open, grp, 1) < 0) {
            SNF_FAIL(SNF_EHDF5, "%s: cannot create /%s", tmp, grp);
        }
        TRY(snf_ck_put(f, g >= 0 ? g : f, r, c, tmp));
    }
    snf_ck_enter(f, &g, &open, "", 1);
    herr_t e = H5Fclose(f);
    f = -1;
    if (e < 0) {
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        SNF_FAIL(SNF_EHDF5, "cannot close %s (its last writes failed): %s", tmp, reason);
    }
    if ((rc = snf_atomic_commit(tmp, path)) < 0) {
        goto cleanup;
    }
    return SNF_OK;
cleanup:
    if (g >= 0) {
        H5Oclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    remove(tmp);
    return rc;
}

static int snf_ckpt_read_file(snf_ckpt *c, const char *path)
{
    int rc = SNF_OK;
    memset(c, 0, sizeof *c);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, g = -1;
    const char *open = "";
    SNF_CHECK(snf_h5_open(&f, path, 0, "model file"));
    for (int i = 0; i < snf_ckpt_nfields; i++) {
        const snf_ckf *r = &snf_ckpt_fields[i];
        if (r->flags & SNF_CKF_WRITE_ONLY) {
            continue;
        }
        if (r->kind == SNF_CKF_CHECK) {
            TRY(r->check(c, path));
            continue;
        }
        if (r->kind == SNF_CKF_DSET) { /* datasets by their path from the root */
            if (!(r->flags & SNF_CKF_IF_SET) || H5Lexists(f, r->group, H5P_DEFAULT) > 0) {
                TRY(snf_ck_get_dataset(f, r, c, path));
            }
            continue;
        }
        if (snf_ck_enter(f, &g, &open, r->group, 0) < 0) { /* attributes from their group */
            SNF_FAIL(SNF_EFORMAT, "%s: group /%s is missing", path, r->group);
        }
        if (!(r->flags & SNF_CKF_OPTIONAL) || H5Aexists(g >= 0 ? g : f, r->name) > 0) {
            TRY(snf_ck_get(g >= 0 ? g : f, r, c, path));
        }
    }
cleanup:
    snf_ck_enter(f, &g, &open, "", 0);
    H5Fclose(f);
    if (rc < 0) {
        snf_ckpt_free(c);
    }
    return rc;
}

static int snf_ck_check_child(const char *path, void *ctx)
{
    (void)ctx;
    snf_ckpt c;
    int rc = snf_ckpt_read_file(&c, path);
    if (rc >= 0) {
        snf_ckpt_free(&c);
    }
    return rc;
}

/* What a model must hold to be used: the normalisation's rules, a time window, then the weights' rules. */
static int snf_ck_validate(const snf_ckpt *c, const char *path)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < snf_ckpt_nfields; i++) {
            const snf_ckf *r = &snf_ckpt_fields[i];
            if (r->rule != SNF_CKR_NONE && (r->rule == SNF_CKR_WEIGHTS) == pass) {
                SNF_CHECK(snf_ck_rule(r, c, path));
            }
        }
        if (pass == 0 && !(isfinite(c->spec.t_start_d) && isfinite(c->spec.t_end_d) &&
                           c->spec.t_end_d > c->spec.t_start_d)) {
            SNF_ERROR(SNF_EFORMAT, "%s: /norm t_start_d %g, t_end_d %g: expected finite days, start before end",
                      path, c->spec.t_start_d, c->spec.t_end_d);
        }
    }
    return SNF_OK;
}

int snf_ckpt_read(snf_ckpt *c, const char *path)
{
    memset(c, 0, sizeof *c);
    SNF_CHECK(snf_h5_guard(path, "model file", snf_ck_check_child, NULL, 20));
    SNF_CHECK(snf_ckpt_read_file(c, path));
    int rc = snf_ck_validate(c, path);
    if (rc < 0) {
        snf_ckpt_free(c);
    }
    return rc;
}

void snf_ckpt_free(snf_ckpt *c)
{
    if (!c) {
        return;
    }
    for (int i = 0; i < snf_ckpt_nfields; i++) {
        if (snf_ckpt_fields[i].flags & SNF_CKF_PTR) {
            free(*(void **)((char *)c + snf_ckpt_fields[i].off));
        }
    }
    memset(c, 0, sizeof *c);
}

int snf_ckpt_net(const snf_ckpt *c, int max_B, snf_net **net)
{
    snf_net_config cfg = c->net;
    cfg.max_B = max_B;
    int rc = snf_net_alloc(net, &cfg);
    if (rc < 0) {
        return rc;
    }
    snf_net_init(*net, c->seed);
    memcpy((*net)->params, c->best_params, c->nparams * sizeof(float));
    memcpy((*net)->bn_stats, c->best_stats, c->nstats * sizeof(float));
    return SNF_OK;
}

int snf_predict(snf_net *net, const snf_norm *norm, const float *x, long n, double *pred)
{
    const int B = net->cfg.max_B;
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    for (long i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? (int)(n - i0) : B;
        int rc = snf_net_forward(net, x + (size_t)i0 * CL, NULL, nb, 0, NULL);
        if (rc < 0) {
            return rc;
        }
        const float *y = snf_net_pred(net);
        for (int k = 0; k < nb; k++) {
            snf_data_decode_targets(pred + (size_t)(i0 + k) * SNF_DATA_NP, y + (size_t)k * net->cfg.n_out, norm);
        }
    }
    return SNF_OK;
}
