/*
** app.c: opening the database the way every command needs it: the store
** with default settings (durable commits), every module's migrations
** registered (src/schema) and applied.
*/
#include "cli/app.h"

#include "schema/schema.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int cli_open_store(const char *path, struct log *lg, struct store **out, struct err *e)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = path;
    cfg.log = lg;
    struct store *st = NULL;
    int rc = store_open(&st, &cfg, e);
    if (!rc && !(rc = schema_register_all(st, e)))
        rc = store_migrate(st, e);
    if (rc) {
        if (st)
            store_close(st);
        size_t n = strlen(path);
        if (strncmp(e->msg, path, n) != 0 || e->msg[n] != ':')
            err_prefix(e, "%s: ", path);
        return rc;
    }
    *out = st;
    return 0;
}

int cli_open_existing_store(const char *path, struct log *lg, struct store **out, struct err *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return err_set(e, ERR_NOTFOUND, "%s: no database there (%s; ruralink migrate creates one)",
                       path, strerror(errno));
    return cli_open_store(path, lg, out, e);
}
