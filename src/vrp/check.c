/*
** check.c: vrp_check_json, the independent checker. It reads a VROOM-shaped
** solution (routes[].vehicle, routes[].steps[].type/id; step type "reload"
** marks a multi-trip reload), maps ids back to task and vehicle indices and
** replays the routes through vrp_solution_from_seqs, the trusted evaluator,
** so the cost it reports never comes from the solver's own bookkeeping.
** Anything a solution can get wrong (unknown ids, a task twice, a split
** shipment, a task both routed and listed in `unassigned`, any broken
** constraint) is a violation in the report; only an unreadable document is
** an error. Required (non-optional) tasks that no route serves are counted
** apart from violations: the solver itself may leave such a task out when it
** cannot place it, so whether that fails a check is the caller's call.
*/
#include "vrp/read.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static void violation(struct vrp_check_report *r, const char *fmt, ...) RL_PRINTF(2, 3);
static void violation(struct vrp_check_report *r, const char *fmt, ...)
{
    if (r->first_violation[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first_violation, sizeof r->first_violation, fmt, ap);
    va_end(ap);
    r->feasible = false;
}

static int read_routes(const struct vrp_problem *p, struct json_object *routes,
                       struct vrp_seq *seqs, int **bufs, struct vrp_check_report *rep,
                       struct err *e)
{
    int nr = (int)json_object_array_length(routes);
    for (int r = 0; r < nr; r++) {
        struct json_object *ro = json_object_array_get_idx(routes, (size_t)r), *steps;
        int64_t vid;
        if (!ro || !json_object_is_type(ro, json_type_object))
            return err_set(e, ERR_INVAL, "routes[%d] must be an object", r);
        int rc = rjson_get_i64(ro, "vehicle", true, &vid, e);
        if (!rc)
            rc = rjson_get_array(ro, "steps", true, &steps, e);
        if (rc)
            return err_prefix(e, "routes[%d]: ", r);
        /* An unknown vehicle, task id or break is a violation, but reading
        ** goes on: the caller needs every routed task to tell which required
        ** tasks are unserved and which are both routed and unassigned. */
        int v = vrp__find_vehicle(p, vid);
        if (v == VRP_NONE)
            violation(rep, "routes[%d]: unknown vehicle id %lld", r, (long long)vid);
        size_t ns = json_object_array_length(steps);
        if (ns > (size_t)4 * (size_t)(p->n_tasks + 2) + 16)
            return err_set(e, ERR_TOOBIG, "routes[%d]: too many steps", r);
        bufs[r] = xmalloc(sizeof(int) * (ns + 1));
        seqs[r].vehicle = v;
        seqs[r].tasks = bufs[r];
        seqs[r].n = 0;
        for (size_t i = 0; i < ns; i++) {
            struct json_object *so = json_object_array_get_idx(steps, i);
            const char *type;
            if (!so || !json_object_is_type(so, json_type_object))
                return err_set(e, ERR_INVAL, "routes[%d].steps[%zu] must be an object", r, i);
            if ((rc = rjson_get_str(so, "type", true, &type, e)) != 0)
                return err_prefix(e, "routes[%d].steps[%zu]: ", r, i);
            enum vrp_task_kind kind;
            if (strcmp(type, "start") == 0 || strcmp(type, "end") == 0) {
                continue;
            } else if (strcmp(type, "reload") == 0) {
                bufs[r][seqs[r].n++] = VRP_NONE;
                continue;
            } else if (strcmp(type, "job") == 0) {
                kind = VRP_JOB;
            } else if (strcmp(type, "pickup") == 0) {
                kind = VRP_PICKUP;
            } else if (strcmp(type, "delivery") == 0) {
                kind = VRP_DELIVERY;
            } else if (strcmp(type, "break") == 0) {
                violation(rep, "routes[%d].steps[%zu]: breaks are not supported", r, i);
                continue;
            } else {
                return err_set(e, ERR_INVAL, "routes[%d].steps[%zu]: unknown step type '%.40s'", r,
                               i, type);
            }
            int64_t id;
            if ((rc = rjson_get_i64(so, "id", true, &id, e)) != 0)
                return err_prefix(e, "routes[%d].steps[%zu]: ", r, i);
            int t = vrp__find_task(p, kind, id);
            if (t == VRP_NONE) {
                violation(rep, "routes[%d].steps[%zu]: unknown %s id %lld", r, i, type,
                          (long long)id);
                continue;
            }
            bufs[r][seqs[r].n++] = t;
        }
    }
    return 0;
}

/* Kind of an `unassigned` entry: VROOM writes "job", "pickup" or "delivery";
** an entry without a type is a job. */
static int unassigned_kind(struct json_object *o, size_t i, enum vrp_task_kind *kind, struct err *e)
{
    const char *type = "job";
    int rc = rjson_get_str(o, "type", false, &type, e);
    if (rc && rc != ERR_NOTFOUND)
        return err_prefix(e, "unassigned[%zu]: ", i);
    if (strcmp(type, "job") == 0)
        *kind = VRP_JOB;
    else if (strcmp(type, "pickup") == 0)
        *kind = VRP_PICKUP;
    else if (strcmp(type, "delivery") == 0)
        *kind = VRP_DELIVERY;
    else
        return err_set(e, ERR_INVAL, "unassigned[%zu]: unknown type '%.40s'", i, type);
    return 0;
}

/*
** The solution's own `unassigned` list (optional) must not contradict its
** routes: a task both routed and listed there would let a solution claim
** whichever reading suits it. routed[t] is true for every task a route
** visits. Unknown ids are violations as in routes; a malformed entry is an
** error.
*/
static int check_unassigned(const struct vrp_problem *p, struct json_object *root,
                            const bool *routed, struct vrp_check_report *rep, struct err *e)
{
    struct json_object *un;
    int rc = rjson_get_array(root, "unassigned", false, &un, e);
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t n = json_object_array_length(un);
    /* Each entry costs a linear id lookup, as a route step does: cap it the
    ** same way (a task may at most be listed once, with some slack). */
    if (n > (size_t)p->n_tasks + 16)
        return err_set(e, ERR_TOOBIG, "unassigned: %zu entries for %d tasks", n, p->n_tasks);
    for (size_t i = 0; i < n; i++) {
        struct json_object *o = json_object_array_get_idx(un, i);
        if (!o || !json_object_is_type(o, json_type_object))
            return err_set(e, ERR_INVAL, "unassigned[%zu] must be an object", i);
        enum vrp_task_kind kind = VRP_JOB;
        int64_t id;
        if ((rc = unassigned_kind(o, i, &kind, e)) != 0)
            return rc;
        if ((rc = rjson_get_i64(o, "id", true, &id, e)) != 0)
            return err_prefix(e, "unassigned[%zu]: ", i);
        int t = vrp__find_task(p, kind, id);
        if (t == VRP_NONE)
            violation(rep, "unassigned[%zu]: unknown %s id %lld", i, vrp__kind_name(kind),
                      (long long)id);
        else if (routed[t])
            violation(rep, "%s %lld is both routed and listed in unassigned[%zu]",
                      vrp__kind_name(kind), (long long)id, i);
    }
    return 0;
}

/* Count the required tasks no route visits; name the first. */
static void count_required_unserved(const struct vrp_problem *p, const bool *routed,
                                    struct vrp_check_report *rep)
{
    for (int t = 0; t < p->n_tasks; t++) {
        const struct vrp_task *tk = &p->tasks[t];
        if (routed[t] || tk->optional)
            continue;
        if (rep->n_required_unserved++ == 0)
            snprintf(rep->first_required_unserved, sizeof rep->first_required_unserved, "%s %lld",
                     vrp__kind_name(tk->kind), (long long)tk->id);
    }
}

int vrp_check_json(const struct vrp_problem *p, const char *json, size_t len,
                   struct vrp_check_report *report, struct err *e)
{
    memset(report, 0, sizeof *report);
    report->feasible = true;
    struct json_object *root = NULL, *routes;
    int rc = rjson_parse(json, len, &root, e);
    if (rc)
        return rc;
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return err_set(e, ERR_INVAL, "a solution must be a JSON object");
    }
    int64_t code = 0;
    rc = rjson_get_i64(root, "code", false, &code, e);
    if (rc == 0 && code != 0) {
        json_object_put(root);
        return err_set(e, ERR_INVAL, "the solution reports an error (code %lld)", (long long)code);
    }
    rc = rjson_get_array(root, "routes", true, &routes, e);
    if (rc) {
        json_object_put(root);
        return rc;
    }
    int nr = (int)json_object_array_length(routes);
    if (nr > p->n_vehicles + 1000) {
        json_object_put(root);
        return err_set(e, ERR_TOOBIG, "more routes (%d) than vehicles (%d)", nr, p->n_vehicles);
    }
    struct vrp_seq *seqs = xcalloc((size_t)nr + 1, sizeof *seqs);
    int **bufs = xcalloc((size_t)nr + 1, sizeof *bufs);
    rc = read_routes(p, routes, seqs, bufs, report, e);
    /* Only routes read without a violation can be replayed; a contradiction
    ** in `unassigned` found below still leaves them worth a cost. */
    bool replayable = report->feasible;
    bool *routed = xcalloc((size_t)p->n_tasks + 1, sizeof *routed);
    for (int r = 0; r < nr && !rc; r++)
        for (int i = 0; i < seqs[r].n; i++)
            if (seqs[r].tasks[i] != VRP_NONE)
                routed[seqs[r].tasks[i]] = true;
    if (!rc)
        rc = check_unassigned(p, root, routed, report, e);
    if (!rc)
        count_required_unserved(p, routed, report);
    free(routed);
    if (!rc && replayable) {
        struct vrp_solution *s = NULL;
        struct err ve = {0};
        int vr = vrp_solution_from_seqs(p, seqs, nr, false, &s, &ve);
        if (vr == ERR_INFEASIBLE) {
            violation(report, "%s", ve.msg);
            vr = vrp_solution_from_seqs(p, seqs, nr, true, &s, &ve);
        }
        if (vr == 0) {
            report->cost = s->cost;
            report->n_routes = s->n_routes;
            report->n_unassigned = s->n_unassigned;
            report->n_assigned = p->n_tasks - s->n_unassigned;
            vrp_solution_free(s);
        } else if (vr != ERR_INFEASIBLE) {
            rc = err_set(e, vr, "%s", ve.msg);
        }
    }
    for (int r = 0; r < nr; r++)
        free(bufs[r]);
    free(bufs);
    free(seqs);
    json_object_put(root);
    return rc;
}
