/*
** util.c: what the market files share: role predicates, input validation
** with messages that name the field, newline-joined lists, ownership
** lookups, audit records, the product row reader and the storage classes'
** default conditions.
*/
#include "market/market_int.h"

#include "county/county.h"

#include <string.h>

bool market__is_staff(const struct auth_principal *who)
{
    return who->role == AUTH_ROLE_ADMIN || who->role == AUTH_ROLE_OPERATOR;
}

bool market__reads_county(const struct auth_principal *who)
{
    return market__is_staff(who) || who->role == AUTH_ROLE_AUDITOR;
}

int market__need_seller(const struct auth_principal *who, struct err *e)
{
    if (market__is_staff(who) || who->role == AUTH_ROLE_MERCHANT)
        return 0;
    return err_set(e, ERR_PERM, "role '%s' may not change the catalog",
                   auth_role_name(who->role) ? auth_role_name(who->role) : "?");
}

int market__text(const char *field, const char *s, size_t max, bool required, bool multiline,
                 struct err *e)
{
    if (!s || !*s) {
        if (required)
            return err_set(e, ERR_INVAL, "field '%s' is required", field);
        return 0;
    }
    size_t n = strlen(s);
    if (n > max)
        return err_set(e, ERR_TOOBIG, "field '%s' is longer than %zu bytes", field, max);
    if (!utf8_valid(s, n))
        return err_set(e, ERR_INVAL, "field '%s' is not valid UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) {
            if (multiline && (ch == '\n' || ch == '\r' || ch == '\t'))
                continue;
            return err_set(e, ERR_INVAL, "field '%s' holds a control character", field);
        }
    }
    return 0;
}

int market__int_range(const char *field, int64_t v, int64_t lo, int64_t hi, struct err *e)
{
    if (v < lo || v > hi)
        return err_set(e, ERR_INVAL, "field '%s' must be between %lld and %lld (got %lld)", field,
                       (long long)lo, (long long)hi, (long long)v);
    return 0;
}

int market__tags(const char *field, const char *const *tags, size_t n, struct err *e)
{
    if (n > MARKET_TAGS_MAX)
        return err_set(e, ERR_TOOBIG, "field '%s' has more than %d items", field, MARKET_TAGS_MAX);
    for (size_t i = 0; i < n; i++) {
        int rc = market__text(field, tags[i], MARKET_TAG_MAX, true, false, e);
        if (rc)
            return rc;
    }
    return 0;
}

int market__urls(const char *field, const char *const *urls, size_t n, struct err *e)
{
    if (n > MARKET_IMAGES_MAX)
        return err_set(e, ERR_TOOBIG, "field '%s' has more than %d items", field,
                       MARKET_IMAGES_MAX);
    for (size_t i = 0; i < n; i++) {
        int rc = market__text(field, urls[i], MARKET_URL_MAX, true, false, e);
        if (rc)
            return rc;
        if (strncmp(urls[i], "https://", 8) != 0 && strncmp(urls[i], "http://", 7) != 0)
            return err_set(e, ERR_INVAL, "field '%s' must hold http(s) URLs", field);
        if (strchr(urls[i], ' '))
            return err_set(e, ERR_INVAL, "field '%s': a URL may not contain spaces", field);
    }
    return 0;
}

int market__one_of(const char *field, const char *s, const char *const *allowed, struct err *e)
{
    if (s)
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(s, allowed[i]) == 0)
                return 0;
    struct strbuf sb;
    strbuf_init(&sb, 200);
    for (size_t i = 0; allowed[i]; i++)
        strbuf_addf(&sb, "%s%s", i ? ", " : "", allowed[i]);
    err_set(e, ERR_INVAL, "field '%s' must be one of: %s", field, strbuf_str(&sb));
    strbuf_release(&sb);
    return ERR_INVAL;
}

char *market__join(struct arena *a, const char *const *items, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 1;
    char *out = arena_alloc(a, len + 1), *p = out;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(items[i]);
        if (i)
            *p++ = '\n';
        memcpy(p, items[i], k);
        p += k;
    }
    *p = '\0';
    return out;
}

const char **market__split(struct arena *a, const char *text, size_t *n)
{
    *n = 0;
    if (!text || !*text)
        return NULL;
    size_t count = 1;
    for (const char *p = text; *p; p++)
        count += *p == '\n';
    const char **out = arena_alloc(a, count * sizeof *out);
    const char *start = text;
    for (const char *p = text;; p++) {
        if (*p == '\n' || *p == '\0') {
            out[(*n)++] = arena_strndup(a, start, (size_t)(p - start));
            if (!*p)
                break;
            start = p + 1;
        }
    }
    return out;
}

int market__producer_owner(struct store_conn *c, int64_t county_id, int64_t producer_id,
                           int64_t *owner, int64_t *village_id, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT owner_user_id, village_id FROM market_producers"
                           " WHERE id = ? AND county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, producer_id);
    store_bind_i64(s, 2, county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "producer %lld not found", (long long)producer_id);
    if (owner)
        *owner = store_col_i64(s, 0);
    if (village_id)
        *village_id = store_col_i64(s, 1);
    return 0;
}

int market__may_edit_product(struct store_conn *c, const struct auth_principal *who,
                             int64_t product_id, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT pr.owner_user_id FROM market_products p"
                           " JOIN market_producers pr ON pr.id = p.producer_id"
                           " WHERE p.id = ? AND p.county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, product_id);
    store_bind_i64(s, 2, who->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "product %lld not found", (long long)product_id);
    if (market__is_staff(who))
        return 0;
    if (who->role == AUTH_ROLE_MERCHANT && store_col_i64(s, 0) == who->user_id)
        return 0;
    return err_set(e, ERR_PERM, "product %lld belongs to another merchant", (long long)product_id);
}

int market__audit(struct store_conn *c, const struct auth_principal *who, const char *action,
                  const char *entity, int64_t id, const char *detail_json, struct err *e)
{
    return store_audit(c, who->county_id, who->user_id, action, entity, id, detail_json, e);
}

void market__product_row(struct store_stmt *s, struct arena *a, struct market_product *p)
{
    memset(p, 0, sizeof *p);
    p->id = store_col_i64(s, 0);
    p->county_id = store_col_i64(s, 1);
    p->producer_id = store_col_i64(s, 2);
    p->village_id = store_col_i64(s, 3);
    p->sku = arena_strdup(a, store_col_text(s, 4));
    p->name_zh = arena_strdup(a, store_col_text(s, 5));
    p->name_en = arena_strdup(a, store_col_text(s, 6));
    p->story_zh = arena_strdup(a, store_col_text(s, 7));
    p->story_en = arena_strdup(a, store_col_text(s, 8));
    p->category = arena_strdup(a, store_col_text(s, 9));
    p->unit = arena_strdup(a, store_col_text(s, 10));
    p->price_fen = store_col_i64(s, 11);
    p->weight_g = store_col_i64(s, 12);
    p->volume_ml = store_col_i64(s, 13);
    p->storage = (enum market_storage)store_col_i64(s, 14);
    p->has_conditions = true;
    p->temp_min_c = store_col_double(s, 15);
    p->temp_max_c = store_col_double(s, 16);
    p->rh_min_pct = store_col_double(s, 17);
    p->rh_max_pct = store_col_double(s, 18);
    p->shelf_life_days = (int32_t)store_col_i64(s, 19);
    p->tags = market__split(a, store_col_text(s, 20), &p->ntags);
    p->images = market__split(a, store_col_text(s, 21), &p->nimages);
    p->signature = store_col_i64(s, 22) != 0;
    p->brand = arena_strdup(a, store_col_text(s, 23));
    p->active = store_col_i64(s, 24) != 0;
    p->created_ms = store_col_i64(s, 25);
    p->updated_ms = store_col_i64(s, 26);
    p->stock = store_col_i64(s, 27);
}

/* Defaults when a product gives no conditions of its own: ambient goods
** (tea, honey, walnuts, sauces, crafts) in a dry store; chilled produce near
** 0 °C at high humidity (domain-anchors 2.4: apples -1..4 °C, 90-95 %);
** frozen at or below -18 °C as Chinese rules require. */
void market__storage_defaults(enum market_storage s, struct market_product *p)
{
    switch (s) {
    case MARKET_STORAGE_CHILLED:
        p->temp_min_c = 0, p->temp_max_c = 4, p->rh_min_pct = 85, p->rh_max_pct = 95;
        break;
    case MARKET_STORAGE_FROZEN:
        p->temp_min_c = -23, p->temp_max_c = -18, p->rh_min_pct = 90, p->rh_max_pct = 95;
        break;
    default:
        p->temp_min_c = 5, p->temp_max_c = 25, p->rh_min_pct = 40, p->rh_max_pct = 70;
        break;
    }
}

void market_storage_conditions(enum market_storage s, double *temp_min_c, double *temp_max_c,
                               double *rh_min_pct, double *rh_max_pct)
{
    struct market_product p;
    market__storage_defaults(s, &p);
    *temp_min_c = p.temp_min_c, *temp_max_c = p.temp_max_c;
    *rh_min_pct = p.rh_min_pct, *rh_max_pct = p.rh_max_pct;
}

static const char *const storage_names[] = {"ambient", "chilled", "frozen"};

const char *market_storage_name(enum market_storage s)
{
    return (unsigned)s < MARKET_STORAGE_COUNT ? storage_names[s] : NULL;
}

int market_storage_parse(const char *s, enum market_storage *out)
{
    for (int i = 0; s && i < MARKET_STORAGE_COUNT; i++)
        if (strcmp(s, storage_names[i]) == 0) {
            *out = (enum market_storage)i;
            return 0;
        }
    return ERR_INVAL;
}

int market__product_check(const struct market_product *p, struct err *e)
{
    int rc;
    if ((!p->name_zh || !*p->name_zh) && (!p->name_en || !*p->name_en))
        return err_set(e, ERR_INVAL, "field 'name_zh' or 'name_en' is required");
    if ((rc = market__text("sku", p->sku, 64, false, false, e)) ||
        (rc = market__text("name_zh", p->name_zh, MARKET_NAME_MAX, false, false, e)) ||
        (rc = market__text("name_en", p->name_en, MARKET_NAME_MAX, false, false, e)) ||
        (rc = market__text("story_zh", p->story_zh, MARKET_STORY_MAX, false, true, e)) ||
        (rc = market__text("story_en", p->story_en, MARKET_STORY_MAX, false, true, e)) ||
        (rc = market__text("category", p->category, 64, true, false, e)) ||
        (rc = market__text("unit", p->unit, 64, true, false, e)) ||
        (rc = market__text("brand", p->brand, MARKET_NAME_MAX, false, false, e)) ||
        (rc = market__int_range("price_fen", p->price_fen, 1, MARKET_PRICE_MAX_FEN, e)) ||
        (rc = market__int_range("weight_g", p->weight_g, 0, 1000000, e)) ||
        (rc = market__int_range("volume_ml", p->volume_ml, 0, 10000000, e)) ||
        (rc = market__int_range("shelf_life_days", p->shelf_life_days, 0, 3650, e)) ||
        (rc = market__tags("tags", p->tags, p->ntags, e)) ||
        (rc = market__urls("images", p->images, p->nimages, e)))
        return rc;
    if ((unsigned)p->storage >= MARKET_STORAGE_COUNT)
        return err_set(e, ERR_INVAL, "field 'storage' must be ambient, chilled or frozen");
    if (p->has_conditions) {
        if (!(p->temp_min_c >= -60 && p->temp_max_c <= 60 && p->temp_min_c <= p->temp_max_c))
            return err_set(e, ERR_INVAL,
                           "fields 'temp_min_c'..'temp_max_c' must be an ordered range"
                           " within -60..60");
        if (!(p->rh_min_pct >= 0 && p->rh_max_pct <= 100 && p->rh_min_pct <= p->rh_max_pct))
            return err_set(e, ERR_INVAL,
                           "fields 'rh_min_pct'..'rh_max_pct' must be an ordered range"
                           " within 0..100");
    }
    if (p->sku && strchr(p->sku, ' '))
        return err_set(e, ERR_INVAL, "field 'sku' may not contain spaces");
    return 0;
}

/* ------------------------------------------------- county and user references */

int market__village_check(struct store_conn *c, int64_t county_id, const char *field,
                          int64_t village_id, struct err *e)
{
    bool found = false;
    int rc = county_village_exists(c, county_id, village_id, &found, e);
    if (rc)
        return rc;
    if (!found)
        return err_set(e, ERR_BADREF, "field '%s': village %lld not found in this county", field,
                       (long long)village_id);
    return 0;
}

int market__node_check(struct store_conn *c, int64_t county_id, const char *field, int64_t node_id,
                       struct err *e)
{
    bool found = false;
    int rc = county_node_exists(c, county_id, node_id, &found, e);
    if (rc)
        return rc;
    if (!found)
        return err_set(e, ERR_BADREF, "field '%s': node %lld not found in this county", field,
                       (long long)node_id);
    return 0;
}

int market__user_check(struct store_conn *c, int64_t county_id, const char *field, int64_t user_id,
                       unsigned roles, const char *what, struct err *e)
{
    enum auth_role role;
    bool disabled;
    struct err ue = {0};
    int rc = auth_user_standing(c, county_id, user_id, &role, &disabled, &ue);
    if (rc == ERR_NOTFOUND)
        return err_set(e, ERR_BADREF, "field '%s': user %lld not found in this county", field,
                       (long long)user_id);
    if (rc) {
        *e = ue;
        return rc;
    }
    if (!(AUTH_ROLE_BIT(role) & roles))
        return err_set(e, ERR_BADREF, "field '%s': user %lld is a %s, not %s", field,
                       (long long)user_id, auth_role_name(role) ? auth_role_name(role) : "?", what);
    if (disabled)
        return err_set(e, ERR_BADREF, "field '%s': user %lld is disabled", field,
                       (long long)user_id);
    return 0;
}

int market__buyer_check(struct store_conn *c, int64_t county_id, int64_t user_id, struct err *e)
{
    return market__user_check(c, county_id, "buyer_user_id", user_id,
                              AUTH_ROLE_BIT(AUTH_ROLE_BUYER), "a buyer", e);
}
