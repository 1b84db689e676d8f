#define _GNU_SOURCE /* setenv, flock */
/* test_files.c: files and inputs you can trust (issue 12), at the library level:
 * the one text-table reader (BOM, CRLF, comments, empty fields, NUL bytes, file:line), observation files
 * (plausible units with the likely mistake named, times increasing per series, sorted rows), the atomic
 * writer and the output lock, HDF5 files (checksummed format, fixed-length strings, the layout checked on
 * every open, models with a bad normalisation refused, damaged and old files, the guard's crash and hang
 * detection, the verification of a .tmp before resuming it) and error messages built from themselves.
 * Expected values are written out by hand; damaged inputs are the cases of tests/data/cases. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "check.h"
#include "snforge/train.h"
#include "snforge/core.h"
#include "snforge/grids.h"

#define CASES SNF_SOURCE_DIR "/tests/data/cases"

static void write_bytes(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(text, 1, n, f);
        fclose(f);
    }
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- the text-table reader ---- */

static void test_text_reader(void)
{
    const char raw[] = "\xEF\xBB\xBF# comment\r\n\r\n  a, b ,c\r\n#x\n1,,3";
    write_bytes("t_bom.csv", raw, sizeof raw - 1);
    char *buf = NULL;
    size_t len = 0;
    int rc = snf_text_slurp("t_bom.csv", "table", &buf, &len);
    CHECK_INT(rc, SNF_OK, "slurp");
    CHECK_TRUE(buf && buf[0] == '#', "byte-order mark dropped (first byte '%c')", buf ? buf[0] : '?');
    CHECK_INT(len, sizeof raw - 1 - 3, "length without the mark");
    snf_text_lines it = snf_text_lines_init(buf, len);
    const char *s;
    size_t n;
    CHECK_INT(snf_text_next(&it, &s, &n), 1, "first line");
    CHECK_TRUE(n == 7 && memcmp(s, "a, b ,c", 7) == 0 && it.line == 3, "comments and blank lines skipped, CR and blanks "
               "trimmed: '%.*s' line %d", (int)n, s, it.line);
    const char *fs[4];
    size_t fl[4];
    int nf = snf_csv_split(s, n, fs, fl, 4);
    CHECK_TRUE(nf == 3 && fl[0] == 1 && fl[1] == 1 && fs[1][0] == 'b' && fl[2] == 1, "split at commas, trimmed");
    CHECK_INT(snf_text_next(&it, &s, &n), 1, "second line");
    CHECK_INT(it.line, 5, "line numbers count every line (CRLF ones too)");
    nf = snf_csv_split(s, n, fs, fl, 4);
    double v[3];
    int e0 = snf_csv_number(fs[0], fl[0], &v[0]), e1 = snf_csv_number(fs[1], fl[1], &v[1]);
    CHECK_TRUE(nf == 3 && e0 == 0 && v[0] == 1 && e1 == 0 && isnan(v[1]), "an empty field is a missing value (NaN)");
    CHECK_INT(snf_text_next(&it, &s, &n), 0, "end");
    free(buf);

    double x;
    CHECK_INT(snf_csv_number("1.5D+03", 7, &x), 0, "Fortran exponent");
    CHECK_REL(x, 1500, 0, "1.5D+03");
    CHECK_INT(snf_csv_number("nan", 3, &x), -2, "nan is not finite");
    CHECK_INT(snf_csv_number("1e999", 5, &x), -2, "overflow is not finite");
    CHECK_INT(snf_csv_number("12abc", 5, &x), -1, "trailing text");
    CHECK_INT(snf_csv_number("1e-320", 6, &x), 0, "an underflow to a tiny value is fine");

    write_bytes("t_nul.csv", "a\nb\n\0c\n", 7);
    rc = snf_text_slurp("t_nul.csv", "table", &buf, &len);
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "t_nul.csv:3: binary data") != NULL,
               "a NUL byte names file:line (%s)", snf_error_last_message());
    rc = snf_text_slurp("t_missing.csv", "observation file", &buf, &len);
    CHECK_TRUE(rc == SNF_EINVAL && strstr(snf_error_last_message(), "No such file") != NULL,
               "a missing file is the user's input, with errno's text (%s)", snf_error_last_message());

    /* Every CSV snforge reads skips the mark: the hydro table and index readers too. */
    snf_hydro_table t;
    snf_hydro_table_opts o = snf_hydro_table_opts_default();
    const char tab[] = "\xEF\xBB\xBF" "1,2\r\n3,4\r\n";
    rc = snf_hydro_table_parse(&t, "tab.csv", tab, sizeof tab - 1, &o);
    CHECK_TRUE(rc == SNF_OK && t.nrows == 2 && t.ncols == 2 && t.v[3] == 4, "hydro table with BOM and CRLF (%s)",
               rc ? snf_error_last_message() : "ok");
    snf_hydro_table_free(&t);
    write_text("t_idx.csv", "\xEF\xBB\xBFpath,energy,mass,radius,nickel\r\nrun1,1.2,15,3e13,0.07\r\n");
    snf_hydro_index idx;
    rc = snf_hydro_index_read(&idx, "t_idx.csv");
    CHECK_TRUE(rc == SNF_OK && idx.n == 1 && idx.params[1] == 15 && strcmp(idx.name[0], "run1") == 0,
               "hydro index with BOM and CRLF (%s)", rc ? snf_error_last_message() : "ok");
    if (rc == SNF_OK) {
        snf_hydro_index_free(&idx);
    }
    remove("t_bom.csv");
    remove("t_nul.csv");
    remove("t_idx.csv");
}

/* ---- observation files ---- */

static void test_observations(void)
{
    snf_obs o;
    /* The cases: log10 L refused naming file:line and the likely mistake; same-day rows and a BOM accepted. */
    int rc = snf_obs_read(&o, CASES "/obs-log10-luminosity/logL.csv");
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "logL.csv:") != NULL &&
                   strstr(snf_error_last_message(), "log10") != NULL,
               "log10 L refused, naming the file and log10 (%s)", snf_error_last_message());
    rc = snf_obs_read(&o, CASES "/obs-same-day-rows/sameday.csv");
    CHECK_INT(rc, SNF_OK, "an L-only and a v-only row on one day (%s)", rc ? snf_error_last_message() : "ok");
    if (rc == SNF_OK) {
        int sorted = 1;
        for (long i = 1; i < o.n; i++) {
            sorted &= o.t_d[i] >= o.t_d[i - 1];
        }
        CHECK_TRUE(sorted && o.n_L > 0 && o.n_v > 0, "rows sorted by time, both series present");
        snf_obs_free(&o);
    }
    rc = snf_obs_read(&o, CASES "/csv-bom/bom.csv");
    CHECK_INT(rc, SNF_OK, "a spreadsheet's byte-order mark (%s)", rc ? snf_error_last_message() : "ok");
    snf_obs_free(&o);

    /* Two tables one after the other (all L, then all v_ph): each series increases, rows do not. */
    const char *two = "t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e42,,,\n5,2e42,,,\n9,1e42,,,\n2,,,9000,\n6,,,7000,\n";
    rc = snf_obs_parse(&o, "two.csv", two, strlen(two));
    CHECK_INT(rc, SNF_OK, "two series one after the other (%s)", rc ? snf_error_last_message() : "ok");
    if (rc == SNF_OK) {
        CHECK_TRUE(o.n == 5 && o.t_d[1] == 2 && o.vph_km_s[1] == 9000 && o.t_d[4] == 9 && o.L_erg_s[4] == 1e42,
                   "sorted: day 2 (v 9000) second, day 9 (L 1e42) last");
        snf_data_spec s = {.channels = SNF_CH_BOTH, .L = 9, .t_start_d = 1, .t_end_d = 9};
        float lg[9], vg[9];
        snf_obs_resample(&o, &s, lg, vg);
        CHECK_REL(lg[2], log10(1e42) + (log10(2e42) - log10(1e42)) * 0.5, 1e-6, "L at day 3: halfway in log L");
        CHECK_REL(vg[3], 8000, 1e-6, "v at day 4: halfway between days 2 and 6");
        snf_obs_free(&o);
    }
    struct {
        const char *row, *want;
    } bad[] = {
        {"1,41.5,,,", "log10 of L"},
        {"1,-17.2,,,", "magnitude"},
        {"1,12.5,,,", "magnitude"},
        {"1,5e8,,,", "solar luminosities"},
        {"1,3e34,,,", "in W"},
        {"1,1e50,,,", "not a supernova's luminosity"},
        {"1,,,9e8,", "cm/s"},
        {"1,,,9e6,", "m/s"},
        {"1,,,0.03,", "fraction of c"},
        {"1,,,9.5,", "1000 km/s"},
        {"-3,1e42,,,", "before the explosion"},
        {"2446850.5,1e42,,,", "a Julian date"},
        {"46850.5,1e42,,,", "modified Julian date"},
        {"1,1e42,-1,,", "uncertainties must be >= 0"},
        {"1,,2e40,,", "an uncertainty without its value"},
        {"1,nan,,,", "is not a finite number"},
        {"1,bright,,,", "is not a number"},
        {",1e42,,,", "t_d is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "# c\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n%s\n", bad[i].row);
        rc = snf_obs_parse(&o, "bad.csv", text, strlen(text));
        CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "bad.csv:3:") != NULL &&
                       strstr(snf_error_last_message(), bad[i].want) != NULL,
                   "row '%s' refused with '%s' (%s)", bad[i].row, bad[i].want, snf_error_last_message());
    }
    /* A series measured twice on one day is combined, never refused: inverse-variance weights when every
     * repeat has an error (v_ph: 8000 +- 100 and 7000 +- 200 -> (8000/1e4 + 7000/4e4) / (1/1e4 + 1/4e4) = 7800,
     * error 1/sqrt(1/1e4 + 1/4e4) = 89.44), the plain mean without an error otherwise (L: 2e42, 4e42, 6e42 with
     * one error missing -> 4e42); a decreasing time is still refused, naming both lines. */
    const char *dup = "# t0_err_d = 2.5\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e42,,,\n3,,,8000,100\n3,2e42,1e41,,\n"
                      "3,,,7000,200\n3,4e42,,,\n3,6e42,3e41,,\n4,5e42,,,\n";
    rc = snf_obs_parse(&o, "dup.csv", dup, strlen(dup));
    CHECK_TRUE(rc == SNF_OK && o.n == 4 && o.n_L == 3 && o.n_v == 1 && o.n_combined == 3, "repeats folded (%s): n %ld "
               "n_L %ld n_v %ld combined %ld", rc < 0 ? snf_error_last_message() : "ok", o.n, o.n_L, o.n_v, o.n_combined);
    CHECK_REL(o.vph_km_s[1], 7800.0, 1e-12, "inverse-variance mean of the two v_ph values");
    CHECK_REL(o.vph_err[1], 1.0 / sqrt(1.0 / 1e4 + 1.0 / 4e4), 1e-12, "its error");
    CHECK_REL(o.L_erg_s[2], 4e42, 1e-12, "plain mean of three L values, one without an error");
    CHECK_TRUE(isnan(o.L_err[2]), "no error for a mean with an unweighted member");
    CHECK_REL(o.t0_err_d, 2.5, 0, "the explosion epoch's uncertainty from '# t0_err_d = 2.5'");
    snf_obs_free(&o);
    const char *dec = "t_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e42,,,\n3,,,8000,\n4,2e42,,,\n2,,,7000,\n";
    rc = snf_obs_parse(&o, "dec.csv", dec, strlen(dec));
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "dec.csv:5: t_d 2 is before 3 (line 3)") != NULL,
               "a decreasing time within the v_ph series names both lines (%s)", snf_error_last_message());
    const char *t0bad = "# t0_err_d = -1\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e42,,,\n";
    rc = snf_obs_parse(&o, "t0.csv", t0bad, strlen(t0bad));
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "t0.csv:1: t0_err_d '-1'") != NULL,
               "a negative t0_err_d is refused naming the line (%s)", snf_error_last_message());
    const char *crlf = "\xEF\xBB\xBFt_d,L_erg_s,L_err,vph_km_s,vph_err\r\n10,1e42,1e41,5000,100\r\n";
    rc = snf_obs_parse(&o, "crlf.csv", crlf, strlen(crlf));
    CHECK_TRUE(rc == SNF_OK && o.n == 1 && o.vph_km_s[0] == 5000, "BOM and CRLF from memory too");
    snf_obs_free(&o);
}

/* ---- atomic writes and locks ---- */

static int write_hello(void *ctx, FILE *f)
{
    (void)ctx;
    fputs("hello\n", f);
    return SNF_OK;
}

static void test_atomic_and_lock(void)
{
    remove("t_atomic.txt");
    int rc = snf_atomic_write_text("t_atomic.txt", write_hello, NULL);
    CHECK_INT(rc, SNF_OK, "atomic write");
    CHECK_TRUE(file_exists("t_atomic.txt") && !file_exists("t_atomic.txt.tmp"), "file there, no .tmp left");
    rc = snf_atomic_write_text("no_such_dir/x.txt", write_hello, NULL);
    CHECK_TRUE(rc == SNF_EIO && strstr(snf_error_last_message(), "No such file or directory") != NULL,
               "a failing write carries errno's text (%s)", snf_error_last_message());
    if (file_exists("/dev/full")) {
        FILE *f = fopen("/dev/full", "w");
        if (f) {
            fputs("x", f);
            rc = snf_file_close_checked(f, "/dev/full");
            CHECK_TRUE(rc == SNF_EIO && strstr(snf_error_last_message(), "No space left on device") != NULL,
                       "a full device is reported with errno's text (%s)", snf_error_last_message());
        }
    }
    int a = snf_lock_output("t_locked.h5");
    CHECK_TRUE(a >= 0, "first lock");
    int b = snf_lock_output("t_locked.h5");
    CHECK_TRUE(b == SNF_EIO && strstr(snf_error_last_message(), "being written by another snforge run") != NULL,
               "second lock refused (%s)", snf_error_last_message());
    snf_unlock_output(a, "t_locked.h5");
    CHECK_TRUE(!file_exists("t_locked.h5.lock"), "lock file removed on release");
    b = snf_lock_output("t_locked.h5");
    CHECK_TRUE(b >= 0, "lock again after release");
    snf_unlock_output(b, "t_locked.h5");
    remove("t_atomic.txt");
}

/* ---- sealed text: every changed byte refused; staged folders put in place whole ---- */

static int write_scores(void *ctx, FILE *f)
{
    (void)ctx;
    fputs("row,n,energy\nsa_sa,10,1.25\ncurriculum,4,17.5\n", f);
    return SNF_OK;
}

static void test_sealed_and_staged(void)
{
    CHECK_INT(snf_atomic_write_sealed("t_sealed.csv", write_scores, NULL), SNF_OK, "sealed write");
    char *buf = NULL;
    size_t len = 0;
    CHECK_INT(snf_text_slurp_sealed("t_sealed.csv", "scores", &buf, &len), SNF_OK, "sealed read");
    CHECK_TRUE(buf && len == 45 && strcmp(buf, "row,n,energy\nsa_sa,10,1.25\ncurriculum,4,17.5\n") == 0,
               "the text comes back without its seal (%zu bytes)", len);
    free(buf);
    FILE *f = fopen("t_sealed.csv", "rb");
    char orig[256];
    size_t n = f ? fread(orig, 1, sizeof orig, f) : 0;
    if (f) {
        fclose(f);
    }
    int refused = 0;
    for (size_t k = 0; k < n; k++) { /* every byte, the seal's too, changed in turn */
        char mod[256];
        memcpy(mod, orig, n);
        mod[k] ^= (char)(k % 2 ? 0x01 : 0x5a);
        f = fopen("t_sealed.csv", "wb");
        fwrite(mod, 1, n, f);
        fclose(f);
        buf = NULL;
        int rc = snf_text_slurp_sealed("t_sealed.csv", "scores", &buf, &len);
        refused += rc == SNF_EINVAL && strstr(snf_error_last_message(), "t_sealed.csv is damaged") != NULL;
        free(buf);
    }
    CHECK_TRUE(n > 45 && refused == (int)n, "every one of the %zu bytes changed is refused as damaged (%d)", n, refused);
    f = fopen("t_sealed.csv", "wb");
    fwrite(orig, 1, 45, f); /* the seal cut off */
    fclose(f);
    buf = NULL;
    CHECK_INT(snf_text_slurp_sealed("t_sealed.csv", "scores", &buf, &len), SNF_EINVAL, "a file without its seal");
    free(buf);
    remove("t_sealed.csv");

    /* a staged folder: the old one stays whole until commit, then the new one replaces it whole */
    snf_output o;
    char dir[4300], p[4400];
    CHECK_INT(snf_output_begin(&o, "t_out", 1), SNF_OK, "begin a folder output");
    CHECK_INT(snf_output_stage_dir(&o, "curves", dir, sizeof dir), SNF_OK, "stage a folder");
    snprintf(p, sizeof p, "%s/a.csv", dir);
    f = fopen(p, "w");
    fputs("old\n", f);
    fclose(f);
    CHECK_INT(snf_output_commit(&o), SNF_OK, "commit the first folder");
    snf_output_end(&o);
    CHECK_TRUE(file_exists("t_out/curves/a.csv") && !file_exists("t_out/curves.tmp"), "the folder in place");
    CHECK_INT(snf_output_begin(&o, "t_out", 1), SNF_OK, "begin again");
    CHECK_INT(snf_output_stage_dir(&o, "curves", dir, sizeof dir), SNF_OK, "stage again");
    snprintf(p, sizeof p, "%s/b.csv", dir);
    f = fopen(p, "w");
    fputs("new\n", f);
    fclose(f);
    CHECK_TRUE(file_exists("t_out/curves/a.csv") && !file_exists("t_out/curves/b.csv"), "old folder whole before commit");
    CHECK_INT(snf_output_commit(&o), SNF_OK, "commit the second folder");
    snf_output_end(&o);
    CHECK_TRUE(!file_exists("t_out/curves/a.csv") && file_exists("t_out/curves/b.csv") &&
               !file_exists("t_out/curves.tmp") && !file_exists("t_out/curves.old"), "the new folder replaced it whole");
    CHECK_INT(snf_output_begin(&o, "t_out", 1), SNF_OK, "begin a run that fails");
    CHECK_INT(snf_output_stage_dir(&o, "curves", dir, sizeof dir), SNF_OK, "stage");
    snprintf(p, sizeof p, "%s/c.csv", dir);
    f = fopen(p, "w");
    fclose(f);
    snf_output_end(&o); /* no commit: a failed run */
    CHECK_TRUE(file_exists("t_out/curves/b.csv") && !file_exists("t_out/curves.tmp"),
               "a failed run leaves the old folder and removes its staged one");
    remove("t_out/curves/b.csv");
    rmdir("t_out/curves");
    rmdir("t_out");
}

/* ---- error messages ---- */

static void test_error_messages(void)
{
    snf_error_report(SNF_EIO, "x.c", 1, "f", "first %s", "reason");
    snf_error_report(SNF_EIO, "x.c", 2, "g", "wrapped: %s", snf_error_last_message());
    CHECK_TRUE(strcmp(snf_error_last_message(), "wrapped: first reason") == 0,
               "a message built from the previous one (%s)", snf_error_last_message());
}

/* ---- HDF5 ---- */

static int crash_check(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    raise(SIGSEGV);
    return 0;
}

static int hang_check(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    for (;;) {
        pause();
    }
    return 0;
}

static int ok_check(const char *path, void *ctx)
{
    (void)path;
    (void)ctx;
    return snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__, "%s: bad layout", path); /* no crash */
}

static int make_dataset(const char *path)
{
    double t[4] = {1, 2, 3, 4}, params[2 * 4] = {1, 15, 3e13, 0.07, 1.2, 14, 4e13, 0.06};
    float L[2 * 4] = {42, 42.1, 42.2, 42.1, 41.9, 42, 42.1, 42}, V[2 * 4] = {9000, 8000, 7000, 6000, 9, 8, 7, 6};
    int st[2] = {0, 0};
    const char *names[4] = {"energy", "mass", "radius", "nickel"}, *units[4] = {"foe", "Msun", "cm", "Msun"};
    snf_dataset_meta meta = {.source = "semi-analytic:flux", .param_names = names, .param_units = units,
                             .config_text = "x", .sampler = "single", .deflate = 1, .chunk_rows = 2};
    remove(path);
    return snf_dataset_write_rows(path, &meta, 2, 4, 4, t, params, L, V, st, NULL);
}

/* Opens path read-write with plain HDF5 and applies one change. */
static void h5_edit(const char *path, int what)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) {
        return;
    }
    if (what == 0) { /* NaN in /time */
        hid_t d = H5Dopen2(f, "time", H5P_DEFAULT);
        double t[4] = {1, NAN, 3, 4};
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t);
        H5Dclose(d);
    } else if (what == 1) { /* unknown format_version */
        snf_h5_attr_put_long(f, "format_version", 7, path);
    } else if (what == 2) { /* constant /time */
        hid_t d = H5Dopen2(f, "time", H5P_DEFAULT);
        double t[4] = {2, 2, 2, 2};
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t);
        H5Dclose(d);
    } else if (what == 3) { /* repeated parameter names */
        hid_t d = H5Dopen2(f, "params", H5P_DEFAULT);
        const char *names[4] = {"energy", "mass", "mass", "nickel"};
        snf_h5_attr_put_strings(d, "names", names, 4, path);
        H5Dclose(d);
    } else if (what == 4) { /* status as float */
        H5Ldelete(f, "status", H5P_DEFAULT);
        hsize_t n = 2;
        hid_t s = H5Screate_simple(1, &n, NULL);
        hid_t d = H5Dcreate2(f, "status", H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dclose(d);
        H5Sclose(s);
    } else if (what == 5) { /* complete = 0 */
        snf_h5_attr_put_long(f, "complete", 0, path);
    }
    H5Fclose(f);
}

static void test_hdf5(void)
{
    snf_h5_quiet();
    int rc = make_dataset("t_ds.h5");
    CHECK_INT(rc, SNF_OK, "write a small dataset (%s)", rc ? snf_error_last_message() : "ok");
    /* Format: superblock version >= 2 (checksummed metadata), fixed-length strings. */
    FILE *f = fopen("t_ds.h5", "rb");
    unsigned char sb[16] = {0};
    if (f) {
        CHECK_INT(fread(sb, 1, 16, f), 16, "read the superblock");
        fclose(f);
    }
    CHECK_TRUE(memcmp(sb, "\x89HDF\r\n\x1a\n", 8) == 0 && sb[8] >= 2, "superblock version %d (>= 2: checksums)", sb[8]);
    hid_t h = H5Fopen("t_ds.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = H5Aopen(h, "format", H5P_DEFAULT), t = H5Aget_type(a);
    CHECK_TRUE(H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0, "string attributes are fixed-length");
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(h);
    snf_dataset *d = NULL;
    rc = snf_dataset_open(&d, "t_ds.h5", 0);
    CHECK_INT(rc, SNF_OK, "a valid file opens (%s)", rc ? snf_error_last_message() : "ok");
    if (d) {
        CHECK_INT(snf_dataset_require_complete(d), SNF_OK, "and is complete");
        snf_dataset_close(d);
    }
    const char *want[6] = {"/time[1] is nan", "format_version 7 is not known", "/time[1] = 2 is not after",
                           "name 'mass' appears twice", "/status is not of an integer type", "not marked complete"};
    for (int k = 0; k < 6; k++) {
        make_dataset("t_bad.h5");
        h5_edit("t_bad.h5", k);
        d = NULL;
        rc = snf_dataset_open(&d, "t_bad.h5", 0);
        if (rc == SNF_OK && k == 5) {
            rc = snf_dataset_require_complete(d);
        }
        CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "t_bad.h5") != NULL &&
                       strstr(snf_error_last_message(), want[k]) != NULL,
                   "layout violation %d refused naming the file and '%s' (%s)", k, want[k], snf_error_last_message());
        snf_dataset_close(d);
    }
    /* The cases: a dataset with NaN in /time, a damaged model, a model with a zero standard deviation. */
    rc = snf_dataset_open(&d, CASES "/dataset-nan-time/data.h5", 0);
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "/time") != NULL, "case dataset-nan-time (%s)",
               snf_error_last_message());
    snf_ckpt ck;
    rc = snf_ckpt_read(&ck, CASES "/hdf5-one-flipped-byte/model.h5");
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "model.h5") != NULL,
               "case hdf5-one-flipped-byte: an error, not a crash (%s)", snf_error_last_message());
    rc = snf_ckpt_read(&ck, CASES "/checkpoint-zero-std/model.h5");
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "/norm/") != NULL,
               "case checkpoint-zero-std (%s)", snf_error_last_message());
    rc = snf_ckpt_read(&ck, CASES "/dataset-nan-time/model.h5");
    CHECK_INT(rc, SNF_OK, "a model written before this change (variable-length strings) still reads (%s)",
              rc ? snf_error_last_message() : "ok");
    if (rc == SNF_OK) {
        /* written again, it is in the new format and reads the same */
        rc = snf_ckpt_write("t_model.h5", &ck);
        snf_ckpt c2;
        int rc2 = rc == SNF_OK ? snf_ckpt_read(&c2, "t_model.h5") : rc;
        CHECK_TRUE(rc2 == SNF_OK && c2.nparams == ck.nparams &&
                       memcmp(c2.best_params, ck.best_params, ck.nparams * sizeof(float)) == 0 &&
                       c2.norm.y_std[2] == ck.norm.y_std[2] && strcmp(c2.config_text, ck.config_text) == 0,
                   "old model rewritten in the new format: same weights, normalisation, config text");
        if (rc2 == SNF_OK) {
            snf_ckpt_free(&c2);
        }
        snf_ckpt_free(&ck);
    }
    /* The guard: a crash or a hang of the reader is a damaged file, an error return is not. */
    rc = snf_h5_guard("t_ds.h5", "test file", crash_check, NULL, 5);
    CHECK_TRUE(rc == SNF_EFORMAT && (strstr(snf_error_last_message(), "crashed libhdf5") != NULL ||
                                     strstr(snf_error_last_message(), "sanitizer") != NULL),
               "crash caught (a signal, or a sanitizer's exit in an ASan build) (%s)", snf_error_last_message());
    rc = snf_h5_guard("t_ds.h5", "test file", hang_check, NULL, 1);
    CHECK_TRUE(rc == SNF_EFORMAT && strstr(snf_error_last_message(), "did not finish in 1 s") != NULL,
               "hang caught (%s)", snf_error_last_message());
    rc = snf_h5_guard("t_ds.h5", "test file", ok_check, NULL, 5);
    CHECK_TRUE(rc == SNF_EFORMAT && strcmp(snf_error_last_message(), "t_ds.h5: bad layout") == 0,
               "a check's error comes back as it is, not as a crash (%s)", snf_error_last_message());

    /* A .tmp is verified against the campaign before resuming: any attribute changed is found. */
    double tt[4] = {1, 2, 3, 4};
    const char *names[4] = {"energy", "mass", "radius", "nickel"}, *units[4] = {"foe", "Msun", "cm", "Msun"};
    snf_dataset_meta meta = {.source = "semi-analytic:flux", .param_names = names, .param_units = units,
                             .config_text = "cfg", .sampler = "sobol", .seed = 5, .deflate = 1, .chunk_rows = 2};
    const char *attr[4] = {"seed", "sampler", "units", "time"};
    for (int k = 0; k < 5; k++) {
        remove("t_tmp.h5");
        rc = snf_dataset_create(&d, "t_tmp.h5", &meta, 2, 4, 4, tt);
        snf_dataset_close(d);
        h = H5Fopen("t_tmp.h5", H5F_ACC_RDWR, H5P_DEFAULT);
        if (k == 0) {
            snf_h5_attr_put_long(h, "seed", 6, "t_tmp.h5");
        } else if (k == 1) {
            snf_h5_attr_put_string(h, "sampler", "sobel", "t_tmp.h5");
        } else if (k == 2) {
            hid_t v = H5Dopen2(h, "vph", H5P_DEFAULT);
            snf_h5_attr_put_string(v, "units", "km/h", "t_tmp.h5");
            H5Dclose(v);
        } else if (k == 3) {
            hid_t v = H5Dopen2(h, "time", H5P_DEFAULT);
            double t2[4] = {1, 2, 3, 4.5};
            H5Dwrite(v, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t2);
            H5Dclose(v);
        }
        H5Fclose(h);
        d = NULL;
        rc = snf_dataset_open(&d, "t_tmp.h5", 1);
        int rv = rc == SNF_OK ? snf_dataset_verify(d, &meta, 2, 4, 4, tt) : rc;
        if (k < 4) {
            CHECK_TRUE(rv == SNF_EFORMAT && strstr(snf_error_last_message(), attr[k]) != NULL,
                       ".tmp with a changed %s found before resuming (%s)", attr[k], snf_error_last_message());
        } else {
            CHECK_INT(rv, SNF_OK, "an unchanged .tmp verifies (%s)", rv ? snf_error_last_message() : "ok");
        }
        snf_dataset_close(d);
    }
    remove("t_ds.h5");
    remove("t_bad.h5");
    remove("t_tmp.h5");
    remove("t_model.h5");
}

int main(void)
{
    test_text_reader();
    test_observations();
    test_atomic_and_lock();
    test_sealed_and_staged();
    test_error_messages();
    test_hdf5();
    return snf_check_failures();
}
