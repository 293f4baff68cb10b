/*
** plan_store.c: plans in the store. A plan is written in one write (plan row
** with its KPIs as columns, routes with the vehicle as planned, stops,
** items, unassigned work) and read back whole in one read snapshot. Also
** the plan list and approval (an operator's go-ahead; earlier approved
** plans of the same date and depot become superseded; a plan carrying
** goods an approved plan of another depot carries is refused, and so is a
** plan going for a consignment that is no longer where the draft goes for
** it; the plan's consignments become planned, held by it). Consignments on
** board a vehicle of a superseded plan stay held by it: its route can
** still unload them (track.c).
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int logistics__plan_insert(struct store_conn *c, const struct auth_principal *who,
                           struct logistics_plan *p, struct err *e)
{
    struct store_stmt *s;
    int64_t now = time_now_ms();
    int rc = store_prepare(
        c,
        "INSERT INTO lg_plans (county_id, kind, name, status, date_ms, depot_node_id, solve_s, "
        "k_routes, k_stops, k_orders_served, k_orders_unassigned, k_cons_served, "
        "k_cons_unassigned, k_villages, k_distance_m, k_driving_s, k_duration_s, k_cost_fen, "
        "k_co2_g, k_load_permille, k_lateness_s, k_chilled_min, created_by, created_ms) VALUES "
        "(?,?,?,0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
        &s, e);
    if (rc)
        return rc;
    const struct logistics_kpis *k = &p->kpis;
    int i = 1;
    store_bind_i64(s, i++, who->county_id);
    store_bind_text(s, i++, p->kind, -1);
    store_bind_text(s, i++, p->name, -1);
    store_bind_i64(s, i++, p->date_ms);
    store_bind_i64(s, i++, p->depot_node_id);
    store_bind_double(s, i++, p->solve_s);
    int64_t kv[] = {k->routes,
                    k->stops,
                    k->orders_served,
                    k->orders_unassigned,
                    k->consignments_served,
                    k->consignments_unassigned,
                    k->villages_served,
                    k->distance_m,
                    k->driving_s,
                    k->duration_s,
                    k->cost_fen,
                    k->co2_g,
                    k->load_permille,
                    k->lateness_s,
                    k->chilled_transit_min};
    for (size_t q = 0; q < RL_ARRAY_LEN(kv); q++)
        store_bind_i64(s, i++, kv[q]);
    store_bind_i64(s, i++, who->user_id);
    store_bind_i64(s, i++, now);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
    p->id = store_col_i64(s, 0);
    store_step(s, e);
    p->county_id = who->county_id;
    p->created_by = who->user_id;
    p->created_ms = now;
    for (size_t r = 0; r < p->n_routes; r++) {
        struct logistics_route *rt = &p->routes[r];
        struct json_object *vj = logistics__vehicle_json(&rt->vehicle);
        if ((rc = store_prepare(c,
                                "INSERT INTO lg_routes (county_id, plan_id, seq, vehicle_id, "
                                "driver_user_id, vehicle_json) VALUES (?,?,?,?,?,?) RETURNING id",
                                &s, e))) {
            json_object_put(vj);
            return rc;
        }
        store_bind_i64(s, 1, who->county_id);
        store_bind_i64(s, 2, p->id);
        store_bind_i64(s, 3, rt->seq);
        store_bind_i64(s, 4, rt->vehicle.id);
        store_bind_i64(s, 5, rt->driver_user_id);
        store_bind_text(s, 6, rjson_str(vj, NULL), -1);
        rc = store_step(s, e);
        json_object_put(vj);
        if (rc != STORE_ROW)
            return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
        rt->id = store_col_i64(s, 0);
        store_step(s, e);
        for (size_t q = 0; q < rt->n_stops; q++) {
            struct logistics_stop *st = &rt->stops[q];
            if ((rc = store_prepare(
                     c,
                     "INSERT INTO lg_stops (county_id, route_id, plan_id, seq, kind, node_id, "
                     "village_id, name, lat, lon, arrive_ms, depart_ms, tw_start_ms, tw_end_ms, "
                     "leg_dist_m, leg_dur_s, load_g, load_ml, chilled_load, chilled_unload, "
                     "proof_code, status, actual_ms, fail_reason, address) VALUES "
                     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                     &s, e)))
                return rc;
            i = 1;
            store_bind_i64(s, i++, who->county_id);
            store_bind_i64(s, i++, rt->id);
            store_bind_i64(s, i++, p->id);
            store_bind_i64(s, i++, st->seq);
            store_bind_i64(s, i++, st->kind);
            store_bind_i64(s, i++, st->node_id);
            store_bind_i64(s, i++, st->village_id);
            store_bind_text(s, i++, st->name ? st->name : "", -1);
            store_bind_double(s, i++, st->loc.lat);
            store_bind_double(s, i++, st->loc.lon);
            store_bind_i64(s, i++, st->arrive_ms);
            store_bind_i64(s, i++, st->depart_ms);
            store_bind_i64(s, i++, st->tw_start_ms);
            store_bind_i64(s, i++, st->tw_end_ms);
            store_bind_i64(s, i++, st->leg_dist_m);
            store_bind_i64(s, i++, st->leg_dur_s);
            store_bind_i64(s, i++, st->load_g);
            store_bind_i64(s, i++, st->load_ml);
            store_bind_i64(s, i++, st->chilled_load);
            store_bind_i64(s, i++, st->chilled_unload);
            store_bind_text(s, i++, st->proof_code, -1);
            store_bind_text(s, i++, st->status[0] ? st->status : "pending", -1);
            store_bind_i64(s, i++, st->actual_ms);
            store_bind_text(s, i++, st->fail_reason ? st->fail_reason : "", -1);
            store_bind_text(s, i++, st->address ? st->address : "", -1);
            if ((rc = store_step(s, e)) != STORE_ROW)
                return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
            st->id = store_col_i64(s, 0);
            store_step(s, e);
            for (size_t n = 0; n < st->n_items; n++) {
                const struct logistics_item *it = &st->items[n];
                if ((rc = store_prepare(
                         c,
                         "INSERT INTO lg_stop_items (stop_id, county_id, plan_id, n, "
                         "order_id, consignment_id, load, weight_g, volume_ml, "
                         "storage, label, urgent, lines_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         &s, e)))
                    return rc;
                store_bind_i64(s, 1, st->id);
                store_bind_i64(s, 2, who->county_id);
                store_bind_i64(s, 3, p->id);
                store_bind_i64(s, 4, (int64_t)n);
                store_bind_i64(s, 5, it->order_id);
                store_bind_i64(s, 6, it->consignment_id);
                store_bind_i64(s, 7, it->load ? 1 : 0);
                store_bind_i64(s, 8, it->weight_g);
                store_bind_i64(s, 9, it->volume_ml);
                store_bind_i64(s, 10, it->storage);
                store_bind_text(s, 11, it->label ? it->label : "", -1);
                store_bind_i64(s, 12, it->urgent ? 1 : 0);
                char *lines = logistics__lines_encode(it->lines, it->n_lines);
                store_bind_text(s, 13, lines, -1);
                rc = store_step(s, e);
                free(lines);
                if (rc < 0)
                    return rc;
            }
        }
    }
    for (size_t u = 0; u < p->n_unassigned; u++) {
        const struct logistics_unassigned *x = &p->unassigned[u];
        if ((rc = store_prepare(c,
                                "INSERT INTO lg_unassigned (plan_id, county_id, n, order_id, "
                                "consignment_id, node_id, reason, detail) VALUES (?,?,?,?,?,?,?,?)",
                                &s, e)))
            return rc;
        store_bind_i64(s, 1, p->id);
        store_bind_i64(s, 2, who->county_id);
        store_bind_i64(s, 3, (int64_t)u);
        store_bind_i64(s, 4, x->order_id);
        store_bind_i64(s, 5, x->consignment_id);
        store_bind_i64(s, 6, x->node_id);
        store_bind_text(s, 7, x->reason, -1);
        store_bind_text(s, 8, x->detail ? x->detail : "", -1);
        if ((rc = store_step(s, e)) < 0)
            return rc;
    }
    char detail[256];
    snprintf(detail, sizeof detail,
             "{\"kind\":\"%s\",\"routes\":%lld,\"distance_m\":%lld,\"unassigned\":%zu}", p->kind,
             (long long)k->routes, (long long)k->distance_m, p->n_unassigned);
    return logistics__audit(c, who, "plan.create", "plan", p->id, detail, e);
}

static const char PLAN_COLS[] =
    "id, county_id, kind, name, status, date_ms, depot_node_id, solve_s, k_routes, k_stops, "
    "k_orders_served, k_orders_unassigned, k_cons_served, k_cons_unassigned, k_villages, "
    "k_distance_m, k_driving_s, k_duration_s, k_cost_fen, k_co2_g, k_load_permille, "
    "k_lateness_s, k_chilled_min, created_by, approved_by, approved_ms, created_ms";

static void plan_row(struct store_stmt *s, struct logistics_plan *p)
{
    p->id = store_col_i64(s, 0);
    p->county_id = store_col_i64(s, 1);
    snprintf(p->kind, sizeof p->kind, "%s", store_col_text(s, 2));
    snprintf(p->name, sizeof p->name, "%s", store_col_text(s, 3));
    p->status = (enum logistics_plan_status)store_col_i64(s, 4);
    p->date_ms = store_col_i64(s, 5);
    p->depot_node_id = store_col_i64(s, 6);
    p->solve_s = store_col_double(s, 7);
    struct logistics_kpis *k = &p->kpis;
    int64_t *kv[] = {&k->routes,
                     &k->stops,
                     &k->orders_served,
                     &k->orders_unassigned,
                     &k->consignments_served,
                     &k->consignments_unassigned,
                     &k->villages_served,
                     &k->distance_m,
                     &k->driving_s,
                     &k->duration_s,
                     &k->cost_fen,
                     &k->co2_g,
                     &k->load_permille,
                     &k->lateness_s,
                     &k->chilled_transit_min};
    for (size_t q = 0; q < RL_ARRAY_LEN(kv); q++)
        *kv[q] = store_col_i64(s, 8 + (int)q);
    p->created_by = store_col_i64(s, 23);
    p->approved_by = store_col_i64(s, 24);
    p->approved_ms = store_col_i64(s, 25);
    p->created_ms = store_col_i64(s, 26);
}

int logistics__plan_load(struct store_conn *c, int64_t county_id, int64_t id,
                         struct logistics_plan *p, struct err *e)
{
    struct arena *a = &p->arena;
    struct store_stmt *s;
    char sql[768];
    snprintf(sql, sizeof sql, "SELECT %s FROM lg_plans WHERE county_id = ? AND id = ?", PLAN_COLS);
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no plan %lld", (long long)id);
    plan_row(s, p);
    /* routes */
    if ((rc = store_prepare(c,
                            "SELECT id, seq, vehicle_id, driver_user_id, vehicle_json, delay_s "
                            "FROM lg_routes WHERE county_id = ? AND plan_id = ? ORDER BY seq",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, id);
    size_t cap = 0;
    struct logistics_route *routes = NULL;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&routes, &cap, p->n_routes + 1, sizeof *routes);
        struct logistics_route *rt = &routes[p->n_routes++];
        memset(rt, 0, sizeof *rt);
        rt->id = store_col_i64(s, 0);
        rt->seq = (int)store_col_i64(s, 1);
        rt->driver_user_id = store_col_i64(s, 3);
        struct json_object *vj = NULL;
        const char *txt = store_col_text(s, 4);
        if (rjson_parse(txt, strlen(txt), &vj, NULL) == 0) {
            logistics__vehicle_from_json(vj, &rt->vehicle);
            json_object_put(vj);
        }
        rt->vehicle.id = store_col_i64(s, 2);
        rt->delay_s = store_col_i64(s, 5);
    }
    if (rc < 0) {
        free(routes);
        return rc;
    }
    p->routes = arena_alloc(a, (p->n_routes + 1) * sizeof *p->routes);
    if (p->n_routes)
        memcpy(p->routes, routes, p->n_routes * sizeof *routes);
    free(routes);
    for (size_t r = 0; r < p->n_routes && !rc; r++) {
        struct logistics_route *rt = &p->routes[r];
        if ((rc = store_prepare(
                 c,
                 "SELECT id, seq, kind, node_id, village_id, name, lat, lon, arrive_ms, depart_ms, "
                 "tw_start_ms, tw_end_ms, leg_dist_m, leg_dur_s, load_g, load_ml, chilled_load, "
                 "chilled_unload, proof_code, status, actual_ms, fail_reason, address FROM lg_stops "
                 "WHERE county_id = ? AND route_id = ? ORDER BY seq",
                 &s, e)))
            return rc;
        store_bind_i64(s, 1, county_id);
        store_bind_i64(s, 2, rt->id);
        size_t scap = 0;
        struct logistics_stop *stops = NULL;
        while ((rc = store_step(s, e)) == STORE_ROW) {
            xgrow((void **)&stops, &scap, rt->n_stops + 1, sizeof *stops);
            struct logistics_stop *st = &stops[rt->n_stops++];
            memset(st, 0, sizeof *st);
            st->id = store_col_i64(s, 0);
            st->seq = (int)store_col_i64(s, 1);
            st->kind = (enum logistics_stop_kind)store_col_i64(s, 2);
            st->node_id = store_col_i64(s, 3);
            st->village_id = store_col_i64(s, 4);
            st->name = arena_strdup(a, store_col_text(s, 5));
            st->loc.lat = store_col_double(s, 6);
            st->loc.lon = store_col_double(s, 7);
            st->arrive_ms = store_col_i64(s, 8);
            st->depart_ms = store_col_i64(s, 9);
            st->tw_start_ms = store_col_i64(s, 10);
            st->tw_end_ms = store_col_i64(s, 11);
            st->leg_dist_m = store_col_i64(s, 12);
            st->leg_dur_s = store_col_i64(s, 13);
            st->load_g = store_col_i64(s, 14);
            st->load_ml = store_col_i64(s, 15);
            st->chilled_load = (int)store_col_i64(s, 16);
            st->chilled_unload = (int)store_col_i64(s, 17);
            snprintf(st->proof_code, sizeof st->proof_code, "%s", store_col_text(s, 18));
            snprintf(st->status, sizeof st->status, "%s", store_col_text(s, 19));
            st->actual_ms = store_col_i64(s, 20);
            st->fail_reason = arena_strdup(a, store_col_text(s, 21));
            st->address = arena_strdup(a, store_col_text(s, 22));
        }
        if (rc < 0) {
            free(stops);
            return rc;
        }
        rc = 0;
        rt->stops = arena_alloc(a, (rt->n_stops + 1) * sizeof *rt->stops);
        if (rt->n_stops)
            memcpy(rt->stops, stops, rt->n_stops * sizeof *stops);
        free(stops);
        for (size_t q = 0; q < rt->n_stops && !rc; q++) {
            struct logistics_stop *st = &rt->stops[q];
            /* a consignment's description is its own row's (it cannot change) */
            if ((rc = store_prepare(
                     c,
                     "SELECT i.order_id, i.consignment_id, i.load, i.weight_g, i.volume_ml, "
                     "i.storage, i.label, i.urgent, i.lines_json, k.description "
                     "FROM lg_stop_items i LEFT JOIN lg_consignments k ON "
                     "k.county_id = i.county_id AND k.id = i.consignment_id AND i.consignment_id > 0 "
                     "WHERE i.stop_id = ? AND i.county_id = ? ORDER BY i.n",
                     &s, e)))
                return rc;
            store_bind_i64(s, 1, st->id);
            store_bind_i64(s, 2, county_id);
            size_t icap = 0;
            struct logistics_item *items = NULL;
            while ((rc = store_step(s, e)) == STORE_ROW) {
                xgrow((void **)&items, &icap, st->n_items + 1, sizeof *items);
                struct logistics_item *it = &items[st->n_items++];
                it->order_id = store_col_i64(s, 0);
                it->consignment_id = store_col_i64(s, 1);
                it->load = store_col_i64(s, 2) != 0;
                it->weight_g = store_col_i64(s, 3);
                it->volume_ml = store_col_i64(s, 4);
                it->storage = (enum logistics_storage)store_col_i64(s, 5);
                it->label = arena_strdup(a, store_col_text(s, 6));
                it->urgent = store_col_i64(s, 7) != 0;
                struct logistics_item_line *lines;
                logistics__lines_decode(store_col_text(s, 8), a, &lines, &it->n_lines);
                it->lines = lines;
                it->description =
                    store_col_is_null(s, 9) ? NULL : arena_strdup(a, store_col_text(s, 9));
            }
            if (rc < 0) {
                free(items);
                return rc;
            }
            rc = 0;
            st->items = arena_alloc(a, (st->n_items + 1) * sizeof *st->items);
            if (st->n_items)
                memcpy(st->items, items, st->n_items * sizeof *items);
            free(items);
        }
    }
    if (rc)
        return rc;
    if ((rc = store_prepare(c,
                            "SELECT order_id, consignment_id, node_id, reason, detail FROM "
                            "lg_unassigned WHERE county_id = ? AND plan_id = ? ORDER BY n",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, id);
    struct logistics_unassigned *un = NULL;
    cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&un, &cap, p->n_unassigned + 1, sizeof *un);
        un[p->n_unassigned++] = (struct logistics_unassigned){
            store_col_i64(s, 0), store_col_i64(s, 1), store_col_i64(s, 2),
            arena_strdup(a, store_col_text(s, 3)), arena_strdup(a, store_col_text(s, 4))};
    }
    if (rc < 0) {
        free(un);
        return rc;
    }
    p->unassigned = arena_alloc(a, (p->n_unassigned + 1) * sizeof *un);
    if (p->n_unassigned)
        memcpy(p->unassigned, un, p->n_unassigned * sizeof *un);
    free(un);
    return 0;
}

struct pg {
    const struct auth_principal *who;
    int64_t id;
    struct logistics_plan *p;
};

static int plan_read(struct store_conn *c, void *arg, struct err *e)
{
    struct pg *g = arg;
    return logistics__plan_load(c, g->who->county_id, g->id, g->p, e);
}

int logistics_plan_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct logistics_plan *out, struct err *e)
{
    bool driver = who && who->role == AUTH_ROLE_DRIVER;
    if (!logistics__reads_county(who) && !driver)
        return err_set(e, ERR_PERM, "not allowed to read plans");
    struct pg g = {who, id, out};
    int rc = store_read(st, plan_read, &g, e);
    if (rc)
        return rc;
    if (driver) {
        if (out->status != LOGISTICS_PLAN_APPROVED)
            return err_set(e, ERR_NOTFOUND, "no plan %lld", (long long)id);
        size_t k = 0;
        for (size_t r = 0; r < out->n_routes; r++)
            if (out->routes[r].driver_user_id == who->user_id)
                out->routes[k++] = out->routes[r];
        /* A proof code proves the driver met the receiver, who tells it:
        ** a driver who could read it could "deliver" without going. */
        for (size_t r = 0; r < k; r++)
            for (size_t q = 0; q < out->routes[r].n_stops; q++)
                out->routes[r].stops[q].proof_code[0] = 0;
        out->n_routes = k;
        out->n_unassigned = 0;
        if (!k)
            return err_set(e, ERR_NOTFOUND, "no plan %lld", (long long)id);
    }
    return 0;
}

struct pl {
    const struct auth_principal *who;
    int64_t date_ms;
    struct logistics_plan *out;
    size_t n, cap;
};

static int list_read(struct store_conn *c, void *arg, struct err *e)
{
    struct pl *l = arg;
    char sql[768];
    /* A driver lists only approved plans holding a route of its own (what
    ** logistics_plan_get will show it); everyone else the whole county. */
    bool driver = l->who->role == AUTH_ROLE_DRIVER;
    snprintf(sql, sizeof sql,
             "SELECT %s FROM lg_plans WHERE county_id = ? AND (? = 0 OR date_ms = ?) %s"
             "ORDER BY id DESC LIMIT 500",
             PLAN_COLS,
             driver ? "AND status = ? AND EXISTS (SELECT 1 FROM lg_routes r WHERE "
                      "r.county_id = lg_plans.county_id AND r.plan_id = lg_plans.id AND "
                      "r.driver_user_id = ?) "
                    : "");
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, l->who->county_id);
    store_bind_i64(s, 2, l->date_ms);
    store_bind_i64(s, 3, l->date_ms);
    if (driver) {
        store_bind_i64(s, 4, LOGISTICS_PLAN_APPROVED);
        store_bind_i64(s, 5, l->who->user_id);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&l->out, &l->cap, l->n + 1, sizeof *l->out);
        struct logistics_plan *p = &l->out[l->n++];
        memset(p, 0, sizeof *p);
        plan_row(s, p);
    }
    return rc < 0 ? rc : 0;
}

int logistics_plan_list(struct store *st, const struct auth_principal *who, int64_t date_ms,
                        struct logistics_plan **out, size_t *n, struct err *e)
{
    if (!logistics__reads_county(who) && !(who && who->role == AUTH_ROLE_DRIVER))
        return err_set(e, ERR_PERM, "only staff, auditors and drivers list plans");
    struct pl l = {.who = who, .date_ms = date_ms};
    int rc = store_read(st, list_read, &l, e);
    if (rc) {
        free(l.out);
        return rc;
    }
    *out = l.out;
    *n = l.n;
    return 0;
}

/* Refuse a plan that carries an order which an approved plan of the same
** date at another depot already carries: two vehicles would go for the
** same goods. Approved plans of the same depot are not in the way: this
** approval supersedes them. (Consignments: approve_check_consignments.) */
static int approve_overlap(struct store_conn *c, const struct pg *g, int64_t date, int64_t depot,
                           struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT i.order_id, p.id, p.depot_node_id FROM lg_stop_items i "
                           "JOIN lg_stop_items j ON j.county_id = i.county_id "
                           "AND j.order_id = i.order_id AND j.plan_id != i.plan_id "
                           "JOIN lg_plans p ON p.county_id = j.county_id AND p.id = j.plan_id "
                           "WHERE i.county_id = ? AND i.plan_id = ? AND i.order_id > 0 "
                           "AND p.status = ? AND p.date_ms = ? AND p.depot_node_id != ? LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, g->who->county_id);
    store_bind_i64(s, 2, g->id);
    store_bind_i64(s, 3, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 4, date);
    store_bind_i64(s, 5, depot);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : 0;
    return err_set(e, ERR_CONFLICT, "order %lld is already on approved plan %lld (depot %lld)",
                   (long long)store_col_i64(s, 0), (long long)store_col_i64(s, 1),
                   (long long)store_col_i64(s, 2));
}

/* Each consignment the plan carries must still be where the draft goes for
** it: open, or planned by a plan this approval supersedes (same date and
** depot); not delivered, not on board, not held by another approved plan
** (of another depot or date: that plan's vehicle goes for it); and, when
** its goods came back to a depot (at_node_id), picked up there: a draft
** made before they came back would send a vehicle to the empty origin. */
static int approve_check_consignments(struct store_conn *c, const struct pg *g, int64_t date,
                                      int64_t depot, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT k.id, k.status, k.plan_id, q.status, q.date_ms, q.depot_node_id, k.at_node_id, "
        "p.node_id FROM lg_stop_items i "
        "JOIN lg_stops p ON p.county_id = i.county_id AND p.id = i.stop_id "
        "JOIN lg_consignments k ON k.county_id = i.county_id AND k.id = i.consignment_id "
        "LEFT JOIN lg_plans q ON q.county_id = k.county_id AND q.id = k.plan_id "
        "WHERE i.county_id = ? AND i.plan_id = ? AND i.consignment_id > 0 AND i.load = 1 "
        "ORDER BY k.id",
        &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, g->who->county_id);
    store_bind_i64(s, 2, g->id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        long long id = (long long)store_col_i64(s, 0), holder = (long long)store_col_i64(s, 2);
        const char *status = store_col_text(s, 1);
        bool held_here = !store_col_is_null(s, 3) &&
                         store_col_i64(s, 3) == LOGISTICS_PLAN_APPROVED &&
                         store_col_i64(s, 4) == date && store_col_i64(s, 5) == depot;
        if (strcmp(status, "delivered") == 0)
            return err_set(e, ERR_CONFLICT, "consignment %lld is already delivered", id);
        if (strcmp(status, "picked_up") == 0)
            return err_set(e, ERR_CONFLICT,
                           "consignment %lld is already picked up (on board a vehicle of plan "
                           "%lld)",
                           id, holder);
        if (strcmp(status, "planned") == 0 && !held_here)
            return err_set(e, ERR_CONFLICT,
                           "consignment %lld is already on approved plan %lld "
                           "(depot %lld)",
                           id, holder, (long long)store_col_i64(s, 5));
        if (!store_col_is_null(s, 6) && store_col_i64(s, 6) != store_col_i64(s, 7))
            return err_set(e, ERR_CONFLICT,
                           "consignment %lld is now at node %lld, not where this plan picks it "
                           "up: dispatch again",
                           id, (long long)store_col_i64(s, 6));
    }
    return rc < 0 ? rc : 0;
}

/* Run one statement binding county, then the given ids in order. */
static int exec_ids(struct store_conn *c, const char *sql, const int64_t *ids, int n, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        store_bind_i64(s, i + 1, ids[i]);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* Consignment status follows approval, not drafts: the planned
** consignments held by the plans this approval supersedes that the new
** plan no longer carries go back to open, and the new plan's consignments
** become planned, held by it. Picked-up ones are left alone: they are on a
** vehicle of the superseded plan, which still unloads them (a drop, or its
** vehicle's return to the depot; see track.c). Runs after the checks and
** before the superseding update. */
static int approve_consignments(struct store_conn *c, const struct pg *g, int64_t date,
                                int64_t depot, struct err *e)
{
    int64_t cty = g->who->county_id;
    int64_t back[] = {cty, cty, date, depot, LOGISTICS_PLAN_APPROVED, cty, g->id};
    int rc = exec_ids(c,
                      "UPDATE lg_consignments SET status = 'open', plan_id = NULL "
                      "WHERE county_id = ? AND status = 'planned' AND plan_id IN "
                      "(SELECT id FROM lg_plans WHERE county_id = ? AND date_ms = ? "
                      "AND depot_node_id = ? AND status = ?) "
                      "AND id NOT IN (SELECT consignment_id FROM lg_stop_items WHERE "
                      "county_id = ? AND plan_id = ? AND consignment_id > 0)",
                      back, 7, e);
    if (rc)
        return rc;
    int64_t mark[] = {g->id, cty, cty, g->id};
    return exec_ids(c,
                    "UPDATE lg_consignments SET status = 'planned', plan_id = ? "
                    "WHERE county_id = ? AND status IN ('open', 'planned') AND id IN "
                    "(SELECT consignment_id FROM lg_stop_items "
                    "WHERE county_id = ? AND plan_id = ? AND consignment_id > 0)",
                    mark, 4, e);
}

static int approve_write(struct store_conn *c, void *arg, struct err *e)
{
    struct pg *g = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT status, date_ms, depot_node_id, kind FROM lg_plans "
                           "WHERE county_id = ? AND id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, g->who->county_id);
    store_bind_i64(s, 2, g->id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no plan %lld", (long long)g->id);
    int64_t status = store_col_i64(s, 0), date = store_col_i64(s, 1), depot = store_col_i64(s, 2);
    if (strcmp(store_col_text(s, 3), "dispatch") != 0)
        return err_set(e, ERR_CONFLICT, "only dispatch plans can be approved (this is a %s)",
                       store_col_text(s, 3));
    if (status != LOGISTICS_PLAN_DRAFT)
        return err_set(e, ERR_CONFLICT, "plan %lld is %s, not a draft", (long long)g->id,
                       logistics_plan_status_name((enum logistics_plan_status)status));
    if ((rc = approve_overlap(c, g, date, depot, e)) ||
        (rc = approve_check_consignments(c, g, date, depot, e)) ||
        (rc = approve_consignments(c, g, date, depot, e)))
        return rc;
    if ((rc = store_prepare(c,
                            "UPDATE lg_plans SET status = 2 WHERE county_id = ? AND date_ms = ? "
                            "AND depot_node_id = ? AND status = 1",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, g->who->county_id);
    store_bind_i64(s, 2, date);
    store_bind_i64(s, 3, depot);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if ((rc = store_prepare(c,
                            "UPDATE lg_plans SET status = 1, approved_by = ?, approved_ms = ? "
                            "WHERE county_id = ? AND id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, g->who->user_id);
    store_bind_i64(s, 2, time_now_ms());
    store_bind_i64(s, 3, g->who->county_id);
    store_bind_i64(s, 4, g->id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    return logistics__audit(c, g->who, "plan.approve", "plan", g->id, NULL, e);
}

int logistics_plan_approve(struct store *st, const struct auth_principal *who, int64_t id,
                           struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (rc)
        return rc;
    struct pg g = {who, id, NULL};
    return store_write(st, approve_write, &g, e);
}
