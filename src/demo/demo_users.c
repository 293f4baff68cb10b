/*
** demo_users.c: one demo user per role, named after the role, with the
** password DEMO_PASSWORD, created through auth_user_add as the system.
*/
#include "demo/demo_int.h"

#include <stdio.h>
#include <string.h>

static const char *const display_names[AUTH_ROLE_COUNT] = {
    [AUTH_ROLE_ADMIN] = "演示管理员 Demo admin",
    [AUTH_ROLE_OPERATOR] = "演示运营 Demo operator",
    [AUTH_ROLE_MERCHANT] = "演示商户 Demo merchant",
    [AUTH_ROLE_DRIVER] = "演示司机 Demo driver",
    [AUTH_ROLE_AUDITOR] = "演示监管 Demo auditor",
    [AUTH_ROLE_TRAINER] = "演示讲师 Demo trainer",
    [AUTH_ROLE_BUYER] = "演示买家 Demo buyer",
};

int demo_seed_users(struct demo_ctx *ctx, struct err *e)
{
    for (int r = 0; r < AUTH_ROLE_COUNT; r++) {
        if (r == AUTH_ROLE_DEVICE)
            continue;
        struct auth_user_new u;
        memset(&u, 0, sizeof u);
        u.county_id = ctx->county_id;
        u.name = auth_role_name((enum auth_role)r);
        u.password = DEMO_PASSWORD;
        u.role = (enum auth_role)r;
        u.display_name = display_names[r];
        int64_t id = 0;
        int rc = auth_user_add(ctx->st, NULL, &u, &id, e);
        if (rc)
            return err_prefix(e, "user %s: ", u.name);
        struct auth_principal *p = &ctx->users[r];
        memset(p, 0, sizeof *p);
        p->user_id = id;
        p->county_id = ctx->county_id;
        p->role = (enum auth_role)r;
        snprintf(p->name, sizeof p->name, "%s", u.name);
    }
    return 0;
}
