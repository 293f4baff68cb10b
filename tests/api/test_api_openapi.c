/* ctest-labels: api */
/*
** docs/openapi.yaml documents every route the server serves: the test asks
** the binary for its route table (`ruralink serve --print-routes`, the same
** table the server routes with) and fails naming each METHOD + pattern that
** has no operation under `paths:`. It reads the YAML with a line scanner
** that knows the layout used there: a path key indented two spaces, its
** operations four.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef RL_BIN
#define RL_BIN "ruralink"
#endif

#define MAX_OPS 2000

struct ops {
    char *key[MAX_OPS]; /* "GET /api/v1/health" */
    int n;
};

static void add_op(struct ops *o, const char *method, const char *path)
{
    if (o->n == MAX_OPS)
        return;
    size_t len = strlen(method) + strlen(path) + 2;
    char *k = malloc(len);
    snprintf(k, len, "%s %s", method, path);
    for (char *p = k; *p && *p != ' '; p++)
        *p = (char)toupper((unsigned char)*p);
    o->key[o->n++] = k;
}

static bool has(const struct ops *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->key[i], key) == 0)
            return true;
    return false;
}

static void free_ops(struct ops *o)
{
    for (int i = 0; i < o->n; i++)
        free(o->key[i]);
    o->n = 0;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void read_spec(struct ops *o)
{
    FILE *f = fopen(RL_SOURCE_DIR "/docs/openapi.yaml", "r");
    assert_non_null(f);
    static const char *const methods[] = {"get",   "put",  "post",   "delete",
                                          "patch", "head", "options"};
    char line[1024], path[512] = "";
    bool in_paths = false;
    while (fgets(line, sizeof line, f)) {
        chomp(line);
        if (line[0] && line[0] != ' ' && line[0] != '#') {
            in_paths = strcmp(line, "paths:") == 0;
            continue;
        }
        if (!in_paths)
            continue;
        if (strncmp(line, "  ", 2) == 0 && line[2] != ' ') {
            /* "  /api/v1/x:" or "  '/api/v1/x':" */
            char *p = line + 2;
            size_t n = strlen(p);
            if (n && p[n - 1] == ':')
                p[--n] = '\0';
            if (n >= 2 && (p[0] == '\'' || p[0] == '"') && p[n - 1] == p[0]) {
                p[n - 1] = '\0';
                p++;
            }
            snprintf(path, sizeof path, "%s", p);
        } else if (strncmp(line, "    ", 4) == 0 && line[4] != ' ' && path[0]) {
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
                size_t ml = strlen(methods[i]);
                if (strncmp(line + 4, methods[i], ml) == 0 && line[4 + ml] == ':')
                    add_op(o, methods[i], path);
            }
        }
    }
    fclose(f);
}

static void test_every_route_documented(void **state)
{
    (void)state;
    struct ops spec = {.n = 0};
    read_spec(&spec);
    assert_true(spec.n > 0);

    FILE *p = popen(RL_BIN " serve --print-routes", "r");
    assert_non_null(p);
    char line[1024];
    int served = 0, missing = 0;
    while (fgets(line, sizeof line, p)) {
        chomp(line);
        if (!line[0])
            continue;
        served++;
        if (!has(&spec, line)) {
            fprintf(stderr, "not in docs/openapi.yaml: %s\n", line);
            missing++;
        }
    }
    int st = pclose(p);
    assert_int_equal(st, 0);
    assert_true(served >= 2); /* at least health and metrics */
    free_ops(&spec);
    assert_int_equal(missing, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
