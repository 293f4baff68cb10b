/*
** read_cvrplib.c: CVRPLIB / TSPLIB `.vrp` files (TYPE : CVRP).
**
** Header lines `KEY : VALUE` (NAME, COMMENT, TYPE, DIMENSION, CAPACITY,
** EDGE_WEIGHT_TYPE, EDGE_WEIGHT_FORMAT, VEHICLES, DISTANCE), then sections
** NODE_COORD_SECTION, DEMAND_SECTION, DEPOT_SECTION, EDGE_WEIGHT_SECTION,
** DISPLAY_DATA_SECTION, and EOF. Distances: EUC_2D = nint(euclid) =
** floor(d + 0.5), CEIL_2D = ceil(euclid), EXPLICIT in the TSPLIB layouts
** FULL_MATRIX, UPPER_ROW, LOWER_ROW, UPPER_DIAG_ROW, LOWER_DIAG_ROW and
** their _COL twins. Durations equal distances. One depot (node 1 unless a
** DEPOT_SECTION says otherwise); every other node is a job whose id is its
** node number. The fleet is unlimited in the benchmark sense: identical
** vehicles, as many as could ever be useful (VEHICLES when given).
*/
#include "vrp/read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A token stream over lines; header parsing takes whole lines from it. */
struct toks {
    struct vrp__lines L;
    struct str rest; /* unread part of the current line */
};

static bool tok_next(struct toks *t, struct str *out)
{
    for (;;) {
        struct str tok[1];
        t->rest = vrp__trim(t->rest);
        if (t->rest.len) {
            vrp__split(t->rest, tok, 1);
            *out = tok[0];
            size_t used = (size_t)(tok[0].ptr + tok[0].len - t->rest.ptr);
            t->rest.ptr += used;
            t->rest.len -= used;
            return true;
        }
        if (!vrp__next_line(&t->L, &t->rest))
            return false;
    }
}

static bool line_next(struct toks *t, struct str *out)
{
    for (;;) {
        t->rest = vrp__trim(t->rest);
        if (t->rest.len) {
            *out = t->rest;
            t->rest.len = 0;
            return true;
        }
        if (!vrp__next_line(&t->L, &t->rest))
            return false;
    }
}

static int need_num(struct toks *t, const char *what, double *out, struct err *e)
{
    struct str s;
    if (!tok_next(t, &s))
        return err_set(e, ERR_INVAL, "line %d: file ends inside %s (truncated?)", t->L.line, what);
    if (str_to_double(s, out))
        return err_set(e, ERR_INVAL, "line %d: %s: expected a finite number, got '%.*s'", t->L.line,
                       what, (int)(s.len > 40 ? 40 : s.len), s.ptr);
    return 0;
}

static int need_int(struct toks *t, const char *what, int64_t lo, int64_t hi, int64_t *out,
                    struct err *e)
{
    double d;
    int rc = need_num(t, what, &d, e);
    if (rc)
        return rc;
    if (d != floor(d) || d < (double)lo || d > (double)hi)
        return err_set(e, ERR_INVAL, "line %d: %s: %g is not an integer in %lld..%lld", t->L.line,
                       what, d, (long long)lo, (long long)hi);
    *out = (int64_t)d;
    return 0;
}

static bool key_is(struct str k, const char *name)
{
    return str_eq(k, name);
}

enum ew_type { EW_NONE, EW_EUC_2D, EW_CEIL_2D, EW_EXPLICIT };
enum ew_fmt { EF_NONE, EF_FULL, EF_UPPER_ROW, EF_LOWER_ROW, EF_UPPER_DIAG_ROW, EF_LOWER_DIAG_ROW };

struct cvrp {
    int n;
    int64_t capacity;
    int64_t vehicles;
    int64_t max_dist;
    enum ew_type ewt;
    enum ew_fmt ewf;
    double *x, *y;
    bool *has_xy;
    int64_t *demand;
    bool *has_demand;
    int depot;
    int64_t *w; /* explicit matrix */
    char *name;
};

static int read_explicit(struct toks *t, struct cvrp *c, size_t left, struct err *e)
{
    int n = c->n;
    size_t nn = (size_t)n, count;
    switch (c->ewf) {
    case EF_FULL:
        count = nn * nn;
        break;
    case EF_UPPER_ROW:
    case EF_LOWER_ROW:
        count = nn * (nn - 1) / 2;
        break;
    case EF_UPPER_DIAG_ROW:
    case EF_LOWER_DIAG_ROW:
        count = nn * (nn + 1) / 2;
        break;
    default:
        return err_set(e, ERR_INVAL,
                       "line %d: EDGE_WEIGHT_SECTION without a supported "
                       "EDGE_WEIGHT_FORMAT",
                       t->L.line);
    }
    /* Every weight takes at least two bytes: refuse before allocating. */
    if (count > left / 2 + 1)
        return err_set(e, ERR_INVAL,
                       "line %d: EDGE_WEIGHT_SECTION needs %zu weights for DIMENSION %d; "
                       "the file is too short",
                       t->L.line, count, n);
    int rc = vrp__matrix_alloc(n, 1, &c->w, e);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        int j0, j1; /* row i holds columns j0..j1-1 in the file order */
        switch (c->ewf) {
        case EF_FULL:
            j0 = 0, j1 = n;
            break;
        case EF_UPPER_ROW:
            j0 = i + 1, j1 = n;
            break;
        case EF_LOWER_ROW:
            j0 = 0, j1 = i;
            break;
        case EF_UPPER_DIAG_ROW:
            j0 = i, j1 = n;
            break;
        default:
            j0 = 0, j1 = i + 1;
            break;
        }
        for (int j = j0; j < j1; j++) {
            double d;
            rc = need_num(t, "EDGE_WEIGHT_SECTION", &d, e);
            if (rc)
                return rc;
            if (d < 0 || d > (double)VRP__MAX_VALUE)
                return err_set(e, ERR_INVAL, "line %d: edge weight %g out of range", t->L.line, d);
            int64_t v = (int64_t)floor(d + 0.5);
            c->w[(size_t)i * nn + (size_t)j] = v;
            if (c->ewf != EF_FULL)
                c->w[(size_t)j * nn + (size_t)i] = v;
        }
    }
    if (c->ewf != EF_FULL)
        for (int i = 0; i < n; i++)
            c->w[(size_t)i * nn + (size_t)i] = 0;
    return 0;
}

static int parse(const char *buf, size_t len, struct cvrp *c, struct err *e)
{
    struct toks t = {{0}, {NULL, 0}};
    vrp__lines_init(&t.L, buf, len);
    struct str line;
    int rc = 0;
    bool seen_eof = false;
    while (!rc && line_next(&t, &line)) {
        struct str key, val = {"", 0};
        const char *colon = memchr(line.ptr, ':', line.len);
        if (colon) {
            key = vrp__trim((struct str){line.ptr, (size_t)(colon - line.ptr)});
            val = vrp__trim((struct str){colon + 1, line.len - (size_t)(colon + 1 - line.ptr)});
        } else {
            struct str tok[2];
            int k = vrp__split(line, tok, 1);
            key = tok[0];
            if (k > 1) {
                /* "DIMENSION 101" without a colon, or a section keyword
                ** followed by data on the same line. */
                val = vrp__trim((struct str){key.ptr + key.len,
                                             line.len - (size_t)(key.ptr + key.len - line.ptr)});
            }
        }
        int ln = t.L.line;
        if (key_is(key, "EOF")) {
            seen_eof = true;
            break;
        }
        bool section = key.len > 8 && memcmp(key.ptr + key.len - 8, "_SECTION", 8) == 0;
        if (section) {
            if (c->n == 0)
                return err_set(e, ERR_INVAL, "line %d: %.*s before DIMENSION", ln, (int)key.len,
                               key.ptr);
            t.rest = val; /* data may follow on the same line */
            size_t left = (size_t)(t.L.end - t.L.p) + val.len;
            if (key_is(key, "NODE_COORD_SECTION") || key_is(key, "DISPLAY_DATA_SECTION")) {
                bool coords = key_is(key, "NODE_COORD_SECTION");
                for (int i = 0; i < c->n && !rc; i++) {
                    int64_t id;
                    double x, y;
                    rc = need_int(&t, "node number", 1, c->n, &id, e);
                    if (!rc)
                        rc = need_num(&t, "x coordinate", &x, e);
                    if (!rc)
                        rc = need_num(&t, "y coordinate", &y, e);
                    if (rc || !coords)
                        continue;
                    if (c->has_xy[id - 1])
                        return err_set(e, ERR_INVAL, "line %d: node %lld listed twice", t.L.line,
                                       (long long)id);
                    c->has_xy[id - 1] = true;
                    c->x[id - 1] = x;
                    c->y[id - 1] = y;
                }
            } else if (key_is(key, "DEMAND_SECTION")) {
                for (int i = 0; i < c->n && !rc; i++) {
                    int64_t id, d;
                    rc = need_int(&t, "node number", 1, c->n, &id, e);
                    if (!rc)
                        rc = need_int(&t, "demand", INT64_MIN / 2, VRP__MAX_VALUE, &d, e);
                    if (rc)
                        continue;
                    if (d < 0)
                        return err_set(e, ERR_INVAL, "line %d: node %lld: negative demand %lld",
                                       t.L.line, (long long)id, (long long)d);
                    if (c->has_demand[id - 1])
                        return err_set(e, ERR_INVAL, "line %d: demand of node %lld given twice",
                                       t.L.line, (long long)id);
                    c->has_demand[id - 1] = true;
                    c->demand[id - 1] = d;
                }
            } else if (key_is(key, "DEPOT_SECTION")) {
                int count = 0;
                for (;;) {
                    int64_t id;
                    rc = need_int(&t, "DEPOT_SECTION", -1, c->n, &id, e);
                    if (rc)
                        return rc;
                    if (id == -1)
                        break;
                    if (id < 1)
                        return err_set(e, ERR_INVAL, "line %d: depot %lld out of range", t.L.line,
                                       (long long)id);
                    if (++count > 1)
                        return err_set(e, ERR_UNSUPPORTED,
                                       "line %d: more than one depot is not supported", t.L.line);
                    c->depot = (int)id - 1;
                }
            } else if (key_is(key, "EDGE_WEIGHT_SECTION")) {
                if (c->ewt != EW_EXPLICIT)
                    return err_set(e, ERR_INVAL,
                                   "line %d: EDGE_WEIGHT_SECTION needs EDGE_WEIGHT_TYPE EXPLICIT",
                                   ln);
                if (c->w)
                    return err_set(e, ERR_INVAL, "line %d: EDGE_WEIGHT_SECTION given twice", ln);
                rc = read_explicit(&t, c, left, e);
            } else {
                return err_set(e, ERR_UNSUPPORTED, "line %d: unsupported section %.*s", ln,
                               (int)(key.len > 40 ? 40 : key.len), key.ptr);
            }
            continue;
        }
        if (!colon && val.len == 0)
            return err_set(e, ERR_INVAL, "line %d: expected KEY : VALUE, got '%.*s'", ln,
                           (int)(line.len > 40 ? 40 : line.len), line.ptr);
        if (key_is(key, "NAME")) {
            free(c->name);
            c->name = xstrndup(val.ptr, val.len > 200 ? 200 : val.len);
        } else if (key_is(key, "COMMENT")) {
            /* ignored */
        } else if (key_is(key, "TYPE")) {
            if (!str_eq(val, "CVRP"))
                return err_set(e, ERR_UNSUPPORTED, "line %d: TYPE %.*s is not supported (CVRP)", ln,
                               (int)(val.len > 40 ? 40 : val.len), val.ptr);
        } else if (key_is(key, "DIMENSION")) {
            int64_t n;
            if (c->n)
                return err_set(e, ERR_INVAL, "line %d: DIMENSION given twice", ln);
            if (str_to_i64(val, &n) || n < 1)
                return err_set(e, ERR_INVAL, "line %d: DIMENSION must be a positive integer", ln);
            if (n > VRP__MAX_LOCS)
                return err_set(e, ERR_TOOBIG, "line %d: DIMENSION %lld is above the limit of %d",
                               ln, (long long)n, VRP__MAX_LOCS);
            c->n = (int)n;
            c->x = xcalloc((size_t)n, sizeof *c->x);
            c->y = xcalloc((size_t)n, sizeof *c->y);
            c->has_xy = xcalloc((size_t)n, sizeof *c->has_xy);
            c->demand = xcalloc((size_t)n, sizeof *c->demand);
            c->has_demand = xcalloc((size_t)n, sizeof *c->has_demand);
        } else if (key_is(key, "CAPACITY")) {
            if (str_to_i64(val, &c->capacity) || c->capacity < 1 || c->capacity > VRP__MAX_VALUE)
                return err_set(e, ERR_INVAL, "line %d: CAPACITY must be a positive integer", ln);
        } else if (key_is(key, "VEHICLES")) {
            if (str_to_i64(val, &c->vehicles) || c->vehicles < 1 || c->vehicles > 100000)
                return err_set(e, ERR_INVAL, "line %d: VEHICLES must be in 1..100000", ln);
        } else if (key_is(key, "DISTANCE")) {
            double d;
            if (str_to_double(val, &d) || d <= 0 || d > (double)VRP__MAX_VALUE)
                return err_set(e, ERR_INVAL, "line %d: DISTANCE must be a positive number", ln);
            c->max_dist = (int64_t)floor(d);
        } else if (key_is(key, "EDGE_WEIGHT_TYPE")) {
            if (str_eq(val, "EUC_2D"))
                c->ewt = EW_EUC_2D;
            else if (str_eq(val, "CEIL_2D"))
                c->ewt = EW_CEIL_2D;
            else if (str_eq(val, "EXPLICIT"))
                c->ewt = EW_EXPLICIT;
            else
                return err_set(e, ERR_UNSUPPORTED,
                               "line %d: EDGE_WEIGHT_TYPE %.*s is not supported "
                               "(EUC_2D, CEIL_2D, EXPLICIT)",
                               ln, (int)(val.len > 40 ? 40 : val.len), val.ptr);
        } else if (key_is(key, "EDGE_WEIGHT_FORMAT")) {
            if (str_eq(val, "FULL_MATRIX"))
                c->ewf = EF_FULL;
            else if (str_eq(val, "UPPER_ROW") || str_eq(val, "LOWER_COL"))
                c->ewf = EF_UPPER_ROW;
            else if (str_eq(val, "LOWER_ROW") || str_eq(val, "UPPER_COL"))
                c->ewf = EF_LOWER_ROW;
            else if (str_eq(val, "UPPER_DIAG_ROW") || str_eq(val, "LOWER_DIAG_COL"))
                c->ewf = EF_UPPER_DIAG_ROW;
            else if (str_eq(val, "LOWER_DIAG_ROW") || str_eq(val, "UPPER_DIAG_COL"))
                c->ewf = EF_LOWER_DIAG_ROW;
            else
                return err_set(e, ERR_UNSUPPORTED,
                               "line %d: EDGE_WEIGHT_FORMAT %.*s is not supported", ln,
                               (int)(val.len > 40 ? 40 : val.len), val.ptr);
        } else if (key_is(key, "NODE_COORD_TYPE") || key_is(key, "DISPLAY_DATA_TYPE")) {
            /* TWOD_COORDS / NO_DISPLAY: nothing to do */
        } else if (key_is(key, "SERVICE_TIME")) {
            return err_set(e, ERR_UNSUPPORTED, "line %d: SERVICE_TIME is not supported", ln);
        } else {
            return err_set(e, ERR_INVAL, "line %d: unknown key '%.*s'", ln,
                           (int)(key.len > 40 ? 40 : key.len), key.ptr);
        }
    }
    if (rc)
        return rc;
    (void)seen_eof; /* EOF is optional in practice */
    if (c->n == 0)
        return err_set(e, ERR_INVAL, "no DIMENSION");
    if (c->capacity == 0)
        return err_set(e, ERR_INVAL, "no CAPACITY");
    if (c->ewt == EW_NONE)
        return err_set(e, ERR_INVAL, "no EDGE_WEIGHT_TYPE");
    if (c->ewt == EW_EXPLICIT && !c->w)
        return err_set(e, ERR_INVAL, "EDGE_WEIGHT_TYPE EXPLICIT but no EDGE_WEIGHT_SECTION");
    for (int i = 0; i < c->n; i++) {
        if (c->ewt != EW_EXPLICIT && !c->has_xy[i])
            return err_set(e, ERR_INVAL,
                           "node %d has no coordinates (NODE_COORD_SECTION "
                           "missing or too short)",
                           i + 1);
        if (!c->has_demand[i])
            return err_set(e, ERR_INVAL, "node %d has no demand (DEMAND_SECTION missing?)", i + 1);
    }
    if (c->demand[c->depot] != 0)
        return err_set(e, ERR_INVAL, "depot node %d has a non-zero demand", c->depot + 1);
    return 0;
}

int vrp__read_cvrplib(const char *buf, size_t len, struct vrp_problem **out, struct err *e)
{
    int rc = vrp__check_text(buf, len, e);
    if (rc)
        return rc;
    struct cvrp c = {0};
    c.depot = 0;
    rc = parse(buf, len, &c, e);
    struct vrp_problem *p = NULL;
    if (rc)
        goto out;
    p = vrp_problem_new();
    p->format = xstrdup("cvrplib");
    p->name = c.name ? c.name : xstrdup("");
    c.name = NULL;
    p->n_locs = c.n;
    p->n_dims = 1;
    p->scale = 1;
    p->matrices = xcalloc(1, sizeof *p->matrices);
    p->n_matrices = 1;
    if (c.ewt == EW_EXPLICIT) {
        p->matrices[0].dur = c.w;
        c.w = NULL;
    } else {
        rc = vrp__matrix_alloc(c.n, 1, &p->matrices[0].dur, e);
        if (!rc)
            rc = vrp__euclid_matrix(c.n, c.x, c.y, 1.0, p->matrices[0].dur, e);
        if (!rc && c.ewt == EW_CEIL_2D) {
            for (int i = 0; i < c.n; i++)
                for (int j = 0; j < c.n; j++) {
                    double dx = c.x[i] - c.x[j], dy = c.y[i] - c.y[j];
                    p->matrices[0].dur[(size_t)i * (size_t)c.n + (size_t)j] =
                        (int64_t)ceil(sqrt(dx * dx + dy * dy));
                }
        }
        if (rc) {
            vrp_problem_free(p);
            p = NULL;
            goto out;
        }
    }
    p->matrices[0].dist = p->matrices[0].dur;
    p->n_tasks = c.n - 1;
    p->tasks = xcalloc((size_t)(c.n > 1 ? c.n - 1 : 1), sizeof *p->tasks);
    int64_t total = 0;
    for (int i = 0, k = 0; i < c.n; i++) {
        if (i == c.depot)
            continue;
        struct vrp_task *t = &p->tasks[k++];
        t->id = i + 1;
        t->kind = VRP_JOB;
        t->loc = i;
        t->delivery[0] = c.demand[i];
        t->pair = VRP_NONE;
        total += c.demand[i];
    }
    int64_t nv = c.vehicles;
    if (nv == 0) {
        /* Enough identical vehicles for any sensible plan: next-fit never
        ** needs more than 2 * ceil(total / capacity) + 1 of them. */
        int64_t lb = (total + c.capacity - 1) / c.capacity;
        nv = 2 * lb + 2 > lb + 10 ? 2 * lb + 2 : lb + 10;
        if (nv > p->n_tasks)
            nv = p->n_tasks > 0 ? p->n_tasks : 1;
    }
    p->n_vehicles = (int)nv;
    p->vehicles = xcalloc((size_t)nv, sizeof *p->vehicles);
    for (int i = 0; i < p->n_vehicles; i++) {
        struct vrp_vehicle *v = &p->vehicles[i];
        v->id = i + 1;
        v->start = v->end = c.depot;
        v->capacity[0] = c.capacity;
        v->tw = (struct vrp_tw){0, INT64_MAX};
        v->max_distance = c.max_dist;
        v->max_trips = 1;
    }
    p->lon = c.ewt == EW_EXPLICIT ? NULL : c.x;
    p->lat = c.ewt == EW_EXPLICIT ? NULL : c.y;
    if (p->lon)
        c.x = c.y = NULL;
    rc = vrp__finish(p, out, e);
    p = NULL;
out:
    free(c.x);
    free(c.y);
    free(c.has_xy);
    free(c.demand);
    free(c.has_demand);
    free(c.w);
    free(c.name);
    return rc;
}
