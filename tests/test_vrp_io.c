/* Unit tests for the vrp readers (CVRPLIB, Solomon, Li & Lim, VROOM), format
** detection, hostile input, the trusted evaluator's basics and the JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vrp/vrp.h"

static struct vrp_problem *read_ok(const char *text, enum vrp_format fmt)
{
    struct err e = {0};
    struct vrp_problem *p = NULL;
    int rc = vrp_read(text, strlen(text), fmt, &p, &e);
    if (rc)
        fail_msg("unexpected error: %s", e.msg);
    assert_non_null(p);
    return p;
}

static void read_fails(const char *text, enum vrp_format fmt, const char *needle)
{
    struct err e = {0};
    struct vrp_problem *p = NULL;
    int rc = vrp_read(text, strlen(text), fmt, &p, &e);
    if (rc == 0) {
        vrp_problem_free(p);
        fail_msg("accepted input that should fail with '%s'", needle);
    }
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' does not contain '%s'", e.msg, needle);
}

static int64_t dist(const struct vrp_problem *p, int i, int j)
{
    return p->matrices[0].dist[(size_t)i * (size_t)p->n_locs + (size_t)j];
}

static void test_cvrplib_bench_file(void **state)
{
    (void)state;
    struct err e = {0};
    struct vrp_problem *p = NULL;
    int rc = vrp_read_file(RL_SHARED_DIR "/bench/cvrp-x/X-n101-k25.vrp", VRP_FMT_AUTO, &p, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_string_equal(p->format, "cvrplib");
    assert_string_equal(p->name, "X-n101-k25");
    assert_int_equal(p->n_locs, 101);
    assert_int_equal(p->n_tasks, 100);
    assert_int_equal(p->scale, 1);
    /* node 1 (365,689) to node 2 (146,180): sqrt(307042) = 554.11 -> 554 */
    assert_int_equal(dist(p, 0, 1), 554);
    assert_int_equal(p->tasks[0].id, 2);
    assert_int_equal(p->tasks[0].loc, 1);
    assert_int_equal(p->vehicles[0].capacity[0], 206);
    assert_int_equal(p->vehicles[0].start, 0);
    assert_true(p->n_vehicles >= 26);
    vrp_problem_free(p);
}

static const char *cvrp_head = "NAME : t\nTYPE : CVRP\nDIMENSION : 4\nCAPACITY : 10\n";

static void test_cvrplib_explicit_layouts(void **state)
{
    (void)state;
    /* The same symmetric matrix in every layout. */
    static const int64_t want[4][4] = {{0, 3, 4, 5}, {3, 0, 6, 7}, {4, 6, 0, 8}, {5, 7, 8, 0}};
    static const char *layouts[][2] = {
        {"FULL_MATRIX", "0 3 4 5\n3 0 6 7\n4 6 0 8\n5 7 8 0\n"},
        {"UPPER_ROW", "3 4 5\n6 7\n8\n"},
        {"LOWER_ROW", "3\n4 6\n5 7 8\n"},
        {"UPPER_DIAG_ROW", "0 3 4 5\n0 6 7\n0 8\n0\n"},
        {"LOWER_DIAG_ROW", "0\n3 0\n4 6 0\n5 7 8 0\n"},
        {"UPPER_COL", "3 4 6 5 7 8\n"},
    };
    for (size_t k = 0; k < sizeof layouts / sizeof layouts[0]; k++) {
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "%sEDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : %s\nEDGE_WEIGHT_SECTION\n%s"
                 "DEMAND_SECTION\n1 0\n2 3\n3 4\n4 5\nDEPOT_SECTION\n1\n-1\nEOF\n",
                 cvrp_head, layouts[k][0], layouts[k][1]);
        struct vrp_problem *p = read_ok(buf, VRP_FMT_AUTO);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                if (dist(p, i, j) != want[i][j])
                    fail_msg("%s: [%d][%d] = %lld", layouts[k][0], i, j, (long long)dist(p, i, j));
        assert_int_equal(p->n_tasks, 3);
        assert_int_equal(p->tasks[2].delivery[0], 5);
        vrp_problem_free(p);
    }
}

static void test_cvrplib_euc_nint(void **state)
{
    (void)state;
    char buf[512];
    snprintf(buf, sizeof buf,
             "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 3 4\n3 1 1\n4 0.5 0\n"
             "DEMAND_SECTION\n1 0\n2 1\n3 1\n4 1\nDEPOT_SECTION\n 1\n -1\nEOF\n",
             cvrp_head);
    struct vrp_problem *p = read_ok(buf, VRP_FMT_CVRPLIB);
    assert_int_equal(dist(p, 0, 1), 5);
    assert_int_equal(dist(p, 0, 2), 1); /* 1.414 */
    assert_int_equal(dist(p, 0, 3), 1); /* 0.5 rounds up: floor(0.5 + 0.5) */
    vrp_problem_free(p);
}

static void test_solomon_bench_file(void **state)
{
    (void)state;
    struct err e = {0};
    struct vrp_problem *p = NULL;
    if (vrp_read_file(RL_SHARED_DIR "/bench/solomon/C101.txt", VRP_FMT_AUTO, &p, &e))
        fail_msg("%s", e.msg);
    assert_string_equal(p->format, "solomon");
    assert_string_equal(p->name, "C101");
    assert_int_equal(p->n_locs, 101);
    assert_int_equal(p->n_tasks, 100);
    assert_int_equal(p->n_vehicles, 25);
    assert_int_equal(p->scale, 10000);
    assert_int_equal(p->vehicles[0].capacity[0], 200);
    assert_int_equal(p->vehicles[0].tw.end, 1236 * 10000);
    /* customer 1: (45,68) demand 10, [912,967], service 90; depot (40,50) */
    assert_int_equal(p->tasks[0].id, 1);
    assert_int_equal(p->tasks[0].delivery[0], 10);
    assert_int_equal(p->tasks[0].tw[0].start, 9120000);
    assert_int_equal(p->tasks[0].tw[0].end, 9670000);
    assert_int_equal(p->tasks[0].service, 900000);
    assert_int_equal(dist(p, 0, 1), 186815); /* sqrt(349) = 18.68154 */
    vrp_problem_free(p);
}

static void test_lilim_bench_file(void **state)
{
    (void)state;
    struct err e = {0};
    struct vrp_problem *p = NULL;
    if (vrp_read_file(RL_SHARED_DIR "/bench/pdptw/lc101.txt", VRP_FMT_AUTO, &p, &e))
        fail_msg("%s", e.msg);
    assert_string_equal(p->format, "lilim");
    assert_int_equal(p->n_tasks, 106);
    assert_int_equal(p->n_vehicles, 25);
    /* task 1 is a delivery of 10 whose pickup is task 11 */
    const struct vrp_task *d = &p->tasks[0];
    assert_int_equal(d->kind, VRP_DELIVERY);
    assert_int_equal(d->delivery[0], 10);
    const struct vrp_task *pk = &p->tasks[d->pair];
    assert_int_equal(pk->kind, VRP_PICKUP);
    assert_int_equal(pk->id, 11);
    assert_int_equal(pk->pickup[0], 10);
    assert_int_equal(pk->pair, 0);
    vrp_problem_free(p);
    /* ten published files have speed 0 in the header: ignored */
    p = NULL;
    if (vrp_read_file(RL_SHARED_DIR "/bench/pdptw/lc104.txt", VRP_FMT_AUTO, &p, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(p->n_vehicles, 25);
    vrp_problem_free(p);
}

/* The whole of a shared benchmark file, NUL-terminated; *len its size. */
static char *slurp(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench/%s", RL_SHARED_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* A Solomon or Li & Lim file cut inside its last number still has complete
** rows (the last one with a shorter number): refused, naming the line. The
** format has no row count, so only the missing end of line gives it away. */
static void test_text_file_cut_inside_its_last_row(void **state)
{
    (void)state;
    static const struct {
        const char *rel;
        enum vrp_format fmt;
    } files[] = {{"solomon/C101.txt", VRP_FMT_SOLOMON}, {"pdptw/lc101.txt", VRP_FMT_LILIM}};
    for (size_t i = 0; i < RL_ARRAY_LEN(files); i++) {
        size_t len;
        char *buf = slurp(files[i].rel, &len);
        struct vrp_problem *p = NULL;
        struct err e = {0};
        if (vrp_read(buf, len, files[i].fmt, &p, &e)) /* whole: fine */
            fail_msg("%s: %s", files[i].rel, e.msg);
        int whole_tasks = p->n_tasks;
        vrp_problem_free(p);
        /* cut after the first digit of the last row's last number */
        size_t cut = len;
        while (cut > 0 && !(buf[cut - 1] >= '0' && buf[cut - 1] <= '9'))
            cut--;
        while (cut > 1 && buf[cut - 2] >= '0' && buf[cut - 2] <= '9')
            cut--;
        int line = 1;
        for (size_t k = 0; k < cut; k++)
            line += buf[k] == '\n';
        char want[64];
        snprintf(want, sizeof want, "line %d: the file ends inside this row", line);
        p = NULL;
        int rc = vrp_read(buf, cut, files[i].fmt, &p, &e);
        if (rc == 0) {
            int n = p->n_tasks;
            vrp_problem_free(p);
            fail_msg("%s cut at byte %zu of %zu read as complete (%d tasks of %d)", files[i].rel,
                     cut, len, n, whole_tasks);
        }
        if (!strstr(e.msg, want) || !strstr(e.msg, "truncated"))
            fail_msg("%s: '%s' does not say '%s ... truncated'", files[i].rel, e.msg, want);
        free(buf);
    }
    /* the last row needs its end of line; blank lines after it are fine */
    const char *sol = "C1\nVEHICLE\nNUMBER CAPACITY\n 25 200\nCUSTOMER\n 0 40 50 0 0 1236 0\n"
                      " 1 45 68 10 912 967 10";
    read_fails(sol, VRP_FMT_SOLOMON, "line 7: the file ends inside this row");
    char buf[256];
    snprintf(buf, sizeof buf, "%s\r\n  \n", sol);
    vrp_problem_free(read_ok(buf, VRP_FMT_SOLOMON));
}

static const char *vroom_doc =
    "{\"vehicles\":[{\"id\":7,\"description\":\"van 7\",\"type\":\"van\","
    "\"start_index\":0,\"end_index\":0,\"capacity\":[10,3],"
    "\"skills\":[5,9],\"time_window\":[0,1000],\"costs\":{\"fixed\":100,\"per_km\":2,"
    "\"per_hour\":0},\"max_trips\":2,\"reload_time\":15}],"
    "\"jobs\":[{\"id\":1,\"description\":\"Zhang's \\\"shop\\\"\",\"location_index\":1,"
    "\"setup\":5,\"service\":10,\"delivery\":[2,1],"
    "\"skills\":[9],\"time_windows\":[[300,400],[0,100],[90,120]]},"
    "{\"id\":2,\"description\":\"left out\",\"location_index\":2,\"pickup\":[1,0],"
    "\"optional\":true,\"penalty\":70,"
    "\"priority\":3}],"
    "\"shipments\":[{\"pickup\":{\"id\":3,\"location_index\":1,\"setup\":7},"
    "\"delivery\":{\"id\":3,\"location_index\":2,\"setup\":4},\"amount\":[4,0]}],"
    "\"matrices\":{\"car\":{\"durations\":[[0,10,20],[10,0,15],[20,15,0]],"
    "\"distances\":[[0,1000,2500],[1000,0,1500],[2500,1500,0]]}}}";

static void test_vroom_matrices(void **state)
{
    (void)state;
    struct vrp_problem *p = read_ok(vroom_doc, VRP_FMT_AUTO);
    assert_string_equal(p->format, "vroom");
    assert_int_equal(p->n_locs, 3);
    assert_int_equal(p->n_dims, 2);
    assert_int_equal(p->n_tasks, 4);
    const struct vrp_task *j1 = &p->tasks[0];
    assert_int_equal(j1->setup, 5); /* kept apart: paid only on arrival from elsewhere */
    assert_int_equal(j1->service, 10);
    assert_string_equal(j1->description, "Zhang's \"shop\"");
    assert_null(p->tasks[2].description);
    assert_string_equal(p->vehicles[0].description, "van 7");
    assert_int_equal(j1->n_tw, 2); /* [0,100] and [90,120] merged, [300,400] */
    assert_int_equal(j1->tw[0].start, 0);
    assert_int_equal(j1->tw[0].end, 120);
    assert_int_equal(j1->tw[1].start, 300);
    assert_int_equal(p->n_skills, 2);
    assert_int_equal(j1->skills & p->vehicles[0].skills, j1->skills);
    assert_true(p->tasks[1].optional);
    assert_int_equal(p->tasks[1].penalty, 70);
    assert_int_equal(p->tasks[2].kind, VRP_PICKUP);
    assert_int_equal(p->tasks[2].pair, 3);
    assert_int_equal(p->tasks[3].delivery[0], 4);
    const struct vrp_vehicle *v = &p->vehicles[0];
    assert_int_equal(v->id, 7);
    assert_int_equal(v->max_trips, 2);
    assert_int_equal(v->reload_time, 15);
    /* per_km 2 over 2500 m = 5 cost units */
    assert_int_equal(vrp_arc_cost(p, v, 0, 2), 5);
    vrp_problem_free(p);
}

static void test_vroom_coordinates(void **state)
{
    (void)state;
    const char *doc = "{\"vehicles\":[{\"id\":1,\"start\":[116.40,39.90],\"end\":[116.40,39.90]}],"
                      "\"jobs\":[{\"id\":1,\"location\":[116.41,39.90]},"
                      "{\"id\":2,\"location\":[116.40,39.91]}]}";
    struct vrp_problem *p = read_ok(doc, VRP_FMT_VROOM);
    assert_int_equal(p->n_locs, 3); /* start and end share a location */
    /* 0.01 deg of longitude at 39.9 N is about 853 m; x 1.3 circuity */
    int64_t d = dist(p, 0, 1);
    assert_in_range(d, 1100, 1120);
    /* 40 km/h: about 0.09 s per metre */
    assert_in_range(p->matrices[0].dur[1], 99, 101);
    /* default costs: per_hour 3600 -> the cost of an arc is its duration */
    assert_int_equal(vrp_arc_cost(p, &p->vehicles[0], 0, 1), p->matrices[0].dur[1]);
    assert_non_null(p->lon);
    vrp_problem_free(p);
}

static void test_hostile_inputs(void **state)
{
    (void)state;
    char buf[4096];
    /* CVRPLIB */
    snprintf(buf, sizeof buf, "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "truncated");
    snprintf(buf, sizeof buf,
             "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n3 2 2\n4 3 3\n"
             "DEMAND_SECTION\n1 0\n2 -3\n3 1\n4 1\nEOF\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "negative demand");
    snprintf(buf, sizeof buf,
             "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 nan 1\n3 2 2\n4 3 3\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "line 8");
    snprintf(buf, sizeof buf,
             "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 inf 1\n3 2 2\n4 3 3\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "finite number");
    read_fails("NAME : x\nTYPE : CVRP\nDIMENSION : 100000000\nCAPACITY : 5\n", VRP_FMT_CVRPLIB,
               "above the limit");
    read_fails("NAME : x\nTYPE : CVRP\nDIMENSION : 16000\nCAPACITY : 5\nEDGE_WEIGHT_TYPE : "
               "EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\nEDGE_WEIGHT_SECTION\n0 1 2\n",
               VRP_FMT_CVRPLIB, "too short");
    snprintf(buf, sizeof buf,
             "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n2 1 1\n2 2 2\n4 3 3\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "listed twice");
    snprintf(buf, sizeof buf, "%sEDGE_WEIGHT_TYPE : EUC_2D\nNODE_COORD_SECTION\n1 0 0\n9 1 1\n",
             cvrp_head);
    read_fails(buf, VRP_FMT_CVRPLIB, "node number");
    read_fails("NAME : x\nDIMENSION : -4\n", VRP_FMT_CVRPLIB, "DIMENSION");
    read_fails("NAME : x\nTYPE : TSP\n", VRP_FMT_CVRPLIB, "TYPE");
    read_fails("NAME : x\nTYPE : CVRP\nDIM\0ENSION : 4\n", VRP_FMT_CVRPLIB, "DIM"); /* cut */
    {
        static const char nul[] = "NAME : x\nTYPE : CVRP\n\0DIMENSION : 4\n";
        struct err e = {0};
        struct vrp_problem *p = NULL;
        assert_int_not_equal(vrp_read(nul, sizeof nul - 1, VRP_FMT_CVRPLIB, &p, &e), 0);
        assert_non_null(strstr(e.msg, "NUL"));
    }
    /* Solomon */
    read_fails("C1\nVEHICLE\nNUMBER CAPACITY\n 25 200\nCUSTOMER\nCUST NO.\n 0 40 50 0 0 1236 0\n"
               " 1 45 68 10 912 967\n",
               VRP_FMT_SOLOMON, "line 8: expected 7 numbers");
    read_fails("C1\nVEHICLE\nNUMBER CAPACITY\n 25 200\nCUSTOMER\n 0 40 50 0 0 1236 0\n"
               " 1 45 68 -10 912 967 10\n",
               VRP_FMT_SOLOMON, "negative demand");
    read_fails("C1\nVEHICLE\nNUMBER CAPACITY\n 25 200\nCUSTOMER\n 0 40 50 0 0 1236 0\n"
               " 2 45 68 10 912 967 10\n",
               VRP_FMT_SOLOMON, "expected 1");
    read_fails("C1\nVEHICLE\nNUMBER CAPACITY\n 25 200\nCUSTOMER\n 0 40 50 0 0 1236 0\n"
               " 1 45 68 10 967 912 10\n",
               VRP_FMT_SOLOMON, "before ready time");
    read_fails("C1\nVEHICLE\nNUMBER CAPACITY\n", VRP_FMT_SOLOMON, "ends before");
    /* Li & Lim */
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0 2\n2 2 2 -5 0 100 0 3 0\n",
               VRP_FMT_LILIM, "does not name");
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0 2\n2 2 2 -4 0 100 0 1 0\n",
               VRP_FMT_LILIM, "amounts differ");
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0 9\n", VRP_FMT_LILIM, "out of range");
    /* an index beyond int: refused before it is converted (undefined
    ** behaviour before, caught by the sanitizer build and the fuzzer) */
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0 1e60\n", VRP_FMT_LILIM,
               "delivery index 1e+60 out of range");
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 -5 0 100 0 -1e60 0\n", VRP_FMT_LILIM,
               "pickup index -1e+60 out of range");
    read_fails("2 10 1\n0 0 0 0 0 100 0 0 0\n1 1 1 5 0 100 0 0\n", VRP_FMT_LILIM,
               "expected 9 numbers");
    /* VROOM */
    read_fails("{\"vehicles\":[{\"id\":1,\"start_index\":0}],\"jobs\":[{\"id\":1,"
               "\"location_index\":3}],\"matrices\":{\"car\":{\"durations\":[[0,1],[1,0]]}}}",
               VRP_FMT_VROOM, "jobs[0]: 'location_index' = 3 is outside");
    read_fails("{\"vehicles\":[{\"id\":1,\"start_index\":0}],\"jobs\":[{\"id\":1,"
               "\"location_index\":1},{\"id\":1,\"location_index\":0}],"
               "\"matrices\":{\"car\":{\"durations\":[[0,1],[1,0]]}}}",
               VRP_FMT_VROOM, "duplicate job id 1");
    read_fails("{\"vehicles\":[{\"id\":1,\"start_index\":0}],\"jobs\":[{\"id\":1,"
               "\"location_index\":1,\"delivery\":[-2]}],"
               "\"matrices\":{\"car\":{\"durations\":[[0,1],[1,0]]}}}",
               VRP_FMT_VROOM, "jobs[0].delivery[0]");
    read_fails("{\"vehicles\":[{\"id\":1,\"start_index\":0}],\"jobs\":[{\"id\":1,"
               "\"location_index\":1}],\"matrices\":{\"car\":{\"durations\":[[0,1],[1]]}}}",
               VRP_FMT_VROOM, "row 1");
    read_fails("{\"vehicles\":[{\"id\":1,\"colour\":\"red\"}]}", VRP_FMT_VROOM,
               "vehicles[0]: unknown field 'colour'");
    read_fails("{\"vehicles\":[{\"id\":1,\"start\":[500,0]}],\"jobs\":[]}", VRP_FMT_VROOM,
               "not a valid [lon, lat]");
    read_fails("{\"vehicles\":[{\"id\":1}],\"jobs\":[{\"id\":1,\"location\":[1,1],"
               "\"time_windows\":[[5,2]]}]}",
               VRP_FMT_VROOM, "jobs[0].time_windows[0]");
    read_fails("{\"vehicles\":[{\"id\":1,\"capacity\":[1,2]}],\"jobs\":[{\"id\":1,"
               "\"location\":[1,1],\"delivery\":[1]}]}",
               VRP_FMT_VROOM, "dimensions");
    /* "description" is free text, but text: a number or an object is an
    ** input error like any other wrong type (it was accepted unread). */
    read_fails("{\"vehicles\":[{\"id\":1,\"description\":5,\"start\":[1,1]}]}", VRP_FMT_VROOM,
               "vehicles[0]: field 'description' must be a string");
    read_fails("{\"vehicles\":[{\"id\":1}],\"jobs\":[{\"id\":1,\"description\":{},"
               "\"location\":[1,1]}]}",
               VRP_FMT_VROOM, "jobs[0]: field 'description' must be a string");
    read_fails("{\"vehicles\":[{\"id\":1}],\"shipments\":[{\"pickup\":{\"id\":1,"
               "\"location\":[1,1]},\"delivery\":{\"id\":1,\"description\":[\"x\"],"
               "\"location\":[1,2]}}]}",
               VRP_FMT_VROOM, "shipments[0].delivery: field 'description' must be a string");
    vrp_problem_free(read_ok("{\"vehicles\":[{\"id\":1,\"description\":\"van 1\"}],"
                             "\"jobs\":[{\"id\":1,\"description\":\"\u6751\","
                             "\"location\":[1,1]}]}",
                             VRP_FMT_VROOM));
    /* per-vehicle-type durations (VROOM after v1.14) are refused by name, not
    ** ignored; vehicle "type" is accepted (a string) and has no effect */
    read_fails("{\"vehicles\":[{\"id\":1,\"type\":\"van\"}],\"jobs\":[{\"id\":1,"
               "\"location\":[1,1],\"service_per_type\":{\"van\":60}}]}",
               VRP_FMT_VROOM, "jobs[0]: 'service_per_type' is not supported");
    read_fails("{\"vehicles\":[{\"id\":1}],\"shipments\":[{\"pickup\":{\"id\":1,"
               "\"location\":[1,1],\"setup_per_type\":{}},\"delivery\":{\"id\":1,"
               "\"location\":[1,2]}}]}",
               VRP_FMT_VROOM, "shipments[0].pickup: 'setup_per_type' is not supported");
    read_fails("{\"vehicles\":[{\"id\":1,\"type\":3,\"start\":[1,1]}]}", VRP_FMT_VROOM,
               "vehicles[0]: field 'type' must be a string");
    read_fails("{\"vehicles\":[", VRP_FMT_VROOM, "ends early");
    read_fails("[1,2]", VRP_FMT_VROOM, "JSON object");
    read_fails("hello world\n", VRP_FMT_AUTO, "cannot tell");
}

static void test_evaluator_and_writer(void **state)
{
    (void)state;
    struct vrp_problem *p = read_ok(vroom_doc, VRP_FMT_VROOM);
    /* job 1 (loc 1), pickup 3 (loc 1), delivery 3 (loc 2); job 2 left out */
    int seq[] = {0, 2, 3};
    struct vrp_seq sq = {0, seq, 3};
    struct vrp_solution *s = NULL;
    struct err e = {0};
    int rc = vrp_solution_from_seqs(p, &sq, 1, false, &s, &e);
    if (rc)
        fail_msg("%s", e.msg);
    /* arcs 0-1 (1000 m), 1-1 (0), 1-2 (1500), 2-0 (2500): per_km 2 -> 2 + 0 + 3 + 5,
    ** fixed 100, penalty of the optional job 2: 70 */
    assert_int_equal(s->cost, 100 + 10 + 70);
    assert_int_equal(s->n_unassigned, 1);
    assert_int_equal(s->routes[0].distance, 5000);
    /* job 1 arrival 10 (window [0,120]), setup 5 + service 10 -> 25; pickup
    ** at 25 at the same place: its setup 7 is not paid -> 25; delivery at
    ** 25 + 15 = 40, setup 4 -> 44; end at 44 + 20 = 64 */
    assert_int_equal(s->routes[0].steps[3].arrival, 40);
    assert_int_equal(s->routes[0].steps[4].arrival, 64);
    assert_int_equal(s->setup, 5 + 4);
    assert_int_equal(s->service, 10);
    assert_int_equal(s->routes[0].steps[0].load[0], 2); /* job 1's delivery on board */
    assert_int_equal(s->routes[0].steps[2].load[0], 4); /* the shipment */
    struct strbuf sb;
    strbuf_init(&sb, 0);
    assert_int_equal(vrp_write_json(p, s, &sb), 0);
    struct json_object *root = NULL, *summary, *routes, *steps, *unass;
    assert_int_equal(rjson_parse(sb.buf, sb.len, &root, &e), 0);
    assert_int_equal(rjson_get_obj(root, "summary", true, &summary, &e), 0);
    int64_t cost;
    assert_int_equal(rjson_get_i64(summary, "cost", true, &cost, &e), 0);
    assert_int_equal(cost, 180);
    assert_int_equal(rjson_get_array(root, "routes", true, &routes, &e), 0);
    assert_int_equal(json_object_array_length(routes), 1);
    steps = json_object_object_get(json_object_array_get_idx(routes, 0), "steps");
    assert_int_equal(json_object_array_length(steps), 5);
    assert_string_equal(
        json_object_get_string(json_object_object_get(json_object_array_get_idx(steps, 2), "type")),
        "pickup");
    /* setup and service apart, at every level (setup was always 0, with
    ** the setup inside the service); descriptions echoed as VROOM does */
    int64_t x;
    assert_int_equal(rjson_get_i64(summary, "setup", true, &x, &e), 0);
    assert_int_equal(x, 9);
    assert_int_equal(rjson_get_i64(summary, "service", true, &x, &e), 0);
    assert_int_equal(x, 10);
    struct json_object *route = json_object_array_get_idx(routes, 0);
    assert_int_equal(rjson_get_i64(route, "setup", true, &x, &e), 0);
    assert_int_equal(x, 9);
    assert_string_equal(json_object_get_string(json_object_object_get(route, "description")),
                        "van 7");
    static const int64_t want_setup[] = {0, 5, 0, 4, 0}, want_service[] = {0, 10, 0, 0, 0};
    for (size_t k = 0; k < 5; k++) {
        struct json_object *st = json_object_array_get_idx(steps, k);
        assert_int_equal(rjson_get_i64(st, "setup", true, &x, &e), 0);
        assert_int_equal(x, want_setup[k]);
        assert_int_equal(rjson_get_i64(st, "service", true, &x, &e), 0);
        assert_int_equal(x, want_service[k]);
        struct json_object *d = NULL;
        /* only job 1 has a description */
        assert_int_equal(json_object_object_get_ex(st, "description", &d), k == 1);
        if (k == 1)
            assert_string_equal(json_object_get_string(d), "Zhang's \"shop\"");
    }
    assert_int_equal(rjson_get_array(root, "unassigned", true, &unass, &e), 0);
    assert_int_equal(json_object_array_length(unass), 1);
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_array_get_idx(unass, 0), "description")),
                        "left out");
    json_object_put(root);
    strbuf_release(&sb);
    vrp_solution_free(s);
    vrp_problem_free(p);
}

static void test_scaled_output(void **state)
{
    (void)state;
    struct err e = {0};
    struct vrp_problem *p = NULL;
    if (vrp_read_file(RL_SHARED_DIR "/bench/solomon/C101.txt", VRP_FMT_SOLOMON, &p, &e))
        fail_msg("%s", e.msg);
    int seq[] = {4}; /* customer 5: (42,65), window [15,67] */
    struct vrp_seq sq = {0, seq, 1};
    struct vrp_solution *s = NULL;
    assert_int_equal(vrp_solution_from_seqs(p, &sq, 1, true, &s, &e), 0);
    /* 2 x nint(sqrt(229) x 10000) = 2 x 151327 */
    assert_int_equal(s->routes[0].distance, 302654);
    struct strbuf sb;
    strbuf_init(&sb, 0);
    vrp_write_json(p, s, &sb);
    assert_non_null(strstr(sb.buf, "\"distance\":30.2654"));
    strbuf_release(&sb);
    vrp_solution_free(s);
    vrp_problem_free(p);
}

/* Open routes (no start, no end) and the choice among several windows. */
static void test_open_route_and_windows(void **state)
{
    (void)state;
    const char *doc =
        "{\"vehicles\":[{\"id\":1,\"time_window\":[100,1000],\"costs\":{\"per_hour\":3600}}],"
        "\"jobs\":[{\"id\":1,\"location_index\":1,\"service\":5,"
        "\"time_windows\":[[0,50],[130,140],[300,400]]},"
        "{\"id\":2,\"location_index\":2,\"time_windows\":[[0,150],[200,210]]}],"
        "\"matrices\":{\"car\":{\"durations\":[[0,10,20],[10,0,30],[20,30,0]]}}}";
    struct vrp_problem *p = read_ok(doc, VRP_FMT_VROOM);
    assert_int_equal(p->vehicles[0].start, VRP_NONE);
    int seq[] = {0, 1};
    struct vrp_seq sq = {0, seq, 2};
    struct vrp_solution *s = NULL;
    struct err e = {0};
    if (vrp_solution_from_seqs(p, &sq, 1, false, &s, &e))
        fail_msg("%s", e.msg);
    const struct vrp_route *r = &s->routes[0];
    /* starts at job 1's place at 100: window [0,50] is over, wait for [130,140] */
    assert_int_equal(r->steps[1].arrival, 100);
    assert_int_equal(r->steps[1].waiting, 30);
    /* leaves at 135, arrives at job 2 at 165: [0,150] is over, wait until 200 */
    assert_int_equal(r->steps[2].arrival, 165);
    assert_int_equal(r->steps[2].waiting, 35);
    /* open end: the route ends where the last service does */
    assert_int_equal(r->steps[3].arrival, 200);
    assert_int_equal(r->steps[3].loc, 2);
    assert_int_equal(r->travel, 30);
    assert_int_equal(s->cost, 30);
    vrp_solution_free(s);
    /* the other order: job 2 first at 100 (window [0,150]), then job 1 at
    ** 100 + 30 = 130, inside [130,140] with no waiting */
    int seq2[] = {1, 0};
    sq.tasks = seq2;
    assert_int_equal(vrp_solution_from_seqs(p, &sq, 1, false, &s, &e), 0);
    assert_int_equal(s->routes[0].steps[2].arrival, 130);
    assert_int_equal(s->routes[0].steps[2].waiting, 0);
    vrp_solution_free(s);
    /* a reload without a start location is refused */
    int seq3[] = {0, VRP_NONE, 1};
    sq.tasks = seq3;
    sq.n = 3;
    assert_int_equal(vrp_solution_from_seqs(p, &sq, 1, false, &s, &e), ERR_INFEASIBLE);
    assert_non_null(strstr(e.msg, "reloads need a start location"));
    vrp_problem_free(p);
}

static void test_format_parse(void **state)
{
    (void)state;
    enum vrp_format f;
    assert_int_equal(vrp_format_parse("lilim", &f), 0);
    assert_int_equal(f, VRP_FMT_LILIM);
    assert_int_equal(vrp_format_parse("auto", &f), 0);
    assert_int_equal(f, VRP_FMT_AUTO);
    assert_int_not_equal(vrp_format_parse("xml", &f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvrplib_bench_file),
        cmocka_unit_test(test_cvrplib_explicit_layouts),
        cmocka_unit_test(test_cvrplib_euc_nint),
        cmocka_unit_test(test_solomon_bench_file),
        cmocka_unit_test(test_lilim_bench_file),
        cmocka_unit_test(test_text_file_cut_inside_its_last_row),
        cmocka_unit_test(test_vroom_matrices),
        cmocka_unit_test(test_vroom_coordinates),
        cmocka_unit_test(test_hostile_inputs),
        cmocka_unit_test(test_evaluator_and_writer),
        cmocka_unit_test(test_scaled_output),
        cmocka_unit_test(test_open_route_and_windows),
        cmocka_unit_test(test_format_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
