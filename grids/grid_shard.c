/* grid_shard.c: a campaign in shards (snf_grid_run with shard_count > 1, one per MPI rank or per
 * `snforge grid --shard I/K` run): the rows of shard i of K (whole blocks), its file name, and the join of
 * the K finished shard files into the campaign's file (dataset.c's snf_dataset_join). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "snforge/grids.h"
#include "snforge/core.h"
#include "internal.h"

static int snf_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void snf_grid_shard_range(long N, long block, int i, int count, long *row0, long *n)
{
    long nb = (N + block - 1) / block;
    long b0 = nb * i / count, b1 = nb * (i + 1) / count;
    long r0 = b0 * block, r1 = b1 * block;
    *row0 = r0 < N ? r0 : N;
    *n = (r1 < N ? r1 : N) - *row0;
}

void snf_grid_shard_path(char *buf, size_t n, const char *path, int i, int count)
{
    size_t len = strlen(path);
    const char *ext = (len > 3 && strcmp(path + len - 3, ".h5") == 0) ? ".h5" : "";
    snprintf(buf, n, "%.*s.shard%d-of-%d.h5", (int)(len - strlen(ext)), path, i, count);
}

int snf_grid_join(const snf_campaign *c, const char *path, int count, int *already)
{
    int rc = SNF_OK;
    *already = 0;
    if (snf_file_exists(path)) {
        snf_dataset *d = NULL;
        if (snf_dataset_open(&d, path, 0) < 0) {
            SNF_ERROR(SNF_EEXIST, "%s exists and is not a readable snforge dataset; move it away", path);
        }
        int same = snf_grid_same_campaign(d, c), complete = snf_dataset_is_complete(d);
        snf_dataset_close(d);
        if (same <= 0 || !complete) {
            SNF_ERROR(SNF_EEXIST, "%s exists and is not a complete file of this campaign; move it away", path);
        }
        *already = 1;
        return SNF_OK;
    }
    char (*paths)[1024] = calloc((size_t)count, sizeof *paths);
    const char **ptrs = calloc((size_t)count, sizeof *ptrs);
    if (paths == NULL || ptrs == NULL) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    for (int i = 0; i < count; i++) {
        snf_grid_shard_path(paths[i], sizeof paths[i], path, i, count);
        ptrs[i] = paths[i];
        if (!snf_file_exists(paths[i])) {
            SNF_FAIL(SNF_EIO, "shard %s is missing (or not finished: its .tmp is still there)", paths[i]);
        }
        snf_dataset *d = NULL;
        if ((rc = snf_dataset_open(&d, paths[i], 0)) < 0) {
            goto cleanup;
        }
        int same = snf_grid_same_campaign(d, c);
        snf_dataset_close(d);
        if (same <= 0) {
            SNF_FAIL(SNF_EINVAL, "shard %s holds another campaign than %s", paths[i], c->path);
        }
    }
    rc = snf_dataset_join(path, ptrs, count);
cleanup:
    free(paths);
    free(ptrs);
    return rc;
}
