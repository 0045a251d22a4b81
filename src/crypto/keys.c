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

const struct indexkey *
keyring_index_find(const struct keyring *kr, uint32_t gen)
{
    if (!kr)
        return NULL;
    size_t n = __atomic_load_n(&kr->nidx, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n && i < INDEX_GEN_MAX; i++)
        if (kr->idx[i].gen == gen)
            return &kr->idx[i];
    return NULL;
}

const struct indexkey *
keyring_index_current(const struct keyring *kr)
{
    if (!kr)
        return NULL;
    return keyring_index_find(kr, __atomic_load_n(&kr->idx_current, __ATOMIC_ACQUIRE));
}

int
keyring_index_add(struct keyring *kr, uint32_t gen, uint8_t slot, const uint8_t blind[SM3_LEN])
{
    if (kr->nidx >= INDEX_GEN_MAX)
        return ERR_TOO_LARGE;
    if (keyring_index_find(kr, gen))
        return ERR_CONFLICT;
    struct indexkey *k = &kr->idx[kr->nidx];
    k->gen = gen;
    k->slot = slot;
    memcpy(k->blind, blind, SM3_LEN);
    __atomic_store_n(&kr->nidx, kr->nidx + 1, __ATOMIC_RELEASE); /* publish the whole slot */
    return 0;
}

int
keyring_index_set_current(struct keyring *kr, uint32_t gen)
{
    if (!keyring_index_find(kr, gen))
        return ERR_NOT_FOUND;
    __atomic_store_n(&kr->idx_current, gen, __ATOMIC_RELEASE);
    return 0;
}

const struct indexkey *
keyring_index_in_slot(const struct keyring *kr, unsigned slot)
{
    const struct indexkey *best = NULL;
    if (!kr)
        return NULL;
    size_t n = __atomic_load_n(&kr->nidx, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < n && i < INDEX_GEN_MAX; i++)
        if (kr->idx[i].slot == slot && (!best || kr->idx[i].gen > best->gen))
            best = &kr->idx[i];
    return best;
}

unsigned
keyring_index_read_slot(const struct keyring *kr)
{
    const struct indexkey *g = keyring_index_current(kr);
    return g ? g->slot : 0;
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
