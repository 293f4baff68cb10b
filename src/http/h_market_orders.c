/*
** h_market_orders.c: HTTP routes for orders (placing with an
** Idempotency-Key answered inside the order's own write, status changes,
** payment) and live sessions (sessions, offers, pre-heat posts, report).
*/
#include "http/h_market.h"
#include "logistics/logistics.h"

#include <math.h>
#include <string.h>

#define KV(o, k, v) json_object_object_add((o), (k), (v))
#define I64(v) json_object_new_int64(v)
#define STR(v) json_object_new_string((v) ? (v) : "")

/* ------------------------------------------------------------------ orders */

static struct json_object *order_json(const struct market_order *o)
{
    struct json_object *j = json_object_new_object();
    KV(j, "id", I64(o->id));
    KV(j, "status", STR(market_status_name(o->status)));
    KV(j, "buyer_user_id", I64(o->buyer_user_id));
    KV(j, "delivery_node_id", o->delivery_node_id ? I64(o->delivery_node_id) : NULL);
    KV(j, "delivery_address", STR(o->delivery_address));
    KV(j, "lat", o->has_coords ? rjson_new_double(o->lat, 8) : NULL);
    KV(j, "lon", o->has_coords ? rjson_new_double(o->lon, 8) : NULL);
    KV(j, "total_fen", I64(o->total_fen));
    KV(j, "units", I64(o->units));
    struct json_object *pay = json_object_new_object();
    KV(pay, "status", STR(o->payment_status));
    KV(pay, "method", STR(o->payment_method));
    KV(pay, "ref", STR(o->payment_ref));
    KV(j, "payment", pay);
    KV(j, "note", STR(o->note));
    KV(j, "session_id", o->session_id ? I64(o->session_id) : NULL);
    KV(j, "idempotency_key", o->idem_key ? STR(o->idem_key) : NULL);
    KV(j, "created_at", rjson_new_time(o->created_ms));
    KV(j, "updated_at", rjson_new_time(o->updated_ms));
    struct json_object *lines = json_object_new_array();
    for (size_t i = 0; i < o->nlines; i++) {
        const struct market_order_line *l = &o->lines[i];
        struct json_object *lj = json_object_new_object();
        KV(lj, "line_no", I64(l->line_no));
        KV(lj, "product_id", I64(l->product_id));
        KV(lj, "offer_id", l->offer_id ? I64(l->offer_id) : NULL);
        KV(lj, "qty", I64(l->qty));
        KV(lj, "unit_price_fen", I64(l->unit_price_fen));
        KV(lj, "line_total_fen", I64(l->line_total_fen));
        json_object_array_add(lines, lj);
    }
    KV(j, "lines", lines);
    if (o->history) {
        struct json_object *h = json_object_new_array();
        for (size_t i = 0; i < o->nhistory; i++) {
            const struct market_status_change *c = &o->history[i];
            struct json_object *cj = json_object_new_object();
            KV(cj, "from",
               c->from >= 0 ? STR(market_status_name((enum market_status)c->from)) : NULL);
            KV(cj, "to", STR(market_status_name(c->to)));
            KV(cj, "at", rjson_new_time(c->ts_ms));
            KV(cj, "actor_user_id", I64(c->actor_user_id));
            KV(cj, "note", STR(c->note));
            json_object_array_add(h, cj);
        }
        KV(j, "history", h);
    }
    return j;
}

/* ?reached=shipped,delivered&reached_since=T&reached_until=T: orders moved
** into one of those statuses in [since, until) (a day's parcels out). */
static int reached_filter(struct http_req *req, struct market_order_filter *f, struct err *e)
{
    const char *list = http_query(req, "reached");
    const char *ss = http_query(req, "reached_since"), *us = http_query(req, "reached_until");
    if (!list) {
        if (ss || us)
            return err_set(e, ERR_INVAL,
                           "query parameters 'reached_since'/'reached_until' go"
                           " with 'reached'");
        return 0;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        enum market_status st;
        if (market_status_parse(tok, &st))
            return err_set(e, ERR_INVAL,
                           "query parameter 'reached' lists statuses (placed, confirmed,"
                           " packed, shipped, delivered, cancelled, refunded), not '%s'",
                           tok);
        f->reached_mask |= 1u << st;
    }
    if (!f->reached_mask || strlen(list) >= sizeof buf)
        return err_set(e, ERR_INVAL, "query parameter 'reached' lists statuses");
    if ((ss && time_parse_rfc3339(ss, &f->reached_since_ms) &&
         time_parse_date(ss, &f->reached_since_ms)) ||
        (us && time_parse_rfc3339(us, &f->reached_until_ms) &&
         time_parse_date(us, &f->reached_until_ms)))
        return err_set(e, ERR_INVAL,
                       "'reached_since' and 'reached_until' must be RFC 3339 times or dates");
    return 0;
}

void hm_orders_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct market_order_filter f = {.status = -1};
    const char *st = http_query(req, "status");
    if (st) {
        enum market_status s;
        if (market_status_parse(st, &s)) {
            http_resp_problem(w, 400, NULL, "query parameter 'status' is not an order status");
            return;
        }
        f.status = (int)s;
    }
    int64_t since = 0, until = 0;
    const char *ss = http_query(req, "since"), *us = http_query(req, "until");
    if ((ss && time_parse_rfc3339(ss, &since) && time_parse_date(ss, &since)) ||
        (us && time_parse_rfc3339(us, &until) && time_parse_date(us, &until))) {
        http_resp_problem(w, 400, NULL, "'since' and 'until' must be RFC 3339 times or dates");
        return;
    }
    f.since_ms = since, f.until_ms = until;
    if (reached_filter(req, &f, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct market_order *items;
    size_t n;
    if (hm_query_id(req, "buyer_user_id", &f.buyer_user_id, &e) ||
        hm_query_id(req, "session_id", &f.session_id, &e) ||
        http_query_i64(req, "limit", 50, 1, MARKET_LIST_MAX, &f.limit, &e) ||
        http_query_i64(req, "offset", 0, 0, 10000000, &f.offset, &e) ||
        market_order_list(app->store, &req->who, &f, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, order_json(&items[i]));
    struct json_object *o = json_object_new_object();
    KV(o, "items", arr);
    KV(o, "limit", I64(f.limit));
    KV(o, "offset", I64(f.offset));
    http_resp_json(w, 200, o);
}

/* Append v in decimal (strbuf_addf's vsnprintf showed in the profile). */
static void add_i64(struct strbuf *sb, int64_t v)
{
    char b[24], *p = b + sizeof b;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    strbuf_add(sb, p, (size_t)(b + sizeof b - p));
}

/* ,"key":value with value an integer, or null when zero and nullable. */
static void add_kv_i64(struct strbuf *sb, const char *key, int64_t v, bool null_if_zero)
{
    strbuf_addstr(sb, key);
    if (null_if_zero && v == 0)
        strbuf_add(sb, "null", 4);
    else
        add_i64(sb, v);
}

static void add_kv_str(struct strbuf *sb, const char *key, const char *v)
{
    strbuf_addstr(sb, key);
    if (!v)
        strbuf_add(sb, "null", 4);
    else
        strbuf_add_json_str(sb, v, strlen(v));
}

/* ,"key":"text" where text needs no escaping (a formatted time). */
static void add_kv_plain(struct strbuf *sb, const char *key, const char *text)
{
    strbuf_addstr(sb, key);
    strbuf_addch(sb, '"');
    strbuf_addstr(sb, text);
    strbuf_addch(sb, '"');
}

/* The JSON of a just-placed order (order_json's fields, without history),
** written straight into a buffer: it runs once per order of a flash sale
** (orders_placed), where building a json-c tree for each showed in
** profiles. */
static void order_render(struct strbuf *sb, const struct market_order *o)
{
    char t1[32], t2[32];
    const char *st = market_status_name(o->status);
    add_kv_i64(sb, "{\"id\":", o->id, false);
    add_kv_str(sb, ",\"status\":", st ? st : "");
    add_kv_i64(sb, ",\"buyer_user_id\":", o->buyer_user_id, false);
    add_kv_i64(sb, ",\"delivery_node_id\":", o->delivery_node_id, true);
    add_kv_str(sb, ",\"delivery_address\":", o->delivery_address ? o->delivery_address : "");
    if (o->has_coords && isfinite(o->lat) && isfinite(o->lon))
        strbuf_addf(sb, ",\"lat\":%.8g,\"lon\":%.8g", o->lat, o->lon);
    else
        strbuf_addstr(sb, ",\"lat\":null,\"lon\":null");
    add_kv_i64(sb, ",\"total_fen\":", o->total_fen, false);
    add_kv_i64(sb, ",\"units\":", o->units, false);
    add_kv_str(sb, ",\"payment\":{\"status\":", o->payment_status ? o->payment_status : "");
    add_kv_str(sb, ",\"method\":", o->payment_method ? o->payment_method : "");
    add_kv_str(sb, ",\"ref\":", o->payment_ref ? o->payment_ref : "");
    add_kv_str(sb, "},\"note\":", o->note ? o->note : "");
    add_kv_i64(sb, ",\"session_id\":", o->session_id, true);
    add_kv_str(sb, ",\"idempotency_key\":", o->idem_key);
    time_fmt_rfc3339(o->created_ms, t1);
    add_kv_plain(sb, ",\"created_at\":", t1);
    add_kv_plain(sb, ",\"updated_at\":",
                 o->updated_ms == o->created_ms ? t1 : time_fmt_rfc3339(o->updated_ms, t2));
    strbuf_addstr(sb, ",\"lines\":[");
    for (size_t i = 0; i < o->nlines; i++) {
        const struct market_order_line *l = &o->lines[i];
        add_kv_i64(sb, i ? ",{\"line_no\":" : "{\"line_no\":", l->line_no, false);
        add_kv_i64(sb, ",\"product_id\":", l->product_id, false);
        add_kv_i64(sb, ",\"offer_id\":", l->offer_id, true);
        add_kv_i64(sb, ",\"qty\":", l->qty, false);
        add_kv_i64(sb, ",\"unit_price_fen\":", l->unit_price_fen, false);
        add_kv_i64(sb, ",\"line_total_fen\":", l->line_total_fen, false);
        strbuf_addch(sb, '}');
    }
    strbuf_addstr(sb, "]}\n");
}

/* After the order's group commit (on the connection's I/O thread, see
** http_write_async): answer 201 with the order, or the error. */
static void orders_placed(struct app *app, struct http_req *req, struct http_resp *w, void *arg,
                          int rc, const struct err *e)
{
    (void)app;
    (void)req;
    if (rc) {
        http_resp_err(w, e);
        return;
    }
    struct market_order o;
    market_order_job_result(arg, &o);
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/orders/%lld", (long long)o.id);
    http_resp_header(w, "Location", loc);
    if (o.replayed)
        http_resp_header(w, "Idempotent-Replayed", "true");
    struct strbuf sb;
    strbuf_init(&sb, 0);
    order_render(&sb, &o);
    http_resp_strbuf(w, 201, "application/json", &sb);
}

static const char *arena_opt(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

/* Runs on an I/O thread (HTTP_ASYNC): parse and check, then queue the
** order's write; orders_placed answers once it is durable. */
void hm_orders_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    static const char *const keys[] = {"buyer_user_id",
                                       "delivery_node_id",
                                       "delivery_address",
                                       "lat",
                                       "lon",
                                       "payment_method",
                                       "payment_ref",
                                       "note",
                                       "lines",
                                       NULL};
    static const char *const line_keys[] = {"product_id", "offer_id", "qty", "node_id", NULL};
    struct err e = {0};
    struct json_object *body = NULL, *lines;
    struct market_order_req *r = arena_calloc(req->arena, sizeof *r);
    struct market_order_job *job = NULL;
    bool lat = false, lon = false;
    const char *key = http_header(req, "Idempotency-Key");
    if (key && (!*key || strlen(key) > 255)) {
        http_resp_problem(w, 400, NULL, "Idempotency-Key must be 1 to 255 characters");
        return;
    }
    r->idem_key = arena_opt(req->arena, key);
    int rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = hm_opt_i64(body, "buyer_user_id", &r->buyer_user_id, &e)) ||
                 (rc = hm_opt_i64(body, "delivery_node_id", &r->delivery_node_id, &e)) ||
                 (rc = hm_opt_str(body, "delivery_address", &r->delivery_address, &e)) ||
                 (rc = hm_opt_double(body, "lat", &r->lat, &lat, &e)) ||
                 (rc = hm_opt_double(body, "lon", &r->lon, &lon, &e)) ||
                 (rc = hm_opt_str(body, "payment_method", &r->payment_method, &e)) ||
                 (rc = hm_opt_str(body, "payment_ref", &r->payment_ref, &e)) ||
                 (rc = hm_opt_str(body, "note", &r->note, &e)) ||
                 (rc = rjson_get_array(body, "lines", true, &lines, &e)))) {
        size_t n = json_object_array_length(lines);
        if (n > MARKET_LINES_MAX)
            rc = err_set(&e, ERR_TOOBIG, "field 'lines' has more than %d lines", MARKET_LINES_MAX);
        struct market_line_req *ls = arena_calloc(req->arena, (n ? n : 1) * sizeof *ls);
        for (size_t i = 0; !rc && i < n; i++) {
            struct json_object *lj = json_object_array_get_idx(lines, i);
            if (!json_object_is_type(lj, json_type_object)) {
                rc = err_set(&e, ERR_INVAL, "line %zu must be an object", i + 1);
                break;
            }
            if ((rc = rjson_only_keys(lj, line_keys, &e)) ||
                (rc = hm_opt_i64(lj, "product_id", &ls[i].product_id, &e)) ||
                (rc = hm_opt_i64(lj, "offer_id", &ls[i].offer_id, &e)) ||
                (rc = rjson_get_i64(lj, "qty", true, &ls[i].qty, &e)) ||
                (rc = hm_opt_i64(lj, "node_id", &ls[i].node_id, &e)))
                err_prefix(&e, "line %zu: ", i + 1);
        }
        r->lines = ls, r->nlines = n;
        r->has_coords = lat && lon;
        if (!rc && lat != lon)
            rc = err_set(&e, ERR_INVAL, "fields 'lat' and 'lon' go together");
        /* The write runs after this handler returns: keep the strings. */
        r->delivery_address = arena_opt(req->arena, r->delivery_address);
        r->payment_method = arena_opt(req->arena, r->payment_method);
        r->payment_ref = arena_opt(req->arena, r->payment_ref);
        r->note = arena_opt(req->arena, r->note);
        if (!rc)
            rc = market_order_job_new(&req->who, r, req->arena, &job, &e);
    }
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_write_async(req, w, market_order_job_fn, job, market_order_job_flags(job), orders_placed);
}

void hm_order_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_order o;
    if (http_param_id(req, "id", &id, &e) ||
        market_order_get(app->store, &req->who, id, req->arena, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, order_json(&o));
}

/* A driver marks delivered an order that one of its routes (an approved
** plan's) carries; other orders stay out of its sight (404), as for any
** caller who may not see them. Market does not see routes, so this is
** asked of logistics here, above both. */
static int driver_delivers(struct app *app, struct http_req *req, int64_t id, enum market_status to,
                           const char *note, struct market_order *o, struct err *e)
{
    bool carries = false;
    int rc = logistics_driver_carries(app->store, &req->who, id, &carries, e);
    if (rc)
        return rc;
    if (!carries)
        return err_set(e, ERR_NOTFOUND, "order %lld not found", (long long)id);
    if (to != MARKET_DELIVERED)
        return err_set(e, ERR_PERM, "a driver only marks orders delivered");
    return market_order_deliver_carried(app->store, &req->who, id, note, 0, req->arena, o, e);
}

void hm_order_status(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"status", "note", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    int64_t id;
    const char *status = NULL, *note = NULL;
    enum market_status to;
    struct market_order o;
    int rc = http_param_id(req, "id", &id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_str(body, "status", true, &status, &e)) ||
                 (rc = hm_opt_str(body, "note", &note, &e)))) {
        if (market_status_parse(status, &to))
            rc = err_set(&e, ERR_INVAL,
                         "field 'status' must be one of placed, confirmed, packed, shipped,"
                         " delivered, cancelled, refunded");
        else if (req->who.role == AUTH_ROLE_DRIVER)
            rc = driver_delivers(app, req, id, to, note, &o, &e);
        else
            rc = market_order_transition(app->store, &req->who, id, to, note, 0, &e);
    }
    json_object_put(body);
    if (!rc && req->who.role != AUTH_ROLE_DRIVER)
        rc = market_order_get(app->store, &req->who, id, req->arena, &o, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, order_json(&o));
}

void hm_order_payment(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"status", "method", "ref", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    int64_t id;
    const char *status = NULL, *method = NULL, *ref = NULL;
    struct market_order o;
    int rc = http_param_id(req, "id", &id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_str(body, "status", true, &status, &e)) ||
                 (rc = hm_opt_str(body, "method", &method, &e)) ||
                 (rc = hm_opt_str(body, "ref", &ref, &e))))
        rc = market_order_pay(app->store, &req->who, id, status, method, ref, &e);
    json_object_put(body);
    if (!rc)
        rc = market_order_get(app->store, &req->who, id, req->arena, &o, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, order_json(&o));
}

/* ------------------------------------------------------------ live commerce */

static struct json_object *session_json(const struct market_session *s)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(s->id));
    KV(o, "host_user_id", I64(s->host_user_id));
    KV(o, "village_id", I64(s->village_id));
    KV(o, "title", STR(s->title));
    KV(o, "tags", hm_strs(s->tags, s->ntags));
    KV(o, "start", rjson_new_time(s->start_ms));
    KV(o, "end", rjson_new_time(s->end_ms));
    int64_t now = time_now_ms();
    KV(o, "state",
       STR(s->closed_ms        ? "closed"
           : now < s->start_ms ? "upcoming"
           : now < s->end_ms   ? "live"
                               : "ended"));
    KV(o, "created_at", rjson_new_time(s->created_ms));
    KV(o, "closed_at", hm_time(s->closed_ms));
    return o;
}

static struct json_object *offer_json(const struct market_offer *f)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(f->id));
    KV(o, "session_id", I64(f->session_id));
    KV(o, "product_id", I64(f->product_id));
    KV(o, "node_id", f->node_id ? I64(f->node_id) : NULL);
    KV(o, "flash_price_fen", I64(f->flash_price_fen));
    KV(o, "flash_stock", I64(f->flash_stock));
    KV(o, "sold", I64(f->sold));
    KV(o, "left", I64(f->flash_stock - f->sold));
    KV(o, "returned", I64(f->returned));
    KV(o, "per_buyer_limit", f->per_buyer_limit ? I64(f->per_buyer_limit) : NULL);
    return o;
}

static struct json_object *post_json(const struct market_post *p)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(p->id));
    KV(o, "session_id", I64(p->session_id));
    KV(o, "body", STR(p->body));
    KV(o, "tags", hm_strs(p->tags, p->ntags));
    KV(o, "scheduled_at", rjson_new_time(p->scheduled_ms));
    KV(o, "created_at", rjson_new_time(p->created_ms));
    return o;
}

void hm_sessions_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t from = 0;
    const char *fs = http_query(req, "from");
    if (fs && time_parse_rfc3339(fs, &from) && time_parse_date(fs, &from)) {
        http_resp_problem(w, 400, NULL, "'from' must be an RFC 3339 time or a date");
        return;
    }
    struct market_session *items;
    size_t n;
    if (market_session_list(app->store, &req->who, from, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, session_json(&items[i]));
    http_resp_items(w, arr);
}

void hm_sessions_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"host_user_id", "village_id", "title", "tags",
                                       "start",        "end",        NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    struct market_session s = {0}, out;
    int64_t id;
    int rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = hm_opt_i64(body, "host_user_id", &s.host_user_id, &e)) ||
                 (rc = rjson_get_i64(body, "village_id", true, &s.village_id, &e)) ||
                 (rc = rjson_get_str(body, "title", true, &s.title, &e)) ||
                 (rc = hm_opt_strs(body, "tags", req->arena, &s.tags, &s.ntags, &e)) ||
                 (rc = hm_opt_time(body, "start", &s.start_ms, &e)) ||
                 (rc = hm_opt_time(body, "end", &s.end_ms, &e))))
        rc = market_session_create(app->store, &req->who, &s, &id, &e);
    json_object_put(body);
    if (!rc)
        rc = market_session_get(app->store, &req->who, id, req->arena, &out, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    hm_created(req, w, "/api/v1/live-sessions/%lld", id, session_json(&out));
}

void hm_session_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_session s;
    struct market_offer *offers;
    struct market_post *posts;
    size_t noff, nposts;
    if (http_param_id(req, "id", &id, &e) ||
        market_session_get(app->store, &req->who, id, req->arena, &s, &e) ||
        market_offer_list(app->store, &req->who, id, req->arena, &offers, &noff, &e) ||
        market_post_list(app->store, &req->who, id, req->arena, &posts, &nposts, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = session_json(&s);
    struct json_object *oa = json_object_new_array(), *pa = json_object_new_array();
    for (size_t i = 0; i < noff; i++)
        json_object_array_add(oa, offer_json(&offers[i]));
    for (size_t i = 0; i < nposts; i++)
        json_object_array_add(pa, post_json(&posts[i]));
    KV(o, "offers", oa);
    KV(o, "posts", pa);
    http_resp_json(w, 200, o);
}

void hm_offers_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_offer *items;
    size_t n;
    if (http_param_id(req, "id", &id, &e) ||
        market_offer_list(app->store, &req->who, id, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, offer_json(&items[i]));
    http_resp_items(w, arr);
}

void hm_offers_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"product_id",  "node_id",         "flash_price_fen",
                                       "flash_stock", "per_buyer_limit", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    struct market_offer f = {0};
    int64_t id;
    int rc = http_param_id(req, "id", &f.session_id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_i64(body, "product_id", true, &f.product_id, &e)) ||
                 (rc = rjson_get_i64(body, "flash_price_fen", true, &f.flash_price_fen, &e)) ||
                 (rc = rjson_get_i64(body, "flash_stock", true, &f.flash_stock, &e)) ||
                 (rc = hm_opt_i64(body, "node_id", &f.node_id, &e)) ||
                 (rc = hm_opt_i64(body, "per_buyer_limit", &f.per_buyer_limit, &e))))
        rc = market_offer_add(app->store, &req->who, &f, &id, &e);
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    f.id = id;
    hm_created(req, w, "/api/v1/live-sessions/%lld/offers", f.session_id, offer_json(&f));
}

/* The offer {offer_id} of session {id}, as listed (after a change). */
static int offer_find(struct app *app, struct http_req *req, int64_t sid, int64_t oid,
                      struct market_offer *out, struct err *e)
{
    struct market_offer *items;
    size_t n;
    int rc = market_offer_list(app->store, &req->who, sid, req->arena, &items, &n, e);
    for (size_t i = 0; !rc && i < n; i++)
        if (items[i].id == oid) {
            *out = items[i];
            return 0;
        }
    return rc ? rc : err_set(e, ERR_NOTFOUND, "offer %lld not found", (long long)oid);
}

/* PATCH /live-sessions/{id}/offers/{offer_id} {"flash_stock": n}: raising
** reserves more units from lots, lowering gives unsold ones back. */
void hm_offer_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"flash_stock", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    int64_t sid, oid, stock = 0;
    struct market_offer f;
    int rc = http_param_id(req, "id", &sid, &e);
    if (!rc)
        rc = http_param_id(req, "offer_id", &oid, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !(rc = rjson_get_i64(body, "flash_stock", true, &stock, &e)))
        rc = market_offer_set_stock(app->store, &req->who, sid, oid, stock, &e);
    json_object_put(body);
    if (!rc)
        rc = offer_find(app, req, sid, oid, &f, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, offer_json(&f));
}

/* DELETE /live-sessions/{id}/offers/{offer_id}: 204; 409 once ordered. */
void hm_offer_delete(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t sid, oid;
    if (http_param_id(req, "id", &sid, &e) || http_param_id(req, "offer_id", &oid, &e) ||
        market_offer_delete(app->store, &req->who, sid, oid, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_bytes(w, 204, NULL, NULL, 0);
}

/* POST /live-sessions/{id}/close: unsold flash stock back to the lots. */
void hm_session_close(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_session s;
    if (http_param_id(req, "id", &id, &e) ||
        market_session_close(app->store, &req->who, id, 0, &e) ||
        market_session_get(app->store, &req->who, id, req->arena, &s, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, session_json(&s));
}

void hm_posts_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_post *items;
    size_t n;
    if (http_param_id(req, "id", &id, &e) ||
        market_post_list(app->store, &req->who, id, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, post_json(&items[i]));
    http_resp_items(w, arr);
}

void hm_posts_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"body", "tags", "scheduled_at", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    struct market_post p = {0};
    int64_t id;
    int rc = http_param_id(req, "id", &p.session_id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_str(body, "body", true, &p.body, &e)) ||
                 (rc = hm_opt_strs(body, "tags", req->arena, &p.tags, &p.ntags, &e)) ||
                 (rc = hm_opt_time(body, "scheduled_at", &p.scheduled_ms, &e))))
        rc = market_post_add(app->store, &req->who, &p, &id, &e);
    if (!rc) {
        p.id = id;
        p.created_ms = time_now_ms();
        struct json_object *o = post_json(&p); /* copies strings before body goes */
        json_object_put(body);
        hm_created(req, w, "/api/v1/live-sessions/%lld/posts", p.session_id, o);
        return;
    }
    json_object_put(body);
    http_resp_err(w, &e);
}

void hm_session_report(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_report r;
    if (http_param_id(req, "id", &id, &e) ||
        market_session_report(app->store, &req->who, id, req->arena, &r, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    KV(o, "session_id", I64(r.session_id));
    KV(o, "orders", I64(r.orders));
    KV(o, "units", I64(r.units));
    KV(o, "gmv_fen", I64(r.gmv_fen));
    KV(o, "unique_buyers", I64(r.unique_buyers));
    KV(o, "flash_stock", I64(r.flash_stock));
    KV(o, "sell_through_bp", I64(r.sell_through_bp));
    struct json_object *curve = json_object_new_array();
    for (size_t i = 0; i < r.ncurve; i++) {
        struct json_object *m = json_object_new_object();
        KV(m, "minute", I64(r.curve[i].minute));
        KV(m, "orders", I64(r.curve[i].orders));
        KV(m, "units", I64(r.curve[i].units));
        KV(m, "gmv_fen", I64(r.curve[i].gmv_fen));
        json_object_array_add(curve, m);
    }
    KV(o, "curve", curve);
    http_resp_json(w, 200, o);
}
