/*
** cmd_route.c: `ruralink route`, the command-line face of the vrp engine.
**
**   ruralink route solve FILE [--format F] [--time-limit S] [--seed N]
**                             [--threads N] [-o OUT]
**   ruralink route check FILE SOLUTION [--format F]
**
** `solve` prints VROOM-shaped solution JSON on stdout (or writes OUT
** atomically; "-" is stdout) and, when stderr is a terminal, a progress
** line there. Numeric options use the parsers `dispatch` and `site` use and
** are refused (exit 2) when malformed or out of range. An
** interrupt (Ctrl-C, SIGTERM) stops the search early; the best solution so
** far is still written.
** `check` replays a solution through the engine's trusted evaluator, prints
** {feasible, cost, reported_cost, cost_matches, routes, assigned,
** unassigned, violation, required_unserved, passed, reason, note} and exits
** 1 when the solution breaks a constraint, leaves out a task that is not
** optional, or reports a cost other than the recomputed one. Without a
** reported cost nothing is compared and cost_matches is null: "true" there
** once let a solution serving nobody pass.
*/
#include "cli/cli.h"
#include "vrp/vrp.h"

#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bounds of `route solve` options, shown in --help and in the refusals. A
** benchmark run may be long, hence far above dispatch's 600 s. */
#define ROUTE_TIME_LIMIT_MAX_S 1e6
#define ROUTE_THREADS_MAX 256

static void usage_solve(FILE *to)
{
    fprintf(to,
            "usage: ruralink route solve FILE [options]\n\n"
            "Solve a vehicle routing problem and print the solution as VROOM-shaped JSON.\n\n"
            "  --format F       auto (default), cvrplib, solomon, lilim, vroom\n"
            "  --time-limit S   seconds for the whole command, reading included, in\n"
            "                   (0, %.0f] (default: a search time by problem size).\n"
            "                   The first solution stops at the limit too (the tasks\n"
            "                   left go in quickly, near their neighbours), but reading\n"
            "                   and neighbour lists are not cut short: 10,000\n"
            "                   customers take about 4 s with a 1 s limit.\n"
            "  --seed N         random seed in [0, %lld] (default 1)\n"
            "  --threads N      search threads in [1, %d] (default 1)\n"
            "  -o, --output OUT write the JSON to OUT (atomically) instead of stdout;\n"
            "                   '-' is stdout\n\n"
            "A malformed or out-of-range value is refused with exit status 2.\n",
            ROUTE_TIME_LIMIT_MAX_S, (long long)INT64_MAX, ROUTE_THREADS_MAX);
}

static void usage_check(FILE *to)
{
    fprintf(to, "usage: ruralink route check FILE SOLUTION [--format F]\n\n"
                "Verify a solution (VROOM-shaped JSON) against the problem in FILE with the\n"
                "engine's trusted evaluator, independently of the solver, and print one JSON\n"
                "object:\n\n"
                "  feasible           no constraint broken by the routes (nor a task both\n"
                "                     routed and in the solution's \"unassigned\" list)\n"
                "  cost               recomputed cost, optional tasks' penalties included\n"
                "  reported_cost      the solution's summary.cost (absent when it has none)\n"
                "  cost_matches       true/false; null when no cost was reported (not compared)\n"
                "  routes, assigned, unassigned   counts, recomputed\n"
                "  violation          the first broken constraint, or null\n"
                "  required_unserved  tasks that must be served but are not: every customer\n"
                "                     of CVRPLIB, Solomon and Li & Lim files; VROOM jobs and\n"
                "                     shipment halves without \"optional\": true\n"
                "  passed             the verdict: feasible, required_unserved 0, and the\n"
                "                     reported cost (if any) matches\n"
                "  reason             why it did not pass, or null\n"
                "  note               e.g. that no cost was compared, or null\n\n"
                "Exit status 0 when passed, 1 when not (the reason is also on stderr) or when\n"
                "the solution cannot be read (malformed JSON, a summary.cost that is not a\n"
                "number: nothing printed on stdout), 2 on usage errors.\n");
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
        if (cli_is_help(argv[i])) {
            usage_solve(stdout);
            return CLI_OK;
        } else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
            if (vrp_format_parse(v, &fmt)) {
                cli_errorf("unknown format '%s' (auto, cvrplib, solomon, lilim, vroom)", v);
                return CLI_USAGE;
            }
        } else if ((v = opt_value(argc, argv, &i, "--time-limit", &missing))) {
            /* The parsers `dispatch` and `site` use (no leading space, no
            ** trailing text, no overflow). 0 is refused rather than read as
            ** vrp_params' "default by size": leaving the option out says that. */
            if (str_to_double(str_from(v), &prm.time_limit_s) || !(prm.time_limit_s > 0) ||
                prm.time_limit_s > ROUTE_TIME_LIMIT_MAX_S) {
                cli_errorf("route solve: --time-limit must be a number of seconds in (0, %.0f], "
                           "got '%s'",
                           ROUTE_TIME_LIMIT_MAX_S, v);
                return CLI_USAGE;
            }
        } else if ((v = opt_value(argc, argv, &i, "--seed", &missing))) {
            /* int64 like `dispatch --seed` and the API's seed, so one seed
            ** means the same run everywhere; strtoull used to wrap silently. */
            int64_t seed;
            if (str_to_i64(str_from(v), &seed) || seed < 0) {
                cli_errorf("route solve: --seed must be an integer in [0, %lld], got '%s'",
                           (long long)INT64_MAX, v);
                return CLI_USAGE;
            }
            prm.seed = (uint64_t)seed;
        } else if ((v = opt_value(argc, argv, &i, "--threads", &missing))) {
            int64_t t;
            if (str_to_i64(str_from(v), &t) || t < 1 || t > ROUTE_THREADS_MAX) {
                cli_errorf("route solve: --threads must be an integer in [1, %d], got '%s'",
                           ROUTE_THREADS_MAX, v);
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
    } else if (out && strcmp(out, "-") != 0) {
        /* "-" is standard output, as for most tools; file_write_atomic
        ** would create a file named "-". */
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

/*
** summary.cost of the solution document: 0 with *out, ERR_NOTFOUND when
** there is no summary or no cost in it (JSON null counts as absent), else
** ERR_INVAL with a message. A cost that is there but unreadable is an input
** error rather than "nothing to compare": it used to pass as a match.
*/
static int reported_cost(const char *buf, size_t len, double *out, struct err *e)
{
    struct json_object *root = NULL, *summary = NULL;
    int rc = rjson_parse(buf, len, &root, e);
    if (!rc)
        rc = rjson_get_obj(root, "summary", false, &summary, e);
    if (!rc) {
        rc = rjson_get_double(summary, "cost", false, out, e);
        if (rc && rc != ERR_NOTFOUND)
            err_prefix(e, "summary: ");
    }
    json_object_put(root);
    return rc;
}

/* A cost in engine units as the problem's files write it. */
static void cost_str(char *buf, size_t n, int64_t v, int64_t scale)
{
    if (scale > 1)
        snprintf(buf, n, "%.4f", (double)v / (double)scale);
    else
        snprintf(buf, n, "%lld", (long long)v);
}

static void add_json_str_or_null(struct strbuf *o, const char *s)
{
    if (s && s[0])
        strbuf_add_json_str(o, s, strlen(s));
    else
        strbuf_addstr(o, "null");
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
    double rcost = 0;
    int crc = ERR_NOTFOUND;
    int rc = file_read_all(sol, &sb, &e);
    if (!rc)
        rc = vrp_check_json(p, sb.buf, sb.len, &rep, &e);
    if (!rc) {
        crc = reported_cost(sb.buf, sb.len, &rcost, &e);
        if (crc != ERR_NOTFOUND)
            rc = crc;
    }
    strbuf_release(&sb);
    if (rc) {
        cli_errorf("%s: %s", sol, e.msg);
        vrp_problem_free(p);
        return CLI_FAIL;
    }
    bool has_rcost = crc == 0;
    bool matches = has_rcost && fabs(rcost * (double)p->scale - (double)rep.cost) <
                                    0.5 + 1e-9 * fabs((double)rep.cost);
    char cost[48], reason[400] = "";
    cost_str(cost, sizeof cost, rep.cost, p->scale);
    /* One reason, the most basic first: broken constraints, then required
    ** tasks left out (a plan serving nobody breaks no constraint), then the
    ** cost. */
    if (!rep.feasible)
        snprintf(reason, sizeof reason, "infeasible: %s", rep.first_violation);
    else if (rep.n_required_unserved > 0)
        snprintf(reason, sizeof reason, "%d required task%s not served (first: %s)",
                 rep.n_required_unserved, rep.n_required_unserved == 1 ? " is" : "s are",
                 rep.first_required_unserved);
    else if (has_rcost && !matches)
        snprintf(reason, sizeof reason, "the solution reports cost %.10g, recomputed %s", rcost,
                 cost);
    bool passed = !reason[0];
    struct strbuf o;
    strbuf_init(&o, 0);
    strbuf_addf(&o, "{\"feasible\":%s,\"cost\":%s", rep.feasible ? "true" : "false", cost);
    if (has_rcost)
        strbuf_addf(&o, ",\"reported_cost\":%.10g", rcost);
    strbuf_addf(&o,
                ",\"cost_matches\":%s,\"routes\":%d,\"assigned\":%d,\"unassigned\":%d,"
                "\"violation\":",
                has_rcost ? (matches ? "true" : "false") : "null", rep.n_routes, rep.n_assigned,
                rep.n_unassigned);
    add_json_str_or_null(&o, rep.feasible ? NULL : rep.first_violation);
    strbuf_addf(&o, ",\"required_unserved\":%d,\"passed\":%s,\"reason\":", rep.n_required_unserved,
                passed ? "true" : "false");
    add_json_str_or_null(&o, reason);
    strbuf_addstr(&o, ",\"note\":");
    add_json_str_or_null(&o, has_rcost ? NULL
                                       : "the solution has no summary.cost: no cost was compared");
    strbuf_addstr(&o, "}\n");
    fwrite(o.buf, 1, o.len, stdout);
    fflush(stdout);
    strbuf_release(&o);
    if (!passed)
        cli_errorf("%s", reason);
    vrp_problem_free(p);
    return passed ? CLI_OK : CLI_FAIL;
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
