/*
** store_int.h: private to src/store. The SQLite connection wrapper (with its
** statement cache) shared by the writer, the read pool and the migration
** runner. Nothing outside src/store includes this file.
*/
#ifndef RL_STORE_INT_H
#define RL_STORE_INT_H

#include "store/store.h"

#include <sqlite3.h>

/* One cached statement: key is the SQL text (owned copy). */
struct stmt_slot {
    char *sql;
    uint64_t hash;
    sqlite3_stmt *stmt;
};

/* Most statements one connection keeps prepared; past it, new texts are
** prepared for the current store_fn only (finalized when it returns). */
#define STORE_CACHE_MAX 512

/* One store_conn_scratch block. */
struct conn_scratch {
    struct conn_scratch *next;
    const void *key;
    max_align_t mem[]; /* zero-filled, aligned for anything */
};

struct store_conn {
    sqlite3 *db;
    struct store *st;
    /* statement cache: open addressing, capacity a power of two */
    struct stmt_slot *slots;
    size_t nslots, nused;
    /* statements handed out during the current store_fn, reset after it */
    sqlite3_stmt **lent;
    size_t nlent, caplent;
    /* uncached statements (cache full), finalized after the current fn */
    sqlite3_stmt **extra;
    size_t nextra, capextra;
    /* store_conn_scratch: module memory kept with the connection */
    struct conn_scratch *scratch;
    /* direct-mapped by the SQL text's address: most callers pass string
    ** literals, so a repeat finds its slot without hashing the text (the
    ** text is still compared: an address may be a reused buffer) */
    struct stmt_slot *recent[64];
};

/* Open a connection with the pragmas for its role. On success *out is
** owned by the caller (store__conn_close). */
int store__conn_open(struct store_conn **out, struct store *st, const char *path, bool writer,
                     bool sync_full, struct err *e);
void store__conn_close(struct store_conn *c);
/* Forget every store_conn_scratch block (a whole transaction rolled back:
** what modules kept may describe rows that are gone). */
void store__conn_drop_scratch(struct store_conn *c);

/* Reset every statement lent since the last call and drop uncached ones;
** call after each store_fn returns. */
void store__conn_release_lent(struct store_conn *c);

/* Run a cached statement without bindings or rows (BEGIN, SAVEPOINT ...). */
int store__conn_run(struct store_conn *c, const char *sql, struct err *e);

/* Fill e from the connection's last SQLite error, mapping constraint kinds
** to ERR_EXISTS / ERR_CONFLICT; returns the code. `what` prefixes it. */
int store__db_err(sqlite3 *db, int rc, const char *what, struct err *e);

/* The store's own migrations (module "store"): schema_migrations,
** audit_log, idempotency_keys. */
extern const struct store_migration store__own_migrations[];
extern const size_t store__own_migrations_len;

/* Queue fn as a request that runs alone in its own transaction (migrations)
** and wait for it. */
int store__write_solo(struct store *st, store_fn fn, void *arg, struct err *e);

/* Migrate just the store's own module (called by store_open). */
int store__migrate_own(struct store *st, struct err *e);

/* Registered modules, in order (migrate.c reads them). */
struct store_module {
    char *name;
    const struct store_migration *m;
    size_t n;
};
/* The store's log (may be NULL). */
struct log *store__log(struct store *st);
void store__modules(struct store *st, const struct store_module **out, size_t *n);
void store__refs(struct store *st, const struct store_ref *const **out, size_t *n);
/* A plain SQL identifier: [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes. */
bool store__ident_ok(const char *s);

#endif
