/* crypto/totp.h - time-based one-time passwords (RFC 6238: HMAC-SHA1, 30 s steps, 6
 * digits), which ordinary authenticator apps use (S6 second factor).
 */
#ifndef JY_CRYPTO_TOTP_H
#define JY_CRYPTO_TOTP_H
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20
#define TOTP_STEP_S 30

/* totp_code computes the code for time step (unix_seconds / 30). */
int totp_code(const uint8_t *secret, size_t n, uint64_t step, unsigned digits, uint32_t *code);
/* totp_verify accepts a 6-digit code for the step at now_s or one step either side, and only
 * for a step greater than *last_step (replay protection). On success *last_step is set to
 * the matched step. ERR_LOGIN_FAILED otherwise. */
int totp_verify(const uint8_t *secret, size_t n, int64_t now_s, const char *code,
                int64_t *last_step);

/* Details beyond the original contract (totp.c): totp_code accepts 6 to 8 digits (8 for the
 * RFC 6238 test vectors) and fails with ERR_INVALID for other counts or an empty secret.
 * totp_verify takes only exactly six ASCII digits followed by the NUL (no spaces, no
 * full-width digits); a NULL code or last_step or a negative now_s is ERR_LOGIN_FAILED;
 * an empty secret is ERR_INVALID and an HMAC failure ERR_CRYPTO. *last_step starts at -1 (or
 * 0) for a fresh enrolment and is left alone on failure. */

#endif
