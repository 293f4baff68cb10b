/*
** schema.c: the market module's tables, as numbered migrations. Every table
** carries county_id and every query filters by it. Stock lives in lots
** (market_lots.qty) and flash stock in offers (flash_stock, sold); both are
** only changed inside store_write functions, so a check and its decrement
** are never apart. market_stock_moves keeps every change of a lot.
** Tables keyed by a composite primary key are WITHOUT ROWID (one b-tree
** instead of two per insert: they are written on every order).
*/
#include "market/market.h"

static const char m1_sql[] =
    "CREATE TABLE market_producers ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " village_id INTEGER NOT NULL,"
    " owner_user_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " licence_no TEXT NOT NULL DEFAULT '',"
    " contact_name TEXT NOT NULL DEFAULT '',"
    " contact_phone TEXT NOT NULL DEFAULT '',"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE INDEX market_producers_village ON market_producers(county_id, village_id);"
    "CREATE INDEX market_producers_owner ON market_producers(county_id, owner_user_id);"
    "CREATE TABLE market_certs ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " producer_id INTEGER NOT NULL REFERENCES market_producers(id),"
    " kind TEXT NOT NULL,"
    " cert_no TEXT NOT NULL DEFAULT '',"
    " valid_from_ms INTEGER NOT NULL,"
    " valid_until_ms INTEGER NOT NULL,"
    " CHECK (valid_from_ms <= valid_until_ms));"
    "CREATE INDEX market_certs_producer ON market_certs(producer_id);"
    "CREATE TABLE market_products ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " producer_id INTEGER NOT NULL REFERENCES market_producers(id),"
    " village_id INTEGER NOT NULL,"
    " sku TEXT NOT NULL,"
    " name_zh TEXT NOT NULL DEFAULT '',"
    " name_en TEXT NOT NULL DEFAULT '',"
    " story_zh TEXT NOT NULL DEFAULT '',"
    " story_en TEXT NOT NULL DEFAULT '',"
    " category TEXT NOT NULL DEFAULT '',"
    " unit TEXT NOT NULL DEFAULT '',"
    " price_fen INTEGER NOT NULL CHECK (price_fen > 0),"
    " weight_g INTEGER NOT NULL DEFAULT 0 CHECK (weight_g >= 0),"
    " volume_ml INTEGER NOT NULL DEFAULT 0 CHECK (volume_ml >= 0),"
    " storage INTEGER NOT NULL,"
    " temp_min_c REAL NOT NULL,"
    " temp_max_c REAL NOT NULL,"
    " rh_min_pct REAL NOT NULL,"
    " rh_max_pct REAL NOT NULL,"
    " shelf_life_days INTEGER NOT NULL DEFAULT 0,"
    " tags TEXT NOT NULL DEFAULT '',"   /* newline-separated */
    " images TEXT NOT NULL DEFAULT ''," /* newline-separated */
    " signature INTEGER NOT NULL DEFAULT 0,"
    " brand TEXT NOT NULL DEFAULT '',"
    " active INTEGER NOT NULL DEFAULT 1,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " UNIQUE (county_id, sku));"
    "CREATE INDEX market_products_producer ON market_products(county_id, producer_id);"
    "CREATE INDEX market_products_village ON market_products(county_id, village_id);"
    "CREATE TABLE market_lots ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " product_id INTEGER NOT NULL REFERENCES market_products(id),"
    " node_id INTEGER NOT NULL,"
    " lot_code TEXT NOT NULL DEFAULT '',"
    " harvest_ms INTEGER NOT NULL DEFAULT 0,"
    " pack_ms INTEGER NOT NULL DEFAULT 0,"
    " expiry_ms INTEGER NOT NULL DEFAULT 0," /* 0 = does not expire */
    " qty INTEGER NOT NULL CHECK (qty >= 0),"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX market_lots_product ON market_lots(county_id, product_id, expiry_ms);"
    "CREATE TABLE market_stock_moves ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " lot_id INTEGER NOT NULL,"
    " delta INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " order_id INTEGER NOT NULL DEFAULT 0,"
    " actor_user_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL);"
    "CREATE INDEX market_stock_moves_lot ON market_stock_moves(lot_id);"
    "CREATE TABLE market_sessions ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " host_user_id INTEGER NOT NULL,"
    " village_id INTEGER NOT NULL,"
    " title TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '',"
    " start_ms INTEGER NOT NULL,"
    " end_ms INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " CHECK (start_ms < end_ms));"
    "CREATE INDEX market_sessions_time ON market_sessions(county_id, start_ms);"
    "CREATE TABLE market_posts ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " session_id INTEGER NOT NULL REFERENCES market_sessions(id),"
    " body TEXT NOT NULL,"
    " tags TEXT NOT NULL DEFAULT '',"
    " scheduled_ms INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX market_posts_session ON market_posts(session_id);"
    "CREATE TABLE market_offers ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " session_id INTEGER NOT NULL REFERENCES market_sessions(id),"
    " product_id INTEGER NOT NULL REFERENCES market_products(id),"
    " flash_price_fen INTEGER NOT NULL CHECK (flash_price_fen > 0),"
    " flash_stock INTEGER NOT NULL CHECK (flash_stock >= 0),"
    " sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= flash_stock),"
    " per_buyer_limit INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX market_offers_session ON market_offers(session_id);"
    "CREATE TABLE market_offer_buyers ("
    " offer_id INTEGER NOT NULL,"
    " buyer_user_id INTEGER NOT NULL,"
    " qty INTEGER NOT NULL CHECK (qty >= 0),"
    " PRIMARY KEY (offer_id, buyer_user_id)) WITHOUT ROWID;"
    "CREATE TABLE market_orders ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " buyer_user_id INTEGER NOT NULL,"
    " status INTEGER NOT NULL,"
    " delivery_node_id INTEGER NOT NULL DEFAULT 0,"
    " delivery_address TEXT NOT NULL DEFAULT '',"
    " lat REAL, lon REAL,"
    " total_fen INTEGER NOT NULL CHECK (total_fen >= 0),"
    " units INTEGER NOT NULL,"
    " payment_status TEXT NOT NULL,"
    " payment_method TEXT NOT NULL,"
    " payment_ref TEXT NOT NULL DEFAULT '',"
    " note TEXT NOT NULL DEFAULT '',"
    " session_id INTEGER NOT NULL DEFAULT 0,"
    " idem_key TEXT,"
    " idem_hash INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX market_orders_idem ON market_orders(county_id, buyer_user_id, idem_key)"
    " WHERE idem_key IS NOT NULL;"
    "CREATE INDEX market_orders_buyer ON market_orders(county_id, buyer_user_id, id);"
    "CREATE INDEX market_orders_session ON market_orders(county_id, session_id, created_ms);"
    "CREATE INDEX market_orders_created ON market_orders(county_id, created_ms);"
    "CREATE TABLE market_order_lines ("
    " order_id INTEGER NOT NULL REFERENCES market_orders(id),"
    " line_no INTEGER NOT NULL,"
    " county_id INTEGER NOT NULL,"
    " product_id INTEGER NOT NULL,"
    " offer_id INTEGER NOT NULL DEFAULT 0,"
    " qty INTEGER NOT NULL CHECK (qty > 0),"
    " unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen > 0),"
    " line_total_fen INTEGER NOT NULL CHECK (line_total_fen = qty * unit_price_fen),"
    " PRIMARY KEY (order_id, line_no)) WITHOUT ROWID;"
    "CREATE INDEX market_order_lines_product ON market_order_lines(product_id);"
    "CREATE TABLE market_order_allocs ("
    " order_id INTEGER NOT NULL,"
    " line_no INTEGER NOT NULL,"
    " lot_id INTEGER NOT NULL,"
    " qty INTEGER NOT NULL CHECK (qty > 0),"
    " PRIMARY KEY (order_id, line_no, lot_id)) WITHOUT ROWID;"
    "CREATE TABLE market_order_history ("
    " id INTEGER PRIMARY KEY,"
    " county_id INTEGER NOT NULL,"
    " order_id INTEGER NOT NULL,"
    " from_status INTEGER NOT NULL," /* -1 for the creation */
    " to_status INTEGER NOT NULL,"
    " actor_user_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL,"
    " note TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX market_order_history_order ON market_order_history(order_id, id);";

/* Search index: trigram FTS5 over names, stories and tags (rowid = product
** id), kept in step by the product functions. Trigrams match any substring
** of 3+ characters, which is what Chinese needs (no word spaces). */
static const char m2_sql[] = "CREATE VIRTUAL TABLE market_products_fts USING fts5("
                             " name_zh, name_en, story_zh, story_en, tags, tokenize = 'trigram');";
static const char m2_pg[] =
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;"
    "CREATE TABLE market_products_fts (rowid BIGINT PRIMARY KEY, name_zh TEXT, name_en TEXT,"
    " story_zh TEXT, story_en TEXT, tags TEXT);";

/* The flash-sale path writes less per order: the creation is part of the
** order row (placed_by beside created_ms) instead of a history row; one
** unique index on (county, buyer, Idempotency-Key) answers repeats and
** serves a buyer's orders (NULL keys never collide), so the separate buyer
** index goes; order lines are never looked up by product. */
static const char m3_sql[] =
    "ALTER TABLE market_orders ADD COLUMN placed_by INTEGER NOT NULL DEFAULT 0;"
    "UPDATE market_orders SET placed_by = COALESCE((SELECT h.actor_user_id"
    " FROM market_order_history h WHERE h.order_id = market_orders.id"
    " AND h.from_status = -1), buyer_user_id);"
    "DELETE FROM market_order_history WHERE from_status = -1;"
    "DROP INDEX market_orders_buyer;"
    "DROP INDEX market_orders_idem;"
    "CREATE UNIQUE INDEX market_orders_idem ON market_orders(county_id, buyer_user_id, idem_key);"
    "DROP INDEX market_order_lines_product;";

/* No query reads orders by (session, time): the session report goes
** through the offers' lines and the order list filters in its scan. */
static const char m4_sql[] = "DROP INDEX market_orders_session;";

/* Offers reserve their flash stock from lots (live.c, inventory.c): the
** node an offer draws from (0 = any node of the county), the units it holds
** per lot (market_offer_allocs, given back when its stock is lowered, it is
** deleted or its session closed), the unsold units given back at the close
** (`returned`, so the report still knows what was offered), the close
** itself, and the offer a stock move belongs to. Offers made before this
** migration hold no allocations: their flash stock stays a pool of its
** own, and lowering it gives nothing back to lots. */
static const char m5_sql[] =
    "ALTER TABLE market_offers ADD COLUMN node_id INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE market_offers ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE market_sessions ADD COLUMN closed_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE market_stock_moves ADD COLUMN offer_id INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE market_offer_allocs ("
    " offer_id INTEGER NOT NULL,"
    " lot_id INTEGER NOT NULL,"
    " qty INTEGER NOT NULL CHECK (qty > 0),"
    " PRIMARY KEY (offer_id, lot_id)) WITHOUT ROWID;";

/* Orders by the time of a move ("shipped today": GET /orders?reached=). */
static const char m6_sql[] =
    "CREATE INDEX market_order_history_ts ON market_order_history(county_id, ts_ms);";

const struct store_migration market_migrations[] = {
    {1, "market: producers, catalog, lots, orders, live sessions", m1_sql, NULL},
    {2, "market: trigram search index", m2_sql, m2_pg},
    {3, "market: lighter order rows (creation in the row, fewer indexes)", m3_sql, NULL},
    {4, "market: no (session, time) index on orders", m4_sql, NULL},
    {5, "market: offers reserve their flash stock from lots; sessions close", m5_sql, NULL},
    {6, "market: order moves by time", m6_sql, NULL},
};
const size_t market_migrations_len = RL_ARRAY_LEN(market_migrations);

const struct store_ref market_refs[] = {
    {"villages", "market_producers", "village_id"}, {"villages", "market_products", "village_id"},
    {"villages", "market_sessions", "village_id"},  {"nodes", "market_lots", "node_id"},
    {"nodes", "market_offers", "node_id"},          {"nodes", "market_orders", "delivery_node_id"},
};
const size_t market_refs_len = RL_ARRAY_LEN(market_refs);
