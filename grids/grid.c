/* grid.c: the campaign runner. Blocks of block_rows models: the calling thread fills the block's
 * parameters from the sampler, then writes the previous block while the other threads start on this one
 * (OpenMP, one snf_model workspace per thread, dynamic schedule: stiff models cost more) and joins them
 * when the write is done. HDF5 has one writer. The file is FILE.tmp until every block is written; a rerun
 * skips blocks whose rows all have a status. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, stat */
#include "snforge/core.h"
#include "snforge/grids.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "internal.h"

/* ---- static helpers ---- */

static int snf_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static double snf_file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (double)st.st_size : 0.0;
}

static void snf_tally(snf_grid_summary *sum, const int *status, long n)
{
    sum->n_ok = sum->n_warn = sum->n_failed = sum->by_status_other = 0;
    memset(sum->by_status, 0, sizeof sum->by_status);
    for (long r = 0; r < n; r++) {
        int s = status[r];
        if (s == SNF_STATUS_PENDING) {
            continue;
        }
        if (s == 0) {
            sum->n_ok++;
        } else if (s > 0) {
            sum->n_warn++;
        } else {
            sum->n_failed++;
        }
        if (s >= SNF_GRID_STATUS_MIN && s <= SNF_GRID_STATUS_MAX) {
            sum->by_status[s - SNF_GRID_STATUS_MIN]++;
        } else {
            sum->by_status_other++;
        }
    }
}

int snf_grid_same_campaign(snf_dataset *d, const snf_campaign *c)
{
    size_t n = strlen(c->text) + 2;
    char *buf = malloc(n);
    if (buf == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    int rc = snf_dataset_attr_string(d, "/", "config", buf, n);
    int same = rc >= 0 && strcmp(buf, c->text) == 0;
    free(buf);
    return rc < 0 ? rc : same;
}

/* One model: row x[P] -> log10 L and v_ph as float, status, message, derived. Allocates nothing. */
static void snf_grid_row(const snf_campaign *c, snf_model *m, const double *t_days, double *L, double *V,
                         const double *x, float *log_lbol, float *vph, int *status, char *msg,
                         snf_lc_derived *derived)
{
    const int T = c->T;
    snf_sn_params p;
    snf_physics ph;
    snf_config_model_inputs(c, x, &p, &ph);
    snf_lc lc;
    memset(&lc, 0, sizeof lc);
    lc.L_erg_s = L;
    lc.vph_km_s = V;
    snf_error_clear();
    int rc = m != NULL ? snf_model_run(m, &p, &ph, t_days, T, &lc)
                       : snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "no model workspace");
    memset(msg, 0, SNF_DATASET_MSG_LEN);
    if (rc < 0) {
        for (int k = 0; k < T; k++) {
            log_lbol[k] = NAN;
            vph[k] = NAN;
        }
        derived->t_peak_d = derived->log_lpeak = derived->t_plateau_end_d = NAN;
        derived->t_front_end_d = derived->e_rad_erg = derived->e_rec_erg = NAN;
    } else {
        for (int k = 0; k < T; k++) {
            log_lbol[k] = (L[k] > 0 && isfinite(L[k])) ? (float)log10(L[k]) : NAN;
            vph[k] = isfinite(V[k]) ? (float)V[k] : NAN;
        }
        *derived = lc.derived;
    }
    *status = rc;
    if (rc != 0) {
        const char *text = snf_error_last_message();
        snprintf(msg, SNF_DATASET_MSG_LEN, "%s: %s", snf_status_name(rc), text[0] ? text : snf_strerror(rc));
    }
}

/* One block of results in memory: rows lb0 .. lb0+nb-1 of the file. */
typedef struct snf_block {
    long lb0, nb;
    double *x;           /* [B][P] parameters */
    float *L, *V;        /* [B][T] log10 L, v_ph */
    int *st;             /* [B] */
    char *msg;           /* [B][SNF_DATASET_MSG_LEN] */
    snf_lc_derived *der; /* [B] */
    float *S;            /* model = hydro: [B][SNF_GRID_HYDRO_NSERIES][T] extra series, else NULL */
} snf_block;

static void snf_block_free(snf_block *b)
{
    free(b->x);
    free(b->L);
    free(b->V);
    free(b->st);
    free(b->msg);
    free(b->der);
    free(b->S);
    memset(b, 0, sizeof *b);
}

static int snf_block_alloc(snf_block *b, long B, int P, int T, int hydro)
{
    memset(b, 0, sizeof *b);
    b->x = malloc((size_t)B * (size_t)P * sizeof *b->x);
    b->L = malloc((size_t)B * (size_t)T * sizeof *b->L);
    b->V = malloc((size_t)B * (size_t)T * sizeof *b->V);
    b->st = malloc((size_t)B * sizeof *b->st);
    b->msg = malloc((size_t)B * SNF_DATASET_MSG_LEN);
    b->der = malloc((size_t)B * sizeof *b->der);
    if (hydro) {
        b->S = malloc((size_t)B * SNF_GRID_HYDRO_NSERIES * (size_t)T * sizeof *b->S);
    }
    if (!b->x || !b->L || !b->V || !b->st || !b->msg || !b->der || (hydro && !b->S)) {
        snf_block_free(b);
        return SNF_ENOMEM;
    }
    return SNF_OK;
}

/* The single writer's state: the file, the campaign's status copy and the progress counters. */
typedef struct snf_writer {
    snf_dataset *d;
    const snf_grid_options *opt;
    const char *fpath;
    int *status; /* [n] */
    long n, done_before, computed, blocks_written;
    double t_start;
} snf_writer;

/* Writes one computed block (master thread only) and updates the progress line. */
static int snf_writer_put(snf_writer *w, const snf_block *b)
{
    int any_msg = 0;
    for (long r = 0; r < b->nb; r++) {
        any_msg |= b->st[r] != 0;
    }
    snf_dataset_rows rows = {b->x, b->L, b->V, b->st, any_msg ? b->msg : NULL, b->der};
    if (b->S != NULL) { /* the series before the statuses: a row with a status has its series */
        int T = w->d->T;
        float *col = malloc((size_t)b->nb * (size_t)T * sizeof *col);
        if (col == NULL) {
            SNF_ERROR(SNF_ENOMEM, "out of memory for a block's series");
        }
        int rc = SNF_OK;
        for (int s = 0; s < SNF_GRID_HYDRO_NSERIES && rc >= 0; s++) {
            for (long r = 0; r < b->nb; r++) {
                memcpy(col + r * T, b->S + ((size_t)r * SNF_GRID_HYDRO_NSERIES + (size_t)s) * (size_t)T,
                       (size_t)T * sizeof *col);
            }
            rc = snf_dataset_series_write_rows(w->d, snf_grid_hydro_series[s].name, b->lb0, b->nb, col);
        }
        free(col);
        SNF_CHECK(rc);
    }
    SNF_CHECK(snf_dataset_write_block(w->d, b->lb0, b->nb, &rows));
    memcpy(w->status + b->lb0, b->st, (size_t)b->nb * sizeof *b->st);
    w->computed += b->nb;
    w->blocks_written++;
    if (w->opt->progress != NULL) {
        double el = snf_clock_s() - w->t_start, rate = el > 0 ? (double)w->computed / el : 0;
        long left = w->n - w->done_before - w->computed;
        fprintf(w->opt->progress, "\r%s: %ld/%ld models, %.0f models/s, ETA %.0f s   ", w->fpath,
                w->done_before + w->computed, w->n, rate, rate > 0 ? (double)left / rate : 0.0);
        fflush(w->opt->progress);
    }
    return SNF_OK;
}

/* ---- defaults and helpers ---- */

snf_grid_options snf_grid_options_default(void)
{
    snf_grid_options o;
    memset(&o, 0, sizeof o);
    o.shard_count = 1;
    return o;
}

int snf_grid_params(const snf_campaign *c, snf_sampler *s, long row0, long n, double *x)
{
    SNF_CHECK(snf_sampler_points(s, row0, n, x));
    for (long r = 0; r < n; r++) {
        snf_config_point(c, x + r * c->n_axes, x + r * c->n_axes); /* in place: column k reads u[k] only */
    }
    return SNF_OK;
}

/* ---- run, section by section ---- */

/* The rows and file of this run: the whole campaign, or shard opt->shard_index of opt->shard_count. */
static int snf_grid_target(const snf_campaign *c, const char *path, const snf_grid_options *opt, long *row0, long *n,
                           char *fpath, size_t nf)
{
    *row0 = 0;
    *n = c->n_models;
    if (opt->shard_count > 1) {
        if (opt->shard_index < 0 || opt->shard_index >= opt->shard_count) {
            SNF_ERROR(SNF_EINVAL, "shard %d/%d: the index must be in 0..%d", opt->shard_index, opt->shard_count,
                      opt->shard_count - 1);
        }
        snf_grid_shard_range(c->n_models, c->block_rows, opt->shard_index, opt->shard_count, row0, n);
        snf_grid_shard_path(fpath, nf, path, opt->shard_index, opt->shard_count);
    } else {
        snprintf(fpath, nf, "%s", path);
    }
    return SNF_OK;
}

/* A finished file is never rewritten: opens it (*d, the caller closes it) and tallies its statuses, or says
 * why it cannot stand for this campaign. */
static int snf_grid_finished(snf_dataset **d, const snf_campaign *c, const char *fpath, int *status, long n,
                             snf_grid_summary *sum)
{
    if (snf_dataset_open(d, fpath, 0) < 0) {
        char why[512]; /* the message buffer is about to be rewritten: copy the reason out first */
        snprintf(why, sizeof why, "%s", snf_error_last_message());
        SNF_ERROR(SNF_EEXIST, "%s exists and is not a readable snforge dataset (%s); move it away", fpath, why);
    }
    int same = snf_grid_same_campaign(*d, c);
    if (same < 0 || !same) {
        SNF_ERROR(SNF_EEXIST, "%s exists and holds another campaign; choose another output name", fpath);
    }
    if (!snf_dataset_is_complete(*d)) {
        SNF_ERROR(SNF_EEXIST, "%s exists but is not marked complete; move it away to recompute", fpath);
    }
    SNF_CHECK(snf_dataset_read_status(*d, status));
    snf_tally(sum, status, n);
    sum->already_complete = 1;
    sum->n_skipped = n;
    return SNF_OK;
}

/* The file's description as this campaign writes it; meta views the other fields and c. */
typedef struct snf_grid_meta {
    char source[96];
    const char *names[SNF_CONFIG_MAX_AXES], *units[SNF_CONFIG_MAX_AXES], *scales[SNF_CONFIG_MAX_AXES];
    double lo[SNF_CONFIG_MAX_AXES], hi[SNF_CONFIG_MAX_AXES];
    snf_dataset_meta meta;
} snf_grid_meta;

static void snf_grid_meta_fill(snf_grid_meta *m, const snf_campaign *c, long row0)
{
    snf_config_source(c, m->source, sizeof m->source);
    for (int k = 0; k < c->n_axes; k++) {
        m->names[k] = c->axes[k].name;
        m->units[k] = c->axes[k].units;
        m->scales[k] = c->axes[k].scale == SNF_AXIS_LOG ? "log" : "linear";
        m->lo[k] = c->axes[k].lo;
        m->hi[k] = c->axes[k].hi;
    }
    snf_dataset_meta meta = {.source = m->source, .param_names = m->names, .param_units = m->units,
                             .config_text = c->text, .sampler = snf_sampler_name(c->sampler), .seed = c->seed,
                             .deflate = c->deflate, .chunk_rows = c->chunk_rows, .row_offset = row0,
                             .n_total = c->n_models, .param_min = m->lo, .param_max = m->hi,
                             .param_scale = m->scales};
    m->meta = meta;
}

/* Resume from FILE.tmp (*resumed = 1, status read back), or start it (every row pending). A FILE.tmp held by
 * another program or unreadable is an error, never recreated; one damaged while HDF5 wrote its metadata is
 * started again (sum->restarted and why). */
static int snf_grid_open_tmp(snf_dataset **d, const char *tmp, const snf_campaign *c, const snf_dataset_meta *meta,
                             long n, const double *t_days, int *status, int *resumed, snf_grid_summary *sum)
{
    const int P = c->n_axes, T = c->T;
    int rc = SNF_OK;
    if (snf_file_exists(tmp)) {
        rc = snf_dataset_open(d, tmp, 1);
        if (rc == SNF_EIO || rc == SNF_EINVAL || rc == SNF_ENOMEM) {
            /* Held by another program (HDF5's file lock) or unreadable: not damage. Never recreated. */
            return rc;
        }
        if (rc >= 0) {
            long N2;
            int P2, T2;
            snf_dataset_dims(*d, &N2, &P2, &T2);
            int same = snf_grid_same_campaign(*d, c);
            if (same < 0 || !same || N2 != n || P2 != P || T2 != T) {
                SNF_ERROR(SNF_EINVAL,
                          "%s holds a different campaign (its stored config text differs from %s): finish it with "
                          "the config it was started with, or delete it to start over",
                          tmp, c->path);
            }
            /* Every attribute and the time grid as this campaign writes them; a damaged one restarts the file. */
            rc = snf_dataset_verify(*d, meta, n, P, T, t_days);
            if (rc >= 0) {
                rc = snf_dataset_read_status(*d, status);
            }
            if (rc >= 0) {
                /* every row's parameters read whole: a disk that filled while HDF5 wrote leaves addresses past the
                 * file's end that the attributes and /status do not reach, and the resume's first write failed */
                double *pp = malloc((size_t)n * (size_t)P * sizeof *pp);
                if (pp == NULL) {
                    snf_dataset_close(*d);
                    *d = NULL;
                    SNF_ERROR(SNF_ENOMEM, "out of memory reading the parameters of %s", tmp);
                }
                snf_dataset_rows pr = {.params = pp};
                rc = snf_dataset_read_rows(*d, 0, n, &pr);
                free(pp);
            }
            for (long r = 0; rc >= 0 && r < n; r++) {
                if (status[r] != SNF_STATUS_PENDING && (status[r] < SNF_ENOTIMPL || status[r] > SNF_WARN_NO_PEAK)) {
                    status[r] = SNF_STATUS_PENDING; /* not a status this program writes: compute the row again */
                }
            }
            *resumed = rc >= 0;
        }
        if (rc < 0) {
            /* Killed while HDF5 was writing its metadata: nothing in the file can be trusted. */
            snf_dataset_close(*d);
            *d = NULL;
            sum->restarted = 1;
            snprintf(sum->restart_why, sizeof sum->restart_why, "%s", snf_error_last_message());
        }
    }
    if (*d == NULL) {
        SNF_CHECK(snf_dataset_create(d, tmp, meta, n, P, T, t_days));
        for (long r = 0; r < n; r++) {
            status[r] = SNF_STATUS_PENDING;
        }
    }
    for (int s = 0; c->hydro && s < SNF_GRID_HYDRO_NSERIES; s++) { /* made now, or found on resume */
        const snf_grid_series_def *sd = &snf_grid_hydro_series[s];
        SNF_CHECK(snf_dataset_series_create(*d, sd->name, sd->units, sd->description, c->chunk_rows, c->deflate));
    }
    return SNF_OK;
}

/* Workspaces: two blocks (one computed while the other is written), one model + two [T] rows per thread, the
 * sampler and the list of blocks still pending. */
typedef struct snf_grid_work {
    int nth;
    snf_sampler *s;
    snf_model **models; /* [nth] */
    double *work;       /* [nth][2][T] */
    long *pend;         /* [n / B + 2] */
    snf_block blk[2];
    snf_grid_hydro hydro; /* model = hydro: the tables every row reads */
} snf_grid_work;

static void snf_grid_work_free(snf_grid_work *w)
{
    for (int k = 0; w->models != NULL && k < w->nth; k++) {
        snf_model_free(w->models[k]);
    }
    free(w->models);
    snf_sampler_free(w->s);
    free(w->work);
    free(w->pend);
    snf_block_free(&w->blk[0]);
    snf_block_free(&w->blk[1]);
    snf_grid_hydro_free(&w->hydro);
}

static int snf_grid_work_alloc(snf_grid_work *w, const snf_campaign *c, const snf_grid_options *opt, long n)
{
    const int P = c->n_axes, T = c->T;
    const long B = c->block_rows;
    w->nth = 1;
#ifdef _OPENMP
    /* The grid's loop has no barrier (dynamic schedule, one model a step, threads never wait for each other), so
     * its default is every core the process may run on, not only the idle ones chosen for barrier-bound work
     * (nn.h snf_threads_auto): on a core shared with another program an extra thread takes its fair share and
     * never holds the others up (issue 21: `run` with one competing busy loop on 2 cores). OMP_NUM_THREADS or
     * --threads is the user's choice. */
    w->nth = opt->threads > 0 ? opt->threads : getenv("OMP_NUM_THREADS") ? omp_get_max_threads() : omp_get_num_procs();
#else
    (void)opt;
#endif
    int points[SNF_CONFIG_MAX_AXES];
    snf_config_grid_points(c, points);
    w->s = snf_sampler_alloc(c->sampler, P, c->n_models, c->seed, points);
    w->models = calloc((size_t)w->nth, sizeof *w->models);
    w->work = malloc((size_t)w->nth * 2 * (size_t)T * sizeof *w->work);
    w->pend = malloc((size_t)(n / B + 2) * sizeof *w->pend);
    int alloc_ok = w->s != NULL && w->models != NULL && w->work != NULL && w->pend != NULL;
    for (int k = 0; k < 2 && alloc_ok; k++) {
        alloc_ok = snf_block_alloc(&w->blk[k], B, P, T, c->hydro) == SNF_OK;
    }
    if (!alloc_ok) {
        SNF_ERROR(w->s == NULL ? SNF_EINVAL : SNF_ENOMEM, "%s",
                  w->s == NULL ? snf_error_last_message() : "out of memory for the block buffers");
    }
    if (c->hydro) { /* no model workspaces: a hydro row allocates its own run */
        return snf_grid_hydro_load(&w->hydro, opt->hydro_tables);
    }
    for (int k = 0; k < w->nth; k++) {
        w->models[k] = snf_model_alloc();
        if (w->models[k] == NULL) {
            SNF_ERROR(SNF_ENOMEM, "snf_model_alloc failed");
        }
    }
    return SNF_OK;
}

/* On resume, read every finished block back (fletcher32 verifies each chunk): a block that does not read
 * cleanly, e.g. after a kill inside an HDF5 write, is computed again. */
static void snf_grid_reread(snf_dataset *d, snf_block *buf, int *status, long n, long B, snf_grid_summary *sum)
{
    for (long lb0 = 0; lb0 < n; lb0 += B) {
        const long nb = (lb0 + B <= n) ? B : n - lb0;
        int done = 1;
        for (long r = 0; r < nb && done; r++) {
            done = status[lb0 + r] != SNF_STATUS_PENDING;
        }
        snf_dataset_rows rows = {buf->x, buf->L, buf->V, buf->st, buf->msg, buf->der};
        if (done && snf_dataset_read_rows(d, lb0, nb, &rows) < 0) {
            for (long r = 0; r < nb; r++) {
                status[lb0 + r] = SNF_STATUS_PENDING;
            }
            sum->n_reread_bad += nb;
        }
    }
    snf_error_clear();
}

/* The first rows of the blocks with a pending row into pend; returns their count. *done_before: rows
 * already with a status; the other blocks count as skipped. */
static long snf_grid_pending(const int *status, long n, long B, long *pend, long *done_before, snf_grid_summary *sum)
{
    long npend = 0;
    *done_before = 0;
    for (long r = 0; r < n; r++) {
        *done_before += status[r] != SNF_STATUS_PENDING;
    }
    for (long lb0 = 0; lb0 < n; lb0 += B) {
        const long nb = (lb0 + B <= n) ? B : n - lb0;
        int pending = 0;
        for (long r = 0; r < nb && !pending; r++) {
            pending = status[lb0 + r] == SNF_STATUS_PENDING;
        }
        if (pending) {
            pend[npend++] = lb0;
        } else {
            sum->n_skipped += nb;
        }
    }
    return npend;
}

/* The pending blocks. Step k: the calling (master) thread fills block k's parameters; then it writes block k-1
 * while the other threads start on block k's models, and joins them when the write is done (dynamic
 * schedule). stop_fill / stop_write are set by the master only, each read by all only after a barrier. */
static int snf_grid_compute(const snf_campaign *c, snf_grid_work *w, const double *t_days, long row0, long n,
                            long npend, snf_writer *wr, const snf_grid_options *opt, snf_grid_summary *sum)
{
    const int P = c->n_axes, T = c->T;
    const long B = c->block_rows;
    int stop_fill = 0, stop_write = 0, rc_par = SNF_OK;
    /* The master's error message is copied out when it happens: the master then computes models too, and
     * each model clears and may set its thread's error buffer before the error is reported. */
    char par_msg[1024] = "";
#ifdef _OPENMP
#pragma omp parallel num_threads(w->nth)
#endif
    {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *Lw = w->work + (size_t)tid * 2 * (size_t)T;
        for (long k = 0; k <= npend; k++) {
#ifdef _OPENMP
#pragma omp barrier
#endif
            if (stop_write) {
                break;
            }
            snf_block *cur = &w->blk[k & 1], *prev = &w->blk[(k + 1) & 1];
#ifdef _OPENMP
#pragma omp master
#endif
            if (k < npend) {
                cur->lb0 = w->pend[k];
                cur->nb = (cur->lb0 + B <= n) ? B : n - cur->lb0;
                int rcf = snf_grid_params(c, w->s, row0 + cur->lb0, cur->nb, cur->x);
                if (rcf < 0) {
                    rc_par = rcf;
                    snprintf(par_msg, sizeof par_msg, "%s", snf_error_last_message());
                    stop_fill = 1;
                }
            }
#ifdef _OPENMP
#pragma omp barrier
#endif
            if (stop_fill) {
                break;
            }
#ifdef _OPENMP
#pragma omp master
#endif
            if (k > 0) {
                int rcw = snf_writer_put(wr, prev);
                if (rcw < 0) {
                    rc_par = rcw;
                    snprintf(par_msg, sizeof par_msg, "%s", snf_error_last_message());
                    stop_write = 1;
                } else if (opt->stop_after > 0 && wr->blocks_written >= opt->stop_after && k < npend) {
                    sum->stopped = 1;
                    stop_write = 1;
                }
            }
            if (k < npend) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1) nowait
#endif
                for (long r = 0; r < cur->nb; r++) {
                    if (c->hydro) { /* one model per step: a model's cost varies several-fold */
                        snf_grid_hydro_row(c, &w->hydro, t_days, cur->x + r * P, cur->L + r * T, cur->V + r * T,
                                           cur->S + (size_t)r * SNF_GRID_HYDRO_NSERIES * (size_t)T, cur->st + r,
                                           cur->msg + r * SNF_DATASET_MSG_LEN, cur->der + r);
                        continue;
                    }
                    snf_grid_row(c, w->models[tid], t_days, Lw, Lw + T, cur->x + r * P, cur->L + r * T,
                                 cur->V + r * T, cur->st + r, cur->msg + r * SNF_DATASET_MSG_LEN, cur->der + r);
                }
            }
        }
    }
    if (rc_par < 0) {
        SNF_ERROR(rc_par, "%s", par_msg[0] ? par_msg : snf_strerror(rc_par));
    }
    return SNF_OK;
}

/* The last block written: the file marked complete, closed (*d = NULL) and put in place of FILE by its owner. */
static int snf_grid_commit(snf_dataset **d, snf_output *out)
{
    SNF_CHECK(snf_dataset_mark_complete(*d));
    int rc = snf_dataset_close(*d);
    *d = NULL;
    SNF_CHECK(rc);
    return snf_output_commit(out);
}

int snf_grid_run(const snf_campaign *c, const char *path, const snf_grid_options *opt, snf_grid_summary *sum)
{
    const double t0 = snf_clock_s();
    memset(sum, 0, sizeof *sum);
    snf_dataset *d = NULL;
    double *t_days = NULL;
    int *status = NULL;
    snf_grid_work w;
    memset(&w, 0, sizeof w);
    int resumed = 0;
    long row0 = 0, n = 0;
    char fpath[1024], tmp[1100] = "";
    snf_output out = {.lock = -1};
    SNF_CHECK(snf_grid_target(c, path, opt, &row0, &n, fpath, sizeof fpath));
    snprintf(sum->path, sizeof sum->path, "%s", fpath);
    sum->n_rows = n;

    /* The output owner: one run per output (a second refuses before touching FILE or FILE.tmp); FILE.tmp is
     * resumable, so a failed or stopped run leaves it for the next one. */
    int rc = snf_output_begin(&out, fpath, 0);
    if (rc >= 0) {
        rc = snf_output_stage_path(&out, "campaign", 1, tmp, sizeof tmp);
    }
    if (rc < 0) {
        goto cleanup;
    }
    status = malloc((size_t)(n > 0 ? n : 1) * sizeof *status);
    if (status == NULL) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %ld status values", n);
    }
    if (snf_file_exists(fpath)) {
        rc = snf_grid_finished(&d, c, fpath, status, n, sum);
        goto cleanup;
    }
    t_days = malloc((size_t)c->T * sizeof *t_days);
    if (t_days == NULL) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    snf_config_times(c, t_days);
    snf_grid_meta meta;
    snf_grid_meta_fill(&meta, c, row0);
    if ((rc = snf_grid_open_tmp(&d, tmp, c, &meta.meta, n, t_days, status, &resumed, sum)) < 0 ||
        (rc = snf_grid_work_alloc(&w, c, opt, n)) < 0) {
        goto cleanup;
    }
    sum->threads = w.nth;
    if (resumed) {
        snf_grid_reread(d, &w.blk[0], status, n, c->block_rows, sum);
    }
    long done_before = 0;
    long npend = snf_grid_pending(status, n, c->block_rows, w.pend, &done_before, sum);
    snf_writer wr = {d, opt, fpath, status, n, done_before, 0, 0, snf_clock_s()};
    if ((rc = snf_grid_compute(c, &w, t_days, row0, n, npend, &wr, opt, sum)) < 0) {
        goto cleanup;
    }
    if (opt->progress != NULL && wr.blocks_written > 0) {
        fputc('\n', opt->progress);
    }
    sum->n_computed = wr.computed;
    snf_tally(sum, status, n);
    rc = sum->stopped ? SNF_OK : snf_grid_commit(&d, &out);
cleanup:
    if (d != NULL) {
        int rc2 = snf_dataset_close(d);
        if (rc >= 0 && rc2 < 0) {
            rc = rc2;
        }
    }
    snf_grid_work_free(&w);
    free(t_days);
    free(status);
    snf_output_end(&out);
    sum->wall_s = snf_clock_s() - t0;
    sum->file_bytes = snf_file_bytes(sum->stopped ? tmp : fpath);
    return rc;
}
