#define _GNU_SOURCE /* strsignal */
/* h5file.c: creating and opening HDF5 files so that damage is an error, never a crash (h5io.h): version
 * bounds with checksummed metadata, no truncation in place, HDF5 lock failures told apart from damage, and
 * the guard that first reads a file in a child process. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snforge/core.h"

/* ---- errors ---- */

static herr_t snf_h5_lock_cb(unsigned k, const H5E_error2_t *e, void *data)
{
    (void)k;
    int *found = data;
    if (e->min_num == H5E_CANTLOCKFILE || (e->desc != NULL && strstr(e->desc, "unable to lock") != NULL)) {
        *found = 1;
    }
    return 0;
}

int snf_h5_lock_failed(void)
{
    int found = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, snf_h5_lock_cb, &found);
    return found;
}

/* HDF5 puts the lock call's errno in its message: "unable to lock file, errno = 37, error message = ...". */
static herr_t snf_h5_lock_errno_cb(unsigned k, const H5E_error2_t *e, void *data)
{
    (void)k;
    int *err = data;
    const char *p = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (p != NULL && *err == 0) {
        *err = atoi(p + 8);
    }
    return 0;
}

int snf_h5_lock_error(const char *path, const char *reason)
{
    int err = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, snf_h5_lock_errno_cb, &err);
    if (err == ENOLCK || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSUP) {
        char dir[4096];
        snf_path_dir(path, dir, sizeof dir);
        return snf_error_report(SNF_ENOLOCK, __FILE__, __LINE__, __func__,
                                "cannot lock %s: the file system of %s does not support file locks (%s; NFS without "
                                "lockd?): set SNF_FILE_LOCKING=FALSE (or HDF5_USE_FILE_LOCKING=FALSE) to run without "
                                "locks, and make sure no other run writes it", path, dir, strerror(err));
    }
    return snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__,
                            "%s is open in another program (HDF5 file lock: %s): close it and run again", path, reason);
}

hid_t snf_h5_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) {
        return -1;
    }
    /* H5F_CLOSE_STRONG: H5Fclose closes every object still open in the file, so that a file id is never
     * left behind for libhdf5's exit handler. */
    if (H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        (!snf_file_locking() && H5Pset_file_locking(fapl, 0, 1) < 0)) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

/* ---- create / open ---- */

hid_t snf_h5_create_file(const char *path)
{
    snf_h5_quiet();
    /* Unlinked, never truncated: a program still reading the old file keeps it whole. */
    if (unlink(path) != 0 && errno != ENOENT) {
        int e = errno;
        snf_error_report(SNF_EIO, __FILE__, __LINE__, __func__, "cannot replace %s: %s", path, strerror(e));
        return -1;
    }
    hid_t fapl = snf_h5_fapl();
    if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) < 0) {
        if (fapl >= 0) {
            H5Pclose(fapl);
        }
        snf_error_report(SNF_EHDF5, __FILE__, __LINE__, __func__, "%s: cannot set the HDF5 format bounds", path);
        return -1;
    }
    errno = 0;
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    int e = errno;
    if (f < 0) {
        char reason[256];
        snf_h5_reason(reason, sizeof reason); /* before H5Pclose clears the error stack */
        int locked = snf_h5_lock_failed();
        if (locked) {
            snf_h5_lock_error(path, reason);
        }
        H5Pclose(fapl);
        if (locked) {
            return -1;
        }
        /* H5Fcreate may have made path (0 bytes, say, on a full disk) before it failed: path was unlinked above
         * and created exclusively, so what is there now is this call's and goes */
        unlink(path);
        /* the system's reason once: HDF5's reason often quotes it already */
        const int quoted = e && strstr(reason, strerror(e)) != NULL;
        snf_error_report(e ? SNF_EIO : SNF_EHDF5, __FILE__, __LINE__, __func__, "cannot create %s: %s%s%s", path,
                         reason, e && !quoted ? ": " : "", e && !quoted ? strerror(e) : "");
        return -1;
    }
    H5Pclose(fapl);
    return f;
}

int snf_h5_open(hid_t *out, const char *path, int writable, const char *what)
{
    *out = -1;
    snf_h5_quiet();
    const char *role = what ? what : "HDF5 file";
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        SNF_ERROR(e == ENOENT ? SNF_EINVAL : SNF_EIO, "cannot read %s %s: %s", role, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        SNF_ERROR(SNF_EINVAL, "%s is not a file (expected a %s)", path, role);
    }
    int fd = open(path, writable ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        int e = errno;
        SNF_ERROR(SNF_EIO, "cannot open %s %s: %s", role, path, strerror(e));
    }
    close(fd);
    hid_t fapl = snf_h5_fapl();
    hid_t f = fapl < 0 ? -1 : H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    if (f < 0) {
        /* read the error stack before any other HDF5 call clears it (H5Pclose included) */
        char reason[256];
        snf_h5_reason(reason, sizeof reason);
        if (snf_h5_lock_failed()) {
            int lrc = snf_h5_lock_error(path, reason);
            H5Pclose(fapl);
            return lrc;
        }
        if (fapl >= 0) {
            H5Pclose(fapl);
        }
        SNF_ERROR(SNF_EFORMAT, "%s is not a readable %s (not HDF5, or damaged: %s)", path, role, reason);
    }
    H5Pclose(fapl);
    *out = f;
    return SNF_OK;
}

/* ---- the guard ---- */

int snf_h5_guard(const char *path, const char *what, int (*check)(const char *path, void *ctx), void *ctx,
                 int timeout_s)
{
    const char *off = getenv("SNF_H5_NO_GUARD");
    if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) {
        return SNF_OK;
    }
    fflush(NULL);
    int fds[2] = {-1, -1};
    if (pipe(fds) != 0) {
        return SNF_OK; /* cannot guard: the caller's own read still checks everything it reads */
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return SNF_OK;
    }
    if (pid == 0) {
        close(fds[0]);
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0) {
            dup2(dn, STDOUT_FILENO);
            dup2(dn, STDERR_FILENO);
        }
        signal(SIGALRM, SIG_DFL);
        alarm((unsigned)(timeout_s > 0 ? timeout_s : 60));
        int rc = check(path, ctx);
        if (rc < 0) { /* the error and its message, for the parent to report without reading the file again */
            char msg[1100];
            int n = snprintf(msg, sizeof msg, "%d\n%s", rc, snf_error_last_message());
            if (n > 0 && write(fds[1], msg, (size_t)(n < (int)sizeof msg ? n : (int)sizeof msg - 1)) < 0) {
                rc = -1;
            }
        }
        _exit(rc < 0 ? 3 : 0); /* no atexit handlers: the parent's open HDF5 files are not the child's */
    }
    close(fds[1]);
    char msg[1100];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fds[0], msg + got, sizeof msg - 1 - got);
        if (r > 0 && got + (size_t)r < sizeof msg - 1) {
            got += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r > 0) {
            got += (size_t)r;
        }
        break;
    }
    msg[got] = '\0';
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return SNF_OK;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        return SNF_OK;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
        /* The check failed cleanly: report its error; the parent never reads a file its child found bad. */
        char *nl = strchr(msg, '\n');
        int code = nl ? atoi(msg) : SNF_EFORMAT;
        if (code >= 0 || code < -100) {
            code = SNF_EFORMAT;
        }
        return snf_error_report(code, __FILE__, __LINE__, __func__, "%s", nl ? nl + 1 : "the file failed its checks");
    }
    const char *role = what ? what : "HDF5 file";
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
        SNF_ERROR(SNF_EFORMAT, "%s: the %s is damaged: reading it did not finish in %d s (libhdf5 looping, or reading gigabytes for a damaged size); "
                  "restore it from a copy or write it again", path, role, timeout_s);
    }
    if (WIFSIGNALED(st)) {
        SNF_ERROR(SNF_EFORMAT, "%s: the %s is damaged: reading it crashed libhdf5 (%s) in a checking process; "
                  "restore it from a copy or write it again", path, role, strsignal(WTERMSIG(st)));
    }
    SNF_ERROR(SNF_EFORMAT, "%s: the %s is damaged: reading it failed in a checking process (exit %d, a "
              "sanitizer's report); restore it from a copy or write it again", path, role, WEXITSTATUS(st));
}
