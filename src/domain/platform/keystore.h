/* domain/platform/keystore.h - data keys stored wrapped in the database (S1).
 *
 * The key-encryption key comes from a file (crypto/keyring.h); the data keys it wraps live
 * in table data_keys, so every node sharing a database shares them while holding only the
 * KEK. keystore_load creates the first data key when there is none.
 */
#ifndef JY_DOMAIN_KEYSTORE_H
#define JY_DOMAIN_KEYSTORE_H
#include "crypto/keyring.h"
#include "db/db.h"

/* keystore_load unwraps every data key into kr (active = the row marked active).
 * ERR_CRYPTO when a key does not open under kek (wrong KEK file for this database). */
int keystore_load(struct db *db, const struct kek *kek, struct keyring *kr);

#endif
