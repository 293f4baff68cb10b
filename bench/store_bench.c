/*
** store_bench.c: durable writes per second, in one run, for
**   (a) plain SQLite, one transaction per write, one thread (the baseline
**       the issue quotes: about 5,000/s on this machine),
**   (b) the store's group commit: N threads (default 64) calling store_write,
**   (c) plain SQLite, batches of 64 inserts per transaction, in-process
**       (the ceiling group commit can approach),
**   (d) store_write from a single thread (the store's per-write overhead
**       when no batch can form).
** Every case: WAL, synchronous=FULL, a fresh database file, the same
** one-row INSERT, a fixed wall-clock duration; the four cases are run in
** interleaved rounds and the median is printed, because the disk is shared
** with whatever else runs on the machine. Run it through bench/store.
*/
#include "store/store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *schema = "CREATE TABLE w (id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL,"
                            " ts_ms INTEGER NOT NULL, body TEXT NOT NULL)";
static const char *insert_sql = "INSERT INTO w (county_id, ts_ms, body) VALUES (?, ?, ?)";
static const char *body =
    "{\"sku\":\"apple-fuji-5kg\",\"qty\":3,\"price_fen\":4590,\"note\":\"leave at gate\"}";

struct opts {
    const char *dir;
    double seconds;
    int threads;
};

static void db_path(const struct opts *o, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.db", o->dir, name);
    char p[600];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", out, suffix[i]);
        unlink(p);
    }
}

/* Grow the WAL to about 5 MB once (more than the 1000-page autocheckpoint),
** so every case starts from the same steady state: a WAL file overwritten in
** place rather than a fresh one growing (fsync of a growing file also has to
** flush its size). Two transactions: pages of a table dropped in the
** transaction that filled it are never written. */
static const char *warm_fill =
    "CREATE TABLE warm (b BLOB);"
    "INSERT INTO warm SELECT zeroblob(4000) FROM (WITH RECURSIVE c(x) AS"
    " (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1200) SELECT x FROM c);";
static const char *warm_drop = "DROP TABLE warm;";

static void die_sqlite(sqlite3 *db, const char *what)
{
    fprintf(stderr, "store_bench: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static sqlite3 *plain_open(const char *path)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die_sqlite(db, "open");
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, NULL) ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) ||
        sqlite3_exec(db, warm_fill, NULL, NULL, NULL) ||
        sqlite3_exec(db, warm_drop, NULL, NULL, NULL))
        die_sqlite(db, "setup");
    return db;
}

static void plain_insert(sqlite3 *db, sqlite3_stmt *s, int64_t i)
{
    sqlite3_bind_int64(s, 1, 1 + i % 3);
    sqlite3_bind_int64(s, 2, time_now_ms());
    sqlite3_bind_text(s, 3, body, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        die_sqlite(db, "insert");
    sqlite3_reset(s);
}

/* (a) and (c): batch = 1 is one autocommit transaction per write. */
static double plain_case(const struct opts *o, const char *name, int batch)
{
    char path[512];
    db_path(o, name, path, sizeof path);
    sqlite3 *db = plain_open(path);
    sqlite3_stmt *s, *begin, *commit;
    if (sqlite3_prepare_v2(db, insert_sql, -1, &s, NULL) ||
        sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL))
        die_sqlite(db, "prepare");
    int64_t n = 0;
    double t0 = time_mono_s(), t1;
    do {
        if (batch > 1 && (sqlite3_step(begin) != SQLITE_DONE || sqlite3_reset(begin)))
            die_sqlite(db, "begin");
        for (int k = 0; k < batch; k++)
            plain_insert(db, s, n++);
        if (batch > 1 && (sqlite3_step(commit) != SQLITE_DONE || sqlite3_reset(commit)))
            die_sqlite(db, "commit");
        t1 = time_mono_s();
    } while (t1 - t0 < o->seconds);
    sqlite3_finalize(s);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return (double)n / (t1 - t0);
}

/* (b) and (d): threads calling store_write until told to stop. */
static const struct store_migration bench_migs[] = {
    {1, "w",
     "CREATE TABLE w (id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL,"
     " ts_ms INTEGER NOT NULL, body TEXT NOT NULL)",
     NULL},
};

struct shared {
    struct store *st;
    atomic_bool stop;
    atomic_llong writes;
};

static int insert_fn(struct store_conn *c, void *arg, struct err *e)
{
    int64_t i = *(int64_t *)arg;
    struct store_stmt *s;
    int rc = store_prepare(c, insert_sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, 1 + i % 3);
    store_bind_i64(s, 2, time_now_ms());
    store_bind_text(s, 3, body, -1);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static int exec_fn(struct store_conn *c, void *arg, struct err *e)
{
    return store_exec(c, arg, e);
}

static void *store_thread(void *arg)
{
    struct shared *sh = arg;
    for (int64_t i = 0; !atomic_load(&sh->stop); i++) {
        struct err e;
        if (store_write(sh->st, insert_fn, &i, &e) != 0) {
            fprintf(stderr, "store_bench: store_write: %s\n", e.msg);
            exit(1);
        }
        atomic_fetch_add(&sh->writes, 1);
    }
    return NULL;
}

static double store_case(const struct opts *o, const char *name, int threads, double *avg_batch)
{
    char path[512];
    db_path(o, name, path, sizeof path);
    struct store_config cfg;
    store_config_defaults(&cfg); /* synchronous_full = true */
    cfg.path = path;
    struct shared sh = {0};
    struct err e;
    if (store_open(&sh.st, &cfg, &e) || store_add_migrations(sh.st, "bench", bench_migs, 1, &e) ||
        store_migrate(sh.st, &e) || store_write(sh.st, exec_fn, (void *)warm_fill, &e) ||
        store_write(sh.st, exec_fn, (void *)warm_drop, &e)) {
        fprintf(stderr, "store_bench: %s\n", e.msg);
        exit(1);
    }
    struct store_stats s0, s1;
    store_get_stats(sh.st, &s0);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    double t0 = time_mono_s();
    for (int t = 0; t < threads; t++)
        pthread_create(&tid[t], NULL, store_thread, &sh);
    struct timespec ts = {(time_t)o->seconds,
                          (long)((o->seconds - (double)(time_t)o->seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&sh.stop, true);
    for (int t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    double t1 = time_mono_s();
    store_get_stats(sh.st, &s1);
    store_close(sh.st);
    free(tid);
    uint64_t b = s1.batches - s0.batches;
    *avg_batch = b ? (double)(s1.writes - s0.writes) / (double)b : 0;
    return (double)atomic_load(&sh.writes) / (t1 - t0);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

enum { MAX_ROUNDS = 15 };

int main(int argc, char **argv)
{
    struct opts o = {".", 2.0, 64};
    int rounds = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            o.dir = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            o.seconds = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            o.threads = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr,
                    "usage: store_bench [--dir D] [--seconds S] [--threads N] [--rounds R]\n");
            return 2;
        }
    }
    if (o.seconds <= 0 || o.threads < 1 || rounds < 1 || rounds > MAX_ROUNDS)
        return 2;
    printf("durable writes/s: WAL, synchronous=FULL, fresh file per case (WAL grown once first),\n"
           "%d rounds of the 4 cases interleaved, %.1f s per case per round; median [min-max].\n"
           "SQLite %s, %ld CPUs, load average at start: ",
           rounds, o.seconds, sqlite3_libversion(), sysconf(_SC_NPROCESSORS_ONLN));
    double load[3];
    if (getloadavg(load, 3) == 3)
        printf("%.2f %.2f %.2f\n", load[0], load[1], load[2]);
    else
        printf("?\n");
    fflush(stdout);

    enum { A, B, C, D, NCASES };
    double r[NCASES][MAX_ROUNDS], batch_b[MAX_ROUNDS], batch_d[MAX_ROUNDS];
    for (int k = 0; k < rounds; k++) {
        r[A][k] = plain_case(&o, "a-one-txn-per-write", 1);
        r[B][k] = store_case(&o, "b-group-commit", o.threads, &batch_b[k]);
        r[C][k] = plain_case(&o, "c-batches-of-64", 64);
        r[D][k] = store_case(&o, "d-store-one-thread", 1, &batch_d[k]);
        fprintf(stderr, "round %d: a %.0f  b %.0f  c %.0f  d %.0f\n", k + 1, r[A][k], r[B][k],
                r[C][k], r[D][k]);
    }
    double med[NCASES], lo[NCASES], hi[NCASES];
    for (int c = 0; c < NCASES; c++) {
        qsort(r[c], (size_t)rounds, sizeof r[c][0], cmp_double);
        med[c] = r[c][rounds / 2];
        lo[c] = r[c][0];
        hi[c] = r[c][rounds - 1];
    }
    qsort(batch_b, (size_t)rounds, sizeof batch_b[0], cmp_double);
    char label[NCASES][80];
    snprintf(label[A], sizeof label[A], "(a) plain SQLite, 1 txn per write, 1 thread");
    snprintf(label[B], sizeof label[B], "(b) store_write, group commit, %d threads", o.threads);
    snprintf(label[C], sizeof label[C], "(c) plain SQLite, 64 writes per txn, 1 thread");
    snprintf(label[D], sizeof label[D], "(d) store_write, 1 thread");
    printf("%-48s %10s  %-17s %8s\n", "case", "writes/s", "[min-max]", "vs (a)");
    for (int c = 0; c < NCASES; c++) {
        char range[40];
        snprintf(range, sizeof range, "[%.0f-%.0f]", lo[c], hi[c]);
        printf("%-48s %10.0f  %-17s %7.1fx", label[c], med[c], range, med[c] / med[A]);
        if (c == B)
            printf("  avg batch %.1f", batch_b[rounds / 2]);
        printf("\n");
    }
    printf("goal (issue #2): durable HTTP writes >= 20000/s; the store alone (b): %s\n",
           med[B] >= 20000 ? "met" : "NOT met");
    return 0;
}
