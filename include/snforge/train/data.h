/* train/data.h: dataset files (h5.h) and observation files turned into network tensors for the trainer.
 * A light curve becomes C_in x L floats: the chosen series (log10 L, v_ph in km/s) interpolated linearly
 * onto L points evenly spaced over [t_start, t_end] days, standardised per series with a mean and std
 * fitted on the training rows, NaN (no value there) replaced by 0 = the series mean, and optionally one
 * mask channel per series (1 where a value exists, 0 where it was missing). Targets are log10 of
 * energy, mass, radius and nickel, standardised. Rows are read in blocks, so a training set larger than
 * memory streams through a bounded buffer. Encoded rows held in memory are one type (snf_rows: owning or a
 * view), and the batcher (snf_batcher: over a file, resident rows, or a mix of two) is the one way training
 * and scoring iterate rows. It does not train, checkpoint or parse configuration. */
#ifndef SNFORGE_TRAIN_DATA_H
#define SNFORGE_TRAIN_DATA_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_DATA_NP 4 /* targets: energy, mass, radius, nickel (the first four /params columns) */

enum { SNF_SERIES_LBOL = 0, SNF_SERIES_VPH = 1, SNF_SERIES_COUNT = 2 };
enum { SNF_CH_LBOL = 1, SNF_CH_VPH = 2, SNF_CH_BOTH = 3 }; /* bit set of the series fed to the net */

/* What the network sees. */
typedef struct snf_data_spec {
    int channels;              /* SNF_CH_LBOL, SNF_CH_VPH or SNF_CH_BOTH */
    int mask;                  /* 1: one observed/missing mask channel per series after the values */
    int L;                     /* samples per series (the network's T) */
    double t_start_d, t_end_d; /* the model grid: L points evenly spaced on [t_start, t_end] days */
} snf_data_spec;

/* Input and target standardisation (fitted on the training rows, stored in the model). */
typedef struct snf_norm {
    double x_mean[SNF_SERIES_COUNT], x_std[SNF_SERIES_COUNT]; /* log10 L (erg/s), v_ph (km/s) */
    double y_mean[SNF_DATA_NP], y_std[SNF_DATA_NP];           /* of log10 energy, mass, radius, nickel */
} snf_norm;

/* Augmentation of training batches (all off by default; applied after standardisation). */
typedef struct snf_augment {
    float noise;        /* Gaussian noise sigma, in standardised units, on observed samples */
    int shift;          /* time shift by a uniform integer in [-shift, shift] samples; vacated samples missing */
    float drop;         /* cadence dropout: each sample of each series missing with this probability */
} snf_augment;

/* [observe]: each training row re-drawn as a real observation file would give it (train/observe_draw.c): per
 * series a random cadence inside an observing window with gaps, an explosion-epoch offset, noise at a
 * row's error level, velocities missing for a share of rows; then resampled and encoded by the path
 * inference takes for an observation file (snf_obs_encode). Ranges are [lo, hi], drawn uniformly per row
 * (lo = hi: fixed). Everything off (snf_obs_aug_default) leaves the rows as they are. */
typedef struct snf_obs_aug {
    int epochs_L[2], epochs_v[2]; /* epochs per series (0 0: the series complete on the model grid) */
    double first_d[2];            /* the first epoch, days after the explosion (NaN: the grid's start) */
    double last_d[2];             /* the last epoch (NaN: the grid's end) */
    int gaps[2];                  /* gaps per series inside the window ... */
    double gap_d[2];              /* ... each this many days long */
    double t0_err_d;              /* 1-sigma explosion-epoch offset, days (one Gaussian draw per row; 0 off) */
    double L_err[2];              /* fractional 1-sigma error of L: a row's level, each epoch log-normal */
    double vph_err[2];            /* the same for v_ph */
    double vph_missing;           /* share of rows with no velocities at all */
} snf_obs_aug;

typedef struct snf_data snf_data;       /* an open dataset file + its resampling plan (opaque) */
typedef struct snf_batcher snf_batcher; /* batches over a file, resident rows, or a mix (opaque) */

/* ---- spec ---- */

/* Both series, masks on, L 128 over days 1-300. */
SNF_API snf_data_spec snf_data_spec_default(void);
/* Network input channels: series + masks. */
SNF_API int snf_data_spec_cin(const snf_data_spec *s);
/* Number of series selected (1 or 2) and which: kinds[k] = SNF_SERIES_* in channel order. */
SNF_API int snf_data_spec_series(const snf_data_spec *s, int kinds[SNF_SERIES_COUNT]);
/* "luminosity", "velocity", "both". */
SNF_API const char *snf_data_channels_name(int channels);
/* The grid time of sample j. */
SNF_API double snf_data_spec_time(const snf_data_spec *s, int j);

/* ---- encoding (pure functions) ---- */

/* One light curve already on the model grid (lbol[L] = log10 L, vph[L] in km/s, NaN = missing; either
 * may be NULL when that series is not selected) into out[C_in * L] (standardised, NaN -> 0, masks). */
SNF_API void snf_data_encode(float *out, const float *lbol, const float *vph, const snf_data_spec *s,
                     const snf_norm *norm);
/* Standardised targets y[4] from physical params p[4] (foe, Msun, cm, Msun); SNF_EINVAL if one is not
 * finite and > 0. */
SNF_API int snf_data_encode_targets(float *y, const double *p, const snf_norm *norm);
/* Physical parameters from standardised network outputs. */
SNF_API void snf_data_decode_targets(double *p, const float *y, const snf_norm *norm);

/* Augments nb encoded rows x[nb][C_in*L] in place with r's stream. */
struct snf_rng;
SNF_API void snf_data_augment(float *x, int nb, const snf_data_spec *s, const snf_augment *a, struct snf_rng *r);

/* ---- dataset files ---- */

/* Opens a dataset file for reading in blocks of block_rows rows (>= 1). SNF_EFORMAT if it is not a
 * dataset, lacks the four parameters, or its time grid does not overlap [t_start, t_end]. */
SNF_API int snf_data_open(snf_data **out, const char *path, const snf_data_spec *s, long block_rows);
SNF_API long snf_data_nrows(const snf_data *d);
/* The model grid's days (spec) outside the file's /time range [*first, *last]: their count, *below of them before
 * *first (the rest after *last). */
SNF_API int snf_data_grid_outside(const snf_data *d, double *first, double *last, int *below);
/* Provenance: the file's path, root attributes source and created ("" if absent). */
SNF_API const char *snf_data_path(const snf_data *d);
SNF_API const char *snf_data_source(const snf_data *d);
SNF_API const char *snf_data_created(const snf_data *d);

/* Rows usable for training (status >= 0, four finite positive parameters) in file order: *rows is
 * malloc'd (caller frees), *n its length; *n_skipped counts the others. */
SNF_API int snf_data_usable_rows(snf_data *d, long **rows, long *n, long *n_skipped);

/* Fits norm on rows[n] (the training rows): per series the mean and std of every finite resampled
 * value, per target the mean and std of log10. Reads blocks in file order (the result does not
 * depend on the buffer sizes). SNF_EINVAL if a series has no finite value or no spread. */
SNF_API int snf_data_fit_norm(snf_data *d, const long *rows, long n, snf_norm *norm);

/* Encodes rows[n] (any order, duplicates allowed) into x[n][C_in*L] and y[n][4] (y may be NULL),
 * in the given order, reading only the blocks that hold one of them. */
SNF_API int snf_data_load(snf_data *d, const snf_norm *norm, const long *rows, long n, float *x, float *y);

SNF_API void snf_data_close(snf_data *d);

/* ---- resident rows ---- */

/* Encoded rows in memory: the one in-memory row type (fine-tuning, the curriculum, the deployable model's
 * refit, and the batches served from memory). Row i is x[i*CL .. (i+1)*CL) (the network's C_in x L input),
 * y[i*4 ..] its standardised targets, params[i*4 ..] its physical parameters (foe, Msun, cm, Msun) and
 * ids[i] its row in the dataset file it came from. y, params and ids may be NULL (not known). An owning set
 * (owned = 1: made by snf_rows_load / _read / _subset / _join) holds its arrays, which snf_rows_free frees;
 * lowering n shortens it (the first n rows stay; free still frees everything). A view (snf_rows_view,
 * owned = 0) points at the caller's arrays, which stay the caller's. */
typedef struct snf_rows {
    float *x, *y;
    double *params;
    long *ids;
    long n;
    size_t CL; /* floats per input row */
    int owned;
} snf_rows;

/* A view of the caller's arrays x[n][CL] and y[n][4] (y may be NULL); no params, no ids. */
SNF_API snf_rows snf_rows_view(const float *x, const float *y, long n, size_t CL);
/* Encodes rows[n] of the open file d (any order, duplicates allowed; rows = NULL: every usable row, n
 * ignored) with norm into r: x, y, params (decoded from y) and ids (the file rows), owned. snf_data_load's
 * failures; SNF_ENOMEM. On failure r is empty. */
SNF_API int snf_rows_read(snf_rows *r, snf_data *d, const snf_norm *norm, const long *rows, long n);
/* The same from the dataset file at path (opened with spec, read in blocks of 1024 rows, closed). */
SNF_API int snf_rows_load(snf_rows *r, const char *path, const snf_data_spec *spec, const snf_norm *norm,
                          const long *rows, long n);
/* Copies the rows of r whose file rows are ids[n] (in that order) into out (owned; y and params when r has
 * them). SNF_EINVAL if r has no ids or one is not in r; SNF_ENOMEM. On failure out is empty. */
SNF_API int snf_rows_subset(snf_rows *out, const snf_rows *r, const long *ids, long n);
/* The first na rows of a followed by every row of b (NULL: none) into out (owned; y and params when both
 * have them; no ids: the rows may come from two files). SNF_EINVAL if the row widths differ; SNF_ENOMEM. */
SNF_API int snf_rows_join(snf_rows *out, const snf_rows *a, long na, const snf_rows *b);
/* Frees an owning set's arrays (a view's are left alone) and empties r. */
SNF_API void snf_rows_free(snf_rows *r);

/* ---- batches ---- */

/* The one way training and scoring iterate rows: a batcher serves an epoch's rows B at a time into the
 * caller's x[B][CL], y[B][4]. Epoch e visits its n rows in a permutation drawn from (seed, e) (Fisher-Yates
 * from seed ^ G (e + 1)) when shuffle = 1, in order otherwise; the last batch is partial. Three sources: */

/* (1) A dataset file: rows[n] of d (copied) encoded with norm. At most max_rows rows are encoded in memory
 * at a time (rounded down to a multiple of B, at least B; 0 = all): when n fits, the set is read once
 * (snf_rows_read) and stays resident; otherwise each epoch streams through the file in chunks. Either way
 * the batches are the same. The rows a batch reports are file rows. d must outlive the batcher. */
SNF_API int snf_batcher_alloc(snf_batcher **out, snf_data *d, const snf_norm *norm, const long *rows, long n,
                      int B, long max_rows, int shuffle, uint64_t seed);
/* (2) Resident rows r (kept, not copied: r's arrays must outlive the batcher; y must not be NULL): the same
 * batches as (1) over the same rows, the rows a batch reports being positions in r (0..n-1). cycle = 1:
 * every batch has exactly B rows, read round and round the epoch's order, and the batches never end (the
 * part mixed into each step of (3)); SNF_EINVAL then for an empty r. */
SNF_API int snf_batcher_rows(snf_batcher **out, const snf_rows *r, int B, int shuffle, uint64_t seed, int cycle);
/* (3) Mixed: each batch of `first` followed by one batch of `extra` (normally cycling), both started at the
 * same epoch; the epoch ends with `first`'s. The batcher takes both (freed with it, also when this fails).
 * snf_batcher_first_rows tells how many rows of the last batch are first's. SNF_EINVAL if the row widths
 * differ or extra is a mixed batcher itself. */
SNF_API int snf_batcher_mix(snf_batcher **out, snf_batcher *first, snf_batcher *extra);

/* Starts epoch e (rewinds). */
SNF_API int snf_batcher_start(snf_batcher *b, long epoch);
/* Next batch into x[B][C_in*L], y[B][4] (y may be NULL, but not for a cycling or mixed batcher) and, if rows
 * is not NULL, the rows of the batch (as reported by its source); *nb = its size. Returns 1 for a batch, 0
 * after the last one, < 0 on failure. */
SNF_API int snf_batcher_next(snf_batcher *b, float *x, float *y, long *rows, int *nb);
/* Rows of the last batch that came from a mixed batcher's `first` (the whole batch for the others). */
SNF_API int snf_batcher_first_rows(const snf_batcher *b);
/* Batches per epoch (a mixed batcher: first's). */
SNF_API long snf_batcher_nbatches(const snf_batcher *b);
SNF_API int snf_batcher_resident(const snf_batcher *b);
SNF_API void snf_batcher_free(snf_batcher *b);

/* ---- observation files (interfaces.md: t_d,L_erg_s,L_err,vph_km_s,vph_err) ---- */

/* The largest explosion-epoch uncertainty (1 sigma, days) an observation file, a catalogue row or a caller may
 * state: the one limit of the reader, the catalogue, `predict --t0-err` and snf_infer_answer_file. */
#define SNF_OBS_T0_ERR_MAX_D 100.0

typedef struct snf_obs {
    long n;           /* rows, sorted by time (non-decreasing: an L row and a v_ph row may share a day) */
    double *t_d;      /* [n] days since the explosion */
    double *L_erg_s;  /* [n] NaN = missing */
    double *vph_km_s; /* [n] NaN = missing */
    double *L_err;    /* [n] 1-sigma error of L_erg_s, erg/s; NaN = not given */
    double *vph_err;  /* [n] 1-sigma error of vph_km_s, km/s; NaN = not given */
    long n_L, n_v;    /* present values per series */
    long n_combined;  /* repeated epochs of a series folded into the value before them (see snf_obs_parse) */
    double t0_err_d;  /* 1-sigma uncertainty of the explosion epoch, days, from a '# t0_err_d = X' comment
                       * line; NaN when the file states none */
} snf_obs;

/* Plausible values (outside them a row is refused, naming the likely unit mistake): a supernova's
 * bolometric luminosity in erg/s (log10 L of 41-42 or a magnitude falls outside), a photospheric
 * velocity in km/s (cm/s and m/s fall outside), days since the explosion (negative or JD/MJD-like
 * values fall outside). */
#define SNF_OBS_L_MIN 1e36
#define SNF_OBS_L_MAX 1e46
#define SNF_OBS_V_MIN 100.0
#define SNF_OBS_V_MAX 50000.0
#define SNF_OBS_T_MAX_D 20000.0

/* Reads an observation CSV through the one text-table reader (fileio.h: a UTF-8 byte-order mark, CRLF
 * endings, '#' comment lines and blank lines are fine; an empty field is a missing value). Each series
 * (L, v_ph) must have non-decreasing times; rows may interleave and two rows (one with L only, one
 * with v_ph only) may share a day; the rows are returned sorted by time (stable). A series measured twice
 * on one day (two merged series, or two spectra of one night) is combined into one value: the
 * inverse-variance weighted mean with error 1/sqrt(sum 1/err^2) when every repeat has an error > 0, else
 * the plain mean without an error; o->n_combined counts the folded rows (the caller says so). A comment
 * line '# t0_err_d = X' (X >= 0 days) states the explosion epoch's 1-sigma uncertainty (o->t0_err_d). SNF_EINVAL if the
 * file does not exist, SNF_EIO if it cannot be read; SNF_EFORMAT naming file:line for a bad header, a
 * wrong number of fields, text or nan/inf in a number field, a value outside the plausible ranges above
 * (with the likely mistake: log10 L? magnitudes? cm/s? JD?), a negative uncertainty or one without its
 * value, times that decrease within a series, a bad t0_err_d line, or no values at all. */
SNF_API int snf_obs_read(snf_obs *o, const char *path);
/* The same from memory (name is used in messages); what the fuzz target drives. */
SNF_API int snf_obs_parse(snf_obs *o, const char *name, const char *buf, size_t len);
/* Interpolates the observations onto the model grid: lbol[L] (log10 L, linear in log L) and vph[L]
 * (linear in v) between the first and last value of each series, NaN outside (train/observe_grid.c). */
SNF_API void snf_obs_resample(const snf_obs *o, const snf_data_spec *s, float *lbol, float *vph);
/* The same with every time moved by shift days; shift != 0 drops the rows at or before the explosion
 * (t + shift <= 0). shift = 0 is snf_obs_resample. */
SNF_API void snf_obs_resample_shifted(const snf_obs *o, double shift, const snf_data_spec *s, float *lbol,
                                      float *vph);
/* An observation as the network's input x[C_in*L]: snf_obs_resample_shifted, then snf_data_encode of the
 * series s selects. lg, vg: L floats each (the grid values, kept for the caller). The one encoding of a
 * sparse observation: inference (infer/answer.c) and training rows drawn as observations use it. */
SNF_API void snf_obs_encode(float *x, const snf_obs *o, double shift, const snf_data_spec *s, const snf_norm *norm,
                            float *lg, float *vg);
SNF_API void snf_obs_free(snf_obs *o);

/* ---- observations as they come (train/observe_draw.c) ---- */

/* Every switch off. */
SNF_API snf_obs_aug snf_obs_aug_default(void);
/* 1 when a switch is on (then rows go through snf_data_observe), else 0. */
SNF_API int snf_obs_aug_active(const snf_obs_aug *a);
/* The observation of one curve on the model grid (lbol[L] log10 L, vph[L] km/s, NaN = none; either may be
 * NULL) into o (allocated here; snf_obs_free): per series its epochs (the window's first and last day and
 * uniform draws between, outside the gaps; or every grid sample with a value when the series' epochs are
 * off), values interpolated linearly on the grid (an epoch where the curve has none is not observed), noise,
 * the explosion-epoch offset added to every time (epochs at or before day 0 dropped), the errors stated.
 * SNF_ENOMEM. */
SNF_API int snf_obs_draw(snf_obs *o, const float *lbol, const float *vph, const snf_data_spec *s,
                         const snf_obs_aug *a, struct snf_rng *r);
/* Re-observes nb encoded rows x[nb][C_in*L] in place (decoded with norm, drawn with snf_obs_draw, encoded with
 * snf_obs_encode). Row i's draw depends only on (seed, epoch, rows[i]): not on the batch, its order, the
 * threads or the MPI ranks. SNF_ENOMEM. */
SNF_API int snf_data_observe(float *x, int nb, const long *rows, const snf_data_spec *s, const snf_norm *norm,
                             const snf_obs_aug *a, uint64_t seed, long epoch);

#ifdef __cplusplus
}
#endif

#endif
