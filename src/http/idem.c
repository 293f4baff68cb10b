/*
** idem.c: Idempotency-Key handling for routes flagged HTTP_IDEMPOTENT, over
** the store's idempotency_keys table (store_idem_*).
**
** A record is keyed by (county, principal, key) and remembers the method and
** path it was first used with, and the first answer's status and body.
** server.c looks the key up before running the handler: a recorded answer
** is replayed. Otherwise it claims the key in a durable write of its own
** (a record with status 0) and only then runs the handler; afterwards it
** settles the claim: a non-5xx answer is recorded, anything else drops the
** claim so that a retry may run again. So neither two racing retries nor a
** retry after a crash run the handler twice: a retry that finds a claim is
** told 409 (still running, or the server stopped while it ran and its
** outcome is unknown until the claim is pruned with the other old keys).
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
    int rc = store_idem_get(c, x->who->county_id, principal_id(x->who), x->key, x->method, x->path,
                            &r, e);
    if (rc)
        return rc;
    x->rec->status = r.status;
    x->rec->content_type = r.status >= 400 ? "application/problem+json" : "application/json";
    x->rec->body = arena_strndup(x->a, r.body, r.body_len);
    x->rec->body_len = r.body_len;
    store_idem_release(&r);
    return 0;
}

int http__idem_get(struct store *st, struct arena *a, const struct auth_principal *who,
                   const char *key, const char *method, const char *path,
                   struct http__idem_rec *rec, struct err *e)
{
    struct idem_arg x = {
        .who = who, .key = key, .method = method, .path = path, .a = a, .rec = rec};
    return store_read(st, get_fn, &x, e);
}

static int claim_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_arg *x = arg;
    struct store_idem r;
    int rc = store_idem_get(c, x->who->county_id, principal_id(x->who), x->key, x->method, x->path,
                            &r, e);
    if (rc == 0) {
        store_idem_release(&r);
        return err_set(e, ERR_EXISTS, "a request with this Idempotency-Key came first");
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    return store_idem_put(c, x->who->county_id, principal_id(x->who), x->key, x->method, x->path, 0,
                          NULL, 0, e);
}

int http__idem_claim(struct store *st, const struct auth_principal *who, const char *key,
                     const char *method, const char *path, struct err *e)
{
    struct idem_arg x = {.who = who, .key = key, .method = method, .path = path};
    return store_write(st, claim_fn, &x, e);
}

/* Record a non-5xx answer on the claim, or drop the claim. */
static int settle(struct store_conn *c, const struct auth_principal *who, const char *key,
                  int status, const char *body, size_t body_len, struct err *e)
{
    if (status > 0 && status < 500)
        return store_idem_finish(c, who->county_id, principal_id(who), key, status, body, body_len,
                                 e);
    return store_idem_unclaim(c, who->county_id, principal_id(who), key, e);
}

static int settle_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct idem_arg *x = arg;
    return settle(c, x->who, x->key, x->status, x->body, x->body_len, e);
}

int http__idem_put(struct store *st, const struct auth_principal *who, const char *key,
                   const char *method, const char *path, int status, const char *body,
                   size_t body_len, struct err *e)
{
    struct idem_arg x = {.who = who,
                         .key = key,
                         .method = method,
                         .path = path,
                         .status = status,
                         .body = body,
                         .body_len = body_len};
    return store_write(st, settle_fn, &x, e);
}

int http__idem_put_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct http__idem_put *x = arg;
    return settle(c, x->who, x->key, x->status, x->body, x->body_len, e);
}
