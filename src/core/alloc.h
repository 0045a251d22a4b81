/* core/alloc.h - allocation that never returns NULL, and overflow-checked sizes.
 *
 * xmalloc and friends abort the process on out-of-memory (after logging), so callers never
 * check for NULL. size_mul/size_add return false on overflow.
 */
#ifndef JY_CORE_ALLOC_H
#define JY_CORE_ALLOC_H
#include <stdbool.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* xfree frees p; NULL is fine. */
void xfree(void *p);
/* wipe clears n bytes at p in a way the compiler may not elide (secrets). */
void wipe(void *p, size_t n);
/* xfree_secret wipes n bytes at p, then frees it. */
void xfree_secret(void *p, size_t n);

bool size_mul(size_t a, size_t b, size_t *out);
bool size_add(size_t a, size_t b, size_t *out);

#endif
