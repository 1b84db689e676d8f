/* uq_final.c: the curriculum's deployable model (uq.h snf_uq_final): the final members trained on every
 * hydro model (train/curriculum_final.c), and their /uq group (uq_refit.c) calibrated on the out-of-fold
 * predictions of the k-fold experiment, which never trained or selected on the models they predict. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "snforge/core.h"
#include "snforge/infer.h"

/* Semi-analytic training rows whose features join the OOD fit (as uq_train.c's SNF_UQ_OOD_FIT_ROWS). */
#define SNF_FINAL_OOD_SA_ROWS 20000L

/* ---- static helpers ---- */

static int snf_final_fp_write(void *ctx, FILE *f)
{
    fprintf(f, "%s\n", (const char *)ctx);
    return SNF_OK;
}

/* final/fingerprint.txt: written on the first run, compared on every later one (an snf_dist_once section: rank 0
 * makes the folder and the file; every rank gets its verdict). */
typedef struct snf_final_fp {
    const char *dir;
    int members;
} snf_final_fp;

static int snf_final_check_fn(void *ctx)
{
    const snf_final_fp *q = ctx;
    const char *dir = q->dir;
    const int members = q->members;
    char fp[64], path[1300];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
    }
    snprintf(fp, sizeof fp, "members=%d", members);
    snprintf(path, sizeof path, "%s/fingerprint.txt", dir);
    if (!snf_curr_exists(path)) {
        return snf_atomic_write_text(path, snf_final_fp_write, fp);
    }
    char *stored = NULL;
    size_t len = 0;
    SNF_CHECK(snf_text_slurp(path, "fingerprint file", &stored, &len));
    while (len > 0 && (stored[len - 1] == '\n' || stored[len - 1] == '\r')) {
        stored[--len] = '\0';
    }
    int rc = snf_fingerprint_check(dir, stored, fp, "remove the final folder or use the same --final-members");
    free(stored);
    return rc;
}

static int snf_final_check(const char *dir, int members)
{
    snf_final_fp q = {dir, members};
    return snf_dist_once(snf_final_check_fn, &q);
}

/* final/oof.csv: the predictions the calibration is fitted on, for the reader. */
static int snf_final_write_oof(const char *path, const snf_curr_oof *o)
{
    char *t = malloc(256 + 200 * (size_t)o->n);
    if (!t) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    size_t k = (size_t)sprintf(t, "hydro_row,fold,energy,mass,radius,nickel,pred_energy,pred_mass,pred_radius,"
                                  "pred_nickel\n");
    for (long i = 0; i < o->n; i++) {
        const double *a = o->truth + i * SNF_DATA_NP, *b = o->pred + i * SNF_DATA_NP;
        k += (size_t)sprintf(t + k, "%ld,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", o->ids[i], o->fold[i] + 1,
                             a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
    }
    int rc = snf_curr_write_atomic(path, t);
    free(t);
    return rc;
}

/* After the members are trained: oof.csv, then model.h5 with its /uq group (an snf_dist_once section: under
 * MPI rank 0 alone scores and writes). */
typedef struct snf_final_job {
    const snf_curr_config *c;
    const snf_curr_options *opt;
    int members;
    const snf_uq_final_info *fi;
    const char *dir, *vdir, *model, *oofp;
} snf_final_job;

static int snf_final_build(void *ctx)
{
    const snf_final_job *job = ctx;
    const snf_curr_config *c = job->c;
    const snf_curr_options *opt = job->opt;
    const int members = job->members;
    const snf_uq_final_info fi = *job->fi;
    const char *dir = job->dir, *vdir = job->vdir, *model = job->model, *oofp = job->oofp;
    const snf_curr_variant *v = &c->variants[0];
    const int NP = SNF_DATA_NP;
    int rc;
    snf_curr_oof oof;
    memset(&oof, 0, sizeof oof);
    snf_rows sa_tr, sa_te, hydro, fit, ref; /* fit: the OOD fit's rows; ref: its reference rows */
    memset(&sa_tr, 0, sizeof sa_tr);
    memset(&sa_te, 0, sizeof sa_te);
    memset(&hydro, 0, sizeof hydro);
    memset(&fit, 0, sizeof fit);
    memset(&ref, 0, sizeof ref);
    double *lt = NULL, *lp = NULL;
    char **paths = NULL;
    snf_norm norm;
    if ((rc = snf_curr_sa_rows(c, v, &norm, &sa_tr, &sa_te)) < 0 ||
        (rc = snf_rows_load(&hydro, c->hydro_file, &v->spec, &norm, NULL, 0)) < 0 ||
        (rc = snf_curr_oof_collect(&oof, c, vdir, hydro.ids, hydro.n)) < 0 || (rc = snf_final_write_oof(oofp, &oof)) < 0) {
        goto cleanup;
    }
    long ns = sa_tr.n < SNF_FINAL_OOD_SA_ROWS ? sa_tr.n : SNF_FINAL_OOD_SA_ROWS;
    /* The OOD test asks whether an input is like those the members trained on: under [observe] they trained on
     * observations drawn from the curves, so its fit and reference are drawn too (the semi-analytic rows as
     * stage 1 saw them, the hydro models as stage 2 did: one draw per row, the out-of-fold predictions' own) */
    const int obs_sa = snf_curr_stage_obs(v, 1) != NULL, obs_hy = snf_curr_stage_obs(v, 2) != NULL;
    sa_tr.n = ns; /* the rows the fit reads: only they are drawn */
    if ((obs_sa && ((rc = snf_curr_observe_rows(c, v, &norm, &sa_tr)) < 0 ||
                    (rc = snf_curr_observe_rows(c, v, &norm, &sa_te)) < 0)) ||
        (obs_hy && (rc = snf_curr_observe_rows(c, v, &norm, &hydro)) < 0)) {
        goto cleanup;
    }
    if ((rc = snf_rows_join(&fit, &sa_tr, ns, &hydro)) < 0 || (rc = snf_rows_join(&ref, &sa_te, sa_te.n, &hydro)) < 0) {
        goto cleanup;
    }
    lt = malloc((size_t)oof.n * NP * sizeof *lt + 1);
    lp = malloc((size_t)oof.n * NP * sizeof *lp + 1);
    paths = calloc((size_t)members, sizeof *paths);
    if (!lt || !lp || !paths) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %ld rows", fit.n);
    }
    /* the calibration reads the out-of-fold predictions and nothing else */
    for (long i = 0; i < oof.n * NP; i++) {
        lt[i] = log10(oof.truth[i]);
        lp[i] = log10(oof.pred[i]);
    }
    for (int k = 0; k < members; k++) {
        paths[k] = malloc(1400);
        if (!paths[k]) {
            SNF_FAIL(SNF_ENOMEM, "out of memory");
        }
        snprintf(paths[k], 1400, "%s/member%d.h5", dir, k + 1);
    }
    char source[256];
    snprintf(source, sizeof source, "curriculum out-of-fold, %ld hydro models, %d folds (the fold models' stage-2 "
             "predictions of their test models; an additive log10 residual variance per parameter)", oof.n, c->folds);
    snf_uq_refit_input in;
    memset(&in, 0, sizeof in);
    in.members = (const char *const *)paths;
    in.nmembers = members;
    in.fit_x = fit.x;
    in.n_fit = fit.n;
    in.fit_params = fit.params;
    in.ref_x = ref.x;
    in.n_ref = ref.n;
    in.cal_truth = lt;
    in.cal_pred = lp;
    in.n_cal = oof.n;
    in.calib_source = source;
    in.ood_shrinkage = 0.1;
    in.ood_alpha = 0.01f;
    rc = snf_uq_refit(&in, model);
    if (rc >= 0 && opt->log) {
        snf_uq_model m;
        if (snf_uq_model_open(&m, model, 1) >= 0) {
            fprintf(opt->log, "snforge curriculum: %s: %d members, stage lengths %d + %d epochs; calibrated on %ld "
                    "out-of-fold predictions: log10 sigma E %.3f M %.3f R %.3f Ni %.3f; OOD test fitted on %ld rows%s\n",
                    model, members, fi.epochs1, fi.epochs2, oof.n, sqrt(m.var_add[0]), sqrt(m.var_add[1]),
                    sqrt(m.var_add[2]), sqrt(m.var_add[3]), fit.n,
                    obs_sa && obs_hy ? " drawn as observations ([observe])"
                    : obs_hy ? " (the hydro models drawn as observations, [observe])"
                    : obs_sa ? " (the semi-analytic rows drawn as observations, [observe])" : "");
            snf_uq_model_free(&m);
        }
    }
cleanup:
    for (int k = 0; paths && k < members; k++) {
        free(paths[k]);
    }
    free(paths);
    snf_rows_free(&fit);
    snf_rows_free(&ref);
    free(lt);
    free(lp);
    snf_curr_oof_free(&oof);
    snf_rows_free(&sa_tr);
    snf_rows_free(&sa_te);
    snf_rows_free(&hydro);
    return rc;
}

/* ---- public API ---- */

int snf_uq_final(const snf_curr_config *c, const snf_curr_options *opt, int members, snf_uq_final_info *info)
{
    const snf_curr_variant *v = &c->variants[0];
    char dir[1200], vdir[1200], model[1300], oofp[1300];
    snprintf(dir, sizeof dir, "%s/final", opt->out_dir);
    snprintf(vdir, sizeof vdir, "%s/%s", opt->out_dir, v->name);
    snprintf(model, sizeof model, "%s/model.h5", dir);
    snprintf(oofp, sizeof oofp, "%s/oof.csv", dir);
    if (members < 1 || members > SNF_UQ_MAX_MEMBERS) {
        SNF_ERROR(SNF_EINVAL, "--final-members %d: expected 1-%d", members, SNF_UQ_MAX_MEMBERS);
    }
    snf_uq_final_info fi;
    memset(&fi, 0, sizeof fi);
    int rc = snf_final_check(dir, members); /* before any training: another member count is refused at once */
    if (rc >= 0) {
        rc = snf_curr_final_train(c, opt, members, dir, &fi); /* refuses an unfinished experiment */
    }
    if (rc < 0 || snf_curr_exists(model)) {
        if (info) {
            *info = fi;
        }
        return rc;
    }
    if (info) {
        *info = fi;
    }
    snf_final_job job = {c, opt, members, &fi, dir, vdir, model, oofp};
    return snf_dist_once(snf_final_build, &job); /* rank 0 writes oof.csv and model.h5 */
}
