/*
** ts_store.c: gates and completion records for batch tests (ts_store.h).
*/
#include "ts_store.h"

#ifdef RL_HAVE_STORE
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

static int gate_fn(struct store_conn *c, void *arg, struct err *e)
{
    (void)c;
    (void)e;
    struct ts_gate *g = arg;
    sem_post(&g->entered);
    while (sem_wait(&g->release) != 0)
        ;
    return 0;
}

void ts_gate_close(struct store *st, struct ts_gate *g)
{
    sem_init(&g->entered, 0, 0);
    sem_init(&g->release, 0, 0);
    assert_int_equal(store_submit(st, gate_fn, g, NULL, NULL), 0);
    while (sem_wait(&g->entered) != 0)
        ;
}

void ts_gate_open(struct ts_gate *g)
{
    sem_post(&g->release);
}

void ts_gate_destroy(struct ts_gate *g)
{
    sem_destroy(&g->entered);
    sem_destroy(&g->release);
}

void ts_done_cb(void *arg, int rc, const struct err *e)
{
    struct ts_done *d = arg;
    d->rc = rc;
    snprintf(d->msg, sizeof d->msg, "%s", rc ? e->msg : "");
    sem_post(d->sem);
}
#endif
