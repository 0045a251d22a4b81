/* core/strmap.c - see strmap.h. FNV-1a hashing, linear probing, grows at 50% load. */
#include "core/strmap.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

static uint64_t
strmap_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static struct strmap_slot *
strmap_find(const struct strmap *m, const char *key, size_t n)
{
    size_t mask = m->cap - 1, i = (size_t)strmap_hash(key, n) & mask;
    while (m->slots[i].key) {
        if (m->slots[i].key_len == n && memcmp(m->slots[i].key, key, n) == 0)
            return &m->slots[i];
        i = (i + 1) & mask;
    }
    return &m->slots[i];
}

void *
strmap_get(const struct strmap *m, const char *key, size_t n)
{
    if (!m->cap)
        return NULL;
    struct strmap_slot *s = strmap_find(m, key, n);
    return s->key ? s->value : NULL;
}

static void
strmap_grow(struct strmap *m)
{
    struct strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            *strmap_find(m, old.slots[i].key, old.slots[i].key_len) = old.slots[i];
    xfree(old.slots);
}

const char *
strmap_put(struct strmap *m, const char *key, size_t n, void *value)
{
    if ((m->len + 1) * 2 > m->cap)
        strmap_grow(m);
    struct strmap_slot *s = strmap_find(m, key, n);
    if (!s->key) {
        s->key = arena_strndup(&m->keys, key, n);
        s->key_len = n;
        m->len++;
    }
    s->value = value;
    return s->key;
}

void
strmap_release(struct strmap *m)
{
    xfree(m->slots);
    arena_release(&m->keys);
    m->slots = NULL;
    m->cap = m->len = 0;
}
