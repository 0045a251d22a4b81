/* tests/unit/core/test_idno.c - core/idno: cleaning and checking ID numbers (R4.5, S1).
 *
 * Table-driven: every status with inputs the subdistricts' sheets really contain. All IDs
 * are synthetic (region 110102 and made-up dates and sequences, plus the two worked
 * examples printed in GB 11643-1999); their check digits come from this file's own MOD 11-2
 * (written differently from the one under test) and a test re-checks every fixture.
 * "Today" is faked to 2026-11-24 (Asia/Shanghai) unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/idno.h"
#include "core/time.h"

#define TODAY "2026-11-24T12:00:00+08:00"

/* test_check_char: check character as the standard states it, a1 = (12 - S mod 11) mod 11
 * with W_i = 2^(i-1) mod 11 counted from the right; independent of idno_check_digit. */
static char
test_check_char(const char *first17)
{
    unsigned s = 0, w = 1;
    for (int i = 16; i >= 0; i--) {
        w = (w * 2) % 11;               /* position i+1 from the left is 18-i from the right */
        s += (unsigned)(first17[i] - '0') * w;
    }
    unsigned a = (12 - s % 11) % 11;
    return a == 10 ? 'X' : (char)('0' + a);
}

/* test_make_id builds region + yyyymmdd + seq (3 digits) + check into out (19 bytes). */
static void
test_make_id(char out[IDNO_LEN + 1], const char *region, int y, int m, int d, int seq)
{
    const int v[4] = { y, m, d, seq }, w[4] = { 4, 2, 2, 3 };
    char *p = out + 6;
    memcpy(out, region, 6);
    for (int k = 0; k < 4; k++) {
        for (int j = w[k] - 1, x = v[k]; j >= 0; j--, x /= 10)
            p[j] = (char)('0' + x % 10);
        p += w[k];
    }
    out[17] = test_check_char(out);
    out[18] = '\0';
}

static void
set_today(const char *rfc3339)
{
    int64_t ms = 0;
    assert_int_equal(time_parse_rfc3339(rfc3339, &ms), 0);
    time_set_fake_ms(ms);
}

static int
setup(void **state)
{
    (void)state;
    set_today(TODAY);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    time_set_fake_ms(0);
    return 0;
}

/* Synthetic valid IDs (check digits verified in test_fixtures_are_valid). */
#define ID_X "11010219900307123X"       /* 1990-03-07, seq 123, check X */
#define ID_B "110102198511240023"       /* 1985-11-24 */
#define ID_LEAP "110102200002290612"    /* 2000-02-29: a leap day (divisible by 400) */
#define ID_1900 "110102190001010010"    /* 1900-01-01: the first allowed day */
#define ID_000 "110102199003074000"     /* valid and ends in "000" */
#define ID_TODAY "110102202611241233"   /* born on the faked today */
#define ID_STD1 "11010519491231002X"    /* GB 11643-1999's worked example */
/* Right check digit, impossible date. */
#define ID_TOMORROW "110102202611251239"
#define ID_FEB30 "110102199002301232"
#define ID_MONTH13 "110102199013011230"
#define ID_NEXT_YEAR "110102202701011239"
#define ID_1899 "110102189912311238"
#define ID_1900_FEB29 "11010219000229123X"  /* 1900 is not a leap year */
#define ID_STD2 "440524188001010014"    /* GB 11643-1999's second example: born 1880 */

static const char *const fixtures_valid[] = { ID_X, ID_B, ID_LEAP, ID_1900, ID_000, ID_TODAY,
                                              ID_STD1 };
static const char *const fixtures_bad_date[] = { ID_TOMORROW, ID_FEB30, ID_MONTH13,
                                                 ID_NEXT_YEAR, ID_1899, ID_1900_FEB29,
                                                 ID_STD2 };

static void
test_fixtures_are_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fixtures_valid / sizeof fixtures_valid[0]; i++) {
        assert_int_equal(test_check_char(fixtures_valid[i]), fixtures_valid[i][17]);
        assert_true(idno_is_valid(fixtures_valid[i]));
    }
    for (size_t i = 0; i < sizeof fixtures_bad_date / sizeof fixtures_bad_date[0]; i++) {
        assert_int_equal(test_check_char(fixtures_bad_date[i]), fixtures_bad_date[i][17]);
        assert_false(idno_is_valid(fixtures_bad_date[i]));
    }
    /* The corrupted sample from the brief really fails its checksum. */
    assert_int_not_equal(test_check_char("110102199003077000"), '0');
}

struct idno_case {
    const char *in;
    size_t n;
    enum idno_status want;
    const char *out;                    /* expected output; "" for rejections */
};

/* C(literal, status, out): the literal's length includes embedded NULs. */
#define C(lit, st, o) { (lit), sizeof(lit) - 1, IDNO_##st, (o) }

static const struct idno_case cases[] = {
    /* ok: already the 18 canonical bytes */
    C(ID_X, OK, ID_X),
    C(ID_B, OK, ID_B),
    C(ID_LEAP, OK, ID_LEAP),
    C(ID_1900, OK, ID_1900),
    C(ID_000, OK, ID_000),              /* ends in 000 but the check digit is right */
    C(ID_TODAY, OK, ID_TODAY),
    C(ID_STD1, OK, ID_STD1),

    /* fixed: full-width digits and X, lowercase x */
    C("１１０１０２１９９００３０７１２３Ｘ", FIXED, ID_X),
    C("１１０１０２１９９００３０７１２３ｘ", FIXED, ID_X),
    C("11010219900307123x", FIXED, ID_X),
    C("１１０１０２1985112400２３", FIXED, ID_B),
    /* fixed: spaces of every kind, anywhere */
    C(" 11010219900307123X", FIXED, ID_X),
    C("11010219900307123X \r\n", FIXED, ID_X),
    C("110102 19900307 123X", FIXED, ID_X),
    C("110102\t1990\t0307\t123x", FIXED, ID_X),
    C("110102\xC2\xA0" "19900307\xC2\xA0" "123X", FIXED, ID_X),          /* NBSP */
    C("\xE3\x80\x80" "110102198511240023\xE3\x80\x80", FIXED, ID_B),     /* U+3000 */
    C("1101021985\xE2\x80\x8B" "11240023", FIXED, ID_B),                 /* ZWSP */
    C("110102\xE2\x80\x89" "198511240023", FIXED, ID_B),                 /* thin space */
    C("\xEF\xBB\xBF" "110102198511240023", FIXED, ID_B),                 /* BOM */
    C("1101021985\xE2\x81\xA0" "11240023", FIXED, ID_B),                 /* word joiner */
    /* fixed: Excel text markers and quotes */
    C("'110102198511240023", FIXED, ID_B),
    C("'11010219900307123x", FIXED, ID_X),
    C("=\"110102198511240023\"", FIXED, ID_B),
    C("\"=\"\"110102198511240023\"\"\"", FIXED, ID_B),                   /* ="…" inside CSV */
    C("\"110102198511240023\"", FIXED, ID_B),
    C(" ' 110102198511240023 ", FIXED, ID_B),
    C("\xE2\x80\x9C" "110102198511240023\xE2\x80\x9D", FIXED, ID_B),     /* “…” */
    C("＝＂１１０１０２１９８５１１２４００２３＂", FIXED, ID_B),
    C("\xE2\x80\x98" "11010219900307123X\xE2\x80\x99", FIXED, ID_X),     /* ‘…’ */

    /* converted_15: first-generation numbers, century 19, check digit computed */
    C("110102900307123", CONVERTED_15, ID_X),
    C("110102851124002", CONVERTED_15, ID_B),
    C(" 110102 851124 002 ", CONVERTED_15, ID_B),
    C("'１１０１０２８５１１２４００２", CONVERTED_15, ID_B),
    C("110102900307123.0", CONVERTED_15, ID_X),       /* a float holds 15 digits exactly */
    C("110,102,900,307,123", CONVERTED_15, ID_X),

    /* bad_checksum: plain 18 characters, wrong check digit, tail not "000" */
    C("110102199003071234", BAD_CHECKSUM, ""),
    C("110102198511240024", BAD_CHECKSUM, ""),
    C("11010219851124002X", BAD_CHECKSUM, ""),
    C("11010219851124002x", BAD_CHECKSUM, ""),
    C("110102199003071230", BAD_CHECKSUM, ""),        /* ends in 0, not 000 */
    C("110102199003077100", BAD_CHECKSUM, ""),        /* ends in 00, not 000 */
    C("１１０１０２１９８５１１２４００２４", BAD_CHECKSUM, ""),
    C("'110102198511240032", BAD_CHECKSUM, ""),       /* two digits swapped */

    /* bad_date: the check digit is right but nobody was born then */
    C(ID_FEB30, BAD_DATE, ""),
    C(ID_MONTH13, BAD_DATE, ""),
    C(ID_TOMORROW, BAD_DATE, ""),
    C(ID_NEXT_YEAR, BAD_DATE, ""),
    C(ID_1899, BAD_DATE, ""),
    C(ID_1900_FEB29, BAD_DATE, ""),
    C(ID_STD2, BAD_DATE, ""),                         /* 1880: before 1900 */
    C(" 110102199002301232 ", BAD_DATE, ""),
    C("110102000229061", BAD_DATE, ""),               /* 15 digits: 1900-02-29 */
    C("110102901301123", BAD_DATE, ""),               /* 15 digits: month 13 */
    C("110102900230123", BAD_DATE, ""),               /* 15 digits: Feb 30 */

    /* excel_corrupted: the value went through a number */
    C("1.10102199003077E+17", EXCEL_CORRUPTED, ""),
    C("1.10102E+17", EXCEL_CORRUPTED, ""),
    C("1.10102e+17", EXCEL_CORRUPTED, ""),
    C("1.10102E17", EXCEL_CORRUPTED, ""),
    C(" 1.10102E+17 ", EXCEL_CORRUPTED, ""),
    C("'1.10102E+17", EXCEL_CORRUPTED, ""),
    C("１．１０１０２Ｅ＋１７", EXCEL_CORRUPTED, ""),
    C("1.10103E+14", EXCEL_CORRUPTED, ""),            /* a 15-digit number shown short */
    C("1.10102900307123E+14", EXCEL_CORRUPTED, ""),   /* scientific is never trusted */
    C("110102199003077000", EXCEL_CORRUPTED, ""),     /* zeroed tail, checksum fails */
    C("110102199003020000", EXCEL_CORRUPTED, ""),
    C("１１０１０２１９９００３０７７０００", EXCEL_CORRUPTED, ""),
    C("110102199003077000.0", EXCEL_CORRUPTED, ""),
    C("110102199003077000.00", EXCEL_CORRUPTED, ""),
    C("110102199003074000.0", EXCEL_CORRUPTED, ""),   /* even with a right check digit */
    C("110102199003071234.0", EXCEL_CORRUPTED, ""),
    C("110102198511240023.", EXCEL_CORRUPTED, ""),
    C("110,102,199,003,077,000", EXCEL_CORRUPTED, ""),
    C("1101021990030770.0", EXCEL_CORRUPTED, ""),     /* 16 digits through a float */
    C("\"110102199003077000\"", EXCEL_CORRUPTED, ""),

    /* empty */
    C("", EMPTY, ""),
    C(" ", EMPTY, ""),
    C(" \t\r\n ", EMPTY, ""),
    C("\xE3\x80\x80\xE3\x80\x80", EMPTY, ""),
    C("\xC2\xA0", EMPTY, ""),
    C("\xE2\x80\x8B\xEF\xBB\xBF", EMPTY, ""),
    C("\"\"", EMPTY, ""),
    C("=\"\"", EMPTY, ""),
    C("'", EMPTY, ""),

    /* not_an_id */
    C("abc", NOT_AN_ID, ""),
    C("无", NOT_AN_ID, ""),
    C("N/A", NOT_AN_ID, ""),
    C("-", NOT_AN_ID, ""),
    C("12345", NOT_AN_ID, ""),
    C("0", NOT_AN_ID, ""),
    C("X", NOT_AN_ID, ""),
    C("1101021990030712", NOT_AN_ID, ""),            /* 16 digits */
    C("11010219900307123", NOT_AN_ID, ""),           /* 17 digits */
    C("1101021990030712345", NOT_AN_ID, ""),         /* 19 digits */
    C("11010219900307123XX", NOT_AN_ID, ""),
    C("110102X99003071234", NOT_AN_ID, ""),          /* X not last */
    C("X10102199003071234", NOT_AN_ID, ""),
    C("11010290030712X", NOT_AN_ID, ""),             /* 15 with X */
    C("110102-19900307-123X", NOT_AN_ID, ""),
    C("-110102198511240023", NOT_AN_ID, ""),
    C("+110102198511240023", NOT_AN_ID, ""),
    C("110102198511240023 110102198511240023", NOT_AN_ID, ""),
    C("11010219900307123X,110102198511240023", NOT_AN_ID, ""),
    C("\"110102198511240023\"1", NOT_AN_ID, ""),     /* something after the closing quote */
    C("1101021985\"11240023", NOT_AN_ID, ""),
    C("110102198511240023=", NOT_AN_ID, ""),
    C("110102198511240023\0", NOT_AN_ID, ""),        /* embedded NUL */
    C("\0" "110102198511240023", NOT_AN_ID, ""),
    C("\xFF" "110102198511240023", NOT_AN_ID, ""),   /* not UTF-8 */
    C("110102198511240023\xE3\x80", NOT_AN_ID, ""),  /* truncated U+3000 */
    C("110102198511240023\xC2", NOT_AN_ID, ""),
    C("身份证110102198511240023", NOT_AN_ID, ""),
    C("110102198511240023.5", NOT_AN_ID, ""),        /* non-zero fraction */
    C("110102900307123.1", NOT_AN_ID, ""),
    C("1.1E+5", NOT_AN_ID, ""),                      /* scientific, but not ID-sized */
    C("1.10102E+19", NOT_AN_ID, ""),
    C("1.10102E-17", NOT_AN_ID, ""),
    C("1.10102E", NOT_AN_ID, ""),
    C("1.10102E+", NOT_AN_ID, ""),
    C("110102199003077000E", NOT_AN_ID, ""),         /* exponent without digits */
    C("110102199003077000e+", NOT_AN_ID, ""),
    C("1.10102E+1+7", NOT_AN_ID, ""),
    C("E+17", NOT_AN_ID, ""),
    C(".0", NOT_AN_ID, ""),
    C("110102199003077000..0", NOT_AN_ID, ""),
    C("110,,102,199,003,077,000", NOT_AN_ID, ""),
    C("110102199003077000,", NOT_AN_ID, ""),
    C(",110102199003077000", NOT_AN_ID, ""),
    C("11010219900307123X.0", NOT_AN_ID, ""),
    C("1101021990030712,3X", NOT_AN_ID, ""),
    C("11010219900307123,X", NOT_AN_ID, ""),
};

static void
test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct idno_case *c = &cases[i];
        char out[IDNO_LEN + 1];
        memset(out, 'Z', sizeof out);
        enum idno_status st = idno_normalize(c->in, c->n, out);
        if (st != c->want || strcmp(out, c->out) != 0)
            print_error("case %zu (%zu bytes): want %s \"%s\", got %s \"%.19s\"\n", i, c->n,
                        idno_status_code(c->want), c->out, idno_status_code(st),
                        out[IDNO_LEN] ? "(unterminated)" : out);
        assert_int_equal(st, c->want);
        assert_string_equal(out, c->out);
        if (c->out[0]) {
            assert_true(idno_is_valid(out));
        } else {
            /* A rejection leaves nothing of the input behind in out. */
            static const char zero[IDNO_LEN + 1];
            assert_memory_equal(out, zero, sizeof out);
        }
    }
}

static void
test_null_input(void **state)
{
    (void)state;
    char out[IDNO_LEN + 1] = "ZZZZZZZZZZZZZZZZZZ";
    assert_int_equal(idno_normalize(NULL, 0, out), IDNO_EMPTY);
    assert_string_equal(out, "");
    assert_int_equal(idno_normalize(NULL, 18, out), IDNO_EMPTY);
    assert_string_equal(out, "");
}

/* Reading stops at n: a valid ID followed by junk beyond n is still OK. */
static void
test_length_is_respected(void **state)
{
    (void)state;
    char out[IDNO_LEN + 1];
    static const char buf[] = ID_B "garbage";
    assert_int_equal(idno_normalize(buf, IDNO_LEN, out), IDNO_OK);
    assert_string_equal(out, ID_B);
    assert_int_equal(idno_normalize(buf, IDNO_LEN - 1, out), IDNO_NOT_AN_ID);
    assert_int_equal(idno_normalize(buf, IDNO_LEN + 1, out), IDNO_NOT_AN_ID);
    /* A multi-byte space cut by n is not read past n. */
    static const char cut[] = "110102198511240023\xE3\x80\x80";
    assert_int_equal(idno_normalize(cut, IDNO_LEN + 2, out), IDNO_NOT_AN_ID);
    assert_int_equal(idno_normalize(cut, IDNO_LEN + 3, out), IDNO_FIXED);
}

/* Output is a fixed point: normalising a normalised ID gives OK and the same bytes. */
static void
test_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[IDNO_LEN + 1], again[IDNO_LEN + 1];
        if (idno_normalize(cases[i].in, cases[i].n, out) > IDNO_CONVERTED_15)
            continue;
        assert_int_equal(idno_normalize(out, strlen(out), again), IDNO_OK);
        assert_string_equal(again, out);
    }
}

/* Generated IDs over the whole allowed range of dates: each is OK, each of its ten wrong
 * check characters is rejected, and the 15-digit form of 20th-century ones converts back. */
static void
test_generated(void **state)
{
    (void)state;
    static const char checks[] = "0123456789X";
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    char id[IDNO_LEN + 1], out[IDNO_LEN + 1], bad[IDNO_LEN + 1], old[16];
    size_t n = 0;
    int seq = 0;
    for (int y = 1900; y <= 2026; y++) {
        for (int m = 1; m <= 12; m++) {
            int last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
            for (int d = 1; d <= last; d += 3) {
                if (y == 2026 && (m > 11 || (m == 11 && d > 24)))
                    continue;
                seq = (seq * 7 + 13) % 1000;
                test_make_id(id, "110102", y, m, d, seq);
                assert_int_equal(idno_normalize(id, IDNO_LEN, out), IDNO_OK);
                assert_string_equal(out, id);
                assert_true(idno_is_valid(id));
                assert_int_equal(idno_check_digit(id), id[17]);
                for (const char *c = checks; *c; c++) {
                    if (*c == id[17])
                        continue;
                    memcpy(bad, id, sizeof bad);
                    bad[17] = *c;
                    assert_false(idno_is_valid(bad));
                    assert_int_equal(idno_normalize(bad, IDNO_LEN, out),
                                     memcmp(bad + 15, "000", 3) == 0 ? IDNO_EXCEL_CORRUPTED
                                                                     : IDNO_BAD_CHECKSUM);
                }
                if (y < 2000) {
                    memcpy(old, id, 6);
                    memcpy(old + 6, id + 8, 9);
                    old[15] = '\0';
                    assert_int_equal(idno_normalize(old, 15, out), IDNO_CONVERTED_15);
                    assert_string_equal(out, id);
                }
                n++;
            }
        }
    }
    assert_true(n > 10000);
    /* A day that does not exist gets BAD_DATE even with its right check digit. */
    test_make_id(id, "110102", 1999, 4, 31, 5);
    assert_int_equal(idno_normalize(id, IDNO_LEN, out), IDNO_BAD_DATE);
    test_make_id(id, "110102", 1999, 0, 10, 5);
    assert_int_equal(idno_normalize(id, IDNO_LEN, out), IDNO_BAD_DATE);
    test_make_id(id, "110102", 1999, 1, 0, 5);
    assert_int_equal(idno_normalize(id, IDNO_LEN, out), IDNO_BAD_DATE);
    test_make_id(id, "110102", 2100, 1, 1, 5);
    assert_int_equal(idno_normalize(id, IDNO_LEN, out), IDNO_BAD_DATE);
}

/* "Today" is the Asia/Shanghai date: half past midnight on the 24th there is still the
 * 23rd in UTC, yet someone born on the 24th is already valid. */
static void
test_today_is_shanghai_date(void **state)
{
    (void)state;
    char out[IDNO_LEN + 1];
    set_today("2026-11-24T00:30:00+08:00");
    assert_int_equal(idno_normalize(ID_TODAY, IDNO_LEN, out), IDNO_OK);
    assert_true(idno_is_valid(ID_TODAY));
    set_today("2026-11-23T23:59:59+08:00");
    assert_int_equal(idno_normalize(ID_TODAY, IDNO_LEN, out), IDNO_BAD_DATE);
    assert_false(idno_is_valid(ID_TODAY));
    set_today("1995-06-01T12:00:00+08:00");
    assert_int_equal(idno_normalize(ID_X, IDNO_LEN, out), IDNO_OK);
    assert_int_equal(idno_normalize(ID_LEAP, IDNO_LEN, out), IDNO_BAD_DATE);
    time_set_fake_ms(0);                /* the real clock: 2000 is past, 2999 is not */
    assert_true(idno_is_valid(ID_LEAP));
    char future[IDNO_LEN + 1];
    test_make_id(future, "110102", 2999, 1, 1, 1);
    assert_int_equal(idno_normalize(future, IDNO_LEN, out), IDNO_BAD_DATE);
    set_today(TODAY);
}

static void
test_is_valid(void **state)
{
    (void)state;
    assert_true(idno_is_valid(ID_X));
    assert_true(idno_is_valid(ID_STD1));
    assert_false(idno_is_valid(NULL));
    assert_false(idno_is_valid(""));
    assert_false(idno_is_valid("11010219900307123x"));     /* not normalised */
    assert_false(idno_is_valid("11010219900307123"));
    assert_false(idno_is_valid(ID_X "0"));
    assert_false(idno_is_valid(" 11010219900307123X"));
    assert_false(idno_is_valid("110102199003071234"));     /* checksum */
    assert_false(idno_is_valid(ID_FEB30));                 /* date */
    assert_false(idno_is_valid("110102900307123"));        /* 15 digits are not valid as is */
}

static void
test_check_digit(void **state)
{
    (void)state;
    assert_int_equal(idno_check_digit("11010519491231002"), 'X');  /* GB 11643 examples */
    assert_int_equal(idno_check_digit("44052418800101001"), '4');
    assert_int_equal(idno_check_digit("11010219900307123"), 'X');
    assert_int_equal(idno_check_digit("11010219851124002"), '3');
    assert_int_equal(idno_check_digit("11010219900307400"), '0');
    assert_int_equal(idno_check_digit("1101021990030712a"), '\0');
    assert_int_equal(idno_check_digit("1101021990"), '\0');       /* short: stops at NUL */
    assert_int_equal(idno_check_digit(NULL), '\0');
    /* Every residue 0..10 maps to its character. */
    char first17[18] = "11010219900307000";
    int seen = 0;
    for (int s = 0; s < 1000; s++) {
        first17[14] = (char)('0' + s / 100);
        first17[15] = (char)('0' + s / 10 % 10);
        first17[16] = (char)('0' + s % 10);
        char c = idno_check_digit(first17);
        assert_int_equal(c, test_check_char(first17));
        seen |= 1 << (c == 'X' ? 10 : c - '0');
    }
    assert_int_equal(seen, 0x7ff);
}

static void
test_mask(void **state)
{
    (void)state;
    char out[IDNO_LEN + 1];
    idno_mask(ID_X, out);
    assert_string_equal(out, "110102********123X");
    idno_mask(ID_B, out);
    assert_string_equal(out, "110102********0023");
    char same[IDNO_LEN + 1] = ID_B;
    idno_mask(same, same);
    assert_string_equal(same, "110102********0023");
    memset(out, 'Z', sizeof out);
    idno_mask("110102", out);
    assert_string_equal(out, "");
    idno_mask(ID_B "1", out);
    assert_string_equal(out, "");
    idno_mask(NULL, out);
    assert_string_equal(out, "");
}

static void
test_status_codes(void **state)
{
    (void)state;
    assert_string_equal(idno_status_code(IDNO_OK), "ok");
    assert_string_equal(idno_status_code(IDNO_FIXED), "fixed");
    assert_string_equal(idno_status_code(IDNO_CONVERTED_15), "converted_15");
    assert_string_equal(idno_status_code(IDNO_BAD_CHECKSUM), "bad_checksum");
    assert_string_equal(idno_status_code(IDNO_BAD_DATE), "bad_date");
    assert_string_equal(idno_status_code(IDNO_EXCEL_CORRUPTED), "excel_corrupted");
    assert_string_equal(idno_status_code(IDNO_EMPTY), "empty");
    assert_string_equal(idno_status_code(IDNO_DUPLICATE), "duplicate");
    assert_string_equal(idno_status_code(IDNO_FORMULA), "formula");
    assert_string_equal(idno_status_code(IDNO_NOT_AN_ID), "not_an_id");
    assert_string_equal(idno_status_code((enum idno_status)99), "unknown");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fixtures_are_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_is_respected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_today_is_shanghai_date, setup, teardown),
        cmocka_unit_test_setup_teardown(test_is_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_digit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_codes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
