/*
** devices.c: what a device is bound to. Devices and their tokens belong to
** auth (devices table); telemetry keeps, per device id, the thing it
** measures: a refrigerated vehicle, a cold store (a county node), a farm
** plot, a water or an air station (tm_devices). The device must exist in
** the caller's county (checked through auth's public device list).
*/
#include "telemetry/telemetry_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"vehicle",       "cold_store",  "plot",
                                    "water_station", "air_station", "other"};

static int device_in_county(struct store *st, int64_t county_id, int64_t device_id, struct err *e)
{
    struct auth_device d[64];
    int64_t after = 0;
    for (;;) {
        size_t n = 0;
        int rc = auth_device_list(st, county_id, after, d, RL_ARRAY_LEN(d), &n, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++)
            if (d[i].id == device_id)
                return 0;
        if (n < RL_ARRAY_LEN(d))
            break;
        after = d[n - 1].id;
    }
    return err_set(e, ERR_NOTFOUND, "no device %lld", (long long)device_id);
}

struct bind_arg {
    int64_t county_id;
    const struct auth_principal *actor;
    const struct tm_device_binding *b;
};

static int bind_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct bind_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO tm_devices (device_id, county_id, bound_kind, bound_ref, "
                           "updated_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE "
                           "SET bound_kind = excluded.bound_kind, bound_ref = excluded.bound_ref, "
                           "updated_ms = excluded.updated_ms",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->b->device_id);
    store_bind_i64(s, 2, a->county_id);
    store_bind_text(s, 3, a->b->kind, -1);
    store_bind_text(s, 4, a->b->ref, -1);
    store_bind_i64(s, 5, time_now_ms());
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_audit(c, a->county_id, a->actor ? a->actor->user_id : 0, "telemetry.device.bind",
                       "devices", a->b->device_id, NULL, e);
}

int tm_device_bind(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const struct tm_device_binding *b, struct err *e)
{
    bool ok = false;
    for (size_t i = 0; i < RL_ARRAY_LEN(kinds); i++)
        ok = ok || !strcmp(b->kind, kinds[i]);
    if (!ok)
        return err_set(e, ERR_INVAL,
                       "kind must be vehicle, cold_store, plot, water_station, "
                       "air_station or other");
    size_t rl = strlen(b->ref);
    if (rl == 0 || !utf8_valid(b->ref, rl))
        return err_set(e, ERR_INVAL, "ref (what the device is on) is required");
    int rc = device_in_county(t->st, county_id, b->device_id, e);
    if (rc)
        return rc;
    struct bind_arg a = {county_id, actor, b};
    return store_write(t->st, bind_fn, &a, e);
}

struct list_arg {
    int64_t county_id;
    struct tm_device_binding *v;
    size_t n, cap;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT device_id, bound_kind, bound_ref, updated_ms FROM tm_devices "
                           "WHERE county_id = ? ORDER BY device_id LIMIT 10000",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
        struct tm_device_binding *b = &a->v[a->n++];
        memset(b, 0, sizeof *b);
        b->device_id = store_col_i64(s, 0);
        snprintf(b->kind, sizeof b->kind, "%s", store_col_text(s, 1));
        snprintf(b->ref, sizeof b->ref, "%s", store_col_text(s, 2));
        b->updated_ms = store_col_i64(s, 3);
    }
    return rc < 0 ? rc : 0;
}

int tm_device_bindings(struct telemetry *t, int64_t county_id, struct tm_device_binding **out,
                       size_t *n, struct err *e)
{
    struct list_arg a = {county_id, NULL, 0, 0};
    int rc = store_read(t->st, list_fn, &a, e);
    if (rc) {
        free(a.v);
        return rc;
    }
    *out = a.v;
    *n = a.n;
    return 0;
}
