/*
** auth_int.h: private to src/auth. The login limiter, token helpers and the
** shared pieces of the users/devices code.
*/
#ifndef RL_AUTH_INT_H
#define RL_AUTH_INT_H

#include <pthread.h>
#include <sodium.h>

#include "auth/auth.h"

/* ---------------------------------------------------------------- limiter */

/* One tracked key: "u:<name>" or "a:<address>". */
struct auth__lim_entry {
    char key[80];
    int failures; /* within the window that began at first_ms */
    int64_t first_ms;
    int64_t last_ms;
    int64_t locked_until_ms;
};

/* Failed-login counters; not thread-safe on its own (struct auth locks it).
** Bounded: at most cap entries; when full, stale entries go first, then the
** least recently used unlocked one. */
struct auth__limiter {
    struct auth__lim_entry *v;
    size_t n, cap;
    int max_failures;      /* for a name ("u:" keys) */
    int max_addr_failures; /* for an address ("a:" keys) */
    int64_t window_ms, lockout_ms;
};

void auth__lim_init(struct auth__limiter *l, size_t cap, int max_failures, int max_addr_failures,
                    int64_t window_ms, int64_t lockout_ms);
void auth__lim_release(struct auth__limiter *l);
/* Milliseconds of lockout left for key at now (0 = not locked). */
int64_t auth__lim_locked_ms(const struct auth__limiter *l, const char *key, int64_t now);
/* Count one failure; returns true when this failure starts a lockout. */
bool auth__lim_fail(struct auth__limiter *l, const char *key, int64_t now);
void auth__lim_reset(struct auth__limiter *l, const char *key);
/* The keys of a login attempt: "u:<name>" and "a:<address>". An IPv6
** client usually holds a whole /64, so IPv6 addresses key by their /64
** prefix ("a:2001:db8:1:2::/64"); IPv4 and IPv4-mapped ones by address. */
void auth__lim_keys(const char *name, const char *addr, char ukey[80], char akey[80]);

/* ----------------------------------------------------------------- tokens */

#define AUTH__HASH_HEX 65 /* SHA-256 as lowercase hex + NUL */

/* 32 random bytes as 43 base64url chars + NUL. */
void auth__token_new(char token[AUTH_TOKEN_LEN]);
/* Shape check only: 43 chars of [A-Za-z0-9_-]. */
bool auth__token_wellformed(const char *token);
/* SHA-256 of the token text: raw and hex. */
void auth__token_hash(const char *token, unsigned char raw[32], char hex[AUTH__HASH_HEX]);

/* Argon2id (interactive limits) into out; ERR_INTERNAL when libsodium
** cannot get the memory. */
int auth__password_hash(const char *password, char out[crypto_pwhash_STRBYTES], struct err *e);
/* Password rules (length, not equal to the name): ERR_INVAL with a message. */
int auth__password_check(const char *name, const char *password, struct err *e);

/* Insert a token row (user or device; the other id 0) inside a write. */
int auth__token_insert(struct store_conn *c, const char *hash_hex, int64_t county_id,
                       int64_t user_id, int64_t device_id, int64_t created_ms,
                       int64_t expires_ms /* 0 = never */, struct err *e);

/* Forget cached tokens of user_id (0 = every entry) / of a device. */
void auth__cache_forget_user(struct auth *a, int64_t user_id);
void auth__cache_forget_device(struct auth *a, int64_t device_id);

/* Append a JSON string member `"key":"value",` helper for audit details. */
void auth__json_kv(struct strbuf *sb, const char *key, const char *value, bool comma);

#endif
