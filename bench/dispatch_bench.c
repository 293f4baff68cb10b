/*
** dispatch_bench.c: behind bench/dispatch. Seeds the demo county in a
** temporary database, makes a day of N orders (default 2,000) to village
** service points (villages drawn by population, 1-12 kg each, 10 % chilled)
** and a fleet of V vehicles at the hub (default 15, three of them chilled
** vans; --chilled-pct sets the chilled share), then:
**   - plans it with logistics_plan_build under a time limit (the engine);
**   - builds the county's naive baseline: each township served by its own
**     fixed loop (its village points in nearest-neighbour order from the
**     hub), one vehicle per loop, chilled goods of the ambient trucks' loops
**     on the chilled vans left (see below), evaluated with
**     logistics_plan_fixed;
** and prints both plans' KPIs (the same KPI code) side by side as JSON.
**
** usage: dispatch_bench [--orders N] [--vehicles V] [--time-limit S] [--seed N]
**                       [--chilled-pct P]
*/
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "county/county.h"
#include "demo/demo.h"
#include "schema/schema.h"
#include "geo/geo.h"
#include "logistics/logistics.h"

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    int n_orders = 2000, n_veh = 15;
    double limit = 20;
    uint64_t seed = 7;
    int chilled_pct = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--orders"))
            n_orders = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--vehicles"))
            n_veh = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--time-limit"))
            limit = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--chilled-pct"))
            chilled_pct = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
    }
    char dir[] = "/tmp/rl-dispatch-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[300];
    snprintf(path, sizeof path, "%s/b.db", dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.synchronous_full = false;
    struct err e = {0};
    struct store *st;
    if (store_open(&st, &cfg, &e) || schema_register_all(st, &e) || store_migrate(st, &e) ||
        demo_seed(st, NULL, &e)) {
        fprintf(stderr, "setup: %s\n", e.msg);
        return 1;
    }
    struct county c;
    county_first(st, &c, &e);
    struct auth_principal sys = {.county_id = c.id, .role = AUTH_ROLE_ADMIN};
    struct county_network net;
    if (county_network_load(st, &sys, &net, &e)) {
        fprintf(stderr, "network: %s\n", e.msg);
        return 1;
    }
    int64_t hub = 0;
    struct geo_point hub_pt = {0, 0};
    for (size_t i = 0; i < net.n_nodes; i++)
        if (net.nodes[i].kind == COUNTY_NODE_HUB && !hub) {
            hub = net.nodes[i].id;
            hub_pt = net.nodes[i].loc;
        }
    /* village points, weighted by population */
    size_t n_pts = 0;
    const struct county_node **pts = calloc(net.n_nodes, sizeof *pts);
    int64_t *weight = calloc(net.n_nodes, sizeof *weight);
    int64_t total_w = 0;
    for (size_t i = 0; i < net.n_nodes; i++)
        if (net.nodes[i].kind == COUNTY_NODE_POINT) {
            int64_t pop = 300;
            for (size_t v = 0; v < net.n_villages; v++)
                if (net.villages[v].id == net.nodes[i].village_id)
                    pop = net.villages[v].population;
            pts[n_pts] = &net.nodes[i];
            weight[n_pts++] = pop + 200;
            total_w += pop + 200;
        }
    uint64_t s = seed;
    struct logistics_work *work = calloc((size_t)n_orders, sizeof *work);
    for (int i = 0; i < n_orders; i++) {
        int64_t x = (int64_t)(rng(&s) % (uint64_t)total_w);
        size_t k = 0;
        while (x >= weight[k])
            x -= weight[k++];
        work[i].order_id = i + 1;
        work[i].node_id = pts[k]->id;
        work[i].village_id = pts[k]->village_id;
        work[i].weight_g = 1000 + (int64_t)(rng(&s) % 11000);
        work[i].volume_ml = work[i].weight_g * 2;
        work[i].storage =
            (int)(rng(&s) % 100) < chilled_pct ? LOGISTICS_CHILLED : LOGISTICS_AMBIENT;
        work[i].label = "parcel";
    }
    struct logistics_vehicle *veh = calloc((size_t)n_veh, sizeof *veh);
    for (int k = 0; k < n_veh; k++) {
        bool cold = k >= n_veh - 3;
        veh[k] =
            (struct logistics_vehicle){.id = k + 1,
                                       .depot_node_id = hub,
                                       .capacity_g = cold ? 1000000 : 1500000,
                                       .capacity_ml = cold ? 5000000 : 8000000,
                                       .temp = cold ? LOGISTICS_TEMP_CHILLED : LOGISTICS_TEMP_NONE,
                                       .cost_per_km_fen = cold ? 150 : 120,
                                       .cost_per_hour_fen = 3000,
                                       .fixed_cost_fen = cold ? 12000 : 8000,
                                       .shift_start_min = 7 * 60,
                                       .shift_end_min = 19 * 60,
                                       .co2_g_per_km = cold ? 280 : 220,
                                       .active = true};
        snprintf(veh[k].plate, sizeof veh[k].plate, "BENCH-%02d", k + 1);
    }
    int64_t date_ms = 0;
    time_parse_date("2026-11-30", &date_ms);
    struct logistics_travel_cfg travel = {.road = GEO_ROAD_TOWNSHIP};

    /* the optimised plan */
    struct logistics_plan_params prm;
    logistics_plan_params_default(&prm);
    prm.time_limit_s = limit;
    prm.seed = seed;
    struct logistics_plan opt;
    logistics_plan_init(&opt);
    double t0 = time_mono_s();
    if (logistics_plan_build(&net, &travel, date_ms, hub, veh, (size_t)n_veh, work,
                             (size_t)n_orders, &prm, &opt, &e)) {
        fprintf(stderr, "plan: %s\n", e.msg);
        return 1;
    }
    double plan_s = time_mono_s() - t0;

    /* The baseline: one nearest-neighbour loop per township from the hub, by
    ** an ambient truck while there are any (it carries the township's ambient
    ** goods), else by a chilled van (all its goods); the chilled goods of the
    ** trucks' townships ride the remaining chilled vans, townships split
    ** among them in order, villages in nearest-neighbour order. The same
    ** fleet and the same cold-chain rule as the engine's plan. */
    size_t n_tw = net.n_townships;
    int n_amb = n_veh - 3 > 0 ? n_veh - 3 : 0;
    int64_t **loops = calloc(n_tw + 4, sizeof *loops);
    size_t *loop_len = calloc(n_tw + 4, sizeof *loop_len);
    int *loop_veh = calloc(n_tw + 4, sizeof *loop_veh);
    int *tw_of_pt = calloc(n_pts + 1, sizeof *tw_of_pt);
    bool *has_cold = calloc(n_pts + 1, sizeof *has_cold);
    for (size_t k = 0; k < n_pts; k++) {
        tw_of_pt[k] = -1;
        for (size_t v = 0; v < net.n_villages; v++)
            if (net.villages[v].id == pts[k]->village_id)
                for (size_t t = 0; t < n_tw; t++)
                    if (net.townships[t].id == net.villages[v].township_id)
                        tw_of_pt[k] = (int)t;
        for (int i = 0; i < n_orders; i++)
            has_cold[k] |= work[i].node_id == pts[k]->id && work[i].storage != LOGISTICS_AMBIENT;
    }
    size_t n_loops = 0;
    int next_amb = 0, next_cold = n_amb;
    bool *tw_by_truck = calloc(n_tw + 1, sizeof *tw_by_truck);
    /* nearest-neighbour order of the points selected by `want` */
#define NN_LOOP(want)                                                                              \
    do {                                                                                           \
        int64_t *ids = calloc(n_pts + 1, sizeof *ids);                                             \
        bool *used = calloc(n_pts + 1, sizeof *used);                                              \
        size_t n = 0;                                                                              \
        struct geo_point at = hub_pt;                                                              \
        for (;;) {                                                                                 \
            size_t best = n_pts;                                                                   \
            double bd = 1e18;                                                                      \
            for (size_t k = 0; k < n_pts; k++) {                                                   \
                if (used[k] || !(want))                                                            \
                    continue;                                                                      \
                double d = geo_haversine_m(at, pts[k]->loc);                                       \
                if (d < bd) {                                                                      \
                    bd = d;                                                                        \
                    best = k;                                                                      \
                }                                                                                  \
            }                                                                                      \
            if (best == n_pts)                                                                     \
                break;                                                                             \
            used[best] = true;                                                                     \
            ids[n++] = pts[best]->id;                                                              \
            at = pts[best]->loc;                                                                   \
        }                                                                                          \
        free(used);                                                                                \
        loops[n_loops] = ids;                                                                      \
        loop_len[n_loops] = n;                                                                     \
    } while (0)
    for (size_t t = 0; t < n_tw; t++) {
        int v = next_amb < n_amb ? next_amb++ : next_cold < n_veh ? next_cold++ : -1;
        if (v < 0) {
            fprintf(stderr, "more township loops than vehicles\n");
            return 1;
        }
        tw_by_truck[t] = v < n_amb;
        NN_LOOP(tw_of_pt[k] == (int)t);
        if (!loop_len[n_loops]) {
            free(loops[n_loops]);
            continue;
        }
        loop_veh[n_loops++] = v;
    }
    int n_cold_left = n_veh - next_cold;
    for (int cv = 0; cv < n_cold_left; cv++) {
        /* townships served by trucks, split in order among the vans left */
        size_t lo = n_tw * (size_t)cv / (size_t)n_cold_left,
               hi = n_tw * (size_t)(cv + 1) / (size_t)n_cold_left;
        NN_LOOP(has_cold[k] && tw_of_pt[k] >= (int)lo && tw_of_pt[k] < (int)hi &&
                tw_by_truck[tw_of_pt[k]]);
        if (!loop_len[n_loops]) {
            free(loops[n_loops]);
            continue;
        }
        loop_veh[n_loops++] = next_cold++;
    }
#undef NN_LOOP
    struct logistics_plan base;
    logistics_plan_init(&base);
    if (logistics_plan_fixed(&net, &travel, date_ms, hub, veh, (size_t)n_veh, work,
                             (size_t)n_orders, loop_veh, (const int64_t *const *)loops, loop_len,
                             n_loops, &prm, &base, &e)) {
        fprintf(stderr, "baseline: %s\n", e.msg);
        return 1;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "orders", json_object_new_int(n_orders));
    json_object_object_add(o, "vehicles", json_object_new_int(n_veh));
    json_object_object_add(o, "village_points", json_object_new_int64((int64_t)n_pts));
    json_object_object_add(o, "villages", json_object_new_int64((int64_t)net.n_villages));
    json_object_object_add(o, "townships", json_object_new_int64((int64_t)n_tw));
    json_object_object_add(o, "baseline_routes", json_object_new_int64((int64_t)n_loops));
    json_object_object_add(o, "chilled_pct", json_object_new_int(chilled_pct));
    json_object_object_add(o, "time_limit_s", rjson_new_double(limit, 4));
    json_object_object_add(o, "plan_s", rjson_new_double(plan_s, 4));
    json_object_object_add(o, "optimised", logistics_kpis_to_json(&opt.kpis));
    json_object_object_add(o, "baseline", logistics_kpis_to_json(&base.kpis));
    double red = base.kpis.distance_m
                     ? 100.0 * (double)(base.kpis.distance_m - opt.kpis.distance_m) /
                           (double)base.kpis.distance_m
                     : 0;
    json_object_object_add(o, "distance_reduction_pct", rjson_new_double(red, 4));
    json_object_object_add(
        o, "cost_reduction_pct",
        rjson_new_double(base.kpis.cost_fen
                             ? 100.0 * (double)(base.kpis.cost_fen - opt.kpis.cost_fen) /
                                   (double)base.kpis.cost_fen
                             : 0,
                         4));
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
    json_object_put(o);
    logistics_plan_release(&opt);
    logistics_plan_release(&base);
    for (size_t i = 0; i < n_loops; i++)
        free(loops[i]);
    free(loops);
    free(loop_len);
    free(loop_veh);
    free(tw_of_pt);
    free(has_cold);
    free(tw_by_truck);
    free(veh);
    free(work);
    free(pts);
    free(weight);
    county_network_release(&net);
    store_close(st);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[400];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}
