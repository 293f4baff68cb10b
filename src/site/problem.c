/*
** problem.c: site problems: allocation, validation, evaluation of a given set
** of open sites, the OR-Library p-median reader (graph -> shortest-path
** distances by Dijkstra from every vertex) and JSON output.
*/
#include "site/site.h"
#include "site/site_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define SITE_MAX_VERTICES 5000
#define SITE_MAX_EDGES 5000000

struct site_problem *site_problem_new(int n_clients, int n_sites)
{
    struct site_problem *p = xcalloc(1, sizeof *p);
    p->n_clients = n_clients;
    p->n_sites = n_sites;
    p->dist = xcalloc((size_t)n_clients * (size_t)n_sites, sizeof *p->dist);
    return p;
}

void site_problem_free(struct site_problem *p)
{
    if (!p)
        return;
    free(p->dist);
    free(p->demand);
    free(p->fixed_cost);
    free(p->capacity);
    free(p->forced_open);
    free(p->site_ids);
    free(p);
}

void site_solution_free(struct site_solution *s)
{
    if (!s)
        return;
    free(s->open);
    free(s->assign);
    free(s);
}

void site_params_default(struct site_params *prm)
{
    memset(prm, 0, sizeof *prm);
    prm->time_limit_s = 10;
    prm->seed = 1;
    prm->exact = true;
}

int site_problem_validate(const struct site_problem *p, struct err *e)
{
    if (p->n_clients < 1 || p->n_sites < 1)
        return err_set(e, ERR_INVAL, "a problem needs at least one client and one site");
    if (p->p < 0 || p->p > p->n_sites)
        return err_set(e, ERR_INVAL, "p = %d is outside 1..%d sites", p->p, p->n_sites);
    if (p->p == 0 && !p->fixed_cost)
        return err_set(e, ERR_INVAL, "give either p (p-median) or fixed costs (facility location)");
    size_t n = (size_t)p->n_clients * (size_t)p->n_sites;
    for (size_t i = 0; i < n; i++)
        if (p->dist[i] < 0 || p->dist[i] > SITE_INF / 4)
            return err_set(e, ERR_INVAL, "distance from client %zu to site %zu is out of range",
                           i / (size_t)p->n_sites + 1, i % (size_t)p->n_sites + 1);
    int64_t total_demand = 0;
    for (int i = 0; p->demand && i < p->n_clients; i++) {
        if (p->demand[i] < 0 || p->demand[i] > ((int64_t)1 << 40))
            return err_set(e, ERR_INVAL, "demand of client %d is out of range", i + 1);
        total_demand += p->demand[i];
    }
    if (!p->demand)
        total_demand = p->n_clients;
    int forced = 0;
    int64_t total_cap = 0;
    for (int j = 0; j < p->n_sites; j++) {
        if (p->fixed_cost && p->fixed_cost[j] < 0)
            return err_set(e, ERR_INVAL, "fixed cost of site %d is negative", j + 1);
        if (p->capacity && p->capacity[j] < 0)
            return err_set(e, ERR_INVAL, "capacity of site %d is negative", j + 1);
        if (p->capacity)
            total_cap += p->capacity[j];
        forced += p->forced_open && p->forced_open[j];
    }
    if (p->p > 0 && forced > p->p)
        return err_set(e, ERR_INVAL, "%d sites are forced open but p = %d", forced, p->p);
    if (p->capacity && total_cap < total_demand)
        return err_set(e, ERR_INFEASIBLE, "total capacity %lld is below total demand %lld",
                       (long long)total_cap, (long long)total_demand);
    return 0;
}

/* ---------------------------------------------------------------- reader */

struct edge {
    int a, b; /* a < b */
    int order;
    int64_t cost;
};

static int edge_cmp(const void *x, const void *y)
{
    const struct edge *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    if (p->b != q->b)
        return p->b < q->b ? -1 : 1;
    return p->order < q->order ? -1 : p->order > q->order;
}

/* Read the next integer token; returns ERR_INVAL at garbage, ERR_NOTFOUND at
** the end of the input. Tracks the line number for messages. */
static int next_int(const char **pp, const char *end, int *line, int64_t *out)
{
    const char *p = *pp;
    while (p < end && isspace((unsigned char)*p)) {
        if (*p == '\n')
            (*line)++;
        p++;
    }
    if (p >= end)
        return ERR_NOTFOUND;
    const char *start = p;
    if (*p == '-' || *p == '+')
        p++;
    while (p < end && isdigit((unsigned char)*p))
        p++;
    if (p == start || (p == start + 1 && !isdigit((unsigned char)*start)) || p - start > 18 ||
        (p < end && !isspace((unsigned char)*p)))
        return ERR_INVAL;
    int rc = str_to_i64((struct str){start, (size_t)(p - start)}, out);
    *pp = p;
    return rc;
}

/* Dijkstra from src over the CSR graph into dist[0..n). */
static void dijkstra(int n, const int *off, const int *to, const int64_t *w, int src, int64_t *dist,
                     int *heap, int *pos)
{
    for (int i = 0; i < n; i++) {
        dist[i] = SITE_INF;
        pos[i] = -1;
    }
    int hn = 0;
    dist[src] = 0;
    heap[hn] = src;
    pos[src] = hn++;
    while (hn) {
        int u = heap[0];
        pos[u] = -2; /* settled */
        heap[0] = heap[--hn];
        if (hn) {
            pos[heap[0]] = 0;
            /* sift down */
            int i = 0;
            for (;;) {
                int l = 2 * i + 1, r = l + 1, m = i;
                if (l < hn && dist[heap[l]] < dist[heap[m]])
                    m = l;
                if (r < hn && dist[heap[r]] < dist[heap[m]])
                    m = r;
                if (m == i)
                    break;
                int t = heap[i];
                heap[i] = heap[m];
                heap[m] = t;
                pos[heap[i]] = i;
                pos[heap[m]] = m;
                i = m;
            }
        }
        for (int k = off[u]; k < off[u + 1]; k++) {
            int v = to[k];
            if (pos[v] == -2)
                continue;
            int64_t nd = dist[u] + w[k];
            if (nd >= dist[v])
                continue;
            dist[v] = nd;
            int i = pos[v];
            if (i < 0) {
                i = hn++;
                heap[i] = v;
                pos[v] = i;
            }
            /* sift up */
            while (i > 0) {
                int parent = (i - 1) / 2;
                if (dist[heap[parent]] <= dist[heap[i]])
                    break;
                int t = heap[i];
                heap[i] = heap[parent];
                heap[parent] = t;
                pos[heap[i]] = i;
                pos[heap[parent]] = parent;
                i = parent;
            }
        }
    }
}

int site_read_orlib(const char *buf, size_t len, struct site_problem **out, struct err *e)
{
    const char *p = buf, *end = buf + len;
    int line = 1;
    int64_t n, m, pm;
    if (next_int(&p, end, &line, &n) || next_int(&p, end, &line, &m) ||
        next_int(&p, end, &line, &pm))
        return err_set(e, ERR_INVAL, "line %d: expected the header 'n m p'", line);
    if (n < 1 || n > SITE_MAX_VERTICES)
        return err_set(e, ERR_INVAL, "line %d: n = %lld vertices is outside 1..%d", line,
                       (long long)n, SITE_MAX_VERTICES);
    if (m < 0 || m > SITE_MAX_EDGES)
        return err_set(e, ERR_INVAL, "line %d: m = %lld edges is outside 0..%d", line, (long long)m,
                       SITE_MAX_EDGES);
    if (pm < 1 || pm > n)
        return err_set(e, ERR_INVAL, "line %d: p = %lld is outside 1..n", line, (long long)pm);
    struct edge *edges = xmalloc((size_t)(m ? m : 1) * sizeof *edges);
    int rc = 0;
    for (int64_t k = 0; k < m; k++) {
        int64_t a, b, c;
        int r = next_int(&p, end, &line, &a);
        if (!r)
            r = next_int(&p, end, &line, &b);
        if (!r)
            r = next_int(&p, end, &line, &c);
        if (r == ERR_NOTFOUND) {
            rc = err_set(e, ERR_INVAL, "file ends after %lld of %lld edges", (long long)k,
                         (long long)m);
            goto fail;
        }
        if (r) {
            rc = err_set(e, ERR_INVAL, "line %d: expected an edge 'i j cost'", line);
            goto fail;
        }
        if (a < 1 || a > n || b < 1 || b > n) {
            rc = err_set(e, ERR_INVAL, "line %d: vertex out of range 1..%lld", line, (long long)n);
            goto fail;
        }
        if (c < 0 || c > ((int64_t)1 << 32)) {
            rc = err_set(e, ERR_INVAL, "line %d: edge cost %lld is out of range", line,
                         (long long)c);
            goto fail;
        }
        edges[k] = (struct edge){(int)(a < b ? a : b) - 1, (int)(a < b ? b : a) - 1, (int)k, c};
    }
    int64_t extra;
    if (next_int(&p, end, &line, &extra) != ERR_NOTFOUND) {
        rc = err_set(e, ERR_INVAL, "line %d: more data than the %lld edges announced", line,
                     (long long)m);
        goto fail;
    }
    /* Keep the last cost of a repeated edge (Beasley's note). */
    qsort(edges, (size_t)m, sizeof *edges, edge_cmp);
    size_t kept = 0;
    for (size_t k = 0; k < (size_t)m; k++) {
        if (kept && edges[kept - 1].a == edges[k].a && edges[kept - 1].b == edges[k].b)
            edges[kept - 1] = edges[k];
        else
            edges[kept++] = edges[k];
    }
    int nn = (int)n;
    int *off = xcalloc((size_t)nn + 1, sizeof *off);
    for (size_t k = 0; k < kept; k++) {
        if (edges[k].a == edges[k].b)
            continue;
        off[edges[k].a + 1]++;
        off[edges[k].b + 1]++;
    }
    for (int i = 0; i < nn; i++)
        off[i + 1] += off[i];
    int *fill = xmalloc((size_t)nn * sizeof *fill);
    memcpy(fill, off, (size_t)nn * sizeof *fill);
    int *to = xmalloc((size_t)(off[nn] ? off[nn] : 1) * sizeof *to);
    int64_t *w = xmalloc((size_t)(off[nn] ? off[nn] : 1) * sizeof *w);
    for (size_t k = 0; k < kept; k++) {
        if (edges[k].a == edges[k].b)
            continue;
        to[fill[edges[k].a]] = edges[k].b;
        w[fill[edges[k].a]++] = edges[k].cost;
        to[fill[edges[k].b]] = edges[k].a;
        w[fill[edges[k].b]++] = edges[k].cost;
    }
    struct site_problem *sp = site_problem_new(nn, nn);
    sp->p = (int)pm;
    int *heap = xmalloc((size_t)nn * sizeof *heap);
    int *pos = xmalloc((size_t)nn * sizeof *pos);
    for (int s = 0; s < nn && !rc; s++) {
        dijkstra(nn, off, to, w, s, sp->dist + (size_t)s * (size_t)nn, heap, pos);
        for (int t = 0; t < nn; t++)
            if (sp->dist[(size_t)s * (size_t)nn + (size_t)t] == SITE_INF) {
                rc = err_set(e, ERR_INVAL, "the graph is not connected (no path %d-%d)", s + 1,
                             t + 1);
                break;
            }
    }
    free(heap);
    free(pos);
    free(off);
    free(fill);
    free(to);
    free(w);
    free(edges);
    if (rc) {
        site_problem_free(sp);
        return rc;
    }
    *out = sp;
    return 0;
fail:
    free(edges);
    return rc;
}

int site_read_file(const char *path, struct site_problem **out, struct err *e)
{
    struct strbuf sb;
    strbuf_init(&sb, (size_t)256 << 20);
    int rc = file_read_all(path, &sb, e);
    if (!rc) {
        rc = site_read_orlib(sb.buf, sb.len, out, e);
        if (rc)
            err_prefix(e, "%s: ", path);
    }
    strbuf_release(&sb);
    return rc;
}

/* ------------------------------------------------------------ evaluation */

int site_evaluate(const struct site_problem *p, const int *open, int n_open, int64_t *cost,
                  struct err *e)
{
    if (n_open < 1)
        return err_set(e, ERR_INFEASIBLE, "no site is open");
    char *seen = xcalloc((size_t)p->n_sites, 1);
    int rc = 0;
    for (int k = 0; k < n_open && !rc; k++) {
        if (open[k] < 0 || open[k] >= p->n_sites)
            rc = err_set(e, ERR_INVAL, "site index %d out of range", open[k]);
        else if (seen[open[k]]++)
            rc = err_set(e, ERR_INVAL, "site %d opened twice", open[k] + 1);
    }
    if (!rc && p->p > 0 && n_open != p->p)
        rc = err_set(e, ERR_INFEASIBLE, "%d sites open but p = %d", n_open, p->p);
    for (int j = 0; !rc && p->forced_open && j < p->n_sites; j++)
        if (p->forced_open[j] && !seen[j])
            rc = err_set(e, ERR_INFEASIBLE, "site %d must stay open", j + 1);
    free(seen);
    if (rc)
        return rc;
    int *assign = xmalloc((size_t)p->n_clients * sizeof *assign);
    int64_t c;
    rc = site__assign(p, open, n_open, assign, &c, e);
    free(assign);
    if (!rc)
        *cost = c;
    return rc;
}

/* ---------------------------------------------------------------- output */

int site_write_json(const struct site_problem *p, const struct site_solution *s, struct strbuf *sb)
{
    int rc = strbuf_addf(sb, "{\"cost\":%lld,\"medians\":[", (long long)s->cost);
    for (int k = 0; k < s->n_open && !rc; k++)
        rc = strbuf_addf(sb, "%s%lld", k ? "," : "",
                         (long long)(p->site_ids ? p->site_ids[s->open[k]] : s->open[k] + 1));
    if (!rc)
        rc = strbuf_addf(sb, "],\"n_open\":%d,\"optimal\":%s,", s->n_open,
                         s->optimal ? "true" : "false");
    if (!rc && s->lower_bound >= 0)
        rc = strbuf_addf(sb, "\"lower_bound\":%lld,", (long long)s->lower_bound);
    if (!rc)
        rc = strbuf_addf(sb, "\"time_s\":%.3f,\"iterations\":%llu}", s->solve_s,
                         (unsigned long long)s->iterations);
    return rc;
}
