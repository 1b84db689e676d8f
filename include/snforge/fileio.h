/* fileio.h: the one place snforge reads text tables and writes files.
 *
 * Text tables (observation CSVs, hydro index files, column files, SNEC .dat files, INI files read whole):
 *   - snf_text_slurp reads a whole file, skips a UTF-8 byte-order mark (EF BB BF, what spreadsheets put in
 *     front of a CSV) and refuses NUL bytes (binary data) naming file:line;
 *   - snf_text_next walks its lines: LF or CRLF endings, blanks around the line trimmed, blank lines and
 *     '#' comment lines skipped, each line with its 1-based number in the file for messages;
 *   - snf_csv_split / snf_csv_number split a line at commas (blanks around each field trimmed) and read a
 *     field as a strict number, where an empty field is a missing value (NaN).
 * Atomic writes: a file is written as PATH.tmp, flushed to disk (fsync of the file), renamed over PATH and
 * the rename made durable (fsync of the folder): after a crash at any moment PATH is the old or the new
 * file, never a half-written one. snf_atomic_commit does the last two steps for writers that produce the
 * .tmp themselves (HDF5); snf_atomic_write_text runs a FILE* writer through all of them.
 * Output locks: snf_lock_output takes an exclusive flock(2) on PATH.lock (created beside the output,
 * removed when released) so that two runs never write one output; it never waits.
 * Errors: SNF_EINVAL for a missing input file (the user's input), SNF_EIO with strerror(errno) for every
 * failing system call, SNF_EFORMAT "file:line: ..." for a malformed table. No function prints. */
#ifndef SNFORGE_FILEIO_H
#define SNFORGE_FILEIO_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdio.h>

/* ---- reading text ---- */

/* Reads path whole into a NUL-terminated malloc'd buffer (*buf, caller frees), without a leading UTF-8
 * byte-order mark; *len excludes the terminator. what names the file's role in messages ("observation
 * file"). SNF_EINVAL if the file does not exist, SNF_EIO if it cannot be read (errno's text),
 * SNF_EFORMAT "path:line: binary data" for a NUL byte or a file over 2 GiB, SNF_ENOMEM. */
SNF_API int snf_text_slurp(const char *path, const char *what, char **buf, size_t *len);

/* Removes a leading UTF-8 byte-order mark from buf[0..*len) in place (memmove); returns 1 if there was one. */
SNF_API int snf_text_strip_bom(char *buf, size_t *len);

/* A cursor over the lines of a buffer. */
typedef struct snf_text_lines {
    const char *buf;
    size_t len, pos;
    int line;         /* 1-based number of the line last returned */
    int keep_comments; /* 1: '#' lines are returned too (a reader that wants them) */
} snf_text_lines;

/* A cursor at the start of buf (after a UTF-8 byte-order mark if there is one). */
SNF_API snf_text_lines snf_text_lines_init(const char *buf, size_t len);

/* Next line that is neither blank nor (unless keep_comments) a '#' comment: *s points into the buffer,
 * *n is its length without the line ending ('\n' or "\r\n") and without leading and trailing blanks.
 * Returns 1, or 0 at the end of the buffer. it->line is the line's number. */
SNF_API int snf_text_next(snf_text_lines *it, const char **s, size_t *n);

/* Splits s[0..n) at commas into fields (fs[k], fl[k]: start and length, blanks trimmed). Returns the
 * number of fields, which may exceed max (only the first max are stored). */
SNF_API int snf_csv_split(const char *s, size_t n, const char **fs, size_t *fl, int max);

/* A field as a number: the whole field must be one finite number (strtod's syntax, Fortran's 1.0D+03
 * accepted); an empty field is a missing value and gives NaN. Returns 0, -1 if it is not a number,
 * -2 if it is not finite (nan, inf, overflow; *out then holds the value read). */
SNF_API int snf_csv_number(const char *f, size_t n, double *out);

/* Copies a field into dst[n] as printable ASCII ('?' for other bytes, ".." when cut): for messages. */
SNF_API void snf_text_excerpt(char *dst, size_t n, const char *f, size_t len);

/* ---- writing files ---- */

/* Makes tmp durable and atomically replaces path by it: fsync(tmp), rename(tmp, path), fsync of path's
 * folder. On failure SNF_EIO names the step and errno's text; tmp is left in place (a campaign's .tmp
 * stays resumable; small writers remove it). */
SNF_API int snf_atomic_commit(const char *tmp, const char *path);

/* Writes path through write(ctx, f) into path.tmp, checks every write (ferror, fflush, fclose: a full
 * disk is reported with errno's text), then snf_atomic_commit. write returns SNF_OK or < 0 (its own
 * error reported). On any failure path is untouched and path.tmp removed. */
SNF_API int snf_atomic_write_text(const char *path, int (*write)(void *ctx, FILE *f), void *ctx);

/* Closes a FILE* written by a caller and reports a write error (ferror, fflush or fclose failing) as
 * SNF_EIO "cannot write NAME: strerror". Always closes f. */
SNF_API int snf_file_close_checked(FILE *f, const char *name);

/* ---- locks ---- */

/* An exclusive lock on an output: flock(LOCK_EX | LOCK_NB) on "path.lock" (created; the pid written in
 * it), so that two runs never write one output. Never waits. Returns a descriptor >= 0 for
 * snf_unlock_output, or SNF_EIO "PATH is being written by another snforge run (pid N) ..." when another
 * process holds it, or the reason it could not be taken. Released when the process exits, whatever the
 * way; a lock file left by a killed run is simply locked again. Not reentrant: a process must not lock
 * one path twice. */
SNF_API int snf_lock_output(const char *path);
/* Removes path.lock and releases the lock (fd < 0: nothing). */
SNF_API void snf_unlock_output(int fd, const char *path);

/* The path of path's folder into dir[n] ("." for a bare name). */
SNF_API void snf_path_dir(const char *path, char *dir, size_t n);

#endif
