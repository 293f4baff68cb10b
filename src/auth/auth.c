/*
** auth.c: the struct auth handle (settings, login limiter, token cache), role
** names, tokens, login, token verification and logout.
**
** Tokens. A token is 32 bytes from randombytes_buf as 43 base64url chars; the
** store keeps only SHA-256(token text) in hex, so a copy of the database hands
** out no sessions. One table (auth_tokens) holds sessions and device tokens,
** so verifying any bearer token is one primary-key lookup.
**
** Token cache. auth_verify_token runs on every request. A verified token is
** remembered in a direct-mapped table (1024 slots, keyed by its hash, one
** mutex) for cache_ttl_ms (default 5 s) and never past its expiry. Logout and
** user changes made through this handle drop the entries at once. A lookup
** racing with such a change must not put a stale entry back: every
** invalidation bumps `epoch`, and a database result is cached only if the
** epoch did not move while it was read. Changes made by another process
** (the CLI) reach this one within cache_ttl_ms.
**
** Login cost. crypto_pwhash_str with OPSLIMIT/MEMLIMIT_INTERACTIVE: Argon2id,
** 2 passes over 64 MiB, about 0.1 s of one core per attempt. A login for an
** unknown name verifies against a dummy hash so both cost the same (no user
** enumeration by timing); locked-out attempts cost nothing. At most
** max_concurrent_hashes checks run at once (default: one per CPU), which
** bounds their memory; further logins wait their turn.
*/
#include "auth/auth_int.h"

#include <string.h>
#include <unistd.h>

static const char *const role_names[AUTH_ROLE_COUNT] = {
    "admin", "operator", "merchant", "driver", "auditor", "trainer", "buyer", "device",
};

const char *auth_role_name(enum auth_role r)
{
    if ((int)r < 0 || r >= AUTH_ROLE_COUNT)
        return NULL;
    return role_names[r];
}

int auth_role_parse(const char *name, enum auth_role *out)
{
    for (int i = 0; name && i < AUTH_ROLE_COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *out = (enum auth_role)i;
            return 0;
        }
    }
    return ERR_INVAL;
}

/* ------------------------------------------------------------------ handle */

#define CACHE_SLOTS 1024

struct cache_slot {
    bool used;
    unsigned char hash[32];
    struct auth_principal who;
    int64_t expires_ms; /* INT64_MAX: never */
    int64_t cached_ms;
};

struct auth {
    struct auth_config cfg;
    pthread_mutex_t lim_mu;
    struct auth__limiter lim;
    pthread_mutex_t cache_mu;
    struct cache_slot *cache;
    uint64_t epoch;
    pthread_mutex_t dummy_mu;
    bool dummy_ready;
    pthread_mutex_t hash_mu;
    pthread_cond_t hash_cv;
    int hash_busy;
    char dummy_hash[crypto_pwhash_STRBYTES];
};

static int64_t wall_clock(void *arg)
{
    (void)arg;
    return time_now_ms();
}

int auth_new(struct auth **out, const struct auth_config *cfg, struct err *e)
{
    if (sodium_init() < 0)
        return err_set(e, ERR_INTERNAL, "libsodium failed to initialise");
    struct auth *a = xcalloc(1, sizeof *a);
    if (cfg)
        a->cfg = *cfg;
    if (a->cfg.max_failures <= 0)
        a->cfg.max_failures = 5;
    if (a->cfg.max_addr_failures <= 0)
        a->cfg.max_addr_failures = 4 * a->cfg.max_failures;
    if (a->cfg.window_ms <= 0)
        a->cfg.window_ms = 15 * 60 * 1000;
    if (a->cfg.lockout_ms <= 0)
        a->cfg.lockout_ms = 15 * 60 * 1000;
    if (a->cfg.token_ttl_ms <= 0)
        a->cfg.token_ttl_ms = 12 * 3600 * 1000LL;
    if (a->cfg.cache_ttl_ms == 0)
        a->cfg.cache_ttl_ms = 5000;
    if (a->cfg.limiter_entries <= 0)
        a->cfg.limiter_entries = 10000;
    if (a->cfg.max_concurrent_hashes <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        a->cfg.max_concurrent_hashes = cpus > 0 ? (int)cpus : 2;
    }
    if (!a->cfg.clock_ms) {
        a->cfg.clock_ms = wall_clock;
        a->cfg.clock_arg = NULL;
    }
    pthread_mutex_init(&a->lim_mu, NULL);
    pthread_mutex_init(&a->cache_mu, NULL);
    pthread_mutex_init(&a->dummy_mu, NULL);
    pthread_mutex_init(&a->hash_mu, NULL);
    pthread_cond_init(&a->hash_cv, NULL);
    auth__lim_init(&a->lim, (size_t)a->cfg.limiter_entries, a->cfg.max_failures,
                   a->cfg.max_addr_failures, a->cfg.window_ms, a->cfg.lockout_ms);
    a->cache = xcalloc(CACHE_SLOTS, sizeof a->cache[0]);
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    auth__lim_release(&a->lim);
    sodium_memzero(a->cache, CACHE_SLOTS * sizeof a->cache[0]);
    free(a->cache);
    pthread_mutex_destroy(&a->lim_mu);
    pthread_mutex_destroy(&a->cache_mu);
    pthread_mutex_destroy(&a->dummy_mu);
    pthread_mutex_destroy(&a->hash_mu);
    pthread_cond_destroy(&a->hash_cv);
    free(a);
}

int64_t auth_now_ms(const struct auth *a)
{
    return a->cfg.clock_ms(a->cfg.clock_arg);
}

/* ------------------------------------------------------------------ tokens */

void auth__token_new(char token[AUTH_TOKEN_LEN])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, AUTH_TOKEN_LEN, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

bool auth__token_wellformed(const char *token)
{
    if (!token)
        return false;
    size_t i = 0;
    for (; token[i]; i++) {
        char ch = token[i];
        if (i >= AUTH_TOKEN_LEN - 1)
            return false;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return false;
    }
    return i == AUTH_TOKEN_LEN - 1;
}

void auth__token_hash(const char *token, unsigned char raw[32], char hex[AUTH__HASH_HEX])
{
    crypto_hash_sha256(raw, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(hex, AUTH__HASH_HEX, raw, 32);
}

int auth__token_insert(struct store_conn *c, const char *hash_hex, int64_t county_id,
                       int64_t user_id, int64_t device_id, int64_t created_ms, int64_t expires_ms,
                       struct err *e)
{
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "INSERT INTO auth_tokens (token_hash, county_id, user_id, device_id, "
                           "created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, hash_hex, -1);
    store_bind_i64(s, 2, county_id);
    if (user_id)
        store_bind_i64(s, 3, user_id);
    else
        store_bind_null(s, 3);
    if (device_id)
        store_bind_i64(s, 4, device_id);
    else
        store_bind_null(s, 4);
    store_bind_i64(s, 5, created_ms);
    if (expires_ms)
        store_bind_i64(s, 6, expires_ms);
    else
        store_bind_null(s, 6);
    rc = store_step(s, e);
    return rc < 0 ? rc : 0;
}

void auth__json_kv(struct strbuf *sb, const char *key, const char *value, bool comma)
{
    if (comma)
        strbuf_addch(sb, ',');
    strbuf_add_json_str(sb, key, strlen(key));
    strbuf_addch(sb, ':');
    strbuf_add_json_str(sb, value ? value : "", value ? strlen(value) : 0);
}

/* ------------------------------------------------------------------- cache */

static size_t slot_of(const unsigned char hash[32])
{
    uint32_t v = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 | (uint32_t)hash[2] << 16 |
                 (uint32_t)hash[3] << 24;
    return v % CACHE_SLOTS;
}

static bool cache_get(struct auth *a, const unsigned char hash[32], int64_t now,
                      struct auth_principal *out, uint64_t *epoch)
{
    bool hit = false;
    pthread_mutex_lock(&a->cache_mu);
    *epoch = a->epoch;
    if (a->cfg.cache_ttl_ms > 0) {
        struct cache_slot *sl = &a->cache[slot_of(hash)];
        if (sl->used && sodium_memcmp(sl->hash, hash, 32) == 0) {
            if (now < sl->expires_ms && now - sl->cached_ms < a->cfg.cache_ttl_ms) {
                *out = sl->who;
                hit = true;
            } else {
                sl->used = false;
            }
        }
    }
    pthread_mutex_unlock(&a->cache_mu);
    return hit;
}

static void cache_put(struct auth *a, const unsigned char hash[32],
                      const struct auth_principal *who, int64_t expires_ms, int64_t now,
                      uint64_t epoch)
{
    if (a->cfg.cache_ttl_ms <= 0)
        return;
    pthread_mutex_lock(&a->cache_mu);
    if (a->epoch == epoch) { /* nothing was invalidated while we read */
        struct cache_slot *sl = &a->cache[slot_of(hash)];
        sl->used = true;
        memcpy(sl->hash, hash, 32);
        sl->who = *who;
        sl->expires_ms = expires_ms;
        sl->cached_ms = now;
    }
    pthread_mutex_unlock(&a->cache_mu);
}

static void cache_forget_hash(struct auth *a, const unsigned char hash[32])
{
    pthread_mutex_lock(&a->cache_mu);
    a->epoch++;
    struct cache_slot *sl = &a->cache[slot_of(hash)];
    if (sl->used && sodium_memcmp(sl->hash, hash, 32) == 0)
        sl->used = false;
    pthread_mutex_unlock(&a->cache_mu);
}

void auth__cache_forget_user(struct auth *a, int64_t user_id)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->cache_mu);
    a->epoch++;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (a->cache[i].used && (user_id == 0 || a->cache[i].who.user_id == user_id))
            a->cache[i].used = false;
    }
    pthread_mutex_unlock(&a->cache_mu);
}

void auth__cache_forget_device(struct auth *a, int64_t device_id)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->cache_mu);
    a->epoch++;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (a->cache[i].used && a->cache[i].who.device_id == device_id)
            a->cache[i].used = false;
    }
    pthread_mutex_unlock(&a->cache_mu);
}

/* ------------------------------------------------------------ verification */

struct verify_ctx {
    const char *hash_hex;
    int64_t now;
    struct auth_principal who;
    int64_t expires_ms;
};

static void copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int verify_read(struct store_conn *c, void *arg, struct err *e)
{
    struct verify_ctx *v = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT t.county_id, t.user_id, t.device_id, t.expires_ms, t.revoked_ms,"
                           " u.name, u.role, u.disabled, d.name, d.disabled"
                           " FROM auth_tokens t"
                           " LEFT JOIN users u ON u.id = t.user_id"
                           " LEFT JOIN devices d ON d.id = t.device_id"
                           " WHERE t.token_hash = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, v->hash_hex, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_AUTH, "unknown token");
    memset(&v->who, 0, sizeof v->who);
    v->who.county_id = store_col_i64(s, 0);
    v->expires_ms = store_col_is_null(s, 3) ? INT64_MAX : store_col_i64(s, 3);
    if (!store_col_is_null(s, 4))
        return err_set(e, ERR_AUTH, "token revoked");
    if (v->now >= v->expires_ms)
        return err_set(e, ERR_AUTH, "token expired");
    if (!store_col_is_null(s, 1)) {
        if (store_col_is_null(s, 5) || store_col_i64(s, 7))
            return err_set(e, ERR_AUTH, "account disabled");
        v->who.user_id = store_col_i64(s, 1);
        if (auth_role_parse(store_col_text(s, 6), &v->who.role) || v->who.role == AUTH_ROLE_DEVICE)
            return err_set(e, ERR_INTERNAL, "user %lld has an unknown role",
                           (long long)v->who.user_id);
        copy_name(v->who.name, sizeof v->who.name, store_col_text(s, 5));
    } else {
        if (store_col_is_null(s, 2) || store_col_is_null(s, 8) || store_col_i64(s, 9))
            return err_set(e, ERR_AUTH, "device disabled");
        v->who.device_id = store_col_i64(s, 2);
        v->who.role = AUTH_ROLE_DEVICE;
        copy_name(v->who.name, sizeof v->who.name, store_col_text(s, 8));
    }
    return 0;
}

int auth_verify_token(struct auth *a, struct store *st, const char *token,
                      struct auth_principal *out, struct err *e)
{
    if (!auth__token_wellformed(token))
        return err_set(e, ERR_AUTH, "malformed token");
    unsigned char raw[32];
    char hex[AUTH__HASH_HEX];
    auth__token_hash(token, raw, hex);
    int64_t now = auth_now_ms(a);
    uint64_t epoch;
    if (cache_get(a, raw, now, out, &epoch))
        return 0;
    struct verify_ctx v = {.hash_hex = hex, .now = now};
    int rc = store_read(st, verify_read, &v, e);
    if (rc)
        return rc;
    cache_put(a, raw, &v.who, v.expires_ms, now, epoch);
    *out = v.who;
    return 0;
}

/* ------------------------------------------------------------------ logins */

/* Lockout left for either key (0: neither is locked). */
static int64_t lim_locked_ms(struct auth *a, const char *ukey, const char *akey, int64_t now)
{
    pthread_mutex_lock(&a->lim_mu);
    int64_t lu = auth__lim_locked_ms(&a->lim, ukey, now);
    int64_t la = auth__lim_locked_ms(&a->lim, akey, now);
    pthread_mutex_unlock(&a->lim_mu);
    return lu > la ? lu : la;
}

int64_t auth_login_retry_after_ms(struct auth *a, const char *name, const char *remote_addr)
{
    char ukey[80], akey[80];
    auth__lim_keys(name, remote_addr, ukey, akey);
    int64_t now = auth_now_ms(a);
    pthread_mutex_lock(&a->lim_mu);
    int64_t u = name ? auth__lim_locked_ms(&a->lim, ukey, now) : 0;
    int64_t d = remote_addr ? auth__lim_locked_ms(&a->lim, akey, now) : 0;
    pthread_mutex_unlock(&a->lim_mu);
    return u > d ? u : d;
}

/* At most max_concurrent_hashes Argon2id computations at once. */
static void hash_enter(struct auth *a)
{
    pthread_mutex_lock(&a->hash_mu);
    while (a->hash_busy >= a->cfg.max_concurrent_hashes)
        pthread_cond_wait(&a->hash_cv, &a->hash_mu);
    a->hash_busy++;
    pthread_mutex_unlock(&a->hash_mu);
}

static void hash_leave(struct auth *a)
{
    pthread_mutex_lock(&a->hash_mu);
    a->hash_busy--;
    pthread_cond_signal(&a->hash_cv);
    pthread_mutex_unlock(&a->hash_mu);
}

/* A hash that matches no password, so unknown names cost a real verify. */
static const char *dummy_hash(struct auth *a)
{
    pthread_mutex_lock(&a->dummy_mu);
    if (!a->dummy_ready) {
        unsigned char pw[24];
        char txt[sizeof pw * 2 + 1];
        randombytes_buf(pw, sizeof pw);
        sodium_bin2hex(txt, sizeof txt, pw, sizeof pw);
        hash_enter(a);
        if (crypto_pwhash_str(a->dummy_hash, txt, strlen(txt), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
            a->dummy_ready = true;
        hash_leave(a);
    }
    pthread_mutex_unlock(&a->dummy_mu);
    return a->dummy_ready ? a->dummy_hash : NULL;
}

struct login_user {
    const char *name;
    bool found;
    int64_t id, county_id;
    enum auth_role role;
    bool disabled;
    char hash[crypto_pwhash_STRBYTES];
};

static int login_read(struct store_conn *c, void *arg, struct err *e)
{
    struct login_user *u = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT id, county_id, role, disabled, password_hash FROM users"
                           " WHERE name = ?",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, u->name, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return 0;
    u->id = store_col_i64(s, 0);
    u->county_id = store_col_i64(s, 1);
    if (auth_role_parse(store_col_text(s, 2), &u->role) || u->role == AUTH_ROLE_DEVICE)
        return err_set(e, ERR_INTERNAL, "user %lld has an unknown role", (long long)u->id);
    u->disabled = store_col_i64(s, 3) != 0;
    copy_name(u->hash, sizeof u->hash, store_col_text(s, 4));
    u->found = true;
    return 0;
}

struct login_write {
    const struct login_user *u;
    bool ok;
    const char *name;
    const char *addr;
    const char *hash_hex;
    int64_t now, expires_ms;
};

/* Record the outcome: on success the session row, and an audit row either way. */
static int login_write_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct login_write *w = arg;
    int rc;
    if (w->ok) {
        /* Sweep this user's long-dead sessions so the table does not grow forever. */
        struct store_stmt *s;
        rc =
            store_prepare(c, "DELETE FROM auth_tokens WHERE user_id = ? AND expires_ms < ?", &s, e);
        if (rc)
            return rc;
        store_bind_i64(s, 1, w->u->id);
        store_bind_i64(s, 2, w->now - 7 * 24 * 3600 * 1000LL);
        rc = store_step(s, e);
        if (rc < 0)
            return rc;
        rc = auth__token_insert(c, w->hash_hex, w->u->county_id, w->u->id, 0, w->now, w->expires_ms,
                                e);
        if (rc)
            return rc;
    }
    struct strbuf d;
    strbuf_init(&d, 4096);
    strbuf_addch(&d, '{');
    auth__json_kv(&d, "name", w->name, false);
    auth__json_kv(&d, "addr", w->addr, true);
    strbuf_addch(&d, '}');
    rc = store_audit(c, w->u->found ? w->u->county_id : 0, w->u->found ? w->u->id : 0,
                     w->ok ? "auth.login" : "auth.login_failed", "user", w->u->found ? w->u->id : 0,
                     strbuf_str(&d), e);
    strbuf_release(&d);
    return rc;
}

int auth_login(struct auth *a, struct store *st, const char *name, const char *password,
               const char *remote_addr, char token[AUTH_TOKEN_LEN], struct auth_principal *who,
               int64_t *expires_ms, struct err *e)
{
    char ukey[80], akey[80];
    auth__lim_keys(name, remote_addr, ukey, akey);
    int64_t now = auth_now_ms(a);

    int64_t locked = lim_locked_ms(a, ukey, akey, now);
    if (locked > 0)
        return err_set(e, ERR_BUSY, "too many failed logins; try again in %lld s",
                       (long long)((locked + 999) / 1000));

    struct login_user u = {.name = name};
    bool plausible = name && password && auth_name_valid(name) && strlen(password) <= 1024;
    if (plausible) {
        int rc = store_read(st, login_read, &u, e);
        if (rc)
            return rc;
    }
    /* Same work whether or not the name exists. */
    const char *hash = u.found ? u.hash : dummy_hash(a);
    bool ok = false;
    hash_enter(a);
    /* Check again once a hash slot is ours: attempts that queued while this
    ** name or address got locked stop here, and each outcome is counted
    ** before the slot is released, so a burst of parallel guesses gets at
    ** most max_concurrent_hashes - 1 attempts past the limit. */
    int64_t now2 = auth_now_ms(a);
    locked = lim_locked_ms(a, ukey, akey, now2);
    if (locked == 0) {
        if (hash && password)
            ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
        ok = ok && u.found && !u.disabled;
        pthread_mutex_lock(&a->lim_mu);
        if (ok) {
            auth__lim_reset(&a->lim, ukey);
        } else {
            auth__lim_fail(&a->lim, ukey, now2);
            auth__lim_fail(&a->lim, akey, now2);
        }
        pthread_mutex_unlock(&a->lim_mu);
    }
    hash_leave(a);
    sodium_memzero(u.hash, sizeof u.hash);
    if (locked > 0)
        return err_set(e, ERR_BUSY, "too many failed logins; try again in %lld s",
                       (long long)((locked + 999) / 1000));

    char tok[AUTH_TOKEN_LEN], hex[AUTH__HASH_HEX];
    unsigned char raw[32];
    if (ok) {
        auth__token_new(tok);
        auth__token_hash(tok, raw, hex);
    }
    struct login_write w = {
        .u = &u,
        .ok = ok,
        .name = plausible ? name : "",
        .addr = remote_addr,
        .hash_hex = ok ? hex : NULL,
        .now = now,
        .expires_ms = now + a->cfg.token_ttl_ms,
    };
    int rc = store_write(st, login_write_fn, &w, e);

    if (rc)
        return rc;
    if (!ok)
        return err_set(e, ERR_AUTH, "invalid name or password");
    memcpy(token, tok, AUTH_TOKEN_LEN);
    sodium_memzero(tok, sizeof tok);
    if (who) {
        memset(who, 0, sizeof *who);
        who->user_id = u.id;
        who->county_id = u.county_id;
        who->role = u.role;
        copy_name(who->name, sizeof who->name, name);
    }
    if (expires_ms)
        *expires_ms = w.expires_ms;
    return 0;
}

/* ------------------------------------------------------------------ logout */

struct logout_ctx {
    const char *hash_hex;
    int64_t now;
};

static int logout_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct logout_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT county_id, user_id FROM auth_tokens WHERE token_hash = ?"
                           " AND user_id IS NOT NULL AND revoked_ms IS NULL AND"
                           " (expires_ms IS NULL OR expires_ms > ?)",
                           &s, e);
    if (rc)
        return rc;
    store_bind_text(s, 1, x->hash_hex, -1);
    store_bind_i64(s, 2, x->now);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    if (rc != STORE_ROW)
        return err_set(e, ERR_AUTH, "unknown or ended session");
    int64_t county_id = store_col_i64(s, 0), user_id = store_col_i64(s, 1);
    rc = store_prepare(c, "UPDATE auth_tokens SET revoked_ms = ? WHERE token_hash = ?", &s, e);
    if (rc)
        return rc;
    store_bind_i64(s, 1, x->now);
    store_bind_text(s, 2, x->hash_hex, -1);
    rc = store_step(s, e);
    if (rc < 0)
        return rc;
    return store_audit(c, county_id, user_id, "auth.logout", "user", user_id, NULL, e);
}

int auth_logout(struct auth *a, struct store *st, const char *token, struct err *e)
{
    if (!auth__token_wellformed(token))
        return err_set(e, ERR_AUTH, "malformed token");
    unsigned char raw[32];
    char hex[AUTH__HASH_HEX];
    auth__token_hash(token, raw, hex);
    struct logout_ctx x = {hex, auth_now_ms(a)};
    cache_forget_hash(a, raw);
    int rc = store_write(st, logout_fn, &x, e);
    cache_forget_hash(a, raw); /* again: a verify may have raced the commit */
    return rc;
}
