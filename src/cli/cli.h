/*
** cli: the `ruralink` command. main.c dispatches `ruralink <command> ...` to
** one cli_<command>() per file (cmd_<command>.c). Each command parses its own
** options, prints `--help`, writes machine output (JSON/CSV/GeoJSON) to stdout
** and messages to stderr, and returns the process exit status:
**   0 success, 1 the work failed (infeasible, not found...), 2 usage error.
*/
#ifndef RL_CLI_H
#define RL_CLI_H

#include <stdio.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_route(int argc, char **argv);
int cli_site(int argc, char **argv);
int cli_dispatch(int argc, char **argv);
int cli_backup(int argc, char **argv);

/* Print "ruralink: <message>\n" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when argv[i] is -h or --help. */
int cli_is_help(const char *arg);

#endif
