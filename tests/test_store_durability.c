/* Durability of group commit: a child process writes through the store from
** several threads and reports every acknowledged request id through a pipe;
** the parent SIGKILLs it mid-stream, reopens the database and checks that
** every acknowledged request is there and no request is half there (each
** writes two rows). Three rounds on the same file, so each child also opens
** a database left behind by a killed process.
**
** SIGKILL loses the process, not the machine: the kernel still holds written
** pages. What this proves is that nothing is acknowledged before its COMMIT
** returned and that a batch is all-or-nothing per request; fsync against
** power loss is SQLite's synchronous=FULL (docs/internals/store.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

enum { THREADS = 6, ROUNDS = 3, ACKS_BEFORE_KILL = 1500 };

static const struct store_migration dur_migs[] = {
    {1, "pairs",
     "CREATE TABLE pairs (req_id INTEGER NOT NULL, part INTEGER NOT NULL,"
     " PRIMARY KEY (req_id, part));",
     NULL},
};

static struct store *open_db(const char *path, struct err *e)
{
    struct store_config cfg;
    store_config_defaults(&cfg); /* synchronous_full = true */
    cfg.path = path;
    struct store *st = NULL;
    if (store_open(&st, &cfg, e))
        return NULL;
    if (store_add_migrations(st, "dur", dur_migs, 1, e) || store_migrate(st, e)) {
        store_close(st);
        return NULL;
    }
    return st;
}

/* ----------------------------------------------------------------- child */

struct req {
    int64_t id;
    bool fail; /* writes its first row, then refuses: must vanish */
};

static int pair_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct req *r = arg;
    for (int part = 0; part < 2; part++) {
        struct store_stmt *s;
        int rc = store_prepare(c, "INSERT INTO pairs (req_id, part) VALUES (?, ?)", &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, r->id);
        store_bind_i64(s, 2, part);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (r->fail)
            return err_set(e, ERR_CONFLICT, "refused after one row");
    }
    return 0;
}

struct writer {
    struct store *st;
    int fd;
    int64_t base;
};

static void *child_thread(void *arg)
{
    struct writer *w = arg;
    for (int64_t k = 0;; k++) {
        struct req r = {w->base + k, k % 7 == 3};
        struct err e = {0};
        int rc = store_write(w->st, pair_fn, &r, &e);
        if (r.fail) {
            if (rc != ERR_CONFLICT)
                _exit(4);
            continue;
        }
        if (rc != 0) {
            fprintf(stderr, "child: write %lld failed: %s\n", (long long)r.id, e.msg);
            _exit(3);
        }
        /* 8 bytes < PIPE_BUF: atomic even with several writers. */
        if (write(w->fd, &r.id, sizeof r.id) != (ssize_t)sizeof r.id)
            _exit(5);
    }
    return NULL;
}

static RL_NORETURN void child_main(const char *path, int fd, int round)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct err e = {0};
    struct store *st = open_db(path, &e);
    if (!st) {
        fprintf(stderr, "child: open: %s\n", e.msg);
        _exit(2);
    }
    pthread_t tid[THREADS];
    struct writer w[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct writer){st, fd, ((int64_t)round * 100 + t) * 100000000};
        pthread_create(&tid[t], NULL, child_thread, &w[t]);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(tid[t], NULL);
    _exit(0);
}

/* ---------------------------------------------------------------- parent */

struct acks {
    int64_t *ids;
    size_t n, cap;
};

struct verify {
    const struct acks *acks;
    int64_t missing, half, present;
};

static int verify_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct verify *v = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT count(*) FROM (SELECT req_id FROM pairs GROUP BY req_id "
                           "HAVING count(*) <> 2)",
                           &s, e);
    if (rc || (rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : ERR_INTERNAL;
    v->half = store_col_i64(s, 0);
    rc = store_prepare(c, "SELECT count(DISTINCT req_id) FROM pairs", &s, e);
    if (rc || (rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : ERR_INTERNAL;
    v->present = store_col_i64(s, 0);
    for (size_t i = 0; i < v->acks->n; i++) {
        rc = store_prepare(c, "SELECT count(*) FROM pairs WHERE req_id = ?", &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, v->acks->ids[i]);
        if ((rc = store_step(s, e)) != STORE_ROW)
            return rc < 0 ? rc : ERR_INTERNAL;
        if (store_col_i64(s, 0) != 2)
            v->missing++;
    }
    return 0;
}

/* Read whole 8-byte ids; returns false at end of stream. */
static bool read_ack(int fd, int64_t *id)
{
    unsigned char buf[sizeof *id];
    size_t got = 0;
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    memcpy(id, buf, sizeof *id);
    return true;
}

static void test_kill_mid_stream(void **state)
{
    (void)state;
    char dir[256], path[300];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/rl-dur-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/d.db", dir);

    struct acks all = {0};
    int64_t prev_present = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_main(path, p[1], round);
        }
        close(p[1]);
        size_t before = all.n;
        int64_t id;
        while (all.n - before < ACKS_BEFORE_KILL && read_ack(p[0], &id)) {
            xgrow((void **)&all.ids, &all.cap, all.n + 1, sizeof *all.ids);
            all.ids[all.n++] = id;
        }
        assert_int_equal(all.n - before, ACKS_BEFORE_KILL); /* child did not die early */
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* Acks still in the pipe were sent before the kill: they count. */
        while (read_ack(p[0], &id)) {
            xgrow((void **)&all.ids, &all.cap, all.n + 1, sizeof *all.ids);
            all.ids[all.n++] = id;
        }
        close(p[0]);

        struct err e = {0};
        struct store *st = open_db(path, &e);
        if (!st)
            fail_msg("reopen after SIGKILL: %s", e.msg);
        struct verify v = {&all, 0, 0, 0};
        assert_int_equal(store_read(st, verify_fn, &v, &e), 0);
        store_close(st);
        print_message("round %d: %zu acknowledged so far, %lld requests present, "
                      "%lld missing, %lld half-present\n",
                      round, all.n, (long long)v.present, (long long)v.missing, (long long)v.half);
        assert_int_equal(v.missing, 0);
        assert_int_equal(v.half, 0);
        assert_true(v.present >= (int64_t)all.n);
        assert_true(v.present > prev_present);
        prev_present = v.present;
    }
    free(all.ids);
    char f[400];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_mid_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
