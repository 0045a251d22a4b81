/* core/str.h - borrowed string slices and bounded number parsing.
 *
 * struct str {p, n} points into memory owned by someone else; it is not NUL-terminated.
 * The parse helpers never read past n and fail with ERR_INVALID on anything but a full,
 * in-range number.
 */
#ifndef JY_CORE_STR_H
#define JY_CORE_STR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct str {
    const char *p;
    size_t n;
};

#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })
static inline struct str str_of(const char *s) { return (struct str){ s, s ? strlen(s) : 0 }; }

bool str_eq(struct str a, struct str b);
bool str_eq_cstr(struct str a, const char *s);
bool str_has_prefix(struct str a, const char *prefix);
bool str_has_suffix(struct str a, const char *suffix);
/* str_trim drops ASCII white space at both ends. */
struct str str_trim(struct str s);
/* str_to_i64 parses an optional '-' and decimal digits, in [min, max]. */
int str_to_i64(struct str s, int64_t *out, int64_t min, int64_t max);
int cstr_to_i64(const char *s, int64_t *out, int64_t min, int64_t max);
/* str_copy copies s into dst of size cap (cap > 0), NUL-terminated, truncating. */
void str_copy(char *dst, size_t cap, const char *src);
/* str_is_utf8 reports whether p[0..n) is well-formed UTF-8 without NUL bytes. */
bool str_is_utf8(const char *p, size_t n);
/* str_has_ctl reports whether p[0..n) holds ASCII control characters (CR, LF, TAB …). */
bool str_has_ctl(const char *p, size_t n);
/* str_strip_notes drops bracketed notes ("(…)", "[…]") at either end and a trailing colon
 * of s[0..n), in place, until nothing changes; returns the new length (not NUL-terminated).
 * For header cells (io/columns.c, domain/places/text_norm.c). */
size_t str_strip_notes(char *s, size_t n);

#endif
