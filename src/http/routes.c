/*
** routes.c: the list of route groups the server serves. Each resource group
** (h_<group>.c) exports a table http_routes_<group>[] and its length; its
** owner adds one extern pair and one line below. A group that needs a domain
** module sits inside #ifdef RL_HAVE_<MODULE> (defined by
** src/http/CMakeLists.txt when that module is part of the build; h_<module>*.c
** files are only compiled then), so a build restricted with RL_ONLY links.
*/
#include "http/http.h"

extern const struct http_route http_routes_system[];
extern const size_t http_routes_system_len;
#if defined(RL_HAVE_VRP) && defined(RL_HAVE_JOBS)
extern const struct http_route http_routes_vrp[];
extern const size_t http_routes_vrp_len;
#endif
#ifdef RL_HAVE_AUTH
extern const struct http_route http_routes_auth[];
extern const size_t http_routes_auth_len;
#endif
#ifdef RL_HAVE_COUNTY
extern const struct http_route http_routes_county[];
extern const size_t http_routes_county_len;
#endif
#ifdef RL_HAVE_MARKET
extern const struct http_route http_routes_market[];
extern const size_t http_routes_market_len;
#endif
#ifdef RL_HAVE_TELEMETRY
extern const struct http_route http_routes_telemetry[];
extern const size_t http_routes_telemetry_len;
#endif
#if defined(RL_HAVE_LOGISTICS) && defined(RL_HAVE_JOBS)
extern const struct http_route http_routes_logistics[];
extern const size_t http_routes_logistics_len;
extern const struct http_route http_routes_logistics_track[];
extern const size_t http_routes_logistics_track_len;
#endif

const struct http_route_group http_route_groups[] = {
    {"system", http_routes_system, &http_routes_system_len},
#if defined(RL_HAVE_VRP) && defined(RL_HAVE_JOBS)
    {"vrp", http_routes_vrp, &http_routes_vrp_len},
#endif
#ifdef RL_HAVE_AUTH
    {"auth", http_routes_auth, &http_routes_auth_len},
#endif
#ifdef RL_HAVE_COUNTY
    {"county", http_routes_county, &http_routes_county_len},
#endif
#ifdef RL_HAVE_MARKET
    {"market", http_routes_market, &http_routes_market_len},
#endif
#ifdef RL_HAVE_TELEMETRY
    {"telemetry", http_routes_telemetry, &http_routes_telemetry_len},
#endif
#if defined(RL_HAVE_LOGISTICS) && defined(RL_HAVE_JOBS)
    {"logistics", http_routes_logistics, &http_routes_logistics_len},
    {"logistics-tracking", http_routes_logistics_track, &http_routes_logistics_track_len},
#endif
};
const size_t http_route_groups_len = RL_ARRAY_LEN(http_route_groups);
