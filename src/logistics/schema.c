/*
** schema.c: the logistics module's tables as numbered migrations. Every
** table carries county_id and its indexes lead with it.
**
**   lg_vehicles       the fleet (one row per vehicle, its driver)
**   lg_travel         per-county travel settings and their version
**   lg_travel_matrix  an imported measured matrix between nodes
**   lg_consignments   upward produce pickups; where the goods are (at_node_id)
**                     and the approved plan that holds them (plan_id)
**   lg_plans          dispatch plans and baselines, stored KPIs as columns
**   lg_routes         one per vehicle used in a plan
**   lg_stops          stops in order with ETAs, loads, proof codes, status
**   lg_stop_items     goods loaded or unloaded at a stop (urgency, an order's
**                     lines: migration 5)
**   lg_unassigned     work a plan left out, with the reason
**   lg_positions      GPS positions posted by drivers
**   lg_alerts         late / off-corridor alerts, with their figure (migration 6)
**                     and a late one's threshold (migration 7)
**   lg_site_analyses  siting analyses and their result
*/
#include "logistics/logistics.h"

static const char v1[] =
    "CREATE TABLE lg_vehicles ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, plate TEXT NOT NULL,"
    " depot_node_id INTEGER NOT NULL, capacity_g INTEGER NOT NULL CHECK (capacity_g > 0),"
    " capacity_ml INTEGER NOT NULL CHECK (capacity_ml > 0), temp INTEGER NOT NULL DEFAULT 0,"
    " cost_per_km_fen INTEGER NOT NULL DEFAULT 0, cost_per_hour_fen INTEGER NOT NULL DEFAULT 0,"
    " fixed_cost_fen INTEGER NOT NULL DEFAULT 0, shift_start_min INTEGER NOT NULL,"
    " shift_end_min INTEGER NOT NULL, co2_g_per_km INTEGER NOT NULL DEFAULT 0,"
    " driver_user_id INTEGER NOT NULL DEFAULT 0, active INTEGER NOT NULL DEFAULT 1,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX lg_vehicles_plate ON lg_vehicles(county_id, plate);"
    "CREATE TABLE lg_travel ("
    " county_id INTEGER PRIMARY KEY, circuity REAL NOT NULL DEFAULT 0,"
    " road INTEGER NOT NULL DEFAULT 4, speed_kmh REAL NOT NULL DEFAULT 0,"
    " use_matrix INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE TABLE lg_travel_matrix ("
    " county_id INTEGER NOT NULL, from_node_id INTEGER NOT NULL, to_node_id INTEGER NOT NULL,"
    " dist_m INTEGER NOT NULL, dur_s INTEGER NOT NULL,"
    " PRIMARY KEY (county_id, from_node_id, to_node_id));"
    "CREATE TABLE lg_consignments ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, village_id INTEGER NOT NULL,"
    " from_node_id INTEGER NOT NULL DEFAULT 0, to_node_id INTEGER NOT NULL DEFAULT 0,"
    " date_ms INTEGER NOT NULL, weight_g INTEGER NOT NULL, volume_ml INTEGER NOT NULL,"
    " storage INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '',"
    " status TEXT NOT NULL DEFAULT 'open', created_ms INTEGER NOT NULL);"
    "CREATE INDEX lg_consignments_date ON lg_consignments(county_id, date_ms);"
    "CREATE TABLE lg_plans ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    " name TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0, date_ms INTEGER NOT NULL,"
    " depot_node_id INTEGER NOT NULL, solve_s REAL NOT NULL DEFAULT 0,"
    " k_routes INTEGER NOT NULL, k_stops INTEGER NOT NULL, k_orders_served INTEGER NOT NULL,"
    " k_orders_unassigned INTEGER NOT NULL, k_cons_served INTEGER NOT NULL,"
    " k_cons_unassigned INTEGER NOT NULL, k_villages INTEGER NOT NULL,"
    " k_distance_m INTEGER NOT NULL, k_driving_s INTEGER NOT NULL,"
    " k_duration_s INTEGER NOT NULL, k_cost_fen INTEGER NOT NULL, k_co2_g INTEGER NOT NULL,"
    " k_load_permille INTEGER NOT NULL, k_lateness_s INTEGER NOT NULL,"
    " k_chilled_min INTEGER NOT NULL, created_by INTEGER NOT NULL,"
    " approved_by INTEGER NOT NULL DEFAULT 0, approved_ms INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX lg_plans_date ON lg_plans(county_id, date_ms, depot_node_id);"
    "CREATE TABLE lg_routes ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, plan_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL, vehicle_id INTEGER NOT NULL, driver_user_id INTEGER NOT NULL,"
    " vehicle_json TEXT NOT NULL, delay_s INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX lg_routes_plan ON lg_routes(county_id, plan_id, seq);"
    "CREATE TABLE lg_stops ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, route_id INTEGER NOT NULL,"
    " plan_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " node_id INTEGER NOT NULL, village_id INTEGER NOT NULL, name TEXT NOT NULL,"
    " lat REAL NOT NULL, lon REAL NOT NULL, arrive_ms INTEGER NOT NULL,"
    " depart_ms INTEGER NOT NULL, tw_start_ms INTEGER NOT NULL, tw_end_ms INTEGER NOT NULL,"
    " leg_dist_m INTEGER NOT NULL, leg_dur_s INTEGER NOT NULL, load_g INTEGER NOT NULL,"
    " load_ml INTEGER NOT NULL, chilled_load INTEGER NOT NULL,"
    " chilled_unload INTEGER NOT NULL, proof_code TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending', actual_ms INTEGER NOT NULL DEFAULT 0,"
    " fail_reason TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX lg_stops_route ON lg_stops(county_id, route_id, seq);"
    "CREATE TABLE lg_stop_items ("
    " stop_id INTEGER NOT NULL, county_id INTEGER NOT NULL, plan_id INTEGER NOT NULL,"
    " n INTEGER NOT NULL, order_id INTEGER NOT NULL, consignment_id INTEGER NOT NULL,"
    " load INTEGER NOT NULL, weight_g INTEGER NOT NULL, volume_ml INTEGER NOT NULL,"
    " storage INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (stop_id, n));"
    "CREATE INDEX lg_stop_items_plan ON lg_stop_items(county_id, plan_id);"
    "CREATE TABLE lg_unassigned ("
    " plan_id INTEGER NOT NULL, county_id INTEGER NOT NULL, n INTEGER NOT NULL,"
    " order_id INTEGER NOT NULL, consignment_id INTEGER NOT NULL, node_id INTEGER NOT NULL,"
    " reason TEXT NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (plan_id, n));"
    "CREATE TABLE lg_positions ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, route_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL);"
    "CREATE INDEX lg_positions_route ON lg_positions(county_id, route_id, ts_ms);"
    "CREATE TABLE lg_alerts ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, plan_id INTEGER NOT NULL,"
    " route_id INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL,"
    " open INTEGER NOT NULL DEFAULT 1, ts_ms INTEGER NOT NULL);"
    "CREATE INDEX lg_alerts_plan ON lg_alerts(county_id, plan_id, id);"
    "CREATE TABLE lg_site_analyses ("
    " id INTEGER PRIMARY KEY, county_id INTEGER NOT NULL, created_by INTEGER NOT NULL,"
    " result_json TEXT NOT NULL, created_ms INTEGER NOT NULL);";

/* A driver marking an order delivered looks for it among its routes' stop
** items (logistics_driver_carries). */
static const char v2[] = "CREATE INDEX lg_stop_items_order ON lg_stop_items(county_id, order_id);";

/* Approval looks for a consignment on another approved plan, and stop
** events find a drop's pickup, by the consignment's stop items. */
static const char v3[] =
    "CREATE INDEX lg_stop_items_consignment ON lg_stop_items(county_id, consignment_id);";

/* Where a consignment's goods are and which approved plan holds it, so
** that a failed pickup or drop reopens it and only the holding plan's stop
** events move it. at_node_id: the node the goods were last unloaded at (a
** depot they came back to, or their destination once delivered); NULL while
** they have not left their origin. plan_id: the approved plan that holds a
** planned or picked-up consignment (and the one that delivered it); NULL
** while open. Existing rows: a planned one gets the approved plan carrying
** it, or is open again when none does; a picked-up one gets the plan whose
** pickup stop loaded it, even a superseded one (its route can then still
** unload it: before this, it was stuck). */
static const char v4[] =
    "ALTER TABLE lg_consignments ADD COLUMN at_node_id INTEGER;"
    "ALTER TABLE lg_consignments ADD COLUMN plan_id INTEGER;"
    "UPDATE lg_consignments SET plan_id = (SELECT MAX(p.id) FROM lg_stop_items i "
    "JOIN lg_plans p ON p.county_id = i.county_id AND p.id = i.plan_id "
    "WHERE i.county_id = lg_consignments.county_id AND i.consignment_id = lg_consignments.id "
    "AND p.status = 1) WHERE status = 'planned';"
    "UPDATE lg_consignments SET status = 'open' WHERE status = 'planned' AND plan_id IS NULL;"
    "UPDATE lg_consignments SET plan_id = (SELECT MAX(i.plan_id) FROM lg_stop_items i "
    "JOIN lg_stops s ON s.county_id = i.county_id AND s.id = i.stop_id "
    "WHERE i.county_id = lg_consignments.county_id AND i.consignment_id = lg_consignments.id "
    "AND i.load = 1 AND s.status = 'picked_up') WHERE status = 'picked_up';"
    "CREATE INDEX lg_consignments_status ON lg_consignments(county_id, status, date_ms);"
    "CREATE INDEX lg_consignments_plan ON lg_consignments(county_id, plan_id);";

/* What a page needs to show a plan's goods and stops without asking
** market for each order, nor reading the English label: a stop item's
** urgency (an urgent insertion; before, only "(urgent)" in its label said
** so) and an order's lines as the plan took them (product ids, names zh and
** en, quantities: JSON, "" when unknown, as for the items stored before
** this); a stop's delivery address when it has no node (before, the item's
** label was its name). Existing rows: urgency from the label; an urgent
** insertion's stop was already named by its address, which is copied. */
static const char v5[] =
    "ALTER TABLE lg_stop_items ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE lg_stop_items ADD COLUMN lines_json TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE lg_stops ADD COLUMN address TEXT NOT NULL DEFAULT '';"
    "UPDATE lg_stop_items SET urgent = 1 WHERE order_id > 0 AND label LIKE '% (urgent)';"
    "UPDATE lg_stops SET address = name WHERE node_id = 0 AND kind = 1 AND EXISTS "
    "(SELECT 1 FROM lg_stop_items i WHERE i.county_id = lg_stops.county_id "
    "AND i.stop_id = lg_stops.id AND i.urgent = 1);";

/* An alert's figure when it was raised (the delay of a late one, the
** distance from the route of an off-corridor one), which was only in its
** English detail. Existing rows: read back from that detail ("running 25
** min late", "3456 m from the planned route"); NULL when it does not say. */
static const char v6[] =
    "ALTER TABLE lg_alerts ADD COLUMN delay_s INTEGER;"
    "ALTER TABLE lg_alerts ADD COLUMN distance_m INTEGER;"
    "UPDATE lg_alerts SET delay_s = CAST(substr(detail, 9) AS INTEGER) * 60 "
    "WHERE kind = 'late' AND detail LIKE 'running % min late';"
    "UPDATE lg_alerts SET distance_m = CAST(detail AS INTEGER) "
    "WHERE kind = 'off_corridor' AND detail LIKE '% m from the planned route';";

/* The threshold a late alert was raised with (a GPS fix's late_after_min,
** or the housekeeping sweep's), so that a stop event or the sweep closes it
** by the same rule once the route is back on time. Existing rows: NULL,
** read as the default (LOGISTICS_LATE_AFTER_S). */
static const char v7[] = "ALTER TABLE lg_alerts ADD COLUMN late_after_s INTEGER;";

const struct store_migration logistics_migrations[] = {
    {1, "fleet, travel, consignments, plans, tracking, siting", v1, NULL},
    {2, "stop items by order", v2, NULL},
    {3, "stop items by consignment", v3, NULL},
    {4, "consignment location and holding plan", v4, NULL},
    {5, "stop items' urgency and order lines, stops' address", v5, NULL},
    {6, "alerts' delay and distance", v6, NULL},
    {7, "late alerts' threshold", v7, NULL},
};
const size_t logistics_migrations_len =
    sizeof logistics_migrations / sizeof logistics_migrations[0];

const struct store_ref logistics_refs[] = {
    {"nodes", "lg_vehicles", "depot_node_id"},    {"villages", "lg_consignments", "village_id"},
    {"nodes", "lg_consignments", "from_node_id"}, {"nodes", "lg_consignments", "to_node_id"},
    {"nodes", "lg_consignments", "at_node_id"},   {"nodes", "lg_plans", "depot_node_id"},
    {"villages", "lg_stops", "village_id"},       {"nodes", "lg_stops", "node_id"},
    {"nodes", "lg_unassigned", "node_id"},
};
const size_t logistics_refs_len = sizeof logistics_refs / sizeof logistics_refs[0];
