/*
** township.c: the townships table: create, get, update, delete (refused
** while villages or nodes refer to it) and keyset-paginated lists, all
** scoped to the caller's county.
*/
#include "county/county_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define TWP_COLS "id, county_id, name_zh, name_en, lat, lon, created_ms, updated_ms"

static void read_row(struct store_stmt *s, void *item)
{
    struct county_township *t = item;
    t->id = store_col_i64(s, 0);
    t->county_id = store_col_i64(s, 1);
    county__copy(t->name_zh, sizeof t->name_zh, store_col_text(s, 2));
    county__copy(t->name_en, sizeof t->name_en, store_col_text(s, 3));
    t->loc.lat = store_col_double(s, 4);
    t->loc.lon = store_col_double(s, 5);
    t->created_ms = store_col_i64(s, 6);
    t->updated_ms = store_col_i64(s, 7);
}

int county__township_load(struct store_conn *c, int64_t county_id, int64_t id,
                          struct county_township *out, struct err *e)
{
    return county__load_row(c, "SELECT " TWP_COLS " FROM townships WHERE county_id = ? AND id = ?",
                            county_id, id, "township", read_row, out, e);
}

static int validate(const struct county_township *t, struct err *e)
{
    int rc = county__check_name("name_zh", t->name_zh, false, e);
    if (!rc)
        rc = county__check_name("name_en", t->name_en, true, e);
    if (!rc)
        rc = county__check_point("coordinates", t->loc, e);
    return rc;
}

struct op {
    const struct auth_principal *who;
    int64_t id;
    const struct county_township *in;
    unsigned mask;
    struct county_township *out;
};

static int create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    struct county_township *t = op->out;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO townships (county_id, name_zh, name_en, lat, lon, "
                           "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, t->county_id);
    store_bind_text(s, 2, t->name_zh, -1);
    store_bind_text(s, 3, t->name_en, -1);
    store_bind_double(s, 4, t->loc.lat);
    store_bind_double(s, 5, t->loc.lon);
    store_bind_i64(s, 6, now);
    store_bind_i64(s, 7, now);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a township named '%s' already exists", t->name_zh);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "insert returned no id");
    t->id = store_col_i64(s, 0);
    t->created_ms = t->updated_ms = now;
    store_step(s, NULL);
    return county__audit(c, op->who, t->county_id, "create", "township", t->id,
                         county_township_to_json(t), e);
}

int county_township_create(struct store *st, const struct auth_principal *who,
                           struct county_township *t, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    t->county_id = who->county_id;
    rc = validate(t, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .out = t};
    return store_write(st, create_fn, &op, e);
}

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    return county__township_load(c, op->who->county_id, op->id, op->out, e);
}

int county_township_get(struct store *st, const struct auth_principal *who, int64_t id,
                        struct county_township *out, struct err *e)
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
    struct county_township t;
    int rc = county__township_load(c, op->who->county_id, op->id, &t, e);
    if (rc)
        return rc;
    if (op->mask & TOWNSHIP_F_NAME_ZH)
        memcpy(t.name_zh, op->in->name_zh, sizeof t.name_zh);
    if (op->mask & TOWNSHIP_F_NAME_EN)
        memcpy(t.name_en, op->in->name_en, sizeof t.name_en);
    if (op->mask & TOWNSHIP_F_LOC)
        t.loc = op->in->loc;
    rc = validate(&t, e);
    if (rc)
        return rc;
    t.updated_ms = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE townships SET name_zh = ?, name_en = ?, lat = ?, lon = ?, "
                       "updated_ms = ? WHERE county_id = ? AND id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, t.name_zh, -1);
    store_bind_text(s, 2, t.name_en, -1);
    store_bind_double(s, 3, t.loc.lat);
    store_bind_double(s, 4, t.loc.lon);
    store_bind_i64(s, 5, t.updated_ms);
    store_bind_i64(s, 6, t.county_id);
    store_bind_i64(s, 7, t.id);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a township named '%s' already exists", t.name_zh);
    if (rc < 0)
        return rc;
    *op->out = t;
    return county__audit(c, op->who, t.county_id, "update", "township", t.id,
                         county_township_to_json(&t), e);
}

int county_township_update(struct store *st, const struct auth_principal *who, int64_t id,
                           const struct county_township *in, unsigned mask,
                           struct county_township *out, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (!mask)
        return err_set(e, ERR_INVAL, "nothing to change");
    struct county_township tmp;
    struct op op = {.who = who, .id = id, .in = in, .mask = mask, .out = out ? out : &tmp};
    return store_write(st, update_fn, &op, e);
}

static int delete_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    int64_t cid = op->who->county_id;
    struct county_township t;
    int rc = county__township_load(c, cid, op->id, &t, e);
    if (rc)
        return rc;
    int64_t nv = 0, nn = 0;
    rc = county__count_refs(c, "villages", "township_id", cid, op->id, &nv, e);
    if (!rc)
        rc = county__count_refs(c, "nodes", "township_id", cid, op->id, &nn, e);
    if (rc)
        return rc;
    if (nv || nn)
        return err_set(e, ERR_CONFLICT,
                       "township %lld still has %lld villages and %lld nodes; move or delete "
                       "them first",
                       (long long)op->id, (long long)nv, (long long)nn);
    return county__delete_row(c, op->who, "townships", "township", op->id,
                              county_township_to_json(&t), e);
}

int county_township_delete(struct store *st, const struct auth_principal *who, int64_t id,
                           struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .id = id};
    return store_write(st, delete_fn, &op, e);
}

struct list_op {
    const struct county_township_filter *f;
    struct county__page pg;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_op *op = arg;
    const char *q = op->f->q && *op->f->q ? op->f->q : NULL;
    const char *sql =
        q ? "SELECT " TWP_COLS " FROM townships WHERE county_id = ? AND id > ? AND "
            "(name_zh LIKE ? ESCAPE '\\' OR name_en LIKE ? ESCAPE '\\') ORDER BY id LIMIT ?"
          : "SELECT " TWP_COLS " FROM townships WHERE county_id = ? AND id > ? "
            "ORDER BY id LIMIT ?";
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    int i = 1;
    store_bind_i64(s, i++, op->pg.who->county_id);
    store_bind_i64(s, i++, op->pg.after);
    char *pat = NULL;
    if (q) {
        pat = county__like_pattern(q);
        store_bind_text(s, i++, pat, -1);
        store_bind_text(s, i++, pat, -1);
    }
    store_bind_i64(s, i++, op->pg.limit + 1);
    free(pat);
    return county__page_read(&op->pg, s, e);
}

int county_township_list(struct store *st, const struct auth_principal *who,
                         const struct county_township_filter *f, struct county_township **items,
                         size_t *n, char next_cursor[COUNTY_CURSOR_BUF], struct err *e)
{
    static const struct county_township_filter none = {0};
    if (!f)
        f = &none;
    struct list_op op = {.f = f};
    int rc =
        county__page_begin(&op.pg, who, f->limit, f->cursor, f->q, sizeof **items, read_row, e);
    if (!rc)
        rc = store_read(st, list_fn, &op, e);
    void *page = NULL;
    rc = county__page_end(&op.pg, rc, &page, n, next_cursor);
    *items = page;
    return rc;
}
