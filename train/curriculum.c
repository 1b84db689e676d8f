/* curriculum.c: the curriculum experiment of curriculum.h: its resident rows (data.h snf_rows), the k-fold deal of the
 * hydro models, and the three stages per variant and fold, each stage a resumable model file and each
 * fold's scores a file written atomically once the fold is done. The table is curriculum_report.c's. */
#define _POSIX_C_SOURCE 200809L /* fsync, mkdir */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "curriculum_internal.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/version.h"

/* ---- static helpers ---- */

static int snf_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static void snf_shuffle(long *v, long n, uint64_t seed)
{
    snf_rng r = snf_rng_seed(seed);
    snf_rng_shuffle(&r, v, n);
}

static int snf_mkdir(const char *p)
{
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", p, strerror(errno));
    }
    return SNF_OK;
}

int snf_curr_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void snf_curr_transfer_base(snf_transfer_config *tc, const snf_curr_config *c, const snf_curr_variant *v,
                            const snf_norm *norm, uint64_t seed)
{
    memset(tc, 0, sizeof *tc);
    tc->net = c->net;
    tc->net.C_in = snf_data_spec_cin(&v->spec);
    tc->net.T = v->spec.L;
    tc->net.n_out = SNF_DATA_NP;
    tc->spec = v->spec;
    tc->norm = *norm;
    tc->seed = seed;
    tc->adam = snf_adam_config_default();
}

int snf_curr_observe_text(const snf_curr_config *c, const snf_curr_variant *v, int stage, char *buf, size_t n)
{
    const snf_obs_aug *a = &v->obs;
    if (!snf_obs_aug_active(a)) {
        return n ? (buf[0] = '\0', 0) : 0;
    }
    const int on = stage == 1 ? v->s1.observe : v->s2.observe;
    return snprintf(buf, n, "observe: epochs_L %d-%d epochs_v %d-%d first_d %.17g-%.17g last_d %.17g-%.17g gaps %d-%d "
                    "gap_d %.17g-%.17g t0_err_d %.17g L_err %.17g-%.17g vph_err %.17g-%.17g vph_missing %.17g; "
                    "training rows %s; scored rows drawn once (seed %llu)\n", a->epochs_L[0], a->epochs_L[1],
                    a->epochs_v[0], a->epochs_v[1], a->first_d[0], a->first_d[1], a->last_d[0], a->last_d[1],
                    a->gaps[0], a->gaps[1], a->gap_d[0], a->gap_d[1], a->t0_err_d, a->L_err[0], a->L_err[1],
                    a->vph_err[0], a->vph_err[1], a->vph_missing, on ? "drawn every epoch" : "complete",
                    (unsigned long long)snf_curr_observe_seed(c));
}

uint64_t snf_curr_observe_seed(const snf_curr_config *c)
{
    return c->seed * 0x9E3779B97F4A7C15ULL ^ 0x0B5E7FED0B5E7FEDULL;
}

int snf_curr_observe_rows(const snf_curr_config *c, const snf_curr_variant *v, const snf_norm *norm, snf_rows *r)
{
    if (!snf_obs_aug_active(&v->obs)) {
        return SNF_OK;
    }
    const size_t CL = (size_t)snf_data_spec_cin(&v->spec) * (size_t)v->spec.L;
    const uint64_t seed = snf_curr_observe_seed(c);
    for (long i = 0; i < r->n; i += 256) { /* epoch -1: never one of a training run's (0, 1, ...) */
        const int nb = (int)(r->n - i < 256 ? r->n - i : 256);
        SNF_CHECK(snf_data_observe(r->x + (size_t)i * CL, nb, r->ids + i, &v->spec, norm, &v->obs, seed, -1));
    }
    return SNF_OK;
}

const snf_obs_aug *snf_curr_stage_obs(const snf_curr_variant *v, int stage)
{
    const int on = stage == 1 ? v->s1.observe : v->s2.observe;
    return on && snf_obs_aug_active(&v->obs) ? &v->obs : NULL;
}

char *snf_curr_stage_text(const snf_curr_config *c, const snf_curr_variant *v, const snf_fold *f, int fold,
                          int stage)
{
    size_t cap = 4096 + 24 * (size_t)(f->n_test + f->n_val + f->n_train);
    char *t = malloc(cap);
    if (!t) {
        return NULL;
    }
    const snf_curr_stage *s = stage == 1 ? &v->s1 : &v->s2;
    size_t k = (size_t)snprintf(t, cap,
        "snforge curriculum stage %d, fold %d\n%ssa = %s\nhydro = %s\nsa_max_rows = %ld\nsa_test = %.17g\n"
        "folds = %d\nsplit_seed = %llu\nseed = %llu\nchannels = %d mask = %d L = %d t = %.17g..%.17g\n"
        "arch = %d filters = %d depth = %d kernel = %d bottleneck = %d residual = %d bn_momentum = %.9g\n"
        "epochs = %d batch = %d patience = %d lr = %.17g weight_decay = %.17g freeze = %d mix_share = %.17g\n"
        "noise = %.9g drop = %.9g shift = %d\n", stage, fold + 1,
        stage == 1 ? "trained once for every fold (seed as below), the epoch selected per fold\n" : "", v->sa_file, c->hydro_file, c->sa_max_rows,
        c->sa_test, c->folds, (unsigned long long)c->split_seed, (unsigned long long)c->seed, v->spec.channels,
        v->spec.mask, v->spec.L, v->spec.t_start_d, v->spec.t_end_d, c->net.arch, c->net.filters, c->net.depth,
        c->net.kernel, c->net.bottleneck, c->net.residual, (double)c->net.bn_momentum, s->epochs, s->batch,
        s->patience, s->lr, s->weight_decay, s->freeze, s->mix_share, (double)v->aug.noise, (double)v->aug.drop,
        v->aug.shift);
    if (k < cap) { /* a recipe other than the default only: today's texts (and model files) stay as they were */
        k += (size_t)snf_recipe_text(&s->recipe, t + k, cap - k);
    }
    if (k < cap) { /* [observe] only when on: without it the texts (and model files) stay as they were */
        k += (size_t)snf_curr_observe_text(c, v, stage, t + k, cap - k);
    }
    const char *names[3] = {"validation", "training", "test"};
    const long *lists[3] = {f->val, f->train, f->test};
    long ns[3] = {f->n_val, f->n_train, f->n_test};
    for (int q = 0; q < 3 && k < cap; q++) {
        k += (size_t)snprintf(t + k, cap - k, "%s rows:", names[q]);
        for (long i = 0; i < ns[q] && k < cap; i++) {
            k += (size_t)snprintf(t + k, cap - k, " %ld", lists[q][i]);
        }
        if (k < cap) {
            k += (size_t)snprintf(t + k, cap - k, "\n");
        }
    }
    return t;
}

/* Writes text to path through the one atomic writer (fileio.h: path.tmp, fsync, rename, fsync of the folder). */
static int snf_curr_put_text(void *ctx, FILE *f) { return fputs((const char *)ctx, f) < 0 ? SNF_EIO : SNF_OK; }

/* 1 when path already holds exactly text (then a rerun leaves the file and its time as they are). */
static int snf_curr_same_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    size_t n = strlen(text), i = 0;
    int ch, same = 1;
    while (same && (ch = fgetc(f)) != EOF) {
        same = i < n && (char)ch == text[i];
        i++;
    }
    same = same && i == n && !ferror(f);
    fclose(f);
    return same;
}

/* A text file's path and text, and whether it is sealed (snf_curr_text_write: an snf_dist_once section). */
typedef struct snf_curr_text_job {
    const char *path, *text;
    int sealed;
} snf_curr_text_job;

static int snf_curr_text_write(void *ctx)
{
    const snf_curr_text_job *j = ctx;
    if (j->sealed) {
        return snf_atomic_write_sealed(j->path, snf_curr_put_text, (void *)(uintptr_t)j->text);
    }
    if (snf_curr_same_text(j->path, j->text)) {
        return SNF_OK;
    }
    return snf_atomic_write_text(j->path, snf_curr_put_text, (void *)(uintptr_t)j->text);
}

int snf_curr_write_atomic(const char *path, const char *text)
{
    snf_curr_text_job j = {path, text, 0};
    return snf_dist_once(snf_curr_text_write, &j);
}

int snf_curr_write_sealed(const char *path, const char *text)
{
    snf_curr_text_job j = {path, text, 1};
    return snf_dist_once(snf_curr_text_write, &j);
}

static int snf_curr_mkdir_fn(void *ctx) { return snf_mkdir((const char *)ctx); }

/* snf_mkdir on rank 0 (an snf_dist_once section). */
static int snf_curr_mkdir(const char *dir) { return snf_dist_once(snf_curr_mkdir_fn, (void *)(uintptr_t)dir); }

/* ---- public API: hydro rows and folds ---- */

int snf_curr_hydro_check(const char *path, const snf_rows *hydro, const snf_rows *sa, const char *sa_path)
{
    const size_t CL = hydro->CL;
    snf_dataset *d = NULL;
    char source[256] = "";
    int rc = snf_dataset_open(&d, path, 0);
    if (rc < 0) {
        return rc;
    }
    if (snf_dataset_attr_string(d, NULL, "source", source, sizeof source) < 0) {
        source[0] = '\0';
    }
    snf_dataset_close(d);
    if (strncmp(source, "hydro:", 6) != 0) {
        SNF_ERROR(SNF_EINVAL, "%s: source is '%s': expected hydro runs (source \"hydro:<code>\", made by snforge "
                  "import), not a semi-analytic campaign", path, source);
    }
    if (sa && sa->n > 0 && hydro->n > 0 && sa->CL != CL) {
        SNF_ERROR(SNF_EINVAL, "%s: rows of %zu floats compared with semi-analytic rows of %zu", path, CL, sa->CL);
    }
    for (long i = 0; sa != NULL && i < hydro->n; i++) {
        for (long j = 0; j < sa->n; j++) {
            if (memcmp(hydro->x + (size_t)i * CL, sa->x + (size_t)j * CL, CL * sizeof *hydro->x) == 0) {
                SNF_ERROR(SNF_EINVAL, "%s: row %ld is identical to row %ld of the semi-analytic campaign %s: the "
                          "hydro set holds semi-analytic models (source attribute '%s' notwithstanding)", path,
                          hydro->ids[i], sa->ids[j], sa_path, source);
            }
        }
    }
    return SNF_OK;
}

int snf_fold_make(snf_fold *f, const long *ids, long n, int k, uint64_t seed, int fold)
{
    memset(f, 0, sizeof *f);
    if (k < 3 || n < k || fold < 0 || fold >= k) {
        SNF_ERROR(SNF_EINVAL, "%ld hydro models cannot be dealt to %d folds (each fold tests, validates and trains "
                  "on different models: at least 3 folds and one model per fold)", n, k);
    }
    long *sh = malloc((size_t)n * sizeof *sh);
    f->test = malloc((size_t)n * sizeof *f->test);
    f->val = malloc((size_t)n * sizeof *f->val);
    f->train = malloc((size_t)n * sizeof *f->train);
    if (!sh || !f->test || !f->val || !f->train) {
        free(sh);
        snf_fold_free(f);
        SNF_ERROR(SNF_ENOMEM, "out of memory for folds");
    }
    memcpy(sh, ids, (size_t)n * sizeof *sh);
    qsort(sh, (size_t)n, sizeof *sh, snf_cmp_long);
    snf_shuffle(sh, n, seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL);
    for (long i = 0; i < n; i++) {
        int g = (int)(i % k);
        if (g == fold) {
            f->test[f->n_test++] = sh[i];
        } else if (g == (fold + 1) % k) {
            f->val[f->n_val++] = sh[i];
        } else {
            f->train[f->n_train++] = sh[i];
        }
    }
    free(sh);
    qsort(f->test, (size_t)f->n_test, sizeof *f->test, snf_cmp_long);
    qsort(f->val, (size_t)f->n_val, sizeof *f->val, snf_cmp_long);
    qsort(f->train, (size_t)f->n_train, sizeof *f->train, snf_cmp_long);
    return SNF_OK;
}

int snf_fold_check_disjoint(const snf_fold *f)
{
    const long *a[3] = {f->test, f->val, f->train};
    const long na[3] = {f->n_test, f->n_val, f->n_train};
    const char *nm[3] = {"test", "validation", "training"};
    for (int p = 0; p < 3; p++) {
        for (int q = p + 1; q < 3; q++) {
            for (long i = 0; i < na[p]; i++) {
                for (long j = 0; j < na[q]; j++) {
                    if (a[p][i] == a[q][j]) {
                        SNF_ERROR(SNF_EINVAL, "hydro model row %ld is both a %s and a %s model", a[p][i], nm[p], nm[q]);
                    }
                }
            }
        }
    }
    return SNF_OK;
}

void snf_fold_free(snf_fold *f)
{
    if (f) {
        free(f->test);
        free(f->val);
        free(f->train);
        memset(f, 0, sizeof *f);
    }
}

/* ---- the experiment ---- */

/* The semi-analytic rows of a variant: the usable rows after a seeded shuffle, the first sa_max_rows,
 * of which the last sa_test fraction is held out (sa_sa row); the normalisation fitted on the rest. */
int snf_curr_sa_rows(const snf_curr_config *c, const snf_curr_variant *v, snf_norm *norm, snf_rows *tr,
                     snf_rows *te)
{
    memset(tr, 0, sizeof *tr);
    memset(te, 0, sizeof *te);
    snf_data *d = NULL;
    long *rows = NULL, n = 0, skipped = 0;
    int rc = snf_data_open(&d, v->sa_file, &v->spec, 1024);
    if (rc < 0) {
        return rc;
    }
    rc = snf_data_usable_rows(d, &rows, &n, &skipped);
    if (rc < 0) {
        goto cleanup;
    }
    snf_shuffle(rows, n, c->split_seed ^ 0x5A5A5A5A12345678ULL);
    if (n > c->sa_max_rows) {
        n = c->sa_max_rows;
    }
    long nte = (long)floor(c->sa_test * (double)n + 0.5), ntr = n - nte;
    if (ntr < 2) {
        SNF_FAIL(SNF_EINVAL, "%s has %ld usable rows: too few to train on", v->sa_file, n);
    }
    qsort(rows, (size_t)ntr, sizeof *rows, snf_cmp_long);
    qsort(rows + ntr, (size_t)nte, sizeof *rows, snf_cmp_long);
    if ((rc = snf_data_fit_norm(d, rows, ntr, norm)) < 0 || (rc = snf_rows_read(tr, d, norm, rows, ntr)) < 0) {
        goto cleanup;
    }
    if ((rc = snf_rows_read(te, d, norm, rows + ntr, nte)) < 0) {
        snf_rows_free(tr);
    }
cleanup:
    snf_data_close(d);
    free(rows);
    return rc;
}

/* One fold of one variant after its stage 1 (snf_curr_stage1): stage 2 and stage 3 into fdir (scores.csv last). */
static int snf_curr_fold(const snf_curr_config *c, const snf_curr_variant *v, const snf_curr_options *opt,
                         const snf_norm *norm, const snf_rows *sa_tr, const snf_rows *sa_te,
                         const snf_rows *hydro, const snf_rows *hydro_obs, int fold, const char *fdir)
{
    snf_fold f;
    snf_rows hv, ht, hs;
    memset(&hv, 0, sizeof hv);
    memset(&ht, 0, sizeof ht);
    memset(&hs, 0, sizeof hs);
    snf_ckpt s1, s2;
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    char *t1 = NULL, *t2 = NULL, *out = NULL;
    double *pred1 = NULL, *pred2 = NULL;
    int rc = snf_fold_make(&f, hydro->ids, hydro->n, c->folds, c->split_seed, fold);
    if (rc < 0) {
        return rc;
    }
    rc = snf_fold_check_disjoint(&f);
    if (rc < 0) {
        goto cleanup;
    }
    if ((rc = snf_rows_subset(&hv, hydro_obs, f.val, f.n_val)) < 0 ||
        (rc = snf_rows_subset(&ht, hydro, f.train, f.n_train)) < 0 ||
        (rc = snf_rows_subset(&hs, hydro_obs, f.test, f.n_test)) < 0) {
        goto cleanup;
    }
    t1 = snf_curr_stage_text(c, v, &f, fold, 1);
    t2 = snf_curr_stage_text(c, v, &f, fold, 2);
    if (!t1 || !t2) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    char p1[2100], p2[2100], ps[2100], pt[2100];
    snprintf(p1, sizeof p1, "%s/stage1.h5", fdir);
    snprintf(p2, sizeof p2, "%s/stage2.h5", fdir);
    snprintf(ps, sizeof ps, "%s/scores.csv", fdir);
    snprintf(pt, sizeof pt, "%s/tested.csv", fdir);
    snf_train_options to = snf_train_options_default();
    to.threads = opt->threads;
    to.quiet = 1;
    snf_transfer_summary sum;

    /* Stage 1: trained once for every fold (snf_curr_stage1), selected on this fold's validation models. */
    snf_transfer_config tc;
    snf_curr_transfer_base(&tc, c, v, norm, c->seed + 1000003ULL * (uint64_t)fold);
    rc = snf_ckpt_read(&s1, p1);
    if (rc < 0) {
        goto cleanup;
    }
    if (!s1.finished || strcmp(s1.config_text ? s1.config_text : "", t1) != 0) {
        SNF_FAIL(SNF_EINVAL, "%s is not this experiment's finished stage 1 (remove the folder to recompute)", p1);
    }
    /* Stage 2: fine-tune on the fold's hydro training models, semi-analytic rows mixed in. */
    tc.init = &s1;
    tc.freeze = v->s2.freeze;
    tc.epochs = v->s2.epochs;
    tc.batch = v->s2.batch;
    tc.adam.lr = (float)v->s2.lr;
    tc.adam.weight_decay = (float)v->s2.weight_decay;
    tc.recipe = v->s2.recipe;
    tc.es_patience = v->s2.patience;
    tc.mix_share = v->s2.mix_share;
    memset(&tc.aug, 0, sizeof tc.aug);
    tc.aug_mix = v->aug;
    tc.obs = snf_curr_stage_obs(v, 2);
    tc.text = t2;
    tc.data_file = c->hydro_file;
    tc.out_path = p2;
    rc = snf_transfer_run(&tc, &ht, v->s2.mix_share > 0 ? sa_tr : NULL, &hv, &to, &sum);
    if (rc < 0) {
        goto cleanup;
    }
    if (opt->log) {
        fprintf(opt->log, "  %s fold %d stage 2: %ld epochs, best %ld (hydro validation loss %.4f), %ld training "
                "models, %d frozen tensors\n", v->name, fold + 1, sum.epoch, sum.best_epoch + 1, sum.best_val_loss,
                ht.n, sum.frozen_tensors);
    }
    rc = snf_ckpt_read(&s2, p2);
    if (rc < 0) {
        goto cleanup;
    }
    /* Stage 3: the fold's test models, first read here. */
    snf_metrics msa, mh1, mh2;
    pred1 = malloc((hs.n ? (size_t)hs.n : 1) * SNF_DATA_NP * sizeof *pred1);
    pred2 = malloc((hs.n ? (size_t)hs.n : 1) * SNF_DATA_NP * sizeof *pred2);
    out = malloc(4096 + 256 * (size_t)hs.n);
    if (!pred1 || !pred2 || !out) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    if ((rc = snf_transfer_score(&s1, sa_te, &msa, NULL)) < 0 || (rc = snf_transfer_score(&s1, &hs, &mh1, pred1)) < 0 ||
        (rc = snf_transfer_score(&s2, &hs, &mh2, pred2)) < 0) {
        goto cleanup;
    }
    size_t k = (size_t)sprintf(out, "row,hydro_row,energy,mass,radius,nickel,sa_hydro_energy,sa_hydro_mass,"
                                    "sa_hydro_radius,sa_hydro_nickel,curriculum_energy,curriculum_mass,"
                                    "curriculum_radius,curriculum_nickel\n");
    for (long i = 0; i < hs.n; i++) {
        const double *p = hs.params + i * SNF_DATA_NP, *a = pred1 + i * SNF_DATA_NP, *b = pred2 + i * SNF_DATA_NP;
        k += (size_t)sprintf(out + k, "%ld,%ld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", i,
                             hs.ids[i], p[0], p[1], p[2], p[3], a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]);
    }
    rc = snf_curr_write_sealed(pt, out); /* read back by --final: a damaged one must be refused */
    if (rc < 0) {
        goto cleanup;
    }
    const snf_metrics *ms[3] = {&msa, &mh1, &mh2};
    const char *rn[3] = {"sa_sa", "sa_hydro", "curriculum"};
    k = (size_t)sprintf(out, "row,n,energy,mass,radius,nickel\n");
    for (int q = 0; q < 3; q++) {
        k += (size_t)sprintf(out + k, "%s,%ld,%.17g,%.17g,%.17g,%.17g\n", rn[q], ms[q]->n, ms[q]->mape[0],
                             ms[q]->mape[1], ms[q]->mape[2], ms[q]->mape[3]);
    }
    rc = snf_curr_write_sealed(ps, out); /* read back by the report */
    if (rc >= 0 && opt->log) {
        fprintf(opt->log, "  %s fold %d: %ld test models, curriculum MAPE E %.1f%% M %.1f%% R %.1f%% Ni %.1f%% "
                "(semi-analytic only: %.1f%% %.1f%% %.1f%% %.1f%%)\n", v->name, fold + 1, hs.n, mh2.mape[0],
                mh2.mape[1], mh2.mape[2], mh2.mape[3], mh1.mape[0], mh1.mape[1], mh1.mape[2], mh1.mape[3]);
    }
cleanup:
    snf_fold_free(&f);
    snf_rows_free(&hv);
    snf_rows_free(&ht);
    snf_rows_free(&hs);
    snf_ckpt_free(&s1);
    snf_ckpt_free(&s2);
    free(t1);
    free(t2);
    free(out);
    free(pred1);
    free(pred2);
    return rc;
}

/* The experiment's fingerprint: the config's text, what every data file holds (snf_dataset_digest: a re-import of
 * the same runs, as every `snforge run` makes, keeps it), the program's version. */
static int snf_curr_fingerprint(const snf_curr_config *c, char *fp, size_t n)
{
    char hex[17];
    unsigned long long hc = snf_digest(SNF_DIGEST_INIT, c->text ? c->text : "", c->text ? strlen(c->text) : 0);
    SNF_CHECK(snf_dataset_digest(c->hydro_file, hex));
    size_t k = (size_t)snprintf(fp, n, "config=%016llx; hydro=%s", hc, hex);
    for (int vi = 0; vi < c->nvariants && k < n; vi++) {
        int seen = 0;
        for (int u = 0; u < vi; u++) {
            seen |= !strcmp(c->variants[u].sa_file, c->variants[vi].sa_file);
        }
        if (!seen) {
            SNF_CHECK(snf_dataset_digest(c->variants[vi].sa_file, hex));
            k += (size_t)snprintf(fp + k, n - k, "; sa:%s=%s", c->variants[vi].name, hex);
        }
    }
    if (k < n) {
        snprintf(fp + k, n - k, "; version=%s", SNF_VERSION_STRING);
    }
    return SNF_OK;
}

static int snf_curr_fp_write(void *ctx, FILE *f)
{
    fprintf(f, "%s\n", (const char *)ctx);
    return SNF_OK;
}

/* fingerprint.txt (job[0]) holding job[1] (an snf_dist_once section). */
static int snf_curr_fp_file(void *ctx)
{
    const char *const *job = ctx;
    return snf_atomic_write_text(job[0], snf_curr_fp_write, (void *)(uintptr_t)job[1]);
}

/* A folder with earlier results is continued only if they were made by this experiment (fingerprint.txt). */
static int snf_curr_check_folder(const snf_curr_config *c, const char *dir)
{
    char fp[4096], path[1200];
    SNF_CHECK(snf_curr_fingerprint(c, fp, sizeof fp));
    snprintf(path, sizeof path, "%s/fingerprint.txt", dir);
    char *stored = NULL;
    size_t len = 0;
    if (snf_curr_exists(path)) {
        SNF_CHECK(snf_text_slurp(path, "fingerprint file", &stored, &len));
        while (len > 0 && (stored[len - 1] == '\n' || stored[len - 1] == '\r')) {
            stored[--len] = '\0';
        }
        int rc = snf_fingerprint_check(dir, stored, fp, "its folds would mix two experiments: remove the folder or "
                                                         "use another -o");
        free(stored);
        return rc;
    }
    for (int vi = 0; vi < c->nvariants; vi++) {
        char vdir[1200];
        snprintf(vdir, sizeof vdir, "%s/%s", dir, c->variants[vi].name);
        if (snf_curr_exists(vdir)) {
            return snf_fingerprint_check(dir, NULL, fp, "remove the folder or use another -o");
        }
    }
    const char *job[2] = {path, fp};
    return snf_dist_once(snf_curr_fp_file, job);
}

int snf_curr_run(const snf_curr_config *c, const snf_curr_options *opt, int *stopped)
{
    *stopped = 0;
    int rc = snf_curr_mkdir(opt->out_dir);
    if (rc < 0) {
        return rc;
    }
    if ((rc = snf_curr_check_folder(c, opt->out_dir)) < 0) {
        return rc;
    }
    long newly = 0;
    for (int vi = 0; vi < c->nvariants; vi++) {
        const snf_curr_variant *v = &c->variants[vi];
        char vdir[1200];
        snprintf(vdir, sizeof vdir, "%s/%s", opt->out_dir, v->name);
        if ((rc = snf_curr_mkdir(vdir)) < 0) {
            return rc;
        }
        int missing = 0;
        for (int f = 0; f < c->folds; f++) {
            char p[1400];
            snprintf(p, sizeof p, "%s/fold%d/scores.csv", vdir, f + 1);
            missing += !snf_curr_exists(p);
        }
        if (!missing) {
            continue; /* every fold of this variant is done: nothing is recomputed */
        }
        snf_norm norm;
        snf_rows sa_tr, sa_te, hydro, hobs;
        memset(&hydro, 0, sizeof hydro);
        memset(&hobs, 0, sizeof hobs);
        const snf_rows *hydro_obs = &hydro; /* the scored hydro rows: as they are, or drawn once ([observe]) */
        rc = snf_curr_sa_rows(c, v, &norm, &sa_tr, &sa_te);
        if (rc >= 0) {
            rc = snf_rows_load(&hydro, c->hydro_file, &v->spec, &norm, NULL, 0);
        }
        if (rc >= 0) {
            rc = snf_curr_hydro_check(c->hydro_file, &hydro, &sa_tr, v->sa_file);
            if (rc >= 0) {
                rc = snf_curr_hydro_check(c->hydro_file, &hydro, &sa_te, v->sa_file);
            }
        }
        if (rc >= 0 && snf_obs_aug_active(&v->obs)) {
            rc = snf_rows_subset(&hobs, &hydro, hydro.ids, hydro.n);
            if (rc >= 0 && (rc = snf_curr_observe_rows(c, v, &norm, &hobs)) >= 0) {
                rc = snf_curr_observe_rows(c, v, &norm, &sa_te);
            }
            hydro_obs = &hobs;
        }
        if (opt->log && rc >= 0) {
            fprintf(opt->log, "snforge curriculum: %s: %ld semi-analytic training rows, %ld held out; %ld hydro "
                    "models in %d folds\n", v->name, sa_tr.n, sa_te.n, hydro.n, c->folds);
        }
        if (rc >= 0) {
            rc = snf_curr_stage1(c, vi, opt, &norm, &sa_tr, hydro_obs, vdir);
        }
        for (int f = 0; f < c->folds && rc >= 0; f++) {
            char fdir[1300], p[1400];
            snprintf(fdir, sizeof fdir, "%s/fold%d", vdir, f + 1);
            snprintf(p, sizeof p, "%s/scores.csv", fdir);
            if (snf_curr_exists(p)) {
                continue;
            }
            rc = snf_curr_mkdir(fdir);
            if (rc >= 0) {
                rc = snf_curr_fold(c, v, opt, &norm, &sa_tr, &sa_te, &hydro, hydro_obs, f, fdir);
            }
            if (rc >= 0 && opt->stop_after_folds > 0 && ++newly >= opt->stop_after_folds) {
                *stopped = 1;
                break;
            }
        }
        snf_rows_free(&sa_tr);
        snf_rows_free(&sa_te);
        snf_rows_free(&hydro);
        snf_rows_free(&hobs);
        if (rc < 0 || *stopped) {
            return rc;
        }
    }
    return snf_curr_report(c, opt);
}
