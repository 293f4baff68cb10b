/*
** ingest.c: the one write path behind the three doors (line protocol, JSON
** batches, MQTT), and the module handle.
**
** A request is prepared on the caller's (HTTP handler's) thread, so the
** single writer does little more than SQLite: line protocol is parsed
** straight from the body (tm__lp_each, no point array); a line already in
** canonical form (no escapes, tags in order) is its own series key, else
** the key is built; readings of the same series are grouped (local hash
** table, counting sort, time order within a series) and series already in
** the cache get their ids without touching the database. Then the whole request
** is one store_write() (one SAVEPOINT in the writer's group commit):
**   1. Idempotency: with a key, a recorded answer means a replay; nothing is
**      written and the first answer's count is returned. Otherwise the key is
**      recorded inside this same write, so "stored" and "key recorded" commit
**      or roll back together: a replayed batch is stored exactly once.
**   2. Unknown series are looked up or created (tm_series).
**   3. Readings, in (series id, time) order, are appended as ONE row of
**      tm_ingest_log (~5 bytes a reading; memtable.c explains why, and how they reach
**      tm_chunks); a reading with the same series and time as a stored one
**      replaces its value (InfluxDB's rule), so a replay without a key
**      still never duplicates.
**   4. Monitored series feed their excursion detector (same transaction).
** store_write returns only after the group commit is durable; only then is
** the caller told 0, and only then do the readings enter the memtable and
** new series ids the cache.
*/
#include "telemetry/telemetry_int.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 480

struct in_reading {
    struct str measurement, field;
    const struct tm_lp_tag *tags;
    size_t ntags;
    int64_t ts_ms;
    double value;
};

struct ing_series {
    const char *key; /* into the body (line protocol) or the arena */
    size_t klen;
    uint64_t h;
    int64_t id;   /* 0 until resolved */
    bool from_db; /* resolved by the writer: cache after commit */
    /* where its names come from when it must be created: */
    const struct in_reading *first; /* JSON / MQTT door */
    const char *line;               /* line-protocol door: the line, parsed again */
    size_t line_len;
    uint32_t field; /* index of the field in that line */
};

struct ing_row {
    uint32_t s;   /* index into series */
    uint32_t idx; /* arrival order: the later of equal (series, time) wins */
    int64_t ts;
    double v;
};

struct ing_req {
    struct telemetry *t;
    int64_t county_id, device_id;
    char idem[300];
    bool has_idem;
    enum tm_precision prec;
    struct ing_series *ser; /* malloc'd, grown */
    size_t nser, capser;
    struct ing_row *rows; /* malloc'd, grown; grouped by series after sort_rows */
    size_t nrows, caprows;
    uint32_t *slot; /* local open addressing: series index + 1 */
    size_t capslot;
    struct arena *a;
    struct mt_row *mr; /* the rows with series ids, log order (the writer) */
    int64_t log_id;
    struct tm_ingest_result res;
};

/* ---------------------------------------------------------------- handle */

int telemetry_new(struct telemetry **out, struct store *st, const struct telemetry_config *cfg,
                  struct err *e)
{
    struct telemetry *t = xcalloc(1, sizeof *t);
    t->st = st;
    if (cfg)
        t->cfg = *cfg;
    if (t->cfg.raw_retention_ms <= 0)
        t->cfg.raw_retention_ms = 30LL * 86400000;
    if (t->cfg.minute_retention_ms <= 0)
        t->cfg.minute_retention_ms = 180LL * 86400000;
    if (t->cfg.hour_retention_ms <= 0)
        t->cfg.hour_retention_ms = 5LL * 365 * 86400000;
    if (t->cfg.webhook_max_attempts <= 0)
        t->cfg.webhook_max_attempts = 6;
    if (t->cfg.maintain_interval_ms <= 0)
        t->cfg.maintain_interval_ms = 600000;
    if (t->cfg.flush_rows <= 0)
        t->cfg.flush_rows = 3000000;
    if (t->cfg.flush_interval_ms <= 0)
        t->cfg.flush_interval_ms = 5000;
    if (t->cfg.max_mem_rows <= 0)
        t->cfg.max_mem_rows = 8000000;
    if (t->cfg.webhook_base_backoff_ms <= 0)
        t->cfg.webhook_base_backoff_ms = 1000;
    pthread_mutex_init(&t->mu, NULL);
    pthread_rwlock_init(&t->sc_lock, NULL);
    pthread_mutex_init(&t->wh_mu, NULL);
    pthread_cond_init(&t->wh_cond, NULL);
    pthread_cond_init(&t->flushed, NULL);
    pthread_cond_init(&t->fl_cond, NULL);
    pthread_mutex_init(&t->flush_mu, NULL);
    pthread_mutex_init(&t->dev_mu, NULL);
    t->active = tm__mt_new();
    atomic_init(&t->mq_received, 0);
    atomic_init(&t->mq_failed, 0);
    int rc = tm__load_monitors(t, e);
    if (!rc)
        rc = tm__replay_log(t, e);
    if (!rc)
        rc = tm__flusher_start(t, e);
    if (!rc && t->cfg.webhooks)
        rc = tm__webhooks_start(t, e);
    if (rc) {
        telemetry_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void telemetry_free(struct telemetry *t)
{
    if (!t)
        return;
    tm_mqtt_stop(t);
    tm__webhooks_stop(t);
    tm__flusher_stop(t);
    if (t->active) {
        struct err e = {0};
        if (tm_flush(t, &e))
            log_write(t->cfg.log, LOG_WARN, "telemetry.flush", "error=%s", err_str(e.code));
    }
    tm__mt_free(t->active);
    tm__mt_free(t->frozen);
    pthread_cond_destroy(&t->flushed);
    pthread_cond_destroy(&t->fl_cond);
    pthread_mutex_destroy(&t->flush_mu);
    for (size_t i = 0; i < t->sc_cap; i++)
        free(t->sc[i].key);
    free(t->sc);
    free(t->mon);
    pthread_mutex_destroy(&t->mu);
    pthread_rwlock_destroy(&t->sc_lock);
    pthread_mutex_destroy(&t->wh_mu);
    pthread_cond_destroy(&t->wh_cond);
    pthread_mutex_destroy(&t->dev_mu);
    free(t);
}

/* ------------------------------------------------------------- preparing */

static void req_free(struct ing_req *q)
{
    free(q->ser);
    free(q->rows);
    free(q->slot);
    free(q->mr);
}

/* The local series of key (created when new; key copied into the arena
** unless stable, i.e. pointing into the body). Returns its index. */
static uint32_t local_series(struct ing_req *q, const char *key, size_t klen, bool stable)
{
    uint64_t h = tm__hash(q->county_id, key, klen);
    if ((q->nser + 1) * 2 > q->capslot) {
        size_t cap = q->capslot ? q->capslot * 2 : 1024;
        uint32_t *slot = xcalloc(cap, sizeof *slot);
        for (size_t i = 0; i < q->nser; i++) {
            size_t j = q->ser[i].h & (cap - 1);
            while (slot[j])
                j = (j + 1) & (cap - 1);
            slot[j] = (uint32_t)i + 1;
        }
        free(q->slot);
        q->slot = slot;
        q->capslot = cap;
    }
    size_t mask = q->capslot - 1, j = h & mask;
    for (;; j = (j + 1) & mask) {
        if (!q->slot[j])
            break;
        struct ing_series *s = &q->ser[q->slot[j] - 1];
        if (s->h == h && s->klen == klen && !memcmp(s->key, key, klen))
            return q->slot[j] - 1;
    }
    xgrow((void **)&q->ser, &q->capser, q->nser + 1, sizeof *q->ser);
    struct ing_series *s = &q->ser[q->nser];
    *s = (struct ing_series){
        .key = stable ? key : arena_strndup(q->a, key, klen), .klen = klen, .h = h};
    q->slot[j] = (uint32_t)++q->nser;
    return (uint32_t)(q->nser - 1);
}

static void add_row(struct ing_req *q, uint32_t s, int64_t ts, double v)
{
    xgrow((void **)&q->rows, &q->caprows, q->nrows + 1, sizeof *q->rows);
    q->rows[q->nrows] = (struct ing_row){s, (uint32_t)q->nrows, ts, v};
    q->nrows++;
}

static int cmp_ts_idx(const void *a, const void *b)
{
    const struct ing_row *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Group rows by series (counting sort, stable) and order each group by
** (time, arrival); a group already in time order (the usual case) is left
** as it is. */
static void sort_rows(struct ing_req *q)
{
    if (q->nrows < 2)
        return;
    /* already grouped and in time order (series numbered by first appearance,
    ** so grouped means non-decreasing)? the usual batch: nothing to move */
    bool done = true;
    for (size_t i = 1; i < q->nrows && done; i++)
        done = q->rows[i].s > q->rows[i - 1].s ||
               (q->rows[i].s == q->rows[i - 1].s && q->rows[i].ts >= q->rows[i - 1].ts);
    if (done)
        return;
    size_t *start = xcalloc(q->nser + 1, sizeof *start);
    size_t *next = xmalloc(q->nser * sizeof *next);
    for (size_t i = 0; i < q->nrows; i++)
        start[q->rows[i].s + 1]++;
    for (size_t s = 0; s < q->nser; s++) {
        start[s + 1] += start[s];
        next[s] = start[s];
    }
    struct ing_row *out = xmalloc(q->nrows * sizeof *out);
    for (size_t i = 0; i < q->nrows; i++)
        out[next[q->rows[i].s]++] = q->rows[i];
    for (size_t s = 0; s < q->nser; s++) {
        size_t a = start[s], b = start[s + 1];
        for (size_t k = a + 1; k < b; k++) {
            if (out[k].ts < out[k - 1].ts) {
                qsort(out + a, b - a, sizeof *out, cmp_ts_idx);
                break;
            }
        }
    }
    free(q->rows);
    q->rows = out;
    q->caprows = q->nrows;
    free(start);
    free(next);
}

/* After sort_rows: of readings with the same series and time keep the last
** to arrive, as storage would. Done here, before the detector, so it never
** sees (and alerts on) a value that is not stored. */
static void dedupe_rows(struct ing_req *q)
{
    size_t w = 0;
    for (size_t i = 0; i < q->nrows; i++) {
        if (w && q->rows[w - 1].s == q->rows[i].s && q->rows[w - 1].ts == q->rows[i].ts)
            q->rows[w - 1] = q->rows[i];
        else
            q->rows[w++] = q->rows[i];
    }
    q->nrows = w;
}

/* Readings of the JSON / MQTT doors: build each series key. */
static int prepare(struct ing_req *q, const struct in_reading *in, size_t n, struct err *e)
{
    char key[KEY_MAX + 16];
    for (size_t i = 0; i < n; i++) {
        const struct in_reading *r = &in[i];
        if (!isfinite(r->value))
            return err_set(e, ERR_INVAL, "reading %zu: value is not a finite number", i + 1);
        if (r->measurement.len == 0 || r->field.len == 0)
            return err_set(e, ERR_INVAL, "reading %zu: measurement and field are required", i + 1);
        int klen = tm__series_key(key, KEY_MAX, r->measurement, r->tags, r->ntags, r->field);
        if (klen < 0)
            return err_set(e, ERR_INVAL, "reading %zu: series key longer than %d bytes", i + 1,
                           KEY_MAX);
        uint32_t s = local_series(q, key, (size_t)klen, false);
        if (!q->ser[s].first && !q->ser[s].line)
            q->ser[s].first = r;
        add_row(q, s, r->ts_ms, r->value);
    }
    return 0;
}

/* Series ids already known (the cache), under the lock once per request. */
static void lookup_cached(struct ing_req *q)
{
    pthread_rwlock_rdlock(&q->t->sc_lock);
    size_t mask = q->t->sc_cap ? q->t->sc_cap - 1 : 0;
    for (size_t i = 0; i < q->nser; i++) {
        struct ing_series *s = &q->ser[i];
        if (mask && i + 8 < q->nser)
            __builtin_prefetch(&q->t->sc[q->ser[i + 8].h & mask]);
        tm__cache_get(q->t, q->county_id, s->key, s->klen, s->h, &s->id);
    }
    pthread_rwlock_unlock(&q->t->sc_lock);
}

/* ----------------------------------------------------------- the writer */

static int tags_json(struct strbuf *sb, const struct tm_lp_tag *tags, size_t n)
{
    strbuf_reset(sb);
    strbuf_addch(sb, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_addch(sb, ',');
        strbuf_add_json_str(sb, tags[i].key.ptr, tags[i].key.len);
        strbuf_addch(sb, ':');
        strbuf_add_json_str(sb, tags[i].value.ptr, tags[i].value.len);
    }
    return strbuf_addch(sb, '}');
}

static int resolve(struct store_conn *c, struct ing_req *q, struct ing_series *s, struct strbuf *sb,
                   struct err *e)
{
    struct store_stmt *st;
    int rc = store_prepare(c, "SELECT id FROM tm_series WHERE county_id = ? AND skey = ?", &st, e);
    if (rc)
        return rc;
    store_bind_i64(st, 1, q->county_id);
    store_bind_text(st, 2, s->key, (ptrdiff_t)s->klen);
    rc = store_step(st, e);
    if (rc < 0)
        return rc;
    if (rc == STORE_ROW) {
        s->id = store_col_i64(st, 0);
        s->from_db = true;
        return 0;
    }
    struct str meas, field;
    const struct tm_lp_tag *tags;
    size_t ntags;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_tag tv[TM_LP_MAX_TAGS];
    struct tm_lp_field fv[TM_LP_MAX_FIELDS];
    if (s->first) {
        meas = s->first->measurement;
        field = s->first->field;
        tags = s->first->tags;
        ntags = s->first->ntags;
    } else {
        struct tm_lp_point pt;
        if (tm__lp_reparse(s->line, s->line_len, q->prec, &a, &pt, tv, fv) ||
            s->field >= pt.nfields) {
            arena_release(&a);
            return err_set(e, ERR_INTERNAL, "series line no longer parses");
        }
        meas = pt.measurement;
        field = pt.fields[s->field].key;
        tags = pt.tags;
        ntags = pt.ntags;
    }
    if (tags_json(sb, tags, ntags)) {
        arena_release(&a);
        return err_set(e, ERR_TOOBIG, "tag set too large");
    }
    rc = store_prepare(c,
                       "INSERT INTO tm_series (county_id, skey, measurement, field, tags_json, "
                       "device_id, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st, e);
    if (!rc) {
        store_bind_i64(st, 1, q->county_id);
        store_bind_text(st, 2, s->key, (ptrdiff_t)s->klen);
        store_bind_text(st, 3, meas.ptr, (ptrdiff_t)meas.len);
        store_bind_text(st, 4, field.ptr, (ptrdiff_t)field.len);
        store_bind_text(st, 5, strbuf_str(sb), (ptrdiff_t)sb->len);
        store_bind_i64(st, 6, q->device_id);
        store_bind_i64(st, 7, time_now_ms());
        rc = store_step(st, e);
    }
    arena_release(&a);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "series insert returned no id");
    s->id = store_col_i64(st, 0);
    s->from_db = true;
    q->res.series_new++;
    return 0;
}

static int insert_log(struct store_conn *c, struct ing_req *q, struct err *e)
{
    size_t len;
    unsigned char *blob = tm__log_encode(q->mr, q->nrows, &len);
    struct store_stmt *st;
    int rc = store_prepare(c,
                           "INSERT INTO tm_ingest_log (created_ms, n, rows) VALUES (?, ?, ?) "
                           "RETURNING id",
                           &st, e);
    if (!rc) {
        store_bind_i64(st, 1, time_now_ms());
        store_bind_i64(st, 2, (int64_t)q->nrows);
        store_bind_blob(st, 3, blob, len);
        rc = store_step(st, e);
        if (rc == STORE_ROW) {
            q->log_id = store_col_i64(st, 0);
            rc = 0;
        } else if (rc >= 0) {
            rc = err_set(e, ERR_DB, "ingest log insert returned no id");
        }
    }
    free(blob);
    return rc;
}

struct grp {
    int64_t sid;
    size_t at, n;
};

static int cmp_grp(const void *a, const void *b)
{
    const struct grp *x = a, *y = b;
    return (x->sid > y->sid) - (x->sid < y->sid);
}

#define IDEM_METHOD "POST"
#define IDEM_PATH "telemetry:ingest"

/* A retry is answered as the first request was: its key's record keeps
** "written series_new excursions" (records from before it hold the count
** alone; the rest then reads 0). */
static void idem_answer_read(const char *body, struct tm_ingest_result *res)
{
    const char *p = body ? body : "0";
    char *end;
    size_t v[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        v[i] = (size_t)strtoull(p, &end, 10);
        if (end == p)
            break;
        p = end;
    }
    res->replayed = true;
    res->written = v[0];
    res->series_new = v[1];
    res->excursions = v[2];
}

static int ingest_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct ing_req *q = arg;
    int rc;
    if (q->has_idem) {
        struct store_idem prev = {0};
        rc = store_idem_get(c, q->county_id, 0, q->idem, IDEM_METHOD, IDEM_PATH, &prev, e);
        if (rc == 0) {
            idem_answer_read(prev.body, &q->res);
            store_idem_release(&prev);
            return 0;
        }
        if (rc != ERR_NOTFOUND)
            return rc;
        err_clear(e);
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 64 * 1024);
    for (size_t i = 0; i < q->nser; i++) {
        if (q->ser[i].id)
            continue;
        rc = resolve(c, q, &q->ser[i], &sb, e);
        if (rc) {
            strbuf_release(&sb);
            return rc;
        }
    }
    strbuf_release(&sb);
    /* rows are grouped by series and in time order (sort_rows); the log and
    ** the memtable take them in series id order */
    free(q->mr);
    q->mr = xmalloc((q->nrows ? q->nrows : 1) * sizeof *q->mr);
    struct grp *g = xmalloc((q->nser ? q->nser : 1) * sizeof *g);
    size_t ng = 0;
    bool asc = true;
    for (size_t i = 0; i < q->nrows; i++) {
        if (i && q->rows[i].s == q->rows[i - 1].s) {
            g[ng - 1].n++;
            continue;
        }
        g[ng] = (struct grp){q->ser[q->rows[i].s].id, i, 1};
        if (ng && g[ng].sid < g[ng - 1].sid)
            asc = false;
        ng++;
    }
    if (!asc)
        qsort(g, ng, sizeof *g, cmp_grp);
    size_t w = 0;
    for (size_t i = 0; i < ng; i++)
        for (size_t j = g[i].at; j < g[i].at + g[i].n; j++)
            q->mr[w++] = (struct mt_row){g[i].sid, q->rows[j].ts, q->rows[j].v, 0};
    free(g);
    if (q->nrows) {
        rc = insert_log(c, q, e);
        if (rc)
            return rc;
    }
    q->res.written = q->nrows;
    /* excursion detectors of monitored series, over this batch's readings */
    pthread_mutex_lock(&q->t->mu);
    bool any_mon = q->t->nmon > 0;
    pthread_mutex_unlock(&q->t->mu);
    size_t i = 0;
    while (any_mon && i < q->nrows) {
        size_t j = i;
        while (j < q->nrows && q->rows[j].s == q->rows[i].s)
            j++;
        int64_t sid = q->ser[q->rows[i].s].id;
        if (tm__is_monitored(q->t, sid)) {
            size_t m = j - i;
            int64_t *ts = xmalloc(m * sizeof *ts);
            double *v = xmalloc(m * sizeof *v);
            for (size_t k = 0; k < m; k++) {
                ts[k] = q->rows[i + k].ts;
                v[k] = q->rows[i + k].v;
            }
            rc = tm__monitor_feed(c, q->t, q->county_id, sid, ts, v, m, &q->res.excursions, e);
            free(ts);
            free(v);
            if (rc)
                return rc;
        }
        i = j;
    }
    if (q->has_idem) {
        char body[80];
        int bn = snprintf(body, sizeof body, "%zu %zu %zu", q->res.written, q->res.series_new,
                          q->res.excursions);
        rc = store_idem_put(c, q->county_id, 0, q->idem, IDEM_METHOD, IDEM_PATH, 200, body,
                            (size_t)bn, e);
        if (rc)
            return rc;
    }
    return 0;
}

static int req_init(struct ing_req *q, struct telemetry *t, int64_t county_id, int64_t device_id,
                    const char *idem_key, struct arena *a, struct err *e)
{
    *q = (struct ing_req){.t = t, .county_id = county_id, .device_id = device_id, .a = a};
    if (county_id <= 0)
        return err_set(e, ERR_INVAL, "county_id is required");
    if (idem_key && *idem_key) {
        size_t kl = strlen(idem_key);
        if (kl > 255 || !utf8_valid(idem_key, kl))
            return err_set(e, ERR_INVAL, "Idempotency-Key must be 1 to 255 bytes of UTF-8");
        /* keys are per device (devices share user_id 0 in the store's table) */
        snprintf(q->idem, sizeof q->idem, "d%lld:%s", (long long)device_id, idem_key);
        q->has_idem = true;
    }
    return 0;
}

/* The prepared request (series and rows filled): cached ids, order, one
** store_write, then memtable and cache. */
static int ingest_req(struct ing_req *q, struct tm_ingest_result *res, struct err *e)
{
    struct telemetry *t = q->t;
    if (q->nrows == 0 && !q->has_idem)
        return 0;
    lookup_cached(q);
    sort_rows(q);
    dedupe_rows(q);
    /* backpressure: wait while the flusher is far behind */
    pthread_mutex_lock(&t->mu);
    while (t->active->n + (t->frozen ? t->frozen->n : 0) > (size_t)t->cfg.max_mem_rows &&
           t->fl_started) {
        pthread_cond_signal(&t->fl_cond);
        pthread_cond_wait(&t->flushed, &t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    int rc = store_write(t->st, ingest_fn, q, e);
    if (rc)
        return rc;
    /* durable: now the readings enter the memtable and the ids the cache */
    pthread_mutex_lock(&t->mu);
    if (!q->res.replayed && q->nrows) {
        tm__mt_add(t, q->log_id, q->mr, q->nrows); /* takes mr */
        q->mr = NULL;
        if (t->active->n >= (size_t)t->cfg.flush_rows)
            pthread_cond_signal(&t->fl_cond);
    }
    pthread_mutex_unlock(&t->mu);
    bool any_new = false;
    for (size_t i = 0; i < q->nser && !any_new; i++)
        any_new = q->ser[i].from_db;
    if (any_new) {
        pthread_rwlock_wrlock(&t->sc_lock);
        for (size_t i = 0; i < q->nser; i++)
            if (q->ser[i].from_db)
                tm__cache_put(t, q->county_id, q->ser[i].key, q->ser[i].klen, q->ser[i].h,
                              q->ser[i].id);
        pthread_rwlock_unlock(&t->sc_lock);
    }
    if (q->res.excursions)
        tm__webhooks_kick(t);
    *res = q->res;
    return 0;
}

static int ingest(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                  const struct in_reading *in, size_t n, struct arena *a,
                  struct tm_ingest_result *res, struct err *e)
{
    struct ing_req q;
    memset(res, 0, sizeof *res);
    int rc = req_init(&q, t, county_id, device_id, idem_key, a, e);
    if (!rc)
        rc = prepare(&q, in, n, e);
    if (!rc)
        rc = ingest_req(&q, res, e);
    req_free(&q);
    return rc;
}

int tm_ingest(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
              const struct tm_reading *r, size_t n, struct tm_ingest_result *res, struct err *e)
{
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct in_reading *in = arena_alloc(&a, (n ? n : 1) * sizeof *in);
    for (size_t i = 0; i < n; i++)
        in[i] = (struct in_reading){str_from(r[i].measurement),
                                    str_from(r[i].field),
                                    r[i].tags,
                                    r[i].ntags,
                                    r[i].ts_ms,
                                    r[i].value};
    int rc = ingest(t, county_id, device_id, idem_key, in, n, &a, res, e);
    arena_release(&a);
    return rc;
}

struct lp_ctx {
    struct ing_req *q;
    struct err *e;
    size_t nread; /* readings so far (error messages) */
};

/* Could the series key of field f (escaped: at most twice the names) be
** longer than KEY_MAX? Only then is it worth building to check. */
static bool key_may_overflow(const struct tm_lp_point *pt, struct str field)
{
    size_t n = pt->measurement.len + field.len + 2;
    for (size_t i = 0; i < pt->ntags; i++)
        n += pt->tags[i].key.len + pt->tags[i].value.len + 2;
    return 2 * n >= KEY_MAX;
}

/* A series key of the line too long to store: the line is rejected like any
** other bad line (a partial write), before any of its fields is added. */
static int lp_key_check(const struct tm_lp_point *pt, const struct tm__lp_line *ln)
{
    char key[KEY_MAX + 16];
    for (size_t j = 0; j < pt->nfields; j++) {
        const struct tm_lp_field *f = &pt->fields[j];
        if (f->type == TM_FIELD_STRING || !key_may_overflow(pt, f->key))
            continue;
        if (tm__series_key(key, KEY_MAX, pt->measurement, pt->tags, pt->ntags, f->key) < 0) {
            snprintf(ln->err, 160,
                     "series key (measurement, tags and field '%.*s') longer than %d bytes",
                     (int)(f->key.len < 40 ? f->key.len : 40), f->key.ptr, KEY_MAX);
            return TM__LP_REJECT;
        }
    }
    return 0;
}

/* One good line: each numeric field is a reading of "line's series, field".
** When the line is plain its key is its own text up to the field name, for
** the first field (nothing is built or copied). */
static int lp_point(void *ctx, const struct tm_lp_point *pt, const struct tm__lp_line *ln)
{
    struct lp_ctx *x = ctx;
    struct ing_req *q = x->q;
    const char *pre_end =
        pt->ntags ? pt->tags[pt->ntags - 1].value.ptr + pt->tags[pt->ntags - 1].value.len
                  : pt->measurement.ptr + pt->measurement.len;
    char key[KEY_MAX + 16];
    int rc = lp_key_check(pt, ln);
    if (rc)
        return rc;
    for (size_t j = 0; j < pt->nfields; j++) {
        const struct tm_lp_field *f = &pt->fields[j];
        if (f->type == TM_FIELD_STRING)
            continue; /* readings are numbers */
        x->nread++;
        const char *k;
        size_t klen;
        bool stable;
        if (ln->plain && f->key.ptr == pre_end + 1 &&
            (size_t)(f->key.ptr + f->key.len - ln->s) < KEY_MAX - 1) {
            k = ln->s;
            klen = (size_t)(f->key.ptr + f->key.len - ln->s);
            stable = true;
        } else {
            int kl = tm__series_key(key, KEY_MAX, pt->measurement, pt->tags, pt->ntags, f->key);
            if (kl < 0)
                return err_set(x->e, ERR_INVAL, "reading %zu: series key longer than %d bytes",
                               x->nread, KEY_MAX);
            k = key;
            klen = (size_t)kl;
            stable = false;
        }
        uint32_t s = local_series(q, k, klen, stable);
        struct ing_series *se = &q->ser[s];
        if (!se->line) {
            se->line = ln->s;
            se->line_len = ln->len;
            se->field = (uint32_t)j;
        }
        add_row(q, s, pt->ts_ms, f->num);
    }
    return 0;
}

int tm_ingest_lp(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                 const char *body, size_t len, enum tm_precision prec, struct arena *a,
                 struct tm_lp_batch *parsed, struct tm_ingest_result *res, struct err *e)
{
    struct ing_req q;
    memset(res, 0, sizeof *res);
    memset(parsed, 0, sizeof *parsed);
    int rc = req_init(&q, t, county_id, device_id, idem_key, a, e);
    if (!rc) {
        /* about a reading a line: size the arrays once */
        size_t lines = 1;
        for (const char *p = body; (p = memchr(p, '\n', (size_t)(body + len - p))) != NULL; p++)
            lines++;
        xgrow((void **)&q.ser, &q.capser, lines, sizeof *q.ser);
        xgrow((void **)&q.rows, &q.caprows, lines, sizeof *q.rows);
        q.capslot = 1024;
        while (q.capslot < 2 * lines)
            q.capslot *= 2;
        q.slot = xcalloc(q.capslot, sizeof *q.slot);
        q.prec = prec;
        struct lp_ctx x = {&q, e, 0};
        rc = tm__lp_each(body, len, prec, time_now_ms(), a, parsed, lp_point, &x);
    }
    if (!rc)
        rc = ingest_req(&q, res, e);
    req_free(&q);
    return rc;
}

/* ------------------------------------------------------------------ JSON */

static int cmp_tag(const void *a, const void *b)
{
    const struct tm_lp_tag *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);
    return c ? c : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

/* A name (measurement, tag, field) must survive as the series key's text:
** no NUL (C strings would cut it there and merge it with another series),
** no line break (line protocol could never write or name that series). */
static int name_ok(const char *s, size_t n)
{
    return n > 0 && !memchr(s, '\0', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n);
}

static int json_name(struct json_object *v, const char *what, size_t idx, struct arena *a,
                     struct str *out, struct err *e)
{
    if (!json_object_is_type(v, json_type_string))
        return err_set(e, ERR_INVAL, "readings[%zu]: %s must be a string", idx, what);
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (!name_ok(s, n))
        return err_set(e, ERR_INVAL,
                       "readings[%zu]: %s must be non-empty, without NUL or line breaks", idx,
                       what);
    *out = (struct str){arena_strndup(a, s, n), n};
    return 0;
}

static int json_tags(struct json_object *tags, size_t idx, struct arena *a, struct in_reading *r,
                     struct err *e)
{
    size_t nt = (size_t)json_object_object_length(tags);
    if (nt > TM_LP_MAX_TAGS)
        return err_set(e, ERR_INVAL, "readings[%zu]: too many tags", idx);
    struct tm_lp_tag *tv = arena_alloc(a, (nt ? nt : 1) * sizeof *tv);
    size_t k = 0;
    json_object_object_foreach(tags, key, val)
    {
        if (!name_ok(key, strlen(key)))
            return err_set(e, ERR_INVAL,
                           "readings[%zu]: tag keys must be non-empty, without "
                           "line breaks",
                           idx);
        if (json_name(val, "a tag value", idx, a, &tv[k].value, e))
            return ERR_INVAL;
        tv[k].key = str_from(arena_strdup(a, key));
        k++;
    }
    qsort(tv, k, sizeof *tv, cmp_tag);
    r->tags = tv;
    r->ntags = k;
    return 0;
}

/* "ts" (RFC 3339) or "ts_ms", not both (which one would win?); now if neither. */
static int json_time(struct json_object *o, size_t idx, int64_t now, int64_t *ts_ms, struct err *e)
{
    *ts_ms = now;
    bool has_ts = json_object_object_get_ex(o, "ts", NULL);
    if (has_ts && json_object_object_get_ex(o, "ts_ms", NULL))
        return err_set(e, ERR_INVAL, "readings[%zu]: give 'ts' or 'ts_ms', not both", idx);
    const char *ts;
    if (has_ts) {
        if (rjson_get_str(o, "ts", true, &ts, e))
            return err_prefix(e, "readings[%zu]: ", idx);
        if (time_parse_rfc3339(ts, ts_ms))
            return err_set(e, ERR_INVAL, "readings[%zu]: 'ts' is not RFC 3339", idx);
    } else {
        int rc = rjson_get_i64(o, "ts_ms", false, ts_ms, e);
        if (rc && rc != ERR_NOTFOUND)
            return err_prefix(e, "readings[%zu]: ", idx);
    }
    if (*ts_ms < 0 || *ts_ms > INT64_MAX / 1000000)
        return err_set(e, ERR_INVAL, "readings[%zu]: timestamp out of range", idx);
    if (*ts_ms > now + TM_MAX_AHEAD_MS)
        return err_set(e, ERR_INVAL,
                       "readings[%zu]: timestamp is more than 1 hour ahead of the server clock "
                       "(the device clock looks wrong)",
                       idx);
    return 0;
}

/* "fields": {name: number, ...}, each one reading of r's series. */
static int json_fields(struct json_object *fields, size_t idx, struct arena *a,
                       const struct in_reading *r, struct in_reading *out, size_t *nout,
                       struct err *e)
{
    json_object_object_foreach(fields, key, val)
    {
        if (!json_object_is_type(val, json_type_double) && !json_object_is_type(val, json_type_int))
            return err_set(e, ERR_INVAL, "readings[%zu]: field '%s' must be a number", idx, key);
        if (!name_ok(key, strlen(key)))
            return err_set(e, ERR_INVAL,
                           "readings[%zu]: field names must be non-empty, without "
                           "line breaks",
                           idx);
        struct in_reading f = *r;
        f.field = str_from(arena_strdup(a, key));
        f.value = json_object_get_double(val);
        out[(*nout)++] = f;
    }
    return 0;
}

static int json_reading(struct json_object *o, size_t idx, struct arena *a, int64_t now,
                        struct in_reading *out, size_t *nout, struct err *e)
{
    static const char *const keys[] = {"measurement", "tags", "field", "value",
                                       "fields",      "ts",   "ts_ms", NULL};
    if (!json_object_is_type(o, json_type_object))
        return err_set(e, ERR_INVAL, "readings[%zu] must be an object", idx);
    if (rjson_only_keys(o, keys, e))
        return err_prefix(e, "readings[%zu]: ", idx);
    struct in_reading r = {0};
    struct json_object *v;
    if (!json_object_object_get_ex(o, "measurement", &v))
        return err_set(e, ERR_INVAL, "readings[%zu]: 'measurement' is required", idx);
    if (json_name(v, "measurement", idx, a, &r.measurement, e))
        return ERR_INVAL;
    struct json_object *tags = NULL;
    int rc = rjson_get_obj(o, "tags", false, &tags, e);
    if (rc && rc != ERR_NOTFOUND)
        return err_prefix(e, "readings[%zu]: ", idx);
    if (tags && json_tags(tags, idx, a, &r, e))
        return ERR_INVAL;
    if (json_time(o, idx, now, &r.ts_ms, e))
        return ERR_INVAL;
    struct json_object *fields = NULL;
    rc = rjson_get_obj(o, "fields", false, &fields, e);
    if (rc && rc != ERR_NOTFOUND)
        return err_prefix(e, "readings[%zu]: ", idx);
    if (fields) {
        /* one reading per field: a value or field name beside them is
        ** ambiguous, not something to ignore */
        if (json_object_object_get_ex(o, "value", NULL) ||
            json_object_object_get_ex(o, "field", NULL))
            return err_set(e, ERR_INVAL,
                           "readings[%zu]: give 'fields', or 'field' and 'value', not both", idx);
        return json_fields(fields, idx, a, &r, out, nout, e);
    }
    r.field = str_from("value");
    if (json_object_object_get_ex(o, "field", &v) && json_name(v, "field", idx, a, &r.field, e))
        return ERR_INVAL;
    if (rjson_get_double(o, "value", true, &r.value, e))
        return err_prefix(e, "readings[%zu]: ", idx);
    out[(*nout)++] = r;
    return 0;
}

/* Count readings (fields) first so the array is allocated once. */
static size_t json_count(struct json_object *arr)
{
    size_t n = 0, len = json_object_array_length(arr);
    for (size_t i = 0; i < len; i++) {
        struct json_object *o = json_object_array_get_idx(arr, i), *f;
        if (json_object_is_type(o, json_type_object) &&
            json_object_object_get_ex(o, "fields", &f) && json_object_is_type(f, json_type_object))
            n += (size_t)json_object_object_length(f);
        else
            n++;
    }
    return n;
}

int tm_ingest_json(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                   const char *body, size_t len, struct arena *a, struct tm_ingest_result *res,
                   struct err *e)
{
    struct json_object *root;
    memset(res, 0, sizeof *res);
    int rc = rjson_parse(body, len, &root, e);
    if (rc)
        return rc;
    struct json_object *arr = root;
    if (json_object_is_type(root, json_type_object)) {
        if (!json_object_object_get_ex(root, "readings", &arr) &&
            json_object_object_get_ex(root, "measurement", NULL)) {
            arr = NULL; /* a single reading */
        } else if (!arr || !json_object_is_type(arr, json_type_array)) {
            json_object_put(root);
            return err_set(e, ERR_INVAL,
                           "body must be {\"readings\": [...]}, an array or a "
                           "single reading");
        }
    } else if (!json_object_is_type(root, json_type_array)) {
        json_object_put(root);
        return err_set(e, ERR_INVAL, "body must be a JSON object or array");
    }
    size_t cap;
    if (arr) {
        cap = json_count(arr);
    } else {
        struct json_object *f;
        cap = json_object_object_get_ex(root, "fields", &f) &&
                      json_object_is_type(f, json_type_object)
                  ? (size_t)json_object_object_length(f)
                  : 1;
    }
    struct in_reading *in = arena_alloc(a, (cap ? cap : 1) * sizeof *in);
    size_t n = 0;
    int64_t now = time_now_ms();
    if (arr) {
        size_t len2 = json_object_array_length(arr);
        for (size_t i = 0; i < len2 && !rc; i++)
            rc = json_reading(json_object_array_get_idx(arr, i), i, a, now, in, &n, e);
    } else {
        rc = json_reading(root, 0, a, now, in, &n, e);
    }
    if (!rc)
        rc = ingest(t, county_id, device_id, idem_key, in, n, a, res, e);
    json_object_put(root);
    return rc;
}
