/* catalogue.c: catalogue mode (infer.h): a list of observation files answered in one run, the network on
 * batches of objects, one table row per object and parameter; an object that cannot be answered gets its
 * reason and never stops the others. */
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "snforge/infer.h"
#include "snforge/models.h"

/* answer.c's internal steps */
int snf_infer_components(snf_uq_model *m, const float *x, long n, double *mu, double *var, float *feat);
int snf_infer_prepare(const snf_uq_model *m, const char *obs_path, double t0_err_d, float *x, int *nrows,
                      snf_infer_obs *info);
int snf_infer_finish(const snf_uq_model *m, const double *mu, const double *var, int S, const float *feat,
                     const float *x_mid, const char *name, snf_uq_pred *pred);

/* ---- static helpers ---- */

/* Splits one list line into at most max fields (RFC 4180 quotes: "a, b" and "say ""x""" are one field each).
 * Each field is malloc'd into out[k] (blanks around unquoted fields trimmed). Returns the number of fields,
 * -1 for an unterminated quote, -2 out of memory. */
static int snf_cat_split(const char *s, size_t n, char **out, int max)
{
    int nf = 0;
    size_t i = 0;
    for (;;) {
        char *f = malloc(n + 1);
        if (!f) {
            return -2;
        }
        size_t k = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n) {
                    free(f);
                    return -1;
                }
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        f[k++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                f[k++] = s[i++];
            }
            while (i < n && s[i] != ',') {
                i++; /* blanks after the closing quote */
            }
        } else {
            while (i < n && s[i] != ',') {
                f[k++] = s[i++];
            }
            while (k > 0 && (f[k - 1] == ' ' || f[k - 1] == '\t')) {
                k--;
            }
        }
        f[k] = '\0';
        if (nf < max) {
            out[nf] = f;
        } else {
            free(f);
        }
        nf++;
        if (i >= n) {
            return nf;
        }
        i++; /* the comma */
    }
}

/* A CSV field: quoted when it holds a comma, quote or line break (quotes doubled). */
static void snf_cat_csv(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s == '\r' || *s == '\n' ? ' ' : *s, f);
    }
    fputc('"', f);
}

static void snf_cat_num(FILE *f, double v)
{
    if (isfinite(v)) {
        fprintf(f, "%.6g", v);
    }
}

static void snf_cat_entry_free(snf_catalogue_entry *e)
{
    free(e->name);
    free(e->path);
}

/* ---- public API ---- */

static int snf_cat_by_name(const void *a, const void *b)
{
    const snf_catalogue_entry *x = *(const snf_catalogue_entry *const *)a, *y = *(const snf_catalogue_entry *const *)b;
    int d = strcmp(x->name, y->name);
    return d ? d : (x->line > y->line) - (x->line < y->line);
}

/* SNF_EFORMAT naming both lines when two objects of the list share a name (the table's rows are told apart by it
 * alone): the repeat that comes first in the list. Sorted by (name, line), so 10,000 rows take no time. */
static int snf_cat_unique(const snf_catalogue *c, const char *list_path)
{
    const snf_catalogue_entry **s = malloc((size_t)c->n * sizeof *s);
    if (!s) {
        SNF_ERROR(SNF_ENOMEM, "out of memory reading %s", list_path);
    }
    for (long i = 0; i < c->n; i++) {
        s[i] = &c->e[i];
    }
    qsort(s, (size_t)c->n, sizeof *s, snf_cat_by_name);
    const snf_catalogue_entry *first = NULL, *again = NULL;
    for (long i = 1; i < c->n; i++) {
        if (!strcmp(s[i]->name, s[i - 1]->name) && (!again || s[i]->line < again->line)) {
            first = s[i - 1], again = s[i];
        }
    }
    if (!again) {
        free(s);
        return SNF_OK;
    }
    char name[96];
    snf_text_excerpt(name, sizeof name, again->name, strlen(again->name));
    int l1 = first->line, l2 = again->line;
    free(s);
    SNF_ERROR(SNF_EFORMAT, "%s:%d: the name '%s' is already used on line %d (expected each object's name once: "
              "the table's rows are told apart by it)", list_path, l2, name, l1);
}

int snf_catalogue_read(snf_catalogue *c, const char *list_path)
{
    memset(c, 0, sizeof *c);
    char *buf = NULL, dir[4096];
    size_t len = 0;
    SNF_CHECK(snf_text_slurp(list_path, "catalogue list", &buf, &len));
    snf_path_dir(list_path, dir, sizeof dir);
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t sl;
    int rc = SNF_OK, header = 0, has_t0 = 0;
    long cap = 0;
    while (snf_text_next(&it, &s, &sl)) {
        char *fs[4] = {NULL, NULL, NULL, NULL};
        int nf = snf_cat_split(s, sl, fs, 4);
        if (nf == -2) {
            SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", list_path);
        }
        if (nf == -1) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: a quoted field is not closed", list_path, it.line);
        }
        const int stored = nf < 4 ? nf : 4;
        if (!header) {
            int ok = (nf == 2 || nf == 3) && !strcmp(fs[0], "name") && !strcmp(fs[1], "path") &&
                     (nf == 2 || !strcmp(fs[2], "t0_err_d"));
            has_t0 = nf == 3;
            for (int k = 0; k < stored; k++) {
                free(fs[k]);
            }
            if (!ok) {
                char ex[64];
                snf_text_excerpt(ex, sizeof ex, s, sl);
                SNF_FAIL(SNF_EFORMAT, "%s:%d: bad header '%s' (expected 'name,path' or 'name,path,t0_err_d')", list_path,
                         it.line, ex);
            }
            header = 1;
            continue;
        }
        const int want = has_t0 ? 3 : 2;
        double t0 = NAN;
        const char *why = NULL;
        if (nf != want && !(has_t0 && nf == 2)) {
            why = has_t0 ? "expected 3 fields: name,path,t0_err_d" : "expected 2 fields: name,path";
        } else if (!fs[0][0] || !fs[1][0]) {
            why = "an empty name or path";
        } else if (nf == 3 && snf_csv_number(fs[2], strlen(fs[2]), &t0) != 0) {
            why = "t0_err_d is not a number (days; leave it empty for the file's own line)";
        } else if (isfinite(t0) && !(t0 >= 0 && t0 <= SNF_OBS_T0_ERR_MAX_D)) {
            why = "t0_err_d must be 0 to 100 days";
        }
        if (why) {
            for (int k = 0; k < stored; k++) {
                free(fs[k]);
            }
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %s", list_path, it.line, why);
        }
        if (c->n == cap) {
            long nc = cap ? 2 * cap : 64;
            snf_catalogue_entry *e = realloc(c->e, (size_t)nc * sizeof *e);
            if (!e) {
                for (int k = 0; k < stored; k++) {
                    free(fs[k]);
                }
                SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", list_path);
            }
            c->e = e;
            cap = nc;
        }
        snf_catalogue_entry *e = &c->e[c->n];
        e->name = fs[0];
        e->t0_err_d = t0;
        e->line = it.line;
        if (fs[1][0] == '/') {
            e->path = fs[1];
        } else {
            size_t n = strlen(dir) + strlen(fs[1]) + 2;
            e->path = malloc(n);
            if (e->path) {
                snprintf(e->path, n, "%s/%s", dir, fs[1]);
            }
            free(fs[1]);
        }
        if (nf == 3) {
            free(fs[2]);
        }
        c->n++;
        if (!e->path) {
            SNF_FAIL(SNF_ENOMEM, "out of memory reading %s", list_path);
        }
    }
    if (!header) {
        SNF_FAIL(SNF_EFORMAT, "%s: no header line 'name,path[,t0_err_d]'", list_path);
    }
    if (c->n == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: no objects after the header", list_path);
    }
    if ((rc = snf_cat_unique(c, list_path)) < 0) {
        goto cleanup;
    }
    free(buf);
    return SNF_OK;
cleanup:
    free(buf);
    snf_catalogue_free(c);
    return rc;
}

void snf_catalogue_free(snf_catalogue *c)
{
    if (!c) {
        return;
    }
    for (long i = 0; i < c->n; i++) {
        snf_cat_entry_free(&c->e[i]);
    }
    free(c->e);
    memset(c, 0, sizeof *c);
}

/* One worker of snf_catalogue_answer: a shallow copy of the caller's model with a network of its own (the
 * weights, statistics, OOD fit and nearest curves are shared and only read), and its batch buffers. */
typedef struct snf_cat_worker {
    snf_uq_model m;
    int own_net; /* m.net made here (freed here) */
    long cap;    /* rows the buffers hold: max_B + SNF_INFER_T0_NODES - 1 */
    float *x, *feat;
    double *mu, *var;
    long *first, *obj;
    int *nrows;
    int rc;            /* < 0: the model failed in this worker */
    char message[1024]; /* its message (errors are per thread) */
} snf_cat_worker;

static void snf_cat_worker_free(snf_cat_worker *w)
{
    if (w->own_net) {
        snf_net_free(w->m.net);
    }
    free(w->x);
    free(w->feat);
    free(w->mu);
    free(w->var);
    free(w->first);
    free(w->obj);
    free(w->nrows);
}

static int snf_cat_worker_init(snf_cat_worker *w, snf_uq_model *m, int own_net)
{
    memset(w, 0, sizeof *w);
    w->m = *m;
    if (own_net) {
        w->m.net = NULL;
        SNF_CHECK(snf_ckpt_net(&m->ck, m->max_B, &w->m.net));
        w->own_net = 1;
    }
    const int K = snf_uq_model_ncomp(m), D = snf_uq_model_nfeat(m), NP = SNF_DATA_NP;
    const size_t CL = (size_t)snf_data_spec_cin(&m->ck.spec) * (size_t)m->ck.spec.L;
    w->cap = (m->max_B > 1 ? m->max_B : 1) + SNF_INFER_T0_NODES - 1;
    w->x = malloc((size_t)w->cap * CL * sizeof *w->x);
    w->feat = malloc((size_t)w->cap * (D > 0 ? D : 1) * sizeof *w->feat);
    w->mu = malloc((size_t)w->cap * NP * K * sizeof *w->mu);
    w->var = malloc((size_t)w->cap * NP * K * sizeof *w->var);
    w->first = malloc((size_t)w->cap * sizeof *w->first);
    w->obj = malloc((size_t)w->cap * sizeof *w->obj);
    w->nrows = malloc((size_t)w->cap * sizeof *w->nrows);
    if (!w->x || !w->feat || !w->mu || !w->var || !w->first || !w->obj || !w->nrows) {
        return snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for a catalogue batch");
    }
    return SNF_OK;
}

/* The answers of the nobj objects encoded in w's buffers (rows rows): the network, then each object's summary. */
static int snf_cat_flush(snf_cat_worker *w, const snf_catalogue *c, snf_catalogue_result *out, long rows, long nobj)
{
    const snf_uq_model *m = &w->m;
    const size_t CL = (size_t)snf_data_spec_cin(&m->ck.spec) * (size_t)m->ck.spec.L;
    const int K = snf_uq_model_ncomp(m), D = snf_uq_model_nfeat(m), NP = SNF_DATA_NP;
    SNF_CHECK(snf_infer_components(&w->m, w->x, rows, w->mu, w->var, w->feat));
    for (long j = 0; j < nobj; j++) {
        snf_catalogue_result *r = &out[w->obj[j]];
        const long r0 = w->first[j];
        const int S = w->nrows[j];
        int e = snf_infer_finish(m, w->mu + (size_t)r0 * NP * K, w->var + (size_t)r0 * NP * K, S,
                                 w->feat + (size_t)(r0 + S / 2) * D, w->x + (size_t)(r0 + S / 2) * CL,
                                 c->e[w->obj[j]].path, &r->pred);
        if (e < 0) {
            snprintf(r->message, sizeof r->message, "%s", snf_error_last_message());
            continue;
        }
        r->ok = 1;
        size_t at = 0;
        if (r->info.n_combined > 0) {
            at += (size_t)snprintf(r->message + at, sizeof r->message - at, "%ld repeated epochs combined",
                                   r->info.n_combined);
        }
        if (r->info.t0_nodes > 1 && at < sizeof r->message) {
            at += (size_t)snprintf(r->message + at, sizeof r->message - at, "%smarginalised over t0 +- %g d",
                                   at ? "; " : "", r->info.t0_err_d);
        }
        if (r->pred.near_flag && at < sizeof r->message) { /* why an answer is flagged, when features did not */
            snprintf(r->message + at, sizeof r->message - at, "%sOOD: L %.2f dex (RMS) from the nearest training "
                     "curve", at ? "; " : "", r->pred.near_dex);
        }
    }
    return SNF_OK;
}

/* Objects [i0, i1) answered by w: encoded into its buffers until they hold max_B rows, then answered. */
static int snf_cat_range(snf_cat_worker *w, const snf_catalogue *c, snf_catalogue_result *out, long i0, long i1)
{
    const size_t CL = (size_t)snf_data_spec_cin(&w->m.ck.spec) * (size_t)w->m.ck.spec.L;
    const long B = w->cap - (SNF_INFER_T0_NODES - 1);
    long rows = 0, nobj = 0;
    for (long i = i0; i < i1; i++) {
        snf_catalogue_result *r = &out[i];
        memset(r, 0, sizeof *r);
        int S = 0;
        int e = snf_infer_prepare(&w->m, c->e[i].path, c->e[i].t0_err_d, w->x + (size_t)rows * CL, &S, &r->info);
        if (e < 0) {
            snprintf(r->message, sizeof r->message, "%s", snf_error_last_message());
        } else {
            w->obj[nobj] = i;
            w->first[nobj] = rows;
            w->nrows[nobj] = S;
            nobj++;
            rows += S;
        }
        if (rows >= B || (i + 1 == i1 && rows > 0)) {
            SNF_CHECK(snf_cat_flush(w, c, out, rows, nobj));
            rows = 0;
            nobj = 0;
        }
    }
    return SNF_OK;
}

int snf_catalogue_answer(snf_uq_model *m, const snf_catalogue *c, snf_catalogue_result *out)
{
    /* Objects in chunks of max_B, dealt to the threads as they come free; each thread runs its own network on
     * its own batches (the kernels' own threading stays off inside: OpenMP does not nest). An object's answer
     * never depends on the rows beside it (snf_infer_components), so the table is the same for every thread
     * count and chunking. */
    const long Q = m->max_B > 1 ? m->max_B : 1, nchunk = (c->n + Q - 1) / Q;
    int W = snf_threads_max();
    if (W > nchunk) {
        W = (int)nchunk;
    }
    if (W < 1) {
        W = 1;
    }
    snf_cat_worker *w = calloc((size_t)W, sizeof *w);
    int rc = SNF_OK, made = 0;
    if (!w) {
        SNF_FAIL(SNF_ENOMEM, "out of memory answering %ld objects", c->n);
    }
    for (; made < W; made++) {
        rc = snf_cat_worker_init(&w[made], m, made > 0);
        if (rc < 0) {
            made++;
            goto cleanup;
        }
    }
    if (W == 1) {
        rc = snf_cat_range(&w[0], c, out, 0, c->n);
        goto cleanup;
    }
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(W) schedule(dynamic, 1)
#endif
    for (long k = 0; k < nchunk; k++) {
#ifdef _OPENMP
        snf_cat_worker *me = &w[omp_get_thread_num()];
#else
        snf_cat_worker *me = &w[0];
#endif
        int stop;
#ifdef _OPENMP
#pragma omp atomic read
#endif
        stop = failed;
        if (stop || me->rc < 0) {
            continue;
        }
        const long i1 = (k + 1) * Q < c->n ? (k + 1) * Q : c->n;
        me->rc = snf_cat_range(me, c, out, k * Q, i1);
        if (me->rc < 0) {
            snprintf(me->message, sizeof me->message, "%s", snf_error_last_message());
#ifdef _OPENMP
#pragma omp atomic write
#endif
            failed = 1;
        }
    }
    for (int k = 0; k < W; k++) {
        if (w[k].rc < 0) {
            rc = snf_error_report(w[k].rc, __FILE__, __LINE__, __func__, "%s", w[k].message);
            break;
        }
    }
cleanup:
    for (int k = 0; w && k < made; k++) {
        snf_cat_worker_free(&w[k]);
    }
    free(w);
    return rc;
}

int snf_catalogue_write_csv(FILE *f, const snf_uq_model *m, const snf_catalogue *c, const snf_catalogue_result *r)
{
    fputs("name,parameter,mean,std,lo68,hi68,lo95,hi95,unit,ood_score,ood_p_value,ood_flag,outside_range,status,"
          "message\n", f);
    for (long i = 0; i < c->n; i++) {
        const snf_catalogue_result *o = &r[i];
        for (int k = 0; k < SNF_DATA_NP; k++) {
            const snf_uq_param *q = &o->pred.p[k];
            snf_cat_csv(f, c->e[i].name);
            fprintf(f, ",%s,", snf_param_name(k));
            if (o->ok) {
                snf_cat_num(f, q->mean);
                fputc(',', f);
                snf_cat_num(f, q->std);
                fputc(',', f);
                snf_cat_num(f, q->lo68);
                fputc(',', f);
                snf_cat_num(f, q->hi68);
                fputc(',', f);
                snf_cat_num(f, q->lo95);
                fputc(',', f);
                snf_cat_num(f, q->hi95);
            } else {
                fputs(",,,,,", f);
            }
            fprintf(f, ",%s,", snf_param_unit(k));
            if (o->ok && m->has_ood) {
                snf_cat_num(f, o->pred.ood_d2);
                fputc(',', f);
                snf_cat_num(f, o->pred.ood_p);
                fprintf(f, ",%s", o->pred.ood_flag ? "true" : "false");
            } else {
                fputs(o->ok ? ",,unavailable" : ",,", f);
            }
            fprintf(f, ",%s,%s,", o->ok ? (o->pred.outside[k] ? "true" : "false") : "", o->ok ? "ok" : "error");
            snf_cat_csv(f, o->message);
            fputc('\n', f);
        }
    }
    return ferror(f) ? SNF_EIO : SNF_OK; /* without a word: the caller names the file and errno's reason */
}
