/* core/ini.h: INI texts parsed with Debian's libinih, with line numbers. The text goes to ini_parse_stream one
 * line per call through a reader that counts lines and notes the line of each section header, so a
 * handler can say where a value stands; the first failure is kept as "NAME:LINE: [section] key: what".
 * It knows no sections or keys (the caller's handler does). A recorded failure becomes an error only
 * when the caller says so (snf_ini_report); snf_ini_file_read reports its own.
 * Used by campaign files (config.h), the columns format (hydro.h) and training configs (train.h). */
#ifndef SNFORGE_CORE_INI_H
#define SNFORGE_CORE_INI_H

#include "snforge/export.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types ---- */

#define SNF_INI_MAX_SECTIONS 32 /* section headers remembered for snf_ini_section_line */
#define SNF_INI_MAX_KEYS 160    /* keys remembered for snf_ini_key_seen */

/* The caller's handler, called once per key with inih's arguments (libinih's ini_handler). Returns
 * nonzero to go on; 0 marks the line as failed for inih (snf_ini_parse then returns that line). */
typedef int (*snf_ini_handler)(void *user, const char *section, const char *key, const char *value);

/* Parser state; fill it with snf_ini_init. Read line and section_line inside a handler. It is about
 * 17 KB: keep it in a heap-allocated parse state rather than on a thread's stack. */
typedef struct snf_ini {
    const char *name;  /* the file's name in messages */
    const char *text;  /* the text (not owned); NUL bytes inside it read as '?' */
    size_t len, pos;
    int line;          /* line the reader returned last (1-based): the line of the handler's key */
    int section_line;  /* line of the last section header read (0: none yet) */
    int at_line_start; /* the next reader call starts a new line */
    int err;           /* first failure's status (SNF_EFORMAT), 0 if none */
    char msg[1024];    /* first failure's message */
    struct { char name[64]; int line; } sections[SNF_INI_MAX_SECTIONS];
    int n_sections;
    char keys[SNF_INI_MAX_KEYS][96]; /* "section\nkey" already seen */
    int n_keys;
} snf_ini;

/* ---- init ---- */

/* Prepares p to parse len bytes of text; name appears in messages. Keeps pointers to both. */
SNF_API void snf_ini_init(snf_ini *p, const char *name, const char *text, size_t len);

/* ---- run ---- */

/* Feeds the whole text to inih, calling handler(user, section, key, value) for each key. A line longer
 * than inih's buffer is recorded as a failure ("line longer than N characters"). Returns inih's result:
 * 0 every line was read, > 0 the first line inih could not parse (or whose handler returned 0), < 0 inih
 * itself failed (out of memory). Failures are in p->err / p->msg; inih's own failure is not recorded
 * (snf_ini_fail_syntax does it in the configs' wording; the columns format has its own). */
SNF_API int snf_ini_parse(snf_ini *p, snf_ini_handler handler, void *user);

/* Records the first failure as "NAME:LINE: [section] key: what" (LINE <= 0: "NAME: ..."; no key:
 * "[section]: what"; no section: "what" alone) with p->err = SNF_EFORMAT. Later calls change nothing.
 * Returns 0, so a handler can return its value. */
SNF_API int snf_ini_fail(snf_ini *p, int line, const char *section, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* Records inih's own failure from snf_ini_parse's result with the campaign and training configs'
 * wording: rc > 0 "NAME:RC: syntax error (expected [section], key = value, or a ; comment)", rc < 0
 * "NAME: ini parser failed (RC)". rc == 0 or an earlier failure: nothing. Returns 0. */
SNF_API int snf_ini_fail_syntax(snf_ini *p, int rc);

/* Passes the recorded failure to snf_error_report and returns its status; SNF_OK if none. */
SNF_API int snf_ini_report(const snf_ini *p);

/* The end of a config parser: snf_ini_report's status, and on success *kept = a copy of the parsed text
 * (the caller frees it; a config keeps its text verbatim); SNF_ENOMEM "out of memory parsing NAME". */
SNF_API int snf_ini_finish(const snf_ini *p, char **kept, const char *text, const char *name);

/* ---- typed values (for handlers) ---- */

/* The whole value v must parse (trailing blanks allowed). On success *out is set and 1 returned; otherwise
 * the failure is recorded at the current line as "NAME:LINE: [sec] key: 'V' is not ..." (snf_ini_fail) and
 * 0 returned, so a handler can return the result. Messages:
 *   double/float: a finite number in [lo, hi]: "'V' is not a finite number" when lo = -INFINITY and
 *                 hi = INFINITY, else "'V' is not a number in [LO, HI]" (%g); out of range (ERANGE) fails
 *   long/int:     a whole number in [lo, hi] (2.05e5 is accepted as 205000): "'V' is not an integer in
 *                 [LO, HI]"
 *   bool:         yes/true/on/1 or no/false/off/0: "'V' is not yes or no" */
SNF_API int snf_ini_double(snf_ini *p, const char *sec, const char *key, const char *v, double lo, double hi,
                   double *out);
SNF_API int snf_ini_float(snf_ini *p, const char *sec, const char *key, const char *v, double lo, double hi, float *out);
SNF_API int snf_ini_long(snf_ini *p, const char *sec, const char *key, const char *v, long lo, long hi, long *out);
SNF_API int snf_ini_int(snf_ini *p, const char *sec, const char *key, const char *v, long lo, long hi, int *out);
SNF_API int snf_ini_bool(snf_ini *p, const char *sec, const char *key, const char *v, int *out);

/* ---- getters ---- */

/* Line of the first / the last header [section] (among the first SNF_INI_MAX_SECTIONS headers), 0 if
 * none. A section may be given in several parts; campaign files name the first, training configs the last. */
SNF_API int snf_ini_section_line(const snf_ini *p, const char *section);
SNF_API int snf_ini_section_line_last(const snf_ini *p, const char *section);

/* 1 if this section's key was seen before; otherwise remembers it (up to SNF_INI_MAX_KEYS) and
 * returns 0. For "given twice" messages. */
SNF_API int snf_ini_key_seen(snf_ini *p, const char *section, const char *key);

/* ---- files ---- */

/* Reads the whole file path through the one text reader (fileio.h: a UTF-8 byte-order mark dropped) into a
 * NUL-terminated buffer (*text, caller frees; *len bytes). what names the kind of file in messages
 * ("campaign file"). SNF_OK; SNF_EIO "cannot read WHAT PATH:0: reason", with errno ENOENT for a missing
 * file (so a caller can treat that as bad input); SNF_EFORMAT "PATH:LINE: binary data" for a NUL byte;
 * SNF_ENOMEM. On failure *text is NULL and *len 0. */
SNF_API int snf_ini_file_read(char **text, size_t *len, const char *path, const char *what);

/* snf_ini_file_read for a config the user names on the command line: a missing file is SNF_EINVAL (the
 * user's input: exit 2), with the same message. */
SNF_API int snf_ini_config_read(char **text, const char *path, const char *what);

/* A path rel given in the config file name, into out[n]: taken from name's folder unless rel is absolute or
 * name has none; a result longer than n - 1 characters keeps rel alone (cut to n - 1; the open names it). */
SNF_API void snf_ini_resolve(char *out, size_t n, const char *name, const char *rel);

#ifdef __cplusplus
}
#endif

#endif
