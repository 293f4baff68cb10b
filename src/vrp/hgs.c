/*
** hgs.c: hybrid genetic search for plain capacitated problems, after Vidal
** (2022), "Hybrid genetic search for the CVRP: open-source implementation
** and SWAP* neighborhood" (re-derived from the paper's description; no code
** copied). Used by vrp_solve when the problem is a plain CVRP: jobs with one
** delivery amount, no windows, no shipments, no skills, identical vehicles
** that start and end at one depot with no limits or fixed cost, symmetric
** arc costs. Everything else goes to the ruin-and-recreate search (sisr.c).
**
** Pieces: giant tours split optimally into routes (Bellman over the tour
** with a soft capacity); a local search over a granular neighbourhood (the
** Γ closest clients) with RELOCATE, SWAP, 2-OPT, 2-OPT* and SWAP* between
** routes whose polar sectors overlap, penalising excess load; a population
** split into feasible and infeasible individuals ranked by a biased fitness
** that mixes cost and diversity (broken-pairs distance); OX crossover;
** penalty adaptation towards 20 % feasible offspring; restarts after a run
** of non-improving iterations. Costs are integers; penalties are doubles.
**
** Stopping. An iteration is one local search, tenths of a second at 1,500
** clients, so besides the check between iterations the local search looks
** at the clock every H_CHECK_NODES clients tried (and every SWAP* route)
** and gives up at the deadline or on a stop request (asked by the clock,
** see vs_ask_due): its routes are whole after every move, so the
** individual is exported as it stands.
*/
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "vrp/search.h"

#define H_GAMMA 20
#define H_MU 25
/* random individuals to start from (HGS-CVRP uses 4 mu; with budgets of
** 0.024 s per client fewer leave time to evolve) */
#define H_INIT 25
#define H_LAMBDA 40
#define H_ELITE 4
#define H_CLOSE 5
#define H_TARGET_FEAS 0.2
#define H_ITER_NO_IMPROVE 20000
#define H_EPS 1e-5
#define H_CHECK_NODES 16

/* ------------------------------------------------------------ structures */

struct hnode {
    int c; /* client 1..n, 0 for depots */
    bool depot;
    int pos; /* position in route (depot = 0) */
    int route;
    int last_tested; /* move counter when last tested as U */
    struct hnode *next, *prev;
    int64_t cum_load;
    double cum_dist;
    double del_removal; /* SWAP*: cost change of removing this node */
};

struct hroute {
    int idx;
    int n_clients;
    int last_modified;
    int last_swapstar;
    struct hnode *depot, *depot_end;
    int64_t load;
    double dist;
    double penalty;           /* capacity penalty in current units */
    double polar;             /* barycentre angle */
    int sect_start, sect_end; /* circle sector [start, end] in 0..65535 */
};

struct hindiv {
    double pcost; /* penalized cost */
    int64_t dist;
    int64_t excess;
    int n_routes;
    bool feasible;
    int *tour;          /* giant tour, clients 1..n */
    int *rstart, *rlen; /* routes over `rseq` (client order), n_veh each */
    int *rseq;
    int *succ, *pred; /* per client (0 = depot) */
    double biased;
    /* proximity: (distance, other) sorted ascending */
    int n_prox, cap_prox;
    double *prox_d;
    struct hindiv **prox_i;
};

struct ins3 { /* three best insertion positions of a client in a route */
    double cost[3];
    struct hnode *at[3];
};

struct hgs {
    struct vs *s;
    int n, nv;
    int64_t cap;
    int64_t *dem; /* [n + 1] */
    int32_t *D;   /* [(n + 1)^2] */
    int *loc;     /* client -> task index */
    int *corr;    /* [n + 1][H_GAMMA] */
    int gamma;
    int *angle; /* polar angle 0..65535 per client */
    bool have_coords;
    double pen; /* capacity penalty */
    double max_dist, max_dem;
    struct vs_rng *rng;

    /* local search */
    struct hnode *cl;            /* [n + 1] */
    struct hnode *dep, *dep_end; /* [nv] */
    struct hroute *rt;           /* [nv] */
    int *order_nodes, *order_routes;
    int n_moves;
    bool done;
    struct ins3 *best_ins; /* [(n + 1) * nv] */
    int *ins_stamp;        /* when best_ins for (client, route) was computed */

    /* population */
    struct hindiv **feas, **infeas;
    int n_feas, n_infeas, cap_pop;
    struct hindiv *best; /* best feasible ever (copy) */
    bool have_best;
    int *split_pred;
    double *split_pot;
    int64_t *split_load_scratch;
    /* penalty adaptation */
    int hist_n, hist_ok;
    struct vs_search *S; /* deadline and stop requests; NULL in the self-test */
    bool aborted;        /* the local search gave up (deadline or stop) */
    bool check;          /* self-test mode: verify every move */
    int check_fail;
    double dbg_last;
};

static inline double dd(const struct hgs *h, int a, int b)
{
    return (double)h->D[(size_t)a * (size_t)(h->n + 1) + (size_t)b];
}
static inline double pel(const struct hgs *h, int64_t load)
{
    return load > h->cap ? (double)(load - h->cap) * h->pen : 0.0;
}

/* -------------------------------------------------------- eligibility */

bool vs__hgs_eligible(const struct vs *s)
{
    const struct vrp_problem *p = s->p;
    if (s->n_tasks < 2 || s->n_veh < 1 || s->has_pd || s->has_tw || s->has_reload)
        return false;
    const struct vs_veh *v0 = &s->v[0];
    if (v0->start < 0 || v0->start != v0->end || v0->fixed || v0->max_travel < VS_POS_INF ||
        v0->max_dist < VS_POS_INF || v0->max_tasks < INT32_MAX || v0->tw_start != 0)
        return false;
    for (int j = 0; j < s->n_veh; j++)
        if (s->v[j].cls != 0)
            return false;
    for (int d = 1; d < s->dims; d++)
        if (v0->cap[d] < 0)
            return false;
    for (int i = 0; i < s->n_tasks; i++) {
        const struct vrp_task *t = &p->tasks[i];
        if (t->optional || t->skills || t->service || t->setup)
            return false;
        for (int d = 0; d < s->dims; d++)
            if (t->pickup[d] != 0 || (d > 0 && t->delivery[d] != 0))
                return false;
        if (t->delivery[0] > v0->cap[0])
            return false;
    }
    /* symmetric, small integer costs */
    int n = s->n_tasks;
    for (int i = 0; i <= n; i++) {
        int a = i == 0 ? v0->start : s->t[i - 1].loc;
        for (int j = 0; j <= n; j++) {
            int b = j == 0 ? v0->start : s->t[j - 1].loc;
            int64_t c = vs_arc(v0, s->n_locs, a, b);
            if (c < 0 || c > INT32_MAX / 64 || c != vs_arc(v0, s->n_locs, b, a))
                return false;
        }
    }
    return true;
}

/* ----------------------------------------------------------- individuals */

static struct hindiv *indiv_new(struct hgs *h)
{
    struct hindiv *x = xcalloc(1, sizeof *x);
    x->tour = xmalloc(sizeof(int) * (size_t)(h->n + 1));
    x->rstart = xmalloc(sizeof(int) * (size_t)h->nv);
    x->rlen = xmalloc(sizeof(int) * (size_t)h->nv);
    x->rseq = xmalloc(sizeof(int) * (size_t)(h->n + 1));
    x->succ = xmalloc(sizeof(int) * (size_t)(h->n + 1));
    x->pred = xmalloc(sizeof(int) * (size_t)(h->n + 1));
    return x;
}

static void indiv_free(struct hindiv *x)
{
    if (!x)
        return;
    free(x->tour);
    free(x->rstart);
    free(x->rlen);
    free(x->rseq);
    free(x->succ);
    free(x->pred);
    free(x->prox_d);
    free(x->prox_i);
    free(x);
}

static void indiv_copy(struct hgs *h, struct hindiv *dst, const struct hindiv *src)
{
    dst->pcost = src->pcost;
    dst->dist = src->dist;
    dst->excess = src->excess;
    dst->n_routes = src->n_routes;
    dst->feasible = src->feasible;
    memcpy(dst->tour, src->tour, sizeof(int) * (size_t)(h->n + 1));
    memcpy(dst->rstart, src->rstart, sizeof(int) * (size_t)h->nv);
    memcpy(dst->rlen, src->rlen, sizeof(int) * (size_t)h->nv);
    memcpy(dst->rseq, src->rseq, sizeof(int) * (size_t)(h->n + 1));
    memcpy(dst->succ, src->succ, sizeof(int) * (size_t)(h->n + 1));
    memcpy(dst->pred, src->pred, sizeof(int) * (size_t)(h->n + 1));
}

/* From the routes (rseq/rstart/rlen): costs, succ/pred and the giant tour. */
static void indiv_eval(struct hgs *h, struct hindiv *x)
{
    x->dist = 0;
    x->excess = 0;
    x->n_routes = 0;
    int w = 0;
    for (int r = 0; r < h->nv; r++) {
        if (x->rlen[r] == 0)
            continue;
        x->n_routes++;
        int64_t load = 0;
        int prev = 0;
        for (int k = 0; k < x->rlen[r]; k++) {
            int c = x->rseq[x->rstart[r] + k];
            x->dist += (int64_t)dd(h, prev, c);
            load += h->dem[c];
            x->pred[c] = prev;
            if (prev)
                x->succ[prev] = c;
            x->tour[w++] = c;
            prev = c;
        }
        x->succ[prev] = 0;
        x->dist += (int64_t)dd(h, prev, 0);
        if (load > h->cap)
            x->excess += load - h->cap;
    }
    x->pcost = (double)x->dist + (double)x->excess * h->pen;
    x->feasible = x->excess == 0;
}

static double broken_pairs(const struct hgs *h, const struct hindiv *a, const struct hindiv *b)
{
    int diff = 0;
    for (int j = 1; j <= h->n; j++) {
        if (a->succ[j] != b->succ[j] && a->succ[j] != b->pred[j])
            diff++;
        if (a->pred[j] == 0 && b->pred[j] != 0 && b->succ[j] != 0)
            diff++;
    }
    return (double)diff / (double)h->n;
}

/* ----------------------------------------------------------------- split */

/* Bellman split of x->tour into at most nv routes with a soft capacity. */
static void split(struct hgs *h, struct hindiv *x)
{
    int n = h->n;
    double *pot = h->split_pot;
    int *pred = h->split_pred;
    const int *T = x->tour;
    int64_t lim = h->cap + h->cap / 2;
    pot[0] = 0;
    for (int j = 1; j <= n; j++)
        pot[j] = 1e300;
    for (int i = 0; i < n; i++) {
        if (pot[i] >= 1e299)
            continue;
        int64_t load = 0;
        double dist = 0;
        for (int j = i + 1; j <= n; j++) {
            int c = T[j - 1];
            load += h->dem[c];
            dist += j == i + 1 ? dd(h, 0, c) : dd(h, T[j - 2], c);
            if (load > lim && j > i + 1)
                break;
            double cost = pot[i] + dist + dd(h, c, 0) + pel(h, load);
            if (cost < pot[j]) {
                pot[j] = cost;
                pred[j] = i;
            }
        }
    }
    int nr = 0;
    for (int j = n; j > 0; j = pred[j])
        nr++;
    if (nr > h->nv) {
        /* limited fleet: layered Bellman */
        int K = h->nv;
        double *P = xmalloc(sizeof(double) * (size_t)(K + 1) * (size_t)(n + 1));
        int *Q = xmalloc(sizeof(int) * (size_t)(K + 1) * (size_t)(n + 1));
        for (size_t i = 0; i < (size_t)(K + 1) * (size_t)(n + 1); i++)
            P[i] = 1e300;
        P[0] = 0;
        for (int k = 0; k < K; k++)
            for (int i = k; i < n; i++) {
                double base = P[(size_t)k * (n + 1) + i];
                if (base >= 1e299)
                    continue;
                int64_t load = 0;
                double dist = 0;
                for (int j = i + 1; j <= n; j++) {
                    int c = T[j - 1];
                    load += h->dem[c];
                    dist += j == i + 1 ? dd(h, 0, c) : dd(h, T[j - 2], c);
                    if (load > lim && j > i + 1 && k + 1 < K)
                        break;
                    double cost = base + dist + dd(h, c, 0) + pel(h, load);
                    size_t at = (size_t)(k + 1) * (n + 1) + j;
                    if (cost < P[at]) {
                        P[at] = cost;
                        Q[at] = i;
                    }
                }
            }
        int bk = 1;
        for (int k = 1; k <= K; k++)
            if (P[(size_t)k * (n + 1) + n] < P[(size_t)bk * (n + 1) + n])
                bk = k;
        /* routes from the back */
        int j = n, k = bk, r = bk - 1;
        for (int rr = 0; rr < h->nv; rr++)
            x->rlen[rr] = 0;
        while (k > 0) {
            int i = Q[(size_t)k * (n + 1) + j];
            x->rstart[r] = i;
            x->rlen[r] = j - i;
            j = i;
            k--;
            r--;
        }
        free(P);
        free(Q);
    } else {
        for (int rr = 0; rr < h->nv; rr++)
            x->rlen[rr] = 0;
        int r = nr - 1;
        for (int j = n; j > 0; j = pred[j], r--) {
            x->rstart[r] = pred[j];
            x->rlen[r] = j - pred[j];
        }
    }
    for (int i = 0; i < n; i++)
        x->rseq[i] = T[i];
    indiv_eval(h, x);
}

/* ----------------------------------------------------------- local search */

static void update_route(struct hgs *h, struct hroute *R)
{
    struct hnode *nd = R->depot;
    int pos = 0;
    int64_t load = 0;
    double dist = 0;
    nd->pos = 0;
    nd->cum_load = 0;
    nd->cum_dist = 0;
    double sx = 0, sy = 0;
    int amin = 0, amax = 0;
    bool first = true;
    do {
        struct hnode *nx = nd->next;
        dist += dd(h, nd->c, nx->c);
        nx->pos = ++pos;
        if (!nx->depot)
            load += h->dem[nx->c];
        nx->cum_load = load;
        nx->cum_dist = dist;
        nx->route = R->idx;
        if (!nx->depot && h->have_coords) {
            const struct vrp_problem *p = h->s->p;
            int l = h->s->t[nx->c - 1].loc, l0 = h->s->v[0].start;
            sx += p->lon[l] - p->lon[l0];
            sy += p->lat[l] - p->lat[l0];
            int a = h->angle[nx->c];
            if (first) {
                amin = amax = a;
                first = false;
            } else if (((a - amin + 65536) % 65536) > ((amax - amin + 65536) % 65536)) {
                /* extend the sector [amin, amax] towards a, whichever side is shorter */
                if (((a - amax + 65536) % 65536) <= ((amin - a + 65536) % 65536))
                    amax = a;
                else
                    amin = a;
            }
        }
        nd = nx;
    } while (!nd->depot);
    R->n_clients = pos - 1;
    R->load = load;
    R->dist = dist;
    R->penalty = pel(h, load);
    R->sect_start = amin;
    R->sect_end = amax;
    R->polar = atan2(sy, sx);
    R->last_modified = h->n_moves;
}

static bool sector_overlap(const struct hroute *a, const struct hroute *b)
{
    int la = (a->sect_end - a->sect_start + 65536) % 65536;
    int lb = (b->sect_end - b->sect_start + 65536) % 65536;
    return ((b->sect_start - a->sect_start + 65536) % 65536) <= la ||
           ((a->sect_start - b->sect_start + 65536) % 65536) <= lb;
}

static void insert_after(struct hnode *u, struct hnode *v) /* move u after v */
{
    u->prev->next = u->next;
    u->next->prev = u->prev;
    v->next->prev = u;
    u->prev = v;
    u->next = v->next;
    v->next = u;
    u->route = v->route;
}

static void swap_nodes(struct hnode *u, struct hnode *v)
{
    struct hnode *up = u->prev, *un = u->next, *vp = v->prev, *vn = v->next;
    int ur = u->route, vr = v->route;
    up->next = v;
    un->prev = v;
    vp->next = u;
    vn->prev = u;
    u->prev = vp;
    u->next = vn;
    v->prev = up;
    v->next = un;
    u->route = vr;
    v->route = ur;
}

struct lsv { /* the current pair of nodes and routes */
    struct hnode *u, *x, *v, *y;
    struct hroute *ru, *rv;
    int cu, cx, cv, cy, cup, cxn, cvp, cyn;
    int64_t lu, lx, lv, ly;
    bool same;
};

static void set_u(struct hgs *h, struct lsv *m)
{
    m->ru = &h->rt[m->u->route];
    m->x = m->u->next;
    m->cu = m->u->c;
    m->cx = m->x->c;
    m->cup = m->u->prev->c;
    m->cxn = m->x->next ? m->x->next->c : 0;
    m->lu = h->dem[m->cu];
    m->lx = m->x->depot ? 0 : h->dem[m->cx];
}
static void set_v(struct hgs *h, struct lsv *m)
{
    m->rv = &h->rt[m->v->route];
    m->y = m->v->next;
    m->cv = m->v->c;
    m->cy = m->y->c;
    m->cvp = m->v->depot ? 0 : m->v->prev->c;
    m->cyn = m->y->next ? m->y->next->c : 0;
    m->lv = m->v->depot ? 0 : h->dem[m->cv];
    m->ly = m->y->depot ? 0 : h->dem[m->cy];
    m->same = m->ru == m->rv;
}

static double total_pcost(struct hgs *h)
{
    double t = 0;
    int cnt = 0;
    for (int r = 0; r < h->nv; r++) {
        struct hroute *R = &h->rt[r];
        double d = 0;
        int64_t load = 0;
        struct hnode *nd = R->depot;
        if (nd->next->prev != nd)
            h->check_fail++;
        do {
            d += dd(h, nd->c, nd->next->c);
            nd = nd->next;
            if (nd->prev->next != nd || cnt > h->n) {
                h->check_fail++;
                return 0;
            }
            if (!nd->depot) {
                load += h->dem[nd->c];
                cnt++;
            }
        } while (!nd->depot);
        if (nd != R->depot_end)
            h->check_fail++;
        t += d + pel(h, load);
    }
    if (cnt != h->n)
        h->check_fail++;
    return t;
}

static void moved(struct hgs *h, struct hroute *a, struct hroute *b, double delta)
{
    h->n_moves++;
    h->done = false;
    update_route(h, a);
    if (b != a)
        update_route(h, b);
    if (h->check) { /* self-test: the move did what its evaluation said */
        double t = total_pcost(h);
        if (!(delta < 0) || fabs((t - h->dbg_last) - delta) > 1e-6 * (1 + fabs(t)))
            h->check_fail++;
        h->dbg_last = t;
    }
}

/* RELOCATE u after v */
static bool move1(struct hgs *h, struct lsv *m)
{
    if (m->u == m->y)
        return false;
    double su = dd(h, m->cup, m->cx) - dd(h, m->cup, m->cu) - dd(h, m->cu, m->cx);
    double sv = dd(h, m->cv, m->cu) + dd(h, m->cu, m->cy) - dd(h, m->cv, m->cy);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load - m->lu) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    insert_after(m->u, m->v);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* RELOCATE (u, x) after v */
static bool move2(struct hgs *h, struct lsv *m)
{
    if (m->u == m->y || m->v == m->x || m->x->depot)
        return false;
    double su = dd(h, m->cup, m->cxn) - dd(h, m->cup, m->cu) - dd(h, m->cx, m->cxn);
    double sv = dd(h, m->cv, m->cu) + dd(h, m->cx, m->cy) - dd(h, m->cv, m->cy);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load - m->lu - m->lx) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu + m->lx) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    struct hnode *x = m->x;
    insert_after(m->u, m->v);
    insert_after(x, m->u);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* RELOCATE (u, x) after v as (x, u) */
static bool move3(struct hgs *h, struct lsv *m)
{
    if (m->u == m->y || m->x == m->v || m->x->depot)
        return false;
    double su =
        dd(h, m->cup, m->cxn) - dd(h, m->cup, m->cu) - dd(h, m->cu, m->cx) - dd(h, m->cx, m->cxn);
    double sv =
        dd(h, m->cv, m->cx) + dd(h, m->cx, m->cu) + dd(h, m->cu, m->cy) - dd(h, m->cv, m->cy);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load - m->lu - m->lx) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu + m->lx) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    struct hnode *x = m->x;
    insert_after(x, m->v);
    insert_after(m->u, x);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* SWAP u and v */
static bool move4(struct hgs *h, struct lsv *m)
{
    if (m->v->depot || m->u == m->v->prev || m->u == m->y)
        return false;
    double su =
        dd(h, m->cup, m->cv) + dd(h, m->cv, m->cx) - dd(h, m->cup, m->cu) - dd(h, m->cu, m->cx);
    double sv =
        dd(h, m->cvp, m->cu) + dd(h, m->cu, m->cy) - dd(h, m->cvp, m->cv) - dd(h, m->cv, m->cy);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load + m->lv - m->lu) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu - m->lv) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    swap_nodes(m->u, m->v);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* SWAP (u, x) and v */
static bool move5(struct hgs *h, struct lsv *m)
{
    if (m->v->depot || m->x->depot || m->u == m->v->prev || m->x == m->v->prev || m->u == m->y ||
        m->x == m->v)
        return false;
    double su =
        dd(h, m->cup, m->cv) + dd(h, m->cv, m->cxn) - dd(h, m->cup, m->cu) - dd(h, m->cx, m->cxn);
    double sv =
        dd(h, m->cvp, m->cu) + dd(h, m->cx, m->cy) - dd(h, m->cvp, m->cv) - dd(h, m->cv, m->cy);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load + m->lv - m->lu - m->lx) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu + m->lx - m->lv) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    struct hnode *x = m->x;
    swap_nodes(m->u, m->v);
    insert_after(x, m->u);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* SWAP (u, x) and (v, y) */
static bool move6(struct hgs *h, struct lsv *m)
{
    if (m->v->depot || m->x->depot || m->y->depot || m->y == m->u->prev || m->u == m->y ||
        m->x == m->v || m->v == m->x->next)
        return false;
    double su =
        dd(h, m->cup, m->cv) + dd(h, m->cy, m->cxn) - dd(h, m->cup, m->cu) - dd(h, m->cx, m->cxn);
    double sv =
        dd(h, m->cvp, m->cu) + dd(h, m->cx, m->cyn) - dd(h, m->cvp, m->cv) - dd(h, m->cy, m->cyn);
    if (!m->same) {
        if (su + sv >= m->ru->penalty + m->rv->penalty)
            return false;
        su += pel(h, m->ru->load + m->lv + m->ly - m->lu - m->lx) - m->ru->penalty;
        sv += pel(h, m->rv->load + m->lu + m->lx - m->lv - m->ly) - m->rv->penalty;
    }
    if (su + sv > -H_EPS)
        return false;
    struct hnode *x = m->x, *y = m->y;
    swap_nodes(m->u, m->v);
    swap_nodes(x, y);
    moved(h, m->ru, m->rv, su + sv);
    return true;
}

/* 2-OPT within a route: reverse x..v (symmetric costs) */
static bool move7(struct hgs *h, struct lsv *m)
{
    if (m->u->pos > m->v->pos || m->u->next == m->v)
        return false;
    double c =
        dd(h, m->cu, m->cv) + dd(h, m->cx, m->cy) - dd(h, m->cu, m->cx) - dd(h, m->cv, m->cy);
    if (c > -H_EPS)
        return false;
    struct hnode *u = m->u, *x = m->x, *v = m->v, *y = m->y;
    struct hnode *nd = x;
    while (nd != y) {
        struct hnode *nx = nd->next;
        nd->next = nd->prev;
        nd->prev = nx;
        nd = nx;
    }
    u->next = v;
    v->prev = u;
    x->next = y;
    y->prev = x;
    moved(h, m->ru, m->ru, c);
    return true;
}

/* 2-OPT* between routes: u -> v reversed, x reversed -> y */
static bool move8(struct hgs *h, struct lsv *m)
{
    double c =
        dd(h, m->cu, m->cv) + dd(h, m->cx, m->cy) - dd(h, m->cu, m->cx) - dd(h, m->cv, m->cy);
    if (c >= m->ru->penalty + m->rv->penalty)
        return false;
    c += pel(h, m->u->cum_load + m->v->cum_load) +
         pel(h, m->ru->load + m->rv->load - m->u->cum_load - m->v->cum_load) - m->ru->penalty -
         m->rv->penalty;
    if (c > -H_EPS)
        return false;
    struct hnode *u = m->u, *x = m->x, *v = m->v, *y = m->y;
    struct hnode *deu = m->ru->depot_end, *dv = m->rv->depot;
    int ru = m->ru->idx, rv = m->rv->idx;
    /* new route U: du .. u, v, v->prev, ..., first of V, deu */
    /* new route V: dv, (last of U) ... x, y ... dev */
    struct hnode *last_u = deu->prev; /* end of x..segment */
    struct hnode *first_v = dv->next;
    /* route U' */
    struct hnode *nd = v;
    struct hnode *prevn = u;
    while (nd != dv) {
        struct hnode *pv = nd->prev;
        prevn->next = nd;
        nd->prev = prevn;
        nd->route = ru;
        prevn = nd;
        nd = pv;
    }
    (void)first_v;
    prevn->next = deu;
    deu->prev = prevn;
    /* route V' */
    nd = last_u;
    prevn = dv;
    if (x->depot) {
        dv->next = y;
        y->prev = dv;
    } else {
        while (true) {
            struct hnode *pv = nd->prev;
            prevn->next = nd;
            nd->prev = prevn;
            nd->route = rv;
            prevn = nd;
            if (nd == x)
                break;
            nd = pv;
        }
        x->next = y;
        y->prev = x;
    }
    moved(h, m->ru, m->rv, c);
    return true;
}

/* 2-OPT* between routes: u -> y, v -> x */
static bool move9(struct hgs *h, struct lsv *m)
{
    double c =
        dd(h, m->cu, m->cy) + dd(h, m->cv, m->cx) - dd(h, m->cu, m->cx) - dd(h, m->cv, m->cy);
    if (c >= m->ru->penalty + m->rv->penalty)
        return false;
    c += pel(h, m->u->cum_load + m->rv->load - m->v->cum_load) +
         pel(h, m->v->cum_load + m->ru->load - m->u->cum_load) - m->ru->penalty - m->rv->penalty;
    if (c > -H_EPS)
        return false;
    struct hnode *u = m->u, *x = m->x, *v = m->v, *y = m->y;
    struct hnode *deu = m->ru->depot_end, *dev = m->rv->depot_end;
    struct hnode *lu = deu->prev, *lv = dev->prev; /* last clients (or depots) */
    int ru = m->ru->idx, rv = m->rv->idx;
    /* tails: x..lu goes to V after v; y..lv goes to U after u */
    for (struct hnode *nd = x; !nd->depot; nd = nd->next)
        nd->route = rv;
    for (struct hnode *nd = y; !nd->depot; nd = nd->next)
        nd->route = ru;
    bool xt = x->depot, yt = y->depot;
    if (yt) {
        u->next = deu;
        deu->prev = u;
    } else {
        u->next = y;
        y->prev = u;
        lv->next = deu;
        deu->prev = lv;
    }
    if (xt) {
        v->next = dev;
        dev->prev = v;
    } else {
        v->next = x;
        x->prev = v;
        lu->next = dev;
        dev->prev = lu;
    }
    moved(h, m->ru, m->rv, c);
    return true;
}

/* ---- SWAP* */

static void preprocess_ins(struct hgs *h, struct hroute *R1, struct hroute *R2)
{
    for (struct hnode *u = R1->depot->next; !u->depot; u = u->next) {
        u->del_removal =
            dd(h, u->prev->c, u->next->c) - dd(h, u->prev->c, u->c) - dd(h, u->c, u->next->c);
        struct ins3 *bi = &h->best_ins[(size_t)u->c * h->nv + R2->idx];
        int *st = &h->ins_stamp[(size_t)u->c * h->nv + R2->idx];
        if (*st == R2->last_modified + 1 && *st != 0)
            continue;
        *st = R2->last_modified + 1;
        for (int k = 0; k < 3; k++) {
            bi->cost[k] = 1e30;
            bi->at[k] = NULL;
        }
        for (struct hnode *v = R2->depot;; v = v->next) {
            double c = dd(h, v->c, u->c) + dd(h, u->c, v->next->c) - dd(h, v->c, v->next->c);
            if (c < bi->cost[2]) {
                int k = 2;
                while (k > 0 && c < bi->cost[k - 1]) {
                    bi->cost[k] = bi->cost[k - 1];
                    bi->at[k] = bi->at[k - 1];
                    k--;
                }
                bi->cost[k] = c;
                bi->at[k] = v;
            }
            if (v->next->depot)
                break;
        }
    }
}

/* Cheapest place for u in v's route when v leaves it (u may take v's place). */
static double cheapest_simul(struct hgs *h, struct hnode *u, struct hnode *v, struct hnode **at)
{
    const struct ins3 *bi = &h->best_ins[(size_t)u->c * h->nv + v->route];
    double best = dd(h, v->prev->c, u->c) + dd(h, u->c, v->next->c) - dd(h, v->prev->c, v->next->c);
    *at = v->prev;
    for (int k = 0; k < 3; k++) {
        if (!bi->at[k])
            break;
        if (bi->at[k] != v && bi->at[k]->next != v) {
            if (bi->cost[k] < best) {
                best = bi->cost[k];
                *at = bi->at[k];
            }
            break;
        }
    }
    return best;
}

static bool swap_star(struct hgs *h, struct hroute *R1, struct hroute *R2)
{
    preprocess_ins(h, R1, R2);
    preprocess_ins(h, R2, R1);
    double best = 0;
    struct hnode *bu = NULL, *bv = NULL, *bpu = NULL, *bpv = NULL;
    for (struct hnode *u = R1->depot->next; !u->depot; u = u->next) {
        for (struct hnode *v = R2->depot->next; !v->depot; v = v->next) {
            double dpu = pel(h, R1->load + h->dem[v->c] - h->dem[u->c]) - R1->penalty;
            double dpv = pel(h, R2->load + h->dem[u->c] - h->dem[v->c]) - R2->penalty;
            if (dpu + u->del_removal + dpv + v->del_removal > 0)
                continue;
            struct hnode *pu, *pv;
            double eu = cheapest_simul(h, u, v, &pv); /* u into R2 */
            double ev = cheapest_simul(h, v, u, &pu); /* v into R1 */
            double c = dpu + dpv + u->del_removal + v->del_removal + eu + ev;
            if (c < best - H_EPS) {
                best = c;
                bu = u;
                bv = v;
                bpu = pv; /* u goes after bpu in R2 */
                bpv = pu; /* v goes after bpv in R1 */
            }
        }
    }
    /* plain relocations between the two routes, from the same tables */
    struct hnode *ru_node = NULL, *ru_at = NULL;
    double rbest = best;
    for (int side = 0; side < 2; side++) {
        struct hroute *A = side ? R2 : R1, *B = side ? R1 : R2;
        for (struct hnode *u = A->depot->next; !u->depot; u = u->next) {
            const struct ins3 *bi = &h->best_ins[(size_t)u->c * h->nv + B->idx];
            if (!bi->at[0])
                continue;
            double c = u->del_removal + bi->cost[0] + pel(h, A->load - h->dem[u->c]) - A->penalty +
                       pel(h, B->load + h->dem[u->c]) - B->penalty;
            if (c < rbest - H_EPS) {
                rbest = c;
                ru_node = u;
                ru_at = bi->at[0];
            }
        }
    }
    if (ru_node) {
        insert_after(ru_node, ru_at);
        moved(h, R1, R2, rbest);
        return true;
    }
    if (!bu)
        return false;
    /* positions computed before any change: if the target is the node
    ** being swapped out, its predecessor is used instead. */
    if (bpu == bv)
        bpu = bv->prev;
    if (bpv == bu)
        bpv = bu->prev;
    insert_after(bu, bpu);
    insert_after(bv, bpv);
    moved(h, R1, R2, best);
    return true;
}

static void shuffle(struct vs_rng *g, int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = vs_randint(g, i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void ls_load(struct hgs *h, const struct hindiv *x)
{
    for (int r = 0; r < h->nv; r++) {
        struct hnode *d = &h->dep[r], *de = &h->dep_end[r];
        struct hroute *R = &h->rt[r];
        R->idx = r;
        R->depot = d;
        R->depot_end = de;
        d->c = de->c = 0;
        d->depot = de->depot = true;
        d->route = de->route = r;
        struct hnode *prev = d;
        for (int k = 0; k < x->rlen[r]; k++) {
            struct hnode *nd = &h->cl[x->rseq[x->rstart[r] + k]];
            nd->route = r;
            prev->next = nd;
            nd->prev = prev;
            prev = nd;
        }
        prev->next = de;
        de->prev = prev;
        d->prev = de; /* unused */
        de->next = d;
        update_route(h, R);
        R->last_swapstar = -1;
    }
    for (int i = 1; i <= h->n; i++)
        h->cl[i].last_tested = -1;
    memset(h->ins_stamp, 0, sizeof(int) * (size_t)(h->n + 1) * (size_t)h->nv);
}

static void ls_export(struct hgs *h, struct hindiv *x)
{
    int w = 0;
    /* routes in order of polar angle, as HGS does, for a stable giant tour */
    int *ord = h->order_routes;
    for (int r = 0; r < h->nv; r++)
        ord[r] = r;
    for (int i = 1; i < h->nv; i++) { /* insertion sort by polar */
        int k = ord[i], j = i;
        while (j > 0 && h->rt[ord[j - 1]].polar > h->rt[k].polar) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = k;
    }
    int r_out = 0;
    for (int i = 0; i < h->nv; i++)
        x->rlen[i] = 0;
    for (int i = 0; i < h->nv; i++) {
        struct hroute *R = &h->rt[ord[i]];
        if (R->n_clients == 0)
            continue;
        x->rstart[r_out] = w;
        x->rlen[r_out] = R->n_clients;
        for (struct hnode *nd = R->depot->next; !nd->depot; nd = nd->next)
            x->rseq[w++] = nd->c;
        r_out++;
    }
    indiv_eval(h, x);
}

/* Best cost for the progress callback: the best feasible individual's. */
static void h_best(const struct hgs *h, int64_t *cost, int *n_out)
{
    *cost = h->have_best ? h->best->dist : INT64_MAX;
    *n_out = h->have_best ? 0 : h->s->n_tasks;
}

/* Between iterations: the deadline, the iteration budget, a stop request. */
static bool h_should_stop(struct vs_search *S, const struct hgs *h)
{
    if (S->stopped)
        return true;
    double now = vs_now();
    if (vs_over_budget(S, now))
        return true;
    if (!vs_ask_due(S, now))
        return false;
    int64_t c;
    int out;
    h_best(h, &c, &out);
    return vs__ask(S, now, c, out);
}

/* Inside a local search: the deadline or a stop request (the iteration
** budget counts whole iterations and is left to h_should_stop). */
static bool h_interrupted(struct hgs *h)
{
    struct vs_search *S = h->S;
    if (!S)
        return false;
    if (S->stopped)
        return h->aborted = true;
    double now = vs_now();
    if (now >= S->t_end)
        return h->aborted = true;
    if (vs_ask_due(S, now)) {
        int64_t c;
        int out;
        h_best(h, &c, &out);
        if (vs__ask(S, now, c, out))
            return h->aborted = true;
    }
    return false;
}

static void local_search(struct hgs *h, struct hindiv *x, double pen)
{
    double saved = h->pen;
    h->pen = pen;
    h->n_moves = 0;
    ls_load(h, x);
    shuffle(h->rng, h->order_nodes, h->n);
    for (int r = 0; r < h->nv; r++)
        h->order_routes[r] = r;
    shuffle(h->rng, h->order_routes, h->nv);
    for (int i = 1; i <= h->n; i++)
        if (vs_randint(h->rng, h->gamma) == 0)
            shuffle(h->rng, &h->corr[(size_t)i * h->gamma], h->gamma);
    h->done = false;
    h->aborted = false;
    if (h->check)
        h->dbg_last = total_pcost(h);
    struct lsv m;
    for (int loop = 0; !h->done; loop++) {
        h->done = loop > 0;
        for (int pi = 0; pi < h->n; pi++) {
            if (pi % H_CHECK_NODES == 0 && h_interrupted(h))
                break;
            m.u = &h->cl[h->order_nodes[pi]];
            int last = m.u->last_tested;
            m.u->last_tested = h->n_moves;
            for (int k = 0; k < h->gamma; k++) {
                int cv = h->corr[(size_t)m.u->c * h->gamma + k];
                m.v = &h->cl[cv];
                if (!(loop == 0 || h->rt[m.u->route].last_modified > last ||
                      h->rt[m.v->route].last_modified > last))
                    continue;
                set_u(h, &m);
                set_v(h, &m);
                if (move1(h, &m) || move2(h, &m) || move3(h, &m))
                    continue;
                if (m.cu <= m.cv && move4(h, &m))
                    continue;
                if (move5(h, &m))
                    continue;
                if (m.cu <= m.cv && move6(h, &m))
                    continue;
                if (m.same && move7(h, &m))
                    continue;
                if (!m.same && (move8(h, &m) || move9(h, &m)))
                    continue;
                if (m.v->prev->depot) {
                    m.v = m.v->prev;
                    set_v(h, &m);
                    if (move1(h, &m) || move2(h, &m) || move3(h, &m))
                        continue;
                    if (!m.same && (move8(h, &m) || move9(h, &m)))
                        continue;
                }
            }
            if (loop > 0) { /* into an empty route */
                int er = -1;
                for (int r = 0; r < h->nv; r++)
                    if (h->rt[r].n_clients == 0) {
                        er = r;
                        break;
                    }
                if (er >= 0) {
                    m.v = h->rt[er].depot;
                    set_u(h, &m);
                    set_v(h, &m);
                    if (move1(h, &m) || move2(h, &m) || move3(h, &m) || move9(h, &m)) {
                    }
                }
            }
        }
        if (h->aborted) {
            h->done = true;
            break;
        }
        if (h->have_coords) {
            for (int a = 0; a < h->nv && !h_interrupted(h); a++) {
                struct hroute *R1 = &h->rt[h->order_routes[a]];
                int lt = R1->last_swapstar;
                R1->last_swapstar = h->n_moves;
                if (R1->n_clients == 0)
                    continue;
                for (int b = 0; b < h->nv; b++) {
                    struct hroute *R2 = &h->rt[h->order_routes[b]];
                    if (R2->n_clients == 0 || R1->idx >= R2->idx)
                        continue;
                    if (!(loop == 0 || R1->last_modified > lt || R2->last_modified > lt))
                        continue;
                    if (!sector_overlap(R1, R2))
                        continue;
                    swap_star(h, R1, R2);
                }
            }
            if (h->aborted)
                h->done = true;
        }
    }
    ls_export(h, x);
    h->pen = saved;
    indiv_eval(h, x);
}

/* ------------------------------------------------------------ population */

static void prox_add(struct hindiv *a, struct hindiv *b, double d)
{
    if (a->n_prox == a->cap_prox) {
        a->cap_prox = a->cap_prox ? a->cap_prox * 2 : 16;
        a->prox_d = xrealloc(a->prox_d, sizeof(double) * (size_t)a->cap_prox);
        a->prox_i = xrealloc(a->prox_i, sizeof(*a->prox_i) * (size_t)a->cap_prox);
    }
    int k = a->n_prox++;
    while (k > 0 && a->prox_d[k - 1] > d) {
        a->prox_d[k] = a->prox_d[k - 1];
        a->prox_i[k] = a->prox_i[k - 1];
        k--;
    }
    a->prox_d[k] = d;
    a->prox_i[k] = b;
}

static void prox_remove(struct hindiv *a, struct hindiv *b)
{
    for (int k = 0; k < a->n_prox; k++)
        if (a->prox_i[k] == b) {
            memmove(&a->prox_d[k], &a->prox_d[k + 1], sizeof(double) * (size_t)(a->n_prox - k - 1));
            memmove(&a->prox_i[k], &a->prox_i[k + 1],
                    sizeof(*a->prox_i) * (size_t)(a->n_prox - k - 1));
            a->n_prox--;
            return;
        }
}

static double avg_close(const struct hindiv *a)
{
    int k = a->n_prox < H_CLOSE ? a->n_prox : H_CLOSE;
    if (k == 0)
        return 0;
    double s = 0;
    for (int i = 0; i < k; i++)
        s += a->prox_d[i];
    return s / k;
}

static void update_biased(struct hindiv **pop, int n)
{
    if (n == 1) {
        pop[0]->biased = 0;
        return;
    }
    /* pop sorted by pcost; rank by diversity (higher avg distance better) */
    int *ord = xmalloc(sizeof(int) * (size_t)n);
    double *dv = xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) {
        ord[i] = i;
        dv[i] = -avg_close(pop[i]);
    }
    for (int i = 1; i < n; i++) {
        int k = ord[i], j = i;
        while (j > 0 && dv[ord[j - 1]] > dv[k]) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = k;
    }
    for (int r = 0; r < n; r++) {
        int i = ord[r];
        double div_rank = (double)r / (double)(n - 1);
        double fit_rank = (double)i / (double)(n - 1);
        if (n <= H_ELITE)
            pop[i]->biased = fit_rank;
        else
            pop[i]->biased = fit_rank + (1.0 - (double)H_ELITE / (double)n) * div_rank;
    }
    free(ord);
    free(dv);
}

static void remove_worst(struct hgs *h, struct hindiv **pop, int *n)
{
    update_biased(pop, *n);
    int worst = 1;
    bool worst_clone = false;
    double wf = -1;
    for (int i = 1; i < *n; i++) {
        bool clone = pop[i]->n_prox > 0 && pop[i]->prox_d[0] < 1e-9;
        if ((clone && !worst_clone) || (clone == worst_clone && pop[i]->biased > wf)) {
            worst = i;
            worst_clone = clone;
            wf = pop[i]->biased;
        }
    }
    struct hindiv *w = pop[worst];
    memmove(&pop[worst], &pop[worst + 1], sizeof(*pop) * (size_t)(*n - worst - 1));
    (*n)--;
    for (int i = 0; i < *n; i++)
        prox_remove(pop[i], w);
    (void)h;
    indiv_free(w);
}

/* Adds a copy of x; returns true when it is a new best feasible. */
static bool add_indiv(struct hgs *h, const struct hindiv *x)
{
    struct hindiv **pop = x->feasible ? h->feas : h->infeas;
    int *n = x->feasible ? &h->n_feas : &h->n_infeas;
    struct hindiv *c = indiv_new(h);
    indiv_copy(h, c, x);
    for (int i = 0; i < *n; i++) {
        double d = broken_pairs(h, c, pop[i]);
        prox_add(pop[i], c, d);
        prox_add(c, pop[i], d);
    }
    int k = *n;
    while (k > 0 && pop[k - 1]->pcost > c->pcost) {
        pop[k] = pop[k - 1];
        k--;
    }
    pop[k] = c;
    (*n)++;
    if (*n >= H_MU + H_LAMBDA)
        while (*n > H_MU)
            remove_worst(h, pop, n);
    if (x->feasible && (!h->have_best || x->dist < h->best->dist)) {
        indiv_copy(h, h->best, x);
        h->have_best = true;
        return true;
    }
    return false;
}

static struct hindiv *tournament(struct hgs *h)
{
    int tot = h->n_feas + h->n_infeas;
    int a = vs_randint(h->rng, tot), b = vs_randint(h->rng, tot);
    if (h->n_feas > 0)
        update_biased(h->feas, h->n_feas);
    if (h->n_infeas > 0)
        update_biased(h->infeas, h->n_infeas);
    struct hindiv *A = a < h->n_feas ? h->feas[a] : h->infeas[a - h->n_feas];
    struct hindiv *B = b < h->n_feas ? h->feas[b] : h->infeas[b - h->n_feas];
    return A->biased < B->biased ? A : B;
}

static void crossover_ox(struct hgs *h, struct hindiv *child, const struct hindiv *a,
                         const struct hindiv *b, bool *used)
{
    int n = h->n;
    int start = vs_randint(h->rng, n), end = vs_randint(h->rng, n);
    while (end == start && n > 1)
        end = vs_randint(h->rng, n);
    memset(used, 0, sizeof(bool) * (size_t)(n + 1));
    int j = start;
    while (j % n != (end + 1) % n) {
        child->tour[j % n] = a->tour[j % n];
        used[child->tour[j % n]] = true;
        j++;
    }
    for (int i = 1; i <= n; i++) {
        int c = b->tour[(end + i) % n];
        if (!used[c]) {
            child->tour[j % n] = c;
            j++;
        }
    }
}

static void penalty_update(struct hgs *h, bool feasible)
{
    h->hist_n++;
    h->hist_ok += feasible;
    if (h->hist_n < 100)
        return;
    double frac = (double)h->hist_ok / (double)h->hist_n;
    if (frac < H_TARGET_FEAS - 0.05 && h->pen < 100000)
        h->pen *= 1.2;
    else if (frac > H_TARGET_FEAS + 0.05 && h->pen > 0.1)
        h->pen *= 0.85;
    h->hist_n = h->hist_ok = 0;
    /* re-evaluate the infeasible subpopulation under the new penalty */
    for (int i = 0; i < h->n_infeas; i++)
        h->infeas[i]->pcost = (double)h->infeas[i]->dist + (double)h->infeas[i]->excess * h->pen;
    for (int i = 1; i < h->n_infeas; i++) {
        struct hindiv *k = h->infeas[i];
        int j = i;
        while (j > 0 && h->infeas[j - 1]->pcost > k->pcost) {
            h->infeas[j] = h->infeas[j - 1];
            j--;
        }
        h->infeas[j] = k;
    }
}

static void pop_clear(struct hgs *h)
{
    for (int i = 0; i < h->n_feas; i++)
        indiv_free(h->feas[i]);
    for (int i = 0; i < h->n_infeas; i++)
        indiv_free(h->infeas[i]);
    h->n_feas = h->n_infeas = 0;
}

/* ------------------------------------------------------------------ run */

static void export_best(struct hgs *h, struct vs_search *S)
{
    const struct hindiv *b = h->best;
    int w = 0;
    for (int v = 0; v < h->s->n_veh; v++)
        S->best_len[v] = 0;
    int r_out = 0;
    for (int r = 0; r < h->nv; r++) {
        if (b->rlen[r] == 0)
            continue;
        S->best_len[r_out++] = b->rlen[r];
        for (int k = 0; k < b->rlen[r]; k++)
            S->best_seq[w++] = b->rseq[b->rstart[r] + k] - 1;
    }
    S->best_cost = b->dist;
    S->best_reported = b->dist;
    S->best_out = 0;
}

static void hgs_setup(struct hgs *h, struct vs *s)
{
    memset(h, 0, sizeof *h);
    h->s = s;
    h->n = s->n_tasks;
    h->nv = s->n_veh;
    h->rng = &s->rng;
    int n = h->n;
    const struct vs_veh *v0 = &s->v[0];
    h->cap = v0->cap[0];
    h->dem = xcalloc((size_t)n + 1, sizeof *h->dem);
    for (int i = 1; i <= n; i++)
        h->dem[i] = s->t[i - 1].del[0];
    h->D = xmalloc(sizeof(int32_t) * (size_t)(n + 1) * (size_t)(n + 1));
    h->max_dist = 0;
    h->max_dem = 1;
    for (int i = 0; i <= n; i++) {
        int a = i == 0 ? v0->start : s->t[i - 1].loc;
        for (int j = 0; j <= n; j++) {
            int b = j == 0 ? v0->start : s->t[j - 1].loc;
            int64_t c = vs_arc(v0, s->n_locs, a, b);
            h->D[(size_t)i * (n + 1) + j] = (int32_t)c;
            if ((double)c > h->max_dist)
                h->max_dist = (double)c;
        }
        if (i && (double)h->dem[i] > h->max_dem)
            h->max_dem = (double)h->dem[i];
    }
    h->pen = h->max_dist / h->max_dem;
    if (h->pen < 0.1)
        h->pen = 0.1;
    if (h->pen > 1000)
        h->pen = 1000;
    /* granular neighbourhood: Γ closest clients */
    h->gamma = n - 1 < H_GAMMA ? n - 1 : H_GAMMA;
    h->corr = xmalloc(sizeof(int) * (size_t)(n + 1) * (size_t)h->gamma);
    {
        int32_t *bd = xmalloc(sizeof(int32_t) * (size_t)h->gamma);
        for (int i = 1; i <= n; i++) {
            int *bi = &h->corr[(size_t)i * h->gamma];
            int m = 0;
            for (int j = 1; j <= n; j++) {
                if (j == i)
                    continue;
                int32_t d = h->D[(size_t)i * (n + 1) + j];
                if (m == h->gamma && d >= bd[m - 1])
                    continue;
                int p = m < h->gamma ? m++ : h->gamma - 1;
                while (p > 0 && bd[p - 1] > d) {
                    bd[p] = bd[p - 1];
                    bi[p] = bi[p - 1];
                    p--;
                }
                bd[p] = d;
                bi[p] = j;
            }
        }
        free(bd);
    }
    const struct vrp_problem *p = s->p;
    h->have_coords = p->lon && p->lat;
    h->angle = xcalloc((size_t)n + 1, sizeof *h->angle);
    if (h->have_coords) {
        int l0 = v0->start;
        for (int i = 1; i <= n; i++) {
            int l = s->t[i - 1].loc;
            double a = atan2(p->lat[l] - p->lat[l0], p->lon[l] - p->lon[l0]);
            int ia = (int)lround(32768.0 * a / M_PI);
            h->angle[i] = ((ia % 65536) + 65536) % 65536;
        }
    }
    h->cl = xcalloc((size_t)n + 1, sizeof *h->cl);
    for (int i = 1; i <= n; i++)
        h->cl[i].c = i;
    h->dep = xcalloc((size_t)h->nv, sizeof *h->dep);
    h->dep_end = xcalloc((size_t)h->nv, sizeof *h->dep_end);
    h->rt = xcalloc((size_t)h->nv, sizeof *h->rt);
    h->order_nodes = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        h->order_nodes[i] = i + 1;
    h->order_routes = xmalloc(sizeof(int) * (size_t)h->nv);
    h->best_ins = xcalloc((size_t)(n + 1) * (size_t)h->nv, sizeof *h->best_ins);
    h->ins_stamp = xcalloc((size_t)(n + 1) * (size_t)h->nv, sizeof *h->ins_stamp);
    h->cap_pop = H_MU + H_LAMBDA + 2;
    h->feas = xcalloc((size_t)h->cap_pop, sizeof *h->feas);
    h->infeas = xcalloc((size_t)h->cap_pop, sizeof *h->infeas);
    h->best = indiv_new(h);
    h->split_pred = xmalloc(sizeof(int) * (size_t)(n + 1));
    h->split_pot = xmalloc(sizeof(double) * (size_t)(n + 1));
}

static void hgs_teardown(struct hgs *h)
{
    pop_clear(h);
    indiv_free(h->best);
    free(h->dem);
    free(h->D);
    free(h->corr);
    free(h->angle);
    free(h->cl);
    free(h->dep);
    free(h->dep_end);
    free(h->rt);
    free(h->order_nodes);
    free(h->order_routes);
    free(h->best_ins);
    free(h->ins_stamp);
    free(h->feas);
    free(h->infeas);
    free(h->split_pred);
    free(h->split_pot);
}

/* Run HGS on s (eligible per vs__hgs_eligible) until S says stop. Leaves
** best_cost at VS_POS_INF if no feasible individual was found. */
void vs__hgs_run(struct vs *s, struct vs_search *S)
{
    struct hgs H, *h = &H;
    hgs_setup(h, s);
    h->S = S;
    int n = h->n;
    bool *used = xmalloc(sizeof(bool) * (size_t)(n + 1));
    struct hindiv *child = indiv_new(h);

    int *sweep = NULL;
    if (h->have_coords) {
        sweep = xmalloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++)
            sweep[i] = i + 1;
        for (int i = 1; i < n; i++) { /* insertion sort by angle */
            int c = sweep[i], j = i;
            while (j > 0 && h->angle[sweep[j - 1]] > h->angle[c]) {
                sweep[j] = sweep[j - 1];
                j--;
            }
            sweep[j] = c;
        }
    }
    int no_improve = 0;
    bool stop = false;
    while (!stop) {
        /* initial population (also after a restart) */
        for (int k = 0; k < H_INIT && !stop; k++) {
            if (k % 2 == 1 && sweep) {
                /* a sweep tour from a random angle, either direction: much
                ** less for the local search to repair than a random one */
                int off = vs_randint(h->rng, n), dir = vs_randint(h->rng, 2);
                for (int i = 0; i < n; i++)
                    child->tour[i] = sweep[dir ? (off + i) % n : (off + n - i) % n];
            } else {
                for (int i = 0; i < n; i++)
                    child->tour[i] = i + 1;
                shuffle(h->rng, child->tour, n);
            }
            split(h, child);
            local_search(h, child, h->pen);
            add_indiv(h, child);
            if (!child->feasible && vs_randint(h->rng, 2) == 0) {
                local_search(h, child, h->pen * 10);
                if (child->feasible)
                    add_indiv(h, child);
            }
            S->iterations++;
            stop = h_should_stop(S, h);
        }
        no_improve = 0;
        while (!stop && no_improve < H_ITER_NO_IMPROVE) {
            const struct hindiv *a = tournament(h), *b = tournament(h);
            crossover_ox(h, child, a, b, used);
            split(h, child);
            local_search(h, child, h->pen);
            bool improved = add_indiv(h, child);
            penalty_update(h, child->feasible);
            if (!child->feasible && vs_randint(h->rng, 2) == 0) {
                local_search(h, child, h->pen * 10);
                if (child->feasible)
                    improved |= add_indiv(h, child);
            }
            no_improve = improved ? 0 : no_improve + 1;
            S->iterations++;
            stop = h_should_stop(S, h);
        }
        if (!stop)
            pop_clear(h); /* restart, keeping h->best */
    }
    if (h->have_best)
        export_best(h, S);
    else
        S->best_cost = VS_POS_INF;
    if (S->prm->progress && h->have_best)
        S->prm->progress(S->prm->progress_arg, h->best->dist, 0, vs_now() - S->t_begin);

    indiv_free(child);
    free(used);
    free(sweep);
    hgs_teardown(h);
}

int vs__hgs_selftest(struct vs *s, int n_ls)
{
    struct hgs H, *h = &H;
    hgs_setup(h, s);
    struct hindiv *x = indiv_new(h);
    h->check = true;
    int bad = 0;
    for (int k = 0; k < n_ls; k++) {
        for (int i = 0; i < h->n; i++)
            x->tour[i] = i + 1;
        shuffle(h->rng, x->tour, h->n);
        split(h, x);
        double pen = k % 3 == 0 ? h->pen * 10 : h->pen;
        local_search(h, x, pen);
        /* the exported individual holds every client once */
        bool *seen = xcalloc((size_t)h->n + 1, sizeof *seen);
        int cnt = 0;
        for (int r = 0; r < h->nv; r++)
            for (int j = 0; j < x->rlen[r]; j++) {
                int c = x->rseq[x->rstart[r] + j];
                if (c < 1 || c > h->n || seen[c])
                    bad++;
                else
                    seen[c] = true;
                cnt++;
            }
        if (cnt != h->n)
            bad++;
        free(seen);
    }
    bad += h->check_fail;
    indiv_free(x);
    hgs_teardown(h);
    return bad;
}
