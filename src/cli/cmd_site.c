/*
** cmd_site.c: `ruralink site solve FILE`: p-median on an OR-Library file,
** printing {"cost", "medians", "optimal", ...} as JSON.
*/
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "site/site.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: ruralink site solve FILE [--time-limit S] [--seed N] [--no-exact] [-o OUT]\n"
            "\n"
            "Choose p sites minimising the total distance of every vertex to its nearest\n"
            "chosen site (p-median), reading an OR-Library p-median file (n m p, then\n"
            "m edges i j cost). Prints JSON: cost, medians (1-based vertices), optimal\n"
            "(proven by GLPK's bound on small cases), lower_bound, time_s.\n"
            "\n"
            "  --time-limit S  stop the search after S seconds (default 10, at most 1e6)\n"
            "  --seed N        random seed (default 1); same seed, same answer\n"
            "  --no-exact      skip GLPK (bounds and exact solving on small cases)\n"
            "  -o OUT          write the JSON to OUT (atomically) instead of stdout\n"
            "  -h, --help      this help\n");
}

static int parse_double(const char *s, double *out)
{
    return str_to_double(str_from(s), out);
}

int cli_site(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "solve") != 0) {
        cli_errorf("unknown site command '%s' (try: ruralink site --help)", argv[1]);
        return CLI_USAGE;
    }
    struct site_params prm;
    site_params_default(&prm);
    const char *file = NULL, *out_path = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--time-limit") == 0 && i + 1 < argc) {
            /* Bounded like dispatch's: a limit in ms beyond an int once
            ** reached GLPK overflowed and aborted the process. */
            const char *v = argv[++i];
            if (parse_double(v, &prm.time_limit_s) || !(prm.time_limit_s > 0) ||
                prm.time_limit_s > SITE_TIME_LIMIT_MAX_S) {
                cli_errorf("site solve: bad value for --time-limit: %s (seconds, in (0, %.0f])", v,
                           SITE_TIME_LIMIT_MAX_S);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            int64_t v;
            if (str_to_i64(str_from(argv[++i]), &v) || v < 0) {
                cli_errorf("--seed needs a non-negative integer");
                return CLI_USAGE;
            }
            prm.seed = (uint64_t)v;
        } else if (strcmp(a, "--no-exact") == 0) {
            prm.exact = false;
        } else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            cli_errorf("unknown or incomplete option '%s'", a);
            return CLI_USAGE;
        } else if (!file) {
            file = a;
        } else {
            cli_errorf("more than one input file");
            return CLI_USAGE;
        }
    }
    if (!file) {
        cli_errorf("site solve needs an input FILE");
        return CLI_USAGE;
    }
    struct err e = {0};
    struct site_problem *p = NULL;
    struct site_solution *s = NULL;
    /* The limit covers the whole command: reading (shortest paths) included,
    ** with a little room for writing the answer. */
    double t0 = time_mono_s(), limit = prm.time_limit_s;
    int rc_read = site_read_file(file, &p, &e);
    if (!rc_read) {
        prm.time_limit_s = limit * 0.98 - (time_mono_s() - t0);
        if (prm.time_limit_s < 0.05)
            prm.time_limit_s = 0.05;
    }
    if (rc_read || site_solve(p, &prm, &s, &e)) {
        cli_errorf("%s", e.msg);
        site_problem_free(p);
        return CLI_FAIL;
    }
    struct strbuf sb;
    strbuf_init(&sb, 0);
    site_write_json(p, s, &sb);
    strbuf_addch(&sb, '\n');
    int rc = CLI_OK;
    if (out_path) {
        if (file_write_atomic(out_path, sb.buf, sb.len, &e)) {
            cli_errorf("%s", e.msg);
            rc = CLI_FAIL;
        }
    } else {
        fwrite(sb.buf, 1, sb.len, stdout);
    }
    strbuf_release(&sb);
    site_solution_free(s);
    site_problem_free(p);
    return rc;
}
