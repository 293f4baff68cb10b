/*
** memtable.c: the write-optimised path between ingest and tm_readings.
**
** Inserting each request's readings straight into tm_readings (primary key
** series, time) dirties one B-tree leaf per series per request: with 10,000
** interleaved series a 5,000-reading batch rewrites ~5,000 pages, and the
** bench showed ~50k readings/s. So a request instead appends ONE row to
** tm_ingest_log (its readings packed in a blob) in its store_write: that is
** what makes it durable before the acknowledgement. After the commit its
** readings also go into the in-memory table (the "memtable"); queries read
** memtable + tm_readings, so an acknowledged reading is visible at once.
**
** A flusher thread moves the memtable into tm_readings: it freezes the
** active memtable (a new one takes the writes), sorts the frozen rows by
** (series, time, arrival), keeps the last of equal (series, time), inserts
** them in large sorted transactions (each leaf page touched about once per
** flush), then deletes exactly the log rows the frozen memtable came from,
** and drops it. A crash at any point loses nothing: unflushed log rows are
** replayed into the memtable by telemetry_new, and re-inserting already
** flushed rows is an upsert. Ingest waits (backpressure) while the two
** memtables hold more than max_mem_rows.
*/
#include "telemetry/telemetry_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_TXN_ROWS 100000

struct memtable *tm__mt_new(void)
{
    return xcalloc(1, sizeof(struct memtable));
}

void tm__mt_free(struct memtable *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ser_cap; i++)
        free(m->ser[i].rows);
    free(m->ser);
    free(m->log_ids);
    free(m);
}

static size_t slot_of(const struct memtable *m, int64_t sid)
{
    size_t mask = m->ser_cap - 1;
    size_t i = (size_t)((uint64_t)sid * 0x9E3779B97F4A7C15ULL >> 20) & mask;
    while (m->ser[i].sid && m->ser[i].sid != sid)
        i = (i + 1) & mask;
    return i;
}

static struct mt_ser *ser_get(struct memtable *m, int64_t sid, bool create)
{
    if (!m->ser_cap) {
        if (!create)
            return NULL;
        m->ser_cap = 1024;
        m->ser = xcalloc(m->ser_cap, sizeof *m->ser);
    }
    size_t i = slot_of(m, sid);
    if (m->ser[i].sid)
        return &m->ser[i];
    if (!create)
        return NULL;
    if ((m->nser + 1) * 4 > m->ser_cap * 3) {
        struct memtable old = *m;
        m->ser_cap *= 2;
        m->ser = xcalloc(m->ser_cap, sizeof *m->ser);
        for (size_t k = 0; k < old.ser_cap; k++)
            if (old.ser[k].sid)
                m->ser[slot_of(m, old.ser[k].sid)] = old.ser[k];
        free(old.ser);
        i = slot_of(m, sid);
    }
    m->ser[i].sid = sid;
    m->nser++;
    return &m->ser[i];
}

/* Caller holds t->mu. */
void tm__mt_add(struct telemetry *t, int64_t log_id, const struct mt_row *rows, size_t n)
{
    struct memtable *m = t->active;
    struct mt_ser *s = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!s || s->sid != rows[i].sid)
            s = ser_get(m, rows[i].sid, true);
        xgrow((void **)&s->rows, &s->cap, s->n + 1, sizeof *s->rows);
        s->rows[s->n] = rows[i];
        s->rows[s->n].seq = t->seq++;
        s->n++;
    }
    m->n += n;
    xgrow((void **)&m->log_ids, &m->caplog, m->nlog + 1, sizeof *m->log_ids);
    m->log_ids[m->nlog++] = log_id;
}

static int cmp_row_ts(const void *a, const void *b)
{
    const struct mt_row *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int cmp_row_full(const void *a, const void *b)
{
    const struct mt_row *x = a, *y = b;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return cmp_row_ts(a, b);
}

/* Keep the last (highest seq) of equal keys in a sorted array. */
static size_t dedupe(struct mt_row *r, size_t n, bool by_sid)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && r[k - 1].ts == r[i].ts && (!by_sid || r[k - 1].sid == r[i].sid))
            r[k - 1] = r[i];
        else
            r[k++] = r[i];
    }
    return k;
}

size_t tm__mt_collect(struct telemetry *t, int64_t sid, int64_t from, int64_t to,
                      struct mt_row **out)
{
    struct mt_row *v = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&t->mu);
    struct memtable *ms[2] = {t->frozen, t->active};
    for (int k = 0; k < 2; k++) {
        struct mt_ser *ser = ms[k] ? ser_get(ms[k], sid, false) : NULL;
        if (!ser)
            continue;
        for (size_t i = 0; i < ser->n; i++) {
            const struct mt_row *r = &ser->rows[i];
            if (r->ts >= from && r->ts < to) {
                xgrow((void **)&v, &cap, n + 1, sizeof *v);
                v[n++] = *r;
            }
        }
    }
    pthread_mutex_unlock(&t->mu);
    if (n > 1) {
        qsort(v, n, sizeof *v, cmp_row_ts);
        n = dedupe(v, n, false);
    }
    *out = v;
    return n;
}

/* ------------------------------------------------------------------ flush */

struct flush_arg {
    const struct mt_row *rows;
    size_t n;
    const int64_t *log_ids;
    size_t nlog;
};

static const char *insert_sql(size_t rows, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "INSERT INTO tm_readings (series_id, ts_ms, value) VALUES ");
    for (size_t i = 0; i < rows; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s(?, ?, ?)", i ? ", " : "");
    snprintf(buf + n, cap - n,
             " ON CONFLICT (series_id, ts_ms) DO UPDATE SET value = excluded.value");
    return buf;
}

#define ROWS_PER_INSERT 64

static int flush_rows_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct flush_arg *a = arg;
    char full[ROWS_PER_INSERT * 12 + 200], part[ROWS_PER_INSERT * 12 + 200];
    insert_sql(ROWS_PER_INSERT, full, sizeof full);
    size_t i = 0;
    while (i < a->n) {
        size_t k = a->n - i >= ROWS_PER_INSERT ? ROWS_PER_INSERT : a->n - i;
        const char *sql = k == ROWS_PER_INSERT ? full : insert_sql(k, part, sizeof part);
        struct store_stmt *st;
        int rc = store_prepare(c, sql, &st, e);
        if (rc)
            return rc;
        for (size_t j = 0; j < k; j++) {
            const struct mt_row *r = &a->rows[i + j];
            store_bind_i64(st, (int)(3 * j + 1), r->sid);
            store_bind_i64(st, (int)(3 * j + 2), r->ts);
            store_bind_double(st, (int)(3 * j + 3), r->v);
        }
        rc = store_step(st, e);
        if (rc < 0)
            return rc;
        i += k;
    }
    return 0;
}

static int flush_log_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct flush_arg *a = arg;
    for (size_t i = 0; i < a->nlog; i++) {
        struct store_stmt *st;
        int rc = store_prepare(c, "DELETE FROM tm_ingest_log WHERE id = ?", &st, e);
        if (rc)
            return rc;
        store_bind_i64(st, 1, a->log_ids[i]);
        rc = store_step(st, e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int tm_flush(struct telemetry *t, struct err *e)
{
    pthread_mutex_lock(&t->flush_mu);
    pthread_mutex_lock(&t->mu);
    if (!t->frozen && t->active->n) {
        t->frozen = t->active;
        t->active = tm__mt_new();
    }
    struct memtable *f = t->frozen;
    pthread_mutex_unlock(&t->mu);
    int rc = 0;
    if (f) {
        /* the frozen memtable is immutable now: read it without the lock */
        struct mt_row *rows = xmalloc((f->n ? f->n : 1) * sizeof *rows);
        size_t k = 0;
        for (size_t i = 0; i < f->ser_cap; i++) {
            const struct mt_ser *ser = &f->ser[i];
            if (ser->sid) {
                memcpy(rows + k, ser->rows, ser->n * sizeof *rows);
                k += ser->n;
            }
        }
        qsort(rows, k, sizeof *rows, cmp_row_full);
        size_t n = dedupe(rows, k, true);
        for (size_t i = 0; i < n && !rc; i += FLUSH_TXN_ROWS) {
            struct flush_arg a = {rows + i, n - i < FLUSH_TXN_ROWS ? n - i : FLUSH_TXN_ROWS,
                                  NULL, 0};
            rc = store_write(t->st, flush_rows_fn, &a, e);
        }
        if (!rc) {
            struct flush_arg a = {NULL, 0, f->log_ids, f->nlog};
            rc = store_write(t->st, flush_log_fn, &a, e);
        }
        free(rows);
        if (!rc) {
            pthread_mutex_lock(&t->mu);
            t->frozen = NULL;
            pthread_cond_broadcast(&t->flushed);
            pthread_mutex_unlock(&t->mu);
            tm__mt_free(f);
        }
    }
    pthread_mutex_unlock(&t->flush_mu);
    return rc;
}

static void *flusher_main(void *arg)
{
    struct telemetry *t = arg;
    pthread_mutex_lock(&t->mu);
    while (!t->fl_stop) {
        bool due = t->active->n >= (size_t)t->cfg.flush_rows || t->frozen ||
                   (t->active->n && time_now_ms() - t->last_flush_ms >= t->cfg.flush_interval_ms);
        if (!due) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&t->fl_cond, &t->mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&t->mu);
        struct err e = {0};
        if (tm_flush(t, &e))
            log_write(t->cfg.log, LOG_WARN, "telemetry.flush", "error=%s", err_str(e.code));
        pthread_mutex_lock(&t->mu);
        t->last_flush_ms = time_now_ms();
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int tm__flusher_start(struct telemetry *t, struct err *e)
{
    t->last_flush_ms = time_now_ms();
    if (pthread_create(&t->fl_thread, NULL, flusher_main, t))
        return err_set(e, ERR_INTERNAL, "cannot start the flusher thread");
    t->fl_started = true;
    return 0;
}

void tm__flusher_stop(struct telemetry *t)
{
    if (!t->fl_started)
        return;
    pthread_mutex_lock(&t->mu);
    t->fl_stop = true;
    pthread_cond_broadcast(&t->fl_cond);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->fl_thread, NULL);
    t->fl_started = false;
}

/* ----------------------------------------------------------------- replay */

static int replay_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct telemetry *t = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id, rows FROM tm_ingest_log ORDER BY id", &s, e);
    if (rc)
        return rc;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        size_t len;
        const unsigned char *p = store_col_blob(s, 1, &len);
        size_t n = len / 24;
        struct mt_row *rows = xmalloc((n ? n : 1) * sizeof *rows);
        for (size_t i = 0; i < n; i++) {
            memcpy(&rows[i].sid, p + 24 * i, 8);
            memcpy(&rows[i].ts, p + 24 * i + 8, 8);
            memcpy(&rows[i].v, p + 24 * i + 16, 8);
        }
        pthread_mutex_lock(&t->mu);
        tm__mt_add(t, store_col_i64(s, 0), rows, n);
        pthread_mutex_unlock(&t->mu);
        free(rows);
    }
    return rc < 0 ? rc : 0;
}

int tm__replay_log(struct telemetry *t, struct err *e)
{
    return store_read(t->st, replay_fn, t, e);
}
