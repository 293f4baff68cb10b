/*
** vrp: ruralink's route-optimization engine, a pure library (no store, no
** HTTP). A problem is a struct built in code or read from a file
** (CVRPLIB/TSPLIB, Solomon, Li & Lim, VROOM JSON); vrp_solve() returns a
** solution struct; vrp_check() verifies a solution independently of the
** solver; the writer prints VROOM's JSON output shape.
**
** Units. Every amount in a problem is an integer in the problem's own units:
** durations and times in `time units`, distances in `distance units`, costs
** in `cost units`. Benchmark readers whose files use real numbers (Solomon,
** Li & Lim) scale them by `problem.scale` (e.g. 1000) and round each arc, so
** the engine works in exact integer arithmetic; reported figures are divided
** by `scale` again. VROOM input uses seconds and metres, scale 1.
**
** Objective, in order: (1) serve as many non-optional tasks as possible,
** weighing each by 1 + priority (a task left out is "unassigned", never
** silently dropped); (2) minimise cost = sum over used vehicles of
** fixed_cost + arc costs (the per-hour rate applies to travel time only,
** inside the arc cost; see vrp_arc_cost) + penalties of optional tasks left
** out. Arc cost is the cost matrix when given, else
** per_km * dist / 1000 + per_hour * dur / 3600 when those rates are set,
** else the distance (benchmarks: CVRP, Solomon and Li & Lim minimise
** distance).
**
** Ownership. A problem owns all its arrays (vrp_problem_free frees them);
** vrp_problem_new gives an empty one to fill. A solution likewise
** (vrp_solution_free).
*/
#ifndef RL_VRP_H
#define RL_VRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define VRP_MAX_DIMS 4    /* capacity dimensions (kg, litres, pallets, ...) */
#define VRP_MAX_SKILLS 64 /* skills are bits of a uint64_t */
#define VRP_NONE (-1)

struct vrp_tw {
    int64_t start, end; /* inclusive: service may start at any t in [start,end] */
};

enum vrp_task_kind {
    VRP_JOB = 0,      /* a single stop: delivers `delivery`, picks up `pickup` */
    VRP_PICKUP = 1,   /* first half of a shipment: loads `amount` */
    VRP_DELIVERY = 2, /* second half: unloads the same `amount` */
};

struct vrp_task {
    int64_t id; /* the caller's id (file number), echoed in output */
    enum vrp_task_kind kind;
    int loc;         /* location index into the matrices */
    int64_t service; /* service duration at the stop, always paid */
    /* Setup duration (VROOM's `setup`): paid before the service when the
    ** vehicle arrives from another location, i.e. unless the previous step
    ** (the start, a reload at the start, or the task before) is at `loc`.
    ** Consecutive tasks at one place thus pay it once. A route without a
    ** start pays it at its first task. */
    int64_t setup;
    char *description; /* owned (vrp_problem_free); NULL when none; echoed in output */
    /* JOB: delivery is loaded at the depot and dropped here; pickup is
    ** collected here and carried to the route's end (or next reload).
    ** PICKUP/DELIVERY: `pickup` of the PICKUP task holds the shipment's
    ** amount, `delivery` of the DELIVERY task the same amount. */
    int64_t delivery[VRP_MAX_DIMS];
    int64_t pickup[VRP_MAX_DIMS];
    int pair;          /* index of the other half of a shipment, or VRP_NONE */
    struct vrp_tw *tw; /* sorted, disjoint; n_tw == 0 means any time */
    int n_tw;
    uint64_t skills; /* required: task.skills must be within vehicle.skills */
    int priority;    /* 0..100 */
    bool optional;   /* may be left out at `penalty` cost */
    int64_t penalty;
};

struct vrp_vehicle {
    int64_t id;        /* the caller's id, echoed in output */
    char *description; /* owned (vrp_problem_free); NULL when none; echoed in output */
    int start;         /* location index, or VRP_NONE (route starts at first task) */
    int end;           /* location index, or VRP_NONE (open route) */
    int64_t capacity[VRP_MAX_DIMS];
    struct vrp_tw tw; /* working window; {0, INT64_MAX} when unlimited */
    uint64_t skills;
    int profile; /* index into problem.matrices */
    int64_t fixed_cost;
    int64_t cost_per_hour;   /* cost units per 3600 time units; 0 = none */
    int64_t cost_per_km;     /* cost units per 1000 distance units; 0 = none */
    int64_t max_travel_time; /* 0 = no limit (travel only, not service/waiting) */
    int64_t max_distance;    /* 0 = no limit */
    int max_tasks;           /* 0 = no limit */
    /* Multi-trip: the vehicle may go back to its start location to unload
    ** pickups and reload deliveries up to max_trips - 1 times (1 = single
    ** trip). Each reload takes reload_time. Shipments cannot span a reload. */
    int max_trips;
    int64_t reload_time;
};

/* One travel profile: n_locs x n_locs matrices, row-major [from * n + to].
** `dist` may alias `dur` (and `cost` either) when they are equal; free
** handles that. `cost` NULL means "derive from the vehicle's rates". */
struct vrp_matrix {
    int64_t *dur;
    int64_t *dist;
    int64_t *cost;
};

enum vrp_objective {
    VRP_OBJ_COST = 0,        /* as described above (VROOM-like) */
    VRP_OBJ_HIERARCHICAL = 1 /* vehicles first, then cost (reporting only) */
};

struct vrp_problem {
    char *name;
    int n_locs;
    double *lon, *lat; /* optional coordinates (NULL when absent), for output */
    struct vrp_matrix *matrices;
    int n_matrices;
    struct vrp_task *tasks;
    int n_tasks;
    struct vrp_vehicle *vehicles;
    int n_vehicles;
    int n_dims;         /* capacity dimensions in use (1..VRP_MAX_DIMS) */
    int64_t scale;      /* file units -> engine units (1 when exact) */
    char **skill_names; /* bit i <-> skill_names[i] (VROOM ints as text) */
    int n_skills;
    enum vrp_objective objective;
    char *format; /* "cvrplib", "solomon", "lilim", "vroom" */
};

/* --------------------------------------------------------------- lifecycle */

struct vrp_problem *vrp_problem_new(void);
void vrp_problem_free(struct vrp_problem *p);
/* Check internal consistency (indices in range, pairs symmetric, windows
** sorted, no negative amounts or durations...). Readers call it; code that
** builds a problem by hand should too. */
int vrp_problem_validate(const struct vrp_problem *p, struct err *e);

/* ----------------------------------------------------------------- readers */

enum vrp_format {
    VRP_FMT_AUTO = 0,
    VRP_FMT_CVRPLIB,
    VRP_FMT_SOLOMON,
    VRP_FMT_LILIM,
    VRP_FMT_VROOM
};

int vrp_format_parse(const char *name, enum vrp_format *out);
/* Read from memory / a file. On success you own *out. Errors name the line
** (or JSON path) and never crash on hostile input. */
int vrp_read(const char *buf, size_t len, enum vrp_format fmt, struct vrp_problem **out,
             struct err *e);
int vrp_read_file(const char *path, enum vrp_format fmt, struct vrp_problem **out, struct err *e);

/* ---------------------------------------------------------------- solving */

struct vrp_params {
    double time_limit_s; /* wall-clock limit; <= 0 means a default by size */
    uint64_t seed;
    int threads; /* 1 = single-threaded; results depend on (seed, threads) */
    /* 0, or stop after this many search iterations (the time limit still
    ** applies): a budget that does not depend on the machine's speed or
    ** load, so a run is reproducible for a (seed, threads). */
    uint64_t max_iterations;
    /* Called from the solving thread with the best cost so far (engine
    ** units; INT64_MAX before a first plan) and seconds elapsed: at the
    ** search's first check, then about every 50 ms of solving (by the
    ** clock, not an iteration count, so a stop lands promptly however slow
    ** an iteration is), and once at the end. Return non-zero to stop early:
    ** the best plan so far is returned. */
    int (*progress)(void *arg, int64_t best_cost, int n_unassigned, double elapsed_s);
    void *progress_arg;
};
void vrp_params_default(struct vrp_params *prm);

/* Cost of travelling from location `from` to `to` with vehicle v: the
** profile's cost matrix when given; else, when v has rates,
** (per_km * dist * 18 + per_hour * dur * 5 + 9000) / 18000, i.e.
** per_km * dist / 1000 + per_hour * dur / 3600 rounded half up once per
** arc; else the distance. Route cost = fixed_cost (when the route serves a
** task) + the sum of its arc costs; waiting and service cost nothing. The
** trusted evaluator (vrp_solution_from_seqs) uses exactly this. */
int64_t vrp_arc_cost(const struct vrp_problem *p, const struct vrp_vehicle *v, int from, int to);

enum vrp_step_type {
    VRP_STEP_START = 0,
    VRP_STEP_JOB,
    VRP_STEP_PICKUP,
    VRP_STEP_DELIVERY,
    VRP_STEP_RELOAD,
    VRP_STEP_END
};

struct vrp_step {
    enum vrp_step_type type;
    int task; /* index into problem.tasks, or VRP_NONE */
    int loc;
    int64_t arrival;            /* time of arrival at the stop */
    int64_t waiting;            /* before the time window opens */
    int64_t setup;              /* setup paid here (0 after a step at the same location) */
    int64_t service;            /* service (a reload: reload_time) */
    int64_t travel;             /* cumulated travel time to here */
    int64_t distance;           /* cumulated distance to here */
    int64_t load[VRP_MAX_DIMS]; /* on board when leaving the stop */
};

struct vrp_route {
    int vehicle; /* index into problem.vehicles */
    struct vrp_step *steps;
    int n_steps;
    int64_t cost, distance, duration, travel, setup, service, waiting;
};

struct vrp_solution {
    struct vrp_route *routes;
    int n_routes;
    int *unassigned; /* task indices */
    int n_unassigned;
    int64_t cost; /* engine units, penalties included */
    int64_t distance, duration, travel, setup, service, waiting;
    double solve_s; /* computing time of the search */
    double load_s;  /* reading the input */
    uint64_t iterations;
};

/* Solve. Always returns the best feasible solution found (tasks that could
** not be placed are unassigned). On success you own *out. */
int vrp_solve(const struct vrp_problem *p, const struct vrp_params *prm, struct vrp_solution **out,
              struct err *e);
void vrp_solution_free(struct vrp_solution *s);

/*
** Build a solution from plain sequences: for each route its vehicle index and
** its task indices in visiting order (VRP_NONE in a sequence marks a reload).
** Computes the schedule (earliest arrivals, waiting), loads, distances and
** costs from the problem alone; this is the code the checker trusts, kept
** apart from the solver's incremental evaluation. Fails with ERR_INFEASIBLE
** and a message naming the first broken constraint unless allow_infeasible;
** with allow_infeasible it returns 0 and, when a constraint is broken,
** leaves that message in e (e->code == ERR_INFEASIBLE, else 0). A task or a
** vehicle used twice is refused in both modes. Rules: docs/internals/vrp.md.
*/
struct vrp_seq {
    int vehicle;
    const int *tasks;
    int n;
};
int vrp_solution_from_seqs(const struct vrp_problem *p, const struct vrp_seq *seqs, int n_routes,
                           bool allow_infeasible, struct vrp_solution **out, struct err *e);

/* ---------------------------------------------------------------- checking */

struct vrp_check_report {
    bool feasible;
    int64_t cost; /* recomputed, engine units */
    int n_routes;
    int n_assigned, n_unassigned;
    char first_violation[256]; /* empty when feasible */
    /* Tasks not marked optional (every benchmark customer; VROOM tasks
    ** without "optional": true) that no route visits, each shipment half
    ** counted, and the first of them ("job 2"; empty when none). Not a
    ** violation: `feasible` stays about the routes; callers that demand a
    ** complete plan (route check) test this count. */
    int n_required_unserved;
    char first_required_unserved[64];
};
/* Verify a VROOM-shaped JSON solution against the problem: every task at
** most once, shipments on one route pickup first, capacities, windows,
** skills, shift, limits, trip rules, no task both routed and in the
** solution's `unassigned` list; recompute the cost; count required tasks
** left unserved. Returns 0 when the solution could be read (feasible or
** not: see report), an error otherwise. */
int vrp_check_json(const struct vrp_problem *p, const char *json, size_t len,
                   struct vrp_check_report *report, struct err *e);

/* ------------------------------------------------------------------ output */

/* Append the solution as VROOM-shaped JSON to sb: code, summary{cost,
** routes, unassigned, distance, duration, setup, service, waiting_time,
** computing_times{loading, solving}}, unassigned[], routes[].steps[]
** (with the tasks' and vehicles' descriptions when they have one). Costs
** and times are divided by problem.scale (printed with decimals when > 1). */
int vrp_write_json(const struct vrp_problem *p, const struct vrp_solution *s, struct strbuf *sb);

#endif
