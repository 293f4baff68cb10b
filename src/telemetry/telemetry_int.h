/*
** telemetry_int.h: private to src/telemetry. The module handle and the
** helpers its files share (series cache, monitor set, alert outbox).
*/
#ifndef RL_TELEMETRY_INT_H
#define RL_TELEMETRY_INT_H

#include "telemetry/telemetry.h"

#include <pthread.h>
#include <stdatomic.h>

struct sc_ent {
    uint64_t hash; /* 0 = empty slot */
    int64_t county_id;
    int64_t id;
    size_t klen;
    char *key;
};

struct mosquitto;

/* MQTT: what auth said of a device lately (mqtt.c); direct-mapped by id. */
#define TM__DEV_CACHE 256
struct tm__dev_seen {
    int64_t device_id; /* 0 = empty */
    int64_t county_id;
    int64_t checked_ms;
    bool ok; /* exists in county_id and is enabled */
};

/* A reading in memory: arrival order seq breaks ties (the last one wins). */
struct mt_row {
    int64_t sid, ts;
    double v;
    uint64_t seq;
};
/* One committed request's readings, sorted by series id (and time within a
** series): appending a request is O(1), not one random write per series. */
struct mt_block {
    struct mt_row *rows;
    size_t n;
};
struct memtable {
    struct mt_block *blk;
    size_t nblk, capblk;
    size_t n;         /* readings in all blocks */
    int64_t *log_ids; /* tm_ingest_log rows whose readings are here */
    size_t nlog, caplog;
};

struct telemetry {
    struct store *st;
    struct telemetry_config cfg;

    pthread_mutex_t mu;       /* guards the monitor set and the memtables */
    pthread_rwlock_t sc_lock; /* guards the series cache (readers: every request) */
    struct sc_ent *sc;        /* open addressing, capacity a power of two */
    size_t sc_cap, sc_n;
    int64_t *mon; /* sorted ids of monitored series */
    size_t nmon, capmon;

    /* memtable (memtable.c); guarded by mu */
    struct memtable *active, *frozen;
    uint64_t seq;
    pthread_cond_t flushed;   /* a frozen memtable was written out */
    pthread_mutex_t flush_mu; /* one flush at a time */
    pthread_t fl_thread;
    bool fl_started, fl_stop;
    pthread_cond_t fl_cond;
    int64_t last_flush_ms;
    int64_t gen; /* last chunk generation written */

    /* webhook worker */
    pthread_t wh_thread;
    bool wh_started;
    pthread_mutex_t wh_mu;
    pthread_cond_t wh_cond;
    bool wh_stop;

    /* MQTT */
    struct mosquitto *mq;
    bool mq_loop;
    atomic_uint_fast64_t mq_received;
    atomic_uint_fast64_t mq_failed;
    pthread_mutex_t dev_mu; /* guards dev */
    struct tm__dev_seen dev[TM__DEV_CACHE];
};

uint64_t tm__hash(int64_t county_id, const char *key, size_t len);
/* 0 and *id when cached. Caller holds sc_lock (get: read, put: write). */
int tm__cache_get(struct telemetry *t, int64_t county_id, const char *key, size_t len, uint64_t h,
                  int64_t *id);
void tm__cache_put(struct telemetry *t, int64_t county_id, const char *key, size_t len, uint64_t h,
                   int64_t id);
bool tm__is_monitored(struct telemetry *t, int64_t series_id);
int tm__load_monitors(struct telemetry *t, struct err *e);

/* Feed n readings (ts ascending) of one monitored series to its detector
** inside the current write; raises/updates alerts and queues webhooks.
** *events += events raised. */
int tm__monitor_feed(struct store_conn *c, struct telemetry *t, int64_t county_id,
                     int64_t series_id, const int64_t *ts, const double *v, size_t n,
                     size_t *events, struct err *e);

/* Start / stop the webhook delivery thread. */
int tm__webhooks_start(struct telemetry *t, struct err *e);
void tm__webhooks_stop(struct telemetry *t);
void tm__webhooks_kick(struct telemetry *t);

/* memtable.c */
struct memtable *tm__mt_new(void);
void tm__mt_free(struct memtable *m);
/* Append one committed log row's readings (caller holds t->mu); takes
** rows (malloc'd), sorting them by series id when they are not. */
void tm__mt_add(struct telemetry *t, int64_t log_id, struct mt_row *rows, size_t n);
/* Readings of sid in [from, to) still in memory, sorted by time, last of
** equal times kept. Caller frees *out. */
size_t tm__mt_collect(struct telemetry *t, int64_t sid, int64_t from, int64_t to,
                      struct mt_row **out);
/* Earliest and latest time of sid's readings still in memory; false (and
** *first, *last untouched) when it has none there. */
bool tm__mt_span(struct telemetry *t, int64_t sid, int64_t *first, int64_t *last);
int tm__flusher_start(struct telemetry *t, struct err *e);
void tm__flusher_stop(struct telemetry *t);
int tm__replay_log(struct telemetry *t, struct err *e);

/* chunks.c */
int64_t tm__day(int64_t ts); /* start of the UTC day of ts */
int tm__chunk_decode(int64_t t0, int64_t gen, int enc, const void *data, size_t len, size_t n,
                     struct mt_row *out);
/* An encoded chunk, ready to insert (data malloc'd). */
struct tm_chunk {
    int64_t sid, t0, t1, n;
    int enc;
    char *data;
    size_t len;
};
/* Encode rows of one series (sorted, deduplicated) into chunks appended to
** *out (growable array of *cap). */
void tm__chunks_encode(int64_t sid, const struct mt_row *r, size_t n, struct tm_chunk **out,
                       size_t *nout, size_t *cap);
int tm__chunk_insert(struct store_conn *c, const struct tm_chunk *ch, int64_t gen, struct err *e);
/* Store rows of one series (sorted by time, deduplicated) as chunks. */
int tm__chunks_write(struct store_conn *c, int64_t sid, const struct mt_row *r, size_t n,
                     int64_t gen, struct strbuf *sb, struct err *e);
/* Stored readings of sid in [from, to), sorted, last generation wins for
** equal times; seq holds the generation. Caller frees *out. */
int tm__chunks_read(struct store_conn *c, int64_t sid, int64_t from, int64_t to,
                    struct mt_row **out, size_t *nout, struct err *e);
/* Sort by (ts, seq) and keep the last of equal ts; returns the new count. */
size_t tm__sorted_dedupe(struct mt_row *r, size_t n);
int tm__compact(struct telemetry *t, int64_t *merged, struct err *e);

/* lineproto.c: the parser's loop with a callback per good line, so ingest
** reads points straight from the body (no point array). pt, its tags and
** fields are valid during the call only (names point into the body, or the
** arena when unescaped). plain: no escapes, tags written in sorted order, no
** '=' in tag values, so the series key is the text itself. TM__LP_REJECT
** from fn rejects that line only; another non-zero return stops the parse
** and is returned. fn NULL: store the points
** in out (tm_lp_parse). */
struct tm__lp_line {
    const char *s;
    size_t len;
    int lineno;
    bool plain;
    char *err; /* 160 bytes: fn's message when it returns TM__LP_REJECT */
};
/* fn's answer for a line that parses but cannot be stored (a series key too
** long): the line is counted and described as bad, the parse goes on. */
#define TM__LP_REJECT 1
typedef int (*tm__lp_fn)(void *ctx, const struct tm_lp_point *pt, const struct tm__lp_line *ln);
int tm__lp_each(const char *body, size_t len, enum tm_precision prec, int64_t now_ms,
                struct arena *a, struct tm_lp_batch *out, tm__lp_fn fn, void *ctx);
/* A float field value of line protocol (decimal digits, '.', exponent,
** sign; no hex, inf or nan) as the parser reads it; ERR_INVAL otherwise. */
int tm__lp_number(const char *s, size_t n, double *out);
/* Parse one good line again (names of a new series); ERR_INVAL if bad. */
int tm__lp_reparse(const char *s, size_t n, enum tm_precision prec, struct arena *a,
                   struct tm_lp_point *pt, struct tm_lp_tag *tags, struct tm_lp_field *fields);

/* memtable.c: tm_ingest_log row encoding. Rows in log order; the blob is
** malloc'd. Decode accepts this form and the older 24-bytes-a-row one;
** returns the row count or -1 when the blob is malformed. */
unsigned char *tm__log_encode(const struct mt_row *r, size_t n, size_t *len);
long tm__log_decode(const unsigned char *p, size_t len, size_t n, struct mt_row *out);

/* Canonical series key: "measurement,k=v,... field" into buf; returns its
** length or -1 when it would not fit. Tags must be sorted. */
int tm__series_key(char *buf, size_t cap, struct str measurement, const struct tm_lp_tag *tags,
                   size_t ntags, struct str field);

#endif
