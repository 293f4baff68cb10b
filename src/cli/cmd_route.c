/*
** cmd_route.c: `ruralink route`. Not built yet: the module behind it is still
** being written; the command says so instead of pretending.
*/
#include "cli/cli.h"

int cli_route(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("'route' is not available in this build yet");
    return CLI_FAIL;
}
