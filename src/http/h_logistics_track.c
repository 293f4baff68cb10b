/*
** h_logistics_track.c: tracking, urgent insertion and siting over HTTP.
**
**   POST /api/v1/tracking/positions   {route_id, lat, lon, ts?, late_after_min?,
**                                     corridor_m?} by the route's driver (or staff)
**   POST /api/v1/tracking/events      {stop_id, event: arrived|delivered|picked_up|
**                                     failed, proof_code?, reason?, ts?}; staff may
**                                     report a drop delivered after the route's END
**                                     brought its goods back (a correction)
**   GET  /api/v1/tracking             ?plan_id= : routes' delays (a next stop overdue
**                                     counts, GPS or not) and progress, alerts
**                                     with their figures
**   POST /api/v1/consignments/{id}/receive  {node_id?}: staff record goods that
**                                     reached their destination without a route
**   POST /api/v1/plans/{id}/urgent    {order_id}: cheapest feasible insertion
**   POST /api/v1/sites/analyses       siting analysis (runs as a job; waits)
**   GET  /api/v1/sites/analyses/{id}
**
** A driver posting for another driver's route gets 403; ids of other
** counties are 404; bad input is problem+json and writes nothing.
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "logistics/logistics.h"

#define LG_SITE_WAIT_MARGIN_S 10.0

/* Optional RFC 3339 "ts": 0 when absent. */
static int get_ts(struct json_object *o, int64_t *ts, struct err *e)
{
    const char *s = NULL;
    int rc = rjson_get_str(o, "ts", false, &s, e);
    *ts = 0;
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (time_parse_rfc3339(s, ts))
        return err_set(e, ERR_INVAL, "field 'ts' must be an RFC 3339 time");
    return 0;
}

static void h_position(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *b;
    if (http_body_json(req, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"route_id",       "lat",        "lon", "ts",
                                       "late_after_min", "corridor_m", NULL};
    int64_t route_id = 0, ts = 0, late_min = LOGISTICS_LATE_AFTER_S / 60, corridor = 3000;
    struct geo_point pos = {0, 0};
    int rc = rjson_only_keys(b, keys, &e);
    if (!rc)
        rc = rjson_get_i64(b, "route_id", true, &route_id, &e);
    if (!rc)
        rc = rjson_get_double(b, "lat", true, &pos.lat, &e);
    if (!rc)
        rc = rjson_get_double(b, "lon", true, &pos.lon, &e);
    if (!rc)
        rc = get_ts(b, &ts, &e);
    if (!rc && (rc = rjson_get_i64(b, "late_after_min", false, &late_min, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(b, "corridor_m", false, &corridor, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (late_min < 1 || late_min > 1440 || corridor < 50 || corridor > 100000))
        rc = err_set(&e, ERR_INVAL, "late_after_min 1-1440, corridor_m 50-100000");
    json_object_put(b);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_track_cfg cfg = {late_min * 60, corridor};
    int64_t delay = 0;
    int raised = 0;
    if (logistics_track_position(app->store, &req->who, &cfg, route_id, pos, ts, &delay, &raised,
                                 &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "route_id", json_object_new_int64(route_id));
    json_object_object_add(o, "delay_s", json_object_new_int64(delay));
    json_object_object_add(o, "alerts_raised", json_object_new_int(raised));
    http_resp_json(w, 200, o);
}

static void h_event(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *b;
    if (http_body_json(req, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"stop_id", "event", "proof_code", "reason", "ts", NULL};
    int64_t stop_id = 0, ts = 0;
    const char *ev_s = NULL, *proof = NULL, *reason = NULL;
    enum logistics_event ev = LOGISTICS_EV_ARRIVED;
    int rc = rjson_only_keys(b, keys, &e);
    if (!rc)
        rc = rjson_get_i64(b, "stop_id", true, &stop_id, &e);
    if (!rc)
        rc = rjson_get_str(b, "event", true, &ev_s, &e);
    if (!rc && logistics_event_parse(ev_s, &ev))
        rc = err_set(&e, ERR_INVAL, "event must be arrived, delivered, picked_up or failed");
    if (!rc && (rc = rjson_get_str(b, "proof_code", false, &proof, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(b, "reason", false, &reason, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc)
        rc = get_ts(b, &ts, &e);
    if (rc) {
        json_object_put(b);
        http_resp_err(w, &e);
        return;
    }
    rc = logistics_track_event(app->store, &req->who, stop_id, ev, proof, reason, ts, &e);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "stop_id", json_object_new_int64(stop_id));
    json_object_object_add(o, "event", json_object_new_string(ev_s));
    json_object_put(b);
    if (rc) {
        json_object_put(o);
        http_resp_rule_err(w, &e);
        return;
    }
    http_resp_json(w, 200, o);
}

static void h_tracking(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t plan_id;
    if (!http_query(req, "plan_id")) { /* else it reads as 0: "no plan 0" */
        http_resp_problem(w, 400, "Missing parameter",
                          "query parameter 'plan_id' (a plan id) is required");
        return;
    }
    if (http_query_i64(req, "plan_id", 0, 1, INT64_MAX, &plan_id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_plan p;
    logistics_plan_init(&p);
    struct logistics_alert *al = NULL;
    size_t nal = 0;
    struct logistics_position *pos = NULL;
    size_t npos = 0;
    if (logistics_plan_get(app->store, &req->who, plan_id, &p, &e) ||
        logistics_alert_list(app->store, &req->who, plan_id, &al, &nal, &e) ||
        logistics_last_positions(app->store, &req->who, plan_id, &pos, &npos, &e)) {
        logistics_plan_release(&p);
        free(al);
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "plan_id", json_object_new_int64(p.id));
    json_object_object_add(o, "status",
                           json_object_new_string(logistics_plan_status_name(p.status)));
    struct json_object *routes = json_object_new_array();
    int64_t now = time_now_ms();
    for (size_t r = 0; r < p.n_routes; r++) {
        const struct logistics_route *rt = &p.routes[r];
        size_t done = 0, tasks = 0;
        for (size_t q = 1; q + 1 < rt->n_stops; q++) {
            tasks++;
            done += strcmp(rt->stops[q].status, "pending") != 0 &&
                    strcmp(rt->stops[q].status, "arrived") != 0;
        }
        /* a next stop still pending past its planned arrival is late by
        ** now - that arrival, GPS fix or not */
        const struct logistics_stop *next = NULL;
        bool overdue = false;
        int64_t delay = logistics_route_delay_at(rt, now, &next, &overdue);
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "route_id", json_object_new_int64(rt->id));
        json_object_object_add(j, "plate", json_object_new_string(rt->vehicle.plate));
        json_object_object_add(j, "driver_user_id", json_object_new_int64(rt->driver_user_id));
        json_object_object_add(j, "delay_s", json_object_new_int64(delay));
        json_object_object_add(j, "overdue", json_object_new_boolean(overdue));
        json_object_object_add(j, "stops_done", json_object_new_int64((int64_t)done));
        json_object_object_add(j, "stops", json_object_new_int64((int64_t)tasks));
        for (size_t k = 0; k < npos; k++) {
            if (pos[k].route_id != rt->id)
                continue;
            struct json_object *g = json_object_new_object();
            json_object_object_add(g, "lat", rjson_new_double(pos[k].pos.lat, 9));
            json_object_object_add(g, "lon", rjson_new_double(pos[k].pos.lon, 9));
            json_object_object_add(g, "ts", rjson_new_time(pos[k].ts_ms));
            json_object_object_add(j, "position", g);
        }
        if (next) {
            json_object_object_add(j, "next_stop_id", json_object_new_int64(next->id));
            json_object_object_add(j, "next_eta", rjson_new_time(next->arrive_ms + delay * 1000));
        }
        json_object_array_add(routes, j);
    }
    json_object_object_add(o, "routes", routes);
    struct json_object *alerts = json_object_new_array();
    for (size_t i = 0; i < nal; i++) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_object_new_int64(al[i].id));
        json_object_object_add(j, "route_id", json_object_new_int64(al[i].route_id));
        json_object_object_add(j, "kind", json_object_new_string(al[i].kind));
        json_object_object_add(j, "detail", json_object_new_string(al[i].detail));
        json_object_object_add(j, "open", json_object_new_boolean(al[i].open));
        json_object_object_add(j, "ts", rjson_new_time(al[i].ts_ms));
        /* the figure when it was raised (not the route's current one) */
        if (al[i].delay_s >= 0)
            json_object_object_add(j, "delay_s", json_object_new_int64(al[i].delay_s));
        if (al[i].distance_m >= 0)
            json_object_object_add(j, "distance_m", json_object_new_int64(al[i].distance_m));
        json_object_array_add(alerts, j);
    }
    json_object_object_add(o, "alerts", alerts);
    free(al);
    free(pos);
    logistics_plan_release(&p);
    http_resp_json(w, 200, o);
}

/* An open consignment whose goods came in by other means (the sender
** brought them, a hired truck): delivered at its destination, so that no
** dispatch lists it again. */
static void h_cons_receive(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id, node_id = 0;
    struct json_object *b = NULL;
    if (http_param_id(req, "id", &id, &e) || http_body_json(req, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"node_id", NULL};
    int rc = rjson_only_keys(b, keys, &e);
    if (!rc && (rc = rjson_get_i64(b, "node_id", false, &node_id, &e)) == ERR_NOTFOUND)
        rc = 0;
    json_object_put(b);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct logistics_consignment c;
    if (logistics_consignment_receive(app->store, &req->who, id, node_id, &c, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(c.id));
    json_object_object_add(o, "status", json_object_new_string(c.status));
    json_object_object_add(o, "location",
                           json_object_new_string(logistics_consignment_location(&c)));
    json_object_object_add(o, "at_node_id", json_object_new_int64(c.at_node_id));
    json_object_object_add(o, "plan_id", NULL);
    http_resp_json(w, 200, o);
}

static void h_urgent(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t plan_id, order_id = 0;
    struct json_object *b = NULL;
    if (http_param_id(req, "id", &plan_id, &e) || http_body_json(req, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"order_id", NULL};
    int rc = rjson_only_keys(b, keys, &e);
    if (!rc)
        rc = rjson_get_i64(b, "order_id", true, &order_id, &e);
    json_object_put(b);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    int64_t route_id = 0, stop_id = 0;
    if (logistics_insert_order(app->logistics, app->store, &req->who, plan_id, order_id, &route_id,
                               &stop_id, &e)) {
        http_resp_rule_err(w, &e);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "plan_id", json_object_new_int64(plan_id));
    json_object_object_add(o, "order_id", json_object_new_int64(order_id));
    json_object_object_add(o, "route_id", json_object_new_int64(route_id));
    json_object_object_add(o, "stop_id", json_object_new_int64(stop_id));
    http_resp_json(w, 200, o);
}

struct site_job {
    struct app *app;
    struct auth_principal who;
    struct logistics_site_req req;
};

static int site_run(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    struct site_job *sj = arg;
    jobs_ctx_progress(ctx, 0.1, "solving");
    int64_t id;
    return logistics_site_analyse(sj->app->store, &sj->who, &sj->req, &id, result, e);
}

/* Values given explicitly must be in range: the request struct reads 0 as
** "the default", so a given 0 (or less) would silently become 10 km / 5 s,
** and an empty candidate list all nodes. since/until and p with fixed_cost
** are the service's rules (logistics_site_analyse). */
static int site_req_rules(struct json_object *b, struct json_object *cands, struct err *e)
{
    double x;
    if (rjson_get_double(b, "coverage_km", false, &x, NULL) == 0 && !(x > 0 && x <= 500))
        return err_set(e, ERR_INVAL, "coverage_km must be in (0, 500]");
    if (rjson_get_double(b, "time_limit_s", false, &x, NULL) == 0 && !(x > 0 && x <= 120))
        return err_set(e, ERR_INVAL, "time_limit_s must be in (0, 120]");
    if (cands && json_object_array_length(cands) == 0)
        return err_set(e, ERR_INVAL, "candidates must list \"nodes\" and/or \"villages\"");
    return 0;
}

static void h_site_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    struct json_object *b, *cands = NULL;
    if (http_body_json(req, &b, &e)) {
        http_resp_err(w, &e);
        return;
    }
    static const char *const keys[] = {"p",           "candidates",   "fixed_cost",
                                       "capacity_kg", "coverage_km",  "since",
                                       "until",       "time_limit_s", NULL};
    struct site_job *sj = xcalloc(1, sizeof *sj);
    sj->app = app;
    sj->who = req->who;
    int64_t p = 0;
    const char *since = NULL, *until = NULL;
    int rc = rjson_only_keys(b, keys, &e);
    if (!rc && (rc = rjson_get_i64(b, "p", false, &p, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_i64(b, "fixed_cost", false, &sj->req.fixed_cost, &e)) == 0)
        sj->req.fixed_cost_given = true;
    else if (rc == ERR_NOTFOUND)
        rc = 0;
    if (!rc &&
        (rc = rjson_get_i64(b, "capacity_kg", false, &sj->req.capacity_kg, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc &&
        (rc = rjson_get_double(b, "coverage_km", false, &sj->req.coverage_km, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_double(b, "time_limit_s", false, &sj->req.time_limit_s, &e)) ==
                   ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(b, "since", false, &since, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && (rc = rjson_get_str(b, "until", false, &until, &e)) == ERR_NOTFOUND)
        rc = 0;
    if (!rc && since && time_parse_rfc3339(since, &sj->req.since_ms))
        rc = err_set(&e, ERR_INVAL, "field 'since' must be an RFC 3339 time");
    if (!rc && until && time_parse_rfc3339(until, &sj->req.until_ms))
        rc = err_set(&e, ERR_INVAL, "field 'until' must be an RFC 3339 time");
    if (!rc && (rc = rjson_get_array(b, "candidates", false, &cands, &e)) == ERR_NOTFOUND)
        rc = 0;
    for (size_t i = 0; !rc && cands && i < json_object_array_length(cands); i++) {
        const char *c = json_object_get_string(json_object_array_get_idx(cands, i));
        if (c && strcmp(c, "nodes") == 0)
            sj->req.candidates_nodes = true;
        else if (c && strcmp(c, "villages") == 0)
            sj->req.candidates_villages = true;
        else
            rc = err_set(&e, ERR_INVAL, "candidates must list \"nodes\" and/or \"villages\"");
    }
    if (!rc && (p < 0 || p > 1000))
        rc = err_set(&e, ERR_INVAL, "p must be in 0..1000");
    sj->req.p = (int)p;
    bool rule = false; /* well-formed but against a rule: 422 */
    if (!rc) {
        rc = site_req_rules(b, cands, &e);
        rule = rc != 0;
    }
    json_object_put(b);
    if (!rc && req->who.role != AUTH_ROLE_ADMIN && req->who.role != AUTH_ROLE_OPERATOR &&
        req->who.role != AUTH_ROLE_AUDITOR)
        rc = err_set(&e, ERR_PERM, "only staff and auditors run siting analyses");
    if (rc) {
        free(sj);
        if (rule)
            http_resp_rule_err(w, &e);
        else
            http_resp_err(w, &e);
        return;
    }
    double limit = sj->req.time_limit_s > 0 ? sj->req.time_limit_s : 5;
    struct jobs_spec spec = {.kind = "site.analysis",
                             .county_id = req->who.county_id,
                             .owner_user_id = req->who.user_id,
                             .time_limit_s = limit,
                             .fn = site_run,
                             .arg = sj,
                             .free_arg = free};
    struct jobs_info info;
    if (http__job_run(app, &spec, limit + LG_SITE_WAIT_MARGIN_S, w, &info))
        return;
    http_resp_bytes(w, 201, "application/json", info.result, info.result_len);
    jobs_info_release(&info);
}

static void h_site_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e = {0};
    int64_t id;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    if (http_param_id(req, "id", &id, &e) ||
        logistics_site_get(app->store, &req->who, id, &sb, &e)) {
        strbuf_release(&sb);
        http_resp_err(w, &e);
        return;
    }
    http_resp_strbuf(w, 200, "application/json", &sb);
}

#define TRACKERS (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_DRIVER))
#define READERS (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_AUDITOR))

const struct http_route http_routes_logistics_track[] = {
    {"POST", "/api/v1/tracking/positions", h_position, TRACKERS, 0},
    {"POST", "/api/v1/tracking/events", h_event, TRACKERS, 0},
    {"GET", "/api/v1/tracking", h_tracking, READERS, 0},
    {"POST", "/api/v1/consignments/{id}/receive", h_cons_receive, AUTH_STAFF, 0},
    {"POST", "/api/v1/plans/{id}/urgent", h_urgent, AUTH_STAFF, 0},
    {"POST", "/api/v1/sites/analyses", h_site_create, READERS, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/sites/analyses/{id}", h_site_get, READERS, 0},
};
const size_t http_routes_logistics_track_len = RL_ARRAY_LEN(http_routes_logistics_track);
