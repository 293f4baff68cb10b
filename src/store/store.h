/*
** store: ruralink's database access. One interface, two backends: SQLite
** (embedded, one county per machine; this file's first implementation) and
** PostgreSQL later (a province). Nothing of either library leaks through this
** header: domain modules see opaque handles, `?` placeholders and int64 /
** double / text / blob values only.
**
** Writes. Every write runs on the store's single writer thread. A caller
** hands a function (store_fn) to store_write() or store_submit(); the writer
** takes whatever is queued (up to a batch limit), opens one transaction,
** runs each function inside its own SAVEPOINT (so one failing request rolls
** back alone; STORE_CHECKS_FIRST requests skip it), commits durably (WAL + fsync), and only then
*acknowledges every
** request in the batch (group commit). Because writes are serial, counters
** kept in tables (stock, flash-sale quantities) cannot be oversold: read,
** check and update inside one store_fn.
**
** Reads. store_read() borrows a connection from a pool of read connections
** (WAL lets them run beside the writer) and runs the function on it.
**
** Schema. Each domain module owns its tables and brings its own numbered
** migrations (struct store_migration). main registers every module's list in
** layer order with store_add_migrations(); store_migrate() applies whatever
** is missing, each migration in its own transaction, recorded in
** schema_migrations(module, version, applied_ms).
**
** Audit. store_audit() appends to audit_log from inside a write, so the audit
** record commits or rolls back with the change it describes.
**
** SQL dialect: write portable SQL (the common subset of SQLite and
** PostgreSQL) with `?` placeholders; the PostgreSQL backend will rewrite `?`
** to `$n`. Where dialects differ a migration gives both texts.
*/
#ifndef RL_STORE_H
#define RL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

struct store;      /* a database: writer thread + read pool */
struct store_conn; /* one connection, lent to a store_fn for its duration */
struct store_stmt; /* a prepared statement, cached per connection */

struct store_config {
    const char *path;            /* SQLite file; ":memory:" is refused (needs WAL) */
    int read_conns;              /* size of the read pool (default 4) */
    int max_batch;               /* most writes in one group commit (default 256) */
    int max_queue;               /* queued writes before store_submit says ERR_BUSY
                                    (default 65536) */
    bool synchronous_full;       /* fsync on every commit (default true; false only
                                    for tests that do not test durability) */
    int64_t idem_keep_ms;        /* Idempotency-Key records (and claims left by a
                                    crash) older than this are deleted (default
                                    24 hours; negative: kept for ever) ... */
    int64_t idem_prune_every_ms; /* ... by the writer between batches, at most
                               this often (default 1 hour; 0: every batch) */
    int64_t slow_commit_ms;      /* a COMMIT (with its fsync) slower than this is
                                    logged as store.slow_commit (default 1000;
                                    negative: never) */
    struct log *log;             /* may be NULL */
};

/* Fill cfg with the defaults above (path NULL, log NULL). Start from this:
** a zero-filled struct would mean synchronous_full = false (no fsync per
** commit), which is only right for tests. */
void store_config_defaults(struct store_config *cfg);

/* Open (creating the file if needed) and start the writer thread. Does not
** migrate: call store_add_migrations() then store_migrate(). On success you
** own *out; store_close() it. */
int store_open(struct store **out, const struct store_config *cfg, struct err *e);

/* Stop accepting writes, commit everything already queued, stop the writer,
** close all connections. Safe with NULL. No store_read may be running, and
** no call on st may start once store_close has begun (writes queued before
** it are committed and answered). */
void store_close(struct store *st);

/* ---------------------------------------------------------------- schema */

struct store_migration {
    int version;        /* 1, 2, 3 ... within the module, never reused */
    const char *name;   /* short description */
    const char *sql;    /* SQLite text; may hold several statements */
    const char *sql_pg; /* PostgreSQL text, NULL when `sql` works on both */
};

/* Register a module's migrations (array of n, versions ascending). The array
** is borrowed and must outlive the store (use static const arrays). Modules
** are migrated in registration order. */
int store_add_migrations(struct store *st, const char *module, const struct store_migration *m,
                         size_t n, struct err *e);

/* A column of one module's table that holds the id of a row of another
** module's table: a reference the database does not enforce (each module
** owns its tables and migrations, so there is no FOREIGN KEY across them).
** The module owning the parent table asks store_ref_find before deleting
** a row. Every table named must have county_id. */
struct store_ref {
    const char *parent; /* "villages" */
    const char *table;  /* "market_producers" */
    const char *column; /* "village_id" */
};

/* Register references (array of n, borrowed: use static const arrays). */
int store_add_refs(struct store *st, const struct store_ref *refs, size_t n, struct err *e);

/* Inside a read or write: the first registered reference whose table has a
** row of county_id naming parent row `id`; *found false when none does.
** One indexed or scanned lookup per reference (LIMIT 1). */
int store_ref_find(struct store_conn *c, const char *parent, int64_t county_id, int64_t id,
                   bool *found, const struct store_ref **which, struct err *e);

/* Apply every registered migration not yet recorded. Idempotent. */
int store_migrate(struct store *st, struct err *e);

/* ------------------------------------------------------------ reads, writes */

/* The unit of work: runs on a lent connection. Return 0 to commit (writes),
** or a negative ERR_* with e filled to roll this one request back. */
typedef int (*store_fn)(struct store_conn *c, void *arg, struct err *e);

/* Run fn on a pooled read connection (blocks while all are lent), inside
** one read transaction: every statement of fn sees the same snapshot. Do not
** call store_read from inside fn (the pool may be empty: deadlock). */
int store_read(struct store *st, store_fn fn, void *arg, struct err *e);

/* Queue fn for the writer and wait until its batch is durably committed.
** Returns fn's result (0 only when committed), or ERR_BUSY when the queue is
** full, ERR_DB when the batch's commit failed. */
int store_write(struct store *st, store_fn fn, void *arg, struct err *e);

/* Asynchronous form for event-driven callers (HTTP handlers that suspend
** their connection). `done` runs on the writer thread after the batch
** commits (or fails) with fn's result and its message; it must be quick
** and must not call store_write. Returns 0 when queued, ERR_BUSY when full.
** `e` passed to fn is owned by the store and lent to `done`. */
typedef void (*store_done_fn)(void *done_arg, int rc, const struct err *e);
int store_submit(struct store *st, store_fn fn, void *arg, store_done_fn done, void *done_arg);

/* Flags of a write (store_submit_flags, store_write_flags). */
enum {
    /* fn makes every check that can refuse the request before its first
    ** write, so a refusal leaves nothing to undo, and the writer runs it
    ** without its own SAVEPOINT. A savepoint costs a copy of every page the
    ** request touches that the batch had already changed: about a fifth of a
    ** flash-sale order's SQL time. Should fn fail after all with rows
    ** changed (a broken promise, or a write that failed on the disk), the
    ** writer rolls the batch's transaction back: the requests that ran in
    ** it are answered ERR_DB and nothing of them is kept; the rest of the
    ** batch goes on in a new transaction. */
    STORE_CHECKS_FIRST = 1u << 0,
};
int store_submit_flags(struct store *st, store_fn fn, void *arg, unsigned flags, store_done_fn done,
                       void *done_arg);
int store_write_flags(struct store *st, store_fn fn, void *arg, unsigned flags, struct err *e);

/* --------------------------------------------------------------- statements */

enum { STORE_ROW = 1, STORE_DONE = 0 };

/* Prepare (or fetch from the connection's cache) a statement. The statement
** is reset and its bindings cleared; it stays owned by the connection and is
** valid until the store_fn returns. Placeholders are `?`, numbered from 1. */
int store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out, struct err *e);

int store_bind_i64(struct store_stmt *s, int idx, int64_t v);
int store_bind_double(struct store_stmt *s, int idx, double v);
/* Text is copied by the store (len < 0 means NUL-terminated). */
int store_bind_text(struct store_stmt *s, int idx, const char *v, ptrdiff_t len);
int store_bind_blob(struct store_stmt *s, int idx, const void *v, size_t len);
int store_bind_null(struct store_stmt *s, int idx);

/* Advance: STORE_ROW (a row is ready), STORE_DONE, or a negative error with
** e filled (a unique-key violation is ERR_EXISTS, a foreign-key or CHECK
** violation ERR_CONFLICT). */
int store_step(struct store_stmt *s, struct err *e);
/* The common "WHERE county_id = ? AND <key> = ?" lookup: prepare sql, bind
** a and b to its two parameters and step once. Returns as store_step; on
** STORE_ROW read the row from *out. */
int store_step2(struct store_conn *c, const char *sql, int64_t a, int64_t b,
                struct store_stmt **out, struct err *e);

/* Column access on the current row (0-based). Text and blobs are borrowed
** until the next step/reset. */
int store_col_count(struct store_stmt *s);
bool store_col_is_null(struct store_stmt *s, int col);
int64_t store_col_i64(struct store_stmt *s, int col);
double store_col_double(struct store_stmt *s, int col);
const char *store_col_text(struct store_stmt *s, int col); /* "" for NULL */
const void *store_col_blob(struct store_stmt *s, int col, size_t *len);

/* Memory a module keeps with a connection between calls, e.g. a cache of
** rows that never change once written. `key` names the slot by its address
** (use the address of a static object of the module); the first call
** allocates `size` zero-filled bytes, later calls return the same block
** (size must not change). Freed when the connection closes. It belongs to
** the connection, so only the thread holding the connection touches it:
** on the writer connection, every store_fn in turn. When a batch's whole
** transaction rolls back (its COMMIT fails, or SQLite ends it), the
** writer forgets every block (the next call gets a zeroed one again); a
** single request rolled back to its savepoint does not clear anything, so
** keep nothing a request could make untrue and then roll back. */
void *store_conn_scratch(struct store_conn *c, const void *key, size_t size);

/* Run SQL without bindings or results (may hold several statements). */
int store_exec(struct store_conn *c, const char *sql, struct err *e);
/* Id of the last row inserted on this connection (INSERT ... RETURNING id
** also works and is the portable way). */
int64_t store_last_insert_id(struct store_conn *c);
/* Rows changed by the last statement on this connection. */
int64_t store_changes(struct store_conn *c);

/* ------------------------------------------------------------------- audit */

/* Append an audit record inside the current write (actor_user_id 0 = the
** system). `detail_json` may be NULL. */
int store_audit(struct store_conn *c, int64_t county_id, int64_t actor_user_id, const char *action,
                const char *entity, int64_t entity_id, const char *detail_json, struct err *e);

/* ------------------------------------------------------------- idempotency */

/* The first answer to a POST carrying an Idempotency-Key, kept in the
** store's idempotency_keys table (county_id, user_id, key). */
struct store_idem {
    int status; /* HTTP status of the first answer */
    char *body; /* NUL-terminated; you own it (store_idem_release) */
    size_t body_len;
    int64_t created_ms;
};

/* Look up a recorded answer (in a read or a write). 0 and *out filled;
** ERR_NOTFOUND when none; ERR_CONFLICT when the key was used for another
** method or path (message says which). */
int store_idem_get(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                   const char *method, const char *path, struct store_idem *out, struct err *e);
/* Record the answer inside the write that produced it, so both commit or
** roll back together. ERR_EXISTS when the key is already recorded. Body is
** copied. */
int store_idem_put(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                   const char *method, const char *path, int status, const char *body,
                   size_t body_len, struct err *e);
/* A claim is a record with status 0: the request holding the key is running
** (or the server stopped while it ran: its outcome is unknown). HTTP claims a
** key durably before running the handler, so that no retry, racing or after
** a crash, runs it twice. store_idem_put(..., status 0, NULL, 0) claims;
** store_idem_finish turns the claim into the answer (ERR_NOTFOUND when there
** is no claim); store_idem_unclaim drops a claim (the request failed before
** writing anything, a retry may run again). */
int store_idem_finish(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                      int status, const char *body, size_t body_len, struct err *e);
int store_idem_unclaim(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                       struct err *e);
/* Delete records created before before_ms (in a write); *deleted may be NULL. */
int store_idem_prune(struct store_conn *c, int64_t before_ms, int64_t *deleted, struct err *e);
/* Free out->body; safe on a zeroed struct. */
void store_idem_release(struct store_idem *r);

/* ------------------------------------------------------------------- stats */

struct store_stats {
    uint64_t writes;             /* requests committed */
    uint64_t writes_failed;      /* requests rolled back (their own error) */
    uint64_t batches;            /* transactions committed */
    uint64_t batch_size_hist[8]; /* batches of size 1, 2-3, 4-7, ... 128+ */
    uint64_t queue_depth;        /* requests waiting now */
    uint64_t reads;
};
void store_get_stats(struct store *st, struct store_stats *out);

/* ----------------------------------------------------------------- backups */

struct store_backup_info {
    char path[4096];     /* the file written */
    int64_t bytes;       /* its size */
    int64_t tables;      /* tables in it */
    int64_t migrations;  /* schema_migrations rows in it */
    int64_t duration_ms; /* copy, check and sync */
};

/* Copy the database at db_path, live or not, to out: a file, or a directory
** that gets "ruralink-YYYYMMDDTHHMMSSZ.db" (UTC). The copy is one commit's
** state, compact, checked with PRAGMA integrity_check and fsynced before it
** appears under its name; the source is opened read-only and never
** migrated. An existing target is refused with ERR_EXISTS unless replace.
** Works beside a running server (its own read-only connection). */
int store_backup(const char *db_path, const char *out, bool replace, struct store_backup_info *info,
                 struct err *e);

/* Delete the oldest backups named as store_backup names them in dir so that
** keep (>= 1) remain; other files are never touched. *deleted says how many
** went. */
int store_backup_prune(const char *dir, int keep, int *deleted, struct err *e);

/* Name of the backend ("sqlite"), for /metrics and health. */
const char *store_backend(const struct store *st);

#endif
