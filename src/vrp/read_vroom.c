/*
** read_vroom.c: VROOM's JSON input (v1.14 API.md) plus a few ruralink keys.
**
** Top level: vehicles (required), jobs, shipments, matrices
** {profile: {durations, distances?, costs?}}. Jobs: id, description,
** location [lon,lat] / location_index, setup (paid on arrival from another
** place, see vrp_task), service, delivery, pickup, amount (legacy =
** delivery), skills, priority, time_windows; ruralink adds optional (bool)
** and penalty. Shipments: pickup and delivery objects (id, description,
** location / location_index, setup, service, time_windows), amount,
** skills, priority (+ optional, penalty, counted once). Vehicles: id,
** profile, description, type, start / end (coords), start_index /
** end_index, capacity, skills, time_window, costs {fixed, per_hour (default
** 3600, so cost = travel seconds as in VROOM), per_km}, max_tasks,
** max_travel_time, max_distance, speed_factor (1 only); ruralink adds
** max_trips and reload_time. Descriptions are kept and echoed in output.
** Unknown keys are errors (typos would otherwise be silently ignored);
** breaks and steps are not supported yet.
**
** Vehicle `type` is read (a string) and has no effect: v1.14 has no use
** for it; later VROOM versions use it to pick per-type task durations
** (`setup_per_type`, `service_per_type` on tasks), which ruralink does not
** model. A task carrying either key is refused by name rather than solved
** with the wrong durations.
**
** With matrices, every place is a *_index into them (durations required;
** distances default to the durations). Without, every place needs
** [lon, lat] and the matrices are built here: haversine distance x 1.3
** (road circuity) in metres, duration at 40 km/h in seconds, both rounded.
** The geo module will replace this estimate with a road one.
*/
#include "vrp/read.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS 200000
#define MAX_VEHICLES 20000
#define CIRCUITY 1.3
#define SPEED_M_S (40.0 / 3.6)

struct vctx {
    struct vrp_problem *p;
    bool has_matrices;
    int n_mat_locs;
    double *lon, *lat;
    int *ll_hash; /* LL_HASH_SIZE slots of location indices, -1 = empty */
    size_t cap_ll;
    int n_ll;
    int64_t skill_ids[VRP_MAX_SKILLS];
    int n_skills;
    int dims; /* -1 until an amount array is seen */
    const char **profiles;
    int n_profiles;
    struct err *e;
};

static int fail(struct vctx *c, const char *path, const char *fmt, ...) RL_PRINTF(3, 4);
static int fail(struct vctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(c->e, ERR_INVAL, fmt, ap);
    va_end(ap);
    return err_prefix(c->e, "%s: ", path);
}

/* Prefix an rjson error with the path of the object. */
static int at(struct vctx *c, const char *path, int rc)
{
    if (rc && rc != ERR_NOTFOUND)
        err_prefix(c->e, "%s: ", path);
    return rc;
}

static int get_i64(struct vctx *c, struct json_object *o, const char *path, const char *key,
                   bool req, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    int rc = at(c, path, rjson_get_i64(o, key, req, &v, c->e));
    if (rc)
        return rc;
    if (v < lo || v > hi)
        return fail(c, path, "field '%s' = %lld is out of range (%lld..%lld)", key, (long long)v,
                    (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

static int i64_of(struct vctx *c, struct json_object *v, const char *path, int64_t lo, int64_t hi,
                  int64_t *out)
{
    if (!v || !json_object_is_type(v, json_type_int))
        return fail(c, path, "must be an integer");
    int64_t i = json_object_get_int64(v);
    if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
        return fail(c, path, "integer out of range");
    if (i < lo || i > hi)
        return fail(c, path, "%lld is out of range (%lld..%lld)", (long long)i, (long long)lo,
                    (long long)hi);
    *out = i;
    return 0;
}

/* An amount array (capacity, delivery, pickup, amount) into a[VRP_MAX_DIMS]. */
static int amounts(struct vctx *c, struct json_object *o, const char *path, const char *key,
                   int64_t *a, bool *present)
{
    struct json_object *arr;
    int rc = at(c, path, rjson_get_array(o, key, false, &arr, c->e));
    if (present)
        *present = rc == 0;
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    if (n > VRP_MAX_DIMS)
        return fail(c, path, "'%s' has %zu dimensions; at most %d are supported", key, n,
                    VRP_MAX_DIMS);
    if (c->dims < 0)
        c->dims = (int)n;
    else if ((int)n != c->dims)
        return fail(c, path, "'%s' has %zu dimensions but earlier amounts have %d", key, n,
                    c->dims);
    for (size_t i = 0; i < n; i++) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s.%s[%zu]", path, key, i);
        rc = i64_of(c, json_object_array_get_idx(arr, i), sub, 0, VRP__MAX_VALUE, &a[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int skills(struct vctx *c, struct json_object *o, const char *path, uint64_t *out)
{
    struct json_object *arr;
    int rc = at(c, path, rjson_get_array(o, "skills", false, &arr, c->e));
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        char sub[160];
        int64_t s;
        snprintf(sub, sizeof sub, "%s.skills[%zu]", path, i);
        rc = i64_of(c, json_object_array_get_idx(arr, i), sub, 0, INT64_MAX, &s);
        if (rc)
            return rc;
        int b = 0;
        while (b < c->n_skills && c->skill_ids[b] != s)
            b++;
        if (b == c->n_skills) {
            if (c->n_skills == VRP_MAX_SKILLS)
                return fail(c, sub, "more than %d distinct skills", VRP_MAX_SKILLS);
            c->skill_ids[c->n_skills++] = s;
        }
        *out |= (uint64_t)1 << b;
    }
    return 0;
}

/* An optional "description": any string, kept in *out (NULL when absent;
** the problem owns it once stored in a task or vehicle). */
static int description(struct vctx *c, struct json_object *o, const char *path, char **out)
{
    const char *d;
    int rc = at(c, path, rjson_get_str(o, "description", false, &d, c->e));
    if (rc == 0)
        *out = xstrdup(d);
    return rc == ERR_NOTFOUND ? 0 : rc;
}

/* VROOM's per-vehicle-type durations (after v1.14): refused by name, since
** solving without them would plan with the wrong durations. */
static int no_per_type(struct vctx *c, struct json_object *o, const char *path)
{
    static const char *const keys[] = {"setup_per_type", "service_per_type"};
    for (size_t i = 0; i < RL_ARRAY_LEN(keys); i++)
        if (json_object_object_get_ex(o, keys[i], NULL))
            return fail(c, path,
                        "'%s' is not supported: durations per vehicle type are not modelled "
                        "(vehicle 'type' is accepted and ignored); give 'setup' and 'service'",
                        keys[i]);
    return 0;
}

/* A [start, end] pair. */
static int window(struct vctx *c, struct json_object *v, const char *path, struct vrp_tw *tw)
{
    if (!v || !json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2)
        return fail(c, path, "a time window must be [start, end]");
    char sub[160];
    snprintf(sub, sizeof sub, "%s[0]", path);
    int rc = i64_of(c, json_object_array_get_idx(v, 0), sub, 0, VRP__MAX_VALUE, &tw->start);
    snprintf(sub, sizeof sub, "%s[1]", path);
    if (!rc)
        rc = i64_of(c, json_object_array_get_idx(v, 1), sub, 0, VRP__MAX_VALUE, &tw->end);
    if (!rc && tw->end < tw->start)
        rc = fail(c, path, "time window ends before it starts");
    return rc;
}

static int cmp_tw(const void *a, const void *b)
{
    const struct vrp_tw *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int windows(struct vctx *c, struct json_object *o, const char *path, struct vrp_task *t)
{
    struct json_object *arr;
    int rc = at(c, path, rjson_get_array(o, "time_windows", false, &arr, c->e));
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    if (n == 0)
        return fail(c, path, "'time_windows' is empty");
    if (n > 1000)
        return fail(c, path, "more than 1000 time windows");
    t->tw = xmalloc(n * sizeof *t->tw);
    for (size_t i = 0; i < n; i++) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s.time_windows[%zu]", path, i);
        rc = window(c, json_object_array_get_idx(arr, i), sub, &t->tw[i]);
        if (rc)
            return rc;
    }
    /* Sorted and merged, so windows are disjoint as the model wants. */
    qsort(t->tw, n, sizeof *t->tw, cmp_tw);
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && t->tw[i].start <= t->tw[k - 1].end + 1) {
            if (t->tw[i].end > t->tw[k - 1].end)
                t->tw[k - 1].end = t->tw[i].end;
        } else {
            t->tw[k++] = t->tw[i];
        }
    }
    t->n_tw = k;
    return 0;
}

#define LL_HASH_SIZE (4 * VRP__MAX_LOCS) /* power of two, load <= 1/4 */

static uint32_t ll_hash(double lon, double lat)
{
    uint64_t a, b;
    lon += 0.0; /* -0.0 and 0.0 are the same place */
    lat += 0.0;
    memcpy(&a, &lon, sizeof a);
    memcpy(&b, &lat, sizeof b);
    uint64_t h = (a * 0x9E3779B97F4A7C15ULL) ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return (uint32_t)h & (LL_HASH_SIZE - 1);
}

/* Location of [lon, lat], shared by identical coordinates (hash lookup). */
static int add_coord(struct vctx *c, double lon, double lat)
{
    if (!c->ll_hash) {
        c->ll_hash = xmalloc(sizeof *c->ll_hash * LL_HASH_SIZE);
        for (int i = 0; i < LL_HASH_SIZE; i++)
            c->ll_hash[i] = -1;
    }
    uint32_t h = ll_hash(lon, lat);
    while (c->ll_hash[h] >= 0) {
        int i = c->ll_hash[h];
        if (c->lon[i] == lon && c->lat[i] == lat)
            return i;
        h = (h + 1) & (LL_HASH_SIZE - 1);
    }
    if (c->n_ll >= VRP__MAX_LOCS)
        return -1;
    c->ll_hash[h] = c->n_ll;
    xgrow((void **)&c->lon, &c->cap_ll, (size_t)c->n_ll + 1, sizeof *c->lon);
    size_t cap = c->cap_ll;
    c->lat = xrealloc(c->lat, cap * sizeof *c->lat);
    c->lon[c->n_ll] = lon;
    c->lat[c->n_ll] = lat;
    return c->n_ll++;
}

/* A place: `<prefix>index` with matrices, `<coordkey>` [lon, lat] without.
** *loc stays VRP_NONE when neither is there and !required. */
static int place(struct vctx *c, struct json_object *o, const char *path, const char *idx_key,
                 const char *coord_key, bool required, int *loc)
{
    int64_t idx;
    int rc = get_i64(c, o, path, idx_key, false, 0, INT32_MAX, &idx);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    bool has_idx = rc == 0;
    struct json_object *ll;
    rc = at(c, path, rjson_get_array(o, coord_key, false, &ll, c->e));
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    bool has_ll = rc == 0;
    if (c->has_matrices) {
        if (!has_idx) {
            if (required || has_ll)
                return fail(c, path, "'%s' is required when matrices are given", idx_key);
            return 0;
        }
        if (idx >= c->n_mat_locs)
            return fail(c, path, "'%s' = %lld is outside the %d x %d matrix", idx_key,
                        (long long)idx, c->n_mat_locs, c->n_mat_locs);
        *loc = (int)idx;
        return 0;
    }
    if (has_idx)
        return fail(c, path, "'%s' needs 'matrices'", idx_key);
    if (!has_ll) {
        if (required)
            return fail(c, path, "'%s' [lon, lat] is required", coord_key);
        return 0;
    }
    if (json_object_array_length(ll) != 2)
        return fail(c, path, "'%s' must be [lon, lat]", coord_key);
    double v[2];
    for (int i = 0; i < 2; i++) {
        struct json_object *x = json_object_array_get_idx(ll, (size_t)i);
        if (!x ||
            !(json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int)))
            return fail(c, path, "'%s' must be [lon, lat] numbers", coord_key);
        v[i] = json_object_get_double(x);
    }
    if (!isfinite(v[0]) || !isfinite(v[1]) || fabs(v[0]) > 180 || fabs(v[1]) > 90)
        return fail(c, path, "'%s' [%g, %g] is not a valid [lon, lat]", coord_key, v[0], v[1]);
    *loc = add_coord(c, v[0], v[1]);
    if (*loc < 0)
        return fail(c, path, "more than %d distinct locations", VRP__MAX_LOCS);
    return 0;
}

/* One n x n integer matrix. */
static int matrix(struct vctx *c, struct json_object *arr, const char *path, int64_t **out)
{
    size_t n = json_object_array_length(arr);
    if (n == 0)
        return fail(c, path, "empty matrix");
    if (c->n_mat_locs == 0) {
        if (n > VRP__MAX_LOCS)
            return fail(c, path, "%zu locations: at most %d are supported", n, VRP__MAX_LOCS);
        c->n_mat_locs = (int)n;
    } else if ((int)n != c->n_mat_locs) {
        return fail(c, path, "has %zu rows but other matrices have %d", n, c->n_mat_locs);
    }
    /* Shape first, so a short document cannot make us allocate n x n. */
    for (size_t i = 0; i < n; i++) {
        struct json_object *row = json_object_array_get_idx(arr, i);
        if (!row || !json_object_is_type(row, json_type_array) ||
            json_object_array_length(row) != n)
            return fail(c, path, "row %zu must be an array of %zu numbers", i, n);
    }
    int rc = vrp__matrix_alloc((int)n, 1, out, c->e);
    if (rc)
        return at(c, path, rc);
    for (size_t i = 0; i < n; i++) {
        struct json_object *row = json_object_array_get_idx(arr, i);
        for (size_t j = 0; j < n; j++) {
            struct json_object *x = json_object_array_get_idx(row, j);
            int64_t v;
            if (x && json_object_is_type(x, json_type_double)) {
                double d = json_object_get_double(x);
                if (!isfinite(d) || d < 0 || d > (double)VRP__MAX_VALUE)
                    return fail(c, path, "[%zu][%zu] is out of range", i, j);
                v = (int64_t)floor(d + 0.5);
            } else {
                char sub[160];
                snprintf(sub, sizeof sub, "%s[%zu][%zu]", path, i, j);
                rc = i64_of(c, x, sub, 0, VRP__MAX_VALUE, &v);
                if (rc)
                    return rc;
            }
            (*out)[i * n + j] = v;
        }
    }
    return 0;
}

static int read_matrices(struct vctx *c, struct json_object *mats)
{
    struct vrp_problem *p = c->p;
    int n = json_object_object_length(mats);
    if (n == 0)
        return fail(c, "matrices", "no profile");
    if (n > 64)
        return fail(c, "matrices", "more than 64 profiles");
    p->matrices = xcalloc((size_t)n, sizeof *p->matrices);
    c->profiles = xcalloc((size_t)n, sizeof *c->profiles);
    int rc = 0;
    json_object_object_foreach(mats, name, prof)
    {
        char path[160];
        snprintf(path, sizeof path, "matrices.%.60s", name);
        struct vrp_matrix *m = &p->matrices[p->n_matrices];
        c->profiles[p->n_matrices] = name;
        p->n_matrices++;
        static const char *const keys[] = {"durations", "distances", "costs", NULL};
        if ((rc = at(c, path, rjson_only_keys(prof, keys, c->e))) != 0)
            return rc;
        struct json_object *a;
        if ((rc = at(c, path, rjson_get_array(prof, "durations", true, &a, c->e))) != 0)
            return rc;
        char sub[200];
        snprintf(sub, sizeof sub, "%s.durations", path);
        if ((rc = matrix(c, a, sub, &m->dur)) != 0)
            return rc;
        rc = at(c, path, rjson_get_array(prof, "distances", false, &a, c->e));
        if (rc == 0) {
            snprintf(sub, sizeof sub, "%s.distances", path);
            if ((rc = matrix(c, a, sub, &m->dist)) != 0)
                return rc;
        } else if (rc == ERR_NOTFOUND) {
            m->dist = m->dur;
        } else {
            return rc;
        }
        rc = at(c, path, rjson_get_array(prof, "costs", false, &a, c->e));
        if (rc == 0) {
            snprintf(sub, sizeof sub, "%s.costs", path);
            if ((rc = matrix(c, a, sub, &m->cost)) != 0)
                return rc;
        } else if (rc != ERR_NOTFOUND) {
            return rc;
        }
    }
    if ((size_t)c->n_mat_locs * (size_t)c->n_mat_locs * sizeof(int64_t) * 3 * (size_t)n >
        VRP__MAX_MATRIX_BYTES)
        return fail(c, "matrices", "the matrices would exceed 2 GiB");
    p->n_locs = c->n_mat_locs;
    return 0;
}

static int read_vehicle(struct vctx *c, struct json_object *o, const char *path,
                        struct vrp_vehicle *v)
{
    static const char *const keys[] = {"id",
                                       "profile",
                                       "description",
                                       "start",
                                       "end",
                                       "start_index",
                                       "end_index",
                                       "capacity",
                                       "skills",
                                       "time_window",
                                       "costs",
                                       "max_tasks",
                                       "max_travel_time",
                                       "max_distance",
                                       "speed_factor",
                                       "max_trips",
                                       "reload_time",
                                       "type",
                                       NULL};
    int rc = at(c, path, rjson_only_keys(o, keys, c->e));
    if (rc)
        return rc;
    v->start = v->end = VRP_NONE;
    v->tw = (struct vrp_tw){0, INT64_MAX};
    v->cost_per_hour = 3600;
    v->max_trips = 1;
    if ((rc = get_i64(c, o, path, "id", true, 0, INT64_MAX, &v->id)) != 0)
        return rc;
    if ((rc = description(c, o, path, &v->description)) != 0)
        return rc;
    const char *type; /* a string, and unused: see the top of the file */
    rc = at(c, path, rjson_get_str(o, "type", false, &type, c->e));
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    const char *prof = "car";
    rc = at(c, path, rjson_get_str(o, "profile", false, &prof, c->e));
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    v->profile = 0;
    if (c->has_matrices) {
        int k = 0;
        while (k < c->n_profiles && strcmp(c->profiles[k], prof) != 0)
            k++;
        if (k == c->n_profiles) {
            if (c->n_profiles == 1 && strcmp(prof, "car") == 0 &&
                !json_object_object_get_ex(o, "profile", NULL))
                k = 0; /* one unnamed profile: use it */
            else
                return fail(c, path, "profile '%.60s' has no matrix", prof);
        }
        v->profile = k;
    }
    if ((rc = place(c, o, path, "start_index", "start", false, &v->start)) != 0)
        return rc;
    if ((rc = place(c, o, path, "end_index", "end", false, &v->end)) != 0)
        return rc;
    bool has_cap;
    if ((rc = amounts(c, o, path, "capacity", v->capacity, &has_cap)) != 0)
        return rc;
    if (!has_cap)
        for (int d = 0; d < VRP_MAX_DIMS; d++)
            v->capacity[d] = VRP__MAX_VALUE;
    if ((rc = skills(c, o, path, &v->skills)) != 0)
        return rc;
    struct json_object *tw;
    rc = at(c, path, rjson_get_array(o, "time_window", false, &tw, c->e));
    if (rc == 0) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s.time_window", path);
        rc = window(c, tw, sub, &v->tw);
    }
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    struct json_object *costs;
    rc = at(c, path, rjson_get_obj(o, "costs", false, &costs, c->e));
    if (rc == 0) {
        char sub[160];
        snprintf(sub, sizeof sub, "%s.costs", path);
        static const char *const ck[] = {"fixed", "per_hour", "per_km", NULL};
        if ((rc = at(c, sub, rjson_only_keys(costs, ck, c->e))) != 0)
            return rc;
        rc = get_i64(c, costs, sub, "fixed", false, 0, VRP__MAX_VALUE, &v->fixed_cost);
        if (rc && rc != ERR_NOTFOUND)
            return rc;
        rc = get_i64(c, costs, sub, "per_hour", false, 0, VRP__MAX_RATE, &v->cost_per_hour);
        if (rc && rc != ERR_NOTFOUND)
            return rc;
        rc = get_i64(c, costs, sub, "per_km", false, 0, VRP__MAX_RATE, &v->cost_per_km);
        if (rc && rc != ERR_NOTFOUND)
            return rc;
    } else if (rc != ERR_NOTFOUND) {
        return rc;
    }
    int64_t x;
    rc = get_i64(c, o, path, "max_tasks", false, 1, INT32_MAX, &x);
    if (rc == 0)
        v->max_tasks = (int)x;
    else if (rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "max_travel_time", false, 0, VRP__MAX_VALUE, &v->max_travel_time);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "max_distance", false, 0, VRP__MAX_VALUE, &v->max_distance);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "max_trips", false, 1, 1000, &x);
    if (rc == 0)
        v->max_trips = (int)x;
    else if (rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "reload_time", false, 0, VRP__MAX_VALUE, &v->reload_time);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    double sf;
    rc = at(c, path, rjson_get_double(o, "speed_factor", false, &sf, c->e));
    if (rc == 0 && sf != 1.0)
        return fail(c, path, "speed_factor other than 1 is not supported");
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    if (v->max_trips > 1 && v->start == VRP_NONE)
        return fail(c, path, "max_trips > 1 needs a start to reload at");
    return 0;
}

/* Fields common to jobs and shipment halves. */
static int read_stop(struct vctx *c, struct json_object *o, const char *path, struct vrp_task *t)
{
    int rc = get_i64(c, o, path, "id", true, 0, INT64_MAX, &t->id);
    if (rc)
        return rc;
    if ((rc = description(c, o, path, &t->description)) != 0)
        return rc;
    t->loc = VRP_NONE;
    if ((rc = place(c, o, path, "location_index", "location", true, &t->loc)) != 0)
        return rc;
    rc = get_i64(c, o, path, "setup", false, 0, VRP__MAX_VALUE, &t->setup);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "service", false, 0, VRP__MAX_VALUE, &t->service);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    return windows(c, o, path, t);
}

static int read_common(struct vctx *c, struct json_object *o, const char *path, struct vrp_task *t)
{
    int rc = skills(c, o, path, &t->skills);
    if (rc)
        return rc;
    int64_t x;
    rc = get_i64(c, o, path, "priority", false, 0, 100, &x);
    if (rc == 0)
        t->priority = (int)x;
    else if (rc != ERR_NOTFOUND)
        return rc;
    rc = at(c, path, rjson_get_bool(o, "optional", false, &t->optional, c->e));
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = get_i64(c, o, path, "penalty", false, 0, VRP__MAX_VALUE, &t->penalty);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    if (rc == 0 && !t->optional)
        return fail(c, path, "'penalty' only makes sense with \"optional\": true");
    return 0;
}

static int read_job(struct vctx *c, struct json_object *o, const char *path, struct vrp_task *t)
{
    static const char *const keys[] = {"id",       "description", "location", "location_index",
                                       "setup",    "service",     "delivery", "pickup",
                                       "amount",   "skills",      "priority", "time_windows",
                                       "optional", "penalty",     NULL};
    int rc = no_per_type(c, o, path);
    if (!rc)
        rc = at(c, path, rjson_only_keys(o, keys, c->e));
    if (rc)
        return rc;
    t->kind = VRP_JOB;
    t->pair = VRP_NONE;
    if ((rc = read_stop(c, o, path, t)) != 0)
        return rc;
    bool has_del;
    if ((rc = amounts(c, o, path, "delivery", t->delivery, &has_del)) != 0)
        return rc;
    if ((rc = amounts(c, o, path, "pickup", t->pickup, NULL)) != 0)
        return rc;
    if (!has_del && (rc = amounts(c, o, path, "amount", t->delivery, NULL)) != 0)
        return rc;
    return read_common(c, o, path, t);
}

static int read_shipment(struct vctx *c, struct json_object *o, const char *path,
                         struct vrp_task *tp, struct vrp_task *td, int ip)
{
    static const char *const keys[] = {"pickup",   "delivery", "amount",  "skills",
                                       "priority", "optional", "penalty", NULL};
    static const char *const hk[] = {"id",    "description", "location",     "location_index",
                                     "setup", "service",     "time_windows", NULL};
    int rc = at(c, path, rjson_only_keys(o, keys, c->e));
    if (rc)
        return rc;
    struct json_object *hp, *hd;
    if ((rc = at(c, path, rjson_get_obj(o, "pickup", true, &hp, c->e))) != 0)
        return rc;
    if ((rc = at(c, path, rjson_get_obj(o, "delivery", true, &hd, c->e))) != 0)
        return rc;
    char sub[160];
    snprintf(sub, sizeof sub, "%s.pickup", path);
    if ((rc = no_per_type(c, hp, sub)) != 0 ||
        (rc = at(c, sub, rjson_only_keys(hp, hk, c->e))) != 0 ||
        (rc = read_stop(c, hp, sub, tp)) != 0)
        return rc;
    snprintf(sub, sizeof sub, "%s.delivery", path);
    if ((rc = no_per_type(c, hd, sub)) != 0 ||
        (rc = at(c, sub, rjson_only_keys(hd, hk, c->e))) != 0 ||
        (rc = read_stop(c, hd, sub, td)) != 0)
        return rc;
    tp->kind = VRP_PICKUP;
    td->kind = VRP_DELIVERY;
    tp->pair = ip + 1;
    td->pair = ip;
    if ((rc = amounts(c, o, path, "amount", tp->pickup, NULL)) != 0)
        return rc;
    memcpy(td->delivery, tp->pickup, sizeof td->delivery);
    if ((rc = read_common(c, o, path, tp)) != 0)
        return rc;
    td->skills = tp->skills;
    td->priority = tp->priority;
    td->optional = tp->optional;
    td->penalty = 0; /* the shipment's penalty is counted once, on the pickup */
    return 0;
}

static void haversine_matrices(struct vrp_problem *p, const double *lon, const double *lat)
{
    int n = p->n_locs;
    struct vrp_matrix *m = &p->matrices[0];
    const double R = 6371008.8, rad = 3.14159265358979323846 / 180.0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double dlat = (lat[j] - lat[i]) * rad, dlon = (lon[j] - lon[i]) * rad;
            double a = sin(dlat / 2) * sin(dlat / 2) +
                       cos(lat[i] * rad) * cos(lat[j] * rad) * sin(dlon / 2) * sin(dlon / 2);
            if (a > 1)
                a = 1;
            double d = 2 * R * asin(sqrt(a)) * CIRCUITY;
            size_t k = (size_t)i * (size_t)n + (size_t)j;
            m->dist[k] = (int64_t)floor(d + 0.5);
            m->dur[k] = (int64_t)floor(d / SPEED_M_S + 0.5);
        }
    }
}

static int read_all(struct vctx *c, struct json_object *root)
{
    struct vrp_problem *p = c->p;
    static const char *const keys[] = {"vehicles", "jobs", "shipments", "matrices", NULL};
    int rc = rjson_only_keys(root, keys, c->e);
    if (rc)
        return rc;
    struct json_object *vehicles, *jobs = NULL, *ships = NULL, *mats;
    if ((rc = rjson_get_array(root, "vehicles", true, &vehicles, c->e)) != 0)
        return rc;
    rc = rjson_get_array(root, "jobs", false, &jobs, c->e);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = rjson_get_array(root, "shipments", false, &ships, c->e);
    if (rc && rc != ERR_NOTFOUND)
        return rc;
    rc = rjson_get_obj(root, "matrices", false, &mats, c->e);
    if (rc == 0) {
        c->has_matrices = true;
        if ((rc = read_matrices(c, mats)) != 0)
            return rc;
        c->n_profiles = p->n_matrices;
    } else if (rc != ERR_NOTFOUND) {
        return rc;
    }
    size_t nv = json_object_array_length(vehicles);
    size_t nj = jobs ? json_object_array_length(jobs) : 0;
    size_t ns = ships ? json_object_array_length(ships) : 0;
    if (nv == 0)
        return err_set(c->e, ERR_INVAL, "vehicles: at least one vehicle is needed");
    if (nv > MAX_VEHICLES)
        return err_set(c->e, ERR_TOOBIG, "vehicles: more than %d", MAX_VEHICLES);
    if (nj + 2 * ns > MAX_TASKS)
        return err_set(c->e, ERR_TOOBIG, "more than %d tasks", MAX_TASKS);
    p->vehicles = xcalloc(nv, sizeof *p->vehicles);
    p->n_vehicles = (int)nv;
    p->tasks = xcalloc(nj + 2 * ns + 1, sizeof *p->tasks);
    char path[64];
    for (size_t i = 0; i < nv; i++) {
        snprintf(path, sizeof path, "vehicles[%zu]", i);
        struct json_object *o = json_object_array_get_idx(vehicles, i);
        if (!o || !json_object_is_type(o, json_type_object))
            return fail(c, path, "must be an object");
        if ((rc = read_vehicle(c, o, path, &p->vehicles[i])) != 0)
            return rc;
    }
    for (size_t i = 0; i < nj; i++) {
        snprintf(path, sizeof path, "jobs[%zu]", i);
        struct json_object *o = json_object_array_get_idx(jobs, i);
        struct vrp_task *t = &p->tasks[p->n_tasks++];
        if (!o || !json_object_is_type(o, json_type_object))
            return fail(c, path, "must be an object");
        if ((rc = read_job(c, o, path, t)) != 0)
            return rc;
    }
    for (size_t i = 0; i < ns; i++) {
        snprintf(path, sizeof path, "shipments[%zu]", i);
        struct json_object *o = json_object_array_get_idx(ships, i);
        int ip = p->n_tasks;
        p->n_tasks += 2;
        if (!o || !json_object_is_type(o, json_type_object))
            return fail(c, path, "must be an object");
        if ((rc = read_shipment(c, o, path, &p->tasks[ip], &p->tasks[ip + 1], ip)) != 0)
            return rc;
    }
    p->n_dims = c->dims > 0 ? c->dims : 1;
    if (!c->has_matrices) {
        if (c->n_ll == 0)
            return err_set(c->e, ERR_INVAL, "no locations");
        p->n_locs = c->n_ll;
        p->matrices = xcalloc(1, sizeof *p->matrices);
        p->n_matrices = 1;
        if ((rc = vrp__matrix_alloc(c->n_ll, 2, &p->matrices[0].dur, c->e)) != 0)
            return rc;
        p->matrices[0].dist = xcalloc((size_t)c->n_ll * (size_t)c->n_ll, sizeof(int64_t));
        haversine_matrices(p, c->lon, c->lat);
        p->lon = c->lon;
        p->lat = c->lat;
        c->lon = c->lat = NULL;
    }
    /* Amount arrays absent on a vehicle mean "unlimited" only in the
    ** dimensions in use; clear the rest so validation sees no stray values. */
    for (int i = 0; i < p->n_vehicles; i++)
        for (int d = p->n_dims; d < VRP_MAX_DIMS; d++)
            p->vehicles[i].capacity[d] = 0;
    p->n_skills = c->n_skills;
    if (c->n_skills) {
        p->skill_names = xcalloc((size_t)c->n_skills, sizeof *p->skill_names);
        for (int i = 0; i < c->n_skills; i++) {
            char b[32];
            snprintf(b, sizeof b, "%lld", (long long)c->skill_ids[i]);
            p->skill_names[i] = xstrdup(b);
        }
    }
    return 0;
}

int vrp__read_vroom(const char *buf, size_t len, struct vrp_problem **out, struct err *e)
{
    struct json_object *root = NULL;
    int rc = rjson_parse(buf, len, &root, e);
    if (rc)
        return rc;
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return err_set(e, ERR_INVAL, "the input must be a JSON object");
    }
    struct vctx c = {0};
    c.e = e;
    c.dims = -1;
    c.p = vrp_problem_new();
    c.p->format = xstrdup("vroom");
    c.p->name = xstrdup("");
    rc = read_all(&c, root);
    free(c.lon);
    free(c.lat);
    free(c.ll_hash);
    free(c.profiles);
    json_object_put(root);
    if (rc) {
        vrp_problem_free(c.p);
        return rc;
    }
    return vrp__finish(c.p, out, e);
}
