/*
** inventory.c: stock per product per network node, kept in lots with
** harvest, pack and expiry dates. Receiving a lot and correcting one are
** audited and recorded in market_stock_moves. Orders take stock through
** market__alloc_fefo (oldest sellable expiry first, expired lots never) and
** cancellations give it back through market__release_allocs; both run
** inside the order's write, so the check and the decrement are one step.
*/
#include "market/market_int.h"

#include <string.h>

#define DAY_MS 86400000LL

static int move_add_offer(struct store_conn *c, int64_t county_id, int64_t lot_id, int64_t delta,
                          const char *reason, int64_t order_id, int64_t offer_id, int64_t actor,
                          int64_t ts, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO market_stock_moves (county_id, lot_id, delta, reason,"
                           " order_id, offer_id, actor_user_id, ts_ms) VALUES (?,?,?,?,?,?,?,?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, lot_id);
    store_bind_i64(s, 3, delta);
    store_bind_text(s, 4, reason, -1);
    store_bind_i64(s, 5, order_id);
    store_bind_i64(s, 6, offer_id);
    store_bind_i64(s, 7, actor);
    store_bind_i64(s, 8, ts);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static int move_add(struct store_conn *c, int64_t county_id, int64_t lot_id, int64_t delta,
                    const char *reason, int64_t order_id, int64_t actor, int64_t ts, struct err *e)
{
    return move_add_offer(c, county_id, lot_id, delta, reason, order_id, 0, actor, ts, e);
}

struct lot_write {
    const struct auth_principal *who;
    struct market_lot lot;
    int64_t delta;
    const char *reason;
    int64_t id;
};

static int lot_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct lot_write *w = arg;
    struct market_lot *l = &w->lot;
    int rc = market__may_edit_product(c, w->who, l->product_id, e);
    if (rc || (rc = market__node_check(c, w->who->county_id, "node_id", l->node_id, e)))
        return rc;
    int64_t now = time_now_ms();
    if (l->expiry_ms == 0) {
        struct store_stmt *s;
        if ((rc = store_prepare(c, "SELECT shelf_life_days FROM market_products WHERE id = ?", &s,
                                e)))
            return rc;
        store_bind_i64(s, 1, l->product_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        int64_t days = store_col_i64(s, 0);
        int64_t base = l->pack_ms ? l->pack_ms : l->harvest_ms ? l->harvest_ms : now;
        if (days > 0)
            l->expiry_ms = base + days * DAY_MS;
    }
    struct store_stmt *s;
    if ((rc = store_prepare(c,
                            "INSERT INTO market_lots (county_id, product_id, node_id, lot_code,"
                            " harvest_ms, pack_ms, expiry_ms, qty, created_ms)"
                            " VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, l->product_id);
    store_bind_i64(s, 3, l->node_id);
    store_bind_text(s, 4, l->lot_code ? l->lot_code : "", -1);
    store_bind_i64(s, 5, l->harvest_ms);
    store_bind_i64(s, 6, l->pack_ms);
    store_bind_i64(s, 7, l->expiry_ms);
    store_bind_i64(s, 8, l->qty);
    store_bind_i64(s, 9, now);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    if ((rc = move_add(c, w->who->county_id, w->id, l->qty, "receive", 0, w->who->user_id, now, e)))
        return rc;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"qty\":%lld,\"node_id\":%lld}", (long long)l->qty,
             (long long)l->node_id);
    return market__audit(c, w->who, "market.lot.receive", "lot", w->id, detail, e);
}

int market_lot_add(struct store *st, const struct auth_principal *who, const struct market_lot *in,
                   int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__int_range("qty", in->qty, 1, MARKET_STOCK_MAX, e)) ||
        (rc = market__text("lot_code", in->lot_code, 64, false, false, e)))
        return rc;
    if (in->product_id <= 0)
        return err_set(e, ERR_INVAL, "field 'product_id' is required");
    if (in->node_id <= 0)
        return err_set(e, ERR_INVAL, "field 'node_id' is required");
    if (in->harvest_ms < 0 || in->pack_ms < 0 || in->expiry_ms < 0)
        return err_set(e, ERR_INVAL, "dates must be after 1970");
    if (in->harvest_ms && in->pack_ms && in->pack_ms < in->harvest_ms)
        return err_set(e, ERR_INVAL, "field 'pack_date' is before 'harvest_date'");
    struct lot_write w = {.who = who, .lot = *in};
    rc = store_write(st, lot_add_fn, &w, e);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

static int adjust_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct lot_write *w = arg;
    struct store_stmt *s;
    int rc = store_prepare(
        c, "SELECT product_id, qty FROM market_lots WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->id);
    store_bind_i64(s, 2, w->who->county_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "lot %lld not found", (long long)w->id);
    int64_t product_id = store_col_i64(s, 0), qty = store_col_i64(s, 1);
    if ((rc = market__may_edit_product(c, w->who, product_id, e)))
        return rc;
    if (qty + w->delta < 0)
        return err_set(e, ERR_CONFLICT, "lot %lld holds %lld units; cannot remove %lld",
                       (long long)w->id, (long long)qty, (long long)-w->delta);
    if ((rc = store_prepare(c, "UPDATE market_lots SET qty = qty + ? WHERE id = ?", &s, e)))
        return rc;
    store_bind_i64(s, 1, w->delta);
    store_bind_i64(s, 2, w->id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    int64_t now = time_now_ms();
    if ((rc = move_add(c, w->who->county_id, w->id, w->delta, w->reason, 0, w->who->user_id, now,
                       e)))
        return rc;
    struct strbuf d;
    strbuf_init(&d, 1024);
    strbuf_addf(&d, "{\"delta\":%lld,\"before\":%lld,\"reason\":", (long long)w->delta,
                (long long)qty);
    strbuf_add_json_str(&d, w->reason, strlen(w->reason));
    strbuf_addch(&d, '}');
    rc = market__audit(c, w->who, "market.lot.adjust", "lot", w->id, strbuf_str(&d), e);
    strbuf_release(&d);
    return rc;
}

int market_stock_adjust(struct store *st, const struct auth_principal *who, int64_t lot_id,
                        int64_t delta, const char *reason, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__text("reason", reason, MARKET_NAME_MAX, true, false, e)))
        return rc;
    if (delta == 0 || delta < -MARKET_STOCK_MAX || delta > MARKET_STOCK_MAX)
        return err_set(e, ERR_INVAL, "field 'delta' must be a non-zero count within +-%d",
                       MARKET_STOCK_MAX);
    struct lot_write w = {.who = who, .id = lot_id, .delta = delta, .reason = reason};
    return store_write(st, adjust_fn, &w, e);
}

struct lot_read {
    const struct auth_principal *who;
    const struct market_lot_query *q;
    struct arena *a;
    struct market_lot *items;
    size_t n, cap;
    int64_t total_qty, matched;
};

#define LOT_WHERE                                                                                  \
    " FROM market_lots l JOIN market_products p ON p.id = l.product_id"                            \
    " JOIN market_producers pr ON pr.id = p.producer_id"                                           \
    " WHERE l.county_id = ? AND (? = 0 OR l.product_id = ?) AND (? = 0 OR l.node_id = ?)"          \
    " AND (? = 0 OR l.id = ?) AND (? OR l.qty > 0) AND (? = 0 OR pr.owner_user_id = ?)"

static void lot_bind(struct store_stmt *s, const struct lot_read *r)
{
    const struct market_lot_query *q = r->q;
    int64_t owner = market__reads_county(r->who) ? 0 : r->who->user_id;
    store_bind_i64(s, 1, r->who->county_id);
    store_bind_i64(s, 2, q->product_id);
    store_bind_i64(s, 3, q->product_id);
    store_bind_i64(s, 4, q->node_id);
    store_bind_i64(s, 5, q->node_id);
    store_bind_i64(s, 6, q->lot_id);
    store_bind_i64(s, 7, q->lot_id);
    store_bind_i64(s, 8, q->include_empty);
    store_bind_i64(s, 9, owner);
    store_bind_i64(s, 10, owner);
}

static int lot_list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct lot_read *r = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT COUNT(*), COALESCE(SUM(l.qty), 0)" LOT_WHERE, &s, e);
    if (rc)
        return rc;
    lot_bind(s, r);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    r->matched = store_col_i64(s, 0);
    r->total_qty = store_col_i64(s, 1);
    rc =
        store_prepare(c,
                      "SELECT l.id, l.county_id, l.product_id, l.node_id, l.lot_code,"
                      " l.harvest_ms, l.pack_ms, l.expiry_ms, l.qty, l.created_ms" LOT_WHERE
                      " ORDER BY l.product_id, l.expiry_ms = 0, l.expiry_ms, l.id LIMIT ? OFFSET ?",
                      &s, e);
    if (rc)
        return rc;
    lot_bind(s, r);
    store_bind_i64(s, 11, r->q->limit > 0 ? r->q->limit : MARKET_LOTS_MAX);
    store_bind_i64(s, 12, r->q->offset);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
        struct market_lot *l = &r->items[r->n++];
        l->id = store_col_i64(s, 0);
        l->county_id = store_col_i64(s, 1);
        l->product_id = store_col_i64(s, 2);
        l->node_id = store_col_i64(s, 3);
        l->lot_code = arena_strdup(r->a, store_col_text(s, 4));
        l->harvest_ms = store_col_i64(s, 5);
        l->pack_ms = store_col_i64(s, 6);
        l->expiry_ms = store_col_i64(s, 7);
        l->qty = store_col_i64(s, 8);
        l->created_ms = store_col_i64(s, 9);
    }
    return rc < 0 ? rc : 0;
}

int market_inventory_list(struct store *st, const struct auth_principal *who,
                          const struct market_lot_query *q, struct arena *a,
                          struct market_lot_page *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (!market__reads_county(who) && who->role != AUTH_ROLE_MERCHANT)
        return err_set(e, ERR_PERM, "role '%s' may not read inventory",
                       auth_role_name(who->role) ? auth_role_name(who->role) : "?");
    if (q->limit < 0 || q->limit > MARKET_LOTS_MAX || q->offset < 0)
        return err_set(e, ERR_INVAL, "a page holds 1 to %d lots from an offset of 0 or more",
                       MARKET_LOTS_MAX);
    struct lot_read r = {.who = who, .q = q, .a = a};
    int rc = store_read(st, lot_list_fn, &r, e);
    if (!rc && r.n) {
        out->items = arena_alloc(a, r.n * sizeof *out->items);
        memcpy(out->items, r.items, r.n * sizeof *out->items);
        out->n = r.n;
    }
    out->total_qty = r.total_qty;
    out->matched = r.matched;
    free(r.items);
    return rc;
}

/* ------------------------------------------------------- order allocation */

#define FEFO_LOTS_MAX 64

/* The sellable lots (qty > 0, not expired at now) of product_id at node_id
** (0 = any), earliest expiry first (never-expiring last), until they hold
** qty units or FEFO_LOTS_MAX lots: lots[i] = {id, qty}. ERR_CONFLICT (with
** `what` in the message) when they hold fewer than qty. Reads only. */
static int fefo_pick(struct store_conn *c, int64_t county_id, int64_t product_id, int64_t node_id,
                     int64_t qty, int64_t now, const char *what, int64_t lots[FEFO_LOTS_MAX][2],
                     int *nl_out, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, qty FROM market_lots WHERE county_id = ? AND product_id = ?"
                           " AND qty > 0 AND (expiry_ms = 0 OR expiry_ms > ?)"
                           " AND (? = 0 OR node_id = ?)"
                           " ORDER BY expiry_ms = 0, expiry_ms, id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, product_id);
    store_bind_i64(s, 3, now);
    store_bind_i64(s, 4, node_id);
    store_bind_i64(s, 5, node_id);
    /* gather first: the lots are updated by the caller */
    int nl = 0;
    int64_t avail = 0;
    while (avail < qty && nl < FEFO_LOTS_MAX && (rc = store_step(s, e)) == STORE_ROW) {
        lots[nl][0] = store_col_i64(s, 0);
        lots[nl][1] = store_col_i64(s, 1);
        avail += lots[nl][1];
        nl++;
    }
    if (rc < 0)
        return rc;
    *nl_out = nl;
    if (avail < qty) {
        if (node_id)
            return err_set(
                e, ERR_CONFLICT, "product %lld: only %lld units in stock at node %lld, %lld %s",
                (long long)product_id, (long long)avail, (long long)node_id, (long long)qty, what);
        return err_set(e, ERR_CONFLICT, "product %lld: only %lld units in stock, %lld %s",
                       (long long)product_id, (long long)avail, (long long)qty, what);
    }
    return 0;
}

static int lot_take(struct store_conn *c, int64_t lot_id, int64_t qty, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "UPDATE market_lots SET qty = qty - ? WHERE id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, qty);
    store_bind_i64(s, 2, lot_id);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* Who takes units from lots: an order line (order_id, line_no) or, when
** offer_id is set, an offer's reservation. */
struct lot_taker {
    int64_t order_id, line_no, offer_id;
};

/* Take qty units of the product at the node, earliest expiry first, and
** record each lot's share for the taker (allocation row and stock move). */
static int take_fefo(struct store_conn *c, int64_t county_id, int64_t product_id, int64_t node_id,
                     int64_t qty, int64_t now, const char *asked, const struct lot_taker *t,
                     int64_t actor, struct err *e)
{
    int64_t lots[FEFO_LOTS_MAX][2];
    int nl = 0;
    int rc = fefo_pick(c, county_id, product_id, node_id, qty, now, asked, lots, &nl, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    int64_t left = qty;
    for (int i = 0; i < nl && left > 0; i++) {
        int64_t take = lots[i][1] < left ? lots[i][1] : left;
        left -= take;
        if ((rc = lot_take(c, lots[i][0], take, e)))
            return rc;
        if (t->offer_id) {
            rc = store_prepare(c,
                               "INSERT INTO market_offer_allocs (offer_id, lot_id, qty)"
                               " VALUES (?,?,?) ON CONFLICT (offer_id, lot_id)"
                               " DO UPDATE SET qty = market_offer_allocs.qty + excluded.qty",
                               &s, e);
            if (!rc) {
                store_bind_i64(s, 1, t->offer_id);
                store_bind_i64(s, 2, lots[i][0]);
                store_bind_i64(s, 3, take);
            }
        } else {
            rc = store_prepare(c,
                               "INSERT INTO market_order_allocs (order_id, line_no, lot_id, qty)"
                               " VALUES (?,?,?,?)",
                               &s, e);
            if (!rc) {
                store_bind_i64(s, 1, t->order_id);
                store_bind_i64(s, 2, t->line_no);
                store_bind_i64(s, 3, lots[i][0]);
                store_bind_i64(s, 4, take);
            }
        }
        if (rc || (rc = store_step(s, e)) < 0)
            return rc;
        if ((rc = move_add_offer(c, county_id, lots[i][0], -take, t->offer_id ? "offer" : "order",
                                 t->order_id, t->offer_id, actor, now, e)))
            return rc;
    }
    return 0;
}

int market__alloc_fefo(struct store_conn *c, int64_t county_id, int64_t product_id, int64_t node_id,
                       int64_t qty, int64_t order_id, int64_t line_no, int64_t actor, int64_t now,
                       struct err *e)
{
    struct lot_taker t = {order_id, line_no, 0};
    return take_fefo(c, county_id, product_id, node_id, qty, now, "asked", &t, actor, e);
}

/* ------------------------------------------------------- offer reservation */

int market__offer_reserve(struct store_conn *c, int64_t county_id, int64_t offer_id,
                          int64_t product_id, int64_t node_id, int64_t qty, int64_t actor,
                          int64_t now, struct err *e)
{
    struct lot_taker t = {0, 0, offer_id};
    return take_fefo(c, county_id, product_id, node_id, qty, now, "asked for the offer", &t, actor,
                     e);
}

int market__offer_release(struct store_conn *c, int64_t county_id, int64_t offer_id, int64_t qty,
                          int64_t actor, int64_t now, int64_t *released, struct err *e)
{
    struct store_stmt *s;
    /* latest expiry first: the offer keeps the units that must go soonest */
    int rc = store_prepare(c,
                           "SELECT a.lot_id, a.qty FROM market_offer_allocs a"
                           " JOIN market_lots l ON l.id = a.lot_id WHERE a.offer_id = ?"
                           " ORDER BY l.expiry_ms = 0 DESC, l.expiry_ms DESC, l.id DESC",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, offer_id);
    int64_t(*lots)[2] = NULL;
    size_t n = 0, cap = 0;
    int64_t held = 0;
    while (held < qty && (rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&lots, &cap, n + 1, sizeof *lots);
        lots[n][0] = store_col_i64(s, 0);
        lots[n][1] = store_col_i64(s, 1);
        held += lots[n][1];
        n++;
    }
    int64_t left = qty;
    for (size_t i = 0; rc >= 0 && i < n && left > 0; i++) {
        int64_t give = lots[i][1] < left ? lots[i][1] : left;
        left -= give;
        if ((rc = store_prepare(c, "UPDATE market_lots SET qty = qty + ? WHERE id = ?", &s, e)))
            break;
        store_bind_i64(s, 1, give);
        store_bind_i64(s, 2, lots[i][0]);
        if ((rc = store_step(s, e)) < 0)
            break;
        if ((rc = store_prepare(c,
                                give == lots[i][1]
                                    ? "DELETE FROM market_offer_allocs WHERE ? > 0 AND"
                                      " offer_id = ? AND lot_id = ?"
                                    : "UPDATE market_offer_allocs SET qty = qty - ?"
                                      " WHERE offer_id = ? AND lot_id = ?",
                                &s, e)))
            break;
        store_bind_i64(s, 1, give);
        store_bind_i64(s, 2, offer_id);
        store_bind_i64(s, 3, lots[i][0]);
        if ((rc = store_step(s, e)) < 0)
            break;
        rc = move_add_offer(c, county_id, lots[i][0], give, "offer return", 0, offer_id, actor, now,
                            e);
    }
    free(lots);
    if (released)
        *released = qty - left;
    return rc < 0 ? rc : 0;
}

int market__release_allocs(struct store_conn *c, int64_t county_id, int64_t order_id, int64_t actor,
                           int64_t now, struct err *e)
{
    struct store_stmt *s;
    int rc =
        store_prepare(c, "SELECT lot_id, qty FROM market_order_allocs WHERE order_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, order_id);
    int64_t(*lots)[2] = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&lots, &cap, n + 1, sizeof *lots);
        lots[n][0] = store_col_i64(s, 0);
        lots[n][1] = store_col_i64(s, 1);
        n++;
    }
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        if ((rc = store_prepare(c, "UPDATE market_lots SET qty = qty + ? WHERE id = ?", &s, e)))
            break;
        store_bind_i64(s, 1, lots[i][1]);
        store_bind_i64(s, 2, lots[i][0]);
        if ((rc = store_step(s, e)) < 0)
            break;
        rc = move_add(c, county_id, lots[i][0], lots[i][1], "cancel", order_id, actor, now, e);
    }
    free(lots);
    return rc < 0 ? rc : 0;
}
