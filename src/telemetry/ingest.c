/*
** ingest.c: the one write path behind the three doors (line protocol, JSON
** batches, MQTT), and the module handle.
**
** A request is prepared on the caller's thread: each reading's series key is
** built, readings of the same series are grouped, and series already in the
** cache get their ids without touching the database. Then the whole request
** is one store_write() (one SAVEPOINT in the writer's group commit):
**   1. Idempotency: with a key, a recorded answer means a replay; nothing is
**      written and the first answer's count is returned. Otherwise the key is
**      recorded inside this same write, so "stored" and "key recorded" commit
**      or roll back together: a replayed batch is stored exactly once.
**   2. Unknown series are looked up or created (tm_series).
**   3. Readings are sorted by (series, time) and appended as ONE row of
**      tm_ingest_log (memtable.c explains why, and how they reach
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
    const char *key;
    size_t klen;
    uint64_t h;
    int64_t id;   /* 0 until resolved */
    bool from_db; /* resolved by the writer: cache after commit */
    const struct in_reading *first;
};

struct ing_row {
    uint32_t s;   /* index into series */
    uint32_t idx; /* arrival order: the later of equal (series, time) wins */
    int64_t ts;
    double v;
    int64_t sid;
};

struct ing_req {
    struct telemetry *t;
    int64_t county_id, device_id;
    char idem[300];
    bool has_idem;
    struct ing_series *ser;
    size_t nser;
    struct ing_row *rows;
    size_t nrows;
    int64_t log_id;
    struct tm_ingest_result res;
};

/* ---------------------------------------------------------------- handle */

int telemetry_new(struct telemetry **out, struct store *st, const struct telemetry_config *cfg,
                  struct err *e)
{
    struct telemetry *t = xcalloc(1, sizeof *t);
    t->st = st;
    if (cfg) t->cfg = *cfg;
    if (t->cfg.raw_retention_ms <= 0) t->cfg.raw_retention_ms = 30LL * 86400000;
    if (t->cfg.minute_retention_ms <= 0) t->cfg.minute_retention_ms = 180LL * 86400000;
    if (t->cfg.hour_retention_ms <= 0) t->cfg.hour_retention_ms = 5LL * 365 * 86400000;
    if (t->cfg.webhook_max_attempts <= 0) t->cfg.webhook_max_attempts = 6;
    if (t->cfg.maintain_interval_ms <= 0) t->cfg.maintain_interval_ms = 600000;
    if (t->cfg.flush_rows <= 0) t->cfg.flush_rows = 1000000;
    if (t->cfg.flush_interval_ms <= 0) t->cfg.flush_interval_ms = 2000;
    if (t->cfg.max_mem_rows <= 0) t->cfg.max_mem_rows = 6000000;
    if (t->cfg.webhook_base_backoff_ms <= 0) t->cfg.webhook_base_backoff_ms = 1000;
    pthread_mutex_init(&t->mu, NULL);
    pthread_mutex_init(&t->wh_mu, NULL);
    pthread_cond_init(&t->wh_cond, NULL);
    pthread_cond_init(&t->flushed, NULL);
    pthread_cond_init(&t->fl_cond, NULL);
    pthread_mutex_init(&t->flush_mu, NULL);
    t->active = tm__mt_new();
    atomic_init(&t->mq_received, 0);
    atomic_init(&t->mq_failed, 0);
    int rc = tm__load_monitors(t, e);
    if (!rc) rc = tm__replay_log(t, e);
    if (!rc) rc = tm__flusher_start(t, e);
    if (!rc && t->cfg.webhooks) rc = tm__webhooks_start(t, e);
    if (rc) {
        telemetry_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void telemetry_free(struct telemetry *t)
{
    if (!t) return;
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
    pthread_mutex_destroy(&t->wh_mu);
    pthread_cond_destroy(&t->wh_cond);
    free(t);
}

/* ------------------------------------------------------------- preparing */

static int cmp_row(const void *a, const void *b)
{
    const struct ing_row *x = a, *y = b;
    if (x->sid != y->sid) return x->sid < y->sid ? -1 : 1;
    if (x->ts != y->ts) return x->ts < y->ts ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Group readings by series (local hash table) and resolve cached ids. */
static int prepare(struct ing_req *q, const struct in_reading *in, size_t n, struct arena *a,
                   struct err *e)
{
    size_t cap = 16;
    while (cap < n * 2)
        cap *= 2;
    uint32_t *slot = arena_alloc(a, cap * sizeof *slot); /* series index + 1 */
    memset(slot, 0, cap * sizeof *slot);
    q->ser = arena_alloc(a, (n ? n : 1) * sizeof *q->ser);
    q->rows = arena_alloc(a, (n ? n : 1) * sizeof *q->rows);
    q->nser = q->nrows = 0;
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
        uint64_t h = tm__hash(q->county_id, key, (size_t)klen);
        size_t mask = cap - 1, j = h & mask;
        uint32_t idx = 0;
        for (;; j = (j + 1) & mask) {
            if (!slot[j]) break;
            struct ing_series *s = &q->ser[slot[j] - 1];
            if (s->h == h && s->klen == (size_t)klen && !memcmp(s->key, key, (size_t)klen)) {
                idx = slot[j];
                break;
            }
        }
        if (!idx) {
            struct ing_series *s = &q->ser[q->nser++];
            s->key = arena_strndup(a, key, (size_t)klen);
            s->klen = (size_t)klen;
            s->h = h;
            s->id = 0;
            s->from_db = false;
            s->first = r;
            idx = (uint32_t)q->nser;
            slot[j] = idx;
        }
        q->rows[q->nrows] = (struct ing_row){idx - 1, (uint32_t)q->nrows, r->ts_ms, r->value, 0};
        q->nrows++;
    }
    pthread_mutex_lock(&q->t->mu);
    for (size_t i = 0; i < q->nser; i++) {
        struct ing_series *s = &q->ser[i];
        tm__cache_get(q->t, q->county_id, s->key, s->klen, s->h, &s->id);
    }
    pthread_mutex_unlock(&q->t->mu);
    return 0;
}

/* ----------------------------------------------------------- the writer */

static int tags_json(struct strbuf *sb, const struct tm_lp_tag *tags, size_t n)
{
    strbuf_reset(sb);
    strbuf_addch(sb, '{');
    for (size_t i = 0; i < n; i++) {
        if (i) strbuf_addch(sb, ',');
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
    if (rc) return rc;
    store_bind_i64(st, 1, q->county_id);
    store_bind_text(st, 2, s->key, (ptrdiff_t)s->klen);
    rc = store_step(st, e);
    if (rc < 0) return rc;
    if (rc == STORE_ROW) {
        s->id = store_col_i64(st, 0);
        s->from_db = true;
        return 0;
    }
    const struct in_reading *r = s->first;
    if (tags_json(sb, r->tags, r->ntags)) return err_set(e, ERR_TOOBIG, "tag set too large");
    rc = store_prepare(c,
                       "INSERT INTO tm_series (county_id, skey, measurement, field, tags_json, "
                       "device_id, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       &st, e);
    if (rc) return rc;
    store_bind_i64(st, 1, q->county_id);
    store_bind_text(st, 2, s->key, (ptrdiff_t)s->klen);
    store_bind_text(st, 3, r->measurement.ptr, (ptrdiff_t)r->measurement.len);
    store_bind_text(st, 4, r->field.ptr, (ptrdiff_t)r->field.len);
    store_bind_text(st, 5, strbuf_str(sb), (ptrdiff_t)sb->len);
    store_bind_i64(st, 6, q->device_id);
    store_bind_i64(st, 7, time_now_ms());
    rc = store_step(st, e);
    if (rc < 0) return rc;
    if (rc != STORE_ROW) return err_set(e, ERR_DB, "series insert returned no id");
    s->id = store_col_i64(st, 0);
    s->from_db = true;
    q->res.series_new++;
    return 0;
}

static int insert_log(struct store_conn *c, struct ing_req *q, struct err *e)
{
    unsigned char *blob = xmalloc(q->nrows * 24 + 1);
    for (size_t i = 0; i < q->nrows; i++) {
        memcpy(blob + 24 * i, &q->rows[i].sid, 8);
        memcpy(blob + 24 * i + 8, &q->rows[i].ts, 8);
        memcpy(blob + 24 * i + 16, &q->rows[i].v, 8);
    }
    struct store_stmt *st;
    int rc = store_prepare(c,
                           "INSERT INTO tm_ingest_log (created_ms, n, rows) VALUES (?, ?, ?) "
                           "RETURNING id",
                           &st, e);
    if (!rc) {
        store_bind_i64(st, 1, time_now_ms());
        store_bind_i64(st, 2, (int64_t)q->nrows);
        store_bind_blob(st, 3, blob, q->nrows * 24);
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

#define IDEM_METHOD "POST"
#define IDEM_PATH "telemetry:ingest"

static int ingest_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct ing_req *q = arg;
    int rc;
    if (q->has_idem) {
        struct store_idem prev = {0};
        rc = store_idem_get(c, q->county_id, 0, q->idem, IDEM_METHOD, IDEM_PATH, &prev, e);
        if (rc == 0) {
            q->res.replayed = true;
            q->res.written = (size_t)strtoull(prev.body ? prev.body : "0", NULL, 10);
            store_idem_release(&prev);
            return 0;
        }
        if (rc != ERR_NOTFOUND) return rc;
        err_clear(e);
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 64 * 1024);
    for (size_t i = 0; i < q->nser; i++) {
        if (q->ser[i].id) continue;
        rc = resolve(c, q, &q->ser[i], &sb, e);
        if (rc) {
            strbuf_release(&sb);
            return rc;
        }
    }
    strbuf_release(&sb);
    for (size_t i = 0; i < q->nrows; i++)
        q->rows[i].sid = q->ser[q->rows[i].s].id;
    qsort(q->rows, q->nrows, sizeof *q->rows, cmp_row);
    if (q->nrows) {
        rc = insert_log(c, q, e);
        if (rc) return rc;
    }
    q->res.written = q->nrows;
    /* excursion detectors of monitored series, over this batch's readings */
    size_t i = 0;
    while (i < q->nrows) {
        size_t j = i;
        while (j < q->nrows && q->rows[j].sid == q->rows[i].sid)
            j++;
        if (tm__is_monitored(q->t, q->rows[i].sid)) {
            size_t m = j - i;
            int64_t *ts = xmalloc(m * sizeof *ts);
            double *v = xmalloc(m * sizeof *v);
            for (size_t k = 0; k < m; k++) {
                ts[k] = q->rows[i + k].ts;
                v[k] = q->rows[i + k].v;
            }
            rc = tm__monitor_feed(c, q->t, q->county_id, q->rows[i].sid, ts, v, m,
                                  &q->res.excursions, e);
            free(ts);
            free(v);
            if (rc) return rc;
        }
        i = j;
    }
    if (q->has_idem) {
        char body[32];
        int bn = snprintf(body, sizeof body, "%zu", q->nrows);
        rc = store_idem_put(c, q->county_id, 0, q->idem, IDEM_METHOD, IDEM_PATH, 200, body,
                            (size_t)bn, e);
        if (rc) return rc;
    }
    return 0;
}

static int ingest(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                  const struct in_reading *in, size_t n, struct arena *a,
                  struct tm_ingest_result *res, struct err *e)
{
    struct ing_req q = {.t = t, .county_id = county_id, .device_id = device_id};
    memset(res, 0, sizeof *res);
    if (county_id <= 0) return err_set(e, ERR_INVAL, "county_id is required");
    if (idem_key && *idem_key) {
        size_t kl = strlen(idem_key);
        if (kl > 255 || !utf8_valid(idem_key, kl))
            return err_set(e, ERR_INVAL, "Idempotency-Key must be 1 to 255 bytes of UTF-8");
        /* keys are per device (devices share user_id 0 in the store's table) */
        snprintf(q.idem, sizeof q.idem, "d%lld:%s", (long long)device_id, idem_key);
        q.has_idem = true;
    }
    int rc = prepare(&q, in, n, a, e);
    if (rc) return rc;
    if (n == 0 && !q.has_idem) return 0;
    /* backpressure: wait while the flusher is far behind */
    pthread_mutex_lock(&t->mu);
    while (t->active->n + (t->frozen ? t->frozen->n : 0) > (size_t)t->cfg.max_mem_rows &&
           t->fl_started) {
        pthread_cond_signal(&t->fl_cond);
        pthread_cond_wait(&t->flushed, &t->mu);
    }
    pthread_mutex_unlock(&t->mu);
    rc = store_write(t->st, ingest_fn, &q, e);
    if (rc) return rc;
    /* durable: now the readings enter the memtable and the ids the cache */
    struct mt_row *mr = NULL;
    if (!q.res.replayed && q.nrows) {
        mr = xmalloc(q.nrows * sizeof *mr);
        for (size_t i = 0; i < q.nrows; i++)
            mr[i] = (struct mt_row){q.rows[i].sid, q.rows[i].ts, q.rows[i].v, 0};
    }
    pthread_mutex_lock(&t->mu);
    if (mr) {
        tm__mt_add(t, q.log_id, mr, q.nrows);
        if (t->active->n >= (size_t)t->cfg.flush_rows) pthread_cond_signal(&t->fl_cond);
    }
    for (size_t i = 0; i < q.nser; i++)
        if (q.ser[i].from_db)
            tm__cache_put(t, county_id, q.ser[i].key, q.ser[i].klen, q.ser[i].h, q.ser[i].id);
    pthread_mutex_unlock(&t->mu);
    free(mr);
    if (q.res.excursions) tm__webhooks_kick(t);
    *res = q.res;
    return 0;
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

int tm_ingest_lp(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                 const char *body, size_t len, enum tm_precision prec, struct arena *a,
                 struct tm_lp_batch *parsed, struct tm_ingest_result *res, struct err *e)
{
    tm_lp_parse(body, len, prec, time_now_ms(), a, parsed);
    struct in_reading *in = arena_alloc(a, (parsed->nvalues ? parsed->nvalues : 1) * sizeof *in);
    size_t n = 0;
    for (size_t i = 0; i < parsed->npoints; i++) {
        const struct tm_lp_point *p = &parsed->points[i];
        for (size_t j = 0; j < p->nfields; j++) {
            const struct tm_lp_field *f = &p->fields[j];
            if (f->type == TM_FIELD_STRING)
                continue; /* readings are numbers; string fields are skipped */
            in[n++] =
                (struct in_reading){p->measurement, f->key, p->tags, p->ntags, p->ts_ms, f->num};
        }
    }
    return ingest(t, county_id, device_id, idem_key, in, n, a, res, e);
}

/* ------------------------------------------------------------------ JSON */

static int cmp_tag(const void *a, const void *b)
{
    const struct tm_lp_tag *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);
    return c ? c : (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

static int json_reading(struct json_object *o, size_t idx, struct arena *a, int64_t now,
                        struct in_reading *out, size_t *nout, struct err *e)
{
    static const char *const keys[] = {"measurement", "tags", "field", "value",
                                       "fields",      "ts",   "ts_ms", NULL};
    if (!json_object_is_type(o, json_type_object))
        return err_set(e, ERR_INVAL, "readings[%zu] must be an object", idx);
    if (rjson_only_keys(o, keys, e)) return err_prefix(e, "readings[%zu]: ", idx);
    const char *meas;
    if (rjson_get_str(o, "measurement", true, &meas, e))
        return err_prefix(e, "readings[%zu]: ", idx);
    struct in_reading r = {.measurement = str_from(arena_strdup(a, meas))};
    struct json_object *tags = NULL;
    int rc = rjson_get_obj(o, "tags", false, &tags, e);
    if (rc && rc != ERR_NOTFOUND) return err_prefix(e, "readings[%zu]: ", idx);
    if (tags) {
        size_t nt = (size_t)json_object_object_length(tags);
        if (nt > TM_LP_MAX_TAGS) return err_set(e, ERR_INVAL, "readings[%zu]: too many tags", idx);
        struct tm_lp_tag *tv = arena_alloc(a, (nt ? nt : 1) * sizeof *tv);
        size_t k = 0;
        json_object_object_foreach(tags, key, val)
        {
            if (!json_object_is_type(val, json_type_string) || !*key ||
                !json_object_get_string_len(val))
                return err_set(e, ERR_INVAL, "readings[%zu]: tag '%s' must be a non-empty string",
                               idx, key);
            tv[k].key = str_from(arena_strdup(a, key));
            tv[k].value = str_from(arena_strdup(a, json_object_get_string(val)));
            k++;
        }
        qsort(tv, k, sizeof *tv, cmp_tag);
        r.tags = tv;
        r.ntags = k;
    }
    r.ts_ms = now;
    const char *ts;
    rc = rjson_get_str(o, "ts", false, &ts, e);
    if (rc == 0) {
        if (time_parse_rfc3339(ts, &r.ts_ms))
            return err_set(e, ERR_INVAL, "readings[%zu]: 'ts' is not RFC 3339", idx);
    } else if (rc != ERR_NOTFOUND) {
        return err_prefix(e, "readings[%zu]: ", idx);
    }
    rc = rjson_get_i64(o, "ts_ms", false, &r.ts_ms, e);
    if (rc && rc != ERR_NOTFOUND) return err_prefix(e, "readings[%zu]: ", idx);
    if (r.ts_ms < 0 || r.ts_ms > INT64_MAX / 1000000)
        return err_set(e, ERR_INVAL, "readings[%zu]: timestamp out of range", idx);
    struct json_object *fields = NULL;
    rc = rjson_get_obj(o, "fields", false, &fields, e);
    if (rc && rc != ERR_NOTFOUND) return err_prefix(e, "readings[%zu]: ", idx);
    if (fields) {
        json_object_object_foreach(fields, key, val)
        {
            if (!json_object_is_type(val, json_type_double) &&
                !json_object_is_type(val, json_type_int))
                return err_set(e, ERR_INVAL, "readings[%zu]: field '%s' must be a number", idx,
                               key);
            struct in_reading f = r;
            f.field = str_from(arena_strdup(a, key));
            f.value = json_object_get_double(val);
            out[(*nout)++] = f;
        }
        return 0;
    }
    const char *field = "value";
    rc = rjson_get_str(o, "field", false, &field, e);
    if (rc && rc != ERR_NOTFOUND) return err_prefix(e, "readings[%zu]: ", idx);
    r.field = str_from(arena_strdup(a, field));
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
    if (rc) return rc;
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
    if (!rc) rc = ingest(t, county_id, device_id, idem_key, in, n, a, res, e);
    json_object_put(root);
    return rc;
}
