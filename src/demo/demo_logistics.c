/*
** demo_logistics.c: the demo county's fleet and today's upward work. Seven
** vehicles at the county hub (five ambient light trucks, two chilled vans),
** the demo driver on all of them, and ten consignments of produce for
** today from villages to the hub or its cold store: mostly ambient, two
** chilled, one frozen (no demo vehicle is frozen-capable) and one too heavy
** for any vehicle; then today's plan, dispatched with a short search and
** approved by the demo operator, which shows why those two are left out.
** Their cooperatives then brought them in themselves (received at their
** destination): a lot no vehicle can carry would otherwise wait in every
** later dispatch for good, in a demo database kept past its day. Two lots
** registered after the plan wait for the next dispatch (open, collectable).
** The driver has reported every stop of today's routes planned before the
** seeding (picked up, delivered with the proof code; on time), so the
** routes are under way, not overdue. With the telemetry demo, the two
** chilled vans carry its loggers reefer-1 and reefer-2 (device bindings),
** so their routes have a cold-chain report.
*/
#include "demo/demo_int.h"
#include "logistics/logistics.h"
#ifdef RL_DEMO_TELEMETRY
#include "telemetry/telemetry.h"
#endif

#include <stdio.h>
#include <string.h>

static int64_t hub_of(const struct county_network *net, enum county_node_kind kind)
{
    for (size_t i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == kind)
            return net->nodes[i].id;
    return 0;
}

#ifdef RL_DEMO_TELEMETRY
/* Bind the telemetry demo's loggers reefer-1.. to the vans' plates. */
static int bind_loggers(struct demo_ctx *ctx, char plates[][LOGISTICS_PLATE_BUF], int n,
                        struct err *e)
{
    struct auth_device d[64];
    size_t nd = 0;
    int rc = auth_device_list(ctx->st, ctx->county_id, 0, d, RL_ARRAY_LEN(d), &nd, e);
    if (rc)
        return rc;
    struct telemetry *t;
    struct telemetry_config cfg = {0};
    cfg.log = ctx->lg;
    if ((rc = telemetry_new(&t, ctx->st, &cfg, e)))
        return rc;
    for (int k = 0; k < n && !rc; k++) {
        char name[32];
        snprintf(name, sizeof name, "reefer-%d", k + 1);
        for (size_t i = 0; i < nd && !rc; i++) {
            if (strcmp(d[i].name, name) != 0)
                continue;
            struct tm_device_binding b = {.device_id = d[i].id, .kind = "vehicle"};
            snprintf(b.ref, sizeof b.ref, "%s", plates[k]);
            rc = tm_device_bind(t, ctx->county_id, &ctx->sys, &b, e);
        }
    }
    telemetry_free(t);
    return rc;
}
#endif

/* The driver's reports of today's plan up to the seeding: every stop
** planned before ctx->now_ms, at its planned time (START and END arrived,
** pickups picked up, deliveries and drops delivered with their proof
** code), so the routes are under way and on time rather than overdue with
** nothing reported. The proof codes come from the operator's view of the
** plan: the receiver holds the code, the driver reports it. */
static int report_done(struct demo_ctx *ctx, int64_t plan_id, struct err *e)
{
    const struct auth_principal *op = &ctx->users[AUTH_ROLE_OPERATOR];
    const struct auth_principal *driver = &ctx->users[AUTH_ROLE_DRIVER];
    struct logistics_plan p;
    logistics_plan_init(&p);
    int rc = logistics_plan_get(ctx->st, op, plan_id, &p, e);
    for (size_t r = 0; r < p.n_routes && !rc; r++) {
        const struct logistics_route *rt = &p.routes[r];
        for (size_t q = 0; q < rt->n_stops && !rc; q++) {
            const struct logistics_stop *s = &rt->stops[q];
            if (s->arrive_ms >= ctx->now_ms)
                break;
            enum logistics_event ev = LOGISTICS_EV_ARRIVED;
            if (s->kind == LOGISTICS_STOP_PICKUP)
                ev = LOGISTICS_EV_PICKED_UP;
            else if (s->kind == LOGISTICS_STOP_DELIVERY || s->kind == LOGISTICS_STOP_DROP)
                ev = LOGISTICS_EV_DELIVERED;
            rc = logistics_track_event(ctx->st, driver, s->id, ev,
                                       ev == LOGISTICS_EV_DELIVERED ? s->proof_code : NULL, NULL,
                                       s->arrive_ms, e);
            if (rc)
                err_prefix(e, "stop %lld: ", (long long)s->id);
        }
    }
    logistics_plan_release(&p);
    return rc ? err_prefix(e, "today's reports: ") : 0;
}

int demo_seed_logistics(struct demo_ctx *ctx, struct err *e)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, "logistics");
    const struct county_network *net = &ctx->net;
    int64_t hub = hub_of(net, COUNTY_NODE_HUB), cold = hub_of(net, COUNTY_NODE_COLD_STORE);
    if (!hub)
        return err_set(e, ERR_INTERNAL, "the demo county has no hub");
    /* The demo has one user per role (tests/test_demo.c), so its driver is
    ** on every demo vehicle: whichever vehicles today's dispatch chooses,
    ** the driver's login shows their routes (with the first vehicle only,
    ** the plan often used another and the driver's day was empty). A county
    ** gives each vehicle its own driver through the user and vehicle API. */
    int64_t driver = ctx->users[AUTH_ROLE_DRIVER].user_id;
    static const char *const letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    char vans[2][LOGISTICS_PLATE_BUF];
    int nvans = 0;
    for (int k = 0; k < 7; k++) {
        bool cold_van = k >= 5;
        struct logistics_vehicle v = {
            .depot_node_id = hub,
            .capacity_g = cold_van ? 1000000 : 1500000,
            .capacity_ml = cold_van ? 5000000 : 8000000,
            .temp = cold_van ? LOGISTICS_TEMP_CHILLED : LOGISTICS_TEMP_NONE,
            .cost_per_km_fen = cold_van ? 150 : 120,
            .cost_per_hour_fen = 3000,
            .fixed_cost_fen = cold_van ? 12000 : 8000,
            .shift_start_min = 7 * 60,
            .shift_end_min = 19 * 60,
            .co2_g_per_km = cold_van ? 280 : 220,
            .driver_user_id = driver,
        };
        snprintf(v.plate, sizeof v.plate, "黔H·%c%05d", letters[demo_rng_range(&r, 0, 23)],
                 (int)demo_rng_range(&r, 10000, 99999));
        int rc = logistics_vehicle_create(ctx->st, &ctx->sys, &v, e);
        if (rc)
            return err_prefix(e, "vehicle %d: ", k + 1);
        if (cold_van && nvans < 2)
            memcpy(vans[nvans++], v.plate, sizeof v.plate);
    }
#ifdef RL_DEMO_TELEMETRY
    if (bind_loggers(ctx, vans, nvans, e))
        return err_prefix(e, "logger bindings: ");
#else
    (void)vans;
#endif
    /* Today's consignments (local date, UTC+8). */
    int64_t now = ctx->now_ms + (int64_t)LOGISTICS_TZ_OFFSET_MIN * 60000;
    int64_t today = now - now % 86400000;
    static const struct {
        const char *what;
        int64_t kg;
        enum logistics_storage s;
    } goods[] = {
        {"猕猴桃 kiwifruit", 180, LOGISTICS_AMBIENT},
        {"茶叶 tea", 60, LOGISTICS_AMBIENT},
        {"土豆 potatoes", 400, LOGISTICS_AMBIENT},
        {"蜂蜜 honey", 90, LOGISTICS_AMBIENT},
        {"香菇 mushrooms", 120, LOGISTICS_AMBIENT},
        {"辣椒 chillies", 150, LOGISTICS_AMBIENT},
        {"杨梅 bayberries", 80, LOGISTICS_CHILLED},
        {"鲜奶 fresh milk", 150, LOGISTICS_CHILLED},
        {"冻腊肉 frozen bacon", 70, LOGISTICS_FROZEN},
        {"玉米 maize (bulk)", 5000, LOGISTICS_AMBIENT},
        /* registered after today's plan: waiting for the next dispatch */
        {"核桃 walnuts", 120, LOGISTICS_AMBIENT},
        {"花生 peanuts", 200, LOGISTICS_AMBIENT},
    };
    enum { N_PLANNED = 10 };
    int64_t ids[RL_ARRAY_LEN(goods)];
    const struct auth_principal *op = &ctx->users[AUTH_ROLE_OPERATOR];
    int64_t plan_id = 0;
    for (size_t k = 0; k < RL_ARRAY_LEN(goods) && net->n_villages; k++) {
        const struct county_village *v =
            &net->villages[demo_rng_range(&r, 0, (int64_t)net->n_villages - 1)];
        struct logistics_consignment c = {
            .village_id = v->id,
            .to_node_id = goods[k].s != LOGISTICS_AMBIENT && cold ? cold : 0,
            .date_ms = today,
            .weight_g = goods[k].kg * 1000,
            .volume_ml = goods[k].kg * 1600,
            .storage = goods[k].s,
        };
        snprintf(c.description, sizeof c.description, "%s", goods[k].what);
        int rc = logistics_consignment_create(ctx->st, &ctx->sys, &c, e);
        if (rc)
            return err_prefix(e, "consignment %zu: ", k + 1);
        ids[k] = c.id;
        if (k + 1 != N_PLANNED)
            continue;
        /* Today's plan, approved by the operator, so sheets and tracking
        ** have something to show; a short search keeps seeding fast. */
        struct logistics_dispatch_req req = {
            .date_ms = today, .depot_node_id = hub, .name = "今日配送 today's dispatch"};
        logistics_plan_params_default(&req.params);
        req.params.time_limit_s = 0.3;
        rc = logistics_dispatch(NULL, ctx->st, op, &req, &plan_id, e);
        if (!rc)
            rc = logistics_plan_approve(ctx->st, op, plan_id, e);
        if (rc)
            return err_prefix(e, "today's plan: ");
        /* what no vehicle could carry, its cooperative brought in */
        for (size_t m = 0; m < N_PLANNED && !rc; m++)
            if (goods[m].s == LOGISTICS_FROZEN || goods[m].kg > 1500)
                rc = logistics_consignment_receive(
                    ctx->st, op, ids[m], goods[m].s == LOGISTICS_AMBIENT ? hub : 0, NULL, e);
        if (rc)
            return err_prefix(e, "consignment received: ");
    }
    return plan_id ? report_done(ctx, plan_id, e) : 0;
}
