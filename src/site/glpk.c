/*
** glpk.c: exact answers for small cases through GLPK. The textbook
** formulation: y_j opens site j, x_ij sends client i to site j;
**   min sum f_j y_j + sum w_i d_ij x_ij
**   sum_j x_ij = 1,  x_ij <= y_j,  [sum_j y_j = p],  [sum_i w_i x_ij <= cap_j y_j]
** Its linear relaxation is strong for p-median (often integral), which lets
** the heuristic stop as soon as it meets the bound, and tells the user when
** an answer is proven optimal.
*/
#include "site/site_int.h"

#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

int site__glpk(const struct site_problem *p, bool mip, double time_limit_s, int64_t *bound,
               bool *integral, int *open, int *n_open, struct err *e)
{
    int nc = p->n_clients, ns = p->n_sites;
    if ((size_t)nc * (size_t)ns > SITE_GLPK_MAX_VARS)
        return err_set(e, ERR_UNSUPPORTED, "too large for the exact solver");
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    /* Columns: y_1..y_ns, then x_ij at ns + i*ns + j + 1. */
    int ncols = ns + nc * ns;
    glp_add_cols(lp, ncols);
    for (int j = 0; j < ns; j++) {
        int col = j + 1;
        bool forced = p->forced_open && p->forced_open[j];
        glp_set_col_bnds(lp, col, forced ? GLP_FX : GLP_DB, forced ? 1.0 : 0.0, 1.0);
        glp_set_obj_coef(lp, col, p->fixed_cost ? (double)p->fixed_cost[j] : 0.0);
        if (mip)
            glp_set_col_kind(lp, col, GLP_BV);
    }
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < ns; j++) {
            int col = ns + i * ns + j + 1;
            glp_set_col_bnds(lp, col, GLP_DB, 0.0, 1.0);
            glp_set_obj_coef(lp, col, (double)site__w(p, i) * (double)site__d(p, i, j));
            if (mip && p->capacity)
                glp_set_col_kind(lp, col, GLP_BV);
        }
    int nrows = nc + nc * ns + (p->p > 0) + (p->capacity ? ns : 0);
    glp_add_rows(lp, nrows);
    size_t nz_cap = (size_t)nc * ns * 3 + (size_t)ns * (nc + 2) + 1;
    int *ia = xmalloc(nz_cap * sizeof *ia), *ja = xmalloc(nz_cap * sizeof *ja);
    double *ar = xmalloc(nz_cap * sizeof *ar);
    size_t nz = 0;
    int row = 0;
    for (int i = 0; i < nc; i++) {
        row++;
        glp_set_row_bnds(lp, row, GLP_FX, 1.0, 1.0);
        for (int j = 0; j < ns; j++) {
            nz++;
            ia[nz] = row, ja[nz] = ns + i * ns + j + 1, ar[nz] = 1.0;
        }
    }
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < ns; j++) {
            row++;
            glp_set_row_bnds(lp, row, GLP_UP, 0.0, 0.0);
            nz++;
            ia[nz] = row, ja[nz] = ns + i * ns + j + 1, ar[nz] = 1.0;
            nz++;
            ia[nz] = row, ja[nz] = j + 1, ar[nz] = -1.0;
        }
    if (p->p > 0) {
        row++;
        glp_set_row_bnds(lp, row, GLP_FX, p->p, p->p);
        for (int j = 0; j < ns; j++) {
            nz++;
            ia[nz] = row, ja[nz] = j + 1, ar[nz] = 1.0;
        }
    }
    if (p->capacity) {
        for (int j = 0; j < ns; j++) {
            row++;
            glp_set_row_bnds(lp, row, GLP_UP, 0.0, 0.0);
            for (int i = 0; i < nc; i++) {
                nz++;
                ia[nz] = row, ja[nz] = ns + i * ns + j + 1, ar[nz] = (double)site__w(p, i);
            }
            nz++;
            ia[nz] = row, ja[nz] = j + 1, ar[nz] = -(double)p->capacity[j];
        }
    }
    glp_load_matrix(lp, (int)nz, ia, ja, ar);
    free(ia);
    free(ja);
    free(ar);

    /* GLPK takes the limit as int milliseconds and aborts the whole process
    ** on a negative one, which is what (int) of more than INT_MAX ms gives
    ** (about 24.8 days): clamp, so no caller's limit can reach it overflowed.
    ** INT_MAX is also GLPK's own "no limit" default. */
    double ms = time_limit_s * 1000.0;
    int tm = ms > 0 && ms < (double)INT_MAX ? (int)ms : INT_MAX;
    glp_smcp smcp;
    glp_init_smcp(&smcp);
    smcp.msg_lev = GLP_MSG_OFF;
    smcp.tm_lim = tm;
    smcp.presolve = GLP_OFF;
    int rc = 0;
    int r = glp_simplex(lp, &smcp);
    if (r != 0 || glp_get_status(lp) != GLP_OPT) {
        rc = err_set(e, r == GLP_ETMLIM ? ERR_TIMEOUT : ERR_INFEASIBLE,
                     "linear relaxation not solved (glpk %d)", r);
        goto out;
    }
    double obj = glp_get_obj_val(lp);
    if (mip) {
        glp_iocp iocp;
        glp_init_iocp(&iocp);
        iocp.msg_lev = GLP_MSG_OFF;
        iocp.tm_lim = tm;
        r = glp_intopt(lp, &iocp);
        if (r != 0 || glp_mip_status(lp) != GLP_OPT) {
            rc = err_set(e, ERR_TIMEOUT, "integer programme not solved in time (glpk %d)", r);
            goto out;
        }
        obj = glp_mip_obj_val(lp);
    }
    *bound = (int64_t)ceil(obj - 1e-6);
    bool is_int = true;
    int k = 0;
    for (int j = 0; j < ns; j++) {
        double y = mip ? glp_mip_col_val(lp, j + 1) : glp_get_col_prim(lp, j + 1);
        if (fabs(y - round(y)) > 1e-6)
            is_int = false;
        if (y > 0.5)
            open[k++] = j;
    }
    /* With capacities a 0/1 y can still hide split clients: only a MIP
    ** answer counts as integral there. */
    *integral = mip || (is_int && !p->capacity);
    *n_open = k;
out:
    glp_delete_prob(lp);
    return rc;
}
