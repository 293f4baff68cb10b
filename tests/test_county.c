/* Unit tests for src/county against a temporary store: CRUD, validation
** (and that rejected input writes nothing), cursor pagination, county
** scoping, role checks, node parent rules, audit rows, GeoJSON export. */
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

#include "county/county.h"

/* ------------------------------------------------------------ fixture */

struct fx {
    char dir[256];
    char path[300];
    struct store *st;
    int64_t county_a, county_b;
    struct auth_principal sys_a, op_a, buyer_a, op_b;
};

static struct auth_principal principal(int64_t user_id, int64_t county_id, enum auth_role r)
{
    struct auth_principal p;
    memset(&p, 0, sizeof p);
    p.user_id = user_id;
    p.county_id = county_id;
    p.role = r;
    snprintf(p.name, sizeof p.name, "u%lld", (long long)user_id);
    return p;
}

static int64_t make_county(struct store *st, const char *code, const char *name)
{
    struct county c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "%s", code);
    snprintf(c.name_zh, sizeof c.name_zh, "%s", name);
    c.center = (struct geo_point){26.5, 106.7};
    struct err e = {0};
    int rc = county_create(st, NULL, &c, &e);
    if (rc)
        fail_msg("county_create: %s", e.msg);
    assert_true(c.circuity == GEO_CIRCUITY_DEFAULT);
    return c.id;
}

static int fx_setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-county-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->path;
    cfg.synchronous_full = false;
    struct err e = {0};
    if (store_open(&f->st, &cfg, &e) ||
        store_add_migrations(f->st, "county", county_migrations, county_migrations_len, &e) ||
        store_migrate(f->st, &e)) {
        fprintf(stderr, "store: %s\n", e.msg);
        return -1;
    }
    f->county_a = make_county(f->st, "A-001", "甲县");
    f->county_b = make_county(f->st, "B-002", "乙县");
    f->sys_a = principal(0, f->county_a, AUTH_ROLE_ADMIN);
    f->op_a = principal(11, f->county_a, AUTH_ROLE_OPERATOR);
    f->buyer_a = principal(12, f->county_a, AUTH_ROLE_BUYER);
    f->op_b = principal(21, f->county_b, AUTH_ROLE_OPERATOR);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
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
    store_bind_i64(s, 1, q->arg);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    q->out = rc == STORE_ROW ? store_col_i64(s, 0) : -1;
    return 0;
}

static int64_t q1(struct store *st, const char *sql, int64_t arg)
{
    struct q1 q = {sql, arg, 0};
    struct err e = {0};
    if (store_read(st, q1_fn, &q, &e))
        fail_msg("query: %s", e.msg);
    return q.out;
}

static int exec_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, arg, &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* One statement in a write. */
static void exec1(struct store *st, const char *sql)
{
    struct err e = {0};
    if (store_write(st, exec_fn, (void *)sql, &e))
        fail_msg("exec: %s", e.msg);
}

static int64_t audit_rows(struct fx *f, int64_t county_id)
{
    return q1(f->st, "SELECT count(*) FROM audit_log WHERE county_id = ?", county_id);
}

/* Rows of all four tables of a county, to prove that rejected input wrote nothing. */
static int64_t all_rows(struct fx *f, int64_t county_id)
{
    return q1(f->st,
              "SELECT (SELECT count(*) FROM townships WHERE county_id = ?1) + "
              "(SELECT count(*) FROM villages WHERE county_id = ?1) + "
              "(SELECT count(*) FROM nodes WHERE county_id = ?1) + "
              "(SELECT count(*) FROM audit_log WHERE county_id = ?1)",
              county_id);
}

static int64_t add_township(struct fx *f, const struct auth_principal *who, const char *name,
                            double lat, double lon)
{
    struct county_township t;
    memset(&t, 0, sizeof t);
    snprintf(t.name_zh, sizeof t.name_zh, "%s", name);
    snprintf(t.name_en, sizeof t.name_en, "%s Town", "Some");
    t.loc = (struct geo_point){lat, lon};
    struct err e = {0};
    int rc = county_township_create(f->st, who, &t, &e);
    if (rc)
        fail_msg("township_create: %s", e.msg);
    return t.id;
}

static int64_t add_village(struct fx *f, const struct auth_principal *who, int64_t twp,
                           const char *name, int64_t pop)
{
    struct county_village v;
    memset(&v, 0, sizeof v);
    v.township_id = twp;
    snprintf(v.name_zh, sizeof v.name_zh, "%s", name);
    v.population = pop;
    v.households = pop / 3;
    v.elevation_m = 900;
    v.loc = (struct geo_point){26.51, 106.71};
    struct err e = {0};
    int rc = county_village_create(f->st, who, &v, &e);
    if (rc)
        fail_msg("village_create: %s", e.msg);
    return v.id;
}

static struct county_node node_of(enum county_node_kind k, const char *name, int64_t parent)
{
    struct county_node nd;
    memset(&nd, 0, sizeof nd);
    nd.kind = k;
    snprintf(nd.name, sizeof nd.name, "%s", name);
    nd.loc = (struct geo_point){26.5, 106.7};
    nd.parent_id = parent;
    nd.active = true;
    nd.capacity_g = 1000000;
    return nd;
}

/* -------------------------------------------------------------- tests */

static void test_township_crud(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t a0 = audit_rows(f, f->county_a);
    int64_t id = add_township(f, &f->op_a, "青山镇", 26.6, 106.8);
    assert_true(id > 0);
    assert_int_equal(audit_rows(f, f->county_a), a0 + 1);

    struct county_township t;
    assert_int_equal(county_township_get(f->st, &f->buyer_a, id, &t, &e), 0);
    assert_string_equal(t.name_zh, "青山镇");
    assert_int_equal(t.county_id, f->county_a);
    assert_true(t.created_ms > 0);

    /* partial update: only the English name changes */
    struct county_township in;
    memset(&in, 0, sizeof in);
    snprintf(in.name_en, sizeof in.name_en, "Qingshan");
    struct county_township out;
    assert_int_equal(county_township_update(f->st, &f->op_a, id, &in, TOWNSHIP_F_NAME_EN, &out, &e),
                     0);
    assert_string_equal(out.name_en, "Qingshan");
    assert_string_equal(out.name_zh, "青山镇");
    assert_true(out.loc.lat == 26.6);
    assert_int_equal(audit_rows(f, f->county_a), a0 + 2);
    assert_int_equal(county_township_update(f->st, &f->op_a, id, &in, 0, &out, &e), ERR_INVAL);

    /* names are unique per county, not across counties */
    struct county_township dup;
    memset(&dup, 0, sizeof dup);
    snprintf(dup.name_zh, sizeof dup.name_zh, "青山镇");
    dup.loc = (struct geo_point){26, 106};
    assert_int_equal(county_township_create(f->st, &f->op_a, &dup, &e), ERR_EXISTS);
    assert_int_equal(county_township_create(f->st, &f->op_b, &dup, &e), 0);

    /* delete refused while a village refers to it, then allowed */
    int64_t vid = add_village(f, &f->op_a, id, "上寨村", 600);
    assert_int_equal(county_township_delete(f->st, &f->op_a, id, &e), ERR_CONFLICT);
    assert_int_equal(county_village_delete(f->st, &f->op_a, vid, &e), 0);
    assert_int_equal(county_township_delete(f->st, &f->op_a, id, &e), 0);
    assert_int_equal(county_township_get(f->st, &f->op_a, id, &t, &e), ERR_NOTFOUND);
    assert_int_equal(county_township_delete(f->st, &f->op_a, id, &e), ERR_NOTFOUND);
    /* create, update, village create+delete, delete: five more audit rows */
    assert_int_equal(audit_rows(f, f->county_a), a0 + 5);
    int64_t n = q1(f->st,
                   "SELECT count(*) FROM audit_log WHERE county_id = ? AND entity = 'township' "
                   "AND action = 'delete' AND actor_user_id = 11",
                   f->county_a);
    assert_int_equal(n, 1);
}

static void test_validation_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t twp = add_township(f, &f->op_a, "石门乡", 26.4, 106.6);
    int64_t twp_b = add_township(f, &f->op_b, "外县镇", 27.0, 107.0);
    int64_t before = all_rows(f, f->county_a);

    struct county_township t;
    memset(&t, 0, sizeof t);
    t.loc = (struct geo_point){26, 106};
    assert_int_equal(county_township_create(f->st, &f->op_a, &t, &e), ERR_INVAL); /* empty */
    assert_non_null(strstr(e.msg, "name_zh"));
    snprintf(t.name_zh, sizeof t.name_zh, "bad\xff\xfe");
    assert_int_equal(county_township_create(f->st, &f->op_a, &t, &e), ERR_INVAL);
    snprintf(t.name_zh, sizeof t.name_zh, "tab\there");
    assert_int_equal(county_township_create(f->st, &f->op_a, &t, &e), ERR_INVAL);
    memset(t.name_zh, 'x', 65); /* one character too many */
    t.name_zh[65] = '\0';
    assert_int_equal(county_township_create(f->st, &f->op_a, &t, &e), ERR_INVAL);
    t.name_zh[64] = '\0'; /* exactly 64 is fine, checked below via the lat error */
    t.loc.lat = 91;
    assert_int_equal(county_township_create(f->st, &f->op_a, &t, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "lat"));

    struct county_village v;
    memset(&v, 0, sizeof v);
    snprintf(v.name_zh, sizeof v.name_zh, "新村");
    v.loc = (struct geo_point){26.4, 106.6};
    assert_int_equal(county_village_create(f->st, &f->op_a, &v, &e), ERR_INVAL); /* no twp */
    v.township_id = twp_b; /* another county's township */
    v.population = 100;
    assert_int_equal(county_village_create(f->st, &f->op_a, &v, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "does not exist"));
    v.township_id = twp;
    v.households = 101;
    assert_int_equal(county_village_create(f->st, &f->op_a, &v, &e), ERR_INVAL);
    v.households = 30;
    v.population = -1;
    assert_int_equal(county_village_create(f->st, &f->op_a, &v, &e), ERR_INVAL);

    assert_int_equal(all_rows(f, f->county_a), before);

    /* an update that fails validation leaves the row as it was */
    v.population = 100;
    assert_int_equal(county_village_create(f->st, &f->op_a, &v, &e), 0);
    before = all_rows(f, f->county_a);
    struct county_village bad;
    memset(&bad, 0, sizeof bad);
    bad.loc = (struct geo_point){0, 500};
    assert_int_equal(county_village_update(f->st, &f->op_a, v.id, &bad, VILLAGE_F_LOC, NULL, &e),
                     ERR_INVAL);
    bad.township_id = twp_b;
    assert_int_equal(
        county_village_update(f->st, &f->op_a, v.id, &bad, VILLAGE_F_TOWNSHIP, NULL, &e),
        ERR_INVAL);
    struct county_village now;
    assert_int_equal(county_village_get(f->st, &f->op_a, v.id, &now, &e), 0);
    assert_true(now.loc.lon == 106.6);
    assert_int_equal(now.township_id, twp);
    assert_int_equal(all_rows(f, f->county_a), before);

    /* list arguments */
    struct county_village *items = NULL;
    size_t n;
    char cur[COUNTY_CURSOR_BUF];
    struct county_village_filter vf = {0};
    vf.limit = 501;
    assert_int_equal(county_village_list(f->st, &f->op_a, &vf, &items, &n, cur, &e), ERR_INVAL);
    vf.limit = 0;
    const char *bad_cursors[] = {"x1", "c", "cZZ", "c0", "c12345678901234567", "c-1"};
    for (size_t i = 0; i < RL_ARRAY_LEN(bad_cursors); i++) {
        vf.cursor = bad_cursors[i];
        assert_int_equal(county_village_list(f->st, &f->op_a, &vf, &items, &n, cur, &e), ERR_INVAL);
    }
    assert_true(county_name_valid("阿", false));
    assert_false(county_name_valid("", false));
    assert_true(county_name_valid("", true));
    assert_false(county_name_valid(" lead", false));
}

static void test_pagination(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t t1 = add_township(f, &f->op_a, "一镇", 26.4, 106.6);
    int64_t t2 = add_township(f, &f->op_a, "二镇", 26.5, 106.6);
    int64_t made[23];
    for (int i = 0; i < 23; i++) {
        char name[32];
        snprintf(name, sizeof name, "村%02d", i);
        made[i] = add_village(f, &f->op_a, i % 2 ? t2 : t1, name, 100 + i);
    }
    /* villages of another county never show up */
    int64_t tb = add_township(f, &f->op_b, "乙镇", 27, 107);
    add_village(f, &f->op_b, tb, "外村", 10);

    int64_t seen[40];
    size_t nseen = 0, pages = 0;
    char cur[COUNTY_CURSOR_BUF] = "";
    char keep[COUNTY_CURSOR_BUF];
    do {
        struct county_village_filter vf = {0};
        vf.limit = 5;
        snprintf(keep, sizeof keep, "%s", cur);
        vf.cursor = keep;
        struct county_village *items = NULL;
        size_t n = 0;
        assert_int_equal(county_village_list(f->st, &f->buyer_a, &vf, &items, &n, cur, &e), 0);
        assert_true(n <= 5);
        for (size_t i = 0; i < n; i++) {
            assert_true(nseen < 40);
            assert_int_equal(items[i].county_id, f->county_a);
            seen[nseen++] = items[i].id;
        }
        free(items);
        /* a row inserted while paging lands after the cursor: seen once, at the end */
        if (++pages == 2)
            add_village(f, &f->op_a, t1, "后来村", 5);
    } while (cur[0]);
    assert_int_equal(nseen, 24);
    for (size_t i = 1; i < nseen; i++)
        assert_true(seen[i] > seen[i - 1]); /* ascending: no duplicates */
    for (int i = 0; i < 23; i++) {
        bool found = false;
        for (size_t j = 0; j < nseen; j++)
            found = found || seen[j] == made[i];
        assert_true(found); /* no gaps */
    }
    assert_int_equal(pages, 5);

    /* filters: township and name search (LIKE metacharacters are literal) */
    struct county_village_filter vf = {0};
    vf.township_id = t2;
    vf.limit = 500;
    struct county_village *items = NULL;
    size_t n = 0;
    assert_int_equal(county_village_list(f->st, &f->op_a, &vf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 11);
    assert_string_equal(cur, "");
    for (size_t i = 0; i < n; i++)
        assert_int_equal(items[i].township_id, t2);
    free(items);
    memset(&vf, 0, sizeof vf);
    vf.q = "村1";
    assert_int_equal(county_village_list(f->st, &f->op_a, &vf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 10); /* 村10..村19 */
    free(items);
    vf.q = "%";
    assert_int_equal(county_village_list(f->st, &f->op_a, &vf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 0);
    free(items);
}

static void test_county_scoping(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "甲镇", 26.4, 106.6);
    int64_t va = add_village(f, &f->op_a, ta, "甲村", 300);
    struct county_node hub = node_of(COUNTY_NODE_HUB, "甲县仓", 0);
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    int64_t b_before = all_rows(f, f->county_b);
    int64_t a_before = all_rows(f, f->county_a);

    struct county_township t;
    struct county_village v;
    struct county_node nd;
    struct county c;
    assert_int_equal(county_township_get(f->st, &f->op_b, ta, &t, &e), ERR_NOTFOUND);
    assert_int_equal(county_village_get(f->st, &f->op_b, va, &v, &e), ERR_NOTFOUND);
    assert_int_equal(county_node_get(f->st, &f->op_b, hub.id, &nd, &e), ERR_NOTFOUND);
    assert_int_equal(county_get(f->st, &f->op_b, f->county_a, &c, &e), ERR_NOTFOUND);
    assert_int_equal(county_get(f->st, &f->op_b, f->county_b, &c, &e), 0);
    assert_string_equal(c.code, "B-002");
    struct county_township in;
    memset(&in, 0, sizeof in);
    snprintf(in.name_zh, sizeof in.name_zh, "偷改");
    assert_int_equal(county_township_update(f->st, &f->op_b, ta, &in, TOWNSHIP_F_NAME_ZH, NULL, &e),
                     ERR_NOTFOUND);
    assert_int_equal(county_village_delete(f->st, &f->op_b, va, &e), ERR_NOTFOUND);
    assert_int_equal(county_node_delete(f->st, &f->op_b, hub.id, &e), ERR_NOTFOUND);
    struct county kin;
    memset(&kin, 0, sizeof kin);
    kin.circuity = 2;
    assert_int_equal(county_update(f->st, &f->op_b, f->county_a, &kin, COUNTY_F_CIRCUITY, NULL, &e),
                     ERR_NOTFOUND);
    /* a station in B cannot hang under A's hub */
    int64_t tb = add_township(f, &f->op_b, "乙镇", 27, 107);
    b_before = all_rows(f, f->county_b);
    struct county_node st = node_of(COUNTY_NODE_STATION, "乙站", hub.id);
    st.township_id = tb;
    assert_int_equal(county_node_create(f->st, &f->op_b, &st, &e), ERR_INVAL);
    /* lists of B hold nothing of A */
    struct county_node_filter nf = COUNTY_NODE_FILTER_ANY;
    struct county_node *items = NULL;
    size_t n = 9;
    char cur[COUNTY_CURSOR_BUF];
    assert_int_equal(county_node_list(f->st, &f->op_b, &nf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 0);
    free(items);
    assert_int_equal(all_rows(f, f->county_a), a_before);
    assert_int_equal(all_rows(f, f->county_b), b_before);
    /* own county update works and is audited */
    assert_int_equal(county_update(f->st, &f->op_a, f->county_a, &kin, COUNTY_F_CIRCUITY, &c, &e),
                     0);
    assert_true(c.circuity == 2);
    assert_int_equal(all_rows(f, f->county_a), a_before + 1);
    kin.circuity = 9;
    assert_int_equal(county_update(f->st, &f->op_a, f->county_a, &kin, COUNTY_F_CIRCUITY, &c, &e),
                     ERR_INVAL);
}

static void test_roles(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "丙镇", 26.4, 106.6);
    int64_t before = all_rows(f, f->county_a);
    const enum auth_role readers[] = {AUTH_ROLE_MERCHANT, AUTH_ROLE_DRIVER, AUTH_ROLE_AUDITOR,
                                      AUTH_ROLE_TRAINER, AUTH_ROLE_BUYER};
    for (size_t i = 0; i < RL_ARRAY_LEN(readers); i++) {
        struct auth_principal p = principal(30 + (int64_t)i, f->county_a, readers[i]);
        struct county_township t;
        assert_int_equal(county_township_get(f->st, &p, ta, &t, &e), 0);
        memset(&t, 0, sizeof t);
        snprintf(t.name_zh, sizeof t.name_zh, "禁镇");
        assert_int_equal(county_township_create(f->st, &p, &t, &e), ERR_PERM);
        assert_int_equal(county_township_delete(f->st, &p, ta, &e), ERR_PERM);
        struct county_node nd = node_of(COUNTY_NODE_HUB, "禁仓", 0);
        assert_int_equal(county_node_create(f->st, &p, &nd, &e), ERR_PERM);
    }
    struct auth_principal dev = principal(0, f->county_a, AUTH_ROLE_DEVICE);
    dev.device_id = 5;
    struct county_node nd = node_of(COUNTY_NODE_HUB, "禁仓", 0);
    assert_int_equal(county_node_create(f->st, &dev, &nd, &e), ERR_PERM);
    struct county c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "X");
    snprintf(c.name_zh, sizeof c.name_zh, "新县");
    assert_int_equal(county_create(f->st, &f->op_a, &c, &e), ERR_PERM);
    assert_int_equal(all_rows(f, f->county_a), before);
    struct auth_principal admin = principal(40, f->county_a, AUTH_ROLE_ADMIN);
    assert_int_equal(county_node_create(f->st, &admin, &nd, &e), 0);
}

static void test_node_rules(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "丁镇", 26.4, 106.6);
    int64_t tb = add_township(f, &f->op_a, "戊镇", 26.3, 106.5);
    int64_t va = add_village(f, &f->op_a, ta, "丁村", 300);
    struct county_node hub = node_of(COUNTY_NODE_HUB, "县仓", 0);
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    assert_int_equal(hub.open_min, 0);
    assert_int_equal(hub.close_min, 1440); /* unset hours: all day */

    struct county_node st = node_of(COUNTY_NODE_STATION, "丁站", hub.id);
    assert_int_equal(county_node_create(f->st, &f->op_a, &st, &e), ERR_INVAL); /* no township */
    st.township_id = ta;
    st.open_min = 480;
    st.close_min = 1080;
    assert_int_equal(county_node_create(f->st, &f->op_a, &st, &e), 0);

    struct county_node pt = node_of(COUNTY_NODE_POINT, "丁村点", hub.id);
    pt.village_id = va;
    assert_int_equal(county_node_create(f->st, &f->op_a, &pt, &e), ERR_INVAL); /* hub parent */
    assert_non_null(strstr(e.msg, "county_hub"));
    pt.parent_id = st.id;
    pt.township_id = tb; /* the village is in ta */
    assert_int_equal(county_node_create(f->st, &f->op_a, &pt, &e), ERR_INVAL);
    pt.township_id = 0;
    assert_int_equal(county_node_create(f->st, &f->op_a, &pt, &e), 0);
    assert_int_equal(pt.township_id, ta); /* derived from the village */

    struct county_node bad = node_of(COUNTY_NODE_HUB, "二仓", st.id);
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL);
    bad = node_of(COUNTY_NODE_COLD_STORE, "冷库", hub.id);
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL); /* no cold */
    bad.cold_capacity_ml = 50000000;
    bad.open_min = 600;
    bad.close_min = 500;
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL); /* hours */
    bad.close_min = 1441;
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL);
    bad.close_min = 1200;
    bad.capacity_g = -1;
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL);
    bad.capacity_g = 0;
    bad.kind = (enum county_node_kind)9;
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL);
    bad.kind = COUNTY_NODE_COLD_STORE;
    bad.parent_id = pt.id; /* a village point cannot parent a cold store */
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), ERR_INVAL);
    bad.parent_id = st.id;
    assert_int_equal(county_node_create(f->st, &f->op_a, &bad, &e), 0);

    /* deletes and kind changes that would orphan children are refused */
    assert_int_equal(county_node_delete(f->st, &f->op_a, hub.id, &e), ERR_CONFLICT);
    struct county_node in;
    memset(&in, 0, sizeof in);
    in.kind = COUNTY_NODE_COLD_STORE;
    assert_int_equal(county_node_update(f->st, &f->op_a, st.id, &in, NODE_F_KIND, NULL, &e),
                     ERR_INVAL); /* cold store needs cold capacity */
    in.kind = COUNTY_NODE_HUB;
    in.parent_id = 0;
    assert_int_equal(
        county_node_update(f->st, &f->op_a, st.id, &in, NODE_F_KIND | NODE_F_PARENT, NULL, &e),
        ERR_CONFLICT);
    assert_int_equal(county_village_delete(f->st, &f->op_a, va, &e), ERR_CONFLICT);
    in.active = false;
    struct county_node out;
    assert_int_equal(county_node_update(f->st, &f->op_a, pt.id, &in, NODE_F_ACTIVE, &out, &e), 0);
    assert_false(out.active);
    assert_int_equal(out.village_id, va);

    /* moving the village moves its point's township */
    struct county_village vin;
    memset(&vin, 0, sizeof vin);
    vin.township_id = tb;
    assert_int_equal(county_village_update(f->st, &f->op_a, va, &vin, VILLAGE_F_TOWNSHIP, NULL, &e),
                     0);
    assert_int_equal(county_node_get(f->st, &f->op_a, pt.id, &out, &e), 0);
    assert_int_equal(out.township_id, tb);

    /* filters */
    struct county_node_filter nf = COUNTY_NODE_FILTER_ANY;
    nf.kind = COUNTY_NODE_STATION;
    struct county_node *items = NULL;
    size_t n = 0;
    char cur[COUNTY_CURSOR_BUF];
    assert_int_equal(county_node_list(f->st, &f->op_a, &nf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, st.id);
    free(items);
    nf.kind = -1;
    nf.parent_id = st.id;
    assert_int_equal(county_node_list(f->st, &f->op_a, &nf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 2); /* the point and the cold store */
    free(items);
    nf.parent_id = 0;
    nf.q = "冷";
    assert_int_equal(county_node_list(f->st, &f->op_a, &nf, &items, &n, cur, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].kind, COUNTY_NODE_COLD_STORE);
    free(items);

    enum county_node_kind k;
    assert_int_equal(county_node_kind_parse("village_point", &k), 0);
    assert_int_equal(k, COUNTY_NODE_POINT);
    assert_int_equal(county_node_kind_parse("warehouse", &k), ERR_INVAL);
}

static void test_create_many_all_or_nothing(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "批量镇", 26.4, 106.6);
    int64_t tb = add_township(f, &f->op_b, "别县镇", 27.0, 107.0);
    struct county_village vs[3];
    memset(vs, 0, sizeof vs);
    for (int i = 0; i < 3; i++) {
        vs[i].township_id = ta;
        snprintf(vs[i].name_zh, sizeof vs[i].name_zh, "批%d村", i);
        vs[i].population = 100;
        vs[i].loc = (struct geo_point){26.4, 106.6};
    }
    int64_t before = all_rows(f, f->county_a);
    vs[2].loc.lat = -100; /* caught before the write */
    assert_int_equal(county_village_create_many(f->st, &f->op_a, vs, 3, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "item 2"));
    vs[2].loc.lat = 26.4;
    vs[1].township_id = tb; /* caught inside the write: the first insert rolls back too */
    assert_int_equal(county_village_create_many(f->st, &f->op_a, vs, 3, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "item 1"));
    assert_int_equal(vs[0].id, 0);
    assert_int_equal(all_rows(f, f->county_a), before);
    assert_int_equal(county_village_create_many(f->st, &f->op_b, vs, 3, &e), ERR_INVAL);
    assert_int_equal(county_village_create_many(f->st, &f->buyer_a, vs, 3, &e), ERR_PERM);
    vs[1].township_id = ta;
    assert_int_equal(county_village_create_many(f->st, &f->op_a, vs, 3, &e), 0);
    assert_true(vs[0].id > 0 && vs[1].id > vs[0].id && vs[2].id > vs[1].id);
    assert_int_equal(all_rows(f, f->county_a), before + 6); /* 3 rows + 3 audit records */
    assert_int_equal(county_village_create_many(f->st, &f->op_a, vs, 0, &e), 0);

    struct county_node hub = node_of(COUNTY_NODE_HUB, "批仓", 0);
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    struct county_node ns[2] = {node_of(COUNTY_NODE_STATION, "批站", hub.id),
                                node_of(COUNTY_NODE_STATION, "批站二", hub.id)};
    ns[0].township_id = ta;
    ns[1].township_id = ta;
    assert_int_equal(county_node_create_many(f->st, &f->op_a, ns, 2, &e), 0);
    assert_int_equal(ns[1].close_min, 1440);
    assert_true(ns[1].id > ns[0].id);
}

static void test_network_geojson(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "己镇", 26.4, 106.6);
    add_village(f, &f->op_a, ta, "己村\"引号\"", 300);
    add_village(f, &f->op_a, ta, "庚村", 200);
    struct county_node hub = node_of(COUNTY_NODE_HUB, "县仓", 0);
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    struct county_node st = node_of(COUNTY_NODE_STATION, "己站", hub.id);
    st.township_id = ta;
    assert_int_equal(county_node_create(f->st, &f->op_a, &st, &e), 0);

    struct county_network net;
    assert_int_equal(county_network_load(f->st, &f->buyer_a, &net, &e), 0);
    assert_int_equal(net.n_townships, 1);
    assert_int_equal(net.n_villages, 2);
    assert_int_equal(net.n_nodes, 2);
    struct strbuf sb;
    strbuf_init(&sb, 0);
    assert_int_equal(county_network_geojson(&net, &sb, &e), 0);
    struct json_object *doc = NULL;
    if (rjson_parse(sb.buf, sb.len, &doc, &e))
        fail_msg("geojson does not parse: %s", e.msg);
    struct json_object *type, *features;
    assert_true(json_object_object_get_ex(doc, "type", &type));
    assert_string_equal(json_object_get_string(type), "FeatureCollection");
    assert_true(json_object_object_get_ex(doc, "features", &features));
    /* county seat + township + 2 villages + 2 nodes + 1 link */
    assert_int_equal(json_object_array_length(features), 7);
    int villages = 0, lines = 0;
    for (size_t i = 0; i < json_object_array_length(features); i++) {
        struct json_object *ft = json_object_array_get_idx(features, i), *g, *gt, *props, *layer;
        assert_true(json_object_object_get_ex(ft, "geometry", &g));
        assert_true(json_object_object_get_ex(g, "type", &gt));
        assert_true(json_object_object_get_ex(ft, "properties", &props));
        assert_true(json_object_object_get_ex(props, "layer", &layer));
        if (strcmp(json_object_get_string(layer), "village") == 0)
            villages++;
        if (strcmp(json_object_get_string(gt), "LineString") == 0)
            lines++;
    }
    assert_int_equal(villages, 2);
    assert_int_equal(lines, 1);
    json_object_put(doc);
    strbuf_release(&sb);
    county_network_release(&net);
}

/* A node's optional English name (migration 3): created, changed alone by
** its mask bit (the Chinese name stays), cleared, checked like any name,
** in the JSON and the audit row; the network GeoJSON's node features carry
** it with their village and township. */
static void test_node_name_en(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t ta = add_township(f, &f->op_a, "辛镇", 26.41, 106.61);
    int64_t va = add_village(f, &f->op_a, ta, "辛村", 300);
    struct county_node hub = node_of(COUNTY_NODE_HUB, "辛县仓", 0);
    snprintf(hub.name_en, sizeof hub.name_en, "Xin County logistics hub");
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    struct county_node st = node_of(COUNTY_NODE_STATION, "辛站", hub.id);
    st.township_id = ta;
    assert_int_equal(county_node_create(f->st, &f->op_a, &st, &e), 0);
    struct county_node pt = node_of(COUNTY_NODE_POINT, "辛村点", st.id);
    pt.village_id = va;
    snprintf(pt.name_en, sizeof pt.name_en, "Xin Village service point");
    assert_int_equal(county_node_create(f->st, &f->op_a, &pt, &e), 0);
    struct county_node got;
    assert_int_equal(county_node_get(f->st, &f->op_a, hub.id, &got, &e), 0);
    assert_string_equal(got.name_en, "Xin County logistics hub");
    assert_int_equal(county_node_get(f->st, &f->op_a, st.id, &got, &e), 0);
    assert_string_equal(got.name_en, "");
    /* only the English name changes */
    struct county_node in;
    memset(&in, 0, sizeof in);
    snprintf(in.name_en, sizeof in.name_en, "Xin Town station");
    assert_int_equal(county_node_update(f->st, &f->op_a, st.id, &in, NODE_F_NAME_EN, &got, &e), 0);
    assert_string_equal(got.name_en, "Xin Town station");
    assert_string_equal(got.name, "辛站");
    assert_int_equal(county_node_get(f->st, &f->op_a, st.id, &got, &e), 0);
    assert_string_equal(got.name_en, "Xin Town station");
    /* a bad English name is refused like a bad name, and writes nothing */
    snprintf(in.name_en, sizeof in.name_en, " padded");
    assert_int_equal(county_node_update(f->st, &f->op_a, st.id, &in, NODE_F_NAME_EN, NULL, &e),
                     ERR_INVAL);
    assert_non_null(strstr(e.msg, "name_en"));
    assert_int_equal(county_node_get(f->st, &f->op_a, st.id, &got, &e), 0);
    assert_string_equal(got.name_en, "Xin Town station");
    /* JSON and the audit row */
    struct json_object *j = county_node_to_json(&got);
    assert_string_equal(json_object_get_string(json_object_object_get(j, "name_en")),
                        "Xin Town station");
    json_object_put(j);
    assert_int_equal(q1(f->st,
                        "SELECT count(*) FROM audit_log WHERE entity = 'node' AND entity_id = ?1 "
                        "AND detail LIKE '%Xin Town station%'",
                        st.id),
                     1);
    /* the list */
    struct county_node_filter nf = COUNTY_NODE_FILTER_ANY;
    struct county_node *items = NULL;
    size_t n = 0;
    char cur[COUNTY_CURSOR_BUF];
    assert_int_equal(county_node_list(f->st, &f->op_a, &nf, &items, &n, cur, &e), 0);
    int named = 0;
    for (size_t i = 0; i < n; i++)
        named += items[i].id == pt.id && strcmp(items[i].name_en, "Xin Village service point") == 0;
    assert_int_equal(named, 1);
    free(items);
    /* the GeoJSON: name_en, village_id and township_id on node features */
    struct county_network net;
    assert_int_equal(county_network_load(f->st, &f->op_a, &net, &e), 0);
    struct strbuf sb;
    strbuf_init(&sb, 0);
    assert_int_equal(county_network_geojson(&net, &sb, &e), 0);
    struct json_object *doc = NULL, *features;
    if (rjson_parse(sb.buf, sb.len, &doc, &e))
        fail_msg("geojson does not parse: %s", e.msg);
    assert_true(json_object_object_get_ex(doc, "features", &features));
    int seen = 0;
    for (size_t i = 0; i < json_object_array_length(features); i++) {
        struct json_object *props =
            json_object_object_get(json_object_array_get_idx(features, i), "properties");
        if (strcmp(json_object_get_string(json_object_object_get(props, "layer")), "node") != 0)
            continue;
        int64_t id = json_object_get_int64(json_object_object_get(props, "id"));
        const char *en = json_object_get_string(json_object_object_get(props, "name_en"));
        struct json_object *vid = json_object_object_get(props, "village_id");
        struct json_object *tid = json_object_object_get(props, "township_id");
        assert_true(json_object_object_get_ex(props, "village_id", NULL));
        assert_true(json_object_object_get_ex(props, "township_id", NULL));
        if (id == pt.id) {
            assert_string_equal(en, "Xin Village service point");
            assert_int_equal(json_object_get_int64(vid), va);
            assert_int_equal(json_object_get_int64(tid), ta); /* from its village */
            seen++;
        } else if (id == st.id) {
            assert_string_equal(en, "Xin Town station");
            assert_null(vid);
            assert_int_equal(json_object_get_int64(tid), ta);
            seen++;
        } else if (id == hub.id) {
            assert_null(vid);
            assert_null(tid);
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    json_object_put(doc);
    strbuf_release(&sb);
    county_network_release(&net);
}

/* Deleting the newest village or node does not hand its id to the next one
** (migration 2: AUTOINCREMENT), so audit rows and other records that still
** name the old id never come to name a new place. */
static void test_ids_never_reused(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    int64_t twp = add_township(f, &f->op_a, "新镇", 26.5, 106.7);
    add_village(f, &f->op_a, twp, "甲村", 300);
    int64_t newest = add_village(f, &f->op_a, twp, "乙村", 200);
    assert_int_equal(county_village_delete(f->st, &f->op_a, newest, &e), 0);
    int64_t next = add_village(f, &f->op_a, twp, "丙村", 100);
    assert_true(next > newest);

    struct county_node hub = node_of(COUNTY_NODE_HUB, "县中心", 0);
    assert_int_equal(county_node_create(f->st, &f->op_a, &hub, &e), 0);
    struct county_node cold = node_of(COUNTY_NODE_COLD_STORE, "冷库", hub.id);
    cold.cold_capacity_ml = 50000000;
    assert_int_equal(county_node_create(f->st, &f->op_a, &cold, &e), 0);
    assert_int_equal(county_node_delete(f->st, &f->op_a, cold.id, &e), 0);
    struct county_node again = node_of(COUNTY_NODE_COLD_STORE, "新冷库", hub.id);
    again.cold_capacity_ml = 50000000;
    assert_int_equal(county_node_create(f->st, &f->op_a, &again, &e), 0);
    assert_true(again.id > cold.id);

    int64_t t2 = add_township(f, &f->op_a, "旧镇", 26.6, 106.8);
    assert_int_equal(county_township_delete(f->st, &f->op_a, t2, &e), 0);
    assert_true(add_township(f, &f->op_a, "又一镇", 26.7, 106.9) > t2);
}

/* A database made before migration 2 keeps every row, id and link through
** the rebuild (foreign keys checked), and ids are not reused after it. */
static void test_migrate_keeps_rows(void **state)
{
    struct fx *f = *state;
    struct err e = {0};
    /* a second database at county migration 1 only */
    char path[320];
    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.synchronous_full = false;
    struct store *st;
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    assert_int_equal(store_add_migrations(st, "county", county_migrations, 1, &e), 0);
    assert_int_equal(store_migrate(st, &e), 0);
    struct store *keep = f->st;
    f->st = st;
    int64_t ca = make_county(st, "C-003", "丙县");
    struct auth_principal op = principal(31, ca, AUTH_ROLE_OPERATOR);
    int64_t twp = add_township(f, &op, "老镇", 26.5, 106.7);
    int64_t v1 = add_village(f, &op, twp, "一村", 500);
    int64_t v2 = add_village(f, &op, twp, "二村", 400);
    /* today's code writes a node's name_en (migration 3): the v1 table has
    ** that column only while the rows are made */
    exec1(st, "ALTER TABLE nodes ADD COLUMN name_en TEXT NOT NULL DEFAULT ''");
    struct county_node hub = node_of(COUNTY_NODE_HUB, "县中心", 0);
    assert_int_equal(county_node_create(st, &op, &hub, &e), 0);
    struct county_node stn = node_of(COUNTY_NODE_STATION, "镇站", hub.id);
    stn.township_id = twp;
    assert_int_equal(county_node_create(st, &op, &stn, &e), 0);
    struct county_node pt = node_of(COUNTY_NODE_POINT, "村点", stn.id);
    pt.village_id = v1;
    assert_int_equal(county_node_create(st, &op, &pt, &e), 0);
    exec1(st, "ALTER TABLE nodes DROP COLUMN name_en");
    const char *sig = "SELECT (SELECT count(*) + sum(id) FROM villages WHERE county_id = ?1) * 1000"
                      " + (SELECT count(*) + sum(id) + sum(coalesce(parent_id, 0))"
                      " + sum(coalesce(village_id, 0)) FROM nodes WHERE county_id = ?1)";
    int64_t before = q1(st, sig, ca);
    store_close(st);

    assert_int_equal(store_open(&st, &cfg, &e), 0);
    f->st = st;
    assert_int_equal(
        store_add_migrations(st, "county", county_migrations, county_migrations_len, &e), 0);
    assert_int_equal(store_migrate(st, &e), 0);
    assert_int_equal(q1(st, sig, ca), before);
    assert_int_equal(q1(st, "SELECT count(*) FROM pragma_foreign_key_check WHERE ?1 = ?1", 0), 0);
    assert_int_equal(q1(st,
                        "SELECT count(*) FROM sqlite_master WHERE name LIKE 'county_m2%'"
                        " AND ?1 = ?1",
                        0),
                     0);
    assert_int_equal(
        q1(st,
           "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'nodes'"
           " AND ?1 = ?1",
           0),
        5);
    struct county_node got;
    assert_int_equal(county_node_get(st, &op, pt.id, &got, &e), 0);
    assert_int_equal(got.parent_id, stn.id);
    assert_int_equal(got.village_id, v1);
    assert_string_equal(got.name, "村点");
    assert_string_equal(got.name_en, ""); /* migration 3: none yet */
    /* and from now on the newest id is not handed out again */
    assert_int_equal(county_village_delete(st, &op, v2, &e), 0);
    assert_true(add_village(f, &op, twp, "三村", 300) > v2);
    store_close(st);
    f->st = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_township_crud, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_validation_writes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pagination, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_county_scoping, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_roles, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_node_rules, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_create_many_all_or_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_network_geojson, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_ids_never_reused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_keeps_rows, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_node_name_en, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
