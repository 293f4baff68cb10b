/*
** chunks.c: how readings are stored for good: compressed chunks per series.
**
** A chunk holds readings of one series within one UTC day, in time order:
**   tm_chunks(series_id, t0, gen, t1, n, enc, data) PRIMARY KEY (series_id,
**   t0, gen) WITHOUT ROWID
** t0/t1 are the first and last reading times, gen the flush generation
** (increasing: for equal times in overlapping chunks, the higher gen wins).
** data: each timestamp as a zigzag varint of its delta from the previous one
** (the first from t0), then the values: enc 1 stores round(v * 100) as
** zigzag varint deltas when every value survives that round trip exactly
** (sensor readings with two decimals: 1-2 bytes), enc 0 the raw 8-byte
** doubles (little-endian). Typical cost: 3-4 bytes a reading instead of
** ~25 for a row per reading, and a flush writes one row per series rather
** than one per reading (memtable.c), which is what keeps ingest fast as the
** table grows.
**
** A query for [from, to) reads the chunks with t0 in [day(from), to): a
** chunk never crosses a day boundary, so none is missed. Compaction
** (tm_maintain) merges the many small chunks of a series-day into one.
*/
#include "telemetry/telemetry_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static void put_varint(struct strbuf *sb, uint64_t v)
{
    unsigned char b[10];
    int n = 0;
    while (v >= 0x80) {
        b[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (unsigned char)v;
    strbuf_add(sb, b, (size_t)n);
}

static int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int64_t tm__day(int64_t ts)
{
    int64_t d = ts / DAY_MS;
    if (ts < 0 && ts % DAY_MS)
        d--;
    return d * DAY_MS;
}

/* rows sorted by time, no duplicates, all within one day. */
static int encode(const struct mt_row *r, size_t n, struct strbuf *sb)
{
    strbuf_reset(sb);
    int64_t prev = r[0].ts;
    for (size_t i = 0; i < n; i++) {
        put_varint(sb, zz(r[i].ts - prev));
        prev = r[i].ts;
    }
    bool scaled = true;
    for (size_t i = 0; i < n && scaled; i++) {
        double x = r[i].v * 100.0;
        if (!(fabs(x) < 9e15) || (double)llround(x) / 100.0 != r[i].v)
            scaled = false;
    }
    if (scaled) {
        int64_t pv = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t x = llround(r[i].v * 100.0);
            put_varint(sb, zz(x - pv));
            pv = x;
        }
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        strbuf_add(sb, &r[i].v, 8);
    return 0;
}

int tm__chunk_decode(int64_t t0, int64_t gen, int enc, const void *data, size_t len, size_t n,
                     struct mt_row *out)
{
    const unsigned char *p = data, *end = p + len;
    int64_t ts = t0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d;
        if (get_varint(&p, end, &d))
            return ERR_INTERNAL;
        ts += unzz(d);
        out[i].ts = ts;
        out[i].seq = (uint64_t)gen;
    }
    if (enc == 1) {
        int64_t x = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t d;
            if (get_varint(&p, end, &d))
                return ERR_INTERNAL;
            x += unzz(d);
            out[i].v = (double)x / 100.0;
        }
    } else {
        if ((size_t)(end - p) < 8 * n)
            return ERR_INTERNAL;
        for (size_t i = 0; i < n; i++)
            memcpy(&out[i].v, p + 8 * i, 8);
    }
    return 0;
}

void tm__chunks_encode(int64_t sid, const struct mt_row *r, size_t n, struct tm_chunk **out,
                       size_t *nout, size_t *cap)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 0);
    size_t i = 0;
    while (i < n) {
        int64_t day = tm__day(r[i].ts);
        size_t j = i;
        while (j < n && r[j].ts < day + DAY_MS && j - i < 65536)
            j++;
        int enc = encode(r + i, j - i, &sb);
        xgrow((void **)out, cap, *nout + 1, sizeof **out);
        struct tm_chunk *ch = &(*out)[(*nout)++];
        ch->sid = sid;
        ch->t0 = r[i].ts;
        ch->t1 = r[j - 1].ts;
        ch->n = (int64_t)(j - i);
        ch->enc = enc;
        ch->len = sb.len;
        ch->data = strbuf_detach(&sb, NULL);
        i = j;
    }
    strbuf_release(&sb);
}

int tm__chunk_insert(struct store_conn *c, const struct tm_chunk *ch, int64_t gen, struct err *e)
{
    struct store_stmt *st;
    int rc = store_prepare(c,
                           "INSERT INTO tm_chunks (series_id, t0, gen, t1, n, enc, data) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st, e);
    if (rc)
        return rc;
    store_bind_i64(st, 1, ch->sid);
    store_bind_i64(st, 2, ch->t0);
    store_bind_i64(st, 3, gen);
    store_bind_i64(st, 4, ch->t1);
    store_bind_i64(st, 5, ch->n);
    store_bind_i64(st, 6, ch->enc);
    store_bind_blob(st, 7, ch->data ? ch->data : "", ch->len);
    rc = store_step(st, e);
    return rc < 0 ? rc : 0;
}

/* Insert the chunks of one series (rows sorted by time, deduplicated). */
int tm__chunks_write(struct store_conn *c, int64_t sid, const struct mt_row *r, size_t n,
                     int64_t gen, struct strbuf *sb, struct err *e)
{
    size_t i = 0;
    while (i < n) {
        int64_t day = tm__day(r[i].ts);
        size_t j = i;
        while (j < n && r[j].ts < day + DAY_MS && j - i < 65536)
            j++;
        int enc = encode(r + i, j - i, sb);
        struct store_stmt *st;
        int rc = store_prepare(c,
                               "INSERT INTO tm_chunks (series_id, t0, gen, t1, n, enc, data) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               &st, e);
        if (rc)
            return rc;
        store_bind_i64(st, 1, sid);
        store_bind_i64(st, 2, r[i].ts);
        store_bind_i64(st, 3, gen);
        store_bind_i64(st, 4, r[j - 1].ts);
        store_bind_i64(st, 5, (int64_t)(j - i));
        store_bind_i64(st, 6, enc);
        store_bind_blob(st, 7, sb->buf ? sb->buf : "", sb->len);
        rc = store_step(st, e);
        if (rc < 0)
            return rc;
        i = j;
    }
    return 0;
}

static int cmp_ts_gen(const void *a, const void *b)
{
    const struct mt_row *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t tm__sorted_dedupe(struct mt_row *r, size_t n)
{
    if (n < 2)
        return n;
    /* Usually in order, or nearly (concurrent requests commit a little out
    ** of order): insertion sort, handing over to qsort past a move budget. */
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        if (cmp_ts_gen(&r[i - 1], &r[i]) <= 0)
            continue;
        struct mt_row x = r[i];
        size_t j = i;
        while (j > 0 && cmp_ts_gen(&r[j - 1], &x) > 0 && moves <= 8 * n) {
            r[j] = r[j - 1];
            j--;
            moves++;
        }
        r[j] = x;
        if (moves > 8 * n) {
            qsort(r, n, sizeof *r, cmp_ts_gen);
            break;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && r[k - 1].ts == r[i].ts)
            r[k - 1] = r[i];
        else
            r[k++] = r[i];
    }
    return k;
}

int tm__chunks_read(struct store_conn *c, int64_t sid, int64_t from, int64_t to,
                    struct mt_row **out, size_t *nout, struct err *e)
{
    *out = NULL;
    *nout = 0;
    if (to <= from)
        return 0;
    struct store_stmt *st;
    int rc = store_prepare(c,
                           "SELECT t0, gen, n, enc, data FROM tm_chunks WHERE series_id = ? "
                           "AND t0 >= ? AND t0 < ? AND t1 >= ?",
                           &st, e);
    if (rc)
        return rc;
    store_bind_i64(st, 1, sid);
    store_bind_i64(st, 2, tm__day(from));
    store_bind_i64(st, 3, to);
    store_bind_i64(st, 4, from);
    struct mt_row *v = NULL;
    size_t n = 0, cap = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        size_t cn = (size_t)store_col_i64(st, 2), len;
        const void *data = store_col_blob(st, 4, &len);
        xgrow((void **)&v, &cap, n + cn, sizeof *v);
        if (tm__chunk_decode(store_col_i64(st, 0), store_col_i64(st, 1), (int)store_col_i64(st, 3),
                             data, len, cn, v + n)) {
            free(v);
            return err_set(e, ERR_INTERNAL, "corrupt chunk of series %lld", (long long)sid);
        }
        /* keep the range only */
        size_t k = n;
        for (size_t i = n; i < n + cn; i++) {
            if (v[i].ts >= from && v[i].ts < to) {
                v[i].sid = sid;
                v[k++] = v[i];
            }
        }
        n = k;
    }
    if (rc < 0) {
        free(v);
        return rc;
    }
    *nout = tm__sorted_dedupe(v, n);
    *out = v;
    return 0;
}

/* ------------------------------------------------------------ compaction */

struct compact_arg {
    int64_t merged;
};

/* Merge series-days that have more than 4 chunks into one chunk (the
** highest gen of the group, duplicates resolved). */
static int compact_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct compact_arg *a = arg;
    struct store_stmt *st;
    int rc = store_prepare(c,
                           "SELECT series_id, t0 / 86400000, COUNT(*), MAX(gen) FROM tm_chunks "
                           "GROUP BY series_id, t0 / 86400000 HAVING COUNT(*) > 4 LIMIT 2000",
                           &st, e);
    if (rc)
        return rc;
    struct grp {
        int64_t sid, day, gen;
    } *g = NULL;
    size_t ng = 0, cap = 0;
    while ((rc = store_step(st, e)) == STORE_ROW) {
        xgrow((void **)&g, &cap, ng + 1, sizeof *g);
        g[ng++] =
            (struct grp){store_col_i64(st, 0), store_col_i64(st, 1) * DAY_MS, store_col_i64(st, 3)};
    }
    if (rc < 0) {
        free(g);
        return rc;
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_init(&sb, 0);
    for (size_t i = 0; i < ng && !rc; i++) {
        struct mt_row *r;
        size_t n;
        rc = tm__chunks_read(c, g[i].sid, g[i].day, g[i].day + DAY_MS, &r, &n, e);
        if (rc)
            break;
        rc = store_prepare(c, "DELETE FROM tm_chunks WHERE series_id = ? AND t0 >= ? AND t0 < ?",
                           &st, e);
        if (!rc) {
            store_bind_i64(st, 1, g[i].sid);
            store_bind_i64(st, 2, g[i].day);
            store_bind_i64(st, 3, g[i].day + DAY_MS);
            rc = store_step(st, e);
            rc = rc < 0 ? rc : 0;
        }
        if (!rc && n)
            rc = tm__chunks_write(c, g[i].sid, r, n, g[i].gen, &sb, e);
        free(r);
        a->merged++;
    }
    strbuf_release(&sb);
    free(g);
    return rc;
}

int tm__compact(struct telemetry *t, int64_t *merged, struct err *e)
{
    struct compact_arg a = {0};
    int rc = store_write(t->st, compact_fn, &a, e);
    if (merged)
        *merged = a.merged;
    return rc;
}
