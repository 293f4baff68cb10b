/*
** cmd_route.c: `ruralink route`, the command-line face of the vrp engine.
**
**   ruralink route solve FILE [--format F] [--time-limit S] [--seed N]
**                             [--threads N] [-o OUT]
**   ruralink route check FILE SOLUTION [--format F]
**
** `solve` prints VROOM-shaped solution JSON on stdout (or writes OUT
** atomically) and, when stderr is a terminal, a progress line there. An
** interrupt (Ctrl-C, SIGTERM) stops the search early; the best solution so
** far is still written.
** `check` replays a solution through the engine's trusted evaluator, prints
** {feasible, cost, reported_cost, cost_matches, routes, assigned,
** unassigned, violation} and exits 1 when the solution breaks a constraint
** or reports a cost other than the recomputed one.
*/
#include "cli/cli.h"
#include "vrp/vrp.h"

#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage_solve(FILE *to)
{
    fprintf(to, "usage: ruralink route solve FILE [options]\n\n"
                "Solve a vehicle routing problem and print the solution as VROOM-shaped JSON.\n\n"
                "  --format F       auto (default), cvrplib, solomon, lilim, vroom\n"
                "  --time-limit S   seconds for the whole command, reading included\n"
                "                   (default: a search time by problem size)\n"
                "  --seed N         random seed (default 1)\n"
                "  --threads N      search threads (default 1)\n"
                "  -o, --output OUT write the JSON to OUT (atomically) instead of stdout\n");
}

static void usage_check(FILE *to)
{
    fprintf(to, "usage: ruralink route check FILE SOLUTION [--format F]\n\n"
                "Verify a solution (VROOM-shaped JSON) against the problem in FILE with the\n"
                "engine's trusted evaluator, independently of the solver, and print\n"
                "{feasible, cost, reported_cost, cost_matches, routes, assigned, unassigned,\n"
                "violation}. Exit status 1 when infeasible or the reported cost is wrong.\n");
}

static void usage(FILE *to)
{
    fprintf(to, "usage: ruralink route <solve|check> ...\n\n"
                "  solve FILE      solve a routing problem (CVRPLIB, Solomon, Li & Lim, VROOM)\n"
                "  check FILE SOL  verify a solution and recompute its cost\n\n"
                "  ruralink route solve --help   options\n");
}

/* "--name value" or "--name=value"; advances *i. NULL when not this option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static void print_scaled(FILE *to, int64_t v, int64_t scale)
{
    if (scale <= 1)
        fprintf(to, "%lld", (long long)v);
    else
        fprintf(to, "%.4f", (double)v / (double)scale);
}

/* Set by the signal handler only (STYLE.md: the one kind of global). */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct progress {
    int64_t scale;
    double last;
    bool printed;
    bool tty;
};

static int on_progress(void *arg, int64_t best, int n_unassigned, double elapsed)
{
    struct progress *pr = arg;
    if (interrupted)
        return 1;
    if (!pr->tty || (pr->printed && elapsed - pr->last < 0.25))
        return 0;
    pr->last = elapsed;
    pr->printed = true;
    fprintf(stderr, "\rroute: %.1f s  best cost ", elapsed);
    print_scaled(stderr, best, pr->scale);
    fprintf(stderr, "  unassigned %d   ", n_unassigned);
    fflush(stderr);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int read_problem(const char *path, enum vrp_format fmt, struct vrp_problem **out)
{
    struct err e = {0};
    if (vrp_read_file(path, fmt, out, &e)) {
        cli_errorf("%s", e.msg);
        return CLI_FAIL;
    }
    if (!(*out)->name || !(*out)->name[0]) {
        free((*out)->name);
        const char *b = base_name(path);
        const char *dot = strrchr(b, '.');
        (*out)->name = xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
    }
    return CLI_OK;
}

static int cmd_solve(int argc, char **argv)
{
    const char *file = NULL, *out = NULL;
    enum vrp_format fmt = VRP_FMT_AUTO;
    struct vrp_params prm;
    vrp_params_default(&prm);
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        char *end;
        if (cli_is_help(argv[i])) {
            usage_solve(stdout);
            return CLI_OK;
        } else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
            if (vrp_format_parse(v, &fmt)) {
                cli_errorf("unknown format '%s' (auto, cvrplib, solomon, lilim, vroom)", v);
                return CLI_USAGE;
            }
        } else if ((v = opt_value(argc, argv, &i, "--time-limit", &missing))) {
            prm.time_limit_s = strtod(v, &end);
            if (*end || end == v || !isfinite(prm.time_limit_s) || prm.time_limit_s < 0 ||
                prm.time_limit_s > 1e6) {
                cli_errorf("--time-limit: expected seconds, got '%s'", v);
                return CLI_USAGE;
            }
        } else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) {
            unsigned long long s = strtoull(v, &end, 10);
            if (*end || end == v || v[0] == '-') {
                cli_errorf("--seed: expected a non-negative integer, got '%s'", v);
                return CLI_USAGE;
            }
            prm.seed = s;
        } else if ((v = opt_value(argc, argv, &i, "--threads", &missing))) {
            long t = strtol(v, &end, 10);
            if (*end || end == v || t < 1 || t > 256) {
                cli_errorf("--threads: expected 1..256, got '%s'", v);
                return CLI_USAGE;
            }
            prm.threads = (int)t;
        } else if ((v = opt_value(argc, argv, &i, "-o", &missing)) ||
                   (v = opt_value(argc, argv, &i, "--output", &missing))) {
            out = v;
        } else if (missing) {
            cli_errorf("%s needs a value", argv[i]);
            return CLI_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_errorf("route solve: unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else if (!file) {
            file = argv[i];
        } else {
            cli_errorf("route solve: one FILE only");
            return CLI_USAGE;
        }
        if (missing) {
            cli_errorf("%s needs a value", argv[i]);
            return CLI_USAGE;
        }
    }
    if (!file) {
        usage_solve(stderr);
        return CLI_USAGE;
    }
    double t0 = time_mono_s();
    struct vrp_problem *p;
    if (read_problem(file, fmt, &p))
        return CLI_FAIL;
    double load_s = time_mono_s() - t0;
    /* A given limit covers the whole command: reading the file (and building
    ** its matrix) included, with a little room to write the answer. */
    if (prm.time_limit_s > 0) {
        prm.time_limit_s = prm.time_limit_s * 0.99 - load_s;
        if (prm.time_limit_s < 0.05)
            prm.time_limit_s = 0.05;
    }
    struct progress pr = {p->scale, 0, false, isatty(STDERR_FILENO) != 0};
    prm.progress = on_progress;
    prm.progress_arg = &pr;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct vrp_solution *s = NULL;
    struct err e = {0};
    int rc = vrp_solve(p, &prm, &s, &e);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (pr.printed)
        fputc('\n', stderr);
    if (interrupted)
        fprintf(stderr, "ruralink: interrupted: writing the best solution found so far\n");
    if (rc) {
        cli_errorf("solve: %s", e.msg);
        vrp_problem_free(p);
        return CLI_FAIL;
    }
    s->load_s = load_s;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    rc = vrp_write_json(p, s, &sb);
    int status = CLI_OK;
    if (rc) {
        cli_errorf("solution too large to print");
        status = CLI_FAIL;
    } else if (out) {
        if (file_write_atomic(out, sb.buf, sb.len, &e)) {
            cli_errorf("%s", e.msg);
            status = CLI_FAIL;
        }
    } else if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout) != 0) {
        cli_errorf("writing the solution failed");
        status = CLI_FAIL;
    }
    strbuf_release(&sb);
    vrp_solution_free(s);
    vrp_problem_free(p);
    return status;
}

/* summary.cost of the solution document, if it has one. */
static bool reported_cost(const char *buf, size_t len, double *out)
{
    struct json_object *root = NULL, *summary;
    struct err e;
    bool ok = false;
    if (rjson_parse(buf, len, &root, &e) == 0 && root &&
        rjson_get_obj(root, "summary", false, &summary, &e) == 0 &&
        rjson_get_double(summary, "cost", false, out, &e) == 0)
        ok = true;
    json_object_put(root);
    return ok;
}

static int cmd_check(int argc, char **argv)
{
    const char *file = NULL, *sol = NULL;
    enum vrp_format fmt = VRP_FMT_AUTO;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (cli_is_help(argv[i])) {
            usage_check(stdout);
            return CLI_OK;
        } else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
            if (vrp_format_parse(v, &fmt)) {
                cli_errorf("unknown format '%s' (auto, cvrplib, solomon, lilim, vroom)", v);
                return CLI_USAGE;
            }
        } else if (missing) {
            cli_errorf("%s needs a value", argv[i]);
            return CLI_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_errorf("route check: unknown option '%s'", argv[i]);
            return CLI_USAGE;
        } else if (!file) {
            file = argv[i];
        } else if (!sol) {
            sol = argv[i];
        } else {
            cli_errorf("route check: expected FILE SOLUTION");
            return CLI_USAGE;
        }
    }
    if (!file || !sol) {
        usage_check(stderr);
        return CLI_USAGE;
    }
    struct vrp_problem *p;
    if (read_problem(file, fmt, &p))
        return CLI_FAIL;
    struct strbuf sb;
    strbuf_init(&sb, (size_t)1 << 30);
    struct err e = {0};
    struct vrp_check_report rep;
    int rc = file_read_all(sol, &sb, &e);
    if (!rc)
        rc = vrp_check_json(p, sb.buf, sb.len, &rep, &e);
    if (rc) {
        cli_errorf("%s: %s", sol, e.msg);
        strbuf_release(&sb);
        vrp_problem_free(p);
        return CLI_FAIL;
    }
    double rcost = 0;
    bool has_rcost = reported_cost(sb.buf, sb.len, &rcost);
    bool matches = !has_rcost || fabs(rcost * (double)p->scale - (double)rep.cost) <
                                     0.5 + 1e-9 * fabs((double)rep.cost);
    struct strbuf o;
    strbuf_init(&o, 0);
    strbuf_addf(&o, "{\"feasible\":%s,\"cost\":", rep.feasible ? "true" : "false");
    if (p->scale > 1)
        strbuf_addf(&o, "%.4f", (double)rep.cost / (double)p->scale);
    else
        strbuf_addf(&o, "%lld", (long long)rep.cost);
    if (has_rcost)
        strbuf_addf(&o, ",\"reported_cost\":%.10g", rcost);
    strbuf_addf(&o,
                ",\"cost_matches\":%s,\"routes\":%d,\"assigned\":%d,\"unassigned\":%d,"
                "\"violation\":",
                matches ? "true" : "false", rep.n_routes, rep.n_assigned, rep.n_unassigned);
    if (rep.feasible)
        strbuf_addstr(&o, "null");
    else
        strbuf_add_json_str(&o, rep.first_violation, strlen(rep.first_violation));
    strbuf_addstr(&o, "}\n");
    fwrite(o.buf, 1, o.len, stdout);
    fflush(stdout);
    strbuf_release(&o);
    strbuf_release(&sb);
    int ret = CLI_OK;
    if (!rep.feasible) {
        cli_errorf("infeasible: %s", rep.first_violation);
        ret = CLI_FAIL;
    } else if (!matches) {
        cli_errorf("the solution reports cost %.10g, recomputed %.4f", rcost,
                   (double)rep.cost / (double)(p->scale > 0 ? p->scale : 1));
        ret = CLI_FAIL;
    }
    vrp_problem_free(p); /* last: the messages above read it */
    return ret;
}

int cli_route(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "solve") == 0)
        return cmd_solve(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    cli_errorf("route: unknown subcommand '%s' (solve, check)", argv[1]);
    return CLI_USAGE;
}
