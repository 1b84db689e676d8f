/* model_tensors.c: the named-tensor index of a model file, so that a reader needs no C source to
 * take the flat slabs apart (the Python package python/snforge does exactly this). Rows of the field table
 * (checkpoint_fields.c, kind SNF_CKF_INDEX) write its columns:
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
 *                                masks ("mask_log_lbol", "mask_vph": 1 observed, 0 missing)
 * Strings are fixed-length UTF-8 (format 2; format 1 wrote them variable-length). */
#include <string.h>

#include "checkpoint_fields.h"

void snf_ckf_index_build(const snf_ckpt *c, snf_ckf_index *ix)
{
    memset(ix, 0, sizeof *ix);
    int n = 0;
    size_t o = 0;
    for (int i = 0; i < c->ntensors && n < SNF_CKF_INDEX_MAX; i++, n++) {
        int d[3] = {1, 1, 1};
        ix->rank[n] = snf_net_tensor_shape(&c->net, i, d);
        snf_net_tensor_name(&c->net, i, ix->name[n], SNF_CKF_NAME_LEN);
        ix->slab[n] = "params";
        ix->offset[n] = (long long)o;
        o += c->sizes[i];
        for (int k = 0; k < 3; k++) {
            ix->shape[n][k] = k < ix->rank[n] ? d[k] : 1;
        }
    }
    size_t so, ss;
    for (int i = 0; n < SNF_CKF_INDEX_MAX && snf_net_stats_tensor(&c->net, i, ix->name[n], SNF_CKF_NAME_LEN, &so, &ss);
         i++, n++) {
        ix->slab[n] = "bn_stats";
        ix->offset[n] = (long long)so;
        ix->rank[n] = 1;
        ix->shape[n][0] = (long long)ss;
        ix->shape[n][1] = ix->shape[n][2] = 1;
    }
    for (int i = 0; i < n; i++) {
        ix->name_p[i] = ix->name[i];
    }
    ix->n = n;
    /* the input rows: values of each series the model reads, then their masks */
    int kinds[SNF_SERIES_COUNT], ns = snf_data_spec_series(&c->spec, kinds);
    for (int m = 0; m < (c->spec.mask ? 2 : 1); m++) {
        for (int k = 0; k < ns; k++) {
            int l = kinds[k] == SNF_SERIES_LBOL;
            ix->chan[ix->nchan++] = m ? (l ? "mask_log_lbol" : "mask_vph") : (l ? "log_lbol" : "vph");
        }
    }
}
