/* core/vec.h - growable arrays: one checked growth rule instead of hand-written `cap * 2`.
 *
 * Two forms over the same rule (double, first room for 16):
 *  - a pointer, a count and a capacity that the caller keeps (in a struct or on the stack):
 *    `VEC_ROOM(items, n, cap)` before writing items[n] (heap, xrealloc), or
 *    `VEC_ARENA_ROOM(arena, items, n, cap)` for arrays that live in a request arena;
 *  - `VEC(T)`, a struct {T *v; size_t n, cap;} with vec_push / vec_release, for new code.
 * The macros take the element size from the pointer, so the type cannot be given wrong.
 * Sizes are overflow-checked: an array that cannot grow aborts like xmalloc (out of
 * memory), it never wraps. Growing may move the array: pointers into it are stale after.
 */
#ifndef JY_CORE_VEC_H
#define JY_CORE_VEC_H
#include <stddef.h>

#include "core/alloc.h"

struct arena;

/* vec_reserve returns items (xmalloc'd with room for *cap elements; NULL when *cap is 0)
 * with room for at least need elements: unchanged when need <= *cap, else reallocated to
 * twice the capacity (16 when *cap is 0), or to need when that is more. *cap is updated.
 * Free the result with xfree. */
void *vec_reserve(void *items, size_t need, size_t *cap, size_t size);
/* vec_grow is vec_reserve for one more element than the n in use. */
void *vec_grow(void *items, size_t n, size_t *cap, size_t size);
/* vec_grow_arena is vec_grow for an array in arena: when full, it returns a copy of the n
 * elements in a new arena block with twice the room (the old block stays until the arena
 * is released). items may be NULL when *cap is 0. */
void *vec_grow_arena(struct arena *arena, void *items, size_t n, size_t *cap, size_t size);

/* VEC_ROOM makes room for one more element: afterwards items[n] may be written. */
#define VEC_ROOM(items, n, cap) ((items) = vec_grow((items), (n), &(cap), sizeof *(items)))
/* VEC_RESERVE makes room for need elements in all. */
#define VEC_RESERVE(items, need, cap) ((items) = vec_reserve((items), (need), &(cap), sizeof *(items)))
#define VEC_ARENA_ROOM(arena, items, n, cap) \
    ((items) = vec_grow_arena((arena), (items), (n), &(cap), sizeof *(items)))

/* A typed vector value: VEC(int) v = VEC_INIT; vec_push(&v, 3); ... vec_release(&v). */
#define VEC(T)                                                                                   \
    struct {                                                                                     \
        T *v;                                                                                    \
        size_t n, cap;                                                                           \
    }
#define VEC_INIT { NULL, 0, 0 }
/* vec_push appends x (evaluated once, after the room is made). */
#define vec_push(vec, x) (VEC_ROOM((vec)->v, (vec)->n, (vec)->cap), (vec)->v[(vec)->n++] = (x))
/* vec_release frees the elements' array (not what they point to); back to VEC_INIT. */
#define vec_release(vec) (xfree((vec)->v), (vec)->v = NULL, (vec)->n = 0, (vec)->cap = 0)

#endif
