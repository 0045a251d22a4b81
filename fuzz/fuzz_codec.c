/* fuzz/fuzz_codec.c - libFuzzer target for core/codec: hex, base64url and base32 decoders.
 *
 * The input is handed to each decoder in a heap block of exactly its size. A decoder must
 * return 0, ERR_INVALID or ERR_TOO_LARGE, write at most cap bytes, and produce the length
 * the input implies. A decoded value must survive encode-then-decode unchanged; for hex the
 * encoding must equal the input in lower case. Capacity is exact: cap = n decodes, cap =
 * n - 1 is ERR_TOO_LARGE. The input bytes are also encoded with each encoder and must
 * decode back to themselves.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*decode_fn)(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *n);
typedef void (*encode_fn)(struct buf *b, const void *p, size_t n);

/* fuzz_want_len: the decoded length the input implies, as the header describes the
 * alphabets (b64: '=' only at the end; base32: '=', ' ' and '-' ignored). */
static size_t
fuzz_want_len(int which, const char *s, size_t n)
{
    size_t k = 0;
    if (which == 0)
        return n / 2;
    if (which == 1) {
        while (n && s[n - 1] == '=')
            n--;
        return n * 6 / 8;
    }
    for (size_t i = 0; i < n; i++)
        if (s[i] != '=' && s[i] != ' ' && s[i] != '-')
            k++;
    return k * 5 / 8;
}

static void
fuzz_decoder(int which, decode_fn dec, encode_fn enc, const char *s, size_t slen)
{
    size_t cap = slen + 8, n = 0, n2 = 0;
    uint8_t *out = xmalloc(cap), *out2 = xmalloc(cap);
    struct buf b = BUF_INIT;

    int rc = dec(s, slen, out, cap, &n);
    FUZZ_CHECK(rc == 0 || rc == ERR_INVALID || rc == ERR_TOO_LARGE);
    FUZZ_CHECK(rc != ERR_TOO_LARGE); /* cap is larger than any decoding of slen bytes */
    if (rc == 0) {
        FUZZ_CHECK(n <= cap && n == fuzz_want_len(which, s, slen));
        /* encode, decode again: the same bytes */
        enc(&b, out, n);
        FUZZ_CHECK(!buf_error(&b));
        FUZZ_CHECK(dec(b.data, b.len, out2, cap, &n2) == 0);
        FUZZ_CHECK(n2 == n && memcmp(out, out2, n) == 0);
        if (which == 0) {
            FUZZ_CHECK(b.len == slen);
            for (size_t i = 0; i < slen; i++) {
                char c = s[i];
                if (c >= 'A' && c <= 'F')
                    c = (char)(c - 'A' + 'a');
                FUZZ_CHECK(b.data[i] == c);
            }
        }
        /* exact capacity */
        uint8_t *exact = xmalloc(n); /* ASan sees any write past n */
        FUZZ_CHECK(dec(s, slen, exact, n, &n2) == 0 && n2 == n);
        FUZZ_CHECK(memcmp(exact, out, n) == 0);
        xfree(exact);
        if (n > 0) {
            uint8_t *small = xmalloc(n - 1);
            FUZZ_CHECK(dec(s, slen, small, n - 1, &n2) == ERR_TOO_LARGE);
            xfree(small);
        }
    } else {
        /* a bad input stays bad with any cap */
        uint8_t one[1];
        FUZZ_CHECK(dec(s, slen, one, sizeof one, &n2) != 0);
    }
    buf_release(&b);
    xfree(out);
    xfree(out2);
}

static void
fuzz_encoder(encode_fn enc, decode_fn dec, const uint8_t *data, size_t size)
{
    struct buf b = BUF_INIT;
    size_t n = 0;
    uint8_t *out = xmalloc(size);
    enc(&b, data, size);
    FUZZ_CHECK(!buf_error(&b) && strlen(b.data) == b.len);
    FUZZ_CHECK(dec(b.data, b.len, out, size, &n) == 0);
    FUZZ_CHECK(n == size && (size == 0 || memcmp(out, data, size) == 0));
    buf_release(&b);
    xfree(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const decode_fn decs[] = { hex_decode, b64url_decode, base32_decode };
    static const encode_fn encs[] = { hex_encode, b64url_encode, base32_encode };
    char *in = xmalloc(size); /* exactly size bytes: ASan sees over-reads */
    if (size)
        memcpy(in, data, size);
    for (int which = 0; which < 3; which++) {
        fuzz_decoder(which, decs[which], encs[which], in, size);
        fuzz_encoder(encs[which], decs[which], data, size);
    }
    xfree(in);
    return 0;
}
