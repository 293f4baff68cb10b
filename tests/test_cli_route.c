/* Tests for `ruralink route solve`'s options, run through the binary: numbers
** are parsed as `dispatch` and `site` parse them (a malformed or out-of-range
** value is exit 2 with a message naming the option and its range, never
** wrapped or read as the default), and `-o -` is standard output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rl_server.h"

#ifdef RL_BIN
/* Runs cmd, keeping what it prints (stdout and stderr as cmd redirects
** them) in out; returns the exit status. */
static int run_out(const char *cmd, char *out, size_t n)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t len = fread(out, 1, n - 1, f);
    out[len] = '\0';
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A private directory holding a three-node CVRP instance: prob.vrp. */
static void make_dir(char *dir, size_t n)
{
    snprintf(dir, n, "clirouteXXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/prob.vrp", dir);
    assert_int_equal(
        ts_put(path,
               "NAME : t\nTYPE : CVRP\nDIMENSION : 3\nCAPACITY : 5\nEDGE_WEIGHT_TYPE : EUC_2D\n"
               "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1\nDEMAND_SECTION\n1 0\n2 3\n3 3\n"
               "DEPOT_SECTION\n1\n-1\nEOF\n"),
        0);
}

static void remove_dir(const char *dir)
{
    char path[128];
    const char *names[] = {"prob.vrp", "out.json", "-"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Each refused value: exit 2, and stderr names the option and its range. */
static void test_bad_numbers_refused(void **state)
{
    (void)state;
    char dir[32], cmd[512], out[1024];
    make_dir(dir, sizeof dir);
    static const struct {
        const char *args, *msg;
    } bad[] = {
        /* 2^64: strtoull wrapped it to 0 */
        {"--seed 18446744073709551616", "--seed must be an integer in [0, 9223372036854775807]"},
        {"--seed 9223372036854775808", "--seed must be an integer in [0, 9223372036854775807]"},
        {"--seed -1", "--seed must be an integer in [0, 9223372036854775807]"},
        {"--seed ' 1'", "--seed must be an integer in [0, 9223372036854775807]"},
        {"--seed 1x", "--seed must be an integer in [0, 9223372036854775807]"},
        /* 0 used to mean "the default by size" without a word */
        {"--time-limit 0", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--time-limit ' 1'", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--time-limit 1e9", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--time-limit -1", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--time-limit nan", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--time-limit=", "--time-limit must be a number of seconds in (0, 1000000]"},
        {"--threads 0", "--threads must be an integer in [1, 256]"},
        {"--threads 257", "--threads must be an integer in [1, 256]"},
        {"--threads ' 2'", "--threads must be an integer in [1, 256]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s route solve %s/prob.vrp %s 2>&1 >/dev/null", RL_BIN, dir,
                 bad[i].args);
        int rc = run_out(cmd, out, sizeof out);
        if (rc != 2)
            fail_msg("%s: exit %d, expected 2 (%s)", bad[i].args, rc, out);
        if (!strstr(out, bad[i].msg))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].args, out, bad[i].msg);
    }
    /* the bounds themselves are accepted */
    snprintf(cmd, sizeof cmd,
             "%s route solve %s/prob.vrp --seed 9223372036854775807 --threads 1 "
             "--time-limit 0.2 >/dev/null 2>&1",
             RL_BIN, dir);
    assert_int_equal(run_out(cmd, out, sizeof out), 0);
    remove_dir(dir);
}

/* `-o -` is stdout; it used to create a file named "-". */
static void test_output_dash_is_stdout(void **state)
{
    (void)state;
    char dir[32], cmd[512], out[8192], path[128];
    make_dir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s route solve prob.vrp --time-limit 0.2 -o - 2>/dev/null",
             dir, RL_BIN);
    assert_int_equal(run_out(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "{\"code\":0,\"summary\":{\"cost\":12,"));
    struct stat st;
    snprintf(path, sizeof path, "%s/-", dir);
    assert_int_not_equal(stat(path, &st), 0);
    /* a real file name still goes to a file, not stdout */
    snprintf(cmd, sizeof cmd,
             "cd %s && %s route solve prob.vrp --time-limit 0.2 -o out.json 2>/dev/null", dir,
             RL_BIN);
    assert_int_equal(run_out(cmd, out, sizeof out), 0);
    assert_string_equal(out, "");
    snprintf(path, sizeof path, "%s/out.json", dir);
    assert_int_equal(stat(path, &st), 0);
    remove_dir(dir);
}
#else
static void test_needs_binary(void **state)
{
    (void)state;
    skip(); /* built without the ruralink binary (RL_ONLY) */
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#ifdef RL_BIN
        cmocka_unit_test(test_bad_numbers_refused),
        cmocka_unit_test(test_output_dash_is_stdout),
#else
        cmocka_unit_test(test_needs_binary),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
