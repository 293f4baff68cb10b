/*
** idem.c: Idempotency-Key handling for routes flagged HTTP_IDEMPOTENT, over
** the store's idempotency_keys table (store_idem_get / store_idem_put).
**
** A record is keyed by (county, principal, key) and remembers the method and
** path it was first used with, and the first answer's status and body.
** server.c looks the key up before running the handler and, after a non-5xx
** answer, records it in a write of its own. That write is a separate
** transaction from the handler's: a crash between the two, or two retries
** racing while the first is still running, can run the handler twice.
** docs/internals/http.md says so to clients.
*/
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

/* Devices have user_id 0: key them apart by a negative id. */
static int64_t principal_id(const struct auth_principal *who)
{
    return who->user_id ? who->user_id : -who->device_id;
}

struct idem_arg {
    const struct auth_principal *who;
    const char *key, *method, *path;
    struct arena *a;
    struct http__idem_rec *rec;
    int status;
    const char *body;
    size_t body_len;
};

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_arg *x = arg;
    struct store_idem r;
    int rc = store_idem_get(c, x->who->county_id, principal_id(x->who), x->key, x->method,
                            x->path, &r, e);
    if (rc)
        return rc;
    x->rec->status = r.status;
    x->rec->content_type =
        r.status >= 400 ? "application/problem+json" : "application/json";
    x->rec->body = arena_strndup(x->a, r.body, r.body_len);
    x->rec->body_len = r.body_len;
    store_idem_release(&r);
    return 0;
}

int http__idem_get(struct store *st, struct arena *a, const struct auth_principal *who,
                   const char *key, const char *method, const char *path,
                   struct http__idem_rec *rec, struct err *e)
{
    struct idem_arg x = {.who = who, .key = key, .method = method, .path = path, .a = a,
                         .rec = rec};
    return store_read(st, get_fn, &x, e);
}

static int put_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_arg *x = arg;
    int rc = store_idem_put(c, x->who->county_id, principal_id(x->who), x->key, x->method,
                            x->path, x->status, x->body, x->body_len, e);
    return rc == ERR_EXISTS ? 0 : rc; /* a racing retry recorded it first */
}

int http__idem_put(struct store *st, const struct auth_principal *who, const char *key,
                   const char *method, const char *path, int status, const char *body,
                   size_t body_len, struct err *e)
{
    struct idem_arg x = {.who = who, .key = key, .method = method, .path = path,
                         .status = status, .body = body, .body_len = body_len};
    return store_write(st, put_fn, &x, e);
}

int http__idem_put_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct http__idem_put *x = arg;
    int rc = store_idem_put(c, x->who->county_id, principal_id(x->who), x->key, x->method,
                            x->path, x->status, x->body, x->body_len, e);
    return rc == ERR_EXISTS ? 0 : rc;
}
