/*
** json.c: helpers over json-c.
**
** Every request body and file ruralink reads goes through rjson_parse, which
** bounds nesting depth, validates UTF-8, rejects trailing garbage and says at
** which byte a document went wrong. The typed getters turn "a field of the
** wrong type" into a message a client can act on, so handlers never have to
** write those checks themselves.
*/
#include "base/base.h"

#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

int rjson_parse_reuse(struct json_tokener **tokp, const char *buf, size_t len,
                      struct json_object **out, struct err *e)
{
    if (len > INT32_MAX)
        return err_set(e, ERR_TOOBIG, "JSON document too large");
    if (!*tokp && !(*tokp = json_tokener_new_ex(RJSON_MAX_DEPTH)))
        rl_die("json_tokener_new_ex");
    struct json_tokener *tok = *tokp;
    json_tokener_reset(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *obj = json_tokener_parse_ex(tok, buf, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    int rc = 0;
    if (!obj && jerr == json_tokener_continue) {
        rc = err_set(e, ERR_INVAL, "invalid JSON: document ends early (byte %zu)", len);
    } else if (!obj && jerr != json_tokener_success) {
        rc = err_set(e, ERR_INVAL, "invalid JSON at byte %zu: %s", end,
                     json_tokener_error_desc(jerr));
    } else {
        while (end < len &&
               (buf[end] == ' ' || buf[end] == '\n' || buf[end] == '\r' || buf[end] == '\t'))
            end++;
        if (end < len) {
            rc = err_set(e, ERR_INVAL, "invalid JSON at byte %zu: trailing data", end);
        } else if (!obj) {
            /* "null" parses to NULL with success: a document, but not one we use. */
            obj = NULL;
        }
    }
    if (rc) {
        json_object_put(obj);
        json_tokener_reset(tok); /* drop what a failed parse still holds */
        return rc;
    }
    *out = obj;
    return 0;
}

int rjson_parse(const char *buf, size_t len, struct json_object **out, struct err *e)
{
    struct json_tokener *tok = NULL;
    int rc = rjson_parse_reuse(&tok, buf, len, out, e);
    if (tok)
        json_tokener_free(tok);
    return rc;
}

/* Look up key; absent and null are the same. Returns 0, or ERR_NOTFOUND
** (with a message when required). */
static int lookup(struct json_object *obj, const char *key, bool required, struct json_object **val,
                  struct err *e)
{
    struct json_object *v = NULL;
    if (!obj || !json_object_is_type(obj, json_type_object))
        return err_set(e, ERR_INVAL, "expected a JSON object");
    if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
        if (required)
            return err_set(e, ERR_INVAL, "field '%s' is required", key);
        return ERR_NOTFOUND;
    }
    *val = v;
    return 0;
}

int rjson_get_str(struct json_object *obj, const char *key, bool required, const char **out,
                  struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_string))
        return err_set(e, ERR_INVAL, "field '%s' must be a string", key);
    const char *s = json_object_get_string(v);
    if (strlen(s) != (size_t)json_object_get_string_len(v))
        return err_set(e, ERR_INVAL, "field '%s' must not contain NUL characters", key);
    *out = s;
    return 0;
}

int rjson_get_i64(struct json_object *obj, const char *key, bool required, int64_t *out,
                  struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_int))
        return err_set(e, ERR_INVAL, "field '%s' must be an integer", key);
    int64_t i = json_object_get_int64(v);
    if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
        return err_set(e, ERR_INVAL, "field '%s' is out of range", key);
    *out = i;
    return 0;
}

int rjson_get_double(struct json_object *obj, const char *key, bool required, double *out,
                     struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return err_set(e, ERR_INVAL, "field '%s' must be a number", key);
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return err_set(e, ERR_INVAL, "field '%s' must be a finite number", key);
    *out = d;
    return 0;
}

int rjson_get_bool(struct json_object *obj, const char *key, bool required, bool *out,
                   struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_boolean))
        return err_set(e, ERR_INVAL, "field '%s' must be true or false", key);
    *out = json_object_get_boolean(v);
    return 0;
}

int rjson_get_obj(struct json_object *obj, const char *key, bool required, struct json_object **out,
                  struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_object))
        return err_set(e, ERR_INVAL, "field '%s' must be an object", key);
    *out = v;
    return 0;
}

int rjson_get_array(struct json_object *obj, const char *key, bool required,
                    struct json_object **out, struct err *e)
{
    struct json_object *v;
    int rc = lookup(obj, key, required, &v, e);
    if (rc)
        return rc;
    if (!json_object_is_type(v, json_type_array))
        return err_set(e, ERR_INVAL, "field '%s' must be an array", key);
    *out = v;
    return 0;
}

int rjson_only_keys(struct json_object *obj, const char *const *allowed, struct err *e)
{
    if (!obj || !json_object_is_type(obj, json_type_object))
        return err_set(e, ERR_INVAL, "expected a JSON object");
    json_object_object_foreach(obj, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return err_set(e, ERR_INVAL, "unknown field '%s'", key);
    }
    return 0;
}

struct json_object *rjson_new_double(double v, int digits)
{
    char buf[64];
    if (digits <= 0 || digits > 17)
        digits = 15;
    if (!isfinite(v))
        return NULL; /* JSON has no NaN or infinity: callers emit null */
    snprintf(buf, sizeof buf, "%.*g", digits, v);
    /* Keep it a JSON number even when %g dropped the point: "3" is fine. */
    return json_object_new_double_s(v, buf);
}

struct json_object *rjson_new_time(int64_t ms)
{
    char buf[32];
    return json_object_new_string(time_fmt_rfc3339(ms, buf));
}

const char *rjson_str(struct json_object *obj, size_t *len)
{
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    if (len)
        *len = n;
    return s;
}
