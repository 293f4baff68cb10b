/*
** fuzz_vrp_common.h: the body shared by the vrp parser fuzz targets. Reads
** the input in one format; when it parses, also runs the trusted evaluator
** on a plan that puts every task on the first vehicle (feasible or not) and
** prints it as JSON, so hostile values reach the arithmetic too.
*/
#ifndef RL_FUZZ_VRP_COMMON_H
#define RL_FUZZ_VRP_COMMON_H

#include <stdint.h>
#include <stdlib.h>

#include "vrp/vrp.h"

static int fuzz_vrp(const uint8_t *data, size_t size, enum vrp_format fmt)
{
    /* Bigger inputs only make bigger matrices, not new paths. */
    if (size > 32768)
        return 0;
    struct vrp_problem *p = NULL;
    struct err e;
    if (vrp_read((const char *)data, size, fmt, &p, &e) != 0)
        return 0;
    if (p->n_vehicles > 0 && p->n_tasks <= 2000) {
        int *seq = malloc(sizeof(int) * (size_t)(p->n_tasks + 1));
        int n = 0;
        for (int i = 0; i < p->n_tasks; i++) {
            const struct vrp_task *t = &p->tasks[i];
            if (t->kind == VRP_DELIVERY)
                continue;
            seq[n++] = i;
            if (t->kind == VRP_PICKUP)
                seq[n++] = t->pair;
        }
        struct vrp_seq sq = {0, seq, n};
        struct vrp_solution *s = NULL;
        if (vrp_solution_from_seqs(p, &sq, 1, true, &s, &e) == 0) {
            struct strbuf sb;
            strbuf_init(&sb, 0);
            vrp_write_json(p, s, &sb);
            struct vrp_check_report rep;
            vrp_check_json(p, sb.buf, sb.len, &rep, &e);
            strbuf_release(&sb);
            vrp_solution_free(s);
        }
        free(seq);
    }
    vrp_problem_free(p);
    return 0;
}

#endif
