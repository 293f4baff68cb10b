/*
** geo: WGS84 points and the distances ruralink plans with when it has no road
** network: great-circle (haversine) distance, a road-distance estimate
** (great-circle distance times a per-county circuity factor), travel times
** from road speed classes, distance/duration matrices, bounding boxes and
** centroids. Pure functions: no I/O, no allocation except where stated.
**
** Coordinates are WGS84 degrees as doubles (lat -90..90, lon -180..180).
** Distances come out in metres, durations in seconds.
*/
#ifndef RL_GEO_H
#define RL_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

struct geo_point {
    double lat; /* degrees north, -90..90 */
    double lon; /* degrees east, -180..180 */
};

/* Mean Earth radius (IUGG, R1 = (2a + b) / 3) in metres. */
#define GEO_EARTH_RADIUS_M 6371008.8

/* Road distance over great-circle distance when a county says nothing else.
** 1.3 is an assumption in the middle of published detour indices for rural
** road networks (about 1.2 on plains to 1.6 in mountains); a county stores its
** own factor (counties.circuity). */
#define GEO_CIRCUITY_DEFAULT 1.3
#define GEO_CIRCUITY_MIN 1.0
#define GEO_CIRCUITY_MAX 4.0

/* True when both coordinates are finite and in range. */
bool geo_point_valid(struct geo_point p);

/* Great-circle distance on a sphere of GEO_EARTH_RADIUS_M (haversine form).
** Error against the WGS84 ellipsoid is under 0.5 %. */
double geo_haversine_m(struct geo_point a, struct geo_point b);

/* Road-distance estimate: haversine x circuity. circuity <= 0 (or not
** finite) means GEO_CIRCUITY_DEFAULT. */
double geo_road_m(struct geo_point a, struct geo_point b, double circuity);

/*
** Road speed classes, by the Chinese administrative road classes a county
** vehicle uses. Default speeds are ASSUMPTIONS for a loaded light truck in
** hilly or mountainous terrain, set below the design speeds of the technical
** grades these roads are usually built to (JTG B01-2014: expressway 80-120,
** grade I 60-100, grade II 60-80, grade III 30-40, grade IV 20-30 km/h):
**
**   expressway 高速   80 km/h     national 国道   60 km/h
**   provincial 省道   50 km/h     county   县道   40 km/h
**   township   乡道   30 km/h     village  村道   20 km/h
*/
enum geo_road_class {
    GEO_ROAD_EXPRESSWAY = 0,
    GEO_ROAD_NATIONAL,
    GEO_ROAD_PROVINCIAL,
    GEO_ROAD_COUNTY,
    GEO_ROAD_TOWNSHIP,
    GEO_ROAD_VILLAGE,
    GEO_ROAD_COUNT
};

/* Default speed of a class in km/h; 0 for an out-of-range class. */
int geo_road_speed_kmh(enum geo_road_class c);
/* "expressway", "national", ... ; NULL for an out-of-range class. */
const char *geo_road_class_name(enum geo_road_class c);
/* Inverse of geo_road_class_name; ERR_INVAL for an unknown name. */
int geo_road_class_parse(const char *name, enum geo_road_class *out);

/* Seconds to drive dist_m at the class's default speed, rounded to the
** nearest second (0 for dist_m <= 0; -1 for an out-of-range class). */
int64_t geo_travel_s(double dist_m, enum geo_road_class c);
/* Same at an explicit speed (km/h > 0), -1 when the speed is not positive. */
int64_t geo_travel_s_at(double dist_m, double speed_kmh);

/*
** Distance and duration matrices for n points, row-major (entry i*n+j is
** from pts[i] to pts[j]), estimated as geo_road_m (rounded to the metre) and
** geo_travel_s at the class speed. The caller owns pts and both output
** arrays (n*n items each); either output may be NULL. ERR_INVAL (with the
** index in the message) when a point is invalid, nothing written then.
*/
int geo_matrix_build(const struct geo_point *pts, size_t n, double circuity, enum geo_road_class c,
                     int64_t *dist_m, int64_t *dur_s, struct err *e);

/* ------------------------------------------------------- boxes, centroids */

/* Bounding box in degrees; empty when min > max (after geo_bbox_init).
** Not meant for areas that cross the antimeridian. */
struct geo_bbox {
    double min_lat, min_lon, max_lat, max_lon;
};
void geo_bbox_init(struct geo_bbox *b);
void geo_bbox_add(struct geo_bbox *b, struct geo_point p);
bool geo_bbox_empty(const struct geo_bbox *b);
bool geo_bbox_contains(const struct geo_bbox *b, struct geo_point p);
/* East-west extent (measured along the middle latitude) and north-south
** extent in metres; 0 for an empty box. */
double geo_bbox_width_m(const struct geo_bbox *b);
double geo_bbox_height_m(const struct geo_bbox *b);

/* Arithmetic mean of n points (fine for a county-sized area away from the
** poles and the antimeridian). ERR_INVAL when n == 0 or a point is invalid. */
int geo_centroid(const struct geo_point *pts, size_t n, struct geo_point *out, struct err *e);

/* The point east_m metres east and north_m metres north of p, on a local
** flat approximation (good to well under 1 % within 100 km). */
struct geo_point geo_offset_m(struct geo_point p, double east_m, double north_m);

#endif
