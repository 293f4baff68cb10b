/*
** county_int.h: private to src/county. Checks, cursors and helpers shared by
** the files of the module (one file per table).
*/
#ifndef RL_COUNTY_INT_H
#define RL_COUNTY_INT_H

#include "county/county.h"

/* who must be a real principal bound to a county (reads and writes). */
int county__scope(const struct auth_principal *who, struct err *e);
/* who may write the network: system (user 0, device 0), admin, operator. */
int county__check_write(const struct auth_principal *who, struct err *e);
/* Audit row for a write by who; detail (may be NULL) is consumed. */
int county__audit(struct store_conn *c, const struct auth_principal *who, int64_t county_id,
                  const char *action, const char *entity, int64_t id, struct json_object *detail,
                  struct err *e);

int county__check_name(const char *field, const char *s, bool allow_empty, struct err *e);
int county__check_point(const char *field, struct geo_point p, struct err *e);
/* Copy with truncation at a UTF-8 boundary; dst always NUL-terminated. */
void county__copy(char *dst, size_t cap, const char *src);

/* Page size from a filter's limit (0 = default). */
int county__limit(int limit, int *out, struct err *e);
/* "" or NULL -> 0; otherwise the id after which the page starts. */
int county__cursor_decode(const char *cursor, int64_t *after_id, struct err *e);
void county__cursor_encode(int64_t id, char out[COUNTY_CURSOR_BUF]);
/* LIKE pattern "%q%" with %, _ and \ escaped (ESCAPE '\'); you own it. */
char *county__like_pattern(const char *q);
/* Validate q (bounded, valid UTF-8). */
int county__check_query(const char *q, struct err *e);

/* Does a row exist with county_id and id? sql is COUNTY__EXISTS_SQL(table),
** a literal (orders check their node with it: no formatting per call). */
#define COUNTY__EXISTS_SQL(table) "SELECT 1 FROM " table " WHERE county_id = ? AND id = ?"
int county__exists(struct store_conn *c, const char *sql, int64_t county_id, int64_t id,
                   bool *found, struct err *e);
/* How many rows of table have column = id within the county. */
/* ERR_CONFLICT naming the first row of another module that names this
** row (store_ref_find; e.g. a producer's village), else 0. */
int county__refused_by_refs(struct store_conn *c, const char *parent, const char *entity,
                            int64_t county_id, int64_t id, struct err *e);
int county__count_refs(struct store_conn *c, const char *table, const char *column,
                       int64_t county_id, int64_t id, int64_t *n, struct err *e);

/* One row by (county_id, id) through sql (binding those two, in that
** order) into out; ERR_NOTFOUND names the entity. */
int county__load_row(struct store_conn *c, const char *sql, int64_t county_id, int64_t id,
                     const char *entity, void (*read_row)(struct store_stmt *s, void *item),
                     void *out, struct err *e);
/* Delete the row id of table (a literal name) in who's county and audit it
** as a delete of entity with detail (consumed). */
int county__delete_row(struct store_conn *c, const struct auth_principal *who, const char *table,
                       const char *entity, int64_t id, struct json_object *detail, struct err *e);

/* One page of a keyset-paginated list (rows with id > after, by id). Every
** row struct starts with its int64_t id (county.h; asserted where used). */
struct county__page {
    const struct auth_principal *who;
    int64_t after;
    int limit; /* the query asks for limit + 1 rows to know if more follow */
    size_t item_size;
    void (*read_row)(struct store_stmt *s, void *item);
    char *items;
    size_t n;
    bool more;
};
/* Check the arguments every list shares (scope, limit, cursor, q). */
int county__page_begin(struct county__page *pg, const struct auth_principal *who, int limit,
                       const char *cursor, const char *q, size_t item_size,
                       void (*read_row)(struct store_stmt *s, void *item), struct err *e);
/* Read the rows of s (bound, LIMIT limit + 1) into the page (in a read). */
int county__page_read(struct county__page *pg, struct store_stmt *s, struct err *e);
/* After the read returned rc: on success hand *items (you own it), *n and
** the next cursor over; on failure free the page. Returns rc. */
int county__page_end(struct county__page *pg, int rc, void **items, size_t *n,
                     char next_cursor[COUNTY_CURSOR_BUF]);

/* Row loaders used by get, update and the network export. */
int county__load(struct store_conn *c, int64_t id, struct county *out, struct err *e);
int county__township_load(struct store_conn *c, int64_t county_id, int64_t id,
                          struct county_township *out, struct err *e);
int county__village_load(struct store_conn *c, int64_t county_id, int64_t id,
                         struct county_village *out, struct err *e);
int county__node_load(struct store_conn *c, int64_t county_id, int64_t id, struct county_node *out,
                      struct err *e);

#endif
