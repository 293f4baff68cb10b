/* Tests for src/jobs: the worker pool for long computations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"

/* A gate the test opens to let blocked jobs finish (no sleeps). */
struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool open;
    int entered;
};

static void gate_init(struct gate *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->open = false;
    g->entered = 0;
}

static void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_wait_entered(struct gate *g, int n)
{
    pthread_mutex_lock(&g->mu);
    while (g->entered < n)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static int gated_job(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    jobs_ctx_progress(ctx, 0.5, "half way");
    return strbuf_addstr(result, "{\"ok\":true}");
}

static int failing_job(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    return err_set(e, ERR_INFEASIBLE, "no route can serve task %d", *(int *)arg);
}

/* Runs until asked to stop, then reports how it ended. */
static int stoppable_job(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    struct gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    while (!jobs_ctx_should_stop(ctx))
        ;
    return strbuf_addstr(result, "\"stopped\"");
}

static int freed;
static void count_free(void *arg)
{
    (void)arg;
    freed++;
}

static void test_submit_wait_result(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 4, 8, &e), 0);
    struct gate g;
    gate_init(&g);
    struct jobs_spec spec = {.kind = "test", .county_id = 7, .fn = gated_job, .arg = &g};
    uint64_t id;
    assert_int_equal(jobs_submit(j, &spec, &id, &e), 0);
    gate_wait_entered(&g, 1);
    struct jobs_info info;
    assert_int_equal(jobs_get(j, id, &info), 0);
    assert_int_equal(info.state, JOBS_RUNNING);
    assert_int_equal(info.county_id, 7);
    assert_null(info.result);
    assert_int_equal(jobs_wait(j, id, 0.01), ERR_TIMEOUT);
    gate_open(&g);
    assert_int_equal(jobs_wait(j, id, 60), 0);
    assert_int_equal(jobs_get(j, id, &info), 0);
    assert_int_equal(info.state, JOBS_DONE);
    assert_string_equal(info.result, "{\"ok\":true}");
    assert_true(info.progress == 1.0);
    jobs_info_release(&info);
    assert_int_equal(jobs_get(j, 999, &info), ERR_NOTFOUND);
    jobs_free(j);
}

static void test_failure_carries_message(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 2, 4, 8, &e), 0);
    int task = 12;
    struct jobs_spec spec = {.kind = "fail", .fn = failing_job, .arg = &task};
    uint64_t id;
    assert_int_equal(jobs_submit(j, &spec, &id, &e), 0);
    assert_int_equal(jobs_wait(j, id, 60), 0);
    struct jobs_info info;
    assert_int_equal(jobs_get(j, id, &info), 0);
    assert_int_equal(info.state, JOBS_FAILED);
    assert_int_equal(info.error_code, ERR_INFEASIBLE);
    assert_string_equal(info.message, "no route can serve task 12");
    jobs_info_release(&info);
    jobs_free(j);
}

static void test_queue_limit_and_cancel(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 2, 8, &e), 0);
    struct gate g;
    gate_init(&g);
    freed = 0;
    struct jobs_spec spec = {.kind = "block", .fn = gated_job, .arg = &g, .free_arg = count_free};
    uint64_t running, q1, q2, q3;
    assert_int_equal(jobs_submit(j, &spec, &running, &e), 0);
    gate_wait_entered(&g, 1); /* the single worker is busy now */
    assert_int_equal(jobs_submit(j, &spec, &q1, &e), 0);
    assert_int_equal(jobs_submit(j, &spec, &q2, &e), 0);
    assert_int_equal(jobs_submit(j, &spec, &q3, &e), ERR_BUSY);
    assert_int_equal(jobs_cancel(j, q1), 0);
    assert_int_equal(freed, 1); /* a queued job's argument is freed at cancel */
    struct jobs_info info;
    assert_int_equal(jobs_get(j, q1, &info), 0);
    assert_int_equal(info.state, JOBS_CANCELLED);
    assert_int_equal(jobs_cancel(j, q1), ERR_CONFLICT);
    assert_int_equal(jobs_submit(j, &spec, &q3, &e), 0); /* room again */
    gate_open(&g);
    assert_int_equal(jobs_wait(j, q3, 60), 0);
    assert_int_equal(jobs_wait(j, q2, 60), 0);
    assert_int_equal(freed, 4);
    jobs_free(j);
}

static void test_running_job_sees_stop(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 2, 8, &e), 0);
    struct gate g;
    gate_init(&g);
    struct jobs_spec spec = {.kind = "spin", .fn = stoppable_job, .arg = &g};
    uint64_t id;
    assert_int_equal(jobs_submit(j, &spec, &id, &e), 0);
    gate_wait_entered(&g, 1);
    assert_int_equal(jobs_cancel(j, id), 0);
    assert_int_equal(jobs_wait(j, id, 60), 0);
    struct jobs_info info;
    assert_int_equal(jobs_get(j, id, &info), 0);
    assert_int_equal(info.state, JOBS_DONE);
    assert_string_equal(info.result, "\"stopped\"");
    jobs_info_release(&info);
    jobs_free(j);
}

struct waiter {
    struct jobs *j;
    uint64_t id;
    int rc;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = jobs_wait_bounded(w->j, w->id, 600, 0); /* unbounded, but counted */
    return NULL;
}

/* jobs_wait_bounded lets at most max_waiters callers wait at once; the next
** is told ERR_BUSY at once (the HTTP layer then answers 202 instead of
** holding one more thread). A job that has ended answers 0 to anyone. */
static void test_bounded_wait(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 4, 8, &e), 0);
    struct gate g;
    gate_init(&g);
    struct jobs_spec spec = {.kind = "block", .fn = gated_job, .arg = &g};
    uint64_t id;
    assert_int_equal(jobs_submit(j, &spec, &id, &e), 0);
    struct waiter w = {j, id, -99};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    /* Until the thread waits, a zero wait times out; once it does, the
    ** second waiter is refused. (A liveness bound, not a speed limit.) */
    int rc = ERR_TIMEOUT;
    for (int i = 0; i < 1000000 && rc == ERR_TIMEOUT; i++)
        rc = jobs_wait_bounded(j, id, 0, 1);
    assert_int_equal(rc, ERR_BUSY);
    assert_int_equal(jobs_wait_bounded(j, id, 0, 2), ERR_TIMEOUT); /* room for two */
    gate_open(&g);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(jobs_wait_bounded(j, id, 0, 1), 0); /* ended: no wait needed */
    assert_int_equal(jobs_wait_bounded(j, 999999, 0, 1), ERR_NOTFOUND);
    jobs_free(j);
}

static void test_old_jobs_forgotten(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 16, 2, &e), 0);
    int task = 1;
    struct jobs_spec spec = {.kind = "fail", .fn = failing_job, .arg = &task};
    uint64_t ids[5];
    for (int i = 0; i < 5; i++) {
        assert_int_equal(jobs_submit(j, &spec, &ids[i], &e), 0);
        assert_int_equal(jobs_wait(j, ids[i], 60), 0);
    }
    struct jobs_info info;
    assert_int_equal(jobs_get(j, ids[0], &info), ERR_NOTFOUND);
    assert_int_equal(jobs_get(j, ids[4], &info), 0);
    jobs_free(j);
}

/* A long job submitted first and ended last is the newest ended job: with
** keep_done ended jobs already kept (here cancelled ones, submitted after
** it) it must stay readable and the ones that ended before it go. It used
** to be forgotten the moment it ended (oldest by submission), so a client
** waiting for its result found nothing. */
static void test_forgotten_in_order_of_ending(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 8, 2, &e), 0);
    struct gate g;
    gate_init(&g);
    struct jobs_spec spec = {.kind = "block", .fn = gated_job, .arg = &g};
    uint64_t longest, q[3];
    assert_int_equal(jobs_submit(j, &spec, &longest, &e), 0);
    gate_wait_entered(&g, 1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(jobs_submit(j, &spec, &q[i], &e), 0);
        assert_int_equal(jobs_cancel(j, q[i]), 0); /* ends at once */
    }
    struct jobs_info info;
    assert_int_equal(jobs_get(j, q[0], &info), ERR_NOTFOUND); /* ended first */
    assert_int_equal(jobs_get(j, q[1], &info), 0);
    gate_open(&g);
    assert_int_equal(jobs_wait(j, longest, 60), 0);
    assert_int_equal(jobs_get(j, longest, &info), 0);
    assert_int_equal(info.state, JOBS_DONE);
    assert_string_equal(info.result, "{\"ok\":true}");
    jobs_info_release(&info);
    assert_int_equal(jobs_get(j, q[1], &info), ERR_NOTFOUND);
    assert_int_equal(jobs_get(j, q[2], &info), 0);
    jobs_free(j);
}

/* max_per_owner: one owner's jobs queued or running are capped (any kind);
** other owners, and the system (owner 0), are not held back by it, and a
** job that ends gives its place back. */
static void test_per_owner_cap(void **state)
{
    (void)state;
    struct jobs *j;
    struct err e;
    assert_int_equal(jobs_new(&j, 1, 16, 8, &e), 0);
    struct gate g;
    gate_init(&g);
    struct jobs_spec mine = {
        .kind = "block", .owner_user_id = 7, .fn = gated_job, .arg = &g, .max_per_owner = 2};
    uint64_t a, b, c, other, sys;
    assert_int_equal(jobs_submit(j, &mine, &a, &e), 0);
    gate_wait_entered(&g, 1);
    assert_int_equal(jobs_submit(j, &mine, &b, &e), 0);
    assert_int_equal(jobs_submit(j, &mine, &c, &e), ERR_BUSY);
    assert_non_null(strstr(e.msg, "2 jobs queued or running"));
    struct jobs_spec theirs = mine;
    theirs.owner_user_id = 8;
    assert_int_equal(jobs_submit(j, &theirs, &other, &e), 0);
    struct jobs_spec system = mine;
    system.owner_user_id = 0;
    assert_int_equal(jobs_submit(j, &system, &sys, &e), 0);
    assert_int_equal(jobs_cancel(j, b), 0);
    assert_int_equal(jobs_submit(j, &mine, &c, &e), 0); /* b's place */
    gate_open(&g);
    assert_int_equal(jobs_wait(j, c, 60), 0);
    jobs_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_wait_result),
        cmocka_unit_test(test_failure_carries_message),
        cmocka_unit_test(test_queue_limit_and_cancel),
        cmocka_unit_test(test_running_job_sees_stop),
        cmocka_unit_test(test_bounded_wait),
        cmocka_unit_test(test_old_jobs_forgotten),
        cmocka_unit_test(test_forgotten_in_order_of_ending),
        cmocka_unit_test(test_per_owner_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
