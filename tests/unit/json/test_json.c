/* tests/unit/json/test_json.c - json/jsonio: strict parse, strict unpack, dump (S3).
 *
 * Bodies are handed to jsonio_parse in heap buffers of exactly their length (no NUL after
 * them) so that ASan catches any read past n. Error texts are checked for what they must
 * not carry: the values of the body (an ID number stands in for personal data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "json/jsonio.h"

#define SECRET "110102199003071234"

/* parse copies n bytes into an exact-size heap block and parses that. */
static int
parse(const char *p, size_t n, json_t **out, char *err, size_t cap)
{
    char *copy = xmalloc(n);
    if (n)
        memcpy(copy, p, n);
    int rc = jsonio_parse(copy, n, out, err, cap);
    xfree(copy);
    return rc;
}

static int
parse_s(const char *s, json_t **out, char *err, size_t cap)
{
    return parse(s, strlen(s), out, err, cap);
}

static int
unpack(json_t *root, char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = jsonio_vunpack(root, err, cap, fmt, ap);
    va_end(ap);
    return rc;
}

static int
setup(void **state)
{
    (void)state;
    jsonio_init();
    return 0;
}

static void
test_parse_objects(void **state)
{
    (void)state;
    static const char *good[] = {
        "{}",
        " {} ",
        "\n\t{ }\r\n",
        "{\"a\":1}",
        "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"d\":\"x\",\"e\":true,\"f\":1.5}",
        "{\"name\":\"\xe4\xb8\xad\xe6\x96\x87\",\"emoji\":\"\xf0\x9f\x98\x80\"}",
        "{\"esc\":\"\\u4e2d\\ud83d\\ude00\\n\\\"\"}",
        "{\"big\":9223372036854775807,\"small\":-9223372036854775808}",
        "{\"a\":[],\"b\":{}}",
        "{\"\":0}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        json_t *v = NULL;
        char err[128] = "";
        int rc = parse_s(good[i], &v, err, sizeof err);
        if (rc)
            fail_msg("good[%zu] rejected: %s", i, err);
        assert_true(json_is_object(v));
        json_decref(v);
    }
    json_t *v = NULL;
    char err[128];
    assert_int_equal(parse_s("{\"a\":{\"b\":[1,2]},\"c\":\"\xe4\xb8\xad\"}", &v, err, sizeof err), 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(json_object_get(v, "a"), "b"), 1)), 2);
    assert_string_equal(json_string_value(json_object_get(v, "c")), "\xe4\xb8\xad");
    json_decref(v);
    v = NULL;
    assert_int_equal(parse_s("{\"esc\":\"\\u4e2d\\ud83d\\ude00\"}", &v, err, sizeof err), 0);
    assert_string_equal(jsonio_str(v, "esc"), "\xe4\xb8\xad\xf0\x9f\x98\x80");
    json_decref(v);
}

static void
test_parse_empty_body(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[64] = "";
    assert_int_equal(jsonio_parse(NULL, 0, &v, err, sizeof err), 0);
    assert_true(json_is_object(v));
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
    v = NULL;
    assert_int_equal(parse("", 0, &v, err, sizeof err), 0);
    assert_true(json_is_object(v));
    json_decref(v);
    /* white space alone is not an empty body */
    v = NULL;
    assert_int_equal(parse_s("  ", &v, err, sizeof err), ERR_BAD_JSON);
    assert_null(v);
}

static void
test_parse_duplicates(void **state)
{
    (void)state;
    static const char *dups[] = {
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"a\":1}",
        "{\"a\":1,\"b\":2,\"a\":null}",
        "{\"x\":{\"a\":1,\"a\":2}}",
        "{\"x\":[{\"k\":1,\"k\":2}]}",
        "{\"a\":1,\"\\u0061\":2}",   /* the same key, escaped */
        "{\"" SECRET "\":1,\"" SECRET "\":2}",
    };
    for (size_t i = 0; i < sizeof dups / sizeof dups[0]; i++) {
        json_t *v = NULL;
        char err[256] = "";
        int rc = parse_s(dups[i], &v, err, sizeof err);
        if (rc != ERR_BAD_JSON)
            fail_msg("dups[%zu] gave %d", i, rc);
        assert_null(v);
        if (!strstr(err, "duplicate"))
            fail_msg("dups[%zu]: message \"%s\" does not say duplicate", i, err);
        assert_null(strstr(err, SECRET));
    }
}

static void
test_parse_not_object(void **state)
{
    (void)state;
    static const char *tops[] = { "[]", "[1,2]", "1", "-1.5", "\"str\"", "null", "true", "false",
                                  "\"" SECRET "\"" };
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++) {
        json_t *v = NULL;
        char err[128] = "";
        if (parse_s(tops[i], &v, err, sizeof err) != ERR_BAD_JSON)
            fail_msg("top level %s accepted", tops[i]);
        assert_null(v);
        assert_true(strlen(err) > 0);
        assert_null(strstr(err, SECRET));
    }
    /* a container that is not an object gets the specific message */
    json_t *v = NULL;
    char err[128] = "";
    assert_int_equal(parse_s("[{\"a\":1}]", &v, err, sizeof err), ERR_BAD_JSON);
    assert_string_equal(err, "the body must be a JSON object");
}

static void
test_parse_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{",
        "}",
        "{\"a\":}",
        "{\"a\"}",
        "{\"a\":1,}",
        "{,}",
        "{'a':1}",
        "{a:1}",
        "{\"a\":1}x",
        "{}{}",
        "{} []",
        "{\"a\":01}",
        "{\"a\":+1}",
        "{\"a\":.5}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":1e400}",                    /* real overflow */
        "{\"a\":99999999999999999999}",     /* integer overflow */
        "{\"a\":\"unterminated}",
        "{\"a\":\"tab\there\"}",            /* raw control character */
        "{\"a\":\"new\nline\"}",
        "{\"a\":\"\\x41\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\ud800\"}",              /* lone surrogate */
        "{\"a\":\"\\udc00\\ud800\"}",
        "{\"a\":\"\\u0000\"}",              /* NUL inside a string */
        "{\"a\":tru}",
        "{\"a\":null /* c */}",
        "\xef\xbb\xbf{}",                   /* a byte-order mark */
        "{\"" SECRET "\":\"" SECRET "}",
        "{\"x\":\"" SECRET "\" \"y\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = NULL;
        char err[256] = "";
        int rc = parse_s(bad[i], &v, err, sizeof err);
        if (rc != ERR_BAD_JSON)
            fail_msg("bad[%zu] %s gave %d", i, bad[i], rc);
        assert_null(v);
        assert_true(strlen(err) > 0);
        assert_null(strstr(err, SECRET));
        assert_null(strstr(err, "1101021990"));
    }
    /* NUL bytes in the raw body */
    json_t *v = NULL;
    char err[128];
    assert_int_equal(parse("{\"a\":1}\0", 8, &v, err, sizeof err), ERR_BAD_JSON);
    assert_int_equal(parse("{\"a\":\"x\0y\"}", 11, &v, err, sizeof err), ERR_BAD_JSON);
    assert_int_equal(parse("\0{}", 3, &v, err, sizeof err), ERR_BAD_JSON);
    /* n bounds the parse: a prefix of a good body is cut, not read on */
    assert_int_equal(parse("{\"a\":1}", 6, &v, err, sizeof err), ERR_BAD_JSON);
    assert_int_equal(parse("{\"a\":1}GARBAGE", 7, &v, err, sizeof err), 0);
    json_decref(v);
}

static void
test_parse_invalid_utf8(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"\xc3(\"}",
        "{\"a\":\"\xc0\xaf\"}",             /* overlong */
        "{\"a\":\"\xe0\x80\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}",         /* encoded surrogate */
        "{\"a\":\"\xf4\x90\x80\x80\"}",     /* above U+10FFFF */
        "{\"a\":\"\xe4\xb8\"}",             /* cut */
        "{\"\xff\":1}",                     /* in a key */
        "{\"a\":1,\xff}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = NULL;
        char err[128] = "";
        if (parse_s(bad[i], &v, err, sizeof err) != ERR_BAD_JSON)
            fail_msg("bad[%zu] accepted", i);
        assert_null(v);
    }
}

static void
test_parse_deep_nesting(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    json_t *v = NULL;
    char err[128];

    /* 100 000 open brackets: rejected without exhausting the stack */
    buf_adds(&b, "{\"a\":");
    for (int i = 0; i < 100000; i++)
        buf_addch(&b, '[');
    assert_int_equal(parse(b.data, b.len, &v, err, sizeof err), ERR_BAD_JSON);
    assert_null(v);
    /* and closed: still too deep */
    for (int i = 0; i < 100000; i++)
        buf_addch(&b, ']');
    buf_addch(&b, '}');
    assert_int_equal(parse(b.data, b.len, &v, err, sizeof err), ERR_BAD_JSON);
    assert_null(v);
    buf_reset(&b);
    for (int i = 0; i < 50000; i++)
        buf_adds(&b, "{\"a\":");
    assert_int_equal(parse(b.data, b.len, &v, err, sizeof err), ERR_BAD_JSON);

    /* moderate nesting is fine */
    buf_reset(&b);
    for (int i = 0; i < 200; i++)
        buf_adds(&b, "{\"a\":");
    buf_adds(&b, "1");
    for (int i = 0; i < 200; i++)
        buf_addch(&b, '}');
    assert_int_equal(parse(b.data, b.len, &v, err, sizeof err), 0);
    json_decref(v);
    buf_release(&b);
}

static void
test_parse_err_cap(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[16];
    memset(err, 'Z', sizeof err);
    assert_int_equal(parse_s("[1]", &v, err, 8), ERR_BAD_JSON);
    assert_int_equal(strlen(err), 7); /* truncated, NUL-terminated, nothing past cap */
    assert_int_equal(err[8], 'Z');
    memset(err, 'Z', sizeof err);
    assert_int_equal(parse_s("{\"a\":", &v, err, 8), ERR_BAD_JSON);
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'Z');
    memset(err, 'Z', sizeof err);
    assert_int_equal(parse_s("{\"a\":1,\"a\":2}", &v, err, 8), ERR_BAD_JSON);
    assert_int_equal(strlen(err), 7);
    assert_int_equal(err[8], 'Z');
}

static void
test_unpack_strict(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[256];
    const char *name = NULL;
    json_int_t age = 0;
    int flag = 0;

    assert_int_equal(parse_s("{\"name\":\"li\",\"age\":30}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s, s:I}", "name", &name, "age", &age), 0);
    assert_string_equal(name, "li");
    assert_int_equal(age, 30);
    /* a key the format does not name is rejected, and the message names it */
    assert_int_equal(unpack(v, err, sizeof err, "{s:s}", "name", &name), ERR_INVALID);
    assert_non_null(strstr(err, "age"));
    /* optional keys */
    assert_int_equal(unpack(v, err, sizeof err, "{s:s, s?I, s?b}", "name", &name, "age", &age,
                            "admin", &flag), 0);
    json_decref(v);

    /* an extra key in the body */
    assert_int_equal(parse_s("{\"name\":\"li\",\"age\":30,\"role\":\"sysadmin\"}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s, s?I}", "name", &name, "age", &age), ERR_INVALID);
    assert_non_null(strstr(err, "role"));
    json_decref(v);

    /* a missing required key */
    assert_int_equal(parse_s("{\"name\":\"li\"}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s, s:I}", "name", &name, "age", &age), ERR_INVALID);
    assert_non_null(strstr(err, "age"));
    json_decref(v);

    /* strictness reaches nested objects and arrays */
    json_int_t x = 0, y = 0;
    assert_int_equal(parse_s("{\"p\":{\"x\":1,\"y\":2,\"z\":3}}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:{s:I, s:I}}", "p", "x", &x, "y", &y), ERR_INVALID);
    json_decref(v);
    assert_int_equal(parse_s("{\"p\":[1,2,3]}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:[II]}", "p", &x, &y), ERR_INVALID);
    assert_int_equal(unpack(v, err, sizeof err, "{s:[III]}", "p", &x, &y, &age), 0);
    assert_int_equal(age, 3);
    json_decref(v);
}

static void
test_unpack_types(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[256];
    const char *s = NULL;
    json_int_t i = 0;
    int b = 0;
    double d = 0;

    assert_int_equal(parse_s("{\"id\":\"" SECRET "\"}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:I}", "id", &i), ERR_INVALID);
    assert_null(strstr(err, SECRET)); /* the value is never echoed */
    assert_true(strlen(err) > 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:b}", "id", &b), ERR_INVALID);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s}", "id", &s), 0);
    assert_string_equal(s, SECRET);
    json_decref(v);

    assert_int_equal(parse_s("{\"n\":110102199003071234}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s}", "n", &s), ERR_INVALID);
    assert_null(strstr(err, SECRET));
    assert_int_equal(unpack(v, err, sizeof err, "{s:b}", "n", &b), ERR_INVALID);
    assert_int_equal(unpack(v, err, sizeof err, "{s:f}", "n", &d), ERR_INVALID); /* f is real only */
    assert_int_equal(unpack(v, err, sizeof err, "{s:F}", "n", &d), 0);
    json_decref(v);

    assert_int_equal(parse_s("{\"b\":null}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, err, sizeof err, "{s:b}", "b", &b), ERR_INVALID);
    assert_int_equal(unpack(v, err, sizeof err, "{s:s}", "b", &s), ERR_INVALID);
    json_decref(v);

    /* the message is truncated to cap */
    char small[6];
    memset(small, 'Z', sizeof small);
    assert_int_equal(parse_s("{\"a\":1,\"b\":2}", &v, err, sizeof err), 0);
    assert_int_equal(unpack(v, small, 4, "{s:I}", "a", &i), ERR_INVALID);
    assert_int_equal(strlen(small), 3);
    assert_int_equal(small[4], 'Z');
    json_decref(v);
}

static void
test_dump(void **state)
{
    (void)state;
    size_t len = 0;
    json_t *v = json_pack("{s:i, s:s, s:[i,b,n], s:{}}", "b", 1, "a", "\xe4\xb8\xad\"\n", "c", 2, 1,
                          "d");
    char *s = jsonio_dump(v, &len);
    assert_string_equal(s, "{\"b\":1,\"a\":\"\xe4\xb8\xad\\\"\\n\",\"c\":[2,true,null],\"d\":{}}");
    assert_int_equal(len, strlen(s));
    /* round trip */
    json_t *back = NULL;
    char err[128];
    assert_int_equal(parse(s, len, &back, err, sizeof err), 0);
    assert_true(json_equal(v, back));
    json_decref(back);
    xfree(s);
    json_decref(v);

    v = json_object();
    s = jsonio_dump(v, &len);
    assert_string_equal(s, "{}");
    assert_int_equal(len, 2);
    xfree(s);
    json_decref(v);

    v = json_array();
    s = jsonio_dump(v, &len);
    assert_string_equal(s, "[]");
    xfree(s);
    json_decref(v);

    /* many keys */
    v = json_object();
    for (int i = 0; i < 5000; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        json_object_set_new(v, k, json_integer(i));
    }
    s = jsonio_dump(v, &len);
    assert_int_equal(len, strlen(s));
    assert_int_equal(parse(s, len, &back, err, sizeof err), 0);
    assert_true(json_equal(v, back));
    json_decref(back);
    xfree(s);
    json_decref(v);
}

/* The header promises to serialise v: any JSON value, not only objects and arrays. */
static void
test_dump_scalars(void **state)
{
    (void)state;
    static const struct {
        const char *want;
    } rows[] = { { "5" }, { "\"x\"" }, { "true" }, { "null" }, { "1.5" } };
    json_t *vals[] = { json_integer(5), json_string("x"), json_true(), json_null(), json_real(1.5) };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        size_t len = 0;
        char *s = jsonio_dump(vals[i], &len);
        if (strcmp(s, rows[i].want) != 0)
            fail_msg("jsonio_dump gave %s, want %s", s, rows[i].want);
        assert_int_equal(len, strlen(rows[i].want));
        xfree(s);
        json_decref(vals[i]);
    }
}

static void
test_str_getter(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[64];
    assert_int_equal(parse_s("{\"s\":\"x\",\"n\":1,\"z\":null,\"e\":\"\"}", &v, err, sizeof err), 0);
    assert_string_equal(jsonio_str(v, "s"), "x");
    assert_string_equal(jsonio_str(v, "e"), "");
    assert_null(jsonio_str(v, "n"));
    assert_null(jsonio_str(v, "z"));
    assert_null(jsonio_str(v, "absent"));
    assert_null(jsonio_str(NULL, "s"));
    json_decref(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_objects),
        cmocka_unit_test(test_parse_empty_body),
        cmocka_unit_test(test_parse_duplicates),
        cmocka_unit_test(test_parse_not_object),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_parse_invalid_utf8),
        cmocka_unit_test(test_parse_deep_nesting),
        cmocka_unit_test(test_parse_err_cap),
        cmocka_unit_test(test_unpack_strict),
        cmocka_unit_test(test_unpack_types),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_dump_scalars),
        cmocka_unit_test(test_str_getter),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
