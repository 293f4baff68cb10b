/*
** geo.c: great-circle distance, road-distance estimates, speed classes,
** travel-time matrices, bounding boxes and centroids over WGS84 degrees.
** Everything here is a pure function of its arguments.
*/
#include "geo/geo.h"

#include <math.h>
#include <string.h>

#define DEG2RAD (3.14159265358979323846 / 180.0)

bool geo_point_valid(struct geo_point p)
{
    return isfinite(p.lat) && isfinite(p.lon) && p.lat >= -90.0 && p.lat <= 90.0 &&
           p.lon >= -180.0 && p.lon <= 180.0;
}

double geo_haversine_m(struct geo_point a, struct geo_point b)
{
    double phi1 = a.lat * DEG2RAD, phi2 = b.lat * DEG2RAD;
    double dphi = (b.lat - a.lat) * DEG2RAD;
    double dlmb = (b.lon - a.lon) * DEG2RAD;
    double s1 = sin(dphi / 2), s2 = sin(dlmb / 2);
    double h = s1 * s1 + cos(phi1) * cos(phi2) * s2 * s2;
    if (h > 1.0) /* rounding near antipodes */
        h = 1.0;
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(h));
}

double geo_road_m(struct geo_point a, struct geo_point b, double circuity)
{
    if (!(circuity > 0) || !isfinite(circuity))
        circuity = GEO_CIRCUITY_DEFAULT;
    return geo_haversine_m(a, b) * circuity;
}

static const struct {
    const char *name;
    int kmh;
} road_classes[GEO_ROAD_COUNT] = {
    [GEO_ROAD_EXPRESSWAY] = {"expressway", 80}, [GEO_ROAD_NATIONAL] = {"national", 60},
    [GEO_ROAD_PROVINCIAL] = {"provincial", 50}, [GEO_ROAD_COUNTY] = {"county", 40},
    [GEO_ROAD_TOWNSHIP] = {"township", 30},     [GEO_ROAD_VILLAGE] = {"village", 20},
};

int geo_road_speed_kmh(enum geo_road_class c)
{
    if ((int)c < 0 || c >= GEO_ROAD_COUNT)
        return 0;
    return road_classes[c].kmh;
}

const char *geo_road_class_name(enum geo_road_class c)
{
    if ((int)c < 0 || c >= GEO_ROAD_COUNT)
        return NULL;
    return road_classes[c].name;
}

int geo_road_class_parse(const char *name, enum geo_road_class *out)
{
    for (int i = 0; name && i < GEO_ROAD_COUNT; i++) {
        if (strcmp(name, road_classes[i].name) == 0) {
            *out = (enum geo_road_class)i;
            return 0;
        }
    }
    return ERR_INVAL;
}

int64_t geo_travel_s_at(double dist_m, double speed_kmh)
{
    if (!(speed_kmh > 0) || !isfinite(speed_kmh))
        return -1;
    if (!(dist_m > 0))
        return 0;
    return (int64_t)llround(dist_m / (speed_kmh / 3.6));
}

int64_t geo_travel_s(double dist_m, enum geo_road_class c)
{
    int kmh = geo_road_speed_kmh(c);
    if (kmh <= 0)
        return -1;
    return geo_travel_s_at(dist_m, kmh);
}

int geo_matrix_build(const struct geo_point *pts, size_t n, double circuity, enum geo_road_class c,
                     int64_t *dist_m, int64_t *dur_s, struct err *e)
{
    if (geo_road_speed_kmh(c) <= 0)
        return err_set(e, ERR_INVAL, "unknown road class %d", (int)c);
    for (size_t i = 0; i < n; i++)
        if (!geo_point_valid(pts[i]))
            return err_set(e, ERR_INVAL, "point %zu has invalid coordinates", i);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i; j < n; j++) {
            double d = i == j ? 0.0 : geo_road_m(pts[i], pts[j], circuity);
            int64_t dm = (int64_t)llround(d);
            int64_t ds = geo_travel_s(d, c);
            if (dist_m) {
                dist_m[i * n + j] = dm;
                dist_m[j * n + i] = dm;
            }
            if (dur_s) {
                dur_s[i * n + j] = ds;
                dur_s[j * n + i] = ds;
            }
        }
    }
    return 0;
}

void geo_bbox_init(struct geo_bbox *b)
{
    b->min_lat = 91.0;
    b->min_lon = 181.0;
    b->max_lat = -91.0;
    b->max_lon = -181.0;
}

void geo_bbox_add(struct geo_bbox *b, struct geo_point p)
{
    if (p.lat < b->min_lat)
        b->min_lat = p.lat;
    if (p.lat > b->max_lat)
        b->max_lat = p.lat;
    if (p.lon < b->min_lon)
        b->min_lon = p.lon;
    if (p.lon > b->max_lon)
        b->max_lon = p.lon;
}

bool geo_bbox_empty(const struct geo_bbox *b)
{
    return b->min_lat > b->max_lat || b->min_lon > b->max_lon;
}

bool geo_bbox_contains(const struct geo_bbox *b, struct geo_point p)
{
    return !geo_bbox_empty(b) && p.lat >= b->min_lat && p.lat <= b->max_lat &&
           p.lon >= b->min_lon && p.lon <= b->max_lon;
}

double geo_bbox_width_m(const struct geo_bbox *b)
{
    if (geo_bbox_empty(b))
        return 0.0;
    double mid = (b->min_lat + b->max_lat) / 2;
    return geo_haversine_m((struct geo_point){mid, b->min_lon},
                           (struct geo_point){mid, b->max_lon});
}

double geo_bbox_height_m(const struct geo_bbox *b)
{
    if (geo_bbox_empty(b))
        return 0.0;
    return geo_haversine_m((struct geo_point){b->min_lat, b->min_lon},
                           (struct geo_point){b->max_lat, b->min_lon});
}

int geo_centroid(const struct geo_point *pts, size_t n, struct geo_point *out, struct err *e)
{
    if (n == 0)
        return err_set(e, ERR_INVAL, "centroid of no points");
    double slat = 0, slon = 0;
    for (size_t i = 0; i < n; i++) {
        if (!geo_point_valid(pts[i]))
            return err_set(e, ERR_INVAL, "point %zu has invalid coordinates", i);
        slat += pts[i].lat;
        slon += pts[i].lon;
    }
    out->lat = slat / (double)n;
    out->lon = slon / (double)n;
    return 0;
}

struct geo_point geo_offset_m(struct geo_point p, double east_m, double north_m)
{
    double m_per_deg = GEO_EARTH_RADIUS_M * DEG2RAD;
    struct geo_point q;
    q.lat = p.lat + north_m / m_per_deg;
    q.lon = p.lon + east_m / (m_per_deg * cos(p.lat * DEG2RAD));
    return q;
}
