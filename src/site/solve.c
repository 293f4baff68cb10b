/*
** solve.c: site_solve, the entry point. Chooses the method by problem kind
** and size: the LP relaxation first on small problems (a lower bound that
** often is the optimum), then the heuristic, stopping early when it meets
** the bound; the integer programme when the heuristic cannot prove itself
** and time remains.
*/
#include "site/site_int.h"

#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int site_solve(const struct site_problem *p, const struct site_params *prm_in,
               struct site_solution **out, struct err *e)
{
    struct site_params prm;
    if (prm_in)
        prm = *prm_in;
    else
        site_params_default(&prm);
    if (!(prm.time_limit_s > 0)) /* NaN too: every deadline check fails on it */
        prm.time_limit_s = 10;
    int rc = site_problem_validate(p, e);
    if (rc)
        return rc;
    double t0 = time_mono_s(), deadline = t0 + prm.time_limit_s;
    struct site_solution *s = xcalloc(1, sizeof *s);
    s->open = xmalloc((size_t)p->n_sites * sizeof *s->open);
    s->assign = xmalloc((size_t)p->n_clients * sizeof *s->assign);
    s->lower_bound = -1;

    bool small = prm.exact && (size_t)p->n_clients * (size_t)p->n_sites <= SITE_GLPK_MAX_VARS;
    int64_t bound = -1;
    if (small) {
        bool integral = false;
        int n_lp = 0;
        if (site__glpk(p, false, prm.time_limit_s / 2, &bound, &integral, s->open, &n_lp, NULL) ==
            0) {
            s->lower_bound = bound;
            if (integral) {
                s->n_open = n_lp;
                s->optimal = true;
            }
        }
    }
    if (!s->optimal) {
        int64_t cost;
        if (p->p > 0) {
            rc = site__pmedian(p, &prm, deadline, bound, s->open, &cost, &s->iterations);
            s->n_open = p->p;
        } else {
            rc = site__facility(p, &prm, deadline, s->open, &s->n_open, &cost, &s->iterations, e);
        }
        if (rc)
            goto fail;
        s->optimal = bound >= 0 && cost <= bound;
        /* Read the clock once: site__glpk takes a limit <= 0 as none. */
        double left_s = deadline - time_mono_s();
        if (!s->optimal && small && left_s > 0) {
            int64_t mip_cost;
            bool integral;
            int n_mip;
            int *mip_open = xmalloc((size_t)p->n_sites * sizeof *mip_open);
            if (site__glpk(p, true, left_s, &mip_cost, &integral, mip_open, &n_mip, NULL) == 0) {
                memcpy(s->open, mip_open, (size_t)n_mip * sizeof *mip_open);
                s->n_open = n_mip;
                s->optimal = true;
                s->lower_bound = mip_cost;
            }
            free(mip_open);
        }
    }
    qsort(s->open, (size_t)s->n_open, sizeof *s->open, cmp_int);
    /* The reported cost is always the shared evaluation of the chosen set. */
    rc = site__assign(p, s->open, s->n_open, s->assign, &s->cost, e);
    if (rc)
        goto fail;
    if (s->optimal && s->lower_bound < s->cost && p->capacity)
        s->optimal = false; /* greedy assignment may miss the MIP's split */
    s->solve_s = time_mono_s() - t0;
    *out = s;
    return 0;
fail:
    site_solution_free(s);
    return rc;
}
