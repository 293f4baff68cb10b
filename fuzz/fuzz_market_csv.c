/*
** fuzz_market_csv.c: libFuzzer target for the catalog's bulk CSV import
** (market_products_import_csv), run as the admin of a demo county on a
** real store. Any input must be imported or refused without a crash, a
** leak or reading past its end, and:
**   - a refused import changes nothing (all or nothing);
**   - every reported error names a data row the input has;
**   - an import that succeeds reports no errors, and then the catalog's
**     export (market_products_export_csv) imports again as updates only
**     and exports to the same text: export and import agree on every field
**     the import accepted.
** The store lives in a temporary folder for the run (removed at exit).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "demo/demo.h"
#include "market/market.h"
#include "schema/schema.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Past this many products the round trip (an export of the whole catalog)
** would slow every run: only the all-or-nothing checks go on. */
#define ROUND_TRIP_MAX_PRODUCTS 400

static struct store *g_st;
static struct auth_principal g_admin;
static char g_dir[64];

static void cleanup(void)
{
    store_close(g_st);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_market_csv: could not remove %s\n", g_dir);
}

static void die(const char *what, const struct err *e)
{
    fprintf(stderr, "fuzz_market_csv: %s: %s\n", what, e->msg);
    abort();
}

static int find_admin(struct store_conn *c, void *arg, struct err *e)
{
    struct auth_principal *p = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT id, county_id FROM users WHERE name = 'admin'", &s, e);
    if (rc)
        return rc;
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_NOTFOUND, "the demo has no admin");
    p->user_id = store_col_i64(s, 0);
    p->county_id = store_col_i64(s, 1);
    return 0;
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/rl-fuzzcsv-XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(g_dir))
        abort();
    char path[96];
    snprintf(path, sizeof path, "%s/f.db", g_dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.synchronous_full = false; /* durability is not what is fuzzed */
    struct err e = {0};
    if (store_open(&g_st, &cfg, &e) || schema_register_all(g_st, &e) || store_migrate(g_st, &e))
        die("store", &e);
    if (demo_seed(g_st, NULL, &e))
        die("demo", &e);
    g_admin.role = AUTH_ROLE_ADMIN;
    snprintf(g_admin.name, sizeof g_admin.name, "admin");
    if (store_read(g_st, find_admin, &g_admin, &e))
        die("admin", &e);
    atexit(cleanup);
}

/* What a write to the catalog would change: a digest of every product row
** (SQLite computes it; a rolled-back import must leave it as it was). */
struct digest {
    int64_t count;
    char sum[160];   /* of every field the CSV carries */
    int64_t updated; /* the latest updated_ms */
};

static int digest_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct digest *d = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT count(*), total(price_fen), total(weight_g + volume_ml),"
                           " total(length(sku || name_zh || name_en || story_zh || story_en ||"
                           " category || unit || tags || images || brand)),"
                           " total(temp_min_c + temp_max_c + rh_min_pct + rh_max_pct),"
                           " total(shelf_life_days + signature + active), max(updated_ms),"
                           " total(producer_id * 7 + village_id)"
                           " FROM market_products",
                           &s, e);
    if (rc)
        return rc;
    if ((rc = store_step(s, e)) != STORE_ROW)
        return rc < 0 ? rc : err_set(e, ERR_INTERNAL, "no digest row");
    d->count = store_col_i64(s, 0);
    snprintf(d->sum, sizeof d->sum, "%s/%s/%s/%s/%s/%s", store_col_text(s, 1), store_col_text(s, 2),
             store_col_text(s, 3), store_col_text(s, 4), store_col_text(s, 5),
             store_col_text(s, 7));
    d->updated = store_col_i64(s, 6);
    return 0;
}

static struct digest digest(void)
{
    struct digest d;
    struct err e = {0};
    if (store_read(g_st, digest_fn, &d, &e))
        die("digest", &e);
    return d;
}

static void export(struct strbuf *out)
{
    struct err e = {0};
    strbuf_reset(out);
    if (market_products_export_csv(g_st, &g_admin, out, &e))
        die("export", &e);
}

/* Export, import that, export again: the same text, updates only, and
** every stored field as it was (an export that rounded a value would
** change it here). */
static void round_trip(void)
{
    struct digest before = digest();
    struct strbuf a, b;
    strbuf_init(&a, 0);
    strbuf_init(&b, 0);
    export(&a);
    struct arena ar;
    arena_init(&ar, 16 * 1024);
    struct market_csv_result res;
    struct err e = {0};
    int rc = market_products_import_csv(g_st, &g_admin, strbuf_str(&a), a.len, &ar, &res, &e);
    if (rc) {
        fprintf(stderr, "the catalog's own export was refused: %s\n", e.msg);
        for (size_t i = 0; i < res.nerrors; i++)
            fprintf(stderr, "  row %lld: %s\n", (long long)res.errors[i].row, res.errors[i].msg);
        abort();
    }
    struct digest after = digest();
    if (res.created != 0 || after.count != before.count || strcmp(after.sum, before.sum) != 0) {
        fprintf(stderr, "re-importing the export changed the catalog: %s -> %s\n", before.sum,
                after.sum);
        abort();
    }
    export(&b);
    if (a.len != b.len || memcmp(strbuf_str(&a), strbuf_str(&b), a.len) != 0) {
        fprintf(stderr, "export, import, export gave another text\n");
        abort();
    }
    arena_release(&ar);
    strbuf_release(&a);
    strbuf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_st)
        setup();
    /* a private copy so reads past the end are caught by ASan */
    char *buf = malloc(size ? size : 1);
    if (size)
        memcpy(buf, data, size);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += buf[i] == '\n' || buf[i] == '\r';
    struct digest before = digest();
    struct arena a;
    arena_init(&a, 16 * 1024);
    struct market_csv_result res;
    struct err e = {0};
    int rc = market_products_import_csv(g_st, &g_admin, buf, size, &a, &res, &e);
    for (size_t i = 0; i < res.nerrors; i++)
        if (res.errors[i].row < 1 || (size_t)res.errors[i].row >= lines)
            abort();
    if (rc) {
        struct digest after = digest();
        if (!e.msg[0] || res.created || res.updated || after.count != before.count ||
            strcmp(after.sum, before.sum) != 0 || after.updated != before.updated)
            abort();
    } else {
        if (res.nerrors || res.created < 0 || res.updated < 0)
            abort();
        if (res.created + res.updated > 0 && digest().count <= ROUND_TRIP_MAX_PRODUCTS)
            round_trip();
    }
    arena_release(&a);
    free(buf);
    return 0;
}
