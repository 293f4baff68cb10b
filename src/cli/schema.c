/*
** schema.c: the one place that lists every module's migrations, lowest
** layer first (DESIGN.md: auth, county < trace < market, telemetry, talent
** < logistics < oversight). A module adds its line when it lands.
*/
#include "cli/app.h"

#include "auth/auth.h"
#include "county/county.h"
#include "logistics/logistics.h"
#include "market/market.h"
#include "telemetry/telemetry.h"

#include <stddef.h>

struct module_schema {
    const char *module;
    const struct store_migration *migrations;
    const size_t *len;
};

static const struct module_schema schema[] = {
    {"auth", auth_migrations, &auth_migrations_len},
    {"county", county_migrations, &county_migrations_len},
    {"market", market_migrations, &market_migrations_len},
    {"telemetry", telemetry_migrations, &telemetry_migrations_len},
    {"logistics", logistics_migrations, &logistics_migrations_len},
};

int cli_register_schema(struct store *st, struct err *e)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++) {
        if (!schema[i].module)
            continue;
        int rc = store_add_migrations(st, schema[i].module, schema[i].migrations,
                                      *schema[i].len, e);
        if (rc)
            return rc;
    }
    return 0;
}
