/* crypto/keys.h - the key structures shared by the field envelope and the keyring (S1):
 * the two KEK-derived keys, one data key's subkeys, the ring of data keys, and the lookups
 * on it. Nothing here does cryptography; field.h seals with these keys and keyring.h makes
 * them (from the key file and wrapped data keys), so neither of the two includes the other's
 * header for the structures (keyring.c uses field.h to wrap: one direction only).
 *
 * The lookups keep the keyring_ / kek_ prefix of the structure they work on. Key material
 * is wiped by keyring_wipe / kek_wipe and never logged.
 */
#ifndef JY_CRYPTO_KEYS_H
#define JY_CRYPTO_KEYS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/sm.h"

#define KEYRING_MAX 16
#define DATA_KEY_LEN 32
#define INDEX_GEN_MAX 16

/* The two keys derived from the key file (HKDF-SM3), used only to wrap data keys. */
struct kek {
    uint8_t enc[SM4_KEY_LEN];
    uint8_t mac[SM3_LEN];
};

/* The subkeys derived from one data key. */
struct datakey {
    uint32_t id;
    uint8_t field_enc[SM4_KEY_LEN]; /* SM4-CTR for field encryption */
    uint8_t field_mac[SM3_LEN];     /* HMAC-SM3 tag for field encryption */
    uint8_t blind[SM3_LEN];         /* blind index HMAC key */
    uint8_t audit[SM3_LEN];         /* audit-chain HMAC key */
    uint8_t token[SM3_LEN];         /* HMAC key for session/API token hashes */
    uint8_t play[SM3_LEN];          /* HMAC key for signed play links (issue 9) */
    bool retired; /* issue 12: field keys destroyed (`keys retire`); the others stay */
};

/* One blind-index key generation (issue 12, `keys rotate-index`, S1). Generation 0 is the
 * oldest data key's blind subkey (the key every index was made with before index_keys
 * existed); later generations are random keys of their own, wrapped under the KEK in table
 * index_keys (domain/platform/keystore.h). slot names the index column that holds this
 * generation's indexes: 0 the original column, 1 its second slot (`<col>_b`). */
struct indexkey {
    uint32_t gen;
    uint8_t slot;
    uint8_t blind[SM3_LEN];
};

/* Up to KEYRING_MAX data keys in the order they were added; ready for keyring_add
 * (keyring.h) when zeroed ({0}). Key rotation (issue 12): one thread (serve's main loop,
 * keystore_refresh) may append a key and move active while others read; keyring_add
 * writes the new slot before it publishes n (release), keyring_find / keyring_active read
 * n and active with acquire loads, so a reader sees a key whole or not at all. Keys are
 * never removed from a ring in use. */
struct keyring {
    struct datakey keys[KEYRING_MAX];
    size_t n;
    uint32_t active; /* id used for new ciphertexts */
    /* blind-index generations, published like keys (nidx with a release store); while nidx
     * is 0 (a ring built without keystore_load) blind_index uses keys[0]'s blind subkey. */
    struct indexkey idx[INDEX_GEN_MAX];
    size_t nidx;
    uint32_t idx_current; /* the generation lookups and new indexes use */
};

/* keyring_find returns the key with id, NULL when kr is NULL or has no such key. The
 * pointer stays valid while kr is neither changed nor wiped. */
const struct datakey *keyring_find(const struct keyring *kr, uint32_t id);
/* keyring_active returns the key for new ciphertexts; NULL while kr is empty (or NULL). A
 * retired key is never active. */
const struct datakey *keyring_active(const struct keyring *kr);
/* keyring_wipe clears all key material of kr (NULL is fine). */
void keyring_wipe(struct keyring *kr);
/* keyring_set_active makes id the key for new ciphertexts (published with a release store);
 * ERR_NOT_FOUND when kr has no such key, ERR_CONFLICT when it is retired. */
int keyring_set_active(struct keyring *kr, uint32_t id);
/* Blind-index generations. keyring_index_find returns generation gen (NULL when kr lacks it);
 * keyring_index_current the current one (NULL while kr has none: blind_index then uses
 * keys[0]). keyring_index_add appends a generation (ERR_CONFLICT when present, ERR_TOO_LARGE
 * when full); it becomes current only through keyring_index_set_current (ERR_NOT_FOUND when
 * kr lacks gen). */
const struct indexkey *keyring_index_find(const struct keyring *kr, uint32_t gen);
const struct indexkey *keyring_index_current(const struct keyring *kr);
int keyring_index_add(struct keyring *kr, uint32_t gen, uint8_t slot, const uint8_t blind[SM3_LEN]);
int keyring_index_set_current(struct keyring *kr, uint32_t gen);
/* keyring_index_in_slot returns the newest generation kr holds for slot (0 or 1): the one
 * writers fill that slot with (NULL when none). keyring_index_read_slot is the slot lookups
 * read: the current generation's (0 while kr has none). */
const struct indexkey *keyring_index_in_slot(const struct keyring *kr, unsigned slot);
unsigned keyring_index_read_slot(const struct keyring *kr);
/* kek_wipe clears kek (NULL is fine). */
void kek_wipe(struct kek *kek);

#endif
