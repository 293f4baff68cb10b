/*
** schema.h: every module's migrations (and cross-module references) in one
** registry. It sits above the
** domain modules (it names their migration lists) and below the demo and
** the commands, which open stores.
*/
#ifndef RL_SCHEMA_H
#define RL_SCHEMA_H

#include "base/base.h"
#include "store/store.h"

/* Register the migrations of every module in this build with st (before
** store_migrate), lowest layer first, and the columns by which a module
** names another module's rows (store_add_refs: the owner of a row refuses
** to delete it while one names it). */
int schema_register_all(struct store *st, struct err *e);

#endif
