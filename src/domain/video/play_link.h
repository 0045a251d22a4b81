/* domain/video/play_link.h - signed, short-lived play links (issue 9; R3.3, R3.6, R3.12).
 *
 * A play link token is base64url (no padding, PLAY_LINK_LEN characters) of
 *   version (1) | data key id (4) | camera id (8) | expiry, s since the epoch (8) |
 *   issuer kind (1) | issuer id (8) | nonce (6) | tag (16)
 * integers big-endian; tag = the first 16 bytes of HMAC-SM3 under the data key's "play-url"
 * subkey (crypto/keys.h, HKDF-SM3 label "jiayuan play-url v1") over every byte before it.
 * It travels in the URL path (/media/v1/p/<tok>/...), so the playlist's relative segment
 * URLs carry it and no cookie or header is needed (an iframe works). It binds the camera,
 * the expiry and who issued it (a user, or an API token whose revocation kills its links:
 * checked by the caller, domain/video/video.h). Nothing secret is inside; the tag is
 * compared in constant time. Older data keys still verify links they signed.
 */
#ifndef JY_DOMAIN_VIDEO_PLAY_LINK_H
#define JY_DOMAIN_VIDEO_PLAY_LINK_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "crypto/keys.h"

#define PLAY_LINK_BYTES 52
#define PLAY_LINK_LEN 70 /* base64url characters of PLAY_LINK_BYTES */

enum play_issuer {
    PLAY_ISSUER_USER = 1,  /* issuer_id is a users.id */
    PLAY_ISSUER_TOKEN = 2, /* issuer_id is an api_tokens.id */
};

struct play_link {
    int64_t camera_id;
    int64_t expires_at; /* ms since the epoch (whole seconds are signed) */
    enum play_issuer issuer;
    int64_t issuer_id;
};

/* play_link_sign appends the token of l, signed with the active data key of kr, to out.
 * ERR_CRYPTO when kr has no key (or randomness fails); ERR_INVALID for a camera or issuer
 * id below 1 or an unknown issuer kind. */
int play_link_sign(const struct keyring *kr, const struct play_link *l, struct buf *out);
/* play_link_verify reads the n characters at tok. It returns ERR_FORBIDDEN when the token
 * is malformed, its key unknown, its tag wrong, it expired (expires_at <= now_ms) or it is
 * for another camera than camera_id (0 = any camera); 0 and *out otherwise. */
int play_link_verify(const struct keyring *kr, const char *tok, size_t n, int64_t now_ms, int64_t camera_id,
                     struct play_link *out);

#endif
