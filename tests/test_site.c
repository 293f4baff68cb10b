/* Tests for src/site: OR-Library reader, p-median and facility location
** against exhaustive enumeration, the known optima of pmed1-pmed5, the edge
** values of p (1, n - 1, n), time limits beyond GLPK's int milliseconds, and
** hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rl_server.h"

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

/* The solver must return on these; before the fix p = 1 swapped round a
** cycle forever inside the local search, which never looked at its deadline. The alarm turns such
** a hang into a failed (killed) test instead of one that waits for CTest's
** timeout; it is a watchdog far above the solver's own limit, not a check of
** how fast the solver is. */
#define WATCHDOG_S 120

static struct site_solution *solve_quick(const struct site_problem *p, bool exact)
{
    struct site_params prm;
    site_params_default(&prm);
    prm.exact = exact;
    prm.time_limit_s = 1;
    struct site_solution *s = NULL;
    struct err e = {0};
    alarm(WATCHDOG_S);
    int rc = site_solve(p, &prm, &s, &e);
    alarm(0);
    if (rc)
        fail_msg("site_solve: %s", e.msg);
    return s;
}

/* p = 1 is the 1-median: the vertex with the least total distance. On the
** path 1 - 2 - 3 that is vertex 2 (index 1) at cost 1 + 0 + 1. */
static void test_pmedian_p1_path(void **state)
{
    (void)state;
    const char *text = "3 2 1\n1 2 1\n2 3 1\n";
    struct site_problem *p;
    struct err e;
    assert_int_equal(site_read_orlib(text, strlen(text), &p, &e), 0);
    for (int exact = 0; exact <= 1; exact++) {
        struct site_solution *s = solve_quick(p, exact);
        assert_int_equal(s->n_open, 1);
        assert_int_equal(s->open[0], 1);
        assert_int_equal(s->cost, 2);
        site_solution_free(s);
    }
    site_problem_free(p);
}

/* p = 1, n - 1 and n on random cases against enumeration, heuristic alone
** (the path that hung) and with GLPK. */
static void test_pmedian_edge_p_matches_enumeration(void **state)
{
    (void)state;
    for (uint64_t seed = 41; seed <= 46; seed++) {
        const int ns = 12, ps[] = {1, ns - 1, ns};
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            struct site_problem *p = random_problem(seed, 30, ns);
            p->p = ps[k];
            struct site_solution *s = solve_quick(p, seed % 2 == 0);
            assert_int_equal(s->n_open, p->p);
            assert_int_equal(s->cost, brute_force(p));
            site_solution_free(s);
            site_problem_free(p);
        }
    }
}

/* pmed1's graph (100 vertices) with p = 1, checked against the least
** row sum of its distance matrix. */
static void test_pmedian_p1_orlib(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/bench/pmed/pmed1.txt", RL_SHARED_DIR);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    assert_true(len > 0 && len < sizeof buf - 1);
    buf[len] = '\0';
    /* Rewrite the header "n m p" as "n m 1", keeping the rest of the file. */
    char *eol = strchr(buf, '\n');
    assert_non_null(eol);
    int n, m;
    assert_int_equal(sscanf(buf, "%d %d", &n, &m), 2);
    static char text[sizeof buf + 64];
    int head = snprintf(text, sizeof text, "%d %d 1", n, m);
    memcpy(text + head, eol, len - (size_t)(eol - buf) + 1);
    struct site_problem *p;
    struct err e;
    assert_int_equal(site_read_orlib(text, strlen(text), &p, &e), 0);
    assert_int_equal(p->p, 1);
    int64_t best = INT64_MAX;
    for (int j = 0; j < p->n_sites; j++) {
        int64_t c = 0;
        for (int i = 0; i < p->n_clients; i++)
            c += p->dist[i * p->n_sites + j];
        if (c < best)
            best = c;
    }
    for (int exact = 0; exact <= 1; exact++) {
        struct site_solution *s = solve_quick(p, exact);
        assert_int_equal(s->n_open, 1);
        assert_int_equal(s->cost, best); /* any vertex tied with the best is as good */
        site_solution_free(s);
    }
    site_problem_free(p);
}

/* A time limit whose milliseconds overflow an int (GLPK's tm_lim) made GLPK
** abort the process; the library clamps it for every caller. */
static void test_huge_time_limit_reaches_glpk_clamped(void **state)
{
    (void)state;
    struct site_problem *p = random_problem(51, 30, 12);
    p->p = 3;
    struct site_params prm;
    site_params_default(&prm);
    prm.exact = true;
    prm.time_limit_s = 1e7; /* 1e10 ms */
    struct site_solution *s;
    struct err e;
    assert_int_equal(site_solve(p, &prm, &s, &e), 0);
    assert_int_equal(s->cost, brute_force(p));
    assert_true(s->optimal);
    site_solution_free(s);
    site_problem_free(p);
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

#ifdef RL_BIN
static bool file_has(const char *path, const char *needle)
{
    char buf[1024] = {0};
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

static void test_cli(void **state)
{
    (void)state;
    char prob[64], out[64], err[64], cmd[512];
    snprintf(prob, sizeof prob, "site-%d-p1.txt", (int)getpid());
    snprintf(out, sizeof out, "site-%d-out.json", (int)getpid());
    snprintf(err, sizeof err, "site-%d-err.txt", (int)getpid());
    assert_int_equal(ts_put(prob, "3 2 1\n1 2 1\n2 3 1\n"), 0);
    /* p = 1 answers (it used to spin); vertex 2 is the 1-median. timeout(1)
    ** is the watchdog here: an alarm in this process would leave a hung
    ** child spinning. */
    snprintf(cmd, sizeof cmd, "timeout %d %s site solve %s --time-limit 1 --no-exact >%s",
             WATCHDOG_S, RL_BIN, prob, out);
    assert_int_equal(ts_sh(cmd), 0);
    assert_true(file_has(out, "\"medians\":[2]"));
    /* A limit whose milliseconds overflow GLPK's int is refused up front
    ** (exit 2, saying why) instead of aborting inside GLPK. */
    snprintf(cmd, sizeof cmd, "%s site solve %s --time-limit 1e7 >%s 2>%s", RL_BIN, prob, out, err);
    assert_int_equal(ts_sh(cmd), 2);
    if (!file_has(err, "--time-limit"))
        fail_msg("no message about --time-limit on stderr");
    /* The bound itself is accepted. */
    snprintf(cmd, sizeof cmd, "%s site solve %s --time-limit 1e6 >/dev/null", RL_BIN, prob);
    assert_int_equal(ts_sh(cmd), 0);
    unlink(prob);
    unlink(out);
    unlink(err);
}
#endif

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
        cmocka_unit_test(test_pmedian_p1_path),
        cmocka_unit_test(test_pmedian_edge_p_matches_enumeration),
        cmocka_unit_test(test_pmedian_p1_orlib),
        cmocka_unit_test(test_huge_time_limit_reaches_glpk_clamped),
#ifdef RL_BIN
        cmocka_unit_test(test_cli),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
