/*
** market: the county's marketplace and live commerce. Producers bound to a
** village, a bilingual catalog ("one village one product"), stock per
** product per network node in lots shipped oldest-expiry first (FEFO),
** orders with an enforced status lifecycle, and live-stream sessions whose
** flash offers can never be oversold.
**
** Every function takes the store and the acting principal (`who`, from the
** HTTP layer's token or the CLI; user_id 0 = the system). Everything is
** scoped to who->county_id. Role rules:
**   - admin, operator ("staff") may write anything in the county;
**   - a merchant writes only producers it owns and their products, stock,
**     offers and orders; it reads orders that hold its products;
**   - a buyer places and reads only its own orders;
**   - an auditor reads the whole county and writes nothing.
** A refused role is ERR_PERM; a record of another county is ERR_NOTFOUND.
**
** Writes run as one store_write function each, so checks and updates (stock,
** flash stock, per-buyer limits, status) happen in the single writer and
** commit or roll back together; a failing call changes nothing. Writes by a
** person are audited (store_audit) in the same transaction.
**
** Memory: results are allocated from the caller's arena (strings included)
** and live until the arena is released. Input structs are borrowed.
**
** Units: money integer fen (never floating point), weight g, volume ml,
** times ms since the epoch UTC. Text must be valid UTF-8 within the limits
** below; violations are ERR_INVAL (ERR_TOOBIG for oversized text) with a
** message naming the field, and nothing is written.
*/
#ifndef RL_MARKET_H
#define RL_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

/* ------------------------------------------------------------------ limits */

#define MARKET_NAME_MAX 200   /* bytes: names, titles, brands, contacts */
#define MARKET_STORY_MAX 4000 /* bytes: stories, post bodies, notes */
#define MARKET_TAG_MAX 32     /* bytes per tag */
#define MARKET_TAGS_MAX 16    /* tags per item */
#define MARKET_URL_MAX 500
#define MARKET_IMAGES_MAX 10
#define MARKET_PRICE_MAX_FEN 10000000 /* 100,000 yuan per unit */
#define MARKET_QTY_MAX 100000         /* units in one order line / adjustment */
#define MARKET_LINES_MAX 100
#define MARKET_STOCK_MAX 100000000 /* units of one lot or offer */
#define MARKET_LIST_MAX 500        /* rows per list page */

/* --------------------------------------------------------------- producers */

struct market_cert {
    int64_t id;
    const char *kind; /* "green_food", "organic", "geographical_indication" */
    const char *cert_no;
    int64_t valid_from_ms;
    int64_t valid_until_ms;
};

struct market_producer {
    int64_t id;
    int64_t county_id;
    int64_t village_id;    /* county module's village id */
    int64_t owner_user_id; /* the merchant account that owns it */
    const char *kind;      /* "cooperative", "family_farm", "company", "individual" */
    const char *name;
    const char *licence_no;
    const char *contact_name;
    const char *contact_phone;
    struct market_cert *certs;
    size_t ncerts;
    int64_t created_ms;
    int64_t updated_ms;
};

/* Create (in->id ignored) or update (market_producer_update) a producer.
** A merchant's producer is always owned by itself; staff may name any owner
** (0 = the caller). */
int market_producer_create(struct store *st, const struct auth_principal *who,
                           const struct market_producer *in, int64_t *id_out, struct err *e);
int market_producer_update(struct store *st, const struct auth_principal *who,
                           const struct market_producer *in, struct err *e);
/* Add a certification (validity: valid_from_ms <= valid_until_ms). */
int market_cert_add(struct store *st, const struct auth_principal *who, int64_t producer_id,
                    const struct market_cert *c, int64_t *id_out, struct err *e);
int market_producer_get(struct store *st, const struct auth_principal *who, int64_t id,
                        struct arena *a, struct market_producer *out, struct err *e);
/* village_id / owner_user_id 0 = any. */
int market_producer_list(struct store *st, const struct auth_principal *who, int64_t village_id,
                         int64_t owner_user_id, struct arena *a, struct market_producer **out,
                         size_t *n, struct err *e);

/* ----------------------------------------------------------------- catalog */

enum market_storage {
    MARKET_STORAGE_AMBIENT = 0,
    MARKET_STORAGE_CHILLED,
    MARKET_STORAGE_FROZEN,
    MARKET_STORAGE_COUNT
};
const char *market_storage_name(enum market_storage s); /* "ambient"... */
int market_storage_parse(const char *s, enum market_storage *out);
/* The class's default commodity conditions (used when a product gives none). */
void market_storage_conditions(enum market_storage s, double *temp_min_c, double *temp_max_c,
                               double *rh_min_pct, double *rh_max_pct);

struct market_product {
    int64_t id;
    int64_t county_id;
    int64_t producer_id;
    int64_t village_id;  /* origin village; 0 on input = the producer's */
    const char *sku;     /* unique in the county; NULL/"" on create = "P<id>" */
    const char *name_zh; /* at least one of name_zh / name_en */
    const char *name_en;
    const char *story_zh;
    const char *story_en;
    const char *category; /* "fruit", "tea", "fungi", "honey", ... */
    const char *unit;     /* "box 5 kg", "jar 500 g", "piece" */
    int64_t price_fen;    /* 1 .. MARKET_PRICE_MAX_FEN */
    int64_t weight_g;     /* per unit, >= 0 */
    int64_t volume_ml;    /* per unit, >= 0 */
    enum market_storage storage;
    /* Commodity conditions; when has_conditions is false on input the
    ** storage class's defaults are used. */
    bool has_conditions;
    double temp_min_c, temp_max_c;
    double rh_min_pct, rh_max_pct;
    int32_t shelf_life_days; /* 0 = not perishable */
    const char **tags;       /* cultural / topic tags */
    size_t ntags;
    const char **images; /* http(s) URLs */
    size_t nimages;
    bool signature; /* the village's "one village one product" */
    const char *brand;
    bool active;   /* listed for sale (input: create always true) */
    int64_t stock; /* output: sellable units on hand, all nodes */
    int64_t created_ms;
    int64_t updated_ms;
};

int market_product_create(struct store *st, const struct auth_principal *who,
                          const struct market_product *in, int64_t *id_out, struct err *e);
/* Replace every editable field of product in->id (producer stays). */
int market_product_update(struct store *st, const struct auth_principal *who,
                          const struct market_product *in, struct err *e);
int market_product_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct arena *a, struct market_product *out, struct err *e);

/* A certification kind: green_food, organic or geographical_indication. */
bool market_cert_kind_known(const char *kind);

struct market_search {
    const char *q;      /* words matched in names, stories, tags; NULL = all.
                           Words of 3+ characters use the FTS5 trigram
                           index, shorter ones a LIKE scan. */
    int64_t village_id; /* 0 = any */
    int64_t producer_id;
    const char *category;
    int storage;           /* -1 = any, else enum market_storage */
    const char *cert_kind; /* producer holds it, valid now */
    int signature;         /* 0 = any, 1 = signature products only, -1 = the others */
    bool include_inactive;
    int64_t min_price_fen, max_price_fen; /* 0 = no bound */
    int64_t limit, offset;                /* limit 0 = 50, at most MARKET_LIST_MAX */
};
int market_product_search(struct store *st, const struct auth_principal *who,
                          const struct market_search *q, struct arena *a,
                          struct market_product **out, size_t *n, struct err *e);

/* CSV import/export. Columns (header row required, any order, unknown
** columns refused): sku, producer_id, village_id, name_zh, name_en,
** story_zh, story_en, category, unit, price_fen, weight_g, volume_ml,
** storage, temp_min_c, temp_max_c, rh_min_pct, rh_max_pct, shelf_life_days,
** tags ('|'-separated), images ('|'-separated), signature (0/1), brand,
** active (0/1). Rows are matched on sku: existing products are updated, new
** ones created. All or nothing: one bad row and nothing is written; every
** bad row is reported. */
struct market_csv_error {
    int64_t row; /* 1 = first data row (line 2 of the file) */
    char msg[200];
};
struct market_csv_result {
    int64_t created, updated;
    struct market_csv_error *errors; /* arena */
    size_t nerrors;
};
#define MARKET_CSV_MAX_ROWS 10000
int market_products_import_csv(struct store *st, const struct auth_principal *who, const char *csv,
                               size_t len, struct arena *a, struct market_csv_result *res,
                               struct err *e);
/* Every product the caller may see (a merchant: its own), as CSV. */
int market_products_export_csv(struct store *st, const struct auth_principal *who,
                               struct strbuf *out, struct err *e);

/* --------------------------------------------------------------- inventory */

struct market_lot {
    int64_t id;
    int64_t county_id;
    int64_t product_id;
    int64_t node_id; /* county network node holding it */
    const char *lot_code;
    int64_t harvest_ms; /* 0 = unknown */
    int64_t pack_ms;
    int64_t expiry_ms; /* 0 on input = pack (or harvest, or now) + shelf life;
                          0 on output = does not expire */
    int64_t qty;       /* units on hand */
    int64_t created_ms;
};

/* Receive a lot (qty >= 1); audited. */
int market_lot_add(struct store *st, const struct auth_principal *who, const struct market_lot *in,
                   int64_t *id_out, struct err *e);
/* Correct a lot by delta (loss, damage, count): never below zero (ERR_CONFLICT);
** reason required; audited and kept in market_stock_moves. */
int market_stock_adjust(struct store *st, const struct auth_principal *who, int64_t lot_id,
                        int64_t delta, const char *reason, struct err *e);
/* Which lots market_inventory_list reads; ids 0 = any. */
#define MARKET_LOTS_MAX 5000 /* lots in one answer */
struct market_lot_query {
    int64_t product_id, node_id, lot_id;
    bool include_empty;    /* also lots with qty 0 */
    int64_t limit, offset; /* limit 0 = MARKET_LOTS_MAX, at most that */
};
struct market_lot_page {
    struct market_lot *items; /* by product, each product's oldest expiry first (FEFO) */
    size_t n;
    int64_t total_qty; /* units on every lot the query matches, not just this page */
    int64_t matched;   /* lots the query matches */
};
/* Lots (with qty > 0 unless include_empty) for staff and auditors; a
** merchant sees its own goods' lots, others ERR_PERM. */
int market_inventory_list(struct store *st, const struct auth_principal *who,
                          const struct market_lot_query *q, struct arena *a,
                          struct market_lot_page *out, struct err *e);

/* ------------------------------------------------------------------ orders */

enum market_status {
    MARKET_PLACED = 0,
    MARKET_CONFIRMED,
    MARKET_PACKED,
    MARKET_SHIPPED,
    MARKET_DELIVERED,
    MARKET_CANCELLED,
    MARKET_REFUNDED,
    MARKET_STATUS_COUNT
};
const char *market_status_name(enum market_status s);
int market_status_parse(const char *s, enum market_status *out);
/* The lifecycle: placed -> confirmed -> packed -> shipped -> delivered;
** placed/confirmed/packed -> cancelled; delivered -> refunded. */
bool market_transition_allowed(enum market_status from, enum market_status to);

struct market_line_req {
    int64_t product_id; /* a catalog line (stock from lots, FEFO) ... */
    int64_t offer_id;   /* ... or a live offer (its flash stock only) */
    int64_t qty;        /* 1 .. MARKET_QTY_MAX */
    int64_t node_id;    /* product lines: ship from this node (0 = any) */
};

struct market_order_req {
    int64_t buyer_user_id;        /* 0 = the caller; only staff may order for others,
                                     who must be enabled buyers of the county */
    const char *idem_key;         /* optional; a repeat by the same buyer returns the
                                     first order (replayed = true), a different
                                     request under the same key is ERR_CONFLICT */
    int64_t delivery_node_id;     /* a node of the county (a village service
                                     point), or 0 and ... */
    const char *delivery_address; /* ... an address with coordinates */
    bool has_coords;
    double lat, lon;
    const char *payment_method; /* "cod" (default), "bank_transfer", "external" */
    const char *payment_ref;    /* provider reference for "external" */
    const char *note;
    const struct market_line_req *lines;
    size_t nlines;  /* 1 .. MARKET_LINES_MAX */
    int64_t now_ms; /* 0 = the clock (seeds and tests pass a time) */
};

struct market_order_line {
    int64_t line_no; /* 1-based */
    int64_t product_id;
    int64_t offer_id; /* 0 for catalog lines */
    int64_t qty;
    int64_t unit_price_fen;
    int64_t line_total_fen; /* qty * unit_price_fen */
};

struct market_status_change {
    int from; /* -1 for the creation */
    enum market_status to;
    int64_t ts_ms;
    int64_t actor_user_id;
    const char *note;
};

struct market_order {
    int64_t id;
    int64_t county_id;
    int64_t buyer_user_id;
    enum market_status status;
    int64_t delivery_node_id;
    const char *delivery_address;
    bool has_coords;
    double lat, lon;
    int64_t total_fen; /* sum of line totals */
    int64_t units;
    const char *payment_status; /* "unpaid", "paid", "refunded" */
    const char *payment_method;
    const char *payment_ref;
    const char *note;
    int64_t session_id; /* live session of its offers, 0 = none */
    const char *idem_key;
    int64_t created_ms;
    int64_t updated_ms;
    struct market_order_line *lines;
    size_t nlines;
    struct market_status_change *history; /* get only; oldest first */
    size_t nhistory;
    bool replayed; /* place: answered from the idempotency key */
};

/* Place an order: prices, stock and flash stock are checked and taken in one
** write; *out (may be NULL) gets the stored order, its strings and lines in
** arena a (a may be NULL only when out is NULL). */
int market_order_place(struct store *st, const struct auth_principal *who,
                       const struct market_order_req *req, struct arena *a,
                       struct market_order *out, struct err *e);
/* Placing in two halves, for callers that queue the write themselves (an
** HTTP handler on an I/O thread with http_write_async, store_submit):
** market_order_job_new checks the request and prepares the write in arena a
** (who, req and the strings it points to must stay valid until the result
** is taken); market_order_job_fn is the store_fn to queue with the job as
** its arg; once that write has committed (rc 0), market_order_job_result
** fills *out as market_order_place does (strings and lines in arena a).
** market_order_place is exactly these three steps with store_write_flags. */
struct market_order_job;
int market_order_job_new(const struct auth_principal *who, const struct market_order_req *req,
                         struct arena *a, struct market_order_job **out, struct err *e);
int market_order_job_fn(struct store_conn *c, void *job, struct err *e);
/* The store flags to queue the job with (STORE_CHECKS_FIRST when every line
** is an offer line: such an order refuses before its first write). */
unsigned market_order_job_flags(const struct market_order_job *j);
void market_order_job_result(struct market_order_job *j, struct market_order *out);
/* Move an order to `to`. An illegal transition is ERR_CONFLICT and changes
** nothing. Cancelling returns units to their lots and flash stock. now_ms 0
** = the clock. */
int market_order_transition(struct store *st, const struct auth_principal *who, int64_t order_id,
                            enum market_status to, const char *note, int64_t now_ms, struct err *e);
/* A driver marks an order it carries delivered (shipped -> delivered; any
** other status is ERR_CONFLICT and changes nothing) and gets the order
** back in *out (allocated in a). The caller has found the order on one of
** the driver's routes (logistics_driver_carries): market does not see
** routes, logistics sits above it. */
int market_order_deliver_carried(struct store *st, const struct auth_principal *who,
                                 int64_t order_id, const char *note, int64_t now_ms,
                                 struct arena *a, struct market_order *out, struct err *e);
/* Record payment: status "unpaid"/"paid"/"refunded", method, reference. */
int market_order_pay(struct store *st, const struct auth_principal *who, int64_t order_id,
                     const char *payment_status, const char *method, const char *ref,
                     struct err *e);
int market_order_get(struct store *st, const struct auth_principal *who, int64_t id,
                     struct arena *a, struct market_order *out, struct err *e);

struct market_order_filter {
    int status;            /* -1 = any */
    int64_t buyer_user_id; /* 0 = any (a buyer always sees only its own) */
    int64_t session_id;
    int64_t since_ms, until_ms; /* created in [since, until); 0 = open */
    /* Orders moved into one of these statuses (bits 1u << status) at a time
    ** in [reached_since_ms, reached_until_ms) ("shipped today"); 0 = any. */
    unsigned reached_mask;
    int64_t reached_since_ms, reached_until_ms;
    int64_t limit, offset;
};
/* Newest first; lines included, history not. */
int market_order_list(struct store *st, const struct auth_principal *who,
                      const struct market_order_filter *f, struct arena *a,
                      struct market_order **out, size_t *n, struct err *e);

/* ------------------------------------------------------------ live commerce */

struct market_session {
    int64_t id;
    int64_t county_id;
    int64_t host_user_id; /* 0 on input = the caller */
    int64_t village_id;
    const char *title;
    const char **tags;
    size_t ntags;
    int64_t start_ms, end_ms; /* start < end, at most 24 h apart */
    int64_t created_ms;
    int64_t closed_ms; /* output: when market_session_close ran, 0 = open */
};
struct market_post {
    int64_t id;
    int64_t session_id;
    const char *body;
    const char **tags;
    size_t ntags;
    int64_t scheduled_ms;
    int64_t created_ms;
};
struct market_offer {
    int64_t id;
    int64_t session_id;
    int64_t product_id;
    int64_t node_id; /* node whose lots hold the flash stock; 0 on input =
                        any node of the county (earliest expiry first) */
    int64_t flash_price_fen;
    int64_t flash_stock;     /* units set aside for the session (reserved from lots) */
    int64_t sold;            /* output: units in live (not cancelled) orders */
    int64_t returned;        /* output: unsold units given back at the close */
    int64_t per_buyer_limit; /* 0 = no limit */
};

/* Sessions: hosted by the caller (merchant) or anyone (staff). */
int market_session_create(struct store *st, const struct auth_principal *who,
                          const struct market_session *in, int64_t *id_out, struct err *e);
int market_session_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct arena *a, struct market_session *out, struct err *e);
/* from_ms: sessions ending after it (0 = all); newest start first. */
int market_session_list(struct store *st, const struct auth_principal *who, int64_t from_ms,
                        struct arena *a, struct market_session **out, size_t *n, struct err *e);
/* Posts and offers: staff or the session's host. */
int market_post_add(struct store *st, const struct auth_principal *who,
                    const struct market_post *in, int64_t *id_out, struct err *e);
int market_post_list(struct store *st, const struct auth_principal *who, int64_t session_id,
                     struct arena *a, struct market_post **out, size_t *n, struct err *e);
/* Reserving flash stock: an offer's flash_stock units are taken from the
** product's sellable lots (at node_id, or any node of the county) earliest
** expiry first when it is made or raised, recorded per lot
** (market_offer_allocs) and as stock moves (reason "offer", with the offer
** id), audited; ERR_CONFLICT when the lots do not hold enough, and nothing
** is taken. Orders against the offer then take only its flash stock.
** Lowering the stock, deleting the offer and closing its session give the
** unsold units back to the lots they came from (latest expiry first, stock
** moves "offer return"). Refused (ERR_CONFLICT) once the session is closed. */
int market_offer_add(struct store *st, const struct auth_principal *who,
                     const struct market_offer *in, int64_t *id_out, struct err *e);
/* Set offer_id's flash stock (1..MARKET_STOCK_MAX, never below its sold
** units: ERR_CONFLICT); the offer must be of session_id (else ERR_NOTFOUND).
** Staff or the host. */
int market_offer_set_stock(struct store *st, const struct auth_principal *who, int64_t session_id,
                           int64_t offer_id, int64_t flash_stock, struct err *e);
/* Delete an offer no order ever named (else ERR_CONFLICT: lower its stock
** instead), giving its units back. Staff or the host. */
int market_offer_delete(struct store *st, const struct auth_principal *who, int64_t session_id,
                        int64_t offer_id, struct err *e);
/* Close a session (staff or the host; any time, typically after its end):
** every offer's unsold units go back to their lots (counted in `returned`,
** flash_stock becomes its sold units, so nothing more sells), closed_ms is
** set; closing twice is ERR_CONFLICT. An order of a closed session that is
** cancelled later gives its units back to the lots, not to the offer.
** Until the close, unsold flash stock stays reserved (also after end_ms).
** now_ms 0 = the clock. */
int market_session_close(struct store *st, const struct auth_principal *who, int64_t session_id,
                         int64_t now_ms, struct err *e);
/* Housekeeping (the server runs it every minute): close, as the system
** (actor 0 in the audit), every session of any county whose end_ms has
** passed and that nobody closed, so unsold flash stock goes back to the
** lots without anyone having to remember. Up to 100 per call; *closed
** says how many. now_ms 0 = the clock. */
int market_sessions_close_ended(struct store *st, int64_t now_ms, int *closed, struct err *e);
int market_offer_list(struct store *st, const struct auth_principal *who, int64_t session_id,
                      struct arena *a, struct market_offer **out, size_t *n, struct err *e);

struct market_minute {
    int64_t minute; /* minutes since the session start */
    int64_t orders, units, gmv_fen;
};
struct market_report {
    int64_t session_id;
    int64_t orders; /* not cancelled */
    int64_t units;
    int64_t gmv_fen;
    int64_t unique_buyers;
    int64_t flash_stock;         /* all offers, with the units returned at the close */
    int64_t sell_through_bp;     /* units / flash_stock in basis points (1/10000) */
    struct market_minute *curve; /* every minute of the session (and any order
                                    after it), zeros included */
    size_t ncurve;
};
/* Staff, auditors and the host. */
int market_session_report(struct store *st, const struct auth_principal *who, int64_t id,
                          struct arena *a, struct market_report *out, struct err *e);

/* ------------------------------------------------------------ dispatch view */

/* For logistics (dispatch planning, demand analyses): orders with their
** delivery point, goods totals and coldest storage class, read in one
** snapshot (src/market/dispatch_view.c). Read-only. */
#define MARKET_DISPATCH_MAX 20000 /* orders in one answer unless limit says */

struct market_dispatch_filter {
    unsigned status_mask;       /* bits (1u << enum market_status); 0 = confirmed|packed */
    int64_t since_ms, until_ms; /* created in [since, until); until 0 = open */
    int64_t limit;              /* 0 = MARKET_DISPATCH_MAX; more rows: ERR_TOOBIG */
};

struct market_dispatch_line {
    int64_t product_id;
    int64_t qty;
    int64_t weight_g, volume_ml; /* line totals: qty x the product's unit figures */
    enum market_storage storage;
    const char *name; /* product name (zh, else en) */
};

struct market_dispatch_order {
    int64_t order_id;
    int64_t buyer_user_id;
    enum market_status status;
    int64_t delivery_node_id; /* 0 when delivered to an address */
    const char *delivery_address;
    bool has_coords;
    double lat, lon;
    int64_t weight_g, volume_ml; /* sums over lines */
    enum market_storage storage; /* coldest class among the lines */
    int64_t created_ms;
    struct market_dispatch_line *lines;
    size_t nlines;
};

/* Orders of who's county matching f (NULL = confirmed or packed, any time),
** oldest first, lines included; staff and auditors only (ERR_PERM). Results
** live in the arena a. */
int market_dispatch_orders(struct store *st, const struct auth_principal *who,
                           const struct market_dispatch_filter *f, struct arena *a,
                           struct market_dispatch_order **out, size_t *n, struct err *e);

/* ------------------------------------------------------------- references */

/* Village and network-node ids (producers, products, sessions, lots,
** offers, orders and their lines) must name rows of the county module in
** the caller's county, and a buyer_user_id given by staff an enabled buyer
** account of the county; each is checked inside the write that stores it
** (one primary-key lookup). A refusal is ERR_BADREF (HTTP 422) with a
** message like "field 'village_id': village 999 not found in this county"
** and writes nothing. */

/* ------------------------------------------------------------------ schema */

extern const struct store_migration market_migrations[];
extern const size_t market_migrations_len;
/* The module's columns that name county rows (villages, nodes): the county
** module refuses to delete a row one of them names (store_ref_find). */
extern const struct store_ref market_refs[];
extern const size_t market_refs_len;

#endif
