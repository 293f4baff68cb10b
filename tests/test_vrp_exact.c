/* Exactness of vrp_solve on tiny instances (CVRP, VRPTW, pickup and delivery,
** skills, multi-trip, optional tasks with priorities) against an exhaustive
** enumeration, and solver answers on benchmark instances accepted by the
** independent checker at the cost the solver reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrp/vrp.h"

#define INF INT64_MAX

static uint64_t g_seed; /* instance seed, for messages */

/* ----------------------------------------------------------- instances */

struct rng {
    uint64_t s;
};
static int rnd(struct rng *r, int lo, int hi)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (int)((r->s >> 33) % (uint64_t)(hi - lo + 1));
}

/* Depot at location 0 plus one location per task, random points in
** [0,100]^2, nint Euclidean durations = distances. Tasks are jobs until
** the caller changes them. */
static struct vrp_problem *base(struct rng *r, int n_tasks, int n_veh)
{
    struct vrp_problem *p = vrp_problem_new();
    int n = n_tasks + 1;
    p->name = xstrdup("tiny");
    p->format = xstrdup("test");
    p->n_locs = n;
    double x[16], y[16];
    for (int i = 0; i < n; i++) {
        x[i] = rnd(r, 0, 100);
        y[i] = rnd(r, 0, 100);
    }
    p->matrices = xcalloc(1, sizeof *p->matrices);
    p->n_matrices = 1;
    p->matrices[0].dur = xcalloc((size_t)(n * n), sizeof(int64_t));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            p->matrices[0].dur[i * n + j] = (int64_t)floor(
                sqrt((x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j])) + 0.5);
    p->matrices[0].dist = p->matrices[0].dur;
    p->n_tasks = n_tasks;
    p->tasks = xcalloc((size_t)n_tasks, sizeof *p->tasks);
    for (int i = 0; i < n_tasks; i++) {
        p->tasks[i].id = i + 1;
        p->tasks[i].kind = VRP_JOB;
        p->tasks[i].loc = i + 1;
        p->tasks[i].pair = VRP_NONE;
    }
    p->n_vehicles = n_veh;
    p->vehicles = xcalloc((size_t)n_veh, sizeof *p->vehicles);
    for (int v = 0; v < n_veh; v++) {
        p->vehicles[v].id = v + 1;
        p->vehicles[v].start = p->vehicles[v].end = 0;
        p->vehicles[v].tw = (struct vrp_tw){0, INT64_MAX};
        p->vehicles[v].max_trips = 1;
    }
    return p;
}

static void set_tw(struct vrp_task *t, int64_t a, int64_t b)
{
    t->tw = xmalloc(sizeof *t->tw);
    t->tw[0] = (struct vrp_tw){a, b};
    t->n_tw = 1;
}

static void pair(struct vrp_problem *p, int a, int b, int64_t amount)
{
    p->tasks[a].kind = VRP_PICKUP;
    p->tasks[a].pair = b;
    p->tasks[a].pickup[0] = amount;
    p->tasks[b].kind = VRP_DELIVERY;
    p->tasks[b].pair = a;
    p->tasks[b].delivery[0] = amount;
}

/* ---------------------------------------------------------- enumerator */

static int64_t route_cost(const struct vrp_problem *p, int v, const int *seq, int n)
{
    struct vrp_seq sq = {v, seq, n};
    struct vrp_solution *s = NULL;
    if (vrp_solution_from_seqs(p, &sq, 1, false, &s, NULL))
        return INF;
    int64_t c = s->n_routes ? s->routes[0].cost : 0;
    vrp_solution_free(s);
    return c;
}

static bool next_perm(int *a, int n)
{
    int i = n - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = n - 1;
    while (a[j] <= a[i])
        j--;
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (int l = i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

/* Cheapest feasible route of vehicle v over exactly the tasks in mask, all
** orders and (for multi-trip vehicles) all reload placements. */
static int64_t best_route(const struct vrp_problem *p, int v, unsigned mask, int *best_seq,
                          int *best_n)
{
    *best_n = 0;
    int ids[16], k = 0;
    for (int i = 0; i < p->n_tasks; i++)
        if (mask & (1u << i))
            ids[k++] = i;
    if (k == 0)
        return 0;
    int trips = p->vehicles[v].max_trips > 1 ? p->vehicles[v].max_trips : 1;
    int64_t best = INF;
    do {
        for (unsigned gaps = 0; gaps < (1u << (k - 1)); gaps++) {
            if (__builtin_popcount(gaps) > trips - 1)
                continue;
            int seq[32], n = 0;
            for (int i = 0; i < k; i++) {
                seq[n++] = ids[i];
                if (i < k - 1 && (gaps & (1u << i)))
                    seq[n++] = VRP_NONE;
            }
            int64_t c = route_cost(p, v, seq, n);
            if (c < best) {
                best = c;
                memcpy(best_seq, seq, sizeof(int) * (size_t)n);
                *best_n = n;
            }
        }
    } while (next_perm(ids, k));
    return best;
}

struct opt {
    int64_t missed; /* sum of 1 + priority over mandatory tasks left out */
    int64_t cost;   /* with penalties of optional tasks left out */
};

static struct opt enumerate(const struct vrp_problem *p)
{
    int n = p->n_tasks;
    unsigned full = 1u << n;
    int nv = p->n_vehicles;
    /* f[v][s]: cheapest way for vehicles 0..v-1 to serve exactly s */
    int64_t *f = xmalloc(sizeof(int64_t) * full * (size_t)(nv + 1));
    unsigned *choice = xmalloc(sizeof(unsigned) * full * (size_t)nv);
    int64_t *rc = xmalloc(sizeof(int64_t) * full * (size_t)nv);
    int *rseq = xmalloc(sizeof(int) * 32 * full * (size_t)nv);
    int *rlen = xmalloc(sizeof(int) * full * (size_t)nv);
    for (unsigned s = 0; s < full; s++)
        f[s] = s ? INF : 0;
    for (int v = 0; v < nv; v++) {
        /* vehicles differing only in id have the same route table */
        struct vrp_vehicle a = p->vehicles[v], b = v ? p->vehicles[v - 1] : a;
        a.id = b.id = 0;
        bool same = v > 0 && memcmp(&a, &b, sizeof a) == 0;
        int64_t *R = &rc[full * (size_t)v];
        for (unsigned s = 0; s < full; s++) {
            int *sq = &rseq[32 * (full * (size_t)v + s)];
            int *ln = &rlen[full * (size_t)v + s];
            if (same) {
                R[s] = rc[full * (size_t)(v - 1) + s];
                *ln = rlen[full * (size_t)(v - 1) + s];
                memcpy(sq, &rseq[32 * (full * (size_t)(v - 1) + s)], sizeof(int) * 32);
            } else {
                R[s] = best_route(p, v, s, sq, ln);
            }
        }
        const int64_t *F = &f[full * (size_t)v];
        int64_t *G = &f[full * (size_t)(v + 1)];
        for (unsigned s = 0; s < full; s++) {
            int64_t best = INF;
            unsigned bt = 0;
            for (unsigned t = s;; t = (t - 1) & s) { /* t: this vehicle's tasks */
                if (R[t] != INF && F[s & ~t] != INF && F[s & ~t] + R[t] < best) {
                    best = F[s & ~t] + R[t];
                    bt = t;
                }
                if (t == 0)
                    break;
            }
            G[s] = best;
            choice[full * (size_t)v + s] = bt;
        }
    }
    const int64_t *FN = &f[full * (size_t)nv];
    struct opt o = {INF, INF};
    unsigned best_s = 0;
    for (unsigned s = 0; s < full; s++) {
        if (FN[s] == INF)
            continue;
        int64_t missed = 0, cost = FN[s];
        for (int i = 0; i < n; i++) {
            if (s & (1u << i))
                continue;
            if (p->tasks[i].optional)
                cost += p->tasks[i].penalty;
            else
                missed += 1 + p->tasks[i].priority;
        }
        if (missed < o.missed || (missed == o.missed && cost < o.cost)) {
            o = (struct opt){missed, cost};
            best_s = s;
        }
    }
    /* Rebuild the optimal plan and make sure the evaluator agrees with the
    ** enumeration as a whole (routes combined, unassigned penalties). */
    if (o.cost != INF) {
        struct vrp_seq *seqs = xcalloc((size_t)nv, sizeof *seqs);
        unsigned s = best_s;
        for (int v = nv - 1; v >= 0; v--) {
            unsigned t = choice[full * (size_t)v + s];
            seqs[v].vehicle = v;
            seqs[v].tasks = &rseq[32 * (full * (size_t)v + t)];
            seqs[v].n = rlen[full * (size_t)v + t];
            s &= ~t;
        }
        struct vrp_solution *sol = NULL;
        struct err e = {0};
        if (vrp_solution_from_seqs(p, seqs, nv, false, &sol, &e))
            fail_msg("enumerated optimum rejected: %s", e.msg);
        assert_int_equal(sol->cost, o.cost);
        if (getenv("VRP_EXACT_SHOW")) {
            for (int v = 0; v < nv; v++) {
                fprintf(stderr, "  optimum vehicle %d:", v + 1);
                for (int i = 0; i < seqs[v].n; i++)
                    fprintf(stderr, " %d",
                            seqs[v].tasks[i] < 0 ? -1 : (int)p->tasks[seqs[v].tasks[i]].id);
                fprintf(stderr, "\n");
            }
        }
        vrp_solution_free(sol);
        free(seqs);
    }
    free(f);
    free(choice);
    free(rc);
    free(rseq);
    free(rlen);
    return o;
}

/* ---------------------------------------------------- solve and compare */

static void check_solution(const struct vrp_problem *p, const struct vrp_solution *s)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    assert_int_equal(vrp_write_json(p, s, &sb), 0);
    struct vrp_check_report rep;
    struct err e = {0};
    if (vrp_check_json(p, sb.buf, sb.len, &rep, &e))
        fail_msg("%s: checker could not read the solution: %s", p->name, e.msg);
    if (!rep.feasible)
        fail_msg("%s: checker rejects the solver's answer: %s", p->name, rep.first_violation);
    if (rep.cost != s->cost)
        fail_msg("%s: solver reports %lld, checker recomputes %lld", p->name, (long long)s->cost,
                 (long long)rep.cost);
    assert_int_equal(rep.n_unassigned, s->n_unassigned);
    strbuf_release(&sb);
}

static void solve_matches(struct vrp_problem *p, const char *what)
{
    struct err e = {0};
    if (vrp_problem_validate(p, &e))
        fail_msg("%s: bad test instance: %s", what, e.msg);
    struct opt o = enumerate(p);
    assert_true(o.cost != INF);
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = getenv("VRP_EXACT_LIMIT") ? atof(getenv("VRP_EXACT_LIMIT")) : 0.3;
    prm.seed = 1;
    prm.threads = 1;
    struct vrp_solution *s = NULL;
    if (vrp_solve(p, &prm, &s, &e))
        fail_msg("%s: vrp_solve: %s", what, e.msg);
    int64_t missed = 0;
    for (int i = 0; i < s->n_unassigned; i++) {
        const struct vrp_task *t = &p->tasks[s->unassigned[i]];
        if (!t->optional)
            missed += 1 + t->priority;
    }
    if (missed != o.missed || s->cost != o.cost)
        fail_msg(
            "%s (seed %llu): solver (missed %lld, cost %lld) != optimum (missed %lld, cost %lld)",
            what, (unsigned long long)g_seed, (long long)missed, (long long)s->cost,
            (long long)o.missed, (long long)o.cost);
    check_solution(p, s);
    vrp_solution_free(s);
    vrp_problem_free(p);
}

static void test_cvrp(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        int n = seed == 1 ? 8 : 7; /* one 8-task case; 7 keeps the ASan pass short */
        struct vrp_problem *p = base(&r, n, 3);
        for (int i = 0; i < n; i++)
            p->tasks[i].delivery[0] = rnd(&r, 1, 6);
        for (int v = 0; v < 3; v++)
            p->vehicles[v].capacity[0] = 12;
        solve_matches(p, "cvrp");
    }
}

static void test_vrptw(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 13; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        struct vrp_problem *p = base(&r, 7, 3);
        for (int i = 0; i < 7; i++) {
            struct vrp_task *t = &p->tasks[i];
            t->delivery[0] = rnd(&r, 1, 6);
            t->service = 10;
            int64_t a = rnd(&r, 0, 200);
            set_tw(t, a, a + rnd(&r, 20, 80));
        }
        for (int v = 0; v < 3; v++) {
            p->vehicles[v].capacity[0] = 15;
            p->vehicles[v].tw = (struct vrp_tw){0, 450};
        }
        solve_matches(p, "vrptw");
    }
}

static void test_pickup_delivery(void **state)
{
    (void)state;
    for (uint64_t seed = 21; seed <= 23; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        struct vrp_problem *p = base(&r, 7, 2);
        pair(p, 0, 1, rnd(&r, 3, 6));
        pair(p, 2, 3, rnd(&r, 3, 6));
        pair(p, 4, 5, rnd(&r, 3, 6));
        p->tasks[6].pickup[0] = 2; /* a job bringing something back */
        for (int i = 0; i < 7; i++) {
            p->tasks[i].service = 5;
            if (i % 2 == 1)
                set_tw(&p->tasks[i], 0, rnd(&r, 150, 300));
        }
        for (int v = 0; v < 2; v++)
            p->vehicles[v].capacity[0] = 9;
        solve_matches(p, "pickup-delivery");
    }
}

static void test_skills(void **state)
{
    (void)state;
    for (uint64_t seed = 31; seed <= 33; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        struct vrp_problem *p = base(&r, 7, 3);
        p->n_skills = 0;
        for (int i = 0; i < 7; i++) {
            p->tasks[i].delivery[0] = rnd(&r, 1, 5);
            p->tasks[i].skills = (uint64_t)rnd(&r, 0, 3) & 3; /* none, a, b, both */
        }
        static const uint64_t vs[3] = {1, 2, 3};
        for (int v = 0; v < 3; v++) {
            p->vehicles[v].capacity[0] = 14;
            p->vehicles[v].skills = vs[v];
            p->vehicles[v].fixed_cost = 10 * v;
        }
        solve_matches(p, "skills");
    }
}

static void test_multi_trip(void **state)
{
    (void)state;
    for (uint64_t seed = 41; seed <= 43; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        struct vrp_problem *p = base(&r, 6, 2);
        for (int i = 0; i < 6; i++) {
            p->tasks[i].delivery[0] = rnd(&r, 3, 6);
            p->tasks[i].service = 5;
        }
        p->vehicles[0].capacity[0] = 10;
        p->vehicles[0].max_trips = 3;
        p->vehicles[0].reload_time = 10;
        p->vehicles[1].capacity[0] = 8;
        p->vehicles[1].max_trips = 2;
        p->vehicles[1].reload_time = 20;
        p->vehicles[1].fixed_cost = 60;
        solve_matches(p, "multi-trip");
    }
}

static void test_optional_priority(void **state)
{
    (void)state;
    for (uint64_t seed = 51; seed <= 53; seed++) {
        struct rng r = {seed};
        g_seed = seed;
        struct vrp_problem *p = base(&r, 7, 2);
        for (int i = 0; i < 7; i++) {
            struct vrp_task *t = &p->tasks[i];
            t->delivery[0] = rnd(&r, 3, 5);
            if (i < 3) {
                t->optional = true;
                t->penalty = rnd(&r, 20, 150);
            } else {
                t->priority = rnd(&r, 0, 3);
            }
        }
        /* room for about 5 of the 7 */
        for (int v = 0; v < 2; v++)
            p->vehicles[v].capacity[0] = 10;
        solve_matches(p, "optional");
    }
}

/* ----------------------------------------------------------- benchmarks */

static void bench_instance(const char *rel, double limit)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench/%s", RL_SHARED_DIR, rel);
    struct vrp_problem *p = NULL;
    struct err e = {0};
    if (vrp_read_file(path, VRP_FMT_AUTO, &p, &e))
        fail_msg("%s", e.msg);
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = limit;
    prm.seed = 1;
    struct vrp_solution *s = NULL;
    if (vrp_solve(p, &prm, &s, &e))
        fail_msg("%s: %s", rel, e.msg);
    if (s->n_unassigned)
        fail_msg("%s: %d tasks unassigned", rel, s->n_unassigned);
    free(p->name);
    p->name = xstrdup(rel);
    check_solution(p, s);
    /* the printed summary cost is the engine cost divided by the scale */
    struct strbuf sb;
    strbuf_init(&sb, 0);
    vrp_write_json(p, s, &sb);
    struct json_object *root = NULL, *summary;
    double cost;
    assert_int_equal(rjson_parse(sb.buf, sb.len, &root, &e), 0);
    assert_int_equal(rjson_get_obj(root, "summary", true, &summary, &e), 0);
    assert_int_equal(rjson_get_double(summary, "cost", true, &cost, &e), 0);
    assert_true(fabs(cost * (double)p->scale - (double)s->cost) < 0.5);
    json_object_put(root);
    strbuf_release(&sb);
    vrp_solution_free(s);
    vrp_problem_free(p);
}

static void test_bench_cvrp(void **state)
{
    (void)state;
    bench_instance("cvrp-x/X-n101-k25.vrp", 1.0);
    bench_instance("cvrp-x/X-n148-k46.vrp", 1.0);
}

static void test_bench_solomon(void **state)
{
    (void)state;
    bench_instance("solomon/C101.txt", 0.5);
    bench_instance("solomon/R101.txt", 0.5);
    bench_instance("solomon/RC201.txt", 0.5);
}

static void test_bench_pdptw(void **state)
{
    (void)state;
    bench_instance("pdptw/lc101.txt", 0.5);
    bench_instance("pdptw/lr201.txt", 0.5);
    bench_instance("pdptw/lrc104.txt", 0.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvrp),
        cmocka_unit_test(test_vrptw),
        cmocka_unit_test(test_pickup_delivery),
        cmocka_unit_test(test_skills),
        cmocka_unit_test(test_multi_trip),
        cmocka_unit_test(test_optional_priority),
        cmocka_unit_test(test_bench_cvrp),
        cmocka_unit_test(test_bench_solomon),
        cmocka_unit_test(test_bench_pdptw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
