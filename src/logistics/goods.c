/*
** goods.c: what a plan says of the goods it carries, so that a page can
** name them without asking market for each order: an order's lines
** (product, names zh and en, quantity) as the plan took them, taken from
** market's dispatch view and its products (each product read once per
** dispatch), and their stored form (lg_stop_items.lines_json) and JSON.
*/
#include "logistics/logistics_int.h"

#include "market/market.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct json_object *logistics__lines_json(const struct logistics_item_line *l, size_t n)
{
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "product_id", json_object_new_int64(l[i].product_id));
        json_object_object_add(j, "qty", json_object_new_int64(l[i].qty));
        json_object_object_add(j, "name_zh",
                               json_object_new_string(l[i].name_zh ? l[i].name_zh : ""));
        json_object_object_add(j, "name_en",
                               json_object_new_string(l[i].name_en ? l[i].name_en : ""));
        json_object_array_add(arr, j);
    }
    return arr;
}

char *logistics__lines_encode(const struct logistics_item_line *l, size_t n)
{
    if (!n)
        return xstrdup("");
    struct json_object *arr = logistics__lines_json(l, n);
    char *s = xstrdup(rjson_str(arr, NULL));
    json_object_put(arr);
    return s;
}

static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

void logistics__lines_decode(const char *txt, struct arena *a, struct logistics_item_line **out,
                             size_t *n)
{
    *out = NULL;
    *n = 0;
    struct json_object *arr = NULL;
    if (!txt || !*txt || rjson_parse(txt, strlen(txt), &arr, NULL) ||
        !json_object_is_type(arr, json_type_array)) {
        json_object_put(arr);
        return;
    }
    size_t k = json_object_array_length(arr);
    struct logistics_item_line *l = arena_calloc(a, (k + 1) * sizeof *l);
    for (size_t i = 0; i < k; i++) {
        struct json_object *j = json_object_array_get_idx(arr, i), *v;
        if (json_object_object_get_ex(j, "product_id", &v))
            l[i].product_id = json_object_get_int64(v);
        if (json_object_object_get_ex(j, "qty", &v))
            l[i].qty = json_object_get_int64(v);
        l[i].name_zh = arena_strdup(a, str_of(j, "name_zh"));
        l[i].name_en = arena_strdup(a, str_of(j, "name_en"));
    }
    json_object_put(arr);
    *out = l;
    *n = k;
}

void logistics__names_release(struct logistics__names *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* The cached names of a product, reading it from market on a miss. */
static int names_of(struct store *st, const struct auth_principal *who, int64_t product_id,
                    const char *fallback, struct logistics__names *c, struct arena *a,
                    const struct logistics__name **out, struct err *e)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].product_id == product_id) {
            *out = &c->v[i];
            return 0;
        }
    struct market_product p;
    struct err pe = {0};
    int rc = market_product_get(st, who, product_id, a, &p, &pe);
    xgrow((void **)&c->v, &c->cap, c->n + 1, sizeof *c->v);
    struct logistics__name *x = &c->v[c->n++];
    x->product_id = product_id;
    if (!rc) {
        x->zh = p.name_zh ? p.name_zh : "";
        x->en = p.name_en ? p.name_en : "";
    } else if (rc == ERR_NOTFOUND || rc == ERR_PERM) {
        /* names are what a page shows, not what the plan needs */
        x->zh = arena_strdup(a, fallback ? fallback : "");
        x->en = "";
    } else {
        c->n--;
        return err_set(e, rc, "product %lld: %s", (long long)product_id, pe.msg);
    }
    *out = x;
    return 0;
}

int logistics__order_lines(struct store *st, const struct auth_principal *who,
                           const struct market_dispatch_order *o, struct logistics__names *cache,
                           struct arena *a, struct logistics_item_line **out, size_t *n,
                           struct err *e)
{
    *out = NULL;
    *n = 0;
    if (!o->nlines)
        return 0;
    struct logistics_item_line *l = arena_calloc(a, (o->nlines + 1) * sizeof *l);
    for (size_t i = 0; i < o->nlines; i++) {
        const struct market_dispatch_line *d = &o->lines[i];
        const struct logistics__name *nm;
        int rc = names_of(st, who, d->product_id, d->name, cache, a, &nm, e);
        if (rc)
            return rc;
        l[i] = (struct logistics_item_line){d->product_id, d->qty, nm->zh, nm->en};
    }
    *out = l;
    *n = o->nlines;
    return 0;
}
