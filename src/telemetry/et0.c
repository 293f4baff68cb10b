/*
** et0.c: FAO-56 Penman-Monteith reference evapotranspiration (Allen et al.
** 1998, FAO Irrigation and Drainage Paper 56, chapter 3, eq. 6 with the
** helper equations 7-8, 11-13, 17, 21-22, 25, 34-35, 37-40, 47-48) and the
** FAO-56 root-zone water balance (chapter 8, eq. 82-86) that says when and
** how much to irrigate.
**
** The same procedure serves daily and monthly steps: for a month give the
** mean Tmax/Tmin, the day of year of its 15th, and G from the neighbouring
** months' temperatures (eq. 43/44).
*/
#include "telemetry/telemetry.h"

#include <math.h>
#include <string.h>

#define GSC 0.0820     /* solar constant, MJ m-2 min-1 */
#define SIGMA 4.903e-9 /* Stefan-Boltzmann, MJ K-4 m-2 day-1 */

static double e0(double t)
{
    return 0.6108 * exp(17.27 * t / (t + 237.3));
}

static bool pct_ok(double v)
{
    return isnan(v) || (v >= 0 && v <= 100);
}

/* Inputs no weather station can report: refused rather than turned into a
** negative or meaningless ET0. The wind height bound: eq. 47's log profile
** needs z > 0.095 m and grows without limit near it (z = 0.1 m makes u2
** 15 times uz); below 0.5 m an anemometer sits in the crop anyway. */
static int et0_check_inputs(const struct tm_et0_in *in, struct err *e)
{
    if (!pct_ok(in->rh_min_pct) || !pct_ok(in->rh_max_pct))
        return err_set(e, ERR_INVAL, "rh_min_pct and rh_max_pct must be 0..100");
    if (in->rh_min_pct > in->rh_max_pct)
        return err_set(e, ERR_INVAL, "rh_min_pct must not exceed rh_max_pct");
    if (!(in->wind_height_m >= 0.5 && in->wind_height_m <= 100))
        return err_set(e, ERR_INVAL, "wind_height_m must be 0.5 to 100 (m above ground)");
    if (in->rs_mj < 0 || in->ea_kpa < 0)
        return err_set(e, ERR_INVAL, "rs_mj and ea_kpa must be >= 0");
    if (in->sunshine_h < 0 || in->sunshine_h > 24)
        return err_set(e, ERR_INVAL, "sunshine_h must be 0..24");
    if (in->elev_m < -500 || in->elev_m > 9000)
        return err_set(e, ERR_INVAL, "elev_m must be -500..9000");
    return 0;
}

int tm_et0_daily(const struct tm_et0_in *in, struct tm_et0_out *o, struct err *e)
{
    memset(o, 0, sizeof *o);
    if (!isfinite(in->tmin_c) || !isfinite(in->tmax_c) || in->tmin_c > in->tmax_c)
        return err_set(e, ERR_INVAL, "tmin_c and tmax_c are required, tmin <= tmax");
    if (!isfinite(in->wind_ms) || in->wind_ms < 0)
        return err_set(e, ERR_INVAL, "wind_ms is required and >= 0");
    if (!isfinite(in->lat_deg) || fabs(in->lat_deg) > 66.5)
        return err_set(e, ERR_INVAL, "lat_deg must be within +-66.5 (polar day/night unsupported)");
    if (in->doy < 1 || in->doy > 366)
        return err_set(e, ERR_INVAL, "doy must be 1..366");
    if (!isfinite(in->rs_mj) && !isfinite(in->sunshine_h))
        return err_set(e, ERR_INVAL, "either rs_mj or sunshine_h is required");
    int rc = et0_check_inputs(in, e);
    if (rc)
        return rc;
    double z = isfinite(in->elev_m) ? in->elev_m : 0;
    double tmean = (in->tmax_c + in->tmin_c) / 2;

    o->pressure_kpa = 101.3 * pow((293.0 - 0.0065 * z) / 293.0, 5.26); /* eq. 7 */
    o->gamma = 0.665e-3 * o->pressure_kpa;                             /* eq. 8 */
    o->es = (e0(in->tmax_c) + e0(in->tmin_c)) / 2;                     /* eq. 12 */
    o->delta = 4098 * e0(tmean) / ((tmean + 237.3) * (tmean + 237.3)); /* eq. 13 */
    if (isfinite(in->ea_kpa))
        o->ea = in->ea_kpa;
    else if (isfinite(in->tdew_c))
        o->ea = e0(in->tdew_c); /* eq. 14 */
    else if (isfinite(in->rh_max_pct) && isfinite(in->rh_min_pct))
        o->ea = (e0(in->tmin_c) * in->rh_max_pct / 100 + e0(in->tmax_c) * in->rh_min_pct / 100) /
                2; /* eq. 17 */
    else if (isfinite(in->rh_max_pct))
        o->ea = e0(in->tmin_c) * in->rh_max_pct / 100; /* eq. 18 */
    else
        o->ea = e0(in->tmin_c); /* eq. 48 */

    double h = in->wind_height_m;
    o->u2 = fabs(h - 2) < 1e-9 ? in->wind_ms : in->wind_ms * 4.87 / log(67.8 * h - 5.42); /* 47 */

    double phi = in->lat_deg * M_PI / 180;
    double j = in->doy;
    double dr = 1 + 0.033 * cos(2 * M_PI / 365 * j);     /* eq. 23 */
    double dec = 0.409 * sin(2 * M_PI / 365 * j - 1.39); /* eq. 24 */
    double ws = acos(-tan(phi) * tan(dec));              /* eq. 25 */
    o->ra = 24 * 60 / M_PI * GSC * dr *
            (ws * sin(phi) * sin(dec) + cos(phi) * cos(dec) * sin(ws)); /* eq. 21 */
    o->daylight_h = 24 / M_PI * ws;                                     /* eq. 34 */
    if (!isfinite(in->rs_mj) && in->sunshine_h > o->daylight_h + 1e-9)
        return err_set(e, ERR_INVAL, "sunshine_h %.2f exceeds the day's %.2f daylight hours",
                       in->sunshine_h, o->daylight_h);
    o->rs = isfinite(in->rs_mj) ? in->rs_mj
                                : (0.25 + 0.5 * in->sunshine_h / o->daylight_h) * o->ra; /* 35 */
    o->rso = (0.75 + 2e-5 * z) * o->ra; /* eq. 37 */
    o->rns = (1 - 0.23) * o->rs;        /* eq. 38 */
    double ratio = o->rso > 0 ? o->rs / o->rso : 1;
    if (ratio > 1)
        ratio = 1;
    double tk4 = (pow(in->tmax_c + 273.16, 4) + pow(in->tmin_c + 273.16, 4)) / 2;
    o->rnl = SIGMA * tk4 * (0.34 - 0.14 * sqrt(o->ea)) * (1.35 * ratio - 0.35); /* eq. 39 */
    o->rn = o->rns - o->rnl;                                                    /* eq. 40 */
    double g = isfinite(in->g_mj) ? in->g_mj : 0;
    double num =
        0.408 * o->delta * (o->rn - g) + o->gamma * 900 / (tmean + 273) * o->u2 * (o->es - o->ea);
    double den = o->delta + o->gamma * (1 + 0.34 * o->u2);
    o->et0_mm = num / den; /* eq. 6 */
    if (o->et0_mm < 0)
        o->et0_mm = 0;
    return 0;
}

/* ------------------------------------------------------ water balance */

int tm_wb_check(const struct tm_wb_params *p, struct err *e)
{
    if (!(p->theta_fc > p->theta_wp) || p->theta_wp < 0 || p->theta_fc > 1)
        return err_set(e, ERR_INVAL, "need 0 <= theta_wp < theta_fc <= 1");
    if (!(p->root_depth_m > 0) || p->root_depth_m > 5)
        return err_set(e, ERR_INVAL, "root_depth_m must be in (0, 5]");
    if (!(p->p > 0) || p->p >= 1)
        return err_set(e, ERR_INVAL, "p (allowable depletion) must be in (0, 1)");
    if (!(p->kc > 0) || p->kc > 2)
        return err_set(e, ERR_INVAL, "kc must be in (0, 2]");
    if (!(p->efficiency > 0) || p->efficiency > 1)
        return err_set(e, ERR_INVAL, "efficiency must be in (0, 1]");
    return 0;
}

static double taw_mm(const struct tm_wb_params *p)
{
    return 1000 * (p->theta_fc - p->theta_wp) * p->root_depth_m; /* eq. 82 */
}

double tm_wb_depletion_from_theta(const struct tm_wb_params *p, double theta)
{
    double d = 1000 * (p->theta_fc - theta) * p->root_depth_m;
    double taw = taw_mm(p);
    return d < 0 ? 0 : d > taw ? taw : d;
}

void tm_wb_step(const struct tm_wb_params *p, double dr_prev_mm, double rain_mm,
                double irrigation_mm, double et0_mm, struct tm_wb_advice *o)
{
    memset(o, 0, sizeof *o);
    o->taw_mm = taw_mm(p);
    o->raw_mm = p->p * o->taw_mm; /* eq. 83 */
    double dr = dr_prev_mm < 0 ? 0 : dr_prev_mm > o->taw_mm ? o->taw_mm : dr_prev_mm;
    o->ks = dr <= o->raw_mm ? 1 : (o->taw_mm - dr) / ((1 - p->p) * o->taw_mm); /* eq. 84 */
    o->etc_mm = p->kc * et0_mm;
    o->eta_mm = o->ks * o->etc_mm;
    double in = (rain_mm > 0 ? rain_mm : 0) + (irrigation_mm > 0 ? irrigation_mm : 0);
    double d = dr - in + o->eta_mm; /* eq. 85 */
    if (d < 0) {
        o->deep_perc_mm = -d; /* eq. 88 */
        d = 0;
    }
    if (d > o->taw_mm)
        d = o->taw_mm;
    o->dr_mm = d;
    o->irrigate = d >= o->raw_mm;
    o->net_mm = o->irrigate ? d : 0;
    o->gross_mm = o->net_mm / p->efficiency;
    if (o->irrigate)
        o->days_until = 0;
    else
        o->days_until = o->etc_mm > 0 ? (o->raw_mm - d) / o->etc_mm : INFINITY;
}
