/* Unit tests for src/demo: the same seed gives the same county, another seed
** another one; counts, extent and clustering are in range; the network obeys
** its rules; the demo users exist; seeding a non-empty database does nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "county/county.h"
#include "demo/demo.h"
#include "schema/schema.h"
#ifdef RL_HAVE_MARKET
#include "market/market.h"
#endif
#if defined(RL_HAVE_TELEMETRY) && defined(RL_HAVE_LOGISTICS)
#include "logistics/logistics.h"
#include "telemetry/telemetry.h"
#endif
#ifdef RL_HAVE_LOGISTICS
#include "logistics/logistics.h"
#endif

struct db {
    char dir[256];
    char path[300];
    struct store *st;
};

static void db_open(struct db *d)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof d->dir, "%s/rl-demo-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(d->dir));
    snprintf(d->path, sizeof d->path, "%s/t.db", d->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = d->path;
    cfg.synchronous_full = false;
    struct err e = {0};
    if (store_open(&d->st, &cfg, &e) || schema_register_all(d->st, &e) || store_migrate(d->st, &e))
        fail_msg("store: %s", e.msg);
}

static void db_close(struct db *d)
{
    store_close(d->st);
    char p[400];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", d->path, suffix[i]);
        unlink(p);
    }
    rmdir(d->dir);
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Everything of the seeded network but timestamps, folded into one number. */
static uint64_t checksum(const struct county_network *net)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s|%s|%.6f|%.6f|%.3f", net->county.name_zh, net->county.code,
             net->county.center.lat, net->county.center.lon, net->county.circuity);
    h = fnv(h, buf);
    for (size_t i = 0; i < net->n_townships; i++) {
        const struct county_township *t = &net->townships[i];
        snprintf(buf, sizeof buf, "T%lld|%s|%s|%.6f|%.6f", (long long)t->id, t->name_zh, t->name_en,
                 t->loc.lat, t->loc.lon);
        h = fnv(h, buf);
    }
    for (size_t i = 0; i < net->n_villages; i++) {
        const struct county_village *v = &net->villages[i];
        snprintf(buf, sizeof buf, "V%lld|%lld|%s|%s|%lld|%lld|%lld|%.6f|%.6f", (long long)v->id,
                 (long long)v->township_id, v->name_zh, v->name_en, (long long)v->population,
                 (long long)v->households, (long long)v->elevation_m, v->loc.lat, v->loc.lon);
        h = fnv(h, buf);
    }
    for (size_t i = 0; i < net->n_nodes; i++) {
        const struct county_node *n = &net->nodes[i];
        snprintf(buf, sizeof buf, "N%lld|%d|%s|%s|%lld|%lld|%lld|%d|%d|%lld|%lld|%lld|%.6f|%.6f",
                 (long long)n->id, (int)n->kind, n->name, n->name_en, (long long)n->parent_id,
                 (long long)n->township_id, (long long)n->village_id, n->open_min, n->close_min,
                 (long long)n->capacity_g, (long long)n->capacity_ml,
                 (long long)n->cold_capacity_ml, n->loc.lat, n->loc.lon);
        h = fnv(h, buf);
    }
    return h;
}

static void load(struct db *d, struct county_network *net)
{
    struct err e = {0};
    struct county c;
    if (county_first(d->st, &c, &e))
        fail_msg("no county: %s", e.msg);
    struct auth_principal who;
    memset(&who, 0, sizeof who);
    who.county_id = c.id;
    who.role = AUTH_ROLE_AUDITOR;
    who.user_id = 999;
    if (county_network_load(d->st, &who, net, &e))
        fail_msg("load: %s", e.msg);
}

static void seed(struct db *d, uint64_t s)
{
    struct err e = {0};
    if (demo_seed_with(d->st, NULL, s, &e))
        fail_msg("demo_seed: %s", e.msg);
}

/* The demo seeds only an empty database: accounts made before their county
** (a first admin) would otherwise join the demo county, whose passwords are
** published. It is refused and nothing is written. */
static void test_refuses_accounts_without_county(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    struct err e = {0};
    struct auth_user_new u = {1, "first-admin", "a-long-password", AUTH_ROLE_ADMIN, NULL};
    int64_t id;
    assert_int_equal(auth_user_add(d.st, NULL, &u, &id, &e), 0);
    assert_int_equal(demo_seed_with(d.st, NULL, 42, &e), ERR_CONFLICT);
    assert_non_null(strstr(e.msg, "first-admin"));
    int64_t n = -1;
    assert_int_equal(county_count(d.st, &n, &e), 0);
    assert_int_equal(n, 0);
    db_close(&d);
}

static void test_deterministic(void **state)
{
    (void)state;
    struct db a, b, c;
    db_open(&a);
    db_open(&b);
    db_open(&c);
    seed(&a, 42);
    seed(&b, 42);
    seed(&c, 43);
    struct county_network na, nb, nc;
    load(&a, &na);
    load(&b, &nb);
    load(&c, &nc);
    assert_int_equal(na.n_townships, nb.n_townships);
    assert_int_equal(na.n_villages, nb.n_villages);
    assert_int_equal(na.n_nodes, nb.n_nodes);
    assert_true(checksum(&na) == checksum(&nb));
    assert_true(checksum(&na) != checksum(&nc));

    /* a second seeding of a non-empty database changes nothing */
    seed(&a, 7);
    struct county_network again;
    load(&a, &again);
    assert_true(checksum(&again) == checksum(&na));
    county_network_release(&again);
    int64_t n = 0;
    struct err e = {0};
    assert_int_equal(county_count(a.st, &n, &e), 0);
    assert_int_equal(n, 1);

    county_network_release(&na);
    county_network_release(&nb);
    county_network_release(&nc);
    db_close(&a);
    db_close(&b);
    db_close(&c);
}

#ifdef RL_HAVE_MARKET
/* Units an offer holds in lots (market_offer_allocs). */
struct held {
    int64_t offer, units;
};

static int held_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct held *h = arg;
    struct store_stmt *s;
    int rc = store_prepare(
        c, "SELECT COALESCE(SUM(qty), 0) FROM market_offer_allocs WHERE offer_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, h->offer);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    h->units = store_col_i64(s, 0);
    return 0;
}
#endif

static void test_shape_and_network(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    seed(&d, DEMO_SEED_DEFAULT);
    struct county_network net;
    load(&d, &net);

    assert_in_range(net.n_townships, 10, 14);
    assert_in_range(net.n_villages, 180, 220);
    /* spread roughly 50 km x 40 km */
    struct geo_bbox box;
    geo_bbox_init(&box);
    for (size_t i = 0; i < net.n_villages; i++)
        geo_bbox_add(&box, net.villages[i].loc);
    double w = geo_bbox_width_m(&box), h = geo_bbox_height_m(&box);
    print_message("villages span %.1f km x %.1f km\n", w / 1000, h / 1000);
    assert_true(w >= 35000 && w <= 52000);
    assert_true(h >= 25000 && h <= 42000);

    /* clustered: villages lie much nearer their own township than the others */
    double own = 0, other = 0;
    size_t n_other = 0;
    int64_t pop = 0;
    for (size_t i = 0; i < net.n_villages; i++) {
        const struct county_village *v = &net.villages[i];
        assert_true(v->population >= 80 && v->population <= 4000);
        assert_true(v->households > 0 && v->households <= v->population);
        assert_true(v->elevation_m >= 300 && v->elevation_m <= 2100);
        pop += v->population;
        for (size_t k = 0; k < net.n_townships; k++) {
            double dist = geo_haversine_m(v->loc, net.townships[k].loc);
            if (net.townships[k].id == v->township_id) {
                own += dist;
            } else {
                other += dist;
                n_other++;
            }
        }
    }
    own /= (double)net.n_villages;
    other /= (double)n_other;
    print_message("mean km to own township %.1f, to others %.1f; population %lld\n", own / 1000,
                  other / 1000, (long long)pop);
    assert_true(own < 0.4 * other);

    /* the network: one hub, a station per township, points in villages, two cold stores;
    ** every node has an English name, made of its place's and what it is */
    size_t hubs = 0, stations = 0, points = 0, colds = 0;
    for (size_t i = 0; i < net.n_nodes; i++) {
        const struct county_node *n = &net.nodes[i];
        assert_true(n->name_en[0] != 0);
        for (const char *c = n->name_en; *c; c++)
            assert_true((unsigned char)*c < 0x80);
        static const char *const what[] = {" logistics hub", " station", " service point",
                                           " cold store", " pre-cooling store"};
        bool says = false;
        for (size_t k = 0; k < 5; k++) {
            size_t a = strlen(n->name_en), b = strlen(what[k]);
            says |= a > b && strcmp(n->name_en + a - b, what[k]) == 0;
        }
        assert_true(says);
        if (n->kind == COUNTY_NODE_POINT)
            for (size_t k = 0; k < net.n_villages; k++)
                if (net.villages[k].id == n->village_id)
                    assert_true(strncmp(n->name_en, net.villages[k].name_en,
                                        strlen(net.villages[k].name_en)) == 0);
        if (n->kind == COUNTY_NODE_HUB)
            assert_string_equal(n->name_en, "Qinglan County logistics hub");
        switch (n->kind) {
        case COUNTY_NODE_HUB:
            hubs++;
            assert_int_equal(n->parent_id, 0);
            break;
        case COUNTY_NODE_STATION:
            stations++;
            assert_true(n->township_id > 0);
            break;
        case COUNTY_NODE_POINT:
            points++;
            assert_true(n->village_id > 0);
            break;
        case COUNTY_NODE_COLD_STORE:
            colds++;
            assert_true(n->cold_capacity_ml > 0);
            break;
        default:
            fail();
        }
    }
    assert_int_equal(hubs, 1);
    assert_int_equal(stations, net.n_townships);
    assert_int_equal(colds, 2);
    assert_true(points >= net.n_villages / 2 && points <= net.n_villages);
    for (size_t k = 0; k < net.n_townships; k++) {
        size_t per = 0;
        for (size_t i = 0; i < net.n_nodes; i++)
            per += net.nodes[i].kind == COUNTY_NODE_STATION &&
                   net.nodes[i].township_id == net.townships[k].id;
        assert_int_equal(per, 1);
    }

    /* one user per role, named after it */
    struct auth_user users[16];
    size_t nu = 0;
    struct err e = {0};
    assert_int_equal(auth_user_list(d.st, net.county.id, 0, users, 16, &nu, &e), 0);
    assert_int_equal(nu, 7);
    for (size_t i = 0; i < nu; i++)
        assert_string_equal(users[i].name, auth_role_name(users[i].role));
#ifdef RL_HAVE_MARKET
    /* the upcoming live session's offers hold their flash stock in lots */
    {
        struct auth_principal buyer = {
            .county_id = net.county.id, .role = AUTH_ROLE_BUYER, .user_id = 1};
        struct arena a;
        arena_init(&a, 4096);
        struct market_session *ss;
        size_t nss;
        assert_int_equal(market_session_list(d.st, &buyer, 0, &a, &ss, &nss, &e), 0);
        assert_int_equal(nss, 1);
        struct market_offer *offers;
        size_t noff;
        assert_int_equal(market_offer_list(d.st, &buyer, ss[0].id, &a, &offers, &noff, &e), 0);
        assert_true(noff > 0);
        for (size_t i = 0; i < noff; i++) {
            assert_true(offers[i].node_id > 0);
            struct held hd = {offers[i].id, 0};
            assert_int_equal(store_read(d.st, held_fn, &hd, &e), 0);
            assert_true(offers[i].flash_stock > 0);
            assert_int_equal(hd.units, offers[i].flash_stock);
        }
        arena_release(&a);
    }
#endif
#if defined(RL_HAVE_TELEMETRY) && defined(RL_HAVE_LOGISTICS)
    /* the chilled vans carry the reefer loggers, whose series name them */
    struct telemetry *t;
    struct telemetry_config tcfg = {0};
    assert_int_equal(telemetry_new(&t, d.st, &tcfg, &e), 0);
    struct tm_device_binding *b;
    size_t nb, on_vans = 0;
    assert_int_equal(tm_device_bindings(t, net.county.id, &b, &nb, &e), 0);
    struct auth_principal sys = {.county_id = net.county.id, .role = AUTH_ROLE_ADMIN};
    struct logistics_vehicle *v;
    size_t nv;
    assert_int_equal(logistics_vehicle_list(d.st, &sys, 0, true, &v, &nv, &e), 0);
    struct tm_series *ser;
    size_t ns;
    assert_int_equal(tm_series_list(t, net.county.id, "cold", &ser, &ns, &e), 0);
    for (size_t i = 0; i < nb; i++) {
        if (strcmp(b[i].kind, "vehicle"))
            continue;
        for (size_t k = 0; k < nv; k++)
            if (!strcmp(v[k].plate, b[i].ref)) {
                assert_int_equal(v[k].temp, LOGISTICS_TEMP_CHILLED);
                on_vans++;
            }
        size_t temps = 0;
        for (size_t k = 0; k < ns; k++)
            temps += ser[k].device_id == b[i].device_id && !strcmp(ser[k].field, "temp");
        assert_int_equal(temps, 1);
    }
    assert_int_equal(on_vans, 2);
    free(b);
    free(v);
    free(ser);
    telemetry_free(t);
#endif

    county_network_release(&net);
    db_close(&d);
}

#ifdef RL_HAVE_LOGISTICS
/* ms UTC of hour h of today's local date (UTC+8); *day: that date. */
static int64_t local_hour(int h, int64_t *day)
{
    int64_t tz = (int64_t)LOGISTICS_TZ_OFFSET_MIN * 60000;
    int64_t local = time_now_ms() + tz;
    *day = local - local % 86400000;
    return *day - tz + (int64_t)h * 3600000;
}

/* The demo county seeded as at `at`; *op: its operator. */
static void seed_logistics_at(struct db *d, int64_t at, struct auth_principal *op)
{
    struct err e = {0};
    if (demo_seed_at(d->st, NULL, DEMO_SEED_DEFAULT, at, &e))
        fail_msg("demo_seed_at: %s", e.msg);
    struct auth_user u;
    assert_int_equal(auth_user_find(d->st, "operator", &u, &e), 0);
    memset(op, 0, sizeof *op);
    op->user_id = u.id;
    op->county_id = u.county_id;
    op->role = u.role;
    snprintf(op->name, sizeof op->name, "operator");
}

/* Today's approved plan of the demo, loaded. */
static void demo_plan(struct db *d, const struct auth_principal *op, int64_t day,
                      struct logistics_plan *p)
{
    struct err e = {0};
    struct logistics_plan *ps;
    size_t n;
    assert_int_equal(logistics_plan_list(d->st, op, day, &ps, &n, &e), 0);
    int64_t id = 0;
    for (size_t i = 0; i < n; i++) {
        if (ps[i].status == LOGISTICS_PLAN_APPROVED)
            id = ps[i].id;
        logistics_plan_release(&ps[i]);
    }
    free(ps);
    assert_true(id > 0);
    logistics_plan_init(p);
    assert_int_equal(logistics_plan_get(d->st, op, id, p, &e), 0);
}

/* Open consignments of the date or earlier (what a dispatch of it finds). */
static size_t open_until(struct db *d, const struct auth_principal *op, int64_t day,
                         struct logistics_consignment **c)
{
    struct err e = {0};
    size_t n;
    struct logistics_consignment_filter f = {.until_ms = day, .status = "open"};
    assert_int_equal(logistics_consignment_list(d->st, op, &f, c, &n, &e), 0);
    return n;
}

/* Seeded at 10:30, today's plan is under way: every stop planned before
** then is reported as done at its planned time (START and END arrived,
** pickups picked up, deliveries and drops delivered), the others are
** pending, so no route is overdue and the housekeeping raises no late
** alert (before, nothing was reported and the route was overdue from the
** start). The lot no vehicle can carry (frozen) and the one too heavy for
** any were left out by the plan, which says why, and brought in by their
** cooperatives (delivered); two lots registered after the plan wait, open,
** for the next dispatch (the dispatch page's "waiting" card). The day
** leaves nothing that no dispatch can take: once it is over, the
** housekeeping reopens what was never picked up, and tomorrow's dispatch
** carries every open consignment. */
static void test_logistics_day_under_way(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    int64_t day;
    int64_t at = local_hour(10, &day) + 30 * 60000;
    struct auth_principal op;
    seed_logistics_at(&d, at, &op);
    struct logistics_plan p;
    demo_plan(&d, &op, day, &p);
    size_t done = 0, pending = 0;
    for (size_t r = 0; r < p.n_routes; r++) {
        const struct logistics_route *rt = &p.routes[r];
        for (size_t q = 0; q < rt->n_stops; q++) {
            const struct logistics_stop *s = &rt->stops[q];
            if (s->arrive_ms >= at) {
                assert_string_equal(s->status, "pending");
                pending++;
                continue;
            }
            const char *want = s->kind == LOGISTICS_STOP_PICKUP     ? "picked_up"
                               : s->kind == LOGISTICS_STOP_DELIVERY ? "delivered"
                               : s->kind == LOGISTICS_STOP_DROP     ? "delivered"
                                                                    : "arrived";
            assert_string_equal(s->status, want);
            assert_int_equal(s->actual_ms, s->arrive_ms);
            done++;
        }
        bool overdue = true;
        assert_true(logistics_route_delay_at(rt, at, NULL, &overdue) <= LOGISTICS_LATE_AFTER_S);
        assert_false(overdue);
    }
    assert_true(done > 0);
    assert_true(pending > 0);
    struct err e = {0};
    struct logistics_sweep_result sw = {-1, -1, -1};
    assert_int_equal(logistics_track_sweep(d.st, at + 60000, 0, &sw, &e), 0);
    assert_int_equal(sw.raised, 0);
    /* the plan shows why the two lots were left out; they are delivered */
    bool frozen = false, heavy = false;
    for (size_t i = 0; i < p.n_unassigned; i++) {
        if (!p.unassigned[i].consignment_id)
            continue;
        frozen |= strcmp(p.unassigned[i].reason, "no_refrigerated_vehicle") == 0;
        heavy |= strcmp(p.unassigned[i].reason, "capacity") == 0;
        struct logistics_consignment *c;
        size_t n;
        struct logistics_consignment_filter f = {.date_ms = day};
        assert_int_equal(logistics_consignment_list(d.st, &op, &f, &c, &n, &e), 0);
        for (size_t k = 0; k < n; k++)
            if (c[k].id == p.unassigned[i].consignment_id) {
                assert_string_equal(c[k].status, "delivered");
                assert_string_equal(logistics_consignment_location(&c[k]), "destination");
            }
        free(c);
    }
    assert_true(frozen && heavy);
    int64_t depot = p.depot_node_id;
    logistics_plan_release(&p);
    /* waiting today: the two lots registered after the plan */
    struct logistics_consignment *c;
    size_t n = open_until(&d, &op, day, &c);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c[i].date_ms, day);
    free(c);
    /* the day over: what was never picked up is open again, and
    ** tomorrow's dispatch takes every open consignment */
    int64_t tomorrow = day + 86400000;
    assert_int_equal(logistics_track_sweep(d.st, at + 14 * 3600000, 0, &sw, &e), 0); /* 00:30 */
    struct logistics_consignment_filter of_day = {.date_ms = day};
    assert_int_equal(logistics_consignment_list(d.st, &op, &of_day, &c, &n, &e), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(c[i].status, "planned");
    free(c);
    n = open_until(&d, &op, tomorrow, &c);
    assert_true(n >= 2);
    free(c);
    struct logistics_dispatch_req req = {.date_ms = tomorrow, .depot_node_id = depot};
    logistics_plan_params_default(&req.params);
    req.params.time_limit_s = 1;
    int64_t id = 0;
    assert_int_equal(logistics_dispatch(NULL, d.st, &op, &req, &id, &e), 0);
    struct logistics_plan t;
    logistics_plan_init(&t);
    assert_int_equal(logistics_plan_get(d.st, &op, id, &t, &e), 0);
    for (size_t i = 0; i < t.n_unassigned; i++)
        assert_int_equal(t.unassigned[i].consignment_id, 0);
    assert_int_equal(t.kpis.consignments_served, (int64_t)n);
    logistics_plan_release(&t);
    db_close(&d);
}

/* Seeded late in the evening, today's routes are done: every stop
** reported, the vehicles back, and every consignment the plan carried
** delivered (none left planned or on board). */
static void test_logistics_day_done(void **state)
{
    (void)state;
    struct db d;
    db_open(&d);
    int64_t day;
    int64_t at = local_hour(23, &day);
    struct auth_principal op;
    seed_logistics_at(&d, at, &op);
    struct logistics_plan p;
    demo_plan(&d, &op, day, &p);
    for (size_t r = 0; r < p.n_routes; r++) {
        const struct logistics_route *rt = &p.routes[r];
        assert_string_equal(rt->stops[rt->n_stops - 1].status, "arrived");
        for (size_t q = 0; q < rt->n_stops; q++)
            assert_string_not_equal(rt->stops[q].status, "pending");
    }
    logistics_plan_release(&p);
    struct err e = {0};
    struct logistics_consignment *c;
    size_t n;
    struct logistics_consignment_filter f = {.date_ms = day};
    assert_int_equal(logistics_consignment_list(d.st, &op, &f, &c, &n, &e), 0);
    size_t delivered = 0, open = 0;
    for (size_t i = 0; i < n; i++) {
        delivered += strcmp(c[i].status, "delivered") == 0;
        open += strcmp(c[i].status, "open") == 0;
    }
    free(c);
    assert_int_equal(open, 2); /* registered after the plan */
    assert_int_equal(delivered + open, n);
    db_close(&d);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refuses_accounts_without_county),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_shape_and_network),
#ifdef RL_HAVE_LOGISTICS
        cmocka_unit_test(test_logistics_day_under_way),
        cmocka_unit_test(test_logistics_day_done),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
