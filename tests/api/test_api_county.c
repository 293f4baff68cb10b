/* ctest-labels: api */
/*
** The county network over HTTP, against the real server seeded with the demo
** county: CRUD for townships, villages and nodes; list filters and cursor
** pagination (every village once, no gaps); GeoJSON validity (every village
** is a feature); bad input answered 400/422 with problem+json and nothing
** written; another county's ids 404 both ways; writes forbidden (403) for
** buyer and driver while they can read.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "rl_server.h"

#define DEMO_PW "ruralink-demo"

struct fx {
    struct ts_server s;
    char admin[128], op[128], buyer[128], driver[128], op_b[128];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    struct ts_opts o = {.demo = true};
    if (ts_start(&f->s, &o) != 0)
        return -1;
    if (ts_login(&f->s, "admin", DEMO_PW, f->admin, sizeof f->admin) ||
        ts_login(&f->s, "operator", DEMO_PW, f->op, sizeof f->op) ||
        ts_login(&f->s, "buyer", DEMO_PW, f->buyer, sizeof f->buyer) ||
        ts_login(&f->s, "driver", DEMO_PW, f->driver, sizeof f->driver))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->s.pid)
        ts_stop(&f->s);
    free(f);
    return 0;
}

/* ------------------------------------------------------------ helpers */

static long req(struct fx *f, const char *method, const char *path, const char *tok,
                const char *json, struct ts_resp *r)
{
    int rc = json ? ts_post_json(&f->s, method, path, tok, json, r)
                  : ts_request(&f->s, method, path, tok, NULL, NULL, 0, NULL, r);
    assert_int_equal(rc, 0);
    return r->status;
}

/* Status of a request whose body we do not need. */
static long status_of(struct fx *f, const char *method, const char *path, const char *tok,
                      const char *json)
{
    struct ts_resp r;
    long st = req(f, method, path, tok, json, &r);
    if (st >= 400) /* every error is problem+json */
        assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    return st;
}

static int64_t jint(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no field %s", key);
    return json_object_get_int64(v);
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no field %s", key);
    return json_object_get_string(v);
}

/* POST and return the new id (expects 201). */
static int64_t create(struct fx *f, const char *path, const char *tok, const char *json)
{
    struct ts_resp r;
    long st = req(f, "POST", path, tok, json, &r);
    if (st != 201)
        fail_msg("POST %s %s -> %ld %s", path, json, st, r.body);
    int64_t id = jint(r.json, "id");
    char loc[128];
    assert_true(ts_resp_header(&r, "Location", loc, sizeof loc));
    ts_resp_free(&r);
    return id;
}

/* Walk a list through its cursors; ids into out (up to cap); returns the
** total and checks ascending ids (so no duplicates). */
static size_t walk(struct fx *f, const char *path_with_query, int limit, int64_t *out, size_t cap,
                   size_t *pages)
{
    char cursor[64] = "";
    size_t n = 0;
    *pages = 0;
    int64_t last = 0;
    for (;;) {
        char path[512];
        snprintf(path, sizeof path, "%s%slimit=%d%s%s", path_with_query,
                 strchr(path_with_query, '?') ? "&" : "?", limit, cursor[0] ? "&cursor=" : "",
                 cursor);
        struct ts_resp r;
        if (req(f, "GET", path, f->buyer, NULL, &r) != 200)
            fail_msg("GET %s -> %ld %s", path, r.status, r.body);
        (*pages)++;
        struct json_object *items, *next;
        assert_true(json_object_object_get_ex(r.json, "items", &items));
        assert_true(json_object_object_get_ex(r.json, "next_cursor", &next));
        size_t k = json_object_array_length(items);
        assert_true(k <= (size_t)limit);
        for (size_t i = 0; i < k; i++) {
            int64_t id = jint(json_object_array_get_idx(items, i), "id");
            assert_true(id > last);
            last = id;
            if (n < cap)
                out[n] = id;
            n++;
        }
        if (!next) {
            ts_resp_free(&r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_object_get_string(next));
        ts_resp_free(&r);
        assert_true(k == (size_t)limit); /* only full pages have a next page */
    }
    return n;
}

static size_t count_all(struct fx *f, const char *path)
{
    size_t pages;
    return walk(f, path, 500, NULL, 0, &pages);
}

/* -------------------------------------------------------------- tests */

static void test_demo_lists_paginate_and_geojson(void **state)
{
    struct fx *f = *state;
    int64_t ids[400];
    size_t pages;
    size_t nv = walk(f, "/api/v1/villages", 37, ids, RL_ARRAY_LEN(ids), &pages);
    assert_in_range(nv, 180, 220);
    assert_int_equal(pages, (nv + 36) / 37);
    assert_int_equal(count_all(f, "/api/v1/villages"), nv);
    size_t nt = count_all(f, "/api/v1/townships");
    assert_in_range(nt, 10, 14);

    /* filters */
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/nodes?kind=cold_store", f->buyer, NULL, &r), 200);
    struct json_object *items;
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    assert_int_equal(json_object_array_length(items), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(jstr(json_object_array_get_idx(items, i), "kind"), "cold_store");
    ts_resp_free(&r);
    assert_int_equal(count_all(f, "/api/v1/nodes?kind=township_station"), nt);
    assert_int_equal(count_all(f, "/api/v1/nodes?kind=county_hub"), 1);
    size_t by_twp = 0;
    for (int64_t t = 1; t <= (int64_t)nt; t++) {
        char p[96];
        snprintf(p, sizeof p, "/api/v1/villages?township_id=%lld", (long long)t);
        by_twp += count_all(f, p);
    }
    assert_int_equal(by_twp, nv); /* townships partition the villages */
    assert_int_equal(count_all(f, "/api/v1/villages?q=%E6%9D%91"), nv); /* every name has 村 */
    assert_int_equal(count_all(f, "/api/v1/villages?q=no-such-name"), 0);

    /* GeoJSON: a FeatureCollection in which every village is a Point feature */
    assert_int_equal(req(f, "GET", "/api/v1/network.geojson", f->driver, NULL, &r), 200);
    assert_non_null(strstr(r.content_type, "application/geo+json"));
    struct json_object *doc = NULL;
    struct err e = {0};
    if (rjson_parse(r.body, r.body_len, &doc, &e))
        fail_msg("geojson: %s", e.msg);
    assert_string_equal(jstr(doc, "type"), "FeatureCollection");
    struct json_object *features;
    assert_true(json_object_object_get_ex(doc, "features", &features));
    size_t found = 0, lines = 0, nodes_en = 0;
    for (size_t i = 0; i < json_object_array_length(features); i++) {
        struct json_object *ft = json_object_array_get_idx(features, i), *g, *p, *coords;
        assert_string_equal(jstr(ft, "type"), "Feature");
        assert_true(json_object_object_get_ex(ft, "geometry", &g));
        assert_true(json_object_object_get_ex(ft, "properties", &p));
        assert_true(json_object_object_get_ex(g, "coordinates", &coords));
        if (strcmp(jstr(g, "type"), "LineString") == 0) {
            lines++;
            assert_int_equal(json_object_array_length(coords), 2);
            continue;
        }
        assert_string_equal(jstr(g, "type"), "Point");
        assert_int_equal(json_object_array_length(coords), 2);
        double lon = json_object_get_double(json_object_array_get_idx(coords, 0));
        double lat = json_object_get_double(json_object_array_get_idx(coords, 1));
        assert_true(lon > 100 && lon < 120 && lat > 20 && lat < 35); /* [lon, lat] order */
        if (strcmp(jstr(p, "layer"), "node") == 0) {
            /* named in English (the demo names every node), with the
            ** village and township it belongs to */
            assert_true(strlen(jstr(p, "name_en")) > 0);
            assert_true(json_object_object_get_ex(p, "village_id", NULL));
            assert_true(json_object_object_get_ex(p, "township_id", NULL));
            if (strcmp(jstr(p, "kind"), "village_point") == 0) {
                assert_true(jint(p, "village_id") > 0);
                assert_true(jint(p, "township_id") > 0);
                nodes_en++;
            }
        }
        if (strcmp(jstr(p, "layer"), "village") == 0) {
            int64_t id = jint(p, "id");
            bool listed = false;
            for (size_t k = 0; k < nv; k++)
                listed = listed || ids[k] == id;
            assert_true(listed);
            assert_true(jint(p, "population") > 0);
            found++;
        }
    }
    assert_int_equal(found, nv);
    assert_true(nodes_en > 0);
    assert_true(lines > nt); /* stations and points hang under their parents */
    json_object_put(doc);
    ts_resp_free(&r);

    /* list arguments */
    assert_int_equal(status_of(f, "GET", "/api/v1/villages?limit=0", f->buyer, NULL), 400);
    assert_int_equal(status_of(f, "GET", "/api/v1/villages?limit=501", f->buyer, NULL), 400);
    assert_int_equal(status_of(f, "GET", "/api/v1/villages?cursor=zzz", f->buyer, NULL), 400);
    assert_int_equal(status_of(f, "GET", "/api/v1/nodes?kind=warehouse", f->buyer, NULL), 400);
    assert_int_equal(status_of(f, "GET", "/api/v1/villages?township_id=-3", f->buyer, NULL), 400);
}

static void test_crud(void **state)
{
    struct fx *f = *state;
    char body[512], path[96];
    int64_t twp = create(f, "/api/v1/townships", f->op,
                         "{\"name_zh\":\"测试镇\",\"name_en\":\"Ceshi Town\",\"lat\":27.1,"
                         "\"lon\":108.6}");
    snprintf(body, sizeof body,
             "{\"township_id\":%lld,\"name_zh\":\"测试村\",\"population\":420,"
             "\"households\":120,\"elevation_m\":880,\"lat\":27.11,\"lon\":108.61}",
             (long long)twp);
    int64_t vil = create(f, "/api/v1/villages", f->op, body);

    /* the hub of the demo county */
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/nodes?kind=county_hub", f->op, NULL, &r), 200);
    struct json_object *items;
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    int64_t hub = jint(json_object_array_get_idx(items, 0), "id");
    ts_resp_free(&r);

    snprintf(body, sizeof body,
             "{\"kind\":\"township_station\",\"name\":\"测试站\",\"lat\":27.1,\"lon\":108.6,"
             "\"parent_id\":%lld,\"township_id\":%lld,\"open_min\":480,\"close_min\":1080,"
             "\"capacity_g\":5000000}",
             (long long)hub, (long long)twp);
    int64_t st = create(f, "/api/v1/nodes", f->op, body);
    snprintf(body, sizeof body,
             "{\"kind\":\"village_point\",\"name\":\"测试点\",\"name_en\":\"Ceshi point\","
             "\"lat\":27.11,\"lon\":108.61,\"parent_id\":%lld,\"village_id\":%lld}",
             (long long)st, (long long)vil);
    int64_t pt = create(f, "/api/v1/nodes", f->admin, body);

    snprintf(path, sizeof path, "/api/v1/nodes/%lld", (long long)pt);
    assert_int_equal(req(f, "GET", path, f->buyer, NULL, &r), 200);
    assert_int_equal(jint(r.json, "township_id"), twp); /* derived from the village */
    assert_int_equal(jint(r.json, "close_min"), 1440);  /* default hours */
    assert_string_equal(jstr(r.json, "name_en"), "Ceshi point");
    ts_resp_free(&r);
    /* an English name alone changes, or goes ("" = none); not a number */
    assert_int_equal(
        req(f, "PATCH", path, f->op, "{\"name_en\":\"Ceshi Village service point\"}", &r), 200);
    assert_string_equal(jstr(r.json, "name_en"), "Ceshi Village service point");
    assert_string_equal(jstr(r.json, "name"), "测试点");
    ts_resp_free(&r);
    assert_int_equal(status_of(f, "PATCH", path, f->op, "{\"name_en\":7}"), 400);
    assert_int_equal(status_of(f, "PATCH", path, f->op, "{\"name_en\":\" x\"}"), 422);
    assert_int_equal(req(f, "PATCH", path, f->op, "{\"name_en\":\"\"}", &r), 200);
    assert_string_equal(jstr(r.json, "name_en"), "");
    ts_resp_free(&r);
    assert_int_equal(req(f, "PATCH", path, f->op, "{\"active\":false,\"close_min\":1200}", &r),
                     200);
    assert_false(json_object_get_boolean(json_object_object_get(r.json, "active")));
    assert_int_equal(jint(r.json, "close_min"), 1200);
    assert_int_equal(jint(r.json, "village_id"), vil);
    ts_resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/villages/%lld", (long long)vil);
    assert_int_equal(req(f, "PATCH", path, f->op, "{\"population\":500}", &r), 200);
    assert_int_equal(jint(r.json, "population"), 500);
    assert_int_equal(jint(r.json, "households"), 120);
    assert_string_equal(jstr(r.json, "name_zh"), "测试村");
    ts_resp_free(&r);

    /* deletes in dependency order: 409 while something hangs below */
    snprintf(path, sizeof path, "/api/v1/townships/%lld", (long long)twp);
    assert_int_equal(status_of(f, "DELETE", path, f->op, NULL), 409);
    snprintf(path, sizeof path, "/api/v1/nodes/%lld", (long long)st);
    assert_int_equal(status_of(f, "DELETE", path, f->op, NULL), 409);
    snprintf(path, sizeof path, "/api/v1/nodes/%lld", (long long)pt);
    assert_int_equal(status_of(f, "DELETE", path, f->op, NULL), 204);
    assert_int_equal(status_of(f, "GET", path, f->op, NULL), 404);
    snprintf(path, sizeof path, "/api/v1/nodes/%lld", (long long)st);
    assert_int_equal(status_of(f, "DELETE", path, f->op, NULL), 204);
    snprintf(path, sizeof path, "/api/v1/villages/%lld", (long long)vil);
    assert_int_equal(status_of(f, "DELETE", path, f->op, NULL), 204);
    snprintf(path, sizeof path, "/api/v1/townships/%lld", (long long)twp);
    assert_int_equal(status_of(f, "DELETE", path, f->admin, NULL), 204);
    assert_int_equal(status_of(f, "GET", path, f->op, NULL), 404);

    /* the county itself */
    assert_int_equal(req(f, "GET", "/api/v1/counties", f->buyer, NULL, &r), 200);
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    assert_int_equal(json_object_array_length(items), 1);
    int64_t cid = jint(json_object_array_get_idx(items, 0), "id");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/counties/%lld", (long long)cid);
    assert_int_equal(req(f, "PATCH", path, f->op, "{\"circuity\":1.5}", &r), 200);
    assert_true(json_object_get_double(json_object_object_get(r.json, "circuity")) == 1.5);
    ts_resp_free(&r);
}

static void test_bad_input_writes_nothing(void **state)
{
    struct fx *f = *state;
    size_t nt = count_all(f, "/api/v1/townships");
    size_t nv = count_all(f, "/api/v1/villages");
    size_t nn = count_all(f, "/api/v1/nodes");
    static const struct {
        const char *path, *body;
        long status;
    } cases[] = {
        {"/api/v1/townships", "{\"name_zh\":\"坏镇\",", 400}, /* JSON */
        {"/api/v1/townships", "[1,2]", 400},                  /* not an object */
        {"/api/v1/townships", "{\"name_zh\":\"坏镇\",\"lat\":\"x\",\"lon\":1}", 400}, /* type */
        {"/api/v1/townships", "{\"name_zh\":\"坏镇\",\"lat\":27}", 400}, /* lon missing */
        {"/api/v1/townships", "{\"lat\":27,\"lon\":108}", 400},          /* name missing */
        {"/api/v1/townships", "{\"name_zh\":\"坏镇\",\"lat\":27,\"lon\":108,\"x\":1}", 400},
        {"/api/v1/townships", "{\"name_zh\":\"坏镇\",\"lat\":95,\"lon\":108}", 422},
        {"/api/v1/townships", "{\"name_zh\":\"\",\"lat\":27,\"lon\":108}", 422},
        {"/api/v1/townships", "{\"name_zh\":\"a\\u0000b\",\"lat\":27,\"lon\":108}", 400},
        {"/api/v1/townships", "{\"name_zh\":\"a\\u0007b\",\"lat\":27,\"lon\":108}", 422},
        {"/api/v1/townships", "{\"name_zh\":\"城关镇\",\"lat\":27,\"lon\":108}", 409}, /* dup */
        {"/api/v1/villages",
         "{\"township_id\":1,\"name_zh\":\"坏村\",\"population\":10,"
         "\"households\":11,\"lat\":27,\"lon\":108}",
         422},
        {"/api/v1/villages", "{\"township_id\":99999,\"name_zh\":\"坏村\",\"lat\":27,\"lon\":108}",
         422},
        {"/api/v1/villages", "{\"township_id\":1.5,\"name_zh\":\"坏村\",\"lat\":27,\"lon\":108}",
         400},
        {"/api/v1/nodes", "{\"kind\":\"warehouse\",\"name\":\"坏\",\"lat\":27,\"lon\":108}", 400},
        {"/api/v1/nodes",
         "{\"kind\":\"county_hub\",\"name\":\"坏\",\"lat\":27,\"lon\":108,"
         "\"parent_id\":1}",
         422},
        {"/api/v1/nodes", "{\"kind\":\"cold_store\",\"name\":\"坏\",\"lat\":27,\"lon\":108}", 422},
        {"/api/v1/nodes",
         "{\"kind\":\"county_hub\",\"name\":\"坏\",\"lat\":27,\"lon\":108,"
         "\"open_min\":900,\"close_min\":600}",
         422},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(cases); i++) {
        long st = status_of(f, "POST", cases[i].path, f->op, cases[i].body);
        if (st != cases[i].status)
            fail_msg("case %zu: POST %s %s -> %ld, want %ld", i, cases[i].path, cases[i].body, st,
                     cases[i].status);
    }
    /* a body that is not JSON at all, and a PATCH that breaks a rule */
    struct ts_resp r;
    assert_int_equal(
        ts_request(&f->s, "POST", "/api/v1/villages", f->op, "text/plain", "hi", 2, NULL, &r), 0);
    assert_true(r.status == 400 || r.status == 415);
    ts_resp_free(&r);
    assert_int_equal(status_of(f, "PATCH", "/api/v1/villages/1", f->op, "{\"population\":-5}"),
                     422);
    assert_int_equal(status_of(f, "PATCH", "/api/v1/villages/1", f->op, "{\"lat\":27}"), 400);
    assert_int_equal(status_of(f, "PATCH", "/api/v1/villages/abc", f->op, "{}"), 400);
    assert_int_equal(status_of(f, "PATCH", "/api/v1/villages/1", f->op, "{}"), 422);

    assert_int_equal(count_all(f, "/api/v1/townships"), nt);
    assert_int_equal(count_all(f, "/api/v1/villages"), nv);
    assert_int_equal(count_all(f, "/api/v1/nodes"), nn);
    assert_int_equal(req(f, "GET", "/api/v1/villages/1", f->op, NULL, &r), 200);
    assert_true(jint(r.json, "population") > 0);
    ts_resp_free(&r);
}

static void test_roles_and_other_county(void **state)
{
    struct fx *f = *state;
    /* buyer and driver read but never write */
    const char *readers[] = {f->buyer, f->driver};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(status_of(f, "GET", "/api/v1/villages/1", readers[i], NULL), 200);
        assert_int_equal(status_of(f, "POST", "/api/v1/townships", readers[i],
                                   "{\"name_zh\":\"禁镇\",\"lat\":27,\"lon\":108}"),
                         403);
        assert_int_equal(
            status_of(f, "PATCH", "/api/v1/villages/1", readers[i], "{\"population\":1}"), 403);
        assert_int_equal(status_of(f, "DELETE", "/api/v1/nodes/1", readers[i], NULL), 403);
        assert_int_equal(status_of(f, "POST", "/api/v1/counties", readers[i], "{}"), 403);
    }
    assert_int_equal(status_of(f, "GET", "/api/v1/villages", NULL, NULL), 401);
    assert_int_equal(status_of(f, "POST", "/api/v1/counties", f->op, "{}"), 403);

    /* a second county with its own operator (made with the CLI, as in real life) */
    int64_t cb = create(f, "/api/v1/counties", f->admin,
                        "{\"code\":\"T-OTHER\",\"name_zh\":\"邻县\",\"center\":{\"lat\":27.5,"
                        "\"lon\":109.0}}");
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' 'other-county-pw' | '%s' user add --db '%s' --name opb "
             "--role operator --county %lld --password-stdin >/dev/null",
             RL_BIN, f->s.db, (long long)cb);
    assert_int_equal(ts_sh(cmd), 0);
    assert_int_equal(ts_login(&f->s, "opb", "other-county-pw", f->op_b, sizeof f->op_b), 0);

    int64_t tb = create(f, "/api/v1/townships", f->op_b,
                        "{\"name_zh\":\"邻镇\",\"lat\":27.5,\"lon\":109.0}");
    char path[96];
    /* A cannot see or touch B's township */
    snprintf(path, sizeof path, "/api/v1/townships/%lld", (long long)tb);
    assert_int_equal(status_of(f, "GET", path, f->op, NULL), 404);
    assert_int_equal(status_of(f, "PATCH", path, f->op, "{\"name_en\":\"x\"}"), 404);
    assert_int_equal(status_of(f, "DELETE", path, f->admin, NULL), 404);
    assert_int_equal(status_of(f, "GET", path, f->op_b, NULL), 200);
    /* B cannot see A's rows or county, nor hang rows under them */
    assert_int_equal(status_of(f, "GET", "/api/v1/villages/1", f->op_b, NULL), 404);
    assert_int_equal(status_of(f, "GET", "/api/v1/nodes/1", f->op_b, NULL), 404);
    assert_int_equal(status_of(f, "GET", "/api/v1/counties/1", f->op_b, NULL), 404);
    assert_int_equal(status_of(f, "DELETE", "/api/v1/villages/1", f->op_b, NULL), 404);
    assert_int_equal(status_of(f, "POST", "/api/v1/villages", f->op_b,
                               "{\"township_id\":1,\"name_zh\":\"偷村\",\"lat\":27,\"lon\":108}"),
                     422);
    assert_int_equal(count_all(f, "/api/v1/villages?township_id=1") > 0, 1);
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/villages", f->op_b, NULL, &r), 200);
    struct json_object *items;
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    assert_int_equal(json_object_array_length(items), 0);
    ts_resp_free(&r);
    assert_int_equal(req(f, "GET", "/api/v1/network.geojson", f->op_b, NULL, &r), 200);
    struct json_object *doc = NULL, *features;
    struct err e = {0};
    assert_int_equal(rjson_parse(r.body, r.body_len, &doc, &e), 0);
    assert_true(json_object_object_get_ex(doc, "features", &features));
    assert_int_equal(json_object_array_length(features), 2); /* seat + its one township */
    json_object_put(doc);
    ts_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_lists_paginate_and_geojson),
        cmocka_unit_test(test_crud),
        cmocka_unit_test(test_bad_input_writes_nothing),
        cmocka_unit_test(test_roles_and_other_county),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
