/*
** coldchain.c: a route's cold-chain report, where a dispatch plan meets the
** telemetry of the vehicle that drove it (DESIGN.md: logistics reads
** readings from telemetry, never the other way round).
**
** The vehicle's temperature logger is a telemetry device bound with kind
** "vehicle" and ref = the vehicle's plate; its series whose field is "temp"
** (or "temperature") carries the readings. The route's span runs from the
** START departure to the END arrival (actual times where tracking recorded
** later ones), never past now. Each stop that unloads chilled or frozen
** goods gets the same report up to its delivery (the actual time once the
** driver reported it, else the planned arrival): MKT, excursions, time out
** of range and remaining shelf life at delivery. Stops still ahead are
** listed as pending. Reports replay telemetry's detector, so they agree
** with the live alerts.
**
** Compiled only when the telemetry module is in the build.
*/
#include "logistics/logistics_int.h"

#include "telemetry/telemetry.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static bool is_temp_field(const char *f)
{
    return !strcmp(f, "temp") || !strcmp(f, "temperature");
}

/* The temperature series of the logger bound to the plate: the one with
** the newest stored data when a vehicle carries several (the first when
** none is flushed yet). */
static int find_vehicle_series(struct telemetry *t, int64_t county_id, const char *plate,
                               int64_t *series_id, struct err *e)
{
    struct tm_device_binding *b = NULL;
    size_t nb = 0;
    int rc = tm_device_bindings(t, county_id, &b, &nb, e);
    if (rc)
        return rc;
    struct tm_series *s = NULL;
    size_t ns = 0;
    rc = tm_series_list(t, county_id, NULL, &s, &ns, e);
    if (rc) {
        free(b);
        return rc;
    }
    int64_t best = 0, best_last = 0;
    for (size_t i = 0; i < nb; i++) {
        if (strcmp(b[i].kind, "vehicle") || strcmp(b[i].ref, plate))
            continue;
        for (size_t j = 0; j < ns; j++)
            if (s[j].device_id == b[i].device_id && is_temp_field(s[j].field) &&
                (!best || s[j].last_ms > best_last)) {
                best = s[j].id;
                best_last = s[j].last_ms;
            }
    }
    free(b);
    free(s);
    if (!best)
        return err_set(e, ERR_NOTFOUND,
                       "no temperature logger is bound to vehicle %s (bind a device with kind "
                       "'vehicle' and ref '%s')",
                       plate, plate);
    *series_id = best;
    return 0;
}

/* When the goods of a stop changed hands: the reported time once the
** driver reported it, else the plan's. */
static int64_t stop_time(const struct logistics_stop *st, bool *actual)
{
    *actual = st->actual_ms > 0 && strcmp(st->status, "pending") != 0;
    return *actual ? st->actual_ms : st->arrive_ms;
}

static struct json_object *delivery_json(struct telemetry *t, int64_t county_id, int64_t sid,
                                         const char *profile, int64_t from_ms,
                                         const struct logistics_stop *st, int64_t now_ms)
{
    bool actual;
    int64_t at = stop_time(st, &actual);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "stop_id", json_object_new_int64(st->id));
    json_object_object_add(o, "seq", json_object_new_int(st->seq));
    json_object_object_add(o, "name", json_object_new_string(st->name ? st->name : ""));
    json_object_object_add(o, "status", json_object_new_string(st->status));
    json_object_object_add(o, "at", rjson_new_time(at));
    json_object_object_add(o, "actual", json_object_new_boolean(actual));
    struct json_object *orders = json_object_new_array();
    for (size_t k = 0; k < st->n_items; k++)
        if (!st->items[k].load && st->items[k].storage != LOGISTICS_AMBIENT &&
            st->items[k].order_id)
            json_object_array_add(orders, json_object_new_int64(st->items[k].order_id));
    json_object_object_add(o, "order_ids", orders);
    struct tm_report r;
    struct err e;
    err_clear(&e);
    if (at > now_ms || at <= from_ms) {
        json_object_object_add(o, "report", NULL);
        json_object_object_add(o, "note", json_object_new_string("not delivered yet"));
    } else if (tm_cold_chain_report(t, county_id, sid, profile, from_ms, at, &r, &e)) {
        json_object_object_add(o, "report", NULL);
        json_object_object_add(o, "note", json_object_new_string(e.msg));
    } else {
        json_object_object_add(o, "report", tm_report_to_json(&r));
    }
    return o;
}

static int route_json(struct telemetry *t, int64_t county_id, const struct logistics_plan *p,
                      const struct logistics_route *rt, const char *profile, int64_t now_ms,
                      struct json_object **out, struct err *e)
{
    if (rt->n_stops < 2)
        return err_set(e, ERR_NOTFOUND, "route %lld has no stops", (long long)rt->id);
    int64_t sid = 0;
    int rc = find_vehicle_series(t, county_id, rt->vehicle.plate, &sid, e);
    if (rc)
        return rc;
    const struct logistics_stop *first = &rt->stops[0], *last = &rt->stops[rt->n_stops - 1];
    int64_t from = first->depart_ms, to = last->arrive_ms;
    for (size_t i = 0; i < rt->n_stops; i++)
        if (rt->stops[i].actual_ms > to)
            to = rt->stops[i].actual_ms;
    bool complete = to <= now_ms;
    if (!complete)
        to = now_ms;
    if (to <= from)
        return err_set(e, ERR_CONFLICT, "route %lld has not started yet", (long long)rt->id);
    struct tm_report whole;
    rc = tm_cold_chain_report(t, county_id, sid, profile, from, to, &whole, e);
    if (rc)
        return rc;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "plan_id", json_object_new_int64(p->id));
    json_object_object_add(o, "route_id", json_object_new_int64(rt->id));
    json_object_object_add(o, "vehicle", json_object_new_string(rt->vehicle.plate));
    json_object_object_add(o, "complete", json_object_new_boolean(complete));
    json_object_object_add(o, "route", tm_report_to_json(&whole));
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < rt->n_stops; i++)
        if (rt->stops[i].chilled_unload > 0)
            json_object_array_add(arr, delivery_json(t, county_id, sid, whole.profile->code, from,
                                                     &rt->stops[i], now_ms));
    json_object_object_add(o, "deliveries", arr);
    *out = o;
    return 0;
}

int logistics_route_cold_chain(struct store *st, struct telemetry *t,
                               const struct auth_principal *who, int64_t plan_id, int64_t route_id,
                               const char *profile, int64_t now_ms, struct json_object **out,
                               struct err *e)
{
    struct logistics_plan p; /* a driver sees only its own routes in it */
    logistics_plan_init(&p);
    int rc = logistics_plan_get(st, who, plan_id, &p, e);
    if (rc) {
        logistics_plan_release(&p);
        return rc;
    }
    const struct logistics_route *rt = NULL;
    for (size_t i = 0; i < p.n_routes; i++)
        if (p.routes[i].id == route_id)
            rt = &p.routes[i];
    if (!rt)
        rc = err_set(e, ERR_NOTFOUND, "plan %lld has no route %lld", (long long)plan_id,
                     (long long)route_id);
    else
        rc = route_json(t, who->county_id, &p, rt, profile, now_ms, out, e);
    logistics_plan_release(&p);
    return rc;
}
