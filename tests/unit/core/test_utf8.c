/* tests/unit/core/test_utf8.c - core/utf8.h: strict decoding (RFC 3629 edge cases:
 * overlongs, surrogates, past U+10FFFF, truncation), encoding round trips over every
 * scalar value, boundaries for truncation, counting, and the full-width fold (S1 input
 * checks; importers compare folded text). str_is_utf8 is checked to agree with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/str.h"
#include "core/utf8.h"

static uint32_t
one(const char *s, size_t n, size_t *used)
{
    size_t i = 0;
    uint32_t cp = utf8_next(s, n, &i);
    *used = i;
    return cp;
}

static void
test_next(void **state)
{
    size_t used;
    (void)state;
    assert_int_equal(one("A", 1, &used), 'A');
    assert_int_equal(used, 1);
    assert_int_equal(one("\xc3\xa9", 2, &used), 0xE9);
    assert_int_equal(used, 2);
    assert_int_equal(one("\xe6\x95\xb0", 3, &used), 0x6570); /* 数 */
    assert_int_equal(used, 3);
    assert_int_equal(one("\xf0\x9f\x98\x80", 4, &used), 0x1F600);
    assert_int_equal(used, 4);
    assert_int_equal(one("\xf4\x8f\xbf\xbf", 4, &used), 0x10FFFF);
    /* every failure advances one byte */
    const char *bad[] = {
        "\xc0\x80",         /* overlong NUL */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong '/' */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead byte past U+10FFFF */
        "\x80",             /* stray continuation */
        "\xff",
        "\xe6\x95",         /* truncated */
        "\xe6\x41\x41",     /* not a continuation */
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(one(bad[k], strlen(bad[k]) ? strlen(bad[k]) : 2, &used), UTF8_BAD);
        assert_int_equal(used, 1);
        assert_false(utf8_valid(bad[k], strlen(bad[k]) ? strlen(bad[k]) : 2));
    }
    /* a NUL byte is valid UTF-8 (str_is_utf8 refuses it) */
    assert_true(utf8_valid("a\0b", 3));
    assert_false(str_is_utf8("a\0b", 3));
    assert_true(str_is_utf8("", 0));
    assert_true(str_is_utf8(NULL, 0));
}

/* Every scalar value encodes and decodes to itself; str_is_utf8 agrees. */
static void
test_round_trip(void **state)
{
    (void)state;
    for (uint32_t cp = 1; cp <= 0x10FFFF; cp++) {
        char enc[4];
        size_t len = utf8_encode(cp, enc), i = 0;
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            assert_int_equal(len, 0);
            continue;
        }
        assert_int_equal(len, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
        assert_int_equal(utf8_len((unsigned char)enc[0]), len);
        assert_int_equal(utf8_next(enc, len, &i), cp);
        assert_int_equal(i, len);
        assert_true(str_is_utf8(enc, len));
    }
    char enc[4];
    assert_int_equal(utf8_encode(0x110000, enc), 0);
}

static void
test_put_count_cut(void **state)
{
    struct buf b = BUF_INIT;
    (void)state;
    utf8_put(&b, 0x6570);
    utf8_put(&b, 'x');
    utf8_put(&b, 0xD800); /* refused: U+FFFD instead */
    assert_string_equal(b.data, "数x\xef\xbf\xbd");
    assert_int_equal(utf8_count(b.data, b.len), 3);
    assert_int_equal(utf8_count("", 0), 0);

    const char *s = "ab数据"; /* 2 + 3 + 3 bytes */
    assert_int_equal(utf8_cut(s, 8, 100), 8);
    assert_int_equal(utf8_cut(s, 8, 8), 8);
    assert_int_equal(utf8_cut(s, 8, 7), 5);
    assert_int_equal(utf8_cut(s, 8, 5), 5);
    assert_int_equal(utf8_cut(s, 8, 4), 2);
    assert_int_equal(utf8_cut(s, 8, 2), 2);
    assert_int_equal(utf8_cut(s, 8, 0), 0);
    buf_release(&b);
}

static void
test_fold_width(void **state)
{
    (void)state;
    assert_int_equal(utf8_fold_width(0xFF11), '1');  /* １ */
    assert_int_equal(utf8_fold_width(0xFF38), 'X');  /* Ｘ */
    assert_int_equal(utf8_fold_width(0xFF01), '!');
    assert_int_equal(utf8_fold_width(0xFF5E), '~');
    assert_int_equal(utf8_fold_width(0x3000), ' ');
    assert_int_equal(utf8_fold_width(0xFF00), 0xFF00);
    assert_int_equal(utf8_fold_width(0xFF5F), 0xFF5F);
    assert_int_equal(utf8_fold_width('x'), 'x');
    assert_int_equal(utf8_fold_width(0x6570), 0x6570);
}

/* Normalising readers (io/columns.c, domain/places/text_norm.c) take U+FFFD for a bad byte
 * and one white-space test. */
static void
test_replacement_and_space(void **state)
{
    (void)state;
    const char bad[] = "a\xC0\xAF\xE3\x80\x80";   /* an overlong '/', then U+3000 */
    size_t i = 0;
    assert_int_equal(utf8_next_or_fffd(bad, sizeof bad - 1, &i), 'a');
    assert_int_equal(utf8_next_or_fffd(bad, sizeof bad - 1, &i), 0xFFFD);
    assert_int_equal(i, 2);
    assert_int_equal(utf8_next_or_fffd(bad, sizeof bad - 1, &i), 0xFFFD);
    assert_int_equal(utf8_next_or_fffd(bad, sizeof bad - 1, &i), 0x3000);
    assert_int_equal(i, sizeof bad - 1);
    static const uint32_t spaces[] = { ' ', '\t', '\r', 0x85, 0xA0, 0x2000, 0x200B, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF };
    for (size_t k = 0; k < sizeof spaces / sizeof *spaces; k++)
        assert_true(utf8_is_space(spaces[k]));
    static const uint32_t not_spaces[] = { 'a', '0', '_', 0x1F, 0x200E, 0x3001, 0xFFFD };
    for (size_t k = 0; k < sizeof not_spaces / sizeof *not_spaces; k++)
        assert_false(utf8_is_space(not_spaces[k]));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_put_count_cut),
        cmocka_unit_test(test_fold_width),
        cmocka_unit_test(test_replacement_and_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
