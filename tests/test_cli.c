/*
** test_cli.c: the `ruralink` command line as an operator meets it: output
** that cannot be written is a failure, contradictory flags are refused, and
** a command refused for a typo leaves no database behind.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rl_server.h"

#ifdef RL_BIN
static char dir[] = "/tmp/rl-cli-XXXXXX";

static bool exists(const char *name)
{
    char path[128];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0;
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return ts_shf("rm -rf '%s'", dir) == 0 ? 0 : -1;
}

/* A full disk under stdout is exit 1 with a message, not exit 0. */
static void test_output_that_cannot_be_written_fails(void **state)
{
    (void)state;
    struct stat sb;
    if (stat("/dev/full", &sb) != 0 || !S_ISCHR(sb.st_mode))
        skip();
    assert_int_equal(ts_shf("'%s' --help >/dev/full 2>/dev/null", RL_BIN), 1);
    assert_int_equal(
        ts_shf("'%s' --help 2>&1 >/dev/full | grep -q 'writing the output failed'", RL_BIN), 0);
    assert_int_equal(ts_shf("'%s' user --help >/dev/full 2>/dev/null", RL_BIN), 1);
    assert_int_equal(ts_shf("'%s' --help >/dev/null", RL_BIN), 0);
}

static void test_contradictory_flags(void **state)
{
    (void)state;
    assert_int_equal(
        ts_shf("'%s' user set --db '%s/u.db' --name a --enable --disable 2>/dev/null", RL_BIN, dir),
        2);
    assert_false(exists("u.db"));
}

/* dispatch and user set/list read a county: a mistyped --db is refused and
** no empty database is created there. */
static void test_missing_database_is_not_created(void **state)
{
    (void)state;
    assert_int_equal(
        ts_shf("'%s' dispatch --db '%s/typo.db' --date 2026-11-30 --depot 1 2>/dev/null", RL_BIN,
               dir),
        1);
    assert_false(exists("typo.db"));
    assert_int_equal(ts_shf("'%s' user list --db '%s/typo2.db' 2>/dev/null", RL_BIN, dir), 1);
    assert_false(exists("typo2.db"));
    assert_int_equal(
        ts_shf("'%s' user set --db '%s/typo3.db' --name a --disable 2>/dev/null", RL_BIN, dir), 1);
    assert_false(exists("typo3.db"));
}

/* serve refuses a bad listen address, MQTT address or TLS file before it
** opens (creates, migrates, seeds) the database. */
static void test_serve_checks_before_the_database(void **state)
{
    (void)state;
    assert_int_equal(
        ts_shf("'%s' serve --db '%s/s.db' --listen 127.0.0.1 2>/dev/null", RL_BIN, dir), 2);
    assert_int_equal(
        ts_shf("'%s' serve --db '%s/s.db' --listen 127.0.0.1:0 --mqtt 127.0.0.1:99999 2>/dev/null",
               RL_BIN, dir),
        2);
    assert_int_equal(ts_shf("echo garbage > '%s/bad.pem'", dir), 0);
    assert_int_equal(ts_shf("'%s' serve --db '%s/s.db' --listen 127.0.0.1:0 --demo"
                            " --tls-cert '%s/bad.pem' --tls-key '%s/bad.pem' 2>/dev/null",
                            RL_BIN, dir, dir, dir),
                     2);
    assert_int_equal(ts_shf("'%s' serve --db '%s/s.db' --listen 127.0.0.1:0 --demo"
                            " --tls-cert '%s/none.pem' --tls-key '%s/none.pem' 2>/dev/null",
                            RL_BIN, dir, dir, dir),
                     2);
    assert_false(exists("s.db"));
}

/* A database error names the file once. */
static void test_database_error_names_the_file_once(void **state)
{
    (void)state;
    assert_int_equal(ts_shf("echo 'just text' > '%s/g.db'", dir), 0);
    assert_int_equal(ts_shf("'%s' migrate --db '%s/g.db' 2>'%s/err.txt'", RL_BIN, dir, dir), 1);
    assert_int_equal(ts_shf("test \"$(grep -o 'g.db' '%s/err.txt' | wc -l)\" -eq 1", dir), 0);
}
/* A backup of a database the server is using: a copy the CLI can read, with
** the demo's accounts, and a second backup never overwrites the first. */
static void test_backup_while_serving(void **state)
{
    (void)state;
    struct ts_server srv;
    struct ts_opts o = {.demo = true};
    assert_int_equal(ts_start(&srv, &o), 0);
    assert_int_equal(ts_shf("'%s' backup --db '%s' --out '%s/copy.db' >'%s/backup.json'", RL_BIN,
                            srv.db, dir, dir),
                     0);
    assert_int_equal(ts_shf("grep -q '\"integrity\":\"ok\"' '%s/backup.json'", dir), 0);
    assert_int_equal(
        ts_shf("'%s' backup --db '%s' --out '%s/copy.db' 2>'%s/err.txt'", RL_BIN, srv.db, dir, dir),
        1);
    assert_int_equal(ts_shf("grep -q 'already exists' '%s/err.txt'", dir), 0);
    assert_int_equal(ts_stop(&srv), 0);
    assert_int_equal(
        ts_shf("'%s' user list --db '%s/copy.db' | grep -q '\"operator\"'", RL_BIN, dir), 0);
    assert_false(exists("copy.db.partial"));
}

/* backup's usage: --out required, --keep only into a directory; a missing
** database is not created. */
static void test_backup_usage(void **state)
{
    (void)state;
    assert_int_equal(ts_shf("'%s' backup --db '%s/none.db' 2>/dev/null", RL_BIN, dir), 2);
    assert_int_equal(ts_shf("'%s' backup --db '%s/none.db' --out '%s/c.db' --keep 3 2>/dev/null",
                            RL_BIN, dir, dir),
                     2);
    assert_int_equal(
        ts_shf("'%s' backup --db '%s/none.db' --out '%s' --keep 0 2>/dev/null", RL_BIN, dir, dir),
        2);
    assert_int_equal(
        ts_shf("'%s' backup --db '%s/none.db' --out '%s/c.db' 2>/dev/null", RL_BIN, dir, dir), 1);
    assert_false(exists("none.db"));
    assert_false(exists("c.db"));
    assert_int_equal(ts_shf("'%s' backup --help | grep -q 'To restore'", RL_BIN), 0);
}
#endif

int main(void)
{
#ifdef RL_BIN
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_that_cannot_be_written_fails),
        cmocka_unit_test(test_contradictory_flags),
        cmocka_unit_test(test_missing_database_is_not_created),
        cmocka_unit_test(test_serve_checks_before_the_database),
        cmocka_unit_test(test_database_error_names_the_file_once),
        cmocka_unit_test(test_backup_while_serving),
        cmocka_unit_test(test_backup_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
#else
    return 77;
#endif
}
