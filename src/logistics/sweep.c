/*
** sweep.c: what tracking decides without a report, and what the server's
** housekeeping does with it (logistics_track_sweep).
**
** A route's late alert follows its delay by logistics_route_delay_at: raised
** when the delay exceeds a threshold (a GPS fix's, or the sweep's), closed
** when the delay is back within the threshold the alert was raised with
** (stored with it, migration 7), whichever of a fix, a stop event or the
** sweep sees it: before, only a fix back on time closed one, so a route
** without GPS kept the alert the sweep raised for good.
**
** A consignment whose pickup was never reported stays planned on its plan
** until something says the pickup will not happen: the route's END (in
** track.c) or the end of the plan's local day (the sweep). Either makes it
** open again, no plan, where its goods are, as a failed pickup does, so the
** next dispatch collects it.
**
** Every county's local day is UTC+8 (LOGISTICS_TZ_OFFSET_MIN): counties
** carry no time zone (struct county), and plans, opening hours and shifts
** are all on that day.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int logistics__alert_insert(struct store_conn *c, int64_t county_id, int64_t plan_id,
                            int64_t route_id, const char *kind, const char *detail, int64_t figure,
                            int64_t late_after_s, int64_t ts_ms, struct err *e)
{
    bool late = strcmp(kind, "late") == 0;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           late ? "INSERT INTO lg_alerts (county_id, plan_id, route_id, kind, "
                                  "detail, open, ts_ms, delay_s, late_after_s) "
                                  "VALUES (?,?,?,?,?,1,?,?,?)"
                                : "INSERT INTO lg_alerts (county_id, plan_id, route_id, kind, "
                                  "detail, open, ts_ms, distance_m) VALUES (?,?,?,?,?,1,?,?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, plan_id);
    store_bind_i64(s, 3, route_id);
    store_bind_text(s, 4, kind, -1);
    store_bind_text(s, 5, detail, -1);
    store_bind_i64(s, 6, ts_ms);
    store_bind_i64(s, 7, figure);
    if (late)
        store_bind_i64(s, 8, late_after_s);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* The route's delay at now_ms from its stops and stored delay. */
static int route_delay(struct store_conn *c, int64_t county_id, int64_t route_id, int64_t now_ms,
                       int64_t *delay, struct err *e)
{
    struct store_stmt *s;
    int rc =
        store_prepare(c, "SELECT delay_s FROM lg_routes WHERE county_id = ? AND id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no route %lld", (long long)route_id);
    struct logistics_route rt = {.id = route_id, .delay_s = store_col_i64(s, 0)};
    if ((rc = store_prepare(c,
                            "SELECT id, kind, status, arrive_ms FROM lg_stops WHERE county_id = ? "
                            "AND route_id = ? ORDER BY seq",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    size_t cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&rt.stops, &cap, rt.n_stops + 1, sizeof *rt.stops);
        struct logistics_stop *x = &rt.stops[rt.n_stops++];
        memset(x, 0, sizeof *x);
        x->id = store_col_i64(s, 0);
        x->kind = (enum logistics_stop_kind)store_col_i64(s, 1);
        snprintf(x->status, sizeof x->status, "%s", store_col_text(s, 2));
        x->arrive_ms = store_col_i64(s, 3);
    }
    if (rc >= 0) {
        rc = 0;
        *delay = logistics_route_delay_at(&rt, now_ms, NULL, NULL);
    }
    free(rt.stops);
    return rc;
}

int logistics__late_review(struct store_conn *c, int64_t county_id, int64_t plan_id,
                           int64_t route_id, int64_t now_ms, int64_t raise_after_s, int *raised,
                           int *closed, struct err *e)
{
    int64_t delay = 0;
    int rc = route_delay(c, county_id, route_id, now_ms, &delay, e);
    if (rc)
        return rc;
    /* each open one by the threshold it was raised with (one per route, as
    ** a rule); an old row without one by the default */
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "UPDATE lg_alerts SET open = 0 WHERE county_id = ? AND route_id = ? "
                            "AND kind = 'late' AND open = 1 AND ? <= CASE WHEN late_after_s > 0 "
                            "THEN late_after_s ELSE ? END",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    store_bind_i64(s, 3, delay);
    store_bind_i64(s, 4, LOGISTICS_LATE_AFTER_S);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (closed)
        *closed += (int)store_changes(c);
    if (raise_after_s <= 0 || delay <= raise_after_s)
        return 0;
    int64_t open_id = 0;
    if ((rc = store_prepare(c,
                            "SELECT id FROM lg_alerts WHERE county_id = ? AND route_id = ? "
                            "AND kind = 'late' AND open = 1 LIMIT 1",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    open_id = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    if (open_id)
        return 0;
    char detail[LOGISTICS_TEXT_BUF];
    snprintf(detail, sizeof detail, "running %lld min late", (long long)(delay / 60));
    if ((rc = logistics__alert_insert(c, county_id, plan_id, route_id, "late", detail, delay,
                                      raise_after_s, now_ms, e)))
        return rc;
    if (raised)
        ++*raised;
    return 0;
}

int logistics__cons_reopen(struct store_conn *c, const struct auth_principal *who, int64_t id,
                           int64_t stop_id, int64_t route_id, int64_t plan_id, const char *reason,
                           struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE lg_consignments SET status = 'open', plan_id = NULL "
                           "WHERE county_id = ? AND id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, who->county_id);
    store_bind_i64(s, 2, id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "stop_id", json_object_new_int64(stop_id));
    json_object_object_add(d, "route_id", json_object_new_int64(route_id));
    json_object_object_add(d, "plan_id", json_object_new_int64(plan_id));
    json_object_object_add(d, "reason", json_object_new_string(reason));
    rc = logistics__audit(c, who, "consignment.pickup_failed", "consignment", id,
                          rjson_str(d, NULL), e);
    json_object_put(d);
    return rc;
}

/* ------------------------------------------------------------ the sweep */

struct sweep_args {
    int64_t now_ms, date_ms, late_after_s;
    struct logistics_sweep_result res;
};

/* Late alerts of the routes of today's approved plans. */
static int sweep_late(struct store_conn *c, struct sweep_args *a, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT r.county_id, r.plan_id, r.id FROM lg_routes r "
                           "JOIN lg_plans p ON p.county_id = r.county_id AND p.id = r.plan_id "
                           "WHERE p.status = ? AND p.date_ms = ? ORDER BY r.county_id, r.id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 2, a->date_ms);
    int64_t *r = NULL; /* county, plan, route */
    size_t n = 0;
    rc = logistics__rows_i64(s, 3, &r, &n, e);
    for (size_t i = 0; i < n && !rc; i++)
        rc = logistics__late_review(c, r[3 * i], r[3 * i + 1], r[3 * i + 2], a->now_ms,
                                    a->late_after_s, &a->res.raised, &a->res.closed, e);
    free(r);
    return rc;
}

/* Consignments still planned on approved plans whose local day is over:
** their pickup was never reported, and nothing will report it now. */
static int sweep_unreported(struct store_conn *c, struct sweep_args *a, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT k.county_id, k.id, k.plan_id, COALESCE(MIN(p.id), 0), COALESCE(MIN(p.route_id), 0) "
        "FROM lg_consignments k "
        "JOIN lg_plans q ON q.county_id = k.county_id AND q.id = k.plan_id "
        "LEFT JOIN lg_stop_items i ON i.county_id = k.county_id AND i.consignment_id = k.id "
        "AND i.plan_id = k.plan_id AND i.load = 1 "
        "LEFT JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
        "WHERE k.status = 'planned' AND q.status = ? AND q.date_ms < ? "
        "GROUP BY k.county_id, k.id, k.plan_id ORDER BY k.county_id, k.id",
        &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 2, a->date_ms);
    int64_t *u = NULL; /* county, consignment, plan, pickup stop, route */
    size_t n = 0;
    rc = logistics__rows_i64(s, 5, &u, &n, e);
    for (size_t i = 0; i < n && !rc; i++) {
        const int64_t *row = u + 5 * i;
        struct auth_principal sys = {.county_id = row[0], .role = AUTH_ROLE_ADMIN};
        snprintf(sys.name, sizeof sys.name, "housekeeping");
        rc = logistics__cons_reopen(c, &sys, row[1], row[3], row[4], row[2],
                                    "pickup not reported by the end of the plan's day", e);
        a->res.released += !rc;
    }
    free(u);
    return rc;
}

static int sweep_write(struct store_conn *c, void *arg, struct err *e)
{
    struct sweep_args *a = arg;
    memset(&a->res, 0, sizeof a->res);
    int rc = sweep_late(c, a, e);
    return rc ? rc : sweep_unreported(c, a, e);
}

int logistics_track_sweep(struct store *st, int64_t now_ms, int64_t late_after_s,
                          struct logistics_sweep_result *out, struct err *e)
{
    struct sweep_args a = {.now_ms = now_ms ? now_ms : time_now_ms(),
                           .late_after_s =
                               late_after_s > 0 ? late_after_s : LOGISTICS_LATE_AFTER_S};
    /* the local date (one zone for every county: see the top) */
    a.date_ms = logistics_today(a.now_ms);
    int rc = store_write(st, sweep_write, &a, e);
    if (out)
        *out = rc ? (struct logistics_sweep_result){0} : a.res;
    return rc;
}
