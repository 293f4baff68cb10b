/*
** logistics_int.h: private to src/logistics. Shared checks, the travel
** matrix between planning locations, the plan <-> vrp conversion and the
** plan store.
*/
#ifndef RL_LOGISTICS_INT_H
#define RL_LOGISTICS_INT_H

#include "logistics/logistics.h"
#include "vrp/vrp.h"

#include <pthread.h>

#define LG_DAY_MS INT64_C(86400000)
#define LG_TZ_MS ((int64_t)LOGISTICS_TZ_OFFSET_MIN * 60000)
/* ms since the epoch of second t of the local day of date_ms. */
static inline int64_t lg__ms_of(int64_t date_ms, int64_t t_s)
{
    return date_ms - LG_TZ_MS + t_s * 1000;
}

/* The end of date_ms's local day. A plan of the date takes the orders
** created before it: dispatch asks market for those alone, and urgent
** insertion refuses a later one (it is a later day's work). */
static inline int64_t lg__day_end_ms(int64_t date_ms)
{
    return lg__ms_of(date_ms, 86400);
}

/* Staff or the system; ERR_PERM otherwise. */
int logistics__need_staff(const struct auth_principal *who, struct err *e);
bool logistics__reads_county(const struct auth_principal *who); /* staff, auditor */
int logistics__audit(struct store_conn *c, const struct auth_principal *who, const char *action,
                     const char *entity, int64_t id, const char *detail, struct err *e);

/* Tracking without a report (sweep.c). A new open alert with its figure at
** raise time: a late one's delay and the threshold it was raised with, an
** off-corridor one's distance (late_after_s unused). */
int logistics__alert_insert(struct store_conn *c, int64_t county_id, int64_t plan_id,
                            int64_t route_id, const char *kind, const char *detail, int64_t figure,
                            int64_t late_after_s, int64_t ts_ms, struct err *e);
/* The route's late alert against its delay by logistics_route_delay_at at
** now_ms: each open one whose route is back within the threshold it was
** raised with is closed (*closed counts them); with raise_after_s > 0 and
** none left open, a delay over raise_after_s raises one (*raised). raised
** and closed may be NULL. */
int logistics__late_review(struct store_conn *c, int64_t county_id, int64_t plan_id,
                           int64_t route_id, int64_t now_ms, int64_t raise_after_s, int *raised,
                           int *closed, struct err *e);
/* Consignment id open again, no plan, where its goods are, because its
** pickup (stop_id of route_id, plan_id) failed or will not happen: audit
** row consignment.pickup_failed {stop_id, route_id, plan_id, reason} by
** who. */
/* Every row of s read as its first ncols columns (int64), row after row,
** into *out (yours to free; NULL when none), *nrows rows: for the writes
** that follow a read of the rows they change, which must not run while the
** read still steps. On error nothing is kept. */
int logistics__rows_i64(struct store_stmt *s, int ncols, int64_t **out, size_t *nrows,
                        struct err *e);
int logistics__cons_reopen(struct store_conn *c, const struct auth_principal *who, int64_t id,
                           int64_t stop_id, int64_t route_id, int64_t plan_id, const char *reason,
                           struct err *e);

/* A node-to-node matrix for a county (immutable once built, refcounted). */
struct logistics__nodemat {
    int64_t county_id;
    uint64_t fingerprint;
    size_t n;
    int64_t *node_ids; /* ascending */
    int64_t *dist_m;   /* n x n */
    int64_t *dur_s;
    int refs; /* guarded by the cache mutex */
};
struct logistics {
    pthread_mutex_t mu;
    struct logistics__nodemat **entries;
    size_t n_entries, cap;
    uint64_t hits, misses;
    /* Tests only: called by urgent insertion between its read of the plan
    ** and its write (outside any store call), to change the route there. */
    void (*insert_hook)(void *arg, int64_t plan_id, int64_t route_id);
    void *insert_hook_arg;
};
/* The matrix of net's active nodes under cfg: from the cache of lg (built
** and cached on a miss), or built afresh when lg is NULL. Release with
** logistics__nodemat_put. */
struct logistics__nodemat *logistics__nodemat_get(struct logistics *lg,
                                                  const struct county_network *net,
                                                  const struct logistics_travel_cfg *cfg);
void logistics__nodemat_put(struct logistics *lg, struct logistics__nodemat *m);
/* Travel between two points: matrix (imported pair, then node matrix) when
** both are nodes, else the road estimate. */
void logistics__travel(const struct county_network *net, const struct logistics_travel_cfg *cfg,
                       const struct logistics__nodemat *m, int64_t from_node, struct geo_point a,
                       int64_t to_node, struct geo_point b, int64_t *dist_m, int64_t *dur_s);

/* A stop's rules, which dispatch (plan.c) and urgent insertion (insert.c)
** both apply: written once here so that the two cannot drift apart. */
#define LG_SERVICE_STOP_S 300        /* service per stop (logistics_plan_params' default) */
#define LG_SERVICE_ITEM_S 30         /* and per item at it: an urgent stop is one item */
#define LG_ADDRESS_OPEN_MIN (8 * 60) /* a delivery to an address (no node): 08:00-20:00 */
#define LG_ADDRESS_CLOSE_MIN (20 * 60)
/* A node's closing time as a stop's: a close not after its opening means
** none was set (open until midnight). */
static inline int lg__node_close_min(const struct county_node *nd)
{
    return nd->close_min > nd->open_min ? nd->close_min : 1440;
}
/* vrp skills: bit 0 chilled, bit 1 frozen. What goods of a storage class
** need, and what a vehicle of a temperature class has (multi: both). */
#define LG_SKILL_CHILLED 1u
#define LG_SKILL_FROZEN 2u
uint64_t logistics__storage_skills(enum logistics_storage s);
uint64_t logistics__vehicle_skills(enum logistics_temp t);

/* The window on the start of a stop's service (seconds of the local day)
** at a place open from open_min to close_min (minutes of the local day),
** for a service of service_s: start after opening, end by closing. False
** when the place is open for less than the service (close - service <
** open): no vehicle can serve it, and *tw is then [open, open], which ends
** the service after closing (fixed routes visit it so, late). Dispatch
** leaves such work unassigned (time_window); urgent insertion refuses it. */
bool logistics__service_window(int open_min, int close_min, int64_t service_s, struct vrp_tw *tw);

/* Plan building with an optional cached node matrix (plan_build uses NULL). */
int logistics__plan_make(const struct county_network *net,
                         const struct logistics_travel_cfg *travel,
                         const struct logistics__nodemat *nm, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work, const int *route_vehicle,
                         const int64_t *const *route_nodes, const size_t *route_len,
                         size_t n_routes, const struct logistics_plan_params *prm,
                         struct logistics_plan *out, struct err *e);

/* Store a built plan (its routes, stops, items, unassigned, KPIs) inside a
** write; sets p->id and every route and stop id. */
int logistics__plan_insert(struct store_conn *c, const struct auth_principal *who,
                           struct logistics_plan *p, struct err *e);
/* Load a plan inside a read (no role filtering). */
int logistics__plan_load(struct store_conn *c, int64_t county_id, int64_t id,
                         struct logistics_plan *p, struct err *e);
/* Reads the county's travel settings and pairs inside a read (pairs malloc'd
** into *pairs: free()). */
int logistics__travel_load(struct store_conn *c, int64_t county_id,
                           struct logistics_travel_cfg *out, struct logistics_matrix_pair **pairs,
                           struct err *e);

/* An order's lines as stored with its stop items (lg_stop_items.lines_json,
** migration 5): a JSON array of {product_id, qty, name_zh, name_en}; ""
** for none. You own the result (free()). */
char *logistics__lines_encode(const struct logistics_item_line *l, size_t n);
/* Back from that text into arena a; "" or text that does not parse gives
** none (*out NULL, *n 0). */
void logistics__lines_decode(const char *txt, struct arena *a, struct logistics_item_line **out,
                             size_t *n);
/* The JSON of lines (the API's item "lines"). */
struct json_object *logistics__lines_json(const struct logistics_item_line *l, size_t n);

/* Product names for an order's lines: each product read once from market
** (market_product_get) into a cache kept by the caller (zeroed to start,
** released with logistics__names_release); a product market cannot give
** keeps the line's own name as name_zh. */
struct market_dispatch_order;
struct logistics__names {
    struct logistics__name {
        int64_t product_id;
        const char *zh, *en;
    } * v;
    size_t n, cap;
};
void logistics__names_release(struct logistics__names *c);
/* The order's lines with both names, in arena a (*out NULL when it has
** none). ERR_* only on a store error. */
int logistics__order_lines(struct store *st, const struct auth_principal *who,
                           const struct market_dispatch_order *o, struct logistics__names *cache,
                           struct arena *a, struct logistics_item_line **out, size_t *n,
                           struct err *e);

/* A fresh 6-digit proof-of-delivery code (getrandom). */
void logistics__proof_code(char out[12]);

/* Vehicle JSON (stored with each route, so a plan keeps the rates it was
** made with) and back. */
struct json_object *logistics__vehicle_json(const struct logistics_vehicle *v);
int logistics__vehicle_from_json(struct json_object *o, struct logistics_vehicle *v);

#endif
