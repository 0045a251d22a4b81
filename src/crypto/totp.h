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

#endif
