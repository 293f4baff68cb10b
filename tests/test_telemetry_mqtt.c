/* MQTT door: start a local mosquitto broker on an ephemeral 127.0.0.1 port
** (temporary config), let telemetry subscribe, publish line protocol, JSON
** and a bare number, and see the readings stored. Skipped with a message
** when the mosquitto binary is missing (Debian package `mosquitto`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "telemetry/telemetry.h"

static const char *broker_path(void)
{
    static const char *const paths[] = {"/usr/sbin/mosquitto", "/usr/bin/mosquitto",
                                        "/usr/local/sbin/mosquitto"};
    for (size_t i = 0; i < RL_ARRAY_LEN(paths); i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static bool can_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Poll a condition for up to `secs` (readiness, not a timing assumption). */
static void pause_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

static size_t count(struct telemetry *t, const char *key)
{
    int64_t id, *ts;
    double *v;
    size_t n = 0;
    struct err e;
    if (tm_series_find(t, 3, key, &id, &e))
        return 0;
    if (tm_query_raw(t, 3, id, 0, INT64_MAX / 2, 0, &ts, &v, &n, &e))
        return 0;
    free(ts);
    free(v);
    return n;
}

/* A device of county (auth's devices table); its id. */
static int64_t add_device(struct store *st, int64_t county, const char *name)
{
    struct auth_device d;
    char tok[AUTH_TOKEN_LEN];
    struct err e = {0};
    if (auth_device_add(st, NULL, county, name, "gateway", tok, &d, &e))
        fail_msg("device: %s", e.msg);
    return d.id;
}

static void test_mqtt_ingest(void **state)
{
    (void)state;
    const char *bin = broker_path();
    if (!bin) {
        fprintf(stderr, "SKIP: mosquitto binary not found (apt install mosquitto)\n");
        skip();
    }
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/rl-mqtt-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    int port = free_port();
    char conf[300], db[300], log[300];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(db, sizeof db, "%s/t.db", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n", port);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
        FILE *lf = freopen(log, "w", stderr);
        (void)lf;
        execl(bin, bin, "-c", conf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !can_connect(port); i++)
        pause_ms(25);
    assert_true(can_connect(port));

    struct store *st;
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = db;
    cfg.synchronous_full = false;
    struct err e = {0};
    assert_int_equal(store_open(&st, &cfg, &e), 0);
    assert_int_equal(store_add_migrations(st, "auth", auth_migrations, auth_migrations_len, &e), 0);
    assert_int_equal(
        store_add_migrations(st, "telemetry", telemetry_migrations, telemetry_migrations_len, &e),
        0);
    assert_int_equal(store_migrate(st, &e), 0);
    int64_t dev = add_device(st, 3, "gw-1");
    char t_cold[64], t_soil[64], t_ph[64];
    snprintf(t_cold, sizeof t_cold, "ruralink/3/%lld/cold", (long long)dev);
    snprintf(t_soil, sizeof t_soil, "ruralink/3/%lld/soil", (long long)dev);
    snprintf(t_ph, sizeof t_ph, "ruralink/3/%lld/water_ph", (long long)dev);
    struct telemetry *t;
    assert_int_equal(telemetry_new(&t, st, NULL, &e), 0);
    struct tm_mqtt_config mc = {"127.0.0.1", port, NULL, "rl-test-sub"};
    if (tm_mqtt_start(t, &mc, &e))
        fail_msg("mqtt start: %s", e.msg);

    /* publisher: retained messages, so they reach the subscriber whenever
    ** its subscription is in place */
    mosquitto_lib_init();
    struct mosquitto *pub = mosquitto_new("rl-test-pub", true, NULL);
    assert_non_null(pub);
    assert_int_equal(mosquitto_connect(pub, "127.0.0.1", port, 30), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(pub), MOSQ_ERR_SUCCESS);
    const char *lp = "cold,vehicle=M1 temp=3.5 1700000000000\ncold,vehicle=M1 temp=3.7 "
                     "1700000060000\n";
    const char *js = "{\"measurement\":\"soil\",\"tags\":{\"plot\":\"P2\"},\"field\":\"moisture\","
                     "\"value\":0.27,\"ts_ms\":1700000000000}";
    assert_int_equal(mosquitto_publish(pub, NULL, t_cold, (int)strlen(lp), lp, 1, true),
                     MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_publish(pub, NULL, t_soil, (int)strlen(js), js, 1, true),
                     MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_publish(pub, NULL, t_ph, 3, "7.2", 1, true), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_publish(pub, NULL, "ruralink/x/9/bad", 3, "1.0", 1, true),
                     MOSQ_ERR_SUCCESS);
    /* wait (bounded) until the three good messages are stored */
    for (int i = 0; i < 400 && tm_mqtt_received(t) < 3; i++)
        pause_ms(25);
    assert_int_equal(tm_mqtt_received(t), 3);
    assert_int_equal(count(t, "cold,vehicle=M1 temp"), 2);
    assert_int_equal(count(t, "soil,plot=P2 moisture"), 1);
    assert_int_equal(count(t, "water_ph value"), 1);
    /* tm_mqtt_handle directly: bad topics and payloads are refused */
    assert_int_equal(tm_mqtt_handle(t, "other/3/9/x", "1", 1, &e), ERR_INVAL);
    char t_x[64];
    snprintf(t_x, sizeof t_x, "ruralink/3/%lld/x", (long long)dev);
    assert_int_equal(tm_mqtt_handle(t, t_x, "x y z", 5, &e), ERR_INVAL);

    mosquitto_loop_stop(pub, true);
    mosquitto_destroy(pub);
    telemetry_free(t);
    store_close(st);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

/* A store and telemetry handle in a fresh temporary folder (no broker). */
struct mfx {
    char dir[256];
    struct store *st;
    struct telemetry *t;
};

static void mfx_open(struct mfx *m)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(m->dir, sizeof m->dir, "%s/rl-mqtt-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(m->dir));
    char db[300];
    snprintf(db, sizeof db, "%s/t.db", m->dir);
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.path = db;
    cfg.synchronous_full = false;
    struct err e = {0};
    assert_int_equal(store_open(&m->st, &cfg, &e), 0);
    assert_int_equal(store_add_migrations(m->st, "auth", auth_migrations, auth_migrations_len, &e),
                     0);
    assert_int_equal(store_add_migrations(m->st, "telemetry", telemetry_migrations,
                                          telemetry_migrations_len, &e),
                     0);
    assert_int_equal(store_migrate(m->st, &e), 0);
    assert_int_equal(telemetry_new(&m->t, m->st, NULL, &e), 0);
}

static void mfx_close(struct mfx *m)
{
    telemetry_free(m->t);
    store_close(m->st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", m->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", m->dir);
}

/* A bare number reads like a line-protocol float: white space around it is
** fine ("21.5\r\n" from a gateway), hex and inf/nan are not numbers. */
static void test_mqtt_bare_numbers(void **state)
{
    (void)state;
    struct mfx m;
    mfx_open(&m);
    struct err e = {0};
    int64_t dev = add_device(m.st, 3, "gw-1");
    char topic[64], topic2[64];
    snprintf(topic, sizeof topic, "ruralink/3/%lld/bare", (long long)dev);
    snprintf(topic2, sizeof topic2, "ruralink/3/%lld/bare2", (long long)dev);
    assert_int_equal(tm_mqtt_handle(m.t, topic, "21.5\r\n", 6, &e), 0);
    assert_int_equal(tm_mqtt_handle(m.t, topic2, " -1e1 \n", 7, &e), 0);
    assert_int_equal(count(m.t, "bare value"), 1); /* (stamped now: one series each) */
    assert_int_equal(count(m.t, "bare2 value"), 1);
    static const char *const bad[] = {"0x1A", "inf", "nan", "1,5", "0x1p3"};
    for (size_t i = 0; i < RL_ARRAY_LEN(bad); i++) {
        if (tm_mqtt_handle(m.t, topic, bad[i], strlen(bad[i]), &e) != ERR_INVAL)
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(count(m.t, "bare value"), 1);
    mfx_close(&m);
}

/* The topic's device must be a device of the topic's county, enabled: an
** unknown id, another county's device or a disabled one is dropped (the
** broker's ACL is not the only guard). */
static void test_mqtt_device_checked(void **state)
{
    (void)state;
    struct mfx m;
    mfx_open(&m);
    struct err e = {0};
    int64_t ok = add_device(m.st, 3, "gw-ok");
    int64_t other = add_device(m.st, 4, "gw-other");
    int64_t off = add_device(m.st, 3, "gw-off");
    struct auth_device d;
    assert_int_equal(auth_device_set_disabled(NULL, m.st, NULL, 3, off, true, &d, &e), 0);
    char topic[80];
    const int64_t refused[] = {off, other, other + 1000, 0};
    for (size_t i = 0; i < RL_ARRAY_LEN(refused); i++) {
        snprintf(topic, sizeof topic, "ruralink/3/%lld/dv", (long long)refused[i]);
        if (tm_mqtt_handle(m.t, topic, "cold v=1 1700000000000", 22, &e) != ERR_AUTH)
            fail_msg("device %lld accepted", (long long)refused[i]);
    }
    assert_int_equal(count(m.t, "cold v"), 0);
    snprintf(topic, sizeof topic, "ruralink/3/%lld/dv", (long long)ok);
    assert_int_equal(tm_mqtt_handle(m.t, topic, "cold v=1 1700000000000", 22, &e), 0);
    /* (the cached answer serves the next message) */
    assert_int_equal(tm_mqtt_handle(m.t, topic, "cold v=2 1700000001000", 22, &e), 0);
    assert_int_equal(count(m.t, "cold v"), 2);
    mfx_close(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mqtt_ingest),
        cmocka_unit_test(test_mqtt_bare_numbers),
        cmocka_unit_test(test_mqtt_device_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
