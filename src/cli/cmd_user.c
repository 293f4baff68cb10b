/*
** cmd_user.c: `ruralink user add|set|list`. Creates accounts directly in the
** database, as the system (audit actor 0): this is how the first admin of a
** county exists before anyone can log in. `user set` changes an account (a
** forgotten admin password, a role, disabling). `user list` prints the
** accounts as JSON lines on stdout (never password hashes).
*/
#include "cli/app.h"
#include "cli/cli.h"

#include "auth/auth.h"
#include "county/county.h"

#include <json-c/json.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: ruralink user add --name NAME --role ROLE --county ID\n"
            "                         [--password-stdin | --password PASSWORD]\n"
            "                         [--display-name TEXT] [--db PATH]\n"
            "       ruralink user set --name NAME [--role ROLE] [--password-stdin | --password P]\n"
            "                         [--display-name TEXT] [--disable | --enable] [--db PATH]\n"
            "       ruralink user list [--county ID] [--db PATH]\n\n"
            "add   creates an account (the CLI acts as the system: no login needed, so\n"
            "      this is how a county's first admin is made). Roles: admin, operator,\n"
            "      merchant, driver, auditor, trainer, buyer. Names are 1-63 of\n"
            "      [A-Za-z0-9._@-]; passwords at least 8 characters. Prefer\n"
            "      --password-stdin: a --password on the command line shows in `ps`.\n"
            "set   changes an account (e.g. a forgotten admin password). A new password\n"
            "      or --disable ends the user's sessions; a running server notices within\n"
            "      5 s. The last enabled admin of a county cannot be demoted or disabled.\n"
            "list  prints one JSON object per account on stdout.\n\n"
            "options:\n"
            "  --db PATH        database file (default ruralink.db); add creates and\n"
            "                   migrates it, set and list need it to exist\n"
            "  --county ID      the county the user belongs to (positive integer)\n"
            "  -h, --help       this help\n");
}

/* Read one line (the password) from stdin, without its line end. */
static int read_password(char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, stdin))
        return -1;
    size_t n = strlen(buf);
    if (n == cap - 1 && buf[n - 1] != '\n')
        return -2; /* too long */
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return 0;
}

static int parse_county(const char *v, int64_t *out)
{
    int64_t x;
    if (!v || str_to_i64(str_from(v), &x) || x <= 0) {
        cli_errorf("user: --county needs a positive integer, not '%s'", v ? v : "");
        return -1;
    }
    *out = x;
    return 0;
}

static int user_add(int argc, char **argv)
{
    const char *db = "ruralink.db", *name = NULL, *role_s = NULL, *county_s = NULL;
    const char *password = NULL, *display = NULL;
    bool from_stdin = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--password-stdin") == 0) {
            from_stdin = true;
            continue;
        }
        const char **slot = strcmp(a, "--db") == 0             ? &db
                            : strcmp(a, "--name") == 0         ? &name
                            : strcmp(a, "--role") == 0         ? &role_s
                            : strcmp(a, "--county") == 0       ? &county_s
                            : strcmp(a, "--password") == 0     ? &password
                            : strcmp(a, "--display-name") == 0 ? &display
                                                               : NULL;
        if (!slot) {
            cli_errorf("user add: unknown option '%s' (see ruralink user --help)", a);
            return CLI_USAGE;
        }
        if (i + 1 >= argc) {
            cli_errorf("user add: %s needs a value", a);
            return CLI_USAGE;
        }
        *slot = argv[++i];
    }
    if (!name || !role_s || !county_s) {
        cli_errorf("user add: --name, --role and --county are required (see ruralink user --help)");
        return CLI_USAGE;
    }
    if (from_stdin == (password != NULL)) {
        cli_errorf("user add: give exactly one of --password-stdin and --password");
        return CLI_USAGE;
    }
    enum auth_role role;
    if (auth_role_parse(role_s, &role) || role == AUTH_ROLE_DEVICE) {
        cli_errorf("user add: --role must be one of admin, operator, merchant, driver, auditor,"
                   " trainer, buyer (not '%s')",
                   role_s);
        return CLI_USAGE;
    }
    int64_t county_id;
    if (parse_county(county_s, &county_id))
        return CLI_USAGE;
    char pwbuf[1100];
    if (from_stdin) {
        int r = read_password(pwbuf, sizeof pwbuf);
        if (r) {
            cli_errorf("user add: %s",
                       r == -2 ? "password on stdin is too long" : "no password on stdin");
            return CLI_USAGE;
        }
        password = pwbuf;
    }

    struct err e;
    err_clear(&e);
    struct store *st;
    if (cli_open_store(db, NULL, &st, &e)) {
        cli_errorf("user add: %s", e.msg);
        return CLI_FAIL;
    }
    struct auth_user_new u = {county_id, name, password, role, display};
    int64_t id = 0;
    int rc = auth_user_add(st, NULL, &u, &id, &e);
    memset(pwbuf, 0, sizeof pwbuf);
    if (rc) {
        store_close(st);
        cli_errorf("user add: %s", e.msg);
        return rc == ERR_INVAL ? CLI_USAGE : CLI_FAIL;
    }
    /* The counties table is the county module's; a county that does not exist
    ** yet is allowed (the first admin may come before the county), but said. */
    struct auth_principal sys = {.county_id = county_id, .role = AUTH_ROLE_ADMIN};
    snprintf(sys.name, sizeof sys.name, "system");
    struct county cty;
    struct err ce;
    err_clear(&ce);
    if (county_get(st, &sys, county_id, &cty, &ce) == ERR_NOTFOUND)
        fprintf(stderr, "ruralink: note: county %lld does not exist yet in %s\n",
                (long long)county_id, db);
    store_close(st);
    printf("{\"id\":%lld,\"name\":", (long long)id);
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_add_json_str(&sb, name, strlen(name));
    printf("%s,\"role\":\"%s\",\"county_id\":%lld}\n", strbuf_str(&sb), auth_role_name(role),
           (long long)county_id);
    strbuf_release(&sb);
    return CLI_OK;
}

static int user_set(int argc, char **argv)
{
    const char *db = "ruralink.db", *name = NULL, *role_s = NULL, *password = NULL;
    const char *display = NULL;
    bool from_stdin = false;
    int disabled = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--password-stdin") == 0) {
            from_stdin = true;
            continue;
        }
        if (strcmp(a, "--disable") == 0 || strcmp(a, "--enable") == 0) {
            int want = a[2] == 'd' ? 1 : 0;
            if (disabled >= 0 && disabled != want) {
                cli_errorf("user set: --disable and --enable exclude each other");
                return CLI_USAGE;
            }
            disabled = want;
            continue;
        }
        const char **slot = strcmp(a, "--db") == 0             ? &db
                            : strcmp(a, "--name") == 0         ? &name
                            : strcmp(a, "--role") == 0         ? &role_s
                            : strcmp(a, "--password") == 0     ? &password
                            : strcmp(a, "--display-name") == 0 ? &display
                                                               : NULL;
        if (!slot) {
            cli_errorf("user set: unknown option '%s' (see ruralink user --help)", a);
            return CLI_USAGE;
        }
        if (i + 1 >= argc) {
            cli_errorf("user set: %s needs a value", a);
            return CLI_USAGE;
        }
        *slot = argv[++i];
    }
    if (!name) {
        cli_errorf("user set: --name is required");
        return CLI_USAGE;
    }
    if (from_stdin && password) {
        cli_errorf("user set: give at most one of --password-stdin and --password");
        return CLI_USAGE;
    }
    enum auth_role role;
    if (role_s && (auth_role_parse(role_s, &role) || role == AUTH_ROLE_DEVICE)) {
        cli_errorf("user set: --role must be one of admin, operator, merchant, driver, auditor,"
                   " trainer, buyer (not '%s')",
                   role_s);
        return CLI_USAGE;
    }
    char pwbuf[1100];
    pwbuf[0] = '\0';
    if (from_stdin) {
        int r = read_password(pwbuf, sizeof pwbuf);
        if (r) {
            cli_errorf("user set: %s",
                       r == -2 ? "password on stdin is too long" : "no password on stdin");
            return CLI_USAGE;
        }
        password = pwbuf;
    }
    if (!role_s && !password && !display && disabled < 0) {
        cli_errorf("user set: nothing to change (--role, --password..., --display-name,"
                   " --disable, --enable)");
        return CLI_USAGE;
    }
    struct err e;
    err_clear(&e);
    struct store *st;
    if (cli_open_existing_store(db, NULL, &st, &e)) {
        cli_errorf("user set: %s", e.msg);
        return CLI_FAIL;
    }
    struct auth_user u;
    int rc = auth_user_find(st, name, &u, &e);
    if (rc == 0) {
        struct auth_user_patch p = {role_s ? &role : NULL, password, display, disabled};
        rc = auth_user_update(NULL, st, NULL, u.county_id, u.id, &p, &u, &e);
    }
    memset(pwbuf, 0, sizeof pwbuf);
    store_close(st);
    if (rc) {
        cli_errorf("user set: %s", e.msg);
        return rc == ERR_INVAL ? CLI_USAGE : CLI_FAIL;
    }
    struct strbuf sb;
    strbuf_init(&sb, 0);
    strbuf_add_json_str(&sb, u.name, strlen(u.name));
    printf("{\"id\":%lld,\"name\":%s,\"role\":\"%s\",\"county_id\":%lld,\"disabled\":%s}\n",
           (long long)u.id, strbuf_str(&sb), auth_role_name(u.role), (long long)u.county_id,
           u.disabled ? "true" : "false");
    strbuf_release(&sb);
    return CLI_OK;
}

static int user_list(int argc, char **argv)
{
    const char *db = "ruralink.db";
    int64_t county_id = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        }
        if ((strcmp(a, "--db") == 0 || strcmp(a, "--county") == 0) && i + 1 < argc) {
            const char *v = argv[++i];
            if (a[2] == 'd')
                db = v;
            else if (parse_county(v, &county_id))
                return CLI_USAGE;
            continue;
        }
        cli_errorf("user list: unknown or incomplete option '%s' (see ruralink user --help)", a);
        return CLI_USAGE;
    }
    struct err e;
    err_clear(&e);
    struct store *st;
    if (cli_open_existing_store(db, NULL, &st, &e)) {
        cli_errorf("user list: %s", e.msg);
        return CLI_FAIL;
    }
    struct auth_user page[128];
    int64_t after = 0;
    int rc = 0;
    for (;;) {
        size_t n;
        rc = auth_user_list(st, county_id, after, page, RL_ARRAY_LEN(page), &n, &e);
        if (rc || n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_int64(page[i].id));
            json_object_object_add(o, "name", json_object_new_string(page[i].name));
            json_object_object_add(o, "role", json_object_new_string(auth_role_name(page[i].role)));
            json_object_object_add(o, "county_id", json_object_new_int64(page[i].county_id));
            json_object_object_add(o, "disabled", json_object_new_boolean(page[i].disabled));
            if (page[i].display_name[0])
                json_object_object_add(o, "display_name",
                                       json_object_new_string(page[i].display_name));
            puts(rjson_str(o, NULL));
            json_object_put(o);
            after = page[i].id;
        }
    }
    store_close(st);
    if (rc) {
        cli_errorf("user list: %s", e.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_user(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "add") == 0)
        return user_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "set") == 0)
        return user_set(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return user_list(argc - 1, argv + 1);
    cli_errorf("user: unknown subcommand '%s' (add, set, list)", argv[1]);
    return CLI_USAGE;
}
