/*
** order.c: orders. Placing one is a single store_write function that
** answers a repeated Idempotency-Key from the stored order, prices every
** line (catalog price or the offer's flash price), checks the live window,
** flash stock and per-buyer limit, then inserts the order and takes the
** units (flash stock counters, or lots FEFO) - so under any concurrency an
** offer sells exactly its flash stock and never more. Totals are integer
** fen with overflow checks. Status changes follow market_transition_allowed,
** are recorded with a timestamp in market_order_history (the creation is
** the order row itself: created_ms, placed_by), and cancelling gives units
** back.
*/
#include "market/market_int.h"

#include <assert.h>
#include <string.h>

static const char *const status_names[] = {"placed",    "confirmed", "packed",  "shipped",
                                           "delivered", "cancelled", "refunded"};
static const char *const pay_methods[] = {"cod", "bank_transfer", "external", NULL};
static const char *const pay_states[] = {"unpaid", "paid", "refunded", NULL};

const char *market_status_name(enum market_status s)
{
    return (unsigned)s < MARKET_STATUS_COUNT ? status_names[s] : NULL;
}

int market_status_parse(const char *s, enum market_status *out)
{
    for (int i = 0; s && i < MARKET_STATUS_COUNT; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum market_status)i;
            return 0;
        }
    return ERR_INVAL;
}

bool market_transition_allowed(enum market_status from, enum market_status to)
{
    switch (from) {
    case MARKET_PLACED:
        return to == MARKET_CONFIRMED || to == MARKET_CANCELLED;
    case MARKET_CONFIRMED:
        return to == MARKET_PACKED || to == MARKET_CANCELLED;
    case MARKET_PACKED:
        return to == MARKET_SHIPPED || to == MARKET_CANCELLED;
    case MARKET_SHIPPED:
        return to == MARKET_DELIVERED;
    case MARKET_DELIVERED:
        return to == MARKET_REFUNDED;
    default:
        return false;
    }
}

/* ---------------------------------------------------------------- placing */

struct priced_line {
    int64_t product_id, offer_id, qty, node_id;
    int64_t unit_price_fen, line_total_fen;
};

struct place_ctx {
    const struct auth_principal *who;
    const struct market_order_req *req;
    int64_t buyer, now;
    uint64_t fingerprint;
    struct arena *a;
    struct market_order *out; /* never NULL inside */
    struct priced_line *lines;
    struct offer_info *offers; /* per line (offer lines only) */
    bool *inactive;            /* catalog line whose product is withdrawn */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t fnv_i64(uint64_t h, int64_t v)
{
    return fnv(h, &v, sizeof v);
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1);
}

/* What makes two requests "the same" for an idempotency key. */
static uint64_t request_fingerprint(const struct market_order_req *r, int64_t buyer)
{
    uint64_t h = 1469598103934665603ULL;
    h = fnv_i64(h, buyer);
    h = fnv_i64(h, r->delivery_node_id);
    h = fnv_str(h, r->delivery_address);
    h = fnv_str(h, r->payment_method);
    h = fnv_i64(h, (int64_t)r->nlines);
    for (size_t i = 0; i < r->nlines; i++) {
        h = fnv_i64(h, r->lines[i].product_id);
        h = fnv_i64(h, r->lines[i].offer_id);
        h = fnv_i64(h, r->lines[i].qty);
        h = fnv_i64(h, r->lines[i].node_id);
    }
    return h & 0x7fffffffffffffffULL; /* fits a signed column */
}

int market__order_load(struct store_conn *c, int64_t county_id, int64_t id, bool history,
                       struct arena *a, struct market_order *o, struct err *e);

/* What an offer line needs of its offer and session. None of it changes
** once the offer exists (only `sold` and `flash_stock` move, and they stay
** in the table, guarded there; closing a session changes neither window),
** so the writer keeps it in memory (offer_cache). Deleting an offer clears
** its entry (market__offer_forget); an edit of these fields would have to. */
struct offer_info {
    bool found;
    int64_t id, county_id;
    int64_t product_id, price_fen, limit, session_id, start_ms, end_ms;
};

/* Per writer connection (store_conn_scratch), direct-mapped by offer id. */
#define OFFER_CACHE_SLOTS 256
struct offer_cache {
    struct offer_info slot[OFFER_CACHE_SLOTS];
};
static const char offer_cache_key = 0; /* its address names the scratch block */

static int offer_read(struct store_conn *c, int64_t county, int64_t offer_id, struct offer_info *oi,
                      struct err *e)
{
    struct offer_cache *oc = store_conn_scratch(c, &offer_cache_key, sizeof *oc);
    struct offer_info *hit = &oc->slot[(uint64_t)offer_id % OFFER_CACHE_SLOTS];
    if (hit->found && hit->id == offer_id && hit->county_id == county) {
        *oi = *hit;
        return 0;
    }
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT o.product_id, o.flash_price_fen, o.per_buyer_limit,"
                           " o.session_id, s.start_ms, s.end_ms"
                           " FROM market_offers o JOIN market_sessions s ON s.id = o.session_id"
                           " WHERE o.id = ? AND o.county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, offer_id);
    store_bind_i64(s, 2, county);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    memset(oi, 0, sizeof *oi);
    if (rc != STORE_ROW)
        return 0;
    oi->found = true;
    oi->id = offer_id;
    oi->county_id = county;
    oi->product_id = store_col_i64(s, 0);
    oi->price_fen = store_col_i64(s, 1);
    oi->limit = store_col_i64(s, 2);
    oi->session_id = store_col_i64(s, 3);
    oi->start_ms = store_col_i64(s, 4);
    oi->end_ms = store_col_i64(s, 5);
    *hit = *oi;
    return 0;
}

void market__offer_forget(struct store_conn *c, int64_t offer_id)
{
    struct offer_cache *oc = store_conn_scratch(c, &offer_cache_key, sizeof *oc);
    struct offer_info *hit = &oc->slot[(uint64_t)offer_id % OFFER_CACHE_SLOTS];
    if (hit->id == offer_id)
        memset(hit, 0, sizeof *hit);
}

/* Units an offer has left (for a refusal's message). */
static int64_t offer_left(struct store_conn *c, int64_t offer_id)
{
    struct store_stmt *s;
    struct err e;
    if (store_prepare(c, "SELECT flash_stock - sold FROM market_offers WHERE id = ?", &s, &e))
        return 0;
    store_bind_i64(s, 1, offer_id);
    return store_step(s, &e) == STORE_ROW ? store_col_i64(s, 0) : 0;
}

/* Take an offer line's units from its flash stock and the buyer's allowance:
** two guarded statements. check_lines has already found both sufficient
** (the writer is single, so nothing changed since); the guards stay as the
** database's own oversell protection: should one ever fail, the order
** fails after writing and the store rolls its whole transaction back
** (STORE_CHECKS_FIRST) rather than keep anything oversold. */
static int take_flash(struct store_conn *c, const struct place_ctx *x, size_t i,
                      const struct offer_info *oi, struct err *e)
{
    const struct market_line_req *in = &x->req->lines[i];
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE market_offers SET sold = sold + ?"
                           " WHERE id = ? AND sold + ? <= flash_stock",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, in->qty);
    store_bind_i64(s, 2, in->offer_id);
    store_bind_i64(s, 3, in->qty);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (store_changes(c) != 1)
        return err_set(e, ERR_CONFLICT, "line %zu: offer %lld has %lld units left", i + 1,
                       (long long)in->offer_id, (long long)offer_left(c, in->offer_id));
    rc = store_prepare(c,
                       "INSERT INTO market_offer_buyers (offer_id, buyer_user_id, qty)"
                       " VALUES (?,?,?) ON CONFLICT (offer_id, buyer_user_id)"
                       " DO UPDATE SET qty = market_offer_buyers.qty + excluded.qty"
                       " WHERE ? = 0 OR market_offer_buyers.qty + excluded.qty <= ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, in->offer_id);
    store_bind_i64(s, 2, x->buyer);
    store_bind_i64(s, 3, in->qty);
    store_bind_i64(s, 4, oi->limit);
    store_bind_i64(s, 5, oi->limit);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (store_changes(c) != 1)
        return err_set(e, ERR_CONFLICT, "line %zu: offer %lld allows %lld units per buyer", i + 1,
                       (long long)in->offer_id, (long long)oi->limit);
    return 0;
}

/* Units an offer has left and how many of them the buyer already holds:
** one statement for both reads check_lines needs per offer line. */
static int offer_standing(struct store_conn *c, int64_t offer_id, int64_t buyer, int64_t *left,
                          int64_t *held, struct err *e)
{
    struct store_stmt *s;
    int rc = store_step2(c,
                         "SELECT o.flash_stock - o.sold, COALESCE(b.qty, 0)"
                         " FROM market_offers o LEFT JOIN market_offer_buyers b"
                         " ON b.offer_id = o.id AND b.buyer_user_id = ? WHERE o.id = ?",
                         buyer, offer_id, &s, e);
    if (rc < 0)
        return rc;
    *left = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    *held = rc == STORE_ROW ? store_col_i64(s, 1) : 0;
    return 0;
}

/* Every refusal an order can meet once priced, made before its first
** write (reads only): an offer line outside its session, above the
** per-buyer limit or the units left (lines naming the same offer count
** together), a withdrawn catalog product. So a flash order that is refused
** has changed nothing and needs no savepoint (market_order_job_flags).
** Catalog lines' stock is taken lot by lot in the write itself (FEFO);
** orders with such lines keep their savepoint. */
static int check_lines(struct store_conn *c, const struct place_ctx *x, struct err *e)
{
    const struct market_order_req *req = x->req;
    int rc;
    for (size_t i = 0; i < req->nlines; i++) {
        const struct market_line_req *in = &req->lines[i];
        if (!in->offer_id) {
            if (x->inactive[i])
                return err_set(e, ERR_CONFLICT, "line %zu: product %lld is not for sale", i + 1,
                               (long long)x->lines[i].product_id);
            continue;
        }
        const struct offer_info *oi = &x->offers[i];
        if (x->now < oi->start_ms || x->now >= oi->end_ms)
            return err_set(e, ERR_CONFLICT, "line %zu: offer %lld is not live now", i + 1,
                           (long long)in->offer_id);
        int64_t want = 0; /* this order's units of the offer, up to this line */
        for (size_t k = 0; k <= i; k++)
            if (req->lines[k].offer_id == in->offer_id)
                want += req->lines[k].qty;
        if (oi->limit > 0 && in->qty > oi->limit)
            return err_set(e, ERR_CONFLICT, "line %zu: offer %lld allows %lld units per buyer",
                           i + 1, (long long)in->offer_id, (long long)oi->limit);
        int64_t left, held;
        if ((rc = offer_standing(c, in->offer_id, x->buyer, &left, &held, e)))
            return rc;
        if (left < want)
            return err_set(e, ERR_CONFLICT, "line %zu: offer %lld has %lld units left", i + 1,
                           (long long)in->offer_id, (long long)left);
        if (oi->limit > 0 && held + want > oi->limit)
            return err_set(e, ERR_CONFLICT, "line %zu: offer %lld allows %lld units per buyer",
                           i + 1, (long long)in->offer_id, (long long)oi->limit);
    }
    return 0;
}

/* Price every line without writing anything (offers: flash price; catalog:
** list price). Refusals that depend on the moment (offer not live, sold out,
** product withdrawn) are check_lines'; place_fn looks for an order placed
** under the request's Idempotency-Key before it answers any refusal. */
static int price_lines(struct store_conn *c, struct place_ctx *x, struct err *e)
{
    const struct market_order_req *req = x->req;
    int64_t total = 0, units = 0, session = 0;
    int rc;
    for (size_t i = 0; i < req->nlines; i++) {
        const struct market_line_req *in = &req->lines[i];
        struct priced_line *pl = &x->lines[i];
        pl->qty = in->qty;
        pl->node_id = in->node_id;
        struct store_stmt *s;
        if (in->offer_id) {
            struct offer_info *oi = &x->offers[i];
            if ((rc = offer_read(c, x->who->county_id, in->offer_id, oi, e)))
                return rc;
            if (!oi->found)
                return err_set(e, ERR_INVAL, "line %zu: offer %lld not found", i + 1,
                               (long long)in->offer_id);
            if (in->product_id && in->product_id != oi->product_id)
                return err_set(e, ERR_INVAL, "line %zu: offer %lld is for product %lld", i + 1,
                               (long long)in->offer_id, (long long)oi->product_id);
            pl->offer_id = in->offer_id;
            pl->product_id = oi->product_id;
            pl->unit_price_fen = oi->price_fen;
            if (!session)
                session = oi->session_id;
        } else {
            rc = store_prepare(c,
                               "SELECT price_fen, active FROM market_products"
                               " WHERE id = ? AND county_id = ?",
                               &s, e);
            if (rc)
                return rc;
            store_bind_i64(s, 1, in->product_id);
            store_bind_i64(s, 2, x->who->county_id);
            if ((rc = store_step(s, e)) < 0)
                return rc;
            if (rc != STORE_ROW)
                return err_set(e, ERR_INVAL, "line %zu: product %lld not found", i + 1,
                               (long long)in->product_id);
            x->inactive[i] = !store_col_i64(s, 1);
            pl->product_id = in->product_id;
            pl->unit_price_fen = store_col_i64(s, 0);
        }
        /* qty <= 1e5 and price <= 1e7, so a line fits easily; still check */
        if (__builtin_mul_overflow(pl->qty, pl->unit_price_fen, &pl->line_total_fen) ||
            __builtin_add_overflow(total, pl->line_total_fen, &total))
            return err_set(e, ERR_INVAL, "order total out of range");
        units += pl->qty;
    }
    x->out->total_fen = total;
    x->out->units = units;
    x->out->session_id = session;
    return 0;
}

/* The order already placed under this Idempotency-Key, if any: 1 when *o
** was filled from it, 0 when there is none. */
static int idem_replay(struct store_conn *c, struct place_ctx *x, struct err *e)
{
    const struct market_order_req *req = x->req;
    if (!req->idem_key || !*req->idem_key)
        return 0;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, idem_hash FROM market_orders WHERE county_id = ?"
                           " AND buyer_user_id = ? AND idem_key = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->who->county_id);
    store_bind_i64(s, 2, x->buyer);
    store_bind_text(s, 3, req->idem_key, -1);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return 0;
    int64_t id = store_col_i64(s, 0);
    if ((uint64_t)store_col_i64(s, 1) != x->fingerprint)
        return err_set(e, ERR_CONFLICT, "Idempotency-Key '%s' was used for a different order",
                       req->idem_key);
    if ((rc = market__order_load(c, x->who->county_id, id, false, x->a, x->out, e)))
        return rc;
    x->out->replayed = true;
    return 1;
}

/* The order's references, checked inside its write before anything is
** written: the buyer a staff member orders for (an enabled buyer of the
** county), the delivery node and each line's node (nodes of the county).
** One primary-key lookup each (a node named twice is looked up once); a
** buyer ordering for itself costs nothing here. */
static int check_refs(struct store_conn *c, const struct place_ctx *x, struct err *e)
{
    const struct market_order_req *req = x->req;
    int64_t county = x->who->county_id;
    int rc;
    if (x->buyer != x->who->user_id && (rc = market__buyer_check(c, county, x->buyer, e)))
        return rc;
    if (req->delivery_node_id &&
        (rc = market__node_check(c, county, "delivery_node_id", req->delivery_node_id, e)))
        return rc;
    for (size_t i = 0; i < req->nlines; i++) {
        int64_t node = req->lines[i].node_id;
        bool seen = !node || node == req->delivery_node_id;
        for (size_t k = 0; k < i && !seen; k++)
            seen = req->lines[k].node_id == node;
        if (!seen && (rc = market__node_check(c, county, "node_id", node, e)))
            return err_prefix(e, "line %zu: ", i + 1);
    }
    return 0;
}

/* One order, on the writer. Statements of a new flash order: read the offer
** (price and window, cached), the units left and the buyer's holding; then
** insert the order (its unique index on the Idempotency-Key answers a
** repeat: the first order is returned and nothing is taken), take the units
** (two guarded updates), insert the line, audit. Every refusal comes before
** the first write.
** The creation is part of the order row (created_ms, placed_by): it is the
** first entry of the history that market_order_get shows. */
static int place_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct place_ctx *x = arg;
    const struct market_order_req *req = x->req;
    struct market_order *o = x->out;
    struct store_stmt *s;
    int rc;
    int64_t county = x->who->county_id;
    bool keyed = req->idem_key && *req->idem_key;

    if ((rc = check_refs(c, x, e)) || (rc = price_lines(c, x, e)) || (rc = check_lines(c, x, e))) {
        /* A refused request may still be a repeat of an order placed
        ** before (the offer since sold out or withdrawn, say). */
        struct err e2 = {0};
        int r2 = idem_replay(c, x, &e2);
        if (r2 == 0)
            return rc;
        if (r2 < 0)
            *e = e2;
        return r2 < 0 ? r2 : 0;
    }

    rc = store_prepare(c,
                       "INSERT INTO market_orders (county_id, buyer_user_id, status,"
                       " delivery_node_id, delivery_address, lat, lon, total_fen, units,"
                       " payment_status, payment_method, payment_ref, note, session_id, idem_key,"
                       " idem_hash, created_ms, updated_ms, placed_by)"
                       " VALUES (?,?,0,?,?,?,?,?,?,'unpaid',?,?,?,?,?,?,?,?,?)",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county);
    store_bind_i64(s, 2, x->buyer);
    store_bind_i64(s, 3, req->delivery_node_id);
    store_bind_text(s, 4, req->delivery_address ? req->delivery_address : "", -1);
    if (req->has_coords) {
        store_bind_double(s, 5, req->lat);
        store_bind_double(s, 6, req->lon);
    } else {
        store_bind_null(s, 5);
        store_bind_null(s, 6);
    }
    store_bind_i64(s, 7, o->total_fen);
    store_bind_i64(s, 8, o->units);
    store_bind_text(s, 9, o->payment_method, -1);
    store_bind_text(s, 10, req->payment_ref ? req->payment_ref : "", -1);
    store_bind_text(s, 11, req->note ? req->note : "", -1);
    store_bind_i64(s, 12, o->session_id);
    if (keyed)
        store_bind_text(s, 13, req->idem_key, -1);
    else
        store_bind_null(s, 13);
    store_bind_i64(s, 14, (int64_t)x->fingerprint);
    store_bind_i64(s, 15, x->now);
    store_bind_i64(s, 16, x->now);
    store_bind_i64(s, 17, x->who->user_id);
    if ((rc = store_step(s, e)) < 0) {
        if (rc != ERR_EXISTS || !keyed)
            return rc;
        /* The key's unique index: a repeat. The failed INSERT changed
        ** nothing and nothing was taken yet. */
        err_clear(e);
        rc = idem_replay(c, x, e);
        if (rc == 0)
            return err_set(e, ERR_INTERNAL, "Idempotency-Key '%s': order not found", req->idem_key);
        return rc < 0 ? rc : 0;
    }
    o->id = store_last_insert_id(c);

    for (size_t i = 0; i < req->nlines; i++) {
        const struct priced_line *pl = &x->lines[i];
        if (pl->offer_id && (rc = take_flash(c, x, i, &x->offers[i], e)))
            return rc;
        rc = store_prepare(c,
                           "INSERT INTO market_order_lines (order_id, line_no, county_id,"
                           " product_id, offer_id, qty, unit_price_fen, line_total_fen)"
                           " VALUES (?,?,?,?,?,?,?,?)",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, o->id);
        store_bind_i64(s, 2, (int64_t)i + 1);
        store_bind_i64(s, 3, county);
        store_bind_i64(s, 4, pl->product_id);
        store_bind_i64(s, 5, pl->offer_id);
        store_bind_i64(s, 6, pl->qty);
        store_bind_i64(s, 7, pl->unit_price_fen);
        store_bind_i64(s, 8, pl->line_total_fen);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (!pl->offer_id &&
            (rc = market__alloc_fefo(c, county, pl->product_id, pl->node_id, pl->qty, o->id,
                                     (int64_t)i + 1, x->who->user_id, x->now, e)))
            return err_prefix(e, "line %zu: ", i + 1);
    }
    return market__audit(c, x->who, "market.order.place", "order", o->id, NULL, e);
}

static int order_req_check(const struct auth_principal *who, const struct market_order_req *r,
                           struct err *e)
{
    int rc;
    if (who->role != AUTH_ROLE_BUYER && !market__is_staff(who))
        return err_set(e, ERR_PERM, "role '%s' may not place orders",
                       auth_role_name(who->role) ? auth_role_name(who->role) : "?");
    if (r->buyer_user_id && r->buyer_user_id != who->user_id && !market__is_staff(who))
        return err_set(e, ERR_PERM, "only staff may order for another buyer");
    if (r->buyer_user_id < 0)
        return err_set(e, ERR_INVAL, "field 'buyer_user_id' must be positive");
    if (r->nlines == 0)
        return err_set(e, ERR_INVAL, "field 'lines' needs at least one line");
    if (r->nlines > MARKET_LINES_MAX)
        return err_set(e, ERR_TOOBIG, "field 'lines' has more than %d lines", MARKET_LINES_MAX);
    for (size_t i = 0; i < r->nlines; i++) {
        const struct market_line_req *l = &r->lines[i];
        if (l->qty < 1 || l->qty > MARKET_QTY_MAX)
            return err_set(e, ERR_INVAL, "line %zu: field 'qty' must be between 1 and %d", i + 1,
                           MARKET_QTY_MAX);
        if (l->offer_id < 0 || l->product_id < 0 || l->node_id < 0)
            return err_set(e, ERR_INVAL, "line %zu: ids must be positive", i + 1);
        if (!l->offer_id && !l->product_id)
            return err_set(e, ERR_INVAL, "line %zu: 'product_id' or 'offer_id' is required", i + 1);
    }
    if ((rc = market__text("idempotency_key", r->idem_key, 255, false, false, e)) ||
        (rc = market__text("delivery_address", r->delivery_address, 500, false, false, e)) ||
        (rc = market__text("note", r->note, 1000, false, true, e)) ||
        (rc = market__text("payment_ref", r->payment_ref, 128, false, false, e)))
        return rc;
    if (r->payment_method &&
        (rc = market__one_of("payment_method", r->payment_method, pay_methods, e)))
        return rc;
    if (r->delivery_node_id < 0)
        return err_set(e, ERR_INVAL, "field 'delivery_node_id' must be positive");
    if (!r->delivery_node_id) {
        if (!r->delivery_address || !*r->delivery_address || !r->has_coords)
            return err_set(e, ERR_INVAL,
                           "a delivery point is required: 'delivery_node_id', or"
                           " 'delivery_address' with 'lat' and 'lon'");
    }
    if (r->has_coords && !(r->lat >= -90 && r->lat <= 90 && r->lon >= -180 && r->lon <= 180))
        return err_set(e, ERR_INVAL, "fields 'lat'/'lon' are out of range");
    if (r->payment_method && strcmp(r->payment_method, "external") == 0 &&
        (!r->payment_ref || !*r->payment_ref))
        return err_set(e, ERR_INVAL, "payment method 'external' needs 'payment_ref'");
    return 0;
}

struct market_order_job {
    struct place_ctx x;
    struct market_order o;
};

int market_order_job_new(const struct auth_principal *who, const struct market_order_req *req,
                         struct arena *a, struct market_order_job **out, struct err *e)
{
    *out = NULL;
    int rc = order_req_check(who, req, e);
    if (rc)
        return rc;
    struct market_order_job *j = arena_calloc(a, sizeof *j);
    struct place_ctx *x = &j->x;
    x->who = who;
    x->req = req;
    x->a = a;
    x->out = &j->o;
    x->buyer = req->buyer_user_id ? req->buyer_user_id : who->user_id;
    x->now = req->now_ms ? req->now_ms : time_now_ms();
    x->fingerprint = request_fingerprint(req, x->buyer);
    x->lines = arena_calloc(a, req->nlines * sizeof *x->lines);
    x->offers = arena_calloc(a, req->nlines * sizeof *x->offers);
    x->inactive = arena_calloc(a, req->nlines * sizeof *x->inactive);
    j->o.payment_method = req->payment_method ? req->payment_method : "cod";
    *out = j;
    return 0;
}

unsigned market_order_job_flags(const struct market_order_job *j)
{
    const struct market_order_req *req = j->x.req;
    for (size_t i = 0; i < req->nlines; i++)
        if (!req->lines[i].offer_id)
            return 0; /* catalog stock is taken lot by lot: a savepoint */
    return STORE_CHECKS_FIRST;
}

int market_order_job_fn(struct store_conn *c, void *job, struct err *e)
{
    struct market_order_job *j = job;
    return place_fn(c, &j->x, e);
}

void market_order_job_result(struct market_order_job *j, struct market_order *out)
{
    const struct place_ctx *x = &j->x;
    const struct market_order_req *req = x->req;
    struct arena *a = x->a;
    struct market_order *o = &j->o;
    if (!o->replayed) {
        o->county_id = x->who->county_id;
        o->buyer_user_id = x->buyer;
        o->status = MARKET_PLACED;
        o->delivery_node_id = req->delivery_node_id;
        o->delivery_address = arena_strdup(a, req->delivery_address ? req->delivery_address : "");
        o->has_coords = req->has_coords;
        o->lat = req->lat, o->lon = req->lon;
        o->payment_status = "unpaid";
        o->payment_method = arena_strdup(a, o->payment_method);
        o->payment_ref = arena_strdup(a, req->payment_ref ? req->payment_ref : "");
        o->note = arena_strdup(a, req->note ? req->note : "");
        o->idem_key = req->idem_key ? arena_strdup(a, req->idem_key) : NULL;
        o->created_ms = o->updated_ms = x->now;
        o->nlines = req->nlines;
        o->lines = arena_alloc(a, req->nlines * sizeof *o->lines);
        for (size_t i = 0; i < req->nlines; i++) {
            o->lines[i] = (struct market_order_line){
                (int64_t)i + 1,  x->lines[i].product_id,     x->lines[i].offer_id,
                x->lines[i].qty, x->lines[i].unit_price_fen, x->lines[i].line_total_fen};
        }
    }
    *out = *o;
}

int market_order_place(struct store *st, const struct auth_principal *who,
                       const struct market_order_req *req, struct arena *a,
                       struct market_order *out, struct err *e)
{
    assert(a || !out);
    struct arena tmp;
    bool own_arena = !a;
    if (own_arena) {
        arena_init(&tmp, 4096);
        a = &tmp;
    }
    struct market_order_job *j;
    int rc = market_order_job_new(who, req, a, &j, e);
    if (!rc)
        rc = store_write_flags(st, market_order_job_fn, j, market_order_job_flags(j), e);
    if (!rc && out)
        market_order_job_result(j, out);
    if (own_arena)
        arena_release(&tmp);
    return rc;
}

/* ------------------------------------------------------------------ loads */

#define ORDER_COLS                                                                                 \
    "SELECT o.id, o.county_id, o.buyer_user_id, o.status, o.delivery_node_id,"                     \
    " o.delivery_address, o.lat, o.lon, o.total_fen, o.units, o.payment_status,"                   \
    " o.payment_method, o.payment_ref, o.note, o.session_id, o.idem_key, o.created_ms,"            \
    " o.updated_ms FROM market_orders o"

static void order_row(struct store_stmt *s, struct arena *a, struct market_order *o)
{
    memset(o, 0, sizeof *o);
    o->id = store_col_i64(s, 0);
    o->county_id = store_col_i64(s, 1);
    o->buyer_user_id = store_col_i64(s, 2);
    o->status = (enum market_status)store_col_i64(s, 3);
    o->delivery_node_id = store_col_i64(s, 4);
    o->delivery_address = arena_strdup(a, store_col_text(s, 5));
    o->has_coords = !store_col_is_null(s, 6);
    o->lat = store_col_double(s, 6);
    o->lon = store_col_double(s, 7);
    o->total_fen = store_col_i64(s, 8);
    o->units = store_col_i64(s, 9);
    o->payment_status = arena_strdup(a, store_col_text(s, 10));
    o->payment_method = arena_strdup(a, store_col_text(s, 11));
    o->payment_ref = arena_strdup(a, store_col_text(s, 12));
    o->note = arena_strdup(a, store_col_text(s, 13));
    o->session_id = store_col_i64(s, 14);
    o->idem_key = store_col_is_null(s, 15) ? NULL : arena_strdup(a, store_col_text(s, 15));
    o->created_ms = store_col_i64(s, 16);
    o->updated_ms = store_col_i64(s, 17);
}

static int load_lines(struct store_conn *c, struct arena *a, struct market_order *o, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT line_no, product_id, offer_id, qty, unit_price_fen,"
                           " line_total_fen FROM market_order_lines WHERE order_id = ?"
                           " ORDER BY line_no",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, o->id);
    size_t cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (o->nlines == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct market_order_line *n = arena_alloc(a, ncap * sizeof *n);
            if (o->nlines)
                memcpy(n, o->lines, o->nlines * sizeof *n);
            o->lines = n, cap = ncap;
        }
        struct market_order_line *l = &o->lines[o->nlines++];
        l->line_no = store_col_i64(s, 0);
        l->product_id = store_col_i64(s, 1);
        l->offer_id = store_col_i64(s, 2);
        l->qty = store_col_i64(s, 3);
        l->unit_price_fen = store_col_i64(s, 4);
        l->line_total_fen = store_col_i64(s, 5);
    }
    return rc < 0 ? rc : 0;
}

static int load_history(struct store_conn *c, struct arena *a, struct market_order *o,
                        struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT -1, 0, created_ms, placed_by, '', 0 FROM market_orders"
                           " WHERE id = ? UNION ALL"
                           " SELECT from_status, to_status, ts_ms, actor_user_id, note, id"
                           " FROM market_order_history WHERE order_id = ? ORDER BY 6",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, o->id);
    store_bind_i64(s, 2, o->id);
    size_t cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (o->nhistory == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct market_status_change *n = arena_alloc(a, ncap * sizeof *n);
            if (o->nhistory)
                memcpy(n, o->history, o->nhistory * sizeof *n);
            o->history = n, cap = ncap;
        }
        struct market_status_change *h = &o->history[o->nhistory++];
        h->from = (int)store_col_i64(s, 0);
        h->to = (enum market_status)store_col_i64(s, 1);
        h->ts_ms = store_col_i64(s, 2);
        h->actor_user_id = store_col_i64(s, 3);
        h->note = arena_strdup(a, store_col_text(s, 4));
    }
    return rc < 0 ? rc : 0;
}

int market__order_load(struct store_conn *c, int64_t county_id, int64_t id, bool history,
                       struct arena *a, struct market_order *o, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, ORDER_COLS " WHERE o.id = ? AND o.county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, id);
    store_bind_i64(s, 2, county_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "order %lld not found", (long long)id);
    order_row(s, a, o);
    if ((rc = load_lines(c, a, o, e)))
        return rc;
    return history ? load_history(c, a, o, e) : 0;
}

/* True when every line of the order is a product of this merchant. */
static int merchant_owns_order(struct store_conn *c, int64_t order_id, int64_t user_id, bool *all,
                               bool *any, struct err *e)
{
    struct store_stmt *s;
    int rc =
        store_prepare(c,
                      "SELECT COUNT(*), COALESCE(SUM(pr.owner_user_id = ?), 0)"
                      " FROM market_order_lines l JOIN market_products p ON p.id = l.product_id"
                      " JOIN market_producers pr ON pr.id = p.producer_id"
                      " WHERE l.order_id = ?",
                      &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, user_id);
    store_bind_i64(s, 2, order_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    int64_t n = store_col_i64(s, 0), mine = store_col_i64(s, 1);
    *all = n > 0 && mine == n;
    *any = mine > 0;
    return 0;
}

/* May `who` see order o? ERR_NOTFOUND when not (do not reveal it exists). */
static int order_visible(struct store_conn *c, const struct auth_principal *who,
                         const struct market_order *o, struct err *e)
{
    if (market__reads_county(who))
        return 0;
    if (who->role == AUTH_ROLE_BUYER && o->buyer_user_id == who->user_id)
        return 0;
    if (who->role == AUTH_ROLE_MERCHANT) {
        bool all, any;
        int rc = merchant_owns_order(c, o->id, who->user_id, &all, &any, e);
        if (rc)
            return rc;
        if (any)
            return 0;
    }
    return err_set(e, ERR_NOTFOUND, "order %lld not found", (long long)o->id);
}

struct order_read {
    const struct auth_principal *who;
    int64_t id;
    bool carried; /* a driver the caller found carrying the order */
    const struct market_order_filter *f;
    struct arena *a;
    struct market_order *items;
    size_t n, cap;
};

static int order_get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct order_read *r = arg;
    r->items = arena_alloc(r->a, sizeof *r->items);
    int rc = market__order_load(c, r->who->county_id, r->id, true, r->a, r->items, e);
    if (rc || (!r->carried && (rc = order_visible(c, r->who, r->items, e))))
        return rc;
    r->n = 1;
    return 0;
}

int market_order_get(struct store *st, const struct auth_principal *who, int64_t id,
                     struct arena *a, struct market_order *out, struct err *e)
{
    struct order_read r = {.who = who, .id = id, .a = a};
    int rc = store_read(st, order_get_fn, &r, e);
    if (!rc)
        *out = r.items[0];
    return rc;
}

static int order_list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct order_read *r = arg;
    const struct market_order_filter *f = r->f;
    int64_t buyer = f->buyer_user_id, merchant = 0;
    if (r->who->role == AUTH_ROLE_BUYER)
        buyer = r->who->user_id;
    else if (r->who->role == AUTH_ROLE_MERCHANT)
        merchant = r->who->user_id;
    int64_t limit = f->limit > 0 ? f->limit : 50;
    if (limit > MARKET_LIST_MAX)
        limit = MARKET_LIST_MAX;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           ORDER_COLS
                           " WHERE o.county_id = ? AND (? < 0 OR o.status = ?)"
                           " AND (? = 0 OR o.buyer_user_id = ?) AND (? = 0 OR o.session_id = ?)"
                           " AND (? = 0 OR o.created_ms >= ?) AND (? = 0 OR o.created_ms < ?)"
                           " AND (? = 0 OR o.id IN (SELECT h.order_id FROM market_order_history h"
                           "   WHERE h.county_id = o.county_id AND h.ts_ms >= ?"
                           "   AND (? = 0 OR h.ts_ms < ?) AND (? >> h.to_status) & 1))"
                           " AND (? = 0 OR EXISTS (SELECT 1 FROM market_order_lines l"
                           "   JOIN market_products p ON p.id = l.product_id"
                           "   JOIN market_producers pr ON pr.id = p.producer_id"
                           "   WHERE l.order_id = o.id AND pr.owner_user_id = ?))"
                           " ORDER BY o.id DESC LIMIT ? OFFSET ?",
                           &s, e);
    if (rc)
        return rc;
    int i = 1;
    store_bind_i64(s, i++, r->who->county_id);
    store_bind_i64(s, i++, f->status);
    store_bind_i64(s, i++, f->status);
    store_bind_i64(s, i++, buyer);
    store_bind_i64(s, i++, buyer);
    store_bind_i64(s, i++, f->session_id);
    store_bind_i64(s, i++, f->session_id);
    store_bind_i64(s, i++, f->since_ms);
    store_bind_i64(s, i++, f->since_ms);
    store_bind_i64(s, i++, f->until_ms);
    store_bind_i64(s, i++, f->until_ms);
    store_bind_i64(s, i++, f->reached_mask);
    store_bind_i64(s, i++, f->reached_since_ms);
    store_bind_i64(s, i++, f->reached_until_ms);
    store_bind_i64(s, i++, f->reached_until_ms);
    store_bind_i64(s, i++, f->reached_mask);
    store_bind_i64(s, i++, merchant);
    store_bind_i64(s, i++, merchant);
    store_bind_i64(s, i++, limit);
    store_bind_i64(s, i++, f->offset > 0 ? f->offset : 0);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
        order_row(s, r->a, &r->items[r->n++]);
    }
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < r->n; k++)
        if ((rc = load_lines(c, r->a, &r->items[k], e)))
            return rc;
    return 0;
}

int market_order_list(struct store *st, const struct auth_principal *who,
                      const struct market_order_filter *f, struct arena *a,
                      struct market_order **out, size_t *n, struct err *e)
{
    *out = NULL, *n = 0;
    if (!market__reads_county(who) && who->role != AUTH_ROLE_BUYER &&
        who->role != AUTH_ROLE_MERCHANT)
        return err_set(e, ERR_PERM, "role '%s' may not read orders",
                       auth_role_name(who->role) ? auth_role_name(who->role) : "?");
    struct order_read r = {.who = who, .f = f, .a = a};
    int rc = store_read(st, order_list_fn, &r, e);
    if (!rc && r.n) {
        *out = arena_alloc(a, r.n * sizeof **out);
        memcpy(*out, r.items, r.n * sizeof **out);
        *n = r.n;
    }
    free(r.items);
    return rc;
}

/* ------------------------------------------------------------ transitions */

struct transition {
    const struct auth_principal *who;
    int64_t id;
    enum market_status to;
    const char *note;
    int64_t now;
    const char *pay_status, *pay_method, *pay_ref;
    bool carried; /* market_order_deliver_carried */
};

/* Who may move an order to `to` (visibility is checked before). A driver
** moves none here: market cannot see routes (logistics sits above it), so
** a driver's delivery goes through market_order_deliver_carried. */
static int transition_perm(struct store_conn *c, const struct auth_principal *who,
                           const struct market_order *o, enum market_status to, struct err *e)
{
    if (market__is_staff(who))
        return 0;
    const char *role = auth_role_name(who->role) ? auth_role_name(who->role) : "?";
    if (who->role == AUTH_ROLE_BUYER && to == MARKET_CANCELLED &&
        o->buyer_user_id == who->user_id) {
        if (o->status == MARKET_PLACED || o->status == MARKET_CONFIRMED)
            return 0;
        return err_set(e, ERR_PERM,
                       "order %lld is %s: a buyer cancels only placed or confirmed orders; ask"
                       " the seller",
                       (long long)o->id, market_status_name(o->status));
    }
    if (who->role == AUTH_ROLE_MERCHANT && to != MARKET_REFUNDED && to != MARKET_DELIVERED) {
        bool all, any;
        int rc = merchant_owns_order(c, o->id, who->user_id, &all, &any, e);
        if (rc)
            return rc;
        if (all)
            return 0;
    }
    return err_set(e, ERR_PERM, "role '%s' may not move order %lld to '%s'", role, (long long)o->id,
                   market_status_name(to));
}

/* A cancelled order's offer lines: the units go back to the offer's flash
** stock (and the buyer's allowance); once the offer's session is closed
** its unsold units are back in the lots, so these go there too (counted in
** `returned`, out of the offer's flash stock). */
static int give_back_flash(struct store_conn *c, const struct transition *t,
                           const struct market_order *o, struct err *e)
{
    for (size_t i = 0; i < o->nlines; i++) {
        const struct market_order_line *l = &o->lines[i];
        if (!l->offer_id)
            continue;
        struct store_stmt *s;
        int rc = store_prepare(c,
                               "SELECT s.closed_ms FROM market_offers f"
                               " JOIN market_sessions s ON s.id = f.session_id WHERE f.id = ?",
                               &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, l->offer_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        bool closed = rc == STORE_ROW && store_col_i64(s, 0) != 0;
        rc = store_prepare(c,
                           "UPDATE market_offers SET sold = sold - ?,"
                           " flash_stock = flash_stock - ?, returned = returned + ? WHERE id = ?",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, l->qty);
        store_bind_i64(s, 2, closed ? l->qty : 0);
        store_bind_i64(s, 3, closed ? l->qty : 0);
        store_bind_i64(s, 4, l->offer_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (closed && (rc = market__offer_release(c, t->who->county_id, l->offer_id, l->qty,
                                                  t->who->user_id, t->now, NULL, e)))
            return rc;
        rc = store_prepare(c,
                           "UPDATE market_offer_buyers SET qty = qty - ?"
                           " WHERE offer_id = ? AND buyer_user_id = ?",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, l->qty);
        store_bind_i64(s, 2, l->offer_id);
        store_bind_i64(s, 3, o->buyer_user_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
    }
    return 0;
}

static int transition_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct transition *t = arg;
    struct arena a;
    arena_init(&a, 2048);
    struct market_order o;
    struct store_stmt *s;
    int64_t county = t->who->county_id;
    int rc = market__order_load(c, county, t->id, false, &a, &o, e);
    if (rc || (!t->carried && (rc = order_visible(c, t->who, &o, e))))
        goto out;
    /* A move the lifecycle never allows is 409 for everyone (the docs'
    ** "any other move"); only a move it allows can be a question of role. */
    if (!market_transition_allowed(o.status, t->to)) {
        rc = err_set(e, ERR_CONFLICT, "order %lld is %s; it cannot become %s", (long long)o.id,
                     market_status_name(o.status), market_status_name(t->to));
        goto out;
    }
    if (!t->carried && (rc = transition_perm(c, t->who, &o, t->to, e)))
        goto out;
    if (t->to == MARKET_CANCELLED) {
        if ((rc = market__release_allocs(c, county, o.id, t->who->user_id, t->now, e)) ||
            (rc = give_back_flash(c, t, &o, e)))
            goto out;
    }
    rc = store_prepare(c,
                       "UPDATE market_orders SET status = ?, updated_ms = ?,"
                       " payment_status = CASE WHEN ? AND payment_status = 'paid'"
                       "   THEN 'refunded' ELSE payment_status END"
                       " WHERE id = ? AND status = ?",
                       &s, e);
    if (rc)
        goto out;
    store_bind_i64(s, 1, t->to);
    store_bind_i64(s, 2, t->now);
    store_bind_i64(s, 3, t->to == MARKET_REFUNDED);
    store_bind_i64(s, 4, o.id);
    store_bind_i64(s, 5, o.status);
    if ((rc = store_step(s, e)) < 0)
        goto out;
    rc = store_prepare(c,
                       "INSERT INTO market_order_history (county_id, order_id, from_status,"
                       " to_status, actor_user_id, ts_ms, note) VALUES (?,?,?,?,?,?,?)",
                       &s, e);
    if (rc)
        goto out;
    store_bind_i64(s, 1, county);
    store_bind_i64(s, 2, o.id);
    store_bind_i64(s, 3, o.status);
    store_bind_i64(s, 4, t->to);
    store_bind_i64(s, 5, t->who->user_id);
    store_bind_i64(s, 6, t->now);
    store_bind_text(s, 7, t->note ? t->note : "", -1);
    if ((rc = store_step(s, e)) < 0)
        goto out;
    char detail[80];
    snprintf(detail, sizeof detail, "{\"from\":\"%s\",\"to\":\"%s\"}", market_status_name(o.status),
             market_status_name(t->to));
    rc = market__audit(c, t->who, "market.order.status", "order", o.id, detail, e);
out:
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int market_order_transition(struct store *st, const struct auth_principal *who, int64_t order_id,
                            enum market_status to, const char *note, int64_t now_ms, struct err *e)
{
    int rc;
    if ((unsigned)to >= MARKET_STATUS_COUNT)
        return err_set(e, ERR_INVAL, "unknown order status");
    if ((rc = market__text("note", note, 1000, false, true, e)))
        return rc;
    if (who->role == AUTH_ROLE_AUDITOR)
        return err_set(e, ERR_PERM, "auditors read orders; they do not change them");
    struct transition t = {
        .who = who, .id = order_id, .to = to, .note = note, .now = now_ms ? now_ms : time_now_ms()};
    return store_write(st, transition_fn, &t, e);
}

int market_order_deliver_carried(struct store *st, const struct auth_principal *who,
                                 int64_t order_id, const char *note, int64_t now_ms,
                                 struct arena *a, struct market_order *out, struct err *e)
{
    int rc;
    if (who->role != AUTH_ROLE_DRIVER)
        return err_set(e, ERR_PERM, "only the driver carrying an order delivers it this way");
    if ((rc = market__text("note", note, 1000, false, true, e)))
        return rc;
    struct transition t = {.who = who,
                           .id = order_id,
                           .to = MARKET_DELIVERED,
                           .note = note,
                           .now = now_ms ? now_ms : time_now_ms(),
                           .carried = true};
    if ((rc = store_write(st, transition_fn, &t, e)))
        return rc;
    struct order_read r = {.who = who, .id = order_id, .carried = true, .a = a};
    if ((rc = store_read(st, order_get_fn, &r, e)))
        return rc;
    *out = r.items[0];
    return 0;
}

static int pay_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct transition *t = arg;
    struct arena a;
    arena_init(&a, 2048);
    struct market_order o;
    struct store_stmt *s;
    int rc = market__order_load(c, t->who->county_id, t->id, false, &a, &o, e);
    if (rc || (rc = order_visible(c, t->who, &o, e)))
        goto out;
    if (!market__is_staff(t->who)) {
        bool all = false, any = false;
        if (t->who->role == AUTH_ROLE_MERCHANT &&
            (rc = merchant_owns_order(c, o.id, t->who->user_id, &all, &any, e)))
            goto out;
        if (!all) {
            rc = err_set(e, ERR_PERM, "only staff or the selling merchant record payments");
            goto out;
        }
    }
    if (o.status == MARKET_CANCELLED && strcmp(t->pay_status, "paid") == 0) {
        rc = err_set(e, ERR_CONFLICT, "order %lld is cancelled", (long long)o.id);
        goto out;
    }
    rc = store_prepare(c,
                       "UPDATE market_orders SET payment_status = ?,"
                       " payment_method = COALESCE(?, payment_method),"
                       " payment_ref = COALESCE(?, payment_ref), updated_ms = ? WHERE id = ?",
                       &s, e);
    if (rc)
        goto out;
    store_bind_text(s, 1, t->pay_status, -1);
    if (t->pay_method)
        store_bind_text(s, 2, t->pay_method, -1);
    else
        store_bind_null(s, 2);
    if (t->pay_ref)
        store_bind_text(s, 3, t->pay_ref, -1);
    else
        store_bind_null(s, 3);
    store_bind_i64(s, 4, time_now_ms());
    store_bind_i64(s, 5, o.id);
    if ((rc = store_step(s, e)) < 0)
        goto out;
    char detail[120];
    snprintf(detail, sizeof detail, "{\"payment_status\":\"%s\"}", t->pay_status);
    rc = market__audit(c, t->who, "market.order.payment", "order", o.id, detail, e);
out:
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int market_order_pay(struct store *st, const struct auth_principal *who, int64_t order_id,
                     const char *payment_status, const char *method, const char *ref, struct err *e)
{
    int rc;
    /* named as the request's fields (POST /api/v1/orders/{id}/payment) */
    if ((rc = market__one_of("status", payment_status, pay_states, e)) ||
        (method && (rc = market__one_of("method", method, pay_methods, e))) ||
        (rc = market__text("ref", ref, 128, false, false, e)))
        return rc;
    if (method && strcmp(method, "external") == 0 && (!ref || !*ref))
        return err_set(e, ERR_INVAL, "payment method 'external' needs 'ref'");
    struct transition t = {.who = who,
                           .id = order_id,
                           .pay_status = payment_status,
                           .pay_method = method,
                           .pay_ref = ref};
    return store_write(st, pay_fn, &t, e);
}
