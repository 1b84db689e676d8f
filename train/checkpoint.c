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
#include "snforge/core.h"
#include "snforge/train.h"

/* ---- static helpers ---- */

#define TRY(call)            \
    do {                     \
        rc = (call);         \
        if (rc < 0) {        \
            goto cleanup;    \
        }                    \
    } while (0)

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

/* Writes column f->column of the tensor index ix (built on first use) into obj. */
static int snf_ck_put_index(hid_t obj, const snf_ckf *f, const snf_ckpt *c, snf_ckf_index **ix, const char *path)
{
    if (*ix == NULL) {
        *ix = malloc(sizeof **ix);
        if (*ix == NULL) {
            SNF_ERROR(SNF_ENOMEM, "out of memory writing %s", path);
        }
        snf_ckf_index_build(c, *ix);
    }
    const snf_ckf_index *x = *ix;
    switch (f->column) {
    case SNF_CKI_NAME: return snf_h5_put_strings(obj, f->name, x->name_p, x->n, 0, path);
    case SNF_CKI_SLAB: return snf_h5_put_strings(obj, f->name, x->slab, x->n, 0, path);
    case SNF_CKI_OFFSET: return snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, x->offset, (hsize_t)x->n, 0, 0, path);
    case SNF_CKI_RANK: return snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, x->rank, (hsize_t)x->n, 0, 0, path);
    case SNF_CKI_SHAPE: return snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, x->shape, (hsize_t)x->n, 3, 0, path);
    case SNF_CKI_CHANNELS: return snf_h5_put_strings(obj, f->name, x->chan, x->nchan, 1, path);
    }
    return SNF_OK;
}

/* Writes row f of c into obj (the row's group, or the file for root rows and checks). */
static int snf_ck_put(hid_t file, hid_t obj, const snf_ckf *f, const snf_ckpt *c, snf_ckf_index **ix,
                      const char *path)
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
        return snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, &x, 0, 0, 1, path);
    case SNF_CKF_REAL:
        if (f->count > 0) {
            return snf_h5_put(obj, f->name, H5T_NATIVE_DOUBLE, m, (hsize_t)f->count, 0, 1, path);
        }
        d = f->size == sizeof(float) ? *(const float *)m : *(const double *)m;
        return snf_h5_put(obj, f->name, H5T_NATIVE_DOUBLE, &d, 0, 0, 1, path);
    case SNF_CKF_STR: return snf_h5_attr_put_string(obj, f->name, m, path);
    case SNF_CKF_CONST:
        return f->text ? snf_h5_attr_put_string(obj, f->name, f->text, path)
                       : snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, &f->value, 0, 0, 1, path);
    case SNF_CKF_STRS: return snf_h5_attr_put_strings(obj, f->name, v, f->strings(v), path);
    case SNF_CKF_CHANNEL:
        return snf_h5_attr_put_string(obj, f->name, snf_data_channels_name(*(const int *)m), path);
    case SNF_CKF_CHECK: return f->put ? f->put(file, c, path) : SNF_OK;
    case SNF_CKF_INDEX: return snf_ck_put_index(obj, f, c, ix, path);
    case SNF_CKF_DSET: break;
    }
    unsigned long long rows, cols;
    snf_ckf_dims(f, c, &rows, &cols);
    if (f->elem != SNF_CKE_SIZE) {
        return snf_h5_put(obj, f->name, snf_ck_h5type(f->elem), m, rows, cols, 0, path);
    }
    long long *sz = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *sz);
    if (!sz) {
        SNF_ERROR(SNF_ENOMEM, "out of memory writing %s", path);
    }
    for (unsigned long long i = 0; i < rows; i++) {
        sz[i] = (long long)((const size_t *)m)[i];
    }
    int rc = snf_h5_put(obj, f->name, H5T_NATIVE_LLONG, sz, rows, cols, 0, path);
    free(sz);
    return rc;
}

/* Reads dataset row f (path group/name from the file) into c. */
static int snf_ck_get_dataset(hid_t file, const snf_ckf *f, snf_ckpt *c, const char *path)
{
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", f->group, f->group[0] ? "/" : "", f->name);
    unsigned long long rows, cols;
    hsize_t dims[2] = {0, 0};
    switch (f->shape) { /* the rows are the file's */
    case SNF_CKS_HIST:
        if (snf_h5_get_dims(file, name, 2, dims, path) < 0 || dims[1] != SNF_EPOCH_RECORD_COLS) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s is missing or has the wrong shape", path, name);
        }
        c->n_hist = (long)dims[0];
        break;
    case SNF_CKS_OOD_D:
        if (snf_h5_get_dims(file, name, 1, dims, path) < 0 || dims[0] < 1 || dims[0] > 65536) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s is missing or is not 1-65536 features", path, name);
        }
        c->uq.ood_D = (long)dims[0];
        break;
    case SNF_CKS_NREF:
        SNF_CHECK(snf_h5_get_dims(file, name, 1, dims, path));
        c->uq.ood_n_ref = (long)dims[0];
        break;
    case SNF_CKS_NEAR:
        if (snf_h5_get_dims(file, name, 2, dims, path) < 0 || dims[0] < 1 || dims[0] > SNF_UQ_NEAR_MAX_ROWS ||
            dims[1] != (hsize_t)c->spec.L) {
            SNF_ERROR(SNF_EFORMAT, "%s: /uq/near_lbol is not rows of %d samples (at most %ld rows)", path, c->spec.L,
                      SNF_UQ_NEAR_MAX_ROWS);
        }
        c->uq.near_n = (long)dims[0];
        break;
    default: break;
    }
    snf_ckf_dims(f, c, &rows, &cols);
    void *buf = NULL;
    SNF_CHECK(snf_h5_get_dset(file, name, snf_ck_h5type(f->elem), snf_ck_elsize(f->elem), &buf, rows, cols, path));
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
        memcpy((char *)c + f->off, buf, (size_t)(rows * (cols ? cols : 1)) * snf_ck_elsize(f->elem));
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
        SNF_CHECK(snf_h5_get(obj, f->name, H5T_NATIVE_LLONG, &x, 0, path));
        if (f->size == sizeof(int)) {
            *(int *)m = (int)x;
        } else {
            memcpy(m, &x, sizeof x);
        }
        return SNF_OK;
    case SNF_CKF_REAL:
        if (f->count > 0) {
            return snf_h5_get(obj, f->name, H5T_NATIVE_DOUBLE, m, (hsize_t)f->count, path);
        }
        SNF_CHECK(snf_h5_get(obj, f->name, H5T_NATIVE_DOUBLE, &d, 0, path));
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
        SNF_CHECK(snf_h5_get(obj, f->name, H5T_NATIVE_LLONG, &x, 0, path));
        if (x < f->oldest || x > f->value) {
            if (f->oldest == f->value) {
                SNF_ERROR(SNF_EFORMAT, "%s: model %s %lld (this build reads %lld)", path, f->name, x, f->value);
            }
            SNF_ERROR(SNF_EFORMAT, "%s: model %s %lld (this build reads %lld to %lld)", path, f->name, x, f->oldest,
                      f->value);
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
    n *= cols ? cols : 1;
    if (m == NULL || (f->when && !(f->flags & SNF_CKF_OPTIONAL) && !f->when(c))) {
        return SNF_OK; /* not in this file */
    }
    for (size_t i = 0; i < n; i++) {
        double v = f->elem == SNF_CKE_F32 ? ((const float *)m)[i] : ((const double *)m)[i];
        if (f->rule == SNF_CKR_WEIGHTS && !isfinite(v)) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s/%s[%zu] is not finite: the model file is invalid", path, f->group,
                      f->name, i);
        }
        if (f->rule == SNF_CKR_NONNEG && !(isfinite(v) && v >= 0)) {
            SNF_ERROR(SNF_EFORMAT, "%s: /%s/%s[%d] is %g: expected a finite value >= 0", path, f->group, f->name, (int)i,
                      v);
        }
        if ((f->rule == SNF_CKR_FINITE || f->rule == SNF_CKR_POSITIVE) &&
            (!isfinite(v) || (f->rule == SNF_CKR_POSITIVE && !(v > 0)))) {
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
    snf_ckf_index *ix = NULL;
    if (f < 0) {
        return SNF_EIO;
    }
    for (int i = 0; i < snf_ckpt_nfields; i++) {
        const snf_ckf *r = &snf_ckpt_fields[i];
        if (((r->flags & SNF_CKF_IF_SET) && snf_ck_member(c, r) == NULL) || ((r->flags & SNF_CKF_UQ) && !c->has_uq) ||
            (r->when && !r->when(c))) {
            continue;
        }
        const char *grp = r->kind == SNF_CKF_CHECK ? "" : r->group; /* groups made in the table's order */
        if (snf_ck_enter(f, &g, &open, grp, 1) < 0) {
            SNF_FAIL(SNF_EHDF5, "%s: cannot create /%s", tmp, grp);
        }
        TRY(snf_ck_put(f, g >= 0 ? g : f, r, c, &ix, tmp));
    }
    free(ix);
    ix = NULL;
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
    free(ix);
    if (g >= 0) {
        H5Oclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    remove(tmp);
    return rc;
}

/* Reads every row of the table (the /uq rows when with_uq and the file has the group) into c. */
static int snf_ckpt_read_file(snf_ckpt *c, const char *path, int with_uq)
{
    int rc = SNF_OK;
    memset(c, 0, sizeof *c);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, g = -1;
    const char *open = "";
    SNF_CHECK(snf_h5_open(&f, path, 0, "model file"));
    c->has_uq = with_uq && H5Lexists(f, "uq", H5P_DEFAULT) > 0;
    for (int i = 0; i < snf_ckpt_nfields; i++) {
        const snf_ckf *r = &snf_ckpt_fields[i];
        if ((r->flags & SNF_CKF_WRITE_ONLY) || ((r->flags & SNF_CKF_UQ) && !c->has_uq) ||
            (r->when && !(r->flags & SNF_CKF_OPTIONAL) && !r->when(c))) {
            continue;
        }
        if (r->kind == SNF_CKF_CHECK) {
            TRY(r->check(c, path));
            continue;
        }
        if (r->kind == SNF_CKF_DSET) { /* datasets by their path from the root */
            char name[64];
            snprintf(name, sizeof name, "%s/%s", r->group, r->name);
            if ((r->flags & SNF_CKF_IF_SET) ? H5Lexists(f, r->group, H5P_DEFAULT) > 0
                : (r->flags & SNF_CKF_OPTIONAL) ? H5Lexists(f, name, H5P_DEFAULT) > 0
                                                 : 1) {
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
    snf_ckpt c;
    int rc = snf_ckpt_read_file(&c, path, *(const int *)ctx);
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
            if (r->rule != SNF_CKR_NONE && (r->rule == SNF_CKR_WEIGHTS) == pass &&
                (!(r->flags & SNF_CKF_UQ) || c->has_uq)) {
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

static int snf_ckpt_read_as(snf_ckpt *c, const char *path, int with_uq)
{
    memset(c, 0, sizeof *c);
    SNF_CHECK(snf_h5_guard(path, "model file", snf_ck_check_child, &with_uq, 20));
    SNF_CHECK(snf_ckpt_read_file(c, path, with_uq));
    int rc = snf_ck_validate(c, path);
    if (rc < 0) {
        snf_ckpt_free(c);
    }
    return rc;
}

int snf_ckpt_read(snf_ckpt *c, const char *path) { return snf_ckpt_read_as(c, path, 0); }

int snf_ckpt_read_uq(snf_ckpt *c, const char *path) { return snf_ckpt_read_as(c, path, 1); }

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

int snf_train_predict(snf_net *net, const snf_norm *norm, const float *x, long n, double *pred)
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
