/* test_model_compat.c: every model file written by a released snforge stays readable (issue 19 item 4).
 * tests/data/model/model_v1.h5 was written by the last release of format 1 (its PROVENANCE names the commit
 * and the commands): a 2-member Gaussian ensemble with MC dropout, calibration, the OOD fit and the
 * nearest-curve rows in /uq, and /tensors with variable-length strings. Checked here:
 *   - the file is opened by today's reader, and every /uq value it gives equals the file's own (read here
 *     with plain HDF5 calls, bit for bit), its best weights too;
 *   - today's writer rewrites it (snf_uq_model_write) and the rewritten file reads back the same checkpoint,
 *     the same /uq and the same answer for SN 1987A, bit for bit;
 *   - the rewritten file holds no variable-length string anywhere (the format's rule: fixed-length UTF-8) and
 *     today's format_version, while the old file holds the variable-length kind (so both kinds are read).
 * The CLI side (predict --json on the old file, byte for byte) is test_model_compat_cli.sh. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "snforge/core.h"
#include "snforge/infer.h"
#include "snforge/train.h"

#define MODEL_V1 SNF_SOURCE_DIR "/tests/data/model/model_v1.h5"
#define OBS SNF_SOURCE_DIR "/validation/data/sn1987a/sn1987a_obs.csv"
#define REWRITTEN "compat_v1_rewritten.h5"

/* ---- plain HDF5 reads (independent of snforge's reader) ---- */

/* Dataset name of f as type into a new buffer; its number of values in *n (0 and NULL when absent). */
static void *raw_dset(hid_t f, const char *name, hid_t type, size_t elsize, long *n)
{
    *n = 0;
    if (H5Lexists(f, "uq", H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        return NULL;
    }
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t s = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(s);
    void *buf = malloc((size_t)(np > 0 ? np : 1) * elsize);
    if (buf && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    H5Sclose(s);
    H5Dclose(d);
    *n = buf ? (long)np : 0;
    return buf;
}

static double raw_attr(hid_t f, const char *obj, const char *name)
{
    double v = NAN;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) {
        if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
            v = NAN;
        }
        H5Aclose(a);
    }
    return v;
}

/* ---- string kinds of a whole file ---- */

typedef struct kinds {
    int vlen, fixed;
    char first_vlen[256];
} kinds;

static void note_type(kinds *k, hid_t t, const char *where)
{
    if (H5Tget_class(t) != H5T_STRING) {
        return;
    }
    if (H5Tis_variable_str(t) > 0) {
        if (k->vlen++ == 0) {
            snprintf(k->first_vlen, sizeof k->first_vlen, "%s", where);
        }
    } else {
        k->fixed++;
    }
}

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    note_type(data, t, name);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static herr_t obj_cb(hid_t f, const char *name, const H5O_info_t *info, void *data)
{
    hid_t o = H5Oopen(f, name, H5P_DEFAULT);
    hsize_t idx = 0;
    H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_cb, data);
    if (info->type == H5O_TYPE_DATASET) {
        hid_t t = H5Dget_type(o);
        note_type(data, t, name);
        H5Tclose(t);
    }
    H5Oclose(o);
    return 0;
}

static kinds string_kinds(const char *path)
{
    kinds k = {0, 0, ""};
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, obj_cb, &k);
        H5Fclose(f);
    }
    return k;
}

/* The string dataset name of both files, read with snforge's one reader of either kind, is the same list. */
static void check_same_strings(const char *a, const char *b, const char *name, hsize_t want)
{
    hid_t fa = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT), fb = H5Fopen(b, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *sa = NULL, *sb = NULL;
    size_t wa = 0, wb = 0;
    hsize_t na = 0, nb = 0;
    int ra = fa < 0 ? -1 : snf_h5_get_strings(fa, name, &sa, &wa, &na, a);
    int rb = fb < 0 ? -1 : snf_h5_get_strings(fb, name, &sb, &wb, &nb, b);
    CHECK_TRUE(ra == SNF_OK && rb == SNF_OK, "/%s read from both files (variable- and fixed-length)", name);
    CHECK_TRUE(na == want && nb == want, "/%s: %llu and %llu strings, expected %llu", name, (unsigned long long)na,
               (unsigned long long)nb, (unsigned long long)want);
    int same = ra == SNF_OK && rb == SNF_OK && na == nb, nonempty = same;
    for (hsize_t k = 0; same && k < na; k++) {
        same = strcmp(sa + k * wa, sb + k * wb) == 0;
        nonempty &= sa[k * wa] != '\0';
    }
    CHECK_TRUE(same && nonempty, "/%s: the same non-empty strings (first %s)", name, sa ? sa : "?");
    free(sa);
    free(sb);
    if (fa >= 0) {
        H5Fclose(fa);
    }
    if (fb >= 0) {
        H5Fclose(fb);
    }
}

/* ---- the checks ---- */

#define SAME(a, b, n, what) CHECK_TRUE((a) != NULL && (b) != NULL && memcmp((a), (b), (n)) == 0, "%s: the same bits", what)

/* Every /uq value of m equals what the file holds. */
static void check_uq_against_file(const snf_uq_model *m, const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_TRUE(f >= 0, "%s opens with plain HDF5", path);
    if (f < 0) {
        return;
    }
    CHECK_INT(m->members, (int)raw_attr(f, "uq", "members"), "/uq members");
    CHECK_INT(m->mc_samples, (int)raw_attr(f, "uq", "mc_samples"), "/uq mc_samples");
    CHECK_INT(m->calibrated, (int)raw_attr(f, "uq", "calibrated"), "/uq calibrated");
    CHECK_INT(m->has_ranges, (int)raw_attr(f, "uq", "has_ranges"), "/uq has_ranges");
    CHECK_INT(m->has_ood, (int)raw_attr(f, "uq", "has_ood"), "/uq has_ood");
    CHECK_TRUE(m->ood_alpha == (float)raw_attr(f, "uq", "ood_alpha"), "/uq ood_alpha %g", m->ood_alpha);
    long n;
    const size_t np = m->ck.nparams, ns = m->ck.nstats;
    float *fl = raw_dset(f, "uq/member_params", H5T_NATIVE_FLOAT, sizeof(float), &n);
    CHECK_INT(n, (long)(m->members * np), "/uq/member_params values");
    SAME(fl, m->member_params, (size_t)n * sizeof(float), "/uq/member_params");
    free(fl);
    fl = raw_dset(f, "uq/member_stats", H5T_NATIVE_FLOAT, sizeof(float), &n);
    CHECK_INT(n, (long)(m->members * ns), "/uq/member_stats values");
    SAME(fl, m->member_stats, (size_t)n * sizeof(float), "/uq/member_stats");
    free(fl);
    struct { const char *name; const double *v; long want; } d[] = {
        {"uq/var_scale", m->var_scale, SNF_DATA_NP}, {"uq/range_lo", m->range_lo, SNF_DATA_NP},
        {"uq/range_hi", m->range_hi, SNF_DATA_NP},   {"uq/ood_mean", m->ood.mean, m->ood.D},
        {"uq/ood_chol", m->ood.chol, (long)m->ood.D * m->ood.D}, {"uq/ood_ref_d2", m->ood.ref_d2, m->ood.n_ref},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        double *v = raw_dset(f, d[i].name, H5T_NATIVE_DOUBLE, sizeof(double), &n);
        CHECK_INT(n, d[i].want, "/%s values", d[i].name);
        SAME(v, d[i].v, (size_t)n * sizeof(double), d[i].name);
        free(v);
    }
    double *va = raw_dset(f, "uq/var_add", H5T_NATIVE_DOUBLE, sizeof(double), &n);
    for (int k = 0; k < SNF_DATA_NP; k++) {
        CHECK_TRUE(m->var_add[k] == (va ? va[k] : 0.0), "/uq/var_add[%d] %g (0 when absent)", k, m->var_add[k]);
    }
    free(va);
    fl = raw_dset(f, "uq/near_lbol", H5T_NATIVE_FLOAT, sizeof(float), &n);
    CHECK_INT(n, m->near_n * m->ck.spec.L, "/uq/near_lbol values");
    CHECK_TRUE(fl != NULL && n > 0, "/uq/near_lbol present");
    if (fl && m->near_rows) {
        int same = 1;
        for (long i = 0; i < n; i++) { /* NaN where not observed: compare the bits */
            same &= memcmp(&fl[i], &m->near_rows[i], sizeof(float)) == 0;
        }
        CHECK_TRUE(same, "/uq/near_lbol: the same bits");
    }
    free(fl);
    fl = raw_dset(f, "best/params", H5T_NATIVE_FLOAT, sizeof(float), &n);
    CHECK_INT(n, (long)np, "/best/params values");
    SAME(fl, m->ck.best_params, np * sizeof(float), "/best/params");
    free(fl);
    H5Fclose(f);
}

/* Two readings of a model (the old file, its rewrite) hold the same checkpoint and /uq. */
static void check_same_model(const snf_uq_model *a, const snf_uq_model *b)
{
    const snf_ckpt *x = &a->ck, *y = &b->ck;
    CHECK_TRUE(memcmp(&x->net, &y->net, sizeof x->net) == 0, "the same /net");
    CHECK_TRUE(memcmp(&x->spec, &y->spec, sizeof x->spec) == 0, "the same input grid");
    CHECK_TRUE(memcmp(&x->norm, &y->norm, sizeof x->norm) == 0, "the same /norm");
    CHECK_TRUE(x->nparams == y->nparams && x->nstats == y->nstats && x->ntensors == y->ntensors, "the same sizes");
    if (x->nparams != y->nparams || x->nstats != y->nstats) {
        return;
    }
    SAME(x->params, y->params, x->nparams * sizeof(float), "/params");
    SAME(x->best_params, y->best_params, x->nparams * sizeof(float), "/best/params");
    SAME(x->best_stats, y->best_stats, x->nstats * sizeof(float), "/best/bn_stats");
    SAME(x->adam_m, y->adam_m, x->nparams * sizeof(float), "/optimizer/m");
    SAME(x->adam_v, y->adam_v, x->nparams * sizeof(float), "/optimizer/v");
    CHECK_INT(x->n_hist, y->n_hist, "history rows");
    SAME(x->hist, y->hist, (size_t)x->n_hist * sizeof *x->hist, "/history");
    CHECK_TRUE(x->epoch == y->epoch && x->finished == y->finished && x->seed == y->seed && x->step == y->step,
               "the same run state");
    CHECK_TRUE(strcmp(x->config_text, y->config_text) == 0 && strcmp(x->fingerprint, y->fingerprint) == 0 &&
               strcmp(x->data_file, y->data_file) == 0, "the same provenance");
    CHECK_TRUE(memcmp(&x->test, &y->test, sizeof x->test) == 0, "the same test metrics");
    CHECK_TRUE(a->members == b->members && a->mc_samples == b->mc_samples && a->calibrated == b->calibrated &&
               a->has_ranges == b->has_ranges && a->has_ood == b->has_ood && a->ood_alpha == b->ood_alpha &&
               a->has_nearest == b->has_nearest && a->near_n == b->near_n && a->ood.D == b->ood.D &&
               a->ood.n_ref == b->ood.n_ref, "the same /uq counts and flags");
    if (a->members != b->members || a->ood.D != b->ood.D || a->ood.n_ref != b->ood.n_ref || a->near_n != b->near_n) {
        return;
    }
    SAME(a->member_params, b->member_params, (size_t)a->members * x->nparams * sizeof(float), "/uq/member_params");
    SAME(a->member_stats, b->member_stats, (size_t)a->members * x->nstats * sizeof(float), "/uq/member_stats");
    SAME(a->var_scale, b->var_scale, sizeof a->var_scale, "/uq/var_scale");
    SAME(a->var_add, b->var_add, sizeof a->var_add, "/uq/var_add");
    SAME(a->range_lo, b->range_lo, sizeof a->range_lo, "/uq/range_lo");
    SAME(a->range_hi, b->range_hi, sizeof a->range_hi, "/uq/range_hi");
    SAME(a->ood.mean, b->ood.mean, (size_t)a->ood.D * sizeof(double), "/uq/ood_mean");
    SAME(a->ood.chol, b->ood.chol, (size_t)a->ood.D * a->ood.D * sizeof(double), "/uq/ood_chol");
    SAME(a->ood.ref_d2, b->ood.ref_d2, (size_t)a->ood.n_ref * sizeof(double), "/uq/ood_ref_d2");
    SAME(a->near_rows, b->near_rows, (size_t)a->near_n * x->spec.L * sizeof(float), "/uq/near_lbol");
    CHECK_TRUE(strcmp(a->calib_source, b->calib_source) == 0, "the same calibration_source");
}

int main(void)
{
    snf_uq_model old, re;
    int rc = snf_uq_model_open(&old, MODEL_V1, 8);
    CHECK_INT(rc, SNF_OK, "today's reader opens %s (%s)", MODEL_V1, rc < 0 ? snf_error_last_message() : "");
    if (rc < 0) {
        return snf_check_failures();
    }
    CHECK_INT(old.members, 2, "the committed file is a 2-member ensemble");
    CHECK_INT(old.mc_samples, 2, "with 2 dropout passes");
    CHECK_TRUE(old.calibrated && old.has_ood && old.has_nearest && old.has_ranges, "calibrated, OOD, nearest rows, ranges");
    check_uq_against_file(&old, MODEL_V1);
    kinds k_old = string_kinds(MODEL_V1);
    CHECK_TRUE(k_old.vlen > 0, "the format-1 file holds variable-length strings (%d; first %s): the old kind is read",
               k_old.vlen, k_old.first_vlen);

    snf_uq_pred p_old, p_re;
    rc = snf_infer_answer_file(&old, OBS, -1, &p_old, NULL);
    CHECK_INT(rc, SNF_OK, "SN 1987A answered on the old file");
    /* the library's own checks, as the command line's: an epoch uncertainty over the one limit, no file */
    rc = snf_infer_answer_file(&old, OBS, SNF_OBS_T0_ERR_MAX_D * 10, &p_re, NULL);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last_message(), "t0_err_d 1000 days") != NULL,
               "t0_err_d 1000 refused by the library: %s", snf_error_last_message());
    rc = snf_infer_answer_file(&old, NULL, -1, &p_re, NULL);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last_message(), "no observation file") != NULL,
               "a NULL path refused by name: %s", snf_error_last_message());

    remove(REWRITTEN);
    rc = snf_uq_model_write(&old, REWRITTEN);
    CHECK_INT(rc, SNF_OK, "today's writer rewrites it (%s)", rc < 0 ? snf_error_last_message() : "");
    rc = rc < 0 ? rc : snf_uq_model_open(&re, REWRITTEN, 8);
    CHECK_INT(rc, SNF_OK, "and reads the rewrite back (%s)", rc < 0 ? snf_error_last_message() : "");
    if (rc >= 0) {
        check_same_model(&old, &re);
        check_uq_against_file(&re, REWRITTEN);
        rc = snf_infer_answer_file(&re, OBS, -1, &p_re, NULL);
        CHECK_INT(rc, SNF_OK, "SN 1987A answered on the rewrite");
        CHECK_TRUE(rc >= 0 && memcmp(&p_old, &p_re, sizeof p_old) == 0, "the same answer, bit for bit");
        kinds k_new = string_kinds(REWRITTEN);
        CHECK_INT(k_new.vlen, 0, "the rewrite holds no variable-length string (first: %s)", k_new.first_vlen);
        CHECK_TRUE(k_new.fixed > 0, "its strings are fixed-length (%d)", k_new.fixed);
        hsize_t nt = 0;
        hid_t fo = H5Fopen(MODEL_V1, H5F_ACC_RDONLY, H5P_DEFAULT);
        CHECK_TRUE(fo >= 0 && snf_h5_get_dims(fo, "tensors/offset", 1, &nt, MODEL_V1) == SNF_OK && nt > 0,
                   "the old file's tensor index has %llu rows", (unsigned long long)nt);
        if (fo >= 0) {
            H5Fclose(fo);
        }
        check_same_strings(MODEL_V1, REWRITTEN, "tensors/name", nt);
        check_same_strings(MODEL_V1, REWRITTEN, "tensors/slab", nt);
        hid_t f = H5Fopen(REWRITTEN, H5F_ACC_RDONLY, H5P_DEFAULT);
        double v = f >= 0 ? raw_attr(f, "/", "format_version") : NAN;
        CHECK_INT((int)v, SNF_MODEL_FORMAT_VERSION, "the rewrite carries today's format_version");
        if (f >= 0) {
            H5Fclose(f);
        }
        snf_uq_model_free(&re);
    }
    snf_uq_model_free(&old);
    return snf_check_failures();
}
