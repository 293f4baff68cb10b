/*
** telemetry_bench.c: the program behind bench/telemetry.
**
**   telemetry_bench gen   --readings N --series S --out FILE [--t0 MS]
**       write the line-protocol file: one field per line, S series
**       ("cold,sensor=sNNNNN temp=V TS", ms precision), each series spaced
**       so its readings span 30 days.
**   telemetry_bench post  --file FILE --url URL --token TOK [--batch 5000] [--conns 4]
**       POST the file in batches of `batch` lines over `conns` keep-alive
**       connections; every batch must answer 204 (durable). Prints
**       readings/s and batch latency p50/p99.
**   telemetry_bench query --url URL --token TOK --series-id ID --from MS --to MS
**       the downsampled query (500 points) 50 times: median and p99 latency.
**   telemetry_bench sqlite --file FILE --db PATH [--batch 5000]
**       baseline: the same rows straight into SQLite in-process
**       (readings(series_id, ts_ms, value) WITHOUT ROWID, WAL,
**       synchronous=FULL, one transaction per batch, prepared INSERT), with
**       the series dictionary resolved in memory. Prints readings/s and
**       bytes on disk per reading.
*/
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define SPAN_MS (30LL * 86400000)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *arg(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return dflt;
}

static long long arg_ll(int argc, char **argv, const char *name, long long dflt)
{
    const char *v = arg(argc, argv, name, NULL);
    return v ? strtoll(v, NULL, 10) : dflt;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (!p || fread(p, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: read failed\n", path);
        exit(1);
    }
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ------------------------------------------------------------------ gen */

static int cmd_gen(int argc, char **argv)
{
    long long n = arg_ll(argc, argv, "--readings", 10000000);
    long long s = arg_ll(argc, argv, "--series", 10000);
    const char *out = arg(argc, argv, "--out", "readings.lp");
    long long t0 = arg_ll(argc, argv, "--t0", T0);
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "%s: %s\n", out, strerror(errno));
        return 1;
    }
    long long per = (n + s - 1) / s;
    long long step = per > 1 ? SPAN_MS / per : 1000;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (long long i = 0; i < n; i++) {
        long long sid = i % s, k = i / s;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = 4.0 + 2.0 * ((double)(x % 1000) / 1000.0) - 1.0 + (double)(sid % 7) * 0.1;
        fprintf(f, "cold,sensor=s%05lld temp=%.2f %lld\n", sid, v, t0 + k * step);
    }
    fclose(f);
    return 0;
}

/* ----------------------------------------------------------------- post */

struct batch {
    const char *p;
    size_t len;
    size_t lines;
};

struct post_ctx {
    const char *url;
    char auth[256];
    struct batch *b;
    size_t nb;
    atomic_size_t next;
    double *lat;
    atomic_int failed;
};

static size_t sink(void *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

static void *post_main(void *arg)
{
    struct post_ctx *c = arg;
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, c->auth);
    hs = curl_slist_append(hs, "Content-Type: text/plain");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    for (;;) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->nb)
            break;
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->b[i].p);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->b[i].len);
        double t = now_s();
        long status = 0;
        CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK)
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        c->lat[i] = now_s() - t;
        if (status != 204) {
            if (atomic_fetch_add(&c->failed, 1) < 3)
                fprintf(stderr, "batch %zu: status %ld (%s)\n", i, status, curl_easy_strerror(rc));
        }
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmd_post(int argc, char **argv)
{
    size_t len;
    char *data = read_file(arg(argc, argv, "--file", "readings.lp"), &len);
    size_t per = (size_t)arg_ll(argc, argv, "--batch", 5000);
    int conns = (int)arg_ll(argc, argv, "--conns", 4);
    struct post_ctx c = {.url = arg(argc, argv, "--url",
                                    "http://127.0.0.1:8080/api/v1/telemetry/write?precision=ms")};
    snprintf(c.auth, sizeof c.auth, "Authorization: Bearer %s", arg(argc, argv, "--token", ""));
    size_t cap = len / (per * 20) + 16, lines = 0;
    c.b = malloc(cap * sizeof *c.b);
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *q = p;
        size_t k = 0;
        while (q < end && k < per) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            q = nl ? nl + 1 : end;
            k++;
        }
        if (c.nb == cap) {
            cap *= 2;
            c.b = realloc(c.b, cap * sizeof *c.b);
        }
        c.b[c.nb++] = (struct batch){p, (size_t)(q - p), k};
        lines += k;
        p = q;
    }
    c.lat = calloc(c.nb, sizeof *c.lat);
    atomic_init(&c.next, 0);
    atomic_init(&c.failed, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t th[64];
    if (conns < 1 || conns > 64)
        conns = 4;
    double t = now_s();
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, post_main, &c);
    for (int i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    double el = now_s() - t;
    qsort(c.lat, c.nb, sizeof *c.lat, cmp_d);
    double p50 = c.lat[c.nb / 2], p99 = c.lat[(size_t)((double)c.nb * 0.99)];
    printf("post: %zu readings in %zu batches of %zu over %d connections: %.2f s, "
           "%.0f readings/s, batch latency p50 %.1f ms p99 %.1f ms, failed batches %d\n",
           lines, c.nb, per, conns, el, (double)lines / el, p50 * 1000, p99 * 1000,
           atomic_load(&c.failed));
    printf("RESULT post_rps=%.0f p99_ms=%.1f failed=%d\n", (double)lines / el, p99 * 1000,
           atomic_load(&c.failed));
    curl_global_cleanup();
    free(c.lat);
    free(c.b);
    free(data);
    return atomic_load(&c.failed) ? 1 : 0;
}

/* ---------------------------------------------------------------- query */

static int cmd_query(int argc, char **argv)
{
    char url[512], auth[256];
    snprintf(url, sizeof url, "%s/api/v1/telemetry/series/%s/readings?from=%s&to=%s&points=500",
             arg(argc, argv, "--url", "http://127.0.0.1:8080"), arg(argc, argv, "--series-id", "1"),
             arg(argc, argv, "--from", "0"), arg(argc, argv, "--to", "1"));
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", arg(argc, argv, "--token", ""));
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, auth);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    double lat[50];
    long status = 0;
    for (int i = 0; i < 50; i++) {
        double t = now_s();
        curl_easy_perform(h);
        lat[i] = now_s() - t;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    }
    qsort(lat, 50, sizeof lat[0], cmp_d);
    printf("query: 30 days of one series downsampled to 500 points: status %ld, median %.2f ms, "
           "p99 %.2f ms (50 runs, keep-alive)\n",
           status, lat[25] * 1000, lat[49] * 1000);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    return status == 200 ? 0 : 1;
}

/* --------------------------------------------------------------- sqlite */

static void ck(int rc, sqlite3 *db, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static int cmd_sqlite(int argc, char **argv)
{
    size_t len;
    char *data = read_file(arg(argc, argv, "--file", "readings.lp"), &len);
    const char *path = arg(argc, argv, "--db", "baseline.db");
    size_t per = (size_t)arg_ll(argc, argv, "--batch", 5000);
    remove(path);
    sqlite3 *db;
    ck(sqlite3_open(path, &db), db, "open");
    ck(sqlite3_exec(db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                    "CREATE TABLE series (id INTEGER PRIMARY KEY, skey TEXT UNIQUE);"
                    "CREATE TABLE readings (series_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
                    " value REAL NOT NULL, PRIMARY KEY (series_id, ts_ms)) WITHOUT ROWID;",
                    NULL, NULL, NULL),
       db, "schema");
    sqlite3_stmt *ins, *sins;
    ck(sqlite3_prepare_v2(db, "INSERT INTO readings VALUES (?, ?, ?)", -1, &ins, NULL), db, "prep");
    ck(sqlite3_prepare_v2(db, "INSERT INTO series (id, skey) VALUES (?, ?)", -1, &sins, NULL), db,
       "prep");
    /* series ids by sensor number (the dictionary lookup is a hash map in
    ** the server; here the sensor number is the id) */
    char *seen = calloc(1000000, 1);
    double t = now_s();
    size_t n = 0, in_batch = 0;
    ck(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), db, "begin");
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        /* cold,sensor=sNNNNN temp=V TS */
        const char *s = strstr(p, "sensor=s");
        long sid = strtol(s + 8, NULL, 10);
        const char *eq = memchr(s, '=', (size_t)(le - s));
        eq = memchr(eq + 1, '=', (size_t)(le - eq - 1));
        char *q;
        double v = strtod(eq + 1, &q);
        long long ts = strtoll(q + 1, NULL, 10);
        if (sid >= 0 && sid < 1000000 && !seen[sid]) {
            seen[sid] = 1;
            char key[64];
            snprintf(key, sizeof key, "cold,sensor=s%05ld temp", sid);
            sqlite3_bind_int64(sins, 1, sid + 1);
            sqlite3_bind_text(sins, 2, key, -1, SQLITE_TRANSIENT);
            ck(sqlite3_step(sins), db, "series");
            sqlite3_reset(sins);
        }
        sqlite3_bind_int64(ins, 1, sid + 1);
        sqlite3_bind_int64(ins, 2, ts);
        sqlite3_bind_double(ins, 3, v);
        ck(sqlite3_step(ins), db, "insert");
        sqlite3_reset(ins);
        n++;
        if (++in_batch == per) {
            ck(sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL), db, "commit");
            in_batch = 0;
        }
        p = nl ? nl + 1 : end;
    }
    ck(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");
    double el = now_s() - t;
    sqlite3_finalize(ins);
    sqlite3_finalize(sins);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    struct stat st;
    stat(path, &st);
    printf("sqlite in-process: %zu readings in %.2f s, %.0f readings/s (one fsynced transaction "
           "per %zu rows), %.1f bytes/reading on disk\n",
           n, el, (double)n / el, per, (double)st.st_size / (double)n);
    printf("RESULT sqlite_rps=%.0f sqlite_bytes=%.1f\n", (double)n / el,
           (double)st.st_size / (double)n);
    free(seen);
    free(data);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: telemetry_bench gen|post|query|sqlite [options]\n");
        return 2;
    }
    if (!strcmp(argv[1], "gen"))
        return cmd_gen(argc, argv);
    if (!strcmp(argv[1], "post"))
        return cmd_post(argc, argv);
    if (!strcmp(argv[1], "query"))
        return cmd_query(argc, argv);
    if (!strcmp(argv[1], "sqlite"))
        return cmd_sqlite(argc, argv);
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
