/* Unit tests for src/http/resp.c: RFC 9457 problem documents (fields,
** escaping, instance), the ERR_* to status table, the headers that go with
** 401 and 429, 500s that keep their message out of the body, and "first
** answer wins". No server needed: a struct http_resp with an arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

struct fx {
    struct arena a;
    struct http_resp w;
};

static void fx_init(struct fx *f, const char *instance)
{
    memset(f, 0, sizeof *f);
    arena_init(&f->a, 1024);
    f->w.arena = &f->a;
    f->w.instance = instance;
}

static void fx_release(struct fx *f)
{
    free(f->w.body);
    arena_release(&f->a);
}

static struct json_object *body_json(struct fx *f)
{
    struct json_object *o = NULL;
    struct err e;
    assert_int_equal(rjson_parse(f->w.body, f->w.body_len, &o, &e), 0);
    return o;
}

static const char *field(struct json_object *o, const char *k)
{
    struct json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static const char *header(struct fx *f, const char *name)
{
    for (struct http_hdr *h = f->w.headers; h; h = h->next)
        if (strcmp(h->name, name) == 0)
            return h->value;
    return NULL;
}

static void test_problem_shape(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "/api/v1/villages/9");
    http_resp_problem(&f.w, 404, NULL, "village %d has \"quotes\" and a \\ backslash", 9);
    assert_int_equal(f.w.status, 404);
    assert_string_equal(f.w.content_type, "application/problem+json");
    struct json_object *o = body_json(&f);
    assert_string_equal(field(o, "type"), "urn:ruralink:problem:not-found");
    assert_string_equal(field(o, "title"), "Not Found");
    assert_string_equal(field(o, "status"), "404");
    assert_string_equal(field(o, "detail"), "village 9 has \"quotes\" and a \\ backslash");
    assert_string_equal(field(o, "instance"), "/api/v1/villages/9");
    json_object_put(o);
    /* The first answer wins; a second call changes nothing. */
    http_resp_json(&f.w, 200, json_object_new_object());
    assert_int_equal(f.w.status, 404);
    fx_release(&f);
}

static void test_err_statuses(void **state)
{
    (void)state;
    static const struct {
        int code, status;
        const char *type;
    } table[] = {
        {ERR_INVAL, 400, "invalid"},
        {ERR_AUTH, 401, "unauthorized"},
        {ERR_PERM, 403, "forbidden"},
        {ERR_NOTFOUND, 404, "not-found"},
        {ERR_EXISTS, 409, "exists"},
        {ERR_CONFLICT, 409, "conflict"},
        {ERR_TOOBIG, 413, "too-big"},
        {ERR_UNSUPPORTED, 415, "unsupported"},
        {ERR_INFEASIBLE, 422, "infeasible"},
        {ERR_BADREF, 422, "bad-reference"},
        {ERR_BUSY, 429, "busy"},
        {ERR_TIMEOUT, 503, "timeout"},
        {ERR_DB, 500, "internal"},
        {ERR_IO, 500, "internal"},
        {ERR_INTERNAL, 500, "internal"},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(table); i++) {
        struct fx f;
        fx_init(&f, "/x");
        struct err e;
        err_set(&e, table[i].code, "secret detail %zu", i);
        http_resp_err(&f.w, &e);
        assert_int_equal(f.w.status, table[i].status);
        struct json_object *o = body_json(&f);
        const char *detail = field(o, "detail");
        char type[64];
        snprintf(type, sizeof type, "urn:ruralink:problem:%s", table[i].type);
        assert_string_equal(field(o, "type"), type);
        if (table[i].status == 500)
            assert_null(strstr(detail, "secret")); /* only in the log */
        else
            assert_non_null(strstr(detail, "secret detail"));
        assert_non_null(f.w.error);
        if (table[i].status == 401)
            assert_non_null(header(&f, "WWW-Authenticate"));
        if (table[i].status == 429)
            assert_non_null(header(&f, "Retry-After"));
        json_object_put(o);
        fx_release(&f);
    }
}

/* An answer made by status (http_resp_problem) has the type of the error
** code that answers with that status: one vocabulary for clients. */
static void test_problem_types_one_vocabulary(void **state)
{
    (void)state;
    static const struct {
        int status, code;
    } same[] = {
        {400, ERR_INVAL},       {401, ERR_AUTH},     {403, ERR_PERM},
        {404, ERR_NOTFOUND},    {409, ERR_CONFLICT}, {413, ERR_TOOBIG},
        {415, ERR_UNSUPPORTED}, {429, ERR_BUSY},     {500, ERR_INTERNAL},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(same); i++) {
        struct fx a, b;
        fx_init(&a, "/x");
        fx_init(&b, "/x");
        http_resp_problem(&a.w, same[i].status, NULL, "by status");
        struct err e;
        err_set(&e, same[i].code, "by code");
        http_resp_err(&b.w, &e);
        struct json_object *oa = body_json(&a), *ob = body_json(&b);
        assert_string_equal(field(oa, "type"), field(ob, "type"));
        json_object_put(oa);
        json_object_put(ob);
        fx_release(&a);
        fx_release(&b);
    }
    static const struct {
        int status;
        const char *type;
    } more[] = {
        {405, "urn:ruralink:problem:method-not-allowed"},
        {422, "urn:ruralink:problem:invalid"},
        {431, "urn:ruralink:problem:too-big"},
        {503, "urn:ruralink:problem:unavailable"},
    };
    for (size_t i = 0; i < RL_ARRAY_LEN(more); i++) {
        struct fx f;
        fx_init(&f, "/x");
        http_resp_problem(&f.w, more[i].status, NULL, "x");
        struct json_object *o = body_json(&f);
        assert_string_equal(field(o, "type"), more[i].type);
        json_object_put(o);
        fx_release(&f);
    }
}

static void test_json_and_bytes(void **state)
{
    (void)state;
    struct fx f;
    fx_init(&f, "/x");
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string("/a/b"));
    http_resp_json(&f.w, 201, o);
    assert_int_equal(f.w.status, 201);
    assert_string_equal(f.w.content_type, "application/json");
    assert_non_null(memmem(f.w.body, f.w.body_len, "\"/a/b\"", 6)); /* no \/ escapes */
    fx_release(&f);

    fx_init(&f, "/x");
    http_resp_bytes(&f.w, 200, "text/csv", "a,b\n", 4);
    http_resp_header(&f.w, "Content-Disposition", "attachment");
    assert_int_equal(f.w.body_len, 4);
    assert_memory_equal(f.w.body, "a,b\n", 4);
    assert_string_equal(f.w.content_type, "text/csv");
    assert_string_equal(header(&f, "Content-Disposition"), "attachment");
    fx_release(&f);
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(http__content_type("index.html"), "text/html; charset=utf-8");
    assert_string_equal(http__content_type("assets/app.JS"), "text/javascript; charset=utf-8");
    assert_string_equal(http__content_type("a/b.woff2"), "font/woff2");
    assert_string_equal(http__content_type("noext"), "application/octet-stream");
    assert_string_equal(http__content_type(".hidden"), "application/octet-stream");
    assert_string_equal(http__reason(413), "Content Too Large");
    assert_string_equal(http__reason(299), "Error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_problem_shape),
        cmocka_unit_test(test_err_statuses),
        cmocka_unit_test(test_problem_types_one_vocabulary),
        cmocka_unit_test(test_json_and_bytes),
        cmocka_unit_test(test_content_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
