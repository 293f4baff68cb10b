/* ctest-labels: api,slow */
/*
** Durability through the API: several clients write (POST
** /api/v1/system/ping-write, one audit row per request, each with a unique
** note) while the server is killed with SIGKILL mid-stream. After a restart
** on the same database every acknowledged (201) write is present exactly
** once, and nothing is present that was never sent: an answer is only sent
** after the write's group commit is durable.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl_server.h"

#define CLIENTS 8
#define MAX_PER_CLIENT 20000

struct client {
    struct ts_server s; /* a copy with its own curl handle */
    const char *token;
    int id;
    int sent;  /* requests started */
    int acked; /* 201 answers; notes c<id>-0 .. c<id>-(acked-1) are acked */
    atomic_int *total_acked;
};

static void *client_main(void *arg)
{
    struct client *c = arg;
    c->s.curl = NULL;
    for (int i = 0; i < MAX_PER_CLIENT; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"note\":\"c%d-%d\"}", c->id, i);
        c->sent = i + 1;
        struct ts_resp r;
        int rc = ts_post_json(&c->s, "POST", "/api/v1/system/ping-write", c->token, body, &r);
        long status = r.status;
        ts_resp_free(&r);
        if (rc != 0 || status != 201)
            break; /* the server is gone (or refused): stop */
        c->acked = i + 1;
        atomic_fetch_add(c->total_acked, 1);
    }
    ts_cleanup_client(&c->s);
    return NULL;
}

static void nap_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_kill_mid_stream(void **state)
{
    (void)state;
    struct ts_server s;
    assert_int_equal(ts_start(&s, NULL), 0);
    assert_int_equal(ts_add_user(&s, 1, "writer", "operator", "writer-password"), 0);
    char token[128];
    assert_int_equal(ts_login(&s, "writer", "writer-password", token, sizeof token), 0);

    atomic_int total = 0;
    struct client cl[CLIENTS];
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cl[i] = (struct client){.s = s, .token = token, .id = i, .total_acked = &total};
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &cl[i]), 0);
    }
    /* Kill once a few hundred writes are acknowledged, with more in flight. */
    for (int waited = 0; atomic_load(&total) < 300 && waited < 60000; waited += 2)
        nap_ms(2);
    assert_true(atomic_load(&total) >= 300);
    ts_kill(&s);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);

    /* Restart on the same database: it must come up and serve writes. */
    struct ts_server s2;
    struct ts_opts o = {.db = s.db};
    assert_int_equal(ts_start(&s2, &o), 0);
    assert_int_equal(ts_login(&s2, "writer", "writer-password", token, sizeof token), 0);
    struct ts_resp r;
    assert_int_equal(ts_post_json(&s2, "POST", "/api/v1/system/ping-write", token,
                                  "{\"note\":\"after-restart\"}", &r),
                     0);
    assert_int_equal(r.status, 201);
    ts_resp_free(&r);
    assert_int_equal(ts_stop(&s2), 0);

    /* Count every note in the audit log. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(s.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT json_extract(detail, '$.note') FROM audit_log "
                                        "WHERE action = 'system.ping_write'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    static unsigned char seen[CLIENTS][MAX_PER_CLIENT];
    memset(seen, 0, sizeof seen);
    int dup = 0, unknown = 0, rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *note = (const char *)sqlite3_column_text(q, 0);
        int ci, ii;
        rows++;
        if (note && strcmp(note, "after-restart") == 0)
            continue;
        if (!note || sscanf(note, "c%d-%d", &ci, &ii) != 2 || ci < 0 || ci >= CLIENTS || ii < 0 ||
            ii >= cl[ci].sent) {
            unknown++;
            continue;
        }
        if (seen[ci][ii]++)
            dup++;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    int missing = 0, acked = 0, extra = 0;
    for (int c = 0; c < CLIENTS; c++) {
        acked += cl[c].acked;
        for (int i = 0; i < cl[c].acked; i++)
            if (!seen[c][i])
                missing++;
        for (int i = cl[c].acked; i < cl[c].sent; i++)
            extra += seen[c][i] ? 1 : 0; /* committed, answer lost in the kill: fine */
    }
    fprintf(stderr,
            "durability: %d acknowledged, %d rows, %d committed but unanswered, "
            "%d missing, %d duplicated, %d unknown\n",
            acked, rows, extra, missing, dup, unknown);
    ts_cleanup(&s);
    assert_int_equal(missing, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(unknown, 0);
    assert_true(extra <= CLIENTS); /* at most the one request in flight per client */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_mid_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
