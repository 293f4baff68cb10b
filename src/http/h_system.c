/*
** h_system.c: the server's own routes: GET /api/v1/health (liveness plus
** what this instance is) and GET /metrics (Prometheus text), both public and
** touching no table so a load balancer or scraper can call them often; and
** POST /api/v1/system/ping-write, a durability probe: an authenticated write
** of one audit record through the group-commit writer, answered only once
** it is on disk (used by bench/http and the API tests).
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <string.h>

static void h_health(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)req;
    int64_t now = time_now_ms();
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "version", json_object_new_string(RL_VERSION));
    json_object_object_add(o, "store",
                           json_object_new_string(app->store ? store_backend(app->store) : "none"));
    json_object_object_add(o, "demo", json_object_new_boolean(app->cfg.demo));
    json_object_object_add(o, "allocator", json_object_new_string(mem_allocator()));
    json_object_object_add(o, "tls", json_object_new_boolean(app->cfg.tls_cert != NULL));
    json_object_object_add(o, "time", rjson_new_time(now));
    json_object_object_add(o, "started", rjson_new_time(app->started_ms));
    json_object_object_add(o, "uptime_s", json_object_new_int64((now - app->started_ms) / 1000));
    http_resp_json(w, 200, o);
}

static void h_metrics(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    http__metrics_render(http__server_metrics(req->conn->srv), app->store, &sb);
    http__metrics_render_cache(http__server_cache(req->conn->srv), &sb);
    http_resp_bytes(w, 200, "text/plain; version=0.0.4; charset=utf-8", sb.buf ? sb.buf : "",
                    sb.len);
    strbuf_release(&sb);
}

#define PING_NOTE_MAX 200 /* bytes */

struct ping_arg {
    const struct auth_principal *who;
    const char *note;
};

static int ping_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct ping_arg *p = arg;
    if (!p->note)
        return store_audit(c, p->who->county_id, p->who->user_id, "system.ping_write", "system", 0,
                           NULL, e);
    /* {"note":"..."}: each byte of the note escapes to at most 6 ("\u0001"). */
    struct strbuf sb;
    strbuf_init(&sb, 16 + 6 * (size_t)PING_NOTE_MAX);
    int rc = strbuf_addstr(&sb, "{\"note\":");
    if (rc == 0)
        rc = strbuf_add_json_str(&sb, p->note, strlen(p->note));
    if (rc == 0)
        rc = strbuf_addch(&sb, '}');
    if (rc == 0)
        rc = store_audit(c, p->who->county_id, p->who->user_id, "system.ping_write", "system", 0,
                         strbuf_str(&sb), e);
    else
        rc = err_set(e, ERR_INTERNAL, "the note's audit detail does not fit");
    strbuf_release(&sb);
    return rc;
}

static void ping_done(struct app *app, struct http_req *req, struct http_resp *w, void *arg, int rc,
                      const struct err *e)
{
    (void)app;
    (void)req;
    (void)arg;
    if (rc) {
        http_resp_err(w, e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "committed", json_object_new_boolean(1));
    json_object_object_add(o, "time", rjson_new_time(time_now_ms()));
    http_resp_json(w, 201, o);
}

/* Runs on an I/O thread (HTTP_ASYNC): parse, then queue the write and
** return; ping_done answers once the group commit is durable. */
static void h_ping_write(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    struct err e;
    err_clear(&e);
    struct json_object *body = NULL;
    struct ping_arg *p = arena_calloc(req->arena, sizeof *p);
    p->who = &req->who;
    if (req->body_len > 0) {
        if (http_body_json(req, &body, &e) != 0) {
            http_resp_err(w, &e);
            return;
        }
        static const char *const allowed[] = {"note", NULL};
        const char *note = NULL;
        int rc = rjson_only_keys(body, allowed, &e);
        if (rc == 0) {
            /* absent or null: no note */
            rc = rjson_get_str(body, "note", false, &note, &e);
            if (rc == ERR_NOTFOUND)
                rc = 0;
        }
        if (rc != 0) {
            json_object_put(body);
            http_resp_err(w, &e);
            return;
        }
        if (note && strlen(note) > PING_NOTE_MAX) {
            json_object_put(body);
            http_resp_problem(w, 400, NULL, "field 'note' is too long (at most %d bytes)",
                              PING_NOTE_MAX);
            return;
        }
        p->note = note ? arena_strdup(req->arena, note) : NULL;
        json_object_put(body);
    }
    /* one audit row and no check that could refuse: no savepoint needed */
    http_write_async(req, w, ping_fn, p, STORE_CHECKS_FIRST, ping_done);
}

struct count_arg {
    int64_t county_id;
    int64_t count;
};

static int count_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct count_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT COUNT(*) FROM audit_log WHERE county_id = ? AND "
                           "action = 'system.ping_write'",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    a->count = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    return 0;
}

/* How many probe writes the caller's county has committed (cacheable: the
** API tests use it to check that a write invalidates cached answers). */
static void h_ping_count(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    struct count_arg a = {req->who.county_id, 0};
    if (store_read(app->store, count_fn, &a, &e) != 0) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "county_id", json_object_new_int64(a.county_id));
    json_object_object_add(o, "count", json_object_new_int64(a.count));
    http_resp_json(w, 200, o);
}

const struct http_route http_routes_system[] = {
    {"GET", "/api/v1/health", h_health, 0, HTTP_PUBLIC},
    {"GET", "/metrics", h_metrics, 0, HTTP_PUBLIC},
    {"POST", "/api/v1/system/ping-write", h_ping_write, AUTH_ANY_USER,
     HTTP_IDEMPOTENT | HTTP_ASYNC},
    {"GET", "/api/v1/system/ping-write", h_ping_count, AUTH_ANY_USER, HTTP_CACHEABLE},
};
const size_t http_routes_system_len = RL_ARRAY_LEN(http_routes_system);
