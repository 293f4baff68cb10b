/*
** search.h: private to the vrp module. The search's flattened view of a
** problem (struct vs), its route representation with cached schedule and
** load data (struct vs_route), and the functions shared by solve.c,
** route.c, sisr.c and hgs.c.
**
** Model as the search sees it. A route is a sequence of stops between the
** vehicle's start (position 0) and end (position n + 1); a stop is a task
** index or VS_RELOAD (back at the start location to unload and reload).
** Caches per position k: the location, the earliest departure time after
** service, the latest arrival that keeps the rest of the route feasible
** (Savelsbergh's forward/backward times generalised to several windows per
** task), the latest departure from k, and the load on board when leaving k
** together with its maximum over the trip so far (prefix) and over the rest
** of the trip (suffix). With those, inserting a task or a shipment pair is
** checked in constant time per position (capacity, windows, shift, skills,
** limits).
**
** Setup. A task's time on site is its service plus, when the stop before
** it is at another location, its setup (vs_action). An insertion changes
** the stop before the next one, so the next stop's setup may appear or
** vanish; its latest arrival then no longer applies, and the check uses
** its latest departure instead (vs__next_ok).
**
** Two searches use this: sisr.c (ruin and recreate, every problem) and
** hgs.c (hybrid genetic search with its own flat data, plain CVRP only);
** solve.c picks one and hands the result to the trusted evaluator.
*/
#ifndef RL_VRP_SEARCH_H
#define RL_VRP_SEARCH_H

#include <stdint.h>
#include <stdlib.h>

#include "vrp/vrp.h"

#define VS_RELOAD (-1)
#define VS_NEG_INF (INT64_MIN / 4)
#define VS_POS_INF (INT64_MAX / 4)
#define VS_MISS_BIG 1000000000000LL /* objective weight of a mandatory task left out */

#ifdef VRP_DEBUG
#include <assert.h>
#define VS_ASSERT(x) assert(x)
#else
#define VS_ASSERT(x) ((void)0)
#endif

struct vs_task {
    int loc;
    int kind;
    int pair;
    int tw0, ntw; /* windows in vs.tw_start/tw_end [tw0, tw0 + ntw) */
    int64_t service;
    int64_t setup; /* paid when the stop before is elsewhere (vs_action) */
    int64_t del[VRP_MAX_DIMS];
    int64_t pick[VRP_MAX_DIMS];
    int64_t miss_cost; /* objective cost of leaving it (and its pair) out */
    int64_t size;      /* sum of amounts, for the "largest first" order */
    uint64_t skills;
};

struct vs_veh {
    int start, end;                   /* locations or VRP_NONE */
    int cls;                          /* vehicles with identical data share a class */
    const int64_t *dur, *dist, *cost; /* profile matrices (cost may be NULL) */
    const int64_t *arcm; /* the arc-cost matrix when it is a plain one (cost or dist), else NULL */
    int64_t per_km, per_hour;
    int64_t cap[VRP_MAX_DIMS];
    int64_t tw_start, tw_end;
    int64_t fixed;
    int64_t max_travel, max_dist; /* VS_POS_INF when none */
    int max_tasks;                /* INT32_MAX when none */
    int max_trips;
    int64_t reload_time;
    uint64_t skills;
};

struct vs_route {
    int veh;
    int n;   /* stops, reloads included */
    int cap; /* allocated stops */
    int n_tasks, n_trips;
    int *seq;             /* [cap] */
    int *loc;             /* [cap + 2] */
    int64_t *dep;         /* earliest departure after service, [cap + 2] */
    int64_t *la;          /* latest feasible arrival, [cap + 2] */
    int64_t *ld;          /* latest feasible departure, [cap + 2] */
    int64_t *load;        /* [(cap + 2) * dims] load when leaving */
    int64_t *pmax, *smax; /* prefix / suffix max of load within the trip */
    int64_t cost, travel, dist;
    bool feasible;
};

struct vs_rng {
    uint64_t s;
};

struct vs {
    const struct vrp_problem *p;
    int n_tasks, n_veh, n_locs, dims;
    struct vs_task *t;
    int64_t *tw_start, *tw_end;
    struct vs_veh *v;
    bool *can;  /* [task * n_veh + veh]: skills and capacity allow it */
    int *neigh; /* [task * k_neigh] nearest other tasks */
    int k_neigh;
    bool has_pd, has_reload, has_tw, has_setup;
    int64_t dist_ref; /* typical arc cost, scales the temperature */

    /* Current solution. */
    struct vs_route *r;     /* one per vehicle */
    int *route_of, *pos_of; /* per task: vehicle index, position 1..n; -1 when out */
    int64_t unassigned_cost;
    int n_out;
    uint64_t work; /* insertion positions evaluated and the like: the
                    ** search's deterministic clock (see sisr.c) */
    struct vs_rng rng;
};

/* ---- clock: wall-clock seconds (a CPU-time clock when built with
** VS_CPU_CLOCK, for benchmarking on a loaded machine) */
#ifdef VS_CPU_CLOCK
#include <time.h>
static inline double vs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#else
static inline double vs_now(void)
{
    return time_mono_s();
}
#endif

/* ---- rng (xorshift64*) */
static inline uint64_t vs_rand(struct vs_rng *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ULL;
}
static inline int vs_randint(struct vs_rng *g, int n) /* [0, n) */
{
    return (int)((vs_rand(g) >> 33) % (uint64_t)n);
}
static inline double vs_rand01(struct vs_rng *g)
{
    return (double)(vs_rand(g) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- travel */
static inline int64_t vs_dur(const struct vs_veh *v, int n_locs, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    return v->dur[(size_t)a * (size_t)n_locs + (size_t)b];
}
static inline int64_t vs_dist(const struct vs_veh *v, int n_locs, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    return v->dist[(size_t)a * (size_t)n_locs + (size_t)b];
}
/* Arc cost as vrp.h defines it. */
static inline int64_t vs_arc(const struct vs_veh *v, int n_locs, int a, int b)
{
    if (a < 0 || b < 0)
        return 0;
    size_t k = (size_t)a * (size_t)n_locs + (size_t)b;
    if (v->arcm)
        return v->arcm[k];
    if (v->per_km || v->per_hour) /* as vrp_arc_cost: rounded half up once per arc */
        return (v->per_km * v->dist[k] * 18 + v->per_hour * v->dur[k] * 5 + 9000) / 18000;
    return v->dist[k];
}

/* Time on site at task t when the stop before it is at location `prev`
** (VRP_NONE before an open start's first task): setup only after a move. */
static inline int64_t vs_action(const struct vs_task *t, int prev)
{
    return prev == t->loc ? t->service : t->setup + t->service;
}

/* Service start for an arrival at `a`, or VS_NEG_INF when every window has
** closed. */
static inline int64_t vs_tw_start(const struct vs *s, const struct vs_task *t, int64_t a)
{
    for (int i = 0; i < t->ntw; i++) {
        int64_t ws = s->tw_start[t->tw0 + i], we = s->tw_end[t->tw0 + i];
        if (a <= we)
            return a < ws ? ws : a;
    }
    return t->ntw ? VS_NEG_INF : a;
}
/* Latest arrival such that service starts at or before `d`. */
static inline int64_t vs_tw_latest(const struct vs *s, const struct vs_task *t, int64_t d)
{
    for (int i = t->ntw - 1; i >= 0; i--) {
        int64_t ws = s->tw_start[t->tw0 + i], we = s->tw_end[t->tw0 + i];
        if (ws <= d)
            return we < d ? we : d;
    }
    return t->ntw ? VS_NEG_INF : d;
}

/* ---- solve.c */
/* Flatten p into s (one empty route per vehicle plus a scratch route at
** index n_veh); every task starts out. S (NULL: none) gives the deadline
** and stop requests the neighbour lists respect. vs__release frees it. */
struct vs_search;
void vs__init(struct vs *s, const struct vrp_problem *p, uint64_t seed, struct vs_search *S);
void vs__release(struct vs *s);

/* ---- route.c */
void vs__route_init(struct vs *s, struct vs_route *r, int veh);
void vs__route_release(struct vs_route *r);
void vs__route_reserve(struct vs *s, struct vs_route *r, int need);
/* Recompute caches, cost and feasibility from r->seq (full evaluation);
** _update also fixes pos_of/route_of of the route's tasks. */
void vs__route_eval(struct vs *s, struct vs_route *r);
void vs__route_update(struct vs *s, struct vs_route *r);
/* Remove empty trips (reloads at either end or back to back). */
void vs__route_tidy(struct vs *s, struct vs_route *r);
void vs__route_insert(struct vs *s, struct vs_route *r, int pos,
                      int stop); /* before pos(1-based) */
void vs__route_remove_at(struct vs_route *r, int pos);

/* Best insertion of task (or shipment when it is a pickup) into route r.
** Returns the cost delta or VS_POS_INF; *k1 and *k2 are positions after
** which to insert (k2 for the delivery), *reload: 0 none, 1 reload before
** the task, 2 reload after. blink: probability of skipping a position. */
struct vs_ins {
    int64_t delta;
    int veh, k1, k2, reload;
};
void vs__best_insert(struct vs *s, struct vs_route *r, int task, double blink, struct vs_ins *best);
void vs__apply_insert(struct vs *s, const struct vs_ins *ins, int task);

int64_t vs__total_cost(const struct vs *s);

/* ---- the budget and stop requests (solve.c) */
struct vs_search {
    double t_end; /* monotonic seconds */
    double t_begin;
    double t_asked; /* when the progress callback was last asked; -HUGE_VAL before */
    const struct vrp_params *prm;
    uint64_t iterations;
    bool stopped; /* the callback asked to stop */
    /* best solution: per vehicle its stops, flattened */
    int *best_seq, *best_len;
    int64_t best_cost;     /* with VS_MISS_BIG terms */
    int64_t best_reported; /* as vrp_solution reports it */
    int best_out;
};

/* Stop requests are asked by the clock: at a search's first check, then
** every VS_ASK_EVERY_S seconds, whatever an iteration costs (an HGS local
** search at 1,500 clients takes tenths of a second; it checks between
** moves too). A clock read costs tens of nanoseconds. */
#define VS_ASK_EVERY_S 0.05
static inline bool vs_ask_due(const struct vs_search *S, double now)
{
    return S->prm && S->prm->progress && now - S->t_asked >= VS_ASK_EVERY_S;
}
/* Past the deadline or the iteration budget. */
static inline bool vs_over_budget(const struct vs_search *S, double now)
{
    return now >= S->t_end ||
           (S->prm && S->prm->max_iterations && S->iterations >= S->prm->max_iterations);
}
/* Ask the callback (vs_ask_due said so) with the best cost and tasks out
** so far; true, with S->stopped set, when it says stop. */
bool vs__ask(struct vs_search *S, double now, int64_t best_cost, int n_out);

/* ---- sisr.c */
void vs__search_run(struct vs *s, struct vs_search *S);
void vs__snapshot(struct vs *s, int *seq, int *len);
void vs__restore(struct vs *s, const int *seq, const int *len);

/* ---- hgs.c */
/* True when s is a plain CVRP that the hybrid genetic search handles. */
bool vs__hgs_eligible(const struct vs *s);
/* Run it until S's deadline or stop request; S->best_* as for the SISR
** search (best_cost VS_POS_INF when nothing feasible was found). */
void vs__hgs_run(struct vs *s, struct vs_search *S);
/* Test hook: n_ls local searches from random giant tours, checking after
** every move that the route structure is intact and that the penalized
** cost changed by exactly the move's evaluated delta. Returns the number of
** failures (0 = all good). */
int vs__hgs_selftest(struct vs *s, int n_ls);

#endif
