/*
** h_logistics.c: logistics over HTTP (src/logistics/logistics.h).
**
**   GET/POST   /api/v1/vehicles            the fleet
**   GET/PATCH  /api/v1/vehicles/{id}
**   GET/PUT    /api/v1/travel              travel-model settings
**   POST       /api/v1/travel/matrix       import a measured matrix (CSV body)
**   GET/POST   /api/v1/consignments        upward pickups (?date=, ?until=, ?status=)
**   POST       /api/v1/plans               dispatch: runs as a job; waits up to
**                                          the time limit + 10 s, then 201 with
**                                          the plan, else 202 with the job
**   GET        /api/v1/plans               ?date=
**   POST       /api/v1/plans/baseline      import fixed routes as a baseline (of
**                                          the date's work, or plan_id's)
**   GET        /api/v1/plans/compare       ?a=&b= (KPIs, overloads, shared work)
**   GET        /api/v1/plans/{id}          routes, stops, items, unassigned
**   GET        /api/v1/plans/{id}/kpis     stored KPIs and a recomputation
**   POST       /api/v1/plans/{id}/approve
**   GET        /api/v1/plans/{id}/sheets   ?format=json|csv|geojson|html&route_id=&lang=zh|en
**
** Bad input is problem+json (400 malformed, 422 rule broken) and writes
** nothing; ids of other counties are 404. POSTs that create honour an
** Idempotency-Key (a retry answers the first plan instead of planning again).
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "logistics/logistics.h"

#define LG_WAIT_MARGIN_S 10.0
#define READERS (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_AUDITOR))
#define FLEET_READERS (READERS | AUTH_ROLE_BIT(AUTH_ROLE_DRIVER))

static int parse_date(const char *s, int64_t *out, struct err *e)
{
    if (!s || time_parse_date(s, out))
        return err_set(e, ERR_INVAL, "date must be YYYY-MM-DD");
    return 0;
}

/* ---------------------------------------------------------------- fleet */

static const char *const VEHICLE_KEYS[] = {
    "plate",         "depot_node_id",   "capacity_g",        "capacity_ml",    "refrigerated",
    "temp_class",    "cost_per_km_fen", "cost_per_hour_fen", "fixed_cost_fen", "shift_start_min",
    "shift_end_min", "co2_g_per_km",    "driver_user_id",    "active",         NULL};

/* Apply the body's fields onto v; required: all create fields. */
static int vehicle_from_body(struct json_object *o, struct logistics_vehicle *v, bool create,
                             struct err *e)
{
    int rc = rjson_only_keys(o, VEHICLE_KEYS, e);
    if (rc)
        return rc;
    const char *s;
    if ((rc = rjson_get_str(o, "plate", create, &s, e)) == 0) {
        if (strlen(s) >= sizeof v->plate)
            return err_set(e, ERR_INVAL, "field 'plate' is too long");
        snprintf(v->plate, sizeof v->plate, "%s", s);
    } else if (rc != ERR_NOTFOUND)
        return rc;
    struct {
        const char *k;
        int64_t *p;
        bool req;
    } ints[] = {{"depot_node_id", &v->depot_node_id, create},
                {"capacity_g", &v->capacity_g, create},
                {"capacity_ml", &v->capacity_ml, create},
                {"cost_per_km_fen", &v->cost_per_km_fen, false},
                {"cost_per_hour_fen", &v->cost_per_hour_fen, false},
                {"fixed_cost_fen", &v->fixed_cost_fen, false},
                {"co2_g_per_km", &v->co2_g_per_km, false},
                {"driver_user_id", &v->driver_user_id, false}};
    for (size_t i = 0; i < RL_ARRAY_LEN(ints); i++)
        if ((rc = rjson_get_i64(o, ints[i].k, ints[i].req, ints[i].p, e)) && rc != ERR_NOTFOUND)
            return rc;
    int64_t x;
    if ((rc = rjson_get_i64(o, "shift_start_min", false, &x, e)) == 0)
        v->shift_start_min = x < -1 || x > 100000 ? -1 : (int)x;
    else if (rc != ERR_NOTFOUND)
        return rc;
    if ((rc = rjson_get_i64(o, "shift_end_min", false, &x, e)) == 0)
        v->shift_end_min = x < -1 || x > 100000 ? -1 : (int)x;
    else if (rc != ERR_NOTFOUND)
        return rc;
    bool b;
    if ((rc = rjson_get_bool(o, "refrigerated", false, &b, e)) == 0) {
        if (!b)
            v->temp = LOGISTICS_TEMP_NONE;
        else if (v->temp == LOGISTICS_TEMP_NONE)
            v->temp = LOGISTICS_TEMP_CHILLED;
    } else if (rc != ERR_NOTFOUND)
        return rc;
    if ((rc = rjson_get_str(o, "temp_class", false, &s, e)) == 0) {
        if (logistics_temp_parse(s, &v->temp))
            return err_set(e, ERR_INVAL,
                           "field 'temp_class' must be none, chilled, frozen or multi");
    } else if (rc != ERR_NOTFOUND)
        return rc;
    if ((rc = rjson_get_bool(o, "active", false, &b, e)) == 0)
        v->active = b;
    else if (rc != ERR_NOTFOUND)
        return rc;
    return 0;
}

static void h_vehicle_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t depot = 0;
    if (http_query_i64(req, "depot_node_id", 0, 1, INT64_MAX, &depot, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_vehicle *v;
    size_t n;
    if (logistics_vehicle_list(app->store, &req->who, depot, true, &v, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, logistics_vehicle_to_json(&v[i]));
    free(v);
    http_resp_items(w, arr);
}

static void h_vehicle_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (http_body_json(req, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_vehicle v = {
        .shift_start_min = 7 * 60, .shift_end_min = 19 * 60, .active = true};
    int rc = vehicle_from_body(body, &v, true, &e);
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (logistics_vehicle_create(app->store, &req->who, &v, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 201, logistics_vehicle_to_json(&v));
}

static void h_vehicle_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct logistics_vehicle v;
    if (http_param_id(req, "id", &id, &e) ||
        logistics_vehicle_get(app->store, &req->who, id, &v, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, logistics_vehicle_to_json(&v));
}

static void h_vehicle_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct logistics_vehicle v;
    struct json_object *body = NULL;
    if (http_param_id(req, "id", &id, &e) || http_body_json(req, &body, &e) ||
        logistics_vehicle_get(app->store, &req->who, id, &v, &e)) {
        json_object_put(body);
        http_resp_err(w, &e);
        return;
    }
    int rc = vehicle_from_body(body, &v, false, &e);
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (logistics_vehicle_update(app->store, &req->who, &v, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 200, logistics_vehicle_to_json(&v));
}

/* --------------------------------------------------------------- travel */

static struct json_object *travel_json(const struct logistics_travel_cfg *c)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "circuity", rjson_new_double(c->circuity, 6));
    json_object_object_add(o, "road_class", json_object_new_string(geo_road_class_name(c->road)));
    json_object_object_add(o, "speed_kmh", rjson_new_double(c->speed_kmh, 6));
    json_object_object_add(o, "use_matrix", json_object_new_boolean(c->use_matrix));
    json_object_object_add(o, "matrix_pairs", json_object_new_int64(c->matrix_pairs));
    json_object_object_add(o, "version", json_object_new_int64(c->version));
    return o;
}

static void h_travel_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct logistics_travel_cfg c;
    if (logistics_travel_get(app->store, &req->who, &c, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, travel_json(&c));
}

static void h_travel_put(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (http_body_json(req, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"circuity", "road_class", "speed_kmh", "use_matrix", NULL};
    struct logistics_travel_cfg c = {.road = GEO_ROAD_TOWNSHIP};
    const char *road = NULL;
    int rc = rjson_only_keys(body, keys, &e);
    if (!rc && (rc = rjson_get_double(body, "circuity", false, &c.circuity, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_double(body, "speed_kmh", false, &c.speed_kmh, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_bool(body, "use_matrix", false, &c.use_matrix, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(body, "road_class", false, &road, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && road && geo_road_class_parse(road, &c.road))
        rc = err_set(&e, ERR_INVAL, "field 'road_class' is unknown");
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (logistics_travel_set(app->store, &req->who, &c, &e) ||
        logistics_travel_get(app->store, &req->who, &c, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 200, travel_json(&c));
}

static void h_travel_matrix(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t rows = 0;
    if (logistics_travel_import_csv(app->store, &req->who, req->body, req->body_len, &rows, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "pairs", json_object_new_int64(rows));
    http_resp_json(w, 200, o);
}

/* --------------------------------------------------------- consignments */

static const char *const STORAGE[] = {"ambient", "chilled", "frozen"};

static struct json_object *cons_json(const struct logistics_consignment *c)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(c->id));
    json_object_object_add(o, "village_id", json_object_new_int64(c->village_id));
    json_object_object_add(o, "from_node_id", json_object_new_int64(c->from_node_id));
    json_object_object_add(o, "to_node_id", json_object_new_int64(c->to_node_id));
    char day[32];
    time_fmt_rfc3339(c->date_ms, day);
    day[10] = 0;
    json_object_object_add(o, "date", json_object_new_string(day));
    json_object_object_add(o, "weight_g", json_object_new_int64(c->weight_g));
    json_object_object_add(o, "volume_ml", json_object_new_int64(c->volume_ml));
    json_object_object_add(o, "storage", json_object_new_string(STORAGE[c->storage % 3]));
    json_object_object_add(o, "description", json_object_new_string(c->description));
    json_object_object_add(o, "status", json_object_new_string(c->status));
    /* where the goods are now: at_node_id is where they were last unloaded
    ** (a depot they came back to, or their destination), plan_id the
    ** approved plan that holds them (or delivered them) */
    json_object_object_add(o, "location",
                           json_object_new_string(logistics_consignment_location(c)));
    json_object_object_add(o, "at_node_id",
                           c->at_node_id ? json_object_new_int64(c->at_node_id) : NULL);
    json_object_object_add(o, "plan_id", c->plan_id ? json_object_new_int64(c->plan_id) : NULL);
    return o;
}

/* ?date= (that date), ?until= (that date or earlier), ?status=: open with
** until lists what a dispatch of that date still finds waiting, overdue
** ones of earlier dates included. */
static void h_cons_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct logistics_consignment_filter f = {0};
    const char *d = http_query(req, "date"), *u = http_query(req, "until");
    f.status = http_query(req, "status");
    if ((d && parse_date(d, &f.date_ms, &e)) || (u && parse_date(u, &f.until_ms, &e))) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_consignment *c;
    size_t n;
    if (logistics_consignment_list(app->store, &req->who, &f, &c, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, cons_json(&c[i]));
    free(c);
    http_resp_items(w, arr);
}

static void h_cons_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (http_body_json(req, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"village_id", "from_node_id", "to_node_id",
                                       "date",       "weight_g",     "volume_ml",
                                       "storage",    "description",  NULL};
    struct logistics_consignment c = {0};
    const char *date = NULL, *storage = NULL, *desc = NULL;
    int rc = rjson_only_keys(body, keys, &e);
    if (!rc)
        rc = rjson_get_i64(body, "village_id", true, &c.village_id, &e);
    if (!rc)
        rc = rjson_get_str(body, "date", true, &date, &e);
    if (!rc)
        rc = rjson_get_i64(body, "weight_g", true, &c.weight_g, &e);
    if (!rc &&
        (rc = rjson_get_i64(body, "from_node_id", false, &c.from_node_id, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(body, "to_node_id", false, &c.to_node_id, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(body, "volume_ml", false, &c.volume_ml, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(body, "storage", false, &storage, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(body, "description", false, &desc, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = parse_date(date, &c.date_ms, &e);
    if (!rc && storage) {
        rc = err_set(&e, ERR_INVAL, "field 'storage' must be ambient, chilled or frozen");
        for (int i = 0; i < 3; i++)
            if (strcmp(storage, STORAGE[i]) == 0) {
                c.storage = (enum logistics_storage)i;
                rc = 0;
            }
    }
    if (!rc && desc) {
        if (strlen(desc) >= sizeof c.description)
            rc = err_set(&e, ERR_INVAL, "field 'description' is too long");
        else
            snprintf(c.description, sizeof c.description, "%s", desc);
    }
    json_object_put(body);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (logistics_consignment_create(app->store, &req->who, &c, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 201, cons_json(&c));
}

/* ---------------------------------------------------------------- plans */

struct dispatch_job {
    struct app *app;
    struct auth_principal who;
    struct logistics_dispatch_req req;
    char name[LOGISTICS_TEXT_BUF];
    struct jobs_ctx *ctx;
};

static int dj_progress(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s)
{
    struct dispatch_job *dj = arg;
    char msg[96];
    snprintf(msg, sizeof msg, "best cost %lld fen, %d stops unassigned", (long long)best_cost,
             n_unassigned);
    double limit = dj->req.params.time_limit_s;
    jobs_ctx_progress(dj->ctx, limit > 0 && elapsed_s < limit ? elapsed_s / limit : 0.99, msg);
    return jobs_ctx_should_stop(dj->ctx);
}

static int dj_run(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    struct dispatch_job *dj = arg;
    dj->ctx = ctx;
    dj->req.params.progress = dj_progress;
    dj->req.params.progress_arg = dj;
    dj->req.name = dj->name;
    int64_t id = 0;
    int rc = logistics_dispatch(dj->app->logistics, dj->app->store, &dj->who, &dj->req, &id, e);
    if (rc)
        return rc;
    return strbuf_addf(result, "{\"plan_id\":%lld,\"href\":\"/api/v1/plans/%lld\"}", (long long)id,
                       (long long)id);
}

static void plan_answer(struct app *app, struct http_req *req, struct http_resp *w, int64_t id,
                        int status)
{
    struct err e = {0};
    struct logistics_plan p;
    logistics_plan_init(&p);
    if (logistics_plan_get(app->store, &req->who, id, &p, &e)) {
        logistics_plan_release(&p);
        http_resp_err(w, &e);
        return;
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/plans/%lld", (long long)id);
    if (status == 201)
        http_resp_header(w, "Location", loc);
    http_resp_json(w, status, logistics_plan_to_json(&p, true));
    logistics_plan_release(&p);
}

static void h_plan_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body;
    if (http_body_json(req, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"date", "depot_node_id", "time_limit_s",
                                       "seed", "name",          NULL};
    struct dispatch_job *dj = xcalloc(1, sizeof *dj);
    dj->app = app;
    dj->who = req->who;
    logistics_plan_params_default(&dj->req.params);
    dj->req.params.time_limit_s = 5;
    const char *date = NULL, *name = NULL;
    int64_t seed = 1;
    int rc = rjson_only_keys(body, keys, &e);
    if (!rc)
        rc = rjson_get_str(body, "date", true, &date, &e);
    if (!rc)
        rc = rjson_get_i64(body, "depot_node_id", true, &dj->req.depot_node_id, &e);
    if (!rc && (rc = rjson_get_double(body, "time_limit_s", false, &dj->req.params.time_limit_s,
                                      &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(body, "seed", false, &seed, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(body, "name", false, &name, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = parse_date(date, &dj->req.date_ms, &e);
    if (!rc && !(dj->req.params.time_limit_s > 0 &&
                 dj->req.params.time_limit_s <= LOGISTICS_TIME_LIMIT_MAX_S))
        rc = err_set(&e, ERR_INVAL, "time_limit_s must be in (0, %g]", LOGISTICS_TIME_LIMIT_MAX_S);
    if (!rc && name && (strlen(name) >= sizeof dj->name || !utf8_valid(name, strlen(name))))
        rc = err_set(&e, ERR_INVAL, "field 'name' is too long");
    if (!rc && name)
        snprintf(dj->name, sizeof dj->name, "%s", name);
    dj->req.params.seed = (uint64_t)seed;
    json_object_put(body);
    if (rc) {
        free(dj);
        http_resp_err(w, &e);
        return;
    }
    /* the service's own checks (a date before the county's today among
    ** them) before a job is queued: a refused plan queues nothing */
    if (logistics_dispatch_check(&req->who, &dj->req, &e)) {
        free(dj);
        http_resp_rule_err(w, &e);
        return;
    }
    double limit = dj->req.params.time_limit_s;
    struct jobs_spec spec = {.kind = "dispatch",
                             .county_id = req->who.county_id,
                             .owner_user_id = req->who.user_id,
                             .time_limit_s = limit,
                             .fn = dj_run,
                             .arg = dj,
                             .free_arg = free};
    struct jobs_info info;
    if (http__job_run(app, &spec, limit + LG_WAIT_MARGIN_S, w, &info))
        return;
    struct json_object *r = NULL;
    int64_t id = 0;
    if (rjson_parse(info.result, info.result_len, &r, NULL) == 0)
        rjson_get_i64(r, "plan_id", true, &id, NULL);
    json_object_put(r);
    jobs_info_release(&info);
    plan_answer(app, req, w, id, 201);
}

static void h_plan_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t date = 0;
    const char *d = http_query(req, "date");
    if (d && parse_date(d, &date, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_plan *list;
    size_t n;
    if (logistics_plan_list(app->store, &req->who, date, &list, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, logistics_plan_to_json(&list[i], false));
    free(list);
    http_resp_items(w, arr);
}

static void h_plan_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    if (http_param_id(req, "id", &id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    plan_answer(app, req, w, id, 200);
}

static void h_plan_kpis(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct logistics_plan p;
    logistics_plan_init(&p);
    if (http_param_id(req, "id", &id, &e) ||
        logistics_plan_get(app->store, &req->who, id, &p, &e)) {
        logistics_plan_release(&p);
        http_resp_err(w, &e);
        return;
    }
    struct logistics_kpis k;
    logistics_kpis_compute(&p, &k);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "plan_id", json_object_new_int64(p.id));
    json_object_object_add(o, "kpis", logistics_kpis_to_json(&p.kpis));
    json_object_object_add(o, "recomputed_equal",
                           json_object_new_boolean(memcmp(&k, &p.kpis, sizeof k) == 0));
    logistics_plan_release(&p);
    http_resp_json(w, 200, o);
}

static void h_plan_compare(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t a, b;
    /* an absent id would read as 0 and answer "no plan 0" */
    const char *missing = !http_query(req, "a") ? "a" : !http_query(req, "b") ? "b" : NULL;
    if (missing) {
        http_resp_problem(w, 400, "Missing parameter",
                          "query parameter '%s' (a plan id) is required", missing);
        return;
    }
    if (http_query_i64(req, "a", 0, 1, INT64_MAX, &a, &e) ||
        http_query_i64(req, "b", 0, 1, INT64_MAX, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_plan pa, pb;
    logistics_plan_init(&pa);
    logistics_plan_init(&pb);
    if (logistics_plan_get(app->store, &req->who, a, &pa, &e) ||
        logistics_plan_get(app->store, &req->who, b, &pb, &e))
        http_resp_err(w, &e);
    else
        http_resp_json(w, 200, logistics_compare_json(&pa, &pb));
    logistics_plan_release(&pa);
    logistics_plan_release(&pb);
}

static void h_plan_approve(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    if (http_param_id(req, "id", &id, &e) ||
        logistics_plan_approve(app->store, &req->who, id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    plan_answer(app, req, w, id, 200);
}

static void h_plan_baseline(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *body, *routes;
    if (http_body_json(req, &body, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"date", "depot_node_id", "name", "routes", "plan_id", NULL};
    const char *date = NULL, *name = NULL;
    int64_t depot = 0, date_ms = 0, src_plan = 0;
    int rc = rjson_only_keys(body, keys, &e);
    if (!rc)
        rc = rjson_get_str(body, "date", true, &date, &e);
    if (!rc)
        rc = rjson_get_i64(body, "depot_node_id", true, &depot, &e);
    if (!rc && (rc = rjson_get_str(body, "name", false, &name, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(body, "plan_id", false, &src_plan, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && src_plan <= 0 && json_object_object_get_ex(body, "plan_id", NULL))
        rc = err_set(&e, ERR_INVAL, "field 'plan_id' must be a plan id");
    if (!rc)
        rc = rjson_get_array(body, "routes", true, &routes, &e);
    if (!rc)
        rc = parse_date(date, &date_ms, &e);
    size_t n = rc ? 0 : json_object_array_length(routes);
    if (!rc && (n == 0 || n > LOGISTICS_MAX_VEHICLES))
        rc = err_set(&e, ERR_INVAL, "field 'routes' must hold 1 to %d routes",
                     LOGISTICS_MAX_VEHICLES);
    struct logistics_fixed_route *fr = xcalloc(n + 1, sizeof *fr);
    static const char *const rkeys[] = {"vehicle_id", "stops", NULL};
    for (size_t i = 0; i < n && !rc; i++) {
        struct json_object *r = json_object_array_get_idx(routes, i), *stops;
        if (!json_object_is_type(r, json_type_object)) {
            rc = err_set(&e, ERR_INVAL, "routes[%zu] must be an object", i);
            break;
        }
        if ((rc = rjson_only_keys(r, rkeys, &e)) ||
            (rc = rjson_get_i64(r, "vehicle_id", true, &fr[i].vehicle_id, &e)) ||
            (rc = rjson_get_array(r, "stops", true, &stops, &e))) {
            err_prefix(&e, "routes[%zu]: ", i);
            break;
        }
        size_t m = json_object_array_length(stops);
        if (m == 0 || m > 10000) {
            rc = err_set(&e, ERR_INVAL, "routes[%zu].stops must hold 1 to 10000 node ids", i);
            break;
        }
        int64_t *ids = arena_alloc(req->arena, m * sizeof *ids);
        for (size_t q = 0; q < m && !rc; q++) {
            struct json_object *x = json_object_array_get_idx(stops, q);
            if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) <= 0)
                rc = err_set(&e, ERR_INVAL, "routes[%zu].stops[%zu] must be a node id", i, q);
            else
                ids[q] = json_object_get_int64(x);
        }
        fr[i].node_ids = ids;
        fr[i].n_nodes = m;
    }
    char *name_copy = name ? arena_strdup(req->arena, name) : NULL;
    json_object_put(body);
    if (rc) {
        free(fr);
        http_resp_err(w, &e);
        return;
    }
    int64_t id = 0;
    struct logistics_baseline_req br = {.date_ms = date_ms,
                                        .depot_node_id = depot,
                                        .name = name_copy,
                                        .routes = fr,
                                        .n_routes = n,
                                        .plan_id = src_plan};
    rc = logistics_baseline_import(app->logistics, app->store, &req->who, &br, &id, &e);
    free(fr);
    if (rc) {
        http_resp_rule_err(w, &e);
        return;
    }
    plan_answer(app, req, w, id, 201);
}

#ifdef RL_HAVE_TELEMETRY
/* GET /api/v1/plans/{id}/routes/{route_id}/cold-chain[?profile=]: the
** route's cold chain from its vehicle's temperature logger. */
static void h_route_cold_chain(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id, route_id;
    if (http_param_id(req, "id", &id, &e) || http_param_id(req, "route_id", &route_id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    if (!app->telemetry) {
        http_resp_problem(w, 503, "Telemetry unavailable", "this server runs no telemetry");
        return;
    }
    struct json_object *o;
    if (logistics_route_cold_chain(app->store, app->telemetry, &req->who, id, route_id,
                                   http_query(req, "profile"), time_now_ms(), &o, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 200, o);
}
#endif

static void h_plan_sheets(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id, route_id = 0;
    enum logistics_sheet_format fmt = LOGISTICS_SHEET_JSON;
    const char *f = http_query(req, "format"), *l = http_query(req, "lang");
    if (http_param_id(req, "id", &id, &e) ||
        http_query_i64(req, "route_id", 0, 1, INT64_MAX, &route_id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    if (f && logistics_sheet_format_parse(f, &fmt)) {
        http_resp_problem(w, 400, "Invalid parameter", "format must be json, csv, geojson or html");
        return;
    }
    /* ?lang= decides; else the reader's Accept-Language (the county's
    ** Chinese when it names neither zh nor en) */
    static const char *const offered[] = {"zh", "en"}; /* enum logistics_lang's order */
    enum logistics_lang lang = (enum logistics_lang)http_accept_language(
        http_header(req, "Accept-Language"), offered, RL_ARRAY_LEN(offered));
    if (l && logistics_lang_parse(l, &lang)) {
        http_resp_problem(w, 400, "Invalid parameter", "lang must be zh or en");
        return;
    }
    struct logistics_plan p;
    logistics_plan_init(&p);
    if (logistics_plan_get(app->store, &req->who, id, &p, &e)) {
        logistics_plan_release(&p);
        http_resp_err(w, &e);
        return;
    }
    /* drivers only ever see approved plans; staff see drafts' sheets too.
    ** Only the HTML has words to translate and names to look up. */
    struct logistics_sheet_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.lang = lang;
    int rc = fmt == LOGISTICS_SHEET_HTML
                 ? logistics_sheet_ctx_load(app->store, &req->who, &p, lang, &ctx, &e)
                 : 0;
    struct strbuf sb;
    strbuf_init(&sb, 64u << 20);
    if (!rc)
        rc = logistics_sheet_write_ctx(&p, route_id, fmt, &ctx, &sb, &e);
    logistics_sheet_ctx_release(&ctx);
    logistics_plan_release(&p);
    if (rc) {
        strbuf_release(&sb);
        http_resp_err(w, &e);
        return;
    }
    if (fmt == LOGISTICS_SHEET_HTML) {
        http_resp_header(w, "Content-Language", logistics_lang_name(lang));
        http_resp_header(w, "Vary", "Accept-Language");
    }
    static const char *const types[] = {"application/json", "text/csv; charset=utf-8",
                                        "application/geo+json", "text/html; charset=utf-8"};
    http_resp_bytes(w, 200, types[fmt], sb.buf ? sb.buf : "", sb.len);
    strbuf_release(&sb);
}

const struct http_route http_routes_logistics[] = {
    {"GET", "/api/v1/vehicles", h_vehicle_list, FLEET_READERS, 0},
    {"POST", "/api/v1/vehicles", h_vehicle_create, AUTH_STAFF, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/vehicles/{id}", h_vehicle_get, FLEET_READERS, 0},
    {"PATCH", "/api/v1/vehicles/{id}", h_vehicle_patch, AUTH_STAFF, 0},
    {"GET", "/api/v1/travel", h_travel_get, READERS, 0},
    {"PUT", "/api/v1/travel", h_travel_put, AUTH_STAFF, 0},
    {"POST", "/api/v1/travel/matrix", h_travel_matrix, AUTH_STAFF, 0},
    {"GET", "/api/v1/consignments", h_cons_list, READERS, 0},
    {"POST", "/api/v1/consignments", h_cons_create, AUTH_STAFF, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/plans", h_plan_list, FLEET_READERS, 0},
    {"POST", "/api/v1/plans", h_plan_create, AUTH_STAFF, HTTP_IDEMPOTENT},
    {"POST", "/api/v1/plans/baseline", h_plan_baseline, AUTH_STAFF, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/plans/compare", h_plan_compare, READERS, 0},
    {"GET", "/api/v1/plans/{id}", h_plan_get, FLEET_READERS, 0},
    {"GET", "/api/v1/plans/{id}/kpis", h_plan_kpis, READERS, 0},
    {"POST", "/api/v1/plans/{id}/approve", h_plan_approve, AUTH_STAFF, 0},
    {"GET", "/api/v1/plans/{id}/sheets", h_plan_sheets, FLEET_READERS, 0},
#ifdef RL_HAVE_TELEMETRY
    {"GET", "/api/v1/plans/{id}/routes/{route_id}/cold-chain", h_route_cold_chain, FLEET_READERS,
     0},
#endif
};
const size_t http_routes_logistics_len = RL_ARRAY_LEN(http_routes_logistics);
