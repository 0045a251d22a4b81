/* io/table_xlsx_value.c - what an .xlsx cell becomes: formula literals and date serials
 * (R4.3, R4.5; issue 7).
 *
 * Scripts (openpyxl, many exporters) write formulas without a cached result, so a cell
 * holding ="110102…" would read as empty. A formula that is a plain literal is evaluated
 * here, exactly as Excel would show it; nothing else is evaluated (no references, no
 * operators, no functions but T() of a literal). Date serials become ISO text on the
 * proleptic Gregorian calendar, from 1899-12-30 (with Excel's fictitious 1900-02-29 kept
 * for serial 60) or from 1904-01-01. Pure functions: no state, nothing read.
 */
#include "io/table_xlsx.h"

#include <stdio.h>
#include <string.h>

static bool
xlsx_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
xlsx_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* xlsx_string_literal: p[0..n) is exactly one "…" literal with "" escapes. */
static bool
xlsx_string_literal(const char *p, size_t n, struct buf *out)
{
    if (n < 2 || p[0] != '"' || p[n - 1] != '"')
        return false;
    for (size_t i = 1; i < n - 1; i++)                  /* every inner quote is doubled */
        if (p[i] == '"' && (i + 1 >= n - 1 || p[++i] != '"'))
            return false;
    for (size_t i = 1; i < n - 1; i++) {
        buf_addch(out, p[i]);
        i += p[i] == '"';
    }
    return true;
}

/* xlsx_number_literal: p[0..n) is [+-]digits[.digits][E[+-]digits] (or .5, 5.). */
static bool
xlsx_number_literal(const char *p, size_t n, struct buf *out)
{
    size_t i = 0, digits = 0;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        i++;
    while (i < n && xlsx_digit(p[i]))
        i++, digits++;
    if (i < n && p[i] == '.')
        for (i++; i < n && xlsx_digit(p[i]); i++)
            digits++;
    if (!digits)
        return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-'))
            i++;
        while (i < n && xlsx_digit(p[i]))
            i++, e++;
        if (!e)
            return false;
    }
    if (i != n)
        return false;
    if (p[0] == '+')
        p++, n--;
    buf_add(out, p, n);
    return true;
}

bool
xlsx__formula_literal(const char *f, size_t n, struct buf *out, bool *number)
{
    size_t mark = out->len;
    while (n && xlsx_space(f[n - 1]))
        n--;
    while (n && xlsx_space(*f))
        f++, n--;
    if (n && *f == '=') {
        f++, n--;
        while (n && xlsx_space(*f))
            f++, n--;
    }
    /* T("…") is its argument; an optional _xlfn.-free spelling only. */
    if (n >= 4 && (f[0] == 'T' || f[0] == 't') && f[1] == '(' && f[n - 1] == ')') {
        const char *a = f + 2;
        size_t k = n - 3;
        while (k && xlsx_space(*a))
            a++, k--;
        while (k && xlsx_space(a[k - 1]))
            k--;
        *number = false;
        return xlsx_string_literal(a, k, out);
    }
    if (n && f[0] == '"') {
        *number = false;
        if (xlsx_string_literal(f, n, out))
            return true;
        out->len = mark;
        return false;
    }
    *number = true;
    return xlsx_number_literal(f, n, out);
}

/* xlsx_civil turns days since 1970-01-01 into a Gregorian date (H. Hinnant's algorithm). */
static void
xlsx_civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* xlsx_serial splits a plain decimal p[0..n) ([+]digits[.digits][E[+-]digits]) into whole
 * days and the fraction of a day in seconds, rounded. False when negative, malformed or
 * too large for a date. */
static bool
xlsx_serial(const char *p, size_t n, uint64_t *days, uint32_t *secs)
{
    char dig[64];
    size_t nd = 0, i = 0;
    long point = -1, exp = 0;
    bool any = false;

    if (i < n && p[i] == '+')
        i++;
    for (; i < n && (xlsx_digit(p[i]) || (p[i] == '.' && point < 0)); i++) {
        if (p[i] == '.') {
            point = (long)nd;
            continue;
        }
        any = true;
        if (nd == 0 && p[i] == '0' && point < 0)
            continue;                               /* leading zeros of the whole part */
        if (nd < sizeof dig)
            dig[nd++] = p[i];
        else if (point < 0)
            return false;                           /* far too many whole digits */
    }
    if (!any)
        return false;
    if (point < 0)
        point = (long)nd;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        bool neg = false;
        size_t e = 0;
        if (++i < n && (p[i] == '+' || p[i] == '-'))
            neg = p[i++] == '-';
        for (; i < n && xlsx_digit(p[i]); i++, e++)
            if (exp < 1000)
                exp = exp * 10 + (p[i] - '0');
        if (!e)
            return false;
        exp = neg ? -exp : exp;
    }
    if (i != n)
        return false;
    point += exp;                                   /* digits [0, point) are whole days */
    if (point > 9)
        return false;                               /* a billion days or more: no date */
    uint64_t whole = 0, frac = 0, scale = 1;
    for (long k = 0; k < point; k++)
        whole = whole * 10 + (k >= 0 && (size_t)k < nd ? (uint64_t)(dig[k] - '0') : 0);
    for (long k = point; k < point + 12; k++) {     /* 12 fraction digits: 86 ns */
        frac = frac * 10 + (k >= 0 && (size_t)k < nd ? (uint64_t)(dig[k] - '0') : 0);
        scale *= 10;
    }
    uint64_t s = (frac * 86400 + scale / 2) / scale;
    if (s == 86400) {
        whole++;
        s = 0;
    }
    *days = whole;
    *secs = (uint32_t)s;
    return true;
}

bool
xlsx__date_text(const char *p, size_t n, bool date1904, char out[XLSX_DATE_MAX])
{
    uint64_t days;
    uint32_t secs;
    int y;
    unsigned m, d;

    if (!xlsx_serial(p, n, &days, &secs))
        return false;
    if (date1904 ? days > 2957003 : days < 1 || days > 2958465)
        return false;                               /* Excel shows no date for them */
    if (!date1904 && days == 60) {
        y = 1900, m = 2, d = 29;                    /* Lotus 1-2-3's leap day, as Excel shows */
    } else {
        /* 1899-12-31 is serial 1 before the fictitious day, 1899-12-30 + serial after it. */
        int64_t base = date1904 ? -24107 : days < 60 ? -25568 : -25569;
        xlsx_civil(base + (int64_t)days, &y, &m, &d);
    }
    if (secs)
        snprintf(out, XLSX_DATE_MAX, "%04d-%02u-%02u %02u:%02u:%02u", y, m, d, secs / 3600,
                 secs / 60 % 60, secs % 60);
    else
        snprintf(out, XLSX_DATE_MAX, "%04d-%02u-%02u", y, m, d);
    return true;
}
