/* tests/unit/crypto/test_crypto.c - crypto/: known-answer tests for SM3, SM4, HMAC-SM3, TOTP;
 * HKDF, PBKDF2 and SM4-CTR checked against reference constructions built here from the
 * primitives; the field envelope byte by byte; blind index; KEK files on disk; key wrapping;
 * password hashes (incl. hostile stored strings); TOTP windows and replay; threads (S1, S6,
 * R1.7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/codec.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/field.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "crypto/sm.h"
#include "crypto/totp.h"

/* ---- helpers ---- */

static void
unhex(const char *hex, uint8_t *out, size_t want)
{
    size_t n = 0;
    assert_int_equal(hex_decode(hex, strlen(hex), out, want, &n), 0);
    assert_int_equal(n, want);
}

static void
assert_hex(const uint8_t *p, size_t n, const char *hex)
{
    struct buf b = BUF_INIT;
    hex_encode(&b, p, n);
    assert_string_equal(b.data, hex);
    buf_release(&b);
}

/* Reference HMAC (RFC 2104) from sm3() alone, independent of EVP_MAC. */
static void
ref_hmac_sm3(const void *key, size_t kl, const void *m, size_t n, uint8_t out[SM3_LEN])
{
    uint8_t k0[64] = { 0 }, pad[64], inner[SM3_LEN];
    struct buf b = BUF_INIT;

    if (kl > 64)
        assert_int_equal(sm3(key, kl, k0), 0);
    else if (kl)
        memcpy(k0, key, kl);
    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x36;
    buf_add(&b, pad, 64);
    buf_add(&b, m, n);
    assert_int_equal(sm3(b.data, b.len, inner), 0);
    buf_reset(&b);
    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x5c;
    buf_add(&b, pad, 64);
    buf_add(&b, inner, sizeof inner);
    assert_int_equal(sm3(b.data, b.len, out), 0);
    buf_release(&b);
}

static struct keyring
test_keyring(uint32_t id, uint8_t fill)
{
    struct keyring kr;
    uint8_t raw[DATA_KEY_LEN];
    memset(&kr, 0, sizeof kr);
    memset(raw, fill, sizeof raw);
    assert_int_equal(keyring_add(&kr, id, raw), 0);
    return kr;
}

/* ---- SM3, SM4, HMAC, KDFs ---- */

static void
test_sm4_kat(void **state)
{
    uint8_t key[16], out[16];
    (void)state;
    unhex("0123456789abcdeffedcba9876543210", key, 16);
    assert_int_equal(sm4_encrypt_block(key, key, out), 0);
    assert_hex(out, 16, "681edf34d206965e86b3e94f536e4246");
    assert_int_equal(sm4_encrypt_block_iter(key, key, 1, out), 0);
    assert_hex(out, 16, "681edf34d206965e86b3e94f536e4246");
    assert_int_equal(sm4_encrypt_block_iter(key, key, 1000000, out), 0);
    assert_hex(out, 16, "595298c7c6fd271f0402f804c33d3f66");
}

static void
test_sm3_kat(void **state)
{
    uint8_t md[SM3_LEN];
    char abcd[64];
    (void)state;
    assert_int_equal(sm3("abc", 3, md), 0);
    assert_hex(md, SM3_LEN, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    for (int i = 0; i < 16; i++)
        memcpy(abcd + 4 * i, "abcd", 4);
    assert_int_equal(sm3(abcd, sizeof abcd, md), 0);
    assert_hex(md, SM3_LEN, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    /* printf '' | openssl dgst -sm3 */
    assert_int_equal(sm3(NULL, 0, md), 0);
    assert_hex(md, SM3_LEN, "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

static void
test_hmac_sm3(void **state)
{
    uint8_t md[SM3_LEN], ref[SM3_LEN], longkey[100];
    (void)state;
    /* printf 'what do ya want for nothing?' | openssl dgst -sm3 -hmac Jefe
     *   SM3(stdin)= 2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882 */
    assert_int_equal(hmac_sm3("Jefe", 4, "what do ya want for nothing?", 28, md), 0);
    assert_hex(md, SM3_LEN, "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882");
    ref_hmac_sm3("Jefe", 4, "what do ya want for nothing?", 28, ref);
    assert_memory_equal(md, ref, SM3_LEN);

    /* A key longer than the block is hashed first:
     * printf abc | openssl dgst -sm3 -mac HMAC -macopt hexkey:$(printf '0b%.0s' $(seq 100))
     *   SM3(stdin)= 7c7268ae960b09ba1aafc42876e8f70215d853b62b1e3b96f1002dcf04eeb5c2 */
    memset(longkey, 0x0b, sizeof longkey);
    assert_int_equal(hmac_sm3(longkey, sizeof longkey, "abc", 3, md), 0);
    assert_hex(md, SM3_LEN, "7c7268ae960b09ba1aafc42876e8f70215d853b62b1e3b96f1002dcf04eeb5c2");
    ref_hmac_sm3(longkey, sizeof longkey, "abc", 3, ref);
    assert_memory_equal(md, ref, SM3_LEN);

    /* An empty key is a real empty key, not "the previous key" of the cached context:
     * printf abc | openssl dgst -sm3 -hmac '' */
    assert_int_equal(hmac_sm3(NULL, 0, "abc", 3, md), 0);
    assert_hex(md, SM3_LEN, "36525058ca466791502435c910517f1a7e86613d5f35ac1f18a94def0eaac81f");

    /* Parts MAC like their concatenation. */
    struct sm_part parts[] = { { "what do", 7 }, { NULL, 0 }, { " ya want for nothing?", 21 } };
    assert_int_equal(hmac_sm3_parts("Jefe", 4, parts, 3, md), 0);
    assert_hex(md, SM3_LEN, "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882");

    /* Keyed contexts are cached per thread: more keys than cache slots, in turns, keys that
     * are prefixes of each other, the empty key and an uncacheable long key in between. */
    static const char *const keys[] = { "k0", "k1", "k10", "k1\0", "k2", "k3", "k4", "", "k0" };
    static const size_t key_lens[] = { 2, 2, 3, 3, 2, 2, 2, 0, 2 };
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const void *msg = i % 2 ? "abc" : "a longer message, longer than one block of sm3 "
                                              "compression input: sixty-four bytes";
            size_t mlen = strlen(msg);
            assert_int_equal(hmac_sm3(keys[i], key_lens[i], msg, mlen, md), 0);
            ref_hmac_sm3(keys[i], key_lens[i], msg, mlen, ref);
            assert_memory_equal(md, ref, SM3_LEN);
            assert_int_equal(hmac_sm3(longkey, sizeof longkey, "abc", 3, md), 0);
            assert_hex(md, SM3_LEN,
                       "7c7268ae960b09ba1aafc42876e8f70215d853b62b1e3b96f1002dcf04eeb5c2");
        }
    }
}

static void
test_hmac_sha1(void **state)
{
    uint8_t md[SHA1_LEN];
    (void)state;
    /* RFC 2202 test case 2. */
    assert_int_equal(hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, md), 0);
    assert_hex(md, SHA1_LEN, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

/* Reference HKDF (RFC 5869) from the reference HMAC. */
static void
ref_hkdf_sm3(const uint8_t *ikm, size_t il, const uint8_t *salt, size_t sl, const char *info,
             uint8_t *out, size_t n)
{
    uint8_t zero[SM3_LEN] = { 0 }, prk[SM3_LEN], t[SM3_LEN];
    struct buf b = BUF_INIT;
    size_t done = 0, tl = 0;

    if (!sl) {
        salt = zero;
        sl = SM3_LEN;
    }
    ref_hmac_sm3(salt, sl, ikm, il, prk);
    for (uint8_t i = 1; done < n; i++) {
        buf_reset(&b);
        buf_add(&b, t, tl);
        buf_adds(&b, info);
        buf_addch(&b, (char)i);
        ref_hmac_sm3(prk, SM3_LEN, b.data, b.len, t);
        tl = SM3_LEN;
        size_t k = n - done < SM3_LEN ? n - done : SM3_LEN;
        memcpy(out + done, t, k);
        done += k;
    }
    buf_release(&b);
}

static void
test_hkdf_sm3(void **state)
{
    uint8_t ikm[22], salt[13], out[80], ref[80], other[80];
    (void)state;
    memset(ikm, 0x0b, sizeof ikm);
    for (size_t i = 0; i < sizeof salt; i++)
        salt[i] = (uint8_t)i;
    assert_int_equal(hkdf_sm3(ikm, sizeof ikm, salt, sizeof salt, "info label", out, 80), 0);
    ref_hkdf_sm3(ikm, sizeof ikm, salt, sizeof salt, "info label", ref, 80);
    assert_memory_equal(out, ref, 80);

    assert_int_equal(hkdf_sm3(ikm, sizeof ikm, NULL, 0, "jiayuan field-enc v1", out, 42), 0);
    ref_hkdf_sm3(ikm, sizeof ikm, NULL, 0, "jiayuan field-enc v1", ref, 42);
    assert_memory_equal(out, ref, 42);

    /* Distinct labels give unrelated keys. */
    assert_int_equal(hkdf_sm3(ikm, sizeof ikm, NULL, 0, "jiayuan field-mac v1", other, 42), 0);
    assert_memory_not_equal(out, other, 16);

    assert_int_equal(hkdf_sm3(ikm, sizeof ikm, NULL, 0, "x", out, 0), ERR_INVALID);
    assert_int_equal(hkdf_sm3(ikm, sizeof ikm, NULL, 0, "x", out, 255 * SM3_LEN + 1),
                     ERR_INVALID);
}

/* Reference PBKDF2 (RFC 8018) from the reference HMAC. */
static void
ref_pbkdf2_sm3(const char *pw, const uint8_t *salt, size_t sl, uint32_t iter, uint8_t *out,
               size_t n)
{
    uint8_t u[SM3_LEN], t[SM3_LEN];
    struct buf b = BUF_INIT;
    size_t done = 0;

    for (uint32_t blk = 1; done < n; blk++) {
        uint8_t be[4] = { (uint8_t)(blk >> 24), (uint8_t)(blk >> 16), (uint8_t)(blk >> 8),
                          (uint8_t)blk };
        buf_reset(&b);
        buf_add(&b, salt, sl);
        buf_add(&b, be, 4);
        ref_hmac_sm3(pw, strlen(pw), b.data, b.len, u);
        memcpy(t, u, SM3_LEN);
        for (uint32_t i = 1; i < iter; i++) {
            ref_hmac_sm3(pw, strlen(pw), u, SM3_LEN, u);
            for (int j = 0; j < SM3_LEN; j++)
                t[j] ^= u[j];
        }
        size_t k = n - done < SM3_LEN ? n - done : SM3_LEN;
        memcpy(out + done, t, k);
        done += k;
    }
    buf_release(&b);
}

static void
test_pbkdf2_sm3(void **state)
{
    uint8_t salt[16], out[40], ref[40];
    (void)state;
    memcpy(salt, "saltSALTsaltSALT", 16);
    for (uint32_t iter = 1; iter <= 3; iter++) {
        assert_int_equal(pbkdf2_sm3("password", 8, salt, 16, iter, out, 40), 0);
        ref_pbkdf2_sm3("password", salt, 16, iter, ref, 40);
        assert_memory_equal(out, ref, 40);
    }
    assert_int_equal(pbkdf2_sm3("password", 8, salt, 16, 0, out, 32), ERR_INVALID);
    assert_int_equal(pbkdf2_sm3("", 0, salt, 16, 2, out, 32), 0);
    ref_pbkdf2_sm3("", salt, 16, 2, ref, 32);
    assert_memory_equal(out, ref, 32);
}

static void
test_sm4_ctr(void **state)
{
    uint8_t key[16], iv[16], ctr[16], ks[16], pt[100], ct[100], back[100];
    (void)state;
    unhex("0123456789abcdeffedcba9876543210", key, 16);
    /* An IV near the end of the counter space: the carry must run across bytes. */
    unhex("000102030405060708090afffffffffe", iv, 16);
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7 + 3);
    /* A previous call under the same key that stopped mid-block must not shift the next
     * keystream (the context is reused and only re-IV'd). */
    memset(ctr, 0x77, sizeof ctr);
    assert_int_equal(sm4_ctr(key, ctr, pt, 18, back), 0);
    assert_int_equal(sm4_ctr(key, iv, pt, sizeof pt, ct), 0);
    /* Reference CTR: keystream block i = SM4(key, iv + i) as a 128-bit big-endian number. */
    memcpy(ctr, iv, 16);
    for (size_t off = 0; off < sizeof pt; off += 16) {
        /* ECB and CTR take turns on the thread's one cipher context. */
        assert_int_equal(sm4_encrypt_block(key, ctr, ks), 0);
        for (size_t j = 0; j < 16 && off + j < sizeof pt; j++)
            assert_int_equal(ct[off + j], pt[off + j] ^ ks[j]);
        for (int j = 15; j >= 0 && ++ctr[j] == 0; j--)
            ;
    }
    assert_int_equal(sm4_ctr(key, iv, ct, sizeof ct, back), 0);
    assert_memory_equal(back, pt, sizeof pt);
    assert_int_equal(sm4_ctr(key, iv, NULL, 0, NULL), 0);
    /* Same again with the key switching back and forth. */
    uint8_t key2[16], ct2[100];
    memset(key2, 0x5c, sizeof key2);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(sm4_ctr(key2, iv, pt, 33, ct2), 0);
        assert_memory_not_equal(ct2, ct, 33);
        assert_int_equal(sm4_ctr(key, iv, pt, 37, ct2), 0);
        assert_memory_equal(ct2, ct, 37);
    }
}

static void
test_random_equal_selftest(void **state)
{
    uint8_t a[32], b[32];
    (void)state;
    assert_int_equal(crypto_random(a, sizeof a), 0);
    assert_int_equal(crypto_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(crypto_random(NULL, 0), 0);
    assert_true(crypto_equal(a, a, sizeof a));
    memcpy(b, a, sizeof b);
    b[31] ^= 1;
    assert_false(crypto_equal(a, b, sizeof a));
    assert_true(crypto_equal(a, b, 31));
    assert_int_equal(crypto_selftest(), 0);
}

/* ---- field envelope ---- */

static const char ID18[] = "11010219900307123X";

static void
test_field_round_trip(void **state)
{
    struct keyring kr = test_keyring(7, 0x42);
    uint8_t c[FIELD_SEALED_LEN(18)], c2[FIELD_SEALED_LEN(18)], p[19];
    size_t n = 0, n2 = 0, pn = 0;
    uint32_t id = 0;
    (void)state;

    assert_int_equal(field_seal(&kr, "sample.id_number", ID18, 18, c, sizeof c, &n), 0);
    assert_int_equal(n, FIELD_SEALED_LEN(18));
    assert_int_equal(field_envelope_parse(c, n, &id, &pn), 0);
    assert_int_equal(id, 7);
    assert_int_equal(pn, 18);
    assert_null(memmem(c, n, "1101021990", 10));

    memset(p, 0xaa, sizeof p);
    assert_int_equal(field_open(&kr, "sample.id_number", c, n, p, sizeof p, &pn), 0);
    assert_int_equal(pn, 18);
    assert_string_equal((char *)p, ID18); /* NUL-terminated */

    /* A fresh IV each time: same plaintext, different envelope. */
    assert_int_equal(field_seal(&kr, "sample.id_number", ID18, 18, c2, sizeof c2, &n2), 0);
    assert_int_equal(n2, n);
    assert_memory_not_equal(c + 5, c2 + 5, 16);
    assert_memory_not_equal(c, c2, n);

    /* Output too small: seal and open say so, touching nothing they should not. */
    assert_int_equal(field_seal(&kr, "sample.id_number", ID18, 18, c2, n - 1, &n2),
                     ERR_TOO_LARGE);
    assert_int_equal(field_open(&kr, "sample.id_number", c, n, p, 18, &pn), ERR_TOO_LARGE);
    keyring_wipe(&kr);
}

/* The envelope is exactly what field.h documents, rebuilt here from the primitives. */
static void
test_field_format(void **state)
{
    struct keyring kr = test_keyring(0x01020304, 0x11);
    const struct datakey *k = keyring_active(&kr);
    const char *ad = "person.address";
    uint8_t c[FIELD_SEALED_LEN(5)], mac[SM3_LEN], pt[5];
    size_t n = 0;
    struct buf m = BUF_INIT;
    (void)state;

    assert_int_equal(field_seal(&kr, ad, "hello", 5, c, sizeof c, &n), 0);
    assert_int_equal(c[0], 0x01);
    assert_int_equal(c[1], 1);
    assert_int_equal(c[2], 2);
    assert_int_equal(c[3], 3);
    assert_int_equal(c[4], 4);
    assert_int_equal(sm4_ctr(k->field_enc, c + 5, c + 21, 5, pt), 0);
    assert_memory_equal(pt, "hello", 5);
    buf_add(&m, c, 21 + 5);
    buf_adds(&m, ad);
    buf_add(&m, "\0\0\0\x0e", 4); /* strlen("person.address") = 14 */
    ref_hmac_sm3(k->field_mac, SM3_LEN, m.data, m.len, mac);
    assert_memory_equal(c + 26, mac, 16);
    buf_release(&m);
    keyring_wipe(&kr);
}

static void
test_field_tamper(void **state)
{
    struct keyring kr = test_keyring(9, 0x33);
    uint8_t c[FIELD_SEALED_LEN(18)], p[FIELD_SEALED_LEN(18) + 1];
    size_t n = 0, pn = 0;
    (void)state;

    assert_int_equal(field_seal(&kr, "sample.id_number", ID18, 18, c, sizeof c, &n), 0);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            c[i] ^= (uint8_t)(1 << bit);
            memset(p, 0, sizeof p);
            assert_int_equal(field_open(&kr, "sample.id_number", c, n, p, sizeof p, &pn),
                             ERR_CRYPTO);
            /* never a partial plaintext */
            assert_null(memmem(p, sizeof p, "1101", 4));
            c[i] ^= (uint8_t)(1 << bit);
        }
    }
    /* Truncated at every length, and extended. */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(field_open(&kr, "sample.id_number", c, len, p, sizeof p, &pn),
                         ERR_CRYPTO);
    uint8_t longer[FIELD_SEALED_LEN(18) + 1], lp[FIELD_SEALED_LEN(18) + 2];
    memcpy(longer, c, n);
    longer[n] = 0;
    assert_int_equal(field_open(&kr, "sample.id_number", longer, n + 1, lp, sizeof lp, &pn),
                     ERR_CRYPTO);
    assert_int_equal(field_open(&kr, "sample.id_number", NULL, 0, p, sizeof p, &pn), ERR_CRYPTO);
    /* Still fine untouched. */
    assert_int_equal(field_open(&kr, "sample.id_number", c, n, p, sizeof p, &pn), 0);
    keyring_wipe(&kr);
}

static void
test_field_wrong_ad_key(void **state)
{
    struct keyring kr = test_keyring(9, 0x33), other = test_keyring(10, 0x33),
                   same_id = test_keyring(9, 0x34);
    uint8_t c[FIELD_SEALED_LEN(18)], p[19];
    size_t n = 0, pn = 0;
    (void)state;

    assert_int_equal(field_seal(&kr, "sample.id_number", ID18, 18, c, sizeof c, &n), 0);
    assert_int_equal(field_open(&kr, "sample.phone", c, n, p, sizeof p, &pn), ERR_CRYPTO);
    assert_int_equal(field_open(&kr, "sample.id_numbe", c, n, p, sizeof p, &pn), ERR_CRYPTO);
    assert_int_equal(field_open(&kr, "", c, n, p, sizeof p, &pn), ERR_CRYPTO);
    assert_int_equal(field_open(&kr, NULL, c, n, p, sizeof p, &pn), ERR_CRYPTO);
    /* Unknown key id (raw key equal, so only the id tells them apart). */
    assert_int_equal(field_open(&other, "sample.id_number", c, n, p, sizeof p, &pn), ERR_CRYPTO);
    /* Same id, different key material. */
    assert_int_equal(field_open(&same_id, "sample.id_number", c, n, p, sizeof p, &pn),
                     ERR_CRYPTO);
    /* Empty keyring. */
    struct keyring empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(field_open(&empty, "sample.id_number", c, n, p, sizeof p, &pn), ERR_CRYPTO);
    assert_int_equal(field_seal(&empty, "sample.id_number", ID18, 18, c, sizeof c, &n),
                     ERR_CRYPTO);
    /* NULL ad seals as "". */
    assert_int_equal(field_seal(&kr, NULL, ID18, 18, c, sizeof c, &n), 0);
    assert_int_equal(field_open(&kr, "", c, n, p, sizeof p, &pn), 0);
    keyring_wipe(&kr);
    keyring_wipe(&other);
    keyring_wipe(&same_id);
}

static void
test_field_empty_and_large(void **state)
{
    struct keyring kr = test_keyring(1, 0x01);
    uint8_t c[FIELD_OVERHEAD], p[1] = { 0xff };
    size_t n = 0, pn = 99;
    uint8_t *big = xmalloc(100000), *bc = xmalloc(FIELD_SEALED_LEN(100000)),
            *bp = xmalloc(100001);
    (void)state;

    assert_int_equal(field_seal(&kr, "x.y", "", 0, c, sizeof c, &n), 0);
    assert_int_equal(n, FIELD_OVERHEAD);
    assert_int_equal(field_open(&kr, "x.y", c, n, p, sizeof p, &pn), 0);
    assert_int_equal(pn, 0);
    assert_int_equal(p[0], 0);
    c[FIELD_OVERHEAD - 1] ^= 1;
    assert_int_equal(field_open(&kr, "x.y", c, n, p, sizeof p, &pn), ERR_CRYPTO);

    for (size_t i = 0; i < 100000; i++)
        big[i] = (uint8_t)(i * 31);
    assert_int_equal(field_seal(&kr, "x.y", big, 100000, bc, FIELD_SEALED_LEN(100000), &n), 0);
    assert_int_equal(field_open(&kr, "x.y", bc, n, bp, 100001, &pn), 0);
    assert_int_equal(pn, 100000);
    assert_memory_equal(bp, big, 100000);
    xfree(big);
    xfree(bc);
    xfree(bp);
    keyring_wipe(&kr);
}

static void
test_field_rotation(void **state)
{
    struct keyring kr;
    uint8_t raw1[DATA_KEY_LEN], raw2[DATA_KEY_LEN], old[FIELD_SEALED_LEN(18)],
        fresh[FIELD_SEALED_LEN(18)], p[19];
    size_t on = 0, fn = 0, pn = 0;
    uint32_t id = 0;
    (void)state;

    memset(&kr, 0, sizeof kr);
    assert_int_equal(crypto_random(raw1, sizeof raw1), 0);
    assert_int_equal(crypto_random(raw2, sizeof raw2), 0);
    assert_int_equal(keyring_add(&kr, 1, raw1), 0);
    assert_int_equal(field_seal(&kr, "a.b", ID18, 18, old, sizeof old, &on), 0);
    int64_t bi_old = blind_index(&kr, "idno", ID18, 18);

    assert_int_equal(keyring_add(&kr, 2, raw2), 0);
    assert_int_equal(kr.active, 2);
    assert_int_equal(keyring_active(&kr)->id, 2);
    assert_int_equal(field_seal(&kr, "a.b", ID18, 18, fresh, sizeof fresh, &fn), 0);
    assert_int_equal(field_envelope_parse(fresh, fn, &id, NULL), 0);
    assert_int_equal(id, 2);
    assert_int_equal(field_envelope_parse(old, on, &id, NULL), 0);
    assert_int_equal(id, 1);
    assert_int_equal(field_open(&kr, "a.b", old, on, p, sizeof p, &pn), 0);
    assert_string_equal((char *)p, ID18);
    assert_int_equal(field_open(&kr, "a.b", fresh, fn, p, sizeof p, &pn), 0);
    assert_string_equal((char *)p, ID18);

    /* The blind index stays on the oldest key, so stored indexes survive rotation; the
     * new key's blind key differs (for a future explicit re-index). */
    int64_t bi_new = blind_index(&kr, "idno", ID18, 18), v = 0;
    assert_true(bi_new == bi_old);
    assert_int_equal(blind_index_with(keyring_find(&kr, 2), "idno", ID18, 18, &v), 0);
    assert_true(v != bi_old);
    keyring_wipe(&kr);
    wipe(raw1, sizeof raw1);
    wipe(raw2, sizeof raw2);
}

static void
test_blind_index(void **state)
{
    struct keyring kr = test_keyring(3, 0x77), kr2 = test_keyring(3, 0x78);
    const struct datakey *k = keyring_active(&kr);
    uint8_t mac[SM3_LEN];
    (void)state;

    int64_t a = blind_index(&kr, "sample.id_number", ID18, 18);
    assert_true(a == blind_index(&kr, "sample.id_number", ID18, 18));
    assert_true(a != blind_index(&kr, "person.id_number", ID18, 18));
    assert_true(a != blind_index(&kr, "sample.id_number", "110102199003071234", 18));
    assert_true(a != blind_index(&kr2, "sample.id_number", ID18, 18));
    /* The NUL separator keeps (domain, value) pairs apart. */
    assert_true(blind_index(&kr, "ab", "c", 1) != blind_index(&kr, "a", "bc", 2));
    /* First 8 bytes of HMAC-SM3(blind key, domain "\0" value), big-endian. */
    ref_hmac_sm3(k->blind, SM3_LEN, "sample.id_number\0" "11010219900307123X", 17 + 18, mac);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want = want << 8 | mac[i];
    assert_true((uint64_t)a == want);

    struct keyring empty;
    memset(&empty, 0, sizeof empty);
    assert_true(blind_index(&empty, "d", "v", 1) == 0);
    keyring_wipe(&kr);
    keyring_wipe(&kr2);
}

/* ---- keyring ---- */

static char tmp_root[64];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int
tmp_setup(void **state)
{
    (void)state;
    snprintf(tmp_root, sizeof tmp_root, "/tmp/jy-test-crypto-XXXXXX");
    return mkdtemp(tmp_root) ? 0 : -1;
}

static int
tmp_teardown(void **state)
{
    (void)state;
    return nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tmp_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", tmp_root, rel);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void
read_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void
test_kek_create_load(void **state)
{
    char path[256], dir[256], text[256], again[256];
    struct stat st;
    struct kek a, b;
    (void)state;

    tmp_path(path, sizeof path, "var/keys/kek");
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    tmp_path(dir, sizeof dir, "var/keys");
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    tmp_path(dir, sizeof dir, "var");
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);

    read_file(path, text, sizeof text);
    assert_int_equal(strlen(text), strlen("jiayuan-kek v1 ") + 64 + 1);
    assert_memory_equal(text, "jiayuan-kek v1 ", 15);
    assert_int_equal(text[15 + 64], '\n');
    for (int i = 15; i < 15 + 64; i++)
        assert_non_null(strchr("0123456789abcdef", text[i]));

    /* Never overwritten. */
    assert_int_equal(keyring_kek_create(path), ERR_CONFLICT);
    read_file(path, again, sizeof again);
    assert_string_equal(again, text);

    assert_int_equal(keyring_kek_load(path, &a), 0);
    assert_int_equal(keyring_kek_load(path, &b), 0);
    assert_memory_equal(&a, &b, sizeof a);

    /* A second KEK differs. */
    tmp_path(path, sizeof path, "var/keys/kek2");
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &b), 0);
    assert_memory_not_equal(a.enc, b.enc, sizeof a.enc);
    assert_memory_not_equal(a.mac, b.mac, sizeof a.mac);
    kek_wipe(&a);
    kek_wipe(&b);
    uint8_t zero[sizeof a];
    memset(zero, 0, sizeof zero);
    assert_memory_equal(&a, zero, sizeof a);
}

static void
test_kek_create_refuses_symlink(void **state)
{
    char path[256], target[256];
    struct stat st;
    (void)state;
    tmp_path(path, sizeof path, "link-kek");
    tmp_path(target, sizeof target, "elsewhere");
    assert_int_equal(symlink(target, path), 0);
    assert_int_equal(keyring_kek_create(path), ERR_CONFLICT);
    assert_int_not_equal(stat(target, &st), 0);
}

static void
test_kek_load_errors(void **state)
{
    static const char good[] =
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    static const char *const bad[] = {
        "",
        "\n",
        "jiayuan-kek v1 \n",
        "jiayuan-kek v2 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00\n",
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
        "jiayuan-kek v1  000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
        "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f x\n",
    };
    char path[256], big[600];
    struct kek k;
    (void)state;

    tmp_path(path, sizeof path, "absent/kek");
    assert_int_equal(keyring_kek_load(path, &k), ERR_NOT_FOUND);
    tmp_path(path, sizeof path, "nope");
    assert_int_equal(keyring_kek_load(path, &k), ERR_NOT_FOUND);

    tmp_path(path, sizeof path, "kek-test");
    write_file(path, good, 0600);
    assert_int_equal(keyring_kek_load(path, &k), 0);
    /* The final newline is optional. */
    write_file(path, "jiayuan-kek v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
               0600);
    struct kek k2;
    assert_int_equal(keyring_kek_load(path, &k2), 0);
    assert_memory_equal(&k, &k2, sizeof k);
    /* The keys are derived from the file, not the file bytes themselves. */
    uint8_t raw[32];
    unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", raw, 32);
    assert_memory_not_equal(k.enc, raw, sizeof k.enc);

    static const mode_t modes[] = { 0640, 0604, 0660, 0644, 0610, 0601, 0620, 0602 };
    write_file(path, good, 0600);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(chmod(path, modes[i]), 0);
        assert_int_equal(keyring_kek_load(path, &k), ERR_FORBIDDEN);
    }
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(keyring_kek_load(path, &k), 0);
    /* issue 12: never through a symbolic link, never a file another user owns */
    {
        char link_path[256];
        tmp_path(link_path, sizeof link_path, "kek-link");
        unlink(link_path);
        assert_int_equal(symlink(path, link_path), 0);
        assert_int_equal(keyring_kek_load(link_path, &k), ERR_FORBIDDEN);
        unlink(link_path);
        if (geteuid() == 0) { /* only root can hand a file to another owner */
            assert_int_equal(chown(path, 65534, 65534), 0);
            assert_int_equal(keyring_kek_load(path, &k), ERR_FORBIDDEN);
            assert_int_equal(chown(path, 0, 0), 0);
            assert_int_equal(keyring_kek_load(path, &k), 0);
        }
    }

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i], 0600);
        assert_int_equal(keyring_kek_load(path, &k), ERR_INVALID);
    }
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_file(path, big, 0600);
    assert_int_equal(keyring_kek_load(path, &k), ERR_INVALID);

    /* A folder is not a key file. */
    tmp_path(path, sizeof path, "a-dir");
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(keyring_kek_load(path, &k), ERR_INVALID);
    kek_wipe(&k);
    kek_wipe(&k2);
}

static void
test_wrap_unwrap(void **state)
{
    char path[256];
    struct kek kek, other;
    uint8_t raw[DATA_KEY_LEN], back[DATA_KEY_LEN], w[FIELD_SEALED_LEN(DATA_KEY_LEN)];
    size_t n = 0;
    uint32_t id = 0;
    (void)state;

    tmp_path(path, sizeof path, "wrap/kek");
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &kek), 0);
    tmp_path(path, sizeof path, "wrap/kek-other");
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &other), 0);

    assert_int_equal(crypto_random(raw, sizeof raw), 0);
    assert_int_equal(keyring_wrap(&kek, 5, raw, w, sizeof w, &n), 0);
    assert_int_equal(n, FIELD_SEALED_LEN(DATA_KEY_LEN));
    assert_null(memmem(w, n, raw, 8));
    assert_int_equal(field_envelope_parse(w, n, &id, NULL), 0);
    assert_int_equal(id, 5);
    assert_int_equal(keyring_unwrap(&kek, 5, w, n, back), 0);
    assert_memory_equal(raw, back, sizeof raw);

    assert_int_equal(keyring_unwrap(&other, 5, w, n, back), ERR_CRYPTO);
    assert_int_equal(keyring_unwrap(&kek, 6, w, n, back), ERR_CRYPTO);
    assert_int_equal(keyring_unwrap(&kek, 5, w, n - 1, back), ERR_CRYPTO);
    assert_int_equal(keyring_unwrap(&kek, 5, w, 0, back), ERR_CRYPTO);
    for (size_t i = 0; i < n; i++) {
        w[i] ^= 0x80;
        assert_int_equal(keyring_unwrap(&kek, 5, w, n, back), ERR_CRYPTO);
        w[i] ^= 0x80;
    }
    /* A data key wrapped for id 6 with the id-5 envelope's id field rewritten still fails:
     * the associated data "data_key:<id>" binds it. */
    assert_int_equal(keyring_wrap(&kek, 6, raw, w, sizeof w, &n), 0);
    w[4] = 5;
    assert_int_equal(keyring_unwrap(&kek, 5, w, n, back), ERR_CRYPTO);
    assert_int_equal(keyring_wrap(&kek, 5, raw, w, n - 1, &n), ERR_TOO_LARGE);
    kek_wipe(&kek);
    kek_wipe(&other);
}

static void
test_keyring_add(void **state)
{
    struct keyring kr;
    uint8_t raw[DATA_KEY_LEN], sub[SM3_LEN];
    (void)state;

    memset(&kr, 0, sizeof kr);
    assert_null(keyring_active(&kr));
    assert_null(keyring_find(&kr, 0));
    for (uint32_t i = 0; i < KEYRING_MAX; i++) {
        memset(raw, (int)i + 1, sizeof raw);
        assert_int_equal(keyring_add(&kr, 100 + i, raw), 0);
        assert_int_equal(kr.active, 100 + i);
    }
    assert_int_equal(keyring_add(&kr, 999, raw), ERR_TOO_LARGE);
    assert_int_equal(kr.n, KEYRING_MAX);
    assert_non_null(keyring_find(&kr, 100));
    assert_null(keyring_find(&kr, 99));
    keyring_wipe(&kr);
    assert_int_equal(kr.n, 0);
    assert_null(keyring_active(&kr));

    memset(raw, 0x5a, sizeof raw);
    assert_int_equal(keyring_add(&kr, 1, raw), 0);
    assert_int_equal(keyring_add(&kr, 1, raw), ERR_CONFLICT);
    const struct datakey *k = keyring_find(&kr, 1);
    /* Subkeys are HKDF-SM3 of the data key under distinct labels. */
    assert_int_equal(hkdf_sm3(raw, sizeof raw, NULL, 0, "jiayuan field-enc v1", sub, 16), 0);
    assert_memory_equal(k->field_enc, sub, 16);
    assert_int_equal(hkdf_sm3(raw, sizeof raw, NULL, 0, "jiayuan field-mac v1", sub, 32), 0);
    assert_memory_equal(k->field_mac, sub, 32);
    assert_memory_not_equal(k->field_mac, k->blind, 32);
    assert_memory_not_equal(k->blind, k->audit, 32);
    assert_memory_not_equal(k->audit, k->token, 32);
    assert_memory_not_equal(k->token, k->field_mac, 32);
    assert_memory_not_equal(k->field_enc, raw, 16);
    keyring_wipe(&kr);
}

/* ---- password ---- */

static void
test_password_round_trip(void **state)
{
    struct buf h1 = BUF_INIT, h2 = BUF_INIT;
    (void)state;

    assert_int_equal(password_hash("Correct-Horse-9", 1000, &h1), 0);
    assert_int_equal(password_hash("Correct-Horse-9", 1000, &h2), 0);
    assert_string_not_equal(h1.data, h2.data); /* random salt */
    assert_memory_equal(h1.data, "pbkdf2-sm3$1000$", 16);
    /* 16-byte salt = 22 b64url chars, 32-byte hash = 43. */
    assert_int_equal(h1.len, 16 + 22 + 1 + 43);
    assert_int_equal(h1.data[16 + 22], '$');

    assert_int_equal(password_verify("Correct-Horse-9", h1.data), 0);
    assert_int_equal(password_verify("Correct-Horse-9", h2.data), 0);
    assert_int_equal(password_verify("correct-Horse-9", h1.data), ERR_LOGIN_FAILED);
    assert_int_equal(password_verify("Correct-Horse-", h1.data), ERR_LOGIN_FAILED);
    assert_int_equal(password_verify("", h1.data), ERR_LOGIN_FAILED);
    assert_int_equal(password_verify(NULL, h1.data), ERR_INVALID);

    buf_reset(&h1);
    assert_int_equal(password_hash("疫情防控-2026", 10, &h1), 0);
    assert_int_equal(password_verify("疫情防控-2026", h1.data), 0);
    assert_int_equal(password_verify("疫情防控-2025", h1.data), ERR_LOGIN_FAILED);
    buf_reset(&h1);
    assert_int_equal(password_hash("", 10, &h1), 0);
    assert_int_equal(password_verify("", h1.data), 0);
    assert_int_equal(password_verify(" ", h1.data), ERR_LOGIN_FAILED);

    assert_int_equal(password_hash("x", 0, &h1), ERR_INVALID);
    assert_int_equal(password_hash("x", PASSWORD_ITERATIONS_MAX + 1, &h1), ERR_INVALID);
    assert_int_equal(password_hash(NULL, 10, &h1), ERR_INVALID);
    buf_release(&h1);
    buf_release(&h2);
}

/* A stored string built by hand from pbkdf2_sm3 verifies: the format is what password.h
 * says it is. */
static void
test_password_format(void **state)
{
    uint8_t salt[16], hash[32];
    struct buf s = BUF_INIT;
    (void)state;

    memcpy(salt, "0123456789abcdef", 16);
    assert_int_equal(pbkdf2_sm3("s3cret!", 7, salt, 16, 1234, hash, 32), 0);
    buf_adds(&s, "pbkdf2-sm3$1234$");
    b64url_encode(&s, salt, 16);
    buf_addch(&s, '$');
    b64url_encode(&s, hash, 32);
    assert_int_equal(password_verify("s3cret!", s.data), 0);
    assert_int_equal(password_verify("s3cret?", s.data), ERR_LOGIN_FAILED);
    assert_false(password_needs_rehash(s.data, 1234));
    assert_false(password_needs_rehash(s.data, 1000));
    assert_true(password_needs_rehash(s.data, 1235));
    assert_true(password_needs_rehash(s.data, PASSWORD_ITERATIONS_DEFAULT));
    /* Every byte of the hash counts, the last one too. */
    hash[31] ^= 1;
    buf_reset(&s);
    buf_adds(&s, "pbkdf2-sm3$1234$");
    b64url_encode(&s, salt, 16);
    buf_addch(&s, '$');
    b64url_encode(&s, hash, 32);
    assert_int_equal(password_verify("s3cret!", s.data), ERR_LOGIN_FAILED);
    buf_release(&s);
}

static void
test_password_malformed(void **state)
{
    static const char *const bad[] = {
        "",
        "pbkdf2-sm3",
        "pbkdf2-sm3$",
        "pbkdf2-sm3$$$",
        "pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "PBKDF2-SM3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$0$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$-1$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$+5$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$010$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$ 10$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$10000001$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$4294967296$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$99999999999999999999999$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$1e3$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$1000$$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0$",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0$x",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2Rl$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$1000$MDEyMzQ1N!c4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0AA",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0\n",
        "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6 xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0",
        ("pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZgMDEyMzQ1Njc4OWFiY2RlZgMDEyMzQ1Njc4OWFiY2RlZgMDEy"
         "MzQ1Njc4OWFiY2RlZgMDEyMzQ1Njc4OWFiY2RlZg$q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0"),
    };
    char huge[2000];
    (void)state;

    /* The shape every bad string below is cut from is itself well formed. */
    assert_int_equal(password_verify("pw", "pbkdf2-sm3$1000$MDEyMzQ1Njc4OWFiY2RlZg$"
                                           "q83fJ8qm0Un6xFfBNiUpCwmrwDmyNLhe6TrX1p1IKQ0"),
                     ERR_LOGIN_FAILED);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(password_verify("pw", bad[i]), ERR_INVALID);
        assert_true(password_needs_rehash(bad[i], 1));
    }
    assert_int_equal(password_verify("pw", NULL), ERR_INVALID);
    assert_true(password_needs_rehash(NULL, 1));
    memset(huge, 'A', sizeof huge - 1);
    memcpy(huge, "pbkdf2-sm3$1000$", 16);
    huge[sizeof huge - 1] = '\0';
    assert_int_equal(password_verify("pw", huge), ERR_INVALID);
}

/* ---- TOTP ---- */

static const uint8_t totp_secret[] = "12345678901234567890";

static void
test_totp_vectors(void **state)
{
    /* RFC 4226 appendix D (HOTP = TOTP at step = counter), 6 digits. */
    static const uint32_t hotp[] = { 755224, 287082, 359152, 969429, 338314,
                                     254676, 287922, 162583, 399871, 520489 };
    /* RFC 6238 appendix B, SHA1, 8 digits. */
    static const struct {
        uint64_t t;
        uint32_t code;
    } totp[] = {
        { 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
        { 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000ULL, 65353130 },
    };
    uint32_t code = 0;
    (void)state;

    for (uint64_t c = 0; c < 10; c++) {
        assert_int_equal(totp_code(totp_secret, 20, c, 6, &code), 0);
        assert_int_equal(code, hotp[c]);
    }
    for (size_t i = 0; i < sizeof totp / sizeof totp[0]; i++) {
        assert_int_equal(totp_code(totp_secret, 20, totp[i].t / 30, 8, &code), 0);
        assert_int_equal(code, totp[i].code);
    }
    assert_int_equal(totp_code(totp_secret, 20, 1, 5, &code), ERR_INVALID);
    assert_int_equal(totp_code(totp_secret, 20, 1, 9, &code), ERR_INVALID);
    assert_int_equal(totp_code(totp_secret, 0, 1, 6, &code), ERR_INVALID);
}

static void
code6(uint64_t step, char out[7])
{
    uint32_t c = 0;
    assert_int_equal(totp_code(totp_secret, 20, step, 6, &c), 0);
    snprintf(out, 7, "%06u", (unsigned)c);
}

static void
test_totp_verify(void **state)
{
    const int64_t now = 1111111109; /* step 37037036 */
    const int64_t step = now / 30;
    char cur[7], prev[7], next[7], far[7], wrong[7];
    int64_t last = 0;
    (void)state;

    code6((uint64_t)step, cur);
    code6((uint64_t)step - 1, prev);
    code6((uint64_t)step + 1, next);
    code6((uint64_t)step + 2, far);
    assert_string_equal(cur, "081804"); /* RFC 6238 07081804, last 6 digits */

    assert_int_equal(totp_verify(totp_secret, 20, now, cur, &last), 0);
    assert_true(last == step);
    /* Replay of the same code. */
    assert_int_equal(totp_verify(totp_secret, 20, now, cur, &last), ERR_LOGIN_FAILED);
    assert_int_equal(totp_verify(totp_secret, 20, now + 29, cur, &last), ERR_LOGIN_FAILED);
    /* An older step after a newer one was used. */
    assert_int_equal(totp_verify(totp_secret, 20, now, prev, &last), ERR_LOGIN_FAILED);
    assert_true(last == step);
    /* One step of drift ahead is accepted once; then the current step is spent too. */
    assert_int_equal(totp_verify(totp_secret, 20, now, next, &last), 0);
    assert_true(last == step + 1);
    assert_int_equal(totp_verify(totp_secret, 20, now, next, &last), ERR_LOGIN_FAILED);

    /* One step behind is accepted when fresh; two steps ahead never. */
    last = 0;
    assert_int_equal(totp_verify(totp_secret, 20, now, prev, &last), 0);
    assert_true(last == step - 1);
    assert_int_equal(totp_verify(totp_secret, 20, now, far, &last), ERR_LOGIN_FAILED);
    assert_int_equal(totp_verify(totp_secret, 20, now + 60, cur, &last), ERR_LOGIN_FAILED);
    assert_true(last == step - 1);

    /* Wrong code. */
    uint32_t c = 0;
    assert_int_equal(totp_code(totp_secret, 20, (uint64_t)step, 6, &c), 0);
    snprintf(wrong, sizeof wrong, "%06u", (unsigned)((c + 1) % 1000000));
    last = 0;
    if (strcmp(wrong, prev) && strcmp(wrong, next))
        assert_int_equal(totp_verify(totp_secret, 20, now, wrong, &last), ERR_LOGIN_FAILED);
    assert_true(last == 0);

    /* Not exactly six ASCII digits. */
    static const char *const malformed[] = {
        "", "81804", "0818040", " 081804", "081804 ", "08180a", "08 804", "+81804", "-81804",
        ("\xef\xbc\x90" "81804"), "081804\n",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        assert_int_equal(totp_verify(totp_secret, 20, now, malformed[i], &last),
                         ERR_LOGIN_FAILED);
    assert_int_equal(totp_verify(totp_secret, 20, now, NULL, &last), ERR_LOGIN_FAILED);
    assert_int_equal(totp_verify(totp_secret, 20, now, cur, NULL), ERR_LOGIN_FAILED);
    assert_int_equal(totp_verify(totp_secret, 20, -1, cur, &last), ERR_LOGIN_FAILED);
    assert_true(last == 0);
    /* The 8-digit RFC code is not a 6-digit code. */
    assert_int_equal(totp_verify(totp_secret, 20, now, "07081804", &last), ERR_LOGIN_FAILED);
    /* Still fine. */
    assert_int_equal(totp_verify(totp_secret, 20, now, cur, &last), 0);
}

/* ---- threads: each thread has its own cached contexts ---- */

struct thread_arg {
    const struct keyring *kr;
    int64_t want_bi;
    uint8_t want_mac[SM3_LEN];
    bool release_early;
    int failures;
};

static void *
thread_main(void *p)
{
    struct thread_arg *a = p;
    uint8_t c[FIELD_SEALED_LEN(18)], pt[19], mac[SM3_LEN];
    size_t n = 0, pn = 0;

    for (int i = 0; i < 2000; i++) {
        if (field_seal(a->kr, "t.v", ID18, 18, c, sizeof c, &n) ||
            field_open(a->kr, "t.v", c, n, pt, sizeof pt, &pn) || memcmp(pt, ID18, 19) != 0)
            a->failures++;
        if (blind_index(a->kr, "t.v", ID18, 18) != a->want_bi)
            a->failures++;
        if (hmac_sm3("Jefe", 4, "what do ya want for nothing?", 28, mac) ||
            memcmp(mac, a->want_mac, SM3_LEN) != 0)
            a->failures++;
    }
    /* Half the threads free their contexts early, the others at thread exit. */
    if (a->release_early)
        crypto_thread_release();
    return NULL;
}

static void
test_threads(void **state)
{
    struct keyring kr = test_keyring(4, 0x99);
    struct thread_arg args[6];
    pthread_t th[6];
    (void)state;

    for (int i = 0; i < 6; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].kr = &kr;
        args[i].want_bi = blind_index(&kr, "t.v", ID18, 18);
        args[i].release_early = i % 2;
        assert_int_equal(hmac_sm3("Jefe", 4, "what do ya want for nothing?", 28,
                                  args[i].want_mac),
                         0);
    }
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    /* The main thread's contexts can be dropped and come back. */
    crypto_thread_release();
    assert_int_equal(crypto_selftest(), 0);
    keyring_wipe(&kr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sm4_kat),
        cmocka_unit_test(test_sm3_kat),
        cmocka_unit_test(test_hmac_sm3),
        cmocka_unit_test(test_hmac_sha1),
        cmocka_unit_test(test_hkdf_sm3),
        cmocka_unit_test(test_pbkdf2_sm3),
        cmocka_unit_test(test_sm4_ctr),
        cmocka_unit_test(test_random_equal_selftest),
        cmocka_unit_test(test_field_round_trip),
        cmocka_unit_test(test_field_format),
        cmocka_unit_test(test_field_tamper),
        cmocka_unit_test(test_field_wrong_ad_key),
        cmocka_unit_test(test_field_empty_and_large),
        cmocka_unit_test(test_field_rotation),
        cmocka_unit_test(test_blind_index),
        cmocka_unit_test(test_kek_create_load),
        cmocka_unit_test(test_kek_create_refuses_symlink),
        cmocka_unit_test(test_kek_load_errors),
        cmocka_unit_test(test_wrap_unwrap),
        cmocka_unit_test(test_keyring_add),
        cmocka_unit_test(test_password_round_trip),
        cmocka_unit_test(test_password_format),
        cmocka_unit_test(test_password_malformed),
        cmocka_unit_test(test_totp_vectors),
        cmocka_unit_test(test_totp_verify),
        cmocka_unit_test(test_threads),
    };
    log_set_quiet(true);
    return cmocka_run_group_tests(tests, tmp_setup, tmp_teardown);
}
