/* Tests of the vrp search (solve.c, route.c, sisr.c, hgs.c): incremental
** insertion checks against full re-evaluation, answers equal to exhaustive
** enumeration on tiny problems, determinism for a seed, stop requests, and
** agreement with the trusted evaluator and the checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "vrp/search.h"
#include "vrp/vrp.h"

/* ------------------------------------------------------------ generators */

struct gen_opts {
    int n_tasks, n_veh, dims;
    bool tw, pd, skills, trips, limits, rates;
    bool setup; /* setup times, tasks sharing a place or at the depot, an open start */
    uint64_t seed;
};

static uint64_t g_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static int64_t g_int(uint64_t *s, int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(g_next(s) % (uint64_t)(hi - lo + 1));
}

/* A random problem: location 0 is the depot, task i is at location i + 1
** (with .setup, every third task shares the place of the one before and
** every seventh is at the depot, so setups are paid or not). */
static struct vrp_problem *gen_problem(const struct gen_opts *o)
{
    uint64_t rs = o->seed * 2654435761u + 12345;
    struct vrp_problem *p = vrp_problem_new();
    int n = o->n_tasks, nl = n + 1;
    p->name = xstrdup("generated");
    p->n_locs = nl;
    p->n_dims = o->dims;
    double *x = xmalloc(sizeof(double) * (size_t)nl), *y = xmalloc(sizeof(double) * (size_t)nl);
    for (int i = 0; i < nl; i++) {
        x[i] = (double)g_int(&rs, 0, 100);
        y[i] = (double)g_int(&rs, 0, 100);
    }
    p->matrices = xcalloc(1, sizeof *p->matrices);
    p->n_matrices = 1;
    int64_t *m = xmalloc(sizeof(int64_t) * (size_t)nl * (size_t)nl);
    for (int i = 0; i < nl; i++)
        for (int j = 0; j < nl; j++)
            m[i * nl + j] = (int64_t)floor(hypot(x[i] - x[j], y[i] - y[j]) + 0.5);
    p->matrices[0].dur = m;
    p->matrices[0].dist = m;
    free(x);
    free(y);
    p->n_tasks = n;
    p->tasks = xcalloc((size_t)n, sizeof *p->tasks);
    for (int i = 0; i < n; i++) {
        struct vrp_task *t = &p->tasks[i];
        t->id = i + 1;
        t->kind = VRP_JOB;
        t->loc = i + 1;
        t->pair = VRP_NONE;
        t->service = o->tw ? g_int(&rs, 0, 10) : 0;
        if (o->setup) {
            t->setup = g_int(&rs, 0, 25);
            if (i % 3 == 2)
                t->loc = p->tasks[i - 1].loc;
            else if (i % 7 == 6)
                t->loc = 0;
        }
        for (int d = 0; d < o->dims; d++) {
            t->delivery[d] = g_int(&rs, 0, 10);
            t->pickup[d] = (o->pd || d > 0) ? g_int(&rs, 0, 6) : 0;
        }
        if (o->tw) {
            int k = (int)g_int(&rs, 1, 2);
            t->tw = xcalloc((size_t)k, sizeof *t->tw);
            t->n_tw = k;
            int64_t a = g_int(&rs, 0, 150);
            for (int w = 0; w < k; w++) {
                int64_t len = g_int(&rs, 20, 120);
                t->tw[w] = (struct vrp_tw){a, a + len};
                a += len + g_int(&rs, 10, 80);
            }
        }
        if (o->skills && g_int(&rs, 0, 3) == 0)
            t->skills = 1;
    }
    if (o->pd) /* pair up tasks (0,1), (4,5), ... as shipments */
        for (int i = 0; i + 1 < n; i += 4) {
            struct vrp_task *a = &p->tasks[i], *b = &p->tasks[i + 1];
            a->kind = VRP_PICKUP;
            b->kind = VRP_DELIVERY;
            a->pair = i + 1;
            b->pair = i;
            for (int d = 0; d < o->dims; d++) {
                a->pickup[d] = g_int(&rs, 1, 8);
                a->delivery[d] = 0;
                b->delivery[d] = a->pickup[d];
                b->pickup[d] = 0;
            }
        }
    p->n_vehicles = o->n_veh;
    p->vehicles = xcalloc((size_t)o->n_veh, sizeof *p->vehicles);
    for (int j = 0; j < o->n_veh; j++) {
        struct vrp_vehicle *v = &p->vehicles[j];
        v->id = j + 1;
        v->start = 0;
        v->end = (o->limits && j == 1) ? VRP_NONE : 0;
        if (o->setup && !o->trips && j == 1)
            v->start = VRP_NONE; /* its first task always pays its setup */
        for (int d = 0; d < o->dims; d++)
            v->capacity[d] = 20 + 5 * j;
        v->tw = o->tw ? (struct vrp_tw){0, 600} : (struct vrp_tw){0, INT64_MAX};
        v->skills = (o->skills && j == 0) ? 1 : 0;
        v->max_trips = o->trips ? 3 : 1;
        v->reload_time = o->trips ? 5 : 0;
        if (o->limits) {
            v->max_tasks = 4 + j;
            v->max_distance = 350;
            v->fixed_cost = 30 * j;
        }
        if (o->rates) {
            v->cost_per_km = 700 + 100 * j;
            v->cost_per_hour = 900;
        }
    }
    struct err e;
    int rc = vrp_problem_validate(p, &e);
    if (rc)
        fail_msg("generated problem invalid: %s", e.msg);
    return p;
}

/* ------------------------------------- incremental vs full evaluation */

/* Best insertion of task u into route r by brute force: every position
** (pairs: every pickup/delivery position pair; reload variants), full
** evaluation each. */
static int64_t brute_best(struct vs *s, struct vs_route *r, int u)
{
    const struct vs_task *t = &s->t[u];
    if (!s->can[(size_t)u * s->n_veh + r->veh])
        return VS_POS_INF;
    if (t->kind == VRP_PICKUP && !s->can[(size_t)t->pair * s->n_veh + r->veh])
        return VS_POS_INF;
    struct vs_route *sc = &s->r[s->n_veh];
    sc->veh = r->veh;
    vs__route_reserve(s, sc, r->n + 3);
    int64_t best = VS_POS_INF;
    int n = r->n;
    for (int k1 = 0; k1 <= n; k1++) {
        if (t->kind == VRP_PICKUP) {
            for (int k2 = k1; k2 <= n; k2++) {
                int w = 0;
                for (int i = 0; i < n; i++) {
                    if (i == k1)
                        sc->seq[w++] = u;
                    if (i == k2)
                        sc->seq[w++] = t->pair;
                    sc->seq[w++] = r->seq[i];
                }
                if (k1 == n)
                    sc->seq[w++] = u;
                if (k2 == n)
                    sc->seq[w++] = t->pair;
                sc->n = w;
                /* same trip: no reload between the halves */
                bool split = false;
                for (int i = k1 + 1; i <= k2 + 1 && i < w; i++)
                    if (sc->seq[i] == VS_RELOAD)
                        split = true;
                if (split)
                    continue;
                vs__route_eval(s, sc);
                if (sc->feasible && sc->cost - r->cost < best)
                    best = sc->cost - r->cost;
            }
        } else {
            for (int mode = 0; mode <= 2; mode++) {
                if (mode && (!s->has_reload || r->n_tasks == 0))
                    continue;
                int w = 0;
                for (int i = 0; i < k1; i++)
                    sc->seq[w++] = r->seq[i];
                if (mode == 1)
                    sc->seq[w++] = VS_RELOAD;
                sc->seq[w++] = u;
                if (mode == 2)
                    sc->seq[w++] = VS_RELOAD;
                for (int i = k1; i < n; i++)
                    sc->seq[w++] = r->seq[i];
                sc->n = w;
                vs__route_tidy(s, sc);
                if (sc->n != w)
                    continue;
                vs__route_eval(s, sc);
                if (sc->feasible && sc->cost - r->cost < best)
                    best = sc->cost - r->cost;
            }
        }
    }
    return best;
}

static void check_insertions(const struct gen_opts *o)
{
    struct vrp_problem *p = gen_problem(o);
    struct vs s;
    vs__init(&s, p, o->seed, NULL);
    uint64_t rs = o->seed + 99;
    int checked = 0;
    /* Insert the tasks in random order, each at its best place over all
    ** routes, comparing every route's answer with brute force. */
    for (int round = 0; round < s.n_tasks; round++) {
        int u = (int)g_int(&rs, 0, s.n_tasks - 1);
        for (int tries = 0;
             tries < s.n_tasks && (s.route_of[u] >= 0 || s.t[u].kind == VRP_DELIVERY); tries++)
            u = (u + 1) % s.n_tasks;
        if (s.route_of[u] >= 0 || s.t[u].kind == VRP_DELIVERY)
            break;
        struct vs_ins best = {.delta = VS_POS_INF, .veh = -1};
        for (int v = 0; v < s.n_veh; v++) {
            struct vs_ins one = {.delta = VS_POS_INF, .veh = -1};
            vs__best_insert(&s, &s.r[v], u, 0, &one);
            int64_t bf = brute_best(&s, &s.r[v], u);
            assert_int_equal(one.delta, bf);
            checked++;
            if (one.delta < best.delta)
                best = one;
        }
        if (best.veh < 0)
            continue;
        int64_t before = s.r[best.veh].cost;
        vs__apply_insert(&s, &best, u);
        assert_true(s.r[best.veh].feasible);
        assert_int_equal(s.r[best.veh].cost - before, best.delta);
    }
    /* The routes built this way agree with the trusted evaluator. */
    struct vrp_seq *seqs = xcalloc((size_t)s.n_veh, sizeof *seqs);
    int nr = 0;
    int64_t cost = 0;
    for (int v = 0; v < s.n_veh; v++) {
        if (s.r[v].n == 0)
            continue;
        seqs[nr++] = (struct vrp_seq){v, s.r[v].seq, s.r[v].n};
        cost += s.r[v].cost;
    }
    struct vrp_solution *sol = NULL;
    struct err e;
    int rc = vrp_solution_from_seqs(p, seqs, nr, false, &sol, &e);
    if (rc)
        fail_msg("evaluator rejects the search's routes: %s", e.msg);
    for (int i = 0; i < p->n_tasks; i++)
        if (s.route_of[i] < 0 && p->tasks[i].optional)
            cost += p->tasks[i].penalty;
    assert_int_equal(sol->cost, cost);
    assert_true(checked > 0);
    vrp_solution_free(sol);
    free(seqs);
    vs__release(&s);
    vrp_problem_free(p);
}

static void test_insert_matches_full_eval(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        check_insertions(&(struct gen_opts){.n_tasks = 20, .n_veh = 4, .dims = 1, .seed = seed});
        check_insertions(
            &(struct gen_opts){.n_tasks = 20, .n_veh = 4, .dims = 2, .tw = true, .seed = seed});
        check_insertions(&(struct gen_opts){
            .n_tasks = 20, .n_veh = 3, .dims = 1, .tw = true, .pd = true, .seed = seed});
        check_insertions(&(struct gen_opts){
            .n_tasks = 16, .n_veh = 2, .dims = 1, .trips = true, .tw = true, .seed = seed});
        check_insertions(&(struct gen_opts){.n_tasks = 18,
                                            .n_veh = 3,
                                            .dims = 2,
                                            .skills = true,
                                            .limits = true,
                                            .rates = true,
                                            .tw = true,
                                            .seed = seed});
        /* setup: an insertion can add or remove the next stop's setup */
        check_insertions(&(struct gen_opts){
            .n_tasks = 20, .n_veh = 3, .dims = 1, .tw = true, .setup = true, .seed = seed});
        check_insertions(&(struct gen_opts){.n_tasks = 20,
                                            .n_veh = 3,
                                            .dims = 1,
                                            .tw = true,
                                            .pd = true,
                                            .setup = true,
                                            .seed = seed});
        check_insertions(&(struct gen_opts){.n_tasks = 16,
                                            .n_veh = 2,
                                            .dims = 1,
                                            .trips = true,
                                            .tw = true,
                                            .setup = true,
                                            .seed = seed});
    }
}

/* HGS local search: every applied move changes the penalized cost by
** exactly its evaluated delta and keeps the routes intact (random CVRPs,
** with and without coordinates, so SWAP* is covered too). */
static void test_hgs_moves_match_full_eval(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct vrp_problem *p =
            gen_problem(&(struct gen_opts){.n_tasks = 60, .n_veh = 20, .dims = 1, .seed = seed});
        for (int v = 0; v < p->n_vehicles; v++)
            p->vehicles[v].capacity[0] = 30;
        if (seed % 2 == 0) { /* coordinates for SWAP*: the generator's matrix is Euclidean */
            p->lon = xcalloc((size_t)p->n_locs, sizeof(double));
            p->lat = xcalloc((size_t)p->n_locs, sizeof(double));
            /* recover points consistent with the matrix is not needed: any
            ** coordinates only steer which route pairs SWAP* tries */
            for (int i = 0; i < p->n_locs; i++) {
                p->lon[i] = (double)((i * 37) % 101);
                p->lat[i] = (double)((i * 59) % 103);
            }
        }
        struct vs s;
        vs__init(&s, p, seed, NULL);
        assert_true(vs__hgs_eligible(&s));
        assert_int_equal(vs__hgs_selftest(&s, 30), 0);
        vs__release(&s);
        vrp_problem_free(p);
    }
}

/* ------------------------------------------------------ neighbour lists */

/* Task i's K nearest by dist(a, b) + dist(b, a), ties to the lower index,
** by brute force; out[K]. */
static void brute_neighbours(const struct vs *s, int i, int K, int *out)
{
    const int64_t *m = s->v[0].dist;
    size_t N = (size_t)s->n_locs;
    int64_t *bd = xmalloc((size_t)K * sizeof *bd);
    int cnt = 0;
    int li = s->t[i].loc;
    for (int j = 0; j < s->n_tasks; j++) {
        if (j == i)
            continue;
        int lj = s->t[j].loc;
        int64_t d = m[(size_t)li * N + (size_t)lj] + m[(size_t)lj * N + (size_t)li];
        if (cnt == K && d >= bd[K - 1])
            continue;
        int p = cnt < K ? cnt++ : K - 1;
        while (p > 0 && bd[p - 1] > d) {
            bd[p] = bd[p - 1];
            out[p] = out[p - 1];
            p--;
        }
        bd[p] = d;
        out[p] = j;
    }
    free(bd);
}

/* Every list full, without the task itself or a task twice; returns how
** many entries are in the exact lists too. */
static int lists_valid(const struct vs *s, const int *exact)
{
    int K = s->k_neigh, same = 0;
    bool *seen = xcalloc((size_t)s->n_tasks, sizeof *seen);
    for (int i = 0; i < s->n_tasks; i++) {
        for (int k = 0; k < K; k++) {
            int j = s->neigh[(size_t)i * K + k];
            if (j < 0 || j >= s->n_tasks || j == i || seen[j])
                fail_msg("task %d: neighbour %d is %d", i, k, j);
            seen[j] = true;
        }
        for (int k = 0; k < K; k++)
            same += seen[exact[(size_t)i * K + k]];
        for (int k = 0; k < K; k++)
            seen[s->neigh[(size_t)i * K + k]] = false;
    }
    free(seen);
    return same;
}

static int stop_now(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s)
{
    (void)best_cost;
    (void)n_unassigned;
    (void)elapsed_s;
    ++*(int *)arg;
    return 1;
}

/* The lists are built over tiles of tasks in order of location (columns
** read in runs, not a cache miss per pair): they must equal brute force,
** with an asymmetric matrix, tasks sharing places (ties) and tasks out of
** location order. They ran to the end whatever the limit (2.5 s at 10,000
** tasks); now, past the deadline or on a stop request, the exact lists stop
** after the first row of 256-task tiles and the other tasks get nearby
** candidates from cells around pivots: full, valid, mostly right. */
static void test_neighbour_lists(void **state)
{
    (void)state;
    struct gen_opts o = {.n_tasks = 700, .n_veh = 3, .dims = 1, .setup = true, .seed = 5};
    struct vrp_problem *p = gen_problem(&o);
    int nl = p->n_locs;
    int64_t *m = p->matrices[0].dur; /* dist aliases it */
    for (int a = 0; a < nl; a++)
        for (int b = 0; b < nl; b++)
            m[(size_t)a * nl + b] += a == b ? 0 : (a * 7 + b * 3) % 11;
    for (int i = 0; i + 1 < p->n_tasks; i += 5) { /* tasks out of location order */
        int t = p->tasks[i].loc;
        p->tasks[i].loc = p->tasks[i + 1].loc;
        p->tasks[i + 1].loc = t;
    }
    struct vs s;
    vs__init(&s, p, 1, NULL);
    int K = s.k_neigh, n = s.n_tasks;
    assert_int_equal(K, 40);
    int *exact = xmalloc((size_t)n * K * sizeof *exact);
    for (int i = 0; i < n; i++) {
        brute_neighbours(&s, i, K, &exact[(size_t)i * K]);
        for (int k = 0; k < K; k++)
            if (s.neigh[(size_t)i * K + k] != exact[(size_t)i * K + k])
                fail_msg("task %d neighbour %d: %d, brute force %d", i, k,
                         s.neigh[(size_t)i * K + k], exact[(size_t)i * K + k]);
    }
    vs__release(&s);

    /* the deadline has passed: cut, lists full and mostly right */
    struct vrp_params prm;
    vrp_params_default(&prm);
    struct vs_search S = {.t_begin = 0, .t_end = 0, .t_asked = -HUGE_VAL, .prm = &prm};
    vs__init(&s, p, 1, &S);
    int same = lists_valid(&s, exact);
    print_message("after a cut: %d of %d neighbours exact\n", same, n * K);
    assert_true(same < n * K);           /* it was cut */
    assert_true(same >= n * K * 9 / 10); /* 98 % here */
    vs__release(&s);

    /* a stop request: asked once, after the first row of tiles */
    int calls = 0;
    prm.progress = stop_now;
    prm.progress_arg = &calls;
    S = (struct vs_search){
        .t_begin = vs_now(), .t_end = VS_POS_INF, .t_asked = -HUGE_VAL, .prm = &prm};
    vs__init(&s, p, 1, &S);
    assert_int_equal(calls, 1);
    assert_true(S.stopped);
    assert_true(lists_valid(&s, exact) < n * K);
    vs__release(&s);
    free(exact);
    vrp_problem_free(p);
}

/* ------------------------------------------------ exhaustive enumeration */

struct enum_ctx {
    const struct vrp_problem *p;
    int *buf; /* all routes' stops, vehicle by vehicle */
    int len[8];
    bool used[16];
    int reloads_left[8];
    int64_t best;
    int best_served;
};

static void enum_eval(struct enum_ctx *c)
{
    struct vrp_seq seqs[8];
    int nr = 0, off = 0, served = 0;
    for (int v = 0; v < c->p->n_vehicles; v++) {
        if (c->len[v] > 0)
            seqs[nr++] = (struct vrp_seq){v, &c->buf[off], c->len[v]};
        for (int k = 0; k < c->len[v]; k++)
            served += c->buf[off + k] != VRP_NONE;
        off += c->len[v];
    }
    if (served < c->best_served)
        return;
    struct vrp_solution *sol = NULL;
    if (vrp_solution_from_seqs(c->p, seqs, nr, false, &sol, NULL) != 0)
        return;
    if (served > c->best_served || sol->cost < c->best) {
        c->best_served = served;
        c->best = sol->cost;
    }
    vrp_solution_free(sol);
}

/* Extend vehicle v's route (stops so far at buf[off..off+len[v])) or close
** it and move on to vehicle v + 1. */
static void enum_rec(struct enum_ctx *c, int v, int off)
{
    const struct vrp_problem *p = c->p;
    if (v == p->n_vehicles) {
        enum_eval(c);
        return;
    }
    enum_rec(c, v + 1, off + c->len[v]); /* close */
    int pos = off + c->len[v];
    for (int t = 0; t < p->n_tasks; t++) {
        if (c->used[t])
            continue;
        c->used[t] = true;
        c->buf[pos] = t;
        c->len[v]++;
        enum_rec(c, v, off);
        c->len[v]--;
        c->used[t] = false;
    }
    if (c->reloads_left[v] > 0 && c->len[v] > 0 && c->buf[pos - 1] != VRP_NONE) {
        c->reloads_left[v]--;
        c->buf[pos] = VRP_NONE;
        c->len[v]++;
        enum_rec(c, v, off);
        c->len[v]--;
        c->reloads_left[v]++;
    }
}

static int64_t enumerate_optimum(const struct vrp_problem *p, int *served)
{
    struct enum_ctx c = {.p = p, .best = INT64_MAX, .best_served = -1};
    c.buf = xcalloc(64, sizeof *c.buf);
    for (int v = 0; v < p->n_vehicles; v++)
        c.reloads_left[v] = p->vehicles[v].max_trips > 1 ? p->vehicles[v].max_trips - 1 : 0;
    enum_rec(&c, 0, 0);
    free(c.buf);
    *served = c.best_served;
    return c.best;
}

static void test_tiny_optimal(void **state)
{
    (void)state;
    const struct gen_opts cases[] = {
        {.n_tasks = 6, .n_veh = 2, .dims = 1, .seed = 3},
        {.n_tasks = 6, .n_veh = 2, .dims = 1, .tw = true, .seed = 4},
        {.n_tasks = 6, .n_veh = 2, .dims = 1, .pd = true, .tw = true, .seed = 5},
        {.n_tasks = 6, .n_veh = 2, .dims = 2, .skills = true, .seed = 6},
        {.n_tasks = 5, .n_veh = 1, .dims = 1, .trips = true, .seed = 7},
        {.n_tasks = 6, .n_veh = 3, .dims = 1, .limits = true, .rates = true, .seed = 8},
        {.n_tasks = 6, .n_veh = 2, .dims = 1, .tw = true, .setup = true, .seed = 9},
        {.n_tasks = 6, .n_veh = 2, .dims = 1, .pd = true, .tw = true, .setup = true, .seed = 10},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(cases); i++) {
        struct vrp_problem *p = gen_problem(&cases[i]);
        if (cases[i].trips) /* make reloading necessary */
            for (int v = 0; v < p->n_vehicles; v++)
                p->vehicles[v].capacity[0] = 14;
        int served;
        int64_t opt = enumerate_optimum(p, &served);
        struct vrp_params prm;
        vrp_params_default(&prm);
        prm.time_limit_s = 60;
        prm.max_iterations = 10000; /* a fixed amount of search */
        struct vrp_solution *sol = NULL;
        struct err e;
        int rc = vrp_solve(p, &prm, &sol, &e);
        if (rc)
            fail_msg("case %zu: %s", i, e.msg);
        if (p->n_tasks - sol->n_unassigned != served || sol->cost != opt)
            fail_msg("case %zu: solver %d served cost %lld, optimum %d served cost %lld", i,
                     p->n_tasks - sol->n_unassigned, (long long)sol->cost, served, (long long)opt);
        vrp_solution_free(sol);
        vrp_problem_free(p);
    }
}

/* --------------------------------------- determinism, stopping, checking */

struct trace {
    int calls_left; /* stop at this call; 0: never */
    int calls;
    int64_t last_cost;
};

static int trace_cb(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s)
{
    (void)n_unassigned;
    (void)elapsed_s;
    struct trace *t = arg;
    t->calls++;
    t->last_cost = best_cost;
    return t->calls == t->calls_left;
}

/* Solve with a budget of `iterations` (0: none) and a callback that asks to
** stop at its calls-th call (0: never). */
static struct vrp_solution *solve_traced(const struct vrp_problem *p, uint64_t seed,
                                         uint64_t iterations, int calls, struct trace *tr)
{
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = 120;
    prm.seed = seed;
    prm.max_iterations = iterations;
    memset(tr, 0, sizeof *tr);
    tr->calls_left = calls;
    prm.progress = trace_cb;
    prm.progress_arg = tr;
    struct vrp_solution *sol = NULL;
    struct err e;
    int rc = vrp_solve(p, &prm, &sol, &e);
    if (rc)
        fail_msg("solve: %s", e.msg);
    return sol;
}

static bool same_solution(const struct vrp_solution *a, const struct vrp_solution *b)
{
    if (a->cost != b->cost || a->n_routes != b->n_routes || a->n_unassigned != b->n_unassigned)
        return false;
    for (int r = 0; r < a->n_routes; r++) {
        if (a->routes[r].vehicle != b->routes[r].vehicle ||
            a->routes[r].n_steps != b->routes[r].n_steps)
            return false;
        for (int k = 0; k < a->routes[r].n_steps; k++)
            if (a->routes[r].steps[k].task != b->routes[r].steps[k].task)
                return false;
    }
    return true;
}

static struct vrp_problem *read_bench(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench/%s", RL_SHARED_DIR, rel);
    struct vrp_problem *p = NULL;
    struct err e;
    if (vrp_read_file(path, VRP_FMT_AUTO, &p, &e))
        fail_msg("%s: %s", rel, e.msg);
    return p;
}

static void check_with_checker(const struct vrp_problem *p, const struct vrp_solution *sol)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    assert_int_equal(vrp_write_json(p, sol, &sb), 0);
    struct vrp_check_report rep;
    struct err e;
    int rc = vrp_check_json(p, sb.buf, sb.len, &rep, &e);
    if (rc)
        fail_msg("check: %s", e.msg);
    if (!rep.feasible)
        fail_msg("checker: %s", rep.first_violation);
    assert_int_equal(rep.cost, sol->cost);
    strbuf_release(&sb);
}

static void test_deterministic_for_seed(void **state)
{
    (void)state;
    const char *files[] = {"cvrp-x/X-n101-k25.vrp", "solomon/RC101.txt", "pdptw/lr104.txt"};
    for (size_t i = 0; i < RL_ARRAY_LEN(files); i++) {
        struct vrp_problem *p = read_bench(files[i]);
        struct trace t1, t2, t3;
        struct vrp_solution *a = solve_traced(p, 7, 400, 0, &t1);
        struct vrp_solution *b = solve_traced(p, 7, 400, 0, &t2);
        struct vrp_solution *c = solve_traced(p, 8, 400, 0, &t3);
        assert_true(same_solution(a, b));
        assert_int_equal(a->iterations, 400);
        assert_int_equal(b->iterations, 400);
        /* the cost the search believed is the evaluator's */
        assert_int_equal(t1.last_cost, a->cost);
        assert_int_equal(t3.last_cost, c->cost);
        check_with_checker(p, a);
        check_with_checker(p, c);
        vrp_solution_free(a);
        vrp_solution_free(b);
        vrp_solution_free(c);
        vrp_problem_free(p);
    }
}

static void test_stop_request_honoured(void **state)
{
    (void)state;
    struct vrp_problem *p = read_bench("solomon/R101.txt");
    struct trace t;
    struct vrp_solution *sol = solve_traced(p, 1, 0, 1, &t);
    /* stopped at the first call (plus the closing report) */
    assert_true(t.calls <= 2);
    assert_int_equal(sol->n_unassigned, 0);
    check_with_checker(p, sol);
    vrp_solution_free(sol);
    vrp_problem_free(p);
}

/* A stop request before the search: 2,000 tasks go to the ruin-and-
** recreate search; the callback is first asked while the neighbour lists
** are built (which then stop, coarse) and the construction completes
** cheaply. Stopping at the first call must still give a complete, feasible
** plan. The first call comes while tasks are still out: before the
** construction consulted the stop request, the first call came after it,
** with nothing out. */
struct first_call {
    int calls;
    int first_unassigned;
};

static int stop_at_first(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s)
{
    (void)best_cost;
    (void)elapsed_s;
    struct first_call *f = arg;
    if (f->calls++ == 0)
        f->first_unassigned = n_unassigned;
    return 1;
}

static void test_stop_during_construction(void **state)
{
    (void)state;
    struct gen_opts o = {.n_tasks = 2000, .n_veh = 150, .dims = 1, .seed = 11};
    struct vrp_problem *p = gen_problem(&o);
    for (int v = 0; v < p->n_vehicles; v++)
        p->vehicles[v].capacity[0] = 100; /* one class; ~100 routes' worth of room */
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = 600;
    struct first_call f = {0, -1};
    prm.progress = stop_at_first;
    prm.progress_arg = &f;
    struct vrp_solution *sol = NULL;
    struct err e;
    if (vrp_solve(p, &prm, &sol, &e))
        fail_msg("solve: %s", e.msg);
    assert_true(f.first_unassigned > 0);
    assert_true(f.calls <= 2); /* the request, then the closing report */
    assert_int_equal(sol->iterations, 0);
    assert_int_equal(sol->n_unassigned, 0);
    check_with_checker(p, sol);
    vrp_solution_free(sol);
    vrp_problem_free(p);
}

/* HGS at 978 clients: a local search takes tenths of a second and the stop
** request was asked every 64 iterations, so a cancel ran on for seconds.
** It is asked by the clock now, from the search's first check and inside
** the local search: stopping at the first call ends the search within its
** first iteration, with a complete feasible plan (SISR's cheap
** construction when HGS had none yet). */
static void test_hgs_stops_within_an_iteration(void **state)
{
    (void)state;
    struct vrp_problem *p = read_bench("cvrp-x/X-n979-k58.vrp");
    struct trace t;
    struct vrp_solution *sol = solve_traced(p, 1, 0, 1, &t);
    if (sol->iterations > 1)
        fail_msg("%llu iterations after a stop request at the first call",
                 (unsigned long long)sol->iterations);
    assert_true(t.calls <= 2); /* the request, then the closing report */
    assert_int_equal(sol->n_unassigned, 0);
    check_with_checker(p, sol);
    vrp_solution_free(sol);
    /* a stop at a later call ends the search there too, whenever it comes */
    sol = solve_traced(p, 1, 0, 3, &t);
    assert_true(t.calls <= 4);
    assert_int_equal(sol->n_unassigned, 0);
    vrp_solution_free(sol);
    vrp_problem_free(p);
}

static void test_time_limit_and_feasible(void **state)
{
    (void)state;
    const char *files[] = {"cvrp-x/X-n148-k46.vrp", "solomon/C201.txt", "pdptw/lc101.txt",
                           "pdptw/lrc201.txt"};
    for (size_t i = 0; i < RL_ARRAY_LEN(files); i++) {
        struct vrp_problem *p = read_bench(files[i]);
        struct vrp_params prm;
        vrp_params_default(&prm);
        prm.time_limit_s = 0.3;
        struct vrp_solution *sol = NULL;
        struct err e;
        int rc = vrp_solve(p, &prm, &sol, &e);
        if (rc)
            fail_msg("%s: %s", files[i], e.msg);
        assert_int_equal(sol->n_unassigned, 0);
        check_with_checker(p, sol);
        print_message("%s: cost %lld in %.3f s (limit 0.3 s), %llu iterations\n", files[i],
                      (long long)sol->cost, sol->solve_s, (unsigned long long)sol->iterations);
        vrp_solution_free(sol);
        vrp_problem_free(p);
    }
}

static void test_threads(void **state)
{
    (void)state;
    struct vrp_problem *p = read_bench("solomon/RC201.txt");
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = 0.3;
    prm.threads = 2;
    struct vrp_solution *sol = NULL;
    struct err e;
    assert_int_equal(vrp_solve(p, &prm, &sol, &e), 0);
    assert_int_equal(sol->n_unassigned, 0);
    check_with_checker(p, sol);
    vrp_solution_free(sol);
    vrp_problem_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_matches_full_eval),
        cmocka_unit_test(test_hgs_moves_match_full_eval),
        cmocka_unit_test(test_neighbour_lists),
        cmocka_unit_test(test_tiny_optimal),
        cmocka_unit_test(test_deterministic_for_seed),
        cmocka_unit_test(test_stop_request_honoured),
        cmocka_unit_test(test_stop_during_construction),
        cmocka_unit_test(test_hgs_stops_within_an_iteration),
        cmocka_unit_test(test_time_limit_and_feasible),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
