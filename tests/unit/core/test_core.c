/* tests/unit/core/test_core.c - core/: buf, str, codec, json_escape, time, arena, alloc, err.
 *
 * Each test checks a contract as its header states it: known values (RFC 4648 vectors,
 * epoch seconds computed with date(1)), edges (caps, INT64 bounds, leap days, invalid
 * UTF-8) and round trips over pseudo-random data from a fixed seed. Not covered here:
 * core/idno (tests/unit/core/test_idno.c) and core/log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/json_escape.h"
#include "core/str.h"
#include "core/time.h"

/* A small xorshift generator so that every run sees the same "random" data. */
static uint64_t test_rng_state = 0x9e3779b97f4a7c15u;

static uint64_t
test_rand(void)
{
    uint64_t x = test_rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    test_rng_state = x;
    return x;
}

static void
test_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)test_rand();
}

/* ---- buf ---------------------------------------------------------------------------- */

static void
test_buf_init_state(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.len, 0);
    assert_false(buf_error(&b));
    assert_int_equal(b.cap, BUF_CAP_DEFAULT);
    buf_release(&b); /* releasing an INIT buffer is fine */
    assert_non_null(b.data);

    buf_init(&b, 0);
    assert_int_equal(b.cap, BUF_CAP_DEFAULT);
    buf_init(&b, 10);
    assert_int_equal(b.cap, 10);
    assert_string_equal(b.data, "");
    buf_release(&b);
    assert_int_equal(b.cap, 10); /* release keeps the cap */
}

static void
test_buf_append(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_add(&b, "ab", 2);
    buf_adds(&b, "cd");
    buf_addch(&b, 'e');
    buf_printf(&b, "-%d-%s", 42, "x");
    buf_add(&b, "", 0);
    assert_string_equal(b.data, "abcde-42-x");
    assert_int_equal(b.len, 10);
    assert_false(buf_error(&b));

    /* binary data with NUL bytes: len counts them, the terminator follows */
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_add(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);

    /* growth over many reallocations keeps contents and termination */
    buf_reset(&b);
    for (int i = 0; i < 20000; i++)
        buf_addch(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 20000);
    assert_true(b.alloc > b.len);
    assert_int_equal(b.data[20000], '\0');
    for (int i = 0; i < 20000; i++)
        assert_int_equal(b.data[i], 'a' + i % 26);

    /* a printf longer than any small internal buffer */
    char big[5000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    buf_reset(&b);
    buf_printf(&b, "<%s>", big);
    assert_int_equal(b.len, sizeof big + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[b.len - 1], '>');
    assert_int_equal(b.data[b.len], '\0');
    buf_release(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
}

static void
test_buf_cap_and_sticky_error(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    buf_adds(&b, "12345678"); /* exactly the cap */
    assert_false(buf_error(&b));
    assert_string_equal(b.data, "12345678");

    buf_addch(&b, '9'); /* one over: dropped, error set */
    assert_true(buf_error(&b));
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");

    /* sticky: nothing is appended any more, even after making room */
    b.len = 2;
    b.data[2] = '\0';
    buf_addch(&b, 'x');
    buf_printf(&b, "%s", "y");
    assert_true(buf_error(&b));
    assert_string_equal(b.data, "12");

    /* reset clears the error and the contents */
    buf_reset(&b);
    assert_false(buf_error(&b));
    buf_adds(&b, "ok");
    assert_string_equal(b.data, "ok");

    /* printf that would exceed the cap: error, contents untouched */
    buf_printf(&b, "%s", "1234567");
    assert_true(buf_error(&b));
    assert_string_equal(b.data, "ok");
    assert_int_equal(b.len, 2);

    /* a single append larger than the cap from empty */
    buf_reset(&b);
    buf_adds(&b, "123456789");
    assert_true(buf_error(&b));
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");

    /* size arithmetic overflow is an error, not a wrap */
    buf_release(&b);
    assert_false(buf_error(&b));
    buf_init(&b, SIZE_MAX);
    buf_adds(&b, "abc");
    buf_add(&b, "x", SIZE_MAX); /* never read: must fail before copying */
    assert_true(buf_error(&b));
    assert_string_equal(b.data, "abc");
    buf_release(&b);
    buf_init(&b, 0);
    buf_add(&b, "x", SIZE_MAX - 1); /* within size_t, far over the default cap */
    assert_true(buf_error(&b));
    assert_int_equal(b.len, 0);
    buf_release(&b);

    /* buf_grow past the cap also sets the error */
    buf_init(&b, 4);
    buf_grow(&b, 5);
    assert_true(buf_error(&b));
    buf_release(&b);
    buf_init(&b, 4);
    buf_grow(&b, 4);
    assert_false(buf_error(&b));
    buf_release(&b);
}

static void
test_buf_detach(void **state)
{
    (void)state;
    struct buf b;
    size_t len = 99;
    buf_init(&b, 100);
    char *s = buf_detach(&b, &len); /* from INIT: a fresh "" */
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    xfree(s);

    buf_adds(&b, "hello");
    s = buf_detach(&b, &len);
    assert_string_equal(s, "hello");
    assert_int_equal(len, 5);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, 100);
    buf_adds(&b, "again"); /* the buffer is usable after detaching */
    assert_string_equal(b.data, "again");
    assert_true(s != b.data);
    xfree(s);
    s = buf_detach(&b, NULL);
    assert_string_equal(s, "again");
    xfree(s);

    buf_adds(&b, "secret");
    buf_release_secret(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    struct buf e = BUF_INIT;
    buf_release_secret(&e);
}

/* ---- str ---------------------------------------------------------------------------- */

static void
test_str_basics(void **state)
{
    (void)state;
    struct str a = STR_LIT("abc"), e = str_of(NULL);
    assert_int_equal(a.n, 3);
    assert_int_equal(e.n, 0);
    assert_true(str_eq(a, str_of("abc")));
    assert_false(str_eq(a, str_of("abd")));
    assert_false(str_eq(a, str_of("ab")));
    assert_true(str_eq(e, str_of("")));
    assert_true(str_eq((struct str){ NULL, 0 }, (struct str){ "x", 0 }));
    assert_true(str_eq_cstr(a, "abc"));
    assert_false(str_eq_cstr(a, "abcd"));
    assert_true(str_eq_cstr((struct str){ "abcdef", 3 }, "abc"));
    assert_true(str_has_prefix(a, "ab"));
    assert_true(str_has_prefix(a, ""));
    assert_true(str_has_prefix(a, "abc"));
    assert_false(str_has_prefix(a, "abcd"));
    assert_false(str_has_prefix((struct str){ "abcdef", 2 }, "abc")); /* not past n */

    struct str t = str_trim(str_of(" \t\r\n\v\fx y \n"));
    assert_true(str_eq_cstr(t, "x y"));
    t = str_trim(str_of("   "));
    assert_int_equal(t.n, 0);
    t = str_trim(str_of(""));
    assert_int_equal(t.n, 0);
    t = str_trim((struct str){ "  ab  cd", 5 }); /* only the first n bytes count */
    assert_true(str_eq_cstr(t, "ab"));
}

struct i64_case {
    const char *in;
    int64_t min, max;
    int rc;
    int64_t want;
};

static void
test_str_to_i64(void **state)
{
    (void)state;
    static const struct i64_case cases[] = {
        { "0", INT64_MIN, INT64_MAX, 0, 0 },
        { "-0", INT64_MIN, INT64_MAX, 0, 0 },
        { "42", INT64_MIN, INT64_MAX, 0, 42 },
        { "-42", INT64_MIN, INT64_MAX, 0, -42 },
        { "007", INT64_MIN, INT64_MAX, 0, 7 },
        { "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
        { "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
        { "9223372036854775808", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },   /* MAX + 1 */
        { "-9223372036854775809", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },  /* MIN - 1 */
        { "9223372036854775810", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "18446744073709551615", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },  /* UINT64_MAX */
        { "18446744073709551616", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "99999999999999999999", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "-", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "--1", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "+1", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { " 1", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1 ", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1\n", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1a", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "0x10", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1e3", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1.0", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "1,000", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },
        { "\xd9\xa1", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },              /* Arabic-Indic one */
        { "\xef\xbc\x91", INT64_MIN, INT64_MAX, ERR_INVALID, 0 },          /* fullwidth one */
        /* range */
        { "1", 1, 100, 0, 1 },
        { "100", 1, 100, 0, 100 },
        { "0", 1, 100, ERR_INVALID, 0 },
        { "101", 1, 100, ERR_INVALID, 0 },
        { "-1", 0, INT64_MAX, ERR_INVALID, 0 },
        { "-5", -5, -5, 0, -5 },
        { "9223372036854775807", INT64_MIN, INT64_MAX - 1, ERR_INVALID, 0 },
        { "-9223372036854775808", INT64_MIN + 1, INT64_MAX, ERR_INVALID, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 12345;
        int rc = str_to_i64(str_of(cases[i].in), &v, cases[i].min, cases[i].max);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].want))
            fail_msg("str_to_i64(\"%s\") = %d, %lld; want %d, %lld", cases[i].in, rc, (long long)v,
                     cases[i].rc, (long long)cases[i].want);
        int64_t w = 12345;
        assert_int_equal(cstr_to_i64(cases[i].in, &w, cases[i].min, cases[i].max), cases[i].rc);
        if (rc)
            assert_int_equal(v, 12345); /* out untouched on failure */
    }
    int64_t v = 0;
    assert_int_equal(cstr_to_i64(NULL, &v, INT64_MIN, INT64_MAX), ERR_INVALID);
    /* never reads past n */
    assert_int_equal(str_to_i64((struct str){ "12345", 3 }, &v, INT64_MIN, INT64_MAX), 0);
    assert_int_equal(v, 123);
    assert_int_equal(str_to_i64((struct str){ "-9x", 2 }, &v, INT64_MIN, INT64_MAX), 0);
    assert_int_equal(v, -9);
    assert_int_equal(str_to_i64((struct str){ "7", 0 }, &v, INT64_MIN, INT64_MAX), ERR_INVALID);
    /* every value printed by printf parses back */
    for (int i = 0; i < 2000; i++) {
        char s[32];
        int64_t x = (int64_t)test_rand() >> (test_rand() % 64), y = 0;
        snprintf(s, sizeof s, "%lld", (long long)x);
        assert_int_equal(cstr_to_i64(s, &y, INT64_MIN, INT64_MAX), 0);
        assert_int_equal(x, y);
    }
}

static void
test_str_copy(void **state)
{
    (void)state;
    char d[6];
    memset(d, 'z', sizeof d);
    str_copy(d, sizeof d, "abc");
    assert_string_equal(d, "abc");
    str_copy(d, sizeof d, "abcdefgh");
    assert_string_equal(d, "abcde");
    str_copy(d, 1, "abc");
    assert_string_equal(d, "");
    str_copy(d, sizeof d, "");
    assert_string_equal(d, "");
}

/* str_strip_notes: header-cell notes at either end and trailing colons, repeatedly. */
static void
test_str_strip_notes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "姓名(必填):", "姓名" }, { "[备注]电话", "电话" }, { "(a)[b]x(c):[d]", "x" }, { "id:::", "id" },
        { "a(b", "a(b" }, { "(ab", "(ab" }, { "a)b", "a)b" }, { "()", "" }, { "", "" }, { "x(y)z", "x(y)z" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[64];
        size_t n = strlen(cases[i].in);
        memcpy(b, cases[i].in, n);
        n = str_strip_notes(b, n);
        b[n] = '\0';
        assert_string_equal(b, cases[i].out);
    }
}

static void
test_str_is_utf8(void **state)
{
    (void)state;
    static const char *good[] = {
        "", "plain ascii", "caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80",
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80",
        "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "\x7f",
    };
    static const char *bad[] = {
        "\x80", "\xbf", "\xc3", "\xc3(", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
        "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xfe", "\xff",
        "\xe4\xb8", "\xf0\x9f\x98", "ok\xe4\xb8\xadok\xff",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!str_is_utf8(good[i], strlen(good[i])))
            fail_msg("good[%zu] rejected", i);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (str_is_utf8(bad[i], strlen(bad[i])))
            fail_msg("bad[%zu] accepted", i);
    assert_false(str_is_utf8("a\0b", 3));                  /* NUL bytes are refused */
    assert_true(str_is_utf8("\xe4\xb8\xad\xff", 3));      /* n bounds the scan */
    assert_false(str_is_utf8("\xe4\xb8\xad", 2));          /* a sequence cut by n */
}

static void
test_str_has_ctl(void **state)
{
    (void)state;
    assert_false(str_has_ctl("hello world", 11));
    assert_false(str_has_ctl("\xe4\xb8\xad", 3));
    assert_false(str_has_ctl("", 0));
    assert_true(str_has_ctl("a\rb", 3));
    assert_true(str_has_ctl("a\nb", 3));
    assert_true(str_has_ctl("a\tb", 3));
    assert_true(str_has_ctl("a\x7f", 2));
    assert_true(str_has_ctl("a\0b", 3));
    assert_true(str_has_ctl("\x1f", 1));
    assert_false(str_has_ctl("ab\n", 2));
}

/* ---- codec -------------------------------------------------------------------------- */

static void
test_hex(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    uint8_t out[8];
    size_t n = 99;
    hex_encode(&b, "\x00\xff\x10\xab", 4);
    assert_string_equal(b.data, "00ff10ab");
    buf_reset(&b);
    hex_encode(&b, "", 0);
    assert_string_equal(b.data, "");
    char fixed[9];
    hex_to_str("\x00\xff\x10\xab", 4, fixed);
    assert_string_equal(fixed, "00ff10ab");
    hex_to_str("", 0, fixed);
    assert_string_equal(fixed, "");
    assert_int_equal(hex_value('0'), 0);
    assert_int_equal(hex_value('9'), 9);
    assert_int_equal(hex_value('a'), 10);
    assert_int_equal(hex_value('F'), 15);
    assert_int_equal(hex_value('g'), -1);
    assert_int_equal(hex_value('\0'), -1);

    assert_int_equal(hex_decode("00ff10AB", 8, out, sizeof out, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\x00\xff\x10\xab", 4);
    assert_int_equal(hex_decode("", 0, out, sizeof out, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(hex_decode("abc", 3, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("0g", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("g0", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("0 ", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("0\0", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("-1", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("0x", 2, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(hex_decode("0011223344556677", 16, out, 8, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(hex_decode("001122334455667788", 18, out, 8, &n), ERR_TOO_LARGE);
    assert_int_equal(hex_decode("00", 2, out, 0, &n), ERR_TOO_LARGE);

    /* round trip */
    for (size_t len = 0; len < 40; len++) {
        uint8_t in[40], dec[40];
        test_fill(in, len);
        buf_reset(&b);
        hex_encode(&b, in, len);
        assert_int_equal(b.len, 2 * len);
        assert_int_equal(hex_decode(b.data, b.len, dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(in, dec, len);
    }
    buf_release(&b);
}

struct vec {
    const char *raw, *enc;
};

static void
test_b64url(void **state)
{
    (void)state;
    /* RFC 4648 section 10 (padding removed, as the encoder writes none) */
    static const struct vec vecs[] = {
        { "", "" },         { "f", "Zg" },         { "fo", "Zm8" },          { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
    };
    struct buf b = BUF_INIT;
    uint8_t out[64];
    size_t n;
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        buf_reset(&b);
        b64url_encode(&b, vecs[i].raw, strlen(vecs[i].raw));
        assert_string_equal(b.data, vecs[i].enc);
        n = 99;
        assert_int_equal(b64url_decode(vecs[i].enc, strlen(vecs[i].enc), out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(vecs[i].raw));
        assert_memory_equal(out, vecs[i].raw, n);
    }
    /* the URL-safe alphabet on output */
    buf_reset(&b);
    b64url_encode(&b, "\xfb\xff\xbf", 3);
    assert_string_equal(b.data, "-_-_");
    buf_reset(&b);
    b64url_encode(&b, "\xfb\xff", 2);
    assert_string_equal(b.data, "-_8");
    /* decoding accepts padding and the standard alphabet too */
    assert_int_equal(b64url_decode("Zg==", 4, out, sizeof out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 'f');
    assert_int_equal(b64url_decode("Zm8=", 4, out, sizeof out, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(b64url_decode("+/+/", 4, out, sizeof out, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\xfb\xff\xbf", 3);
    /* invalid */
    assert_int_equal(b64url_decode("Z", 1, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zm9vY", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zm9v*", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zm 9v", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zg=a", 4, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Z=g=", 4, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zm\0v", 4, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(b64url_decode("Zm9v\xc3\xa9", 6, out, sizeof out, &n), ERR_INVALID);
    /* cap */
    assert_int_equal(b64url_decode("Zm9vYmFy", 8, out, 6, &n), 0);
    assert_int_equal(n, 6);
    assert_int_equal(b64url_decode("Zm9vYmFy", 8, out, 5, &n), ERR_TOO_LARGE);
    assert_int_equal(b64url_decode("Zg", 2, out, 0, &n), ERR_TOO_LARGE);

    /* round trip, every length up to 64 */
    for (size_t len = 0; len <= 64; len++) {
        uint8_t in[64], dec[64];
        test_fill(in, len);
        buf_reset(&b);
        b64url_encode(&b, in, len);
        assert_int_equal(b.len, (len * 4 + 2) / 3);
        assert_int_equal(strspn(b.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_"),
                         b.len);
        assert_int_equal(b64url_decode(b.data, b.len, dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(in, dec, len);
    }
    buf_release(&b);
}

static void
test_base32(void **state)
{
    (void)state;
    /* RFC 4648 section 10 (padding removed) */
    static const struct vec vecs[] = {
        { "", "" },          { "f", "MY" },          { "fo", "MZXQ" },          { "foo", "MZXW6" },
        { "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
    };
    struct buf b = BUF_INIT;
    uint8_t out[64];
    size_t n;
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
        buf_reset(&b);
        base32_encode(&b, vecs[i].raw, strlen(vecs[i].raw));
        assert_string_equal(b.data, vecs[i].enc);
        n = 99;
        assert_int_equal(base32_decode(vecs[i].enc, strlen(vecs[i].enc), out, sizeof out, &n), 0);
        assert_int_equal(n, strlen(vecs[i].raw));
        assert_memory_equal(out, vecs[i].raw, n);
    }
    /* lower case, '=' padding, spaces and '-' as authenticator apps show them */
    static const char *alt[] = { "MZXW6YTBOI======", "mzxw6ytboi", "MZXW 6YTB OI", "mzxw-6ytb-oi",
                                 "MzXw6YtBoI==" };
    for (size_t i = 0; i < sizeof alt / sizeof alt[0]; i++) {
        assert_int_equal(base32_decode(alt[i], strlen(alt[i]), out, sizeof out, &n), 0);
        assert_int_equal(n, 6);
        assert_memory_equal(out, "foobar", 6);
    }
    assert_int_equal(base32_decode("MZXW0", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZXW1", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZXW8", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZXW_", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZ\tXW", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZ\0XW", 5, out, sizeof out, &n), ERR_INVALID);
    assert_int_equal(base32_decode("MZXW6YTBOI", 10, out, 5, &n), ERR_TOO_LARGE);
    assert_int_equal(base32_decode("MZXW6YTBOI", 10, out, 6, &n), 0);

    for (size_t len = 0; len <= 40; len++) {
        uint8_t in[40], dec[40];
        test_fill(in, len);
        buf_reset(&b);
        base32_encode(&b, in, len);
        assert_int_equal(b.len, (len * 8 + 4) / 5);
        assert_int_equal(strspn(b.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), b.len);
        assert_int_equal(base32_decode(b.data, b.len, dec, sizeof dec, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(in, dec, len);
    }
    buf_release(&b);
}

/* ---- json_escape -------------------------------------------------------------------- */

static void
escape_is(const char *in, const char *want)
{
    struct buf b = BUF_INIT;
    json_escape(&b, in);
    if (strcmp(b.data, want) != 0)
        fail_msg("json_escape gave %s, want %s", b.data, want);
    buf_release(&b);
}

/* escape_check: the output is one JSON string that jansson reads back. */
static void
escape_check(const char *in, const char *want_decoded)
{
    struct buf b = BUF_INIT;
    json_error_t je;
    json_escape(&b, in);
    assert_true(str_is_utf8(b.data, b.len));
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &je);
    if (!v)
        fail_msg("not valid JSON: %s (%s)", b.data, je.text);
    assert_true(json_is_string(v));
    if (want_decoded)
        assert_string_equal(json_string_value(v), want_decoded);
    json_decref(v);
    buf_release(&b);
}

static void
test_json_escape(void **state)
{
    (void)state;
    escape_is("", "\"\"");
    escape_is("abc", "\"abc\"");
    escape_is("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
    escape_is("\n", "\"\\u000a\"");
    escape_is("a\r\tb\x01\x1f", "\"a\\u000d\\u0009b\\u0001\\u001f\"");
    escape_is("caf\xc3\xa9", "\"caf\xc3\xa9\"");                     /* 2-byte kept */
    escape_is("\xe4\xb8\xad", "\"\xe4\xb8\xad\"");                   /* 3-byte kept */
    escape_is("\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\"");         /* 4-byte kept */
    escape_is("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");           /* U+10FFFF kept */
    escape_is("\xff", "\"\\ufffd\"");
    escape_is("a\x80z", "\"a\\ufffdz\"");                            /* stray continuation */
    escape_is("\xc3(", "\"\\ufffd(\"");                               /* bad continuation */
    escape_is("\xc0\xaf", "\"\\ufffd\\ufffd\"");                      /* overlong '/' */
    escape_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");           /* surrogate */
    escape_is("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    escape_is("x\xe4\xb8", "\"x\\ufffd\\ufffd\"");                    /* cut at the end */
    escape_is("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
    escape_is("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");

    escape_check("line\nbreak \"quoted\" back\\slash", "line\nbreak \"quoted\" back\\slash");
    escape_check("\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80");
    escape_check("\x7f", "\x7f");
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    escape_check(all, NULL);

    /* random byte strings always come out as one valid JSON string */
    for (int round = 0; round < 3000; round++) {
        char s[33];
        size_t len = test_rand() % 32;
        for (size_t i = 0; i < len; i++) {
            uint8_t c = (uint8_t)test_rand();
            if (round % 2)
                c = (uint8_t)(0x80 | c); /* mostly high bytes */
            s[i] = c ? (char)c : 'z';
        }
        s[len] = '\0';
        escape_check(s, str_is_utf8(s, len) && !str_has_ctl(s, len) ? s : NULL);
    }

    /* appends to what is there */
    struct buf b = BUF_INIT;
    buf_adds(&b, "k=");
    json_escape(&b, "v");
    assert_string_equal(b.data, "k=\"v\"");
    buf_release(&b);
}

/* ---- time --------------------------------------------------------------------------- */

static void
test_time_format(void **state)
{
    (void)state;
    char out[32];
    time_format_iso(0, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    time_format_iso(1795511720123, out, sizeof out);
    assert_string_equal(out, "2026-11-24T09:15:20.123Z");
    time_format_iso(951782400000 + 7, out, sizeof out);
    assert_string_equal(out, "2000-02-29T00:00:00.007Z");
    time_format_iso(2147483648000, out, sizeof out); /* past 2038 */
    assert_string_equal(out, "2038-01-19T03:14:08.000Z");
    time_format_iso(253402300799999, out, sizeof out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");

    time_format_local(1795511720123, out, 24);
    assert_string_equal(out, "2026-11-24 17:15:20");
    time_format_local(0, out, 24);
    assert_string_equal(out, "1970-01-01 08:00:00");
    time_format_local(946684799000, out, 24); /* 23:59:59Z is the next day in Shanghai */
    assert_string_equal(out, "2000-01-01 07:59:59");
    time_format_local(1709251199999, out, 24);
    assert_string_equal(out, "2024-03-01 07:59:59");

    /* a small cap truncates, NUL-terminated, and writes nothing past it */
    char small[12];
    memset(small, 'Z', sizeof small);
    time_format_iso(1795511720123, small, 8);
    assert_string_equal(small, "2026-11");
    assert_int_equal(small[8], 'Z');
}

/* Before 1970: ms is negative; the second and the milliseconds must both round down. */
static void
test_time_format_before_epoch(void **state)
{
    (void)state;
    char out[32];
    time_format_iso(-1000, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.000Z");
    time_format_iso(-62135596800000, out, sizeof out);
    assert_string_equal(out, "0001-01-01T00:00:00.000Z");
    time_format_iso(-1, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    time_format_iso(-1500, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:58.500Z");
    time_format_local(-1, out, 24);
    assert_string_equal(out, "1970-01-01 07:59:59");
}

struct time_case {
    const char *in;
    int rc;
    int64_t ms;
};

static void
test_time_parse(void **state)
{
    (void)state;
    static const struct time_case cases[] = {
        { "2026-11-24T17:15:20+08:00", 0, 1795511720000 },
        { "2026-11-24T09:15:20Z", 0, 1795511720000 },
        { "2026-11-24t09:15:20z", 0, 1795511720000 },
        { "2026-11-24 09:15:20Z", 0, 1795511720000 },
        { "2026-11-24T09:15:20+00:00", 0, 1795511720000 },
        { "2026-11-24T09:15:20-00:00", 0, 1795511720000 },
        { "2026-11-24T03:45:20-05:30", 0, 1795511720000 },
        { "2026-11-25T08:15:20+23:00", 0, 1795511720000 },
        { "2026-11-24T09:15:20.123Z", 0, 1795511720123 },
        { "2026-11-24T17:15:20.123+08:00", 0, 1795511720123 },
        { "2026-11-24T09:15:20.1Z", 0, 1795511720100 },
        { "2026-11-24T09:15:20.12Z", 0, 1795511720120 },
        { "2026-11-24T09:15:20.000Z", 0, 1795511720000 },
        { "2026-11-24T09:15:20.123456789Z", 0, 1795511720123 },
        { "2026-11-24T09:15:20.99999999999999999999999999Z", 0, 1795511720999 },
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "1970-01-01T08:00:00+08:00", 0, 0 },
        { "1969-12-31T23:59:59Z", 0, -1000 },
        { "1969-12-31T23:59:59.500Z", 0, -500 },
        { "0001-01-01T00:00:00Z", 0, -62135596800000 },
        { "9999-12-31T23:59:59.999Z", 0, 253402300799999 },
        { "2038-01-19T03:14:08Z", 0, 2147483648000 },
        { "2100-03-01T00:00:00Z", 0, 4107542400000 },
        /* leap days */
        { "2000-02-29T00:00:00Z", 0, 951782400000 },
        { "2024-02-29T23:59:59Z", 0, 1709251199000 },
        { "1900-02-29T00:00:00Z", ERR_INVALID, 0 },
        { "2100-02-29T00:00:00Z", ERR_INVALID, 0 },
        { "2023-02-29T00:00:00Z", ERR_INVALID, 0 },
        { "2024-02-30T00:00:00Z", ERR_INVALID, 0 },
        /* days per month */
        { "2024-01-31T00:00:00Z", 0, 1706659200000 },
        { "2024-01-32T00:00:00Z", ERR_INVALID, 0 },
        { "2024-04-31T00:00:00Z", ERR_INVALID, 0 },
        { "2024-06-31T00:00:00Z", ERR_INVALID, 0 },
        { "2024-09-31T00:00:00Z", ERR_INVALID, 0 },
        { "2024-11-31T00:00:00Z", ERR_INVALID, 0 },
        { "2024-12-31T00:00:00Z", 0, 1735603200000 },
        { "2024-00-10T00:00:00Z", ERR_INVALID, 0 },
        { "2024-13-10T00:00:00Z", ERR_INVALID, 0 },
        { "2024-10-00T00:00:00Z", ERR_INVALID, 0 },
        { "2024-99-99T00:00:00Z", ERR_INVALID, 0 },
        /* time of day */
        { "2026-11-24T24:00:00Z", ERR_INVALID, 0 },
        { "2026-11-24T23:60:00Z", ERR_INVALID, 0 },
        { "2026-11-24T23:59:61Z", ERR_INVALID, 0 },
        { "2026-11-24T23:59:99Z", ERR_INVALID, 0 },
        /* offsets */
        { "2026-11-24T09:15:20+24:00", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+08:60", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+0800", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+08", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+8:00", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20", ERR_INVALID, 0 },          /* zone is required */
        { "2026-11-24T09:15:20 +08:00", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20UTC", ERR_INVALID, 0 },
        /* fractions */
        { "2026-11-24T09:15:20.Z", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20.", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20,5Z", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20.5.5Z", ERR_INVALID, 0 },
        /* trailing garbage */
        { "2026-11-24T09:15:20Zx", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20Z ", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20Z\n", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20ZZ", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+08:00:00", ERR_INVALID, 0 },
        { "2026-11-24T09:15:20+08:001", ERR_INVALID, 0 },
        /* shapes */
        { "", ERR_INVALID, 0 },
        { "2026", ERR_INVALID, 0 },
        { "2026-11-24", ERR_INVALID, 0 },
        { "2026-11-24T", ERR_INVALID, 0 },
        { "2026-11-24T09:15", ERR_INVALID, 0 },
        { "2026-11-24T09:15Z", ERR_INVALID, 0 },
        { "2026-11-24X09:15:20Z", ERR_INVALID, 0 },
        { "2026/11/24T09:15:20Z", ERR_INVALID, 0 },
        { "2026-1-24T09:15:20Z", ERR_INVALID, 0 },
        { "2026-11-4T09:15:20Z", ERR_INVALID, 0 },
        { "2026-11-24T9:15:20Z", ERR_INVALID, 0 },
        { "+2026-11-24T09:15:20Z", ERR_INVALID, 0 },
        { "-2026-11-24T09:15:20Z", ERR_INVALID, 0 },
        { "20a6-11-24T09:15:20Z", ERR_INVALID, 0 },
        { "02026-11-24T09:15:20Z", ERR_INVALID, 0 },
        { " 2026-11-24T09:15:20Z", ERR_INVALID, 0 },
        { "2026-11-24T09:15:2Z", ERR_INVALID, 0 },
        { "\xef\xbc\x92" "026-11-24T09:15:20Z", ERR_INVALID, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = 777;
        int rc = time_parse_rfc3339(cases[i].in, &ms);
        if (rc != cases[i].rc || (rc == 0 && ms != cases[i].ms))
            fail_msg("time_parse_rfc3339(\"%s\") = %d, %lld; want %d, %lld", cases[i].in, rc,
                     (long long)ms, cases[i].rc, (long long)cases[i].ms);
    }
    int64_t ms = 0;
    assert_int_equal(time_parse_rfc3339(NULL, &ms), ERR_INVALID);
    /* a leap second is accepted and read as :59 of the same minute */
    assert_int_equal(time_parse_rfc3339("2016-12-31T23:59:60Z", &ms), 0);
    int64_t ms59 = 0;
    assert_int_equal(time_parse_rfc3339("2016-12-31T23:59:59Z", &ms59), 0);
    assert_true(ms >= ms59 && ms < ms59 + 1000);

    /* every truncation of a good value fails, and no read goes past the end */
    const char *good = "2026-11-24T17:15:20.123+08:00";
    for (size_t len = 0; len < strlen(good); len++) {
        char *p = xstrndup(good, len);
        if (time_parse_rfc3339(p, &ms) == 0)
            fail_msg("prefix \"%s\" accepted", p);
        xfree(p);
    }
}

static void
test_time_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        char iso[32];
        int64_t ms = (int64_t)(test_rand() % 253402300800000u), back = -1;
        time_format_iso(ms, iso, sizeof iso);
        if (time_parse_rfc3339(iso, &back) || back != ms)
            fail_msg("%lld -> %s -> %lld", (long long)ms, iso, (long long)back);
    }
}

static void
test_time_clock(void **state)
{
    (void)state;
    int64_t now = time_now_ms();
    assert_true(now > 1700000000000); /* after 2023 */
    time_set_fake_ms(1795511720123);
    assert_int_equal(time_now_ms(), 1795511720123);
    assert_int_equal(time_now_ms(), 1795511720123);
    time_set_fake_ms(0);
    assert_true(time_now_ms() >= now);
    /* the monotonic clock never goes back, and moves on across a sleep (order, not a
     * duration: no test asserts how long anything took) */
    int64_t a = time_mono_us(), b;
    usleep(1000);
    b = time_mono_us();
    assert_true(b > a);
}

/* ---- arena -------------------------------------------------------------------------- */

static void
test_arena(void **state)
{
    (void)state;
    struct arena a = ARENA_INIT;
    enum { N = 3000 };
    unsigned char *ptrs[N];
    size_t sizes[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = test_rand() % 300;
        if (i % 500 == 0)
            sizes[i] = 20000 + (size_t)i; /* bigger than a chunk */
        ptrs[i] = arena_alloc(&a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % _Alignof(max_align_t), 0);
        memset(ptrs[i], i & 0xff, sizes[i]);
    }
    /* no allocation overlaps another: each still holds its own pattern */
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xff))
                fail_msg("allocation %d byte %zu overwritten", i, k);

    char *s = arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    s = arena_strndup(&a, "abcdef", 3);
    assert_string_equal(s, "abc");
    s = arena_strndup(&a, "", 0);
    assert_string_equal(s, "");
    s = arena_printf(&a, "%s-%d-%05.1f", "x", -7, 2.5);
    assert_string_equal(s, "x--7-002.5");
    char big[10000];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s = arena_printf(&a, "[%s]", big);
    assert_int_equal(strlen(s), sizeof big + 1);
    assert_non_null(arena_alloc(&a, 0));
    arena_release(&a);
    assert_null(a.head);
    arena_release(&a); /* twice is fine */

    struct arena z;
    memset(&z, 0, sizeof z); /* zero-initialised works as INIT */
    assert_string_equal(arena_strdup(&z, "again"), "again");
    arena_release(&z);
}

/* ---- alloc -------------------------------------------------------------------------- */

static void
test_alloc(void **state)
{
    (void)state;
    size_t r = 0;
    assert_true(size_mul(0, SIZE_MAX, &r));
    assert_int_equal(r, 0);
    assert_true(size_mul(SIZE_MAX, 1, &r));
    assert_true(r == SIZE_MAX);
    assert_true(size_mul(SIZE_MAX / 2, 2, &r));
    assert_true(r == SIZE_MAX - 1);
    assert_false(size_mul(SIZE_MAX / 2 + 1, 2, &r));
    assert_false(size_mul(SIZE_MAX, SIZE_MAX, &r));
    assert_false(size_mul((size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4), &r));
    assert_true(size_mul(3, 7, &r));
    assert_int_equal(r, 21);
    assert_true(size_add(SIZE_MAX - 1, 1, &r));
    assert_true(r == SIZE_MAX);
    assert_false(size_add(SIZE_MAX, 1, &r));
    assert_false(size_add(1, SIZE_MAX, &r));
    assert_false(size_add(SIZE_MAX, SIZE_MAX, &r));
    assert_true(size_add(0, 0, &r));
    assert_int_equal(r, 0);

    void *p = xmalloc(0);
    assert_non_null(p);
    xfree(p);
    unsigned char *c = xcalloc(16, 4);
    for (int i = 0; i < 64; i++)
        assert_int_equal(c[i], 0);
    memcpy(c, "0123456789", 10);
    c = xrealloc(c, 4096);
    assert_memory_equal(c, "0123456789", 10);
    xfree(c);
    p = xcalloc(0, 0);
    assert_non_null(p);
    xfree(p);
    char *s = xstrdup("dup");
    assert_string_equal(s, "dup");
    xfree(s);
    s = xstrndup("abcdef", 2);
    assert_string_equal(s, "ab");
    xfree(s);
    s = xmemdup("a\0b", 3);
    assert_memory_equal(s, "a\0b", 3);
    xfree(s);
    p = xmemdup("", 0);
    assert_non_null(p);
    xfree(p);
    xfree(NULL);

    char secret[8] = "topsecr";
    wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        assert_int_equal(secret[i], 0);
    wipe(NULL, 10);
    s = xstrdup("password");
    xfree_secret(s, 9);
}

/* Run fn in a child; true when the child died instead of returning normally. */
static bool
dies(void (*fn)(void))
{
    pid_t pid = fork();
    int st = 0;
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0)
            dup2(fd, 2);
        fn();
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
calloc_overflow(void)
{
    volatile size_t huge = SIZE_MAX / 2 + 2;
    unsigned char *p = xcalloc(huge, 2); /* count * size wraps to 2 */
    p[0] = 1;
}

static void
malloc_huge(void)
{
    volatile size_t huge = SIZE_MAX - 16;
    unsigned char *p = xmalloc(huge);
    p[0] = 1;
}

static void
test_alloc_aborts(void **state)
{
    (void)state;
    /* an overflowing count * size must never come back as a small block */
    assert_true(dies(calloc_overflow));
    assert_true(dies(malloc_huge));
}

/* ---- err ---------------------------------------------------------------------------- */

static void
test_err_table(void **state)
{
    (void)state;
    assert_string_equal(err_code(ERR_OK), "ok");
    assert_int_equal(err_status(ERR_OK), 200);
    assert_int_equal(ERR_OK, 0);
    assert_string_equal(err_code(ERR_NOT_FOUND), "not_found");
    assert_int_equal(err_status(ERR_NOT_FOUND), 404);
    assert_string_equal(err_name(ERR_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(err_message(ERR_NOT_FOUND), "not found");
    assert_string_equal(err_code(ERR_METHOD), "method_not_allowed");
    assert_int_equal(err_status(ERR_METHOD), 405);
    assert_int_equal(err_status(ERR_INVALID), 400);
    assert_int_equal(err_status(ERR_BAD_JSON), 400);
    assert_int_equal(err_status(ERR_UNAUTHENTICATED), 401);
    assert_int_equal(err_status(ERR_FORBIDDEN), 403);
    assert_int_equal(err_status(ERR_CSRF), 403);
    assert_int_equal(err_status(ERR_CONFLICT), 409);
    assert_int_equal(err_status(ERR_TOO_LARGE), 413);
    assert_int_equal(err_status(ERR_MEDIA_TYPE), 415);
    assert_int_equal(err_status(ERR_RATE), 429);
    assert_int_equal(err_status(ERR_UNAVAILABLE), 503);
    /* internal failures all look the same to clients (S4) */
    const int internal[] = { ERR_DB, ERR_CRYPTO, ERR_IO, ERR_INTERNAL };
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
        assert_string_equal(err_code(internal[i]), "internal");
        assert_int_equal(err_status(internal[i]), 500);
        assert_string_equal(err_message(internal[i]), "internal error");
    }
    assert_string_equal(err_name(ERR_DB), "DB");
    assert_string_equal(err_name(ERR_CRYPTO), "CRYPTO");
    /* unknown values map to internal */
    const int unknown[] = { -1, ERR__COUNT, ERR__COUNT + 1, 9999, -2147483647 - 1 };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(err_code(unknown[i]), "internal");
        assert_int_equal(err_status(unknown[i]), 500);
        assert_string_equal(err_message(unknown[i]), "internal error");
        assert_string_equal(err_name(unknown[i]), "INTERNAL");
    }
    /* every row: a lower-case snake code, a status, a lower-case message without a full stop,
     * and codes unique except for the rows that surface as "internal" */
    for (int rc = 0; rc < ERR__COUNT; rc++) {
        const char *code = err_code(rc), *msg = err_message(rc);
        assert_true(strlen(code) > 0);
        assert_int_equal(strspn(code, "abcdefghijklmnopqrstuvwxyz_"), strlen(code));
        assert_true(err_status(rc) >= 200 && err_status(rc) <= 599);
        assert_true(rc == 0 || err_status(rc) >= 400);
        assert_true(strlen(msg) > 0 && msg[strlen(msg) - 1] != '.');
        assert_false(msg[0] >= 'A' && msg[0] <= 'Z');
        assert_true(strlen(err_name(rc)) > 0);
        for (int o = rc + 1; o < ERR__COUNT; o++) {
            assert_string_not_equal(err_name(rc), err_name(o));
            if (strcmp(code, "internal") != 0)
                assert_string_not_equal(code, err_code(o));
        }
        if (strcmp(code, "internal") == 0)
            assert_int_equal(err_status(rc), 500);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_init_state),
        cmocka_unit_test(test_buf_append),
        cmocka_unit_test(test_buf_cap_and_sticky_error),
        cmocka_unit_test(test_buf_detach),
        cmocka_unit_test(test_str_basics),
        cmocka_unit_test(test_str_to_i64),
        cmocka_unit_test(test_str_copy),
        cmocka_unit_test(test_str_strip_notes),
        cmocka_unit_test(test_str_is_utf8),
        cmocka_unit_test(test_str_has_ctl),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_format_before_epoch),
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_time_clock),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_alloc),
        cmocka_unit_test(test_alloc_aborts),
        cmocka_unit_test(test_err_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
