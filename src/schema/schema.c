/*
** schema.c: the one place that lists every module's migrations, lowest
** layer first (DESIGN.md: auth, county < trace < market, telemetry, talent
** < logistics < oversight). A module adds its line when it lands. The
** commands (src/cli), the tests and the benches all register through it.
*/
#include "schema/schema.h"

/* Each module is listed only when it is part of the build (RL_HAVE_<MODULE>,
** set by src/schema/CMakeLists.txt), so builds restricted with RL_ONLY link. */
#ifdef RL_HAVE_AUTH
#include "auth/auth.h"
#endif
#ifdef RL_HAVE_COUNTY
#include "county/county.h"
#endif
#ifdef RL_HAVE_LOGISTICS
#include "logistics/logistics.h"
#endif
#ifdef RL_HAVE_MARKET
#include "market/market.h"
#endif
#ifdef RL_HAVE_TELEMETRY
#include "telemetry/telemetry.h"
#endif

#include <stddef.h>

struct module_schema {
    const char *module;
    const struct store_migration *migrations;
    const size_t *len;
    const struct store_ref *refs; /* columns naming other modules' rows */
    const size_t *nrefs;
};

static const struct module_schema schema[] = {
#ifdef RL_HAVE_AUTH
    {"auth", auth_migrations, &auth_migrations_len, NULL, NULL},
#endif
#ifdef RL_HAVE_COUNTY
    {"county", county_migrations, &county_migrations_len, NULL, NULL},
#endif
#ifdef RL_HAVE_MARKET
    {"market", market_migrations, &market_migrations_len, market_refs, &market_refs_len},
#endif
#ifdef RL_HAVE_TELEMETRY
    {"telemetry", telemetry_migrations, &telemetry_migrations_len, NULL, NULL},
#endif
#ifdef RL_HAVE_LOGISTICS
    {"logistics", logistics_migrations, &logistics_migrations_len, logistics_refs,
     &logistics_refs_len},
#endif
    {NULL, NULL, NULL, NULL, NULL}, /* keeps the array non-empty in the smallest builds */
};

int schema_register_all(struct store *st, struct err *e)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++) {
        if (!schema[i].module)
            continue;
        int rc =
            store_add_migrations(st, schema[i].module, schema[i].migrations, *schema[i].len, e);
        if (!rc && schema[i].refs)
            rc = store_add_refs(st, schema[i].refs, *schema[i].nrefs, e);
        if (rc)
            return rc;
    }
    return 0;
}
