/*
** market_int.h: private to src/market. Validation of input text and
** numbers, role checks, list packing (tags, images as newline-joined text)
** and small store helpers shared by the market files.
*/
#ifndef RL_MARKET_INT_H
#define RL_MARKET_INT_H

#include "market/market.h"

#include <stdlib.h>

/* --- roles */
bool market__is_staff(const struct auth_principal *who);     /* admin, operator */
bool market__reads_county(const struct auth_principal *who); /* staff, auditor */
/* ERR_PERM unless staff or a merchant (the roles that sell). */
int market__need_seller(const struct auth_principal *who, struct err *e);

/* --- validation (field names appear in messages) */
/* s may be NULL when !required. Valid UTF-8, at most max bytes, no control
** characters (multiline allows \n, \r and \t). */
int market__text(const char *field, const char *s, size_t max, bool required, bool multiline,
                 struct err *e);
int market__int_range(const char *field, int64_t v, int64_t lo, int64_t hi, struct err *e);
int market__tags(const char *field, const char *const *tags, size_t n, struct err *e);
int market__urls(const char *field, const char *const *urls, size_t n, struct err *e);
int market__one_of(const char *field, const char *s, const char *const *allowed, struct err *e);

/* --- lists in one text column: "a\nb\nc" */
char *market__join(struct arena *a, const char *const *items, size_t n);
/* Split into an arena array; "" gives n = 0. */
const char **market__split(struct arena *a, const char *text, size_t *n);

/* --- store helpers */
/* Prepare + bind nothing + step once expecting a row (ERR_NOTFOUND if none). */
int market__producer_owner(struct store_conn *c, int64_t county_id, int64_t producer_id,
                           int64_t *owner, int64_t *village_id, struct err *e);
/* ERR_PERM unless staff or the owner of the producer of product_id;
** ERR_NOTFOUND when the product is not in the county. */
int market__may_edit_product(struct store_conn *c, const struct auth_principal *who,
                             int64_t product_id, struct err *e);
int market__audit(struct store_conn *c, const struct auth_principal *who, const char *action,
                  const char *entity, int64_t id, const char *detail_json, struct err *e);

/* --- references checked inside a write (one primary-key lookup each).
** Unknown or of another county: ERR_INVAL "field '<field>': village <id> not
** found in this county" (the HTTP layer answers 422). */
int market__village_check(struct store_conn *c, int64_t county_id, const char *field,
                          int64_t village_id, struct err *e);
int market__node_check(struct store_conn *c, int64_t county_id, const char *field, int64_t node_id,
                       struct err *e);
/* user_id is an enabled buyer of county_id (staff ordering for someone). */
/* A user named in field `field`: of the county, enabled, and of a role in
** `roles` (AUTH_ROLE_BIT mask; `what` names them for the message).
** ERR_BADREF (422) otherwise. */
int market__user_check(struct store_conn *c, int64_t county_id, const char *field, int64_t user_id,
                       unsigned roles, const char *what, struct err *e);
/* Who may own a producer, and host a live session. */
#define MARKET__OWNER_ROLES                                                                        \
    (AUTH_ROLE_BIT(AUTH_ROLE_MERCHANT) | AUTH_ROLE_BIT(AUTH_ROLE_ADMIN) |                          \
     AUTH_ROLE_BIT(AUTH_ROLE_OPERATOR))
#define MARKET__HOST_ROLES (MARKET__OWNER_ROLES | AUTH_ROLE_BIT(AUTH_ROLE_TRAINER))
int market__buyer_check(struct store_conn *c, int64_t county_id, int64_t user_id, struct err *e);

/* --- rows to structs (the column lists the readers select) */
#define MARKET__PRODUCT_COLS                                                                       \
    "p.id, p.county_id, p.producer_id, p.village_id, p.sku, p.name_zh, p.name_en,"                 \
    " p.story_zh, p.story_en, p.category, p.unit, p.price_fen, p.weight_g, p.volume_ml,"           \
    " p.storage, p.temp_min_c, p.temp_max_c, p.rh_min_pct, p.rh_max_pct,"                          \
    " p.shelf_life_days, p.tags, p.images, p.signature, p.brand, p.active,"                        \
    " p.created_ms, p.updated_ms,"                                                                 \
    " (SELECT COALESCE(SUM(l.qty), 0) FROM market_lots l WHERE l.product_id = p.id"                \
    "   AND l.qty > 0 AND (l.expiry_ms = 0 OR l.expiry_ms > ?))"
void market__product_row(struct store_stmt *s, struct arena *a, struct market_product *p);

/* Default storage conditions of a class. */
void market__storage_defaults(enum market_storage s, struct market_product *p);
/* Validate a product as given (create/update/import). */
int market__product_check(const struct market_product *p, struct err *e);
/* Insert (update = false; sets p->id) or update one product inside a write,
** with its search-index row and audit record (product.c; CSV import too). */
int market__product_put(struct store_conn *c, const struct auth_principal *who,
                        struct market_product *p, bool update, struct arena *a, int64_t now,
                        struct err *e);

/* --- stock inside an order's write (inventory.c) */
/* Take qty units of product_id (at node_id, 0 = any) from its sellable lots,
** earliest expiry first; records allocations and stock moves. ERR_CONFLICT
** when there are not enough (nothing taken: the caller rolls back). */
int market__alloc_fefo(struct store_conn *c, int64_t county_id, int64_t product_id, int64_t node_id,
                       int64_t qty, int64_t order_id, int64_t line_no, int64_t actor, int64_t now,
                       struct err *e);
/* An offer's flash stock (live.c, inside its write): take qty units of
** product_id (at node_id, 0 = any) from its sellable lots, earliest expiry
** first, recorded in market_offer_allocs and as stock moves "offer";
** ERR_CONFLICT when they hold fewer (nothing taken). */
int market__offer_reserve(struct store_conn *c, int64_t county_id, int64_t offer_id,
                          int64_t product_id, int64_t node_id, int64_t qty, int64_t actor,
                          int64_t now, struct err *e);
/* Give qty of an offer's reserved units back to their lots, latest expiry
** first (stock moves "offer return"). *released (may be NULL) gets the units
** given back: fewer than qty only for an offer that holds fewer (made before
** offers reserved stock). */
int market__offer_release(struct store_conn *c, int64_t county_id, int64_t offer_id, int64_t qty,
                          int64_t actor, int64_t now, int64_t *released, struct err *e);
/* Forget the writer's memory of an offer (order.c) after an edit of the
** fields it keeps, or a delete. */
void market__offer_forget(struct store_conn *c, int64_t offer_id);
/* Give an order's allocated units back to their lots. */
int market__release_allocs(struct store_conn *c, int64_t county_id, int64_t order_id, int64_t actor,
                           int64_t now, struct err *e);

#endif
