/* Tests for src/site: OR-Library reader, p-median and facility location
** against exhaustive enumeration, the known optima of pmed1-pmed5, and
** hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site/site.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static struct site_problem *random_problem(uint64_t seed, int nc, int ns)
{
    struct site_problem *p = site_problem_new(nc, ns);
    double cx[64], cy[64], sx[64], sy[64];
    for (int i = 0; i < nc; i++)
        cx[i] = (double)(lcg(&seed) % 1000), cy[i] = (double)(lcg(&seed) % 1000);
    for (int j = 0; j < ns; j++)
        sx[j] = (double)(lcg(&seed) % 1000), sy[j] = (double)(lcg(&seed) % 1000);
    p->demand = xmalloc((size_t)nc * sizeof *p->demand);
    for (int i = 0; i < nc; i++) {
        p->demand[i] = 1 + (int64_t)(lcg(&seed) % 9);
        for (int j = 0; j < ns; j++) {
            double dx = cx[i] - sx[j], dy = cy[i] - sy[j];
            p->dist[i * ns + j] = (int64_t)(dx * dx + dy * dy) / 100 + (int64_t)(dx > 0 ? dx : -dx);
        }
    }
    return p;
}

/* Best cost over every subset of sites (size p when p > 0). */
static int64_t brute_force(const struct site_problem *p)
{
    int64_t best = INT64_MAX;
    int open[32];
    for (uint32_t mask = 1; mask < (1u << p->n_sites); mask++) {
        int n = 0;
        for (int j = 0; j < p->n_sites; j++)
            if (mask & (1u << j))
                open[n++] = j;
        if (p->p > 0 && n != p->p)
            continue;
        int64_t c;
        if (site_evaluate(p, open, n, &c, NULL) == 0 && c < best)
            best = c;
    }
    return best;
}

static void test_pmedian_matches_enumeration(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        struct site_problem *p = random_problem(seed, 30, 12);
        p->p = 2 + (int)(seed % 4);
        struct site_params prm;
        site_params_default(&prm);
        prm.exact = seed % 2 == 0; /* both paths: heuristic alone and with GLPK */
        prm.seed = seed;
        struct site_solution *s;
        struct err e;
        assert_int_equal(site_solve(p, &prm, &s, &e), 0);
        assert_int_equal(s->n_open, p->p);
        assert_int_equal(s->cost, brute_force(p));
        int64_t check;
        assert_int_equal(site_evaluate(p, s->open, s->n_open, &check, &e), 0);
        assert_int_equal(check, s->cost);
        site_solution_free(s);
        site_problem_free(p);
    }
}

static void test_facility_location_matches_enumeration(void **state)
{
    (void)state;
    for (uint64_t seed = 11; seed <= 14; seed++) {
        struct site_problem *p = random_problem(seed, 25, 10);
        p->fixed_cost = xmalloc(10 * sizeof *p->fixed_cost);
        for (int j = 0; j < 10; j++)
            p->fixed_cost[j] = 500 + (int64_t)(lcg(&seed) % 3000);
        struct site_params prm;
        site_params_default(&prm);
        prm.exact = false;
        struct site_solution *s;
        struct err e;
        assert_int_equal(site_solve(p, &prm, &s, &e), 0);
        /* Local search is a heuristic: allow it no slack on these small cases,
        ** where add/drop/swap reaches the optimum. */
        assert_int_equal(s->cost, brute_force(p));
        site_solution_free(s);
        site_problem_free(p);
    }
}

static void test_capacities_respected(void **state)
{
    (void)state;
    uint64_t seed = 21;
    struct site_problem *p = random_problem(seed, 20, 6);
    p->fixed_cost = xcalloc(6, sizeof *p->fixed_cost);
    p->capacity = xmalloc(6 * sizeof *p->capacity);
    int64_t total = 0;
    for (int i = 0; i < 20; i++)
        total += p->demand[i];
    for (int j = 0; j < 6; j++)
        p->capacity[j] = total / 3 + 1;
    struct site_solution *s;
    struct err e;
    assert_int_equal(site_solve(p, NULL, &s, &e), 0);
    int64_t load[6] = {0};
    for (int i = 0; i < 20; i++)
        load[s->assign[i]] += p->demand[i];
    for (int j = 0; j < 6; j++)
        assert_true(load[j] <= p->capacity[j]);
    assert_true(s->n_open >= 3);
    site_solution_free(s);
    for (int j = 0; j < 6; j++)
        p->capacity[j] = 1; /* cannot hold the demand */
    assert_int_equal(site_solve(p, NULL, &s, &e), ERR_INFEASIBLE);
    site_problem_free(p);
}

static void test_forced_site_stays_open(void **state)
{
    (void)state;
    struct site_problem *p = random_problem(31, 30, 12);
    p->p = 3;
    p->forced_open = xcalloc(12, sizeof *p->forced_open);
    p->forced_open[7] = true;
    struct site_solution *s;
    struct err e;
    assert_int_equal(site_solve(p, NULL, &s, &e), 0);
    bool found = false;
    for (int k = 0; k < s->n_open; k++)
        found |= s->open[k] == 7;
    assert_true(found);
    site_solution_free(s);
    site_problem_free(p);
}

static void test_orlib_optima(void **state)
{
    (void)state;
    static const int64_t optimum[] = {5819, 4093, 4250, 3034, 1355}; /* optimal.csv */
    for (int i = 1; i <= 5; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/bench/pmed/pmed%d.txt", RL_SHARED_DIR, i);
        struct site_problem *p;
        struct err e;
        assert_int_equal(site_read_file(path, &p, &e), 0);
        struct site_solution *s;
        assert_int_equal(site_solve(p, NULL, &s, &e), 0);
        assert_int_equal(s->cost, optimum[i - 1]);
        site_solution_free(s);
        site_problem_free(p);
    }
}

static void expect_bad(const char *text, const char *needle)
{
    struct site_problem *p = NULL;
    struct err e = {0};
    assert_int_not_equal(site_read_orlib(text, strlen(text), &p, &e), 0);
    assert_null(p);
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_reader_rejects_bad_files(void **state)
{
    (void)state;
    expect_bad("", "header");
    expect_bad("3 2", "header");
    expect_bad("3 2 1\n1 2 5\n", "ends after 1 of 2");
    expect_bad("3 2 1\n1 2 5\n2 4 5\n", "out of range");
    expect_bad("3 2 1\n1 2 5\n2 3 -5\n", "out of range");
    expect_bad("3 2 1\n1 2 5\n2 x 5\n", "expected an edge");
    expect_bad("3 1 1\n1 2 5\n", "not connected");
    expect_bad("3 2 4\n1 2 5\n2 3 5\n", "p = 4");
    expect_bad("999999999 2 1\n", "outside");
    expect_bad("3 2 1\n1 2 5\n2 3 5\n9 9 9\n", "more data");
    expect_bad("3 2 1\n1 2 5\n2 3 1e5\n", "expected an edge");
}

static void test_reader_last_duplicate_edge_wins(void **state)
{
    (void)state;
    const char *text = "3 3 1\n1 2 50\n2 3 5\n1 2 7\n";
    struct site_problem *p;
    struct err e;
    assert_int_equal(site_read_orlib(text, strlen(text), &p, &e), 0);
    assert_int_equal(p->dist[0 * 3 + 1], 7);
    assert_int_equal(p->dist[0 * 3 + 2], 12);
    site_problem_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pmedian_matches_enumeration),
        cmocka_unit_test(test_facility_location_matches_enumeration),
        cmocka_unit_test(test_capacities_respected),
        cmocka_unit_test(test_forced_site_stays_open),
        cmocka_unit_test(test_orlib_optima),
        cmocka_unit_test(test_reader_rejects_bad_files),
        cmocka_unit_test(test_reader_last_duplicate_edge_wins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
