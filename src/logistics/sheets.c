/*
** sheets.c: driver route sheets from a loaded plan: JSON (the plan's own
** shape, one route or all), CSV (one row per item, or per stop without
** items), GeoJSON (a LineString per route and a Point per stop) and a
** printable HTML page per route with the stop list, goods to load/unload
** and a QR code per delivery or drop stop (libqrencode, drawn as inline
** SVG) encoding "ruralink:pod:<stop id>:<proof code>" for proof of delivery;
** a driver's plan carries no codes, so its QR holds the stop id only. The
** JSON gives each such stop the QR's text and modules (rows of 0/1), so a
** page of its own draws the same code without reading the HTML.
**
** The HTML speaks Chinese (the county's language, the default) or English:
** its fixed words come from one table per language, and every name or
** goods text is built from the plan's fields (the driver's name, a node's
** English name, an order's lines, a consignment's description), never
** from the items' English labels, which only the CSV keeps.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#ifdef RL_HAVE_QRENCODE
#include <qrencode.h>
#endif

int logistics_sheet_format_parse(const char *s, enum logistics_sheet_format *out)
{
    static const char *const names[] = {"json", "csv", "geojson", "html"};
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum logistics_sheet_format)i;
            return 0;
        }
    return ERR_INVAL;
}

static bool route_in(const struct logistics_route *r, int64_t route_id)
{
    return route_id == 0 || r->id == route_id;
}

static void csv_field(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (; s && *s; s++) {
        if (*s == '"')
            strbuf_addch(sb, '"');
        strbuf_addch(sb, *s);
    }
    strbuf_addch(sb, '"');
}

static void html_text(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            strbuf_addstr(sb, "&lt;");
            break;
        case '>':
            strbuf_addstr(sb, "&gt;");
            break;
        case '&':
            strbuf_addstr(sb, "&amp;");
            break;
        case '"':
            strbuf_addstr(sb, "&quot;");
            break;
        default:
            strbuf_addch(sb, *s);
        }
    }
}

static const char *hhmm(int64_t ms, char buf[8])
{
    int64_t local = ms + LG_TZ_MS;
    int64_t min = ((local / 60000) % 1440 + 1440) % 1440;
    snprintf(buf, 8, "%02d:%02d", (int)(min / 60), (int)(min % 60));
    return buf;
}

static int qr_svg(struct strbuf *sb, const char *text, struct err *e)
{
#ifdef RL_HAVE_QRENCODE
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q)
        return err_set(e, ERR_INTERNAL, "QR encoding failed");
    int n = q->width, m = 2;
    strbuf_addf(sb,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"120\" "
                "height=\"120\" shape-rendering=\"crispEdges\"><rect width=\"100%%\" "
                "height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                n + 2 * m, n + 2 * m);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++)
            if (q->data[y * n + x] & 1)
                strbuf_addf(sb, "M%d %dh1v1h-1z", x + m, y + m);
    strbuf_addstr(sb, "\"/></svg>");
    QRcode_free(q);
    return 0;
#else
    (void)sb;
    (void)text;
    return err_set(e, ERR_UNSUPPORTED, "this build has no libqrencode: no HTML sheets");
#endif
}

/* What a stop's QR encodes: only what is handed over gets a proof (a
** delivery or a drop); a driver's plan has no codes (logistics_plan_get),
** so its QR names the stop only. False for a stop without a QR. */
static bool qr_text(const struct logistics_stop *s, char *buf, size_t n)
{
    if (s->kind != LOGISTICS_STOP_DELIVERY && s->kind != LOGISTICS_STOP_DROP)
        return false;
    if (s->proof_code[0])
        snprintf(buf, n, "ruralink:pod:%lld:%s", (long long)s->id, s->proof_code);
    else
        snprintf(buf, n, "ruralink:pod:%lld", (long long)s->id);
    return true;
}

/* The QR code of text as rows of '1' (dark) and '0' (light), or NULL when
** this build has no libqrencode. */
static struct json_object *qr_modules(const char *text, struct err *e)
{
#ifdef RL_HAVE_QRENCODE
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!q) {
        err_set(e, ERR_INTERNAL, "QR encoding failed");
        return NULL;
    }
    int n = q->width;
    char *row = xcalloc((size_t)n + 1, 1);
    struct json_object *rows = json_object_new_array_ext(n);
    for (int y = 0; y < n; y++) {
        for (int x = 0; x < n; x++)
            row[x] = q->data[y * n + x] & 1 ? '1' : '0';
        json_object_array_add(rows, json_object_new_string_len(row, n));
    }
    free(row);
    QRcode_free(q);
    return rows;
#else
    (void)text;
    (void)e;
    return NULL;
#endif
}

/* The JSON sheets: the plan's shape, each delivery and drop stop with the
** text of its QR code and the code's modules. */
static int write_json(const struct logistics_plan *p, struct strbuf *sb, struct err *e)
{
    struct json_object *o = logistics_plan_to_json(p, true), *routes = NULL;
    json_object_object_get_ex(o, "routes", &routes);
    int rc = 0;
    for (size_t r = 0; r < p->n_routes && !rc; r++) {
        struct json_object *stops = NULL;
        json_object_object_get_ex(json_object_array_get_idx(routes, r), "stops", &stops);
        for (size_t q = 0; q < p->routes[r].n_stops && !rc; q++) {
            char text[96];
            if (!qr_text(&p->routes[r].stops[q], text, sizeof text))
                continue;
            struct json_object *j = json_object_array_get_idx(stops, q);
            json_object_object_add(j, "qr", json_object_new_string(text));
            struct err qe = {0};
            struct json_object *m = qr_modules(text, &qe);
            if (m)
                json_object_object_add(j, "qr_modules", m);
            else if (qe.code)
                rc = err_set(e, qe.code, "%s", qe.msg);
        }
    }
    size_t n;
    const char *s = rjson_str(o, &n);
    if (!rc)
        rc = strbuf_add(sb, s, n);
    json_object_put(o);
    return rc;
}

/* ------------------------------------------------------------ languages */

const char *logistics_lang_name(enum logistics_lang l)
{
    return l == LOGISTICS_LANG_EN ? "en" : "zh";
}

int logistics_lang_parse(const char *s, enum logistics_lang *out)
{
    if (s && strcmp(s, "zh") == 0)
        *out = LOGISTICS_LANG_ZH;
    else if (s && strcmp(s, "en") == 0)
        *out = LOGISTICS_LANG_EN;
    else
        return ERR_INVAL;
    return 0;
}

/* ----------------------------------------------------------- HTML words */

/* Every fixed text of an HTML sheet, per language. Pieces rather than
** format strings: the numbers go between them. */
struct words {
    const char *title, *route, *vehicle, *driver, *no_driver, *plan;
    const char *sep, *open, *close, *colon, *list_sep, *times;
    const char *cols[6];
    const char *kind[LOGISTICS_STOP_KIND_COUNT];
    const char *load, *unload;
    const char *storage[LOGISTICS_STORAGE_COUNT];
    const char *temp[LOGISTICS_TEMP_COUNT];
    const char *status[LOGISTICS_PLAN_STATUS_COUNT];
    const char *urgent, *order, *order_address, *consignment, *pickup_of, *pickup_tail;
    const char *parcel, *product;
    const char *kg, *g;
};

static const struct words WORDS[LOGISTICS_LANG_COUNT] = {
    [LOGISTICS_LANG_ZH] =
        {
            .title = "路单",
            .route = "线路 ",
            .vehicle = "车辆 ",
            .driver = "司机 ",
            .no_driver = "未指派司机",
            .plan = "计划 ",
            .sep = " · ",
            .open = "（",
            .close = "）",
            .colon = "：",
            .list_sep = "、",
            .times = " × ",
            .cols = {"站序", "地点", "预计到达", "时间窗", "货物", "签收凭证"},
            .kind = {"出发", "送货", "取货", "卸货", "返回"},
            .load = "装车",
            .unload = "卸车",
            .storage = {"常温", "冷藏", "冷冻"},
            .temp = {"常温车", "冷藏车", "冷冻车", "冷藏冷冻车"},
            .status = {"草稿", "已批准", "已被替代"},
            .urgent = "加急",
            .order = "订单 #",
            .order_address = " 的收货地址",
            .consignment = "待运货物 #",
            .pickup_of = "待运货物 #",
            .pickup_tail = " 的取货点",
            .parcel = "包裹",
            .product = "商品 #",
            .kg = " 公斤",
            .g = " 克",
        },
    [LOGISTICS_LANG_EN] =
        {
            .title = "Route sheet",
            .route = "Route ",
            .vehicle = "Vehicle ",
            .driver = "Driver ",
            .no_driver = "No driver",
            .plan = "Plan ",
            .sep = " · ",
            .open = " (",
            .close = ")",
            .colon = ": ",
            .list_sep = ", ",
            .times = " × ",
            .cols = {"Stop", "Place", "Arrive", "Window", "Goods", "Proof of delivery"},
            .kind = {"Departure", "Delivery", "Pickup", "Drop-off", "Return"},
            .load = "Load",
            .unload = "Unload",
            .storage = {"Ambient", "Chilled", "Frozen"},
            .temp = {"not refrigerated", "chilled", "frozen", "chilled and frozen"},
            .status = {"draft", "approved", "superseded"},
            .urgent = "Urgent",
            .order = "Order #",
            .order_address = "'s delivery address",
            .consignment = "Consignment #",
            .pickup_of = "Pickup of consignment #",
            .pickup_tail = "",
            .parcel = "Parcel",
            .product = "Product #",
            .kg = " kg",
            .g = " g",
        },
};

/* What a node of each kind is called after its place, in English (the
** dashboard's node.named.* texts). */
static const char *const NODE_KIND_EN[COUNTY_NODE_KIND_COUNT] = {
    [COUNTY_NODE_HUB] = "logistics hub",
    [COUNTY_NODE_STATION] = "station",
    [COUNTY_NODE_POINT] = "service point",
    [COUNTY_NODE_COLD_STORE] = "cold store",
};

static void html_textn(struct strbuf *sb, const char *s, size_t n)
{
    char buf[COUNTY_NAME_BUF];
    snprintf(buf, sizeof buf, "%.*s", (int)n, s);
    html_text(sb, buf);
}

static int cmp_node(const void *k, const void *x)
{
    int64_t a = *(const int64_t *)k, b = ((const struct county_node *)x)->id;
    return (a > b) - (a < b);
}

static int cmp_village(const void *k, const void *x)
{
    int64_t a = *(const int64_t *)k, b = ((const struct county_village *)x)->id;
    return (a > b) - (a < b);
}

static int cmp_township(const void *k, const void *x)
{
    int64_t a = *(const int64_t *)k, b = ((const struct county_township *)x)->id;
    return (a > b) - (a < b);
}

static const struct county_node *net_node(const struct county_network *net, int64_t id)
{
    return id && net->n_nodes ? bsearch(&id, net->nodes, net->n_nodes, sizeof *net->nodes, cmp_node)
                              : NULL;
}

static const struct county_village *net_village(const struct county_network *net, int64_t id)
{
    return id && net->n_villages
               ? bsearch(&id, net->villages, net->n_villages, sizeof *net->villages, cmp_village)
               : NULL;
}

static const struct county_township *net_township(const struct county_network *net, int64_t id)
{
    return id && net->n_townships ? bsearch(&id, net->townships, net->n_townships,
                                            sizeof *net->townships, cmp_township)
                                  : NULL;
}

/* The township a node belongs to: its own, its village's, or a parent's (a
** cold store under a township station). */
static const struct county_township *node_township(const struct county_network *net,
                                                   const struct county_node *nd)
{
    for (int i = 0; nd && i < 4; nd = net_node(net, nd->parent_id), i++) {
        const struct county_township *t = net_township(net, nd->township_id);
        const struct county_village *v = net_village(net, nd->village_id);
        if (!t && v)
            t = net_township(net, v->township_id);
        if (t)
            return t;
    }
    return NULL;
}

/* A node's English name: its name_en; else its place's name_en and its
** kind; else false (the caller keeps the Chinese name). */
static bool node_name_en(struct strbuf *sb, const struct county_network *net, int64_t id)
{
    const struct county_node *nd = net_node(net, id);
    if (!nd)
        return false;
    if (nd->name_en[0]) {
        html_text(sb, nd->name_en);
        return true;
    }
    const char *place = NULL;
    size_t n = 0;
    if (nd->kind == COUNTY_NODE_POINT) {
        const struct county_village *v = net_village(net, nd->village_id);
        place = v ? v->name_en : NULL;
    } else if (nd->kind != COUNTY_NODE_HUB) {
        const struct county_township *t = node_township(net, nd);
        place = t ? t->name_en : NULL;
    }
    if (place && place[0]) {
        n = strlen(place);
    } else {
        /* the county's name without a note in brackets ("Qinglan County
        ** (fictional demo)" names its hub "Qinglan County logistics hub") */
        place = net->county.name_en;
        n = strlen(place);
        const char *br = n && place[n - 1] == ')' ? strrchr(place, '(') : NULL;
        if (br) {
            n = (size_t)(br - place);
            while (n && place[n - 1] == ' ')
                n--;
        }
    }
    if (!n || (unsigned)nd->kind >= COUNTY_NODE_KIND_COUNT)
        return false;
    html_textn(sb, place, n);
    strbuf_addch(sb, ' ');
    strbuf_addstr(sb, NODE_KIND_EN[nd->kind]);
    return true;
}

/* The first order (or else consignment) a stop handles. */
static const struct logistics_item *stop_work(const struct logistics_stop *s)
{
    const struct logistics_item *c = NULL;
    for (size_t i = 0; i < s->n_items; i++) {
        if (s->items[i].order_id)
            return &s->items[i];
        if (s->items[i].consignment_id && !c)
            c = &s->items[i];
    }
    return c;
}

/* Where a stop is: its node; a delivery to an address by its order and the
** address; a pickup at a village without a service point by the village. */
static void stop_place(struct strbuf *sb, const struct logistics_stop *s,
                       const struct logistics_sheet_ctx *ctx, const struct words *w)
{
    bool en = ctx && ctx->lang == LOGISTICS_LANG_EN;
    if (s->node_id) {
        if (!en || !node_name_en(sb, &ctx->net, s->node_id))
            html_text(sb, s->name);
        return;
    }
    const struct logistics_item *it = stop_work(s);
    if (it && it->order_id) {
        strbuf_addf(sb, "%s%lld", w->order, (long long)it->order_id);
        if (s->address && s->address[0]) {
            strbuf_addstr(sb, w->colon);
            html_text(sb, s->address);
        } else { /* plans made before stops kept their address */
            strbuf_addstr(sb, w->order_address);
        }
        return;
    }
    if (s->village_id) {
        const struct county_village *v = en ? net_village(&ctx->net, s->village_id) : NULL;
        html_text(sb, v && v->name_en[0] ? v->name_en : s->name);
        return;
    }
    if (it && it->consignment_id) {
        strbuf_addf(sb, "%s%lld%s", w->pickup_of, (long long)it->consignment_id, w->pickup_tail);
        return;
    }
    html_text(sb, s->address && s->address[0] ? s->address : s->name);
}

static void weight(struct strbuf *sb, int64_t g, const struct words *w)
{
    if (g >= 1000)
        strbuf_addf(sb, "%.1f%s", (double)g / 1000, w->kg);
    else
        strbuf_addf(sb, "%lld%s", (long long)g, w->g);
}

/* What an item is, from its fields: "订单 #12：苹果 × 3、鸡蛋 × 2 · 16.8 公斤
** · 冷藏 · 加急". */
static void item_text(struct strbuf *sb, const struct logistics_item *it, bool en,
                      const struct words *w)
{
    strbuf_addf(sb, "<b>%s</b> ", it->load ? w->load : w->unload);
    if (it->order_id) {
        strbuf_addf(sb, "%s%lld", w->order, (long long)it->order_id);
        for (size_t k = 0; k < it->n_lines; k++) {
            const struct logistics_item_line *l = &it->lines[k];
            const char *a = en ? l->name_en : l->name_zh, *b = en ? l->name_zh : l->name_en;
            const char *name = a && a[0] ? a : b;
            strbuf_addstr(sb, k ? w->list_sep : w->colon);
            if (name && name[0])
                html_text(sb, name);
            else
                strbuf_addf(sb, "%s%lld", w->product, (long long)l->product_id);
            strbuf_addf(sb, "%s%lld", w->times, (long long)l->qty);
        }
    } else if (it->consignment_id) {
        strbuf_addf(sb, "%s%lld", w->consignment, (long long)it->consignment_id);
        if (it->description && it->description[0]) {
            strbuf_addstr(sb, w->colon);
            html_text(sb, it->description);
        }
    } else {
        strbuf_addstr(sb, w->parcel);
    }
    strbuf_addstr(sb, w->sep);
    weight(sb, it->weight_g, w);
    if (it->storage != LOGISTICS_AMBIENT && (unsigned)it->storage < LOGISTICS_STORAGE_COUNT)
        strbuf_addf(sb, "%s%s", w->sep, w->storage[it->storage]);
    if (it->urgent)
        strbuf_addf(sb, "%s%s", w->sep, w->urgent);
}

static void driver_name(struct strbuf *sb, int64_t user_id, const struct logistics_sheet_ctx *ctx,
                        const struct words *w)
{
    if (!user_id) {
        strbuf_addstr(sb, w->no_driver);
        return;
    }
    strbuf_addstr(sb, w->driver);
    for (size_t i = 0; ctx && i < ctx->n_drivers; i++)
        if (ctx->drivers[i].user_id == user_id && ctx->drivers[i].name[0]) {
            html_text(sb, ctx->drivers[i].name);
            return;
        }
    strbuf_addf(sb, "#%lld", (long long)user_id);
}

static int write_html(const struct logistics_plan *p, int64_t route_id,
                      const struct logistics_sheet_ctx *ctx, struct strbuf *sb, struct err *e)
{
    enum logistics_lang lang = ctx ? ctx->lang : LOGISTICS_LANG_ZH;
    if ((unsigned)lang >= LOGISTICS_LANG_COUNT)
        return err_set(e, ERR_INVAL, "unknown sheet language");
    const struct words *w = &WORDS[lang];
    bool en = lang == LOGISTICS_LANG_EN;
    int y;
    unsigned mo, d;
    time_civil_from_days(p->date_ms / LG_DAY_MS, &y, &mo, &d);
    strbuf_addf(sb, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\"><title>%s%s",
                logistics_lang_name(lang), w->title, w->sep);
    html_text(sb, p->name);
    strbuf_addstr(sb, "</title><style>body{font-family:sans-serif}"
                      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
                      "padding:4px;vertical-align:top}.route{page-break-after:always}"
                      "</style></head><body>");
    char a[8], b[8];
    for (size_t r = 0; r < p->n_routes; r++) {
        const struct logistics_route *rt = &p->routes[r];
        if (!route_in(rt, route_id))
            continue;
        strbuf_addstr(sb, "<section class=\"route\"><h1>");
        html_text(sb, p->name);
        strbuf_addf(sb, "%s%s%d</h1><p>%s", w->sep, w->route, rt->seq, w->vehicle);
        html_text(sb, rt->vehicle.plate);
        if ((unsigned)rt->vehicle.temp < LOGISTICS_TEMP_COUNT)
            strbuf_addf(sb, "%s%s%s", w->open, w->temp[rt->vehicle.temp], w->close);
        strbuf_addstr(sb, w->sep);
        driver_name(sb, rt->driver_user_id, ctx, w);
        strbuf_addf(sb, "%s%s%lld", w->sep, w->plan, (long long)p->id);
        if ((unsigned)p->status < LOGISTICS_PLAN_STATUS_COUNT)
            strbuf_addf(sb, "%s%s%s", w->open, w->status[p->status], w->close);
        strbuf_addf(sb, "%s%04d-%02u-%02u</p><table><tr>", w->sep, y, mo, d);
        for (size_t c = 0; c < RL_ARRAY_LEN(w->cols); c++)
            strbuf_addf(sb, "<th>%s</th>", w->cols[c]);
        strbuf_addstr(sb, "</tr>");
        for (size_t q = 0; q < rt->n_stops; q++) {
            const struct logistics_stop *s = &rt->stops[q];
            strbuf_addf(sb, "<tr><td>%d</td><td>", s->seq);
            stop_place(sb, s, ctx, w);
            if ((unsigned)s->kind < LOGISTICS_STOP_KIND_COUNT)
                strbuf_addf(sb, "<br><small>%s</small>", w->kind[s->kind]);
            strbuf_addf(sb, "</td><td>%s</td><td>%s-", hhmm(s->arrive_ms, a),
                        hhmm(s->tw_start_ms, b));
            strbuf_addf(sb, "%s</td><td><ul>", hhmm(s->tw_end_ms, a));
            for (size_t i = 0; i < s->n_items; i++) {
                strbuf_addstr(sb, "<li>");
                item_text(sb, &s->items[i], en, w);
                strbuf_addstr(sb, "</li>");
            }
            strbuf_addstr(sb, "</ul></td><td>");
            char text[96];
            if (qr_text(s, text, sizeof text)) {
                int rc = qr_svg(sb, text, e);
                if (rc)
                    return rc;
            }
            strbuf_addstr(sb, "</td></tr>");
        }
        strbuf_addstr(sb, "</table></section>");
    }
    return strbuf_addstr(sb, "</body></html>\n");
}

int logistics_sheet_ctx_load(struct store *st, const struct auth_principal *who,
                             const struct logistics_plan *p, enum logistics_lang lang,
                             struct logistics_sheet_ctx *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->lang = lang;
    if ((unsigned)lang >= LOGISTICS_LANG_COUNT)
        return err_set(e, ERR_INVAL, "unknown sheet language");
    out->drivers = xcalloc(p->n_routes ? p->n_routes : 1, sizeof *out->drivers);
    for (size_t r = 0; r < p->n_routes; r++) {
        int64_t id = p->routes[r].driver_user_id;
        bool seen = id == 0;
        for (size_t i = 0; i < out->n_drivers && !seen; i++)
            seen = out->drivers[i].user_id == id;
        if (seen)
            continue;
        struct auth_user u;
        struct err ue = {0};
        int rc = auth_user_get(st, who->county_id, id, &u, &ue);
        if (rc == ERR_NOTFOUND)
            continue; /* the sheet shows the id */
        if (rc)
            return err_set(e, rc, "%s", ue.msg);
        struct logistics_sheet_driver *d = &out->drivers[out->n_drivers++];
        d->user_id = id;
        snprintf(d->name, sizeof d->name, "%s", u.display_name[0] ? u.display_name : u.name);
    }
    if (lang == LOGISTICS_LANG_EN)
        return county_network_load(st, who, &out->net, e);
    return 0;
}

void logistics_sheet_ctx_release(struct logistics_sheet_ctx *ctx)
{
    if (!ctx)
        return;
    free(ctx->drivers);
    county_network_release(&ctx->net);
    memset(ctx, 0, sizeof *ctx);
}

int logistics_sheet_write(const struct logistics_plan *p, int64_t route_id,
                          enum logistics_sheet_format fmt, struct strbuf *sb, struct err *e)
{
    return logistics_sheet_write_ctx(p, route_id, fmt, NULL, sb, e);
}

int logistics_sheet_write_ctx(const struct logistics_plan *p, int64_t route_id,
                              enum logistics_sheet_format fmt,
                              const struct logistics_sheet_ctx *ctx, struct strbuf *sb,
                              struct err *e)
{
    bool found = route_id == 0;
    for (size_t r = 0; r < p->n_routes; r++)
        found |= p->routes[r].id == route_id;
    if (!found)
        return err_set(e, ERR_NOTFOUND, "no route %lld in plan %lld", (long long)route_id,
                       (long long)p->id);
    char t1[32], t2[32];
    int rc = 0;
    switch (fmt) {
    case LOGISTICS_SHEET_JSON: {
        struct logistics_plan view = *p;
        struct logistics_route *one = NULL;
        if (route_id) {
            for (size_t r = 0; r < p->n_routes; r++)
                if (p->routes[r].id == route_id)
                    one = &p->routes[r];
            view.routes = one;
            view.n_routes = 1;
        }
        rc = write_json(&view, sb, e);
        break;
    }
    case LOGISTICS_SHEET_CSV:
        strbuf_addstr(sb, "route_id,vehicle,stop_seq,stop_id,kind,node_id,name,eta,departure,"
                          "action,order_id,consignment_id,weight_g,volume_ml,storage,label\n");
        for (size_t r = 0; r < p->n_routes; r++) {
            const struct logistics_route *rt = &p->routes[r];
            if (!route_in(rt, route_id))
                continue;
            for (size_t q = 0; q < rt->n_stops; q++) {
                const struct logistics_stop *s = &rt->stops[q];
                size_t n = s->n_items ? s->n_items : 1;
                for (size_t i = 0; i < n; i++) {
                    const struct logistics_item *it = s->n_items ? &s->items[i] : NULL;
                    strbuf_addf(sb, "%lld,", (long long)rt->id);
                    csv_field(sb, rt->vehicle.plate);
                    strbuf_addf(sb, ",%d,%lld,%s,%lld,", s->seq, (long long)s->id,
                                logistics_stop_kind_name(s->kind), (long long)s->node_id);
                    csv_field(sb, s->name);
                    strbuf_addf(sb, ",%s,%s,", time_fmt_rfc3339(s->arrive_ms, t1),
                                time_fmt_rfc3339(s->depart_ms, t2));
                    if (it) {
                        strbuf_addf(sb, "%s,%lld,%lld,%lld,%lld,%s,", it->load ? "load" : "unload",
                                    (long long)it->order_id, (long long)it->consignment_id,
                                    (long long)it->weight_g, (long long)it->volume_ml,
                                    it->storage == LOGISTICS_CHILLED  ? "chilled"
                                    : it->storage == LOGISTICS_FROZEN ? "frozen"
                                                                      : "ambient");
                        csv_field(sb, it->label);
                    } else {
                        strbuf_addstr(sb, ",,,,,,");
                    }
                    rc = strbuf_addch(sb, '\n');
                }
            }
        }
        break;
    case LOGISTICS_SHEET_GEOJSON:
        strbuf_addstr(sb, "{\"type\":\"FeatureCollection\",\"features\":[");
        {
            bool first = true;
            for (size_t r = 0; r < p->n_routes; r++) {
                const struct logistics_route *rt = &p->routes[r];
                if (!route_in(rt, route_id))
                    continue;
                strbuf_addf(sb,
                            "%s{\"type\":\"Feature\",\"properties\":{\"layer\":\"route\","
                            "\"route_id\":%lld,\"vehicle\":",
                            first ? "" : ",", (long long)rt->id);
                strbuf_add_json_str(sb, rt->vehicle.plate, strlen(rt->vehicle.plate));
                strbuf_addstr(sb, "},\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
                for (size_t q = 0; q < rt->n_stops; q++)
                    strbuf_addf(sb, "%s[%.6f,%.6f]", q ? "," : "", rt->stops[q].loc.lon,
                                rt->stops[q].loc.lat);
                strbuf_addstr(sb, "]}}");
                first = false;
                for (size_t q = 0; q < rt->n_stops; q++) {
                    const struct logistics_stop *s = &rt->stops[q];
                    strbuf_addf(sb,
                                ",{\"type\":\"Feature\",\"properties\":{\"layer\":\"stop\","
                                "\"route_id\":%lld,\"stop_id\":%lld,\"seq\":%d,\"kind\":\"%s\","
                                "\"eta\":\"%s\",\"name\":",
                                (long long)rt->id, (long long)s->id, s->seq,
                                logistics_stop_kind_name(s->kind),
                                time_fmt_rfc3339(s->arrive_ms, t1));
                    strbuf_add_json_str(sb, s->name ? s->name : "", s->name ? strlen(s->name) : 0);
                    strbuf_addf(sb,
                                "},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                                "[%.6f,%.6f]}}",
                                s->loc.lon, s->loc.lat);
                }
            }
        }
        rc = strbuf_addstr(sb, "]}");
        break;
    case LOGISTICS_SHEET_HTML:
        rc = write_html(p, route_id, ctx, sb, e);
        break;
    default:
        return err_set(e, ERR_INVAL, "unknown sheet format");
    }
    if (rc == ERR_TOOBIG)
        return err_set(e, ERR_TOOBIG, "the sheet is too large");
    return rc;
}
