/* domain/exchange/site_match_norm.c - the comparable form of a testing site's name or
 * address and the similarity of two such forms (R2.11; see site_match.h, step 2 and 4). */
#include "domain/exchange/site_match.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "domain/places/text_norm.h"

/* Dropped wherever they occur, longest first. */
static const char *const drop_words[] = {
    "街道办事处", "核酸检测", "核酸采样", "常态化", "北京市", "核酸", "检测", "采样", "便民",
    "点位", "服务", "附近", "北京", "(", ")", "[", "]", "（", "）", "·", "、", "-", "_", ",", "，",
    "点", "站", NULL,
};
/* District prefixes dropped at the start. */
static const char *const districts[] = {
    "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", NULL,
};
static const char *const cn_digits[] = { "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", NULL };

/* replace_all replaces every from in s (NUL-terminated, in a SITE_MATCH_NORM_CAP buffer) by
 * to, which is never longer than from. */
static void
replace_all(char *s, const char *from, const char *to)
{
    size_t fn = strlen(from), tn = strlen(to);
    char *p = s;
    while ((p = strstr(p, from))) {
        memmove(p + tn, p + fn, strlen(p + fn) + 1);
        memcpy(p, to, tn);
        p += tn;
    }
}

/* drop_subdistrict drops a leading "…街道" of at most 6 characters before it. */
static void
drop_subdistrict(char *s)
{
    const char *p = strstr(s, "街道");
    if (!p || p == s)
        return;
    size_t chars = utf8_count(s, (size_t)(p - s));
    if (chars > 6)
        return;
    p += strlen("街道");
    memmove(s, p, strlen(p) + 1);
}

/* numbers turns 一号..十号 into 1号..10号 and drops leading zeros of digit runs. */
static void
numbers(char *s)
{
    char from[16], to[16]; /* to: up to 11 digits + "号" (3 bytes) + NUL, so no truncation */
    for (int i = 0; cn_digits[i]; i++) {
        snprintf(from, sizeof from, "%s号", cn_digits[i]);
        snprintf(to, sizeof to, "%d号", i + 1);
        replace_all(s, from, to);
    }
    char *w = s;
    for (const char *r = s; *r;) {
        bool start = r == s || !(r[-1] >= '0' && r[-1] <= '9');
        if (start && *r == '0' && r[1] >= '0' && r[1] <= '9') {
            r++;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
}

size_t
site_match_norm(const char *in, char out[SITE_MATCH_NORM_CAP])
{
    text_norm(str_of(in ? in : ""), 0, out, SITE_MATCH_NORM_CAP, NULL);
    if (strncmp(out, "北京市", strlen("北京市")) == 0)
        memmove(out, out + strlen("北京市"), strlen(out + strlen("北京市")) + 1);
    for (int i = 0; districts[i]; i++) {
        size_t n = strlen(districts[i]);
        if (strncmp(out, districts[i], n) == 0) {
            memmove(out, out + n, strlen(out + n) + 1);
            break;
        }
    }
    replace_all(out, "街道办事处", "街道");
    drop_subdistrict(out);
    replace_all(out, "号院", "号");
    for (int i = 0; drop_words[i]; i++)
        replace_all(out, drop_words[i], "");
    numbers(out);
    return strlen(out);
}

#define SIM_MAX_CHARS 128

static size_t
codepoints(const char *s, uint32_t *cp)
{
    size_t i = 0, n = 0, len = strlen(s);
    while (i < len && n < SIM_MAX_CHARS)
        cp[n++] = utf8_next_or_fffd(s, len, &i);
    return n;
}

double
site_match_similarity(const char *a, const char *b)
{
    uint32_t x[SIM_MAX_CHARS], y[SIM_MAX_CHARS];
    size_t nx = codepoints(a, x), ny = codepoints(b, y);
    if (!nx || !ny)
        return 0;
    if (strcmp(a, b) == 0)
        return 1;
    if (nx < 2 || ny < 2)
        return (nx == 1 && ny == 1) ? (x[0] == y[0]) : 0;
    /* Dice over character bigrams, each bigram of y used once */
    bool used[SIM_MAX_CHARS] = { false };
    size_t common = 0;
    for (size_t i = 0; i + 1 < nx; i++)
        for (size_t j = 0; j + 1 < ny; j++)
            if (!used[j] && x[i] == y[j] && x[i + 1] == y[j + 1]) {
                used[j] = true;
                common++;
                break;
            }
    double dice = 2.0 * (double)common / (double)(nx - 1 + ny - 1);
    if ((nx >= 2 && strstr(b, a)) || (ny >= 2 && strstr(a, b)))
        dice = dice > 0.9 ? dice : 0.9;
    return dice;
}
