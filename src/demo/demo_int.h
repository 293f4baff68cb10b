/*
** demo_int.h: private to src/demo. The context every seeding step gets, the
** step signature, the deterministic random numbers and the name syllables.
**
** Adding demo data for a module <m> (market, telemetry, logistics, ...):
** write src/demo/demo_<m>.c defining
**
**     int demo_seed_<m>(struct demo_ctx *ctx, struct err *e);
**
** and nothing else: src/demo/CMakeLists.txt compiles demo_<m>.c and defines
** RL_DEMO_<M> only when both that file and the module rl_<m> are in the
** build, and demo.c already lists every domain module's step (in layer
** order) behind that define. A step seeds through its module's public
** service functions, acting as ctx->sys (the system in the demo county) or
** as a demo user (ctx->users[role]), and draws its randomness from its own
** stream, demo_rng_init(&r, ctx->seed, "<m>"), so adding or changing one
** module's demo never changes another's data.
*/
#ifndef RL_DEMO_INT_H
#define RL_DEMO_INT_H

#include "auth/auth.h"
#include "county/county.h"
#include "demo/demo.h"

/* xoshiro256** seeded through splitmix64 (public-domain algorithms by
** Blackman and Vigna, written here from their description). */
struct demo_rng {
    uint64_t s[4];
};
void demo_rng_init(struct demo_rng *r, uint64_t seed, const char *stream);
uint64_t demo_rng_next(struct demo_rng *r);
/* Uniform in [0, 1). */
double demo_rng_unit(struct demo_rng *r);
/* Uniform integer in [lo, hi] (lo <= hi). */
int64_t demo_rng_range(struct demo_rng *r, int64_t lo, int64_t hi);
/* Normal(mean, sd) by Box-Muller. */
double demo_rng_normal(struct demo_rng *r, double mean, double sd);

/* A syllable of a place name: characters and pinyin ("青", "Qing"). */
struct demo_syllable {
    const char *zh;
    const char *py;
};
extern const struct demo_syllable demo_syllables[];
extern const size_t demo_syllables_len;
/* A two-syllable place name: zh "青山", en "Qingshan" (buffers of
** COUNTY_NAME_BUF). */
void demo_place_name(struct demo_rng *r, char *zh, char *en);

struct demo_ctx {
    struct store *st;
    struct log *lg;
    uint64_t seed;
    int64_t county_id;
    /* The system acting in the demo county (user_id 0, role admin). */
    struct auth_principal sys;
    /* One demo user per role (AUTH_ROLE_DEVICE unused), as principals. */
    struct auth_principal users[AUTH_ROLE_COUNT];
    /* The network as seeded (loaded again after the county step). */
    struct county_network net;
    /* The time of the seeding (ms UTC): the clock, or demo_seed_at's. */
    int64_t now_ms;
};

typedef int (*demo_step_fn)(struct demo_ctx *ctx, struct err *e);

/* The steps of this module (demo_county.c, demo_users.c). */
int demo_seed_county(struct demo_ctx *ctx, struct err *e);
int demo_seed_users(struct demo_ctx *ctx, struct err *e);

/* Other modules' steps (each in its own demo_<m>.c; see above). */
int demo_seed_trace(struct demo_ctx *ctx, struct err *e);
int demo_seed_market(struct demo_ctx *ctx, struct err *e);
int demo_seed_telemetry(struct demo_ctx *ctx, struct err *e);
int demo_seed_talent(struct demo_ctx *ctx, struct err *e);
int demo_seed_logistics(struct demo_ctx *ctx, struct err *e);
int demo_seed_oversight(struct demo_ctx *ctx, struct err *e);

#endif
