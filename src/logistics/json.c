/*
** json.c: the API's JSON shapes for vehicles, KPIs, plans (with routes,
** stops, items and unassigned work) and plan comparisons.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct json_object *logistics_vehicle_to_json(const struct logistics_vehicle *v)
{
    return logistics__vehicle_json(v);
}

static const char *storage_name(enum logistics_storage s)
{
    return s == LOGISTICS_CHILLED ? "chilled" : s == LOGISTICS_FROZEN ? "frozen" : "ambient";
}

struct json_object *logistics_kpis_to_json(const struct logistics_kpis *k)
{
    struct json_object *o = json_object_new_object();
#define I(name) json_object_object_add(o, #name, json_object_new_int64(k->name))
    I(routes);
    I(stops);
    I(orders_served);
    I(orders_unassigned);
    I(consignments_served);
    I(consignments_unassigned);
    I(villages_served);
    I(distance_m);
    I(driving_s);
    I(duration_s);
    I(cost_fen);
    I(co2_g);
    I(load_permille);
    I(lateness_s);
    I(chilled_transit_min);
#undef I
    json_object_object_add(o, "distance_km", rjson_new_double((double)k->distance_m / 1000, 6));
    json_object_object_add(o, "driving_hours", rjson_new_double((double)k->driving_s / 3600, 4));
    json_object_object_add(o, "co2_kg", rjson_new_double((double)k->co2_g / 1000, 6));
    json_object_object_add(o, "load_factor", rjson_new_double((double)k->load_permille / 1000, 3));
    return o;
}

static struct json_object *stop_json(const struct logistics_stop *s, int64_t delay_s)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(s->id));
    json_object_object_add(o, "seq", json_object_new_int(s->seq));
    json_object_object_add(o, "kind", json_object_new_string(logistics_stop_kind_name(s->kind)));
    json_object_object_add(o, "node_id", json_object_new_int64(s->node_id));
    json_object_object_add(o, "village_id", json_object_new_int64(s->village_id));
    json_object_object_add(o, "name", json_object_new_string(s->name ? s->name : ""));
    if (!s->node_id && s->address && s->address[0])
        json_object_object_add(o, "address", json_object_new_string(s->address));
    json_object_object_add(o, "lat", rjson_new_double(s->loc.lat, 9));
    json_object_object_add(o, "lon", rjson_new_double(s->loc.lon, 9));
    json_object_object_add(o, "eta", rjson_new_time(s->arrive_ms));
    /* the planned ETA moved by the route's current delay (tracking) */
    if (strcmp(s->status, "pending") == 0 && delay_s > 0)
        json_object_object_add(o, "eta_live", rjson_new_time(s->arrive_ms + delay_s * 1000));
    json_object_object_add(o, "departure", rjson_new_time(s->depart_ms));
    json_object_object_add(o, "window_start", rjson_new_time(s->tw_start_ms));
    json_object_object_add(o, "window_end", rjson_new_time(s->tw_end_ms));
    json_object_object_add(o, "leg_dist_m", json_object_new_int64(s->leg_dist_m));
    json_object_object_add(o, "leg_dur_s", json_object_new_int64(s->leg_dur_s));
    json_object_object_add(o, "load_g", json_object_new_int64(s->load_g));
    json_object_object_add(o, "load_ml", json_object_new_int64(s->load_ml));
    json_object_object_add(o, "status", json_object_new_string(s->status));
    if (s->actual_ms)
        json_object_object_add(o, "actual", rjson_new_time(s->actual_ms));
    if (s->fail_reason && s->fail_reason[0])
        json_object_object_add(o, "fail_reason", json_object_new_string(s->fail_reason));
    struct json_object *items = json_object_new_array();
    for (size_t i = 0; i < s->n_items; i++) {
        const struct logistics_item *it = &s->items[i];
        struct json_object *j = json_object_new_object();
        if (it->order_id)
            json_object_object_add(j, "order_id", json_object_new_int64(it->order_id));
        if (it->consignment_id)
            json_object_object_add(j, "consignment_id", json_object_new_int64(it->consignment_id));
        json_object_object_add(j, "action", json_object_new_string(it->load ? "load" : "unload"));
        json_object_object_add(j, "weight_g", json_object_new_int64(it->weight_g));
        json_object_object_add(j, "volume_ml", json_object_new_int64(it->volume_ml));
        json_object_object_add(j, "storage", json_object_new_string(storage_name(it->storage)));
        json_object_object_add(j, "label", json_object_new_string(it->label ? it->label : ""));
        json_object_object_add(j, "urgent", json_object_new_boolean(it->urgent));
        /* what the goods are: an order's lines, a consignment's description */
        if (it->order_id && it->n_lines)
            json_object_object_add(j, "lines", logistics__lines_json(it->lines, it->n_lines));
        if (it->consignment_id)
            json_object_object_add(j, "description",
                                   json_object_new_string(it->description ? it->description : ""));
        json_object_array_add(items, j);
    }
    json_object_object_add(o, "items", items);
    return o;
}

/* The routes of p over capacity, and by how much. */
static struct json_object *overloads_json(const struct logistics_plan *p, size_t *count)
{
    struct logistics_overload *ov;
    size_t n;
    logistics_plan_overloads(p, &ov, &n);
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "route_id", json_object_new_int64(ov[i].route_id));
        json_object_object_add(j, "seq", json_object_new_int(ov[i].seq));
        json_object_object_add(j, "vehicle_id", json_object_new_int64(ov[i].vehicle_id));
        json_object_object_add(j, "plate", json_object_new_string(ov[i].plate));
        json_object_object_add(j, "peak_g", json_object_new_int64(ov[i].peak_g));
        json_object_object_add(j, "capacity_g", json_object_new_int64(ov[i].capacity_g));
        json_object_object_add(j, "over_g", json_object_new_int64(ov[i].over_g));
        json_object_object_add(j, "peak_ml", json_object_new_int64(ov[i].peak_ml));
        json_object_object_add(j, "capacity_ml", json_object_new_int64(ov[i].capacity_ml));
        json_object_object_add(j, "over_ml", json_object_new_int64(ov[i].over_ml));
        json_object_array_add(arr, j);
    }
    free(ov);
    if (count)
        *count = n;
    return arr;
}

struct json_object *logistics_plan_to_json(const struct logistics_plan *p, bool with_routes)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(p->id));
    json_object_object_add(o, "kind", json_object_new_string(p->kind));
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "status",
                           json_object_new_string(logistics_plan_status_name(p->status)));
    char day[32];
    time_fmt_rfc3339(p->date_ms, day);
    day[10] = 0;
    json_object_object_add(o, "date", json_object_new_string(day));
    json_object_object_add(o, "depot_node_id", json_object_new_int64(p->depot_node_id));
    json_object_object_add(o, "solve_s", rjson_new_double(p->solve_s, 4));
    json_object_object_add(o, "created_by", json_object_new_int64(p->created_by));
    if (p->created_ms)
        json_object_object_add(o, "created", rjson_new_time(p->created_ms));
    if (p->approved_ms) {
        json_object_object_add(o, "approved_by", json_object_new_int64(p->approved_by));
        json_object_object_add(o, "approved", rjson_new_time(p->approved_ms));
    }
    json_object_object_add(o, "kpis", logistics_kpis_to_json(&p->kpis));
    if (!with_routes)
        return o;
    struct json_object *routes = json_object_new_array();
    for (size_t r = 0; r < p->n_routes; r++) {
        const struct logistics_route *rt = &p->routes[r];
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_object_new_int64(rt->id));
        json_object_object_add(j, "seq", json_object_new_int(rt->seq));
        json_object_object_add(j, "vehicle", logistics__vehicle_json(&rt->vehicle));
        json_object_object_add(j, "driver_user_id", json_object_new_int64(rt->driver_user_id));
        json_object_object_add(j, "delay_s", json_object_new_int64(rt->delay_s));
        struct json_object *stops = json_object_new_array();
        for (size_t q = 0; q < rt->n_stops; q++)
            json_object_array_add(stops, stop_json(&rt->stops[q], rt->delay_s));
        json_object_object_add(j, "stops", stops);
        json_object_array_add(routes, j);
    }
    json_object_object_add(o, "routes", routes);
    struct json_object *un = json_object_new_array();
    for (size_t i = 0; i < p->n_unassigned; i++) {
        const struct logistics_unassigned *u = &p->unassigned[i];
        struct json_object *j = json_object_new_object();
        if (u->order_id)
            json_object_object_add(j, "order_id", json_object_new_int64(u->order_id));
        if (u->consignment_id)
            json_object_object_add(j, "consignment_id", json_object_new_int64(u->consignment_id));
        json_object_object_add(j, "node_id", json_object_new_int64(u->node_id));
        json_object_object_add(j, "reason", json_object_new_string(u->reason));
        json_object_object_add(j, "detail", json_object_new_string(u->detail ? u->detail : ""));
        json_object_array_add(un, j);
    }
    json_object_object_add(o, "unassigned", un);
    json_object_object_add(o, "overloaded", overloads_json(p, NULL));
    return o;
}

struct json_object *logistics_compare_json(const struct logistics_plan *a,
                                           const struct logistics_plan *b)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "a", logistics_plan_to_json(a, false));
    json_object_object_add(o, "b", logistics_plan_to_json(b, false));
    struct json_object *d = json_object_new_object();
    const int64_t av[] = {a->kpis.distance_m,      a->kpis.driving_s,  a->kpis.duration_s,
                          a->kpis.cost_fen,        a->kpis.co2_g,      a->kpis.load_permille,
                          a->kpis.villages_served, a->kpis.lateness_s, a->kpis.chilled_transit_min,
                          a->kpis.orders_served,   a->kpis.routes};
    const int64_t bv[] = {b->kpis.distance_m,      b->kpis.driving_s,  b->kpis.duration_s,
                          b->kpis.cost_fen,        b->kpis.co2_g,      b->kpis.load_permille,
                          b->kpis.villages_served, b->kpis.lateness_s, b->kpis.chilled_transit_min,
                          b->kpis.orders_served,   b->kpis.routes};
    static const char *const names[] = {"distance_m",      "driving_s",  "duration_s",
                                        "cost_fen",        "co2_g",      "load_permille",
                                        "villages_served", "lateness_s", "chilled_transit_min",
                                        "orders_served",   "routes"};
    for (size_t i = 0; i < RL_ARRAY_LEN(names); i++) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "a", json_object_new_int64(av[i]));
        json_object_object_add(j, "b", json_object_new_int64(bv[i]));
        json_object_object_add(j, "diff", json_object_new_int64(bv[i] - av[i]));
        if (av[i])
            json_object_object_add(
                j, "diff_pct",
                rjson_new_double(100.0 * (double)(bv[i] - av[i]) / (double)av[i], 4));
        json_object_object_add(d, names[i], j);
    }
    json_object_object_add(o, "kpis", d);
    /* The KPIs are whole plans': they compare like for like only when both
    ** serve the same work and both can be driven (a fixed route may carry
    ** more than its vehicle takes) */
    size_t over_a, over_b;
    struct json_object *ov = json_object_new_object();
    json_object_object_add(ov, "a", overloads_json(a, &over_a));
    json_object_object_add(ov, "b", overloads_json(b, &over_b));
    json_object_object_add(o, "overloaded", ov);
    struct logistics_work_overlap w;
    logistics_work_overlap(a, b, &w);
    struct json_object *work = json_object_new_object();
    const int64_t wv[2][3] = {{w.orders_both, w.orders_only_a, w.orders_only_b},
                              {w.cons_both, w.cons_only_a, w.cons_only_b}};
    for (int k = 0; k < 2; k++) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "both", json_object_new_int64(wv[k][0]));
        json_object_object_add(j, "only_a", json_object_new_int64(wv[k][1]));
        json_object_object_add(j, "only_b", json_object_new_int64(wv[k][2]));
        json_object_object_add(work, k ? "consignments" : "orders", j);
    }
    json_object_object_add(o, "work", work);
    bool same = !w.orders_only_a && !w.orders_only_b && !w.cons_only_a && !w.cons_only_b;
    json_object_object_add(o, "like_for_like", json_object_new_boolean(same && !over_a && !over_b));
    return o;
}
