/*
** common.c: what the logistics files share: role checks, audit rows, the
** county's today, enum names, the skills of goods and vehicles and the
** service window at a place's opening hours (dispatch and urgent insertion
** apply the same rules), the plan struct's lifecycle, what makes two plans
** comparable (routes over capacity, the work both serve) and the vehicle's
** stored JSON form.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

int logistics__need_staff(const struct auth_principal *who, struct err *e)
{
    if (!who)
        return err_set(e, ERR_AUTH, "no caller");
    if (who->role == AUTH_ROLE_ADMIN || who->role == AUTH_ROLE_OPERATOR)
        return 0;
    return err_set(e, ERR_PERM, "only admins and operators may do this");
}

bool logistics__reads_county(const struct auth_principal *who)
{
    return who && (who->role == AUTH_ROLE_ADMIN || who->role == AUTH_ROLE_OPERATOR ||
                   who->role == AUTH_ROLE_AUDITOR);
}

bool logistics__service_window(int open_min, int close_min, int64_t service_s, struct vrp_tw *tw)
{
    int64_t open = (int64_t)open_min * 60, end = (int64_t)close_min * 60 - service_s;
    bool fits = end >= open;
    if (tw)
        *tw = (struct vrp_tw){open, fits ? end : open};
    return fits;
}

int logistics__rows_i64(struct store_stmt *s, int ncols, int64_t **out, size_t *nrows,
                        struct err *e)
{
    size_t cap = 0, n = 0;
    int64_t *v = NULL;
    int rc;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&v, &cap, (n + 1) * (size_t)ncols, sizeof *v);
        for (int k = 0; k < ncols; k++)
            v[n * (size_t)ncols + (size_t)k] = store_col_i64(s, k);
        n++;
    }
    if (rc < 0) {
        free(v);
        v = NULL;
        n = 0;
    }
    *out = v;
    *nrows = n;
    return rc < 0 ? rc : 0;
}

int64_t logistics_today(int64_t now_ms)
{
    int64_t local = (now_ms ? now_ms : time_now_ms()) + LG_TZ_MS;
    /* floor, not truncation: an instant before 1970 is still on its day */
    return local - ((local % LG_DAY_MS) + LG_DAY_MS) % LG_DAY_MS;
}

uint64_t logistics__storage_skills(enum logistics_storage s)
{
    return s == LOGISTICS_CHILLED ? LG_SKILL_CHILLED : s == LOGISTICS_FROZEN ? LG_SKILL_FROZEN : 0;
}

uint64_t logistics__vehicle_skills(enum logistics_temp t)
{
    switch (t) {
    case LOGISTICS_TEMP_CHILLED:
        return LG_SKILL_CHILLED;
    case LOGISTICS_TEMP_FROZEN:
        return LG_SKILL_FROZEN;
    case LOGISTICS_TEMP_MULTI:
        return LG_SKILL_CHILLED | LG_SKILL_FROZEN;
    default:
        return 0;
    }
}

int logistics__audit(struct store_conn *c, const struct auth_principal *who, const char *action,
                     const char *entity, int64_t id, const char *detail, struct err *e)
{
    return store_audit(c, who->county_id, who->user_id, action, entity, id, detail, e);
}

static const char *const temp_names[] = {"none", "chilled", "frozen", "multi"};

const char *logistics_temp_name(enum logistics_temp t)
{
    return (unsigned)t < LOGISTICS_TEMP_COUNT ? temp_names[t] : NULL;
}

int logistics_temp_parse(const char *s, enum logistics_temp *out)
{
    for (int i = 0; s && i < LOGISTICS_TEMP_COUNT; i++)
        if (strcmp(s, temp_names[i]) == 0) {
            *out = (enum logistics_temp)i;
            return 0;
        }
    return ERR_INVAL;
}

static const char *const stop_names[] = {"start", "delivery", "pickup", "drop", "end"};

const char *logistics_stop_kind_name(enum logistics_stop_kind k)
{
    return (unsigned)k < LOGISTICS_STOP_KIND_COUNT ? stop_names[k] : NULL;
}

static const char *const plan_status_names[] = {"draft", "approved", "superseded"};

const char *logistics_plan_status_name(enum logistics_plan_status s)
{
    return (unsigned)s < LOGISTICS_PLAN_STATUS_COUNT ? plan_status_names[s] : NULL;
}

static const char *const event_names[] = {"arrived", "delivered", "picked_up", "failed"};

int logistics_event_parse(const char *s, enum logistics_event *out)
{
    for (int i = 0; s && i < LOGISTICS_EV_COUNT; i++)
        if (strcmp(s, event_names[i]) == 0) {
            *out = (enum logistics_event)i;
            return 0;
        }
    return ERR_INVAL;
}

void logistics_plan_overloads(const struct logistics_plan *p, struct logistics_overload **out,
                              size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t r = 0; r < p->n_routes; r++) {
        const struct logistics_route *rt = &p->routes[r];
        const struct logistics_vehicle *v = &rt->vehicle;
        int64_t g = 0, ml = 0;
        for (size_t q = 0; q < rt->n_stops; q++) {
            const struct logistics_stop *st = &rt->stops[q];
            int64_t sg = st->load_g, sml = st->load_ml;
            if (st->kind == LOGISTICS_STOP_START) { /* what START loads */
                int64_t ig = 0, iml = 0;
                for (size_t i = 0; i < st->n_items; i++) {
                    ig += st->items[i].weight_g;
                    iml += st->items[i].volume_ml;
                }
                sg = sg > ig ? sg : ig;
                sml = sml > iml ? sml : iml;
            }
            g = sg > g ? sg : g;
            ml = sml > ml ? sml : ml;
        }
        if (g <= v->capacity_g && ml <= v->capacity_ml)
            continue;
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct logistics_overload *o = &(*out)[(*n)++];
        memset(o, 0, sizeof *o);
        o->route_id = rt->id;
        o->seq = rt->seq;
        o->vehicle_id = v->id;
        snprintf(o->plate, sizeof o->plate, "%s", v->plate);
        o->peak_g = g;
        o->capacity_g = v->capacity_g;
        o->over_g = g > v->capacity_g ? g - v->capacity_g : 0;
        o->peak_ml = ml;
        o->capacity_ml = v->capacity_ml;
        o->over_ml = ml > v->capacity_ml ? ml - v->capacity_ml : 0;
    }
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The distinct ids of the orders (consignments: cons) a plan serves, as
** the KPIs count them, sorted. You own *out (free()). */
static size_t served_ids(const struct logistics_plan *p, bool cons, int64_t **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t r = 0; r < p->n_routes; r++)
        for (size_t q = 0; q < p->routes[r].n_stops; q++) {
            const struct logistics_stop *st = &p->routes[r].stops[q];
            if (st->kind == LOGISTICS_STOP_START || st->kind == LOGISTICS_STOP_END ||
                strcmp(st->status, "failed") == 0)
                continue;
            for (size_t i = 0; i < st->n_items; i++) {
                const struct logistics_item *it = &st->items[i];
                int64_t id =
                    cons ? (it->load ? it->consignment_id : 0) : (it->load ? 0 : it->order_id);
                if (id <= 0)
                    continue;
                xgrow((void **)out, &cap, n + 1, sizeof **out);
                (*out)[n++] = id;
            }
        }
    if (n)
        qsort(*out, n, sizeof **out, cmp_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || (*out)[i] != (*out)[m - 1])
            (*out)[m++] = (*out)[i];
    return m;
}

static void overlap(const int64_t *a, size_t na, const int64_t *b, size_t nb, int64_t *both,
                    int64_t *only_a, int64_t *only_b)
{
    size_t i = 0, j = 0;
    *both = *only_a = *only_b = 0;
    while (i < na || j < nb) {
        if (j == nb || (i < na && a[i] < b[j])) {
            ++*only_a;
            i++;
        } else if (i == na || b[j] < a[i]) {
            ++*only_b;
            j++;
        } else {
            ++*both;
            i++;
            j++;
        }
    }
}

void logistics_work_overlap(const struct logistics_plan *a, const struct logistics_plan *b,
                            struct logistics_work_overlap *out)
{
    for (int cons = 0; cons < 2; cons++) {
        int64_t *ia, *ib;
        size_t na = served_ids(a, cons, &ia), nb = served_ids(b, cons, &ib);
        if (cons)
            overlap(ia, na, ib, nb, &out->cons_both, &out->cons_only_a, &out->cons_only_b);
        else
            overlap(ia, na, ib, nb, &out->orders_both, &out->orders_only_a, &out->orders_only_b);
        free(ia);
        free(ib);
    }
}

void logistics_plan_init(struct logistics_plan *p)
{
    memset(p, 0, sizeof *p);
    arena_init(&p->arena, 64 * 1024);
}

void logistics_plan_release(struct logistics_plan *p)
{
    if (!p)
        return;
    arena_release(&p->arena);
    memset(p, 0, sizeof *p);
}

struct json_object *logistics__vehicle_json(const struct logistics_vehicle *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(v->id));
    json_object_object_add(o, "plate", json_object_new_string(v->plate));
    json_object_object_add(o, "depot_node_id", json_object_new_int64(v->depot_node_id));
    json_object_object_add(o, "capacity_g", json_object_new_int64(v->capacity_g));
    json_object_object_add(o, "capacity_ml", json_object_new_int64(v->capacity_ml));
    json_object_object_add(o, "refrigerated",
                           json_object_new_boolean(v->temp != LOGISTICS_TEMP_NONE));
    json_object_object_add(o, "temp_class", json_object_new_string(logistics_temp_name(v->temp)));
    json_object_object_add(o, "cost_per_km_fen", json_object_new_int64(v->cost_per_km_fen));
    json_object_object_add(o, "cost_per_hour_fen", json_object_new_int64(v->cost_per_hour_fen));
    json_object_object_add(o, "fixed_cost_fen", json_object_new_int64(v->fixed_cost_fen));
    json_object_object_add(o, "shift_start_min", json_object_new_int(v->shift_start_min));
    json_object_object_add(o, "shift_end_min", json_object_new_int(v->shift_end_min));
    json_object_object_add(o, "co2_g_per_km", json_object_new_int64(v->co2_g_per_km));
    json_object_object_add(o, "driver_user_id", json_object_new_int64(v->driver_user_id));
    json_object_object_add(o, "active", json_object_new_boolean(v->active));
    if (v->created_ms)
        json_object_object_add(o, "created", rjson_new_time(v->created_ms));
    if (v->updated_ms)
        json_object_object_add(o, "updated", rjson_new_time(v->updated_ms));
    return o;
}

int logistics__vehicle_from_json(struct json_object *o, struct logistics_vehicle *v)
{
    memset(v, 0, sizeof *v);
    int64_t x;
    const char *s;
    if (rjson_get_i64(o, "id", false, &v->id, NULL) < 0)
        return ERR_INVAL;
    if (rjson_get_str(o, "plate", false, &s, NULL) == 0)
        snprintf(v->plate, sizeof v->plate, "%s", s);
    rjson_get_i64(o, "depot_node_id", false, &v->depot_node_id, NULL);
    rjson_get_i64(o, "capacity_g", false, &v->capacity_g, NULL);
    rjson_get_i64(o, "capacity_ml", false, &v->capacity_ml, NULL);
    if (rjson_get_str(o, "temp_class", false, &s, NULL) == 0)
        logistics_temp_parse(s, &v->temp);
    rjson_get_i64(o, "cost_per_km_fen", false, &v->cost_per_km_fen, NULL);
    rjson_get_i64(o, "cost_per_hour_fen", false, &v->cost_per_hour_fen, NULL);
    rjson_get_i64(o, "fixed_cost_fen", false, &v->fixed_cost_fen, NULL);
    if (rjson_get_i64(o, "shift_start_min", false, &x, NULL) == 0)
        v->shift_start_min = (int)x;
    if (rjson_get_i64(o, "shift_end_min", false, &x, NULL) == 0)
        v->shift_end_min = (int)x;
    rjson_get_i64(o, "co2_g_per_km", false, &v->co2_g_per_km, NULL);
    rjson_get_i64(o, "driver_user_id", false, &v->driver_user_id, NULL);
    v->active = true;
    return 0;
}
