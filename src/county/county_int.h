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
                  const char *action, const char *entity, int64_t id,
                  struct json_object *detail, struct err *e);

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

/* Does a row exist in table (a literal name) with county_id and id? */
int county__exists(struct store_conn *c, const char *table, int64_t county_id, int64_t id,
                   bool *found, struct err *e);
/* How many rows of table have column = id within the county. */
int county__count_refs(struct store_conn *c, const char *table, const char *column,
                       int64_t county_id, int64_t id, int64_t *n, struct err *e);

/* Row loaders used by get, update and the network export. */
int county__load(struct store_conn *c, int64_t id, struct county *out, struct err *e);
int county__township_load(struct store_conn *c, int64_t county_id, int64_t id,
                          struct county_township *out, struct err *e);
int county__village_load(struct store_conn *c, int64_t county_id, int64_t id,
                         struct county_village *out, struct err *e);
int county__node_load(struct store_conn *c, int64_t county_id, int64_t id,
                      struct county_node *out, struct err *e);

#endif
