/* crypto/keys.c - lookups on the keyring and wiping of key structures (S1; see keys.h).
 * No cryptography here: deriving keys is keyring.c's, using them field.c's.
 */
#include "crypto/keys.h"

#include <string.h>

const struct datakey *
keyring_find(const struct keyring *kr, uint32_t id)
{
    if (!kr)
        return NULL;
    for (size_t i = 0; i < kr->n && i < KEYRING_MAX; i++)
        if (kr->keys[i].id == id)
            return &kr->keys[i];
    return NULL;
}

const struct datakey *
keyring_active(const struct keyring *kr)
{
    return kr ? keyring_find(kr, kr->active) : NULL;
}

void
keyring_wipe(struct keyring *kr)
{
    if (kr)
        explicit_bzero(kr, sizeof *kr); /* a store the compiler may not drop (issue 12) */
}

void
kek_wipe(struct kek *kek)
{
    if (kek)
        explicit_bzero(kek, sizeof *kek);
}
