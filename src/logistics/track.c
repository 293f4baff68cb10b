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
** one is stored but moves neither. Stop events move the consignments:
** picked_up at a pickup, delivered at a drop (refused before the route's
** pickup of the goods) or, for those carried to the depot, on arrival at
** the route's END. Everything of one call happens in one write.
*/
#include "logistics/logistics_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct route_ctx {
    int64_t plan_id, driver_user_id, date_ms;
    int status;
};

static int route_ctx_load(struct store_conn *c, const struct auth_principal *who, int64_t route_id,
                          struct route_ctx *out, struct err *e)
{
    struct store_stmt *s;
    int rc =
        store_prepare(c,
                      "SELECT r.plan_id, r.driver_user_id, p.status, p.date_ms FROM lg_routes r "
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
    if (who->role == AUTH_ROLE_DRIVER) {
        if (out->driver_user_id != who->user_id)
            return err_set(e, ERR_PERM, "route %lld is another driver's", (long long)route_id);
    } else if (who->role != AUTH_ROLE_ADMIN && who->role != AUTH_ROLE_OPERATOR) {
        return err_set(e, ERR_PERM, "only drivers and staff report on routes");
    }
    if (out->status != LOGISTICS_PLAN_APPROVED)
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

/* Open or close the route's alert of this kind; counts raised ones. */
static int alert_set(struct store_conn *c, struct pos_args *a, int64_t plan_id, const char *kind,
                     bool on, const char *detail, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id FROM lg_alerts WHERE county_id = ? AND route_id = ? "
                           "AND kind = ? AND open = 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, a->route_id);
    store_bind_text(s, 3, kind, -1);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    bool open = rc == STORE_ROW;
    int64_t id = open ? store_col_i64(s, 0) : 0;
    if (on && !open) {
        if ((rc =
                 store_prepare(c,
                               "INSERT INTO lg_alerts (county_id, plan_id, route_id, kind, detail, "
                               "open, ts_ms) VALUES (?,?,?,?,?,1,?)",
                               &s, e)))
            return rc;
        store_bind_i64(s, 1, a->who->county_id);
        store_bind_i64(s, 2, plan_id);
        store_bind_i64(s, 3, a->route_id);
        store_bind_text(s, 4, kind, -1);
        store_bind_text(s, 5, detail, -1);
        store_bind_i64(s, 6, a->ts_ms);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        a->raised++;
    } else if (!on && open) {
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
    int rc = route_ctx_load(c, a->who, a->route_id, &rc_, e);
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
    if ((rc = alert_set(c, a, rc_.plan_id, "late", a->delay_s > a->cfg.late_after_s, detail, e)))
        return rc;
    snprintf(detail, sizeof detail, "%.0f m from the planned route", corridor);
    bool off = have_prev && corridor < 1e17 && corridor > (double)a->cfg.corridor_m;
    return alert_set(c, a, rc_.plan_id, "off_corridor", off, detail, e);
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
    a.cfg.late_after_s = cfg && cfg->late_after_s > 0 ? cfg->late_after_s : 1200;
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

struct ev_args {
    const struct auth_principal *who;
    int64_t stop_id;
    enum logistics_event ev;
    const char *proof, *reason;
    int64_t ts_ms;
};

/* A drop unloads what the route's pickup stops loaded: it cannot be
** delivered before every such pickup has been reported picked up. */
static int drop_after_pickup(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                             struct err *e)
{
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
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : 0;
    return err_set(
        e, ERR_CONFLICT, "consignment %lld is not picked up yet: its pickup stop %lld is %s",
        (long long)store_col_i64(s, 2), (long long)store_col_i64(s, 0), store_col_text(s, 1));
}

/* Consignments of a stop's items (consignment_id > 0) move to `to`. */
static int cons_status(struct store_conn *c, const struct ev_args *a, const char *to, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE lg_consignments SET status = ? WHERE county_id = ? "
                           "AND id IN (SELECT consignment_id FROM lg_stop_items WHERE "
                           "county_id = ? AND stop_id = ? AND consignment_id > 0)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, to, -1);
    store_bind_i64(s, 2, a->who->county_id);
    store_bind_i64(s, 3, a->who->county_id);
    store_bind_i64(s, 4, a->stop_id);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* Arrival at the route's END (its depot, node depot_node) unloads what
** the route picked up for the depot: consignments still picked_up whose
** pickup stop on this route is picked_up and whose destination is the
** depot (to_node_id 0 or depot_node) become delivered. Those not picked up
** (pickup pending or failed) and those bound for a cold store are left as
** they are. *n: how many moved. */
static int cons_at_depot(struct store_conn *c, const struct ev_args *a, int64_t route_id,
                         int64_t depot_node, int64_t *n, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE lg_consignments SET status = 'delivered' WHERE county_id = ? "
                           "AND status = 'picked_up' AND (to_node_id = 0 OR to_node_id = ?) "
                           "AND id IN (SELECT i.consignment_id FROM lg_stop_items i "
                           "JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
                           "WHERE i.county_id = ? AND p.route_id = ? AND p.status = 'picked_up' "
                           "AND i.load = 1 AND i.consignment_id > 0)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->who->county_id);
    store_bind_i64(s, 2, depot_node);
    store_bind_i64(s, 3, a->who->county_id);
    store_bind_i64(s, 4, route_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    *n = store_changes(c);
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
    if ((rc = route_ctx_load(c, a->who, route_id, &rx, e)))
        return rc;
    if (strcmp(status, "pending") != 0 && strcmp(status, "arrived") != 0)
        return err_set(e, ERR_CONFLICT, "stop %lld is already %s", (long long)a->stop_id, status);
    const char *to = NULL;
    switch (a->ev) {
    case LOGISTICS_EV_ARRIVED:
        if (strcmp(status, "pending") != 0)
            return err_set(e, ERR_CONFLICT, "stop %lld is already arrived", (long long)a->stop_id);
        to = "arrived";
        break;
    case LOGISTICS_EV_DELIVERED: {
        if (kind != LOGISTICS_STOP_DELIVERY && kind != LOGISTICS_STOP_DROP)
            return err_set(e, ERR_INVAL, "stop %lld delivers nothing", (long long)a->stop_id);
        if (kind == LOGISTICS_STOP_DROP && (rc = drop_after_pickup(c, a, route_id, e)))
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
    if ((rc = store_prepare(c, "UPDATE lg_routes SET delay_s = ? WHERE county_id = ? AND id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, a->ts_ms > planned ? (a->ts_ms - planned) / 1000 : 0);
    store_bind_i64(s, 2, a->who->county_id);
    store_bind_i64(s, 3, route_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    /* A delivered drop is the consignment's arrival at its cold store, the
    ** END's arrival that at the depot of those carried there; left
    ** "picked_up", the next dispatch would not plan it but nothing would say
    ** it arrived. The time is the stop's actual_ms, as for any event. */
    rc = 0;
    int64_t at_depot = -1;
    if (a->ev == LOGISTICS_EV_PICKED_UP)
        rc = cons_status(c, a, "picked_up", e);
    else if (a->ev == LOGISTICS_EV_DELIVERED && kind == LOGISTICS_STOP_DROP)
        rc = cons_status(c, a, "delivered", e);
    else if (a->ev == LOGISTICS_EV_ARRIVED && kind == LOGISTICS_STOP_END)
        rc = cons_at_depot(c, a, route_id, node_id, &at_depot, e);
    if (rc)
        return rc;
    char detail[LOGISTICS_TEXT_BUF + 64];
    if (at_depot >= 0)
        snprintf(detail, sizeof detail,
                 "{\"event\":\"%s\",\"route_id\":%lld,\"consignments_delivered\":%lld}", to,
                 (long long)route_id, (long long)at_depot);
    else
        snprintf(detail, sizeof detail, "{\"event\":\"%s\",\"route_id\":%lld}", to,
                 (long long)route_id);
    return logistics__audit(c, a->who, "stop.event", "stop", a->stop_id, detail, e);
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
                           "SELECT id, route_id, kind, detail, open, ts_ms FROM lg_alerts "
                           "WHERE county_id = ? AND plan_id = ? ORDER BY id DESC LIMIT 1000",
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
