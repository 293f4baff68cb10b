/*
** jobs: a small pool of worker threads for long computations (route solves,
** siting, reports), so that HTTP threads never run them (DESIGN.md). A job
** has an id, a kind, an owner (county and user), progress, a time limit and,
** when done, a result (a JSON text) or an error. Finished jobs are kept for a
** while so clients can fetch them by id, then forgotten (oldest first).
**
** The pool knows nothing about what a job computes: it runs a jobs_fn with
** an opaque argument and a context through which the job reports progress
** and learns that it should stop (time limit or cancel).
*/
#ifndef RL_JOBS_H
#define RL_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/base.h"

struct jobs;
struct jobs_ctx;

enum jobs_state { JOBS_QUEUED = 0, JOBS_RUNNING, JOBS_DONE, JOBS_FAILED, JOBS_CANCELLED };
const char *jobs_state_name(enum jobs_state s);

/* The work. Append the result (JSON text) to `result`; return 0, or a
** negative ERR_* with e filled. Runs on a pool thread. */
typedef int (*jobs_fn)(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e);

struct jobs_spec {
    const char *kind;  /* "vrp.solve", "site.solve", "dispatch" ... (copied) */
    int64_t county_id; /* who may see it */
    int64_t owner_user_id;
    double time_limit_s; /* for the job's own use (jobs_ctx_time_left) */
    jobs_fn fn;
    void *arg;
    void (*free_arg)(void *arg); /* called once the job ends (may be NULL) */
    /* When > 0 and owner_user_id > 0: refuse (ERR_BUSY) a job whose owner
    ** already has this many jobs queued or running, of any kind, so that one
    ** account cannot fill the queue that every county shares. 0: no cap. */
    int max_per_owner;
};

/* workers threads; at most max_queued jobs waiting (more: ERR_BUSY); the
** keep_done jobs that ended last stay readable (older ones are forgotten
** in the order they ended). */
int jobs_new(struct jobs **out, int workers, int max_queued, int keep_done, struct err *e);
/* Cancel what is queued, ask running jobs to stop, join the threads. */
void jobs_free(struct jobs *j);

/* Queue a job: 0 and its id, or ERR_BUSY when the queue is full (or the
** owner's cap of spec->max_per_owner is reached) or the pool is closing.
** On an error spec->arg stays the caller's. */
int jobs_submit(struct jobs *j, const struct jobs_spec *spec, uint64_t *id_out, struct err *e);

/* Wait until the job has ended or timeout_s passed. Returns 0 when ended,
** ERR_TIMEOUT otherwise, ERR_NOTFOUND for an unknown id. */
int jobs_wait(struct jobs *j, uint64_t id, double timeout_s);
/* jobs_wait, unless max_waiters (> 0) callers are waiting already (every
** caller of jobs_wait or jobs_wait_bounded counts while it waits): then
** ERR_BUSY at once, without waiting (a job that has ended still answers 0).
** Requests that hold a thread while their job runs use it, so that they
** cannot take every thread of the server. */
int jobs_wait_bounded(struct jobs *j, uint64_t id, double timeout_s, int max_waiters);

/* A copy of a job's public state. result is malloc'd (free it) or NULL. */
struct jobs_info {
    uint64_t id;
    char kind[32];
    enum jobs_state state;
    int64_t county_id, owner_user_id;
    double progress;   /* 0..1 */
    char message[128]; /* progress note or error message */
    int error_code;    /* ERR_* when FAILED */
    int64_t created_ms, started_ms, finished_ms;
    char *result;
    size_t result_len;
};
int jobs_get(struct jobs *j, uint64_t id, struct jobs_info *out);
void jobs_info_release(struct jobs_info *info);

/* Ask a job to stop (it sees jobs_ctx_should_stop). ERR_NOTFOUND, or
** ERR_CONFLICT when it has already ended. */
int jobs_cancel(struct jobs *j, uint64_t id);

/* ------------------------------------------------------- inside a job */

void jobs_ctx_progress(struct jobs_ctx *ctx, double fraction, const char *message);
bool jobs_ctx_should_stop(struct jobs_ctx *ctx);
double jobs_ctx_time_left(struct jobs_ctx *ctx);

struct jobs_stats {
    uint64_t queued, running, done, failed;
};
void jobs_get_stats(struct jobs *j, struct jobs_stats *out);

#endif
