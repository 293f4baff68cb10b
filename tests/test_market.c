/* Unit tests for src/market: producers, catalog validation and roles,
** trigram/LIKE search, CSV import (all or nothing) and export, lots and
** FEFO allocation, order lifecycle (every illegal transition refused and
** nothing changed), money, idempotency, live sessions and the concurrent
** flash sale that must sell exactly its stock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "county/county.h"
#include "market/market.h"
#include "schema/schema.h"
#include "ts_store.h"

/* ------------------------------------------------------------ fixtures */

struct fx {
    char dir[256];
    char path[300];
    struct store *st;
    struct arena a;
};

/* The fixture's county (the first one created) and the other tenant. */
#define COUNTY 1
static const struct auth_principal ADMIN = {1, 0, COUNTY, AUTH_ROLE_ADMIN, "admin"};
static const struct auth_principal OPER = {2, 0, COUNTY, AUTH_ROLE_OPERATOR, "op"};
static const struct auth_principal MERCH = {10, 0, COUNTY, AUTH_ROLE_MERCHANT, "m1"};
static const struct auth_principal MERCH2 = {11, 0, COUNTY, AUTH_ROLE_MERCHANT, "m2"};
static const struct auth_principal BUYER = {20, 0, COUNTY, AUTH_ROLE_BUYER, "b1"};
static const struct auth_principal BUYER2 = {21, 0, COUNTY, AUTH_ROLE_BUYER, "b2"};
static const struct auth_principal AUDITOR = {30, 0, COUNTY, AUTH_ROLE_AUDITOR, "aud"};
static const struct auth_principal OTHER = {40, 0, COUNTY + 1, AUTH_ROLE_ADMIN, "other"};

/* The county rows the tests refer to, made through the county module: two
** counties (COUNTY and OTHER's), villages V100..V200 and hubs N5, N6 in
** COUNTY, a village and a hub in the other county. Fresh databases number
** them alike, but the tests use only these names. */
static int64_t V100, V101, V102, V200, N5, N6, V_OTHER, N_OTHER;

static int fx_village(struct store *st, const struct auth_principal *sys, int64_t twp,
                      const char *name, int64_t *id, struct err *e)
{
    struct county_village v;
    memset(&v, 0, sizeof v);
    v.township_id = twp;
    snprintf(v.name_zh, sizeof v.name_zh, "%s", name);
    v.loc = (struct geo_point){35.7, 109.4};
    int rc = county_village_create(st, sys, &v, e);
    *id = v.id;
    return rc;
}

static int fx_hub(struct store *st, const struct auth_principal *sys, const char *name, int64_t *id,
                  struct err *e)
{
    struct county_node nd;
    memset(&nd, 0, sizeof nd);
    nd.kind = COUNTY_NODE_HUB;
    snprintf(nd.name, sizeof nd.name, "%s", name);
    nd.loc = (struct geo_point){35.7, 109.4};
    nd.close_min = 1440;
    nd.active = true;
    int rc = county_node_create(st, sys, &nd, e);
    *id = nd.id;
    return rc;
}

static int fx_county(struct fx *f, struct err *e)
{
    int64_t county_ids[2];
    for (int i = 0; i < 2; i++) {
        struct county c;
        memset(&c, 0, sizeof c);
        snprintf(c.code, sizeof c.code, "C%d", i + 1);
        snprintf(c.name_zh, sizeof c.name_zh, "%s", i ? "邻县" : "洛川县");
        c.center = (struct geo_point){35.7, 109.4};
        int rc = county_create(f->st, NULL, &c, e);
        if (rc)
            return rc;
        county_ids[i] = c.id;
    }
    if (county_ids[0] != COUNTY || county_ids[1] != COUNTY + 1)
        return err_set(e, ERR_INTERNAL, "counties numbered %lld, %lld", (long long)county_ids[0],
                       (long long)county_ids[1]);
    int64_t twp[2];
    for (int i = 0; i < 2; i++) {
        struct auth_principal sys = {0, 0, county_ids[i], AUTH_ROLE_ADMIN, "system"};
        struct county_township t;
        memset(&t, 0, sizeof t);
        snprintf(t.name_zh, sizeof t.name_zh, "%s", "凤栖镇");
        t.loc = (struct geo_point){35.7, 109.4};
        int rc = county_township_create(f->st, &sys, &t, e);
        if (rc)
            return rc;
        twp[i] = t.id;
    }
    struct auth_principal sys = {0, 0, COUNTY, AUTH_ROLE_ADMIN, "system"};
    struct auth_principal sys2 = {0, 0, COUNTY + 1, AUTH_ROLE_ADMIN, "system"};
    int rc;
    if ((rc = fx_village(f->st, &sys, twp[0], "东山村", &V100, e)) ||
        (rc = fx_village(f->st, &sys, twp[0], "西沟村", &V101, e)) ||
        (rc = fx_village(f->st, &sys, twp[0], "李家庄", &V102, e)) ||
        (rc = fx_village(f->st, &sys, twp[0], "云雾村", &V200, e)) ||
        (rc = fx_village(f->st, &sys2, twp[1], "邻村", &V_OTHER, e)) ||
        (rc = fx_hub(f->st, &sys, "县物流中心", &N5, e)) ||
        (rc = fx_hub(f->st, &sys, "县冷链中心", &N6, e)) ||
        (rc = fx_hub(f->st, &sys2, "邻县中心", &N_OTHER, e)))
        return rc;
    return 0;
}

/* Accounts the principals stand for (ordering for someone checks the
** users table): fixed ids, so inserted as rows. The flash-sale buyers are
** 1000..1000 + FX_BUYERS - 1; user 50 is a disabled buyer, 51 a buyer of
** the other county. */
#define FX_BUYERS 120
struct fx_user {
    int64_t id, county;
    const char *role;
    int disabled;
};

static int fx_user_fn(struct store_conn *c, void *arg, struct err *e)
{
    const struct fx_user *u = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO users (id, county_id, name, role, password_hash, disabled,"
                           " created_ms, updated_ms) VALUES (?, ?, 'u' || ?, ?, 'x', ?, 1, 1)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, u->id);
    store_bind_i64(s, 2, u->county);
    store_bind_i64(s, 3, u->id);
    store_bind_text(s, 4, u->role, -1);
    store_bind_i64(s, 5, u->disabled);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static int fx_users(struct fx *f, struct err *e)
{
    const struct fx_user named[] = {
        {1, COUNTY, "admin", 0},      {2, COUNTY, "operator", 0},   {10, COUNTY, "merchant", 0},
        {11, COUNTY, "merchant", 0},  {20, COUNTY, "buyer", 0},     {21, COUNTY, "buyer", 0},
        {30, COUNTY, "auditor", 0},   {40, COUNTY + 1, "admin", 0}, {50, COUNTY, "buyer", 1},
        {51, COUNTY + 1, "buyer", 0},
    };
    int rc = 0;
    for (size_t i = 0; !rc && i < RL_ARRAY_LEN(named); i++)
        rc = store_write(f->st, fx_user_fn, (void *)&named[i], e);
    for (int64_t id = 1000; !rc && id < 1000 + FX_BUYERS; id++) {
        struct fx_user u = {id, COUNTY, "buyer", 0};
        rc = store_write(f->st, fx_user_fn, &u, e);
    }
    return rc;
}

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-market-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/m.db", f->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    struct err e = {0};
    if (store_open(&f->st, &cfg, &e) || schema_register_all(f->st, &e) ||
        store_migrate(f->st, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return -1;
    }
    arena_init(&f->a, 1 << 16);
    if (fx_county(f, &e) || fx_users(f, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    arena_release(&f->a);
    char p[400];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

struct q1 {
    const char *sql;
    int64_t arg;
    int64_t out;
};

static int q1_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct q1 *q = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, q->sql, &s, e);
    if (rc)
        return rc;
    if (strchr(q->sql, '?'))
        store_bind_i64(s, 1, q->arg);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    q->out = rc == STORE_ROW ? store_col_i64(s, 0) : -1;
    return 0;
}

/* One integer from a query with at most one bound integer. */
static int64_t q1(struct fx *f, const char *sql, int64_t arg)
{
    struct q1 q = {sql, arg, 0};
    struct err e = {0};
    if (store_read(f->st, q1_fn, &q, &e))
        fail_msg("%s: %s", sql, e.msg);
    return q.out;
}

/* A fingerprint of every market table, to prove that a refused call wrote nothing. */
static int64_t snapshot(struct fx *f)
{
    static const char *const t[] = {
        "SELECT COUNT(*) + 1000 * COALESCE(SUM(id), 0) FROM market_producers",
        "SELECT COUNT(*) + COALESCE(SUM(price_fen + updated_ms % 1000), 0) FROM market_products",
        "SELECT COUNT(*) + 7 * COALESCE(SUM(qty * id), 0) FROM market_lots",
        "SELECT COUNT(*) + COALESCE(SUM(delta), 0) FROM market_stock_moves",
        "SELECT COUNT(*) + 3 * COALESCE(SUM(status * id + total_fen), 0) FROM market_orders",
        "SELECT COUNT(*) FROM market_order_lines",
        "SELECT COUNT(*) FROM market_order_history",
        "SELECT COUNT(*) + COALESCE(SUM(sold * id), 0) FROM market_offers",
        "SELECT COUNT(*) + COALESCE(SUM(qty), 0) FROM market_offer_buyers",
        "SELECT COUNT(*) + COALESCE(SUM(closed_ms % 1000), 0) FROM market_sessions",
        "SELECT COUNT(*) + 5 * COALESCE(SUM(qty * lot_id), 0) FROM market_offer_allocs",
        "SELECT COALESCE(SUM(flash_stock * id + returned), 0) FROM market_offers",
        "SELECT COUNT(*) FROM market_products_fts",
        "SELECT COUNT(*) FROM audit_log",
    };
    uint64_t h = 0;
    for (size_t i = 0; i < RL_ARRAY_LEN(t); i++)
        h = h * 1000003u + (uint64_t)q1(f, t[i], 0);
    return (int64_t)(h >> 1);
}

static int64_t mk_producer(struct fx *f, const struct auth_principal *who, int64_t village)
{
    struct market_producer p = {.village_id = village,
                                .kind = "cooperative",
                                .name = "红富士苹果合作社",
                                .contact_phone = "13800000000"};
    int64_t id = 0;
    struct err e = {0};
    if (market_producer_create(f->st, who, &p, &id, &e))
        fail_msg("producer: %s", e.msg);
    return id;
}

static int64_t mk_product(struct fx *f, const struct auth_principal *who, int64_t producer,
                          const char *name_zh, const char *name_en, int64_t price)
{
    static const char *tags[] = {"一村一品", "高山"};
    struct market_product p = {.producer_id = producer,
                               .name_zh = name_zh,
                               .name_en = name_en,
                               .story_zh = "海拔一千二百米的果园，昼夜温差大。",
                               .story_en = "Orchards at 1,200 m with cold nights.",
                               .category = "fruit",
                               .unit = "box 5 kg",
                               .price_fen = price,
                               .weight_g = 5000,
                               .storage = MARKET_STORAGE_CHILLED,
                               .shelf_life_days = 60,
                               .tags = tags,
                               .ntags = 2};
    int64_t id = 0;
    struct err e = {0};
    if (market_product_create(f->st, who, &p, &id, &e))
        fail_msg("product: %s", e.msg);
    return id;
}

static int64_t mk_lot(struct fx *f, int64_t product, int64_t node, int64_t qty, int64_t expiry)
{
    struct market_lot l = {
        .product_id = product, .node_id = node, .qty = qty, .lot_code = "L", .expiry_ms = expiry};
    int64_t id = 0;
    struct err e = {0};
    if (market_lot_add(f->st, &OPER, &l, &id, &e))
        fail_msg("lot: %s", e.msg);
    return id;
}

static int place1(struct fx *f, const struct auth_principal *who, int64_t product, int64_t offer,
                  int64_t qty, const char *key, struct market_order *out, struct err *e)
{
    struct market_line_req line = {.product_id = product, .offer_id = offer, .qty = qty};
    struct market_order_req r = {
        .idem_key = key, .delivery_node_id = N5, .lines = &line, .nlines = 1};
    return market_order_place(f->st, who, &r, &f->a, out, e);
}

/* ------------------------------------------------------------- catalog */

static void test_producer_roles(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    struct market_producer got;
    assert_int_equal(market_producer_get(f->st, &BUYER, p1, &f->a, &got, &e), 0);
    assert_int_equal(got.owner_user_id, MERCH.user_id);
    assert_string_equal(got.name, "红富士苹果合作社");
    /* another county does not see it */
    assert_int_equal(market_producer_get(f->st, &OTHER, p1, &f->a, &got, &e), ERR_NOTFOUND);
    /* a buyer may not create, another merchant may not edit */
    struct market_producer in = got;
    in.name = "改名";
    assert_int_equal(market_producer_create(f->st, &BUYER, &in, NULL, &e), ERR_PERM);
    assert_int_equal(market_producer_update(f->st, &MERCH2, &in, &e), ERR_PERM);
    assert_int_equal(market_producer_update(f->st, &MERCH, &in, &e), 0);
    /* certifications with validity */
    struct market_cert c = {
        .kind = "organic", .cert_no = "OC-1", .valid_from_ms = 1000, .valid_until_ms = 500};
    assert_int_equal(market_cert_add(f->st, &MERCH, p1, &c, NULL, &e), ERR_INVAL);
    c.valid_until_ms = INT64_C(4102444800000);
    c.kind = "magic";
    assert_int_equal(market_cert_add(f->st, &MERCH, p1, &c, NULL, &e), ERR_INVAL);
    c.kind = "organic";
    assert_int_equal(market_cert_add(f->st, &MERCH2, p1, &c, NULL, &e), ERR_PERM);
    assert_int_equal(market_cert_add(f->st, &MERCH, p1, &c, NULL, &e), 0);
    assert_int_equal(market_producer_get(f->st, &AUDITOR, p1, &f->a, &got, &e), 0);
    assert_int_equal(got.ncerts, 1);
    assert_string_equal(got.certs[0].kind, "organic");
    /* merchants own their products */
    int64_t pr = mk_product(f, &MERCH, p1, "苹果", "Apple", 6800);
    struct market_product prod;
    assert_int_equal(market_product_get(f->st, &BUYER, pr, &f->a, &prod, &e), 0);
    assert_int_equal(prod.village_id, V100); /* from the producer */
    assert_string_equal(prod.sku, "P1");
    assert_true(prod.temp_min_c == 0 && prod.temp_max_c == 4); /* chilled defaults */
    prod.price_fen = 7200;
    assert_int_equal(market_product_update(f->st, &MERCH2, &prod, &e), ERR_PERM);
    assert_int_equal(market_product_update(f->st, &BUYER, &prod, &e), ERR_PERM);
    assert_int_equal(market_product_update(f->st, &MERCH, &prod, &e), 0);
    assert_int_equal(market_product_get(f->st, &BUYER, pr, &f->a, &prod, &e), 0);
    assert_int_equal(prod.price_fen, 7200);
    assert_int_equal(market_product_get(f->st, &OTHER, pr, &f->a, &prod, &e), ERR_NOTFOUND);
    /* a merchant cannot put products under someone else's producer */
    int64_t p2 = mk_producer(f, &MERCH2, V101);
    struct market_product np = prod;
    np.producer_id = p2;
    np.sku = "X-1";
    assert_int_equal(market_product_create(f->st, &MERCH, &np, NULL, &e), ERR_PERM);
    /* staff create producers for a merchant */
    struct market_producer forp = {.village_id = V102,
                                   .kind = "family_farm",
                                   .name = "李家茶园",
                                   .owner_user_id = MERCH2.user_id};
    int64_t p3;
    assert_int_equal(market_producer_create(f->st, &ADMIN, &forp, &p3, &e), 0);
    struct market_producer *list;
    size_t n;
    assert_int_equal(market_producer_list(f->st, &BUYER, 0, MERCH2.user_id, &f->a, &list, &n, &e),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].id, p3);
    assert_true(q1(f, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'market.%'", 0) >= 5);
}

static void test_bad_input_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "猕猴桃", "Kiwifruit", 3900);
    mk_lot(f, pr, N5, 10, 0);
    int64_t before = snapshot(f);
    struct market_product p = {
        .producer_id = p1, .name_zh = "蜂蜜", .category = "honey", .unit = "jar", .price_fen = 100};
    /* prices out of range */
    p.price_fen = -1;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "price_fen"));
    p.price_fen = 0;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    p.price_fen = MARKET_PRICE_MAX_FEN + 1;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    p.price_fen = 100;
    /* invalid UTF-8 */
    p.name_zh = "\xe8\x9c\x82\xff";
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "UTF-8"));
    p.name_zh = "蜂蜜";
    /* oversized text */
    char *big = xmalloc(MARKET_STORY_MAX + 2);
    memset(big, 'a', MARKET_STORY_MAX + 1);
    big[MARKET_STORY_MAX + 1] = '\0';
    p.story_en = big;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_TOOBIG);
    free(big);
    p.story_en = NULL;
    /* bad image URL, bad temperature range, unknown producer */
    const char *img[] = {"javascript:alert(1)"};
    p.images = img, p.nimages = 1;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    p.images = NULL, p.nimages = 0;
    p.has_conditions = true, p.temp_min_c = 5, p.temp_max_c = -5;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_INVAL);
    p.has_conditions = false;
    p.producer_id = 999;
    assert_int_equal(market_product_create(f->st, &MERCH, &p, NULL, &e), ERR_NOTFOUND);
    /* orders: negative / zero / huge quantities, unknown products, no delivery point */
    struct market_order o;
    assert_int_equal(place1(f, &BUYER, pr, 0, -3, NULL, &o, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "qty"));
    assert_int_equal(place1(f, &BUYER, pr, 0, 0, NULL, &o, &e), ERR_INVAL);
    assert_int_equal(place1(f, &BUYER, pr, 0, MARKET_QTY_MAX + 1, NULL, &o, &e), ERR_INVAL);
    assert_int_equal(place1(f, &BUYER, 424242, 0, 1, NULL, &o, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "not found"));
    assert_int_equal(place1(f, &BUYER, 0, 77, 1, NULL, &o, &e), ERR_INVAL);
    assert_int_equal(place1(f, &BUYER, pr, 0, 11, NULL, &o, &e), ERR_CONFLICT); /* stock 10 */
    assert_int_equal(place1(f, &BUYER, pr, 0, 1, "\xc0\xaf", &o, &e), ERR_INVAL);
    struct market_line_req line = {.product_id = pr, .qty = 1};
    struct market_order_req r = {.lines = &line, .nlines = 1};
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_INVAL);
    r.delivery_address = "东山村 3 组";
    r.has_coords = true, r.lat = 95, r.lon = 110;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_INVAL);
    r.lat = 30;
    r.payment_method = "bitcoin";
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_INVAL);
    r.payment_method = "external"; /* needs a reference */
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_INVAL);
    /* a merchant or auditor does not place orders; a buyer not for others */
    r.payment_method = NULL;
    assert_int_equal(market_order_place(f->st, &AUDITOR, &r, &f->a, &o, &e), ERR_PERM);
    r.buyer_user_id = BUYER2.user_id;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_PERM);
    /* lots and adjustments */
    struct market_lot l = {.product_id = pr, .node_id = N5, .qty = -4};
    assert_int_equal(market_lot_add(f->st, &OPER, &l, NULL, &e), ERR_INVAL);
    l.qty = 4;
    l.product_id = 31337;
    assert_int_equal(market_lot_add(f->st, &OPER, &l, NULL, &e), ERR_NOTFOUND);
    assert_int_equal(market_stock_adjust(f->st, &OPER, 1, -11, "loss", &e), ERR_CONFLICT);
    assert_int_equal(market_stock_adjust(f->st, &OPER, 1, -1, "", &e), ERR_INVAL);
    assert_int_equal(market_stock_adjust(f->st, &MERCH2, 1, -1, "loss", &e), ERR_PERM);
    assert_int_equal(snapshot(f), before);
    /* and the good path still works */
    r.buyer_user_id = 0;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), 0);
    assert_int_not_equal(snapshot(f), before);
}

static void test_search(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t p2 = mk_producer(f, &MERCH2, V200);
    int64_t apple = mk_product(f, &MERCH, p1, "洛川红富士苹果", "Luochuan Fuji apples", 6800);
    struct market_product tea = {.producer_id = p2,
                                 .name_zh = "明前绿茶",
                                 .name_en = "Green tea",
                                 .story_zh = "清明前手工采摘的茶",
                                 .category = "tea",
                                 .unit = "tin 250 g",
                                 .price_fen = 12800,
                                 .signature = true,
                                 .brand = "云雾山"};
    int64_t tea_id;
    assert_int_equal(market_product_create(f->st, &MERCH2, &tea, &tea_id, &e), 0);
    struct market_product honey = tea;
    honey.name_zh = "土蜂蜜", honey.name_en = "Wild honey", honey.story_zh = "百花蜜",
    honey.category = "honey", honey.signature = false, honey.storage = MARKET_STORAGE_AMBIENT;
    int64_t honey_id;
    assert_int_equal(market_product_create(f->st, &MERCH2, &honey, &honey_id, &e), 0);

    struct market_product *res;
    size_t n;
    struct market_search q = {.storage = -1};
#define SEARCH(text)                                                                               \
    do {                                                                                           \
        q.q = (text);                                                                              \
        assert_int_equal(market_product_search(f->st, &BUYER, &q, &f->a, &res, &n, &e), 0);        \
    } while (0)
    SEARCH("红富士"); /* 3 chars: trigram */
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, apple);
    SEARCH("茶"); /* 1 char: LIKE fallback, matches name and story */
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, tea_id);
    SEARCH("蜂蜜"); /* 2 chars */
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, honey_id);
    SEARCH("fuji"); /* case-insensitive */
    assert_int_equal(n, 1);
    SEARCH("一村一品"); /* tag */
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, apple);
    SEARCH("苹果 高山"); /* two words, both must match */
    assert_int_equal(n, 1);
    SEARCH("苹果 绿茶");
    assert_int_equal(n, 0);
    SEARCH("\"; DROP TABLE x; --%_"); /* quoting and wildcards are literal */
    assert_int_equal(n, 0);
    SEARCH(NULL);
    assert_int_equal(n, 3);
    assert_int_equal(res[0].id, tea_id); /* signature products first */
    q.village_id = V200;
    SEARCH(NULL);
    assert_int_equal(n, 2);
    q.village_id = 0;
    q.storage = MARKET_STORAGE_CHILLED;
    SEARCH(NULL);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, apple);
    q.storage = -1;
    q.category = "honey";
    SEARCH(NULL);
    assert_int_equal(n, 1);
    q.category = NULL;
    q.signature = 1;
    SEARCH(NULL);
    assert_int_equal(n, 1);
    q.signature = 0;
    q.cert_kind = "organic";
    SEARCH(NULL);
    assert_int_equal(n, 0);
    struct market_cert c = {
        .kind = "organic", .valid_from_ms = 1, .valid_until_ms = INT64_C(4102444800000)};
    assert_int_equal(market_cert_add(f->st, &MERCH, p1, &c, NULL, &e), 0);
    struct market_cert old = {.kind = "organic", .valid_from_ms = 1, .valid_until_ms = 2};
    assert_int_equal(market_cert_add(f->st, &MERCH2, p2, &old, NULL, &e), 0); /* expired */
    SEARCH(NULL);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].id, apple);
    q.cert_kind = NULL;
    q.min_price_fen = 10000;
    SEARCH(NULL);
    assert_int_equal(n, 2);
    /* an update re-indexes */
    q.min_price_fen = 0;
    struct market_product got;
    assert_int_equal(market_product_get(f->st, &MERCH, apple, &f->a, &got, &e), 0);
    got.name_zh = "洛川苹果";
    got.tags = NULL, got.ntags = 0;
    assert_int_equal(market_product_update(f->st, &MERCH, &got, &e), 0);
    SEARCH("红富士");
    assert_int_equal(n, 0);
    SEARCH("洛川苹");
    assert_int_equal(n, 1);
    /* another county sees nothing */
    q.q = NULL;
    assert_int_equal(market_product_search(f->st, &OTHER, &q, &f->a, &res, &n, &e), 0);
    assert_int_equal(n, 0);
#undef SEARCH
}

static void test_csv(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    mk_producer(f, &MERCH2, V200);
    char csv[2048];
    snprintf(csv, sizeof csv,
             "sku,producer_id,name_zh,name_en,story_en,category,unit,price_fen,storage,tags,"
             "signature\r\n"
             "WAL-1,%lld,核桃,Walnuts,\"Thin shell, \"\"paper\"\" walnuts\",nuts,bag 1 kg,4500,"
             "ambient,坚果|山货,0\r\n"
             "TEA-1,%lld,高山云雾茶,Cloud tea,\"Two\nlines\",tea,tin,9900,ambient,,1\n",
             (long long)p1, (long long)p1);
    struct market_csv_result res;
    assert_int_equal(market_products_import_csv(f->st, &MERCH, csv, strlen(csv), &f->a, &res, &e),
                     0);
    assert_int_equal(res.created, 2);
    assert_int_equal(res.nerrors, 0);
    struct market_product *items;
    size_t n;
    struct market_search q = {.q = "walnuts", .storage = -1};
    assert_int_equal(market_product_search(f->st, &BUYER, &q, &f->a, &items, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].story_en, "Thin shell, \"paper\" walnuts");
    assert_int_equal(items[0].ntags, 2);
    assert_string_equal(items[0].tags[1], "山货");

    /* a file with bad rows: every one reported, nothing written */
    int64_t before = snapshot(f);
    snprintf(csv, sizeof csv,
             "sku,producer_id,name_zh,category,unit,price_fen,storage\n"
             "OK-1,%lld,鸡蛋,eggs,tray 30,3600,chilled\n"
             "BAD-1,%lld,辣酱,sauce,jar,-5,ambient\n"
             "BAD-2,%lld,辣酱,sauce,jar,500,lukewarm\n"
             "BAD-3,999,辣酱,sauce,jar,500,ambient\n"
             "BAD-4,%lld,辣酱,sauce,jar,abc,ambient\n"
             "BAD-5,%lld,\xff\xfe,sauce,jar,500,ambient\n"
             "WAL-1,%lld,核桃,nuts,bag,4700,ambient\n"
             "BAD-6,%lld,only,three\n",
             (long long)p1, (long long)p1, (long long)p1, (long long)p1, (long long)p1,
             (long long)p1, (long long)p1);
    /* invalid UTF-8 anywhere refuses the file as a whole */
    assert_int_equal(market_products_import_csv(f->st, &MERCH, csv, strlen(csv), &f->a, &res, &e),
                     ERR_INVAL);
    assert_non_null(strstr(e.msg, "UTF-8"));
    char *bad5 = strstr(csv, "\xff\xfe");
    bad5[0] = 'x', bad5[1] = 'y';
    assert_int_equal(market_products_import_csv(f->st, &MERCH, csv, strlen(csv), &f->a, &res, &e),
                     ERR_INVAL);
    assert_int_equal(res.created, 0);
    assert_int_equal(res.nerrors, 5); /* BAD-1,2,3,4,6 (BAD-5 is fine now) */
    assert_int_equal(res.errors[0].row, 2);
    assert_non_null(strstr(res.errors[0].msg, "price_fen"));
    assert_int_equal(res.errors[1].row, 3);
    assert_non_null(strstr(res.errors[1].msg, "storage"));
    assert_int_equal(res.errors[2].row, 4);
    assert_int_equal(res.errors[4].row, 8);
    assert_int_equal(snapshot(f), before);
    /* another merchant cannot update my sku through a CSV */
    const char *hijack = "sku,price_fen\nWAL-1,1\n";
    assert_int_equal(
        market_products_import_csv(f->st, &MERCH2, hijack, strlen(hijack), &f->a, &res, &e),
        ERR_INVAL);
    assert_int_equal(res.nerrors, 1);
    assert_int_equal(snapshot(f), before);
    /* unknown column */
    const char *unk = "sku,colour\nA,red\n";
    assert_int_equal(market_products_import_csv(f->st, &MERCH, unk, strlen(unk), &f->a, &res, &e),
                     ERR_INVAL);

    /* export, then import the export: same rows, updated not created */
    struct strbuf out;
    strbuf_init(&out, 0);
    assert_int_equal(market_products_export_csv(f->st, &MERCH, &out, &e), 0);
    assert_non_null(strstr(strbuf_str(&out), "\"Thin shell, \"\"paper\"\" walnuts\""));
    assert_int_equal(market_products_import_csv(f->st, &MERCH, out.buf, out.len, &f->a, &res, &e),
                     0);
    assert_int_equal(res.updated, 2);
    assert_int_equal(res.created, 0);
    strbuf_reset(&out);
    assert_int_equal(market_products_export_csv(f->st, &BUYER, &out, &e), ERR_PERM);
    strbuf_release(&out);
}

/* Hostile CSV: random bytes from a CSV-ish alphabet never crash the importer
** and never write anything. */
static void test_csv_hostile(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    mk_producer(f, &MERCH, V100);
    static const char alpha[] = ",\"\r\n|a1-\xe8\x8c\xb6 ";
    uint64_t x = 88172645463325252ULL;
    char buf[512];
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(round % 97) * 5 + 1;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = alpha[x % (sizeof alpha - 1)];
        }
        /* mostly after a valid header, so rows reach the row checks */
        const char *hdr = round % 3 ? "sku,producer_id,name_zh,category,unit,price_fen\n" : "";
        char doc[700];
        snprintf(doc, sizeof doc, "%s%.*s", hdr, (int)n, buf);
        int64_t before = snapshot(f);
        struct market_csv_result res;
        int rc = market_products_import_csv(f->st, &MERCH, doc, strlen(doc), &f->a, &res, &e);
        assert_true(rc == ERR_INVAL || rc == ERR_TOOBIG || rc == 0);
        if (rc)
            assert_int_equal(snapshot(f), before);
        arena_reset(&f->a);
    }
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_products", 0),
                     q1(f, "SELECT COUNT(*) FROM market_products_fts", 0));
}

/* ----------------------------------------------------------- inventory */

static void test_fefo_and_cancel(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t now = time_now_ms(), day = 86400000;
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "香菇", "Shiitake", 2500);
    int64_t late = mk_lot(f, pr, N5, 10, now + 30 * day);
    int64_t early = mk_lot(f, pr, N5, 4, now + 3 * day);
    int64_t expired = mk_lot(f, pr, N5, 50, now - day);
    int64_t forever = mk_lot(f, pr, N6, 3, 0);
    (void)forever;
    struct market_product got;
    assert_int_equal(market_product_get(f->st, &BUYER, pr, &f->a, &got, &e), 0);
    assert_int_equal(got.stock, 17); /* the expired lot does not count */

    struct market_order o;
    assert_int_equal(place1(f, &BUYER, pr, 0, 6, NULL, &o, &e), 0);
    const char *lotq = "SELECT qty FROM market_lots WHERE id = ?";
    assert_int_equal(q1(f, lotq, early), 0); /* earliest expiry first */
    assert_int_equal(q1(f, lotq, late), 8);
    assert_int_equal(q1(f, lotq, expired), 50);
    /* more than the sellable stock: refused, nothing taken */
    struct market_order o2;
    int64_t before = snapshot(f);
    assert_int_equal(place1(f, &BUYER, pr, 0, 12, NULL, &o2, &e), ERR_CONFLICT);
    assert_int_equal(snapshot(f), before);
    /* cancelling gives the units back to their lots */
    assert_int_equal(market_order_transition(f->st, &BUYER, o.id, MARKET_CANCELLED, "oops", 0, &e),
                     0);
    assert_int_equal(q1(f, lotq, early), 4);
    assert_int_equal(q1(f, lotq, late), 10);
    /* the lots listing is FEFO, and every change is a stock move */
    struct market_lot_page pg;
    struct market_lot_query lq = {.product_id = pr, .node_id = N5};
    assert_int_equal(market_inventory_list(f->st, &MERCH, &lq, &f->a, &pg, &e), 0);
    assert_int_equal(pg.n, 3);
    assert_int_equal(pg.matched, 3);
    assert_int_equal(pg.items[0].id, expired);
    assert_int_equal(pg.items[1].id, early);
    int64_t units = pg.items[0].qty + pg.items[1].qty + pg.items[2].qty;
    assert_int_equal(pg.total_qty, units);
    /* a page: the later lots, and the totals still of all three */
    lq.limit = 2, lq.offset = 1;
    assert_int_equal(market_inventory_list(f->st, &MERCH, &lq, &f->a, &pg, &e), 0);
    assert_int_equal(pg.n, 2);
    assert_int_equal(pg.items[0].id, early);
    assert_int_equal(pg.matched, 3);
    assert_int_equal(pg.total_qty, units);
    lq = (struct market_lot_query){.product_id = pr};
    assert_int_equal(market_inventory_list(f->st, &MERCH2, &lq, &f->a, &pg, &e), 0);
    assert_int_equal(pg.n, 0); /* not its goods */
    assert_int_equal(pg.total_qty, 0);
    assert_int_equal(market_inventory_list(f->st, &BUYER, &lq, &f->a, &pg, &e), ERR_PERM);
    assert_int_equal(market_stock_adjust(f->st, &MERCH, expired, -50, "expired, destroyed", &e), 0);
    assert_int_equal(q1(f, lotq, expired), 0);
    assert_int_equal(q1(f, "SELECT SUM(delta) FROM market_stock_moves WHERE lot_id = ?", expired),
                     0);
    assert_int_equal(
        q1(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'market.lot.adjust' AND entity_id = ?",
           expired),
        1);
    /* expiry from shelf life (60 days) when none is given */
    int64_t auto_lot = mk_lot(f, pr, N5, 1, 0);
    assert_true(q1(f, "SELECT expiry_ms FROM market_lots WHERE id = ?", auto_lot) > now + 59 * day);
}

/* ------------------------------------------------------------ lifecycle */

/* Drive an order to `s` along legal steps (as staff). */
static int64_t order_in_state(struct fx *f, int64_t product, enum market_status s)
{
    struct err e = {0};
    struct market_order o;
    if (place1(f, &BUYER, product, 0, 1, NULL, &o, &e))
        fail_msg("place: %s", e.msg);
    static const enum market_status path_delivered[] = {
        MARKET_CONFIRMED, MARKET_PACKED, MARKET_SHIPPED, MARKET_DELIVERED, MARKET_REFUNDED};
    if (s == MARKET_CANCELLED) {
        if (market_order_transition(f->st, &OPER, o.id, MARKET_CANCELLED, NULL, 0, &e))
            fail_msg("cancel: %s", e.msg);
        return o.id;
    }
    for (size_t i = 0; i < RL_ARRAY_LEN(path_delivered) && s != MARKET_PLACED; i++) {
        if (market_order_transition(f->st, &OPER, o.id, path_delivered[i], NULL, 0, &e))
            fail_msg("step: %s", e.msg);
        if (path_delivered[i] == s)
            break;
    }
    return o.id;
}

static void test_lifecycle(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "土鸡蛋", "Free-range eggs", 3600);
    mk_lot(f, pr, N5, 1000, 0);
    int illegal = 0, legal = 0;
    for (int from = 0; from < MARKET_STATUS_COUNT; from++) {
        for (int to = 0; to < MARKET_STATUS_COUNT; to++) {
            int64_t id = order_in_state(f, pr, (enum market_status)from);
            struct market_order before;
            assert_int_equal(market_order_get(f->st, &OPER, id, &f->a, &before, &e), 0);
            assert_int_equal(before.status, from);
            int64_t snap = snapshot(f);
            int rc = market_order_transition(f->st, &OPER, id, (enum market_status)to, NULL, 0, &e);
            if (market_transition_allowed((enum market_status)from, (enum market_status)to)) {
                assert_int_equal(rc, 0);
                legal++;
                struct market_order after;
                assert_int_equal(market_order_get(f->st, &OPER, id, &f->a, &after, &e), 0);
                assert_int_equal(after.status, to);
                assert_int_equal(after.nhistory, before.nhistory + 1);
                assert_int_equal(after.history[after.nhistory - 1].from, from);
                assert_true(after.history[after.nhistory - 1].ts_ms > 0);
            } else {
                assert_int_equal(rc, ERR_CONFLICT);
                assert_non_null(strstr(e.msg, "cannot become"));
                assert_int_equal(snapshot(f), snap);
                illegal++;
            }
        }
    }
    assert_int_equal(legal, 8);
    assert_int_equal(illegal, 49 - 8);
    /* roles: a buyer cancels only its own placed/confirmed order */
    int64_t id = order_in_state(f, pr, MARKET_PLACED);
    assert_int_equal(market_order_transition(f->st, &BUYER2, id, MARKET_CANCELLED, NULL, 0, &e),
                     ERR_NOTFOUND);
    assert_int_equal(market_order_transition(f->st, &BUYER, id, MARKET_CONFIRMED, NULL, 0, &e),
                     ERR_PERM);
    assert_int_equal(market_order_transition(f->st, &AUDITOR, id, MARKET_CONFIRMED, NULL, 0, &e),
                     ERR_PERM);
    assert_int_equal(market_order_transition(f->st, &MERCH2, id, MARKET_CONFIRMED, NULL, 0, &e),
                     ERR_NOTFOUND);
    assert_int_equal(market_order_transition(f->st, &MERCH, id, MARKET_CONFIRMED, NULL, 0, &e), 0);
    assert_int_equal(market_order_transition(f->st, &BUYER, id, MARKET_CANCELLED, NULL, 0, &e), 0);
    /* payment */
    id = order_in_state(f, pr, MARKET_DELIVERED);
    assert_int_equal(market_order_pay(f->st, &BUYER, id, "paid", "cod", NULL, &e), ERR_PERM);
    assert_int_equal(market_order_pay(f->st, &OPER, id, "paid", "external", NULL, &e), ERR_INVAL);
    assert_int_equal(market_order_pay(f->st, &OPER, id, "paid", "external", "WX-123", &e), 0);
    assert_int_equal(market_order_transition(f->st, &OPER, id, MARKET_REFUNDED, "broken", 0, &e),
                     0);
    struct market_order o;
    assert_int_equal(market_order_get(f->st, &BUYER, id, &f->a, &o, &e), 0);
    assert_string_equal(o.payment_status, "refunded");
    assert_string_equal(o.payment_ref, "WX-123");
    assert_int_equal(market_order_get(f->st, &BUYER2, id, &f->a, &o, &e), ERR_NOTFOUND);
    /* visibility of lists */
    struct market_order *list;
    size_t n;
    struct market_order_filter flt = {.status = -1};
    assert_int_equal(market_order_list(f->st, &BUYER2, &flt, &f->a, &list, &n, &e), 0);
    assert_int_equal(n, 0);
    assert_int_equal(market_order_list(f->st, &BUYER, &flt, &f->a, &list, &n, &e), 0);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(list[i].buyer_user_id, BUYER.user_id);
    assert_int_equal(market_order_list(f->st, &MERCH2, &flt, &f->a, &list, &n, &e), 0);
    assert_int_equal(n, 0);
    assert_int_equal(market_order_list(f->st, &AUDITOR, &flt, &f->a, &list, &n, &e), 0);
    assert_true(n > 0);
}

static void test_money_and_idempotency(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t a = mk_product(f, &MERCH, p1, "辣椒酱", "Chili sauce", 1990);
    int64_t b = mk_product(f, &MERCH, p1, "竹编篮", "Bamboo basket", 8850);
    mk_lot(f, a, N5, 100, 0);
    mk_lot(f, b, N5, 100, 0);
    struct market_line_req lines[] = {
        {.product_id = a, .qty = 3}, {.product_id = b, .qty = 2}, {.product_id = a, .qty = 1}};
    struct market_order_req r = {.idem_key = "k-1",
                                 .delivery_node_id = N5,
                                 .lines = lines,
                                 .nlines = 3,
                                 .payment_method = "bank_transfer"};
    struct market_order o, o2;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), 0);
    assert_false(o.replayed);
    assert_int_equal(o.total_fen, 3 * 1990 + 2 * 8850 + 1990);
    assert_int_equal(o.units, 6);
    int64_t sum = 0;
    for (size_t i = 0; i < o.nlines; i++) {
        assert_int_equal(o.lines[i].line_total_fen, o.lines[i].qty * o.lines[i].unit_price_fen);
        sum += o.lines[i].line_total_fen;
    }
    assert_int_equal(sum, o.total_fen);
    assert_int_equal(q1(f, "SELECT total_fen FROM market_orders WHERE id = ?", o.id), sum);
    assert_int_equal(
        q1(f, "SELECT SUM(line_total_fen) FROM market_order_lines WHERE order_id = ?", o.id), sum);
    assert_int_equal(
        q1(f, "SELECT typeof(total_fen) = 'integer' FROM market_orders WHERE id = ?", o.id), 1);
    /* the same key again: the first order, nothing new */
    int64_t snap = snapshot(f);
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o2, &e), 0);
    assert_true(o2.replayed);
    assert_int_equal(o2.id, o.id);
    assert_int_equal(o2.total_fen, o.total_fen);
    assert_int_equal(o2.nlines, 3);
    assert_int_equal(snapshot(f), snap);
    /* same key, different order: conflict; another buyer's same key: its own order */
    lines[0].qty = 4;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o2, &e), ERR_CONFLICT);
    assert_int_equal(snapshot(f), snap);
    assert_int_equal(market_order_place(f->st, &BUYER2, &r, &f->a, &o2, &e), 0);
    assert_int_not_equal(o2.id, o.id);
    /* a price change does not touch placed orders */
    struct market_product p;
    assert_int_equal(market_product_get(f->st, &MERCH, a, &f->a, &p, &e), 0);
    p.price_fen = 2990;
    assert_int_equal(market_product_update(f->st, &MERCH, &p, &e), 0);
    assert_int_equal(market_order_get(f->st, &BUYER, o.id, &f->a, &o2, &e), 0);
    assert_int_equal(o2.total_fen, sum);
}

/* ------------------------------------------------- county references */

/* Village and node ids must exist in the caller's county: an unknown id or
** one of another county is refused (ERR_BADREF, naming the field), and
** nothing is written. */
static void test_county_refs(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "核桃", "Walnuts", 4500);
    mk_lot(f, pr, N5, 10, 0);
    int64_t before = snapshot(f);

    struct market_producer bad = {.village_id = 999, .kind = "cooperative", .name = "无村社"};
    assert_int_equal(market_producer_create(f->st, &MERCH, &bad, NULL, &e), ERR_BADREF);
    assert_string_equal(e.msg, "field 'village_id': village 999 not found in this county");
    bad.village_id = V_OTHER; /* exists, but in the other county */
    assert_int_equal(market_producer_create(f->st, &MERCH, &bad, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "not found in this county"));
    struct market_producer got;
    assert_int_equal(market_producer_get(f->st, &MERCH, p1, &f->a, &got, &e), 0);
    got.village_id = V_OTHER;
    assert_int_equal(market_producer_update(f->st, &MERCH, &got, &e), ERR_BADREF);

    struct market_product prod = {.producer_id = p1,
                                  .village_id = 999,
                                  .name_zh = "板栗",
                                  .category = "nuts",
                                  .unit = "bag",
                                  .price_fen = 100};
    assert_int_equal(market_product_create(f->st, &MERCH, &prod, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "village 999"));
    struct market_csv_result res;
    char csv[256];
    snprintf(csv, sizeof csv,
             "sku,producer_id,village_id,name_zh,category,unit,price_fen\n"
             "B-1,%lld,%lld,板栗,nuts,bag,100\n",
             (long long)p1, (long long)V_OTHER);
    assert_int_equal(market_products_import_csv(f->st, &MERCH, csv, strlen(csv), &f->a, &res, &e),
                     ERR_INVAL);
    assert_int_equal(res.nerrors, 1);
    assert_non_null(strstr(res.errors[0].msg, "village"));

    struct market_session sess = {
        .village_id = V_OTHER, .title = "直播", .start_ms = 1000, .end_ms = 2000};
    assert_int_equal(market_session_create(f->st, &MERCH, &sess, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "field 'village_id'"));

    struct market_lot lot = {.product_id = pr, .node_id = N_OTHER, .qty = 5};
    assert_int_equal(market_lot_add(f->st, &OPER, &lot, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "field 'node_id': node"));
    lot.node_id = 999;
    assert_int_equal(market_lot_add(f->st, &OPER, &lot, NULL, &e), ERR_BADREF);

    struct market_line_req line = {.product_id = pr, .qty = 1};
    struct market_order_req r = {.delivery_node_id = 999, .lines = &line, .nlines = 1};
    struct market_order o;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_BADREF);
    assert_string_equal(e.msg, "field 'delivery_node_id': node 999 not found in this county");
    r.delivery_node_id = N_OTHER;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_BADREF);
    r.delivery_node_id = N5;
    line.node_id = N_OTHER; /* ship from a node of another county */
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "line 1: field 'node_id'"));
    assert_int_equal(snapshot(f), before);

    /* the real ids pass */
    line.node_id = N5;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), 0);
    assert_int_equal(o.delivery_node_id, N5);
    sess.village_id = V101;
    assert_int_equal(market_session_create(f->st, &MERCH, &sess, NULL, &e), 0);
}

/* Accounts a write names (a producer's owner, a session's host) are
** checked: only staff name someone else, and only an enabled account of the
** county with a fitting role; a product stays with its producer. Nothing
** is written by a refusal. */
static void test_named_accounts_are_checked(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "板栗", "Chestnuts", 1500);
    int64_t before = snapshot(f);
    struct market_producer np = {.village_id = V100, .kind = "cooperative", .name = "新社"};
    const int64_t bad_owners[] = {9999, BUYER.user_id, AUDITOR.user_id, 50 /* disabled */,
                                  OTHER.user_id};
    for (size_t i = 0; i < RL_ARRAY_LEN(bad_owners); i++) {
        np.owner_user_id = bad_owners[i];
        assert_int_equal(market_producer_create(f->st, &ADMIN, &np, NULL, &e), ERR_BADREF);
        assert_non_null(strstr(e.msg, "field 'owner_user_id'"));
    }
    np.owner_user_id = MERCH2.user_id; /* a merchant may not give one away */
    assert_int_equal(market_producer_create(f->st, &MERCH, &np, NULL, &e), ERR_PERM);
    struct market_producer got;
    assert_int_equal(market_producer_get(f->st, &ADMIN, p1, &f->a, &got, &e), 0);
    got.owner_user_id = BUYER.user_id;
    assert_int_equal(market_producer_update(f->st, &ADMIN, &got, &e), ERR_BADREF);
    got.owner_user_id = MERCH2.user_id;
    assert_int_equal(market_producer_update(f->st, &MERCH, &got, &e), ERR_PERM);

    struct market_session sess = {.village_id = V101,
                                  .title = "直播",
                                  .start_ms = 1000,
                                  .end_ms = 2000,
                                  .host_user_id = 9999};
    assert_int_equal(market_session_create(f->st, &OPER, &sess, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "field 'host_user_id'"));
    sess.host_user_id = BUYER.user_id;
    assert_int_equal(market_session_create(f->st, &OPER, &sess, NULL, &e), ERR_BADREF);
    sess.host_user_id = MERCH2.user_id;
    assert_int_equal(market_session_create(f->st, &MERCH, &sess, NULL, &e), ERR_PERM);
    assert_int_equal(snapshot(f), before);
    struct market_producer now;
    assert_int_equal(market_producer_get(f->st, &ADMIN, p1, &f->a, &now, &e), 0);
    assert_int_equal(now.owner_user_id, MERCH.user_id);

    struct market_product prod;
    int64_t p2 = mk_producer(f, &MERCH, V101);
    before = snapshot(f);
    assert_int_equal(market_product_get(f->st, &ADMIN, pr, &f->a, &prod, &e), 0);
    prod.producer_id = p2;
    assert_int_equal(market_product_update(f->st, &ADMIN, &prod, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "field 'producer_id'"));
    assert_int_equal(snapshot(f), before);

    /* the accounts that fit pass, and the same owner sent back is fine */
    assert_int_equal(market_producer_update(f->st, &ADMIN, &got, &e), 0);
    assert_int_equal(market_producer_update(f->st, &MERCH2, &got, &e), 0);
    assert_int_equal(market_session_create(f->st, &OPER, &sess, NULL, &e), 0);
    prod.producer_id = p1;
    assert_int_equal(market_product_update(f->st, &ADMIN, &prod, &e), 0);
}

/* The county module will not delete a village or node that market rows
** name (references registered by schema_register_all): ERR_CONFLICT naming
** the table and column, nothing deleted; unnamed ones delete. */
static void test_county_keeps_named_rows(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "核桃", "Walnuts", 4500);
    mk_lot(f, pr, N5, 10, 0);
    assert_int_equal(county_village_delete(f->st, &ADMIN, V100, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "village"));
    assert_non_null(strstr(e.msg, "market_producers.village_id"));
    assert_int_equal(county_node_delete(f->st, &ADMIN, N5, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "market_lots.node_id"));
    struct county_village v;
    assert_int_equal(county_village_get(f->st, &ADMIN, V100, &v, &e), 0);
    /* rows no other module names still delete */
    assert_int_equal(county_village_delete(f->st, &ADMIN, V102, &e), 0);
    assert_int_equal(county_node_delete(f->st, &ADMIN, N6, &e), 0);
}

/* Staff may order for a buyer: an enabled buyer account of the same county. */
static void test_order_on_behalf(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "小米", "Millet", 1200);
    mk_lot(f, pr, N5, 10, 0);
    struct market_line_req line = {.product_id = pr, .qty = 1};
    struct market_order_req r = {.delivery_node_id = N5, .lines = &line, .nlines = 1};
    struct market_order o;
    int64_t before = snapshot(f);
    const struct { /* not static: MERCH.user_id is no constant expression in C */
        int64_t id;
        const char *msg;
    } refused[] = {
        {9999, "user 9999 not found in this county"},
        {51, "user 51 not found in this county"}, /* a buyer of the other county */
        {MERCH.user_id, "is a merchant, not a buyer"},
        {50, "user 50 is disabled"},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(refused); i++) {
        r.buyer_user_id = refused[i].id;
        assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), ERR_BADREF);
        assert_non_null(strstr(e.msg, "field 'buyer_user_id'"));
        assert_non_null(strstr(e.msg, refused[i].msg));
    }
    assert_int_equal(snapshot(f), before);
    r.buyer_user_id = BUYER.user_id;
    assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), 0);
    assert_int_equal(o.buyer_user_id, BUYER.user_id);
    assert_int_equal(q1(f, "SELECT placed_by FROM market_orders WHERE id = ?", o.id), OPER.user_id);
    /* staff ordering for themselves needs no buyer account */
    r.buyer_user_id = 0;
    assert_int_equal(market_order_place(f->st, &ADMIN, &r, &f->a, &o, &e), 0);
}

/* -------------------------------------------------------------- live */

static int64_t mk_session(struct fx *f, int64_t start, int64_t end)
{
    static const char *tags[] = {"助农直播", "苹果"};
    struct market_session s = {.village_id = V100,
                               .title = "洛川苹果丰收直播",
                               .tags = tags,
                               .ntags = 2,
                               .start_ms = start,
                               .end_ms = end};
    int64_t id;
    struct err e = {0};
    if (market_session_create(f->st, &MERCH, &s, &id, &e))
        fail_msg("session: %s", e.msg);
    return id;
}

static void test_live_session(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t p2 = mk_producer(f, &MERCH2, V200);
    int64_t pr = mk_product(f, &MERCH, p1, "苹果", "Apples", 6800);
    int64_t other = mk_product(f, &MERCH2, p2, "茶", "Tea", 6800);
    int64_t t0 = INT64_C(1790000000000); /* a fixed session time */
    int64_t sid = mk_session(f, t0, t0 + 3600000);
    mk_lot(f, pr, N5, 10, 0); /* what the offer reserves */
    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .flash_price_fen = 4990,
                               .flash_stock = 10,
                               .per_buyer_limit = 4};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH2, &off, NULL, &e), ERR_PERM);
    off.product_id = other;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), ERR_PERM);
    off.product_id = pr;
    off.flash_price_fen = 0;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), ERR_INVAL);
    off.flash_price_fen = 4990;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);
    const char *ptags[] = {"预热"};
    struct market_post post = {.session_id = sid,
                               .body = "明晚八点，果园直播！",
                               .tags = ptags,
                               .ntags = 1,
                               .scheduled_ms = t0 - 86400000};
    assert_int_equal(market_post_add(f->st, &MERCH, &post, NULL, &e), 0);
    assert_int_equal(market_post_add(f->st, &MERCH2, &post, NULL, &e), ERR_PERM);
    struct market_post *posts;
    size_t n;
    assert_int_equal(market_post_list(f->st, &BUYER, sid, &f->a, &posts, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(posts[0].tags[0], "预热");

    /* before the start and after the end the offer is not live */
    struct market_line_req line = {.offer_id = oid, .qty = 1};
    struct market_order_req r = {
        .delivery_node_id = N5, .lines = &line, .nlines = 1, .now_ms = t0 - 1};
    struct market_order o;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_CONFLICT);
    r.now_ms = t0 + 3600000;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_CONFLICT);
    /* during: flash price, flash stock, per-buyer limit */
    r.now_ms = t0 + 30000;
    line.qty = 3;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), 0);
    assert_int_equal(o.total_fen, 3 * 4990);
    assert_int_equal(o.session_id, sid);
    line.qty = 2;
    assert_int_equal(market_order_place(f->st, &BUYER, &r, &f->a, &o, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "per buyer"));
    /* the same offer twice in one order counts once per unit, all or nothing */
    {
        struct market_line_req two[2] = {{.offer_id = oid, .qty = 1}, {.offer_id = oid, .qty = 1}};
        struct market_order_req r2 = r;
        r2.lines = two, r2.nlines = 2;
        int64_t snap = snapshot(f);
        assert_int_equal(market_order_place(f->st, &BUYER, &r2, &f->a, &o, &e), ERR_CONFLICT);
        assert_int_equal(snapshot(f), snap);
    }
    r.now_ms = t0 + 150000;
    assert_int_equal(market_order_place(f->st, &BUYER2, &r, &f->a, &o, &e), 0);
    int64_t cancel_me = o.id;
    r.buyer_user_id = 1000;
    assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), 0); /* on behalf */
    line.qty = 4;
    r.buyer_user_id = 1001;
    assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e),
                     ERR_CONFLICT); /* 3 left */
    line.qty = 3;
    assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), 0);
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), 10);
    /* lots are not touched by flash orders */
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_order_allocs", 0), 0);
    /* cancelling returns flash stock and the buyer's allowance */
    assert_int_equal(
        market_order_transition(f->st, &BUYER2, cancel_me, MARKET_CANCELLED, NULL, t0 + 200000, &e),
        0);
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), 8);
    struct market_offer *offers;
    assert_int_equal(market_offer_list(f->st, &BUYER, sid, &f->a, &offers, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(offers[0].sold, 8);

    struct market_report rep;
    assert_int_equal(market_session_report(f->st, &BUYER, sid, &f->a, &rep, &e), ERR_PERM);
    assert_int_equal(market_session_report(f->st, &AUDITOR, sid, &f->a, &rep, &e), 0);
    assert_int_equal(rep.orders, 3);
    assert_int_equal(rep.units, 8);
    assert_int_equal(rep.gmv_fen, 8 * 4990);
    assert_int_equal(rep.unique_buyers, 3);
    assert_int_equal(rep.flash_stock, 10);
    assert_int_equal(rep.sell_through_bp, 8000);
    assert_int_equal(rep.ncurve, 60);
    assert_int_equal(rep.curve[0].orders, 1);
    assert_int_equal(rep.curve[0].units, 3);
    assert_int_equal(rep.curve[2].orders, 2); /* the cancelled one is not counted */
    assert_int_equal(rep.curve[2].gmv_fen, 5 * 4990);
    assert_int_equal(rep.curve[1].orders, 0);
    struct market_session *ss;
    assert_int_equal(market_session_list(f->st, &BUYER, 0, &f->a, &ss, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ss[0].ntags, 2);
    assert_int_equal(ss[0].host_user_id, MERCH.user_id);
}

/* ------------------------------------------------- offer reservation */

static int64_t lot_qty(struct fx *f, int64_t lot)
{
    return q1(f, "SELECT qty FROM market_lots WHERE id = ?", lot);
}

static int64_t alloc_qty(struct fx *f, int64_t lot)
{
    return q1(f, "SELECT COALESCE(SUM(qty), 0) FROM market_offer_allocs WHERE lot_id = ?", lot);
}

/* An offer's flash stock comes out of the product's lots at its node,
** earliest expiry first; refused when short; lowering and deleting give
** units back; the catalog cannot sell the reserved units. */
static void test_offer_reserves_lots(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t now = time_now_ms(), day = 86400000;
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "核桃", "Walnuts", 4500);
    int64_t late = mk_lot(f, pr, N5, 10, now + 30 * day);
    int64_t early = mk_lot(f, pr, N5, 4, now + 3 * day);
    int64_t expired = mk_lot(f, pr, N5, 50, now - day);
    int64_t elsewhere = mk_lot(f, pr, N6, 5, now + day); /* earliest, but another node */
    int64_t sid = mk_session(f, now - 60000, now + 3600000);

    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .node_id = N5,
                               .flash_price_fen = 3000,
                               .flash_stock = 6};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);
    assert_int_equal(lot_qty(f, early), 0); /* earliest expiry first ... */
    assert_int_equal(lot_qty(f, late), 8);  /* ... then the next */
    assert_int_equal(lot_qty(f, expired), 50);
    assert_int_equal(lot_qty(f, elsewhere), 5);
    assert_int_equal(alloc_qty(f, early), 4);
    assert_int_equal(alloc_qty(f, late), 2);
    assert_int_equal(q1(f,
                        "SELECT SUM(delta) FROM market_stock_moves WHERE offer_id = ?"
                        " AND reason = 'offer'",
                        oid),
                     -6);
    assert_int_equal(
        q1(f, "SELECT COUNT(*) FROM audit_log WHERE action = 'market.offer.add' AND entity_id = ?",
           oid),
        1);
    struct market_offer *offers;
    size_t n;
    assert_int_equal(market_offer_list(f->st, &BUYER, sid, &f->a, &offers, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(offers[0].node_id, N5);

    /* short: 8 left at N5 (the expired lot does not count); nothing taken */
    int64_t snap = snapshot(f);
    off.flash_stock = 9;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "only 8 units in stock at node"));
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid, oid, 15, &e), ERR_CONFLICT);
    /* a node of another county, a negative node */
    off.flash_stock = 1;
    off.node_id = N_OTHER;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), ERR_BADREF);
    assert_non_null(strstr(e.msg, "field 'node_id'"));
    /* only the host or staff change offers; an offer of another session is not found */
    assert_int_equal(market_offer_set_stock(f->st, &MERCH2, sid, oid, 7, &e), ERR_PERM);
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid + 1, oid, 7, &e), ERR_NOTFOUND);
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid, oid, 0, &e), ERR_INVAL);
    assert_int_equal(snapshot(f), snap);

    /* the catalog sells only what is not reserved: 8 + 5 units */
    struct market_order o;
    assert_int_equal(place1(f, &BUYER, pr, 0, 14, NULL, &o, &e), ERR_CONFLICT);
    assert_int_equal(snapshot(f), snap);

    /* raise: 2 more from the late lot; lower: back, latest expiry first */
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid, oid, 8, &e), 0);
    assert_int_equal(lot_qty(f, late), 6);
    assert_int_equal(alloc_qty(f, late), 4);
    assert_int_equal(market_offer_set_stock(f->st, &OPER, sid, oid, 3, &e), 0);
    assert_int_equal(lot_qty(f, late), 10);
    assert_int_equal(lot_qty(f, early), 1);
    assert_int_equal(alloc_qty(f, early), 3);
    assert_int_equal(q1(f, "SELECT flash_stock FROM market_offers WHERE id = ?", oid), 3);
    assert_int_equal(q1(f,
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'market.offer.stock'"
                        " AND entity_id = ?",
                        oid),
                     2);

    /* an offer with an order is not deleted, nor lowered below its sales */
    struct market_order fo;
    assert_int_equal(place1(f, &BUYER, 0, oid, 2, NULL, &fo, &e), 0);
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid, oid, 1, &e), ERR_CONFLICT);
    assert_int_equal(market_offer_delete(f->st, &MERCH, sid, oid, &e), ERR_CONFLICT);
    assert_int_equal(market_order_transition(f->st, &BUYER, fo.id, MARKET_CANCELLED, NULL, 0, &e),
                     0);
    assert_int_equal(market_offer_delete(f->st, &MERCH, sid, oid, &e), ERR_CONFLICT);

    /* an offer without orders is deleted and its units go back */
    off.node_id = 0; /* any node: earliest expiry first over the county */
    off.flash_stock = 6;
    int64_t oid2;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid2, &e), 0);
    assert_int_equal(lot_qty(f, elsewhere), 0);
    assert_int_equal(lot_qty(f, early), 0);
    assert_int_equal(market_offer_delete(f->st, &MERCH, sid, oid2, &e), 0);
    assert_int_equal(lot_qty(f, elsewhere), 5);
    assert_int_equal(lot_qty(f, early), 1);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_offers WHERE id = ?", oid2), 0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_offer_allocs WHERE offer_id = ?", oid2), 0);
    /* a deleted offer takes no orders */
    assert_int_equal(place1(f, &BUYER2, 0, oid2, 1, NULL, &o, &e), ERR_INVAL);
}

/* Lots + the offer's unsold units + units in live orders stay what the
** lots held at first, through a flash sale with cancels, the close and a
** cancel after the close. */
static void test_offer_stock_conserved(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t now = time_now_ms(), day = 86400000;
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "小米", "Millet", 1500);
    mk_lot(f, pr, N5, 30, now + 20 * day);
    mk_lot(f, pr, N5, 20, now + 10 * day);
    const int64_t total = 50;
    int64_t sid = mk_session(f, now - 60000, now + 3600000);
    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .node_id = N5,
                               .flash_price_fen = 990,
                               .flash_stock = 20};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);
    const char *lots_sql = "SELECT SUM(qty) FROM market_lots WHERE product_id = ?";
    const char *unsold_sql = "SELECT flash_stock - sold FROM market_offers WHERE id = ?";
    const char *live_sql = "SELECT COALESCE(SUM(l.qty), 0) FROM market_order_lines l"
                           " JOIN market_orders o ON o.id = l.order_id"
                           " WHERE l.offer_id = ? AND o.status <> 5";
#define CONSERVED()                                                                                \
    assert_int_equal(q1(f, lots_sql, pr) + q1(f, unsold_sql, oid) + q1(f, live_sql, oid), total)
    CONSERVED();
    assert_int_equal(q1(f, lots_sql, pr), 30);
    int64_t ids[8];
    for (int i = 0; i < 8; i++) {
        struct market_line_req line = {.offer_id = oid, .qty = 2};
        struct market_order_req r = {
            .buyer_user_id = 1000 + i, .delivery_node_id = N5, .lines = &line, .nlines = 1};
        struct market_order o;
        assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), 0);
        ids[i] = o.id;
        CONSERVED();
        if (i % 3 == 1) { /* cancels give the units back to the offer */
            assert_int_equal(
                market_order_transition(f->st, &OPER, o.id, MARKET_CANCELLED, NULL, 0, &e), 0);
            CONSERVED();
        }
    }
    assert_int_equal(q1(f, lots_sql, pr), 30); /* orders of the offer never touch lots */
    assert_int_equal(q1(f, live_sql, oid), 10);
    assert_int_equal(q1(f, unsold_sql, oid), 10);

    /* the close gives the unsold units back; nothing more sells */
    assert_int_equal(market_session_close(f->st, &BUYER, sid, 0, &e), ERR_PERM);
    assert_int_equal(market_session_close(f->st, &MERCH2, sid, 0, &e), ERR_PERM);
    assert_int_equal(market_session_close(f->st, &MERCH, sid, 0, &e), 0);
    CONSERVED();
    assert_int_equal(q1(f, lots_sql, pr), 40);
    assert_int_equal(q1(f, "SELECT returned FROM market_offers WHERE id = ?", oid), 10);
    struct market_session ss;
    assert_int_equal(market_session_get(f->st, &BUYER, sid, &f->a, &ss, &e), 0);
    assert_true(ss.closed_ms > 0);
    struct market_order o;
    assert_int_equal(place1(f, &BUYER, 0, oid, 1, NULL, &o, &e), ERR_CONFLICT);
    int64_t snap = snapshot(f);
    assert_int_equal(market_session_close(f->st, &MERCH, sid, 0, &e), ERR_CONFLICT);
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, sid, oid, 12, &e), ERR_CONFLICT);
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "closed"));
    assert_int_equal(snapshot(f), snap);

    /* a cancel after the close returns the units to the lots */
    assert_int_equal(market_order_transition(f->st, &OPER, ids[0], MARKET_CANCELLED, NULL, 0, &e),
                     0);
    CONSERVED();
    assert_int_equal(q1(f, lots_sql, pr), 42);
    assert_int_equal(q1(f, unsold_sql, oid), 0);
    /* the report still counts what was offered */
    struct market_report rep;
    assert_int_equal(market_session_report(f->st, &OPER, sid, &f->a, &rep, &e), 0);
    assert_int_equal(rep.flash_stock, 20);
    assert_int_equal(rep.units, 8);
    assert_int_equal(q1(f, "SELECT SUM(qty) FROM market_offer_allocs WHERE offer_id = ?", oid), 8);
    assert_int_equal(q1(f, "SELECT SUM(delta) FROM market_stock_moves WHERE offer_id = ?", oid),
                     -8);
#undef CONSERVED
}

/* ---------------------------------------------------------- flash sale */

#define FS_THREADS 8
#define FS_STOCK 300
#define FS_LIMIT 3
#define FS_BUYERS FX_BUYERS
#define FS_TRIES 90

struct fs_ack {
    int64_t order_id, buyer, qty;
    bool replayed;
};

struct fs_thread {
    struct fx *f;
    int64_t offer, now;
    int idx;
    struct fs_ack acks[FS_TRIES];
    int nacks;
    int sold_out, over_limit, other;
};

static void *fs_run(void *arg)
{
    struct fs_thread *t = arg;
    struct arena a;
    arena_init(&a, 4096);
    for (int i = 0; i < FS_TRIES; i++) {
        /* deterministic spread of buyers and quantities; every 5th request
        ** repeats the previous one with the same idempotency key */
        int k = (i % 5 == 4) ? i - 1 : i;
        int64_t buyer = 1000 + (t->idx * 37 + k * 11) % FS_BUYERS;
        int64_t qty = 1 + (k + t->idx) % 2;
        char key[64];
        snprintf(key, sizeof key, "t%d-%d", t->idx, k);
        struct auth_principal op = OPER;
        struct market_line_req line = {.offer_id = t->offer, .qty = qty};
        struct market_order_req r = {.buyer_user_id = buyer,
                                     .idem_key = key,
                                     .delivery_node_id = N5,
                                     .lines = &line,
                                     .nlines = 1,
                                     .now_ms = t->now};
        struct market_order o;
        struct err e = {0};
        arena_reset(&a);
        int rc = market_order_place(t->f->st, &op, &r, &a, &o, &e);
        if (rc == 0) {
            t->acks[t->nacks++] = (struct fs_ack){o.id, buyer, o.units, o.replayed};
        } else if (rc == ERR_CONFLICT && strstr(e.msg, "left")) {
            t->sold_out++;
        } else if (rc == ERR_CONFLICT && strstr(e.msg, "per buyer")) {
            t->over_limit++;
        } else {
            t->other++;
            fprintf(stderr, "unexpected: %d %s\n", rc, e.msg);
        }
    }
    arena_release(&a);
    return NULL;
}

static void test_flash_sale_concurrent(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "秒杀苹果", "Flash apples", 6800);
    int64_t t0 = time_now_ms() - 60000;
    int64_t sid = mk_session(f, t0, t0 + 7200000);
    int64_t lot = mk_lot(f, pr, N5, FS_STOCK + 50, 0);
    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .flash_price_fen = 990,
                               .flash_stock = FS_STOCK,
                               .per_buyer_limit = FS_LIMIT};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);

    static struct fs_thread th[FS_THREADS];
    pthread_t tid[FS_THREADS];
    for (int i = 0; i < FS_THREADS; i++) {
        th[i] = (struct fs_thread){.f = f, .offer = oid, .now = t0 + 60000, .idx = i};
        assert_int_equal(pthread_create(&tid[i], NULL, fs_run, &th[i]), 0);
    }
    for (int i = 0; i < FS_THREADS; i++)
        pthread_join(tid[i], NULL);

    /* demand: 8 x 90 requests of 1-2 units, far above the 300 units */
    int64_t acked_units = 0, acked = 0, replays = 0, sold_out = 0;
    for (int i = 0; i < FS_THREADS; i++) {
        assert_int_equal(th[i].other, 0);
        sold_out += th[i].sold_out;
        for (int k = 0; k < th[i].nacks; k++) {
            const struct fs_ack *a = &th[i].acks[k];
            /* every acknowledged order is stored, for its buyer, with its units */
            assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_orders WHERE id = ? AND status = 0",
                                a->order_id),
                             1);
            assert_int_equal(
                q1(f, "SELECT buyer_user_id FROM market_orders WHERE id = ?", a->order_id),
                a->buyer);
            assert_int_equal(
                q1(f, "SELECT SUM(qty) FROM market_order_lines WHERE order_id = ?", a->order_id),
                a->qty);
            if (a->replayed) {
                replays++;
                /* a replay names an order this thread was acknowledged before */
                bool seen = false;
                for (int j = 0; j < k; j++)
                    seen |= th[i].acks[j].order_id == a->order_id && !th[i].acks[j].replayed;
                assert_true(seen);
            } else {
                acked++;
                acked_units += a->qty;
            }
        }
    }
    assert_true(sold_out > 0);
    assert_true(replays > 0);
    assert_int_equal(acked_units, FS_STOCK);
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), FS_STOCK);
    assert_int_equal(q1(f, "SELECT SUM(l.qty) FROM market_order_lines l WHERE offer_id = ?", oid),
                     FS_STOCK);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_orders WHERE session_id = ?", sid), acked);
    assert_int_equal(q1(f, "SELECT MIN(flash_stock - sold) FROM market_offers", 0), 0);
    /* nobody above the per-buyer limit, in orders and in the counter table */
    assert_true(q1(f,
                   "SELECT MAX(u) FROM (SELECT SUM(l.qty) AS u FROM market_order_lines l"
                   " JOIN market_orders o ON o.id = l.order_id WHERE l.offer_id = ?"
                   " GROUP BY o.buyer_user_id)",
                   oid) <= FS_LIMIT);
    assert_int_equal(q1(f, "SELECT SUM(qty) FROM market_offer_buyers WHERE offer_id = ?", oid),
                     FS_STOCK);
    struct market_report rep;
    assert_int_equal(market_session_report(f->st, &OPER, sid, &f->a, &rep, &e), 0);
    assert_int_equal(rep.units, FS_STOCK);
    assert_int_equal(rep.gmv_fen, FS_STOCK * 990);
    assert_int_equal(rep.sell_through_bp, 10000);
    /* the offer's units came out of the lot when it was made, not per order */
    assert_int_equal(q1(f, "SELECT qty FROM market_lots WHERE id = ?", lot), 50);
}

/* Flash orders run without a savepoint (STORE_CHECKS_FIRST), so every
** refusal must come before the order's first write: one that came after
** would roll back the whole batch and fail the good orders in it. One
** batch holds good orders around each kind of refusal, lines naming the
** same offer twice included. */
static void test_flash_refusals_in_one_batch(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "猕猴桃", "Kiwifruit", 3000);
    int64_t t0 = time_now_ms() - 60000;
    int64_t sid = mk_session(f, t0, t0 + 7200000);
    mk_lot(f, pr, N5, 50, 0);
    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .flash_price_fen = 1990,
                               .flash_stock = 10,
                               .per_buyer_limit = 3};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);
    struct market_order o;
    {
        struct market_line_req l = {.offer_id = oid, .qty = 2};
        struct market_order_req r = {
            .buyer_user_id = 1000, .delivery_node_id = N5, .lines = &l, .nlines = 1};
        assert_int_equal(market_order_place(f->st, &OPER, &r, &f->a, &o, &e), 0);
    }
    struct {
        int64_t buyer, q1, q2, at; /* q2 > 0: a second line of the same offer */
        int want;
        const char *msg;
    } cases[] = {
        {1001, 2, 0, 0, 0, NULL},
        {1002, 2, 2, 0, ERR_CONFLICT, "line 2: offer %lld allows 3 units per buyer"},
        {1000, 2, 0, 0, ERR_CONFLICT, "line 1: offer %lld allows 3 units per buyer"},
        {1003, 1, 1, 0, 0, NULL},
        {1004, 3, 0, 0, 0, NULL},
        {1005, 1, 1, 0, ERR_CONFLICT, "line 2: offer %lld has 1 units left"},
        {1006, 1, 0, t0 + 7200000, ERR_CONFLICT, "line 1: offer %lld is not live now"},
        {1007, 4, 0, 0, ERR_CONFLICT, "line 1: offer %lld allows 3 units per buyer"},
        {1007, 1, 0, 0, 0, NULL},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    struct market_line_req lines[N][2];
    struct market_order_req reqs[N];
    struct market_order_job *jobs[N];
    struct ts_done done[N];
    sem_t sem;
    sem_init(&sem, 0, 0);
    struct ts_gate g;
    ts_gate_close(f->st, &g);
    for (int i = 0; i < N; i++) {
        lines[i][0] = (struct market_line_req){.offer_id = oid, .qty = cases[i].q1};
        lines[i][1] = (struct market_line_req){.offer_id = oid, .qty = cases[i].q2};
        reqs[i] = (struct market_order_req){.buyer_user_id = cases[i].buyer,
                                            .delivery_node_id = N5,
                                            .lines = lines[i],
                                            .nlines = cases[i].q2 ? 2 : 1,
                                            .now_ms = cases[i].at};
        assert_int_equal(market_order_job_new(&OPER, &reqs[i], &f->a, &jobs[i], &e), 0);
        assert_int_equal(market_order_job_flags(jobs[i]), STORE_CHECKS_FIRST);
        done[i] = (struct ts_done){.sem = &sem, .rc = 1};
        assert_int_equal(store_submit_flags(f->st, market_order_job_fn, jobs[i],
                                            market_order_job_flags(jobs[i]), ts_done_cb, &done[i]),
                         0);
    }
    ts_gate_open(&g);
    for (int i = 0; i < N; i++)
        while (sem_wait(&sem) != 0)
            ;
    for (int i = 0; i < N; i++) {
        assert_int_equal(done[i].rc, cases[i].want);
        if (cases[i].msg) {
            char want[128];
            snprintf(want, sizeof want, cases[i].msg, (long long)oid);
            assert_string_equal(done[i].msg, want);
        }
    }
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), 10);
    assert_int_equal(q1(f, "SELECT SUM(qty) FROM market_offer_buyers WHERE offer_id = ?", oid), 10);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_orders WHERE session_id = ?", sid), 5);
    assert_int_equal(q1(f, "SELECT SUM(qty) FROM market_order_lines WHERE offer_id = ?", oid), 10);
    assert_int_equal(q1(f, "SELECT qty FROM market_offer_buyers WHERE buyer_user_id = ?", 1003), 2);
    /* a catalog line keeps the savepoint */
    struct market_line_req cl = {.product_id = pr, .qty = 1, .node_id = N5};
    struct market_order_req cr = {
        .buyer_user_id = 1001, .delivery_node_id = N5, .lines = &cl, .nlines = 1};
    struct market_order_job *cj;
    assert_int_equal(market_order_job_new(&OPER, &cr, &f->a, &cj, &e), 0);
    assert_int_equal(market_order_job_flags(cj), 0);
    sem_destroy(&sem);
    ts_gate_destroy(&g);
}

/* Reopen the fixture's database (a restart: every in-memory cache is gone). */
static void fx_reopen(struct fx *f)
{
    store_close(f->st);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    struct err e = {0};
    if (store_open(&f->st, &cfg, &e) || schema_register_all(f->st, &e) || store_migrate(f->st, &e))
        fail_msg("reopen: %s", e.msg);
}

/* The flash path reads an offer's fixed fields from memory and keeps its
** counters in the tables: a repeat is answered even after the sell-out,
** counters stay equal to the orders through cancels and restarts. */
static void test_flash_repeat_cancel_restart(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "蜂蜜", "Honey", 5000);
    int64_t now = time_now_ms();
    int64_t sid = mk_session(f, now - 60000, now + 3600000);
    mk_lot(f, pr, N5, 2, 0);
    struct market_offer off = {.session_id = sid,
                               .product_id = pr,
                               .flash_price_fen = 2990,
                               .flash_stock = 2,
                               .per_buyer_limit = 2};
    int64_t oid;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, &oid, &e), 0);
    struct market_order o1, o2, o3;
    assert_int_equal(place1(f, &BUYER, 0, oid, 1, "r-1", &o1, &e), 0);
    assert_int_equal(o1.total_fen, 2990);
    assert_int_equal(place1(f, &BUYER2, 0, oid, 1, "r-2", &o2, &e), 0);
    /* sold out: a new order is refused and changes nothing ... */
    int64_t snap = snapshot(f);
    assert_int_equal(place1(f, &BUYER, 0, oid, 1, "r-3", &o3, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "0 units left"));
    assert_int_equal(snapshot(f), snap);
    /* ... but the repeat of an acknowledged one gets that order back */
    assert_int_equal(place1(f, &BUYER, 0, oid, 1, "r-1", &o3, &e), 0);
    assert_true(o3.replayed);
    assert_int_equal(o3.id, o1.id);
    assert_int_equal(o3.total_fen, 2990);
    assert_int_equal(snapshot(f), snap);
    /* the same key for another request is refused, also after the sell-out */
    assert_int_equal(place1(f, &BUYER, 0, oid, 2, "r-1", &o3, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "different order"));
    assert_int_equal(snapshot(f), snap);

    /* the creation is the first history entry, with who placed it */
    struct market_order g;
    assert_int_equal(market_order_get(f->st, &OPER, o1.id, &f->a, &g, &e), 0);
    assert_int_equal(g.nhistory, 1);
    assert_int_equal(g.history[0].from, -1);
    assert_int_equal(g.history[0].to, MARKET_PLACED);
    assert_int_equal(g.history[0].actor_user_id, BUYER.user_id);
    assert_int_equal(g.history[0].ts_ms, g.created_ms);

    /* cancel, restart, sell again: counters follow the live orders */
    assert_int_equal(market_order_transition(f->st, &BUYER2, o2.id, MARKET_CANCELLED, NULL, 0, &e),
                     0);
    assert_int_equal(market_order_get(f->st, &OPER, o2.id, &f->a, &g, &e), 0);
    assert_int_equal(g.nhistory, 2);
    assert_int_equal(g.history[1].from, MARKET_PLACED);
    assert_int_equal(g.history[1].to, MARKET_CANCELLED);
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), 1);
    fx_reopen(f);
    assert_int_equal(place1(f, &OPER, 0, oid, 1, "r-4", &o3, &e), 0); /* last unit */
    assert_int_equal(place1(f, &BUYER2, 0, oid, 1, "r-5", &o3, &e), ERR_CONFLICT);
    const char *live_units = "SELECT COALESCE(SUM(l.qty), 0) FROM market_order_lines l"
                             " JOIN market_orders o ON o.id = l.order_id"
                             " WHERE l.offer_id = ? AND o.status <> 5";
    assert_int_equal(q1(f, "SELECT sold FROM market_offers WHERE id = ?", oid), 2);
    assert_int_equal(q1(f, live_units, oid), 2);
    assert_int_equal(q1(f, "SELECT SUM(qty) FROM market_offer_buyers WHERE offer_id = ?", oid), 2);
}

/* Housekeeping closes the sessions whose end has passed (any county, once):
** the unsold flash stock is back in the lots; a session still on is left. */
static void test_sessions_close_when_ended(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t now = time_now_ms(), hour = 3600000;
    int64_t p1 = mk_producer(f, &MERCH, V100);
    int64_t pr = mk_product(f, &MERCH, p1, "山楂", "Hawthorn", 1200);
    mk_lot(f, pr, N5, 30, 0);
    int64_t ended = mk_session(f, now - 60000, now + hour);
    int64_t later = mk_session(f, now - 60000, now + 3 * hour);
    struct market_offer off = {.session_id = ended,
                               .product_id = pr,
                               .node_id = N5,
                               .flash_price_fen = 990,
                               .flash_stock = 10};
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), 0);
    off.session_id = later;
    assert_int_equal(market_offer_add(f->st, &MERCH, &off, NULL, &e), 0);
    const char *lots_sql = "SELECT SUM(qty) FROM market_lots WHERE product_id = ?";
    assert_int_equal(q1(f, lots_sql, pr), 10);
    int closed = -1;
    assert_int_equal(market_sessions_close_ended(f->st, now + 2 * hour, &closed, &e), 0);
    assert_int_equal(closed, 1);
    assert_int_equal(q1(f, lots_sql, pr), 20); /* the ended session's 10 are back */
    struct market_session ss;
    assert_int_equal(market_session_get(f->st, &BUYER, ended, &f->a, &ss, &e), 0);
    assert_true(ss.closed_ms > 0);
    assert_int_equal(market_session_get(f->st, &BUYER, later, &f->a, &ss, &e), 0);
    assert_int_equal(ss.closed_ms, 0);
    assert_int_equal(q1(f,
                        "SELECT count(*) FROM audit_log WHERE action = 'market.session.close'"
                        " AND actor_user_id = 0 AND entity_id = ?",
                        ended),
                     1);
    assert_int_equal(market_sessions_close_ended(f->st, now + 2 * hour, &closed, &e), 0);
    assert_int_equal(closed, 0);
}

/* Replace the fixture's database by a new one with only the first `upto`
** market migrations applied (an old database to upgrade); *cfg opens it
** again. */
static void reopen_at_market_migration(struct fx *f, size_t upto, struct store_config *cfg)
{
    store_close(f->st);
    f->st = NULL;
    char p[400];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    store_config_defaults(cfg);
    cfg->path = f->path;
    cfg->synchronous_full = false;
    struct err e = {0};
    if (store_open(&f->st, cfg, &e) ||
        store_add_migrations(f->st, "market", market_migrations, upto, &e) ||
        store_migrate(f->st, &e))
        fail_msg("old schema: %s", e.msg);
}

/* A database made before migration 3 (creation rows in the history, the
** old indexes) upgrades: creations move into the order rows, nothing is
** lost, and orders read the same. */
static void test_migrate_order_history(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    struct store_config cfg;
    reopen_at_market_migration(f, 2, &cfg);
    assert_int_equal(
        q1(f, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'market_orders_buyer'", 0), 1);
    static const char *const rows[] = {
        "INSERT INTO market_orders (id, county_id, buyer_user_id, status, total_fen, units,"
        " payment_status, payment_method, created_ms, updated_ms)"
        " VALUES (5, 1, 20, 1, 100, 1, 'unpaid', 'cod', 1000, 2000)",
        "INSERT INTO market_order_lines (order_id, line_no, county_id, product_id, qty,"
        " unit_price_fen, line_total_fen) VALUES (5, 1, 1, 1, 1, 100, 100)",
        "INSERT INTO market_order_history (county_id, order_id, from_status, to_status,"
        " actor_user_id, ts_ms) VALUES (1, 5, -1, 0, 2, 1000)",
        "INSERT INTO market_order_history (county_id, order_id, from_status, to_status,"
        " actor_user_id, ts_ms, note) VALUES (1, 5, 0, 1, 10, 2000, 'ok')",
        "INSERT INTO market_orders (id, county_id, buyer_user_id, status, total_fen, units,"
        " payment_status, payment_method, created_ms, updated_ms)"
        " VALUES (6, 1, 21, 0, 100, 1, 'unpaid', 'cod', 3000, 3000)",
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(rows); i++)
        assert_int_equal(store_write(f->st, q1_fn, &(struct q1){rows[i], 0, 0}, &e), 0);
    store_close(f->st);
    f->st = NULL;
    if (store_open(&f->st, &cfg, &e) ||
        store_add_migrations(f->st, "market", market_migrations, market_migrations_len, &e) ||
        store_migrate(f->st, &e))
        fail_msg("upgrade: %s", e.msg);
    assert_int_equal(q1(f,
                        "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                        " ('market_orders_buyer', 'market_orders_session',"
                        " 'market_order_lines_product')",
                        0),
                     0);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_order_history WHERE from_status = -1", 0),
                     0);
    struct market_order g;
    assert_int_equal(market_order_get(f->st, &OPER, 5, &f->a, &g, &e), 0);
    assert_int_equal(g.nhistory, 2);
    assert_int_equal(g.history[0].from, -1);
    assert_int_equal(g.history[0].actor_user_id, 2); /* placed by staff for buyer 20 */
    assert_int_equal(g.history[0].ts_ms, 1000);
    assert_int_equal(g.history[1].to, MARKET_CONFIRMED);
    assert_string_equal(g.history[1].note, "ok");
    /* an order without a creation row counts as placed by its buyer */
    assert_int_equal(market_order_get(f->st, &OPER, 6, &f->a, &g, &e), 0);
    assert_int_equal(g.nhistory, 1);
    assert_int_equal(g.history[0].actor_user_id, 21);
}

/* A database from before offers reserved stock (migration 4) upgrades: its
** offers draw from no node, hold no lots, read as before, and can still be
** lowered (nothing goes back to lots, since nothing was taken). */
static void test_migrate_offers(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    struct store_config cfg;
    reopen_at_market_migration(f, 4, &cfg);
    static const char *const rows[] = {
        "INSERT INTO market_sessions (id, county_id, host_user_id, village_id, title, start_ms,"
        " end_ms, created_ms) VALUES (3, 1, 10, 1, 'old', 1000, 2000, 1000)",
        "INSERT INTO market_producers (id, county_id, village_id, owner_user_id, kind, name,"
        " created_ms, updated_ms) VALUES (1, 1, 1, 10, 'cooperative', 'p', 1, 1)",
        "INSERT INTO market_products (id, county_id, producer_id, village_id, sku, price_fen,"
        " storage, temp_min_c, temp_max_c, rh_min_pct, rh_max_pct, created_ms, updated_ms)"
        " VALUES (1, 1, 1, 1, 'P1', 100, 0, 0, 30, 0, 90, 1, 1)",
        "INSERT INTO market_offers (id, county_id, session_id, product_id, flash_price_fen,"
        " flash_stock, sold, created_ms) VALUES (4, 1, 3, 1, 50, 30, 10, 1000)",
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(rows); i++)
        assert_int_equal(store_write(f->st, q1_fn, &(struct q1){rows[i], 0, 0}, &e), 0);
    store_close(f->st);
    f->st = NULL;
    if (store_open(&f->st, &cfg, &e) || schema_register_all(f->st, &e) || store_migrate(f->st, &e))
        fail_msg("upgrade: %s", e.msg);
    struct market_offer *offers;
    size_t n;
    assert_int_equal(market_offer_list(f->st, &BUYER, 3, &f->a, &offers, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(offers[0].node_id, 0);
    assert_int_equal(offers[0].flash_stock, 30);
    assert_int_equal(offers[0].sold, 10);
    assert_int_equal(offers[0].returned, 0);
    struct market_session ss;
    assert_int_equal(market_session_get(f->st, &BUYER, 3, &f->a, &ss, &e), 0);
    assert_int_equal(ss.closed_ms, 0);
    assert_int_equal(market_offer_set_stock(f->st, &MERCH, 3, 4, 12, &e), 0);
    assert_int_equal(q1(f, "SELECT flash_stock FROM market_offers WHERE id = ?", 4), 12);
    assert_int_equal(q1(f, "SELECT COUNT(*) FROM market_stock_moves", 0), 0);
    assert_int_equal(market_session_close(f->st, &MERCH, 3, 0, &e), 0);
    assert_int_equal(q1(f, "SELECT flash_stock FROM market_offers WHERE id = ?", 4), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_producer_roles, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_writes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_search, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_csv, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_csv_hostile, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fefo_and_cancel, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_money_and_idempotency, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_county_refs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_county_keeps_named_rows, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_named_accounts_are_checked, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sessions_close_when_ended, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_order_on_behalf, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_live_session, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_offer_reserves_lots, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_offer_stock_conserved, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flash_sale_concurrent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flash_refusals_in_one_batch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flash_repeat_cancel_restart, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_order_history, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_offers, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
