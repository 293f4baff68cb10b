/*
** network.c: a county's whole network in one read (county, townships,
** villages, nodes) and its GeoJSON export (RFC 7946: [lon, lat] order,
** WGS84). Every row is read inside one store_read, so the export is one
** consistent snapshot.
*/
#include "county/county_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct load_op {
    const struct auth_principal *who;
    struct county_network *net;
};

/* Read all ids of a table for the county (ascending), then load each. The
** tables are small (hundreds of rows per county) so two passes are cheap and
** reuse the row loaders. */
static int ids_of(struct store_conn *c, const char *table, int64_t cid, int64_t **ids, size_t *n,
                  struct err *e)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE county_id = ? ORDER BY id", table);
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, cid);
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)ids, &cap, *n + 1, sizeof **ids);
        (*ids)[(*n)++] = store_col_i64(s, 0);
    }
    return rc < 0 ? rc : 0;
}

static int load_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct load_op *op = arg;
    struct county_network *net = op->net;
    int64_t cid = op->who->county_id;
    int rc = county__load(c, cid, &net->county, e);
    if (rc)
        return rc;
    int64_t *ids = NULL;
    size_t n = 0;
    rc = ids_of(c, "townships", cid, &ids, &n, e);
    if (!rc) {
        net->townships = xcalloc(n ? n : 1, sizeof *net->townships);
        for (size_t i = 0; !rc && i < n; i++)
            rc = county__township_load(c, cid, ids[i], &net->townships[i], e);
        net->n_townships = n;
    }
    free(ids);
    ids = NULL;
    if (!rc)
        rc = ids_of(c, "villages", cid, &ids, &n, e);
    if (!rc) {
        net->villages = xcalloc(n ? n : 1, sizeof *net->villages);
        for (size_t i = 0; !rc && i < n; i++)
            rc = county__village_load(c, cid, ids[i], &net->villages[i], e);
        net->n_villages = n;
    }
    free(ids);
    ids = NULL;
    if (!rc)
        rc = ids_of(c, "nodes", cid, &ids, &n, e);
    if (!rc) {
        net->nodes = xcalloc(n ? n : 1, sizeof *net->nodes);
        for (size_t i = 0; !rc && i < n; i++)
            rc = county__node_load(c, cid, ids[i], &net->nodes[i], e);
        net->n_nodes = n;
    }
    free(ids);
    return rc;
}

int county_network_load(struct store *st, const struct auth_principal *who,
                        struct county_network *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    int rc = county__scope(who, e);
    if (rc)
        return rc;
    struct load_op op = {who, out};
    rc = store_read(st, load_fn, &op, e);
    if (rc)
        county_network_release(out);
    return rc;
}

void county_network_release(struct county_network *net)
{
    if (!net)
        return;
    free(net->townships);
    free(net->villages);
    free(net->nodes);
    memset(net, 0, sizeof *net);
}

/* ----------------------------------------------------------------- GeoJSON */

static void add_point_head(struct strbuf *sb, bool *first, struct geo_point p)
{
    strbuf_addstr(sb, *first ? "\n" : ",\n");
    *first = false;
    strbuf_addf(sb,
                "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                "[%.7f,%.7f]},\"properties\":{",
                p.lon, p.lat);
}

static void add_str_prop(struct strbuf *sb, const char *key, const char *v, bool comma)
{
    strbuf_addf(sb, "%s\"%s\":", comma ? "," : "", key);
    strbuf_add_json_str(sb, v, strlen(v));
}

static const struct county_node *find_node(const struct county_network *net, int64_t id)
{
    size_t lo = 0, hi = net->n_nodes; /* nodes are sorted by id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (net->nodes[mid].id == id)
            return &net->nodes[mid];
        if (net->nodes[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int county_network_geojson(const struct county_network *net, struct strbuf *sb, struct err *e)
{
    bool first = true;
    const struct county *k = &net->county;
    strbuf_addstr(sb, "{\"type\":\"FeatureCollection\",\"name\":");
    strbuf_add_json_str(sb, k->name_en[0] ? k->name_en : k->name_zh,
                        strlen(k->name_en[0] ? k->name_en : k->name_zh));
    strbuf_addstr(sb, ",\"features\":[");

    add_point_head(sb, &first, k->center);
    strbuf_addf(sb, "\"layer\":\"county\",\"id\":%lld", (long long)k->id);
    add_str_prop(sb, "kind", "county_seat", true);
    add_str_prop(sb, "name", k->name_zh, true);
    add_str_prop(sb, "name_en", k->name_en, true);
    strbuf_addf(sb, ",\"circuity\":%.3f}}", k->circuity);

    for (size_t i = 0; i < net->n_townships; i++) {
        const struct county_township *t = &net->townships[i];
        add_point_head(sb, &first, t->loc);
        strbuf_addf(sb, "\"layer\":\"township\",\"id\":%lld", (long long)t->id);
        add_str_prop(sb, "kind", "township", true);
        add_str_prop(sb, "name", t->name_zh, true);
        add_str_prop(sb, "name_en", t->name_en, true);
        strbuf_addstr(sb, "}}");
    }
    for (size_t i = 0; i < net->n_villages; i++) {
        const struct county_village *v = &net->villages[i];
        add_point_head(sb, &first, v->loc);
        strbuf_addf(sb, "\"layer\":\"village\",\"id\":%lld", (long long)v->id);
        add_str_prop(sb, "kind", "village", true);
        add_str_prop(sb, "name", v->name_zh, true);
        add_str_prop(sb, "name_en", v->name_en, true);
        strbuf_addf(sb,
                    ",\"township_id\":%lld,\"population\":%lld,\"households\":%lld,"
                    "\"elevation_m\":%lld}}",
                    (long long)v->township_id, (long long)v->population, (long long)v->households,
                    (long long)v->elevation_m);
    }
    for (size_t i = 0; i < net->n_nodes; i++) {
        const struct county_node *nd = &net->nodes[i];
        add_point_head(sb, &first, nd->loc);
        strbuf_addf(sb, "\"layer\":\"node\",\"id\":%lld", (long long)nd->id);
        add_str_prop(sb, "kind", county_node_kind_name(nd->kind), true);
        add_str_prop(sb, "name", nd->name, true);
        add_str_prop(sb, "name_en", nd->name_en, true);
        /* its village and township, for naming it in English by them */
        const struct {
            const char *key;
            int64_t id;
        } ids[] = {{"parent_id", nd->parent_id},
                   {"village_id", nd->village_id},
                   {"township_id", nd->township_id}};
        for (size_t j = 0; j < RL_ARRAY_LEN(ids); j++) {
            strbuf_addf(sb, ",\"%s\":", ids[j].key);
            if (ids[j].id)
                strbuf_addf(sb, "%lld", (long long)ids[j].id);
            else
                strbuf_addstr(sb, "null");
        }
        strbuf_addf(sb,
                    ",\"open_min\":%d,\"close_min\":%d,\"capacity_g\":%lld,"
                    "\"capacity_ml\":%lld,\"cold_capacity_ml\":%lld,\"active\":%s}}",
                    nd->open_min, nd->close_min, (long long)nd->capacity_g,
                    (long long)nd->capacity_ml, (long long)nd->cold_capacity_ml,
                    nd->active ? "true" : "false");
    }
    for (size_t i = 0; i < net->n_nodes; i++) {
        const struct county_node *nd = &net->nodes[i];
        const struct county_node *p = nd->parent_id ? find_node(net, nd->parent_id) : NULL;
        if (!p)
            continue;
        strbuf_addstr(sb, first ? "\n" : ",\n");
        first = false;
        strbuf_addf(sb,
                    "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\","
                    "\"coordinates\":[[%.7f,%.7f],[%.7f,%.7f]]},\"properties\":{"
                    "\"layer\":\"link\",\"from_id\":%lld,\"to_id\":%lld",
                    p->loc.lon, p->loc.lat, nd->loc.lon, nd->loc.lat, (long long)p->id,
                    (long long)nd->id);
        add_str_prop(sb, "kind", county_node_kind_name(nd->kind), true);
        strbuf_addf(sb, ",\"dist_m\":%.0f}}", geo_road_m(p->loc, nd->loc, k->circuity));
    }
    int rc = strbuf_addstr(sb, "\n]}\n");
    if (rc)
        return err_set(e, rc, "GeoJSON export too large");
    return 0;
}
