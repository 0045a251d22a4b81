/* core/codec.h - hex, base64 (standard and URL-safe, no padding on output) and base32
 * (RFC 4648, for TOTP secrets).
 *
 * Encoders append to a struct buf. Decoders write into out (cap bytes) and set *n; they
 * fail with ERR_INVALID on bad characters and ERR_TOO_LARGE when out is too small.
 */
#ifndef JY_CORE_CODEC_H
#define JY_CORE_CODEC_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* hex_encode appends 2n lower-case hex digits of p[0..n) to b. */
void hex_encode(struct buf *b, const void *p, size_t n);
/* hex_to_str writes 2n lower-case hex digits and a NUL to out (room for 2n + 1). */
void hex_to_str(const void *p, size_t n, char *out);
/* hex_value returns the value of one hex digit (either case), or -1 when c is not one. */
int hex_value(char c);
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n);
/* b64url_encode writes URL-safe base64 without padding. */
void b64url_encode(struct buf *b, const void *p, size_t n);
int b64url_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n);
/* base32_encode writes RFC 4648 base32 without padding (authenticator apps accept it). */
void base32_encode(struct buf *b, const void *p, size_t n);
/* base32_decode accepts upper or lower case, ignores '=', spaces and '-'. */
int base32_decode(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n);

#endif
