/*
** router.c: method + path matching over a segment trie.
**
** Every pattern is split at '/' into segments; a segment is either a literal
** or a whole-segment {name}. The trie has one node per distinct prefix; a
** node keeps its literal children sorted (binary search) and at most one
** parameter child shared by every {name} at that position (names are kept
** per route, so /villages/{id} and /villages/{village_id}/x coexist). A
** match walks the request path segment by segment, trying the literal child
** before the parameter child and backtracking when a branch dead-ends, so the
** cost per request is O(segments x log children), whatever the number of
** routes. A node that ends a pattern lists the routes by method; a path that
** reaches such a node with no route for the method is a 405 and the node's
** methods make the Allow header.
*/
#include "http/http_int.h"

#include <stdlib.h>
#include <string.h>

struct rnode {
    char *lit;           /* this node's literal text (NULL for a param node) */
    struct rnode **kids; /* literal children, sorted by lit */
    size_t nkids, capkids;
    struct rnode *param; /* the {param} child */
    int *routes;         /* route indices ending here */
    size_t nroutes, caproutes;
};

struct route_info {
    const char *names[HTTP__MAX_PARAMS];
    int nparams;
};

struct http__router {
    struct rnode *root;
    const struct http_route *routes;
    size_t n;
    struct route_info *info;
    char *names_store; /* parameter names, NUL-separated */
};

static void node_free(struct rnode *nd)
{
    if (!nd)
        return;
    for (size_t i = 0; i < nd->nkids; i++)
        node_free(nd->kids[i]);
    node_free(nd->param);
    free(nd->kids);
    free(nd->routes);
    free(nd->lit);
    free(nd);
}

void http__router_free(struct http__router *r)
{
    if (!r)
        return;
    node_free(r->root);
    free(r->info);
    free(r->names_store);
    free(r);
}

static int seg_cmp(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Binary search among literal children; *pos gets the insertion point. */
static struct rnode *find_lit(const struct rnode *nd, const char *s, size_t len, size_t *pos)
{
    size_t lo = 0, hi = nd->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = seg_cmp(s, len, nd->kids[mid]->lit);
        if (c == 0) {
            if (pos)
                *pos = mid;
            return nd->kids[mid];
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (pos)
        *pos = lo;
    return NULL;
}

static struct rnode *add_lit(struct rnode *nd, const char *s, size_t len)
{
    size_t pos;
    struct rnode *k = find_lit(nd, s, len, &pos);
    if (k)
        return k;
    k = xcalloc(1, sizeof *k);
    k->lit = xstrndup(s, len);
    xgrow((void **)&nd->kids, &nd->capkids, nd->nkids + 1, sizeof *nd->kids);
    memmove(nd->kids + pos + 1, nd->kids + pos, (nd->nkids - pos) * sizeof *nd->kids);
    nd->kids[pos] = k;
    nd->nkids++;
    return k;
}

static bool method_eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

int http__router_new(struct http__router **out, const struct http_route *routes, size_t n,
                     struct err *e)
{
    struct http__router *r = xcalloc(1, sizeof *r);
    r->root = xcalloc(1, sizeof *r->root);
    r->routes = routes;
    r->n = n;
    r->info = xcalloc(n ? n : 1, sizeof *r->info);
    size_t names_len = 0;
    for (size_t i = 0; i < n; i++)
        names_len += strlen(routes[i].pattern) + 1;
    r->names_store = xmalloc(names_len + 1);
    char *np = r->names_store;

    for (size_t i = 0; i < n; i++) {
        const struct http_route *rt = &routes[i];
        const char *p = rt->pattern;
        if (!rt->method || !*rt->method || !rt->fn || !p || p[0] != '/') {
            err_set(e, ERR_INVAL,
                    "route %zu (%s %s): needs a method, a handler and a "
                    "pattern starting with '/'",
                    i, rt->method ? rt->method : "?", p ? p : "?");
            goto fail;
        }
        struct rnode *nd = r->root;
        int nseg = 0;
        if (strcmp(p, "/") != 0) {
            p++;
            for (;;) {
                const char *end = strchr(p, '/');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                if (++nseg > HTTP__MAX_SEGMENTS) {
                    err_set(e, ERR_INVAL, "route %s: too many segments", rt->pattern);
                    goto fail;
                }
                if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
                    if (len == 2 || memchr(p + 1, '{', len - 2) || memchr(p + 1, '}', len - 2)) {
                        err_set(e, ERR_INVAL, "route %s: bad parameter segment", rt->pattern);
                        goto fail;
                    }
                    struct route_info *ri = &r->info[i];
                    if (ri->nparams == HTTP__MAX_PARAMS) {
                        err_set(e, ERR_INVAL, "route %s: more than %d parameters", rt->pattern,
                                HTTP__MAX_PARAMS);
                        goto fail;
                    }
                    memcpy(np, p + 1, len - 2);
                    np[len - 2] = '\0';
                    ri->names[ri->nparams++] = np;
                    np += len - 1;
                    if (!nd->param)
                        nd->param = xcalloc(1, sizeof *nd->param);
                    nd = nd->param;
                } else {
                    if (memchr(p, '{', len) || memchr(p, '}', len)) {
                        err_set(e, ERR_INVAL, "route %s: braces inside a literal segment",
                                rt->pattern);
                        goto fail;
                    }
                    nd = add_lit(nd, p, len);
                }
                if (!end)
                    break;
                p = end + 1;
            }
        }
        for (size_t k = 0; k < nd->nroutes; k++) {
            if (method_eq(routes[nd->routes[k]].method, rt->method)) {
                err_set(e, ERR_INVAL, "route %s %s is registered twice (or clashes with %s)",
                        rt->method, rt->pattern, routes[nd->routes[k]].pattern);
                goto fail;
            }
        }
        xgrow((void **)&nd->routes, &nd->caproutes, nd->nroutes + 1, sizeof *nd->routes);
        nd->routes[nd->nroutes++] = (int)i;
    }
    *out = r;
    return 0;
fail:
    http__router_free(r);
    return e ? e->code : ERR_INVAL;
}

struct walk {
    const char *method;
    const char *segs[HTTP__MAX_SEGMENTS];
    size_t lens[HTTP__MAX_SEGMENTS];
    int nsegs;
    struct str params[HTTP__MAX_PARAMS];
    int np;
    const struct rnode *first_terminal; /* for 405 */
    const struct http__router *r;
    int found;
    struct str found_params[HTTP__MAX_PARAMS];
    int found_np;
};

static int route_for_method(const struct http__router *r, const struct rnode *nd,
                            const char *method)
{
    for (size_t k = 0; k < nd->nroutes; k++)
        if (method_eq(r->routes[nd->routes[k]].method, method))
            return nd->routes[k];
    return -1;
}

static bool walk(struct walk *w, const struct rnode *nd, int depth)
{
    if (depth == w->nsegs) {
        if (nd->nroutes == 0)
            return false;
        if (!w->first_terminal)
            w->first_terminal = nd;
        int ri = route_for_method(w->r, nd, w->method);
        if (ri < 0 && strcmp(w->method, "HEAD") == 0)
            ri = route_for_method(w->r, nd, "GET");
        if (ri < 0)
            return false;
        w->found = ri;
        memcpy(w->found_params, w->params, sizeof w->params);
        w->found_np = w->np;
        return true;
    }
    const struct rnode *k = find_lit(nd, w->segs[depth], w->lens[depth], NULL);
    if (k && walk(w, k, depth + 1))
        return true;
    if (nd->param && w->lens[depth] > 0 && w->np < HTTP__MAX_PARAMS) {
        w->params[w->np++] = (struct str){w->segs[depth], w->lens[depth]};
        if (walk(w, nd->param, depth + 1))
            return true;
        w->np--;
    }
    return false;
}

int http__router_match(const struct http__router *r, const char *method, const char *path,
                       struct http__match *m, char *allow, size_t allow_size)
{
    struct walk w;
    w.method = method;
    w.nsegs = 0;
    w.np = 0;
    w.first_terminal = NULL;
    w.r = r;
    w.found = -1;
    if (!path || path[0] != '/')
        return HTTP__MATCH_NOPATH;
    if (path[1] != '\0') {
        const char *p = path + 1;
        for (;;) {
            if (w.nsegs == HTTP__MAX_SEGMENTS)
                return HTTP__MATCH_NOPATH;
            const char *end = strchr(p, '/');
            w.segs[w.nsegs] = p;
            w.lens[w.nsegs] = end ? (size_t)(end - p) : strlen(p);
            w.nsegs++;
            if (!end)
                break;
            p = end + 1;
        }
    }
    if (walk(&w, r->root, 0)) {
        m->route = w.found;
        m->nparams = w.found_np;
        memcpy(m->params, w.found_params, sizeof m->params);
        m->names = r->info[w.found].names;
        return HTTP__MATCH_OK;
    }
    if (!w.first_terminal)
        return HTTP__MATCH_NOPATH;
    if (allow && allow_size) {
        size_t o = 0;
        allow[0] = '\0';
        const struct rnode *nd = w.first_terminal;
        bool has_get = false, has_head = false;
        for (size_t k = 0; k < nd->nroutes; k++) {
            const char *mt = r->routes[nd->routes[k]].method;
            has_get |= strcmp(mt, "GET") == 0;
            has_head |= strcmp(mt, "HEAD") == 0;
        }
        for (size_t k = 0; k <= nd->nroutes; k++) {
            const char *mt;
            if (k < nd->nroutes)
                mt = r->routes[nd->routes[k]].method;
            else if (has_get && !has_head)
                mt = "HEAD";
            else
                break;
            int wr = snprintf(allow + o, allow_size - o, "%s%s", o ? ", " : "", mt);
            if (wr < 0 || (size_t)wr >= allow_size - o)
                break;
            o += (size_t)wr;
        }
    }
    return HTTP__MATCH_NOMETHOD;
}
