/*
** auth_bench.c: what authentication costs, in one run on this machine.
**
**   login      auth_login with the right password (Argon2id verify,
**              interactive limits, plus the session write): ms per login
**   verify     auth_verify_token on a valid token:
**                cached   (the in-memory cache, default 5 s TTL)
**                store    (cache off: one primary-key lookup through store_read)
**              beside the baseline: a store_read of one users row by primary
**              key (the floor any table lookup through the read pool pays:
**              SQLite's read transaction and its file locks), ops/s from N
**              threads.
**
** usage: auth_bench --dir DIR [--seconds S] [--threads N]
*/
#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct job {
    struct auth *a;
    struct store *st;
    const char *token;
    int kind; /* 0 cached, 1 store, 2 baseline */
    double seconds;
    uint64_t ops;
    int failures;
};

static int one_row(struct store_conn *c, void *arg, struct err *e)
{
    (void)arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT name FROM users WHERE id = 1", &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    return rc == STORE_ROW ? 0 : ERR_DB;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    double end = time_mono_s() + j->seconds;
    struct err e;
    struct auth_principal who;
    while (time_mono_s() < end) {
        for (int i = 0; i < 256; i++) {
            int rc = j->kind == 2 ? store_read(j->st, one_row, NULL, &e)
                                  : auth_verify_token(j->a, j->st, j->token, &who, &e);
            if (rc)
                j->failures++;
            j->ops++;
        }
    }
    return NULL;
}

static double run(struct auth *a, struct store *st, const char *tok, int kind, int threads,
                  double seconds)
{
    struct job *jobs = xcalloc((size_t)threads, sizeof *jobs);
    pthread_t *th = xcalloc((size_t)threads, sizeof *th);
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){a, st, tok, kind, seconds, 0, 0};
        pthread_create(&th[i], NULL, worker, &jobs[i]);
    }
    uint64_t ops = 0;
    int fails = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ops += jobs[i].ops;
        fails += jobs[i].failures;
    }
    free(jobs);
    free(th);
    if (fails)
        rl_die("%d verifications failed", fails);
    return (double)ops / seconds;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    double seconds = 3;
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = strtod(argv[i + 1], NULL);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (int)strtol(argv[i + 1], NULL, 10);
    }
    if (!dir || seconds <= 0 || threads <= 0) {
        fprintf(stderr, "usage: auth_bench --dir DIR [--seconds S] [--threads N]\n");
        return 2;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/auth_bench.db", dir);
    unlink(path);
    struct err e = {0};
    struct store *st;
    struct store_config sc = {.path = path, .read_conns = threads, .synchronous_full = true};
    if (store_open(&st, &sc, &e) ||
        store_add_migrations(st, "auth", auth_migrations, auth_migrations_len, &e) ||
        store_migrate(st, &e))
        rl_die("store: %s", e.msg);
    struct auth *cached, *uncached;
    struct auth_config on = {.max_failures = 1000000}, off = {.cache_ttl_ms = -1};
    if (auth_new(&cached, &on, &e) || auth_new(&uncached, &off, &e))
        rl_die("auth: %s", e.msg);
    struct auth_user_new u = {1, "bench", "bench password", AUTH_ROLE_OPERATOR, NULL};
    if (auth_user_add(st, NULL, &u, NULL, &e))
        rl_die("user: %s", e.msg);
    /* Some other sessions so the lookup is not into a one-row table. */
    char tok[AUTH_TOKEN_LEN];
    int logins = 20;
    double t0 = time_mono_s();
    for (int i = 0; i < logins; i++)
        if (auth_login(cached, st, "bench", "bench password", "127.0.0.1", tok, NULL, NULL, &e))
            rl_die("login: %s", e.msg);
    double login_ms = (time_mono_s() - t0) * 1000 / logins;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, "bench password", 14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE))
        rl_die("crypto_pwhash_str");
    t0 = time_mono_s();
    for (int i = 0; i < logins; i++)
        if (crypto_pwhash_str_verify(hash, "bench password", 14))
            rl_die("verify");
    double argon_ms = (time_mono_s() - t0) * 1000 / logins;

    printf("auth bench: %d threads, %.1f s per case, %s\n", threads, seconds, path);
    printf("  login (Argon2id interactive + durable session write): %.1f ms each (%d logins)\n",
           login_ms, logins);
    printf("    of which crypto_pwhash_str_verify alone:             %.1f ms\n", argon_ms);
    double base = run(NULL, st, NULL, 2, threads, seconds);
    double db = run(uncached, st, tok, 1, threads, seconds);
    double hit = run(cached, st, tok, 0, threads, seconds);
    printf("  baseline store_read(one row by PK):   %10.0f ops/s\n", base);
    printf("  auth_verify_token, cache off (store): %10.0f ops/s  (%.0f%% of baseline)\n", db,
           100 * db / base);
    printf("  auth_verify_token, cached:            %10.0f ops/s  (%.1fx baseline)\n", hit,
           hit / base);
    auth_free(cached);
    auth_free(uncached);
    store_close(st);
    unlink(path);
    return 0;
}
