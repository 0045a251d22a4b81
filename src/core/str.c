/* core/str.c - see str.h. */
#include "core/str.h"

#include "core/err.h"
#include "core/utf8.h"

bool
str_eq(struct str a, struct str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

bool str_eq_cstr(struct str a, const char *s) { return str_eq(a, str_of(s)); }

bool
str_has_prefix(struct str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.n >= n && memcmp(a.p, prefix, n) == 0;
}

bool
str_has_suffix(struct str a, const char *suffix)
{
    size_t n = strlen(suffix);
    return a.n >= n && memcmp(a.p + a.n - n, suffix, n) == 0;
}

static bool
str_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

struct str
str_trim(struct str s)
{
    while (s.n && str_is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && str_is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

int
str_to_i64(struct str s, int64_t *out, int64_t min, int64_t max)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, limit;

    if (s.n && s.p[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == s.n || s.n - i > 19)
        return ERR_INVALID;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.n; i++) {
        unsigned d = (unsigned char)s.p[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return ERR_INVALID;
        v = v * 10 + d;
    }
    int64_t r = neg ? (int64_t)(0 - v) : (int64_t)v;
    if (r < min || r > max)
        return ERR_INVALID;
    *out = r;
    return 0;
}

int
cstr_to_i64(const char *s, int64_t *out, int64_t min, int64_t max)
{
    return s ? str_to_i64(str_of(s), out, min, max) : ERR_INVALID;
}

void
str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool
str_is_utf8(const char *p, size_t n)
{
    return n == 0 || (!memchr(p, '\0', n) && utf8_valid(p, n));
}

bool
str_has_ctl(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
            return true;
    return false;
}

size_t
str_strip_notes(char *out, size_t n)
{
    for (bool changed = true; changed && n;) {
        changed = false;
        char last = out[n - 1];
        if (last == ':') {
            n--;
            changed = true;
        } else if (last == ')' || last == ']') {
            char open = last == ')' ? '(' : '[';
            for (size_t k = n - 1; k-- > 0;)
                if (out[k] == open) {
                    n = k;
                    changed = true;
                    break;
                }
        }
        if (n && (out[0] == '(' || out[0] == '[')) {
            char close = out[0] == '(' ? ')' : ']';
            for (size_t k = 1; k < n; k++)
                if (out[k] == close) {
                    memmove(out, out + k + 1, n - k - 1);
                    n -= k + 1;
                    changed = true;
                    break;
                }
        }
    }
    return n;
}
