/*
** plan.c: from work and a fleet to a plan. Resolves every piece of work to
** a location (a node, a village's service point, or an address), rejects
** up front what no vehicle could ever do (with the reason), groups the rest
** into stops (same place, same direction, same temperature class; split
** when a group would not fit the largest suitable vehicle), builds the vrp
** problem (two capacity dimensions: grams and millilitres; skills: bit 0
** chilled, bit 1 frozen; opening hours as time windows; shifts as vehicle
** windows; fen rates), solves it (or evaluates fixed routes), replays the
** routes through the engine's trusted evaluator and turns its steps into
** stops with ETAs, loads and items, each route leaving the depot as late as
** its windows allow instead of waiting at them (departure_slack). What the
** solver left out gets a reason by checking the stop against each suitable
** vehicle alone.
*/
#include "logistics/logistics_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void logistics_plan_params_default(struct logistics_plan_params *prm)
{
    memset(prm, 0, sizeof *prm);
    prm->time_limit_s = 10;
    prm->seed = 1;
    prm->threads = 1;
    prm->service_stop_s = LG_SERVICE_STOP_S;
    prm->service_item_s = LG_SERVICE_ITEM_S;
}

struct loc {
    int64_t node_id, village_id;
    struct geo_point pt;
    const char *name;
    int open_min, close_min;
    const char *address; /* a delivery address (no node), else NULL */
};

/* A stop-to-be: items of one place, one direction, one temperature class. */
enum gkind { G_DELIVER = 0, G_PICKUP_DEPOT, G_PICKUP_SHIP };
struct group {
    int loc, dest_loc; /* dest_loc: G_PICKUP_SHIP only */
    enum gkind kind;
    uint64_t skills;
    int64_t g, ml;
    int *items; /* indices into work */
    int n_items, cap_items;
    int task, task2; /* vrp task index (task2: the shipment's delivery) */
};

struct build {
    const struct county_network *net;
    const struct logistics_travel_cfg *travel;
    const struct logistics__nodemat *nm;
    int64_t date_ms;
    const struct logistics_vehicle *veh;
    size_t n_veh;
    const struct logistics_work *work;
    size_t n_work;
    const struct logistics_plan_params *prm;
    struct logistics_plan *out;
    struct loc *locs;
    int n_locs, cap_locs;
    int *work_loc, *work_dest; /* per work item (-1 = unresolved) */
    struct group *groups;
    size_t n_groups, cap_groups;
    struct vrp_problem *p;
    struct logistics_unassigned *un;
    size_t n_un, cap_un;
};

static const struct county_node *find_node(const struct county_network *net, int64_t id)
{
    size_t lo = 0, hi = net->n_nodes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (net->nodes[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < net->n_nodes && net->nodes[lo].id == id && net->nodes[lo].active ? &net->nodes[lo]
                                                                                 : NULL;
}

static const struct county_village *find_village(const struct county_network *net, int64_t id)
{
    size_t lo = 0, hi = net->n_villages;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (net->villages[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < net->n_villages && net->villages[lo].id == id ? &net->villages[lo] : NULL;
}

static const struct county_node *village_point(const struct county_network *net, int64_t vid)
{
    for (size_t i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].active && net->nodes[i].kind == COUNTY_NODE_POINT &&
            net->nodes[i].village_id == vid)
            return &net->nodes[i];
    return NULL;
}

static int add_loc(struct build *b, int64_t node_id, int64_t village_id, struct geo_point pt,
                   const char *name, int open_min, int close_min)
{
    for (int i = 0; i < b->n_locs; i++) {
        const struct loc *l = &b->locs[i];
        if (node_id ? l->node_id == node_id
                    : (!l->node_id && l->pt.lat == pt.lat && l->pt.lon == pt.lon))
            return i;
    }
    size_t cap = (size_t)b->cap_locs;
    xgrow((void **)&b->locs, &cap, (size_t)b->n_locs + 1, sizeof *b->locs);
    b->cap_locs = (int)cap;
    b->locs[b->n_locs] = (struct loc){node_id, village_id, pt, name, open_min, close_min, NULL};
    return b->n_locs++;
}

static int add_node_loc(struct build *b, const struct county_node *nd)
{
    return add_loc(b, nd->id, nd->village_id, nd->loc, nd->name, nd->open_min,
                   lg__node_close_min(nd));
}

static void unassign(struct build *b, const struct logistics_work *w, int64_t node_id,
                     const char *reason, const char *fmt, ...) RL_PRINTF(5, 6);
static void unassign(struct build *b, const struct logistics_work *w, int64_t node_id,
                     const char *reason, const char *fmt, ...)
{
    xgrow((void **)&b->un, &b->cap_un, b->n_un + 1, sizeof *b->un);
    char buf[LOGISTICS_TEXT_BUF];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    b->un[b->n_un++] = (struct logistics_unassigned){w->order_id, w->consignment_id, node_id,
                                                     reason, arena_strdup(&b->out->arena, buf)};
}

static void travel(const struct build *b, int from, int to, int64_t *d, int64_t *t)
{
    const struct loc *x = &b->locs[from], *y = &b->locs[to];
    logistics__travel(b->net, b->travel, b->nm, x->node_id, x->pt, y->node_id, y->pt, d, t);
}

/* Service window [start, end] (seconds of the local day) for a stop at loc
** taking service_s (logistics__service_window: clamped to [open, open] when
** the place is open for less than the service). */
static struct vrp_tw window_of(const struct loc *l, int64_t service_s)
{
    struct vrp_tw tw;
    logistics__service_window(l->open_min, l->close_min, service_s, &tw);
    return tw;
}

/* Whether service_s fits in l's opening hours at all. */
static bool window_fits(const struct loc *l, int64_t service_s)
{
    return logistics__service_window(l->open_min, l->close_min, service_s, NULL);
}

/* Why no vehicle could do this stop alone, or NULL when one could. */
static const char *why_alone(const struct build *b, int loc, int dest_loc, uint64_t skills,
                             int64_t g, int64_t ml, int64_t service_s, char *detail, size_t dn)
{
    bool any_skill = false, any_cap = false;
    for (size_t k = 0; k < b->n_veh; k++) {
        const struct logistics_vehicle *v = &b->veh[k];
        if (skills & ~logistics__vehicle_skills(v->temp))
            continue;
        any_skill = true;
        if (g > v->capacity_g || ml > v->capacity_ml)
            continue;
        any_cap = true;
        if (!window_fits(&b->locs[loc], service_s) ||
            (dest_loc >= 0 && !window_fits(&b->locs[dest_loc], service_s)))
            continue;
        int64_t d, t, t2, t3 = 0;
        travel(b, 0, loc, &d, &t);
        struct vrp_tw w = window_of(&b->locs[loc], service_s);
        int64_t begin = (int64_t)v->shift_start_min * 60 + t;
        if (begin < w.start)
            begin = w.start;
        if (begin > w.end)
            continue;
        int64_t at = begin + service_s;
        int last = loc;
        if (dest_loc >= 0) {
            travel(b, loc, dest_loc, &d, &t3);
            struct vrp_tw w2 = window_of(&b->locs[dest_loc], service_s);
            int64_t b2 = at + t3 < w2.start ? w2.start : at + t3;
            if (b2 > w2.end)
                continue;
            at = b2 + service_s;
            last = dest_loc;
        }
        travel(b, last, 0, &d, &t2);
        if (at + t2 <= (int64_t)v->shift_end_min * 60)
            return NULL;
    }
    if (!any_skill) {
        snprintf(detail, dn, "no active vehicle at the depot is refrigerated for %s goods",
                 skills & LG_SKILL_FROZEN ? "frozen" : "chilled");
        return "no_refrigerated_vehicle";
    }
    if (!any_cap) {
        snprintf(detail, dn, "%lld g / %lld ml is more than any suitable vehicle carries",
                 (long long)g, (long long)ml);
        return "capacity";
    }
    snprintf(detail, dn, "no suitable vehicle reaches it within its opening hours and shift");
    return "time_window";
}

/* Resolve where each piece of work happens; refuse what cannot be done. */
static int resolve(struct build *b, int64_t depot_node_id, bool fixed, struct err *e)
{
    const struct county_node *depot = find_node(b->net, depot_node_id);
    if (!depot)
        return err_set(e, ERR_INVAL, "depot node %lld does not exist in this county",
                       (long long)depot_node_id);
    /* Otherwise every piece of work would come back unassigned, each for a
    ** reason (no refrigerated vehicle, ...) that hides the real one. */
    if (!b->n_veh)
        return err_set(e, ERR_INVAL, "depot node %lld has no active vehicles",
                       (long long)depot_node_id);
    add_node_loc(b, depot);
    b->work_loc = xcalloc(b->n_work + 1, sizeof *b->work_loc);
    b->work_dest = xcalloc(b->n_work + 1, sizeof *b->work_dest);
    for (size_t i = 0; i < b->n_work; i++) {
        const struct logistics_work *w = &b->work[i];
        b->work_loc[i] = b->work_dest[i] = -1;
        const struct county_node *nd = w->node_id ? find_node(b->net, w->node_id) : NULL;
        if (!nd && w->consignment_id && !w->node_id)
            nd = village_point(b->net, w->village_id);
        if (nd) {
            b->work_loc[i] = add_node_loc(b, nd);
        } else if (!w->node_id && geo_point_valid(w->loc) && (w->loc.lat || w->loc.lon)) {
            const struct county_village *v =
                w->village_id ? find_village(b->net, w->village_id) : NULL;
            /* an address is named by itself (the item's label says what
            ** goes there, not where) */
            const char *addr = w->address && *w->address ? w->address : NULL;
            b->work_loc[i] =
                add_loc(b, 0, w->village_id, w->loc, v ? v->name_zh : (addr ? addr : "address"),
                        LG_ADDRESS_OPEN_MIN, LG_ADDRESS_CLOSE_MIN);
            if (addr && !b->locs[b->work_loc[i]].address)
                b->locs[b->work_loc[i]].address = addr;
        } else if (!w->node_id && w->village_id && find_village(b->net, w->village_id)) {
            const struct county_village *v = find_village(b->net, w->village_id);
            b->work_loc[i] =
                add_loc(b, 0, v->id, v->loc, v->name_zh, LG_ADDRESS_OPEN_MIN, LG_ADDRESS_CLOSE_MIN);
        } else {
            unassign(b, w, w->node_id, "no_location",
                     "no active node or coordinates to deliver to");
            continue;
        }
        if (w->consignment_id && w->to_node_id && w->to_node_id != depot_node_id) {
            const struct county_node *to = find_node(b->net, w->to_node_id);
            if (!to) {
                unassign(b, w, w->to_node_id, "no_location",
                         "destination node %lld is not an active node", (long long)w->to_node_id);
                b->work_loc[i] = -1;
                continue;
            }
            b->work_dest[i] = add_node_loc(b, to);
        }
        if (fixed)
            continue;
        char detail[LOGISTICS_TEXT_BUF];
        int64_t svc = b->prm->service_stop_s + b->prm->service_item_s;
        const char *why =
            why_alone(b, b->work_loc[i], b->work_dest[i], logistics__storage_skills(w->storage),
                      w->weight_g, w->volume_ml, svc, detail, sizeof detail);
        if (why) {
            unassign(b, w, b->locs[b->work_loc[i]].node_id, why, "%s", detail);
            b->work_loc[i] = -1;
        }
    }
    return 0;
}

/* The largest load a vehicle that could carry `skills` takes. */
static void max_cap(const struct build *b, uint64_t skills, int64_t *g, int64_t *ml)
{
    *g = *ml = 0;
    for (size_t k = 0; k < b->n_veh; k++)
        if (!(skills & ~logistics__vehicle_skills(b->veh[k].temp))) {
            if (b->veh[k].capacity_g > *g)
                *g = b->veh[k].capacity_g;
            if (b->veh[k].capacity_ml > *ml)
                *ml = b->veh[k].capacity_ml;
        }
}

/* Whether one more item's service still fits the opening hours of the
** group's places (each item alone was checked by why_alone). */
static bool group_fits(const struct build *b, const struct group *x)
{
    int64_t svc = b->prm->service_stop_s + b->prm->service_item_s * (x->n_items + 1);
    return window_fits(&b->locs[x->loc], svc) &&
           (x->dest_loc < 0 || window_fits(&b->locs[x->dest_loc], svc));
}

static void group_work(struct build *b, bool fixed)
{
    for (size_t i = 0; i < b->n_work; i++) {
        if (b->work_loc[i] < 0)
            continue;
        const struct logistics_work *w = &b->work[i];
        enum gkind kind = !w->consignment_id     ? G_DELIVER
                          : b->work_dest[i] >= 0 ? G_PICKUP_SHIP
                                                 : G_PICKUP_DEPOT;
        uint64_t sk = logistics__storage_skills(w->storage);
        int64_t cg, cml;
        max_cap(b, sk, &cg, &cml);
        if (fixed)
            cg = cml = INT64_MAX / 4;
        struct group *g = NULL;
        for (size_t k = b->n_groups; k-- > 0;) {
            struct group *x = &b->groups[k];
            if (x->loc == b->work_loc[i] && x->kind == kind && x->skills == sk &&
                x->dest_loc == b->work_dest[i] && x->g + w->weight_g <= cg &&
                x->ml + w->volume_ml <= cml && (fixed || group_fits(b, x))) {
                g = x;
                break;
            }
        }
        if (!g) {
            xgrow((void **)&b->groups, &b->cap_groups, b->n_groups + 1, sizeof *b->groups);
            g = &b->groups[b->n_groups++];
            memset(g, 0, sizeof *g);
            g->loc = b->work_loc[i];
            g->dest_loc = b->work_dest[i];
            g->kind = kind;
            g->skills = sk;
            g->task = g->task2 = -1;
        }
        size_t cap = (size_t)g->cap_items;
        xgrow((void **)&g->items, &cap, (size_t)g->n_items + 1, sizeof *g->items);
        g->cap_items = (int)cap;
        g->items[g->n_items++] = (int)i;
        g->g += w->weight_g;
        g->ml += w->volume_ml;
    }
}

static int64_t service_of(const struct build *b, const struct group *g)
{
    return b->prm->service_stop_s + b->prm->service_item_s * g->n_items;
}

static void make_problem(struct build *b)
{
    struct vrp_problem *p = vrp_problem_new();
    b->p = p;
    p->name = xstrdup("dispatch");
    p->format = xstrdup("ruralink");
    p->scale = 1;
    p->n_dims = 2;
    p->n_locs = b->n_locs;
    p->n_matrices = 1;
    p->matrices = xcalloc(1, sizeof *p->matrices);
    size_t n = (size_t)b->n_locs;
    p->matrices[0].dist = xcalloc(n * n + 1, sizeof(int64_t));
    p->matrices[0].dur = xcalloc(n * n + 1, sizeof(int64_t));
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j)
                travel(b, (int)i, (int)j, &p->matrices[0].dist[i * n + j],
                       &p->matrices[0].dur[i * n + j]);
    int nt = 0;
    for (size_t k = 0; k < b->n_groups; k++)
        nt += b->groups[k].kind == G_PICKUP_SHIP ? 2 : 1;
    p->tasks = xcalloc((size_t)nt + 1, sizeof *p->tasks);
    for (size_t k = 0; k < b->n_groups; k++) {
        struct group *g = &b->groups[k];
        int64_t svc = service_of(b, g);
        struct vrp_task *t = &p->tasks[p->n_tasks];
        g->task = p->n_tasks++;
        t->id = (int64_t)k + 1;
        t->loc = g->loc;
        t->service = svc;
        t->skills = g->skills;
        t->pair = VRP_NONE;
        t->n_tw = 1;
        t->tw = xmalloc(sizeof *t->tw);
        t->tw[0] = window_of(&b->locs[g->loc], svc);
        if (g->kind == G_DELIVER) {
            t->kind = VRP_JOB;
            t->delivery[0] = g->g;
            t->delivery[1] = g->ml;
        } else if (g->kind == G_PICKUP_DEPOT) {
            t->kind = VRP_JOB;
            t->pickup[0] = g->g;
            t->pickup[1] = g->ml;
        } else {
            t->kind = VRP_PICKUP;
            t->pickup[0] = g->g;
            t->pickup[1] = g->ml;
            struct vrp_task *d = &p->tasks[p->n_tasks];
            g->task2 = p->n_tasks++;
            *d = *t;
            d->id = -((int64_t)k + 1);
            d->kind = VRP_DELIVERY;
            d->loc = g->dest_loc;
            d->pickup[0] = d->pickup[1] = 0;
            d->delivery[0] = g->g;
            d->delivery[1] = g->ml;
            d->tw = xmalloc(sizeof *d->tw);
            d->tw[0] = window_of(&b->locs[g->dest_loc], svc);
            t->pair = g->task2;
            d->pair = g->task;
        }
    }
    p->vehicles = xcalloc(b->n_veh + 1, sizeof *p->vehicles);
    p->n_vehicles = (int)b->n_veh;
    for (size_t k = 0; k < b->n_veh; k++) {
        const struct logistics_vehicle *v = &b->veh[k];
        struct vrp_vehicle *x = &p->vehicles[k];
        x->id = v->id;
        x->start = x->end = 0;
        x->capacity[0] = v->capacity_g;
        x->capacity[1] = v->capacity_ml;
        x->tw = (struct vrp_tw){(int64_t)v->shift_start_min * 60, (int64_t)v->shift_end_min * 60};
        x->skills = logistics__vehicle_skills(v->temp);
        x->fixed_cost = v->fixed_cost_fen;
        x->cost_per_km = v->cost_per_km_fen;
        x->cost_per_hour = v->cost_per_hour_fen;
        if (!x->cost_per_km && !x->cost_per_hour)
            x->cost_per_km = 1; /* keep distance in the objective */
        x->max_trips = 1;
    }
}

void logistics__proof_code(char out[12])
{
    unsigned char r[4];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t t = (uint64_t)time_mono_ns();
        memcpy(r, &t, sizeof r);
    }
    uint32_t v = ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]);
    snprintf(out, 12, "%06u", (unsigned)(v % 1000000u));
}

static void add_items(struct build *b, struct logistics_stop *s, const struct group *g, bool load)
{
    struct arena *a = &b->out->arena;
    size_t n0 = s->n_items;
    struct logistics_item *it = arena_alloc(a, (n0 + (size_t)g->n_items) * sizeof *it);
    if (n0)
        memcpy(it, s->items, n0 * sizeof *it);
    for (int i = 0; i < g->n_items; i++) {
        const struct logistics_work *w = &b->work[g->items[i]];
        struct logistics_item_line *lines = NULL;
        if (w->n_lines) {
            lines = arena_calloc(a, w->n_lines * sizeof *lines);
            for (size_t k = 0; k < w->n_lines; k++)
                lines[k] = (struct logistics_item_line){
                    w->lines[k].product_id, w->lines[k].qty,
                    arena_strdup(a, w->lines[k].name_zh ? w->lines[k].name_zh : ""),
                    arena_strdup(a, w->lines[k].name_en ? w->lines[k].name_en : "")};
        }
        it[n0 + (size_t)i] = (struct logistics_item){
            .order_id = w->order_id,
            .consignment_id = w->consignment_id,
            .load = load,
            .weight_g = w->weight_g,
            .volume_ml = w->volume_ml,
            .storage = w->storage,
            .label = arena_strdup(a, w->label ? w->label : ""),
            .lines = lines,
            .n_lines = lines ? w->n_lines : 0,
            .description = w->description ? arena_strdup(a, w->description) : NULL};
        if (w->storage != LOGISTICS_AMBIENT) {
            if (load)
                s->chilled_load++;
            else
                s->chilled_unload++;
        }
    }
    s->items = it;
    s->n_items = n0 + (size_t)g->n_items;
}

/* How much later than the evaluator's schedule a route can leave the depot.
** The evaluator leaves at shift start and waits wherever it arrives before
** a window opens, which lengthens the route (driver cost) and makes a
** tracked vehicle look late at a stop the plan reaches early. Leaving d
** later removes the first d seconds of waiting; a stop after cumulated
** waiting w starts service max(0, d - w) later, which must stay within its
** window: d <= w + (window end - service start) for every stop (its forward
** slack), and d <= the route's whole waiting, so the return is not later.
** Never negative: a fixed route already late at a stop keeps its start. */
static int64_t departure_slack(const struct build *b, const struct vrp_route *vr,
                               int64_t shift_end_s)
{
    int64_t wait = 0, slack = INT64_MAX;
    for (int k = 1; k < vr->n_steps; k++) {
        const struct vrp_step *st = &vr->steps[k];
        wait += st->waiting;
        int64_t end = st->task >= 0 ? b->p->tasks[st->task].tw[0].end : shift_end_s;
        int64_t room = wait + end - (st->arrival + st->waiting);
        if (room < slack)
            slack = room;
    }
    if (slack > wait)
        slack = wait;
    return slack > 0 ? slack : 0;
}

/* Turn the evaluated solution into plan routes and stops. */
static void to_plan(struct build *b, const struct vrp_solution *sol, const int *task_group)
{
    struct logistics_plan *out = b->out;
    struct arena *a = &out->arena;
    out->routes = arena_calloc(a, ((size_t)sol->n_routes + 1) * sizeof *out->routes);
    for (int r = 0; r < sol->n_routes; r++) {
        const struct vrp_route *vr = &sol->routes[r];
        if (vr->n_steps <= 2)
            continue;
        const struct logistics_vehicle *v = &b->veh[vr->vehicle];
        struct logistics_route *lr = &out->routes[out->n_routes++];
        lr->seq = (int)out->n_routes;
        lr->vehicle = *v;
        lr->driver_user_id = v->driver_user_id;
        lr->stops = arena_calloc(a, (size_t)vr->n_steps * sizeof *lr->stops);
        int64_t prev_dist = 0, prev_travel = 0;
        /* later by `late` at this step: the departure delay less the waiting
        ** it has absorbed so far */
        int64_t late = departure_slack(b, vr, (int64_t)v->shift_end_min * 60);
        for (int k = 0; k < vr->n_steps; k++) {
            const struct vrp_step *st = &vr->steps[k];
            struct logistics_stop *s = &lr->stops[lr->n_stops];
            s->seq = (int)lr->n_stops++;
            const struct loc *l = &b->locs[st->loc >= 0 ? st->loc : 0];
            s->node_id = l->node_id;
            s->village_id = l->village_id;
            s->name = arena_strdup(a, l->name ? l->name : "");
            s->address = arena_strdup(a, l->address && !l->node_id ? l->address : "");
            s->loc = l->pt;
            int64_t wait = st->waiting > late ? st->waiting - late : 0;
            s->arrive_ms = lg__ms_of(b->date_ms, st->arrival + late);
            s->depart_ms = lg__ms_of(b->date_ms, st->arrival + late + wait + st->service);
            late = late > st->waiting ? late - st->waiting : 0;
            s->leg_dist_m = st->distance - prev_dist;
            s->leg_dur_s = st->travel - prev_travel;
            if (st->type == VRP_STEP_START) {
                s->leg_dist_m = s->leg_dur_s = 0;
                st = &vr->steps[k]; /* distance/travel 0 at the start */
            }
            prev_dist = st->distance;
            prev_travel = st->travel;
            s->load_g = st->load[0];
            s->load_ml = st->load[1];
            snprintf(s->status, sizeof s->status, "pending");
            if (st->type == VRP_STEP_START || st->type == VRP_STEP_END) {
                s->kind = st->type == VRP_STEP_START ? LOGISTICS_STOP_START : LOGISTICS_STOP_END;
                s->tw_start_ms = lg__ms_of(b->date_ms, (int64_t)v->shift_start_min * 60);
                s->tw_end_ms = lg__ms_of(b->date_ms, (int64_t)v->shift_end_min * 60);
                if (st->type == VRP_STEP_START)
                    s->depart_ms = s->arrive_ms;
                /* START loads every delivery of the route; END unloads pickups. */
                for (int q = 0; q < vr->n_steps; q++) {
                    int ti = vr->steps[q].task;
                    if (ti < 0)
                        continue;
                    const struct group *g = &b->groups[task_group[ti]];
                    if (st->type == VRP_STEP_START && g->kind == G_DELIVER)
                        add_items(b, s, g, true);
                    if (st->type == VRP_STEP_END && g->kind == G_PICKUP_DEPOT)
                        add_items(b, s, g, false);
                }
                if (st->type == VRP_STEP_END) {
                    s->leg_dist_m = vr->steps[k].distance - vr->steps[k - 1].distance;
                    s->leg_dur_s = vr->steps[k].travel - vr->steps[k - 1].travel;
                }
                continue;
            }
            const struct vrp_task *t = &b->p->tasks[st->task];
            const struct group *g = &b->groups[task_group[st->task]];
            s->tw_start_ms = lg__ms_of(b->date_ms, t->tw[0].start);
            s->tw_end_ms = lg__ms_of(b->date_ms, t->tw[0].end);
            logistics__proof_code(s->proof_code);
            if (g->kind == G_DELIVER) {
                s->kind = LOGISTICS_STOP_DELIVERY;
                add_items(b, s, g, false);
            } else if (st->type == VRP_STEP_DELIVERY) {
                s->kind = LOGISTICS_STOP_DROP;
                add_items(b, s, g, false);
            } else {
                s->kind = LOGISTICS_STOP_PICKUP;
                add_items(b, s, g, true);
            }
        }
    }
}

static void build_release(struct build *b)
{
    for (size_t k = 0; k < b->n_groups; k++)
        free(b->groups[k].items);
    free(b->groups);
    free(b->locs);
    free(b->work_loc);
    free(b->work_dest);
    free(b->un);
    vrp_problem_free(b->p);
}

int logistics__plan_make(const struct county_network *net,
                         const struct logistics_travel_cfg *travel,
                         const struct logistics__nodemat *nm, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work, const int *route_vehicle,
                         const int64_t *const *route_nodes, const size_t *route_len,
                         size_t n_routes, const struct logistics_plan_params *prm_in,
                         struct logistics_plan *out, struct err *e)
{
    struct logistics_plan_params prm;
    if (prm_in)
        prm = *prm_in;
    else
        logistics_plan_params_default(&prm);
    if (prm.service_stop_s <= 0)
        prm.service_stop_s = LG_SERVICE_STOP_S;
    if (prm.service_item_s < 0)
        prm.service_item_s = LG_SERVICE_ITEM_S;
    if (n_work > LOGISTICS_MAX_WORK)
        return err_set(e, ERR_TOOBIG, "more than %d pieces of work", LOGISTICS_MAX_WORK);
    if (n_veh > LOGISTICS_MAX_VEHICLES)
        return err_set(e, ERR_TOOBIG, "more than %d vehicles", LOGISTICS_MAX_VEHICLES);
    bool fixed = route_vehicle != NULL;
    struct build b = {.net = net,
                      .travel = travel,
                      .nm = nm,
                      .date_ms = date_ms,
                      .veh = veh,
                      .n_veh = n_veh,
                      .work = work,
                      .n_work = n_work,
                      .prm = &prm,
                      .out = out};
    out->date_ms = date_ms;
    out->depot_node_id = depot_node_id;
    out->county_id = net->county.id;
    int rc = resolve(&b, depot_node_id, fixed, e);
    if (rc) {
        build_release(&b);
        return rc;
    }
    group_work(&b, fixed);
    make_problem(&b);
    int *task_group = xcalloc((size_t)b.p->n_tasks + 1, sizeof *task_group);
    for (size_t k = 0; k < b.n_groups; k++) {
        task_group[b.groups[k].task] = (int)k;
        if (b.groups[k].task2 >= 0)
            task_group[b.groups[k].task2] = (int)k;
    }
    struct vrp_seq *seqs = NULL;
    int **seq_tasks = NULL;
    int n_seqs = 0;
    double t0 = time_mono_s();
    if (!rc && (rc = vrp_problem_validate(b.p, e)))
        err_prefix(e, "internal problem: ");
    if (!rc && !fixed) {
        struct vrp_params vp;
        vrp_params_default(&vp);
        vp.time_limit_s = prm.time_limit_s > 0 ? prm.time_limit_s : 10;
        vp.seed = prm.seed;
        vp.threads = prm.threads > 0 ? prm.threads : 1;
        vp.progress = prm.progress;
        vp.progress_arg = prm.progress_arg;
        struct vrp_solution *sol = NULL;
        if (n_veh > 0 && b.p->n_tasks > 0)
            rc = vrp_solve(b.p, &vp, &sol, e);
        if (!rc && sol) {
            seqs = xcalloc((size_t)sol->n_routes + 1, sizeof *seqs);
            seq_tasks = xcalloc((size_t)sol->n_routes + 1, sizeof *seq_tasks);
            for (int r = 0; r < sol->n_routes; r++) {
                const struct vrp_route *vr = &sol->routes[r];
                int *ts = xcalloc((size_t)vr->n_steps + 1, sizeof *ts);
                int n = 0;
                for (int k = 0; k < vr->n_steps; k++)
                    if (vr->steps[k].task >= 0)
                        ts[n++] = vr->steps[k].task;
                if (!n) {
                    free(ts);
                    continue;
                }
                seq_tasks[n_seqs] = ts;
                seqs[n_seqs++] = (struct vrp_seq){vr->vehicle, ts, n};
            }
        }
        vrp_solution_free(sol);
    } else if (!rc) {
        seqs = xcalloc(n_routes + 1, sizeof *seqs);
        seq_tasks = xcalloc(n_routes + 1, sizeof *seq_tasks);
        bool *taken = xcalloc((size_t)b.p->n_tasks + 1, sizeof *taken);
        bool *veh_used = xcalloc(n_veh + 1, sizeof *veh_used);
        for (size_t r = 0; r < n_routes && !rc; r++) {
            int vi = route_vehicle[r];
            if (vi < 0 || (size_t)vi >= n_veh) {
                rc = err_set(e, ERR_INVAL, "route %zu: no such vehicle", r + 1);
                break;
            }
            if (veh_used[vi]) {
                rc = err_set(e, ERR_INVAL, "route %zu: vehicle %lld already has a route", r + 1,
                             (long long)veh[vi].id);
                break;
            }
            veh_used[vi] = true;
            int *ts = xcalloc((size_t)b.p->n_tasks + 1, sizeof *ts);
            int n = 0;
            for (size_t q = 0; q < route_len[r]; q++)
                for (size_t k = 0; k < b.n_groups; k++) {
                    const struct group *g = &b.groups[k];
                    if (b.locs[g->loc].node_id == route_nodes[r][q] && !taken[g->task] &&
                        !(g->skills & ~logistics__vehicle_skills(veh[vi].temp))) {
                        taken[g->task] = true;
                        ts[n++] = g->task;
                    }
                }
            for (int q = 0, n0 = n; q < n0; q++) /* shipments drop at the end */
                if (b.groups[task_group[ts[q]]].task2 >= 0)
                    ts[n++] = b.groups[task_group[ts[q]]].task2;
            seq_tasks[n_seqs] = ts;
            seqs[n_seqs++] = (struct vrp_seq){vi, ts, n};
        }
        for (size_t k = 0; k < b.n_groups && !rc; k++)
            if (!taken[b.groups[k].task])
                for (int i = 0; i < b.groups[k].n_items; i++)
                    unassign(&b, &work[b.groups[k].items[i]], b.locs[b.groups[k].loc].node_id,
                             "not_on_route",
                             "no fixed route with a suitable vehicle visits its node");
        free(taken);
        free(veh_used);
    }
    out->solve_s = time_mono_s() - t0;
    struct vrp_solution *ev = NULL;
    if (!rc) {
        rc = vrp_solution_from_seqs(b.p, seqs, n_seqs, fixed, &ev, e);
        if (rc)
            err_prefix(e, "the solver's routes do not evaluate: ");
    }
    if (!rc) {
        to_plan(&b, ev, task_group);
        /* Tasks the solver left out: why? */
        bool *in = xcalloc((size_t)b.p->n_tasks + 1, sizeof *in);
        for (int q = 0; q < n_seqs; q++)
            for (int k = 0; k < seqs[q].n; k++)
                in[seqs[q].tasks[k]] = true;
        for (size_t k = 0; k < b.n_groups && !fixed; k++) {
            const struct group *g = &b.groups[k];
            if (in[g->task])
                continue;
            char detail[LOGISTICS_TEXT_BUF];
            const char *why = why_alone(&b, g->loc, g->dest_loc, g->skills, g->g, g->ml,
                                        service_of(&b, g), detail, sizeof detail);
            if (!why) {
                why = "fleet_capacity";
                snprintf(detail, sizeof detail,
                         "a vehicle could do it alone, but the fleet's capacity and shifts "
                         "are used up");
            }
            for (int i = 0; i < g->n_items; i++)
                unassign(&b, &work[g->items[i]], b.locs[g->loc].node_id, why, "%s", detail);
        }
        free(in);
        out->unassigned = arena_alloc(&out->arena, (b.n_un + 1) * sizeof *out->unassigned);
        for (size_t i = 0; i < b.n_un; i++) {
            out->unassigned[i] = b.un[i];
            out->unassigned[i].reason = arena_strdup(&out->arena, b.un[i].reason);
        }
        out->n_unassigned = b.n_un;
        logistics_kpis_compute(out, &out->kpis);
    }
    vrp_solution_free(ev);
    for (int q = 0; q < n_seqs; q++)
        free(seq_tasks[q]);
    free(seq_tasks);
    free(seqs);
    free(task_group);
    build_release(&b);
    return rc;
}

int logistics_plan_build(const struct county_network *net,
                         const struct logistics_travel_cfg *travel, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work,
                         const struct logistics_plan_params *prm, struct logistics_plan *out,
                         struct err *e)
{
    snprintf(out->kind, sizeof out->kind, "dispatch");
    return logistics__plan_make(net, travel, NULL, date_ms, depot_node_id, veh, n_veh, work, n_work,
                                NULL, NULL, NULL, 0, prm, out, e);
}

int logistics_plan_fixed(const struct county_network *net,
                         const struct logistics_travel_cfg *travel, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work, const int *route_vehicle,
                         const int64_t *const *route_nodes, const size_t *route_len,
                         size_t n_routes, const struct logistics_plan_params *prm,
                         struct logistics_plan *out, struct err *e)
{
    snprintf(out->kind, sizeof out->kind, "baseline");
    if (!route_vehicle || (n_routes && (!route_nodes || !route_len)))
        return err_set(e, ERR_INVAL, "fixed routes missing");
    return logistics__plan_make(net, travel, NULL, date_ms, depot_node_id, veh, n_veh, work, n_work,
                                route_vehicle, route_nodes, route_len, n_routes, prm, out, e);
}
