/*
** read.h: private helpers shared by the vrp readers (read_*.c) and the
** model code (problem.c): line splitting, size caps, matrix allocation.
** Not part of the public contract (see vrp.h).
*/
#ifndef RL_VRP_READ_H
#define RL_VRP_READ_H

#include "vrp/vrp.h"

/* Largest number of locations a reader accepts; with int64 matrices this
** keeps one matrix at or below 2 GiB. */
#define VRP__MAX_LOCS 16384
/* Total bytes of all matrices of one problem. */
#define VRP__MAX_MATRIX_BYTES ((size_t)2 << 30)
/* Largest absolute value of a time, amount, duration, distance or cost
** from a file (engine units, about 1.1e12); sums over the longest routes
** (VRP__MAX_LOCS arcs) then stay far from int64 overflow. */
#define VRP__MAX_VALUE ((int64_t)1 << 40)
/* Largest cost_per_hour / cost_per_km. */
#define VRP__MAX_RATE 1000000
/* Scale of the Solomon and Li & Lim readers (see docs/internals/vrp.md). */
#define VRP__BENCH_SCALE 10000

/* Line-by-line reading of a text buffer. */
struct vrp__lines {
    const char *p, *end;
    int line; /* number of the line last returned, 1-based */
    bool eol; /* that line ended with '\n' (false: the buffer ended inside it) */
};
void vrp__lines_init(struct vrp__lines *L, const char *buf, size_t len);
/* Next line without its end-of-line; false at the end of the buffer. */
bool vrp__next_line(struct vrp__lines *L, struct str *line);
/* Split on spaces and tabs into at most max tokens. Returns the number of
** tokens, or max + 1 when there are more. */
int vrp__split(struct str line, struct str *tok, int max);
struct str vrp__trim(struct str s);
/* Reject NUL bytes (text formats). */
int vrp__check_text(const char *buf, size_t len, struct err *e);

/* An n x n matrix of zeros, refusing n beyond the caps above. */
int vrp__matrix_alloc(int n, int n_matrices, int64_t **out, struct err *e);

/* Euclidean matrix from coordinates: each arc sqrt(dx^2+dy^2) * scale,
** rounded to the nearest integer (nint: floor(d + 0.5)). */
int vrp__euclid_matrix(int n, const double *x, const double *y, double scale, int64_t *m,
                       struct err *e);

/* Validate p and hand it over in *out, or free it and fail. */
int vrp__finish(struct vrp_problem *p, struct vrp_problem **out, struct err *e);

/* Task index by kind and id, or VRP_NONE. Linear; for the checker. */
int vrp__find_task(const struct vrp_problem *p, enum vrp_task_kind kind, int64_t id);
int vrp__find_vehicle(const struct vrp_problem *p, int64_t id);
const char *vrp__kind_name(enum vrp_task_kind k);

/* A node of the Solomon / Li & Lim formats, as read (file units). */
struct vrp__twnode {
    double x, y, demand, ready, due, service;
    int pair; /* Li & Lim: row of the other half, or VRP_NONE */
    enum vrp_task_kind kind;
    int line; /* for messages */
};
/* Build the problem shared by both formats: node 0 is the depot, every
** other node a task (a JOB, or a shipment half when pair is set), times and
** Euclidean distances scaled by VRP__BENCH_SCALE and rounded. Takes name. */
int vrp__build_tw(const char *format, char *name, const struct vrp__twnode *nodes, int n,
                  int64_t n_vehicles, int64_t capacity, struct vrp_problem **out, struct err *e);

int vrp__read_cvrplib(const char *buf, size_t len, struct vrp_problem **out, struct err *e);
int vrp__read_solomon(const char *buf, size_t len, struct vrp_problem **out, struct err *e);
int vrp__read_lilim(const char *buf, size_t len, struct vrp_problem **out, struct err *e);
int vrp__read_vroom(const char *buf, size_t len, struct vrp_problem **out, struct err *e);

#endif
