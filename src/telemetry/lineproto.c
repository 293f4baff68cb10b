/*
** lineproto.c: the InfluxDB line-protocol parser (1.x / 2.x text format).
**
**   measurement[,tag=value...] field=value[,field=value...] [timestamp]
**
** The body is cut at '\n' (a trailing '\r' is dropped) and each line is
** parsed on its own: a bad line is recorded with its number and skipped, so
** a body with bad lines still yields its good points (InfluxDB's partial
** write). Escapes follow InfluxDB: in the measurement '\,' and '\ '; in tag
** keys, tag values and field keys '\,' '\=' '\ '; in string field values
** '\"' and '\\'. Any other backslash is kept literally, as InfluxDB does,
** except a backslash that ends the line, which is an error. Names and values
** point into the body when they hold no escape, else into the arena.
**
** Limits: a line longer than TM_LP_MAX_LINE, invalid UTF-8, more than
** TM_LP_MAX_TAGS tags or TM_LP_MAX_FIELDS fields, NaN/Inf, integers outside
** int64/uint64, timestamps before 1970 or past what int64 nanoseconds hold
** (2262-04-11), and timestamps more than TM_MAX_AHEAD_MS ahead of now_ms
** (a device whose clock runs ahead) are all rejected per line. Duplicate tag or field keys are
** rejected (InfluxDB silently keeps the last one; we would rather say so).
*/
#include "telemetry/telemetry_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest ms value whose nanoseconds fit int64. */
#define LP_MAX_TS_MS (INT64_MAX / 1000000)

int tm_precision_parse(const char *s, enum tm_precision *out)
{
    if (!s || !*s || !strcmp(s, "ns") || !strcmp(s, "n"))
        *out = TM_PREC_NS;
    else if (!strcmp(s, "us") || !strcmp(s, "u"))
        *out = TM_PREC_US;
    else if (!strcmp(s, "ms"))
        *out = TM_PREC_MS;
    else if (!strcmp(s, "s"))
        *out = TM_PREC_S;
    else
        return ERR_INVAL;
    return 0;
}

struct lp_line {
    const char *p, *end;
    struct arena *a;
    char *err;  /* message buffer (160) */
    bool plain; /* no escapes, no '=' in tag values: names are canonical text */
};

static int fail(struct lp_line *l, const char *fmt, const char *arg)
{
    snprintf(l->err, 160, fmt, arg ? arg : "");
    return -1;
}

/* Does c stop an identifier of this kind? kind: 'm' measurement, 'k' key
** (tag or field, stops at '='), 'v' tag value. */
static bool stops(int kind, char c)
{
    if (c == ' ' || c == ',')
        return true;
    return kind == 'k' && c == '=';
}

static bool escapable(int kind, char c)
{
    if (c == ' ' || c == ',' || c == '\\')
        return true;
    return kind != 'm' && c == '=';
}

/* Byte classes for scan_ident: 1 ' ' or ',', 2 '=', 4 '\\'. */
static const unsigned char lp_class[256] = {[' '] = 1, [','] = 1, ['='] = 2, ['\\'] = 4};

/* Scan an identifier starting at l->p; on return l->p is at the stop char
** (or end). Unescapes into the arena when needed. */
static int scan_ident(struct lp_line *l, int kind, struct str *out)
{
    const char *s = l->p;
    bool esc = false;
    /* stops: ' ' ',' and for keys '='; '\\' and (tag values) '=' need a look */
    unsigned look = kind == 'm' ? 1 | 4 : 1 | 2 | 4;
    while (l->p < l->end) {
        const unsigned char *q = (const unsigned char *)l->p;
        while ((const char *)q < l->end && !(lp_class[*q] & look))
            q++;
        l->p = (const char *)q;
        if (l->p >= l->end)
            break;
        char c = *l->p;
        if (c == '\\') {
            if (l->p + 1 >= l->end)
                return fail(l, "dangling backslash at end of line%s", NULL);
            esc = true;
            l->p += 2;
            continue;
        }
        if (stops(kind, c))
            break;
        if (kind == 'v' && c == '=')
            l->plain = false; /* escaped in the series key */
        l->p++;
    }
    if (esc)
        l->plain = false;
    if (!esc) {
        *out = (struct str){s, (size_t)(l->p - s)};
        return 0;
    }
    char *d = arena_alloc(l->a, (size_t)(l->p - s) + 1);
    size_t n = 0;
    for (const char *q = s; q < l->p; q++) {
        if (*q == '\\' && escapable(kind, q[1])) {
            d[n++] = q[1];
            q++;
        } else {
            d[n++] = *q;
        }
    }
    *out = (struct str){d, n};
    return 0;
}

static bool str_same(struct str a, struct str b)
{
    return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static char *show(struct str s, char buf[48])
{
    size_t n = s.len < 40 ? s.len : 40;
    memcpy(buf, s.ptr, n);
    buf[n] = '\0';
    return buf;
}

static bool is_num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

static const double pow10_tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Plain decimals ([+-]digits[.digits], at most 15 significant digits and 22
** after the point) without strtod: the mantissa and 10^k are exact doubles,
** so one division gives the correctly rounded value, the same as strtod
** (Clinger's fast path). false: let strtod decide. */
static bool fast_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false, dot = false, any = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    int digits = 0, frac = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            m = m * 10 + (uint64_t)(c - '0');
            if (m)
                digits++;
            if (dot)
                frac++;
            any = true;
            if (digits > 15 || frac > 22)
                return false;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (!any)
        return false;
    double d = (double)m;
    if (frac)
        d /= pow10_tab[frac];
    *out = neg ? -d : d;
    return true;
}

int tm__lp_number(const char *s, size_t n, double *out)
{
    if (n == 0 || n >= 64)
        return ERR_INVAL;
    if (fast_decimal(s, n, out))
        return 0;
    char buf[72];
    for (size_t i = 0; i < n; i++)
        if (!is_num_char(s[i]))
            return ERR_INVAL; /* no hex, no "inf", no "nan", no spaces */
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || end == buf || !isfinite(v) || errno == ERANGE)
        return ERR_INVAL;
    *out = v;
    return 0;
}

static int parse_field_value(struct lp_line *l, struct tm_lp_field *f)
{
    char kb[48];
    if (l->p >= l->end || *l->p == ' ' || *l->p == ',')
        return fail(l, "missing value of field '%s'", show(f->key, kb));
    if (*l->p == '"') {
        const char *s = ++l->p;
        bool esc = false;
        while (l->p < l->end && *l->p != '"') {
            if (*l->p == '\\') {
                if (l->p + 1 >= l->end)
                    return fail(l, "unterminated string field value%s", NULL);
                esc = true;
                l->p += 2;
                continue;
            }
            l->p++;
        }
        if (l->p >= l->end)
            return fail(l, "unterminated string field value%s", NULL);
        size_t n = (size_t)(l->p - s);
        l->p++; /* closing quote */
        f->type = TM_FIELD_STRING;
        f->num = 0;
        if (!esc) {
            f->sval = (struct str){s, n};
        } else {
            char *d = arena_alloc(l->a, n + 1);
            size_t k = 0;
            for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
                    i++;
                d[k++] = s[i];
            }
            f->sval = (struct str){d, k};
        }
        return 0;
    }
    const char *s = l->p;
    while (l->p < l->end && *l->p != ',' && *l->p != ' ')
        l->p++;
    size_t n = (size_t)(l->p - s);
    char buf[72];
    if (n >= 64)
        return fail(l, "field value too long%s", NULL);
    if (n && s[n - 1] != 'i' && s[n - 1] != 'u' && fast_decimal(s, n, &f->num)) {
        f->type = TM_FIELD_FLOAT;
        return 0;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    static const char *const trues[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const falses[] = {"f", "F", "false", "False", "FALSE"};
    for (size_t i = 0; i < RL_ARRAY_LEN(trues); i++) {
        if (!strcmp(buf, trues[i])) {
            f->type = TM_FIELD_BOOL;
            f->num = 1;
            return 0;
        }
        if (!strcmp(buf, falses[i])) {
            f->type = TM_FIELD_BOOL;
            f->num = 0;
            return 0;
        }
    }
    char last = buf[n - 1];
    if (last == 'i' || last == 'u') {
        buf[n - 1] = '\0';
        if (n < 2 || !((buf[0] >= '0' && buf[0] <= '9') || (buf[0] == '-' && last == 'i')))
            return fail(l, "invalid integer field value '%s'", buf);
        for (size_t i = 1; i + 1 < n; i++)
            if (buf[i] < '0' || buf[i] > '9')
                return fail(l, "invalid integer field value '%s'", buf);
        char *end;
        errno = 0;
        if (last == 'i') {
            long long v = strtoll(buf, &end, 10);
            if (errno || *end)
                return fail(l, "integer field value out of range '%s'", buf);
            f->type = TM_FIELD_INT;
            f->num = (double)v;
        } else {
            unsigned long long v = strtoull(buf, &end, 10);
            if (errno || *end)
                return fail(l, "unsigned field value out of range '%s'", buf);
            f->type = TM_FIELD_UINT;
            f->num = (double)v;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (!is_num_char(buf[i]))
            return fail(l, "invalid field value '%s'", buf);
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || end == buf || !isfinite(v) || errno == ERANGE)
        return fail(l, "invalid number '%s'", buf);
    f->type = TM_FIELD_FLOAT;
    f->num = v;
    return 0;
}

static int cmp_tag(const void *a, const void *b)
{
    const struct tm_lp_tag *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);
    if (c)
        return c;
    return (x->key.len > y->key.len) - (x->key.len < y->key.len);
}

static int parse_ts(struct lp_line *l, enum tm_precision prec, int64_t *ts_ms)
{
    const char *s = l->p;
    while (l->p < l->end && *l->p != ' ')
        l->p++;
    struct str t = {s, (size_t)(l->p - s)};
    while (l->p < l->end && *l->p == ' ')
        l->p++;
    if (l->p < l->end)
        return fail(l, "unexpected text after timestamp%s", NULL);
    int64_t v = 0;
    char b[48];
    bool digits = t.len > 0 && t.len < 19; /* < 19 digits cannot overflow int64 */
    for (size_t i = 0; digits && i < t.len; i++) {
        if (t.ptr[i] < '0' || t.ptr[i] > '9')
            digits = false;
        else
            v = v * 10 + (t.ptr[i] - '0');
    }
    if (!digits && (t.len == 0 || str_to_i64(t, &v) != 0))
        return fail(l, "invalid timestamp '%s'", show(t, b));
    if (v < 0)
        return fail(l, "timestamp '%s' is before 1970", show(t, b));
    switch (prec) {
    case TM_PREC_NS:
        *ts_ms = v / 1000000;
        break;
    case TM_PREC_US:
        *ts_ms = v / 1000;
        break;
    case TM_PREC_MS:
        *ts_ms = v;
        break;
    case TM_PREC_S:
        if (v > LP_MAX_TS_MS / 1000)
            return fail(l, "timestamp '%s' out of range", show(t, b));
        *ts_ms = v * 1000;
        break;
    }
    if (*ts_ms > LP_MAX_TS_MS)
        return fail(l, "timestamp '%s' out of range", show(t, b));
    return 0;
}

/* Parse one line into pt, its tags and fields in the caller's arrays
** (TM_LP_MAX_TAGS / TM_LP_MAX_FIELDS); -1 with l->err on a bad line. */
static int parse_line(struct lp_line *l, enum tm_precision prec, int64_t now_ms,
                      struct tm_lp_point *pt, struct tm_lp_tag *tags, struct tm_lp_field *fields)
{
    size_t nt = 0, nf = 0;
    char b[48];

    if (scan_ident(l, 'm', &pt->measurement))
        return -1;
    if (pt->measurement.len == 0)
        return fail(l, "missing measurement%s", NULL);
    while (l->p < l->end && *l->p == ',') {
        l->p++;
        struct tm_lp_tag t;
        if (scan_ident(l, 'k', &t.key))
            return -1;
        if (t.key.len == 0)
            return fail(l, "missing tag key%s", NULL);
        if (l->p >= l->end || *l->p != '=')
            return fail(l, "missing tag value for '%s'", show(t.key, b));
        l->p++;
        if (scan_ident(l, 'v', &t.value))
            return -1;
        if (t.value.len == 0)
            return fail(l, "missing tag value for '%s'", show(t.key, b));
        if (nt == TM_LP_MAX_TAGS)
            return fail(l, "too many tags%s", NULL);
        tags[nt++] = t;
    }
    if (l->p >= l->end)
        return fail(l, "missing fields%s", NULL);
    if (*l->p != ' ')
        return fail(l, "unexpected character after tags%s", NULL);
    while (l->p < l->end && *l->p == ' ')
        l->p++;
    if (l->p >= l->end)
        return fail(l, "missing fields%s", NULL);
    for (;;) {
        struct tm_lp_field f;
        if (scan_ident(l, 'k', &f.key))
            return -1;
        if (f.key.len == 0)
            return fail(l, "missing field key%s", NULL);
        if (l->p >= l->end || *l->p != '=')
            return fail(l, "missing '=' after field key '%s'", show(f.key, b));
        l->p++;
        if (parse_field_value(l, &f))
            return -1;
        for (size_t i = 0; i < nf; i++)
            if (str_same(fields[i].key, f.key))
                return fail(l, "duplicate field '%s'", show(f.key, b));
        if (nf == TM_LP_MAX_FIELDS)
            return fail(l, "too many fields%s", NULL);
        fields[nf++] = f;
        if (l->p < l->end && *l->p == ',') {
            l->p++;
            continue;
        }
        break;
    }
    pt->ts_ms = now_ms;
    if (l->p < l->end) {
        while (l->p < l->end && *l->p == ' ')
            l->p++;
        if (l->p < l->end && parse_ts(l, prec, &pt->ts_ms))
            return -1;
    }
    if (nt > 1) {
        bool sorted = true; /* strictly ascending as written: no sort, no duplicate */
        for (size_t i = 1; i < nt && sorted; i++)
            sorted = cmp_tag(&tags[i - 1], &tags[i]) < 0;
        if (!sorted) {
            l->plain = false;
            qsort(tags, nt, sizeof tags[0], cmp_tag);
            for (size_t i = 1; i < nt; i++)
                if (str_same(tags[i - 1].key, tags[i].key))
                    return fail(l, "duplicate tag '%s'", show(tags[i].key, b));
        }
    }
    pt->ntags = nt;
    pt->nfields = nf;
    pt->tags = tags;
    pt->fields = fields;
    return 0;
}

static void add_error(struct arena *a, struct tm_lp_batch *out, int line, const char *msg)
{
    out->bad_lines++;
    if (out->nerrors >= TM_LP_MAX_ERRORS)
        return;
    if (out->nerrors == out->cap_errors) {
        size_t cap = out->cap_errors ? out->cap_errors * 2 : 8;
        struct tm_lp_error *e = arena_alloc(a, cap * sizeof *e);
        if (out->nerrors)
            memcpy(e, out->errors, out->nerrors * sizeof *e);
        out->errors = e;
        out->cap_errors = cap;
    }
    struct tm_lp_error *e = &out->errors[out->nerrors++];
    e->line = line;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
}

static struct tm_lp_point *new_point(struct arena *a, struct tm_lp_batch *out)
{
    if (out->npoints == out->cap_points) {
        size_t cap = out->cap_points ? out->cap_points * 2 : 64;
        struct tm_lp_point *p = arena_alloc(a, cap * sizeof *p);
        if (out->npoints)
            memcpy(p, out->points, out->npoints * sizeof *p);
        out->points = p;
        out->cap_points = cap;
    }
    return &out->points[out->npoints];
}

/* Only 7-bit bytes and no NUL? (then no UTF-8 or NUL check is needed) */
static bool plain_ascii(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t acc = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w | ((w - ones) & ~w & highs); /* high bit set, or a zero byte */
    }
    for (; i < n; i++)
        acc |= s[i] ? (unsigned char)s[i] : 0x80;
    return !(acc & highs);
}

int tm__lp_each(const char *body, size_t len, enum tm_precision prec, int64_t now_ms,
                struct arena *a, struct tm_lp_batch *out, tm__lp_fn fn, void *ctx)
{
    memset(out, 0, sizeof *out);
    const char *p = body, *end = body + len;
    int lineno = 0;
    char msg[160];
    struct tm_lp_tag tags[TM_LP_MAX_TAGS];
    struct tm_lp_field fields[TM_LP_MAX_FIELDS];
    if (!fn) {
        /* about one point a line: size the array once */
        size_t lines = 1;
        for (const char *q = body; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
            lines++;
        out->cap_points = lines;
        out->points = arena_alloc(a, lines * sizeof *out->points);
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        lineno++;
        if (le > p && le[-1] == '\r')
            le--;
        const char *s = p;
        p = next;
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (s == le || *s == '#')
            continue;
        size_t n = (size_t)(le - s);
        if (n > TM_LP_MAX_LINE) {
            snprintf(msg, sizeof msg, "line too long (%zu bytes, limit %d)", n, TM_LP_MAX_LINE);
            add_error(a, out, lineno, msg);
            continue;
        }
        if (!plain_ascii(s, n)) {
            if (!utf8_valid(s, n)) {
                add_error(a, out, lineno, "invalid UTF-8");
                continue;
            }
            if (memchr(s, '\0', n)) {
                add_error(a, out, lineno, "NUL byte in line");
                continue;
            }
        }
        struct tm_lp_point pt;
        struct lp_line l = {s, le, a, msg, true};
        msg[0] = '\0';
        if (parse_line(&l, prec, now_ms, &pt, tags, fields)) {
            add_error(a, out, lineno, msg);
            continue;
        }
        if (pt.ts_ms > now_ms + TM_MAX_AHEAD_MS) {
            add_error(a, out, lineno,
                      "timestamp is more than 1 hour ahead of the server clock "
                      "(the device clock looks wrong)");
            continue;
        }
        pt.line = lineno;
        size_t nvalues = 0;
        for (size_t i = 0; i < pt.nfields; i++)
            if (pt.fields[i].type != TM_FIELD_STRING)
                nvalues++;
        if (fn) {
            struct tm__lp_line ln = {s, n, lineno, l.plain, msg};
            int rc = fn(ctx, &pt, &ln);
            if (rc == TM__LP_REJECT) {
                add_error(a, out, lineno, msg);
                continue;
            }
            if (rc)
                return rc;
        } else {
            struct tm_lp_point *dst = new_point(a, out);
            *dst = pt;
            dst->tags = pt.ntags ? arena_alloc(a, pt.ntags * sizeof *pt.tags) : NULL;
            if (pt.ntags)
                memcpy(dst->tags, pt.tags, pt.ntags * sizeof *pt.tags);
            dst->fields = arena_alloc(a, pt.nfields * sizeof *pt.fields);
            memcpy(dst->fields, pt.fields, pt.nfields * sizeof *pt.fields);
        }
        out->nvalues += nvalues;
        out->npoints++;
    }
    return 0;
}

size_t tm_lp_parse(const char *body, size_t len, enum tm_precision prec, int64_t now_ms,
                   struct arena *a, struct tm_lp_batch *out)
{
    tm__lp_each(body, len, prec, now_ms, a, out, NULL, NULL);
    return out->npoints;
}

int tm__lp_reparse(const char *s, size_t n, enum tm_precision prec, struct arena *a,
                   struct tm_lp_point *pt, struct tm_lp_tag *tags, struct tm_lp_field *fields)
{
    char msg[160];
    struct lp_line l = {s, s + n, a, msg, true};
    return parse_line(&l, prec, 0, pt, tags, fields) ? ERR_INVAL : 0;
}
