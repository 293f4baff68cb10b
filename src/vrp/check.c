/*
** check.c: vrp_check_json, the independent checker. It reads a VROOM-shaped
** solution (routes[].vehicle, routes[].steps[].type/id; step type "reload"
** marks a multi-trip reload), maps ids back to task and vehicle indices and
** replays the routes through vrp_solution_from_seqs, the trusted evaluator,
** so the cost it reports never comes from the solver's own bookkeeping.
** Anything a solution can get wrong (unknown ids, a task twice, a split
** shipment, any broken constraint) is a violation in the report; only an
** unreadable document is an error.
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
        int v = vrp__find_vehicle(p, vid);
        if (v == VRP_NONE) {
            violation(rep, "routes[%d]: unknown vehicle id %lld", r, (long long)vid);
            return 0;
        }
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
                return 0;
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
                return 0;
            }
            bufs[r][seqs[r].n++] = t;
        }
    }
    return 0;
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
    if (!rc && report->feasible) {
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
