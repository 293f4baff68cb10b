/*
** product.c: the catalog. Creating and updating products (only by staff or
** the merchant owning the producer), keeping the trigram search index in
** step, reading one product and searching: FTS5 trigram MATCH for words of
** three or more characters, a LIKE scan for shorter ones (a trigram index
** cannot answer "茶" or "蜂蜜"), plus filters.
*/
#include "market/market_int.h"

#include <string.h>

/* Product fields with defaults filled; p is a copy the caller may change. */
static void product_fill(struct market_product *p)
{
    if (!p->has_conditions)
        market__storage_defaults(p->storage, p);
}

static int fts_put(struct store_conn *c, const struct market_product *p, const char *tags,
                   bool replace, struct err *e)
{
    struct store_stmt *s;
    int rc;
    if (replace) {
        if ((rc = store_prepare(c, "DELETE FROM market_products_fts WHERE rowid = ?", &s, e)))
            return rc;
        store_bind_i64(s, 1, p->id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
    }
    if ((rc = store_prepare(c,
                            "INSERT INTO market_products_fts (rowid, name_zh, name_en, story_zh,"
                            " story_en, tags) VALUES (?,?,?,?,?,?)",
                            &s, e)))
        return rc;
    store_bind_i64(s, 1, p->id);
    store_bind_text(s, 2, p->name_zh ? p->name_zh : "", -1);
    store_bind_text(s, 3, p->name_en ? p->name_en : "", -1);
    store_bind_text(s, 4, p->story_zh ? p->story_zh : "", -1);
    store_bind_text(s, 5, p->story_en ? p->story_en : "", -1);
    store_bind_text(s, 6, tags, -1);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

struct product_write {
    const struct auth_principal *who;
    struct market_product p; /* a copy with defaults filled */
    struct arena *a;
    bool update;
    int64_t now;
};

/* Bind the editable columns at 1..21 (the same order in INSERT and UPDATE). */
static void bind_editable(struct store_stmt *s, const struct market_product *p, const char *tags,
                          const char *images)
{
    store_bind_i64(s, 1, p->village_id);
    store_bind_text(s, 2, p->name_zh ? p->name_zh : "", -1);
    store_bind_text(s, 3, p->name_en ? p->name_en : "", -1);
    store_bind_text(s, 4, p->story_zh ? p->story_zh : "", -1);
    store_bind_text(s, 5, p->story_en ? p->story_en : "", -1);
    store_bind_text(s, 6, p->category, -1);
    store_bind_text(s, 7, p->unit, -1);
    store_bind_i64(s, 8, p->price_fen);
    store_bind_i64(s, 9, p->weight_g);
    store_bind_i64(s, 10, p->volume_ml);
    store_bind_i64(s, 11, p->storage);
    store_bind_double(s, 12, p->temp_min_c);
    store_bind_double(s, 13, p->temp_max_c);
    store_bind_double(s, 14, p->rh_min_pct);
    store_bind_double(s, 15, p->rh_max_pct);
    store_bind_i64(s, 16, p->shelf_life_days);
    store_bind_text(s, 17, tags, -1);
    store_bind_text(s, 18, images, -1);
    store_bind_i64(s, 19, p->signature);
    store_bind_text(s, 20, p->brand ? p->brand : "", -1);
    store_bind_i64(s, 21, p->active);
}

/* Insert or update one product inside a write (also used by the CSV
** import). On create p->id is set. */
int market__product_put(struct store_conn *c, const struct auth_principal *who,
                        struct market_product *p, bool update, struct arena *a, int64_t now,
                        struct err *e)
{
    int rc;
    int64_t owner, village;
    if (update) {
        struct store_stmt *s;
        if ((rc = market__may_edit_product(c, who, p->id, e)))
            return rc;
        if ((rc = store_prepare(c, "SELECT producer_id FROM market_products WHERE id = ?", &s, e)))
            return rc;
        store_bind_i64(s, 1, p->id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        int64_t stored = store_col_i64(s, 0);
        if (p->producer_id && p->producer_id != stored)
            return err_set(e, ERR_INVAL,
                           "field 'producer_id': product %lld belongs to producer %lld and"
                           " cannot move to another",
                           (long long)p->id, (long long)stored);
        p->producer_id = stored;
    }
    if ((rc = market__producer_owner(c, who->county_id, p->producer_id, &owner, &village, e)))
        return rc;
    if (!market__is_staff(who) && owner != who->user_id)
        return err_set(e, ERR_PERM, "producer %lld belongs to another merchant",
                       (long long)p->producer_id);
    if (p->village_id == 0)
        p->village_id = village;
    else if ((rc = market__village_check(c, who->county_id, "village_id", p->village_id, e)))
        return rc;
    const char *tags = market__join(a, p->tags, p->ntags);
    const char *images = market__join(a, p->images, p->nimages);
    struct store_stmt *s;
    if (update) {
        rc = store_prepare(c,
                           "UPDATE market_products SET village_id = ?, name_zh = ?, name_en = ?,"
                           " story_zh = ?, story_en = ?, category = ?, unit = ?, price_fen = ?,"
                           " weight_g = ?, volume_ml = ?, storage = ?, temp_min_c = ?,"
                           " temp_max_c = ?, rh_min_pct = ?, rh_max_pct = ?,"
                           " shelf_life_days = ?, tags = ?, images = ?, signature = ?, brand = ?,"
                           " active = ?, updated_ms = ?,"
                           " sku = CASE WHEN ? <> '' THEN ? ELSE sku END"
                           " WHERE id = ? AND county_id = ?",
                           &s, e);
        if (rc)
            return rc;
        bind_editable(s, p, tags, images);
        store_bind_i64(s, 22, now);
        store_bind_text(s, 23, p->sku ? p->sku : "", -1);
        store_bind_text(s, 24, p->sku ? p->sku : "", -1);
        store_bind_i64(s, 25, p->id);
        store_bind_i64(s, 26, who->county_id);
    } else {
        rc = store_prepare(c,
                           "INSERT INTO market_products (village_id, name_zh, name_en, story_zh,"
                           " story_en, category, unit, price_fen, weight_g, volume_ml, storage,"
                           " temp_min_c, temp_max_c, rh_min_pct, rh_max_pct, shelf_life_days,"
                           " tags, images, signature, brand, active, created_ms, updated_ms,"
                           " county_id, producer_id, sku) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                           "?,?,?,?,?,?,?,?,?,?, COALESCE(NULLIF(?, ''), 'P' ||"
                           " (SELECT COALESCE(MAX(id), 0) + 1 FROM market_products)))"
                           " RETURNING id",
                           &s, e);
        if (rc)
            return rc;
        bind_editable(s, p, tags, images);
        store_bind_i64(s, 22, now);
        store_bind_i64(s, 23, now);
        store_bind_i64(s, 24, who->county_id);
        store_bind_i64(s, 25, p->producer_id);
        store_bind_text(s, 26, p->sku ? p->sku : "", -1);
    }
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "sku '%s' is already used in this county",
                       p->sku ? p->sku : "");
    if (rc < 0)
        return rc;
    if (!update)
        p->id = store_col_i64(s, 0);
    if ((rc = fts_put(c, p, tags, update, e)))
        return rc;
    return market__audit(c, who, update ? "market.product.update" : "market.product.create",
                         "product", p->id, NULL, e);
}

static int product_write_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct product_write *w = arg;
    return market__product_put(c, w->who, &w->p, w->update, w->a, w->now, e);
}

static int product_write(struct store *st, const struct auth_principal *who,
                         const struct market_product *in, bool update, int64_t *id_out,
                         struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc)
        return rc;
    struct product_write w = {.who = who, .p = *in, .update = update, .now = time_now_ms()};
    if (!update)
        w.p.active = true;
    product_fill(&w.p);
    if ((rc = market__product_check(&w.p, e)))
        return rc;
    if (!update && w.p.producer_id <= 0)
        return err_set(e, ERR_INVAL, "field 'producer_id' is required");
    struct arena a;
    arena_init(&a, 4096);
    w.a = &a;
    rc = store_write(st, product_write_fn, &w, e);
    arena_release(&a);
    if (!rc && id_out)
        *id_out = w.p.id;
    return rc;
}

int market_product_create(struct store *st, const struct auth_principal *who,
                          const struct market_product *in, int64_t *id_out, struct err *e)
{
    return product_write(st, who, in, false, id_out, e);
}

int market_product_update(struct store *st, const struct auth_principal *who,
                          const struct market_product *in, struct err *e)
{
    if (in->id <= 0)
        return err_set(e, ERR_INVAL, "product id is required");
    return product_write(st, who, in, true, NULL, e);
}

/* ------------------------------------------------------------------ reads */

struct product_read {
    const struct auth_principal *who;
    const struct market_search *q;
    int64_t id;
    struct arena *a;
    struct market_product *items;
    size_t n, cap;
};

static int product_get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct product_read *r = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT " MARKET__PRODUCT_COLS
                           " FROM market_products p WHERE p.id = ? AND p.county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, time_now_ms());
    store_bind_i64(s, 2, r->id);
    store_bind_i64(s, 3, r->who->county_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "product %lld not found", (long long)r->id);
    r->items = arena_alloc(r->a, sizeof *r->items);
    market__product_row(s, r->a, r->items);
    r->n = 1;
    return 0;
}

int market_product_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct arena *a, struct market_product *out, struct err *e)
{
    struct product_read r = {.who = who, .id = id, .a = a};
    int rc = store_read(st, product_get_fn, &r, e);
    if (!rc)
        *out = r.items[0];
    return rc;
}

/* Count UTF-8 characters (not bytes) of s[0..n). */
static size_t utf8_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* One bound value of the dynamic search SQL. */
struct bindv {
    bool text;
    int64_t i;
    const char *t;
};

static int product_search_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct product_read *r = arg;
    const struct market_search *q = r->q;
    struct arena *a = r->a;
    struct strbuf sql, match;
    strbuf_init(&sql, 1 << 16);
    strbuf_init(&match, 4096);
    struct bindv binds[64];
    int nb = 0;
    int64_t now = time_now_ms();
    binds[nb++] = (struct bindv){false, now, NULL};
    strbuf_addstr(&sql, "SELECT " MARKET__PRODUCT_COLS " FROM market_products p");

    /* Split q on spaces: long words go to one FTS MATCH (AND of phrases),
    ** short ones to LIKE conditions. */
    struct strbuf likes;
    strbuf_init(&likes, 1 << 14);
    if (q->q) {
        const char *p = q->q;
        while (*p) {
            while (*p == ' ' || *p == '\t')
                p++;
            const char *w = p;
            while (*p && *p != ' ' && *p != '\t')
                p++;
            size_t wl = (size_t)(p - w);
            if (!wl)
                continue;
            if (nb > 40)
                break; /* enough words */
            if (utf8_chars(w, wl) >= 3) {
                if (match.len)
                    strbuf_addstr(&match, " AND ");
                strbuf_addch(&match, '"');
                for (size_t i = 0; i < wl; i++) {
                    if (w[i] == '"')
                        strbuf_addch(&match, '"');
                    strbuf_addch(&match, w[i]);
                }
                strbuf_addch(&match, '"');
            } else {
                /* escape LIKE wildcards with '\' */
                struct strbuf pat;
                strbuf_init(&pat, 64);
                strbuf_addch(&pat, '%');
                for (size_t i = 0; i < wl; i++) {
                    if (w[i] == '%' || w[i] == '_' || w[i] == '\\')
                        strbuf_addch(&pat, '\\');
                    strbuf_addch(&pat, w[i]);
                }
                strbuf_addch(&pat, '%');
                const char *pt = arena_strdup(a, strbuf_str(&pat));
                strbuf_release(&pat);
                strbuf_addstr(&likes,
                              " AND (p.name_zh LIKE ? ESCAPE '\\' OR p.name_en LIKE ? ESCAPE '\\'"
                              " OR p.story_zh LIKE ? ESCAPE '\\' OR p.story_en LIKE ? ESCAPE '\\'"
                              " OR p.tags LIKE ? ESCAPE '\\')");
                for (int k = 0; k < 5; k++)
                    binds[nb++] = (struct bindv){true, 0, pt};
            }
        }
    }
    /* binds so far belong after WHERE; the MATCH value must come first */
    struct bindv head[2];
    int nhead = 0;
    if (match.len) {
        strbuf_addstr(&sql, " JOIN market_products_fts f ON f.rowid = p.id"
                            " AND market_products_fts MATCH ?");
        head[nhead++] = (struct bindv){true, 0, arena_strdup(a, strbuf_str(&match))};
    }
    strbuf_addstr(&sql, " WHERE p.county_id = ?");
    head[nhead++] = (struct bindv){false, r->who->county_id, NULL};
    strbuf_addstr(&sql, strbuf_str(&likes));
    strbuf_release(&likes);
    strbuf_release(&match);
    if (!q->include_inactive)
        strbuf_addstr(&sql, " AND p.active = 1");
    if (q->village_id) {
        strbuf_addstr(&sql, " AND p.village_id = ?");
        binds[nb++] = (struct bindv){false, q->village_id, NULL};
    }
    if (q->producer_id) {
        strbuf_addstr(&sql, " AND p.producer_id = ?");
        binds[nb++] = (struct bindv){false, q->producer_id, NULL};
    }
    if (q->category && *q->category) {
        strbuf_addstr(&sql, " AND p.category = ?");
        binds[nb++] = (struct bindv){true, 0, q->category};
    }
    if (q->storage >= 0) {
        strbuf_addstr(&sql, " AND p.storage = ?");
        binds[nb++] = (struct bindv){false, q->storage, NULL};
    }
    if (q->signature)
        strbuf_addstr(&sql, q->signature > 0 ? " AND p.signature = 1" : " AND p.signature = 0");
    if (q->min_price_fen > 0) {
        strbuf_addstr(&sql, " AND p.price_fen >= ?");
        binds[nb++] = (struct bindv){false, q->min_price_fen, NULL};
    }
    if (q->max_price_fen > 0) {
        strbuf_addstr(&sql, " AND p.price_fen <= ?");
        binds[nb++] = (struct bindv){false, q->max_price_fen, NULL};
    }
    if (q->cert_kind && *q->cert_kind) {
        strbuf_addstr(&sql, " AND EXISTS (SELECT 1 FROM market_certs ct WHERE"
                            " ct.producer_id = p.producer_id AND ct.kind = ?"
                            " AND ct.valid_from_ms <= ? AND ct.valid_until_ms >= ?)");
        binds[nb++] = (struct bindv){true, 0, q->cert_kind};
        binds[nb++] = (struct bindv){false, now, NULL};
        binds[nb++] = (struct bindv){false, now, NULL};
    }
    int64_t limit = q->limit > 0 ? q->limit : 50;
    if (limit > MARKET_LIST_MAX)
        limit = MARKET_LIST_MAX;
    strbuf_addstr(&sql, " ORDER BY p.signature DESC, p.id LIMIT ? OFFSET ?");
    binds[nb++] = (struct bindv){false, limit, NULL};
    binds[nb++] = (struct bindv){false, q->offset > 0 ? q->offset : 0, NULL};

    struct store_stmt *s;
    int rc = store_prepare(c, strbuf_str(&sql), &s, e);
    strbuf_release(&sql);
    if (rc)
        return rc;
    /* order of placeholders: now (in the column list), MATCH?, county, rest */
    int idx = 1;
    store_bind_i64(s, idx++, binds[0].i);
    for (int i = 0; i < nhead; i++, idx++) {
        if (head[i].text)
            store_bind_text(s, idx, head[i].t, -1);
        else
            store_bind_i64(s, idx, head[i].i);
    }
    for (int i = 1; i < nb; i++, idx++) {
        if (binds[i].text)
            store_bind_text(s, idx, binds[i].t, -1);
        else
            store_bind_i64(s, idx, binds[i].i);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
        market__product_row(s, a, &r->items[r->n++]);
    }
    return rc < 0 ? rc : 0;
}

int market_product_search(struct store *st, const struct auth_principal *who,
                          const struct market_search *q, struct arena *a,
                          struct market_product **out, size_t *n, struct err *e)
{
    int rc;
    *out = NULL, *n = 0;
    if (q->q && (rc = market__text("q", q->q, 200, false, false, e))) {
        /* the words come in the query string; too long is bad input (400),
        ** not a large body */
        if (!e)
            return ERR_INVAL;
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg + strlen("field 'q'"));
        return err_set(e, ERR_INVAL, "query parameter 'q'%s", why);
    }
    struct product_read r = {.who = who, .q = q, .a = a};
    rc = store_read(st, product_search_fn, &r, e);
    if (!rc && r.n) {
        *out = arena_alloc(a, r.n * sizeof **out);
        memcpy(*out, r.items, r.n * sizeof **out);
        *n = r.n;
    }
    free(r.items);
    return rc;
}
