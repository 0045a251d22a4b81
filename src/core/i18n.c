/* core/i18n.c - Accept-Language negotiation and the message catalogue (see i18n.h). */
#include "core/i18n.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct i18n_row {
    const char *reason, *en, *zh;
};

static const struct i18n_row i18n_rows[] = {
#define I18N_MSG(reason, en, zh) { reason, en, zh },
#include "core/i18n_table.h"
#undef I18N_MSG
};

#define I18N_NROWS (sizeof i18n_rows / sizeof i18n_rows[0])
#define I18N_MAX_ARGS 6
#define I18N_MATCH_BUDGET 20000 /* match steps per row: a pathological message is "not found" */

/* ---- Accept-Language ------------------------------------------------------------- */

/* i18n_q parses the q of "q=0.8" (from p[0..n)) in thousandths; a bad one counts as 0. */
static int
i18n_q(const char *p, size_t n)
{
    int q = 0, scale = 1000;
    size_t i = 0;
    if (n == 0 || (p[0] != '0' && p[0] != '1'))
        return 0;
    q = (p[0] - '0') * 1000;
    if (n > 1 && p[1] != '.')
        return 0;
    for (i = 2; i < n && i < 5; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        scale /= 10;
        q += (p[i] - '0') * scale;
    }
    return q > 1000 ? 1000 : q;
}

static bool
i18n_is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* i18n_range_lang says which of our languages a language range names: 0 zh, 1 en, -1 none. */
static int
i18n_range_lang(const char *p, size_t n)
{
    if (n >= 2 && strncasecmp(p, "zh", 2) == 0 && (n == 2 || p[2] == '-'))
        return I18N_ZH;
    if (n >= 2 && strncasecmp(p, "en", 2) == 0 && (n == 2 || p[2] == '-'))
        return I18N_EN;
    return -1;
}

enum i18n_lang
i18n_lang_parse(const char *h)
{
    enum i18n_lang best = I18N_ZH;
    int best_q = 0;
    if (!h)
        return I18N_ZH;
    while (*h) {
        const char *end = strchr(h, ',');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        const char *p = h, *stop = h + len;
        while (p < stop && i18n_is_space(*p))
            p++;
        const char *tag = p;
        while (p < stop && *p != ';' && !i18n_is_space(*p))
            p++;
        int lang = i18n_range_lang(tag, (size_t)(p - tag)), q = 1000;
        for (const char *s = p; s < stop; s++) { /* the q parameter, wherever it sits */
            if (*s != ';')
                continue;
            s++;
            while (s < stop && i18n_is_space(*s))
                s++;
            if (stop - s >= 2 && (s[0] == 'q' || s[0] == 'Q') && s[1] == '=') {
                const char *v = s + 2, *ve = v;
                while (ve < stop && *ve != ';' && !i18n_is_space(*ve))
                    ve++;
                q = i18n_q(v, (size_t)(ve - v));
            }
        }
        if (lang >= 0 && q > best_q) {
            best = (enum i18n_lang)lang;
            best_q = q;
        }
        h += len;
        if (*h == ',')
            h++;
    }
    return best;
}

const char *
i18n_lang_tag(enum i18n_lang lang)
{
    return lang == I18N_EN ? "en" : "zh-CN";
}

/* ---- formats as patterns ----------------------------------------------------------- */

/* i18n_spec_len returns the length of the printf conversion at f (f[0] == '%', not
 * "%%"), 0 if it is not one. */
static size_t
i18n_spec_len(const char *f)
{
    size_t i = 1;
    while (f[i] && strchr("-+ #0123456789.*", f[i]))
        i++;
    while (f[i] && strchr("hlLjzt", f[i]))
        i++;
    if (f[i] && strchr("diouxXeEfFgGcs", f[i]))
        return i + 1;
    return 0;
}

/* PRIu64 and friends expand inside the English formats; the catalogue writes them out. */
struct i18n_cap {
    const char *p;
    size_t n;
};

struct i18n_matcher {
    struct i18n_cap caps[I18N_MAX_ARGS];
    size_t budget;
};

/* i18n_match says whether s matches the format pat from its conversion number k on;
 * conversions match any text (shortest first), captured in m->caps. */
static bool
i18n_match(struct i18n_matcher *m, const char *pat, const char *s, size_t k)
{
    while (*pat) {
        if (m->budget == 0)
            return false;
        m->budget--;
        if (pat[0] == '%' && pat[1] == '%') {
            if (*s != '%')
                return false;
            pat += 2;
            s++;
            continue;
        }
        if (pat[0] == '%') {
            size_t len = i18n_spec_len(pat);
            if (!len || k >= I18N_MAX_ARGS)
                return false;
            const char *rest = pat + len;
            for (const char *e = s;; e++) {
                /* only try ends where the rest's first literal character stands */
                if (!*rest || rest[0] == '%' || *e == *rest) {
                    m->caps[k] = (struct i18n_cap){ s, (size_t)(e - s) };
                    if (i18n_match(m, rest, e, k + 1))
                        return true;
                }
                if (!*e || m->budget == 0)
                    return false;
            }
        }
        if (*pat != *s)
            return false;
        pat++;
        s++;
    }
    return *s == '\0';
}

/* i18n_put appends p[0..n) to out at *at, never splitting a UTF-8 character. */
static void
i18n_put(char *out, size_t cap, size_t *at, const char *p, size_t n)
{
    if (*at + n >= cap) {
        n = cap - 1 - *at;
        while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out + *at, p, n);
    *at += n;
    out[*at] = '\0';
}

/* i18n_render writes the format f with its conversions replaced by the captures. */
static void
i18n_render(const char *f, const struct i18n_cap *caps, char *out, size_t cap)
{
    size_t at = 0, k = 0;
    out[0] = '\0';
    while (*f) {
        const char *lit = f;
        while (*f && *f != '%')
            f++;
        i18n_put(out, cap, &at, lit, (size_t)(f - lit));
        if (!*f)
            break;
        if (f[1] == '%') {
            i18n_put(out, cap, &at, "%", 1);
            f += 2;
            continue;
        }
        size_t len = i18n_spec_len(f);
        if (!len)
            break;
        if (k < I18N_MAX_ARGS) {
            i18n_put(out, cap, &at, caps[k].p, caps[k].n);
            k++;
        }
        f += len;
    }
}

const char *
i18n_translate(const char *en, enum i18n_lang lang, char *out, size_t cap)
{
    if (!en || !cap)
        return NULL;
    for (size_t i = 0; i < I18N_NROWS; i++) {
        struct i18n_matcher m = { .budget = I18N_MATCH_BUDGET };
        if (!i18n_match(&m, i18n_rows[i].en, en, 0))
            continue;
        i18n_render(lang == I18N_EN ? i18n_rows[i].en : i18n_rows[i].zh, m.caps, out, cap);
        return i18n_rows[i].reason;
    }
    return NULL;
}

/* i18n_nconv counts the conversions of a format; SIZE_MAX-like 99 for a bad one. */
static size_t
i18n_nconv(const char *f)
{
    size_t n = 0;
    for (; *f; f++) {
        if (*f != '%')
            continue;
        if (f[1] == '%') {
            f++;
            continue;
        }
        size_t len = i18n_spec_len(f);
        if (!len)
            return 99;
        n++;
        f += len - 1;
    }
    return n;
}

size_t
i18n_catalogue_check(void)
{
    for (size_t i = 0; i < I18N_NROWS; i++) {
        const struct i18n_row *r = &i18n_rows[i];
        size_t n = i18n_nconv(r->en);
        if (n > I18N_MAX_ARGS || n != i18n_nconv(r->zh) || !r->reason[0])
            return i + 1;
        for (const char *c = r->reason; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
                return i + 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(i18n_rows[j].reason, r->reason) == 0 || strcmp(i18n_rows[j].en, r->en) == 0)
                return i + 1;
    }
    return 0;
}
