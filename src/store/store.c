/*
** store.c: the store handle, its single writer thread and its read pool.
**
** Writes. store_submit() appends a request to a FIFO queue (mutex + condvar,
** bounded by max_queue). The writer thread takes up to max_batch requests,
** opens one transaction (BEGIN IMMEDIATE), runs each request's function in
** its own SAVEPOINT (a failing request is rolled back to its savepoint, the
** others stay; STORE_CHECKS_FIRST requests run without one), COMMITs (with
** synchronous=FULL the WAL is fsynced here), and only then reports every
** request's own result: a `done` callback for store_submit, a semaphore
** post for a thread blocked in store_write. If the COMMIT fails, every
** request of the batch is answered ERR_DB. So nothing is acknowledged
** before it is durable, and one fsync covers a whole batch (group commit).
**
** Reads. store_read() borrows a connection from a fixed pool (blocking while
** all are lent), runs the function inside a read transaction (one consistent
** snapshot), and gives the connection back.
**
** Closing stops new writes, lets the writer drain and commit what is queued,
** joins it and closes the connections (the last close checkpoints the WAL).
*/
#include "store/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct wreq {
    struct wreq *next;
    store_fn fn;
    void *arg;
    store_done_fn done;
    void *done_arg;
    bool solo;      /* runs alone in its own transaction (migrations) */
    unsigned flags; /* STORE_CHECKS_FIRST */
    int rc;
    struct err e;
};

struct store {
    char *path;
    int max_batch;
    size_t max_queue;
    int64_t idem_keep_ms, idem_prune_every_ms, last_prune_ms;
    int64_t slow_commit_ns; /* < 0: never logged */
    atomic_bool own_tables; /* the store's own migrations ran: prune may */
    struct log *log;

    /* writer */
    struct store_conn *wconn;
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t qmu;
    pthread_cond_t qcond;
    struct wreq *head, *tail;
    size_t qlen;
    bool closing;

    /* read pool */
    pthread_mutex_t rmu;
    pthread_cond_t rcond;
    struct store_conn **readers;
    int nreaders;
    struct store_conn **idle;
    int nidle;

    /* registered migrations, in order */
    struct store_module *mods;
    size_t nmods, capmods;

    /* registered cross-module references */
    const struct store_ref **refs;
    size_t nrefs, caprefs;

    /* counters for store_get_stats */
    atomic_uint_least64_t writes, writes_failed, batches, reads;
    atomic_uint_least64_t hist[8];
};

void store_config_defaults(struct store_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->read_conns = 4;
    cfg->max_batch = 256;
    cfg->max_queue = 65536;
    cfg->synchronous_full = true;
    cfg->idem_keep_ms = 24 * 3600 * 1000LL;
    cfg->idem_prune_every_ms = 3600 * 1000LL;
    cfg->slow_commit_ms = 1000;
}

const char *store_backend(const struct store *st)
{
    (void)st;
    return "sqlite";
}

/* ------------------------------------------------------------------ writer */

static int hist_bucket(size_t n)
{
    int b = 0;
    while (n > 1 && b < 7) {
        n >>= 1;
        b++;
    }
    return b;
}

/* Give every request still marked successful the same failure. */
static void fail_ok(struct wreq **batch, size_t n, const struct err *why)
{
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->rc == 0) {
            batch[i]->rc = ERR_DB;
            batch[i]->e = *why;
            batch[i]->e.code = ERR_DB;
        }
    }
}

static bool deferred_fk_pending(struct store_conn *c)
{
    int cur = 0, hi = 0;
    return sqlite3_db_status(c->db, SQLITE_DBSTATUS_DEFERRED_FKS, &cur, &hi, 0) == SQLITE_OK &&
           cur > 0;
}

static void request_result(struct wreq *r, int rc)
{
    if (rc > 0) {
        err_set(&r->e, ERR_INTERNAL, "store_fn returned %d (expected 0 or an ERR_* code)", rc);
        rc = ERR_INTERNAL;
    } else if (rc < 0) {
        if (!r->e.msg[0])
            err_set(&r->e, rc, "write failed (%s)", err_str(rc));
        r->e.code = rc;
    }
    r->rc = rc;
}

/* A STORE_CHECKS_FIRST request: no savepoint. A refusal that changed no
** row leaves the transaction as it was; anything else that cannot be kept
** alone ends the transaction (rolled back here). Returns false then, with
** the reason in *why. */
static bool run_checked(struct store *st, struct wreq *r, const char **why)
{
    struct store_conn *c = st->wconn;
    sqlite3_int64 before = sqlite3_total_changes64(c->db);
    request_result(r, r->fn(c, r->arg, &r->e));
    store__conn_release_lent(c);
    if (sqlite3_get_autocommit(c->db))
        return false;
    if (r->rc == 0 && !deferred_fk_pending(c))
        return true;
    if (r->rc != 0 && sqlite3_total_changes64(c->db) == before)
        return true;
    if (r->rc == 0)
        err_set(&r->e, ERR_CONFLICT, "FOREIGN KEY constraint failed (deferred)");
    r->rc = r->e.code;
    *why = "a request made without a savepoint failed after changing rows";
    char q[sizeof r->e.msg + 16];
    log_write(st->log, LOG_ERROR, "store.checks_first_broken", "rc=%d error=%s", r->rc,
              log_quote(q, sizeof q, r->e.msg));
    struct err ignore;
    store__conn_run(c, "ROLLBACK", &ignore);
    return false;
}

/* Run one request inside the open transaction; returns false when the
** transaction itself is gone (SQLite rolled it back: disk full, I/O error;
** or run_checked did), with the reason in *why when it is not SQLite's. */
static bool run_one(struct store *st, struct wreq *r, const char **why)
{
    struct store_conn *c = st->wconn;
    err_clear(&r->e);
    if (r->flags & STORE_CHECKS_FIRST)
        return run_checked(st, r, why);
    r->rc = store__conn_run(c, "SAVEPOINT rl_req", &r->e);
    if (r->rc)
        return !sqlite3_get_autocommit(c->db);
    request_result(r, r->fn(c, r->arg, &r->e));
    store__conn_release_lent(c);
    int rc = r->rc;
    if (rc == 0 && deferred_fk_pending(c)) {
        /* A DEFERRABLE INITIALLY DEFERRED foreign key left unresolved would
        ** fail the COMMIT of the whole batch: fail this request instead. */
        rc = err_set(&r->e, ERR_CONFLICT, "FOREIGN KEY constraint failed (deferred)");
    }
    r->rc = rc;
    if (sqlite3_get_autocommit(c->db))
        return false;
    struct err ignore;
    if (rc == 0) {
        if (store__conn_run(c, "RELEASE rl_req", &r->e) != 0) {
            r->rc = r->e.code;
            store__conn_run(c, "ROLLBACK TO rl_req", &ignore);
            store__conn_run(c, "RELEASE rl_req", &ignore);
        }
    } else {
        store__conn_run(c, "ROLLBACK TO rl_req", &ignore);
        store__conn_run(c, "RELEASE rl_req", &ignore);
    }
    return !sqlite3_get_autocommit(c->db);
}

/* Every write of a batch waits for its COMMIT (the WAL's fdatasync with
** synchronous=FULL). On a shared or failing disk that can take seconds, and
** every client of the batch waits with it: say so (slow_commit_ms), so that
** a stalled server can be told from a stalled disk. */
static void commit_took(struct store *st, int64_t ns, size_t requests)
{
    if (st->slow_commit_ns >= 0 && ns >= st->slow_commit_ns)
        log_write(st->log, LOG_WARN, "store.slow_commit", "ms=%lld requests=%zu",
                  (long long)(ns / 1000000), requests);
}

static void run_batch(struct store *st, struct wreq **batch, size_t n)
{
    struct store_conn *c = st->wconn;
    struct err e;
    size_t i = 0;
    bool committed_any = false;
    while (i < n) {
        /* One transaction for batch[i..n); normally a single pass. */
        size_t first = i;
        if (store__conn_run(c, "BEGIN IMMEDIATE", &e) != 0) {
            err_prefix(&e, "begin: ");
            for (; i < n; i++) {
                batch[i]->rc = ERR_DB;
                batch[i]->e = e;
                batch[i]->e.code = ERR_DB;
            }
            break;
        }
        bool alive = true;
        const char *why = NULL;
        for (; i < n && alive; i++)
            alive = run_one(st, batch[i], &why);
        if (!alive) {
            /* The transaction was rolled back under us: what ran before in
            ** it is lost. Answer those ERR_DB; carry on with the rest. */
            int xc = sqlite3_extended_errcode(c->db);
            if (!why)
                why = xc != SQLITE_OK ? sqlite3_errmsg(c->db) : "ended by a request";
            err_set(&e, ERR_DB,
                    "the batch's transaction ended before its commit (%s); nothing of this "
                    "request was kept",
                    why);
            fail_ok(batch + first, i - first, &e);
            store__conn_drop_scratch(c);
            continue;
        }
        int64_t t_commit = time_mono_ns();
        int crc = store__conn_run(c, "COMMIT", &e);
        commit_took(st, time_mono_ns() - t_commit, i - first);
        if (crc != 0) {
            err_prefix(&e, "commit failed: ");
            struct err ignore;
            if (!sqlite3_get_autocommit(c->db))
                store__conn_run(c, "ROLLBACK", &ignore);
            fail_ok(batch + first, i - first, &e);
            store__conn_drop_scratch(c);
            log_write(st->log, LOG_ERROR, "store.commit_failed", "requests=%zu", i - first);
        } else {
            committed_any = true;
        }
    }

    uint64_t ok = 0, failed = 0;
    for (i = 0; i < n; i++)
        batch[i]->rc == 0 ? ok++ : failed++;
    atomic_fetch_add(&st->writes, ok);
    atomic_fetch_add(&st->writes_failed, failed);
    if (committed_any) {
        atomic_fetch_add(&st->batches, 1);
        atomic_fetch_add(&st->hist[hist_bucket(n)], 1);
    }
    /* Durable (or definitely failed): now answer, in queue order. */
    for (i = 0; i < n; i++) {
        struct wreq *r = batch[i];
        if (r->done)
            r->done(r->done_arg, r->rc, &r->e);
        free(r);
    }
}

/* Idempotency records older than idem_keep_ms go, at most once every
** idem_prune_every_ms, in a transaction of their own between two batches
** (the first after the store opens, too). Without it the table grows with
** every request that carries a key, and a claim left by a crash would hold
** its key for ever. */
static void maybe_prune(struct store *st)
{
    int64_t now = time_now_ms();
    if (st->idem_keep_ms < 0 || !atomic_load(&st->own_tables) ||
        now - st->last_prune_ms < st->idem_prune_every_ms)
        return;
    st->last_prune_ms = now;
    struct store_conn *c = st->wconn;
    struct err e;
    int64_t n = 0;
    int rc = store__conn_run(c, "BEGIN IMMEDIATE", &e);
    if (!rc) {
        rc = store_idem_prune(c, now - st->idem_keep_ms, &n, &e);
        if (!rc)
            rc = store__conn_run(c, "COMMIT", &e);
        if (rc) {
            struct err ignore;
            if (!sqlite3_get_autocommit(c->db))
                store__conn_run(c, "ROLLBACK", &ignore);
            store__conn_drop_scratch(c);
        }
    }
    if (rc)
        log_write(st->log, LOG_WARN, "store.idem_prune", "error=\"%s\"", e.msg);
    else if (n)
        log_write(st->log, LOG_INFO, "store.idem_prune", "deleted=%lld", (long long)n);
}

static void *writer_main(void *arg)
{
    struct store *st = arg;
    struct wreq **batch = xcalloc((size_t)st->max_batch, sizeof *batch);
    pthread_mutex_lock(&st->qmu);
    for (;;) {
        while (!st->head && !st->closing)
            pthread_cond_wait(&st->qcond, &st->qmu);
        if (!st->head)
            break; /* closing and drained */
        size_t n = 0;
        if (st->head->solo) {
            batch[n++] = st->head;
            st->head = st->head->next;
        } else {
            while (st->head && !st->head->solo && n < (size_t)st->max_batch) {
                batch[n++] = st->head;
                st->head = st->head->next;
            }
        }
        if (!st->head)
            st->tail = NULL;
        st->qlen -= n;
        pthread_mutex_unlock(&st->qmu);
        run_batch(st, batch, n);
        maybe_prune(st);
        pthread_mutex_lock(&st->qmu);
    }
    pthread_mutex_unlock(&st->qmu);
    free(batch);
    return NULL;
}

static int enqueue(struct store *st, store_fn fn, void *arg, unsigned flags, store_done_fn done,
                   void *done_arg, bool solo, struct err *e)
{
    struct wreq *r = xcalloc(1, sizeof *r);
    r->flags = flags;
    r->fn = fn;
    r->arg = arg;
    r->done = done;
    r->done_arg = done_arg;
    r->solo = solo;
    pthread_mutex_lock(&st->qmu);
    if (st->closing || st->qlen >= st->max_queue) {
        bool closing = st->closing;
        size_t q = st->qlen;
        pthread_mutex_unlock(&st->qmu);
        free(r);
        if (closing)
            return err_set(e, ERR_BUSY, "store is closing; write not accepted");
        return err_set(e, ERR_BUSY, "write queue full (%zu waiting)", q);
    }
    if (st->tail)
        st->tail->next = r;
    else
        st->head = r;
    st->tail = r;
    /* The writer only waits when the queue is empty. */
    if (st->qlen++ == 0)
        pthread_cond_signal(&st->qcond);
    pthread_mutex_unlock(&st->qmu);
    return 0;
}

int store_submit_flags(struct store *st, store_fn fn, void *arg, unsigned flags, store_done_fn done,
                       void *done_arg)
{
    if (!fn)
        return ERR_INVAL;
    return enqueue(st, fn, arg, flags, done, done_arg, false, NULL);
}

int store_submit(struct store *st, store_fn fn, void *arg, store_done_fn done, void *done_arg)
{
    return store_submit_flags(st, fn, arg, 0, done, done_arg);
}

struct waiter {
    sem_t sem;
    int rc;
    struct err *e;
};

static void wake(void *arg, int rc, const struct err *e)
{
    struct waiter *w = arg;
    w->rc = rc;
    if (rc && w->e)
        *w->e = *e;
    sem_post(&w->sem); /* w may be gone right after this */
}

static int write_wait(struct store *st, store_fn fn, void *arg, unsigned flags, bool solo,
                      struct err *e)
{
    if (st->writer_started && pthread_equal(pthread_self(), st->writer))
        return err_set(e, ERR_INTERNAL, "store_write called from inside a write (deadlock)");
    if (!fn)
        return err_set(e, ERR_INVAL, "store_write: no function");
    struct waiter w;
    w.rc = 0;
    w.e = e;
    sem_init(&w.sem, 0, 0);
    int rc = enqueue(st, fn, arg, flags, wake, &w, solo, e);
    if (rc == 0) {
        while (sem_wait(&w.sem) != 0 && errno == EINTR)
            ;
        rc = w.rc;
    }
    sem_destroy(&w.sem);
    return rc;
}

int store_write(struct store *st, store_fn fn, void *arg, struct err *e)
{
    return write_wait(st, fn, arg, 0, false, e);
}

int store_write_flags(struct store *st, store_fn fn, void *arg, unsigned flags, struct err *e)
{
    return write_wait(st, fn, arg, flags, false, e);
}

int store__write_solo(struct store *st, store_fn fn, void *arg, struct err *e)
{
    return write_wait(st, fn, arg, 0, true, e);
}

/* -------------------------------------------------------------------- reads */

int store_read(struct store *st, store_fn fn, void *arg, struct err *e)
{
    if (!fn)
        return err_set(e, ERR_INVAL, "store_read: no function");
    pthread_mutex_lock(&st->rmu);
    while (st->nidle == 0)
        pthread_cond_wait(&st->rcond, &st->rmu);
    struct store_conn *c = st->idle[--st->nidle];
    pthread_mutex_unlock(&st->rmu);

    /* A read transaction: every statement of fn sees the same snapshot. */
    struct err le = {0};
    int rc = store__conn_run(c, "BEGIN", &le);
    if (rc == 0) {
        rc = fn(c, arg, &le);
        store__conn_release_lent(c);
        if (rc > 0)
            rc = err_set(&le, ERR_INTERNAL, "store_fn returned %d (expected 0 or an ERR_* code)",
                         rc);
        else if (rc < 0 && !le.msg[0])
            err_set(&le, rc, "read failed (%s)", err_str(rc));
        struct err ce;
        if (!sqlite3_get_autocommit(c->db) && store__conn_run(c, "COMMIT", &ce) != 0) {
            struct err ignore;
            store__conn_run(c, "ROLLBACK", &ignore);
        }
    }
    atomic_fetch_add(&st->reads, 1);
    if (rc && e) {
        *e = le;
        e->code = rc;
    }

    pthread_mutex_lock(&st->rmu);
    st->idle[st->nidle++] = c;
    pthread_cond_signal(&st->rcond);
    pthread_mutex_unlock(&st->rmu);
    return rc;
}

/* -------------------------------------------------------------------- stats */

void store_get_stats(struct store *st, struct store_stats *out)
{
    memset(out, 0, sizeof *out);
    out->writes = atomic_load(&st->writes);
    out->writes_failed = atomic_load(&st->writes_failed);
    out->batches = atomic_load(&st->batches);
    for (int i = 0; i < 8; i++)
        out->batch_size_hist[i] = atomic_load(&st->hist[i]);
    out->reads = atomic_load(&st->reads);
    pthread_mutex_lock(&st->qmu);
    out->queue_depth = st->qlen;
    pthread_mutex_unlock(&st->qmu);
}

/* --------------------------------------------------------------- modules */

int store_add_migrations(struct store *st, const char *module, const struct store_migration *m,
                         size_t n, struct err *e)
{
    if (!module || !module[0])
        return err_set(e, ERR_INVAL, "store_add_migrations: module name is empty");
    if (strcmp(module, "store") == 0)
        return err_set(e, ERR_INVAL, "store_add_migrations: module name 'store' is reserved");
    for (size_t i = 0; i < st->nmods; i++) {
        if (strcmp(st->mods[i].name, module) == 0)
            return err_set(e, ERR_EXISTS, "migrations of module '%s' registered twice", module);
    }
    for (size_t i = 0; i < n; i++) {
        if (m[i].version < 1 || (i > 0 && m[i].version <= m[i - 1].version))
            return err_set(e, ERR_INVAL,
                           "module '%s': migration versions must start at 1 or more and "
                           "ascend (entry %zu has %d)",
                           module, i, m[i].version);
        if (!m[i].sql || !m[i].name)
            return err_set(e, ERR_INVAL, "module '%s': migration %d lacks sql or name", module,
                           m[i].version);
    }
    xgrow((void **)&st->mods, &st->capmods, st->nmods + 1, sizeof *st->mods);
    st->mods[st->nmods++] = (struct store_module){xstrdup(module), m, n};
    return 0;
}

int store_add_refs(struct store *st, const struct store_ref *refs, size_t n, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        const struct store_ref *r = &refs[i];
        if (!r->parent || !r->table || !r->column || !store__ident_ok(r->parent) ||
            !store__ident_ok(r->table) || !store__ident_ok(r->column))
            return err_set(e, ERR_INVAL, "store_add_refs: entry %zu is not three SQL names", i);
    }
    for (size_t i = 0; i < n; i++) {
        xgrow((void **)&st->refs, &st->caprefs, st->nrefs + 1, sizeof *st->refs);
        st->refs[st->nrefs++] = &refs[i];
    }
    return 0;
}

void store__refs(struct store *st, const struct store_ref *const **out, size_t *n)
{
    *out = st->refs;
    *n = st->nrefs;
}

struct log *store__log(struct store *st)
{
    return st->log;
}

void store__modules(struct store *st, const struct store_module **out, size_t *n)
{
    *out = st->mods;
    *n = st->nmods;
}

/* ------------------------------------------------------------ open, close */

static bool is_memory_path(const char *p)
{
    return strcmp(p, ":memory:") == 0 || strstr(p, "mode=memory") != NULL;
}

int store_open(struct store **out, const struct store_config *cfg, struct err *e)
{
    *out = NULL;
    if (!cfg || !cfg->path || !cfg->path[0])
        return err_set(e, ERR_INVAL, "store: no database path given");
    if (is_memory_path(cfg->path))
        return err_set(e, ERR_INVAL,
                       "store: in-memory databases are not supported (WAL needs a file)");

    struct store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(cfg->path);
    st->max_batch = cfg->max_batch > 0 ? cfg->max_batch : 256;
    st->max_queue = cfg->max_queue > 0 ? (size_t)cfg->max_queue : 65536;
    st->idem_keep_ms = cfg->idem_keep_ms;
    st->idem_prune_every_ms = cfg->idem_prune_every_ms > 0 ? cfg->idem_prune_every_ms : 0;
    st->slow_commit_ns = cfg->slow_commit_ms < 0 ? -1 : cfg->slow_commit_ms * 1000000;
    st->nreaders = cfg->read_conns > 0 ? cfg->read_conns : 4;
    st->log = cfg->log;
    pthread_mutex_init(&st->qmu, NULL);
    pthread_cond_init(&st->qcond, NULL);
    pthread_mutex_init(&st->rmu, NULL);
    pthread_cond_init(&st->rcond, NULL);
    st->readers = xcalloc((size_t)st->nreaders, sizeof *st->readers);
    st->idle = xcalloc((size_t)st->nreaders, sizeof *st->idle);

    int rc = store__conn_open(&st->wconn, st, st->path, true, cfg->synchronous_full, e);
    if (rc)
        goto fail;
    /* The writer blocks every signal, so SIGINT/SIGTERM land on a thread
    ** of the application, never in the middle of a commit. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&st->writer, NULL, writer_main, st);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        rc = err_set(e, ERR_INTERNAL, "store: cannot start the writer thread");
        goto fail;
    }
    pthread_setname_np(st->writer, "rl-store-writer");
    st->writer_started = true;
    rc = store__migrate_own(st, e);
    if (rc)
        goto fail;
    atomic_store(&st->own_tables, true);
    for (int i = 0; i < st->nreaders; i++) {
        rc = store__conn_open(&st->readers[i], st, st->path, false, false, e);
        if (rc)
            goto fail;
        st->idle[st->nidle++] = st->readers[i];
    }
    log_write(st->log, LOG_INFO, "store.open", "backend=sqlite read_conns=%d max_batch=%d sync=%s",
              st->nreaders, st->max_batch, cfg->synchronous_full ? "full" : "normal");
    *out = st;
    return 0;
fail:
    store_close(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->qmu);
    st->closing = true;
    pthread_cond_broadcast(&st->qcond);
    pthread_mutex_unlock(&st->qmu);
    if (st->writer_started)
        pthread_join(st->writer, NULL);
    /* Readers first: the last connection to close checkpoints the WAL. */
    for (int i = 0; i < st->nreaders; i++)
        store__conn_close(st->readers[i]);
    store__conn_close(st->wconn);
    for (size_t i = 0; i < st->nmods; i++)
        free(st->mods[i].name);
    free(st->mods);
    free(st->refs);
    free(st->readers);
    free(st->idle);
    pthread_mutex_destroy(&st->qmu);
    pthread_cond_destroy(&st->qcond);
    pthread_mutex_destroy(&st->rmu);
    pthread_cond_destroy(&st->rcond);
    free(st->path);
    free(st);
}
