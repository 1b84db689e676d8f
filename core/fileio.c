#define _GNU_SOURCE /* flock, fsync, O_DIRECTORY */
/* fileio.c: the one text-table reader (BOM, CRLF, comments, empty fields as missing values, file:line) and
 * the one atomic writer (PATH.tmp, fsync, rename, fsync of the folder) and output lock of snforge
 * (fileio.h). */
#include "snforge/core.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---- reading text ---- */

static int snf_is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int snf_text_strip_bom(char *buf, size_t *len)
{
    if (*len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF) {
        memmove(buf, buf + 3, *len - 3 + 1); /* with the terminator */
        *len -= 3;
        return 1;
    }
    return 0;
}

int snf_text_slurp(const char *path, const char *what, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *role = what ? what : "file";
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        SNF_ERROR(e == ENOENT ? SNF_EINVAL : SNF_EIO, "cannot read %s %s: %s", role, path, strerror(e));
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen takes a folder; the user meant a file in it */
        fclose(f);
        SNF_ERROR(SNF_EINVAL, "cannot read %s %s: it is a folder, expected a file (e.g. %s/index.csv)", role, path,
                  path);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = SNF_OK;
    if (buf == NULL) {
        SNF_FAIL(SNF_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f)) {
                int e = errno;
                SNF_FAIL(SNF_EIO, "cannot read %s %s: %s", role, path, strerror(e));
            }
            break;
        }
        if (cap > ((size_t)1 << 31)) {
            SNF_FAIL(SNF_EFORMAT, "%s:1: larger than 2 GiB: expected a text table", path);
        }
        char *nb = realloc(buf, 2 * cap + 1);
        if (nb == NULL) {
            SNF_FAIL(SNF_ENOMEM, "%s: out of memory", path);
        }
        buf = nb;
        cap *= 2;
    }
    buf[n] = '\0';
    fclose(f);
    f = NULL;
    snf_text_strip_bom(buf, &n);
    const char *nul = memchr(buf, '\0', n);
    if (nul != NULL) {
        int line = 1;
        for (const char *p = buf; p < nul; p++) {
            line += *p == '\n';
        }
        SNF_FAIL(SNF_EFORMAT, "%s:%d: binary data (a NUL byte): expected a text %s", path, line, role);
    }
    *out = buf;
    *len = n;
    return SNF_OK;
cleanup:
    free(buf);
    if (f != NULL) {
        fclose(f);
    }
    return rc;
}

snf_text_lines snf_text_lines_init(const char *buf, size_t len)
{
    snf_text_lines it = {buf, len, 0, 0, 0};
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        it.pos = 3; /* a byte-order mark in a buffer that did not come through snf_text_slurp */
    }
    return it;
}

int snf_text_next(snf_text_lines *it, const char **s, size_t *n)
{
    while (it->pos < it->len) {
        size_t a = it->pos;
        const char *nl = memchr(it->buf + a, '\n', it->len - a);
        size_t b = nl ? (size_t)(nl - it->buf) : it->len;
        it->pos = nl ? b + 1 : it->len;
        it->line++;
        while (a < b && snf_is_blank(it->buf[a])) {
            a++;
        }
        while (b > a && snf_is_blank(it->buf[b - 1])) {
            b--; /* also the '\r' of a CRLF ending */
        }
        if (a == b || (it->buf[a] == '#' && !it->keep_comments)) {
            continue;
        }
        *s = it->buf + a;
        *n = b - a;
        return 1;
    }
    return 0;
}

int snf_csv_split(const char *line, size_t len, const char **fs, size_t *fl, int max)
{
    int n = 0;
    size_t i = 0;
    for (;;) {
        size_t a = i;
        while (i < len && line[i] != ',') {
            i++;
        }
        size_t b = i;
        while (a < b && snf_is_blank(line[a])) {
            a++;
        }
        while (b > a && snf_is_blank(line[b - 1])) {
            b--;
        }
        if (n < max) {
            fs[n] = line + a;
            fl[n] = b - a;
        }
        n++;
        if (i >= len) {
            break;
        }
        i++; /* the comma */
    }
    return n;
}

int snf_csv_number(const char *f, size_t n, double *out)
{
    char buf[64];
    if (n == 0) {
        *out = NAN;
        return 0;
    }
    if (n >= sizeof buf) {
        return -1;
    }
    memcpy(buf, f, n);
    buf[n] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (buf[k] == 'D' || buf[k] == 'd') {
            buf[k] = 'e';
        }
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0') {
        return -1;
    }
    *out = v;
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) {
        return -2; /* nan, inf, overflow; an underflow to a tiny value is fine */
    }
    *out = v;
    return 0;
}

void snf_text_excerpt(char *dst, size_t n, const char *f, size_t len)
{
    size_t k = 0;
    for (; k < len && k + 4 < n; k++) {
        char c = f[k];
        dst[k] = (c >= 32 && c < 127) ? c : '?';
    }
    if (k < len) {
        dst[k++] = '.';
        dst[k++] = '.';
    }
    dst[k] = '\0';
}

/* ---- writing text ---- */

void snf_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
            fputc(*p, f);
        } else if (*p == '\n') {
            fputs("\\n", f);
        } else if (*p == '\t') {
            fputs("\\t", f);
        } else if (*p == '\r') {
            fputs("\\r", f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\u%04x", *p);
        } else {
            fputc(*p, f);
        }
    }
    fputc('"', f);
}

void snf_csv_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (snf_is_blank(s[0]) || snf_is_blank(s[n - 1])));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

/* ---- writing files ---- */

void snf_path_dir(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, n, ".");
    } else if (slash == path) {
        snprintf(dir, n, "/");
    } else {
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
    }
}

/* fsync of a path opened read-only (a file or a folder). */
static int snf_fsync_path(const char *path, int directory)
{
    int fd = open(path, O_RDONLY | (directory ? O_DIRECTORY : 0) | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    /* Some file systems (tmpfs for folders on old kernels) do not sync folders: that is no failure. */
    return (r != 0 && (errno == EINVAL || errno == EROFS)) ? 0 : r;
}

int snf_atomic_commit(const char *tmp, const char *path)
{
    if (snf_fsync_path(tmp, 0) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot write %s to disk (fsync): %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    char dir[4096];
    snf_path_dir(path, dir, sizeof dir);
    if (snf_fsync_path(dir, 1) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot make the rename of %s durable (fsync of %s): %s", path, dir, strerror(e));
    }
    return SNF_OK;
}

int snf_file_close_checked(FILE *f, const char *name)
{
    int bad = ferror(f);
    int e = bad ? (errno ? errno : EIO) : 0;
    if (fflush(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        SNF_ERROR(SNF_EIO, "cannot write %s: %s", name, strerror(e));
    }
    return SNF_OK;
}

int snf_atomic_write_text(const char *path, int (*write)(void *ctx, FILE *f), void *ctx)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        SNF_ERROR(SNF_EINVAL, "output path '%s' is too long", path);
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot create %s: %s", tmp, strerror(e));
    }
    errno = 0;
    int rc = write(ctx, f);
    if (rc < 0) {
        fclose(f);
        remove(tmp);
        return rc;
    }
    rc = snf_file_close_checked(f, tmp);
    if (rc < 0) {
        remove(tmp);
        return rc;
    }
    rc = snf_atomic_commit(tmp, path);
    if (rc < 0) {
        remove(tmp);
    }
    return rc;
}

/* ---- sealed text ---- */

#define SNF_SEAL "# digest "

typedef struct snf_seal_ctx {
    const char *text;
    size_t n;
} snf_seal_ctx;

static int snf_seal_put(void *ctx, FILE *f)
{
    const snf_seal_ctx *c = ctx;
    unsigned long long h = snf_digest(SNF_DIGEST_INIT, c->text, c->n);
    if (fwrite(c->text, 1, c->n, f) != c->n || fprintf(f, SNF_SEAL "%016llx\n", h) < 0) {
        return SNF_EIO;
    }
    return SNF_OK;
}

int snf_atomic_write_sealed(const char *path, int (*write)(void *ctx, FILE *f), void *ctx)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    if (m == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for %s", path);
    }
    int rc = write(ctx, m);
    if (fclose(m) != 0 && rc >= 0) {
        rc = snf_error_report(SNF_ENOMEM, __FILE__, __LINE__, __func__, "out of memory for %s", path);
    }
    if (rc >= 0 && n > 0 && text[n - 1] != '\n') {
        rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__, "%s: sealed text must end with a newline", path);
    }
    if (rc >= 0) {
        snf_seal_ctx c = {text, n};
        rc = snf_atomic_write_text(path, snf_seal_put, &c);
    }
    free(text);
    return rc;
}

int snf_text_slurp_sealed(const char *path, const char *what, char **buf, size_t *len)
{
    SNF_CHECK(snf_text_slurp(path, what, buf, len));
    const size_t k = sizeof SNF_SEAL - 1, line = k + 17;
    const char *seal = *len >= line ? *buf + *len - line : NULL;
    unsigned long long stored = 0, h = 0;
    char tail = '\0';
    int ok = seal != NULL && (seal == *buf || seal[-1] == '\n') && strncmp(seal, SNF_SEAL, k) == 0 &&
             sscanf(seal + k, "%16llx%c", &stored, &tail) == 2 && tail == '\n';
    if (ok) {
        h = snf_digest(SNF_DIGEST_INIT, *buf, (size_t)(seal - *buf));
    }
    if (!ok || h != stored) {
        free(*buf);
        *buf = NULL;
        SNF_ERROR(SNF_EINVAL, "%s is damaged (%s): remove it, or the folder it belongs to, to recompute it", path,
                  ok ? "its bytes do not match its digest" : "its last line is not its digest");
    }
    *len = (size_t)(seal - *buf);
    (*buf)[*len] = '\0';
    return SNF_OK;
}

/* ---- locks ---- */

static int snf_env_false(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        return 0;
    }
    return strcasecmp(v, "FALSE") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "NO") == 0 || strcasecmp(v, "OFF") == 0;
}

int snf_file_locking(void)
{
    return !(snf_env_false("SNF_FILE_LOCKING") || snf_env_false("HDF5_USE_FILE_LOCKING"));
}

/* errno values by which a file system says it has no locks at all (NFS without lockd, some FUSE mounts). */
static int snf_errno_nolock(int e)
{
    return e == ENOLCK || e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP;
}

int snf_lock_output(const char *path)
{
    char lock[4096];
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock) {
        SNF_ERROR(SNF_EINVAL, "output path '%s' is too long", path);
    }
    if (!snf_file_locking()) {
        /* Locks turned off by the user: a descriptor that holds nothing (not a regular file, so that
         * snf_unlock_output never removes a lock file another run may hold). */
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            SNF_ERROR(SNF_EIO, "cannot open /dev/null: %s", strerror(e));
        }
        return fd;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            int e = errno;
            SNF_ERROR(SNF_EIO, "cannot create the lock file %s: %s", lock, strerror(e));
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char who[32] = "";
            ssize_t got = pread(fd, who, sizeof who - 1, 0);
            who[got > 0 ? got : 0] = '\0';
            who[strcspn(who, "\n")] = '\0';
            close(fd);
            if (e == EWOULDBLOCK) {
                SNF_ERROR(SNF_EIO, "%s is being written by another snforge run%s%s%s (lock %s): wait for it to finish "
                          "or stop it", path, who[0] ? " (pid " : "", who, who[0] ? ")" : "", lock);
            }
            if (snf_errno_nolock(e)) {
                char dir[4096];
                snf_path_dir(lock, dir, sizeof dir);
                unlink(lock); /* nobody can hold it: the file system has no locks */
                SNF_ERROR(SNF_ENOLOCK, "cannot lock %s: the file system of %s does not support file locks (%s; NFS "
                          "without lockd?): set SNF_FILE_LOCKING=FALSE (or HDF5_USE_FILE_LOCKING=FALSE) to run "
                          "without locks, and make sure no other run writes %s", lock, dir, strerror(e), path);
            }
            SNF_ERROR(SNF_EIO, "cannot lock %s: %s", lock, strerror(e));
        }
        /* The holder before us may have unlinked the file after we opened it: then our lock is on a dead
         * inode and a third run could lock a new file. Lock only the file that is still at the path. */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lock, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            char pid[32];
            int k = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)k, 0) != k) {
                /* the pid is only for the message of a second run: not worth failing for */
            }
            return fd;
        }
        close(fd);
    }
    SNF_ERROR(SNF_EIO, "cannot lock %s: it keeps being replaced", lock);
}

void snf_unlock_output(int fd, const char *path)
{
    if (fd < 0) {
        return;
    }
    struct stat st;
    char lock[4096];
    if (path != NULL && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        snprintf(lock, sizeof lock, "%s.lock", path) < (int)sizeof lock) {
        unlink(lock); /* while still holding it: a run that opened it now sees a dead inode and retries */
    }
    flock(fd, LOCK_UN);
    close(fd);
}

/* ---- resume fingerprints ---- */

unsigned long long snf_digest(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int snf_digest_file(const char *path, char hex[17])
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        SNF_ERROR(e == ENOENT ? SNF_EINVAL : SNF_EIO, "cannot read %s: %s", path, strerror(e));
    }
    unsigned long long h = SNF_DIGEST_INIT;
    unsigned char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        h = snf_digest(h, buf, got);
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        SNF_ERROR(SNF_EIO, "cannot read %s: %s", path, strerror(e));
    }
    snprintf(hex, 17, "%016llx", h);
    return SNF_OK;
}

/* The value of key in a fingerprint ("k=v; k=v"): *v and *vn, or 0 if absent. */
static int snf_fp_find(const char *fp, const char *key, size_t kn, const char **v, size_t *vn)
{
    const char *p = fp;
    while (p != NULL && *p != '\0') {
        const char *end = strstr(p, "; ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq != NULL && (size_t)(eq - p) == kn && memcmp(p, key, kn) == 0) {
            *v = eq + 1;
            *vn = n - kn - 1;
            return 1;
        }
        p = end ? end + 2 : NULL;
    }
    return 0;
}

int snf_fingerprint_check(const char *what, const char *stored, const char *now, const char *advice)
{
    if (stored == NULL || stored[0] == '\0') {
        SNF_ERROR(SNF_EINVAL, "%s has no fingerprint (made by an older snforge or another program): %s", what, advice);
    }
    if (strcmp(stored, now) == 0) {
        return SNF_OK;
    }
    char msg[1500] = "";
    size_t m = 0;
    for (int pass = 0; pass < 2; pass++) { /* the items of this run, then items only the stored one has */
        const char *a = pass ? stored : now, *b = pass ? now : stored;
        const char *p = a;
        while (p != NULL && *p != '\0' && m + 200 < sizeof msg) {
            const char *end = strstr(p, "; ");
            size_t n = end ? (size_t)(end - p) : strlen(p);
            const char *eq = memchr(p, '=', n);
            size_t kn = eq ? (size_t)(eq - p) : n;
            const char *va = eq ? eq + 1 : "", *vb = NULL;
            size_t an = eq ? n - kn - 1 : 0, bn = 0;
            int has = snf_fp_find(b, p, kn, &vb, &bn);
            if (!has || an != bn || memcmp(va, vb, an) != 0) {
                if (pass == 0 || !has) {
                    const char *sv = pass ? va : vb, *nv = pass ? NULL : va;
                    size_t sn = pass ? an : bn, nn = pass ? 0 : an;
                    m += (size_t)snprintf(msg + m, sizeof msg - m, "%s%.*s '%.*s' -> '%.*s'", m ? "; " : "", (int)kn, p,
                                          (int)(has || pass ? (sn > 80 ? 80 : sn) : 0), has || pass ? sv : "",
                                          (int)(nn > 80 ? 80 : nn), nv ? nv : "");
                }
            }
            p = end ? end + 2 : NULL;
        }
    }
    SNF_ERROR(SNF_EINVAL, "%s was made with other settings (%s): %s", what, msg[0] ? msg : "fingerprints differ",
              advice);
}

/* ---- the output owner ---- */

int snf_output_begin(snf_output *o, const char *path, int is_dir)
{
    memset(o, 0, sizeof *o);
    o->lock = -1;
    o->is_dir = is_dir;
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') {
        n--; /* "out/" is the folder out, locked as out.lock */
    }
    if (n == 0 || n >= sizeof o->path) {
        SNF_ERROR(SNF_EINVAL, "output path '%s' is empty or too long", path);
    }
    memcpy(o->path, path, n);
    o->path[n] = '\0';
    const char *base = strrchr(o->path, '/');
    base = base ? base + 1 : o->path;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        /* "-o ." (the current folder): locked under its real name, PARENT/NAME.lock */
        char *real = realpath(o->path, NULL);
        if (real == NULL || strcmp(real, "/") == 0 || strlen(real) >= sizeof o->path) {
            int e = errno;
            free(real);
            SNF_ERROR(SNF_EINVAL, "output folder '%s' cannot be used: %s", path, real ? "the root folder" : strerror(e));
        }
        snprintf(o->path, sizeof o->path, "%s", real);
        free(real);
    }
    int fd = snf_lock_output(o->path);
    if (fd < 0) {
        return fd;
    }
    o->lock = fd;
    if (is_dir) {
        struct stat st;
        if (mkdir(o->path, 0777) != 0) {
            int e = errno;
            if (e != EEXIST) {
                snf_output_end(o);
                SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", o->path, strerror(e));
            }
            if (stat(o->path, &st) != 0 || !S_ISDIR(st.st_mode)) {
                snf_output_end(o);
                SNF_ERROR(SNF_EINVAL, "%s exists and is not a folder (expected an output folder)", o->path);
            }
        }
    }
    return SNF_OK;
}

int snf_output_path(const snf_output *o, const char *name, char *buf, size_t n)
{
    int k = name ? snprintf(buf, n, "%s/%s", o->path, name) : snprintf(buf, n, "%s", o->path);
    if (k < 0 || (size_t)k >= n) {
        SNF_ERROR(SNF_EINVAL, "output path '%s/%s' is too long", o->path, name ? name : "");
    }
    return SNF_OK;
}

/* The staged and final paths of staged entry i. */
static int snf_output_names(const snf_output *o, const char *name, char *final, size_t nf, char *tmp, size_t nt)
{
    SNF_CHECK(snf_output_path(o, o->is_dir ? name : NULL, final, nf));
    int k = snprintf(tmp, nt, "%s.tmp", final);
    if (k < 0 || (size_t)k >= nt) {
        SNF_ERROR(SNF_EINVAL, "output path '%s.tmp' is too long", final);
    }
    return SNF_OK;
}

/* Remembers name as staged (kind SNF_STAGED_*) and gives its .tmp path. */
static int snf_output_register(snf_output *o, const char *name, int kind, char *tmp, size_t nt)
{
    if (name == NULL || o->n_staged >= SNF_OUTPUT_MAX_STAGED || strlen(name) >= sizeof o->staged[0]) {
        SNF_ERROR(SNF_EINVAL, "%s: too many staged files or too long a name (%s)", o->path, name ? name : "");
    }
    char final[4096];
    SNF_CHECK(snf_output_names(o, name, final, sizeof final, tmp, nt));
    o->kind[o->n_staged] = (unsigned char)kind;
    snprintf(o->staged[o->n_staged++], sizeof o->staged[0], "%s", name); /* snf_output_end removes it unless committed */
    return SNF_OK;
}

static int snf_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a folder and everything below it (symbolic links are removed, never followed). */
static int snf_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    return nftw(path, snf_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

FILE *snf_output_open_file(snf_output *o, const char *name)
{
    char tmp[4200];
    if (snf_output_register(o, name, SNF_STAGED_FILE, tmp, sizeof tmp) < 0) {
        return NULL;
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        int e = errno;
        snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "cannot create %s: %s", tmp, strerror(e));
        return NULL;
    }
    return f;
}

int snf_output_stage_path(snf_output *o, const char *name, int resumable, char *buf, size_t n)
{
    return snf_output_register(o, name, resumable ? SNF_STAGED_RESUMABLE : SNF_STAGED_FILE, buf, n);
}

int snf_output_stage_dir(snf_output *o, const char *name, char *buf, size_t n)
{
    if (!o->is_dir) {
        SNF_ERROR(SNF_EINVAL, "%s: a staged folder needs a folder output", o->path);
    }
    SNF_CHECK(snf_output_register(o, name, SNF_STAGED_FOLDER, buf, n));
    if (snf_rm_tree(buf) != 0 || mkdir(buf, 0777) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot create the folder %s: %s", buf, strerror(e));
    }
    return SNF_OK;
}

/* Puts the staged folder tmp in place of final: at once where the kernel can exchange two names, else in two
 * renames (final moved aside to final.old first); the old folder is then removed. */
static int snf_output_swap_dir(const char *tmp, const char *final)
{
    struct stat st;
    if (lstat(final, &st) != 0) {
        if (rename(tmp, final) != 0) {
            int e = errno;
            SNF_ERROR(SNF_EIO, "cannot rename %s to %s: %s", tmp, final, strerror(e));
        }
        return SNF_OK;
    }
    if (!S_ISDIR(st.st_mode)) {
        SNF_ERROR(SNF_EINVAL, "%s exists and is not a folder (expected an output folder)", final);
    }
#ifdef RENAME_EXCHANGE
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        if (snf_rm_tree(tmp) != 0) { /* the old folder, now under the staged name */
            int e = errno;
            SNF_ERROR(SNF_EIO, "cannot remove the previous %s (now %s): %s", final, tmp, strerror(e));
        }
        return SNF_OK;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot put %s in place of %s: %s", tmp, final, strerror(e));
    }
#endif
    char old[4300];
    snprintf(old, sizeof old, "%s.old", final);
    if (snf_rm_tree(old) != 0 || rename(final, old) != 0 || rename(tmp, final) != 0 || snf_rm_tree(old) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot put %s in place of %s: %s", tmp, final, strerror(e));
    }
    return SNF_OK;
}

int snf_output_close_file(snf_output *o, FILE *f, const char *name)
{
    char final[4096] = "", tmp[4200] = "";
    snf_output_names(o, name, final, sizeof final, tmp, sizeof tmp);
    errno = 0;
    if (fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) != 0) {
        int e = errno;
        fclose(f);
        SNF_ERROR(SNF_EIO, "cannot write %s to disk (fsync): %s", tmp, strerror(e));
    }
    return snf_file_close_checked(f, tmp);
}

int snf_output_stage(snf_output *o, const char *name, int (*write)(void *ctx, FILE *f), void *ctx)
{
    FILE *f = snf_output_open_file(o, name);
    if (f == NULL) {
        return SNF_EIO;
    }
    errno = 0;
    snf_error_clear();
    int rc = write(ctx, f);
    if (rc < 0) {
        int e = errno ? errno : EIO;
        fclose(f);
        if (snf_error_last()[0] == '\0') { /* a writer that failed without a word: a failed fprintf */
            char final[4096] = "", tmp[4200] = "";
            snf_output_names(o, name, final, sizeof final, tmp, sizeof tmp);
            SNF_ERROR(SNF_EIO, "cannot write %s (for %s): %s", tmp, final, strerror(e));
        }
        return rc;
    }
    return snf_output_close_file(o, f, name);
}

int snf_output_commit(snf_output *o)
{
    for (int i = 0; i < o->n_staged; i++) {
        char final[4096], tmp[4200];
        SNF_CHECK(snf_output_names(o, o->staged[i], final, sizeof final, tmp, sizeof tmp));
        if (o->kind[i] == SNF_STAGED_FOLDER) {
            SNF_CHECK(snf_output_swap_dir(tmp, final));
        } else if (rename(tmp, final) != 0) {
            int e = errno;
            SNF_ERROR(SNF_EIO, "cannot rename %s to %s: %s", tmp, final, strerror(e));
        }
        o->staged[i][0] = '\0'; /* done: not removed by snf_output_end */
    }
    o->n_staged = 0;
    char dir[4096];
    if (o->is_dir) {
        snprintf(dir, sizeof dir, "%s", o->path);
    } else {
        snf_path_dir(o->path, dir, sizeof dir);
    }
    if (snf_fsync_path(dir, 1) != 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot make the renames in %s durable (fsync): %s", dir, strerror(e));
    }
    return SNF_OK;
}

void snf_output_end(snf_output *o)
{
    for (int i = 0; i < o->n_staged; i++) {
        char final[4096], tmp[4200];
        if (o->staged[i][0] == '\0' || o->kind[i] == SNF_STAGED_RESUMABLE ||
            snf_output_names(o, o->staged[i], final, sizeof final, tmp, sizeof tmp) < 0) {
            continue;
        }
        if (o->kind[i] == SNF_STAGED_FOLDER) {
            snf_rm_tree(tmp);
        } else {
            remove(tmp);
        }
    }
    o->n_staged = 0;
    if (o->lock >= 0) {
        snf_unlock_output(o->lock, o->path);
        o->lock = -1;
    }
}
