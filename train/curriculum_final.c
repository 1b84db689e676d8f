/* curriculum_final.c: after the k-fold experiment, the deployable model's two training-side parts
 * (curriculum.h): the out-of-fold bookkeeping (every hydro model predicted exactly once, by the fold
 * that tested it, never trained or selected on it) and the final members, trained on all hydro models
 * with the stage lengths the folds selected, through the same transfer loop as the folds' stages. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "curriculum_internal.h"
#include "snforge/core.h"

/* ---- static helpers ---- */

static int snf_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* 1 if id is among v[n]. */
static int snf_in(const long *v, long n, long id)
{
    for (long i = 0; i < n; i++) {
        if (v[i] == id) {
            return 1;
        }
    }
    return 0;
}

/* Reads one fold's tested.csv into o (rows appended); every row must be a test model of f. */
static int snf_oof_read_fold(snf_curr_oof *o, const char *path, const snf_fold *f, int fold, const long *all,
                             long nall)
{
    char *buf = NULL;
    size_t len = 0;
    SNF_CHECK(snf_text_slurp_sealed(path, "fold predictions", &buf, &len));
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s, *fs[16];
    size_t n, fl[16];
    int rc = SNF_OK, header = 1;
    while (snf_text_next(&it, &s, &n)) {
        int nf = snf_csv_split(s, n, fs, fl, 16);
        if (header) {
            header = 0;
            if (nf != 14 || fl[1] != 9 || strncmp(fs[1], "hydro_row", 9) != 0) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: expected the header row,hydro_row,energy,...,curriculum_nickel (14 "
                         "columns)", path, it.line);
            }
            continue;
        }
        double v[14];
        for (int q = 0; q < 14 && q < nf; q++) {
            if (snf_csv_number(fs[q], fl[q], &v[q]) != 0 || (q >= 2 && !(v[q] > 0))) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: column %d is not a positive number", path, it.line, q + 1);
            }
        }
        long id = (long)v[1];
        if (nf != 14 || v[1] != (double)id) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: expected 14 columns with a whole hydro_row", path, it.line);
        }
        if (!snf_in(all, nall, id)) {
            SNF_FAIL(SNF_EINVAL, "%s:%d: hydro row %ld is not a usable model of the hydro set", path, it.line, id);
        }
        if (!snf_in(f->test, f->n_test, id) || snf_in(f->train, f->n_train, id) || snf_in(f->val, f->n_val, id)) {
            SNF_FAIL(SNF_EINVAL, "%s:%d: hydro row %ld is not a test model of fold %d (fold %d trained or selected "
                     "on it): not an out-of-fold prediction", path, it.line, id, fold + 1, fold + 1);
        }
        for (long i = 0; i < o->n; i++) {
            if (o->ids[i] == id) {
                SNF_FAIL(SNF_EINVAL, "%s:%d: hydro row %ld was already predicted by fold %d: every model is "
                         "predicted exactly once", path, it.line, id, o->fold[i] + 1);
            }
        }
        if (o->n >= nall) {
            SNF_FAIL(SNF_EINVAL, "%s: more predictions than hydro models", path);
        }
        o->ids[o->n] = id;
        o->fold[o->n] = fold;
        for (int k = 0; k < SNF_DATA_NP; k++) {
            o->truth[o->n * SNF_DATA_NP + k] = v[2 + k];
            o->pred[o->n * SNF_DATA_NP + k] = v[10 + k];
        }
        o->n++;
    }
cleanup:
    free(buf);
    return rc;
}

/* The fold-selected length of a stage: the median over folds of the kept epoch (1-based; the lower middle
 * for an even count) read from each fold's stageS.h5. */
static int snf_final_length(const snf_curr_config *c, const char *vdir, int stage, int *len)
{
    int e[SNF_CURR_MAX_FOLDS];
    for (int f = 0; f < c->folds; f++) {
        char p[1400];
        snprintf(p, sizeof p, "%s/fold%d/stage%d.h5", vdir, f + 1, stage);
        snf_ckpt ck;
        SNF_CHECK(snf_ckpt_read(&ck, p));
        int ok = ck.finished;
        e[f] = (int)ck.es.best_epoch + 1;
        snf_ckpt_free(&ck);
        if (!ok) {
            SNF_ERROR(SNF_EINVAL, "%s is not finished: run the experiment to its end first", p);
        }
    }
    qsort(e, (size_t)c->folds, sizeof *e, snf_cmp_int);
    *len = e[(c->folds - 1) / 2] > 0 ? e[(c->folds - 1) / 2] : 1;
    return SNF_OK;
}

/* ---- public API ---- */

void snf_curr_oof_free(snf_curr_oof *o)
{
    if (o) {
        free(o->ids);
        free(o->fold);
        free(o->truth);
        free(o->pred);
        memset(o, 0, sizeof *o);
    }
}

int snf_curr_oof_collect(snf_curr_oof *o, const snf_curr_config *c, const char *vdir, const long *ids, long n)
{
    memset(o, 0, sizeof *o);
    size_t m = n > 0 ? (size_t)n : 1;
    o->ids = malloc(m * sizeof *o->ids);
    o->fold = malloc(m * sizeof *o->fold);
    o->truth = malloc(m * SNF_DATA_NP * sizeof *o->truth);
    o->pred = malloc(m * SNF_DATA_NP * sizeof *o->pred);
    if (!o->ids || !o->fold || !o->truth || !o->pred) {
        snf_curr_oof_free(o);
        SNF_ERROR(SNF_ENOMEM, "out of memory for %ld predictions", n);
    }
    int rc = SNF_OK;
    for (int f = 0; f < c->folds && rc >= 0; f++) {
        snf_fold fo;
        char p[1400];
        snprintf(p, sizeof p, "%s/fold%d/tested.csv", vdir, f + 1);
        rc = snf_fold_make(&fo, ids, n, c->folds, c->split_seed, f);
        if (rc >= 0 && (rc = snf_fold_check_disjoint(&fo)) >= 0) {
            rc = snf_oof_read_fold(o, p, &fo, f, ids, n);
        }
        snf_fold_free(&fo);
    }
    for (long i = 0; i < n && rc >= 0; i++) {
        if (!snf_in(o->ids, o->n, ids[i])) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: hydro row %ld was predicted by no "
                                  "fold (tested.csv of its fold lacks it)", vdir, ids[i]);
        }
    }
    if (rc < 0) {
        snf_curr_oof_free(o);
    }
    return rc;
}

/* The final folder (an snf_dist_once section: rank 0 makes it). */
static int snf_final_mkdir(void *ctx)
{
    const char *dir = ctx;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", dir, strerror(errno));
    }
    return SNF_OK;
}

int snf_curr_final_train(const snf_curr_config *c, const snf_curr_options *opt, int members, const char *dir,
                         snf_uq_final_info *info)
{
    const snf_curr_variant *v = &c->variants[0];
    char vdir[1200];
    snprintf(vdir, sizeof vdir, "%s/%s", opt->out_dir, v->name);
    memset(info, 0, sizeof *info);
    info->members = members;
    SNF_CHECK(snf_final_length(c, vdir, 1, &info->epochs1));
    SNF_CHECK(snf_final_length(c, vdir, 2, &info->epochs2));
    SNF_CHECK(snf_dist_once(snf_final_mkdir, (void *)(uintptr_t)dir));
    snf_norm norm;
    snf_rows sa_tr, sa_te, hydro;
    memset(&hydro, 0, sizeof hydro);
    snf_fold all;
    memset(&all, 0, sizeof all);
    snf_ckpt s1;
    memset(&s1, 0, sizeof s1);
    char *base = NULL, *text = NULL;
    int rc = snf_curr_sa_rows(c, v, &norm, &sa_tr, &sa_te);
    if (rc >= 0) {
        rc = snf_rows_load(&hydro, c->hydro_file, &v->spec, &norm, NULL, 0);
    }
    if (rc < 0) {
        goto cleanup;
    }
    all.train = hydro.ids;
    all.n_train = hydro.n;
    base = snf_curr_stage_text(c, v, &all, -1, 2);
    text = base ? malloc(strlen(base) + 1024) : NULL;
    if (!text) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    snf_train_options to = snf_train_options_default();
    to.threads = opt->threads;
    to.quiet = 1;
    for (int k = 0; k < members && rc >= 0; k++) {
        char p1[1400], p2[1400];
        snprintf(p1, sizeof p1, "%s/member%d_stage1.h5", dir, k + 1);
        snprintf(p2, sizeof p2, "%s/member%d.h5", dir, k + 1);
        const uint64_t seed = c->seed + 7919ULL * (uint64_t)k;
        snf_transfer_summary sum;
        snf_transfer_config tc;
        /* stage 1: the semi-analytic rows for the folds' median kept epoch count, no selection rows (the
         * weights of the lowest training loss, as snf_transfer_run keeps without validation rows) */
        snf_curr_transfer_base(&tc, c, v, &norm, seed);
        tc.epochs = info->epochs1;
        tc.batch = v->s1.batch;
        tc.adam.lr = (float)v->s1.lr;
        tc.adam.weight_decay = (float)v->s1.weight_decay;
        tc.recipe = v->s1.recipe;
        tc.aug = v->aug;
        tc.obs = snf_curr_stage_obs(v, 1);
        char r1[256], o1[512]; /* stage 1's recipe and [observe] (base is stage 2's text): "" for the defaults,
                                * so today's texts stay */
        snf_recipe_text(&v->s1.recipe, r1, sizeof r1);
        snf_curr_observe_text(c, v, 1, o1, sizeof o1);
        snprintf(text, strlen(base) + 1024, "snforge curriculum final member %d of %d, stage 1: %d epochs, seed %llu\n%s%s%s",
                 k + 1, members, info->epochs1, (unsigned long long)seed, r1, o1, base);
        tc.text = text;
        tc.data_file = v->sa_file;
        tc.out_path = p1;
        if ((rc = snf_transfer_run(&tc, &sa_tr, NULL, NULL, &to, &sum)) < 0 || (rc = snf_ckpt_read(&s1, p1)) < 0) {
            break;
        }
        /* stage 2: every hydro model, the semi-analytic share mixed in, the folds' median kept epoch count */
        snf_curr_transfer_base(&tc, c, v, &norm, seed);
        tc.init = &s1;
        tc.freeze = v->s2.freeze;
        tc.epochs = info->epochs2;
        tc.batch = v->s2.batch;
        tc.adam.lr = (float)v->s2.lr;
        tc.adam.weight_decay = (float)v->s2.weight_decay;
        tc.recipe = v->s2.recipe;
        tc.mix_share = v->s2.mix_share;
        tc.aug_mix = v->aug;
        tc.obs = snf_curr_stage_obs(v, 2);
        snprintf(text, strlen(base) + 1024, "snforge curriculum final member %d of %d, stage 2: %d epochs, seed %llu\n%s",
                 k + 1, members, info->epochs2, (unsigned long long)seed, base);
        tc.text = text;
        tc.data_file = c->hydro_file;
        tc.out_path = p2;
        rc = snf_transfer_run(&tc, &hydro, v->s2.mix_share > 0 ? &sa_tr : NULL, NULL, &to, &sum);
        snf_ckpt_free(&s1);
        if (rc >= 0 && opt->log && !sum.already_finished) {
            fprintf(opt->log, "  final member %d/%d: stage 1 %d epochs, stage 2 %d epochs on %ld hydro models\n", k + 1,
                    members, info->epochs1, info->epochs2, hydro.n);
        }
    }
cleanup:
    snf_ckpt_free(&s1);
    snf_rows_free(&sa_tr);
    snf_rows_free(&sa_te);
    snf_rows_free(&hydro);
    free(base);
    free(text);
    return rc;
}
