/*
** http: the HTTP/1.1 front door (libmicrohttpd). Routes, JSON in and out,
** RFC 9457 problem responses, bearer-token authentication, request limits,
** request logs, /metrics, static files for web/, optional TLS.
**
** Handlers live in h_<group>.c, one file per resource group. Each file
** exports a route table that server.c registers:
**
**   const struct http_route http_routes_county[] = {
**       {"GET", "/api/v1/villages/{id}", h_village_get, AUTH_ANY_USER, 0},
**       ...
**   };
**   const size_t http_routes_county_len = RL_ARRAY_LEN(http_routes_county);
**
** A handler reads the request through http_req helpers and answers through
** exactly one http_resp_* call. It runs on an HTTP worker thread and may call
** store_read / store_write (which block until durable). Everything a handler
** allocates for the request goes in req->arena, freed after the response.
**
** The HTTP layer is the only one that knows about HTTP: it maps JSON to the
** domain modules' plain structs and their ERR_* codes to statuses.
*/
#ifndef RL_HTTP_H
#define RL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

struct json_object;

struct http_config {
    const char *listen;   /* "127.0.0.1:8080"; port 0 picks a free one */
    int threads;          /* worker threads (default: 2 x cores) */
    size_t max_body;      /* bytes (default 1 MiB) */
    const char *web_root; /* folder of static files served at / (NULL: none) */
    const char *tls_cert; /* PEM paths; both set = HTTPS */
    const char *tls_key;
    bool demo;                 /* demo credentials in use: say so in /health */
    int handler_threads;       /* blocking threads that run non-GET handlers so
                                  writes can wait for a group commit together
                                  (0: default 32; -1: none, every handler runs
                                  on the I/O threads) */
    int cache_mb;              /* HTTP_CACHEABLE response cache (0: default 32;
                                  -1: off) */
    const char *trusted_proxy; /* address of a reverse proxy (NULL: none): a
                                  request from it is taken to come from the
                                  last address in its X-Forwarded-For */
};

/* Everything a handler may use; built by `ruralink serve`, borrowed by
** handlers. Domain modules that keep state across requests hang a handle
** here. */
struct app {
    struct store *store;
    struct auth *auth;
    struct log *log;
    struct http_config cfg;
    int64_t started_ms;
    void *jobs;      /* background job pool (long solves), owned by serve */
    void *telemetry; /* telemetry module state, when present */
    void *logistics; /* logistics module state, when present */
};

/* ------------------------------------------------------------------ server */

struct http_server;

/* What http_start would refuse in cfg, found without binding or starting
** anything: the listen address, and the TLS pair (both or neither, files
** readable, PEM text). For `serve` to check before it opens a database. */
int http_config_check(const struct http_config *cfg, struct err *e);

/* Bind and start serving. On success *out runs until http_stop(). The bound
** port (useful with port 0) is http_port(). */
int http_start(struct http_server **out, struct app *app, struct err *e);
int http_port(const struct http_server *srv);
/* Stop accepting, finish requests in flight, free. */
void http_stop(struct http_server *srv);

/* ----------------------------------------------------------------- request */

struct http_conn; /* private */

struct http_req {
    const char *method;
    const char *path;  /* without the query string */
    const char *route; /* the matched pattern, e.g. /api/v1/villages/{id} */
    const char *body;  /* NUL-terminated copy; body_len excludes the NUL */
    size_t body_len;
    const char *remote_addr;
    struct auth_principal who; /* the caller (role checked before the handler) */
    bool authenticated;
    struct arena *arena;
    struct http_conn *conn; /* private */
};

/* Path parameter {name}, query parameter, request header: NULL when absent. */
const char *http_param(struct http_req *r, const char *name);
const char *http_query(struct http_req *r, const char *name);
const char *http_header(struct http_req *r, const char *name);
/* Path/query parameter as a positive int64: ERR_INVAL with a message when not. */
int http_param_id(struct http_req *r, const char *name, int64_t *out, struct err *e);
int http_query_i64(struct http_req *r, const char *name, int64_t dflt, int64_t min, int64_t max,
                   int64_t *out, struct err *e);
/* Which of the n (at most 8) languages offered (primary subtags: "zh",
** "en") an Accept-Language header (may be NULL) prefers, as an index into
** offered (RFC 9110 12.5.4): the highest q (any subtags match: zh-CN is
** zh), the range listed first on a tie, then offered's order; "*" stands
** for the offered ones not listed. 0 when it names none of them or
** refuses them all (q=0). A range it cannot read is skipped. */
size_t http_accept_language(const char *header, const char *const *offered, size_t n);
/* Parse the body as a JSON object (content type must be JSON). You own *out. */
int http_body_json(struct http_req *r, struct json_object **out, struct err *e);

/* ---------------------------------------------------------------- response */

struct http_resp;

/* JSON body; takes ownership of `body` (json_object_put after sending). */
void http_resp_json(struct http_resp *w, int status, struct json_object *body);
/* Raw bytes, copied. */
void http_resp_bytes(struct http_resp *w, int status, const char *content_type, const void *p,
                     size_t n);
/* The same with a body built in a strbuf, whose storage the answer takes
** over (no copy); *sb is left empty. */
void http_resp_strbuf(struct http_resp *w, int status, const char *content_type, struct strbuf *sb);
/* application/problem+json: type, title, status, detail, instance. */
void http_resp_problem(struct http_resp *w, int status, const char *title, const char *fmt, ...)
    RL_PRINTF(4, 5);
/* Problem from an ERR_* code: INVAL 400/422, AUTH 401, PERM 403, NOTFOUND 404,
** EXISTS and CONFLICT 409, TOOBIG 413, BUSY 429/503, others 500. */
void http_resp_err(struct http_resp *w, const struct err *e);
/* The same for a service's answer to a well-formed body: ERR_INVAL means the
** input broke a domain rule, so it is 422 rather than 400; ERR_INFEASIBLE
** (no plan can meet the request) is 409. */
void http_resp_rule_err(struct http_resp *w, const struct err *e);
/* 200 with {"items": items} (a JSON array; consumed): the shape of every
** unpaginated list. */
void http_resp_items(struct http_resp *w, struct json_object *items);
/* Extra header on the response (before the http_resp_* call). */
void http_resp_header(struct http_resp *w, const char *name, const char *value);

/* Answer after a durable write without holding a thread while it commits.
** On an I/O thread (routes flagged HTTP_ASYNC, and GET/HEAD routes) it
** queues fn(arg) for the store's writer and returns at once; on a handler
** thread (other routes) it simply runs store_write and then done. Either
** way the handler must return right after the call without touching req
** or w again. When the write's group commit is durable (or has failed),
** done runs with fn's rc and message and makes the one http_resp_* call
** (on a handler thread, on that thread). Queued, done runs on the
** connection's I/O thread once the commit is known (on the store's writer
** thread instead when the route records an Idempotency-Key answer, which
** goes into the next group commit): either way it must be quick and must
** not block (no store_write, store_read, locks held long). arg must stay valid until done returns
** (allocate it in req->arena). */
typedef void (*http_write_done_fn)(struct app *app, struct http_req *req, struct http_resp *w,
                                   void *arg, int rc, const struct err *e);
void http_write_async(struct http_req *req, struct http_resp *w, store_fn fn, void *arg,
                      unsigned flags, http_write_done_fn done); /* flags: STORE_CHECKS_FIRST */

/* ------------------------------------------------------------------ routes */

typedef void (*http_handler_fn)(struct app *app, struct http_req *req, struct http_resp *w);

enum {
    HTTP_PUBLIC = 1u << 0,      /* no token needed (roles ignored) */
    HTTP_IDEMPOTENT = 1u << 1,  /* POST honours Idempotency-Key */
    HTTP_CACHEABLE = 1u << 2,   /* GET whose 200 JSON answer depends only on the
                                   caller, path, query and the database: served
                                   from the response cache until any write
                                   commits (or 1 s passes; docs/internals/http.md) */
    HTTP_ASYNC = 1u << 3,       /* the handler never blocks: it runs on an I/O
                                   thread and answers at once or through
                                   http_write_async (no handler thread) */
    HTTP_INFLUX_AUTH = 1u << 4, /* also takes InfluxDB clients' credentials: the
                                   token as "Authorization: Token <t>" (2.x),
                                   as the password of "Basic" or of the 1.x
                                   query parameters u/p (the user is ignored) */
    HTTP_BLOCKING = 1u << 5,    /* a GET whose handler may wait (a long poll):
                                   it runs on a handler thread, as writes do,
                                   never on an I/O thread */
};

struct http_route {
    const char *method;
    const char *pattern; /* literal segments and {param} segments */
    http_handler_fn fn;
    unsigned roles; /* AUTH_ROLE_BIT mask of who may call it */
    unsigned flags;
};

/* A resource group's table, listed in routes.c (one line per group: the
** owner of h_<group>.c appends {"group", http_routes_group,
** &http_routes_group_len} there, guarded by RL_HAVE_<MODULE> when the group
** needs a domain module that a restricted build may leave out). */
struct http_route_group {
    const char *name;
    const struct http_route *routes;
    const size_t *len;
};
extern const struct http_route_group http_route_groups[];
extern const size_t http_route_groups_len;

/* Every route this build serves, flattened from http_route_groups in order
** (static data, borrowed; for `ruralink serve --print-routes` and tests). */
size_t http_route_count(void);
const struct http_route *http_route_at(size_t i);

#endif
