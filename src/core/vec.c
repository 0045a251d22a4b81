/* core/vec.c - see vec.h. The one place where arrays grow (style: no hand-written
 * `cap * 2`); overflow aborts like out-of-memory. */
#include "core/vec.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"

#define VEC_FIRST 16

/* vec_next_cap returns the doubled capacity and its size in bytes; on overflow the size
 * is SIZE_MAX, which xmalloc/xrealloc/arena_alloc refuse by aborting (logged there). */
static size_t
vec_next_cap(size_t cap, size_t size, size_t *bytes)
{
    size_t next = cap ? cap : VEC_FIRST / 2;
    if (!size_mul(next, 2, &next) || !size_mul(next, size, bytes))
        *bytes = SIZE_MAX;
    return next;
}

void *
vec_grow(void *items, size_t n, size_t *cap, size_t size)
{
    size_t bytes;
    if (n < *cap)
        return items;
    *cap = vec_next_cap(*cap, size, &bytes);
    return xrealloc(items, bytes);
}

void *
vec_grow_arena(struct arena *arena, void *items, size_t n, size_t *cap, size_t size)
{
    size_t bytes;
    void *bigger;
    if (n < *cap)
        return items;
    *cap = vec_next_cap(*cap, size, &bytes);
    bigger = arena_alloc(arena, bytes);
    if (n)
        memcpy(bigger, items, n * size);
    return bigger;
}
