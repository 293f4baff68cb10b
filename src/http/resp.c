/*
** resp.c: the response side of a handler: JSON bodies, raw bytes, extra
** headers and RFC 9457 problem documents, plus the one table that maps
** ERR_* codes to HTTP statuses. A handler makes exactly one http_resp_*
** call; a second one is ignored (its body freed) so a bug cannot send two
** answers. server.c turns the filled struct into the libmicrohttpd response.
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

const char *http__reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Error";
    }
}

int http__status_for_err(int code)
{
    switch (code) {
    case ERR_INVAL:
        return 400;
    case ERR_NOTFOUND:
        return 404;
    case ERR_EXISTS:
        return 409;
    case ERR_CONFLICT:
        return 409;
    case ERR_PERM:
        return 403;
    case ERR_AUTH:
        return 401;
    case ERR_TOOBIG:
        return 413;
    case ERR_BUSY:
        return 429;
    case ERR_TIMEOUT:
        return 503;
    case ERR_UNSUPPORTED:
        return 415;
    case ERR_INFEASIBLE:
        return 422;
    case ERR_BADREF:
        return 422;
    default:
        return 500;
    }
}

/* Problem types are one vocabulary whichever way an answer is made
** (http_resp_problem by status, http_resp_err by error code), so a client
** can act on `type` alone: a status's slug is the error code's that answers
** with it. Every 500 is "internal" (its cause, io or db, stays in the log);
** 503 is "unavailable" unless a deadline passed ("timeout"). */
static const char *status_slug(int status)
{
    switch (status) {
    case 400:
    case 422:
        return "invalid";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not-found";
    case 405:
        return "method-not-allowed";
    case 409:
        return "conflict";
    case 413:
    case 431:
        return "too-big";
    case 415:
        return "unsupported";
    case 429:
        return "busy";
    case 503:
        return "unavailable";
    default:
        return status >= 500 ? "internal" : "invalid";
    }
}

/* The slug of an error code: its name with dashes ("not_found" ->
** "not-found"); codes that answer 500 are "internal". */
static const char *err_slug(int code, int status, char buf[32])
{
    if (status == 500)
        return "internal";
    snprintf(buf, 32, "%s", err_str(code));
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = '-';
    return buf;
}

static bool already(struct http_resp *w)
{
    return w->status != 0;
}

void http_resp_bytes(struct http_resp *w, int status, const char *content_type, const void *p,
                     size_t n)
{
    if (already(w))
        return;
    w->status = status;
    w->content_type = content_type ? arena_strdup(w->arena, content_type) : NULL;
    w->body = xmalloc(n ? n : 1);
    if (n)
        memcpy(w->body, p, n);
    w->body_len = n;
}

void http_resp_strbuf(struct http_resp *w, int status, const char *content_type, struct strbuf *sb)
{
    if (already(w)) {
        strbuf_release(sb);
        return;
    }
    size_t n = 0;
    char *body = strbuf_detach(sb, &n);
    w->status = status;
    w->content_type = content_type ? arena_strdup(w->arena, content_type) : NULL;
    w->body = body;
    w->body_len = n;
}

void http_resp_json(struct http_resp *w, int status, struct json_object *body)
{
    if (already(w)) {
        json_object_put(body);
        return;
    }
    size_t n = 0;
    const char *s = json_object_to_json_string_length(
        body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    w->status = status;
    w->content_type = "application/json";
    w->body = xmalloc(n + 1);
    memcpy(w->body, s, n);
    w->body[n] = '\n';
    w->body_len = n + 1;
    json_object_put(body);
}

/* Problem document with an explicit type slug. */
static void problem(struct http_resp *w, int status, const char *slug, const char *title,
                    const char *detail)
{
    if (already(w))
        return;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addf(&sb, "{\"type\":\"urn:ruralink:problem:%s\",\"title\":", slug);
    strbuf_add_json_str(&sb, title, strlen(title));
    strbuf_addf(&sb, ",\"status\":%d", status);
    if (detail && *detail) {
        strbuf_addstr(&sb, ",\"detail\":");
        strbuf_add_json_str(&sb, detail, strlen(detail));
    }
    if (w->instance) {
        strbuf_addstr(&sb, ",\"instance\":");
        strbuf_add_json_str(&sb, w->instance, strlen(w->instance));
    }
    strbuf_addstr(&sb, "}\n");
    w->status = status;
    w->content_type = "application/problem+json";
    w->body = strbuf_detach(&sb, &w->body_len);
    if (status == 401)
        http_resp_header(w, "WWW-Authenticate", "Bearer realm=\"ruralink\"");
}

void http_resp_problem(struct http_resp *w, int status, const char *title, const char *fmt, ...)
{
    char detail[512];
    detail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    problem(w, status, status_slug(status), title ? title : http__reason(status), detail);
}

void http_resp_err(struct http_resp *w, const struct err *e)
{
    int code = e ? e->code : ERR_INTERNAL;
    int status = http__status_for_err(code);
    const char *detail = e && e->msg[0] ? e->msg : err_str(code);
    w->error = arena_strdup(w->arena, detail);
    if (status == 500)
        detail = "internal error (see the server log)";
    if (status == 429)
        http_resp_header(w, "Retry-After", "1");
    char slug[32];
    problem(w, status, err_slug(code, status, slug), http__reason(status), detail);
}

void http_resp_items(struct http_resp *w, struct json_object *items)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    http_resp_json(w, 200, o);
}

void http_resp_rule_err(struct http_resp *w, const struct err *e)
{
    if (e && e->code == ERR_INVAL)
        http_resp_problem(w, 422, "Unprocessable Content", "%s", e->msg);
    else if (e && e->code == ERR_INFEASIBLE)
        http_resp_problem(w, 409, "Not feasible", "%s", e->msg);
    else
        http_resp_err(w, e);
}

void http_resp_header(struct http_resp *w, const char *name, const char *value)
{
    struct http_hdr *h = arena_alloc(w->arena, sizeof *h);
    h->name = arena_strdup(w->arena, name);
    h->value = arena_strdup(w->arena, value);
    h->next = w->headers;
    w->headers = h;
}
