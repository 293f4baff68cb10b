/* Unit tests for the InfluxDB line-protocol parser: good lines, escapes,
** precisions, and bad lines rejected one by one with their line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "telemetry/telemetry.h"

#define NOW 1700000000000LL

static size_t parse(const char *body, enum tm_precision prec, struct arena *a,
                    struct tm_lp_batch *b)
{
    return tm_lp_parse(body, strlen(body), prec, NOW, a, b);
}

static bool eq(struct str s, const char *want)
{
    return str_eq(s, want);
}

static void test_lp_basic(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    const char *body = "cold,vehicle=V1,zone=A temp=4.5,rh=91i,door=t,note=\"ok\" 1700000000123\n"
                       "\n"
                       "# a comment\n"
                       "soil,plot=P7 moisture=0.23\r\n"
                       "weather,site=x wind=-1.5e1,count=42u 1700000001000";
    assert_int_equal(parse(body, TM_PREC_MS, &a, &b), 3);
    assert_int_equal(b.bad_lines, 0);
    assert_int_equal(b.nvalues, 3 + 1 + 2); /* the string field is not a value */
    struct tm_lp_point *p = &b.points[0];
    assert_true(eq(p->measurement, "cold"));
    assert_int_equal(p->ntags, 2);
    assert_true(eq(p->tags[0].key, "vehicle") && eq(p->tags[0].value, "V1"));
    assert_true(eq(p->tags[1].key, "zone"));
    assert_int_equal(p->nfields, 4);
    assert_int_equal(p->fields[0].type, TM_FIELD_FLOAT);
    assert_true(p->fields[0].num == 4.5);
    assert_int_equal(p->fields[1].type, TM_FIELD_INT);
    assert_true(p->fields[1].num == 91);
    assert_int_equal(p->fields[2].type, TM_FIELD_BOOL);
    assert_true(p->fields[2].num == 1);
    assert_int_equal(p->fields[3].type, TM_FIELD_STRING);
    assert_true(eq(p->fields[3].sval, "ok"));
    assert_int_equal(p->ts_ms, 1700000000123LL);
    assert_int_equal(p->line, 1);
    /* no timestamp: now; \r\n line end */
    assert_int_equal(b.points[1].ts_ms, NOW);
    assert_int_equal(b.points[1].line, 4);
    assert_true(b.points[2].fields[0].num == -15);
    assert_int_equal(b.points[2].fields[1].type, TM_FIELD_UINT);
    arena_release(&a);
}

static void test_lp_tags_sorted(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    assert_int_equal(parse("m,z=1,a=2,m=3 v=1", TM_PREC_MS, &a, &b), 1);
    assert_true(eq(b.points[0].tags[0].key, "a"));
    assert_true(eq(b.points[0].tags[1].key, "m"));
    assert_true(eq(b.points[0].tags[2].key, "z"));
    arena_release(&a);
}

static void test_lp_escapes(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    const char *body = "cold\\ store\\,1,site\\=x=North\\ Gate\\,2,path=C:\\dir f\\ 1=2,"
                       "s=\"say \\\"hi\\\" \\\\ back\" 1\n";
    assert_int_equal(parse(body, TM_PREC_S, &a, &b), 1);
    struct tm_lp_point *p = &b.points[0];
    assert_true(eq(p->measurement, "cold store,1"));
    assert_true(eq(p->tags[0].key, "path"));
    assert_true(eq(p->tags[0].value, "C:\\dir")); /* other backslashes stay literal */
    assert_true(eq(p->tags[1].key, "site=x"));
    assert_true(eq(p->tags[1].value, "North Gate,2"));
    assert_true(eq(p->fields[0].key, "f 1"));
    assert_true(eq(p->fields[1].sval, "say \"hi\" \\ back"));
    assert_int_equal(p->ts_ms, 1000);
    arena_release(&a);
}

static void test_lp_precision(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    enum tm_precision p;
    assert_int_equal(tm_precision_parse(NULL, &p), 0);
    assert_int_equal(p, TM_PREC_NS);
    assert_int_equal(tm_precision_parse("ms", &p), 0);
    assert_int_equal(p, TM_PREC_MS);
    assert_int_equal(tm_precision_parse("h", &p), ERR_INVAL);
    parse("m v=1 1700000000123456789", TM_PREC_NS, &a, &b);
    assert_int_equal(b.points[0].ts_ms, 1700000000123LL);
    parse("m v=1 1700000000123456", TM_PREC_US, &a, &b);
    assert_int_equal(b.points[0].ts_ms, 1700000000123LL);
    parse("m v=1 1700000000", TM_PREC_S, &a, &b);
    assert_int_equal(b.points[0].ts_ms, 1700000000000LL);
    arena_release(&a);
}

struct bad {
    const char *line;
    const char *msg_part;
};

static void test_lp_bad_lines(void **state)
{
    (void)state;
    static const struct bad bad[] = {
        {"m", "missing fields"},
        {"m ", "missing fields"},
        {"m,t=1", "missing fields"},
        {"m v=", "missing value"},
        {"m v", "missing '='"},
        {"m =1", "missing field key"},
        {",t=1 v=1", "missing measurement"},
        {"m,t v=1", "missing tag value"},
        {"m,t= v=1", "missing tag value"},
        {"m,=x v=1", "missing tag key"},
        {"m v=abc", "invalid field value"},
        {"m v=1.2.3", "invalid number"},
        {"m v=NaN", "invalid field value"},
        {"m v=inf", "invalid field value"},
        {"m v=1e999", "invalid number"},
        {"m v=12x3i", "invalid integer"},
        {"m v=99999999999999999999i", "out of range"},
        {"m v=-1u", "invalid integer"},
        {"m v=\"open", "unterminated string"},
        {"m v=1,v=2", "duplicate field"},
        {"m,a=1,a=2 v=1", "duplicate tag"},
        {"m v=1 abc", "invalid timestamp"},
        {"m v=1 -5", "before 1970"},
        {"m v=1 99999999999999999999", "invalid timestamp"},
        {"m v=1 1 2", "unexpected text"},
        {"m v=1\\", "invalid field value"},
        {"m,t=x\\", "dangling backslash"},
        {"m\\", "dangling backslash"},
        {"m,t=x\\ v=1", "missing fields"},
    };
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "good v=1 1000\n");
    for (size_t i = 0; i < RL_ARRAY_LEN(bad); i++)
        strbuf_addf(&sb, "%s\n", bad[i].line);
    strbuf_addstr(&sb, "good v=2 2000\n");
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    size_t n = tm_lp_parse(sb.buf, sb.len, TM_PREC_MS, NOW, &a, &b);
    assert_int_equal(n, 2); /* partial write: the good lines survive */
    assert_int_equal(b.bad_lines, RL_ARRAY_LEN(bad));
    assert_int_equal(b.nerrors, RL_ARRAY_LEN(bad));
    for (size_t i = 0; i < RL_ARRAY_LEN(bad); i++) {
        assert_int_equal(b.errors[i].line, (int)i + 2);
        if (!strstr(b.errors[i].msg, bad[i].msg_part))
            fail_msg("line '%s': got '%s', want '%s'", bad[i].line, b.errors[i].msg,
                     bad[i].msg_part);
    }
    assert_int_equal(b.points[1].line, (int)RL_ARRAY_LEN(bad) + 2);
    strbuf_release(&sb);
    arena_release(&a);
}

static void test_lp_limits(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    struct tm_lp_batch b;
    /* invalid UTF-8 (overlong '/') and a NUL byte */
    const char bad_utf8[] = "m,t=\xc0\xaf v=1\nm v=1\nm,t=a\0b v=1\n";
    assert_int_equal(tm_lp_parse(bad_utf8, sizeof bad_utf8 - 1, TM_PREC_MS, NOW, &a, &b), 1);
    assert_int_equal(b.bad_lines, 2);
    assert_int_equal(b.errors[0].line, 1);
    assert_non_null(strstr(b.errors[0].msg, "UTF-8"));
    assert_int_equal(b.errors[1].line, 3);
    /* a huge line */
    size_t n = TM_LP_MAX_LINE + 100;
    char *big = malloc(n + 20);
    memcpy(big, "m v=1\nm,t=", 10);
    memset(big + 10, 'x', n);
    memcpy(big + 10 + n, " v=1\nm v=2", 10);
    assert_int_equal(tm_lp_parse(big, n + 20, TM_PREC_MS, NOW, &a, &b), 2);
    assert_int_equal(b.bad_lines, 1);
    assert_int_equal(b.errors[0].line, 2);
    assert_non_null(strstr(b.errors[0].msg, "too long"));
    free(big);
    /* timestamps past int64 nanoseconds */
    assert_int_equal(parse("m v=1 9300000000000", TM_PREC_MS, &a, &b), 0);
    assert_non_null(strstr(b.errors[0].msg, "out of range"));
    assert_int_equal(parse("m v=1 9300000000", TM_PREC_S, &a, &b), 0);
    /* (a server clock in 2261, so the line is not also too far ahead) */
    assert_int_equal(tm_lp_parse("m v=1 9200000000", 16, TM_PREC_S, 9200000000000LL, &a, &b), 1);
    /* more than an hour ahead of the server clock: the device clock is wrong */
    assert_int_equal(
        parse("m v=1 1700003600000\nm v=1 1700003600001\nm v=1 1731536000000", TM_PREC_MS, &a, &b),
        1);
    assert_int_equal(b.bad_lines, 2);
    assert_int_equal(b.errors[0].line, 2);
    assert_non_null(strstr(b.errors[0].msg, "ahead of the server clock"));
    /* more than TM_LP_MAX_ERRORS bad lines: counted, not all described */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < TM_LP_MAX_ERRORS + 50; i++)
        strbuf_addstr(&sb, "bad\n");
    assert_int_equal(tm_lp_parse(sb.buf, sb.len, TM_PREC_MS, NOW, &a, &b), 0);
    assert_int_equal(b.bad_lines, TM_LP_MAX_ERRORS + 50);
    assert_int_equal(b.nerrors, TM_LP_MAX_ERRORS);
    strbuf_release(&sb);
    /* empty body */
    assert_int_equal(tm_lp_parse("", 0, TM_PREC_MS, NOW, &a, &b), 0);
    assert_int_equal(b.bad_lines, 0);
    arena_release(&a);
}

/* The fuzz corpus seeds parse without crashing (and the parser never reads
** past the given length: run under ASan in the dev preset). */
static void test_lp_random_bytes(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 1 << 16);
    struct tm_lp_batch b;
    uint64_t x = 88172645463325252ULL;
    char buf[512];
    static const char alphabet[] = "m,= \"\\\n0123456789.eiu-tfTF#\xc3\xa9x";
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(x % sizeof buf);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = alphabet[x % (sizeof alphabet - 1)];
        }
        tm_lp_parse(buf, n, TM_PREC_NS, NOW, &a, &b);
        assert_true(b.npoints + b.bad_lines <= n);
        arena_reset(&a);
    }
    arena_release(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lp_basic),        cmocka_unit_test(test_lp_tags_sorted),
        cmocka_unit_test(test_lp_escapes),      cmocka_unit_test(test_lp_precision),
        cmocka_unit_test(test_lp_bad_lines),    cmocka_unit_test(test_lp_limits),
        cmocka_unit_test(test_lp_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
