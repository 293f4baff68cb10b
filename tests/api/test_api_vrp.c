/* API tests for route optimisation over HTTP: the VROOM-compatible
** POST /api/v1/vrp/solve, asynchronous jobs, roles, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"

#include "rl_server.h"

static struct ts_server srv;
static char op_tok[128], buyer_tok[128], other_tok[128], aud_tok[128], op1b_tok[128];

/* Two vehicles of capacity 10, five jobs of 3 units: needs both vehicles. */
static const char *problem = "{\"vehicles\":["
                             "{\"id\":1,\"start_index\":0,\"end_index\":0,\"capacity\":[10]},"
                             "{\"id\":2,\"start_index\":0,\"end_index\":0,\"capacity\":[10]}],"
                             "\"jobs\":["
                             "{\"id\":11,\"location_index\":1,\"delivery\":[3]},"
                             "{\"id\":12,\"location_index\":2,\"delivery\":[3]},"
                             "{\"id\":13,\"location_index\":3,\"delivery\":[3]},"
                             "{\"id\":14,\"location_index\":4,\"delivery\":[3]},"
                             "{\"id\":15,\"location_index\":5,\"delivery\":[3]}],"
                             "\"matrices\":{\"car\":{\"durations\":["
                             "[0,10,20,30,40,50],[10,0,10,20,30,40],[20,10,0,10,20,30],"
                             "[30,20,10,0,10,20],[40,30,20,10,0,10],[50,40,30,20,10,0]]}}}";

static int setup(void **state)
{
    (void)state;
    struct ts_opts o = {0};
    if (ts_start(&srv, &o) != 0)
        return -1;
    if (ts_add_user(&srv, 1, "op", "operator", "op-password-1") ||
        ts_add_user(&srv, 1, "shopper", "buyer", "buyer-password-1") ||
        ts_add_user(&srv, 2, "op2", "operator", "op2-password-1") ||
        ts_add_user(&srv, 1, "aud", "auditor", "aud-password-1") ||
        ts_add_user(&srv, 1, "op1b", "operator", "op1b-password-1"))
        return -1;
    if (ts_login(&srv, "op", "op-password-1", op_tok, sizeof op_tok) ||
        ts_login(&srv, "shopper", "buyer-password-1", buyer_tok, sizeof buyer_tok) ||
        ts_login(&srv, "op2", "op2-password-1", other_tok, sizeof other_tok) ||
        ts_login(&srv, "aud", "aud-password-1", aud_tok, sizeof aud_tok) ||
        ts_login(&srv, "op1b", "op1b-password-1", op1b_tok, sizeof op1b_tok))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return ts_stop(&srv) == 0 ? 0 : -1;
}

static int64_t get_i64(struct json_object *o, const char *path1, const char *path2)
{
    struct json_object *a = NULL, *b = NULL;
    assert_true(json_object_object_get_ex(o, path1, &a));
    if (!path2)
        return json_object_get_int64(a);
    assert_true(json_object_object_get_ex(a, path2, &b));
    return json_object_get_int64(b);
}

static const char *get_str(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_string(v);
}

/* How many times a header appears in a response. */
static int header_count(const struct ts_resp *r, const char *name)
{
    int n = 0;
    size_t len = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        if (strncasecmp(p, name, len) == 0 && p[len] == ':')
            n++;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
    return n;
}

/* A problem with n_jobs jobs at coordinates (all distinct places) and
** n_vehicles vehicles; you own the text. */
static char *coords_problem(int n_vehicles, int n_jobs)
{
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addstr(&sb, "{\"vehicles\":[");
    for (int v = 0; v < n_vehicles; v++)
        strbuf_addf(&sb, "%s{\"id\":%d,\"start\":[116.4,39.9]}", v ? "," : "", v + 1);
    strbuf_addstr(&sb, "],\"jobs\":[");
    for (int i = 0; i < n_jobs; i++)
        strbuf_addf(&sb, "%s{\"id\":%d,\"location\":[%.6f,39.9]}", i ? "," : "", i + 1,
                    116.0 + i * 1e-4);
    strbuf_addstr(&sb, "]}");
    return strbuf_detach(&sb, NULL);
}

static void test_solve_answers_vroom_shape(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.7", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    char h[32];
    assert_true(ts_resp_header(&r, "X-Ruralink-Time-Limit", h, sizeof h));
    assert_string_equal(h, "0.7");
    assert_int_equal(get_i64(r.json, "code", NULL), 0);
    assert_int_equal(get_i64(r.json, "summary", "unassigned"), 0);
    assert_int_equal(get_i64(r.json, "summary", "routes"), 2);
    /* Optimal: one vehicle takes 3,4,5 (0-5-0 = 100), the other 1,2 (40). */
    assert_int_equal(get_i64(r.json, "summary", "cost"), 140);
    struct json_object *routes;
    assert_true(json_object_object_get_ex(r.json, "routes", &routes));
    int jobs_seen = 0;
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *steps;
        assert_true(
            json_object_object_get_ex(json_object_array_get_idx(routes, i), "steps", &steps));
        for (size_t k = 0; k < json_object_array_length(steps); k++) {
            struct json_object *type;
            json_object_object_get_ex(json_object_array_get_idx(steps, k), "type", &type);
            jobs_seen += strcmp(json_object_get_string(type), "job") == 0;
        }
    }
    assert_int_equal(jobs_seen, 5);

    /* The answer passes the independent checker with the same cost. */
    char in_path[400], out_path[400], cmd[1400];
    snprintf(in_path, sizeof in_path, "%s/vrp-in.json", srv.dir);
    snprintf(out_path, sizeof out_path, "%s/vrp-out.json", srv.dir);
    FILE *f = fopen(in_path, "w");
    fputs(problem, f);
    fclose(f);
    f = fopen(out_path, "w");
    fwrite(r.body, 1, r.body_len, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s route check %s %s > %s/check.json", RL_BIN, in_path, out_path,
             srv.dir);
    assert_int_equal(ts_sh(cmd), 0);
    ts_resp_free(&r);
}

/* VROOM's setup: paid once per place (two jobs at one place, one setup),
** reported apart from the service at every level; descriptions echoed;
** a vehicle's "type" accepted. The output said "setup": 0 with the setup
** inside the service, and dropped descriptions. */
static void test_setup_and_descriptions_as_vroom(void **state)
{
    (void)state;
    const char *doc = "{\"vehicles\":[{\"id\":1,\"type\":\"van\",\"description\":\"van 1\","
                      "\"start_index\":0,\"end_index\":0}],"
                      "\"jobs\":[{\"id\":1,\"description\":\"shop\",\"location_index\":1,"
                      "\"setup\":60,\"service\":20},"
                      "{\"id\":2,\"description\":\"shop, back door\",\"location_index\":1,"
                      "\"setup\":60,\"service\":30}],"
                      "\"matrices\":{\"car\":{\"durations\":[[0,10],[10,0]]}}}";
    struct ts_resp r;
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.2", op_tok, doc, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(get_i64(r.json, "summary", "setup"), 60);
    assert_int_equal(get_i64(r.json, "summary", "service"), 50);
    struct json_object *routes, *route, *steps;
    assert_true(json_object_object_get_ex(r.json, "routes", &routes));
    route = json_object_array_get_idx(routes, 0);
    assert_string_equal(get_str(route, "description"), "van 1");
    assert_int_equal(get_i64(route, "setup", NULL), 60);
    assert_true(json_object_object_get_ex(route, "steps", &steps));
    assert_int_equal(json_object_array_length(steps), 4);
    int64_t setups = 0;
    for (size_t k = 1; k <= 2; k++) {
        struct json_object *st = json_object_array_get_idx(steps, k);
        int64_t id = get_i64(st, "id", NULL);
        assert_string_equal(get_str(st, "description"), id == 1 ? "shop" : "shop, back door");
        assert_int_equal(get_i64(st, "service", NULL), id == 1 ? 20 : 30);
        setups += get_i64(st, "setup", NULL);
    }
    assert_int_equal(setups, 60);
    /* the end: 10 + 60 + 20 + 30 + 10 */
    assert_int_equal(get_i64(json_object_array_get_idx(steps, 3), "arrival", NULL), 130);
    ts_resp_free(&r);
}

/* Without ?time_limit= the search gets 50 ms per task, 0.5 s to 5 s: five
** jobs get 0.5 s (the search runs until its limit: a small problem used to
** take the full 5 s). The header says the limit used. */
static void test_default_limit_scales_with_tasks(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/solve", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 200);
    char h[32];
    assert_true(ts_resp_header(&r, "X-Ruralink-Time-Limit", h, sizeof h));
    assert_string_equal(h, "0.5");
    assert_int_equal(get_i64(r.json, "summary", "cost"), 140);
    ts_resp_free(&r);
}

static void test_bad_problem_is_vroom_input_error(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/solve", op_tok,
                                  "{\"vehicles\":[],\"jobs\":[]}", &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_int_equal(get_i64(r.json, "code", NULL), 2);
    /* the API's one problem vocabulary (it was "about:blank") */
    assert_string_equal(get_str(r.json, "type"), "urn:ruralink:problem:invalid");
    assert_string_equal(get_str(r.json, "instance"), "/api/v1/vrp/solve");
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/solve", op_tok, "{\"vehicles\":", &r),
                     0);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=-1", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 400);
    assert_int_equal(get_i64(r.json, "code", NULL), 2);
    ts_resp_free(&r);
}

/* The body must be typed as JSON, as vroom-express requires (express.json()
** reads nothing else): a problem sent as text, as a form or untyped is 415
** with a detail naming the type, on both routes (it used to be solved). */
static void test_untyped_body_is_415(void **state)
{
    (void)state;
    static const char *const types[] = {"text/plain", "application/x-www-form-urlencoded", NULL};
    static const char *const paths[] = {"/api/v1/vrp/solve?time_limit=0.1", "/api/v1/vrp/jobs"};
    for (size_t p = 0; p < RL_ARRAY_LEN(paths); p++) {
        for (size_t t = 0; t < RL_ARRAY_LEN(types); t++) {
            struct ts_resp r;
            /* no Content-Type at all: curl would add a form type to a POST */
            const char *const untyped[] = {"Content-Type:", NULL};
            assert_int_equal(ts_request(&srv, "POST", paths[p], op_tok, types[t], problem,
                                        strlen(problem), types[t] ? NULL : untyped, &r),
                             0);
            if (r.status != 415)
                fail_msg("%s as %s: status %d", paths[p], types[t] ? types[t] : "untyped",
                         r.status);
            assert_string_equal(r.content_type, "application/problem+json");
            assert_string_equal(get_str(r.json, "type"), "urn:ruralink:problem:unsupported");
            assert_int_equal(get_i64(r.json, "code", NULL), 2);
            assert_non_null(strstr(get_str(r.json, "detail"), "application/json"));
            ts_resp_free(&r);
        }
    }
    /* a +json type with parameters is JSON */
    struct ts_resp r;
    assert_int_equal(ts_request(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok,
                                "application/vnd.vroom+json; charset=utf-8", problem,
                                strlen(problem), NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
}

static void test_roles_and_tokens(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/solve", NULL, problem, &r), 0);
    assert_int_equal(r.status, 401);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/solve", buyer_tok, problem, &r), 0);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
}

static void test_async_job_lifecycle(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/jobs?time_limit=0.3", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 202);
    int64_t id = get_i64(r.json, "job_id", NULL);
    char loc[128];
    assert_true(ts_resp_header(&r, "Location", loc, sizeof loc));
    ts_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%lld?wait=30", (long long)id);
    assert_non_null(strstr(loc, "/api/v1/jobs/"));
    assert_int_equal(ts_get(&srv, path, op_tok, &r), 0);
    assert_int_equal(r.status, 200);
    struct json_object *st, *res;
    assert_true(json_object_object_get_ex(r.json, "state", &st));
    assert_string_equal(json_object_get_string(st), "done");
    assert_true(json_object_object_get_ex(r.json, "result", &res));
    assert_int_equal(get_i64(res, "summary", "cost"), 140);
    ts_resp_free(&r);

    /* Another county's operator does not see the job. */
    assert_int_equal(ts_get(&srv, path, other_tok, &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    /* In its county: a buyer neither sees nor stops it (404, as for an
    ** unknown job), an auditor reads it but may not stop it (403), the
    ** county's staff may stop it (here: it has ended, 409). */
    snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)id);
    assert_int_equal(ts_get(&srv, path, buyer_tok, &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    assert_int_equal(ts_request(&srv, "DELETE", path, buyer_tok, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    assert_int_equal(ts_get(&srv, path, aud_tok, &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(ts_request(&srv, "DELETE", path, aud_tok, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    assert_int_equal(ts_request(&srv, "DELETE", path, op1b_tok, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);
    /* Cancelling an ended job is a conflict; unknown jobs are 404. */
    snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)id);
    assert_int_equal(ts_request(&srv, "DELETE", path, op_tok, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);
    assert_int_equal(ts_get(&srv, "/api/v1/jobs/987654", op_tok, &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
}

/* Bounds (vroom-express's defaults): a problem over 1,000 tasks or 200
** vehicles is refused with 413 and VROOM's code 4 before it is read. Such a
** body (11,000 coordinate places in 1 MiB) used to cost 1.5 GB and 16 s on
** the request's thread, and a search that ignored its time limit. */
static void test_too_large_is_413(void **state)
{
    (void)state;
    struct ts_resp r;
    char *big = coords_problem(1, 1001);
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, big, &r), 0);
    assert_int_equal(r.status, 413);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_int_equal(get_i64(r.json, "code", NULL), 4);
    assert_string_equal(get_str(r.json, "type"), "urn:ruralink:problem:too-big");
    assert_non_null(strstr(get_str(r.json, "error"), "1001"));
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/vrp/jobs", op_tok, big, &r), 0);
    assert_int_equal(r.status, 413);
    ts_resp_free(&r);
    free(big);
    /* shipments count twice: 501 of them are 1,002 tasks */
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addstr(&sb, "{\"vehicles\":[{\"id\":1,\"start\":[116.4,39.9]}],\"shipments\":[");
    for (int i = 0; i < 501; i++)
        strbuf_addf(&sb,
                    "%s{\"pickup\":{\"id\":%d,\"location\":[116.4,39.9]},"
                    "\"delivery\":{\"id\":%d,\"location\":[116.5,39.9]}}",
                    i ? "," : "", i + 1, i + 1);
    strbuf_addstr(&sb, "]}");
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, strbuf_str(&sb), &r),
        0);
    assert_int_equal(r.status, 413);
    assert_int_equal(get_i64(r.json, "code", NULL), 4);
    ts_resp_free(&r);
    strbuf_release(&sb);
    big = coords_problem(201, 1);
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, big, &r), 0);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(get_str(r.json, "error"), "vehicles"));
    ts_resp_free(&r);
    free(big);
    /* at the bounds: solved */
    big = coords_problem(200, 50);
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, big, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(get_i64(r.json, "summary", "unassigned"), 0);
    ts_resp_free(&r);
    free(big);
}

static void cancel_and_wait(int64_t id)
{
    char path[128];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)id);
    assert_int_equal(ts_request(&srv, "DELETE", path, op_tok, NULL, NULL, 0, NULL, &r), 0);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/jobs/%lld?wait=60", (long long)id);
    assert_int_equal(ts_get(&srv, path, op_tok, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_not_equal(get_str(r.json, "state"), "running");
    assert_string_not_equal(get_str(r.json, "state"), "queued");
    ts_resp_free(&r);
}

/* One user has at most 4 jobs queued or running, of any kind: the fifth
** (a route solve or a siting analysis) gets 429 with one Retry-After,
** while another user still gets in. One operator used to be able to fill
** the whole queue (32 jobs of up to 600 s) that every county's planning
** shares; and a full queue answered two Retry-After headers ("5" and "1"). */
static void test_jobs_per_user_capped(void **state)
{
    (void)state;
    struct ts_resp r;
    int64_t ids[4], other;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(
            ts_post_json(&srv, "POST", "/api/v1/vrp/jobs?time_limit=60", op_tok, problem, &r), 0);
        assert_int_equal(r.status, 202);
        ids[i] = get_i64(r.json, "job_id", NULL);
        ts_resp_free(&r);
    }
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/jobs?time_limit=60", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 429);
    assert_int_equal(header_count(&r, "Retry-After"), 1);
    assert_int_equal(get_i64(r.json, "code", NULL), 1);
    assert_string_equal(get_str(r.json, "type"), "urn:ruralink:problem:busy");
    ts_resp_free(&r);
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 429);
    assert_int_equal(header_count(&r, "Retry-After"), 1);
    ts_resp_free(&r);
    /* the other kinds of job count too, and take the same answer */
    assert_int_equal(ts_post_json(&srv, "POST", "/api/v1/sites/analyses", op_tok, "{\"p\":1}", &r),
                     0);
    assert_int_equal(r.status, 429);
    assert_int_equal(header_count(&r, "Retry-After"), 1);
    ts_resp_free(&r);
    /* another operator of the county is not held back */
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/jobs?time_limit=60", op1b_tok, problem, &r), 0);
    assert_int_equal(r.status, 202);
    other = get_i64(r.json, "job_id", NULL);
    ts_resp_free(&r);
    cancel_and_wait(other);
    for (int i = 3; i >= 0; i--)
        cancel_and_wait(ids[i]);
    /* places given back */
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/solve?time_limit=0.1", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
}

struct solve_call {
    struct ts_server s;
    struct ts_resp r;
    int rc;
};

static void *solve_main(void *arg)
{
    struct solve_call *c = arg;
    c->rc = ts_post_json(&c->s, "POST", "/api/v1/vrp/solve?time_limit=1", op_tok, problem, &c->r);
    ts_cleanup_client(&c->s);
    return NULL;
}

/* A synchronous solve whose job is cancelled before it runs answers 409
** (it was a 500, "Routing failed", for what is no server fault). */
static void test_sync_solve_cancelled_is_409(void **state)
{
    (void)state;
    struct ts_resp r;
    assert_int_equal(
        ts_post_json(&srv, "POST", "/api/v1/vrp/jobs?time_limit=60", op_tok, problem, &r), 0);
    assert_int_equal(r.status, 202);
    int64_t blocker = get_i64(r.json, "job_id", NULL);
    ts_resp_free(&r);
    struct solve_call c = {.s = srv};
    c.s.curl = NULL;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, solve_main, &c), 0);
    /* the solve's job is the next id, queued behind the blocker */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)(blocker + 1));
    for (;;) {
        assert_int_equal(ts_get(&srv, path, op_tok, &r), 0);
        long st = r.status;
        ts_resp_free(&r);
        if (st == 200)
            break;
        assert_int_equal(st, 404);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ts_request(&srv, "DELETE", path, op_tok, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 202);
    ts_resp_free(&r);
    pthread_join(th, NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.r.status, 409);
    assert_string_equal(c.r.content_type, "application/problem+json");
    assert_int_equal(get_i64(c.r.json, "code", NULL), 1);
    assert_string_equal(get_str(c.r.json, "type"), "urn:ruralink:problem:conflict");
    ts_resp_free(&c.r);
    cancel_and_wait(blocker);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_solve_answers_vroom_shape),
        cmocka_unit_test(test_setup_and_descriptions_as_vroom),
        cmocka_unit_test(test_default_limit_scales_with_tasks),
        cmocka_unit_test(test_bad_problem_is_vroom_input_error),
        cmocka_unit_test(test_untyped_body_is_415),
        cmocka_unit_test(test_roles_and_tokens),
        cmocka_unit_test(test_async_job_lifecycle),
        cmocka_unit_test(test_too_large_is_413),
        cmocka_unit_test(test_jobs_per_user_capped),
        cmocka_unit_test(test_sync_solve_cancelled_is_409),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
