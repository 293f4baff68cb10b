/*
** siting.c: warehouse-siting analyses on the county's own data. Demand per
** village is the weight (kg, at least 1 per order) of orders not cancelled
** or refunded in a window, placed to the village's service point (or to an
** address, counted for the nearest village). Candidate sites are existing
** nodes (hubs, stations, cold stores) and/or villages; distances are the
** road estimate in metres. The site engine picks p sites (p-median) or
** opens sites against a fixed cost (facility location, optionally
** capacitated). Coverage = share of demand within coverage_km of its
** nearest open site, before (existing hubs and stations) and after. The
** result is stored (lg_site_analyses) as JSON.
*/
#include "logistics/logistics_int.h"

#include "market/market.h"
#include "site/site.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cand {
    bool village;
    int64_t id;
    const char *name;
    struct geo_point loc;
};

struct sa_write {
    const struct auth_principal *who;
    struct json_object *result;
    int64_t id;
};

static int sa_insert(struct store_conn *c, void *arg, struct err *e)
{
    struct sa_write *w = arg;
    struct store_stmt *s;
    int64_t now = time_now_ms();
    int rc = store_prepare(c,
                           "INSERT INTO lg_site_analyses (county_id, created_by, result_json, "
                           "created_ms) VALUES (?,?,'{}',?) RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, w->who->user_id);
    store_bind_i64(s, 3, now);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
    w->id = store_col_i64(s, 0);
    store_step(s, e);
    json_object_object_add(w->result, "id", json_object_new_int64(w->id));
    json_object_object_add(w->result, "created", rjson_new_time(now));
    if ((rc = store_prepare(c, "UPDATE lg_site_analyses SET result_json = ? WHERE id = ?", &s, e)))
        return rc;
    store_bind_text(s, 1, rjson_str(w->result, NULL), -1);
    store_bind_i64(s, 2, w->id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    return logistics__audit(c, w->who, "site.analyse", "site_analysis", w->id, NULL, e);
}

/* Share (0..1) of demand within radius of its nearest site, and the
** demand-weighted mean distance in km. */
static void coverage(const struct county_village *cl, const int64_t *demand, size_t nc,
                     const struct geo_point *sites, size_t ns, double circ, double radius_m,
                     double *share, double *mean_km)
{
    double total = 0, covered = 0, dist = 0;
    for (size_t i = 0; i < nc; i++) {
        double best = 1e18;
        for (size_t k = 0; k < ns; k++) {
            double d = geo_road_m(cl[i].loc, sites[k], circ);
            if (d < best)
                best = d;
        }
        total += (double)demand[i];
        if (best <= radius_m)
            covered += (double)demand[i];
        dist += (double)demand[i] * (ns ? best : 0);
    }
    *share = total > 0 ? covered / total : 0;
    *mean_km = total > 0 ? dist / total / 1000 : 0;
}

int logistics_site_analyse(struct store *st, const struct auth_principal *who,
                           const struct logistics_site_req *req, int64_t *id, struct strbuf *sb,
                           struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors run siting analyses");
    struct logistics_site_req r = *req;
    if (!r.candidates_nodes && !r.candidates_villages)
        r.candidates_nodes = true;
    if (r.coverage_km <= 0)
        r.coverage_km = 10;
    if (r.time_limit_s <= 0)
        r.time_limit_s = 5;
    if (r.p < 0 || r.p > 1000 || r.coverage_km > 500 || r.time_limit_s > 120 || r.fixed_cost < 0 ||
        r.capacity_kg < 0)
        return err_set(e, ERR_INVAL,
                       "p 0-1000, coverage_km (0, 500], time_limit_s (0, 120], "
                       "fixed_cost and capacity_kg >= 0");
    bool fc = r.fixed_cost_given || r.fixed_cost > 0;
    if (r.p > 0 && fc)
        return err_set(e, ERR_INVAL,
                       "give p (p-median) or fixed_cost (facility location), not both");
    if (r.p == 0 && !fc)
        return err_set(e, ERR_INVAL, "give p (p-median) or fixed_cost (facility location)");
    /* else an empty window reads as "no order history" (409) */
    if (r.since_ms && r.until_ms && r.since_ms > r.until_ms)
        return err_set(e, ERR_INVAL, "since is after until");
    struct county_network net;
    int rc = county_network_load(st, who, &net, e);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a, 8192);
    struct market_dispatch_order *orders = NULL;
    size_t n_orders = 0;
    struct market_dispatch_filter f = {.status_mask = ((1u << MARKET_STATUS_COUNT) - 1) &
                                                      ~(1u << MARKET_CANCELLED) &
                                                      ~(1u << MARKET_REFUNDED),
                                       .since_ms = r.since_ms,
                                       .until_ms = r.until_ms};
    rc = market_dispatch_orders(st, who, &f, &a, &orders, &n_orders, e);
    int64_t *dem = xcalloc(net.n_villages + 1, sizeof *dem);
    for (size_t i = 0; !rc && i < n_orders; i++) {
        const struct market_dispatch_order *o = &orders[i];
        int64_t vid = 0;
        for (size_t k = 0; k < net.n_nodes && !vid; k++)
            if (net.nodes[k].id == o->delivery_node_id)
                vid = net.nodes[k].village_id;
        size_t vi = net.n_villages;
        if (vid) {
            for (size_t k = 0; k < net.n_villages; k++)
                if (net.villages[k].id == vid)
                    vi = k;
        } else if (o->has_coords) {
            double best = 1e18;
            for (size_t k = 0; k < net.n_villages; k++) {
                double d = geo_haversine_m(net.villages[k].loc, (struct geo_point){o->lat, o->lon});
                if (d < best) {
                    best = d;
                    vi = k;
                }
            }
        }
        if (vi < net.n_villages)
            dem[vi] += o->weight_g > 1000 ? (o->weight_g + 999) / 1000 : 1;
    }
    /* clients: villages with demand */
    size_t nc = 0;
    struct county_village *cl = xcalloc(net.n_villages + 1, sizeof *cl);
    int64_t *cd = xcalloc(net.n_villages + 1, sizeof *cd);
    int64_t total = 0;
    for (size_t k = 0; k < net.n_villages; k++)
        if (dem[k] > 0) {
            cl[nc] = net.villages[k];
            cd[nc++] = dem[k];
            total += dem[k];
        }
    if (!rc && nc == 0)
        rc = err_set(e, ERR_CONFLICT, "no order history in the window: no demand to site for");
    /* candidates and the existing network */
    struct cand *cs = xcalloc(net.n_nodes + net.n_villages + 1, sizeof *cs);
    struct geo_point *existing = xcalloc(net.n_nodes + 1, sizeof *existing);
    size_t ncs = 0, nex = 0;
    for (size_t k = 0; k < net.n_nodes; k++) {
        const struct county_node *nd = &net.nodes[k];
        if (!nd->active)
            continue;
        if (nd->kind == COUNTY_NODE_HUB || nd->kind == COUNTY_NODE_STATION)
            existing[nex++] = nd->loc;
        if (r.candidates_nodes && nd->kind != COUNTY_NODE_POINT)
            cs[ncs++] = (struct cand){false, nd->id, nd->name, nd->loc};
    }
    if (r.candidates_villages)
        for (size_t k = 0; k < net.n_villages; k++)
            cs[ncs++] = (struct cand){true, net.villages[k].id, net.villages[k].name_zh,
                                      net.villages[k].loc};
    if (!rc && (ncs == 0 || (r.p > 0 && (size_t)r.p > ncs)))
        rc = err_set(e, ERR_INVAL, "p = %d but there are %zu candidate sites", r.p, ncs);
    double circ = net.county.circuity > 0 ? net.county.circuity : GEO_CIRCUITY_DEFAULT;
    struct site_problem *sp = NULL;
    struct site_solution *sol = NULL;
    if (!rc) {
        sp = site_problem_new((int)nc, (int)ncs);
        sp->demand = xcalloc(nc, sizeof *sp->demand);
        for (size_t i = 0; i < nc; i++) {
            sp->demand[i] = cd[i];
            for (size_t k = 0; k < ncs; k++)
                sp->dist[i * ncs + k] = (int64_t)llround(geo_road_m(cl[i].loc, cs[k].loc, circ));
        }
        sp->p = r.p;
        if (r.p == 0) {
            sp->fixed_cost = xcalloc(ncs, sizeof *sp->fixed_cost);
            for (size_t k = 0; k < ncs; k++)
                sp->fixed_cost[k] = r.fixed_cost;
            if (r.capacity_kg > 0) {
                sp->capacity = xcalloc(ncs, sizeof *sp->capacity);
                for (size_t k = 0; k < ncs; k++)
                    sp->capacity[k] = r.capacity_kg;
            }
        }
        struct site_params prm;
        site_params_default(&prm);
        prm.time_limit_s = r.time_limit_s;
        rc = site_solve(sp, &prm, &sol, e);
    }
    if (!rc) {
        struct geo_point *after = xcalloc((size_t)sol->n_open + 1, sizeof *after);
        struct json_object *res = json_object_new_object();
        json_object_object_add(res, "mode",
                               json_object_new_string(r.p ? "p_median" : "facility_location"));
        if (r.p)
            json_object_object_add(res, "p", json_object_new_int(r.p));
        else
            json_object_object_add(res, "fixed_cost", json_object_new_int64(r.fixed_cost));
        json_object_object_add(res, "clients", json_object_new_int64((int64_t)nc));
        json_object_object_add(res, "candidates", json_object_new_int64((int64_t)ncs));
        json_object_object_add(res, "orders", json_object_new_int64((int64_t)n_orders));
        json_object_object_add(res, "demand_kg", json_object_new_int64(total));
        json_object_object_add(res, "cost", json_object_new_int64(sol->cost));
        json_object_object_add(res, "optimal", json_object_new_boolean(sol->optimal));
        json_object_object_add(res, "solve_s", rjson_new_double(sol->solve_s, 4));
        struct json_object *open = json_object_new_array();
        for (int k = 0; k < sol->n_open; k++) {
            const struct cand *c = &cs[sol->open[k]];
            after[k] = c->loc;
            int64_t load = 0;
            for (size_t i = 0; i < nc; i++)
                if (sol->assign[i] == sol->open[k])
                    load += cd[i];
            struct json_object *j = json_object_new_object();
            json_object_object_add(j, "kind",
                                   json_object_new_string(c->village ? "village" : "node"));
            json_object_object_add(j, "id", json_object_new_int64(c->id));
            json_object_object_add(j, "name", json_object_new_string(c->name ? c->name : ""));
            json_object_object_add(j, "lat", rjson_new_double(c->loc.lat, 9));
            json_object_object_add(j, "lon", rjson_new_double(c->loc.lon, 9));
            json_object_object_add(j, "demand_kg", json_object_new_int64(load));
            json_object_array_add(open, j);
        }
        json_object_object_add(res, "open_sites", open);
        double sb0, mb0, sa0, ma0;
        coverage(cl, cd, nc, existing, nex, circ, r.coverage_km * 1000, &sb0, &mb0);
        coverage(cl, cd, nc, after, (size_t)sol->n_open, circ, r.coverage_km * 1000, &sa0, &ma0);
        struct json_object *cov = json_object_new_object();
        json_object_object_add(cov, "radius_km", rjson_new_double(r.coverage_km, 6));
        json_object_object_add(cov, "existing_sites", json_object_new_int64((int64_t)nex));
        json_object_object_add(cov, "before", rjson_new_double(sb0, 4));
        json_object_object_add(cov, "after", rjson_new_double(sa0, 4));
        json_object_object_add(cov, "mean_km_before", rjson_new_double(mb0, 4));
        json_object_object_add(cov, "mean_km_after", rjson_new_double(ma0, 4));
        json_object_object_add(res, "coverage", cov);
        free(after);
        struct sa_write w = {who, res, 0};
        rc = store_write(st, sa_insert, &w, e);
        if (!rc) {
            if (id)
                *id = w.id;
            size_t n;
            const char *s = rjson_str(res, &n);
            rc = strbuf_add(sb, s, n);
        }
        json_object_put(res);
    }
    site_solution_free(sol);
    site_problem_free(sp);
    free(cs);
    free(existing);
    free(cl);
    free(cd);
    free(dem);
    arena_release(&a);
    county_network_release(&net);
    return rc;
}

struct sg {
    const struct auth_principal *who;
    int64_t id;
    struct strbuf *sb;
};

static int sa_read(struct store_conn *c, void *arg, struct err *e)
{
    struct sg *g = arg;
    struct store_stmt *s;
    int rc = store_prepare(
        c, "SELECT result_json FROM lg_site_analyses WHERE county_id = ? AND id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, g->who->county_id);
    store_bind_i64(s, 2, g->id);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "no analysis %lld", (long long)g->id);
    return strbuf_addstr(g->sb, store_col_text(s, 0));
}

int logistics_site_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct strbuf *sb, struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read siting analyses");
    struct sg g = {who, id, sb};
    return store_read(st, sa_read, &g, e);
}
