/*
** pmedian.c: the p-median heuristic. A greedy start (add the site that
** lowers the cost most, p times), then variable neighbourhood search
** (Hansen & Mladenovic 1997): shake with k random swaps, descend with the
** fast-interchange local search, move when better, else widen k.
**
** Fast interchange (Whitaker 1983): with every client's nearest (c1) and
** second-nearest (c2) open site known, one pass over the clients gives, for
** a closed site `in`, the gain of opening it and the loss of closing each
** open site at once, so the best swap for `in` costs O(clients), not
** O(clients x p). All state lives in one struct pm and is reused.
**
** With p = 1 there is no second-nearest site: c2 is -1 then, and closing
** the only site sends every client to `in`. (c2 once fell back to c1, which
** priced that closure at zero: every site nearer to some client looked
** like an improvement, and the descent swapped round a cycle forever.)
** Every loop that can run long checks the deadline.
*/
#include "site/site_int.h"

#include <stdlib.h>
#include <string.h>

struct pm {
    const struct site_problem *p;
    int *open; /* p open sites */
    int n_open;
    char *is_open; /* per site */
    int *c1, *c2;  /* per client: nearest and second-nearest open site
                      (c2 = -1 while only one site is open) */
    int64_t cost;
    int64_t *loss; /* per site, scratch for the interchange */
    uint64_t rng;
};

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: small, fast, and the same sequence on every machine. */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int rng_below(uint64_t *s, int n)
{
    return (int)(rng_next(s) % (uint64_t)n);
}

/* Recompute c1, c2 of client i by scanning the open sites (c2 = -1 when
** only one is open). */
static void refresh_client(struct pm *m, int i)
{
    const struct site_problem *p = m->p;
    int b1 = -1, b2 = -1;
    int64_t d1 = SITE_INF, d2 = SITE_INF;
    for (int k = 0; k < m->n_open; k++) {
        int j = m->open[k];
        int64_t d = site__d(p, i, j);
        if (d < d1 || (d == d1 && j < b1)) {
            b2 = b1, d2 = d1;
            b1 = j, d1 = d;
        } else if (d < d2 || (d == d2 && j < b2)) {
            b2 = j, d2 = d;
        }
    }
    m->c1[i] = b1;
    m->c2[i] = b2;
}

static void refresh_all(struct pm *m)
{
    m->cost = 0;
    for (int i = 0; i < m->p->n_clients; i++) {
        refresh_client(m, i);
        m->cost += site__w(m->p, i) * site__d(m->p, i, m->c1[i]);
    }
}

static void set_open(struct pm *m, const int *open, int n)
{
    memset(m->is_open, 0, (size_t)m->p->n_sites);
    m->n_open = n;
    for (int k = 0; k < n; k++) {
        m->open[k] = open[k];
        m->is_open[open[k]] = 1;
    }
    refresh_all(m);
}

/* Replace open site `out` by `in`, updating c1/c2 incrementally. */
static void apply_swap(struct pm *m, int in, int out)
{
    const struct site_problem *p = m->p;
    for (int k = 0; k < m->n_open; k++)
        if (m->open[k] == out) {
            m->open[k] = in;
            break;
        }
    m->is_open[out] = 0;
    m->is_open[in] = 1;
    m->cost = 0;
    for (int i = 0; i < p->n_clients; i++) {
        int64_t din = site__d(p, i, in);
        if (m->c1[i] == out || m->c2[i] == out) {
            refresh_client(m, i);
        } else if (din < site__d(p, i, m->c1[i])) {
            m->c2[i] = m->c1[i];
            m->c1[i] = in;
        } else if (m->c2[i] < 0 || din < site__d(p, i, m->c2[i])) {
            m->c2[i] = in;
        }
        m->cost += site__w(p, i) * site__d(p, i, m->c1[i]);
    }
}

/* Best swap bringing `in` into the solution: returns the cost change and
** the site to close in *out (-1 when none may close). */
static int64_t best_swap_for(struct pm *m, int in, int *out)
{
    const struct site_problem *p = m->p;
    int64_t gain = 0;
    for (int k = 0; k < m->n_open; k++)
        m->loss[m->open[k]] = 0;
    for (int i = 0; i < p->n_clients; i++) {
        int64_t w = site__w(p, i), din = site__d(p, i, in);
        int64_t d1 = site__d(p, i, m->c1[i]);
        if (din < d1) {
            gain += (d1 - din) * w; /* i moves to `in` whatever closes */
        } else {
            /* Closing c1 sends i to the nearer of c2 and `in`; to `in` when
            ** c1 is the only open site. */
            int64_t d2 = m->c2[i] < 0 ? SITE_INF : site__d(p, i, m->c2[i]);
            m->loss[m->c1[i]] += ((din < d2 ? din : d2) - d1) * w;
        }
    }
    int64_t best = SITE_INF;
    *out = -1;
    for (int k = 0; k < m->n_open; k++) {
        int j = m->open[k];
        if (p->forced_open && p->forced_open[j])
            continue;
        if (m->loss[j] < best) {
            best = m->loss[j];
            *out = j;
        }
    }
    return *out < 0 ? SITE_INF : best - gain;
}

/* Descend with best-improvement swaps until none improves or the deadline
** (monotonic seconds) passes. */
static uint64_t local_search(struct pm *m, double deadline)
{
    uint64_t moves = 0;
    while (time_mono_s() < deadline) {
        int64_t best = 0;
        int bin = -1, bout = -1;
        for (int in = 0; in < m->p->n_sites; in++) {
            if (m->is_open[in])
                continue;
            int out;
            int64_t delta = best_swap_for(m, in, &out);
            if (delta < best) {
                best = delta;
                bin = in;
                bout = out;
            }
        }
        if (bin < 0)
            return moves;
        int64_t before = m->cost;
        apply_swap(m, bin, bout);
        moves++;
        /* apply_swap recomputes the cost in full: should a delta ever be
        ** wrong again, stop here instead of cycling on it. (No assert: the
        ** server runs this too, and asserts stay on in release builds.) */
        if (m->cost >= before)
            return moves;
    }
    return moves;
}

/* Greedy start: p times, open the site that lowers the cost most. Past the
** deadline the remaining places go to the lowest-numbered unchosen sites, so
** the search always holds exactly p sites to answer with. */
static void greedy_start(struct pm *m, double deadline)
{
    const struct site_problem *p = m->p;
    int n = 0;
    int *open = xmalloc((size_t)p->p * sizeof *open);
    for (int j = 0; p->forced_open && j < p->n_sites; j++)
        if (p->forced_open[j])
            open[n++] = j;
    /* best[i]: distance of client i to the nearest chosen site so far. */
    int64_t *best = xmalloc((size_t)p->n_clients * sizeof *best);
    for (int i = 0; i < p->n_clients; i++) {
        best[i] = SITE_INF;
        for (int k = 0; k < n; k++) {
            int64_t d = site__d(p, i, open[k]);
            if (d < best[i])
                best[i] = d;
        }
    }
    char *chosen = xcalloc((size_t)p->n_sites, 1);
    for (int k = 0; k < n; k++)
        chosen[open[k]] = 1;
    while (n < p->p) {
        int64_t bc = SITE_INF;
        int bj = -1;
        bool late = time_mono_s() >= deadline;
        for (int j = 0; j < p->n_sites; j++) {
            if (chosen[j])
                continue;
            if (late) {
                bj = j;
                break;
            }
            int64_t c = 0;
            for (int i = 0; i < p->n_clients && c < bc; i++) {
                int64_t d = site__d(p, i, j);
                c += (d < best[i] ? d : (best[i] == SITE_INF ? d : best[i])) * site__w(p, i);
            }
            if (c < bc) {
                bc = c;
                bj = j;
            }
        }
        chosen[bj] = 1;
        open[n++] = bj;
        for (int i = 0; i < p->n_clients; i++) {
            int64_t d = site__d(p, i, bj);
            if (d < best[i])
                best[i] = d;
        }
    }
    set_open(m, open, n);
    free(open);
    free(best);
    free(chosen);
}

/* Swap k random (open, closed) pairs, never closing a forced site. */
static void shake(struct pm *m, int k)
{
    const struct site_problem *p = m->p;
    int closable = 0;
    for (int q = 0; q < m->n_open; q++)
        closable += !(p->forced_open && p->forced_open[m->open[q]]);
    if (closable == 0 || m->n_open == p->n_sites)
        return;
    for (int s = 0; s < k; s++) {
        int out;
        do
            out = m->open[rng_below(&m->rng, m->n_open)];
        while (p->forced_open && p->forced_open[out]);
        int in;
        do
            in = rng_below(&m->rng, p->n_sites);
        while (m->is_open[in]);
        apply_swap(m, in, out);
    }
}

int site__pmedian(const struct site_problem *p, const struct site_params *prm, double deadline,
                  int64_t stop_at, int *open_out, int64_t *cost_out, uint64_t *iters)
{
    struct pm m = {.p = p};
    m.open = xmalloc((size_t)p->p * sizeof *m.open);
    m.is_open = xcalloc((size_t)p->n_sites, 1);
    m.c1 = xmalloc((size_t)p->n_clients * sizeof *m.c1);
    m.c2 = xmalloc((size_t)p->n_clients * sizeof *m.c2);
    m.loss = xmalloc((size_t)p->n_sites * sizeof *m.loss);
    m.rng = prm->seed ? prm->seed : 1;
    greedy_start(&m, deadline);
    local_search(&m, deadline);
    int *best = xmalloc((size_t)p->p * sizeof *best);
    memcpy(best, m.open, (size_t)p->p * sizeof *best);
    int64_t best_cost = m.cost;
    int kmax = p->p < p->n_sites - p->p ? p->p : p->n_sites - p->p;
    if (kmax > 10)
        kmax = 10 + (kmax - 10) / 4; /* wide shakes rarely pay on large p */
    int max_no_improve = prm->max_no_improve > 0 ? prm->max_no_improve : 20 * kmax + 200;
    uint64_t it = 0;
    int no_improve = 0, k = 1;
    while (best_cost > stop_at && no_improve < max_no_improve && kmax > 0 &&
           time_mono_s() < deadline) {
        shake(&m, k);
        local_search(&m, deadline);
        it++;
        if (m.cost < best_cost) {
            best_cost = m.cost;
            memcpy(best, m.open, (size_t)p->p * sizeof *best);
            k = 1;
            no_improve = 0;
        } else {
            set_open(&m, best, p->p);
            k = k >= kmax ? 1 : k + 1;
            no_improve++;
        }
    }
    memcpy(open_out, best, (size_t)p->p * sizeof *best);
    *cost_out = best_cost;
    *iters = it;
    free(best);
    free(m.open);
    free(m.is_open);
    free(m.c1);
    free(m.c2);
    free(m.loss);
    return 0;
}
