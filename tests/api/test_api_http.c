/* ctest-labels: api */
/*
** API tests of the HTTP layer against the real server (tests/support):
** health, problem documents for unknown routes and methods, body limits
** (413, nothing written), malformed JSON (400) and wrong content type
** (415), missing / forged tokens (401) and roles (403), Idempotency-Key
** replay (and its claim kept off the I/O thread), keep-alive, pipelining, static files with
*traversal refused, metrics moving,
** the request log line, and HTTPS with a certificate made in the test.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rl_server.h"
#include "store/store.h"

struct fixture {
    struct ts_server s;
    char web[300];
    char op_token[128];
    char buyer_token[128];
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    *state = f; /* teardown runs even when setup fails */
    /* A web root beside the test's temp files: index.html, an asset, and a
    ** secret one level up that traversal must not reach. */
    char tmpl[] = "/tmp/rl-web-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    snprintf(f->web, sizeof f->web, "%s/web", tmpl);
    mkdir(f->web, 0755);
    char p[400];
    snprintf(p, sizeof p, "%s/index.html", f->web);
    write_file(p, "<!doctype html><title>ruralink</title>\n");
    snprintf(p, sizeof p, "%s/app.js", f->web);
    write_file(p, "console.log('hi');\n");
    snprintf(p, sizeof p, "%s/secret.txt", tmpl);
    write_file(p, "top secret\n");

    struct ts_opts o = {.web_root = f->web, .max_body = 4096};
    if (ts_start(&f->s, &o) != 0)
        return -1;
    if (ts_add_user(&f->s, 1, "op1", "operator", "op1-password") != 0 ||
        ts_add_user(&f->s, 1, "buyer1", "buyer", "buyer1-password") != 0)
        return -1;
    if (ts_login(&f->s, "op1", "op1-password", f->op_token, sizeof f->op_token) != 0 ||
        ts_login(&f->s, "buyer1", "buyer1-password", f->buyer_token, sizeof f->buyer_token) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    int rc = 0;
    if (f->s.pid > 0)
        rc = ts_stop(&f->s);
    else
        ts_cleanup(&f->s);
    char *slash = strrchr(f->web, '/');
    if (slash) {
        char cmd[400];
        *slash = '\0';
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->web);
        ts_sh(cmd);
    }
    free(f);
    return rc == 0 ? 0 : -1; /* SIGTERM must end in a clean exit 0 */
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return -1;
    return json_object_get_int64(v);
}

static void assert_problem(struct ts_resp *r, long status)
{
    assert_int_equal(r->status, status);
    assert_string_equal(r->content_type, "application/problem+json");
    assert_non_null(r->json);
    assert_int_equal(jint(r->json, "status"), status);
    assert_non_null(jstr(r->json, "type"));
    assert_non_null(jstr(r->json, "title"));
    assert_non_null(jstr(r->json, "detail"));
    assert_non_null(jstr(r->json, "instance"));
}

/* A counter from /metrics: the value of the first line starting with prefix. */
static double metric(struct ts_server *s, const char *prefix)
{
    struct ts_resp r;
    assert_int_equal(ts_get(s, "/metrics", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    double v = 0;
    size_t n = strlen(prefix);
    for (char *p = r.body; p && *p;) {
        char *eol = strchr(p, '\n');
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ') {
            v = strtod(p + n + 1, NULL);
            break;
        }
        p = eol ? eol + 1 : NULL;
    }
    ts_resp_free(&r);
    return v;
}

static void test_health(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(jstr(r.json, "status"), "ok");
    assert_string_equal(jstr(r.json, "store"), "sqlite");
    assert_non_null(jstr(r.json, "version"));
    assert_string_equal(jstr(r.json, "demo"), "false");
#ifdef RL_HAVE_MIMALLOC
    assert_string_equal(jstr(r.json, "allocator"), "mimalloc");
#else
    assert_string_equal(jstr(r.json, "allocator"), "glibc");
#endif
    ts_resp_free(&r);
}

/* Nice value of each thread of pid named `comm`: the lowest and the
** highest, and how many there are. */
static int thread_nice(pid_t pid, const char *comm, int *lo, int *hi)
{
    char cmd[160], line[256];
    snprintf(cmd, sizeof cmd, "for t in /proc/%d/task/*; do cat $t/stat; echo; done", (int)pid);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        char *open = strchr(line, '('), *close = strrchr(line, ')');
        if (!open || !close || close - open - 1 != (ptrdiff_t)strlen(comm) ||
            strncmp(open + 1, comm, strlen(comm)) != 0)
            continue;
        int nice;
        /* after ") ": state, then fields 4..18, then nice (field 19) */
        if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %d",
                   &nice) != 1)
            continue;
        if (n == 0 || nice < *lo)
            *lo = nice;
        if (n == 0 || nice > *hi)
            *hi = nice;
        n++;
    }
    pclose(p);
    return n;
}

/* The threads that parse requests run 5 nice steps below the store's writer;
** the writer keeps the process's priority. */
static void test_thread_priorities(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
    ts_resp_free(&r);
    int wlo = 0, whi = 0, ilo = 0, ihi = 0;
    assert_int_equal(thread_nice(f->s.pid, "rl-store-writer", &wlo, &whi), 1);
    assert_true(thread_nice(f->s.pid, "rl-http-io", &ilo, &ihi) >= 1);
    assert_int_equal(ilo, ihi);
    assert_int_equal(ihi, wlo + 5 > 19 ? 19 : wlo + 5);
}

static void test_not_found_and_method(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/api/v1/no-such-thing", NULL, &r), 0);
    assert_problem(&r, 404);
    assert_string_equal(jstr(r.json, "instance"), "/api/v1/no-such-thing");
    ts_resp_free(&r);

    assert_int_equal(ts_post_json(&f->s, "DELETE", "/api/v1/health", NULL, NULL, &r), 0);
    assert_problem(&r, 405);
    char allow[128];
    assert_true(ts_resp_header(&r, "Allow", allow, sizeof allow));
    assert_non_null(strstr(allow, "GET"));
    ts_resp_free(&r);
}

static void test_auth_required(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    char h[200];
    assert_int_equal(ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", NULL, "{}", &r), 0);
    assert_problem(&r, 401);
    assert_true(ts_resp_header(&r, "WWW-Authenticate", h, sizeof h));
    assert_non_null(strstr(h, "Bearer"));
    ts_resp_free(&r);

    /* Well-formed but unknown token, and garbage. */
    const char *forged[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "x",
                            "\"; DROP TABLE users"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", forged[i], "{}", &r), 0);
        assert_problem(&r, 401);
        ts_resp_free(&r);
    }
    /* Basic auth is not a bearer token. */
    const char *hdrs[] = {"Authorization: Basic b3AxOm9wMS1wYXNzd29yZA==", NULL};
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", NULL,
                                "application/json", "{}", 2, hdrs, &r),
                     0);
    assert_problem(&r, 401);
    ts_resp_free(&r);
}

static void test_write_and_bad_input(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    double w0 = metric(&f->s, "store_writes_total");

    assert_int_equal(ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                  "{\"note\":\"hello\"}", &r),
                     0);
    assert_int_equal(r.status, 201);
    assert_string_equal(jstr(r.json, "committed"), "true");
    ts_resp_free(&r);
    double w1 = metric(&f->s, "store_writes_total");
    assert_true(w1 >= w0 + 1);

    /* Malformed JSON: 400 with the parser's message; nothing written. */
    assert_int_equal(ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                  "{\"note\": \"unterminated", &r),
                     0);
    assert_problem(&r, 400);
    assert_non_null(strstr(jstr(r.json, "detail"), "JSON"));
    ts_resp_free(&r);
    /* Wrong type and unknown field: 400. */
    assert_int_equal(
        ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token, "{\"note\": 5}", &r),
        0);
    assert_problem(&r, 400);
    ts_resp_free(&r);
    assert_int_equal(
        ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token, "{\"nope\": 1}", &r),
        0);
    assert_problem(&r, 400);
    ts_resp_free(&r);
    /* Not JSON at all: 415. */
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                "text/plain", "note=hello", 10, NULL, &r),
                     0);
    assert_problem(&r, 415);
    ts_resp_free(&r);

    /* Over --max-body (4096): 413 up front by Content-Length ... */
    size_t big = 10000;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    assert_int_equal(
        ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token, body, &r), 0);
    assert_problem(&r, 413);
    ts_resp_free(&r);
    /* ... and when chunked (no Content-Length). */
    const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                "application/json", body, big, chunked, &r),
                     0);
    assert_problem(&r, 413);
    ts_resp_free(&r);
    free(body);
    assert_true(metric(&f->s, "store_writes_total") == w1);

    /* Request headers: 6 KB of them are served; a block over the
    ** connection's 8 KiB memory pool is refused with 431, and the server
    ** goes on answering. */
    char *hv = malloc(20000);
    memcpy(hv, "X-Big: ", 7);
    memset(hv + 7, 'a', 6000);
    hv[7 + 6000] = '\0';
    const char *mid[] = {hv, NULL};
    assert_int_equal(ts_request(&f->s, "GET", "/api/v1/health", NULL, NULL, NULL, 0, mid, &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
    memset(hv + 7, 'a', 16000);
    hv[7 + 16000] = '\0';
    assert_int_equal(ts_request(&f->s, "GET", "/api/v1/health", NULL, NULL, NULL, 0, mid, &r), 0);
    assert_int_equal(r.status, 431);
    ts_resp_free(&r);
    free(hv);
    assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    ts_resp_free(&r);
}

static void test_roles(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    /* Listing users is for admins: an operator gets 403 problem. */
    assert_int_equal(ts_get(&f->s, "/api/v1/users", f->op_token, &r), 0);
    assert_problem(&r, 403);
    ts_resp_free(&r);
    /* Any person may ping-write. */
    assert_int_equal(
        ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->buyer_token, NULL, &r), 0);
    assert_int_equal(r.status, 201);
    ts_resp_free(&r);
}

static void test_idempotency(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r1, r2, r3;
    const char *key[] = {"Idempotency-Key: k-123", NULL};
    double w0 = metric(&f->s, "store_writes_total");
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                "application/json", "{\"note\":\"once\"}", 15, key, &r1),
                     0);
    assert_int_equal(r1.status, 201);
    double w1 = metric(&f->s, "store_writes_total");
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                "application/json", "{\"note\":\"once\"}", 15, key, &r2),
                     0);
    assert_int_equal(r2.status, 201);
    assert_string_equal(r1.body, r2.body); /* the first answer, time included */
    char h[32];
    assert_true(ts_resp_header(&r2, "Idempotent-Replayed", h, sizeof h));
    assert_true(metric(&f->s, "store_writes_total") == w1); /* handler not run again */
    assert_true(w1 >= w0 + 1);
    /* The same key from another user is another request. */
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->buyer_token,
                                "application/json", "{\"note\":\"once\"}", 15, key, &r3),
                     0);
    assert_int_equal(r3.status, 201);
    assert_false(ts_resp_header(&r3, "Idempotent-Replayed", h, sizeof h));
    ts_resp_free(&r1);
    ts_resp_free(&r2);
    ts_resp_free(&r3);
}

struct claim_arg {
    int64_t county_id, user_id;
};

static int claim_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct claim_arg *a = arg;
    return store_idem_put(c, a->county_id, a->user_id, "k-crashed", "POST",
                          "/api/v1/system/ping-write", 0, NULL, 0, e);
}

/* A key claimed by a request whose server stopped before it answered (a
** claim left in the store) is not run again: 409, and nothing is written. */
static void test_idempotency_claim_left_by_a_crash(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/api/v1/me", f->op_token, &r), 0);
    struct claim_arg a = {jint(r.json, "county_id"), jint(r.json, "id")};
    ts_resp_free(&r);
    assert_true(a.county_id > 0 && a.user_id > 0);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = f->s.db;
    struct store *st;
    struct err e = {0};
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    assert_int_equal(store_write(st, claim_fn, &a, &e), 0);
    store_close(st);
    const char *key[] = {"Idempotency-Key: k-crashed", NULL};
    double w0 = metric(&f->s, "store_writes_total");
    assert_int_equal(ts_request(&f->s, "POST", "/api/v1/system/ping-write", f->op_token,
                                "application/json", "{\"note\":\"x\"}", 12, key, &r),
                     0);
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(r.content_type, "application/problem+json"));
    ts_resp_free(&r);
    assert_true(metric(&f->s, "store_writes_total") == w0);
}

/* A server with one I/O thread, and a lock on its database the test may
** hold; teardown releases both whatever the test did. */
struct one_io {
    struct ts_server s;
    sqlite3 *lock;
};

/* A keep-alive connection of its own to the test server, for a request
** whose answer the test waits for while it makes others. */
static int raw_connect(const struct ts_server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* The answer's head (at least), read until its blank line; 30 s is no speed
** limit: the answer comes once what it waits for is done, or not at all. */
static void raw_read_head(int fd, char *buf, size_t cap)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    size_t len = 0;
    buf[0] = '\0';
    while (len < cap - 1 && !strstr(buf, "\r\n\r\n") && poll(&p, 1, 30000) == 1) {
        ssize_t got = read(fd, buf + len, cap - 1 - len);
        if (got <= 0)
            break;
        len += (size_t)got;
        buf[len] = '\0';
    }
}

static int setup_one_io(void **state)
{
    struct one_io *f = calloc(1, sizeof *f);
    *state = f;
    struct ts_opts o = {.extra = {"--threads", "1", NULL}};
    return f && ts_start(&f->s, &o) == 0 ? 0 : -1;
}

static int teardown_one_io(void **state)
{
    struct one_io *f = *state;
    if (!f)
        return 0;
    if (f->lock)
        sqlite3_close(f->lock); /* an open transaction rolls back */
    int rc = f->s.pid > 0 ? ts_stop(&f->s) : 0;
    free(f);
    return rc == 0 ? 0 : -1;
}

/* An Idempotency-Key on an HTTP_ASYNC route (ping-write) is claimed by a
** durable write before the handler runs. That wait must not hold up the I/O
** thread: with one I/O thread and the database locked by another process,
** health is answered while the keyed write waits, and the write is answered
** once the lock goes. Run on the I/O thread, the claim would block it until
** the store's 10 s busy timeout failed the write: health would then come
** after the write's error answer. */
static void test_idempotent_async_write_waits_off_the_io_thread(void **state)
{
    struct one_io *f = *state;
    struct ts_server *s = &f->s;
    assert_int_equal(ts_add_user(s, 1, "op1", "operator", "op1-password"), 0);
    char tok[128];
    assert_int_equal(ts_login(s, "op1", "op1-password", tok, sizeof tok), 0);

    assert_int_equal(sqlite3_open(s->db, &f->lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(f->lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);

    int fd = raw_connect(s);
    static const char body[] = "{\"note\":\"held\"}";
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "POST /api/v1/system/ping-write HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer %s\r\nIdempotency-Key: k-held\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     tok, strlen(body), body);
    assert_int_equal(write(fd, req, (size_t)n), n);

    /* Several, one after another: the keyed write, sent first, is surely
    ** taken up by the I/O thread before the last of them. */
    for (int i = 0; i < 3; i++) {
        struct ts_resp r;
        assert_int_equal(ts_get(s, "/api/v1/health", NULL, &r), 0);
        assert_int_equal(r.status, 200);
        ts_resp_free(&r);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0); /* the write still waits for the lock */

    assert_int_equal(sqlite3_exec(f->lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(f->lock);
    f->lock = NULL;
    /* 30 s is no speed limit: the answer comes at once, or not at all. */
    char buf[4096];
    raw_read_head(fd, buf, sizeof buf);
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 201", 12) == 0);

    /* The claim was settled: the same key replays the answer. */
    struct ts_resp r;
    const char *key[] = {"Idempotency-Key: k-held", NULL};
    assert_int_equal(ts_request(s, "POST", "/api/v1/system/ping-write", tok, "application/json",
                                body, strlen(body), key, &r),
                     0);
    assert_int_equal(r.status, 201);
    char h[32];
    assert_true(ts_resp_header(&r, "Idempotent-Replayed", h, sizeof h));
    ts_resp_free(&r);
}

/* GET /api/v1/jobs/{id}?wait=S long-polls: it waits for the job on a
** handler thread (HTTP_BLOCKING). On the I/O thread, as every other GET,
** it held up all that thread's connections for up to S seconds: with one
** I/O thread, health would only be answered after the long poll. */
static void test_long_poll_waits_off_the_io_thread(void **state)
{
    struct one_io *f = *state;
    struct ts_server *s = &f->s;
    assert_int_equal(ts_add_user(s, 1, "op1", "operator", "op1-password"), 0);
    char tok[128];
    assert_int_equal(ts_login(s, "op1", "op1-password", tok, sizeof tok), 0);
    /* a job that runs until its limit (60 s) unless cancelled */
    static const char problem[] =
        "{\"vehicles\":[{\"id\":1,\"start_index\":0,\"end_index\":0,\"capacity\":[10]}],"
        "\"jobs\":[{\"id\":11,\"location_index\":1,\"delivery\":[3]},"
        "{\"id\":12,\"location_index\":2,\"delivery\":[3]}],"
        "\"matrices\":{\"car\":{\"durations\":[[0,5,7],[5,0,3],[7,3,0]]}}}";
    struct ts_resp r;
    assert_int_equal(ts_post_json(s, "POST", "/api/v1/vrp/jobs?time_limit=60", tok, problem, &r),
                     0);
    assert_int_equal(r.status, 202);
    int64_t id = jint(r.json, "job_id");
    ts_resp_free(&r);

    int fd = raw_connect(s);
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/jobs/%lld?wait=30 HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     (long long)id, tok);
    assert_int_equal(write(fd, req, (size_t)n), n);
    /* Several, one after another: the long poll, sent first, is surely
    ** taken up by the I/O thread before the last of them. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_get(s, "/api/v1/health", NULL, &r), 0);
        assert_int_equal(r.status, 200);
        ts_resp_free(&r);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 0); /* the long poll still waits */

    /* cancelling ends the job: the long poll answers */
    char path[64];
    snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)id);
    assert_int_equal(ts_request(s, "DELETE", path, tok, NULL, NULL, 0, NULL, &r), 0);
    assert_true(r.status == 200 || r.status == 202 || r.status == 204);
    ts_resp_free(&r);
    /* 30 s is no speed limit: the answer comes once the job has stopped. */
    char buf[4096];
    raw_read_head(fd, buf, sizeof buf);
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
}

static int setup_two_handlers(void **state)
{
    struct one_io *f = calloc(1, sizeof *f);
    *state = f;
    struct ts_opts o = {.extra = {"--threads", "1", "--handler-threads", "2", NULL}};
    return f && ts_start(&f->s, &o) == 0 ? 0 : -1;
}

/* Requests that hold a handler thread while their job runs (a synchronous
** solve or plan, a long poll) are at most half the handler threads: with
** two, a long poll holds one and a synchronous solve is answered 202 at
** once instead of taking the other (before, eight users' solves could hold
** all 32 threads for up to 610 s, and no write or login got through). */
static void test_job_waits_leave_threads_free(void **state)
{
    struct one_io *f = *state;
    struct ts_server *s = &f->s;
    assert_int_equal(ts_add_user(s, 1, "op1", "operator", "op1-password"), 0);
    char tok[128];
    assert_int_equal(ts_login(s, "op1", "op1-password", tok, sizeof tok), 0);
    static const char problem[] =
        "{\"vehicles\":[{\"id\":1,\"start_index\":0,\"end_index\":0,\"capacity\":[10]}],"
        "\"jobs\":[{\"id\":11,\"location_index\":1,\"delivery\":[3]},"
        "{\"id\":12,\"location_index\":2,\"delivery\":[3]}],"
        "\"matrices\":{\"car\":{\"durations\":[[0,5,7],[5,0,3],[7,3,0]]}}}";
    struct ts_resp r;
    assert_int_equal(ts_post_json(s, "POST", "/api/v1/vrp/jobs?time_limit=60", tok, problem, &r),
                     0);
    assert_int_equal(r.status, 202);
    int64_t held = jint(r.json, "job_id");
    ts_resp_free(&r);

    int fd = raw_connect(s);
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/jobs/%lld?wait=60 HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     (long long)held, tok);
    assert_int_equal(write(fd, req, (size_t)n), n);
    /* Several, one after another: the long poll, sent first, is surely
    ** handed to a handler thread before the last of them. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char path[96];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_get(s, "/api/v1/health", NULL, &r), 0);
        ts_resp_free(&r);
    }
    assert_int_equal(poll(&p, 1, 0), 0);

    /* a synchronous solve: 202 at once, its job goes on */
    assert_int_equal(ts_post_json(s, "POST", "/api/v1/vrp/solve?time_limit=60", tok, problem, &r),
                     0);
    assert_int_equal(r.status, 202);
    int64_t solve = jint(r.json, "job_id");
    /* the one solver worker runs the held job: this one waits its turn */
    assert_string_equal(json_object_get_string(json_object_object_get(r.json, "state")), "queued");
    ts_resp_free(&r);
    assert_int_equal(poll(&p, 1, 0), 0); /* the long poll still waits */

    int64_t ids[2] = {held, solve};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "/api/v1/jobs/%lld", (long long)ids[i]);
        assert_int_equal(ts_request(s, "DELETE", path, tok, NULL, NULL, 0, NULL, &r), 0);
        ts_resp_free(&r);
    }
    char buf[4096];
    raw_read_head(fd, buf, sizeof buf);
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
}

/* A cacheable GET is served from the cache until a write commits; a write
** acknowledged to the client is always visible in the next read. */
static void test_cache(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    char h[32];
    int64_t prev = -1;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(ts_get(&f->s, "/api/v1/system/ping-write", f->op_token, &r), 0);
        assert_int_equal(r.status, 200);
        int64_t n = jint(r.json, "count");
        assert_true(n >= 0);
        if (prev >= 0)
            assert_int_equal(n, prev + 1); /* the write is visible at once */
        ts_resp_free(&r);
        assert_int_equal(ts_get(&f->s, "/api/v1/system/ping-write", f->op_token, &r), 0);
        assert_int_equal(jint(r.json, "count"), n);
        assert_true(ts_resp_header(&r, "X-Cache", h, sizeof h)); /* served from the cache */
        ts_resp_free(&r);
        /* Cache-Control: no-cache runs the handler. */
        const char *nc[] = {"Cache-Control: no-cache", NULL};
        assert_int_equal(ts_request(&f->s, "GET", "/api/v1/system/ping-write", f->op_token, NULL,
                                    NULL, 0, nc, &r),
                         0);
        assert_false(ts_resp_header(&r, "X-Cache", h, sizeof h));
        assert_int_equal(jint(r.json, "count"), n);
        ts_resp_free(&r);
        /* Another caller has a cache entry of its own. */
        assert_int_equal(ts_get(&f->s, "/api/v1/system/ping-write", f->buyer_token, &r), 0);
        assert_int_equal(jint(r.json, "count"), n);
        ts_resp_free(&r);
        assert_int_equal(
            ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token, NULL, &r), 0);
        assert_int_equal(r.status, 201);
        ts_resp_free(&r);
        prev = n;
    }
    /* No token: 401 before any cache lookup. */
    assert_int_equal(ts_get(&f->s, "/api/v1/system/ping-write", NULL, &r), 0);
    assert_problem(&r, 401);
    ts_resp_free(&r);
    assert_true(metric(&f->s, "http_cache_hits_total") >= 3);
}

static void test_keep_alive(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
    ts_resp_free(&r);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.new_connections, 0); /* curl reused the connection */
        ts_resp_free(&r);
        /* Writes answered from a handler thread keep it alive too. */
        assert_int_equal(
            ts_post_json(&f->s, "POST", "/api/v1/system/ping-write", f->op_token, NULL, &r), 0);
        assert_int_equal(r.status, 201);
        assert_int_equal(r.new_connections, 0);
        ts_resp_free(&r);
    }
}

/* Three requests in one packet (HTTP/1.1 pipelining): the second and third
** are already in the server's read buffer when the first is answered, with
** no new socket event to announce them; the I/O loop must still run them
** (io_main sleeps only when libmicrohttpd has nothing pending). */
static void test_pipelining(void **state)
{
    struct fixture *f = *state;
    int fd = raw_connect(&f->s);
    static const char one[] = "GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n";
    char three[3 * sizeof one];
    snprintf(three, sizeof three, "%s%s%s", one, one, one);
    assert_int_equal(write(fd, three, strlen(three)), (ssize_t)strlen(three));
    char buf[16384];
    size_t len = 0;
    int answers = 0;
    /* 30 s is no speed limit: the answers come at once or never. */
    for (int waited = 0; answers < 3 && waited < 30000 && len < sizeof buf - 1; waited += 100) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        assert_true(n > 0);
        len += (size_t)n;
        buf[len] = '\0';
        answers = 0;
        for (const char *q = buf; (q = strstr(q, "HTTP/1.1 200")) != NULL; q++)
            answers++;
    }
    close(fd);
    assert_int_equal(answers, 3);
}

static void test_static(void **state)
{
    struct fixture *f = *state;
    struct ts_resp r;
    assert_int_equal(ts_get(&f->s, "/", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/html"));
    assert_non_null(strstr(r.body, "<title>ruralink</title>"));
    ts_resp_free(&r);
    assert_int_equal(ts_get(&f->s, "/app.js", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "javascript"));
    ts_resp_free(&r);
    /* Client-side route: index.html. Missing asset: 404. */
    assert_int_equal(ts_get(&f->s, "/villages/12", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<title>ruralink</title>"));
    ts_resp_free(&r);
    assert_int_equal(ts_get(&f->s, "/missing.js", NULL, &r), 0);
    assert_problem(&r, 404);
    ts_resp_free(&r);
    /* Traversal, raw and percent-encoded: never the secret. */
    const char *evil[] = {"/../secret.txt", "/%2e%2e/secret.txt", "/a/..%2f..%2fsecret.txt",
                          "/%2E%2E%2Fsecret.txt", "/.%2e/secret.txt"};
    for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
        assert_int_equal(ts_get(&f->s, evil[i], NULL, &r), 0);
        assert_null(strstr(r.body, "top secret"));
        assert_true(r.status == 404 || r.status == 400);
        ts_resp_free(&r);
    }
    /* API paths never fall back to the dashboard. */
    assert_int_equal(ts_get(&f->s, "/api/v1/nothing-here", NULL, &r), 0);
    assert_problem(&r, 404);
    ts_resp_free(&r);
}

static void test_metrics_and_log(void **state)
{
    struct fixture *f = *state;
    const char *key = "http_requests_total{route=\"/api/v1/health\",method=\"GET\",status=\"200\"}";
    double before = metric(&f->s, key);
    struct ts_resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ts_get(&f->s, "/api/v1/health", NULL, &r), 0);
        ts_resp_free(&r);
    }
    assert_true(metric(&f->s, key) == before + 3);
    assert_true(metric(&f->s, "http_request_duration_seconds_count{route=\"/api/v1/health\","
                              "method=\"GET\"}") >= 3);
    assert_true(metric(&f->s, "process_start_time_seconds") > 1.7e9);
    assert_int_equal(ts_get(&f->s, "/metrics", NULL, &r), 0);
    assert_non_null(strstr(r.body, "store_writer_queue_depth "));
    assert_non_null(strstr(r.body, "store_batch_size_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.content_type, "text/plain"));
    ts_resp_free(&r);

    /* The request log line (logfmt) reached stderr. */
    FILE *lf = fopen(f->s.err_path, "r");
    assert_non_null(lf);
    char line[2048];
    bool seen = false;
    while (fgets(line, sizeof line, lf)) {
        if (strstr(line, "event=http.request") && strstr(line, "method=POST") &&
            strstr(line, "route=/api/v1/system/ping-write") && strstr(line, "user=op1") &&
            strstr(line, "status=201") && strstr(line, " ms=") && strstr(line, "remote=127.0.0.1"))
            seen = true;
    }
    fclose(lf);
    assert_true(seen);
}

static void test_tls(void **state)
{
    (void)state;
    char dir[] = "/tmp/rl-tls-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[1200], cert[300], key[300];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 2 "
             "-subj /CN=127.0.0.1 >/dev/null 2>&1",
             key, cert);
    if (ts_sh(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ts_sh(cmd);
        skip(); /* no openssl CLI (deps/apt.txt lists it) */
    }
    struct ts_server s;
    struct ts_opts o = {.tls_cert = cert, .tls_key = key};
    assert_int_equal(ts_start(&s, &o), 0); /* health over https */
    struct ts_resp r;
    assert_int_equal(ts_get(&s, "/api/v1/health", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "tls"), "true");
    ts_resp_free(&r);
    assert_int_equal(ts_get(&s, "/api/v1/none", NULL, &r), 0);
    assert_problem(&r, 404);
    ts_resp_free(&r);
    /* Plain HTTP to the TLS port gets no HTTP answer. */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/health", s.port);
    snprintf(cmd, sizeof cmd,
             "curl --noproxy '*' -s -m 5 -o /dev/null -w '%%{http_code}' '%s' | grep -q '^000$'",
             url);
    int plain = ts_sh(cmd);
    assert_int_equal(ts_stop(&s), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ts_sh(cmd);
    assert_int_equal(plain, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_thread_priorities),
        cmocka_unit_test(test_not_found_and_method),
        cmocka_unit_test(test_auth_required),
        cmocka_unit_test(test_write_and_bad_input),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_idempotency),
        cmocka_unit_test(test_idempotency_claim_left_by_a_crash),
        cmocka_unit_test_setup_teardown(test_idempotent_async_write_waits_off_the_io_thread,
                                        setup_one_io, teardown_one_io),
        cmocka_unit_test_setup_teardown(test_long_poll_waits_off_the_io_thread, setup_one_io,
                                        teardown_one_io),
        cmocka_unit_test_setup_teardown(test_job_waits_leave_threads_free, setup_two_handlers,
                                        teardown_one_io),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_metrics_and_log),
    };
    const struct CMUnitTest tls_tests[] = {
        cmocka_unit_test(test_tls),
    };
    int failed = cmocka_run_group_tests_name("http", tests, setup, teardown);
    failed += cmocka_run_group_tests_name("https", tls_tests, NULL, NULL);
    return failed;
}
