/* curriculum_stage1.c: stage 1 of a curriculum variant for all its folds at once. Stage 1 reads only
 * semi-analytic rows; a fold decides only which epoch is kept (by the loss on its hydro validation models)
 * and when it stops. So one training run per variant (snf_transfer_run_folds) serves every fold: fold f's
 * stage1.h5 holds the weights of its own best epoch, as a separate run with the same seed would select.
 * Fold f's test models are validation models of fold f-1: their loss is computed during the shared run but
 * enters only fold f-1's selection and the moment the shared run ends, which never changes fold f's
 * selection (the run goes on at least until fold f has stopped, and the training never reads validation
 * rows). A later variant whose stage-1 input equals an earlier one's (same texts for every fold) copies
 * that variant's stage-1 models instead of training. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curriculum_internal.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

/* Copies the model file pair[0] to pair[1] (through the model-file writer, atomically) unless pair[1] exists
 * (an snf_dist_once section). */
static int snf_copy_model(void *ctx)
{
    const char *const *pair = ctx;
    const char *src = pair[0], *dst = pair[1];
    if (snf_curr_exists(dst)) {
        return SNF_OK;
    }
    snf_ckpt ck;
    int rc = snf_ckpt_read(&ck, src);
    if (rc >= 0) {
        rc = snf_ckpt_write(dst, &ck);
        snf_ckpt_free(&ck);
    }
    return rc;
}

/* A fold's folder (an snf_dist_once section: rank 0 makes it). */
static int snf_stage1_mkdir(void *ctx)
{
    const char *dir = ctx;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
    }
    return SNF_OK;
}

/* ---- internal API ---- */

int snf_curr_stage1(const snf_curr_config *c, int vi, const snf_curr_options *opt, const snf_norm *norm,
                    const snf_rows *sa_tr, const snf_rows *hydro, const char *vdir)
{
    const snf_curr_variant *v = &c->variants[vi];
    const int k = c->folds;
    snf_fold *fo = calloc((size_t)k, sizeof *fo);
    snf_rows *hv = calloc((size_t)k, sizeof *hv); /* fold f's validation models */
    char **texts = calloc((size_t)k, sizeof *texts), **outs = calloc((size_t)k, sizeof *outs);
    snf_transfer_summary *sums = calloc((size_t)k, sizeof *sums);
    char *shared = NULL;
    int rc = SNF_OK;
    if (!fo || !hv || !texts || !outs || !sums) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %d folds", k);
    }
    size_t cap = 256;
    for (int f = 0; f < k; f++) {
        if ((rc = snf_fold_make(&fo[f], hydro->ids, hydro->n, k, c->split_seed, f)) < 0 ||
            (rc = snf_fold_check_disjoint(&fo[f])) < 0 ||
            (rc = snf_rows_subset(&hv[f], hydro, fo[f].val, fo[f].n_val)) < 0) {
            goto cleanup;
        }
        texts[f] = snf_curr_stage_text(c, v, &fo[f], f, 1);
        outs[f] = malloc(1400);
        if (!texts[f] || !outs[f]) {
            SNF_FAIL(SNF_ENOMEM, "out of memory");
        }
        snprintf(outs[f], 1400, "%s/fold%d", vdir, f + 1);
        if ((rc = snf_dist_once(snf_stage1_mkdir, outs[f])) < 0) {
            goto cleanup;
        }
        snprintf(outs[f], 1400, "%s/fold%d/stage1.h5", vdir, f + 1);
        cap += strlen(texts[f]) + 1;
    }
    /* An earlier variant with the same stage-1 input (the same settings give the same fold rows). */
    for (int u = 0; u < vi; u++) {
        int same = 1;
        for (int f = 0; f < k && same; f++) {
            char *tu = snf_curr_stage_text(c, &c->variants[u], &fo[f], f, 1);
            if (!tu) {
                SNF_FAIL(SNF_ENOMEM, "out of memory");
            }
            same = !strcmp(tu, texts[f]);
            free(tu);
        }
        if (!same) {
            continue;
        }
        for (int f = 0; f < k && rc >= 0; f++) {
            char src[1400];
            snprintf(src, sizeof src, "%s/%s/fold%d/stage1.h5", opt->out_dir, c->variants[u].name, f + 1);
            const char *pair[2] = {src, outs[f]};
            rc = snf_dist_once(snf_copy_model, pair);
        }
        if (rc >= 0 && opt->log) {
            fprintf(opt->log, "  %s stage 1: the same as %s's (copied)\n", v->name, c->variants[u].name);
        }
        goto cleanup;
    }
    shared = malloc(cap);
    if (!shared) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    size_t n = (size_t)snprintf(shared, cap, "snforge curriculum stage 1, one run for %d folds\n", k);
    for (int f = 0; f < k; f++) {
        n += (size_t)snprintf(shared + n, cap - n, "%s", texts[f]);
    }
    snf_transfer_config tc;
    snf_curr_transfer_base(&tc, c, v, norm, c->seed);
    tc.epochs = v->s1.epochs;
    tc.batch = v->s1.batch;
    tc.adam.lr = (float)v->s1.lr;
    tc.adam.weight_decay = (float)v->s1.weight_decay;
    tc.recipe = v->s1.recipe;
    tc.es_patience = v->s1.patience;
    tc.aug = v->aug;
    tc.obs = snf_curr_stage_obs(v, 1);
    tc.text = shared;
    tc.data_file = v->sa_file;
    snf_train_options to = snf_train_options_default();
    to.threads = opt->threads;
    to.quiet = 1;
    char sdir[1300];
    snprintf(sdir, sizeof sdir, "%s/stage1", vdir);
    int stopped = 0;
    rc = snf_transfer_run_folds(&tc, sa_tr, k, hv, (const char *const *)texts, (const char *const *)outs, sdir, &to,
                                sums, &stopped);
    for (int f = 0; f < k && rc >= 0 && opt->log && !sums[f].already_finished; f++) {
        fprintf(opt->log, "  %s fold %d stage 1: %ld epochs, best %ld (hydro validation loss %.4f, %ld models)\n",
                v->name, f + 1, sums[f].epoch, sums[f].best_epoch + 1, sums[f].best_val_loss, hv[f].n);
    }
cleanup:
    for (int f = 0; f < k && fo && hv; f++) {
        snf_fold_free(&fo[f]);
        snf_rows_free(&hv[f]);
        if (texts) {
            free(texts[f]);
        }
        if (outs) {
            free(outs[f]);
        }
    }
    free(fo);
    free(hv);
    free(texts);
    free(outs);
    free(sums);
    free(shared);
    return rc;
}
