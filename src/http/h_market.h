/*
** h_market.h: private to the market handler files (h_market*.c). The
** handlers of each file and the JSON helpers they share; the route table
** http_routes_market lives in h_market.c.
*/
#ifndef RL_H_MARKET_H
#define RL_H_MARKET_H

#include "http/http.h"
#include "market/market.h"

#include <json-c/json.h>

/* --- helpers (h_market.c) */
/* Parse the body as a JSON object and reject keys outside `allowed`. */
int hm_body(struct http_req *req, const char *const *allowed, struct json_object **out,
            struct err *e);
/* Optional typed fields: absent leaves *out alone; a wrong type is ERR_INVAL. */
int hm_opt_str(struct json_object *o, const char *key, const char **out, struct err *e);
int hm_opt_i64(struct json_object *o, const char *key, int64_t *out, struct err *e);
int hm_opt_bool(struct json_object *o, const char *key, bool *out, struct err *e);
int hm_opt_double(struct json_object *o, const char *key, double *out, bool *seen, struct err *e);
/* An RFC 3339 time or a plain date ("2026-10-01"). */
int hm_opt_time(struct json_object *o, const char *key, int64_t *out, struct err *e);
/* An array of strings into an arena array. */
int hm_opt_strs(struct json_object *o, const char *key, struct arena *a, const char ***out,
                size_t *n, struct err *e);
struct json_object *hm_strs(const char *const *items, size_t n);
/* 0 -> null, else RFC 3339. */
struct json_object *hm_time(int64_t ms);
/* Query parameter as an id / flag (absent = dflt). */
int hm_query_id(struct http_req *req, const char *name, int64_t *out, struct err *e);
/* A true/false query parameter (also 1/0): *out 1 true, -1 false, 0 absent;
** anything else is ERR_INVAL. */
int hm_query_flag(struct http_req *req, const char *name, int *out, struct err *e);
/* Answer 201 with a Location header. */
void hm_created(struct http_req *req, struct http_resp *w, const char *fmt, int64_t id,
                struct json_object *body);

/* --- orders and live commerce (h_market_orders.c) */
void hm_orders_list(struct app *app, struct http_req *req, struct http_resp *w);
void hm_orders_create(struct app *app, struct http_req *req, struct http_resp *w);
void hm_order_get(struct app *app, struct http_req *req, struct http_resp *w);
void hm_order_status(struct app *app, struct http_req *req, struct http_resp *w);
void hm_order_payment(struct app *app, struct http_req *req, struct http_resp *w);
void hm_sessions_list(struct app *app, struct http_req *req, struct http_resp *w);
void hm_sessions_create(struct app *app, struct http_req *req, struct http_resp *w);
void hm_session_get(struct app *app, struct http_req *req, struct http_resp *w);
void hm_offers_list(struct app *app, struct http_req *req, struct http_resp *w);
void hm_offers_create(struct app *app, struct http_req *req, struct http_resp *w);
void hm_offer_patch(struct app *app, struct http_req *req, struct http_resp *w);
void hm_offer_delete(struct app *app, struct http_req *req, struct http_resp *w);
void hm_session_close(struct app *app, struct http_req *req, struct http_resp *w);
void hm_posts_list(struct app *app, struct http_req *req, struct http_resp *w);
void hm_posts_create(struct app *app, struct http_req *req, struct http_resp *w);
void hm_session_report(struct app *app, struct http_req *req, struct http_resp *w);

#endif
