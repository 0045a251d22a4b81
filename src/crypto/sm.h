/* crypto/sm.h - Chinese national primitives (S1) over OpenSSL 3: SM3, HMAC-SM3, HKDF-SM3,
 * PBKDF2-HMAC-SM3, SM4 block (for known-answer tests), randomness, constant-time compare.
 *
 * This header and its siblings in crypto/ are the only place OpenSSL is used, so a
 * certified module (GM/T 0018) can replace it by changing this folder alone.
 */
#ifndef JY_CRYPTO_SM_H
#define JY_CRYPTO_SM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SM3_LEN 32
#define SM4_KEY_LEN 16
#define SM4_BLOCK 16

/* sm3 hashes p[0..n). */
int sm3(const void *p, size_t n, uint8_t out[SM3_LEN]);
int hmac_sm3(const void *key, size_t key_len, const void *p, size_t n, uint8_t out[SM3_LEN]);
/* hkdf_sm3: RFC 5869 extract+expand with SM3; info is a NUL-terminated label. */
int hkdf_sm3(const void *ikm, size_t ikm_len, const void *salt, size_t salt_len,
             const char *info, uint8_t *out, size_t out_len);
int pbkdf2_sm3(const char *pw, size_t pw_len, const void *salt, size_t salt_len,
               uint32_t iterations, uint8_t *out, size_t out_len);
/* sm4_encrypt_block: one raw SM4 block (ECB), for known-answer tests only. */
int sm4_encrypt_block(const uint8_t key[SM4_KEY_LEN], const uint8_t in[SM4_BLOCK],
                      uint8_t out[SM4_BLOCK]);
/* sm4_ctr: XOR p with the SM4-CTR keystream starting at iv (encrypt = decrypt). */
int sm4_ctr(const uint8_t key[SM4_KEY_LEN], const uint8_t iv[SM4_BLOCK], const void *in,
            size_t n, void *out);
/* crypto_random fills p with n bytes from the OS CSPRNG. */
int crypto_random(void *p, size_t n);
bool crypto_equal(const void *a, const void *b, size_t n);
/* crypto_selftest runs the known-answer tests (SM4 GB/T 32907 incl. the 1,000,000-times
 * iteration, SM3 GB/T 32905 "abc", HMAC-SM3, TOTP RFC 6238): 0 or ERR_CRYPTO. Run at
 * start-up and in tests. */
int crypto_selftest(void);

/* Additions beyond the original contract (all in sm.c).
 *
 * Every function above returns 0 or ERR_CRYPTO; hkdf_sm3 also fails with ERR_INVALID when
 * out_len is 0 or above 255 * SM3_LEN, pbkdf2_sm3 when iterations, salt_len or out_len is 0.
 * A NULL pointer with a zero length is fine everywhere. */

#define SHA1_LEN 20

/* struct sm_part is one piece of a message that is MACed without being copied together. */
struct sm_part {
    const void *p;
    size_t n;
};

/* hmac_sm3_parts computes HMAC-SM3 over the concatenation of parts[0..count) (the field
 * envelope tag covers header, ciphertext and associated data that live apart). */
int hmac_sm3_parts(const void *key, size_t key_len, const struct sm_part *parts, size_t count,
                   uint8_t out[SM3_LEN]);
/* hmac_sha1 is HMAC-SHA1, for TOTP (RFC 6238) only: authenticator apps know nothing else. */
int hmac_sha1(const void *key, size_t key_len, const void *p, size_t n, uint8_t out[SHA1_LEN]);
/* sm4_encrypt_block_iter encrypts in with key `iterations` times in a row, reusing one
 * context (GB/T 32907-2016 appendix A example 2 needs 1,000,000 rounds); tests only. */
int sm4_encrypt_block_iter(const uint8_t key[SM4_KEY_LEN], const uint8_t in[SM4_BLOCK],
                           uint32_t iterations, uint8_t out[SM4_BLOCK]);
/* Every function above is thread-safe. Algorithms are fetched once per process; each thread
 * caches its own OpenSSL contexts, freed when the thread exits. crypto_thread_release frees
 * the calling thread's contexts early (the main thread's otherwise live until exit); the
 * next call creates them again. */
void crypto_thread_release(void);

#endif
