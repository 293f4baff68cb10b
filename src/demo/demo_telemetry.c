/*
** demo_telemetry.c: the demo county's sensors, seeded through telemetry's
** public ingest (the same path as HTTP and MQTT): two days of readings every
** 5 minutes up to now.
**
**   4 refrigerated vehicles  cold,vehicle=reefer-N temp, rh: set point about
**                            3 degC, door openings on delivery rounds (short
**                            spikes that stay under the profile's duration,
**                            so they raise nothing)
**   2 cold stores            cold,store=<node> temp, rh: diurnal load; store 2's
**                            compressor fails 20 hours ago for 4 hours, the
**                            room warms to about 9 degC: one excursion alert
**   3 farm plots             soil,plot=PN moisture, soil_temp: drying by day,
**                            one irrigation on plot P2; a low-moisture monitor
**                            (0.15) raises a soil-dry alert on plot P3
**   1 weather station        weather,station=farm-1 air_temp, rh, wind, solar
**   1 water station          water,station=W1 ph, do, nh3n, codmn (hourly)
**   1 air station            air,station=A1 pm25_24h, pm10_24h, no2_1h, o3_1h
**                            (hourly)
**
** Each stream is registered as a device (auth_device_add; its token is not
** kept: the demo writes as the system). Vehicle and cold-store temperatures
** get monitors (profiles chilled_food, apples, mushrooms) before their
** history is written, in time order, so excursions are detected exactly as
** live readings would be. Randomness from the "telemetry" stream.
*/
#include "demo/demo_int.h"
#include "telemetry/telemetry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP_MS (5 * 60000LL)
#define STEPS (2 * 24 * 12) /* two days of 5-minute steps */
#define HOUR_MS 3600000LL

struct stream {
    const char *measurement;
    char tag_key[16];
    char tag_val[64];
    const char *field;
    int64_t device_id; /* the device that writes it (its series carry it) */
    int64_t *ts;
    double *v;
    size_t n;
};

static int put(struct telemetry *t, int64_t county, const struct stream *s, size_t from, size_t to,
               struct err *e)
{
    if (to <= from)
        return 0;
    struct tm_lp_tag tag = {str_from(s->tag_key), str_from(s->tag_val)};
    struct tm_reading *r = xcalloc(to - from, sizeof *r);
    for (size_t i = from; i < to; i++)
        r[i - from] = (struct tm_reading){s->measurement, s->field, &tag, 1, s->ts[i], s->v[i]};
    struct tm_ingest_result res;
    int rc = tm_ingest(t, county, s->device_id, NULL, r, to - from, &res, e);
    free(r);
    return rc;
}

static struct stream *new_stream(int64_t device_id, const char *m, const char *tk, const char *tv,
                                 const char *f, size_t n)
{
    struct stream *s = xcalloc(1, sizeof *s);
    s->device_id = device_id;
    s->measurement = m;
    snprintf(s->tag_key, sizeof s->tag_key, "%s", tk);
    snprintf(s->tag_val, sizeof s->tag_val, "%s", tv);
    s->field = f;
    s->ts = xcalloc(n, sizeof *s->ts);
    s->v = xcalloc(n, sizeof *s->v);
    s->n = n;
    return s;
}

static void free_stream(struct stream *s)
{
    if (!s)
        return;
    free(s->ts);
    free(s->v);
    free(s);
}

/* Hour of day (China time, UTC+8) as a fraction. */
static double local_hour(int64_t ts)
{
    int64_t ms = (ts + 8 * HOUR_MS) % (24 * HOUR_MS);
    return (double)ms / (double)HOUR_MS;
}

static double diurnal(int64_t ts, double mean, double amp, double peak_hour)
{
    return mean + amp * cos((local_hour(ts) - peak_hour) / 24.0 * 2 * M_PI);
}

/* A profile code, or "dry:<theta>" for a soil-moisture low limit. */
static int monitor(struct telemetry *t, struct demo_ctx *ctx, const struct stream *s,
                   const char *profile, struct err *e)
{
    char key[160];
    snprintf(key, sizeof key, "%s,%s=%s %s", s->measurement, s->tag_key, s->tag_val, s->field);
    int64_t id;
    int rc = tm_series_find(t, ctx->county_id, key, &id, e);
    if (rc)
        return rc;
    struct tm_monitor m = {.series_id = id, .rule = {NAN, NAN, 0, 0, 0}, .severity = 3};
    if (!strncmp(profile, "dry:", 4)) {
        m.rule.low = strtod(profile + 4, NULL);
        m.rule.hysteresis = 0.01;
        m.rule.min_dur_ms = HOUR_MS;
        m.severity = 2;
    } else {
        snprintf(m.profile, sizeof m.profile, "%s", profile);
    }
    return tm_monitor_set(t, ctx->county_id, &ctx->sys, &m, e);
}

static int device(struct demo_ctx *ctx, const char *name, const char *kind, int64_t *id,
                  struct err *e)
{
    char token[AUTH_TOKEN_LEN];
    struct auth_device d = {0};
    int rc = auth_device_add(ctx->st, &ctx->sys, ctx->county_id, name, kind, token, &d, e);
    *id = d.id;
    return rc;
}

int demo_seed_telemetry(struct demo_ctx *ctx, struct err *e)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, "telemetry");
    struct telemetry *t;
    struct telemetry_config cfg = {0};
    cfg.log = ctx->lg;
    int rc = telemetry_new(&t, ctx->st, &cfg, e);
    if (rc)
        return rc;
    int64_t end = time_now_ms() / STEP_MS * STEP_MS;
    int64_t start = end - (int64_t)STEPS * STEP_MS;
    struct stream *s[64] = {0};
    const char *profile[64] = {0};
    size_t ns = 0;
    int64_t dev_v = 0, dev_id = 0, dev_w = 0, dev_a = 0;

    /* refrigerated vehicles: set point ~3 C, door openings on rounds */
    for (int v = 1; v <= 4 && !rc; v++) {
        char name[32];
        snprintf(name, sizeof name, "reefer-%d", v);
        rc = device(ctx, name, "vehicle", &dev_v, e);
        struct stream *tp = new_stream(dev_v, "cold", "vehicle", name, "temp", STEPS);
        struct stream *rh = new_stream(dev_v, "cold", "vehicle", name, "rh", STEPS);
        double temp = 3;
        int door = 0;
        for (int i = 0; i < STEPS; i++) {
            int64_t ts = start + i * STEP_MS;
            double h = local_hour(ts);
            bool rounds = h >= 8 && h < 17;
            if (rounds && door == 0 && demo_rng_unit(&r) < 0.06)
                door = 2; /* two 5-minute steps with the door open */
            double target = door > 0 ? 8.5 : 3.0;
            temp += (target - temp) * (door > 0 ? 0.6 : 0.35) + demo_rng_normal(&r, 0, 0.15);
            if (door > 0)
                door--;
            tp->ts[i] = rh->ts[i] = ts;
            tp->v[i] = round(temp * 100) / 100;
            rh->v[i] = round((90 + demo_rng_normal(&r, 0, 1.5) - (door ? 8 : 0)) * 10) / 10;
        }
        profile[ns] = "chilled_food";
        s[ns++] = tp;
        s[ns++] = rh;
    }
    /* two cold stores (tagged with the network's cold-store node ids) */
    for (int k = 1; k <= 2 && !rc; k++) {
        char name[64];
        size_t seen = 0;
        snprintf(name, sizeof name, "coldstore-%d", k);
        for (size_t i = 0; i < ctx->net.n_nodes; i++) {
            if (ctx->net.nodes[i].kind == COUNTY_NODE_COLD_STORE && ++seen == (size_t)k) {
                snprintf(name, sizeof name, "node-%lld", (long long)ctx->net.nodes[i].id);
                break;
            }
        }
        char dev[48];
        snprintf(dev, sizeof dev, "coldstore-%d", k);
        rc = device(ctx, dev, "cold_store", &dev_id, e);
        struct stream *tp = new_stream(dev_id, "cold", "store", name, "temp", STEPS);
        struct stream *rh = new_stream(dev_id, "cold", "store", name, "rh", STEPS);
        double set = k == 1 ? 1.5 : 1.0;
        double temp = set;
        int64_t fail_from = end - 20 * HOUR_MS, fail_to = fail_from + 4 * HOUR_MS;
        for (int i = 0; i < STEPS; i++) {
            int64_t ts = start + i * STEP_MS;
            bool failed = k == 2 && ts >= fail_from && ts < fail_to;
            double ambient = diurnal(ts, 14, 6, 15);
            double target = failed ? ambient - 4 : set + 0.3 * (ambient - 14) / 6;
            temp += (target - temp) * (failed ? 0.05 : 0.3) + demo_rng_normal(&r, 0, 0.08);
            tp->ts[i] = rh->ts[i] = ts;
            tp->v[i] = round(temp * 100) / 100;
            rh->v[i] = round((92 + demo_rng_normal(&r, 0, 1.0)) * 10) / 10;
        }
        profile[ns] = k == 1 ? "apples" : "mushrooms";
        s[ns++] = tp;
        s[ns++] = rh;
    }
    /* farm plots: soil moisture dries by day; P2 irrigated yesterday noon */
    for (int p = 1; p <= 3 && !rc; p++) {
        char name[16], dev[32];
        snprintf(name, sizeof name, "P%d", p);
        snprintf(dev, sizeof dev, "soil-%d", p);
        rc = device(ctx, dev, "plot", &dev_id, e);
        struct stream *m = new_stream(dev_id, "soil", "plot", name, "moisture", STEPS);
        struct stream *st = new_stream(dev_id, "soil", "plot", name, "soil_temp", STEPS);
        double theta = 0.27 - 0.02 * p;
        int64_t irrigate_at = end - 30 * HOUR_MS;
        for (int i = 0; i < STEPS; i++) {
            int64_t ts = start + i * STEP_MS;
            double h = local_hour(ts);
            if (h > 7 && h < 19)
                theta -= 0.00045 * sin((h - 7) / 12 * M_PI);
            if (p == 2 && ts >= irrigate_at && ts < irrigate_at + STEP_MS)
                theta += 0.08;
            if (theta > 0.32)
                theta = 0.32;
            m->ts[i] = st->ts[i] = ts;
            m->v[i] = round((theta + demo_rng_normal(&r, 0, 0.002)) * 1000) / 1000;
            st->v[i] = round(diurnal(ts, 16, 3, 16) * 100) / 100;
        }
        profile[ns] = "dry:0.15"; /* soil-moisture alert below 0.15 m3/m3 */
        s[ns++] = m;
        s[ns++] = st;
    }
    if (!rc)
        rc = device(ctx, "weather-1", "weather_station", &dev_v, e);
    if (!rc) {
        struct stream *at = new_stream(dev_v, "weather", "station", "farm-1", "air_temp", STEPS);
        struct stream *rh = new_stream(dev_v, "weather", "station", "farm-1", "rh", STEPS);
        struct stream *wd = new_stream(dev_v, "weather", "station", "farm-1", "wind", STEPS);
        struct stream *so = new_stream(dev_v, "weather", "station", "farm-1", "solar", STEPS);
        for (int i = 0; i < STEPS; i++) {
            int64_t ts = start + i * STEP_MS;
            double h = local_hour(ts);
            at->ts[i] = rh->ts[i] = wd->ts[i] = so->ts[i] = ts;
            at->v[i] = round((diurnal(ts, 18, 6, 15) + demo_rng_normal(&r, 0, 0.3)) * 100) / 100;
            rh->v[i] = round(diurnal(ts, 70, 18, 4) * 10) / 10;
            wd->v[i] = round(fabs(2 + demo_rng_normal(&r, 0, 0.8)) * 100) / 100;
            so->v[i] = h > 6 && h < 18 ? round(800 * sin((h - 6) / 12 * M_PI)) : 0;
        }
        s[ns++] = at;
        s[ns++] = rh;
        s[ns++] = wd;
        s[ns++] = so;
    }
    /* water and air stations: hourly samples */
    int hours = STEPS / 12;
    if (!rc)
        rc = device(ctx, "water-1", "water_station", &dev_w, e);
    if (!rc)
        rc = device(ctx, "air-1", "air_station", &dev_a, e);
    if (!rc) {
        static const char *const wf[] = {"ph", "do", "nh3n", "codmn"};
        static const double wm[] = {7.4, 6.4, 0.42, 3.6}, wsd[] = {0.1, 0.4, 0.06, 0.3};
        for (int f = 0; f < 4; f++) {
            struct stream *x = new_stream(dev_w, "water", "station", "W1", wf[f], (size_t)hours);
            for (int i = 0; i < hours; i++) {
                x->ts[i] = start + i * HOUR_MS;
                x->v[i] = round(fmax(0, wm[f] + demo_rng_normal(&r, 0, wsd[f])) * 100) / 100;
            }
            s[ns++] = x;
        }
        static const char *const af[] = {"pm25_24h", "pm10_24h", "no2_1h", "o3_1h"};
        static const double am[] = {38, 62, 35, 90}, aa[] = {12, 18, 15, 40};
        for (int f = 0; f < 4; f++) {
            struct stream *x = new_stream(dev_a, "air", "station", "A1", af[f], (size_t)hours);
            for (int i = 0; i < hours; i++) {
                int64_t ts = start + i * HOUR_MS;
                x->ts[i] = ts;
                double peak = f == 3 ? 15 : 8;
                x->v[i] = round(fmax(1, diurnal(ts, am[f], aa[f], peak) +
                                            demo_rng_normal(&r, 0, am[f] * 0.08)));
            }
            s[ns++] = x;
        }
    }
    /* first reading of each stream, monitors, then the history in order */
    for (size_t i = 0; i < ns && !rc; i++)
        rc = put(t, ctx->county_id, s[i], 0, 1, e);
    for (size_t i = 0; i < ns && !rc; i++)
        if (profile[i])
            rc = monitor(t, ctx, s[i], profile[i], e);
    for (size_t i = 0; i < ns && !rc; i++)
        rc = put(t, ctx->county_id, s[i], 1, s[i]->n, e);
    for (size_t i = 0; i < ns; i++)
        free_stream(s[i]);
    telemetry_free(t);
    return rc;
}
