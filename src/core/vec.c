/* core/vec.c - see vec.h. The one place where arrays grow (style: no hand-written
 * `cap * 2`); overflow aborts like out-of-memory. */
#include "core/vec.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"

#define VEC_FIRST 16

/* vec_next_cap returns the doubled capacity (at least need) and its size in bytes; on
 * overflow the size is SIZE_MAX, which xmalloc/xrealloc/arena_alloc refuse by aborting
 * (logged there as out of memory). */
static size_t
vec_next_cap(size_t cap, size_t need, size_t size, size_t *bytes)
{
    size_t next = cap ? cap : VEC_FIRST / 2;
    if (!size_mul(next, 2, &next))
        next = SIZE_MAX;
    if (next < need)
        next = need;
    if (!size_mul(next, size, bytes))
        *bytes = SIZE_MAX;
    return next;
}

void *
vec_reserve(void *items, size_t need, size_t *cap, size_t size)
{
    size_t bytes;
    if (need <= *cap)
        return items;
    *cap = vec_next_cap(*cap, need, size, &bytes);
    return xrealloc(items, bytes);
}

void *
vec_grow(void *items, size_t n, size_t *cap, size_t size)
{
    return vec_reserve(items, n + 1, cap, size);
}

void *
vec_grow_arena(struct arena *arena, void *items, size_t n, size_t *cap, size_t size)
{
    size_t bytes;
    void *bigger;
    if (n < *cap)
        return items;
    *cap = vec_next_cap(*cap, n + 1, size, &bytes);
    bigger = arena_alloc(arena, bytes);
    if (n)
        memcpy(bigger, items, n * size);
    return bigger;
}
