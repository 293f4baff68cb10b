/* Unit tests for telemetry's pure rules: MKT, shelf life, excursions, GB 3838
** water classes, HJ 633 AQI, FAO-56 ET0 and water balance. Expected numbers
** name their source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "telemetry/telemetry.h"

#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* ---------------------------------------------------------------- MKT */

/* USP <1160> gives the formula, not a numeric worked example that we could
** retrieve; the expected values below were computed independently (Python,
** double precision) from the USP formula with dH = 83.144 kJ/mol and
** R = 8.3144e-3 kJ/(mol K). */
static void test_mkt(void **state)
{
    (void)state;
    struct tm_mkt_acc m;
    double out;
    tm_mkt_init(&m, 0);
    assert_int_equal(tm_mkt_result(&m, &out), ERR_INVAL);
    /* constant temperature: MKT equals it */
    tm_mkt_add(&m, 5.0, 1);
    tm_mkt_add(&m, 5.0, 3);
    assert_int_equal(tm_mkt_result(&m, &out), 0);
    NEAR(out, 5.0, 1e-9);

    double t4[] = {2, 8, 5, 25};
    tm_mkt_init(&m, TM_MKT_DH_DEFAULT_KJ_MOL);
    for (int i = 0; i < 4; i++)
        tm_mkt_add(&m, t4[i], 1);
    assert_int_equal(tm_mkt_result(&m, &out), 0);
    NEAR(out, 15.215970750926317, 1e-6); /* arithmetic mean would be 10.0 */

    /* 6 days at 25 C and one day at 40 C: 29.06 C (above the mean, 27.14) */
    int64_t ts[7];
    double tv[7];
    for (int i = 0; i < 7; i++) {
        ts[i] = (int64_t)i * 86400000;
        tv[i] = i == 6 ? 40 : 25;
    }
    assert_int_equal(tm_mkt_series(ts, tv, 7, 0, &out), 0);
    NEAR(out, 29.060904385163155, 1e-6);
    /* unequal intervals: weight by time held */
    int64_t ts2[] = {0, 3600000, 3600000 * 4};
    double tv2[] = {5, 25, 5};
    /* 1 h at 5, 3 h at 25, last held for the mean interval (2 h) at 5 */
    tm_mkt_init(&m, 0);
    tm_mkt_add(&m, 5, 3600 * 3);
    tm_mkt_add(&m, 25, 3600 * 3);
    double want;
    tm_mkt_result(&m, &want);
    assert_int_equal(tm_mkt_series(ts2, tv2, 3, 0, &out), 0);
    NEAR(out, want, 1e-9);
}

/* ---------------------------------------------------------- shelf life */

static void test_shelf_life(void **state)
{
    (void)state;
    /* Q10 rule, domain-anchors 2.3: 14 d at 20 C with Q10 = 2.5 gives about
    ** 60.7 d at 4 C (legitlads Q10 calculator). */
    struct tm_profile p = {.code = "x",
                           .model = TM_DECAY_Q10,
                           .q10 = 2.5,
                           .ref_temp_c = 20,
                           .ref_shelf_life_h = 14 * 24,
                           .temp_min_c = 0,
                           .temp_max_c = 8};
    NEAR(tm_shelf_life_at_h(&p, 4) / 24, 60.65, 0.1);
    /* AH-66 relative rates: Q10 = 3 from 0 to 10 C gives 1/3 of the life */
    struct tm_profile q = {
        .model = TM_DECAY_Q10, .q10 = 3, .ref_temp_c = 0, .ref_shelf_life_h = 100};
    NEAR(tm_shelf_life_at_h(&q, 10), 33.33, 0.01);

    /* history: 24 h at 0 C then 24 h at 10 C consumes 24 + 72 = 96 ref h */
    int64_t ts[] = {0, 24 * 3600000LL};
    double tc[] = {0, 10};
    NEAR(tm_shelf_consumed_h(&q, ts, tc, 2, 48 * 3600000LL), 96, 1e-9);

    /* Arrhenius: at the reference temperature the rate is 1; warmer is faster */
    const struct tm_profile *cm = tm_profile_find("chilled_meat");
    assert_non_null(cm);
    NEAR(tm_decay_rate(cm, cm->ref_temp_c), 1.0, 1e-12);
    assert_true(tm_decay_rate(cm, 4) > 1.5);

    const struct tm_profile *lg = tm_profile_find("leafy_greens");
    assert_non_null(lg);
    struct tm_shelf_result r;
    struct err e;
    int64_t hts[] = {0, 3600000LL * 48};
    double htc[] = {0, 0};
    assert_int_equal(tm_shelf_remaining(lg, hts, htc, 2, 3600000LL * 96, &r, &e), 0);
    NEAR(r.remaining_ref_h, lg->ref_shelf_life_h - 96, 1e-9);
    NEAR(r.mkt_c, 0, 1e-9);
    assert_int_equal(tm_shelf_remaining(lg, hts, htc, 0, 0, &r, &e), ERR_INVAL);
    assert_null(tm_profile_find("no-such"));
    size_t np;
    const struct tm_profile *all = tm_profiles(&np);
    assert_true(np >= 8);
    for (size_t i = 0; i < np; i++) {
        assert_true(all[i].temp_min_c <= all[i].temp_max_c);
        assert_true(all[i].ref_shelf_life_h > 0);
    }
}

/* ----------------------------------------------------------- excursions */

#define MIN 60000LL

struct feed {
    struct tm_exc_event ev[64];
    int n;
};

static void run(const struct tm_exc_rule *r, const double *v, size_t n, int64_t step_ms,
                struct feed *f)
{
    struct tm_exc_state s = {0};
    f->n = 0;
    for (size_t i = 0; i < n; i++) {
        struct tm_exc_event ev[2];
        int k = tm_exc_feed(r, &s, (int64_t)i * step_ms, v[i], ev);
        for (int j = 0; j < k; j++)
            f->ev[f->n++] = ev[j];
    }
}

static void test_excursion_spike_ignored(void **state)
{
    (void)state;
    /* band 2..8, 30-minute duration, readings each 5 min */
    struct tm_exc_rule r = {2, 8, 0.5, 30 * MIN, 0};
    /* a 15-minute spike to 12 C (readings at 10,15,20 min) then back */
    double v[] = {5, 5, 12, 12, 12, 5, 5, 5};
    struct feed f;
    run(&r, v, RL_ARRAY_LEN(v), 5 * MIN, &f);
    assert_int_equal(f.n, 0);
    /* a long one: 45 min above 8 */
    double w[] = {5, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 5, 5};
    run(&r, w, RL_ARRAY_LEN(w), 5 * MIN, &f);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.ev[0].kind, TM_EXC_HIGH);
    assert_true(f.ev[0].raised && !f.ev[0].closed);
    assert_int_equal(f.ev[0].start_ms, 5 * MIN);
    assert_int_equal(f.ev[0].dur_ms, 30 * MIN); /* raised at 35 min */
    assert_true(!f.ev[1].raised && f.ev[1].closed);
    assert_int_equal(f.ev[1].end_ms, 55 * MIN);
    assert_int_equal(f.ev[1].dur_ms, 50 * MIN);
}

static void test_excursion_hysteresis(void **state)
{
    (void)state;
    struct tm_exc_rule r = {2, 8, 1.0, 10 * MIN, 0};
    /* goes to 10, drops to 7.5 (inside the band but not past the 1.0 margin:
    ** still the same excursion), back up to 9, then to 6.5 (ends). */
    double v[] = {5, 10, 10, 10, 7.5, 9, 9, 6.5, 5};
    struct feed f;
    run(&r, v, RL_ARRAY_LEN(v), 5 * MIN, &f);
    assert_int_equal(f.n, 2); /* one excursion, raised and ended */
    assert_true(f.ev[0].raised);
    assert_true(f.ev[1].closed);
    assert_int_equal(f.ev[1].start_ms, 5 * MIN);
    assert_int_equal(f.ev[1].end_ms, 35 * MIN);
    NEAR(f.ev[1].peak, 10, 1e-12);

    /* without hysteresis the dip to 7.5 would end it: two excursions, the
    ** second (9, 9 at 25..30 min, 10 min) also long enough */
    struct tm_exc_rule r0 = r;
    r0.hysteresis = 0;
    run(&r0, v, RL_ARRAY_LEN(v), 5 * MIN, &f);
    int raised = 0;
    for (int i = 0; i < f.n; i++)
        raised += f.ev[i].raised;
    assert_int_equal(raised, 2);

    /* low side */
    double lowv[] = {5, 1, 1, 1, 1, 2.2, 3.5};
    run(&r, lowv, RL_ARRAY_LEN(lowv), 5 * MIN, &f);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.ev[0].kind, TM_EXC_LOW);
    assert_int_equal(f.ev[1].end_ms, 30 * MIN); /* 2.2 < 2 + 1.0: still out */
}

static void test_excursion_cumulative(void **state)
{
    (void)state;
    /* Fridge-tag style: several 20-minute excursions, each shorter than the
    ** 60-minute single-event limit, add up past a 50-minute cumulative limit
    ** (Controlant-style accumulation, never reset). */
    struct tm_exc_rule r = {2, 8, 0, 60 * MIN, 50 * MIN};
    double v[40];
    for (int i = 0; i < 40; i++)
        v[i] = 5;
    /* excursions at readings 2..5 (20 min), 12..15, 22..25 (10-min steps? no: 5) */
    for (int i = 2; i < 6; i++)
        v[i] = 9;
    for (int i = 12; i < 16; i++)
        v[i] = 9;
    for (int i = 22; i < 26; i++)
        v[i] = 9;
    struct feed f;
    run(&r, v, 40, 5 * MIN, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.ev[0].kind, TM_EXC_CUMULATIVE);
    /* 20 + 20 min, then 10 more during the third: reaches 50 at reading 24 */
    assert_int_equal(f.ev[0].dur_ms, 50 * MIN);
    /* out-of-order and equal timestamps are ignored */
    struct tm_exc_state s = {0};
    struct tm_exc_event ev[2];
    tm_exc_feed(&r, &s, 1000, 5, ev);
    assert_int_equal(tm_exc_feed(&r, &s, 1000, 50, ev), 0);
    assert_int_equal(tm_exc_feed(&r, &s, 500, 50, ev), 0);
    assert_int_equal(s.side, 0);
}

static void test_excursion_sparse(void **state)
{
    (void)state;
    /* one reading out, next reading back in range 2 hours later: the
    ** excursion lasted 2 h >= 1 h, raised and closed at once */
    struct tm_exc_rule r = {2, 8, 0, 60 * MIN, 0};
    double v[] = {5, 12, 5};
    struct feed f;
    run(&r, v, 3, 120 * MIN, &f);
    assert_int_equal(f.n, 1);
    assert_true(f.ev[0].raised && f.ev[0].closed);
    assert_int_equal(f.ev[0].dur_ms, 120 * MIN);
}

/* --------------------------------------------------------------- water */

static void nan_sample(struct tm_water_sample *s)
{
    for (int i = 0; i < TM_W_COUNT; i++)
        s->v[i] = NAN;
    s->lake = false;
}

static void test_water_classes(void **state)
{
    (void)state;
    struct tm_water_sample s;
    struct tm_water_result r;
    struct err e;
    /* GB 3838-2002 table 1 (domain-anchors 5.3): DO 5.5 (III: >= 5),
    ** NH3-N 0.8 (III: <= 1.0), CODMn 3.5 (II: <= 4) -> class III */
    nan_sample(&s);
    s.v[TM_W_DO] = 5.5;
    s.v[TM_W_NH3N] = 0.8;
    s.v[TM_W_CODMN] = 3.5;
    s.v[TM_W_PH] = 7.2;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 3);
    assert_int_equal(r.item_cls[TM_W_CODMN], 2);
    assert_int_equal(r.item_cls[TM_W_PH], 1);
    assert_string_equal(tm_water_class_name(r.cls), "III");
    /* limits are inclusive: NH3-N exactly 0.5 is II, DO exactly 6 is II */
    nan_sample(&s);
    s.v[TM_W_NH3N] = 0.5;
    s.v[TM_W_DO] = 6;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 2);
    /* DO 7.5 and NH3-N 0.15 -> I */
    s.v[TM_W_NH3N] = 0.15;
    s.v[TM_W_DO] = 7.5;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 1);
    /* agricultural water: TP 0.35 in a river is V; NH3-N 2.5 is worse than V */
    nan_sample(&s);
    s.v[TM_W_TP] = 0.35;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 5);
    s.v[TM_W_NH3N] = 2.5;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 6);
    assert_int_equal(r.worst_item, TM_W_NH3N);
    /* pH outside 6..9 */
    nan_sample(&s);
    s.v[TM_W_PH] = 9.5;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 6);
    /* lake TP limits (0.01/0.025/0.05/0.1/0.2; unverified in our research,
    ** see water.c): 0.04 is III in a lake, II in a river; TN counts only
    ** for lakes */
    nan_sample(&s);
    s.v[TM_W_TP] = 0.04;
    s.v[TM_W_TN] = 1.8;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.cls, 2);
    s.lake = true;
    assert_int_equal(tm_water_classify(&s, &r, &e), 0);
    assert_int_equal(r.item_cls[TM_W_TP], 3);
    assert_int_equal(r.cls, 5); /* TN 1.8 -> V */
    nan_sample(&s);
    assert_int_equal(tm_water_classify(&s, &r, &e), ERR_INVAL);
    s.v[TM_W_DO] = -1;
    assert_int_equal(tm_water_classify(&s, &r, &e), ERR_INVAL);
    assert_int_equal(tm_water_item_parse("nh3n"), TM_W_NH3N);
}

/* ----------------------------------------------------------------- AQI */

static void test_aqi(void **state)
{
    (void)state;
    double c[TM_AQI_COUNT], v;
    struct tm_aqi_result r;
    struct err e;
    /* HJ 633-2012 IAQI formula with the PM2.5 24-h breakpoints
    ** 0/35/75/115/150/250/350/500 (domain-anchors 5.3):
    ** PM2.5 = 80: (150-100)/(115-75)*(80-75)+100 = 106.25 */
    assert_int_equal(tm_iaqi(TM_AQI_PM25_24H, 80, &v), 0);
    NEAR(v, 106.25, 1e-9);
    /* breakpoints map exactly: PM10 150 -> 100, PM2.5 35 -> 50 */
    tm_iaqi(TM_AQI_PM10_24H, 150, &v);
    NEAR(v, 100, 1e-9);
    tm_iaqi(TM_AQI_PM25_24H, 35, &v);
    NEAR(v, 50, 1e-9);
    /* O3 1-h 180: (100-50)/(200-160)*(180-160)+50 = 75 */
    tm_iaqi(TM_AQI_O3_1H, 180, &v);
    NEAR(v, 75, 1e-9);
    /* NO2 1-h 450: (150-100)/(700-200)*(450-200)+100 = 125 */
    tm_iaqi(TM_AQI_NO2_1H, 450, &v);
    NEAR(v, 125, 1e-9);
    /* CO 1-h 12 mg/m3: (150-100)/(35-10)*(12-10)+100 = 104 */
    tm_iaqi(TM_AQI_CO_1H, 12, &v);
    NEAR(v, 104, 1e-9);
    /* SO2 24-h (unverified row, see aqi.c) 100: (100-50)/(150-50)*(100-50)+50 = 75 */
    tm_iaqi(TM_AQI_SO2_24H, 100, &v);
    NEAR(v, 75, 1e-9);
    /* SO2 1-h above 800 and O3 8-h above 800: use the other average */
    assert_int_equal(tm_iaqi(TM_AQI_SO2_1H, 900, &v), ERR_UNSUPPORTED);
    assert_int_equal(tm_iaqi(TM_AQI_O3_8H, 900, &v), ERR_UNSUPPORTED);
    assert_int_equal(tm_iaqi(TM_AQI_PM25_24H, -1, &v), ERR_INVAL);
    tm_iaqi(TM_AQI_PM25_24H, 800, &v);
    NEAR(v, 500, 1e-9);

    /* AQI = max IAQI: PM2.5 80 (106.25), PM10 120 (85), NO2 1-h 450 (125):
    ** AQI 125, level 3 轻度污染 (101-150), primary NO2 */
    for (int i = 0; i < TM_AQI_COUNT; i++)
        c[i] = NAN;
    c[TM_AQI_PM25_24H] = 80;
    c[TM_AQI_PM10_24H] = 120;
    c[TM_AQI_NO2_1H] = 450;
    assert_int_equal(tm_aqi(c, &r, &e), 0);
    assert_int_equal(r.aqi, 125);
    assert_int_equal(r.level, 3);
    assert_string_equal(r.category_zh, "轻度污染");
    assert_string_equal(r.color, "orange");
    assert_int_equal(r.primary, 1u << TM_AQI_NO2_1H);
    /* clean air: no primary pollutant when AQI <= 50 */
    for (int i = 0; i < TM_AQI_COUNT; i++)
        c[i] = NAN;
    c[TM_AQI_PM25_24H] = 20;
    assert_int_equal(tm_aqi(c, &r, &e), 0);
    assert_int_equal(r.aqi, 29); /* 28.57 rounded up */
    assert_int_equal(r.level, 1);
    assert_int_equal(r.primary, 0);
    for (int i = 0; i < TM_AQI_COUNT; i++)
        c[i] = NAN;
    assert_int_equal(tm_aqi(c, &r, &e), ERR_INVAL);
}

/* ----------------------------------------------------------------- ET0 */

static struct tm_et0_in et0_blank(void)
{
    struct tm_et0_in in = {.rh_min_pct = NAN,
                           .rh_max_pct = NAN,
                           .ea_kpa = NAN,
                           .tdew_c = NAN,
                           .rs_mj = NAN,
                           .sunshine_h = NAN,
                           .g_mj = 0,
                           .wind_height_m = 2};
    return in;
}

static void test_et0_fao56_example18(void **state)
{
    (void)state;
    /* FAO-56 (Allen et al. 1998), chapter 4, Example 18, "Determination of
    ** ETo with daily data": Brussels (50 deg 48' N, 100 m), 6 July (J = 187),
    ** Tmax 21.5, Tmin 12.3 C, RHmax 84 %, RHmin 63 %, wind 10 km/h at 10 m,
    ** n = 9.25 h. The book gives u2 = 2.078 m/s, es - ea = 0.589 kPa,
    ** Ra = 41.09, Rso = 30.90, Rs = 22.07, Rnl = 3.71, Rn = 13.28 MJ/m2/day,
    ** ETo = 3.9 mm/day. */
    struct tm_et0_in in = et0_blank();
    in.tmax_c = 21.5;
    in.tmin_c = 12.3;
    in.rh_max_pct = 84;
    in.rh_min_pct = 63;
    in.wind_ms = 10.0 / 3.6;
    in.wind_height_m = 10;
    in.sunshine_h = 9.25;
    in.lat_deg = 50 + 48.0 / 60;
    in.elev_m = 100;
    in.doy = 187;
    struct tm_et0_out o;
    struct err e;
    assert_int_equal(tm_et0_daily(&in, &o, &e), 0);
    NEAR(o.u2, 2.078, 0.002);
    NEAR(o.gamma, 0.0666, 0.0001);
    NEAR(o.delta, 0.122, 0.001);
    NEAR(o.es - o.ea, 0.589, 0.002);
    NEAR(o.ra, 41.09, 0.01);
    NEAR(o.daylight_h, 16.1, 0.05);
    NEAR(o.rs, 22.07, 0.02);
    NEAR(o.rso, 30.90, 0.01);
    NEAR(o.rnl, 3.71, 0.01);
    NEAR(o.rn, 13.28, 0.02);
    NEAR(o.et0_mm, 3.9, 0.05);
}

static void test_et0_fao56_example17(void **state)
{
    (void)state;
    /* FAO-56 chapter 4, Example 17, "Determination of ETo with mean monthly
    ** data": Bangkok (13 deg 44' N, 2 m), April (J = 105), Tmax 34.8,
    ** Tmin 25.6 C, ea = 2.85 kPa, u2 = 2 m/s, n = 8.5 h, Tmarch = 29.2 C so
    ** G = 0.14 (30.2 - 29.2) = 0.14. The book gives es = 4.42, Ra = 38.06,
    ** N = 12.31, Rs = 22.65, Rso = 28.54, Rnl = 3.11, Rn = 14.33,
    ** ETo = 5.72 mm/day. */
    struct tm_et0_in in = et0_blank();
    in.tmax_c = 34.8;
    in.tmin_c = 25.6;
    in.ea_kpa = 2.85;
    in.wind_ms = 2;
    in.sunshine_h = 8.5;
    in.lat_deg = 13 + 44.0 / 60;
    in.elev_m = 2;
    in.doy = 105;
    in.g_mj = 0.14 * (30.2 - 29.2);
    struct tm_et0_out o;
    struct err e;
    assert_int_equal(tm_et0_daily(&in, &o, &e), 0);
    NEAR(o.es, 4.42, 0.005);
    NEAR(o.delta, 0.246, 0.001);
    NEAR(o.ra, 38.06, 0.01);
    NEAR(o.daylight_h, 12.31, 0.01);
    NEAR(o.rs, 22.65, 0.02);
    NEAR(o.rso, 28.54, 0.01);
    NEAR(o.rnl, 3.11, 0.01);
    NEAR(o.rn, 14.33, 0.02);
    NEAR(o.et0_mm, 5.72, 0.01);

    in.tmin_c = 40;
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
}

/* Inputs no station reports are refused, not turned into odd ET0 values. */
static void test_et0_impossible_inputs(void **state)
{
    (void)state;
    struct tm_et0_in ok = et0_blank();
    ok.tmax_c = 21.5;
    ok.tmin_c = 12.3;
    ok.rh_max_pct = 84;
    ok.rh_min_pct = 63;
    ok.wind_ms = 2.78;
    ok.wind_height_m = 10;
    ok.sunshine_h = 9.25;
    ok.lat_deg = 50.8;
    ok.elev_m = 100;
    ok.doy = 187;
    struct tm_et0_out o;
    struct err e;
    assert_int_equal(tm_et0_daily(&ok, &o, &e), 0);
    struct tm_et0_in in;
    const double heights[] = {0, -1, 0.05, 0.1, 101};
    for (size_t i = 0; i < RL_ARRAY_LEN(heights); i++) {
        in = ok;
        in.wind_height_m = heights[i];
        assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
        assert_non_null(strstr(e.msg, "wind_height_m"));
    }
    in = ok;
    in.rh_min_pct = 150;
    in.rh_max_pct = 200;
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
    in = ok;
    in.rh_min_pct = 90; /* above rh_max */
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
    in = ok;
    in.sunshine_h = 30;
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
    in = ok;
    in.sunshine_h = 16.5; /* Brussels on 6 July has N = 16.1 h */
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "daylight"));
    in = ok;
    in.sunshine_h = NAN;
    in.rs_mj = -1;
    assert_int_equal(tm_et0_daily(&in, &o, &e), ERR_INVAL);
}

/* ------------------------------------------------------- water balance */

static void test_water_balance(void **state)
{
    (void)state;
    /* FAO-56 eq. 82-85: theta_fc 0.30, theta_wp 0.15, Zr 0.5 m ->
    ** TAW = 1000 (0.30 - 0.15) 0.5 = 75 mm; p = 0.5 -> RAW = 37.5 mm */
    struct tm_wb_params p = {0.30, 0.15, 0.5, 0.5, 1.0, 0.8};
    struct err e;
    assert_int_equal(tm_wb_check(&p, &e), 0);
    struct tm_wb_advice a;
    tm_wb_step(&p, 30, 0, 0, 5, &a); /* ETc 5, Ks 1 -> Dr 35 < 37.5 */
    NEAR(a.taw_mm, 75, 1e-9);
    NEAR(a.raw_mm, 37.5, 1e-9);
    NEAR(a.dr_mm, 35, 1e-9);
    assert_false(a.irrigate);
    NEAR(a.days_until, 0.5, 1e-9);
    tm_wb_step(&p, a.dr_mm, 0, 0, 5, &a); /* Dr 40 >= RAW: irrigate 40 net, 50 gross */
    assert_true(a.irrigate);
    NEAR(a.net_mm, 40, 1e-9);
    NEAR(a.gross_mm, 50, 1e-9);
    /* stress: Dr 56.25 (halfway from RAW to TAW) -> Ks = 0.5 */
    tm_wb_step(&p, 56.25, 0, 0, 4, &a);
    NEAR(a.ks, 0.5, 1e-9);
    NEAR(a.eta_mm, 2, 1e-9);
    /* heavy rain refills and percolates */
    tm_wb_step(&p, 20, 50, 0, 5, &a);
    NEAR(a.dr_mm, 0, 1e-9);
    NEAR(a.deep_perc_mm, 25, 1e-9);
    /* from a soil moisture reading: theta 0.20 -> Dr = 1000 (0.10) 0.5 = 50 */
    NEAR(tm_wb_depletion_from_theta(&p, 0.20), 50, 1e-9);
    NEAR(tm_wb_depletion_from_theta(&p, 0.35), 0, 1e-9);
    p.p = 1.5;
    assert_int_equal(tm_wb_check(&p, &e), ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkt),
        cmocka_unit_test(test_shelf_life),
        cmocka_unit_test(test_excursion_spike_ignored),
        cmocka_unit_test(test_excursion_hysteresis),
        cmocka_unit_test(test_excursion_cumulative),
        cmocka_unit_test(test_excursion_sparse),
        cmocka_unit_test(test_water_classes),
        cmocka_unit_test(test_aqi),
        cmocka_unit_test(test_et0_fao56_example18),
        cmocka_unit_test(test_et0_fao56_example17),
        cmocka_unit_test(test_et0_impossible_inputs),
        cmocka_unit_test(test_water_balance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
