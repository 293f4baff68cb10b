/*
** facility.c: facility location with fixed costs (and optional capacities),
** where the number of open sites is free. Local search over three moves —
** open a site, close a site, swap an open for a closed one — each evaluated
** by a full assignment (site__assign). County-sized problems (hundreds of
** villages, dozens of candidate sites) make the full evaluation cheap
** enough; first-improvement in a seeded random order keeps runs
** reproducible.
*/
#include "site/site_int.h"

#include <stdlib.h>
#include <string.h>

struct fl {
    const struct site_problem *p;
    char *is_open;
    int *open;
    int n_open;
    int *assign;
    int64_t cost;
};

/* Cost of the current set with site a toggled (and b toggled when >= 0);
** SITE_INF when infeasible. */
static int64_t try_toggle(struct fl *f, int a, int b)
{
    const struct site_problem *p = f->p;
    int n = 0;
    for (int j = 0; j < p->n_sites; j++) {
        bool o = f->is_open[j];
        if (j == a || j == b)
            o = !o;
        if (o)
            f->open[n++] = j;
    }
    if (n == 0)
        return SITE_INF;
    int64_t c;
    if (site__assign(p, f->open, n, f->assign, &c, NULL))
        return SITE_INF;
    return c;
}

static void commit_toggle(struct fl *f, int a, int b, int64_t cost)
{
    f->is_open[a] = !f->is_open[a];
    if (b >= 0)
        f->is_open[b] = !f->is_open[b];
    f->cost = cost;
}

int site__facility(const struct site_problem *p, const struct site_params *prm, double deadline,
                   int *open_out, int *n_open, int64_t *cost_out, uint64_t *iters, struct err *e)
{
    struct fl f = {.p = p};
    f.is_open = xcalloc((size_t)p->n_sites, 1);
    f.open = xmalloc((size_t)p->n_sites * sizeof *f.open);
    f.assign = xmalloc((size_t)p->n_clients * sizeof *f.assign);
    /* Start with everything open: feasible whenever the problem is. */
    memset(f.is_open, 1, (size_t)p->n_sites);
    f.cost = try_toggle(&f, -1, -1);
    if (f.cost == SITE_INF) {
        free(f.is_open);
        free(f.open);
        free(f.assign);
        return err_set(e, ERR_INFEASIBLE, "demand does not fit even with every site open");
    }
    uint64_t seed = prm->seed ? prm->seed : 1, it = 0;
    int *order = xmalloc((size_t)p->n_sites * sizeof *order);
    for (int j = 0; j < p->n_sites; j++)
        order[j] = j;
    bool improved = true;
    while (improved && time_mono_s() < deadline) {
        improved = false;
        /* Fisher-Yates with an LCG: a fresh, reproducible order each pass. */
        for (int j = p->n_sites - 1; j > 0; j--) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            int r = (int)((seed >> 33) % (uint64_t)(j + 1));
            int t = order[j];
            order[j] = order[r];
            order[r] = t;
        }
        for (int q = 0; q < p->n_sites && time_mono_s() < deadline; q++) {
            int a = order[q];
            if (f.is_open[a] && p->forced_open && p->forced_open[a])
                continue;
            it++;
            int64_t c = try_toggle(&f, a, -1); /* open or close a */
            if (c < f.cost) {
                commit_toggle(&f, a, -1, c);
                improved = true;
                continue;
            }
            if (!f.is_open[a])
                continue;
            /* swap a (open) for b (closed): n_sites full evaluations, so
            ** this loop watches the deadline too */
            for (int b = 0; b < p->n_sites && time_mono_s() < deadline; b++) {
                if (f.is_open[b])
                    continue;
                c = try_toggle(&f, a, b);
                if (c < f.cost) {
                    commit_toggle(&f, a, b, c);
                    improved = true;
                    break;
                }
            }
        }
    }
    int n = 0;
    for (int j = 0; j < p->n_sites; j++)
        if (f.is_open[j])
            open_out[n++] = j;
    *n_open = n;
    *cost_out = f.cost;
    *iters = it;
    free(order);
    free(f.is_open);
    free(f.open);
    free(f.assign);
    return 0;
}
