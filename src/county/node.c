/*
** node.c: the nodes table, the three-tier logistics network: create, get,
** update, delete (refused while children exist) and paginated lists, scoped
** to the caller's county. Parent rules keep the tree acyclic by kind:
** county_hub has no parent; township_station's parent is a hub;
** village_point's parent is a station; cold_store's parent is none, a hub or
** a station. A village_point names its village (its township is derived).
*/
#include "county/county_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define NODE_COLS                                                                                  \
    "id, county_id, kind, name, lat, lon, parent_id, township_id, village_id, "                    \
    "open_min, close_min, capacity_g, capacity_ml, cold_capacity_ml, active, "                     \
    "created_ms, updated_ms, name_en"

static const char *const kind_names[COUNTY_NODE_KIND_COUNT] = {
    [COUNTY_NODE_HUB] = "county_hub",
    [COUNTY_NODE_STATION] = "township_station",
    [COUNTY_NODE_POINT] = "village_point",
    [COUNTY_NODE_COLD_STORE] = "cold_store",
};

const char *county_node_kind_name(enum county_node_kind k)
{
    if ((int)k < 0 || k >= COUNTY_NODE_KIND_COUNT)
        return NULL;
    return kind_names[k];
}

int county_node_kind_parse(const char *name, enum county_node_kind *out)
{
    for (int i = 0; name && i < COUNTY_NODE_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum county_node_kind)i;
            return 0;
        }
    }
    return ERR_INVAL;
}

static void read_row(struct store_stmt *s, void *item)
{
    struct county_node *nd = item;
    nd->id = store_col_i64(s, 0);
    nd->county_id = store_col_i64(s, 1);
    enum county_node_kind k = COUNTY_NODE_POINT;
    county_node_kind_parse(store_col_text(s, 2), &k); /* CHECK constraint keeps it valid */
    nd->kind = k;
    county__copy(nd->name, sizeof nd->name, store_col_text(s, 3));
    nd->loc.lat = store_col_double(s, 4);
    nd->loc.lon = store_col_double(s, 5);
    nd->parent_id = store_col_is_null(s, 6) ? 0 : store_col_i64(s, 6);
    nd->township_id = store_col_is_null(s, 7) ? 0 : store_col_i64(s, 7);
    nd->village_id = store_col_is_null(s, 8) ? 0 : store_col_i64(s, 8);
    nd->open_min = (int)store_col_i64(s, 9);
    nd->close_min = (int)store_col_i64(s, 10);
    nd->capacity_g = store_col_i64(s, 11);
    nd->capacity_ml = store_col_i64(s, 12);
    nd->cold_capacity_ml = store_col_i64(s, 13);
    nd->active = store_col_i64(s, 14) != 0;
    nd->created_ms = store_col_i64(s, 15);
    nd->updated_ms = store_col_i64(s, 16);
    county__copy(nd->name_en, sizeof nd->name_en, store_col_text(s, 17));
}

int county__node_load(struct store_conn *c, int64_t county_id, int64_t id, struct county_node *out,
                      struct err *e)
{
    return county__load_row(c, "SELECT " NODE_COLS " FROM nodes WHERE county_id = ? AND id = ?",
                            county_id, id, "node", read_row, out, e);
}

#define CAPACITY_MAX ((int64_t)1000000000000000) /* 10^15: a million tonnes, a million m3 */

/* Checks that need no database. */
static int validate(const struct county_node *nd, struct err *e)
{
    if (!county_node_kind_name(nd->kind))
        return err_set(e, ERR_INVAL,
                       "field 'kind' must be county_hub, township_station, village_point or "
                       "cold_store");
    int rc = county__check_name("name", nd->name, false, e);
    if (!rc)
        rc = county__check_name("name_en", nd->name_en, true, e);
    if (!rc)
        rc = county__check_point("coordinates", nd->loc, e);
    if (rc)
        return rc;
    if (nd->open_min < 0 || nd->close_min > 1440 || nd->open_min >= nd->close_min)
        return err_set(e, ERR_INVAL,
                       "opening hours must satisfy 0 <= open_min < close_min <= 1440");
    if (nd->capacity_g < 0 || nd->capacity_g > CAPACITY_MAX || nd->capacity_ml < 0 ||
        nd->capacity_ml > CAPACITY_MAX || nd->cold_capacity_ml < 0 ||
        nd->cold_capacity_ml > CAPACITY_MAX)
        return err_set(e, ERR_INVAL, "capacities must be 0-%lld", (long long)CAPACITY_MAX);
    if (nd->parent_id < 0 || nd->township_id < 0 || nd->village_id < 0)
        return err_set(e, ERR_INVAL, "ids must be positive (0 or null for none)");
    if (nd->id && nd->parent_id == nd->id)
        return err_set(e, ERR_INVAL, "a node cannot be its own parent");
    switch (nd->kind) {
    case COUNTY_NODE_HUB:
        if (nd->parent_id)
            return err_set(e, ERR_INVAL, "a county_hub has no parent");
        break;
    case COUNTY_NODE_STATION:
        if (!nd->parent_id)
            return err_set(e, ERR_INVAL, "a township_station needs a county_hub parent");
        if (!nd->township_id)
            return err_set(e, ERR_INVAL, "a township_station needs a township_id");
        break;
    case COUNTY_NODE_POINT:
        if (!nd->parent_id)
            return err_set(e, ERR_INVAL, "a village_point needs a township_station parent");
        if (!nd->village_id)
            return err_set(e, ERR_INVAL, "a village_point needs a village_id");
        break;
    case COUNTY_NODE_COLD_STORE:
        if (nd->cold_capacity_ml <= 0)
            return err_set(e, ERR_INVAL, "a cold_store needs cold_capacity_ml > 0");
        break;
    default:
        break;
    }
    return 0;
}

static bool parent_allowed(enum county_node_kind child, enum county_node_kind parent)
{
    switch (child) {
    case COUNTY_NODE_STATION:
        return parent == COUNTY_NODE_HUB;
    case COUNTY_NODE_POINT:
        return parent == COUNTY_NODE_STATION;
    case COUNTY_NODE_COLD_STORE:
        return parent == COUNTY_NODE_HUB || parent == COUNTY_NODE_STATION;
    default:
        return false;
    }
}

/* Checks against other rows of the county; may fill nd->township_id from
** the village. */
static int check_refs(struct store_conn *c, struct county_node *nd, struct err *e)
{
    int64_t cid = nd->county_id;
    int rc;
    if (nd->parent_id) {
        struct county_node p;
        rc = county__node_load(c, cid, nd->parent_id, &p, e);
        if (rc == ERR_NOTFOUND)
            return err_set(e, ERR_INVAL, "parent node %lld does not exist in this county",
                           (long long)nd->parent_id);
        if (rc)
            return rc;
        if (!parent_allowed(nd->kind, p.kind))
            return err_set(e, ERR_INVAL, "a %s cannot have a %s as parent",
                           county_node_kind_name(nd->kind), county_node_kind_name(p.kind));
    }
    if (nd->village_id) {
        struct county_village v;
        rc = county__village_load(c, cid, nd->village_id, &v, e);
        if (rc == ERR_NOTFOUND)
            return err_set(e, ERR_INVAL, "village %lld does not exist in this county",
                           (long long)nd->village_id);
        if (rc)
            return rc;
        if (nd->township_id && nd->township_id != v.township_id)
            return err_set(e, ERR_INVAL, "village %lld belongs to township %lld, not %lld",
                           (long long)v.id, (long long)v.township_id, (long long)nd->township_id);
        nd->township_id = v.township_id;
    }
    if (nd->township_id) {
        bool found;
        rc = county__exists(c, COUNTY__EXISTS_SQL("townships"), cid, nd->township_id, &found, e);
        if (rc)
            return rc;
        if (!found)
            return err_set(e, ERR_INVAL, "township %lld does not exist in this county",
                           (long long)nd->township_id);
    }
    return 0;
}

static void bind_opt_id(struct store_stmt *s, int idx, int64_t id)
{
    if (id)
        store_bind_i64(s, idx, id);
    else
        store_bind_null(s, idx);
}

struct op {
    const struct auth_principal *who;
    int64_t id;
    const struct county_node *in;
    unsigned mask;
    struct county_node *out;
};

static int insert_one(struct store_conn *c, const struct auth_principal *who,
                      struct county_node *nd, struct err *e)
{
    int rc = check_refs(c, nd, e);
    if (rc)
        return rc;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO nodes (county_id, kind, name, lat, lon, parent_id, "
                       "township_id, village_id, open_min, close_min, capacity_g, capacity_ml, "
                       "cold_capacity_ml, active, created_ms, updated_ms, name_en) VALUES (?, ?, "
                       "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, nd->county_id);
    store_bind_text(s, 2, county_node_kind_name(nd->kind), -1);
    store_bind_text(s, 3, nd->name, -1);
    store_bind_double(s, 4, nd->loc.lat);
    store_bind_double(s, 5, nd->loc.lon);
    bind_opt_id(s, 6, nd->parent_id);
    bind_opt_id(s, 7, nd->township_id);
    bind_opt_id(s, 8, nd->village_id);
    store_bind_i64(s, 9, nd->open_min);
    store_bind_i64(s, 10, nd->close_min);
    store_bind_i64(s, 11, nd->capacity_g);
    store_bind_i64(s, 12, nd->capacity_ml);
    store_bind_i64(s, 13, nd->cold_capacity_ml);
    store_bind_i64(s, 14, nd->active ? 1 : 0);
    store_bind_i64(s, 15, now);
    store_bind_i64(s, 16, now);
    store_bind_text(s, 17, nd->name_en, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "insert returned no id");
    nd->id = store_col_i64(s, 0);
    nd->created_ms = nd->updated_ms = now;
    store_step(s, NULL);
    return county__audit(c, who, nd->county_id, "create", "node", nd->id, county_node_to_json(nd),
                         e);
}

static int create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    return insert_one(c, op->who, op->out, e);
}

struct many_op {
    const struct auth_principal *who;
    struct county_node *items;
    size_t n;
};

static int many_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct many_op *op = arg;
    for (size_t i = 0; i < op->n; i++) {
        int rc = insert_one(c, op->who, &op->items[i], e);
        if (rc)
            return err_prefix(e, "item %zu: ", i);
    }
    return 0;
}

int county_node_create(struct store *st, const struct auth_principal *who, struct county_node *nd,
                       struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    nd->county_id = who->county_id;
    nd->id = 0;
    if (nd->open_min == 0 && nd->close_min == 0)
        nd->close_min = 1440; /* unset hours: open all day */
    rc = validate(nd, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .out = nd};
    return store_write(st, create_fn, &op, e);
}

int county_node_create_many(struct store *st, const struct auth_principal *who,
                            struct county_node *items, size_t n, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (n > COUNTY_BATCH_MAX)
        return err_set(e, ERR_TOOBIG, "at most %d nodes at once", COUNTY_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        items[i].county_id = who->county_id;
        items[i].id = 0;
        if (items[i].open_min == 0 && items[i].close_min == 0)
            items[i].close_min = 1440;
        rc = validate(&items[i], e);
        if (rc)
            return err_prefix(e, "item %zu: ", i);
    }
    struct many_op op = {who, items, n};
    rc = store_write(st, many_fn, &op, e);
    if (rc)
        for (size_t i = 0; i < n; i++)
            items[i].id = 0; /* rolled back: none of them exists */
    return rc;
}

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    return county__node_load(c, op->who->county_id, op->id, op->out, e);
}

int county_node_get(struct store *st, const struct auth_principal *who, int64_t id,
                    struct county_node *out, struct err *e)
{
    int rc = county__scope(who, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .id = id, .out = out};
    return store_read(st, get_fn, &op, e);
}

static int update_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    const struct county_node *in = op->in;
    int64_t cid = op->who->county_id;
    struct county_node nd;
    int rc = county__node_load(c, cid, op->id, &nd, e);
    if (rc)
        return rc;
    enum county_node_kind old_kind = nd.kind;
    if (op->mask & NODE_F_KIND)
        nd.kind = in->kind;
    if (op->mask & NODE_F_NAME)
        memcpy(nd.name, in->name, sizeof nd.name);
    if (op->mask & NODE_F_NAME_EN)
        memcpy(nd.name_en, in->name_en, sizeof nd.name_en);
    if (op->mask & NODE_F_LOC)
        nd.loc = in->loc;
    if (op->mask & NODE_F_PARENT)
        nd.parent_id = in->parent_id;
    if (op->mask & NODE_F_TOWNSHIP)
        nd.township_id = in->township_id;
    if (op->mask & NODE_F_VILLAGE) {
        nd.village_id = in->village_id;
        if (!(op->mask & NODE_F_TOWNSHIP) && in->village_id)
            nd.township_id = 0; /* derived again from the new village */
    }
    if (op->mask & NODE_F_OPEN)
        nd.open_min = in->open_min;
    if (op->mask & NODE_F_CLOSE)
        nd.close_min = in->close_min;
    if (op->mask & NODE_F_CAPACITY_G)
        nd.capacity_g = in->capacity_g;
    if (op->mask & NODE_F_CAPACITY_ML)
        nd.capacity_ml = in->capacity_ml;
    if (op->mask & NODE_F_COLD_ML)
        nd.cold_capacity_ml = in->cold_capacity_ml;
    if (op->mask & NODE_F_ACTIVE)
        nd.active = in->active;
    rc = validate(&nd, e);
    if (!rc)
        rc = check_refs(c, &nd, e);
    if (rc)
        return rc;
    if (nd.kind != old_kind) {
        int64_t kids = 0;
        rc = county__count_refs(c, "nodes", "parent_id", cid, nd.id, &kids, e);
        if (rc)
            return rc;
        if (kids)
            return err_set(e, ERR_CONFLICT,
                           "node %lld has %lld child nodes; its kind cannot change",
                           (long long)nd.id, (long long)kids);
    }
    nd.updated_ms = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE nodes SET kind = ?, name = ?, lat = ?, lon = ?, parent_id = ?, "
                       "township_id = ?, village_id = ?, open_min = ?, close_min = ?, "
                       "capacity_g = ?, capacity_ml = ?, cold_capacity_ml = ?, active = ?, "
                       "updated_ms = ?, name_en = ? WHERE county_id = ? AND id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, county_node_kind_name(nd.kind), -1);
    store_bind_text(s, 2, nd.name, -1);
    store_bind_double(s, 3, nd.loc.lat);
    store_bind_double(s, 4, nd.loc.lon);
    bind_opt_id(s, 5, nd.parent_id);
    bind_opt_id(s, 6, nd.township_id);
    bind_opt_id(s, 7, nd.village_id);
    store_bind_i64(s, 8, nd.open_min);
    store_bind_i64(s, 9, nd.close_min);
    store_bind_i64(s, 10, nd.capacity_g);
    store_bind_i64(s, 11, nd.capacity_ml);
    store_bind_i64(s, 12, nd.cold_capacity_ml);
    store_bind_i64(s, 13, nd.active ? 1 : 0);
    store_bind_i64(s, 14, nd.updated_ms);
    store_bind_text(s, 15, nd.name_en, -1);
    store_bind_i64(s, 16, cid);
    store_bind_i64(s, 17, nd.id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    *op->out = nd;
    return county__audit(c, op->who, cid, "update", "node", nd.id, county_node_to_json(&nd), e);
}

int county_node_update(struct store *st, const struct auth_principal *who, int64_t id,
                       const struct county_node *in, unsigned mask, struct county_node *out,
                       struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (!mask)
        return err_set(e, ERR_INVAL, "nothing to change");
    struct county_node tmp;
    struct op op = {.who = who, .id = id, .in = in, .mask = mask, .out = out ? out : &tmp};
    return store_write(st, update_fn, &op, e);
}

static int delete_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    int64_t cid = op->who->county_id;
    struct county_node nd;
    int rc = county__node_load(c, cid, op->id, &nd, e);
    if (rc)
        return rc;
    int64_t kids = 0;
    rc = county__count_refs(c, "nodes", "parent_id", cid, op->id, &kids, e);
    if (rc)
        return rc;
    if (kids)
        return err_set(e, ERR_CONFLICT,
                       "node %lld still has %lld child nodes; move or delete them first",
                       (long long)op->id, (long long)kids);
    if ((rc = county__refused_by_refs(c, "nodes", "node", cid, op->id, e)))
        return rc;
    return county__delete_row(c, op->who, "nodes", "node", op->id, county_node_to_json(&nd), e);
}

int county_node_delete(struct store *st, const struct auth_principal *who, int64_t id,
                       struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .id = id};
    return store_write(st, delete_fn, &op, e);
}

struct list_op {
    const struct county_node_filter *f;
    struct county__page pg;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_op *op = arg;
    const struct county_node_filter *f = op->f;
    const char *q = f->q && *f->q ? f->q : NULL;
    struct strbuf sql;
    strbuf_init(&sql, 0);
    strbuf_addstr(&sql, "SELECT " NODE_COLS " FROM nodes WHERE county_id = ? AND id > ?");
    if (f->kind >= 0)
        strbuf_addstr(&sql, " AND kind = ?");
    if (f->parent_id)
        strbuf_addstr(&sql, " AND parent_id = ?");
    if (f->township_id)
        strbuf_addstr(&sql, " AND township_id = ?");
    if (f->village_id)
        strbuf_addstr(&sql, " AND village_id = ?");
    if (q)
        strbuf_addstr(&sql, " AND name LIKE ? ESCAPE '\\'");
    strbuf_addstr(&sql, " ORDER BY id LIMIT ?");
    struct store_stmt *s;
    int rc = store_prepare(c, strbuf_str(&sql), &s, e);
    strbuf_release(&sql);
    if (rc)
        return rc;
    int i = 1;
    store_bind_i64(s, i++, op->pg.who->county_id);
    store_bind_i64(s, i++, op->pg.after);
    if (f->kind >= 0)
        store_bind_text(s, i++, county_node_kind_name(f->kind), -1);
    if (f->parent_id)
        store_bind_i64(s, i++, f->parent_id);
    if (f->township_id)
        store_bind_i64(s, i++, f->township_id);
    if (f->village_id)
        store_bind_i64(s, i++, f->village_id);
    if (q) {
        char *pat = county__like_pattern(q);
        store_bind_text(s, i++, pat, -1);
        free(pat);
    }
    store_bind_i64(s, i++, op->pg.limit + 1);
    return county__page_read(&op->pg, s, e);
}

int county_node_list(struct store *st, const struct auth_principal *who,
                     const struct county_node_filter *f, struct county_node **items, size_t *n,
                     char next_cursor[COUNTY_CURSOR_BUF], struct err *e)
{
    static const struct county_node_filter none = COUNTY_NODE_FILTER_ANY;
    if (!f)
        f = &none;
    struct list_op op = {.f = f};
    int rc =
        county__page_begin(&op.pg, who, f->limit, f->cursor, f->q, sizeof **items, read_row, e);
    if (!rc && (f->kind < -1 || f->kind >= COUNTY_NODE_KIND_COUNT))
        rc = err_set(e, ERR_INVAL, "unknown node kind");
    if (!rc && (f->parent_id < 0 || f->township_id < 0 || f->village_id < 0))
        rc = err_set(e, ERR_INVAL, "filter ids must be positive");
    if (!rc)
        rc = store_read(st, list_fn, &op, e);
    void *page = NULL;
    rc = county__page_end(&op.pg, rc, &page, n, next_cursor);
    *items = page;
    return rc;
}
