/* core/fileio.h: the one place snforge reads text tables and writes files.
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
 * removed when released) so that two runs never write one output; it never waits. A file system without
 * locks (flock failing with ENOLCK, ENOSYS or EOPNOTSUPP: NFS without lockd) is SNF_ENOLOCK, named as
 * such; SNF_FILE_LOCKING=FALSE (or HDF5_USE_FILE_LOCKING=FALSE) in the environment turns snforge's locks
 * and HDF5's own off for every command (snf_file_locking).
 * The output owner (snf_output_*): every command that writes goes through it. It takes the lock of its
 * output (a file, or a folder of several files), stages each file of a folder as NAME.tmp (checked
 * writes, fsync) and replaces them all only when every one is written (snf_output_commit), and removes
 * what it staged when the run fails (snf_output_end): a failure never leaves a half-written file or a
 * mix of two runs' files, and a second run on the same output refuses at once, touching nothing. Files
 * an HDF5 writer creates itself are staged by name (snf_output_stage_path; a campaign's resumable .tmp
 * is kept on failure), a folder of many files whole (snf_output_stage_dir).
 * Errors: SNF_EINVAL for a missing input file (the user's input), SNF_EIO with strerror(errno) for every
 * failing system call, SNF_EFORMAT "file:line: ..." for a malformed table. No function prints. */
#ifndef SNFORGE_CORE_FILEIO_H
#define SNFORGE_CORE_FILEIO_H

#include "snforge/export.h"

#include <stddef.h>
#include <sys/types.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

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

/* ---- writing text ---- */

/* s as a JSON string with its quotes: '"' and '\\' escaped, control characters as \n, \t or \u00XX. */
SNF_API void snf_json_string(FILE *f, const char *s);

/* s as one CSV field: as it is when it holds no ',', '"', CR or LF (nor leading or trailing blanks), else
 * in double quotes with '"' doubled (RFC 4180). */
SNF_API void snf_csv_field(FILE *f, const char *s);

/* ---- writing files ---- */

/* Makes tmp durable and atomically replaces path by it: fsync(tmp), rename(tmp, path), fsync of path's
 * folder. On failure SNF_EIO names the step and errno's text; tmp is left in place (a campaign's .tmp
 * stays resumable; small writers remove it). */
SNF_API int snf_atomic_commit(const char *tmp, const char *path);

/* Writes path through write(ctx, f) into path.tmp, checks every write (ferror, fflush, fclose: a full
 * disk is reported with errno's text), then snf_atomic_commit. write returns SNF_OK or < 0 (its own
 * error reported). On any failure path is untouched and path.tmp removed. */
SNF_API int snf_atomic_write_text(const char *path, int (*write)(void *ctx, FILE *f), void *ctx);

/* Sealed text, for the text files a resumed run reads back (a curriculum fold's scores and predictions, its
 * losses): snf_atomic_write_sealed writes as snf_atomic_write_text, then a last line "# digest HEX" (snf_digest
 * of every byte before it); snf_text_slurp_sealed reads the file as snf_text_slurp and checks that line, which
 * it removes from the buffer: a file without it, or with any byte changed, is SNF_EINVAL "PATH is damaged
 * (...)", so a damaged artefact is refused, never continued. Comment lines keep other readers unaffected. */
SNF_API int snf_atomic_write_sealed(const char *path, int (*write)(void *ctx, FILE *f), void *ctx);
SNF_API int snf_text_slurp_sealed(const char *path, const char *what, char **buf, size_t *len);

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

/* 1 unless the environment turns file locks off: SNF_FILE_LOCKING or HDF5_USE_FILE_LOCKING set to FALSE,
 * 0, NO or OFF (any case). With locks off, snf_lock_output takes no lock (the caller makes sure no other
 * run writes the output) and HDF5 files are opened without HDF5's lock (snf_h5_fapl). */
SNF_API int snf_file_locking(void);

/* ---- resume fingerprints ---- */

/* A resumable artefact (a chain, a fold's files, a trial, a checkpoint) records a fingerprint of everything
 * that defines it: "key=value" items joined by "; " (data digests, config digests, command-line overrides,
 * the program's version). snf_fingerprint_check compares the stored one with the one of this run, item by
 * item: SNF_OK if equal; else SNF_EINVAL "WHAT was made with other settings: KEY 'stored' -> 'now'; ...:
 * ADVICE" naming every item that changed (an item missing on either side counts as changed; a stored
 * fingerprint that is empty or NULL is "WHAT has no fingerprint"). */
SNF_API int snf_fingerprint_check(const char *what, const char *stored, const char *now, const char *advice);

/* 64-bit FNV-1a digest of n bytes, continuing h (start with SNF_DIGEST_INIT). */
#define SNF_DIGEST_INIT 14695981039346656037ULL /* FNV-1a's 64-bit offset basis (0xcbf29ce484222325) */
SNF_API unsigned long long snf_digest(unsigned long long h, const void *p, size_t n);

/* The digest of a whole file's bytes as 16 hex digits in hex[17]. SNF_EINVAL if it does not exist,
 * SNF_EIO if it cannot be read. */
SNF_API int snf_digest_file(const char *path, char hex[17]);

/* ---- the output owner ---- */

#define SNF_OUTPUT_MAX_STAGED 16

typedef struct snf_output {
    char path[4096]; /* the output, without trailing '/' */
    int is_dir;      /* 1: a folder of several files */
    int lock;        /* snf_lock_output's descriptor, -1 when not held */
    int n_staged;    /* files written as DIR/NAME.tmp, not yet renamed */
    char staged[SNF_OUTPUT_MAX_STAGED][256];
    unsigned char kind[SNF_OUTPUT_MAX_STAGED]; /* SNF_STAGED_FILE, _FOLDER or _RESUMABLE */
} snf_output;

enum {
    SNF_STAGED_FILE = 0,      /* removed when the run fails */
    SNF_STAGED_FOLDER = 1,    /* a whole folder DIR/NAME.tmp/, removed with its contents when the run fails */
    SNF_STAGED_RESUMABLE = 2  /* kept when the run fails: the next run resumes it (a campaign's FILE.tmp) */
};

/* Takes the output's lock (PATH.lock beside it, folders too) before touching anything, then for a folder
 * creates it (an existing folder is fine; a file of that name is SNF_EINVAL). A second run gets SNF_EIO
 * "PATH is being written by another snforge run (pid N)" at once; a file system without locks SNF_ENOLOCK;
 * a read-only or full file system SNF_EIO with errno's text. On failure nothing is left held. */
SNF_API int snf_output_begin(snf_output *o, const char *path, int is_dir);

/* DIR/NAME (or the file's own path for name NULL) into buf[n]; SNF_EINVAL if it does not fit. */
SNF_API int snf_output_path(const snf_output *o, const char *name, char *buf, size_t n);

/* Writes DIR/NAME.tmp through write(ctx, f) with every write checked and the file fsync'ed; remembered
 * for snf_output_commit. On failure the status is returned (errno's reason); snf_output_end removes it. */
SNF_API int snf_output_stage(snf_output *o, const char *name, int (*write)(void *ctx, FILE *f), void *ctx);

/* The same in two calls, for a writer that fills several files at once: opens DIR/NAME.tmp (staged; NULL
 * after reporting SNF_EIO), and closes it with every write checked and fsync (SNF_EIO with errno's text;
 * always closes f). For a single-file output, name is only a label. */
SNF_API FILE *snf_output_open_file(snf_output *o, const char *name);
SNF_API int snf_output_close_file(snf_output *o, FILE *f, const char *name);

/* For a writer that creates its file itself (HDF5): DIR/NAME.tmp (PATH.tmp for a single-file output; name
 * is then only a label) into buf[n], remembered for snf_output_commit. resumable: SNF_STAGED_RESUMABLE
 * (kept when the run fails, for the next run to resume) or SNF_STAGED_FILE (removed). */
SNF_API int snf_output_stage_path(snf_output *o, const char *name, int resumable, char *buf, size_t n);

/* For a writer of many files (one per model): a folder DIR/NAME.tmp/ created empty (a killed run's leftover
 * removed first) into buf[n]. snf_output_commit puts it in place of DIR/NAME at once (an existing DIR/NAME
 * is exchanged with it and then removed), so a reader sees the old folder or the new one, never a mix. */
SNF_API int snf_output_stage_dir(snf_output *o, const char *name, char *buf, size_t n);

/* Renames every staged file over its final name, then fsyncs the folder. The files are all written
 * before the first rename, so a failure while writing leaves every earlier output untouched. */
SNF_API int snf_output_commit(snf_output *o);

/* Removes the staged files not committed (a failed run) and releases the lock. Safe to call twice and
 * after a failed snf_output_begin. */
SNF_API void snf_output_end(snf_output *o);

/* ---- child processes (child.c) ---- */

/* In a child just forked by process `parent`: SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG), and exit
 * at once if it has died already (ensemble members, search trials). */
SNF_API void snf_child_tie_to_parent(pid_t parent);

#ifdef __cplusplus
}
#endif

#endif
