/*
** solve.c: vrp_solve(), the search's entry point. Flattens a problem into
** the search's view (struct vs: per-task amounts and windows, per-vehicle
** matrices, rates and limits, task-vehicle compatibility, nearest-neighbour
** lists), picks the search (hgs.c for a plain CVRP of at most 1,500 clients,
** sisr.c for everything else and as the fallback), runs it until the time
** limit or until the progress callback asks it to stop, and turns the best
** solution into a struct vrp_solution through vrp_solution_from_seqs(), the
** trusted evaluator, so the reported cost never comes from the search's
** incremental bookkeeping (a disagreement is logged and asserted in
** VRP_DEBUG builds; the tests check it). vrp_params_default lives in
** problem.c.
**
** Time: the limit is wall-clock from entry; the searches check the clock
** between iterations and HGS between local-search moves too, so they stop
** a little before it. The progress callback (stop requests) is asked by the
** clock as well (vs__ask, search.h). SISR's construction looks at the clock
** and the stop request too and completes cheaply when either says stop
** (sisr.c, construct); reading and the neighbour lists below are not cut
** short.
** Threads: with threads > 1 several independent searches (seeds derived
** from params.seed) run side by side and the best one wins; results
** depend on (seed, threads) only, apart from where the clock stops them.
*/
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "base/base.h"
#include "vrp/search.h"

#define VS_K_NEIGH 40

static bool same_vehicle(const struct vrp_vehicle *a, const struct vrp_vehicle *b, int dims)
{
    if (a->start != b->start || a->end != b->end || a->tw.start != b->tw.start ||
        a->tw.end != b->tw.end || a->skills != b->skills || a->profile != b->profile ||
        a->fixed_cost != b->fixed_cost || a->cost_per_hour != b->cost_per_hour ||
        a->cost_per_km != b->cost_per_km || a->max_travel_time != b->max_travel_time ||
        a->max_distance != b->max_distance || a->max_tasks != b->max_tasks ||
        a->max_trips != b->max_trips || a->reload_time != b->reload_time)
        return false;
    for (int d = 0; d < dims; d++)
        if (a->capacity[d] != b->capacity[d])
            return false;
    return true;
}

static void build_neighbours(struct vs *s)
{
    int n = s->n_tasks, K = n - 1 < VS_K_NEIGH ? n - 1 : VS_K_NEIGH;
    if (K < 0)
        K = 0;
    s->k_neigh = K;
    s->neigh = xmalloc(((size_t)n * (size_t)K + 1) * sizeof *s->neigh);
    if (K == 0)
        return;
    const struct vs_veh *v = &s->v[0];
    int64_t *bd = xmalloc((size_t)K * sizeof *bd);
    for (int i = 0; i < n; i++) {
        int *bi = &s->neigh[(size_t)i * K];
        int m = 0;
        int li = s->t[i].loc;
        for (int j = 0; j < n; j++) {
            if (j == i)
                continue;
            int lj = s->t[j].loc;
            int64_t d = vs_dist(v, s->n_locs, li, lj) + vs_dist(v, s->n_locs, lj, li);
            if (m == K && d >= bd[K - 1])
                continue;
            int p = m < K ? m++ : K - 1;
            while (p > 0 && bd[p - 1] > d) {
                bd[p] = bd[p - 1];
                bi[p] = bi[p - 1];
                p--;
            }
            bd[p] = d;
            bi[p] = j;
        }
    }
    free(bd);
}

void vs__init(struct vs *s, const struct vrp_problem *p, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->n_tasks = p->n_tasks;
    s->n_veh = p->n_vehicles;
    s->n_locs = p->n_locs;
    s->dims = p->n_dims < 1 ? 1 : p->n_dims > VRP_MAX_DIMS ? VRP_MAX_DIMS : p->n_dims;
    s->rng.s = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    if (s->rng.s == 0)
        s->rng.s = 1;
    int n = s->n_tasks, nv = s->n_veh, D = s->dims;

    int n_tw = 0;
    for (int i = 0; i < n; i++)
        n_tw += p->tasks[i].n_tw;
    s->tw_start = xmalloc(((size_t)n_tw + 1) * sizeof *s->tw_start);
    s->tw_end = xmalloc(((size_t)n_tw + 1) * sizeof *s->tw_end);
    s->t = xcalloc((size_t)n + 1, sizeof *s->t);
    int w = 0;
    for (int i = 0; i < n; i++) {
        const struct vrp_task *pt = &p->tasks[i];
        struct vs_task *t = &s->t[i];
        t->loc = pt->loc;
        t->kind = pt->kind;
        t->pair = pt->kind == VRP_JOB ? -1 : pt->pair;
        t->service = pt->service;
        t->setup = pt->setup;
        if (pt->setup)
            s->has_setup = true;
        t->tw0 = w;
        t->ntw = pt->n_tw;
        for (int k = 0; k < pt->n_tw; k++) {
            s->tw_start[w] = pt->tw[k].start;
            s->tw_end[w] = pt->tw[k].end;
            w++;
        }
        if (pt->n_tw)
            s->has_tw = true;
        for (int d = 0; d < D; d++) {
            t->del[d] = pt->kind == VRP_PICKUP ? 0 : pt->delivery[d];
            t->pick[d] = pt->kind == VRP_DELIVERY ? 0 : pt->pickup[d];
            t->size += t->del[d] + t->pick[d];
        }
        t->skills = pt->skills;
        if (pt->kind != VRP_JOB)
            s->has_pd = true;
    }
    for (int i = 0; i < n; i++) {
        const struct vrp_task *pt = &p->tasks[i];
        struct vs_task *t = &s->t[i];
        int64_t miss = pt->optional ? pt->penalty : VS_MISS_BIG * (1 + pt->priority);
        if (t->kind == VRP_PICKUP) {
            const struct vrp_task *pd = &p->tasks[t->pair];
            miss += pd->optional ? pd->penalty : VS_MISS_BIG * (1 + pd->priority);
            t->size = 0;
            for (int d = 0; d < D; d++)
                t->size += pt->pickup[d];
            t->skills |= pd->skills;
        }
        t->miss_cost = t->kind == VRP_DELIVERY ? 0 : miss;
    }

    s->v = xcalloc((size_t)nv + 1, sizeof *s->v);
    for (int j = 0; j < nv; j++) {
        const struct vrp_vehicle *pv = &p->vehicles[j];
        struct vs_veh *v = &s->v[j];
        v->start = pv->start;
        v->end = pv->end;
        v->cls = j;
        for (int i = 0; i < j; i++)
            if (same_vehicle(pv, &p->vehicles[i], D)) {
                v->cls = s->v[i].cls;
                break;
            }
        int prof = pv->profile >= 0 && pv->profile < p->n_matrices ? pv->profile : 0;
        const struct vrp_matrix *m = &p->matrices[prof];
        v->dur = m->dur;
        v->dist = m->dist ? m->dist : m->dur;
        v->cost = m->cost;
        v->per_km = pv->cost_per_km;
        v->per_hour = pv->cost_per_hour;
        v->arcm = v->cost ? v->cost : (v->per_km || v->per_hour) ? NULL : v->dist;
        for (int d = 0; d < D; d++)
            v->cap[d] = pv->capacity[d];
        v->tw_start = pv->tw.start;
        v->tw_end = pv->tw.end > VS_POS_INF ? VS_POS_INF : pv->tw.end;
        v->fixed = pv->fixed_cost;
        v->max_travel = pv->max_travel_time > 0 ? pv->max_travel_time : VS_POS_INF;
        v->max_dist = pv->max_distance > 0 ? pv->max_distance : VS_POS_INF;
        v->max_tasks = pv->max_tasks > 0 ? pv->max_tasks : INT32_MAX;
        v->max_trips = pv->max_trips > 1 && pv->start != VRP_NONE ? pv->max_trips : 1;
        if (v->max_trips > 1)
            s->has_reload = true;
        v->reload_time = pv->reload_time;
        v->skills = pv->skills;
    }
    /* classes renumbered densely */
    {
        int *map = xmalloc(((size_t)nv + 1) * sizeof *map);
        for (int j = 0; j < nv; j++)
            map[j] = -1;
        int nc = 0;
        for (int j = 0; j < nv; j++) {
            int c = s->v[j].cls;
            if (map[c] < 0)
                map[c] = nc++;
            s->v[j].cls = map[c];
        }
        free(map);
    }

    s->can = xcalloc((size_t)n * (size_t)nv + 1, sizeof *s->can);
    for (int i = 0; i < n; i++) {
        const struct vs_task *t = &s->t[i];
        for (int j = 0; j < nv; j++) {
            const struct vs_veh *v = &s->v[j];
            bool ok = (t->skills & ~v->skills) == 0;
            for (int d = 0; d < D && ok; d++)
                if (t->del[d] > v->cap[d] || t->pick[d] > v->cap[d])
                    ok = false;
            s->can[(size_t)i * nv + j] = ok;
        }
    }
    build_neighbours(s);

    /* reference arc cost: mean distance from the first vehicle's depot */
    double sum = 0;
    int cnt = 0;
    if (nv > 0) {
        const struct vs_veh *v = &s->v[0];
        int dl = v->start >= 0 ? v->start : v->end;
        for (int i = 0; i < n; i++) {
            if (dl >= 0)
                sum += (double)vs_arc(v, s->n_locs, dl, s->t[i].loc);
            else if (s->k_neigh)
                sum += 5.0 * (double)vs_arc(v, s->n_locs, s->t[i].loc,
                                            s->t[s->neigh[(size_t)i * s->k_neigh]].loc);
            cnt++;
        }
    }
    s->dist_ref = cnt ? (int64_t)(sum / cnt) : 1;
    if (s->dist_ref < 1)
        s->dist_ref = 1;

    s->r = xcalloc((size_t)nv + 1, sizeof *s->r); /* + scratch */
    s->route_of = xmalloc(((size_t)n + 1) * sizeof *s->route_of);
    s->pos_of = xcalloc((size_t)n + 1, sizeof *s->pos_of);
    for (int i = 0; i < n; i++)
        s->route_of[i] = -1;
    for (int j = 0; j <= nv; j++)
        vs__route_init(s, &s->r[j], j < nv ? j : 0);
    s->unassigned_cost = 0;
    s->n_out = 0;
    for (int i = 0; i < n; i++)
        if (s->t[i].kind != VRP_DELIVERY) {
            s->unassigned_cost += s->t[i].miss_cost;
            s->n_out++;
        }
}

bool vs__ask(struct vs_search *S, double now, int64_t best_cost, int n_out)
{
    S->t_asked = now;
    if (S->prm->progress(S->prm->progress_arg, best_cost, n_out, now - S->t_begin)) {
        S->stopped = true;
        return true;
    }
    return false;
}

void vs__release(struct vs *s)
{
    for (int j = 0; j <= s->n_veh; j++)
        vs__route_release(&s->r[j]);
    free(s->r);
    free(s->route_of);
    free(s->pos_of);
    free(s->can);
    free(s->neigh);
    free(s->v);
    free(s->t);
    free(s->tw_start);
    free(s->tw_end);
}

struct worker {
    const struct vrp_problem *p;
    struct vrp_params prm;
    struct vs_search S;
    double t_begin, t_end;
    int64_t reported;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    struct vs s;
    vs__init(&s, w->p, w->prm.seed);
    size_t cap = 2 * (size_t)s.n_tasks + (size_t)s.n_veh + 1;
    for (int v = 0; v < s.n_veh; v++)
        if (s.v[v].max_trips > 1)
            cap += (size_t)s.v[v].max_trips;
    w->S.best_seq = xmalloc(cap * sizeof *w->S.best_seq);
    w->S.best_len = xcalloc((size_t)s.n_veh + 1, sizeof *w->S.best_len);
    w->S.prm = &w->prm;
    w->S.t_begin = w->t_begin;
    w->S.t_end = w->t_end;
    w->S.t_asked = -HUGE_VAL; /* the first check asks */
    /* size first: eligibility reads the whole matrix (a second at 10,000) */
    bool hgs = s.n_tasks <= 1500 &&
               (int64_t)s.n_tasks * s.n_veh <= 2000000 && /* SWAP* tables: 48 bytes per pair */
               vs__hgs_eligible(&s);
    if (hgs)
        vs__hgs_run(&s, &w->S);
    if (!hgs || w->S.best_cost >= VS_POS_INF)
        vs__search_run(&s, &w->S);
    w->reported = w->S.best_reported;
    vs__release(&s);
    return NULL;
}

int vrp_solve(const struct vrp_problem *p, const struct vrp_params *prm_in,
              struct vrp_solution **out, struct err *e)
{
    struct vrp_params prm;
    if (prm_in)
        prm = *prm_in;
    else
        vrp_params_default(&prm);
    *out = NULL;
    if (!p || p->n_tasks < 0 || p->n_vehicles < 0 || (p->n_vehicles > 0 && p->n_matrices < 1))
        return err_set(e, ERR_INVAL, "vrp_solve: empty or malformed problem");
    double t_begin = vs_now();
    double limit = prm.time_limit_s;
    if (!(limit > 0)) {
        limit = 0.05 * p->n_tasks;
        if (limit < 1)
            limit = 1;
        if (limit > 300)
            limit = 300;
    }
    int threads = prm.threads < 1 ? 1 : prm.threads > 64 ? 64 : prm.threads;
    struct worker *w = xcalloc((size_t)threads, sizeof *w);
    /* Leave a little time for building the answer. */
    double t_end = t_begin + limit * 0.99 - 0.002;
    if (p->n_vehicles == 0 || p->n_tasks == 0)
        t_end = t_begin;
    for (int i = 0; i < threads; i++) {
        w[i].p = p;
        w[i].prm = prm;
        w[i].prm.seed = prm.seed + 0x1000193ULL * (uint64_t)i;
        if (i > 0)
            w[i].prm.progress = NULL; /* the first search reports */
        w[i].t_begin = t_begin;
        w[i].t_end = t_end;
    }
    if (threads == 1 || p->n_vehicles == 0) {
        threads = 1;
        worker_run(&w[0]);
    } else {
        pthread_t *th = xcalloc((size_t)threads, sizeof *th);
        for (int i = 1; i < threads; i++)
            if (pthread_create(&th[i], NULL, worker_run, &w[i]) != 0)
                rl_die("vrp_solve: pthread_create");
        worker_run(&w[0]);
        for (int i = 1; i < threads; i++)
            pthread_join(th[i], NULL);
        free(th);
    }
    int bi = 0;
    for (int i = 1; i < threads; i++)
        if (w[i].S.best_cost < w[bi].S.best_cost)
            bi = i;

    /* Sequences of the best solution, through the trusted evaluator. */
    struct vrp_seq *seqs = xcalloc((size_t)p->n_vehicles + 1, sizeof *seqs);
    int nr = 0, off = 0;
    for (int v = 0; v < p->n_vehicles; v++) {
        int len = w[bi].S.best_len[v];
        if (len > 0) {
            seqs[nr].vehicle = v;
            seqs[nr].tasks = &w[bi].S.best_seq[off];
            seqs[nr].n = len;
            nr++;
        }
        off += len;
    }
    uint64_t iters = 0;
    for (int i = 0; i < threads; i++)
        iters += w[i].S.iterations;
    int rc = vrp_solution_from_seqs(p, seqs, nr, false, out, e);
    if (rc == 0) {
        (*out)->solve_s = vs_now() - t_begin;
        (*out)->iterations = iters;
        VS_ASSERT((*out)->cost == w[bi].reported);
        if ((*out)->cost != w[bi].reported)
            log_write(NULL, LOG_WARN, "vrp.solve.cost_mismatch", "search=%lld evaluator=%lld",
                      (long long)w[bi].reported, (long long)(*out)->cost);
    } else {
        err_prefix(e, "vrp_solve: internal error, the search's best solution is rejected: ");
        rc = ERR_INTERNAL;
        if (e)
            e->code = ERR_INTERNAL;
    }
    for (int i = 0; i < threads; i++) {
        free(w[i].S.best_seq);
        free(w[i].S.best_len);
    }
    free(seqs);
    free(w);
    return rc;
}
