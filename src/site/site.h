/*
** site: ruralink's facility-location engine, a pure library like vrp (no
** store, no HTTP). Given clients with demand and candidate sites with a
** distance between every client and site, it chooses where to open
** warehouses:
**
**   p-median            open exactly p sites, minimise sum of demand x
**                       distance to the nearest open site;
**   facility location   open any number of sites, each with a fixed cost and
**                       optionally a capacity, minimise fixed costs plus
**                       demand x distance (capacitated: every client served
**                       by one site whose total load stays within capacity).
**
** Method: a greedy start improved by variable neighbourhood search over
** swap moves evaluated with the fast-interchange rule (Whitaker 1983;
** Hansen & Mladenovic 1997) for p-median and by add/drop/swap local search
** for facility location; on small cases GLPK solves the linear relaxation to
** prove the heuristic optimal, or the integer programme outright.
**
** All amounts are int64 (distances in the caller's unit, e.g. metres;
** demand in kg, orders or people). The problem owns its arrays
** (site_problem_free); so does a solution (site_solution_free).
*/
#ifndef RL_SITE_H
#define RL_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

struct site_problem {
    int n_clients;
    int n_sites;
    int64_t *dist;       /* n_clients x n_sites, row-major [client * n_sites + site] */
    int64_t *demand;     /* per client (NULL = 1 each) */
    int p;               /* > 0: p-median with exactly p sites */
    int64_t *fixed_cost; /* per site (facility location; NULL for p-median) */
    int64_t *capacity;   /* per site (NULL = uncapacitated) */
    bool *forced_open;   /* per site, sites that must stay open (NULL = none),
                            e.g. the existing county hub */
    int64_t *site_ids;   /* caller ids echoed in output (NULL = 1-based index) */
};

/* Largest time limit the CLI accepts (about 11.6 days, as route solve): far
** beyond any useful run, and its milliseconds still fit the int GLPK takes. */
#define SITE_TIME_LIMIT_MAX_S 1e6

struct site_params {
    double time_limit_s; /* <= 0: 10 s; GLPK's share is clamped to its int ms */
    uint64_t seed;
    int max_no_improve; /* VNS iterations without improvement before stopping
                           (<= 0: a default by size); keeps runs deterministic */
    bool exact;         /* try GLPK when the problem is small enough (default true) */
};
void site_params_default(struct site_params *prm);

struct site_solution {
    int *open; /* indices of open sites, ascending */
    int n_open;
    int *assign;         /* per client: index of its site */
    int64_t cost;        /* objective value */
    int64_t lower_bound; /* from the LP relaxation, or -1 when not computed */
    bool optimal;        /* proven: lower_bound == cost or MIP solved */
    double solve_s;
    uint64_t iterations;
};

struct site_problem *site_problem_new(int n_clients, int n_sites);
void site_problem_free(struct site_problem *p);
int site_problem_validate(const struct site_problem *p, struct err *e);

/* Read an OR-Library p-median file ("n m p", then m lines "i j cost"; an
** edge given twice keeps its last cost; distances are shortest paths).
** Every vertex is both a client (demand 1) and a candidate site. */
int site_read_orlib(const char *buf, size_t len, struct site_problem **out, struct err *e);
int site_read_file(const char *path, struct site_problem **out, struct err *e);

int site_solve(const struct site_problem *p, const struct site_params *prm,
               struct site_solution **out, struct err *e);
void site_solution_free(struct site_solution *s);

/* Cost of opening exactly `open` (assigning every client to its nearest open
** site, or by capacity-respecting greedy when capacitated); ERR_INFEASIBLE
** when capacities cannot hold the demand. For checks and comparisons. */
int site_evaluate(const struct site_problem *p, const int *open, int n_open, int64_t *cost,
                  struct err *e);

/* {"cost":..,"medians":[site ids],"optimal":..,"lower_bound":..,"time_s":..,
**  "iterations":..} appended to sb. */
int site_write_json(const struct site_problem *p, const struct site_solution *s, struct strbuf *sb);

#endif
