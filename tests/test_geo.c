/* Unit tests for src/geo: haversine against worked values, road estimates,
** speed classes, matrices, boxes, centroids and local offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "geo/geo.h"

static const struct geo_point beijing = {39.9042, 116.4074};  /* Tian'anmen */
static const struct geo_point shanghai = {31.2304, 121.4737}; /* People's Square */

static void test_haversine_worked_values(void **state)
{
    (void)state;
    /* Worked independently (Python math, R = 6371008.8 m): 1067311.6 m. */
    double d = geo_haversine_m(beijing, shanghai);
    assert_true(fabs(d - 1067311.6) < 1.0);
    assert_true(d > 1067000.0 && d < 1068000.0);
    /* symmetric, zero on itself */
    assert_true(fabs(geo_haversine_m(shanghai, beijing) - d) < 1e-6);
    assert_true(geo_haversine_m(beijing, beijing) == 0.0);
    /* one degree along a meridian and along the equator: R * pi / 180 */
    double deg = GEO_EARTH_RADIUS_M * M_PI / 180.0;
    assert_true(fabs(geo_haversine_m((struct geo_point){0, 0}, (struct geo_point){1, 0}) - deg) <
                1e-6);
    assert_true(fabs(geo_haversine_m((struct geo_point){0, 0}, (struct geo_point){0, 1}) - deg) <
                1e-6);
    assert_true(fabs(deg - 111195.08) < 0.01);
    /* antipodes: half the circumference, no NaN */
    double anti = geo_haversine_m((struct geo_point){0, 0}, (struct geo_point){0, 180});
    assert_true(fabs(anti - M_PI * GEO_EARTH_RADIUS_M) < 1e-3);
    /* across the antimeridian the short way round */
    double am = geo_haversine_m((struct geo_point){0, 179.5}, (struct geo_point){0, -179.5});
    assert_true(fabs(am - deg) < 1e-6);
}

static void test_point_valid(void **state)
{
    (void)state;
    assert_true(geo_point_valid(beijing));
    assert_true(geo_point_valid((struct geo_point){-90, -180}));
    assert_true(geo_point_valid((struct geo_point){90, 180}));
    assert_false(geo_point_valid((struct geo_point){90.0001, 0}));
    assert_false(geo_point_valid((struct geo_point){0, -180.5}));
    assert_false(geo_point_valid((struct geo_point){NAN, 0}));
    assert_false(geo_point_valid((struct geo_point){0, INFINITY}));
}

static void test_road_estimate(void **state)
{
    (void)state;
    double h = geo_haversine_m(beijing, shanghai);
    assert_true(fabs(geo_road_m(beijing, shanghai, 0) - 1.3 * h) < 1e-6);
    assert_true(fabs(geo_road_m(beijing, shanghai, -2) - 1.3 * h) < 1e-6);
    assert_true(fabs(geo_road_m(beijing, shanghai, NAN) - 1.3 * h) < 1e-6);
    assert_true(fabs(geo_road_m(beijing, shanghai, 1.6) - 1.6 * h) < 1e-6);
}

static void test_speed_classes(void **state)
{
    (void)state;
    assert_int_equal(geo_road_speed_kmh(GEO_ROAD_EXPRESSWAY), 80);
    assert_int_equal(geo_road_speed_kmh(GEO_ROAD_COUNTY), 40);
    assert_int_equal(geo_road_speed_kmh(GEO_ROAD_VILLAGE), 20);
    assert_int_equal(geo_road_speed_kmh(GEO_ROAD_COUNT), 0);
    /* slower classes never faster than the ones above them */
    for (int c = 1; c < GEO_ROAD_COUNT; c++)
        assert_true(geo_road_speed_kmh(c) < geo_road_speed_kmh(c - 1));
    /* 40 km on a county road: one hour; 1 km on a village road: 3 minutes */
    assert_int_equal(geo_travel_s(40000, GEO_ROAD_COUNTY), 3600);
    assert_int_equal(geo_travel_s(1000, GEO_ROAD_VILLAGE), 180);
    assert_int_equal(geo_travel_s(0, GEO_ROAD_VILLAGE), 0);
    assert_int_equal(geo_travel_s(-5, GEO_ROAD_VILLAGE), 0);
    assert_int_equal(geo_travel_s(1000, GEO_ROAD_COUNT), -1);
    assert_int_equal(geo_travel_s_at(1000, 0), -1);
    assert_int_equal(geo_travel_s_at(1500, 36), 150);
    for (int c = 0; c < GEO_ROAD_COUNT; c++) {
        enum geo_road_class back;
        assert_int_equal(geo_road_class_parse(geo_road_class_name(c), &back), 0);
        assert_int_equal(back, c);
    }
    enum geo_road_class x;
    assert_int_equal(geo_road_class_parse("dirt", &x), ERR_INVAL);
    assert_int_equal(geo_road_class_parse(NULL, &x), ERR_INVAL);
    assert_null(geo_road_class_name(GEO_ROAD_COUNT));
}

static void test_matrix(void **state)
{
    (void)state;
    struct geo_point p[3] = {beijing, shanghai, {39.0, 117.0}};
    int64_t dist[9], dur[9];
    struct err e;
    assert_int_equal(geo_matrix_build(p, 3, 1.3, GEO_ROAD_NATIONAL, dist, dur, &e), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(dist[i * 3 + i], 0);
        assert_int_equal(dur[i * 3 + i], 0);
        for (int j = 0; j < 3; j++) {
            assert_int_equal(dist[i * 3 + j], dist[j * 3 + i]);
            assert_int_equal(dur[i * 3 + j], dur[j * 3 + i]);
        }
    }
    assert_int_equal(dist[1], (int64_t)llround(1.3 * geo_haversine_m(beijing, shanghai)));
    assert_int_equal(dur[1],
                     geo_travel_s(1.3 * geo_haversine_m(beijing, shanghai), GEO_ROAD_NATIONAL));
    /* durations only */
    int64_t dur2[9];
    assert_int_equal(geo_matrix_build(p, 3, 1.3, GEO_ROAD_NATIONAL, NULL, dur2, &e), 0);
    assert_memory_equal(dur, dur2, sizeof dur);
    /* an invalid point: error naming it, outputs untouched */
    p[2].lat = 123;
    memset(dist, 0x5a, sizeof dist);
    int64_t before[9];
    memcpy(before, dist, sizeof dist);
    assert_int_equal(geo_matrix_build(p, 3, 1.3, GEO_ROAD_NATIONAL, dist, NULL, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "point 2"));
    assert_memory_equal(dist, before, sizeof dist);
    assert_int_equal(geo_matrix_build(p, 2, 1.3, GEO_ROAD_COUNT, dist, NULL, &e), ERR_INVAL);
    /* zero points is fine */
    assert_int_equal(geo_matrix_build(p, 0, 1.3, GEO_ROAD_VILLAGE, NULL, NULL, &e), 0);
}

static void test_bbox_centroid_offset(void **state)
{
    (void)state;
    struct geo_bbox b;
    geo_bbox_init(&b);
    assert_true(geo_bbox_empty(&b));
    assert_false(geo_bbox_contains(&b, beijing));
    assert_true(geo_bbox_width_m(&b) == 0.0);
    struct geo_point c0 = {26.5, 106.7};
    struct geo_point ne = geo_offset_m(c0, 25000, 20000);
    struct geo_point sw = geo_offset_m(c0, -25000, -20000);
    /* the local offset agrees with haversine to well under 1 % */
    assert_true(fabs(geo_haversine_m(c0, geo_offset_m(c0, 1000, 0)) - 1000) < 1.0);
    assert_true(fabs(geo_haversine_m(c0, geo_offset_m(c0, 0, -1000)) - 1000) < 1.0);
    geo_bbox_add(&b, ne);
    geo_bbox_add(&b, sw);
    assert_false(geo_bbox_empty(&b));
    assert_true(geo_bbox_contains(&b, c0));
    assert_false(geo_bbox_contains(&b, beijing));
    assert_true(fabs(geo_bbox_width_m(&b) - 50000) < 200);
    assert_true(fabs(geo_bbox_height_m(&b) - 40000) < 10);
    struct geo_point pts[2] = {ne, sw}, m;
    struct err e;
    assert_int_equal(geo_centroid(pts, 2, &m, &e), 0);
    assert_true(geo_haversine_m(m, c0) < 1.0);
    assert_int_equal(geo_centroid(pts, 0, &m, &e), ERR_INVAL);
    pts[1].lon = 200;
    assert_int_equal(geo_centroid(pts, 2, &m, &e), ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_haversine_worked_values),
        cmocka_unit_test(test_point_valid),
        cmocka_unit_test(test_road_estimate),
        cmocka_unit_test(test_speed_classes),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_bbox_centroid_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
