/* mcmc_chain.c: the fit's chain file (HDF5), written atomically every checkpoint and read back to
 * continue an interrupted run. Layout: /chain [steps][walkers][D] (sampled coordinates: ln x on log
 * axes and for the error floors, x elsewhere; attribute log_scale[D]), /lnprob [steps][walkers],
 * /rng_state (the GSL mt19937 state, bytes) and attributes signature, accepted, proposed, steps_total,
 * wall_s and model_calls (the sampling's totals over every run that made the chain). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "internal_fit.h"
#include "snforge/status.h"
#include "snforge/fileio.h"

static uint64_t snf_fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void snf_fit_signature(const snf_fit_ctx *f, const snf_obs *obs, const snf_campaign *c, const snf_fit_opts *o,
                       char *buf, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    (void)obs;
    h = snf_fnv(h, f->t, sizeof(double) * (size_t)f->n);
    h = snf_fnv(h, f->yL, sizeof(double) * (size_t)f->n);
    h = snf_fnv(h, f->yv, sizeof(double) * (size_t)f->n);
    h = snf_fnv(h, f->eL, sizeof(double) * (size_t)f->n);
    h = snf_fnv(h, f->ev, sizeof(double) * (size_t)f->n);
    uint64_t hc = snf_fnv(1469598103934665603ULL, c->text ? c->text : "", c->text ? strlen(c->text) : 0);
    snprintf(buf, n, "data %016llx campaign %016llx walkers %d dim %d seed %lu burn-independent",
             (unsigned long long)h, (unsigned long long)hc, o->walkers, f->D, o->seed);
}

static int snf_attr_str(hid_t loc, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    size_t sz = H5Tget_size(t);
    int rc = -1;
    if (sz < n) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1);
        rc = H5Aread(a, mt, out) < 0 ? -1 : 0;
        out[sz] = '\0';
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int snf_chain_read(const char *path, const char *sig, int W, int D, long S, double *chain, double *lp, long *done,
                   gsl_rng *r, long *accepted, long *proposed, double *wall_s, long *calls)
{
    *done = 0;
    *wall_s = 0;
    *calls = 0;
    if (access(path, F_OK) != 0) {
        return SNF_OK;
    }
    hid_t f = -1;
    H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
    if (f < 0) {
        SNF_ERROR(SNF_EHDF5, "%s: cannot open the stored chain as HDF5 (remove it to start over)", path);
    }
    int rc = SNF_OK;
    char stored[256];
    hid_t ds = -1, sp = -1;
    if (snf_attr_str(f, "signature", stored, sizeof stored) < 0 || strcmp(stored, sig) != 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s was made with other data, prior, walkers or seed ('%s' vs '%s'): remove it or use "
                              "another -o", path, stored, sig);
        goto done_;
    }
    ds = H5Dopen2(f, "chain", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t dims[3] = {0, 0, 0};
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 3 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        dims[1] != (hsize_t)W || dims[2] != (hsize_t)D) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /chain is not [steps][%d][%d]", path, W, D);
        goto done_;
    }
    long have = (long)dims[0];
    if (have > S) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s holds %ld steps, more than --steps %ld: ask for at least %ld", path, have, S, have);
        goto done_;
    }
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, chain) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot read /chain", path);
        goto done_;
    }
    H5Sclose(sp);
    H5Dclose(ds);
    sp = -1;
    ds = H5Dopen2(f, "lnprob", H5P_DEFAULT);
    if (ds < 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, lp) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot read /lnprob", path);
        goto done_;
    }
    H5Dclose(ds);
    ds = H5Dopen2(f, "rng_state", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    if (sp < 0 || H5Sget_simple_extent_npoints(sp) != (hssize_t)gsl_rng_size(r) ||
        H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, gsl_rng_state(r)) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot read /rng_state", path);
        goto done_;
    }
    long long acc = 0, pro = 0;
    hid_t a = H5Aopen(f, "accepted", H5P_DEFAULT);
    hid_t b = H5Aopen(f, "proposed", H5P_DEFAULT);
    if (a < 0 || b < 0 || H5Aread(a, H5T_NATIVE_LLONG, &acc) < 0 || H5Aread(b, H5T_NATIVE_LLONG, &pro) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot read the acceptance counters", path);
    }
    if (a >= 0) H5Aclose(a);
    if (b >= 0) H5Aclose(b);
    long long nc = 0;
    double ws = 0;
    a = H5Aopen(f, "model_calls", H5P_DEFAULT);
    b = H5Aopen(f, "wall_s", H5P_DEFAULT);
    if (a < 0 || b < 0 || H5Aread(a, H5T_NATIVE_LLONG, &nc) < 0 || H5Aread(b, H5T_NATIVE_DOUBLE, &ws) < 0) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot read wall_s / model_calls", path);
    }
    if (a >= 0) H5Aclose(a);
    if (b >= 0) H5Aclose(b);
    *calls = (long)nc;
    *wall_s = ws;
    *accepted = (long)acc;
    *proposed = (long)pro;
    if (rc == SNF_OK) *done = have;
done_:
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    H5Fclose(f);
    return rc;
}

static int snf_write_ds(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t ds = sp >= 0 ? H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0) H5Dclose(ds);
    if (sp >= 0) H5Sclose(sp);
    return ok ? 0 : -1;
}

static int snf_write_attr(hid_t f, const char *name, hid_t type, hsize_t n, const void *v)
{
    hid_t sp = H5Screate_simple(1, &n, NULL);
    hid_t a = sp >= 0 ? H5Acreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = a >= 0 && H5Awrite(a, type, v) >= 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    return ok ? 0 : -1;
}

int snf_chain_write(const char *path, const char *sig, int W, int D, long S, const double *chain, const double *lp,
                    long done, const gsl_rng *r, long accepted, long proposed, const int *log_scale, double wall_s,
                    long calls)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        SNF_ERROR(SNF_EHDF5, "cannot create %s", tmp);
    }
    const hsize_t dc[3] = {(hsize_t)done, (hsize_t)W, (hsize_t)D}, dl[2] = {(hsize_t)done, (hsize_t)W},
                  dr[1] = {(hsize_t)gsl_rng_size(r)};
    const long long acc = accepted, pro = proposed, st = S, nc = calls;
    int bad = snf_write_ds(f, "chain", H5T_NATIVE_DOUBLE, 3, dc, chain) < 0 ||
              snf_write_ds(f, "lnprob", H5T_NATIVE_DOUBLE, 2, dl, lp) < 0 ||
              snf_write_ds(f, "rng_state", H5T_NATIVE_UCHAR, 1, dr, gsl_rng_state(r)) < 0 ||
              snf_write_attr(f, "accepted", H5T_NATIVE_LLONG, 1, &acc) < 0 ||
              snf_write_attr(f, "proposed", H5T_NATIVE_LLONG, 1, &pro) < 0 ||
              snf_write_attr(f, "steps_total", H5T_NATIVE_LLONG, 1, &st) < 0 ||
              snf_write_attr(f, "log_scale", H5T_NATIVE_INT, (hsize_t)D, log_scale) < 0 ||
              snf_write_attr(f, "model_calls", H5T_NATIVE_LLONG, 1, &nc) < 0 ||
              snf_write_attr(f, "wall_s", H5T_NATIVE_DOUBLE, 1, &wall_s) < 0;
    hid_t st_t = H5Tcopy(H5T_C_S1);
    H5Tset_size(st_t, strlen(sig));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "signature", st_t, sp, H5P_DEFAULT, H5P_DEFAULT);
    bad |= a < 0 || H5Awrite(a, st_t, sig) < 0;
    if (a >= 0) H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(st_t);
    bad |= H5Fclose(f) < 0;
    if (bad) {
        unlink(tmp);
        SNF_ERROR(SNF_EHDF5, "cannot write the chain to %s", tmp);
    }
    int rc = snf_atomic_commit(tmp, path);
    if (rc < 0) {
        unlink(tmp);
    }
    return rc;
}
