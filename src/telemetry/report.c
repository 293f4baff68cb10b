/*
** report.c: the cold-chain report of one series over a time range (a
** shipment's or a lot's temperature logger): readings, min/mean/max, mean
** kinetic temperature, time out of range and excursions by the profile's
** rule, and remaining shelf life at the end of the range.
**
** The profile is the one named by the caller, else the series' monitor
** profile. The same detector as ingest is replayed over the readings, so
** the report and the live alerts cannot disagree.
*/
#include "telemetry/telemetry_int.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int tm_cold_chain_report(struct telemetry *t, int64_t county_id, int64_t series_id,
                         const char *profile_code, int64_t from_ms, int64_t to_ms,
                         struct tm_report *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    struct tm_series s;
    int rc = tm_series_get(t, county_id, series_id, &s, e);
    if (rc)
        return rc;
    const char *code = profile_code && *profile_code ? profile_code : s.profile;
    const struct tm_profile *p = tm_profile_find(code);
    if (!p)
        return err_set(e, ERR_INVAL, "%s",
                       *code ? "unknown profile" : "series has no profile: pass ?profile=");
    if (to_ms <= from_ms)
        return err_set(e, ERR_INVAL, "'to' must be after 'from'");
    int64_t *ts;
    double *v;
    size_t n;
    rc = tm_query_raw(t, county_id, series_id, from_ms, to_ms, 2000000, &ts, &v, &n, e);
    if (rc)
        return rc;
    out->series_id = series_id;
    out->profile = p;
    out->from_ms = from_ms;
    out->to_ms = to_ms;
    out->readings = n;
    if (n == 0) {
        free(ts);
        free(v);
        return err_set(e, ERR_NOTFOUND, "no readings in the range");
    }
    struct tm_exc_rule r = {p->temp_min_c, p->temp_max_c, 0.5,
                            (int64_t)p->max_excursion_min * 60000,
                            (int64_t)p->max_cumulative_min * 60000};
    struct tm_exc_state st = {0};
    double sum = 0;
    out->min_c = INFINITY;
    out->max_c = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        if (v[i] < out->min_c)
            out->min_c = v[i];
        if (v[i] > out->max_c)
            out->max_c = v[i];
        struct tm_exc_event ev[2];
        int k = tm_exc_feed(&r, &st, ts[i], v[i], ev);
        for (int j = 0; j < k; j++)
            if (ev[j].raised && ev[j].kind != TM_EXC_CUMULATIVE)
                out->excursions++;
    }
    /* the last reading holds until the end of the range; like the live
    ** detector's cumulative time, only when it is strictly out of range */
    out->out_of_range_ms = st.cum_ms + (st.last_out ? to_ms - st.last_ms : 0);
    out->mean_c = sum / (double)n;
    rc = tm_shelf_remaining(p, ts, v, n, to_ms, &out->shelf, e);
    out->mkt_c = out->shelf.mkt_c;
    free(ts);
    free(v);
    return rc;
}

struct json_object *tm_report_to_json(const struct tm_report *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "series_id", json_object_new_int64(r->series_id));
    json_object_object_add(o, "profile", json_object_new_string(r->profile->code));
    json_object_object_add(o, "from", rjson_new_time(r->from_ms));
    json_object_object_add(o, "to", rjson_new_time(r->to_ms));
    json_object_object_add(o, "readings", json_object_new_int64((int64_t)r->readings));
    json_object_object_add(o, "min_c", rjson_new_double(r->min_c, 6));
    json_object_object_add(o, "mean_c", rjson_new_double(r->mean_c, 6));
    json_object_object_add(o, "max_c", rjson_new_double(r->max_c, 6));
    json_object_object_add(o, "mkt_c", rjson_new_double(r->mkt_c, 6));
    json_object_object_add(o, "out_of_range_s", json_object_new_int64(r->out_of_range_ms / 1000));
    json_object_object_add(o, "excursions", json_object_new_int64((int64_t)r->excursions));
    json_object_object_add(o, "shelf_consumed_ref_h", rjson_new_double(r->shelf.consumed_ref_h, 6));
    json_object_object_add(o, "shelf_remaining_ref_h",
                           rjson_new_double(r->shelf.remaining_ref_h, 6));
    json_object_object_add(o, "shelf_remaining_at_max_h",
                           rjson_new_double(r->shelf.remaining_at_max_h, 6));
    return o;
}
