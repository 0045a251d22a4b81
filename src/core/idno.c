/* core/idno.c - cleaning and checking national ID numbers (GB 11643-1999).
 *
 * This is the cleaner behind batch imports of the subdistricts' Excel sheets (R4.5) and the
 * single canonical form (18 characters, uppercase X) that the encrypted store and its blind
 * index key on (S1). It is not the duplicate check (the batch owns that) and it never logs.
 * It runs a million times per batch, so it makes one pass over the input, allocates nothing,
 * keeps its only copy of the digits in the caller's output buffer and wipes that buffer
 * whenever it rejects a value. The classification rules are part of the contract in idno.h.
 */
#include "core/idno.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/time.h"

const char *
idno_status_code(enum idno_status st)
{
    static const char *const codes[] = {
#define IDNO__CODE(name, code, word) code,
        IDNO_STATUS_TABLE(IDNO__CODE)
#undef IDNO__CODE
    };
    if ((unsigned)st >= sizeof codes / sizeof codes[0])
        return "unknown";
    return codes[st];
}

const char *
idno_status_word(enum idno_status st)
{
    static const char *const words[] = {
#define IDNO__WORD(name, code, word) word,
        IDNO_STATUS_TABLE(IDNO__WORD)
#undef IDNO__WORD
    };
    if ((unsigned)st >= sizeof words / sizeof words[0])
        return "未知";
    return words[st];
}

char
idno_check_digit(const char *first17)
{
    static const unsigned char weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[] = "10X98765432";
    unsigned sum = 0;
    if (!first17)
        return '\0';
    for (int i = 0; i < 17; i++) {
        unsigned d = (unsigned)(unsigned char)first17[i] - '0';
        if (d > 9)
            return '\0';
        sum += d * weight[i];
    }
    return check[sum % 11];
}

/* idno_today returns today's date in Asia/Shanghai (UTC+8) as yyyymmdd. */
static int32_t
idno_today(void)
{
    int64_t ms = time_now_ms() + 8 * 3600 * INT64_C(1000);
    int64_t z = ms / 86400000 - (ms % 86400000 < 0); /* days since 1970-01-01, floored */
    /* civil_from_days (H. Hinnant), proleptic Gregorian. */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y > 9999)
        y = 9999;
    if (y < 0)
        y = 0;
    return (int32_t)(y * 10000 + m * 100 + d);
}

/* idno_date_ok: p holds 8 ASCII digits yyyymmdd (checked by the caller); true for a real
 * calendar date from 1900-01-01 up to and including today (UTC+8). */
static bool
idno_date_ok(const char *p)
{
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    int m = (p[4] - '0') * 10 + (p[5] - '0');
    int d = (p[6] - '0') * 10 + (p[7] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return (int32_t)y * 10000 + m * 100 + d <= idno_today();
}

bool
idno_is_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < 17; i++)        /* stops at the NUL of a short string */
        if (s[i] < '0' || s[i] > '9')
            return false;
    if (!((s[17] >= '0' && s[17] <= '9') || s[17] == 'X') || s[18] != '\0')
        return false;
    return idno_check_digit(s) == s[17] && idno_date_ok(s + 6);
}

void
idno_mask(const char *id18, char out[IDNO_LEN + 1])
{
    size_t n = 0;
    if (id18)
        while (n <= IDNO_LEN && id18[n])
            n++;
    if (n != IDNO_LEN) {                /* not an 18-char id: reveal nothing */
        out[0] = '\0';
        return;
    }
    /* Positions 0-5 and 14-17 map onto themselves, so out may alias id18. */
    for (int i = 0; i < 6; i++)
        out[i] = id18[i];
    memset(out + 6, '*', 8);
    for (int i = 14; i < IDNO_LEN; i++)
        out[i] = id18[i];
    out[IDNO_LEN] = '\0';
}

/* Character classes after decoding one (possibly multi-byte) character. */
enum idno__cls {
    IDNO__SKIP,                         /* white space of any kind, zero-width characters */
    IDNO__DIGIT,
    IDNO__X,
    IDNO__QUOTE,                        /* " ' and the curly quotes */
    IDNO__EQ,
    IDNO__DOT,
    IDNO__EXP,                          /* E e */
    IDNO__SIGN,                         /* + - */
    IDNO__COMMA,
    IDNO__OTHER
};

static enum idno__cls
idno_ascii_class(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return IDNO__DIGIT;
    switch (c) {
    case 'X': case 'x':
        return IDNO__X;
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return IDNO__SKIP;
    case '"': case '\'':
        return IDNO__QUOTE;
    case '=':
        return IDNO__EQ;
    case '.':
        return IDNO__DOT;
    case 'E': case 'e':
        return IDNO__EXP;
    case '+': case '-':
        return IDNO__SIGN;
    case ',':
        return IDNO__COMMA;
    default:
        return IDNO__OTHER;
    }
}

/* idno_decode classifies the character at p[*i] (of n bytes), advances *i past it and, for
 * ASCII and full-width forms, stores the ASCII equivalent in *c. Only the few multi-byte
 * sequences listed are recognised; every other byte sequence, valid UTF-8 or not, is OTHER. */
static enum idno__cls
idno_decode(const unsigned char *p, size_t n, size_t *i, unsigned char *c)
{
    unsigned char b0 = p[*i], b1, b2;
    *c = b0;
    if (b0 < 0x80) {
        *i += 1;
        return idno_ascii_class(b0);
    }
    if (b0 == 0xC2 && *i + 1 < n && (p[*i + 1] == 0xA0 || p[*i + 1] == 0x85)) {
        *i += 2;                        /* U+00A0 NBSP, U+0085 NEL */
        return IDNO__SKIP;
    }
    if (*i + 2 >= n)
        return IDNO__OTHER;
    b1 = p[*i + 1];
    b2 = p[*i + 2];
    if (b0 == 0xE2 && b1 == 0x80) {
        if (b2 <= 0x8B || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) {
            *i += 3;                    /* U+2000-U+200B spaces, U+2028/9, U+202F */
            return IDNO__SKIP;
        }
        if (b2 == 0x98 || b2 == 0x99 || b2 == 0x9C || b2 == 0x9D) {
            *i += 3;                    /* U+2018 U+2019 U+201C U+201D */
            return IDNO__QUOTE;
        }
        return IDNO__OTHER;
    }
    if (b0 == 0xE2 && b1 == 0x81 && (b2 == 0x9F || b2 == 0xA0)) {
        *i += 3;                        /* U+205F, U+2060 word joiner */
        return IDNO__SKIP;
    }
    if (b0 == 0xE3 && b1 == 0x80 && b2 == 0x80) {
        *i += 3;                        /* U+3000 ideographic space */
        return IDNO__SKIP;
    }
    if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) {
        *i += 3;                        /* U+FEFF byte-order mark / zero-width no-break */
        return IDNO__SKIP;
    }
    if (b0 == 0xEF && ((b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) ||
                       (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E))) {
        *i += 3;                        /* U+FF01-U+FF5E full-width ASCII */
        *c = (unsigned char)((b1 == 0xBC ? 0x20 : 0x60) + (b2 - 0x80));
        return idno_ascii_class(*c);
    }
    return IDNO__OTHER;
}

/* Parser states: before the number, its integer digits, fraction, exponent, after it. */
enum idno__state { IDNO__PRE, IDNO__INT, IDNO__FRAC, IDNO__EXP_SIGN, IDNO__EXP_DIGITS, IDNO__POST };

/* idno_finish_15 widens the 15 digits in out to 18 (century 19 and a check digit). */
static enum idno_status
idno_finish_15(char out[IDNO_LEN + 1])
{
    memmove(out + 8, out + 6, 9);
    out[6] = '1';
    out[7] = '9';
    out[17] = idno_check_digit(out);
    out[18] = '\0';
    return idno_date_ok(out + 6) ? IDNO_CONVERTED_15 : IDNO_BAD_DATE;
}

enum idno_status
idno_normalize(const char *in, size_t n, char out[IDNO_LEN + 1])
{
    const unsigned char *p = (const unsigned char *)in;
    enum idno__state state = IDNO__PRE;
    enum idno_status st = IDNO_NOT_AN_ID;
    size_t nint = 0, i = 0;             /* integer digits seen (only the first 18 are kept) */
    size_t nexp = 0;                    /* exponent digits seen */
    int64_t expv = 0;
    bool has_x = false, has_dot = false, has_comma = false, has_exp = false;
    bool after_comma = false, frac_nonzero = false, exp_neg = false;
    unsigned char c;

    out[0] = '\0';
    if (!in)
        n = 0;
    while (i < n) {
        enum idno__cls cls = idno_decode(p, n, &i, &c);
        switch (cls) {
        case IDNO__SKIP:
            continue;
        case IDNO__QUOTE:
            if (state != IDNO__PRE)
                state = IDNO__POST;     /* closing quotes end the number */
            continue;
        case IDNO__EQ:
            if (state != IDNO__PRE)
                goto out;
            continue;
        case IDNO__DIGIT:
            if (state == IDNO__PRE)
                state = IDNO__INT;
            if (state == IDNO__INT) {
                if (has_x)
                    goto out;           /* X is only ever the last character */
                if (nint < IDNO_LEN)
                    out[nint] = (char)c;
                nint++;
                after_comma = false;
            } else if (state == IDNO__FRAC) {
                frac_nonzero |= c != '0';
            } else if (state == IDNO__EXP_SIGN || state == IDNO__EXP_DIGITS) {
                state = IDNO__EXP_DIGITS;
                nexp++;
                if (expv < 1000)
                    expv = expv * 10 + (c - '0');
            } else {
                goto out;
            }
            continue;
        case IDNO__X:
            if (state != IDNO__INT || has_x || has_comma)
                goto out;               /* numbers have no X */
            if (nint < IDNO_LEN)
                out[nint] = 'X';
            has_x = true;
            continue;
        case IDNO__DOT:
            if (state != IDNO__INT || has_x || after_comma || has_dot)
                goto out;
            has_dot = true;
            state = IDNO__FRAC;
            continue;
        case IDNO__EXP:
            if ((state != IDNO__INT && state != IDNO__FRAC) || has_x || after_comma)
                goto out;
            has_exp = true;
            state = IDNO__EXP_SIGN;
            continue;
        case IDNO__SIGN:
            if (state != IDNO__EXP_SIGN)
                goto out;
            exp_neg = c == '-';
            state = IDNO__EXP_DIGITS;   /* at least one digit must follow: nexp, below */
            continue;
        case IDNO__COMMA:
            if (state != IDNO__INT || has_x || after_comma)
                goto out;
            has_comma = after_comma = true;
            continue;
        case IDNO__OTHER:
        default:
            goto out;
        }
    }
    if (state == IDNO__PRE) {           /* nothing but spaces, quotes and '=' */
        st = IDNO_EMPTY;
        goto out;
    }
    if (after_comma || (has_exp && nexp == 0))
        goto out;                       /* "1,", "1E", "1E+" */

    if (has_exp) {
        /* Scientific notation: Excel's display of a number. Its size in digits decides
         * whether it was an ID (15 to 18 digits) or something else. */
        int64_t digits = (int64_t)(nint > 100 ? 100 : nint) + (exp_neg ? -expv : expv);
        if (out[0] != '0' && digits >= 15 && digits <= IDNO_LEN)
            st = IDNO_EXCEL_CORRUPTED;
        goto out;
    }
    if (has_dot || has_comma) {
        /* A number written out ("110102199003077000.0", "110,102,..."): a float cannot hold
         * 16 or more digits, so those are corrupted whatever their check digit says; 15
         * digits survive a float exactly and are read as a first-generation number. */
        if (frac_nonzero)
            goto out;
        if (nint >= 16 && nint <= IDNO_LEN)
            st = IDNO_EXCEL_CORRUPTED;
        else if (nint == 15)
            st = idno_finish_15(out);
        goto out;
    }
    if (nint == 15 && !has_x) {
        st = idno_finish_15(out);
        goto out;
    }
    if (nint + has_x != IDNO_LEN)
        goto out;
    out[IDNO_LEN] = '\0';
    if (idno_check_digit(out) != out[17]) {
        /* Excel keeps 15 significant digits and zeroes the rest. */
        st = memcmp(out + 15, "000", 3) == 0 ? IDNO_EXCEL_CORRUPTED : IDNO_BAD_CHECKSUM;
        goto out;
    }
    if (!idno_date_ok(out + 6)) {
        st = IDNO_BAD_DATE;
        goto out;
    }
    st = n == IDNO_LEN && memcmp(in, out, IDNO_LEN) == 0 ? IDNO_OK : IDNO_FIXED;
out:
    if (st != IDNO_OK && st != IDNO_FIXED && st != IDNO_CONVERTED_15)
        wipe(out, IDNO_LEN + 1);
    return st;
}
