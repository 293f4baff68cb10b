/*
** flash_bench.c: the programs behind bench/flash-sale. Three modes:
**
**   flash_bench http --addr HOST:PORT --user NAME --password PW --stock N
**                    [--conns 1000] [--limit 10] [--ping N] [--server-pid PID]
**       Logs in, creates a producer, product, live session and one offer of
**       N units through the API, then opens --conns keep-alive connections
**       (raw non-blocking sockets, one epoll loop; each answers one GET
**       /api/v1/health before the clock starts: the buyers are on the page
**       when the sale opens) that each POST orders of
**       one unit with a fresh Idempotency-Key until the offer answers 409
**       (sold out). Prints acknowledged orders/s, latency p50/p99 of the
**       acknowledged orders, units sold as the server reports them and the
**       oversold count (acknowledged units above the stock). --ping N then
**       sends N POST /api/v1/system/ping-write over the same connections
**       (a durable write of one audit row): the ceiling of the HTTP and
**       group-commit path for this client on this machine, in the same run.
**       With --server-pid, each load also prints the server's and this load
**       generator's CPU time per answer: on a shared machine it moves much
**       less than requests/s, and the two share the same cores.
**
**   flash_bench baseline --dir DIR --orders N
**       In-process SQLite on the market's own schema and the same rows an
**       order writes (offer + session lookup, order row whose unique key
**       index answers repeated Idempotency-Keys, offer counter with its
**       guard, buyer counter with the limit's guard, line, audit record),
**       WAL + synchronous=FULL:
**       (a) one durable transaction per order, (b) durable transactions of
**       64 orders. Prints orders/s of each.
**
**   flash_bench service --dir DIR --orders N [--threads 64]
**       market_order_place from several threads on a durable store (group
**       commit), no HTTP: what the service layer alone sustains.
**
**   flash_bench seed --db PATH --buyers N
**       Before `ruralink serve` on a fresh database (the http mode): the
**       county rows orders name (county 1, village 1, hub node 1) and N
**       buyer accounts 2,000,000.. (staff order for them; market checks the
**       ids). The service and baseline modes seed the same for themselves.
*/
#include "county/county.h"
#include "market/market.h"

#include <json-c/json.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *opt(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return dflt;
}

static int64_t opt_i(int argc, char **argv, const char *name, int64_t dflt)
{
    const char *v = opt(argc, argv, name, NULL);
    int64_t x;
    if (!v)
        return dflt;
    if (str_to_i64(str_from(v), &x))
        rl_die("%s: not a number: %s", name, v);
    return x;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------- a store with data */

static const struct auth_principal OPER = {1, 0, 1, AUTH_ROLE_OPERATOR, "bench"};

struct buyers {
    int64_t first, n;
};

/* Buyer accounts as rows (no password: nobody logs in as them). */
static int buyers_fn(struct store_conn *c, void *arg, struct err *e)
{
    const struct buyers *b = arg;
    int rc = 0;
    for (int64_t id = b->first; !rc && id < b->first + b->n; id++) {
        struct store_stmt *s;
        if ((rc = store_prepare(c,
                                "INSERT INTO users (id, county_id, name, role, password_hash,"
                                " created_ms, updated_ms) VALUES (?, 1, 'fb' || ?, 'buyer', '-',"
                                " 1, 1)",
                                &s, e)))
            break;
        store_bind_i64(s, 1, id);
        store_bind_i64(s, 2, id);
        rc = store_step(s, e);
        rc = rc < 0 ? rc : 0;
    }
    return rc;
}

/* On a fresh store with the auth, county and market tables: county 1 with
** a township, a village and a hub (their ids into *village, *node) and
** nbuyers buyers from first_buyer on. */
static void seed_county(struct store *st, int64_t first_buyer, int64_t nbuyers, int64_t *village,
                        int64_t *node)
{
    struct err e = {0};
    struct county c;
    memset(&c, 0, sizeof c);
    snprintf(c.code, sizeof c.code, "%s", "FB1");
    snprintf(c.name_zh, sizeof c.name_zh, "%s", "秒杀县");
    c.center = (struct geo_point){35.76, 109.42};
    if (county_create(st, NULL, &c, &e))
        rl_die("county: %s", e.msg);
    if (c.id != 1)
        rl_die("county: not a fresh database");
    struct auth_principal sys = {0, 0, 1, AUTH_ROLE_ADMIN, "system"};
    struct county_township t;
    memset(&t, 0, sizeof t);
    snprintf(t.name_zh, sizeof t.name_zh, "%s", "秒杀镇");
    t.loc = c.center;
    if (county_township_create(st, &sys, &t, &e))
        rl_die("township: %s", e.msg);
    struct county_village v;
    memset(&v, 0, sizeof v);
    v.township_id = t.id;
    snprintf(v.name_zh, sizeof v.name_zh, "%s", "秒杀村");
    v.loc = c.center;
    if (county_village_create(st, &sys, &v, &e))
        rl_die("village: %s", e.msg);
    struct county_node nd;
    memset(&nd, 0, sizeof nd);
    nd.kind = COUNTY_NODE_HUB;
    snprintf(nd.name, sizeof nd.name, "%s", "县中心");
    nd.loc = c.center;
    nd.close_min = 1440;
    nd.active = true;
    if (county_node_create(st, &sys, &nd, &e))
        rl_die("node: %s", e.msg);
    struct buyers b = {first_buyer, nbuyers};
    if (store_write(st, buyers_fn, &b, &e))
        rl_die("buyers: %s", e.msg);
    *village = v.id;
    *node = nd.id;
}

static void store_open_all(struct store **st, const char *path)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.synchronous_full = true;
    struct err e = {0};
    if (store_open(st, &cfg, &e) ||
        store_add_migrations(*st, "auth", auth_migrations, auth_migrations_len, &e) ||
        store_add_migrations(*st, "county", county_migrations, county_migrations_len, &e) ||
        store_add_migrations(*st, "market", market_migrations, market_migrations_len, &e) ||
        store_migrate(*st, &e))
        rl_die("store: %s", e.msg);
}

/* Fresh durable store with the market schema, the county rows and buyers
** 1,000,000.. (seed_county), one producer, product, lot, session (live
** now) and offer of `stock` units reserved from the lot; *node_out is the
** node (orders are delivered there). */
static struct store *seed_store(const char *path, int64_t stock, int64_t *offer_out,
                                int64_t *node_out)
{
    char p[600];
    const char *sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
    struct store *st;
    struct err e = {0};
    store_open_all(&st, path);
    int64_t village, node;
    /* order keys of the service mode run to about stock + threads */
    seed_county(st, 1000000, (stock + 4096) / 2, &village, &node);
    *node_out = node;
    struct market_producer pr = {
        .village_id = village, .kind = "cooperative", .name = "bench coop"};
    int64_t prod, product, sid;
    if (market_producer_create(st, &OPER, &pr, &prod, &e))
        rl_die("producer: %s", e.msg);
    struct market_product pd = {.producer_id = prod,
                                .name_zh = "秒杀苹果",
                                .category = "fruit",
                                .unit = "box",
                                .price_fen = 6800};
    if (market_product_create(st, &OPER, &pd, &product, &e))
        rl_die("product: %s", e.msg);
    int64_t now = time_now_ms();
    struct market_session s = {.village_id = village,
                               .title = "bench",
                               .start_ms = now - 60000,
                               .end_ms = now + 23 * 3600000LL};
    if (market_session_create(st, &OPER, &s, &sid, &e))
        rl_die("session: %s", e.msg);
    struct market_lot lot = {.product_id = product, .node_id = node, .qty = stock};
    if (market_lot_add(st, &OPER, &lot, NULL, &e))
        rl_die("lot: %s", e.msg);
    struct market_offer o = {.session_id = sid,
                             .product_id = product,
                             .node_id = node,
                             .flash_price_fen = 990,
                             .flash_stock = stock,
                             .per_buyer_limit = 10};
    if (market_offer_add(st, &OPER, &o, offer_out, &e))
        rl_die("offer: %s", e.msg);
    return st;
}

/* ------------------------------------------------------------- baselines */

/* The statements one flash order runs (order.c), in the same order. */
static const char *const order_sql[] = {
    "SELECT o.product_id, o.flash_price_fen, o.per_buyer_limit, o.session_id,"
    " o.flash_stock - o.sold, s.start_ms, s.end_ms FROM market_offers o"
    " JOIN market_sessions s ON s.id = o.session_id WHERE o.id = ? AND o.county_id = ?",
    "INSERT INTO market_orders (county_id, buyer_user_id, status, delivery_node_id,"
    " delivery_address, lat, lon, total_fen, units, payment_status, payment_method,"
    " payment_ref, note, session_id, idem_key, idem_hash, created_ms, updated_ms, placed_by)"
    " VALUES (?,?,0,?,'',NULL,NULL,?,?,'unpaid','cod','','',?,?,?,?,?,?)",
    "UPDATE market_offers SET sold = sold + 1 WHERE id = ? AND sold + 1 <= flash_stock",
    "INSERT INTO market_offer_buyers (offer_id, buyer_user_id, qty) VALUES (?,?,1)"
    " ON CONFLICT (offer_id, buyer_user_id) DO UPDATE SET qty = market_offer_buyers.qty"
    " + excluded.qty WHERE ? = 0 OR market_offer_buyers.qty + excluded.qty <= ?",
    "INSERT INTO market_order_lines (order_id, line_no, county_id, product_id, offer_id, qty,"
    " unit_price_fen, line_total_fen) VALUES (?,1,?,?,?,1,?,?)",
    "INSERT INTO audit_log (county_id, actor_user_id, ts_ms, action, entity, entity_id, detail)"
    " VALUES (?,?,?,'market.order.place','order',?,NULL)",
    /* run first: the buyer staff order for, the delivery node (order.c check_refs) */
    "SELECT id, county_id, role, disabled, name, display_name, created_ms, updated_ms"
    " FROM users WHERE id = ? AND county_id = ?",
    "SELECT 1 FROM nodes WHERE county_id = ? AND id = ?",
};
#define NSQL (sizeof order_sql / sizeof order_sql[0])

static void sq(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        rl_die("%s: %s", what, sqlite3_errmsg(db));
}

/* One order with plain SQLite (the caller holds the transaction). */
static void raw_order(sqlite3 *db, sqlite3_stmt **st, int64_t offer, int64_t node, int64_t i)
{
    int64_t buyer = 1000000 + i / 2, now = time_now_ms();
    char key[32];
    snprintf(key, sizeof key, "b-%lld", (long long)i);
    for (size_t k = 0; k < NSQL; k++)
        sqlite3_reset(st[k]);
    sqlite3_bind_int64(st[6], 1, buyer);
    sqlite3_bind_int64(st[6], 2, 1);
    if (sqlite3_step(st[6]) != SQLITE_ROW)
        rl_die("buyer %lld: %s", (long long)buyer, sqlite3_errmsg(db));
    sqlite3_bind_int64(st[7], 1, 1);
    sqlite3_bind_int64(st[7], 2, node);
    if (sqlite3_step(st[7]) != SQLITE_ROW)
        rl_die("node: %s", sqlite3_errmsg(db));
    sqlite3_bind_int64(st[0], 1, offer);
    sqlite3_bind_int64(st[0], 2, 1);
    if (sqlite3_step(st[0]) != SQLITE_ROW)
        rl_die("offer: %s", sqlite3_errmsg(db));
    int64_t product = sqlite3_column_int64(st[0], 0), price = sqlite3_column_int64(st[0], 1);
    int64_t limit = sqlite3_column_int64(st[0], 2), session = sqlite3_column_int64(st[0], 3);
    sqlite3_bind_int64(st[1], 1, 1);
    sqlite3_bind_int64(st[1], 2, buyer);
    sqlite3_bind_int64(st[1], 3, node);
    sqlite3_bind_int64(st[1], 4, price);
    sqlite3_bind_int64(st[1], 5, 1);
    sqlite3_bind_int64(st[1], 6, session);
    sqlite3_bind_text(st[1], 7, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st[1], 8, i);
    sqlite3_bind_int64(st[1], 9, now);
    sqlite3_bind_int64(st[1], 10, now);
    sqlite3_bind_int64(st[1], 11, OPER.user_id);
    sq(db, sqlite3_step(st[1]), "order");
    int64_t id = sqlite3_last_insert_rowid(db);
    sqlite3_bind_int64(st[2], 1, offer);
    sq(db, sqlite3_step(st[2]), "offer update");
    if (sqlite3_changes(db) != 1)
        rl_die("baseline sold out early");
    sqlite3_bind_int64(st[3], 1, offer);
    sqlite3_bind_int64(st[3], 2, buyer);
    sqlite3_bind_int64(st[3], 3, limit);
    sqlite3_bind_int64(st[3], 4, limit);
    sq(db, sqlite3_step(st[3]), "buyer");
    sqlite3_bind_int64(st[4], 1, id);
    sqlite3_bind_int64(st[4], 2, 1);
    sqlite3_bind_int64(st[4], 3, product);
    sqlite3_bind_int64(st[4], 4, offer);
    sqlite3_bind_int64(st[4], 5, price);
    sqlite3_bind_int64(st[4], 6, price);
    sq(db, sqlite3_step(st[4]), "line");
    sqlite3_bind_int64(st[5], 1, 1);
    sqlite3_bind_int64(st[5], 2, OPER.user_id);
    sqlite3_bind_int64(st[5], 3, now);
    sqlite3_bind_int64(st[5], 4, id);
    sq(db, sqlite3_step(st[5]), "audit");
    for (size_t k = 0; k < NSQL; k++)
        sqlite3_reset(st[k]);
}

static double run_raw(const char *path, int64_t orders, int batch)
{
    int64_t offer, node;
    struct store *stor = seed_store(path, orders, &offer, &node);
    store_close(stor);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        rl_die("open %s", path);
    sq(db,
       sqlite3_exec(db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                    " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000",
                    NULL, NULL, NULL),
       "pragmas");
    sqlite3_stmt *st[NSQL];
    for (size_t k = 0; k < NSQL; k++)
        if (sqlite3_prepare_v2(db, order_sql[k], -1, &st[k], NULL) != SQLITE_OK)
            rl_die("prepare: %s", sqlite3_errmsg(db));
    double t0 = time_mono_s();
    for (int64_t i = 0; i < orders;) {
        sq(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), "begin");
        for (int k = 0; k < batch && i < orders; k++, i++)
            raw_order(db, st, offer, node, i);
        sq(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
    }
    double dt = time_mono_s() - t0;
    for (size_t k = 0; k < NSQL; k++)
        sqlite3_finalize(st[k]);
    sqlite3_stmt *chk;
    sqlite3_prepare_v2(db, "SELECT sold FROM market_offers WHERE id = ?", -1, &chk, NULL);
    sqlite3_bind_int64(chk, 1, offer);
    sqlite3_step(chk);
    int64_t sold = sqlite3_column_int64(chk, 0);
    sqlite3_finalize(chk);
    sqlite3_close(db);
    if (sold != orders)
        rl_die("baseline: sold %lld of %lld", (long long)sold, (long long)orders);
    return (double)orders / dt;
}

static int cmd_baseline(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--dir", ".");
    int64_t n = opt_i(argc, argv, "--orders", 10000);
    int64_t na = opt_i(argc, argv, "--orders-a", n);
    char path[512];
    snprintf(path, sizeof path, "%s/baseline.db", dir);
    double a = run_raw(path, na, 1);
    double b = run_raw(path, n, 64);
    printf(
        "baseline_a_orders_per_s=%.0f  (plain SQLite, 1 durable transaction per order, %lld orders)\n",
        a, (long long)na);
    printf(
        "baseline_b_orders_per_s=%.0f  (plain SQLite, durable transactions of 64 orders, %lld orders)\n",
        b, (long long)n);
    return 0;
}

/* ------------------------------------------------------- service, threads */

struct svc {
    struct store *st;
    int64_t offer, node, per_thread, base;
    int64_t acked;
    int64_t *lat_ns;
};

static void *svc_main(void *arg)
{
    struct svc *s = arg;
    struct arena a;
    arena_init(&a, 4096);
    for (int64_t i = 0; i < s->per_thread; i++) {
        int64_t k = s->base + i;
        char key[32];
        snprintf(key, sizeof key, "s-%lld", (long long)k);
        struct market_line_req line = {.offer_id = s->offer, .qty = 1};
        struct market_order_req r = {.buyer_user_id = 1000000 + k / 2,
                                     .idem_key = key,
                                     .delivery_node_id = s->node,
                                     .lines = &line,
                                     .nlines = 1};
        struct market_order o;
        struct err e = {0};
        arena_reset(&a);
        int64_t t = time_mono_ns();
        if (market_order_place(s->st, &OPER, &r, &a, &o, &e) == 0)
            s->lat_ns[s->acked++] = time_mono_ns() - t;
    }
    arena_release(&a);
    return NULL;
}

static int cmd_service(int argc, char **argv)
{
    const char *dir = opt(argc, argv, "--dir", ".");
    int64_t n = opt_i(argc, argv, "--orders", 10000);
    int threads = (int)opt_i(argc, argv, "--threads", 64);
    char path[512];
    snprintf(path, sizeof path, "%s/service.db", dir);
    int64_t offer, node;
    struct store *st = seed_store(path, n, &offer, &node);
    struct svc *sv = xcalloc((size_t)threads, sizeof *sv);
    pthread_t *t = xcalloc((size_t)threads, sizeof *t);
    double t0 = time_mono_s();
    for (int i = 0; i < threads; i++) {
        sv[i] = (struct svc){st, offer, node, n / threads + (i < n % threads), 0, 0, NULL};
        sv[i].base = i * (n / threads + 1);
        sv[i].lat_ns = xcalloc((size_t)sv[i].per_thread + 1, sizeof(int64_t));
        pthread_create(&t[i], NULL, svc_main, &sv[i]);
    }
    int64_t acked = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        acked += sv[i].acked;
    }
    double dt = time_mono_s() - t0;
    int64_t *lat = xcalloc((size_t)acked + 1, sizeof *lat), m = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(lat + m, sv[i].lat_ns, (size_t)sv[i].acked * sizeof *lat);
        m += sv[i].acked;
        free(sv[i].lat_ns);
    }
    qsort(lat, (size_t)m, sizeof *lat, cmp_i64);
    struct store_stats ss;
    store_get_stats(st, &ss);
    store_close(st);
    /* Each thread blocks until its order is durable, so a commit holds at
    ** most `threads` orders: a figure for blocking callers, not a ceiling
    ** of the service layer (HTTP keeps 1,000 orders in flight). */
    printf("service_orders_per_s=%.0f  (market_order_place from %d blocking threads, one order"
           " in flight each, durable group commit, %lld orders, %.1f orders/commit, p50 %.2f ms"
           " p99 %.2f ms)\n",
           (double)acked / dt, threads, (long long)acked,
           ss.batches ? (double)ss.writes / (double)ss.batches : 0.0, m ? lat[m / 2] / 1e6 : 0.0,
           m ? lat[m * 99 / 100] / 1e6 : 0.0);
    free(lat);
    free(sv);
    free(t);
    return acked == n ? 0 : 1;
}

/* ----------------------------------------------------------- HTTP client */

static struct sockaddr_in addr_parse(const char *s)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    if (!colon || str_to_i64(str_from(colon + 1), &port) || port <= 0 || port > 65535)
        rl_die("--addr wants HOST:PORT");
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        rl_die("--addr: not an IPv4 address: %s", host);
    return sa;
}

static int dial(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
        rl_die("connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Where a complete response ends in buf[0..n): header length and body
** length, or 0 when more bytes are needed. */
static size_t response_len(const char *buf, size_t n, size_t *hdr_len, int *status)
{
    const char *end = memmem(buf, n, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t h = (size_t)(end - buf) + 4;
    size_t clen = 0;
    for (const char *p = buf; p < end; p++) {
        if ((p == buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = (size_t)strtoull(p + 15, NULL, 10);
            break;
        }
    }
    if (n < h + clen)
        return 0;
    *hdr_len = h;
    *status = (n > 12) ? (int)strtol(buf + 9, NULL, 10) : 0;
    return h + clen;
}

static size_t build_request(char *out, size_t cap, const char *method, const char *path,
                            const char *token, const char *idem, const char *body)
{
    int n = snprintf(out, cap,
                     "%s %s HTTP/1.1\r\nHost: bench\r\n%s%s%s%s%s%s"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "", idem ? "Idempotency-Key: " : "", idem ? idem : "",
                     idem ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
    if (n < 0 || (size_t)n >= cap)
        rl_die("request too long");
    return (size_t)n;
}

/* A blocking request on its own connection (setup and checks). */
static int http_once(const struct sockaddr_in *sa, const char *method, const char *path,
                     const char *token, const char *body, struct strbuf *resp)
{
    char req[4096];
    size_t n = build_request(req, sizeof req, method, path, token, NULL, body);
    int fd = dial(sa);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(fd, req + off, n - off);
        if (w <= 0)
            rl_die("write: %s", strerror(errno));
        off += (size_t)w;
    }
    strbuf_reset(resp);
    char buf[65536];
    size_t hl;
    int status = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            rl_die("read: connection closed");
        strbuf_add(resp, buf, (size_t)r);
        size_t total = response_len(resp->buf, resp->len, &hl, &status);
        if (total) {
            /* keep only the body */
            memmove(resp->buf, resp->buf + hl, total - hl);
            resp->len = total - hl;
            resp->buf[resp->len] = '\0';
            break;
        }
    }
    close(fd);
    return status;
}

static int64_t json_id(const char *body, const char *key)
{
    struct json_object *o;
    struct err e;
    if (rjson_parse(body, strlen(body), &o, &e))
        rl_die("bad JSON answer: %.200s", body);
    int64_t v = -1;
    rjson_get_i64(o, key, false, &v, &e);
    json_object_put(o);
    return v;
}

static int64_t post_id(const struct sockaddr_in *sa, const char *path, const char *token,
                       const char *body, struct strbuf *resp)
{
    int st = http_once(sa, "POST", path, token, body, resp);
    if (st != 201 && st != 200)
        rl_die("POST %s: %d %.300s", path, st, strbuf_str(resp));
    return json_id(strbuf_str(resp), "id");
}

enum { C_SEND, C_RECV, C_DONE };

struct conn {
    int fd;
    int state;
    char out[640];
    size_t outlen, outoff;
    char in[4096];
    size_t inlen;
    int64_t t_send;
};

/* CPU seconds (user + system) a process has used so far, from
** /proc/PID/stat; -1 when unknown. */
static double proc_cpu_s(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* CPU time of the server (pid) and of this process over one load, from
** after the warm-up to the last answer. */
struct load_cpu {
    long pid;
    double s0, s1, c0, c1;
};

/* Each connection asks GET /api/v1/health once and reads the answer, so the
** server has accepted every connection and served it a request before the
** clock starts: the buyers are on the page when the sale opens, and 1,000
** accepts do not count against a round of 10,000 orders. */
static void warm_up(struct conn *cs, int nconn)
{
    char req[256];
    size_t n = build_request(req, sizeof req, "GET", "/api/v1/health", NULL, NULL, NULL);
    for (int i = 0; i < nconn; i++) {
        int fl = fcntl(cs[i].fd, F_GETFL);
        fcntl(cs[i].fd, F_SETFL, fl & ~O_NONBLOCK);
        if (write(cs[i].fd, req, n) != (ssize_t)n)
            rl_die("warm-up write: %s", strerror(errno));
    }
    for (int i = 0; i < nconn; i++) {
        size_t got = 0, hl, total = 0;
        int status = 0;
        while (!total) {
            ssize_t r = read(cs[i].fd, cs[i].in + got, sizeof cs[i].in - got - 1);
            if (r <= 0)
                rl_die("warm-up read: %s", r ? strerror(errno) : "connection closed");
            got += (size_t)r;
            total = response_len(cs[i].in, got, &hl, &status);
        }
        if (status != 200 || total != got)
            rl_die("warm-up: status %d", status);
        int fl = fcntl(cs[i].fd, F_GETFL);
        fcntl(cs[i].fd, F_SETFL, fl | O_NONBLOCK);
    }
}

/* An order request with its two varying numbers at fixed places: the key
** "fs-" + 10 digits and the buyer 2,000,000 + n/2 (7 digits while n < 16
** million); the load generator copies it and writes the digits instead of
** formatting the request with snprintf (it shares the server's cores). */
struct order_tpl {
    char req[640];
    size_t len, key_at, buyer_at;
};

static void order_tpl_build(struct order_tpl *t, const char *token, int64_t offer)
{
    char ob[256];
    snprintf(ob, sizeof ob,
             "{\"buyer_user_id\":2000000,\"delivery_node_id\":1,"
             "\"lines\":[{\"offer_id\":%lld,\"qty\":1}]}",
             (long long)offer);
    t->len =
        build_request(t->req, sizeof t->req, "POST", "/api/v1/orders", token, "fs-0000000000", ob);
    t->key_at = (size_t)(strstr(t->req, "fs-0000000000") - t->req) + 3;
    t->buyer_at = (size_t)(strstr(t->req, "2000000,") - t->req);
}

/* The load: nconn keep-alive connections on one epoll loop. count < 0:
** orders of one unit against `offer` until each connection is answered 409
** (sold out); count >= 0: that many POST /api/v1/system/ping-write (an
** authenticated durable write of one audit row: the HTTP and group-commit
** path without the order). Fills lat[0..cap) with acknowledged latencies;
** returns the seconds from the first request to the last acknowledgement. */
static double run_load(const struct sockaddr_in *sa, const char *token, int nconn, int64_t offer,
                       int64_t count, int64_t *lat, int64_t cap, int64_t *acked_out,
                       int64_t *refused_out, int64_t *other_out, struct load_cpu *cpu)
{
    int ep = epoll_create1(0);
    struct conn *cs = xcalloc((size_t)nconn, sizeof *cs);
    for (int i = 0; i < nconn; i++)
        cs[i].fd = dial(sa);
    warm_up(cs, nconn);
    for (int i = 0; i < nconn; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    int64_t acked = 0, refused = 0, other = 0, seq = 0;
    int live = nconn;
    struct order_tpl tpl;
    order_tpl_build(&tpl, token, offer);
    cpu->s0 = proc_cpu_s(cpu->pid), cpu->c0 = self_cpu_s();
    int64_t t0 = time_mono_ns(), t_last = t0;
    for (int i = 0; i < nconn; i++)
        cs[i].state = C_SEND, cs[i].outlen = 0;
    struct epoll_event evs[256];
    while (live > 0) {
        /* fill and push out requests of connections ready to send */
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n == 0) {
            /* who waits for whom: requests unanswered, or requests unsent */
            int waiting = 0, unsent = 0;
            for (int i = 0; i < nconn; i++) {
                waiting += cs[i].state == C_RECV;
                unsent += cs[i].state == C_SEND;
            }
            rl_die("no progress for 10 s (%d connections open: %d waiting for an answer, %d "
                   "with a request not yet sent; %lld acknowledged)",
                   live, waiting, unsent, (long long)acked);
        }
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            for (bool progress = true; progress && c->state != C_DONE;) {
                progress = false;
                if (c->state == C_SEND) {
                    if (c->outlen == 0 && count >= 0 && seq >= count) {
                        c->state = C_DONE; /* ping: all sent */
                        close(c->fd);
                        live--;
                        break;
                    }
                    if (c->outlen == 0 && count >= 0) {
                        seq++; /* no Idempotency-Key: one write per request, as bench/http */
                        c->outlen = build_request(c->out, sizeof c->out, "POST",
                                                  "/api/v1/system/ping-write", token, NULL, "");
                        c->outoff = 0;
                        c->t_send = time_mono_ns();
                    }
                    if (c->outlen == 0) {
                        int64_t g = seq++;
                        memcpy(c->out, tpl.req, tpl.len);
                        str_put_digits(c->out + tpl.key_at, (uint64_t)g, 10);
                        str_put_digits(c->out + tpl.buyer_at, (uint64_t)(2000000 + g / 2), 7);
                        c->outlen = tpl.len;
                        c->outoff = 0;
                        c->t_send = time_mono_ns();
                    }
                    ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
                    if (w > 0) {
                        c->outoff += (size_t)w;
                        progress = true;
                        if (c->outoff == c->outlen) {
                            /* The answer cannot be there yet: wait for its
                            ** EPOLLIN edge instead of a read that would
                            ** only say EAGAIN (a syscall per order of the
                            ** load generator, on the server's cores). */
                            c->state = C_RECV, c->inlen = 0;
                            break;
                        }
                    } else if (w < 0 && errno != EAGAIN) {
                        rl_die("write: %s", strerror(errno));
                    }
                } else {
                    ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen - 1);
                    if (r == 0)
                        rl_die("server closed a connection");
                    if (r < 0) {
                        if (errno != EAGAIN)
                            rl_die("read: %s", strerror(errno));
                        break;
                    }
                    c->inlen += (size_t)r;
                    progress = true;
                    size_t hl;
                    int status;
                    size_t total = response_len(c->in, c->inlen, &hl, &status);
                    if (!total)
                        continue;
                    int64_t t = time_mono_ns();
                    if (status == 201 || (status == 200 && count >= 0)) {
                        if (acked < cap)
                            lat[acked] = t - c->t_send;
                        acked++;
                        t_last = t;
                        c->state = C_SEND, c->outlen = 0;
                    } else if (status == 409) {
                        refused++;
                        c->state = C_DONE;
                        close(c->fd);
                        live--;
                    } else {
                        if (other++ < 5)
                            fprintf(stderr, "flash: status %d: %.*s\n", status,
                                    (int)(c->inlen - hl), c->in + hl);
                        c->state = C_SEND, c->outlen = 0;
                    }
                    memmove(c->in, c->in + total, c->inlen - total);
                    c->inlen -= total;
                }
            }
        }
    }
    cpu->s1 = proc_cpu_s(cpu->pid), cpu->c1 = self_cpu_s();
    free(cs);
    close(ep);
    *acked_out = acked, *refused_out = refused, *other_out = other;
    return (double)(t_last - t0) / 1e9;
}

/* "server X us, client Y us" of CPU per answered request of one load. */
static void print_cpu(const char *what, const struct load_cpu *u, int64_t answers)
{
    if (answers <= 0)
        return;
    printf("%s_cpu_us_per_request: server %.1f, load generator %.1f  (CPU time over the load"
           " divided by %lld answers)\n",
           what,
           u->pid > 0 && u->s0 >= 0 && u->s1 >= 0 ? (u->s1 - u->s0) * 1e6 / (double)answers : -1.0,
           (u->c1 - u->c0) * 1e6 / (double)answers, (long long)answers);
}

static int cmd_http(int argc, char **argv)
{
    struct sockaddr_in sa = addr_parse(opt(argc, argv, "--addr", "127.0.0.1:8080"));
    const char *user = opt(argc, argv, "--user", "operator");
    const char *pw = opt(argc, argv, "--password", "ruralink-demo");
    int64_t stock = opt_i(argc, argv, "--stock", 10000);
    if (stock < 1 || stock > 10000000)
        rl_die("--stock wants 1 to 10,000,000 units");
    int nconn = (int)opt_i(argc, argv, "--conns", 1000);
    int64_t limit = opt_i(argc, argv, "--limit", 10);
    long srv_pid = (long)opt_i(argc, argv, "--server-pid", 0);
    struct strbuf resp;
    strbuf_init(&resp, 0);

    /* setup through the API */
    char body[1024], token[128];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"password\":\"%s\"}", user, pw);
    if (http_once(&sa, "POST", "/api/v1/auth/login", NULL, body, &resp) != 200)
        rl_die("login: %s", strbuf_str(&resp));
    {
        struct json_object *o;
        struct err e;
        const char *t;
        if (rjson_parse(resp.buf, resp.len, &o, &e) || rjson_get_str(o, "token", true, &t, &e))
            rl_die("login answer: %s", strbuf_str(&resp));
        snprintf(token, sizeof token, "%s", t);
        json_object_put(o);
    }
    int64_t producer =
        post_id(&sa, "/api/v1/producers", token,
                "{\"village_id\":1,\"kind\":\"cooperative\",\"name\":\"秒杀合作社\"}", &resp);
    snprintf(body, sizeof body,
             "{\"producer_id\":%lld,\"name_zh\":\"秒杀苹果\",\"name_en\":\"Flash apples\","
             "\"category\":\"fruit\",\"unit\":\"box 5 kg\",\"price_fen\":6800,"
             "\"storage\":\"chilled\"}",
             (long long)producer);
    int64_t product = post_id(&sa, "/api/v1/products", token, body, &resp);
    char start[32], end[32];
    int64_t now = time_now_ms();
    time_fmt_rfc3339(now - 60000, start);
    time_fmt_rfc3339(now + 23 * 3600000LL, end);
    snprintf(body, sizeof body,
             "{\"village_id\":1,\"title\":\"flash-sale bench\",\"start\":\"%s\",\"end\":\"%s\"}",
             start, end);
    int64_t session = post_id(&sa, "/api/v1/live-sessions", token, body, &resp);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers", (long long)session);
    /* the offer reserves its units from a lot at the hub (flash_bench seed) */
    snprintf(body, sizeof body, "{\"product_id\":%lld,\"node_id\":1,\"qty\":%lld}",
             (long long)product, (long long)stock);
    post_id(&sa, "/api/v1/inventory/lots", token, body, &resp);
    snprintf(body, sizeof body,
             "{\"product_id\":%lld,\"node_id\":1,\"flash_price_fen\":990,"
             "\"flash_stock\":%lld,\"per_buyer_limit\":%lld}",
             (long long)product, (long long)stock, (long long)limit);
    int64_t offer = post_id(&sa, path, token, body, &resp);

    /* the sale */
    int64_t cap = stock + nconn + 16, acked = 0, refused = 0, other = 0;
    int64_t *lat = xcalloc((size_t)cap, sizeof *lat);
    struct load_cpu cpu = {.pid = srv_pid};
    double secs = run_load(&sa, token, nconn, offer, -1, lat, cap, &acked, &refused, &other, &cpu);
    int64_t m = acked < cap ? acked : cap;
    qsort(lat, (size_t)m, sizeof *lat, cmp_i64);

    /* what the server says was sold */
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/report", (long long)session);
    if (http_once(&sa, "GET", path, token, NULL, &resp) != 200)
        rl_die("report: %s", strbuf_str(&resp));
    int64_t units = json_id(strbuf_str(&resp), "units");
    int64_t orders = json_id(strbuf_str(&resp), "orders");
    snprintf(path, sizeof path, "/api/v1/live-sessions/%lld/offers", (long long)session);
    http_once(&sa, "GET", path, token, NULL, &resp);
    const char *soldp = strstr(strbuf_str(&resp), "\"sold\":");
    int64_t sold = soldp ? strtoll(soldp + 7, NULL, 10) : -1;
    printf("http_connections=%d stock=%lld\n", nconn, (long long)stock);
    printf("http_orders_per_s=%.0f  (acknowledged durable orders %lld in %.2f s; %lld refused"
           " as sold out, %lld other answers)\n",
           secs > 0 ? (double)acked / secs : 0.0, (long long)acked, secs, (long long)refused,
           (long long)other);
    printf("http_latency_p50_ms=%.2f http_latency_p99_ms=%.2f\n", m ? lat[m / 2] / 1e6 : 0.0,
           m ? lat[m * 99 / 100] / 1e6 : 0.0);
    printf("units_sold=%lld (offer.sold=%lld, report orders=%lld) oversold=%lld\n",
           (long long)units, (long long)sold, (long long)orders,
           (long long)(acked > stock ? acked - stock : 0));
    print_cpu("http_order", &cpu, acked + refused + other);
    free(lat);
    int64_t pings = opt_i(argc, argv, "--ping", 0);
    if (pings > 0) {
        /* The same client and connections on the durable no-op write: the
        ** ceiling of HTTP + group commit on this machine in this run. */
        int64_t pcap = pings + nconn + 16, pa = 0, pr = 0, po = 0;
        int64_t *plat = xcalloc((size_t)pcap, sizeof *plat);
        double ps = run_load(&sa, token, nconn, 0, pings, plat, pcap, &pa, &pr, &po, &cpu);
        int64_t pm = pa < pcap ? pa : pcap;
        qsort(plat, (size_t)pm, sizeof *plat, cmp_i64);
        printf("http_ping_write_per_s=%.0f  (POST /api/v1/system/ping-write, same client and"
               " connections: %lld acknowledged in %.2f s, %lld other answers; p50 %.2f ms"
               " p99 %.2f ms)\n",
               ps > 0 ? (double)pa / ps : 0.0, (long long)pa, ps, (long long)(pr + po),
               pm ? plat[pm / 2] / 1e6 : 0.0, pm ? plat[pm * 99 / 100] / 1e6 : 0.0);
        print_cpu("http_ping", &cpu, pa + pr + po);
        free(plat);
    }
    strbuf_release(&resp);
    return (units == stock && sold == stock && acked == stock && orders == stock) ? 0 : 1;
}

static int cmd_seed(int argc, char **argv)
{
    const char *db = opt(argc, argv, "--db", NULL);
    if (!db)
        rl_die("seed: --db is required");
    struct store *st;
    store_open_all(&st, db);
    int64_t village, node;
    seed_county(st, 2000000, opt_i(argc, argv, "--buyers", 1000), &village, &node);
    store_close(st);
    if (village != 1 || node != 1)
        rl_die("seed: not a fresh database");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: flash_bench http|baseline|service|seed [options]\n");
        return 2;
    }
    if (!strcmp(argv[1], "seed"))
        return cmd_seed(argc, argv);
    if (!strcmp(argv[1], "http"))
        return cmd_http(argc, argv);
    if (!strcmp(argv[1], "baseline"))
        return cmd_baseline(argc, argv);
    if (!strcmp(argv[1], "service"))
        return cmd_service(argc, argv);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
