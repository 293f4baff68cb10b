/*
** infra.c: the tables the store itself owns (module "store" in
** schema_migrations) and the small functions over them: the audit log,
** written inside the write it describes, and the idempotency records the
** HTTP layer keeps so that a retried POST with the same Idempotency-Key gets
** the first answer instead of a second effect.
*/
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

const struct store_migration store__own_migrations[] = {
    {1, "schema_migrations, audit_log, idempotency_keys",
     "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
     "  module TEXT NOT NULL,\n"
     "  version INTEGER NOT NULL,\n"
     "  name TEXT NOT NULL,\n"
     "  applied_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (module, version)\n"
     ");\n"
     "CREATE TABLE audit_log (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  county_id INTEGER NOT NULL,\n"
     "  actor_user_id INTEGER NOT NULL,\n"
     "  ts_ms INTEGER NOT NULL,\n"
     "  action TEXT NOT NULL,\n"
     "  entity TEXT NOT NULL,\n"
     "  entity_id INTEGER NOT NULL,\n"
     "  detail TEXT\n"
     ");\n"
     "CREATE INDEX audit_log_county_ts ON audit_log (county_id, ts_ms);\n"
     "CREATE TABLE idempotency_keys (\n"
     "  county_id INTEGER NOT NULL,\n"
     "  user_id INTEGER NOT NULL,\n"
     "  key TEXT NOT NULL,\n"
     "  method TEXT NOT NULL,\n"
     "  path TEXT NOT NULL,\n"
     "  status INTEGER NOT NULL,\n"
     "  body TEXT NOT NULL,\n"
     "  created_ms INTEGER NOT NULL,\n"
     "  PRIMARY KEY (county_id, user_id, key)\n"
     ");\n"
     "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);\n",
     "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
     "  module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,\n"
     "  applied_ms BIGINT NOT NULL, PRIMARY KEY (module, version));\n"
     "CREATE TABLE audit_log (\n"
     "  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
     "  county_id BIGINT NOT NULL, actor_user_id BIGINT NOT NULL, ts_ms BIGINT NOT NULL,\n"
     "  action TEXT NOT NULL, entity TEXT NOT NULL, entity_id BIGINT NOT NULL, detail TEXT);\n"
     "CREATE INDEX audit_log_county_ts ON audit_log (county_id, ts_ms);\n"
     "CREATE TABLE idempotency_keys (\n"
     "  county_id BIGINT NOT NULL, user_id BIGINT NOT NULL, key TEXT NOT NULL,\n"
     "  method TEXT NOT NULL, path TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,\n"
     "  created_ms BIGINT NOT NULL, PRIMARY KEY (county_id, user_id, key));\n"
     "CREATE INDEX idempotency_keys_created ON idempotency_keys (created_ms);\n"},
};
const size_t store__own_migrations_len = RL_ARRAY_LEN(store__own_migrations);

/* ------------------------------------------------------------------- audit */

int store_audit(struct store_conn *c, int64_t county_id, int64_t actor_user_id, const char *action,
                const char *entity, int64_t entity_id, const char *detail_json, struct err *e)
{
    if (!action || !entity)
        return err_set(e, ERR_INVAL, "store_audit: action and entity are required");
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO audit_log (county_id, actor_user_id, ts_ms, action, "
                           "entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, actor_user_id);
    store_bind_i64(s, 3, time_now_ms());
    store_bind_text(s, 4, action, -1);
    store_bind_text(s, 5, entity, -1);
    store_bind_i64(s, 6, entity_id);
    store_bind_text(s, 7, detail_json, -1); /* NULL binds SQL NULL */
    rc = store_step(s, e);
    return rc < 0 ? err_prefix(e, "audit: ") : 0;
}

/* ------------------------------------------------------------- idempotency */

int store_idem_get(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                   const char *method, const char *path, struct store_idem *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT method, path, status, body, created_ms FROM idempotency_keys "
                           "WHERE county_id = ? AND user_id = ? AND key = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, user_id);
    store_bind_text(s, 3, key, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc == STORE_DONE)
        return err_set(e, ERR_NOTFOUND, "no answer recorded for this Idempotency-Key");
    if (strcmp(store_col_text(s, 0), method) != 0 || strcmp(store_col_text(s, 1), path) != 0)
        return err_set(e, ERR_CONFLICT, "Idempotency-Key was already used for %s %s",
                       store_col_text(s, 0), store_col_text(s, 1));
    out->status = (int)store_col_i64(s, 2);
    size_t n;
    const void *body = store_col_blob(s, 3, &n);
    out->body = xmalloc(n + 1);
    if (n)
        memcpy(out->body, body, n);
    out->body[n] = '\0';
    out->body_len = n;
    out->created_ms = store_col_i64(s, 4);
    return 0;
}

int store_idem_put(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                   const char *method, const char *path, int status, const char *body,
                   size_t body_len, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO idempotency_keys (county_id, user_id, key, method, path, "
                           "status, body, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, user_id);
    store_bind_text(s, 3, key, -1);
    store_bind_text(s, 4, method, -1);
    store_bind_text(s, 5, path, -1);
    store_bind_i64(s, 6, status);
    store_bind_text(s, 7, body ? body : "", body ? (ptrdiff_t)body_len : 0);
    store_bind_i64(s, 8, time_now_ms());
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

int store_idem_finish(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                      int status, const char *body, size_t body_len, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "UPDATE idempotency_keys SET status = ?, body = ? WHERE county_id = ? "
                           "AND user_id = ? AND key = ? AND status = 0",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, status);
    store_bind_text(s, 2, body ? body : "", body ? (ptrdiff_t)body_len : 0);
    store_bind_i64(s, 3, county_id);
    store_bind_i64(s, 4, user_id);
    store_bind_text(s, 5, key, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_changes(c) == 1 ? 0 : err_set(e, ERR_NOTFOUND, "no claim on this key");
}

int store_idem_unclaim(struct store_conn *c, int64_t county_id, int64_t user_id, const char *key,
                       struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "DELETE FROM idempotency_keys WHERE county_id = ? AND user_id = ? "
                           "AND key = ? AND status = 0",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, county_id);
    store_bind_i64(s, 2, user_id);
    store_bind_text(s, 3, key, -1);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

int store_idem_prune(struct store_conn *c, int64_t before_ms, int64_t *deleted, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, "DELETE FROM idempotency_keys WHERE created_ms < ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, before_ms);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (deleted)
        *deleted = store_changes(c);
    return 0;
}

void store_idem_release(struct store_idem *r)
{
    if (r) {
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
    }
}
