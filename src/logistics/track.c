/*
** track.c: tracking on approved plans. Drivers post GPS positions and stop
** events for their own routes (another driver's route is refused with
** ERR_PERM, a route of another county is ERR_NOTFOUND). A position updates
** the route's delay: now + estimated travel to the next stop (the first
** pending one after the last visited) - that stop's planned arrival; a
** route later than late_after_s gets a "late" alert, a position farther
** than corridor_m from every leg of the route (as straight segments between
** stops) an "off_corridor" alert; at most one open alert of each kind per
** route, closed when the route is back. A fix older than the route's newest
** one is stored but moves neither. Stop events move the consignments the
** route's plan holds (lg_consignments.plan_id; no other plan's events touch
** them): picked_up at a pickup, open again when the pickup fails, delivered
** at a drop (refused unless the goods are on board, but for staff's
** correction once the END brought them back) or, for those carried to the
** depot, on arrival at the route's END; what is still on board then (its
** drop failed or was not reported) is back at the depot, open again with
** at_node_id = the depot, and what was never picked up (its pickup not
** reported) is open again where it was. A stop event also closes the
** route's late alert when the route is back on time. Everything of one call
** happens in one write. Without GPS fixes, a route whose next stop's
** planned arrival has passed with no arrival reported is late by now - that
** arrival (logistics_route_delay_at, GET /tracking), and housekeeping
** raises its late alert (sweep.c). An alert keeps the figure it was raised
** with (delay_s, distance_m).
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct route_ctx {
    int64_t plan_id, driver_user_id, date_ms, vehicle_id;
    int status;
};

/* Load a route and check the caller may report on it: its driver or staff,
** on an approved plan; with superseded_ok, a superseded plan passes too
** (the caller then decides what it may still do there). */
static int route_ctx_load(struct store_conn *c, const struct auth_principal *who, int64_t route_id,
                          bool superseded_ok, struct route_ctx *out, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT r.plan_id, r.driver_user_id, p.status, p.date_ms, r.vehicle_id "
                           "FROM lg_routes r "
                           "JOIN lg_plans p ON p.id = r.plan_id AND p.county_id = r.county_id "
                           "WHERE r.county_id = ? AND r.id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, who->county_id);
    store_bind_i64(s, 2, route_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no route %lld", (long long)route_id);
    out->plan_id = store_col_i64(s, 0);
    out->driver_user_id = store_col_i64(s, 1);
    out->status = (int)store_col_i64(s, 2);
    out->date_ms = store_col_i64(s, 3);
    out->vehicle_id = store_col_i64(s, 4);
    if (who->role == AUTH_ROLE_DRIVER) {
        if (out->driver_user_id != who->user_id)
            return err_set(e, ERR_PERM, "route %lld is another driver's", (long long)route_id);
    } else if (who->role != AUTH_ROLE_ADMIN && who->role != AUTH_ROLE_OPERATOR) {
        return err_set(e, ERR_PERM, "only drivers and staff report on routes");
    }
    if (out->status != LOGISTICS_PLAN_APPROVED &&
        !(superseded_ok && out->status == LOGISTICS_PLAN_SUPERSEDED))
        return err_set(e, ERR_CONFLICT, "plan %lld is not approved", (long long)out->plan_id);
    return 0;
}

/* Distance in metres from p to segment ab (local flat projection). */
static double seg_dist_m(struct geo_point p, struct geo_point a, struct geo_point b)
{
    double k = cos(p.lat * M_PI / 180) * 111320.0;
    double ax = (a.lon - p.lon) * k, ay = (a.lat - p.lat) * 110574.0;
    double bx = (b.lon - p.lon) * k, by = (b.lat - p.lat) * 110574.0;
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? -(ax * dx + ay * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double x = ax + t * dx, y = ay + t * dy;
    return sqrt(x * x + y * y);
}

struct pos_args {
    const struct auth_principal *who;
    struct logistics_track_cfg cfg;
    int64_t route_id;
    struct geo_point pos;
    int64_t ts_ms;
    double circuity, speed_kmh;
    int64_t delay_s;
    int raised;
};

/* Whether the route has an open alert of this kind (*id: which). */
static int alert_open(struct store_conn *c, int64_t county_id, int64_t route_id, const char *kind,
                      int64_t *id, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id FROM lg_alerts WHERE county_id = ? AND route_id = ? "
                           "AND kind = ? AND open = 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    store_bind_text(s, 3, kind, -1);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    *id = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    return 0;
}

/* Open or close the route's alert of this kind; counts raised ones. */
static int alert_set(struct store_conn *c, struct pos_args *a, int64_t plan_id, const char *kind,
                     bool on, const char *detail, int64_t figure, struct err *e)
{
    int64_t id = 0;
    int rc = alert_open(c, a->who->county_id, a->route_id, kind, &id, e);
    if (rc)
        return rc;
    if (on && !id) {
        if ((rc = logistics__alert_insert(c, a->who->county_id, plan_id, a->route_id, kind, detail,
                                          figure, a->cfg.late_after_s, a->ts_ms, e)))
            return rc;
        a->raised++;
    } else if (!on && id) {
        struct store_stmt *s;
        if ((rc = store_prepare(c, "UPDATE lg_alerts SET open = 0 WHERE county_id = ? AND id = ?",
                                &s, e)))
            return rc;
        store_bind_i64(s, 1, a->who->county_id);
        store_bind_i64(s, 2, id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
    }
    return 0;
}

/* Whether the route already has a fix newer than ts_ms, and its delay. */
static int pos_is_stale(struct store_conn *c, const struct pos_args *a, bool *stale,
                        int64_t *delay_s, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT r.delay_s, (SELECT MAX(p.ts_ms) FROM lg_positions p "
                           "WHERE p.county_id = r.county_id AND p.route_id = r.id) "
                           "FROM lg_routes r WHERE r.county_id = ? AND r.id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->route_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no route %lld", (long long)a->route_id);
    *delay_s = store_col_i64(s, 0);
    *stale = !store_col_is_null(s, 1) && store_col_i64(s, 1) > a->ts_ms;
    return 0;
}

static int pos_write(struct store_conn *c, void *arg, struct err *e)
{
    struct pos_args *a = arg;
    struct route_ctx rc_;
    int rc = route_ctx_load(c, a->who, a->route_id, false, &rc_, e);
    if (rc)
        return rc;
    /* A fix that arrives late (queued on a phone without signal) is kept
    ** for the track, but the route is where its newest fix says: an older
    ** one must not move the delay or close that fix's alerts. */
    bool stale = false;
    if ((rc = pos_is_stale(c, a, &stale, &a->delay_s, e)))
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(
             c,
             "INSERT INTO lg_positions (county_id, route_id, user_id, ts_ms, lat, lon) "
             "VALUES (?,?,?,?,?,?)",
             &s, e)))
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->route_id);
    store_bind_i64(s, 3, a->who->user_id);
    store_bind_i64(s, 4, a->ts_ms);
    store_bind_double(s, 5, a->pos.lat);
    store_bind_double(s, 6, a->pos.lon);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (stale)
        return 0;
    if ((rc = store_prepare(c,
                            "SELECT lat, lon, arrive_ms, status, kind FROM lg_stops "
                            "WHERE county_id = ? AND route_id = ? ORDER BY seq",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->route_id);
    struct geo_point prev = {0, 0};
    bool have_prev = false, have_next = false;
    double corridor = 1e18;
    struct geo_point next = {0, 0};
    int64_t next_eta = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        struct geo_point p = {store_col_double(s, 0), store_col_double(s, 1)};
        if (have_prev) {
            double d = seg_dist_m(a->pos, prev, p);
            if (d < corridor)
                corridor = d;
        }
        /* the next stop: the first pending one after the last visited one */
        bool pending = strcmp(store_col_text(s, 3), "pending") == 0;
        if (!pending && store_col_i64(s, 4) != LOGISTICS_STOP_START)
            have_next = false;
        else if (!have_next && pending && store_col_i64(s, 4) != LOGISTICS_STOP_START) {
            have_next = true;
            next = p;
            next_eta = store_col_i64(s, 2);
        }
        prev = p;
        have_prev = true;
    }
    if (rc < 0)
        return rc;
    a->delay_s = 0;
    if (have_next) {
        double d = geo_road_m(a->pos, next, a->circuity);
        int64_t t = geo_travel_s_at(d, a->speed_kmh);
        int64_t pred = a->ts_ms + (t > 0 ? t : 0) * 1000;
        a->delay_s = pred > next_eta ? (pred - next_eta) / 1000 : 0;
    }
    if ((rc = store_prepare(c, "UPDATE lg_routes SET delay_s = ? WHERE county_id = ? AND id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->delay_s);
    store_bind_i64(s, 2, a->who->county_id);
    store_bind_i64(s, 3, a->route_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    char detail[LOGISTICS_TEXT_BUF];
    snprintf(detail, sizeof detail, "running %lld min late", (long long)(a->delay_s / 60));
    if ((rc = alert_set(c, a, rc_.plan_id, "late", a->delay_s > a->cfg.late_after_s, detail,
                        a->delay_s, e)))
        return rc;
    snprintf(detail, sizeof detail, "%.0f m from the planned route", corridor);
    bool off = have_prev && corridor < 1e17 && corridor > (double)a->cfg.corridor_m;
    return alert_set(c, a, rc_.plan_id, "off_corridor", off, detail,
                     off ? (int64_t)(corridor + 0.5) : 0, e);
}

int logistics_track_position(struct store *st, const struct auth_principal *who,
                             const struct logistics_track_cfg *cfg, int64_t route_id,
                             struct geo_point pos, int64_t ts_ms, int64_t *delay_s,
                             int *alerts_raised, struct err *e)
{
    if (!who)
        return err_set(e, ERR_AUTH, "no caller");
    if (!geo_point_valid(pos))
        return err_set(e, ERR_INVAL, "lat/lon out of range");
    if (route_id <= 0)
        return err_set(e, ERR_NOTFOUND, "no route %lld", (long long)route_id);
    struct pos_args a = {
        .who = who, .route_id = route_id, .pos = pos, .ts_ms = ts_ms ? ts_ms : time_now_ms()};
    a.cfg.late_after_s = cfg && cfg->late_after_s > 0 ? cfg->late_after_s : LOGISTICS_LATE_AFTER_S;
    a.cfg.corridor_m = cfg && cfg->corridor_m > 0 ? cfg->corridor_m : 3000;
    struct logistics_travel_cfg tc;
    struct county cty;
    a.circuity = GEO_CIRCUITY_DEFAULT;
    struct err ignore = {0};
    if (county_get(st, who, who->county_id, &cty, &ignore) == 0 && cty.circuity > 0)
        a.circuity = cty.circuity;
    a.speed_kmh = geo_road_speed_kmh(GEO_ROAD_TOWNSHIP);
    struct auth_principal staff = *who; /* the settings read is staff-only; the caller's
                                           own route is checked in the write */
    staff.role = AUTH_ROLE_OPERATOR;
    if (logistics_travel_get(st, &staff, &tc, &ignore) == 0) {
        if (tc.circuity > 0)
            a.circuity = tc.circuity;
        a.speed_kmh = tc.speed_kmh > 0 ? tc.speed_kmh : geo_road_speed_kmh(tc.road);
    }
    int rc = store_write(st, pos_write, &a, e);
    if (!rc) {
        if (delay_s)
            *delay_s = a.delay_s;
        if (alerts_raised)
            *alerts_raised = a.raised;
    }
    return rc;
}

/* ---------------------------------------------------- delay without GPS */

int64_t logistics_route_delay_at(const struct logistics_route *rt, int64_t now_ms,
                                 const struct logistics_stop **next, bool *overdue)
{
    const struct logistics_stop *nx = NULL;
    for (size_t q = 1; q + 1 < rt->n_stops; q++) {
        const struct logistics_stop *s = &rt->stops[q];
        if (strcmp(s->status, "pending") != 0 && strcmp(s->status, "arrived") != 0)
            nx = NULL; /* done: the next one is after it */
        else if (!nx)
            nx = s;
    }
    int64_t delay = rt->delay_s > 0 ? rt->delay_s : 0;
    bool od = false;
    if (nx && strcmp(nx->status, "pending") == 0 && now_ms > nx->arrive_ms &&
        (now_ms - nx->arrive_ms) / 1000 > delay) {
        delay = (now_ms - nx->arrive_ms) / 1000;
        od = true;
    }
    if (next)
        *next = nx;
    if (overdue)
        *overdue = od;
    return delay;
}

struct ev_args {
    const struct auth_principal *who;
    int64_t stop_id;
    enum logistics_event ev;
    const char *proof, *reason;
    int64_t ts_ms;
};

/* The route's END stop: whether the vehicle is back (arrived) and its node. */
static int route_end(struct store_conn *c, int64_t county_id, int64_t route_id, bool *back,
                     int64_t *node_id, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT status, node_id FROM lg_stops WHERE county_id = ? "
                           "AND route_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    store_bind_i64(s, 3, LOGISTICS_STOP_END);
    *back = false;
    *node_id = 0;
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : 0;
    *back = strcmp(store_col_text(s, 0), "arrived") == 0;
    *node_id = store_col_i64(s, 1);
    return 0;
}

/* Where consignment id's goods are now, for a message: "delivered at node
** 7", "on a vehicle of plan 40", "planned by plan 40, waiting at node 3",
** "open, waiting at its origin". */
static void cons_where(char *buf, size_t n, const char *status, int64_t plan_id, int64_t at_node)
{
    char at[48];
    if (at_node > 0)
        snprintf(at, sizeof at, "waiting at node %lld", (long long)at_node);
    else
        snprintf(at, sizeof at, "waiting at its origin");
    if (strcmp(status, "delivered") == 0)
        snprintf(buf, n, "delivered at node %lld", (long long)at_node);
    else if (strcmp(status, "picked_up") == 0)
        snprintf(buf, n, "on a vehicle of plan %lld", (long long)plan_id);
    else if (strcmp(status, "planned") == 0)
        snprintf(buf, n, "planned by plan %lld, %s", (long long)plan_id, at);
    else
        snprintf(buf, n, "%s, %s", status, at);
}

static bool is_staff(const struct auth_principal *who)
{
    return who->role == AUTH_ROLE_ADMIN || who->role == AUTH_ROLE_OPERATOR;
}

/* A drop unloads what the route's pickup stops loaded: it cannot be
** delivered before every such pickup has been reported picked up, nor
** after the goods left the vehicle (the route's END brought them back to
** the depot). Except as a correction by staff (the drop happened, its
** report did not): when every consignment of the drop is open at the
** route's depot (the END's node) and no plan has taken it since, *correction
** is set and the caller delivers them from there. A driver gets the
** conflict: what it reports now cannot be checked against the goods. */
static int drop_after_pickup(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                             int64_t plan_id, bool *correction, struct err *e)
{
    *correction = false;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT p.id, p.status, i.consignment_id FROM lg_stop_items i "
                           "JOIN lg_stop_items j ON j.county_id = i.county_id "
                           "AND j.consignment_id = i.consignment_id AND j.load = 1 "
                           "JOIN lg_stops p ON p.county_id = j.county_id AND p.id = j.stop_id "
                           "WHERE i.county_id = ? AND i.stop_id = ? AND i.consignment_id > 0 "
                           "AND p.route_id = ? AND p.status != 'picked_up' LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    store_bind_i64(s, 3, route_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc == STORE_ROW)
        return err_set(
            e, ERR_CONFLICT, "consignment %lld is not picked up yet: its pickup stop %lld is %s",
            (long long)store_col_i64(s, 2), (long long)store_col_i64(s, 0), store_col_text(s, 1));
    /* the first consignment of the drop that is not on board */
    if ((rc = store_prepare(c,
                            "SELECT k.id, k.status, COALESCE(k.plan_id, 0), "
                            "COALESCE(k.at_node_id, 0) FROM lg_stop_items i "
                            "JOIN lg_consignments k ON k.county_id = i.county_id "
                            "AND k.id = i.consignment_id WHERE i.county_id = ? AND i.stop_id = ? "
                            "AND i.consignment_id > 0 AND (k.status != 'picked_up' "
                            "OR k.plan_id IS NULL OR k.plan_id != ?) ORDER BY k.id LIMIT 1",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    store_bind_i64(s, 3, plan_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : 0; /* all on board: a plain delivery */
    char where[96];
    cons_where(where, sizeof where, store_col_text(s, 1), store_col_i64(s, 2), store_col_i64(s, 3));
    if (!is_staff(a->who))
        return err_set(e, ERR_CONFLICT,
                       "consignment %lld is no longer on board: it is %s (only staff may report "
                       "this drop delivered now)",
                       (long long)store_col_i64(s, 0), where);
    /* staff: a correction needs every one open at the route's depot */
    bool back = false;
    int64_t depot = 0;
    if ((rc = route_end(c, a->who->county_id, route_id, &back, &depot, e)))
        return rc;
    if ((rc = store_prepare(c,
                            "SELECT k.id, k.status, COALESCE(k.plan_id, 0), "
                            "COALESCE(k.at_node_id, 0) FROM lg_stop_items i "
                            "JOIN lg_consignments k ON k.county_id = i.county_id "
                            "AND k.id = i.consignment_id WHERE i.county_id = ? AND i.stop_id = ? "
                            "AND i.consignment_id > 0 AND NOT (k.status = 'open' "
                            "AND k.plan_id IS NULL AND k.at_node_id = ?) ORDER BY k.id LIMIT 1",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    store_bind_i64(s, 3, depot);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc == STORE_ROW) {
        cons_where(where, sizeof where, store_col_text(s, 1), store_col_i64(s, 2),
                   store_col_i64(s, 3));
        return err_set(e, ERR_CONFLICT,
                       "consignment %lld is no longer on board, nor open at the route's depot "
                       "(node %lld) with no plan: it is %s",
                       (long long)store_col_i64(s, 0), (long long)depot, where);
    }
    *correction = depot > 0;
    return 0;
}

/* Ids of the consignments held by plan_id in `status` that stop_id loads
** (load 1) or unloads (load 0). You own *ids (free()). */
static int stop_cons(struct store_conn *c, int64_t county_id, int64_t stop_id, int load,
                     int64_t plan_id, const char *status, int64_t **ids, size_t *n, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT DISTINCT k.id FROM lg_stop_items i "
                           "JOIN lg_consignments k ON k.county_id = i.county_id "
                           "AND k.id = i.consignment_id WHERE i.county_id = ? AND i.stop_id = ? "
                           "AND i.load = ? AND i.consignment_id > 0 AND k.plan_id = ? "
                           "AND k.status = ? ORDER BY k.id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, stop_id);
    store_bind_i64(s, 3, load);
    store_bind_i64(s, 4, plan_id);
    store_bind_text(s, 5, status, -1);
    return logistics__rows_i64(s, 1, ids, n, e);
}

/* Set consignment id's status; at_node > 0 also records where its goods
** now are; release drops its plan (it is open: no plan holds it). */
static int cons_set(struct store_conn *c, int64_t county_id, int64_t id, const char *to,
                    int64_t at_node, bool release, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE lg_consignments SET status = ?, "
                           "at_node_id = CASE WHEN ? > 0 THEN ? ELSE at_node_id END, "
                           "plan_id = CASE WHEN ? = 1 THEN NULL ELSE plan_id END "
                           "WHERE county_id = ? AND id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, to, -1);
    store_bind_i64(s, 2, at_node);
    store_bind_i64(s, 3, at_node);
    store_bind_i64(s, 4, release ? 1 : 0);
    store_bind_i64(s, 5, county_id);
    store_bind_i64(s, 6, id);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* An audit row on consignment id (what a stop event did to it); takes
** ownership of detail. */
static int cons_audit(struct store_conn *c, const struct ev_args *a, const char *action, int64_t id,
                      struct json_object *detail, struct err *e)
{
    int rc = logistics__audit(c, a->who, action, "consignment", id, rjson_str(detail, NULL), e);
    json_object_put(detail);
    return rc;
}

/* A pickup's event moves the consignments it loads that the route's plan
** holds as planned: picked_up on board, or, when it failed (the
** cooperative was closed, the goods not ready), open again at the same
** place with no plan, for the next dispatch; the failure's reason goes to
** each one's audit row. A pickup reported picked_up after its route's END
** or the sweep reopened its consignments (it was not reported in time: a
** phone that queued it) takes back those still open, held by no plan and
** picked up at no other stop: the goods are on this vehicle after all.
** *n: how many moved. */
static int cons_at_pickup(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                          int64_t plan_id, int64_t *n, struct err *e)
{
    int64_t *ids = NULL;
    size_t k = 0;
    int rc = stop_cons(c, a->who->county_id, a->stop_id, 1, plan_id, "planned", &ids, &k, e);
    bool failed = a->ev == LOGISTICS_EV_FAILED;
    for (size_t i = 0; i < k && !rc; i++) {
        if (failed)
            rc = logistics__cons_reopen(c, a->who, ids[i], a->stop_id, route_id, plan_id, a->reason,
                                        e);
        else
            rc = cons_set(c, a->who->county_id, ids[i], "picked_up", 0, false, e);
    }
    free(ids);
    *n = (int64_t)k;
    if (rc || failed)
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "SELECT DISTINCT k.id FROM lg_stop_items i "
                            "JOIN lg_consignments k ON k.county_id = i.county_id "
                            "AND k.id = i.consignment_id WHERE i.county_id = ? AND i.stop_id = ? "
                            "AND i.load = 1 AND i.consignment_id > 0 AND i.plan_id = ? "
                            "AND k.status = 'open' AND k.plan_id IS NULL AND NOT EXISTS "
                            "(SELECT 1 FROM lg_stop_items j JOIN lg_stops q "
                            "ON q.county_id = j.county_id AND q.id = j.stop_id "
                            "WHERE j.county_id = k.county_id AND j.consignment_id = k.id "
                            "AND j.load = 1 AND q.status = 'picked_up' AND q.id != i.stop_id) "
                            "ORDER BY k.id",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    store_bind_i64(s, 3, plan_id);
    rc = logistics__rows_i64(s, 1, &ids, &k, e);
    for (size_t i = 0; i < k && !rc; i++) {
        if ((rc = store_prepare(c,
                                "UPDATE lg_consignments SET status = 'picked_up', plan_id = ? "
                                "WHERE county_id = ? AND id = ?",
                                &s, e)))
            break;
        store_bind_i64(s, 1, plan_id);
        store_bind_i64(s, 2, a->who->county_id);
        store_bind_i64(s, 3, ids[i]);
        if ((rc = store_step(s, e)) < 0)
            break;
        rc = 0;
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "stop_id", json_object_new_int64(a->stop_id));
        json_object_object_add(d, "route_id", json_object_new_int64(route_id));
        json_object_object_add(d, "plan_id", json_object_new_int64(plan_id));
        rc = cons_audit(c, a, "consignment.picked_up_late", ids[i], d, e);
    }
    free(ids);
    *n += (int64_t)k;
    return rc;
}

/* The route's END: the consignments its plan holds as planned whose pickup
** on this route was never reported (pending, or arrived and no more) did
** not leave their place, and nothing will fetch them now: open again, no
** plan, as after a failed pickup, so the next dispatch collects them (they
** stayed planned for good). *n: how many. */
static int cons_unreported(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                           int64_t plan_id, int64_t *n, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT k.id, MIN(p.id) FROM lg_stop_items i "
                           "JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
                           "JOIN lg_consignments k ON k.county_id = i.county_id "
                           "AND k.id = i.consignment_id WHERE i.county_id = ? AND p.route_id = ? "
                           "AND p.kind = ? AND p.status IN ('pending', 'arrived') AND i.load = 1 "
                           "AND i.consignment_id > 0 AND k.status = 'planned' AND k.plan_id = ? "
                           "GROUP BY k.id ORDER BY k.id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, route_id);
    store_bind_i64(s, 3, LOGISTICS_STOP_PICKUP);
    store_bind_i64(s, 4, plan_id);
    int64_t *v = NULL; /* consignment, pickup stop */
    size_t k = 0;
    rc = logistics__rows_i64(s, 2, &v, &k, e);
    for (size_t i = 0; i < k && !rc; i++)
        rc = logistics__cons_reopen(c, a->who, v[2 * i], v[2 * i + 1], route_id, plan_id,
                                    "pickup not reported when the route ended", e);
    free(v);
    *n = (int64_t)k;
    return rc;
}

/* A staff correction of a drop reported delivered after the goods came
** back to the depot (drop_after_pickup checked each is open there, held by
** no plan): delivered at the drop (node_id), held by plan_id again as the
** plan that delivered them, each with an audit row saying it was a
** correction, from which depot, and the delivery time reported (the row
** itself records who corrected it and when). *n: how many. */
static int cons_corrected(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                          int64_t plan_id, int64_t node_id, int64_t *n, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT DISTINCT k.id, k.at_node_id FROM lg_stop_items i "
                           "JOIN lg_consignments k ON k.county_id = i.county_id "
                           "AND k.id = i.consignment_id WHERE i.county_id = ? AND i.stop_id = ? "
                           "AND i.load = 0 AND i.consignment_id > 0 ORDER BY k.id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    int64_t *v = NULL; /* consignment, the depot it was at */
    size_t k = 0;
    rc = logistics__rows_i64(s, 2, &v, &k, e);
    for (size_t i = 0; i < k && !rc; i++) {
        if ((rc = store_prepare(c,
                                "UPDATE lg_consignments SET status = 'delivered', at_node_id = ?, "
                                "plan_id = ? WHERE county_id = ? AND id = ?",
                                &s, e)))
            break;
        store_bind_i64(s, 1, node_id);
        store_bind_i64(s, 2, plan_id);
        store_bind_i64(s, 3, a->who->county_id);
        store_bind_i64(s, 4, v[2 * i]);
        if ((rc = store_step(s, e)) < 0)
            break;
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "stop_id", json_object_new_int64(a->stop_id));
        json_object_object_add(d, "route_id", json_object_new_int64(route_id));
        json_object_object_add(d, "plan_id", json_object_new_int64(plan_id));
        json_object_object_add(d, "from_node_id", json_object_new_int64(v[2 * i + 1]));
        json_object_object_add(d, "at_node_id", json_object_new_int64(node_id));
        json_object_object_add(d, "delivered", rjson_new_time(a->ts_ms));
        json_object_object_add(d, "corrected_by", json_object_new_string(a->who->name));
        rc = cons_audit(c, a, "consignment.delivery_corrected", v[2 * i], d, e);
    }
    free(v);
    *n = (int64_t)k;
    return rc;
}

/* Arrival at a route's END (its depot, node depot_node) unloads whatever
** its vehicle still has on board: the picked-up consignments whose pickup,
** reported picked_up at or before the arrival (ts_ms), was on a route of
** this vehicle in the plan holding them. That is this route, or an earlier
** route of the vehicle that did not unload them (a plan superseded while
** they were on board, an END never reported): the vehicle carried them
** on. With only_route > 0, just what that route picked up (a pickup
** reported after its END). Those bound for the depot (to_node_id 0 or
** depot_node) are delivered there; the others (bound for a cold store or
** another hub, their drop failed or was not reported) are back at the
** depot: open again, at_node_id = depot_node, no plan, so the next
** dispatch collects them here and still takes them to their destination.
** Each return has an audit row naming its drop's status and reason. Those
** whose pickup was not reported keep their status. *delivered, *returned:
** how many moved each way. */
static int cons_at_depot(struct store_conn *c, const struct ev_args *a, int64_t vehicle_id,
                         int64_t only_route, int64_t depot_node, int64_t ts_ms, int64_t *delivered,
                         int64_t *returned, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT DISTINCT k.id, k.to_node_id, k.plan_id, p.route_id FROM lg_consignments k "
        "JOIN lg_stop_items i ON i.county_id = k.county_id AND i.consignment_id = k.id "
        "AND i.plan_id = k.plan_id AND i.load = 1 "
        "JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
        "JOIN lg_routes r ON r.county_id = p.county_id AND r.id = p.route_id "
        "WHERE k.county_id = ? AND k.status = 'picked_up' AND p.status = 'picked_up' "
        "AND ((? > 0 AND p.route_id = ?) OR (? = 0 AND p.actual_ms <= ? AND r.vehicle_id = ?)) "
        "ORDER BY k.id",
        &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, only_route);
    store_bind_i64(s, 3, only_route);
    store_bind_i64(s, 4, only_route);
    store_bind_i64(s, 5, ts_ms);
    store_bind_i64(s, 6, vehicle_id);
    struct on_board {
        int64_t id, to_node, plan_id, route_id;
    } *ob = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&ob, &cap, n + 1, sizeof *ob);
        ob[n++] = (struct on_board){store_col_i64(s, 0), store_col_i64(s, 1), store_col_i64(s, 2),
                                    store_col_i64(s, 3)};
    }
    rc = rc < 0 ? rc : 0;
    *delivered = *returned = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        bool here = ob[i].to_node == 0 || ob[i].to_node == depot_node;
        if ((rc = cons_set(c, a->who->county_id, ob[i].id, here ? "delivered" : "open", depot_node,
                           !here, e)))
            break;
        if (here) {
            ++*delivered;
            continue;
        }
        ++*returned;
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "route_id", json_object_new_int64(ob[i].route_id));
        json_object_object_add(d, "plan_id", json_object_new_int64(ob[i].plan_id));
        json_object_object_add(d, "at_node_id", json_object_new_int64(depot_node));
        json_object_object_add(d, "end_stop_id", json_object_new_int64(a->stop_id));
        /* its drop on the route that loaded it: failed (why) or not reported */
        if ((rc = store_prepare(c,
                                "SELECT d.id, d.status, d.fail_reason FROM lg_stop_items j "
                                "JOIN lg_stops d ON d.county_id = j.county_id AND d.id = j.stop_id "
                                "WHERE j.county_id = ? AND j.consignment_id = ? AND j.load = 0 "
                                "AND d.route_id = ? AND d.kind = ? ORDER BY d.seq LIMIT 1",
                                &s, e))) {
            json_object_put(d);
            break;
        }
        store_bind_i64(s, 1, a->who->county_id);
        store_bind_i64(s, 2, ob[i].id);
        store_bind_i64(s, 3, ob[i].route_id);
        store_bind_i64(s, 4, LOGISTICS_STOP_DROP);
        if ((rc = store_step(s, e)) == STORE_ROW) {
            json_object_object_add(d, "drop_stop_id", json_object_new_int64(store_col_i64(s, 0)));
            json_object_object_add(d, "drop_status", json_object_new_string(store_col_text(s, 1)));
            if (store_col_text(s, 2)[0])
                json_object_object_add(d, "reason", json_object_new_string(store_col_text(s, 2)));
        } else if (rc < 0) {
            json_object_put(d);
            break;
        }
        rc = cons_audit(c, a, "consignment.returned", ob[i].id, d, e);
    }
    free(ob);
    return rc;
}

/* Whether the route still has goods on board: consignments its plan holds
** as picked_up whose pickup on this route was reported. A superseded
** plan's route with goods on board still takes the events that unload
** them (its drops, its END): nothing else could. */
static int route_has_goods(struct store_conn *c, int64_t county_id, int64_t route_id,
                           int64_t plan_id, bool *yes, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT 1 FROM lg_stop_items i "
                           "JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
                           "JOIN lg_consignments k ON k.county_id = i.county_id "
                           "AND k.id = i.consignment_id WHERE i.county_id = ? AND p.route_id = ? "
                           "AND i.load = 1 AND i.consignment_id > 0 AND p.status = 'picked_up' "
                           "AND k.status = 'picked_up' AND k.plan_id = ? LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, route_id);
    store_bind_i64(s, 3, plan_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    *yes = rc == STORE_ROW;
    return 0;
}

static int ev_write(struct store_conn *c, void *arg, struct err *e)
{
    struct ev_args *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT route_id, kind, status, proof_code, arrive_ms, node_id "
                           "FROM lg_stops WHERE county_id = ? AND id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->stop_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no stop %lld", (long long)a->stop_id);
    int64_t route_id = store_col_i64(s, 0), planned = store_col_i64(s, 4);
    int64_t node_id = store_col_i64(s, 5);
    enum logistics_stop_kind kind = (enum logistics_stop_kind)store_col_i64(s, 1);
    char status[16], proof[16];
    snprintf(status, sizeof status, "%s", store_col_text(s, 2));
    snprintf(proof, sizeof proof, "%s", store_col_text(s, 3));
    struct route_ctx rx;
    if ((rc = route_ctx_load(c, a->who, route_id, true, &rx, e)))
        return rc;
    /* a superseded plan's route unloads what it still carries, nothing more */
    if (rx.status == LOGISTICS_PLAN_SUPERSEDED) {
        bool goods = false;
        if ((kind == LOGISTICS_STOP_DROP || kind == LOGISTICS_STOP_END) &&
            (rc = route_has_goods(c, a->who->county_id, route_id, rx.plan_id, &goods, e)))
            return rc;
        /* and staff may still correct a drop whose report came too late */
        if (!goods &&
            !(is_staff(a->who) && kind == LOGISTICS_STOP_DROP && a->ev == LOGISTICS_EV_DELIVERED))
            return err_set(e, ERR_CONFLICT, "plan %lld is not approved", (long long)rx.plan_id);
    }
    if (strcmp(status, "pending") != 0 && strcmp(status, "arrived") != 0)
        return err_set(e, ERR_CONFLICT, "stop %lld is already %s", (long long)a->stop_id, status);
    const char *to = NULL;
    bool correction = false;
    switch (a->ev) {
    case LOGISTICS_EV_ARRIVED:
        if (strcmp(status, "pending") != 0)
            return err_set(e, ERR_CONFLICT, "stop %lld is already arrived", (long long)a->stop_id);
        to = "arrived";
        break;
    case LOGISTICS_EV_DELIVERED: {
        if (kind != LOGISTICS_STOP_DELIVERY && kind != LOGISTICS_STOP_DROP)
            return err_set(e, ERR_INVAL, "stop %lld delivers nothing", (long long)a->stop_id);
        if (kind == LOGISTICS_STOP_DROP &&
            (rc = drop_after_pickup(c, a, route_id, rx.plan_id, &correction, e)))
            return rc;
        size_t pl = a->proof ? strlen(a->proof) : 0, ql = strlen(proof);
        unsigned diff = (unsigned)(pl ^ ql);
        for (size_t i = 0; i < ql; i++)
            diff |= (unsigned)(i < pl ? a->proof[i] : 0) ^ (unsigned char)proof[i];
        if (!ql || diff)
            return err_set(e, ERR_INVAL, "wrong proof-of-delivery code");
        to = "delivered";
        break;
    }
    case LOGISTICS_EV_PICKED_UP:
        if (kind != LOGISTICS_STOP_PICKUP)
            return err_set(e, ERR_INVAL, "stop %lld is not a pickup", (long long)a->stop_id);
        to = "picked_up";
        break;
    case LOGISTICS_EV_FAILED:
        if (!a->reason || !a->reason[0] || strlen(a->reason) >= LOGISTICS_TEXT_BUF ||
            !utf8_valid(a->reason, strlen(a->reason)))
            return err_set(e, ERR_INVAL, "a failure needs a reason (1-199 bytes of UTF-8)");
        to = "failed";
        break;
    default:
        return err_set(e, ERR_INVAL, "unknown event");
    }
    if (kind == LOGISTICS_STOP_START || kind == LOGISTICS_STOP_END) {
        if (a->ev != LOGISTICS_EV_ARRIVED)
            return err_set(e, ERR_INVAL, "depot stops take 'arrived' only");
    }
    if ((rc = store_prepare(c,
                            "UPDATE lg_stops SET status = ?, actual_ms = ?, fail_reason = ? "
                            "WHERE county_id = ? AND id = ?",
                            &s, e)))
        return rc;
    store_bind_text(s, 1, to, -1);
    store_bind_i64(s, 2, a->ts_ms);
    store_bind_text(s, 3, a->ev == LOGISTICS_EV_FAILED ? a->reason : "", -1);
    store_bind_i64(s, 4, a->who->county_id);
    store_bind_i64(s, 5, a->stop_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    /* a correction says what happened at the drop, not where the route is:
    ** its delay and alerts stay as they are */
    if (!correction) {
        if ((rc = store_prepare(
                 c, "UPDATE lg_routes SET delay_s = ? WHERE county_id = ? AND id = ?", &s, e)))
            return rc;
        store_bind_i64(s, 1, a->ts_ms > planned ? (a->ts_ms - planned) / 1000 : 0);
        store_bind_i64(s, 2, a->who->county_id);
        store_bind_i64(s, 3, route_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        /* back on time (by the rule that raised its late alert): closed, a
        ** GPS fix or not */
        if ((rc = logistics__late_review(c, a->who->county_id, rx.plan_id, route_id, a->ts_ms, 0,
                                         NULL, NULL, e)))
            return rc;
    }
    /* A delivered drop is the consignment's arrival at its cold store, the
    ** END's arrival that at the depot of those carried there; left
    ** "picked_up", the next dispatch would not plan it but nothing would say
    ** it arrived. A failed pickup makes its consignments open again; a
    ** failed drop moves nothing (the goods stay on board until the END). A
    ** pickup reported after the END's arrival (a phone that queued it) is
    ** unloaded at once, as the END would have; what the END found never
    ** picked up is open again. The time is the stop's actual_ms, as for any
    ** event. */
    int64_t moved = -1, delivered = -1, returned = -1, released = -1;
    if (kind == LOGISTICS_STOP_PICKUP &&
        (a->ev == LOGISTICS_EV_PICKED_UP || a->ev == LOGISTICS_EV_FAILED)) {
        rc = cons_at_pickup(c, a, route_id, rx.plan_id, &moved, e);
        bool back = false;
        int64_t depot = 0;
        if (!rc && a->ev == LOGISTICS_EV_PICKED_UP && moved > 0 &&
            !(rc = route_end(c, a->who->county_id, route_id, &back, &depot, e)) && back)
            rc = cons_at_depot(c, a, rx.vehicle_id, route_id, depot, 0, &delivered, &returned, e);
    } else if (correction) {
        rc = cons_corrected(c, a, route_id, rx.plan_id, node_id, &moved, e);
    } else if (a->ev == LOGISTICS_EV_DELIVERED && kind == LOGISTICS_STOP_DROP) {
        int64_t *ids = NULL;
        size_t k = 0;
        rc = stop_cons(c, a->who->county_id, a->stop_id, 0, rx.plan_id, "picked_up", &ids, &k, e);
        for (size_t i = 0; i < k && !rc; i++)
            rc = cons_set(c, a->who->county_id, ids[i], "delivered", node_id, false, e);
        free(ids);
        moved = (int64_t)k;
    } else if (a->ev == LOGISTICS_EV_ARRIVED && kind == LOGISTICS_STOP_END) {
        rc = cons_at_depot(c, a, rx.vehicle_id, 0, node_id, a->ts_ms, &delivered, &returned, e);
        if (!rc)
            rc = cons_unreported(c, a, route_id, rx.plan_id, &released, e);
    }
    if (rc)
        return rc;
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "event", json_object_new_string(to));
    json_object_object_add(d, "route_id", json_object_new_int64(route_id));
    if (a->ev == LOGISTICS_EV_FAILED)
        json_object_object_add(d, "reason", json_object_new_string(a->reason));
    if (moved >= 0)
        json_object_object_add(d, "consignments", json_object_new_int64(moved));
    if (delivered >= 0) {
        json_object_object_add(d, "consignments_delivered", json_object_new_int64(delivered));
        json_object_object_add(d, "consignments_returned", json_object_new_int64(returned));
    }
    if (released >= 0)
        json_object_object_add(d, "consignments_not_picked_up", json_object_new_int64(released));
    if (correction)
        json_object_object_add(d, "correction", json_object_new_boolean(true));
    rc = logistics__audit(c, a->who, "stop.event", "stop", a->stop_id, rjson_str(d, NULL), e);
    json_object_put(d);
    return rc;
}

int logistics_track_event(struct store *st, const struct auth_principal *who, int64_t stop_id,
                          enum logistics_event ev, const char *proof_code, const char *reason,
                          int64_t ts_ms, struct err *e)
{
    if (!who)
        return err_set(e, ERR_AUTH, "no caller");
    if ((unsigned)ev >= LOGISTICS_EV_COUNT)
        return err_set(e, ERR_INVAL, "unknown event");
    if (stop_id <= 0)
        return err_set(e, ERR_NOTFOUND, "no stop %lld", (long long)stop_id);
    struct ev_args a = {who, stop_id, ev, proof_code, reason, ts_ms ? ts_ms : time_now_ms()};
    return store_write(st, ev_write, &a, e);
}

/* ------------------------------------- goods that arrived without a route */

struct recv_args {
    const struct auth_principal *who;
    int64_t id, node_id;
    bool node_is_depot; /* node_id is a hub or a township station */
    struct logistics_consignment out;
};

static int recv_write(struct store_conn *c, void *arg, struct err *e)
{
    struct recv_args *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT status, COALESCE(plan_id, 0), COALESCE(at_node_id, 0), "
                           "to_node_id FROM lg_consignments WHERE county_id = ? AND id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no consignment %lld", (long long)a->id);
    int64_t from = store_col_i64(s, 2), to = store_col_i64(s, 3);
    if (strcmp(store_col_text(s, 0), "open") != 0) {
        char where[96];
        cons_where(where, sizeof where, store_col_text(s, 0), store_col_i64(s, 1), from);
        return err_set(e, ERR_CONFLICT, "consignment %lld is %s: only an open one can be received",
                       (long long)a->id, where);
    }
    if (to > 0 && a->node_id > 0 && a->node_id != to)
        return err_set(e, ERR_INVAL, "consignment %lld goes to node %lld, not node %lld",
                       (long long)a->id, (long long)to, (long long)a->node_id);
    if (to == 0 && (a->node_id <= 0 || !a->node_is_depot))
        return err_set(e, ERR_INVAL,
                       "consignment %lld goes to the depot: node_id must name the depot (a hub "
                       "or a township station)",
                       (long long)a->id);
    int64_t at = to > 0 ? to : a->node_id;
    if ((rc = store_prepare(c,
                            "UPDATE lg_consignments SET status = 'delivered', at_node_id = ?, "
                            "plan_id = NULL WHERE county_id = ? AND id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, at);
    store_bind_i64(s, 2, a->who->county_id);
    store_bind_i64(s, 3, a->id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    struct json_object *d = json_object_new_object();
    json_object_object_add(d, "at_node_id", json_object_new_int64(at));
    if (from > 0)
        json_object_object_add(d, "from_node_id", json_object_new_int64(from));
    rc = logistics__audit(c, a->who, "consignment.received", "consignment", a->id,
                          rjson_str(d, NULL), e);
    json_object_put(d);
    a->out.id = a->id;
    a->out.to_node_id = to;
    a->out.at_node_id = at;
    snprintf(a->out.status, sizeof a->out.status, "delivered");
    return rc;
}

int logistics_consignment_receive(struct store *st, const struct auth_principal *who, int64_t id,
                                  int64_t node_id, struct logistics_consignment *out, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (rc)
        return rc;
    if (id <= 0)
        return err_set(e, ERR_NOTFOUND, "no consignment %lld", (long long)id);
    if (node_id < 0)
        return err_set(e, ERR_INVAL, "node_id must be a node id");
    /* what kind of node (county's to say): one bound for "the depot" is
    ** received at a depot; one with a destination only there (the write) */
    struct recv_args a = {.who = who, .id = id, .node_id = node_id};
    if (node_id > 0) {
        struct county_node nd;
        struct err ne = {0};
        if (county_node_get(st, who, node_id, &nd, &ne))
            return err_set(e, ERR_INVAL, "node %lld does not exist in this county",
                           (long long)node_id);
        a.node_is_depot = nd.kind == COUNTY_NODE_HUB || nd.kind == COUNTY_NODE_STATION;
    }
    if ((rc = store_write(st, recv_write, &a, e)))
        return rc;
    if (out)
        *out = a.out;
    return 0;
}

struct carries_args {
    const struct auth_principal *who;
    int64_t order_id;
    bool yes;
};

static int carries_read(struct store_conn *c, void *arg, struct err *e)
{
    struct carries_args *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT 1 FROM lg_stop_items i"
                           " JOIN lg_stops s ON s.id = i.stop_id"
                           " JOIN lg_routes r ON r.id = s.route_id"
                           " JOIN lg_plans p ON p.id = r.plan_id"
                           " WHERE i.county_id = ? AND i.order_id = ? AND r.driver_user_id = ?"
                           " AND p.status = ? LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->order_id);
    store_bind_i64(s, 3, a->who->user_id);
    store_bind_i64(s, 4, LOGISTICS_PLAN_APPROVED);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    a->yes = rc == STORE_ROW;
    return 0;
}

int logistics_driver_carries(struct store *st, const struct auth_principal *who, int64_t order_id,
                             bool *yes, struct err *e)
{
    *yes = false;
    if (!who)
        return err_set(e, ERR_AUTH, "no caller");
    if (who->role != AUTH_ROLE_DRIVER || order_id <= 0)
        return 0;
    struct carries_args a = {who, order_id, false};
    int rc = store_read(st, carries_read, &a, e);
    *yes = !rc && a.yes;
    return rc;
}

struct al_args {
    const struct auth_principal *who;
    int64_t plan_id;
    struct logistics_alert *out;
    size_t n, cap;
};

static int al_read(struct store_conn *c, void *arg, struct err *e)
{
    struct al_args *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, route_id, kind, detail, open, ts_ms, delay_s, distance_m "
                           "FROM lg_alerts WHERE county_id = ? AND plan_id = ? "
                           "ORDER BY id DESC LIMIT 1000",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->plan_id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->out, &a->cap, a->n + 1, sizeof *a->out);
        struct logistics_alert *x = &a->out[a->n++];
        memset(x, 0, sizeof *x);
        x->id = store_col_i64(s, 0);
        x->route_id = store_col_i64(s, 1);
        snprintf(x->kind, sizeof x->kind, "%s", store_col_text(s, 2));
        snprintf(x->detail, sizeof x->detail, "%s", store_col_text(s, 3));
        x->open = store_col_i64(s, 4) != 0;
        x->ts_ms = store_col_i64(s, 5);
        x->delay_s = store_col_is_null(s, 6) ? -1 : store_col_i64(s, 6);
        x->distance_m = store_col_is_null(s, 7) ? -1 : store_col_i64(s, 7);
    }
    return rc < 0 ? rc : 0;
}

int logistics_alert_list(struct store *st, const struct auth_principal *who, int64_t plan_id,
                         struct logistics_alert **out, size_t *n, struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read alerts");
    struct al_args a = {.who = who, .plan_id = plan_id};
    int rc = store_read(st, al_read, &a, e);
    if (rc) {
        free(a.out);
        return rc;
    }
    *out = a.out;
    *n = a.n;
    return 0;
}

/* ------------------------------------------------------- last positions */

struct lp_args {
    const struct auth_principal *who;
    int64_t plan_id;
    struct logistics_position *out;
    size_t n, cap;
};

static int lp_read(struct store_conn *c, void *arg, struct err *e)
{
    struct lp_args *a = arg;
    struct store_stmt *s;
    /* The newest position of each route of the plan (index on county, route, ts). */
    int rc =
        store_prepare(c,
                      "SELECT p.route_id, p.ts_ms, p.lat, p.lon FROM lg_routes r "
                      "JOIN lg_positions p ON p.county_id = r.county_id AND p.route_id = r.id "
                      "WHERE r.county_id = ? AND r.plan_id = ? AND p.ts_ms = "
                      "(SELECT MAX(q.ts_ms) FROM lg_positions q WHERE q.county_id = r.county_id "
                      "AND q.route_id = r.id) ORDER BY p.route_id",
                      &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->plan_id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        int64_t route = store_col_i64(s, 0);
        if (a->n && a->out[a->n - 1].route_id == route)
            continue; /* two fixes with the same time: keep one */
        xgrow((void **)&a->out, &a->cap, a->n + 1, sizeof *a->out);
        struct logistics_position *p = &a->out[a->n++];
        p->route_id = route;
        p->ts_ms = store_col_i64(s, 1);
        p->pos.lat = store_col_double(s, 2);
        p->pos.lon = store_col_double(s, 3);
    }
    return rc < 0 ? rc : 0;
}

int logistics_last_positions(struct store *st, const struct auth_principal *who, int64_t plan_id,
                             struct logistics_position **out, size_t *n, struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read vehicle positions");
    struct lp_args a = {.who = who, .plan_id = plan_id};
    int rc = store_read(st, lp_read, &a, e);
    if (rc) {
        free(a.out);
        return rc;
    }
    *out = a.out;
    *n = a.n;
    return 0;
}
