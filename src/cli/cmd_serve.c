/*
** cmd_serve.c: `ruralink serve`: open (and migrate) the database, optionally
** seed the demo county, start the HTTP server, print its address, and run
** until SIGINT or SIGTERM. Then stop accepting, let requests in flight finish,
** close the store (which commits every queued write) and exit 0.
**
** Signals are blocked in every thread (set before any thread starts) and
** taken synchronously with sigwait() in the main thread: no signal handler.
*/
#include "cli/app.h"
#include "cli/cli.h"

#ifdef RL_HAVE_HTTP
#include "http/http.h"
#ifdef RL_HAVE_JOBS
#include "jobs/jobs.h"
#endif
#endif
#ifdef RL_HAVE_DEMO
#include "demo/demo.h"
#endif
#ifdef RL_HAVE_TELEMETRY
#include "telemetry/telemetry.h"
#endif
#ifdef RL_HAVE_LOGISTICS
#include "logistics/logistics.h"
#endif
#ifdef RL_HAVE_MARKET
#include "market/market.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RL_HAVE_HTTP
int cli_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_errorf("'serve' is not available in this build (no http module)");
    return CLI_FAIL;
}
#else

static const char *const demo_logins[] = {"admin",   "operator", "merchant", "driver",
                                          "auditor", "trainer",  "buyer"};

static void usage(FILE *to)
{
    fprintf(to, "usage: ruralink serve [options]\n\n"
                "Serve the HTTP API, the dashboard and the ingest endpoints.\n\n"
                "  --db PATH          database file (default ruralink.db; created and migrated)\n"
                "  --listen ADDR      HOST:PORT to listen on (default 127.0.0.1:8080; port 0\n"
                "                     picks a free one)\n"
                "  --demo             seed the demo county when the database is empty and\n"
                "                     accept its demo logins (password ruralink-demo)\n"
                "  --web-root DIR     dashboard files (default ./web/dist if present, else ./web)\n"
                "  --max-body BYTES   largest request body (default 1048576)\n"
                "  --threads N        HTTP I/O threads (default: number of cores)\n"
                "  --handler-threads N  threads running non-GET handlers, so that many\n"
                "                     writes can share a group commit (default 32; 0 runs\n"
                "                     every handler on the I/O threads)\n"
                "  --cache-mb N       response cache for cacheable GETs (default 32; 0 = off)\n"
                "  --tls-cert FILE    PEM certificate; with --tls-key serves HTTPS\n"
                "  --tls-key FILE     PEM private key\n"
                "  --trust-proxy ADDR the address of a reverse proxy in front: requests from\n"
                "                     it count as coming from the last X-Forwarded-For\n"
                "                     address (login limits, logs); others' headers are ignored\n"
                "  --log-level L      debug, info, warn, error or off (default info)\n"
                "  --mqtt HOST:PORT   subscribe to ruralink/<county>/<device>/<measurement>\n"
                "                     on this MQTT broker (telemetry ingest)\n"
                "  --housekeeping-seconds N  how often the server closes live sessions\n"
                "                     whose end has passed, returning unsold flash stock,\n"
                "                     raises late alerts for routes more than 20 min late\n"
                "                     (an overdue next stop counts) and closes them once\n"
                "                     back on time, and reopens consignments whose pickup\n"
                "                     was not reported by the end of their plan's day\n"
                "                     (default 60; also once at start)\n"
                "  --print-routes     print every served route (METHOD PATTERN) and exit\n"
                "  -h, --help         this text\n\n"
                "Stops cleanly on SIGINT/SIGTERM: requests in flight finish and every\n"
                "acknowledged write is on disk.\n");
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int need_arg(int argc, char **argv, int i)
{
    if (i + 1 >= argc) {
        cli_errorf("serve: %s needs a value", argv[i]);
        return -1;
    }
    return 0;
}

#ifdef RL_HAVE_MARKET
/* Work the server does on its own: close the live sessions whose end has
** passed, so their unsold flash stock goes back to the lots
** (market_sessions_close_ended), raise the late alert of each of today's
** routes whose next stop is overdue though no GPS fix said so, close it
** once the route is back on time, and reopen the consignments whose pickup
** nobody reported by the end of their plan's day (logistics_track_sweep).
** Once before the server answers anything
** (what ended while it was down is settled before a client can look), then
** once a minute. */
struct housekeeping {
    struct app *app;
    struct log *log;
    int every_s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, started;
};

static void housekeeping_once(struct housekeeping *h)
{
    struct err e = {0};
    int closed = 0;
    if (market_sessions_close_ended(h->app->store, 0, &closed, &e) != 0)
        log_write(h->log, LOG_WARN, "serve.housekeeping", "task=close_sessions error=\"%s\"",
                  e.msg);
    else if (closed)
        log_write(h->log, LOG_INFO, "serve.housekeeping", "task=close_sessions closed=%d", closed);
#ifdef RL_HAVE_LOGISTICS
    /* A route whose next stop is overdue is late, GPS fix or not, and back
    ** on time once its reports say so; the threshold is the documented
    ** default (LOGISTICS_LATE_AFTER_S, 20 min, as a GPS fix's). Pickups
    ** nobody reported by the end of their plan's day are open again. */
    struct logistics_sweep_result sw;
    err_clear(&e);
    if (logistics_track_sweep(h->app->store, 0, LOGISTICS_LATE_AFTER_S, &sw, &e) != 0)
        log_write(h->log, LOG_WARN, "serve.housekeeping", "task=late_routes error=\"%s\"", e.msg);
    else if (sw.raised || sw.closed || sw.released)
        log_write(h->log, LOG_INFO, "serve.housekeeping",
                  "task=late_routes raised=%d closed=%d consignments_reopened=%d", sw.raised,
                  sw.closed, sw.released);
#endif
}

static void *housekeeping_main(void *arg)
{
    struct housekeeping *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += h->every_s;
        while (!h->stop && pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT)
            ;
        if (h->stop)
            break;
        pthread_mutex_unlock(&h->mu);
        housekeeping_once(h);
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void housekeeping_start(struct housekeeping *h, struct app *app, struct log *lg, int every_s)
{
    memset(h, 0, sizeof *h);
    h->app = app;
    h->log = lg;
    h->every_s = every_s;
    pthread_mutex_init(&h->mu, NULL);
    /* The monotonic clock: a wall clock set back must not stop the ticks. */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    housekeeping_once(h);
    h->started = pthread_create(&h->thread, NULL, housekeeping_main, h) == 0;
    if (!h->started)
        log_write(lg, LOG_WARN, "serve.housekeeping", "error=\"cannot start its thread\"");
}

static void housekeeping_stop(struct housekeeping *h)
{
    if (!h->started)
        return;
    pthread_mutex_lock(&h->mu);
    h->stop = true;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    h->started = false;
}
#endif

int cli_serve(int argc, char **argv)
{
#ifdef RL_HAVE_MARKET
    struct housekeeping hk = {0};
#endif
    const char *db = "ruralink.db";
    const char *log_level = "info";
    struct http_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.listen = "127.0.0.1:8080";
    cfg.max_body = (size_t)1 << 20;
    bool print_routes = false;
    const char *mqtt = NULL;
    int housekeeping_s = 60;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--demo") == 0) {
            cfg.demo = true;
        } else if (strcmp(a, "--print-routes") == 0) {
            print_routes = true;
        } else if (strcmp(a, "--db") == 0 || strcmp(a, "--listen") == 0 ||
                   strcmp(a, "--web-root") == 0 || strcmp(a, "--max-body") == 0 ||
                   strcmp(a, "--threads") == 0 || strcmp(a, "--handler-threads") == 0 ||
                   strcmp(a, "--cache-mb") == 0 || strcmp(a, "--housekeeping-seconds") == 0 ||
                   strcmp(a, "--tls-cert") == 0 || strcmp(a, "--tls-key") == 0 ||
                   strcmp(a, "--log-level") == 0 || strcmp(a, "--mqtt") == 0 ||
                   strcmp(a, "--trust-proxy") == 0) {
            if (need_arg(argc, argv, i))
                return CLI_USAGE;
            const char *v = argv[++i];
            if (strcmp(a, "--db") == 0) {
                db = v;
            } else if (strcmp(a, "--listen") == 0) {
                cfg.listen = v;
            } else if (strcmp(a, "--web-root") == 0) {
                cfg.web_root = v;
            } else if (strcmp(a, "--tls-cert") == 0) {
                cfg.tls_cert = v;
            } else if (strcmp(a, "--tls-key") == 0) {
                cfg.tls_key = v;
            } else if (strcmp(a, "--log-level") == 0) {
                log_level = v;
            } else if (strcmp(a, "--mqtt") == 0) {
                mqtt = v;
            } else if (strcmp(a, "--trust-proxy") == 0) {
                unsigned char bin[16];
                if (inet_pton(AF_INET, v, bin) != 1 && inet_pton(AF_INET6, v, bin) != 1) {
                    cli_errorf("serve: --trust-proxy needs an IP address, not '%s'", v);
                    return CLI_USAGE;
                }
                cfg.trusted_proxy = v;
            } else {
                int64_t n;
                bool body = strcmp(a, "--max-body") == 0;
                bool handlers = strcmp(a, "--handler-threads") == 0;
                bool cache = strcmp(a, "--cache-mb") == 0;
                bool every = strcmp(a, "--housekeeping-seconds") == 0;
                int64_t min = handlers || cache ? 0 : 1;
                int64_t max = body                ? (int64_t)1 << 32
                              : every             ? 86400
                              : handlers || cache ? 1024
                                                  : 256;
                if (str_to_i64(str_from(v), &n) != 0 || n < min || n > max) {
                    cli_errorf("serve: %s must be an integer from %lld to %lld", a, (long long)min,
                               (long long)max);
                    return CLI_USAGE;
                }
                if (body)
                    cfg.max_body = (size_t)n;
                else if (handlers)
                    cfg.handler_threads = n == 0 ? -1 : (int)n;
                else if (cache)
                    cfg.cache_mb = n == 0 ? -1 : (int)n;
                else if (every)
                    housekeeping_s = (int)n;
                else
                    cfg.threads = (int)n;
            }
        } else {
            cli_errorf("serve: unknown option '%s' (see ruralink serve --help)", a);
            return CLI_USAGE;
        }
    }
    if (print_routes) {
        size_t n = http_route_count();
        for (size_t i = 0; i < n; i++) {
            const struct http_route *r = http_route_at(i);
            printf("%s %s\n", r->method, r->pattern);
        }
        return CLI_OK;
    }
    if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL)) {
        cli_errorf("serve: --tls-cert and --tls-key go together");
        return CLI_USAGE;
    }
    if (!cfg.web_root)
        cfg.web_root = is_dir("web/dist") ? "web/dist" : is_dir("web") ? "web" : NULL;
    else if (!is_dir(cfg.web_root)) {
        cli_errorf("serve: --web-root %s is not a folder", cfg.web_root);
        return CLI_USAGE;
    }
    enum log_level lvl;
    if (log_level_parse(log_level, &lvl) != 0) {
        cli_errorf("serve: unknown log level '%s'", log_level);
        return CLI_USAGE;
    }
    /* Everything that can be refused is, before the database is opened (or
    ** created, or seeded with the demo): a typo must leave nothing behind. */
    struct err ce = {0};
    if (http_config_check(&cfg, &ce) != 0) {
        cli_errorf("serve: %s", ce.msg);
        return CLI_USAGE;
    }
    char mqtt_host[256] = "";
    int64_t mqtt_port = 1883;
    if (mqtt) {
        const char *c = strrchr(mqtt, ':');
        snprintf(mqtt_host, sizeof mqtt_host, "%.*s", c ? (int)(c - mqtt) : (int)strlen(mqtt),
                 mqtt);
        if (!mqtt_host[0] || (c && (str_to_i64(str_from(c + 1), &mqtt_port) != 0 || mqtt_port < 1 ||
                                    mqtt_port > 65535))) {
            cli_errorf("serve: --mqtt must be HOST:PORT (port 1..65535)");
            return CLI_USAGE;
        }
    }

    /* Block the stop signals in every thread; the main thread sigwait()s. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct log *lg = NULL;
    log_new(&lg, stderr, lvl);
    struct err e;
    err_clear(&e);
    struct app app;
    memset(&app, 0, sizeof app);
    app.log = lg;
    app.cfg = cfg;
    app.started_ms = time_now_ms();
    int status = CLI_FAIL;
    struct http_server *srv = NULL;

    if (cli_open_store(db, lg, &app.store, &e) != 0) {
        cli_errorf("serve: %s", e.msg);
        goto out;
    }
#ifdef RL_HAVE_AUTH
    struct auth_config acfg;
    memset(&acfg, 0, sizeof acfg);
    if (auth_new(&app.auth, &acfg, &e) != 0) {
        cli_errorf("serve: %s", e.msg);
        goto out;
    }
#endif
#ifdef RL_HAVE_JOBS
    /* One solver worker: route solves are CPU-bound and a county server has
    ** few cores; more queue rather than fight the HTTP threads. */
    struct jobs *jobs = NULL;
    if (jobs_new(&jobs, 1, 32, 256, &e) != 0) {
        cli_errorf("serve: %s", e.msg);
        goto out;
    }
    app.jobs = jobs;
#endif
    if (cfg.demo) {
#ifdef RL_HAVE_DEMO
        if (demo_seed(app.store, lg, &e) != 0) {
            cli_errorf("serve: demo county: %s", e.msg);
            goto out;
        }
#else
        /* TODO(demo): src/demo is not in this build yet; --demo only marks
        ** /api/v1/health until demo_seed() lands. */
        fprintf(stderr, "ruralink: warning: this build has no demo module; "
                        "the database was not seeded\n");
#endif
    }
#ifdef RL_HAVE_LOGISTICS
    struct logistics *lgx = NULL;
    if (logistics_new(&lgx, &e) != 0) {
        cli_errorf("serve: logistics: %s", e.msg);
        goto out;
    }
    app.logistics = lgx;
#endif
#ifdef RL_HAVE_TELEMETRY
    struct telemetry_config tcfg;
    memset(&tcfg, 0, sizeof tcfg);
    tcfg.log = lg;
    tcfg.webhooks = true;
    struct telemetry *tel = NULL;
    if (telemetry_new(&tel, app.store, &tcfg, &e) != 0) {
        cli_errorf("serve: telemetry: %s", e.msg);
        goto out;
    }
    app.telemetry = tel;
    if (mqtt) {
        struct tm_mqtt_config mc = {mqtt_host, (int)mqtt_port, NULL, "ruralink-serve"};
        if (tm_mqtt_start(tel, &mc, &e) != 0) {
            cli_errorf("serve: %s", e.msg);
            goto out;
        }
    }
#else
    if (mqtt) {
        cli_errorf("serve: --mqtt needs the telemetry module");
        goto out;
    }
#endif
#ifdef RL_HAVE_MARKET
    housekeeping_start(&hk, &app, lg, housekeeping_s);
#else
    (void)housekeeping_s;
#endif
    if (http_start(&srv, &app, &e) != 0) {
        cli_errorf("serve: %s", e.msg);
        goto out;
    }
    const char *host = cfg.listen;
    const char *colon = strrchr(host, ':');
    int hlen = colon ? (int)(colon - host) : 0;
    printf("ruralink %s serving on %s://%.*s:%d/ (database %s)\n", RL_VERSION,
           cfg.tls_cert ? "https" : "http", hlen ? hlen : 7, hlen ? host : "0.0.0.0",
           http_port(srv), db);
    if (cfg.demo) {
        printf("\n  *** DEMO CREDENTIALS IN USE: anyone can log in. Do not expose this. ***\n"
               "  logins:");
        for (size_t i = 0; i < RL_ARRAY_LEN(demo_logins); i++)
            printf(" %s", demo_logins[i]);
        printf("\n  password: ruralink-demo\n\n");
    }
    fflush(stdout);
    log_write(lg, LOG_INFO, "serve.start", "port=%d db=%s demo=%s", http_port(srv), db,
              cfg.demo ? "true" : "false");

    int sig = 0;
    sigwait(&stop, &sig);
    log_write(lg, LOG_INFO, "serve.stop", "signal=%d", sig);
    status = CLI_OK;
out:
#ifdef RL_HAVE_MARKET
    housekeeping_stop(&hk);
#endif
    http_stop(srv);
#ifdef RL_HAVE_JOBS
    jobs_free(app.jobs);
#endif
#ifdef RL_HAVE_LOGISTICS
    logistics_free(app.logistics); /* after the jobs that may use its cache */
#endif
#ifdef RL_HAVE_TELEMETRY
    telemetry_free(app.telemetry);
#endif
    store_close(app.store);
#ifdef RL_HAVE_AUTH
    auth_free(app.auth);
#endif
    if (status == CLI_OK)
        log_write(lg, LOG_INFO, "serve.stopped", "clean=true");
    log_free(lg);
    return status;
}
#endif
