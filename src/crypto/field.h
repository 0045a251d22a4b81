/* crypto/field.h - field encryption and blind index for personal data (S1).
 *
 * Sealed value ("envelope"), all big-endian:
 *   version (1 byte, 0x01) | key id (4) | IV (16) | SM4-CTR ciphertext (n) | tag (16)
 * tag = first 16 bytes of HMAC-SM3(mac key, version|key id|IV|ciphertext|ad|len(ad) as 4
 * bytes). Encrypt-then-MAC; a fresh random IV per value, so equal plaintexts differ. The
 * associated data ad (e.g. "sample.id_number") binds a value to its table/column: a value
 * moved to another column fails to open.
 *
 * Blind index: first 8 bytes of HMAC-SM3(blind key, domain "\0" value) as int64, for
 * equality lookup; callers normalise the value first and confirm a match by opening.
 */
#ifndef JY_CRYPTO_FIELD_H
#define JY_CRYPTO_FIELD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"

#define FIELD_VERSION 1
#define FIELD_OVERHEAD (1 + 4 + 16 + 16)
#define FIELD_SEALED_LEN(n) ((n) + FIELD_OVERHEAD)

/* field_seal_with encrypts p[0..n) under k; out must hold FIELD_SEALED_LEN(n) bytes. */
int field_seal_with(const struct datakey *k, const char *ad, const void *p, size_t n,
                    uint8_t *out, size_t cap, size_t *out_len);
/* field_seal uses the keyring's active key. */
int field_seal(const struct keyring *kr, const char *ad, const void *p, size_t n,
               uint8_t *out, size_t cap, size_t *out_len);
/* field_open verifies and decrypts; out must hold n - FIELD_OVERHEAD bytes (plus 1: the
 * plaintext is NUL-terminated for text). ERR_CRYPTO on a bad tag, unknown key id, wrong ad
 * or malformed envelope (never a partial plaintext). */
int field_open(const struct keyring *kr, const char *ad, const uint8_t *c, size_t n,
               uint8_t *out, size_t cap, size_t *out_len);
/* field_envelope_parse checks the envelope's shape (version, lengths) and returns its key
 * id and ciphertext length without any key (used by the fuzz target and rotation). */
int field_envelope_parse(const uint8_t *c, size_t n, uint32_t *key_id, size_t *plain_len);
/* blind_index computes the 64-bit blind index of value under the CURRENT blind-index
 * generation of kr (crypto/keys.h struct indexkey; issue 12) for domain BLIND_ROTATED_DOMAIN
 * (ID numbers), under generation 0 for every other domain (phone, names: their columns are not
 * re-indexed yet, docs/ops/key-rotation.md). Generation 0 is the blind key of the oldest data
 * key (keys[0]), which stays put when new data keys are added, so stored indexes remain valid
 * across field-key rotation; a ring without index generations loaded uses keys[0] too. */
#define BLIND_ROTATED_DOMAIN "idno"
int64_t blind_index(const struct keyring *kr, const char *domain, const void *p, size_t n);

/* Additions beyond the original contract (all in field.c).
 *
 * A NULL ad or domain means "". Sealing fails with ERR_TOO_LARGE when cap is too small (and
 * when ad is 4 GiB or longer), opening with ERR_TOO_LARGE when cap is below
 * n - FIELD_OVERHEAD + 1; field_envelope_parse fails with ERR_CRYPTO (as field_open does)
 * and accepts NULL for either out-parameter. blind_index returns 0 when the keyring has no
 * active key or the primitive fails (logged): callers that must tell use blind_index_with. */

/* field_open_with opens an envelope with one given key; ERR_CRYPTO when the envelope names
 * another key id (keyring_unwrap uses it with keys derived from the KEK). */
int field_open_with(const struct datakey *k, const char *ad, const uint8_t *c, size_t n,
                    uint8_t *out, size_t cap, size_t *out_len);
/* Integrity failures (issue 12, S-evidence). field_open (the keyring path every stored
 * value is read through) counts each envelope that fails its integrity check - a bad tag,
 * an unknown key id, a malformed envelope; not a cap too small - and logs one warning,
 * "crypto.integrity_failure", naming the associated data (the column), never any byte of
 * the value. field_open_with does neither (keyring_unwrap tries keys with it).
 * field_integrity_failures is the process-wide count since start (/metrics:
 * jiayuan_integrity_failures_total). Callers decide what the damaged row means to them and
 * report it as damaged data - never as "not found" - and audit it. */
uint64_t field_integrity_failures(void);
/* field_integrity_report counts and logs one integrity failure of another kind of stored
 * value (a row MAC, crypto/rowmac.h) the same way, naming ad; returns ERR_CRYPTO. */
int field_integrity_report(const char *ad);

/* blind_index_with computes the blind index under key k (e.g. an old key while rotating). */
int blind_index_with(const struct datakey *k, const char *domain, const void *p, size_t n,
                     int64_t *out);
/* blind_index_gen computes the index under blind-index generation gen of kr (ERR_NOT_FOUND
 * when kr lacks it; gen 0 of a ring without generations is keys[0]'s blind subkey), e.g. an
 * auditor's query over every generation kept; blind_index_current is blind_index's value
 * (the current generation for BLIND_ROTATED_DOMAIN, else 0) with the error told apart. */
int blind_index_gen(const struct keyring *kr, uint32_t gen, const char *domain, const void *p, size_t n,
                    int64_t *out);
int blind_index_current(const struct keyring *kr, const char *domain, const void *p, size_t n, int64_t *out);
/* blind_index_slots computes an ID-number (BLIND_ROTATED_DOMAIN) index for both index slots
 * of a column (migration 0032: `<col>` and `<col>_b`), each under the newest generation kr
 * holds for it (keyring_index_in_slot); has[s] false (out[s] 0) when slot s holds none. A
 * ring without generations fills slot 0 with keys[0]'s index. Writers store both. */
int blind_index_slots(const struct keyring *kr, const void *p, size_t n, int64_t out[2], bool has[2]);
/* blind_index_lookup is an ID number's index for a lookup: under the current generation and,
 * in *slot, the index slot that holds it - both from one snapshot, so a switch by another
 * thread cannot pair one generation's index with the other's slot. 0 (logged) on failure,
 * as blind_index. */
int64_t blind_index_lookup(const struct keyring *kr, const void *p, size_t n, unsigned *slot);

#endif
