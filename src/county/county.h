/*
** county: the county's service network as data. Counties, their townships
** and villages (population, households, coordinates), and the logistics
** nodes of the three-tier network: one or more county hubs, a station per
** township, service points in villages, and cold stores, linked by parent
** ids (hub <- station <- point).
**
** Plain C services over struct store. Every call takes the acting principal
** (auth_principal) and is scoped to its county: an id of another county is
** ERR_NOTFOUND, never ERR_PERM, so callers cannot probe other tenants.
** Writes need an admin or operator (or the system: user_id 0 and device_id 0,
** i.e. the CLI and the demo seeder); each runs in one store_write together
** with its store_audit row.
**
** Strings in the structs are fixed buffers, NUL-terminated. Names are 1 to
** COUNTY_NAME_MAX_CHARS characters of valid UTF-8 without control characters
** (English names may be empty). Units: coordinates WGS84 degrees, weights
** grams, volumes millilitres, times ms since the epoch, opening hours
** minutes of the local day [0, 1440].
**
** Lists are keyset-paginated by id: pass the returned cursor (opaque text,
** "" when there is no further page) to get the next page; pages never skip
** or repeat a row, whatever is inserted meanwhile.
*/
#ifndef RL_COUNTY_H
#define RL_COUNTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/base.h"
#include "geo/geo.h"
#include "store/store.h"

struct json_object;

#define COUNTY_NAME_MAX_CHARS 64 /* characters (code points) */
#define COUNTY_NAME_BUF 260      /* bytes incl. NUL: 64 chars x 4 bytes + 1 */
#define COUNTY_CODE_BUF 33       /* county codes: 1-32 of [A-Za-z0-9_-] */
#define COUNTY_CURSOR_BUF 32
#define COUNTY_LIST_DEFAULT 50
#define COUNTY_LIST_MAX 500
#define COUNTY_BATCH_MAX 5000 /* rows in one *_create_many */

/* ------------------------------------------------------------------ records */

struct county {
    int64_t id;
    char code[COUNTY_CODE_BUF]; /* e.g. administrative division code */
    char name_zh[COUNTY_NAME_BUF];
    char name_en[COUNTY_NAME_BUF];
    double circuity; /* road / great-circle distance, 1.0-4.0 */
    struct geo_point center;
    int64_t created_ms, updated_ms;
};

struct county_township {
    int64_t id;
    int64_t county_id;
    char name_zh[COUNTY_NAME_BUF];
    char name_en[COUNTY_NAME_BUF];
    struct geo_point loc;
    int64_t created_ms, updated_ms;
};

struct county_village {
    int64_t id;
    int64_t county_id;
    int64_t township_id; /* required, same county */
    char name_zh[COUNTY_NAME_BUF];
    char name_en[COUNTY_NAME_BUF];
    int64_t population;  /* 0..10,000,000 */
    int64_t households;  /* 0..population when population > 0 */
    int64_t elevation_m; /* metres above sea level; -500..9000 */
    struct geo_point loc;
    int64_t created_ms, updated_ms;
};

enum county_node_kind {
    COUNTY_NODE_HUB = 0,    /* "county_hub": no parent */
    COUNTY_NODE_STATION,    /* "township_station": parent a hub; township_id required */
    COUNTY_NODE_POINT,      /* "village_point": parent a station; village_id required */
    COUNTY_NODE_COLD_STORE, /* "cold_store": parent none, a hub or a station */
    COUNTY_NODE_KIND_COUNT
};
const char *county_node_kind_name(enum county_node_kind k); /* NULL when out of range */
int county_node_kind_parse(const char *name, enum county_node_kind *out);

struct county_node {
    int64_t id;
    int64_t county_id;
    enum county_node_kind kind;
    char name[COUNTY_NAME_BUF];    /* Chinese (the name on the sign) */
    char name_en[COUNTY_NAME_BUF]; /* English, "" = none */
    struct geo_point loc;
    int64_t parent_id;        /* 0 = none */
    int64_t township_id;      /* 0 = none; when village_id is set it must match */
    int64_t village_id;       /* 0 = none */
    int open_min, close_min;  /* opening hours, 0 <= open < close <= 1440 */
    int64_t capacity_g;       /* storage capacity by weight, >= 0 */
    int64_t capacity_ml;      /* by volume, >= 0 */
    int64_t cold_capacity_ml; /* refrigerated volume, >= 0 (> 0 for cold stores) */
    bool active;
    int64_t created_ms, updated_ms;
};

/* --------------------------------------------------------------- counties */

/* Create a county. Only the system (who NULL or user_id 0) or an admin may;
** the new county is outside an admin's own scope afterwards. circuity <= 0
** means GEO_CIRCUITY_DEFAULT. Fills c->id and the timestamps. */
int county_create(struct store *st, const struct auth_principal *who, struct county *c,
                  struct err *e);
/* The caller's own county only (another id: ERR_NOTFOUND). */
int county_get(struct store *st, const struct auth_principal *who, int64_t id, struct county *out,
               struct err *e);
/* How many counties exist (for the demo seeder: "is the database empty?"). */
int county_count(struct store *st, int64_t *n, struct err *e);
/* First county by id (the system's default for single-county installs);
** ERR_NOTFOUND when there is none. */
int county_first(struct store *st, struct county *out, struct err *e);

/* Update masks: which fields of the passed struct to apply (others are kept).
** A mask of 0 is ERR_INVAL ("nothing to change"). */
enum {
    COUNTY_F_CODE = 1u << 0,
    COUNTY_F_NAME_ZH = 1u << 1,
    COUNTY_F_NAME_EN = 1u << 2,
    COUNTY_F_CIRCUITY = 1u << 3,
    COUNTY_F_CENTER = 1u << 4,
};
int county_update(struct store *st, const struct auth_principal *who, int64_t id,
                  const struct county *in, unsigned mask, struct county *out, struct err *e);

/* -------------------------------------------------------------- townships */

enum {
    TOWNSHIP_F_NAME_ZH = 1u << 0,
    TOWNSHIP_F_NAME_EN = 1u << 1,
    TOWNSHIP_F_LOC = 1u << 2,
};

struct county_township_filter {
    const char *q;      /* substring of name_zh or name_en; NULL = any */
    int limit;          /* 0 = COUNTY_LIST_DEFAULT; above COUNTY_LIST_MAX: ERR_INVAL */
    const char *cursor; /* NULL or "" = first page */
};

/* Create in who's county (t->county_id is ignored and set). Names are
** unique within a county (ERR_EXISTS). */
int county_township_create(struct store *st, const struct auth_principal *who,
                           struct county_township *t, struct err *e);
int county_township_get(struct store *st, const struct auth_principal *who, int64_t id,
                        struct county_township *out, struct err *e);
int county_township_update(struct store *st, const struct auth_principal *who, int64_t id,
                           const struct county_township *in, unsigned mask,
                           struct county_township *out, struct err *e);
/* ERR_CONFLICT while villages or nodes refer to it. */
int county_township_delete(struct store *st, const struct auth_principal *who, int64_t id,
                           struct err *e);
/* One page into *items (you own it: free()), *n rows, next_cursor "" at the end. */
int county_township_list(struct store *st, const struct auth_principal *who,
                         const struct county_township_filter *f, struct county_township **items,
                         size_t *n, char next_cursor[COUNTY_CURSOR_BUF], struct err *e);

/* --------------------------------------------------------------- villages */

enum {
    VILLAGE_F_TOWNSHIP = 1u << 0,
    VILLAGE_F_NAME_ZH = 1u << 1,
    VILLAGE_F_NAME_EN = 1u << 2,
    VILLAGE_F_POPULATION = 1u << 3,
    VILLAGE_F_HOUSEHOLDS = 1u << 4,
    VILLAGE_F_ELEVATION = 1u << 5,
    VILLAGE_F_LOC = 1u << 6,
};

struct county_village_filter {
    int64_t township_id; /* 0 = any */
    const char *q;
    int limit;
    const char *cursor;
};

/* Names are unique within a township (ERR_EXISTS). */
int county_village_create(struct store *st, const struct auth_principal *who,
                          struct county_village *v, struct err *e);
/* Create n villages in one transaction (imports, the demo): all or nothing.
** Every item is validated first (message prefixed "item <i>: "); on success
** each items[i] has its id and timestamps, on failure every id is 0. At most
** COUNTY_BATCH_MAX (ERR_TOOBIG). */
int county_village_create_many(struct store *st, const struct auth_principal *who,
                               struct county_village *items, size_t n, struct err *e);
int county_village_get(struct store *st, const struct auth_principal *who, int64_t id,
                       struct county_village *out, struct err *e);
int county_village_update(struct store *st, const struct auth_principal *who, int64_t id,
                          const struct county_village *in, unsigned mask,
                          struct county_village *out, struct err *e);
/* ERR_CONFLICT while nodes refer to it, or a row of another module names it
** (producers, lots, orders, consignments, stops ...: store_ref_find). */
int county_village_delete(struct store *st, const struct auth_principal *who, int64_t id,
                          struct err *e);
int county_village_list(struct store *st, const struct auth_principal *who,
                        const struct county_village_filter *f, struct county_village **items,
                        size_t *n, char next_cursor[COUNTY_CURSOR_BUF], struct err *e);

/* ------------------------------------------------------------------ nodes */

enum {
    NODE_F_KIND = 1u << 0,
    NODE_F_NAME = 1u << 1,
    NODE_F_LOC = 1u << 2,
    NODE_F_PARENT = 1u << 3,
    NODE_F_TOWNSHIP = 1u << 4,
    NODE_F_VILLAGE = 1u << 5,
    NODE_F_OPEN = 1u << 6,
    NODE_F_CLOSE = 1u << 7,
    NODE_F_CAPACITY_G = 1u << 8,
    NODE_F_CAPACITY_ML = 1u << 9,
    NODE_F_COLD_ML = 1u << 10,
    NODE_F_ACTIVE = 1u << 11,
    NODE_F_NAME_EN = 1u << 12,
    NODE_F_HOURS = NODE_F_OPEN | NODE_F_CLOSE,
    NODE_F_CAPACITY = NODE_F_CAPACITY_G | NODE_F_CAPACITY_ML | NODE_F_COLD_ML,
};

struct county_node_filter {
    int kind;            /* enum county_node_kind, or -1 = any */
    int64_t parent_id;   /* 0 = any */
    int64_t township_id; /* 0 = any */
    int64_t village_id;  /* 0 = any */
    const char *q;       /* substring of name */
    int limit;
    const char *cursor;
};
#define COUNTY_NODE_FILTER_ANY                                                                     \
    {                                                                                              \
        -1, 0, 0, 0, NULL, 0, NULL                                                                 \
    }

int county_node_create(struct store *st, const struct auth_principal *who, struct county_node *nd,
                       struct err *e);
/* n nodes in one transaction, in order (a node may name an earlier one of
** the batch as parent only if the caller knows its id, so batch one tier at a
** time); as county_village_create_many. */
int county_node_create_many(struct store *st, const struct auth_principal *who,
                            struct county_node *items, size_t n, struct err *e);
int county_node_get(struct store *st, const struct auth_principal *who, int64_t id,
                    struct county_node *out, struct err *e);
int county_node_update(struct store *st, const struct auth_principal *who, int64_t id,
                       const struct county_node *in, unsigned mask, struct county_node *out,
                       struct err *e);
/* ERR_CONFLICT while other nodes name it as parent, or a row of another
** module names it (lots, offers, orders, vehicles, plans ...). */
int county_node_delete(struct store *st, const struct auth_principal *who, int64_t id,
                       struct err *e);
int county_node_list(struct store *st, const struct auth_principal *who,
                     const struct county_node_filter *f, struct county_node **items, size_t *n,
                     char next_cursor[COUNTY_CURSOR_BUF], struct err *e);

/* ------------------------------------------------------- references from others */

/* For other modules' store functions (inside their own read or write, on
** their connection c): does village / node `id` exist in county_id? One
** primary-key lookup; *found says. 0, or a negative ERR_* on a store error.
** No role check: the caller has scoped itself to county_id. */
int county_village_exists(struct store_conn *c, int64_t county_id, int64_t id, bool *found,
                          struct err *e);
int county_node_exists(struct store_conn *c, int64_t county_id, int64_t id, bool *found,
                       struct err *e);

/* ------------------------------------------------------------- whole network */

/* Everything of who's county at once (for exports, planning and the demo
** seeders of other modules). Arrays ordered by id; release frees them. */
struct county_network {
    struct county county;
    struct county_township *townships;
    size_t n_townships;
    struct county_village *villages;
    size_t n_villages;
    struct county_node *nodes;
    size_t n_nodes;
};
int county_network_load(struct store *st, const struct auth_principal *who,
                        struct county_network *out, struct err *e);
void county_network_release(struct county_network *net);

/* The network as a GeoJSON FeatureCollection (RFC 7946) appended to sb:
** Point features for the county seat, townships, villages and nodes
** (properties: layer, id, kind, name, name_en, population, ...; a node also
** names its village_id and township_id, null when none) and LineString
** features for node parent links (layer "link"). */
int county_network_geojson(const struct county_network *net, struct strbuf *sb, struct err *e);

/* -------------------------------------------------------------------- JSON */

/* API representations (snake_case fields, RFC 3339 times); you own the
** result (json_object_put). */
struct json_object *county_to_json(const struct county *c);
struct json_object *county_township_to_json(const struct county_township *t);
struct json_object *county_village_to_json(const struct county_village *v);
struct json_object *county_node_to_json(const struct county_node *nd);

/* Name rule shared with the HTTP layer: 1..COUNTY_NAME_MAX_CHARS characters
** of UTF-8 without control characters (allow_empty: 0 characters also ok). */
bool county_name_valid(const char *s, bool allow_empty);

/* The module's schema: counties, townships, villages, nodes. */
extern const struct store_migration county_migrations[];
extern const size_t county_migrations_len;

#endif
