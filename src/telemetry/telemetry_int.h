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
    uint64_t hash;   /* 0 = empty slot */
    int64_t county_id;
    int64_t id;
    char *key;
};

struct mosquitto;

struct telemetry {
    struct store *st;
    struct telemetry_config cfg;

    pthread_mutex_t mu;     /* guards the cache and the monitor set */
    struct sc_ent *sc;      /* open addressing, capacity a power of two */
    size_t sc_cap, sc_n;
    int64_t *mon;           /* sorted ids of monitored series */
    size_t nmon, capmon;

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
};

uint64_t tm__hash(int64_t county_id, const char *key, size_t len);
/* 0 and *id when cached. */
int tm__cache_get(struct telemetry *t, int64_t county_id, const char *key, size_t len,
                  uint64_t h, int64_t *id);
void tm__cache_put(struct telemetry *t, int64_t county_id, const char *key, size_t len,
                   uint64_t h, int64_t id);
bool tm__is_monitored(struct telemetry *t, int64_t series_id);
int tm__load_monitors(struct telemetry *t, struct err *e);

/* Feed n readings (ts ascending) of one monitored series to its detector
** inside the current write; raises/updates alerts and queues webhooks.
** *events += events raised. */
int tm__monitor_feed(struct store_conn *c, int64_t county_id, int64_t series_id,
                     const int64_t *ts, const double *v, size_t n, size_t *events,
                     struct err *e);

/* Start / stop the webhook delivery thread. */
int tm__webhooks_start(struct telemetry *t, struct err *e);
void tm__webhooks_stop(struct telemetry *t);
void tm__webhooks_kick(struct telemetry *t);

/* Canonical series key: "measurement,k=v,... field" into buf; returns its
** length or -1 when it would not fit. Tags must be sorted. */
int tm__series_key(char *buf, size_t cap, struct str measurement, const struct tm_lp_tag *tags,
                   size_t ntags, struct str field);

#endif
