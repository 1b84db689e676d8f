/* checkpoint_fields.h: the one table of the fields of a model / checkpoint file (checkpoint_fields.c), which
 * checkpoint.c walks to write, to read and to validate a file, in the spirit of SWIFT's io_props output
 * fields: a field added here is written, read back and checked; nothing is paired by hand (not installed). */
#ifndef SNFORGE_LEARN_CHECKPOINT_FIELDS_H
#define SNFORGE_LEARN_CHECKPOINT_FIELDS_H

#include <stddef.h>

#include <hdf5.h>

#include "snforge/train.h"

/* What a row is. Attributes are scalars of the file types int64 (INT) and double (REAL) whatever the C
 * member (int, long, uint64_t / float, double: by the member's size), or arrays of count values. */
typedef enum snf_ckf_kind {
    SNF_CKF_INT,     /* integer attribute (member of 4 or 8 bytes) */
    SNF_CKF_REAL,    /* double attribute (member float or double; count > 0: double[count]) */
    SNF_CKF_STR,     /* string attribute: char[size] member, or char * (size 0, malloc'd on read) */
    SNF_CKF_CONST,   /* string or int64 constant (text or value): written as given, read and compared (an
                      * integer: any of oldest .. value) */
    SNF_CKF_STRS,    /* string-list attribute from the strings function: written only (for other readers) */
    SNF_CKF_CHANNEL, /* int member SNF_CH_*, stored as its name (luminosity, velocity, both) */
    SNF_CKF_DSET,    /* dataset of shape[] (float, double or int64 from size_t), member array or pointer */
    SNF_CKF_CHECK,   /* no data: read calls check(c, path) here (cross-field rules); write calls put */
    SNF_CKF_INDEX,   /* a column of the tensor index (snf_ckf_index, from /net and /norm): written only */
} snf_ckf_kind;

/* Shape sources of datasets (rows; HIST: n_hist x SNF_EPOCH_RECORD_COLS, the rows read from the file). */
/* The /uq shapes: MP, MS members x nparams / nstats; OOD_D D (the rows of /uq/ood_mean), OOD_DD D x D; NREF
 * (the rows of /uq/ood_ref_d2); NEAR near_n x L (its rows the file's). Shapes whose rows are the file's (HIST,
 * OOD_D, NREF, NEAR) set their count member on read. */
typedef enum snf_ckf_shape {
    SNF_CKS_NT, SNF_CKS_NPARAMS, SNF_CKS_NSTATS, SNF_CKS_SERIES, SNF_CKS_NP, SNF_CKS_HIST,
    SNF_CKS_UQ_MP, SNF_CKS_UQ_MS, SNF_CKS_OOD_D, SNF_CKS_OOD_DD, SNF_CKS_NREF, SNF_CKS_NEAR
} snf_ckf_shape;
typedef enum snf_ckf_elem { SNF_CKE_F32, SNF_CKE_F64, SNF_CKE_SIZE } snf_ckf_elem;

/* Flags: which files carry the row and what the reader does without it. */
enum {
    SNF_CKF_PTR = 1,        /* the member is a pointer (owned after a read, freed by snf_ckpt_free) */
    SNF_CKF_OPTIONAL = 2,   /* may be absent (files before it existed): the member stays 0 */
    SNF_CKF_IF_SET = 4,     /* written only when the pointer member is set (EMA runs); read when its group exists */
    SNF_CKF_WRITE_ONLY = 8, /* derived or documentary, for readers without the C source (h5py): not read */
    SNF_CKF_UQ = 16,        /* a /uq row: written when has_uq, read by snf_ckpt_read_uq when the group exists */
};

/* Validation rules of a read file (snf_ckpt_read, after the read). */
typedef enum snf_ckf_rule {
    SNF_CKR_NONE,
    SNF_CKR_FINITE,   /* every value finite */
    SNF_CKR_POSITIVE, /* every value finite and > 0 */
    SNF_CKR_WEIGHTS,  /* every value finite (weights: "is not finite") */
    SNF_CKR_NONNEG,   /* every value finite and >= 0 */
} snf_ckf_rule;

/* The columns of the tensor index (/tensors and /norm input_channels; model_tensors.c). */
typedef enum snf_ckf_column {
    SNF_CKI_NAME, SNF_CKI_SLAB, SNF_CKI_OFFSET, SNF_CKI_RANK, SNF_CKI_SHAPE, SNF_CKI_CHANNELS
} snf_ckf_column;

#define SNF_CKF_INDEX_MAX (SNF_NET_MAX_TENSORS + 4 * SNF_NET_MAX_DEPTH)
#define SNF_CKF_NAME_LEN 32

/* The named-tensor index of a model (model_tensors.c): every trainable tensor in slab order, then every
 * BatchNorm statistic; and the network's input rows. */
typedef struct snf_ckf_index {
    int n;
    char name[SNF_CKF_INDEX_MAX][SNF_CKF_NAME_LEN];
    const char *name_p[SNF_CKF_INDEX_MAX], *slab[SNF_CKF_INDEX_MAX];
    long long offset[SNF_CKF_INDEX_MAX], rank[SNF_CKF_INDEX_MAX], shape[SNF_CKF_INDEX_MAX][3];
    int nchan;
    const char *chan[2 * SNF_SERIES_COUNT];
} snf_ckf_index;

/* Fills ix from c's /net and /norm. */
void snf_ckf_index_build(const snf_ckpt *c, snf_ckf_index *ix);

#define SNF_CKF_MAX_STRS 16

typedef struct snf_ckf {
    const char *group;  /* "" root, "net", "best", ...: the group (or dataset, for "history") holding the row */
    const char *name;   /* attribute or dataset name */
    snf_ckf_kind kind;
    size_t off, size;   /* the member of snf_ckpt: offsetof, sizeof (CONST, STRS, CHECK: unused) */
    int count;          /* attribute values (0: scalar) */
    snf_ckf_shape shape;
    snf_ckf_elem elem;
    int flags;
    snf_ckf_rule rule;
    const char *text;   /* CONST: the string (NULL: the integer value) */
    long long value;
    long long oldest;   /* CONST integer: the oldest value read (a version range; 0: value only) */
    int (*strings)(const char **v); /* STRS: fills v[SNF_CKF_MAX_STRS] and returns the count */
    int (*check)(snf_ckpt *c, const char *path); /* CHECK, read */
    int (*put)(hid_t file, const snf_ckpt *c, const char *path); /* CHECK, write (NULL: nothing) */
    int (*when)(const snf_ckpt *c); /* written only when when(c) (NULL: always); read when it holds after the
                                     * rows before it were read, OPTIONAL rows whenever present */
    snf_ckf_column column;          /* INDEX */
} snf_ckf;

extern const snf_ckf snf_ckpt_fields[];
extern const int snf_ckpt_nfields;

/* The dataset rows of a field: its shape (rows, cols; cols 0 for 1-dimensional) in c. */
void snf_ckf_dims(const snf_ckf *f, const snf_ckpt *c, unsigned long long *rows, unsigned long long *cols);

#endif
