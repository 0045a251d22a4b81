/* crypto/keyring.h - key-encryption key file and the data keys it wraps (S1).
 *
 * The KEK lives in a file (default VAR/keys/kek, mode 0600, outside the database). Data
 * keys are 32 random bytes each with a 32-bit id; they are stored wrapped (sealed with a key
 * derived from the KEK, field_seal format, associated data "data_key:<id>") in the database
 * by domain/platform/keystore.c. From each data key, subkeys are derived with HKDF-SM3 per purpose.
 * Key material is wiped on release and never logged.
 *
 * KEK file format (text, one line): "jiayuan-kek v1 <64 hex digits>\n".
 */
#ifndef JY_CRYPTO_KEYRING_H
#define JY_CRYPTO_KEYRING_H
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h" /* struct kek, struct datakey, struct keyring */

/* keyring_kek_create writes a new random KEK file at path (creating parent folders, mode
 * 0600). ERR_CONFLICT when the file already exists: it is never overwritten. */
int keyring_kek_create(const char *path);
/* keyring_kek_load reads the KEK file. ERR_NOT_FOUND when absent, ERR_FORBIDDEN when its
 * mode allows group/other access, ERR_INVALID when malformed. */
int keyring_kek_load(const char *path, struct kek *out);
/* keyring_wrap seals a raw data key under the KEK; out needs FIELD_SEALED_LEN(32) bytes. */
int keyring_wrap(const struct kek *kek, uint32_t id, const uint8_t raw[DATA_KEY_LEN],
                 uint8_t *out, size_t cap, size_t *n);
/* keyring_unwrap opens a wrapped data key; ERR_CRYPTO when tampered or the wrong KEK. */
int keyring_unwrap(const struct kek *kek, uint32_t id, const uint8_t *wrapped, size_t n,
                   uint8_t raw[DATA_KEY_LEN]);
/* keyring_add derives subkeys from raw and appends them (ERR_TOO_LARGE when full). The
 * last key added becomes active. */
int keyring_add(struct keyring *kr, uint32_t id, const uint8_t raw[DATA_KEY_LEN]);
/* Retired keys (issue 12, `jiayuan keys retire`). A data key that no sealed value uses any
 * more loses its field keys; its blind-index, audit-chain, token and play keys (which the
 * audit chain and the oldest key's purposes still need) are kept, wrapped under the KEK
 * with associated data "retired_key:<id>" (KEYRING_RETIRED_LEN bytes in the clear).
 * keyring_wrap_retired wraps them (out needs FIELD_SEALED_LEN(KEYRING_RETIRED_LEN) bytes);
 * keyring_add_retired unwraps such a blob and appends the key with retired set and no
 * field keys (never made active). ERR_CRYPTO when the blob does not open. */
#define KEYRING_RETIRED_LEN (4 * SM3_LEN)
int keyring_wrap_retired(const struct kek *kek, const struct datakey *k, uint8_t *out, size_t cap,
                         size_t *n);
int keyring_add_retired(struct keyring *kr, const struct kek *kek, uint32_t id, const uint8_t *wrapped,
                        size_t n);
/* Blind-index key generations (issue 12, `keys rotate-index`): 32 random bytes each, wrapped
 * under the KEK with associated data "index_key:<gen>" (a data key's blob does not open as
 * an index key nor the reverse). keyring_unwrap_index opens one and derives its blind key
 * (HKDF-SM3, the data keys' blind label) into blind; ERR_CRYPTO when it does not open. */
int keyring_wrap_index(const struct kek *kek, uint32_t gen, const uint8_t raw[DATA_KEY_LEN], uint8_t *out, size_t cap,
                       size_t *n);
int keyring_unwrap_index(const struct kek *kek, uint32_t gen, const uint8_t *wrapped, size_t n,
                         uint8_t blind[SM3_LEN]);
/* keyring_find, keyring_active, keyring_wipe and kek_wipe are declared in crypto/keys.h. */

/* Details beyond the original contract (keyring.c): the 32 bytes of the KEK file are never
 * used directly; struct kek holds two keys derived from them by HKDF-SM3 ("jiayuan kek-enc
 * v1", "jiayuan kek-mac v1"). keyring_kek_load also fails with ERR_FORBIDDEN when the file
 * cannot be read for lack of permission and ERR_INVALID when it is not a regular file. Parent
 * folders that keyring_kek_create makes get mode 0700; existing ones are left alone.
 * keyring_add fails with ERR_CONFLICT when id is already in the ring. A keyring is ready
 * for keyring_add when zeroed ({0}); keyring_active is NULL while it is empty. */

#endif
