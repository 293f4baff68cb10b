/*
** memtable.c: the write-optimised path between ingest and tm_readings.
**
** Inserting each request's readings straight into a row-per-reading table (key
** series, time) dirties one B-tree leaf per series per request: with 10,000
** interleaved series a 5,000-reading batch rewrites ~5,000 pages, and the
** bench showed ~50k readings/s. So a request instead appends ONE row to
** tm_ingest_log (its readings packed in a blob) in its store_write: that is
** what makes it durable before the acknowledgement. After the commit its
** readings also go into the in-memory table (the "memtable"); queries read
** memtable + tm_chunks, so an acknowledged reading is visible at once.
** The memtable is a list of blocks, one per committed request, each sorted
** by series id: appending is O(1) under the lock (an earlier per-series
** table cost a random write and a realloc per reading), a query
** binary-searches each block.
**
** A flusher thread moves the memtable into tm_chunks (chunks.c): it
** freezes the active memtable (a new one takes the writes), gathers each
** series from all blocks (one cursor per block, in series order), encodes
** its readings (sorted by time, the last of equal times kept) as
** compressed chunks, and writes them in slices of FLUSH_SLICE chunks (so
** ingest requests commit in between), each slice recording the generation;
** the last slice also deletes exactly the log rows the frozen memtable came
** from. Then it drops the frozen memtable. A crash at any point loses
** nothing: until the last slice commits, the log rows are still there and
** are replayed into the memtable by telemetry_new. A crash between slices
** leaves some chunks written twice (the next flush has a higher generation):
** equal readings, resolved on read and merged by compaction. Ingest waits
** (backpressure) while the two memtables hold more than max_mem_rows.
*/
#include "telemetry/telemetry_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct memtable *tm__mt_new(void)
{
    return xcalloc(1, sizeof(struct memtable));
}

void tm__mt_free(struct memtable *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nblk; i++)
        free(m->blk[i].rows);
    free(m->blk);
    free(m->log_ids);
    free(m);
}

static int cmp_sid_seq(const void *a, const void *b)
{
    const struct mt_row *x = a, *y = b;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Caller holds t->mu. */
void tm__mt_add(struct telemetry *t, int64_t log_id, struct mt_row *rows, size_t n)
{
    struct memtable *m = t->active;
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        rows[i].seq = t->seq++;
        if (i && rows[i].sid < rows[i - 1].sid)
            sorted = false;
    }
    if (!sorted)
        qsort(rows, n, sizeof *rows, cmp_sid_seq); /* stable by seq */
    xgrow((void **)&m->blk, &m->capblk, m->nblk + 1, sizeof *m->blk);
    m->blk[m->nblk++] = (struct mt_block){rows, n};
    m->n += n;
    xgrow((void **)&m->log_ids, &m->caplog, m->nlog + 1, sizeof *m->log_ids);
    m->log_ids[m->nlog++] = log_id;
}

/* First row of b with sid >= sid. */
static size_t lower_bound(const struct mt_block *b, int64_t sid)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->rows[mid].sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t tm__mt_collect(struct telemetry *t, int64_t sid, int64_t from, int64_t to,
                      struct mt_row **out)
{
    struct mt_row *v = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&t->mu);
    struct memtable *ms[2] = {t->frozen, t->active};
    for (int k = 0; k < 2; k++) {
        for (size_t b = 0; ms[k] && b < ms[k]->nblk; b++) {
            const struct mt_block *blk = &ms[k]->blk[b];
            for (size_t i = lower_bound(blk, sid); i < blk->n && blk->rows[i].sid == sid; i++) {
                const struct mt_row *r = &blk->rows[i];
                if (r->ts >= from && r->ts < to) {
                    xgrow((void **)&v, &cap, n + 1, sizeof *v);
                    v[n++] = *r;
                }
            }
        }
    }
    pthread_mutex_unlock(&t->mu);
    n = tm__sorted_dedupe(v, n);
    *out = v;
    return n;
}

bool tm__mt_span(struct telemetry *t, int64_t sid, int64_t *first, int64_t *last)
{
    /* a copy, but only series without chunks (new since the last flush) ask */
    struct mt_row *v;
    size_t n = tm__mt_collect(t, sid, INT64_MIN / 2, INT64_MAX / 2, &v);
    if (n) {
        *first = v[0].ts;
        *last = v[n - 1].ts;
    }
    free(v);
    return n > 0;
}

/* ------------------------------------------------------------------ flush */

struct flush_arg {
    struct memtable *f;
    const struct tm_chunk *ch;
    size_t nch;
    int64_t gen;
    bool last; /* the slice that also deletes the log rows */
};

/* Chunks per transaction: the writer is shared with ingest, so a flush is
** cut into slices that requests can commit between. */
#define FLUSH_SLICE 1000

/* Min-heap of block indices by (series id at their cursor, block index):
** a series is gathered in block (commit) order, nearly time order, so the
** sort before encoding has little to do. */
static bool heap_less(const int64_t *head, size_t a, size_t b)
{
    return head[a] < head[b] || (head[a] == head[b] && a < b);
}

static void sift_down(size_t *hp, size_t n, const int64_t *head, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(head, hp[l], hp[m]))
            m = l;
        if (l + 1 < n && heap_less(head, hp[l + 1], hp[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t x = hp[i];
        hp[i] = hp[m];
        hp[m] = x;
        i = m;
    }
}

/* Encode the frozen memtable into chunks (on the flusher thread, so the
** writer only inserts them), in series order. The blocks are each sorted by
** series, so a k-way merge gathers every series. Two ways to find the next
** series: a scan of every block's cursor (cost: blocks per series; best when
** most series are in most blocks, the usual big-batch case: an L1 array of
** cursor heads) and a heap of cursors (cost: log(blocks) per run of a series
** in a block; best for many small blocks, e.g. MQTT). The scan is tried first
** and gives way to the heap once it has cost more than the heap would. */
static void encode_all(struct memtable *f, struct tm_chunk **out, size_t *nout)
{
    size_t nb = f->nblk, nh = 0;
    size_t *cur = xcalloc(nb ? nb : 1, sizeof *cur);
    int64_t *head = xmalloc((nb ? nb : 1) * sizeof *head); /* sid at each cursor */
    size_t *hp = xmalloc((nb ? nb : 1) * sizeof *hp);
    for (size_t b = 0; b < nb; b++)
        head[b] = f->blk[b].n ? f->blk[b].rows[0].sid : INT64_MAX;
    size_t lg = 1;
    while (((size_t)1 << lg) < nb)
        lg++;
    bool scan = true;
    uint64_t scan_cost = 0, runs = 0;
    struct mt_row *tmp = NULL;
    size_t tcap = 0, cap = 0;
    *out = NULL;
    *nout = 0;
    for (;;) {
        int64_t sid = INT64_MAX;
        if (scan) {
            for (size_t b = 0; b < nb; b++)
                sid = head[b] < sid ? head[b] : sid;
            scan_cost += nb;
        } else if (nh) {
            sid = head[hp[0]];
        }
        if (sid == INT64_MAX)
            break;
        size_t tn = 0;
        for (size_t k = 0; scan ? k < nb : (nh && head[hp[0]] == sid); k++) {
            size_t b = scan ? k : hp[0];
            if (head[b] != sid)
                continue;
            const struct mt_block *blk = &f->blk[b];
            size_t i = cur[b];
            /* hundreds of blocks are read in step: too many streams for the
            ** hardware prefetcher, so ask for each block's next lines */
            if (i + 8 < blk->n)
                __builtin_prefetch(&blk->rows[i + 8]);
            while (i < blk->n && blk->rows[i].sid == sid)
                i++;
            xgrow((void **)&tmp, &tcap, tn + (i - cur[b]), sizeof *tmp);
            memcpy(tmp + tn, blk->rows + cur[b], (i - cur[b]) * sizeof *tmp);
            tn += i - cur[b];
            cur[b] = i;
            runs++;
            head[b] = i < blk->n ? blk->rows[i].sid : INT64_MAX;
            if (!scan) {
                if (head[b] == INT64_MAX)
                    hp[0] = hp[--nh];
                sift_down(hp, nh, head, 0);
            }
        }
        tn = tm__sorted_dedupe(tmp, tn);
        tm__chunks_encode(sid, tmp, tn, out, nout, &cap);
        if (scan && scan_cost > 2 * lg * runs + 4 * (uint64_t)nb) {
            scan = false; /* sparse: the heap is cheaper from here on */
            for (size_t b = 0; b < nb; b++)
                if (head[b] != INT64_MAX)
                    hp[nh++] = b;
            for (size_t i = nh / 2; i-- > 0;)
                sift_down(hp, nh, head, i);
        }
    }
    free(tmp);
    free(hp);
    free(head);
    free(cur);
}

/* One transaction: every chunk, the log rows deleted, the generation
** recorded. So a crash leaves either all of it or none. */
static int flush_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct flush_arg *a = arg;
    int rc = 0;
    for (size_t i = 0; i < a->nch && !rc; i++)
        rc = tm__chunk_insert(c, &a->ch[i], a->gen, e);
    for (size_t i = 0; a->last && i < a->f->nlog && !rc; i++) {
        struct store_stmt *st;
        rc = store_prepare(c, "DELETE FROM tm_ingest_log WHERE id = ?", &st, e);
        if (rc)
            break;
        store_bind_i64(st, 1, a->f->log_ids[i]);
        rc = store_step(st, e);
        rc = rc < 0 ? rc : 0;
    }
    if (!rc) {
        struct store_stmt *st;
        rc = store_prepare(c,
                           "INSERT INTO tm_meta (county_id, k, v) VALUES (0, 'chunk_gen', ?) "
                           "ON CONFLICT (county_id, k) DO UPDATE SET v = excluded.v",
                           &st, e);
        if (!rc) {
            store_bind_i64(st, 1, a->gen);
            rc = store_step(st, e);
            rc = rc < 0 ? rc : 0;
        }
    }
    return rc;
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
        int64_t now = time_now_ms();
        int64_t gen = t->gen + 1 > now ? t->gen + 1 : now;
        struct tm_chunk *ch;
        size_t nch;
        encode_all(f, &ch, &nch);
        size_t off = 0;
        do {
            size_t k = nch - off < FLUSH_SLICE ? nch - off : FLUSH_SLICE;
            struct flush_arg a = {f, ch + off, k, gen, off + k >= nch};
            rc = store_write(t->st, flush_fn, &a, e);
            off += k;
        } while (!rc && off < nch);
        for (size_t i = 0; i < nch; i++)
            free(ch[i].data);
        free(ch);
        if (!rc) {
            t->gen = gen;
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

/* ------------------------------------------------------ log row encoding */

/* A log row's blob: byte LOG_V2, then per reading zigzag varints of the
** series id and time deltas (from the previous reading of the request) and
** the value: zigzag varint of (cents delta << 1) when round(v * 100) / 100
** gives v back exactly (two-decimal sensors), else 1 then the 8 raw bytes.
** About 4-5 bytes a reading instead of 24, written to the WAL, checkpointed
** and deleted again by the flush. The first form (24 bytes a reading: sid,
** ts, value) is recognised by its length (n * 24; a v2 blob of that length
** gets one padding byte). */
#define LOG_V2 0xB2

static unsigned char *put_uv(unsigned char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static uint64_t zzig(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int get_uv(const unsigned char **p, const unsigned char *end, uint64_t *v)
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

unsigned char *tm__log_encode(const struct mt_row *r, size_t n, size_t *len)
{
    unsigned char *buf = xmalloc(2 + n * 29), *p = buf;
    *p++ = LOG_V2;
    int64_t psid = 0, pts = 0, pc = 0;
    for (size_t i = 0; i < n; i++) {
        p = put_uv(p, zzig((int64_t)((uint64_t)r[i].sid - (uint64_t)psid)));
        p = put_uv(p, zzig((int64_t)((uint64_t)r[i].ts - (uint64_t)pts)));
        psid = r[i].sid;
        pts = r[i].ts;
        double v = r[i].v, c = nearbyint(v * 100.0);
        if (fabs(c) < 1e15 && c / 100.0 == v && !(v == 0 && signbit(v))) {
            int64_t ci = (int64_t)c;
            p = put_uv(p, zzig((int64_t)((uint64_t)ci - (uint64_t)pc)) << 1);
            pc = ci;
        } else {
            *p++ = 1;
            memcpy(p, &v, 8);
            p += 8;
        }
    }
    *len = (size_t)(p - buf);
    if (*len == n * 24)
        buf[(*len)++] = 0; /* never mistaken for the first form */
    return buf;
}

long tm__log_decode(const unsigned char *p, size_t len, size_t n, struct mt_row *out)
{
    if (len == n * 24) {
        for (size_t i = 0; i < n; i++) {
            memcpy(&out[i].sid, p + 24 * i, 8);
            memcpy(&out[i].ts, p + 24 * i + 8, 8);
            memcpy(&out[i].v, p + 24 * i + 16, 8);
            out[i].seq = 0;
        }
        return (long)n;
    }
    const unsigned char *end = p + len;
    if (len < 1 || *p++ != LOG_V2)
        return -1;
    int64_t psid = 0, pts = 0, pc = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a, b, c;
        if (get_uv(&p, end, &a) || get_uv(&p, end, &b) || get_uv(&p, end, &c))
            return -1;
        psid = (int64_t)((uint64_t)psid + (uint64_t)unzz(a));
        pts = (int64_t)((uint64_t)pts + (uint64_t)unzz(b));
        out[i] = (struct mt_row){psid, pts, 0, 0};
        if (c == 1) {
            if (end - p < 8)
                return -1;
            memcpy(&out[i].v, p, 8);
            p += 8;
        } else if (c & 1) {
            return -1;
        } else {
            pc = (int64_t)((uint64_t)pc + (uint64_t)unzz(c >> 1));
            out[i].v = (double)pc / 100.0;
        }
    }
    return (long)n;
}

static int replay_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct telemetry *t = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id, rows, n FROM tm_ingest_log ORDER BY id", &s, e);
    if (rc)
        return rc;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        size_t len;
        const unsigned char *p = store_col_blob(s, 1, &len);
        int64_t n = store_col_i64(s, 2);
        if (n < 0 || (size_t)n > len)
            return err_set(e, ERR_DB, "tm_ingest_log: bad row count");
        struct mt_row *rows = xmalloc((n ? (size_t)n : 1) * sizeof *rows);
        if (tm__log_decode(p, len, (size_t)n, rows) < 0) {
            free(rows);
            return err_set(e, ERR_DB, "tm_ingest_log row %lld is malformed",
                           (long long)store_col_i64(s, 0));
        }
        pthread_mutex_lock(&t->mu);
        tm__mt_add(t, store_col_i64(s, 0), rows, (size_t)n);
        pthread_mutex_unlock(&t->mu);
    }
    return rc < 0 ? rc : 0;
}

static int gen_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct telemetry *t = arg;
    struct store_stmt *s;
    int rc =
        store_prepare(c, "SELECT v FROM tm_meta WHERE county_id = 0 AND k = 'chunk_gen'", &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    if (rc == STORE_ROW)
        t->gen = store_col_i64(s, 0);
    return rc < 0 ? rc : 0;
}

int tm__replay_log(struct telemetry *t, struct err *e)
{
    int rc = store_read(t->st, gen_fn, t, e);
    return rc ? rc : store_read(t->st, replay_fn, t, e);
}
