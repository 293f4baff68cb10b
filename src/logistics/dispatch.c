/*
** dispatch.c: the dispatch and baseline services. Gather the day's work for
** a depot (market orders through market_dispatch_orders, less those an
** approved plan of another depot carries; open consignments of the date or
** an earlier one, and those the depot's own approved plan of the date holds),
** the depot's vehicles, the network and the travel settings in reads; plan
** (plan.c) outside any store call; write the plan in one write. A
** consignment whose goods came back to a depot is picked up there
** (at_node_id), not at its origin. Statuses are not touched: approval
** decides (plan_store.c). A baseline takes either the date's waiting work
** (every depot's) or exactly the work a dispatch plan carries, rebuilt
** from its stops (work_of_plan), so that the two compare like for like.
*/
#include "logistics/logistics_int.h"

#include "market/market.h"

#include <stdlib.h>
#include <string.h>

struct gather {
    struct county_network net;
    struct logistics_travel_cfg travel;
    struct logistics_matrix_pair *pairs;
    struct logistics_vehicle *veh;
    size_t n_veh;
    struct logistics_work *work;
    size_t n_work, cap_work;
    struct arena a;
};

static void gather_release(struct gather *g)
{
    county_network_release(&g->net);
    free(g->pairs);
    free(g->veh);
    free(g->work);
    arena_release(&g->a);
}

struct tr {
    int64_t county_id;
    struct gather *g;
};

static int travel_read(struct store_conn *c, void *arg, struct err *e)
{
    struct tr *t = arg;
    return logistics__travel_load(c, t->county_id, &t->g->travel, &t->g->pairs, e);
}

/* Orders already on an approved plan of the date at another depot (sorted,
** for bsearch). That plan's vehicles go for them; planning them here too
** would send two. The depot's own approved plan is not in the way:
** approving this one supersedes it. Consignments need no such list: the
** plan holding one is recorded with it (cons_read). */
struct taken {
    int64_t county_id, date_ms, depot;
    int64_t *orders;
    size_t n_orders, cap_orders;
};

static int taken_read(struct store_conn *c, void *arg, struct err *e)
{
    struct taken *t = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT i.order_id FROM lg_plans p "
                           "JOIN lg_stop_items i ON i.county_id = p.county_id AND i.plan_id = p.id "
                           "WHERE p.county_id = ? AND p.date_ms = ? AND p.status = ? "
                           "AND p.depot_node_id != ? AND i.order_id > 0",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, t->county_id);
    store_bind_i64(s, 2, t->date_ms);
    store_bind_i64(s, 3, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 4, t->depot);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&t->orders, &t->cap_orders, t->n_orders + 1, sizeof *t->orders);
        t->orders[t->n_orders++] = store_col_i64(s, 0);
    }
    return rc < 0 ? rc : 0;
}

/* The consignments a dispatch of (date, depot) plans: every open one of the
** date or earlier (a failed pickup, a superseding approval or goods back at
** a depot make a consignment open again, and it waits for the next
** dispatch, whatever its date), and the planned ones the depot's own
** approved plan of the date holds (approving the new plan supersedes it).
** Planned or picked-up ones held by any other plan are its to carry.
** Baselines (any_depot) take the planned ones of every depot's plan of the
** date: the whole day's work. */
struct cons_args {
    int64_t county_id, date_ms, depot;
    bool any_depot;
    struct logistics_consignment *out;
    size_t n, cap;
};

static int cons_read(struct store_conn *c, void *arg, struct err *e)
{
    struct cons_args *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT id, village_id, from_node_id, to_node_id, at_node_id, weight_g, volume_ml, "
        "storage, description FROM lg_consignments WHERE county_id = ? AND "
        "((status = 'open' AND date_ms <= ?) OR (status = 'planned' AND plan_id IN "
        "(SELECT id FROM lg_plans WHERE county_id = ? AND date_ms = ? AND status = ? "
        "AND (? = 1 OR depot_node_id = ?)))) ORDER BY id",
        &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    store_bind_i64(s, 2, a->date_ms);
    store_bind_i64(s, 3, a->county_id);
    store_bind_i64(s, 4, a->date_ms);
    store_bind_i64(s, 5, LOGISTICS_PLAN_APPROVED);
    store_bind_i64(s, 6, a->any_depot ? 1 : 0);
    store_bind_i64(s, 7, a->depot);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->out, &a->cap, a->n + 1, sizeof *a->out);
        struct logistics_consignment *k = &a->out[a->n++];
        memset(k, 0, sizeof *k);
        k->id = store_col_i64(s, 0);
        k->village_id = store_col_i64(s, 1);
        k->from_node_id = store_col_i64(s, 2);
        k->to_node_id = store_col_i64(s, 3);
        k->at_node_id = store_col_is_null(s, 4) ? 0 : store_col_i64(s, 4);
        k->weight_g = store_col_i64(s, 5);
        k->volume_ml = store_col_i64(s, 6);
        k->storage = (enum logistics_storage)store_col_i64(s, 7);
        snprintf(k->description, sizeof k->description, "%s", store_col_text(s, 8));
    }
    return rc < 0 ? rc : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool taken_has(const int64_t *ids, size_t n, int64_t id)
{
    return n && bsearch(&id, ids, n, sizeof *ids, cmp_i64) != NULL;
}

/* The network, travel settings and vehicles (the depot's, or every one of
** the county for all_vehicles), and with_work the date's work. */
static int gather(struct store *st, const struct auth_principal *who, int64_t date_ms,
                  int64_t depot_node_id, bool all_vehicles, bool with_work, struct gather *g,
                  struct err *e)
{
    memset(g, 0, sizeof *g);
    arena_init(&g->a, 64 * 1024);
    int rc = county_network_load(st, who, &g->net, e);
    if (rc)
        return rc;
    struct tr t = {who->county_id, g};
    if ((rc = store_read(st, travel_read, &t, e)))
        return rc;
    if ((rc = logistics_vehicle_list(st, who, all_vehicles ? 0 : depot_node_id, false, &g->veh,
                                     &g->n_veh, e)))
        return rc;
    if (!with_work)
        return 0;
    struct market_dispatch_filter f = {0};
    f.until_ms = lg__day_end_ms(date_ms);
    struct market_dispatch_order *orders = NULL;
    size_t n_orders = 0;
    if ((rc = market_dispatch_orders(st, who, &f, &g->a, &orders, &n_orders, e)))
        return rc;
    /* baselines (all_vehicles) compare what a fixed loop would do with the
    ** whole day's work; only dispatch leaves out what is taken */
    struct cons_args ca = {.county_id = who->county_id,
                           .date_ms = date_ms,
                           .depot = depot_node_id,
                           .any_depot = all_vehicles};
    if ((rc = store_read(st, cons_read, &ca, e))) {
        free(ca.out);
        return rc;
    }
    struct logistics_consignment *cons = ca.out;
    size_t n_cons = ca.n;
    struct taken tk = {.county_id = who->county_id, .date_ms = date_ms, .depot = depot_node_id};
    if (!all_vehicles && (rc = store_read(st, taken_read, &tk, e))) {
        free(cons);
        free(tk.orders);
        return rc;
    }
    /* qsort's array must not be NULL even for 0 elements (UBSan: nonnull) */
    if (tk.n_orders)
        qsort(tk.orders, tk.n_orders, sizeof *tk.orders, cmp_i64);
    g->work = xcalloc(n_orders + n_cons + 1, sizeof *g->work);
    struct logistics__names names = {0};
    for (size_t i = 0; i < n_orders && !rc; i++) {
        const struct market_dispatch_order *o = &orders[i];
        if (taken_has(tk.orders, tk.n_orders, o->order_id))
            continue;
        struct logistics_work *w = &g->work[g->n_work++];
        w->order_id = o->order_id;
        w->node_id = o->delivery_node_id;
        if (o->has_coords)
            w->loc = (struct geo_point){o->lat, o->lon};
        w->weight_g = o->weight_g;
        w->volume_ml = o->volume_ml;
        w->storage = (enum logistics_storage)o->storage;
        const char *first = o->nlines ? o->lines[0].name : "";
        w->label = o->nlines > 1
                       ? arena_printf(&g->a, "order %lld: %s +%zu", (long long)o->order_id, first,
                                      o->nlines - 1)
                       : arena_printf(&g->a, "order %lld: %s", (long long)o->order_id, first);
        w->address = o->delivery_address;
        struct logistics_item_line *lines = NULL;
        rc = logistics__order_lines(st, who, o, &names, &g->a, &lines, &w->n_lines, e);
        w->lines = lines;
    }
    logistics__names_release(&names);
    if (rc) {
        free(cons);
        free(tk.orders);
        return rc;
    }
    for (size_t i = 0; i < n_cons; i++) {
        const struct logistics_consignment *k = &cons[i];
        struct logistics_work *w = &g->work[g->n_work++];
        w->consignment_id = k->id;
        /* goods back at a depot are collected there, not at their origin */
        w->node_id = k->at_node_id ? k->at_node_id : k->from_node_id;
        w->village_id = k->village_id;
        w->to_node_id = k->to_node_id;
        w->weight_g = k->weight_g;
        w->volume_ml = k->volume_ml;
        w->storage = k->storage;
        w->label = arena_printf(&g->a, "consignment %lld: %s", (long long)k->id, k->description);
        w->description = arena_strdup(&g->a, k->description);
    }
    free(cons);
    free(tk.orders);
    return 0;
}

struct ins {
    const struct auth_principal *who;
    struct logistics_plan *p;
};

/* A draft decides nothing: consignment statuses change on approval
** (logistics_plan_approve), so plan_write only stores. */
static int plan_write(struct store_conn *c, void *arg, struct err *e)
{
    struct ins *w = arg;
    return logistics__plan_insert(c, w->who, w->p, e);
}

static int check_date_depot(int64_t date_ms, int64_t depot, struct err *e)
{
    if (date_ms <= 0 || date_ms % LG_DAY_MS)
        return err_set(e, ERR_INVAL, "field 'date' must be a date (YYYY-MM-DD)");
    if (depot <= 0)
        return err_set(e, ERR_INVAL, "field 'depot_node_id' must be a node id");
    return 0;
}

/* A plan is for the county's today or a later day: one for a day gone by
** sends no vehicle anywhere, and its work (the orders and consignments
** still waiting now) is not what that day had. */
static int check_not_past(int64_t date_ms, int64_t now_ms, const char *what, struct err *e)
{
    int64_t today = logistics_today(now_ms);
    if (date_ms >= today)
        return 0;
    char d[32], t[32];
    time_fmt_rfc3339(date_ms, d);
    time_fmt_rfc3339(today, t);
    d[10] = t[10] = 0;
    return err_set(e, ERR_INVAL, "date %s is before the county's today (%s): %s", d, t, what);
}

int logistics_dispatch_check(const struct auth_principal *who,
                             const struct logistics_dispatch_req *req, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (!rc)
        rc = check_date_depot(req->date_ms, req->depot_node_id, e);
    if (!rc)
        rc = check_not_past(req->date_ms, req->now_ms, "a plan is for today or a later date", e);
    if (!rc &&
        (req->params.time_limit_s < 0 || req->params.time_limit_s > LOGISTICS_TIME_LIMIT_MAX_S))
        rc = err_set(e, ERR_INVAL, "time limit must be in (0, %g] seconds",
                     LOGISTICS_TIME_LIMIT_MAX_S);
    return rc;
}

int logistics_dispatch(struct logistics *lg, struct store *st, const struct auth_principal *who,
                       const struct logistics_dispatch_req *req, int64_t *plan_id, struct err *e)
{
    int rc = logistics_dispatch_check(who, req, e);
    if (rc)
        return rc;
    struct gather g;
    rc = gather(st, who, req->date_ms, req->depot_node_id, false, true, &g, e);
    struct logistics_plan p;
    logistics_plan_init(&p);
    snprintf(p.kind, sizeof p.kind, "dispatch");
    if (!rc) {
        char day[32];
        time_fmt_rfc3339(req->date_ms, day);
        day[10] = 0;
        snprintf(p.name, sizeof p.name, "%s", req->name && *req->name ? req->name : day);
        struct logistics__nodemat *nm = logistics__nodemat_get(lg, &g.net, &g.travel);
        rc = logistics__plan_make(&g.net, &g.travel, nm, req->date_ms, req->depot_node_id, g.veh,
                                  g.n_veh, g.work, g.n_work, NULL, NULL, NULL, 0, &req->params, &p,
                                  e);
        logistics__nodemat_put(lg, nm);
    }
    if (!rc) {
        struct ins w = {who, &p};
        rc = store_write(st, plan_write, &w, e);
    }
    if (!rc && plan_id)
        *plan_id = p.id;
    logistics_plan_release(&p);
    gather_release(&g);
    return rc;
}

/* The work a dispatch plan carries, as the planner's input, into g: each
** order unloaded at a delivery stop, delivered where that stop is; each
** consignment loaded at a pickup stop, picked up there and bound for the
** drop of its route that unloads it (none: the depot). Failed stops count:
** this is the work the plan was made for. An urgent order's load at the
** depot is not a piece of its own. Strings borrow from src. */
static void work_of_plan(const struct logistics_plan *src, struct gather *g)
{
    size_t n = 0;
    for (size_t r = 0; r < src->n_routes; r++)
        for (size_t q = 0; q < src->routes[r].n_stops; q++)
            n += src->routes[r].stops[q].n_items;
    g->work = xcalloc(n + 1, sizeof *g->work);
    for (size_t r = 0; r < src->n_routes; r++) {
        const struct logistics_route *rt = &src->routes[r];
        for (size_t q = 0; q < rt->n_stops; q++) {
            const struct logistics_stop *st = &rt->stops[q];
            bool deliver = st->kind == LOGISTICS_STOP_DELIVERY;
            if (!deliver && st->kind != LOGISTICS_STOP_PICKUP)
                continue;
            for (size_t i = 0; i < st->n_items; i++) {
                const struct logistics_item *it = &st->items[i];
                if (deliver ? !it->order_id || it->load : !it->consignment_id || !it->load)
                    continue;
                struct logistics_work *w = &g->work[g->n_work++];
                w->order_id = deliver ? it->order_id : 0;
                w->consignment_id = deliver ? 0 : it->consignment_id;
                w->node_id = st->node_id;
                w->village_id = st->village_id;
                w->loc = st->loc;
                w->address = st->address && *st->address ? st->address : NULL;
                w->weight_g = it->weight_g;
                w->volume_ml = it->volume_ml;
                w->storage = it->storage;
                w->label = it->label;
                w->lines = it->lines;
                w->n_lines = it->n_lines;
                w->description = it->description;
                for (size_t k = q + 1; !deliver && k < rt->n_stops && !w->to_node_id; k++)
                    for (size_t m = 0; m < rt->stops[k].n_items; m++)
                        if (rt->stops[k].kind == LOGISTICS_STOP_DROP &&
                            rt->stops[k].items[m].consignment_id == it->consignment_id &&
                            !rt->stops[k].items[m].load)
                            w->to_node_id = rt->stops[k].node_id;
            }
        }
    }
}

/* The dispatch plan whose work a baseline takes: of the same date and
** depot. */
static int source_plan(struct store *st, const struct auth_principal *who,
                       const struct logistics_baseline_req *req, struct logistics_plan *src,
                       struct err *e)
{
    int rc = logistics_plan_get(st, who, req->plan_id, src, e);
    if (rc == ERR_NOTFOUND)
        return err_set(e, ERR_INVAL, "field 'plan_id': plan %lld not found in this county",
                       (long long)req->plan_id);
    if (rc)
        return rc;
    if (strcmp(src->kind, "dispatch") != 0)
        return err_set(e, ERR_INVAL,
                       "field 'plan_id': plan %lld is a %s; a baseline takes the work of a "
                       "dispatch plan",
                       (long long)src->id, src->kind);
    if (src->date_ms != req->date_ms || src->depot_node_id != req->depot_node_id) {
        char d[32];
        time_fmt_rfc3339(src->date_ms, d);
        d[10] = 0;
        return err_set(e, ERR_INVAL,
                       "field 'plan_id': plan %lld is for %s at depot %lld, not this date and "
                       "depot",
                       (long long)src->id, d, (long long)src->depot_node_id);
    }
    return 0;
}

int logistics_baseline_import(struct logistics *lg, struct store *st,
                              const struct auth_principal *who,
                              const struct logistics_baseline_req *req, int64_t *plan_id,
                              struct err *e)
{
    int64_t date_ms = req->date_ms, depot_node_id = req->depot_node_id;
    const struct logistics_fixed_route *routes = req->routes;
    size_t n_routes = req->n_routes;
    int rc = logistics__need_staff(who, e);
    if (!rc)
        rc = check_date_depot(date_ms, depot_node_id, e);
    /* a past day's work is known only from a plan of that day */
    if (!rc && req->plan_id <= 0)
        rc = check_not_past(date_ms, req->now_ms,
                            "a baseline of the work waiting now is for today or a later date "
                            "(for a past date, give the plan_id of a dispatch plan of that day)",
                            e);
    if (!rc && (n_routes == 0 || n_routes > LOGISTICS_MAX_VEHICLES))
        rc = err_set(e, ERR_INVAL, "a baseline needs 1 to %d routes", LOGISTICS_MAX_VEHICLES);
    if (rc)
        return rc;
    struct logistics_plan src;
    logistics_plan_init(&src);
    if (req->plan_id > 0)
        rc = source_plan(st, who, req, &src, e);
    struct gather g;
    memset(&g, 0, sizeof g);
    arena_init(&g.a, 1024);
    if (!rc) {
        arena_release(&g.a);
        rc = gather(st, who, date_ms, depot_node_id, true, req->plan_id <= 0, &g, e);
    }
    if (!rc && req->plan_id > 0)
        work_of_plan(&src, &g);
    int *rv = xcalloc(n_routes + 1, sizeof *rv);
    const int64_t **rn = xcalloc(n_routes + 1, sizeof *rn);
    size_t *rl = xcalloc(n_routes + 1, sizeof *rl);
    for (size_t r = 0; r < n_routes && !rc; r++) {
        rv[r] = -1;
        for (size_t k = 0; k < g.n_veh; k++)
            if (g.veh[k].id == routes[r].vehicle_id)
                rv[r] = (int)k;
        if (rv[r] < 0)
            rc = err_set(e, ERR_INVAL, "route %zu: vehicle %lld does not exist in this county",
                         r + 1, (long long)routes[r].vehicle_id);
        if (!rc && (routes[r].n_nodes == 0 || routes[r].n_nodes > 10000))
            rc = err_set(e, ERR_INVAL, "route %zu: needs 1 to 10000 stops", r + 1);
        for (size_t q = 0; q < routes[r].n_nodes && !rc; q++) {
            bool found = false;
            for (size_t k = 0; k < g.net.n_nodes && !found; k++)
                found = g.net.nodes[k].id == routes[r].node_ids[q];
            if (!found)
                rc = err_set(e, ERR_INVAL, "route %zu: node %lld does not exist in this county",
                             r + 1, (long long)routes[r].node_ids[q]);
        }
        rn[r] = routes[r].node_ids;
        rl[r] = routes[r].n_nodes;
    }
    struct logistics_plan p;
    logistics_plan_init(&p);
    snprintf(p.kind, sizeof p.kind, "baseline");
    snprintf(p.name, sizeof p.name, "%s", req->name && *req->name ? req->name : "baseline");
    if (!rc) {
        struct logistics__nodemat *nm = logistics__nodemat_get(lg, &g.net, &g.travel);
        struct logistics_plan_params prm;
        logistics_plan_params_default(&prm);
        rc = logistics__plan_make(&g.net, &g.travel, nm, date_ms, depot_node_id, g.veh, g.n_veh,
                                  g.work, g.n_work, rv, rn, rl, n_routes, &prm, &p, e);
        logistics__nodemat_put(lg, nm);
    }
    if (!rc) {
        struct ins w = {who, &p};
        rc = store_write(st, plan_write, &w, e);
    }
    if (!rc && plan_id)
        *plan_id = p.id;
    logistics_plan_release(&p);
    free(rv);
    free(rn);
    free(rl);
    gather_release(&g);
    logistics_plan_release(&src); /* after the work that borrows from it */
    return rc;
}
