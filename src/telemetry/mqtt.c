/*
** mqtt.c: the MQTT door (libmosquitto client).
**
** Topic scheme:  ruralink/<county_id>/<device_id>/<measurement>
** Payload, one of:
**   - InfluxDB line protocol (one or more lines; the topic's measurement is
**     not used, each line names its own), timestamps in ms;
**   - JSON: a reading object, an array of them or {"readings": [...]}, as
**     POST /api/v1/telemetry/readings takes;
**   - a bare number: one reading of <measurement>, field "value", now. It
**     reads as a line-protocol float does (no hex, inf or nan); white
**     space around it (a trailing "\r\n") is ignored.
** Messages go through the same tm_ingest path as HTTP. With QoS 1 a message
** may arrive twice; a reading with the same series and timestamp replaces
** the stored one, so a redelivery never duplicates (bare numbers carry no
** timestamp: publish line protocol or JSON with "ts" where that matters).
** Who may publish to which topic is first the broker's business (mosquitto's
** password file and ACL: one user per device, write to its own topic); the
** topic's device is checked here too, as an HTTP device token is: it must
** be a device of the topic's county and enabled, else the message is
** dropped and logged. Auth's answer is kept DEV_TTL_MS per device.
*/
#include "telemetry/telemetry_int.h"

#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

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

/* How long an answer about a device is trusted: the same as auth's token
** cache, so disabling a device stops its MQTT messages as soon as (within
** seconds, like) its HTTP token. */
#define DEV_TTL_MS 5000

/* Ask auth (its public device list, one row from the id on) whether device
** is a device of county and enabled. */
static int device_lookup(struct telemetry *t, int64_t county, int64_t device, bool *ok,
                         struct err *e)
{
    struct auth_device d;
    size_t n = 0;
    int rc = auth_device_list(t->st, county, device - 1, &d, 1, &n, e);
    if (rc)
        return rc;
    *ok = n == 1 && d.id == device && !d.disabled;
    return 0;
}

/* May the topic's device publish into the topic's county? A broker ACL can
** be missing or wrong; an unknown id, another county's device or a disabled
** one would otherwise write readings no token allows. ERR_AUTH if not. */
static int device_standing(struct telemetry *t, int64_t county, int64_t device, struct err *e)
{
    if (device <= 0)
        return err_set(e, ERR_AUTH, "device id must be a device's id, not %lld", (long long)device);
    int64_t now = time_now_ms();
    struct tm__dev_seen *c = &t->dev[(uint64_t)device % TM__DEV_CACHE];
    pthread_mutex_lock(&t->dev_mu);
    struct tm__dev_seen seen = *c;
    pthread_mutex_unlock(&t->dev_mu);
    bool ok;
    if (seen.device_id == device && seen.county_id == county &&
        now - seen.checked_ms < DEV_TTL_MS && now >= seen.checked_ms) {
        ok = seen.ok;
    } else {
        int rc = device_lookup(t, county, device, &ok, e);
        if (rc)
            return rc;
        pthread_mutex_lock(&t->dev_mu);
        *c = (struct tm__dev_seen){device, county, now, ok};
        pthread_mutex_unlock(&t->dev_mu);
    }
    if (!ok)
        return err_set(e, ERR_AUTH, "device %lld is unknown, disabled or not of county %lld",
                       (long long)device, (long long)county);
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
    int drc = device_standing(t, county, device, e);
    if (drc)
        return drc;
    const char *p = payload;
    size_t i = 0;
    while (i < len && is_blank(p[i]))
        i++;
    while (len > i && is_blank(p[len - 1]))
        len--; /* "21.5\r\n" from a shell or a serial gateway */
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct tm_ingest_result res;
    int rc;
    double num;
    if (i < len && (p[i] == '{' || p[i] == '[')) {
        rc = tm_ingest_json(t, county, device, NULL, p, len, &a, &res, e);
    } else if (tm__lp_number(p + i, len - i, &num) == 0) {
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
