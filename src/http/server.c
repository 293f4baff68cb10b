/*
** server.c: the libmicrohttpd daemons and the life of one request.
**
** Threads. cfg.threads I/O threads (default the number of cores) read
** requests and write responses. Each runs its own libmicrohttpd daemon in
** epoll mode on the shared listening socket, with an event loop of ours
** (io_main) rather than MHD's internal thread pool, whose epoll loop can
** lose a resume's wake-up (see io_main). Reads (GET, HEAD) are handled right
** there: they are short and never wait for the writer. Every other method is handed to a pool of
*blocking handler threads
** (HTTP_WRITE_WORKERS): the connection is suspended (MHD_suspend_connection),
** the handler runs and may block in store_write() until its group commit is
** durable, and the connection is resumed with its response ready. So many
** writes are in flight at once and the store's writer can batch them, while
** an I/O thread never sleeps on an fsync. docs/internals/http.md has the
** measurements behind this choice.
**
** One request, as MHD calls us (the access handler runs several times):
**   1st call   allocate the per-request state; refuse a Content-Length over
**              cfg.max_body at once with 413 (answering on the first call
**              makes MHD close the connection, which is what we want here);
**   next calls collect body chunks up to the limit (413 when exceeded);
**   last call  (no more data) route, authenticate, run or hand off the
**              handler, and queue its response. Answering on a later call,
**              never the first, keeps the connection alive (MHD sends
**              Connection: close otherwise; measured).
** The completion callback records metrics, writes the request log line and
** frees the request's arena.
*/
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <locale.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Default number of blocking handler threads for non-GET requests: the most
** writes that can wait for one group commit together. */
#ifndef HTTP_WRITE_WORKERS
#define HTTP_WRITE_WORKERS 32
#endif

/* Nice steps the I/O and handler threads run below the process. Every write
** ends in the store's single writer thread, and under a load that fills the
** cores the writer was queued behind request parsing for about as long as
** it ran (a flash sale's run-queue wait: 15-17 us an order against 31-34 us
** of CPU): a little below it, the threads that feed it stop starving it.
** Unprivileged, and only relative: idle cores still run them at once. */
#define HTTP_IO_NICE 5

/* Bytes of MHD's memory pool per connection (headers, read buffer). */
#ifndef HTTP_CONN_MEMORY
#define HTTP_CONN_MEMORY (8 * 1024)
#endif

/* Longest a cached GET answer is served after it was made: bounds how long a
** write by another process (the CLI) on the same database stays unseen. */
#define HTTP_CACHE_TTL_MS 1000

enum { PHASE_RECV = 0, PHASE_WAIT, PHASE_READY, PHASE_COMMITTED, PHASE_DONE };

struct http_server {
    struct app *app;
    struct http__io *io; /* nio I/O threads; io[0] bound the listening socket */
    int nio;
    struct http_route *routes; /* flattened copy of every group */
    size_t nroutes;
    struct http__router *router;
    struct http__metrics metrics;
    struct http__cache *cache; /* NULL when off */
    size_t max_body;
    int port;
    char *tls_cert, *tls_key;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct http_conn *qhead, *qtail;
    bool stopping;
    pthread_t *workers;
    int nworkers;
    pthread_mutex_t spare_mu; /* request states kept for reuse */
    struct http_conn *spare;
    size_t nspare;
    atomic_bool draining; /* stopping: answer with Connection: close */
    locale_t c_locale;    /* see use_c_locale() */
};

/* json-c's parser switches the thread's locale around every call
** (duplocale/newlocale/freelocale), which takes glibc's global locale lock
** when the thread uses the global locale: with dozens of threads parsing
** bodies that lock showed up as 12-14 % of a write's CPU. When the thread's
** own locale is the C locale object those calls return at once. ruralink
** never calls setlocale(), so the global locale is "C" already and nothing
** else changes. */
static void use_c_locale(struct http_server *srv)
{
    if (srv->c_locale != (locale_t)0 && uselocale((locale_t)0) != srv->c_locale)
        uselocale(srv->c_locale);
}

/* -------------------------------------------------------------- route list */

size_t http_route_count(void)
{
    size_t n = 0;
    for (size_t g = 0; g < http_route_groups_len; g++)
        n += *http_route_groups[g].len;
    return n;
}

const struct http_route *http_route_at(size_t i)
{
    for (size_t g = 0; g < http_route_groups_len; g++) {
        size_t len = *http_route_groups[g].len;
        if (i < len)
            return &http_route_groups[g].routes[i];
        i -= len;
    }
    return NULL;
}

/* ------------------------------------------------------------ connections */

/* Behind the trusted reverse proxy the client is the last address of
** X-Forwarded-For: the one the proxy itself appended (earlier entries come
** from the client and may be forged). Several X-Forwarded-For headers are
** one list (RFC 9110 5.3), so the last header's last entry is the one. The
** peer address stays when that entry is not an IP address. */
static enum MHD_Result last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    if (key && value && strcasecmp(key, "X-Forwarded-For") == 0)
        *(const char **)cls = value;
    return MHD_YES;
}

static void forwarded_for(struct MHD_Connection *mc, char *remote, size_t cap)
{
    const char *list = NULL;
    MHD_get_connection_values(mc, MHD_HEADER_KIND, last_xff, &list);
    if (!list)
        return;
    const char *p = strrchr(list, ',');
    p = p ? p + 1 : list;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strcspn(p, " \t");
    char ip[64];
    unsigned char bin[16];
    if (n == 0 || n >= sizeof ip)
        return;
    memcpy(ip, p, n);
    ip[n] = '\0';
    if (inet_pton(AF_INET, ip, bin) == 1 || inet_pton(AF_INET6, ip, bin) == 1)
        snprintf(remote, cap, "%s", ip);
}

/* Request states are reused: under a flash sale thousands of requests a
** second would otherwise each malloc and free the state, its first arena
** block and its body buffer (about 9 % of an I/O thread's profile). */
#define HTTP_SPARE_CONNS 1024
#define HTTP_SPARE_BODY ((size_t)64 * 1024) /* larger body buffers are freed */

static struct http_conn *conn_take(struct http_server *srv)
{
    pthread_mutex_lock(&srv->spare_mu);
    struct http_conn *c = srv->spare;
    if (c) {
        srv->spare = c->next_job;
        srv->nspare--;
    }
    pthread_mutex_unlock(&srv->spare_mu);
    if (!c) {
        c = xcalloc(1, sizeof *c);
        arena_init(&c->arena, 4096);
        strbuf_init(&c->body, srv->max_body + 1);
        return c;
    }
    struct arena arena = c->arena; /* emptied by conn_free */
    struct strbuf body = c->body;
    struct json_tokener *tok = c->tok;
    memset(c, 0, sizeof *c);
    c->arena = arena;
    c->body = body;
    c->tok = tok;
    return c;
}

static struct http_conn *conn_new(struct http__io *io, struct MHD_Connection *mc, const char *url,
                                  const char *method)
{
    struct http_server *srv = io->srv;
    struct http_conn *c = conn_take(srv);
    c->srv = srv;
    c->io = io;
    c->mc = mc;
    c->t0_ns = time_mono_ns();
    c->req.method = arena_strdup(&c->arena, method);
    c->req.path = arena_strdup(&c->arena, url);
    c->req.route = NULL;
    c->req.arena = &c->arena;
    c->req.conn = c;
    c->resp.arena = &c->arena;
    c->resp.instance = c->req.path;
    c->metrics_slot = srv->nroutes; /* "unmatched" until routed */
    memcpy(c->user, "-", 2);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    memcpy(c->remote, "-", 2);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            str_ipv4(&((const struct sockaddr_in *)sa)->sin_addr, c->remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->remote,
                      sizeof c->remote);
    }
    if (srv->app->cfg.trusted_proxy && strcmp(c->remote, srv->app->cfg.trusted_proxy) == 0)
        forwarded_for(mc, c->remote, sizeof c->remote);
    c->req.remote_addr = c->remote;
    atomic_fetch_add(&srv->metrics.in_flight, 1);
    return c;
}

static void conn_free(struct http_server *srv, struct http_conn *c)
{
    if (c->mresp)
        MHD_destroy_response(c->mresp);
    free(c->resp.body);
    pthread_mutex_lock(&srv->spare_mu);
    bool keep = srv->nspare < HTTP_SPARE_CONNS;
    if (keep) {
        arena_reset(&c->arena);
        if (c->body.cap > HTTP_SPARE_BODY)
            strbuf_release(&c->body);
        else
            strbuf_reset(&c->body);
        c->next_job = srv->spare;
        srv->spare = c;
        srv->nspare++;
    }
    pthread_mutex_unlock(&srv->spare_mu);
    if (keep)
        return;
    if (c->tok)
        json_tokener_free(c->tok);
    strbuf_release(&c->body);
    arena_release(&c->arena);
    free(c);
}

static void conn_free_spares(struct http_server *srv)
{
    while (srv->spare) {
        struct http_conn *c = srv->spare;
        srv->spare = c->next_job;
        if (c->tok)
            json_tokener_free(c->tok);
        strbuf_release(&c->body);
        arena_release(&c->arena);
        free(c);
    }
    srv->nspare = 0;
}

/* Turn the handler's http_resp into the MHD response. */
static void finish(struct http_conn *c)
{
    struct http_resp *w = &c->resp;
    if (w->status == 0)
        http_resp_problem(w, 500, "Internal Server Error", "the handler gave no answer");
    struct MHD_Response *r =
        MHD_create_response_from_buffer(w->body_len, w->body, MHD_RESPMEM_MUST_FREE);
    if (!r)
        rl_die("MHD_create_response_from_buffer");
    w->body = NULL; /* MHD frees it */
    if (w->content_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, w->content_type);
    for (struct http_hdr *h = w->headers; h; h = h->next)
        MHD_add_response_header(r, h->name, h->value);
    if (atomic_load_explicit(&c->srv->draining, memory_order_relaxed))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    c->mresp = r;
    c->mstatus = w->status;
    c->mbytes = w->body_len;
}

static void problem_now(struct http_conn *c, int status, const char *detail)
{
    http_resp_problem(&c->resp, status, NULL, "%s", detail);
    finish(c);
}

/* ------------------------------------------------------------ processing */

static bool is_read_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* Standard base64 of "user:password" -> the password in buf; NULL when
** malformed or too long. */
static const char *basic_password(const char *b64, char *buf, size_t cap)
{
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = b64; *p && *p != '='; p++) {
        const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *q = strchr(al, *p);
        if (!q)
            return NULL;
        acc = (acc << 6) | (unsigned)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap)
                return NULL;
            buf[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    buf[n] = '\0';
    if (strlen(buf) != n)
        return NULL; /* NUL inside */
    char *colon = strchr(buf, ':');
    return colon ? colon + 1 : NULL;
}

/* The request's token: "Authorization: Bearer <t>", and on HTTP_INFLUX_AUTH
** routes InfluxDB's forms too. NULL when there is none. */
static const char *request_token(struct http_conn *c, const struct http_route *rt, char *buf,
                                 size_t cap)
{
    const char *h = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Authorization");
    bool influx = rt->flags & HTTP_INFLUX_AUTH;
    const char *tok = NULL;
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        tok = h + 7;
    else if (influx && h && strncasecmp(h, "Token ", 6) == 0)
        tok = h + 6;
    else if (influx && h && strncasecmp(h, "Basic ", 6) == 0) {
        const char *b = h + 6;
        while (*b == ' ')
            b++;
        tok = basic_password(b, buf, cap);
    } else if (influx && !h) {
        tok = MHD_lookup_connection_value(c->mc, MHD_GET_ARGUMENT_KIND, "p");
    }
    while (tok && *tok == ' ')
        tok++;
    return tok && *tok ? tok : NULL;
}

static void authenticate(struct http_conn *c, const struct http_route *rt, bool *ok)
{
    struct http_server *srv = c->srv;
    *ok = false;
    char basic[512];
    const char *tok = request_token(c, rt, basic, sizeof basic);
    if (!tok) {
        http_resp_problem(&c->resp, 401, "Unauthorized",
                          (rt->flags & HTTP_INFLUX_AUTH)
                              ? "this route needs a token: 'Authorization: Bearer <token>' "
                                "(or 'Token <token>', 'Basic' with the token as password, "
                                "or the query parameters u and p=<token>)"
                              : "this route needs an 'Authorization: Bearer <token>' header "
                                "(POST /api/v1/auth/login gives one)");
        return;
    }
#ifdef RL_HAVE_AUTH
    struct err e;
    err_clear(&e);
    int rc = auth_verify_token(srv->app->auth, srv->app->store, tok, &c->req.who, &e);
    if (rc) {
        if (rc == ERR_AUTH)
            http_resp_problem(&c->resp, 401, "Unauthorized", "%s", e.msg);
        else
            http_resp_err(&c->resp, &e);
        return;
    }
    c->req.authenticated = true;
    snprintf(c->user, sizeof c->user, "%s", c->req.who.name[0] ? c->req.who.name : "?");
    if (!(rt->roles & AUTH_ROLE_BIT(c->req.who.role))) {
        const char *role = auth_role_name(c->req.who.role);
        http_resp_problem(&c->resp, 403, "Forbidden", "role '%s' may not %s %s", role ? role : "?",
                          c->req.method, rt->pattern);
        return;
    }
    *ok = true;
#else
    (void)srv;
    (void)tok;
    (void)rt;
    http_resp_problem(&c->resp, 401, "Unauthorized", "this build has no authentication module");
#endif
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    struct strbuf *sb = cls;
    /* Length-prefixed: decoded keys and values may hold any byte but NUL,
    ** so "x=1&y=2" and x="1&y=2" must not make the same key. */
    if (value)
        strbuf_addf(sb, "|%zu:%s|%zu:%s", strlen(key), key, strlen(value), value);
    else
        strbuf_addf(sb, "|%zu:%s|-", strlen(key), key); /* "?flag", not "?flag=" */
    return MHD_YES;
}

/* The cache key of a cacheable GET, or NULL (arena) when it must not be
** cached (client said no-cache, or the key is huge). */
static const char *cache_key(struct http_conn *c)
{
    const char *cc = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Cache-Control");
    if (cc && (strstr(cc, "no-cache") || strstr(cc, "no-store")))
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb, 4096);
    const struct auth_principal *w = &c->req.who;
    strbuf_addf(&sb, "%d|%lld|%lld|%lld|%d|%zu:%s", c->match.route, (long long)w->county_id,
                (long long)w->user_id, (long long)w->device_id, (int)w->role, strlen(c->req.path),
                c->req.path);
    MHD_get_connection_values(c->mc, MHD_GET_ARGUMENT_KIND, add_arg, &sb);
    const char *key = NULL;
    if (sb.len < sb.max - 1)
        key = arena_strndup(&c->arena, strbuf_str(&sb), sb.len);
    strbuf_release(&sb);
    return key;
}

static const char *static_json_type(const char *ct)
{
    if (!ct)
        return NULL;
    if (strcmp(ct, "application/json") == 0)
        return "application/json";
    if (strcmp(ct, "application/geo+json") == 0)
        return "application/geo+json";
    return NULL;
}

static uint64_t write_generation(struct store *st)
{
    struct store_stats ss;
    store_get_stats(st, &ss);
    return ss.writes + ss.writes_failed;
}

/* Auth, idempotency, handler; leaves c->mresp ready. Runs on an MHD thread
** or a handler thread. */
static void process(struct http_conn *c)
{
    struct http_server *srv = c->srv;
    const struct http_route *rt = &srv->routes[c->match.route];
    if (!(rt->flags & HTTP_PUBLIC)) {
        bool ok;
        authenticate(c, rt, &ok);
        if (!ok) {
            finish(c);
            return;
        }
    }
    const char *key = NULL;
    if ((rt->flags & HTTP_IDEMPOTENT) && c->req.authenticated)
        key = MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Idempotency-Key");
    if (key) {
        size_t klen = strlen(key);
        if (klen == 0 || klen > 255) {
            problem_now(c, 400, "Idempotency-Key must be 1 to 255 characters");
            return;
        }
        struct http__idem_rec rec;
        struct err e;
        int rc = http__idem_get(srv->app->store, &c->arena, &c->req.who, key, c->req.method,
                                c->req.path, &rec, &e);
        if (rc == 0 && rec.status > 0) {
            http_resp_bytes(&c->resp, rec.status, rec.content_type, rec.body, rec.body_len);
            http_resp_header(&c->resp, "Idempotent-Replayed", "true");
            finish(c);
            return;
        }
        if (rc == ERR_CONFLICT) {
            http_resp_problem(&c->resp, 422, "Idempotency-Key reused", "%s", e.msg);
            finish(c);
            return;
        }
        if (rc == 0) /* a claim: another request holds the key */
            rc = ERR_EXISTS;
        else if (rc == ERR_NOTFOUND)
            rc =
                http__idem_claim(srv->app->store, &c->req.who, key, c->req.method, c->req.path, &e);
        if (rc == ERR_EXISTS) {
            http_resp_header(&c->resp, "Retry-After", "1");
            http_resp_problem(&c->resp, 409, "Idempotency-Key in use",
                              "a request with this Idempotency-Key is still running, or the "
                              "server stopped while it ran and its outcome is unknown; retry "
                              "later to get its answer");
            finish(c);
            return;
        }
        if (rc) {
            http_resp_err(&c->resp, &e);
            finish(c);
            return;
        }
    }
    const char *ckey = NULL;
    uint64_t gen = 0;
    if (srv->cache && (rt->flags & HTTP_CACHEABLE) && is_read_method(c->req.method) &&
        (ckey = cache_key(c)) != NULL) {
        gen = write_generation(srv->app->store);
        char *body;
        size_t len;
        const char *ct;
        if (http__cache_get(srv->cache, ckey, gen, time_now_ms(), &body, &len, &ct)) {
            struct http_resp *w = &c->resp;
            w->status = 200;
            w->content_type = ct;
            w->body = body;
            w->body_len = len;
            http_resp_header(w, "X-Cache", "hit");
            finish(c);
            return;
        }
    }
    c->idem_key = key;
    rt->fn(srv->app, &c->req, &c->resp);
    if (c->async)
        return; /* answered later by async_committed() */
    if (ckey && c->resp.status == 200 && !c->resp.headers && static_json_type(c->resp.content_type))
        http__cache_put(srv->cache, ckey, gen, time_now_ms(), c->resp.body, c->resp.body_len,
                        static_json_type(c->resp.content_type));
    if (key) { /* record the answer, or drop the claim after a 5xx */
        struct err e;
        int rc = http__idem_put(srv->app->store, &c->req.who, key, c->req.method, c->req.path,
                                c->resp.status, c->resp.body, c->resp.body_len, &e);
        if (rc)
            log_write(srv->app->log, LOG_WARN, "http.idempotency", "error=\"%s\"", e.msg);
    }
    finish(c);
}

/* Wake io_main from its sleep (or keep it from starting one). */
static void io_wake(struct http__io *io)
{
    uint64_t one = 1;
    if (write(io->wake, &one, sizeof one) < 0) {
        /* EAGAIN only: the counter is full, so the loop is awake anyway */
    }
}

void http__io_resume(struct http__io *io, struct MHD_Connection *mc)
{
    MHD_resume_connection(mc);
    /* Count, then look (both sequentially consistent): io_main either sees
    ** the count in its look before sleeping, or is seen here asleep. So a
    ** busy I/O thread costs no system call. */
    atomic_fetch_add(&io->resumes, 1);
    if (atomic_load(&io->sleeping))
        io_wake(io);
}

/* Hand a suspended connection back to its I/O thread, from any thread. The
** connection may be answered and its state reused as soon as it is resumed,
** so its thread is read first. */
static void conn_resume(struct http_conn *c)
{
    struct http__io *io = c->io;
    http__io_resume(io, c->mc);
}

/* Hand a connection answered by http_write_async back to its I/O thread. */
static void async_answer(void *done_arg, int rc, const struct err *e)
{
    (void)rc;
    (void)e;
    struct http_conn *c = done_arg;
    finish(c);
    c->phase = PHASE_READY;
    conn_resume(c);
}

/* The store's writer thread, after the batch holding an http_write_async
** write committed (or failed): let the handler answer, record the answer for
** Idempotency-Key, and hand the connection back to its I/O thread. (A
** request with a key reaches here only with no handler threads, see
** blocks(): otherwise it runs on one, where the write is synchronous.) */
static void async_committed(void *done_arg, int rc, const struct err *e)
{
    struct http_conn *c = done_arg;
    struct http_server *srv = c->srv;
    if (!c->idem_key) {
        /* The answer is made on the connection's I/O thread (on_request,
        ** PHASE_COMMITTED): the writer only hands the connection back, so
        ** it can start the next batch sooner. */
        c->async_rc = rc;
        if (rc && e)
            c->async_e = *e;
        else
            err_clear(&c->async_e);
        c->phase = PHASE_COMMITTED;
        conn_resume(c);
        return;
    }
    struct err none;
    if (!e) {
        err_clear(&none);
        e = &none;
    }
    c->async_done(srv->app, &c->req, &c->resp, c->async_arg, rc, e);
    if (c->idem_key) {
        /* Settle the claim in the next group commit and answer after that,
        ** so a retry that follows the answer always finds the record. */
        struct http__idem_put *x = arena_calloc(&c->arena, sizeof *x);
        x->who = &c->req.who;
        x->key = c->idem_key;
        x->method = c->req.method;
        x->path = c->req.path;
        x->status = c->resp.status;
        x->body = c->resp.body;
        x->body_len = c->resp.body_len;
        if (store_submit(srv->app->store, http__idem_put_fn, x, async_answer, c) == 0)
            return;
    }
    async_answer(c, 0, NULL);
}

void http_write_async(struct http_req *req, struct http_resp *w, store_fn fn, void *arg,
                      unsigned flags, http_write_done_fn done)
{
    struct http_conn *c = req->conn;
    struct http_server *srv = c->srv;
    if (c->on_worker || c->async) {
        /* A handler thread may block: the plain synchronous form. */
        struct err e;
        err_clear(&e);
        int rc = store_write_flags(srv->app->store, fn, arg, flags, &e);
        done(srv->app, req, w, arg, rc, &e);
        return;
    }
    /* Suspend first: the commit may come back before the handler returns. */
    c->async = true;
    c->async_done = done;
    c->async_arg = arg;
    c->phase = PHASE_WAIT;
    MHD_suspend_connection(c->mc);
    if (store_submit_flags(srv->app->store, fn, arg, flags, async_committed, c) != 0) {
        struct err e;
        err_set(&e, ERR_BUSY, "the write queue is full; try again");
        async_committed(c, ERR_BUSY, &e);
    }
}

static void *worker_main(void *arg)
{
    struct http_server *srv = arg;
    use_c_locale(srv);
    (void)thread_lower_priority(HTTP_IO_NICE);
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        while (!srv->qhead && !srv->stopping)
            pthread_cond_wait(&srv->cv, &srv->mu);
        struct http_conn *c = srv->qhead;
        if (!c) {
            pthread_mutex_unlock(&srv->mu);
            break;
        }
        srv->qhead = c->next_job;
        if (!srv->qhead)
            srv->qtail = NULL;
        pthread_mutex_unlock(&srv->mu);
        c->on_worker = true;
        process(c);
        c->phase = PHASE_READY;
        conn_resume(c);
    }
    return NULL;
}

/* The daemon's flags, apart from TLS and IPv6: epoll, driven by io_main. */
unsigned http__daemon_flags(void)
{
    return MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
}

/* An I/O thread: its daemon's work, then a sleep until a socket, a resume
** (http__io_resume), a stop or the daemon's next timeout needs it.
**
** Why not libmicrohttpd's own threads. Its epoll loop (0.9.75, and upstream
** as of 1.0) loses a resume: when one epoll_wait returns a full batch of 128
** events it calls epoll_wait again, with the same timeout, before handling
** any of them. If a resume's eventfd signal was in the first batch (and so
** already read) and the resume came after that round's resume check, the
** second wait sleeps with the resumed answer and up to 127 ready requests
** in hand until some other event, or the 60 s connection timeout. Under a
** flash sale that stalled a few hundred orders in about 3 % of rounds with
** three I/O threads. Its poll() loop has no such wait but let a request wait
** 20 rounds behind others under load (p99 of a 300 us handler at 64
** connections: 400 ms against 27 ms with epoll, measured with a bare
** daemon). Here every wait inside MHD_run is non-blocking, and the one
** blocking wait is ours. Run this way, libmicrohttpd has no wake-up of its
** own for a resume (no eventfd in its epoll set), so http__io_resume gives
** one: a resume counted after the snapshot below either shows in the look
** before the sleep or finds the loop asleep and writes to `wake`.
** test_http_wakeup builds the moment that the internal epoll loop loses,
** and answers from a handler thread need the write (test_api_http). */
static void *io_main(void *arg)
{
    struct http__io *io = arg;
    if (io->srv) {
        use_c_locale(io->srv);
        (void)thread_lower_priority(HTTP_IO_NICE);
    }
    while (!atomic_load(&io->stop)) {
        if (atomic_load(&io->quiesce) && !atomic_load(&io->quiet)) {
            /* Here, not in http_stop's thread: MHD_run may be using the
            ** listening socket, and libmicrohttpd run this way is not
            ** safe to quiesce from another thread. */
            io->listen = MHD_quiesce_daemon(io->d);
            atomic_store(&io->quiet, true);
        }
        unsigned seen = atomic_load(&io->resumes);
        MHD_run(io->d);
        MHD_UNSIGNED_LONG_LONG ms;
        int timeout = -1;
        if (MHD_get_timeout(io->d, &ms) == MHD_YES)
            timeout = ms > INT_MAX ? INT_MAX : (int)ms;
        if (timeout == 0)
            continue; /* data already read and waiting: no sleep */
        atomic_store(&io->sleeping, true);
        if (atomic_load(&io->resumes) != seen) {
            atomic_store(&io->sleeping, false);
            continue; /* resumed after MHD_run looked */
        }
        struct epoll_event ev[2];
        int n = epoll_wait(io->ep, ev, 2, timeout);
        atomic_store(&io->sleeping, false);
        for (int i = 0; i < n; i++) {
            uint64_t count;
            if (ev[i].data.u32 == 1 && read(io->wake, &count, sizeof count) < 0) {
                /* EAGAIN: already drained */
            }
        }
    }
    return NULL;
}

int http__io_run(struct http__io *io, struct MHD_Daemon *d, struct err *e)
{
    io->d = d;
    atomic_store(&io->stop, false);
    const union MHD_DaemonInfo *ei = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    io->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    io->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event on_mhd = {.events = EPOLLIN, .data.u32 = 0};
    struct epoll_event on_wake = {.events = EPOLLIN, .data.u32 = 1};
    if (!ei || io->wake < 0 || io->ep < 0 ||
        epoll_ctl(io->ep, EPOLL_CTL_ADD, ei->epoll_fd, &on_mhd) != 0 ||
        epoll_ctl(io->ep, EPOLL_CTL_ADD, io->wake, &on_wake) != 0)
        return err_set(e, ERR_IO, "cannot set up an I/O thread's event loop (%s)", strerror(errno));
    if (pthread_create(&io->thread, NULL, io_main, io) != 0)
        return err_set(e, ERR_IO, "cannot start an I/O thread");
    pthread_setname_np(io->thread, "rl-http-io");
    io->running = true;
    return 0;
}

void http__io_quiesce(struct http__io *io)
{
    if (!io->running)
        return; /* MHD_stop_daemon closes the socket */
    /* No need to wait: the loop quiesces at its next turn, and io->listen
    ** is read only after http__io_join. */
    atomic_store(&io->quiesce, true);
    io_wake(io);
}

void http__io_join(struct http__io *io)
{
    if (io->running) {
        atomic_store(&io->stop, true);
        io_wake(io);
        pthread_join(io->thread, NULL);
        io->running = false;
    }
    if (io->ep >= 0)
        close(io->ep);
    if (io->wake >= 0)
        close(io->wake);
    io->ep = io->wake = -1;
}

static enum MHD_Result queue(struct http_conn *c)
{
    c->phase = PHASE_DONE;
    enum MHD_Result r = MHD_queue_response(c->mc, (unsigned)c->mstatus, c->mresp);
    MHD_destroy_response(c->mresp);
    c->mresp = NULL;
    return r;
}

/* Whether the request may wait for the store, and so must run on a handler
** thread rather than hold up every connection of its I/O thread. Reads never
** wait, but for a long poll (HTTP_BLOCKING); an HTTP_ASYNC write waits without a thread
*(http_write_async), unless
** it carries an Idempotency-Key: the claim (http__idem_claim) is a durable
** write made before the handler, and it waits for its commit. */
static bool blocks(struct http_conn *c, const struct http_route *rt)
{
    if (rt->flags & HTTP_BLOCKING)
        return true; /* a long poll: the I/O thread's other connections go on */
    if (is_read_method(c->req.method))
        return false;
    if (!(rt->flags & HTTP_ASYNC))
        return true;
    return (rt->flags & HTTP_IDEMPOTENT) &&
           MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, "Idempotency-Key") != NULL;
}

/* The whole request is in: route it and answer (or hand it off). */
static enum MHD_Result dispatch(struct http_conn *c)
{
    struct http_server *srv = c->srv;
    char allow[128];
    int mr =
        http__router_match(srv->router, c->req.method, c->req.path, &c->match, allow, sizeof allow);
    if (mr == HTTP__MATCH_NOMETHOD) {
        http_resp_header(&c->resp, "Allow", allow);
        http_resp_problem(&c->resp, 405, "Method Not Allowed", "%s is not allowed on %s; use %s",
                          c->req.method, c->req.path, allow);
        finish(c);
        return queue(c);
    }
    if (mr == HTTP__MATCH_NOPATH) {
        if (is_read_method(c->req.method) && strncmp(c->req.path, "/api/", 5) != 0 &&
            http__static_serve(srv->app->cfg.web_root, c, c->req.path)) {
            c->metrics_slot = srv->nroutes + 1;
            return queue(c);
        }
        problem_now(c, 404, "no such resource");
        return queue(c);
    }
    c->metrics_slot = (size_t)c->match.route;
    c->req.route = srv->routes[c->match.route].pattern;
    c->req.body = strbuf_str(&c->body);
    c->req.body_len = c->body.len;
    if (srv->nworkers > 0 && blocks(c, &srv->routes[c->match.route])) {
        pthread_mutex_lock(&srv->mu);
        /* Stopping, the handler threads may have gone: run it here. */
        bool queued = !srv->stopping;
        if (queued) {
            c->phase = PHASE_WAIT;
            MHD_suspend_connection(c->mc);
            if (srv->qtail)
                srv->qtail->next_job = c;
            else
                srv->qhead = c;
            srv->qtail = c;
            pthread_cond_signal(&srv->cv);
        }
        pthread_mutex_unlock(&srv->mu);
        if (queued)
            return MHD_YES;
    }
    process(c);
    if (c->async)
        return MHD_YES; /* suspended until async_committed() */
    return queue(c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http__io *io = cls;
    struct http_server *srv = io->srv;
    struct http_conn *c = *con_cls;
    if (!c) {
        c = conn_new(io, mc, url, method);
        *con_cls = c;
        const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
        int64_t len;
        if (cl && str_to_i64(str_from(cl), &len) == 0 && len > (int64_t)srv->max_body) {
            c->too_big = true;
            problem_now(c, 413, "the request body is larger than the server's limit");
            return queue(c);
        }
        return MHD_YES;
    }
    switch (c->phase) {
    case PHASE_RECV:
        if (*upload_data_size) {
            size_t n = *upload_data_size;
            *upload_data_size = 0;
            if (c->too_big) {
                /* MHD 0.9.75 cannot answer mid-upload: drop the rest and answer
                ** 413 at the end, but hang up on a body far over the limit. */
                c->discarded += n;
                return c->discarded > 4 * srv->max_body + ((size_t)1 << 20) ? MHD_NO : MHD_YES;
            }
            if (strbuf_add(&c->body, upload_data, n) != 0 || c->body.len > srv->max_body) {
                c->too_big = true;
                c->discarded = c->body.len + n;
                strbuf_release(&c->body);
            }
            return MHD_YES;
        }
        if (c->too_big) {
            problem_now(c, 413, "the request body is larger than the server's limit");
            return queue(c);
        }
        return dispatch(c);
    case PHASE_WAIT:
        return MHD_YES; /* spurious call while suspended */
    case PHASE_READY:
        return queue(c);
    case PHASE_COMMITTED:
        c->async_done(srv->app, &c->req, &c->resp, c->async_arg, c->async_rc, &c->async_e);
        finish(c);
        return queue(c);
    default:
        *upload_data_size = 0;
        return MHD_YES;
    }
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)mc;
    struct http__io *io = cls;
    struct http_server *srv = io->srv;
    struct http_conn *c = *con_cls;
    if (!c)
        return;
    *con_cls = NULL;
    int64_t dur_ns = time_mono_ns() - c->t0_ns;
    int status = c->mstatus ? c->mstatus : 499; /* client went away first */
    http__metrics_observe(&srv->metrics, c->metrics_slot, c->req.method, status, dur_ns);
    atomic_fetch_add(&srv->metrics.bytes_out, c->mbytes);
    struct log *lg = srv->app->log;
    enum log_level lvl = status >= 500 ? LOG_WARN : LOG_INFO;
    if (log_enabled(lg, lvl)) {
        char qpath[256], quser[96], qerr[300];
        log_write(
            lg, lvl, "http.request",
            "method=%s path=%s route=%s status=%d bytes=%zu ms=%.3f remote=%s user=%s%s%s%s",
            c->req.method, log_quote(qpath, sizeof qpath, c->req.path),
            c->req.route ? c->req.route : (c->metrics_slot == srv->nroutes + 1 ? "static" : "-"),
            status, c->mbytes, (double)dur_ns / 1e6, c->remote,
            log_quote(quser, sizeof quser, c->user),
            toe != MHD_REQUEST_TERMINATED_COMPLETED_OK ? " aborted=true" : "",
            c->resp.error && status >= 500 ? " error=" : "",
            c->resp.error && status >= 500 ? log_quote(qerr, sizeof qerr, c->resp.error) : "");
    }
    atomic_fetch_sub(&srv->metrics.in_flight, 1);
    conn_free(srv, c);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    char msg[512], q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_write(srv->app->log, LOG_WARN, "http.mhd", "msg=%s", log_quote(q, sizeof q, msg));
}

/* ------------------------------------------------------------ start, stop */

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sslen,
                        struct err *e)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return err_set(e, ERR_INVAL, "listen address '%s' must be HOST:PORT", listen);
    size_t hlen = (size_t)(colon - listen);
    const char *h = listen;
    if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return err_set(e, ERR_INVAL, "listen address '%s' is too long", listen);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    int64_t port;
    if (str_to_i64(str_from(colon + 1), &port) != 0 || port < 0 || port > 65535)
        return err_set(e, ERR_INVAL, "listen port in '%s' must be 0..65535", listen);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", (int)port);
    int rc = getaddrinfo(hlen ? host : NULL, portstr, &hints, &res);
    if (rc != 0 || !res)
        return err_set(e, ERR_INVAL, "listen address '%s': %s", listen, gai_strerror(rc));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sslen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static int read_pem(const char *path, char **out, struct err *e)
{
    struct strbuf sb;
    strbuf_init(&sb, 1 << 20);
    int rc = file_read_all(path, &sb, e);
    if (rc) {
        strbuf_release(&sb);
        return err_prefix(e, "TLS: ");
    }
    *out = strbuf_detach(&sb, NULL);
    return 0;
}

int http_config_check(const struct http_config *cfg, struct err *e)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    int rc = parse_listen(cfg->listen ? cfg->listen : "127.0.0.1:8080", &ss, &sslen, e);
    if (rc)
        return rc;
    if ((cfg->tls_cert != NULL) != (cfg->tls_key != NULL))
        return err_set(e, ERR_INVAL, "HTTPS needs both a certificate and a key");
    const char *pem[2] = {cfg->tls_cert, cfg->tls_key};
    for (int i = 0; i < 2 && pem[i]; i++) {
        char *text = NULL;
        if ((rc = read_pem(pem[i], &text, e)))
            return rc;
        bool looks = strstr(text, "-----BEGIN ") != NULL;
        free(text);
        if (!looks)
            return err_set(e, ERR_INVAL, "TLS: %s is not PEM (no -----BEGIN line)", pem[i]);
    }
    return 0;
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Start one I/O thread: a daemon (external event loop; io[0] binds ss,
** the others accept from a duplicate of its socket, listen_fd), its wake-up
** eventfd, the epoll it sleeps on, and the thread. */
static int io_start(struct http__io *io, unsigned flags, const struct sockaddr_storage *ss,
                    MHD_socket listen_fd, unsigned conn_limit, bool tls, struct err *e)
{
    struct http_server *srv = io->srv;
    struct MHD_OptionItem opts[16];
    size_t no = 0;
    if (listen_fd == MHD_INVALID_SOCKET) {
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)ss};
    } else {
        MHD_socket dup_fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
        if (dup_fd < 0)
            return err_set(e, ERR_IO, "cannot share the listening socket (%s)", strerror(errno));
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, dup_fd, NULL};
    }
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, io};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL};
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, conn_limit, NULL};
    /* Per-connection memory pool. MHD zero-fills the pool between requests
    ** of a keep-alive connection: at its default (32 KiB) that memset was
    ** the largest single item of an I/O thread's profile under a flash sale.
    ** 8 KiB holds about 7 KiB of request headers; more is answered 431
    ** (bodies stream; test_api_http checks both sides). */
    opts[no++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL};
    if (tls) {
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
        opts[no++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
    }
    opts[no++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, io, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                         srv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    /* On failure dup_fd is not closed here. Who owns it then depends on
    ** where libmicrohttpd 0.9.75 gave up: a failure in its TLS set-up
    ** closes a MHD_OPTION_LISTEN_SOCKET, a refused flag combination leaves
    ** it open (both seen with a test program). Closing it ourselves could
    ** close a descriptor another thread has opened since under the same
    ** number; one descriptor left open on a start-up that fails, after
    ** which serve exits, is the smaller harm. */
    if (!d && tls)
        return err_set(e, ERR_IO,
                       "cannot start HTTPS on %s: the TLS certificate or key was"
                       " refused (libmicrohttpd's log line says why)",
                       srv->app->cfg.listen ? srv->app->cfg.listen : "127.0.0.1:8080");
    if (!d)
        return err_set(e, ERR_IO, "cannot listen on %s (%s)",
                       srv->app->cfg.listen ? srv->app->cfg.listen : "127.0.0.1:8080",
                       errno ? strerror(errno) : "see the log");
    return http__io_run(io, d, e);
}

int http_start(struct http_server **out, struct app *app, struct err *e)
{
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->app = app;
    srv->max_body = app->cfg.max_body ? app->cfg.max_body : (size_t)1 << 20;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_mutex_init(&srv->spare_mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    srv->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);

    srv->nroutes = http_route_count();
    srv->routes = xcalloc(srv->nroutes ? srv->nroutes : 1, sizeof *srv->routes);
    for (size_t i = 0; i < srv->nroutes; i++)
        srv->routes[i] = *http_route_at(i);
    int rc = http__router_new(&srv->router, srv->routes, srv->nroutes, e);
    if (rc)
        goto fail;
    http__metrics_init(&srv->metrics, srv->routes, srv->nroutes,
                       app->started_ms ? app->started_ms : time_now_ms());
    if (app->cfg.cache_mb >= 0)
        http__cache_new(&srv->cache, (size_t)(app->cfg.cache_mb ? app->cfg.cache_mb : 32) << 20,
                        HTTP_CACHE_TTL_MS);

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    rc = parse_listen(app->cfg.listen ? app->cfg.listen : "127.0.0.1:8080", &ss, &sslen, e);
    if (rc)
        goto fail;

    unsigned flags = http__daemon_flags();
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    bool tls = app->cfg.tls_cert && app->cfg.tls_key;
    if ((app->cfg.tls_cert != NULL) != (app->cfg.tls_key != NULL)) {
        rc = err_set(e, ERR_INVAL, "HTTPS needs both a certificate and a key");
        goto fail;
    }
    if (tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = err_set(e, ERR_UNSUPPORTED, "this libmicrohttpd has no TLS support");
            goto fail;
        }
        if ((rc = read_pem(app->cfg.tls_cert, &srv->tls_cert, e)) ||
            (rc = read_pem(app->cfg.tls_key, &srv->tls_key, e)))
            goto fail;
        flags |= MHD_USE_TLS;
    }
    int threads = app->cfg.threads > 0 ? app->cfg.threads : cores();

    srv->nworkers = app->cfg.handler_threads > 0   ? app->cfg.handler_threads
                    : app->cfg.handler_threads < 0 ? 0
                                                   : HTTP_WRITE_WORKERS;
    srv->workers = xcalloc((size_t)srv->nworkers + 1, sizeof *srv->workers);
    for (int i = 0; i < srv->nworkers; i++) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, (size_t)1 << 20);
        if (pthread_create(&srv->workers[i], &at, worker_main, srv) != 0)
            rl_die("pthread_create");
        pthread_attr_destroy(&at);
    }

    srv->io = xcalloc((size_t)threads, sizeof *srv->io);
    for (int i = 0; i < threads; i++) {
        srv->io[i].srv = srv;
        srv->io[i].wake = srv->io[i].ep = srv->io[i].listen = -1;
    }
    srv->nio = threads;
    MHD_socket listen_fd = MHD_INVALID_SOCKET;
    for (int i = 0; i < threads; i++) {
        if ((rc = io_start(&srv->io[i], flags, &ss, listen_fd, (4096 + threads - 1) / threads, tls,
                           e)))
            goto fail;
        if (i == 0) {
            const union MHD_DaemonInfo *li =
                MHD_get_daemon_info(srv->io[0].d, MHD_DAEMON_INFO_LISTEN_FD);
            listen_fd = li ? li->listen_fd : MHD_INVALID_SOCKET;
            /* Every I/O thread accepts from it: one that loses the race for
            ** a connection must get EAGAIN, not block. */
            int fl = listen_fd == MHD_INVALID_SOCKET ? -1 : fcntl(listen_fd, F_GETFL);
            if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                rc = err_set(e, ERR_IO, "cannot share the listening socket (%s)", strerror(errno));
                goto fail;
            }
        }
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->io[0].d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : 0;
    *out = srv;
    return 0;
fail:
    http_stop(srv);
    return rc;
}

int http_port(const struct http_server *srv)
{
    return srv->port;
}

void http_stop(struct http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->draining, true);
    for (int i = 0; i < srv->nio; i++) /* stop accepting */
        http__io_quiesce(&srv->io[i]);
    /* Handler threads finish every queued request, then exit. */
    pthread_mutex_lock(&srv->mu);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    for (int i = 0; i < srv->nworkers; i++)
        pthread_join(srv->workers[i], NULL);
    /* Let answers in flight reach their clients (bounded). */
    int64_t deadline = time_mono_ns() + 5 * 1000000000LL;
    while (srv->nio > 0 && atomic_load(&srv->metrics.in_flight) > 0 && time_mono_ns() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < srv->nio; i++) {
        http__io_join(&srv->io[i]);
        if (srv->io[i].d)
            MHD_stop_daemon(srv->io[i].d);
        if (srv->io[i].listen >= 0)
            close(srv->io[i].listen);
    }
    free(srv->io);
    free(srv->workers); /* the I/O threads, which read nworkers, are gone */
    http__router_free(srv->router);
    http__metrics_release(&srv->metrics);
    http__cache_free(srv->cache);
    free(srv->routes);
    free(srv->tls_cert);
    free(srv->tls_key);
    conn_free_spares(srv);
    pthread_mutex_destroy(&srv->spare_mu);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cv);
    if (srv->c_locale != (locale_t)0)
        freelocale(srv->c_locale);
    free(srv);
}

int http__job_waiters_max(const struct app *app)
{
    int n = app->cfg.handler_threads > 0   ? app->cfg.handler_threads
            : app->cfg.handler_threads < 0 ? 1
                                           : HTTP_WRITE_WORKERS;
    return n / 2 > 0 ? n / 2 : 1;
}

struct http__metrics *http__server_metrics(struct http_server *srv)
{
    return &srv->metrics;
}

struct http__cache *http__server_cache(struct http_server *srv)
{
    return srv->cache;
}
