/* crypto/sm3_stream.c - incremental SM3 (see sm3_stream.h); the digest of backup files
 * (issue 12, S1/S7). Not a MAC: authentication is HMAC-SM3 in sm.c. */
#include <openssl/evp.h>

#include "core/err.h"
#include "crypto/sm3_stream.h"

/* EVP_DigestUpdate takes size_t, but keep pieces bounded like sm.c does. */
#define SM3_STREAM_PIECE ((size_t)1 << 30)

int
sm3_stream_init(struct sm3_stream *s)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    s->ctx = NULL;
    if (!ctx)
        return ERR_CRYPTO;
    if (EVP_DigestInit_ex(ctx, EVP_sm3(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return ERR_CRYPTO;
    }
    s->ctx = ctx;
    return 0;
}

int
sm3_stream_add(struct sm3_stream *s, const void *p, size_t n)
{
    const unsigned char *q = p;
    if (!s->ctx)
        return ERR_CRYPTO;
    while (n > 0) {
        size_t k = n < SM3_STREAM_PIECE ? n : SM3_STREAM_PIECE;
        if (EVP_DigestUpdate(s->ctx, q, k) != 1)
            return ERR_CRYPTO;
        q += k;
        n -= k;
    }
    return 0;
}

int
sm3_stream_final(struct sm3_stream *s, uint8_t out[SM3_LEN])
{
    unsigned int len = 0;
    int rc = ERR_CRYPTO;
    if (s->ctx && EVP_DigestFinal_ex(s->ctx, out, &len) == 1 && len == SM3_LEN)
        rc = 0;
    sm3_stream_release(s);
    return rc;
}

void
sm3_stream_release(struct sm3_stream *s)
{
    if (!s)
        return;
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
}
