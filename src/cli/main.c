/*
** main.c: `ruralink <command> [options]`. Finds the command and hands it the
** remaining arguments; every command answers --help on its own.
*/
#include "base/base.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", cli_serve, "run the HTTP server (API, dashboard, ingest)"},
    {"migrate", cli_migrate, "create or upgrade a database and exit"},
    {"user", cli_user, "manage user accounts (user add ...)"},
    {"route", cli_route, "solve and check vehicle routing problems"},
    {"site", cli_site, "choose warehouse sites (p-median, facility location)"},
    {"dispatch", cli_dispatch, "plan a day's deliveries and pickups for a depot"},
    {"backup", cli_backup, "copy the database safely, also while serving"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: ruralink <command> [options]\n\n"
                "ruralink runs a county's rural e-commerce service center: marketplace,\n"
                "logistics and route planning, cold-chain and farm telemetry.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n  ruralink <command> --help   options of one command\n"
                "  ruralink --version\n");
}

/* What a command printed must have reached its reader: a full disk or a
** closed pipe under stdout is a failure, not exit 0 with the output lost
** (the output is flushed here, after the command, so a late error shows). */
static int finish(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_errorf("writing the output failed: %s", strerror(errno));
        return rc ? rc : CLI_FAIL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return finish(CLI_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("ruralink %s (allocator: %s)\n", RL_VERSION, mem_allocator());
        return finish(CLI_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return finish(commands[i].run(argc - 1, argv + 1));
    }
    cli_errorf("unknown command '%s' (see ruralink --help)", argv[1]);
    return CLI_USAGE;
}
