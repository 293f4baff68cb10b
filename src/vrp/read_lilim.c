/*
** read_lilim.c: Li & Lim PDPTW files.
**
**   <vehicles> <capacity> <speed>
**   <task> <x> <y> <demand> <ready> <due> <service> <pickup> <delivery>
**
** Task 0 is the depot. A pickup has pickup index 0 and names its delivery;
** a delivery names its pickup and has a negative demand. Each pair becomes a
** shipment: a VRP_PICKUP task and a VRP_DELIVERY task pointing at each
** other, ids = task numbers. Times and distances scaled as for Solomon
** (see read_solomon.c). The speed column is ignored: by the benchmark's
** convention travel time equals distance, and published files say 1 or 0.
** A last row without an end of line is refused as truncated, as in
** read_solomon.c (the format has no task count to check instead).
*/
#include "vrp/read.h"

#include <math.h>
#include <stdlib.h>

int vrp__read_lilim(const char *buf, size_t len, struct vrp_problem **out, struct err *e)
{
    int rc = vrp__check_text(buf, len, e);
    if (rc)
        return rc;
    struct vrp__lines L;
    vrp__lines_init(&L, buf, len);
    struct str line, tok[10];
    double v[9];
    int64_t K = 0, Q = 0;
    bool head = false;
    struct vrp__twnode *nodes = NULL;
    double *pick = NULL, *deliv = NULL; /* raw pair columns */
    size_t cap = 0, cap2 = 0, cap3 = 0;
    int n = 0;
    while (vrp__next_line(&L, &line)) {
        int k = vrp__split(line, tok, 9);
        if (k == 0)
            continue;
        int want = head ? 9 : 3;
        bool ok = k == want;
        for (int i = 0; ok && i < k; i++)
            ok = str_to_double(tok[i], &v[i]) == 0;
        if (!ok) {
            rc = err_set(e, ERR_INVAL, "line %d: expected %d numbers", L.line, want);
            goto out;
        }
        if (!head) {
            if (v[0] != floor(v[0]) || v[0] < 1 || v[0] > 100000 || v[1] != floor(v[1]) ||
                v[1] < 1 || v[1] > (double)VRP__MAX_VALUE) {
                rc = err_set(e, ERR_INVAL,
                             "line %d: vehicle number and capacity must be positive integers",
                             L.line);
                goto out;
            }
            if (v[2] < 0) {
                rc = err_set(e, ERR_INVAL, "line %d: negative speed %g", L.line, v[2]);
                goto out;
            }
            K = (int64_t)v[0];
            Q = (int64_t)v[1];
            head = true;
            continue;
        }
        if (n >= VRP__MAX_LOCS) {
            rc = err_set(e, ERR_TOOBIG, "line %d: more than %d tasks", L.line, VRP__MAX_LOCS);
            goto out;
        }
        if (v[0] != n) {
            rc = err_set(e, ERR_INVAL, "line %d: task number %g, expected %d", L.line, v[0], n);
            goto out;
        }
        xgrow((void **)&nodes, &cap, (size_t)n + 1, sizeof *nodes);
        xgrow((void **)&pick, &cap2, (size_t)n + 1, sizeof *pick);
        xgrow((void **)&deliv, &cap3, (size_t)n + 1, sizeof *deliv);
        nodes[n] =
            (struct vrp__twnode){v[1], v[2], v[3], v[4], v[5], v[6], VRP_NONE, VRP_JOB, L.line};
        pick[n] = v[7];
        deliv[n] = v[8];
        n++;
        if (!L.eol) {
            rc = err_set(e, ERR_INVAL,
                         "line %d: the file ends inside this row (no end of line); it looks "
                         "truncated",
                         L.line);
            goto out;
        }
    }
    if (!head || n == 0) {
        rc = err_set(e, ERR_INVAL, "file ends before the %s", head ? "depot line" : "first line");
        goto out;
    }
    if (nodes[0].demand != 0 || pick[0] != 0 || deliv[0] != 0) {
        rc = err_set(e, ERR_INVAL, "line %d: the depot must have demand 0 and no pair",
                     nodes[0].line);
        goto out;
    }
    for (int i = 1; i < n; i++) {
        double pi = pick[i], di = deliv[i], q = nodes[i].demand;
        int ln = nodes[i].line;
        int other;
        if (pi == 0 && di != 0) {
            if (di != floor(di) || di < 1 || di >= n) {
                rc = err_set(e, ERR_INVAL, "line %d: delivery index %g out of range", ln, di);
                goto out;
            }
            other = (int)di; /* in range: the conversion is defined */
            if (q < 0) {
                rc = err_set(e, ERR_INVAL, "line %d: pickup with negative demand", ln);
                goto out;
            }
            if (pick[other] != i || deliv[other] != 0) {
                rc = err_set(e, ERR_INVAL, "line %d: task %d does not name task %d as its pickup",
                             ln, other, i);
                goto out;
            }
            if (nodes[other].demand != -q) {
                rc = err_set(e, ERR_INVAL, "line %d: pickup %d and delivery %d amounts differ", ln,
                             i, other);
                goto out;
            }
        } else if (pi != 0 && di == 0) {
            if (pi != floor(pi) || pi < 1 || pi >= n) {
                rc = err_set(e, ERR_INVAL, "line %d: pickup index %g out of range", ln, pi);
                goto out;
            }
            other = (int)pi;
            if (q > 0) {
                rc = err_set(e, ERR_INVAL, "line %d: delivery with positive demand", ln);
                goto out;
            }
            if (deliv[other] != i || pick[other] != 0) {
                rc = err_set(e, ERR_INVAL, "line %d: task %d does not name task %d as its delivery",
                             ln, other, i);
                goto out;
            }
        } else {
            rc = err_set(e, ERR_INVAL, "line %d: a task needs exactly one of pickup/delivery index",
                         ln);
            goto out;
        }
        nodes[i].pair = other;
        nodes[i].kind = pi == 0 ? VRP_PICKUP : VRP_DELIVERY;
    }
    rc = vrp__build_tw("lilim", xstrdup(""), nodes, n, K, Q, out, e);
out:
    free(nodes);
    free(pick);
    free(deliv);
    return rc;
}
