/*
** cmd_migrate.c: `ruralink migrate`. Not built yet: the module behind it is still
** being written; the command says so instead of pretending.
*/
#include "cli/cli.h"

int cli_migrate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("'migrate' is not available in this build yet");
    return CLI_FAIL;
}
