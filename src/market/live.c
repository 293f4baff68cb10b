/*
** live.c: live-stream commerce. Sessions (host, village, title, topic tags,
** start/end), pre-heat posts, flash offers (flash price, flash stock set
** aside for the session, per-buyer limit) and the session report: orders,
** units, GMV, unique buyers, sell-through and the minute-by-minute curve.
** Orders against offers are placed in order.c.
*/
#include "market/market_int.h"

#include <string.h>

#define MINUTE_MS 60000LL
#define SESSION_MAX_MS (24LL * 3600 * 1000)

struct live_write {
    const struct auth_principal *who;
    const struct market_session *session;
    const struct market_post *post;
    const struct market_offer *offer;
    struct arena *a;
    int64_t id;
};

static int session_create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_write *w = arg;
    const struct market_session *in = w->session;
    int64_t host = in->host_user_id ? in->host_user_id : w->who->user_id;
    int rc = 0;
    /* Only staff name another host (a merchant naming one is refused, not
    ** ignored): a merchant, trainer or staff account of the county. */
    if (host != w->who->user_id) {
        if (!market__is_staff(w->who))
            return err_set(e, ERR_PERM, "only staff may name a session's host");
        if ((rc = market__user_check(c, w->who->county_id, "host_user_id", host, MARKET__HOST_ROLES,
                                     "a merchant, trainer or staff", e)))
            return rc;
    }
    if ((rc = market__village_check(c, w->who->county_id, "village_id", in->village_id, e)))
        return rc;
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO market_sessions (county_id, host_user_id, village_id,"
                       " title, tags, start_ms, end_ms, created_ms) VALUES (?,?,?,?,?,?,?,?)"
                       " RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, host);
    store_bind_i64(s, 3, in->village_id);
    store_bind_text(s, 4, in->title, -1);
    store_bind_text(s, 5, market__join(w->a, in->tags, in->ntags), -1);
    store_bind_i64(s, 6, in->start_ms);
    store_bind_i64(s, 7, in->end_ms);
    store_bind_i64(s, 8, time_now_ms());
    if ((rc = store_step(s, e)) < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    return market__audit(c, w->who, "market.session.create", "live_session", w->id, NULL, e);
}

int market_session_create(struct store *st, const struct auth_principal *who,
                          const struct market_session *in, int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__text("title", in->title, MARKET_NAME_MAX, true, false, e)) ||
        (rc = market__tags("tags", in->tags, in->ntags, e)))
        return rc;
    if (in->village_id <= 0)
        return err_set(e, ERR_INVAL, "field 'village_id' is required");
    if (in->start_ms <= 0 || in->end_ms <= in->start_ms ||
        in->end_ms - in->start_ms > SESSION_MAX_MS)
        return err_set(e, ERR_INVAL,
                       "fields 'start'..'end' must be an ordered range of at"
                       " most 24 hours");
    struct arena a;
    arena_init(&a, 1024);
    struct live_write w = {.who = who, .session = in, .a = &a};
    rc = store_write(st, session_create_fn, &w, e);
    arena_release(&a);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

/* Host of a session (ERR_NOTFOUND outside the county). */
static int session_host_closed(struct store_conn *c, int64_t county, int64_t id, int64_t *host,
                               int64_t *start, int64_t *end, int64_t *closed, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT host_user_id, start_ms, end_ms, closed_ms FROM market_sessions"
                           " WHERE id = ? AND county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, id);
    store_bind_i64(s, 2, county);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "live session %lld not found", (long long)id);
    if (host)
        *host = store_col_i64(s, 0);
    if (start)
        *start = store_col_i64(s, 1);
    if (end)
        *end = store_col_i64(s, 2);
    if (closed)
        *closed = store_col_i64(s, 3);
    return 0;
}

static int session_host(struct store_conn *c, int64_t county, int64_t id, int64_t *host,
                        int64_t *start, int64_t *end, struct err *e)
{
    return session_host_closed(c, county, id, host, start, end, NULL, e);
}

static int may_edit_session_closed(struct store_conn *c, const struct auth_principal *who,
                                   int64_t id, int64_t *closed, struct err *e)
{
    int64_t host;
    int rc = session_host_closed(c, who->county_id, id, &host, NULL, NULL, closed, e);
    if (rc)
        return rc;
    if (market__is_staff(who) || host == who->user_id)
        return 0;
    return err_set(e, ERR_PERM, "live session %lld is hosted by someone else", (long long)id);
}

static int may_edit_session(struct store_conn *c, const struct auth_principal *who, int64_t id,
                            struct err *e)
{
    return may_edit_session_closed(c, who, id, NULL, e);
}

/* Staff or the host may change the session's offers while it is open. */
static int may_edit_offers(struct store_conn *c, const struct auth_principal *who, int64_t id,
                           struct err *e)
{
    int64_t closed = 0;
    int rc = may_edit_session_closed(c, who, id, &closed, e);
    if (!rc && closed)
        rc = err_set(e, ERR_CONFLICT, "live session %lld is closed", (long long)id);
    return rc;
}

static int post_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_write *w = arg;
    const struct market_post *in = w->post;
    int rc = may_edit_session(c, w->who, in->session_id, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO market_posts (county_id, session_id, body, tags,"
                       " scheduled_ms, created_ms) VALUES (?,?,?,?,?,?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, in->session_id);
    store_bind_text(s, 3, in->body, -1);
    store_bind_text(s, 4, market__join(w->a, in->tags, in->ntags), -1);
    store_bind_i64(s, 5, in->scheduled_ms);
    store_bind_i64(s, 6, time_now_ms());
    if ((rc = store_step(s, e)) < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    return market__audit(c, w->who, "market.post.add", "live_session", in->session_id, NULL, e);
}

int market_post_add(struct store *st, const struct auth_principal *who,
                    const struct market_post *in, int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__text("body", in->body, MARKET_STORY_MAX, true, true, e)) ||
        (rc = market__tags("tags", in->tags, in->ntags, e)))
        return rc;
    if (in->scheduled_ms <= 0)
        return err_set(e, ERR_INVAL, "field 'scheduled_at' is required");
    struct arena a;
    arena_init(&a, 1024);
    struct live_write w = {.who = who, .post = in, .a = &a};
    rc = store_write(st, post_add_fn, &w, e);
    arena_release(&a);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

static int offer_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_write *w = arg;
    const struct market_offer *in = w->offer;
    int64_t county = w->who->county_id;
    int rc = may_edit_offers(c, w->who, in->session_id, e);
    if (rc)
        return rc;
    /* the product must be in the county, and a merchant's own */
    if ((rc = market__may_edit_product(c, w->who, in->product_id, e))) {
        if (rc == ERR_NOTFOUND)
            return err_set(e, ERR_INVAL, "product %lld not found", (long long)in->product_id);
        return rc;
    }
    if (in->node_id && (rc = market__node_check(c, county, "node_id", in->node_id, e)))
        return rc;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO market_offers (county_id, session_id, product_id, node_id,"
                       " flash_price_fen, flash_stock, per_buyer_limit, created_ms)"
                       " VALUES (?,?,?,?,?,?,?,?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county);
    store_bind_i64(s, 2, in->session_id);
    store_bind_i64(s, 3, in->product_id);
    store_bind_i64(s, 4, in->node_id);
    store_bind_i64(s, 5, in->flash_price_fen);
    store_bind_i64(s, 6, in->flash_stock);
    store_bind_i64(s, 7, in->per_buyer_limit);
    store_bind_i64(s, 8, now);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    /* The id of a deleted offer can come back (rowid reuse): whatever the
    ** writer remembered under it is stale. */
    market__offer_forget(c, w->id);
    if ((rc = market__offer_reserve(c, county, w->id, in->product_id, in->node_id, in->flash_stock,
                                    w->who->user_id, now, e)))
        return rc;
    char detail[160];
    snprintf(detail, sizeof detail,
             "{\"flash_stock\":%lld,\"flash_price_fen\":%lld,\"node_id\":%lld}",
             (long long)in->flash_stock, (long long)in->flash_price_fen, (long long)in->node_id);
    return market__audit(c, w->who, "market.offer.add", "live_offer", w->id, detail, e);
}

int market_offer_add(struct store *st, const struct auth_principal *who,
                     const struct market_offer *in, int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc ||
        (rc = market__int_range("flash_price_fen", in->flash_price_fen, 1, MARKET_PRICE_MAX_FEN,
                                e)) ||
        (rc = market__int_range("flash_stock", in->flash_stock, 1, MARKET_STOCK_MAX, e)) ||
        (rc = market__int_range("per_buyer_limit", in->per_buyer_limit, 0, MARKET_STOCK_MAX, e)))
        return rc;
    if (in->product_id <= 0)
        return err_set(e, ERR_INVAL, "field 'product_id' is required");
    if (in->node_id < 0)
        return err_set(e, ERR_INVAL, "field 'node_id' must be positive");
    struct live_write w = {.who = who, .offer = in};
    rc = store_write(st, offer_add_fn, &w, e);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

/* An offer of the session: its sold and flash stock. */
static int offer_stock(struct store_conn *c, int64_t session_id, int64_t offer_id,
                       int64_t *flash_stock, int64_t *sold, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT flash_stock, sold FROM market_offers"
                           " WHERE id = ? AND session_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, offer_id);
    store_bind_i64(s, 2, session_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "offer %lld not found in live session %lld",
                       (long long)offer_id, (long long)session_id);
    *flash_stock = store_col_i64(s, 0);
    *sold = store_col_i64(s, 1);
    return 0;
}

struct offer_edit {
    const struct auth_principal *who;
    int64_t session_id, offer_id, flash_stock, now;
};

static int offer_stock_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct offer_edit *x = arg;
    int64_t county = x->who->county_id, was, sold;
    int rc = may_edit_offers(c, x->who, x->session_id, e);
    if (rc || (rc = offer_stock(c, x->session_id, x->offer_id, &was, &sold, e)))
        return rc;
    if (x->flash_stock < sold)
        return err_set(e, ERR_CONFLICT,
                       "offer %lld has sold %lld units; flash_stock cannot be %lld",
                       (long long)x->offer_id, (long long)sold, (long long)x->flash_stock);
    if (x->flash_stock == was)
        return 0;
    if (x->flash_stock > was) {
        struct store_stmt *s;
        if ((rc = store_prepare(c, "SELECT product_id, node_id FROM market_offers WHERE id = ?", &s,
                                e)))
            return rc;
        store_bind_i64(s, 1, x->offer_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        int64_t product = store_col_i64(s, 0), node = store_col_i64(s, 1);
        rc = market__offer_reserve(c, county, x->offer_id, product, node, x->flash_stock - was,
                                   x->who->user_id, x->now, e);
    } else {
        rc = market__offer_release(c, county, x->offer_id, was - x->flash_stock, x->who->user_id,
                                   x->now, NULL, e);
    }
    if (rc)
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(c, "UPDATE market_offers SET flash_stock = ? WHERE id = ?", &s, e)))
        return rc;
    store_bind_i64(s, 1, x->flash_stock);
    store_bind_i64(s, 2, x->offer_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"flash_stock\":%lld,\"before\":%lld}",
             (long long)x->flash_stock, (long long)was);
    return market__audit(c, x->who, "market.offer.stock", "live_offer", x->offer_id, detail, e);
}

int market_offer_set_stock(struct store *st, const struct auth_principal *who, int64_t session_id,
                           int64_t offer_id, int64_t flash_stock, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__int_range("flash_stock", flash_stock, 1, MARKET_STOCK_MAX, e)))
        return rc;
    struct offer_edit x = {who, session_id, offer_id, flash_stock, time_now_ms()};
    return store_write(st, offer_stock_fn, &x, e);
}

static int offer_delete_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct offer_edit *x = arg;
    int64_t was, sold;
    int rc = may_edit_offers(c, x->who, x->session_id, e);
    if (rc || (rc = offer_stock(c, x->session_id, x->offer_id, &was, &sold, e)))
        return rc;
    /* a buyer's row stays after a cancel: it says an order named the offer */
    struct store_stmt *s;
    if ((rc = store_prepare(c, "SELECT 1 FROM market_offer_buyers WHERE offer_id = ? LIMIT 1", &s,
                            e)))
        return rc;
    store_bind_i64(s, 1, x->offer_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc == STORE_ROW)
        return err_set(e, ERR_CONFLICT,
                       "offer %lld has orders; lower its flash_stock to what is sold instead",
                       (long long)x->offer_id);
    if ((rc = market__offer_release(c, x->who->county_id, x->offer_id, was, x->who->user_id, x->now,
                                    NULL, e)))
        return rc;
    if ((rc = store_prepare(c, "DELETE FROM market_offer_allocs WHERE offer_id = ?", &s, e)))
        return rc;
    store_bind_i64(s, 1, x->offer_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if ((rc = store_prepare(c, "DELETE FROM market_offers WHERE id = ?", &s, e)))
        return rc;
    store_bind_i64(s, 1, x->offer_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    market__offer_forget(c, x->offer_id);
    char detail[64];
    snprintf(detail, sizeof detail, "{\"flash_stock\":%lld}", (long long)was);
    return market__audit(c, x->who, "market.offer.delete", "live_offer", x->offer_id, detail, e);
}

int market_offer_delete(struct store *st, const struct auth_principal *who, int64_t session_id,
                        int64_t offer_id, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc)
        return rc;
    struct offer_edit x = {who, session_id, offer_id, 0, time_now_ms()};
    return store_write(st, offer_delete_fn, &x, e);
}

static int session_close_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct offer_edit *x = arg;
    int64_t county = x->who->county_id;
    int rc = may_edit_offers(c, x->who, x->session_id, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "SELECT id, flash_stock - sold FROM market_offers"
                            " WHERE session_id = ? AND flash_stock > sold ORDER BY id",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, x->session_id);
    int64_t(*offers)[2] = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&offers, &cap, n + 1, sizeof *offers);
        offers[n][0] = store_col_i64(s, 0);
        offers[n][1] = store_col_i64(s, 1);
        n++;
    }
    int64_t total = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if ((rc = market__offer_release(c, county, offers[i][0], offers[i][1], x->who->user_id,
                                        x->now, NULL, e)))
            break;
        if ((rc = store_prepare(c,
                                "UPDATE market_offers SET returned = returned + flash_stock - sold,"
                                " flash_stock = sold WHERE id = ?",
                                &s, e)))
            break;
        store_bind_i64(s, 1, offers[i][0]);
        rc = store_step(s, e);
        total += offers[i][1];
    }
    free(offers);
    if (rc < 0)
        return rc;
    if ((rc = store_prepare(c, "UPDATE market_sessions SET closed_ms = ? WHERE id = ?", &s, e)))
        return rc;
    store_bind_i64(s, 1, x->now);
    store_bind_i64(s, 2, x->session_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    char detail[64];
    snprintf(detail, sizeof detail, "{\"returned\":%lld}", (long long)total);
    return market__audit(c, x->who, "market.session.close", "live_session", x->session_id, detail,
                         e);
}

int market_session_close(struct store *st, const struct auth_principal *who, int64_t session_id,
                         int64_t now_ms, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc)
        return rc;
    struct offer_edit x = {who, session_id, 0, 0, now_ms ? now_ms : time_now_ms()};
    return store_write(st, session_close_fn, &x, e);
}

struct ended {
    int64_t now;
    int64_t ids[100][2]; /* session id, county id */
    size_t n;
};

static int ended_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct ended *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, county_id FROM market_sessions"
                           " WHERE closed_ms = 0 AND end_ms <= ? ORDER BY end_ms LIMIT 100",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->now);
    while ((rc = store_step(s, e)) == STORE_ROW && x->n < RL_ARRAY_LEN(x->ids)) {
        x->ids[x->n][0] = store_col_i64(s, 0);
        x->ids[x->n][1] = store_col_i64(s, 1);
        x->n++;
    }
    return rc < 0 ? rc : 0;
}

int market_sessions_close_ended(struct store *st, int64_t now_ms, int *closed, struct err *e)
{
    *closed = 0;
    struct ended *x = xcalloc(1, sizeof *x);
    x->now = now_ms ? now_ms : time_now_ms();
    int rc = store_read(st, ended_fn, x, e);
    for (size_t i = 0; !rc && i < x->n; i++) {
        struct auth_principal sys = {0};
        sys.county_id = x->ids[i][1];
        sys.role = AUTH_ROLE_ADMIN;
        snprintf(sys.name, sizeof sys.name, "system");
        rc = market_session_close(st, &sys, x->ids[i][0], x->now, e);
        if (rc == ERR_CONFLICT) /* closed by someone in the meantime */
            rc = 0;
        else if (!rc)
            (*closed)++;
    }
    free(x);
    return rc;
}

/* ------------------------------------------------------------------ reads */

struct live_read {
    const struct auth_principal *who;
    int64_t id, from_ms;
    struct arena *a;
    void *items;
    size_t n, cap;
    struct market_report *report;
};

static void session_row(struct store_stmt *s, struct arena *a, struct market_session *x)
{
    x->id = store_col_i64(s, 0);
    x->county_id = store_col_i64(s, 1);
    x->host_user_id = store_col_i64(s, 2);
    x->village_id = store_col_i64(s, 3);
    x->title = arena_strdup(a, store_col_text(s, 4));
    x->tags = market__split(a, store_col_text(s, 5), &x->ntags);
    x->start_ms = store_col_i64(s, 6);
    x->end_ms = store_col_i64(s, 7);
    x->created_ms = store_col_i64(s, 8);
    x->closed_ms = store_col_i64(s, 9);
}

#define SESSION_COLS                                                                               \
    "SELECT id, county_id, host_user_id, village_id, title, tags, start_ms, end_ms,"               \
    " created_ms, closed_ms FROM market_sessions"

static int session_read_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_read *r = arg;
    struct store_stmt *s;
    int rc;
    if (r->id)
        rc = store_prepare(c, SESSION_COLS " WHERE county_id = ? AND id = ?", &s, e);
    else
        rc = store_prepare(c,
                           SESSION_COLS " WHERE county_id = ? AND end_ms > ?"
                                        " ORDER BY start_ms DESC LIMIT 500",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, r->who->county_id);
    store_bind_i64(s, 2, r->id ? r->id : r->from_ms);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow(&r->items, &r->cap, r->n + 1, sizeof(struct market_session));
        session_row(s, r->a, (struct market_session *)r->items + r->n++);
    }
    return rc < 0 ? rc : 0;
}

/* Run a read that grows r->items (elements of size bytes) and hand the rows
** over in r->a: *out (arena) and *n, or NULL and 0. */
static int read_list(struct store *st, store_fn fn, struct live_read *r, size_t size, void **out,
                     size_t *n, struct err *e)
{
    int rc = store_read(st, fn, r, e);
    *out = NULL, *n = 0;
    if (!rc && r->n) {
        *out = arena_alloc(r->a, r->n * size);
        memcpy(*out, r->items, r->n * size);
        *n = r->n;
    }
    free(r->items);
    return rc;
}

int market_session_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct arena *a, struct market_session *out, struct err *e)
{
    struct live_read r = {.who = who, .id = id, .a = a};
    int rc = store_read(st, session_read_fn, &r, e);
    if (!rc && r.n == 0)
        rc = err_set(e, ERR_NOTFOUND, "live session %lld not found", (long long)id);
    if (!rc)
        *out = *(struct market_session *)r.items;
    free(r.items);
    return rc;
}

int market_session_list(struct store *st, const struct auth_principal *who, int64_t from_ms,
                        struct arena *a, struct market_session **out, size_t *n, struct err *e)
{
    struct live_read r = {.who = who, .from_ms = from_ms, .a = a};
    void *rows;
    int rc = read_list(st, session_read_fn, &r, sizeof(struct market_session), &rows, n, e);
    *out = rows;
    return rc;
}

static int post_list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_read *r = arg;
    int rc = session_host(c, r->who->county_id, r->id, NULL, NULL, NULL, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "SELECT id, session_id, body, tags, scheduled_ms, created_ms"
                            " FROM market_posts WHERE session_id = ? ORDER BY scheduled_ms, id",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, r->id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow(&r->items, &r->cap, r->n + 1, sizeof(struct market_post));
        struct market_post *p = (struct market_post *)r->items + r->n++;
        p->id = store_col_i64(s, 0);
        p->session_id = store_col_i64(s, 1);
        p->body = arena_strdup(r->a, store_col_text(s, 2));
        p->tags = market__split(r->a, store_col_text(s, 3), &p->ntags);
        p->scheduled_ms = store_col_i64(s, 4);
        p->created_ms = store_col_i64(s, 5);
    }
    return rc < 0 ? rc : 0;
}

int market_post_list(struct store *st, const struct auth_principal *who, int64_t session_id,
                     struct arena *a, struct market_post **out, size_t *n, struct err *e)
{
    struct live_read r = {.who = who, .id = session_id, .a = a};
    void *rows;
    int rc = read_list(st, post_list_fn, &r, sizeof(struct market_post), &rows, n, e);
    *out = rows;
    return rc;
}

static int offer_list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_read *r = arg;
    int rc = session_host(c, r->who->county_id, r->id, NULL, NULL, NULL, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "SELECT id, session_id, product_id, flash_price_fen, flash_stock,"
                            " sold, per_buyer_limit, node_id, returned FROM market_offers"
                            " WHERE session_id = ? ORDER BY id",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, r->id);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow(&r->items, &r->cap, r->n + 1, sizeof(struct market_offer));
        struct market_offer *o = (struct market_offer *)r->items + r->n++;
        o->id = store_col_i64(s, 0);
        o->session_id = store_col_i64(s, 1);
        o->product_id = store_col_i64(s, 2);
        o->flash_price_fen = store_col_i64(s, 3);
        o->flash_stock = store_col_i64(s, 4);
        o->sold = store_col_i64(s, 5);
        o->per_buyer_limit = store_col_i64(s, 6);
        o->node_id = store_col_i64(s, 7);
        o->returned = store_col_i64(s, 8);
    }
    return rc < 0 ? rc : 0;
}

int market_offer_list(struct store *st, const struct auth_principal *who, int64_t session_id,
                      struct arena *a, struct market_offer **out, size_t *n, struct err *e)
{
    struct live_read r = {.who = who, .id = session_id, .a = a};
    void *rows;
    int rc = read_list(st, offer_list_fn, &r, sizeof(struct market_offer), &rows, n, e);
    *out = rows;
    return rc;
}

/* --------------------------------------------------------------- report */

static int report_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct live_read *r = arg;
    struct market_report *rep = r->report;
    int64_t host, start, end;
    int rc = session_host(c, r->who->county_id, r->id, &host, &start, &end, e);
    if (rc)
        return rc;
    if (!market__reads_county(r->who) && host != r->who->user_id)
        return err_set(e, ERR_PERM, "only staff, auditors and the host read session reports");
    struct store_stmt *s;
    /* Order lines against this session's offers, in live orders. */
    if ((rc = store_prepare(c,
                            "SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.qty), 0),"
                            " COALESCE(SUM(l.line_total_fen), 0), COUNT(DISTINCT o.buyer_user_id)"
                            " FROM market_order_lines l JOIN market_orders o ON o.id = l.order_id"
                            " JOIN market_offers f ON f.id = l.offer_id"
                            " WHERE f.session_id = ? AND o.county_id = ? AND o.status <> ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, r->id);
    store_bind_i64(s, 2, r->who->county_id);
    store_bind_i64(s, 3, MARKET_CANCELLED);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    rep->session_id = r->id;
    rep->orders = store_col_i64(s, 0);
    rep->units = store_col_i64(s, 1);
    rep->gmv_fen = store_col_i64(s, 2);
    rep->unique_buyers = store_col_i64(s, 3);
    if ((rc = store_prepare(c,
                            "SELECT COALESCE(SUM(flash_stock + returned), 0) FROM market_offers"
                            " WHERE session_id = ?",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, r->id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    rep->flash_stock = store_col_i64(s, 0);
    rep->sell_through_bp = rep->flash_stock ? rep->units * 10000 / rep->flash_stock : 0;

    /* The curve: every minute from the start to the end (or the last order). */
    if ((rc = store_prepare(c,
                            "SELECT (o.created_ms - ?) / 60000 AS m, COUNT(DISTINCT o.id),"
                            " SUM(l.qty), SUM(l.line_total_fen)"
                            " FROM market_order_lines l JOIN market_orders o ON o.id = l.order_id"
                            " JOIN market_offers f ON f.id = l.offer_id"
                            " WHERE f.session_id = ? AND o.county_id = ? AND o.status <> ?"
                            " AND o.created_ms >= ? GROUP BY m ORDER BY m",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, start);
    store_bind_i64(s, 2, r->id);
    store_bind_i64(s, 3, r->who->county_id);
    store_bind_i64(s, 4, MARKET_CANCELLED);
    store_bind_i64(s, 5, start);
    int64_t minutes = (end - start + MINUTE_MS - 1) / MINUTE_MS;
    struct market_minute *buckets = NULL;
    size_t nb = 0, cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&buckets, &cap, nb + 1, sizeof *buckets);
        buckets[nb++] = (struct market_minute){store_col_i64(s, 0), store_col_i64(s, 1),
                                               store_col_i64(s, 2), store_col_i64(s, 3)};
    }
    if (rc < 0) {
        free(buckets);
        return rc;
    }
    if (nb && buckets[nb - 1].minute + 1 > minutes)
        minutes = buckets[nb - 1].minute + 1;
    if (minutes > 24 * 60 * 7)
        minutes = 24 * 60 * 7;
    rep->ncurve = (size_t)minutes;
    rep->curve = arena_calloc(r->a, rep->ncurve * sizeof *rep->curve + 1);
    for (size_t i = 0; i < rep->ncurve; i++)
        rep->curve[i].minute = (int64_t)i;
    for (size_t i = 0; i < nb; i++)
        if (buckets[i].minute < minutes)
            rep->curve[buckets[i].minute] = buckets[i];
    free(buckets);
    return 0;
}

int market_session_report(struct store *st, const struct auth_principal *who, int64_t id,
                          struct arena *a, struct market_report *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct live_read r = {.who = who, .id = id, .a = a, .report = out};
    return store_read(st, report_fn, &r, e);
}
