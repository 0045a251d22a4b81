/* domain/account/user_profile.c - an account's profile (issue 14 "New-user dialog"; S1, S6):
 * the real name and the phone sealed like every other personal field (crypto/field.h), a
 * blind index of the real name for the users list's search, masks for display.
 */
#include "domain/account/user.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/utf8.h"
#include "crypto/field.h"

#define AD_REAL_NAME "users.real_name"
#define AD_PHONE "users.phone"
#define BIDX_REAL_NAME "user.real_name"

/* profile_text checks one optional text field: UTF-8, no control characters, at most max
 * characters. */
static int
profile_text(const char *name, const char *v, size_t max, struct buf *why)
{
    size_t n = v ? strlen(v) : 0;
    if (!n)
        return 0;
    if (!str_is_utf8(v, n) || str_has_ctl(v, n)) {
        buf_printf(why, "'%s' contains characters that are not allowed", name);
        return ERR_INVALID;
    }
    if (utf8_count(v, n) > max) {
        buf_printf(why, "'%s' must have at most %zu characters", name, max);
        return ERR_INVALID;
    }
    return 0;
}

/* profile_phone_ok: at most USER_PHONE_MAX characters of digits, '-' and spaces (a leading
 * '+' allowed), at least 7 digits. */
static bool
profile_phone_ok(const char *v)
{
    size_t n = strlen(v), digits = 0;
    if (n > USER_PHONE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] >= '0' && v[i] <= '9')
            digits++;
        else if (!(v[i] == '-' || v[i] == ' ' || (v[i] == '+' && i == 0)))
            return false;
    }
    return digits >= 7;
}

int
user_profile_check(const struct user_profile *p, struct buf *why)
{
    int rc;
    if (!p)
        return 0;
    if ((rc = profile_text("real_name", p->real_name, USER_REAL_NAME_MAX, why)) ||
        (rc = profile_text("organisation", p->organisation, USER_ORG_MAX, why)))
        return rc;
    if (p->phone && *p->phone && !profile_phone_ok(p->phone)) {
        buf_adds(why, "'phone' must be a phone number of 7-20 digits");
        return ERR_INVALID;
    }
    return 0;
}

/* profile_trim copies s trimmed of ASCII white space into out (cap > 0). */
static void
profile_trim(const char *s, char *out, size_t cap)
{
    struct str t = str_trim(str_of(s));
    size_t n = t.n < cap - 1 ? t.n : cap - 1;
    memcpy(out, t.p, n);
    out[n] = '\0';
}

int64_t
user_real_name_bidx(const struct keyring *kr, const char *name)
{
    char t[USER_REAL_NAME_MAX * 4 + 1];
    profile_trim(name ? name : "", t, sizeof t);
    return t[0] ? blind_index(kr, BIDX_REAL_NAME, t, strlen(t)) : 0;
}

int
user_profile_seal(const struct keyring *kr, const struct user_profile *p, struct user *u, int64_t *name_bidx)
{
    char t[USER_SEALED_MAX];
    int rc;
    *name_bidx = 0;
    u->real_name_sealed_len = u->phone_sealed_len = 0;
    u->organisation[0] = '\0';
    if (!p)
        return 0;
    profile_trim(p->real_name ? p->real_name : "", t, sizeof t);
    if (t[0]) {
        if ((rc = field_seal(kr, AD_REAL_NAME, t, strlen(t), u->real_name_sealed, sizeof u->real_name_sealed,
                             &u->real_name_sealed_len)))
            return rc;
        *name_bidx = user_real_name_bidx(kr, t);
    }
    profile_trim(p->phone ? p->phone : "", t, sizeof t);
    if (t[0] && (rc = field_seal(kr, AD_PHONE, t, strlen(t), u->phone_sealed, sizeof u->phone_sealed,
                                 &u->phone_sealed_len)))
        return rc;
    profile_trim(p->organisation ? p->organisation : "", u->organisation, sizeof u->organisation);
    return 0;
}

/* profile_open opens one sealed field into out ("" when empty or unopenable). */
static void
profile_open(const struct keyring *kr, const char *ad, const uint8_t *c, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (n && field_open(kr, ad, c, n, (uint8_t *)out, cap, &len))
        out[0] = '\0';
}

void
user_masked_real_name(const struct keyring *kr, const struct user *u, char *out, size_t cap)
{
    char plain[USER_SEALED_MAX];
    size_t n, i = 0, o;
    out[0] = '\0';
    profile_open(kr, AD_REAL_NAME, u->real_name_sealed, u->real_name_sealed_len, plain, sizeof plain);
    n = strlen(plain);
    if (!n || cap < 8)
        goto out;
    utf8_next(plain, n, &i); /* keep the first character */
    memcpy(out, plain, i);
    o = i;
    while (i < n && o + 1 < cap) {
        utf8_next(plain, n, &i);
        out[o++] = '*';
    }
    out[o] = '\0';
out:
    wipe(plain, sizeof plain);
}

void
user_masked_phone(const struct keyring *kr, const struct user *u, char *out, size_t cap)
{
    char plain[USER_SEALED_MAX], d[USER_PHONE_MAX + 1];
    size_t n = 0, keep_head, o = 0;
    out[0] = '\0';
    profile_open(kr, AD_PHONE, u->phone_sealed, u->phone_sealed_len, plain, sizeof plain);
    for (const char *p = plain; *p && n < USER_PHONE_MAX; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    d[n] = '\0';
    if (n && cap > n) {
        keep_head = n >= 11 ? 3 : 0;
        for (size_t i = 0; i < n; i++)
            out[o++] = (i < keep_head || i >= n - (n >= 11 ? 4 : 2)) ? d[i] : '*';
        out[o] = '\0';
    }
    wipe(plain, sizeof plain);
    wipe(d, sizeof d);
}
