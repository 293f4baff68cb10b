/*
** metrics.c: request counters and latency histograms per route, rendered
** with the store's writer statistics as Prometheus text (format 0.0.4).
**
** One slot per route (plus "unmatched" and "static"), allocated at start and
** updated with relaxed atomics from every worker thread: no locks on the
** request path. Each slot counts by status in a small open-addressed table
** (a route answers only a handful of distinct statuses); catch-all slots
** also key by request method. Latency buckets are in seconds, cumulative on
** output as Prometheus expects.
*/
#include "http/http_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const double lat_bounds_s[HTTP__LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

static const char *const methods[] = {"GET",   "HEAD",   "POST",    "PUT",
                                      "PATCH", "DELETE", "OPTIONS", "OTHER"};
#define NMETHODS (sizeof methods / sizeof methods[0])

static int method_ix(const char *m)
{
    for (size_t i = 0; i + 1 < NMETHODS; i++)
        if (strcmp(methods[i], m) == 0)
            return (int)i;
    return (int)NMETHODS - 1;
}

void http__metrics_init(struct http__metrics *m, const struct http_route *routes, size_t n,
                        int64_t started_ms)
{
    m->n = n + 2;
    m->r = xcalloc(m->n, sizeof *m->r);
    for (size_t i = 0; i < n; i++) {
        m->r[i].route = routes[i].pattern;
        m->r[i].method = routes[i].method;
    }
    m->r[n].route = "unmatched";
    m->r[n + 1].route = "static";
    m->started_ms = started_ms;
}

void http__metrics_release(struct http__metrics *m)
{
    free(m->r);
    m->r = NULL;
    m->n = 0;
}

void http__metrics_observe(struct http__metrics *m, size_t slot, const char *method, int status,
                           int64_t dur_ns)
{
    if (slot >= m->n)
        return;
    struct http__route_metrics *rm = &m->r[slot];
    int mix = rm->method ? 0 : method_ix(method);
    int key = status * 16 + mix + 1; /* never 0 */
    size_t h = (size_t)key % HTTP__STATUS_SLOTS;
    for (size_t probe = 0; probe < HTTP__STATUS_SLOTS; probe++) {
        size_t i = (h + probe) % HTTP__STATUS_SLOTS;
        int cur = atomic_load_explicit(&rm->by_status[i].status, memory_order_acquire);
        if (cur == 0) {
            int zero = 0;
            if (atomic_compare_exchange_strong(&rm->by_status[i].status, &zero, key))
                cur = key;
            else
                cur = zero;
        }
        if (cur == key) {
            atomic_fetch_add_explicit(&rm->by_status[i].count, 1, memory_order_relaxed);
            break;
        }
    }
    double s = (double)dur_ns / 1e9;
    size_t b = 0;
    while (b < HTTP__LAT_BUCKETS && s > lat_bounds_s[b])
        b++;
    atomic_fetch_add_explicit(&rm->lat_bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&rm->lat_sum_us, (uint_fast64_t)(dur_ns / 1000),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&rm->lat_count, 1, memory_order_relaxed);
}

/* Prometheus label values escape backslash, quote and newline. */
static void add_label(struct strbuf *sb, const char *v)
{
    for (const char *p = v; *p; p++) {
        if (*p == '\\' || *p == '"')
            strbuf_addch(sb, '\\');
        if (*p == '\n') {
            strbuf_addstr(sb, "\\n");
            continue;
        }
        strbuf_addch(sb, *p);
    }
}

void http__metrics_render(struct http__metrics *m, struct store *st, struct strbuf *sb)
{
    strbuf_addstr(sb, "# HELP http_requests_total HTTP requests answered, by route pattern, "
                      "method and status.\n# TYPE http_requests_total counter\n");
    for (size_t i = 0; i < m->n; i++) {
        struct http__route_metrics *rm = &m->r[i];
        for (size_t k = 0; k < HTTP__STATUS_SLOTS; k++) {
            int key = atomic_load(&rm->by_status[k].status);
            if (!key)
                continue;
            uint64_t c = atomic_load(&rm->by_status[k].count);
            int status = (key - 1) / 16;
            const char *method = rm->method ? rm->method : methods[(key - 1) % 16];
            strbuf_addstr(sb, "http_requests_total{route=\"");
            add_label(sb, rm->route);
            strbuf_addf(sb, "\",method=\"%s\",status=\"%d\"} %" PRIu64 "\n", method, status, c);
        }
    }
    strbuf_addstr(sb, "# HELP http_request_duration_seconds Time from the first byte of a "
                      "request to its answer being queued, by route pattern.\n"
                      "# TYPE http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < m->n; i++) {
        struct http__route_metrics *rm = &m->r[i];
        uint64_t count = atomic_load(&rm->lat_count);
        if (!count)
            continue;
        uint64_t cum = 0;
        for (size_t b = 0; b <= HTTP__LAT_BUCKETS; b++) {
            cum += atomic_load(&rm->lat_bucket[b]);
            strbuf_addstr(sb, "http_request_duration_seconds_bucket{route=\"");
            add_label(sb, rm->route);
            if (rm->method)
                strbuf_addf(sb, "\",method=\"%s", rm->method);
            if (b < HTTP__LAT_BUCKETS)
                strbuf_addf(sb, "\",le=\"%g\"} %" PRIu64 "\n", lat_bounds_s[b], cum);
            else
                strbuf_addf(sb, "\",le=\"+Inf\"} %" PRIu64 "\n", cum);
        }
        const char *labels_end = "\"} ";
        strbuf_addstr(sb, "http_request_duration_seconds_sum{route=\"");
        add_label(sb, rm->route);
        if (rm->method)
            strbuf_addf(sb, "\",method=\"%s", rm->method);
        strbuf_addf(sb, "%s%.6f\n", labels_end, (double)atomic_load(&rm->lat_sum_us) / 1e6);
        strbuf_addstr(sb, "http_request_duration_seconds_count{route=\"");
        add_label(sb, rm->route);
        if (rm->method)
            strbuf_addf(sb, "\",method=\"%s", rm->method);
        strbuf_addf(sb, "%s%" PRIu64 "\n", labels_end, count);
    }
    strbuf_addf(sb,
                "# HELP http_requests_in_flight Requests being processed now.\n"
                "# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight %" PRIu64 "\n",
                (uint64_t)atomic_load(&m->in_flight));
    strbuf_addf(sb,
                "# HELP http_response_bytes_total Response body bytes queued.\n"
                "# TYPE http_response_bytes_total counter\nhttp_response_bytes_total %" PRIu64 "\n",
                (uint64_t)atomic_load(&m->bytes_out));

    if (st) {
        struct store_stats ss;
        memset(&ss, 0, sizeof ss);
        store_get_stats(st, &ss);
        strbuf_addf(sb,
                    "# HELP store_writer_queue_depth Writes waiting for the writer thread.\n"
                    "# TYPE store_writer_queue_depth gauge\nstore_writer_queue_depth %" PRIu64 "\n"
                    "# HELP store_writes_total Writes committed.\n"
                    "# TYPE store_writes_total counter\nstore_writes_total %" PRIu64 "\n"
                    "# HELP store_writes_failed_total Writes rolled back by their own error.\n"
                    "# TYPE store_writes_failed_total counter\nstore_writes_failed_total %" PRIu64
                    "\n"
                    "# HELP store_batches_total Group-commit transactions committed.\n"
                    "# TYPE store_batches_total counter\nstore_batches_total %" PRIu64 "\n"
                    "# HELP store_reads_total Read functions run on the read pool.\n"
                    "# TYPE store_reads_total counter\nstore_reads_total %" PRIu64 "\n",
                    ss.queue_depth, ss.writes, ss.writes_failed, ss.batches, ss.reads);
        /* batch_size_hist[i] counts batches of size in [2^i, 2^(i+1)), last 128+. */
        strbuf_addstr(sb, "# HELP store_batch_size Writes per group-commit transaction.\n"
                          "# TYPE store_batch_size histogram\n");
        uint64_t cum = 0;
        for (int i = 0; i < 8; i++) {
            cum += ss.batch_size_hist[i];
            if (i < 7)
                strbuf_addf(sb, "store_batch_size_bucket{le=\"%d\"} %" PRIu64 "\n",
                            (1 << (i + 1)) - 1, cum);
            else
                strbuf_addf(sb, "store_batch_size_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
        }
        strbuf_addf(sb, "store_batch_size_count %" PRIu64 "\n", ss.batches);
        strbuf_addf(sb, "store_batch_size_sum %" PRIu64 "\n", ss.writes + ss.writes_failed);
    }
    strbuf_addf(sb,
                "# HELP process_start_time_seconds Start time of the process since the "
                "Unix epoch.\n# TYPE process_start_time_seconds gauge\n"
                "process_start_time_seconds %.3f\n",
                (double)m->started_ms / 1000.0);
}

void http__metrics_render_cache(struct http__cache *c, struct strbuf *sb)
{
    if (!c)
        return;
    uint64_t hits, misses;
    http__cache_stats(c, &hits, &misses);
    strbuf_addf(sb,
                "# HELP http_cache_hits_total GET answers served from the response cache.\n"
                "# TYPE http_cache_hits_total counter\nhttp_cache_hits_total %" PRIu64 "\n"
                "# HELP http_cache_misses_total Cacheable GETs that ran their handler.\n"
                "# TYPE http_cache_misses_total counter\nhttp_cache_misses_total %" PRIu64 "\n",
                hits, misses);
}
