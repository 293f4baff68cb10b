/* API tests for telemetry over the real server: line protocol on
** /api/v1/telemetry/write and /write (204, partial writes with line
** numbers), InfluxDB clients' credentials (Token, Basic, u/p) and
** /api/v2/write, Idempotency-Key replays, JSON batches, roles and county scope,
** queries, monitors and alerts, the calculators, and durability: SIGKILL the
** server while a client ingests, restart, every acknowledged reading is
** there, no batch half-stored, nothing duplicated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "rl_server.h"

#define PW "telemetry-test-pw"

static int64_t jint(struct json_object *o, const char *k)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v))
        return -1;
    return json_object_get_int64(v);
}

static void login(struct ts_server *s, const char *name, char *tok)
{
    if (ts_login(s, name, PW, tok, 128) != 0)
        fail_msg("login %s failed", name);
}

static void device_token(struct ts_server *s, const char *staff_tok, const char *name, char *tok)
{
    char body[128];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"kind\":\"sensor\"}", name);
    struct ts_resp r;
    assert_int_equal(ts_post_json(s, "POST", "/api/v1/devices", staff_tok, body, &r), 0);
    assert_int_equal(r.status, 201);
    struct json_object *t;
    assert_true(json_object_object_get_ex(r.json, "token", &t));
    snprintf(tok, 128, "%s", json_object_get_string(t));
    ts_resp_free(&r);
}

static long lp(struct ts_server *s, const char *path, const char *tok, const char *body,
               const char *idem, struct ts_resp *r)
{
    char h[200];
    const char *hdrs[2] = {NULL, NULL};
    if (idem) {
        snprintf(h, sizeof h, "Idempotency-Key: %s", idem);
        hdrs[0] = h;
    }
    if (ts_request(s, "POST", path, tok, "text/plain; charset=utf-8", body, strlen(body), hdrs, r))
        return -1;
    return r->status;
}

static int64_t find_series(struct ts_server *s, const char *tok, const char *key)
{
    struct ts_resp r;
    assert_int_equal(ts_get(s, "/api/v1/telemetry/series", tok, &r), 0);
    assert_int_equal(r.status, 200);
    struct json_object *arr;
    int64_t id = 0;
    assert_true(json_object_object_get_ex(r.json, "series", &arr));
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct json_object *o = json_object_array_get_idx(arr, i), *k;
        json_object_object_get_ex(o, "key", &k);
        if (!strcmp(json_object_get_string(k), key))
            id = jint(o, "id");
    }
    ts_resp_free(&r);
    return id;
}

static int64_t series_count(struct ts_server *s, const char *tok, int64_t id)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/telemetry/series/%lld", (long long)id);
    struct ts_resp r;
    assert_int_equal(ts_get(s, path, tok, &r), 0);
    assert_int_equal(r.status, 200);
    int64_t n = jint(r.json, "count");
    ts_resp_free(&r);
    return n;
}

static void test_ingest_and_query(void **state)
{
    (void)state;
    struct ts_server s;
    struct ts_opts o = {0};
    assert_int_equal(ts_start(&s, &o), 0);
    assert_int_equal(ts_add_user(&s, 1, "op1", "operator", PW), 0);
    assert_int_equal(ts_add_user(&s, 1, "buyer1", "buyer", PW), 0);
    assert_int_equal(ts_add_user(&s, 2, "op2", "operator", PW), 0);
    char op[128], buyer[128], op2[128], dev[128];
    login(&s, "op1", op);
    login(&s, "buyer1", buyer);
    login(&s, "op2", op2);
    device_token(&s, op, "truck-1", dev);

    struct ts_resp r;
    /* all good: 204 like InfluxDB */
    assert_int_equal(lp(&s, "/api/v1/telemetry/write?precision=ms", dev,
                        "cold,vehicle=V1 temp=4.5,rh=90 1700000000000\n"
                        "cold,vehicle=V1 temp=5.0,rh=91 1700000060000\n",
                        NULL, &r),
                     204);
    ts_resp_free(&r);
    /* partial write: good lines stored, bad ones named by line number */
    assert_int_equal(lp(&s, "/api/v1/telemetry/write?precision=ms", dev,
                        "cold,vehicle=V1 temp=5.5 1700000120000\n"
                        "cold,vehicle=V1 temp= 1700000180000\n"
                        "cold,vehicle=V1 temp=6.0 1700000240000\n"
                        "cold,vehicle=V1 temp=1 -3\n",
                        NULL, &r),
                     400);
    assert_non_null(r.json);
    assert_int_equal(jint(r.json, "written"), 2);
    assert_int_equal(jint(r.json, "lines_rejected"), 2);
    struct json_object *err;
    assert_true(json_object_object_get_ex(r.json, "error", &err));
    assert_non_null(strstr(json_object_get_string(err), "partial write"));
    assert_non_null(strstr(json_object_get_string(err), "line 2"));
    assert_non_null(strstr(json_object_get_string(err), "line 4"));
    ts_resp_free(&r);
    /* InfluxDB 1.x path, default precision ns */
    assert_int_equal(
        lp(&s, "/write?db=farm", dev, "soil,plot=P1 moisture=0.21 1700000000000000000\n", NULL, &r),
        204);
    ts_resp_free(&r);
    assert_int_equal(lp(&s, "/write?precision=h", dev, "soil,plot=P1 moisture=0.2 1\n", NULL, &r),
                     400);
    ts_resp_free(&r);

    int64_t v1 = find_series(&s, op, "cold,vehicle=V1 temp");
    assert_true(v1 > 0);
    assert_int_equal(series_count(&s, op, v1), 4);

    /* Idempotency-Key: replay stores nothing more */
    const char *batch =
        "cold,vehicle=V1 temp=7 1700000300000\ncold,vehicle=V1 temp=8 1700000360000\n";
    assert_int_equal(lp(&s, "/api/v1/telemetry/write?precision=ms", dev, batch, "b-1", &r), 204);
    ts_resp_free(&r);
    assert_int_equal(lp(&s, "/api/v1/telemetry/write?precision=ms", dev, batch, "b-1", &r), 204);
    char hv[32];
    assert_true(ts_resp_header(&r, "Idempotent-Replayed", hv, sizeof hv));
    ts_resp_free(&r);
    assert_int_equal(series_count(&s, op, v1), 6);

    /* JSON batch */
    assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/readings", dev,
                                  "{\"readings\":[{\"measurement\":\"cold\",\"tags\":{\"vehicle\":"
                                  "\"V1\"},\"field\":\"temp\",\"value\":3.5,\"ts\":"
                                  "\"2023-11-14T22:30:00Z\"}]}",
                                  &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "written"), 1);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/readings", dev,
                                  "{\"readings\":[{\"measurement\":\"cold\"}]}", &r),
                     0);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    assert_int_equal(series_count(&s, op, v1), 7);

    /* roles and scope */
    assert_int_equal(lp(&s, "/api/v1/telemetry/write", buyer, "m v=1\n", NULL, &r), 403);
    ts_resp_free(&r);
    assert_int_equal(ts_get(&s, "/api/v1/telemetry/series", dev, &r), 0);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    assert_int_equal(find_series(&s, op2, "cold,vehicle=V1 temp"), 0);
    char path[200];
    snprintf(path, sizeof path, "/api/v1/telemetry/series/%lld", (long long)v1);
    assert_int_equal(ts_get(&s, path, op2, &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);

    /* downsampled query */
    snprintf(path, sizeof path,
             "/api/v1/telemetry/series/%lld/readings?from=1700000000000&to=1700000400000&step=2m",
             (long long)v1);
    assert_int_equal(ts_get(&s, path, buyer, &r), 0);
    assert_int_equal(r.status, 200);
    struct json_object *pts;
    assert_true(json_object_object_get_ex(r.json, "points", &pts));
    assert_int_equal(json_object_array_length(pts), 4); /* buckets 0, 2, 4 and 6 min */
    assert_int_equal(jint(json_object_array_get_idx(pts, 0), "count"), 2);
    ts_resp_free(&r);
    /* no bucket of zero width, no zero points: 400, not raw readings */
    const char *zero[] = {"step=0s", "step=0", "points=0"};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        snprintf(path, sizeof path,
                 "/api/v1/telemetry/series/%lld/readings?from=1700000000000&to=1700000400000&%s",
                 (long long)v1, zero[i]);
        assert_int_equal(ts_get(&s, path, buyer, &r), 0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.content_type, "application/problem+json"));
        ts_resp_free(&r);
    }

    /* monitor + excursion alert + acknowledge */
    snprintf(path, sizeof path, "/api/v1/telemetry/series/%lld/monitor", (long long)v1);
    assert_int_equal(ts_post_json(&s, "PUT", path, op,
                                  "{\"low\":0,\"high\":8,\"min_duration_s\":600,\"severity\":4}",
                                  &r),
                     0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(lp(&s, "/api/v1/telemetry/write?precision=s", dev,
                        "cold,vehicle=V1 temp=12 1700001000\ncold,vehicle=V1 temp=13 1700001300\n"
                        "cold,vehicle=V1 temp=12 1700001700\ncold,vehicle=V1 temp=4 1700002000\n",
                        NULL, &r),
                     204);
    ts_resp_free(&r);
    assert_int_equal(ts_get(&s, "/api/v1/telemetry/alerts?state=open", buyer, &r), 0);
    struct json_object *alerts;
    assert_true(json_object_object_get_ex(r.json, "alerts", &alerts));
    assert_int_equal(json_object_array_length(alerts), 1);
    int64_t aid = jint(json_object_array_get_idx(alerts, 0), "id");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/telemetry/alerts/%lld/acknowledge", (long long)aid);
    assert_int_equal(ts_post_json(&s, "POST", path, buyer, "{}", &r), 0);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "POST", path, op, "{}", &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "POST", path, op, "{}", &r), 0);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);

    /* device binding: the truck's logger is on vehicle V1 */
    assert_int_equal(ts_get(&s, "/api/v1/devices", op, &r), 0);
    struct json_object *items;
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    int64_t dev_id = jint(json_object_array_get_idx(items, 0), "id");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/telemetry/devices/%lld/binding", (long long)dev_id);
    assert_int_equal(ts_post_json(&s, "PUT", path, op, "{\"kind\":\"vehicle\",\"ref\":\"V1\"}", &r),
                     0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(
        ts_post_json(&s, "PUT", path, op2, "{\"kind\":\"vehicle\",\"ref\":\"V1\"}", &r), 0);
    assert_int_equal(r.status, 404); /* another county's device */
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "PUT", path, op, "{\"kind\":\"boat\",\"ref\":\"V1\"}", &r),
                     0);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    assert_int_equal(ts_get(&s, "/api/v1/telemetry/devices", buyer, &r), 0);
    assert_non_null(strstr(r.body, "\"ref\":\"V1\""));
    ts_resp_free(&r);

    /* calculators */
    assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/water-class", buyer,
                                  "{\"do\":5.5,\"nh3n\":0.8,\"codmn\":3.5}", &r),
                     0);
    assert_int_equal(r.status, 200);
    struct json_object *cls;
    json_object_object_get_ex(r.json, "class", &cls);
    assert_string_equal(json_object_get_string(cls), "III");
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/aqi", buyer,
                                  "{\"pm25_24h\":80,\"pm10_24h\":120,\"no2_1h\":450}", &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "aqi"), 125);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/irrigation", buyer,
                                  "{\"weather\":{\"et0_mm\":5},\"soil\":{\"theta_fc\":0.3,"
                                  "\"theta_wp\":0.15,\"root_depth_m\":0.5,\"p\":0.5,\"kc\":1,"
                                  "\"efficiency\":0.8},\"dr_mm\":35}",
                                  &r),
                     0);
    assert_int_equal(r.status, 200);
    struct json_object *irr;
    json_object_object_get_ex(r.json, "irrigate", &irr);
    assert_true(json_object_get_boolean(irr));
    ts_resp_free(&r);
    assert_int_equal(ts_get(&s, "/api/v1/telemetry/profiles", buyer, &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(ts_stop(&s), 0);
}

/* ------------------------------------------------------ kill mid-ingest */

#define BATCH 200

struct writer {
    struct ts_server s; /* copy with its own curl handle */
    char tok[128];
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int acked; /* batches acknowledged (204), 0..acked-1 */
    bool stopped;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct strbuf sb = STRBUF_INIT;
    for (int b = 0; b < 100000; b++) {
        strbuf_reset(&sb);
        for (int i = 0; i < BATCH; i++)
            strbuf_addf(&sb, "cold,store=K%d temp=%d %lld\n", i % 4, b,
                        1700000000000LL + (int64_t)b * BATCH + i);
        struct ts_resp r;
        long st = lp(&w->s, "/api/v1/telemetry/write?precision=ms", w->tok, sb.buf, NULL, &r);
        ts_resp_free(&r);
        if (st != 204)
            break;
        pthread_mutex_lock(&w->mu);
        w->acked = b + 1;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->mu);
    }
    strbuf_release(&sb);
    pthread_mutex_lock(&w->mu);
    w->stopped = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Standard base64 (for the Basic header). */
static void b64(const char *in, char *out, size_t cap)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in), k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)in[i + 2];
        out[k++] = al[(v >> 18) & 63];
        out[k++] = al[(v >> 12) & 63];
        out[k++] = i + 1 < n ? al[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < n ? al[v & 63] : '=';
    }
    out[k] = '\0';
}

/* POST line protocol with a raw Authorization header (or none). */
static long lp_auth(struct ts_server *s, const char *path, const char *auth, const char *body)
{
    char h[400];
    const char *hdrs[2] = {NULL, NULL};
    if (auth) {
        snprintf(h, sizeof h, "Authorization: %s", auth);
        hdrs[0] = h;
    }
    struct ts_resp r;
    if (ts_request(s, "POST", path, NULL, "text/plain", body, strlen(body), hdrs, &r))
        return -1;
    long st = r.status;
    ts_resp_free(&r);
    return st;
}

/* Telegraf / InfluxDB clients' credentials on the three line-protocol doors:
** "Token <t>" (2.x), Basic with the device token as password, the 1.x u/p
** query parameters; wrong tokens are refused, and the other routes still
** take Bearer only. */
static void test_influx_auth(void **state)
{
    (void)state;
    struct ts_server s;
    struct ts_opts o = {0};
    assert_int_equal(ts_start(&s, &o), 0);
    assert_int_equal(ts_add_user(&s, 1, "op1", "operator", PW), 0);
    char op[128], dev[128], auth[400], path[400], up[300], enc[400];
    login(&s, "op1", op);
    device_token(&s, op, "gateway-1", dev);

    snprintf(auth, sizeof auth, "Token %s", dev);
    assert_int_equal(lp_auth(&s, "/write?db=farm&precision=ms", auth,
                             "cold,vehicle=V9 temp=4.1 1700000000000\n"),
                     204);
    assert_int_equal(lp_auth(&s, "/api/v2/write?org=county&bucket=farm&precision=ms", auth,
                             "cold,vehicle=V9 temp=4.2 1700000060000\n"),
                     204);
    snprintf(up, sizeof up, "telegraf:%s", dev);
    b64(up, enc, sizeof enc);
    snprintf(auth, sizeof auth, "Basic %s", enc);
    assert_int_equal(lp_auth(&s, "/api/v1/telemetry/write?precision=ms", auth,
                             "cold,vehicle=V9 temp=4.3 1700000120000\n"),
                     204);
    snprintf(path, sizeof path, "/write?db=farm&u=telegraf&p=%s&precision=ms", dev);
    assert_int_equal(lp_auth(&s, path, NULL, "cold,vehicle=V9 temp=4.4 1700000180000\n"), 204);

    /* refused: wrong token in each form, Basic without a password, nothing */
    assert_int_equal(lp_auth(&s, "/write?precision=ms", "Token not-a-token",
                             "cold,vehicle=V9 temp=9 1700000240000\n"),
                     401);
    b64("telegraf:wrong", enc, sizeof enc);
    snprintf(auth, sizeof auth, "Basic %s", enc);
    assert_int_equal(
        lp_auth(&s, "/write?precision=ms", auth, "cold,vehicle=V9 temp=9 1700000240000\n"), 401);
    b64("telegraf", enc, sizeof enc);
    snprintf(auth, sizeof auth, "Basic %s", enc);
    assert_int_equal(
        lp_auth(&s, "/write?precision=ms", auth, "cold,vehicle=V9 temp=9 1700000240000\n"), 401);
    assert_int_equal(lp_auth(&s, "/write?u=telegraf&p=wrong&precision=ms", NULL,
                             "cold,vehicle=V9 temp=9 1700000240000\n"),
                     401);
    assert_int_equal(
        lp_auth(&s, "/write?precision=ms", NULL, "cold,vehicle=V9 temp=9 1700000240000\n"), 401);
    /* other routes: Bearer only */
    snprintf(auth, sizeof auth, "Token %s", op);
    char h[400];
    snprintf(h, sizeof h, "Authorization: %s", auth);
    const char *hdrs[2] = {h, NULL};
    struct ts_resp r;
    assert_int_equal(
        ts_request(&s, "GET", "/api/v1/telemetry/series", NULL, NULL, NULL, 0, hdrs, &r), 0);
    assert_int_equal(r.status, 401);
    ts_resp_free(&r);

    /* the four accepted writes, nothing of the refused ones */
    int64_t id = find_series(&s, op, "cold,vehicle=V9 temp");
    assert_true(id > 0);
    assert_int_equal(series_count(&s, op, id), 4);
    assert_int_equal(ts_stop(&s), 0);
}

static void test_kill_mid_ingest(void **state)
{
    (void)state;
    struct ts_server s;
    struct ts_opts o = {0};
    assert_int_equal(ts_start(&s, &o), 0);
    assert_int_equal(ts_add_user(&s, 1, "op1", "operator", PW), 0);
    char op[128];
    login(&s, "op1", op);
    struct writer w = {.s = s};
    w.s.curl = NULL;
    device_token(&s, op, "logger", w.tok);
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cond, NULL);
    pthread_t th;
    pthread_create(&th, NULL, writer_main, &w);
    pthread_mutex_lock(&w.mu);
    while (w.acked < 20 && !w.stopped)
        pthread_cond_wait(&w.cond, &w.mu);
    pthread_mutex_unlock(&w.mu);
    ts_kill(&s); /* SIGKILL while the writer keeps posting */
    pthread_join(th, NULL);
    if (w.s.curl)
        curl_easy_cleanup(w.s.curl);
    int acked = w.acked;
    assert_true(acked >= 20);

    struct ts_server s2;
    struct ts_opts o2 = {.db = s.db};
    assert_int_equal(ts_start(&s2, &o2), 0);
    login(&s2, "op1", op);
    /* every acknowledged batch complete; any later batch complete or absent */
    int64_t total = 0;
    for (int k = 0; k < 4; k++) {
        char key[64];
        snprintf(key, sizeof key, "cold,store=K%d temp", k);
        int64_t id = find_series(&s2, op, key);
        assert_true(id > 0);
        total += series_count(&s2, op, id);
    }
    assert_true(total >= (int64_t)acked * BATCH);
    assert_int_equal(total % BATCH, 0);                 /* no batch half-stored */
    assert_true(total <= (int64_t)(acked + 1) * BATCH); /* at most the one in flight */
    assert_int_equal(ts_stop(&s2), 0);
    ts_cleanup(&s);
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cond);
}

/* ----------------------------------------------------- audit findings */

/* GET a series' readings and return the parsed answer (caller frees r). */
static struct json_object *readings(struct ts_server *s, const char *tok, int64_t sid,
                                    const char *query, struct ts_resp *r)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/telemetry/series/%lld/readings?%s", (long long)sid, query);
    assert_int_equal(ts_get(s, path, tok, r), 0);
    assert_int_equal(r->status, 200);
    struct json_object *pts;
    assert_true(json_object_object_get_ex(r->json, "points", &pts));
    return pts;
}

static void test_audit_fixes(void **state)
{
    (void)state;
    struct ts_server s;
    struct ts_opts o = {0};
    assert_int_equal(ts_start(&s, &o), 0);
    assert_int_equal(ts_add_user(&s, 1, "op1", "operator", PW), 0);
    char op[128], dev[128];
    login(&s, "op1", op);
    device_token(&s, op, "logger-1", dev);
    struct ts_resp r;
    const char *w = "/api/v1/telemetry/write?precision=ms";

    /* raw readings are exact: what was written reads back bit for bit */
    assert_int_equal(lp(&s, w, dev,
                        "ex v=0.30000000000000004 1700000000000\n"
                        "ex v=12345678901234567 1700000001000\n"
                        "ex v=21.47 1700000002000\n",
                        NULL, &r),
                     204);
    ts_resp_free(&r);
    int64_t ex = find_series(&s, op, "ex v");
    struct json_object *pts = readings(&s, op, ex, "from=1700000000000&to=1700000003000", &r);
    assert_int_equal(json_object_array_length(pts), 3);
    assert_non_null(strstr(r.body, "\"value\":0.30000000000000004"));
    assert_non_null(strstr(r.body, "\"value\":12345678901234568")); /* the double nearest */
    assert_non_null(strstr(r.body, "\"value\":21.47")); /* shortest, not 21.469999999999999 */
    ts_resp_free(&r);

    /* raw readings past the limit: next_from says where the rest starts */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 5; i++)
        strbuf_addf(&sb, "pg v=%d %lld\n", i, 1700000000000LL + i * 1000);
    assert_int_equal(lp(&s, w, dev, sb.buf, NULL, &r), 204);
    ts_resp_free(&r);
    strbuf_release(&sb);
    int64_t pg = find_series(&s, op, "pg v");
    pts = readings(&s, op, pg, "from=1700000000000&to=1700000010000&limit=3", &r);
    assert_int_equal(json_object_array_length(pts), 3);
    struct json_object *nf;
    assert_true(json_object_object_get_ex(r.json, "next_from", &nf));
    char q[128];
    snprintf(q, sizeof q, "from=%s&to=1700000010000&limit=3", json_object_get_string(nf));
    ts_resp_free(&r);
    pts = readings(&s, op, pg, q, &r);
    assert_int_equal(json_object_array_length(pts), 2);
    assert_int_equal(
        json_object_get_double(json_object_object_get(json_object_array_get_idx(pts, 0), "value")),
        3);
    assert_false(json_object_object_get_ex(r.json, "next_from", NULL));
    ts_resp_free(&r);

    /* an empty ?precision= is the door's default (ms here), not ns */
    assert_int_equal(
        lp(&s, "/api/v1/telemetry/write?precision=", dev, "pe v=1 1700000000123\n", NULL, &r), 204);
    ts_resp_free(&r);
    pts = readings(&s, op, find_series(&s, op, "pe v"), "from=1700000000000&to=1700000001000", &r);
    assert_int_equal(json_object_array_length(pts), 1);
    ts_resp_free(&r);

    /* monitor severity is 1..4: anything else is 400, not a quiet 3 */
    snprintf(q, sizeof q, "/api/v1/telemetry/series/%lld/monitor", (long long)pg);
    const char *sev[] = {"9", "0", "-1", "2.5", "\"high\""};
    for (size_t i = 0; i < sizeof sev / sizeof sev[0]; i++) {
        char mb[96];
        snprintf(mb, sizeof mb, "{\"low\":0,\"high\":8,\"severity\":%s}", sev[i]);
        assert_int_equal(ts_post_json(&s, "PUT", q, op, mb, &r), 0);
        if (r.status != 400)
            fail_msg("severity %s: %ld", sev[i], r.status);
        ts_resp_free(&r);
    }
    assert_int_equal(ts_post_json(&s, "PUT", q, op, "{\"low\":0,\"high\":8,\"severity\":4}", &r),
                     0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);

    /* irrigation: theta 25 is 25 %, as from a series; impossible inputs 400 */
    const char *soil = "\"soil\":{\"theta_fc\":0.3,\"theta_wp\":0.15,\"root_depth_m\":0.6,"
                       "\"p\":0.5,\"kc\":1.1,\"efficiency\":0.8}";
    char body[600], dep[2][64];
    const char *thetas[] = {"0.25", "25"};
    for (int i = 0; i < 2; i++) {
        snprintf(body, sizeof body, "{\"weather\":{\"et0_mm\":5},%s,\"theta\":%s}", soil,
                 thetas[i]);
        assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/irrigation", op, body, &r), 0);
        assert_int_equal(r.status, 200);
        struct json_object *d;
        assert_true(json_object_object_get_ex(r.json, "depletion_mm", &d));
        snprintf(dep[i], sizeof dep[i], "%s", json_object_to_json_string(d));
        ts_resp_free(&r);
    }
    assert_string_equal(dep[0], dep[1]);
    const char *brussels = "\"tmin_c\":12.3,\"tmax_c\":21.5,\"rh_min_pct\":63,\"rh_max_pct\":84,"
                           "\"wind_ms\":2.78,\"sunshine_h\":9.25,\"lat_deg\":50.8,"
                           "\"elev_m\":100,\"doy\":187";
    const char *bad[] = {
        "{\"weather\":{\"et0_mm\":-5},%s,\"dr_mm\":10}",
        "{\"weather\":{\"et0_mm\":5},%s,\"theta\":250}",
        "{\"weather\":{\"et0_mm\":5},%s,\"theta\":-0.1}",
        "{\"weather\":{\"et0_mm\":5},%s,\"dr_mm\":-3}",
        "{\"weather\":{\"et0_mm\":5},%s,\"dr_mm\":10,\"rain_mm\":-10}",
        "{\"weather\":{%s,\"wind_height_m\":0.05},%s,\"dr_mm\":10}",
        "{\"weather\":{%s,\"wind_height_m\":0},%s,\"dr_mm\":10}",
        "{\"weather\":{%s,\"rh_max_pct\":200},%s,\"dr_mm\":10}",
        "{\"weather\":{%s,\"sunshine_h\":30},%s,\"dr_mm\":10}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (i < 5)
            snprintf(body, sizeof body, bad[i], soil);
        else
            snprintf(body, sizeof body, bad[i], brussels, soil);
        assert_int_equal(ts_post_json(&s, "POST", "/api/v1/telemetry/irrigation", op, body, &r), 0);
        if (r.status != 400)
            fail_msg("irrigation body %zu: %ld %s", i, r.status, r.body);
        ts_resp_free(&r);
    }

    assert_int_equal(ts_stop(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_and_query),
        cmocka_unit_test(test_influx_auth),
        cmocka_unit_test(test_kill_mid_ingest),
        cmocka_unit_test(test_audit_fixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
