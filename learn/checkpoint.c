/* checkpoint.c: the model / checkpoint file (HDF5), written as NAME.tmp, closed, then renamed over NAME
 * (a killed run never leaves a half-written model). Layout (all readable with plain h5py):
 *   /            attrs magic "snforge-model", format_version, finished, stop_reason, epoch, seed, threads,
 *                config_text, data_file, data_source, data_created, n_train, n_val, n_test,
 *                target_names, target_units
 *   /net         attrs: the snf_it_config fields
 *   /params      f32 [nparams]  current weights      /bn_stats f32 [nstats] current BN running statistics
 *   /best/params, /best/bn_stats  the weights of the best validation loss (what evaluate/predict use)
 *   /sizes       i64 [ntensors] the size table (slab order); /lr_mult f32 [ntensors]
 *   /optimizer   /optimizer/m, /optimizer/v f32 [nparams]; attrs t (Adam steps), step (forwards), lr,
 *                beta1, beta2, eps, base_lr
 *   /schedule    attrs plateau_* and earlystop_* (settings and state)
 *   /norm        attrs channels, mask, length, t_start_d, t_end_d; datasets x_mean, x_std [2] (log10 L,
 *                v_ph km/s), y_mean, y_std [4] (log10 energy, mass, radius, nickel)
 *   /history     f64 [epochs, 9]: epoch, train_loss, val_loss, lr, val_mape_{energy,mass,radius,nickel}
 *                (percent), wall_s; attr columns
 *   /metrics     attrs test_{mape,mdape,r2}, baseline_{...} [4] when finished and a test split exists
 *   /tensors     the name, slab, offset and shape of every tensor (model_tensors.c) */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "model_tensors.h"
#include "snforge/config.h"
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

static int snf_ck_attr(hid_t obj, const char *name, hid_t type, const void *val, hsize_t n, const char *file)
{
    hid_t sp = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a < 0 ? -1 : H5Awrite(a, type, val);
    if (a >= 0) {
        H5Aclose(a);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write attribute %s", file, name);
    }
    return SNF_OK;
}

static int snf_ck_attr_long(hid_t obj, const char *name, long long v, const char *file)
{
    return snf_ck_attr(obj, name, H5T_NATIVE_LLONG, &v, 0, file);
}

static int snf_ck_attr_double(hid_t obj, const char *name, double v, const char *file)
{
    return snf_ck_attr(obj, name, H5T_NATIVE_DOUBLE, &v, 0, file);
}

static hid_t snf_ck_strtype(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0) {
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
    }
    return t;
}

static int snf_ck_attr_string(hid_t obj, const char *name, const char *v, const char *file)
{
    hid_t t = snf_ck_strtype();
    const char *s = v ? v : "";
    int rc = t < 0 ? SNF_EHDF5 : snf_ck_attr(obj, name, t, &s, 0, file);
    if (t >= 0) {
        H5Tclose(t);
    }
    return rc;
}

static int snf_ck_attr_strings(hid_t obj, const char *name, const char *const *v, int n, const char *file)
{
    hid_t t = snf_ck_strtype();
    int rc = t < 0 ? SNF_EHDF5 : snf_ck_attr(obj, name, t, v, (hsize_t)n, file);
    if (t >= 0) {
        H5Tclose(t);
    }
    return rc;
}

static int snf_ck_dset(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols,
                       const char *file)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = d < 0 ? -1 : (rows * (cols ? cols : 1) == 0 ? 0 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    if (d >= 0) {
        H5Dclose(d);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write dataset %s", file, name);
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

static int snf_ck_get_long(hid_t obj, const char *name, long long *v, const char *file)
{
    return snf_ck_get_attr(obj, name, H5T_NATIVE_LLONG, v, 0, file);
}

static int snf_ck_get_int(hid_t obj, const char *name, int *v, const char *file)
{
    long long x = 0;
    int rc = snf_ck_get_long(obj, name, &x, file);
    *v = (int)x;
    return rc;
}

static int snf_ck_get_double(hid_t obj, const char *name, double *v, const char *file)
{
    return snf_ck_get_attr(obj, name, H5T_NATIVE_DOUBLE, v, 0, file);
}

static int snf_ck_get_float(hid_t obj, const char *name, float *v, const char *file)
{
    double x = 0;
    int rc = snf_ck_get_double(obj, name, &x, file);
    *v = (float)x;
    return rc;
}

/* A string attribute: into buf[n] (when buf) or a malloc'd copy (*dup). */
static int snf_ck_get_string(hid_t obj, const char *name, char *buf, size_t n, char **dup, const char *file)
{
    hid_t t = snf_ck_strtype();
    char *s = NULL;
    int rc = t < 0 ? SNF_EHDF5 : snf_ck_get_attr(obj, name, t, &s, 0, file);
    if (t >= 0) {
        H5Tclose(t);
    }
    if (rc < 0) {
        return rc;
    }
    if (buf) {
        snprintf(buf, n, "%s", s ? s : "");
    }
    if (dup) {
        *dup = strdup(s ? s : "");
        if (!*dup) {
            rc = SNF_ENOMEM;
        }
    }
    H5free_memory(s);
    if (rc < 0) {
        SNF_ERROR(rc, "out of memory reading %s", file);
    }
    return SNF_OK;
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
        SNF_ERROR(SNF_EHDF5, "%s: cannot read dataset %s", file, name);
    }
    return SNF_OK;
}

static const char *const snf_hist_cols[SNF_EPOCH_RECORD_COLS] = {
    "epoch", "train_loss", "val_loss", "lr", "val_mape_energy", "val_mape_mass", "val_mape_radius",
    "val_mape_nickel", "wall_s"};

static int snf_ck_write_metrics(hid_t g, const char *prefix, const snf_metrics *m, const char *file)
{
    char name[64];
    int rc;
    snprintf(name, sizeof name, "%s_mape", prefix);
    if ((rc = snf_ck_attr(g, name, H5T_NATIVE_DOUBLE, m->mape, SNF_DATA_NP, file)) < 0) {
        return rc;
    }
    snprintf(name, sizeof name, "%s_mdape", prefix);
    if ((rc = snf_ck_attr(g, name, H5T_NATIVE_DOUBLE, m->mdape, SNF_DATA_NP, file)) < 0) {
        return rc;
    }
    snprintf(name, sizeof name, "%s_r2", prefix);
    if ((rc = snf_ck_attr(g, name, H5T_NATIVE_DOUBLE, m->r2, SNF_DATA_NP, file)) < 0) {
        return rc;
    }
    snprintf(name, sizeof name, "%s_n", prefix);
    return snf_ck_attr_long(g, name, m->n, file);
}

static int snf_ck_read_metrics(hid_t g, const char *prefix, snf_metrics *m, const char *file)
{
    char name[64];
    int rc;
    long long n = 0;
    snprintf(name, sizeof name, "%s_n", prefix);
    if ((rc = snf_ck_get_long(g, name, &n, file)) < 0) {
        return rc;
    }
    m->n = (long)n;
    snprintf(name, sizeof name, "%s_mape", prefix);
    if ((rc = snf_ck_get_attr(g, name, H5T_NATIVE_DOUBLE, m->mape, SNF_DATA_NP, file)) < 0) {
        return rc;
    }
    snprintf(name, sizeof name, "%s_mdape", prefix);
    if ((rc = snf_ck_get_attr(g, name, H5T_NATIVE_DOUBLE, m->mdape, SNF_DATA_NP, file)) < 0) {
        return rc;
    }
    snprintf(name, sizeof name, "%s_r2", prefix);
    return snf_ck_get_attr(g, name, H5T_NATIVE_DOUBLE, m->r2, SNF_DATA_NP, file);
}

/* ---- public API ---- */

int snf_ckpt_write(const char *path, const snf_ckpt *c)
{
    int rc = SNF_OK;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, g = -1;
    long long *sz = malloc((size_t)(c->ntensors > 0 ? c->ntensors : 1) * sizeof *sz);
    if (!sz) {
        SNF_ERROR(SNF_ENOMEM, "out of memory writing %s", path);
    }
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        SNF_FAIL(SNF_EIO, "cannot create %s", tmp);
    }
    /* root */
    TRY(snf_ck_attr_string(f, "magic", SNF_MODEL_MAGIC, tmp));
    TRY(snf_ck_attr_long(f, "format_version", SNF_MODEL_FORMAT_VERSION, tmp));
    TRY(snf_ck_attr_long(f, "finished", c->finished, tmp));
    TRY(snf_ck_attr_string(f, "stop_reason", c->stop_reason, tmp));
    TRY(snf_ck_attr_long(f, "epoch", c->epoch, tmp));
    TRY(snf_ck_attr_long(f, "seed", (long long)c->seed, tmp));
    TRY(snf_ck_attr_long(f, "threads", c->threads, tmp));
    TRY(snf_ck_attr_string(f, "config_text", c->config_text, tmp));
    TRY(snf_ck_attr_string(f, "data_file", c->data_file, tmp));
    TRY(snf_ck_attr_string(f, "data_source", c->data_source, tmp));
    TRY(snf_ck_attr_string(f, "data_created", c->data_created, tmp));
    TRY(snf_ck_attr_long(f, "n_train", c->n_train, tmp));
    TRY(snf_ck_attr_long(f, "n_val", c->n_val, tmp));
    TRY(snf_ck_attr_long(f, "n_test", c->n_test, tmp));
    const char *tn[SNF_DATA_NP], *tu[SNF_DATA_NP];
    for (int p = 0; p < SNF_DATA_NP; p++) {
        tn[p] = snf_axis_name((snf_axis_target)p);
        tu[p] = snf_axis_units((snf_axis_target)p);
    }
    TRY(snf_ck_attr_strings(f, "target_names", tn, SNF_DATA_NP, tmp));
    TRY(snf_ck_attr_strings(f, "target_units", tu, SNF_DATA_NP, tmp));
    /* architecture */
    g = H5Gcreate2(f, "net", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /net", tmp);
    }
    const snf_it_config *n = &c->net;
    TRY(snf_ck_attr_long(g, "C_in", n->C_in, tmp));
    TRY(snf_ck_attr_long(g, "n_out", n->n_out, tmp));
    TRY(snf_ck_attr_long(g, "T", n->T, tmp));
    TRY(snf_ck_attr_long(g, "max_B", n->max_B, tmp));
    TRY(snf_ck_attr_long(g, "filters", n->filters, tmp));
    TRY(snf_ck_attr_long(g, "depth", n->depth, tmp));
    TRY(snf_ck_attr_long(g, "kernel", n->kernel, tmp));
    TRY(snf_ck_attr_long(g, "bottleneck", n->bottleneck, tmp));
    TRY(snf_ck_attr_long(g, "residual", n->residual, tmp));
    TRY(snf_ck_attr_double(g, "bn_eps", n->bn_eps, tmp));
    TRY(snf_ck_attr_double(g, "bn_momentum", n->bn_momentum, tmp));
    TRY(snf_ck_attr_double(g, "dropout", n->dropout, tmp));
    H5Gclose(g);
    g = -1;
    /* slabs */
    for (int i = 0; i < c->ntensors; i++) {
        sz[i] = (long long)c->sizes[i];
    }
    TRY(snf_ck_dset(f, "sizes", H5T_NATIVE_LLONG, sz, (hsize_t)c->ntensors, 0, tmp));
    TRY(snf_ck_dset(f, "lr_mult", H5T_NATIVE_FLOAT, c->lr_mult, (hsize_t)c->ntensors, 0, tmp));
    TRY(snf_ck_dset(f, "params", H5T_NATIVE_FLOAT, c->params, c->nparams, 0, tmp));
    TRY(snf_ck_dset(f, "bn_stats", H5T_NATIVE_FLOAT, c->bn_stats, c->nstats, 0, tmp));
    g = H5Gcreate2(f, "best", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /best", tmp);
    }
    TRY(snf_ck_dset(g, "params", H5T_NATIVE_FLOAT, c->best_params, c->nparams, 0, tmp));
    TRY(snf_ck_dset(g, "bn_stats", H5T_NATIVE_FLOAT, c->best_stats, c->nstats, 0, tmp));
    H5Gclose(g);
    /* optimizer */
    g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /optimizer", tmp);
    }
    TRY(snf_ck_dset(g, "m", H5T_NATIVE_FLOAT, c->adam_m, c->nparams, 0, tmp));
    TRY(snf_ck_dset(g, "v", H5T_NATIVE_FLOAT, c->adam_v, c->nparams, 0, tmp));
    TRY(snf_ck_attr_long(g, "t", c->adam_t, tmp));
    TRY(snf_ck_attr_long(g, "step", (long long)c->step, tmp));
    TRY(snf_ck_attr_double(g, "lr", c->lr, tmp));
    H5Gclose(g);
    /* schedules */
    g = H5Gcreate2(f, "schedule", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /schedule", tmp);
    }
    TRY(snf_ck_attr_double(g, "plateau_factor", c->plateau.factor, tmp));
    TRY(snf_ck_attr_long(g, "plateau_patience", c->plateau.patience, tmp));
    TRY(snf_ck_attr_double(g, "plateau_min_lr", c->plateau.min_lr, tmp));
    TRY(snf_ck_attr_double(g, "plateau_min_delta", c->plateau.min_delta, tmp));
    TRY(snf_ck_attr_long(g, "plateau_cooldown", c->plateau.cooldown, tmp));
    TRY(snf_ck_attr_double(g, "plateau_best", c->plateau.best, tmp));
    TRY(snf_ck_attr_long(g, "plateau_wait", c->plateau.wait, tmp));
    TRY(snf_ck_attr_long(g, "plateau_cooldown_left", c->plateau.cooldown_left, tmp));
    TRY(snf_ck_attr_long(g, "earlystop_patience", c->es.patience, tmp));
    TRY(snf_ck_attr_double(g, "earlystop_min_delta", c->es.min_delta, tmp));
    TRY(snf_ck_attr_double(g, "earlystop_best", c->es.best, tmp));
    TRY(snf_ck_attr_long(g, "earlystop_wait", c->es.wait, tmp));
    TRY(snf_ck_attr_long(g, "earlystop_best_epoch", c->es.best_epoch, tmp));
    H5Gclose(g);
    /* normalisation */
    g = H5Gcreate2(f, "norm", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /norm", tmp);
    }
    TRY(snf_ck_attr_string(g, "channels", snf_data_channels_name(c->spec.channels), tmp));
    TRY(snf_ck_attr_long(g, "mask", c->spec.mask, tmp));
    TRY(snf_ck_attr_long(g, "length", c->spec.L, tmp));
    TRY(snf_ck_attr_double(g, "t_start_d", c->spec.t_start_d, tmp));
    TRY(snf_ck_attr_double(g, "t_end_d", c->spec.t_end_d, tmp));
    TRY(snf_ck_attr_string(g, "nan_policy", "standardise, then NaN -> 0 (the training mean); mask channel 1 "
                           "observed / 0 missing when mask = 1", tmp));
    TRY(snf_ck_dset(g, "x_mean", H5T_NATIVE_DOUBLE, c->norm.x_mean, SNF_SERIES_COUNT, 0, tmp));
    TRY(snf_ck_dset(g, "x_std", H5T_NATIVE_DOUBLE, c->norm.x_std, SNF_SERIES_COUNT, 0, tmp));
    TRY(snf_ck_dset(g, "y_mean", H5T_NATIVE_DOUBLE, c->norm.y_mean, SNF_DATA_NP, 0, tmp));
    TRY(snf_ck_dset(g, "y_std", H5T_NATIVE_DOUBLE, c->norm.y_std, SNF_DATA_NP, 0, tmp));
    H5Gclose(g);
    g = -1;
    TRY(snf_ckpt_write_tensors(f, c, tmp));
    /* history and metrics */
    TRY(snf_ck_dset(f, "history", H5T_NATIVE_DOUBLE, c->hist, (hsize_t)c->n_hist, SNF_EPOCH_RECORD_COLS, tmp));
    {
        hid_t d = H5Dopen2(f, "history", H5P_DEFAULT);
        rc = d < 0 ? SNF_EHDF5 : snf_ck_attr_strings(d, "columns", snf_hist_cols, SNF_EPOCH_RECORD_COLS, tmp);
        if (d >= 0) {
            H5Dclose(d);
        }
        if (rc < 0) {
            goto cleanup;
        }
    }
    g = H5Gcreate2(f, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EHDF5, "%s: cannot create /metrics", tmp);
    }
    TRY(snf_ck_write_metrics(g, "test", &c->test, tmp));
    TRY(snf_ck_write_metrics(g, "baseline", &c->test_baseline, tmp));
    H5Gclose(g);
    g = -1;
    herr_t e = H5Fclose(f);
    f = -1;
    if (e < 0) {
        SNF_FAIL(SNF_EHDF5, "cannot close %s", tmp);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        SNF_FAIL(SNF_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(err));
    }
    free(sz);
    return SNF_OK;
cleanup:
    if (g >= 0) {
        H5Gclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    remove(tmp);
    free(sz);
    return rc;
}

int snf_ckpt_read(snf_ckpt *c, const char *path)
{
    int rc = SNF_OK;
    memset(c, 0, sizeof *c);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, g = -1;
    char magic[64] = "";
    long long v = 0, *sz = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        int err = errno;
        SNF_ERROR(err == ENOENT ? SNF_EINVAL : SNF_EIO, "cannot read model file %s: %s", path, strerror(err));
    }
    fclose(probe);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        SNF_ERROR(SNF_EFORMAT, "%s is not an HDF5 file (expected a model written by snforge train)", path);
    }
    if (snf_ck_get_string(f, "magic", magic, sizeof magic, NULL, path) < 0 || strcmp(magic, SNF_MODEL_MAGIC) != 0) {
        SNF_FAIL(SNF_EFORMAT, "%s is not an snforge model file (magic '%s', expected '%s')", path, magic,
                 SNF_MODEL_MAGIC);
    }
    TRY(snf_ck_get_long(f, "format_version", &v, path));
    if (v != SNF_MODEL_FORMAT_VERSION) {
        SNF_FAIL(SNF_EFORMAT, "%s: model format_version %lld (this build reads %d)", path, v, SNF_MODEL_FORMAT_VERSION);
    }
    TRY(snf_ck_get_int(f, "finished", &c->finished, path));
    TRY(snf_ck_get_string(f, "stop_reason", c->stop_reason, sizeof c->stop_reason, NULL, path));
    TRY(snf_ck_get_long(f, "epoch", &v, path));
    c->epoch = (long)v;
    TRY(snf_ck_get_long(f, "seed", &v, path));
    c->seed = (uint64_t)v;
    TRY(snf_ck_get_int(f, "threads", &c->threads, path));
    TRY(snf_ck_get_string(f, "config_text", NULL, 0, &c->config_text, path));
    TRY(snf_ck_get_string(f, "data_file", c->data_file, sizeof c->data_file, NULL, path));
    TRY(snf_ck_get_string(f, "data_source", c->data_source, sizeof c->data_source, NULL, path));
    TRY(snf_ck_get_string(f, "data_created", c->data_created, sizeof c->data_created, NULL, path));
    TRY(snf_ck_get_long(f, "n_train", &v, path));
    c->n_train = (long)v;
    TRY(snf_ck_get_long(f, "n_val", &v, path));
    c->n_val = (long)v;
    TRY(snf_ck_get_long(f, "n_test", &v, path));
    c->n_test = (long)v;
    /* architecture */
    g = H5Gopen2(f, "net", H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: group /net is missing", path);
    }
    snf_it_config *n = &c->net;
    TRY(snf_ck_get_int(g, "C_in", &n->C_in, path));
    TRY(snf_ck_get_int(g, "n_out", &n->n_out, path));
    TRY(snf_ck_get_int(g, "T", &n->T, path));
    TRY(snf_ck_get_int(g, "max_B", &n->max_B, path));
    TRY(snf_ck_get_int(g, "filters", &n->filters, path));
    TRY(snf_ck_get_int(g, "depth", &n->depth, path));
    TRY(snf_ck_get_int(g, "kernel", &n->kernel, path));
    TRY(snf_ck_get_int(g, "bottleneck", &n->bottleneck, path));
    TRY(snf_ck_get_int(g, "residual", &n->residual, path));
    TRY(snf_ck_get_float(g, "bn_eps", &n->bn_eps, path));
    TRY(snf_ck_get_float(g, "bn_momentum", &n->bn_momentum, path));
    TRY(snf_ck_get_float(g, "dropout", &n->dropout, path));
    H5Gclose(g);
    g = -1;
    int nt = snf_it_sizes(n, c->sizes);
    if (nt < 0 || n->n_out != SNF_DATA_NP) {
        SNF_FAIL(SNF_EFORMAT, "%s: /net holds an invalid architecture", path);
    }
    c->ntensors = nt;
    c->nparams = snf_it_num_params(n);
    c->nstats = snf_it_num_stats(n);
    TRY(snf_ck_get_dset(f, "sizes", H5T_NATIVE_LLONG, sizeof *sz, (void **)&sz, (hsize_t)nt, 0, path));
    for (int i = 0; i < nt; i++) {
        if ((size_t)sz[i] != c->sizes[i]) {
            SNF_FAIL(SNF_EFORMAT, "%s: the size table disagrees with /net at tensor %d (%lld vs %zu)", path, i,
                     sz[i], c->sizes[i]);
        }
    }
    float *lm = NULL;
    TRY(snf_ck_get_dset(f, "lr_mult", H5T_NATIVE_FLOAT, sizeof(float), (void **)&lm, (hsize_t)nt, 0, path));
    memcpy(c->lr_mult, lm, (size_t)nt * sizeof *lm);
    free(lm);
    TRY(snf_ck_get_dset(f, "params", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->params, c->nparams, 0, path));
    TRY(snf_ck_get_dset(f, "bn_stats", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->bn_stats, c->nstats, 0, path));
    TRY(snf_ck_get_dset(f, "best/params", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->best_params, c->nparams,
                        0, path));
    TRY(snf_ck_get_dset(f, "best/bn_stats", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->best_stats, c->nstats,
                        0, path));
    TRY(snf_ck_get_dset(f, "optimizer/m", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->adam_m, c->nparams, 0, path));
    TRY(snf_ck_get_dset(f, "optimizer/v", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->adam_v, c->nparams, 0, path));
    g = H5Gopen2(f, "optimizer", H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: group /optimizer is missing", path);
    }
    TRY(snf_ck_get_long(g, "t", &v, path));
    c->adam_t = (long)v;
    TRY(snf_ck_get_long(g, "step", &v, path));
    c->step = (uint64_t)v;
    TRY(snf_ck_get_float(g, "lr", &c->lr, path));
    H5Gclose(g);
    g = H5Gopen2(f, "schedule", H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: group /schedule is missing", path);
    }
    TRY(snf_ck_get_float(g, "plateau_factor", &c->plateau.factor, path));
    TRY(snf_ck_get_int(g, "plateau_patience", &c->plateau.patience, path));
    TRY(snf_ck_get_float(g, "plateau_min_lr", &c->plateau.min_lr, path));
    TRY(snf_ck_get_float(g, "plateau_min_delta", &c->plateau.min_delta, path));
    TRY(snf_ck_get_int(g, "plateau_cooldown", &c->plateau.cooldown, path));
    TRY(snf_ck_get_float(g, "plateau_best", &c->plateau.best, path));
    TRY(snf_ck_get_int(g, "plateau_wait", &c->plateau.wait, path));
    TRY(snf_ck_get_int(g, "plateau_cooldown_left", &c->plateau.cooldown_left, path));
    TRY(snf_ck_get_int(g, "earlystop_patience", &c->es.patience, path));
    TRY(snf_ck_get_float(g, "earlystop_min_delta", &c->es.min_delta, path));
    TRY(snf_ck_get_float(g, "earlystop_best", &c->es.best, path));
    TRY(snf_ck_get_int(g, "earlystop_wait", &c->es.wait, path));
    TRY(snf_ck_get_long(g, "earlystop_best_epoch", &v, path));
    c->es.best_epoch = (long)v;
    H5Gclose(g);
    g = H5Gopen2(f, "norm", H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: group /norm is missing", path);
    }
    char ch[32];
    TRY(snf_ck_get_string(g, "channels", ch, sizeof ch, NULL, path));
    c->spec.channels = strcmp(ch, "luminosity") == 0 ? SNF_CH_LBOL
                     : strcmp(ch, "velocity") == 0   ? SNF_CH_VPH
                     : strcmp(ch, "both") == 0       ? SNF_CH_BOTH
                                                     : 0;
    if (c->spec.channels == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: /norm channels '%s' (expected luminosity, velocity or both)", path, ch);
    }
    TRY(snf_ck_get_int(g, "mask", &c->spec.mask, path));
    TRY(snf_ck_get_int(g, "length", &c->spec.L, path));
    TRY(snf_ck_get_double(g, "t_start_d", &c->spec.t_start_d, path));
    TRY(snf_ck_get_double(g, "t_end_d", &c->spec.t_end_d, path));
    H5Gclose(g);
    g = -1;
    double *dv = NULL;
    const char *nn[4] = {"norm/x_mean", "norm/x_std", "norm/y_mean", "norm/y_std"};
    double *dst[4] = {c->norm.x_mean, c->norm.x_std, c->norm.y_mean, c->norm.y_std};
    const hsize_t cnt[4] = {SNF_SERIES_COUNT, SNF_SERIES_COUNT, SNF_DATA_NP, SNF_DATA_NP};
    for (int k = 0; k < 4; k++) {
        TRY(snf_ck_get_dset(f, nn[k], H5T_NATIVE_DOUBLE, sizeof(double), (void **)&dv, cnt[k], 0, path));
        memcpy(dst[k], dv, (size_t)cnt[k] * sizeof *dv);
        free(dv);
    }
    if (snf_data_spec_cin(&c->spec) != n->C_in || c->spec.L != n->T) {
        SNF_FAIL(SNF_EFORMAT, "%s: /norm (%d channels x %d) disagrees with /net (%d x %d)", path,
                 snf_data_spec_cin(&c->spec), c->spec.L, n->C_in, n->T);
    }
    /* history */
    {
        hid_t d = H5Dopen2(f, "history", H5P_DEFAULT);
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
            SNF_FAIL(SNF_EFORMAT, "%s: /history is missing or has the wrong shape", path);
        }
        TRY(snf_ck_get_dset(f, "history", H5T_NATIVE_DOUBLE, sizeof(double), (void **)&c->hist, dims[0],
                            SNF_EPOCH_RECORD_COLS, path));
        c->n_hist = (long)dims[0];
    }
    g = H5Gopen2(f, "metrics", H5P_DEFAULT);
    if (g < 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: group /metrics is missing", path);
    }
    TRY(snf_ck_read_metrics(g, "test", &c->test, path));
    TRY(snf_ck_read_metrics(g, "baseline", &c->test_baseline, path));
    H5Gclose(g);
    g = -1;
    free(sz);
    H5Fclose(f);
    return SNF_OK;
cleanup:
    free(sz);
    if (g >= 0) {
        H5Gclose(g);
    }
    if (f >= 0) {
        H5Fclose(f);
    }
    snf_ckpt_free(c);
    return rc;
}

void snf_ckpt_free(snf_ckpt *c)
{
    if (!c) {
        return;
    }
    free(c->params);
    free(c->adam_m);
    free(c->adam_v);
    free(c->bn_stats);
    free(c->best_params);
    free(c->best_stats);
    free(c->hist);
    free(c->config_text);
    memset(c, 0, sizeof *c);
}

int snf_ckpt_net(const snf_ckpt *c, int max_B, snf_it **net)
{
    snf_it_config cfg = c->net;
    cfg.max_B = max_B;
    int rc = snf_it_alloc(net, &cfg);
    if (rc < 0) {
        return rc;
    }
    snf_it_init(*net, c->seed);
    memcpy((*net)->params, c->best_params, c->nparams * sizeof(float));
    memcpy((*net)->bn_stats, c->best_stats, c->nstats * sizeof(float));
    return SNF_OK;
}

int snf_predict(snf_it *net, const snf_norm *norm, const float *x, long n, double *pred)
{
    const int B = net->cfg.max_B;
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    for (long i0 = 0; i0 < n; i0 += B) {
        int nb = n - i0 < B ? (int)(n - i0) : B;
        int rc = snf_it_forward(net, x + (size_t)i0 * CL, NULL, nb, 0, NULL);
        if (rc < 0) {
            return rc;
        }
        const float *y = snf_it_pred(net);
        for (int k = 0; k < nb; k++) {
            snf_data_decode_targets(pred + (size_t)(i0 + k) * SNF_DATA_NP, y + (size_t)k * SNF_DATA_NP, norm);
        }
    }
    return SNF_OK;
}
