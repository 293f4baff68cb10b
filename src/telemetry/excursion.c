/*
** excursion.c: the incremental excursion detector (threshold + duration +
** hysteresis, and cumulative time out of range).
**
** Per series a small plain state (struct tm_exc_state) is fed one reading at
** a time, so the detector runs as readings arrive and its state can be kept
** in a table between batches. Conventions (docs/internals/telemetry.md):
**   - out of range means strictly outside [low, high];
**   - an excursion starts at its first out-of-range reading and is raised
**     when it has lasted min_dur_ms (Fridge-tag / ThingsBoard "for N
**     minutes"); if the readings come back before that, nothing is raised
**     (a short spike), unless the gap to the in-range reading itself makes
**     the excursion long enough, in which case it is raised and closed at once;
**   - it ends only at a reading inside the band by the hysteresis margin;
**     readings between the limit and the margin keep it going;
**   - cumulative time (each reading held until the next one) counts only
**     readings strictly out of range (not the hysteresis band) and never resets
**     (Controlant's accumulated delay); at cumulative_ms one event is raised.
*/
#include "telemetry/telemetry.h"

#include <math.h>

static int side_of(const struct tm_exc_rule *r, double v)
{
    if (!isnan(r->high) && v > r->high)
        return 1;
    if (!isnan(r->low) && v < r->low)
        return -1;
    return 0;
}

/* Still out when the reading has not come back past the margin. */
static bool still_out(const struct tm_exc_rule *r, int side, double v)
{
    double h = r->hysteresis > 0 ? r->hysteresis : 0;
    if (side > 0)
        return v > r->high - h;
    return v < r->low + h;
}

int tm_exc_feed(const struct tm_exc_rule *r, struct tm_exc_state *s, int64_t ts_ms, double v,
                struct tm_exc_event ev[2])
{
    int nev = 0;
    if (!isfinite(v))
        return 0;
    if (s->has_last && ts_ms <= s->last_ms)
        return 0;
    /* Cumulative: the interval since the previous reading counts as out when
    ** the previous reading was strictly out of range. Not s->side: that
    ** stays set inside the hysteresis margin, where the excursion goes on
    ** but the goods are within their limits. */
    if (s->has_last && s->last_out) {
        s->cum_ms += ts_ms - s->last_ms;
        if (r->cumulative_ms > 0 && !s->cum_raised && s->cum_ms >= r->cumulative_ms) {
            s->cum_raised = true;
            ev[nev++] = (struct tm_exc_event){.kind = TM_EXC_CUMULATIVE,
                                              .raised = true,
                                              .closed = false,
                                              .start_ms = s->since_ms,
                                              .end_ms = 0,
                                              .dur_ms = s->cum_ms,
                                              .peak = s->peak};
        }
    }
    if (s->side != 0) {
        if (s->side > 0 ? v > s->peak : v < s->peak)
            s->peak = v;
        int64_t dur = ts_ms - s->since_ms;
        enum tm_exc_kind kind = s->side > 0 ? TM_EXC_HIGH : TM_EXC_LOW;
        if (still_out(r, s->side, v)) {
            if (!s->raised && dur >= r->min_dur_ms) {
                s->raised = true;
                ev[nev++] = (struct tm_exc_event){kind, true, false, s->since_ms, 0, dur, s->peak};
            }
        } else {
            /* back in range: the excursion lasted until this reading */
            if (s->raised || dur >= r->min_dur_ms) {
                bool first = !s->raised;
                ev[nev++] =
                    (struct tm_exc_event){kind, first, true, s->since_ms, ts_ms, dur, s->peak};
            }
            s->side = 0;
            s->raised = false;
            /* the in-range reading may itself be out on the other side */
            int other = side_of(r, v);
            if (other) {
                s->side = other;
                s->since_ms = ts_ms;
                s->peak = v;
            }
        }
    } else {
        int sd = side_of(r, v);
        if (sd) {
            s->side = sd;
            s->since_ms = ts_ms;
            s->peak = v;
            s->raised = false;
            if (r->min_dur_ms <= 0) {
                s->raised = true;
                ev[nev++] = (struct tm_exc_event){
                    sd > 0 ? TM_EXC_HIGH : TM_EXC_LOW, true, false, ts_ms, 0, 0, v};
            }
        }
    }
    s->has_last = true;
    s->last_ms = ts_ms;
    s->last_out = side_of(r, v) != 0;
    return nev;
}
