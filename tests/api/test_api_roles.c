/* Roles, table-driven. Two tables meet here:
**
**   the server's own route list (http_route_at: every route this build
**   serves, with the roles it declares), and
**   `policy` below: who SHOULD be able to call each route, written down by
**   the owners of the routes (extend it when you add routes).
**
** test_declared_roles checks that each served route declares exactly the
** policy's roles (a route without a policy row is reported, and is a failure
** when RL_ROLES_STRICT=1), and that devices reach nothing but GET /api/v1/me
** and telemetry ingest POSTs (DESIGN.md: "a device only writes readings").
** test_enforced_roles starts the server and calls EVERY served route with no
** token and with a token of each role (one user per role, plus a device):
** no token is 401, a role outside the route's mask is 403, a role inside is
** never 401/403. Bodies are "{}" and ids 999999, so calls that get through
** fail validation or lookup (400/404) and write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "http/http.h"
#include "rl_server.h"

#define PW "ruralink-test"

#define R(x) AUTH_ROLE_BIT(AUTH_ROLE_##x)
#define ADMIN R(ADMIN)
#define OPERATOR R(OPERATOR)
#define MERCHANT R(MERCHANT)
#define DRIVER R(DRIVER)
#define AUDITOR R(AUDITOR)
#define TRAINER R(TRAINER)
#define BUYER R(BUYER)
#define DEVICE R(DEVICE)
#define PUBLIC 0xFFFFFFFFu /* no token needed */

/* Who may call what. One row per route; keep in the order of routes.c. */
static const struct policy {
    const char *method;
    const char *pattern;
    unsigned roles;
} policy[] = {
    /* system */
    {"GET", "/api/v1/health", PUBLIC},
    {"GET", "/metrics", PUBLIC},
    {"POST", "/api/v1/system/ping-write", AUTH_ANY_USER},
    /* auth */
    {"POST", "/api/v1/auth/login", PUBLIC},
    {"POST", "/api/v1/auth/logout", AUTH_ANY_USER},
    {"GET", "/api/v1/me", AUTH_ANY_USER | DEVICE},
    {"GET", "/api/v1/users", ADMIN | AUDITOR},
    {"POST", "/api/v1/users", ADMIN},
    {"GET", "/api/v1/users/{id}", ADMIN | AUDITOR},
    {"PATCH", "/api/v1/users/{id}", ADMIN},
    {"GET", "/api/v1/devices", ADMIN | OPERATOR | AUDITOR},
    {"POST", "/api/v1/devices", ADMIN | OPERATOR},
    {"PATCH", "/api/v1/devices/{id}", ADMIN | OPERATOR},
    {"POST", "/api/v1/devices/{id}/tokens", ADMIN | OPERATOR},
    /* county network: every person reads, staff write, only admins add counties */
    {"GET", "/api/v1/counties", AUTH_ANY_USER},
    {"POST", "/api/v1/counties", ADMIN},
    {"GET", "/api/v1/counties/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/counties/{id}", ADMIN | OPERATOR},
    {"GET", "/api/v1/townships", AUTH_ANY_USER},
    {"POST", "/api/v1/townships", ADMIN | OPERATOR},
    {"GET", "/api/v1/townships/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/townships/{id}", ADMIN | OPERATOR},
    {"DELETE", "/api/v1/townships/{id}", ADMIN | OPERATOR},
    {"GET", "/api/v1/villages", AUTH_ANY_USER},
    {"POST", "/api/v1/villages", ADMIN | OPERATOR},
    {"GET", "/api/v1/villages/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/villages/{id}", ADMIN | OPERATOR},
    {"DELETE", "/api/v1/villages/{id}", ADMIN | OPERATOR},
    {"GET", "/api/v1/nodes", AUTH_ANY_USER},
    {"POST", "/api/v1/nodes", ADMIN | OPERATOR},
    {"GET", "/api/v1/nodes/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/nodes/{id}", ADMIN | OPERATOR},
    {"DELETE", "/api/v1/nodes/{id}", ADMIN | OPERATOR},
    {"GET", "/api/v1/network.geojson", AUTH_ANY_USER},
    /* market: every person reads the catalog and live sessions; staff and
    ** merchants sell (the service keeps merchants to their own goods); staff
    ** and buyers order; order reads and moves are narrowed in the service */
    {"GET", "/api/v1/producers", AUTH_ANY_USER},
    {"POST", "/api/v1/producers", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/producers/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/producers/{id}", ADMIN | OPERATOR | MERCHANT},
    {"POST", "/api/v1/producers/{id}/certifications", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/products", AUTH_ANY_USER},
    {"POST", "/api/v1/products", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/products/export", ADMIN | OPERATOR | MERCHANT | AUDITOR},
    {"POST", "/api/v1/products/import", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/products/{id}", AUTH_ANY_USER},
    {"PATCH", "/api/v1/products/{id}", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/inventory", ADMIN | OPERATOR | MERCHANT | AUDITOR},
    {"POST", "/api/v1/inventory/lots", ADMIN | OPERATOR | MERCHANT},
    {"POST", "/api/v1/inventory/lots/{id}/adjust", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/orders", ADMIN | OPERATOR | MERCHANT | AUDITOR | BUYER},
    {"POST", "/api/v1/orders", ADMIN | OPERATOR | BUYER},
    {"GET", "/api/v1/orders/{id}", ADMIN | OPERATOR | MERCHANT | AUDITOR | BUYER},
    {"POST", "/api/v1/orders/{id}/status", ADMIN | OPERATOR | MERCHANT | DRIVER | BUYER},
    {"POST", "/api/v1/orders/{id}/payment", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/live-sessions", AUTH_ANY_USER},
    {"POST", "/api/v1/live-sessions", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/live-sessions/{id}", AUTH_ANY_USER},
    {"GET", "/api/v1/live-sessions/{id}/offers", AUTH_ANY_USER},
    {"POST", "/api/v1/live-sessions/{id}/offers", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/live-sessions/{id}/posts", AUTH_ANY_USER},
    {"POST", "/api/v1/live-sessions/{id}/posts", ADMIN | OPERATOR | MERCHANT},
    {"GET", "/api/v1/live-sessions/{id}/report", ADMIN | OPERATOR | MERCHANT | AUDITOR},
    /* telemetry: devices and staff write readings; every person reads
    ** series, alerts and the calculators; staff set monitors, move alerts
    ** and add webhooks */
    {"POST", "/api/v1/telemetry/write", DEVICE | ADMIN | OPERATOR},
    {"POST", "/write", DEVICE | ADMIN | OPERATOR},
    {"POST", "/api/v2/write", DEVICE | ADMIN | OPERATOR},
    {"POST", "/api/v1/telemetry/readings", DEVICE | ADMIN | OPERATOR},
    {"GET", "/api/v1/telemetry/series", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/series/{id}", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/series/{id}/readings", AUTH_ANY_USER},
    {"PUT", "/api/v1/telemetry/series/{id}/monitor", ADMIN | OPERATOR},
    {"GET", "/api/v1/telemetry/series/{id}/cold-chain", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/series/{id}/mkt", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/profiles", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/alerts", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/alerts/{id}", AUTH_ANY_USER},
    {"POST", "/api/v1/telemetry/alerts/{id}/acknowledge", ADMIN | OPERATOR},
    {"POST", "/api/v1/telemetry/alerts/{id}/close", ADMIN | OPERATOR},
    {"GET", "/api/v1/telemetry/excursions", AUTH_ANY_USER},
    {"POST", "/api/v1/telemetry/webhooks", ADMIN | OPERATOR},
    {"POST", "/api/v1/telemetry/water-class", AUTH_ANY_USER},
    {"POST", "/api/v1/telemetry/aqi", AUTH_ANY_USER},
    {"POST", "/api/v1/telemetry/irrigation", AUTH_ANY_USER},
    {"GET", "/api/v1/telemetry/devices", AUTH_ANY_USER},
    {"PUT", "/api/v1/telemetry/devices/{id}/binding", ADMIN | OPERATOR},
};

/* Routes that end the session of the token used to call them. */
static bool consumes_token(const struct http_route *rt)
{
    return strcmp(rt->pattern, "/api/v1/auth/logout") == 0;
}

/* What a device token may reach: itself, and telemetry ingest (POSTs under
** /api/v1/telemetry/ and the InfluxDB compatible POST /write, /api/v2/write). */
static bool device_route(const struct http_route *rt)
{
    if (strcmp(rt->method, "GET") == 0 && strcmp(rt->pattern, "/api/v1/me") == 0)
        return true;
    return strcmp(rt->method, "POST") == 0 &&
           (strncmp(rt->pattern, "/api/v1/telemetry/", 18) == 0 ||
            strcmp(rt->pattern, "/write") == 0 || strcmp(rt->pattern, "/api/v2/write") == 0);
}

static const struct policy *policy_for(const struct http_route *rt)
{
    for (size_t i = 0; i < RL_ARRAY_LEN(policy); i++)
        if (strcmp(policy[i].method, rt->method) == 0 &&
            strcmp(policy[i].pattern, rt->pattern) == 0)
            return &policy[i];
    return NULL;
}

static void test_declared_roles(void **state)
{
    (void)state;
    size_t n = http_route_count(), missing = 0;
    assert_true(n > 0);
    const char *strict = getenv("RL_ROLES_STRICT");
    for (size_t i = 0; i < n; i++) {
        const struct http_route *rt = http_route_at(i);
        unsigned declared = (rt->flags & HTTP_PUBLIC) ? PUBLIC : rt->roles;
        /* Devices only write readings (and may ask who they are). */
        if (declared != PUBLIC && (declared & DEVICE) && !device_route(rt))
            fail_msg("%s %s lets devices in", rt->method, rt->pattern);
        /* A protected route must let somebody in. */
        if (declared != PUBLIC && declared == 0)
            fail_msg("%s %s has no roles and is not public", rt->method, rt->pattern);
        const struct policy *p = policy_for(rt);
        if (!p) {
            fprintf(stderr, "roles: no policy row for %s %s (declares 0x%x)\n", rt->method,
                    rt->pattern, declared);
            missing++;
            continue;
        }
        if (p->roles != declared)
            fail_msg("%s %s declares roles 0x%x, policy says 0x%x", rt->method, rt->pattern,
                     declared, p->roles);
    }
    /* Every policy row names a served route (stale rows are mistakes). */
    for (size_t j = 0; j < RL_ARRAY_LEN(policy); j++) {
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            const struct http_route *rt = http_route_at(i);
            found = strcmp(policy[j].method, rt->method) == 0 &&
                    strcmp(policy[j].pattern, rt->pattern) == 0;
        }
        if (!found)
            fail_msg("policy row %s %s: no such route in this build", policy[j].method,
                     policy[j].pattern);
    }
    if (missing)
        fprintf(stderr,
                "roles: %zu served routes have no policy row (enforcement is still "
                "tested below)\n",
                missing);
    if (strict && strcmp(strict, "1") == 0)
        assert_int_equal(missing, 0);
}

/* ---------------------------------------------------------------- live */

struct fx {
    char dir[128];
    char db[192];
    struct ts_server s;
    char tok[AUTH_ROLE_COUNT][128];
};

static int setup_inner(struct fx *f);

/* A failed setup leaves no server and no folder behind (cmocka does not run
** the group teardown then). */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    if (setup_inner(f) == 0)
        return 0;
    if (f->s.pid)
        ts_stop(&f->s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (f->dir[0])
        ts_sh(cmd);
    free(f);
    *state = NULL;
    return -1;
}

static int setup_inner(struct fx *f)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-roles-XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        f->dir[0] = '\0';
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    /* One user per role, named after it, in county 1. */
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        if (r == AUTH_ROLE_DEVICE)
            continue;
        char cmd[600];
        snprintf(cmd, sizeof cmd,
                 "printf '%%s\\n' '" PW "' | '%s' user add --db '%s' --name %s --role %s"
                 " --county 1 --password-stdin >/dev/null 2>&1",
                 RL_BIN, f->db, auth_role_name((enum auth_role)r),
                 auth_role_name((enum auth_role)r));
        if (ts_sh(cmd) != 0)
            return -1;
    }
    struct ts_opts o = {.db = f->db};
    if (ts_start(&f->s, &o))
        return -1;
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        if (r == AUTH_ROLE_DEVICE)
            continue;
        if (ts_login(&f->s, auth_role_name((enum auth_role)r), PW, f->tok[r], sizeof f->tok[r]))
            return -1;
    }
    struct ts_resp resp;
    if (ts_post_json(&f->s, "POST", "/api/v1/devices", f->tok[AUTH_ROLE_ADMIN],
                     "{\"name\":\"probe-1\",\"kind\":\"sensor\"}", &resp) ||
        resp.status != 201)
        return -1;
    struct json_object *t;
    if (!json_object_object_get_ex(resp.json, "token", &t))
        return -1;
    snprintf(f->tok[AUTH_ROLE_DEVICE], sizeof f->tok[0], "%s", json_object_get_string(t));
    ts_resp_free(&resp);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int status = f->s.pid ? ts_stop(&f->s) : 0;
    if (status != 0)
        fprintf(stderr, "server exited with status %d\n", status);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    ts_sh(cmd);
    free(f);
    return status != 0 ? -1 : 0;
}

/* The route's pattern with every {param} replaced by 999999. */
static void concrete_path(const char *pattern, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 8 < size;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            memcpy(out + o, "999999", 6);
            o += 6;
            p = end ? end + 1 : p + strlen(p);
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static long call(struct fx *f, const struct http_route *rt, const char *tok, char *body_out,
                 size_t body_size)
{
    char path[256];
    concrete_path(rt->pattern, path, sizeof path);
    bool with_body = strcmp(rt->method, "POST") == 0 || strcmp(rt->method, "PUT") == 0 ||
                     strcmp(rt->method, "PATCH") == 0;
    struct ts_resp r;
    int rc = ts_request(&f->s, rt->method, path, tok, with_body ? "application/json" : NULL,
                        with_body ? "{}" : NULL, with_body ? 2 : 0, NULL, &r);
    if (rc)
        fail_msg("%s %s: no answer", rt->method, path);
    snprintf(body_out, body_size, "%s", r.body ? r.body : "");
    long st = r.status;
    ts_resp_free(&r);
    return st;
}

/* One line per broken expectation; the test lists them all, then fails. */
static size_t bad;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "roles: ");                                                            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            bad++;                                                                                 \
        }                                                                                          \
    } while (0)

static void test_enforced_roles(void **state)
{
    struct fx *f = *state;
    size_t n = http_route_count();
    size_t calls = 0;
    char body[512];
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct http_route *rt = http_route_at(i);
        bool pub = rt->flags & HTTP_PUBLIC;
        long st = call(f, rt, NULL, body, sizeof body);
        calls++;
        if (pub) {
            EXPECT(st != 401 && st != 403, "public %s %s answered %ld without a token: %s",
                   rt->method, rt->pattern, st, body);
            continue;
        }
        EXPECT(st == 401, "%s %s answered %ld without a token: %s", rt->method, rt->pattern, st,
               body);
        for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
            const char *role = auth_role_name((enum auth_role)r);
            bool allowed = rt->roles & AUTH_ROLE_BIT(r);
            char fresh[128];
            const char *tok = f->tok[r];
            if (allowed && consumes_token(rt)) {
                if (ts_login(&f->s, role, PW, fresh, sizeof fresh))
                    fail_msg("login %s", role);
                tok = fresh;
            }
            st = call(f, rt, tok, body, sizeof body);
            calls++;
            if (allowed)
                EXPECT(st != 401 && st != 403, "%s may %s %s (route table) but got %ld: %s", role,
                       rt->method, rt->pattern, st, body);
            else
                EXPECT(st == 403, "%s may not %s %s but got %ld: %s", role, rt->method, rt->pattern,
                       st, body);
        }
    }
    /* Every role's token still works: nothing above ended a session it
    ** should not have. */
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        struct ts_resp resp;
        assert_int_equal(ts_get(&f->s, "/api/v1/me", f->tok[r], &resp), 0);
        EXPECT(resp.status == 200, "%s's token stopped working", auth_role_name((enum auth_role)r));
        ts_resp_free(&resp);
    }
    fprintf(stderr, "roles: %zu routes, %zu calls, %zu broken expectations\n", n, calls, bad);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest declared[] = {
        cmocka_unit_test(test_declared_roles),
    };
    const struct CMUnitTest enforced[] = {
        cmocka_unit_test(test_enforced_roles),
    };
    int failed = cmocka_run_group_tests_name("roles_declared", declared, NULL, NULL);
    failed += cmocka_run_group_tests_name("roles_enforced", enforced, setup, teardown);
    return failed;
}
