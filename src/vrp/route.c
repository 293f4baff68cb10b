/*
** route.c: the search's routes. Keeps each route's cached forward/backward
** schedule and load profile (see search.h) up to date after a change, and
** evaluates the cheapest feasible insertion of a task or of a shipment pair
** into a route in constant time per position. Routes with room for another
** trip also try inserting a reload next to the task (a slower, full
** evaluation: multi-trip problems are small in practice). Setup times
** follow the stop before (vs_action): an insertion can add or remove the
** next stop's setup, which next_ok accounts for.
*/
#include <string.h>

#include "vrp/search.h"

void vs__route_reserve(struct vs *s, struct vs_route *r, int need)
{
    if (need <= r->cap)
        return;
    int cap = r->cap ? r->cap : 8;
    while (cap < need)
        cap *= 2;
    size_t np = (size_t)cap + 2, d = (size_t)s->dims;
    r->seq = xrealloc(r->seq, (size_t)cap * sizeof *r->seq);
    r->loc = xrealloc(r->loc, np * sizeof *r->loc);
    r->dep = xrealloc(r->dep, np * sizeof *r->dep);
    r->la = xrealloc(r->la, np * sizeof *r->la);
    r->ld = xrealloc(r->ld, np * sizeof *r->ld);
    r->load = xrealloc(r->load, np * d * sizeof *r->load);
    r->pmax = xrealloc(r->pmax, np * d * sizeof *r->pmax);
    r->smax = xrealloc(r->smax, np * d * sizeof *r->smax);
    r->cap = cap;
}

void vs__route_init(struct vs *s, struct vs_route *r, int veh)
{
    memset(r, 0, sizeof *r);
    r->veh = veh;
    vs__route_reserve(s, r, 8);
    vs__route_update(s, r);
}

void vs__route_release(struct vs_route *r)
{
    free(r->seq);
    free(r->loc);
    free(r->dep);
    free(r->la);
    free(r->ld);
    free(r->load);
    free(r->pmax);
    free(r->smax);
    memset(r, 0, sizeof *r);
}

/* Recompute every cache of r from r->seq. Does not touch pos_of. */
void vs__route_eval(struct vs *s, struct vs_route *r)
{
    const struct vs_veh *v = &s->v[r->veh];
    const int n = r->n, D = s->dims, N = s->n_locs;
    bool ok = true;
    r->loc[0] = v->start;
    for (int k = 1; k <= n; k++) {
        int st = r->seq[k - 1];
        r->loc[k] = st == VS_RELOAD ? v->start : s->t[st].loc;
    }
    r->loc[n + 1] = v->end;

    /* Forward: earliest departures, travel, distance, cost. */
    int64_t cost = 0, travel = 0, dist = 0;
    int n_tasks = 0, n_trips = 1;
    r->dep[0] = v->tw_start;
    for (int k = 1; k <= n + 1; k++) {
        int a_loc = r->loc[k - 1], b_loc = r->loc[k];
        int64_t tr = vs_dur(v, N, a_loc, b_loc);
        travel += tr;
        dist += vs_dist(v, N, a_loc, b_loc);
        cost += vs_arc(v, N, a_loc, b_loc);
        int64_t a = r->dep[k - 1] + tr;
        if (k == n + 1) {
            if (a > v->tw_end)
                ok = false;
            r->dep[k] = a;
        } else if (r->seq[k - 1] == VS_RELOAD) {
            r->dep[k] = a + v->reload_time;
            n_trips++;
        } else {
            const struct vs_task *t = &s->t[r->seq[k - 1]];
            int64_t st = vs_tw_start(s, t, a);
            if (st == VS_NEG_INF) {
                ok = false;
                st = a;
            }
            r->dep[k] = st + vs_action(t, r->loc[k - 1]);
            n_tasks++;
        }
    }
    /* Backward: latest departures and arrivals. */
    r->la[n + 1] = r->ld[n + 1] = v->tw_end;
    for (int k = n; k >= 0; k--) {
        if (r->la[k + 1] <= VS_NEG_INF) {
            r->la[k] = r->ld[k] = VS_NEG_INF;
            continue;
        }
        int64_t d = r->la[k + 1] - vs_dur(v, N, r->loc[k], r->loc[k + 1]);
        r->ld[k] = d;
        if (k == 0)
            r->la[k] = d;
        else if (r->seq[k - 1] == VS_RELOAD)
            r->la[k] = d - v->reload_time;
        else {
            const struct vs_task *t = &s->t[r->seq[k - 1]];
            r->la[k] = vs_tw_latest(s, t, d - vs_action(t, r->loc[k - 1]));
        }
    }
    if (r->la[0] < r->dep[0])
        ok = false;

    /* Loads per trip. A trip starts at position 0 or at a reload. */
    int ts = 0;
    while (ts <= n) {
        int te = ts;
        while (te + 1 <= n && r->seq[te] != VS_RELOAD)
            te++;
        /* trip: positions ts..te (ts is the depot or the reload) */
        for (int d = 0; d < D; d++) {
            int64_t l0 = 0;
            for (int k = ts + 1; k <= te; k++) {
                const struct vs_task *t = &s->t[r->seq[k - 1]];
                if (t->kind == VRP_JOB)
                    l0 += t->del[d];
            }
            int64_t l = l0, mx = l0;
            r->load[(size_t)ts * D + d] = l0;
            r->pmax[(size_t)ts * D + d] = l0;
            for (int k = ts + 1; k <= te; k++) {
                const struct vs_task *t = &s->t[r->seq[k - 1]];
                l += t->pick[d] - t->del[d];
                r->load[(size_t)k * D + d] = l;
                if (l > mx)
                    mx = l;
                r->pmax[(size_t)k * D + d] = mx;
            }
            if (mx > v->cap[d])
                ok = false;
            mx = VS_NEG_INF;
            for (int k = te; k >= ts; k--) {
                int64_t lk = r->load[(size_t)k * D + d];
                if (lk > mx)
                    mx = lk;
                r->smax[(size_t)k * D + d] = mx;
            }
        }
        ts = te + 1;
    }
    for (int d = 0; d < D; d++) {
        r->load[(size_t)(n + 1) * D + d] = r->load[(size_t)n * D + d];
        r->pmax[(size_t)(n + 1) * D + d] = VS_NEG_INF;
        r->smax[(size_t)(n + 1) * D + d] = VS_NEG_INF;
    }
    if (travel > v->max_travel || dist > v->max_dist || n_tasks > v->max_tasks ||
        n_trips > v->max_trips)
        ok = false;
    if (n_trips > 1 && v->start == VRP_NONE)
        ok = false;
    r->n_tasks = n_tasks;
    r->n_trips = n_trips;
    r->travel = travel;
    r->dist = dist;
    r->cost = n == 0 ? 0 : cost + v->fixed;
    r->feasible = ok;
}

void vs__route_update(struct vs *s, struct vs_route *r)
{
    vs__route_eval(s, r);
    int veh = (int)(r - s->r);
    for (int k = 1; k <= r->n; k++) {
        int t = r->seq[k - 1];
        if (t == VS_RELOAD)
            continue;
        s->route_of[t] = veh;
        s->pos_of[t] = k;
    }
}

void vs__route_remove_at(struct vs_route *r, int pos)
{
    memmove(&r->seq[pos - 1], &r->seq[pos], (size_t)(r->n - pos) * sizeof *r->seq);
    r->n--;
}

void vs__route_insert(struct vs *s, struct vs_route *r, int pos, int stop)
{
    vs__route_reserve(s, r, r->n + 1);
    memmove(&r->seq[pos], &r->seq[pos - 1], (size_t)(r->n - pos + 1) * sizeof *r->seq);
    r->seq[pos - 1] = stop;
    r->n++;
}

void vs__route_tidy(struct vs *s, struct vs_route *r)
{
    (void)s;
    int w = 0;
    for (int k = 0; k < r->n; k++) {
        int st = r->seq[k];
        if (st == VS_RELOAD && (w == 0 || r->seq[w - 1] == VS_RELOAD))
            continue;
        r->seq[w++] = st;
    }
    while (w > 0 && r->seq[w - 1] == VS_RELOAD)
        w--;
    r->n = w;
}

/* Cost of inserting loc x between positions k and k+1 (arc part). */
static inline int64_t arc_delta(const struct vs *s, const struct vs_veh *v,
                                const struct vs_route *r, int k, int x)
{
    int a = r->loc[k], b = r->loc[k + 1];
    return vs_arc(v, s->n_locs, a, x) + vs_arc(v, s->n_locs, x, b) - vs_arc(v, s->n_locs, a, b);
}

static inline bool in_trip_next(const struct vs_route *r, int k) /* is k+1 a stop of k's trip */
{
    return k + 1 <= r->n && r->seq[k] != VS_RELOAD;
}

/* Whether arriving at `a` at stop k of r, now right after a stop at location
** `prev`, keeps the rest of r feasible. la[k] assumes k's current stop
** before; when the new one adds or removes k's setup, k must instead begin
** in a window and end its time on site by its latest departure. */
static inline bool next_ok(const struct vs *s, const struct vs_route *r, int k, int prev, int64_t a)
{
    if (s->has_setup && k <= r->n && r->seq[k - 1] != VS_RELOAD) {
        const struct vs_task *t = &s->t[r->seq[k - 1]];
        int64_t act = vs_action(t, prev);
        if (act != vs_action(t, r->loc[k - 1])) {
            int64_t st = vs_tw_start(s, t, a);
            return st != VS_NEG_INF && st + act <= r->ld[k];
        }
    }
    return a <= r->la[k];
}

static inline bool blinked(struct vs *s, double blink)
{
    return blink > 0 && vs_rand01(&s->rng) < blink;
}

/* Single task (a job, or a pickup/delivery alone is never inserted). */
static void best_insert_job(struct vs *s, struct vs_route *r, int u, double blink,
                            struct vs_ins *best)
{
    const struct vs_veh *v = &s->v[r->veh];
    const struct vs_task *t = &s->t[u];
    const int N = s->n_locs, D = s->dims, n = r->n;
    const int64_t fixed = r->n_tasks == 0 ? v->fixed : 0;
    if (r->n_tasks + 1 > v->max_tasks)
        return;
    for (int k = 0; k <= n; k++) {
        int64_t delta = arc_delta(s, v, r, k, t->loc) + fixed;
        if (delta >= best->delta)
            continue;
        /* capacity */
        bool ok = true;
        bool nxt = in_trip_next(r, k);
        for (int d = 0; d < D && ok; d++) {
            int64_t sd = t->kind == VRP_JOB ? t->del[d] : 0, c = t->pick[d] - t->del[d];
            if (r->pmax[(size_t)k * D + d] + sd > v->cap[d])
                ok = false;
            else if (r->load[(size_t)k * D + d] + sd + c > v->cap[d])
                ok = false;
            else if (nxt && r->smax[(size_t)(k + 1) * D + d] + sd + c > v->cap[d])
                ok = false;
        }
        if (!ok)
            continue;
        /* time */
        int64_t a = r->dep[k] + vs_dur(v, N, r->loc[k], t->loc);
        int64_t st = vs_tw_start(s, t, a);
        if (st == VS_NEG_INF)
            continue;
        int64_t an = st + vs_action(t, r->loc[k]) + vs_dur(v, N, t->loc, r->loc[k + 1]);
        if (!next_ok(s, r, k + 1, t->loc, an))
            continue;
        /* limits */
        if (v->max_travel < VS_POS_INF) {
            int64_t dt = vs_dur(v, N, r->loc[k], t->loc) + vs_dur(v, N, t->loc, r->loc[k + 1]) -
                         vs_dur(v, N, r->loc[k], r->loc[k + 1]);
            if (r->travel + dt > v->max_travel)
                continue;
        }
        if (v->max_dist < VS_POS_INF) {
            int64_t dd = vs_dist(v, N, r->loc[k], t->loc) + vs_dist(v, N, t->loc, r->loc[k + 1]) -
                         vs_dist(v, N, r->loc[k], r->loc[k + 1]);
            if (r->dist + dd > v->max_dist)
                continue;
        }
        if (blinked(s, blink))
            continue;
        best->delta = delta;
        best->veh = r->veh;
        best->k1 = k;
        best->k2 = -1;
        best->reload = 0;
    }
}

/* Shipment: pickup u after k1, delivery w after k2 (k2 >= k1, same trip). */
static void best_insert_pair(struct vs *s, struct vs_route *r, int u, double blink,
                             struct vs_ins *best)
{
    const struct vs_veh *v = &s->v[r->veh];
    const struct vs_task *tp = &s->t[u], *td = &s->t[tp->pair];
    const int N = s->n_locs, D = s->dims, n = r->n;
    const int64_t fixed = r->n_tasks == 0 ? v->fixed : 0;
    const bool lim_t = v->max_travel < VS_POS_INF, lim_d = v->max_dist < VS_POS_INF;
    if (r->n_tasks + 2 > v->max_tasks)
        return;
    int64_t amt[VRP_MAX_DIMS];
    for (int d = 0; d < D; d++)
        amt[d] = tp->pick[d];
    for (int k1 = 0; k1 <= n; k1++) {
        int64_t runmax[VRP_MAX_DIMS];
        bool ok = true;
        for (int d = 0; d < D; d++) {
            runmax[d] = r->load[(size_t)k1 * D + d];
            if (runmax[d] + amt[d] > v->cap[d])
                ok = false;
        }
        if (!ok)
            continue;
        int64_t a = r->dep[k1] + vs_dur(v, N, r->loc[k1], tp->loc);
        int64_t st = vs_tw_start(s, tp, a);
        if (st == VS_NEG_INF)
            continue;
        int64_t cur = st + vs_action(tp, r->loc[k1]); /* departure from the last stop placed */
        int prev = tp->loc;
        int64_t dp = arc_delta(s, v, r, k1, tp->loc) + fixed;
        int64_t tp_tr = vs_dur(v, N, r->loc[k1], tp->loc) + vs_dur(v, N, tp->loc, r->loc[k1 + 1]) -
                        vs_dur(v, N, r->loc[k1], r->loc[k1 + 1]);
        int64_t tp_di = vs_dist(v, N, r->loc[k1], tp->loc) +
                        vs_dist(v, N, tp->loc, r->loc[k1 + 1]) -
                        vs_dist(v, N, r->loc[k1], r->loc[k1 + 1]);
        for (int k2 = k1; k2 <= n; k2++) {
            if (k2 > k1) {
                /* shift stop k2 (a task of the same trip) */
                if (r->seq[k2 - 1] == VS_RELOAD)
                    break;
                const struct vs_task *tk = &s->t[r->seq[k2 - 1]];
                int64_t ak = cur + vs_dur(v, N, prev, r->loc[k2]);
                if (!next_ok(s, r, k2, prev, ak))
                    break;
                int64_t sk = vs_tw_start(s, tk, ak);
                if (sk == VS_NEG_INF)
                    break;
                cur = sk + vs_action(tk, prev);
                prev = r->loc[k2];
                bool cap_ok = true;
                for (int d = 0; d < D; d++) {
                    int64_t l = r->load[(size_t)k2 * D + d];
                    if (l > runmax[d])
                        runmax[d] = l;
                    if (runmax[d] + amt[d] > v->cap[d])
                        cap_ok = false;
                }
                if (!cap_ok)
                    break;
            }
            int64_t delta, dtr, ddi;
            if (k2 == k1) {
                int a0 = r->loc[k1], b0 = r->loc[k1 + 1];
                delta = vs_arc(v, N, a0, tp->loc) + vs_arc(v, N, tp->loc, td->loc) +
                        vs_arc(v, N, td->loc, b0) - vs_arc(v, N, a0, b0) + fixed;
                dtr = vs_dur(v, N, a0, tp->loc) + vs_dur(v, N, tp->loc, td->loc) +
                      vs_dur(v, N, td->loc, b0) - vs_dur(v, N, a0, b0);
                ddi = vs_dist(v, N, a0, tp->loc) + vs_dist(v, N, tp->loc, td->loc) +
                      vs_dist(v, N, td->loc, b0) - vs_dist(v, N, a0, b0);
            } else {
                delta = dp + arc_delta(s, v, r, k2, td->loc);
                dtr = tp_tr + vs_dur(v, N, r->loc[k2], td->loc) +
                      vs_dur(v, N, td->loc, r->loc[k2 + 1]) -
                      vs_dur(v, N, r->loc[k2], r->loc[k2 + 1]);
                ddi = tp_di + vs_dist(v, N, r->loc[k2], td->loc) +
                      vs_dist(v, N, td->loc, r->loc[k2 + 1]) -
                      vs_dist(v, N, r->loc[k2], r->loc[k2 + 1]);
            }
            s->work += 2; /* a pair step costs about two single positions */
            if (delta >= best->delta)
                continue;
            int64_t ad = cur + vs_dur(v, N, prev, td->loc);
            int64_t sd = vs_tw_start(s, td, ad);
            if (sd == VS_NEG_INF)
                continue;
            int64_t an = sd + vs_action(td, prev) + vs_dur(v, N, td->loc, r->loc[k2 + 1]);
            if (!next_ok(s, r, k2 + 1, td->loc, an))
                continue;
            if (lim_t && r->travel + dtr > v->max_travel)
                continue;
            if (lim_d && r->dist + ddi > v->max_dist)
                continue;
            if (blinked(s, blink))
                continue;
            best->delta = delta;
            best->veh = r->veh;
            best->k1 = k1;
            best->k2 = k2;
            best->reload = 0;
        }
    }
}

/* Job with a reload next to it: full evaluation on the scratch route. */
static void best_insert_reload(struct vs *s, struct vs_route *r, int u, struct vs_ins *best)
{
    const struct vs_veh *v = &s->v[r->veh];
    if (v->start == VRP_NONE || r->n_trips >= v->max_trips || r->n_tasks == 0)
        return;
    struct vs_route *sc = &s->r[s->n_veh]; /* scratch */
    sc->veh = r->veh;
    vs__route_reserve(s, sc, r->n + 2);
    for (int k = 0; k <= r->n; k++) {
        for (int mode = 1; mode <= 2; mode++) {
            int w = 0;
            for (int i = 0; i < k; i++)
                sc->seq[w++] = r->seq[i];
            if (mode == 1)
                sc->seq[w++] = VS_RELOAD;
            sc->seq[w++] = u;
            if (mode == 2)
                sc->seq[w++] = VS_RELOAD;
            for (int i = k; i < r->n; i++)
                sc->seq[w++] = r->seq[i];
            sc->n = w;
            vs__route_tidy(s, sc);
            if (sc->n != w)
                continue; /* an empty trip: the plain insertion covers it */
            vs__route_eval(s, sc);
            if (!sc->feasible)
                continue;
            int64_t delta = sc->cost - r->cost;
            if (delta < best->delta) {
                best->delta = delta;
                best->veh = r->veh;
                best->k1 = k;
                best->k2 = -1;
                best->reload = mode;
            }
        }
    }
}

void vs__best_insert(struct vs *s, struct vs_route *r, int task, double blink, struct vs_ins *best)
{
    s->work += 4;
    if (!s->can[(size_t)task * s->n_veh + r->veh])
        return;
    const struct vs_task *t = &s->t[task];
    s->work += (uint64_t)r->n + 1;
    if (t->kind == VRP_PICKUP) {
        if (!s->can[(size_t)t->pair * s->n_veh + r->veh])
            return;

        best_insert_pair(s, r, task, blink, best);
    } else {
        best_insert_job(s, r, task, blink, best);
        if (s->has_reload)
            best_insert_reload(s, r, task, best);
    }
}

void vs__apply_insert(struct vs *s, const struct vs_ins *ins, int task)
{
    struct vs_route *r = &s->r[ins->veh];
    const struct vs_task *t = &s->t[task];
    if (t->kind == VRP_PICKUP) {
        vs__route_insert(s, r, ins->k2 + 1, t->pair);
        vs__route_insert(s, r, ins->k1 + 1, task);
    } else if (ins->reload == 1) {
        vs__route_insert(s, r, ins->k1 + 1, task);
        vs__route_insert(s, r, ins->k1 + 1, VS_RELOAD);
    } else if (ins->reload == 2) {
        vs__route_insert(s, r, ins->k1 + 1, VS_RELOAD);
        vs__route_insert(s, r, ins->k1 + 1, task);
    } else {
        vs__route_insert(s, r, ins->k1 + 1, task);
    }
    vs__route_update(s, r);
    s->work += (uint64_t)r->n * 2;
    VS_ASSERT(r->feasible);
}

int64_t vs__total_cost(const struct vs *s)
{
    int64_t c = s->unassigned_cost;
    for (int i = 0; i < s->n_veh; i++)
        c += s->r[i].cost;
    return c;
}
