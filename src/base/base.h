/*
** base: the small things every ruralink module uses.
**
**   errors   negative ERR_* codes and struct err (code + message)
**   memory   xmalloc & co. (abort on out-of-memory), arena allocator
**   strings  struct str slices, struct strbuf growable buffers with a cap
**   log      logfmt lines with levels, one handle per process (no globals)
**   time     milliseconds since the Unix epoch, RFC 3339, monotonic clock
**   json     helpers over json-c: bounded parsing with positions, typed
**            field access with messages that name the field, number output
**
** Nothing here knows about the store, HTTP or any domain.
*/
#ifndef RL_BASE_H
#define RL_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define RL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RL_NORETURN __attribute__((noreturn))
#else
#define RL_PRINTF(a, b)
#define RL_NORETURN
#endif

#define RL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ errors */

/* Fallible functions return 0 or one of these (always negative). */
enum {
    ERR_OK = 0,
    ERR_INVAL = -1,    /* bad input: malformed, wrong type, out of range */
    ERR_NOTFOUND = -2, /* no such record / file / route */
    ERR_EXISTS = -3,   /* unique key already taken */
    ERR_CONFLICT = -4, /* state does not allow it (e.g. illegal transition) */
    ERR_PERM = -5,     /* authenticated, but not allowed */
    ERR_AUTH = -6,     /* not authenticated (missing / bad credentials) */
    ERR_TOOBIG = -7,   /* over a size limit */
    ERR_IO = -8,       /* file or socket error */
    ERR_DB = -9,       /* store error */
    ERR_BUSY = -10,    /* try again later (rate limit, queue full) */
    ERR_TIMEOUT = -11, /* deadline passed */
    ERR_UNSUPPORTED = -12,
    ERR_INTERNAL = -13,   /* a bug: an invariant did not hold */
    ERR_INFEASIBLE = -14, /* a plan or solution breaks a constraint */
    /* A field names a record that does not exist or may not be used there
    ** (another county's village, a disabled buyer): HTTP 422. */
    ERR_BADREF = -15
};
#define ERR_COUNT 16

/* A stable short name for a code ("invalid", "not_found", ...). Never NULL. */
const char *err_str(int code);

/*
** An error with its message. Functions that can fail take a `struct err *`
** (which may be NULL when the caller does not want the message) and fill it
** on failure only. The message is plain text meant for a person.
*/
struct err {
    int code;
    char msg[256];
};

/* Set code and message; returns code so callers can `return err_set(...)`. */
int err_set(struct err *e, int code, const char *fmt, ...) RL_PRINTF(3, 4);
int err_setv(struct err *e, int code, const char *fmt, va_list ap);
/* Prefix an existing message: "line 3: " + old message. Returns e->code. */
int err_prefix(struct err *e, const char *fmt, ...) RL_PRINTF(2, 3);
void err_clear(struct err *e);

/* ------------------------------------------------------------------ memory */

/* Allocation that cannot fail: out-of-memory prints and aborts. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (an array of `size`-byte items with capacity *cap) to hold `need`. */
void xgrow(void **p, size_t *cap, size_t need, size_t size);
RL_NORETURN void rl_die(const char *fmt, ...) RL_PRINTF(1, 2);
/* The allocator behind malloc in this process: "mimalloc" when the
** build linked mimalloc and it took malloc over (RL_MIMALLOC), "glibc"
** otherwise. It checks where a fresh allocation lives, so a link that
** silently kept glibc's malloc says so. */
const char *mem_allocator(void);

/*
** Arena: bump allocation from blocks, all freed at once by arena_release().
** Used per request and per ingest batch. The struct is owned by the caller
** (arena_init/arena_release); memory from arena_alloc lives until then.
*/
struct arena_block;
struct arena {
    struct arena_block *head;
    size_t block_size;
    size_t total; /* bytes handed out, for metrics and limits */
};
void arena_init(struct arena *a, size_t block_size);
void *arena_alloc(struct arena *a, size_t n); /* 16-byte aligned */
void *arena_calloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) RL_PRINTF(2, 3);
void arena_reset(struct arena *a);   /* free all but the first block (unless oversized) */
void arena_release(struct arena *a); /* free everything */

/* ----------------------------------------------------------------- strings */

/* A borrowed slice; not NUL-terminated. */
struct str {
    const char *ptr;
    size_t len;
};
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
struct str str_from(const char *s);
bool str_eq(struct str a, const char *b);
bool str_has_prefix(struct str s, const char *prefix);
/* Parse the whole slice as a base-10 integer / finite double. */
int str_to_i64(struct str s, int64_t *out);
int str_to_double(struct str s, double *out);
/* True when the bytes are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *p, size_t len);

/*
** strbuf: a growable NUL-terminated buffer with a hard cap (curl's dynbuf).
** `max` is the most bytes it may ever hold (0 means 1 GiB). Adding past it
** returns ERR_TOOBIG and leaves the content as it was. The caller owns the
** struct; strbuf_release frees the storage, strbuf_detach hands it over.
*/
struct strbuf {
    char *buf;
    size_t len;
    size_t cap;
    size_t max;
};
#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }
void strbuf_init(struct strbuf *sb, size_t max);
int strbuf_add(struct strbuf *sb, const void *p, size_t n);
int strbuf_addstr(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) RL_PRINTF(2, 3);
int strbuf_addvf(struct strbuf *sb, const char *fmt, va_list ap);
/* v as exactly n decimal digits at p, zero-padded, no NUL (v < 10^n): for
** fixed-width fields written on hot paths without printf. */
void str_put_digits(char *p, uint64_t v, int n);
/* The dotted quad of an IPv4 address (4 bytes in network order, as in
** struct in_addr) into out. inet_ntop does the same through sprintf, a
** measurable share of a keep-alive request that names its peer. */
void str_ipv4(const void *addr4, char out[16]);
/* Append s as a JSON string literal (quotes and escapes included). */
int strbuf_add_json_str(struct strbuf *sb, const char *s, size_t n);
/* Always a valid C string (empty when nothing was added). Borrowed. */
const char *strbuf_str(const struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* You now own the storage (free() it); the strbuf is empty again. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_release(struct strbuf *sb);

/* Read a whole file into sb (at most sb->max bytes). */
int file_read_all(const char *path, struct strbuf *sb, struct err *e);
/* Write atomically: temp file in the same folder, fsync, rename. A path
** that is not a regular file (a device such as /dev/null, a pipe) is
** written in place instead, and a symbolic link to a regular file keeps
** its link (the file it names is replaced). A directory is an error. */
int file_write_atomic(const char *path, const void *p, size_t n, struct err *e);

/* --------------------------------------------------------------------- log */

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/*
** One line per event in logfmt: `ts=2026-11-29T08:30:00.123Z level=info
** event=http.request method=GET path=/api/v1/health status=200 ms=0.41`.
** The handle is created in main and passed down; log_write is thread-safe
** (one fwrite per line).
*/
struct log;
int log_new(struct log **out, FILE *to, enum log_level min);
void log_free(struct log *lg);
void log_set_level(struct log *lg, enum log_level min);
bool log_enabled(const struct log *lg, enum log_level lvl);
/* `kv` is a printf format for the key=value pairs after event=...; values
** with spaces or quotes should go through log_quote. lg may be NULL. */
void log_write(struct log *lg, enum log_level lvl, const char *event, const char *kv, ...)
    RL_PRINTF(4, 5);
/* Quote a value for logfmt into buf (always NUL-terminated, truncated). */
const char *log_quote(char *buf, size_t size, const char *value);
int log_level_parse(const char *name, enum log_level *out);

/* ------------------------------------------------------------------ thread */

/* Lower the calling thread's scheduling priority by `by` nice steps (capped
** at 19; other threads keep theirs). 0, or ERR_IO with the priority as it
** was. Never needs privileges. */
int thread_lower_priority(int by);

/* -------------------------------------------------------------------- time */

/* Milliseconds since the Unix epoch, UTC (wall clock). */
int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds / seconds, for durations and deadlines. */
int64_t time_mono_ns(void);
double time_mono_s(void);
/* "2026-11-29T08:30:00.123Z" (24 chars + NUL; buf must hold 32). */
const char *time_fmt_rfc3339(int64_t ms, char buf[32]);
/* Accepts RFC 3339 with 'Z' or a +hh:mm offset, optional fraction. */
int time_parse_rfc3339(const char *s, int64_t *ms);
/* Days since epoch <-> civil date (proleptic Gregorian), no time zone. */
int64_t time_days_from_civil(int y, unsigned m, unsigned d);
void time_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);
/* "2026-11-29" -> ms at 00:00 UTC of that day. */
int time_parse_date(const char *s, int64_t *ms);

/* -------------------------------------------------------------------- json */

struct json_object; /* json-c; include <json-c/json.h> to use it */

/* Deepest nesting rjson_parse accepts. */
#define RJSON_MAX_DEPTH 32

/*
** Parse exactly one JSON document from buf[0..len). Trailing non-space bytes,
** invalid UTF-8 and nesting deeper than RJSON_MAX_DEPTH are errors; the
** message names the byte offset. On success you own *out (json_object_put).
*/
int rjson_parse(const char *buf, size_t len, struct json_object **out, struct err *e);

/* The same with a parser state kept by the caller for reuse (json-c's
** json_tokener_new_ex(RJSON_MAX_DEPTH); *tok is made on first use, free it
** with json_tokener_free): a server parsing many small bodies skips the
** parser's allocation each time. */
struct json_tokener;
int rjson_parse_reuse(struct json_tokener **tok, const char *buf, size_t len,
                      struct json_object **out, struct err *e);

/*
** Typed field access. Each returns 0 and sets *out, ERR_NOTFOUND when the key
** is absent (and `required` is false: *out untouched), or ERR_INVAL with a
** message naming the field ("field 'price_fen' must be an integer"). A JSON
** null counts as absent. Strings are borrowed from obj.
*/
int rjson_get_str(struct json_object *obj, const char *key, bool required, const char **out,
                  struct err *e);
int rjson_get_i64(struct json_object *obj, const char *key, bool required, int64_t *out,
                  struct err *e);
int rjson_get_double(struct json_object *obj, const char *key, bool required, double *out,
                     struct err *e);
int rjson_get_bool(struct json_object *obj, const char *key, bool required, bool *out,
                   struct err *e);
int rjson_get_obj(struct json_object *obj, const char *key, bool required, struct json_object **out,
                  struct err *e);
int rjson_get_array(struct json_object *obj, const char *key, bool required,
                    struct json_object **out, struct err *e);
/* Reject keys of obj not in the NULL-terminated list `allowed`. */
int rjson_only_keys(struct json_object *obj, const char *const *allowed, struct err *e);

/* A double that serializes with at most `digits` significant digits (default
** json-c prints 17). */
struct json_object *rjson_new_double(double v, int digits);
/* RFC 3339 string from ms since epoch. */
struct json_object *rjson_new_time(int64_t ms);
/* Serialize compactly; the string is owned by obj. */
const char *rjson_str(struct json_object *obj, size_t *len);

#endif
