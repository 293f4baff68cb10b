/*
** schema.c: the county module's tables (counties, townships, villages,
** nodes) as numbered migrations. Every table but counties carries county_id
** and every index leads with it, so each query is a range scan within one
** county (and the distribution key on PostgreSQL/Citus).
*/
#include "county/county.h"

/* Each table's columns after its id, and its indexes: migration 1 made the
** tables, migration 2 rebuilds them with AUTOINCREMENT (same columns). */
#define COUNTIES_COLS                                                                              \
    "  code TEXT NOT NULL UNIQUE,\n"                                                               \
    "  name_zh TEXT NOT NULL,\n"                                                                   \
    "  name_en TEXT NOT NULL DEFAULT '',\n"                                                        \
    "  circuity REAL NOT NULL DEFAULT 1.3 CHECK (circuity >= 1.0 AND circuity <= 4.0),\n"          \
    "  center_lat REAL NOT NULL,\n"                                                                \
    "  center_lon REAL NOT NULL,\n"                                                                \
    "  created_ms INTEGER NOT NULL,\n"                                                             \
    "  updated_ms INTEGER NOT NULL\n"                                                              \
    ");\n"
#define TOWNSHIPS_COLS                                                                             \
    "  county_id INTEGER NOT NULL REFERENCES counties(id),\n"                                      \
    "  name_zh TEXT NOT NULL,\n"                                                                   \
    "  name_en TEXT NOT NULL DEFAULT '',\n"                                                        \
    "  lat REAL NOT NULL,\n"                                                                       \
    "  lon REAL NOT NULL,\n"                                                                       \
    "  created_ms INTEGER NOT NULL,\n"                                                             \
    "  updated_ms INTEGER NOT NULL\n"                                                              \
    ");\n"
#define VILLAGES_COLS                                                                              \
    "  county_id INTEGER NOT NULL REFERENCES counties(id),\n"                                      \
    "  township_id INTEGER NOT NULL REFERENCES townships(id),\n"                                   \
    "  name_zh TEXT NOT NULL,\n"                                                                   \
    "  name_en TEXT NOT NULL DEFAULT '',\n"                                                        \
    "  population INTEGER NOT NULL DEFAULT 0,\n"                                                   \
    "  households INTEGER NOT NULL DEFAULT 0,\n"                                                   \
    "  elevation_m INTEGER NOT NULL DEFAULT 0,\n"                                                  \
    "  lat REAL NOT NULL,\n"                                                                       \
    "  lon REAL NOT NULL,\n"                                                                       \
    "  created_ms INTEGER NOT NULL,\n"                                                             \
    "  updated_ms INTEGER NOT NULL\n"                                                              \
    ");\n"
#define NODES_COLS                                                                                 \
    "  county_id INTEGER NOT NULL REFERENCES counties(id),\n"                                      \
    "  kind TEXT NOT NULL CHECK (kind IN ('county_hub', 'township_station',\n"                     \
    "                                     'village_point', 'cold_store')),\n"                      \
    "  name TEXT NOT NULL,\n"                                                                      \
    "  lat REAL NOT NULL,\n"                                                                       \
    "  lon REAL NOT NULL,\n"                                                                       \
    "  parent_id INTEGER REFERENCES nodes(id),\n"                                                  \
    "  township_id INTEGER REFERENCES townships(id),\n"                                            \
    "  village_id INTEGER REFERENCES villages(id),\n"                                              \
    "  open_min INTEGER NOT NULL DEFAULT 0,\n"                                                     \
    "  close_min INTEGER NOT NULL DEFAULT 1440,\n"                                                 \
    "  capacity_g INTEGER NOT NULL DEFAULT 0,\n"                                                   \
    "  capacity_ml INTEGER NOT NULL DEFAULT 0,\n"                                                  \
    "  cold_capacity_ml INTEGER NOT NULL DEFAULT 0,\n"                                             \
    "  active INTEGER NOT NULL DEFAULT 1,\n"                                                       \
    "  created_ms INTEGER NOT NULL,\n"                                                             \
    "  updated_ms INTEGER NOT NULL\n"                                                              \
    ");\n"
#define TOWNSHIPS_INDEXES                                                                          \
    "CREATE INDEX townships_county ON townships(county_id, id);\n"                                 \
    "CREATE UNIQUE INDEX townships_name ON townships(county_id, name_zh);\n"
#define VILLAGES_INDEXES                                                                           \
    "CREATE INDEX villages_county ON villages(county_id, id);\n"                                   \
    "CREATE INDEX villages_township ON villages(county_id, township_id, id);\n"                    \
    "CREATE UNIQUE INDEX villages_name ON villages(county_id, township_id, name_zh);\n"
#define NODES_INDEXES                                                                              \
    "CREATE INDEX nodes_county ON nodes(county_id, id);\n"                                         \
    "CREATE INDEX nodes_kind ON nodes(county_id, kind, id);\n"                                     \
    "CREATE INDEX nodes_parent ON nodes(county_id, parent_id);\n"                                  \
    "CREATE INDEX nodes_township ON nodes(county_id, township_id);\n"                              \
    "CREATE INDEX nodes_village ON nodes(county_id, village_id);\n"

static const char v1_sqlite[] =
    "CREATE TABLE counties (\n  id INTEGER PRIMARY KEY,\n" COUNTIES_COLS
    "CREATE TABLE townships (\n  id INTEGER PRIMARY KEY,\n" TOWNSHIPS_COLS TOWNSHIPS_INDEXES
    "CREATE TABLE villages (\n  id INTEGER PRIMARY KEY,\n" VILLAGES_COLS VILLAGES_INDEXES
    "CREATE TABLE nodes (\n  id INTEGER PRIMARY KEY,\n" NODES_COLS NODES_INDEXES;

/* Migration 2: ids are never used again. Without AUTOINCREMENT SQLite gives
** a new row the highest id + 1, so deleting the newest village or node let
** the next one take its id, and whatever still named the old one (audit
** rows, a cached travel matrix, a device binding, a report someone kept)
** would name the new one. Each table is rebuilt with AUTOINCREMENT in the
** migration's transaction, keeping every row and id: its rows are saved,
** the table is dropped and made again, the rows go back. Child rows of the
** dropped parents count as deferred foreign-key violations until their
** parents return (defer_foreign_keys, reset at COMMIT), so nothing is
** checked half-way and the commit checks everything. Parents go before
** children and come back before them. PostgreSQL's identity columns never
** reuse ids: nothing to do there. */
#define REBUILD(t, T)                                                                              \
    "CREATE TEMP TABLE county_m2_" t " AS SELECT * FROM " t ";\n"                                  \
    "DROP TABLE " t ";\n"                                                                          \
    "CREATE TABLE " t " (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n" T##_COLS                     \
        "INSERT INTO " t " SELECT * FROM temp.county_m2_" t " ORDER BY id;\n"                      \
        "DROP TABLE temp.county_m2_" t ";\n"
static const char v2_sqlite[] = "PRAGMA defer_foreign_keys = ON;\n" REBUILD("counties", COUNTIES)
    REBUILD("townships", TOWNSHIPS) TOWNSHIPS_INDEXES REBUILD("villages", VILLAGES)
VILLAGES_INDEXES REBUILD("nodes", NODES) NODES_INDEXES;
static const char v2_pg[] = "SELECT 1;\n";

static const char v1_pg[] =
    "CREATE TABLE counties (\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  code TEXT NOT NULL UNIQUE,\n"
    "  name_zh TEXT NOT NULL,\n"
    "  name_en TEXT NOT NULL DEFAULT '',\n"
    "  circuity DOUBLE PRECISION NOT NULL DEFAULT 1.3\n"
    "    CHECK (circuity >= 1.0 AND circuity <= 4.0),\n"
    "  center_lat DOUBLE PRECISION NOT NULL,\n"
    "  center_lon DOUBLE PRECISION NOT NULL,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  updated_ms BIGINT NOT NULL\n"
    ");\n"
    "CREATE TABLE townships (\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  county_id BIGINT NOT NULL REFERENCES counties(id),\n"
    "  name_zh TEXT NOT NULL,\n"
    "  name_en TEXT NOT NULL DEFAULT '',\n"
    "  lat DOUBLE PRECISION NOT NULL,\n"
    "  lon DOUBLE PRECISION NOT NULL,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  updated_ms BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX townships_county ON townships(county_id, id);\n"
    "CREATE UNIQUE INDEX townships_name ON townships(county_id, name_zh);\n"
    "CREATE TABLE villages (\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  county_id BIGINT NOT NULL REFERENCES counties(id),\n"
    "  township_id BIGINT NOT NULL REFERENCES townships(id),\n"
    "  name_zh TEXT NOT NULL,\n"
    "  name_en TEXT NOT NULL DEFAULT '',\n"
    "  population BIGINT NOT NULL DEFAULT 0,\n"
    "  households BIGINT NOT NULL DEFAULT 0,\n"
    "  elevation_m BIGINT NOT NULL DEFAULT 0,\n"
    "  lat DOUBLE PRECISION NOT NULL,\n"
    "  lon DOUBLE PRECISION NOT NULL,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  updated_ms BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX villages_county ON villages(county_id, id);\n"
    "CREATE INDEX villages_township ON villages(county_id, township_id, id);\n"
    "CREATE UNIQUE INDEX villages_name ON villages(county_id, township_id, name_zh);\n"
    "CREATE TABLE nodes (\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  county_id BIGINT NOT NULL REFERENCES counties(id),\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('county_hub', 'township_station',\n"
    "                                     'village_point', 'cold_store')),\n"
    "  name TEXT NOT NULL,\n"
    "  lat DOUBLE PRECISION NOT NULL,\n"
    "  lon DOUBLE PRECISION NOT NULL,\n"
    "  parent_id BIGINT REFERENCES nodes(id),\n"
    "  township_id BIGINT REFERENCES townships(id),\n"
    "  village_id BIGINT REFERENCES villages(id),\n"
    "  open_min INTEGER NOT NULL DEFAULT 0,\n"
    "  close_min INTEGER NOT NULL DEFAULT 1440,\n"
    "  capacity_g BIGINT NOT NULL DEFAULT 0,\n"
    "  capacity_ml BIGINT NOT NULL DEFAULT 0,\n"
    "  cold_capacity_ml BIGINT NOT NULL DEFAULT 0,\n"
    "  active INTEGER NOT NULL DEFAULT 1,\n"
    "  created_ms BIGINT NOT NULL,\n"
    "  updated_ms BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX nodes_county ON nodes(county_id, id);\n"
    "CREATE INDEX nodes_kind ON nodes(county_id, kind, id);\n"
    "CREATE INDEX nodes_parent ON nodes(county_id, parent_id);\n"
    "CREATE INDEX nodes_township ON nodes(county_id, township_id);\n"
    "CREATE INDEX nodes_village ON nodes(county_id, village_id);\n";

/* Migration 3: a node's English name (optional, "" = none), as counties,
** townships and villages have: a page in English names a node by it
** rather than composing a name from its village or township. */
static const char v3[] = "ALTER TABLE nodes ADD COLUMN name_en TEXT NOT NULL DEFAULT '';\n";

const struct store_migration county_migrations[] = {
    {1, "counties, townships, villages, nodes", v1_sqlite, v1_pg},
    {2, "county: ids are never used again (AUTOINCREMENT)", v2_sqlite, v2_pg},
    {3, "county: nodes' English names", v3, NULL},
};
const size_t county_migrations_len = RL_ARRAY_LEN(county_migrations);
