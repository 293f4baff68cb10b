/*
** read_solomon.c: Solomon VRPTW files, and the builder shared with the Li &
** Lim reader (vrp__build_tw).
**
**   C101
**   VEHICLE
**   NUMBER     CAPACITY
**     25         200
**   CUSTOMER
**   CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME
**       0      40         50          0          0       1236          0
**
** Customer 0 is the depot; its due date is the horizon (vehicles must be
** back by then). Travel time = Euclidean distance, not rounded in the
** literature: the engine stores every arc and every time multiplied by
** VRP__BENCH_SCALE (10000) and rounded to the nearest integer, so figures
** are exact to 1e-4 per arc. Job ids are the customer numbers.
**
** The format has no customer count, so a file cut between two rows cannot
** be told from a shorter instance; a file cut inside a row can: its last
** row has no end of line (and may still hold 7 numbers, the last one cut
** short). Such a file is refused, naming the row's line.
*/
#include "vrp/read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t scaled(double v)
{
    return (int64_t)floor(v * VRP__BENCH_SCALE + 0.5);
}

int vrp__build_tw(const char *format, char *name, const struct vrp__twnode *nodes, int n,
                  int64_t n_vehicles, int64_t capacity, struct vrp_problem **out, struct err *e)
{
    struct vrp_problem *p = vrp_problem_new();
    p->format = xstrdup(format);
    p->name = name;
    p->scale = VRP__BENCH_SCALE;
    p->n_dims = 1;
    p->n_locs = n;
    p->matrices = xcalloc(1, sizeof *p->matrices);
    p->n_matrices = 1;
    p->lon = xcalloc((size_t)n, sizeof *p->lon);
    p->lat = xcalloc((size_t)n, sizeof *p->lat);
    const double lim = 1e9; /* times and coordinates, file units */
    for (int i = 0; i < n; i++) {
        const struct vrp__twnode *d = &nodes[i];
        p->lon[i] = d->x;
        p->lat[i] = d->y;
        if (fabs(d->x) > lim || fabs(d->y) > lim || fabs(d->demand) > lim || d->ready < 0 ||
            d->ready > lim || d->due > lim || d->service < 0 || d->service > lim) {
            vrp_problem_free(p);
            return err_set(e, ERR_INVAL, "line %d: a value is out of range", d->line);
        }
        if (d->due < d->ready) {
            vrp_problem_free(p);
            return err_set(e, ERR_INVAL, "line %d: due date %g is before ready time %g", d->line,
                           d->due, d->ready);
        }
        if (d->demand != floor(d->demand)) {
            vrp_problem_free(p);
            return err_set(e, ERR_INVAL, "line %d: demand must be an integer", d->line);
        }
    }
    int rc = vrp__matrix_alloc(n, 1, &p->matrices[0].dur, e);
    if (!rc)
        rc = vrp__euclid_matrix(n, p->lon, p->lat, VRP__BENCH_SCALE, p->matrices[0].dur, e);
    if (rc) {
        vrp_problem_free(p);
        return rc;
    }
    p->matrices[0].dist = p->matrices[0].dur;
    p->n_tasks = n - 1;
    p->tasks = xcalloc((size_t)(n > 1 ? n - 1 : 1), sizeof *p->tasks);
    for (int i = 1; i < n; i++) {
        const struct vrp__twnode *d = &nodes[i];
        struct vrp_task *t = &p->tasks[i - 1];
        t->id = i;
        t->loc = i;
        t->service = scaled(d->service);
        t->pair = VRP_NONE;
        t->tw = xmalloc(sizeof *t->tw);
        t->tw[0] = (struct vrp_tw){scaled(d->ready), scaled(d->due)};
        t->n_tw = 1;
        int64_t q = (int64_t)d->demand;
        if (d->kind == VRP_JOB) {
            t->kind = VRP_JOB;
            t->delivery[0] = q;
        } else if (d->kind == VRP_PICKUP) {
            t->kind = VRP_PICKUP;
            t->pickup[0] = q;
            t->pair = d->pair - 1;
        } else {
            t->kind = VRP_DELIVERY;
            t->delivery[0] = -q;
            t->pair = d->pair - 1;
        }
    }
    p->n_vehicles = (int)n_vehicles;
    p->vehicles = xcalloc((size_t)n_vehicles, sizeof *p->vehicles);
    for (int i = 0; i < p->n_vehicles; i++) {
        struct vrp_vehicle *v = &p->vehicles[i];
        v->id = i + 1;
        v->start = v->end = 0;
        v->capacity[0] = capacity;
        v->tw = (struct vrp_tw){scaled(nodes[0].ready), scaled(nodes[0].due)};
        v->max_trips = 1;
    }
    return vrp__finish(p, out, e);
}

static bool all_numbers(const struct str *tok, int k, double *v)
{
    for (int i = 0; i < k; i++)
        if (str_to_double(tok[i], &v[i]))
            return false;
    return true;
}

int vrp__read_solomon(const char *buf, size_t len, struct vrp_problem **out, struct err *e)
{
    int rc = vrp__check_text(buf, len, e);
    if (rc)
        return rc;
    struct vrp__lines L;
    vrp__lines_init(&L, buf, len);
    struct str line, tok[10];
    double v[10];
    char *name = NULL;
    int state = 0; /* 0 name, 1 want VEHICLE, 2 want K Q, 3 want CUSTOMER, 4 rows */
    int64_t K = 0, Q = 0;
    struct vrp__twnode *nodes = NULL;
    size_t cap = 0;
    int n = 0;
    int last_row = 0; /* line of the last customer row, 0 when it ended with '\n' */
    while (vrp__next_line(&L, &line)) {
        int k = vrp__split(line, tok, 9);
        if (k == 0)
            continue;
        switch (state) {
        case 0:
            name = xstrndup(tok[0].ptr, tok[0].len > 200 ? 200 : tok[0].len);
            state = 1;
            break;
        case 1:
            if (!str_eq(tok[0], "VEHICLE")) {
                rc = err_set(e, ERR_INVAL, "line %d: expected VEHICLE", L.line);
                goto fail;
            }
            state = 2;
            break;
        case 2:
            if (k == 2 && all_numbers(tok, 2, v)) {
                if (v[0] != floor(v[0]) || v[0] < 1 || v[0] > 100000 || v[1] != floor(v[1]) ||
                    v[1] < 1 || v[1] > (double)VRP__MAX_VALUE) {
                    rc = err_set(e, ERR_INVAL,
                                 "line %d: vehicle number and capacity must be positive integers",
                                 L.line);
                    goto fail;
                }
                K = (int64_t)v[0];
                Q = (int64_t)v[1];
                state = 3;
            } else if (str_eq(tok[0], "CUSTOMER")) {
                rc = err_set(e, ERR_INVAL, "line %d: CUSTOMER before the vehicle line", L.line);
                goto fail;
            }
            break;
        case 3:
            if (!str_eq(tok[0], "CUSTOMER")) {
                rc = err_set(e, ERR_INVAL, "line %d: expected CUSTOMER", L.line);
                goto fail;
            }
            state = 4;
            break;
        default:
            if (k != 7 || !all_numbers(tok, 7, v)) {
                if (n == 0 && !all_numbers(tok, 1, v))
                    break; /* the column header */
                rc = err_set(e, ERR_INVAL,
                             "line %d: expected 7 numbers (no, x, y, demand, ready, due, service)",
                             L.line);
                goto fail;
            }
            if (n >= VRP__MAX_LOCS) {
                rc = err_set(e, ERR_TOOBIG, "line %d: more than %d customers", L.line,
                             VRP__MAX_LOCS);
                goto fail;
            }
            if (v[0] != n) {
                rc = err_set(e, ERR_INVAL, "line %d: customer number %g, expected %d", L.line, v[0],
                             n);
                goto fail;
            }
            if (v[3] < 0) {
                rc = err_set(e, ERR_INVAL, "line %d: negative demand %g", L.line, v[3]);
                goto fail;
            }
            if (n == 0 && v[3] != 0) {
                rc = err_set(e, ERR_INVAL, "line %d: the depot has a demand", L.line);
                goto fail;
            }
            xgrow((void **)&nodes, &cap, (size_t)n + 1, sizeof *nodes);
            nodes[n] =
                (struct vrp__twnode){v[1], v[2], v[3], v[4], v[5], v[6], VRP_NONE, VRP_JOB, L.line};
            n++;
            last_row = L.eol ? 0 : L.line;
        }
    }
    if (last_row) {
        rc = err_set(e, ERR_INVAL,
                     "line %d: the file ends inside this row (no end of line); it looks "
                     "truncated",
                     last_row);
        goto fail;
    }
    if (state < 4) {
        rc = err_set(e, ERR_INVAL, "file ends before the %s",
                     state < 3 ? "vehicle line" : "CUSTOMER section");
        goto fail;
    }
    if (n == 0) {
        rc = err_set(e, ERR_INVAL, "no customer rows (not even the depot)");
        goto fail;
    }
    rc = vrp__build_tw("solomon", name, nodes, n, K, Q, out, e);
    free(nodes);
    return rc;
fail:
    free(name);
    free(nodes);
    return rc;
}
