/*
** cache.c: the GET response cache for routes flagged HTTP_CACHEABLE.
**
** A 200 answer of such a route is kept under a key made of the route, the
** caller (county, user or device, role), the path and the query arguments
** in the order sent. An entry is valid while (a) no write has committed
** through this process's store since the handler started (the store's
** committed-write counter, read before the handler ran, is stored with the
** entry and must still be current), and (b) it is younger than the TTL,
** which bounds how long a change made by ANOTHER process on the same
** database (the CLI) can stay invisible. So a client that got a write
** acknowledged never reads an answer older than its write.
**
** The table is split in 16 shards, each a chained hash with an LRU list and
** a byte budget, behind its own mutex. Lookups copy the body out under the
** lock (the caller hands the copy to libmicrohttpd).
*/
#include "http/http_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16
#define BUCKETS 256 /* per shard */

struct centry {
    char *key;
    uint64_t hash;
    uint64_t gen;
    int64_t born_ms;
    char *body;
    size_t body_len;
    const char *content_type;   /* static strings only (JSON types) */
    struct centry *hnext;       /* bucket chain */
    struct centry *prev, *next; /* LRU: head = newest */
};

struct shard {
    pthread_mutex_t mu;
    struct centry *buckets[BUCKETS];
    struct centry *head, *tail;
    size_t bytes;
};

struct http__cache {
    struct shard shards[SHARDS];
    size_t max_bytes_per_shard;
    size_t max_entry;
    int64_t ttl_ms;
    atomic_uint_fast64_t hits, misses;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void http__cache_new(struct http__cache **out, size_t max_bytes, int64_t ttl_ms)
{
    struct http__cache *c = xcalloc(1, sizeof *c);
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&c->shards[i].mu, NULL);
    c->max_bytes_per_shard = max_bytes / SHARDS;
    c->max_entry = c->max_bytes_per_shard / 4;
    c->ttl_ms = ttl_ms;
    *out = c;
}

static void entry_free(struct centry *e)
{
    free(e->key);
    free(e->body);
    free(e);
}

static size_t entry_bytes(const struct centry *e)
{
    return sizeof *e + strlen(e->key) + e->body_len;
}

static void unlink_entry(struct shard *sh, struct centry *e)
{
    struct centry **pp = &sh->buckets[e->hash % BUCKETS];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        sh->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        sh->tail = e->prev;
    sh->bytes -= entry_bytes(e);
}

void http__cache_free(struct http__cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SHARDS; i++) {
        struct centry *e = c->shards[i].head;
        while (e) {
            struct centry *n = e->next;
            entry_free(e);
            e = n;
        }
        pthread_mutex_destroy(&c->shards[i].mu);
    }
    free(c);
}

static struct centry *find(struct shard *sh, const char *key, uint64_t h)
{
    for (struct centry *e = sh->buckets[h % BUCKETS]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

bool http__cache_get(struct http__cache *c, const char *key, uint64_t gen, int64_t now_ms,
                     char **body, size_t *body_len, const char **content_type)
{
    uint64_t h = fnv1a(key, strlen(key));
    struct shard *sh = &c->shards[(h >> 56) % SHARDS];
    bool hit = false;
    pthread_mutex_lock(&sh->mu);
    struct centry *e = find(sh, key, h);
    if (e && e->gen == gen && now_ms - e->born_ms < c->ttl_ms) {
        *body = xmalloc(e->body_len ? e->body_len : 1);
        memcpy(*body, e->body, e->body_len);
        *body_len = e->body_len;
        *content_type = e->content_type;
        hit = true;
        if (sh->head != e) { /* move to the front */
            e->prev->next = e->next;
            if (e->next)
                e->next->prev = e->prev;
            else
                sh->tail = e->prev;
            e->prev = NULL;
            e->next = sh->head;
            sh->head->prev = e;
            sh->head = e;
        }
    } else if (e) {
        unlink_entry(sh, e); /* stale: drop it now */
        entry_free(e);
    }
    pthread_mutex_unlock(&sh->mu);
    atomic_fetch_add_explicit(hit ? &c->hits : &c->misses, 1, memory_order_relaxed);
    return hit;
}

void http__cache_put(struct http__cache *c, const char *key, uint64_t gen, int64_t now_ms,
                     const char *body, size_t body_len, const char *content_type)
{
    if (body_len > c->max_entry)
        return;
    struct centry *n = xcalloc(1, sizeof *n);
    n->key = xstrdup(key);
    n->hash = fnv1a(key, strlen(key));
    n->gen = gen;
    n->born_ms = now_ms;
    n->body = xmalloc(body_len ? body_len : 1);
    memcpy(n->body, body, body_len);
    n->body_len = body_len;
    n->content_type = content_type;
    struct shard *sh = &c->shards[(n->hash >> 56) % SHARDS];
    pthread_mutex_lock(&sh->mu);
    struct centry *old = find(sh, key, n->hash);
    if (old) {
        unlink_entry(sh, old);
        entry_free(old);
    }
    n->hnext = sh->buckets[n->hash % BUCKETS];
    sh->buckets[n->hash % BUCKETS] = n;
    n->next = sh->head;
    if (sh->head)
        sh->head->prev = n;
    sh->head = n;
    if (!sh->tail)
        sh->tail = n;
    sh->bytes += entry_bytes(n);
    while (sh->bytes > c->max_bytes_per_shard && sh->tail && sh->tail != n) {
        struct centry *t = sh->tail;
        unlink_entry(sh, t);
        entry_free(t);
    }
    pthread_mutex_unlock(&sh->mu);
}

void http__cache_stats(struct http__cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = c ? atomic_load(&c->hits) : 0;
    *misses = c ? atomic_load(&c->misses) : 0;
}
