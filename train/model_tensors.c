/* model_tensors.c: the named-tensor index of a model file, so that a reader needs no C source to
 * take the flat slabs apart (the Python package python/snforge does exactly this). Written by
 * snf_ckpt_write (a row of the field table, checkpoint_fields.c) into the open file:
 *   /tensors/name    str [n]     "mod0.bott_w", ..., "head_b" (the trainable tensors in slab order), then
 *                                "mod0.bn_mean", "mod0.bn_var", ..., "res1.bn_var" (BatchNorm running
 *                                statistics, Keras/PyTorch running_mean and running_var); LITE: "m0.conv0_w",
 *                                ..., "sep0.dw_w", "sep0.pw_w", ..., "m0.bn_mean", "sep1.bn_var"
 *   /tensors/slab    str [n]     the dataset holding the tensor: "params" or "bn_stats" (the same offsets
 *                                serve /params, /best/params, /optimizer/m, /optimizer/v, and /bn_stats,
 *                                /best/bn_stats)
 *   /tensors/offset  i64 [n]     first float of the tensor in its slab
 *   /tensors/rank    i64 [n]     1-3
 *   /tensors/shape   i64 [n, 3]  PyTorch layout: Conv1d weight (C_out, C_in, K) (depthwise: (C, 1, K)),
 *                                Linear weight (out, in), BatchNorm and bias vectors (n); dimensions past
 *                                the rank are 1
 *   /norm attr input_channels  str [C_in]  the network's input rows in order: the standardised series
 *                                ("log_lbol" = log10 L/(erg/s), "vph" = km/s), then, with mask = 1, their
 *                                masks ("mask_log_lbol", "mask_vph": 1 observed, 0 missing) */
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

#include "model_tensors.h"
#include "snforge/status.h"

/* ---- static helpers ---- */

static hid_t snf_mt_strtype(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0) {
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
    }
    return t;
}

/* A 1- or 2-dimensional dataset (cols 0: 1-dimensional) or, with attr = 1, an attribute of loc. */
static int snf_mt_put(hid_t loc, const char *name, hid_t type, const void *buf, hsize_t rows, hsize_t cols,
                      int attr)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t o = sp < 0 ? -1
              : attr ? H5Acreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT)
                     : H5Dcreate2(loc, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t e = o < 0 ? -1 : attr ? H5Awrite(o, type, buf) : H5Dwrite(o, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (o >= 0) {
        attr ? H5Aclose(o) : H5Dclose(o);
    }
    if (sp >= 0) {
        H5Sclose(sp);
    }
    return e < 0 ? -1 : 0;
}

/* ---- the index ---- */

int snf_ckpt_write_tensors(hid_t file, const snf_ckpt *c, const char *path)
{
    enum { NAME = 32 };
    const int nmax = SNF_NET_MAX_TENSORS + 4 * SNF_NET_MAX_DEPTH;
    char(*names)[NAME] = calloc((size_t)nmax, NAME);
    const char **pn = calloc((size_t)nmax, sizeof *pn), **ps = calloc((size_t)nmax, sizeof *ps);
    long long *off = calloc((size_t)nmax, sizeof *off), *rank = calloc((size_t)nmax, sizeof *rank);
    long long *shape = calloc((size_t)nmax * 3, sizeof *shape);
    int rc = SNF_OK, n = 0;
    hid_t g = -1, st = -1;
    if (!names || !pn || !ps || !off || !rank || !shape) {
        rc = SNF_ENOMEM;
        goto cleanup;
    }
    size_t o = 0;
    for (int i = 0; i < c->ntensors; i++, n++) {
        int d[3] = {1, 1, 1};
        rank[n] = snf_net_tensor_shape(&c->net, i, d);
        snf_net_tensor_name(&c->net, i, names[n], NAME);
        ps[n] = "params";
        off[n] = (long long)o;
        o += c->sizes[i];
        for (int k = 0; k < 3; k++) {
            shape[3 * n + k] = k < rank[n] ? d[k] : 1;
        }
    }
    size_t so, ss;
    for (int i = 0; n < nmax && snf_net_stats_tensor(&c->net, i, names[n], NAME, &so, &ss); i++, n++) {
        ps[n] = "bn_stats";
        off[n] = (long long)so;
        rank[n] = 1;
        shape[3 * n] = (long long)ss;
        shape[3 * n + 1] = shape[3 * n + 2] = 1;
    }
    for (int i = 0; i < n; i++) {
        pn[i] = names[i];
    }
    /* the input rows: values of each series the model reads, then their masks */
    const char *chan[2 * SNF_SERIES_COUNT];
    int kinds[SNF_SERIES_COUNT], ns = snf_data_spec_series(&c->spec, kinds), nc = 0;
    for (int m = 0; m < (c->spec.mask ? 2 : 1); m++) {
        for (int k = 0; k < ns; k++) {
            int l = kinds[k] == SNF_SERIES_LBOL;
            chan[nc++] = m ? (l ? "mask_log_lbol" : "mask_vph") : (l ? "log_lbol" : "vph");
        }
    }
    st = snf_mt_strtype();
    g = st < 0 ? -1 : H5Gcreate2(file, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0 || snf_mt_put(g, "name", st, pn, (hsize_t)n, 0, 0) < 0 ||
        snf_mt_put(g, "slab", st, ps, (hsize_t)n, 0, 0) < 0 ||
        snf_mt_put(g, "offset", H5T_NATIVE_LLONG, off, (hsize_t)n, 0, 0) < 0 ||
        snf_mt_put(g, "rank", H5T_NATIVE_LLONG, rank, (hsize_t)n, 0, 0) < 0 ||
        snf_mt_put(g, "shape", H5T_NATIVE_LLONG, shape, (hsize_t)n, 3, 0) < 0) {
        rc = SNF_EHDF5;
        goto cleanup;
    }
    H5Gclose(g);
    g = H5Gopen2(file, "norm", H5P_DEFAULT);
    if (g < 0 || snf_mt_put(g, "input_channels", st, chan, (hsize_t)nc, 0, 1) < 0) {
        rc = SNF_EHDF5;
    }
cleanup:
    if (g >= 0) {
        H5Gclose(g);
    }
    if (st >= 0) {
        H5Tclose(st);
    }
    free(names);
    free(pn);
    free(ps);
    free(off);
    free(rank);
    free(shape);
    if (rc < 0) {
        SNF_ERROR(rc, "%s: cannot write the tensor index /tensors", path);
    }
    return SNF_OK;
}
