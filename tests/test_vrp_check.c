/* Tests for vrp_check_json and `ruralink route check`: one crafted
** infeasible solution per constraint, each rejected with its own message;
** feasible ones accepted with the cost worked out by hand; required tasks
** left out counted, and failing `route check`; a solution's `unassigned`
** list checked against its routes; a missing cost reported as not compared. */
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

#include "vrp/vrp.h"

/*
** Six places on a line, 10 s and 100 m apart. Cost = travel seconds (VROOM's
** default per_hour 3600).
**   vehicle 1: capacity 10, skill 1          vehicle 2: max_tasks 2, max_travel_time 60
**   vehicle 3: capacity 5, 2 trips, reload 5  vehicle 4: shift [0, 50]
**   vehicle 5: max_distance 300
**   jobs 1-5 at places 1-5 (deliveries 4,4,4,1,1; job 3 window [0,25]; job 4
**   needs skill 1), job 6 at place 1 optional with penalty 7, shipment 10
**   from place 1 to place 2 (amount 2).
*/
static struct vrp_problem *problem(void)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addstr(&sb,
                  "{\"vehicles\":["
                  "{\"id\":1,\"start_index\":0,\"end_index\":0,\"capacity\":[10],\"skills\":[1]},"
                  "{\"id\":2,\"start_index\":0,\"end_index\":0,\"capacity\":[10],\"max_tasks\":2,"
                  "\"max_travel_time\":60},"
                  "{\"id\":3,\"start_index\":0,\"end_index\":0,\"capacity\":[5],\"max_trips\":2,"
                  "\"reload_time\":5},"
                  "{\"id\":4,\"start_index\":0,\"end_index\":0,\"capacity\":[10],"
                  "\"time_window\":[0,50]},"
                  "{\"id\":5,\"start_index\":0,\"end_index\":0,\"capacity\":[10],"
                  "\"max_distance\":300}],"
                  "\"jobs\":["
                  "{\"id\":1,\"location_index\":1,\"delivery\":[4]},"
                  "{\"id\":2,\"location_index\":2,\"delivery\":[4]},"
                  "{\"id\":3,\"location_index\":3,\"delivery\":[4],\"time_windows\":[[0,25]]},"
                  "{\"id\":4,\"location_index\":4,\"delivery\":[1],\"skills\":[1]},"
                  "{\"id\":5,\"location_index\":5,\"delivery\":[1]},"
                  "{\"id\":6,\"location_index\":1,\"delivery\":[0],\"optional\":true,"
                  "\"penalty\":7}],"
                  "\"shipments\":[{\"pickup\":{\"id\":10,\"location_index\":1},"
                  "\"delivery\":{\"id\":10,\"location_index\":2},\"amount\":[2]}],"
                  "\"matrices\":{\"car\":{\"durations\":[");
    for (int k = 0; k < 2; k++) {
        if (k)
            strbuf_addstr(&sb, "],\"distances\":[");
        for (int i = 0; i < 6; i++) {
            strbuf_addstr(&sb, i ? ",[" : "[");
            for (int j = 0; j < 6; j++)
                strbuf_addf(&sb, "%s%d", j ? "," : "", abs(i - j) * (k ? 100 : 10));
            strbuf_addch(&sb, ']');
        }
    }
    strbuf_addstr(&sb, "]}}}");
    struct vrp_problem *p = NULL;
    struct err e = {0};
    if (vrp_read(sb.buf, sb.len, VRP_FMT_VROOM, &p, &e))
        fail_msg("%s", e.msg);
    strbuf_release(&sb);
    return p;
}

/* "1:j1,j2;3:p10,r,d10" -> a VROOM-shaped solution document. */
static void solution(const char *spec, struct strbuf *sb)
{
    strbuf_addstr(sb, "{\"code\":0,\"routes\":[");
    const char *s = spec;
    bool first_route = true;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        assert_true(*end == ':');
        s = end + 1;
        strbuf_addf(sb, "%s{\"vehicle\":%ld,\"steps\":[{\"type\":\"start\"}",
                    first_route ? "" : ",", v);
        first_route = false;
        while (*s && *s != ';') {
            char kind = *s++;
            long id = strtol(s, &end, 10);
            s = end;
            const char *type = kind == 'j'   ? "job"
                               : kind == 'p' ? "pickup"
                               : kind == 'd' ? "delivery"
                               : kind == 'r' ? "reload"
                                             : "break";
            if (kind == 'r')
                strbuf_addstr(sb, ",{\"type\":\"reload\"}");
            else
                strbuf_addf(sb, ",{\"type\":\"%s\",\"id\":%ld}", type, id);
            if (*s == ',')
                s++;
        }
        strbuf_addstr(sb, ",{\"type\":\"end\"}]}");
        if (*s == ';')
            s++;
    }
    strbuf_addstr(sb, "]}");
}

static void check(const struct vrp_problem *p, const char *spec, struct vrp_check_report *rep)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    solution(spec, &sb);
    struct err e = {0};
    int rc = vrp_check_json(p, sb.buf, sb.len, rep, &e);
    if (rc)
        fail_msg("%s: %s", spec, e.msg);
    strbuf_release(&sb);
}

static void accepts(const struct vrp_problem *p, const char *spec, int64_t cost)
{
    struct vrp_check_report rep;
    check(p, spec, &rep);
    if (!rep.feasible)
        fail_msg("%s rejected: %s", spec, rep.first_violation);
    if (rep.cost != cost)
        fail_msg("%s: cost %lld, expected %lld", spec, (long long)rep.cost, (long long)cost);
}

static void rejects(const struct vrp_problem *p, const char *spec, const char *needle)
{
    struct vrp_check_report rep;
    check(p, spec, &rep);
    if (rep.feasible)
        fail_msg("%s accepted, expected '%s'", spec, needle);
    if (!strstr(rep.first_violation, needle))
        fail_msg("%s: '%s' does not mention '%s'", spec, rep.first_violation, needle);
}

static void test_feasible(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    /* 0-1-2-4-0: 10+10+20+40 = 80, job 6 left out: +7 */
    accepts(p, "1:j1,j2,j4", 87);
    /* job 6 served: 0-1-1-0 = 20 */
    accepts(p, "1:j6,j1", 20 + 0);
    /* multi-trip: 0-1-0 reload 0-2-0: 10+10+20+20 = 60 (+7) */
    accepts(p, "3:j1,r,j2", 67);
    /* shipment: 0-1-2-0 = 40 (+7) */
    accepts(p, "1:p10,d10", 47);
    /* nothing routed: only the penalty */
    accepts(p, "", 7);
    struct vrp_check_report rep;
    check(p, "1:j1,j2,j4;3:j5", &rep);
    assert_true(rep.feasible);
    assert_int_equal(rep.n_routes, 2);
    assert_int_equal(rep.n_assigned, 4);
    assert_int_equal(rep.n_unassigned, 4);
    vrp_problem_free(p);
}

static void test_each_constraint(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    rejects(p, "1:j1,j2,j3", "capacity exceeded at the start");
    rejects(p, "3:p10,j1,d10", "capacity exceeded after pickup 10");
    rejects(p, "3:j1,j2", "capacity exceeded at the start");
    rejects(p, "1:j3", "job 3: vehicle 1 arrives at 30, after its time window ends (25)");
    rejects(p, "4:j5", "route ends at 100, after the shift ends (50)");
    rejects(p, "2:j4", "job 4: needs skills");
    rejects(p, "1:d10,p10", "delivery before pickup");
    rejects(p, "1:p10;2:d10", "halves on different vehicles");
    rejects(p, "1:p10", "one half is unassigned");
    rejects(p, "1:j1;2:j1", "job 1 is visited twice");
    rejects(p, "1:j1,j1", "job 1 is visited twice");
    rejects(p, "1:j99", "unknown job id 99");
    rejects(p, "1:p3", "unknown pickup id 3");
    rejects(p, "42:j1", "unknown vehicle id 42");
    rejects(p, "2:j1,j2,j5", "3 tasks but max_tasks is 2");
    rejects(p, "2:j5", "travel time 100 exceeds max_travel_time 60");
    rejects(p, "5:j2", "distance 400 exceeds max_distance 300");
    rejects(p, "1:j1,r,j2", "2 trips but max_trips is 1");
    rejects(p, "3:j1,r,j2,r,j5", "3 trips but max_trips is 2");
    rejects(p, "3:r,j1", "empty trip");
    rejects(p, "3:p10,r,d10", "spans a reload");
    rejects(p, "1:j1;1:j2", "vehicle 1 has two routes");
    rejects(p, "1:j1,b1", "breaks are not supported");
    /* an infeasible solution still gets a recomputed cost */
    struct vrp_check_report rep;
    check(p, "1:j3", &rep);
    assert_false(rep.feasible);
    assert_int_equal(rep.cost, 60 + 7);
    vrp_problem_free(p);
}

static void test_unreadable(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    struct vrp_check_report rep;
    struct err e = {0};
    static const char *bad[] = {
        "{\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"teleport\",\"id\":1}]}]}",
        "{\"summary\":{}}",
        "{\"routes\":[{\"steps\":[]}]}",
        "{\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"job\"}]}]}",
        "{\"code\":2,\"error\":\"x\",\"routes\":[]}",
        "{\"routes\":[",
    };
    static const char *needle[] = {
        "unknown step type", "'routes' is required", "vehicle", "'id' is required", "code 2",
        "ends early"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = vrp_check_json(p, bad[i], strlen(bad[i]), &rep, &e);
        assert_int_not_equal(rc, 0);
        if (!strstr(e.msg, needle[i]))
            fail_msg("'%s': message '%s'", bad[i], e.msg);
    }
    vrp_problem_free(p);
}

/* Required tasks left out are counted (not a violation: the solver may leave
** out a task it cannot place); the solution's own `unassigned` list must not
** contradict its routes. */
static void test_required_unserved(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    struct vrp_check_report rep;
    /* nothing routed: jobs 1-5 and both halves of shipment 10; job 6 is
    ** optional */
    check(p, "", &rep);
    assert_true(rep.feasible);
    assert_int_equal(rep.n_required_unserved, 7);
    assert_string_equal(rep.first_required_unserved, "job 1");
    check(p, "1:j1,j2,j4", &rep);
    assert_int_equal(rep.n_required_unserved, 4);
    assert_string_equal(rep.first_required_unserved, "job 3");
    check(p, "1:j1,j2,j4;3:j3,r,j5;5:p10,d10", &rep);
    assert_int_equal(rep.n_required_unserved, 0);
    assert_string_equal(rep.first_required_unserved, "");
    /* a route on an unknown vehicle is a violation, but its tasks are still
    ** read: no cascade of "unserved" that only echoes the bad vehicle */
    check(p, "42:j1,j2,j3,j4,j5,p10,d10", &rep);
    assert_false(rep.feasible);
    assert_int_equal(rep.n_required_unserved, 0);
    vrp_problem_free(p);
}

static void test_unassigned_list(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    struct vrp_check_report rep;
    struct err e = {0};
    static const char route[] =
        "\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":1}]}]";
    char doc[512];
    /* consistent: job 6 left out, listed; no type means a job */
    snprintf(doc, sizeof doc, "{\"unassigned\":[{\"id\":6},{\"id\":10,\"type\":\"pickup\"}],%s}",
             route);
    assert_int_equal(vrp_check_json(p, doc, strlen(doc), &rep, &e), 0);
    assert_true(rep.feasible);
    /* job 1 both routed and listed: a violation, the cost still recomputed */
    snprintf(doc, sizeof doc,
             "{\"unassigned\":[{\"id\":6,\"type\":\"job\"},{\"id\":1,"
             "\"type\":\"job\"}],%s}",
             route);
    assert_int_equal(vrp_check_json(p, doc, strlen(doc), &rep, &e), 0);
    assert_false(rep.feasible);
    assert_non_null(
        strstr(rep.first_violation, "job 1 is both routed and listed in unassigned[1]"));
    assert_int_equal(rep.cost, 20 + 7);
    /* an id the problem does not have */
    snprintf(doc, sizeof doc, "{\"unassigned\":[{\"id\":99,\"type\":\"job\"}],%s}", route);
    assert_int_equal(vrp_check_json(p, doc, strlen(doc), &rep, &e), 0);
    assert_false(rep.feasible);
    assert_non_null(strstr(rep.first_violation, "unassigned[0]: unknown job id 99"));
    /* unreadable entries are errors, as in routes */
    static const char *bad[] = {"{\"unassigned\":{},%s}", "{\"unassigned\":[1],%s}",
                                "{\"unassigned\":[{\"type\":\"job\"}],%s}",
                                "{\"unassigned\":[{\"id\":1,\"type\":\"teleport\"}],%s}"};
    static const char *needle[] = {"'unassigned' must be an array",
                                   "unassigned[0] must be an object",
                                   "unassigned[0]: field 'id' is required", "unknown type"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(doc, sizeof doc, bad[i], route);
        assert_int_not_equal(vrp_check_json(p, doc, strlen(doc), &rep, &e), 0);
        if (!strstr(e.msg, needle[i]))
            fail_msg("'%s': message '%s'", doc, e.msg);
    }
    /* more entries than tasks (each is a linear lookup): refused */
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addstr(&sb, "{\"routes\":[],\"unassigned\":[");
    for (int i = 0; i < 100; i++)
        strbuf_addf(&sb, "%s{\"id\":6}", i ? "," : "");
    strbuf_addstr(&sb, "]}");
    assert_int_equal(vrp_check_json(p, sb.buf, sb.len, &rep, &e), ERR_TOOBIG);
    strbuf_release(&sb);
    vrp_problem_free(p);
}

/* The evaluator agrees with a hand-made schedule with waiting and windows. */
static void test_from_seqs_schedule(void **state)
{
    (void)state;
    struct vrp_problem *p = problem();
    int seq[] = {0, 1}; /* jobs 1, 2 */
    struct vrp_seq sq = {0, seq, 2};
    struct vrp_solution *s = NULL;
    struct err e = {0};
    assert_int_equal(vrp_solution_from_seqs(p, &sq, 1, false, &s, &e), 0);
    assert_int_equal(s->routes[0].n_steps, 4);
    assert_int_equal(s->routes[0].steps[1].arrival, 10);
    assert_int_equal(s->routes[0].steps[2].arrival, 20);
    assert_int_equal(s->routes[0].steps[3].arrival, 40);
    assert_int_equal(s->routes[0].steps[0].load[0], 8);
    assert_int_equal(s->routes[0].steps[2].load[0], 0);
    assert_int_equal(s->routes[0].distance, 400);
    vrp_solution_free(s);
    /* allow_infeasible: a solution and the first violation in e */
    int bad[] = {2}; /* job 3, window [0,25], arrival 30 */
    struct vrp_seq bq = {0, bad, 1};
    assert_int_equal(vrp_solution_from_seqs(p, &bq, 1, true, &s, &e), 0);
    assert_int_equal(e.code, ERR_INFEASIBLE);
    assert_non_null(strstr(e.msg, "job 3"));
    vrp_solution_free(s);
    assert_int_equal(vrp_solution_from_seqs(p, &bq, 1, false, &s, &e), ERR_INFEASIBLE);
    vrp_problem_free(p);
}

/*
** Setup as VROOM defines it: paid on arriving from another place (the start
** and a reload count as places), so consecutive tasks at one place pay it
** once, and it may run past the window like the service. Three places on a
** line 10 s apart; jobs 1 and 2 at place 1 (setup 100, service 10; job 2's
** window [0,125]), job 3 at the depot (setup 50, service 5), job 4 at place
** 2 (setup 30). Vehicle 1: shift [0,145]; vehicle 2: no start; vehicle 3:
** two trips, reload 5.
*/
static struct vrp_problem *setup_problem(void)
{
    const char *doc =
        "{\"vehicles\":[{\"id\":1,\"start_index\":0,\"end_index\":0,\"time_window\":[0,145]},"
        "{\"id\":2,\"end_index\":0},"
        "{\"id\":3,\"start_index\":0,\"end_index\":0,\"max_trips\":2,\"reload_time\":5}],"
        "\"jobs\":[{\"id\":1,\"location_index\":1,\"setup\":100,\"service\":10},"
        "{\"id\":2,\"location_index\":1,\"setup\":100,\"service\":10,"
        "\"time_windows\":[[0,125]]},"
        "{\"id\":3,\"location_index\":0,\"setup\":50,\"service\":5},"
        "{\"id\":4,\"location_index\":2,\"setup\":30}],"
        "\"matrices\":{\"car\":{\"durations\":[[0,10,20],[10,0,10],[20,10,0]]}}}";
    struct vrp_problem *p = NULL;
    struct err e = {0};
    if (vrp_read(doc, strlen(doc), VRP_FMT_VROOM, &p, &e))
        fail_msg("%s", e.msg);
    return p;
}

/* Steps' setup, service and arrival of vehicle v's route over `tasks`. */
static void expect_steps(const struct vrp_problem *p, int v, const int *tasks, int n,
                         const int64_t (*want)[3])
{
    struct vrp_seq sq = {v, tasks, n};
    struct vrp_solution *s = NULL;
    struct err e = {0};
    if (vrp_solution_from_seqs(p, &sq, 1, false, &s, &e))
        fail_msg("vehicle %d: %s", v, e.msg);
    for (int k = 0; k < n; k++) {
        const struct vrp_step *st = &s->routes[0].steps[k + 1];
        if (st->setup != want[k][0] || st->service != want[k][1] || st->arrival != want[k][2])
            fail_msg("vehicle %d step %d: setup %lld service %lld arrival %lld, want %lld %lld "
                     "%lld",
                     v, k + 1, (long long)st->setup, (long long)st->service, (long long)st->arrival,
                     (long long)want[k][0], (long long)want[k][1], (long long)want[k][2]);
    }
    vrp_solution_free(s);
}

static void test_setup_once_per_place(void **state)
{
    (void)state;
    struct vrp_problem *p = setup_problem();
    assert_int_equal(p->tasks[0].setup, 100);
    assert_int_equal(p->tasks[0].service, 10);
    /* job 1 at 10, leaves at 120; job 2 at the same place pays no setup,
    ** begins at 120 (its window ends at 125: the service may run past it),
    ** leaves at 130, back at 140 within the shift. With the setup paid
    ** twice (folded into the service) the route ended at 240. */
    accepts(p, "1:j1,j2", 20);
    expect_steps(p, 0, (const int[]){0, 1}, 2, (const int64_t[][3]){{100, 10, 10}, {0, 10, 120}});
    /* job 4 first: 20 + 30 -> job 1 at 60, leaves at 170, after job 2's window */
    rejects(p, "1:j4,j1,j2", "job 2: vehicle 1 arrives at 170, after its time window ends (125)");
    /* at the start's place: no setup; without a start: the first task pays it */
    expect_steps(p, 0, (const int[]){2}, 1, (const int64_t[][3]){{0, 5, 0}});
    expect_steps(p, 1, (const int[]){2}, 1, (const int64_t[][3]){{50, 5, 0}});
    /* a reload is at the start's place too: job 3 after it pays none */
    expect_steps(p, 2, (const int[]){0, VRP_NONE, 2}, 3,
                 (const int64_t[][3]){{100, 10, 10}, {0, 5, 130}, {0, 5, 135}});
    /* the search plans with it as well */
    struct vrp_params prm;
    vrp_params_default(&prm);
    prm.time_limit_s = 0.2;
    struct vrp_solution *sol = NULL;
    struct err e = {0};
    p->vehicles[1].tw.end = 0; /* keep to vehicles 1 and 3 */
    if (vrp_solve(p, &prm, &sol, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(sol->n_unassigned, 0);
    /* the optimum visits each place once (0-2-1-0 or its reverse, 40 s) */
    assert_int_equal(sol->cost, 40);
    assert_int_equal(sol->setup, 100 + 30); /* places 1 and 2; job 3 at the start's place */
    assert_int_equal(sol->service, 10 + 10 + 5);
    vrp_solution_free(sol);
    vrp_problem_free(p);
}

#ifdef RL_BIN
static void test_cli(void **state)
{
    (void)state;
    char prob[64], good[64], bad[64], cmd[512];
    snprintf(prob, sizeof prob, "vrpcheck-%d-prob.vrp", (int)getpid());
    snprintf(good, sizeof good, "vrpcheck-%d-good.json", (int)getpid());
    snprintf(bad, sizeof bad, "vrpcheck-%d-bad.json", (int)getpid());
    assert_int_equal(
        ts_put(prob,
               "NAME : t\nTYPE : CVRP\nDIMENSION : 3\nCAPACITY : 5\nEDGE_WEIGHT_TYPE : EUC_2D\n"
               "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1\nDEMAND_SECTION\n1 0\n2 3\n3 3\n"
               "DEPOT_SECTION\n1\n-1\nEOF\n"),
        0);
    assert_int_equal(ts_put(good, "{\"code\":0,\"summary\":{\"cost\":12},\"routes\":["
                                  "{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":2}]},"
                                  "{\"vehicle\":2,\"steps\":[{\"type\":\"job\",\"id\":3}]}]}"),
                     0);
    assert_int_equal(
        ts_put(bad, "{\"code\":0,\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":2},"
                    "{\"type\":\"job\",\"id\":3}]}]}"),
        0);
    snprintf(cmd, sizeof cmd, "%s route check %s %s >/dev/null", RL_BIN, prob, good);
    assert_int_equal(ts_sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s route check %s %s >/dev/null 2>&1", RL_BIN, prob, bad);
    assert_int_equal(ts_sh(cmd), 1);
    /* a wrong reported cost fails too */
    assert_int_equal(ts_put(good, "{\"code\":0,\"summary\":{\"cost\":11},\"routes\":["
                                  "{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":2}]},"
                                  "{\"vehicle\":2,\"steps\":[{\"type\":\"job\",\"id\":3}]}]}"),
                     0);
    /* The message says what was recomputed: exit code 1 alone would also be
    ** a sanitizer's, and this message once read the freed problem. */
    snprintf(cmd, sizeof cmd,
             "%s route check %s %s 2>&1 >/dev/null | grep -q 'reports cost 11, recomputed [0-9]'",
             RL_BIN, prob, good);
    assert_int_equal(ts_sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s route check %s %s >/dev/null 2>&1", RL_BIN, prob, good);
    assert_int_equal(ts_sh(cmd), 1);
    snprintf(cmd, sizeof cmd, "%s route check %s >/dev/null 2>&1", RL_BIN, prob);
    assert_int_equal(ts_sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s route check --help >/dev/null", RL_BIN);
    assert_int_equal(ts_sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s route solve --bogus x >/dev/null 2>&1", RL_BIN);
    assert_int_equal(ts_sh(cmd), 2);
    unlink(prob);
    unlink(good);
    unlink(bad);
}

/* Runs cmd (stdout only) into out; returns the exit status. */
static int run_out(const char *cmd, char *out, size_t n)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t len = fread(out, 1, n - 1, f);
    out[len] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* `route check` demands a complete plan and says when it compared no cost:
** an empty plan and a plan without summary.cost both used to pass with
** "cost_matches":true. */
static void test_cli_complete_and_cost(void **state)
{
    (void)state;
    char prob[64], sol[64], cmd[512], out[2048];
    snprintf(prob, sizeof prob, "vrpcheck-%d-prob2.vrp", (int)getpid());
    snprintf(sol, sizeof sol, "vrpcheck-%d-sol2.json", (int)getpid());
    assert_int_equal(
        ts_put(prob,
               "NAME : t\nTYPE : CVRP\nDIMENSION : 3\nCAPACITY : 5\nEDGE_WEIGHT_TYPE : EUC_2D\n"
               "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1\nDEMAND_SECTION\n1 0\n2 3\n3 3\n"
               "DEPOT_SECTION\n1\n-1\nEOF\n"),
        0);
    snprintf(cmd, sizeof cmd, "%s route check %s %s 2>/dev/null", RL_BIN, prob, sol);

    /* serves nobody: fails, with the reason in the output */
    assert_int_equal(ts_put(sol, "{\"routes\":[]}"), 0);
    assert_int_equal(run_out(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "\"required_unserved\":2"));
    assert_non_null(strstr(out, "\"passed\":false"));
    assert_non_null(strstr(out, "\"reason\":\"2 required tasks are not served (first: job 2)\""));
    assert_non_null(strstr(out, "\"cost_matches\":null"));
    /* the old fields are still there */
    assert_non_null(strstr(out, "\"feasible\":true,\"cost\":0,\"cost_matches\":null,"
                                "\"routes\":0,\"assigned\":0,\"unassigned\":2,"
                                "\"violation\":null"));

    /* one customer left out */
    assert_int_equal(ts_put(sol, "{\"summary\":{\"cost\":10},\"routes\":[{\"vehicle\":1,\"steps\":["
                                 "{\"type\":\"job\",\"id\":2}]}]}"),
                     0);
    assert_int_equal(run_out(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "1 required task is not served (first: job 3)"));

    /* complete, no cost reported: passes, but says nothing was compared */
    assert_int_equal(ts_put(sol,
                            "{\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":2}]},"
                            "{\"vehicle\":2,\"steps\":[{\"type\":\"job\",\"id\":3}]}]}"),
                     0);
    assert_int_equal(run_out(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"cost_matches\":null"));
    assert_null(strstr(out, "\"reported_cost\""));
    assert_non_null(strstr(out, "\"passed\":true,\"reason\":null,"
                                "\"note\":\"the solution has no summary.cost: no cost was "
                                "compared\""));

    /* complete with the right cost: compared, no note */
    assert_int_equal(ts_put(sol, "{\"summary\":{\"cost\":12},\"routes\":[{\"vehicle\":1,\"steps\":["
                                 "{\"type\":\"job\",\"id\":2}]},{\"vehicle\":2,\"steps\":["
                                 "{\"type\":\"job\",\"id\":3}]}]}"),
                     0);
    assert_int_equal(run_out(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "\"reported_cost\":12,\"cost_matches\":true"));
    assert_non_null(strstr(out, "\"note\":null"));

    /* a cost that is not a number is an input error: no verdict printed */
    assert_int_equal(ts_put(sol,
                            "{\"summary\":{\"cost\":\"abc\"},\"routes\":[{\"vehicle\":1,\"steps\":["
                            "{\"type\":\"job\",\"id\":2}]},{\"vehicle\":2,\"steps\":["
                            "{\"type\":\"job\",\"id\":3}]}]}"),
                     0);
    assert_int_equal(run_out(cmd, out, sizeof out), 1);
    assert_string_equal(out, "");
    snprintf(cmd, sizeof cmd, "%s route check %s %s 2>&1 >/dev/null", RL_BIN, prob, sol);
    assert_int_equal(run_out(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "summary: field 'cost' must be a number"));

    /* a job both routed and listed unassigned */
    assert_int_equal(
        ts_put(sol, "{\"summary\":{\"cost\":12},\"unassigned\":[{\"id\":3,\"type\":\"job\"}],"
                    "\"routes\":[{\"vehicle\":1,\"steps\":[{\"type\":\"job\",\"id\":2}]},"
                    "{\"vehicle\":2,\"steps\":[{\"type\":\"job\",\"id\":3}]}]}"),
        0);
    snprintf(cmd, sizeof cmd, "%s route check %s %s 2>/dev/null", RL_BIN, prob, sol);
    assert_int_equal(run_out(cmd, out, sizeof out), 1);
    assert_non_null(strstr(out, "\"violation\":\"job 3 is both routed and listed in "
                                "unassigned[0]\""));
    assert_non_null(strstr(out, "\"passed\":false"));
    unlink(prob);
    unlink(sol);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feasible),
        cmocka_unit_test(test_each_constraint),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_required_unserved),
        cmocka_unit_test(test_unassigned_list),
        cmocka_unit_test(test_from_seqs_schedule),
        cmocka_unit_test(test_setup_once_per_place),
#ifdef RL_BIN
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_cli_complete_and_cost),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
