/*
** sisr.c: the search loop. Ruin and recreate after Christiaens & Vanden
** Berghe (2020), "Slack induction by string removals": remove a few strings
** of consecutive stops from routes near a random seed task, reinsert the
** removed tasks one by one at their cheapest feasible position (with
** "blinks": each position is skipped with a small probability), and accept
** the result under simulated annealing with a temperature falling
** geometrically over the time budget (hotter with time windows; there,
** with long routes, recreate also favours opening an empty vehicle a
** little, see SISR_EMPTY_TW). Shipments are removed and reinserted
** as pairs. Changed routes are saved before each change so a rejected
** attempt is undone in time proportional to what it touched. Every
** solution the loop holds is feasible; tasks that fit nowhere stay out
** (and cost their penalty). The best solution is kept as plain sequences.
*/
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "vrp/search.h"

#define SISR_CBAR 10.0 /* average number of removed tasks */
#define SISR_LMAX 10.0 /* longest removed string */
#define SISR_BLINK 0.01
#define SISR_T0 0.25 /* start / final temperature x dist_ref */
#define SISR_TF 0.0025
#define SISR_T0_TW 2.0 /* the same with time windows */
#define SISR_TF_TW 0.005
#define SISR_ROUTE_REMOVAL 0.05 /* probability of emptying a whole route */
/* With time windows and long routes, recreate sees an empty vehicle's
** insertion cost x 0.8: otherwise the cheapest insertion nearly always
** goes into a route that has room, the route count only ratchets down and
** the search stalls with too few routes (Solomon R2/RC2). */
#define SISR_LONG_ROUTE 11.0
#define SISR_EMPTY_TW 0.8
/* Construction: insertions between looks at the clock (a look costs far
** less than one insertion), which also asks the stop request when due. */
#define SISR_CHECK_EVERY 8
#define VS_WORK_PER_S 7e7 /* measured here with one free core */
#define VS_DROP (-2)

struct sisr {
    struct vs *s;
    struct vs_search *S;
    int *removed, n_removed;
    int64_t *key;    /* sort keys for the removed list */
    unsigned *mark;  /* per task: stamp when removed this round */
    unsigned *rmark; /* per vehicle: stamp when ruined / scanned */
    unsigned stamp, rstamp;
    /* undo */
    int *touched, n_touched;
    unsigned *tmark;
    int *undo_seq, *undo_off, *undo_len;
    size_t undo_cap, undo_used;
    int64_t *undo_cost;
    int64_t saved_unassigned;
    int saved_out;
    int64_t delta;  /* cost change of this attempt */
    bool bad;       /* the ruin left an infeasible route: undo */
    int banned;     /* vehicle not to use in this attempt, or -1 */
    double empty_f; /* weight of an empty vehicle's insertion cost in recreate */
    double avg_len; /* tasks per used route, as the last ruin saw it */
    bool cheap;     /* construction out of time: no scan of every route first */
    /* empty-vehicle lookup */
    int n_cls;
    int *cls_first; /* per class: vehicles in cls_list from cls_first[c] */
    int *cls_list;
    int *dep_dist_rank;  /* unused placeholder for ordering */
    int64_t *depot_dist; /* per task */
};

static void touch(struct sisr *x, int veh)
{
    if (x->tmark[veh] == x->stamp)
        return;
    x->tmark[veh] = x->stamp;
    struct vs_route *r = &x->s->r[veh];
    if (x->undo_used + (size_t)r->n > x->undo_cap) {
        size_t cap = x->undo_cap * 2 + (size_t)r->n;
        x->undo_seq = xrealloc(x->undo_seq, cap * sizeof *x->undo_seq);
        x->undo_cap = cap;
    }
    int i = x->n_touched++;
    x->touched[i] = veh;
    x->undo_off[i] = (int)x->undo_used;
    x->undo_len[i] = r->n;
    x->undo_cost[i] = r->cost;
    memcpy(&x->undo_seq[x->undo_used], r->seq, (size_t)r->n * sizeof *r->seq);
    x->undo_used += (size_t)r->n;
}

static void begin_attempt(struct sisr *x)
{
    x->stamp++;
    x->n_touched = 0;
    x->undo_used = 0;
    x->n_removed = 0;
    x->saved_unassigned = x->s->unassigned_cost;
    x->saved_out = x->s->n_out;
    x->bad = false;
    x->banned = -1;
}

static void undo(struct sisr *x)
{
    struct vs *s = x->s;
    for (int i = 0; i < x->n_touched; i++) {
        struct vs_route *r = &s->r[x->touched[i]];
        for (int k = 0; k < r->n; k++)
            if (r->seq[k] != VS_RELOAD)
                s->route_of[r->seq[k]] = -1;
    }
    for (int i = 0; i < x->n_touched; i++) {
        struct vs_route *r = &s->r[x->touched[i]];
        vs__route_reserve(s, r, x->undo_len[i]);
        memcpy(r->seq, &x->undo_seq[x->undo_off[i]], (size_t)x->undo_len[i] * sizeof *r->seq);
        r->n = x->undo_len[i];
        vs__route_update(s, r);
    }
    s->unassigned_cost = x->saved_unassigned;
    s->n_out = x->saved_out;
}

static int64_t attempt_delta(struct sisr *x)
{
    int64_t d = x->s->unassigned_cost - x->saved_unassigned;
    for (int i = 0; i < x->n_touched; i++)
        d += x->s->r[x->touched[i]].cost - x->undo_cost[i];
    return d;
}

/* Take task (and its pair) out of its route's sequence marks; the route is
** compacted by the caller. */
static void mark_removed(struct sisr *x, int task)
{
    struct vs *s = x->s;
    if (x->mark[task] == x->stamp)
        return;
    x->mark[task] = x->stamp;
    const struct vs_task *t = &s->t[task];
    int unit = task;
    if (t->pair >= 0) {
        x->mark[t->pair] = x->stamp;
        if (t->kind == VRP_DELIVERY)
            unit = t->pair;
    }
    x->removed[x->n_removed++] = unit;
    s->unassigned_cost += s->t[unit].miss_cost;
    s->n_out++;
}

static void compact_route(struct sisr *x, struct vs_route *r)
{
    struct vs *s = x->s;
    int w = 0;
    for (int k = 0; k < r->n; k++) {
        int st = r->seq[k];
        if (st == VS_DROP)
            continue;
        if (st != VS_RELOAD && x->mark[st] == x->stamp) {
            s->route_of[st] = -1;
            continue;
        }
        r->seq[w++] = st;
    }
    r->n = w;
    vs__route_tidy(s, r);
    vs__route_update(s, r);
}

static void ruin(struct sisr *x)
{
    struct vs *s = x->s;
    int routed = s->n_tasks, used = 0;
    for (int i = 0; i < s->n_veh; i++)
        used += s->r[i].n_tasks > 0;
    routed = 0;
    for (int i = 0; i < s->n_veh; i++)
        routed += s->r[i].n_tasks;
    if (routed == 0 || used == 0)
        return;
    double avg = (double)routed / used;
    x->avg_len = avg;
    double ls_max = avg < SISR_LMAX ? avg : SISR_LMAX;
    double ks_max = 4.0 * SISR_CBAR / (1.0 + ls_max) - 1.0;
    int ks = (int)floor(1.0 + vs_rand01(&s->rng) * ks_max);
    if (ks < 1)
        ks = 1;
    if (s->n_tasks <= 12 && vs_rand01(&s->rng) < 0.2) {
        /* Tiny problems: strings are too short to change much; remove a
        ** random half instead now and then. */
        for (int v = 0; v < s->n_veh; v++) {
            struct vs_route *r = &s->r[v];
            if (r->n == 0)
                continue;
            touch(x, v);
            for (int k = 0; k < r->n; k++)
                if (r->seq[k] != VS_RELOAD && vs_rand01(&s->rng) < 0.5)
                    mark_removed(x, r->seq[k]);
            compact_route(x, r);
            if (!r->feasible)
                x->bad = true;
        }
        return;
    }
    if (vs_rand01(&s->rng) < SISR_ROUTE_REMOVAL) {
        /* Empty one route and keep its vehicle out of this attempt: the
        ** greedy recreate alone never gives up a vehicle for a dearer one
        ** or merges routes. */
        int veh = vs_randint(&s->rng, s->n_veh);
        for (int i = 0; i < s->n_veh && s->r[veh].n_tasks == 0; i++)
            veh = (veh + 1) % s->n_veh;
        struct vs_route *r = &s->r[veh];
        touch(x, veh);
        routed -= r->n_tasks;
        for (int k = 0; k < r->n; k++)
            if (r->seq[k] != VS_RELOAD)
                mark_removed(x, r->seq[k]);
        compact_route(x, r);
        x->banned = veh;
    }
    if (routed <= 0)
        return;
    int seed;
    do
        seed = vs_randint(&s->rng, s->n_tasks);
    while (s->route_of[seed] < 0);
    x->rstamp++;
    int ruined = 0;
    for (int i = -1; i < s->k_neigh && ruined < ks; i++) {
        int c = i < 0 ? seed : s->neigh[(size_t)seed * s->k_neigh + i];
        int veh = s->route_of[c];
        if (veh < 0 || x->rmark[veh] == x->rstamp || x->mark[c] == x->stamp)
            continue;
        x->rmark[veh] = x->rstamp;
        ruined++;
        struct vs_route *r = &s->r[veh];
        touch(x, veh);
        int card = r->n;
        double lt_max = card < ls_max ? card : ls_max;
        int lt = (int)floor(1.0 + vs_rand01(&s->rng) * lt_max);
        if (lt > card)
            lt = card;
        int pos = s->pos_of[c];
        int m = 0;
        if (lt < card && vs_rand01(&s->rng) < 0.5) {
            m = 1;
            while (lt + m < card && vs_rand01(&s->rng) < 0.5)
                m++;
        }
        int len = lt + m;
        int lo = pos - vs_randint(&s->rng, len);
        if (lo < 1)
            lo = 1;
        if (lo + len - 1 > r->n)
            lo = r->n - len + 1;
        int keep_lo = m ? lo + vs_randint(&s->rng, lt + 1) : -1; /* preserved m stops */
        for (int k = lo; k < lo + len; k++) {
            if (m && k >= keep_lo && k < keep_lo + m)
                continue;
            int st = r->seq[k - 1];
            if (st != VS_RELOAD)
                mark_removed(x, st);
            else
                r->seq[k - 1] = VS_DROP; /* reloads go too; recreate adds them back where needed */
        }
        compact_route(x, r);
        if (!r->feasible) {
            /* Dropping a reload merged trips beyond capacity (or the
            ** matrix breaks the triangle inequality): keep the reloads. */
            int last = x->n_touched - 1;
            memcpy(r->seq, &x->undo_seq[x->undo_off[last]],
                   (size_t)x->undo_len[last] * sizeof *r->seq);
            r->n = x->undo_len[last];
            compact_route(x, r);
            if (!r->feasible)
                x->bad = true;
        }
    }
}

static int cmp_key_desc(const void *a, const void *b, void *arg)
{
    const int64_t *key = arg;
    int64_t ka = key[*(const int *)a], kb = key[*(const int *)b];
    return ka < kb ? 1 : ka > kb ? -1 : (*(const int *)a - *(const int *)b);
}

static void order_removed(struct sisr *x)
{
    struct vs *s = x->s;
    int n = x->n_removed;
    /* random shuffle first (ties and the "random" order) */
    for (int i = n - 1; i > 0; i--) {
        int j = vs_randint(&s->rng, i + 1);
        int tmp = x->removed[i];
        x->removed[i] = x->removed[j];
        x->removed[j] = tmp;
    }
    int w = vs_randint(&s->rng, 11);
    if (w < 4)
        return;
    for (int i = 0; i < n; i++) {
        int u = x->removed[i];
        x->key[u] = w < 8 ? s->t[u].size : w < 10 ? x->depot_dist[u] : -x->depot_dist[u];
    }
    qsort_r(x->removed, (size_t)n, sizeof *x->removed, cmp_key_desc, x->key);
}

static void insert_all_routes(struct sisr *x, int u, double blink, struct vs_ins *best)
{
    struct vs *s = x->s;
    for (int veh = 0; veh < s->n_veh; veh++) {
        if (s->r[veh].n == 0 || x->rmark[veh] == x->rstamp || veh == x->banned)
            continue;
        x->rmark[veh] = x->rstamp;
        vs__best_insert(s, &s->r[veh], u, blink, best);
    }
}

/* Cheapest insertion of unit u: into the routes of its nearest neighbours,
** every used route when none of those has room (or always on small
** problems), or one empty vehicle of each class. In cheap mode (a
** construction out of time) the empty vehicles come before the scan of
** every route, which then only runs when neither a neighbour's route nor
** an empty vehicle can take u (below its penalty, for an optional task): a
** task is left out only where the full scan would leave it out too. */
static void insert_unit(struct sisr *x, int u, double blink)
{
    struct vs *s = x->s;
    struct vs_ins best = {.delta = VS_POS_INF, .veh = -1};
    x->rstamp++;
    bool full = s->n_tasks <= 120;
    if (!full) {
        for (int i = 0; i < s->k_neigh; i++) {
            int c = s->neigh[(size_t)u * s->k_neigh + i];
            int veh = s->route_of[c];
            if (veh < 0 || x->rmark[veh] == x->rstamp || veh == x->banned)
                continue;
            x->rmark[veh] = x->rstamp;
            vs__best_insert(s, &s->r[veh], u, blink, &best);
        }
    }
    if (full || (best.veh < 0 && !x->cheap))
        insert_all_routes(x, u, blink, &best);
    for (int c = 0; c < x->n_cls; c++) {
        for (int i = x->cls_first[c]; i < x->cls_first[c + 1]; i++) {
            int veh = x->cls_list[i];
            if (s->r[veh].n == 0 && veh != x->banned) {
                if (x->empty_f < 1) {
                    struct vs_ins e = {.delta = VS_POS_INF, .veh = -1};
                    vs__best_insert(s, &s->r[veh], u, 0, &e);
                    if (e.veh >= 0 && (double)e.delta * x->empty_f < (double)best.delta)
                        best = e;
                } else {
                    vs__best_insert(s, &s->r[veh], u, 0, &best);
                }
                break;
            }
        }
    }
    if (x->cheap && (best.veh < 0 || best.delta >= s->t[u].miss_cost))
        insert_all_routes(x, u, blink, &best);
    if (best.veh < 0 || best.delta >= s->t[u].miss_cost)
        return;
    touch(x, best.veh);
    vs__apply_insert(s, &best, u);
    s->unassigned_cost -= s->t[u].miss_cost;
    s->n_out--;
}

static void recreate(struct sisr *x, double blink)
{
    struct vs *s = x->s;
    /* Tasks left out before this attempt get another chance too. */
    if (x->saved_out > 0 && x->n_removed < s->n_out)
        for (int i = 0; i < s->n_tasks; i++)
            if (s->route_of[i] < 0 && s->t[i].kind != VRP_DELIVERY && x->mark[i] != x->stamp) {
                x->mark[i] = x->stamp;
                x->removed[x->n_removed++] = i;
            }
    order_removed(x);
    for (int i = 0; i < x->n_removed; i++)
        insert_unit(x, x->removed[i], blink);
}

void vs__snapshot(struct vs *s, int *seq, int *len)
{
    int w = 0;
    for (int v = 0; v < s->n_veh; v++) {
        len[v] = s->r[v].n;
        memcpy(&seq[w], s->r[v].seq, (size_t)s->r[v].n * sizeof *seq);
        w += s->r[v].n;
    }
}

void vs__restore(struct vs *s, const int *seq, const int *len)
{
    for (int i = 0; i < s->n_tasks; i++)
        s->route_of[i] = -1;
    int w = 0;
    for (int v = 0; v < s->n_veh; v++) {
        struct vs_route *r = &s->r[v];
        vs__route_reserve(s, r, len[v]);
        memcpy(r->seq, &seq[w], (size_t)len[v] * sizeof *seq);
        r->n = len[v];
        w += len[v];
        vs__route_update(s, r);
    }
    s->unassigned_cost = 0;
    s->n_out = 0;
    for (int i = 0; i < s->n_tasks; i++) {
        if (s->route_of[i] >= 0 || s->t[i].kind == VRP_DELIVERY)
            continue;
        s->unassigned_cost += s->t[i].miss_cost;
        s->n_out++;
    }
}

/* The cost vrp_solution reports: mandatory tasks left out weigh nothing. */
static int64_t reported_cost(const struct vs *s, int64_t cost)
{
    for (int i = 0; i < s->n_tasks; i++) {
        const struct vrp_task *pt = &s->p->tasks[i];
        if (s->route_of[i] < 0 && !pt->optional)
            cost -= VS_MISS_BIG * (1 + pt->priority);
    }
    return cost;
}

static void keep_best(struct vs *s, struct vs_search *S, int64_t cost)
{
    S->best_cost = cost;
    S->best_reported = reported_cost(s, cost);
    S->best_out = s->n_out;
    vs__snapshot(s, S->best_seq, S->best_len);
}

static bool should_stop(struct vs_search *S, int64_t best_cost, int n_out)
{
    if (S->stopped)
        return true;
    double now = vs_now();
    if (vs_over_budget(S, now))
        return true;
    return vs_ask_due(S, now) && vs__ask(S, now, best_cost, n_out);
}

/* Construction: every task out, then inserted one by one in recreate's
** order (no blinks). Insertion is about O(n^2) with the scans of every
** route (4,000 tasks: seconds), so it looks at the clock every
** SISR_CHECK_EVERY insertions and asks the stop request when due;
** past the deadline or once asked to stop, the remaining tasks go in cheap
** mode (insert_unit), which still places every task the full scan would. */
static void construct(struct sisr *x)
{
    struct vs *s = x->s;
    struct vs_search *S = x->S;
    begin_attempt(x);
    for (int i = 0; i < s->n_tasks; i++)
        if (s->route_of[i] < 0 && s->t[i].kind != VRP_DELIVERY)
            x->removed[x->n_removed++] = i;
    order_removed(x);
    x->cheap = S->stopped;
    for (int i = 0; i < x->n_removed; i++) {
        if (!x->cheap && i > 0 && i % SISR_CHECK_EVERY == 0) {
            double now = vs_now();
            if (now >= S->t_end) {
                x->cheap = true;
            } else if (vs_ask_due(S, now)) {
                /* the partial plan: its routes and optional penalties */
                int64_t c = reported_cost(s, vs__total_cost(s));
                if (vs__ask(S, now, c, s->n_out))
                    x->cheap = true;
            }
        }
        insert_unit(x, x->removed[i], 0);
    }
    x->cheap = false;
}

void vs__search_run(struct vs *s, struct vs_search *S)
{
    struct sisr x = {.s = s, .S = S, .empty_f = 1.0};
    int nt = s->n_tasks, nv = s->n_veh;
    x.removed = xmalloc(((size_t)nt + 1) * sizeof *x.removed);
    x.key = xcalloc((size_t)nt + 1, sizeof *x.key);
    x.mark = xcalloc((size_t)nt + 1, sizeof *x.mark);
    x.rmark = xcalloc((size_t)nv + 1, sizeof *x.rmark);
    x.tmark = xcalloc((size_t)nv + 1, sizeof *x.tmark);
    x.touched = xmalloc(((size_t)nv + 1) * sizeof *x.touched);
    x.undo_off = xmalloc(((size_t)nv + 1) * sizeof *x.undo_off);
    x.undo_len = xmalloc(((size_t)nv + 1) * sizeof *x.undo_len);
    x.undo_cost = xmalloc(((size_t)nv + 1) * sizeof *x.undo_cost);
    x.undo_cap = (size_t)nt + 16;
    x.undo_seq = xmalloc(x.undo_cap * sizeof *x.undo_seq);
    x.depot_dist = xcalloc((size_t)nt + 1, sizeof *x.depot_dist);
    for (int i = 0; i < nt; i++) {
        const struct vs_veh *v = &s->v[0];
        int dl = v->start >= 0 ? v->start : v->end;
        x.depot_dist[i] = dl >= 0 ? vs_dist(v, s->n_locs, dl, s->t[i].loc) : 0;
    }
    /* vehicle classes, in vehicle order */
    x.n_cls = 0;
    for (int v = 0; v < nv; v++)
        if (s->v[v].cls + 1 > x.n_cls)
            x.n_cls = s->v[v].cls + 1;
    x.cls_first = xcalloc((size_t)x.n_cls + 1, sizeof *x.cls_first);
    x.cls_list = xmalloc(((size_t)nv + 1) * sizeof *x.cls_list);
    for (int v = 0; v < nv; v++)
        x.cls_first[s->v[v].cls + 1]++;
    for (int c = 0; c < x.n_cls; c++)
        x.cls_first[c + 1] += x.cls_first[c];
    {
        int *fill = xcalloc((size_t)x.n_cls + 1, sizeof *fill);
        for (int v = 0; v < nv; v++) {
            int c = s->v[v].cls;
            x.cls_list[x.cls_first[c] + fill[c]++] = v;
        }
        free(fill);
    }

    construct(&x);
    int64_t cur = vs__total_cost(s);
    keep_best(s, S, cur);

    /* Temperatures relative to the mean depot distance. Time windows leave
    ** far fewer feasible insertions, so a VRPTW search freezes in a basin
    ** (often one with too few routes) unless it runs hotter: on Solomon at
    ** 1 s, 0.25 -> 2.0 and 0.0025 -> 0.005 took the average gap of 12 hard
    ** instances x 4 seeds from 2.3 % to 1.3 %. */
    double t0 = s->dist_ref * (s->has_tw ? SISR_T0_TW : SISR_T0),
           tf = s->dist_ref * (s->has_tw ? SISR_TF_TW : SISR_TF);
    if (t0 < 1)
        t0 = 1;
    if (tf < 0.01)
        tf = 0.01;
    double span = S->t_end - S->t_begin;
    while (!should_stop(S, S->best_reported, S->best_out)) {
        S->iterations++;
        /* The temperature follows the work done, not the clock, so that a
        ** seed gives the same search whatever the machine's load; the work
        ** rate is calibrated on this machine (about VS_WORK_PER_S units a
        ** second), which only shapes the cooling: the clock still decides
        ** when to stop and the best solution is kept. */
        double frac = span > 0 ? (double)s->work / (VS_WORK_PER_S * span) : 1.0;
        if (frac > 1)
            frac = 1;
        double temp = t0 * pow(tf / t0, frac);
        begin_attempt(&x);
        ruin(&x);
        if (x.bad) {
            undo(&x);
            continue;
        }
        x.empty_f = s->has_tw && x.avg_len >= SISR_LONG_ROUTE ? SISR_EMPTY_TW : 1.0;
        recreate(&x, SISR_BLINK);
        x.empty_f = 1.0;
        int64_t d = attempt_delta(&x);
        double thr = -temp * log(vs_rand01(&s->rng) + 1e-300);
        if ((double)d < thr) {
            cur += d;
            if (cur < S->best_cost)
                keep_best(s, S, cur);
        } else {
            undo(&x);
        }
        VS_ASSERT(cur == vs__total_cost(s));
    }
    if (S->prm->progress)
        S->prm->progress(S->prm->progress_arg, S->best_reported, S->best_out,
                         vs_now() - S->t_begin);

    free(x.removed);
    free(x.key);
    free(x.mark);
    free(x.rmark);
    free(x.tmark);
    free(x.touched);
    free(x.undo_off);
    free(x.undo_len);
    free(x.undo_cost);
    free(x.undo_seq);
    free(x.depot_dist);
    free(x.cls_first);
    free(x.cls_list);
}
