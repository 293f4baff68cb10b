/*
** mqtt.c: the MQTT door (libmosquitto client).
**
** Topic scheme:  ruralink/<county_id>/<device_id>/<measurement>
** Payload, one of:
**   - InfluxDB line protocol (one or more lines; the topic's measurement is
**     not used, each line names its own), timestamps in ms;
**   - JSON: a reading object, an array of them or {"readings": [...]}, as
**     POST /api/v1/telemetry/readings takes;
**   - a bare number: one reading of <measurement>, field "value", now.
** Messages go through the same tm_ingest path as HTTP. With QoS 1 a message
** may arrive twice; a reading with the same series and timestamp replaces
** the stored one, so a redelivery never duplicates (bare numbers carry no
** timestamp: publish line protocol or JSON with "ts" where that matters).
** Who may publish to which topic is the broker's business (mosquitto's
** password file and ACL: one user per device, write to its own topic).
*/
#include "telemetry/telemetry_int.h"

#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

static int parse_topic(const char *topic, int64_t *county, int64_t *device, char *meas, size_t cap)
{
    if (strncmp(topic, "ruralink/", 9))
        return ERR_INVAL;
    const char *p = topic + 9;
    char *end;
    long long c = strtoll(p, &end, 10);
    if (end == p || *end != '/' || c <= 0)
        return ERR_INVAL;
    p = end + 1;
    long long d = strtoll(p, &end, 10);
    if (end == p || *end != '/' || d < 0)
        return ERR_INVAL;
    p = end + 1;
    size_t n = strlen(p);
    if (n == 0 || n >= cap || strchr(p, '/'))
        return ERR_INVAL;
    memcpy(meas, p, n + 1);
    *county = c;
    *device = d;
    return 0;
}

int tm_mqtt_handle(struct telemetry *t, const char *topic, const void *payload, size_t len,
                   struct err *e)
{
    int64_t county, device;
    char meas[128];
    if (parse_topic(topic, &county, &device, meas, sizeof meas))
        return err_set(e, ERR_INVAL, "topic '%s' is not ruralink/<county>/<device>/<measurement>",
                       topic);
    if (len > 4 * 1024 * 1024)
        return err_set(e, ERR_TOOBIG, "payload over 4 MiB");
    const char *p = payload;
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct tm_ingest_result res;
    int rc;
    double num;
    if (i < len && (p[i] == '{' || p[i] == '[')) {
        rc = tm_ingest_json(t, county, device, NULL, p, len, &a, &res, e);
    } else if (str_to_double((struct str){p + i, len - i}, &num) == 0) {
        struct tm_reading r = {meas, "value", NULL, 0, time_now_ms(), num};
        rc = tm_ingest(t, county, device, NULL, &r, 1, &res, e);
    } else {
        struct tm_lp_batch b;
        rc = tm_ingest_lp(t, county, device, NULL, p, len, TM_PREC_MS, &a, &b, &res, e);
        if (!rc && b.bad_lines)
            rc = err_set(e, ERR_INVAL, "line %d: %s", b.errors[0].line, b.errors[0].msg);
    }
    arena_release(&a);
    return rc;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    struct telemetry *t = arg;
    if (rc == 0) {
        const char *topic = "ruralink/+/+/+";
        mosquitto_subscribe(m, NULL, topic, 1);
        log_write(t->cfg.log, LOG_INFO, "telemetry.mqtt.connected", "topic=%s", topic);
    }
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    (void)m;
    struct telemetry *t = arg;
    struct err e = {0};
    if (tm_mqtt_handle(t, msg->topic, msg->payload, (size_t)msg->payloadlen, &e)) {
        atomic_fetch_add(&t->mq_failed, 1);
        char q[300];
        log_write(t->cfg.log, LOG_WARN, "telemetry.mqtt.rejected", "topic=%s error=%s", msg->topic,
                  log_quote(q, sizeof q, e.msg));
        return;
    }
    atomic_fetch_add(&t->mq_received, 1);
}

int tm_mqtt_start(struct telemetry *t, const struct tm_mqtt_config *cfg, struct err *e)
{
    if (t->mq)
        return err_set(e, ERR_CONFLICT, "MQTT client already running");
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(cfg->client_id ? cfg->client_id : "ruralink", true, t);
    if (!m)
        return err_set(e, ERR_INTERNAL, "mosquitto_new failed");
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_message_callback_set(m, on_message);
    int rc =
        mosquitto_connect(m, cfg->host ? cfg->host : "127.0.0.1", cfg->port ? cfg->port : 1883, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m);
        return err_set(e, ERR_IO, "MQTT connect to %s:%d: %s", cfg->host ? cfg->host : "127.0.0.1",
                       cfg->port ? cfg->port : 1883, mosquitto_strerror(rc));
    }
    rc = mosquitto_loop_start(m);
    if (rc != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m);
        return err_set(e, ERR_INTERNAL, "mosquitto_loop_start: %s", mosquitto_strerror(rc));
    }
    t->mq = m;
    return 0;
}

void tm_mqtt_stop(struct telemetry *t)
{
    if (!t->mq)
        return;
    mosquitto_disconnect(t->mq);
    mosquitto_loop_stop(t->mq, false);
    mosquitto_destroy(t->mq);
    t->mq = NULL;
}

uint64_t tm_mqtt_received(struct telemetry *t)
{
    return atomic_load(&t->mq_received);
}
