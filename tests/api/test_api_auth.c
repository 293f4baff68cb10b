/* API tests for accounts: login, tokens, logout, users, devices, the login
** limiter, tenancy (another county's ids are 404) and "nothing written on bad
** input". Users are made with `ruralink user add` before the server starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "rl_server.h"

#define PW "ruralink-test"

struct fx {
    char dir[128];
    char db[192];
    struct ts_server s;
};

static int rm_tree(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return ts_sh(cmd);
}

/* `ruralink user add` with the test password on stdin. */
static int cli_user_add(const char *db, const char *name, const char *role, int county)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' '" PW "' | '%s' user add --db '%s' --name %s --role %s"
             " --county %d --password-stdin >/dev/null",
             RL_BIN, db, name, role, county);
    return ts_sh(cmd);
}

static int start_with(struct fx *f, const char *const *extra);

static int start(struct fx *f)
{
    return start_with(f, NULL);
}

/* A fresh database with the test users and a server on it; extra: more
** `serve` arguments (NULL-terminated, at most 8) or NULL. */
static int start_with(struct fx *f, const char *const *extra)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-apiauth-XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    static const char *const users[][3] = {
        {"admin1", "admin", "1"}, {"op1", "operator", "1"},     {"buyer1", "buyer", "1"},
        {"admin2", "admin", "2"}, {"auditor1", "auditor", "1"},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(users); i++) {
        if (cli_user_add(f->db, users[i][0], users[i][1], atoi(users[i][2])) != 0) {
            fprintf(stderr, "user add %s failed\n", users[i][0]);
            rm_tree(f->dir);
            return -1;
        }
    }
    struct ts_opts o = {.db = f->db};
    for (int i = 0; extra && extra[i] && i < 7; i++)
        o.extra[i] = extra[i];
    if (ts_start(&f->s, &o) == 0)
        return 0;
    f->s.pid = 0;
    rm_tree(f->dir);
    return -1;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    return start(f);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    int status = f->s.pid ? ts_stop(&f->s) : 0;
    if (status != 0)
        fprintf(stderr, "server exited with status %d\n", status);
    rm_tree(f->dir);
    free(f);
    return status != 0 ? -1 : 0;
}

static const char *jstr(struct json_object *o, const char *path1, const char *path2)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, path1, &v))
        return NULL;
    if (path2 && !json_object_object_get_ex(v, path2, &v))
        return NULL;
    return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *path1, const char *path2)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, path1, &v))
        return -1;
    if (path2 && !json_object_object_get_ex(v, path2, &v))
        return -1;
    return json_object_get_int64(v);
}

static long post(struct fx *f, const char *path, const char *tok, const char *json,
                 struct ts_resp *r)
{
    assert_int_equal(ts_post_json(&f->s, "POST", path, tok, json, r), 0);
    return r->status;
}

static long get(struct fx *f, const char *path, const char *tok, struct ts_resp *r)
{
    assert_int_equal(ts_get(&f->s, path, tok, r), 0);
    return r->status;
}

static void login_ok(struct fx *f, const char *name, char tok[128])
{
    int rc = ts_login(&f->s, name, PW, tok, 128);
    if (rc)
        fail_msg("login %s: %d", name, rc);
}

/* ----------------------------------------------------------- direct reads */

struct q1 {
    const char *sql;
    int64_t v;
};

static int q1_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct q1 *q = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, q->sql, &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    if (rc != STORE_ROW)
        return rc < 0 ? rc : ERR_NOTFOUND;
    q->v = store_col_i64(s, 0);
    return 0;
}

static int exec_fn(struct store_conn *c, void *arg, struct err *e)
{
    return store_exec(c, arg, e);
}

/* Open the server's database beside it (WAL allows it) for one query. */
static int64_t db_i64(struct fx *f, const char *sql)
{
    struct store *st;
    struct err e = {0};
    struct store_config cfg = {.path = f->db, .read_conns = 1, .synchronous_full = false};
    if (store_open(&st, &cfg, &e))
        fail_msg("store_open: %s", e.msg);
    struct q1 q = {sql, 0};
    int rc = store_read(st, q1_fn, &q, &e);
    store_close(st);
    if (rc)
        fail_msg("%s: %s", sql, e.msg);
    return q.v;
}

static void db_exec(struct fx *f, const char *sql)
{
    struct store *st;
    struct err e = {0};
    struct store_config cfg = {.path = f->db, .read_conns = 1, .synchronous_full = true};
    if (store_open(&st, &cfg, &e))
        fail_msg("store_open: %s", e.msg);
    int rc = store_write(st, exec_fn, (void *)sql, &e);
    store_close(st);
    if (rc)
        fail_msg("%s: %s", sql, e.msg);
}

/* ------------------------------------------------------------------- tests */

static void test_login_ok_and_me(void **state)
{
    struct fx *f = *state;
    struct ts_resp r;
    assert_int_equal(
        post(f, "/api/v1/auth/login", NULL, "{\"name\":\"op1\",\"password\":\"" PW "\"}", &r), 200);
    const char *tok = jstr(r.json, "token", NULL);
    assert_non_null(tok);
    assert_int_equal(strlen(tok), 43);
    int64_t exp;
    assert_int_equal(time_parse_rfc3339(jstr(r.json, "expires_at", NULL), &exp), 0);
    assert_true(exp > time_now_ms());
    assert_string_equal(jstr(r.json, "user", "name"), "op1");
    assert_string_equal(jstr(r.json, "user", "role"), "operator");
    assert_int_equal(jint(r.json, "user", "county_id"), 1);
    assert_true(jint(r.json, "user", "id") > 0);
    char cc[64];
    assert_true(ts_resp_header(&r, "Cache-Control", cc, sizeof cc));
    assert_string_equal(cc, "no-store");
    char t[128];
    snprintf(t, sizeof t, "%s", tok);
    ts_resp_free(&r);

    assert_int_equal(get(f, "/api/v1/me", t, &r), 200);
    assert_string_equal(jstr(r.json, "name", NULL), "op1");
    assert_string_equal(jstr(r.json, "role", NULL), "operator");
    assert_string_equal(jstr(r.json, "kind", NULL), "user");
    ts_resp_free(&r);
}

static void test_login_failures_same_answer(void **state)
{
    struct fx *f = *state;
    struct ts_resp a, b, c;
    assert_int_equal(post(f, "/api/v1/auth/login", NULL,
                          "{\"name\":\"op1\",\"password\":\"not the password\"}", &a),
                     401);
    assert_int_equal(post(f, "/api/v1/auth/login", NULL,
                          "{\"name\":\"nobody\",\"password\":\"not the password\"}", &b),
                     401);
    assert_string_equal(a.content_type, "application/problem+json");
    assert_string_equal(a.body, b.body); /* no user enumeration */
    assert_non_null(strstr(a.body, "invalid name or password"));
    ts_resp_free(&a);
    ts_resp_free(&b);

    /* Malformed requests are 4xx problems that do not count as logins. */
    assert_int_equal(post(f, "/api/v1/auth/login", NULL, "{\"name\":\"op1\"", &c), 400);
    ts_resp_free(&c);
    assert_int_equal(post(f, "/api/v1/auth/login", NULL, "{\"name\":\"op1\"}", &c), 400);
    ts_resp_free(&c);
    assert_int_equal(post(f, "/api/v1/auth/login", NULL, "{\"name\":1,\"password\":\"x\"}", &c),
                     400);
    ts_resp_free(&c);
    assert_int_equal(post(f, "/api/v1/auth/login", NULL,
                          "{\"name\":\"op1\",\"password\":\"" PW "\",\"admin\":true}", &c),
                     400);
    ts_resp_free(&c);
    assert_int_equal(post(f, "/api/v1/auth/login", NULL, "[1,2]", &c), 400);
    ts_resp_free(&c);
    assert_int_equal(
        ts_request(&f->s, "POST", "/api/v1/auth/login", NULL, "text/plain", "x", 1, NULL, &c), 0);
    assert_int_equal(c.status / 100, 4);
    ts_resp_free(&c);
    /* Two failures so far from this address (limit 5): a good login works. */
    char t[128];
    login_ok(f, "op1", t);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action ="
                               " 'auth.login_failed'"),
                     2);
}

static void test_bad_tokens(void **state)
{
    struct fx *f = *state;
    struct ts_resp r;
    assert_int_equal(get(f, "/api/v1/me", NULL, &r), 401);
    char h[128];
    assert_true(ts_resp_header(&r, "WWW-Authenticate", h, sizeof h));
    ts_resp_free(&r);
    /* Forged: well-formed, unknown. */
    assert_int_equal(get(f, "/api/v1/me", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &r), 401);
    assert_string_equal(r.content_type, "application/problem+json");
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", "not-a-token", &r), 401);
    ts_resp_free(&r);
    const char *basic[] = {"Authorization: Basic YWRtaW4xOnJ1cmFsaW5r", NULL};
    assert_int_equal(ts_request(&f->s, "GET", "/api/v1/me", NULL, NULL, NULL, 0, basic, &r), 0);
    assert_int_equal(r.status, 401);
    ts_resp_free(&r);

    /* A real token altered by one character. */
    char t[128];
    login_ok(f, "buyer1", t);
    t[20] = t[20] == 'x' ? 'y' : 'x';
    assert_int_equal(get(f, "/api/v1/me", t, &r), 401);
    ts_resp_free(&r);

    /* Expired: a session that was never used (so not cached), pushed into
    ** the past in the database. */
    char t2[128];
    login_ok(f, "auditor1", t2);
    db_exec(f, "UPDATE auth_tokens SET expires_ms = 1000 WHERE user_id ="
               " (SELECT id FROM users WHERE name = 'auditor1')");
    assert_int_equal(get(f, "/api/v1/me", t2, &r), 401);
    assert_non_null(strstr(r.body, "expired"));
    ts_resp_free(&r);
}

static void test_logout(void **state)
{
    struct fx *f = *state;
    char t[128], other[128];
    login_ok(f, "op1", t);
    login_ok(f, "op1", other);
    struct ts_resp r;
    assert_int_equal(get(f, "/api/v1/me", t, &r), 200);
    ts_resp_free(&r);
    assert_int_equal(post(f, "/api/v1/auth/logout", t, NULL, &r), 204);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", t, &r), 401);
    ts_resp_free(&r);
    assert_int_equal(post(f, "/api/v1/auth/logout", t, NULL, &r), 401);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", other, &r), 200); /* only that session ended */
    ts_resp_free(&r);
}

static void test_users_admin(void **state)
{
    struct fx *f = *state;
    char adm[128], op[128], adm2[128];
    login_ok(f, "admin1", adm);
    login_ok(f, "op1", op);
    login_ok(f, "admin2", adm2);
    struct ts_resp r;
    assert_int_equal(post(f, "/api/v1/users", adm,
                          "{\"name\":\"driver7\",\"password\":\"drive safely\",\"role\":\"driver\","
                          "\"display_name\":\"李师傅\"}",
                          &r),
                     201);
    int64_t id = jint(r.json, "id", NULL);
    assert_true(id > 0);
    assert_string_equal(jstr(r.json, "role", NULL), "driver");
    assert_int_equal(jint(r.json, "county_id", NULL), 1); /* the admin's county */
    assert_null(jstr(r.json, "password", NULL));
    assert_null(jstr(r.json, "password_hash", NULL));
    ts_resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)id);
    assert_int_equal(get(f, path, adm, &r), 200);
    assert_string_equal(jstr(r.json, "display_name", NULL), "李师傅");
    ts_resp_free(&r);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'"
                               " AND actor_user_id = (SELECT id FROM users WHERE name = 'admin1')"),
                     1);

    /* The new user can log in; a role change applies to the live session. */
    char drv[128];
    assert_int_equal(ts_login(&f->s, "driver7", "drive safely", drv, sizeof drv), 0);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, adm, "{\"role\":\"merchant\"}", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "role", NULL), "merchant");
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", drv, &r), 200);
    assert_string_equal(jstr(r.json, "role", NULL), "merchant");
    ts_resp_free(&r);
    /* Disabling ends the session. */
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, adm, "{\"disabled\":true}", &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", drv, &r), 401);
    ts_resp_free(&r);

    /* Lists: own county only. */
    assert_int_equal(get(f, "/api/v1/users?limit=2", adm, &r), 200);
    struct json_object *items;
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    assert_int_equal(json_object_array_length(items), 2);
    const char *cur = jstr(r.json, "next_cursor", NULL);
    assert_non_null(cur);
    char next[96];
    snprintf(next, sizeof next, "/api/v1/users?limit=200&cursor=%s", cur);
    ts_resp_free(&r);
    assert_int_equal(get(f, next, adm, &r), 200);
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    for (size_t i = 0; i < json_object_array_length(items); i++)
        assert_int_equal(jint(json_object_array_get_idx(items, i), "county_id", NULL), 1);
    assert_null(jstr(r.json, "next_cursor", NULL));
    ts_resp_free(&r);

    /* Filter by role, across pages of the table. */
    assert_int_equal(get(f, "/api/v1/users?role=auditor&limit=1", adm, &r), 200);
    assert_true(json_object_object_get_ex(r.json, "items", &items));
    assert_int_equal(json_object_array_length(items), 1);
    assert_string_equal(jstr(json_object_array_get_idx(items, 0), "name", NULL), "auditor1");
    assert_null(jstr(r.json, "next_cursor", NULL));
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/users?role=device", adm, &r), 400);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/users?limit=0", adm, &r), 400);
    ts_resp_free(&r);

    /* Operators do not manage users. */
    assert_int_equal(post(f, "/api/v1/users", op,
                          "{\"name\":\"sneaky\",\"password\":\"long enough\",\"role\":\"admin\"}",
                          &r),
                     403);
    ts_resp_free(&r);

    /* Another county's admin sees 404 for county 1's user, and cannot change it. */
    assert_int_equal(get(f, path, adm2, &r), 404);
    assert_null(strstr(r.body, "driver7"));
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, adm2, "{\"disabled\":false}", &r), 0);
    assert_int_equal(r.status, 404);
    ts_resp_free(&r);
    assert_int_equal(db_i64(f, "SELECT disabled FROM users WHERE name = 'driver7'"), 1);
    /* ...and an id that does not exist looks exactly the same. */
    assert_int_equal(get(f, "/api/v1/users/987654", adm2, &r), 404);
    ts_resp_free(&r);
}

static void test_users_bad_input_writes_nothing(void **state)
{
    struct fx *f = *state;
    char adm[128];
    login_ok(f, "admin1", adm);
    int64_t users = db_i64(f, "SELECT COUNT(*) FROM users");
    int64_t audits = db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.%'");
    static const struct {
        const char *body;
        long status;
    } cases[] = {
        {"{\"name\":\"u1\",\"password\":\"short\",\"role\":\"buyer\"}", 400},
        {"{\"name\":\"u1\",\"password\":\"u1\",\"role\":\"buyer\"}", 400},
        {"{\"name\":\"u1\",\"password\":\"long enough\",\"role\":\"king\"}", 400},
        {"{\"name\":\"u1\",\"password\":\"long enough\",\"role\":\"device\"}", 400},
        {"{\"name\":\"u 1\",\"password\":\"long enough\",\"role\":\"buyer\"}", 400},
        {"{\"name\":\"op1\",\"password\":\"long enough\",\"role\":\"buyer\"}", 409},
        {"{\"name\":\"u1\",\"password\":\"long enough\"}", 400},
        {"{\"name\":\"u1\",\"password\":12345678,\"role\":\"buyer\"}", 400},
        {"{\"name\":\"u1\",\"password\":\"long enough\",\"role\":\"buyer\",\"county_id\":2}", 400},
        {"{\"name\":\"u1\",\"password\":\"long enough\",\"role\":\"buyer\"", 400},
        {"null", 400},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(cases); i++) {
        struct ts_resp r;
        long st = post(f, "/api/v1/users", adm, cases[i].body, &r);
        if (st != cases[i].status)
            fail_msg("case %zu (%s): %ld, wanted %ld: %s", i, cases[i].body, st, cases[i].status,
                     r.body);
        assert_string_equal(r.content_type, "application/problem+json");
        ts_resp_free(&r);
    }
    char path[64];
    int64_t op1 = db_i64(f, "SELECT id FROM users WHERE name = 'op1'");
    snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)op1);
    static const char *const patches[] = {
        "{}",
        "{\"role\":\"emperor\"}",
        "{\"password\":\"short\"}",
        "{\"disabled\":\"yes\"}",
        "{\"county_id\":2}",
        "{\"role\":\"buyer\",\"password\":\"short\"}",
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(patches); i++) {
        struct ts_resp r;
        assert_int_equal(ts_post_json(&f->s, "PATCH", path, adm, patches[i], &r), 0);
        if (r.status != 400)
            fail_msg("patch %s: %ld %s", patches[i], r.status, r.body);
        ts_resp_free(&r);
    }
    struct ts_resp r;
    assert_int_equal(
        ts_post_json(&f->s, "PATCH", "/api/v1/users/abc", adm, "{\"role\":\"buyer\"}", &r), 0);
    assert_int_equal(r.status / 100, 4);
    ts_resp_free(&r);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM users"), users);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'user.%'"),
                     audits);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM users WHERE name = 'op1' AND role ="
                               " 'operator'"),
                     1);
}

static void test_devices(void **state)
{
    struct fx *f = *state;
    char op[128], buyer[128];
    login_ok(f, "op1", op);
    login_ok(f, "buyer1", buyer);
    struct ts_resp r;
    assert_int_equal(post(f, "/api/v1/devices", buyer, "{\"name\":\"x\"}", &r), 403);
    ts_resp_free(&r);
    assert_int_equal(
        post(f, "/api/v1/devices", op, "{\"name\":\"coldroom-1\",\"kind\":\"sensor\"}", &r), 201);
    const char *t = jstr(r.json, "token", NULL);
    assert_non_null(t);
    char dev[128];
    snprintf(dev, sizeof dev, "%s", t);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 200);
    assert_string_equal(jstr(r.json, "kind", NULL), "device");
    assert_string_equal(jstr(r.json, "role", NULL), "device");
    assert_string_equal(jstr(r.json, "name", NULL), "coldroom-1");
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/users", dev, &r), 403);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/devices", op, &r), 200);
    assert_non_null(strstr(r.body, "coldroom-1"));
    assert_null(strstr(r.body, dev)); /* the token is shown once */
    ts_resp_free(&r);

    /* A lost device is disabled: its token stops at once; bad input changes nothing. */
    int64_t id = db_i64(f, "SELECT id FROM devices WHERE name = 'coldroom-1'");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/devices/%lld", (long long)id);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, op, "{\"disabled\":\"yes\"}", &r), 0);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, op, "{}", &r), 0);
    assert_int_equal(r.status, 400);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 200);
    ts_resp_free(&r);
    char adm2[128];
    login_ok(f, "admin2", adm2);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, adm2, "{\"disabled\":true}", &r), 0);
    assert_int_equal(r.status, 404); /* another county's device */
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 200);
    ts_resp_free(&r);
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, op, "{\"disabled\":true}", &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(strstr(r.body, "\"disabled\":true") != NULL);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 401);
    ts_resp_free(&r);
    /* A new token for the (re-enabled) device; the old one stays dead. */
    assert_int_equal(ts_post_json(&f->s, "PATCH", path, op, "{\"disabled\":false}", &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 200);
    ts_resp_free(&r);
    char tpath[96];
    snprintf(tpath, sizeof tpath, "%s/tokens", path);
    assert_int_equal(post(f, tpath, adm2, NULL, &r), 404);
    ts_resp_free(&r);
    assert_int_equal(post(f, tpath, op, NULL, &r), 201);
    char dev2[128];
    snprintf(dev2, sizeof dev2, "%s", jstr(r.json, "token", NULL));
    assert_int_equal(strlen(dev2), 43);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev, &r), 401);
    ts_resp_free(&r);
    assert_int_equal(get(f, "/api/v1/me", dev2, &r), 200);
    assert_int_equal(jint(r.json, "id", NULL), id);
    ts_resp_free(&r);
}

/* `ruralink user set` beside a running server: a password reset ends the
** user's sessions (this one was never used, so no cache holds it). */
static void test_cli_password_reset(void **state)
{
    struct fx *f = *state;
    char old[128];
    login_ok(f, "buyer1", old);
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' 'a brand new one' | '%s' user set --db '%s' --name buyer1"
             " --password-stdin >/dev/null",
             RL_BIN, f->db);
    assert_int_equal(ts_sh(cmd), 0);
    struct ts_resp r;
    assert_int_equal(get(f, "/api/v1/me", old, &r), 401);
    ts_resp_free(&r);
    char t[128];
    assert_int_equal(ts_login(&f->s, "buyer1", "a brand new one", t, sizeof t), 0);
    assert_int_equal(ts_login(&f->s, "buyer1", PW, t, sizeof t), 401);
    snprintf(cmd, sizeof cmd, "'%s' user set --db '%s' --name nobody --disable 2>/dev/null", RL_BIN,
             f->db);
    assert_int_equal(ts_sh(cmd), 1);
}

/* `ruralink migrate`: creates a database, lists what it applied (JSON lines,
** "new": true), and a second run applies nothing. */
static void test_cli_migrate(void **state)
{
    struct fx *f = *state;
    char cmd[700];
    snprintf(
        cmd, sizeof cmd,
        "'%s' migrate --db '%s/m.db' 2>/dev/null | grep -c '\"module\":\"auth\",\"version\":1,.*"
        "\"new\":true' | grep -qx 1",
        RL_BIN, f->dir);
    assert_int_equal(ts_sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' migrate --db '%s/m.db' 2>/dev/null | grep -c '\"new\":true' | grep -qx 0",
             RL_BIN, f->dir);
    assert_int_equal(ts_sh(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' migrate --db '%s/m.db' 2>/dev/null | grep -c '\"new\":false'"
             " | grep -qx 0",
             RL_BIN, f->dir);
    assert_int_not_equal(ts_sh(cmd), 0); /* the applied ones are still listed */
    snprintf(cmd, sizeof cmd, "'%s' migrate --bogus 2>/dev/null", RL_BIN);
    assert_int_equal(ts_sh(cmd), 2);
}

/* A server of its own: every failure here comes from 127.0.0.1. */
static void test_rate_limit(void **state)
{
    (void)state;
    struct fx f;
    memset(&f, 0, sizeof f);
    assert_int_equal(start(&f), 0);
    struct ts_resp r;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(post(&f, "/api/v1/auth/login", NULL,
                              "{\"name\":\"op1\",\"password\":\"guess guess\"}", &r),
                         401);
        ts_resp_free(&r);
    }
    int64_t failed =
        db_i64(&f, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'");
    assert_int_equal(failed, 5);
    /* Locked: even the right password is not checked. */
    assert_int_equal(
        post(&f, "/api/v1/auth/login", NULL, "{\"name\":\"op1\",\"password\":\"" PW "\"}", &r),
        429);
    assert_string_equal(r.content_type, "application/problem+json");
    char ra[32];
    assert_true(ts_resp_header(&r, "Retry-After", ra, sizeof ra));
    assert_true(atoi(ra) > 0 && atoi(ra) <= 900);
    ts_resp_free(&r);
    /* The address is not: five failures of one name do not lock out the
    ** others who share it (a village service center). */
    assert_int_equal(
        post(&f, "/api/v1/auth/login", NULL, "{\"name\":\"buyer1\",\"password\":\"" PW "\"}", &r),
        200);
    ts_resp_free(&r);
    assert_int_equal(
        db_i64(&f, "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'"), failed);
    assert_int_equal(ts_stop(&f.s), 0);
    rm_tree(f.dir);
}

static long login_from(struct fx *f, const char *xff, const char *name, const char *pw)
{
    char hdr[128], body[160];
    snprintf(hdr, sizeof hdr, "X-Forwarded-For: %s", xff);
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", name, pw);
    const char *hdrs[] = {hdr, NULL};
    struct ts_resp r;
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/auth/login", NULL, "application/json", body,
                                strlen(body), hdrs, &r),
                     0);
    long st = r.status;
    ts_resp_free(&r);
    return st;
}

/* Failures from one client address up to its limit (4 x 5 by default),
** each under another name so that only the address limit can lock. */
static void fail_address(struct fx *f, const char *xff)
{
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "nobody%d", i);
        assert_int_equal(login_from(f, xff, name, "guess guess"), 401);
    }
}

/* Behind a trusted proxy the address limit applies to the client named by
** the proxy (the last X-Forwarded-For entry); from any other peer the header
** is ignored. */
static void test_rate_limit_behind_proxy(void **state)
{
    (void)state;
    struct fx f;
    memset(&f, 0, sizeof f);
    const char *const trusted[] = {"--trust-proxy", "127.0.0.1", NULL};
    assert_int_equal(start_with(&f, trusted), 0);
    fail_address(&f, "203.0.113.7");
    assert_int_equal(login_from(&f, "203.0.113.7", "op1", PW), 429);
    /* an entry the client put first does not get it out */
    assert_int_equal(login_from(&f, "203.0.113.8, 203.0.113.7", "op1", PW), 429);
    assert_int_equal(login_from(&f, "203.0.113.8", "op1", PW), 200); /* another client */
    assert_int_equal(ts_stop(&f.s), 0);
    rm_tree(f.dir);

    memset(&f, 0, sizeof f);
    const char *const other[] = {"--trust-proxy", "192.0.2.1", NULL};
    assert_int_equal(start_with(&f, other), 0);
    fail_address(&f, "203.0.113.7");
    /* the header is ignored: every request came from 127.0.0.1 */
    assert_int_equal(login_from(&f, "203.0.113.8", "op1", PW), 429);
    assert_int_equal(ts_stop(&f.s), 0);
    rm_tree(f.dir);
}

/* POST /api/v1/system/ping-write (any person): an empty object or a null
** note is a probe without a note (it was a 500: an error struct read before
** anything set it), and every note of at most 200 bytes is recorded whole
** in the audit log, however much its quotes and control characters grow
** when escaped (150 quotes were refused as "too long"). */
static void test_ping_write_bodies(void **state)
{
    struct fx *f = *state;
    char t[128];
    login_ok(f, "auditor1", t);
    struct ts_resp r;
    int64_t before = db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'system.ping_write'");
    static const char *const ok[] = {"{}", "{\"note\":null}", "{\"note\":\"\"}"};
    for (size_t i = 0; i < RL_ARRAY_LEN(ok); i++) {
        assert_int_equal(post(f, "/api/v1/system/ping-write", t, ok[i], &r), 201);
        ts_resp_free(&r);
    }
    char body[1400], note[1200];
    memset(note, '"', 150);
    note[150] = '\0';
    struct strbuf sb;
    strbuf_init(&sb, sizeof body);
    strbuf_addstr(&sb, "{\"note\":");
    strbuf_add_json_str(&sb, note, strlen(note));
    strbuf_addch(&sb, '}');
    snprintf(body, sizeof body, "%s", strbuf_str(&sb));
    assert_int_equal(post(f, "/api/v1/system/ping-write", t, body, &r), 201);
    ts_resp_free(&r);
    memset(note, 1, 200); /* escaped as \u0001: 1,200 bytes */
    note[200] = '\0';
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "{\"note\":");
    strbuf_add_json_str(&sb, note, strlen(note));
    strbuf_addch(&sb, '}');
    snprintf(body, sizeof body, "%s", strbuf_str(&sb));
    assert_int_equal(post(f, "/api/v1/system/ping-write", t, body, &r), 201);
    ts_resp_free(&r);
    strbuf_release(&sb);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'system.ping_write'"),
                     before + 5);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'system.ping_write'"
                               " AND json_valid(detail)"
                               " AND length(json_extract(detail, '$.note')) IN (150, 200)"),
                     2);

    /* Still refused: a longer note, a wrong type, an unknown field. */
    memset(note, 'x', 201);
    note[201] = '\0';
    snprintf(body, sizeof body, "{\"note\":\"%s\"}", note);
    assert_int_equal(post(f, "/api/v1/system/ping-write", t, body, &r), 400);
    assert_string_equal(r.content_type, "application/problem+json");
    ts_resp_free(&r);
    assert_int_equal(post(f, "/api/v1/system/ping-write", t, "{\"note\":5}", &r), 400);
    ts_resp_free(&r);
    assert_int_equal(post(f, "/api/v1/system/ping-write", t, "{\"notes\":\"x\"}", &r), 400);
    ts_resp_free(&r);
    assert_int_equal(db_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'system.ping_write'"),
                     before + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_ok_and_me),
        cmocka_unit_test(test_login_failures_same_answer),
        cmocka_unit_test(test_bad_tokens),
        cmocka_unit_test(test_logout),
        cmocka_unit_test(test_users_admin),
        cmocka_unit_test(test_users_bad_input_writes_nothing),
        cmocka_unit_test(test_devices),
        cmocka_unit_test(test_cli_password_reset),
        cmocka_unit_test(test_cli_migrate),
        cmocka_unit_test(test_ping_write_bodies),
    };
    const struct CMUnitTest limiter[] = {
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_rate_limit_behind_proxy),
    };
    int failed = cmocka_run_group_tests_name("api_auth", tests, setup, teardown);
    failed += cmocka_run_group_tests_name("api_auth_limiter", limiter, NULL, NULL);
    return failed;
}
