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
 *   /uq          (snf_ckpt_read_uq; uq.h) attrs members, mc_samples, calibrated, has_ranges, has_ood, ood_alpha,
 *                complete (doubles), calibration_source (optional); member_params f32 [members, nparams],
 *                member_stats f32 [members, nstats] (best weights); var_scale, range_lo, range_hi f64 [4];
 *                var_add f64 [4] (optional: log10 variance added after the scale); with has_ood: ood_mean [D],
 *                ood_chol [D, D], ood_ref_d2 [n_ref], near_lbol f32 [n, L] (optional: uq_nearest.c)
 *   /history     f64 [epochs, 9]: epoch, train_loss, val_loss, lr, val_mape_{energy,mass,radius,nickel}
 *                (percent), wall_s; attr columns
 *   /metrics     attrs {test,baseline}_{mape,mdape,r2} [4], _n (n 0: not finished or no test split) */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "checkpoint_fields.h"
#include "snforge/grids.h"
#include "snforge/models.h"
#include "snforge/core.h"

/* ---- derived values and cross-field rules ---- */

static int snf_ckf_target_names(const char **v)
{
    for (int p = 0; p < SNF_DATA_NP; p++) {
        v[p] = snf_param_name(p);
    }
    return SNF_DATA_NP;
}

static int snf_ckf_target_units(const char **v)
{
    for (int p = 0; p < SNF_DATA_NP; p++) {
        v[p] = snf_param_unit(p);
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

/* What /uq must hold before its arrays are sized (the counts), as infer/uq_model.c reads it. */
static int snf_ckf_uq_check(snf_ckpt *c, const char *path)
{
    const struct snf_ckpt_uq *u = &c->uq;
    if (u->complete != 1.0 || !(u->members >= 1 && u->members <= SNF_UQ_MAX_MEMBERS) ||
        !(u->mc_samples >= 1 && u->mc_samples <= 10000) || u->members != (double)(int)u->members ||
        u->mc_samples != (double)(int)u->mc_samples) {
        SNF_ERROR(SNF_EFORMAT, "%s: /uq is incomplete or holds invalid counts (members %g, mc_samples %g)", path,
                  u->members, u->mc_samples);
    }
    return SNF_OK;
}

static int snf_ckf_has_stats(const snf_ckpt *c) { return c->nstats > 0; }
static int snf_ckf_has_ood(const snf_ckpt *c) { return c->uq.has_ood != 0; }
static int snf_ckf_has_near(const snf_ckpt *c) { return c->uq.has_ood != 0 && c->uq.near_n > 0; }
static int snf_ckf_has_source(const snf_ckpt *c) { return c->uq.calib_source[0] != '\0'; }

static int snf_ckf_has_var_add(const snf_ckpt *c)
{
    int any = 0;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        any |= c->uq.var_add[k] != 0.0;
    }
    return any;
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
#define INDEX(g, n, col) {.group = g, .name = n, .kind = SNF_CKF_INDEX, .column = col, .flags = SNF_CKF_WRITE_ONLY}
#define UQ_REAL(n, member) {.group = "uq", .name = n, .kind = SNF_CKF_REAL, M(uq.member), .flags = SNF_CKF_UQ}
#define UQ_DSET(n, member, sh, el, fl, w, r) {.group = "uq", .name = n, .kind = SNF_CKF_DSET, M(uq.member), \
    .shape = sh, .elem = el, .flags = SNF_CKF_UQ | (fl), .when = w, .rule = r}

const snf_ckf snf_ckpt_fields[] = {
    /* provenance and run state */
    CONST("", "magic", SNF_MODEL_MAGIC, 0, 0),
    {.group = "", .name = "format_version", .kind = SNF_CKF_CONST, .value = SNF_MODEL_FORMAT_VERSION,
     .oldest = SNF_MODEL_FORMAT_OLDEST},
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
    INDEX("norm", "input_channels", SNF_CKI_CHANNELS),
    CHECK("", snf_ckf_norm_check, NULL),
    /* the named-tensor index (model_tensors.c; for readers without the C source) */
    INDEX("tensors", "name", SNF_CKI_NAME),
    INDEX("tensors", "slab", SNF_CKI_SLAB),
    INDEX("tensors", "offset", SNF_CKI_OFFSET),
    INDEX("tensors", "rank", SNF_CKI_RANK),
    INDEX("tensors", "shape", SNF_CKI_SHAPE),
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
    /* the uncertainty group (uq.h) */
    UQ_REAL("members", members),
    UQ_REAL("mc_samples", mc_samples),
    UQ_REAL("calibrated", calibrated),
    UQ_REAL("has_ranges", has_ranges),
    UQ_REAL("has_ood", has_ood),
    UQ_REAL("ood_alpha", ood_alpha),
    UQ_REAL("complete", complete),
    {.group = "uq", .name = "", .kind = SNF_CKF_CHECK, .check = snf_ckf_uq_check, .flags = SNF_CKF_UQ},
    {.group = "uq", .name = "calibration_source", .kind = SNF_CKF_STR, M(uq.calib_source),
     .flags = SNF_CKF_UQ | SNF_CKF_OPTIONAL, .when = snf_ckf_has_source},
    UQ_DSET("member_params", member_params, SNF_CKS_UQ_MP, SNF_CKE_F32, SNF_CKF_PTR, NULL, SNF_CKR_WEIGHTS),
    UQ_DSET("member_stats", member_stats, SNF_CKS_UQ_MS, SNF_CKE_F32, SNF_CKF_PTR, snf_ckf_has_stats, SNF_CKR_WEIGHTS),
    UQ_DSET("var_scale", var_scale, SNF_CKS_NP, SNF_CKE_F64, 0, NULL, SNF_CKR_POSITIVE),
    UQ_DSET("var_add", var_add, SNF_CKS_NP, SNF_CKE_F64, SNF_CKF_OPTIONAL, snf_ckf_has_var_add, SNF_CKR_NONNEG),
    UQ_DSET("range_lo", range_lo, SNF_CKS_NP, SNF_CKE_F64, 0, NULL, SNF_CKR_NONE),
    UQ_DSET("range_hi", range_hi, SNF_CKS_NP, SNF_CKE_F64, 0, NULL, SNF_CKR_NONE),
    UQ_DSET("ood_mean", ood_mean, SNF_CKS_OOD_D, SNF_CKE_F64, SNF_CKF_PTR, snf_ckf_has_ood, SNF_CKR_NONE),
    UQ_DSET("ood_chol", ood_chol, SNF_CKS_OOD_DD, SNF_CKE_F64, SNF_CKF_PTR, snf_ckf_has_ood, SNF_CKR_NONE),
    UQ_DSET("ood_ref_d2", ood_ref_d2, SNF_CKS_NREF, SNF_CKE_F64, SNF_CKF_PTR, snf_ckf_has_ood, SNF_CKR_NONE),
    UQ_DSET("near_lbol", near_lbol, SNF_CKS_NEAR, SNF_CKE_F32, SNF_CKF_PTR | SNF_CKF_OPTIONAL, snf_ckf_has_near,
            SNF_CKR_NONE),
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
    case SNF_CKS_UQ_MP: *rows = (unsigned long long)c->uq.members, *cols = c->nparams; break;
    case SNF_CKS_UQ_MS: *rows = (unsigned long long)c->uq.members, *cols = c->nstats; break;
    case SNF_CKS_OOD_D: *rows = (unsigned long long)c->uq.ood_D; break;
    case SNF_CKS_OOD_DD: *rows = *cols = (unsigned long long)c->uq.ood_D; break;
    case SNF_CKS_NREF: *rows = (unsigned long long)c->uq.ood_n_ref; break;
    case SNF_CKS_NEAR: *rows = (unsigned long long)c->uq.near_n, *cols = (unsigned long long)c->spec.L; break;
    default: *rows = (unsigned long long)c->n_hist, *cols = SNF_EPOCH_RECORD_COLS; break;
    }
}
