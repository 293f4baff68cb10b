/*
** cmd_migrate.c: `ruralink migrate [--db PATH]`. Opens the database the way
** every command does (cli_open_store: every module's migrations registered
** and applied) and prints what the schema now holds: one JSON line per
** applied migration on stdout, "new": true for the ones this run applied.
** It reads schema_migrations(module, version, name, applied_ms), the table
** store.h documents as the record of applied migrations.
*/
#include "cli/app.h"
#include "cli/cli.h"

#include <string.h>

static void usage(FILE *to)
{
    fprintf(to, "usage: ruralink migrate [--db PATH]\n\n"
                "Create the database if needed and apply every missing migration, then list\n"
                "the applied ones (JSON lines: module, version, name, applied_at, new).\n\n"
                "options:\n"
                "  --db PATH   database file (default ruralink.db)\n"
                "  -h, --help  this help\n");
}

struct list_ctx {
    int64_t since_ms;
    int count, fresh;
};

static int list_fn(struct store_conn *c, void *arg, struct err *e)
{
    struct list_ctx *x = arg;
    struct store_stmt *s;
    int rc = store_prepare(c,
                           "SELECT module, version, name, applied_ms FROM schema_migrations"
                           " ORDER BY applied_ms, rowid",
                           &s, e);
    if (rc)
        return rc;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    while ((rc = store_step(s, e)) == STORE_ROW) {
        int64_t at = store_col_i64(s, 3);
        bool fresh = at >= x->since_ms;
        char ts[32];
        strbuf_reset(&sb);
        strbuf_addstr(&sb, "{\"module\":");
        const char *m = store_col_text(s, 0), *n = store_col_text(s, 2);
        strbuf_add_json_str(&sb, m, strlen(m));
        strbuf_addf(&sb, ",\"version\":%lld,\"name\":", (long long)store_col_i64(s, 1));
        strbuf_add_json_str(&sb, n, strlen(n));
        strbuf_addf(&sb, ",\"applied_at\":\"%s\",\"new\":%s}", time_fmt_rfc3339(at, ts),
                    fresh ? "true" : "false");
        puts(strbuf_str(&sb));
        x->count++;
        x->fresh += fresh;
    }
    strbuf_release(&sb);
    return rc < 0 ? rc : 0;
}

int cli_migrate(int argc, char **argv)
{
    const char *db = "ruralink.db";
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
            continue;
        }
        cli_errorf("migrate: unknown or incomplete option '%s' (see ruralink migrate --help)",
                   argv[i]);
        return CLI_USAGE;
    }
    struct err e;
    err_clear(&e);
    struct list_ctx x = {time_now_ms(), 0, 0};
    struct store *st;
    if (cli_open_store(db, NULL, &st, &e)) {
        cli_errorf("migrate: %s", e.msg);
        return CLI_FAIL;
    }
    int rc = store_read(st, list_fn, &x, &e);
    store_close(st);
    if (rc) {
        cli_errorf("migrate: %s", e.msg);
        return CLI_FAIL;
    }
    fprintf(stderr, "ruralink: %s: %d migrations applied, %d of them now\n", db, x.count, x.fresh);
    return CLI_OK;
}
