/*
** cmd_backup.c: `ruralink backup --db PATH --out FILE|DIR [--keep N]`. A
** checked, synced copy of the database, safe to take while the server runs
** (store_backup says how). Into a directory, each run adds a file named by
** its UTC time, and --keep N deletes the oldest beyond N: what a daily cron
** line needs. Prints one JSON line describing the copy on stdout.
*/
#include "cli/app.h"
#include "cli/cli.h"

#include <string.h>
#include <sys/stat.h>

static void usage(FILE *to)
{
    fprintf(to, "usage: ruralink backup [--db PATH] --out FILE|DIR [--keep N] [--replace]\n\n"
                "Copy the database to FILE, or into DIR as ruralink-YYYYMMDDTHHMMSSZ.db (UTC).\n"
                "Safe while `ruralink serve` runs: the copy is the database as of one commit.\n"
                "The copy passes SQLite's integrity check and is synced to disk before it\n"
                "gets its name, so a failed or interrupted backup leaves no file under it.\n"
                "The database itself is only read (never created or migrated).\n"
                "Prints one JSON line: path, bytes, tables, migrations, duration_ms, pruned.\n\n"
                "To restore: stop the server, move the database and its -wal and -shm files\n"
                "aside, copy the backup to the database's path, start the server.\n\n"
                "options:\n"
                "  --db PATH    database file (default ruralink.db)\n"
                "  --out PATH   the copy: a file name, or an existing directory\n"
                "  --keep N     with a directory: keep the newest N backups there, delete older\n"
                "               ones (only files named as this command names them)\n"
                "  --replace    overwrite an existing FILE (refused otherwise)\n"
                "  -h, --help   this help\n");
}

struct backup_opts {
    const char *db, *out;
    int keep;
    bool replace;
};

static int parse(int argc, char **argv, struct backup_opts *o)
{
    *o = (struct backup_opts){.db = "ruralink.db"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--db") == 0 && has_value) {
            o->db = argv[++i];
        } else if (strcmp(a, "--out") == 0 && has_value) {
            o->out = argv[++i];
        } else if (strcmp(a, "--keep") == 0 && has_value) {
            int64_t k;
            if (str_to_i64(str_from(argv[++i]), &k) != 0 || k < 1 || k > 100000) {
                cli_errorf("backup: --keep wants a whole number from 1 to 100000, not '%s'",
                           argv[i]);
                return CLI_USAGE;
            }
            o->keep = (int)k;
        } else if (strcmp(a, "--replace") == 0) {
            o->replace = true;
        } else {
            cli_errorf("backup: unknown or incomplete option '%s' (see ruralink backup --help)", a);
            return CLI_USAGE;
        }
    }
    if (!o->out || !*o->out) {
        cli_errorf("backup: --out is required (a file or a directory; see ruralink backup --help)");
        return CLI_USAGE;
    }
    struct stat sb;
    bool dir = stat(o->out, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (o->keep && !dir) {
        cli_errorf("backup: --keep needs --out to be an existing directory ('%s' is not)", o->out);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_backup(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        }
    }
    struct backup_opts o;
    int urc = parse(argc, argv, &o);
    if (urc)
        return urc;
    struct err e;
    err_clear(&e);
    struct store_backup_info info;
    if (store_backup(o.db, o.out, o.replace, &info, &e)) {
        cli_errorf("backup: %s", e.msg);
        return CLI_FAIL;
    }
    int pruned = 0;
    int prc = o.keep ? store_backup_prune(o.out, o.keep, &pruned, &e) : 0;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_addstr(&sb, "{\"path\":");
    strbuf_add_json_str(&sb, info.path, strlen(info.path));
    strbuf_addf(&sb,
                ",\"bytes\":%lld,\"tables\":%lld,\"migrations\":%lld,\"integrity\":\"ok\","
                "\"duration_ms\":%lld,\"pruned\":%d}",
                (long long)info.bytes, (long long)info.tables, (long long)info.migrations,
                (long long)info.duration_ms, pruned);
    puts(strbuf_str(&sb));
    strbuf_release(&sb);
    if (prc) {
        /* the backup itself is good and named: say so, then fail */
        cli_errorf("backup: the copy is made, but removing old backups failed: %s", e.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}
