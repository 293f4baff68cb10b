/*
** auth: users, roles, sessions and device tokens; the lowest domain module
** (every other domain may include this header, never the reverse).
**
** Users belong to one county and have one role. Passwords are hashed with
** Argon2id (libsodium crypto_pwhash_str). A login returns a bearer token of
** 256 random bits (base64url, 43 chars); only its SHA-256 is stored, so a
** copy of the database does not hand out sessions. Devices (sensors,
** gateways) get tokens of their own that can only write readings.
**
** Failed logins are rate-limited per user name and per remote address by an
** in-memory limiter that hangs off struct auth (made in main, no globals).
*/
#ifndef RL_AUTH_H
#define RL_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

enum auth_role {
    AUTH_ROLE_ADMIN = 0, /* runs the county's installation: users, settings */
    AUTH_ROLE_OPERATOR,  /* service-center staff: network, dispatch, orders */
    AUTH_ROLE_MERCHANT,  /* sells through producers it owns */
    AUTH_ROLE_DRIVER,    /* sees and reports on its own routes */
    AUTH_ROLE_AUDITOR,   /* government: reads everything, writes findings */
    AUTH_ROLE_TRAINER,   /* courses, cohorts, assessments */
    AUTH_ROLE_BUYER,     /* places and follows its own orders */
    AUTH_ROLE_DEVICE,    /* a sensor or gateway: writes readings only */
    AUTH_ROLE_COUNT
};
#define AUTH_ROLE_BIT(r) (1u << (r))
/* Every person (not devices). */
#define AUTH_ANY_USER (AUTH_ROLE_BIT(AUTH_ROLE_COUNT) - 1u - AUTH_ROLE_BIT(AUTH_ROLE_DEVICE))
#define AUTH_STAFF (AUTH_ROLE_BIT(AUTH_ROLE_ADMIN) | AUTH_ROLE_BIT(AUTH_ROLE_OPERATOR))

/* "admin", "operator", ... ; NULL for an out-of-range value. */
const char *auth_role_name(enum auth_role r);
int auth_role_parse(const char *name, enum auth_role *out);

/* Who is acting: filled by the HTTP layer from the bearer token, or by the
** CLI (user_id 0 = the system itself). Plain value, copied freely. */
struct auth_principal {
    int64_t user_id;   /* 0 for devices and the system */
    int64_t device_id; /* 0 for people */
    int64_t county_id;
    enum auth_role role;
    char name[64];
};

struct auth; /* login limiter + settings; one per process */

struct auth_config {
    int max_failures;      /* per name within the window (default 5) */
    int max_addr_failures; /* per client address within the window (default 4 x
                              max_failures: many users may share an address) */
    int64_t window_ms;     /* default 15 minutes */
    int64_t lockout_ms;    /* default 15 minutes */
    int64_t token_ttl_ms;  /* session lifetime (default 12 hours) */
    /* Added by the auth module (0 = default for each): */
    int64_t cache_ttl_ms;           /* verified tokens remembered in memory (default
                                       5 s; negative = no cache). Bounds how long a
                                       change made by ANOTHER process (CLI) takes to
                                       reach this one; changes made through this
                                       struct auth take effect at once. */
    int limiter_entries;            /* names + addresses tracked (default 10000) */
    int max_concurrent_hashes;      /* Argon2id checks running at once (default:
                                       online CPUs); each holds 64 MiB, so this
                                       bounds login memory; more logins wait */
    int64_t (*clock_ms)(void *arg); /* wall clock; NULL = time_now_ms (tests) */
    void *clock_arg;
};

int auth_new(struct auth **out, const struct auth_config *cfg, struct err *e);
void auth_free(struct auth *a);

/* Token text: 43 base64url chars + NUL. */
#define AUTH_TOKEN_LEN 44

/* Current time by a's clock (see auth_config.clock_ms). */
int64_t auth_now_ms(const struct auth *a);

/* Check name/password; on success create a session and write its token.
** Failures count against the name and the address; while either is locked
** out the answer is ERR_BUSY (HTTP 429) without checking the password. */
int auth_login(struct auth *a, struct store *st, const char *name, const char *password,
               const char *remote_addr, char token[AUTH_TOKEN_LEN], struct auth_principal *who,
               int64_t *expires_ms, struct err *e);

/* While name or address is locked out: milliseconds until the lockout ends
** (for Retry-After); 0 when neither is locked. name/remote_addr may be NULL. */
int64_t auth_login_retry_after_ms(struct auth *a, const char *name, const char *remote_addr);

/* Resolve a bearer token (session or device) to its principal. ERR_AUTH when
** unknown, expired, revoked or malformed. */
int auth_verify_token(struct auth *a, struct store *st, const char *token,
                      struct auth_principal *out, struct err *e);

/* End the session of this token. */
int auth_logout(struct auth *a, struct store *st, const char *token, struct err *e);

struct auth_user_new {
    int64_t county_id;
    const char *name;     /* login name, unique */
    const char *password; /* at least 8 characters */
    enum auth_role role;
    const char *display_name; /* may be NULL */
};

/* Create a user (audited as done by `actor`, NULL = the system/CLI). */
int auth_user_add(struct store *st, const struct auth_principal *actor,
                  const struct auth_user_new *u, int64_t *id_out, struct err *e);

/* A user as stored (never the password hash). Plain value. */
struct auth_user {
    int64_t id;
    int64_t county_id;
    enum auth_role role;
    bool disabled;
    char name[64];
    char display_name[128]; /* "" when none */
    int64_t created_ms;
    int64_t updated_ms;
};

/* Login names: 1-63 of [A-Za-z0-9._@-]. Passwords: 8-1024 bytes, not equal
** to the name. Display names: up to 127 bytes of UTF-8. */
bool auth_name_valid(const char *name);

/* The user `id` of county `county_id`: ERR_NOTFOUND when absent or in
** another county (callers never learn which). */
int auth_user_get(struct store *st, int64_t county_id, int64_t id, struct auth_user *out,
                  struct err *e);

/* The same inside another module's store function, on its connection c
** (one primary-key lookup within that function's transaction). */
int auth_user_load(struct store_conn *c, int64_t county_id, int64_t id, struct auth_user *out,
                   struct err *e);
/* Only a user's role and whether it is disabled (ERR_NOTFOUND as above): the
** check another module's write makes for a user it names, per order on a
** flash sale's hot path. */
int auth_user_standing(struct store_conn *c, int64_t county_id, int64_t id, enum auth_role *role,
                       bool *disabled, struct err *e);

/* The user with this login name, in any county (for the CLI, which acts
** as the system; HTTP handlers use auth_user_get). ERR_NOTFOUND when none. */
int auth_user_find(struct store *st, const char *name, struct auth_user *out, struct err *e);

/* Users of county_id (county_id < 0: every county, for the CLI) with
** id > after_id, ascending, at most cap into out[]; *n_out = how many. */
int auth_user_list(struct store *st, int64_t county_id, int64_t after_id, struct auth_user *out,
                   size_t cap, size_t *n_out, struct err *e);

/* Change a user. NULL / negative fields are left as they are. A password
** change or disabling revokes every session of the user. The last enabled
** admin of a county cannot be demoted or disabled (ERR_CONFLICT). a may be
** NULL (CLI); when given, its token cache forgets the user at once. */
struct auth_user_patch {
    const enum auth_role *role;
    const char *password;
    const char *display_name;
    int disabled; /* -1 unchanged, 0 enable, 1 disable */
};
int auth_user_update(struct auth *a, struct store *st, const struct auth_principal *actor,
                     int64_t county_id, int64_t id, const struct auth_user_patch *p,
                     struct auth_user *out, struct err *e);

/* Devices: sensors and gateways of a county. auth_device_add creates one and
** its token (shown once: only the hash is kept; it does not expire). */
struct auth_device {
    int64_t id;
    int64_t county_id;
    char name[64];
    char kind[32]; /* free text: "sensor", "gateway", ... */
    bool disabled;
    int64_t created_ms;
};
int auth_device_add(struct store *st, const struct auth_principal *actor, int64_t county_id,
                    const char *name, const char *kind, char token[AUTH_TOKEN_LEN],
                    struct auth_device *out, struct err *e);
int auth_device_list(struct store *st, int64_t county_id, int64_t after_id, struct auth_device *out,
                     size_t cap, size_t *n_out, struct err *e);
/* Disable (its token stops working at once in this process, within
** cache_ttl_ms elsewhere) or enable device `id` of county_id; audited.
** ERR_NOTFOUND when absent or in another county. a may be NULL. */
/* A new token for device `id` of county_id; every earlier token of the
** device stops working (at once here, within cache_ttl_ms elsewhere). For a
** lost or leaked credential when the device (and what is bound to it) stays.
** Audited; ERR_NOTFOUND when absent or in another county. a may be NULL. */
int auth_device_new_token(struct auth *a, struct store *st, const struct auth_principal *actor,
                          int64_t county_id, int64_t id, char token[AUTH_TOKEN_LEN], struct err *e);
int auth_device_set_disabled(struct auth *a, struct store *st, const struct auth_principal *actor,
                             int64_t county_id, int64_t id, bool disabled, struct auth_device *out,
                             struct err *e);

/* The module's schema (users, sessions, devices). */
extern const struct store_migration auth_migrations[];
extern const size_t auth_migrations_len;

#endif
