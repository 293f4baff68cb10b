/*
** schedule.c: the trusted evaluator. vrp_solution_from_seqs turns plain
** task sequences into a full solution (schedule, loads, distances, costs)
** from the problem alone and names the first broken constraint. The checker
** (check.c) and the tests rely on it; the search keeps its own incremental
** evaluation and must agree with this file, never the other way round.
**
** Rules, in the order they are checked:
**   - each vehicle at most one route, each task at most once;
**   - a shipment's halves on the same route, pickup first, in one trip;
**   - reloads (VRP_NONE in a sequence) only for vehicles with a start
**     location, at most max_trips - 1 of them, no empty trip;
**   - along the route, earliest arrival: depart the start at tw.start,
**     arrive = departure + travel, begin the task in the first time window
**     whose end is >= arrival (waiting until its start), depart after its
**     setup (only when the previous step, start or reload included, is at
**     another location) and its service, which may run past the window's
**     end; a reload is travel to the start + reload_time; an open start
**     means the route begins at its first task at tw.start (paying its
**     setup), an open end that it ends when the last service does;
**   - skills of each task within the vehicle's;
**   - load at every point within capacity: each trip leaves with the sum of
**     its jobs' deliveries, a job then drops its delivery and adds its
**     pickup, a shipment pickup adds the amount, its delivery removes it;
**   - the route ends (arrival at end) by the vehicle's tw.end;
**   - travel time <= max_travel_time, distance <= max_distance, number of
**     tasks <= max_tasks (0 = no limit).
** Cost: see vrp_arc_cost; plus fixed cost per used vehicle, plus the
** penalty of each optional task left out.
*/
#include "vrp/read.h"

#include <stdlib.h>
#include <string.h>

struct ctx {
    const struct vrp_problem *p;
    bool allow;
    bool bad;
    struct err *e;
};

static int viol(struct ctx *c, const char *fmt, ...) RL_PRINTF(2, 3);
static int viol(struct ctx *c, const char *fmt, ...)
{
    if (!c->bad) {
        va_list ap;
        va_start(ap, fmt);
        err_setv(c->e, ERR_INFEASIBLE, fmt, ap);
        va_end(ap);
        c->bad = true;
    }
    return c->allow ? 0 : ERR_INFEASIBLE;
}

#define TASK_FMT "%s %lld"
#define TASK_ARG(t) vrp__kind_name((t)->kind), (long long)(t)->id

void vrp_solution_free(struct vrp_solution *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_routes; i++)
        free(s->routes[i].steps);
    free(s->routes);
    free(s->unassigned);
    free(s);
}

/* Simulate one route into r (steps allocated here). */
static int run_route(struct ctx *c, const struct vrp_seq *sq, struct vrp_route *r)
{
    const struct vrp_problem *p = c->p;
    const struct vrp_vehicle *v = &p->vehicles[sq->vehicle];
    const struct vrp_matrix *m = &p->matrices[v->profile];
    size_t n = (size_t)p->n_locs;
    long long vid = (long long)v->id;
    int rc;
    int n_tasks = 0, n_reloads = 0;
    for (int i = 0; i < sq->n; i++) {
        if (sq->tasks[i] == VRP_NONE)
            n_reloads++;
        else
            n_tasks++;
    }
    r->vehicle = sq->vehicle;
    r->steps = xcalloc((size_t)(n_tasks + n_reloads + 2), sizeof *r->steps);
    r->n_steps = 0;

    /* Trip structure. */
    int max_trips = v->max_trips > 1 ? v->max_trips : 1;
    if (n_reloads > 0 && v->start == VRP_NONE &&
        (rc = viol(c, "vehicle %lld: reloads need a start location", vid)))
        return rc;
    if (n_reloads > max_trips - 1 &&
        (rc = viol(c, "vehicle %lld: %d trips but max_trips is %d", vid, n_reloads + 1, max_trips)))
        return rc;
    for (int i = 0; i < sq->n; i++) {
        if (sq->tasks[i] != VRP_NONE)
            continue;
        if ((i == 0 || i == sq->n - 1 || sq->tasks[i - 1] == VRP_NONE) &&
            (rc = viol(c, "vehicle %lld: empty trip (reload at position %d)", vid, i)))
            return rc;
    }
    if (v->max_tasks > 0 && n_tasks > v->max_tasks &&
        (rc = viol(c, "vehicle %lld: %d tasks but max_tasks is %d", vid, n_tasks, v->max_tasks)))
        return rc;

    int64_t load[VRP_MAX_DIMS];
    int64_t t = v->tw.start, travel = 0, dist = 0, cost = 0, setup = 0, service = 0, waiting = 0;
    int prev = v->start;
    int first_loc = v->start;
    for (int i = 0; first_loc == VRP_NONE && i < sq->n; i++)
        if (sq->tasks[i] != VRP_NONE)
            first_loc = p->tasks[sq->tasks[i]].loc;
    int nd = p->n_dims;

    /* Load leaving for the trip that begins at sequence position i. */
#define TRIP_LOAD(i0)                                                                              \
    do {                                                                                           \
        memset(load, 0, sizeof load);                                                              \
        for (int k = (i0); k < sq->n && sq->tasks[k] != VRP_NONE; k++) {                           \
            const struct vrp_task *tk = &p->tasks[sq->tasks[k]];                                   \
            if (tk->kind == VRP_JOB)                                                               \
                for (int d = 0; d < nd; d++)                                                       \
                    load[d] += tk->delivery[d];                                                    \
        }                                                                                          \
    } while (0)

    TRIP_LOAD(0);
    struct vrp_step *st = &r->steps[r->n_steps++];
    st->type = VRP_STEP_START;
    st->task = VRP_NONE;
    st->loc = first_loc;
    st->arrival = t;
    memcpy(st->load, load, sizeof load);
    for (int d = 0; d < nd; d++)
        if (load[d] > v->capacity[d] &&
            (rc =
                 viol(c, "vehicle %lld: capacity exceeded at the start (dimension %d: %lld > %lld)",
                      vid, d, (long long)load[d], (long long)v->capacity[d])))
            return rc;

    for (int i = 0; i < sq->n; i++) {
        int ti = sq->tasks[i];
        int loc = ti == VRP_NONE ? v->start : p->tasks[ti].loc;
        if (loc == VRP_NONE)
            loc = prev;           /* reload without a start: reported above */
        bool moved = loc != prev; /* prev is VRP_NONE before an open start's first task */
        int64_t d_dur = 0, d_dist = 0, d_cost = 0;
        if (prev != VRP_NONE) {
            size_t k = (size_t)prev * n + (size_t)loc;
            d_dur = m->dur[k];
            d_dist = m->dist[k];
            d_cost = vrp_arc_cost(p, v, prev, loc);
        }
        travel += d_dur;
        dist += d_dist;
        cost += d_cost;
        int64_t arrival = t + d_dur;
        st = &r->steps[r->n_steps++];
        st->task = ti;
        st->loc = loc;
        st->arrival = arrival;
        if (ti == VRP_NONE) {
            st->type = VRP_STEP_RELOAD;
            st->service = v->reload_time;
            t = arrival + v->reload_time;
            TRIP_LOAD(i + 1);
            for (int d = 0; d < nd; d++)
                if (load[d] > v->capacity[d] &&
                    (rc = viol(c,
                               "vehicle %lld: capacity exceeded leaving reload %d (dimension %d: "
                               "%lld > %lld)",
                               vid, i, d, (long long)load[d], (long long)v->capacity[d])))
                    return rc;
        } else {
            const struct vrp_task *tk = &p->tasks[ti];
            st->type = tk->kind == VRP_JOB      ? VRP_STEP_JOB
                       : tk->kind == VRP_PICKUP ? VRP_STEP_PICKUP
                                                : VRP_STEP_DELIVERY;
            if ((tk->skills & ~v->skills) &&
                (rc = viol(c, TASK_FMT ": needs skills vehicle %lld does not have", TASK_ARG(tk),
                           vid)))
                return rc;
            int64_t begin = arrival;
            if (tk->n_tw > 0) {
                int w = 0;
                while (w < tk->n_tw && tk->tw[w].end < arrival)
                    w++;
                if (w == tk->n_tw) {
                    if ((rc = viol(c,
                                   TASK_FMT ": vehicle %lld arrives at %lld, after its time "
                                            "window ends (%lld)",
                                   TASK_ARG(tk), vid, (long long)arrival,
                                   (long long)tk->tw[tk->n_tw - 1].end)))
                        return rc;
                } else if (tk->tw[w].start > arrival) {
                    begin = tk->tw[w].start;
                }
            }
            st->waiting = begin - arrival;
            st->setup = moved ? tk->setup : 0;
            st->service = tk->service;
            waiting += st->waiting;
            setup += st->setup;
            service += tk->service;
            t = begin + st->setup + tk->service;
            for (int d = 0; d < nd; d++) {
                if (tk->kind == VRP_JOB)
                    load[d] += tk->pickup[d] - tk->delivery[d];
                else if (tk->kind == VRP_PICKUP)
                    load[d] += tk->pickup[d];
                else
                    load[d] -= tk->delivery[d];
                if (load[d] > v->capacity[d] &&
                    (rc =
                         viol(c,
                              "vehicle %lld: capacity exceeded after " TASK_FMT
                              " (dimension %d: %lld > %lld)",
                              vid, TASK_ARG(tk), d, (long long)load[d], (long long)v->capacity[d])))
                    return rc;
            }
        }
        st->travel = travel;
        st->distance = dist;
        memcpy(st->load, load, sizeof load);
        prev = loc;
    }
    int end_loc = v->end != VRP_NONE ? v->end : prev;
    int64_t arrival = t;
    if (v->end != VRP_NONE && prev != VRP_NONE) {
        size_t k = (size_t)prev * n + (size_t)v->end;
        travel += m->dur[k];
        dist += m->dist[k];
        cost += vrp_arc_cost(p, v, prev, v->end);
        arrival = t + m->dur[k];
    }
    st = &r->steps[r->n_steps++];
    st->type = VRP_STEP_END;
    st->task = VRP_NONE;
    st->loc = end_loc;
    st->arrival = arrival;
    st->travel = travel;
    st->distance = dist;
    memcpy(st->load, load, sizeof load);
    if (arrival > v->tw.end &&
        (rc = viol(c, "vehicle %lld: route ends at %lld, after the shift ends (%lld)", vid,
                   (long long)arrival, (long long)v->tw.end)))
        return rc;
    if (v->max_travel_time > 0 && travel > v->max_travel_time &&
        (rc = viol(c, "vehicle %lld: travel time %lld exceeds max_travel_time %lld", vid,
                   (long long)travel, (long long)v->max_travel_time)))
        return rc;
    if (v->max_distance > 0 && dist > v->max_distance &&
        (rc = viol(c, "vehicle %lld: distance %lld exceeds max_distance %lld", vid, (long long)dist,
                   (long long)v->max_distance)))
        return rc;
    r->cost = cost + v->fixed_cost;
    r->distance = dist;
    r->travel = travel;
    r->duration = arrival - v->tw.start;
    r->setup = setup;
    r->service = service;
    r->waiting = waiting;
    return 0;
#undef TRIP_LOAD
}

int vrp_solution_from_seqs(const struct vrp_problem *p, const struct vrp_seq *seqs, int n_routes,
                           bool allow_infeasible, struct vrp_solution **out, struct err *e)
{
    if (allow_infeasible && e)
        err_clear(e);
    if (!p || n_routes < 0 || (n_routes > 0 && !seqs))
        return err_set(e, ERR_INVAL, "bad arguments");
    struct ctx c = {p, allow_infeasible, false, e};
    int nt = p->n_tasks;
    int *route_of = xmalloc(sizeof(int) * (size_t)(nt + 1));
    int *pos_of = xmalloc(sizeof(int) * (size_t)(nt + 1));
    int *trip_of = xmalloc(sizeof(int) * (size_t)(nt + 1));
    int *veh_route = xmalloc(sizeof(int) * (size_t)(p->n_vehicles + 1));
    for (int i = 0; i < nt; i++)
        route_of[i] = -1;
    for (int i = 0; i < p->n_vehicles; i++)
        veh_route[i] = -1;
    struct vrp_solution *s = NULL;
    int rc = 0;
    for (int r = 0; r < n_routes && !rc; r++) {
        const struct vrp_seq *sq = &seqs[r];
        if (sq->vehicle < 0 || sq->vehicle >= p->n_vehicles) {
            rc = err_set(e, ERR_INVAL, "route %d: vehicle index %d out of range", r, sq->vehicle);
            break;
        }
        if (sq->n < 0 || (sq->n > 0 && !sq->tasks)) {
            rc = err_set(e, ERR_INVAL, "route %d: bad task array", r);
            break;
        }
        if (veh_route[sq->vehicle] >= 0) {
            c.allow = false; /* cannot be scheduled meaningfully */
            rc = viol(&c, "vehicle %lld has two routes", (long long)p->vehicles[sq->vehicle].id);
            break;
        }
        veh_route[sq->vehicle] = r;
        int trip = 0;
        for (int i = 0; i < sq->n; i++) {
            int ti = sq->tasks[i];
            if (ti == VRP_NONE) {
                trip++;
                continue;
            }
            if (ti < 0 || ti >= nt) {
                rc = err_set(e, ERR_INVAL, "route %d: task index %d out of range", r, ti);
                break;
            }
            if (route_of[ti] >= 0) {
                c.allow = false;
                rc = viol(&c, TASK_FMT " is visited twice", TASK_ARG(&p->tasks[ti]));
                break;
            }
            route_of[ti] = r;
            pos_of[ti] = i;
            trip_of[ti] = trip;
        }
    }
    c.allow = allow_infeasible;
    /* Shipments: both halves or neither, same route, pickup first, one trip. */
    for (int i = 0; i < nt && !rc; i++) {
        const struct vrp_task *tk = &p->tasks[i];
        if (tk->kind == VRP_JOB)
            continue;
        int j = tk->pair;
        int ip = tk->kind == VRP_PICKUP ? i : j, id = tk->kind == VRP_PICKUP ? j : i;
        if (i != ip && route_of[ip] >= 0)
            continue; /* checked from the pickup */
        if (route_of[i] < 0 && route_of[j] < 0)
            continue;
        const struct vrp_task *pk = &p->tasks[ip];
        if (route_of[ip] != route_of[id])
            rc = viol(&c, "shipment (pickup %lld, delivery %lld) is split: %s", (long long)pk->id,
                      (long long)p->tasks[id].id,
                      route_of[ip] < 0 || route_of[id] < 0 ? "one half is unassigned"
                                                           : "halves on different vehicles");
        else if (pos_of[id] < pos_of[ip])
            rc = viol(&c, "shipment (pickup %lld, delivery %lld): delivery before pickup",
                      (long long)pk->id, (long long)p->tasks[id].id);
        else if (trip_of[id] != trip_of[ip])
            rc = viol(&c, "shipment (pickup %lld, delivery %lld) spans a reload", (long long)pk->id,
                      (long long)p->tasks[id].id);
    }
    if (rc)
        goto out;
    s = xcalloc(1, sizeof *s);
    s->routes = xcalloc((size_t)(n_routes > 0 ? n_routes : 1), sizeof *s->routes);
    for (int r = 0; r < n_routes; r++) {
        const struct vrp_seq *sq = &seqs[r];
        bool any = false;
        for (int i = 0; i < sq->n && !any; i++)
            any = sq->tasks[i] != VRP_NONE;
        if (!any)
            continue; /* an unused vehicle */
        struct vrp_route *rt = &s->routes[s->n_routes++];
        rc = run_route(&c, sq, rt);
        if (rc)
            goto out;
        s->cost += rt->cost;
        s->distance += rt->distance;
        s->duration += rt->duration;
        s->travel += rt->travel;
        s->setup += rt->setup;
        s->service += rt->service;
        s->waiting += rt->waiting;
    }
    s->unassigned = xmalloc(sizeof(int) * (size_t)(nt + 1));
    for (int i = 0; i < nt; i++) {
        if (route_of[i] >= 0)
            continue;
        s->unassigned[s->n_unassigned++] = i;
        if (p->tasks[i].optional)
            s->cost += p->tasks[i].penalty;
    }
out:
    free(route_of);
    free(pos_of);
    free(trip_of);
    free(veh_route);
    if (rc) {
        vrp_solution_free(s);
        return rc;
    }
    *out = s;
    return 0;
}
