/* join.c: one dataset file over several shard files, through HDF5 virtual datasets (H5Pset_virtual,
 * HDF5 >= 1.10): each shard's rows map onto its row_offset in the joined datasets, readers see one file.
 * The shards must be complete and tile the campaign's rows exactly; the joined file is written as
 * path.tmp, marked complete and renamed, like every other dataset file. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "snforge/core.h"
#include "snforge/grids.h"

/* ---- static helpers ---- */

/* The name a VDS stores for shard s: its basename when it sits in out's folder (HDF5 then finds it
 * beside the joined file wherever the pair is moved), else the path as given. */
static const char *snf_ds_shard_ref(const char *out, const char *s)
{
    const char *os = strrchr(out, '/'), *ss = strrchr(s, '/');
    size_t od = os ? (size_t)(os - out) : 0, sd = ss ? (size_t)(ss - s) : 0;
    if (od == sd && strncmp(out, s, od) == 0) {
        return ss ? ss + 1 : s;
    }
    return s;
}

/* One joined dataset NAME: a virtual dataset mapping each shard's rows (src0: shard 0's, for type, shape, fill
 * value and attributes) onto its row_offset; *dst its id in the joined file. */
static int snf_ds_join_vds(hid_t out_file, const char *tmp, const char *path, const char *const *shard_paths,
                           snf_dataset *const *sh, const long *offs, int n, long total, hid_t src0, const char *name,
                           hid_t *dst)
{
    int rc = SNF_OK;
    hid_t dcpl, vspace, sspace;
    hid_t ftype = H5Dget_type(src0);
    hid_t fs = H5Dget_space(src0);
    hsize_t dims[2] = {0, 0};
    int rank = fs >= 0 ? H5Sget_simple_extent_dims(fs, dims, NULL) : -1;
    if (fs >= 0) {
        H5Sclose(fs);
    }
    dims[0] = (hsize_t)total;
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    vspace = rank > 0 ? H5Screate_simple(rank, dims, NULL) : -1;
    hid_t src_dcpl = H5Dget_create_plist(src0);
    if (ftype < 0 || dcpl < 0 || vspace < 0 || src_dcpl < 0) {
        if (ftype >= 0) {
            H5Tclose(ftype);
        }
        if (src_dcpl >= 0) {
            H5Pclose(src_dcpl);
        }
        if (dcpl >= 0) {
            H5Pclose(dcpl);
        }
        if (vspace >= 0) {
            H5Sclose(vspace);
        }
        return snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /%s: type or space", tmp, name);
    }
    /* The shards' fill value (pending status, NaN) also stands for rows of a missing shard file. */
    unsigned char fillbuf[SNF_DATASET_MSG_LEN];
    memset(fillbuf, 0, sizeof fillbuf);
    H5D_fill_value_t fv;
    if (H5Pfill_value_defined(src_dcpl, &fv) >= 0 && fv == H5D_FILL_VALUE_USER_DEFINED &&
        (H5Pget_fill_value(src_dcpl, ftype, fillbuf) < 0 || H5Pset_fill_value(dcpl, ftype, fillbuf) < 0)) {
        rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /%s: fill value", tmp, name);
    }
    H5Pclose(src_dcpl);
    for (int i = 0; i < n && rc >= 0; i++) {
        if (sh[i]->N == 0) {
            continue; /* more shards than blocks: an empty shard maps nothing */
        }
        hsize_t start[2] = {(hsize_t)offs[i], 0}, count[2] = {(hsize_t)sh[i]->N, dims[1]};
        hsize_t sdims[2] = {(hsize_t)sh[i]->N, dims[1]};
        sspace = H5Screate_simple(rank, sdims, NULL);
        if (sspace < 0 || H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Pset_virtual(dcpl, vspace, snf_ds_shard_ref(path, shard_paths[i]), name, sspace) < 0) {
            rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /%s: H5Pset_virtual for %s failed",
                                  tmp, name, shard_paths[i]);
        }
        if (sspace >= 0) {
            H5Sclose(sspace);
            sspace = -1;
        }
    }
    H5Sselect_all(vspace);
    if (rc >= 0) {
        hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
        if (lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0) {
            *dst = H5Dcreate2(out_file, name, ftype, vspace, lcpl, dcpl, H5P_DEFAULT);
        }
        if (lcpl >= 0) {
            H5Pclose(lcpl);
        }
        if (*dst < 0) {
            char reason[256];
            snf_h5_reason(reason, sizeof reason);
            rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /%s: H5Dcreate2 (virtual) failed: %s",
                                  tmp, name, reason);
        } else {
            rc = snf_h5_attr_copy_all(*dst, src0, tmp);
        }
    }
    H5Tclose(ftype);
    H5Pclose(dcpl);
    H5Sclose(vspace);
    return rc;
}

/* ---- join ---- */

int snf_dataset_join(const char *path, const char *const *shard_paths, int n)
{
    int rc = SNF_OK;
    snf_dataset **sh = NULL;
    snf_dataset *out = NULL;
    long *offs = NULL;
    double *time_d = NULL;
    char tmp[4200];
    if (n < 1) {
        SNF_ERROR(SNF_EINVAL, "join %s: no shards", path);
    }
    snf_output owner; /* the output owner: PATH.lock, PATH.tmp put in place when whole, removed on failure */
    SNF_CHECK(snf_output_begin(&owner, path, 0));
    if ((rc = snf_output_stage_path(&owner, "dataset", 0, tmp, sizeof tmp)) < 0) {
        snf_output_end(&owner);
        return rc;
    }
    sh = calloc((size_t)n, sizeof *sh);
    offs = calloc((size_t)n, sizeof *offs);
    if (sh == NULL || offs == NULL) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    long total = -1, covered = 0;
    for (int i = 0; i < n; i++) {
        if ((rc = snf_dataset_open(&sh[i], shard_paths[i], 0)) < 0) {
            goto cleanup;
        }
        long long off, tot;
        if (!snf_dataset_is_complete(sh[i])) {
            rc = snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "%s: shard is not complete", shard_paths[i]);
            goto cleanup;
        }
        if ((rc = snf_h5_attr_get_long(sh[i]->file, "row_offset", &off, shard_paths[i])) < 0 ||
            (rc = snf_h5_attr_get_long(sh[i]->file, "n_total", &tot, shard_paths[i])) < 0) {
            goto cleanup;
        }
        if ((total >= 0 && tot != total) || sh[i]->P != sh[0]->P || sh[i]->T != sh[0]->T) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                  "%s: shard shape differs from %s's", shard_paths[i], shard_paths[0]);
            goto cleanup;
        }
        total = (long)tot;
        offs[i] = (long)off;
        covered += sh[i]->N;
    }
    /* The shards must tile [0, total) exactly: no overlap (sum of sizes) and no gap (each row once). */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            if (i != j && offs[i] < offs[j] + sh[j]->N && offs[j] < offs[i] + sh[i]->N) {
                rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "shards %s and %s overlap",
                                      shard_paths[i], shard_paths[j]);
                goto cleanup;
            }
        }
        if (offs[i] < 0 || offs[i] + sh[i]->N > total) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: rows outside the campaign", shard_paths[i]);
            goto cleanup;
        }
    }
    if (covered != total) {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                              "join %s: the %d shards hold %ld of the campaign's %ld rows", path, n, covered, total);
        goto cleanup;
    }
    out = snf_ds_new(tmp);
    if (out == NULL) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    out->N = total;
    out->P = sh[0]->P;
    out->T = sh[0]->T;
    out->writable = 1;
    out->file = snf_h5_create_file(tmp);
    if (out->file < 0) {
        rc = SNF_EHDF5;
        goto cleanup;
    }
    for (int k = 0; k < D_COUNT; k++) {
        if ((rc = snf_ds_join_vds(out->file, tmp, path, shard_paths, sh, offs, n, total, sh[0]->d[k], snf_ds_name(k),
                                  &out->d[k])) < 0) {
            goto cleanup;
        }
    }
    /* Extra series (/series/NAME, a hydro campaign's): joined the same way; every shard must have them. */
    if (H5Lexists(sh[0]->file, "series", H5P_DEFAULT) > 0) {
        H5G_info_t gi;
        hid_t g = H5Gopen2(sh[0]->file, "series", H5P_DEFAULT);
        if (g < 0 || H5Gget_info(g, &gi) < 0) {
            if (g >= 0) {
                H5Gclose(g);
            }
            rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /series unreadable", shard_paths[0]);
            goto cleanup;
        }
        for (hsize_t j = 0; j < gi.nlinks && rc >= 0; j++) {
            char nm[80], full[96];
            if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, j, nm, sizeof nm, H5P_DEFAULT) < 0) {
                rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /series: a name", shard_paths[0]);
                break;
            }
            snprintf(full, sizeof full, "series/%s", nm);
            for (int i = 1; i < n && rc >= 0; i++) {
                if (H5Lexists(sh[i]->file, "series", H5P_DEFAULT) <= 0 || H5Lexists(sh[i]->file, full, H5P_DEFAULT) <= 0) {
                    rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: no /%s (shard %s has it)",
                                          shard_paths[i], full, shard_paths[0]);
                }
            }
            hid_t src = rc >= 0 ? H5Dopen2(sh[0]->file, full, H5P_DEFAULT) : -1, dst = -1;
            if (rc >= 0 && src < 0) {
                rc = snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: /%s unreadable", shard_paths[0], full);
            }
            if (rc >= 0) {
                rc = snf_ds_join_vds(out->file, tmp, path, shard_paths, sh, offs, n, total, src, full, &dst);
            }
            if (src >= 0) {
                H5Dclose(src);
            }
            if (dst >= 0) {
                H5Dclose(dst);
            }
        }
        H5Gclose(g);
        if (rc < 0) {
            goto cleanup;
        }
    }
    /* /time is small: a real copy. Then the root attributes, the list of shards, and complete last. */
    time_d = malloc((size_t)out->T * sizeof *time_d);
    if (time_d == NULL) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    if ((rc = snf_dataset_read_time(sh[0], time_d)) < 0) {
        goto cleanup;
    }
    out->time = snf_h5_create(out->file, tmp, "time", H5T_IEEE_F64LE, 1, (hsize_t)out->T, 1, (hsize_t)out->T, 0, NULL);
    if (out->time < 0) {
        rc = SNF_EHDF5;
        goto cleanup;
    }
    if ((rc = snf_h5_write_rows(out->time, H5T_NATIVE_DOUBLE, 0, (hsize_t)out->T, time_d, tmp, "time")) < 0 ||
        (rc = snf_h5_attr_copy_all(out->time, sh[0]->time, tmp)) < 0 ||
        (rc = snf_h5_attr_copy_all(out->file, sh[0]->file, tmp)) < 0) {
        goto cleanup;
    }
    const char **refs = malloc((size_t)n * sizeof *refs);
    if (refs == NULL) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n; i++) {
        refs[i] = snf_ds_shard_ref(path, shard_paths[i]);
    }
    rc = snf_h5_attr_put_strings(out->file, "shards", refs, n, tmp);
    free(refs);
    if (rc < 0 || (rc = snf_h5_attr_put_long(out->file, "row_offset", 0, tmp)) < 0 ||
        (rc = snf_h5_attr_put_long(out->file, "n_total", total, tmp)) < 0 ||
        (rc = snf_h5_attr_put_long(out->file, "complete", 0, tmp)) < 0 ||
        (rc = snf_dataset_mark_complete(out)) < 0) {
        goto cleanup;
    }
    rc = snf_dataset_close(out);
    out = NULL;
    if (rc >= 0) {
        rc = snf_output_commit(&owner);
    }
cleanup:
    if (out != NULL) {
        snf_dataset_close(out);
    }
    for (int i = 0; sh != NULL && i < n; i++) {
        snf_dataset_close(sh[i]);
    }
    free(sh);
    free(offs);
    free(time_d);
    snf_output_end(&owner); /* removes PATH.tmp unless committed */
    return rc;
}
