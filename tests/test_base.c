/* Unit tests for src/base: errors, arena, strbuf, UTF-8, time, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <pthread.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "base/base.h"

#include <arpa/inet.h>

static void test_err_codes(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(err_set(&e, ERR_INVAL, "field '%s' bad", "x"), ERR_INVAL);
    assert_string_equal(e.msg, "field 'x' bad");
    err_prefix(&e, "line %d: ", 3);
    assert_string_equal(e.msg, "line 3: field 'x' bad");
    assert_string_equal(err_str(ERR_NOTFOUND), "not_found");
    assert_string_equal(err_str(ERR_BADREF), "bad_reference");
    assert_string_equal(err_str(5), "unknown");
    assert_string_equal(err_str(-99), "unknown");
}

/* The build's allocator is the one malloc really uses: a link that kept
** glibc's malloc behind mimalloc's back fails here. */
static void test_allocator(void **state)
{
    (void)state;
#ifdef RL_HAVE_MIMALLOC
    assert_string_equal(mem_allocator(), "mimalloc");
#else
    assert_string_equal(mem_allocator(), "glibc");
#endif
}

static void test_arena(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 64);
    char *p = arena_alloc(&a, 10);
    char *q = arena_alloc(&a, 1000); /* larger than a block */
    assert_true(((uintptr_t)p & 15) == 0);
    assert_true(((uintptr_t)q & 15) == 0);
    memset(q, 'x', 1000);
    assert_string_equal(arena_printf(&a, "%d-%s", 7, "ok"), "7-ok");
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    arena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_non_null(arena_alloc(&a, 8));
    arena_release(&a);

    /* A reused arena keeps its first block, but not an oversized one. */
    arena_init(&a, 64);
    assert_non_null(arena_alloc(&a, 10));
    void *kept = a.head;
    arena_reset(&a);
    assert_ptr_equal(a.head, kept);
    arena_release(&a);
    arena_init(&a, 64);
    assert_non_null(arena_alloc(&a, 100000));
    arena_reset(&a);
    assert_null(a.head);
    assert_non_null(arena_alloc(&a, 8));
    arena_release(&a);
}

struct prio_probe {
    int before, after;
    int rc;
};

static void *lower_and_probe(void *arg)
{
    struct prio_probe *p = arg;
    p->before = getpriority(PRIO_PROCESS, (id_t)gettid());
    p->rc = thread_lower_priority(3);
    p->after = getpriority(PRIO_PROCESS, (id_t)gettid());
    return NULL;
}

/* A thread lowers its own priority only: the caller keeps its nice value. */
static void test_thread_lower_priority(void **state)
{
    (void)state;
    int mine = getpriority(PRIO_PROCESS, (id_t)gettid());
    struct prio_probe p = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, lower_and_probe, &p), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.after, p.before + 3 > 19 ? 19 : p.before + 3);
    assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), mine);
    assert_int_equal(thread_lower_priority(0), 0);
    assert_int_equal(getpriority(PRIO_PROCESS, (id_t)gettid()), mine);
}

static void test_strbuf_cap(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 8);
    assert_int_equal(strbuf_addstr(&sb, "12345"), 0);
    assert_int_equal(strbuf_addstr(&sb, "6789"), ERR_TOOBIG);
    assert_string_equal(strbuf_str(&sb), "12345"); /* unchanged on failure */
    assert_int_equal(strbuf_addf(&sb, "%d", 678), 0);
    assert_string_equal(strbuf_str(&sb), "12345678");
    size_t n;
    char *s = strbuf_detach(&sb, &n);
    assert_int_equal(n, 8);
    free(s);
    assert_string_equal(strbuf_str(&sb), "");
    strbuf_release(&sb);
}

static void test_strbuf_json(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb, 0);
    const char raw[] = "a\"b\\c\n\x01";
    strbuf_add_json_str(&sb, raw, sizeof raw - 1);
    assert_string_equal(strbuf_str(&sb), "\"a\\\"b\\\\c\\n\\u0001\"");
    strbuf_release(&sb);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(utf8_valid("苹果 apple", strlen("苹果 apple")));
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xe8\x8b", 2));         /* truncated */
    assert_false(utf8_valid("\xf5\x80\x80\x80", 4)); /* > U+10FFFF */
}

/* str_ipv4 agrees with inet_ntop on addresses with 1-, 2- and 3-digit parts. */
static void test_str_ipv4(void **state)
{
    (void)state;
    const char *const addrs[] = {"127.0.0.1",       "10.20.255.0",    "0.0.0.0",
                                 "255.255.255.255", "192.168.99.100", "1.22.3.44"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        struct in_addr in;
        char got[16], want[INET_ADDRSTRLEN];
        assert_int_equal(inet_pton(AF_INET, addrs[i], &in), 1);
        str_ipv4(&in, got);
        assert_non_null(inet_ntop(AF_INET, &in, want, sizeof want));
        assert_string_equal(got, want);
        assert_string_equal(got, addrs[i]);
    }
    char d[8] = "xxxxxxx";
    str_put_digits(d, 42, 5);
    assert_memory_equal(d, "00042xx", 7);
    str_put_digits(d, 1234567, 7);
    assert_memory_equal(d, "1234567", 7);
}

static void test_str_numbers(void **state)
{
    (void)state;
    int64_t i;
    double d;
    assert_int_equal(str_to_i64(STR_LIT("-42"), &i), 0);
    assert_int_equal(i, -42);
    assert_int_equal(str_to_i64(STR_LIT("42x"), &i), ERR_INVAL);
    assert_int_equal(str_to_i64(STR_LIT(" 42"), &i), ERR_INVAL);
    assert_int_equal(str_to_i64(STR_LIT("\t42"), &i), ERR_INVAL);
    assert_int_equal(str_to_i64(STR_LIT("\n42"), &i), ERR_INVAL);
    assert_int_equal(str_to_double(STR_LIT("\t1.5"), &d), ERR_INVAL);
    assert_int_equal(str_to_i64(STR_LIT("99999999999999999999"), &i), ERR_INVAL);
    assert_int_equal(str_to_double(STR_LIT("2.5e3"), &d), 0);
    assert_true(d == 2500.0);
    assert_int_equal(str_to_double(STR_LIT("nan"), &d), ERR_INVAL);
    assert_int_equal(str_to_double(STR_LIT(""), &d), ERR_INVAL);
}

static void test_time_rfc3339(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(time_fmt_rfc3339(0, buf), "1970-01-01T00:00:00.000Z");
    assert_string_equal(time_fmt_rfc3339(1795941000123LL, buf), "2026-11-29T08:30:00.123Z");
    assert_string_equal(time_fmt_rfc3339(-1, buf), "1969-12-31T23:59:59.999Z");
    int64_t ms;
    assert_int_equal(time_parse_rfc3339("2026-11-29T08:30:00.123Z", &ms), 0);
    assert_int_equal(ms, 1795941000123LL);
    assert_int_equal(time_parse_rfc3339("2026-11-29T16:30:00+08:00", &ms), 0);
    assert_int_equal(ms, 1795941000000LL);
    assert_int_equal(time_parse_rfc3339("2026-02-30T00:00:00Z", &ms), ERR_INVAL);
    assert_int_equal(time_parse_rfc3339("2026-11-29 08:30", &ms), ERR_INVAL);
    assert_int_equal(time_parse_rfc3339("2026-11-29T08:30:00", &ms), ERR_INVAL);
    assert_int_equal(time_parse_date("2024-02-29", &ms), 0);
    assert_int_equal(ms, 1709164800000LL);
    assert_int_equal(time_parse_date("2023-02-29", &ms), ERR_INVAL);
    assert_string_equal(time_fmt_rfc3339(253402300799999LL, buf), "9999-12-31T23:59:59.999Z");
    /* every format parses back to its instant, over 1900-2100 and leap days */
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t t = (int64_t)(x % 6311433600000ULL) - 2208988800000LL;
        assert_int_equal(time_parse_rfc3339(time_fmt_rfc3339(t, buf), &ms), 0);
        assert_int_equal(ms, t);
        assert_int_equal(strlen(buf), 24);
    }
}

static void test_json_parse(void **state)
{
    (void)state;
    struct json_object *o = NULL;
    struct err e;
    const char *doc = "{\"name\":\"茶\",\"n\":3,\"x\":1.5,\"ok\":true}";
    assert_int_equal(rjson_parse(doc, strlen(doc), &o, &e), 0);
    const char *s;
    int64_t n;
    double x;
    bool b;
    assert_int_equal(rjson_get_str(o, "name", true, &s, &e), 0);
    assert_string_equal(s, "茶");
    assert_int_equal(rjson_get_i64(o, "n", true, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rjson_get_double(o, "n", true, &x, &e), 0);
    assert_int_equal(rjson_get_i64(o, "x", true, &n, &e), ERR_INVAL);
    assert_string_equal(e.msg, "field 'x' must be an integer");
    assert_int_equal(rjson_get_bool(o, "ok", true, &b, &e), 0);
    assert_true(b);
    assert_int_equal(rjson_get_str(o, "missing", false, &s, &e), ERR_NOTFOUND);
    assert_int_equal(rjson_get_str(o, "missing", true, &s, &e), ERR_INVAL);
    const char *const allowed[] = {"name", "n", "x", NULL};
    assert_int_equal(rjson_only_keys(o, allowed, &e), ERR_INVAL);
    assert_string_equal(e.msg, "unknown field 'ok'");
    json_object_put(o);

    assert_int_equal(rjson_parse("{\"a\":1} x", 9, &o, &e), ERR_INVAL);
    assert_int_equal(rjson_parse("{\"a\":", 5, &o, &e), ERR_INVAL);
    assert_int_equal(rjson_parse("{\"a\":\"\xff\"}", 9, &o, &e), ERR_INVAL);
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(rjson_parse(deep, 200, &o, &e), ERR_INVAL);
}

/* One parser state through good, broken and good documents: a failed parse
** leaves nothing behind for the next one. */
static void test_json_parse_reuse(void **state)
{
    (void)state;
    struct json_tokener *tok = NULL;
    struct json_object *o = NULL;
    struct err e;
    int64_t n;
    assert_int_equal(rjson_parse_reuse(&tok, "{\"n\":1}", 7, &o, &e), 0);
    assert_non_null(tok);
    assert_int_equal(rjson_get_i64(o, "n", true, &n, &e), 0);
    assert_int_equal(n, 1);
    json_object_put(o);
    assert_int_equal(rjson_parse_reuse(&tok, "{\"n\":[2,", 8, &o, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "ends early"));
    assert_int_equal(rjson_parse_reuse(&tok, "{\"n\":2} x", 9, &o, &e), ERR_INVAL);
    assert_non_null(strstr(e.msg, "at byte 8"));
    o = NULL;
    assert_int_equal(rjson_parse_reuse(&tok, "{\"n\":3}", 7, &o, &e), 0);
    assert_int_equal(rjson_get_i64(o, "n", true, &n, &e), 0);
    assert_int_equal(n, 3);
    json_object_put(o);
    json_tokener_free(tok);
}

static void test_json_double_digits(void **state)
{
    (void)state;
    struct json_object *d = rjson_new_double(0.1 + 0.2, 6);
    assert_string_equal(rjson_str(d, NULL), "0.3");
    json_object_put(d);
    assert_null(rjson_new_double(0.0 / 0.0, 6));
}

/* file_write_atomic replaces a regular file, but writes a pipe (or a
** device) in place and keeps a symbolic link a link. */
static void test_file_write_atomic_targets(void **state)
{
    (void)state;
    char dir[] = "/tmp/rl-base-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[64], link[64], fifo[64], sub[64];
    snprintf(file, sizeof file, "%s/f.json", dir);
    snprintf(link, sizeof link, "%s/l.json", dir);
    snprintf(fifo, sizeof fifo, "%s/p", dir);
    snprintf(sub, sizeof sub, "%s/d", dir);
    struct err e = {0};
    struct stat st;
    struct strbuf sb = STRBUF_INIT;

    assert_int_equal(file_write_atomic(file, "one", 3, &e), 0);
    assert_int_equal(symlink("f.json", link), 0);
    assert_int_equal(file_write_atomic(link, "two!", 4, &e), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(file_read_all(file, &sb, &e), 0);
    assert_string_equal(strbuf_str(&sb), "two!");
    strbuf_release(&sb);

    assert_int_equal(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(file_write_atomic(fifo, "piped", 5, &e), 0);
    char buf[16] = {0};
    assert_int_equal(read(rd, buf, sizeof buf - 1), 5);
    assert_string_equal(buf, "piped");
    close(rd);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));

    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(file_write_atomic(sub, "x", 1, &e), ERR_IO);
    assert_non_null(strstr(e.msg, "directory"));

    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_codes),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_thread_lower_priority),
        cmocka_unit_test(test_allocator),
        cmocka_unit_test(test_strbuf_cap),
        cmocka_unit_test(test_strbuf_json),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_str_numbers),
        cmocka_unit_test(test_str_ipv4),
        cmocka_unit_test(test_time_rfc3339),
        cmocka_unit_test(test_json_parse),
        cmocka_unit_test(test_json_parse_reuse),
        cmocka_unit_test(test_json_double_digits),
        cmocka_unit_test(test_file_write_atomic_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
