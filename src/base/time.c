/*
** time.c: wall-clock milliseconds since the Unix epoch (the storage unit of
** every timestamp), RFC 3339 text (the JSON unit), and a monotonic clock for
** durations and deadlines. Civil-date arithmetic is Howard Hinnant's
** days_from_civil algorithm, so no time-zone database is consulted.
*/
#include "base/base.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

int64_t time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double time_mono_s(void)
{
    return (double)time_mono_ns() / 1e9;
}

int64_t time_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void time_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

const char *time_fmt_rfc3339(int64_t ms, char buf[32])
{
    int64_t days = floor_div(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    int y;
    unsigned m, d;
    time_civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / 3600000), mm = (int)(rem / 60000 % 60), ss = (int)(rem / 1000 % 60);
    int frac = (int)(rem % 1000);
    if (y < 0 || y > 9999) { /* outside RFC 3339's four digits: rare, keep it simple */
        snprintf(buf, 32, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d, hh, mm, ss, frac);
        return buf;
    }
    /* By hand: every JSON answer carries timestamps, and snprintf's format
    ** parsing cost more than the rest of the conversion. */
    str_put_digits(buf, (unsigned)y, 4);
    buf[4] = '-';
    str_put_digits(buf + 5, m, 2);
    buf[7] = '-';
    str_put_digits(buf + 8, d, 2);
    buf[10] = 'T';
    str_put_digits(buf + 11, (unsigned)hh, 2);
    buf[13] = ':';
    str_put_digits(buf + 14, (unsigned)mm, 2);
    buf[16] = ':';
    str_put_digits(buf + 17, (unsigned)ss, 2);
    buf[19] = '.';
    str_put_digits(buf + 20, (unsigned)frac, 3);
    buf[23] = 'Z';
    buf[24] = '\0';
    return buf;
}

static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return ERR_INVAL;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

static int parse_ymd(const char **p, int *y, int *m, int *d)
{
    if (read_digits(p, 4, y) || **p != '-')
        return ERR_INVAL;
    (*p)++;
    if (read_digits(p, 2, m) || **p != '-')
        return ERR_INVAL;
    (*p)++;
    if (read_digits(p, 2, d))
        return ERR_INVAL;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return ERR_INVAL;
    return 0;
}

int time_parse_date(const char *s, int64_t *ms)
{
    int y, m, d;
    const char *p = s;
    if (parse_ymd(&p, &y, &m, &d) || *p)
        return ERR_INVAL;
    *ms = time_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400000;
    return 0;
}

int time_parse_rfc3339(const char *s, int64_t *ms)
{
    int y, mo, d, hh, mi, ss, frac = 0;
    const char *p = s;
    if (parse_ymd(&p, &y, &mo, &d))
        return ERR_INVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return ERR_INVAL;
    p++;
    if (read_digits(&p, 2, &hh) || *p++ != ':' || read_digits(&p, 2, &mi) || *p++ != ':' ||
        read_digits(&p, 2, &ss))
        return ERR_INVAL;
    if (hh > 23 || mi > 59 || ss > 60)
        return ERR_INVAL;
    if (*p == '.') {
        p++;
        int digits = 0;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                frac = frac * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return ERR_INVAL;
        for (int i = digits; i < 3; i++)
            frac *= 10;
    }
    int64_t offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (read_digits(&p, 2, &oh) || *p++ != ':' || read_digits(&p, 2, &om) || oh > 23 || om > 59)
            return ERR_INVAL;
        offset_min = sign * (oh * 60 + om);
    } else {
        return ERR_INVAL;
    }
    if (*p)
        return ERR_INVAL;
    if (ss == 60)
        ss = 59; /* leap second: clamp, storage has no room for it */
    int64_t days = time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 24 + hh) * 60 + mi - offset_min) * 60000 + (int64_t)ss * 1000 + frac;
    return 0;
}
