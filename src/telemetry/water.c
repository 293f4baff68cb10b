/*
** water.c: surface water classes by GB 3838-2002 (basic items, table 1).
**
** Each measured item gets the best class whose limit it meets (values at
** the limit belong to that class: "<=" for pollutants, ">=" for dissolved
** oxygen); the sample's class is the worst item's. An item beyond class V
** makes the sample "worse than V" (劣V). pH has one range (6-9) for every
** class. Total nitrogen applies to lakes and reservoirs only; total
** phosphorus has stricter lake/reservoir limits (0.01/0.025/0.05/0.1/0.2),
** which domain-anchors.md marks as not retrieved: they are from the
** standard's table as we know it and are unverified here.
*/
#include "telemetry/telemetry.h"

#include <math.h>
#include <string.h>

static const char *const item_names[TM_W_COUNT] = {"ph",   "do",   "codmn", "cod",
                                                   "bod5", "nh3n", "tp",    "tn"};

/* Class I..V upper limits (dissolved oxygen: lower limits), mg/L. */
static const double lim[TM_W_COUNT][5] = {
    [TM_W_DO] = {7.5, 6, 5, 3, 2},
    [TM_W_CODMN] = {2, 4, 6, 10, 15},
    [TM_W_COD] = {15, 15, 20, 30, 40},
    [TM_W_BOD5] = {3, 3, 4, 6, 10},
    [TM_W_NH3N] = {0.15, 0.5, 1.0, 1.5, 2.0},
    [TM_W_TP] = {0.02, 0.1, 0.2, 0.3, 0.4},
    [TM_W_TN] = {0.2, 0.5, 1.0, 1.5, 2.0},
};
static const double tp_lake[5] = {0.01, 0.025, 0.05, 0.1, 0.2};

const char *tm_water_item_name(int item)
{
    return item >= 0 && item < TM_W_COUNT ? item_names[item] : "?";
}

int tm_water_item_parse(const char *name)
{
    for (int i = 0; i < TM_W_COUNT; i++)
        if (!strcmp(item_names[i], name))
            return i;
    return -1;
}

const char *tm_water_class_name(int cls)
{
    static const char *const n[] = {"?", "I", "II", "III", "IV", "V", "worse_than_V"};
    return cls >= 1 && cls <= 6 ? n[cls] : n[0];
}

static int item_class(int item, double v, bool lake)
{
    if (item == TM_W_PH)
        return v >= 6 && v <= 9 ? 1 : 6;
    const double *l = item == TM_W_TP && lake ? tp_lake : lim[item];
    for (int c = 0; c < 5; c++) {
        if (item == TM_W_DO ? v >= l[c] : v <= l[c])
            return c + 1;
    }
    return 6;
}

int tm_water_classify(const struct tm_water_sample *s, struct tm_water_result *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    out->worst_item = -1;
    int n = 0;
    for (int i = 0; i < TM_W_COUNT; i++) {
        double v = s->v[i];
        if (isnan(v))
            continue;
        if (!isfinite(v) || v < 0 || (i == TM_W_PH && v > 14))
            return err_set(e, ERR_INVAL, "item '%s' has an invalid value", item_names[i]);
        if (i == TM_W_TN && !s->lake)
            continue; /* rivers: TN is not a classifying item */
        out->item_cls[i] = item_class(i, v, s->lake);
        n++;
        if (out->item_cls[i] > out->cls) {
            out->cls = out->item_cls[i];
            out->worst_item = i;
        }
    }
    if (n == 0)
        return err_set(e, ERR_INVAL, "no classifying item measured");
    return 0;
}
