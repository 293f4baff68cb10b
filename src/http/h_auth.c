/*
** h_auth.c: accounts over HTTP. Login and logout, who am I, user management
** for a county's admins (auditors may read), and device registration and
** disabling (a lost or stolen sensor) and new tokens (a leaked one) for
** admins and operators.
**
** Tenancy: every user and device read or written here is in the caller's
** county; the county comes from the token, never from the body, so another
** county's ids answer 404 exactly like ids that do not exist. New users are
** created in the caller's county, which therefore exists (the county module
** made it before the caller's own account); no body field names a county.
**
** Login answers the same 401 for an unknown name, a wrong password and a
** disabled account; a locked-out name or address gets 429 with Retry-After
** before any password is checked (the limiter lives in struct auth).
*/
#include "http/http.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#define PAGE_MAX 200

static struct json_object *user_json(const struct auth_user *u)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(u->id));
    json_object_object_add(o, "name", json_object_new_string(u->name));
    json_object_object_add(o, "display_name",
                           u->display_name[0] ? json_object_new_string(u->display_name) : NULL);
    json_object_object_add(o, "role", json_object_new_string(auth_role_name(u->role)));
    json_object_object_add(o, "county_id", json_object_new_int64(u->county_id));
    json_object_object_add(o, "disabled", json_object_new_boolean(u->disabled));
    json_object_object_add(o, "created_at", rjson_new_time(u->created_ms));
    json_object_object_add(o, "updated_at", rjson_new_time(u->updated_ms));
    return o;
}

static struct json_object *device_json(const struct auth_device *d)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(d->id));
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "kind", json_object_new_string(d->kind));
    json_object_object_add(o, "county_id", json_object_new_int64(d->county_id));
    json_object_object_add(o, "disabled", json_object_new_boolean(d->disabled));
    json_object_object_add(o, "created_at", rjson_new_time(d->created_ms));
    return o;
}

/* The bearer token of this request (already verified by the server). */
static const char *bearer(struct http_req *req)
{
    const char *h = http_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* Parse the body as an object with only the allowed keys. */
static int body_obj(struct http_req *req, const char *const *allowed, struct json_object **out,
                    struct err *e)
{
    int rc = http_body_json(req, out, e);
    if (rc)
        return rc;
    rc = rjson_only_keys(*out, allowed, e);
    if (rc) {
        json_object_put(*out);
        *out = NULL;
    }
    return rc;
}

/* An absent optional field is fine. */
static int optional(int rc)
{
    return rc == ERR_NOTFOUND ? 0 : rc;
}

/* ---------------------------------------------------------------- sessions */

static void h_login(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"name", "password", NULL};
    struct err e;
    err_clear(&e);
    struct json_object *o;
    const char *name, *password;
    if (body_obj(req, keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    if (rjson_get_str(o, "name", true, &name, &e) ||
        rjson_get_str(o, "password", true, &password, &e)) {
        json_object_put(o);
        http_resp_err(w, &e);
        return;
    }
    char token[AUTH_TOKEN_LEN];
    struct auth_principal who;
    int64_t expires_ms;
    int rc = auth_login(app->auth, app->store, name, password, req->remote_addr, token, &who,
                        &expires_ms, &e);
    if (rc == ERR_BUSY) {
        int64_t ms = auth_login_retry_after_ms(app->auth, name, req->remote_addr);
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)(ms > 0 ? (ms + 999) / 1000 : 1));
        json_object_put(o);
        http_resp_header(w, "Retry-After", secs);
        http_resp_problem(w, 429, "Too Many Requests", "%s", e.msg);
        return;
    }
    json_object_put(o);
    if (rc == ERR_AUTH) {
        http_resp_problem(w, 401, "Unauthorized", "invalid name or password");
        return;
    }
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "token", json_object_new_string(token));
    json_object_object_add(r, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(r, "expires_at", rjson_new_time(expires_ms));
    struct json_object *u = json_object_new_object();
    json_object_object_add(u, "id", json_object_new_int64(who.user_id));
    json_object_object_add(u, "name", json_object_new_string(who.name));
    json_object_object_add(u, "role", json_object_new_string(auth_role_name(who.role)));
    json_object_object_add(u, "county_id", json_object_new_int64(who.county_id));
    json_object_object_add(r, "user", u);
    http_resp_header(w, "Cache-Control", "no-store");
    http_resp_json(w, 200, r);
}

static void h_logout(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    int rc = auth_logout(app->auth, app->store, bearer(req), &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_bytes(w, 204, NULL, NULL, 0);
}

static void h_me(struct app *app, struct http_req *req, struct http_resp *w)
{
    const struct auth_principal *p = &req->who;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "kind",
                           json_object_new_string(p->role == AUTH_ROLE_DEVICE ? "device" : "user"));
    json_object_object_add(
        o, "id", json_object_new_int64(p->role == AUTH_ROLE_DEVICE ? p->device_id : p->user_id));
    json_object_object_add(o, "name", json_object_new_string(p->name));
    json_object_object_add(o, "role", json_object_new_string(auth_role_name(p->role)));
    json_object_object_add(o, "county_id", json_object_new_int64(p->county_id));
    if (p->role != AUTH_ROLE_DEVICE) {
        struct auth_user u;
        struct err e;
        err_clear(&e);
        if (auth_user_get(app->store, p->county_id, p->user_id, &u, &e) == 0 && u.display_name[0])
            json_object_object_add(o, "display_name", json_object_new_string(u.display_name));
    }
    http_resp_json(w, 200, o);
}

/* ------------------------------------------------------------------- users */

static void h_users_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    int64_t limit, after;
    if (http_query_i64(req, "limit", 50, 1, PAGE_MAX, &limit, &e) ||
        http_query_i64(req, "cursor", 0, 0, INT64_MAX, &after, &e)) {
        http_resp_err(w, &e);
        return;
    }
    const char *role_s = http_query(req, "role");
    enum auth_role role = AUTH_ROLE_COUNT;
    if (role_s && (auth_role_parse(role_s, &role) || role == AUTH_ROLE_DEVICE)) {
        http_resp_problem(w, 400, "Bad Request", "query parameter 'role' is not a user role");
        return;
    }
    /* One extra row tells whether there is a next page; a role filter may
    ** need several pages of the table to fill one. */
    struct auth_user *buf = arena_alloc(req->arena, sizeof *buf * (size_t)(limit + 1));
    struct json_object *items = json_object_new_array();
    size_t got = 0;
    int64_t cursor = after, last = 0;
    bool more = false;
    for (;;) {
        size_t n;
        if (auth_user_list(app->store, req->who.county_id, cursor, buf, (size_t)limit + 1, &n,
                           &e)) {
            json_object_put(items);
            http_resp_err(w, &e);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            cursor = buf[i].id;
            if (role_s && buf[i].role != role)
                continue;
            if (got == (size_t)limit) {
                more = true;
                break;
            }
            json_object_array_add(items, user_json(&buf[i]));
            last = buf[i].id;
            got++;
        }
        if (more || n < (size_t)limit + 1)
            break;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    char cur[24];
    snprintf(cur, sizeof cur, "%lld", (long long)last);
    json_object_object_add(o, "next_cursor", more ? json_object_new_string(cur) : NULL);
    http_resp_json(w, 200, o);
}

static void h_users_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"name", "password", "role", "display_name", NULL};
    struct err e;
    err_clear(&e);
    struct json_object *o;
    if (body_obj(req, keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct auth_user_new u = {.county_id = req->who.county_id};
    const char *role_s;
    int rc = 0;
    if (rjson_get_str(o, "name", true, &u.name, &e) ||
        rjson_get_str(o, "password", true, &u.password, &e) ||
        rjson_get_str(o, "role", true, &role_s, &e)) {
        rc = -1;
    } else if (auth_role_parse(role_s, &u.role) || u.role == AUTH_ROLE_DEVICE) {
        rc = err_set(&e, ERR_INVAL,
                     "field 'role' must be one of admin, operator, merchant,"
                     " driver, auditor, trainer, buyer");
    } else if (rjson_get_str(o, "display_name", false, &u.display_name, &e) == ERR_INVAL) {
        rc = -1;
    }
    int64_t id = 0;
    if (rc == 0)
        rc = auth_user_add(app->store, &req->who, &u, &id, &e);
    json_object_put(o);
    struct auth_user out;
    if (rc == 0)
        rc = auth_user_get(app->store, req->who.county_id, id, &out, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/users/%lld", (long long)id);
    http_resp_header(w, "Location", loc);
    http_resp_json(w, 201, user_json(&out));
}

static void h_user_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    int64_t id;
    struct auth_user u;
    if (http_param_id(req, "id", &id, &e) ||
        auth_user_get(app->store, req->who.county_id, id, &u, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, user_json(&u));
}

static void h_user_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"role", "password", "display_name", "disabled", NULL};
    struct err e;
    err_clear(&e);
    int64_t id;
    if (http_param_id(req, "id", &id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o;
    if (body_obj(req, keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct auth_user_patch p = {.disabled = -1};
    enum auth_role role;
    const char *role_s = NULL;
    bool disabled;
    int rc = optional(rjson_get_str(o, "role", false, &role_s, &e));
    if (rc == 0)
        rc = optional(rjson_get_str(o, "password", false, &p.password, &e));
    if (rc == 0)
        rc = optional(rjson_get_str(o, "display_name", false, &p.display_name, &e));
    if (rc == 0) {
        int r2 = rjson_get_bool(o, "disabled", false, &disabled, &e);
        if (r2 == 0)
            p.disabled = disabled ? 1 : 0;
        rc = optional(r2);
    }
    if (rc == 0 && role_s) {
        if (auth_role_parse(role_s, &role) || role == AUTH_ROLE_DEVICE)
            rc = err_set(&e, ERR_INVAL,
                         "field 'role' must be one of admin, operator, merchant,"
                         " driver, auditor, trainer, buyer");
        else
            p.role = &role;
    }
    if (rc == 0 && !p.role && !p.password && !p.display_name && p.disabled < 0)
        rc = err_set(&e, ERR_INVAL,
                     "nothing to change: give role, password, display_name or"
                     " disabled");
    struct auth_user out;
    if (rc == 0)
        rc = auth_user_update(app->auth, app->store, &req->who, req->who.county_id, id, &p, &out,
                              &e);
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, user_json(&out));
}

/* ----------------------------------------------------------------- devices */

static void h_devices_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"name", "kind", NULL};
    struct err e;
    err_clear(&e);
    struct json_object *o;
    if (body_obj(req, keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    const char *name, *kind = "sensor";
    int rc = rjson_get_str(o, "name", true, &name, &e);
    if (rc == 0 && rjson_get_str(o, "kind", false, &kind, &e) == ERR_INVAL)
        rc = ERR_INVAL;
    char token[AUTH_TOKEN_LEN];
    struct auth_device d;
    if (rc == 0)
        rc = auth_device_add(app->store, &req->who, req->who.county_id, name, kind, token, &d, &e);
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = device_json(&d);
    json_object_object_add(r, "token", json_object_new_string(token));
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/devices/%lld", (long long)d.id);
    http_resp_header(w, "Location", loc);
    http_resp_header(w, "Cache-Control", "no-store");
    http_resp_json(w, 201, r);
}

static void h_devices_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    int64_t limit, after;
    if (http_query_i64(req, "limit", 50, 1, PAGE_MAX, &limit, &e) ||
        http_query_i64(req, "cursor", 0, 0, INT64_MAX, &after, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct auth_device *buf = arena_alloc(req->arena, sizeof *buf * (size_t)(limit + 1));
    size_t n;
    if (auth_device_list(app->store, req->who.county_id, after, buf, (size_t)limit + 1, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    bool more = n > (size_t)limit;
    if (more)
        n = (size_t)limit;
    struct json_object *items = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(items, device_json(&buf[i]));
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    char cur[24];
    snprintf(cur, sizeof cur, "%lld", (long long)(n ? buf[n - 1].id : 0));
    json_object_object_add(o, "next_cursor", more ? json_object_new_string(cur) : NULL);
    http_resp_json(w, 200, o);
}

static void h_device_patch(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"disabled", NULL};
    struct err e;
    err_clear(&e);
    int64_t id;
    if (http_param_id(req, "id", &id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *o;
    if (body_obj(req, keys, &o, &e)) {
        http_resp_err(w, &e);
        return;
    }
    bool disabled = false;
    int rc = rjson_get_bool(o, "disabled", true, &disabled, &e);
    json_object_put(o);
    struct auth_device d;
    if (rc == 0)
        rc = auth_device_set_disabled(app->auth, app->store, &req->who, req->who.county_id, id,
                                      disabled, &d, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, device_json(&d));
}

static void h_device_token(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    int64_t id;
    char token[AUTH_TOKEN_LEN];
    if (http_param_id(req, "id", &id, &e) ||
        auth_device_new_token(app->auth, app->store, &req->who, req->who.county_id, id, token,
                              &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "id", json_object_new_int64(id));
    json_object_object_add(r, "token", json_object_new_string(token));
    http_resp_header(w, "Cache-Control", "no-store");
    http_resp_json(w, 201, r);
}

#define ADMIN AUTH_ROLE_BIT(AUTH_ROLE_ADMIN)
#define AUDITOR AUTH_ROLE_BIT(AUTH_ROLE_AUDITOR)
#define DEVICE AUTH_ROLE_BIT(AUTH_ROLE_DEVICE)

const struct http_route http_routes_auth[] = {
    {"POST", "/api/v1/auth/login", h_login, 0, HTTP_PUBLIC},
    {"POST", "/api/v1/auth/logout", h_logout, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/me", h_me, AUTH_ANY_USER | DEVICE, 0},
    {"GET", "/api/v1/users", h_users_list, ADMIN | AUDITOR, 0},
    {"POST", "/api/v1/users", h_users_create, ADMIN, HTTP_IDEMPOTENT},
    {"GET", "/api/v1/users/{id}", h_user_get, ADMIN | AUDITOR, 0},
    {"PATCH", "/api/v1/users/{id}", h_user_patch, ADMIN, 0},
    {"GET", "/api/v1/devices", h_devices_list, AUTH_STAFF | AUDITOR, 0},
    {"POST", "/api/v1/devices", h_devices_create, AUTH_STAFF, 0},
    {"PATCH", "/api/v1/devices/{id}", h_device_patch, AUTH_STAFF, 0},
    {"POST", "/api/v1/devices/{id}/tokens", h_device_token, AUTH_STAFF, 0},
};
const size_t http_routes_auth_len = RL_ARRAY_LEN(http_routes_auth);
