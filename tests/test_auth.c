/* Unit tests for src/auth against a temporary store: passwords, tokens,
** expiry, logout, the login limiter, user changes, devices, audit rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/auth_int.h" /* the limiter's own unit tests */

/* ------------------------------------------------------------------ fixture */

struct fx {
    char dir[64];
    char path[96];
    struct store *st;
    struct auth *a;
    int64_t now; /* the fake clock */
};

static int64_t fake_clock(void *arg)
{
    return ((struct fx *)arg)->now;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/rl-auth-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    struct err e = {0};
    struct store_config sc = {.path = f->path, .synchronous_full = false};
    if (store_open(&f->st, &sc, &e) ||
        store_add_migrations(f->st, "auth", auth_migrations, auth_migrations_len, &e) ||
        store_migrate(f->st, &e)) {
        fprintf(stderr, "store: %s\n", e.msg);
        return -1;
    }
    f->now = 1800000000000LL;
    struct auth_config cfg = {.max_failures = 3,
                              .window_ms = 60000,
                              .lockout_ms = 120000,
                              .token_ttl_ms = 3600000,
                              .clock_ms = fake_clock,
                              .clock_arg = f};
    if (auth_new(&f->a, &cfg, &e))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    auth_free(f->a);
    store_close(f->st);
    char p[128];
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t add_user(struct fx *f, int64_t county, const char *name, enum auth_role role)
{
    struct err e = {0};
    struct auth_user_new u = {county, name, "correct horse", role, NULL};
    int64_t id = 0;
    int rc = auth_user_add(f->st, NULL, &u, &id, &e);
    if (rc)
        fail_msg("auth_user_add(%s): %s", name, e.msg);
    return id;
}

/* One integer from a query with up to one text parameter. */
struct q1 {
    const char *sql;
    const char *arg;
    int64_t v;
};

static int q1_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct q1 *q = arg;
    struct store_stmt *s;
    int rc = store_prepare(c, q->sql, &s, e);
    if (rc)
        return rc;
    if (q->arg)
        store_bind_text(s, 1, q->arg, -1);
    rc = store_step(s, e);
    if (rc != STORE_ROW)
        return rc < 0 ? rc : ERR_NOTFOUND;
    q->v = store_col_i64(s, 0);
    return 0;
}

static int64_t query_i64(struct fx *f, const char *sql, const char *arg)
{
    struct q1 q = {sql, arg, 0};
    struct err e = {0};
    int rc = store_read(f->st, q1_fn, &q, &e);
    if (rc)
        fail_msg("query %s: %s", sql, e.msg);
    return q.v;
}

static int64_t audit_count(struct fx *f, const char *action)
{
    return query_i64(f, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action);
}

static int login(struct fx *f, const char *name, const char *pw, const char *addr,
                 char tok[AUTH_TOKEN_LEN], struct err *e)
{
    struct auth_principal who;
    int64_t exp;
    return auth_login(f->a, f->st, name, pw, addr, tok, &who, &exp, e);
}

/* -------------------------------------------------------------------- tests */

static void test_roles(void **state)
{
    (void)state;
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        enum auth_role back;
        assert_int_equal(auth_role_parse(auth_role_name((enum auth_role)r), &back), 0);
        assert_int_equal(back, r);
    }
    enum auth_role x;
    assert_int_equal(auth_role_parse("root", &x), ERR_INVAL);
    assert_int_equal(auth_role_parse(NULL, &x), ERR_INVAL);
    assert_null(auth_role_name(AUTH_ROLE_COUNT));
    assert_true(AUTH_ANY_USER & AUTH_ROLE_BIT(AUTH_ROLE_BUYER));
    assert_false(AUTH_ANY_USER & AUTH_ROLE_BIT(AUTH_ROLE_DEVICE));
}

static void test_hash_and_login(void **state)
{
    struct fx *f = *state;
    int64_t id = add_user(f, 7, "wang.li", AUTH_ROLE_OPERATOR);
    assert_true(id > 0);
    /* Stored as Argon2id, never as the password. */
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM users WHERE password_hash LIKE"
                               " '$argon2id$%' AND name = ?",
                               "wang.li"),
                     1);
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM users WHERE password_hash LIKE"
                               " '%correct horse%'",
                               NULL),
                     0);

    char tok[AUTH_TOKEN_LEN];
    struct auth_principal who;
    int64_t exp;
    struct err e = {0};
    assert_int_equal(
        auth_login(f->a, f->st, "wang.li", "correct horse", "10.0.0.1", tok, &who, &exp, &e), 0);
    assert_int_equal(strlen(tok), 43);
    assert_int_equal(who.user_id, id);
    assert_int_equal(who.county_id, 7);
    assert_int_equal(who.role, AUTH_ROLE_OPERATOR);
    assert_string_equal(who.name, "wang.li");
    assert_int_equal(exp, f->now + 3600000);

    struct err e1 = {0}, e2 = {0};
    assert_int_equal(login(f, "wang.li", "wrong horse", "10.0.0.1", tok, &e1), ERR_AUTH);
    assert_int_equal(login(f, "nobody", "correct horse", "10.0.0.1", tok, &e2), ERR_AUTH);
    assert_string_equal(e1.msg, e2.msg); /* no user enumeration */
    assert_int_equal(login(f, "wang.li", NULL, "10.0.0.1", tok, &e1), ERR_AUTH);
    assert_int_equal(login(f, "", "correct horse", NULL, tok, &e1), ERR_AUTH);
}

static void test_token_roundtrip(void **state)
{
    struct fx *f = *state;
    int64_t id = add_user(f, 3, "driver1", AUTH_ROLE_DRIVER);
    char t1[AUTH_TOKEN_LEN], t2[AUTH_TOKEN_LEN];
    struct err e = {0};
    assert_int_equal(login(f, "driver1", "correct horse", "a", t1, &e), 0);
    assert_int_equal(login(f, "driver1", "correct horse", "a", t2, &e), 0);
    assert_string_not_equal(t1, t2);
    for (const char *p = t1; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    /* Only the hash is stored. */
    assert_int_equal(query_i64(f, "SELECT COUNT(*) FROM auth_tokens WHERE token_hash = ?", t1), 0);
    assert_int_equal(
        query_i64(f, "SELECT COUNT(*) FROM auth_tokens WHERE user_id IS NOT NULL", NULL), 2);

    struct auth_principal who;
    for (int round = 0; round < 2; round++) { /* database, then cache */
        assert_int_equal(auth_verify_token(f->a, f->st, t1, &who, &e), 0);
        assert_int_equal(who.user_id, id);
        assert_int_equal(who.role, AUTH_ROLE_DRIVER);
        assert_int_equal(who.county_id, 3);
        assert_int_equal(who.device_id, 0);
    }
    char forged[AUTH_TOKEN_LEN];
    memcpy(forged, t1, sizeof forged);
    forged[10] = forged[10] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_verify_token(f->a, f->st, forged, &who, &e), ERR_AUTH);
    assert_int_equal(auth_verify_token(f->a, f->st, "short", &who, &e), ERR_AUTH);
    assert_int_equal(auth_verify_token(f->a, f->st, "", &who, &e), ERR_AUTH);
    assert_int_equal(auth_verify_token(f->a, f->st, NULL, &who, &e), ERR_AUTH);
    char bad[AUTH_TOKEN_LEN];
    memcpy(bad, t1, sizeof bad);
    bad[5] = '+'; /* not base64url */
    assert_int_equal(auth_verify_token(f->a, f->st, bad, &who, &e), ERR_AUTH);
    char longer[64];
    snprintf(longer, sizeof longer, "%sA", t1);
    assert_int_equal(auth_verify_token(f->a, f->st, longer, &who, &e), ERR_AUTH);
}

static void test_expiry(void **state)
{
    struct fx *f = *state;
    add_user(f, 3, "buyer1", AUTH_ROLE_BUYER);
    char t[AUTH_TOKEN_LEN];
    struct err e = {0};
    struct auth_principal who;
    assert_int_equal(login(f, "buyer1", "correct horse", "a", t, &e), 0);
    f->now += 3600000 - 1;
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0); /* now cached */
    f->now += 1;
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(auth_logout(f->a, f->st, t, &e), ERR_AUTH); /* nothing left to end */
}

static void test_logout(void **state)
{
    struct fx *f = *state;
    int64_t id = add_user(f, 3, "trainer1", AUTH_ROLE_TRAINER);
    char t[AUTH_TOKEN_LEN], other[AUTH_TOKEN_LEN];
    struct err e = {0};
    struct auth_principal who;
    assert_int_equal(login(f, "trainer1", "correct horse", "a", t, &e), 0);
    assert_int_equal(login(f, "trainer1", "correct horse", "a", other, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0); /* cached */
    assert_int_equal(auth_logout(f->a, f->st, t, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(auth_logout(f->a, f->st, t, &e), ERR_AUTH);
    /* The user's other session lives on. */
    assert_int_equal(auth_verify_token(f->a, f->st, other, &who, &e), 0);
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.logout'"
                               " AND actor_user_id = (SELECT id FROM users WHERE name = ?)",
                               "trainer1"),
                     1);
    (void)id;
}

static void test_user_add_rules(void **state)
{
    struct fx *f = *state;
    add_user(f, 1, "admin", AUTH_ROLE_ADMIN);
    struct err e = {0};
    int64_t id;
    struct auth_user_new u = {1, "admin", "another password", AUTH_ROLE_BUYER, NULL};
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_EXISTS);
    u.name = "short";
    u.password = "1234567";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "at least 8"));
    u.name = "samename1";
    u.password = "samename1";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.password = NULL;
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.password = "long enough";
    u.name = "has space";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.name = "";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.name = "dev";
    u.role = AUTH_ROLE_DEVICE;
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.role = (enum auth_role)99;
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.role = AUTH_ROLE_BUYER;
    u.county_id = 0;
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    u.county_id = 1;
    u.display_name = "\xff\xfe";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), ERR_INVAL);
    /* Nothing but the first user was written. */
    assert_int_equal(query_i64(f, "SELECT COUNT(*) FROM users", NULL), 1);
    assert_int_equal(audit_count(f, "user.create"), 1);
    u.display_name = "王丽";
    assert_int_equal(auth_user_add(f->st, NULL, &u, &id, &e), 0);
    struct auth_user got;
    assert_int_equal(auth_user_get(f->st, 1, id, &got, &e), 0);
    assert_string_equal(got.display_name, "王丽");
    assert_string_equal(got.name, "dev");
    assert_int_equal(got.role, AUTH_ROLE_BUYER);
    assert_int_equal(auth_user_get(f->st, 2, id, &got, &e), ERR_NOTFOUND); /* other county */
    assert_int_equal(auth_user_find(f->st, "dev", &got, &e), 0);
    assert_int_equal(got.id, id);
    assert_int_equal(got.county_id, 1);
    assert_int_equal(auth_user_find(f->st, "nobody", &got, &e), ERR_NOTFOUND);
    assert_int_equal(auth_user_find(f->st, "bad name", &got, &e), ERR_NOTFOUND);
}

static void test_audit_rows(void **state)
{
    struct fx *f = *state;
    int64_t admin = add_user(f, 5, "boss", AUTH_ROLE_ADMIN);
    struct auth_principal actor = {.user_id = admin, .county_id = 5, .role = AUTH_ROLE_ADMIN};
    struct err e = {0};
    int64_t id;
    struct auth_user_new u = {5, "clerk", "long enough", AUTH_ROLE_OPERATOR, NULL};
    assert_int_equal(auth_user_add(f->st, &actor, &u, &id, &e), 0);
    assert_int_equal(query_i64(f,
                               "SELECT actor_user_id FROM audit_log WHERE action ="
                               " 'user.create' AND detail LIKE '%\"clerk\"%'",
                               NULL),
                     admin);
    char t[AUTH_TOKEN_LEN];
    assert_int_equal(login(f, "clerk", "long enough", "192.0.2.9", t, &e), 0);
    assert_int_equal(login(f, "clerk", "wrong wrong", "192.0.2.9", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "ghost", "wrong wrong", "192.0.2.9", t, &e), ERR_AUTH);
    assert_int_equal(audit_count(f, "auth.login"), 1);
    assert_int_equal(audit_count(f, "auth.login_failed"), 2);
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM audit_log WHERE action = ? AND detail"
                               " LIKE '%192.0.2.9%' AND actor_user_id = 0",
                               "auth.login_failed"),
                     1); /* the unknown name: no actor */
    enum auth_role r = AUTH_ROLE_MERCHANT;
    struct auth_user_patch p = {.role = &r, .disabled = -1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &p, NULL, &e), 0);
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM audit_log WHERE action = 'user.update'"
                               " AND detail LIKE ?",
                               "%\"role_to\":\"merchant\"%"),
                     1);
}

static void test_user_update(void **state)
{
    struct fx *f = *state;
    int64_t admin = add_user(f, 5, "boss", AUTH_ROLE_ADMIN);
    int64_t id = add_user(f, 5, "clerk", AUTH_ROLE_OPERATOR);
    add_user(f, 6, "elsewhere", AUTH_ROLE_ADMIN);
    struct auth_principal actor = {.user_id = admin, .county_id = 5, .role = AUTH_ROLE_ADMIN};
    struct err e = {0};
    char t[AUTH_TOKEN_LEN];
    struct auth_principal who;
    assert_int_equal(login(f, "clerk", "correct horse", "a", t, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    assert_int_equal(who.role, AUTH_ROLE_OPERATOR);

    /* A role change is seen at once, even though the token was cached. */
    enum auth_role r = AUTH_ROLE_AUDITOR;
    struct auth_user_patch p = {.role = &r, .disabled = -1};
    struct auth_user out;
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &p, &out, &e), 0);
    assert_int_equal(out.role, AUTH_ROLE_AUDITOR);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    assert_int_equal(who.role, AUTH_ROLE_AUDITOR);

    /* Another county's user: not found, unchanged. */
    int64_t other = query_i64(f, "SELECT id FROM users WHERE name = ?", "elsewhere");
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, other, &p, NULL, &e), ERR_NOTFOUND);
    assert_int_equal(
        query_i64(f, "SELECT COUNT(*) FROM users WHERE role = 'admin' AND name = ?", "elsewhere"),
        1);

    /* A weak new password is refused; a good one ends every session. */
    struct auth_user_patch pw = {.password = "short", .disabled = -1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &pw, NULL, &e), ERR_INVAL);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    pw.password = "a new secret";
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &pw, NULL, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(login(f, "clerk", "correct horse", "a", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "clerk", "a new secret", "a", t, &e), 0);

    /* Disabling ends sessions and refuses logins. */
    struct auth_user_patch dis = {.disabled = 1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &dis, NULL, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(login(f, "clerk", "a new secret", "b", t, &e), ERR_AUTH);

    /* The last admin stays. */
    enum auth_role buyer = AUTH_ROLE_BUYER;
    struct auth_user_patch demote = {.role = &buyer, .disabled = -1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, admin, &demote, NULL, &e),
                     ERR_CONFLICT);
    struct auth_user_patch self_off = {.disabled = 1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, admin, &self_off, NULL, &e),
                     ERR_CONFLICT);
    assert_int_equal(query_i64(f,
                               "SELECT COUNT(*) FROM users WHERE role = 'admin' AND"
                               " disabled = 0 AND name = ?",
                               "boss"),
                     1);
    enum auth_role dev = AUTH_ROLE_DEVICE;
    struct auth_user_patch todev = {.role = &dev, .disabled = -1};
    assert_int_equal(auth_user_update(f->a, f->st, &actor, 5, id, &todev, NULL, &e), ERR_INVAL);

    struct auth_user list[8];
    size_t n;
    assert_int_equal(auth_user_list(f->st, 5, 0, list, 8, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].id, admin);
    assert_true(list[1].disabled);
    assert_int_equal(auth_user_list(f->st, 5, admin, list, 8, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(auth_user_list(f->st, -1, 0, list, 2, &n, &e), 0);
    assert_int_equal(n, 2);
}

static void test_rate_limit(void **state)
{
    struct fx *f = *state;
    add_user(f, 1, "farmer", AUTH_ROLE_MERCHANT);
    char t[AUTH_TOKEN_LEN];
    struct err e = {0};
    /* max_failures = 3: two failures, a success (resets the name), two more. */
    assert_int_equal(login(f, "farmer", "bad password", "1.1.1.1", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "farmer", "bad password", "1.1.1.2", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "farmer", "correct horse", "1.1.1.3", t, &e), 0);
    assert_int_equal(login(f, "farmer", "bad password", "1.1.1.4", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "farmer", "bad password", "1.1.1.5", t, &e), ERR_AUTH);
    assert_int_equal(auth_login_retry_after_ms(f->a, "farmer", NULL), 0);
    /* Third failure in the window locks the name, from any address. */
    assert_int_equal(login(f, "farmer", "bad password", "1.1.1.6", t, &e), ERR_AUTH);
    int64_t audits = audit_count(f, "auth.login_failed");
    assert_int_equal(login(f, "farmer", "correct horse", "9.9.9.9", t, &e), ERR_BUSY);
    assert_int_equal(audit_count(f, "auth.login_failed"), audits); /* not even checked */
    assert_int_equal(auth_login_retry_after_ms(f->a, "farmer", "9.9.9.9"), 120000);
    f->now += 60000;
    assert_int_equal(auth_login_retry_after_ms(f->a, "farmer", NULL), 60000);
    assert_int_equal(login(f, "farmer", "correct horse", "9.9.9.9", t, &e), ERR_BUSY);
    f->now += 60000;
    assert_int_equal(login(f, "farmer", "correct horse", "9.9.9.9", t, &e), 0);

    /* Per address, with its own limit (default 4 x max_failures = 12 here):
    ** people share a service center's address, so a few names' failures do
    ** not lock the others out; twelve lock that address only. */
    add_user(f, 1, "farmer2", AUTH_ROLE_MERCHANT);
    char who[16];
    for (int i = 0; i < 11; i++) {
        snprintf(who, sizeof who, "x%d", i);
        assert_int_equal(login(f, who, "bad password", "6.6.6.6", t, &e), ERR_AUTH);
    }
    assert_int_equal(login(f, "farmer2", "correct horse", "6.6.6.6", t, &e), 0);
    assert_int_equal(login(f, "x11", "bad password", "6.6.6.6", t, &e), ERR_AUTH);
    assert_int_equal(login(f, "farmer2", "correct horse", "6.6.6.6", t, &e), ERR_BUSY);
    assert_int_equal(login(f, "farmer2", "correct horse", "6.6.6.7", t, &e), 0);

    /* IPv6 counts per /64 (keys tested in test_limiter_keys). */
    const char *const in64[] = {"2001:db8:1:2::1", "2001:db8:1:2:aaaa::9",
                                "2001:db8:1:2:ffff:ffff:ffff:ffff"};
    for (int i = 0; i < 12; i++) {
        snprintf(who, sizeof who, "y%d", i);
        assert_int_equal(login(f, who, "bad password", in64[i % 3], t, &e), ERR_AUTH);
    }
    assert_int_equal(login(f, "farmer2", "correct horse", "2001:db8:1:2::77", t, &e), ERR_BUSY);
    assert_true(auth_login_retry_after_ms(f->a, NULL, "2001:db8:1:2::5") > 0);
    assert_int_equal(auth_login_retry_after_ms(f->a, NULL, "2001:db8:1:3::1"), 0);
}

static void test_limiter_window(void **state)
{
    (void)state;
    struct auth__limiter l;
    auth__lim_init(&l, 4, 3, 6, 1000, 5000);
    /* Failures further apart than the window never lock. */
    for (int i = 0; i < 10; i++)
        assert_false(auth__lim_fail(&l, "u:a", 1000 * i));
    assert_int_equal(auth__lim_locked_ms(&l, "u:a", 10000), 0);
    /* Three inside one window do. */
    assert_false(auth__lim_fail(&l, "u:b", 0));
    assert_false(auth__lim_fail(&l, "u:b", 500));
    assert_true(auth__lim_fail(&l, "u:b", 999));
    assert_int_equal(auth__lim_locked_ms(&l, "u:b", 999), 5000);
    assert_int_equal(auth__lim_locked_ms(&l, "u:b", 5998), 1);
    assert_int_equal(auth__lim_locked_ms(&l, "u:b", 5999), 0);
    /* An address has its own, higher limit: six, not three. */
    for (int i = 0; i < 5; i++)
        assert_false(auth__lim_fail(&l, "a:9.9.9.9", 6000 + i));
    assert_true(auth__lim_fail(&l, "a:9.9.9.9", 6005));
    assert_int_equal(auth__lim_locked_ms(&l, "a:9.9.9.9", 6005), 5000);
    /* Bounded: more keys than capacity evict, but a locked key is kept over
    ** unlocked ones. */
    for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof k, "a:%d", i);
        auth__lim_fail(&l, k, 1000 + i);
    }
    assert_true(l.n <= l.cap);
    assert_int_equal(auth__lim_locked_ms(&l, "u:b", 2000), 3999);
    auth__lim_reset(&l, "u:b");
    assert_int_equal(auth__lim_locked_ms(&l, "u:b", 2000), 0);
    auth__lim_release(&l);
}

static void test_limiter_keys(void **state)
{
    (void)state;
    char u[80], a[80];
    auth__lim_keys("wang", "192.0.2.7", u, a);
    assert_string_equal(u, "u:wang");
    assert_string_equal(a, "a:192.0.2.7");
    auth__lim_keys("x", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", u, a);
    assert_string_equal(a, "a:2001:db8:1:2::/64");
    auth__lim_keys("x", "2001:db8:1:2::1", u, a);
    assert_string_equal(a, "a:2001:db8:1:2::/64");
    auth__lim_keys("x", "2001:db8:1:3::1", u, a);
    assert_string_equal(a, "a:2001:db8:1:3::/64");
    auth__lim_keys("x", "::ffff:10.0.0.1", u, a);
    assert_string_equal(a, "a:::ffff:10.0.0.1");
    auth__lim_keys(NULL, NULL, u, a);
    assert_string_equal(u, "u:");
    assert_string_equal(a, "a:-");
    auth__lim_keys("x", "not:an:address", u, a);
    assert_string_equal(a, "a:not:an:address");
}

static void test_devices(void **state)
{
    struct fx *f = *state;
    int64_t op = add_user(f, 4, "op", AUTH_ROLE_OPERATOR);
    struct auth_principal actor = {.user_id = op, .county_id = 4, .role = AUTH_ROLE_OPERATOR};
    char t[AUTH_TOKEN_LEN];
    struct auth_device d;
    struct err e = {0};
    assert_int_equal(auth_device_add(f->st, &actor, 4, "cold-store-1", "sensor", t, &d, &e), 0);
    assert_true(d.id > 0);
    memset(t, 0, sizeof t);
    assert_int_equal(auth_device_add(f->st, &actor, 4, "cold-store-1", "sensor", t, &d, &e),
                     ERR_EXISTS);
    assert_int_equal(auth_device_add(f->st, &actor, 4, "bad name", "sensor", t, &d, &e), ERR_INVAL);
    struct auth_principal who;
    assert_int_equal(t[0], 0); /* a failed add hands out no token */
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(auth_device_add(f->st, &actor, 4, "gw-2", "gateway", t, &d, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    assert_int_equal(who.role, AUTH_ROLE_DEVICE);
    assert_int_equal(who.device_id, d.id);
    assert_int_equal(who.user_id, 0);
    assert_int_equal(who.county_id, 4);
    assert_string_equal(who.name, "gw-2");
    f->now += 365LL * 24 * 3600 * 1000; /* device tokens do not expire */
    if (auth_verify_token(f->a, f->st, t, &who, &e))
        fail_msg("device token after a year: %s", e.msg);
    assert_int_equal(audit_count(f, "device.create"), 2);
    struct auth_device list[4];
    size_t n;
    assert_int_equal(auth_device_list(f->st, 4, 0, list, 4, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_int_equal(auth_device_list(f->st, 5, 0, list, 4, &n, &e), 0);
    assert_int_equal(n, 0);

    /* Disabling: the token stops at once, even though it is cached; another
    ** county cannot touch the device. */
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    assert_int_equal(auth_device_set_disabled(f->a, f->st, &actor, 5, d.id, true, NULL, &e),
                     ERR_NOTFOUND);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    struct auth_device out;
    assert_int_equal(auth_device_set_disabled(f->a, f->st, &actor, 4, d.id, true, &out, &e), 0);
    assert_true(out.disabled);
    assert_string_equal(out.name, "gw-2");
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(audit_count(f, "device.disable"), 1);
    assert_int_equal(auth_device_set_disabled(f->a, f->st, &actor, 4, d.id, false, &out, &e), 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);

    /* A new token replaces every earlier one, at once. */
    char t2[AUTH_TOKEN_LEN];
    memset(t2, 0, sizeof t2);
    assert_int_equal(auth_device_new_token(f->a, f->st, &actor, 5, d.id, t2, &e), ERR_NOTFOUND);
    assert_int_equal(t2[0], 0);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), 0);
    assert_int_equal(auth_device_new_token(f->a, f->st, &actor, 4, d.id, t2, &e), 0);
    assert_string_not_equal(t, t2);
    assert_int_equal(auth_verify_token(f->a, f->st, t, &who, &e), ERR_AUTH);
    assert_int_equal(auth_verify_token(f->a, f->st, t2, &who, &e), 0);
    assert_int_equal(who.device_id, d.id);
    assert_int_equal(audit_count(f, "device.token"), 1);
}

struct login_thread {
    struct fx *f;
    int ok;
    char tok[1][AUTH_TOKEN_LEN];
};

static void *login_thread(void *arg)
{
    struct login_thread *t = arg;
    for (int i = 0; i < 1; i++) {
        struct err e = {0};
        struct auth_principal who;
        if (login(t->f, "busy", "correct horse", "10.1.1.1", t->tok[i], &e) == 0 &&
            auth_verify_token(t->f->a, t->f->st, t->tok[i], &who, &e) == 0)
            t->ok++;
    }
    return NULL;
}

/* Logins from several threads at once (one Argon2id slot): all succeed, each
** gets its own working token. */
static void test_concurrent_logins(void **state)
{
    struct fx *f = *state;
    auth_free(f->a);
    struct auth_config cfg = {.max_concurrent_hashes = 1, .clock_ms = fake_clock, .clock_arg = f};
    struct err e = {0};
    assert_int_equal(auth_new(&f->a, &cfg, &e), 0);
    add_user(f, 2, "busy", AUTH_ROLE_OPERATOR);
    struct login_thread t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct login_thread){.f = f};
        pthread_create(&th[i], NULL, login_thread, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].ok, 1);
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            if (i != j)
                assert_string_not_equal(t[i].tok[0], t[j].tok[0]);
    assert_int_equal(query_i64(f, "SELECT COUNT(*) FROM auth_tokens", NULL), 4);
}

struct guess_thread {
    struct fx *f;
    char addr[32];
    int rc;
};

static void *guess_thread(void *arg)
{
    struct guess_thread *g = arg;
    char tok[AUTH_TOKEN_LEN];
    struct err e = {0};
    g->rc = login(g->f, "target", "a wrong guess", g->addr, tok, &e);
    return NULL;
}

/* A burst of parallel guesses at one name cannot get past the limit: the
** lockout is checked again once an attempt holds a hash slot, and counted
** before the slot is released (one slot here: exactly max_failures). */
static void test_burst_guesses(void **state)
{
    struct fx *f = *state;
    auth_free(f->a);
    struct auth_config cfg = {.max_failures = 3,
                              .window_ms = 60000,
                              .lockout_ms = 120000,
                              .max_concurrent_hashes = 1,
                              .clock_ms = fake_clock,
                              .clock_arg = f};
    struct err e = {0};
    assert_int_equal(auth_new(&f->a, &cfg, &e), 0);
    add_user(f, 2, "target", AUTH_ROLE_ADMIN);
    struct guess_thread g[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (struct guess_thread){.f = f};
        snprintf(g[i].addr, sizeof g[i].addr, "198.51.100.%d", i + 1);
        pthread_create(&th[i], NULL, guess_thread, &g[i]);
    }
    int failed = 0, busy = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        failed += g[i].rc == ERR_AUTH;
        busy += g[i].rc == ERR_BUSY;
    }
    assert_int_equal(failed, 3);
    assert_int_equal(busy, 5);
    assert_int_equal(audit_count(f, "auth.login_failed"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_hash_and_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_add_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
        cmocka_unit_test(test_limiter_window),
        cmocka_unit_test(test_limiter_keys),
        cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_logins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_guesses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
