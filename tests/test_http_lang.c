/* Unit tests for src/http/lang.c: which offered language an Accept-Language
** header prefers (q values, ties, "*", subtags, malformed ranges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/http.h"

static void test_two_languages(void **state)
{
    (void)state;
    static const char *const offered[] = {"zh", "en"};
    static const struct {
        const char *h;
        size_t want;
    } cases[] = {
        {NULL, 0},
        {"", 0},
        {"en", 1},
        {"en-US,en;q=0.9", 1},
        {"zh-CN,zh;q=0.9,en;q=0.8", 0},
        {"fr-FR, en;q=0.8, zh;q=0.5", 1},
        {"en;q=0.2, ZH-Hans-CN;q=0.9", 0},
        {"de, fr", 0},
        {"en;q=0", 0},
        {"en, zh", 1}, /* a tie: the first listed */
        {"zh;q=0.5, en;q=0.5", 0},
        {"zh;q=0.1, *;q=0.9", 1}, /* "*" is en, not listed */
        {"en;q=0.5, *", 0},
        {"en;q=bogus, zh;q=0.1", 0}, /* an unreadable range is skipped */
        {"en ; q=1.0 , zh;q=0.9", 1},
        {"en;q=1.5", 0},
        {",,;;=,en-GB", 1},
        {"zh;q=0, en;q=0", 0}, /* both refused: the first offered */
        {"english, eng", 0},   /* not the primary subtag en */
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(cases); i++) {
        size_t got = http_accept_language(cases[i].h, offered, 2);
        if (got != cases[i].want)
            fail_msg("Accept-Language '%s': %zu, not %zu", cases[i].h ? cases[i].h : "(none)", got,
                     cases[i].want);
    }
}

/* More than two: the order of the offer breaks a tie only between ranges
** at one position (both from "*"). */
static void test_three_languages(void **state)
{
    (void)state;
    static const char *const offered[] = {"zh", "en", "bo"};
    assert_int_equal(http_accept_language("bo, en;q=0.9", offered, 3), 2);
    assert_int_equal(http_accept_language("fr, *;q=0.5", offered, 3), 0);
    assert_int_equal(http_accept_language("zh;q=0.1, *;q=0.5", offered, 3), 1);
    assert_int_equal(http_accept_language("en;q=0.3, bo;q=0.3, zh;q=0.2", offered, 3), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_languages),
        cmocka_unit_test(test_three_languages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
