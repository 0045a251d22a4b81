/* domain/platform/keystore.h - data keys stored wrapped in the database (S1).
 *
 * The key-encryption key comes from a file (crypto/keyring.h); the data keys it wraps live
 * in table data_keys, so every node sharing a database shares them while holding only the
 * KEK. keystore_load creates the first data key when there is none.
 */
#ifndef JY_DOMAIN_KEYSTORE_H
#define JY_DOMAIN_KEYSTORE_H
#include <stdbool.h>
#include <stdint.h>

#include "crypto/keyring.h"
#include "db/db.h"

/* keystore_load unwraps every data key into kr (active = the row marked active).
 * ERR_CRYPTO when a key does not open under kek (wrong KEK file for this database). */
int keystore_load(struct db *db, const struct kek *kek, struct keyring *kr);

/* Key rotation (issue 12). keystore_add_generation adds a new random data key as the next id
 * and makes it the only active row, inside the caller's transaction; *id gets its id;
 * ERR_TOO_LARGE when data_keys holds KEYRING_MAX keys already (retired ones stay: their
 * audit keys verify old audit rows). Processes holding
 * a keyring pick it up with keystore_refresh: it reads the ids in data_keys and, only when
 * there is one the ring lacks, loads the KEK from kek_path (wiped again at once) and appends
 * the new keys; then the row marked active becomes kr's active key. *changed tells whether
 * kr changed. A retired key already in kr stays usable in that process until it restarts.
 * keystore_retire replaces key id's wrapped data key by its retired subkeys
 * (keyring_wrap_retired) and sets retired_at: ERR_NOT_FOUND when kr lacks it,
 * ERR_CONFLICT when it is active or retired already. The caller proves first that no
 * sealed value uses it (domain/platform/rotation.h). */
int keystore_add_generation(struct db *db, const struct kek *kek, uint32_t *id);
int keystore_refresh(struct db *db, const char *kek_path, struct keyring *kr, bool *changed);
int keystore_retire(struct db *db, const struct kek *kek, const struct keyring *kr, uint32_t id);

/* Blind-index key generations (issue 12, table index_keys, crypto/keys.h struct indexkey).
 * keystore_load and keystore_refresh also load every generation (gen 0: the oldest data
 * key's blind subkey; the others unwrapped with keyring_unwrap_index) and make the one in
 * state 'current' kr's current generation; keystore_refresh reports a generation added or
 * switched to as a change. keystore_index_add adds a random generation, the next number, in
 * state 'next' in the other slot than the current one's (inside the caller's transaction):
 * ERR_CONFLICT while a 'next' one exists, ERR_TOO_LARGE when INDEX_GEN_MAX are stored
 * (old ones are kept: audit targets name indexes made with them). keystore_index_switch
 * makes 'next' generation gen current and the current one old, in one statement pair in
 * the caller's transaction; ERR_NOT_FOUND when gen is not 'next'. Neither re-indexes: the
 * caller fills gen's slot before it switches (domain/platform/rotation.h). */
int keystore_index_add(struct db *db, const struct kek *kek, uint32_t *gen);
int keystore_index_switch(struct db *db, uint32_t gen);

#endif
