/*
** h_market.c: HTTP routes of the marketplace (src/market): producers and
** certifications, the catalog (search, CSV import/export), inventory lots,
** plus the JSON helpers the market handler files share and the route table
** http_routes_market. Orders and live sessions are in h_market_orders.c.
** Handlers only map JSON to market structs and ERR_* codes to statuses; the
** role rules live in the service (the route roles are a first gate).
*/
#include "http/h_market.h"

#include <string.h>

/* ----------------------------------------------------------------- helpers */

int hm_body(struct http_req *req, const char *const *allowed, struct json_object **out,
            struct err *e)
{
    int rc = http_body_json(req, out, e);
    if (rc)
        return rc;
    if (allowed && (rc = rjson_only_keys(*out, allowed, e))) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

static int opt(int rc)
{
    return rc == ERR_NOTFOUND ? 0 : rc;
}

int hm_opt_str(struct json_object *o, const char *key, const char **out, struct err *e)
{
    return opt(rjson_get_str(o, key, false, out, e));
}

int hm_opt_i64(struct json_object *o, const char *key, int64_t *out, struct err *e)
{
    return opt(rjson_get_i64(o, key, false, out, e));
}

int hm_opt_bool(struct json_object *o, const char *key, bool *out, struct err *e)
{
    return opt(rjson_get_bool(o, key, false, out, e));
}

int hm_opt_double(struct json_object *o, const char *key, double *out, bool *seen, struct err *e)
{
    int rc = rjson_get_double(o, key, false, out, e);
    if (rc == 0 && seen)
        *seen = true;
    return opt(rc);
}

int hm_opt_time(struct json_object *o, const char *key, int64_t *out, struct err *e)
{
    const char *s = NULL;
    int rc = hm_opt_str(o, key, &s, e);
    if (rc || !s)
        return rc;
    if (time_parse_rfc3339(s, out) == 0 || time_parse_date(s, out) == 0)
        return 0;
    return err_set(e, ERR_INVAL, "field '%s' must be an RFC 3339 time or a YYYY-MM-DD date", key);
}

int hm_opt_strs(struct json_object *o, const char *key, struct arena *a, const char ***out,
                size_t *n, struct err *e)
{
    struct json_object *arr;
    int rc = rjson_get_array(o, key, false, &arr, e);
    if (rc)
        return opt(rc);
    size_t len = json_object_array_length(arr);
    if (len > 64)
        return err_set(e, ERR_TOOBIG, "field '%s' has too many items", key);
    const char **items = arena_alloc(a, (len ? len : 1) * sizeof *items);
    for (size_t i = 0; i < len; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(v, json_type_string))
            return err_set(e, ERR_INVAL, "field '%s' must be an array of strings", key);
        items[i] = json_object_get_string(v);
    }
    *out = items;
    *n = len;
    return 0;
}

struct json_object *hm_strs(const char *const *items, size_t n)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(items[i]));
    return arr;
}

struct json_object *hm_time(int64_t ms)
{
    return ms ? rjson_new_time(ms) : NULL;
}

int hm_query_id(struct http_req *req, const char *name, int64_t *out, struct err *e)
{
    return http_query_i64(req, name, 0, 1, INT64_MAX, out, e);
}

int hm_query_flag(struct http_req *req, const char *name, int *out, struct err *e)
{
    const char *v = http_query(req, name);
    *out = 0;
    if (!v)
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = -1;
    else
        return err_set(e, ERR_INVAL, "query parameter '%s' must be true or false", name);
    return 0;
}

void hm_created(struct http_req *req, struct http_resp *w, const char *fmt, int64_t id,
                struct json_object *body)
{
    (void)req;
    char loc[96];
    snprintf(loc, sizeof loc, fmt, (long long)id);
    http_resp_header(w, "Location", loc);
    http_resp_json(w, 201, body);
}

#define KV(o, k, v) json_object_object_add((o), (k), (v))
#define I64(v) json_object_new_int64(v)
#define STR(v) json_object_new_string((v) ? (v) : "")

/* --------------------------------------------------------------- producers */

static struct json_object *producer_json(const struct market_producer *p)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(p->id));
    KV(o, "village_id", I64(p->village_id));
    KV(o, "owner_user_id", I64(p->owner_user_id));
    KV(o, "kind", STR(p->kind));
    KV(o, "name", STR(p->name));
    KV(o, "licence_no", STR(p->licence_no));
    KV(o, "contact_name", STR(p->contact_name));
    KV(o, "contact_phone", STR(p->contact_phone));
    struct json_object *certs = json_object_new_array();
    int64_t now = time_now_ms();
    for (size_t i = 0; i < p->ncerts; i++) {
        const struct market_cert *c = &p->certs[i];
        struct json_object *co = json_object_new_object();
        KV(co, "id", I64(c->id));
        KV(co, "kind", STR(c->kind));
        KV(co, "cert_no", STR(c->cert_no));
        KV(co, "valid_from", rjson_new_time(c->valid_from_ms));
        KV(co, "valid_until", rjson_new_time(c->valid_until_ms));
        KV(co, "valid_now",
           json_object_new_boolean(c->valid_from_ms <= now && now <= c->valid_until_ms));
        json_object_array_add(certs, co);
    }
    KV(o, "certifications", certs);
    KV(o, "created_at", rjson_new_time(p->created_ms));
    KV(o, "updated_at", rjson_new_time(p->updated_ms));
    return o;
}

static const char *const producer_keys[] = {"village_id", "owner_user_id", "kind",          "name",
                                            "licence_no", "contact_name",  "contact_phone", NULL};

static int producer_from_json(struct json_object *o, struct market_producer *p, struct err *e)
{
    int rc;
    if ((rc = hm_opt_i64(o, "village_id", &p->village_id, e)) ||
        (rc = hm_opt_i64(o, "owner_user_id", &p->owner_user_id, e)) ||
        (rc = hm_opt_str(o, "kind", &p->kind, e)) || (rc = hm_opt_str(o, "name", &p->name, e)) ||
        (rc = hm_opt_str(o, "licence_no", &p->licence_no, e)) ||
        (rc = hm_opt_str(o, "contact_name", &p->contact_name, e)) ||
        (rc = hm_opt_str(o, "contact_phone", &p->contact_phone, e)))
        return rc;
    return 0;
}

static void h_producers_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t village, owner;
    struct market_producer *items;
    size_t n;
    if (hm_query_id(req, "village_id", &village, &e) ||
        hm_query_id(req, "owner_user_id", &owner, &e) ||
        market_producer_list(app->store, &req->who, village, owner, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, producer_json(&items[i]));
    http_resp_items(w, arr);
}

static void h_producers_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (hm_body(req, producer_keys, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct market_producer p = {0}, out;
    int64_t id;
    int rc = producer_from_json(body, &p, &e);
    if (!rc)
        rc = market_producer_create(app->store, &req->who, &p, &id, &e);
    json_object_put(body);
    if (!rc)
        rc = market_producer_get(app->store, &req->who, id, req->arena, &out, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    hm_created(req, w, "/api/v1/producers/%lld", id, producer_json(&out));
}

static void h_producer_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_producer p;
    if (http_param_id(req, "id", &id, &e) ||
        market_producer_get(app->store, &req->who, id, req->arena, &p, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, producer_json(&p));
}

static void h_producer_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_producer p;
    struct json_object *body = NULL;
    if (http_param_id(req, "id", &id, &e) || hm_body(req, producer_keys, &body, &e) ||
        market_producer_get(app->store, &req->who, id, req->arena, &p, &e)) {
        json_object_put(body);
        http_resp_err(w, &e);
        return;
    }
    p.owner_user_id = 0;
    int rc = producer_from_json(body, &p, &e);
    if (!rc)
        rc = market_producer_update(app->store, &req->who, &p, &e);
    json_object_put(body);
    if (!rc)
        rc = market_producer_get(app->store, &req->who, id, req->arena, &p, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, producer_json(&p));
}

static void h_cert_add(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"kind", "cert_no", "valid_from", "valid_until", NULL};
    struct err e = {0};
    int64_t id, cid;
    struct json_object *body = NULL;
    struct market_cert c = {0};
    struct market_producer p;
    int rc = http_param_id(req, "id", &id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_str(body, "kind", true, &c.kind, &e)) ||
                 (rc = hm_opt_str(body, "cert_no", &c.cert_no, &e)) ||
                 (rc = hm_opt_time(body, "valid_from", &c.valid_from_ms, &e)) ||
                 (rc = hm_opt_time(body, "valid_until", &c.valid_until_ms, &e))))
        rc = market_cert_add(app->store, &req->who, id, &c, &cid, &e);
    json_object_put(body);
    if (!rc)
        rc = market_producer_get(app->store, &req->who, id, req->arena, &p, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    hm_created(req, w, "/api/v1/producers/%lld", id, producer_json(&p));
}

/* ---------------------------------------------------------------- products */

static struct json_object *product_json(const struct market_product *p)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(p->id));
    KV(o, "sku", STR(p->sku));
    KV(o, "producer_id", I64(p->producer_id));
    KV(o, "village_id", I64(p->village_id));
    KV(o, "name_zh", STR(p->name_zh));
    KV(o, "name_en", STR(p->name_en));
    KV(o, "story_zh", STR(p->story_zh));
    KV(o, "story_en", STR(p->story_en));
    KV(o, "category", STR(p->category));
    KV(o, "unit", STR(p->unit));
    KV(o, "price_fen", I64(p->price_fen));
    KV(o, "weight_g", I64(p->weight_g));
    KV(o, "volume_ml", I64(p->volume_ml));
    KV(o, "storage", STR(market_storage_name(p->storage)));
    KV(o, "temp_min_c", rjson_new_double(p->temp_min_c, 4));
    KV(o, "temp_max_c", rjson_new_double(p->temp_max_c, 4));
    KV(o, "rh_min_pct", rjson_new_double(p->rh_min_pct, 4));
    KV(o, "rh_max_pct", rjson_new_double(p->rh_max_pct, 4));
    KV(o, "shelf_life_days", I64(p->shelf_life_days));
    KV(o, "tags", hm_strs(p->tags, p->ntags));
    KV(o, "images", hm_strs(p->images, p->nimages));
    KV(o, "signature", json_object_new_boolean(p->signature));
    KV(o, "brand", STR(p->brand));
    KV(o, "active", json_object_new_boolean(p->active));
    KV(o, "stock", I64(p->stock));
    KV(o, "created_at", rjson_new_time(p->created_ms));
    KV(o, "updated_at", rjson_new_time(p->updated_ms));
    return o;
}

static const char *const product_keys[] = {
    "producer_id", "village_id", "sku",        "name_zh",    "name_en",    "story_zh",
    "story_en",    "category",   "unit",       "price_fen",  "weight_g",   "volume_ml",
    "storage",     "temp_min_c", "temp_max_c", "rh_min_pct", "rh_max_pct", "shelf_life_days",
    "tags",        "images",     "signature",  "brand",      "active",     NULL};

static int product_from_json(struct json_object *o, struct arena *a, struct market_product *p,
                             struct err *e)
{
    int rc;
    const char *storage = NULL;
    int64_t shelf = p->shelf_life_days;
    if ((rc = hm_opt_i64(o, "producer_id", &p->producer_id, e)) ||
        (rc = hm_opt_i64(o, "village_id", &p->village_id, e)) ||
        (rc = hm_opt_str(o, "sku", &p->sku, e)) ||
        (rc = hm_opt_str(o, "name_zh", &p->name_zh, e)) ||
        (rc = hm_opt_str(o, "name_en", &p->name_en, e)) ||
        (rc = hm_opt_str(o, "story_zh", &p->story_zh, e)) ||
        (rc = hm_opt_str(o, "story_en", &p->story_en, e)) ||
        (rc = hm_opt_str(o, "category", &p->category, e)) ||
        (rc = hm_opt_str(o, "unit", &p->unit, e)) ||
        (rc = hm_opt_i64(o, "price_fen", &p->price_fen, e)) ||
        (rc = hm_opt_i64(o, "weight_g", &p->weight_g, e)) ||
        (rc = hm_opt_i64(o, "volume_ml", &p->volume_ml, e)) ||
        (rc = hm_opt_str(o, "storage", &storage, e)) ||
        (rc = hm_opt_i64(o, "shelf_life_days", &shelf, e)) ||
        (rc = hm_opt_strs(o, "tags", a, &p->tags, &p->ntags, e)) ||
        (rc = hm_opt_strs(o, "images", a, &p->images, &p->nimages, e)) ||
        (rc = hm_opt_bool(o, "signature", &p->signature, e)) ||
        (rc = hm_opt_str(o, "brand", &p->brand, e)) ||
        (rc = hm_opt_bool(o, "active", &p->active, e)))
        return rc;
    if (shelf < 0 || shelf > 3650)
        return err_set(e, ERR_INVAL, "field 'shelf_life_days' must be between 0 and 3650");
    p->shelf_life_days = (int32_t)shelf;
    if (storage) {
        enum market_storage s;
        if (market_storage_parse(storage, &s))
            return err_set(e, ERR_INVAL, "field 'storage' must be ambient, chilled or frozen");
        if (s != p->storage)
            p->has_conditions = false; /* a new class: its defaults, unless given below */
        p->storage = s;
    }
    /* Conditions given in part: the rest from the class's defaults. */
    struct market_product d = *p;
    bool seen = false;
    if (!p->has_conditions)
        market_storage_conditions(p->storage, &d.temp_min_c, &d.temp_max_c, &d.rh_min_pct,
                                  &d.rh_max_pct);
    if ((rc = hm_opt_double(o, "temp_min_c", &d.temp_min_c, &seen, e)) ||
        (rc = hm_opt_double(o, "temp_max_c", &d.temp_max_c, &seen, e)) ||
        (rc = hm_opt_double(o, "rh_min_pct", &d.rh_min_pct, &seen, e)) ||
        (rc = hm_opt_double(o, "rh_max_pct", &d.rh_max_pct, &seen, e)))
        return rc;
    if (seen) {
        p->has_conditions = true;
        p->temp_min_c = d.temp_min_c, p->temp_max_c = d.temp_max_c;
        p->rh_min_pct = d.rh_min_pct, p->rh_max_pct = d.rh_max_pct;
    }
    return 0;
}

static void h_products_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct market_search q = {.storage = -1};
    q.q = http_query(req, "q");
    q.category = http_query(req, "category");
    q.cert_kind = http_query(req, "certification");
    int inactive = 0;
    if (hm_query_flag(req, "signature", &q.signature, &e) ||
        hm_query_flag(req, "include_inactive", &inactive, &e)) {
        http_resp_err(w, &e);
        return;
    }
    q.include_inactive = inactive > 0;
    if (q.cert_kind && !market_cert_kind_known(q.cert_kind)) {
        http_resp_problem(w, 400, NULL,
                          "query parameter 'certification' must be green_food, organic or"
                          " geographical_indication");
        return;
    }
    const char *storage = http_query(req, "storage");
    if (storage) {
        enum market_storage s;
        if (market_storage_parse(storage, &s)) {
            http_resp_problem(w, 400, NULL,
                              "query parameter 'storage' must be ambient, chilled or frozen");
            return;
        }
        q.storage = (int)s;
    }
    struct market_product *items;
    size_t n;
    if (hm_query_id(req, "village_id", &q.village_id, &e) ||
        hm_query_id(req, "producer_id", &q.producer_id, &e) ||
        http_query_i64(req, "min_price_fen", 0, 0, INT64_MAX, &q.min_price_fen, &e) ||
        http_query_i64(req, "max_price_fen", 0, 0, INT64_MAX, &q.max_price_fen, &e) ||
        http_query_i64(req, "limit", 50, 1, MARKET_LIST_MAX, &q.limit, &e) ||
        http_query_i64(req, "offset", 0, 0, 1000000, &q.offset, &e) ||
        market_product_search(app->store, &req->who, &q, req->arena, &items, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, product_json(&items[i]));
    struct json_object *o = json_object_new_object();
    KV(o, "items", arr);
    KV(o, "limit", I64(q.limit));
    KV(o, "offset", I64(q.offset));
    http_resp_json(w, 200, o);
}

static void h_products_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (hm_body(req, product_keys, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct market_product p = {.storage = MARKET_STORAGE_AMBIENT, .active = true}, out;
    int64_t id;
    int rc = product_from_json(body, req->arena, &p, &e);
    if (!rc)
        rc = market_product_create(app->store, &req->who, &p, &id, &e);
    json_object_put(body);
    if (!rc)
        rc = market_product_get(app->store, &req->who, id, req->arena, &out, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    hm_created(req, w, "/api/v1/products/%lld", id, product_json(&out));
}

static void h_product_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_product p;
    if (http_param_id(req, "id", &id, &e) ||
        market_product_get(app->store, &req->who, id, req->arena, &p, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, product_json(&p));
}

static void h_product_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct market_product p;
    struct json_object *body = NULL;
    if (http_param_id(req, "id", &id, &e) || hm_body(req, product_keys, &body, &e) ||
        market_product_get(app->store, &req->who, id, req->arena, &p, &e)) {
        json_object_put(body);
        http_resp_err(w, &e);
        return;
    }
    int rc = product_from_json(body, req->arena, &p, &e);
    if (!rc)
        rc = market_product_update(app->store, &req->who, &p, &e);
    json_object_put(body);
    if (!rc)
        rc = market_product_get(app->store, &req->who, id, req->arena, &p, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, product_json(&p));
}

/* POST /products/import: the body is the CSV itself (text/csv). */
static void h_products_import(struct app *app, struct http_req *req, struct http_resp *w)
{
    const char *ct = http_header(req, "Content-Type");
    if (!ct || strncmp(ct, "text/csv", 8) != 0) {
        http_resp_problem(w, 415, NULL, "the body must be CSV (Content-Type: text/csv)");
        return;
    }
    struct err e = {0};
    struct market_csv_result res;
    int rc = market_products_import_csv(app->store, &req->who, req->body, req->body_len, req->arena,
                                        &res, &e);
    if (rc && res.nerrors) {
        /* a problem document with every bad row */
        struct json_object *o = json_object_new_object();
        KV(o, "type", STR("urn:ruralink:problem:invalid-rows"));
        KV(o, "title", STR("Invalid rows"));
        KV(o, "status", I64(422));
        KV(o, "detail", STR(e.msg));
        KV(o, "instance", STR(req->path));
        struct json_object *arr = json_object_new_array();
        for (size_t i = 0; i < res.nerrors; i++) {
            struct json_object *r = json_object_new_object();
            KV(r, "row", I64(res.errors[i].row));
            KV(r, "line", I64(res.errors[i].row + 1));
            KV(r, "message", STR(res.errors[i].msg));
            json_object_array_add(arr, r);
        }
        KV(o, "errors", arr);
        size_t n;
        const char *s = rjson_str(o, &n);
        http_resp_bytes(w, 422, "application/problem+json", s, n);
        json_object_put(o);
        return;
    }
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    KV(o, "created", I64(res.created));
    KV(o, "updated", I64(res.updated));
    http_resp_json(w, 200, o);
}

static void h_products_export(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct strbuf sb;
    strbuf_init(&sb, 0);
    if (market_products_export_csv(app->store, &req->who, &sb, &e)) {
        strbuf_release(&sb);
        http_resp_err(w, &e);
        return;
    }
    http_resp_header(w, "Content-Disposition", "attachment; filename=\"products.csv\"");
    http_resp_strbuf(w, 200, "text/csv; charset=utf-8", &sb);
}

/* --------------------------------------------------------------- inventory */

static struct json_object *lot_json(const struct market_lot *l)
{
    struct json_object *o = json_object_new_object();
    KV(o, "id", I64(l->id));
    KV(o, "product_id", I64(l->product_id));
    KV(o, "node_id", I64(l->node_id));
    KV(o, "lot_code", STR(l->lot_code));
    KV(o, "harvest_date", hm_time(l->harvest_ms));
    KV(o, "pack_date", hm_time(l->pack_ms));
    KV(o, "expiry", hm_time(l->expiry_ms));
    KV(o, "qty", I64(l->qty));
    KV(o, "created_at", rjson_new_time(l->created_ms));
    return o;
}

static void h_inventory_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct market_lot_query q = {0};
    int empty = 0;
    struct market_lot_page pg;
    if (hm_query_id(req, "product_id", &q.product_id, &e) ||
        hm_query_id(req, "node_id", &q.node_id, &e) ||
        hm_query_flag(req, "include_empty", &empty, &e) ||
        http_query_i64(req, "limit", MARKET_LOTS_MAX, 1, MARKET_LOTS_MAX, &q.limit, &e) ||
        http_query_i64(req, "offset", 0, 0, INT64_MAX / 2, &q.offset, &e)) {
        http_resp_err(w, &e);
        return;
    }
    q.include_empty = empty > 0;
    if (market_inventory_list(app->store, &req->who, &q, req->arena, &pg, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < pg.n; i++)
        json_object_array_add(arr, lot_json(&pg.items[i]));
    struct json_object *o = json_object_new_object();
    KV(o, "items", arr);
    KV(o, "total_qty", I64(pg.total_qty)); /* every matching lot, not just this page */
    KV(o, "total_lots", I64(pg.matched));
    if (q.offset + (int64_t)pg.n < pg.matched)
        KV(o, "next_offset", I64(q.offset + (int64_t)pg.n));
    http_resp_json(w, 200, o);
}

static void h_lot_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"product_id", "node_id", "lot_code", "harvest_date",
                                       "pack_date",  "expiry",  "qty",      NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    struct market_lot l = {0};
    int64_t id = 0;
    int rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_i64(body, "product_id", true, &l.product_id, &e)) ||
                 (rc = rjson_get_i64(body, "node_id", true, &l.node_id, &e)) ||
                 (rc = rjson_get_i64(body, "qty", true, &l.qty, &e)) ||
                 (rc = hm_opt_str(body, "lot_code", &l.lot_code, &e)) ||
                 (rc = hm_opt_time(body, "harvest_date", &l.harvest_ms, &e)) ||
                 (rc = hm_opt_time(body, "pack_date", &l.pack_ms, &e)) ||
                 (rc = hm_opt_time(body, "expiry", &l.expiry_ms, &e))))
        rc = market_lot_add(app->store, &req->who, &l, &id, &e);
    json_object_put(body);
    struct market_lot_query q = {.lot_id = id, .include_empty = true};
    struct market_lot_page pg = {0};
    if (!rc)
        rc = market_inventory_list(app->store, &req->who, &q, req->arena, &pg, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (pg.n == 1) {
        hm_created(req, w, "/api/v1/inventory?product_id=%lld", l.product_id,
                   lot_json(&pg.items[0]));
        return;
    }
    http_resp_problem(w, 500, NULL, "lot %lld vanished", (long long)id);
}

static void h_lot_adjust(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"delta", "reason", NULL};
    struct err e = {0};
    struct json_object *body = NULL;
    int64_t id, delta;
    const char *reason;
    int rc = http_param_id(req, "id", &id, &e);
    if (!rc)
        rc = hm_body(req, keys, &body, &e);
    if (!rc && !((rc = rjson_get_i64(body, "delta", true, &delta, &e)) ||
                 (rc = rjson_get_str(body, "reason", true, &reason, &e))))
        rc = market_stock_adjust(app->store, &req->who, id, delta, reason, &e);
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    KV(o, "lot_id", I64(id));
    KV(o, "delta", I64(delta));
    http_resp_json(w, 200, o);
}

/* ------------------------------------------------------------------ routes */

#define SELLERS (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_MERCHANT))
#define READERS (SELLERS | AUTH_ROLE_BIT(AUTH_ROLE_AUDITOR))
#define ORDERERS (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_BUYER))
/* who reads orders (each its own share: market_order_list) */
#define ORDER_READERS (READERS | AUTH_ROLE_BIT(AUTH_ROLE_BUYER))
/* who moves orders: staff, the selling merchant, the buyer (cancel), drivers
** (delivered) */
#define ORDER_MOVERS                                                                               \
    (ORDERERS | AUTH_ROLE_BIT(AUTH_ROLE_MERCHANT) | AUTH_ROLE_BIT(AUTH_ROLE_DRIVER))

const struct http_route http_routes_market[] = {
    {"GET", "/api/v1/producers", h_producers_list, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/producers", h_producers_create, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/producers/{id}", h_producer_get, AUTH_ANY_USER, 0},
    {"PATCH", "/api/v1/producers/{id}", h_producer_patch, SELLERS, 0},
    {"POST", "/api/v1/producers/{id}/certifications", h_cert_add, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/products", h_products_list, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/products", h_products_create, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/products/export", h_products_export, READERS, 0},
    {"POST", "/api/v1/products/import", h_products_import, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/products/{id}", h_product_get, AUTH_ANY_USER, 0},
    {"PATCH", "/api/v1/products/{id}", h_product_patch, SELLERS, 0},
    {"GET", "/api/v1/inventory", h_inventory_list, READERS, 0},
    {"POST", "/api/v1/inventory/lots", h_lot_create, SELLERS, HTTP_IDEMPOTENT},
    {"POST", "/api/v1/inventory/lots/{id}/adjust", h_lot_adjust, SELLERS, HTTP_IDEMPOTENT},
    /* Orders handle Idempotency-Key themselves, in the order's own write
    ** (market_order_req.idem_key): no second write per order. */
    {"GET", "/api/v1/orders", hm_orders_list, ORDER_READERS, 0},
    {"POST", "/api/v1/orders", hm_orders_create, ORDERERS, HTTP_ASYNC},
    {"GET", "/api/v1/orders/{id}", hm_order_get, ORDER_READERS, 0},
    {"POST", "/api/v1/orders/{id}/status", hm_order_status, ORDER_MOVERS, 0},
    {"POST", "/api/v1/orders/{id}/payment", hm_order_payment, SELLERS, 0},
    {"GET", "/api/v1/live-sessions", hm_sessions_list, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/live-sessions", hm_sessions_create, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/live-sessions/{id}", hm_session_get, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/live-sessions/{id}/offers", hm_offers_list, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/live-sessions/{id}/offers", hm_offers_create, SELLERS, HTTP_IDEMPOTENT},
    {"PATCH", "/api/v1/live-sessions/{id}/offers/{offer_id}", hm_offer_patch, SELLERS, 0},
    {"DELETE", "/api/v1/live-sessions/{id}/offers/{offer_id}", hm_offer_delete, SELLERS, 0},
    {"POST", "/api/v1/live-sessions/{id}/close", hm_session_close, SELLERS, 0},
    {"GET", "/api/v1/live-sessions/{id}/posts", hm_posts_list, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/live-sessions/{id}/posts", hm_posts_create, SELLERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/live-sessions/{id}/report", hm_session_report, READERS, 0},
};
const size_t http_routes_market_len = RL_ARRAY_LEN(http_routes_market);
