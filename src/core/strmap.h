/* core/strmap.h - a string-keyed hash map (open addressing) for per-batch caches and
 * aggregation. Keys are copied into the map's own arena; values are pointers the caller
 * owns. Not thread-safe.
 */
#ifndef JY_CORE_STRMAP_H
#define JY_CORE_STRMAP_H
#include <stddef.h>

#include "core/arena.h"

struct strmap_slot {
    const char *key;
    size_t key_len;
    void *value;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap, len;
    struct arena keys;
};
#define STRMAP_INIT { NULL, 0, 0, ARENA_INIT }

/* strmap_get returns the value for key[0..n), or NULL. */
void *strmap_get(const struct strmap *m, const char *key, size_t n);
/* strmap_put sets the value for key (replacing any); returns the stored key copy. */
const char *strmap_put(struct strmap *m, const char *key, size_t n, void *value);
/* strmap_release frees the table and keys (not the values). */
void strmap_release(struct strmap *m);
/* strmap_each: iterate with an index i from 0 while i < m->cap; empty slots have key NULL. */

#endif
