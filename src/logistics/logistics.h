/*
** logistics: the county's daily logistics operations. The fleet (vehicles
** and their drivers), the travel model between network nodes, upward
** consignments (produce from villages to the hub or a cold store), daily
** dispatch plans built with the vrp engine and stored with their routes,
** stops, ETAs, loads and what was left out and why, KPIs for every plan
** (and for a county's own fixed routes imported as a baseline), approval,
** driver route sheets, tracking (positions, stop events, alerts, urgent
** insertions) and warehouse-siting analyses with the site engine.
**
** Every service takes the store and the acting principal and is scoped to
** who->county_id: an id of another county is ERR_NOTFOUND. Writes need staff
** (admin, operator) or the system (user_id 0); tracking writes need the
** driver of the route. Each write is one store_write with its store_audit row;
** a failing call writes nothing.
**
** Time. Plans are for a local date; ruralink's counties are in China, so the
** local day is UTC+8 (LOGISTICS_TZ_OFFSET_MIN). Opening hours and shifts are
** minutes of that local day; stored times are ms since the epoch UTC.
**
** Units: weights g, volumes ml, distances m, durations s, money fen, CO2 g.
*/
#ifndef RL_LOGISTICS_H
#define RL_LOGISTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/base.h"
#include "county/county.h"
#include "geo/geo.h"
#include "store/store.h"

#define LOGISTICS_TZ_OFFSET_MIN 480 /* China Standard Time, UTC+8 */
#define LOGISTICS_PLATE_BUF 32
#define LOGISTICS_TEXT_BUF 200
#define LOGISTICS_MAX_VEHICLES 500
#define LOGISTICS_MAX_WORK 20000 /* orders + consignments in one dispatch */
#define LOGISTICS_TIME_LIMIT_MAX_S 600.0

/* ---------------------------------------------------------------- handle */

/* Per-process state: the travel-matrix cache (one entry per county, keyed
** by a fingerprint of the county's nodes and the travel settings, so any
** node change or new setting invalidates it). Thread-safe. Services accept
** NULL (no cache). */
struct logistics;
int logistics_new(struct logistics **out, struct err *e);
void logistics_free(struct logistics *lg);
/* Cache hits and misses so far (tests and /metrics). */
void logistics_cache_stats(struct logistics *lg, uint64_t *hits, uint64_t *misses);

/* ----------------------------------------------------------------- fleet */

enum logistics_temp {
    LOGISTICS_TEMP_NONE = 0, /* not refrigerated */
    LOGISTICS_TEMP_CHILLED,  /* 0-8 C: carries chilled goods */
    LOGISTICS_TEMP_FROZEN,   /* -18 C: carries frozen goods */
    LOGISTICS_TEMP_MULTI,    /* two compartments: chilled and frozen */
    LOGISTICS_TEMP_COUNT
};
const char *logistics_temp_name(enum logistics_temp t); /* "none", "chilled"... */
int logistics_temp_parse(const char *s, enum logistics_temp *out);

struct logistics_vehicle {
    int64_t id;
    int64_t county_id;
    char plate[LOGISTICS_PLATE_BUF]; /* 1-31 bytes, unique in the county */
    int64_t depot_node_id;           /* a node of the county */
    int64_t capacity_g, capacity_ml; /* > 0 */
    enum logistics_temp temp;        /* NONE = not refrigerated */
    int64_t cost_per_km_fen, cost_per_hour_fen, fixed_cost_fen; /* >= 0 */
    int shift_start_min, shift_end_min; /* local day, 0 <= start < end <= 1440 */
    int64_t co2_g_per_km;               /* >= 0 */
    int64_t driver_user_id;             /* a user with role driver, or 0 */
    bool active;
    int64_t created_ms, updated_ms;
};

/* Check a vehicle's fields (not references). ERR_INVAL naming the field. */
int logistics_vehicle_check(const struct logistics_vehicle *v, struct err *e);
/* Create (v->id, county_id, timestamps filled). Depot and driver must exist
** in the county (ERR_INVAL otherwise); plate taken: ERR_EXISTS. */
int logistics_vehicle_create(struct store *st, const struct auth_principal *who,
                             struct logistics_vehicle *v, struct err *e);
/* Replace every editable field of vehicle in->id. */
int logistics_vehicle_update(struct store *st, const struct auth_principal *who,
                             struct logistics_vehicle *in, struct err *e);
int logistics_vehicle_get(struct store *st, const struct auth_principal *who, int64_t id,
                          struct logistics_vehicle *out, struct err *e);
/* Vehicles of the county by id (depot 0 = any; inactive ones only when
** include_inactive). You own *out (free()). */
int logistics_vehicle_list(struct store *st, const struct auth_principal *who,
                           int64_t depot_node_id, bool include_inactive,
                           struct logistics_vehicle **out, size_t *n, struct err *e);

/* ---------------------------------------------------------- travel model */

/* One measured pair of an imported matrix. */
struct logistics_matrix_pair {
    int64_t from_node_id, to_node_id;
    int64_t dist_m, dur_s;
};

struct logistics_travel_cfg {
    double circuity;          /* 0 = the county's own factor */
    enum geo_road_class road; /* speed class of the county's typical road */
    double speed_kmh;         /* 0 = the class's default speed */
    bool use_matrix;          /* prefer the imported matrix where it has a pair */
    int64_t version;          /* bumped by every change (output) */
    int64_t matrix_pairs;     /* imported pairs (output) */
    /* For planning: the imported pairs sorted by (from, to), borrowed;
    ** logistics_dispatch loads them, other callers may pass their own. */
    const struct logistics_matrix_pair *pairs;
    size_t n_pairs;
};
int logistics_travel_get(struct store *st, const struct auth_principal *who,
                         struct logistics_travel_cfg *out, struct err *e);
int logistics_travel_set(struct store *st, const struct auth_principal *who,
                         const struct logistics_travel_cfg *in, struct err *e);
/* Import a measured matrix: CSV with header from_node_id,to_node_id,dist_m,dur_s.
** Replaces the county's previous matrix and turns use_matrix on. All or
** nothing; errors name the line. *rows may be NULL. */
int logistics_travel_import_csv(struct store *st, const struct auth_principal *who, const char *csv,
                                size_t len, int64_t *rows, struct err *e);

/* ---------------------------------------------------------- consignments */

enum logistics_storage { /* same order as market's storage classes */
                         LOGISTICS_AMBIENT = 0,
                         LOGISTICS_CHILLED,
                         LOGISTICS_FROZEN,
                         LOGISTICS_STORAGE_COUNT
};

/* Produce going up: from a village (its service point, or the village
** itself) to the hub or a cold store, on a date (the first date it may be
** collected: an open consignment stays in every later dispatch until one
** collects it).
**
** Status: "open" (waiting, on no approved plan: new, or given back by a
** superseding approval, a failed pickup or one never reported (by its
** route's END or the end of its plan's day), or its goods' return to a
** depot) -> "planned" (an approved plan, plan_id, goes for it) ->
** "picked_up" (on that plan's vehicle) -> "delivered" (unloaded at its
** destination, or received there without a route); a picked-up
** consignment not delivered when its route's END arrives is open again,
** waiting at that depot (at_node_id). */
struct logistics_consignment {
    int64_t id;
    int64_t county_id;
    int64_t village_id;
    int64_t from_node_id;        /* a node of the village (its service point); 0 = the
                                    village's service point, or the village */
    int64_t to_node_id;          /* 0 = the depot of the dispatch */
    int64_t date_ms;             /* UTC midnight of the local date (time_parse_date) */
    int64_t weight_g, volume_ml; /* > 0 and >= 0 */
    enum logistics_storage storage;
    char description[LOGISTICS_TEXT_BUF];
    char status[16];    /* "open", "planned", "picked_up", "delivered" */
    int64_t at_node_id; /* where the goods were last unloaded: the depot they came
                           back to, or their destination once delivered; 0 = they
                           have not left their origin. The next pickup is here. */
    int64_t plan_id;    /* the approved plan holding it (planned, picked_up) or that
                           delivered it; 0 = none (open) */
    int64_t created_ms;
};
int logistics_consignment_create(struct store *st, const struct auth_principal *who,
                                 struct logistics_consignment *c, struct err *e);
/* Which consignments a list returns; zero fields do not filter. */
struct logistics_consignment_filter {
    int64_t date_ms;    /* of this date only */
    int64_t until_ms;   /* of this date or an earlier one (what a dispatch of that
                           date still takes: the open ones it finds there) */
    const char *status; /* "open", "planned", "picked_up" or "delivered" (else ERR_INVAL) */
};
/* Consignments by id (f NULL = all). You own *out (free()). */
int logistics_consignment_list(struct store *st, const struct auth_principal *who,
                               const struct logistics_consignment_filter *f,
                               struct logistics_consignment **out, size_t *n, struct err *e);
/* Staff record that an open consignment's goods reached their destination
** without a route of any plan (the sender brought them in, a hired truck
** took them): delivered there, held by no plan, audit row
** consignment.received. node_id: where; 0 = its destination (to_node_id);
** one bound for the depot (to_node_id 0) needs it (a hub or station), and
** a consignment with a destination takes no other node (ERR_INVAL, as for a
** node not of the county). Only an open one: planned, on a vehicle or
** delivered is ERR_CONFLICT, saying where it is. *out (may be NULL) gets
** its id, to_node_id, at_node_id and status. This is how a consignment no
** vehicle can carry (frozen without a frozen vehicle, heavier than any)
** leaves the dispatches that would otherwise list it for good. */
int logistics_consignment_receive(struct store *st, const struct auth_principal *who, int64_t id,
                                  int64_t node_id, struct logistics_consignment *out,
                                  struct err *e);
/* Where a consignment's goods are, from its status and at_node_id (static
** string): "origin" (waiting at from_node_id / its village), "node" (waiting
** at at_node_id, a depot they came back to), "vehicle" (picked up on a route
** of plan_id), "destination" (delivered; at_node_id names the node when
** known). */
const char *logistics_consignment_location(const struct logistics_consignment *c);

/* ------------------------------------------------------------------ plans */

enum logistics_stop_kind {
    LOGISTICS_STOP_START = 0, /* leave the depot (load deliveries) */
    LOGISTICS_STOP_DELIVERY,  /* unload orders */
    LOGISTICS_STOP_PICKUP,    /* load consignments */
    LOGISTICS_STOP_DROP,      /* unload consignments at a cold store */
    LOGISTICS_STOP_END,       /* back at the depot (unload pickups) */
    LOGISTICS_STOP_KIND_COUNT
};
const char *logistics_stop_kind_name(enum logistics_stop_kind k);

/* One line of an order as it was when the plan took it: the product, its
** names (either may be "") and how many. */
struct logistics_item_line {
    int64_t product_id;
    int64_t qty;
    const char *name_zh, *name_en;
};

/* Goods handled at a stop. */
struct logistics_item {
    int64_t order_id;       /* a market order, or 0 */
    int64_t consignment_id; /* a consignment, or 0 */
    bool load;              /* true: loaded here; false: unloaded here */
    int64_t weight_g, volume_ml;
    enum logistics_storage storage;
    const char *label; /* short English text for the CSV sheet (the HTML builds its own) */
    bool urgent;       /* an order inserted into an approved plan (logistics_insert_order) */
    /* An order's lines (NULL, 0 for consignments, and for the plans stored
    ** before lines were kept). */
    const struct logistics_item_line *lines;
    size_t n_lines;
    const char *description; /* a consignment's (NULL or "" for orders) */
};

struct logistics_stop {
    int64_t id;
    int seq; /* 0 = START, ascending */
    enum logistics_stop_kind kind;
    int64_t node_id;     /* 0 for an address */
    int64_t village_id;  /* 0 when not in a village */
    const char *name;    /* the node's or village's name; for an address, the address */
    const char *address; /* a delivery to an address (node_id 0): the order's
                            delivery address; "" otherwise */
    struct geo_point loc;
    int64_t arrive_ms, depart_ms;     /* planned (START: arrive = depart) */
    int64_t tw_start_ms, tw_end_ms;   /* service may start within */
    int64_t leg_dist_m, leg_dur_s;    /* from the previous stop */
    int64_t load_g, load_ml;          /* on board when leaving */
    int chilled_load, chilled_unload; /* chilled or frozen items loaded / unloaded */
    struct logistics_item *items;
    size_t n_items;
    char proof_code[12]; /* for proof of delivery (QR on the sheet) */
    char status[16];     /* "pending", "arrived", "delivered", "picked_up", "failed" */
    int64_t actual_ms;   /* time of the last event, 0 = none */
    const char *fail_reason;
};

struct logistics_route {
    int64_t id;
    int seq;                          /* 1-based within the plan */
    struct logistics_vehicle vehicle; /* as planned (rates used by the KPIs) */
    int64_t driver_user_id;
    struct logistics_stop *stops;
    size_t n_stops;
    int64_t delay_s; /* tracking: current delay against the plan */
};

struct logistics_unassigned {
    int64_t order_id, consignment_id;
    int64_t node_id;
    const char *reason; /* "capacity", "time_window", "no_refrigerated_vehicle",
                           "no_location", "fleet_capacity" (feasible alone but
                           the fleet is full), "not_on_route" (baseline) */
    const char *detail;
};

struct logistics_kpis {
    int64_t routes;
    int64_t stops; /* task stops (not START/END) */
    int64_t orders_served, orders_unassigned;
    int64_t consignments_served, consignments_unassigned;
    int64_t villages_served;
    int64_t distance_m;
    int64_t driving_s;  /* sum of legs */
    int64_t duration_s; /* sum of route durations (START to END) */
    int64_t cost_fen;   /* fixed + per km x distance + per hour x duration */
    int64_t co2_g;
    int64_t load_permille;       /* sum of peak loads / sum of capacities (weight), x1000 */
    int64_t lateness_s;          /* sum over stops of arrival after window end */
    int64_t chilled_transit_min; /* chilled/frozen item-minutes on board */
};

enum logistics_plan_status {
    LOGISTICS_PLAN_DRAFT = 0,
    LOGISTICS_PLAN_APPROVED,
    LOGISTICS_PLAN_SUPERSEDED,
    LOGISTICS_PLAN_STATUS_COUNT
};
const char *logistics_plan_status_name(enum logistics_plan_status s);

/* A plan in memory. Everything hangs off its arena (logistics_plan_release). */
struct logistics_plan {
    int64_t id;
    int64_t county_id;
    char kind[16]; /* "dispatch" or "baseline" */
    char name[LOGISTICS_TEXT_BUF];
    enum logistics_plan_status status;
    int64_t date_ms; /* UTC midnight of the local date */
    int64_t depot_node_id;
    struct logistics_route *routes;
    size_t n_routes;
    struct logistics_unassigned *unassigned;
    size_t n_unassigned;
    struct logistics_kpis kpis;
    double solve_s;
    int64_t created_by, approved_by;
    int64_t created_ms, approved_ms;
    struct arena arena;
};
void logistics_plan_init(struct logistics_plan *p);
void logistics_plan_release(struct logistics_plan *p);

/* KPIs from the routes and stops alone (the same code for dispatch plans,
** baselines and the bench). Pure. */
void logistics_kpis_compute(const struct logistics_plan *p, struct logistics_kpis *out);

/* A route carrying more than its vehicle takes at its fullest (a fixed
** route's: dispatch never plans one). Peaks as the KPIs take them: the most
** on board leaving any stop, or loaded at START. */
struct logistics_overload {
    int64_t route_id;
    int seq;
    int64_t vehicle_id;
    char plate[LOGISTICS_PLATE_BUF];
    int64_t peak_g, capacity_g, over_g;    /* over = peak - capacity, or 0 */
    int64_t peak_ml, capacity_ml, over_ml; /* the same in millilitres */
};
/* The routes of p over capacity by weight or volume, in route order. You
** own *out (free(); NULL when *n is 0). Pure. */
void logistics_plan_overloads(const struct logistics_plan *p, struct logistics_overload **out,
                              size_t *n);

/* The work two plans serve, as the KPIs count it served (an order unloaded,
** a consignment loaded, at a stop not failed): by both, by a alone, by b
** alone. Pure. */
struct logistics_work_overlap {
    int64_t orders_both, orders_only_a, orders_only_b;
    int64_t cons_both, cons_only_a, cons_only_b;
};
void logistics_work_overlap(const struct logistics_plan *a, const struct logistics_plan *b,
                            struct logistics_work_overlap *out);

/* ------------------------------------------------------------------ work */

/* One piece of work for the planner: an order to deliver or a consignment
** to pick up. Built from the store by the dispatch service, or by hand
** (bench, tests). */
struct logistics_work {
    int64_t order_id;       /* delivery when set */
    int64_t consignment_id; /* pickup when set */
    int64_t node_id;        /* where (0: loc) */
    int64_t village_id;
    struct geo_point loc;
    int64_t to_node_id; /* pickups: destination (0 = depot) */
    int64_t weight_g, volume_ml;
    enum logistics_storage storage;
    const char *label;
    const char *address; /* an order delivered to an address: its delivery address */
    const struct logistics_item_line *lines; /* an order's lines (may be NULL) */
    size_t n_lines;
    const char *description; /* a consignment's */
};

struct logistics_plan_params {
    double time_limit_s; /* <= 0: 10 s */
    uint64_t seed;
    int threads;            /* 0/1 = single-threaded */
    int64_t service_stop_s; /* per stop (default 300) */
    int64_t service_item_s; /* per item at a stop (default 30) */
    int (*progress)(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s);
    void *progress_arg;
};
void logistics_plan_params_default(struct logistics_plan_params *prm);

/*
** Plan a day without the store (pure but for the travel lookups it is
** given): network as loaded, the county's travel settings (NULL = estimate
** with the county's circuity at township-road speed), vehicles (all start
** and end at depot_node_id), the work. Fills out (routes, stops, ETAs,
** unassigned with reasons, KPIs); out must be initialised.
*/
int logistics_plan_build(const struct county_network *net,
                         const struct logistics_travel_cfg *travel, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work,
                         const struct logistics_plan_params *prm, struct logistics_plan *out,
                         struct err *e);

/* The same inputs with fixed routes: route r is served by veh[route_vehicle[r]]
** and visits route_nodes[r][0..route_len[r]) in order; every piece of work at
** a node of a route is done there by the first route naming the node whose
** vehicle has its temperature class; work no such route visits is
** unassigned ("not_on_route"). Windows and capacities
** are evaluated, not enforced (lateness and overloads show in the KPIs). */
int logistics_plan_fixed(const struct county_network *net,
                         const struct logistics_travel_cfg *travel, int64_t date_ms,
                         int64_t depot_node_id, const struct logistics_vehicle *veh, size_t n_veh,
                         const struct logistics_work *work, size_t n_work, const int *route_vehicle,
                         const int64_t *const *route_nodes, const size_t *route_len,
                         size_t n_routes, const struct logistics_plan_params *prm,
                         struct logistics_plan *out, struct err *e);

/* -------------------------------------------------------------- services */

struct logistics_dispatch_req {
    int64_t date_ms; /* UTC midnight of the local date; not before the county's today */
    int64_t depot_node_id;
    const char *name; /* NULL = "dispatch <date>" */
    struct logistics_plan_params params;
    int64_t now_ms; /* the time that says which day is today (0 = the clock) */
};

/* The county's today at now_ms (0 = the clock): the local date holding that
** instant, as UTC midnight of it (the form of every date_ms). */
int64_t logistics_today(int64_t now_ms);

/* What logistics_dispatch checks before it reads anything: the caller is
** staff (ERR_PERM), date_ms is a date and not before the county's today at
** req->now_ms (a plan for a day gone by would send nobody anywhere; the
** message names the date and today), the depot is an id and the time limit
** in range (ERR_INVAL). The HTTP handler runs it before it queues the job,
** so a refused request queues nothing. */
int logistics_dispatch_check(const struct auth_principal *who,
                             const struct logistics_dispatch_req *req, struct err *e);

/* Gather the work of the date for the depot (orders confirmed or packed,
** delivered to a village point or an address, less those an approved plan
** of the same date at another depot already carries; consignments open
** with this date or an earlier one, and those the depot's own approved
** plan of the date holds; a consignment whose goods came back to a depot is
** picked up there, at_node_id); plan it with the depot's active vehicles,
** store the plan as a draft (statuses unchanged: only approval decides)
** and return its id. Staff only; the request must pass
** logistics_dispatch_check (nothing is read or written otherwise). */
int logistics_dispatch(struct logistics *lg, struct store *st, const struct auth_principal *who,
                       const struct logistics_dispatch_req *req, int64_t *plan_id, struct err *e);

/* Import a county's fixed routes as a baseline plan for the date: each
** route is a vehicle (any of the county's) and its list of node ids; every
** piece of work at a node of a route is done there (logistics_plan_fixed:
** windows and capacities are evaluated, not enforced, so a route may be
** late or overloaded, see logistics_plan_overloads). Stored like any plan,
** never approved.
**
** The work. With plan_id, exactly the work that dispatch plan carries
** (each order it delivers, each consignment it picks up, from its stops),
** so that the two are compared on the same work; the plan must be a
** dispatch plan of the same date and depot (ERR_INVAL otherwise), and the
** date may be past (what the county's own loops would have done with a day
** that was planned). Without it, the work waiting for the date as dispatch
** gathers it, of every depot (including what a plan could not take), and
** the date is the county's today or later (ERR_INVAL): the work waiting
** now is not a past day's. */
struct logistics_fixed_route {
    int64_t vehicle_id;
    const int64_t *node_ids;
    size_t n_nodes;
};
struct logistics_baseline_req {
    int64_t date_ms; /* UTC midnight of the local date */
    int64_t depot_node_id;
    const char *name; /* NULL or "" = "baseline" */
    const struct logistics_fixed_route *routes;
    size_t n_routes; /* 1 to LOGISTICS_MAX_VEHICLES */
    int64_t plan_id; /* > 0: the work of this dispatch plan */
    int64_t now_ms;  /* the time that says which day is today (0 = the clock) */
};
int logistics_baseline_import(struct logistics *lg, struct store *st,
                              const struct auth_principal *who,
                              const struct logistics_baseline_req *req, int64_t *plan_id,
                              struct err *e);

/* Load a stored plan (routes, stops, items, unassigned, stored KPIs). A
** driver may load only approved plans, sees only its own routes and gets
** no proof-of-delivery codes (proof_code empty: the receiver holds it). */
int logistics_plan_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct logistics_plan *out, struct err *e);
/* Plans of the county, newest first (routes not loaded: n_routes 0); a
** driver gets only the approved plans with a route of its own. You own
** *out: release each plan, then free(). */
int logistics_plan_list(struct store *st, const struct auth_principal *who, int64_t date_ms,
                        struct logistics_plan **out, size_t *n, struct err *e);
/* Approve a draft (ERR_CONFLICT otherwise): other approved plans of the
** same date and depot become superseded. ERR_CONFLICT, naming the piece
** and the plan, when the draft carries an order that an approved plan of
** the same date at another depot carries, or a consignment that is no
** longer where the draft goes for it: delivered, picked up, held by an
** approved plan this approval does not supersede, or back at a depot
** (at_node_id) while the draft picks it up elsewhere. The plan's
** consignments become "planned", held by it (plan_id); planned ones of the
** superseded plans that it no longer carries go back to "open". Picked-up
** ones stay held by their superseded plan, whose route still unloads them
** (logistics_track_event). Staff only. */
int logistics_plan_approve(struct store *st, const struct auth_principal *who, int64_t id,
                           struct err *e);

/* ---------------------------------------------------------------- sheets */

enum logistics_sheet_format {
    LOGISTICS_SHEET_JSON = 0,
    LOGISTICS_SHEET_CSV,
    LOGISTICS_SHEET_GEOJSON,
    LOGISTICS_SHEET_HTML,
};
int logistics_sheet_format_parse(const char *s, enum logistics_sheet_format *out);
/* Route sheets of a loaded plan (route_id 0 = every route in it) appended to
** sb. Each delivery and drop stop has a QR code encoding
** "ruralink:pod:<stop id>:<proof code>", or "ruralink:pod:<stop id>" when
** the stop's proof_code is empty (a plan loaded by a driver); pickup stops
** get none. HTML pages draw it (inline SVG); JSON (the plan's shape) gives
** such a stop "qr" (the text encoded) and "qr_modules" (the code's rows,
** top to bottom, as strings of '1' dark and '0' light modules, no quiet
** zone; absent when built without libqrencode), for a page to draw it.
** ERR_UNSUPPORTED when built without libqrencode and HTML is asked. */
int logistics_sheet_write(const struct logistics_plan *p, int64_t route_id,
                          enum logistics_sheet_format fmt, struct strbuf *sb, struct err *e);

/* The language of an HTML sheet's words: Chinese, the county's (the
** default), or English. */
enum logistics_lang { LOGISTICS_LANG_ZH = 0, LOGISTICS_LANG_EN, LOGISTICS_LANG_COUNT };
/* "zh", "en": the page's lang attribute and the Content-Language. */
const char *logistics_lang_name(enum logistics_lang l);
/* "zh" or "en"; ERR_INVAL otherwise (*out untouched). */
int logistics_lang_parse(const char *s, enum logistics_lang *out);

/* What an HTML sheet says that the plan does not hold. A plain value a
** caller may fill by hand (tests); logistics_sheet_ctx_load fills it from
** the store. */
struct logistics_sheet_driver {
    int64_t user_id;
    char name[128]; /* the user's display name, else its login name */
};
struct logistics_sheet_ctx {
    enum logistics_lang lang;
    struct logistics_sheet_driver *drivers; /* any order; a route's driver
                                               not listed shows as its id */
    size_t n_drivers;
    /* English place names (loaded for LANG_EN only; empty otherwise): a
    ** node's name_en, else its village's, township's or county's name_en and
    ** its kind ("Longzhu Village service point"), else its own name; a
    ** village's name_en. Arrays by id, as county_network_load gives them. */
    struct county_network net;
};
/* Fill *out for p's HTML sheets in lang: each route's driver (a user gone
** from the county is left out) and, for English, the county's network.
** Release with logistics_sheet_ctx_release, also after a failure. */
int logistics_sheet_ctx_load(struct store *st, const struct auth_principal *who,
                             const struct logistics_plan *p, enum logistics_lang lang,
                             struct logistics_sheet_ctx *out, struct err *e);
void logistics_sheet_ctx_release(struct logistics_sheet_ctx *ctx);
/* logistics_sheet_write with the HTML in ctx's language (ctx NULL: Chinese,
** drivers by id, the plan's own place names): every fixed word, stop kinds,
** load/unload, storage classes, the vehicle's class and the plan's status
** translated; a stop named by its node (English: as ctx names it), an
** address stop by its order and address, a village pickup by its village;
** each item built from its fields (the order's lines with names and
** quantities, a consignment's description, weight in kg / 公斤, storage,
** urgent), never from the English label; times HH:MM of the county's day.
** JSON, GeoJSON and CSV (stable English columns and values, read by
** machines) do not depend on ctx. */
int logistics_sheet_write_ctx(const struct logistics_plan *p, int64_t route_id,
                              enum logistics_sheet_format fmt,
                              const struct logistics_sheet_ctx *ctx, struct strbuf *sb,
                              struct err *e);

/* -------------------------------------------------------------- tracking */

/* A route is late when its delay is more than this: the default of a GPS
** fix's threshold (logistics_track_cfg, POST /tracking/positions
** late_after_min) and the threshold of the housekeeping sweep. */
#define LOGISTICS_LATE_AFTER_S 1200

struct logistics_track_cfg {
    int64_t
        late_after_s;   /* alert when a route runs later than this (<= 0: LOGISTICS_LATE_AFTER_S) */
    int64_t corridor_m; /* alert when farther than this from the route (default 3000) */
};

enum logistics_event {
    LOGISTICS_EV_ARRIVED = 0,
    LOGISTICS_EV_DELIVERED, /* needs the stop's proof code */
    LOGISTICS_EV_PICKED_UP,
    LOGISTICS_EV_FAILED, /* needs a reason */
    LOGISTICS_EV_COUNT
};
int logistics_event_parse(const char *s, enum logistics_event *out);

/* A GPS position on a route of an approved plan (the route's driver only;
** another driver's route: ERR_PERM; staff may post for any route). Updates
** the route's delay from the position and the next pending stop (travel
** time by the road estimate), and raises "late" / "off_corridor" alerts (at
** most one open alert of each kind per route; a route back on time or in
** its corridor closes it). A position older than the route's newest one is
** stored but changes neither delay nor alerts (*delay_s is the route's
** current delay). *delay_s and *alerts_raised may be NULL. */
int logistics_track_position(struct store *st, const struct auth_principal *who,
                             const struct logistics_track_cfg *cfg, int64_t route_id,
                             struct geo_point pos, int64_t ts_ms, int64_t *delay_s,
                             int *alerts_raised, struct err *e);
/* The route's delay at now_ms (pure). Its next stop is the first task stop
** (not START or END) after the last one done (delivered, picked up or
** failed) that is not done; *next gets it (NULL when every task stop is
** done; next may be NULL). The delay is the route's stored one (the last
** GPS fix's estimate, or the last stop event's lateness), or, when the
** next stop is still pending (no arrival reported) past its planned
** arrival, now_ms - that arrival if that is more: a vehicle whose phone is
** off is late once its next stop's time has passed. *overdue (may be NULL)
** says whether that rule gave the delay. */
int64_t logistics_route_delay_at(const struct logistics_route *rt, int64_t now_ms,
                                 const struct logistics_stop **next, bool *overdue);
/* What one housekeeping sweep did. */
struct logistics_sweep_result {
    int raised;   /* late alerts raised */
    int closed;   /* late alerts closed: the route is back on time */
    int released; /* consignments open again: their pickup was never reported */
};
/* Housekeeping (the server runs it every minute), as the system, for every
** county, at now_ms (0 = the clock). Every county's local day is UTC+8
** (LOGISTICS_TZ_OFFSET_MIN): the county has no time zone of its own.
**   Late alerts, on the routes of approved plans of now_ms's local date: a
**     route whose delay by logistics_route_delay_at exceeds late_after_s
**     (<= 0: LOGISTICS_LATE_AFTER_S) and that has no open late alert gets
**     one, with that delay and that threshold: a route without GPS fixes is
**     late once its next stop is overdue. An open late alert whose route's
**     delay by the same rule is back within the threshold it was raised
**     with (a fix's, or the sweep's) is closed.
**   Pickups never reported, on approved plans whose local date is over: the
**     consignments such a plan still holds as planned go back to open, no
**     plan, where their goods are (as a failed pickup: audit row
**     consignment.pickup_failed, the reason saying it was not reported), so
**     the next dispatch collects them.
** *out (may be NULL) says what it did. */
int logistics_track_sweep(struct store *st, int64_t now_ms, int64_t late_after_s,
                          struct logistics_sweep_result *out, struct err *e);
/* Whether a route of `who` (a driver) in an approved plan of its county
** carries order_id to one of its stops: what lets the driver mark the order
** delivered (POST /api/v1/orders/{id}/status, market_order_deliver_carried). */
int logistics_driver_carries(struct store *st, const struct auth_principal *who, int64_t order_id,
                             bool *yes, struct err *e);
/* A stop event. The plan must be approved (ERR_CONFLICT), or superseded
** with goods still on board the route (then only its drops and its END);
** a driver only on its own route (another driver's: ERR_PERM). "delivered"
** needs the stop's proof code (ERR_INVAL when wrong), "failed" a reason.
** Sets the stop's status and time and the route's delay (actual - planned),
** and closes the route's open late alert when its delay by
** logistics_route_delay_at at the event's time is back within the threshold
** the alert was raised with.
** Only consignments the route's plan holds move:
**   pickup "picked_up": planned -> picked_up (and, when the route's END was
**     already reported, unloaded at once as below); also those its END or
**     the sweep reopened because this pickup was not reported, while they
**     are still open, held by no plan and picked up nowhere else (a phone
**     that queued the report);
**   pickup "failed": planned -> open, no plan (audit row with the reason);
**   drop "delivered": picked_up -> delivered, at_node_id = the drop's node;
**     ERR_CONFLICT until the route's pickup of each has been reported picked
**     up, or once the goods are no longer on board. A correction: staff
**     (not drivers) may report it after the route's END brought the goods
**     back to the depot, while each is still open there (at_node_id = the
**     END's node) and held by no plan: delivered at the drop, held by this
**     plan, audit row consignment.delivery_corrected; else ERR_CONFLICT
**     saying where the goods are now;
**   drop "failed": nothing (the goods stay on board);
**   END "arrived": whatever the vehicle has on board (picked up at or before
**     this time on any route of this vehicle, e.g. one of a plan superseded
**     while they were on board) is unloaded at the depot: delivered when
**     bound for it (to_node_id 0 or the depot), else open again with
**     at_node_id = the depot and no plan (audit row with the drop's status
**     and reason). Consignments whose pickup on this route was not reported
**     go back to open, no plan (audit row consignment.pickup_failed, reason
**     "pickup not reported"). */
int logistics_track_event(struct store *st, const struct auth_principal *who, int64_t stop_id,
                          enum logistics_event ev, const char *proof_code, const char *reason,
                          int64_t ts_ms, struct err *e);

struct logistics_alert {
    int64_t id, route_id;
    char kind[16]; /* "late", "off_corridor" */
    char detail[LOGISTICS_TEXT_BUF];
    bool open;
    int64_t ts_ms;
    /* The figure when it was raised: a late alert's delay, an off-corridor
    ** alert's distance from the route; -1 for the other kind (and for an
    ** old alert whose detail did not give it). */
    int64_t delay_s, distance_m;
};
/* The newest GPS position posted for each route of a plan that has one
** (staff, auditors), by route id. You own *out (free()). */
struct logistics_position {
    int64_t route_id;
    int64_t ts_ms;
    struct geo_point pos;
};
int logistics_last_positions(struct store *st, const struct auth_principal *who, int64_t plan_id,
                             struct logistics_position **out, size_t *n, struct err *e);

/* Alerts of a plan, newest first (staff, auditors). You own *out (free()). */
int logistics_alert_list(struct store *st, const struct auth_principal *who, int64_t plan_id,
                         struct logistics_alert **out, size_t *n, struct err *e);

/* Insert an urgent order (confirmed or packed) into an approved plan's
** remaining routes by the cheapest feasible insertion: every position after
** the last visited stop of every route whose vehicle suits the goods is
** evaluated with the vrp engine's trusted evaluator on the route as planned
** (vrp_solution_from_seqs); the cheapest feasible one is written (new stop,
** later stops re-timed), nothing else is re-planned. Routes whose END was
** reported arrived are done and take nothing. ERR_INFEASIBLE when no route
** can take it, or its delivery point is open for less than a stop's service
** (the message says time_window, dispatch's reason); ERR_CONFLICT when the
** plan is not approved, the order is already in it or on an approved plan
** of the same date at another depot, or was created after the end of the
** plan's day (dispatch's bound: a later day's work), and when a stop of the
** chosen route was reported, or the route changed, between the read and
** the write (nothing is written; calling again reads afresh). *route_id /
** *stop_id may be NULL. Staff only. */
int logistics_insert_order(struct logistics *lg, struct store *st, const struct auth_principal *who,
                           int64_t plan_id, int64_t order_id, int64_t *route_id, int64_t *stop_id,
                           struct err *e);

/* --------------------------------------------------------------- siting */

struct logistics_site_req {
    int p;                 /* > 0: p-median with p sites; 0: facility location */
    bool candidates_nodes; /* existing hubs, stations, cold stores */
    bool candidates_villages;
    int64_t fixed_cost;         /* facility location: per site, in kg x km units */
    bool fixed_cost_given;      /* fixed_cost was asked for (0 is a cost: open any site
                                   that shortens a distance); > 0 implies it */
    int64_t capacity_kg;        /* per site (0 = uncapacitated) */
    double coverage_km;         /* default 10 */
    int64_t since_ms, until_ms; /* order history window (0 = all) */
    double time_limit_s;        /* default 5 */
};
/* Demand per village from order history (kg of orders not cancelled,
** delivered to its service points or nearest village by address), candidate
** sites, the site engine on road-estimate distances, coverage (share of
** demand within coverage_km of an open site) before (existing hubs and
** stations) and after. Staff and auditors. Stored; the result JSON is
** appended to sb and its id returned. ERR_INVAL for p together with a fixed
** cost (which analysis was meant is a guess), neither, or since after
** until. */
int logistics_site_analyse(struct store *st, const struct auth_principal *who,
                           const struct logistics_site_req *req, int64_t *id, struct strbuf *sb,
                           struct err *e);
int logistics_site_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct strbuf *sb, struct err *e);

/* ------------------------------------------------------------ cold chain */

struct telemetry;
/* The cold-chain report of one route of a plan (built only with the
** telemetry module): the readings of the temperature logger bound to the
** route's vehicle (a telemetry device bound with kind "vehicle" and ref =
** the plate) from the START departure to the END arrival or now_ms, and one
** report per stop unloading chilled or frozen goods up to its delivery
** (MKT, excursions, remaining shelf life at delivery). profile NULL: the
** series' own. ERR_NOTFOUND when the plan, the route or a logger is
** missing (a driver finds only its own routes), ERR_CONFLICT before the
** route has started. You own *out. */
int logistics_route_cold_chain(struct store *st, struct telemetry *t,
                               const struct auth_principal *who, int64_t plan_id, int64_t route_id,
                               const char *profile, int64_t now_ms, struct json_object **out,
                               struct err *e);

/* ------------------------------------------------------------------ JSON */

/* API representations; you own the result (json_object_put). Times RFC 3339,
** co2_kg and load_factor as decimals beside the integer fields. */
struct json_object *logistics_vehicle_to_json(const struct logistics_vehicle *v);
struct json_object *logistics_kpis_to_json(const struct logistics_kpis *k);
/* with_routes: routes with their stops and items, the unassigned list and
** the routes over capacity ("overloaded", logistics_plan_overloads). */
struct json_object *logistics_plan_to_json(const struct logistics_plan *p, bool with_routes);
/* Two plans' KPIs side by side with the difference b - a (and percent),
** with what makes them comparable or not: the routes of each over
** capacity ("overloaded": {"a": [...], "b": [...]}), the work served by
** both and by one alone ("work") and "like_for_like": both serve the same
** orders and consignments and neither is overloaded. Plans loaded with
** their routes. */
struct json_object *logistics_compare_json(const struct logistics_plan *a,
                                           const struct logistics_plan *b);

/* ---------------------------------------------------------------- schema */

extern const struct store_migration logistics_migrations[];
extern const size_t logistics_migrations_len;
/* The module's columns that name county rows (villages, nodes), plans and
** stops included: a delivered route keeps naming its stops' villages. */
extern const struct store_ref logistics_refs[];
extern const size_t logistics_refs_len;

#endif
