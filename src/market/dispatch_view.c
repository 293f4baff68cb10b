/*
** dispatch_view.c: the read-only view of orders that logistics plans with
** (market_dispatch_orders). It returns, for orders in chosen statuses and a
** creation window, the delivery point, the total weight and volume of the
** goods and the coldest storage class among the lines, with the lines
** themselves; logistics never reads market tables with its own SQL.
*/
#include "market/market_int.h"

#include <string.h>

/* Orders created in [since, until) with the asked statuses, oldest first. */
static const char ORDERS_SQL[] =
    "SELECT id, buyer_user_id, status, delivery_node_id, delivery_address, lat, lon, "
    "created_ms FROM market_orders WHERE county_id = ? AND created_ms >= ? AND created_ms < ? "
    "AND ((? >> status) & 1) = 1 ORDER BY created_ms, id";
static const char LINES_SQL[] =
    "SELECT l.product_id, l.qty, p.weight_g, p.volume_ml, p.storage, "
    "COALESCE(NULLIF(p.name_zh, ''), p.name_en, '') FROM market_order_lines l "
    "JOIN market_products p ON p.id = l.product_id AND p.county_id = l.county_id "
    "WHERE l.county_id = ? AND l.order_id = ? ORDER BY l.line_no";

struct dv_args {
    const struct auth_principal *who;
    const struct market_dispatch_filter *f;
    struct arena *a;
    struct market_dispatch_order *out;
    size_t n, cap;
};

static int dv_read(struct store_conn *c, void *arg, struct err *e)
{
    struct dv_args *d = arg;
    struct store_stmt *s, *ls;
    int rc = store_prepare(c, ORDERS_SQL, &s, e);
    if (rc)
        return rc;
    unsigned mask =
        d->f->status_mask ? d->f->status_mask : (1u << MARKET_CONFIRMED) | (1u << MARKET_PACKED);
    store_bind_i64(s, 1, d->who->county_id);
    store_bind_i64(s, 2, d->f->since_ms);
    store_bind_i64(s, 3, d->f->until_ms > 0 ? d->f->until_ms : INT64_MAX);
    store_bind_i64(s, 4, (int64_t)mask);
    size_t max = d->f->limit > 0 ? (size_t)d->f->limit : MARKET_DISPATCH_MAX;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (d->n >= max)
            return err_set(e, ERR_TOOBIG, "more than %zu orders match", max);
        if (d->n == d->cap) {
            size_t ncap = d->cap ? d->cap * 2 : 64;
            struct market_dispatch_order *nw = arena_alloc(d->a, ncap * sizeof *nw);
            if (d->n)
                memcpy(nw, d->out, d->n * sizeof *nw);
            d->out = nw;
            d->cap = ncap;
        }
        struct market_dispatch_order *o = &d->out[d->n++];
        memset(o, 0, sizeof *o);
        o->order_id = store_col_i64(s, 0);
        o->buyer_user_id = store_col_i64(s, 1);
        o->status = (enum market_status)store_col_i64(s, 2);
        o->delivery_node_id = store_col_i64(s, 3);
        o->delivery_address = arena_strdup(d->a, store_col_text(s, 4));
        o->has_coords = !store_col_is_null(s, 5) && !store_col_is_null(s, 6);
        o->lat = store_col_double(s, 5);
        o->lon = store_col_double(s, 6);
        o->created_ms = store_col_i64(s, 7);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < d->n; i++) {
        struct market_dispatch_order *o = &d->out[i];
        if ((rc = store_prepare(c, LINES_SQL, &ls, e)))
            return rc;
        store_bind_i64(ls, 1, d->who->county_id);
        store_bind_i64(ls, 2, o->order_id);
        size_t cap = 0;
        while ((rc = store_step(ls, e)) == STORE_ROW) {
            if (o->nlines == cap) {
                size_t ncap = cap ? cap * 2 : 4;
                struct market_dispatch_line *nw = arena_alloc(d->a, ncap * sizeof *nw);
                if (o->nlines)
                    memcpy(nw, o->lines, o->nlines * sizeof *nw);
                o->lines = nw;
                cap = ncap;
            }
            struct market_dispatch_line *l = &o->lines[o->nlines++];
            l->product_id = store_col_i64(ls, 0);
            l->qty = store_col_i64(ls, 1);
            l->weight_g = l->qty * store_col_i64(ls, 2);
            l->volume_ml = l->qty * store_col_i64(ls, 3);
            int64_t sc = store_col_i64(ls, 4);
            l->storage = sc >= 0 && sc < MARKET_STORAGE_COUNT ? (enum market_storage)sc
                                                              : MARKET_STORAGE_AMBIENT;
            l->name = arena_strdup(d->a, store_col_text(ls, 5));
            o->weight_g += l->weight_g;
            o->volume_ml += l->volume_ml;
            if (l->storage > o->storage)
                o->storage = l->storage;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

int market_dispatch_orders(struct store *st, const struct auth_principal *who,
                           const struct market_dispatch_filter *f, struct arena *a,
                           struct market_dispatch_order **out, size_t *n, struct err *e)
{
    if (!market__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read orders for dispatch");
    struct market_dispatch_filter dflt = {0};
    struct dv_args d = {.who = who, .f = f ? f : &dflt, .a = a};
    int rc = store_read(st, dv_read, &d, e);
    if (rc)
        return rc;
    *out = d.out;
    *n = d.n;
    return 0;
}
