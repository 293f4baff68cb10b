/*
** village.c: the villages table: create, get, update, delete (refused while
** nodes refer to it) and keyset-paginated lists filtered by township and
** name, all scoped to the caller's county. A village's township must be of
** the same county.
*/
#include "county/county_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define VIL_COLS                                                                                   \
    "id, county_id, township_id, name_zh, name_en, population, households, "                       \
    "elevation_m, lat, lon, created_ms, updated_ms"

static void read_row(struct store_stmt *s, void *item)
{
    struct county_village *v = item;
    v->id = store_col_i64(s, 0);
    v->county_id = store_col_i64(s, 1);
    v->township_id = store_col_i64(s, 2);
    county__copy(v->name_zh, sizeof v->name_zh, store_col_text(s, 3));
    county__copy(v->name_en, sizeof v->name_en, store_col_text(s, 4));
    v->population = store_col_i64(s, 5);
    v->households = store_col_i64(s, 6);
    v->elevation_m = store_col_i64(s, 7);
    v->loc.lat = store_col_double(s, 8);
    v->loc.lon = store_col_double(s, 9);
    v->created_ms = store_col_i64(s, 10);
    v->updated_ms = store_col_i64(s, 11);
}

int county__village_load(struct store_conn *c, int64_t county_id, int64_t id,
                         struct county_village *out, struct err *e)
{
    return county__load_row(c, "SELECT " VIL_COLS " FROM villages WHERE county_id = ? AND id = ?",
                            county_id, id, "village", read_row, out, e);
}

static int validate(const struct county_village *v, struct err *e)
{
    int rc = county__check_name("name_zh", v->name_zh, false, e);
    if (!rc)
        rc = county__check_name("name_en", v->name_en, true, e);
    if (rc)
        return rc;
    if (v->township_id <= 0)
        return err_set(e, ERR_INVAL, "field 'township_id' is required");
    if (v->population < 0 || v->population > 10000000)
        return err_set(e, ERR_INVAL, "field 'population' must be 0-10000000");
    if (v->households < 0 || v->households > v->population)
        return err_set(e, ERR_INVAL, "field 'households' must be 0..population (%lld)",
                       (long long)v->population);
    if (v->elevation_m < -500 || v->elevation_m > 9000)
        return err_set(e, ERR_INVAL, "field 'elevation_m' must be -500..9000");
    return county__check_point("coordinates", v->loc, e);
}

/* The township must exist in the same county. */
static int check_refs(struct store_conn *c, const struct county_village *v, struct err *e)
{
    bool found;
    int rc =
        county__exists(c, COUNTY__EXISTS_SQL("townships"), v->county_id, v->township_id, &found, e);
    if (rc)
        return rc;
    if (!found)
        return err_set(e, ERR_INVAL, "township %lld does not exist in this county",
                       (long long)v->township_id);
    return 0;
}

struct op {
    const struct auth_principal *who;
    int64_t id;
    const struct county_village *in;
    unsigned mask;
    struct county_village *out;
};

static int insert_one(struct store_conn *c, const struct auth_principal *who,
                      struct county_village *v, struct err *e)
{
    int rc = check_refs(c, v, e);
    if (rc)
        return rc;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO villages (county_id, township_id, name_zh, name_en, "
                       "population, households, elevation_m, lat, lon, created_ms, updated_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, v->county_id);
    store_bind_i64(s, 2, v->township_id);
    store_bind_text(s, 3, v->name_zh, -1);
    store_bind_text(s, 4, v->name_en, -1);
    store_bind_i64(s, 5, v->population);
    store_bind_i64(s, 6, v->households);
    store_bind_i64(s, 7, v->elevation_m);
    store_bind_double(s, 8, v->loc.lat);
    store_bind_double(s, 9, v->loc.lon);
    store_bind_i64(s, 10, now);
    store_bind_i64(s, 11, now);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "township %lld already has a village named '%s'",
                       (long long)v->township_id, v->name_zh);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "insert returned no id");
    v->id = store_col_i64(s, 0);
    v->created_ms = v->updated_ms = now;
    store_step(s, NULL);
    return county__audit(c, who, v->county_id, "create", "village", v->id,
                         county_village_to_json(v), e);
}

static int create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    return insert_one(c, op->who, op->out, e);
}

struct many_op {
    const struct auth_principal *who;
    struct county_village *items;
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

int county_village_create(struct store *st, const struct auth_principal *who,
                          struct county_village *v, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    v->county_id = who->county_id;
    rc = validate(v, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .out = v};
    return store_write(st, create_fn, &op, e);
}

int county_village_create_many(struct store *st, const struct auth_principal *who,
                               struct county_village *items, size_t n, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (n > COUNTY_BATCH_MAX)
        return err_set(e, ERR_TOOBIG, "at most %d villages at once", COUNTY_BATCH_MAX);
    for (size_t i = 0; i < n; i++) {
        items[i].county_id = who->county_id;
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
    return county__village_load(c, op->who->county_id, op->id, op->out, e);
}

int county_village_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct county_village *out, struct err *e)
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
    const struct county_village *in = op->in;
    struct county_village v;
    int rc = county__village_load(c, op->who->county_id, op->id, &v, e);
    if (rc)
        return rc;
    if (op->mask & VILLAGE_F_TOWNSHIP)
        v.township_id = in->township_id;
    if (op->mask & VILLAGE_F_NAME_ZH)
        memcpy(v.name_zh, in->name_zh, sizeof v.name_zh);
    if (op->mask & VILLAGE_F_NAME_EN)
        memcpy(v.name_en, in->name_en, sizeof v.name_en);
    if (op->mask & VILLAGE_F_POPULATION)
        v.population = in->population;
    if (op->mask & VILLAGE_F_HOUSEHOLDS)
        v.households = in->households;
    if (op->mask & VILLAGE_F_ELEVATION)
        v.elevation_m = in->elevation_m;
    if (op->mask & VILLAGE_F_LOC)
        v.loc = in->loc;
    rc = validate(&v, e);
    if (!rc)
        rc = check_refs(c, &v, e);
    if (rc)
        return rc;
    v.updated_ms = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE villages SET township_id = ?, name_zh = ?, name_en = ?, "
                       "population = ?, households = ?, elevation_m = ?, lat = ?, lon = ?, "
                       "updated_ms = ? WHERE county_id = ? AND id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, v.township_id);
    store_bind_text(s, 2, v.name_zh, -1);
    store_bind_text(s, 3, v.name_en, -1);
    store_bind_i64(s, 4, v.population);
    store_bind_i64(s, 5, v.households);
    store_bind_i64(s, 6, v.elevation_m);
    store_bind_double(s, 7, v.loc.lat);
    store_bind_double(s, 8, v.loc.lon);
    store_bind_i64(s, 9, v.updated_ms);
    store_bind_i64(s, 10, v.county_id);
    store_bind_i64(s, 11, v.id);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "township %lld already has a village named '%s'",
                       (long long)v.township_id, v.name_zh);
    if (rc < 0)
        return rc;
    if (op->mask & VILLAGE_F_TOWNSHIP) { /* its nodes follow it to the new township */
        rc = store_prepare(c,
                           "UPDATE nodes SET township_id = ? WHERE county_id = ? AND "
                           "village_id = ?",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, v.township_id);
        store_bind_i64(s, 2, v.county_id);
        store_bind_i64(s, 3, v.id);
        rc = store_step(s, e);
        if (rc < 0)
            return rc;
    }
    *op->out = v;
    return county__audit(c, op->who, v.county_id, "update", "village", v.id,
                         county_village_to_json(&v), e);
}

int county_village_update(struct store *st, const struct auth_principal *who, int64_t id,
                          const struct county_village *in, unsigned mask,
                          struct county_village *out, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (!mask)
        return err_set(e, ERR_INVAL, "nothing to change");
    struct county_village tmp;
    struct op op = {.who = who, .id = id, .in = in, .mask = mask, .out = out ? out : &tmp};
    return store_write(st, update_fn, &op, e);
}

static int delete_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    int64_t cid = op->who->county_id;
    struct county_village v;
    int rc = county__village_load(c, cid, op->id, &v, e);
    if (rc)
        return rc;
    int64_t nn = 0;
    rc = county__count_refs(c, "nodes", "village_id", cid, op->id, &nn, e);
    if (rc)
        return rc;
    if (nn)
        return err_set(e, ERR_CONFLICT,
                       "village %lld still has %lld nodes; move or delete them first",
                       (long long)op->id, (long long)nn);
    if ((rc = county__refused_by_refs(c, "villages", "village", cid, op->id, e)))
        return rc;
    return county__delete_row(c, op->who, "villages", "village", op->id, county_village_to_json(&v),
                              e);
}

int county_village_delete(struct store *st, const struct auth_principal *who, int64_t id,
                          struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .id = id};
    return store_write(st, delete_fn, &op, e);
}

struct list_op {
    const struct county_village_filter *f;
    struct county__page pg;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_op *op = arg;
    const struct county_village_filter *f = op->f;
    const char *q = f->q && *f->q ? f->q : NULL;
    struct strbuf sql;
    strbuf_init(&sql, 0);
    strbuf_addstr(&sql, "SELECT " VIL_COLS " FROM villages WHERE county_id = ? AND id > ?");
    if (f->township_id)
        strbuf_addstr(&sql, " AND township_id = ?");
    if (q)
        strbuf_addstr(&sql, " AND (name_zh LIKE ? ESCAPE '\\' OR name_en LIKE ? ESCAPE '\\')");
    strbuf_addstr(&sql, " ORDER BY id LIMIT ?");
    struct store_stmt *s;
    int rc = store_prepare(c, strbuf_str(&sql), &s, e);
    strbuf_release(&sql);
    if (rc)
        return rc;
    int i = 1;
    store_bind_i64(s, i++, op->pg.who->county_id);
    store_bind_i64(s, i++, op->pg.after);
    if (f->township_id)
        store_bind_i64(s, i++, f->township_id);
    if (q) {
        char *pat = county__like_pattern(q);
        store_bind_text(s, i++, pat, -1);
        store_bind_text(s, i++, pat, -1);
        free(pat);
    }
    store_bind_i64(s, i++, op->pg.limit + 1);
    return county__page_read(&op->pg, s, e);
}

int county_village_list(struct store *st, const struct auth_principal *who,
                        const struct county_village_filter *f, struct county_village **items,
                        size_t *n, char next_cursor[COUNTY_CURSOR_BUF], struct err *e)
{
    static const struct county_village_filter none = {0};
    if (!f)
        f = &none;
    struct list_op op = {.f = f};
    int rc =
        county__page_begin(&op.pg, who, f->limit, f->cursor, f->q, sizeof **items, read_row, e);
    if (!rc && f->township_id < 0)
        rc = err_set(e, ERR_INVAL, "township_id must be positive");
    if (!rc)
        rc = store_read(st, list_fn, &op, e);
    void *page = NULL;
    rc = county__page_end(&op.pg, rc, &page, n, next_cursor);
    *items = page;
    return rc;
}
