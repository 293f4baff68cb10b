/*
** h_county.c: the county network over HTTP. CRUD for counties, townships,
** villages and nodes under /api/v1, and GET /api/v1/network.geojson.
**
** Every person may read; admins and operators write (POST creates with 201
** and Location, PATCH changes only the fields present, DELETE answers 204).
** The county is always the caller's (from the token): another county's ids
** answer 404. Bodies are JSON objects with only the documented keys:
** malformed JSON, unknown keys, wrong types and missing required fields are
** 400; well-formed input that breaks a rule (coordinates out of range, a
** station under a village point, households above population ...) is 422;
** a duplicate name or a delete that would orphan rows is 409. Nothing is
** written on any of these (each write is one store transaction).
**
** Lists answer {"items": [...], "next_cursor": "..." | null} and take limit
** (1-500, default 50), cursor (the previous next_cursor, opaque) and the
** filters of each resource.
*/
#include "http/http.h"

#include "county/county.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static int body_obj(struct http_req *req, const char *const *allowed, struct json_object **out,
                    struct err *e)
{
    int rc = http_body_json(req, out, e);
    if (rc)
        return rc;
    rc = rjson_only_keys(*out, allowed, e);
    if (rc) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

/* Field readers: 0 and *present when given, 0 and !*present when absent (or
** null, for optional fields), ERR_INVAL (400) on a wrong type or a missing
** required field. */
static int get_str(struct json_object *o, const char *key, bool required, char *dst, size_t cap,
                   bool *present, struct err *e)
{
    const char *v;
    int rc = rjson_get_str(o, key, required, &v, e);
    *present = rc == 0;
    if (rc == ERR_NOTFOUND && !required)
        return 0;
    if (rc)
        return rc;
    size_t n = strlen(v);
    struct json_object *jv = json_object_object_get(o, key);
    if ((size_t)json_object_get_string_len(jv) != n)
        return err_set(e, ERR_INVAL, "field '%s' must not contain NUL characters", key);
    if (n >= cap)
        return err_set(e, ERR_INVAL, "field '%s' is too long", key);
    memcpy(dst, v, n + 1);
    return 0;
}

static int get_i64(struct json_object *o, const char *key, bool required, int64_t *dst,
                   bool *present, struct err *e)
{
    int rc = rjson_get_i64(o, key, required, dst, e);
    *present = rc == 0;
    if (rc == ERR_NOTFOUND && !required)
        return 0;
    return rc;
}

static int get_int(struct json_object *o, const char *key, int *dst, bool *present, struct err *e)
{
    int64_t v = 0;
    int rc = get_i64(o, key, false, &v, present, e);
    if (rc || !*present)
        return rc;
    if (v < INT32_MIN || v > INT32_MAX)
        return err_set(e, ERR_INVAL, "field '%s' is out of range", key);
    *dst = (int)v;
    return 0;
}

/* An id that may be null (= none, 0): *present is true for null too. */
static int get_opt_id(struct json_object *o, const char *key, int64_t *dst, bool *present,
                      struct err *e)
{
    struct json_object *v;
    if (json_object_object_get_ex(o, key, &v) && v == NULL) {
        *dst = 0;
        *present = true;
        return 0;
    }
    return get_i64(o, key, false, dst, present, e);
}

/* lat and lon together (both required, or both absent when optional). */
static int get_loc(struct json_object *o, bool required, struct geo_point *p, bool *present,
                   struct err *e)
{
    int rc1 = rjson_get_double(o, "lat", required, &p->lat, e);
    if (rc1 && rc1 != ERR_NOTFOUND)
        return rc1;
    int rc2 = rjson_get_double(o, "lon", required, &p->lon, e);
    if (rc2 && rc2 != ERR_NOTFOUND)
        return rc2;
    if ((rc1 == 0) != (rc2 == 0))
        return err_set(e, ERR_INVAL, "fields 'lat' and 'lon' go together");
    *present = rc1 == 0;
    if (required && !*present)
        return err_set(e, ERR_INVAL, "fields 'lat' and 'lon' are required");
    return 0;
}

static void send_created(struct http_resp *w, const char *base, int64_t id,
                         struct json_object *body)
{
    char loc[96];
    snprintf(loc, sizeof loc, "%s/%lld", base, (long long)id);
    http_resp_header(w, "Location", loc);
    http_resp_json(w, 201, body);
}

static void send_page(struct http_resp *w, struct json_object *items, const char *cursor)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "next_cursor", cursor[0] ? json_object_new_string(cursor) : NULL);
    http_resp_json(w, 200, o);
}

/* limit, cursor and q, common to every list. */
struct page_args {
    int limit;
    const char *cursor;
    const char *q;
};

static int page_args(struct http_req *req, struct page_args *pa, struct err *e)
{
    int64_t limit;
    int rc = http_query_i64(req, "limit", COUNTY_LIST_DEFAULT, 1, COUNTY_LIST_MAX, &limit, e);
    if (rc)
        return rc;
    pa->limit = (int)limit;
    pa->cursor = http_query(req, "cursor");
    pa->q = http_query(req, "q");
    return 0;
}

static int path_id(struct http_req *req, int64_t *id, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    if (http_param_id(req, "id", id, &e)) {
        http_resp_err(w, &e);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------ one CRUD, four resources */

/* A record of any of the four resources. The create, get, patch and delete
** handlers are written once (res_*) over a table of typed adapters per
** resource (struct resource), so that a rule such as "INVAL from the service
** is 422" or "POST answers 201 with Location" lives in one place. */
union rec {
    struct county cty;
    struct county_township twp;
    struct county_village vil;
    struct county_node node;
};

struct resource {
    const char *path;        /* the collection, for Location */
    const char *const *keys; /* the keys a body may have */
    int (*parse)(struct json_object *o, bool patch, union rec *r, unsigned *mask, struct err *e);
    int (*create)(struct store *st, const struct auth_principal *who, union rec *r, int64_t *id,
                  struct err *e);
    int (*get)(struct store *st, const struct auth_principal *who, int64_t id, union rec *out,
               struct err *e);
    int (*update)(struct store *st, const struct auth_principal *who, int64_t id,
                  const union rec *in, unsigned mask, union rec *out, struct err *e);
    struct json_object *(*to_json)(const union rec *r);
};

/* The typed adapters of one resource: FIELD is its member of union rec, FN
** the prefix of its service functions (FN_create, FN_get, FN_update, and
** FN_to_json for its JSON). */
#define RES_ADAPTERS(FIELD, FN)                                                                    \
    static int FIELD##_create(struct store *st, const struct auth_principal *who, union rec *r,    \
                              int64_t *id, struct err *e)                                          \
    {                                                                                              \
        int rc = FN##_create(st, who, &r->FIELD, e);                                               \
        *id = r->FIELD.id;                                                                         \
        return rc;                                                                                 \
    }                                                                                              \
    static int FIELD##_get(struct store *st, const struct auth_principal *who, int64_t id,         \
                           union rec *out, struct err *e)                                          \
    {                                                                                              \
        return FN##_get(st, who, id, &out->FIELD, e);                                              \
    }                                                                                              \
    static int FIELD##_update(struct store *st, const struct auth_principal *who, int64_t id,      \
                              const union rec *in, unsigned mask, union rec *out, struct err *e)   \
    {                                                                                              \
        return FN##_update(st, who, id, &in->FIELD, mask, &out->FIELD, e);                         \
    }                                                                                              \
    static struct json_object *FIELD##_to_json(const union rec *r)                                 \
    {                                                                                              \
        return FN##_to_json(&r->FIELD);                                                            \
    }

static void res_create(const struct resource *rs, struct app *app, struct http_req *req,
                       struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct json_object *o;
    if (body_obj(req, rs->keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    union rec r;
    memset(&r, 0, sizeof r);
    unsigned mask;
    int rc = rs->parse(o, false, &r, &mask, &e);
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    int64_t id;
    if (rs->create(app->store, &req->who, &r, &id, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    send_created(w, rs->path, id, rs->to_json(&r));
}

static void res_get(const struct resource *rs, struct app *app, struct http_req *req,
                    struct http_resp *w)
{
    int64_t id;
    if (path_id(req, &id, w))
        return;
    struct err e;
    err_clear(&e);
    union rec r;
    if (rs->get(app->store, &req->who, id, &r, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, rs->to_json(&r));
}

static void res_patch(const struct resource *rs, struct app *app, struct http_req *req,
                      struct http_resp *w)
{
    int64_t id;
    if (path_id(req, &id, w))
        return;
    struct err e;
    err_clear(&e);
    struct json_object *o;
    if (body_obj(req, rs->keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    union rec in, out;
    memset(&in, 0, sizeof in);
    unsigned mask;
    int rc = rs->parse(o, true, &in, &mask, &e);
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (rs->update(app->store, &req->who, id, &in, mask, &out, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 200, rs->to_json(&out));
}

/* DELETE answers 204; the service says 409 when rows still refer to it. */
static void res_delete(int (*del)(struct store *, const struct auth_principal *, int64_t,
                                  struct err *),
                       struct app *app, struct http_req *req, struct http_resp *w)
{
    int64_t id;
    if (path_id(req, &id, w))
        return;
    struct err e;
    err_clear(&e);
    if (del(app->store, &req->who, id, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_bytes(w, 204, NULL, NULL, 0);
}

/* ------------------------------------------------------------- counties */

static int parse_county(struct json_object *o, bool patch, union rec *r, unsigned *mask,
                        struct err *e)
{
    struct county *c = &r->cty;
    bool p;
    *mask = 0;
    int rc = get_str(o, "code", !patch, c->code, sizeof c->code, &p, e);
    if (rc)
        return rc;
    *mask |= p ? COUNTY_F_CODE : 0;
    if ((rc = get_str(o, "name_zh", !patch, c->name_zh, sizeof c->name_zh, &p, e)))
        return rc;
    *mask |= p ? COUNTY_F_NAME_ZH : 0;
    if ((rc = get_str(o, "name_en", false, c->name_en, sizeof c->name_en, &p, e)))
        return rc;
    *mask |= p ? COUNTY_F_NAME_EN : 0;
    if ((rc = rjson_get_double(o, "circuity", false, &c->circuity, e)) == 0)
        *mask |= COUNTY_F_CIRCUITY;
    else if (rc != ERR_NOTFOUND)
        return rc;
    struct json_object *center;
    rc = rjson_get_obj(o, "center", !patch, &center, e);
    if (rc == 0) {
        if ((rc = get_loc(center, true, &c->center, &p, e)))
            return err_prefix(e, "center: ");
        *mask |= COUNTY_F_CENTER;
    } else if (rc != ERR_NOTFOUND) {
        return rc;
    }
    return 0;
}

static const char *const county_keys[] = {"code", "name_zh", "name_en", "circuity", "center", NULL};

RES_ADAPTERS(cty, county)

static const struct resource county_res = {
    "/api/v1/counties", county_keys, parse_county, cty_create, cty_get, cty_update, cty_to_json};

static void h_counties_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct county c;
    if (county_get(app->store, &req->who, req->who.county_id, &c, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *items = json_object_new_array();
    json_object_array_add(items, county_to_json(&c));
    send_page(w, items, "");
}

static void h_counties_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_create(&county_res, app, req, w);
}

static void h_county_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_get(&county_res, app, req, w);
}

static void h_county_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_patch(&county_res, app, req, w);
}

/* ------------------------------------------------------------ townships */

static const char *const township_keys[] = {"name_zh", "name_en", "lat", "lon", NULL};

static int parse_township(struct json_object *o, bool patch, union rec *r, unsigned *mask,
                          struct err *e)
{
    struct county_township *t = &r->twp;
    bool p;
    *mask = 0;
    int rc = get_str(o, "name_zh", !patch, t->name_zh, sizeof t->name_zh, &p, e);
    if (rc)
        return rc;
    *mask |= p ? TOWNSHIP_F_NAME_ZH : 0;
    if ((rc = get_str(o, "name_en", false, t->name_en, sizeof t->name_en, &p, e)))
        return rc;
    *mask |= p ? TOWNSHIP_F_NAME_EN : 0;
    if ((rc = get_loc(o, !patch, &t->loc, &p, e)))
        return rc;
    *mask |= p ? TOWNSHIP_F_LOC : 0;
    return 0;
}

RES_ADAPTERS(twp, county_township)

static const struct resource township_res = {"/api/v1/townships", township_keys, parse_township,
                                             twp_create,          twp_get,       twp_update,
                                             twp_to_json};

static void h_townships_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct page_args pa;
    if (page_args(req, &pa, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct county_township_filter f = {pa.q, pa.limit, pa.cursor};
    struct county_township *items = NULL;
    size_t n = 0;
    char cur[COUNTY_CURSOR_BUF];
    if (county_township_list(app->store, &req->who, &f, &items, &n, cur, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, county_township_to_json(&items[i]));
    free(items);
    send_page(w, arr, cur);
}

static void h_townships_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_create(&township_res, app, req, w);
}

static void h_township_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_get(&township_res, app, req, w);
}

static void h_township_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_patch(&township_res, app, req, w);
}

static void h_township_delete(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_delete(county_township_delete, app, req, w);
}

/* ------------------------------------------------------------- villages */

static const char *const village_keys[] = {"township_id", "name_zh",    "name_en",
                                           "population",  "households", "elevation_m",
                                           "lat",         "lon",        NULL};

static int parse_village(struct json_object *o, bool patch, union rec *r, unsigned *mask,
                         struct err *e)
{
    struct county_village *v = &r->vil;
    bool p;
    *mask = 0;
    int rc = get_i64(o, "township_id", !patch, &v->township_id, &p, e);
    if (rc)
        return rc;
    *mask |= p ? VILLAGE_F_TOWNSHIP : 0;
    if ((rc = get_str(o, "name_zh", !patch, v->name_zh, sizeof v->name_zh, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_NAME_ZH : 0;
    if ((rc = get_str(o, "name_en", false, v->name_en, sizeof v->name_en, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_NAME_EN : 0;
    if ((rc = get_i64(o, "population", false, &v->population, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_POPULATION : 0;
    if ((rc = get_i64(o, "households", false, &v->households, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_HOUSEHOLDS : 0;
    if ((rc = get_i64(o, "elevation_m", false, &v->elevation_m, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_ELEVATION : 0;
    if ((rc = get_loc(o, !patch, &v->loc, &p, e)))
        return rc;
    *mask |= p ? VILLAGE_F_LOC : 0;
    return 0;
}

RES_ADAPTERS(vil, county_village)

static const struct resource village_res = {
    "/api/v1/villages", village_keys, parse_village, vil_create, vil_get, vil_update, vil_to_json};

static void h_villages_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct page_args pa;
    int64_t twp;
    if (page_args(req, &pa, &e) || http_query_i64(req, "township_id", 0, 1, INT64_MAX, &twp, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct county_village_filter f = {twp, pa.q, pa.limit, pa.cursor};
    struct county_village *items = NULL;
    size_t n = 0;
    char cur[COUNTY_CURSOR_BUF];
    if (county_village_list(app->store, &req->who, &f, &items, &n, cur, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, county_village_to_json(&items[i]));
    free(items);
    send_page(w, arr, cur);
}

static void h_villages_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_create(&village_res, app, req, w);
}

static void h_village_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_get(&village_res, app, req, w);
}

static void h_village_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_patch(&village_res, app, req, w);
}

static void h_village_delete(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_delete(county_village_delete, app, req, w);
}

/* ---------------------------------------------------------------- nodes */

static const char *const node_keys[] = {
    "kind",       "name",        "name_en",          "lat",      "lon",
    "parent_id",  "township_id", "village_id",       "open_min", "close_min",
    "capacity_g", "capacity_ml", "cold_capacity_ml", "active",   NULL};

/* The optional numeric fields of a node: key, destination, mask bit. */
static int parse_node_numbers(struct json_object *o, struct county_node *nd, unsigned *mask,
                              struct err *e)
{
    struct {
        const char *key;
        int64_t *dst;
        unsigned bit;
    } ids[] = {{"parent_id", &nd->parent_id, NODE_F_PARENT},
               {"township_id", &nd->township_id, NODE_F_TOWNSHIP},
               {"village_id", &nd->village_id, NODE_F_VILLAGE}},
      sizes[] = {{"capacity_g", &nd->capacity_g, NODE_F_CAPACITY_G},
                 {"capacity_ml", &nd->capacity_ml, NODE_F_CAPACITY_ML},
                 {"cold_capacity_ml", &nd->cold_capacity_ml, NODE_F_COLD_ML}};
    bool p;
    int rc;
    for (size_t i = 0; i < RL_ARRAY_LEN(ids); i++) {
        if ((rc = get_opt_id(o, ids[i].key, ids[i].dst, &p, e)))
            return rc;
        *mask |= p ? ids[i].bit : 0;
    }
    for (size_t i = 0; i < RL_ARRAY_LEN(sizes); i++) {
        if ((rc = get_i64(o, sizes[i].key, false, sizes[i].dst, &p, e)))
            return rc;
        *mask |= p ? sizes[i].bit : 0;
    }
    if ((rc = get_int(o, "open_min", &nd->open_min, &p, e)))
        return rc;
    *mask |= p ? NODE_F_OPEN : 0;
    if ((rc = get_int(o, "close_min", &nd->close_min, &p, e)))
        return rc;
    *mask |= p ? NODE_F_CLOSE : 0;
    return 0;
}

static int parse_node(struct json_object *o, bool patch, union rec *r, unsigned *mask,
                      struct err *e)
{
    struct county_node *nd = &r->node;
    bool p;
    *mask = 0;
    const char *kind;
    int rc = rjson_get_str(o, "kind", !patch, &kind, e);
    if (rc == 0) {
        enum county_node_kind k;
        if (county_node_kind_parse(kind, &k))
            return err_set(e, ERR_INVAL,
                           "field 'kind' must be county_hub, township_station, village_point "
                           "or cold_store");
        nd->kind = k;
        *mask |= NODE_F_KIND;
    } else if (rc != ERR_NOTFOUND) {
        return rc;
    }
    if ((rc = get_str(o, "name", !patch, nd->name, sizeof nd->name, &p, e)))
        return rc;
    *mask |= p ? NODE_F_NAME : 0;
    if ((rc = get_str(o, "name_en", false, nd->name_en, sizeof nd->name_en, &p, e)))
        return rc;
    *mask |= p ? NODE_F_NAME_EN : 0;
    if ((rc = get_loc(o, !patch, &nd->loc, &p, e)))
        return rc;
    *mask |= p ? NODE_F_LOC : 0;
    if ((rc = parse_node_numbers(o, nd, mask, e)))
        return rc;
    bool active = true;
    if ((rc = rjson_get_bool(o, "active", false, &active, e)) == 0)
        *mask |= NODE_F_ACTIVE;
    else if (rc != ERR_NOTFOUND)
        return rc;
    nd->active = active;
    return 0;
}

RES_ADAPTERS(node, county_node)

static const struct resource node_res = {"/api/v1/nodes", node_keys,   parse_node,  node_create,
                                         node_get,        node_update, node_to_json};

static void h_nodes_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct page_args pa;
    struct county_node_filter f = COUNTY_NODE_FILTER_ANY;
    if (page_args(req, &pa, &e) ||
        http_query_i64(req, "parent_id", 0, 1, INT64_MAX, &f.parent_id, &e) ||
        http_query_i64(req, "township_id", 0, 1, INT64_MAX, &f.township_id, &e) ||
        http_query_i64(req, "village_id", 0, 1, INT64_MAX, &f.village_id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    const char *kind = http_query(req, "kind");
    if (kind) {
        enum county_node_kind k;
        if (county_node_kind_parse(kind, &k)) {
            http_resp_problem(w, 400, "Bad Request",
                              "query parameter 'kind' must be county_hub, township_station, "
                              "village_point or cold_store");
            return;
        }
        f.kind = (int)k;
    }
    f.q = pa.q;
    f.limit = pa.limit;
    f.cursor = pa.cursor;
    struct county_node *items = NULL;
    size_t n = 0;
    char cur[COUNTY_CURSOR_BUF];
    if (county_node_list(app->store, &req->who, &f, &items, &n, cur, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, county_node_to_json(&items[i]));
    free(items);
    send_page(w, arr, cur);
}

static void h_nodes_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_create(&node_res, app, req, w);
}

static void h_node_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_get(&node_res, app, req, w);
}

static void h_node_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_patch(&node_res, app, req, w);
}

static void h_node_delete(struct app *app, struct http_req *req, struct http_resp *w)
{
    res_delete(county_node_delete, app, req, w);
}

/* -------------------------------------------------------------- GeoJSON */

static void h_network_geojson(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct county_network net;
    if (county_network_load(app->store, &req->who, &net, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct strbuf sb;
    strbuf_init(&sb, 0);
    int rc = county_network_geojson(&net, &sb, &e);
    county_network_release(&net);
    if (rc) {
        strbuf_release(&sb);
        http_resp_err(w, &e);
        return;
    }
    http_resp_bytes(w, 200, "application/geo+json", sb.buf, sb.len);
    strbuf_release(&sb);
}

/* --------------------------------------------------------------- routes */

#define READ AUTH_ANY_USER
#define WRITE AUTH_STAFF
#define ADMIN AUTH_ROLE_BIT(AUTH_ROLE_ADMIN)

const struct http_route http_routes_county[] = {
    {"GET", "/api/v1/counties", h_counties_list, READ, 0},
    {"POST", "/api/v1/counties", h_counties_create, ADMIN, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/counties/{id}", h_county_get, READ, 0},
    {"PATCH", "/api/v1/counties/{id}", h_county_patch, WRITE, 0},
    {"GET", "/api/v1/townships", h_townships_list, READ, 0},
    {"POST", "/api/v1/townships", h_townships_create, WRITE, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/townships/{id}", h_township_get, READ, 0},
    {"PATCH", "/api/v1/townships/{id}", h_township_patch, WRITE, 0},
    {"DELETE", "/api/v1/townships/{id}", h_township_delete, WRITE, 0},
    {"GET", "/api/v1/villages", h_villages_list, READ, HTTP_CACHEABLE},
    {"POST", "/api/v1/villages", h_villages_create, WRITE, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/villages/{id}", h_village_get, READ, 0},
    {"PATCH", "/api/v1/villages/{id}", h_village_patch, WRITE, 0},
    {"DELETE", "/api/v1/villages/{id}", h_village_delete, WRITE, 0},
    {"GET", "/api/v1/nodes", h_nodes_list, READ, 0},
    {"POST", "/api/v1/nodes", h_nodes_create, WRITE, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/nodes/{id}", h_node_get, READ, 0},
    {"PATCH", "/api/v1/nodes/{id}", h_node_patch, WRITE, 0},
    {"DELETE", "/api/v1/nodes/{id}", h_node_delete, WRITE, 0},
    {"GET", "/api/v1/network.geojson", h_network_geojson, READ, 0},
};
const size_t http_routes_county_len = RL_ARRAY_LEN(http_routes_county);
