/*
** site_int.h: private to src/site. Shared pieces of the solvers.
*/
#ifndef RL_SITE_INT_H
#define RL_SITE_INT_H

#include "site/site.h"

#define SITE_INF ((int64_t)1 << 60)

static inline int64_t site__d(const struct site_problem *p, int client, int site)
{
    return p->dist[(size_t)client * (size_t)p->n_sites + (size_t)site];
}

static inline int64_t site__w(const struct site_problem *p, int client)
{
    return p->demand ? p->demand[client] : 1;
}

/* Assign every client given the open sites: nearest open site, or, with
** capacities, a regret-ordered greedy that respects them. Writes assign[]
** and the total cost (fixed costs included). ERR_INFEASIBLE when a client
** cannot be placed. */
int site__assign(const struct site_problem *p, const int *open, int n_open, int *assign,
                 int64_t *cost, struct err *e);

/* GLPK: solve the LP relaxation (lower bound; *integral set when the LP
** optimum is already a 0/1 solution, in which case open/n_open hold it) or,
** with mip, the integer programme within the time limit. Returns ERR_TIMEOUT
** or ERR_UNSUPPORTED (too large) without a result. */
int site__glpk(const struct site_problem *p, bool mip, double time_limit_s, int64_t *bound,
               bool *integral, int *open, int *n_open, struct err *e);

/* p-median VNS: writes the best p sites to open_out (caller-sized p) and its
** cost; stops at the deadline (monotonic seconds), when the cost reaches
** stop_at (a proven lower bound), or after max_no_improve VNS rounds. */
int site__pmedian(const struct site_problem *p, const struct site_params *prm, double deadline,
                  int64_t stop_at, int *open_out, int64_t *cost_out, uint64_t *iters);

/* Facility location (p == 0): local search over add / drop / swap moves with
** full evaluation. open_out must hold n_sites entries. */
int site__facility(const struct site_problem *p, const struct site_params *prm, double deadline,
                   int *open_out, int *n_open, int64_t *cost_out, uint64_t *iters, struct err *e);

/* Largest problem (clients x sites) handed to GLPK. */
#define SITE_GLPK_MAX_VARS 20000

#endif
