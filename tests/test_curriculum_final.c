/* test_curriculum_final.c: the deployable model's out-of-fold bookkeeping (curriculum.h snf_curr_oof_collect)
 * and its calibration (uq.h snf_calib_fit_var_add, the /uq var_add and calibration_source round trip).
 * Fold files are written here from the fold deal itself, then spoiled one way at a time: a row the fold
 * trained on, a row it selected on, a model predicted twice, a model predicted by no fold; each is refused. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/infer.h"

#define N 11
#define K 4

static const long ids[N] = {2, 3, 5, 8, 9, 13, 14, 20, 21, 30, 31}; /* file rows need not be 0..n-1 */

/* truth of row id: a function of id; prediction: truth x (1 + 0.01 id) */
static double truth_of(long id, int k)
{
    return (1.0 + 0.1 * (double)id) * (k + 1);
}

static int put_text(void *ctx, FILE *f) { return fputs((const char *)ctx, f) < 0 ? SNF_EIO : SNF_OK; }

/* Writes fold f's tested.csv with the rows of its test list, plus extra (>= 0) and minus a dropped one (>= 0). */
static void write_fold(const char *vdir, const snf_fold *fo, int f, long extra, long drop)
{
    char p[256];
    snprintf(p, sizeof p, "%s/fold%d", vdir, f + 1);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/fold%d/tested.csv", vdir, f + 1);
    char *text = NULL;
    size_t tn = 0;
    FILE *o = open_memstream(&text, &tn); /* sealed as the program seals its fold files (fileio.h) */
    fprintf(o, "row,hydro_row,energy,mass,radius,nickel,sa_hydro_energy,sa_hydro_mass,sa_hydro_radius,sa_hydro_nickel,"
               "curriculum_energy,curriculum_mass,curriculum_radius,curriculum_nickel\n");
    long rows[N + 1], n = 0;
    for (long i = 0; i < fo->n_test; i++) {
        if (fo->test[i] != drop) {
            rows[n++] = fo->test[i];
        }
    }
    if (extra >= 0) {
        rows[n++] = extra;
    }
    for (long i = 0; i < n; i++) {
        long id = rows[i];
        fprintf(o, "%ld,%ld", i, id);
        for (int k = 0; k < 4; k++) {
            fprintf(o, ",%.9g", truth_of(id, k));
        }
        for (int k = 0; k < 4; k++) {
            fprintf(o, ",%.9g", 2 * truth_of(id, k)); /* the semi-analytic model's: never read for calibration */
        }
        for (int k = 0; k < 4; k++) {
            fprintf(o, ",%.9g", truth_of(id, k) * (1 + 0.01 * (double)id));
        }
        fprintf(o, "\n");
    }
    fclose(o);
    CHECK_INT(snf_atomic_write_sealed(p, put_text, text), SNF_OK, "write %s", p);
    free(text);
}

/* All folds written correctly, then fold `bad` (if >= 0) with extra / drop. */
static void write_all(const char *vdir, int bad, long extra, long drop)
{
    for (int f = 0; f < K; f++) {
        snf_fold fo;
        snf_fold_make(&fo, ids, N, K, 7, f);
        write_fold(vdir, &fo, f, f == bad ? extra : -1, f == bad ? drop : -1);
        snf_fold_free(&fo);
    }
}

static void test_bookkeeping(void)
{
    const char *vdir = "tcfin";
    mkdir(vdir, 0777);
    snf_curr_config c;
    memset(&c, 0, sizeof c);
    c.folds = K;
    c.split_seed = 7;
    snf_curr_oof o;
    write_all(vdir, -1, -1, -1);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_OK, "the correct fold files are accepted");
    CHECK_INT(o.n, N, "every hydro model predicted");
    int once = 1, own = 1, exact = 1;
    for (long j = 0; j < N; j++) {
        int seen = 0;
        for (long i = 0; i < o.n; i++) {
            if (o.ids[i] != ids[j]) {
                continue;
            }
            seen++;
            snf_fold fo;
            snf_fold_make(&fo, ids, N, K, 7, o.fold[i]);
            int in_test = 0, in_other = 0;
            for (long q = 0; q < fo.n_test; q++) {
                in_test |= fo.test[q] == ids[j];
            }
            for (long q = 0; q < fo.n_train; q++) {
                in_other |= fo.train[q] == ids[j];
            }
            for (long q = 0; q < fo.n_val; q++) {
                in_other |= fo.val[q] == ids[j];
            }
            own &= in_test && !in_other;
            snf_fold_free(&fo);
            for (int k = 0; k < 4; k++) {
                exact &= fabs(o.truth[i * 4 + k] / truth_of(ids[j], k) - 1) < 1e-8;
                exact &= fabs(o.pred[i * 4 + k] / (truth_of(ids[j], k) * (1 + 0.01 * (double)ids[j])) - 1) < 1e-8;
            }
        }
        once &= seen == 1;
    }
    CHECK_TRUE(once, "each model exactly once");
    CHECK_TRUE(own, "each predicted by a fold that tested it and neither trained nor selected on it");
    CHECK_TRUE(exact, "the truths and the curriculum columns are read (not the semi-analytic ones)");
    snf_curr_oof_free(&o);

    snf_fold f0;
    snf_fold_make(&f0, ids, N, K, 7, 0);
    write_all(vdir, 0, f0.train[0], -1);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_EINVAL, "a row fold 1 trained on is refused");
    CHECK_TRUE(strstr(snf_error_last_message(), "not a test model of fold 1") != NULL, "%s", snf_error_last_message());
    write_all(vdir, 0, f0.val[0], -1);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_EINVAL, "a row fold 1 selected on is refused");
    write_all(vdir, 0, f0.test[0], -1);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_EINVAL, "a model predicted twice is refused");
    CHECK_TRUE(strstr(snf_error_last_message(), "already predicted") != NULL, "%s", snf_error_last_message());
    write_all(vdir, 0, -1, f0.test[0]);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_EINVAL, "a model predicted by no fold is refused");
    CHECK_TRUE(strstr(snf_error_last_message(), "predicted by no fold") != NULL, "%s", snf_error_last_message());
    write_all(vdir, 0, 99, -1);
    CHECK_INT(snf_curr_oof_collect(&o, &c, vdir, ids, N), SNF_EINVAL, "a row outside the hydro set is refused");
    snf_fold_free(&f0);
    for (int f = 0; f < K; f++) {
        char p[256];
        snprintf(p, sizeof p, "%s/fold%d/tested.csv", vdir, f + 1);
        unlink(p);
        snprintf(p, sizeof p, "%s/fold%d", vdir, f + 1);
        rmdir(p);
    }
    rmdir(vdir);
}

static void test_var_add(void)
{
    double t[4] = {0.0, 1.0, 2.0, 3.0}, p[4] = {0.1, 0.8, 2.0, 3.3};
    CHECK_ABS(snf_calib_fit_var_add(t, p, 4), (0.01 + 0.04 + 0.0 + 0.09) / 4, 1e-15, "residual variance by hand");
    CHECK_ABS(snf_calib_fit_var_add(t, p, 0), 0.0, 0, "no rows: none");
    /* the ML property: N(0, s2) with s2 = mean r^2 has a lower mean NLL than s2 x 0.9 or x 1.1 */
    double s2 = snf_calib_fit_var_add(t, p, 4), nll[3];
    for (int j = 0; j < 3; j++) {
        double v = s2 * (0.9 + 0.1 * j);
        nll[j] = 0;
        for (int i = 0; i < 4; i++) {
            nll[j] -= snf_mix_logpdf(t[i], &p[i], &v, 1);
        }
    }
    CHECK_TRUE(nll[1] < nll[0] && nll[1] < nll[2], "mean r^2 minimises the Gaussian NLL: %g < %g, %g", nll[1], nll[0],
               nll[2]);
}

int main(void)
{
    test_bookkeeping();
    test_var_add();
    return snf_check_failures();
}
