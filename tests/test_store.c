/* Unit tests for src/store: open, migrations, statements, error mapping,
** group commit with per-request savepoints, async submit, queue limits,
** audit and idempotency records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "ts_store.h"

/* ------------------------------------------------------------ fixtures */

struct fx {
    char dir[256];
    char path[300];
};

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-store-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char p[400];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static const struct store_migration t_migs[] = {
    {1, "items",
     "CREATE TABLE items (id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL,"
     " name TEXT NOT NULL UNIQUE, qty INTEGER NOT NULL CHECK (qty >= 0),"
     " price REAL, photo BLOB);",
     NULL},
    {2, "orders",
     "CREATE TABLE orders (id INTEGER PRIMARY KEY,"
     " item_id INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL);"
     "CREATE INDEX orders_item ON orders (item_id);"
     "CREATE TABLE notes (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL"
     " REFERENCES items (id) DEFERRABLE INITIALLY DEFERRED);",
     NULL},
};

static struct store *open_store(struct fx *f, int max_queue, int read_conns)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false; /* durability has its own test */
    if (max_queue)
        cfg.max_queue = max_queue;
    if (read_conns)
        cfg.read_conns = read_conns;
    struct store *st = NULL;
    struct err e = {0};
    int rc = store_open(&st, &cfg, &e);
    if (rc)
        fail_msg("store_open: %s", e.msg);
    rc = store_add_migrations(st, "t", t_migs, RL_ARRAY_LEN(t_migs), &e);
    assert_int_equal(rc, 0);
    rc = store_migrate(st, &e);
    if (rc)
        fail_msg("store_migrate: %s", e.msg);
    return st;
}

/* Run one SELECT returning a single integer (bound: up to 2 int params). */
struct q1 {
    const char *sql;
    int nargs;
    int64_t a[2];
    int64_t out;
};

static int q1_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct q1 *q = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, q->sql, &s, e);
    if (rc)
        return rc;
    for (int i = 0; i < q->nargs; i++)
        store_bind_i64(s, i + 1, q->a[i]);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    q->out = rc == STORE_ROW ? store_col_i64(s, 0) : -1;
    return 0;
}

static int64_t q1(struct store *st, const char *sql)
{
    struct q1 q = {sql, 0, {0, 0}, 0};
    struct err e = {0};
    int rc = store_read(st, q1_fn, &q, &e);
    if (rc)
        fail_msg("%s: %s", sql, e.msg);
    return q.out;
}

/* Insert an item; optionally audit it; optionally fail afterwards. */
struct ins {
    int64_t id;
    const char *name;
    int64_t qty;
    bool audit;
    int fail_with; /* 0, or an ERR_* returned after the inserts */
};

static int ins_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct ins *in = arg;
    struct store_stmt *s;
    int rc =
        store_prepare(c, "INSERT INTO items (id, county_id, name, qty) VALUES (?, 1, ?, ?)", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, in->id);
    store_bind_text(s, 2, in->name, -1);
    store_bind_i64(s, 3, in->qty);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (in->audit) {
        rc = store_audit(c, 1, 7, "item.create", "item", in->id, "{\"via\":\"test\"}", e);
        if (rc)
            return rc;
    }
    if (in->fail_with)
        return err_set(e, in->fail_with, "request %lld refuses", (long long)in->id);
    return 0;
}

/* A store_fn that returns an error without a message still gets one. */
static int bare_fail_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)c;
    (void)arg;
    (void)e;
    return ERR_NOTFOUND;
}

/* ---------------------------------------------------------------- tests */

static void test_open_refusals(void **state)
{
    struct fx *f = *state;
    struct store_config cfg;
    store_config_defaults(&cfg);
    assert_true(cfg.synchronous_full);
    assert_int_equal(cfg.read_conns, 4);
    struct store *st = (struct store *)1;
    struct err e = {0};
    cfg.path = ":memory:";
    assert_int_equal(store_open(&st, &cfg, &e), ERR_INVAL);
    assert_null(st);
    assert_non_null(strstr(e.msg, "memory"));
    char bad[400];
    snprintf(bad, sizeof bad, "%s/no/such/dir/x.db", f->dir);
    cfg.path = bad;
    assert_int_equal(store_open(&st, &cfg, &e), ERR_IO);
    assert_non_null(strstr(e.msg, "cannot open"));
    store_close(NULL);
}

static void test_migrate(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    assert_string_equal(store_backend(st), "sqlite");
    assert_int_equal(q1(st, "SELECT count(*) FROM schema_migrations WHERE module = 't'"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM schema_migrations WHERE module = 'store'"), 1);
    assert_int_equal(q1(st, "SELECT count(*) FROM orders"), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log"), 0);
    /* idempotent */
    struct err e = {0};
    assert_int_equal(store_migrate(st, &e), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM schema_migrations"), 3);
    /* registration rules */
    static const struct store_migration desc[] = {{2, "b", "SELECT 1", NULL},
                                                  {1, "a", "SELECT 1", NULL}};
    assert_int_equal(store_add_migrations(st, "u", desc, 2, &e), ERR_INVAL);
    assert_int_equal(store_add_migrations(st, "t", t_migs, 2, &e), ERR_EXISTS);
    assert_int_equal(store_add_migrations(st, "store", t_migs, 2, &e), ERR_INVAL);
    store_close(st);

    /* A build that knows only v1 must refuse the v2 database. */
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    assert_int_equal(store_add_migrations(st, "t", t_migs, 1, &e), 0);
    assert_int_equal(store_migrate(st, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "version 2 of module 't'"));
    assert_non_null(strstr(e.msg, "only up to 1"));
    store_close(st);

    /* A broken migration: not recorded, earlier ones stay, nothing half-done. */
    const struct store_migration more[] = {
        /* outlives st: closed below */
        t_migs[0],
        t_migs[1],
        {3, "broken", "CREATE TABLE extra (x INTEGER); THIS IS NOT SQL;", NULL},
    };
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    assert_int_equal(store_add_migrations(st, "t", more, 3, &e), 0);
    int rc = store_migrate(st, &e);
    assert_int_equal(rc, ERR_DB);
    assert_non_null(strstr(e.msg, "migration t/3 (broken)"));
    assert_int_equal(q1(st, "SELECT count(*) FROM schema_migrations WHERE module = 't'"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM sqlite_master WHERE name = 'extra'"), 0);
    store_close(st);
}

static int put_newer_store_version(struct store_conn *c, void *arg, struct err *e)
{
    (void)arg;
    return store_exec(c,
                      "INSERT INTO schema_migrations (module, version, name, applied_ms) "
                      "VALUES ('store', 99, 'from the future', 0)",
                      e);
}

static void test_newer_store_schema_refused(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    assert_int_equal(store_write(st, put_newer_store_version, NULL, &e), 0);
    store_close(st);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    st = NULL;
    assert_int_equal(store_open(&st, &cfg, &e), ERR_CONFLICT);
    assert_null(st);
    assert_non_null(strstr(e.msg, "module 'store'"));
}

struct rowcheck {
    int64_t id;
    char name[64];
    double price;
    bool price_null;
    size_t photo_len;
    unsigned char photo[8];
    int cols;
};

static int set_extra_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)arg;
    struct store_stmt *s;
    int rc =
        store_prepare(c, "UPDATE items SET price = ?, photo = ?, name = ? WHERE id = 1", &s, e);
    if (rc)
        return rc;
    store_bind_double(s, 1, 2.5);
    store_bind_blob(s, 2, "\x01\x00\x02", 3);
    store_bind_text(s, 3, "apples and more", 6); /* only "apples" */
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_changes(c) == 1 ? 0 : err_set(e, ERR_INTERNAL, "changes");
}

static int get_row_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct rowcheck *r = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id, name, price, photo FROM items WHERE id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, r->id);
    rc = store_step(s, e);
    if (rc != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no row");
    r->cols = store_col_count(s);
    snprintf(r->name, sizeof r->name, "%s", store_col_text(s, 1));
    r->price_null = store_col_is_null(s, 2);
    r->price = store_col_double(s, 2);
    const void *p = store_col_blob(s, 3, &r->photo_len);
    if (p && r->photo_len <= sizeof r->photo)
        memcpy(r->photo, p, r->photo_len);
    return store_step(s, e) == STORE_DONE ? 0 : err_set(e, ERR_INTERNAL, "two rows");
}

static const struct store_ref t_refs[] = {
    {"shelves", "items", "qty"}, /* items.qty names a row of "shelves" */
};

struct reffind {
    int64_t county, id;
    bool found;
    const struct store_ref *which;
};

static int reffind_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct reffind *r = arg;
    return store_ref_find(c, "shelves", r->county, r->id, &r->found, &r->which, e);
}

/* Registered references are found per county; names that are not plain SQL
** identifiers are refused at registration. */
static void test_refs(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    static const struct store_ref bad[] = {{"shelves", "items; DROP TABLE items", "qty"}};
    assert_int_equal(store_add_refs(st, bad, 1, &e), ERR_INVAL);
    assert_int_equal(store_add_refs(st, t_refs, RL_ARRAY_LEN(t_refs), &e), 0);
    struct ins in = {1, "apples", 7, false, 0};
    assert_int_equal(store_write(st, ins_fn, &in, &e), 0);
    struct reffind r = {1, 7, false, NULL};
    assert_int_equal(store_read(st, reffind_fn, &r, &e), 0);
    assert_true(r.found);
    assert_ptr_equal(r.which, &t_refs[0]);
    r = (struct reffind){2, 7, true, NULL}; /* another county */
    assert_int_equal(store_read(st, reffind_fn, &r, &e), 0);
    assert_false(r.found);
    r = (struct reffind){1, 8, true, NULL};
    assert_int_equal(store_read(st, reffind_fn, &r, &e), 0);
    assert_false(r.found);
    store_close(st);
}

static void test_write_read(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct ins in = {1, "apples", 10, false, 0};
    assert_int_equal(store_write(st, ins_fn, &in, &e), 0);
    struct rowcheck r = {.id = 1};
    assert_int_equal(store_read(st, get_row_fn, &r, &e), 0);
    assert_int_equal(r.cols, 4);
    assert_string_equal(r.name, "apples");
    assert_true(r.price_null);
    assert_int_equal(r.photo_len, 0);
    assert_int_equal(store_write(st, set_extra_fn, NULL, &e), 0);
    memset(&r, 0, sizeof r);
    r.id = 1;
    assert_int_equal(store_read(st, get_row_fn, &r, &e), 0);
    assert_string_equal(r.name, "apples");
    assert_false(r.price_null);
    assert_true(r.price == 2.5);
    assert_int_equal(r.photo_len, 3);
    assert_memory_equal(r.photo, "\x01\x00\x02", 3);
    r.id = 2;
    assert_int_equal(store_read(st, get_row_fn, &r, &e), ERR_NOTFOUND);
    assert_string_equal(e.msg, "no row");
    assert_int_equal(store_read(st, bare_fail_fn, NULL, &e), ERR_NOTFOUND);
    assert_string_equal(e.msg, "read failed (not_found)");
    struct store_stats stats;
    store_get_stats(st, &stats);
    assert_true(stats.writes >= 2);
    assert_true(stats.reads >= 3);
    assert_int_equal(stats.queue_depth, 0);
    store_close(st);
}

struct sqlcase {
    const char *sql;
    int64_t a, b;
};

static int sql_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct sqlcase *k = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, k->sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, k->a);
    store_bind_i64(s, 2, k->b);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static void test_error_mapping(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct ins in = {1, "apples", 10, false, 0};
    assert_int_equal(store_write(st, ins_fn, &in, &e), 0);

    struct ins dup = {2, "apples", 1, false, 0};
    assert_int_equal(store_write(st, ins_fn, &dup, &e), ERR_EXISTS);
    assert_int_equal(e.code, ERR_EXISTS);
    assert_non_null(strstr(e.msg, "UNIQUE constraint failed: items.name"));
    struct ins dup_pk = {1, "pears", 1, false, 0};
    assert_int_equal(store_write(st, ins_fn, &dup_pk, &e), ERR_EXISTS);

    struct ins neg = {3, "plums", -1, false, 0};
    assert_int_equal(store_write(st, ins_fn, &neg, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "CHECK constraint failed"));

    struct sqlcase fk = {"INSERT INTO orders (item_id, n) VALUES (?, ?)", 42, 1};
    assert_int_equal(store_write(st, sql_fn, &fk, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "FOREIGN KEY constraint failed"));
    struct sqlcase fk_ok = {"INSERT INTO orders (item_id, n) VALUES (?, ?)", 1, 1};
    assert_int_equal(store_write(st, sql_fn, &fk_ok, &e), 0);

    struct sqlcase nn = {"INSERT INTO orders (item_id, n) VALUES (?, NULL)", 1, 0};
    assert_int_equal(store_write(st, sql_fn, &nn, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "NOT NULL constraint failed: orders.n"));

    struct sqlcase bad = {"SELECT nope FROM items", 0, 0};
    assert_int_equal(store_read(st, sql_fn, &bad, &e), ERR_DB);
    assert_non_null(strstr(e.msg, "no such column"));
    struct sqlcase two = {"SELECT 1; SELECT 2", 0, 0};
    assert_int_equal(store_read(st, sql_fn, &two, &e), ERR_INVAL);
    /* read connections are query_only */
    assert_int_equal(store_read(st, sql_fn, &fk_ok, &e), ERR_DB);
    assert_int_equal(q1(st, "SELECT count(*) FROM orders"), 1);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 1);
    store_close(st);
}

struct cache_probe {
    struct store_stmt *first, *second;
    bool null_after_reprepare;
    int bind_range_rc;
};

static int cache_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct cache_probe *p = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT ?", &s, e);
    if (rc)
        return rc;
    if (!p->first)
        p->first = s;
    else
        p->second = s;
    store_bind_i64(s, 1, 5);
    p->bind_range_rc = store_bind_i64(s, 2, 5);
    if (store_step(s, e) != STORE_ROW || store_col_i64(s, 0) != 5)
        return err_set(e, ERR_INTERNAL, "bound value not seen");
    /* Same text again: same statement, reset, bindings cleared. */
    struct store_stmt *s2;
    rc = store_prepare(c, "SELECT ?", &s2, e);
    if (rc)
        return rc;
    if (s2 != s)
        return err_set(e, ERR_INTERNAL, "statement not reused");
    if (store_step(s2, e) != STORE_ROW)
        return err_set(e, ERR_INTERNAL, "no row");
    p->null_after_reprepare = store_col_is_null(s2, 0);
    return 0;
}

/* More distinct texts than the cache keeps: the extra ones still work. */
static int many_fn(struct store_conn *c, void *arg, struct err *e)
{
    int *sum = arg;
    for (int i = 0; i < 700; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT %d + ?", i);
        struct store_stmt *s;
        int rc = store_prepare(c, sql, &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, 1);
        if ((rc = store_step(s, e)) != STORE_ROW)
            return rc < 0 ? rc : err_set(e, ERR_INTERNAL, "no row");
        *sum += (int)store_col_i64(s, 0);
    }
    return 0;
}

static void test_statement_cache(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 1); /* one reader: same connection */
    struct cache_probe p = {0};
    struct err e = {0};
    assert_int_equal(store_read(st, cache_fn, &p, &e), 0);
    assert_int_equal(store_read(st, cache_fn, &p, &e), 0);
    assert_non_null(p.first);
    assert_ptr_equal(p.first, p.second);
    assert_true(p.null_after_reprepare);
    assert_int_equal(p.bind_range_rc, ERR_INVAL);
    for (int round = 0; round < 2; round++) {
        int sum = 0;
        assert_int_equal(store_read(st, many_fn, &sum, &e), 0);
        assert_int_equal(sum, 700 * 701 / 2);
    }
    store_close(st);
}

/* A gated batch: 40 requests queued behind the gate commit as one batch;
** the failing ones roll back alone, with their audit rows. */
static void test_batch_savepoints(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct store_stats before, after;
    store_get_stats(st, &before);
    struct ts_gate g;
    ts_gate_close(st, &g);

    enum { N = 40 };
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in[N];
    struct ts_done rec[N];
    char names[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "item%d", i);
        in[i] = (struct ins){100 + i, names[i], i, true, i % 4 == 3 ? ERR_CONFLICT : 0};
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        assert_int_equal(store_submit(st, ins_fn, &in[i], ts_done_cb, &rec[i]), 0);
    }
    /* One more that fails inside SQLite (duplicate name) after its audit. */
    struct ins dupe = {300, "item0", 1, true, 0};
    struct ts_done drec = {.sem = &done, .rc = 1};
    assert_int_equal(store_submit(st, ins_fn, &dupe, ts_done_cb, &drec), 0);
    struct store_stats mid;
    store_get_stats(st, &mid);
    assert_int_equal(mid.queue_depth, N + 1);
    ts_gate_open(&g);
    for (int i = 0; i < N + 1; i++)
        while (sem_wait(&done) != 0)
            ;
    for (int i = 0; i < N; i++) {
        if (i % 4 == 3) {
            assert_int_equal(rec[i].rc, ERR_CONFLICT);
            char want[64];
            snprintf(want, sizeof want, "request %d refuses", 100 + i);
            assert_string_equal(rec[i].msg, want);
        } else {
            assert_int_equal(rec[i].rc, 0);
        }
    }
    assert_int_equal(drec.rc, ERR_EXISTS);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 30);
    assert_int_equal(q1(st, "SELECT count(*) FROM items WHERE id % 4 = 3"), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log"), 30);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log WHERE entity_id % 4 = 3"), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log WHERE entity_id = 300"), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log WHERE action = 'item.create' AND "
                            "entity = 'item' AND actor_user_id = 7 AND county_id = 1 AND "
                            "detail = '{\"via\":\"test\"}' AND ts_ms > 0"),
                     30);
    store_get_stats(st, &after);
    assert_int_equal(after.batches - before.batches, 2); /* the gate, then all 41 */
    assert_int_equal(after.batch_size_hist[5] - before.batch_size_hist[5], 1); /* 32-63 */
    assert_int_equal(after.writes - before.writes, 1 + 30);
    assert_int_equal(after.writes_failed - before.writes_failed, 11);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

/* A COMMIT slower than slow_commit_ms is logged (here every one: 0 ms),
** and none with a negative threshold (the writes themselves go on). */
static void test_slow_commit_logged(void **state)
{
    struct fx *f = *state;
    for (int pass = 0; pass < 2; pass++) {
        FILE *lf = tmpfile();
        assert_non_null(lf);
        struct log *lg;
        assert_int_equal(log_new(&lg, lf, LOG_INFO), 0);
        struct store_config cfg;
        store_config_defaults(&cfg);
        assert_int_equal(cfg.slow_commit_ms, 1000);
        cfg.path = f->path;
        cfg.synchronous_full = false;
        cfg.slow_commit_ms = pass == 0 ? 0 : -1;
        cfg.log = lg;
        struct store *st = NULL;
        struct err e = {0};
        assert_int_equal(store_open(&st, &cfg, &e), 0);
        assert_int_equal(store_add_migrations(st, "t", t_migs, RL_ARRAY_LEN(t_migs), &e), 0);
        assert_int_equal(store_migrate(st, &e), 0);
        struct ins in = {700 + pass, pass ? "slow1" : "slow0", 1, false, 0};
        assert_int_equal(store_write(st, ins_fn, &in, &e), 0);
        store_close(st);
        log_free(lg);
        char buf[8192];
        rewind(lf);
        size_t n = fread(buf, 1, sizeof buf - 1, lf);
        buf[n] = '\0';
        fclose(lf);
        if (pass == 0) {
            assert_non_null(strstr(buf, "event=store.slow_commit ms=0 requests=1"));
        } else {
            assert_null(strstr(buf, "store.slow_commit"));
        }
    }
}

/* STORE_CHECKS_FIRST requests run without a savepoint: one refused before
** writing (or by a failed INSERT, which changes nothing) leaves its batch
** alone; one that fails after writing ends the transaction: the requests run
** in it are answered ERR_DB and nothing of them is kept, and the rest of the
** batch commits in a new one. */
static void test_checks_first(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct ts_gate g;
    ts_gate_close(st, &g);
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in[] = {
        {500, "a", 1, true, 0},            /* 0: ok, then lost with its transaction */
        {0, "b", 1, true, ERR_CONFLICT},   /* 1: refused before writing (see below) */
        {501, "a", 1, true, 0},            /* 2: duplicate name: the INSERT fails clean */
        {502, "c", 1, true, 0},            /* 3: ok, then lost */
        {503, "d", 1, true, ERR_CONFLICT}, /* 4: fails after its writes: ends the txn */
        {504, "e", 1, true, 0},            /* 5: ok, next transaction */
        {505, "f", 1, true, 0},            /* 6: ok, with a savepoint */
    };
    enum { N = sizeof in / sizeof in[0] };
    struct ts_done rec[N];
    for (int i = 0; i < N; i++) {
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        store_fn fn = i == 1 ? bare_fail_fn : ins_fn;
        unsigned flags = i == 6 ? 0 : STORE_CHECKS_FIRST;
        assert_int_equal(store_submit_flags(st, fn, &in[i], flags, ts_done_cb, &rec[i]), 0);
    }
    ts_gate_open(&g);
    for (int i = 0; i < N; i++)
        while (sem_wait(&done) != 0)
            ;
    assert_int_equal(rec[0].rc, ERR_DB);
    assert_non_null(strstr(rec[0].msg, "without a savepoint"));
    assert_int_equal(rec[1].rc, ERR_NOTFOUND);
    assert_int_equal(rec[2].rc, ERR_EXISTS);
    assert_int_equal(rec[3].rc, ERR_DB);
    assert_int_equal(rec[4].rc, ERR_CONFLICT);
    assert_string_equal(rec[4].msg, "request 503 refuses");
    assert_int_equal(rec[5].rc, 0);
    assert_int_equal(rec[6].rc, 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM items WHERE id IN (504, 505)"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log WHERE entity_id IN (504, 505)"), 2);
    /* the synchronous form carries the flag too */
    struct ins late = {506, "g", 1, true, ERR_CONFLICT};
    struct err e = {0};
    assert_int_equal(store_write_flags(st, ins_fn, &late, STORE_CHECKS_FIRST, &e), ERR_CONFLICT);
    assert_int_equal(q1(st, "SELECT count(*) FROM items WHERE id = 506"), 0);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

/* Many threads calling store_write: each sees its own result. */
enum { NT = 8, PER_T = 60 };

struct thr {
    struct store *st;
    int t;
    int ok, conflicts, wrong;
};

static void *thr_main(void *arg)
{
    struct thr *th = arg;
    for (int k = 0; k < PER_T; k++) {
        int64_t id = 1000 * (th->t + 1) + k;
        char name[32];
        snprintf(name, sizeof name, "t%d-%d", th->t, k);
        struct ins in = {id, name, k, true, k % 5 == 4 ? ERR_CONFLICT : 0};
        struct err e = {0};
        int rc = store_write(th->st, ins_fn, &in, &e);
        if (rc == 0 && !in.fail_with)
            th->ok++;
        else if (rc == ERR_CONFLICT && in.fail_with && strstr(e.msg, "refuses"))
            th->conflicts++;
        else
            th->wrong++;
    }
    return NULL;
}

static void test_threads_group_commit(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct store_stats before, after;
    store_get_stats(st, &before);
    struct ts_gate g;
    ts_gate_close(st, &g);
    pthread_t tid[NT];
    struct thr th[NT];
    for (int t = 0; t < NT; t++) {
        th[t] = (struct thr){st, t, 0, 0, 0};
        pthread_create(&tid[t], NULL, thr_main, &th[t]);
    }
    /* Wait until every thread's first write is queued behind the gate, so
    ** at least one batch holds NT requests. */
    for (;;) {
        struct store_stats s;
        store_get_stats(st, &s);
        if (s.queue_depth == NT)
            break;
        sched_yield();
    }
    ts_gate_open(&g);
    int ok = 0, conflicts = 0;
    for (int t = 0; t < NT; t++) {
        pthread_join(tid[t], NULL);
        assert_int_equal(th[t].wrong, 0);
        ok += th[t].ok;
        conflicts += th[t].conflicts;
    }
    assert_int_equal(ok, NT * PER_T * 4 / 5);
    assert_int_equal(conflicts, NT * PER_T / 5);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), ok);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log"), ok);
    assert_int_equal(q1(st, "SELECT count(*) FROM items WHERE qty % 5 = 4"), 0);
    store_get_stats(st, &after);
    uint64_t writes = after.writes + after.writes_failed - before.writes - before.writes_failed;
    uint64_t batches = after.batches - before.batches;
    assert_int_equal(writes, NT * PER_T + 1);
    assert_true(batches < writes);
    ts_gate_destroy(&g);
    store_close(st);
}

/* A deferred foreign key left dangling fails its own request, not the
** COMMIT of the whole batch. */
static void test_deferred_fk_in_batch(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct ins in = {1, "apples", 10, false, 0};
    assert_int_equal(store_write(st, ins_fn, &in, &e), 0);
    struct ts_gate g;
    ts_gate_close(st, &g);
    sem_t done;
    sem_init(&done, 0, 0);
    struct sqlcase k[3] = {{"INSERT INTO notes (id, item_id) VALUES (?, ?)", 1, 1},
                           {"INSERT INTO notes (id, item_id) VALUES (?, ?)", 2, 99},
                           {"INSERT INTO notes (id, item_id) VALUES (?, ?)", 3, 1}};
    struct ts_done rec[3];
    for (int i = 0; i < 3; i++) {
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        assert_int_equal(store_submit(st, sql_fn, &k[i], ts_done_cb, &rec[i]), 0);
    }
    ts_gate_open(&g);
    for (int i = 0; i < 3; i++)
        while (sem_wait(&done) != 0)
            ;
    assert_int_equal(rec[0].rc, 0);
    assert_int_equal(rec[1].rc, ERR_CONFLICT);
    assert_non_null(strstr(rec[1].msg, "FOREIGN KEY"));
    assert_int_equal(rec[2].rc, 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM notes"), 2);
    assert_int_equal(q1(st, "SELECT count(*) FROM notes WHERE item_id = 99"), 0);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

/* A request that ends the batch's transaction itself (here: ROLLBACK; in
** life: SQLite giving up on disk full) loses what ran before it in that
** transaction; those are answered ERR_DB, and the rest of the batch still
** commits in a fresh transaction. */
static int rollback_fn(struct store_conn *c, void *arg, struct err *e)
{
    int rc = ins_fn(c, arg, e);
    return rc ? rc : store_exec(c, "ROLLBACK", e);
}

static void test_transaction_lost_midbatch(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct ts_gate g;
    ts_gate_close(st, &g);
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in[3] = {{1, "a", 1, false, 0}, {2, "b", 1, false, 0}, {3, "c", 1, false, 0}};
    struct ts_done rec[3];
    for (int i = 0; i < 3; i++) {
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        assert_int_equal(
            store_submit(st, i == 1 ? rollback_fn : ins_fn, &in[i], ts_done_cb, &rec[i]), 0);
    }
    ts_gate_open(&g);
    for (int i = 0; i < 3; i++)
        while (sem_wait(&done) != 0)
            ;
    assert_int_equal(rec[0].rc, ERR_DB);
    assert_non_null(strstr(rec[0].msg, "ended before its commit"));
    assert_int_equal(rec[1].rc, ERR_DB);
    assert_int_equal(rec[2].rc, 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 1);
    assert_int_equal(q1(st, "SELECT id FROM items"), 3);
    /* the writer is healthy afterwards */
    struct ins more = {4, "d", 1, false, 0};
    struct err e = {0};
    assert_int_equal(store_write(st, ins_fn, &more, &e), 0);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

struct scratch_probe {
    int64_t seen; /* value found in the block */
    int64_t set;  /* value left in it */
};

static const char scratch_key_a = 0, scratch_key_b = 0;

static int scratch_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)e;
    struct scratch_probe *p = arg;
    int64_t *a = store_conn_scratch(c, &scratch_key_a, 8 * sizeof *a);
    int64_t *b = store_conn_scratch(c, &scratch_key_b, sizeof *b);
    if (a == b || b[0] != 0)
        return ERR_INTERNAL; /* distinct keys, distinct zeroed blocks */
    p->seen = a[0];
    a[0] = p->set;
    return 0;
}

/* Module memory on the writer connection lives from write to write and is
** forgotten when a batch's transaction is lost. */
static void test_conn_scratch(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct scratch_probe p = {.set = 42};
    assert_int_equal(store_write(st, scratch_fn, &p, &e), 0);
    assert_int_equal(p.seen, 0);
    p.set = 43;
    assert_int_equal(store_write(st, scratch_fn, &p, &e), 0);
    assert_int_equal(p.seen, 42);
    /* a batch whose transaction ends under it: the block starts over */
    struct ts_gate g;
    ts_gate_close(st, &g);
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in = {1, "a", 1, false, 0};
    struct scratch_probe q = {.set = 99};
    struct ts_done rec[2] = {{.sem = &done, .rc = 1}, {.sem = &done, .rc = 1}};
    assert_int_equal(store_submit(st, scratch_fn, &q, ts_done_cb, &rec[0]), 0);
    assert_int_equal(store_submit(st, rollback_fn, &in, ts_done_cb, &rec[1]), 0);
    ts_gate_open(&g);
    for (int i = 0; i < 2; i++)
        while (sem_wait(&done) != 0)
            ;
    assert_int_equal(q.seen, 43);
    assert_int_equal(rec[0].rc, ERR_DB);
    p.set = 1;
    assert_int_equal(store_write(st, scratch_fn, &p, &e), 0);
    assert_int_equal(p.seen, 0);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

static void test_queue_full(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 3, 0);
    struct ts_gate g;
    ts_gate_close(st, &g); /* the writer holds the gate; the queue is empty */
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in[4] = {
        {1, "a", 1, false, 0}, {2, "b", 1, false, 0}, {3, "c", 1, false, 0}, {4, "d", 1, false, 0}};
    struct ts_done rec[4];
    for (int i = 0; i < 3; i++) {
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        assert_int_equal(store_submit(st, ins_fn, &in[i], ts_done_cb, &rec[i]), 0);
    }
    assert_int_equal(store_submit(st, ins_fn, &in[3], ts_done_cb, &rec[3]), ERR_BUSY);
    struct err e = {0};
    assert_int_equal(store_write(st, ins_fn, &in[3], &e), ERR_BUSY);
    assert_non_null(strstr(e.msg, "queue full"));
    ts_gate_open(&g);
    for (int i = 0; i < 3; i++)
        while (sem_wait(&done) != 0)
            ;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rec[i].rc, 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 3);
    /* room again */
    assert_int_equal(store_write(st, ins_fn, &in[3], &e), 0);
    sem_destroy(&done);
    ts_gate_destroy(&g);
    store_close(st);
}

static void test_audit_rolls_back(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct ins bad = {5, "x", 1, true, ERR_INVAL};
    assert_int_equal(store_write(st, ins_fn, &bad, &e), ERR_INVAL);
    assert_string_equal(e.msg, "request 5 refuses");
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log"), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), 0);
    struct ins good = {5, "x", 1, true, 0};
    assert_int_equal(store_write(st, ins_fn, &good, &e), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM audit_log WHERE entity_id = 5"), 1);
    store_close(st);
}

struct nested {
    struct store *st;
    int inner_rc;
};

static int nested_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)c;
    struct nested *n = arg;
    struct err ie = {0};
    n->inner_rc = store_write(n->st, bare_fail_fn, NULL, &ie);
    (void)e;
    return 0;
}

static void test_submit_async_and_misuse(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in = {9, "nine", 9, false, 0};
    struct ts_done rec = {.sem = &done, .rc = 1};
    assert_int_equal(store_submit(st, ins_fn, &in, ts_done_cb, &rec), 0);
    while (sem_wait(&done) != 0)
        ;
    assert_int_equal(rec.rc, 0);
    /* committed before the callback ran */
    assert_int_equal(q1(st, "SELECT qty FROM items WHERE id = 9"), 9);

    rec.rc = 1;
    assert_int_equal(store_submit(st, bare_fail_fn, NULL, ts_done_cb, &rec), 0);
    while (sem_wait(&done) != 0)
        ;
    assert_int_equal(rec.rc, ERR_NOTFOUND);
    assert_non_null(strstr(rec.msg, "not_found"));

    struct nested n = {st, 0};
    struct err e = {0};
    assert_int_equal(store_write(st, nested_fn, &n, &e), 0);
    assert_int_equal(n.inner_rc, ERR_INTERNAL);
    sem_destroy(&done);
    store_close(st);
}

static void test_close_commits_queued(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct ts_gate g;
    ts_gate_close(st, &g);
    enum { M = 25 };
    sem_t done;
    sem_init(&done, 0, 0);
    struct ins in[M];
    struct ts_done rec[M];
    char names[M][16];
    for (int i = 0; i < M; i++) {
        snprintf(names[i], sizeof names[i], "c%d", i);
        in[i] = (struct ins){i + 1, names[i], 1, false, 0};
        rec[i] = (struct ts_done){.sem = &done, .rc = 1};
        assert_int_equal(store_submit(st, ins_fn, &in[i], ts_done_cb, &rec[i]), 0);
    }
    ts_gate_open(&g);
    store_close(st); /* must commit all M before returning */
    for (int i = 0; i < M; i++) {
        assert_int_equal(sem_trywait(&done), 0);
        assert_int_equal(rec[i].rc, 0);
    }
    st = open_store(f, 0, 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM items"), M);
    store_close(st);
    sem_destroy(&done);
    ts_gate_destroy(&g);
}

struct idem_case {
    const char *key, *method, *path;
    int status;
    const char *body;
    int rc;
    struct store_idem got;
    char msg[256];
    int64_t pruned;
};

static int idem_put_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_case *k = arg;
    return store_idem_put(c, 1, 7, k->key, k->method, k->path, k->status, k->body, strlen(k->body),
                          e);
}

static int idem_get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_case *k = arg;
    k->rc = store_idem_get(c, 1, 7, k->key, k->method, k->path, &k->got, e);
    snprintf(k->msg, sizeof k->msg, "%s", k->rc && e ? e->msg : "");
    return 0;
}

static int idem_prune_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_case *k = arg;
    return store_idem_prune(c, time_now_ms() + 1000, &k->pruned, e);
}

static int idem_finish_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_case *k = arg;
    return store_idem_finish(c, 1, 7, k->key, k->status, k->body, strlen(k->body), e);
}

static int idem_unclaim_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_case *k = arg;
    return store_idem_unclaim(c, 1, 7, k->key, e);
}

/* A claim (status 0) becomes the answer once; an unclaim drops only a claim. */
static void test_idempotency_claims(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct idem_case claim = {"k-2", "POST", "/api/v1/items", 0, "", 0, {0}, "", 0};
    struct idem_case answer = claim;
    answer.status = 201;
    answer.body = "{\"id\":6}";
    /* finishing without a claim writes nothing */
    assert_int_equal(store_write(st, idem_finish_fn, &answer, &e), ERR_NOTFOUND);
    assert_int_equal(q1(st, "SELECT count(*) FROM idempotency_keys"), 0);
    assert_int_equal(store_write(st, idem_put_fn, &claim, &e), 0);
    assert_int_equal(store_write(st, idem_put_fn, &claim, &e), ERR_EXISTS); /* one holder */
    assert_int_equal(store_read(st, idem_get_fn, &claim, &e), 0);
    assert_int_equal(claim.rc, 0);
    assert_int_equal(claim.got.status, 0); /* seen as a claim */
    store_idem_release(&claim.got);
    assert_int_equal(store_write(st, idem_finish_fn, &answer, &e), 0);
    assert_int_equal(store_write(st, idem_finish_fn, &answer, &e), ERR_NOTFOUND); /* once */
    assert_int_equal(store_write(st, idem_unclaim_fn, &answer, &e), 0); /* not a claim now */
    assert_int_equal(store_read(st, idem_get_fn, &answer, &e), 0);
    assert_int_equal(answer.got.status, 201);
    assert_string_equal(answer.got.body, "{\"id\":6}");
    store_idem_release(&answer.got);
    /* a claim dropped: the key is free again */
    struct idem_case other = claim;
    other.key = "k-3";
    assert_int_equal(store_write(st, idem_put_fn, &other, &e), 0);
    assert_int_equal(store_write(st, idem_unclaim_fn, &other, &e), 0);
    assert_int_equal(store_read(st, idem_get_fn, &other, &e), 0);
    assert_int_equal(other.rc, ERR_NOTFOUND);
    store_close(st);
}

static void test_idempotency(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    struct idem_case k = {"k-1", "POST", "/api/v1/items", 201, "{\"id\":5}", 0, {0}, "", 0};
    assert_int_equal(store_read(st, idem_get_fn, &k, &e), 0);
    assert_int_equal(k.rc, ERR_NOTFOUND);
    assert_int_equal(store_write(st, idem_put_fn, &k, &e), 0);
    assert_int_equal(store_write(st, idem_put_fn, &k, &e), ERR_EXISTS);
    assert_int_equal(store_read(st, idem_get_fn, &k, &e), 0);
    assert_int_equal(k.rc, 0);
    assert_int_equal(k.got.status, 201);
    assert_string_equal(k.got.body, "{\"id\":5}");
    assert_int_equal(k.got.body_len, 8);
    assert_true(k.got.created_ms > 0);
    store_idem_release(&k.got);
    struct idem_case other = k;
    other.path = "/api/v1/orders";
    assert_int_equal(store_read(st, idem_get_fn, &other, &e), 0);
    assert_int_equal(other.rc, ERR_CONFLICT);
    assert_non_null(strstr(other.msg, "POST /api/v1/items"));
    assert_int_equal(store_write(st, idem_prune_fn, &k, &e), 0);
    assert_int_equal(k.pruned, 1);
    assert_int_equal(q1(st, "SELECT count(*) FROM idempotency_keys"), 0);
    store_close(st);
}

static int age_key_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "UPDATE idempotency_keys SET created_ms = ? WHERE key = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, time_now_ms() - 120000);
    store_bind_text(s, 2, arg, -1);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* The writer deletes records older than idem_keep_ms between batches, so
** the table does not grow for ever and a claim left by a crash lets go. */
static void test_idempotency_pruned_by_writer(void **state)
{
    struct fx *f = *state;
    struct store_config cfg;
    store_config_defaults(&cfg);
    assert_true(cfg.idem_keep_ms == 24 * 3600 * 1000LL);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    cfg.idem_keep_ms = 60000;
    cfg.idem_prune_every_ms = 0; /* after every batch */
    struct store *st = NULL;
    struct err e = {0};
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    struct idem_case old = {"k-old", "POST", "/api/v1/items", 201, "{}", 0, {0}, "", 0};
    struct idem_case fresh = {"k-new", "POST", "/api/v1/items", 201, "{}", 0, {0}, "", 0};
    struct idem_case claim = {"k-claim", "POST", "/api/v1/items", 0, "", 0, {0}, "", 0};
    assert_int_equal(store_write(st, idem_put_fn, &old, &e), 0);
    assert_int_equal(store_write(st, idem_put_fn, &fresh, &e), 0);
    assert_int_equal(store_write(st, idem_put_fn, &claim, &e), 0);
    assert_int_equal(store_write(st, age_key_fn, "k-old", &e), 0);
    assert_int_equal(store_write(st, age_key_fn, "k-claim", &e), 0);
    /* store_write returns before the writer prunes after that batch; the
    ** writer takes the next batch only after the prune, so one more write
    ** makes sure it ran */
    assert_int_equal(store_write(st, age_key_fn, "no-such-key", &e), 0);
    assert_int_equal(q1(st, "SELECT count(*) FROM idempotency_keys"), 1);
    assert_int_equal(store_read(st, idem_get_fn, &old, &e), 0);
    assert_int_equal(old.rc, ERR_NOTFOUND);
    assert_int_equal(store_read(st, idem_get_fn, &fresh, &e), 0);
    assert_int_equal(fresh.rc, 0);
    store_idem_release(&fresh.got);
    store_close(st);
}

/* ---------------------------------------------------------------- backups */

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* A backup taken while the store is open holds every committed write (they
** are still in the WAL, not yet in the main file), opens as a database of
** its own, and is never overwritten unless asked. */
static void test_backup_live(void **state)
{
    struct fx *f = *state;
    struct store *st = open_store(f, 0, 0);
    struct err e = {0};
    for (int64_t id = 1; id <= 40; id++) {
        char name[16];
        snprintf(name, sizeof name, "item%lld", (long long)id);
        struct ins in = {id, name, id, true, 0};
        assert_int_equal(store_write(st, ins_fn, &in, &e), 0);
    }
    char wal[320], copy[320], partial[340];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    snprintf(partial, sizeof partial, "%s.partial", copy);
    assert_true(exists(wal));
    int64_t migrations = q1(st, "SELECT count(*) FROM schema_migrations");
    struct store_backup_info info;
    if (store_backup(f->path, copy, false, &info, &e))
        fail_msg("store_backup: %s", e.msg);
    assert_string_equal(info.path, copy);
    assert_true(info.bytes > 0);
    assert_int_equal(info.migrations, migrations);
    assert_true(info.tables >= 4);
    assert_false(exists(partial));

    /* a write after the backup is not in it; a second backup to the same
    ** name is refused and leaves the first as it was */
    struct ins later = {41, "later", 1, false, 0};
    assert_int_equal(store_write(st, ins_fn, &later, &e), 0);
    assert_int_equal(store_backup(f->path, copy, false, &info, &e), ERR_EXISTS);
    assert_non_null(strstr(e.msg, "already exists"));
    store_close(st);

    struct fx cf = *f;
    snprintf(cf.path, sizeof cf.path, "%s", copy);
    struct store *cs = open_store(&cf, 0, 0);
    assert_int_equal(q1(cs, "SELECT count(*) FROM items"), 40);
    assert_int_equal(q1(cs, "SELECT sum(qty) FROM items"), 40 * 41 / 2);
    assert_int_equal(q1(cs, "SELECT count(*) FROM audit_log"), 40);
    store_close(cs);

    /* replace: the copy now has the later write too */
    assert_int_equal(store_backup(f->path, copy, true, &info, &e), 0);
    cs = open_store(&cf, 0, 0);
    assert_int_equal(q1(cs, "SELECT count(*) FROM items"), 41);
    store_close(cs);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[340];
        snprintf(p, sizeof p, "%s%s", copy, suffix[i]);
        unlink(p);
    }
}

/* What is not a ruralink database is refused and nothing is created: a
** missing file, a file that is not SQLite, a SQLite file without
** schema_migrations; a target in a missing directory leaves nothing. */
static void test_backup_refusals(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    struct store_backup_info info;
    char copy[320], other[320];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    snprintf(other, sizeof other, "%s/other.db", f->dir);

    assert_int_equal(store_backup(f->path, copy, false, &info, &e), ERR_NOTFOUND);
    assert_false(exists(f->path));
    assert_false(exists(copy));

    FILE *fp = fopen(other, "w");
    assert_non_null(fp);
    fputs("not a database, just text that is long enough to have a header......\n", fp);
    fclose(fp);
    assert_int_equal(store_backup(other, copy, false, &info, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "not a SQLite database"));
    assert_false(exists(copy));
    unlink(other);

    /* an empty file is an empty SQLite database, without schema_migrations */
    fp = fopen(other, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(store_backup(other, copy, false, &info, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "not a ruralink database"));
    assert_false(exists(copy));
    unlink(other);

    struct store *st = open_store(f, 0, 0);
    store_close(st);
    char deep[340];
    snprintf(deep, sizeof deep, "%s/missing/copy.db", f->dir);
    assert_int_not_equal(store_backup(f->path, deep, false, &info, &e), 0);
    assert_false(exists(deep));
}

static void touch(const char *dir, const char *name)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
}

static bool present(const char *dir, const char *name)
{
    char p[400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return exists(p);
}

/* Into a directory: a file named by the UTC time; pruning keeps the newest
** N of those names and never touches another file. */
static void test_backup_directory_and_prune(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    struct store *st = open_store(f, 0, 0);
    store_close(st);
    char dir[320];
    snprintf(dir, sizeof dir, "%s/backups", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    struct store_backup_info info;
    assert_int_equal(store_backup(f->path, dir, false, &info, &e), 0);
    const char *base = strrchr(info.path, '/') + 1;
    assert_int_equal(strlen(base), strlen("ruralink-20261130T033539Z.db"));
    assert_memory_equal(base, "ruralink-", 9);
    assert_int_equal(base[17], 'T');
    assert_string_equal(base + 24, "Z.db");

    touch(dir, "ruralink-20200101T000000Z.db");
    touch(dir, "ruralink-20200102T000000Z.db");
    touch(dir, "ruralink-20200103T000000Z.db");
    touch(dir, "ruralink-2020.db");                 /* not a backup's name */
    touch(dir, "ruralink-20200101T000000Z.db-wal"); /* nor this */
    touch(dir, "notes.txt");
    int deleted = -1;
    assert_int_equal(store_backup_prune(dir, 0, &deleted, &e), ERR_INVAL);
    assert_int_equal(store_backup_prune(dir, 2, &deleted, &e), 0);
    assert_int_equal(deleted, 2);
    assert_true(exists(info.path));
    assert_true(present(dir, "ruralink-20200103T000000Z.db"));
    assert_false(present(dir, "ruralink-20200102T000000Z.db"));
    assert_false(present(dir, "ruralink-20200101T000000Z.db"));
    assert_true(present(dir, "ruralink-2020.db"));
    assert_true(present(dir, "ruralink-20200101T000000Z.db-wal"));
    assert_true(present(dir, "notes.txt"));
    assert_int_equal(store_backup_prune(dir, 2, &deleted, &e), 0);
    assert_int_equal(deleted, 0);

    unlink(info.path);
    const char *left[] = {"ruralink-20200103T000000Z.db", "ruralink-2020.db",
                          "ruralink-20200101T000000Z.db-wal", "notes.txt"};
    for (size_t i = 0; i < RL_ARRAY_LEN(left); i++) {
        char p[400];
        snprintf(p, sizeof p, "%s/%s", dir, left[i]);
        unlink(p);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_newer_store_schema_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_write_read, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_error_mapping, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_savepoints, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_checks_first, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_slow_commit_logged, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_threads_group_commit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_deferred_fk_in_batch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_transaction_lost_midbatch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_conn_scratch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_queue_full, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_rolls_back, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_submit_async_and_misuse, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_close_commits_queued, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_pruned_by_writer, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_claims, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_backup_live, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_backup_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_backup_directory_and_prune, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
