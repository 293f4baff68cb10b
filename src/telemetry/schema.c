/*
** schema.c: the telemetry module's tables.
**
**   tm_series     series dictionary: one row per (county, measurement, tag
**                 set, field); skey is the canonical "m,k=v,... field" text
**   tm_chunks     (v3) compressed readings per series and day (chunks.c),
**                 3-4 bytes a reading. Like the ingest log it carries no
**                 county_id of its own: its series does, and every query
**                 reaches readings through a county-filtered series id
**   tm_rollups    1-minute and 1-hour min/max/sum/count per series
**   tm_meta       per-county roll-up watermarks
**   tm_devices    what a device (auth's devices table) is bound to
**   tm_monitors   excursion rule + detector state per series
**   tm_alerts     alerts (excursions, cumulative, soil dry) with their readings
**   tm_webhooks, tm_deliveries   webhook targets and the delivery outbox
**   tm_ingest_log (v2) one row per acknowledged ingest request whose readings
**                 are not yet in tm_chunks (memtable.c): (series_id, ts_ms,
**                 value) triples packed 24 bytes each, native byte order
**   (v4)          tm_monitors.st_last_out: cumulative time counts only
**                 readings strictly out of range
*/
#include "telemetry/telemetry.h"

#define TM_SCHEMA_COMMON(IDPK, REAL, WITHOUT_ROWID)                                                \
    "CREATE TABLE tm_series (\n"                                                                   \
    "  id " IDPK ",\n"                                                                             \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  skey TEXT NOT NULL,\n"                                                                      \
    "  measurement TEXT NOT NULL,\n"                                                               \
    "  field TEXT NOT NULL,\n"                                                                     \
    "  tags_json TEXT NOT NULL,\n"                                                                 \
    "  device_id BIGINT NOT NULL DEFAULT 0,\n"                                                     \
    "  created_ms BIGINT NOT NULL,\n"                                                              \
    "  UNIQUE (county_id, skey)\n"                                                                 \
    ");\n"                                                                                         \
    "CREATE INDEX tm_series_meas ON tm_series (county_id, measurement);\n"                         \
    "CREATE TABLE tm_rollups (\n"                                                                  \
    "  series_id BIGINT NOT NULL,\n"                                                               \
    "  res_ms BIGINT NOT NULL,\n"                                                                  \
    "  ts_ms BIGINT NOT NULL,\n"                                                                   \
    "  vmin " REAL " NOT NULL,\n"                                                                  \
    "  vmax " REAL " NOT NULL,\n"                                                                  \
    "  vsum " REAL " NOT NULL,\n"                                                                  \
    "  n BIGINT NOT NULL,\n"                                                                       \
    "  PRIMARY KEY (series_id, res_ms, ts_ms)\n"                                                   \
    ")" WITHOUT_ROWID ";\n"                                                                        \
    "CREATE TABLE tm_meta (\n"                                                                     \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  k TEXT NOT NULL,\n"                                                                         \
    "  v BIGINT NOT NULL,\n"                                                                       \
    "  PRIMARY KEY (county_id, k)\n"                                                               \
    ");\n"                                                                                         \
    "CREATE TABLE tm_devices (\n"                                                                  \
    "  device_id BIGINT PRIMARY KEY,\n"                                                            \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  bound_kind TEXT NOT NULL CHECK (bound_kind IN ('vehicle','cold_store','plot',"              \
    "'water_station','air_station','other')),\n"                                                   \
    "  bound_ref TEXT NOT NULL DEFAULT '',\n"                                                      \
    "  updated_ms BIGINT NOT NULL\n"                                                               \
    ");\n"                                                                                         \
    "CREATE TABLE tm_monitors (\n"                                                                 \
    "  series_id BIGINT PRIMARY KEY,\n"                                                            \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  profile TEXT NOT NULL DEFAULT '',\n"                                                        \
    "  low " REAL ",\n"                                                                            \
    "  high " REAL ",\n"                                                                           \
    "  hysteresis " REAL " NOT NULL DEFAULT 0,\n"                                                  \
    "  min_dur_ms BIGINT NOT NULL DEFAULT 0,\n"                                                    \
    "  cumulative_ms BIGINT NOT NULL DEFAULT 0,\n"                                                 \
    "  severity INTEGER NOT NULL DEFAULT 3,\n"                                                     \
    "  st_side INTEGER NOT NULL DEFAULT 0,\n"                                                      \
    "  st_raised INTEGER NOT NULL DEFAULT 0,\n"                                                    \
    "  st_cum_raised INTEGER NOT NULL DEFAULT 0,\n"                                                \
    "  st_has_last INTEGER NOT NULL DEFAULT 0,\n"                                                  \
    "  st_since_ms BIGINT NOT NULL DEFAULT 0,\n"                                                   \
    "  st_last_ms BIGINT NOT NULL DEFAULT 0,\n"                                                    \
    "  st_cum_ms BIGINT NOT NULL DEFAULT 0,\n"                                                     \
    "  st_peak " REAL " NOT NULL DEFAULT 0,\n"                                                     \
    "  st_alert_id BIGINT NOT NULL DEFAULT 0,\n"                                                   \
    "  updated_ms BIGINT NOT NULL\n"                                                               \
    ");\n"                                                                                         \
    "CREATE INDEX tm_monitors_county ON tm_monitors (county_id);\n"                                \
    "CREATE TABLE tm_alerts (\n"                                                                   \
    "  id " IDPK ",\n"                                                                             \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  series_id BIGINT NOT NULL,\n"                                                               \
    "  kind TEXT NOT NULL,\n"                                                                      \
    "  severity INTEGER NOT NULL,\n"                                                               \
    "  state TEXT NOT NULL CHECK (state IN ('open','acknowledged','closed')),\n"                   \
    "  title TEXT NOT NULL,\n"                                                                     \
    "  start_ms BIGINT NOT NULL,\n"                                                                \
    "  end_ms BIGINT,\n"                                                                           \
    "  peak " REAL ",\n"                                                                           \
    "  raised_ms BIGINT NOT NULL,\n"                                                               \
    "  readings_json TEXT NOT NULL,\n"                                                             \
    "  ack_by BIGINT,\n"                                                                           \
    "  ack_ms BIGINT,\n"                                                                           \
    "  closed_by BIGINT,\n"                                                                        \
    "  closed_ms BIGINT\n"                                                                         \
    ");\n"                                                                                         \
    "CREATE INDEX tm_alerts_county ON tm_alerts (county_id, state, id);\n"                         \
    "CREATE TABLE tm_webhooks (\n"                                                                 \
    "  id " IDPK ",\n"                                                                             \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  url TEXT NOT NULL,\n"                                                                       \
    "  secret TEXT NOT NULL,\n"                                                                    \
    "  active INTEGER NOT NULL DEFAULT 1,\n"                                                       \
    "  created_ms BIGINT NOT NULL\n"                                                               \
    ");\n"                                                                                         \
    "CREATE TABLE tm_deliveries (\n"                                                               \
    "  id " IDPK ",\n"                                                                             \
    "  county_id INTEGER NOT NULL,\n"                                                              \
    "  webhook_id BIGINT NOT NULL,\n"                                                              \
    "  alert_id BIGINT NOT NULL,\n"                                                                \
    "  event TEXT NOT NULL,\n"                                                                     \
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"                                                     \
    "  next_ms BIGINT NOT NULL,\n"                                                                 \
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','failed')),\n" \
    "  last_status INTEGER,\n"                                                                     \
    "  last_error TEXT\n"                                                                          \
    ");\n"                                                                                         \
    "CREATE INDEX tm_deliveries_due ON tm_deliveries (state, next_ms);\n"

const struct store_migration telemetry_migrations[] = {
    /* v1 also created a row-per-reading table tm_readings until chunks
    ** replaced it (before any release); databases made then keep it empty */
    {1, "series, roll-ups, devices, monitors, alerts, webhooks",
     TM_SCHEMA_COMMON("INTEGER PRIMARY KEY", "REAL", " WITHOUT ROWID"),
     TM_SCHEMA_COMMON("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "DOUBLE PRECISION",
                      "")},
    {2, "ingest log (durable writes before the memtable flush)",
     "CREATE TABLE tm_ingest_log (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  created_ms BIGINT NOT NULL,\n"
     "  n INTEGER NOT NULL,\n"
     "  rows BLOB NOT NULL\n"
     ");\n",
     "CREATE TABLE tm_ingest_log (\n"
     "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
     "  created_ms BIGINT NOT NULL,\n"
     "  n INTEGER NOT NULL,\n"
     "  rows BYTEA NOT NULL\n"
     ");\n"},
    {3, "readings as compressed chunks per series and day",
     "CREATE TABLE tm_chunks (\n"
     "  series_id BIGINT NOT NULL,\n"
     "  t0 BIGINT NOT NULL,\n"
     "  gen BIGINT NOT NULL,\n"
     "  t1 BIGINT NOT NULL,\n"
     "  n INTEGER NOT NULL,\n"
     "  enc INTEGER NOT NULL,\n"
     "  data BLOB NOT NULL,\n"
     "  PRIMARY KEY (series_id, t0, gen)\n"
     ") WITHOUT ROWID;\n",
     "CREATE TABLE tm_chunks (\n"
     "  series_id BIGINT NOT NULL,\n"
     "  t0 BIGINT NOT NULL,\n"
     "  gen BIGINT NOT NULL,\n"
     "  t1 BIGINT NOT NULL,\n"
     "  n INTEGER NOT NULL,\n"
     "  enc INTEGER NOT NULL,\n"
     "  data BYTEA NOT NULL,\n"
     "  PRIMARY KEY (series_id, t0, gen)\n"
     ");\n"},
    /* cumulative time counts only readings strictly out of range, not the
    ** hysteresis band; an excursion's last reading was out when the state
    ** was saved (side != 0), the closest guess for rows made before */
    {4, "detector: was the last reading strictly out of range",
     "ALTER TABLE tm_monitors ADD COLUMN st_last_out INTEGER NOT NULL DEFAULT 0;\n"
     "UPDATE tm_monitors SET st_last_out = (st_side <> 0);\n",
     "ALTER TABLE tm_monitors ADD COLUMN st_last_out INTEGER NOT NULL DEFAULT 0;\n"
     "UPDATE tm_monitors SET st_last_out = CASE WHEN st_side <> 0 THEN 1 ELSE 0 END;\n"},
};
const size_t telemetry_migrations_len = RL_ARRAY_LEN(telemetry_migrations);
