/*
** h_vrp.c: route optimisation over HTTP, and the job routes.
**
**   POST /api/v1/vrp/solve    VROOM-compatible: VROOM's JSON input in, VROOM's
**                             JSON output back, synchronously. The solve runs
**                             as a job on the worker pool (never on an HTTP
**                             thread); this handler waits for it, bounded by
**                             the time limit plus a margin, and answers 202
**                             with the job's address if it is still running.
**   POST /api/v1/vrp/jobs     the same problem, answered at once with 202 and
**                             the job id.
**   GET  /api/v1/jobs/{id}    a job's state, progress and result; ?wait=S
**                             long-polls up to S seconds for the job to end.
**   DELETE /api/v1/jobs/{id}  ask a job to stop (it returns its best so far).
**
** Errors are problem+json; for VROOM clients they also carry VROOM's own
** members, "code" (2 = input error, 1 = internal, 4 = too large, as
** vroom-express says it) and "error".
**
** The body must say it is JSON (Content-Type application/json, or a +json
** type), else 415: vroom-express reads bodies with express.json(), which
** ignores any other type, so VROOM clients already send it, and a form or
** text body is a client mistake better named than parsed.
**
** Bounds. One request must not take the server down, so a problem over HTTP
** has at most VRP_HTTP_MAX_TASKS tasks (jobs + 2 x shipments) and
** VRP_HTTP_MAX_VEHICLES vehicles (vroom-express's own defaults): without
** matrices every place is a coordinate and the reader builds n x n
** matrices from them (a 1 MiB body held 11,000 places: 1.5 GB and 16 s on
** the request's thread, and as much again for each queued job), and the
** search's first solution is not interruptible (4,000 tasks: 4 s past a
** 0.5 s limit). Larger problems are for `ruralink route solve`. Each user
** has at most VRP_JOBS_PER_USER jobs queued or running (429 beyond), so one
** account cannot fill the solver queue every county's planning shares.
*/
#include "http/http_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs.h"
#include "vrp/vrp.h"

/* Without ?time_limit= a problem gets 50 ms per task, from 0.5 s up to 5 s:
** a VROOM client's two-stop problem should not take 5 s (the search runs
** until its limit), and 100 stops get what they used to. */
#define VRP_DEFAULT_LIMIT_S 5.0
#define VRP_DEFAULT_MIN_S 0.5
#define VRP_DEFAULT_PER_TASK_S 0.05
#define VRP_MAX_LIMIT_S 600.0
#define VRP_WAIT_MARGIN_S 10.0
#define VRP_HTTP_MAX_TASKS 1000
#define VRP_HTTP_MAX_VEHICLES 200
#define VRP_JOBS_PER_USER 4

/* VROOM's error codes (vroom-express adds 4). */
enum { VROOM_INTERNAL = 1, VROOM_INPUT = 2, VROOM_TOO_LARGE = 4 };

struct solve_job {
    struct vrp_problem *problem;
    struct vrp_params params;
    struct jobs_ctx *ctx;
    double load_s;
};

static void solve_job_free(void *arg)
{
    struct solve_job *sj = arg;
    vrp_problem_free(sj->problem);
    free(sj);
}

/* Progress from the search: report it and pass on a stop request. */
static int solve_progress(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s)
{
    struct solve_job *sj = arg;
    char msg[96];
    snprintf(msg, sizeof msg, "best cost %lld, %d unassigned", (long long)best_cost, n_unassigned);
    double limit = sj->params.time_limit_s;
    jobs_ctx_progress(sj->ctx, limit > 0 && elapsed_s < limit ? elapsed_s / limit : 0.99, msg);
    return jobs_ctx_should_stop(sj->ctx);
}

static int solve_job_run(void *arg, struct jobs_ctx *ctx, struct strbuf *result, struct err *e)
{
    struct solve_job *sj = arg;
    sj->ctx = ctx;
    sj->params.progress = solve_progress;
    sj->params.progress_arg = sj;
    struct vrp_solution *sol = NULL;
    int rc = vrp_solve(sj->problem, &sj->params, &sol, e);
    if (rc)
        return rc;
    sol->load_s = sj->load_s;
    rc = vrp_write_json(sj->problem, sol, result);
    vrp_solution_free(sol);
    if (rc)
        return err_set(e, ERR_TOOBIG, "the solution is too large to return");
    return 0;
}

/* problem+json with VROOM's members beside RFC 9457's; the type is from the
** API's one vocabulary (docs/openapi.yaml, Problem). */
static void vroom_problem(struct http_resp *w, int status, int vroom_code, const char *detail)
{
    const char *slug = "internal", *title = "Routing failed";
    switch (status) {
    case 400:
        slug = "invalid";
        title = "Invalid routing problem";
        break;
    case 409:
        slug = "conflict";
        title = "Routing job cancelled";
        break;
    case 413:
        slug = "too-big";
        title = "Routing problem too large";
        break;
    case 415:
        slug = "unsupported";
        title = "Unsupported Media Type";
        break;
    case 429:
        slug = "busy";
        title = "Too Many Requests";
        break;
    case 503:
        slug = "unavailable";
        title = "Solver unavailable";
        break;
    }
    char type[64];
    snprintf(type, sizeof type, "urn:ruralink:problem:%s", slug);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "title", json_object_new_string(title));
    json_object_object_add(o, "status", json_object_new_int(status));
    json_object_object_add(o, "detail", json_object_new_string(detail));
    if (w->instance)
        json_object_object_add(o, "instance", json_object_new_string(w->instance));
    json_object_object_add(o, "code", json_object_new_int(vroom_code));
    json_object_object_add(o, "error", json_object_new_string(detail));
    size_t n;
    const char *s = rjson_str(o, &n);
    http_resp_bytes(w, status, "application/problem+json", s, n);
    json_object_put(o);
}

/* Length of root's array `key`, 0 when it is absent or not an array (the
** reader then says what is wrong). */
static size_t array_len(struct json_object *root, const char *key)
{
    struct json_object *a;
    if (!json_object_object_get_ex(root, key, &a) || !json_object_is_type(a, json_type_array))
        return 0;
    return json_object_array_length(a);
}

/* Refuse, before reading it, a body that is not typed as JSON (415), is
** not a JSON object (400) or holds a problem over the HTTP bounds (413; see
** the top of the file). 0, or an answered error. */
static int check_body(struct http_req *req, struct http_resp *w)
{
    struct err e;
    err_clear(&e);
    struct json_object *root = NULL;
    if (http_body_json(req, &root, &e)) {
        if (e.code == ERR_UNSUPPORTED)
            vroom_problem(w, 415, VROOM_INPUT, e.msg);
        else
            vroom_problem(w, 400, VROOM_INPUT, e.msg);
        return -1;
    }
    int rc = 0;
    size_t tasks = array_len(root, "jobs") + 2 * array_len(root, "shipments");
    size_t vehicles = array_len(root, "vehicles");
    char msg[160];
    if (tasks > VRP_HTTP_MAX_TASKS) {
        snprintf(msg, sizeof msg,
                 "too many tasks (%zu: jobs + 2 x shipments); at most %d over HTTP", tasks,
                 VRP_HTTP_MAX_TASKS);
        rc = -1;
    } else if (vehicles > VRP_HTTP_MAX_VEHICLES) {
        snprintf(msg, sizeof msg, "too many vehicles (%zu); at most %d over HTTP", vehicles,
                 VRP_HTTP_MAX_VEHICLES);
        rc = -1;
    }
    if (rc)
        vroom_problem(w, 413, VROOM_TOO_LARGE, msg);
    json_object_put(root);
    return rc;
}

/* Read the problem and the options; submit the job. 0 or an answered error. */
static int submit_solve(struct app *app, struct http_req *req, struct http_resp *w, uint64_t *id,
                        double *limit_out)
{
    struct err e = {0};
    if (!app->jobs) {
        vroom_problem(w, 503, VROOM_INTERNAL, "this server runs no job workers");
        return -1;
    }
    const char *tl = http_query(req, "time_limit");
    double limit = VRP_DEFAULT_LIMIT_S;
    if (tl && (str_to_double(str_from(tl), &limit) || !(limit > 0) || limit > VRP_MAX_LIMIT_S)) {
        char msg[96];
        snprintf(msg, sizeof msg, "time_limit must be a number of seconds in (0, %g]",
                 VRP_MAX_LIMIT_S);
        vroom_problem(w, 400, VROOM_INPUT, msg);
        return -1;
    }
    int64_t seed = 1;
    if (http_query_i64(req, "seed", 1, 0, INT64_MAX, &seed, &e)) {
        vroom_problem(w, 400, VROOM_INPUT, e.msg);
        return -1;
    }
    if (check_body(req, w))
        return -1;
    double t0 = time_mono_s();
    struct vrp_problem *p = NULL;
    if (vrp_read(req->body, req->body_len, VRP_FMT_VROOM, &p, &e)) {
        vroom_problem(w, 400, VROOM_INPUT, e.msg);
        return -1;
    }
    if (!tl) {
        limit = VRP_DEFAULT_PER_TASK_S * p->n_tasks;
        limit = limit < VRP_DEFAULT_MIN_S     ? VRP_DEFAULT_MIN_S
                : limit > VRP_DEFAULT_LIMIT_S ? VRP_DEFAULT_LIMIT_S
                                              : limit;
    }
    char limit_s[32];
    snprintf(limit_s, sizeof limit_s, "%g", limit);
    http_resp_header(w, "X-Ruralink-Time-Limit", limit_s);
    struct solve_job *sj = xcalloc(1, sizeof *sj);
    sj->problem = p;
    sj->load_s = time_mono_s() - t0;
    vrp_params_default(&sj->params);
    sj->params.time_limit_s = limit;
    sj->params.seed = (uint64_t)seed;
    sj->params.threads = 1;
    struct jobs_spec spec = {
        .kind = "vrp.solve",
        .county_id = req->who.county_id,
        .owner_user_id = req->who.user_id,
        .time_limit_s = limit,
        .fn = solve_job_run,
        .arg = sj,
        .free_arg = solve_job_free,
        .max_per_owner = VRP_JOBS_PER_USER,
    };
    if (jobs_submit(app->jobs, &spec, id, &e)) {
        solve_job_free(sj);
        http_resp_header(w, "Retry-After", "5");
        vroom_problem(w, e.code == ERR_BUSY ? 429 : 503, VROOM_INTERNAL, e.msg);
        return -1;
    }
    *limit_out = limit;
    return 0;
}

static void h_vrp_solve(struct app *app, struct http_req *req, struct http_resp *w)
{
    uint64_t id;
    double limit;
    if (submit_solve(app, req, w, &id, &limit))
        return;
    struct jobs *jobs = app->jobs;
    /* 202 when the job outlasts the wait, or at once when enough requests
    ** hold threads waiting for theirs already (http__job_waiters_max) */
    if (jobs_wait_bounded(jobs, id, limit + VRP_WAIT_MARGIN_S, http__job_waiters_max(app)) != 0) {
        http__job_pending(app, w, id);
        return;
    }
    struct jobs_info info;
    if (jobs_get(jobs, id, &info) != 0) {
        vroom_problem(w, 500, VROOM_INTERNAL, "the job ended and was forgotten before it was read");
        return;
    }
    if (info.state == JOBS_DONE)
        http_resp_bytes(w, 200, "application/json", info.result, info.result_len);
    else if (info.state == JOBS_CANCELLED)
        vroom_problem(w, 409, VROOM_INTERNAL, info.message);
    else if (info.error_code == ERR_INVAL)
        vroom_problem(w, 400, VROOM_INPUT, info.message);
    else
        vroom_problem(w, 500, VROOM_INTERNAL, info.message);
    jobs_info_release(&info);
}

static void h_vrp_jobs_create(struct app *app, struct http_req *req, struct http_resp *w)
{
    uint64_t id;
    double limit;
    if (submit_solve(app, req, w, &id, &limit) == 0)
        http__job_pending(app, w, id);
}

/* The job, if it exists and belongs to the caller's county. */
/* The job `id` names, for `req`'s caller: its owner, the county's staff
** and, to read (not to stop), its auditors. Anyone else, and every other
** county, gets 404: a job's result may hold plans and orders. */
static int find_job(struct app *app, struct http_req *req, bool to_stop, struct jobs_info *info,
                    uint64_t *id, struct err *e)
{
    int64_t v;
    if (http_param_id(req, "id", &v, e))
        return e->code;
    *id = (uint64_t)v;
    if (!app->jobs || jobs_get(app->jobs, *id, info) != 0)
        return err_set(e, ERR_NOTFOUND, "no job %lld", (long long)v);
    const struct auth_principal *who = &req->who;
    bool staff = (AUTH_ROLE_BIT(who->role) & AUTH_STAFF) != 0;
    bool auditor = who->role == AUTH_ROLE_AUDITOR;
    bool owner = info->owner_user_id == who->user_id;
    if (info->county_id != who->county_id || !(owner || staff || auditor)) {
        jobs_info_release(info);
        return err_set(e, ERR_NOTFOUND, "no job %lld", (long long)v);
    }
    if (to_stop && !owner && !staff) {
        jobs_info_release(info);
        return err_set(e, ERR_PERM, "auditors read jobs; they do not stop them");
    }
    return 0;
}

static void h_job_get(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    struct jobs_info info;
    uint64_t id;
    int64_t wait_s;
    if (http_query_i64(req, "wait", 0, 0, 60, &wait_s, &e)) {
        http_resp_err(w, &e);
        return;
    }
    if (find_job(app, req, false, &info, &id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    /* ?wait=S long-polls: answer as soon as the job ends, or after S
    ** seconds; at once (a plain poll) when enough requests hold threads
    ** waiting for jobs already (http__job_waiters_max). */
    if (wait_s > 0 && info.state < JOBS_DONE) {
        jobs_info_release(&info);
        jobs_wait_bounded(app->jobs, id, (double)wait_s, http__job_waiters_max(app));
        if (jobs_get(app->jobs, id, &info) != 0) {
            http_resp_problem(w, 404, "Not found", "job %llu is gone", (unsigned long long)id);
            return;
        }
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64((int64_t)info.id));
    json_object_object_add(o, "kind", json_object_new_string(info.kind));
    json_object_object_add(o, "state", json_object_new_string(jobs_state_name(info.state)));
    json_object_object_add(o, "progress", rjson_new_double(info.progress, 3));
    json_object_object_add(o, "message", json_object_new_string(info.message));
    json_object_object_add(o, "created", rjson_new_time(info.created_ms));
    if (info.started_ms)
        json_object_object_add(o, "started", rjson_new_time(info.started_ms));
    if (info.finished_ms)
        json_object_object_add(o, "finished", rjson_new_time(info.finished_ms));
    if (info.result) {
        struct json_object *r = NULL;
        if (rjson_parse(info.result, info.result_len, &r, NULL) == 0)
            json_object_object_add(o, "result", r);
    }
    jobs_info_release(&info);
    http_resp_json(w, 200, o);
}

static void h_job_cancel(struct app *app, struct http_req *req, struct http_resp *w)
{
    struct err e;
    struct jobs_info info;
    uint64_t id;
    if (find_job(app, req, true, &info, &id, &e)) {
        http_resp_err(w, &e);
        return;
    }
    jobs_info_release(&info);
    if (jobs_cancel(app->jobs, id) == ERR_CONFLICT) {
        http_resp_problem(w, 409, "Job already ended", "job %llu has already ended",
                          (unsigned long long)id);
        return;
    }
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64((int64_t)id));
    json_object_object_add(o, "state", json_object_new_string("stopping"));
    http_resp_json(w, 202, o);
}

#define VRP_ROLES (AUTH_STAFF | AUTH_ROLE_BIT(AUTH_ROLE_AUDITOR))

const struct http_route http_routes_vrp[] = {
    {"POST", "/api/v1/vrp/solve", h_vrp_solve, VRP_ROLES, 0},
    {"POST", "/api/v1/vrp/jobs", h_vrp_jobs_create, VRP_ROLES, 0},
    {"GET", "/api/v1/jobs/{id}", h_job_get, AUTH_ANY_USER, HTTP_BLOCKING}, /* ?wait= */
    {"DELETE", "/api/v1/jobs/{id}", h_job_cancel, AUTH_ANY_USER, 0},
};
const size_t http_routes_vrp_len = RL_ARRAY_LEN(http_routes_vrp);
