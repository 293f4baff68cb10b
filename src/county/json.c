/*
** json.c: the API representation of counties, townships, villages and
** nodes (json-c objects), shared by the HTTP handlers and the audit detail.
** Coordinates print with 10 significant digits (about 1 cm), ids of absent
** links as null, times as RFC 3339.
*/
#include "county/county.h"

#include <json-c/json.h>

static struct json_object *opt_id(int64_t id)
{
    return id ? json_object_new_int64(id) : NULL;
}

static void add_loc(struct json_object *o, struct geo_point p)
{
    json_object_object_add(o, "lat", rjson_new_double(p.lat, 10));
    json_object_object_add(o, "lon", rjson_new_double(p.lon, 10));
}

static void add_times(struct json_object *o, int64_t created_ms, int64_t updated_ms)
{
    json_object_object_add(o, "created_at", rjson_new_time(created_ms));
    json_object_object_add(o, "updated_at", rjson_new_time(updated_ms));
}

struct json_object *county_to_json(const struct county *c)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(c->id));
    json_object_object_add(o, "code", json_object_new_string(c->code));
    json_object_object_add(o, "name_zh", json_object_new_string(c->name_zh));
    json_object_object_add(o, "name_en", json_object_new_string(c->name_en));
    json_object_object_add(o, "circuity", rjson_new_double(c->circuity, 6));
    struct json_object *center = json_object_new_object();
    add_loc(center, c->center);
    json_object_object_add(o, "center", center);
    add_times(o, c->created_ms, c->updated_ms);
    return o;
}

struct json_object *county_township_to_json(const struct county_township *t)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(t->id));
    json_object_object_add(o, "county_id", json_object_new_int64(t->county_id));
    json_object_object_add(o, "name_zh", json_object_new_string(t->name_zh));
    json_object_object_add(o, "name_en", json_object_new_string(t->name_en));
    add_loc(o, t->loc);
    add_times(o, t->created_ms, t->updated_ms);
    return o;
}

struct json_object *county_village_to_json(const struct county_village *v)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(v->id));
    json_object_object_add(o, "county_id", json_object_new_int64(v->county_id));
    json_object_object_add(o, "township_id", json_object_new_int64(v->township_id));
    json_object_object_add(o, "name_zh", json_object_new_string(v->name_zh));
    json_object_object_add(o, "name_en", json_object_new_string(v->name_en));
    json_object_object_add(o, "population", json_object_new_int64(v->population));
    json_object_object_add(o, "households", json_object_new_int64(v->households));
    json_object_object_add(o, "elevation_m", json_object_new_int64(v->elevation_m));
    add_loc(o, v->loc);
    add_times(o, v->created_ms, v->updated_ms);
    return o;
}

struct json_object *county_node_to_json(const struct county_node *nd)
{
    struct json_object *o = json_object_new_object();
    const char *kind = county_node_kind_name(nd->kind);
    json_object_object_add(o, "id", json_object_new_int64(nd->id));
    json_object_object_add(o, "county_id", json_object_new_int64(nd->county_id));
    json_object_object_add(o, "kind", json_object_new_string(kind ? kind : "?"));
    json_object_object_add(o, "name", json_object_new_string(nd->name));
    json_object_object_add(o, "name_en", json_object_new_string(nd->name_en));
    add_loc(o, nd->loc);
    json_object_object_add(o, "parent_id", opt_id(nd->parent_id));
    json_object_object_add(o, "township_id", opt_id(nd->township_id));
    json_object_object_add(o, "village_id", opt_id(nd->village_id));
    json_object_object_add(o, "open_min", json_object_new_int(nd->open_min));
    json_object_object_add(o, "close_min", json_object_new_int(nd->close_min));
    json_object_object_add(o, "capacity_g", json_object_new_int64(nd->capacity_g));
    json_object_object_add(o, "capacity_ml", json_object_new_int64(nd->capacity_ml));
    json_object_object_add(o, "cold_capacity_ml", json_object_new_int64(nd->cold_capacity_ml));
    json_object_object_add(o, "active", json_object_new_boolean(nd->active));
    add_times(o, nd->created_ms, nd->updated_ms);
    return o;
}
