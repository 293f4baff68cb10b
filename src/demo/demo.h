/*
** demo: a deterministic, clearly fictional demo county, seeded through the
** domain modules' public service functions (it is data, not a special code
** path: the same API serves it afterwards).
**
** The county ("青岚县 Qinglan County", fictional) lies in the mountains of
** south-west China: a county seat in the main valley, about 12 townships
** along four or five valleys, about 200 villages clustered around them over
** roughly 50 km x 40 km, a county hub, a station per township, village
** service points, two cold stores, and one user per role named after the
** role (admin, operator, merchant, driver, auditor, trainer, buyer) with the
** password DEMO_PASSWORD. Other modules add their data (producers, products,
** sensors, vehicles ...) through the hooks described in demo_int.h.
**
** The same seed gives the same data (names, coordinates, populations,
** capacities); timestamps and ids come from the store as usual.
*/
#ifndef RL_DEMO_H
#define RL_DEMO_H

#include <stdint.h>

#include "base/base.h"
#include "store/store.h"

#define DEMO_PASSWORD "ruralink-demo"
#define DEMO_SEED_DEFAULT UINT64_C(20261129)

/* Seed the demo county with DEMO_SEED_DEFAULT when the database has no
** county yet; do nothing (return 0, log "demo.skip") when it has one.
** lg may be NULL. The store must be migrated with every module's schema. */
int demo_seed(struct store *st, struct log *lg, struct err *e);

/* The same with an explicit seed (tests, `--demo-seed`). */
int demo_seed_with(struct store *st, struct log *lg, uint64_t seed, struct err *e);

/* The same as if seeded at now_ms (ms UTC) instead of the clock (tests): the
** logistics demo's day is now_ms's local date, and what it reports done on
** today's routes (the stops planned before the seeding) follows now_ms. */
int demo_seed_at(struct store *st, struct log *lg, uint64_t seed, int64_t now_ms, struct err *e);

#endif
