/*
** kpis.c: plan KPIs computed from routes and stops alone, so a stored plan's
** KPIs can be recomputed from its stored stops and must come out equal.
**
**   distance_m      sum of legs
**   driving_s       sum of leg durations
**   duration_s      per route END arrival - START departure, summed
**   cost_fen        per route: fixed cost + per_km x km + per_hour x hours of
**                   duration (each product rounded half up to the fen)
**   co2_g           per route: g/km x km (rounded half up)
**   load_permille   sum over routes of the peak weight on board / sum of
**                   weight capacities, x 1000 (rounded down)
**   villages_served distinct villages of delivery/pickup stops not failed
**   lateness_s      sum over stops of max(0, arrival - window end)
**   chilled_transit_min  chilled/frozen item-minutes on board: for every
**                   such item, unloading arrival - loading departure; summed
**                   as sum(unloads x arrival) - sum(loads x departure)
*/
#include "logistics/logistics_int.h"

#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void logistics_kpis_compute(const struct logistics_plan *p, struct logistics_kpis *k)
{
    memset(k, 0, sizeof *k);
    size_t nv = 0, capv = 0;
    int64_t *villages = NULL;
    int64_t peak_sum = 0, cap_sum = 0, chilled_ms = 0;
    for (size_t r = 0; r < p->n_routes; r++) {
        const struct logistics_route *rt = &p->routes[r];
        const struct logistics_vehicle *v = &rt->vehicle;
        int64_t dist = 0, peak = 0;
        bool serves = false;
        for (size_t s = 0; s < rt->n_stops; s++) {
            const struct logistics_stop *st = &rt->stops[s];
            dist += st->leg_dist_m;
            k->driving_s += st->leg_dur_s;
            if (st->load_g > peak)
                peak = st->load_g;
            if (st->kind == LOGISTICS_STOP_START && st->n_items) {
                int64_t g = 0;
                for (size_t i = 0; i < st->n_items; i++)
                    g += st->items[i].weight_g;
                if (g > peak)
                    peak = g;
            }
            if (st->tw_end_ms && st->arrive_ms > st->tw_end_ms && st->kind != LOGISTICS_STOP_START)
                k->lateness_s += (st->arrive_ms - st->tw_end_ms) / 1000;
            chilled_ms += (int64_t)st->chilled_unload * st->arrive_ms -
                          (int64_t)st->chilled_load * st->depart_ms;
            if (st->kind == LOGISTICS_STOP_START || st->kind == LOGISTICS_STOP_END)
                continue;
            serves = true;
            k->stops++;
            bool failed = strcmp(st->status, "failed") == 0;
            for (size_t i = 0; i < st->n_items && !failed; i++) {
                const struct logistics_item *it = &st->items[i];
                if (it->order_id && !it->load)
                    k->orders_served++;
                if (it->consignment_id && it->load)
                    k->consignments_served++;
            }
            if (st->village_id && !failed) {
                xgrow((void **)&villages, &capv, nv + 1, sizeof *villages);
                villages[nv++] = st->village_id;
            }
        }
        k->routes++;
        k->distance_m += dist;
        int64_t dur = 0;
        if (rt->n_stops >= 2)
            dur = (rt->stops[rt->n_stops - 1].arrive_ms - rt->stops[0].depart_ms) / 1000;
        k->duration_s += dur;
        k->cost_fen += (serves ? v->fixed_cost_fen : 0) + (v->cost_per_km_fen * dist + 500) / 1000 +
                       (v->cost_per_hour_fen * dur + 1800) / 3600;
        k->co2_g += (v->co2_g_per_km * dist + 500) / 1000;
        peak_sum += peak;
        cap_sum += v->capacity_g;
    }
    for (size_t i = 0; i < p->n_unassigned; i++) {
        if (p->unassigned[i].order_id)
            k->orders_unassigned++;
        if (p->unassigned[i].consignment_id)
            k->consignments_unassigned++;
    }
    if (nv) {
        qsort(villages, nv, sizeof *villages, cmp_i64);
        for (size_t i = 0; i < nv; i++)
            if (i == 0 || villages[i] != villages[i - 1])
                k->villages_served++;
    }
    free(villages);
    k->load_permille = cap_sum > 0 ? peak_sum * 1000 / cap_sum : 0;
    k->chilled_transit_min = chilled_ms / 60000;
}
