/*
** telemetry: cold-chain and farm sensor readings for one county.
**
**   ingest     three doors, one path: InfluxDB line protocol (HTTP /write),
**              JSON batches, MQTT. A request becomes one store_write (one
**              group commit), acknowledged only once durable; a replay with
**              the same idempotency key is stored once.
**   storage    a series dictionary (measurement + tags + field -> id) and
**              readings(series_id, ts_ms, value) WITHOUT ROWID, plus 1-minute
**              and 1-hour roll-ups and retention; queries downsample to
**              min/mean/max per bucket.
**   rules      commodity profiles, excursion detection (threshold + duration
**              + hysteresis + cumulative), mean kinetic temperature, remaining
**              shelf life (Q10 / Arrhenius), GB 3838-2002 water classes,
**              HJ 633-2012 AQI, FAO-56 ET0 and root-zone water balance.
**   alerts     stored with severity and state (open/acknowledged/closed) and
**              the readings that raised them; webhook delivery (libcurl,
**              retries with backoff, HMAC-SHA256 signature header).
**
** The pure computations (tm_lp_*, tm_mkt_*, tm_shelf_*, tm_exc_*,
** tm_water_*, tm_aqi_*, tm_et0_*, tm_wb_*) need nothing but base; the rest
** takes a struct store. Formulas and sources: docs/internals/telemetry.md.
*/
#ifndef RL_TELEMETRY_H
#define RL_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "base/base.h"
#include "store/store.h"

/* =========================================================== line protocol */

enum tm_precision { TM_PREC_NS = 0, TM_PREC_US, TM_PREC_MS, TM_PREC_S };
/* "ns" "n" "us" "u" "ms" "s" (NULL or "" = ns, InfluxDB's default). */
int tm_precision_parse(const char *s, enum tm_precision *out);

#define TM_LP_MAX_LINE (64 * 1024) /* longer lines are rejected */
#define TM_LP_MAX_TAGS 64
#define TM_LP_MAX_FIELDS 256
#define TM_LP_MAX_ERRORS 100 /* more bad lines are counted, not described */
/* Readings dated further than this after the server clock are refused: the
** detector skips readings older than the newest it has seen, so one reading
** from a device whose clock is a year ahead would silence its alerts. */
#define TM_MAX_AHEAD_MS (3600LL * 1000)

enum tm_field_type {
    TM_FIELD_FLOAT = 0,
    TM_FIELD_INT,
    TM_FIELD_UINT,
    TM_FIELD_BOOL,
    TM_FIELD_STRING
};

/* Names and values are unescaped; they point into the input when they held
** no escapes, else into the arena. Not NUL-terminated. */
struct tm_lp_tag {
    struct str key, value;
};
struct tm_lp_field {
    struct str key;
    enum tm_field_type type;
    double num;      /* numeric value (bool: 0/1); unused for strings */
    struct str sval; /* string fields only */
};
struct tm_lp_point {
    struct str measurement;
    struct tm_lp_tag *tags; /* sorted by key (byte order), no duplicates */
    size_t ntags;
    struct tm_lp_field *fields;
    size_t nfields;
    int64_t ts_ms; /* the line's timestamp, or now_ms when absent */
    int line;      /* 1-based line number in the body */
};
struct tm_lp_error {
    int line;
    char msg[160];
};

/* Everything parsed from one body. Arrays live in the arena passed to
** tm_lp_parse and die with it. */
struct tm_lp_batch {
    struct tm_lp_point *points;
    size_t npoints, cap_points;
    struct tm_lp_error *errors; /* at most TM_LP_MAX_ERRORS described */
    size_t nerrors, cap_errors;
    size_t bad_lines; /* every rejected line, described or not */
    size_t nvalues;   /* numeric fields over all points */
};

/*
** Parse InfluxDB line protocol, line by line: a bad line is recorded in
** out->errors (with its number) and skipped; good lines become points. Blank
** lines and lines starting with '#' are ignored. Rejected: invalid UTF-8,
** lines over TM_LP_MAX_LINE, a dangling backslash, missing or duplicate
** fields, bad numbers, timestamps that do not fit int64 nanoseconds or are
** before 1970, timestamps more than TM_MAX_AHEAD_MS after now_ms (the
** server clock). Lines without a timestamp get now_ms. Never fails as a whole:
** the return is the number of good points.
*/
size_t tm_lp_parse(const char *body, size_t len, enum tm_precision prec, int64_t now_ms,
                   struct arena *a, struct tm_lp_batch *out);

/* ============================================================ pure rules */

/* ---- mean kinetic temperature (USP <1160>) */
#define TM_MKT_DH_DEFAULT_KJ_MOL 83.144
#define TM_GAS_R_KJ_MOL_K 0.0083144

struct tm_mkt_acc {
    double dh_kj_mol;
    double sum_w; /* total weight (e.g. seconds) */
    double sum;   /* sum of w * exp(-dH / (R T)) */
};
void tm_mkt_init(struct tm_mkt_acc *m, double dh_kj_mol); /* <= 0: default */
/* Add a temperature held for weight w (> 0; e.g. its interval in seconds). */
void tm_mkt_add(struct tm_mkt_acc *m, double temp_c, double w);
/* MKT in deg C; ERR_INVAL when nothing was added. */
int tm_mkt_result(const struct tm_mkt_acc *m, double *out_c);
/* MKT of timestamped readings, each held until the next one (the last one
** for the mean interval). n >= 1, ts ascending. */
int tm_mkt_series(const int64_t *ts_ms, const double *temp_c, size_t n, double dh_kj_mol,
                  double *out_c);

/* ---- commodity profiles and shelf life */
enum tm_decay_model { TM_DECAY_Q10 = 0, TM_DECAY_ARRHENIUS };

struct tm_profile {
    const char *code; /* "leafy_greens" */
    const char *name_en, *name_zh;
    double temp_min_c, temp_max_c;
    double rh_min_pct, rh_max_pct;
    int max_excursion_min;  /* longest single excursion tolerated */
    int max_cumulative_min; /* total time out of range tolerated */
    enum tm_decay_model model;
    double q10;       /* TM_DECAY_Q10 */
    double ea_kj_mol; /* TM_DECAY_ARRHENIUS */
    double ref_temp_c;
    double ref_shelf_life_h; /* at ref_temp_c */
    bool chilling_sensitive;
    const char *source;
};
/* The built-in table (static storage). */
const struct tm_profile *tm_profiles(size_t *n);
const struct tm_profile *tm_profile_find(const char *code); /* NULL if unknown */

/* Spoilage rate at temp_c relative to the rate at the reference (1.0 there). */
double tm_decay_rate(const struct tm_profile *p, double temp_c);
/* Shelf life at a constant temperature, hours. */
double tm_shelf_life_at_h(const struct tm_profile *p, double temp_c);
/* Reference hours consumed by a history (each reading held until the next;
** the last one until end_ms, which may equal its ts). */
double tm_shelf_consumed_h(const struct tm_profile *p, const int64_t *ts_ms, const double *temp_c,
                           size_t n, int64_t end_ms);
struct tm_shelf_result {
    double consumed_ref_h;     /* reference hours used up */
    double remaining_ref_h;    /* at the reference temperature (>= 0) */
    double remaining_at_max_h; /* if kept at the profile's upper limit */
    double mkt_c;
};
int tm_shelf_remaining(const struct tm_profile *p, const int64_t *ts_ms, const double *temp_c,
                       size_t n, int64_t end_ms, struct tm_shelf_result *out, struct err *e);

/* ---- excursion detection (incremental) */
/*
** Allowed band [low, high] (NAN = no limit on that side). A reading strictly
** outside starts an excursion; it clears only when a reading is back inside
** by the hysteresis margin (v <= high - hyst, v >= low + hyst). An excursion
** is raised once it has lasted min_dur_ms (time from its first out-of-range
** reading); shorter spikes raise nothing. Cumulative: time strictly out of
** range (each reading held until the next; readings inside the band but
** within the hysteresis margin count as in range) adds up and never resets;
** once it reaches cumulative_ms (0 = off) one cumulative event is raised.
*/
struct tm_exc_rule {
    double low, high;
    double hysteresis;
    int64_t min_dur_ms;
    int64_t cumulative_ms;
};
enum tm_exc_kind { TM_EXC_HIGH = 1, TM_EXC_LOW = 2, TM_EXC_CUMULATIVE = 3 };
struct tm_exc_event {
    enum tm_exc_kind kind;
    bool raised;      /* this reading raised it (first report) */
    bool closed;      /* this reading ended it (both can be true at once) */
    int64_t start_ms; /* first out-of-range reading */
    int64_t end_ms;   /* reading that ended it (0 while open) */
    int64_t dur_ms;   /* so far */
    double peak;      /* most extreme value */
};
/* Detector state per series; zero-initialise. Plain value (persistable). */
struct tm_exc_state {
    int side; /* 0 in range, +1 above, -1 below */
    bool raised;
    bool cum_raised;
    bool has_last;
    int64_t since_ms;
    int64_t last_ms;
    int64_t cum_ms;
    double peak;
    bool last_out; /* the last reading was strictly outside [low, high] */
};
/* Feed one reading (ts ascending; older or equal timestamps are ignored).
** Writes up to 2 events to ev and returns how many. */
int tm_exc_feed(const struct tm_exc_rule *r, struct tm_exc_state *s, int64_t ts_ms, double v,
                struct tm_exc_event ev[2]);

/* ---- GB 3838-2002 surface water */
enum tm_water_item {
    TM_W_PH = 0,
    TM_W_DO,
    TM_W_CODMN,
    TM_W_COD,
    TM_W_BOD5,
    TM_W_NH3N,
    TM_W_TP,
    TM_W_TN,
    TM_W_COUNT
};
struct tm_water_sample {
    double v[TM_W_COUNT]; /* mg/L (pH unitless); NAN = not measured */
    bool lake;            /* lake/reservoir: stricter TP, TN applies */
};
struct tm_water_result {
    int cls;                  /* 1..5 = I..V, 6 = worse than V (劣V) */
    int item_cls[TM_W_COUNT]; /* 0 = not measured */
    int worst_item;           /* enum tm_water_item deciding cls */
};
const char *tm_water_item_name(int item);  /* "ph", "do", ... */
int tm_water_item_parse(const char *name); /* -1 if unknown */
const char *tm_water_class_name(int cls);  /* "I".."V", "worse_than_V" */
/* ERR_INVAL when nothing is measured or a value is negative/not finite. */
int tm_water_classify(const struct tm_water_sample *s, struct tm_water_result *out, struct err *e);

/* ---- HJ 633-2012 AQI */
enum tm_aqi_pollutant {
    TM_AQI_SO2_24H = 0,
    TM_AQI_SO2_1H,
    TM_AQI_NO2_24H,
    TM_AQI_NO2_1H,
    TM_AQI_PM10_24H,
    TM_AQI_CO_24H,
    TM_AQI_CO_1H,
    TM_AQI_O3_1H,
    TM_AQI_O3_8H,
    TM_AQI_PM25_24H,
    TM_AQI_COUNT
};
const char *tm_aqi_pollutant_name(int p); /* "so2_24h", ... */
int tm_aqi_pollutant_parse(const char *name);
/* IAQI of one concentration (ug/m3; CO mg/m3). ERR_INVAL for negative or
** non-finite; values above the top breakpoint give 500. SO2 1-h above 800
** and O3 8-h above 800 are ERR_UNSUPPORTED (the standard says use the 24-h
** SO2 / 1-h O3 value instead). */
int tm_iaqi(int p, double conc, double *out);
struct tm_aqi_result {
    int aqi;   /* ceil(max IAQI) */
    int level; /* 1..6 */
    const char *category_zh, *category_en, *color;
    double iaqi[TM_AQI_COUNT]; /* NAN when not given */
    unsigned primary;          /* bit per pollutant (only when aqi > 50) */
};
int tm_aqi(const double conc[TM_AQI_COUNT], struct tm_aqi_result *out, struct err *e);

/* ---- FAO-56 reference evapotranspiration (daily or monthly) */
struct tm_et0_in {
    double tmin_c, tmax_c;
    double rh_min_pct, rh_max_pct; /* NAN when unknown */
    double ea_kpa;                 /* actual vapour pressure if known (else NAN) */
    double tdew_c;                 /* dew point if known (else NAN) */
    double wind_ms;                /* wind speed at wind_height_m */
    double wind_height_m;          /* 2 when measured at 2 m */
    double rs_mj;                  /* solar radiation MJ/m2/day, or NAN ... */
    double sunshine_h;             /* ... then from sunshine hours */
    double lat_deg, elev_m;
    int doy;     /* day of year 1..366 */
    double g_mj; /* soil heat flux (0 for daily steps) */
};
struct tm_et0_out {
    double et0_mm;
    double u2, pressure_kpa, gamma, delta, es, ea, ra, daylight_h, rs, rso, rns, rnl, rn;
};
/* Missing humidity falls back to ea = e0(Tmin) (FAO-56 eq. 48). ERR_INVAL
** for inputs no station reports: RH outside 0..100 or min > max, wind
** height outside 0.5..100 m, negative rs/ea, sunshine outside 0..24 h or
** longer than the day (N), elevation outside -500..9000 m. */
int tm_et0_daily(const struct tm_et0_in *in, struct tm_et0_out *out, struct err *e);

/* ---- FAO-56 root-zone water balance */
struct tm_wb_params {
    double theta_fc, theta_wp; /* volumetric water content, m3/m3 */
    double root_depth_m;
    double p;          /* allowable depletion fraction (0..1) */
    double kc;         /* crop coefficient */
    double efficiency; /* application efficiency (0..1] */
};
struct tm_wb_advice {
    double taw_mm, raw_mm;
    double dr_mm; /* depletion at end of day */
    double etc_mm, eta_mm, ks;
    double deep_perc_mm;
    bool irrigate;           /* dr >= raw */
    double net_mm, gross_mm; /* refill to field capacity */
    double days_until;       /* at today's ETc, until dr reaches raw (0 if now) */
};
int tm_wb_check(const struct tm_wb_params *p, struct err *e);
/* Depletion from a measured soil moisture (clamped to [0, TAW]). */
double tm_wb_depletion_from_theta(const struct tm_wb_params *p, double theta);
/* One day: dr_prev, rain and irrigation (mm), ET0 (mm) -> advice. */
void tm_wb_step(const struct tm_wb_params *p, double dr_prev_mm, double rain_mm,
                double irrigation_mm, double et0_mm, struct tm_wb_advice *out);

/* ============================================================= the module */

/* Module schema (series, readings, roll-ups, devices' sensors, profiles
** bindings, excursions, alerts, webhooks, ingest keys). */
extern const struct store_migration telemetry_migrations[];
extern const size_t telemetry_migrations_len;

struct telemetry; /* series cache, monitors, webhook worker, MQTT client */

struct telemetry_config {
    int64_t raw_retention_ms;        /* default 30 days */
    int64_t minute_retention_ms;     /* default 180 days */
    int64_t hour_retention_ms;       /* default 5 years */
    bool webhooks;                   /* start the background thread: webhook delivery
                                        and tm_maintain every maintain_interval_ms */
    int64_t maintain_interval_ms;    /* default 10 minutes */
    int webhook_max_attempts;        /* default 6 */
    int64_t flush_rows;              /* memtable rows that trigger a flush (default 3000000) */
    int64_t flush_interval_ms;       /* flush at least this often when not empty (default 5000) */
    int64_t max_mem_rows;            /* ingest waits above this (default 8000000) */
    int64_t webhook_base_backoff_ms; /* default 1000 (doubles per attempt) */
    struct log *log;
};

int telemetry_new(struct telemetry **out, struct store *st, const struct telemetry_config *cfg,
                  struct err *e);
/* Stops the MQTT client and the webhook thread. Safe with NULL. */
void telemetry_free(struct telemetry *t);

/* ---- ingest */
struct tm_reading {
    const char *measurement; /* NUL-terminated */
    const char *field;
    const struct tm_lp_tag *tags; /* sorted by key */
    size_t ntags;
    int64_t ts_ms;
    double value;
};
struct tm_ingest_result {
    size_t written; /* readings stored by this request */
    size_t series_new;
    bool replayed;     /* idempotency key seen before: nothing stored again */
    size_t excursions; /* excursion events raised by these readings */
};
/*
** Store readings as one durable write. county_id scopes the series; device_id
** (0 = none) is recorded on new series. idem_key (NULL = none): a key already
** used for this county stores nothing and reports replayed with the first
** answer's figures (written, series_new, excursions). Readings of one
** series with the same time count once (the last wins, before the
** detector). Timestamps are taken as given: the
** device doors (tm_ingest_lp, tm_ingest_json, MQTT) refuse readings more
** than TM_MAX_AHEAD_MS ahead of the server clock; an in-process caller
** (demo data, a simulation) is trusted with its own. Returns 0 only when
** durable.
*/
int tm_ingest(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
              const struct tm_reading *r, size_t n, struct tm_ingest_result *res, struct err *e);
/* Line protocol body -> parse -> tm_ingest. *errs receives the parse errors
** (arena-owned). Returns tm_ingest's code (0 even when some lines were bad). */
int tm_ingest_lp(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                 const char *body, size_t len, enum tm_precision prec, struct arena *a,
                 struct tm_lp_batch *parsed, struct tm_ingest_result *res, struct err *e);
/* JSON batch {"readings":[{"measurement":..,"tags":{..},"field":"value",
** "value":1.5,"ts":"RFC 3339"|ts_ms}]} or a top-level array of those. All
** or nothing: ERR_INVAL for ts with ts_ms, fields with value/field, names
** empty or holding NUL or line breaks, timestamps too far ahead. */
int tm_ingest_json(struct telemetry *t, int64_t county_id, int64_t device_id, const char *idem_key,
                   const char *body, size_t len, struct arena *a, struct tm_ingest_result *res,
                   struct err *e);

/* ---- series and queries */
struct tm_series {
    int64_t id;
    int64_t county_id;
    int64_t device_id;
    char key[512]; /* measurement,tag=v,... field */
    char measurement[64];
    char field[64];
    char profile[32]; /* commodity profile code bound to it ("" = none) */
    int64_t first_ms, last_ms;
    int64_t count;
};
/* List series of a county (measurement NULL = all). Caller frees *out. */
int tm_series_list(struct telemetry *t, int64_t county_id, const char *measurement,
                   struct tm_series **out, size_t *n, struct err *e);
int tm_series_get(struct telemetry *t, int64_t county_id, int64_t id, struct tm_series *out,
                  struct err *e);
/* Find by canonical key "measurement,tag=v,... field" (tags sorted). */
int tm_series_find(struct telemetry *t, int64_t county_id, const char *key, int64_t *id,
                   struct err *e);

struct tm_bucket {
    int64_t ts_ms; /* bucket start */
    double min, mean, max;
    int64_t count;
};
/*
** Readings of one series in [from_ms, to_ms), downsampled into buckets of
** step_ms (0 = raw readings, one bucket each). Uses the 1-minute or 1-hour
** roll-ups when the step allows and raw data has aged out. Caller frees *out.
*/
int tm_query(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
             int64_t to_ms, int64_t step_ms, struct tm_bucket **out, size_t *n, struct err *e);
/* One page of raw readings (step 0): at most max (1..TM_QUERY_MAX_RAW) from
** from_ms on, one bucket each. *next_from is the timestamp of the first
** reading left out (timestamps are unique per series, so asking again from
** there continues without gap or repeat), or -1 when the range held no more.
** tm_query with step 0 is the first page of TM_QUERY_MAX_RAW. Caller frees
** *out. */
#define TM_QUERY_MAX_RAW 100000
int tm_query_page(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
                  int64_t to_ms, size_t max, struct tm_bucket **out, size_t *n, int64_t *next_from,
                  struct err *e);
/* Raw readings (ts, value) in range, at most max. Caller frees both arrays. */
int tm_query_raw(struct telemetry *t, int64_t county_id, int64_t series_id, int64_t from_ms,
                 int64_t to_ms, size_t max, int64_t **ts_ms, double **values, size_t *n,
                 struct err *e);

/* Write the in-memory readings (durable already, in tm_ingest_log) into
** tm_readings now. The flusher thread does this on its own; tm_maintain and
** telemetry_free call it. */
int tm_flush(struct telemetry *t, struct err *e);

/* Roll raw readings older than now into 1-minute and 1-hour aggregates and
** delete data past retention. Idempotent; returns rows deleted in *deleted. */
int tm_maintain(struct telemetry *t, int64_t now_ms, int64_t *deleted, struct err *e);

/* ---- devices: what each device (auth's devices) measures */
struct tm_device_binding {
    int64_t device_id;
    char kind[24]; /* vehicle, cold_store, plot, water_station, air_station, other */
    char ref[96];  /* plate, node id, plot code, station code ... */
    int64_t updated_ms;
};
/* Create or replace a device's binding; the device must be in the county
** (ERR_NOTFOUND otherwise). Audited as actor. */
int tm_device_bind(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const struct tm_device_binding *b, struct err *e);
/* Bindings of a county, by device id. Caller frees *out. */
int tm_device_bindings(struct telemetry *t, int64_t county_id, struct tm_device_binding **out,
                       size_t *n, struct err *e);

/* ---- monitoring: bind a series to a profile / rule */
struct tm_monitor {
    int64_t series_id;
    char profile[32]; /* "" = explicit rule only */
    struct tm_exc_rule rule;
    int severity; /* 1 info .. 4 critical */
};
/* Create or replace the monitor of a series (audited as actor). ERR_INVAL
** for an unknown profile, no limits, low > high, negative durations or a
** severity outside 1..4. */
int tm_monitor_set(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const struct tm_monitor *m, struct err *e);

/* ---- alerts */
enum tm_alert_state { TM_ALERT_OPEN = 0, TM_ALERT_ACK, TM_ALERT_CLOSED };
const char *tm_alert_state_name(int s);
struct tm_alert {
    int64_t id, county_id, series_id;
    char kind[24]; /* "excursion_high", "excursion_low", "cumulative", "soil_dry" */
    int severity;
    int state;
    char title[160];
    int64_t start_ms, end_ms, raised_ms;
    double peak;
    char readings_json[1024]; /* the readings that raised it */
};
int tm_alerts_list(struct telemetry *t, int64_t county_id, int state /* -1 all */,
                   struct tm_alert **out, size_t *n, struct err *e);
int tm_alert_get(struct telemetry *t, int64_t county_id, int64_t id, struct tm_alert *out,
                 struct err *e);
/* open -> acknowledged -> closed (open -> closed allowed); else ERR_CONFLICT. */
int tm_alert_transition(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                        int64_t id, int to_state, struct err *e);

/* Webhooks: every alert of the county is POSTed as JSON to url with header
** X-Ruralink-Signature: sha256=<hex HMAC-SHA256(secret, body)>. */
int tm_webhook_add(struct telemetry *t, int64_t county_id, const struct auth_principal *actor,
                   const char *url, const char *secret, int64_t *id, struct err *e);
/* Deliver what is due now (the worker thread calls this; tests call it
** directly). Returns the number of deliveries attempted. */
int tm_webhook_run_due(struct telemetry *t, int64_t now_ms, struct err *e);
/* Signature header value for body (out holds "sha256=" + 64 hex + NUL). */
void tm_webhook_sign(const char *secret, const void *body, size_t n, char out[72]);

/* ---- cold-chain report */
struct tm_report {
    int64_t series_id;
    const struct tm_profile *profile;
    int64_t from_ms, to_ms;
    size_t readings;
    double min_c, max_c, mean_c, mkt_c;
    int64_t out_of_range_ms;
    size_t excursions;
    struct tm_shelf_result shelf;
};
int tm_cold_chain_report(struct telemetry *t, int64_t county_id, int64_t series_id,
                         const char *profile_code, int64_t from_ms, int64_t to_ms,
                         struct tm_report *out, struct err *e);
/* The report as a JSON object (series_id, profile, from, to, readings,
** min/mean/max/mkt_c, out_of_range_s, excursions, shelf_*); you own it. The
** one shape for every cold-chain report (a series', a route's). */
struct json_object *tm_report_to_json(const struct tm_report *r);

/* ---- MQTT (libmosquitto): subscribe to ruralink/<county>/<device>/<measurement>,
** payload line protocol or a JSON reading/batch. */
struct tm_mqtt_config {
    const char *host;
    int port;
    const char *topic; /* unused: always "ruralink/+/+/+" */
    const char *client_id;
};
int tm_mqtt_start(struct telemetry *t, const struct tm_mqtt_config *cfg, struct err *e);
void tm_mqtt_stop(struct telemetry *t);
/* Messages stored so far (for tests and /metrics). */
uint64_t tm_mqtt_received(struct telemetry *t);
/* Handle one message as the client would (topic + payload). */
int tm_mqtt_handle(struct telemetry *t, const char *topic, const void *payload, size_t len,
                   struct err *e);

#endif
