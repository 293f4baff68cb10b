/*
** write_json.c: a solution as VROOM-shaped JSON (vrp_write_json).
**
** Shape: {"code":0, "summary":{cost, routes, unassigned, delivery, pickup,
** setup, service, duration, waiting_time, priority, distance, violations,
** computing_times{loading, solving, routing}}, "unassigned":[{id, type,
** description?, location?, location_index}], "routes":[{vehicle,
** description?, cost, delivery, pickup, setup, service, duration,
** waiting_time, priority, distance, violations, steps:[{type, id?,
** description?, location?, location_index, setup, service, waiting_time,
** load, arrival, duration, distance, violations}]}]}. Descriptions are the
** input's, for tasks and vehicles that have one, as VROOM echoes them.
** As in VROOM, `duration` is travel time (cumulated along steps). Costs,
** times and distances are divided by problem.scale and printed with as
** many decimals as scale has zeros; loads are printed as they are.
** ruralink adds step type "reload" (multi-trip) and summary.iterations.
** computing_times are milliseconds.
*/
#include "vrp/read.h"

#include <math.h>
#include <string.h>

static int scaled(struct strbuf *sb, int64_t v, int64_t scale)
{
    if (scale <= 1)
        return strbuf_addf(sb, "%lld", (long long)v);
    int digits = 0;
    int64_t s = scale;
    while (s % 10 == 0 && s > 1) {
        s /= 10;
        digits++;
    }
    if (s != 1)
        return strbuf_addf(sb, "%.6f", (double)v / (double)scale);
    int64_t q = v / scale, r = v % scale;
    if (r < 0)
        r = -r;
    return strbuf_addf(sb, "%s%lld.%0*lld", v < 0 && q == 0 ? "-" : "", (long long)q, digits,
                       (long long)r);
}

static void amounts(struct strbuf *sb, const int64_t *a, int n)
{
    strbuf_addch(sb, '[');
    for (int d = 0; d < n; d++)
        strbuf_addf(sb, "%s%lld", d ? "," : "", (long long)a[d]);
    strbuf_addch(sb, ']');
}

static void location(struct strbuf *sb, const struct vrp_problem *p, int loc)
{
    if (loc < 0)
        return;
    if (p->lon && p->lat)
        strbuf_addf(sb, "\"location\":[%.10g,%.10g],", p->lon[loc], p->lat[loc]);
    strbuf_addf(sb, "\"location_index\":%d,", loc);
}

static void description(struct strbuf *sb, const char *d)
{
    if (!d)
        return;
    strbuf_addstr(sb, "\"description\":");
    strbuf_add_json_str(sb, d, strlen(d));
    strbuf_addch(sb, ',');
}

static const char *type_name(enum vrp_step_type t)
{
    static const char *names[] = {"start", "job", "pickup", "delivery", "reload", "end"};
    return (unsigned)t < RL_ARRAY_LEN(names) ? names[t] : "unknown";
}

/* Sum of what the tasks of a route deliver and pick up. */
static void route_amounts(const struct vrp_problem *p, const struct vrp_route *r, int64_t *del,
                          int64_t *pick, int64_t *prio)
{
    for (int i = 0; i < r->n_steps; i++) {
        int ti = r->steps[i].task;
        if (ti < 0)
            continue;
        const struct vrp_task *t = &p->tasks[ti];
        *prio += t->priority;
        for (int d = 0; d < VRP_MAX_DIMS; d++) {
            if (t->kind == VRP_JOB) {
                del[d] += t->delivery[d];
                pick[d] += t->pickup[d];
            } else if (t->kind == VRP_PICKUP) {
                pick[d] += t->pickup[d];
            } else {
                del[d] += t->delivery[d];
            }
        }
    }
}

int vrp_write_json(const struct vrp_problem *p, const struct vrp_solution *s, struct strbuf *sb)
{
    int64_t sc = p->scale;
    int nd = p->n_dims;
    int64_t del[VRP_MAX_DIMS] = {0}, pick[VRP_MAX_DIMS] = {0}, prio = 0;
    for (int r = 0; r < s->n_routes; r++)
        route_amounts(p, &s->routes[r], del, pick, &prio);
    strbuf_addstr(sb, "{\"code\":0,\"summary\":{\"cost\":");
    scaled(sb, s->cost, sc);
    strbuf_addf(sb, ",\"routes\":%d,\"unassigned\":%d,\"delivery\":", s->n_routes, s->n_unassigned);
    amounts(sb, del, nd);
    strbuf_addstr(sb, ",\"pickup\":");
    amounts(sb, pick, nd);
    strbuf_addstr(sb, ",\"setup\":");
    scaled(sb, s->setup, sc);
    strbuf_addstr(sb, ",\"service\":");
    scaled(sb, s->service, sc);
    strbuf_addstr(sb, ",\"duration\":");
    scaled(sb, s->travel, sc);
    strbuf_addstr(sb, ",\"waiting_time\":");
    scaled(sb, s->waiting, sc);
    strbuf_addf(sb, ",\"priority\":%lld,\"distance\":", (long long)prio);
    scaled(sb, s->distance, sc);
    strbuf_addf(sb,
                ",\"violations\":[],\"computing_times\":{\"loading\":%lld,\"solving\":%lld,"
                "\"routing\":0}",
                (long long)llround(s->load_s * 1000), (long long)llround(s->solve_s * 1000));
    if (s->iterations)
        strbuf_addf(sb, ",\"iterations\":%llu", (unsigned long long)s->iterations);
    strbuf_addstr(sb, "},\"unassigned\":[");
    for (int i = 0; i < s->n_unassigned; i++) {
        const struct vrp_task *t = &p->tasks[s->unassigned[i]];
        strbuf_addf(sb, "%s{\"id\":%lld,\"type\":\"%s\",", i ? "," : "", (long long)t->id,
                    vrp__kind_name(t->kind));
        description(sb, t->description);
        location(sb, p, t->loc);
        sb->len--; /* the trailing comma */
        strbuf_addch(sb, '}');
    }
    strbuf_addstr(sb, "],\"routes\":[");
    for (int r = 0; r < s->n_routes; r++) {
        const struct vrp_route *rt = &s->routes[r];
        int64_t rdel[VRP_MAX_DIMS] = {0}, rpick[VRP_MAX_DIMS] = {0}, rprio = 0;
        route_amounts(p, rt, rdel, rpick, &rprio);
        const struct vrp_vehicle *v = &p->vehicles[rt->vehicle];
        strbuf_addf(sb, "%s{\"vehicle\":%lld,", r ? "," : "", (long long)v->id);
        description(sb, v->description);
        strbuf_addstr(sb, "\"cost\":");
        scaled(sb, rt->cost, sc);
        strbuf_addstr(sb, ",\"delivery\":");
        amounts(sb, rdel, nd);
        strbuf_addstr(sb, ",\"pickup\":");
        amounts(sb, rpick, nd);
        strbuf_addstr(sb, ",\"setup\":");
        scaled(sb, rt->setup, sc);
        strbuf_addstr(sb, ",\"service\":");
        scaled(sb, rt->service, sc);
        strbuf_addstr(sb, ",\"duration\":");
        scaled(sb, rt->travel, sc);
        strbuf_addstr(sb, ",\"waiting_time\":");
        scaled(sb, rt->waiting, sc);
        strbuf_addf(sb, ",\"priority\":%lld,\"distance\":", (long long)rprio);
        scaled(sb, rt->distance, sc);
        strbuf_addstr(sb, ",\"violations\":[],\"steps\":[");
        for (int i = 0; i < rt->n_steps; i++) {
            const struct vrp_step *st = &rt->steps[i];
            strbuf_addf(sb, "%s{\"type\":\"%s\",", i ? "," : "", type_name(st->type));
            if (st->task >= 0) {
                strbuf_addf(sb, "\"id\":%lld,", (long long)p->tasks[st->task].id);
                description(sb, p->tasks[st->task].description);
            }
            location(sb, p, st->loc);
            strbuf_addstr(sb, "\"setup\":");
            scaled(sb, st->setup, sc);
            strbuf_addstr(sb, ",\"service\":");
            scaled(sb, st->service, sc);
            strbuf_addstr(sb, ",\"waiting_time\":");
            scaled(sb, st->waiting, sc);
            strbuf_addstr(sb, ",\"load\":");
            amounts(sb, st->load, nd);
            strbuf_addstr(sb, ",\"arrival\":");
            scaled(sb, st->arrival, sc);
            strbuf_addstr(sb, ",\"duration\":");
            scaled(sb, st->travel, sc);
            strbuf_addstr(sb, ",\"distance\":");
            scaled(sb, st->distance, sc);
            strbuf_addstr(sb, ",\"violations\":[]}");
        }
        strbuf_addstr(sb, "]}");
    }
    return strbuf_addstr(sb, "]}\n");
}
