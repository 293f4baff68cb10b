/*
** http_int.h: private to src/http (and its unit tests). The router, the
** per-request state shared by server.c, req.c and resp.c, metrics, static
** files and idempotency records. Nothing outside src/http and tests/ uses it.
*/
#ifndef RL_HTTP_INT_H
#define RL_HTTP_INT_H

#include "http/http.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

/* ------------------------------------------------------------------ router */

#define HTTP__MAX_PARAMS 8
#define HTTP__MAX_SEGMENTS 32

struct http__router;

/* A match: route index (into the array given to http__router_new) and the
** {param} values in path order, as slices of the matched path. */
struct http__match {
    int route;
    int nparams;
    struct str params[HTTP__MAX_PARAMS];
    const char *const *names; /* the route's parameter names, nparams long */
};

enum { HTTP__MATCH_OK = 0, HTTP__MATCH_NOPATH = 1, HTTP__MATCH_NOMETHOD = 2 };

/* Build a segment trie over routes[0..n) (borrowed; must outlive the
** router). Patterns start with '/', segments are literals or whole-segment
** {name}. A duplicate method + pattern, or a malformed pattern, is ERR_INVAL.
** On success you own *out (http__router_free). */
int http__router_new(struct http__router **out, const struct http_route *routes, size_t n,
                     struct err *e);
void http__router_free(struct http__router *r);
/* Match method + path (without query). HEAD falls back to GET. Returns
** HTTP__MATCH_OK with m filled, HTTP__MATCH_NOMETHOD with the allowed
** methods in allow ("GET, POST"), or HTTP__MATCH_NOPATH. Literal segments
** win over {param} at the same position. Thread-safe (read only). */
int http__router_match(const struct http__router *r, const char *method, const char *path,
                       struct http__match *m, char *allow, size_t allow_size);

/* ----------------------------------------------------------------- daemon */

struct MHD_Daemon;
struct MHD_Connection;

/* libmicrohttpd flags each I/O thread's daemon starts with (MHD_USE_*), TLS
** and IPv6 aside: epoll, with the event loop below rather than MHD's own
** threads (server.c io_main says why). */
unsigned http__daemon_flags(void);

/* An I/O thread running one daemon started with http__daemon_flags(). */
struct http__io {
    struct http_server *srv; /* NULL outside the server (tests) */
    struct MHD_Daemon *d;
    int wake; /* eventfd: a resume or the stop wakes the loop */
    int ep;   /* epoll over the daemon's epoll fd and wake */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    atomic_uint resumes;  /* http__io_resume calls, for io_main's last look */
    atomic_bool sleeping; /* io_main waits, or is about to */
    atomic_bool quiesce;  /* asked to stop accepting ... */
    atomic_bool quiet;    /* ... and done: listen is the daemon's socket */
    int listen;           /* to close after MHD_stop_daemon; -1: none */
};

/* Start io's thread running d (which io does not own: stop it after
** http__io_join). The daemon's handlers then run on that thread. */
int http__io_run(struct http__io *io, struct MHD_Daemon *d, struct err *e);
/* MHD_resume_connection(mc) for one of io's connections, from any thread,
** and wake io's thread if it sleeps: libmicrohttpd does not, run this way
** (io_main). */
void http__io_resume(struct http__io *io, struct MHD_Connection *mc);
/* Have io's thread stop accepting connections (MHD_quiesce_daemon) at its
** next turn; after http__io_join its listening socket is io->listen. */
void http__io_quiesce(struct http__io *io);
/* Stop and join io's thread and close its descriptors (not the daemon). */
void http__io_join(struct http__io *io);

/* ---------------------------------------------------------------- metrics */

struct http__cache;

#define HTTP__LAT_BUCKETS 12
#define HTTP__STATUS_SLOTS 24

struct http__route_metrics {
    const char *route;  /* pattern, or "unmatched" / "static" */
    const char *method; /* NULL: label by request method (the two catch-alls) */
    struct {
        atomic_int status;    /* 0 = free slot */
        atomic_int method_ix; /* index into http__methods for catch-alls */
        atomic_uint_fast64_t count;
    } by_status[HTTP__STATUS_SLOTS];
    atomic_uint_fast64_t lat_bucket[HTTP__LAT_BUCKETS + 1]; /* last = +Inf */
    atomic_uint_fast64_t lat_sum_us;
    atomic_uint_fast64_t lat_count;
};

struct http__metrics {
    size_t n; /* routes + 2 (unmatched, static) */
    struct http__route_metrics *r;
    int64_t started_ms;
    atomic_uint_fast64_t bytes_out;
    atomic_uint_fast64_t in_flight;
};

void http__metrics_init(struct http__metrics *m, const struct http_route *routes, size_t n,
                        int64_t started_ms);
void http__metrics_release(struct http__metrics *m);
/* slot: route index, or n_routes for unmatched, n_routes + 1 for static. */
void http__metrics_observe(struct http__metrics *m, size_t slot, const char *method, int status,
                           int64_t dur_ns);
/* Prometheus text exposition (format 0.0.4) into sb. */
void http__metrics_render(struct http__metrics *m, struct store *st, struct strbuf *sb);
/* The response cache's counters (c may be NULL: nothing rendered). */
void http__metrics_render_cache(struct http__cache *c, struct strbuf *sb);

/* ------------------------------------------------------------ connections */

struct http_hdr {
    const char *name;
    const char *value;
    struct http_hdr *next;
};

struct http_resp {
    int status; /* 0 until a http_resp_* call */
    const char *content_type;
    char *body; /* malloc'd, owned until handed to MHD */
    size_t body_len;
    struct http_hdr *headers; /* arena */
    struct arena *arena;
    const char *instance; /* request path, for problems */
    const char *error;    /* http_resp_err's message (arena), for the log */
};

struct MHD_Connection;
struct MHD_Response;
struct http_server;

/* Per-request state (MHD's con_cls). */
struct http__io;

struct http_conn {
    struct http_server *srv;
    struct http__io *io; /* the I/O thread whose daemon holds mc */
    struct MHD_Connection *mc;
    struct arena arena;
    struct strbuf body;
    int phase;
    bool too_big;
    size_t discarded; /* body bytes dropped after too_big */
    struct http_req req;
    struct http_resp resp;
    struct http__match match;
    size_t metrics_slot;
    int64_t t0_ns;
    char remote[64];
    char user[80];
    struct MHD_Response *mresp; /* ready to queue */
    int mstatus;
    size_t mbytes;
    struct http_conn *next_job; /* worker queue link */
    bool on_worker;             /* running on a handler thread (already suspended) */
    bool async;                 /* http_write_async queued a write */
    http_write_done_fn async_done;
    void *async_arg;
    int async_rc;             /* the write's result, for async_done ... */
    struct err async_e;       /* ... run on the I/O thread */
    const char *idem_key;     /* Idempotency-Key to record after the answer */
    struct json_tokener *tok; /* body parser, kept with the reused state */
};

/* The server's metrics and response cache (for GET /metrics). */
struct http__metrics *http__server_metrics(struct http_server *srv);
struct http__cache *http__server_cache(struct http_server *srv);

/* ------------------------------------------------------------ static files */

/* Serve path under web_root (GET/HEAD). Fills resp-side MHD response in c
** (c->mresp, c->mstatus) and returns true when a file (or the index.html
** fallback) was found; false leaves c untouched (the caller answers 404). */
bool http__static_serve(const char *web_root, struct http_conn *c, const char *path);
/* Content type for a file name by its extension. */
const char *http__content_type(const char *name);

/* ------------------------------------------------------------ idempotency */

struct http__idem_rec {
    int status;
    const char *content_type;
    char *body; /* arena */
    size_t body_len;
};
/* Look up a stored answer: 0 and *rec filled (arena), ERR_NOTFOUND,
** ERR_CONFLICT (key used for another method or path), or an error. */
int http__idem_get(struct store *st, struct arena *a, const struct auth_principal *who,
                   const char *key, const char *method, const char *path,
                   struct http__idem_rec *rec, struct err *e);
/* Claim the key before running the handler (one durable write): 0, or
** ERR_EXISTS when a request with the key came first (its answer is recorded
** or it is still running), or an error. */
int http__idem_claim(struct store *st, const struct auth_principal *who, const char *key,
                     const char *method, const char *path, struct err *e);
/* Settle a claim after the handler: a status in 1..499 is recorded with its
** body (replayed to retries); anything else drops the claim. */
int http__idem_put(struct store *st, const struct auth_principal *who, const char *key,
                   const char *method, const char *path, int status, const char *body,
                   size_t body_len, struct err *e);

/* ------------------------------------------------------------------ cache */

struct http__cache;
void http__cache_new(struct http__cache **out, size_t max_bytes, int64_t ttl_ms);
void http__cache_free(struct http__cache *c);
/* A copy of a valid entry's body (you own *body) when key is cached with
** generation gen and younger than the TTL. */
bool http__cache_get(struct http__cache *c, const char *key, uint64_t gen, int64_t now_ms,
                     char **body, size_t *body_len, const char **content_type);
/* Keep a copy of body; content_type must be a static string. */
void http__cache_put(struct http__cache *c, const char *key, uint64_t gen, int64_t now_ms,
                     const char *body, size_t body_len, const char *content_type);
void http__cache_stats(struct http__cache *c, uint64_t *hits, uint64_t *misses);

/* The same as a store_fn, for store_submit from the writer thread (answers
** of http_write_async): arg is a struct http__idem_put whose pointers stay
** valid until the submit's done callback has run. */
struct http__idem_put {
    const struct auth_principal *who;
    const char *key, *method, *path, *body;
    int status;
    size_t body_len;
};
int http__idem_put_fn(struct store_conn *c, void *arg, struct err *e);

/* ------------------------------------------------------------------- jobs */

struct jobs_spec;
struct jobs_info;

/* Submit spec to app->jobs and wait up to wait_s for it (h_jobs.c). Returns
** 0 when the job is done, with *info holding its result (release it with
** jobs_info_release); otherwise the answer is sent and it returns -1: 503 or
** 429 when no worker takes it (spec->free_arg is called on spec->arg), 202
** with Location while it still runs, the job's error as a problem (INVAL is
** 422). */
int http__job_run(struct app *app, const struct jobs_spec *spec, double wait_s, struct http_resp *w,
                  struct jobs_info *info);
/* 202 Accepted for a job that goes on: Location and href /api/v1/jobs/{id},
** {"job_id", "state", "href"}. */
void http__job_accepted(struct http_resp *w, uint64_t job_id, const char *state);
/* http__job_accepted with the job's state as it is now (queued, running; or
** done, should it have ended meanwhile). */
void http__job_pending(struct app *app, struct http_resp *w, uint64_t job_id);
/* How many requests may hold a handler thread while their job runs: half
** the handler threads (at least 1), so that synchronous solves and plans
** never take the threads every write and login needs. A request beyond it
** is answered 202 at once (server.c). */
int http__job_waiters_max(const struct app *app);

/* ------------------------------------------------------------------- misc */

/* Map an ERR_* code to an HTTP status (http_resp_err's table). */
int http__status_for_err(int code);
/* Standard reason phrase ("Not Found"); "Error" for unknown codes. */
const char *http__reason(int status);

#endif
