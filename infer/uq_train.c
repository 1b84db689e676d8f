/* uq_train.c: training with uncertainty (uq.h): the deep-ensemble members (Lakshminarayanan et al. 2017:
 * the same data and split, different seeds for the weights, shuffling and dropout), trained one after
 * the other or `jobs` at a time in child processes, then the /uq group: every member's best weights,
 * the training ranges, the OOD fit on the training rows' features with its validation reference, and
 * the optional variance scale fitted on the validation rows. */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snforge/core.h"

#include "snforge/nn.h"
#include "snforge/infer.h"

/* Training rows whose features fit the OOD mean and covariance (the first ones of the sorted split). */
#define SNF_UQ_OOD_FIT_ROWS 20000L
/* Rows encoded at a time while scanning a split. */
#define SNF_UQ_CHUNK 2048L

/* ---- static helpers ---- */

/* Member k's file (the model itself for one member); 1 if the name was cut short. */
static int snf_uq_member_path(char *buf, size_t n, const snf_train_config *cfg, int k)
{
    int w = cfg->uq.ensemble == 1 ? snprintf(buf, n, "%s", cfg->model_path)
                                  : snprintf(buf, n, "%s.member%d.h5", cfg->model_path, k);
    return w < 0 || (size_t)w >= n;
}

/* 1 if path is a model whose /uq group is complete and whose config text is text */
static int snf_uq_is_done(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    fclose(f);
    snf_ckpt c;
    if (snf_ckpt_read_uq(&c, path) < 0) {
        return 0;
    }
    int has = c.has_uq;
    int same = strcmp(c.config_text ? c.config_text : "", text ? text : "") == 0 && c.finished;
    snf_ckpt_free(&c);
    return has && same;
}

static int snf_uq_train_member(const snf_train_config *cfg, const snf_train_options *opt, int k,
                               snf_train_summary *sum)
{
    snf_train_config c = *cfg;
    c.seed = cfg->seed + (uint64_t)k;
    if (snf_uq_member_path(c.model_path, sizeof c.model_path, cfg, k)) {
        SNF_ERROR(SNF_EINVAL, "model path %s is too long for the member files", cfg->model_path);
    }
    if (cfg->uq.ensemble > 1 && opt->log && !opt->quiet) {
        fprintf(opt->log, "ensemble member %d/%d (seed %llu) -> %s\n", k + 1, cfg->uq.ensemble,
                (unsigned long long)c.seed, c.model_path);
    }
    /* a time budget is the whole ensemble's: each round of members gets its share */
    snf_train_options o = *opt;
    int jobs = cfg->uq.jobs < cfg->uq.ensemble ? cfg->uq.jobs : cfg->uq.ensemble;
    int rounds = (cfg->uq.ensemble + jobs - 1) / jobs;
    if (o.max_wall_s > 0) {
        o.max_wall_s /= rounds;
    }
    return snf_train_run(&c, &o, sum);
}

/* Members [k0, k1) in child processes, one each, threads split between them. */
static int snf_uq_train_parallel(const snf_train_config *cfg, const snf_train_options *opt, int k0, int k1)
{
    pid_t pids[SNF_UQ_MAX_MEMBERS];
    int n = 0, bad = 0;
    int per = opt->threads / (k1 - k0);
    fflush(NULL);
    for (int k = k0; k < k1; k++) {
        pid_t parent = getpid(), p = fork();
        if (p < 0) {
            bad = 1;
            break;
        }
        if (p == 0) {
            snf_child_tie_to_parent(parent); /* a killed train takes its members with it */
            snf_threads_setup(per > 0 ? per : 1);
            snf_train_options o = *opt;
            o.progress = NULL;
            o.threads = per > 0 ? per : 1;
            snf_train_summary s;
            int rc = snf_uq_train_member(cfg, &o, k, &s);
            if (rc < 0) {
                fprintf(stderr, "snforge train: member %d: %s\n", k, snf_error_last_message());
            }
            fflush(NULL);
            _exit(rc < 0 ? 1 : 0);
        }
        pids[n++] = p;
    }
    for (int i = 0; i < n; i++) {
        int st = 0;
        if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            bad = 1;
        }
    }
    if (bad) {
        SNF_ERROR(SNF_EINVAL, "a member of the ensemble failed to train (see its message above)");
    }
    return SNF_OK;
}

/* Scans rows[n] in chunks: training ranges (ranges != NULL), features of the first nfeat rows
 * into feat, and (mu, var, truth != NULL) the uncalibrated components and log10 truths of every row. */
static int snf_uq_scan(snf_uq_model *m, snf_data *d, const long *rows, long n, double *lo, double *hi, long nfeat,
                       float *feat, double *mu, double *var, double *truth)
{
    const int NP = SNF_DATA_NP, K = snf_uq_model_ncomp(m), D = snf_uq_model_nfeat(m);
    const size_t CL = (size_t)m->net->cfg.C_in * m->net->cfg.T;
    float *x = malloc((size_t)SNF_UQ_CHUNK * CL * sizeof *x);
    float *y = malloc((size_t)SNF_UQ_CHUNK * NP * sizeof *y);
    int rc = SNF_OK;
    if (!x || !y) {
        SNF_FAIL(SNF_ENOMEM, "out of memory scanning %ld rows", n);
    }
    for (long i0 = 0; i0 < n; i0 += SNF_UQ_CHUNK) {
        long nb = n - i0 < SNF_UQ_CHUNK ? n - i0 : SNF_UQ_CHUNK;
        rc = snf_data_load(d, &m->ck.norm, rows + i0, nb, x, y);
        if (rc < 0) {
            goto cleanup;
        }
        if (lo && (rc = snf_uq_nearest_add(m, x, nb, i0, n)) < 0) { /* the training rows: the nearest-curve test */
            goto cleanup;
        }
        for (long b = 0; b < nb; b++) {
            double p[SNF_DATA_NP];
            snf_data_decode_targets(p, y + b * NP, &m->ck.norm);
            for (int k = 0; k < NP; k++) {
                if (lo) {
                    lo[k] = fmin(lo[k], p[k]);
                    hi[k] = fmax(hi[k], p[k]);
                }
                if (truth) {
                    truth[(i0 + b) * NP + k] = log10(p[k]);
                }
            }
        }
        if (feat && i0 < nfeat) {
            long nf = nfeat - i0 < nb ? nfeat - i0 : nb;
            rc = snf_uq_model_features(m, x, nf, feat + (size_t)i0 * D);
            if (rc < 0) {
                goto cleanup;
            }
        }
        if (mu) {
            rc = snf_uq_model_components(m, x, nb, 0, mu + (size_t)i0 * NP * K, var + (size_t)i0 * NP * K, NULL);
            if (rc < 0) {
                goto cleanup;
            }
        }
    }
cleanup:
    free(x);
    free(y);
    return rc;
}

/* Builds and writes cfg->model_path with its /uq group from the finished member files. */
static int snf_uq_finish(const snf_train_config *cfg, const snf_train_options *opt)
{
    const int M = cfg->uq.ensemble, NP = SNF_DATA_NP;
    char path[1100];
    snf_uq_model m;
    snf_ckpt ck;
    memset(&ck, 0, sizeof ck);
    snf_data *d = NULL;
    long *rows = NULL, n = 0, skipped = 0;
    float *feat = NULL;
    double *mu = NULL, *var = NULL, *truth = NULL, *wm = NULL, *wv = NULL, *wt = NULL;
    snf_uq_member_path(path, sizeof path, cfg, 0);
    int rc = snf_uq_model_open(&m, path, cfg->batch);
    if (rc < 0) {
        return rc;
    }
    m.members = M;
    m.mc_samples = cfg->uq.mc_samples;
    m.ood_alpha = cfg->uq.ood_alpha;
    m.calibrated = 0;
    for (int k = 0; k < NP; k++) {
        m.var_scale[k] = 1.0;
        m.range_lo[k] = INFINITY;
        m.range_hi[k] = -INFINITY;
    }
    const size_t np = m.ck.nparams, ns = m.ck.nstats;
    free(m.member_params);
    free(m.member_stats);
    m.member_params = malloc((size_t)M * np * sizeof(float));
    m.member_stats = malloc((size_t)M * (ns ? ns : 1) * sizeof(float));
    if (!m.member_params || !m.member_stats) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %d members", M);
    }
    for (int k = 0; k < M; k++) {
        snf_uq_member_path(path, sizeof path, cfg, k);
        rc = snf_ckpt_read(&ck, path);
        if (rc < 0) {
            goto cleanup;
        }
        if (!ck.finished || ck.nparams != np || ck.nstats != ns) {
            SNF_FAIL(SNF_EINVAL, "%s: member %d is unfinished or has another network", path, k);
        }
        memcpy(m.member_params + (size_t)k * np, ck.best_params, np * sizeof(float));
        memcpy(m.member_stats + (size_t)k * ns, ck.best_stats, ns * sizeof(float));
        snf_ckpt_free(&ck);
    }

    /* the rows as training split them */
    rc = snf_data_open(&d, cfg->data_file, &m.ck.spec, cfg->block_rows);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_data_usable_rows(d, &rows, &n, &skipped);
    if (rc < 0) {
        goto cleanup;
    }
    long ntr, nva, nte, *tr, *va, *te;
    snf_train_split_rows(cfg, rows, n, &ntr, &nva, &nte, &tr, &va, &te);
    const int D = snf_uq_model_nfeat(&m), K = snf_uq_model_ncomp(&m);
    long nf = ntr < SNF_UQ_OOD_FIT_ROWS ? ntr : SNF_UQ_OOD_FIT_ROWS;
    long nmax = (nf > nva ? nf : nva) + 1;
    feat = malloc((size_t)nmax * D * sizeof *feat);
    if (!feat) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %ld feature rows", nmax);
    }
    rc = snf_uq_scan(&m, d, tr, ntr, m.range_lo, m.range_hi, nf, feat, NULL, NULL, NULL);
    if (rc < 0) {
        goto cleanup;
    }
    m.has_ranges = 1;
    if (nf >= 2) {
        rc = snf_ood_fit(&m.ood, feat, nf, D, cfg->uq.ood_shrinkage);
        if (rc < 0) {
            goto cleanup;
        }
        m.has_ood = 1;
    }
    if (nva > 0) {
        mu = malloc((size_t)nva * NP * K * sizeof *mu);
        var = malloc((size_t)nva * NP * K * sizeof *var);
        truth = malloc((size_t)nva * NP * sizeof *truth);
        wm = malloc((size_t)nva * K * sizeof *wm);
        wv = malloc((size_t)nva * K * sizeof *wv);
        wt = malloc((size_t)nva * sizeof *wt);
        if (!mu || !var || !truth || !wm || !wv || !wt) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for %ld validation rows", nva);
        }
        rc = snf_uq_scan(&m, d, va, nva, NULL, NULL, m.has_ood ? nva : 0, feat, mu, var, truth);
        if (rc < 0) {
            goto cleanup;
        }
        if (m.has_ood) {
            rc = snf_ood_set_reference(&m.ood, feat, nva);
            if (rc < 0) {
                goto cleanup;
            }
        }
        if (cfg->uq.calibrate) {
            for (int k = 0; k < NP; k++) {
                for (long i = 0; i < nva; i++) {
                    memcpy(wm + i * K, mu + ((size_t)i * NP + k) * K, (size_t)K * sizeof *wm);
                    memcpy(wv + i * K, var + ((size_t)i * NP + k) * K, (size_t)K * sizeof *wv);
                    wt[i] = truth[i * NP + k];
                }
                m.var_scale[k] = snf_calib_fit_scale(wt, wm, wv, K, nva);
            }
            m.calibrated = 1;
            if (opt->log && !opt->quiet) {
                fprintf(opt->log, "calibration on %ld validation rows: sigma x %.3f (E) %.3f (M) %.3f (R) %.3f (Ni)\n",
                        nva, m.var_scale[0], m.var_scale[1], m.var_scale[2], m.var_scale[3]);
            }
        }
    }

    /* member 0's checkpoint + /uq, written beside the target and renamed over it */
    if ((rc = snf_uq_model_write(&m, cfg->model_path)) < 0) {
        goto cleanup;
    }
    if (M > 1) {
        for (int k = 0; k < M; k++) {
            snf_uq_member_path(path, sizeof path, cfg, k);
            remove(path);
        }
    }
cleanup:
    free(feat);
    free(mu);
    free(var);
    free(truth);
    free(wm);
    free(wv);
    free(wt);
    free(rows);
    snf_data_close(d);
    snf_ckpt_free(&ck);
    snf_uq_model_free(&m);
    return rc;
}

/* ---- public API ---- */

int snf_uq_train(const snf_train_config *cfg, const snf_train_options *opt, snf_train_summary *sum)
{
    const int M = cfg->uq.ensemble;
    if (M > 1 && snf_uq_is_done(cfg->model_path, cfg->text)) {
        /* finished: report member 0's summary as snf_train_run does for a finished model */
        snf_ckpt ck;
        memset(sum, 0, sizeof *sum);
        int rc = snf_ckpt_read(&ck, cfg->model_path);
        if (rc < 0) {
            return rc;
        }
        char fp[256]; /* finished on the same data, else refused as snf_train_run refuses a single model */
        if ((rc = snf_train_fingerprint(cfg->data_file, fp, sizeof fp)) < 0 ||
            (rc = snf_train_check_fingerprint(cfg->model_path, &ck, fp)) < 0) {
            snf_ckpt_free(&ck);
            return rc;
        }
        snf_train_summary_finished(sum, &ck);
        snf_ckpt_free(&ck);
        return SNF_OK;
    }
    int jobs = cfg->uq.jobs < M ? cfg->uq.jobs : M, parallel = 0;
    if (jobs > 1 && opt->stop_after == 0) {
        parallel = 1;
        for (int k0 = 0; k0 < M; k0 += jobs) {
            int rc = snf_uq_train_parallel(cfg, opt, k0, k0 + jobs < M ? k0 + jobs : M);
            if (rc < 0) {
                return rc;
            }
        }
    }
    /* sequentially (or, after the children, to collect the summaries: finished members return at once) */
    for (int k = M - 1; k >= 0; k--) {
        snf_train_summary s;
        memset(&s, 0, sizeof s);
        int rc = snf_uq_train_member(cfg, opt, k, &s);
        if (rc < 0) {
            return rc;
        }
        if (k == 0) {
            *sum = s;
            if (parallel) { /* trained by the children just now: member 0's summary, read back from its file */
                sum->already_finished = 0;
                sum->epochs_run = s.epoch;
                sum->best_epoch = s.best_epoch;
            }
        }
        if (!s.finished) {
            return SNF_OK; /* stopped (stop_after): resumable */
        }
    }
    if (M == 1 && snf_uq_is_done(cfg->model_path, cfg->text)) {
        return SNF_OK;
    }
    return snf_uq_finish(cfg, opt);
}
