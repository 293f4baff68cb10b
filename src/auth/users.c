/*
** users.c: user accounts and devices: validation, creation, reads, changes.
** Every change is one store_write that also appends its audit row, so the
** record of who did it commits or rolls back with the change. Password
** hashing (Argon2id, ~0.1 s) happens before the write is queued, never on the
** writer thread.
*/
#include "auth/auth_int.h"

#include <string.h>

bool auth_name_valid(const char *name)
{
    if (!name || !name[0])
        return false;
    size_t i = 0;
    for (; name[i]; i++) {
        char ch = name[i];
        if (i >= 63)
            return false;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '@' || ch == '-'))
            return false;
    }
    return true;
}

int auth__password_check(const char *name, const char *password, struct err *e)
{
    if (!password)
        return err_set(e, ERR_INVAL, "a password is required");
    size_t n = strlen(password);
    if (n < 8)
        return err_set(e, ERR_INVAL, "password too short: at least 8 characters");
    if (n > 1024)
        return err_set(e, ERR_INVAL, "password too long: at most 1024 bytes");
    if (name && strcmp(name, password) == 0)
        return err_set(e, ERR_INVAL, "password must differ from the login name");
    if (!utf8_valid(password, n))
        return err_set(e, ERR_INVAL, "password must be UTF-8");
    return 0;
}

int auth__password_hash(const char *password, char out[crypto_pwhash_STRBYTES], struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return err_set(e, ERR_INTERNAL, "password hashing ran out of memory");
    return 0;
}

static int display_name_check(const char *d, struct err *e)
{
    if (!d)
        return 0;
    size_t n = strlen(d);
    if (n > 127)
        return err_set(e, ERR_INVAL, "display_name too long: at most 127 bytes");
    if (!utf8_valid(d, n))
        return err_set(e, ERR_INVAL, "display_name must be UTF-8");
    return 0;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Audit detail {"name":..., "role":...}. */
static void user_detail(struct strbuf *d, const char *name, const char *role)
{
    strbuf_init(d, 4096);
    strbuf_addch(d, '{');
    auth__json_kv(d, "name", name, false);
    if (role)
        auth__json_kv(d, "role", role, true);
    strbuf_addch(d, '}');
}

/* -------------------------------------------------------------------- add */

struct add_ctx {
    const struct auth_user_new *u;
    const char *hash;
    int64_t actor_id;
    int64_t now;
    int64_t id;
};

static int add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct add_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO users (county_id, name, display_name, role, password_hash,"
                           " disabled, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
                           " RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->u->county_id);
    store_bind_text(s, 2, x->u->name, -1);
    if (x->u->display_name)
        store_bind_text(s, 3, x->u->display_name, -1);
    else
        store_bind_null(s, 3);
    store_bind_text(s, 4, auth_role_name(x->u->role), -1);
    store_bind_text(s, 5, x->hash, -1);
    store_bind_i64(s, 6, x->now);
    store_bind_i64(s, 7, x->now);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a user named '%s' already exists", x->u->name);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "INSERT INTO users returned no id");
    x->id = store_col_i64(s, 0);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    struct strbuf d;
    user_detail(&d, x->u->name, auth_role_name(x->u->role));
    rc = store_audit(c, x->u->county_id, x->actor_id, "user.create", "user", x->id, strbuf_str(&d),
                     e);
    strbuf_release(&d);
    return rc;
}

int auth_user_add(struct store *st, const struct auth_principal *actor,
                  const struct auth_user_new *u, int64_t *id_out, struct err *e)
{
    if (!u || !auth_name_valid(u->name))
        return err_set(e, ERR_INVAL,
                       "name must be 1-63 characters of letters, digits, '.', '_', '@', '-'");
    if (auth_role_name(u->role) == NULL || u->role == AUTH_ROLE_DEVICE)
        return err_set(e, ERR_INVAL,
                       "role must be one of admin, operator, merchant, driver,"
                       " auditor, trainer, buyer");
    if (u->county_id <= 0)
        return err_set(e, ERR_INVAL, "county_id must be a positive integer");
    int rc = display_name_check(u->display_name, e);
    if (rc)
        return rc;
    rc = auth__password_check(u->name, u->password, e);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    rc = auth__password_hash(u->password, hash, e);
    if (rc)
        return rc;
    struct add_ctx x = {u, hash, actor ? actor->user_id : 0, time_now_ms(), 0};
    rc = store_write(st, add_fn, &x, e);
    if (rc == 0 && id_out)
        *id_out = x.id;
    return rc;
}

/* ------------------------------------------------------------------- reads */

#define USER_COLS "id, county_id, role, disabled, name, display_name, created_ms, updated_ms"

static int user_row(struct store_stmt *s, struct auth_user *u, struct err *e)
{
    memset(u, 0, sizeof *u);
    u->id = store_col_i64(s, 0);
    u->county_id = store_col_i64(s, 1);
    if (auth_role_parse(store_col_text(s, 2), &u->role))
        return err_set(e, ERR_INTERNAL, "user %lld has an unknown role", (long long)u->id);
    u->disabled = store_col_i64(s, 3) != 0;
    copy_str(u->name, sizeof u->name, store_col_text(s, 4));
    copy_str(u->display_name, sizeof u->display_name, store_col_text(s, 5));
    u->created_ms = store_col_i64(s, 6);
    u->updated_ms = store_col_i64(s, 7);
    return 0;
}

struct get_ctx {
    int64_t county_id, id;
    struct auth_user *out;
};

int auth_user_load(struct store_conn *c, int64_t county_id, int64_t id, struct auth_user *out,
                   struct err *e)
{
    struct store_stmt *s;
    int rc = store_step2(c, "SELECT " USER_COLS " FROM users WHERE county_id = ? AND id = ?",
                         county_id, id, &s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no user %lld", (long long)id);
    return user_row(s, out, e);
}

int auth_user_standing(struct store_conn *c, int64_t county_id, int64_t id, enum auth_role *role,
                       bool *disabled, struct err *e)
{
    struct store_stmt *s;
    int rc = store_step2(c, "SELECT role, disabled FROM users WHERE county_id = ? AND id = ?",
                         county_id, id, &s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no user %lld", (long long)id);
    if (auth_role_parse(store_col_text(s, 0), role))
        return err_set(e, ERR_INTERNAL, "user %lld has an unknown role", (long long)id);
    *disabled = store_col_i64(s, 1) != 0;
    return 0;
}

static int get_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct get_ctx *x = arg;
    return auth_user_load(c, x->county_id, x->id, x->out, e);
}

int auth_user_get(struct store *st, int64_t county_id, int64_t id, struct auth_user *out,
                  struct err *e)
{
    struct get_ctx x = {county_id, id, out};
    return store_read(st, get_fn, &x, e);
}

struct find_ctx {
    const char *name;
    struct auth_user *out;
};

static int find_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct find_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT " USER_COLS " FROM users WHERE name = ?", &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, x->name, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no user named '%s'", x->name);
    return user_row(s, x->out, e);
}

int auth_user_find(struct store *st, const char *name, struct auth_user *out, struct err *e)
{
    if (!auth_name_valid(name))
        return err_set(e, ERR_NOTFOUND, "no user named '%s'", name ? name : "");
    struct find_ctx x = {name, out};
    return store_read(st, find_fn, &x, e);
}

struct list_ctx {
    int64_t county_id, after_id;
    struct auth_user *out;
    struct auth_device *dev;
    size_t cap, n;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           x->county_id < 0
                               ? "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?"
                               : "SELECT " USER_COLS " FROM users WHERE county_id = ? AND id > ?"
                                 " ORDER BY id LIMIT ?",
                           &s, e);
    if (rc)
        return rc;
    int i = 1;
    if (x->county_id >= 0)
        store_bind_i64(s, i++, x->county_id);
    store_bind_i64(s, i++, x->after_id);
    store_bind_i64(s, i, (int64_t)x->cap);
    x->n = 0;
    while ((rc = store_step(s, e)) == STORE_ROW && x->n < x->cap) {
        rc = user_row(s, &x->out[x->n], e);
        if (rc)
            return rc;
        x->n++;
    }
    return rc < 0 ? rc : 0;
}

int auth_user_list(struct store *st, int64_t county_id, int64_t after_id, struct auth_user *out,
                   size_t cap, size_t *n_out, struct err *e)
{
    struct list_ctx x = {county_id, after_id, out, NULL, cap, 0};
    *n_out = 0;
    if (cap == 0)
        return 0;
    int rc = store_read(st, list_fn, &x, e);
    if (rc == 0)
        *n_out = x.n;
    return rc;
}

/* ------------------------------------------------------------------ update */

struct update_ctx {
    int64_t county_id, id, actor_id, now;
    const struct auth_user_patch *p;
    const char *hash; /* new password hash or NULL */
    struct auth_user *out;
};

static int exec_bound(struct store_conn *c, const char *sql, int64_t a1, int64_t a2, struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c, sql, &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, a1);
    store_bind_i64(s, 2, a2);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

static int update_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct update_ctx *x = arg;
    struct auth_user before;
    struct get_ctx g = {x->county_id, x->id, &before};
    int rc = get_fn(c, &g, e);
    if (rc)
        return rc;
    const struct auth_user_patch *p = x->p;
    struct store_stmt *s;
    rc = store_prepare(c,
                       "UPDATE users SET role = COALESCE(?, role),"
                       " password_hash = COALESCE(?, password_hash),"
                       " display_name = CASE WHEN ? = 1 THEN ? ELSE display_name END,"
                       " disabled = COALESCE(?, disabled), updated_ms = ?"
                       " WHERE id = ? AND county_id = ?",
                       &s, e);
    if (rc)
        return rc;
    if (p->role)
        store_bind_text(s, 1, auth_role_name(*p->role), -1);
    else
        store_bind_null(s, 1);
    if (x->hash)
        store_bind_text(s, 2, x->hash, -1);
    else
        store_bind_null(s, 2);
    store_bind_i64(s, 3, p->display_name != NULL);
    if (p->display_name && p->display_name[0])
        store_bind_text(s, 4, p->display_name, -1);
    else
        store_bind_null(s, 4);
    if (p->disabled >= 0)
        store_bind_i64(s, 5, p->disabled ? 1 : 0);
    else
        store_bind_null(s, 5);
    store_bind_i64(s, 6, x->now);
    store_bind_i64(s, 7, x->id);
    store_bind_i64(s, 8, x->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;

    /* The county must keep an enabled admin. */
    if (before.role == AUTH_ROLE_ADMIN && !before.disabled) {
        rc = store_prepare(c,
                           "SELECT COUNT(*) FROM users WHERE county_id = ? AND role = 'admin'"
                           " AND disabled = 0",
                           &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, x->county_id);
        rc = store_step(s, e);
        if (rc < 0)
            return rc;
        if (rc == STORE_ROW && store_col_i64(s, 0) == 0)
            return err_set(e, ERR_CONFLICT,
                           "the county's last admin cannot be demoted or disabled");
    }

    bool disabling = p->disabled == 1 && !before.disabled;
    if (x->hash || disabling) {
        rc = exec_bound(c,
                        "UPDATE auth_tokens SET revoked_ms = ? WHERE user_id = ?"
                        " AND revoked_ms IS NULL",
                        x->now, x->id, e);
        if (rc)
            return rc;
    }

    struct strbuf d;
    strbuf_init(&d, 4096);
    strbuf_addch(&d, '{');
    auth__json_kv(&d, "name", before.name, false);
    if (p->role) {
        auth__json_kv(&d, "role_from", auth_role_name(before.role), true);
        auth__json_kv(&d, "role_to", auth_role_name(*p->role), true);
    }
    if (x->hash)
        strbuf_addstr(&d, ",\"password\":\"changed\"");
    if (p->disabled >= 0)
        strbuf_addf(&d, ",\"disabled\":%s", p->disabled ? "true" : "false");
    if (p->display_name)
        auth__json_kv(&d, "display_name", p->display_name, true);
    strbuf_addch(&d, '}');
    rc = store_audit(c, x->county_id, x->actor_id, "user.update", "user", x->id, strbuf_str(&d), e);
    strbuf_release(&d);
    if (rc)
        return rc;
    return x->out ? get_fn(c, &(struct get_ctx){x->county_id, x->id, x->out}, e) : 0;
}

int auth_user_update(struct auth *a, struct store *st, const struct auth_principal *actor,
                     int64_t county_id, int64_t id, const struct auth_user_patch *p,
                     struct auth_user *out, struct err *e)
{
    if (!p)
        return err_set(e, ERR_INVAL, "nothing to change");
    if (p->role && (auth_role_name(*p->role) == NULL || *p->role == AUTH_ROLE_DEVICE))
        return err_set(e, ERR_INVAL,
                       "role must be one of admin, operator, merchant, driver,"
                       " auditor, trainer, buyer");
    if (p->disabled > 1)
        return err_set(e, ERR_INVAL, "disabled must be true or false");
    int rc = display_name_check(p->display_name, e);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if (p->password) {
        /* The name is needed for the "differs from name" rule. */
        struct auth_user cur;
        rc = auth_user_get(st, county_id, id, &cur, e);
        if (rc)
            return rc;
        rc = auth__password_check(cur.name, p->password, e);
        if (rc)
            return rc;
        rc = auth__password_hash(p->password, hash, e);
        if (rc)
            return rc;
    }
    struct update_ctx x = {county_id,
                           id,
                           actor ? actor->user_id : 0,
                           a ? auth_now_ms(a) : time_now_ms(),
                           p,
                           p->password ? hash : NULL,
                           out};
    rc = store_write(st, update_fn, &x, e);
    auth__cache_forget_user(a, id);
    return rc;
}

/* ----------------------------------------------------------------- devices */

static int dev_row(struct store_stmt *s, struct auth_device *d);

struct dev_ctx {
    int64_t county_id, actor_id, now;
    const char *name, *kind, *hash_hex;
    struct auth_device *out;
};

static int dev_add_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct dev_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO devices (county_id, name, kind, disabled, created_by,"
                           " created_ms) VALUES (?, ?, ?, 0, ?, ?) RETURNING id",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->county_id);
    store_bind_text(s, 2, x->name, -1);
    store_bind_text(s, 3, x->kind, -1);
    store_bind_i64(s, 4, x->actor_id);
    store_bind_i64(s, 5, x->now);
    rc = store_step(s, e);
    if (rc == ERR_EXISTS)
        return err_set(e, ERR_EXISTS, "a device named '%s' already exists", x->name);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_DB, "INSERT INTO devices returned no id");
    int64_t id = store_col_i64(s, 0);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    rc = auth__token_insert(c, x->hash_hex, x->county_id, 0, id, x->now, 0, e);
    if (rc)
        return rc;
    struct strbuf d;
    strbuf_init(&d, 4096);
    strbuf_addch(&d, '{');
    auth__json_kv(&d, "name", x->name, false);
    auth__json_kv(&d, "kind", x->kind, true);
    strbuf_addch(&d, '}');
    rc =
        store_audit(c, x->county_id, x->actor_id, "device.create", "device", id, strbuf_str(&d), e);
    strbuf_release(&d);
    if (rc)
        return rc;
    memset(x->out, 0, sizeof *x->out);
    x->out->id = id;
    x->out->county_id = x->county_id;
    copy_str(x->out->name, sizeof x->out->name, x->name);
    copy_str(x->out->kind, sizeof x->out->kind, x->kind);
    x->out->created_ms = x->now;
    return 0;
}

int auth_device_add(struct store *st, const struct auth_principal *actor, int64_t county_id,
                    const char *name, const char *kind, char token[AUTH_TOKEN_LEN],
                    struct auth_device *out, struct err *e)
{
    if (!auth_name_valid(name))
        return err_set(e, ERR_INVAL,
                       "name must be 1-63 characters of letters, digits, '.', '_', '@', '-'");
    if (!kind || !kind[0] || strlen(kind) > 31 || !auth_name_valid(kind))
        return err_set(e, ERR_INVAL,
                       "kind must be 1-31 characters of letters, digits, '.', '_',"
                       " '@', '-'");
    if (county_id <= 0)
        return err_set(e, ERR_INVAL, "county_id must be a positive integer");
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
    char tok[AUTH_TOKEN_LEN], hex[AUTH__HASH_HEX];
    unsigned char raw[32];
    auth__token_new(tok);
    auth__token_hash(tok, raw, hex);
    struct auth_device dev;
    struct dev_ctx x = {county_id,       actor ? actor->user_id : 0, time_now_ms(), name, kind, hex,
                        out ? out : &dev};
    int rc = store_write(st, dev_add_fn, &x, e);
    if (rc == 0)
        memcpy(token, tok, AUTH_TOKEN_LEN);
    sodium_memzero(tok, sizeof tok);
    return rc;
}

static int dev_list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, county_id, name, kind, disabled, created_ms FROM devices"
                           " WHERE county_id = ? AND id > ? ORDER BY id LIMIT ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->county_id);
    store_bind_i64(s, 2, x->after_id);
    store_bind_i64(s, 3, (int64_t)x->cap);
    x->n = 0;
    while ((rc = store_step(s, e)) == STORE_ROW && x->n < x->cap) {
        dev_row(s, &x->dev[x->n++]);
    }
    return rc < 0 ? rc : 0;
}

int auth_device_list(struct store *st, int64_t county_id, int64_t after_id, struct auth_device *out,
                     size_t cap, size_t *n_out, struct err *e)
{
    struct list_ctx x = {county_id, after_id, NULL, out, cap, 0};
    *n_out = 0;
    if (cap == 0)
        return 0;
    int rc = store_read(st, dev_list_fn, &x, e);
    if (rc == 0)
        *n_out = x.n;
    return rc;
}

struct dev_set_ctx {
    int64_t county_id, id, actor_id;
    bool disabled;
    struct auth_device *out;
};

static int dev_row(struct store_stmt *s, struct auth_device *d)
{
    memset(d, 0, sizeof *d);
    d->id = store_col_i64(s, 0);
    d->county_id = store_col_i64(s, 1);
    copy_str(d->name, sizeof d->name, store_col_text(s, 2));
    copy_str(d->kind, sizeof d->kind, store_col_text(s, 3));
    d->disabled = store_col_i64(s, 4) != 0;
    d->created_ms = store_col_i64(s, 5);
    return 0;
}

static int dev_set_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct dev_set_ctx *x = arg;
    struct store_stmt *s;
    int rc =
        store_prepare(c, "UPDATE devices SET disabled = ? WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->disabled ? 1 : 0);
    store_bind_i64(s, 2, x->id);
    store_bind_i64(s, 3, x->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (store_changes(c) == 0)
        return err_set(e, ERR_NOTFOUND, "no device %lld", (long long)x->id);
    rc = store_audit(c, x->county_id, x->actor_id, x->disabled ? "device.disable" : "device.enable",
                     "device", x->id, NULL, e);
    if (rc)
        return rc;
    rc = store_prepare(c,
                       "SELECT id, county_id, name, kind, disabled, created_ms FROM devices"
                       " WHERE id = ?",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_INTERNAL, "device %lld vanished", (long long)x->id);
    return dev_row(s, x->out);
}

int auth_device_set_disabled(struct auth *a, struct store *st, const struct auth_principal *actor,
                             int64_t county_id, int64_t id, bool disabled, struct auth_device *out,
                             struct err *e)
{
    struct auth_device tmp;
    struct dev_set_ctx x = {county_id, id, actor ? actor->user_id : 0, disabled, out ? out : &tmp};
    int rc = store_write(st, dev_set_fn, &x, e);
    auth__cache_forget_device(a, id);
    return rc;
}

struct dev_tok_ctx {
    int64_t county_id, id, actor_id, now;
    const char *hash_hex;
};

static int dev_tok_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct dev_tok_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, "SELECT 1 FROM devices WHERE id = ? AND county_id = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->id);
    store_bind_i64(s, 2, x->county_id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_NOTFOUND, "no device %lld", (long long)x->id);
    rc = store_prepare(c,
                       "UPDATE auth_tokens SET revoked_ms = ? WHERE device_id = ?"
                       " AND revoked_ms IS NULL",
                       &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->now);
    store_bind_i64(s, 2, x->id);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    rc = auth__token_insert(c, x->hash_hex, x->county_id, 0, x->id, x->now, 0, e);
    if (rc)
        return rc;
    return store_audit(c, x->county_id, x->actor_id, "device.token", "device", x->id, NULL, e);
}

int auth_device_new_token(struct auth *a, struct store *st, const struct auth_principal *actor,
                          int64_t county_id, int64_t id, char token[AUTH_TOKEN_LEN], struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
    char tok[AUTH_TOKEN_LEN], hex[AUTH__HASH_HEX];
    unsigned char raw[32];
    auth__token_new(tok);
    auth__token_hash(tok, raw, hex);
    struct dev_tok_ctx x = {county_id, id, actor ? actor->user_id : 0,
                            a ? auth_now_ms(a) : time_now_ms(), hex};
    int rc = store_write(st, dev_tok_fn, &x, e);
    auth__cache_forget_device(a, id);
    if (rc == 0)
        memcpy(token, tok, AUTH_TOKEN_LEN);
    sodium_memzero(tok, sizeof tok);
    return rc;
}
