/*
** fuzz_http_api.c: libFuzzer target for every route of the API at once. The
** real server (http_start, with the store, auth, jobs, logistics and
** telemetry as `ruralink serve` builds them) runs in this process on a demo
** county; each input becomes one request over a keep-alive loopback
** connection, so coverage of the handlers guides the fuzzer.
**
** An input is read as:
**   byte 0     which route (index into the route table)
**   byte 1     who asks: a demo login's token, or none (low 3 bits), and the
**              content type: JSON, CSV or text (next 2 bits)
**   bytes 2..  one per {param} of the route: a small id, 0, -1, a huge
**              number or a word
**   the rest   query string up to the first newline (percent-encoded where
**              a request line would not allow the byte), then the body
**
** Whatever the input, the server must answer (a hang is a failure), never
** with 500 or another 5xx than 503 (busy), and every 4xx is a problem+json
** document whose "status" is the HTTP status (a line-protocol write may
** answer 400 as InfluxDB does, in JSON); a JSON answer must parse.
** Routes that end the caller's session (logout) are skipped so the tokens
** stay good. The store lives in a temporary folder for the run.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth/auth.h"
#include "demo/demo.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "logistics/logistics.h"
#include "schema/schema.h"
#include "store/store.h"
#include "telemetry/telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An answer that takes this long is a hang (the slowest routes answer a
** bad request at once and queue long work as jobs). */
#define ANSWER_TIMEOUT_MS 30000

static const char *const logins[] = {"admin",   "operator", "merchant", "driver",
                                     "auditor", "trainer",  "buyer"};
#define NLOGINS (sizeof logins / sizeof logins[0])

static struct {
    char dir[64];
    struct app app;
    struct http_server *srv;
    int port;
    int fd; /* the keep-alive connection, -1 when closed */
    char tokens[NLOGINS][160];
    struct strbuf req, resp;
    struct strbuf prev; /* the request answered before on this connection */
} g = {.fd = -1};

static void die(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_http_api: %s: %s\n", what, why);
    abort();
}

static void cleanup(void)
{
    if (g.fd >= 0)
        close(g.fd);
    http_stop(g.srv);
    jobs_free(g.app.jobs);
    logistics_free(g.app.logistics);
    telemetry_free(g.app.telemetry);
    store_close(g.app.store);
    auth_free(g.app.auth);
    log_free(g.app.log);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http_api: could not remove %s\n", g.dir);
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("connect", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Wait until fd has data, up to ANSWER_TIMEOUT_MS. libFuzzer's own timer
** signals interrupt poll: that is not the end of the wait. */
static bool readable(int fd)
{
    int64_t deadline = time_now_ms() + ANSWER_TIMEOUT_MS;
    for (;;) {
        int64_t left = deadline - time_now_ms();
        if (left <= 0)
            return false;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        int r = poll(&pf, 1, (int)left);
        if (r == 1)
            return true;
        if (r < 0 && errno != EINTR)
            die("poll", strerror(errno));
    }
}

/* A request went unanswered: say whether the server still answers a
** health check on another connection (a stuck connection, or a stuck
** server), and what it had read of this one. */
static void no_answer(void)
{
    fprintf(stderr, "fuzz_http_api: the request before on this connection: %.*s\n",
            (int)(g.prev.len < 2000 ? g.prev.len : 2000), strbuf_str(&g.prev));
    fprintf(stderr, "fuzz_http_api: %zu bytes of answer so far: %.*s\n", g.resp.len,
            (int)(g.resp.len < 600 ? g.resp.len : 600), strbuf_str(&g.resp));
    int fd = dial();
    static const char hc[] = "GET /api/v1/health HTTP/1.1\r\nHost: f\r\n\r\n";
    char buf[512];
    ssize_t n = -1;
    if (send(fd, hc, sizeof hc - 1, MSG_NOSIGNAL) > 0 && readable(fd))
        n = recv(fd, buf, sizeof buf - 1, 0);
    fprintf(stderr, "fuzz_http_api: health on a new connection: %s\n",
            n > 12 ? "answered" : "no answer");
    close(fd);
}

/* Send g.req on the keep-alive connection and read one answer into g.resp.
** Returns the status; *body points into g.resp. */
static int exchange(const char **body, size_t *body_len, char *ctype, size_t ctype_cap)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (g.fd < 0)
            g.fd = dial();
        const char *p = strbuf_str(&g.req);
        size_t left = g.req.len;
        bool sent = true;
        while (left > 0) {
            ssize_t n = send(g.fd, p, left, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                sent = false;
                break;
            }
            p += n, left -= (size_t)n;
        }
        strbuf_reset(&g.resp);
        size_t head = 0, want = 0;
        bool closed = !sent;
        while (!closed && (head == 0 || g.resp.len < head + want)) {
            if (!readable(g.fd)) {
                no_answer();
                die("no answer", strbuf_str(&g.req));
            }
            char buf[65536];
            ssize_t n = recv(g.fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                closed = true;
                break;
            }
            strbuf_add(&g.resp, buf, (size_t)n);
            if (head == 0) {
                const char *s = strbuf_str(&g.resp);
                const char *eoh = strstr(s, "\r\n\r\n");
                if (!eoh)
                    continue;
                head = (size_t)(eoh - s) + 4;
                const char *cl = strcasestr(s, "\r\ncontent-length:");
                int st = 0;
                sscanf(s, "HTTP/1.1 %d", &st);
                if (st == 204 || st == 304)
                    want = 0; /* no body, none announced */
                else if (!cl || cl > eoh)
                    die("an answer without Content-Length", s);
                else
                    want = strtoul(cl + 17, NULL, 10);
            }
        }
        if (closed) {
            /* the server may close a connection (e.g. after a 413); one
            ** retry on a fresh one, which must then answer */
            close(g.fd);
            g.fd = -1;
            strbuf_reset(&g.prev);
            if (head && g.resp.len >= head + want)
                break;
            continue;
        }
        const char *s = strbuf_str(&g.resp);
        int status = 0;
        if (sscanf(s, "HTTP/1.1 %d", &status) != 1)
            die("not an HTTP answer", s);
        ctype[0] = '\0';
        const char *ct = strcasestr(s, "\r\ncontent-type:");
        if (ct && ct < s + head) {
            ct += 15;
            while (*ct == ' ')
                ct++;
            size_t n = strcspn(ct, "\r");
            snprintf(ctype, ctype_cap, "%.*s", (int)n, ct);
        }
        *body = s + head;
        *body_len = want;
        strbuf_reset(&g.prev);
        strbuf_add(&g.prev, strbuf_str(&g.req), g.req.len);
        return status;
    }
    die("the server closed the connection twice", strbuf_str(&g.req));
    return 0;
}

static void login(size_t i)
{
    strbuf_reset(&g.req);
    char body[128];
    int n = snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", logins[i],
                     DEMO_PASSWORD);
    strbuf_addf(&g.req,
                "POST /api/v1/auth/login HTTP/1.1\r\nHost: f\r\nContent-Type: application/json"
                "\r\nContent-Length: %d\r\n\r\n%s",
                n, body);
    const char *b;
    size_t bl;
    char ct[128];
    int st = exchange(&b, &bl, ct, sizeof ct);
    struct json_object *o = json_tokener_parse(b), *t = NULL;
    if (st != 200 || !o || !json_object_object_get_ex(o, "token", &t))
        die("login", b);
    snprintf(g.tokens[i], sizeof g.tokens[i], "%s", json_object_get_string(t));
    json_object_put(o);
}

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    const char *tmp = getenv("TMPDIR");
    snprintf(g.dir, sizeof g.dir, "%s/rl-fuzzapi-XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(g.dir))
        abort();
    char path[96];
    snprintf(path, sizeof path, "%s/f.db", g.dir);
    struct err e = {0};
    log_new(&g.app.log, stderr, LOG_OFF);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.synchronous_full = false; /* durability is not what is fuzzed */
    if (store_open(&g.app.store, &cfg, &e) || schema_register_all(g.app.store, &e) ||
        store_migrate(g.app.store, &e) || demo_seed(g.app.store, NULL, &e))
        die("store", e.msg);
    struct auth_config acfg;
    memset(&acfg, 0, sizeof acfg);
    struct jobs *jobs = NULL;
    struct logistics *lgx = NULL;
    struct telemetry *tel = NULL;
    struct telemetry_config tcfg;
    memset(&tcfg, 0, sizeof tcfg);
    tcfg.log = g.app.log; /* no webhook thread: nothing leaves the machine */
    if (auth_new(&g.app.auth, &acfg, &e) || jobs_new(&jobs, 1, 32, 256, &e) ||
        logistics_new(&lgx, &e) || telemetry_new(&tel, g.app.store, &tcfg, &e))
        die("modules", e.msg);
    g.app.jobs = jobs;
    g.app.logistics = lgx;
    g.app.telemetry = tel;
    g.app.cfg.listen = "127.0.0.1:0";
    g.app.cfg.threads = 1;
    g.app.cfg.handler_threads = 4;
    g.app.cfg.max_body = 256 * 1024;
    g.app.cfg.cache_mb = -1; /* every request reaches its handler */
    g.app.cfg.demo = true;
    g.app.started_ms = time_now_ms();
    if (http_start(&g.srv, &g.app, &e))
        die("http_start", e.msg);
    g.port = http_port(g.srv);
    strbuf_init(&g.req, 0);
    strbuf_init(&g.resp, 0);
    strbuf_init(&g.prev, 0);
    for (size_t i = 0; i < NLOGINS; i++)
        login(i);
    atexit(cleanup);
}

/* The value of the k-th {param}. */
static void param_value(struct strbuf *out, uint8_t b)
{
    static const char *const odd[] = {"0", "-1", "99999999999999999999", "abc", "1.5", "%00"};
    if (b < 232)
        strbuf_addf(out, "%d", b % 24 + 1);
    else
        strbuf_addstr(out, odd[(b - 232) % (sizeof odd / sizeof odd[0])]);
}

/* The request line must stay one line: bytes a query may not hold are
** percent-encoded (what they mean after decoding is still fuzzed). Past
** MAX_QUERY_ARGS arguments '&' is encoded too: libmicrohttpd closes the
** connection without an answer when its 8 KiB pool cannot hold the
** argument records (about 140; docs/internals/http.md). */
#define MAX_QUERY_ARGS 64
static void add_query(struct strbuf *out, const uint8_t *q, size_t n)
{
    int args = 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = q[i];
        if (c == '&' && ++args > MAX_QUERY_ARGS)
            strbuf_addstr(out, "%26");
        else if (c > 0x20 && c < 0x7f && c != '#' && c != '%')
            strbuf_addch(out, (char)c);
        else
            strbuf_addf(out, "%%%02X", c);
    }
}

static void check(const struct http_route *rt, int status, const char *ct, const char *body,
                  size_t len)
{
    if (status < 100 || status > 599 || (status >= 500 && status != 503)) {
        fprintf(stderr, "%s %s answered %d: %.*s\n", rt->method, rt->pattern, status,
                (int)(len < 2000 ? len : 2000), body);
        fprintf(stderr, "request: %.*s\n", (int)(g.req.len < 4000 ? g.req.len : 4000),
                strbuf_str(&g.req));
        abort();
    }
    bool problem = strncmp(ct, "application/problem+json", 24) == 0;
    bool json = problem || strncmp(ct, "application/json", 16) == 0;
    /* The line-protocol writes answer a body they could not take as
    ** InfluxDB does (JSON with "error"), for Telegraf and its kind. */
    bool influx_400 = (rt->flags & HTTP_INFLUX_AUTH) && status == 400 && json;
    if (status >= 400 && status < 500 && !problem && !influx_400) {
        fprintf(stderr, "%s %s answered %d as '%s'\n", rt->method, rt->pattern, status, ct);
        abort();
    }
    if (!json || len == 0)
        return;
    struct json_tokener *tk = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tk, body, (int)len);
    bool ok = o && json_tokener_get_error(tk) == json_tokener_success;
    json_tokener_free(tk);
    struct json_object *st;
    if (ok && problem)
        ok = json_object_object_get_ex(o, "status", &st) && json_object_get_int(st) == status;
    json_object_put(o);
    if (!ok) {
        fprintf(stderr, "%s %s answered %d with broken JSON: %.*s\n", rt->method, rt->pattern,
                status, (int)(len < 2000 ? len : 2000), body);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g.srv)
        setup();
    if (size < 2)
        return 0;
    size_t nroutes = http_route_count();
    const struct http_route *rt = http_route_at(data[0] % nroutes);
    if (strstr(rt->pattern, "/logout"))
        return 0;
    size_t who = data[1] & 7; /* 7: no token */
    static const char *const ctypes[] = {"application/json", "text/csv", "text/plain",
                                         "application/json; charset=utf-8"};
    const char *ctype = ctypes[(data[1] >> 3) & 3];
    size_t at = 2;

    struct strbuf path;
    strbuf_init(&path, 0);
    for (const char *p = rt->pattern; *p;) {
        if (*p == '{') {
            const char *close_brace = strchr(p, '}');
            param_value(&path, at < size ? data[at] : 1);
            at++;
            p = close_brace ? close_brace + 1 : p + strlen(p);
        } else {
            strbuf_addch(&path, *p++);
        }
    }
    const uint8_t *rest = data + (at < size ? at : size);
    size_t rest_len = at < size ? size - at : 0;
    const uint8_t *nl = memchr(rest, '\n', rest_len);
    size_t qlen = nl ? (size_t)(nl - rest) : 0;
    const uint8_t *bodyp = nl ? nl + 1 : rest;
    size_t blen = rest_len - (nl ? qlen + 1 : 0);

    strbuf_reset(&g.req);
    strbuf_addf(&g.req, "%s %s", rt->method, strbuf_str(&path));
    if (qlen) {
        strbuf_addch(&g.req, '?');
        add_query(&g.req, rest, qlen);
    }
    strbuf_addstr(&g.req, " HTTP/1.1\r\nHost: f\r\n");
    if (who < NLOGINS)
        strbuf_addf(&g.req, "Authorization: Bearer %s\r\n", g.tokens[who]);
    strbuf_addf(&g.req, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", ctype, blen);
    strbuf_add(&g.req, (const char *)bodyp, blen);
    strbuf_release(&path);

    const char *body;
    size_t len;
    char ct[128];
    int status = exchange(&body, &len, ct, sizeof ct);
    check(rt, status, ct, body, len);
    return 0;
}
