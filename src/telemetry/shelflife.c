/*
** shelflife.c: commodity profiles and remaining shelf life from a
** temperature history (a "virtual time-temperature integrator" per lot).
**
** Each reading's temperature is held until the next reading; an interval of
** dt at temperature T uses up dt * rate(T) hours of the shelf life at the
** reference temperature, where rate is relative to the reference:
**   Q10:        rate = Q10 ^ ((T - T_ref) / 10)
**   Arrhenius:  rate = exp((Ea / R) * (1/T_ref - 1/T))      (T in kelvin)
** Remaining shelf life at the reference = reference life - consumed; at
** another constant temperature it is that divided by rate(T).
**
** Profile values come from domain-anchors.md section 2.4 (USDA AH-66,
** ASHRAE ch. 21 and the cited storage tables). Where a source gives a range
** of storage life the reference life is its lower end. Q10 values are picked
** inside AH-66's 0-10 degC band (2.5-4.0); the per-commodity choice, and the
** Arrhenius activation energies, are our assumptions, not measured values:
** the profile's `source` says which.
*/
#include "telemetry/telemetry.h"

#include <math.h>
#include <string.h>

#define H_PER_DAY 24.0

static const struct tm_profile profiles[] = {
    {"apples", "Apples", "苹果", -1, 4, 90, 95, 120, 600, TM_DECAY_Q10, 3.0, 0, 0, 30 * H_PER_DAY,
     false, "coolchainlogistics 72/4 (1-7 months at -1..4 C); Q10 assumed"},
    {"chinese_cabbage", "Chinese cabbage", "大白菜", 0, 2, 90, 98, 120, 600, TM_DECAY_Q10, 3.0, 0,
     0, 60 * H_PER_DAY, false, "coolchainlogistics (2-3 months at 0..2 C); Q10 assumed"},
    {"leafy_greens", "Leafy greens", "叶菜", 0, 2, 90, 98, 60, 240, TM_DECAY_Q10, 3.0, 0, 0,
     14 * H_PER_DAY, false, "USDA HB66 (spinach 1-2 wk at 0 C); Q10 assumed"},
    {"broccoli", "Broccoli", "西兰花", 0, 1, 90, 98, 60, 240, TM_DECAY_Q10, 3.0, 0, 0,
     10 * H_PER_DAY, false, "coolchainlogistics (10-14 d at 0..1 C); Q10 assumed"},
    {"strawberries", "Strawberries", "草莓", 0, 2, 90, 95, 30, 120, TM_DECAY_Q10, 3.5, 0, 0,
     5 * H_PER_DAY, false, "studylib 18398330 / apimex (5-7 d at 0 C); Q10 assumed"},
    {"mandarins", "Mandarins", "柑橘", 4, 8, 90, 95, 120, 600, TM_DECAY_Q10, 2.5, 0, 0,
     21 * H_PER_DAY, true, "agileshipping cargo data (21-56 d at 4..8 C); Q10 assumed"},
    {"mushrooms", "Fresh mushrooms", "食用菌", 0, 2, 90, 95, 30, 120, TM_DECAY_Q10, 3.5, 0, 0,
     12 * H_PER_DAY, false, "utopialogistics chart (12-17 d at 0 C); RH and Q10 assumed"},
    {"chilled_meat", "Chilled meat", "冷鲜肉", -1.7, 0, 85, 90, 30, 120, TM_DECAY_ARRHENIUS, 0,
     100.0, -1, 14 * H_PER_DAY, false,
     "utopialogistics / bhushan (14-18 d at -1.7..0 C); Ea assumed"},
    {"frozen_meat", "Frozen meat", "冻肉", -23, -18, 90, 95, 60, 360, TM_DECAY_ARRHENIUS, 0, 83.144,
     -18, 180 * H_PER_DAY, false,
     "GB/T 24616-2019 (<= -18 C); bhushan (pork 4-8 mo); Ea = USP default, assumed"},
    {"chilled_food", "Chilled food (GB/T 24616)", "冷藏食品", 0, 8, 0, 100, 60, 240, TM_DECAY_Q10,
     2.5, 0, 4, 7 * H_PER_DAY, false,
     "GB/T 24616-2019 (below 8 C, above freezing); life and Q10 assumed"},
    {"pharma_2_8", "Medicines 2-8 C", "冷藏药品", 2, 8, 0, 100, 60, 600, TM_DECAY_ARRHENIUS, 0,
     83.144, 5, 365 * H_PER_DAY, false, "USP <1160> default activation energy; life assumed"},
};

const struct tm_profile *tm_profiles(size_t *n)
{
    *n = RL_ARRAY_LEN(profiles);
    return profiles;
}

const struct tm_profile *tm_profile_find(const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < RL_ARRAY_LEN(profiles); i++)
        if (!strcmp(profiles[i].code, code))
            return &profiles[i];
    return NULL;
}

double tm_decay_rate(const struct tm_profile *p, double temp_c)
{
    if (p->model == TM_DECAY_Q10)
        return pow(p->q10, (temp_c - p->ref_temp_c) / 10.0);
    double r = 8.314e-3; /* kJ/(mol K) */
    double t = temp_c + 273.15, tr = p->ref_temp_c + 273.15;
    return exp(p->ea_kj_mol / r * (1.0 / tr - 1.0 / t));
}

double tm_shelf_life_at_h(const struct tm_profile *p, double temp_c)
{
    return p->ref_shelf_life_h / tm_decay_rate(p, temp_c);
}

double tm_shelf_consumed_h(const struct tm_profile *p, const int64_t *ts_ms, const double *temp_c,
                           size_t n, int64_t end_ms)
{
    double used = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t until = i + 1 < n ? ts_ms[i + 1] : end_ms;
        if (until <= ts_ms[i])
            continue;
        double h = (double)(until - ts_ms[i]) / 3600000.0;
        used += h * tm_decay_rate(p, temp_c[i]);
    }
    return used;
}

int tm_shelf_remaining(const struct tm_profile *p, const int64_t *ts_ms, const double *temp_c,
                       size_t n, int64_t end_ms, struct tm_shelf_result *out, struct err *e)
{
    if (!p)
        return err_set(e, ERR_INVAL, "no commodity profile");
    if (n == 0)
        return err_set(e, ERR_INVAL, "no temperature readings");
    memset(out, 0, sizeof *out);
    out->consumed_ref_h = tm_shelf_consumed_h(p, ts_ms, temp_c, n, end_ms);
    out->remaining_ref_h = p->ref_shelf_life_h - out->consumed_ref_h;
    if (out->remaining_ref_h < 0)
        out->remaining_ref_h = 0;
    out->remaining_at_max_h = out->remaining_ref_h / tm_decay_rate(p, p->temp_max_c);
    if (tm_mkt_series(ts_ms, temp_c, n, 0, &out->mkt_c))
        out->mkt_c = NAN;
    return 0;
}
