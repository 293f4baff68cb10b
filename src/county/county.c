/*
** county.c: the counties table: create (system or admin), get and update of
** the caller's own county, counting for the demo seeder.
*/
#include "county/county_int.h"

#include <math.h>
#include <string.h>

#include <json-c/json.h>

#define COUNTY_COLS                                                                                \
    "id, code, name_zh, name_en, circuity, center_lat, center_lon, "                               \
    "created_ms, updated_ms"

static void read_row(struct store_stmt *s, struct county *c)
{
    c->id = store_col_i64(s, 0);
    county__copy(c->code, sizeof c->code, store_col_text(s, 1));
    county__copy(c->name_zh, sizeof c->name_zh, store_col_text(s, 2));
    county__copy(c->name_en, sizeof c->name_en, store_col_text(s, 3));
    c->circuity = store_col_double(s, 4);
    c->center.lat = store_col_double(s, 5);
    c->center.lon = store_col_double(s, 6);
    c->created_ms = store_col_i64(s, 7);
    c->updated_ms = store_col_i64(s, 8);
}

int county__load(struct store_conn *c, int64_t id, struct county *out, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT " COUNTY_COLS " FROM counties WHERE id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "county %lld not found", (long long)id);
    read_row(s, out);
    return 0;
}

static bool code_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > COUNTY_CODE_BUF - 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

static int validate(const struct county *c, struct err *e)
{
    if (!code_valid(c->code))
        return err_set(e, ERR_INVAL, "field 'code' must be 1-%d of [A-Za-z0-9_-]",
                       COUNTY_CODE_BUF - 1);
    int rc = county__check_name("name_zh", c->name_zh, false, e);
    if (!rc)
        rc = county__check_name("name_en", c->name_en, true, e);
    if (!rc && !(c->circuity >= GEO_CIRCUITY_MIN && c->circuity <= GEO_CIRCUITY_MAX))
        rc = err_set(e, ERR_INVAL, "field 'circuity' must be %.1f-%.1f", GEO_CIRCUITY_MIN,
                     GEO_CIRCUITY_MAX);
    if (!rc)
        rc = county__check_point("center", c->center, e);
    return rc;
}

struct op {
    const struct auth_principal *who;
    int64_t id;
    const struct county *in;
    unsigned mask;
    struct county *out;
};

static int create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    struct county *k = op->out;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO counties (code, name_zh, name_en, circuity, center_lat, "
                           "center_lon, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                           "RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, k->code, -1);
    store_bind_text(s, 2, k->name_zh, -1);
    store_bind_text(s, 3, k->name_en, -1);
    store_bind_double(s, 4, k->circuity);
    store_bind_double(s, 5, k->center.lat);
    store_bind_double(s, 6, k->center.lon);
    store_bind_i64(s, 7, now);
    store_bind_i64(s, 8, now);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a county with code '%s' already exists", k->code);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "insert returned no id");
    k->id = store_col_i64(s, 0);
    k->created_ms = k->updated_ms = now;
    store_step(s, NULL); /* finish the statement */
    return county__audit(c, op->who, k->id, "create", "county", k->id, county_to_json(k), e);
}

int county_create(struct store *st, const struct auth_principal *who, struct county *c,
                  struct err *e)
{
    if (who && !(who->user_id == 0 && who->device_id == 0) && who->role != AUTH_ROLE_ADMIN)
        return err_set(e, ERR_PERM, "only an admin can create a county");
    if (!(c->circuity > 0) || !isfinite(c->circuity))
        c->circuity = GEO_CIRCUITY_DEFAULT;
    int rc = validate(c, e);
    if (rc)
        return rc;
    struct op op = {.who = who, .out = c};
    return store_write(st, create_fn, &op, e);
}

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    return county__load(c, op->id, op->out, e);
}

int county_get(struct store *st, const struct auth_principal *who, int64_t id, struct county *out,
               struct err *e)
{
    int rc = county__scope(who, e);
    if (rc)
        return rc;
    if (id != who->county_id)
        return err_set(e, ERR_NOTFOUND, "county %lld not found", (long long)id);
    struct op op = {.who = who, .id = id, .out = out};
    return store_read(st, get_fn, &op, e);
}

static int count_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT count(*) FROM counties", &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    *(int64_t *)arg = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    return 0;
}

int county_count(struct store *st, int64_t *n, struct err *e)
{
    return store_read(st, count_fn, n, e);
}

static int first_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT " COUNTY_COLS " FROM counties ORDER BY id LIMIT 1", &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no county yet");
    read_row(s, arg);
    return 0;
}

int county_first(struct store *st, struct county *out, struct err *e)
{
    return store_read(st, first_fn, out, e);
}

static int update_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct op *op = arg;
    struct county k;
    int rc = county__load(c, op->id, &k, e);
    if (rc)
        return rc;
    if (op->mask & COUNTY_F_CODE)
        memcpy(k.code, op->in->code, sizeof k.code);
    if (op->mask & COUNTY_F_NAME_ZH)
        memcpy(k.name_zh, op->in->name_zh, sizeof k.name_zh);
    if (op->mask & COUNTY_F_NAME_EN)
        memcpy(k.name_en, op->in->name_en, sizeof k.name_en);
    if (op->mask & COUNTY_F_CIRCUITY)
        k.circuity = op->in->circuity;
    if (op->mask & COUNTY_F_CENTER)
        k.center = op->in->center;
    rc = validate(&k, e);
    if (rc)
        return rc;
    k.updated_ms = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE counties SET code = ?, name_zh = ?, name_en = ?, circuity = ?, "
                       "center_lat = ?, center_lon = ?, updated_ms = ? WHERE id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, k.code, -1);
    store_bind_text(s, 2, k.name_zh, -1);
    store_bind_text(s, 3, k.name_en, -1);
    store_bind_double(s, 4, k.circuity);
    store_bind_double(s, 5, k.center.lat);
    store_bind_double(s, 6, k.center.lon);
    store_bind_i64(s, 7, k.updated_ms);
    store_bind_i64(s, 8, k.id);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a county with code '%s' already exists", k.code);
    if (rc < 0)
        return rc;
    *op->out = k;
    return county__audit(c, op->who, k.id, "update", "county", k.id, county_to_json(&k), e);
}

int county_update(struct store *st, const struct auth_principal *who, int64_t id,
                  const struct county *in, unsigned mask, struct county *out, struct err *e)
{
    int rc = county__check_write(who, e);
    if (rc)
        return rc;
    if (id != who->county_id)
        return err_set(e, ERR_NOTFOUND, "county %lld not found", (long long)id);
    if (!mask)
        return err_set(e, ERR_INVAL, "nothing to change");
    struct county tmp;
    struct op op = {.who = who, .id = id, .in = in, .mask = mask, .out = out ? out : &tmp};
    return store_write(st, update_fn, &op, e);
}
