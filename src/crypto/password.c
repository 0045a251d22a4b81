/* crypto/password.c - password hashing and checking with PBKDF2-HMAC-SM3 (R1.7, S6 identity
 * authentication). Parses stored hashes defensively: a malformed or hostile string is
 * ERR_INVALID and its iteration count is capped. Password policy (length, complexity,
 * expiry, lockout) lives in the auth domain, not here.
 */
#include "crypto/password.h"

#include <string.h>

#include "core/alloc.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/sm.h"

#define PW_PREFIX "pbkdf2-sm3$"
#define PW_SALT_LEN 16
#define PW_SALT_MAX 64
#define PW_HASH_LEN 32
#define PW_STORED_MAX 512

struct pw_stored {
    uint32_t iterations;
    uint8_t salt[PW_SALT_MAX];
    size_t salt_len;
    uint8_t hash[PW_HASH_LEN];
};

/* password_field cuts the next '$'-terminated field (or the rest when last) from *s. */
static bool
password_field(struct str *s, bool last, struct str *field)
{
    const char *dollar = memchr(s->p, '$', s->n);
    if (last) {
        if (dollar)
            return false;
        *field = *s;
        s->n = 0;
        return field->n > 0;
    }
    if (!dollar)
        return false;
    *field = (struct str){ s->p, (size_t)(dollar - s->p) };
    s->p = dollar + 1;
    s->n -= field->n + 1;
    return field->n > 0;
}

static int
password_parse(const char *stored, struct pw_stored *out)
{
    struct str s, iter, salt, hash;
    uint8_t hash_buf[PW_HASH_LEN + 1];
    size_t got = 0;
    int64_t v = 0;
    int rc = ERR_INVALID;

    if (!stored)
        goto out;
    s = (struct str){ stored, strnlen(stored, PW_STORED_MAX + 1) };
    if (s.n > PW_STORED_MAX || !str_has_prefix(s, PW_PREFIX))
        goto out;
    s.p += strlen(PW_PREFIX);
    s.n -= strlen(PW_PREFIX);
    if (!password_field(&s, false, &iter) || !password_field(&s, false, &salt) ||
        !password_field(&s, true, &hash))
        goto out;
    if (iter.p[0] < '1' || iter.p[0] > '9' ||
        str_to_i64(iter, &v, 1, PASSWORD_ITERATIONS_MAX))
        goto out;
    out->iterations = (uint32_t)v;
    if (b64url_decode(salt.p, salt.n, out->salt, sizeof out->salt, &out->salt_len) ||
        out->salt_len < PW_SALT_LEN)
        goto out;
    if (b64url_decode(hash.p, hash.n, hash_buf, sizeof hash_buf, &got) || got != PW_HASH_LEN)
        goto out;
    memcpy(out->hash, hash_buf, PW_HASH_LEN);
    rc = 0;
out:
    wipe(hash_buf, sizeof hash_buf);
    return rc;
}

int
password_hash(const char *pw, uint32_t iterations, struct buf *out)
{
    uint8_t salt[PW_SALT_LEN], hash[PW_HASH_LEN];
    int rc = ERR_INVALID;

    if (!pw || iterations == 0 || iterations > PASSWORD_ITERATIONS_MAX)
        goto out;
    if ((rc = crypto_random(salt, sizeof salt)))
        goto out;
    if ((rc = pbkdf2_sm3(pw, strlen(pw), salt, sizeof salt, iterations, hash, sizeof hash)))
        goto out;
    buf_printf(out, PW_PREFIX "%u$", (unsigned)iterations);
    b64url_encode(out, salt, sizeof salt);
    buf_addch(out, '$');
    b64url_encode(out, hash, sizeof hash);
    rc = buf_error(out) ? ERR_TOO_LARGE : 0;
out:
    wipe(hash, sizeof hash);
    return rc;
}

int
password_verify(const char *pw, const char *stored)
{
    struct pw_stored st;
    uint8_t hash[PW_HASH_LEN];
    int rc = ERR_INVALID;

    memset(&st, 0, sizeof st);
    if (!pw || (rc = password_parse(stored, &st)))
        goto out;
    if ((rc = pbkdf2_sm3(pw, strlen(pw), st.salt, st.salt_len, st.iterations, hash,
                         sizeof hash)))
        goto out;
    rc = crypto_equal(hash, st.hash, PW_HASH_LEN) ? 0 : ERR_LOGIN_FAILED;
out:
    wipe(hash, sizeof hash);
    wipe(&st, sizeof st);
    return rc;
}

bool
password_needs_rehash(const char *stored, uint32_t iterations)
{
    struct pw_stored st;
    bool rehash = true;

    memset(&st, 0, sizeof st);
    if (password_parse(stored, &st) == 0)
        rehash = st.iterations < iterations || st.salt_len != PW_SALT_LEN;
    wipe(&st, sizeof st);
    return rehash;
}
