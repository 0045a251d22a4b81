/* core/arena.h - a request-lifetime arena: many small allocations, one release.
 *
 * Memory comes from chunks owned by the arena and is freed only by arena_release. Use it
 * for anything that lives exactly as long as one HTTP request.
 */
#ifndef JY_CORE_ARENA_H
#define JY_CORE_ARENA_H
#include <stddef.h>

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
};
#define ARENA_INIT { NULL }

void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_release(struct arena *a);

#endif
