/* h5.c: low-level HDF5 writes and reads for the dataset layer: chunked + filtered datasets, row-block
 * hyperslabs and attributes. Every herr_t / hid_t is checked; failures report SNF_EHDF5 with the file,
 * the object and HDF5's innermost reason. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/core.h"

/* ---- errors ---- */

typedef struct snf_h5_walk {
    char *buf;
    size_t n;
    int have_errno; /* buf already holds a system call's failure */
} snf_h5_walk;

/* The innermost entry of the stack, unless some entry reports a system call's failure (a full disk) as "...,
 * errno = 28, error message = ...": that one leads with errno's text, which a long description (or a
 * consequential error deeper in the stack, "slist already enabled?") would otherwise hide. */
static herr_t snf_h5_walk_cb(unsigned k, const H5E_error2_t *e, void *data)
{
    snf_h5_walk *w = data;
    if (e->desc == NULL || w->have_errno) {
        return 0;
    }
    const char *en = strstr(e->desc, "errno = ");
    int err = en ? atoi(en + 8) : 0;
    if (err > 0) {
        const char *colon = strchr(e->desc, ':');
        int head = colon ? (int)(colon - e->desc) : (int)strlen(e->desc);
        snprintf(w->buf, w->n, "%s (%.*s in %s)", strerror(err), head, e->desc, e->func_name ? e->func_name : "?");
        w->have_errno = 1;
    } else if (k == 0) {
        snprintf(w->buf, w->n, "%s (%s)", e->desc, e->func_name ? e->func_name : "?");
    }
    return 0;
}

void snf_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void snf_h5_reason(char *buf, size_t n)
{
    buf[0] = '\0';
    snf_h5_walk w = {buf, n, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, snf_h5_walk_cb, &w);
}

/* ---- datasets ---- */

hid_t snf_h5_create(hid_t loc, const char *file, const char *name, hid_t type, int rank, hsize_t N, hsize_t C,
                    hsize_t chunk_rows, int deflate, const void *fill)
{
    int rc = SNF_OK;
    hid_t space = -1, dcpl = -1, dset = -1;
    hsize_t dims[2] = {N, C};
    space = H5Screate_simple(rank, dims, NULL);
    if (space < 0) {
        SNF_H5_FAIL(file, name, "H5Screate_simple");
    }
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (dcpl < 0) {
        SNF_H5_FAIL(file, name, "H5Pcreate");
    }
    if (N > 0) {
        hsize_t chunk[2] = {chunk_rows < 1 ? 1 : (chunk_rows > N ? N : chunk_rows), C};
        if (H5Pset_chunk(dcpl, rank, chunk) < 0) {
            SNF_H5_FAIL(file, name, "H5Pset_chunk");
        }
        if (deflate > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)deflate) < 0)) {
            SNF_H5_FAIL(file, name, "H5Pset_shuffle/H5Pset_deflate");
        }
        if (H5Pset_fletcher32(dcpl) < 0) {
            SNF_H5_FAIL(file, name, "H5Pset_fletcher32");
        }
    }
    if (fill != NULL && H5Pset_fill_value(dcpl, type, fill) < 0) {
        SNF_H5_FAIL(file, name, "H5Pset_fill_value");
    }
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (lcpl < 0 || H5Pset_create_intermediate_group(lcpl, 1) < 0) {
        if (lcpl >= 0) {
            H5Pclose(lcpl);
        }
        SNF_H5_FAIL(file, name, "H5Pset_create_intermediate_group");
    }
    dset = H5Dcreate2(loc, name, type, space, lcpl, dcpl, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (dset < 0) {
        SNF_H5_FAIL(file, name, "H5Dcreate2");
    }
cleanup:
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    if (space >= 0) {
        H5Sclose(space);
    }
    return rc < 0 ? (hid_t)-1 : dset;
}

/* Selects rows row0 .. row0+n-1 (all columns) of dset's space; returns the file space and fills the
 * memory space, or < 0. */
static int snf_h5_rows_select(hid_t dset, hsize_t row0, hsize_t n, hid_t *fspace, hid_t *mspace,
                              const char *file, const char *name)
{
    int rc = SNF_OK;
    *fspace = H5Dget_space(dset);
    *mspace = -1;
    if (*fspace < 0) {
        SNF_H5_FAIL(file, name, "H5Dget_space");
    }
    hsize_t dims[2] = {0, 1};
    int rank = H5Sget_simple_extent_dims(*fspace, dims, NULL);
    if (rank < 1 || rank > 2) {
        SNF_H5_FAIL(file, name, "H5Sget_simple_extent_dims");
    }
    if (row0 + n > dims[0]) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "%s: %s: rows %llu..%llu outside its %llu rows", file, name,
                              (unsigned long long)row0, (unsigned long long)(row0 + n), (unsigned long long)dims[0]);
        goto cleanup;
    }
    hsize_t start[2] = {row0, 0}, count[2] = {n, rank == 2 ? dims[1] : 1};
    if (H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
        SNF_H5_FAIL(file, name, "H5Sselect_hyperslab");
    }
    *mspace = H5Screate_simple(rank, count, NULL);
    if (*mspace < 0) {
        SNF_H5_FAIL(file, name, "H5Screate_simple");
    }
    return SNF_OK;
cleanup:
    if (*fspace >= 0) {
        H5Sclose(*fspace);
    }
    *fspace = -1;
    return rc;
}

/* The first filter of dset's pipeline that this HDF5 cannot apply, as "ID (name)" in buf: 1, or 0 if every
 * filter is available. Names of the common third-party filters (registered with The HDF Group) are known
 * here when the file stores none. */
static int snf_h5_missing_filter(hid_t dset, char *buf, size_t n)
{
    static const struct { int id; const char *name; } known[] = {
        {307, "bzip2"}, {32000, "lzf"}, {32001, "blosc"}, {32004, "lz4"}, {32008, "bitshuffle"},
        {32013, "zfp"}, {32015, "zstd"}, {32017, "sz"}, {32026, "blosc2"},
    };
    hid_t dcpl = H5Dget_create_plist(dset);
    int found = 0;
    int nf = dcpl >= 0 ? H5Pget_nfilters(dcpl) : 0;
    for (int i = 0; i < nf && !found; i++) {
        unsigned flags = 0, cd[8];
        size_t ncd = 8;
        char name[128] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, sizeof name, name, NULL);
        if (id < 0 || H5Zfilter_avail(id) > 0) {
            continue;
        }
        for (size_t k = 0; k < sizeof known / sizeof known[0] && !name[0]; k++) {
            if (known[k].id == (int)id) {
                snprintf(name, sizeof name, "%s", known[k].name);
            }
        }
        snprintf(buf, n, "%d (%s)", (int)id, name[0] ? name : "unregistered here");
        found = 1;
    }
    if (dcpl >= 0) {
        H5Pclose(dcpl);
    }
    return found;
}

/* Rows row0 .. row0+n-1 of dset written from wbuf (when not NULL) or read into rbuf. */
static int snf_h5_rows_io(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, const void *wbuf, void *rbuf,
                          const char *file, const char *name)
{
    if (n == 0) {
        return SNF_OK;
    }
    hid_t fspace, mspace;
    int rc = snf_h5_rows_select(dset, row0, n, &fspace, &mspace, file, name);
    if (rc < 0) {
        return rc;
    }
    if (wbuf ? H5Dwrite(dset, memtype, mspace, fspace, H5P_DEFAULT, wbuf) < 0
             : H5Dread(dset, memtype, mspace, fspace, H5P_DEFAULT, rbuf) < 0) {
        char filt[200];
        if (!wbuf && snf_h5_missing_filter(dset, filt, sizeof filt)) {
            rc = snf_error_report(SNF_EFORMAT, __FILE__, __LINE__, __func__,
                                  "%s: /%s is compressed with HDF5 filter %s, which this HDF5 does not have: install "
                                  "its plugin (HDF5_PLUGIN_PATH) or rewrite the file without it (h5repack -f NONE)",
                                  file, name, filt);
            goto cleanup;
        }
        SNF_H5_FAIL(file, name, wbuf ? "H5Dwrite" : "H5Dread");
    }
cleanup:
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc;
}

int snf_h5_write_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, const void *buf, const char *file,
                      const char *name)
{
    return snf_h5_rows_io(dset, memtype, row0, n, buf, NULL, file, name);
}

int snf_h5_read_rows(hid_t dset, hid_t memtype, hsize_t row0, hsize_t n, void *buf, const char *file,
                     const char *name)
{
    return snf_h5_rows_io(dset, memtype, row0, n, NULL, buf, file, name);
}
