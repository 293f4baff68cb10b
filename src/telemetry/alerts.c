/*
** alerts.c: monitors (a series bound to a profile or an explicit rule), the
** detector state kept in tm_monitors between batches, alerts and their
** lifecycle, webhook delivery, and the cold-chain report.
**
** Alerts are written in the same transaction as the readings that raised
** them, together with one tm_deliveries row per active webhook of the county
** (an outbox): so an alert is never lost nor sent for readings that did not
** commit. A worker thread POSTs due deliveries with libcurl, signed with
** X-Ruralink-Signature: sha256=<hex HMAC-SHA256(secret, body)> (libsodium),
** and retries failures with exponential backoff (base * 2^attempts) up to
** webhook_max_attempts, then marks them failed.
**
** Lifecycle: open -> acknowledged -> closed, or open -> closed; anything else
** is ERR_CONFLICT. Both steps are audited.
*/
#include "telemetry/telemetry_int.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------- monitors */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

bool tm__is_monitored(struct telemetry *t, int64_t series_id)
{
    pthread_mutex_lock(&t->mu);
    bool found = t->nmon && bsearch(&series_id, t->mon, t->nmon, sizeof *t->mon, cmp_i64);
    pthread_mutex_unlock(&t->mu);
    return found;
}

static void mon_add(struct telemetry *t, int64_t id)
{
    pthread_mutex_lock(&t->mu);
    if (!t->nmon || !bsearch(&id, t->mon, t->nmon, sizeof *t->mon, cmp_i64)) {
        xgrow((void **)&t->mon, &t->capmon, t->nmon + 1, sizeof *t->mon);
        t->mon[t->nmon++] = id;
        qsort(t->mon, t->nmon, sizeof *t->mon, cmp_i64);
    }
    pthread_mutex_unlock(&t->mu);
}

static int load_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct telemetry *t = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT series_id FROM tm_monitors ORDER BY series_id", &s, e);
    if (rc)
        return rc;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&t->mon, &t->capmon, t->nmon + 1, sizeof *t->mon);
        t->mon[t->nmon++] = store_col_i64(s, 0);
    }
    return rc < 0 ? rc : 0;
}

int tm__load_monitors(struct telemetry *t, struct err *e)
{
    return store_read(t->st, load_fn, t, e);
}

struct mon_arg {
    int64_t county_id;
    const struct auth_principal *actor;
    struct tm_monitor m;
};

static int bind_opt(struct store_stmt *s, int idx, double v)
{
    return isnan(v) ? store_bind_null(s, idx) : store_bind_double(s, idx, v);
}

static int monitor_set_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct mon_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT 1 FROM tm_series WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->m.series_id);
    store_bind_i64(s, 2, a->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no series %lld", (long long)a->m.series_id);
    rc = store_prepare(c,
                       "INSERT INTO tm_monitors (series_id, county_id, profile, low, high, "
                       "hysteresis, min_dur_ms, cumulative_ms, severity, updated_ms) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id) DO UPDATE "
                       "SET profile = excluded.profile, low = excluded.low, high = excluded.high, "
                       "hysteresis = excluded.hysteresis, min_dur_ms = excluded.min_dur_ms, "
                       "cumulative_ms = excluded.cumulative_ms, severity = excluded.severity, "
                       "updated_ms = excluded.updated_ms",
                       &s, e);
    if (rc)
        return rc;
    const struct tm_exc_rule *r = &a->m.rule;
    store_bind_i64(s, 1, a->m.series_id);
    store_bind_i64(s, 2, a->county_id);
    store_bind_text(s, 3, a->m.profile, -1);
    bind_opt(s, 4, r->low);
    bind_opt(s, 5, r->high);
    store_bind_double(s, 6, r->hysteresis);
    store_bind_i64(s, 7, r->min_dur_ms);
    store_bind_i64(s, 8, r->cumulative_ms);
    store_bind_i64(s, 9, a->m.severity);
    store_bind_i64(s, 10, time_now_ms());
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_audit(c, a->county_id, a->actor ? a->actor->user_id : 0, "telemetry.monitor.set",
                       "tm_series", a->m.series_id, NULL, e);
}

int tm_monitor_set(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const struct tm_monitor *m, struct err *e)
{
    struct mon_arg a = {county_id, actor, *m};
    if (a.m.profile[0]) {
        const struct tm_profile *p = tm_profile_find(a.m.profile);
        if (!p)
            return err_set(e, ERR_INVAL, "unknown profile '%s'", a.m.profile);
        if (isnan(a.m.rule.low) && isnan(a.m.rule.high)) {
            a.m.rule.low = p->temp_min_c;
            a.m.rule.high = p->temp_max_c;
            if (a.m.rule.min_dur_ms <= 0)
                a.m.rule.min_dur_ms = (int64_t)p->max_excursion_min * 60000;
            if (a.m.rule.cumulative_ms <= 0)
                a.m.rule.cumulative_ms = (int64_t)p->max_cumulative_min * 60000;
            if (!(a.m.rule.hysteresis > 0))
                a.m.rule.hysteresis = 0.5;
        }
    }
    if (isnan(a.m.rule.low) && isnan(a.m.rule.high))
        return err_set(e, ERR_INVAL, "a monitor needs a profile or a low/high limit");
    if (!isnan(a.m.rule.low) && !isnan(a.m.rule.high) && a.m.rule.low > a.m.rule.high)
        return err_set(e, ERR_INVAL, "low must not exceed high");
    if (a.m.rule.hysteresis < 0 || a.m.rule.min_dur_ms < 0 || a.m.rule.cumulative_ms < 0)
        return err_set(e, ERR_INVAL, "hysteresis and durations must be >= 0");
    if (a.m.severity < 1 || a.m.severity > 4)
        return err_set(e, ERR_INVAL, "severity must be 1 (info) to 4 (critical)");
    int rc = store_write(t->st, monitor_set_fn, &a, e);
    if (rc == 0)
        mon_add(t, m->series_id);
    return rc;
}

/* ------------------------------------------------------- detector feeding */

static const char *kind_name(enum tm_exc_kind k)
{
    return k == TM_EXC_HIGH ? "excursion_high" : k == TM_EXC_LOW ? "excursion_low" : "cumulative";
}

struct tsv {
    int64_t ts;
    double v;
};

static int cmp_tsv(const void *a, const void *b)
{
    const struct tsv *x = a, *y = b;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

/* The readings in [from, to] (at most 20, oldest first) wherever they are:
** tm_chunks, the memtable, or the batch being written. */
static int readings_json(struct store_conn *c, struct telemetry *t, int64_t sid, int64_t from,
                         int64_t to, const int64_t *bts, const double *bv, size_t bn,
                         struct strbuf *sb, struct err *e)
{
    struct tsv *v = NULL;
    size_t n = 0, cap = 0;
    struct mt_row *st;
    size_t ns;
    int rc = tm__chunks_read(c, sid, from, to + 1, &st, &ns, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < ns && i < 20; i++) {
        xgrow((void **)&v, &cap, n + 1, sizeof *v);
        v[n++] = (struct tsv){st[i].ts, st[i].v};
    }
    free(st);
    struct mt_row *mem;
    size_t nm = tm__mt_collect(t, sid, from, to + 1, &mem);
    for (size_t i = 0; i < nm && i < 20; i++) {
        xgrow((void **)&v, &cap, n + 1, sizeof *v);
        v[n++] = (struct tsv){mem[i].ts, mem[i].v};
    }
    free(mem);
    for (size_t i = 0; i < bn; i++) {
        if (bts[i] < from || bts[i] > to)
            continue;
        xgrow((void **)&v, &cap, n + 1, sizeof *v);
        v[n++] = (struct tsv){bts[i], bv[i]};
    }
    qsort(v, n, sizeof *v, cmp_tsv);
    strbuf_reset(sb);
    strbuf_addch(sb, '[');
    int k = 0;
    for (size_t i = 0; i < n && k < 20; i++) {
        if (i && v[i].ts == v[i - 1].ts)
            continue;
        char tb[32];
        strbuf_addf(sb, "%s{\"ts\":\"%s\",\"value\":%.6g}", k++ ? "," : "",
                    time_fmt_rfc3339(v[i].ts, tb), v[i].v);
    }
    strbuf_addch(sb, ']');
    free(v);
    return 0;
}

static int queue_deliveries(struct store_conn *c, int64_t county_id, int64_t alert_id,
                            const char *event, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO tm_deliveries (county_id, webhook_id, alert_id, event, "
                           "next_ms) SELECT county_id, id, ?, ?, ? FROM tm_webhooks "
                           "WHERE county_id = ? AND active = 1",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, alert_id);
    store_bind_text(s, 2, event, -1);
    store_bind_i64(s, 3, time_now_ms());
    store_bind_i64(s, 4, county_id);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

#define ALERT_TITLE_MAX 160

/* An alert's one-line summary, from its rule and its event so far. */
static void alert_title(const struct tm_exc_rule *r, const struct tm_exc_event *ev,
                        char title[ALERT_TITLE_MAX])
{
    long long mins = (long long)(ev->dur_ms / 60000);
    if (ev->kind == TM_EXC_HIGH)
        snprintf(title, ALERT_TITLE_MAX, "above %.6g for %lld min (peak %.6g)", r->high, mins,
                 ev->peak);
    else if (ev->kind == TM_EXC_LOW)
        snprintf(title, ALERT_TITLE_MAX, "below %.6g for %lld min (low %.6g)", r->low, mins,
                 ev->peak);
    else
        snprintf(title, ALERT_TITLE_MAX, "out of range %lld min in total (limit %lld min)", mins,
                 (long long)(r->cumulative_ms / 60000));
}

static int raise_alert(struct store_conn *c, struct telemetry *t, int64_t county_id, int64_t sid,
                       int severity, const struct tm_exc_rule *r, const struct tm_exc_event *ev,
                       int64_t now_ts, const int64_t *bts, const double *bv, size_t bn,
                       int64_t *alert_id, struct err *e)
{
    char title[ALERT_TITLE_MAX];
    alert_title(r, ev, title);
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 4096);
    int rc = readings_json(c, t, sid, ev->start_ms, ev->closed ? ev->end_ms : now_ts, bts, bv, bn,
                           &sb, e);
    struct store_stmt *s;
    if (!rc)
        rc = store_prepare(c,
                           "INSERT INTO tm_alerts (county_id, series_id, kind, severity, state, "
                           "title, start_ms, end_ms, peak, raised_ms, readings_json) "
                           "VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?) RETURNING id",
                           &s, e);
    if (!rc) {
        store_bind_i64(s, 1, county_id);
        store_bind_i64(s, 2, sid);
        store_bind_text(s, 3, kind_name(ev->kind), -1);
        store_bind_i64(
            s, 4, ev->kind == TM_EXC_CUMULATIVE ? (severity > 1 ? severity - 1 : 1) : severity);
        store_bind_text(s, 5, title, -1);
        store_bind_i64(s, 6, ev->start_ms);
        if (ev->closed)
            store_bind_i64(s, 7, ev->end_ms);
        else
            store_bind_null(s, 7);
        store_bind_double(s, 8, ev->peak);
        store_bind_i64(s, 9, time_now_ms());
        store_bind_text(s, 10, strbuf_str(&sb), (ptrdiff_t)sb.len);
        rc = store_step(s, e);
        if (rc == STORE_ROW) {
            *alert_id = store_col_i64(s, 0);
            rc = 0;
        } else if (rc >= 0) {
            rc = err_set(e, ERR_DB, "alert insert returned no id");
        }
    }
    strbuf_release(&sb);
    if (!rc)
        rc = queue_deliveries(c, county_id, *alert_id, "alert.raised", e);
    return rc;
}

/* The excursion is over: its end, its final peak, and a title that says
** them (the one written when it was raised gave the figures of that
** moment, and a title disagreeing with the peak beside it misleads). */
static int end_alert(struct store_conn *c, int64_t county_id, int64_t alert_id,
                     const struct tm_exc_rule *r, const struct tm_exc_event *ev, struct err *e)
{
    char title[ALERT_TITLE_MAX];
    alert_title(r, ev, title);
    struct store_stmt *s;
    int rc = store_prepare(c, "UPDATE tm_alerts SET end_ms = ?, peak = ?, title = ? WHERE id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, ev->end_ms);
    store_bind_double(s, 2, ev->peak);
    store_bind_text(s, 3, title, -1);
    store_bind_i64(s, 4, alert_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return queue_deliveries(c, county_id, alert_id, "alert.ended", e);
}

static double col_opt(struct store_stmt *s, int col)
{
    return store_col_is_null(s, col) ? NAN : store_col_double(s, col);
}

int tm__monitor_feed(struct store_conn *c, struct telemetry *t, int64_t county_id,
                     int64_t series_id, const int64_t *ts, const double *v, size_t n,
                     size_t *events, struct err *e)
{
    struct store_stmt *s;
    int rc =
        store_prepare(c,
                      "SELECT low, high, hysteresis, min_dur_ms, cumulative_ms, severity, "
                      "st_side, st_raised, st_cum_raised, st_has_last, st_since_ms, "
                      "st_last_ms, st_cum_ms, st_peak, st_alert_id, st_last_out FROM tm_monitors "
                      "WHERE series_id = ? AND county_id = ?",
                      &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, series_id);
    store_bind_i64(s, 2, county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return 0; /* monitored in another county's view: nothing to do */
    struct tm_exc_rule r = {col_opt(s, 0), col_opt(s, 1), store_col_double(s, 2),
                            store_col_i64(s, 3), store_col_i64(s, 4)};
    int severity = (int)store_col_i64(s, 5);
    struct tm_exc_state st = {
        (int)store_col_i64(s, 6), store_col_i64(s, 7) != 0, store_col_i64(s, 8) != 0,
        store_col_i64(s, 9) != 0, store_col_i64(s, 10),     store_col_i64(s, 11),
        store_col_i64(s, 12),     store_col_double(s, 13),  store_col_i64(s, 15) != 0};
    int64_t alert_id = store_col_i64(s, 14);
    for (size_t i = 0; i < n; i++) {
        struct tm_exc_event ev[2];
        int k = tm_exc_feed(&r, &st, ts[i], v[i], ev);
        for (int j = 0; j < k; j++) {
            if (ev[j].raised) {
                int64_t id = 0;
                rc = raise_alert(c, t, county_id, series_id, severity, &r, &ev[j], ts[i], ts, v,
                                 i + 1, &id, e);
                if (rc)
                    return rc;
                (*events)++;
                if (ev[j].kind != TM_EXC_CUMULATIVE)
                    alert_id = ev[j].closed ? 0 : id;
            } else if (ev[j].closed && alert_id) {
                rc = end_alert(c, county_id, alert_id, &r, &ev[j], e);
                if (rc)
                    return rc;
                alert_id = 0;
            }
        }
    }
    rc = store_prepare(c,
                       "UPDATE tm_monitors SET st_side = ?, st_raised = ?, st_cum_raised = ?, "
                       "st_has_last = ?, st_since_ms = ?, st_last_ms = ?, st_cum_ms = ?, "
                       "st_peak = ?, st_alert_id = ?, st_last_out = ? WHERE series_id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, st.side);
    store_bind_i64(s, 2, st.raised);
    store_bind_i64(s, 3, st.cum_raised);
    store_bind_i64(s, 4, st.has_last);
    store_bind_i64(s, 5, st.since_ms);
    store_bind_i64(s, 6, st.last_ms);
    store_bind_i64(s, 7, st.cum_ms);
    store_bind_double(s, 8, isfinite(st.peak) ? st.peak : 0);
    store_bind_i64(s, 9, alert_id);
    store_bind_i64(s, 10, st.last_out);
    store_bind_i64(s, 11, series_id);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

/* ----------------------------------------------------------------- alerts */

const char *tm_alert_state_name(int s)
{
    return s == TM_ALERT_OPEN ? "open" : s == TM_ALERT_ACK ? "acknowledged" : "closed";
}

static int state_parse(const char *s)
{
    return !strcmp(s, "open")           ? TM_ALERT_OPEN
           : !strcmp(s, "acknowledged") ? TM_ALERT_ACK
                                        : TM_ALERT_CLOSED;
}

#define ALERT_COLS_PREFIXED                                                                        \
    "a.id, a.county_id, a.series_id, a.kind, a.severity, a.state, a.title, a.start_ms, "           \
    "COALESCE(a.end_ms, 0), COALESCE(a.peak, 0)"

#define ALERT_COLS                                                                                 \
    "id, county_id, series_id, kind, severity, state, title, start_ms, COALESCE(end_ms, 0), "      \
    "COALESCE(peak, 0), raised_ms, readings_json"

static void row_alert(struct store_stmt *s, struct tm_alert *a)
{
    memset(a, 0, sizeof *a);
    a->id = store_col_i64(s, 0);
    a->county_id = store_col_i64(s, 1);
    a->series_id = store_col_i64(s, 2);
    snprintf(a->kind, sizeof a->kind, "%s", store_col_text(s, 3));
    a->severity = (int)store_col_i64(s, 4);
    a->state = state_parse(store_col_text(s, 5));
    snprintf(a->title, sizeof a->title, "%s", store_col_text(s, 6));
    a->start_ms = store_col_i64(s, 7);
    a->end_ms = store_col_i64(s, 8);
    a->peak = store_col_double(s, 9);
    a->raised_ms = store_col_i64(s, 10);
    snprintf(a->readings_json, sizeof a->readings_json, "%s", store_col_text(s, 11));
}

struct alist_arg {
    int64_t county_id, id;
    int state;
    struct tm_alert *v;
    size_t n, cap;
};

static int alist_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct alist_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT " ALERT_COLS " FROM tm_alerts WHERE county_id = ? "
                           "AND (? = 0 OR id = ?) AND (? IS NULL OR state = ?) "
                           "ORDER BY id DESC LIMIT 1000",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    store_bind_i64(s, 2, a->id);
    store_bind_i64(s, 3, a->id);
    if (a->state < 0) {
        store_bind_null(s, 4);
        store_bind_null(s, 5);
    } else {
        store_bind_text(s, 4, tm_alert_state_name(a->state), -1);
        store_bind_text(s, 5, tm_alert_state_name(a->state), -1);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
        row_alert(s, &a->v[a->n++]);
    }
    return rc < 0 ? rc : 0;
}

int tm_alerts_list(struct telemetry *t, int64_t county_id, int state, struct tm_alert **out,
                   size_t *n, struct err *e)
{
    struct alist_arg a = {county_id, 0, state, NULL, 0, 0};
    int rc = store_read(t->st, alist_fn, &a, e);
    if (rc) {
        free(a.v);
        return rc;
    }
    *out = a.v;
    *n = a.n;
    return 0;
}

int tm_alert_get(struct telemetry *t, int64_t county_id, int64_t id, struct tm_alert *out,
                 struct err *e)
{
    struct alist_arg a = {county_id, id, -1, NULL, 0, 0};
    int rc = store_read(t->st, alist_fn, &a, e);
    if (!rc && a.n == 0)
        rc = err_set(e, ERR_NOTFOUND, "no alert %lld", (long long)id);
    if (!rc)
        *out = a.v[0];
    free(a.v);
    return rc;
}

struct trans_arg {
    int64_t county_id, id;
    const struct auth_principal *actor;
    int to;
};

static int trans_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct trans_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT state FROM tm_alerts WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->id);
    store_bind_i64(s, 2, a->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no alert %lld", (long long)a->id);
    int from = state_parse(store_col_text(s, 0));
    if (!((from == TM_ALERT_OPEN && (a->to == TM_ALERT_ACK || a->to == TM_ALERT_CLOSED)) ||
          (from == TM_ALERT_ACK && a->to == TM_ALERT_CLOSED)))
        return err_set(e, ERR_CONFLICT, "alert %lld is %s; cannot become %s", (long long)a->id,
                       tm_alert_state_name(from), tm_alert_state_name(a->to));
    int64_t who = a->actor ? a->actor->user_id : 0;
    rc = store_prepare(c,
                       a->to == TM_ALERT_ACK
                           ? "UPDATE tm_alerts SET state = 'acknowledged', ack_by = ?, ack_ms = ? "
                             "WHERE id = ?"
                           : "UPDATE tm_alerts SET state = 'closed', closed_by = ?, closed_ms = ? "
                             "WHERE id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, who);
    store_bind_i64(s, 2, time_now_ms());
    store_bind_i64(s, 3, a->id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_audit(c, a->county_id, who,
                       a->to == TM_ALERT_ACK ? "telemetry.alert.acknowledge"
                                             : "telemetry.alert.close",
                       "tm_alerts", a->id, NULL, e);
}

int tm_alert_transition(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                        int64_t id, int to_state, struct err *e)
{
    if (to_state != TM_ALERT_ACK && to_state != TM_ALERT_CLOSED)
        return err_set(e, ERR_INVAL, "an alert can only be acknowledged or closed");
    struct trans_arg a = {county_id, id, actor, to_state};
    return store_write(t->st, trans_fn, &a, e);
}

/* --------------------------------------------------------------- webhooks */

void tm_webhook_sign(const char *secret, const void *body, size_t n, char out[72])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    /* HMAC with an arbitrary-length key (RFC 2104): init takes the key as is */
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, body, n);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 65, mac, sizeof mac);
}

struct wh_arg {
    int64_t county_id;
    const struct auth_principal *actor;
    const char *url, *secret;
    int64_t id;
};

static int wh_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct wh_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO tm_webhooks (county_id, url, secret, created_ms) "
                           "VALUES (?, ?, ?, ?) RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    store_bind_text(s, 2, a->url, -1);
    store_bind_text(s, 3, a->secret, -1);
    store_bind_i64(s, 4, time_now_ms());
    rc = store_step(s, e);
    if (rc != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_DB, "webhook insert returned no id");
    a->id = store_col_i64(s, 0);
    return store_audit(c, a->county_id, a->actor ? a->actor->user_id : 0, "telemetry.webhook.add",
                       "tm_webhooks", a->id, NULL, e);
}

int tm_webhook_add(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const char *url, const char *secret, int64_t *id, struct err *e)
{
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) || strlen(url) > 500)
        return err_set(e, ERR_INVAL, "url must be http:// or https:// (at most 500 bytes)");
    if (!secret || strlen(secret) < 16 || strlen(secret) > 200)
        return err_set(e, ERR_INVAL, "secret must be 16..200 bytes");
    struct wh_arg a = {county_id, actor, url, secret, 0};
    int rc = store_write(t->st, wh_add_fn, &a, e);
    if (!rc && id)
        *id = a.id;
    return rc;
}

struct due {
    int64_t id, alert_id;
    int attempts;
    bool ok;
    long status;
    char event[32];
    char *url, *secret, *body;
};

struct due_arg {
    int64_t now;
    struct due *v;
    size_t n, cap;
};

static int due_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct due_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(
        c,
        "SELECT d.id, d.alert_id, d.attempts, d.event, w.url, w.secret, " ALERT_COLS_PREFIXED
        " FROM tm_deliveries d JOIN tm_webhooks w ON w.id = d.webhook_id "
        "JOIN tm_alerts a ON a.id = d.alert_id "
        "WHERE d.state = 'pending' AND d.next_ms <= ? ORDER BY d.next_ms LIMIT 32",
        &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->now);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
        struct due *d = &a->v[a->n++];
        memset(d, 0, sizeof *d);
        d->id = store_col_i64(s, 0);
        d->alert_id = store_col_i64(s, 1);
        d->attempts = (int)store_col_i64(s, 2);
        snprintf(d->event, sizeof d->event, "%s", store_col_text(s, 3));
        d->url = xstrdup(store_col_text(s, 4));
        d->secret = xstrdup(store_col_text(s, 5));
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "event", json_object_new_string(d->event));
        json_object_object_add(o, "delivery_id", json_object_new_int64(d->id));
        json_object_object_add(o, "alert_id", json_object_new_int64(store_col_i64(s, 6)));
        json_object_object_add(o, "county_id", json_object_new_int64(store_col_i64(s, 7)));
        json_object_object_add(o, "series_id", json_object_new_int64(store_col_i64(s, 8)));
        json_object_object_add(o, "kind", json_object_new_string(store_col_text(s, 9)));
        json_object_object_add(o, "severity", json_object_new_int64(store_col_i64(s, 10)));
        json_object_object_add(o, "state", json_object_new_string(store_col_text(s, 11)));
        json_object_object_add(o, "title", json_object_new_string(store_col_text(s, 12)));
        json_object_object_add(o, "start", rjson_new_time(store_col_i64(s, 13)));
        if (store_col_i64(s, 14))
            json_object_object_add(o, "end", rjson_new_time(store_col_i64(s, 14)));
        json_object_object_add(o, "peak", rjson_new_double(store_col_double(s, 15), 6));
        d->body = xstrdup(rjson_str(o, NULL));
        json_object_put(o);
    }
    return rc < 0 ? rc : 0;
}

struct done_arg {
    struct due *d;
    size_t n;
    int64_t now;
    int max_attempts;
    int64_t base_ms;
};

static int done_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct done_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        struct due *d = &a->d[i];
        struct store_stmt *s;
        int rc = store_prepare(c,
                               "UPDATE tm_deliveries SET attempts = ?, state = ?, next_ms = ?, "
                               "last_status = ?, last_error = ? WHERE id = ?",
                               &s, e);
        if (rc)
            return rc;
        int att = d->attempts + 1;
        const char *state = d->ok ? "delivered" : att >= a->max_attempts ? "failed" : "pending";
        int shift = att - 1 < 20 ? att - 1 : 20;
        store_bind_i64(s, 1, att);
        store_bind_text(s, 2, state, -1);
        store_bind_i64(s, 3, a->now + (a->base_ms << shift));
        store_bind_i64(s, 4, d->status);
        if (d->ok || d->status)
            store_bind_null(s, 5);
        else
            store_bind_text(s, 5, "transport error", -1);
        store_bind_i64(s, 6, d->id);
        rc = store_step(s, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static size_t discard(void *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* POST one delivery; returns the HTTP status (0 on transport failure). */
static long post(const struct due *d)
{
    CURL *h = curl_easy_init();
    if (!h)
        return 0;
    char sig[72], hdr[128];
    tm_webhook_sign(d->secret, d->body, strlen(d->body), sig);
    snprintf(hdr, sizeof hdr, "X-Ruralink-Signature: %s", sig);
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    hs = curl_slist_append(hs, hdr);
    char ev[80];
    snprintf(ev, sizeof ev, "X-Ruralink-Event: %s", d->event);
    hs = curl_slist_append(hs, ev);
    curl_easy_setopt(h, CURLOPT_URL, d->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return status;
}

int tm_webhook_run_due(struct telemetry *t, int64_t now_ms, struct err *e)
{
    struct due_arg a = {now_ms, NULL, 0, 0};
    int rc = store_read(t->st, due_fn, &a, e);
    if (rc || a.n == 0) {
        free(a.v);
        return rc;
    }
    for (size_t i = 0; i < a.n; i++) {
        a.v[i].status = post(&a.v[i]);
        a.v[i].ok = a.v[i].status >= 200 && a.v[i].status < 300;
    }
    struct done_arg d = {a.v, a.n, time_now_ms(), t->cfg.webhook_max_attempts,
                         t->cfg.webhook_base_backoff_ms};
    rc = store_write(t->st, done_fn, &d, e);
    for (size_t i = 0; i < a.n; i++) {
        free(a.v[i].url);
        free(a.v[i].secret);
        free(a.v[i].body);
    }
    free(a.v);
    return rc ? rc : (int)a.n;
}

static void *wh_main(void *arg)
{
    struct telemetry *t = arg;
    int64_t next_maint = time_now_ms() + t->cfg.maintain_interval_ms;
    pthread_mutex_lock(&t->wh_mu);
    while (!t->wh_stop) {
        pthread_mutex_unlock(&t->wh_mu);
        struct err e = {0};
        tm_webhook_run_due(t, time_now_ms(), &e);
        if (time_now_ms() >= next_maint) {
            int64_t deleted = 0;
            err_clear(&e);
            if (tm_maintain(t, time_now_ms(), &deleted, &e))
                log_write(t->cfg.log, LOG_WARN, "telemetry.maintain", "error=%s", err_str(e.code));
            else if (deleted)
                log_write(t->cfg.log, LOG_INFO, "telemetry.maintain", "deleted=%lld",
                          (long long)deleted);
            next_maint = time_now_ms() + t->cfg.maintain_interval_ms;
        }
        pthread_mutex_lock(&t->wh_mu);
        if (t->wh_stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&t->wh_cond, &t->wh_mu, &ts);
    }
    pthread_mutex_unlock(&t->wh_mu);
    return NULL;
}

int tm__webhooks_start(struct telemetry *t, struct err *e)
{
    if (pthread_create(&t->wh_thread, NULL, wh_main, t))
        return err_set(e, ERR_INTERNAL, "cannot start the webhook thread");
    t->wh_started = true;
    return 0;
}

void tm__webhooks_stop(struct telemetry *t)
{
    if (!t->wh_started)
        return;
    pthread_mutex_lock(&t->wh_mu);
    t->wh_stop = true;
    pthread_cond_signal(&t->wh_cond);
    pthread_mutex_unlock(&t->wh_mu);
    pthread_join(t->wh_thread, NULL);
    t->wh_started = false;
}

void tm__webhooks_kick(struct telemetry *t)
{
    if (!t->wh_started)
        return;
    pthread_mutex_lock(&t->wh_mu);
    pthread_cond_signal(&t->wh_cond);
    pthread_mutex_unlock(&t->wh_mu);
}
