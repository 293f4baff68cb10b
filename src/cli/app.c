/*
** app.c: opening the database the way every command needs it: the store
** with default settings (durable commits), every module's migrations
** registered (src/schema) and applied.
*/
#include "cli/app.h"

#include "schema/schema.h"

int cli_open_store(const char *path, struct log *lg, struct store **out, struct err *e)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.log = lg;
    struct store *st = NULL;
    int rc = store_open(&st, &cfg, e);
    if (rc)
        return rc;
    rc = schema_register_all(st, e);
    if (!rc)
        rc = store_migrate(st, e);
    if (rc) {
        store_close(st);
        return rc;
    }
    *out = st;
    return 0;
}
