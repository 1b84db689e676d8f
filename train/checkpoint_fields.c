/* checkpoint_fields.c: every field of a model / checkpoint file, in the order written and read
 * (checkpoint_fields.h; checkpoint.c walks the table). Layout (all readable with plain h5py):
 *   /            attrs magic "snforge-model", format_version, finished, stop_reason, epoch, seed, threads,
 *                config_text, data_file, data_source, data_created, fingerprint, n_train, n_val, n_test,
 *                target_names, target_units
 *   /net         attrs: the snf_net_config fields (arch: 0 InceptionTime, 1 LITE, 2 H-InceptionTime;
 *                head: 0 MSE, 1 Gaussian)
 *   /sizes       i64 [ntensors] the size table (slab order); /lr_mult f32 [ntensors]
 *   /params      f32 [nparams]  current weights      /bn_stats f32 [nstats] current BN running statistics
 *   /best/params, /best/bn_stats  the weights of the best validation loss (what evaluate/predict use)
 *   /ema/params, /ema/bn_stats    the weight EMA and its BN statistics (only when [train] ema > 0)
 *   /optimizer   /optimizer/m, /optimizer/v f32 [nparams]; attrs t (Adam steps), step (forwards), lr
 *   /schedule    attrs plateau_* and earlystop_* (settings and state), sched_total (optimiser steps of the
 *                learning-rate schedule, fixed at the start of the run; absent or 0: plateau)
 *   /norm        attrs channels, mask, length, t_start_d, t_end_d, nan_policy; datasets x_mean, x_std [2]
 *                (log10 L, v_ph km/s), y_mean, y_std [4] (log10 energy, mass, radius, nickel)
 *   /tensors     the name, slab, offset and shape of every tensor, /norm attr input_channels (model_tensors.c)
 *   /history     f64 [epochs, 9]: epoch, train_loss, val_loss, lr, val_mape_{energy,mass,radius,nickel}
 *                (percent), wall_s; attr columns
 *   /metrics     attrs {test,baseline}_{mape,mdape,r2} [4], _n (n 0: not finished or no test split) */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "checkpoint_fields.h"
#include "model_tensors.h"
#include "snforge/config.h"
#include "snforge/status.h"

/* ---- derived values and cross-field rules ---- */

static int snf_ckf_target_names(const char **v)
{
    for (int p = 0; p < SNF_DATA_NP; p++) {
        v[p] = snf_axis_name((snf_axis_target)p);
    }
    return SNF_DATA_NP;
}

static int snf_ckf_target_units(const char **v)
{
    for (int p = 0; p < SNF_DATA_NP; p++) {
        v[p] = snf_axis_units((snf_axis_target)p);
    }
    return SNF_DATA_NP;
}

static int snf_ckf_hist_columns(const char **v)
{
    static const char *const cols[SNF_EPOCH_RECORD_COLS] = {
        "epoch", "train_loss", "val_loss", "lr", "val_mape_energy", "val_mape_mass", "val_mape_radius",
        "val_mape_nickel", "wall_s"};
    memcpy(v, cols, sizeof cols);
    return SNF_EPOCH_RECORD_COLS;
}

/* Bounds of the architecture a model file may describe: a damaged integer is refused before it sizes
 * an allocation; then the size table and the slab lengths follow from /net. */
static int snf_ckf_net_check(snf_ckpt *c, const char *path)
{
    const snf_net_config *n = &c->net;
    int ok = n->C_in >= 1 && n->C_in <= 64 && n->T >= 2 && n->T <= 1000000 && n->filters >= 1 &&
             n->filters <= 4096 && n->depth >= 1 && n->depth <= 256 && n->kernel >= 1 && n->kernel <= 4096 &&
             n->bottleneck >= 0 && n->bottleneck <= 4096 && (n->residual == 0 || n->residual == 1) &&
             n->max_B >= 0 && n->max_B <= 1000000 && isfinite(n->bn_eps) && n->bn_eps > 0 &&
             isfinite(n->bn_momentum) && n->bn_momentum >= 0 && n->bn_momentum <= 1 && isfinite(n->dropout) &&
             n->dropout >= 0 && n->dropout < 1;
    if (!ok) {
        SNF_ERROR(SNF_EFORMAT, "%s: /net holds an implausible architecture (C_in %d, T %d, filters %d, depth %d, "
                  "kernel %d): the model file is damaged", path, n->C_in, n->T, n->filters, n->depth, n->kernel);
    }
    int nt = snf_net_sizes(n, c->sizes);
    if (nt < 0 || n->n_out != (n->head == SNF_HEAD_GAUSSIAN ? 2 : 1) * SNF_DATA_NP) {
        SNF_ERROR(SNF_EFORMAT, "%s: /net holds an invalid architecture", path);
    }
    c->ntensors = nt;
    c->nparams = snf_net_num_params(n);
    c->nstats = snf_net_num_stats(n);
    return SNF_OK;
}

static int snf_ckf_norm_check(snf_ckpt *c, const char *path)
{
    if (snf_data_spec_cin(&c->spec) != c->net.C_in || c->spec.L != c->net.T) {
        SNF_ERROR(SNF_EFORMAT, "%s: /norm (%d channels x %d) disagrees with /net (%d x %d)", path,
                  snf_data_spec_cin(&c->spec), c->spec.L, c->net.C_in, c->net.T);
    }
    return SNF_OK;
}

/* ---- the table ---- */

#define M(member) .off = offsetof(snf_ckpt, member), .size = sizeof(((snf_ckpt *)0)->member)
#define INT(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_INT, M(member)}
#define OPT_INT(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_INT, M(member), .flags = SNF_CKF_OPTIONAL}
#define REAL(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_REAL, M(member)}
#define REALS(g, n, member, k) {.group = g, .name = n, .kind = SNF_CKF_REAL, M(member), .count = k}
#define STR(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_STR, M(member)}
#define OPT_STR(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_STR, M(member), .flags = SNF_CKF_OPTIONAL}
#define STRP(g, n, member) {.group = g, .name = n, .kind = SNF_CKF_STR, M(member), .flags = SNF_CKF_PTR}
#define CONST(g, n, t, v, fl) {.group = g, .name = n, .kind = SNF_CKF_CONST, .text = t, .value = v, .flags = fl}
#define STRS(g, n, fn) {.group = g, .name = n, .kind = SNF_CKF_STRS, .strings = fn, .flags = SNF_CKF_WRITE_ONLY}
#define DSET(g, n, member, sh, el, fl, r) \
    {.group = g, .name = n, .kind = SNF_CKF_DSET, M(member), .shape = sh, .elem = el, .flags = fl, .rule = r}
#define CHECK(g, chk, pt) {.group = g, .name = "", .kind = SNF_CKF_CHECK, .check = chk, .put = pt}

const snf_ckf snf_ckpt_fields[] = {
    /* provenance and run state */
    CONST("", "magic", SNF_MODEL_MAGIC, 0, 0),
    CONST("", "format_version", NULL, SNF_MODEL_FORMAT_VERSION, 0),
    INT("", "finished", finished),
    STR("", "stop_reason", stop_reason),
    INT("", "epoch", epoch),
    INT("", "seed", seed),
    INT("", "threads", threads),
    STRP("", "config_text", config_text),
    STR("", "data_file", data_file),
    STR("", "data_source", data_source),
    STR("", "data_created", data_created),
    OPT_STR("", "fingerprint", fingerprint),
    INT("", "n_train", n_train),
    INT("", "n_val", n_val),
    INT("", "n_test", n_test),
    STRS("", "target_names", snf_ckf_target_names),
    STRS("", "target_units", snf_ckf_target_units),
    /* architecture */
    INT("net", "C_in", net.C_in),
    INT("net", "n_out", net.n_out),
    INT("net", "T", net.T),
    INT("net", "max_B", net.max_B),
    INT("net", "filters", net.filters),
    INT("net", "depth", net.depth),
    INT("net", "kernel", net.kernel),
    INT("net", "bottleneck", net.bottleneck),
    INT("net", "residual", net.residual),
    REAL("net", "bn_eps", net.bn_eps),
    REAL("net", "bn_momentum", net.bn_momentum),
    REAL("net", "dropout", net.dropout),
    OPT_INT("net", "arch", net.arch), /* absent before the lighter architectures: InceptionTime */
    OPT_INT("net", "head", net.head), /* absent before the Gaussian head (uq.h): MSE */
    CHECK("net", snf_ckf_net_check, NULL),
    /* slabs */
    DSET("", "sizes", sizes, SNF_CKS_NT, SNF_CKE_SIZE, 0, SNF_CKR_NONE),
    DSET("", "lr_mult", lr_mult, SNF_CKS_NT, SNF_CKE_F32, 0, SNF_CKR_NONE),
    DSET("", "params", params, SNF_CKS_NPARAMS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_NONE),
    DSET("", "bn_stats", bn_stats, SNF_CKS_NSTATS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_NONE),
    DSET("best", "params", best_params, SNF_CKS_NPARAMS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_WEIGHTS),
    DSET("best", "bn_stats", best_stats, SNF_CKS_NSTATS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_WEIGHTS),
    DSET("ema", "params", ema_params, SNF_CKS_NPARAMS, SNF_CKE_F32, SNF_CKF_PTR | SNF_CKF_IF_SET, SNF_CKR_NONE),
    DSET("ema", "bn_stats", ema_stats, SNF_CKS_NSTATS, SNF_CKE_F32, SNF_CKF_PTR | SNF_CKF_IF_SET, SNF_CKR_NONE),
    /* optimizer */
    DSET("optimizer", "m", adam_m, SNF_CKS_NPARAMS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_NONE),
    DSET("optimizer", "v", adam_v, SNF_CKS_NPARAMS, SNF_CKE_F32, SNF_CKF_PTR, SNF_CKR_NONE),
    INT("optimizer", "t", adam_t),
    INT("optimizer", "step", step),
    REAL("optimizer", "lr", lr),
    /* schedules */
    REAL("schedule", "plateau_factor", plateau.factor),
    INT("schedule", "plateau_patience", plateau.patience),
    REAL("schedule", "plateau_min_lr", plateau.min_lr),
    REAL("schedule", "plateau_min_delta", plateau.min_delta),
    INT("schedule", "plateau_cooldown", plateau.cooldown),
    REAL("schedule", "plateau_best", plateau.best),
    INT("schedule", "plateau_wait", plateau.wait),
    INT("schedule", "plateau_cooldown_left", plateau.cooldown_left),
    INT("schedule", "earlystop_patience", es.patience),
    REAL("schedule", "earlystop_min_delta", es.min_delta),
    REAL("schedule", "earlystop_best", es.best),
    INT("schedule", "earlystop_wait", es.wait),
    INT("schedule", "earlystop_best_epoch", es.best_epoch),
    OPT_INT("schedule", "sched_total", sched_total), /* absent before step schedules: plateau */
    /* normalisation and input grid */
    {.group = "norm", .name = "channels", .kind = SNF_CKF_CHANNEL, M(spec.channels)},
    INT("norm", "mask", spec.mask),
    INT("norm", "length", spec.L),
    REAL("norm", "t_start_d", spec.t_start_d),
    REAL("norm", "t_end_d", spec.t_end_d),
    CONST("norm", "nan_policy", "standardise, then NaN -> 0 (the training mean); mask channel 1 observed / 0 "
          "missing when mask = 1", 0, SNF_CKF_WRITE_ONLY),
    DSET("norm", "x_mean", norm.x_mean, SNF_CKS_SERIES, SNF_CKE_F64, 0, SNF_CKR_FINITE),
    DSET("norm", "x_std", norm.x_std, SNF_CKS_SERIES, SNF_CKE_F64, 0, SNF_CKR_POSITIVE),
    DSET("norm", "y_mean", norm.y_mean, SNF_CKS_NP, SNF_CKE_F64, 0, SNF_CKR_FINITE),
    DSET("norm", "y_std", norm.y_std, SNF_CKS_NP, SNF_CKE_F64, 0, SNF_CKR_POSITIVE),
    CHECK("", snf_ckf_norm_check, snf_ckpt_write_tensors), /* and the tensor index (written only) */
    /* history and metrics */
    DSET("", "history", hist, SNF_CKS_HIST, SNF_CKE_F64, SNF_CKF_PTR, SNF_CKR_NONE),
    STRS("history", "columns", snf_ckf_hist_columns),
    REALS("metrics", "test_mape", test.mape, SNF_DATA_NP),
    REALS("metrics", "test_mdape", test.mdape, SNF_DATA_NP),
    REALS("metrics", "test_r2", test.r2, SNF_DATA_NP),
    INT("metrics", "test_n", test.n),
    REALS("metrics", "baseline_mape", test_baseline.mape, SNF_DATA_NP),
    REALS("metrics", "baseline_mdape", test_baseline.mdape, SNF_DATA_NP),
    REALS("metrics", "baseline_r2", test_baseline.r2, SNF_DATA_NP),
    INT("metrics", "baseline_n", test_baseline.n),
};
const int snf_ckpt_nfields = (int)(sizeof snf_ckpt_fields / sizeof snf_ckpt_fields[0]);

void snf_ckf_dims(const snf_ckf *f, const snf_ckpt *c, unsigned long long *rows, unsigned long long *cols)
{
    *cols = 0;
    switch (f->shape) {
    case SNF_CKS_NT: *rows = (unsigned long long)c->ntensors; break;
    case SNF_CKS_NPARAMS: *rows = c->nparams; break;
    case SNF_CKS_NSTATS: *rows = c->nstats; break;
    case SNF_CKS_SERIES: *rows = SNF_SERIES_COUNT; break;
    case SNF_CKS_NP: *rows = SNF_DATA_NP; break;
    default: *rows = (unsigned long long)c->n_hist, *cols = SNF_EPOCH_RECORD_COLS; break;
    }
}
