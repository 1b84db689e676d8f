/* data.c: dataset files -> encoded tensors, read through h5.h in row blocks; the resident rows (snf_rows)
 * read from them; and the batcher that serves training batches from resident rows (read from the file once,
 * or the caller's), by streaming chunks of a file (the same batches as resident), or as a mix of two. Resampling onto the model grid is a plan computed once per file:
 * sample j interpolates linearly between file times i0[j] and i0[j]+1 with weight w[j]; a grid time
 * outside the file's time range, or next to a NaN, gives NaN (no extrapolation, no bridging of gaps). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/train.h"
#include "snforge/grids.h"
#include "snforge/models.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "train_internal.h"

/* ---- types ---- */

struct snf_data {
    snf_dataset *ds;
    char path[1024], source[256], created[64];
    long N;
    int P, T;
    snf_data_spec spec;
    long block_rows;
    int *i0;    /* [L] left file sample, -1 outside the file's time range */
    double *w;  /* [L] weight of the right sample */
    double *pbuf; /* [block][P] */
    float *lbuf, *vbuf; /* [block][T] */
    int *sbuf;  /* [block] */
    float *lg, *vg; /* [L] one row on the model grid */
    double t_first, t_last; /* the file's /time range (days) */
    long row0;      /* file row of the current block's first row */
};

enum { SNF_BATCH_FILE = 0, SNF_BATCH_ROWS = 1, SNF_BATCH_MIX = 2 };

struct snf_batcher {
    int kind;         /* SNF_BATCH_*: a dataset file (resident or streamed), resident rows, a mix of two */
    snf_data *d;      /* file: the open dataset and ... */
    snf_norm norm;    /* ... the encoding */
    long *rows, n;    /* file, streamed: the file rows; n: the rows of an epoch (mix: first's) */
    int B, shuffle, resident, cycle, last_nb, last_first;
    size_t CL;
    long cap;         /* rows encoded at a time */
    uint64_t seed;
    snf_rows buf;     /* resident: every row (read from the file, owned; or the caller's, a view); streamed: the
                       * chunk (owned, cap rows; buf.n = the rows held, buf.ids their file rows) */
    long *order;      /* [n] positions into the rows for this epoch */
    long pos;         /* next position of order */
    long chunk0;      /* streamed: the position of order of buf's first row */
    snf_batcher *first, *extra; /* mix: its two batchers (owned) */
};

typedef struct snf_rowpos {
    long row, pos;
} snf_rowpos;

/* ---- static helpers ---- */

static int snf_rowpos_cmp(const void *a, const void *b)
{
    const snf_rowpos *x = a, *y = b;
    if (x->row != y->row) {
        return x->row < y->row ? -1 : 1;
    }
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

static int snf_data_read_block(snf_data *d, long row0, long n)
{
    snf_dataset_rows r = {.params = d->pbuf, .log_lbol = d->lbuf, .vph = d->vbuf, .status = d->sbuf};
    d->row0 = row0;
    return snf_dataset_read_rows(d->ds, row0, n, &r);
}

static void snf_resample(float *out, const float *src, const int *i0, const double *w, int L)
{
    for (int j = 0; j < L; j++) {
        if (i0[j] < 0) {
            out[j] = NAN;
        } else if (w[j] == 0.0) {
            out[j] = src[i0[j]];
        } else {
            double a = src[i0[j]], b = src[i0[j] + 1];
            out[j] = (isfinite(a) && isfinite(b)) ? (float)(a + w[j] * (b - a)) : NAN;
        }
    }
}

/* Row k of the current block onto the model grid (d->lg, d->vg). */
static void snf_data_grid_row(snf_data *d, long k)
{
    const int L = d->spec.L, T = d->T;
    snf_resample(d->lg, d->lbuf + (size_t)k * T, d->i0, d->w, L);
    snf_resample(d->vg, d->vbuf + (size_t)k * T, d->i0, d->w, L);
}

static int snf_row_usable(const snf_data *d, long k)
{
    if (d->sbuf[k] < 0) {
        return 0;
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        double v = d->pbuf[(size_t)k * d->P + p];
        if (!(isfinite(v) && v > 0)) {
            return 0;
        }
    }
    return 1;
}

/* ---- dataset files ---- */

int snf_data_open(snf_data **out, const char *path, const snf_data_spec *s, long block_rows)
{
    int rc = SNF_OK;
    double *t = NULL;
    *out = NULL;
    if (block_rows < 1 || s->L < 2 || !(s->t_end_d > s->t_start_d)) {
        SNF_ERROR(SNF_EINVAL, "bad data options (block_rows %ld, length %d, days %g-%g)", block_rows, s->L,
                  s->t_start_d, s->t_end_d);
    }
    FILE *probe = fopen(path, "rb"); /* a missing file is the user's input, not an HDF5 failure */
    if (!probe) {
        SNF_ERROR(SNF_EINVAL, "cannot read data file %s: %s", path, strerror(errno));
    }
    fclose(probe);
    snf_data *d = calloc(1, sizeof *d);
    if (!d) {
        SNF_ERROR(SNF_ENOMEM, "out of memory opening %s", path);
    }
    snprintf(d->path, sizeof d->path, "%s", path);
    d->spec = *s;
    rc = snf_dataset_open(&d->ds, path, 0);
    if (rc < 0) {
        goto cleanup;
    }
    if ((rc = snf_dataset_require_complete(d->ds)) < 0) {
        goto cleanup;
    }
    snf_dataset_dims(d->ds, &d->N, &d->P, &d->T);
    if (d->P < SNF_DATA_NP || d->T < 2) {
        SNF_FAIL(SNF_EFORMAT, "%s: /params has %d columns and /time %d samples (need >= 4 and >= 2)", path,
                 d->P, d->T);
    }
    {
        /* The targets are the first four columns: their names must say so (interfaces.md). */
        char names[1024];
        if ((rc = snf_dataset_attr_string(d->ds, "/params", "names", names, sizeof names)) < 0) {
            goto cleanup;
        }
        const char *p = names;
        for (int k = 0; k < SNF_DATA_NP; k++) {
            size_t l = strlen(snf_param_name(k));
            if (strncmp(p, snf_param_name(k), l) != 0 || (p[l] != ',' && p[l] != '\0')) {
                SNF_FAIL(SNF_EFORMAT, "%s: /params names '%s': expected energy, mass, radius, nickel first", path,
                         names);
            }
            p += l + (p[l] == ',');
        }
    }
    if (snf_dataset_attr_string(d->ds, NULL, "source", d->source, sizeof d->source) < 0) {
        d->source[0] = '\0';
    }
    if (snf_dataset_attr_string(d->ds, NULL, "created", d->created, sizeof d->created) < 0) {
        d->created[0] = '\0';
    }
    snf_error_clear();
    d->block_rows = block_rows < d->N ? block_rows : (d->N > 0 ? d->N : 1);
    const size_t B = (size_t)d->block_rows, L = (size_t)s->L, T = (size_t)d->T;
    t = malloc(T * sizeof *t);
    d->i0 = malloc(L * sizeof *d->i0);
    d->w = malloc(L * sizeof *d->w);
    d->pbuf = malloc(B * (size_t)d->P * sizeof *d->pbuf);
    d->lbuf = malloc(B * T * sizeof *d->lbuf);
    d->vbuf = malloc(B * T * sizeof *d->vbuf);
    d->sbuf = malloc(B * sizeof *d->sbuf);
    d->lg = malloc(L * sizeof *d->lg);
    d->vg = malloc(L * sizeof *d->vg);
    if (!t || !d->i0 || !d->w || !d->pbuf || !d->lbuf || !d->vbuf || !d->sbuf || !d->lg || !d->vg) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %s (block of %ld rows)", path, d->block_rows);
    }
    rc = snf_dataset_read_time(d->ds, t);
    if (rc < 0) {
        goto cleanup;
    }
    int inside = 0;
    for (int j = 0; j < s->L; j++) {
        double tj = snf_data_spec_time(s, j);
        d->i0[j] = -1;
        d->w[j] = 0.0;
        if (tj < t[0] || tj > t[T - 1]) {
            continue;
        }
        int lo = 0, hi = (int)T - 1; /* t[lo] <= tj <= t[hi] */
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (t[mid] <= tj) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        if (t[lo] == tj || lo == (int)T - 1) {
            d->i0[j] = lo;
        } else if (t[hi] == tj) {
            d->i0[j] = hi;
        } else {
            d->i0[j] = lo;
            d->w[j] = (tj - t[lo]) / (t[hi] - t[lo]);
        }
        inside++;
    }
    d->t_first = t[0];
    d->t_last = t[T - 1];
    if (inside == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s: its time grid (days %g-%g) does not overlap the model grid (days %g-%g)", path,
                 t[0], t[T - 1], s->t_start_d, s->t_end_d);
    }
    free(t);
    *out = d;
    return SNF_OK;
cleanup:
    free(t);
    snf_data_close(d);
    return rc;
}

long snf_data_nrows(const snf_data *d) { return d->N; }

int snf_data_grid_outside(const snf_data *d, double *first, double *last, int *below)
{
    int out = 0, lo = 0;
    for (int j = 0; j < d->spec.L; j++) {
        out += d->i0[j] < 0;
        lo += d->i0[j] < 0 && snf_data_spec_time(&d->spec, j) < d->t_first;
    }
    *first = d->t_first;
    *last = d->t_last;
    *below = lo;
    return out;
}
const char *snf_data_path(const snf_data *d) { return d->path; }
const char *snf_data_source(const snf_data *d) { return d->source; }
const char *snf_data_created(const snf_data *d) { return d->created; }

int snf_data_usable_rows(snf_data *d, long **rows, long *n, long *n_skipped)
{
    *rows = NULL;
    *n = 0;
    *n_skipped = 0;
    long *r = malloc((size_t)(d->N > 0 ? d->N : 1) * sizeof *r);
    if (!r) {
        SNF_ERROR(SNF_ENOMEM, "out of memory listing the rows of %s", d->path);
    }
    long m = 0;
    for (long b0 = 0; b0 < d->N; b0 += d->block_rows) {
        long nb = d->N - b0 < d->block_rows ? d->N - b0 : d->block_rows;
        int rc = snf_data_read_block(d, b0, nb);
        if (rc < 0) {
            free(r);
            return rc;
        }
        for (long k = 0; k < nb; k++) {
            if (snf_row_usable(d, k)) {
                r[m++] = b0 + k;
            }
        }
    }
    *rows = r;
    *n = m;
    *n_skipped = d->N - m;
    return SNF_OK;
}

/* Calls fn(d, k, pos, ctx) for each of rows[n] (k: index in the current block), in file order. */
static int snf_data_each(snf_data *d, const long *rows, long n,
                         int (*fn)(snf_data *d, long k, long pos, void *ctx), void *ctx)
{
    if (n == 0) {
        return SNF_OK;
    }
    snf_rowpos *rp = malloc((size_t)n * sizeof *rp);
    if (!rp) {
        SNF_ERROR(SNF_ENOMEM, "out of memory reading %ld rows of %s", n, d->path);
    }
    for (long i = 0; i < n; i++) {
        if (rows[i] < 0 || rows[i] >= d->N) {
            free(rp);
            SNF_ERROR(SNF_EINVAL, "row %ld is outside %s (%ld rows)", rows[i], d->path, d->N);
        }
        rp[i].row = rows[i];
        rp[i].pos = i;
    }
    qsort(rp, (size_t)n, sizeof *rp, snf_rowpos_cmp);
    int rc = SNF_OK;
    long i = 0;
    while (i < n) {
        long b0 = (rp[i].row / d->block_rows) * d->block_rows; /* the block holding the next row */
        long nb = d->N - b0 < d->block_rows ? d->N - b0 : d->block_rows;
        rc = snf_data_read_block(d, b0, nb);
        if (rc < 0) {
            break;
        }
        for (; i < n && rp[i].row < b0 + nb; i++) {
            rc = fn(d, rp[i].row - b0, rp[i].pos, ctx);
            if (rc < 0) {
                break;
            }
        }
        if (rc < 0) {
            break;
        }
    }
    free(rp);
    return rc;
}

typedef struct snf_fit_acc {
    double shift[SNF_SERIES_COUNT], s1[SNF_SERIES_COUNT], s2[SNF_SERIES_COUNT];
    long cnt[SNF_SERIES_COUNT];
    double ys1[SNF_DATA_NP], ys2[SNF_DATA_NP];
    long ny;
} snf_fit_acc;

static int snf_fit_row(snf_data *d, long k, long pos, void *ctx)
{
    (void)pos;
    snf_fit_acc *a = ctx;
    snf_data_grid_row(d, k);
    const float *g[SNF_SERIES_COUNT] = {d->lg, d->vg};
    for (int s = 0; s < SNF_SERIES_COUNT; s++) {
        for (int j = 0; j < d->spec.L; j++) {
            if (!isfinite(g[s][j])) {
                continue;
            }
            if (a->cnt[s] == 0) {
                a->shift[s] = g[s][j]; /* shifted sums: no cancellation for log L ~ 41 */
            }
            double x = (double)g[s][j] - a->shift[s];
            a->s1[s] += x;
            a->s2[s] += x * x;
            a->cnt[s]++;
        }
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        double v = d->pbuf[(size_t)k * d->P + p];
        if (!(isfinite(v) && v > 0)) {
            SNF_ERROR(SNF_EINVAL, "%s row %ld: parameter %d is %g (must be finite and > 0)", d->path,
                      k, p, v);
        }
        double y = log10(v);
        a->ys1[p] += y;
        a->ys2[p] += y * y;
    }
    a->ny++;
    return SNF_OK;
}

int snf_data_fit_norm(snf_data *d, const long *rows, long n, snf_norm *norm)
{
    snf_fit_acc a;
    memset(&a, 0, sizeof a);
    memset(norm, 0, sizeof *norm);
    int rc = snf_data_each(d, rows, n, snf_fit_row, &a);
    if (rc < 0) {
        return rc;
    }
    if (a.ny < 2) {
        SNF_ERROR(SNF_EINVAL, "%s: %ld usable training rows (need at least 2)", d->path, a.ny);
    }
    int kinds[SNF_SERIES_COUNT];
    int ns = snf_data_spec_series(&d->spec, kinds);
    for (int s = 0; s < SNF_SERIES_COUNT; s++) {
        norm->x_mean[s] = 0.0;
        norm->x_std[s] = 1.0;
        if (a.cnt[s] < 2) {
            continue;
        }
        double m = a.s1[s] / (double)a.cnt[s];
        double var = a.s2[s] / (double)a.cnt[s] - m * m;
        norm->x_mean[s] = a.shift[s] + m;
        norm->x_std[s] = var > 0 ? sqrt(var) : 0.0;
    }
    for (int k = 0; k < ns; k++) {
        int s = kinds[k];
        if (a.cnt[s] < 2 || !(norm->x_std[s] > 0)) {
            SNF_ERROR(SNF_EINVAL, "%s: the %s series has %ld finite values on days %g-%g in the training rows "
                      "and no spread: cannot standardise it", d->path, s == 0 ? "log_lbol" : "vph", a.cnt[s],
                      d->spec.t_start_d, d->spec.t_end_d);
        }
    }
    for (int p = 0; p < SNF_DATA_NP; p++) {
        double m = a.ys1[p] / (double)a.ny;
        double var = a.ys2[p] / (double)a.ny - m * m;
        norm->y_mean[p] = m;
        /* A fixed parameter (no spread) keeps std 1: its standardised target is 0. */
        norm->y_std[p] = var > 1e-24 ? sqrt(var) : 1.0;
    }
    return SNF_OK;
}

typedef struct snf_load_ctx {
    const snf_norm *norm;
    float *x, *y;
    int CL;
} snf_load_ctx;

static int snf_load_row(snf_data *d, long k, long pos, void *ctx)
{
    snf_load_ctx *c = ctx;
    snf_data_grid_row(d, k);
    /* A row the network would see as all missing is not data (a hydro run that does not reach the model's
     * window, a row of NaN): refused, never trained or scored as an empty light curve. */
    int have = 0;
    for (int j = 0; j < d->spec.L && !have; j++) {
        have = ((d->spec.channels & SNF_CH_LBOL) && isfinite(d->lg[j])) ||
               ((d->spec.channels & SNF_CH_VPH) && isfinite(d->vg[j]));
    }
    /* Values no supernova has (a damaged or mislabelled file) are refused before a network sees them. */
    for (int j = 0; j < d->spec.L; j++) {
        double lv = d->lg[j], vv = d->vg[j], tj = snf_data_spec_time(&d->spec, j);
        if ((d->spec.channels & SNF_CH_LBOL) && isfinite(lv) && !(lv >= 30 && lv <= 50)) {
            SNF_ERROR(SNF_EINVAL, "%s: row %ld: log_lbol %g near day %g is not a supernova's log10 L in erg/s "
                      "(expected 30-50)", d->path, d->row0 + k, lv, tj);
        }
        if ((d->spec.channels & SNF_CH_VPH) && isfinite(vv) && !(vv > 0 && vv <= 1e5)) {
            SNF_ERROR(SNF_EINVAL, "%s: row %ld: vph %g km/s near day %g is not a photospheric velocity "
                      "(expected 0-100,000 km/s)", d->path, d->row0 + k, vv, tj);
        }
    }
    if (!have) {
        SNF_ERROR(SNF_EINVAL, "%s: row %ld holds no data on the model's time grid (%g-%g d, %s): every value is "
                  "missing (a run that does not cover the window, or an empty row); remove it from the file",
                  d->path, d->row0 + k, d->spec.t_start_d, d->spec.t_end_d, snf_data_channels_name(d->spec.channels));
    }
    snf_data_encode(c->x + (size_t)pos * c->CL, d->lg, d->vg, &d->spec, c->norm);
    if (c->y) {
        int rc = snf_data_encode_targets(c->y + (size_t)pos * SNF_DATA_NP, d->pbuf + (size_t)k * d->P, c->norm);
        if (rc < 0) {
            SNF_ERROR(rc, "%s: row %ld has a parameter that is not finite and > 0", d->path, pos);
        }
    }
    return SNF_OK;
}

int snf_data_load(snf_data *d, const snf_norm *norm, const long *rows, long n, float *x, float *y)
{
    snf_load_ctx c = {.norm = norm, .x = x, .y = y, .CL = snf_data_spec_cin(&d->spec) * d->spec.L};
    return snf_data_each(d, rows, n, snf_load_row, &c);
}

void snf_data_close(snf_data *d)
{
    if (!d) {
        return;
    }
    snf_dataset_close(d->ds);
    free(d->i0);
    free(d->w);
    free(d->pbuf);
    free(d->lbuf);
    free(d->vbuf);
    free(d->sbuf);
    free(d->lg);
    free(d->vg);
    free(d);
}

/* ---- resident rows ---- */

/* An owned set of n rows of CL floats: x always; y, params, ids when asked for. SNF_ENOMEM (r empty). */
static int snf_rows_alloc(snf_rows *r, long n, size_t CL, int y, int params, int ids)
{
    memset(r, 0, sizeof *r);
    const size_t m = n > 0 ? (size_t)n : 1;
    r->n = n;
    r->CL = CL;
    r->owned = 1;
    r->x = malloc(m * CL * sizeof *r->x);
    r->y = y ? malloc(m * SNF_DATA_NP * sizeof *r->y) : NULL;
    r->params = params ? malloc(m * SNF_DATA_NP * sizeof *r->params) : NULL;
    r->ids = ids ? malloc(m * sizeof *r->ids) : NULL;
    if (!r->x || (y && !r->y) || (params && !r->params) || (ids && !r->ids)) {
        snf_rows_free(r);
        SNF_ERROR(SNF_ENOMEM, "out of memory for %ld rows", n);
    }
    return SNF_OK;
}

/* Row j of r into row i of out (the arrays out has; r has them too). */
static void snf_rows_copy_row(snf_rows *out, long i, const snf_rows *r, long j)
{
    memcpy(out->x + (size_t)i * out->CL, r->x + (size_t)j * r->CL, out->CL * sizeof *out->x);
    if (out->y) {
        memcpy(out->y + (size_t)i * SNF_DATA_NP, r->y + (size_t)j * SNF_DATA_NP, SNF_DATA_NP * sizeof *out->y);
    }
    if (out->params) {
        memcpy(out->params + (size_t)i * SNF_DATA_NP, r->params + (size_t)j * SNF_DATA_NP,
               SNF_DATA_NP * sizeof *out->params);
    }
}

snf_rows snf_rows_view(const float *x, const float *y, long n, size_t CL)
{
    snf_rows r;
    memset(&r, 0, sizeof r);
    r.x = (float *)(uintptr_t)x; /* the library never writes through a view */
    r.y = (float *)(uintptr_t)y;
    r.n = n;
    r.CL = CL;
    return r;
}

int snf_rows_read(snf_rows *r, snf_data *d, const snf_norm *norm, const long *rows, long n)
{
    memset(r, 0, sizeof *r);
    long *all = NULL, nall = 0, skipped = 0;
    if (!rows) {
        SNF_CHECK(snf_data_usable_rows(d, &all, &nall, &skipped));
        rows = all;
        n = nall;
    }
    int rc = snf_rows_alloc(r, n, (size_t)snf_data_spec_cin(&d->spec) * (size_t)d->spec.L, 1, 1, 1);
    if (rc >= 0 && n > 0) {
        memcpy(r->ids, rows, (size_t)n * sizeof *r->ids);
        rc = snf_data_load(d, norm, rows, n, r->x, r->y);
    }
    for (long i = 0; rc >= 0 && i < n; i++) {
        snf_data_decode_targets(r->params + i * SNF_DATA_NP, r->y + i * SNF_DATA_NP, norm);
    }
    if (rc < 0) {
        snf_rows_free(r);
    }
    free(all);
    return rc;
}

int snf_rows_load(snf_rows *r, const char *path, const snf_data_spec *spec, const snf_norm *norm,
                  const long *rows, long n)
{
    memset(r, 0, sizeof *r);
    snf_data *d = NULL;
    SNF_CHECK(snf_data_open(&d, path, spec, 1024));
    int rc = snf_rows_read(r, d, norm, rows, n);
    snf_data_close(d);
    return rc;
}

int snf_rows_subset(snf_rows *out, const snf_rows *r, const long *ids, long n)
{
    memset(out, 0, sizeof *out);
    if (n > 0 && !r->ids) {
        SNF_ERROR(SNF_EINVAL, "picking rows by file row from a row set without file rows");
    }
    SNF_CHECK(snf_rows_alloc(out, n, r->CL, r->y != NULL, r->params != NULL, 1));
    for (long i = 0; i < n; i++) {
        long j = 0;
        while (j < r->n && r->ids[j] != ids[i]) {
            j++;
        }
        if (j == r->n) {
            snf_rows_free(out);
            SNF_ERROR(SNF_EINVAL, "row %ld is not in the row set", ids[i]);
        }
        snf_rows_copy_row(out, i, r, j);
        out->ids[i] = ids[i];
    }
    return SNF_OK;
}

int snf_rows_join(snf_rows *out, const snf_rows *a, long na, const snf_rows *b)
{
    memset(out, 0, sizeof *out);
    const long nb = b ? b->n : 0;
    if (na < 0 || na > a->n || (nb > 0 && b->CL != a->CL)) {
        SNF_ERROR(SNF_EINVAL, "joining %ld of %ld rows of %zu floats with rows of %zu floats", na, a->n, a->CL,
                  b ? b->CL : a->CL);
    }
    const int y = a->y && (nb == 0 || b->y), p = a->params && (nb == 0 || b->params);
    SNF_CHECK(snf_rows_alloc(out, na + nb, a->CL, y, p, 0));
    for (long i = 0; i < na; i++) {
        snf_rows_copy_row(out, i, a, i);
    }
    for (long i = 0; i < nb; i++) {
        snf_rows_copy_row(out, na + i, b, i);
    }
    return SNF_OK;
}

void snf_rows_free(snf_rows *r)
{
    if (!r) {
        return;
    }
    if (r->owned) {
        free(r->x);
        free(r->y);
        free(r->params);
        free(r->ids);
    }
    memset(r, 0, sizeof *r);
}

/* ---- batches ---- */

static snf_batcher *snf_batcher_new(int kind, long n, int B, size_t CL, int shuffle, uint64_t seed)
{
    snf_batcher *b = calloc(1, sizeof *b);
    if (!b) {
        return NULL;
    }
    b->kind = kind;
    b->n = n;
    b->B = B;
    b->CL = CL;
    b->shuffle = shuffle;
    b->seed = seed;
    b->order = malloc((size_t)(n > 0 ? n : 1) * sizeof *b->order);
    if (!b->order) {
        free(b);
        return NULL;
    }
    return b;
}

int snf_batcher_alloc(snf_batcher **out, snf_data *d, const snf_norm *norm, const long *rows, long n,
                      int B, long max_rows, int shuffle, uint64_t seed)
{
    int rc = SNF_OK;
    *out = NULL;
    if (B < 1 || n < 0 || max_rows < 0) {
        SNF_ERROR(SNF_EINVAL, "bad batcher shape (B %d, n %ld, max_rows %ld)", B, n, max_rows);
    }
    const size_t CL = (size_t)snf_data_spec_cin(&d->spec) * (size_t)d->spec.L;
    snf_batcher *b = snf_batcher_new(SNF_BATCH_FILE, n, B, CL, shuffle, seed);
    if (!b) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    b->d = d;
    b->norm = *norm;
    long cap = max_rows == 0 || max_rows >= n ? n : (max_rows / B) * B;
    if (cap < B && cap < n) {
        cap = B;
    }
    b->cap = cap;
    b->resident = cap >= n;
    if (b->resident) { /* the whole set, read once */
        if (n > 0 && (rc = snf_rows_read(&b->buf, d, norm, rows, n)) < 0) {
            goto cleanup;
        }
    } else { /* a chunk buffer; the epoch's rows are read into it in turn */
        b->rows = malloc((size_t)n * sizeof *b->rows);
        b->buf.x = malloc((size_t)cap * CL * sizeof *b->buf.x);
        b->buf.y = malloc((size_t)cap * SNF_DATA_NP * sizeof *b->buf.y);
        b->buf.ids = malloc((size_t)cap * sizeof *b->buf.ids);
        b->buf.CL = CL;
        b->buf.owned = 1;
        if (!b->rows || !b->buf.x || !b->buf.y || !b->buf.ids) {
            SNF_FAIL(SNF_ENOMEM, "out of memory for %ld rows of %d x %d", cap, snf_data_spec_cin(&d->spec),
                     d->spec.L);
        }
        memcpy(b->rows, rows, (size_t)n * sizeof *rows);
    }
    rc = snf_batcher_start(b, 0);
    if (rc < 0) {
        goto cleanup;
    }
    *out = b;
    return SNF_OK;
cleanup:
    snf_batcher_free(b);
    return rc;
}

int snf_batcher_rows(snf_batcher **out, const snf_rows *r, int B, int shuffle, uint64_t seed, int cycle)
{
    *out = NULL;
    if (B < 1 || r->n < 0 || r->CL < 1 || (r->n > 0 && !r->y) || (cycle && r->n < 1)) {
        SNF_ERROR(SNF_EINVAL, "bad batcher shape (B %d, n %ld, %zu floats a row%s)", B, r->n, r->CL,
                  r->n > 0 && !r->y ? ", no targets" : "");
    }
    snf_batcher *b = snf_batcher_new(SNF_BATCH_ROWS, r->n, B, r->CL, shuffle, seed);
    if (!b) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for %ld rows", r->n);
    }
    b->cap = r->n;
    b->resident = 1;
    b->cycle = cycle;
    b->buf = snf_rows_view(r->x, r->y, r->n, r->CL);
    snf_batcher_start(b, 0);
    *out = b;
    return SNF_OK;
}

int snf_batcher_mix(snf_batcher **out, snf_batcher *first, snf_batcher *extra)
{
    *out = NULL;
    if (first->CL != extra->CL || extra->kind == SNF_BATCH_MIX) {
        size_t c1 = first->CL, c2 = extra->CL;
        snf_batcher_free(first);
        snf_batcher_free(extra);
        SNF_ERROR(SNF_EINVAL, "mixed batches: rows of %zu and %zu floats (or a mix inside a mix)", c1, c2);
    }
    snf_batcher *b = snf_batcher_new(SNF_BATCH_MIX, 0, first->B + extra->B, first->CL, 0, 0);
    if (!b) {
        snf_batcher_free(first);
        snf_batcher_free(extra);
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    b->first = first;
    b->extra = extra;
    b->n = first->n;
    b->resident = first->resident && extra->resident;
    *out = b;
    return SNF_OK;
}

int snf_batcher_start(snf_batcher *b, long epoch)
{
    b->last_nb = b->last_first = 0;
    if (b->kind == SNF_BATCH_MIX) {
        SNF_CHECK(snf_batcher_start(b->first, epoch));
        return snf_batcher_start(b->extra, epoch);
    }
    for (long i = 0; i < b->n; i++) {
        b->order[i] = i;
    }
    if (b->shuffle) { /* Fisher-Yates from a stream that depends only on (seed, epoch) */
        snf_rng r = snf_rng_seed(b->seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(epoch + 1)));
        snf_rng_shuffle(&r, b->order, b->n);
    }
    b->pos = 0;
    b->chunk0 = 0;
    if (!b->resident) {
        b->buf.n = 0;
    }
    return SNF_OK;
}

/* Row src of buf into row k of x, y (y may be NULL) and, if rows is not NULL, its reported row. */
static void snf_batcher_put(const snf_batcher *b, long src, int k, float *x, float *y, long *rows)
{
    memcpy(x + (size_t)k * b->CL, b->buf.x + (size_t)src * b->CL, b->CL * sizeof *x);
    if (y) {
        memcpy(y + (size_t)k * SNF_DATA_NP, b->buf.y + (size_t)src * SNF_DATA_NP, SNF_DATA_NP * sizeof *y);
    }
    if (rows) {
        rows[k] = b->kind == SNF_BATCH_ROWS ? src : b->buf.ids[src];
    }
}

static int snf_batcher_next_mix(snf_batcher *b, float *x, float *y, long *rows, int *nb)
{
    int bt = 0, nm = 0;
    int rc = snf_batcher_next(b->first, x, y, rows, &bt);
    if (rc <= 0) {
        return rc;
    }
    rc = snf_batcher_next(b->extra, x + (size_t)bt * b->CL, y + (size_t)bt * SNF_DATA_NP, rows ? rows + bt : NULL,
                          &nm);
    if (rc < 0) {
        return rc;
    }
    b->last_first = bt;
    b->last_nb = *nb = bt + nm;
    return 1;
}

int snf_batcher_next(snf_batcher *b, float *x, float *y, long *rows, int *nb)
{
    *nb = 0;
    if (b->kind == SNF_BATCH_MIX) {
        return snf_batcher_next_mix(b, x, y, rows, nb);
    }
    if (b->cycle) { /* B rows, the order read round and round (resident) */
        if (b->n < 1) {
            return 0;
        }
        for (int k = 0; k < b->B; k++) {
            if (b->pos >= b->n) {
                b->pos = 0;
            }
            snf_batcher_put(b, b->order[b->pos++], k, x, y, rows);
        }
        b->last_nb = b->last_first = *nb = b->B;
        return 1;
    }
    if (b->pos >= b->n) {
        return 0;
    }
    int m = b->n - b->pos < b->B ? (int)(b->n - b->pos) : b->B;
    if (!b->resident && b->pos >= b->chunk0 + b->buf.n) { /* stream the next chunk in epoch order */
        b->chunk0 = b->pos;
        b->buf.n = b->n - b->pos < b->cap ? b->n - b->pos : b->cap;
        for (long i = 0; i < b->buf.n; i++) {
            b->buf.ids[i] = b->rows[b->order[b->chunk0 + i]];
        }
        int rc = snf_data_load(b->d, &b->norm, b->buf.ids, b->buf.n, b->buf.x, b->buf.y);
        if (rc < 0) {
            return rc;
        }
    }
    for (int k = 0; k < m; k++) {
        snf_batcher_put(b, b->resident ? b->order[b->pos + k] : b->pos + k - b->chunk0, k, x, y, rows);
    }
    b->pos += m;
    b->last_nb = b->last_first = *nb = m;
    return 1;
}

int snf_batcher_first_rows(const snf_batcher *b) { return b->last_first; }

long snf_batcher_nbatches(const snf_batcher *b)
{
    return b->kind == SNF_BATCH_MIX ? snf_batcher_nbatches(b->first) : (b->n + b->B - 1) / b->B;
}

int snf_batcher_resident(const snf_batcher *b) { return b->resident; }

void snf_batcher_free(snf_batcher *b)
{
    if (!b) {
        return;
    }
    snf_batcher_free(b->first);
    snf_batcher_free(b->extra);
    free(b->rows);
    free(b->order);
    snf_rows_free(&b->buf);
    free(b);
}
