/*
** demo_county.c: the demo county's geography and network. A county seat in
** the middle of a 50 km x 40 km box; four or five valleys radiating from it;
** townships strung along the valleys; villages clustered around their
** township, stretched along the valley (settlement follows the valley
** floor); elevation rising away from the seat and the valley floor;
** populations log-normal, smaller up the mountain. Then the network: a
** county hub near the seat, a station per township, service points in most
** villages (all larger ones), and two cold stores (at the hub and at the
** remotest township). Everything goes through the county module's services.
*/
#include "demo/demo_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HALF_W_M 25000.0 /* the box: 50 km east-west */
#define HALF_H_M 20000.0 /* 40 km north-south */
#define MARGIN_M 500.0
#define PI 3.14159265358979323846

/* A place in local metres east/north of the county seat. */
struct xy {
    double x, y;
};

struct twp_plan {
    struct xy at;
    double dir;         /* valley direction (radians from east) */
    double weight;      /* share of villages */
    int64_t id;         /* township id once created */
    int64_t station_id; /* its station */
    double dist_m;      /* from the seat */
};

struct names {
    char (*zh)[COUNTY_NAME_BUF];
    size_t n, cap;
};

/* dst = a + b, cut to cap (names here are far shorter than the buffers). */
static void cat2(char *dst, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > cap - 1)
        la = cap - 1;
    if (lb > cap - 1 - la)
        lb = cap - 1 - la;
    memcpy(dst, a, la);
    memcpy(dst + la, b, lb);
    dst[la + lb] = '\0';
}

static bool name_used(const struct names *ns, const char *zh)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->zh[i], zh) == 0)
            return true;
    return false;
}

static void name_add(struct names *ns, const char *zh)
{
    xgrow((void **)&ns->zh, &ns->cap, ns->n + 1, sizeof *ns->zh);
    snprintf(ns->zh[ns->n++], COUNTY_NAME_BUF, "%s", zh);
}

/* A fresh two-syllable name plus suffix, unique in ns (retries, then a number). */
static void unique_name(struct demo_rng *r, struct names *ns, const char *suffix_zh,
                        const char *suffix_en, char *zh, char *en)
{
    char bzh[COUNTY_NAME_BUF], ben[COUNTY_NAME_BUF];
    for (int attempt = 0;; attempt++) {
        demo_place_name(r, bzh, ben);
        if (attempt >= 50) { /* table exhausted: add a number, still deterministic */
            size_t l = strlen(bzh);
            snprintf(bzh + l, sizeof bzh - l, "%d", attempt);
        }
        cat2(zh, COUNTY_NAME_BUF, bzh, suffix_zh);
        if (!name_used(ns, zh))
            break;
    }
    char spaced[COUNTY_NAME_BUF];
    cat2(spaced, sizeof spaced, ben, " ");
    cat2(en, COUNTY_NAME_BUF, spaced, suffix_en);
    name_add(ns, zh);
}

static struct xy clamp_box(struct xy p)
{
    double mx = HALF_W_M - MARGIN_M, my = HALF_H_M - MARGIN_M;
    p.x = p.x < -mx ? -mx : p.x > mx ? mx : p.x;
    p.y = p.y < -my ? -my : p.y > my ? my : p.y;
    return p;
}

static struct geo_point to_geo(struct geo_point seat, struct xy p)
{
    struct geo_point g = geo_offset_m(seat, p.x, p.y);
    /* round to 1e-6 degrees (about 0.1 m) so the data prints the same everywhere */
    g.lat = round(g.lat * 1e6) / 1e6;
    g.lon = round(g.lon * 1e6) / 1e6;
    return g;
}

static int plan_and_create_townships(struct demo_ctx *ctx, struct demo_rng *r,
                                     struct geo_point seat, struct names *ns, struct twp_plan **out,
                                     size_t *n_out, struct err *e)
{
    int n_valleys = (int)demo_rng_range(r, 4, 5);
    double valley_dir[5];
    double base = demo_rng_unit(r) * 2 * PI;
    for (int k = 0; k < n_valleys; k++)
        valley_dir[k] = base + k * 2 * PI / n_valleys + demo_rng_normal(r, 0, 0.2);
    size_t n = (size_t)demo_rng_range(r, 11, 13);
    struct twp_plan *tp = xcalloc(n, sizeof *tp);
    /* township 0 is the seat town; the others go round the valleys outwards */
    tp[0].dir = valley_dir[0];
    tp[0].weight = 1.4;
    for (size_t i = 1; i < n; i++) {
        int k = (int)((i - 1) % (size_t)n_valleys);
        int j = (int)((i - 1) / (size_t)n_valleys);
        double d = 7000.0 + j * 8500.0 + demo_rng_normal(r, 0, 1500);
        double dir = valley_dir[k] + demo_rng_normal(r, 0, 0.08);
        struct xy p = {cos(dir) * d, sin(dir) * d};
        double lateral = demo_rng_normal(r, 0, 900);
        p.x += -sin(dir) * lateral;
        p.y += cos(dir) * lateral;
        tp[i].at = clamp_box(p);
        tp[i].dir = dir;
        tp[i].weight = 0.7 + 0.6 * demo_rng_unit(r);
    }
    for (size_t i = 0; i < n; i++) {
        struct county_township t;
        memset(&t, 0, sizeof t);
        if (i == 0) {
            snprintf(t.name_zh, sizeof t.name_zh, "城关镇");
            snprintf(t.name_en, sizeof t.name_en, "Chengguan Town");
            name_add(ns, t.name_zh);
        } else {
            bool town = demo_rng_unit(r) < 0.5;
            unique_name(r, ns, town ? "镇" : "乡", town ? "Town" : "Township", t.name_zh,
                        t.name_en);
        }
        t.loc = to_geo(seat, tp[i].at);
        int rc = county_township_create(ctx->st, &ctx->sys, &t, e);
        if (rc) {
            free(tp);
            return err_prefix(e, "township %s: ", t.name_zh);
        }
        tp[i].id = t.id;
        tp[i].dist_m = hypot(tp[i].at.x, tp[i].at.y);
    }
    *out = tp;
    *n_out = n;
    return 0;
}

static int create_villages(struct demo_ctx *ctx, struct demo_rng *r, struct geo_point seat,
                           struct twp_plan *tp, size_t n_twp, struct err *e)
{
    int total = (int)demo_rng_range(r, 188, 212);
    double wsum = 0;
    for (size_t i = 0; i < n_twp; i++)
        wsum += tp[i].weight;
    int *count = xcalloc(n_twp, sizeof *count);
    int assigned = 0;
    for (size_t i = 1; i < n_twp; i++) {
        count[i] = (int)lround(total * tp[i].weight / wsum);
        assigned += count[i];
    }
    count[0] = total - assigned; /* the seat town takes the rounding */
    struct names local = {0};    /* village names are unique county-wide */
    int rc = 0;
    struct county_village *batch = NULL; /* all villages in one transaction */
    size_t nb = 0, cap = 0;
    for (size_t i = 0; i < n_twp && !rc; i++) {
        for (int k = 0; k < count[i] && !rc; k++) {
            double along = demo_rng_normal(r, 0, 3200);
            double across = demo_rng_normal(r, 0, 1300);
            double dir = tp[i].dir;
            struct xy p = {tp[i].at.x + cos(dir) * along - sin(dir) * across,
                           tp[i].at.y + sin(dir) * along + cos(dir) * across};
            p = clamp_box(p);
            double from_seat_km = hypot(p.x, p.y) / 1000.0;
            double elev =
                420 + 18 * from_seat_km + 140 * fabs(across) / 1000.0 + demo_rng_normal(r, 0, 60);
            elev = elev < 300 ? 300 : elev > 2100 ? 2100 : elev;
            double pop = exp(demo_rng_normal(r, log(650), 0.5)) * (1.25 - elev / 3000.0);
            pop = pop < 80 ? 80 : pop > 4000 ? 4000 : pop;

            struct county_village v;
            memset(&v, 0, sizeof v);
            v.township_id = tp[i].id;
            unique_name(r, &local, "村", "Village", v.name_zh, v.name_en);
            v.population = (int64_t)lround(pop);
            v.households = (int64_t)lround(pop / (3.1 + 0.8 * demo_rng_unit(r)));
            v.elevation_m = (int64_t)lround(elev / 10) * 10;
            v.loc = to_geo(seat, p);
            xgrow((void **)&batch, &cap, nb + 1, sizeof *batch);
            batch[nb++] = v;
        }
    }
    if (!rc)
        rc = county_village_create_many(ctx->st, &ctx->sys, batch, nb, e);
    if (rc)
        err_prefix(e, "villages: ");
    free(batch);
    free(local.zh);
    free(count);
    return rc;
}

static struct county_node node_at(enum county_node_kind k, const char *name, struct geo_point at,
                                  int64_t parent)
{
    struct county_node nd;
    memset(&nd, 0, sizeof nd);
    nd.kind = k;
    snprintf(nd.name, sizeof nd.name, "%s", name);
    nd.loc = at;
    nd.parent_id = parent;
    nd.active = true;
    return nd;
}

/* A node's English name: its place's English name (without a note in
** brackets: "Qinglan County (fictional demo)" names "Qinglan County
** logistics hub") and what it is ("service point", "station" ...). */
static void name_en(struct county_node *nd, const char *place, const char *what)
{
    size_t n = strlen(place);
    const char *br = strstr(place, " (");
    if (br && place[n - 1] == ')')
        n = (size_t)(br - place);
    if (n) /* no English place name: no English node name */
        snprintf(nd->name_en, sizeof nd->name_en, "%.*s %s", (int)n, place, what);
}

static int create_nodes(struct demo_ctx *ctx, struct demo_rng *r, struct geo_point seat,
                        const struct county *county, struct twp_plan *tp, size_t n_twp,
                        struct err *e)
{
    char name[COUNTY_NAME_BUF];
    /* the hub sits in the logistics park 1.5 km east of the seat */
    cat2(name, sizeof name, county->name_zh, "电商物流配送中心");
    struct county_node hub =
        node_at(COUNTY_NODE_HUB, name, to_geo(seat, (struct xy){1500, -300}), 0);
    name_en(&hub, county->name_en, "logistics hub");
    hub.open_min = 6 * 60;
    hub.close_min = 22 * 60;
    hub.capacity_g = INT64_C(300000000);   /* 300 t */
    hub.capacity_ml = INT64_C(2000000000); /* 2000 m3 */
    int rc = county_node_create(ctx->st, &ctx->sys, &hub, e);
    if (rc)
        return err_prefix(e, "hub: ");

    size_t remotest = 1;
    for (size_t i = 0; i < n_twp; i++) {
        struct county_township t;
        rc = county_township_get(ctx->st, &ctx->sys, tp[i].id, &t, e);
        if (rc)
            return rc;
        cat2(name, sizeof name, t.name_zh, "电商服务站");
        struct xy at = {tp[i].at.x + demo_rng_normal(r, 0, 150),
                        tp[i].at.y + demo_rng_normal(r, 0, 150)};
        struct county_node st = node_at(COUNTY_NODE_STATION, name, to_geo(seat, at), hub.id);
        name_en(&st, t.name_en, "station");
        st.township_id = t.id;
        st.open_min = 8 * 60;
        st.close_min = 18 * 60;
        st.capacity_g =
            i == 0 ? INT64_C(40000000) : INT64_C(15000000) + 1000000 * demo_rng_range(r, 0, 10);
        st.capacity_ml = st.capacity_g / 200 * 1000; /* ~200 kg per m3 of parcels */
        rc = county_node_create(ctx->st, &ctx->sys, &st, e);
        if (rc)
            return err_prefix(e, "station %s: ", name);
        tp[i].station_id = st.id;
        if (i > 0 && tp[i].dist_m > tp[remotest].dist_m)
            remotest = i;
    }

    /* village service points: every village over 500 people, 60 % of the rest;
    ** created together in one transaction */
    struct county_node *points = NULL;
    size_t np = 0, pcap = 0;
    struct county_village_filter vf = {0};
    vf.limit = COUNTY_LIST_MAX;
    char cur[COUNTY_CURSOR_BUF] = "", keep[COUNTY_CURSOR_BUF];
    do {
        snprintf(keep, sizeof keep, "%s", cur);
        vf.cursor = keep;
        struct county_village *vs = NULL;
        size_t nv = 0;
        rc = county_village_list(ctx->st, &ctx->sys, &vf, &vs, &nv, cur, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < nv && !rc; i++) {
            bool has = vs[i].population > 500 || demo_rng_unit(r) < 0.6;
            if (!has)
                continue;
            int64_t parent = 0;
            for (size_t k = 0; k < n_twp; k++)
                if (tp[k].id == vs[i].township_id)
                    parent = tp[k].station_id;
            cat2(name, sizeof name, vs[i].name_zh, "服务点");
            struct county_node pt = node_at(COUNTY_NODE_POINT, name, vs[i].loc, parent);
            name_en(&pt, vs[i].name_en, "service point");
            pt.village_id = vs[i].id;
            pt.open_min = 8 * 60;
            pt.close_min = 20 * 60;
            pt.capacity_g = 500000 + 250000 * demo_rng_range(r, 0, 6);
            pt.capacity_ml = pt.capacity_g / 100 * 1000 / 2;
            xgrow((void **)&points, &pcap, np + 1, sizeof *points);
            points[np++] = pt;
        }
        free(vs);
    } while (!rc && cur[0]);
    if (!rc)
        rc = county_node_create_many(ctx->st, &ctx->sys, points, np, e);
    free(points);
    if (rc)
        return err_prefix(e, "service points: ");

    cat2(name, sizeof name, county->name_zh, "冷链仓储中心");
    struct county_node cold =
        node_at(COUNTY_NODE_COLD_STORE, name, to_geo(seat, (struct xy){1700, -450}), hub.id);
    name_en(&cold, county->name_en, "cold store");
    cold.open_min = 0;
    cold.close_min = 1440;
    cold.capacity_g = INT64_C(80000000);
    cold.capacity_ml = INT64_C(400000000);
    cold.cold_capacity_ml = INT64_C(300000000); /* 300 m3 at 0-4 C */
    rc = county_node_create(ctx->st, &ctx->sys, &cold, e);
    if (rc)
        return err_prefix(e, "cold store: ");

    struct county_township far;
    rc = county_township_get(ctx->st, &ctx->sys, tp[remotest].id, &far, e);
    if (rc)
        return rc;
    cat2(name, sizeof name, far.name_zh, "产地冷库");
    struct xy at = {tp[remotest].at.x + 400, tp[remotest].at.y + 200};
    cold =
        node_at(COUNTY_NODE_COLD_STORE, name, to_geo(seat, clamp_box(at)), tp[remotest].station_id);
    name_en(&cold, far.name_en, "pre-cooling store");
    cold.open_min = 6 * 60;
    cold.close_min = 20 * 60;
    cold.capacity_g = INT64_C(20000000);
    cold.capacity_ml = INT64_C(100000000);
    cold.cold_capacity_ml = INT64_C(80000000); /* 80 m3 pre-cooling store at the farms */
    rc = county_node_create(ctx->st, &ctx->sys, &cold, e);
    if (rc)
        return err_prefix(e, "cold store: ");
    return 0;
}

int demo_seed_county(struct demo_ctx *ctx, struct err *e)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, "county");
    /* a fictional county in the hills of the Guizhou-Hunan border */
    struct geo_point seat = {27.05 + 0.2 * demo_rng_unit(&r), 108.45 + 0.2 * demo_rng_unit(&r)};
    seat.lat = round(seat.lat * 1e6) / 1e6;
    seat.lon = round(seat.lon * 1e6) / 1e6;
    struct county c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "DEMO-QL");
    snprintf(c.name_zh, sizeof c.name_zh, "青岚县");
    snprintf(c.name_en, sizeof c.name_en, "Qinglan County (fictional demo)");
    c.circuity = 1.45; /* mountain roads wind more than the 1.3 default */
    c.center = seat;
    int rc = county_create(ctx->st, NULL, &c, e);
    if (rc)
        return err_prefix(e, "county: ");
    ctx->county_id = c.id;
    ctx->sys.county_id = c.id;

    struct names ns = {0};
    struct twp_plan *tp = NULL;
    size_t n_twp = 0;
    rc = plan_and_create_townships(ctx, &r, seat, &ns, &tp, &n_twp, e);
    if (!rc)
        rc = create_villages(ctx, &r, seat, tp, n_twp, e);
    if (!rc)
        rc = create_nodes(ctx, &r, seat, &c, tp, n_twp, e);
    free(tp);
    free(ns.zh);
    if (rc)
        return rc;
    county_network_release(&ctx->net);
    return county_network_load(ctx->st, &ctx->sys, &ctx->net, e);
}
