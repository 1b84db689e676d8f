/* train_state.c: the pieces of a training run shared by snf_train_run (train.c), snf_transfer_run
 * (transfer.c) and snf_uq_train (uq_train.c), declared in train_internal.h: the probe of an existing model
 * file, the resumed state, the checkpoint's views, the best weights and history record of an epoch, and an eval
 * batch decoded into physical units. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/nn.h"
#include "snforge/version.h"
#include "train_internal.h"

int snf_train_fingerprint(const char *data_file, char *fp, size_t n)
{
    char hex[17];
    int rc = snf_dataset_digest(data_file, hex);
    if (rc < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", snf_error_last_message()); /* SNF_ERROR rewrites the message buffer */
        SNF_ERROR(rc, "cannot read data file %s: %s", data_file, why);
    }
    snprintf(fp, n, "data=%s; version=%s", hex, SNF_VERSION_STRING);
    return SNF_OK;
}

int snf_train_check_fingerprint(const char *path, const snf_ckpt *old, const char *now)
{
    if (old->finished) {
        /* a finished model is "nothing to do" only for the data it was trained on (the version may differ) */
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)strcspn(now, ";"), now);
        if (old->fingerprint[0] == '\0' || strstr(old->fingerprint, item) != NULL) {
            return SNF_OK;
        }
    }
    return snf_fingerprint_check(path, old->fingerprint, now,
                                 "it would continue on other data or another program version: remove it or "
                                 "choose another output (-o)");
}

/* The first difference of two lines a[0..na) and b[0..nb) widened to whole words: [*s, *ea) of a and [*s, *eb) of b
 * from the start of the differing `key = value` pair (its key when the difference is in the value) to the end of the
 * differing word; a line that is empty shows the other whole. */
static void snf_train_diff_pair(const char *a, int na, const char *b, int nb, int *s, int *ea, int *eb)
{
    int p = 0;
    while (p < na && p < nb && a[p] == b[p]) {
        p++;
    }
    if (na == 0 || nb == 0) {
        *s = 0, *ea = na, *eb = nb;
        return;
    }
    int st = p;
    while (st > 0 && a[st - 1] != ' ') {
        st--;
    }
    if (st >= 3 && a[st - 1] == ' ' && a[st - 2] == '=' && a[st - 3] == ' ') { /* a value: back to its key */
        st -= 3;
        while (st > 0 && a[st - 1] != ' ') {
            st--;
        }
    }
    int e = p;
    while (e < na && a[e] != ' ') {
        e++;
    }
    *ea = e;
    e = p;
    while (e < nb && b[e] != ' ') {
        e++;
    }
    *eb = e;
    *s = st;
}

/* A settings line l[0..n) (n <= 100) as a message shows it: "key = VALUE" where VALUE is a number the settings
 * text holds in %.17g (every digit, so the text compares exactly) shows it in its shortest form that reads back as
 * the same double (0.20000000000000001 as 0.2); any other line as it is. */
static void snf_train_show_line(const char *l, int n, char *out, size_t size)
{
    snprintf(out, size, "%.*s", n, l);
    const char *eq = strstr(out, " = ");
    if (!eq) {
        return;
    }
    const char *v = eq + 3;
    char *end, full[40];
    double x = strtod(v, &end);
    if (end == v || *end != '\0' || !isfinite(x)) {
        return;
    }
    snprintf(full, sizeof full, "%.17g", x);
    if (strcmp(full, v) != 0) {
        return; /* not a %.17g text: shown as written */
    }
    for (int p = 1; p <= 17; p++) {
        char t[40];
        snprintf(t, sizeof t, "%.*g", p, x);
        if (strtod(t, NULL) == x) {
            snprintf(out + (v - out), size - (size_t)(v - out), "%s", t);
            return;
        }
    }
}

int snf_train_probe_old(snf_ckpt *old, int *have_old, const char *path, const char *text, const char *advice,
                        const char *other)
{
    FILE *probe = fopen(path, "rb");
    *have_old = probe != NULL;
    if (!probe) {
        return SNF_OK;
    }
    fclose(probe);
    if (snf_ckpt_read(old, path) < 0) {
        SNF_ERROR(SNF_EINVAL, "%s exists and is not a readable snforge model (%s); %s", path,
                  snf_error_last_message(), advice);
    }
    const char *a = old->config_text ? old->config_text : "", *b = text ? text : "";
    if (strcmp(a, b) != 0) {
        /* name what changed: the first line that differs, stored -> now */
        int line = 1;
        const char *la = a, *lb = b;
        while (*la && *lb) {
            size_t na = strcspn(la, "\n"), nb = strcspn(lb, "\n");
            if (na != nb || strncmp(la, lb, na) != 0) {
                break;
            }
            la += na + (la[na] == '\n');
            lb += nb + (lb[nb] == '\n');
            line++;
        }
        int na = (int)strcspn(la, "\n"), nb = (int)strcspn(lb, "\n");
        if (na <= 100 && nb <= 100) {
            char sa[128], sb[128];
            snf_train_show_line(la, na, sa, sizeof sa);
            snf_train_show_line(lb, nb, sb, sizeof sb);
            SNF_ERROR(SNF_EINVAL, "%s %s (first difference, line %d of its settings: '%s' -> '%s')", path, other,
                      line, sa, sb);
        }
        /* a long line (a recipe's `key = value key = value ...`): the pair that differs, stored -> now */
        int s = 0, ea, eb;
        snf_train_diff_pair(la, na, lb, nb, &s, &ea, &eb);
        SNF_ERROR(SNF_EINVAL, "%s %s (first difference, line %d of its settings: '%s%.*s' -> '%s%.*s')", path, other,
                  line, s > 0 ? "... " : "", ea - s > 300 ? 300 : ea - s, la + s, s > 0 ? "... " : "",
                  eb - s > 300 ? 300 : eb - s, lb + s);
    }
    return SNF_OK;
}

void snf_train_summary_finished(snf_train_summary *sum, const snf_ckpt *ck)
{
    sum->already_finished = 1;
    sum->finished = 1;
    sum->epoch = ck->epoch;
    sum->best_epoch = ck->es.best_epoch;
    sum->best_val_loss = ck->es.best;
    sum->n_train = ck->n_train;
    sum->n_val = ck->n_val;
    sum->n_test = ck->n_test;
    sum->test = ck->test;
    sum->test_baseline = ck->test_baseline;
    snprintf(sum->stop_reason, sizeof sum->stop_reason, "%s", ck->stop_reason);
}

long snf_train_resume(snf_net *net, float *best_p, float *best_s, snf_epoch_record *hist, long max_hist,
                      const snf_ckpt *old)
{
    memcpy(net->params, old->params, net->nparams * sizeof(float));
    memcpy(net->adam_m, old->adam_m, net->nparams * sizeof(float));
    memcpy(net->adam_v, old->adam_v, net->nparams * sizeof(float));
    memcpy(net->bn_stats, old->bn_stats, net->nstats * sizeof(float));
    memcpy(best_p, old->best_params, net->nparams * sizeof(float));
    memcpy(best_s, old->best_stats, net->nstats * sizeof(float));
    net->adam_t = old->adam_t;
    net->step = old->step;
    long n_hist = old->n_hist < max_hist ? old->n_hist : max_hist;
    memcpy(hist, old->hist, (size_t)n_hist * sizeof *hist);
    return n_hist;
}

void snf_train_ckpt_bind(snf_ckpt *ck, const snf_net *net, const snf_net_config *ncfg, const snf_data_spec *spec,
                         const snf_norm *norm, float *best_p, float *best_s, snf_epoch_record *hist, uint64_t seed,
                         int threads)
{
    memset(ck, 0, sizeof *ck);
    ck->net = *ncfg;
    ck->spec = *spec;
    ck->norm = *norm;
    ck->ntensors = net->ntensors;
    memcpy(ck->sizes, net->sizes, sizeof ck->sizes);
    ck->nparams = net->nparams;
    ck->nstats = net->nstats;
    ck->params = net->params;
    ck->adam_m = net->adam_m;
    ck->adam_v = net->adam_v;
    ck->bn_stats = net->bn_stats;
    ck->best_params = best_p;
    ck->best_stats = best_s;
    ck->seed = seed;
    ck->hist = hist;
    ck->threads = threads;
}

void snf_train_ckpt_capture(snf_ckpt *ck, const snf_net *net, long epoch, float lr, const snf_plateau *plateau,
                            const snf_earlystop *es, long n_hist)
{
    ck->epoch = epoch;
    ck->lr = lr;
    ck->plateau = *plateau;
    ck->es = *es;
    ck->adam_t = net->adam_t;
    ck->step = net->step;
    memcpy(ck->lr_mult, net->lr_mult, sizeof ck->lr_mult);
    ck->n_hist = n_hist;
}

int snf_train_track_best(snf_earlystop *es, double monitor, long epoch, const snf_net *net, const float *p,
                         const float *s, float *best_p, float *best_s)
{
    int stop = snf_earlystop_update(es, (float)monitor, epoch);
    if (es->best_epoch == epoch) {
        memcpy(best_p, p, net->nparams * sizeof *best_p);
        memcpy(best_s, s, net->nstats * sizeof *best_s);
    }
    return stop;
}

void snf_train_record(snf_epoch_record *h, long epoch, double train_loss, double val_loss, float lr,
                      const snf_metrics *vm)
{
    memset(h, 0, sizeof *h);
    h->epoch = (double)epoch;
    h->train_loss = train_loss;
    h->val_loss = val_loss;
    h->lr = lr;
    for (int p = 0; p < SNF_DATA_NP; p++) {
        h->val_mape[p] = vm->mape[p];
    }
}

void snf_train_decode_batch(double *truth, double *pred, const float *y, const float *p, size_t stride, long k0,
                            int nb, const snf_norm *norm)
{
    for (int k = 0; k < nb; k++) {
        if (truth) {
            snf_data_decode_targets(truth + (size_t)(k0 + k) * SNF_DATA_NP, y + (size_t)k * SNF_DATA_NP, norm);
        }
        if (pred) {
            snf_data_decode_targets(pred + (size_t)(k0 + k) * SNF_DATA_NP, p + (size_t)k * stride, norm);
        }
    }
}

void snf_train_restore_best(snf_net *net, const float *best_p, const float *best_s)
{
    memcpy(net->params, best_p, net->nparams * sizeof *best_p);
    memcpy(net->bn_stats, best_s, net->nstats * sizeof *best_s);
}
