/*
** fuzz_http_router.c: the router (src/http/router.c) against arbitrary
** request paths and methods. The first byte picks a method, the rest is the
** path. Built over the served route table (routes.c) and a fixed table with
** tricky shapes; every match must stay inside the path and name a route of
** the table, and Allow must stay NUL-terminated.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

static void h_dummy(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    (void)req;
    (void)w;
}

static const struct http_route extra[] = {
    {"GET", "/", h_dummy, 0, 0},
    {"GET", "/a/{x}", h_dummy, 0, 0},
    {"POST", "/a/{x}/b/{y}", h_dummy, 0, 0},
    {"GET", "/a/lit/b/{y}", h_dummy, 0, 0},
    {"DELETE", "/{p}/{q}/{r}", h_dummy, 0, 0},
    {"GET", "/a.b/c", h_dummy, 0, 0},
};

static void check(const struct http_route *t, size_t n, const char *method, const char *path)
{
    struct http__router *r = NULL;
    struct err e;
    if (http__router_new(&r, t, n, &e) != 0)
        return; /* the served table may clash with nothing; extra never does */
    struct http__match m;
    char allow[64];
    int rc = http__router_match(r, method, path, &m, allow, sizeof allow);
    size_t plen = strlen(path);
    if (rc == HTTP__MATCH_OK) {
        if (m.route < 0 || (size_t)m.route >= n || m.nparams > HTTP__MAX_PARAMS)
            abort();
        for (int i = 0; i < m.nparams; i++) {
            if (m.params[i].ptr < path || m.params[i].ptr + m.params[i].len > path + plen ||
                m.params[i].len == 0 || memchr(m.params[i].ptr, '/', m.params[i].len))
                abort();
        }
    } else if (rc == HTTP__MATCH_NOMETHOD) {
        if (strlen(allow) >= sizeof allow)
            abort();
    }
    http__router_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "X"};
    if (size < 1 || size > 4096)
        return 0;
    const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    char *path = malloc(size);
    memcpy(path, data + 1, size - 1);
    path[size - 1] = '\0';
    check(extra, sizeof extra / sizeof extra[0], method, path);
    size_t n = http_route_count();
    struct http_route *t = calloc(n ? n : 1, sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = *http_route_at(i);
    check(t, n, method, path);
    free(t);
    free(path);
    return 0;
}
