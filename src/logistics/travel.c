/*
** travel.c: the travel model. Distance and time between two planning
** locations come from the county's imported (measured) matrix when it has
** the pair and use_matrix is on, else from geo's road estimate: great-circle
** distance x circuity (the county's factor unless the settings give one) at
** the speed of the configured road class (or an explicit speed).
**
** The node-to-node matrix of a county is cached in struct logistics, keyed
** by a fingerprint of every active node (id, position, updated_ms) and of
** the travel settings (their version bumps on every change), so creating,
** moving or editing a node, or changing the settings, misses the cache and
** rebuilds it. Entries are immutable and refcounted; the cache keeps the
** newest entry per county.
*/
#include "logistics/logistics_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int logistics_new(struct logistics **out, struct err *e)
{
    struct logistics *lg = xcalloc(1, sizeof *lg);
    if (pthread_mutex_init(&lg->mu, NULL)) {
        free(lg);
        return err_set(e, ERR_INTERNAL, "mutex");
    }
    *out = lg;
    return 0;
}

static void nodemat_free(struct logistics__nodemat *m)
{
    if (!m)
        return;
    free(m->node_ids);
    free(m->dist_m);
    free(m->dur_s);
    free(m);
}

void logistics_free(struct logistics *lg)
{
    if (!lg)
        return;
    for (size_t i = 0; i < lg->n_entries; i++)
        nodemat_free(lg->entries[i]); /* no one may hold one any more */
    free(lg->entries);
    pthread_mutex_destroy(&lg->mu);
    free(lg);
}

void logistics_cache_stats(struct logistics *lg, uint64_t *hits, uint64_t *misses)
{
    if (!lg) {
        *hits = *misses = 0;
        return;
    }
    pthread_mutex_lock(&lg->mu);
    *hits = lg->hits;
    *misses = lg->misses;
    pthread_mutex_unlock(&lg->mu);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static uint64_t fingerprint(const struct county_network *net,
                            const struct logistics_travel_cfg *cfg)
{
    uint64_t h = UINT64_C(14695981039346656037);
    h = fnv(h, &net->county.id, sizeof net->county.id);
    h = fnv(h, &net->county.circuity, sizeof net->county.circuity);
    if (cfg) {
        h = fnv(h, &cfg->circuity, sizeof cfg->circuity);
        h = fnv(h, &cfg->road, sizeof cfg->road);
        h = fnv(h, &cfg->speed_kmh, sizeof cfg->speed_kmh);
        h = fnv(h, &cfg->use_matrix, sizeof cfg->use_matrix);
        h = fnv(h, &cfg->version, sizeof cfg->version);
        h = fnv(h, &cfg->n_pairs, sizeof cfg->n_pairs);
    }
    for (size_t i = 0; i < net->n_nodes; i++) {
        const struct county_node *nd = &net->nodes[i];
        if (!nd->active)
            continue;
        h = fnv(h, &nd->id, sizeof nd->id);
        h = fnv(h, &nd->loc, sizeof nd->loc);
        h = fnv(h, &nd->updated_ms, sizeof nd->updated_ms);
    }
    return h;
}

static double circuity_of(const struct county_network *net, const struct logistics_travel_cfg *cfg)
{
    if (cfg && cfg->circuity > 0)
        return cfg->circuity;
    return net->county.circuity > 0 ? net->county.circuity : GEO_CIRCUITY_DEFAULT;
}

static double speed_of(const struct logistics_travel_cfg *cfg)
{
    if (cfg && cfg->speed_kmh > 0)
        return cfg->speed_kmh;
    int v = geo_road_speed_kmh(cfg ? cfg->road : GEO_ROAD_TOWNSHIP);
    return v > 0 ? v : geo_road_speed_kmh(GEO_ROAD_TOWNSHIP);
}

static int pair_cmp(const void *k, const void *x)
{
    const struct logistics_matrix_pair *a = k, *b = x;
    if (a->from_node_id != b->from_node_id)
        return a->from_node_id < b->from_node_id ? -1 : 1;
    if (a->to_node_id != b->to_node_id)
        return a->to_node_id < b->to_node_id ? -1 : 1;
    return 0;
}

static bool imported(const struct logistics_travel_cfg *cfg, int64_t from, int64_t to,
                     int64_t *dist_m, int64_t *dur_s)
{
    if (!cfg || !cfg->use_matrix || !cfg->n_pairs || !from || !to)
        return false;
    struct logistics_matrix_pair key = {from, to, 0, 0};
    const struct logistics_matrix_pair *p =
        bsearch(&key, cfg->pairs, cfg->n_pairs, sizeof *cfg->pairs, pair_cmp);
    if (!p)
        return false;
    *dist_m = p->dist_m;
    *dur_s = p->dur_s;
    return true;
}

static void estimate(const struct county_network *net, const struct logistics_travel_cfg *cfg,
                     struct geo_point a, struct geo_point b, int64_t *dist_m, int64_t *dur_s)
{
    double d = geo_road_m(a, b, circuity_of(net, cfg));
    *dist_m = (int64_t)llround(d);
    *dur_s = geo_travel_s_at((double)*dist_m, speed_of(cfg));
    if (*dur_s < 0)
        *dur_s = 0;
}

static long node_index(const struct logistics__nodemat *m, int64_t id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->node_ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->node_ids[lo] == id ? (long)lo : -1;
}

void logistics__travel(const struct county_network *net, const struct logistics_travel_cfg *cfg,
                       const struct logistics__nodemat *m, int64_t from_node, struct geo_point a,
                       int64_t to_node, struct geo_point b, int64_t *dist_m, int64_t *dur_s)
{
    if (from_node && to_node && from_node == to_node) {
        *dist_m = *dur_s = 0;
        return;
    }
    if (m && from_node && to_node) {
        long i = node_index(m, from_node), j = node_index(m, to_node);
        if (i >= 0 && j >= 0) {
            *dist_m = m->dist_m[(size_t)i * m->n + (size_t)j];
            *dur_s = m->dur_s[(size_t)i * m->n + (size_t)j];
            return;
        }
    }
    if (imported(cfg, from_node, to_node, dist_m, dur_s))
        return;
    estimate(net, cfg, a, b, dist_m, dur_s);
}

static struct logistics__nodemat *nodemat_build(const struct county_network *net,
                                                const struct logistics_travel_cfg *cfg, uint64_t fp)
{
    struct logistics__nodemat *m = xcalloc(1, sizeof *m);
    m->county_id = net->county.id;
    m->fingerprint = fp;
    const struct county_node **nd = xcalloc(net->n_nodes + 1, sizeof *nd);
    for (size_t i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].active)
            nd[m->n++] = &net->nodes[i];
    m->node_ids = xcalloc(m->n + 1, sizeof *m->node_ids);
    m->dist_m = xcalloc(m->n * m->n + 1, sizeof *m->dist_m);
    m->dur_s = xcalloc(m->n * m->n + 1, sizeof *m->dur_s);
    for (size_t i = 0; i < m->n; i++)
        m->node_ids[i] = nd[i]->id; /* the network is ordered by id */
    for (size_t i = 0; i < m->n; i++)
        for (size_t j = 0; j < m->n; j++) {
            int64_t *d = &m->dist_m[i * m->n + j], *t = &m->dur_s[i * m->n + j];
            if (i == j)
                *d = *t = 0;
            else if (!imported(cfg, nd[i]->id, nd[j]->id, d, t))
                estimate(net, cfg, nd[i]->loc, nd[j]->loc, d, t);
        }
    free(nd);
    return m;
}

struct logistics__nodemat *logistics__nodemat_get(struct logistics *lg,
                                                  const struct county_network *net,
                                                  const struct logistics_travel_cfg *cfg)
{
    uint64_t fp = fingerprint(net, cfg);
    if (!lg) {
        struct logistics__nodemat *m = nodemat_build(net, cfg, fp);
        m->refs = 1;
        return m;
    }
    pthread_mutex_lock(&lg->mu);
    for (size_t i = 0; i < lg->n_entries; i++) {
        struct logistics__nodemat *m = lg->entries[i];
        if (m->county_id == net->county.id && m->fingerprint == fp) {
            m->refs++;
            lg->hits++;
            pthread_mutex_unlock(&lg->mu);
            return m;
        }
    }
    lg->misses++;
    pthread_mutex_unlock(&lg->mu);
    /* Build outside the lock; two racing misses both build, the later wins. */
    struct logistics__nodemat *m = nodemat_build(net, cfg, fp);
    pthread_mutex_lock(&lg->mu);
    m->refs = 2; /* the cache's and the caller's */
    size_t i = 0;
    for (; i < lg->n_entries; i++)
        if (lg->entries[i]->county_id == m->county_id)
            break;
    if (i < lg->n_entries) {
        struct logistics__nodemat *old = lg->entries[i];
        lg->entries[i] = m;
        if (--old->refs == 0)
            nodemat_free(old);
    } else {
        xgrow((void **)&lg->entries, &lg->cap, lg->n_entries + 1, sizeof *lg->entries);
        lg->entries[lg->n_entries++] = m;
    }
    pthread_mutex_unlock(&lg->mu);
    return m;
}

void logistics__nodemat_put(struct logistics *lg, struct logistics__nodemat *m)
{
    if (!m)
        return;
    if (!lg) {
        nodemat_free(m);
        return;
    }
    pthread_mutex_lock(&lg->mu);
    bool last = --m->refs == 0;
    pthread_mutex_unlock(&lg->mu);
    if (last)
        nodemat_free(m);
}

/* ------------------------------------------------------------- settings */

int logistics__travel_load(struct store_conn *c, int64_t county_id,
                           struct logistics_travel_cfg *out, struct logistics_matrix_pair **pairs,
                           struct err *e)
{
    memset(out, 0, sizeof *out);
    out->road = GEO_ROAD_TOWNSHIP;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT circuity, road, speed_kmh, use_matrix, version FROM lg_travel "
                           "WHERE county_id = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    if ((rc = store_step(s, e)) == STORE_ROW) {
        out->circuity = store_col_double(s, 0);
        int64_t r = store_col_i64(s, 1);
        out->road = r >= 0 && r < GEO_ROAD_COUNT ? (enum geo_road_class)r : GEO_ROAD_TOWNSHIP;
        out->speed_kmh = store_col_double(s, 2);
        out->use_matrix = store_col_i64(s, 3) != 0;
        out->version = store_col_i64(s, 4);
    } else if (rc < 0) {
        return rc;
    }
    rc = store_prepare(c,
                       "SELECT from_node_id, to_node_id, dist_m, dur_s FROM lg_travel_matrix "
                       "WHERE county_id = ? ORDER BY from_node_id, to_node_id",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    size_t cap = 0, n = 0;
    struct logistics_matrix_pair *p = NULL;
    while ((rc = store_step(s, e)) == STORE_ROW) {
        if (!pairs) {
            n++;
            continue;
        }
        xgrow((void **)&p, &cap, n + 1, sizeof *p);
        p[n++] = (struct logistics_matrix_pair){store_col_i64(s, 0), store_col_i64(s, 1),
                                                store_col_i64(s, 2), store_col_i64(s, 3)};
    }
    if (rc < 0) {
        free(p);
        return rc;
    }
    out->matrix_pairs = (int64_t)n;
    if (pairs) {
        *pairs = p;
        out->pairs = p;
        out->n_pairs = n;
    }
    return 0;
}

struct tl {
    const struct auth_principal *who;
    struct logistics_travel_cfg *cfg;
    const struct logistics_matrix_pair *pairs;
    size_t n_pairs;
    bool import;
};

static int travel_read(struct store_conn *c, void *arg, struct err *e)
{
    struct tl *t = arg;
    return logistics__travel_load(c, t->who->county_id, t->cfg, NULL, e);
}

int logistics_travel_get(struct store *st, const struct auth_principal *who,
                         struct logistics_travel_cfg *out, struct err *e)
{
    if (!logistics__reads_county(who))
        return err_set(e, ERR_PERM, "only staff and auditors read travel settings");
    struct tl t = {.who = who, .cfg = out};
    return store_read(st, travel_read, &t, e);
}

static int travel_write(struct store_conn *c, void *arg, struct err *e)
{
    struct tl *t = arg;
    struct store_stmt *s;
    int64_t now = time_now_ms();
    int rc = store_prepare(c,
                           "INSERT INTO lg_travel (county_id, circuity, road, speed_kmh, "
                           "use_matrix, version, updated_ms) VALUES (?,?,?,?,?,1,?) "
                           "ON CONFLICT (county_id) DO UPDATE SET circuity = excluded.circuity, "
                           "road = excluded.road, speed_kmh = excluded.speed_kmh, "
                           "use_matrix = excluded.use_matrix, version = lg_travel.version + 1, "
                           "updated_ms = excluded.updated_ms",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, t->who->county_id);
    store_bind_double(s, 2, t->cfg->circuity);
    store_bind_i64(s, 3, t->cfg->road);
    store_bind_double(s, 4, t->cfg->speed_kmh);
    store_bind_i64(s, 5, t->cfg->use_matrix ? 1 : 0);
    store_bind_i64(s, 6, now);
    if ((rc = store_step(s, e)) < 0)
        return rc;
    if (t->import) {
        if ((rc = store_prepare(c, "DELETE FROM lg_travel_matrix WHERE county_id = ?", &s, e)))
            return rc;
        store_bind_i64(s, 1, t->who->county_id);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        for (size_t i = 0; i < t->n_pairs; i++) {
            if ((rc = store_prepare(c,
                                    "INSERT INTO lg_travel_matrix (county_id, from_node_id, "
                                    "to_node_id, dist_m, dur_s) VALUES (?,?,?,?,?) ON CONFLICT "
                                    "(county_id, from_node_id, to_node_id) DO UPDATE SET "
                                    "dist_m = excluded.dist_m, dur_s = excluded.dur_s",
                                    &s, e)))
                return rc;
            store_bind_i64(s, 1, t->who->county_id);
            store_bind_i64(s, 2, t->pairs[i].from_node_id);
            store_bind_i64(s, 3, t->pairs[i].to_node_id);
            store_bind_i64(s, 4, t->pairs[i].dist_m);
            store_bind_i64(s, 5, t->pairs[i].dur_s);
            if ((rc = store_step(s, e)) < 0)
                return rc;
        }
    }
    char detail[160];
    snprintf(detail, sizeof detail,
             "{\"circuity\":%g,\"road\":\"%s\",\"speed_kmh\":%g,\"use_matrix\":%s,\"pairs\":%zu}",
             t->cfg->circuity, geo_road_class_name(t->cfg->road), t->cfg->speed_kmh,
             t->cfg->use_matrix ? "true" : "false", t->n_pairs);
    return logistics__audit(c, t->who, t->import ? "travel.import" : "travel.set", "travel",
                            t->who->county_id, detail, e);
}

static int check_cfg(const struct logistics_travel_cfg *in, struct err *e)
{
    if (!(in->circuity == 0 ||
          (in->circuity >= GEO_CIRCUITY_MIN && in->circuity <= GEO_CIRCUITY_MAX)))
        return err_set(e, ERR_INVAL, "circuity must be 0 (the county's) or in [1, 4]");
    if ((unsigned)in->road >= GEO_ROAD_COUNT)
        return err_set(e, ERR_INVAL, "unknown road class");
    if (!(in->speed_kmh >= 0 && in->speed_kmh <= 150))
        return err_set(e, ERR_INVAL, "speed_kmh must be 0 (the class's) or in (0, 150]");
    return 0;
}

int logistics_travel_set(struct store *st, const struct auth_principal *who,
                         const struct logistics_travel_cfg *in, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (!rc)
        rc = check_cfg(in, e);
    if (rc)
        return rc;
    struct logistics_travel_cfg cfg = *in;
    struct tl t = {.who = who, .cfg = &cfg};
    return store_write(st, travel_write, &t, e);
}

/* One CSV field (no quotes needed: all numbers) as int64. */
static int csv_i64(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    while (*p < end && **p != ',' && **p != '\n' && **p != '\r')
        (*p)++;
    return str_to_i64((struct str){s, (size_t)(*p - s)}, out);
}

int logistics_travel_import_csv(struct store *st, const struct auth_principal *who, const char *csv,
                                size_t len, int64_t *rows, struct err *e)
{
    int rc = logistics__need_staff(who, e);
    if (rc)
        return rc;
    if (len > 64u * 1024 * 1024)
        return err_set(e, ERR_TOOBIG, "matrix file over 64 MiB");
    struct county_network net;
    if ((rc = county_network_load(st, who, &net, e)))
        return rc;
    const char *p = csv, *end = csv + len;
    const char *nl = memchr(p, '\n', len);
    const char *hend = nl ? nl : end;
    struct str hdr = {p, (size_t)(hend - p)};
    if (hdr.len && hdr.ptr[hdr.len - 1] == '\r')
        hdr.len--;
    if (!str_eq(hdr, "from_node_id,to_node_id,dist_m,dur_s")) {
        county_network_release(&net);
        return err_set(e, ERR_INVAL, "line 1: header must be from_node_id,to_node_id,dist_m,dur_s");
    }
    p = nl ? nl + 1 : end;
    struct logistics_matrix_pair *pairs = NULL;
    size_t n = 0, cap = 0;
    int line = 1;
    rc = 0;
    while (p < end && !rc) {
        line++;
        if (*p == '\n' || *p == '\r') {
            p++;
            continue;
        }
        int64_t v[4];
        for (int k = 0; k < 4 && !rc; k++) {
            if (csv_i64(&p, end, &v[k]))
                rc = err_set(e, ERR_INVAL, "line %d: field %d is not an integer", line, k + 1);
            else if (k < 3 && (p >= end || *p != ','))
                rc = err_set(e, ERR_INVAL, "line %d: expected 4 fields", line);
            else if (k < 3)
                p++;
        }
        if (rc)
            break;
        while (p < end && *p == '\r')
            p++;
        if (p < end && *p != '\n') {
            rc = err_set(e, ERR_INVAL, "line %d: expected 4 fields", line);
            break;
        }
        if (p < end)
            p++;
        if (v[2] < 0 || v[3] < 0 || v[2] > INT64_C(10000000) || v[3] > INT64_C(864000)) {
            rc =
                err_set(e, ERR_INVAL, "line %d: dist_m and dur_s must be >= 0 and plausible", line);
            break;
        }
        bool fa = false, fb = false;
        for (size_t i = 0; i < net.n_nodes; i++) {
            fa |= net.nodes[i].id == v[0];
            fb |= net.nodes[i].id == v[1];
        }
        if (!fa || !fb) {
            rc = err_set(e, ERR_INVAL, "line %d: node %lld does not exist in this county", line,
                         (long long)(fa ? v[1] : v[0]));
            break;
        }
        if (n >= 1000000) {
            rc = err_set(e, ERR_TOOBIG, "more than 1,000,000 pairs");
            break;
        }
        xgrow((void **)&pairs, &cap, n + 1, sizeof *pairs);
        pairs[n++] = (struct logistics_matrix_pair){v[0], v[1], v[2], v[3]};
    }
    county_network_release(&net);
    if (!rc && n == 0)
        rc = err_set(e, ERR_INVAL, "the matrix has no rows");
    if (!rc) {
        struct logistics_travel_cfg cfg;
        struct tl t0 = {.who = who, .cfg = &cfg};
        rc = store_read(st, travel_read, &t0, e);
        if (!rc) {
            cfg.use_matrix = true;
            struct tl t = {.who = who, .cfg = &cfg, .pairs = pairs, .n_pairs = n, .import = true};
            rc = store_write(st, travel_write, &t, e);
        }
    }
    free(pairs);
    if (!rc && rows)
        *rows = (int64_t)n;
    return rc;
}
