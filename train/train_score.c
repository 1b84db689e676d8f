/* train_score.c: what snf_train_run (train.c) measures besides the steps: the eval-mode pass over a row set
 * with the network's metrics and predict-the-training-mean's (validation each epoch, test at the end), and the
 * timing probe of one training step that sizes a step schedule to a time budget. Declared in train_internal.h. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#include "train_internal.h"

double snf_train_budget_now(const snf_train_options *opt)
{
    if (!opt->budget_cpu) {
        return snf_clock_s();
    }
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ((double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec) / (double)(opt->threads > 0 ? opt->threads : 1);
}

/* Eval-mode pass over a batcher: the mean standardised MSE (*loss) and physical truth / predictions
 * [n][4] (either may be NULL). */
static int snf_eval_set(snf_net *net, snf_batcher *b, const snf_norm *norm, float *x, float *y, double *loss,
                        double *truth, double *pred)
{
    int rc = snf_batcher_start(b, 0);
    double se = 0;
    long n = 0;
    int nb;
    while ((rc = snf_batcher_next(b, x, y, NULL, &nb)) > 0) {
        float l = 0;
        rc = snf_net_forward(net, x, y, nb, 0, &l);
        if (rc < 0) {
            return rc;
        }
        se += (double)l * nb;
        snf_train_decode_batch(truth, pred, y, snf_net_pred(net), (size_t)net->cfg.n_out, n, nb, norm);
        n += nb;
    }
    if (rc < 0) {
        return rc;
    }
    *loss = n > 0 ? se / (double)n : NAN;
    return SNF_OK;
}

int snf_train_score_pred(snf_net *net, snf_batcher *b, long n, const snf_norm *norm, float *x, float *y,
                         double *loss, snf_metrics *m, snf_metrics *base, double *pred_out)
{
    memset(m, 0, sizeof *m);
    if (base) {
        memset(base, 0, sizeof *base);
    }
    *loss = NAN;
    if (n == 0) {
        return SNF_OK;
    }
    int rc = SNF_OK;
    double *truth = malloc((size_t)n * SNF_DATA_NP * sizeof *truth);
    double *pred = pred_out ? pred_out : malloc((size_t)n * SNF_DATA_NP * sizeof *pred);
    if (!truth || !pred) {
        SNF_FAIL(SNF_ENOMEM, "out of memory scoring %ld rows", n);
    }
    rc = snf_eval_set(net, b, norm, x, y, loss, truth, pred);
    if (rc < 0) {
        goto cleanup;
    }
    rc = snf_metrics_compute(m, truth, pred, n);
    if (rc < 0 || !base) {
        goto cleanup;
    }
    rc = snf_metrics_baseline(base, truth, n, norm);
cleanup:
    free(truth);
    if (pred != pred_out) {
        free(pred);
    }
    return rc;
}

int snf_train_score(snf_net *net, snf_batcher *b, long n, const snf_norm *norm, float *x, float *y,
                     double *loss, snf_metrics *m, snf_metrics *base)
{
    return snf_train_score_pred(net, b, n, norm, x, y, loss, m, base, NULL);
}

int snf_train_probe_step(snf_net *net, snf_batcher *b, float *x, float *y, float *gather,
                         const snf_train_options *opt, double *t_step, double *t_eval)
{
    int rank, nranks;
    snf_dist_info(&rank, &nranks);
    float *keep = malloc((net->nstats ? net->nstats : 1) * sizeof *keep);
    if (!keep) {
        SNF_ERROR(SNF_ENOMEM, "out of memory timing a training step");
    }
    memcpy(keep, net->bn_stats, net->nstats * sizeof *keep);
    uint64_t step = net->step;
    int nb = 0, rc = snf_batcher_start(b, 0);
    if (rc >= 0) {
        rc = snf_batcher_next(b, x, y, NULL, &nb);
    }
    double ts = 0, tv = 0;
    int shard = nranks > 1 && nb >= nranks;
    int lo = shard ? (int)((long)nb * rank / nranks) : 0, hi = shard ? (int)((long)nb * (rank + 1) / nranks) : nb;
    const size_t CL = (size_t)net->cfg.C_in * net->cfg.T;
    for (int i = 0; rc > 0 && i < 4; i++) {
        double a = snf_train_budget_now(opt);
        snf_net_zero_grad(net);
        snf_bn_set_reduce(shard ? snf_dist_bn_reduce : NULL, NULL);
        rc = snf_net_forward(net, x + lo * CL, y + (size_t)lo * SNF_DATA_NP, hi - lo, 1, NULL);
        rc = rc < 0 ? rc : snf_net_backward(net);
        snf_bn_set_reduce(NULL, NULL);
        if (rc >= 0 && shard) {
            snf_dist_sum_floats(net->grads, net->nparams, gather);
        }
        rc = rc < 0 ? rc : 1;
        ts += i > 0 ? snf_train_budget_now(opt) - a : 0;
    }
    for (int i = 0; rc > 0 && i < 4; i++) {
        double a = snf_train_budget_now(opt);
        rc = snf_net_forward(net, x, NULL, nb, 0, NULL);
        rc = rc < 0 ? rc : 1;
        tv += i > 0 ? snf_train_budget_now(opt) - a : 0;
    }
    memcpy(net->bn_stats, keep, net->nstats * sizeof *keep);
    net->step = step;
    snf_net_zero_grad(net);
    free(keep);
    if (rc < 0) {
        return rc;
    }
    int rs = snf_batcher_start(b, 0);
    if (rs < 0) {
        return rs;
    }
    *t_step = ts / 3.0;
    *t_eval = tv / 3.0;
    return SNF_OK;
}
