/* ctest-labels: slow */
/* API tests for logistics on the demo county through the real server: the
** fleet, bad input answered with problem+json and nothing written, dispatch
** (POST /plans as a job), KPIs recomputed equal, approval gating drivers,
** sheets in every format, tracking refused for another driver's route (403)
** and accepted for the own route, compare, baseline, urgent insertion
** refused on a draft, siting analyses, missing query ids (400), siting and
** consignment rules (422), where a consignment's goods are (its JSON after
** a failed drop and the route's END). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "rl_server.h"

#include <sqlite3.h>

static struct ts_server srv;
static char op_tok[128], drv_tok[128], drv2_tok[128], aud_tok[128];
static int64_t driver_id, hub_id;
static char today[16];

static int64_t jint(struct json_object *o, const char *k)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static struct json_object *jget(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* A string member, "" when absent or null. */
static const char *jstr(struct json_object *o, const char *k)
{
    const char *v = json_object_get_string(jget(o, k));
    return v ? v : "";
}

/* Whether GET /api/v1/plans shows plan `id` to the holder of `tok`. */
static bool plan_listed(const char *tok, int64_t id)
{
    struct ts_resp r;
    bool found = false;
    if (ts_get(&srv, "/api/v1/plans", tok, &r) == 0 && r.status == 200 && r.json) {
        struct json_object *items = jget(r.json, "items");
        for (size_t i = 0; items && i < json_object_array_length(items); i++)
            found |= jint(json_object_array_get_idx(items, i), "id") == id;
    }
    ts_resp_free(&r);
    return found;
}

static int setup(void **state)
{
    (void)state;
    /* housekeeping once, at start: these tests report on plans of days long
    ** over, whose unreported pickups a later sweep would reopen midway */
    struct ts_opts o = {.demo = true, .extra = {"--housekeeping-seconds", "86400", NULL}};
    if (ts_start(&srv, &o) != 0)
        return -1;
    if (ts_add_user(&srv, 1, "driver2", "driver", "driver2-password"))
        return -1;
    if (ts_login(&srv, "operator", "ruralink-demo", op_tok, sizeof op_tok) ||
        ts_login(&srv, "driver", "ruralink-demo", drv_tok, sizeof drv_tok) ||
        ts_login(&srv, "driver2", "driver2-password", drv2_tok, sizeof drv2_tok) ||
        ts_login(&srv, "auditor", "ruralink-demo", aud_tok, sizeof aud_tok))
        return -1;
    struct ts_resp r;
    ts_get(&srv, "/api/v1/me", drv_tok, &r);
    driver_id = jint(r.json, "id");
    ts_resp_free(&r);
    /* today in China (UTC+8) */
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    return driver_id > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return ts_stop(&srv) == 0 ? 0 : -1;
}

static size_t vehicle_count(void)
{
    struct ts_resp r;
    ts_get(&srv, "/api/v1/vehicles", op_tok, &r);
    assert_int_equal(r.status, 200);
    size_t n = json_object_array_length(jget(r.json, "items"));
    ts_resp_free(&r);
    return n;
}

static void test_fleet(void **state)
{
    (void)state;
    struct ts_resp r;
    ts_get(&srv, "/api/v1/vehicles", op_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *items = jget(r.json, "items");
    assert_int_equal(json_object_array_length(items), 7);
    hub_id = jint(json_object_array_get_idx(items, 0), "depot_node_id");
    /* the demo driver drives every vehicle (for the tracking test) */
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        char path[64], body[64];
        snprintf(path, sizeof path, "/api/v1/vehicles/%lld",
                 (long long)jint(json_object_array_get_idx(items, i), "id"));
        snprintf(body, sizeof body, "{\"driver_user_id\":%lld}", (long long)driver_id);
        struct ts_resp p;
        ts_post_json(&srv, "PATCH", path, op_tok, body, &p);
        assert_int_equal(p.status, 200);
        ts_resp_free(&p);
    }
    ts_resp_free(&r);
    /* bad input: problem+json, nothing written */
    const char *bad[] = {
        "{\"plate\":\"X1\",\"depot_node_id\":1,\"capacity_g\":\"heavy\",\"capacity_ml\":1}",
        "{\"plate\":\"X1\",\"depot_node_id\":999999,\"capacity_g\":1000,\"capacity_ml\":1000}",
        "{\"plate\":\"X1\",\"depot_node_id\":1,\"capacity_g\":0,\"capacity_ml\":1000}",
        "{\"plate\":\"X1\",\"depot_node_id\":1,\"capacity_g\":10,\"capacity_ml\":10,\"wings\":2}",
        ("{\"plate\":\"X1\",\"depot_node_id\":1,\"capacity_g\":10,\"capacity_ml\":10,"
         "\"temp_class\":\"lukewarm\"}"),
        "{\"plate\":",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_post_json(&srv, "POST", "/api/v1/vehicles", op_tok, bad[i], &r);
        assert_true(r.status == 400 || r.status == 422);
        assert_non_null(strstr(r.content_type, "application/problem+json"));
        ts_resp_free(&r);
    }
    ts_post_json(&srv, "POST", "/api/v1/vehicles", drv_tok,
                 "{\"plate\":\"X1\",\"depot_node_id\":1,\"capacity_g\":10,\"capacity_ml\":10}", &r);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    assert_int_equal(vehicle_count(), 7);
}

static int64_t create_plan(void)
{
    char body[160];
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             today, (long long)hub_id);
    struct ts_resp r;
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    assert_true(id > 0);
    assert_non_null(jget(r.json, "routes"));
    ts_resp_free(&r);
    return id;
}

static void test_plans(void **state)
{
    (void)state;
    struct ts_resp r;
    char body[200], path[128];
    /* bad dispatch requests */
    snprintf(body, sizeof body, "{\"date\":\"not-a-date\",\"depot_node_id\":%lld}",
             (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":999999}", today);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 422);
    ts_resp_free(&r);
    /* a node of the county with no vehicle: refused, not an empty plan */
    ts_get(&srv, "/api/v1/nodes?limit=500", op_tok, &r);
    int64_t bare = 0;
    struct json_object *nodes = jget(r.json, "items");
    for (size_t i = 0; !bare && i < json_object_array_length(nodes); i++) {
        int64_t nid = jint(json_object_array_get_idx(nodes, i), "id");
        bare = nid != hub_id ? nid : 0;
    }
    ts_resp_free(&r);
    assert_true(bare > 0);
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld}", today, (long long)bare);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "no active vehicles"));
    ts_resp_free(&r);
    /* only the demo's own plan for today: the bad requests wrote nothing */
    ts_get(&srv, "/api/v1/plans", op_tok, &r);
    assert_int_equal(json_object_array_length(jget(r.json, "items")), 1);
    ts_resp_free(&r);

    int64_t id = create_plan();
    snprintf(path, sizeof path, "/api/v1/plans/%lld/kpis", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    assert_true(json_object_get_boolean(jget(r.json, "recomputed_equal")));
    ts_resp_free(&r);
    /* drafts: not for drivers; sheets for staff */
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, drv_tok, &r);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    assert_false(plan_listed(drv_tok, id));
    const char *fmts[] = {"json", "csv", "geojson", "html"};
    const char *types[] = {"application/json", "text/csv", "application/geo+json", "text/html"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=%s", (long long)id, fmts[i]);
        ts_get(&srv, path, op_tok, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.content_type, types[i]));
        ts_resp_free(&r);
    }
    snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=pdf", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    /* urgent insertion needs an approved plan */
    snprintf(path, sizeof path, "/api/v1/plans/%lld/urgent", (long long)id);
    ts_post_json(&srv, "POST", path, op_tok, "{\"order_id\":1}", &r);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);
    /* approval */
    snprintf(path, sizeof path, "/api/v1/plans/%lld/approve", (long long)id);
    ts_post_json(&srv, "POST", path, drv_tok, "{}", &r);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, drv_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *route = json_object_array_get_idx(jget(r.json, "routes"), 0);
    int64_t route_id = jint(route, "id");
    struct json_object *stops = jget(route, "stops");
    struct json_object *stop = json_object_array_get_idx(stops, 1);
    int64_t stop_id = jint(stop, "id");
    assert_true(route_id > 0 && stop_id > 0);
    ts_resp_free(&r);
    ts_get(&srv, path, drv2_tok, &r); /* driver2 has no route in it */
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    /* drivers find their approved plan in the list; others' plans stay hidden */
    assert_true(plan_listed(drv_tok, id));
    assert_false(plan_listed(drv2_tok, id));
    /* tracking: another driver is refused, nothing written */
    snprintf(body, sizeof body, "{\"stop_id\":%lld,\"event\":\"arrived\"}", (long long)stop_id);
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", drv2_tok, body, &r);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"route_id\":%lld,\"lat\":27.5,\"lon\":109.3}",
             (long long)route_id);
    ts_post_json(&srv, "POST", "/api/v1/tracking/positions", drv2_tok, body, &r);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    struct json_object *s1 = json_object_array_get_idx(
        jget(json_object_array_get_idx(jget(r.json, "routes"), 0), "stops"), 1);
    assert_string_equal(json_object_get_string(jget(s1, "status")), "pending");
    ts_resp_free(&r);
    /* the route's own driver */
    snprintf(body, sizeof body, "{\"stop_id\":%lld,\"event\":\"arrived\"}", (long long)stop_id);
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", drv_tok, body, &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"stop_id\":%lld,\"event\":\"teleported\"}", (long long)stop_id);
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", drv_tok, body, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    /* a late position far outside the county: both alerts, ETAs move */
    snprintf(body, sizeof body,
             "{\"route_id\":%lld,\"lat\":31.0,\"lon\":104.0,\"ts\":\"%sT23:00:00+08:00\"}",
             (long long)route_id, today);
    ts_post_json(&srv, "POST", "/api/v1/tracking/positions", drv_tok, body, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "alerts_raised"), 2);
    assert_true(jint(r.json, "delay_s") > 0);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/tracking?plan_id=%lld", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(jget(r.json, "alerts")), 2);
    {
        /* each alert with its own figure: a late one its delay, an
        ** off-corridor one its distance from the route */
        struct json_object *als = jget(r.json, "alerts");
        for (size_t k = 0; k < json_object_array_length(als); k++) {
            struct json_object *a = json_object_array_get_idx(als, k);
            if (!strcmp(jstr(a, "kind"), "late")) {
                assert_true(jint(a, "delay_s") > 1200);
                assert_null(jget(a, "distance_m"));
            } else {
                assert_string_equal(jstr(a, "kind"), "off_corridor");
                assert_true(jint(a, "distance_m") > 3000);
                assert_null(jget(a, "delay_s"));
            }
        }
    }
    {
        /* the office sees the vehicle where the driver last reported it */
        struct json_object *rts = jget(r.json, "routes"), *pos = NULL;
        for (size_t k = 0; k < json_object_array_length(rts); k++) {
            struct json_object *x = json_object_array_get_idx(rts, k);
            if (jint(x, "route_id") == route_id)
                json_object_object_get_ex(x, "position", &pos);
        }
        assert_non_null(pos);
        assert_true(json_object_get_double(jget(pos, "lat")) == 31.0);
        assert_true(json_object_get_double(jget(pos, "lon")) == 104.0);
    }
    ts_resp_free(&r);
    ts_get(&srv, path, drv_tok, &r); /* alerts are for the office */
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, drv_tok, &r);
    assert_non_null(strstr(r.body, "\"eta_live\""));
    ts_resp_free(&r);
    /* compare with a second plan; a retry with the same Idempotency-Key
    ** answers the same plan instead of planning again */
    int64_t id2 = create_plan();
    {
        char b2[160];
        snprintf(b2, sizeof b2, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
                 today, (long long)hub_id);
        const char *hdr[] = {"Idempotency-Key: plan-retry-1", NULL};
        struct ts_resp r1, r2;
        ts_request(&srv, "POST", "/api/v1/plans", op_tok, "application/json", b2, strlen(b2), hdr,
                   &r1);
        ts_request(&srv, "POST", "/api/v1/plans", op_tok, "application/json", b2, strlen(b2), hdr,
                   &r2);
        assert_int_equal(r1.status, 201);
        assert_int_equal(r2.status, 201);
        assert_int_equal(jint(r1.json, "id"), jint(r2.json, "id"));
        ts_resp_free(&r1);
        ts_resp_free(&r2);
    }
    snprintf(path, sizeof path, "/api/v1/plans/compare?a=%lld&b=%lld", (long long)id,
             (long long)id2);
    ts_get(&srv, path, aud_tok, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(jget(jget(r.json, "kpis"), "distance_m"));
    ts_resp_free(&r);
}

/* An order id that a route of plan `id` carries (the first unload found). */
static int64_t carried_order(int64_t id)
{
    char path[64];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    int64_t order = 0;
    struct json_object *routes = jget(r.json, "routes");
    for (size_t i = 0; !order && i < json_object_array_length(routes); i++) {
        struct json_object *stops = jget(json_object_array_get_idx(routes, i), "stops");
        for (size_t k = 0; !order && k < json_object_array_length(stops); k++) {
            struct json_object *items = jget(json_object_array_get_idx(stops, k), "items");
            for (size_t m = 0; !order && m < json_object_array_length(items); m++)
                order = jint(json_object_array_get_idx(items, m), "order_id");
            order = order > 0 ? order : 0;
        }
    }
    ts_resp_free(&r);
    return order;
}

static const char *order_status(int64_t order)
{
    static char out[16];
    char path[64];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/orders/%lld", (long long)order);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    snprintf(out, sizeof out, "%s", json_object_get_string(jget(r.json, "status")));
    ts_resp_free(&r);
    return out;
}

static int move_order(const char *tok, int64_t order, const char *to)
{
    char path[64], body[64];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/orders/%lld/status", (long long)order);
    snprintf(body, sizeof body, "{\"status\":\"%s\"}", to);
    ts_post_json(&srv, "POST", path, tok, body, &r);
    int status = r.status;
    if (status >= 400)
        assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    return status;
}

/* A driver marks delivered the orders its routes carry, and nothing else. */
static void test_driver_delivers_carried_orders(void **state)
{
    (void)state;
    char path[64];
    struct ts_resp r;
    int64_t id = create_plan();
    snprintf(path, sizeof path, "/api/v1/plans/%lld/approve", (long long)id);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    int64_t order = carried_order(id);
    assert_true(order > 0);
    if (!strcmp(order_status(order), "confirmed"))
        assert_int_equal(move_order(op_tok, order, "packed"), 200);
    assert_string_equal(order_status(order), "packed");
    /* not shipped yet: the move is refused and nothing changes */
    assert_int_equal(move_order(drv_tok, order, "delivered"), 409);
    assert_string_equal(order_status(order), "packed");
    assert_int_equal(move_order(op_tok, order, "shipped"), 200);
    /* another driver does not see it; the carrying driver only delivers */
    assert_int_equal(move_order(drv2_tok, order, "delivered"), 404);
    assert_int_equal(move_order(drv_tok, order, "cancelled"), 403);
    assert_string_equal(order_status(order), "shipped");
    snprintf(path, sizeof path, "/api/v1/orders/%lld/status", (long long)order);
    ts_post_json(&srv, "POST", path, drv_tok, "{\"status\":\"delivered\",\"note\":\"at the door\"}",
                 &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_object_get_string(jget(r.json, "status")), "delivered");
    ts_resp_free(&r);
    /* the history names the driver */
    snprintf(path, sizeof path, "/api/v1/orders/%lld", (long long)order);
    ts_get(&srv, path, op_tok, &r);
    struct json_object *h = jget(r.json, "history");
    struct json_object *last = json_object_array_get_idx(h, json_object_array_length(h) - 1);
    assert_int_equal(jint(last, "actor_user_id"), driver_id);
    assert_string_equal(json_object_get_string(jget(last, "to")), "delivered");
    ts_resp_free(&r);
    assert_int_equal(move_order(drv_tok, order, "delivered"), 409);
    /* an order none of its routes carries stays out of its sight */
    ts_get(&srv, "/api/v1/orders?status=delivered&limit=50", op_tok, &r);
    struct json_object *items = jget(r.json, "items");
    int64_t other = 0;
    for (size_t i = 0; !other && i < json_object_array_length(items); i++) {
        int64_t x = jint(json_object_array_get_idx(items, i), "id");
        other = x != order ? x : 0;
    }
    ts_resp_free(&r);
    assert_true(other > 0);
    assert_int_equal(move_order(drv_tok, other, "delivered"), 404);
}

static void test_baseline_and_sites(void **state)
{
    (void)state;
    struct ts_resp r;
    ts_get(&srv, "/api/v1/vehicles", op_tok, &r);
    int64_t vid = jint(json_object_array_get_idx(jget(r.json, "items"), 0), "id");
    ts_resp_free(&r);
    char body[512];
    snprintf(body, sizeof body,
             "{\"date\":\"%s\",\"depot_node_id\":%lld,\"name\":\"old loop\","
             "\"routes\":[{\"vehicle_id\":%lld,\"stops\":[%lld]}]}",
             today, (long long)hub_id, (long long)vid, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    ts_resp_free(&r);
    snprintf(body, sizeof body,
             "{\"date\":\"%s\",\"depot_node_id\":%lld,\"routes\":[{\"vehicle_id\":%lld,"
             "\"stops\":[\"x\"]}]}",
             today, (long long)hub_id, (long long)vid);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/sites/analyses", op_tok,
                 "{\"p\":2,\"candidates\":[\"nodes\",\"villages\"],\"coverage_km\":8,"
                 "\"time_limit_s\":2}",
                 &r);
    assert_int_equal(r.status, 201);
    int64_t aid = jint(r.json, "id");
    assert_int_equal(json_object_array_length(jget(r.json, "open_sites")), 2);
    ts_resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/sites/analyses/%lld", (long long)aid);
    ts_get(&srv, path, aud_tok, &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/sites/analyses", op_tok,
                 "{\"p\":2,\"candidates\":[\"castles\"]}", &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/sites/analyses", drv_tok, "{\"p\":2}", &r);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
}

/* Requests that break a rule are refused with the status the rule calls
** for, naming what is wrong: missing ids (400), siting values out of range
** or contradicting each other (422), a consignment picked up outside its
** village (422). */
static void test_request_rules(void **state)
{
    (void)state;
    struct ts_resp r;
    ts_get(&srv, "/api/v1/plans/compare?a=1", op_tok, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "'b'"));
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/plans/compare?b=1", op_tok, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "'a'"));
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/tracking", op_tok, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "plan_id"));
    ts_resp_free(&r);
    static const char *const bad_sites[] = {
        "{\"p\":2,\"coverage_km\":0}",
        "{\"p\":2,\"coverage_km\":-3}",
        "{\"p\":2,\"time_limit_s\":0}",
        "{\"p\":2,\"time_limit_s\":-1}",
        "{\"p\":2,\"candidates\":[]}",
        "{\"p\":2,\"fixed_cost\":5}",
        "{\"p\":2,\"since\":\"2026-06-01T00:00:00Z\",\"until\":\"2026-01-01T00:00:00Z\"}",
    };
    for (size_t i = 0; i < sizeof bad_sites / sizeof bad_sites[0]; i++) {
        ts_post_json(&srv, "POST", "/api/v1/sites/analyses", op_tok, bad_sites[i], &r);
        if (r.status != 422)
            fail_msg("%s: %d %s", bad_sites[i], r.status, r.body);
        ts_resp_free(&r);
    }
    ts_post_json(&srv, "POST", "/api/v1/sites/analyses", op_tok,
                 "{\"fixed_cost\":0,\"time_limit_s\":2}", &r);
    assert_int_equal(r.status, 201);
    assert_string_equal(json_object_get_string(jget(r.json, "mode")), "facility_location");
    ts_resp_free(&r);
    /* a consignment of a village picked up at the hub */
    ts_get(&srv, "/api/v1/nodes?limit=500", op_tok, &r);
    int64_t village = 0;
    struct json_object *nodes = jget(r.json, "items");
    for (size_t i = 0; !village && i < json_object_array_length(nodes); i++)
        village = jint(json_object_array_get_idx(nodes, i), "village_id");
    ts_resp_free(&r);
    assert_true(village > 0);
    char body[200];
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"from_node_id\":%lld,\"date\":\"%s\",\"weight_g\":1000}",
             (long long)village, (long long)hub_id, today);
    ts_post_json(&srv, "POST", "/api/v1/consignments", op_tok, body, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "is not a node of village"));
    ts_resp_free(&r);
}

/* The first node of a kind (?kind=), with its village when vid is set. */
static int64_t first_node(const char *kind, int64_t *vid)
{
    char path[96];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/nodes?kind=%s&limit=500", kind);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *items = jget(r.json, "items");
    assert_true(json_object_array_length(items) > 0);
    struct json_object *n = json_object_array_get_idx(items, 0);
    int64_t id = jint(n, "id");
    if (vid)
        *vid = jint(n, "village_id");
    ts_resp_free(&r);
    return id;
}

/* Consignment `id` of `date` as GET /api/v1/consignments shows it (owned). */
static struct json_object *cons_of(const char *date, int64_t id)
{
    char path[96];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/consignments?date=%s", date);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *items = jget(r.json, "items"), *out = NULL;
    for (size_t i = 0; !out && i < json_object_array_length(items); i++)
        if (jint(json_object_array_get_idx(items, i), "id") == id)
            out = json_object_get(json_object_array_get_idx(items, i));
    ts_resp_free(&r);
    assert_non_null(out);
    return out;
}

static int post_event(int64_t stop_id, const char *ev, const char *extra)
{
    char body[200];
    struct ts_resp r;
    snprintf(body, sizeof body, "{\"stop_id\":%lld,\"event\":\"%s\"%s}", (long long)stop_id, ev,
             extra ? extra : "");
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", drv_tok, body, &r);
    int status = r.status;
    ts_resp_free(&r);
    return status;
}

/* A consignment says where its goods are: at their origin (location
** "origin", no plan), held by the approved plan that goes for them
** (plan_id), on its vehicle ("vehicle"), and after a failed drop and the
** route's END back at the depot ("node", at_node_id the hub), open again.
** A consignment of a date before any demo order, taken by the plan of a
** later day of its own (a plan cannot be for a past date). */
static void test_consignment_whereabouts(void **state)
{
    (void)state;
    const char *day = "2017-03-01";
    char plan_day[16];
    time_t later = time(NULL) + 8 * 3600 + 40 * 86400;
    struct tm ltm;
    gmtime_r(&later, &ltm);
    strftime(plan_day, sizeof plan_day, "%Y-%m-%d", &ltm);
    int64_t village = 0, point = first_node("village_point", &village);
    int64_t cold = first_node("cold_store", NULL);
    char body[256], path[96];
    struct ts_resp r;
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"from_node_id\":%lld,\"to_node_id\":%lld,\"date\":\"%s\","
             "\"weight_g\":10000,\"volume_ml\":10000,\"description\":\"kiwis\"}",
             (long long)village, (long long)point, (long long)cold, day);
    ts_post_json(&srv, "POST", "/api/v1/consignments", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t cid = jint(r.json, "id");
    assert_string_equal(jstr(r.json, "location"), "origin");
    assert_true(json_object_object_get_ex(r.json, "at_node_id", NULL));
    assert_null(jget(r.json, "at_node_id"));
    assert_null(jget(r.json, "plan_id"));
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             plan_day, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/%lld/approve", (long long)id);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    struct json_object *c = cons_of(day, cid);
    assert_string_equal(jstr(c, "status"), "planned");
    assert_int_equal(jint(c, "plan_id"), id);
    json_object_put(c);
    /* its pickup, drop and the route's END */
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    int64_t pickup = 0, drop = 0, end = 0;
    struct json_object *routes = jget(r.json, "routes");
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *stops = jget(json_object_array_get_idx(routes, i), "stops");
        bool ours = false;
        int64_t p = 0, d = 0;
        for (size_t k = 0; k < json_object_array_length(stops); k++) {
            struct json_object *st = json_object_array_get_idx(stops, k);
            struct json_object *items = jget(st, "items");
            for (size_t m = 0; m < json_object_array_length(items); m++)
                if (jint(json_object_array_get_idx(items, m), "consignment_id") == cid) {
                    ours = true;
                    if (!strcmp(jstr(st, "kind"), "pickup"))
                        p = jint(st, "id");
                    else if (!strcmp(jstr(st, "kind"), "drop"))
                        d = jint(st, "id");
                }
        }
        if (ours) {
            pickup = p;
            drop = d;
            end = jint(json_object_array_get_idx(stops, json_object_array_length(stops) - 1), "id");
        }
    }
    ts_resp_free(&r);
    assert_true(pickup > 0 && drop > 0 && end > 0);
    assert_int_equal(post_event(pickup, "picked_up", NULL), 200);
    c = cons_of(day, cid);
    assert_string_equal(jstr(c, "location"), "vehicle");
    json_object_put(c);
    assert_int_equal(post_event(drop, "failed", ",\"reason\":\"cold store closed\""), 200);
    assert_int_equal(post_event(end, "arrived", NULL), 200);
    c = cons_of(day, cid);
    assert_string_equal(jstr(c, "status"), "open");
    assert_string_equal(jstr(c, "location"), "node");
    assert_int_equal(jint(c, "at_node_id"), hub_id);
    assert_int_equal(jint(c, "to_node_id"), cold);
    assert_null(jget(c, "plan_id"));
    json_object_put(c);
}

/* Today's approved plan (the demo's), as GET /plans/{id} shows it to tok. */
static struct json_object *approved_today(const char *tok)
{
    char path[96];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/plans?date=%s", today);
    ts_get(&srv, path, op_tok, &r);
    int64_t id = 0;
    struct json_object *items = jget(r.json, "items");
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        struct json_object *p = json_object_array_get_idx(items, i);
        if (!strcmp(jstr(p, "status"), "approved") && !strcmp(jstr(p, "kind"), "dispatch"))
            id = jint(p, "id");
    }
    ts_resp_free(&r);
    assert_true(id > 0);
    snprintf(path, sizeof path, "/api/v1/plans/%lld", (long long)id);
    ts_get(&srv, path, tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *out = json_object_get(r.json);
    ts_resp_free(&r);
    return out;
}

/* A plan names its goods without another request: each item says whether it
** is urgent, an order's item lists the order's lines with both product
** names, a consignment's its description. The JSON sheets give each
** delivery and drop stop its QR (text and modules): staff's with the proof
** code, a driver's without, and nothing in the driver's sheets holds a
** code. */
static void test_plan_fields_and_sheet_qr(void **state)
{
    (void)state;
    struct json_object *plan = approved_today(op_tok);
    int64_t id = jint(plan, "id");
    size_t order_items = 0, cons_items = 0;
    struct json_object *routes = jget(plan, "routes");
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *stops = jget(json_object_array_get_idx(routes, i), "stops");
        for (size_t k = 0; k < json_object_array_length(stops); k++) {
            struct json_object *items = jget(json_object_array_get_idx(stops, k), "items");
            for (size_t m = 0; m < json_object_array_length(items); m++) {
                struct json_object *it = json_object_array_get_idx(items, m);
                assert_true(json_object_is_type(jget(it, "urgent"), json_type_boolean));
                if (jint(it, "order_id") > 0) {
                    struct json_object *l0 = json_object_array_get_idx(jget(it, "lines"), 0);
                    assert_non_null(l0);
                    assert_true(jint(l0, "product_id") > 0 && jint(l0, "qty") > 0);
                    assert_true(strlen(jstr(l0, "name_zh")) > 0);
                    assert_true(strlen(jstr(l0, "name_en")) > 0);
                    order_items++;
                } else {
                    assert_true(jint(it, "consignment_id") > 0);
                    assert_true(strlen(jstr(it, "description")) > 0);
                    cons_items++;
                }
            }
        }
    }
    assert_true(order_items > 0 && cons_items > 0);
    json_object_put(plan);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=json", (long long)id);
    struct ts_resp staff, drv;
    ts_get(&srv, path, op_tok, &staff);
    ts_get(&srv, path, drv_tok, &drv);
    assert_int_equal(staff.status, 200);
    assert_int_equal(drv.status, 200);
    size_t qrs = 0;
    routes = jget(staff.json, "routes");
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *stops = jget(json_object_array_get_idx(routes, i), "stops");
        for (size_t k = 0; k < json_object_array_length(stops); k++) {
            struct json_object *st = json_object_array_get_idx(stops, k);
            const char *kind = jstr(st, "kind");
            bool handover = !strcmp(kind, "delivery") || !strcmp(kind, "drop");
            assert_int_equal(jget(st, "qr") != NULL, handover);
            if (!handover)
                continue;
            char head[48];
            snprintf(head, sizeof head, "ruralink:pod:%lld:", (long long)jint(st, "id"));
            const char *qr = jstr(st, "qr");
            assert_true(strncmp(qr, head, strlen(head)) == 0);
            const char *code = qr + strlen(head);
            assert_int_equal(strlen(code), 6);
            /* the driver's sheet: the stop without its code */
            char needle[64];
            snprintf(needle, sizeof needle, "\"ruralink:pod:%lld\"", (long long)jint(st, "id"));
            assert_non_null(strstr(drv.body, needle));
            snprintf(needle, sizeof needle, ":%s\"", code);
            assert_null(strstr(drv.body, needle));
            struct json_object *m = jget(st, "qr_modules");
            assert_non_null(m);
            assert_int_equal(strlen(json_object_get_string(json_object_array_get_idx(m, 0))),
                             json_object_array_length(m));
            qrs++;
        }
    }
    assert_true(qrs > 0);
    ts_resp_free(&staff);
    ts_resp_free(&drv);
}

/* What is still waiting: open consignments of a date and earlier (the one
** test_consignment_whereabouts left at the hub, of 2017-03-01, is overdue
** for a dispatch of 2017-03-05), with where they are; a later date's not;
** an unknown status or date is 400. */
static void test_open_consignments(void **state)
{
    (void)state;
    struct ts_resp r;
    ts_get(&srv, "/api/v1/consignments?status=open&until=2017-03-05", op_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *items = jget(r.json, "items");
    size_t at_hub = 0;
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        struct json_object *c = json_object_array_get_idx(items, i);
        assert_string_equal(jstr(c, "status"), "open");
        assert_true(strcmp(jstr(c, "date"), "2017-03-05") <= 0);
        at_hub += !strcmp(jstr(c, "location"), "node") && jint(c, "at_node_id") == hub_id;
    }
    assert_true(at_hub >= 1);
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/consignments?status=open&until=2017-02-28", op_tok, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(jget(r.json, "items")), 0);
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/consignments?status=lost", op_tok, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/consignments?until=soon", op_tok, &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
}

/* The pickup, drop and END stops of plan `id` that carry consignment cid,
** and the drop's proof code from the staff's JSON sheets. */
static void cons_stops(int64_t id, int64_t cid, int64_t *pickup, int64_t *drop, int64_t *end,
                       char proof[16])
{
    char path[96];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=json", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    *pickup = *drop = *end = 0;
    proof[0] = 0;
    struct json_object *routes = jget(r.json, "routes");
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *stops = jget(json_object_array_get_idx(routes, i), "stops");
        for (size_t k = 0; k < json_object_array_length(stops); k++) {
            struct json_object *st = json_object_array_get_idx(stops, k);
            struct json_object *items = jget(st, "items");
            for (size_t m = 0; m < json_object_array_length(items); m++) {
                if (jint(json_object_array_get_idx(items, m), "consignment_id") != cid)
                    continue;
                size_t last = json_object_array_length(stops) - 1;
                *end = jint(json_object_array_get_idx(stops, last), "id");
                if (!strcmp(jstr(st, "kind"), "pickup"))
                    *pickup = jint(st, "id");
                if (!strcmp(jstr(st, "kind"), "drop")) {
                    *drop = jint(st, "id");
                    const char *qr = strrchr(jstr(st, "qr"), ':');
                    snprintf(proof, 16, "%s", qr ? qr + 1 : "");
                }
            }
        }
    }
    ts_resp_free(&r);
}

/* A new consignment of `day` from the first village point to to_node (0:
** the depot); its id. */
static int64_t new_cons(const char *day, int64_t to_node, const char *what)
{
    int64_t village = 0, point = first_node("village_point", &village);
    char body[256];
    struct ts_resp r;
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"from_node_id\":%lld,\"to_node_id\":%lld,\"date\":\"%s\","
             "\"weight_g\":10000,\"volume_ml\":10000,\"description\":\"%s\"}",
             (long long)village, (long long)point, (long long)to_node, day, what);
    ts_post_json(&srv, "POST", "/api/v1/consignments", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    ts_resp_free(&r);
    return id;
}

/* A drop reported delivered after the route's END brought its goods back
** to the hub: the driver gets 409 (problem+json); staff's report is a
** correction, and the consignment is delivered at the cold store, held by
** the plan. A date before any demo order (and after the others' last
** open consignment is settled: nothing is left open). */
static void test_drop_correction(void **state)
{
    (void)state;
    const char *day = "2017-02-10";
    /* the plan is for a later day (no plan for a past one): it takes the
    ** consignment still waiting since day */
    char plan_day[16];
    time_t later = time(NULL) + 8 * 3600 + 41 * 86400;
    struct tm ltm;
    gmtime_r(&later, &ltm);
    strftime(plan_day, sizeof plan_day, "%Y-%m-%d", &ltm);
    int64_t cold = first_node("cold_store", NULL);
    int64_t cid = new_cons(day, cold, "mushrooms");
    char body[256], path[96], proof[16];
    struct ts_resp r;
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             plan_day, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/%lld/approve", (long long)id);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    int64_t pickup, drop, end;
    cons_stops(id, cid, &pickup, &drop, &end, proof);
    assert_true(pickup > 0 && drop > 0 && end > 0 && strlen(proof) == 6);
    assert_int_equal(post_event(pickup, "picked_up", NULL), 200);
    assert_int_equal(post_event(end, "arrived", NULL), 200);
    struct json_object *c = cons_of(day, cid);
    assert_string_equal(jstr(c, "status"), "open");
    assert_int_equal(jint(c, "at_node_id"), hub_id);
    json_object_put(c);
    snprintf(body, sizeof body, "{\"stop_id\":%lld,\"event\":\"delivered\",\"proof_code\":\"%s\"}",
             (long long)drop, proof);
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", drv_tok, body, &r);
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    assert_non_null(strstr(r.body, "only staff"));
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/tracking/events", op_tok, body, &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    c = cons_of(day, cid);
    assert_string_equal(jstr(c, "status"), "delivered");
    assert_string_equal(jstr(c, "location"), "destination");
    assert_int_equal(jint(c, "at_node_id"), cold);
    assert_int_equal(jint(c, "plan_id"), id);
    json_object_put(c);
}

/* Goods that reached their destination without a route: staff record them
** (POST /consignments/{id}/receive), delivered there and out of every
** dispatch; a driver is 403; a node that is not the destination, or no
** depot for one bound for the depot, is 422; once delivered, 409; an
** unknown key 400, an unknown consignment 404. */
static void test_consignment_receive(void **state)
{
    (void)state;
    const char *day = "2017-02-11";
    int64_t cold = first_node("cold_store", NULL);
    int64_t to_hub = new_cons(day, 0, "maize"), to_cold = new_cons(day, cold, "bacon");
    char path[96], body[64];
    struct ts_resp r;
    snprintf(path, sizeof path, "/api/v1/consignments/%lld/receive", (long long)to_hub);
    ts_post_json(&srv, "POST", path, drv_tok, "{}", &r);
    assert_int_equal(r.status, 403);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, "{\"x\":1}", &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r); /* which depot? */
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"node_id\":%lld}", (long long)cold);
    ts_post_json(&srv, "POST", path, op_tok, body, &r); /* not a depot */
    assert_int_equal(r.status, 422);
    ts_resp_free(&r);
    struct json_object *c = cons_of(day, to_hub);
    assert_string_equal(jstr(c, "status"), "open"); /* nothing written */
    json_object_put(c);
    snprintf(body, sizeof body, "{\"node_id\":%lld}", (long long)hub_id);
    ts_post_json(&srv, "POST", path, op_tok, body, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "status"), "delivered");
    assert_int_equal(jint(r.json, "at_node_id"), hub_id);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, body, &r);
    assert_int_equal(r.status, 409);
    ts_resp_free(&r);
    c = cons_of(day, to_hub);
    assert_string_equal(jstr(c, "status"), "delivered");
    assert_string_equal(jstr(c, "location"), "destination");
    assert_null(jget(c, "plan_id"));
    json_object_put(c);
    snprintf(path, sizeof path, "/api/v1/consignments/%lld/receive", (long long)to_cold);
    ts_post_json(&srv, "POST", path, op_tok, body, &r); /* the hub is not its destination */
    assert_int_equal(r.status, 422);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", path, op_tok, "{}", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "at_node_id"), cold);
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/consignments/999999/receive", op_tok, "{}", &r);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    /* a dispatch of the day finds neither */
    ts_get(&srv, "/api/v1/consignments?status=open&until=2017-02-11", op_tok, &r);
    assert_int_equal(json_object_array_length(jget(r.json, "items")), 0);
    ts_resp_free(&r);
}

/* Move a stop's planned arrival (the clock of a test cannot move the
** server's), written to the server's database beside it, and close the
** route's late alerts (the demo's route may have been late already when the
** server started). */
static void set_arrival(const char *db, int64_t route_id, int64_t stop_id, int64_t arrive_ms)
{
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 10000);
    char sql[256];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; UPDATE lg_stops SET arrive_ms = %lld WHERE id = %lld; "
             "UPDATE lg_alerts SET open = 0 WHERE route_id = %lld; COMMIT",
             (long long)arrive_ms, (long long)stop_id, (long long)route_id);
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

/* A route whose driver's phone is off: once its next stop's planned time
** has passed, GET /tracking counts it late (now - planned, overdue) with an
** ETA not in the past, and the server's housekeeping raises its late alert
** with that delay, with no GPS fix at all. */
/* Its own server (housekeeping every second), stopped by the teardown even
** when an assertion fails: a failing test must not leave a server behind. */
static int setup_housekeeping_server(void **state)
{
    struct ts_server *hs = calloc(1, sizeof *hs);
    *state = hs;
    struct ts_opts o = {.demo = true, .extra = {"--housekeeping-seconds", "1", NULL}};
    return hs && ts_start(hs, &o) == 0 ? 0 : -1;
}

static int teardown_housekeeping_server(void **state)
{
    struct ts_server *hs = *state;
    int rc = hs && hs->pid > 0 ? ts_stop(hs) : 0;
    free(hs);
    return rc == 0 ? 0 : -1;
}

static void test_overdue_without_gps(void **state)
{
    struct ts_server *hsp = *state;
    char tok[128], path[96];
    assert_int_equal(ts_login(hsp, "operator", "ruralink-demo", tok, sizeof tok), 0);
    struct ts_resp r;
    /* a plan of its own, nothing reported (the demo's has the stops before
    ** its seeding reported: late in the day, all of them) */
    char body[160];
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             today, (long long)hub_id);
    ts_post_json(hsp, "POST", "/api/v1/plans", tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    ts_resp_free(&r);
    assert_true(id > 0);
    snprintf(path, sizeof path, "/api/v1/plans/%lld/approve", (long long)id);
    ts_post_json(hsp, "POST", path, tok, "{}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/tracking?plan_id=%lld", (long long)id);
    ts_get(hsp, path, tok, &r);
    struct json_object *x = json_object_array_get_idx(jget(r.json, "routes"), 0);
    int64_t route = jint(x, "route_id"), next = jint(x, "next_stop_id");
    ts_resp_free(&r);
    assert_true(route > 0 && next > 0);
    /* its next stop was due two hours ago; nothing reported, no GPS */
    int64_t due = (int64_t)time(NULL) * 1000 - 2 * 3600 * 1000;
    set_arrival(hsp->db, route, next, due);
    ts_get(hsp, path, tok, &r);
    x = NULL;
    for (size_t i = 0; i < json_object_array_length(jget(r.json, "routes")); i++)
        if (jint(json_object_array_get_idx(jget(r.json, "routes"), i), "route_id") == route)
            x = json_object_array_get_idx(jget(r.json, "routes"), i);
    assert_non_null(x);
    assert_true(json_object_get_boolean(jget(x, "overdue")));
    assert_true(jint(x, "delay_s") >= 7200);
    assert_null(jget(x, "position"));
    int64_t eta = 0;
    assert_int_equal(time_parse_rfc3339(jstr(x, "next_eta"), &eta), 0);
    assert_true(eta >= due + 7200 * 1000);
    ts_resp_free(&r);
    /* housekeeping (every second here) raises the late alert: wait for it */
    int64_t delay = -1;
    for (int i = 0; i < 600 && delay < 0; i++) {
        ts_get(hsp, path, tok, &r);
        struct json_object *als = jget(r.json, "alerts");
        for (size_t k = 0; k < json_object_array_length(als); k++) {
            struct json_object *a = json_object_array_get_idx(als, k);
            if (jint(a, "route_id") == route && !strcmp(jstr(a, "kind"), "late") &&
                json_object_get_boolean(jget(a, "open")))
                delay = jint(a, "delay_s");
        }
        ts_resp_free(&r);
        if (delay < 0)
            nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    }
    assert_true(delay >= 7200);
}

/* ------------------------------------------------ route sheets' languages */

/* GET the HTML sheets of plan id with an optional ?lang= and
** Accept-Language; checks the answer is 200 HTML and that Content-Language
** and the page's lang are want. */
static void html_sheet(int64_t id, const char *lang, const char *accept, const char *tok,
                       const char *want, struct ts_resp *r)
{
    char path[128], hdr[96], cl[16] = "";
    snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=html%s%s", (long long)id,
             lang ? "&lang=" : "", lang ? lang : "");
    snprintf(hdr, sizeof hdr, "Accept-Language: %s", accept ? accept : "");
    const char *headers[] = {hdr, NULL};
    assert_int_equal(ts_request(&srv, "GET", path, tok, NULL, NULL, 0, accept ? headers : NULL, r),
                     0);
    assert_int_equal(r->status, 200);
    assert_non_null(strstr(r->content_type, "text/html"));
    assert_true(ts_resp_header(r, "Content-Language", cl, sizeof cl));
    assert_string_equal(cl, want);
    char vary[64] = "";
    assert_true(ts_resp_header(r, "Vary", vary, sizeof vary));
    assert_non_null(strstr(vary, "Accept-Language"));
    char html_lang[32];
    snprintf(html_lang, sizeof html_lang, "<html lang=\"%s\">", want);
    assert_non_null(strstr(r->body, html_lang));
}

/* The words of the sheet before it spoke the reader's language, and of the
** English one now: none may show in a Chinese sheet (the demo's own names
** and descriptions carry English words, so the check is on these). */
static const char *const SHEET_EN_WORDS[] = {
    "Route",     "route ", "Vehicle",   "Driver",  "driver user", "Plan ",    "ETA",
    "Window",    "Goods",  ">Stop<",    "Proof",   "Order #",     "order ",   "Consignment",
    " kg",       "load ",  "Unload",    "Load",    "(approved)",  "Delivery", "Pickup",
    "Departure", "Return", ", chilled", "Chilled", "Urgent"};

/* The HTML sheet speaks the reader's language: Chinese by default, with the
** driver's display name (no user id); English with ?lang=en; without
** ?lang=, Accept-Language's first of zh and en by q (another language:
** Chinese); ?lang= wins over the header; an unknown lang is 400
** problem+json in every format; the driver's name is escaped; the CSV
** keeps its English columns. */
static void test_sheet_languages(void **state)
{
    (void)state;
    struct json_object *plan = approved_today(op_tok);
    int64_t id = jint(plan, "id");
    json_object_put(plan);
    struct ts_resp r;
    ts_get(&srv, "/api/v1/me", drv_tok, &r);
    char name[160];
    snprintf(name, sizeof name, "%s", jstr(r.json, "display_name"));
    ts_resp_free(&r);
    assert_true(strlen(name) > 0);

    /* no preference: Chinese, for staff and for the driver */
    for (int who = 0; who < 2; who++) {
        html_sheet(id, NULL, NULL, who ? drv_tok : op_tok, "zh", &r);
        char want[200];
        snprintf(want, sizeof want, "司机 %s", name);
        assert_non_null(strstr(r.body, want));
        assert_non_null(strstr(r.body, "线路 1"));
        assert_non_null(strstr(r.body, "公斤"));
        char uid[48];
        snprintf(uid, sizeof uid, "司机 #%lld", (long long)driver_id);
        assert_null(strstr(r.body, uid));
        for (size_t i = 0; i < sizeof SHEET_EN_WORDS / sizeof SHEET_EN_WORDS[0]; i++)
            if (strstr(r.body, SHEET_EN_WORDS[i]))
                fail_msg("'%s' in the Chinese sheet", SHEET_EN_WORDS[i]);
        ts_resp_free(&r);
    }
    /* English */
    html_sheet(id, "en", NULL, op_tok, "en", &r);
    const char *en_words[] = {"Route 1", "Vehicle ", "Plan ", "(approved)", " kg", "Arrive"};
    for (size_t i = 0; i < sizeof en_words / sizeof en_words[0]; i++)
        if (!strstr(r.body, en_words[i]))
            fail_msg("no '%s' in the English sheet", en_words[i]);
    const char *zh_words[] = {"线路", "车辆", "计划", "公斤", "装车", "预计到达"};
    for (size_t i = 0; i < sizeof zh_words / sizeof zh_words[0]; i++)
        if (strstr(r.body, zh_words[i]))
            fail_msg("'%s' in the English sheet", zh_words[i]);
    ts_resp_free(&r);
    /* Accept-Language, and ?lang= over it */
    static const struct {
        const char *lang, *accept, *want;
    } pick[] = {
        {NULL, "en-US,en;q=0.9,zh;q=0.8", "en"},
        {NULL, "fr-FR, en;q=0.8, zh;q=0.5", "en"},
        {NULL, "en;q=0.2, zh-CN;q=0.9", "zh"},
        {NULL, "de-DE,de;q=0.9", "zh"},
        {"zh", "en", "zh"},
        {"en", "zh-CN", "en"},
    };
    for (size_t i = 0; i < sizeof pick / sizeof pick[0]; i++) {
        html_sheet(id, pick[i].lang, pick[i].accept, op_tok, pick[i].want, &r);
        ts_resp_free(&r);
    }
    /* an unknown language, whatever the format */
    const char *fmts[] = {"html", "json", "csv", "geojson"};
    const char *bad[] = {"fr", "zh-CN", "", "EN"};
    for (size_t i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=%s&lang=%s", (long long)id,
                 fmts[i], bad[i]);
        ts_get(&srv, path, op_tok, &r);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.content_type, "application/problem+json"));
        assert_non_null(strstr(r.body, "lang must be zh or en"));
        ts_resp_free(&r);
    }
    /* the CSV: English columns in any language */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/plans/%lld/sheets?format=csv&lang=zh", (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "route_id,vehicle,stop_seq,stop_id,kind,", 39) == 0);
    ts_resp_free(&r);
    /* the driver's name is text, escaped */
    char admin_tok[128], upath[64];
    assert_int_equal(ts_login(&srv, "admin", "ruralink-demo", admin_tok, sizeof admin_tok), 0);
    snprintf(upath, sizeof upath, "/api/v1/users/%lld", (long long)driver_id);
    ts_post_json(&srv, "PATCH", upath, admin_tok,
                 "{\"display_name\":\"<script>x</script> & \\\"王\\\"\"}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    for (int l = 0; l < 2; l++) {
        html_sheet(id, l ? "en" : "zh", NULL, op_tok, l ? "en" : "zh", &r);
        assert_null(strstr(r.body, "<script"));
        assert_non_null(strstr(r.body, "&lt;script&gt;x&lt;/script&gt; &amp; &quot;王&quot;"));
        ts_resp_free(&r);
    }
    char body[240];
    snprintf(body, sizeof body, "{\"display_name\":\"%s\"}", name);
    ts_post_json(&srv, "PATCH", upath, admin_tok, body, &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
}

/* A plan or a baseline of the waiting work for a date before the county's
** today: 422 problem+json naming the date and today, nothing written. */
static void test_past_date_refused(void **state)
{
    (void)state;
    char yesterday[16], body[256];
    time_t t = time(NULL) + 8 * 3600 - 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(yesterday, sizeof yesterday, "%Y-%m-%d", &tm);
    struct ts_resp r;
    ts_get(&srv, "/api/v1/plans", op_tok, &r);
    size_t before = json_object_array_length(jget(r.json, "items"));
    ts_resp_free(&r);
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             yesterday, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    assert_non_null(strstr(jstr(r.json, "detail"), yesterday));
    assert_non_null(strstr(jstr(r.json, "detail"), today));
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/vehicles", op_tok, &r);
    int64_t vid = jint(json_object_array_get_idx(jget(r.json, "items"), 0), "id");
    ts_resp_free(&r);
    snprintf(body, sizeof body,
             "{\"date\":\"%s\",\"depot_node_id\":%lld,\"routes\":[{\"vehicle_id\":%lld,"
             "\"stops\":[%lld]}]}",
             yesterday, (long long)hub_id, (long long)vid, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    assert_non_null(strstr(jstr(r.json, "detail"), yesterday));
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/plans", op_tok, &r);
    assert_int_equal(json_object_array_length(jget(r.json, "items")), before);
    ts_resp_free(&r);
}

/* The body of a baseline of plan `plan` (its JSON): its routes' nodes, route
** by route on the plan's vehicles, or all of them on vehicle `only`. */
static void baseline_body(struct json_object *plan, int64_t only, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap,
                                "{\"date\":\"%s\",\"depot_node_id\":%lld,\"plan_id\":%lld,"
                                "\"routes\":[",
                                jstr(plan, "date"), (long long)jint(plan, "depot_node_id"),
                                (long long)jint(plan, "id"));
    struct json_object *routes = jget(plan, "routes");
    int64_t seen[512];
    size_t ns = 0;
    for (size_t i = 0; i < json_object_array_length(routes); i++) {
        struct json_object *rt = json_object_array_get_idx(routes, i);
        if (!only || i == 0)
            n += (size_t)snprintf(out + n, cap - n, "%s{\"vehicle_id\":%lld,\"stops\":[",
                                  i ? "]}," : "",
                                  (long long)(only ? only : jint(jget(rt, "vehicle"), "id")));
        if (!only)
            ns = 0;
        struct json_object *stops = jget(rt, "stops");
        for (size_t k = 0; k < json_object_array_length(stops); k++) {
            struct json_object *st = json_object_array_get_idx(stops, k);
            int64_t nd = jint(st, "node_id");
            bool dup =
                nd <= 0 || !strcmp(jstr(st, "kind"), "start") || !strcmp(jstr(st, "kind"), "end");
            for (size_t m = 0; m < ns && !dup; m++)
                dup = seen[m] == nd;
            if (dup || ns == 512)
                continue;
            n += (size_t)snprintf(out + n, cap - n, "%s%lld", ns ? "," : "", (long long)nd);
            seen[ns++] = nd;
        }
    }
    snprintf(out + n, cap - n, "]}]}");
    assert_true(n + 4 < cap);
}

/* A baseline made with plan_id takes the plan's work: compared with the
** plan it serves nothing the plan does not (what the plan serves and the
** loops cannot reach, deliveries to an address, shows as only_b), and
** like_for_like says whether they serve the same work with neither
** overloaded. A baseline route over its vehicle's capacity is listed in
** "overloaded" with its excess, in the baseline and in the comparison,
** which is then not like for like. A bad plan_id: 422, nothing written. */
static void test_baseline_of_plan(void **state)
{
    (void)state;
    char plan_day[16], body[16384], path[128];
    time_t later = time(NULL) + 8 * 3600 + 45 * 86400;
    struct tm ltm;
    gmtime_r(&later, &ltm);
    strftime(plan_day, sizeof plan_day, "%Y-%m-%d", &ltm);
    struct ts_resp r;
    snprintf(body, sizeof body, "{\"date\":\"%s\",\"depot_node_id\":%lld,\"time_limit_s\":1}",
             plan_day, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    struct json_object *plan = json_object_get(r.json);
    ts_resp_free(&r);
    int64_t id = jint(plan, "id");
    assert_int_equal(json_object_array_length(jget(plan, "overloaded")), 0);
    baseline_body(plan, 0, body, sizeof body);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t base = jint(r.json, "id");
    assert_int_equal(json_object_array_length(jget(r.json, "overloaded")), 0);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/compare?a=%lld&b=%lld", (long long)base,
             (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    struct json_object *work = jget(r.json, "work");
    struct json_object *wo = jget(work, "orders"), *wc = jget(work, "consignments");
    assert_true(jint(wo, "both") > 0);
    assert_int_equal(jint(wo, "only_a"), 0);
    assert_int_equal(jint(wc, "only_a"), 0);
    bool same = jint(wo, "only_b") == 0 && jint(wc, "only_b") == 0;
    assert_int_equal(json_object_get_boolean(jget(r.json, "like_for_like")), same);
    assert_int_equal(json_object_array_length(jget(jget(r.json, "overloaded"), "a")), 0);
    ts_resp_free(&r);

    /* every stop on a 1 kg van */
    snprintf(body, sizeof body,
             "{\"plate\":\"TINY-API\",\"depot_node_id\":%lld,\"capacity_g\":1000,"
             "\"capacity_ml\":100000}",
             (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/vehicles", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t van = jint(r.json, "id");
    ts_resp_free(&r);
    baseline_body(plan, van, body, sizeof body);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 201);
    int64_t over = jint(r.json, "id");
    struct json_object *o0 = json_object_array_get_idx(jget(r.json, "overloaded"), 0);
    assert_int_equal(json_object_array_length(jget(r.json, "overloaded")), 1);
    assert_int_equal(jint(o0, "vehicle_id"), van);
    assert_int_equal(jint(o0, "capacity_g"), 1000);
    assert_true(jint(o0, "over_g") > 0);
    assert_int_equal(jint(o0, "over_g"), jint(o0, "peak_g") - 1000);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/vehicles/%lld", (long long)van);
    ts_post_json(&srv, "PATCH", path, op_tok, "{\"active\":false}", &r);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/plans/compare?a=%lld&b=%lld", (long long)over,
             (long long)id);
    ts_get(&srv, path, op_tok, &r);
    assert_int_equal(r.status, 200);
    assert_false(json_object_get_boolean(jget(r.json, "like_for_like")));
    assert_int_equal(json_object_array_length(jget(jget(r.json, "overloaded"), "a")), 1);
    ts_resp_free(&r);

    /* plan_id: a dispatch plan of this date and depot */
    ts_get(&srv, "/api/v1/plans", op_tok, &r);
    size_t before = json_object_array_length(jget(r.json, "items"));
    ts_resp_free(&r);
    const int64_t bad[] = {99999999, base};
    for (size_t i = 0; i < 2; i++) {
        snprintf(body, sizeof body,
                 "{\"date\":\"%s\",\"depot_node_id\":%lld,\"plan_id\":%lld,"
                 "\"routes\":[{\"vehicle_id\":%lld,\"stops\":[%lld]}]}",
                 plan_day, (long long)hub_id, (long long)bad[i],
                 (long long)jint(
                     jget(json_object_array_get_idx(jget(plan, "routes"), 0), "vehicle"), "id"),
                 (long long)hub_id);
        ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
        assert_int_equal(r.status, 422);
        assert_non_null(strstr(r.content_type, "application/problem+json"));
        assert_non_null(strstr(jstr(r.json, "detail"), "plan_id"));
        ts_resp_free(&r);
    }
    snprintf(body, sizeof body,
             "{\"date\":\"%s\",\"depot_node_id\":%lld,\"plan_id\":%lld,"
             "\"routes\":[{\"vehicle_id\":1,\"stops\":[%lld]}]}",
             today, (long long)hub_id, (long long)id, (long long)hub_id);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok, body, &r);
    assert_int_equal(r.status, 422); /* the plan is of another date */
    ts_resp_free(&r);
    ts_post_json(&srv, "POST", "/api/v1/plans/baseline", op_tok,
                 "{\"date\":\"2030-01-01\",\"depot_node_id\":1,\"plan_id\":\"x\","
                 "\"routes\":[{\"vehicle_id\":1,\"stops\":[1]}]}",
                 &r);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    ts_get(&srv, "/api/v1/plans", op_tok, &r);
    assert_int_equal(json_object_array_length(jget(r.json, "items")), before);
    ts_resp_free(&r);
    json_object_put(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_driver_delivers_carried_orders),
        cmocka_unit_test(test_baseline_and_sites),
        cmocka_unit_test(test_request_rules),
        cmocka_unit_test(test_consignment_whereabouts),
        cmocka_unit_test(test_plan_fields_and_sheet_qr),
        cmocka_unit_test(test_open_consignments),
        cmocka_unit_test(test_past_date_refused),
        cmocka_unit_test(test_baseline_of_plan),
        cmocka_unit_test(test_drop_correction),
        cmocka_unit_test(test_consignment_receive),
        cmocka_unit_test_setup_teardown(test_overdue_without_gps, setup_housekeeping_server,
                                        teardown_housekeeping_server),
        cmocka_unit_test(test_sheet_languages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
