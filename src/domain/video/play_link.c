/* domain/video/play_link.c - sign and verify play link tokens (see play_link.h; issue 9,
 * R3.3, R3.6). Pure: no database, no clock of its own. */
#include "domain/video/play_link.h"

#include <string.h>

#include "core/codec.h"
#include "core/err.h"
#include "crypto/sm.h"

#define PLAY_LINK_VERSION 1
#define PLAY_LINK_TAG 16
#define PLAY_LINK_BODY (PLAY_LINK_BYTES - PLAY_LINK_TAG)

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int
play_link_tag(const struct datakey *k, const uint8_t *body, uint8_t tag[PLAY_LINK_TAG])
{
    uint8_t mac[SM3_LEN];
    int rc = hmac_sm3(k->play, sizeof k->play, body, PLAY_LINK_BODY, mac);
    if (!rc)
        memcpy(tag, mac, PLAY_LINK_TAG);
    memset(mac, 0, sizeof mac);
    return rc;
}

int
play_link_sign(const struct keyring *kr, const struct play_link *l, struct buf *out)
{
    const struct datakey *k = keyring_active(kr);
    uint8_t raw[PLAY_LINK_BYTES];
    int rc;

    if (!k)
        return ERR_CRYPTO;
    if (l->camera_id < 1 || l->issuer_id < 1 || (l->issuer != PLAY_ISSUER_USER && l->issuer != PLAY_ISSUER_TOKEN) ||
        l->expires_at < 1000)
        return ERR_INVALID;
    raw[0] = PLAY_LINK_VERSION;
    put_be(raw + 1, k->id, 4);
    put_be(raw + 5, (uint64_t)l->camera_id, 8);
    put_be(raw + 13, (uint64_t)(l->expires_at / 1000), 8);
    raw[21] = (uint8_t)l->issuer;
    put_be(raw + 22, (uint64_t)l->issuer_id, 8);
    if ((rc = crypto_random(raw + 30, 6)) || (rc = play_link_tag(k, raw, raw + PLAY_LINK_BODY)))
        return rc;
    b64url_encode(out, raw, sizeof raw);
    return 0;
}

int
play_link_verify(const struct keyring *kr, const char *tok, size_t n, int64_t now_ms, int64_t camera_id,
                 struct play_link *out)
{
    uint8_t raw[PLAY_LINK_BYTES + 1], tag[PLAY_LINK_TAG];
    const struct datakey *k;
    size_t got = 0;
    struct play_link l;

    if (n != PLAY_LINK_LEN || b64url_decode(tok, n, raw, sizeof raw, &got) || got != PLAY_LINK_BYTES ||
        raw[0] != PLAY_LINK_VERSION)
        return ERR_FORBIDDEN;
    /* The length fixes the bytes, but base64 has spare bits in the last character: a
     * token that does not re-encode to itself is refused, so no two texts name one link. */
    if (!(k = keyring_find(kr, (uint32_t)get_be(raw + 1, 4))) || play_link_tag(k, raw, tag) ||
        !crypto_equal(tag, raw + PLAY_LINK_BODY, PLAY_LINK_TAG))
        return ERR_FORBIDDEN;
    {
        struct buf again = BUF_INIT;
        b64url_encode(&again, raw, PLAY_LINK_BYTES);
        bool same = again.len == n && memcmp(again.data, tok, n) == 0;
        buf_release(&again);
        if (!same)
            return ERR_FORBIDDEN;
    }
    l.camera_id = (int64_t)get_be(raw + 5, 8);
    l.expires_at = (int64_t)get_be(raw + 13, 8) * 1000;
    l.issuer = (enum play_issuer)raw[21];
    l.issuer_id = (int64_t)get_be(raw + 22, 8);
    if (l.camera_id < 1 || l.issuer_id < 1 || (l.issuer != PLAY_ISSUER_USER && l.issuer != PLAY_ISSUER_TOKEN) ||
        l.expires_at <= now_ms || (camera_id && l.camera_id != camera_id))
        return ERR_FORBIDDEN;
    *out = l;
    return 0;
}
