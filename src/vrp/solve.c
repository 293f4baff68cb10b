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
** (sisr.c, construct). The neighbour lists below are exact until the
** deadline or a stop request, approximate after (build_neighbours); reading
** the input is not cut short.
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

/* Neighbour lists are built over tiles of VS_NEIGH_TILE x VS_NEIGH_TILE tasks. */
#define VS_NEIGH_TILE 256
/* After a cut: cells of about 2 K tasks around pivots; a task's candidates
** are the cells of its VS_NEIGH_NEAR nearest pivots. */
#define VS_NEIGH_NEAR 3

struct neigh_key {
    int loc, task;
};

static int cmp_neigh_key(const void *a, const void *b)
{
    const struct neigh_key *x = a, *y = b;
    if (x->loc != y->loc)
        return x->loc < y->loc ? -1 : 1;
    return x->task < y->task ? -1 : x->task > y->task;
}

/* K-best lists of every task under construction: s->neigh holds the task
** indices, bd the distances, m the lengths, thr the K-th distance (INT64_MAX
** while a list is short) so that most offers are turned down in one test. */
struct neigh_build {
    int K;
    int *bi;
    int64_t *bd, *thr;
    int *m;
};

/* Offer (d, j) to task i's list, kept sorted by (d, j): ties go to the lower
** task index, as in a full sort. Callers test d <= thr[i] first. */
static void neigh_offer(struct neigh_build *nb, int i, int64_t d, int j)
{
    const int K = nb->K;
    int64_t *bd = &nb->bd[(size_t)i * K];
    int *bi = &nb->bi[(size_t)i * K];
    if (nb->m[i] == K && (d > bd[K - 1] || (d == bd[K - 1] && j > bi[K - 1])))
        return;
    int p = nb->m[i] < K ? nb->m[i]++ : K - 1;
    while (p > 0 && (bd[p - 1] > d || (bd[p - 1] == d && bi[p - 1] > j))) {
        bd[p] = bd[p - 1];
        bi[p] = bi[p - 1];
        p--;
    }
    bd[p] = d;
    bi[p] = j;
    if (nb->m[i] == K)
        nb->thr[i] = bd[K - 1];
}

/* Whether the neighbour lists must stop being exact: the deadline or a stop
** request (asked by the clock, as the searches do). */
static bool neigh_cut(struct vs *s, struct vs_search *S)
{
    if (!S)
        return false;
    if (S->stopped)
        return true;
    double now = vs_now();
    if (now >= S->t_end)
        return true;
    return vs_ask_due(S, now) && vs__ask(S, now, INT64_MAX, s->n_tasks);
}

static inline int64_t neigh_d(const int64_t *dist, size_t N, int a, int b)
{
    return dist[(size_t)a * N + (size_t)b] + dist[(size_t)b * N + (size_t)a];
}

/*
** The lists of the tasks from ord[done] on, after a cut: they hold the
** nearest among the tasks of the tile rows done, which may all lie in one
** corner. Cheap approximate neighbours are offered too: P pivots spread
** evenly in location order, each task's VS_NEIGH_NEAR nearest pivots by
** dist (row reads), each task in the cell of its nearest pivot, and each
** task left offered the tasks of its pivots' cells but those of the rows
** done (offered already: a list must not hold a task twice). About n P +
** n x 3 x 2K
** distance reads (10,000 tasks: a few tens of milliseconds) instead of n^2.
*/
static void neigh_cells(struct vs *s, struct neigh_build *nb, const struct neigh_key *ord, int done)
{
    const int n = s->n_tasks, K = nb->K, NEAR = VS_NEIGH_NEAR;
    const int64_t *dist = s->v[0].dist;
    const size_t N = (size_t)s->n_locs;
    int P = n / (2 * K) > 1 ? n / (2 * K) : 1;
    int *piv = xmalloc((size_t)P * sizeof *piv); /* pivot locations */
    for (int k = 0; k < P; k++)
        piv[k] = ord[(int64_t)k * n / P].loc;
    int *near = xmalloc((size_t)n * NEAR * sizeof *near);
    int *cell_n = xcalloc((size_t)P + 1, sizeof *cell_n);
    for (int i = 0; i < n; i++) {
        const int64_t *row = &dist[(size_t)s->t[i].loc * N];
        int64_t bd[VS_NEIGH_NEAR];
        int *bi = &near[(size_t)i * NEAR], m = 0;
        for (int k = 0; k < P; k++) {
            int64_t d = row[piv[k]];
            if (m == NEAR && d >= bd[NEAR - 1])
                continue;
            int q = m < NEAR ? m++ : NEAR - 1;
            for (; q > 0 && bd[q - 1] > d; q--) {
                bd[q] = bd[q - 1];
                bi[q] = bi[q - 1];
            }
            bd[q] = d;
            bi[q] = k;
        }
        for (; m < NEAR; m++)
            bi[m] = bi[0]; /* fewer pivots than NEAR: repeat the nearest */
        cell_n[bi[0] + 1]++;
    }
    for (int k = 0; k < P; k++)
        cell_n[k + 1] += cell_n[k];
    int *cell = xmalloc((size_t)n * sizeof *cell), *fill = xcalloc((size_t)P, sizeof *fill);
    for (int ii = done; ii < n; ii++) { /* only the tasks not offered yet */
        int i = ord[ii].task, c = near[(size_t)i * NEAR];
        cell[cell_n[c] + fill[c]++] = i;
    }
    for (int ii = done; ii < n; ii++) {
        int i = ord[ii].task, li = ord[ii].loc;
        for (int a = 0; a < NEAR; a++) {
            int c = near[(size_t)i * NEAR + a];
            bool dup = false;
            for (int b = 0; b < a; b++)
                dup |= near[(size_t)i * NEAR + b] == c;
            if (dup)
                continue;
            for (int x = cell_n[c]; x < cell_n[c] + fill[c]; x++) {
                int j = cell[x];
                if (j == i)
                    continue;
                int64_t d = neigh_d(dist, N, li, s->t[j].loc);
                if (d <= nb->thr[i])
                    neigh_offer(nb, i, d, j);
            }
        }
    }
    free(piv);
    free(near);
    free(cell_n);
    free(cell);
    free(fill);
}

/*
** For each task its K nearest other tasks by d(a, b) = dist(a, b) + dist(b,
** a) on the first vehicle's profile, sorted by (d, index). That is n^2 / 2
** pairs (d is symmetric, so each pair is offered to both lists), and read
** task by task the dist(b, a) half is a column, a cache miss per pair
** (10,000 tasks: about 2.5 s). Tasks are therefore taken in order of
** location, a tile of VS_NEIGH_TILE x VS_NEIGH_TILE at a time over the upper
** triangle: the column half of a tile is copied from its rows first (runs
** of adjacent locations), so both halves are read in runs. No sort: each
** list keeps its K best.
**
** The clock is looked at after each row of tiles (the first is always
** done). Past the deadline or on a stop request (S; NULL for none) the
** exact lists stop there: every task has then been offered every task of
** the rows done, at least VS_NEIGH_TILE >= K of them, so its list is full,
** and the tasks left get nearby candidates from neigh_cells. Approximate
** lists, but all that follows a cut is the construction's cheap
** completion, which only needs routes nearby (with the first-row lists
** alone, 10,000 tasks at 1 s gave a plan 1.9 times dearer, and slower).
*/
static void build_neighbours(struct vs *s, struct vs_search *S)
{
    int n = s->n_tasks, K = n - 1 < VS_K_NEIGH ? n - 1 : VS_K_NEIGH;
    if (K < 0)
        K = 0;
    s->k_neigh = K;
    s->neigh = xmalloc(((size_t)n * (size_t)K + 1) * sizeof *s->neigh);
    if (K == 0)
        return;
    const int64_t *dist = s->v[0].dist;
    const size_t N = (size_t)s->n_locs;
    enum { T = VS_NEIGH_TILE };
    struct neigh_key *ord = xmalloc((size_t)n * sizeof *ord);
    for (int i = 0; i < n; i++)
        ord[i] = (struct neigh_key){s->t[i].loc, i};
    qsort(ord, (size_t)n, sizeof *ord, cmp_neigh_key);
    struct neigh_build nb = {.K = K, .bi = s->neigh};
    nb.bd = xmalloc((size_t)n * (size_t)K * sizeof *nb.bd);
    nb.thr = xmalloc((size_t)n * sizeof *nb.thr);
    nb.m = xcalloc((size_t)n, sizeof *nb.m);
    for (int i = 0; i < n; i++)
        nb.thr[i] = INT64_MAX;
    int64_t *tile = xmalloc((size_t)T * T * sizeof *tile); /* [q][r] = dist(r's loc, q's loc) */
    int done = 0;                                          /* ord[0, done) have exact lists */
    for (int i0 = 0; i0 < n; i0 += T) {
        if (i0 > 0 && neigh_cut(s, S))
            break;
        int ni = n - i0 < T ? n - i0 : T;
        for (int j0 = i0; j0 < n; j0 += T) {
            int nj = n - j0 < T ? n - j0 : T;
            for (int r = 0; r < nj; r++) {
                const int64_t *src = &dist[(size_t)ord[j0 + r].loc * N];
                for (int q = 0; q < ni; q++)
                    tile[(size_t)q * T + r] = src[ord[i0 + q].loc];
            }
            for (int q = 0; q < ni; q++) {
                int i = ord[i0 + q].task;
                const int64_t *row = &dist[(size_t)ord[i0 + q].loc * N],
                              *col = &tile[(size_t)q * T];
                /* on the diagonal tile each pair once: r > q */
                for (int r = j0 == i0 ? q + 1 : 0; r < nj; r++) {
                    int j = ord[j0 + r].task;
                    int64_t d = row[ord[j0 + r].loc] + col[r];
                    if (d <= nb.thr[i])
                        neigh_offer(&nb, i, d, j);
                    if (d <= nb.thr[j])
                        neigh_offer(&nb, j, d, i);
                }
            }
        }
        done = i0 + ni;
    }
    if (done < n)
        neigh_cells(s, &nb, ord, done);
    free(tile);
    free(nb.bd);
    free(nb.thr);
    free(nb.m);
    free(ord);
}

void vs__init(struct vs *s, const struct vrp_problem *p, uint64_t seed, struct vs_search *S)
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
    build_neighbours(s, S);

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
    w->S.prm = &w->prm;
    w->S.t_begin = w->t_begin;
    w->S.t_end = w->t_end;
    w->S.t_asked = -HUGE_VAL; /* the first check asks */
    struct vs s;
    vs__init(&s, w->p, w->prm.seed, &w->S);
    size_t cap = 2 * (size_t)s.n_tasks + (size_t)s.n_veh + 1;
    for (int v = 0; v < s.n_veh; v++)
        if (s.v[v].max_trips > 1)
            cap += (size_t)s.v[v].max_trips;
    w->S.best_seq = xmalloc(cap * sizeof *w->S.best_seq);
    w->S.best_len = xcalloc((size_t)s.n_veh + 1, sizeof *w->S.best_len);
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
