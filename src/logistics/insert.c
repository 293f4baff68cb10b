/*
** insert.c: an urgent order into today's approved plan without re-planning.
** Each route whose vehicle suits the goods becomes a one-vehicle vrp problem
** holding its stops as tasks (windows, services and amounts as planned;
** pickups dropped later on the route as shipment pairs); the order is a
** shipment from the depot (loaded at the start if the route has not left,
** else on a return to the depot) to its delivery point. Every pair of
** positions after the route's last visited stop is evaluated with the
** engine's trusted evaluator (vrp_solution_from_seqs) and the cheapest
** feasible insertion over all routes is written: new stops, every stop of
** that route re-timed from the evaluation, the plan's KPIs recomputed.
** Dispatch's and approval's rules hold: a delivery point open for less than
** a stop's service is refused (time_window), a route back at its depot
** takes nothing, an order on another depot's approved plan of the date is
** refused, and so is an order created after the end of the plan's day
** (dispatch's bound, lg__day_end_ms). The write refuses a route any of
** whose stops was reported, or that changed, since it was read.
*/
#include "logistics/logistics_int.h"

#include "market/market.h"

#include <stdlib.h>
#include <string.h>

#define URGENT_LOAD_S 120
/* a one-item stop, as dispatch serves it */
#define URGENT_SERVICE_S (LG_SERVICE_STOP_S + LG_SERVICE_ITEM_S)

struct urgent {
    int64_t order_id;
    int64_t node_id, village_id;
    struct geo_point loc;
    const char *name;
    int open_min, close_min;
    int64_t g, ml;
    enum logistics_storage storage;
    const char *label;
    const char *address; /* delivered to an address (no node): the order's */
    struct logistics_item_line *lines;
    size_t n_lines;
};

/* One route as a problem: task k <-> stop k+1 for task stops; the last two
** tasks are the urgent pickup (depot) and delivery. */
struct rp {
    struct vrp_problem *p;
    int *stop_of_task; /* task -> stop index, -1 for the urgent ones */
    int n_stop_tasks;
    int first_free; /* first position (in the task sequence) after visited stops */
    int64_t base_cost;
};

static void rp_release(struct rp *r)
{
    vrp_problem_free(r->p);
    free(r->stop_of_task);
    memset(r, 0, sizeof *r);
}

static int64_t sum_items(const struct logistics_stop *s, bool load, int dim)
{
    int64_t v = 0;
    for (size_t i = 0; i < s->n_items; i++)
        if (s->items[i].load == load)
            v += dim ? s->items[i].volume_ml : s->items[i].weight_g;
    return v;
}

static uint64_t stop_skills(const struct logistics_stop *s)
{
    uint64_t b = 0;
    for (size_t i = 0; i < s->n_items; i++)
        b |= logistics__storage_skills(s->items[i].storage);
    return b;
}

static void route_problem(const struct county_network *net, const struct logistics_travel_cfg *tc,
                          const struct logistics__nodemat *nm, const struct logistics_plan *pl,
                          const struct logistics_route *rt, const struct urgent *u, struct rp *out)
{
    int64_t day0 = lg__ms_of(pl->date_ms, 0);
    size_t ns = rt->n_stops;
    struct vrp_problem *p = vrp_problem_new();
    out->p = p;
    p->name = xstrdup("insert");
    p->format = xstrdup("ruralink");
    p->scale = 1;
    p->n_dims = 2;
    /* locations: stop i -> i (0 and ns-1 are the depot), the order -> ns */
    p->n_locs = (int)ns + 1;
    p->n_matrices = 1;
    p->matrices = xcalloc(1, sizeof *p->matrices);
    size_t n = ns + 1;
    p->matrices[0].dist = xcalloc(n * n, sizeof(int64_t));
    p->matrices[0].dur = xcalloc(n * n, sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            int64_t ni = i < ns ? rt->stops[i].node_id : u->node_id;
            int64_t nj = j < ns ? rt->stops[j].node_id : u->node_id;
            struct geo_point a = i < ns ? rt->stops[i].loc : u->loc;
            struct geo_point b = j < ns ? rt->stops[j].loc : u->loc;
            if (i != j)
                logistics__travel(net, tc, nm, ni, a, nj, b, &p->matrices[0].dist[i * n + j],
                                  &p->matrices[0].dur[i * n + j]);
        }
    int nt = (int)ns + 2;
    p->tasks = xcalloc((size_t)nt, sizeof *p->tasks);
    out->stop_of_task = xcalloc((size_t)nt, sizeof *out->stop_of_task);
    out->first_free = 0;
    for (size_t q = 1; q + 1 < ns; q++) {
        const struct logistics_stop *s = &rt->stops[q];
        int k = p->n_tasks++;
        struct vrp_task *t = &p->tasks[k];
        out->stop_of_task[k] = (int)q;
        t->id = s->id;
        t->loc = (int)q;
        int64_t begin = s->arrive_ms > s->tw_start_ms ? s->arrive_ms : s->tw_start_ms;
        t->service = (s->depart_ms - begin) / 1000;
        if (t->service < 0)
            t->service = 0;
        t->n_tw = 1;
        t->tw = xmalloc(sizeof *t->tw);
        t->tw[0] = (struct vrp_tw){(s->tw_start_ms - day0) / 1000, (s->tw_end_ms - day0) / 1000};
        t->skills = stop_skills(s);
        t->pair = VRP_NONE;
        t->kind = VRP_JOB;
        t->delivery[0] = sum_items(s, false, 0);
        t->delivery[1] = sum_items(s, false, 1);
        t->pickup[0] = sum_items(s, true, 0);
        t->pickup[1] = sum_items(s, true, 1);
        if (strcmp(s->status, "pending") != 0)
            out->first_free = k + 1;
    }
    /* pickups dropped later on this route are shipments */
    for (int k = 0; k < p->n_tasks; k++) {
        const struct logistics_stop *s = &rt->stops[out->stop_of_task[k]];
        if (s->kind != LOGISTICS_STOP_PICKUP || !s->n_items)
            continue;
        for (int m = k + 1; m < p->n_tasks; m++) {
            const struct logistics_stop *d = &rt->stops[out->stop_of_task[m]];
            if (d->kind != LOGISTICS_STOP_DROP || !d->n_items ||
                d->items[0].consignment_id != s->items[0].consignment_id)
                continue;
            p->tasks[k].kind = VRP_PICKUP;
            p->tasks[m].kind = VRP_DELIVERY;
            p->tasks[k].pair = m;
            p->tasks[m].pair = k;
            p->tasks[m].pickup[0] = p->tasks[m].pickup[1] = 0;
            break;
        }
    }
    out->n_stop_tasks = p->n_tasks;
    int kp = p->n_tasks++, kd = p->n_tasks++;
    out->stop_of_task[kp] = out->stop_of_task[kd] = -1;
    struct vrp_task *tp = &p->tasks[kp], *td = &p->tasks[kd];
    tp->id = -1;
    tp->kind = VRP_PICKUP;
    tp->loc = 0;
    tp->service = URGENT_LOAD_S;
    tp->pickup[0] = u->g;
    tp->pickup[1] = u->ml;
    tp->skills = logistics__storage_skills(u->storage);
    tp->pair = kd;
    td->id = -2;
    td->kind = VRP_DELIVERY;
    td->loc = (int)ns;
    td->service = URGENT_SERVICE_S;
    td->delivery[0] = u->g;
    td->delivery[1] = u->ml;
    td->skills = tp->skills;
    td->pair = kp;
    td->n_tw = 1;
    td->tw = xmalloc(sizeof *td->tw);
    logistics__service_window(u->open_min, u->close_min, td->service, &td->tw[0]);
    p->vehicles = xcalloc(1, sizeof *p->vehicles);
    p->n_vehicles = 1;
    const struct logistics_vehicle *v = &rt->vehicle;
    struct vrp_vehicle *x = &p->vehicles[0];
    x->id = v->id;
    x->start = x->end = 0;
    x->capacity[0] = v->capacity_g;
    x->capacity[1] = v->capacity_ml;
    x->tw = (struct vrp_tw){(int64_t)v->shift_start_min * 60, (int64_t)v->shift_end_min * 60};
    /* the route left when planned; an empty START keeps its planned departure */
    if (rt->n_stops)
        x->tw.start = (rt->stops[0].depart_ms - day0) / 1000;
    x->skills = logistics__vehicle_skills(v->temp);
    x->fixed_cost = v->fixed_cost_fen;
    x->cost_per_km = v->cost_per_km_fen ? v->cost_per_km_fen : 1;
    x->cost_per_hour = v->cost_per_hour_fen;
    x->max_trips = 1;
}

struct best {
    int route; /* index in plan, -1 = none */
    int64_t delta;
    int *seq;
    int n;
};

static void try_route(struct rp *r, int route, struct best *b)
{
    int nst = r->n_stop_tasks, kp = nst, kd = nst + 1;
    int *base = xcalloc((size_t)nst + 3, sizeof *base);
    for (int i = 0; i < nst; i++)
        base[i] = i;
    struct vrp_seq sq = {0, base, nst};
    struct vrp_solution *sol = NULL;
    struct err e = {0};
    if (vrp_solution_from_seqs(r->p, &sq, 1, true, &sol, &e) == 0 && sol->n_routes)
        r->base_cost = sol->routes[0].cost;
    vrp_solution_free(sol);
    int *seq = xcalloc((size_t)nst + 3, sizeof *seq);
    for (int i = r->first_free; i <= nst; i++)
        for (int j = i; j <= nst; j++) {
            int n = 0;
            for (int k = 0; k <= nst; k++) {
                if (k == i)
                    seq[n++] = kp;
                if (k == j)
                    seq[n++] = kd;
                if (k < nst)
                    seq[n++] = base[k];
            }
            struct vrp_seq s2 = {0, seq, n};
            sol = NULL;
            if (vrp_solution_from_seqs(r->p, &s2, 1, false, &sol, &e) == 0 && sol->n_routes) {
                int64_t d = sol->routes[0].cost - r->base_cost;
                if (b->route < 0 || d < b->delta) {
                    b->route = route;
                    b->delta = d;
                    b->seq = xrealloc(b->seq, (size_t)n * sizeof *b->seq);
                    memcpy(b->seq, seq, (size_t)n * sizeof *seq);
                    b->n = n;
                }
            }
            vrp_solution_free(sol);
        }
    free(seq);
    free(base);
}

struct wr {
    const struct auth_principal *who;
    struct logistics_plan *pl;
    const struct logistics_route *rt;
    struct rp *r;
    const struct vrp_route *ev;
    const int *seq;
    const struct urgent *u;
    int64_t new_stop_id;
};

static int put_item(struct store_conn *c, const struct wr *w, int64_t stop_id, int n, bool load,
                    struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO lg_stop_items (stop_id, county_id, plan_id, n, order_id, "
                           "consignment_id, load, weight_g, volume_ml, storage, label, urgent, "
                           "lines_json) VALUES (?,?,?,?,?,0,?,?,?,?,?,1,?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, stop_id);
    store_bind_i64(s, 2, w->who->county_id);
    store_bind_i64(s, 3, w->pl->id);
    store_bind_i64(s, 4, n);
    store_bind_i64(s, 5, w->u->order_id);
    store_bind_i64(s, 6, load ? 1 : 0);
    store_bind_i64(s, 7, w->u->g);
    store_bind_i64(s, 8, w->u->ml);
    store_bind_i64(s, 9, w->u->storage);
    store_bind_text(s, 10, w->u->label, -1);
    char *lines = logistics__lines_encode(w->u->lines, w->u->n_lines);
    store_bind_text(s, 11, lines, -1);
    rc = store_step(s, e);
    free(lines);
    return rc < 0 ? rc : 0;
}

/* Approval's rule (plan_store.c): an order on an approved plan of the same
** date at another depot is that plan's vehicle's to carry; inserting it
** here too would send two. */
static int taken_elsewhere(struct store_conn *c, const struct wr *w, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT p.id, p.depot_node_id FROM lg_stop_items i "
                           "JOIN lg_plans p ON p.county_id = i.county_id AND p.id = i.plan_id "
                           "WHERE i.county_id = ? AND i.order_id = ? AND p.status = ? "
                           "AND p.date_ms = ? AND p.depot_node_id != ? LIMIT 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, w->u->order_id);
    store_bind_i64(s, 3, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 4, w->pl->date_ms);
    store_bind_i64(s, 5, w->pl->depot_node_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : 0;
    return err_set(e, ERR_CONFLICT, "order %lld is already on approved plan %lld (depot %lld)",
                   (long long)w->u->order_id, (long long)store_col_i64(s, 0),
                   (long long)store_col_i64(s, 1));
}

/* The route must be as it was read: the insertion was evaluated on those
** stops, and its write renumbers and re-times every one of them. A stop
** reported since (arrived, delivered, picked up, failed) moves where the
** new stops may go: one reported at the END means the route is back and a
** stop added before it would never be visited; a stop added, removed or
** re-timed (another insertion) leaves the evaluation stale. Every stop's
** id, place in the route, status, event time and planned times are
** compared. */
static int route_unchanged(struct store_conn *c, const struct wr *w, struct err *e)
{
    const struct logistics_route *rt = w->rt;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, status, actual_ms, arrive_ms, depart_ms FROM lg_stops "
                           "WHERE county_id = ? AND route_id = ? ORDER BY seq",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, rt->id);
    size_t n = 0;
    bool changed = false;
    while (!changed && (rc = store_step(s, e)) == STORE_ROW) {
        const struct logistics_stop *old = n < rt->n_stops ? &rt->stops[n] : NULL;
        bool last = ++n == rt->n_stops;
        changed = !old || store_col_i64(s, 0) != old->id || store_col_i64(s, 3) != old->arrive_ms ||
                  store_col_i64(s, 4) != old->depart_ms;
        if (changed)
            break;
        const char *status = store_col_text(s, 1);
        if (strcmp(status, old->status) == 0 && store_col_i64(s, 2) == old->actual_ms)
            continue;
        if (last)
            return err_set(e, ERR_CONFLICT, "route %lld is back at its depot", (long long)rt->id);
        return err_set(e, ERR_CONFLICT,
                       "stop %lld of route %lld was reported (%s) while the insertion was being "
                       "worked out; nothing was written: try again",
                       (long long)old->id, (long long)rt->id, status);
    }
    if (rc < 0)
        return rc;
    if (changed || n != rt->n_stops)
        return err_set(e, ERR_CONFLICT,
                       "route %lld changed while the insertion was being worked out (another "
                       "insertion?); nothing was written: try again",
                       (long long)rt->id);
    return 0;
}

static int insert_write(struct store_conn *c, void *arg, struct err *e)
{
    struct wr *w = arg;
    const struct logistics_route *rt = w->rt;
    const struct vrp_route *ev = w->ev;
    int64_t day0 = lg__ms_of(w->pl->date_ms, 0);
    struct store_stmt *s;
    int rc;
    /* the plan must still be approved and the order not in it */
    if ((rc = store_prepare(
             c,
             "SELECT (SELECT status FROM lg_plans WHERE county_id = ? AND id = ?), "
             "(SELECT COUNT(*) FROM lg_stop_items WHERE county_id = ? AND plan_id = ? "
             "AND order_id = ?)",
             &s, e)))
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, w->pl->id);
    store_bind_i64(s, 3, w->who->county_id);
    store_bind_i64(s, 4, w->pl->id);
    store_bind_i64(s, 5, w->u->order_id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_DB, "no row");
    if (store_col_i64(s, 0) != LOGISTICS_PLAN_APPROVED)
        return err_set(e, ERR_CONFLICT, "plan %lld is no longer approved", (long long)w->pl->id);
    if (store_col_i64(s, 1) > 0)
        return err_set(e, ERR_CONFLICT, "order %lld is already in the plan",
                       (long long)w->u->order_id);
    if ((rc = taken_elsewhere(c, w, e)) || (rc = route_unchanged(c, w, e)))
        return rc;
    int kp = w->r->n_stop_tasks;
    bool at_start = w->seq[0] == kp; /* loaded before leaving */
    int seq_no = 0;
    int64_t prev_dist = 0, prev_travel = 0;
    for (int k = 0; k < ev->n_steps; k++) {
        const struct vrp_step *st = &ev->steps[k];
        int64_t leg_d = k ? st->distance - prev_dist : 0, leg_t = k ? st->travel - prev_travel : 0;
        prev_dist = st->distance;
        prev_travel = st->travel;
        int64_t arrive = day0 + st->arrival * 1000;
        int64_t depart = day0 + (st->arrival + st->waiting + st->service) * 1000;
        if (st->type == VRP_STEP_START)
            depart = arrive;
        int stop_idx = st->type == VRP_STEP_START ? 0
                       : st->type == VRP_STEP_END ? (int)rt->n_stops - 1
                                                  : w->r->stop_of_task[st->task];
        if (st->task == kp && at_start)
            continue; /* folded into START below */
        if (stop_idx >= 0) {
            const struct logistics_stop *old = &rt->stops[stop_idx];
            bool start_load = st->type == VRP_STEP_START && at_start;
            const struct vrp_step *ld = st;
            if (start_load) { /* the urgent parcel is loaded before leaving */
                ld = &ev->steps[1];
                depart = day0 + (ld->arrival + ld->waiting + ld->service) * 1000;
            }
            if ((rc =
                     store_prepare(c,
                                   "UPDATE lg_stops SET seq = ?, arrive_ms = ?, depart_ms = ?, "
                                   "leg_dist_m = ?, leg_dur_s = ?, load_g = ?, load_ml = ?, "
                                   "chilled_load = chilled_load + ? WHERE county_id = ? AND id = ?",
                                   &s, e)))
                return rc;
            store_bind_i64(s, 1, seq_no++);
            store_bind_i64(s, 2, arrive);
            store_bind_i64(s, 3, depart);
            store_bind_i64(s, 4, leg_d);
            store_bind_i64(s, 5, leg_t);
            store_bind_i64(s, 6, ld->load[0]);
            store_bind_i64(s, 7, ld->load[1]);
            store_bind_i64(s, 8, start_load && w->u->storage != LOGISTICS_AMBIENT ? 1 : 0);
            store_bind_i64(s, 9, w->who->county_id);
            store_bind_i64(s, 10, old->id);
            if ((rc = store_step(s, e)) < 0)
                return rc;
            if (start_load && (rc = put_item(c, w, old->id, (int)old->n_items, true, e)))
                return rc;
            continue;
        }
        /* a new stop: the depot reload or the delivery */
        bool is_pick = st->task == kp;
        const struct logistics_stop *dep = &rt->stops[0];
        char code[12];
        logistics__proof_code(code);
        if ((rc = store_prepare(
                 c,
                 "INSERT INTO lg_stops (county_id, route_id, plan_id, seq, kind, node_id, "
                 "village_id, name, lat, lon, arrive_ms, depart_ms, tw_start_ms, tw_end_ms, "
                 "leg_dist_m, leg_dur_s, load_g, load_ml, chilled_load, chilled_unload, "
                 "proof_code, address) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                 "RETURNING id",
                 &s, e)))
            return rc;
        const struct vrp_task *t = &w->r->p->tasks[st->task];
        int i = 1;
        store_bind_i64(s, i++, w->who->county_id);
        store_bind_i64(s, i++, rt->id);
        store_bind_i64(s, i++, w->pl->id);
        store_bind_i64(s, i++, seq_no++);
        store_bind_i64(s, i++, is_pick ? LOGISTICS_STOP_PICKUP : LOGISTICS_STOP_DELIVERY);
        store_bind_i64(s, i++, is_pick ? dep->node_id : w->u->node_id);
        store_bind_i64(s, i++, is_pick ? 0 : w->u->village_id);
        store_bind_text(s, i++, is_pick ? dep->name : w->u->name, -1);
        store_bind_double(s, i++, is_pick ? dep->loc.lat : w->u->loc.lat);
        store_bind_double(s, i++, is_pick ? dep->loc.lon : w->u->loc.lon);
        store_bind_i64(s, i++, arrive);
        store_bind_i64(s, i++, depart);
        store_bind_i64(s, i++, is_pick ? dep->tw_start_ms : day0 + t->tw[0].start * 1000);
        store_bind_i64(s, i++, is_pick ? dep->tw_end_ms : day0 + t->tw[0].end * 1000);
        store_bind_i64(s, i++, leg_d);
        store_bind_i64(s, i++, leg_t);
        store_bind_i64(s, i++, st->load[0]);
        store_bind_i64(s, i++, st->load[1]);
        bool cold = w->u->storage != LOGISTICS_AMBIENT;
        store_bind_i64(s, i++, is_pick && cold ? 1 : 0);
        store_bind_i64(s, i++, !is_pick && cold ? 1 : 0);
        store_bind_text(s, i++, code, -1);
        store_bind_text(s, i++, !is_pick && w->u->address ? w->u->address : "", -1);
        if ((rc = store_step(s, e)) != STORE_ROW)
            return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
        int64_t id = store_col_i64(s, 0);
        store_step(s, e);
        if (!is_pick)
            w->new_stop_id = id;
        if ((rc = put_item(c, w, id, 0, is_pick, e)))
            return rc;
    }
    /* no longer left out, if it was */
    if ((rc = store_prepare(c,
                            "DELETE FROM lg_unassigned WHERE county_id = ? AND plan_id = ? AND "
                            "order_id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, w->pl->id);
    store_bind_i64(s, 3, w->u->order_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    /* KPIs from the stops as they are now */
    struct logistics_plan np;
    logistics_plan_init(&np);
    rc = logistics__plan_load(c, w->who->county_id, w->pl->id, &np, e);
    if (!rc) {
        struct logistics_kpis k;
        logistics_kpis_compute(&np, &k);
        rc = store_prepare(c,
                           "UPDATE lg_plans SET k_routes = ?, k_stops = ?, k_orders_served = ?, "
                           "k_orders_unassigned = ?, k_cons_served = ?, k_cons_unassigned = ?, "
                           "k_villages = ?, k_distance_m = ?, k_driving_s = ?, k_duration_s = ?, "
                           "k_cost_fen = ?, k_co2_g = ?, k_load_permille = ?, k_lateness_s = ?, "
                           "k_chilled_min = ? WHERE county_id = ? AND id = ?",
                           &s, e);
        if (!rc) {
            int64_t kv[] = {k.routes,
                            k.stops,
                            k.orders_served,
                            k.orders_unassigned,
                            k.consignments_served,
                            k.consignments_unassigned,
                            k.villages_served,
                            k.distance_m,
                            k.driving_s,
                            k.duration_s,
                            k.cost_fen,
                            k.co2_g,
                            k.load_permille,
                            k.lateness_s,
                            k.chilled_transit_min};
            for (size_t q = 0; q < RL_ARRAY_LEN(kv); q++)
                store_bind_i64(s, (int)q + 1, kv[q]);
            store_bind_i64(s, 16, w->who->county_id);
            store_bind_i64(s, 17, w->pl->id);
            rc = store_step(s, e);
            rc = rc < 0 ? rc : 0;
        }
    }
    logistics_plan_release(&np);
    if (rc)
        return rc;
    char detail[160];
    snprintf(detail, sizeof detail, "{\"order_id\":%lld,\"route_id\":%lld}",
             (long long)w->u->order_id, (long long)rt->id);
    return logistics__audit(c, w->who, "plan.insert", "plan", w->pl->id, detail, e);
}

struct tr2 {
    int64_t county_id;
    struct logistics_travel_cfg *cfg;
    struct logistics_matrix_pair **pairs;
};

static int travel_read(struct store_conn *c, void *arg, struct err *e)
{
    struct tr2 *t = arg;
    return logistics__travel_load(c, t->county_id, t->cfg, t->pairs, e);
}

int logistics_insert_order(struct logistics *lg, struct store *st, const struct auth_principal *who,
                           int64_t plan_id, int64_t order_id, int64_t *route_id, int64_t *stop_id,
                           struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (rc)
        return rc;
    struct logistics_plan pl;
    logistics_plan_init(&pl);
    if ((rc = logistics_plan_get(st, who, plan_id, &pl, e))) {
        logistics_plan_release(&pl);
        return rc;
    }
    if (pl.status != LOGISTICS_PLAN_APPROVED || strcmp(pl.kind, "dispatch") != 0) {
        logistics_plan_release(&pl);
        return err_set(e, ERR_CONFLICT, "urgent orders go into an approved dispatch plan");
    }
    struct arena a;
    arena_init(&a, 8192);
    struct market_dispatch_order *orders = NULL;
    size_t n_orders = 0;
    struct market_dispatch_filter f = {0};
    rc = market_dispatch_orders(st, who, &f, &a, &orders, &n_orders, e);
    const struct market_dispatch_order *o = NULL;
    for (size_t i = 0; !rc && i < n_orders; i++)
        if (orders[i].order_id == order_id)
            o = &orders[i];
    if (!rc && !o)
        rc = err_set(e, ERR_NOTFOUND, "order %lld is not confirmed or packed in this county",
                     (long long)order_id);
    /* dispatch's bound: a plan takes the orders created by the end of its
    ** day; a later one is a later day's work */
    if (!rc && o->created_ms >= lg__day_end_ms(pl.date_ms)) {
        char day[32];
        time_fmt_rfc3339(pl.date_ms, day);
        day[10] = 0;
        rc = err_set(e, ERR_CONFLICT,
                     "order %lld was created after plan %lld's day (%s) ended: a plan takes the "
                     "orders created by the end of its day; dispatch a later date for it",
                     (long long)order_id, (long long)pl.id, day);
    }
    struct county_network net;
    memset(&net, 0, sizeof net);
    if (!rc)
        rc = county_network_load(st, who, &net, e);
    struct logistics_travel_cfg tc;
    struct logistics_matrix_pair *pairs = NULL;
    struct tr2 t = {who->county_id, &tc, &pairs};
    if (!rc)
        rc = store_read(st, travel_read, &t, e);
    struct urgent u = {0};
    if (!rc) {
        u.order_id = o->order_id;
        u.g = o->weight_g;
        u.ml = o->volume_ml;
        u.storage = (enum logistics_storage)o->storage;
        u.label = arena_printf(&a, "order %lld: %s (urgent)", (long long)o->order_id,
                               o->nlines ? o->lines[0].name : "");
        u.open_min = LG_ADDRESS_OPEN_MIN;
        u.close_min = LG_ADDRESS_CLOSE_MIN;
        const struct county_node *nd = NULL;
        for (size_t i = 0; i < net.n_nodes; i++)
            if (net.nodes[i].id == o->delivery_node_id && net.nodes[i].active)
                nd = &net.nodes[i];
        if (nd) {
            u.node_id = nd->id;
            u.village_id = nd->village_id;
            u.loc = nd->loc;
            u.name = nd->name;
            u.open_min = nd->open_min;
            u.close_min = lg__node_close_min(nd);
        } else if (o->has_coords) {
            u.loc = (struct geo_point){o->lat, o->lon};
            u.name = o->delivery_address;
            u.address = o->delivery_address;
        } else {
            rc = err_set(e, ERR_INVAL, "order %lld has no delivery point", (long long)order_id);
        }
    }
    struct logistics__names names = {0};
    if (!rc)
        rc = logistics__order_lines(st, who, o, &names, &a, &u.lines, &u.n_lines, e);
    logistics__names_release(&names);
    /* dispatch's rule: a place open for less than a stop's service is not
    ** served (unassigned there with time_window), never served after closing */
    if (!rc && !logistics__service_window(u.open_min, u.close_min, URGENT_SERVICE_S, NULL))
        rc = err_set(e, ERR_INFEASIBLE,
                     "order %lld cannot be inserted (time_window): %s is open %02d:%02d-%02d:%02d, "
                     "shorter than a stop's %d s service",
                     (long long)order_id, u.name ? u.name : "its delivery point", u.open_min / 60,
                     u.open_min % 60, u.close_min / 60, u.close_min % 60, URGENT_SERVICE_S);
    struct best b = {.route = -1};
    struct rp *rps = NULL;
    if (!rc) {
        struct logistics__nodemat *nm = logistics__nodemat_get(lg, &net, &tc);
        rps = xcalloc(pl.n_routes + 1, sizeof *rps);
        for (size_t r = 0; r < pl.n_routes; r++) {
            const struct logistics_route *rt = &pl.routes[r];
            if (logistics__storage_skills(u.storage) & ~logistics__vehicle_skills(rt->vehicle.temp))
                continue;
            /* a route back at its depot (END arrived) takes nothing more */
            if (rt->n_stops < 2 || strcmp(rt->stops[rt->n_stops - 1].status, "pending") != 0)
                continue;
            route_problem(&net, &tc, nm, &pl, rt, &u, &rps[r]);
            try_route(&rps[r], (int)r, &b);
        }
        logistics__nodemat_put(lg, nm);
        if (b.route < 0)
            rc = err_set(e, ERR_INFEASIBLE,
                         "no route can take order %lld within capacities, windows and shifts",
                         (long long)order_id);
    }
    if (!rc) {
        struct rp *r = &rps[b.route];
        struct vrp_seq sq = {0, b.seq, b.n};
        struct vrp_solution *sol = NULL;
        rc = vrp_solution_from_seqs(r->p, &sq, 1, false, &sol, e);
        if (!rc && lg && lg->insert_hook)
            lg->insert_hook(lg->insert_hook_arg, pl.id, pl.routes[b.route].id);
        if (!rc) {
            struct wr w = {who, &pl, &pl.routes[b.route], r, &sol->routes[0], b.seq, &u, 0};
            rc = store_write(st, insert_write, &w, e);
            if (!rc && route_id)
                *route_id = pl.routes[b.route].id;
            if (!rc && stop_id)
                *stop_id = w.new_stop_id;
        }
        vrp_solution_free(sol);
    }
    for (size_t r = 0; rps && r < pl.n_routes; r++)
        rp_release(&rps[r]);
    free(rps);
    free(b.seq);
    free(pairs);
    county_network_release(&net);
    arena_release(&a);
    logistics_plan_release(&pl);
    return rc;
}
