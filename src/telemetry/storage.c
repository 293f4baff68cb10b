/*
** storage.c: the series dictionary, its in-memory cache, range queries
** with downsampling, roll-ups and retention.
**
** Series. A series is (county, measurement, sorted tag set, field); its
** canonical key is the line-protocol text "m,k=v,... field" (components
** escaped as in line protocol: ',' ' ' and, outside the measurement, '='
** take a backslash; a backslash itself is doubled where it would otherwise
** read as an escape, i.e. before one of those, another backslash or the end
** of a name. So distinct series never share a key: "coll\\,t=a f" is
** measurement "coll\" with tag t=a, "coll\,t=a f" measurement "coll,t=a"). The
** cache maps (county, key) -> id; an entry is added only after the write
** that created or found the row has committed, so a rolled-back batch can
** never leave an id in the cache that the database does not have.
**
** Queries. tm_query() fills buckets of step_ms over [from, to) with
** min/mean/max/count. Raw readings answer where they still exist; older
** parts come from the 1-minute roll-ups, older still from the 1-hour ones.
** The boundaries (where raw / minute data were deleted up to) are kept in
** tm_meta, so no reading is counted twice.
**
** Maintenance. tm_maintain() flushes the memtable, compacts small chunks,
** rolls complete hours of raw data into 1-minute and 1-hour aggregates
** (watermark in tm_meta), then deletes raw chunks (whole days) and minute
** data past retention, never beyond the watermark (nothing is deleted before
** it is rolled up).
*/
#include "telemetry/telemetry_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define MAX_BUCKETS 100000

/* ------------------------------------------------------------ series keys */

/* Does a backslash before next (0: the end of the name, where a separator
** or the end of the key follows) need doubling? Only where it would read
** as an escape: before , space = or another backslash. Elsewhere it stays
** single, so keys of names like "C:\dir" are what they always were. */
static bool bs_ambiguous(char next)
{
    return next == 0 || next == ',' || next == ' ' || next == '=' || next == '\\';
}

static int add_escaped(char *buf, size_t cap, size_t *n, struct str s, bool eq)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool esc = c == ',' || c == ' ' || (eq && c == '=');
        if (c == '\\')
            esc = bs_ambiguous(i + 1 < s.len ? s.ptr[i + 1] : 0);
        if (esc) {
            if (*n + 1 >= cap)
                return -1;
            buf[(*n)++] = '\\';
        }
        if (*n + 1 >= cap)
            return -1;
        buf[(*n)++] = c;
    }
    return 0;
}

int tm__series_key(char *buf, size_t cap, struct str measurement, const struct tm_lp_tag *tags,
                   size_t ntags, struct str field)
{
    size_t n = 0;
    if (add_escaped(buf, cap, &n, measurement, false))
        return -1;
    for (size_t i = 0; i < ntags; i++) {
        if (n + 2 >= cap)
            return -1;
        buf[n++] = ',';
        if (add_escaped(buf, cap, &n, tags[i].key, true))
            return -1;
        buf[n++] = '=';
        if (add_escaped(buf, cap, &n, tags[i].value, true))
            return -1;
    }
    if (n + 2 >= cap)
        return -1;
    buf[n++] = ' ';
    if (add_escaped(buf, cap, &n, field, true))
        return -1;
    buf[n] = '\0';
    return (int)n;
}

/* -------------------------------------------------------------- the cache */

/* Eight bytes a step (multiply-xorshift); in memory only, never stored. */
uint64_t tm__hash(int64_t county_id, const char *key, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = ((uint64_t)county_id + len) * k;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, key + i, len - i);
    h = (h ^ w) * k;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

int tm__cache_get(struct telemetry *t, int64_t county_id, const char *key, size_t len, uint64_t h,
                  int64_t *id)
{
    int rc = ERR_NOTFOUND;
    if (!t->sc_cap)
        return rc;
    size_t mask = t->sc_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct sc_ent *s = &t->sc[i];
        if (!s->hash)
            break;
        if (s->hash == h && s->county_id == county_id && s->klen == len &&
            !memcmp(s->key, key, len)) {
            *id = s->id;
            rc = 0;
            break;
        }
    }
    return rc;
}

static void cache_insert(struct sc_ent *tab, size_t cap, struct sc_ent ent)
{
    size_t mask = cap - 1;
    for (size_t i = ent.hash & mask;; i = (i + 1) & mask) {
        if (!tab[i].hash) {
            tab[i] = ent;
            return;
        }
    }
}

/* Caller holds t->mu. */
void tm__cache_put(struct telemetry *t, int64_t county_id, const char *key, size_t len, uint64_t h,
                   int64_t id)
{
    int64_t old;
    if (tm__cache_get(t, county_id, key, len, h, &old) == 0)
        return;
    if ((t->sc_n + 1) * 4 >= t->sc_cap * 3) {
        size_t cap = t->sc_cap ? t->sc_cap * 2 : 1024;
        struct sc_ent *tab = xcalloc(cap, sizeof *tab);
        for (size_t i = 0; i < t->sc_cap; i++)
            if (t->sc[i].hash)
                cache_insert(tab, cap, t->sc[i]);
        free(t->sc);
        t->sc = tab;
        t->sc_cap = cap;
    }
    cache_insert(t->sc, t->sc_cap, (struct sc_ent){h, county_id, id, len, xstrndup(key, len)});
    t->sc_n++;
}

/* ---------------------------------------------------------------- series */

#define SERIES_COLS                                                                                \
    "s.id, s.county_id, s.device_id, s.skey, s.measurement, s.field, "                             \
    "COALESCE(m.profile, ''), "                                                                    \
    "(SELECT MIN(t0) FROM tm_chunks r WHERE r.series_id = s.id), "                                 \
    "(SELECT MAX(t1) FROM tm_chunks r WHERE r.series_id = s.id) "

static void copy_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static void row_series(struct store_stmt *s, struct tm_series *o)
{
    memset(o, 0, sizeof *o);
    o->id = store_col_i64(s, 0);
    o->county_id = store_col_i64(s, 1);
    o->device_id = store_col_i64(s, 2);
    copy_text(o->key, sizeof o->key, store_col_text(s, 3));
    copy_text(o->measurement, sizeof o->measurement, store_col_text(s, 4));
    copy_text(o->field, sizeof o->field, store_col_text(s, 5));
    copy_text(o->profile, sizeof o->profile, store_col_text(s, 6));
    o->first_ms = store_col_i64(s, 7);
    o->last_ms = store_col_i64(s, 8);
    o->count = -1;
}

struct list_arg {
    int64_t county_id;
    const char *measurement;
    struct tm_series *v;
    size_t n, cap;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT " SERIES_COLS "FROM tm_series s "
                           "LEFT JOIN tm_monitors m ON m.series_id = s.id "
                           "WHERE s.county_id = ? AND (? IS NULL OR s.measurement = ?) "
                           "ORDER BY s.id LIMIT 100000",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    if (a->measurement) {
        store_bind_text(s, 2, a->measurement, -1);
        store_bind_text(s, 3, a->measurement, -1);
    } else {
        store_bind_null(s, 2);
        store_bind_null(s, 3);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof *a->v);
        row_series(s, &a->v[a->n++]);
    }
    return rc < 0 ? rc : 0;
}

int tm_series_list(struct telemetry *t, int64_t county_id, const char *measurement,
                   struct tm_series **out, size_t *n, struct err *e)
{
    struct list_arg a = {county_id, measurement, NULL, 0, 0};
    int rc = store_read(t->st, list_fn, &a, e);
    if (rc) {
        free(a.v);
        return rc;
    }
    /* A series whose readings are all still in memory (new since the last
    ** flush) has no chunk yet: its span comes from the memtable, so a new
    ** sensor does not show "no data" for the seconds until the flush.
    ** Series with chunks keep the chunks' span, at most one flush behind. */
    for (size_t i = 0; i < a.n; i++) {
        int64_t first, last;
        if (!a.v[i].last_ms && tm__mt_span(t, a.v[i].id, &first, &last)) {
            a.v[i].first_ms = first;
            a.v[i].last_ms = last;
        }
    }
    *out = a.v;
    *n = a.n;
    return 0;
}

struct get_arg {
    int64_t county_id, id;
    const char *key;
    struct tm_series *out;
    struct mt_row *rows; /* stored readings (get) */
    size_t nrows;
};

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct get_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT " SERIES_COLS
                           "FROM tm_series s LEFT JOIN tm_monitors m ON m.series_id = s.id "
                           "WHERE s.county_id = ? AND s.id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    store_bind_i64(s, 2, a->id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no series %lld", (long long)a->id);
    row_series(s, a->out);
    return tm__chunks_read(c, a->id, INT64_MIN / 2, INT64_MAX / 2, &a->rows, &a->nrows, e);
}

int tm_series_get(struct telemetry *t, int64_t county_id, int64_t id, struct tm_series *out,
                  struct err *e)
{
    struct get_arg a = {county_id, id, NULL, out, NULL, 0};
    struct mt_row *mem;
    size_t n = tm__mt_collect(t, id, INT64_MIN / 2, INT64_MAX / 2, &mem);
    int rc = store_read(t->st, get_fn, &a, e);
    if (rc == 0) {
        /* distinct times over the table and memory */
        size_t i = 0, j = 0;
        int64_t count = 0;
        while (i < a.nrows || j < n) {
            if (j == n || (i < a.nrows && a.rows[i].ts < mem[j].ts)) {
                i++;
            } else {
                if (i < a.nrows && a.rows[i].ts == mem[j].ts)
                    i++;
                j++;
            }
            count++;
        }
        out->count = count;
        if (n) {
            if (!out->first_ms || mem[0].ts < out->first_ms)
                out->first_ms = mem[0].ts;
            if (mem[n - 1].ts > out->last_ms)
                out->last_ms = mem[n - 1].ts;
        }
    }
    free(a.rows);
    free(mem);
    return rc;
}

static int find_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct get_arg *a = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id FROM tm_series WHERE county_id = ? AND skey = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a->county_id);
    store_bind_text(s, 2, a->key, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no series '%s'", a->key);
    a->id = store_col_i64(s, 0);
    return 0;
}

int tm_series_find(struct telemetry *t, int64_t county_id, const char *key, int64_t *id,
                   struct err *e)
{
    struct get_arg a = {county_id, 0, key, NULL, NULL, 0};
    int rc = store_read(t->st, find_fn, &a, e);
    if (rc == 0)
        *id = a.id;
    return rc;
}

/* ---------------------------------------------------------------- queries */

static int64_t meta_get(struct store_conn *c, const char *k, int64_t dflt, struct err *e)
{
    struct store_stmt *s;
    if (store_prepare(c, "SELECT v FROM tm_meta WHERE county_id = 0 AND k = ?", &s, e))
        return dflt;
    store_bind_text(s, 1, k, -1);
    if (store_step(s, e) == STORE_ROW)
        return store_col_i64(s, 0);
    return dflt;
}

static int meta_set(struct store_conn *c, const char *k, int64_t v, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO tm_meta (county_id, k, v) VALUES (0, ?, ?) "
                           "ON CONFLICT (county_id, k) DO UPDATE SET v = excluded.v",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, k, -1);
    store_bind_i64(s, 2, v);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

struct query_arg {
    int64_t county_id, series_id, from, to, step;
    const struct mt_row *mem; /* readings still in memory, sorted by time */
    size_t nmem;
    struct tm_bucket *b; /* nb buckets when step > 0 */
    size_t nb;
    /* raw mode (step 0) / tm_query_raw */
    size_t max;
    int64_t *ts;
    double *v;
    size_t n, cap;
    int64_t next_from; /* first reading left out by max; -1 when none */
};

static void push_raw(struct query_arg *a, int64_t ts, double v)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->ts = xrealloc(a->ts, a->cap * sizeof *a->ts);
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->ts[a->n] = ts;
    a->v[a->n++] = v;
}

/* Stored readings in [lo, hi) merged with the ones in memory (a->mem,
** sorted): sorted by time, memory wins for equal times. Caller frees. */
static int merged(struct store_conn *c, struct query_arg *a, int64_t lo, int64_t hi,
                  struct mt_row **out, size_t *nout, struct err *e)
{
    struct mt_row *st;
    size_t ns;
    int rc = tm__chunks_read(c, a->series_id, lo, hi, &st, &ns, e);
    if (rc)
        return rc;
    size_t m0 = 0;
    while (m0 < a->nmem && a->mem[m0].ts < lo)
        m0++;
    size_t m1 = m0;
    while (m1 < a->nmem && a->mem[m1].ts < hi)
        m1++;
    struct mt_row *r = xmalloc((ns + (m1 - m0) + 1) * sizeof *r);
    size_t i = 0, j = m0, k = 0;
    while (i < ns || j < m1) {
        if (j == m1 || (i < ns && st[i].ts < a->mem[j].ts)) {
            r[k++] = st[i++];
        } else {
            if (i < ns && st[i].ts == a->mem[j].ts)
                i++;
            r[k++] = a->mem[j++];
        }
    }
    free(st);
    *out = r;
    *nout = k;
    return 0;
}

static int check_series(struct store_conn *c, int64_t county_id, int64_t series_id, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT 1 FROM tm_series WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, series_id);
    store_bind_i64(s, 2, county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no series %lld", (long long)series_id);
    return 0;
}

static void merge(struct tm_bucket *b, double mn, double sum, double mx, int64_t n)
{
    if (n <= 0)
        return;
    if (b->count == 0) {
        b->min = mn;
        b->max = mx;
    } else {
        if (mn < b->min)
            b->min = mn;
        if (mx > b->max)
            b->max = mx;
    }
    b->mean += sum; /* sum until finished */
    b->count += n;
}

/* Aggregate [lo, hi) from raw readings or from roll-ups of res_ms. */
static int agg_range(struct store_conn *c, struct query_arg *a, int64_t lo, int64_t hi,
                     int64_t res_ms, struct err *e)
{
    if (lo < a->from)
        lo = a->from;
    if (hi > a->to)
        hi = a->to;
    if (lo >= hi)
        return 0;
    struct store_stmt *s;
    int rc;
    if (res_ms == 0) {
        /* raw: stored readings merged with those still in memory (memory
        ** wins for equal times), aggregated here */
        struct mt_row *r;
        size_t n;
        rc = merged(c, a, lo, hi, &r, &n, e);
        if (rc)
            return rc;
        for (size_t i = 0; i < n; i++)
            merge(&a->b[(r[i].ts - a->from) / a->step], r[i].v, r[i].v, r[i].v, 1);
        free(r);
        return 0;
    } else {
        rc = store_prepare(c,
                           "SELECT (ts_ms - ?) / ?, MIN(vmin), SUM(vsum), MAX(vmax), SUM(n) "
                           "FROM tm_rollups WHERE series_id = ? AND res_ms = ? AND ts_ms >= ? "
                           "AND ts_ms < ? GROUP BY 1",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, a->from);
        store_bind_i64(s, 2, a->step);
        store_bind_i64(s, 3, a->series_id);
        store_bind_i64(s, 4, res_ms);
        store_bind_i64(s, 5, lo);
        store_bind_i64(s, 6, hi);
    }
    while ((rc = store_step(s, e)) == STORE_ROW) {
        int64_t i = store_col_i64(s, 0);
        if (i < 0 || (size_t)i >= a->nb)
            continue;
        merge(&a->b[i], store_col_double(s, 1), store_col_double(s, 2), store_col_double(s, 3),
              store_col_i64(s, 4));
    }
    return rc < 0 ? rc : 0;
}

static int query_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct query_arg *a = arg;
    int rc = check_series(c, a->county_id, a->series_id, e);
    if (rc)
        return rc;
    if (a->step == 0) {
        struct mt_row *r;
        size_t n;
        rc = merged(c, a, a->from, a->to, &r, &n, e);
        if (rc)
            return rc;
        size_t i = 0;
        for (; i < n && a->n < a->max; i++)
            push_raw(a, r[i].ts, r[i].v);
        /* timestamps are unique per series: the first one left out is
        ** where the next page starts */
        a->next_from = i < n ? r[i].ts : -1;
        free(r);
        return 0;
    }
    int64_t raw_from = meta_get(c, "raw_deleted_before", 0, e);
    int64_t min_from = meta_get(c, "minute_deleted_before", 0, e);
    if (a->step >= HOUR_MS)
        rc = agg_range(c, a, INT64_MIN, min_from, HOUR_MS, e);
    else
        rc = agg_range(c, a, INT64_MIN, min_from, MIN_MS, e); /* usually nothing left */
    if (!rc)
        rc = agg_range(c, a, min_from, raw_from, MIN_MS, e);
    if (!rc)
        rc = agg_range(c, a, raw_from, INT64_MAX, 0, e);
    return rc;
}

/* Run query_fn over a (its range, step and max set), memory first. */
static int run_query(struct telemetry *t, struct query_arg *a, struct err *e)
{
    /* memory first, then the table: a reading flushed in between is seen
    ** twice and merged, never missed */
    struct mt_row *mem;
    a->nmem = tm__mt_collect(t, a->series_id, a->from, a->to, &mem);
    a->mem = mem;
    a->next_from = -1;
    int rc = store_read(t->st, query_fn, a, e);
    free(mem);
    a->mem = NULL;
    if (rc) {
        free(a->b);
        free(a->ts);
        free(a->v);
    }
    return rc;
}

/* Raw readings of a finished query_arg as one bucket each (frees a's arrays). */
static struct tm_bucket *raw_buckets(struct query_arg *a)
{
    struct tm_bucket *b = xcalloc(a->n ? a->n : 1, sizeof *b);
    for (size_t i = 0; i < a->n; i++)
        b[i] = (struct tm_bucket){a->ts[i], a->v[i], a->v[i], a->v[i], 1};
    free(a->ts);
    free(a->v);
    return b;
}

int tm_query(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
             int64_t to_ms, int64_t step_ms, struct tm_bucket **out, size_t *n, struct err *e)
{
    *out = NULL;
    *n = 0;
    if (step_ms == 0) {
        int64_t next;
        return tm_query_page(t, county_id, series_id, from_ms, to_ms, TM_QUERY_MAX_RAW, out, n,
                             &next, e);
    }
    if (to_ms <= from_ms)
        return err_set(e, ERR_INVAL, "'to' must be after 'from'");
    if (step_ms < 0)
        return err_set(e, ERR_INVAL, "step must be >= 0");
    struct query_arg a = {.county_id = county_id,
                          .series_id = series_id,
                          .from = from_ms,
                          .to = to_ms,
                          .step = step_ms,
                          .max = MAX_BUCKETS};
    int64_t nb = (to_ms - from_ms + step_ms - 1) / step_ms;
    if (nb > MAX_BUCKETS)
        return err_set(e, ERR_TOOBIG, "%lld buckets requested (limit %d): use a larger step",
                       (long long)nb, MAX_BUCKETS);
    a.nb = (size_t)nb;
    a.b = xcalloc(a.nb, sizeof *a.b);
    int rc = run_query(t, &a, e);
    if (rc)
        return rc;
    /* compact: keep non-empty buckets, finish means */
    size_t k = 0;
    for (size_t i = 0; i < a.nb; i++) {
        if (!a.b[i].count)
            continue;
        struct tm_bucket b = a.b[i];
        b.ts_ms = from_ms + (int64_t)i * step_ms;
        b.mean /= (double)b.count;
        a.b[k++] = b;
    }
    *out = a.b;
    *n = k;
    return 0;
}

int tm_query_page(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
                  int64_t to_ms, size_t max, struct tm_bucket **out, size_t *n, int64_t *next_from,
                  struct err *e)
{
    *out = NULL;
    *n = 0;
    *next_from = -1;
    if (to_ms <= from_ms)
        return err_set(e, ERR_INVAL, "'to' must be after 'from'");
    if (max == 0 || max > TM_QUERY_MAX_RAW)
        return err_set(e, ERR_INVAL, "limit must be 1 to %d readings", TM_QUERY_MAX_RAW);
    struct query_arg a = {.county_id = county_id,
                          .series_id = series_id,
                          .from = from_ms,
                          .to = to_ms,
                          .step = 0,
                          .max = max};
    int rc = run_query(t, &a, e);
    if (rc)
        return rc;
    *next_from = a.next_from;
    *out = raw_buckets(&a);
    *n = a.n;
    return 0;
}

int tm_query_raw(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
                 int64_t to_ms, size_t max, int64_t **ts_ms, double **values, size_t *n,
                 struct err *e)
{
    struct query_arg a = {.county_id = county_id,
                          .series_id = series_id,
                          .from = from_ms,
                          .to = to_ms,
                          .step = 0,
                          .max = max ? max : 1000000};
    int rc = run_query(t, &a, e);
    if (rc)
        return rc;
    *ts_ms = a.ts;
    *values = a.v;
    *n = a.n;
    return 0;
}

/* ------------------------------------------------------------ maintenance */

struct maint_arg {
    struct telemetry *t;
    int64_t now;
    int64_t deleted;
};

static int exec_range(struct store_conn *c, const char *sql, int64_t a1, int64_t a2,
                      int64_t *changed, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a1);
    store_bind_i64(s, 2, a2);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (changed)
        *changed += store_changes(c);
    return 0;
}

/* 1-minute aggregates of every series' stored readings in [lo, hi). */
static int roll_minutes(struct store_conn *c, int64_t lo, int64_t hi, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id FROM tm_series ORDER BY id", &s, e);
    if (rc)
        return rc;
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        xgrow((void **)&ids, &cap, n + 1, sizeof *ids);
        ids[n++] = store_col_i64(s, 0);
    }
    rc = rc < 0 ? rc : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        struct mt_row *r;
        size_t nr;
        rc = tm__chunks_read(c, ids[i], lo, hi, &r, &nr, e);
        size_t j = 0;
        while (!rc && j < nr) {
            int64_t minute = r[j].ts - ((r[j].ts % MIN_MS) + MIN_MS) % MIN_MS;
            double mn = r[j].v, mx = r[j].v, sum = 0;
            int64_t cnt = 0;
            while (j < nr && r[j].ts < minute + MIN_MS) {
                mn = r[j].v < mn ? r[j].v : mn;
                mx = r[j].v > mx ? r[j].v : mx;
                sum += r[j].v;
                cnt++;
                j++;
            }
            rc = store_prepare(c,
                               "INSERT INTO tm_rollups (series_id, res_ms, ts_ms, vmin, vmax, "
                               "vsum, n) VALUES (?, 60000, ?, ?, ?, ?, ?) "
                               "ON CONFLICT (series_id, res_ms, ts_ms) DO UPDATE SET "
                               "vmin = excluded.vmin, vmax = excluded.vmax, "
                               "vsum = excluded.vsum, n = excluded.n",
                               &s, e);
            if (rc)
                break;
            store_bind_i64(s, 1, ids[i]);
            store_bind_i64(s, 2, minute);
            store_bind_double(s, 3, mn);
            store_bind_double(s, 4, mx);
            store_bind_double(s, 5, sum);
            store_bind_i64(s, 6, cnt);
            rc = store_step(s, e);
            rc = rc < 0 ? rc : 0;
        }
        free(r);
    }
    free(ids);
    return rc;
}

static int maint_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct maint_arg *m = arg;
    const struct telemetry_config *cfg = &m->t->cfg;
    int64_t wm = meta_get(c, "rolled_to", 0, e);
    int64_t new_wm = (m->now / HOUR_MS) * HOUR_MS;
    int rc = 0;
    if (new_wm > wm) {
        rc = roll_minutes(c, wm, new_wm, e);
        if (!rc)
            rc =
                exec_range(c,
                           "INSERT INTO tm_rollups (series_id, res_ms, ts_ms, vmin, vmax, vsum, n) "
                           "SELECT r.series_id, 3600000, (r.ts_ms / 3600000) * 3600000, "
                           "MIN(r.vmin), MAX(r.vmax), SUM(r.vsum), SUM(r.n) FROM tm_series s "
                           "JOIN tm_rollups r ON r.series_id = s.id AND r.res_ms = 60000 "
                           "WHERE r.ts_ms >= ? AND r.ts_ms < ? "
                           "GROUP BY r.series_id, r.ts_ms / 3600000 "
                           "ON CONFLICT (series_id, res_ms, ts_ms) DO UPDATE SET "
                           "vmin = excluded.vmin, vmax = excluded.vmax, vsum = excluded.vsum, "
                           "n = excluded.n",
                           (wm / HOUR_MS) * HOUR_MS, new_wm, NULL, e);
        if (!rc)
            rc = meta_set(c, "rolled_to", new_wm, e);
        if (rc)
            return rc;
        wm = new_wm;
    }
    /* retention, never past the roll-up watermark */
    int64_t raw_cut = m->now - cfg->raw_retention_ms;
    if (raw_cut > wm)
        raw_cut = wm;
    raw_cut = tm__day(raw_cut); /* chunks never cross a day */
    int64_t min_cut = (m->now - cfg->minute_retention_ms) / HOUR_MS * HOUR_MS;
    if (min_cut > raw_cut)
        min_cut = (raw_cut / HOUR_MS) * HOUR_MS;
    int64_t hour_cut = m->now - cfg->hour_retention_ms;
    int64_t prev_raw = meta_get(c, "raw_deleted_before", 0, e);
    if (raw_cut > prev_raw) {
        struct store_stmt *s;
        rc = store_prepare(c,
                           "SELECT COALESCE(SUM(n), 0) FROM tm_chunks WHERE series_id IN "
                           "(SELECT id FROM tm_series) AND t0 >= ? AND t0 < ?",
                           &s, e);
        if (!rc) {
            store_bind_i64(s, 1, INT64_MIN);
            store_bind_i64(s, 2, raw_cut);
            rc = store_step(s, e);
            if (rc == STORE_ROW)
                m->deleted += store_col_i64(s, 0);
            rc = rc < 0 ? rc : 0;
        }
        if (!rc)
            rc = exec_range(c,
                            "DELETE FROM tm_chunks WHERE series_id IN (SELECT id FROM tm_series) "
                            "AND t0 >= ? AND t0 < ?",
                            INT64_MIN, raw_cut, NULL, e);
        if (!rc)
            rc = meta_set(c, "raw_deleted_before", raw_cut, e);
    }
    int64_t prev_min = meta_get(c, "minute_deleted_before", 0, e);
    if (!rc && min_cut > prev_min) {
        rc = exec_range(c,
                        "DELETE FROM tm_rollups WHERE series_id IN (SELECT id FROM tm_series) "
                        "AND res_ms = 60000 AND ts_ms >= ? AND ts_ms < ?",
                        INT64_MIN, min_cut, &m->deleted, e);
        if (!rc)
            rc = meta_set(c, "minute_deleted_before", min_cut, e);
    }
    if (!rc)
        rc = exec_range(c,
                        "DELETE FROM tm_rollups WHERE series_id IN (SELECT id FROM tm_series) "
                        "AND res_ms = 3600000 AND ts_ms >= ? AND ts_ms < ?",
                        INT64_MIN, hour_cut, &m->deleted, e);
    return rc;
}

int tm_maintain(struct telemetry *t, int64_t now_ms, int64_t *deleted, struct err *e)
{
    struct maint_arg m = {t, now_ms, 0};
    int frc = tm_flush(t, e);
    if (!frc)
        frc = tm__compact(t, NULL, e);
    if (frc)
        return frc;
    int rc = store_write(t->st, maint_fn, &m, e);
    if (deleted)
        *deleted = m.deleted;
    return rc;
}
