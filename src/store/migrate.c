/*
** migrate.c: applies numbered per-module migrations. The store's own module
** ("store": schema_migrations, audit_log, idempotency_keys) goes first, then
** every module in registration order. For each module it reads the versions
** already recorded in schema_migrations, refuses a database that records a
** version newer than the code knows (an older binary must not write to a
** newer schema), and applies each missing migration as a request of its own
** on the writer thread, i.e. in its own transaction: the migration's SQL and
** its schema_migrations row commit together or not at all.
*/
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

struct recorded {
    const char *module;
    int *versions;
    size_t n, cap;
    int max;
};

static int read_recorded(struct store_conn *c, void *arg, struct err *e)
{
    struct recorded *r = arg;
    struct store_stmt *s;
    /* A brand-new database has no schema_migrations yet. */
    int rc = store_prepare(c,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'schema_migrations'",
                           &s, e);
    if (rc)
        return rc;
    rc = store_step(s, e);
    if (rc <= 0)
        return rc;
    rc = store_prepare(c,
                       "SELECT version FROM schema_migrations WHERE module = ? "
                       "ORDER BY version",
                       &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, r->module, -1);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        int v = (int)store_col_i64(s, 0);
        xgrow((void **)&r->versions, &r->cap, r->n + 1, sizeof *r->versions);
        r->versions[r->n++] = v;
        if (v > r->max)
            r->max = v;
    }
    return rc;
}

struct apply {
    const char *module;
    const struct store_migration *m;
};

static int apply_one(struct store_conn *c, void *arg, struct err *e)
{
    struct apply *a = arg;
    struct store_stmt *s;
    /* Checked again inside the transaction: two processes may race. */
    int rc = store_prepare(c,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'schema_migrations'",
                           &s, e);
    if (rc)
        return rc;
    if ((rc = store_step(s, e)) < 0)
        return rc;
    bool have_table = rc == STORE_ROW;
    /* Step every lookup to its end: a statement still open on the
    ** connection makes a migration's DROP INDEX/TABLE fail ("locked"). */
    while (rc == STORE_ROW)
        rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (have_table) {
        rc = store_prepare(c, "SELECT 1 FROM schema_migrations WHERE module = ? AND version = ?",
                           &s, e);
        if (rc)
            return rc;
        store_bind_text(s, 1, a->module, -1);
        store_bind_i64(s, 2, a->m->version);
        if ((rc = store_step(s, e)) < 0)
            return rc;
        if (rc == STORE_ROW)
            return 0; /* already there */
    }
    rc = store_exec(c, a->m->sql, e);
    if (rc)
        return rc;
    rc = store_prepare(c,
                       "INSERT INTO schema_migrations (module, version, name, applied_ms) "
                       "VALUES (?, ?, ?, ?)",
                       &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, a->module, -1);
    store_bind_i64(s, 2, a->m->version);
    store_bind_text(s, 3, a->m->name, -1);
    store_bind_i64(s, 4, time_now_ms());
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static bool has_version(const struct recorded *r, int v)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->versions[i] == v)
            return true;
    }
    return false;
}

static int migrate_module(struct store *st, const char *module, const struct store_migration *m,
                          size_t n, struct err *e)
{
    struct recorded r = {.module = module};
    int rc = store__write_solo(st, read_recorded, &r, e);
    if (rc) {
        free(r.versions);
        return err_prefix(e, "reading schema_migrations: ");
    }
    int known = n ? m[n - 1].version : 0;
    if (r.max > known) {
        free(r.versions);
        return err_set(e, ERR_CONFLICT,
                       "database has schema version %d of module '%s', but this build knows "
                       "only up to %d: use the newer ruralink that wrote it (refusing to touch "
                       "a newer schema)",
                       r.max, module, known);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (has_version(&r, m[i].version))
            continue;
        struct apply a = {module, &m[i]};
        rc = store__write_solo(st, apply_one, &a, e);
        if (rc) {
            err_prefix(e, "migration %s/%d (%s): ", module, m[i].version, m[i].name);
        } else {
            char q[128];
            log_write(store__log(st), LOG_INFO, "store.migrate", "module=%s version=%d name=%s",
                      module, m[i].version, log_quote(q, sizeof q, m[i].name));
        }
    }
    free(r.versions);
    return rc;
}

int store__migrate_own(struct store *st, struct err *e)
{
    return migrate_module(st, "store", store__own_migrations, store__own_migrations_len, e);
}

int store_migrate(struct store *st, struct err *e)
{
    int rc = store__migrate_own(st, e);
    const struct store_module *mods;
    size_t n;
    store__modules(st, &mods, &n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = migrate_module(st, mods[i].name, mods[i].m, mods[i].n, e);
    return rc;
}
