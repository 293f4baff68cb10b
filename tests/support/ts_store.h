/*
** ts_store.h: test support for writes in batches. A gate is a write that
** holds the store's writer until it is opened, so that the writes queued
** behind it run as one batch (one transaction); ts_done records what
** store_submit's `done` callback was told.
**
**   struct ts_gate g;
**   ts_gate_close(st, &g);               // returns once the writer holds the gate
**   ... store_submit(st, fn, arg, ts_done_cb, &rec[i]) ...
**   ts_gate_open(&g);                    // the queued writes run as one batch
**   ... wait on the records' semaphore ...
**   ts_gate_destroy(&g);
*/
#ifndef RL_TEST_STORE_H
#define RL_TEST_STORE_H

#include <semaphore.h>

struct store;
struct err;

struct ts_gate {
    sem_t entered, release;
};
void ts_gate_close(struct store *st, struct ts_gate *g);
void ts_gate_open(struct ts_gate *g);
void ts_gate_destroy(struct ts_gate *g);

/* Completion record: set .sem (posted once per answer) and .rc before
** submitting; ts_done_cb fills rc and msg ("" on success). */
struct ts_done {
    sem_t *sem;
    int rc;
    char msg[256];
};
void ts_done_cb(void *arg, int rc, const struct err *e);

#endif
