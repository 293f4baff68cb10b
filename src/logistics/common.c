/*
** common.c: what the logistics files share: role checks, audit rows, the
** county's today, enum names, the skills of goods and vehicles and the
** service window at a place's opening hours (dispatch and urgent insertion
** apply the same rules), the plan struct's lifecycle and the vehicle's
** stored JSON form.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
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
