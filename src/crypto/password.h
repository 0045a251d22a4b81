/* crypto/password.h - password hashing with PBKDF2-HMAC-SM3 (R1.7, S6).
 *
 * Stored form (text): "pbkdf2-sm3$<iterations>$<salt b64url>$<hash b64url>", 16-byte
 * random salt per user, 32-byte hash. The iteration count is stored with each hash, so it
 * can be raised later (password_needs_rehash).
 */
#ifndef JY_CRYPTO_PASSWORD_H
#define JY_CRYPTO_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define PASSWORD_ITERATIONS_DEFAULT 100000
/* PASSWORD_ITERATIONS_MAX caps the count accepted from a stored string (and by
 * password_hash, which fails with ERR_INVALID outside 1..MAX), so a corrupted or planted
 * hash cannot make one login take minutes. */
#define PASSWORD_ITERATIONS_MAX 10000000

/* password_hash appends the stored form of pw to out. */
int password_hash(const char *pw, uint32_t iterations, struct buf *out);
/* password_verify: 0 when pw matches stored, ERR_LOGIN_FAILED when not, ERR_INVALID when
 * stored is malformed (or pw is NULL). Constant-time comparison. */
int password_verify(const char *pw, const char *stored);
/* password_needs_rehash is true when stored is malformed, uses fewer than iterations or
 * another salt length than password_hash writes today. */
bool password_needs_rehash(const char *stored, uint32_t iterations);

#endif
