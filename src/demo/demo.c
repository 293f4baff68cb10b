/*
** demo.c: runs the demo seeding steps in layer order when the database has
** no county yet: the county's geography and network, the demo users, then
** each domain module's own demo data (demo_<m>.c, compiled only when present;
** see demo_int.h). Logs one line per step and a summary.
*/
#include "demo/demo_int.h"

#include <stdio.h>
#include <string.h>

struct step {
    const char *name;
    demo_step_fn fn;
};

static const struct step steps[] = {
    {"county", demo_seed_county},       {"users", demo_seed_users},
#ifdef RL_DEMO_TRACE
    {"trace", demo_seed_trace},
#endif
#ifdef RL_DEMO_MARKET
    {"market", demo_seed_market},
#endif
#ifdef RL_DEMO_TELEMETRY
    {"telemetry", demo_seed_telemetry},
#endif
#ifdef RL_DEMO_TALENT
    {"talent", demo_seed_talent},
#endif
#ifdef RL_DEMO_LOGISTICS
    {"logistics", demo_seed_logistics},
#endif
#ifdef RL_DEMO_OVERSIGHT
    {"oversight", demo_seed_oversight},
#endif
};

int demo_seed_with(struct store *st, struct log *lg, uint64_t seed, struct err *e)
{
    return demo_seed_at(st, lg, seed, time_now_ms(), e);
}

int demo_seed_at(struct store *st, struct log *lg, uint64_t seed, int64_t now_ms, struct err *e)
{
    int64_t n = 0;
    int rc = county_count(st, &n, e);
    if (rc)
        return rc;
    if (n > 0) {
        log_write(lg, LOG_INFO, "demo.skip", "reason=\"database has %lld counties\"", (long long)n);
        return 0;
    }
    /* Accounts but no county: someone's first admin, made before their
    ** county. The demo county would take the first county id, and whoever
    ** was made for that id would join a county with published passwords. */
    struct auth_user any;
    size_t users = 0;
    if ((rc = auth_user_list(st, -1, 0, &any, 1, &users, e)))
        return rc;
    if (users > 0)
        return err_set(e, ERR_CONFLICT,
                       "the database has accounts but no county (e.g. '%s' of county %lld): the "
                       "demo seeds only an empty database; use another --db",
                       any.name, (long long)any.county_id);
    struct demo_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.st = st;
    ctx.lg = lg;
    ctx.seed = seed;
    ctx.now_ms = now_ms;
    ctx.sys.role = AUTH_ROLE_ADMIN; /* user_id 0, device_id 0: the system */
    snprintf(ctx.sys.name, sizeof ctx.sys.name, "demo-seeder");
    double t0 = time_mono_s();
    for (size_t i = 0; i < RL_ARRAY_LEN(steps) && !rc; i++) {
        double t = time_mono_s();
        rc = steps[i].fn(&ctx, e);
        if (rc) {
            err_prefix(e, "demo step '%s': ", steps[i].name);
            log_write(lg, LOG_ERROR, "demo.step", "step=%s error=%s", steps[i].name, err_str(rc));
        } else {
            log_write(lg, LOG_INFO, "demo.step", "step=%s ms=%.0f", steps[i].name,
                      (time_mono_s() - t) * 1000);
        }
    }
    if (!rc)
        log_write(lg, LOG_INFO, "demo.seeded",
                  "county_id=%lld seed=%llu townships=%zu villages=%zu nodes=%zu ms=%.0f",
                  (long long)ctx.county_id, (unsigned long long)seed, ctx.net.n_townships,
                  ctx.net.n_villages, ctx.net.n_nodes, (time_mono_s() - t0) * 1000);
    county_network_release(&ctx.net);
    return rc;
}

int demo_seed(struct store *st, struct log *lg, struct err *e)
{
    return demo_seed_with(st, lg, DEMO_SEED_DEFAULT, e);
}
