/* crypto/keys.c - lookups on the keyring and wiping of key structures (S1; see keys.h).
 * No cryptography here: deriving keys is keyring.c's, using them field.c's.
 */
#include "crypto/keys.h"

#include <string.h>

#include "core/err.h"

const struct datakey *
keyring_find(const struct keyring *kr, uint32_t id)
{
    if (!kr)
        return NULL;
    size_t n = __atomic_load_n(&kr->n, __ATOMIC_ACQUIRE); /* the slots below n are whole */
    for (size_t i = 0; i < n && i < KEYRING_MAX; i++)
        if (kr->keys[i].id == id)
            return &kr->keys[i];
    return NULL;
}

const struct datakey *
keyring_active(const struct keyring *kr)
{
    if (!kr)
        return NULL;
    const struct datakey *k = keyring_find(kr, __atomic_load_n(&kr->active, __ATOMIC_ACQUIRE));
    return k && !k->retired ? k : NULL;
}

int
keyring_set_active(struct keyring *kr, uint32_t id)
{
    const struct datakey *k = keyring_find(kr, id);
    if (!k)
        return ERR_NOT_FOUND;
    if (k->retired)
        return ERR_CONFLICT;
    __atomic_store_n(&kr->active, id, __ATOMIC_RELEASE);
    return 0;
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
