/*
** h_jobs.c: running a background job for a request and answering from it,
** for the handlers that start long work (dispatch plans, siting analyses).
** Compiled only when the jobs module is in the build.
**
** The request waits for the job up to a limit. When it ends in time the
** caller answers from its result; when it does not, the client gets 202 with
** the job's address (GET /api/v1/jobs/{id}) and the job goes on.
**
** The solver queue is shared by every county: a user with HTTP_JOBS_PER_USER
** jobs queued or running (of any kind, route solves included) gets 429
** until one ends, unless the caller's spec sets its own cap.
*/
#include "http/http_int.h"

#include "jobs/jobs.h"

#include <json-c/json.h>
#include <stdio.h>

#define HTTP_JOBS_PER_USER 4

void http__job_accepted(struct http_resp *w, uint64_t job_id, const char *state)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/api/v1/jobs/%llu", (unsigned long long)job_id);
    http_resp_header(w, "Location", loc);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "job_id", json_object_new_int64((int64_t)job_id));
    json_object_object_add(o, "state", json_object_new_string(state));
    json_object_object_add(o, "href", json_object_new_string(loc));
    http_resp_json(w, 202, o);
}

void http__job_pending(struct app *app, struct http_resp *w, uint64_t job_id)
{
    struct jobs_info info;
    const char *state = "queued";
    if (app->jobs && jobs_get(app->jobs, job_id, &info) == 0) {
        state = jobs_state_name(info.state); /* a static name */
        jobs_info_release(&info);
    }
    http__job_accepted(w, job_id, state);
}

int http__job_run(struct app *app, const struct jobs_spec *spec, double wait_s, struct http_resp *w,
                  struct jobs_info *info)
{
    struct err e;
    err_clear(&e);
    uint64_t jid;
    if (!app->jobs) {
        if (spec->free_arg)
            spec->free_arg(spec->arg);
        err_set(&e, ERR_BUSY, "this server runs no job workers");
        http_resp_err(w, &e);
        return -1;
    }
    struct jobs_spec capped = *spec;
    if (capped.max_per_owner == 0)
        capped.max_per_owner = HTTP_JOBS_PER_USER;
    if (jobs_submit(app->jobs, &capped, &jid, &e)) {
        if (spec->free_arg)
            spec->free_arg(spec->arg);
        /* one Retry-After (http_resp_err would add its own "1") */
        http_resp_header(w, "Retry-After", "5");
        http_resp_problem(w, e.code == ERR_BUSY ? 429 : 503, NULL, "%s", e.msg);
        return -1;
    }
    /* 202 when the job outlasts the wait, or at once when enough requests
    ** hold threads waiting for theirs already */
    if (jobs_wait_bounded(app->jobs, jid, wait_s, http__job_waiters_max(app)) != 0) {
        http__job_pending(app, w, jid);
        return -1;
    }
    if (jobs_get(app->jobs, jid, info) != 0) {
        http_resp_problem(w, 500, "Job lost", "the %s job ended and was forgotten", spec->kind);
        return -1;
    }
    if (info->state != JOBS_DONE) {
        err_set(&e, info->error_code ? info->error_code : ERR_INTERNAL, "%s", info->message);
        jobs_info_release(info);
        http_resp_rule_err(w, &e);
        return -1;
    }
    return 0;
}
