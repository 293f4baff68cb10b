/* API tests for the marketplace: producers and products with role rules,
** search (Chinese, 1-2 character words), bad input refused with
** problem+json and nothing written, CSV import errors per row, lots, orders
** with Idempotency-Key, the lifecycle (illegal moves are 409), buyers seeing
** only their orders, and a concurrent flash sale over HTTP that sells exactly
** the offer's stock. Users are made with `ruralink user add` first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "county/county.h"
#include "schema/schema.h"
#include "store/store.h"
#include "rl_server.h"

#define PW "ruralink-test"

struct fx {
    char dir[128];
    char db[192];
    struct ts_server s;
    char admin[128], op[128], m1[128], m2[128], b1[128], b2[128], aud[128], other[128];
    int64_t b1_id;
};

static int user_add(const char *db, const char *name, const char *role, int county)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd,
             "printf '%%s\\n' '" PW "' | '%s' user add --db '%s' --name %s --role %s"
             " --county %d --password-stdin >/dev/null",
             RL_BIN, db, name, role, county);
    return ts_sh(cmd);
}

/* Users cost an Argon2id hash each: make them once in a template database
** (group setup) and give every test a copy. */
static char template_dir[128], template_db[192];

static const char *const users[][3] = {
    {"admin1", "admin", "1"}, {"op1", "operator", "1"}, {"m1", "merchant", "1"},
    {"m2", "merchant", "1"},  {"b1", "buyer", "1"},     {"b2", "buyer", "1"},
    {"aud1", "auditor", "1"}, {"admin2", "admin", "2"},
};

/* The county rows the tests name (market ids are checked against them):
** counties 1 and 2, a village and two nodes in county 1 (VIL, NODE, NODE2),
** a node in county 2 (NODE_OTHER); and the flash-sale buyers (ids
** HF_BUYER0.., no password: staff order for them). Made in the template
** through the county module, before any server runs on it. */
#define HF_BUYER0 500
#define HF_BUYERS 50
static int64_t VIL, NODE, NODE2, NODE_OTHER;

static int hf_buyer_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)arg;
    int rc = 0;
    for (int64_t id = HF_BUYER0; !rc && id < HF_BUYER0 + HF_BUYERS; id++) {
        struct store_stmt *s;
        if ((rc = store_prepare(c,
                                "INSERT INTO users (id, county_id, name, role, password_hash,"
                                " created_ms, updated_ms) VALUES (?, 1, 'hf' || ?, 'buyer', '-',"
                                " 1, 1)",
                                &s, e)))
            break;
        store_bind_i64(s, 1, id);
        store_bind_i64(s, 2, id);
        rc = store_step(s, e);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

static int seed_network(const char *db)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = db;
    struct store *st;
    struct err e = {0};
    if (store_open(&st, &cfg, &e) || schema_register_all(st, &e) || store_migrate(st, &e)) {
        fprintf(stderr, "seed: %s\n", e.msg);
        return -1;
    }
    int rc = 0;
    int64_t *nodes[] = {&NODE, &NODE2, &NODE_OTHER};
    for (int k = 0; !rc && k < 2; k++) {
        struct county c;
        memset(&c, 0, sizeof c);
        snprintf(c.code, sizeof c.code, "T%d", k + 1);
        snprintf(c.name_zh, sizeof c.name_zh, "%s", k ? "邻县" : "洛川县");
        c.center = (struct geo_point){35.76, 109.42};
        if ((rc = county_create(st, NULL, &c, &e)))
            break;
        if (c.id != k + 1) {
            rc = err_set(&e, ERR_INTERNAL, "county %d numbered %lld", k + 1, (long long)c.id);
            break;
        }
        struct auth_principal sys = {0, 0, c.id, AUTH_ROLE_ADMIN, "system"};
        struct county_township t;
        memset(&t, 0, sizeof t);
        snprintf(t.name_zh, sizeof t.name_zh, "%s", "凤栖镇");
        t.loc = c.center;
        if ((rc = county_township_create(st, &sys, &t, &e)))
            break;
        if (k == 0) {
            struct county_village v;
            memset(&v, 0, sizeof v);
            v.township_id = t.id;
            snprintf(v.name_zh, sizeof v.name_zh, "%s", "东坡村");
            v.loc = c.center;
            if ((rc = county_village_create(st, &sys, &v, &e)))
                break;
            VIL = v.id;
        }
        for (int n = 0; !rc && n < (k ? 1 : 2); n++) {
            struct county_node nd;
            memset(&nd, 0, sizeof nd);
            nd.kind = COUNTY_NODE_HUB;
            snprintf(nd.name, sizeof nd.name, "中心 %d", n + 1);
            nd.loc = c.center;
            nd.close_min = 1440;
            nd.active = true;
            if (!(rc = county_node_create(st, &sys, &nd, &e)))
                *nodes[k ? 2 : n] = nd.id;
        }
    }
    if (!rc)
        rc = store_write(st, hf_buyer_fn, NULL, &e);
    if (rc)
        fprintf(stderr, "seed: %s\n", e.msg);
    store_close(st);
    return rc ? -1 : 0;
}

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(template_dir, sizeof template_dir, "%s/rl-apimkt-XXXXXX",
             tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(template_dir))
        return -1;
    snprintf(template_db, sizeof template_db, "%s/template.db", template_dir);
    for (size_t i = 0; i < RL_ARRAY_LEN(users); i++)
        if (user_add(template_db, users[i][0], users[i][1], (int)(users[i][2][0] - '0')) != 0)
            return -1;
    return seed_network(template_db);
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", template_dir);
    ts_sh(cmd);
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    *state = f;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-apimkt-XXXXXX", tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    char cmd[500];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", template_db, f->db);
    if (ts_sh(cmd) != 0)
        return -1;
    struct ts_opts o = {.db = f->db};
    if (ts_start(&f->s, &o))
        return -1;
    char *toks[] = {f->admin, f->op, f->m1, f->m2, f->b1, f->b2, f->aud, f->other};
    for (size_t i = 0; i < RL_ARRAY_LEN(users); i++)
        if (ts_login(&f->s, users[i][0], PW, toks[i], 128))
            return -1;
    struct ts_resp r;
    if (ts_get(&f->s, "/api/v1/me", f->b1, &r) || !r.json)
        return -1;
    struct json_object *v;
    json_object_object_get_ex(r.json, "id", &v);
    f->b1_id = json_object_get_int64(v);
    ts_resp_free(&r);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->s.pid)
        ts_stop(&f->s);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    ts_sh(cmd);
    free(f);
    return 0;
}

static int64_t jint(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return -1;
    return json_object_get_int64(v);
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static size_t jlen(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return (size_t)-1;
    return json_object_array_length(v);
}

static long req(struct fx *f, const char *method, const char *path, const char *tok,
                const char *json, struct ts_resp *r)
{
    int rc = json ? ts_post_json(&f->s, method, path, tok, json, r)
                  : ts_request(&f->s, method, path, tok, NULL, NULL, 0, NULL, r);
    assert_int_equal(rc, 0);
    return r->status;
}

/* POST json expecting `status`; returns the "id" of the answer. */
static int64_t post_ok(struct fx *f, const char *path, const char *tok, const char *json,
                       long status)
{
    struct ts_resp r;
    long got = req(f, "POST", path, tok, json, &r);
    if (got != status)
        fail_msg("POST %s: %ld %s", path, got, r.body);
    int64_t id = jint(r.json, "id");
    ts_resp_free(&r);
    return id;
}

/* A problem+json answer with this status and a detail mentioning `word`. */
static void problem(struct fx *f, const char *method, const char *path, const char *tok,
                    const char *json, long status, const char *word)
{
    struct ts_resp r;
    long got = req(f, method, path, tok, json, &r);
    if (got != status)
        fail_msg("%s %s: wanted %ld, got %ld %s", method, path, status, got, r.body);
    assert_string_equal(r.content_type, "application/problem+json");
    if (word && !strstr(r.body, word))
        fail_msg("%s %s: '%s' not in %s", method, path, word, r.body);
    ts_resp_free(&r);
}

static int64_t count(struct fx *f, const char *path, const char *tok)
{
    struct ts_resp r;
    assert_int_equal(req(f, "GET", path, tok, NULL, &r), 200);
    int64_t n = (int64_t)jlen(r.json, "items");
    ts_resp_free(&r);
    return n;
}

static int64_t mk_catalog(struct fx *f, int64_t *product)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"kind\":\"cooperative\",\"name\":\"洛川果业合作社\"}",
             (long long)VIL);
    int64_t prod = post_ok(f, "/api/v1/producers", f->m1, body, 201);
    snprintf(body, sizeof body,
             "{\"producer_id\":%lld,\"name_zh\":\"洛川红富士苹果\",\"name_en\":\"Fuji apples\","
             "\"story_zh\":\"黄土高原上的苹果\",\"category\":\"fruit\",\"unit\":\"box 5 kg\","
             "\"price_fen\":6800,\"weight_g\":5000,\"storage\":\"chilled\",\"temp_min_c\":-1,"
             "\"shelf_life_days\":120,\"tags\":[\"一村一品\"],\"signature\":true,"
             "\"brand\":\"洛川\",\"images\":[\"https://img.example/a.jpg\"]}",
             (long long)prod);
    *product = post_ok(f, "/api/v1/products", f->m1, body, 201);
    return prod;
}

/* ------------------------------------------------------------- catalog */

static void test_catalog_roles_and_search(void **state)
{
    struct fx *f = *state;
    int64_t product;
    int64_t prod = mk_catalog(f, &product);
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/products/1", f->b1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "price_fen"), 6800);
    assert_string_equal(jstr(r.json, "storage"), "chilled");
    assert_int_equal(jint(r.json, "temp_max_c"), 4); /* class default for the rest */
    assert_int_equal(jint(r.json, "temp_min_c"), -1);
    ts_resp_free(&r);
    /* search: 3+ characters (trigram) and 1-2 characters (LIKE), URL-encoded */
    assert_int_equal(count(f, "/api/v1/products?q=%E7%BA%A2%E5%AF%8C%E5%A3%AB", f->b1), 1);
    assert_int_equal(count(f, "/api/v1/products?q=%E8%8B%B9", f->b1), 1); /* 苹 */
    assert_int_equal(count(f, "/api/v1/products?q=%E8%8C%B6", f->b1), 0); /* 茶 */
    assert_int_equal(count(f, "/api/v1/products?storage=frozen", f->b1), 0);
    {
        char q[96];
        snprintf(q, sizeof q, "/api/v1/products?village_id=%lld&signature=1", (long long)VIL);
        assert_int_equal(count(f, q, f->b1), 1);
    }
    problem(f, "GET", "/api/v1/products?storage=warm", f->b1, NULL, 400, "storage");
    /* roles */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/products/%lld", (long long)product);
    problem(f, "PATCH", path, f->m2, "{\"price_fen\":1}", 403, NULL);
    problem(f, "PATCH", path, f->b1, "{\"price_fen\":1}", 403, NULL);
    problem(f, "GET", path, f->other, NULL, 404, NULL);
    assert_int_equal(req(f, "PATCH", path, f->m1, "{\"price_fen\":7200}", &r), 200);
    assert_int_equal(jint(r.json, "price_fen"), 7200);
    assert_string_equal(jstr(r.json, "name_zh"), "洛川红富士苹果"); /* untouched */
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/producers/%lld/certifications", (long long)prod);
    post_ok(f, path, f->m1,
            "{\"kind\":\"geographical_indication\",\"cert_no\":\"GI-2009-1\","
            "\"valid_from\":\"2020-01-01\",\"valid_until\":\"2099-12-31\"}",
            201);
    problem(f, "POST", path, f->m2,
            "{\"kind\":\"organic\",\"valid_from\":\"2020-01-01\","
            "\"valid_until\":\"2099-12-31\"}",
            403, NULL);
    assert_int_equal(count(f, "/api/v1/products?certification=geographical_indication", f->b1), 1);
    assert_int_equal(count(f, "/api/v1/products?certification=organic", f->b1), 0);
    problem(f, "POST", path, f->m1, "{\"kind\":\"organic\",\"valid_until\":\"2099-12-31\"}", 400,
            "'valid_from' is required");
    /* query parameters are checked, not guessed at */
    problem(f, "GET", "/api/v1/products?signature=maybe", f->b1, NULL, 400, "signature");
    problem(f, "GET", "/api/v1/products?certification=iso", f->b1, NULL, 400, "certification");
    problem(f, "GET", "/api/v1/producers?owner_user_id=0", f->b1, NULL, 400, "owner_user_id");
    problem(f, "GET", "/api/v1/inventory?include_empty=yes", f->op, NULL, 400, "include_empty");
    {
        char q[96];
        snprintf(q, sizeof q, "/api/v1/products?village_id=%lld", (long long)VIL);
        int64_t all = count(f, q, f->b1);
        snprintf(q, sizeof q, "/api/v1/products?village_id=%lld&signature=true", (long long)VIL);
        int64_t sig = count(f, q, f->b1);
        snprintf(q, sizeof q, "/api/v1/products?village_id=%lld&signature=false", (long long)VIL);
        int64_t others = count(f, q, f->b1);
        assert_true(sig >= 1);
        assert_int_equal(sig + others, all); /* false: the products that are not signature */
    }
}

static void test_bad_input(void **state)
{
    struct fx *f = *state;
    int64_t product;
    int64_t prod = mk_catalog(f, &product);
    int64_t before = count(f, "/api/v1/products?include_inactive=1", f->op);
    char body[6000];
#define BAD(extra, status, word)                                                                   \
    do {                                                                                           \
        snprintf(body, sizeof body,                                                                \
                 "{\"producer_id\":%lld,\"name_zh\":\"蜂蜜\",\"category\":\"honey\","            \
                 "\"unit\":\"jar\"%s}",                                                            \
                 (long long)prod, extra);                                                          \
        problem(f, "POST", "/api/v1/products", f->m1, body, status, word);                         \
    } while (0)
    BAD(",\"price_fen\":-100", 400, "price_fen");
    BAD(",\"price_fen\":0", 400, "price_fen");
    BAD(",\"price_fen\":100000000000", 400, "price_fen");
    BAD(",\"price_fen\":12.5", 400, "price_fen"); /* money is integer fen */
    BAD(",\"price_fen\":\"100\"", 400, "price_fen");
    BAD(",\"price_fen\":100,\"colour\":\"red\"", 400, "colour");
    BAD(",\"price_fen\":100,\"storage\":\"warm\"", 400, "storage");
    BAD(",\"price_fen\":100,\"images\":[\"ftp://x\"]", 400, "images");
    BAD(",\"price_fen\":100,\"tags\":[1]", 400, "tags");
    {
        char story[4200];
        memset(story, 'a', 4100);
        story[4100] = '\0';
        char extra[4300];
        snprintf(extra, sizeof extra, ",\"price_fen\":100,\"story_en\":\"%s\"", story);
        BAD(extra, 413, "story_en");
    }
#undef BAD
    /* invalid UTF-8 in the body */
    const char bad_utf8[] = "{\"producer_id\":1,\"name_zh\":\"\xe8\x9c\xff\",\"category\":\"x\","
                            "\"unit\":\"jar\",\"price_fen\":100}";
    problem(f, "POST", "/api/v1/products", f->m1, bad_utf8, 400, NULL);
    /* unknown producer */
    problem(f, "POST", "/api/v1/products", f->m1,
            "{\"producer_id\":999,\"name_zh\":\"x\",\"category\":\"x\",\"unit\":\"x\","
            "\"price_fen\":100}",
            404, "producer");
    assert_int_equal(count(f, "/api/v1/products?include_inactive=1", f->op), before);

    /* orders: negative quantity, unknown product, no delivery point */
    int64_t orders = count(f, "/api/v1/orders", f->op);
    snprintf(body, sizeof body,
             "{\"delivery_node_id\":%lld,\"lines\":[{\"product_id\":%lld,\"qty\":-2}]}",
             (long long)NODE, (long long)product);
    problem(f, "POST", "/api/v1/orders", f->b1, body, 400, "qty");
    snprintf(body, sizeof body,
             "{\"delivery_node_id\":%lld,\"lines\":[{\"product_id\":4242,\"qty\":1}]}",
             (long long)NODE);
    problem(f, "POST", "/api/v1/orders", f->b1, body, 400, "not found");
    snprintf(body, sizeof body, "{\"lines\":[{\"product_id\":%lld,\"qty\":1}]}",
             (long long)product);
    problem(f, "POST", "/api/v1/orders", f->b1, body, 400, "delivery");
    problem(f, "POST", "/api/v1/orders", f->b1, "{\"delivery_node_id\":5,\"lines\":[]}", 400,
            "lines");
    /* ids of the county network: an unknown delivery node, a node or village
    ** of another county, an account that is not a buyer (422, nothing written) */
    snprintf(body, sizeof body,
             "{\"delivery_node_id\":987654,\"lines\":[{\"product_id\":%lld,\"qty\":1}]}",
             (long long)product);
    problem(f, "POST", "/api/v1/orders", f->b1, body, 422,
            "field 'delivery_node_id': node 987654 not found in this county");
    snprintf(body, sizeof body,
             "{\"delivery_node_id\":%lld,\"lines\":[{\"product_id\":%lld,\"qty\":1}]}",
             (long long)NODE_OTHER, (long long)product);
    problem(f, "POST", "/api/v1/orders", f->b1, body, 422, "not found in this county");
    snprintf(body, sizeof body,
             "{\"buyer_user_id\":%lld,\"delivery_node_id\":%lld,"
             "\"lines\":[{\"product_id\":%lld,\"qty\":1}]}",
             (long long)f->b1_id - 2, (long long)NODE, (long long)product); /* m1 */
    problem(f, "POST", "/api/v1/orders", f->op, body, 422, "not a buyer");
    snprintf(body, sizeof body, "{\"product_id\":%lld,\"node_id\":%lld,\"qty\":5}",
             (long long)product, (long long)NODE_OTHER);
    problem(f, "POST", "/api/v1/inventory/lots", f->m1, body, 422, "field 'node_id'");
    problem(f, "POST", "/api/v1/producers", f->m1,
            "{\"village_id\":987654,\"kind\":\"cooperative\",\"name\":\"x\"}", 422,
            "village 987654 not found in this county");
    snprintf(body, sizeof body,
             "{\"delivery_node_id\":%lld,\"lines\":[{\"product_id\":%lld,\"qty\":1}]}",
             (long long)NODE, (long long)product);
    problem(f, "POST", "/api/v1/orders", f->m1, body, 403, NULL);    /* merchants do not buy */
    problem(f, "POST", "/api/v1/orders", f->b1, body, 409, "stock"); /* none in stock */
    assert_int_equal(count(f, "/api/v1/orders", f->op), orders);

    /* CSV import: per-row errors, nothing imported */
    char csv[1024];
    snprintf(csv, sizeof csv,
             "sku,producer_id,name_zh,category,unit,price_fen\n"
             "EGG-1,%lld,鸡蛋,eggs,tray,3600\n"
             "EGG-2,%lld,鸭蛋,eggs,tray,-1\n"
             "EGG-3,%lld,鹅蛋,eggs,tray,notanumber\n",
             (long long)prod, (long long)prod, (long long)prod);
    const char *hdr[] = {NULL};
    struct ts_resp r;
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/products/import", f->m1, "text/csv", csv,
                                strlen(csv), hdr, &r),
                     0);
    assert_int_equal(r.status, 422);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_int_equal(jlen(r.json, "errors"), 2);
    ts_resp_free(&r);
    assert_int_equal(count(f, "/api/v1/products?include_inactive=1", f->op), before);
    char *nl = strstr(csv, "EGG-2");
    *nl = '\0'; /* keep only the good row */
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/products/import", f->m1, "text/csv", csv,
                                strlen(csv), hdr, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(jint(r.json, "created"), 1);
    ts_resp_free(&r);
    assert_int_equal(req(f, "GET", "/api/v1/products/export", f->m1, NULL, &r), 200);
    assert_non_null(strstr(r.body, "EGG-1"));
    ts_resp_free(&r);
}

/* ------------------------------------------------------------- orders */

static void test_orders_lifecycle(void **state)
{
    struct fx *f = *state;
    int64_t product;
    mk_catalog(f, &product);
    char body[512];
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":%lld,\"qty\":20,\"lot_code\":\"LC-1\","
             "\"harvest_date\":\"2026-10-05\"}",
             (long long)product, (long long)NODE);
    post_ok(f, "/api/v1/inventory/lots", f->m1, body, 201);
    problem(f, "GET", "/api/v1/inventory", f->b1, NULL, 403, NULL);
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 20);
    ts_resp_free(&r);

    snprintf(body, sizeof body,
             "{\"delivery_address\":\"东坡村 2 组\",\"lat\":35.76,\"lon\":109.42,"
             "\"payment_method\":\"cod\",\"lines\":[{\"product_id\":%lld,\"qty\":3}]}",
             (long long)product);
    const char *idem[] = {"Idempotency-Key: order-abc", NULL};
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/orders", f->b1, "application/json", body,
                                strlen(body), idem, &r),
                     0);
    assert_int_equal(r.status, 201);
    int64_t id = jint(r.json, "id");
    assert_int_equal(jint(r.json, "total_fen"), 3 * 6800);
    assert_string_equal(jstr(r.json, "status"), "placed");
    {
        /* the creation answer (written without json-c) is the stored order */
        struct ts_resp g;
        char opath[64];
        snprintf(opath, sizeof opath, "/api/v1/orders/%lld", (long long)id);
        assert_int_equal(req(f, "GET", opath, f->b1, NULL, &g), 200);
        assert_int_equal(jlen(g.json, "history"), 1);
        json_object_object_del(g.json, "history");
        if (!json_object_equal(g.json, r.json))
            fail_msg("POST answer %s\n!= GET %s", json_object_to_json_string(r.json),
                     json_object_to_json_string(g.json));
        ts_resp_free(&g);
    }
    ts_resp_free(&r);
    /* the retry answers the same order and places nothing */
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/orders", f->b1, "application/json", body,
                                strlen(body), idem, &r),
                     0);
    assert_int_equal(r.status, 201);
    assert_int_equal(jint(r.json, "id"), id);
    char hv[16];
    assert_true(ts_resp_header(&r, "Idempotent-Replayed", hv, sizeof hv));
    ts_resp_free(&r);
    assert_int_equal(count(f, "/api/v1/orders", f->op), 1);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/orders/%lld", (long long)id);
    problem(f, "GET", path, f->b2, NULL, 404, NULL); /* not its order */
    assert_int_equal(count(f, "/api/v1/orders", f->b2), 0);
    assert_int_equal(count(f, "/api/v1/orders", f->b1), 1);
    assert_int_equal(count(f, "/api/v1/orders", f->aud), 1);

    snprintf(path, sizeof path, "/api/v1/orders/%lld/status", (long long)id);
    problem(f, "POST", path, f->op, "{\"status\":\"shipped\"}", 409, "cannot become");
    problem(f, "POST", path, f->op, "{\"status\":\"refunded\"}", 409, NULL);
    problem(f, "POST", path, f->op, "{\"status\":\"lost\"}", 400, "status");
    problem(f, "POST", path, f->aud, "{\"status\":\"confirmed\"}", 403, NULL);
    static const char *const steps[] = {"confirmed", "packed", "shipped", "delivered"};
    for (size_t i = 0; i < 4; i++) {
        char b[64];
        snprintf(b, sizeof b, "{\"status\":\"%s\"}", steps[i]);
        assert_int_equal(req(f, "POST", path, i < 2 ? f->m1 : f->op, b, &r), 200);
        assert_string_equal(jstr(r.json, "status"), steps[i]);
        ts_resp_free(&r);
        if (i == 1) /* packed: a move the lifecycle allows, not to a buyer */
            problem(f, "POST", path, f->b1, "{\"status\":\"cancelled\"}", 403,
                    "placed or confirmed");
    }
    problem(f, "POST", path, f->op, "{\"status\":\"cancelled\"}", 409, NULL);
    /* orders by when they reached a status: shipped once, and not later */
    assert_int_equal(count(f, "/api/v1/orders?reached=shipped&reached_since=2000-01-01", f->op), 1);
    assert_int_equal(
        count(f, "/api/v1/orders?reached=shipped,delivered&reached_since=2000-01-01", f->op), 1);
    assert_int_equal(count(f, "/api/v1/orders?reached=shipped&reached_since=2999-01-01", f->op), 0);
    assert_int_equal(count(f, "/api/v1/orders?reached=cancelled", f->op), 0);
    assert_int_equal(count(f, "/api/v1/orders?reached=shipped", f->b2), 0); /* not its order */
    problem(f, "GET", "/api/v1/orders?reached=lost", f->op, NULL, 400, "reached");
    problem(f, "GET", "/api/v1/orders?reached_since=2000-01-01", f->op, NULL, 400, "reached");
    /* a move the lifecycle never allows is 409 whoever asks */
    problem(f, "POST", path, f->b1, "{\"status\":\"cancelled\"}", 409, "cannot become");
    /* payment */
    snprintf(path, sizeof path, "/api/v1/orders/%lld/payment", (long long)id);
    problem(f, "POST", path, f->b1, "{\"status\":\"paid\"}", 403, NULL);
    /* errors name the request's own fields (status, method, ref) */
    problem(f, "POST", path, f->op, "{\"status\":\"paid\",\"method\":\"external\"}", 400,
            "needs 'ref'");
    problem(f, "POST", path, f->op, "{\"status\":\"bogus\"}", 400, "field 'status'");
    problem(f, "POST", path, f->op, "{\"status\":\"paid\",\"method\":\"barter\"}", 400,
            "field 'method'");
    assert_int_equal(req(f, "POST", path, f->m1,
                         "{\"status\":\"paid\",\"method\":\"external\",\"ref\":\"WX-9\"}", &r),
                     200);
    struct json_object *pay;
    assert_true(json_object_object_get_ex(r.json, "payment", &pay));
    assert_string_equal(jstr(pay, "status"), "paid");
    assert_string_equal(jstr(pay, "ref"), "WX-9");
    ts_resp_free(&r);
    /* stock: 20 received, 3 sold; an adjustment below zero is refused */
    assert_int_equal(req(f, "GET", "/api/v1/inventory?include_empty=1", f->op, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 17);
    struct json_object *items, *lot;
    json_object_object_get_ex(r.json, "items", &items);
    lot = json_object_array_get_idx(items, 0);
    int64_t lot_id = jint(lot, "id");
    size_t nlots = json_object_array_length(items);
    ts_resp_free(&r);
    /* pages of one lot: each says where the next starts, every one the totals */
    for (size_t k = 0; k < nlots; k++) {
        char page[96];
        snprintf(page, sizeof page, "/api/v1/inventory?include_empty=1&limit=1&offset=%zu", k);
        assert_int_equal(req(f, "GET", page, f->op, NULL, &r), 200);
        assert_int_equal(jlen(r.json, "items"), 1);
        assert_int_equal(jint(r.json, "total_qty"), 17);
        assert_int_equal(jint(r.json, "total_lots"), (int64_t)nlots);
        assert_int_equal(jint(r.json, "next_offset"), k + 1 < nlots ? (int64_t)k + 1 : -1);
        ts_resp_free(&r);
    }
    problem(f, "GET", "/api/v1/inventory?limit=0", f->op, NULL, 400, "limit");
    snprintf(path, sizeof path, "/api/v1/inventory/lots/%lld/adjust", (long long)lot_id);
    problem(f, "POST", path, f->m1, "{\"delta\":-18,\"reason\":\"count\"}", 409, "lot");
    problem(f, "POST", path, f->m2, "{\"delta\":-1,\"reason\":\"count\"}", 403, NULL);
    assert_int_equal(req(f, "POST", path, f->m1, "{\"delta\":-2,\"reason\":\"破损\"}", &r), 200);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/products/%lld", (long long)product);
    assert_int_equal(req(f, "GET", path, f->b1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "stock"), 15);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/orders/%lld", (long long)id);
    assert_int_equal(req(f, "GET", path, f->b1, NULL, &r), 200);
    assert_string_equal(jstr(r.json, "status"), "delivered");
    assert_int_equal(jlen(r.json, "history"), 5);
    ts_resp_free(&r);
}

/* ---------------------------------------------------------- flash sale */

#define HF_THREADS 6
#define HF_TRIES 40
#define HF_STOCK 60
#define HF_LIMIT 2

struct hf_thread {
    struct fx *f;
    int idx;
    int64_t offer;
    int64_t ids[HF_TRIES], units[HF_TRIES];
    bool replayed[HF_TRIES];
    int nacks, sold_out, other;
};

static void *hf_run(void *arg)
{
    struct hf_thread *t = arg;
    struct ts_server s = t->f->s;
    s.curl = NULL; /* one connection per thread */
    for (int i = 0; i < HF_TRIES; i++) {
        int k = (i % 4 == 3) ? i - 1 : i; /* every 4th repeats the previous key */
        int64_t buyer = HF_BUYER0 + (t->idx * 13 + k * 7) % HF_BUYERS;
        int qty = 1 + (k + t->idx) % 2;
        char body[256], key[80];
        snprintf(body, sizeof body,
                 "{\"buyer_user_id\":%lld,\"delivery_node_id\":%lld,"
                 "\"lines\":[{\"offer_id\":%lld,\"qty\":%d}]}",
                 (long long)buyer, (long long)NODE2, (long long)t->offer, qty);
        snprintf(key, sizeof key, "Idempotency-Key: hf-%d-%d", t->idx, k);
        const char *hdr[] = {key, NULL};
        struct ts_resp r;
        if (ts_request(&s, "POST", "/api/v1/orders", t->f->op, "application/json", body,
                       strlen(body), hdr, &r)) {
            t->other++;
            continue;
        }
        if (r.status == 201) {
            char hv[8];
            t->replayed[t->nacks] = ts_resp_header(&r, "Idempotent-Replayed", hv, sizeof hv);
            t->ids[t->nacks] = jint(r.json, "id");
            t->units[t->nacks] = jint(r.json, "units");
            t->nacks++;
        } else if (r.status == 409) {
            t->sold_out++;
        } else {
            t->other++;
            fprintf(stderr, "flash: %ld %s\n", r.status, r.body);
        }
        ts_resp_free(&r);
    }
    curl_easy_cleanup(s.curl);
    return NULL;
}

static void test_flash_sale_http(void **state)
{
    struct fx *f = *state;
    int64_t product;
    mk_catalog(f, &product);
    char body[512];
    char start[32], end[32];
    int64_t now = time_now_ms();
    time_fmt_rfc3339(now - 60000, start);
    time_fmt_rfc3339(now + 3600000, end);
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"title\":\"苹果丰收节直播\",\"tags\":[\"助农\"],"
             "\"start\":\"%s\",\"end\":\"%s\"}",
             (long long)VIL, start, end);
    int64_t sid = post_ok(f, "/api/v1/live-sessions", f->m1, body, 201);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers", (long long)sid);
    /* the offer reserves its flash stock from the lots at its node */
    snprintf(body, sizeof body, "{\"product_id\":%lld,\"node_id\":%lld,\"qty\":%d}",
             (long long)product, (long long)NODE, HF_STOCK + 20);
    post_ok(f, "/api/v1/inventory/lots", f->m1, body, 201);
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":%lld,\"flash_price_fen\":990,"
             "\"flash_stock\":%d,\"per_buyer_limit\":%d}",
             (long long)product, (long long)NODE, HF_STOCK + 21, HF_LIMIT);
    problem(f, "POST", path, f->m1, body, 409, "only 80 units in stock");
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":%lld,\"flash_price_fen\":990,"
             "\"flash_stock\":%d,\"per_buyer_limit\":%d}",
             (long long)product, (long long)NODE_OTHER, HF_STOCK, HF_LIMIT);
    problem(f, "POST", path, f->m1, body, 422, "field 'node_id'");
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":%lld,\"flash_price_fen\":990,"
             "\"flash_stock\":%d,\"per_buyer_limit\":%d}",
             (long long)product, (long long)NODE, HF_STOCK, HF_LIMIT);
    problem(f, "POST", path, f->m2, body, 403, NULL);
    int64_t offer = post_ok(f, path, f->m1, body, 201);
    {
        struct ts_resp ir;
        assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &ir), 200);
        assert_int_equal(jint(ir.json, "total_qty"), 20);
        ts_resp_free(&ir);
    }
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/posts", (long long)sid);
    post_ok(f, path, f->m1,
            "{\"body\":\"今晚八点见！\",\"tags\":[\"预热\"],"
            "\"scheduled_at\":\"2026-11-28T12:00:00Z\"}",
            201);

    static struct hf_thread th[HF_THREADS];
    pthread_t tid[HF_THREADS];
    for (int i = 0; i < HF_THREADS; i++) {
        th[i] = (struct hf_thread){.f = f, .idx = i, .offer = offer};
        assert_int_equal(pthread_create(&tid[i], NULL, hf_run, &th[i]), 0);
    }
    for (int i = 0; i < HF_THREADS; i++)
        pthread_join(tid[i], NULL);

    int64_t units = 0, fresh = 0, replays = 0, sold_out = 0;
    for (int i = 0; i < HF_THREADS; i++) {
        assert_int_equal(th[i].other, 0);
        sold_out += th[i].sold_out;
        for (int k = 0; k < th[i].nacks; k++) {
            if (th[i].replayed[k]) {
                replays++;
                continue;
            }
            fresh++;
            units += th[i].units[k];
            /* every acknowledged order is there */
            char p[64];
            snprintf(p, sizeof p, "/api/v1/orders/%lld", (long long)th[i].ids[k]);
            struct ts_resp r;
            assert_int_equal(req(f, "GET", p, f->aud, NULL, &r), 200);
            assert_int_equal(jint(r.json, "units"), th[i].units[k]);
            ts_resp_free(&r);
        }
    }
    assert_true(sold_out > 0);
    assert_true(replays > 0);
    assert_int_equal(units, HF_STOCK);
    snprintf(path, sizeof path, "/api/v1/orders?session_id=%lld&limit=500", (long long)sid);
    assert_int_equal(count(f, path, f->op), fresh);
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld", (long long)sid);
    struct ts_resp r;
    assert_int_equal(req(f, "GET", path, f->b1, NULL, &r), 200);
    assert_int_equal(jlen(r.json, "offers"), 1);
    assert_int_equal(jlen(r.json, "posts"), 1);
    assert_string_equal(jstr(r.json, "state"), "live");
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/report", (long long)sid);
    problem(f, "GET", path, f->b1, NULL, 403, NULL);
    assert_int_equal(req(f, "GET", path, f->aud, NULL, &r), 200);
    assert_int_equal(jint(r.json, "units"), HF_STOCK);
    assert_int_equal(jint(r.json, "gmv_fen"), HF_STOCK * 990);
    assert_int_equal(jint(r.json, "sell_through_bp"), 10000);
    assert_int_equal(jint(r.json, "orders"), fresh);
    assert_true(jint(r.json, "unique_buyers") <= 50);
    ts_resp_free(&r);
    /* nobody above the per-buyer limit */
    snprintf(path, sizeof path, "/api/v1/orders?session_id=%lld&limit=500", (long long)sid);
    assert_int_equal(req(f, "GET", path, f->op, NULL, &r), 200);
    int64_t per[64] = {0};
    struct json_object *items;
    json_object_object_get_ex(r.json, "items", &items);
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        struct json_object *o = json_object_array_get_idx(items, i);
        int64_t b = jint(o, "buyer_user_id") - HF_BUYER0;
        assert_true(b >= 0 && b < 64);
        per[b] += jint(o, "units");
        assert_true(per[b] <= HF_LIMIT);
    }
    ts_resp_free(&r);
    /* sold out: the stock cannot go below the sales, the offer not be deleted */
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers/%lld", (long long)sid,
             (long long)offer);
    problem(f, "PATCH", path, f->m1, "{\"flash_stock\":10}", 409, "sold");
    problem(f, "DELETE", path, f->m1, NULL, 409, "orders");
    assert_int_equal(req(f, "PATCH", path, f->m1, "{\"flash_stock\":70}", &r), 200);
    assert_int_equal(jint(r.json, "left"), 10);
    ts_resp_free(&r);
    /* closing gives the unsold 10 back to the lot */
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/close", (long long)sid);
    problem(f, "POST", path, f->m2, "{}", 403, NULL);
    assert_int_equal(req(f, "POST", path, f->m1, "{}", &r), 200);
    assert_string_equal(jstr(r.json, "state"), "closed");
    ts_resp_free(&r);
    problem(f, "POST", path, f->m1, "{}", 409, "closed");
    assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 20);
    ts_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers", (long long)sid);
    assert_int_equal(req(f, "GET", path, f->b1, NULL, &r), 200);
    struct json_object *its, *o0;
    json_object_object_get_ex(r.json, "items", &its);
    o0 = json_object_array_get_idx(its, 0);
    assert_int_equal(jint(o0, "returned"), 10);
    assert_int_equal(jint(o0, "left"), 0);
    assert_int_equal(jint(o0, "node_id"), NODE);
    ts_resp_free(&r);
}

/* A product with a lot of 30 units, and a live session from start_ms to
** end_ms whose offer holds 25 of them. Returns the session's id. */
static int64_t session_with_offer(struct fx *f, int64_t start_ms, int64_t end_ms)
{
    int64_t product;
    mk_catalog(f, &product);
    char body[512], start[32], end[32], path[96];
    snprintf(body, sizeof body, "{\"product_id\":%lld,\"node_id\":%lld,\"qty\":30}",
             (long long)product, (long long)NODE);
    post_ok(f, "/api/v1/inventory/lots", f->m1, body, 201);
    time_fmt_rfc3339(start_ms, start);
    time_fmt_rfc3339(end_ms, end);
    snprintf(body, sizeof body,
             "{\"village_id\":%lld,\"title\":\"村里的直播\",\"start\":\"%s\",\"end\":\"%s\"}",
             (long long)VIL, start, end);
    int64_t sid = post_ok(f, "/api/v1/live-sessions", f->m1, body, 201);
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers", (long long)sid);
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":%lld,\"flash_price_fen\":990,"
             "\"flash_stock\":25,\"per_buyer_limit\":2}",
             (long long)product, (long long)NODE);
    post_ok(f, path, f->m1, body, 201);
    return sid;
}

/* The server's housekeeping (cli serve: before it answers, then once a
** minute) closes a live session whose end has passed, and its unsold flash
** stock goes back to the lots. The session here ended an hour ago; a
** restart runs the first pass. */
static void test_housekeeping_closes_ended_sessions(void **state)
{
    struct fx *f = *state;
    int64_t now = time_now_ms();
    int64_t sid = session_with_offer(f, now - 2 * 3600000, now - 3600000);
    char path[96];
    struct ts_resp r;
    assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 5); /* 25 held by the offer */
    ts_resp_free(&r);

    assert_int_equal(ts_stop(&f->s), 0);
    struct ts_opts o = {.db = f->db};
    assert_int_equal(ts_start(&f->s, &o), 0);
    /* serve runs the first pass before it answers anything */
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld", (long long)sid);
    assert_int_equal(req(f, "GET", path, f->m1, NULL, &r), 200);
    bool closed = strcmp(jstr(r.json, "state"), "closed") == 0;
    ts_resp_free(&r);
    assert_true(closed);
    assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 30);
    ts_resp_free(&r);
}

/* ...and again every --housekeeping-seconds while it runs: a session that
** ends while the server is up is closed by a later pass, no restart needed,
** and its unsold flash stock is back in the lots. */
static void test_housekeeping_repeats(void **state)
{
    struct fx *f = *state;
    assert_int_equal(ts_stop(&f->s), 0);
    struct ts_opts o = {.db = f->db, .extra = {"--housekeeping-seconds", "1", NULL}};
    assert_int_equal(ts_start(&f->s, &o), 0);
    /* It ends in 4 s: time enough to add its offer while it is open. */
    int64_t now = time_now_ms();
    int64_t sid = session_with_offer(f, now - 3600000, now + 4000);
    char path[96];

    /* 60 s is no speed limit: a pass comes each second after the end, or
    ** never. */
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld", (long long)sid);
    struct ts_resp r;
    bool closed = false;
    for (int i = 0; i < 600 && !closed; i++) {
        assert_int_equal(req(f, "GET", path, f->m1, NULL, &r), 200);
        closed = strcmp(jstr(r.json, "state"), "closed") == 0;
        ts_resp_free(&r);
        if (!closed)
            poll(NULL, 0, 100);
    }
    assert_true(closed);
    assert_true(time_now_ms() >= now + 4000); /* closed after its end, not before */
    assert_int_equal(req(f, "GET", "/api/v1/inventory", f->m1, NULL, &r), 200);
    assert_int_equal(jint(r.json, "total_qty"), 30);
    ts_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_catalog_roles_and_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orders_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flash_sale_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_housekeeping_closes_ended_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_housekeeping_repeats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
