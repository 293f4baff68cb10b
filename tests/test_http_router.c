/* Unit tests for the HTTP router (src/http/router.c): literal and {param}
** segments, literal-before-param with backtracking, 404 vs 405 with Allow,
** HEAD falling back to GET, bad patterns and duplicates refused, and a
** table of many routes matching each of its own patterns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

static void h_dummy(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    (void)req;
    (void)w;
}

static const struct http_route routes[] = {
    {"GET", "/api/v1/villages", h_dummy, 0, 0},                              /* 0 */
    {"POST", "/api/v1/villages", h_dummy, 0, 0},                             /* 1 */
    {"GET", "/api/v1/villages/{id}", h_dummy, 0, 0},                         /* 2 */
    {"PATCH", "/api/v1/villages/{id}", h_dummy, 0, 0},                       /* 3 */
    {"GET", "/api/v1/villages/export", h_dummy, 0, 0},                       /* 4 */
    {"GET", "/api/v1/villages/{village_id}/producers/{pid}", h_dummy, 0, 0}, /* 5 */
    {"GET", "/api/v1/villages/export/{format}", h_dummy, 0, 0},              /* 6 */
    {"GET", "/api/v1/network.geojson", h_dummy, 0, 0},                       /* 7 */
    {"GET", "/", h_dummy, 0, 0},                                             /* 8 */
    {"DELETE", "/api/v1/villages/{id}/photo", h_dummy, 0, 0},                /* 9 */
};

static struct http__router *make(void)
{
    struct http__router *r = NULL;
    struct err e;
    assert_int_equal(http__router_new(&r, routes, RL_ARRAY_LEN(routes), &e), 0);
    return r;
}

static const char *param(const struct http__match *m, const char *name, char *buf, size_t n)
{
    for (int i = 0; i < m->nparams; i++) {
        if (strcmp(m->names[i], name) == 0) {
            snprintf(buf, n, "%.*s", (int)m->params[i].len, m->params[i].ptr);
            return buf;
        }
    }
    return NULL;
}

static void test_literal_and_params(void **state)
{
    (void)state;
    struct http__router *r = make();
    struct http__match m;
    char b[64];
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages", &m, NULL, 0), HTTP__MATCH_OK);
    assert_int_equal(m.route, 0);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(http__router_match(r, "POST", "/api/v1/villages", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 1);
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages/42", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 2);
    assert_string_equal(param(&m, "id", b, sizeof b), "42");
    /* Literal wins over {id}. */
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages/export", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 4);
    /* Names are per route. */
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages/7/producers/99", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 5);
    assert_string_equal(param(&m, "village_id", b, sizeof b), "7");
    assert_string_equal(param(&m, "pid", b, sizeof b), "99");
    assert_null(param(&m, "id", b, sizeof b));
    /* Backtracking: "export" is a literal child, but export/producers/x only
    ** exists under {village_id}. */
    assert_int_equal(
        http__router_match(r, "GET", "/api/v1/villages/export/producers/3", &m, NULL, 0),
        HTTP__MATCH_OK);
    assert_int_equal(m.route, 5);
    assert_string_equal(param(&m, "village_id", b, sizeof b), "export");
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages/export/csv", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 6);
    assert_string_equal(param(&m, "format", b, sizeof b), "csv");
    assert_int_equal(http__router_match(r, "GET", "/api/v1/network.geojson", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 7);
    assert_int_equal(http__router_match(r, "GET", "/", &m, NULL, 0), HTTP__MATCH_OK);
    assert_int_equal(m.route, 8);
    /* Backtracking for method: DELETE .../export/photo goes through {id}. */
    assert_int_equal(http__router_match(r, "DELETE", "/api/v1/villages/export/photo", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 9);
    http__router_free(r);
}

static void test_not_found(void **state)
{
    (void)state;
    struct http__router *r = make();
    struct http__match m;
    const char *paths[] = {"/api/v1",
                           "/api/v1/",
                           "/api/v1/villages/",
                           "/api/v1/villages//",
                           "/api/v1/towns",
                           "/api/v1/villages/1/2",
                           "",
                           "api/v1/villages",
                           "/api/v1/network",
                           "/API/v1/villages"};
    for (size_t i = 0; i < RL_ARRAY_LEN(paths); i++)
        assert_int_equal(http__router_match(r, "GET", paths[i], &m, NULL, 0), HTTP__MATCH_NOPATH);
    /* Empty segment never binds a parameter. */
    assert_int_equal(http__router_match(r, "GET", "/api/v1/villages//producers/1", &m, NULL, 0),
                     HTTP__MATCH_NOPATH);
    /* Too many segments is a plain miss. */
    char deep[100];
    for (int i = 0; i < 40; i++) {
        deep[2 * i] = '/';
        deep[2 * i + 1] = 'x';
    }
    deep[80] = '\0';
    assert_int_equal(http__router_match(r, "GET", deep, &m, NULL, 0), HTTP__MATCH_NOPATH);
    http__router_free(r);
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    struct http__router *r = make();
    struct http__match m;
    char allow[128];
    assert_int_equal(http__router_match(r, "DELETE", "/api/v1/villages", &m, allow, sizeof allow),
                     HTTP__MATCH_NOMETHOD);
    assert_string_equal(allow, "GET, POST, HEAD");
    assert_int_equal(http__router_match(r, "PUT", "/api/v1/villages/5", &m, allow, sizeof allow),
                     HTTP__MATCH_NOMETHOD);
    assert_string_equal(allow, "GET, PATCH, HEAD");
    /* HEAD falls back to GET. */
    assert_int_equal(http__router_match(r, "HEAD", "/api/v1/villages/5", &m, NULL, 0),
                     HTTP__MATCH_OK);
    assert_int_equal(m.route, 2);
    /* Small Allow buffers are truncated, never overrun. */
    char tiny[6];
    assert_int_equal(http__router_match(r, "PUT", "/api/v1/villages", &m, tiny, sizeof tiny),
                     HTTP__MATCH_NOMETHOD);
    assert_true(strlen(tiny) < sizeof tiny);
    http__router_free(r);
}

static void test_bad_tables(void **state)
{
    (void)state;
    struct err e;
    struct http__router *r = NULL;
    const struct http_route dup[] = {
        {"GET", "/a/{x}", h_dummy, 0, 0},
        {"GET", "/a/{y}", h_dummy, 0, 0},
    };
    assert_int_equal(http__router_new(&r, dup, 2, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "twice"));
    const struct http_route bad[][1] = {
        {{"GET", "a/b", h_dummy, 0, 0}},      {{"GET", "/a/{}", h_dummy, 0, 0}},
        {{"GET", "/a/x{id}", h_dummy, 0, 0}}, {{"GET", "/a/{i{d}", h_dummy, 0, 0}},
        {{"GET", "/a", NULL, 0, 0}},          {{"", "/a", h_dummy, 0, 0}},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(bad); i++) {
        r = NULL;
        assert_int_equal(http__router_new(&r, bad[i], 1, &e), ERR_INVAL);
        assert_null(r);
    }
    /* Same pattern, different methods: fine. */
    const struct http_route ok[] = {
        {"GET", "/a/{x}", h_dummy, 0, 0},
        {"PUT", "/a/{y}", h_dummy, 0, 0},
    };
    assert_int_equal(http__router_new(&r, ok, 2, &e), 0);
    http__router_free(r);
}

/* Hundreds of routes: every pattern, instantiated, matches itself. */
static void test_many_routes(void **state)
{
    (void)state;
    enum { N = 600 };
    struct http_route *t = calloc(N, sizeof *t);
    char **pats = calloc(N, sizeof *pats);
    static const char *const methods[] = {"GET", "POST", "PATCH"};
    for (int i = 0; i < N; i++) {
        pats[i] = malloc(96);
        int g = i / 3;
        if (g % 2)
            snprintf(pats[i], 96, "/api/v1/group%d/{id}/items/{item}", g);
        else
            snprintf(pats[i], 96, "/api/v1/group%d/list", g);
        t[i] = (struct http_route){methods[i % 3], pats[i], h_dummy, 0, 0};
    }
    struct http__router *r = NULL;
    struct err e;
    assert_int_equal(http__router_new(&r, t, N, &e), 0);
    for (int i = 0; i < N; i++) {
        char path[128];
        int g = i / 3;
        if (g % 2)
            snprintf(path, sizeof path, "/api/v1/group%d/%d/items/x%d", g, i, i);
        else
            snprintf(path, sizeof path, "/api/v1/group%d/list", g);
        struct http__match m;
        assert_int_equal(http__router_match(r, methods[i % 3], path, &m, NULL, 0), HTTP__MATCH_OK);
        assert_int_equal(m.route, i);
    }
    http__router_free(r);
    for (int i = 0; i < N; i++)
        free(pats[i]);
    free(pats);
    free(t);
}

/* The served table (routes.c) builds: no duplicates, no bad patterns. */
static void test_served_table(void **state)
{
    (void)state;
    size_t n = http_route_count();
    assert_true(n >= 2);
    struct http_route *t = calloc(n, sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = *http_route_at(i);
    assert_null(http_route_at(n));
    struct http__router *r = NULL;
    struct err e;
    int rc = http__router_new(&r, t, n, &e);
    if (rc)
        fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    struct http__match m;
    assert_int_equal(http__router_match(r, "GET", "/api/v1/health", &m, NULL, 0), HTTP__MATCH_OK);
    http__router_free(r);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_and_params), cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed), cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_many_routes),        cmocka_unit_test(test_served_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
