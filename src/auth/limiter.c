/*
** limiter.c: counts failed logins per key ("u:<name>", "a:<address>") inside
** a sliding-from-first-failure window and locks a key out for a while once it
** reaches its limit: max_failures for a name, max_addr_failures for an
** address (higher: a village service center puts many people behind one
** address, and one person's typos must not lock the others out). The table is a plain bounded array
*searched linearly:
** a lookup is a few microseconds at the default 10,000 entries, far below the
** cost of the Argon2id check it guards, and the bound keeps an attacker who
** invents names from growing memory. The caller (auth.c) holds the mutex.
*/
#include "auth/auth_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

void auth__lim_init(struct auth__limiter *l, size_t cap, int max_failures, int max_addr_failures,
                    int64_t window_ms, int64_t lockout_ms)
{
    memset(l, 0, sizeof *l);
    l->cap = cap ? cap : 1;
    l->v = xcalloc(l->cap, sizeof l->v[0]);
    l->max_failures = max_failures > 0 ? max_failures : 1;
    l->max_addr_failures = max_addr_failures > 0 ? max_addr_failures : l->max_failures;
    l->window_ms = window_ms;
    l->lockout_ms = lockout_ms;
}

void auth__lim_release(struct auth__limiter *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

static struct auth__lim_entry *find(const struct auth__limiter *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strncmp(l->v[i].key, key, sizeof l->v[i].key - 1) == 0)
            return &l->v[i];
    }
    return NULL;
}

/* An entry that neither counts failures nor locks anything any more. */
static bool stale(const struct auth__limiter *l, const struct auth__lim_entry *x, int64_t now)
{
    return x->locked_until_ms <= now && now - x->first_ms >= l->window_ms;
}

int64_t auth__lim_locked_ms(const struct auth__limiter *l, const char *key, int64_t now)
{
    const struct auth__lim_entry *x = find(l, key);
    if (!x || x->locked_until_ms <= now)
        return 0;
    return x->locked_until_ms - now;
}

/* Make room for one more entry. */
static void evict(struct auth__limiter *l, int64_t now)
{
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (!stale(l, &l->v[i], now))
            l->v[w++] = l->v[i];
    }
    l->n = w;
    if (l->n < l->cap)
        return;
    /* Still full: drop the least recently touched entry, unlocked ones first. */
    size_t victim = 0;
    bool victim_locked = true;
    for (size_t i = 0; i < l->n; i++) {
        bool locked = l->v[i].locked_until_ms > now;
        if ((victim_locked && !locked) ||
            (locked == victim_locked && l->v[i].last_ms < l->v[victim].last_ms)) {
            victim = i;
            victim_locked = locked;
        }
    }
    l->v[victim] = l->v[--l->n];
}

bool auth__lim_fail(struct auth__limiter *l, const char *key, int64_t now)
{
    struct auth__lim_entry *x = find(l, key);
    if (!x) {
        if (l->n == l->cap)
            evict(l, now);
        x = &l->v[l->n++];
        memset(x, 0, sizeof *x);
        size_t k = strlen(key);
        if (k > sizeof x->key - 1)
            k = sizeof x->key - 1;
        memcpy(x->key, key, k);
        x->first_ms = now;
    }
    if (now - x->first_ms >= l->window_ms) { /* the window ended: start over */
        x->failures = 0;
        x->first_ms = now;
    }
    x->failures++;
    x->last_ms = now;
    int limit = key[0] == 'a' ? l->max_addr_failures : l->max_failures;
    if (x->failures >= limit && x->locked_until_ms <= now) {
        x->locked_until_ms = now + l->lockout_ms;
        /* After the lockout the key starts with a clean count. */
        x->failures = 0;
        x->first_ms = x->locked_until_ms;
        return true;
    }
    return false;
}

void auth__lim_reset(struct auth__limiter *l, const char *key)
{
    struct auth__lim_entry *x = find(l, key);
    if (x)
        *x = l->v[--l->n];
}

void auth__lim_keys(const char *name, const char *addr, char ukey[80], char akey[80])
{
    snprintf(ukey, 80, "u:%s", name ? name : "");
    unsigned char a6[16];
    char txt[INET6_ADDRSTRLEN];
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (addr && strchr(addr, ':') && inet_pton(AF_INET6, addr, a6) == 1 &&
        memcmp(a6, v4mapped, sizeof v4mapped) != 0) {
        memset(a6 + 8, 0, 8);
        inet_ntop(AF_INET6, a6, txt, sizeof txt);
        snprintf(akey, 80, "a:%s/64", txt);
        return;
    }
    snprintf(akey, 80, "a:%s", addr ? addr : "-");
}
