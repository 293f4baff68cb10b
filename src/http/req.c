/*
** req.c: the request side of a handler: path parameters (from the router's
** match), query parameters and headers (from libmicrohttpd, which has already
** percent-decoded them), typed integer access with messages a client can act
** on, and the JSON body (content type checked, parsed by rjson_parse).
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <string.h>
#include <strings.h>

const char *http_param(struct http_req *r, const char *name)
{
    struct http__match *m = &r->conn->match;
    for (int i = 0; i < m->nparams; i++) {
        if (strcmp(m->names[i], name) == 0)
            return arena_strndup(r->arena, m->params[i].ptr, m->params[i].len);
    }
    return NULL;
}

const char *http_query(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn->mc, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn->mc, MHD_HEADER_KIND, name);
}

static int parse_id(const char *what, const char *name, const char *v, int64_t min, int64_t max,
                    int64_t *out, struct err *e)
{
    int64_t x;
    if (str_to_i64(str_from(v), &x) != 0)
        return err_set(e, ERR_INVAL, "%s '%s' must be an integer", what, name);
    if (x < min || x > max)
        return err_set(e, ERR_INVAL, "%s '%s' must be between %lld and %lld", what, name,
                       (long long)min, (long long)max);
    *out = x;
    return 0;
}

int http_param_id(struct http_req *r, const char *name, int64_t *out, struct err *e)
{
    const char *v = http_param(r, name);
    if (!v)
        return err_set(e, ERR_INVAL, "path parameter '%s' is missing", name);
    return parse_id("path parameter", name, v, 1, INT64_MAX, out, e);
}

int http_query_i64(struct http_req *r, const char *name, int64_t dflt, int64_t min, int64_t max,
                   int64_t *out, struct err *e)
{
    const char *v = http_query(r, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    return parse_id("query parameter", name, v, min, max, out, e);
}

/* True for application/json and application/<x>+json, with parameters. */
static bool is_json_type(const char *ct)
{
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

int http_body_json(struct http_req *r, struct json_object **out, struct err *e)
{
    const char *ct = http_header(r, "Content-Type");
    if (!ct || !is_json_type(ct))
        return err_set(e, ERR_UNSUPPORTED,
                       "the body must be JSON (Content-Type: "
                       "application/json), not %s",
                       ct ? ct : "untyped");
    if (r->body_len == 0)
        return err_set(e, ERR_INVAL, "the request needs a JSON body");
    struct json_object *o = NULL;
    int rc = r->conn ? rjson_parse_reuse(&r->conn->tok, r->body, r->body_len, &o, e)
                     : rjson_parse(r->body, r->body_len, &o, e);
    if (rc)
        return rc;
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return err_set(e, ERR_INVAL, "the body must be a JSON object");
    }
    *out = o;
    return 0;
}
