/*
** fleet.c: vehicles (with their driver) and consignments. Field checks run
** before the write; references (depot node, driver, village) are checked
** against the county's tables before queuing (through county's and auth's
** public functions), and the insert itself runs in one store_write with
** its audit row.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int logistics_vehicle_check(const struct logistics_vehicle *v, struct err *e)
{
    size_t pl = strnlen(v->plate, sizeof v->plate);
    if (pl == 0 || pl >= sizeof v->plate || !utf8_valid(v->plate, pl))
        return err_set(e, ERR_INVAL, "field 'plate' must be 1-31 bytes of UTF-8");
    for (size_t i = 0; i < pl; i++)
        if ((unsigned char)v->plate[i] < 0x20)
            return err_set(e, ERR_INVAL, "field 'plate' has a control character");
    if (v->depot_node_id <= 0)
        return err_set(e, ERR_INVAL, "field 'depot_node_id' must be a node id");
    if (v->capacity_g <= 0 || v->capacity_g > INT64_C(100000000))
        return err_set(e, ERR_INVAL, "field 'capacity_g' must be in 1..100000000");
    if (v->capacity_ml <= 0 || v->capacity_ml > INT64_C(1000000000))
        return err_set(e, ERR_INVAL, "field 'capacity_ml' must be in 1..1000000000");
    if ((unsigned)v->temp >= LOGISTICS_TEMP_COUNT)
        return err_set(e, ERR_INVAL, "field 'temp_class' is unknown");
    if (v->cost_per_km_fen < 0 || v->cost_per_km_fen > 1000000 || v->cost_per_hour_fen < 0 ||
        v->cost_per_hour_fen > 10000000 || v->fixed_cost_fen < 0 || v->fixed_cost_fen > 100000000)
        return err_set(e, ERR_INVAL, "costs must be >= 0 and within limits");
    if (v->shift_start_min < 0 || v->shift_end_min > 1440 || v->shift_start_min >= v->shift_end_min)
        return err_set(e, ERR_INVAL,
                       "shift must satisfy 0 <= shift_start_min < shift_end_min <= 1440");
    if (v->co2_g_per_km < 0 || v->co2_g_per_km > 100000)
        return err_set(e, ERR_INVAL, "field 'co2_g_per_km' must be in 0..100000");
    if (v->driver_user_id < 0)
        return err_set(e, ERR_INVAL, "field 'driver_user_id' must be a user id or 0");
    return 0;
}

/* Depot and driver exist in who's county. */
static int check_refs(struct store *st, const struct auth_principal *who,
                      const struct logistics_vehicle *v, struct err *e)
{
    struct county_node nd;
    struct err ne = {0};
    if (county_node_get(st, who, v->depot_node_id, &nd, &ne))
        return ne.code == ERR_NOTFOUND
                   ? err_set(e, ERR_INVAL, "depot node %lld does not exist in this county",
                             (long long)v->depot_node_id)
                   : err_set(e, ne.code, "%s", ne.msg);
    if (v->driver_user_id) {
        struct auth_user u;
        if (auth_user_get(st, who->county_id, v->driver_user_id, &u, &ne))
            return err_set(e, ERR_INVAL, "driver %lld does not exist in this county",
                           (long long)v->driver_user_id);
        if (u.role != AUTH_ROLE_DRIVER)
            return err_set(e, ERR_INVAL, "user %lld is not a driver", (long long)v->driver_user_id);
    }
    return 0;
}

static const char VCOLS[] =
    "id, county_id, plate, depot_node_id, capacity_g, capacity_ml, temp, cost_per_km_fen, "
    "cost_per_hour_fen, fixed_cost_fen, shift_start_min, shift_end_min, co2_g_per_km, "
    "driver_user_id, active, created_ms, updated_ms";

static void vehicle_row(struct store_stmt *s, struct logistics_vehicle *v)
{
    memset(v, 0, sizeof *v);
    v->id = store_col_i64(s, 0);
    v->county_id = store_col_i64(s, 1);
    snprintf(v->plate, sizeof v->plate, "%s", store_col_text(s, 2));
    v->depot_node_id = store_col_i64(s, 3);
    v->capacity_g = store_col_i64(s, 4);
    v->capacity_ml = store_col_i64(s, 5);
    v->temp = (enum logistics_temp)store_col_i64(s, 6);
    v->cost_per_km_fen = store_col_i64(s, 7);
    v->cost_per_hour_fen = store_col_i64(s, 8);
    v->fixed_cost_fen = store_col_i64(s, 9);
    v->shift_start_min = (int)store_col_i64(s, 10);
    v->shift_end_min = (int)store_col_i64(s, 11);
    v->co2_g_per_km = store_col_i64(s, 12);
    v->driver_user_id = store_col_i64(s, 13);
    v->active = store_col_i64(s, 14) != 0;
    v->created_ms = store_col_i64(s, 15);
    v->updated_ms = store_col_i64(s, 16);
}

struct vw {
    const struct auth_principal *who;
    struct logistics_vehicle *v;
    bool update;
};

static int bind_vehicle(struct store_stmt *s, const struct logistics_vehicle *v, int i)
{
    store_bind_text(s, i++, v->plate, -1);
    store_bind_i64(s, i++, v->depot_node_id);
    store_bind_i64(s, i++, v->capacity_g);
    store_bind_i64(s, i++, v->capacity_ml);
    store_bind_i64(s, i++, v->temp);
    store_bind_i64(s, i++, v->cost_per_km_fen);
    store_bind_i64(s, i++, v->cost_per_hour_fen);
    store_bind_i64(s, i++, v->fixed_cost_fen);
    store_bind_i64(s, i++, v->shift_start_min);
    store_bind_i64(s, i++, v->shift_end_min);
    store_bind_i64(s, i++, v->co2_g_per_km);
    store_bind_i64(s, i++, v->driver_user_id);
    store_bind_i64(s, i++, v->active ? 1 : 0);
    return i;
}

static int vehicle_write(struct store_conn *c, void *arg, struct err *e)
{
    struct vw *w = arg;
    struct logistics_vehicle *v = w->v;
    struct store_stmt *s;
    int64_t now = time_now_ms();
    int rc;
    if (w->update) {
        rc = store_prepare(c,
                           "UPDATE lg_vehicles SET plate = ?, depot_node_id = ?, capacity_g = ?, "
                           "capacity_ml = ?, temp = ?, cost_per_km_fen = ?, cost_per_hour_fen = ?, "
                           "fixed_cost_fen = ?, shift_start_min = ?, shift_end_min = ?, "
                           "co2_g_per_km = ?, driver_user_id = ?, active = ?, updated_ms = ? "
                           "WHERE county_id = ? AND id = ?",
                           &s, e);
        if (rc)
            return rc;
        int i = bind_vehicle(s, v, 1);
        store_bind_i64(s, i++, now);
        store_bind_i64(s, i++, w->who->county_id);
        store_bind_i64(s, i, v->id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (store_changes(c) == 0)
            return err_set(e, ERR_NOTFOUND, "no vehicle %lld", (long long)v->id);
        v->updated_ms = now;
    } else {
        rc =
            store_prepare(c,
                          "INSERT INTO lg_vehicles (plate, depot_node_id, capacity_g, capacity_ml, "
                          "temp, cost_per_km_fen, cost_per_hour_fen, fixed_cost_fen, "
                          "shift_start_min, shift_end_min, co2_g_per_km, driver_user_id, active, "
                          "county_id, created_ms, updated_ms) VALUES "
                          "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                          &s, e);
        if (rc)
            return rc;
        int i = bind_vehicle(s, v, 1);
        store_bind_i64(s, i++, w->who->county_id);
        store_bind_i64(s, i++, now);
        store_bind_i64(s, i, now);
        if ((rc = store_step(s, e)) != STORE_ROW)
            return rc < 0
                       ? (rc == ERR_EXISTS ? err_set(e, ERR_EXISTS, "plate '%s' is taken", v->plate)
                                           : rc)
                       : err_set(e, ERR_DB, "insert returned no id");
        v->id = store_col_i64(s, 0);
        v->created_ms = v->updated_ms = now;
        store_step(s, e);
    }
    v->county_id = w->who->county_id;
    struct json_object *j = logistics__vehicle_json(v);
    rc = logistics__audit(c, w->who, w->update ? "vehicle.update" : "vehicle.create", "vehicle",
                          v->id, rjson_str(j, NULL), e);
    json_object_put(j);
    return rc;
}

static int vehicle_put(struct store *st, const struct auth_principal *who,
                       struct logistics_vehicle *v, bool update, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (!rc)
        rc = logistics_vehicle_check(v, e);
    if (!rc)
        rc = check_refs(st, who, v, e);
    if (rc)
        return rc;
    struct vw w = {who, v, update};
    rc = store_write(st, vehicle_write, &w, e);
    if (rc == ERR_EXISTS)
        err_set(e, ERR_EXISTS, "plate '%s' is taken", v->plate);
    return rc;
}

int logistics_vehicle_create(struct store *st, const struct auth_principal *who,
                             struct logistics_vehicle *v, struct err *e)
{
    v->active = true;
    return vehicle_put(st, who, v, false, e);
}

int logistics_vehicle_update(struct store *st, const struct auth_principal *who,
                             struct logistics_vehicle *in, struct err *e)
{
    return vehicle_put(st, who, in, true, e);
}

struct vr {
    const struct auth_principal *who;
    int64_t id, depot;
    bool inactive;
    struct logistics_vehicle *out;
    size_t n, cap;
};

static int vehicle_read(struct store_conn *c, void *arg, struct err *e)
{
    struct vr *r = arg;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM lg_vehicles WHERE county_id = ? AND (? = 0 OR id = ?) "
             "AND (? = 0 OR depot_node_id = ?) AND (? = 1 OR active = 1) ORDER BY id",
             VCOLS);
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, r->who->county_id);
    store_bind_i64(s, 2, r->id);
    store_bind_i64(s, 3, r->id);
    store_bind_i64(s, 4, r->depot);
    store_bind_i64(s, 5, r->depot);
    store_bind_i64(s, 6, r->inactive ? 1 : 0);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->out, &r->cap, r->n + 1, sizeof *r->out);
        vehicle_row(s, &r->out[r->n++]);
    }
    return rc < 0 ? rc : 0;
}

static bool may_read_fleet(const struct auth_principal *who)
{
    return logistics__reads_county(who) || (who && who->role == AUTH_ROLE_DRIVER);
}

int logistics_vehicle_get(struct store *st, const struct auth_principal *who, int64_t id,
                          struct logistics_vehicle *out, struct err *e)
{
    if (!may_read_fleet(who))
        return err_set(e, ERR_PERM, "not allowed to read the fleet");
    if (id <= 0)
        return err_set(e, ERR_NOTFOUND, "no vehicle %lld", (long long)id);
    struct vr r = {.who = who, .id = id, .inactive = true};
    int rc = store_read(st, vehicle_read, &r, e);
    if (!rc && r.n == 0)
        rc = err_set(e, ERR_NOTFOUND, "no vehicle %lld", (long long)id);
    if (!rc)
        *out = r.out[0];
    free(r.out);
    return rc;
}

int logistics_vehicle_list(struct store *st, const struct auth_principal *who,
                           int64_t depot_node_id, bool include_inactive,
                           struct logistics_vehicle **out, size_t *n, struct err *e)
{
    if (!may_read_fleet(who))
        return err_set(e, ERR_PERM, "not allowed to read the fleet");
    struct vr r = {.who = who, .depot = depot_node_id, .inactive = include_inactive};
    int rc = store_read(st, vehicle_read, &r, e);
    if (rc) {
        free(r.out);
        return rc;
    }
    *out = r.out;
    *n = r.n;
    return 0;
}

/* ----------------------------------------------------------- consignments */

struct cw {
    const struct auth_principal *who;
    struct logistics_consignment *k;
};

static int cons_write(struct store_conn *c, void *arg, struct err *e)
{
    struct cw *w = arg;
    struct logistics_consignment *k = w->k;
    struct store_stmt *s;
    int64_t now = time_now_ms();
    int rc = store_prepare(c,
                           "INSERT INTO lg_consignments (county_id, village_id, from_node_id, "
                           "to_node_id, date_ms, weight_g, volume_ml, storage, description, "
                           "status, created_ms) VALUES (?,?,?,?,?,?,?,?,?,'open',?) RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, k->village_id);
    store_bind_i64(s, 3, k->from_node_id);
    store_bind_i64(s, 4, k->to_node_id);
    store_bind_i64(s, 5, k->date_ms);
    store_bind_i64(s, 6, k->weight_g);
    store_bind_i64(s, 7, k->volume_ml);
    store_bind_i64(s, 8, k->storage);
    store_bind_text(s, 9, k->description, -1);
    store_bind_i64(s, 10, now);
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_DB, "insert returned no id");
    k->id = store_col_i64(s, 0);
    store_step(s, e);
    k->county_id = w->who->county_id;
    k->created_ms = now;
    k->at_node_id = k->plan_id = 0; /* at its origin, on no plan */
    snprintf(k->status, sizeof k->status, "open");
    char detail[256];
    snprintf(detail, sizeof detail, "{\"village_id\":%lld,\"weight_g\":%lld}",
             (long long)k->village_id, (long long)k->weight_g);
    return logistics__audit(c, w->who, "consignment.create", "consignment", k->id, detail, e);
}

int logistics_consignment_create(struct store *st, const struct auth_principal *who,
                                 struct logistics_consignment *c, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (rc)
        return rc;
    if (c->weight_g <= 0 || c->weight_g > INT64_C(100000000))
        return err_set(e, ERR_INVAL, "field 'weight_g' must be in 1..100000000");
    if (c->volume_ml < 0 || c->volume_ml > INT64_C(1000000000))
        return err_set(e, ERR_INVAL, "field 'volume_ml' must be in 0..1000000000");
    if ((unsigned)c->storage >= LOGISTICS_STORAGE_COUNT)
        return err_set(e, ERR_INVAL, "field 'storage' is unknown");
    if (c->date_ms <= 0 || c->date_ms % LG_DAY_MS)
        return err_set(e, ERR_INVAL, "field 'date' must be a date");
    size_t dl = strnlen(c->description, sizeof c->description);
    if (!utf8_valid(c->description, dl))
        return err_set(e, ERR_INVAL, "field 'description' must be UTF-8");
    struct county_village v;
    struct err ne = {0};
    if (county_village_get(st, who, c->village_id, &v, &ne))
        return err_set(e, ERR_INVAL, "village %lld does not exist in this county",
                       (long long)c->village_id);
    struct county_node nd;
    if (c->from_node_id && county_node_get(st, who, c->from_node_id, &nd, &ne))
        return err_set(e, ERR_INVAL, "node %lld does not exist in this county",
                       (long long)c->from_node_id);
    /* The produce is collected in its village: a pickup at the hub or at
    ** another village's point would be a transfer, not a consignment. */
    if (c->from_node_id && nd.village_id != c->village_id)
        return err_set(e, ERR_INVAL, "from_node_id %lld is not a node of village %lld",
                       (long long)c->from_node_id, (long long)c->village_id);
    if (c->to_node_id) {
        if (county_node_get(st, who, c->to_node_id, &nd, &ne))
            return err_set(e, ERR_INVAL, "node %lld does not exist in this county",
                           (long long)c->to_node_id);
        if (nd.kind != COUNTY_NODE_HUB && nd.kind != COUNTY_NODE_COLD_STORE)
            return err_set(e, ERR_INVAL, "to_node_id must be a county hub or a cold store");
    }
    struct cw w = {who, c};
    return store_write(st, cons_write, &w, e);
}

struct cr {
    const struct auth_principal *who;
    struct logistics_consignment_filter f;
    struct logistics_consignment *out;
    size_t n, cap;
};

static int cons_read(struct store_conn *c, void *arg, struct err *e)
{
    struct cr *r = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, county_id, village_id, from_node_id, to_node_id, date_ms, "
                           "weight_g, volume_ml, storage, description, status, created_ms, "
                           "at_node_id, plan_id "
                           "FROM lg_consignments WHERE county_id = ? AND (? = 0 OR date_ms = ?) "
                           "AND (? = 0 OR date_ms <= ?) AND (? = '' OR status = ?) ORDER BY id",
                           &s, e);
    if (rc)
        return rc;
    const char *status = r->f.status ? r->f.status : "";
    store_bind_i64(s, 1, r->who->county_id);
    store_bind_i64(s, 2, r->f.date_ms);
    store_bind_i64(s, 3, r->f.date_ms);
    store_bind_i64(s, 4, r->f.until_ms);
    store_bind_i64(s, 5, r->f.until_ms);
    store_bind_text(s, 6, status, -1);
    store_bind_text(s, 7, status, -1);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->out, &r->cap, r->n + 1, sizeof *r->out);
        struct logistics_consignment *k = &r->out[r->n++];
        memset(k, 0, sizeof *k);
        k->id = store_col_i64(s, 0);
        k->county_id = store_col_i64(s, 1);
        k->village_id = store_col_i64(s, 2);
        k->from_node_id = store_col_i64(s, 3);
        k->to_node_id = store_col_i64(s, 4);
        k->date_ms = store_col_i64(s, 5);
        k->weight_g = store_col_i64(s, 6);
        k->volume_ml = store_col_i64(s, 7);
        k->storage = (enum logistics_storage)store_col_i64(s, 8);
        snprintf(k->description, sizeof k->description, "%s", store_col_text(s, 9));
        snprintf(k->status, sizeof k->status, "%s", store_col_text(s, 10));
        k->created_ms = store_col_i64(s, 11);
        k->at_node_id = store_col_is_null(s, 12) ? 0 : store_col_i64(s, 12);
        k->plan_id = store_col_is_null(s, 13) ? 0 : store_col_i64(s, 13);
    }
    return rc < 0 ? rc : 0;
}

int logistics_consignment_list(struct store *st, const struct auth_principal *who,
                               const struct logistics_consignment_filter *f,
                               struct logistics_consignment **out, size_t *n, struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read consignments");
    static const char *const statuses[] = {"open", "planned", "picked_up", "delivered"};
    bool known = !f || !f->status;
    for (size_t i = 0; !known && i < RL_ARRAY_LEN(statuses); i++)
        known = strcmp(f->status, statuses[i]) == 0;
    if (!known)
        return err_set(e, ERR_INVAL, "status must be open, planned, picked_up or delivered");
    struct cr r = {.who = who};
    if (f)
        r.f = *f;
    int rc = store_read(st, cons_read, &r, e);
    if (rc) {
        free(r.out);
        return rc;
    }
    *out = r.out;
    *n = r.n;
    return 0;
}

const char *logistics_consignment_location(const struct logistics_consignment *c)
{
    if (strcmp(c->status, "picked_up") == 0)
        return "vehicle";
    if (strcmp(c->status, "delivered") == 0)
        return "destination";
    return c->at_node_id ? "node" : "origin";
}
