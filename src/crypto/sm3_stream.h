/* crypto/sm3_stream.h - SM3 over data that arrives in pieces (a backup file of any size,
 * issue 12), where crypto/sm.h's sm3() needs the whole message in memory.
 *
 * Life cycle: sm3_stream_init, any number of sm3_stream_add, sm3_stream_final (which also
 * releases); sm3_stream_release alone abandons a stream. A stream is used by one thread.
 */
#ifndef JY_CRYPTO_SM3_STREAM_H
#define JY_CRYPTO_SM3_STREAM_H
#include <stddef.h>
#include <stdint.h>

#include "crypto/sm.h"

struct sm3_stream {
    void *ctx; /* the OpenSSL digest context; NULL when released */
};

#define SM3_STREAM_INIT { NULL }

/* sm3_stream_init starts a digest: 0 or ERR_CRYPTO. */
int sm3_stream_init(struct sm3_stream *s);
/* sm3_stream_add hashes p[0..n) (NULL with n 0 is fine): 0 or ERR_CRYPTO. */
int sm3_stream_add(struct sm3_stream *s, const void *p, size_t n);
/* sm3_stream_final writes the digest and releases s: 0 or ERR_CRYPTO. */
int sm3_stream_final(struct sm3_stream *s, uint8_t out[SM3_LEN]);
/* sm3_stream_release frees s without a digest; NULL and a released stream are fine. */
void sm3_stream_release(struct sm3_stream *s);

#endif
