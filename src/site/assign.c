/*
** assign.c: assigning clients to a given set of open sites, the evaluation
** every site solver and the checker share. Uncapacitated: each client goes
** to its nearest open site. Capacitated: clients are placed in order of
** regret (how much worse their second choice is), each to the nearest open
** site with room left; a heuristic, good enough to compare site sets.
*/
#include "site/site_int.h"

#include <stdlib.h>

struct regret {
    int64_t regret;
    int client;
};

static int regret_cmp(const void *a, const void *b)
{
    const struct regret *x = a, *y = b;
    if (x->regret != y->regret)
        return x->regret > y->regret ? -1 : 1;
    return x->client - y->client;
}

static int64_t fixed_costs(const struct site_problem *p, const int *open, int n_open)
{
    int64_t c = 0;
    for (int k = 0; p->fixed_cost && k < n_open; k++)
        c += p->fixed_cost[open[k]];
    return c;
}

static int assign_capacitated(const struct site_problem *p, const int *open, int n_open,
                              int *assign, int64_t *cost, struct err *e)
{
    struct regret *order = xmalloc((size_t)p->n_clients * sizeof *order);
    for (int i = 0; i < p->n_clients; i++) {
        int64_t b1 = SITE_INF, b2 = SITE_INF;
        for (int k = 0; k < n_open; k++) {
            int64_t d = site__d(p, i, open[k]);
            if (d < b1) {
                b2 = b1;
                b1 = d;
            } else if (d < b2) {
                b2 = d;
            }
        }
        order[i].regret = (b2 == SITE_INF ? SITE_INF / 2 : b2 - b1) * site__w(p, i);
        order[i].client = i;
    }
    qsort(order, (size_t)p->n_clients, sizeof *order, regret_cmp);
    int64_t *left = xmalloc((size_t)n_open * sizeof *left);
    for (int k = 0; k < n_open; k++)
        left[k] = p->capacity[open[k]];
    int64_t total = fixed_costs(p, open, n_open);
    int rc = 0;
    for (int r = 0; r < p->n_clients; r++) {
        int i = order[r].client, best = -1;
        int64_t w = site__w(p, i), bd = SITE_INF;
        for (int k = 0; k < n_open; k++) {
            int64_t d = site__d(p, i, open[k]);
            if (left[k] >= w && d < bd) {
                bd = d;
                best = k;
            }
        }
        if (best < 0) {
            rc = err_set(e, ERR_INFEASIBLE, "no open site has room for client %d", i + 1);
            break;
        }
        left[best] -= w;
        assign[i] = open[best];
        total += bd * w;
    }
    free(left);
    free(order);
    if (!rc)
        *cost = total;
    return rc;
}

int site__assign(const struct site_problem *p, const int *open, int n_open, int *assign,
                 int64_t *cost, struct err *e)
{
    if (p->capacity)
        return assign_capacitated(p, open, n_open, assign, cost, e);
    int64_t total = fixed_costs(p, open, n_open);
    for (int i = 0; i < p->n_clients; i++) {
        int best = open[0];
        int64_t bd = site__d(p, i, best);
        for (int k = 1; k < n_open; k++) {
            int64_t d = site__d(p, i, open[k]);
            if (d < bd) {
                bd = d;
                best = open[k];
            }
        }
        assign[i] = best;
        total += bd * site__w(p, i);
    }
    *cost = total;
    return 0;
}
