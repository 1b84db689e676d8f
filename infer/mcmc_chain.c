/* mcmc_chain.c: the fit's chain file (HDF5), written atomically every checkpoint and read back to
 * continue an interrupted run. Layout: /chain [steps][walkers][D] (sampled coordinates: ln x on log
 * axes and for the error floors, x elsewhere; attribute log_scale[D]), /lnprob [steps][walkers],
 * /rng_state (the GSL mt19937 state, bytes) and attributes signature, accepted, proposed, steps_total,
 * wall_s and model_calls (the sampling's totals over every run that made the chain). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "internal_fit.h"
#include "snforge/core.h"
#include "snforge/version.h"

void snf_fit_signature(const snf_fit_ctx *f, const snf_obs *obs, const snf_campaign *c, const snf_fit_opts *o,
                       char *buf, size_t n)
{
    unsigned long long h = SNF_DIGEST_INIT;
    (void)obs;
    h = snf_digest(h, f->t, sizeof(double) * (size_t)f->n);
    h = snf_digest(h, f->yL, sizeof(double) * (size_t)f->n);
    h = snf_digest(h, f->yv, sizeof(double) * (size_t)f->n);
    h = snf_digest(h, f->eL, sizeof(double) * (size_t)f->n);
    h = snf_digest(h, f->ev, sizeof(double) * (size_t)f->n);
    unsigned long long hc = snf_digest(SNF_DIGEST_INIT, c->text ? c->text : "", c->text ? strlen(c->text) : 0);
    /* Everything the chain depends on, the command-line overrides of the prior included (--closure). */
    snprintf(buf, n, "data=%016llx; prior=%016llx; closure=%s; walkers=%d; dim=%d; seed=%lu; version=%s", h, hc,
             snf_closure_name(c->physics.closure), o->walkers, f->D, o->seed, SNF_VERSION_STRING);
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
    int rc = snf_h5_open(&f, path, 0, "stored chain");
    if (rc < 0) {
        if (rc == SNF_EFORMAT) {
            SNF_ERROR(SNF_EINVAL, "%s: the stored chain is damaged (not readable as HDF5): remove it to start over",
                      path);
        }
        return rc;
    }
    char stored[512];
    hid_t ds = -1, sp = -1;
    if (snf_attr_str(f, "signature", stored, sizeof stored) < 0) {
        stored[0] = '\0';
    }
    if ((rc = snf_fingerprint_check(path, stored, sig, "remove it or use another -o")) < 0) {
        goto done_;
    }
    ds = H5Dopen2(f, "chain", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    hsize_t dims[3] = {0, 0, 0};
    if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 3 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ||
        dims[1] != (hsize_t)W || dims[2] != (hsize_t)D) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: /chain is not [steps][%d][%d] (damaged, or of another fit): remove it to start over", path, W, D);
        goto done_;
    }
    long have = (long)dims[0];
    if (have > S) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s holds %ld steps, more than --steps %ld: ask for at least %ld", path, have, S, have);
        goto done_;
    }
    if (H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, chain) < 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s: /chain cannot be read (a chunk fails its checksum: damaged): remove it to start over",
                              path);
        goto done_;
    }
    for (size_t i = 0; i < (size_t)have * (size_t)W * (size_t)D; i++) {
        if (!isfinite(chain[i])) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                  "%s: /chain step %zu walker %zu holds %g: damaged, remove it to start over", path,
                                  i / ((size_t)W * D), i / (size_t)D % (size_t)W, chain[i]);
            goto done_;
        }
    }
    H5Sclose(sp);
    H5Dclose(ds);
    sp = -1;
    ds = H5Dopen2(f, "lnprob", H5P_DEFAULT);
    if (ds < 0 || H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, lp) < 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s: /lnprob cannot be read (damaged): remove it to start over", path);
        goto done_;
    }
    for (size_t i = 0; i < (size_t)have * (size_t)W; i++) {
        if (!(lp[i] < INFINITY) || isnan(lp[i]) || lp[i] == -INFINITY) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                  "%s: /lnprob step %zu walker %zu is %g: damaged, remove it to start over", path,
                                  i / (size_t)W, i % (size_t)W, lp[i]);
            goto done_;
        }
    }
    H5Dclose(ds);
    ds = H5Dopen2(f, "rng_state", H5P_DEFAULT);
    sp = ds >= 0 ? H5Dget_space(ds) : -1;
    if (sp < 0 || H5Sget_simple_extent_npoints(sp) != (hssize_t)gsl_rng_size(r) ||
        H5Dread(ds, H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, gsl_rng_state(r)) < 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: /rng_state cannot be read (damaged): remove it to start over", path);
        goto done_;
    }
    long long acc = 0, pro = 0, st_total = 0;
    hid_t a = H5Aopen(f, "accepted", H5P_DEFAULT);
    hid_t b = H5Aopen(f, "proposed", H5P_DEFAULT);
    if (a < 0 || b < 0 || H5Aread(a, H5T_NATIVE_LLONG, &acc) < 0 || H5Aread(b, H5T_NATIVE_LLONG, &pro) < 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: the acceptance counters cannot be read (damaged): remove it to start over", path);
    }
    if (a >= 0) H5Aclose(a);
    if (b >= 0) H5Aclose(b);
    long long nc = 0;
    double ws = 0;
    a = H5Aopen(f, "model_calls", H5P_DEFAULT);
    b = H5Aopen(f, "wall_s", H5P_DEFAULT);
    if (a < 0 || b < 0 || H5Aread(a, H5T_NATIVE_LLONG, &nc) < 0 || H5Aread(b, H5T_NATIVE_DOUBLE, &ws) < 0) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: wall_s / model_calls cannot be read (damaged): remove it to start over", path);
    }
    if (a >= 0) H5Aclose(a);
    if (b >= 0) H5Aclose(b);
    if (rc == SNF_OK && (acc < 0 || pro < 0 || acc > pro || nc < 0 || !(ws >= 0) || !isfinite(ws))) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s: counters out of range (accepted %lld of %lld proposed, %lld model calls, %g s): "
                              "damaged, remove it to start over", path, acc, pro, nc, ws);
    }
    (void)st_total;
    *calls = (long)nc;
    *wall_s = ws;
    *accepted = (long)acc;
    *proposed = (long)pro;
    if (rc == SNF_OK) *done = have;
done_:
    if (sp >= 0) H5Sclose(sp);
    if (ds >= 0) H5Dclose(ds);
    if (f >= 0) H5Fclose(f);
    return rc;
}

/* A dataset chunked along its first axis with fletcher32: a damaged byte fails the chunk's checksum on read. */
static int snf_write_ds(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data)
{
    hsize_t chunk[3] = {dims[0], rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1};
    if (chunk[0] > 256) chunk[0] = 256;
    if (chunk[0] < 1) chunk[0] = 1;
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int okp = dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 && H5Pset_fletcher32(dcpl) >= 0;
    hid_t ds = sp >= 0 && okp ? H5Dcreate2(f, name, type, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
    int ok = ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (ds >= 0) ok &= H5Dclose(ds) >= 0;
    if (dcpl >= 0) H5Pclose(dcpl);
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
    hid_t f = snf_h5_create_file(tmp); /* checksummed metadata; errno's reason on failure */
    if (f < 0) {
        return SNF_EIO;
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
    errno = 0;
    bad |= H5Fclose(f) < 0;
    if (bad) {
        int e = errno;
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        unlink(tmp);
        SNF_ERROR(SNF_EIO, "cannot write the chain to %s: %s%s%s", tmp, e ? strerror(e) : "", e ? "; " : "", reason);
    }
    int rc = snf_atomic_commit(tmp, path);
    if (rc < 0) {
        unlink(tmp);
    }
    return rc;
}
