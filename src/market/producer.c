/*
** producer.c: producers (cooperatives, family farms, companies, individual
** sellers) bound to a village and owned by a merchant account, and their
** certifications with validity dates.
*/
#include "market/market_int.h"

#include <string.h>

static const char *const producer_kinds[] = {"cooperative", "family_farm", "company", "individual",
                                             NULL};
static const char *const cert_kinds[] = {"green_food", "organic", "geographical_indication", NULL};

bool market_cert_kind_known(const char *kind)
{
    for (size_t i = 0; kind && cert_kinds[i]; i++)
        if (!strcmp(kind, cert_kinds[i]))
            return true;
    return false;
}

static int producer_check(const struct market_producer *p, struct err *e)
{
    int rc;
    if ((rc = market__one_of("kind", p->kind, producer_kinds, e)) ||
        (rc = market__text("name", p->name, MARKET_NAME_MAX, true, false, e)) ||
        (rc = market__text("licence_no", p->licence_no, 64, false, false, e)) ||
        (rc = market__text("contact_name", p->contact_name, MARKET_NAME_MAX, false, false, e)) ||
        (rc = market__text("contact_phone", p->contact_phone, 32, false, false, e)))
        return rc;
    if (p->village_id <= 0)
        return err_set(e, ERR_INVAL, "field 'village_id' is required");
    return 0;
}

struct producer_write {
    const struct auth_principal *who;
    const struct market_producer *in;
    int64_t id;
};

/* An owner named in a write: only staff name one (a merchant naming
** another is refused, not ignored), and it must be a merchant or staff
** account of the county. 0 (none named) passes. */
static int owner_check(struct store_conn *c, const struct auth_principal *who, int64_t owner,
                       struct err *e)
{
    if (!owner || owner == who->user_id)
        return 0;
    if (!market__is_staff(who))
        return err_set(e, ERR_PERM, "only staff may name a producer's owner");
    return market__user_check(c, who->county_id, "owner_user_id", owner, MARKET__OWNER_ROLES,
                              "a merchant or staff", e);
}

static int producer_create_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct producer_write *w = arg;
    const struct market_producer *in = w->in;
    int64_t owner = in->owner_user_id ? in->owner_user_id : w->who->user_id;
    int rc = owner_check(c, w->who, in->owner_user_id, e);
    if (rc || (rc = market__village_check(c, w->who->county_id, "village_id", in->village_id, e)))
        return rc;
    int64_t now = time_now_ms();
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO market_producers (county_id, village_id, owner_user_id,"
                       " kind, name, licence_no, contact_name, contact_phone, created_ms,"
                       " updated_ms) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, in->village_id);
    store_bind_i64(s, 3, owner);
    store_bind_text(s, 4, in->kind, -1);
    store_bind_text(s, 5, in->name, -1);
    store_bind_text(s, 6, in->licence_no ? in->licence_no : "", -1);
    store_bind_text(s, 7, in->contact_name ? in->contact_name : "", -1);
    store_bind_text(s, 8, in->contact_phone ? in->contact_phone : "", -1);
    store_bind_i64(s, 9, now);
    store_bind_i64(s, 10, now);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    return market__audit(c, w->who, "market.producer.create", "producer", w->id, NULL, e);
}

int market_producer_create(struct store *st, const struct auth_principal *who,
                           const struct market_producer *in, int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = producer_check(in, e)))
        return rc;
    struct producer_write w = {who, in, 0};
    rc = store_write(st, producer_create_fn, &w, e);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

static int producer_may_edit(struct store_conn *c, const struct auth_principal *who, int64_t id,
                             struct err *e)
{
    int64_t owner;
    int rc = market__producer_owner(c, who->county_id, id, &owner, NULL, e);
    if (rc)
        return rc;
    if (market__is_staff(who) || (who->role == AUTH_ROLE_MERCHANT && owner == who->user_id))
        return 0;
    return err_set(e, ERR_PERM, "producer %lld belongs to another merchant", (long long)id);
}

static int producer_update_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct producer_write *w = arg;
    const struct market_producer *in = w->in;
    int64_t was_owner, was_village;
    int rc = producer_may_edit(c, w->who, in->id, e);
    if (rc ||
        (rc = market__producer_owner(c, w->who->county_id, in->id, &was_owner, &was_village, e)))
        return rc;
    /* the owner it has (a PATCH sends it back) is not checked again */
    if ((in->owner_user_id != was_owner && (rc = owner_check(c, w->who, in->owner_user_id, e))) ||
        (rc = market__village_check(c, w->who->county_id, "village_id", in->village_id, e)))
        return rc;
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE market_producers SET village_id = ?, kind = ?, name = ?,"
                       " licence_no = ?, contact_name = ?, contact_phone = ?, updated_ms = ?,"
                       " owner_user_id = CASE WHEN ? > 0 THEN ? ELSE owner_user_id END"
                       " WHERE id = ? AND county_id = ?",
                       &s, e);
    if (rc)
        return rc;
    int64_t owner = market__is_staff(w->who) ? in->owner_user_id : 0;
    store_bind_i64(s, 1, in->village_id);
    store_bind_text(s, 2, in->kind, -1);
    store_bind_text(s, 3, in->name, -1);
    store_bind_text(s, 4, in->licence_no ? in->licence_no : "", -1);
    store_bind_text(s, 5, in->contact_name ? in->contact_name : "", -1);
    store_bind_text(s, 6, in->contact_phone ? in->contact_phone : "", -1);
    store_bind_i64(s, 7, time_now_ms());
    store_bind_i64(s, 8, owner);
    store_bind_i64(s, 9, owner);
    store_bind_i64(s, 10, in->id);
    store_bind_i64(s, 11, w->who->county_id);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    return market__audit(c, w->who, "market.producer.update", "producer", in->id, NULL, e);
}

int market_producer_update(struct store *st, const struct auth_principal *who,
                           const struct market_producer *in, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = producer_check(in, e)))
        return rc;
    struct producer_write w = {who, in, 0};
    return store_write(st, producer_update_fn, &w, e);
}

struct cert_write {
    const struct auth_principal *who;
    int64_t producer_id;
    const struct market_cert *c;
    int64_t id;
};

static int cert_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct cert_write *w = arg;
    int rc = producer_may_edit(c, w->who, w->producer_id, e);
    if (rc)
        return rc;
    struct store_stmt *s;
    rc = store_prepare(c,
                       "INSERT INTO market_certs (county_id, producer_id, kind, cert_no,"
                       " valid_from_ms, valid_until_ms) VALUES (?,?,?,?,?,?) RETURNING id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, w->who->county_id);
    store_bind_i64(s, 2, w->producer_id);
    store_bind_text(s, 3, w->c->kind, -1);
    store_bind_text(s, 4, w->c->cert_no ? w->c->cert_no : "", -1);
    store_bind_i64(s, 5, w->c->valid_from_ms);
    store_bind_i64(s, 6, w->c->valid_until_ms);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    w->id = store_col_i64(s, 0);
    return market__audit(c, w->who, "market.cert.add", "producer", w->producer_id, NULL, e);
}

int market_cert_add(struct store *st, const struct auth_principal *who, int64_t producer_id,
                    const struct market_cert *c, int64_t *id_out, struct err *e)
{
    int rc = market__need_seller(who, e);
    if (rc || (rc = market__one_of("kind", c->kind, cert_kinds, e)) ||
        (rc = market__text("cert_no", c->cert_no, 64, false, false, e)))
        return rc;
    if (c->valid_from_ms <= 0)
        return err_set(e, ERR_INVAL, "field 'valid_from' is required");
    if (c->valid_until_ms <= 0)
        return err_set(e, ERR_INVAL, "field 'valid_until' is required");
    if (c->valid_until_ms < c->valid_from_ms)
        return err_set(e, ERR_INVAL, "fields 'valid_from'..'valid_until' must be an ordered range");
    struct cert_write w = {who, producer_id, c, 0};
    rc = store_write(st, cert_add_fn, &w, e);
    if (!rc && id_out)
        *id_out = w.id;
    return rc;
}

/* ------------------------------------------------------------------ reads */

struct producer_read {
    const struct auth_principal *who;
    int64_t id, village_id, owner;
    struct arena *a;
    struct market_producer *items;
    size_t n, cap;
};

#define PRODUCER_COLS                                                                              \
    "SELECT id, county_id, village_id, owner_user_id, kind, name, licence_no, contact_name,"       \
    " contact_phone, created_ms, updated_ms FROM market_producers"

static int load_certs(struct store_conn *c, struct arena *a, struct market_producer *p,
                      struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, kind, cert_no, valid_from_ms, valid_until_ms"
                           " FROM market_certs WHERE producer_id = ? ORDER BY id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, p->id);
    size_t cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (p->ncerts == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct market_cert *n = arena_alloc(a, ncap * sizeof *n);
            if (p->ncerts)
                memcpy(n, p->certs, p->ncerts * sizeof *n);
            p->certs = n, cap = ncap;
        }
        struct market_cert *ct = &p->certs[p->ncerts++];
        ct->id = store_col_i64(s, 0);
        ct->kind = arena_strdup(a, store_col_text(s, 1));
        ct->cert_no = arena_strdup(a, store_col_text(s, 2));
        ct->valid_from_ms = store_col_i64(s, 3);
        ct->valid_until_ms = store_col_i64(s, 4);
    }
    return rc < 0 ? rc : 0;
}

static int producer_read_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct producer_read *r = arg;
    struct store_stmt *s;
    int rc;
    if (r->id)
        rc = store_prepare(c, PRODUCER_COLS " WHERE county_id = ? AND id = ?", &s, e);
    else
        rc = store_prepare(c,
                           PRODUCER_COLS " WHERE county_id = ? AND (? = 0 OR village_id = ?)"
                                         " AND (? = 0 OR owner_user_id = ?) ORDER BY id LIMIT ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, r->who->county_id);
    if (r->id) {
        store_bind_i64(s, 2, r->id);
    } else {
        store_bind_i64(s, 2, r->village_id);
        store_bind_i64(s, 3, r->village_id);
        store_bind_i64(s, 4, r->owner);
        store_bind_i64(s, 5, r->owner);
        store_bind_i64(s, 6, 5000);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&r->items, &r->cap, r->n + 1, sizeof *r->items);
        struct market_producer *p = &r->items[r->n++];
        memset(p, 0, sizeof *p);
        p->id = store_col_i64(s, 0);
        p->county_id = store_col_i64(s, 1);
        p->village_id = store_col_i64(s, 2);
        p->owner_user_id = store_col_i64(s, 3);
        p->kind = arena_strdup(r->a, store_col_text(s, 4));
        p->name = arena_strdup(r->a, store_col_text(s, 5));
        p->licence_no = arena_strdup(r->a, store_col_text(s, 6));
        p->contact_name = arena_strdup(r->a, store_col_text(s, 7));
        p->contact_phone = arena_strdup(r->a, store_col_text(s, 8));
        p->created_ms = store_col_i64(s, 9);
        p->updated_ms = store_col_i64(s, 10);
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->n; i++)
        if ((rc = load_certs(c, r->a, &r->items[i], e)))
            return rc;
    return 0;
}

int market_producer_get(struct store *st, const struct auth_principal *who, int64_t id,
                        struct arena *a, struct market_producer *out, struct err *e)
{
    struct producer_read r = {.who = who, .id = id, .a = a};
    int rc = store_read(st, producer_read_fn, &r, e);
    if (!rc && r.n == 0)
        rc = err_set(e, ERR_NOTFOUND, "producer %lld not found", (long long)id);
    if (!rc)
        *out = r.items[0];
    free(r.items);
    return rc;
}

int market_producer_list(struct store *st, const struct auth_principal *who, int64_t village_id,
                         int64_t owner_user_id, struct arena *a, struct market_producer **out,
                         size_t *n, struct err *e)
{
    struct producer_read r = {.who = who, .village_id = village_id, .owner = owner_user_id, .a = a};
    int rc = store_read(st, producer_read_fn, &r, e);
    *out = NULL, *n = 0;
    if (!rc && r.n) {
        *out = arena_alloc(a, r.n * sizeof **out);
        memcpy(*out, r.items, r.n * sizeof **out);
        *n = r.n;
    }
    free(r.items);
    return rc;
}
