/*
** problem.c: the problem model's lifecycle and its consistency rules:
** vrp_problem_new/free, vrp_problem_validate (the invariants every reader
** and the search rely on), vrp_params_default, vrp_format_parse, the arc
** cost rule (vrp_arc_cost), format auto-detection (vrp_read, vrp_read_file)
** and the small text helpers the readers share (read.h).
*/
#include "vrp/read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct vrp_problem *vrp_problem_new(void)
{
    struct vrp_problem *p = xcalloc(1, sizeof *p);
    p->scale = 1;
    p->n_dims = 1;
    return p;
}

void vrp_problem_free(struct vrp_problem *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->format);
    free(p->lon);
    free(p->lat);
    for (int i = 0; i < p->n_matrices; i++) {
        struct vrp_matrix *m = &p->matrices[i];
        /* dist and cost may alias dur or each other; free each block once. */
        bool dist_dup = m->dist == m->dur;
        bool cost_dup = m->cost == m->dur || m->cost == m->dist;
        free(m->dur);
        if (!dist_dup)
            free(m->dist);
        if (!cost_dup)
            free(m->cost);
    }
    free(p->matrices);
    if (p->tasks) {
        for (int i = 0; i < p->n_tasks; i++) {
            free(p->tasks[i].tw);
            free(p->tasks[i].description);
        }
        free(p->tasks);
    }
    if (p->vehicles)
        for (int i = 0; i < p->n_vehicles; i++)
            free(p->vehicles[i].description);
    free(p->vehicles);
    for (int i = 0; i < p->n_skills; i++)
        free(p->skill_names[i]);
    free(p->skill_names);
    free(p);
}

void vrp_params_default(struct vrp_params *prm)
{
    memset(prm, 0, sizeof *prm);
    prm->time_limit_s = 0; /* the search picks a default by size */
    prm->seed = 1;
    prm->threads = 1;
}

int vrp_format_parse(const char *name, enum vrp_format *out)
{
    static const struct {
        const char *name;
        enum vrp_format fmt;
    } names[] = {{"auto", VRP_FMT_AUTO},       {"cvrplib", VRP_FMT_CVRPLIB},
                 {"tsplib", VRP_FMT_CVRPLIB},  {"vrp", VRP_FMT_CVRPLIB},
                 {"solomon", VRP_FMT_SOLOMON}, {"lilim", VRP_FMT_LILIM},
                 {"vroom", VRP_FMT_VROOM},     {"json", VRP_FMT_VROOM}};
    for (size_t i = 0; i < RL_ARRAY_LEN(names); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    }
    return ERR_INVAL;
}

int64_t vrp_arc_cost(const struct vrp_problem *p, const struct vrp_vehicle *v, int from, int to)
{
    const struct vrp_matrix *m = &p->matrices[v->profile];
    size_t k = (size_t)from * (size_t)p->n_locs + (size_t)to;
    if (m->cost)
        return m->cost[k];
    if (v->cost_per_km || v->cost_per_hour) {
        /* per_km * dist / 1000 + per_hour * dur / 3600 over the common
        ** denominator 18000, rounded half up, once per arc. */
        __extension__ typedef __int128 wide; /* rate x 2^40 x 18 needs > 64 bits */
        wide num = (wide)v->cost_per_km * m->dist[k] * 18 + (wide)v->cost_per_hour * m->dur[k] * 5;
        return (int64_t)((num + 9000) / 18000);
    }
    return m->dist[k];
}

const char *vrp__kind_name(enum vrp_task_kind k)
{
    switch (k) {
    case VRP_PICKUP:
        return "pickup";
    case VRP_DELIVERY:
        return "delivery";
    default:
        return "job";
    }
}

int vrp__find_task(const struct vrp_problem *p, enum vrp_task_kind kind, int64_t id)
{
    for (int i = 0; i < p->n_tasks; i++)
        if (p->tasks[i].id == id && p->tasks[i].kind == kind)
            return i;
    return VRP_NONE;
}

int vrp__find_vehicle(const struct vrp_problem *p, int64_t id)
{
    for (int i = 0; i < p->n_vehicles; i++)
        if (p->vehicles[i].id == id)
            return i;
    return VRP_NONE;
}

/* ---------------------------------------------------------------- validate */

static int cmp_key(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static int check_amounts(const int64_t *a, int n_dims, const char *what, const char *kind,
                         int64_t id, struct err *e)
{
    for (int d = 0; d < VRP_MAX_DIMS; d++) {
        if (a[d] < 0 || a[d] > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "%s %lld: %s[%d] = %lld is out of range", kind,
                           (long long)id, what, d, (long long)a[d]);
        if (d >= n_dims && a[d] != 0)
            return err_set(e, ERR_INVAL,
                           "%s %lld: %s[%d] is set but the problem has %d dimension(s)", kind,
                           (long long)id, what, d, n_dims);
    }
    return 0;
}

int vrp_problem_validate(const struct vrp_problem *p, struct err *e)
{
    if (!p)
        return err_set(e, ERR_INVAL, "no problem");
    if (p->n_locs < 1 || p->n_locs > VRP__MAX_LOCS)
        return err_set(e, ERR_INVAL, "number of locations %d is out of range (1..%d)", p->n_locs,
                       VRP__MAX_LOCS);
    if (p->n_dims < 1 || p->n_dims > VRP_MAX_DIMS)
        return err_set(e, ERR_INVAL, "number of capacity dimensions %d is out of range (1..%d)",
                       p->n_dims, VRP_MAX_DIMS);
    if (p->scale < 1)
        return err_set(e, ERR_INVAL, "scale must be at least 1");
    if (p->n_matrices < 1 || !p->matrices)
        return err_set(e, ERR_INVAL, "no travel matrix");
    if (p->n_tasks < 0 || p->n_vehicles < 0 || p->n_skills < 0 || p->n_skills > VRP_MAX_SKILLS)
        return err_set(e, ERR_INVAL, "negative counts");
    if ((p->n_tasks > 0 && !p->tasks) || (p->n_vehicles > 0 && !p->vehicles))
        return err_set(e, ERR_INVAL, "missing task or vehicle array");
    size_t nn = (size_t)p->n_locs * (size_t)p->n_locs;
    for (int mi = 0; mi < p->n_matrices; mi++) {
        const struct vrp_matrix *m = &p->matrices[mi];
        if (!m->dur || !m->dist)
            return err_set(e, ERR_INVAL, "matrix %d: durations and distances are required", mi);
        const int64_t *arrs[3] = {m->dur, m->dist, m->cost};
        static const char *names[3] = {"duration", "distance", "cost"};
        for (int a = 0; a < 3; a++) {
            if (!arrs[a] || (a == 1 && m->dist == m->dur) ||
                (a == 2 && (m->cost == m->dur || m->cost == m->dist)))
                continue;
            for (size_t k = 0; k < nn; k++)
                if (arrs[a][k] < 0 || arrs[a][k] > VRP__MAX_VALUE)
                    return err_set(e, ERR_INVAL, "matrix %d: %s from %zu to %zu is out of range",
                                   mi, names[a], k / (size_t)p->n_locs, k % (size_t)p->n_locs);
        }
    }
    for (int i = 0; i < p->n_tasks; i++) {
        const struct vrp_task *t = &p->tasks[i];
        const char *kn = vrp__kind_name(t->kind);
        long long id = (long long)t->id;
        if (t->kind != VRP_JOB && t->kind != VRP_PICKUP && t->kind != VRP_DELIVERY)
            return err_set(e, ERR_INVAL, "task %d: unknown kind", i);
        if (t->loc < 0 || t->loc >= p->n_locs)
            return err_set(e, ERR_INVAL, "%s %lld: location index %d out of range (0..%d)", kn, id,
                           t->loc, p->n_locs - 1);
        if (t->service < 0 || t->service > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "%s %lld: service time out of range", kn, id);
        if (t->setup < 0 || t->setup > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "%s %lld: setup time out of range", kn, id);
        int rc = check_amounts(t->delivery, p->n_dims, "delivery", kn, t->id, e);
        if (!rc)
            rc = check_amounts(t->pickup, p->n_dims, "pickup", kn, t->id, e);
        if (rc)
            return rc;
        if (t->priority < 0 || t->priority > 100)
            return err_set(e, ERR_INVAL, "%s %lld: priority must be in 0..100", kn, id);
        if (t->penalty < 0 || t->penalty > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "%s %lld: penalty out of range", kn, id);
        if (t->n_tw < 0 || (t->n_tw > 0 && !t->tw))
            return err_set(e, ERR_INVAL, "%s %lld: bad time window array", kn, id);
        for (int w = 0; w < t->n_tw; w++) {
            const struct vrp_tw *tw = &t->tw[w];
            if (tw->start < 0 || tw->start > tw->end ||
                (tw->end > VRP__MAX_VALUE && tw->end != INT64_MAX))
                return err_set(e, ERR_INVAL, "%s %lld: time window %d is invalid", kn, id, w);
            if (w > 0 && tw->start <= t->tw[w - 1].end)
                return err_set(e, ERR_INVAL, "%s %lld: time windows must be sorted and disjoint",
                               kn, id);
        }
        if (t->kind == VRP_JOB) {
            if (t->pair != VRP_NONE)
                return err_set(e, ERR_INVAL, "job %lld: a job has no pair", id);
            continue;
        }
        if (t->pair < 0 || t->pair >= p->n_tasks || t->pair == i)
            return err_set(e, ERR_INVAL, "%s %lld: pair index out of range", kn, id);
        const struct vrp_task *o = &p->tasks[t->pair];
        if (o->pair != i || o->kind == t->kind || o->kind == VRP_JOB)
            return err_set(e, ERR_INVAL, "%s %lld: shipment halves do not match", kn, id);
        if (t->kind == VRP_PICKUP) {
            for (int d = 0; d < VRP_MAX_DIMS; d++)
                if (t->delivery[d] != 0 || o->pickup[d] != 0 || t->pickup[d] != o->delivery[d])
                    return err_set(e, ERR_INVAL,
                                   "shipment %lld: pickup and delivery amounts differ", id);
            if (t->skills != o->skills)
                return err_set(e, ERR_INVAL, "shipment %lld: halves need the same skills", id);
            if (t->optional != o->optional)
                return err_set(e, ERR_INVAL, "shipment %lld: halves must both be optional or not",
                               id);
        }
    }
    for (int i = 0; i < p->n_vehicles; i++) {
        const struct vrp_vehicle *v = &p->vehicles[i];
        long long id = (long long)v->id;
        if (v->start != VRP_NONE && (v->start < 0 || v->start >= p->n_locs))
            return err_set(e, ERR_INVAL, "vehicle %lld: start index %d out of range", id, v->start);
        if (v->end != VRP_NONE && (v->end < 0 || v->end >= p->n_locs))
            return err_set(e, ERR_INVAL, "vehicle %lld: end index %d out of range", id, v->end);
        if (v->profile < 0 || v->profile >= p->n_matrices)
            return err_set(e, ERR_INVAL, "vehicle %lld: profile %d out of range", id, v->profile);
        for (int d = 0; d < VRP_MAX_DIMS; d++)
            if (v->capacity[d] < 0)
                return err_set(e, ERR_INVAL, "vehicle %lld: negative capacity", id);
        if (v->tw.start < 0 || v->tw.start > v->tw.end ||
            (v->tw.end > VRP__MAX_VALUE && v->tw.end != INT64_MAX) || v->tw.start > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "vehicle %lld: time window is invalid", id);
        if (v->fixed_cost < 0 || v->fixed_cost > VRP__MAX_VALUE || v->cost_per_hour < 0 ||
            v->cost_per_hour > VRP__MAX_RATE || v->cost_per_km < 0 ||
            v->cost_per_km > VRP__MAX_RATE)
            return err_set(e, ERR_INVAL, "vehicle %lld: costs out of range", id);
        if (v->max_travel_time < 0 || v->max_distance < 0 || v->max_tasks < 0 ||
            v->max_travel_time > VRP__MAX_VALUE * 65536 || v->max_distance > VRP__MAX_VALUE * 65536)
            return err_set(e, ERR_INVAL, "vehicle %lld: negative limit", id);
        if (v->max_trips < 0 || v->reload_time < 0 || v->reload_time > VRP__MAX_VALUE)
            return err_set(e, ERR_INVAL, "vehicle %lld: max_trips/reload_time out of range", id);
        if (v->max_trips > 1 && v->start == VRP_NONE)
            return err_set(e, ERR_INVAL, "vehicle %lld: multi-trip needs a start location", id);
    }
    /* Unique ids: vehicles among vehicles, tasks within their kind. */
    int n = p->n_tasks > p->n_vehicles ? p->n_tasks : p->n_vehicles;
    int64_t(*keys)[2] = xmalloc(sizeof *keys * (size_t)(n ? n : 1));
    for (int i = 0; i < p->n_tasks; i++) {
        keys[i][0] = p->tasks[i].kind;
        keys[i][1] = p->tasks[i].id;
    }
    qsort(keys, (size_t)p->n_tasks, sizeof *keys, cmp_key);
    int rc = 0;
    for (int i = 1; i < p->n_tasks && !rc; i++)
        if (keys[i][0] == keys[i - 1][0] && keys[i][1] == keys[i - 1][1])
            rc = err_set(e, ERR_INVAL, "duplicate %s id %lld",
                         vrp__kind_name((enum vrp_task_kind)keys[i][0]), (long long)keys[i][1]);
    for (int i = 0; i < p->n_vehicles; i++) {
        keys[i][0] = 0;
        keys[i][1] = p->vehicles[i].id;
    }
    qsort(keys, (size_t)p->n_vehicles, sizeof *keys, cmp_key);
    for (int i = 1; i < p->n_vehicles && !rc; i++)
        if (keys[i][1] == keys[i - 1][1])
            rc = err_set(e, ERR_INVAL, "duplicate vehicle id %lld", (long long)keys[i][1]);
    free(keys);
    return rc;
}

/* ------------------------------------------------------------ text helpers */

void vrp__lines_init(struct vrp__lines *L, const char *buf, size_t len)
{
    L->p = buf;
    L->end = buf + len;
    L->line = 0;
    L->eol = false;
}

bool vrp__next_line(struct vrp__lines *L, struct str *line)
{
    if (L->p >= L->end)
        return false;
    const char *s = L->p;
    const char *nl = memchr(s, '\n', (size_t)(L->end - s));
    const char *e = nl ? nl : L->end;
    L->p = nl ? nl + 1 : L->end;
    L->eol = nl != NULL;
    if (e > s && e[-1] == '\r')
        e--;
    L->line++;
    *line = (struct str){s, (size_t)(e - s)};
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int vrp__split(struct str line, struct str *tok, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < line.len) {
        while (i < line.len && is_space(line.ptr[i]))
            i++;
        if (i >= line.len)
            break;
        size_t s = i;
        while (i < line.len && !is_space(line.ptr[i]))
            i++;
        if (n == max)
            return max + 1;
        tok[n++] = (struct str){line.ptr + s, i - s};
    }
    return n;
}

struct str vrp__trim(struct str s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

int vrp__check_text(const char *buf, size_t len, struct err *e)
{
    const char *z = memchr(buf, '\0', len);
    if (z)
        return err_set(e, ERR_INVAL, "byte %zu: NUL byte in a text file", (size_t)(z - buf));
    return 0;
}

int vrp__matrix_alloc(int n, int n_matrices, int64_t **out, struct err *e)
{
    if (n < 1 || n > VRP__MAX_LOCS)
        return err_set(e, ERR_TOOBIG, "%d locations: at most %d are supported", n, VRP__MAX_LOCS);
    size_t bytes = (size_t)n * (size_t)n * sizeof(int64_t);
    if (n_matrices < 1)
        n_matrices = 1;
    if (bytes > VRP__MAX_MATRIX_BYTES / (size_t)n_matrices)
        return err_set(e, ERR_TOOBIG, "%d locations: the matrices would exceed 2 GiB", n);
    *out = xcalloc((size_t)n * (size_t)n, sizeof(int64_t));
    return 0;
}

int vrp__euclid_matrix(int n, const double *x, const double *y, double scale, int64_t *m,
                       struct err *e)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]) || fabs(x[i]) > 1e9 || fabs(y[i]) > 1e9)
            return err_set(e, ERR_INVAL, "node %d: coordinates out of range", i + 1);
    }
    for (int i = 0; i < n; i++) {
        m[(size_t)i * (size_t)n + (size_t)i] = 0;
        for (int j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            double d = floor(sqrt(dx * dx + dy * dy) * scale + 0.5);
            if (d > (double)VRP__MAX_VALUE)
                return err_set(e, ERR_INVAL, "distance from node %d to %d is too large", i + 1,
                               j + 1);
            m[(size_t)i * (size_t)n + (size_t)j] = (int64_t)d;
            m[(size_t)j * (size_t)n + (size_t)i] = (int64_t)d;
        }
    }
    return 0;
}

int vrp__finish(struct vrp_problem *p, struct vrp_problem **out, struct err *e)
{
    int rc = vrp_problem_validate(p, e);
    if (rc) {
        vrp_problem_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* ------------------------------------------------------------------- read */

static bool contains(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return true;
    return false;
}

static enum vrp_format detect(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (is_space(buf[i]) || buf[i] == '\n'))
        i++;
    if (i < len && buf[i] == '{')
        return VRP_FMT_VROOM;
    size_t head = len < 4096 ? len : 4096;
    if (contains(buf, head, "DIMENSION") || contains(buf, head, "NODE_COORD_SECTION") ||
        contains(buf, head, "EDGE_WEIGHT"))
        return VRP_FMT_CVRPLIB;
    if (contains(buf, head, "VEHICLE") && contains(buf, head, "CUSTOMER"))
        return VRP_FMT_SOLOMON;
    /* Li & Lim: a first line of three numbers, then lines of nine. */
    struct vrp__lines L;
    struct str line, tok[10];
    vrp__lines_init(&L, buf, head);
    while (vrp__next_line(&L, &line)) {
        int k = vrp__split(line, tok, 9);
        if (k == 0)
            continue;
        return k == 3 ? VRP_FMT_LILIM : VRP_FMT_AUTO;
    }
    return VRP_FMT_AUTO;
}

int vrp_read(const char *buf, size_t len, enum vrp_format fmt, struct vrp_problem **out,
             struct err *e)
{
    if (!buf)
        return err_set(e, ERR_INVAL, "no input");
    if (fmt == VRP_FMT_AUTO) {
        fmt = detect(buf, len);
        if (fmt == VRP_FMT_AUTO)
            return err_set(
                e, ERR_INVAL,
                "cannot tell the input format; name it (cvrplib, solomon, lilim, vroom)");
    }
    switch (fmt) {
    case VRP_FMT_CVRPLIB:
        return vrp__read_cvrplib(buf, len, out, e);
    case VRP_FMT_SOLOMON:
        return vrp__read_solomon(buf, len, out, e);
    case VRP_FMT_LILIM:
        return vrp__read_lilim(buf, len, out, e);
    case VRP_FMT_VROOM:
        return vrp__read_vroom(buf, len, out, e);
    default:
        return err_set(e, ERR_INVAL, "unknown format");
    }
}

int vrp_read_file(const char *path, enum vrp_format fmt, struct vrp_problem **out, struct err *e)
{
    struct strbuf sb;
    strbuf_init(&sb, (size_t)1 << 30);
    int rc = file_read_all(path, &sb, e);
    if (!rc) {
        rc = vrp_read(sb.buf, sb.len, fmt, out, e);
        if (rc)
            err_prefix(e, "%s: ", path);
    }
    strbuf_release(&sb);
    return rc;
}
