/*
** common.c: what every table of the county module shares: the principal
** checks (scope and write roles), the audit call, name and coordinate
** validation, page sizes and opaque cursors, LIKE patterns, existence and
** reference counts.
*/
#include "county/county_int.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

int county__scope(const struct auth_principal *who, struct err *e)
{
    if (!who)
        return err_set(e, ERR_AUTH, "no principal");
    if (who->county_id <= 0)
        return err_set(e, ERR_PERM, "principal is not bound to a county");
    return 0;
}

int county__check_write(const struct auth_principal *who, struct err *e)
{
    int rc = county__scope(who, e);
    if (rc)
        return rc;
    if (who->user_id == 0 && who->device_id == 0)
        return 0; /* the system: CLI, demo seeder */
    if (who->device_id != 0 || who->role == AUTH_ROLE_DEVICE)
        return err_set(e, ERR_PERM, "devices cannot change the network");
    if (who->role != AUTH_ROLE_ADMIN && who->role != AUTH_ROLE_OPERATOR)
        return err_set(e, ERR_PERM, "role '%s' cannot change the network",
                       auth_role_name(who->role) ? auth_role_name(who->role) : "?");
    return 0;
}

int county__audit(struct store_conn *c, const struct auth_principal *who, int64_t county_id,
                  const char *action, const char *entity, int64_t id, struct json_object *detail,
                  struct err *e)
{
    const char *js = detail ? json_object_to_json_string_ext(detail, JSON_C_TO_STRING_PLAIN) : NULL;
    int rc = store_audit(c, county_id, who ? who->user_id : 0, action, entity, id, js, e);
    if (detail)
        json_object_put(detail);
    return rc;
}

/* Code points in s, or -1 when s holds a control character. s is valid UTF-8. */
static long count_chars(const char *s)
{
    long n = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char b = *p;
        if (b < 0x20 || b == 0x7f)
            return -1;
        if (b == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) /* C1 controls */
            return -1;
        if (b < 0x80)
            p += 1;
        else if (b < 0xe0)
            p += 2;
        else if (b < 0xf0)
            p += 3;
        else
            p += 4;
        n++;
    }
    return n;
}

bool county_name_valid(const char *s, bool allow_empty)
{
    if (!s)
        return allow_empty;
    size_t len = strlen(s);
    if (len >= COUNTY_NAME_BUF || !utf8_valid(s, len))
        return false;
    long n = count_chars(s);
    if (n < 0 || n > COUNTY_NAME_MAX_CHARS)
        return false;
    if (n == 0)
        return allow_empty;
    /* no leading or trailing blanks */
    return s[0] != ' ' && s[len - 1] != ' ';
}

int county__check_name(const char *field, const char *s, bool allow_empty, struct err *e)
{
    if (county_name_valid(s, allow_empty))
        return 0;
    if (!s || !*s)
        return err_set(e, ERR_INVAL, "field '%s' must not be empty", field);
    return err_set(e, ERR_INVAL,
                   "field '%s' must be 1-%d characters of UTF-8 without control characters "
                   "or surrounding blanks",
                   field, COUNTY_NAME_MAX_CHARS);
}

int county__check_point(const char *field, struct geo_point p, struct err *e)
{
    if (geo_point_valid(p))
        return 0;
    return err_set(e, ERR_INVAL, "%s: lat must be in [-90, 90] and lon in [-180, 180]", field);
}

void county__copy(char *dst, size_t cap, const char *src)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--; /* do not cut a character in half */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int county__limit(int limit, int *out, struct err *e)
{
    if (limit == 0) {
        *out = COUNTY_LIST_DEFAULT;
        return 0;
    }
    if (limit < 1 || limit > COUNTY_LIST_MAX)
        return err_set(e, ERR_INVAL, "limit must be 1-%d", COUNTY_LIST_MAX);
    *out = limit;
    return 0;
}

/* Cursors are "c" + the last id in lowercase hex: opaque to clients (who
** must not build them) and checked strictly on the way back in. */
int county__cursor_decode(const char *cursor, int64_t *after_id, struct err *e)
{
    *after_id = 0;
    if (!cursor || !*cursor)
        return 0;
    size_t n = strlen(cursor);
    if (cursor[0] != 'c' || n < 2 || n > 17)
        return err_set(e, ERR_INVAL, "malformed cursor");
    uint64_t v = 0;
    for (size_t i = 1; i < n; i++) {
        char ch = cursor[i];
        int d;
        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if (ch >= 'a' && ch <= 'f')
            d = ch - 'a' + 10;
        else
            return err_set(e, ERR_INVAL, "malformed cursor");
        v = v * 16 + (uint64_t)d;
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return err_set(e, ERR_INVAL, "malformed cursor");
    *after_id = (int64_t)v;
    return 0;
}

void county__cursor_encode(int64_t id, char out[COUNTY_CURSOR_BUF])
{
    snprintf(out, COUNTY_CURSOR_BUF, "c%" PRIx64, (uint64_t)id);
}

int county__check_query(const char *q, struct err *e)
{
    if (!q)
        return 0;
    size_t n = strlen(q);
    if (n > 200 || !utf8_valid(q, n))
        return err_set(e, ERR_INVAL, "q must be at most 200 bytes of UTF-8");
    return 0;
}

char *county__like_pattern(const char *q)
{
    size_t n = strlen(q);
    char *p = xmalloc(2 * n + 3);
    size_t k = 0;
    p[k++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
            p[k++] = '\\';
        p[k++] = q[i];
    }
    p[k++] = '%';
    p[k] = '\0';
    return p;
}

int county__exists(struct store_conn *c, const char *sql, int64_t county_id, int64_t id,
                   bool *found, struct err *e)
{
    struct store_stmt *s;
    int rc = store_step2(c, sql, county_id, id, &s, e);
    if (rc < 0)
        return rc;
    *found = rc == STORE_ROW;
    return 0;
}

int county_village_exists(struct store_conn *c, int64_t county_id, int64_t id, bool *found,
                          struct err *e)
{
    return county__exists(c, COUNTY__EXISTS_SQL("villages"), county_id, id, found, e);
}

int county_node_exists(struct store_conn *c, int64_t county_id, int64_t id, bool *found,
                       struct err *e)
{
    return county__exists(c, COUNTY__EXISTS_SQL("nodes"), county_id, id, found, e);
}

int county__refused_by_refs(struct store_conn *c, const char *parent, const char *entity,
                            int64_t county_id, int64_t id, struct err *e)
{
    bool found = false;
    const struct store_ref *by = NULL;
    int rc = store_ref_find(c, parent, county_id, id, &found, &by, e);
    if (rc)
        return rc;
    if (found)
        return err_set(e, ERR_CONFLICT,
                       "%s %lld is still named by %s.%s; change or remove those rows first", entity,
                       (long long)id, by->table, by->column);
    return 0;
}

int county__count_refs(struct store_conn *c, const char *table, const char *column,
                       int64_t county_id, int64_t id, int64_t *n, struct err *e)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE county_id = ? AND %s = ?", table,
             column);
    struct store_stmt *s;
    int rc = store_step2(c, sql, county_id, id, &s, e);
    if (rc < 0)
        return rc;
    *n = rc == STORE_ROW ? store_col_i64(s, 0) : 0;
    return 0;
}

int county__load_row(struct store_conn *c, const char *sql, int64_t county_id, int64_t id,
                     const char *entity, void (*read_row)(struct store_stmt *s, void *item),
                     void *out, struct err *e)
{
    struct store_stmt *s;
    int rc = store_step2(c, sql, county_id, id, &s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "%s %lld not found", entity, (long long)id);
    read_row(s, out);
    return 0;
}

int county__delete_row(struct store_conn *c, const struct auth_principal *who, const char *table,
                       const char *entity, int64_t id, struct json_object *detail, struct err *e)
{
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE county_id = ? AND id = ?", table);
    struct store_stmt *s;
    int rc = store_step2(c, sql, who->county_id, id, &s, e);
    if (rc < 0) {
        json_object_put(detail);
        return rc;
    }
    return county__audit(c, who, who->county_id, "delete", entity, id, detail, e);
}

/* county__page_end takes the last row's id from the start of its struct. */
_Static_assert(offsetof(struct county_township, id) == 0, "id first");
_Static_assert(offsetof(struct county_village, id) == 0, "id first");
_Static_assert(offsetof(struct county_node, id) == 0, "id first");

int county__page_begin(struct county__page *pg, const struct auth_principal *who, int limit,
                       const char *cursor, const char *q, size_t item_size,
                       void (*read_row)(struct store_stmt *s, void *item), struct err *e)
{
    memset(pg, 0, sizeof *pg);
    pg->who = who;
    pg->item_size = item_size;
    pg->read_row = read_row;
    int rc = county__scope(who, e);
    if (!rc)
        rc = county__limit(limit, &pg->limit, e);
    if (!rc)
        rc = county__cursor_decode(cursor, &pg->after, e);
    if (!rc)
        rc = county__check_query(q, e);
    return rc;
}

int county__page_read(struct county__page *pg, struct store_stmt *s, struct err *e)
{
    pg->items = xcalloc((size_t)pg->limit + 1, pg->item_size);
    pg->n = 0;
    int rc;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (pg->n == (size_t)pg->limit) {
            pg->more = true;
            break;
        }
        pg->read_row(s, pg->items + pg->n++ * pg->item_size);
    }
    return rc < 0 ? rc : 0;
}

int county__page_end(struct county__page *pg, int rc, void **items, size_t *n,
                     char next_cursor[COUNTY_CURSOR_BUF])
{
    if (rc) {
        free(pg->items);
        pg->items = NULL;
        return rc;
    }
    *items = pg->items;
    *n = pg->n;
    next_cursor[0] = '\0';
    if (pg->more && pg->n > 0) {
        int64_t last_id; /* every row struct starts with its int64_t id */
        memcpy(&last_id, pg->items + (pg->n - 1) * pg->item_size, sizeof last_id);
        county__cursor_encode(last_id, next_cursor);
    }
    return 0;
}
