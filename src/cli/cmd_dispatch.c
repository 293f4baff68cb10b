/*
** cmd_dispatch.c: `ruralink dispatch --db PATH --date D --depot N
** [--time-limit S] [--county ID] [--seed N]`. Plans the day's deliveries and
** pickups for a depot (logistics_dispatch, acting as the system in the
** county: the first county unless --county), stores the plan as a draft and
** prints {"plan_id":..,"kpis":{..},"unassigned":[..]} on stdout.
*/
#include "cli/app.h"
#include "cli/cli.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "county/county.h"
#include "logistics/logistics.h"

static void help(FILE *to)
{
    fprintf(to, "usage: ruralink dispatch --db PATH --date YYYY-MM-DD --depot NODE_ID\n"
                "                         [--time-limit S] [--county ID] [--seed N]\n\n"
                "Plan a day's deliveries (confirmed and packed orders) and pickups\n"
                "(open consignments of the date) for the depot's vehicles, store the\n"
                "plan as a draft and print its KPIs as JSON. Default time limit 10 s.\n"
                "The date is the county's today or a later one.\n");
}

int cli_dispatch(int argc, char **argv)
{
    const char *db = NULL, *date = NULL;
    int64_t depot = 0, county_id = 0, seed = 1;
    double limit = 10;
    /* every option takes a value: two words a turn */
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            help(stdout);
            return CLI_OK;
        }
        if (!v) {
            cli_errorf("dispatch: %s needs a value (or is unknown)", a);
            return CLI_USAGE;
        }
        int bad = 0;
        if (strcmp(a, "--db") == 0)
            db = v;
        else if (strcmp(a, "--date") == 0)
            date = v;
        else if (strcmp(a, "--depot") == 0)
            bad = str_to_i64(str_from(v), &depot) || depot <= 0;
        else if (strcmp(a, "--county") == 0)
            bad = str_to_i64(str_from(v), &county_id) || county_id <= 0;
        else if (strcmp(a, "--seed") == 0)
            bad = str_to_i64(str_from(v), &seed) || seed < 0;
        else if (strcmp(a, "--time-limit") == 0)
            bad = str_to_double(str_from(v), &limit) || !(limit > 0) ||
                  limit > LOGISTICS_TIME_LIMIT_MAX_S;
        else {
            cli_errorf("dispatch: unknown option %s", a);
            help(stderr);
            return CLI_USAGE;
        }
        if (bad) {
            cli_errorf("dispatch: bad value for %s: %s", a, v);
            return CLI_USAGE;
        }
    }
    int64_t date_ms = 0;
    if (!db || !date || !depot) {
        cli_errorf("dispatch: --db, --date and --depot are required");
        help(stderr);
        return CLI_USAGE;
    }
    if (time_parse_date(date, &date_ms)) {
        cli_errorf("dispatch: --date must be YYYY-MM-DD");
        return CLI_USAGE;
    }
    struct err e = {0};
    struct store *st;
    if (cli_open_existing_store(db, NULL, &st, &e)) {
        cli_errorf("dispatch: %s", e.msg);
        return CLI_FAIL;
    }
    if (!county_id) {
        struct county c;
        if (county_first(st, &c, &e)) {
            store_close(st);
            cli_errorf("dispatch: %s", e.msg);
            return CLI_FAIL;
        }
        county_id = c.id;
    }
    struct auth_principal sys = {.county_id = county_id, .role = AUTH_ROLE_ADMIN};
    snprintf(sys.name, sizeof sys.name, "system");
    struct logistics_dispatch_req req = {.date_ms = date_ms, .depot_node_id = depot};
    logistics_plan_params_default(&req.params);
    req.params.time_limit_s = limit;
    req.params.seed = (uint64_t)seed;
    int64_t id = 0;
    int rc = logistics_dispatch(NULL, st, &sys, &req, &id, &e);
    struct logistics_plan p;
    logistics_plan_init(&p);
    if (!rc)
        rc = logistics_plan_get(st, &sys, id, &p, &e);
    store_close(st);
    if (rc) {
        logistics_plan_release(&p);
        cli_errorf("dispatch: %s", e.msg);
        return rc == ERR_INVAL ? CLI_USAGE : CLI_FAIL;
    }
    struct json_object *full = logistics_plan_to_json(&p, true);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "plan_id", json_object_new_int64(p.id));
    json_object_object_add(o, "solve_s", rjson_new_double(p.solve_s, 4));
    json_object_object_add(o, "kpis", logistics_kpis_to_json(&p.kpis));
    struct json_object *un = NULL;
    json_object_object_get_ex(full, "unassigned", &un);
    json_object_object_add(o, "unassigned", json_object_get(un));
    puts(json_object_to_json_string_ext(o,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    json_object_put(full);
    logistics_plan_release(&p);
    return CLI_OK;
}
