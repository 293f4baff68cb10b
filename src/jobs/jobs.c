/*
** jobs.c: the worker pool. One mutex guards the job list; workers sleep on
** `work` until a job is queued; anyone waiting for a job sleeps on `ended`,
** broadcast whenever a job ends. Jobs are kept in submission order; once
** more than keep_done have ended, those that ended first are forgotten
** first (not those submitted first: a long job submitted early ends after
** many short ones, and the client waiting for it must still find it). A
** job's progress and stop flag are plain fields under the same mutex: jobs
** report progress rarely, so contention does not matter.
*/
#include "jobs/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct job {
    struct jobs_info info;
    struct jobs_spec spec;
    char kind[32];
    bool stop;
    double deadline;  /* monotonic seconds; 0 = none */
    uint64_t end_seq; /* order of ending (1, 2, ...); 0 while it runs */
};

struct jobs_ctx {
    struct jobs *pool;
    struct job *job;
};

struct jobs {
    pthread_mutex_t mu;
    pthread_cond_t work, ended;
    pthread_t *threads;
    int n_threads;
    struct job **list; /* submission order */
    size_t n, cap;
    int max_queued, keep_done;
    uint64_t next_id;
    uint64_t next_end_seq;
    bool closing;
    int waiting; /* callers inside jobs_wait_bounded */
    struct jobs_stats stats;
};

static const char *const state_names[] = {"queued", "running", "done", "failed", "cancelled"};

const char *jobs_state_name(enum jobs_state s)
{
    return (unsigned)s < RL_ARRAY_LEN(state_names) ? state_names[s] : "unknown";
}

static bool ended(const struct job *jb)
{
    return jb->info.state >= JOBS_DONE;
}

static struct job *find(struct jobs *j, uint64_t id)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->list[i]->info.id == id)
            return j->list[i];
    return NULL;
}

static void job_free(struct job *jb)
{
    free(jb->info.result);
    free(jb);
}

/* Mark jb ended now (its state is already set). Caller holds the mutex. */
static void mark_ended(struct jobs *j, struct job *jb)
{
    jb->info.finished_ms = time_now_ms();
    jb->end_seq = ++j->next_end_seq;
}

/* Forget the ended jobs beyond keep_done, those that ended first first.
** Caller holds the mutex. */
static void trim(struct jobs *j)
{
    size_t done = 0;
    for (size_t i = 0; i < j->n; i++)
        done += ended(j->list[i]);
    while (done > (size_t)j->keep_done) {
        size_t first = j->n;
        for (size_t i = 0; i < j->n; i++) {
            struct job *jb = j->list[i];
            if (ended(jb) && (first == j->n || jb->end_seq < j->list[first]->end_seq))
                first = i;
        }
        job_free(j->list[first]);
        memmove(&j->list[first], &j->list[first + 1], (j->n - first - 1) * sizeof *j->list);
        j->n--;
        done--;
    }
}

static struct job *next_queued(struct jobs *j)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->list[i]->info.state == JOBS_QUEUED)
            return j->list[i];
    return NULL;
}

static void finish(struct jobs *j, struct job *jb, int rc, struct strbuf *result,
                   const struct err *e)
{
    pthread_mutex_lock(&j->mu);
    mark_ended(j, jb);
    j->stats.running--;
    if (rc == 0) {
        jb->info.state = JOBS_DONE;
        jb->info.progress = 1.0;
        jb->info.result = strbuf_detach(result, &jb->info.result_len);
        j->stats.done++;
    } else {
        jb->info.state = jb->stop && rc == ERR_TIMEOUT ? JOBS_CANCELLED : JOBS_FAILED;
        jb->info.error_code = rc;
        snprintf(jb->info.message, sizeof jb->info.message, "%s", e->msg[0] ? e->msg : err_str(rc));
        j->stats.failed++;
    }
    trim(j);
    pthread_cond_broadcast(&j->ended);
    pthread_mutex_unlock(&j->mu);
}

/* Nice steps the job threads run below the process (HTTP's threads: 5). */
#define JOBS_NICE 10

static void *worker(void *arg)
{
    struct jobs *j = arg;
    /* Route optimisation and siting run for seconds to minutes on every
    ** core they get: below the threads that answer requests (and the store's
    ** writer), so the API stays quick while a plan is computed. */
    (void)thread_lower_priority(JOBS_NICE);
    pthread_mutex_lock(&j->mu);
    for (;;) {
        struct job *jb;
        while (!j->closing && !(jb = next_queued(j)))
            pthread_cond_wait(&j->work, &j->mu);
        if (j->closing)
            break;
        jb->info.state = JOBS_RUNNING;
        jb->info.started_ms = time_now_ms();
        jb->deadline = jb->spec.time_limit_s > 0 ? time_mono_s() + jb->spec.time_limit_s : 0;
        j->stats.queued--;
        j->stats.running++;
        pthread_mutex_unlock(&j->mu);

        struct jobs_ctx ctx = {j, jb};
        struct strbuf result;
        strbuf_init(&result, (size_t)256 << 20);
        struct err e = {0};
        int rc = jb->spec.fn(jb->spec.arg, &ctx, &result, &e);
        if (jb->spec.free_arg)
            jb->spec.free_arg(jb->spec.arg);
        jb->spec.arg = NULL;
        finish(j, jb, rc, &result, &e);
        strbuf_release(&result);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int jobs_new(struct jobs **out, int workers, int max_queued, int keep_done, struct err *e)
{
    struct jobs *j = xcalloc(1, sizeof *j);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->work, NULL);
    /* waits are timed on the monotonic clock: a wall clock set back or
    ** forth must not stretch or cut a request's wait for its job */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->ended, &ca);
    pthread_condattr_destroy(&ca);
    j->max_queued = max_queued > 0 ? max_queued : 64;
    j->keep_done = keep_done > 0 ? keep_done : 256;
    j->next_id = 1;
    j->n_threads = workers > 0 ? workers : 1;
    j->threads = xcalloc((size_t)j->n_threads, sizeof *j->threads);
    for (int i = 0; i < j->n_threads; i++) {
        if (pthread_create(&j->threads[i], NULL, worker, j) != 0) {
            j->n_threads = i;
            jobs_free(j);
            return err_set(e, ERR_INTERNAL, "cannot start job worker threads");
        }
    }
    *out = j;
    return 0;
}

void jobs_free(struct jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->closing = true;
    for (size_t i = 0; i < j->n; i++)
        j->list[i]->stop = true;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->n_threads; i++)
        pthread_join(j->threads[i], NULL);
    for (size_t i = 0; i < j->n; i++) {
        struct job *jb = j->list[i];
        if (jb->spec.arg && jb->spec.free_arg)
            jb->spec.free_arg(jb->spec.arg);
        job_free(jb);
    }
    free(j->list);
    free(j->threads);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->work);
    pthread_cond_destroy(&j->ended);
    free(j);
}

int jobs_submit(struct jobs *j, const struct jobs_spec *spec, uint64_t *id_out, struct err *e)
{
    pthread_mutex_lock(&j->mu);
    if (j->closing || j->stats.queued >= (uint64_t)j->max_queued) {
        pthread_mutex_unlock(&j->mu);
        return err_set(e, ERR_BUSY, "%d jobs are already waiting; try again later", j->max_queued);
    }
    if (spec->max_per_owner > 0 && spec->owner_user_id > 0) {
        int mine = 0;
        for (size_t i = 0; i < j->n; i++)
            mine += !ended(j->list[i]) && j->list[i]->info.owner_user_id == spec->owner_user_id;
        if (mine >= spec->max_per_owner) {
            pthread_mutex_unlock(&j->mu);
            return err_set(e, ERR_BUSY,
                           "you already have %d jobs queued or running; wait for one to end or"
                           " cancel one",
                           mine);
        }
    }
    struct job *jb = xcalloc(1, sizeof *jb);
    jb->spec = *spec;
    snprintf(jb->kind, sizeof jb->kind, "%s", spec->kind ? spec->kind : "job");
    jb->spec.kind = jb->kind;
    jb->info.id = j->next_id++;
    snprintf(jb->info.kind, sizeof jb->info.kind, "%s", jb->kind);
    jb->info.state = JOBS_QUEUED;
    jb->info.county_id = spec->county_id;
    jb->info.owner_user_id = spec->owner_user_id;
    jb->info.created_ms = time_now_ms();
    xgrow((void **)&j->list, &j->cap, j->n + 1, sizeof *j->list);
    j->list[j->n++] = jb;
    j->stats.queued++;
    *id_out = jb->info.id;
    pthread_cond_signal(&j->work);
    pthread_mutex_unlock(&j->mu);
    return 0;
}

int jobs_wait_bounded(struct jobs *j, uint64_t id, double timeout_s, int max_waiters)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double frac = timeout_s - (double)(int64_t)timeout_s;
    until.tv_sec += (time_t)timeout_s;
    until.tv_nsec += (long)(frac * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&j->mu);
    int rc;
    struct job *jb = find(j, id);
    if (!jb || ended(jb)) {
        rc = jb ? 0 : ERR_NOTFOUND;
    } else if (max_waiters > 0 && j->waiting >= max_waiters) {
        rc = ERR_BUSY;
    } else {
        j->waiting++;
        for (;;) {
            jb = find(j, id);
            if (!jb || ended(jb)) {
                rc = jb ? 0 : ERR_NOTFOUND;
                break;
            }
            if (pthread_cond_timedwait(&j->ended, &j->mu, &until) != 0) {
                jb = find(j, id);
                rc = jb && ended(jb) ? 0 : (jb ? ERR_TIMEOUT : ERR_NOTFOUND);
                break;
            }
        }
        j->waiting--;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int jobs_wait(struct jobs *j, uint64_t id, double timeout_s)
{
    return jobs_wait_bounded(j, id, timeout_s, 0);
}

int jobs_get(struct jobs *j, uint64_t id, struct jobs_info *out)
{
    pthread_mutex_lock(&j->mu);
    struct job *jb = find(j, id);
    if (!jb) {
        pthread_mutex_unlock(&j->mu);
        return ERR_NOTFOUND;
    }
    *out = jb->info;
    out->result = jb->info.result ? xstrndup(jb->info.result, jb->info.result_len) : NULL;
    pthread_mutex_unlock(&j->mu);
    return 0;
}

void jobs_info_release(struct jobs_info *info)
{
    free(info->result);
    info->result = NULL;
}

int jobs_cancel(struct jobs *j, uint64_t id)
{
    pthread_mutex_lock(&j->mu);
    struct job *jb = find(j, id);
    int rc = 0;
    if (!jb) {
        rc = ERR_NOTFOUND;
    } else if (ended(jb)) {
        rc = ERR_CONFLICT;
    } else if (jb->info.state == JOBS_QUEUED) {
        /* Never started: end it here; its argument is freed now. */
        jb->info.state = JOBS_CANCELLED;
        mark_ended(j, jb);
        snprintf(jb->info.message, sizeof jb->info.message, "cancelled before it started");
        j->stats.queued--;
        if (jb->spec.free_arg)
            jb->spec.free_arg(jb->spec.arg);
        jb->spec.arg = NULL;
        trim(j);
        pthread_cond_broadcast(&j->ended);
    } else {
        jb->stop = true;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

void jobs_ctx_progress(struct jobs_ctx *ctx, double fraction, const char *message)
{
    pthread_mutex_lock(&ctx->pool->mu);
    if (fraction >= 0 && fraction <= 1)
        ctx->job->info.progress = fraction;
    if (message)
        snprintf(ctx->job->info.message, sizeof ctx->job->info.message, "%s", message);
    pthread_mutex_unlock(&ctx->pool->mu);
}

bool jobs_ctx_should_stop(struct jobs_ctx *ctx)
{
    pthread_mutex_lock(&ctx->pool->mu);
    bool stop = ctx->job->stop || ctx->pool->closing;
    pthread_mutex_unlock(&ctx->pool->mu);
    return stop;
}

double jobs_ctx_time_left(struct jobs_ctx *ctx)
{
    if (ctx->job->deadline <= 0)
        return 1e9;
    double left = ctx->job->deadline - time_mono_s();
    return left > 0 ? left : 0;
}

void jobs_get_stats(struct jobs *j, struct jobs_stats *out)
{
    pthread_mutex_lock(&j->mu);
    *out = j->stats;
    pthread_mutex_unlock(&j->mu);
}
