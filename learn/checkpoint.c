/* checkpoint.c: the model / checkpoint file (HDF5), written as NAME.tmp, closed, then renamed over NAME
 * (a killed run never leaves a half-written model). Layout (all readable with plain h5py):
 *   /            attrs magic "snforge-model", format_version, finished, stop_reason, epoch, seed, threads,
 *                config_text, data_file, data_source, data_created, n_train, n_val, n_test,
 *                target_names, target_units
 *   /net         attrs: the snf_it_config fields (arch: 0 InceptionTime, 1 LITE, 2 H-InceptionTime;
 *                head: 0 MSE, 1 Gaussian)
 *   /params      f32 [nparams]  current weights      /bn_stats f32 [nstats] current BN running statistics
 *   /best/params, /best/bn_stats  the weights of the best validation loss (what evaluate/predict use)
 *   /ema/params, /ema/bn_stats    the weight EMA and its BN statistics (only when [train] ema > 0)
 *   /sizes       i64 [ntensors] the size table (slab order); /lr_mult f32 [ntensors]
 *   /optimizer   /optimizer/m, /optimizer/v f32 [nparams]; attrs t (Adam steps), step (forwards), lr,
 *                beta1, beta2, eps, base_lr
 *   /schedule    attrs plateau_* and earlystop_* (settings and state), sched_total (optimiser steps of the
 *                learning-rate schedule, fixed at the start of the run; absent or 0: plateau)
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

static int snf_ck_attr(hid_t obj, const char *name, hid_t type, const void *val, hsize_t n, const char *file)
{
    hid_t sp = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = a < 0 ? -1 : H5Awrite(a, type, val);
    char reason[256] = "";
    if (e < 0) {
        snf_h5_reason(reason, sizeof reason); /* before the closes clear HDF5's error stack */
    }
    if (a >= 0) {
        H5Aclose(a);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write attribute %s: %s", file, name, reason[0] ? reason : "HDF5 error");
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

/* Strings are fixed-length UTF-8 attributes (h5io.h: no global heap, which has no checksum). */
static int snf_ck_attr_string(hid_t obj, const char *name, const char *v, const char *file)
{
    return snf_h5_attr_put_string(obj, name, v, file);
}

static int snf_ck_attr_strings(hid_t obj, const char *name, const char *const *v, int n, const char *file)
{
    return snf_h5_attr_put_strings(obj, name, v, n, file);
}

static int snf_ck_dset(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols,
                       const char *file)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    /* Chunked with fletcher32 when not empty: a damaged weight is a read error, not a silent change. */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl >= 0 && rows > 0 && (!cols || cols > 0)) {
        hsize_t chunk[2] = {rows, cols};
        if (H5Pset_chunk(dcpl, cols ? 2 : 1, chunk) < 0 || H5Pset_fletcher32(dcpl) < 0) {
            H5Pclose(dcpl);
            dcpl = -1;
        }
    }
    hid_t d = (sp < 0 || dcpl < 0) ? -1 : H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    herr_t e = d < 0 ? -1 : (rows * (cols ? cols : 1) == 0 ? 0 : H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf));
    char reason[256] = "";
    if (e < 0) {
        snf_h5_reason(reason, sizeof reason);
    }
    if (d >= 0) {
        H5Dclose(d);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    if (e < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot write dataset %s: %s", file, name, reason[0] ? reason : "HDF5 error");
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
    f = snf_h5_create_file(tmp);
    if (f < 0) {
        rc = SNF_EIO;
        goto cleanup;
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
    TRY(snf_ck_attr_long(g, "arch", n->arch, tmp));
    TRY(snf_ck_attr_long(g, "head", n->head, tmp));
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
    if (c->ema_params) {
        g = H5Gcreate2(f, "ema", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0) {
            SNF_FAIL(SNF_EHDF5, "%s: cannot create /ema", tmp);
        }
        TRY(snf_ck_dset(g, "params", H5T_NATIVE_FLOAT, c->ema_params, c->nparams, 0, tmp));
        TRY(snf_ck_dset(g, "bn_stats", H5T_NATIVE_FLOAT, c->ema_stats, c->nstats, 0, tmp));
        H5Gclose(g);
    }
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
    TRY(snf_ck_attr_long(g, "sched_total", c->sched_total, tmp));
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
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        SNF_FAIL(SNF_EHDF5, "cannot close %s (its last writes failed): %s", tmp, reason);
    }
    if ((rc = snf_atomic_commit(tmp, path)) < 0) {
        goto cleanup;
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

/* Bounds of the architecture a model file may describe: a damaged integer is refused before it sizes
 * an allocation. */
static int snf_ck_net_plausible(const snf_it_config *n)
{
    return n->C_in >= 1 && n->C_in <= 64 && n->T >= 2 && n->T <= 1000000 && n->filters >= 1 &&
           n->filters <= 4096 && n->depth >= 1 && n->depth <= 256 && n->kernel >= 1 && n->kernel <= 4096 &&
           n->bottleneck >= 0 && n->bottleneck <= 4096 && (n->residual == 0 || n->residual == 1) &&
           n->max_B >= 0 && n->max_B <= 1000000 && isfinite(n->bn_eps) && n->bn_eps > 0 &&
           isfinite(n->bn_momentum) && n->bn_momentum >= 0 && n->bn_momentum <= 1 && isfinite(n->dropout) &&
           n->dropout >= 0 && n->dropout < 1;
}

/* What a model must hold to be used: finite weights and statistics, a positive finite normalisation and a
 * time window. SNF_EFORMAT naming the file and the value. */
static int snf_ck_validate(const snf_ckpt *c, const char *path)
{
    const char *nm[4] = {"x_mean", "x_std", "y_mean", "y_std"};
    const double *v[4] = {c->norm.x_mean, c->norm.x_std, c->norm.y_mean, c->norm.y_std};
    const int cnt[4] = {SNF_SERIES_COUNT, SNF_SERIES_COUNT, SNF_DATA_NP, SNF_DATA_NP};
    for (int k = 0; k < 4; k++) {
        for (int i = 0; i < cnt[k]; i++) {
            if (!isfinite(v[k][i]) || ((k == 1 || k == 3) && !(v[k][i] > 0))) {
                SNF_ERROR(SNF_EFORMAT, "%s: /norm/%s[%d] = %g: expected a finite%s value; the model file is invalid "
                          "(train it again)", path, nm[k], i, v[k][i], (k == 1 || k == 3) ? " positive" : "");
            }
        }
    }
    if (!(isfinite(c->spec.t_start_d) && isfinite(c->spec.t_end_d) && c->spec.t_end_d > c->spec.t_start_d)) {
        SNF_ERROR(SNF_EFORMAT, "%s: /norm t_start_d %g, t_end_d %g: expected finite days, start before end", path,
                  c->spec.t_start_d, c->spec.t_end_d);
    }
    for (size_t i = 0; i < c->nparams; i++) {
        if (!isfinite(c->best_params[i])) {
            SNF_ERROR(SNF_EFORMAT, "%s: /best/params[%zu] is not finite: the model file is invalid", path, i);
        }
    }
    for (size_t i = 0; i < c->nstats; i++) {
        if (!isfinite(c->best_stats[i])) {
            SNF_ERROR(SNF_EFORMAT, "%s: /best/bn_stats[%zu] is not finite: the model file is invalid", path, i);
        }
    }
    return SNF_OK;
}

static int snf_ckpt_read_file(snf_ckpt *c, const char *path);

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

static int snf_ckpt_read_file(snf_ckpt *c, const char *path)
{
    int rc = SNF_OK;
    memset(c, 0, sizeof *c);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = -1, g = -1;
    char magic[64] = "";
    long long v = 0, *sz = NULL;
    SNF_CHECK(snf_h5_open(&f, path, 0, "model file"));
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
    n->arch = SNF_ARCH_INCEPTION; /* absent in models written before the lighter architectures */
    if (H5Aexists(g, "arch") > 0) {
        TRY(snf_ck_get_int(g, "arch", &n->arch, path));
    }
    n->head = SNF_HEAD_MSE; /* absent in models written before the Gaussian head (uq.h) */
    if (H5Aexists(g, "head") > 0) {
        TRY(snf_ck_get_int(g, "head", &n->head, path));
    }
    H5Gclose(g);
    g = -1;
    if (!snf_ck_net_plausible(n)) {
        SNF_FAIL(SNF_EFORMAT, "%s: /net holds an implausible architecture (C_in %d, T %d, filters %d, depth %d, "
                 "kernel %d): the model file is damaged", path, n->C_in, n->T, n->filters, n->depth, n->kernel);
    }
    int nt = snf_it_sizes(n, c->sizes);
    if (nt < 0 || n->n_out != (n->head == SNF_HEAD_GAUSSIAN ? 2 : 1) * SNF_DATA_NP) {
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
    if (H5Lexists(f, "ema", H5P_DEFAULT) > 0) {
        TRY(snf_ck_get_dset(f, "ema/params", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->ema_params, c->nparams,
                            0, path));
        TRY(snf_ck_get_dset(f, "ema/bn_stats", H5T_NATIVE_FLOAT, sizeof(float), (void **)&c->ema_stats, c->nstats,
                            0, path));
    }
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
    v = 0;
    if (H5Aexists(g, "sched_total") > 0) { /* absent in models written before schedules: plateau */
        TRY(snf_ck_get_long(g, "sched_total", &v, path));
    }
    c->sched_total = (long)v;
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
    free(c->ema_params);
    free(c->ema_stats);
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
            snf_data_decode_targets(pred + (size_t)(i0 + k) * SNF_DATA_NP, y + (size_t)k * net->cfg.n_out, norm);
        }
    }
    return SNF_OK;
}
