/* Unit tests for telemetry over a real store: ingest (line protocol, JSON),
** idempotent replays, no duplicates, downsampled queries, roll-ups and
** retention, monitors raising alerts as readings arrive, the alert
** lifecycle, webhook delivery with an HMAC signature, the cold-chain report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/store.h"
#include "telemetry/telemetry.h"

#define C1 1
#define C2 2
#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */
#define MIN 60000LL
#define HOUR 3600000LL

struct fx {
    char dir[256];
    char path[300];
    struct store *st;
    struct telemetry *t;
};

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-tm-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    struct err e = {0};
    if (store_open(&f->st, &cfg, &e) ||
        store_add_migrations(f->st, "telemetry", telemetry_migrations, telemetry_migrations_len,
                             &e) ||
        store_migrate(f->st, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return -1;
    }
    struct telemetry_config tc = {0};
    tc.webhook_base_backoff_ms = 10;
    tc.webhook_max_attempts = 2;
    if (telemetry_new(&f->t, f->st, &tc, &e)) {
        fprintf(stderr, "telemetry_new: %s\n", e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    telemetry_free(f->t);
    store_close(f->st);
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

static struct tm_ingest_result ingest_lp(struct fx *f, int64_t county, const char *key,
                                         const char *body, size_t *bad)
{
    struct arena a;
    arena_init(&a, 65536);
    struct tm_lp_batch b;
    struct tm_ingest_result r;
    struct err e = {0};
    int rc = tm_ingest_lp(f->t, county, 0, key, body, strlen(body), TM_PREC_MS, &a, &b, &r, &e);
    if (rc)
        fail_msg("ingest: %s", e.msg);
    if (bad)
        *bad = b.bad_lines;
    arena_release(&a);
    return r;
}

static int64_t series_id(struct fx *f, int64_t county, const char *key)
{
    int64_t id = 0;
    struct err e;
    if (tm_series_find(f->t, county, key, &id, &e))
        fail_msg("series '%s': %s", key, e.msg);
    return id;
}

static size_t count_raw(struct fx *f, int64_t county, int64_t sid)
{
    int64_t *ts;
    double *v;
    size_t n;
    struct err e;
    assert_int_equal(tm_query_raw(f->t, county, sid, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    free(ts);
    free(v);
    return n;
}

static void test_ingest_and_query(void **state)
{
    struct fx *f = *state;
    size_t bad;
    struct tm_ingest_result r = ingest_lp(f, C1, NULL,
                                          "cold,vehicle=V1 temp=4.5,rh=90 1700000000000\n"
                                          "cold,vehicle=V1 temp=5.5,rh=91 1700000060000\n"
                                          "cold,vehicle=V1 temp=bad 1700000120000\n"
                                          "cold,vehicle=V2 temp=3 1700000000000\n",
                                          &bad);
    assert_int_equal(r.written, 5);
    assert_int_equal(r.series_new, 3);
    assert_int_equal(bad, 1);
    int64_t s1 = series_id(f, C1, "cold,vehicle=V1 temp");
    assert_int_equal(count_raw(f, C1, s1), 2);
    /* same series in another county is another series; county 2 sees nothing of 1 */
    struct err e;
    struct tm_series s;
    assert_int_equal(tm_series_get(f->t, C2, s1, &s, &e), ERR_NOTFOUND);
    assert_int_equal(tm_series_get(f->t, C1, s1, &s, &e), 0);
    assert_int_equal(s.count, 2);
    assert_string_equal(s.measurement, "cold");
    assert_string_equal(s.field, "temp");
    struct tm_series *list;
    size_t n;
    assert_int_equal(tm_series_list(f->t, C1, "cold", &list, &n, &e), 0);
    assert_int_equal(n, 3);
    free(list);
    assert_int_equal(tm_series_list(f->t, C2, NULL, &list, &n, &e), 0);
    assert_int_equal(n, 0);
    free(list);

    /* the same reading again (no key) replaces, never duplicates */
    r = ingest_lp(f, C1, NULL, "cold,vehicle=V1 temp=6.5 1700000060000\n", NULL);
    assert_int_equal(r.series_new, 0);
    assert_int_equal(count_raw(f, C1, s1), 2);
    struct tm_bucket *b;
    assert_int_equal(tm_query(f->t, C1, s1, T0, T0 + HOUR, 0, &b, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_true(b[1].mean == 6.5);
    free(b);

    /* downsampling: 1 reading/min over 10 h, 5 buckets of 2 h */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 600; i++)
        strbuf_addf(&sb, "soil,plot=P1 moisture=%d %lld\n", i % 10, T0 + i * MIN);
    r = ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    assert_int_equal(r.written, 600);
    int64_t sp = series_id(f, C1, "soil,plot=P1 moisture");
    assert_int_equal(tm_query(f->t, C1, sp, T0, T0 + 10 * HOUR, 2 * HOUR, &b, &n, &e), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b[i].ts_ms, T0 + (int64_t)i * 2 * HOUR);
        assert_int_equal(b[i].count, 120);
        assert_true(b[i].min == 0 && b[i].max == 9);
        assert_true(fabs(b[i].mean - 4.5) < 1e-9);
    }
    free(b);
    assert_int_equal(tm_query(f->t, C1, sp, T0, T0 + 10 * HOUR, 1, &b, &n, &e), ERR_TOOBIG);
    assert_int_equal(tm_query(f->t, C2, sp, T0, T0 + HOUR, MIN, &b, &n, &e), ERR_NOTFOUND);
    assert_int_equal(tm_query(f->t, C1, sp, T0, T0, MIN, &b, &n, &e), ERR_INVAL);
}

static void test_idempotent_replay(void **state)
{
    struct fx *f = *state;
    const char *body = "cold,store=S1 temp=1 1700000000000\n"
                       "cold,store=S1 temp=2 1700000001000\n"
                       "cold,store=S1 temp=3 1700000002000\n";
    struct tm_ingest_result r = ingest_lp(f, C1, "batch-42", body, NULL);
    assert_int_equal(r.written, 3);
    assert_int_equal(r.series_new, 1);
    assert_false(r.replayed);
    int64_t sid = series_id(f, C1, "cold,store=S1 temp");
    /* replay: stored once, the first answer reported (not today's state:
    ** the series is no longer new) */
    r = ingest_lp(f, C1, "batch-42", body, NULL);
    assert_true(r.replayed);
    assert_int_equal(r.written, 3);
    assert_int_equal(r.series_new, 1);
    assert_int_equal(count_raw(f, C1, sid), 3);
    /* the same key with other content is still a replay (key wins) */
    r = ingest_lp(f, C1, "batch-42", "cold,store=S1 temp=9 1700000009000\n", NULL);
    assert_true(r.replayed);
    assert_int_equal(count_raw(f, C1, sid), 3);
    /* another county may use the same key */
    r = ingest_lp(f, C2, "batch-42", body, NULL);
    assert_false(r.replayed);
    /* a failing batch records nothing: its key can be used again */
    struct tm_reading bad = {"cold", "temp", NULL, 0, T0, NAN};
    struct tm_ingest_result rr;
    struct err e;
    assert_int_equal(tm_ingest(f->t, C1, 0, "k2", &bad, 1, &rr, &e), ERR_INVAL);
    struct tm_reading good = {"cold", "temp", NULL, 0, T0, 1.0};
    assert_int_equal(tm_ingest(f->t, C1, 0, "k2", &good, 1, &rr, &e), 0);
    assert_false(rr.replayed);
    assert_int_equal(rr.written, 1);
}

static void test_json_ingest(void **state)
{
    struct fx *f = *state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_ingest_result r;
    struct err e = {0};
    const char *body = "{\"readings\":["
                       "{\"measurement\":\"water\",\"tags\":{\"station\":\"W1\"},"
                       "\"fields\":{\"do\":6.2,\"nh3n\":0.4},\"ts\":\"2023-11-14T22:13:20Z\"},"
                       "{\"measurement\":\"air\",\"tags\":{\"station\":\"A1\"},\"field\":\"pm25\","
                       "\"value\":35,\"ts_ms\":1700000000000}]}";
    assert_int_equal(tm_ingest_json(f->t, C1, 0, NULL, body, strlen(body), &a, &r, &e), 0);
    assert_int_equal(r.written, 3);
    int64_t sid = series_id(f, C1, "water,station=W1 do");
    int64_t *ts;
    double *v;
    size_t n;
    assert_int_equal(tm_query_raw(f->t, C1, sid, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ts[0], T0);
    assert_true(v[0] == 6.2);
    free(ts);
    free(v);
    static const char *const bad[] = {
        "[{\"measurement\":\"x\"}]",                 /* no value */
        "[{\"measurement\":\"x\",\"value\":\"1\"}]", /* value not a number */
        "[{\"measurement\":\"x\",\"value\":1,\"ts\":\"yesterday\"}]",
        "[{\"measurement\":\"x\",\"value\":1,\"color\":\"red\"}]", /* unknown key */
        "[{\"measurement\":\"x\",\"value\":1,\"tags\":{\"a\":1}}]",
        "{\"nope\":1}",
        "[1]",
        "[{\"measurement\":\"x\",\"value\":1},",
        /* a NUL would cut the name (merging series), a line break cannot be
        ** line protocol; two times or a value beside fields are ambiguous */
        "[{\"measurement\":\"x\\u0000y\",\"value\":1}]",
        "[{\"measurement\":\"x\",\"tags\":{\"a\":\"1\\u0000z\"},\"value\":1}]",
        "[{\"measurement\":\"x\",\"field\":\"v\\u0000w\",\"value\":1}]",
        "[{\"measurement\":\"x\\n\",\"value\":1}]",
        "[{\"measurement\":\"x\",\"tags\":{\"a\":\"1\\r\\n\"},\"value\":1}]",
        "[{\"measurement\":\"x\",\"value\":1,\"ts\":\"2023-11-14T22:13:20Z\",\"ts_ms\":1}]",
        "[{\"measurement\":\"x\",\"value\":1,\"fields\":{\"y\":2}}]",
        "[{\"measurement\":\"x\",\"field\":\"f\",\"fields\":{\"y\":2}}]",
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(bad); i++) {
        err_clear(&e);
        int rc = tm_ingest_json(f->t, C1, 0, NULL, bad[i], strlen(bad[i]), &a, &r, &e);
        if (rc != ERR_INVAL)
            fail_msg("body %zu accepted (rc %d)", i, rc);
        assert_true(e.msg[0] != '\0');
    }
    /* nothing of the bad bodies was written */
    struct tm_series *list;
    assert_int_equal(tm_series_list(f->t, C1, "x", &list, &n, &e), 0);
    assert_int_equal(n, 0);
    free(list);
    arena_release(&a);
}

static void test_rollups_retention(void **state)
{
    struct fx *f = *state;
    /* 3 days of one reading a minute, value = minute of the hour */
    struct strbuf sb = STRBUF_INIT;
    int64_t start = (T0 / HOUR) * HOUR;
    for (int i = 0; i < 3 * 24 * 60; i++)
        strbuf_addf(&sb, "cold,store=R temp=%d %lld\n", i % 60, start + i * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    int64_t sid = series_id(f, C1, "cold,store=R temp");
    struct tm_bucket *before, *after;
    size_t nb, na;
    struct err e;
    assert_int_equal(
        tm_query(f->t, C1, sid, start, start + 3 * 24 * HOUR, 6 * HOUR, &before, &nb, &e), 0);
    /* maintain "10 days later" with 1-day raw retention and 5-day minute
    ** retention: raw gone, minutes gone, hours answer */
    telemetry_free(f->t);
    struct telemetry_config tc = {.raw_retention_ms = 24 * HOUR,
                                  .minute_retention_ms = 5 * 24 * HOUR};
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    int64_t deleted = 0;
    assert_int_equal(tm_maintain(f->t, start + 10 * 24 * HOUR, &deleted, &e), 0);
    assert_true(deleted >= 3 * 24 * 60);
    assert_int_equal(count_raw(f, C1, sid), 0);
    assert_int_equal(
        tm_query(f->t, C1, sid, start, start + 3 * 24 * HOUR, 6 * HOUR, &after, &na, &e), 0);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(after[i].ts_ms, before[i].ts_ms);
        assert_int_equal(after[i].count, before[i].count);
        assert_true(after[i].min == before[i].min && after[i].max == before[i].max);
        assert_true(fabs(after[i].mean - before[i].mean) < 1e-9);
    }
    free(before);
    free(after);
    /* idempotent */
    assert_int_equal(tm_maintain(f->t, start + 10 * 24 * HOUR, &deleted, &e), 0);
    assert_int_equal(deleted, 0);
}

static void test_rollups_minutes(void **state)
{
    struct fx *f = *state;
    int64_t start = (T0 / HOUR) * HOUR;
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 4 * 60 * 6; i++) /* every 10 s for 4 h */
        strbuf_addf(&sb, "cold,store=M temp=%d %lld\n", i % 6, start + i * 10000LL);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    int64_t sid = series_id(f, C1, "cold,store=M temp");
    telemetry_free(f->t);
    struct telemetry_config tc = {.raw_retention_ms = HOUR};
    struct err e;
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    int64_t deleted;
    assert_int_equal(tm_maintain(f->t, start + 5 * HOUR, &deleted, &e), 0);
    /* raw kept for the last hour before "now" (4h..5h has no data; 0..4h rolled) */
    struct tm_bucket *b;
    size_t n;
    assert_int_equal(tm_query(f->t, C1, sid, start, start + 4 * HOUR, 10 * MIN, &b, &n, &e), 0);
    assert_int_equal(n, 24);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(b[i].count, 60);
        assert_true(b[i].min == 0 && b[i].max == 5);
        assert_true(fabs(b[i].mean - 2.5) < 1e-9);
    }
    free(b);
}

/* ------------------------------------------------------------- webhooks */

struct hook_srv {
    int fd, port;
    pthread_t th;
    char got[8192];
    size_t got_len;
    atomic_int status; /* to answer; set by the test between requests */
    atomic_int requests;
};

static void *hook_main(void *arg)
{
    struct hook_srv *h = arg;
    for (;;) {
        int c = accept(h->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[8192];
        size_t len = 0;
        /* read headers + body (Content-Length) */
        for (;;) {
            ssize_t k = read(c, buf + len, sizeof buf - 1 - len);
            if (k <= 0)
                break;
            len += (size_t)k;
            buf[len] = '\0';
            char *hdr_end = strstr(buf, "\r\n\r\n");
            if (hdr_end) {
                char *cl = strcasestr(buf, "Content-Length:");
                size_t want = cl ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
                if (len >= (size_t)(hdr_end + 4 - buf) + want)
                    break;
            }
        }
        memcpy(h->got, buf, len);
        h->got_len = len;
        h->got[len] = '\0';
        h->requests++;
        char resp[128];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         h->status);
        if (write(c, resp, (size_t)n) < 0) {
        }
        close(c);
        if (h->status == 0)
            return NULL;
    }
}

static void hook_start(struct hook_srv *h)
{
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(h->fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(h->fd, (struct sockaddr *)&a, &l);
    h->port = ntohs(a.sin_port);
    listen(h->fd, 8);
    pthread_create(&h->th, NULL, hook_main, h);
}

static void hook_stop(struct hook_srv *h)
{
    shutdown(h->fd, SHUT_RDWR);
    close(h->fd);
    pthread_join(h->th, NULL);
}

static void test_monitor_alerts_webhook(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    ingest_lp(f, C1, NULL, "cold,vehicle=RV1 temp=3 1700000000000\n", NULL);
    int64_t sid = series_id(f, C1, "cold,vehicle=RV1 temp");
    struct hook_srv h = {.status = 500};
    hook_start(&h);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", h.port);
    int64_t wid;
    assert_int_equal(tm_webhook_add(f->t, C1, NULL, url, "0123456789abcdef-secret", &wid, &e), 0);
    assert_int_equal(tm_webhook_add(f->t, C1, NULL, "ftp://x", "0123456789abcdef", &wid, &e),
                     ERR_INVAL);

    /* profile leafy_greens: 0..2 C, 60 min single excursion, 240 min cumulative */
    struct tm_monitor m = {.series_id = sid, .rule = {NAN, NAN, 0, 0, 0}, .severity = 4};
    snprintf(m.profile, sizeof m.profile, "leafy_greens");
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &m, &e), 0);
    struct tm_monitor bad = {.series_id = sid, .rule = {NAN, NAN, 0, 0, 0}};
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &bad, &e), ERR_INVAL);
    bad.series_id = 99999;
    bad.rule.high = 4;
    bad.severity = 3;
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &bad, &e), ERR_NOTFOUND);
    /* severity is 1..4, not quietly made 3 */
    bad.series_id = sid;
    bad.severity = 9;
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &bad, &e), ERR_INVAL);
    bad.severity = 0;
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &bad, &e), ERR_INVAL);

    /* a compressor failure: readings every 10 min from 1 C up to 9 C for
    ** 100 minutes, arriving in three batches; then back to 1 C */
    double vals[] = {1, 1, 4, 6, 8, 9, 9, 9, 9, 9, 9, 1.2, 1};
    size_t total_exc = 0;
    for (int batch = 0; batch < 3; batch++) {
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i < 13; i++)
            if (i % 3 == batch)
                strbuf_addf(&sb, "cold,vehicle=RV1 temp=%g %lld\n", vals[i],
                            T0 + HOUR + i * 10 * MIN);
        struct tm_ingest_result r = ingest_lp(f, C1, NULL, sb.buf, NULL);
        total_exc += r.excursions;
        strbuf_release(&sb);
    }
    /* batches are out of time order (i%3): readings older than the detector's
    ** last one are ignored by it, so feed the series again in order to check */
    struct tm_alert *al;
    size_t n;
    assert_int_equal(tm_alerts_list(f->t, C1, -1, &al, &n, &e), 0);
    free(al);

    /* in-order feed on a fresh series */
    ingest_lp(f, C1, NULL, "cold,vehicle=RV2 temp=1 1700000000000\n", NULL);
    int64_t sid2 = series_id(f, C1, "cold,vehicle=RV2 temp");
    m.series_id = sid2;
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &m, &e), 0);
    size_t raised = 0;
    int raised_at = -1;
    for (int i = 0; i < 13; i++) {
        char line[128], key[16];
        snprintf(line, sizeof line, "cold,vehicle=RV2 temp=%g %lld\n", vals[i],
                 T0 + HOUR + i * 10 * MIN);
        snprintf(key, sizeof key, "rv2-%d", i);
        size_t x = ingest_lp(f, C1, key, line, NULL).excursions;
        raised += x;
        if (x)
            raised_at = i;
    }
    assert_int_equal(raised, 1); /* one excursion (above 2 C from 20 to 110 min) */
    {
        /* a retry of the batch that raised it answers as the first time did */
        char line[128], key[16];
        snprintf(line, sizeof line, "cold,vehicle=RV2 temp=%g %lld\n", vals[raised_at],
                 T0 + HOUR + raised_at * 10 * MIN);
        snprintf(key, sizeof key, "rv2-%d", raised_at);
        struct tm_ingest_result again = ingest_lp(f, C1, key, line, NULL);
        assert_true(again.replayed);
        assert_int_equal(again.excursions, 1);
    }
    assert_int_equal(tm_alerts_list(f->t, C1, TM_ALERT_OPEN, &al, &n, &e), 0);
    struct tm_alert *mine = NULL;
    for (size_t i = 0; i < n; i++)
        if (al[i].series_id == sid2)
            mine = &al[i];
    assert_non_null(mine);
    assert_string_equal(mine->kind, "excursion_high");
    assert_int_equal(mine->severity, 4);
    assert_int_equal(mine->start_ms, T0 + HOUR + 20 * MIN);
    assert_int_equal(mine->end_ms, T0 + HOUR + 110 * MIN); /* 1.2 < 2 - 0.5 ends it */
    assert_true(mine->peak == 9);
    /* the title says the excursion as it ended, as the fields do */
    assert_string_equal(mine->title, "above 2 for 90 min (peak 9)");
    assert_non_null(strstr(mine->readings_json, "\"value\":4"));
    int64_t aid = mine->id;
    free(al);

    /* lifecycle */
    struct auth_principal op = {.user_id = 7, .county_id = C1, .role = AUTH_ROLE_OPERATOR};
    assert_int_equal(tm_alert_transition(f->t, C2, &op, aid, TM_ALERT_ACK, &e), ERR_NOTFOUND);
    assert_int_equal(tm_alert_transition(f->t, C1, &op, aid, TM_ALERT_ACK, &e), 0);
    assert_int_equal(tm_alert_transition(f->t, C1, &op, aid, TM_ALERT_ACK, &e), ERR_CONFLICT);
    assert_int_equal(tm_alert_transition(f->t, C1, &op, aid, TM_ALERT_CLOSED, &e), 0);
    assert_int_equal(tm_alert_transition(f->t, C1, &op, aid, TM_ALERT_ACK, &e), ERR_CONFLICT);
    struct tm_alert one;
    assert_int_equal(tm_alert_get(f->t, C1, aid, &one, &e), 0);
    assert_int_equal(one.state, TM_ALERT_CLOSED);

    /* webhooks: the receiver answers 500 first: retried with backoff */
    int sent = tm_webhook_run_due(f->t, time_now_ms(), &e);
    assert_true(sent >= 1);
    assert_true(h.requests >= 1);
    assert_non_null(strstr(h.got, "X-Ruralink-Signature: sha256="));
    /* verify the signature over the body */
    char *body = strstr(h.got, "\r\n\r\n") + 4;
    char sig[72];
    tm_webhook_sign("0123456789abcdef-secret", body, strlen(body), sig);
    assert_non_null(strstr(h.got, sig));
    assert_non_null(strstr(body, "\"event\":\"alert."));
    /* nothing due again before the backoff; then delivered (200) */
    h.status = 200;
    int before = h.requests;
    assert_int_equal(tm_webhook_run_due(f->t, time_now_ms() - 1000, &e), 0);
    assert_int_equal(h.requests, before);
    sent = tm_webhook_run_due(f->t, time_now_ms() + 60000, &e);
    assert_true(sent >= 1);
    /* after success nothing is pending */
    assert_int_equal(tm_webhook_run_due(f->t, time_now_ms() + 3600000, &e), 0);
    h.status = 0; /* the next connection ends the thread */
    hook_stop(&h);

    /* cold-chain report over the in-order series */
    struct tm_report rep;
    assert_int_equal(tm_cold_chain_report(f->t, C1, sid2, NULL, T0, T0 + 4 * HOUR, &rep, &e), 0);
    assert_int_equal(rep.readings, 14);
    assert_int_equal(rep.excursions, 1);
    assert_true(rep.max_c == 9 && rep.min_c == 1);
    assert_int_equal(rep.out_of_range_ms, 90 * MIN);
    assert_true(rep.mkt_c > rep.min_c && rep.mkt_c < rep.max_c);
    assert_true(rep.shelf.remaining_ref_h < rep.profile->ref_shelf_life_h);
    assert_int_equal(tm_cold_chain_report(f->t, C1, sid2, "nope", T0, T0 + HOUR, &rep, &e),
                     ERR_INVAL);
    (void)total_exc;
}

static void test_memtable_flush_replay(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    /* a handle that never flushes on its own */
    telemetry_free(f->t);
    struct telemetry_config tc = {.flush_rows = 1000000000, .flush_interval_ms = 1000000000};
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 1000; i++)
        strbuf_addf(&sb, "cold,store=F temp=%d %lld\n", i % 10, T0 + i * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    int64_t sid = series_id(f, C1, "cold,store=F temp");
    /* visible from memory before any flush */
    assert_int_equal(count_raw(f, C1, sid), 1000);
    /* overwrite one reading: memory wins over memory (arrival order) */
    ingest_lp(f, C1, NULL, "cold,store=F temp=99 1700000000000\n", NULL);
    /* a second handle on the same store replays the ingest log (what a
    ** restart after a crash does) */
    struct telemetry *t2;
    assert_int_equal(telemetry_new(&t2, f->st, &tc, &e), 0);
    int64_t *ts;
    double *v;
    size_t n;
    assert_int_equal(tm_query_raw(t2, C1, sid, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, 1000);
    assert_true(v[0] == 99);
    free(ts);
    free(v);
    /* flush: now in tm_readings; both handles still answer the same */
    assert_int_equal(tm_flush(f->t, &e), 0);
    struct tm_bucket *b1, *b2;
    size_t n1, n2;
    assert_int_equal(tm_query(f->t, C1, sid, T0, T0 + 1000 * MIN, HOUR, &b1, &n1, &e), 0);
    assert_int_equal(tm_query(t2, C1, sid, T0, T0 + 1000 * MIN, HOUR, &b2, &n2, &e), 0);
    assert_int_equal(n1, n2);
    int64_t total = 0;
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(b1[i].count, b2[i].count);
        assert_true(b1[i].max == b2[i].max && b1[i].min == b2[i].min);
        total += b1[i].count;
    }
    assert_int_equal(total, 1000);
    assert_true(b1[0].max == 99);
    free(b1);
    free(b2);
    telemetry_free(t2);
    /* the log is empty after the flush: a new handle has nothing to replay
    ** and still sees everything from the table */
    assert_int_equal(telemetry_new(&t2, f->st, &tc, &e), 0);
    assert_int_equal(tm_query_raw(t2, C1, sid, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, 1000);
    assert_true(v[0] == 99);
    free(ts);
    free(v);
    telemetry_free(t2);
}

/* Series keys: a line whose text is already canonical uses it as the key
** (no copy); unsorted tags, '=' in a tag value, extra spaces and the second
** field of a line build it. Every form must land in the same series. */
static void test_series_key_forms(void **state)
{
    struct fx *f = *state;
    size_t bad = 0;
    struct tm_ingest_result r = ingest_lp(f, C1, NULL,
                                          "m,a=1,b=2 f=1 1700000000000\n"
                                          "m,b=2,a=1 f=2 1700000060000\n"
                                          "m,a=1,b=2  f=3 1700000120000\n"
                                          "m,a=1,b=2 g=9,f=4 1700000180000\n"
                                          "m,a=x=y f=5 1700000000000\n"
                                          "m,a=x\\=y f=6 1700000060000\n"
                                          "m\\ n,a=1 f=7 1700000000000\n",
                                          &bad);
    assert_int_equal(bad, 0);
    assert_int_equal(r.written, 8);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "m,a=1,b=2 f")), 4);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "m,a=1,b=2 g")), 1);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "m,a=x\\=y f")), 2);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "m\\ n,a=1 f")), 1);
    /* a backslash ending a name is doubled in the key, so measurement
    ** "coll\" with tag t=a and measurement "coll,t=a" stay two series; a
    ** backslash before an ordinary character stays single */
    r = ingest_lp(f, C1, NULL,
                  "coll\\\\,t=a f=1 1700000000000\n"
                  "coll\\,t=a f=2 1700000001000\n"
                  "win,path=C:\\dir f=3 1700000000000\n"
                  "tv,t=a\\\\ f=4 1700000000000\n",
                  &bad);
    assert_int_equal(bad, 0);
    assert_int_equal(r.series_new, 4);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "coll\\\\,t=a f")), 1);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "coll\\,t=a f")), 1);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "win,path=C:\\dir f")), 1);
    assert_int_equal(count_raw(f, C1, series_id(f, C1, "tv,t=a\\\\ f")), 1);
    struct tm_series *list;
    size_t n;
    struct err e;
    assert_int_equal(tm_series_list(f->t, C1, "coll\\", &list, &n, &e), 0);
    assert_int_equal(n, 1);
    free(list);
    /* the same texts in another county are other series */
    ingest_lp(f, C2, NULL, "m,a=1,b=2 f=1 1700000000000\n", NULL);
    assert_true(series_id(f, C2, "m,a=1,b=2 f") != series_id(f, C1, "m,a=1,b=2 f"));
}

struct log_row {
    int64_t sid, ts;
    double v;
};

static int put_old_log_row(struct store_conn *c, void *arg, struct err *e)
{
    const struct log_row *x = arg;
    unsigned char blob[24];
    memcpy(blob, &x->sid, 8);
    memcpy(blob + 8, &x->ts, 8);
    memcpy(blob + 16, &x->v, 8);
    struct store_stmt *st;
    int rc = store_prepare(c, "INSERT INTO tm_ingest_log (created_ms, n, rows) VALUES (?, 1, ?)",
                           &st, e);
    if (rc)
        return rc;
    store_bind_i64(st, 1, x->ts);
    store_bind_blob(st, 2, blob, sizeof blob);
    rc = store_step(st, e);
    return rc < 0 ? rc : 0;
}

/* The ingest log keeps every value exactly (two-decimal values are packed,
** others stored raw) and still replays rows of the older 24-byte form. */
static void test_ingest_log_exact(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    telemetry_free(f->t);
    struct telemetry_config tc = {.flush_rows = 1000000000, .flush_interval_ms = 1000000000};
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    static const char *const vals[] = {"4.23",
                                       "-4.23",
                                       "-0.0",
                                       "1.005",
                                       "1e300",
                                       "0.1",
                                       "-17",
                                       "1e-300",
                                       "12345678901234.57",
                                       "99999999999999999999",
                                       "3.14159265358979"};
    size_t nv = sizeof vals / sizeof vals[0];
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < nv; i++)
        strbuf_addf(&sb, "v,s=1 x=%s %lld\nv,s=2 x=%s %lld\n", vals[i], T0 + (long long)i * MIN,
                    vals[nv - 1 - i], T0 + (long long)i * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    int64_t s1 = series_id(f, C1, "v,s=1 x"), s2 = series_id(f, C1, "v,s=2 x");
    /* a reading in the older log form, as a previous version wrote it */
    struct log_row old = {s1, T0 + 100 * MIN, 2.5};
    assert_int_equal(store_write(f->st, put_old_log_row, &old, &e), 0);
    /* a second handle replays the log (what a restart after a crash does) */
    struct telemetry *t2;
    assert_int_equal(telemetry_new(&t2, f->st, &tc, &e), 0);
    int64_t *ts;
    double *v;
    size_t n;
    assert_int_equal(tm_query_raw(t2, C1, s1, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, nv + 1);
    for (size_t i = 0; i < nv; i++) {
        double want = strtod(vals[i], NULL);
        assert_memory_equal(&v[i], &want, sizeof want); /* bit for bit (-0.0 too) */
    }
    assert_true(v[nv] == 2.5 && ts[nv] == T0 + 100 * MIN);
    free(ts);
    free(v);
    assert_int_equal(tm_query_raw(t2, C1, s2, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, nv);
    for (size_t i = 0; i < nv; i++) {
        double want = strtod(vals[nv - 1 - i], NULL);
        assert_memory_equal(&v[i], &want, sizeof want);
    }
    free(ts);
    free(v);
    telemetry_free(t2);
}

/* Many small requests (one reading each, series spread thin over them):
** the flush's merge of memtable blocks gathers every series in full, the
** last of equal times winning, whichever way it finds the next series. */
static void test_flush_many_small_blocks(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    telemetry_free(f->t);
    struct telemetry_config tc = {.flush_rows = 1000000000, .flush_interval_ms = 1000000000};
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    char line[128];
    enum { NS = 250, PER = 4 };
    for (int k = PER - 1; k >= 0; k--) /* newest first: out of time order */
        for (int i = 0; i < NS; i++) {
            snprintf(line, sizeof line, "cold,s=%03d temp=%d %lld\n", i, i * 10 + k,
                     T0 + (long long)k * MIN);
            ingest_lp(f, C1, NULL, line, NULL);
        }
    ingest_lp(f, C1, NULL, "cold,s=007 temp=-1 1700000000000\n", NULL); /* overwrite */
    assert_int_equal(tm_flush(f->t, &e), 0);
    for (int i = 0; i < NS; i++) {
        snprintf(line, sizeof line, "cold,s=%03d temp", i);
        int64_t *ts;
        double *v;
        size_t n;
        assert_int_equal(
            tm_query_raw(f->t, C1, series_id(f, C1, line), 0, INT64_MAX / 2, 0, &ts, &v, &n, &e),
            0);
        assert_int_equal(n, PER);
        for (int k = 0; k < PER; k++) {
            assert_int_equal(ts[k], T0 + (long long)k * MIN);
            assert_true(v[k] == (i == 7 && k == 0 ? -1 : i * 10 + k));
        }
        free(ts);
        free(v);
    }
}

/* A series whose readings are all still in memory lists its span: a new
** sensor is not shown as "no data" until the next flush. */
static void test_series_list_span_before_flush(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    telemetry_free(f->t);
    struct telemetry_config tc = {.flush_rows = 1000000000, .flush_interval_ms = 1000000000};
    assert_int_equal(telemetry_new(&f->t, f->st, &tc, &e), 0);
    ingest_lp(f, C1, NULL,
              "soil,plot=P1 moist=0.3 1700000060000\n"
              "soil,plot=P1 moist=0.31 1700000000000\n",
              NULL);
    ingest_lp(f, C1, NULL, "soil,plot=P1 moist=0.32 1700000120000\n", NULL);
    struct tm_series *list;
    size_t n;
    assert_int_equal(tm_series_list(f->t, C1, "soil", &list, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].first_ms, 1700000000000);
    assert_int_equal(list[0].last_ms, 1700000120000);
    free(list);
    /* after the flush the chunks give the same span */
    assert_int_equal(tm_flush(f->t, &e), 0);
    assert_int_equal(tm_series_list(f->t, C1, "soil", &list, &n, &e), 0);
    assert_int_equal(list[0].first_ms, 1700000000000);
    assert_int_equal(list[0].last_ms, 1700000120000);
    free(list);
}

static void test_compaction(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t day = (T0 / (24 * HOUR)) * 24 * HOUR;
    /* six flushes of the same series-day: six chunks, one overwritten value */
    for (int k = 0; k < 6; k++) {
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i < 10; i++)
            strbuf_addf(&sb, "cold,store=C temp=%d.5 %lld\n", k,
                        (long long)(day + (k * 10 + i) * MIN));
        if (k == 5)
            strbuf_addf(&sb, "cold,store=C temp=77.25 %lld\n",
                        (long long)day); /* replaces k=0's first */
        ingest_lp(f, C1, NULL, sb.buf, NULL);
        strbuf_release(&sb);
        assert_int_equal(tm_flush(f->t, &e), 0);
    }
    int64_t sid = series_id(f, C1, "cold,store=C temp");
    struct tm_bucket *b;
    size_t n;
    assert_int_equal(tm_query(f->t, C1, sid, day, day + HOUR, 10 * MIN, &b, &n, &e), 0);
    assert_int_equal(n, 6);
    assert_true(b[0].max == 77.25);
    free(b);
    int64_t deleted;
    assert_int_equal(tm_maintain(f->t, day + 2 * HOUR, &deleted, &e), 0);
    struct tm_series s;
    assert_int_equal(tm_series_get(f->t, C1, sid, &s, &e), 0);
    assert_int_equal(s.count, 60);
    assert_int_equal(tm_query(f->t, C1, sid, day, day + HOUR, 10 * MIN, &b, &n, &e), 0);
    assert_int_equal(n, 6);
    assert_true(b[0].max == 77.25 && b[0].count == 10);
    assert_true(b[5].min == 5.5 && b[5].count == 10);
    free(b);
}

/* One reading from a device whose clock runs a year ahead used to be stored
** and move the detector's clock past every real reading, silencing the
** series' alerts. Such readings are refused: per line for line protocol
** (partial write), the whole batch for JSON. */
static void test_future_readings_refused(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t now = time_now_ms();
    char body[512];
    snprintf(body, sizeof body, "fut,v=F1 t=4 %lld\n", (long long)(now - 2 * HOUR));
    ingest_lp(f, C1, NULL, body, NULL);
    int64_t sid = series_id(f, C1, "fut,v=F1 t");
    struct tm_monitor m = {.series_id = sid, .rule = {0, 8, 0, 0, 0}, .severity = 2};
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &m, &e), 0);
    size_t bad;
    snprintf(body, sizeof body, "fut,v=F1 t=4 %lld\nfut,v=F1 t=5 %lld\n",
             (long long)(now + 365 * 24 * HOUR), (long long)(now - 90 * MIN));
    struct tm_ingest_result r = ingest_lp(f, C1, NULL, body, &bad);
    assert_int_equal(bad, 1);
    assert_int_equal(r.written, 1);
    /* a real excursion afterwards is still seen */
    snprintf(body, sizeof body, "fut,v=F1 t=12 %lld\n", (long long)(now - 60 * MIN));
    r = ingest_lp(f, C1, NULL, body, NULL);
    assert_int_equal(r.excursions, 1);
    assert_int_equal(count_raw(f, C1, sid), 3);
    /* JSON: one reading too far ahead refuses the batch */
    struct arena a;
    arena_init(&a, 4096);
    snprintf(body, sizeof body,
             "[{\"measurement\":\"fut\",\"tags\":{\"v\":\"F1\"},\"field\":\"t\","
             "\"value\":3,\"ts_ms\":%lld},"
             "{\"measurement\":\"fut\",\"tags\":{\"v\":\"F1\"},\"field\":\"t\","
             "\"value\":3,\"ts_ms\":%lld}]",
             (long long)(now - 30 * MIN), (long long)(now + 2 * HOUR));
    assert_int_equal(tm_ingest_json(f->t, C1, 0, NULL, body, strlen(body), &a, &r, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "clock"));
    assert_int_equal(count_raw(f, C1, sid), 3);
    /* within the hour is fine (clocks drift a little) */
    snprintf(body, sizeof body, "fut,v=F1 t=5 %lld\n", (long long)(now + 30 * MIN));
    ingest_lp(f, C1, NULL, body, &bad);
    assert_int_equal(bad, 0);
    assert_int_equal(count_raw(f, C1, sid), 4);
    arena_release(&a);
}

/* Raw queries are capped; the answer says where the rest starts, and asking
** from there pages through the range without gap or repeat. */
static void test_query_pages(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 25; i++)
        strbuf_addf(&sb, "pg v=%d %lld\n", i, T0 + i * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    int64_t sid = series_id(f, C1, "pg v");
    struct tm_bucket *b;
    size_t n, seen = 0;
    int64_t from = T0, next;
    int pages = 0;
    do {
        assert_int_equal(tm_query_page(f->t, C1, sid, from, T0 + HOUR, 10, &b, &n, &next, &e), 0);
        for (size_t i = 0; i < n; i++)
            assert_true(b[i].mean == (double)(seen + i));
        seen += n;
        free(b);
        pages++;
        from = next;
    } while (next >= 0);
    assert_int_equal(seen, 25);
    assert_int_equal(pages, 3);
    /* exactly full: no next page */
    assert_int_equal(tm_query_page(f->t, C1, sid, T0, T0 + HOUR, 25, &b, &n, &next, &e), 0);
    assert_int_equal(n, 25);
    assert_int_equal(next, -1);
    free(b);
    assert_int_equal(tm_query_page(f->t, C1, sid, T0, T0 + HOUR, 0, &b, &n, &next, &e), ERR_INVAL);
}

/* Time inside the hysteresis margin (1.8 C with a 0..2 C band and 0.5 C
** margin) keeps an excursion going but is not out of range: neither the
** live cumulative alert nor the report's out_of_range counts it, and the
** two agree. */
static void test_cumulative_strict(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    ingest_lp(f, C1, NULL, "cold,vehicle=HY temp=1 1700000000000\n", NULL);
    int64_t sid = series_id(f, C1, "cold,vehicle=HY temp");
    /* leafy_greens: 0..2 C, hysteresis 0.5, 60 min excursion, 240 min cumulative */
    struct tm_monitor m = {.series_id = sid, .rule = {NAN, NAN, 0, 0, 0}, .severity = 3};
    snprintf(m.profile, sizeof m.profile, "leafy_greens");
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &m, &e), 0);
    /* every 10 min: 3 C from 10 to 130 min, 1.8 C (the margin) to 400,
    ** back to 1 C at 410: strictly out 10..140 = 130 min */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 1; i <= 41; i++)
        strbuf_addf(&sb, "cold,vehicle=HY temp=%g %lld\n",
                    i <= 13  ? 3
                    : i < 41 ? 1.8
                             : 1.0,
                    T0 + i * 10 * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    struct tm_report rep;
    assert_int_equal(tm_cold_chain_report(f->t, C1, sid, NULL, T0, T0 + 420 * MIN, &rep, &e), 0);
    assert_int_equal(rep.out_of_range_ms, 130 * MIN);
    struct tm_alert *al;
    size_t n, cum = 0;
    assert_int_equal(tm_alerts_list(f->t, C1, -1, &al, &n, &e), 0);
    for (size_t i = 0; i < n; i++)
        cum += al[i].series_id == sid && !strcmp(al[i].kind, "cumulative");
    free(al);
    assert_int_equal(cum, 0);
    /* 130 more minutes strictly out (420..540, held to 550): 260 >= 240, one
    ** cumulative alert, and the report says 260 */
    sb = (struct strbuf)STRBUF_INIT;
    for (int i = 42; i <= 55; i++)
        strbuf_addf(&sb, "cold,vehicle=HY temp=%g %lld\n", i <= 54 ? 3.0 : 1.0, T0 + i * 10 * MIN);
    ingest_lp(f, C1, NULL, sb.buf, NULL);
    strbuf_release(&sb);
    assert_int_equal(tm_cold_chain_report(f->t, C1, sid, NULL, T0, T0 + 560 * MIN, &rep, &e), 0);
    assert_int_equal(rep.out_of_range_ms, 260 * MIN);
    assert_int_equal(tm_alerts_list(f->t, C1, -1, &al, &n, &e), 0);
    for (size_t i = 0; i < n; i++)
        cum += al[i].series_id == sid && !strcmp(al[i].kind, "cumulative");
    free(al);
    assert_int_equal(cum, 1);
    /* a range ending inside the margin: its tail is not out of range */
    assert_int_equal(tm_cold_chain_report(f->t, C1, sid, NULL, T0, T0 + 300 * MIN, &rep, &e), 0);
    assert_int_equal(rep.out_of_range_ms, 130 * MIN);
}

/* Two readings of one series with the same time in one batch: the last one
** is stored, and the detector sees only that one (no alert for 20 C when
** 5 C is what was kept). */
static void test_batch_duplicates_collapsed(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    ingest_lp(f, C1, NULL, "dup,v=D1 t=4 1700000000000\n", NULL);
    int64_t sid = series_id(f, C1, "dup,v=D1 t");
    struct tm_monitor m = {.series_id = sid, .rule = {0, 8, 0, 0, 0}, .severity = 2};
    assert_int_equal(tm_monitor_set(f->t, C1, NULL, &m, &e), 0);
    struct arena a;
    arena_init(&a, 4096);
    const char *body = "[{\"measurement\":\"dup\",\"tags\":{\"v\":\"D1\"},\"field\":\"t\","
                       "\"value\":20,\"ts_ms\":1700000060000},"
                       "{\"measurement\":\"dup\",\"tags\":{\"v\":\"D1\"},\"field\":\"t\","
                       "\"value\":5,\"ts_ms\":1700000060000}]";
    struct tm_ingest_result r;
    assert_int_equal(tm_ingest_json(f->t, C1, 0, NULL, body, strlen(body), &a, &r, &e), 0);
    assert_int_equal(r.excursions, 0);
    assert_int_equal(r.written, 1);
    /* line protocol, out of order: the later line wins */
    r = ingest_lp(f, C1, NULL,
                  "dup,v=D1 t=6 1700000180000\ndup,v=D1 t=30 1700000120000\n"
                  "dup,v=D1 t=7 1700000120000\n",
                  NULL);
    assert_int_equal(r.excursions, 0);
    int64_t *ts;
    double *v;
    size_t n;
    assert_int_equal(tm_query_raw(f->t, C1, sid, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e), 0);
    assert_int_equal(n, 4);
    assert_true(v[1] == 5 && v[2] == 7 && v[3] == 6);
    free(ts);
    free(v);
    struct tm_alert *al;
    assert_int_equal(tm_alerts_list(f->t, C1, -1, &al, &n, &e), 0);
    assert_int_equal(n, 0);
    free(al);
    arena_release(&a);
}

/* A line whose series key is too long to store is one bad line (partial
** write), not a failed batch. */
static void test_long_key_line_rejected(void **state)
{
    struct fx *f = *state;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "lk,a=1 v=1 1700000000000\nlk,a=");
    for (int i = 0; i < 600; i++)
        strbuf_addch(&sb, 'x');
    strbuf_addstr(&sb, " v=2,w=3 1700000000000\nlk,b=2,a=");
    for (int i = 0; i < 300; i++)
        strbuf_addstr(&sb, "\\ "); /* escaped: doubles in the key, not plain */
    strbuf_addstr(&sb, " v=2 1700000000000\nlk,a=3 v=3 1700000000000\n");
    struct arena a;
    arena_init(&a, 65536);
    struct tm_lp_batch b;
    struct tm_ingest_result r;
    struct err e = {0};
    assert_int_equal(tm_ingest_lp(f->t, C1, 0, NULL, sb.buf, sb.len, TM_PREC_MS, &a, &b, &r, &e),
                     0);
    assert_int_equal(r.written, 2);
    assert_int_equal(r.series_new, 2);
    assert_int_equal(b.npoints, 2);
    assert_int_equal(b.bad_lines, 2);
    assert_int_equal(b.errors[0].line, 2);
    assert_int_equal(b.errors[1].line, 3);
    assert_non_null(strstr(b.errors[0].msg, "series key"));
    arena_release(&a);
    strbuf_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ingest_and_query, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_replay, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_json_ingest, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollups_retention, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollups_minutes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_monitor_alerts_webhook, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_memtable_flush_replay, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_series_list_span_before_flush, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_compaction, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_series_key_forms, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ingest_log_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flush_many_small_blocks, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_future_readings_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_query_pages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cumulative_strict, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch_duplicates_collapsed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_long_key_line_rejected, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
