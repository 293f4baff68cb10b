/*
** conn.c: one SQLite connection as the rest of ruralink sees it (struct
** store_conn). Opens a connection with the pragmas of its role (the writer:
** WAL, synchronous FULL or NORMAL, foreign keys; a reader: query_only), keeps
** a per-connection statement cache keyed by SQL text, and implements the
** statement API of store.h (prepare, bind, step, columns, exec) with SQLite
** result codes mapped to ERR_* codes. A struct store_stmt is a sqlite3_stmt
** under an opaque name; nothing here is visible above store.h.
*/
#include "store/store_int.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ errors */

int store__db_err(sqlite3 *db, int rc, const char *what, struct err *e)
{
    int x = db ? sqlite3_extended_errcode(db) : rc;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int code;
    switch (x) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
        code = ERR_EXISTS;
        break;
    default:
        /* FOREIGNKEY, CHECK, NOTNULL, TRIGGER (RAISE(ABORT, ...)) and the
        ** rest of the constraint family: the state does not allow it. */
        code = (x & 0xff) == SQLITE_CONSTRAINT ? ERR_CONFLICT : ERR_DB;
        break;
    }
    if (what && what[0])
        return err_set(e, code, "%s: %s", what, msg);
    return err_set(e, code, "%s", msg);
}

/* ------------------------------------------------------------ open, close */

static int pragma(sqlite3 *db, const char *sql, struct err *e)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store__db_err(db, rc, sql, e);
    return 0;
}

/* SQLite's memory statistics take a process-wide mutex on every malloc and
** free: a writer and the readers would contend on it for figures nothing
** reads. Off before the library initialises (a no-op, refused, if a caller
** in this process already initialised it). */
static pthread_once_t sqlite_configured = PTHREAD_ONCE_INIT;

static void sqlite_configure(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store__conn_open(struct store_conn **out, struct store *st, const char *path, bool writer,
                     bool sync_full, struct err *e)
{
    sqlite3 *db = NULL;
    pthread_once(&sqlite_configured, sqlite_configure);
    /* NOMUTEX: a connection is only ever used by one thread at a time (the
    ** writer, or whoever borrowed it from the pool). */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, ERR_IO, "cannot open %s: %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return ERR_IO;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);
    if (writer) {
        /* journal_mode answers the mode it ended up in: a database that
        ** cannot do WAL (":memory:", some network file systems) is refused. */
        sqlite3_stmt *s = NULL;
        rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            store__db_err(db, rc, "", e);
            err_prefix(e, "%s: cannot switch to WAL: ", path);
            sqlite3_finalize(s);
            sqlite3_close(db);
            return ERR_DB;
        }
        const char *mode = (const char *)sqlite3_column_text(s, 0);
        bool wal = mode && strcmp(mode, "wal") == 0;
        sqlite3_finalize(s);
        if (!wal) {
            err_set(e, ERR_UNSUPPORTED, "%s: database cannot use WAL (journal mode stays '%s')",
                    path, mode ? mode : "?");
            sqlite3_close(db);
            return ERR_UNSUPPORTED;
        }
        rc = pragma(db, sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", e);
        if (!rc)
            rc = pragma(db, "PRAGMA foreign_keys=ON", e);
        /* After one huge transaction (an import) the WAL would keep its
        ** size forever; cut it back to 64 MiB at the next checkpoint. */
        if (!rc)
            rc = pragma(db, "PRAGMA journal_size_limit=67108864", e);
    } else {
        rc = pragma(db, "PRAGMA query_only=ON", e);
        if (!rc)
            rc = pragma(db, "PRAGMA foreign_keys=ON", e);
    }
    /* Page cache per connection (SQLite's default is 2 MiB); temporary
    ** b-trees for sorts and DISTINCT stay in memory. */
    if (!rc)
        rc = pragma(db, "PRAGMA cache_size=-8192", e);
    if (!rc)
        rc = pragma(db, "PRAGMA temp_store=MEMORY", e);
    if (rc) {
        err_prefix(e, "%s: ", path);
        sqlite3_close(db);
        return rc;
    }
    struct store_conn *c = xcalloc(1, sizeof *c);
    c->db = db;
    c->st = st;
    c->nslots = 64;
    c->slots = xcalloc(c->nslots, sizeof *c->slots);
    *out = c;
    return 0;
}

void store__conn_close(struct store_conn *c)
{
    if (!c)
        return;
    store__conn_release_lent(c);
    for (size_t i = 0; i < c->nslots; i++) {
        if (c->slots[i].sql) {
            sqlite3_finalize(c->slots[i].stmt);
            free(c->slots[i].sql);
        }
    }
    free(c->slots);
    free(c->lent);
    free(c->extra);
    store__conn_drop_scratch(c);
    /* The last connection to close checkpoints the WAL into the main file
    ** and removes it. */
    sqlite3_close(c->db);
    free(c);
}

/* -------------------------------------------------------- statement cache */

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static struct stmt_slot *slot_find(struct stmt_slot *slots, size_t nslots, const char *sql,
                                   uint64_t h)
{
    size_t mask = nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct stmt_slot *sl = &slots[i];
        if (!sl->sql || (sl->hash == h && strcmp(sl->sql, sql) == 0))
            return sl;
    }
}

static void cache_grow(struct store_conn *c)
{
    size_t n = c->nslots * 2;
    struct stmt_slot *slots = xcalloc(n, sizeof *slots);
    for (size_t i = 0; i < c->nslots; i++) {
        struct stmt_slot *old = &c->slots[i];
        if (old->sql)
            *slot_find(slots, n, old->sql, old->hash) = *old;
    }
    free(c->slots);
    c->slots = slots;
    c->nslots = n;
    memset(c->recent, 0, sizeof c->recent); /* slots moved */
}

static bool only_space(const char *p)
{
    for (; p && *p; p++) {
        if (!strchr(" \t\r\n;", *p))
            return false;
    }
    return true;
}

/* Find or prepare; *cached says whether the connection keeps it. */
static int cache_get(struct store_conn *c, const char *sql, sqlite3_stmt **out, bool *cached,
                     struct err *e)
{
    if (!sql)
        return err_set(e, ERR_INVAL, "store_prepare: no SQL");
    size_t ri = ((uintptr_t)sql >> 3) % RL_ARRAY_LEN(c->recent);
    struct stmt_slot *rs = c->recent[ri];
    if (rs && strcmp(rs->sql, sql) == 0) {
        *out = rs->stmt;
        *cached = true;
        return 0;
    }
    uint64_t h = hash_sql(sql);
    struct stmt_slot *sl = slot_find(c->slots, c->nslots, sql, h);
    if (sl->sql) {
        c->recent[ri] = sl;
        *out = sl->stmt;
        *cached = true;
        return 0;
    }
    sqlite3_stmt *s = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, &tail);
    if (rc != SQLITE_OK)
        return store__db_err(c->db, rc, "", e);
    if (!s)
        return err_set(e, ERR_INVAL, "store_prepare: empty SQL");
    if (!only_space(tail)) {
        sqlite3_finalize(s);
        return err_set(e, ERR_INVAL, "store_prepare: one statement only (use store_exec)");
    }
    if (c->nused >= STORE_CACHE_MAX) {
        *out = s;
        *cached = false;
        return 0;
    }
    if ((c->nused + 1) * 2 > c->nslots) {
        cache_grow(c);
        sl = slot_find(c->slots, c->nslots, sql, h);
    }
    sl->sql = xstrdup(sql);
    sl->hash = h;
    sl->stmt = s;
    c->nused++;
    c->recent[ri] = sl;
    *out = s;
    *cached = true;
    return 0;
}

void store__conn_release_lent(struct store_conn *c)
{
    for (size_t i = 0; i < c->nlent; i++)
        sqlite3_reset(c->lent[i]);
    c->nlent = 0;
    for (size_t i = 0; i < c->nextra; i++)
        sqlite3_finalize(c->extra[i]);
    c->nextra = 0;
}

int store__conn_run(struct store_conn *c, const char *sql, struct err *e)
{
    sqlite3_stmt *s;
    bool cached;
    int rc = cache_get(c, sql, &s, &cached, e);
    if (rc)
        return rc;
    rc = sqlite3_step(s);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = store__db_err(c->db, rc, sql, e);
    if (cached)
        sqlite3_reset(s);
    else
        sqlite3_finalize(s);
    return ret;
}

/* ---------------------------------------------------------------- store.h */

void store__conn_drop_scratch(struct store_conn *c)
{
    for (struct conn_scratch *x = c->scratch, *next; x; x = next) {
        next = x->next;
        free(x);
    }
    c->scratch = NULL;
}

void *store_conn_scratch(struct store_conn *c, const void *key, size_t size)
{
    for (struct conn_scratch *x = c->scratch; x; x = x->next)
        if (x->key == key)
            return x->mem;
    struct conn_scratch *x = xcalloc(1, sizeof *x + size);
    x->key = key;
    x->next = c->scratch;
    c->scratch = x;
    return x->mem;
}

int store_prepare(struct store_conn *c, const char *sql, struct store_stmt **out, struct err *e)
{
    sqlite3_stmt *s;
    bool cached;
    int rc = cache_get(c, sql, &s, &cached, e);
    if (rc)
        return rc;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (cached) {
        xgrow((void **)&c->lent, &c->caplent, c->nlent + 1, sizeof *c->lent);
        c->lent[c->nlent++] = s;
    } else {
        xgrow((void **)&c->extra, &c->capextra, c->nextra + 1, sizeof *c->extra);
        c->extra[c->nextra++] = s;
    }
    *out = (struct store_stmt *)s;
    return 0;
}

#define RAW(s) ((sqlite3_stmt *)(s))

static int bind_rc(int rc)
{
    if (rc == SQLITE_OK)
        return 0;
    return rc == SQLITE_RANGE ? ERR_INVAL : ERR_DB;
}

int store_bind_i64(struct store_stmt *s, int idx, int64_t v)
{
    return bind_rc(sqlite3_bind_int64(RAW(s), idx, v));
}

int store_bind_double(struct store_stmt *s, int idx, double v)
{
    return bind_rc(sqlite3_bind_double(RAW(s), idx, v));
}

int store_bind_text(struct store_stmt *s, int idx, const char *v, ptrdiff_t len)
{
    if (!v)
        return bind_rc(sqlite3_bind_null(RAW(s), idx));
    return bind_rc(sqlite3_bind_text64(RAW(s), idx, v, len < 0 ? strlen(v) : (sqlite3_uint64)len,
                                       SQLITE_TRANSIENT, SQLITE_UTF8));
}

int store_bind_blob(struct store_stmt *s, int idx, const void *v, size_t len)
{
    /* SQLite binds a NULL pointer as SQL NULL; an empty blob is not NULL. */
    if (len == 0)
        return bind_rc(sqlite3_bind_zeroblob(RAW(s), idx, 0));
    return bind_rc(sqlite3_bind_blob64(RAW(s), idx, v, len, SQLITE_TRANSIENT));
}

int store_bind_null(struct store_stmt *s, int idx)
{
    return bind_rc(sqlite3_bind_null(RAW(s), idx));
}

int store_step(struct store_stmt *s, struct err *e)
{
    int rc = sqlite3_step(RAW(s));
    if (rc == SQLITE_ROW)
        return STORE_ROW;
    if (rc == SQLITE_DONE)
        return STORE_DONE;
    return store__db_err(sqlite3_db_handle(RAW(s)), rc, "", e);
}

int store_step2(struct store_conn *c, const char *sql, int64_t a, int64_t b,
                struct store_stmt **out, struct err *e)
{
    int rc = store_prepare(c, sql, out, e);
    if (rc)
        return rc;
    store_bind_i64(*out, 1, a);
    store_bind_i64(*out, 2, b);
    return store_step(*out, e);
}

int store_col_count(struct store_stmt *s)
{
    return sqlite3_column_count(RAW(s));
}

bool store_col_is_null(struct store_stmt *s, int col)
{
    return sqlite3_column_type(RAW(s), col) == SQLITE_NULL;
}

int64_t store_col_i64(struct store_stmt *s, int col)
{
    return sqlite3_column_int64(RAW(s), col);
}

double store_col_double(struct store_stmt *s, int col)
{
    return sqlite3_column_double(RAW(s), col);
}

const char *store_col_text(struct store_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(RAW(s), col);
    return t ? (const char *)t : "";
}

const void *store_col_blob(struct store_stmt *s, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(RAW(s), col);
    if (len)
        *len = (size_t)sqlite3_column_bytes(RAW(s), col);
    return p;
}

int store_exec(struct store_conn *c, const char *sql, struct err *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK)
        return store__db_err(c->db, rc, "", e);
    return 0;
}

int64_t store_last_insert_id(struct store_conn *c)
{
    return sqlite3_last_insert_rowid(c->db);
}

int64_t store_changes(struct store_conn *c)
{
    return sqlite3_changes64(c->db);
}

/* ------------------------------------------------------------- references */

bool store__ident_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char ch = s[n];
        bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (!alpha && !(n > 0 && ch >= '0' && ch <= '9'))
            return false;
    }
    return n > 0 && n < 64;
}

int store_ref_find(struct store_conn *c, const char *parent, int64_t county_id, int64_t id,
                   bool *found, const struct store_ref **which, struct err *e)
{
    const struct store_ref *const *refs;
    size_t n;
    store__refs(c->st, &refs, &n);
    *found = false;
    if (which)
        *which = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(refs[i]->parent, parent) != 0)
            continue;
        char sql[256]; /* names were checked by store_add_refs */
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE county_id = ? AND %s = ? LIMIT 1",
                 refs[i]->table, refs[i]->column);
        struct store_stmt *s;
        int rc = store_step2(c, sql, county_id, id, &s, e);
        if (rc < 0)
            return rc;
        if (rc == STORE_ROW) {
            *found = true;
            if (which)
                *which = refs[i];
            return 0;
        }
    }
    return 0;
}
