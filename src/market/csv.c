/*
** csv.c: bulk import and export of the catalog as CSV (RFC 4180: comma
** separated, double quotes with "" inside, CRLF or LF). Import is all or
** nothing: every row is parsed, checked and written inside one store_write
** function; when any row fails, every failure is reported with its row
** number and the function returns an error, so the whole batch rolls back.
*/
#include "market/market_int.h"

#include <string.h>

enum col {
    C_SKU,
    C_PRODUCER,
    C_VILLAGE,
    C_NAME_ZH,
    C_NAME_EN,
    C_STORY_ZH,
    C_STORY_EN,
    C_CATEGORY,
    C_UNIT,
    C_PRICE,
    C_WEIGHT,
    C_VOLUME,
    C_STORAGE,
    C_TMIN,
    C_TMAX,
    C_RHMIN,
    C_RHMAX,
    C_SHELF,
    C_TAGS,
    C_IMAGES,
    C_SIGNATURE,
    C_BRAND,
    C_ACTIVE,
    C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "sku",      "producer_id", "village_id", "name_zh",    "name_en",    "story_zh",
    "story_en", "category",    "unit",       "price_fen",  "weight_g",   "volume_ml",
    "storage",  "temp_min_c",  "temp_max_c", "rh_min_pct", "rh_max_pct", "shelf_life_days",
    "tags",     "images",      "signature",  "brand",      "active"};

/* ------------------------------------------------------------------ parse */

struct csv_rows {
    char ***rows; /* rows[i][j], NUL-terminated fields (arena) */
    size_t *nf;
    size_t n, cap;
};

/* Split the whole text into rows of fields. ERR_INVAL on a broken quote. */
static int csv_parse(const char *p, size_t len, struct arena *a, struct csv_rows *out,
                     struct err *e)
{
    const char *end = p + len;
    struct strbuf field;
    strbuf_init(&field, 1 << 20);
    char **fields = NULL;
    size_t nf = 0, capf = 0;
    int64_t line = 1;
    while (p < end) {
        bool quoted = false;
        strbuf_reset(&field);
        if (*p == '"') {
            quoted = true;
            p++;
            for (;;) {
                if (p >= end) {
                    strbuf_release(&field);
                    free(fields);
                    return err_set(e, ERR_INVAL, "line %lld: unterminated quoted field",
                                   (long long)line);
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        strbuf_addch(&field, '"');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (*p == '\n')
                    line++;
                if (strbuf_addch(&field, *p++)) {
                    strbuf_release(&field);
                    free(fields);
                    return err_set(e, ERR_TOOBIG, "line %lld: field too long", (long long)line);
                }
            }
        }
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
            if (quoted || *p == '"') {
                strbuf_release(&field);
                free(fields);
                return err_set(e, ERR_INVAL, "line %lld: stray quote in a field", (long long)line);
            }
            if (strbuf_addch(&field, *p++)) {
                strbuf_release(&field);
                free(fields);
                return err_set(e, ERR_TOOBIG, "line %lld: field too long", (long long)line);
            }
        }
        xgrow((void **)&fields, &capf, nf + 1, sizeof *fields);
        fields[nf++] = arena_strndup(a, field.buf ? field.buf : "", field.len);
        if (p < end && *p == ',') {
            p++;
            if (p == end) { /* trailing comma: one more empty field */
                xgrow((void **)&fields, &capf, nf + 1, sizeof *fields);
                fields[nf++] = arena_strdup(a, "");
            } else {
                continue;
            }
        }
        if (p < end && *p == '\r')
            p++;
        if (p < end && *p == '\n')
            p++;
        line++;
        /* end of a record; skip fully blank lines */
        if (!(nf == 1 && !fields[0][0])) {
            if (out->n >= MARKET_CSV_MAX_ROWS + 1) {
                strbuf_release(&field);
                free(fields);
                return err_set(e, ERR_TOOBIG, "more than %d rows", MARKET_CSV_MAX_ROWS);
            }
            xgrow((void **)&out->rows, &out->cap, out->n + 1, sizeof *out->rows);
            out->nf = xrealloc(out->nf, out->cap * sizeof *out->nf);
            out->rows[out->n] = arena_alloc(a, nf * sizeof(char *));
            memcpy(out->rows[out->n], fields, nf * sizeof(char *));
            out->nf[out->n++] = nf;
        }
        nf = 0;
    }
    strbuf_release(&field);
    free(fields);
    return 0;
}

/* ---------------------------------------------------------------- import */

struct import_ctx {
    const struct auth_principal *who;
    struct csv_rows rows;
    int colmap[C_COUNT]; /* column index in the file, -1 absent */
    struct arena *a;
    struct market_csv_result *res;
    size_t caperr;
};

static void row_error(struct import_ctx *x, int64_t row, const char *msg)
{
    struct market_csv_result *r = x->res;
    if (r->nerrors == x->caperr) {
        size_t ncap = x->caperr ? x->caperr * 2 : 16;
        struct market_csv_error *n = arena_alloc(x->a, ncap * sizeof *n);
        if (r->nerrors)
            memcpy(n, r->errors, r->nerrors * sizeof *n);
        r->errors = n, x->caperr = ncap;
    }
    struct market_csv_error *ce = &r->errors[r->nerrors++];
    ce->row = row;
    snprintf(ce->msg, sizeof ce->msg, "%s", msg);
}

static int parse_i64(const char *field, const char *v, int64_t *out, struct err *e)
{
    if (str_to_i64(str_from(v), out))
        return err_set(e, ERR_INVAL, "field '%s' must be an integer", field);
    return 0;
}

static int parse_dbl(const char *field, const char *v, double *out, struct err *e)
{
    if (str_to_double(str_from(v), out))
        return err_set(e, ERR_INVAL, "field '%s' must be a number", field);
    return 0;
}

static int parse_bool(const char *field, const char *v, bool *out, struct err *e)
{
    if (!strcmp(v, "1") || !strcmp(v, "true"))
        *out = true;
    else if (!strcmp(v, "0") || !strcmp(v, "false") || !*v)
        *out = false;
    else
        return err_set(e, ERR_INVAL, "field '%s' must be 0 or 1", field);
    return 0;
}

/* "a|b|c" into an arena array. */
static const char **split_bar(struct arena *a, const char *v, size_t *n)
{
    *n = 0;
    if (!*v)
        return NULL;
    size_t count = 1;
    for (const char *p = v; *p; p++)
        count += *p == '|';
    const char **out = arena_alloc(a, count * sizeof *out);
    const char *start = v;
    for (const char *p = v;; p++)
        if (*p == '|' || !*p) {
            out[(*n)++] = arena_strndup(a, start, (size_t)(p - start));
            if (!*p)
                break;
            start = p + 1;
        }
    return out;
}

/* Apply the row's present columns onto p. */
static int apply_row(struct import_ctx *x, char **f, struct market_product *p, bool creating,
                     struct err *e)
{
    const int *m = x->colmap;
#define COL(c) (m[c] >= 0 ? f[m[c]] : NULL)
    int rc;
    const char *v;
    if ((v = COL(C_STORAGE))) {
        if (market_storage_parse(v, &p->storage))
            return err_set(e, ERR_INVAL, "field 'storage' must be ambient, chilled or frozen");
    }
    if (creating || COL(C_STORAGE))
        market__storage_defaults(p->storage, p);
    p->has_conditions = true;
    if ((v = COL(C_SKU)))
        p->sku = v;
    if ((v = COL(C_PRODUCER)) && (rc = parse_i64("producer_id", v, &p->producer_id, e)))
        return rc;
    if ((v = COL(C_VILLAGE)) && *v && (rc = parse_i64("village_id", v, &p->village_id, e)))
        return rc;
    if ((v = COL(C_NAME_ZH)))
        p->name_zh = v;
    if ((v = COL(C_NAME_EN)))
        p->name_en = v;
    if ((v = COL(C_STORY_ZH)))
        p->story_zh = v;
    if ((v = COL(C_STORY_EN)))
        p->story_en = v;
    if ((v = COL(C_CATEGORY)))
        p->category = v;
    if ((v = COL(C_UNIT)))
        p->unit = v;
    if ((v = COL(C_PRICE)) && (rc = parse_i64("price_fen", v, &p->price_fen, e)))
        return rc;
    if ((v = COL(C_WEIGHT)) && *v && (rc = parse_i64("weight_g", v, &p->weight_g, e)))
        return rc;
    if ((v = COL(C_VOLUME)) && *v && (rc = parse_i64("volume_ml", v, &p->volume_ml, e)))
        return rc;
    if ((v = COL(C_TMIN)) && *v && (rc = parse_dbl("temp_min_c", v, &p->temp_min_c, e)))
        return rc;
    if ((v = COL(C_TMAX)) && *v && (rc = parse_dbl("temp_max_c", v, &p->temp_max_c, e)))
        return rc;
    if ((v = COL(C_RHMIN)) && *v && (rc = parse_dbl("rh_min_pct", v, &p->rh_min_pct, e)))
        return rc;
    if ((v = COL(C_RHMAX)) && *v && (rc = parse_dbl("rh_max_pct", v, &p->rh_max_pct, e)))
        return rc;
    if ((v = COL(C_SHELF)) && *v) {
        int64_t d;
        if ((rc = parse_i64("shelf_life_days", v, &d, e)))
            return rc;
        if (d < 0 || d > 3650)
            return err_set(e, ERR_INVAL, "field 'shelf_life_days' must be between 0 and 3650");
        p->shelf_life_days = (int32_t)d;
    }
    if ((v = COL(C_TAGS)))
        p->tags = split_bar(x->a, v, &p->ntags);
    if ((v = COL(C_IMAGES)))
        p->images = split_bar(x->a, v, &p->nimages);
    if ((v = COL(C_SIGNATURE)) && (rc = parse_bool("signature", v, &p->signature, e)))
        return rc;
    if ((v = COL(C_BRAND)))
        p->brand = v;
    if ((v = COL(C_ACTIVE)) && *v && (rc = parse_bool("active", v, &p->active, e)))
        return rc;
#undef COL
    return market__product_check(p, e);
}

static int import_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct import_ctx *x = arg;
    int64_t now = time_now_ms();
    for (size_t i = 1; i < x->rows.n; i++) {
        int64_t rowno = (int64_t)i;
        char **f = x->rows.rows[i];
        struct err re = {0};
        if (x->rows.nf[i] != x->rows.nf[0]) {
            char msg[120];
            snprintf(msg, sizeof msg, "has %zu fields, the header has %zu", x->rows.nf[i],
                     x->rows.nf[0]);
            row_error(x, rowno, msg);
            continue;
        }
        const char *sku = f[x->colmap[C_SKU]];
        struct market_product p;
        memset(&p, 0, sizeof p);
        p.active = true;
        bool update = false;
        struct store_stmt *s;
        int rc = store_prepare(c,
                               "SELECT " MARKET__PRODUCT_COLS " FROM market_products p"
                               " WHERE p.county_id = ? AND p.sku = ?",
                               &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, now);
        store_bind_i64(s, 2, x->who->county_id);
        store_bind_text(s, 3, sku, -1);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (rc == STORE_ROW) {
            market__product_row(s, x->a, &p);
            update = true;
        }
        if (!*sku)
            rc = err_set(&re, ERR_INVAL, "field 'sku' is required");
        else
            rc = apply_row(x, f, &p, !update, &re);
        if (!rc && !update && p.producer_id <= 0)
            rc = err_set(&re, ERR_INVAL, "field 'producer_id' is required");
        if (!rc)
            rc = market__product_put(c, x->who, &p, update, x->a, now, &re);
        if (rc) {
            if (rc == ERR_DB || rc == ERR_INTERNAL)
                return err_set(e, rc, "row %lld: %s", (long long)rowno, re.msg);
            row_error(x, rowno, re.msg);
            continue;
        }
        if (update)
            x->res->updated++;
        else
            x->res->created++;
    }
    if (x->res->nerrors)
        return err_set(e, ERR_INVAL, "%zu of %zu rows are invalid; nothing was imported",
                       x->res->nerrors, x->rows.n - 1);
    return 0;
}

int market_products_import_csv(struct store *st, const struct auth_principal *who, const char *csv,
                               size_t len, struct arena *a, struct market_csv_result *res,
                               struct err *e)
{
    memset(res, 0, sizeof *res);
    int rc = market__need_seller(who, e);
    if (rc)
        return rc;
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 BOM from spreadsheets */
        csv += 3, len -= 3;
    if (!utf8_valid(csv, len))
        return err_set(e, ERR_INVAL, "the CSV is not valid UTF-8");
    struct import_ctx x = {.who = who, .a = a, .res = res};
    if ((rc = csv_parse(csv, len, a, &x.rows, e)))
        goto out;
    if (x.rows.n < 2) {
        rc = err_set(e, ERR_INVAL, "the CSV needs a header row and at least one product row");
        goto out;
    }
    for (int k = 0; k < C_COUNT; k++)
        x.colmap[k] = -1;
    for (size_t j = 0; j < x.rows.nf[0]; j++) {
        const char *h = x.rows.rows[0][j];
        int k;
        for (k = 0; k < C_COUNT; k++)
            if (!strcmp(h, col_names[k]))
                break;
        if (k == C_COUNT) {
            rc = err_set(e, ERR_INVAL, "unknown column '%.60s'", h);
            goto out;
        }
        if (x.colmap[k] >= 0) {
            rc = err_set(e, ERR_INVAL, "column '%s' appears twice", h);
            goto out;
        }
        x.colmap[k] = (int)j;
    }
    if (x.colmap[C_SKU] < 0) {
        rc = err_set(e, ERR_INVAL, "column 'sku' is required");
        goto out;
    }
    rc = store_write(st, import_fn, &x, e);
    if (rc)
        res->created = res->updated = 0;
out:
    free(x.rows.rows);
    free(x.rows.nf);
    return rc;
}

/* ---------------------------------------------------------------- export */

static void csv_field(struct strbuf *sb, const char *v)
{
    if (strpbrk(v, ",\"\r\n")) {
        strbuf_addch(sb, '"');
        for (; *v; v++) {
            if (*v == '"')
                strbuf_addch(sb, '"');
            strbuf_addch(sb, *v);
        }
        strbuf_addch(sb, '"');
    } else {
        strbuf_addstr(sb, v);
    }
}

struct export_ctx {
    const struct auth_principal *who;
    struct strbuf *out;
};

static void join_bar(struct strbuf *t, const char **items, size_t n)
{
    strbuf_reset(t);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(t, '|');
        strbuf_addstr(t, items[i]);
    }
}

static int export_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct export_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT " MARKET__PRODUCT_COLS " FROM market_products p"
                           " JOIN market_producers pr ON pr.id = p.producer_id"
                           " WHERE p.county_id = ? AND (? = 0 OR pr.owner_user_id = ?)"
                           " ORDER BY p.id",
                           &s, e);
    if (rc)
        return rc;
    int64_t owner = market__reads_county(x->who) ? 0 : x->who->user_id;
    store_bind_i64(s, 1, time_now_ms());
    store_bind_i64(s, 2, x->who->county_id);
    store_bind_i64(s, 3, owner);
    store_bind_i64(s, 4, owner);
    for (int k = 0; k < C_COUNT; k++)
        strbuf_addf(x->out, "%s%s", k ? "," : "", col_names[k]);
    strbuf_addstr(x->out, "\r\n");
    struct arena a;
    arena_init(&a, 8192);
    struct strbuf t;
    strbuf_init(&t, 0);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        struct market_product p;
        arena_reset(&a);
        market__product_row(s, &a, &p);
        struct strbuf *o = x->out;
        csv_field(o, p.sku);
        strbuf_addf(o, ",%lld,%lld,", (long long)p.producer_id, (long long)p.village_id);
        csv_field(o, p.name_zh);
        strbuf_addch(o, ',');
        csv_field(o, p.name_en);
        strbuf_addch(o, ',');
        csv_field(o, p.story_zh);
        strbuf_addch(o, ',');
        csv_field(o, p.story_en);
        strbuf_addch(o, ',');
        csv_field(o, p.category);
        strbuf_addch(o, ',');
        csv_field(o, p.unit);
        strbuf_addf(o, ",%lld,%lld,%lld,%s,%g,%g,%g,%g,%d,", (long long)p.price_fen,
                    (long long)p.weight_g, (long long)p.volume_ml, market_storage_name(p.storage),
                    p.temp_min_c, p.temp_max_c, p.rh_min_pct, p.rh_max_pct, (int)p.shelf_life_days);
        join_bar(&t, p.tags, p.ntags);
        csv_field(o, strbuf_str(&t));
        strbuf_addch(o, ',');
        join_bar(&t, p.images, p.nimages);
        csv_field(o, strbuf_str(&t));
        strbuf_addf(o, ",%d,", p.signature ? 1 : 0);
        csv_field(o, p.brand);
        strbuf_addf(o, ",%d\r\n", p.active ? 1 : 0);
    }
    strbuf_release(&t);
    arena_release(&a);
    return rc < 0 ? rc : 0;
}

int market_products_export_csv(struct store *st, const struct auth_principal *who,
                               struct strbuf *out, struct err *e)
{
    if (!market__reads_county(who) && who->role != AUTH_ROLE_MERCHANT)
        return err_set(e, ERR_PERM, "role '%s' may not export the catalog",
                       auth_role_name(who->role) ? auth_role_name(who->role) : "?");
    struct export_ctx x = {who, out};
    return store_read(st, export_fn, &x, e);
}
