/* crypto/totp.c - RFC 6238 time-based one-time passwords for the second login factor (S6,
 * R1.7): HMAC-SHA1, 30-second steps, 6 digits, one step of clock drift either way, each step
 * usable once. Enrolment (secret generation, base32, QR URI) and storing last_step belong to
 * the auth domain, not here.
 */
#include "crypto/totp.h"

#include <stdbool.h>

#include "core/alloc.h"
#include "core/err.h"
#include "crypto/sm.h"

#define TOTP_DIGITS 6

int
totp_code(const uint8_t *secret, size_t n, uint64_t step, unsigned digits, uint32_t *code)
{
    static const uint32_t mod[] = { 1000000, 10000000, 100000000 };
    uint8_t msg[8], mac[SHA1_LEN];
    int rc = ERR_INVALID;

    if (!secret || n == 0 || digits < 6 || digits > 8 || !code)
        goto out;
    for (int i = 7; i >= 0; i--) {
        msg[i] = (uint8_t)step;
        step >>= 8;
    }
    if ((rc = hmac_sha1(secret, n, msg, sizeof msg, mac)))
        goto out;
    /* RFC 4226 5.3 dynamic truncation. */
    unsigned off = mac[SHA1_LEN - 1] & 0x0f;
    uint32_t bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                   (uint32_t)mac[off + 2] << 8 | mac[off + 3];
    *code = bin % mod[digits - 6];
    rc = 0;
out:
    wipe(mac, sizeof mac);
    return rc;
}

int
totp_verify(const uint8_t *secret, size_t n, int64_t now_s, const char *code, int64_t *last_step)
{
    uint32_t want = 0;
    int64_t step, matched = -1;
    int rc = ERR_LOGIN_FAILED;

    if (!code || !last_step || now_s < 0)
        goto out;
    for (int i = 0; i < TOTP_DIGITS; i++) {
        if (code[i] < '0' || code[i] > '9')
            goto out;
        want = want * 10 + (uint32_t)(code[i] - '0');
    }
    if (code[TOTP_DIGITS] != '\0')
        goto out;
    step = now_s / TOTP_STEP_S;
    /* Every candidate is computed and compared whatever the outcome, so timing does not tell
     * which step (if any) matched. The earliest fresh matching step wins. */
    for (int64_t s = step + 1; s >= step - 1; s--) {
        uint32_t got = 0;
        if (s < 0)
            continue;
        if ((rc = totp_code(secret, n, (uint64_t)s, TOTP_DIGITS, &got)))
            goto out;
        bool hit = crypto_equal(&got, &want, sizeof got);
        if (hit && s > *last_step)
            matched = s;
    }
    if (matched < 0) {
        rc = ERR_LOGIN_FAILED;
        goto out;
    }
    *last_step = matched;
    rc = 0;
out:
    return rc;
}
