/*
** h_telemetry.c: HTTP routes of telemetry (src/telemetry): the ingest doors
** (InfluxDB line protocol on /api/v1/telemetry/write, on /write like
** InfluxDB 1.x and on /api/v2/write like 2.x; JSON batches), series and downsampled queries,
*profiles,
** monitors, alerts and their lifecycle, webhooks, the cold-chain report and
** MKT of a series, and the farm/environment calculators (water class, AQI,
** irrigation advice). Handlers map JSON/query strings to telemetry calls;
** the module state is app->telemetry (made by `ruralink serve`).
**
** Line-protocol answers follow InfluxDB 1.x: 204 No Content when every line
** was stored; 400 with {"error": "partial write: ...", ...} when some lines
** were bad (the good ones ARE stored, durably, before the answer) or when
** none was good. Idempotency-Key is handled by telemetry itself, inside the
** same transaction as the readings (so not with HTTP_IDEMPOTENT): a replay
** answers like the first time with Idempotent-Replayed: true, stores nothing.
**
** The three line-protocol doors take InfluxDB clients' credentials as they
** send them (HTTP_INFLUX_AUTH): the device token as Bearer, as "Token <t>"
** (2.x), as the password of Basic auth or of the 1.x u/p query parameters,
** so Telegraf's influxdb and influxdb_v2 outputs work unchanged. The 2.x
** org and bucket parameters are accepted and ignored (a device writes into
** its own county).
*/
#include "http/http.h"
#include "telemetry/telemetry.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WRITERS (AUTH_ROLE_BIT(AUTH_ROLE_DEVICE) | AUTH_STAFF)

static struct telemetry *tm(struct app *app, struct http_resp *w)
{
    if (!app->telemetry)
        http_resp_problem(w, 503, "Telemetry unavailable",
                          "this server was started without the telemetry module state");
    return app->telemetry;
}

/* ------------------------------------------------------------- ingest */

static void lp_write(struct app *app, struct http_req *req, struct http_resp *w, bool influx)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    enum tm_precision prec;
    /* an empty ?precision= is the door's default, not ns (InfluxDB's) */
    const char *p = http_query(req, "precision");
    if (tm_precision_parse(p && *p ? p : (influx ? "ns" : "ms"), &prec)) {
        http_resp_problem(w, 400, "Bad precision", "precision must be ns, us, ms or s");
        return;
    }
    const char *key = http_header(req, "Idempotency-Key");
    struct tm_lp_batch b;
    struct tm_ingest_result r;
    int rc = tm_ingest_lp(t, req->who.county_id, req->who.device_id, key, req->body, req->body_len,
                          prec, req->arena, &b, &r, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (r.replayed)
        http_resp_header(w, "Idempotent-Replayed", "true");
    char n[32];
    snprintf(n, sizeof n, "%zu", r.written);
    http_resp_header(w, "X-Ruralink-Written", n);
    if (b.bad_lines == 0 && (b.npoints > 0 || r.replayed)) {
        http_resp_bytes(w, 204, NULL, "", 0);
        return;
    }
    struct json_object *o = json_object_new_object();
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 4096);
    if (b.bad_lines == 0) {
        strbuf_addstr(&sb, "no points in the body");
    } else {
        strbuf_addstr(&sb, b.npoints ? "partial write: " : "unable to parse: ");
        for (size_t i = 0; i < b.nerrors && i < 5; i++)
            strbuf_addf(&sb, "%sline %d: %s", i ? "; " : "", b.errors[i].line, b.errors[i].msg);
        if (b.bad_lines > 5)
            strbuf_addf(&sb, "; and %zu more bad lines", b.bad_lines - 5);
    }
    json_object_object_add(o, "error", json_object_new_string(strbuf_str(&sb)));
    strbuf_release(&sb);
    json_object_object_add(o, "written", json_object_new_int64((int64_t)r.written));
    json_object_object_add(o, "points_ok", json_object_new_int64((int64_t)b.npoints));
    json_object_object_add(o, "lines_rejected", json_object_new_int64((int64_t)b.bad_lines));
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < b.nerrors; i++) {
        struct json_object *x = json_object_new_object();
        json_object_object_add(x, "line", json_object_new_int(b.errors[i].line));
        json_object_object_add(x, "message", json_object_new_string(b.errors[i].msg));
        json_object_array_add(arr, x);
    }
    json_object_object_add(o, "errors", arr);
    http_resp_json(w, 400, o);
}

static void h_write(struct app *app, struct http_req *req, struct http_resp *w)
{
    lp_write(app, req, w, false);
}

static void h_influx_write(struct app *app, struct http_req *req, struct http_resp *w)
{
    lp_write(app, req, w, true);
}

static void h_readings(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    struct tm_ingest_result r;
    int rc = tm_ingest_json(t, req->who.county_id, req->who.device_id,
                            http_header(req, "Idempotency-Key"), req->body, req->body_len,
                            req->arena, &r, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    if (r.replayed)
        http_resp_header(w, "Idempotent-Replayed", "true");
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "written", json_object_new_int64((int64_t)r.written));
    json_object_object_add(o, "series_new", json_object_new_int64((int64_t)r.series_new));
    json_object_object_add(o, "excursions", json_object_new_int64((int64_t)r.excursions));
    json_object_object_add(o, "replayed", json_object_new_boolean(r.replayed));
    http_resp_json(w, 200, o);
}

/* ------------------------------------------------------------- series */

static struct json_object *series_json(const struct tm_series *s)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(s->id));
    json_object_object_add(o, "key", json_object_new_string(s->key));
    json_object_object_add(o, "measurement", json_object_new_string(s->measurement));
    json_object_object_add(o, "field", json_object_new_string(s->field));
    json_object_object_add(o, "device_id", json_object_new_int64(s->device_id));
    json_object_object_add(o, "profile", s->profile[0] ? json_object_new_string(s->profile) : NULL);
    json_object_object_add(o, "first", s->first_ms ? rjson_new_time(s->first_ms) : NULL);
    json_object_object_add(o, "last", s->last_ms ? rjson_new_time(s->last_ms) : NULL);
    if (s->count >= 0)
        json_object_object_add(o, "count", json_object_new_int64(s->count));
    return o;
}

static void h_series_list(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    struct tm_series *v;
    size_t n;
    if (tm_series_list(t, req->who.county_id, http_query(req, "measurement"), &v, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, series_json(&v[i]));
    free(v);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "series", arr);
    http_resp_json(w, 200, o);
}

static void h_series_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id;
    struct tm_series s;
    if (http_param_id(req, "id", &id, &e) || tm_series_get(t, req->who.county_id, id, &s, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, series_json(&s));
}

/* RFC 3339 or integer ms. */
static int query_time(struct http_req *req, const char *name, int64_t dflt, int64_t *out,
                      struct err *e)
{
    const char *s = http_query(req, name);
    if (!s) {
        *out = dflt;
        return 0;
    }
    if (time_parse_rfc3339(s, out) == 0 || time_parse_date(s, out) == 0)
        return 0;
    if (str_to_i64(str_from(s), out) == 0 && *out >= 0)
        return 0;
    return err_set(e, ERR_INVAL, "query '%s' must be RFC 3339 or milliseconds since 1970", name);
}

/* "500ms", "30s", "5m", "1h", "1d" or a number of ms. */
static int parse_dur(const char *s, int64_t *ms)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0)
        return ERR_INVAL;
    int64_t mul = !*end                ? 1
                  : !strcmp(end, "ms") ? 1
                  : !strcmp(end, "s")  ? 1000
                  : !strcmp(end, "m")  ? 60000
                  : !strcmp(end, "h")  ? 3600000
                  : !strcmp(end, "d")  ? 86400000
                                       : 0;
    if (!mul || v > INT64_MAX / mul)
        return ERR_INVAL;
    *ms = v * mul;
    return 0;
}

static int range(struct http_req *req, int64_t *from, int64_t *to, struct err *e)
{
    int64_t now = time_now_ms();
    if (query_time(req, "to", now + 1, to, e) || query_time(req, "from", *to - 86400000, from, e))
        return ERR_INVAL;
    if (*to <= *from)
        return err_set(e, ERR_INVAL, "'to' must be after 'from'");
    return 0;
}

/* A stored reading as a JSON number that reads back as the same double:
** the shortest of 15..17 significant digits that round-trips (17 always
** does), so 21.47 stays "21.47" and 0.1 + 0.2 keeps every bit. */
static struct json_object *exact_double(double v)
{
    if (!isfinite(v))
        return NULL;
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return json_object_new_double_s(v, buf);
}

/* Aggregates (min, mean, max of a bucket) are computed, not measured: 10
** significant digits is more than any sensor resolves. The min and max are
** readings, though, so they round-trip like raw values. */
static void bucket_json(struct json_object *x, const struct tm_bucket *b, bool raw)
{
    if (raw) {
        json_object_object_add(x, "value", exact_double(b->mean));
        return;
    }
    json_object_object_add(x, "min", exact_double(b->min));
    json_object_object_add(x, "mean", rjson_new_double(b->mean, 10));
    json_object_object_add(x, "max", exact_double(b->max));
    json_object_object_add(x, "count", json_object_new_int64(b->count));
}

static void h_series_readings(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id, from, to, step = 0, points, limit;
    if (http_param_id(req, "id", &id, &e) || range(req, &from, &to, &e) ||
        http_query_i64(req, "points", 0, 1, 100000, &points, &e) ||
        http_query_i64(req, "limit", TM_QUERY_MAX_RAW, 1, TM_QUERY_MAX_RAW, &limit, &e)) {
        http_resp_err(w, &e);
        return;
    }
    const char *st = http_query(req, "step");
    if (st && (parse_dur(st, &step) || step <= 0)) {
        http_resp_problem(w, 400, "Bad step", "step is a duration like 30s, 5m, 1h or ms");
        return;
    }
    if (!st && points > 0)
        step = (to - from + points - 1) / points;
    struct tm_bucket *b;
    size_t n;
    int64_t next = -1;
    int rc = step == 0 ? tm_query_page(t, req->who.county_id, id, from, to, (size_t)limit, &b, &n,
                                       &next, &e)
                       : tm_query(t, req->who.county_id, id, from, to, step, &b, &n, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++) {
        struct json_object *x = json_object_new_object();
        json_object_object_add(x, "ts", rjson_new_time(b[i].ts_ms));
        bucket_json(x, &b[i], step == 0);
        json_object_array_add(arr, x);
    }
    free(b);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "series_id", json_object_new_int64(id));
    json_object_object_add(o, "from", rjson_new_time(from));
    json_object_object_add(o, "to", rjson_new_time(to));
    json_object_object_add(o, "step_ms", json_object_new_int64(step));
    json_object_object_add(o, "points", arr);
    /* raw readings past the limit: ask again with from = next_from */
    if (next >= 0)
        json_object_object_add(o, "next_from", rjson_new_time(next));
    http_resp_json(w, 200, o);
}

static double opt_num(struct json_object *o, const char *key, struct err *e, int *rc)
{
    double v = NAN;
    int r = rjson_get_double(o, key, false, &v, e);
    if (r && r != ERR_NOTFOUND && !*rc)
        *rc = r;
    return r ? NAN : v;
}

static void h_monitor_put(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    static const char *const keys[] = {"profile",        "low",          "high",     "hysteresis",
                                       "min_duration_s", "cumulative_s", "severity", NULL};
    struct err e = {0};
    struct json_object *o = NULL;
    struct tm_monitor m = {0};
    int rc = http_param_id(req, "id", &m.series_id, &e);
    if (!rc)
        rc = http_body_json(req, &o, &e);
    if (!rc)
        rc = rjson_only_keys(o, keys, &e);
    if (!rc) {
        const char *prof = "";
        int r = rjson_get_str(o, "profile", false, &prof, &e);
        if (r && r != ERR_NOTFOUND)
            rc = r;
        snprintf(m.profile, sizeof m.profile, "%s", prof);
        m.rule.low = opt_num(o, "low", &e, &rc);
        m.rule.high = opt_num(o, "high", &e, &rc);
        double h = opt_num(o, "hysteresis", &e, &rc);
        m.rule.hysteresis = isnan(h) ? 0 : h;
        double d = opt_num(o, "min_duration_s", &e, &rc);
        m.rule.min_dur_ms = isnan(d) ? 0 : (int64_t)(d * 1000);
        double c = opt_num(o, "cumulative_s", &e, &rc);
        m.rule.cumulative_ms = isnan(c) ? 0 : (int64_t)(c * 1000);
        double s = opt_num(o, "severity", &e, &rc);
        m.severity = isnan(s) ? 3 : s >= 1 && s <= 4 && s == floor(s) ? (int)s : 0;
        if (!rc && !m.severity)
            rc = err_set(&e, ERR_INVAL, "severity must be an integer 1 (info) to 4 (critical)");
    }
    if (!rc)
        rc = tm_monitor_set(t, req->who.county_id, &req->who, &m, &e);
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "series_id", json_object_new_int64(m.series_id));
    json_object_object_add(r, "profile", json_object_new_string(m.profile));
    http_resp_json(w, 200, r);
}

/* ------------------------------------------------------------ profiles */

static void h_profiles(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    (void)req;
    size_t n;
    const struct tm_profile *p = tm_profiles(&n);
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "code", json_object_new_string(p[i].code));
        json_object_object_add(o, "name_en", json_object_new_string(p[i].name_en));
        json_object_object_add(o, "name_zh", json_object_new_string(p[i].name_zh));
        json_object_object_add(o, "temp_min_c", rjson_new_double(p[i].temp_min_c, 6));
        json_object_object_add(o, "temp_max_c", rjson_new_double(p[i].temp_max_c, 6));
        json_object_object_add(o, "rh_min_pct", rjson_new_double(p[i].rh_min_pct, 6));
        json_object_object_add(o, "rh_max_pct", rjson_new_double(p[i].rh_max_pct, 6));
        json_object_object_add(o, "max_excursion_min", json_object_new_int(p[i].max_excursion_min));
        json_object_object_add(o, "max_cumulative_min",
                               json_object_new_int(p[i].max_cumulative_min));
        json_object_object_add(
            o, "model", json_object_new_string(p[i].model == TM_DECAY_Q10 ? "q10" : "arrhenius"));
        if (p[i].model == TM_DECAY_Q10)
            json_object_object_add(o, "q10", rjson_new_double(p[i].q10, 6));
        else
            json_object_object_add(o, "ea_kj_mol", rjson_new_double(p[i].ea_kj_mol, 6));
        json_object_object_add(o, "ref_temp_c", rjson_new_double(p[i].ref_temp_c, 6));
        json_object_object_add(o, "ref_shelf_life_h", rjson_new_double(p[i].ref_shelf_life_h, 6));
        json_object_object_add(o, "chilling_sensitive",
                               json_object_new_boolean(p[i].chilling_sensitive));
        json_object_object_add(o, "source", json_object_new_string(p[i].source));
        json_object_array_add(arr, o);
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "profiles", arr);
    http_resp_json(w, 200, o);
}

/* -------------------------------------------------------------- alerts */

static struct json_object *alert_json(const struct tm_alert *a)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(a->id));
    json_object_object_add(o, "series_id", json_object_new_int64(a->series_id));
    json_object_object_add(o, "kind", json_object_new_string(a->kind));
    json_object_object_add(o, "severity", json_object_new_int(a->severity));
    json_object_object_add(o, "state", json_object_new_string(tm_alert_state_name(a->state)));
    json_object_object_add(o, "title", json_object_new_string(a->title));
    json_object_object_add(o, "start", rjson_new_time(a->start_ms));
    json_object_object_add(o, "end", a->end_ms ? rjson_new_time(a->end_ms) : NULL);
    json_object_object_add(o, "duration_s",
                           a->end_ms ? json_object_new_int64((a->end_ms - a->start_ms) / 1000)
                                     : NULL);
    json_object_object_add(o, "peak", rjson_new_double(a->peak, 6));
    json_object_object_add(o, "raised", rjson_new_time(a->raised_ms));
    struct json_object *r = NULL;
    struct err e;
    if (rjson_parse(a->readings_json, strlen(a->readings_json), &r, &e))
        r = NULL;
    json_object_object_add(o, "readings", r);
    return o;
}

static void alerts_list(struct app *app, struct http_req *req, struct http_resp *w,
                        bool excursions_only)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int state = -1;
    const char *s = http_query(req, "state");
    if (s) {
        state = !strcmp(s, "open")           ? TM_ALERT_OPEN
                : !strcmp(s, "acknowledged") ? TM_ALERT_ACK
                : !strcmp(s, "closed")       ? TM_ALERT_CLOSED
                                             : -2;
        if (state == -2) {
            http_resp_problem(w, 400, "Bad state", "state is open, acknowledged or closed");
            return;
        }
    }
    struct tm_alert *v;
    size_t n;
    if (tm_alerts_list(t, req->who.county_id, state, &v, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        if (!excursions_only || strncmp(v[i].kind, "soil", 4))
            json_object_array_add(arr, alert_json(&v[i]));
    free(v);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, excursions_only ? "excursions" : "alerts", arr);
    http_resp_json(w, 200, o);
}

static void h_alerts(struct app *app, struct http_req *req, struct http_resp *w)
{
    alerts_list(app, req, w, false);
}

static void h_excursions(struct app *app, struct http_req *req, struct http_resp *w)
{
    alerts_list(app, req, w, true);
}

static void h_alert_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id;
    struct tm_alert a;
    if (http_param_id(req, "id", &id, &e) || tm_alert_get(t, req->who.county_id, id, &a, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, alert_json(&a));
}

static void alert_move(struct app *app, struct http_req *req, struct http_resp *w, int to)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id;
    struct tm_alert a;
    if (http_param_id(req, "id", &id, &e) ||
        tm_alert_transition(t, req->who.county_id, &req->who, id, to, &e) ||
        tm_alert_get(t, req->who.county_id, id, &a, &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, alert_json(&a));
}

static void h_alert_ack(struct app *app, struct http_req *req, struct http_resp *w)
{
    alert_move(app, req, w, TM_ALERT_ACK);
}

static void h_alert_close(struct app *app, struct http_req *req, struct http_resp *w)
{
    alert_move(app, req, w, TM_ALERT_CLOSED);
}

static void h_webhook_add(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    static const char *const keys[] = {"url", "secret", NULL};
    struct err e = {0};
    struct json_object *o = NULL;
    const char *url = NULL, *secret = NULL;
    int64_t id = 0;
    int rc = http_body_json(req, &o, &e);
    if (!rc)
        rc = rjson_only_keys(o, keys, &e);
    if (!rc)
        rc = rjson_get_str(o, "url", true, &url, &e);
    if (!rc)
        rc = rjson_get_str(o, "secret", true, &secret, &e);
    if (!rc)
        rc = tm_webhook_add(t, req->who.county_id, &req->who, url, secret, &id, &e);
    if (rc) {
        json_object_put(o);
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "id", json_object_new_int64(id));
    json_object_object_add(r, "url", json_object_new_string(url));
    json_object_object_add(r, "signature_header",
                           json_object_new_string("X-Ruralink-Signature: sha256=<hex HMAC-SHA256"
                                                  "(secret, body)>"));
    json_object_put(o);
    http_resp_json(w, 201, r);
}

/* ------------------------------------------------------ cold chain, MKT */

static void h_cold_chain(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id, from, to;
    struct tm_report r;
    if (http_param_id(req, "id", &id, &e) || range(req, &from, &to, &e) ||
        tm_cold_chain_report(t, req->who.county_id, id, http_query(req, "profile"), from, to, &r,
                             &e)) {
        http_resp_err(w, &e);
        return;
    }
    http_resp_json(w, 200, tm_report_to_json(&r));
}

static void h_mkt(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    int64_t id, from, to;
    if (http_param_id(req, "id", &id, &e) || range(req, &from, &to, &e)) {
        http_resp_err(w, &e);
        return;
    }
    double dh = TM_MKT_DH_DEFAULT_KJ_MOL;
    const char *d = http_query(req, "dh_kj_mol");
    if (d && (str_to_double(str_from(d), &dh) || dh < 10 || dh > 500)) {
        http_resp_problem(w, 400, "Bad dh_kj_mol", "dh_kj_mol must be a number from 10 to 500");
        return;
    }
    int64_t *ts;
    double *v;
    size_t n;
    if (tm_query_raw(t, req->who.county_id, id, from, to, 2000000, &ts, &v, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    double mkt;
    int rc = n ? tm_mkt_series(ts, v, n, dh, &mkt) : ERR_NOTFOUND;
    free(ts);
    free(v);
    if (rc) {
        http_resp_problem(w, 404, "No readings", "no readings in the range");
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "series_id", json_object_new_int64(id));
    json_object_object_add(o, "readings", json_object_new_int64((int64_t)n));
    json_object_object_add(o, "dh_kj_mol", rjson_new_double(dh, 8));
    json_object_object_add(o, "mkt_c", rjson_new_double(mkt, 6));
    http_resp_json(w, 200, o);
}

/* -------------------------------------------------- farm and environment */

static void h_water_class(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    struct err e = {0};
    struct json_object *o = NULL;
    struct tm_water_sample s;
    struct tm_water_result r;
    for (int i = 0; i < TM_W_COUNT; i++)
        s.v[i] = NAN;
    s.lake = false;
    int rc = http_body_json(req, &o, &e);
    if (!rc) {
        json_object_object_foreach(o, key, val)
        {
            if (!strcmp(key, "lake")) {
                if (!json_object_is_type(val, json_type_boolean)) {
                    rc = err_set(&e, ERR_INVAL, "field 'lake' must be a boolean");
                    break;
                }
                s.lake = json_object_get_boolean(val);
                continue;
            }
            int item = tm_water_item_parse(key);
            if (item < 0) {
                rc = err_set(&e, ERR_INVAL,
                             "unknown item '%s' (ph, do, codmn, cod, bod5, "
                             "nh3n, tp, tn)",
                             key);
                break;
            }
            if (!json_object_is_type(val, json_type_double) &&
                !json_object_is_type(val, json_type_int)) {
                rc = err_set(&e, ERR_INVAL, "item '%s' must be a number (mg/L)", key);
                break;
            }
            s.v[item] = json_object_get_double(val);
        }
    }
    json_object_put(o);
    if (!rc)
        rc = tm_water_classify(&s, &r, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *res = json_object_new_object();
    json_object_object_add(res, "standard", json_object_new_string("GB 3838-2002"));
    json_object_object_add(res, "class", json_object_new_string(tm_water_class_name(r.cls)));
    json_object_object_add(res, "class_number", json_object_new_int(r.cls));
    json_object_object_add(res, "worst_item",
                           json_object_new_string(tm_water_item_name(r.worst_item)));
    struct json_object *items = json_object_new_object();
    for (int i = 0; i < TM_W_COUNT; i++)
        if (r.item_cls[i])
            json_object_object_add(items, tm_water_item_name(i),
                                   json_object_new_string(tm_water_class_name(r.item_cls[i])));
    json_object_object_add(res, "items", items);
    http_resp_json(w, 200, res);
}

static void h_aqi(struct app *app, struct http_req *req, struct http_resp *w)
{
    (void)app;
    struct err e = {0};
    struct json_object *o = NULL;
    double c[TM_AQI_COUNT];
    for (int i = 0; i < TM_AQI_COUNT; i++)
        c[i] = NAN;
    int rc = http_body_json(req, &o, &e);
    if (!rc) {
        json_object_object_foreach(o, key, val)
        {
            int p = tm_aqi_pollutant_parse(key);
            if (p < 0) {
                rc = err_set(&e, ERR_INVAL,
                             "unknown pollutant '%s' (pm25_24h, pm10_24h, "
                             "so2_24h, so2_1h, no2_24h, no2_1h, co_24h, co_1h, "
                             "o3_1h, o3_8h)",
                             key);
                break;
            }
            if (!json_object_is_type(val, json_type_double) &&
                !json_object_is_type(val, json_type_int)) {
                rc = err_set(&e, ERR_INVAL, "'%s' must be a number", key);
                break;
            }
            c[p] = json_object_get_double(val);
        }
    }
    json_object_put(o);
    struct tm_aqi_result r;
    if (!rc)
        rc = tm_aqi(c, &r, &e);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *res = json_object_new_object();
    json_object_object_add(res, "standard", json_object_new_string("HJ 633-2012"));
    json_object_object_add(res, "aqi", json_object_new_int(r.aqi));
    json_object_object_add(res, "level", json_object_new_int(r.level));
    json_object_object_add(res, "category_zh", json_object_new_string(r.category_zh));
    json_object_object_add(res, "category_en", json_object_new_string(r.category_en));
    json_object_object_add(res, "color", json_object_new_string(r.color));
    struct json_object *iaqi = json_object_new_object(), *prim = json_object_new_array();
    for (int i = 0; i < TM_AQI_COUNT; i++) {
        if (!isnan(r.iaqi[i]))
            json_object_object_add(iaqi, tm_aqi_pollutant_name(i), rjson_new_double(r.iaqi[i], 6));
        if (r.primary & (1u << i))
            json_object_array_add(prim, json_object_new_string(tm_aqi_pollutant_name(i)));
    }
    json_object_object_add(res, "iaqi", iaqi);
    json_object_object_add(res, "primary_pollutants", prim);
    http_resp_json(w, 200, res);
}

/* The request's own numbers: a theta above 1 is a percentage (as the series
** path reads it); impossible values are refused, not turned into a negative
** ETc or a clamped depletion. */
static int irrigation_inputs(double et0, double *dr, double *theta, double rain, struct err *e)
{
    if (et0 < 0 || et0 > 30)
        return err_set(e, ERR_INVAL, "weather.et0_mm must be 0..30 (mm a day)");
    if (*dr < 0)
        return err_set(e, ERR_INVAL, "dr_mm must be >= 0");
    if (rain < 0)
        return err_set(e, ERR_INVAL, "rain_mm must be >= 0");
    if (*theta > 1)
        *theta /= 100; /* percent */
    if (*theta < 0 || *theta > 1)
        return err_set(e, ERR_INVAL, "theta must be 0..1 (m3/m3) or a percentage 1..100");
    return 0;
}

/* Irrigation advice: ET0 from the day's weather (FAO-56) and the root-zone
** balance from the plot's soil; depletion from a given dr_mm, a given soil
** moisture, or the latest reading of series "soil,plot=<plot> moisture". */
static void h_irrigation(struct app *app, struct http_req *req, struct http_resp *w)
{
    static const char *const keys[] = {"plot",  "weather", "soil", "dr_mm",
                                       "theta", "rain_mm", NULL};
    static const char *const wkeys[] = {"tmin_c",  "tmax_c",        "rh_min_pct", "rh_max_pct",
                                        "wind_ms", "wind_height_m", "rs_mj",      "sunshine_h",
                                        "lat_deg", "elev_m",        "doy",        "et0_mm",
                                        NULL};
    static const char *const skeys[] = {"theta_fc",   "theta_wp", "root_depth_m", "p", "kc",
                                        "efficiency", NULL};
    struct err e = {0};
    struct json_object *o = NULL, *wo = NULL, *so = NULL;
    int rc = http_body_json(req, &o, &e);
    if (!rc)
        rc = rjson_only_keys(o, keys, &e);
    if (!rc)
        rc = rjson_get_obj(o, "weather", true, &wo, &e);
    if (!rc)
        rc = rjson_only_keys(wo, wkeys, &e);
    if (!rc)
        rc = rjson_get_obj(o, "soil", true, &so, &e);
    if (!rc)
        rc = rjson_only_keys(so, skeys, &e);
    struct tm_et0_in in = {.rh_min_pct = NAN,
                           .rh_max_pct = NAN,
                           .ea_kpa = NAN,
                           .tdew_c = NAN,
                           .rs_mj = NAN,
                           .sunshine_h = NAN,
                           .wind_height_m = 2,
                           .g_mj = 0};
    struct tm_et0_out eo = {0};
    struct tm_wb_params p = {0};
    double et0 = NAN, dr = NAN, theta = NAN, rain = 0;
    if (!rc) {
        et0 = opt_num(wo, "et0_mm", &e, &rc);
        in.tmin_c = opt_num(wo, "tmin_c", &e, &rc);
        in.tmax_c = opt_num(wo, "tmax_c", &e, &rc);
        in.rh_min_pct = opt_num(wo, "rh_min_pct", &e, &rc);
        in.rh_max_pct = opt_num(wo, "rh_max_pct", &e, &rc);
        in.wind_ms = opt_num(wo, "wind_ms", &e, &rc);
        double wh = opt_num(wo, "wind_height_m", &e, &rc);
        if (!isnan(wh))
            in.wind_height_m = wh;
        in.rs_mj = opt_num(wo, "rs_mj", &e, &rc);
        in.sunshine_h = opt_num(wo, "sunshine_h", &e, &rc);
        in.lat_deg = opt_num(wo, "lat_deg", &e, &rc);
        in.elev_m = opt_num(wo, "elev_m", &e, &rc);
        double doy = opt_num(wo, "doy", &e, &rc);
        in.doy = isnan(doy) ? 0 : (int)doy;
        p.theta_fc = opt_num(so, "theta_fc", &e, &rc);
        p.theta_wp = opt_num(so, "theta_wp", &e, &rc);
        p.root_depth_m = opt_num(so, "root_depth_m", &e, &rc);
        p.p = opt_num(so, "p", &e, &rc);
        p.kc = opt_num(so, "kc", &e, &rc);
        p.efficiency = opt_num(so, "efficiency", &e, &rc);
        if (isnan(p.efficiency))
            p.efficiency = 0.8;
        dr = opt_num(o, "dr_mm", &e, &rc);
        theta = opt_num(o, "theta", &e, &rc);
        double r = opt_num(o, "rain_mm", &e, &rc);
        rain = isnan(r) ? 0 : r;
    }
    if (!rc)
        rc = tm_wb_check(&p, &e);
    if (!rc)
        rc = irrigation_inputs(et0, &dr, &theta, rain, &e);
    if (!rc && isnan(et0)) {
        rc = tm_et0_daily(&in, &eo, &e);
        et0 = eo.et0_mm;
    }
    const char *plot = NULL;
    if (!rc) {
        int r = rjson_get_str(o, "plot", false, &plot, &e);
        if (r && r != ERR_NOTFOUND)
            rc = r;
    }
    const char *theta_src = isnan(dr) ? (isnan(theta) ? "none" : "body") : "dr_mm";
    if (!rc && isnan(dr) && isnan(theta) && plot && app->telemetry) {
        char key[200];
        snprintf(key, sizeof key, "soil,plot=%s moisture", plot);
        int64_t sid;
        int64_t *ts;
        double *v;
        size_t n;
        if (tm_series_find(app->telemetry, req->who.county_id, key, &sid, &e) == 0 &&
            tm_query_raw(app->telemetry, req->who.county_id, sid, time_now_ms() - 7 * 86400000LL,
                         INT64_MAX / 2, 0, &ts, &v, &n, &e) == 0) {
            if (n) {
                theta = v[n - 1];
                if (theta > 1)
                    theta /= 100; /* percent */
                theta_src = "series";
            }
            free(ts);
            free(v);
        }
        err_clear(&e);
    }
    if (!rc && isnan(dr) && isnan(theta))
        rc = err_set(&e, ERR_INVAL,
                     "give dr_mm, theta, or a plot with a soil moisture series "
                     "'soil,plot=<plot> moisture'");
    if (rc) {
        json_object_put(o);
        http_resp_err(w, &e);
        return;
    }
    if (isnan(dr))
        dr = tm_wb_depletion_from_theta(&p, theta);
    struct tm_wb_advice a;
    tm_wb_step(&p, dr, rain, 0, et0, &a);
    struct json_object *res = json_object_new_object();
    if (plot)
        json_object_object_add(res, "plot", json_object_new_string(plot));
    json_object_object_add(res, "method",
                           json_object_new_string("FAO-56 Penman-Monteith + "
                                                  "root-zone water balance"));
    json_object_object_add(res, "depletion_source", json_object_new_string(theta_src));
    json_object_object_add(res, "et0_mm", rjson_new_double(et0, 4));
    json_object_object_add(res, "etc_mm", rjson_new_double(a.etc_mm, 4));
    json_object_object_add(res, "taw_mm", rjson_new_double(a.taw_mm, 4));
    json_object_object_add(res, "raw_mm", rjson_new_double(a.raw_mm, 4));
    json_object_object_add(res, "depletion_mm", rjson_new_double(a.dr_mm, 4));
    json_object_object_add(res, "ks", rjson_new_double(a.ks, 4));
    json_object_object_add(res, "irrigate", json_object_new_boolean(a.irrigate));
    json_object_object_add(res, "net_mm", rjson_new_double(a.net_mm, 4));
    json_object_object_add(res, "gross_mm", rjson_new_double(a.gross_mm, 4));
    json_object_object_add(res, "days_until",
                           isfinite(a.days_until) ? rjson_new_double(a.days_until, 3) : NULL);
    json_object_put(o);
    http_resp_json(w, 200, res);
}

/* -------------------------------------------------------------- devices */

static void h_device_bind(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    static const char *const keys[] = {"kind", "ref", NULL};
    struct err e = {0};
    struct json_object *o = NULL;
    struct tm_device_binding b = {0};
    const char *kind = NULL, *ref = NULL;
    int rc = http_param_id(req, "id", &b.device_id, &e);
    if (!rc)
        rc = http_body_json(req, &o, &e);
    if (!rc)
        rc = rjson_only_keys(o, keys, &e);
    if (!rc)
        rc = rjson_get_str(o, "kind", true, &kind, &e);
    if (!rc)
        rc = rjson_get_str(o, "ref", true, &ref, &e);
    if (!rc && (strlen(kind) >= sizeof b.kind || strlen(ref) >= sizeof b.ref))
        rc = err_set(&e, ERR_INVAL, "kind or ref too long (ref at most %zu bytes)",
                     sizeof b.ref - 1);
    if (!rc) {
        snprintf(b.kind, sizeof b.kind, "%s", kind);
        snprintf(b.ref, sizeof b.ref, "%s", ref);
        rc = tm_device_bind(t, req->who.county_id, &req->who, &b, &e);
    }
    json_object_put(o);
    if (rc) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "device_id", json_object_new_int64(b.device_id));
    json_object_object_add(r, "kind", json_object_new_string(b.kind));
    json_object_object_add(r, "ref", json_object_new_string(b.ref));
    http_resp_json(w, 200, r);
}

static void h_devices(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct telemetry *t = tm(app, w);
    if (!t)
        return;
    struct err e = {0};
    struct tm_device_binding *v;
    size_t n;
    if (tm_device_bindings(t, req->who.county_id, &v, &n, &e)) {
        http_resp_err(w, &e);
        return;
    }
    struct json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *x = json_object_new_object();
        json_object_object_add(x, "device_id", json_object_new_int64(v[i].device_id));
        json_object_object_add(x, "kind", json_object_new_string(v[i].kind));
        json_object_object_add(x, "ref", json_object_new_string(v[i].ref));
        json_object_object_add(x, "updated", rjson_new_time(v[i].updated_ms));
        json_object_array_add(arr, x);
    }
    free(v);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "devices", arr);
    http_resp_json(w, 200, o);
}

/* --------------------------------------------------------------- routes */

const struct http_route http_routes_telemetry[] = {
    {"POST", "/api/v1/telemetry/write", h_write, WRITERS, HTTP_INFLUX_AUTH},
    {"POST", "/write", h_influx_write, WRITERS, HTTP_INFLUX_AUTH},
    {"POST", "/api/v2/write", h_influx_write, WRITERS, HTTP_INFLUX_AUTH},
    {"POST", "/api/v1/telemetry/readings", h_readings, WRITERS, 0},
    {"GET", "/api/v1/telemetry/series", h_series_list, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/series/{id}", h_series_get, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/series/{id}/readings", h_series_readings, AUTH_ANY_USER, 0},
    {"PUT", "/api/v1/telemetry/series/{id}/monitor", h_monitor_put, AUTH_STAFF, 0},
    {"GET", "/api/v1/telemetry/series/{id}/cold-chain", h_cold_chain, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/series/{id}/mkt", h_mkt, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/profiles", h_profiles, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/alerts", h_alerts, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/alerts/{id}", h_alert_get, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/telemetry/alerts/{id}/acknowledge", h_alert_ack, AUTH_STAFF, 0},
    {"POST", "/api/v1/telemetry/alerts/{id}/close", h_alert_close, AUTH_STAFF, 0},
    {"GET", "/api/v1/telemetry/excursions", h_excursions, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/telemetry/webhooks", h_webhook_add, AUTH_STAFF, 0},
    {"POST", "/api/v1/telemetry/water-class", h_water_class, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/telemetry/aqi", h_aqi, AUTH_ANY_USER, 0},
    {"POST", "/api/v1/telemetry/irrigation", h_irrigation, AUTH_ANY_USER, 0},
    {"GET", "/api/v1/telemetry/devices", h_devices, AUTH_ANY_USER, 0},
    {"PUT", "/api/v1/telemetry/devices/{id}/binding", h_device_bind, AUTH_STAFF, 0},
};
const size_t http_routes_telemetry_len = RL_ARRAY_LEN(http_routes_telemetry);
