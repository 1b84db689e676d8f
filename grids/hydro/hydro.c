#define _POSIX_C_SOURCE 200809L /* strdup */
/* hydro.c: the import of hydro runs: the index file (path + parameters), resampling onto a campaign's
 * time grid (hydro_resample.c), and the writer of the dataset file (source "hydro:<code>"). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "snforge/models.h"

/* ---- static helpers ---- */

#define SNF_INDEX_MAX_COLS 64


/* Splits one line (from snf_text_next, inside a writable buffer) at commas with the one CSV splitter and
 * NUL-terminates each field in place. Returns the count or -1 if more than max. */
static int snf_index_split(const char *line, size_t len, char **f, int max)
{
    const char *fs[SNF_INDEX_MAX_COLS];
    size_t fl[SNF_INDEX_MAX_COLS];
    int n = snf_csv_split(line, len, fs, fl, max < SNF_INDEX_MAX_COLS ? max : SNF_INDEX_MAX_COLS);
    if (n > max || n > SNF_INDEX_MAX_COLS) {
        return -1;
    }
    for (int k = 0; k < n; k++) {
        f[k] = (char *)(uintptr_t)fs[k]; /* the caller's buffer is writable */
        f[k][fl[k]] = '\0';               /* over a comma, a blank, or a line end already passed */
    }
    return n;
}

static int snf_grid_from_like(const char *like, double **t, int *T)
{
    snf_dataset *d = NULL;
    int rc = snf_dataset_open(&d, like, 0);
    if (rc >= 0) {
        rc = snf_dataset_require_complete(d);
        if (rc < 0) {
            snf_dataset_close(d);
        }
    }
    if (rc < 0) {
        return rc == SNF_EHDF5 ? SNF_EFORMAT : rc; /* a file the user named that is not a dataset: input error */
    }
    long N = 0;
    int P = 0;
    snf_dataset_dims(d, &N, &P, T);
    *t = malloc((size_t)(*T > 0 ? *T : 1) * sizeof(double));
    if (!*t) {
        snf_dataset_close(d);
        SNF_ERROR(SNF_ENOMEM, "out of memory");
    }
    rc = snf_dataset_read_time(d, *t);
    snf_dataset_close(d);
    return rc;
}

/* ---- public API ---- */

snf_hydro_import_opts snf_hydro_import_opts_default(void)
{
    snf_hydro_import_opts o = {.format = SNF_HYDRO_SNEC, .t_min_d = 0, .t_max_d = 300, .dt_d = 1,
                               .snec_origin = SNF_ORIGIN_EXPLOSION};
    return o;
}

int snf_hydro_format_parse(const char *name, snf_hydro_format *out)
{
    if (strcmp(name, "snec") == 0) {
        *out = SNF_HYDRO_SNEC;
    } else if (strcmp(name, "stella") == 0) {
        *out = SNF_HYDRO_STELLA;
    } else if (strcmp(name, "columns") == 0) {
        *out = SNF_HYDRO_COLUMNS;
    } else {
        SNF_ERROR(SNF_EINVAL, "--format '%s' is unknown (expected snec, stella or columns)", name);
    }
    return SNF_OK;
}

const char *snf_hydro_format_name(snf_hydro_format f)
{
    return f == SNF_HYDRO_SNEC ? "snec" : f == SNF_HYDRO_STELLA ? "stella" : "columns";
}

void snf_hydro_index_free(snf_hydro_index *idx)
{
    if (idx == NULL) {
        return;
    }
    for (int i = 0; i < idx->n; i++) {
        free(idx->path ? idx->path[i] : NULL);
        free(idx->name ? idx->name[i] : NULL);
    }
    for (int p = 0; p < idx->P; p++) {
        free(idx->param_names ? idx->param_names[p] : NULL);
    }
    free(idx->path);
    free(idx->name);
    free(idx->line);
    free(idx->params);
    free(idx->param_names);
    free(idx->file);
    memset(idx, 0, sizeof *idx);
}

int snf_hydro_index_read(snf_hydro_index *idx, const char *path)
{
    memset(idx, 0, sizeof *idx);
    char *buf = NULL;
    size_t len = 0;
    SNF_CHECK(snf_hydro_file_slurp(path, &buf, &len));
    int rc = SNF_OK, line = 0, ncols = 0, cap = 0;
    int col_path = -1, map[SNF_INDEX_MAX_COLS]; /* map[c] = parameter index of column c, or -1 */
    char *f[SNF_INDEX_MAX_COLS];
    char dir[4096];
    snf_path_dir(path, dir, sizeof dir);
    idx->file = strdup(path);
    if (!idx->file) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *ln;
    size_t lnl;
    while (snf_text_next(&it, &ln, &lnl)) {
        line = it.line;
        int n = snf_index_split(ln, lnl, f, SNF_INDEX_MAX_COLS);
        if (n < 0) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: more than %d columns", path, line, SNF_INDEX_MAX_COLS);
        }
        if (ncols == 0) { /* the header */
            ncols = n;
            idx->P = 4 + 0;
            int extra = 0;
            for (int c = 0; c < n; c++) {
                map[c] = -1;
                if (strcmp(f[c], "path") == 0) {
                    col_path = c;
                    continue;
                }
                int r = -1;
                for (int q = 0; q < 4; q++) {
                    if (strcmp(f[c], snf_param_name(q)) == 0) {
                        r = q;
                    }
                }
                map[c] = r >= 0 ? r : 4 + extra++;
                if (f[c][0] == '\0') {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: column %d has an empty name: expected the header path,energy,mass,radius,nickel[,extra...]",
                             path, line, c + 1);
                }
            }
            idx->P = 4 + extra;
            const char *missing = col_path < 0 ? "path" : NULL;
            for (int q = 0; q < 4 && !missing; q++) {
                int found = 0;
                for (int c = 0; c < n; c++) {
                    found |= map[c] == q;
                }
                missing = found ? NULL : snf_param_name(q);
            }
            if (missing) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: no column '%s' in the header: expected path,energy,mass,radius,nickel (extra columns allowed)",
                         path, line, missing);
            }
            idx->param_names = calloc((size_t)idx->P, sizeof(char *));
            if (!idx->param_names) {
                SNF_FAIL(SNF_ENOMEM, "out of memory");
            }
            for (int c = 0; c < n; c++) {
                if (map[c] >= 0) {
                    for (int c2 = 0; c2 < c; c2++) {
                        if (strcmp(f[c], f[c2]) == 0) {
                            SNF_FAIL(SNF_EFORMAT, "%s:%d: column '%s' appears twice", path, line, f[c]);
                        }
                    }
                    idx->param_names[map[c]] = strdup(f[c]);
                    if (!idx->param_names[map[c]]) {
                        SNF_FAIL(SNF_ENOMEM, "out of memory");
                    }
                }
            }
            continue;
        }
        if (n != ncols) {
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %d fields: expected %d as in the header", path, line, n, ncols);
        }
        if (idx->n == cap) {
            int nc = cap ? 2 * cap : 16;
            char **np = realloc(idx->path, (size_t)nc * sizeof *np);
            if (np) {
                idx->path = np;
            }
            char **nn = realloc(idx->name, (size_t)nc * sizeof *nn);
            if (nn) {
                idx->name = nn;
            }
            int *nli = realloc(idx->line, (size_t)nc * sizeof *nli);
            if (nli) {
                idx->line = nli;
            }
            double *pp = realloc(idx->params, (size_t)nc * (size_t)idx->P * sizeof *pp);
            if (pp) {
                idx->params = pp;
            }
            if (!np || !nn || !nli || !pp) {
                SNF_FAIL(SNF_ENOMEM, "out of memory");
            }
            cap = nc;
        }
        int i = idx->n;
        idx->path[i] = idx->name[i] = NULL;
        idx->n++;
        idx->line[i] = line;
        for (int c = 0; c < n; c++) {
            if (c == col_path) {
                if (f[c][0] == '\0') {
                    SNF_FAIL(SNF_EFORMAT, "%s:%d: empty path: expected a run's path relative to the index", path, line);
                }
                size_t need = strlen(dir) + strlen(f[c]) + 2;
                idx->path[i] = malloc(need);
                idx->name[i] = strdup(f[c]);
                if (!idx->path[i] || !idx->name[i]) {
                    SNF_FAIL(SNF_ENOMEM, "out of memory");
                }
                if (f[c][0] == '/') {
                    snprintf(idx->path[i], need, "%s", f[c]);
                } else {
                    snprintf(idx->path[i], need, "%s/%s", dir, f[c]);
                }
                continue;
            }
            double v = NAN;
            if (f[c][0] == '\0' || snf_csv_number(f[c], strlen(f[c]), &v) != 0) {
                SNF_FAIL(SNF_EFORMAT, "%s:%d: column '%s' = '%s': expected a finite number", path, line,
                         idx->param_names[map[c]], f[c]);
            }
            idx->params[(size_t)i * (size_t)idx->P + (size_t)map[c]] = v;
        }
        const double *p = idx->params + (size_t)i * (size_t)idx->P;
        snf_sn_params sp = {p[0], p[1], p[2], p[3]};
        if (snf_sn_params_check(&sp) < 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "%s", snf_error_last_message());
            SNF_FAIL(SNF_EFORMAT, "%s:%d: %s", path, line, msg);
        }
    }
    if (ncols == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:1: the index is empty: expected the header path,energy,mass,radius,nickel", path);
    }
    if (idx->n == 0) {
        SNF_FAIL(SNF_EFORMAT, "%s:%d: no runs after the header: expected one line per run", path, line);
    }
    free(buf);
    return SNF_OK;
cleanup:
    free(buf);
    snf_hydro_index_free(idx);
    return rc;
}

int snf_hydro_import(const snf_hydro_import_opts *o, snf_hydro_import_summary *sum)
{
    snf_hydro_index idx = {0};
    snf_hydro_run run = {0};
    double *t = NULL;
    float *lg = NULL, *vp = NULL;
    int *status = NULL;
    char *msg = NULL;
    snf_lc_derived *der = NULL;
    snf_dataset *d = NULL;
    char tmp[4200] = "";
    int T = 0, rc = SNF_OK;
    memset(sum, 0, sizeof *sum);
    if (o->format == SNF_HYDRO_COLUMNS && o->columns == NULL) {
        SNF_ERROR(SNF_EINVAL, "--format columns needs --config COLUMNS.ini (the mapping of columns and units)");
    }
    snf_output out; /* the output owner: OUT.lock, OUT.tmp put in place when whole, removed on failure */
    SNF_CHECK(snf_output_begin(&out, o->out_path, 0));
    rc = snf_hydro_index_read(&idx, o->index_path);
    if (rc < 0) {
        snf_output_end(&out);
        return rc;
    }
    if (o->like_path) {
        rc = snf_grid_from_like(o->like_path, &t, &T);
        if (rc < 0) {
            goto cleanup;
        }
    } else {
        if (!(o->dt_d > 0) || !(o->t_max_d > o->t_min_d) || !(o->t_min_d >= 0) ||
            (o->t_max_d - o->t_min_d) / o->dt_d > 1e7) {
            SNF_FAIL(SNF_EINVAL, "time grid --t-min %g --t-max %g --dt %g is invalid: expected 0 <= t-min < t-max, dt > 0",
                     o->t_min_d, o->t_max_d, o->dt_d);
        }
        T = (int)floor((o->t_max_d - o->t_min_d) / o->dt_d * (1 + 1e-12)) + 1;
        t = malloc((size_t)T * sizeof *t);
        if (!t) {
            SNF_FAIL(SNF_ENOMEM, "out of memory");
        }
        for (int k = 0; k < T; k++) {
            t[k] = o->t_min_d + k * o->dt_d;
        }
    }
    size_t NT = (size_t)idx.n * (size_t)T;
    lg = malloc(NT * sizeof *lg);
    vp = malloc(NT * sizeof *vp);
    status = calloc((size_t)idx.n, sizeof *status);
    msg = calloc((size_t)idx.n, SNF_DATASET_MSG_LEN);
    der = calloc((size_t)idx.n, sizeof *der);
    if (!lg || !vp || !status || !msg || !der) {
        SNF_FAIL(SNF_ENOMEM, "out of memory for %d runs x %d times", idx.n, T);
    }
    for (int i = 0; i < idx.n; i++) {
        if (o->format == SNF_HYDRO_SNEC) {
            rc = snf_hydro_read_snec(&run, idx.path[i], o->snec_origin);
        } else if (o->format == SNF_HYDRO_STELLA) {
            rc = snf_hydro_read_stella(&run, idx.path[i]);
        } else {
            rc = snf_hydro_read_columns(&run, idx.path[i], o->columns);
        }
        if (rc < 0) {
            goto cleanup; /* the reader's message names file:line */
        }
        sum->n_repeats_dropped += run.n_repeats_dropped;
        float *lrow = lg + (size_t)i * (size_t)T, *vrow = vp + (size_t)i * (size_t)T;
        rc = snf_hydro_resample(lrow, &run.L, 1, t, T);
        if (rc >= 0) {
            if (run.v.n > 0) {
                rc = snf_hydro_resample(vrow, &run.v, 0, t, T);
            } else {
                for (int k = 0; k < T; k++) {
                    vrow[k] = NAN;
                }
            }
        }
        if (rc < 0) {
            goto cleanup;
        }
        snf_hydro_peak(&der[i], t, lrow, T, 10.0);
        snprintf(msg + (size_t)i * SNF_DATASET_MSG_LEN, SNF_DATASET_MSG_LEN, "%s", idx.name[i]);
        int n_l = 0;
        for (int k = 0; k < T; k++) {
            n_l += isfinite(lrow[k]) != 0;
        }
        if (n_l < SNF_HYDRO_MIN_COVERAGE) {
            /* Nothing to compare or train on: failed, with the reason after the run's name. */
            status[i] = SNF_ENONFINITE;
            snprintf(msg + (size_t)i * SNF_DATASET_MSG_LEN, SNF_DATASET_MSG_LEN,
                     "%.40s: no usable coverage: L at %d of %d grid times (run ends day %.3g)", idx.name[i], n_l, T,
                     run.L.n > 0 ? run.L.t_d[run.L.n - 1] : 0.0);
            sum->n_failed++;
        }
        for (int k = 0; k < T; k++) {
            if (isfinite(lrow[k])) {
                sum->n_l_points++;
            } else {
                sum->n_l_nan++;
            }
            if (isfinite(vrow[k])) {
                sum->n_v_points++;
            } else {
                sum->n_v_nan++;
            }
        }
        snf_hydro_run_free(&run);
    }

    char source[64];
    snprintf(source, sizeof source, "hydro:%s", snf_hydro_format_name(o->format));
    const char *units[SNF_INDEX_MAX_COLS];
    for (int p = 0; p < idx.P; p++) {
        units[p] = p < 4 ? snf_axis_units((snf_axis_target)p) : "";
    }
    snf_dataset_meta meta = {.source = source, .param_names = (const char *const *)idx.param_names,
                             .param_units = units, .config_text = o->command_line, .sampler = "hydro-index",
                             .seed = 0, .deflate = 4, .chunk_rows = idx.n};
    if ((rc = snf_output_stage_path(&out, "dataset", 0, tmp, sizeof tmp)) < 0) {
        goto cleanup;
    }
    rc = snf_dataset_create(&d, tmp, &meta, idx.n, idx.P, T, t);
    if (rc < 0) {
        goto cleanup;
    }
    snf_dataset_rows rows = {.params = idx.params, .log_lbol = lg, .vph = vp, .status = status, .msg = msg,
                             .derived = der};
    rc = snf_dataset_write_block(d, 0, idx.n, &rows);
    if (rc >= 0) {
        rc = snf_dataset_mark_complete(d);
    }
    int rc2 = snf_dataset_close(d);
    d = NULL;
    if (rc >= 0) {
        rc = rc2;
    }
    if (rc < 0) {
        goto cleanup;
    }
    if ((rc = snf_output_commit(&out)) < 0) {
        goto cleanup;
    }
    sum->n_models = idx.n;
    sum->T = T;
cleanup:
    if (d) {
        snf_dataset_close(d);
    }
    snf_hydro_run_free(&run);
    snf_hydro_index_free(&idx);
    free(t);
    free(lg);
    free(vp);
    free(status);
    free(msg);
    free(der);
    snf_output_end(&out); /* removes OUT.tmp unless committed */
    return rc;
}
