/*
** sheets.c: driver route sheets from a loaded plan: JSON (the plan's own
** shape, one route or all), CSV (one row per item, or per stop without
** items), GeoJSON (a LineString per route and a Point per stop) and a
** printable HTML page per route with the stop list, goods to load/unload
** and a QR code per delivery or drop stop (libqrencode, drawn as inline
** SVG) encoding "ruralink:pod:<stop id>:<proof code>" for proof of delivery;
** a driver's plan carries no codes, so its QR holds the stop id only. The
** JSON gives each such stop the QR's text and modules (rows of 0/1), so a
** page in another language draws the same code without reading the HTML.
*/
#include "logistics/logistics_int.h"

#include <json-c/json.h>
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

static int write_html(const struct logistics_plan *p, int64_t route_id, struct strbuf *sb,
                      struct err *e)
{
    strbuf_addstr(sb, "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
                      "<title>Route sheet</title><style>body{font-family:sans-serif}"
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
        strbuf_addf(sb, " - route %d</h1><p>Vehicle ", rt->seq);
        html_text(sb, rt->vehicle.plate);
        strbuf_addf(sb, " (%s), driver user %lld, plan %lld (%s)</p>",
                    logistics_temp_name(rt->vehicle.temp), (long long)rt->driver_user_id,
                    (long long)p->id, logistics_plan_status_name(p->status));
        strbuf_addstr(sb, "<table><tr><th>#</th><th>Stop</th><th>ETA</th><th>Window</th>"
                          "<th>Goods</th><th>Proof</th></tr>");
        for (size_t q = 0; q < rt->n_stops; q++) {
            const struct logistics_stop *s = &rt->stops[q];
            strbuf_addf(sb, "<tr><td>%d</td><td>%s: ", s->seq, logistics_stop_kind_name(s->kind));
            html_text(sb, s->name);
            strbuf_addf(sb, "</td><td>%s</td><td>%s-", hhmm(s->arrive_ms, a),
                        hhmm(s->tw_start_ms, b));
            strbuf_addf(sb, "%s</td><td><ul>", hhmm(s->tw_end_ms, a));
            for (size_t i = 0; i < s->n_items; i++) {
                const struct logistics_item *it = &s->items[i];
                strbuf_addf(sb, "<li>%s ", it->load ? "load" : "unload");
                html_text(sb, it->label);
                strbuf_addf(sb, " (%.1f kg%s)</li>", (double)it->weight_g / 1000,
                            it->storage == LOGISTICS_CHILLED  ? ", chilled"
                            : it->storage == LOGISTICS_FROZEN ? ", frozen"
                                                              : "");
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

int logistics_sheet_write(const struct logistics_plan *p, int64_t route_id,
                          enum logistics_sheet_format fmt, struct strbuf *sb, struct err *e)
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
        rc = write_html(p, route_id, sb, e);
        break;
    default:
        return err_set(e, ERR_INVAL, "unknown sheet format");
    }
    if (rc == ERR_TOOBIG)
        return err_set(e, ERR_TOOBIG, "the sheet is too large");
    return rc;
}
