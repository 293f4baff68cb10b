/*
** app.h: what the commands share: opening the database with every module's
** schema registered in layer order (src/schema), so `serve`, `migrate` and
** `user` always see the same tables.
*/
#ifndef RL_CLI_APP_H
#define RL_CLI_APP_H

#include "base/base.h"
#include "store/store.h"

/* Open the store at path (a new file is created), register every module's
** migrations (src/schema) and apply the missing ones. On success you own
** *out (store_close). An error's message starts with the path. */
int cli_open_store(const char *path, struct log *lg, struct store **out, struct err *e);
/* The same for a database that must exist already: a command that reads a
** county (dispatch, user set/list) must not create an empty file at a
** mistyped path. */
int cli_open_existing_store(const char *path, struct log *lg, struct store **out, struct err *e);

#endif
