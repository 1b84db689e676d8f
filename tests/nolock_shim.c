/* nolock_shim.c: an LD_PRELOAD library for test_outputs_lock.sh that makes this process's file system look
 * like one without locks (NFS without lockd): every flock() and every fcntl() lock request (F_SETLK,
 * F_SETLKW and their open-file-description forms, which libhdf5 may use) fails with ENOLCK. Every other
 * fcntl() command goes to the C library's. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>

int flock(int fd, int operation);
int fcntl(int fd, int cmd, ...);

int flock(int fd, int operation)
{
    (void)fd;
    (void)operation;
    errno = ENOLCK;
    return -1;
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* every fcntl argument fits a pointer (int or struct pointer) */
    va_end(ap);
    if (cmd == F_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) {
        errno = ENOLCK;
        return -1;
    }
    int (*real)(int, int, ...) = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl");
    return real ? real(fd, cmd, arg) : (errno = ENOSYS, -1);
}
