/* core/utf8.h - UTF-8: strict decoding, encoding, boundaries and the full-width fold.
 *
 * Strict means RFC 3629: no overlong forms, no surrogates (U+D800-U+DFFF), nothing past
 * U+10FFFF. Nothing here allocates except utf8_put (into a struct buf). str_is_utf8
 * (core/str.h) is utf8_valid that also refuses NUL bytes.
 */
#ifndef JY_CORE_UTF8_H
#define JY_CORE_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define UTF8_BAD 0xFFFFFFFFu

/* utf8_next decodes the code point at p[*i] (*i < n) and advances *i past it. An invalid
 * or truncated sequence returns UTF8_BAD and advances *i by one byte, so a loop always
 * makes progress. */
uint32_t utf8_next(const char *p, size_t n, size_t *i);
/* utf8_next_or_fffd is utf8_next with U+FFFD (the replacement character) for UTF8_BAD:
 * for text that is being normalised rather than checked. */
static inline uint32_t
utf8_next_or_fffd(const char *p, size_t n, size_t *i)
{
    uint32_t cp = utf8_next(p, n, i);
    return cp == UTF8_BAD ? 0xFFFD : cp;
}
/* utf8_valid reports whether p[0..n) is strict UTF-8 (NUL bytes are valid here). */
bool utf8_valid(const char *p, size_t n);
/* utf8_encode writes cp to out and returns its length (1-4); 0 for a surrogate or a value
 * past U+10FFFF (nothing written). */
size_t utf8_encode(uint32_t cp, char out[4]);
/* utf8_put appends cp to b; U+FFFD in its place when utf8_encode refuses it. */
void utf8_put(struct buf *b, uint32_t cp);
/* utf8_len returns the length of the sequence that the lead byte c starts, from the lead
 * byte alone (1 for ASCII and for a stray continuation or invalid byte). */
size_t utf8_len(unsigned char c);
/* utf8_count returns the number of characters in p[0..n): bytes that are not continuation
 * bytes (10xxxxxx). For valid UTF-8 this is the number of code points. */
size_t utf8_count(const char *p, size_t n);
/* utf8_cut returns the largest length <= max (and <= n) that does not split a character
 * of p: where to truncate text to at most max bytes. */
size_t utf8_cut(const char *p, size_t n, size_t max);
/* utf8_fold_width maps full-width ASCII forms (U+FF01-U+FF5E) to ASCII and the
 * ideographic space U+3000 to ' '; every other code point is returned unchanged. */
uint32_t utf8_fold_width(uint32_t cp);

/* utf8_is_space reports whether cp is white space of any kind Excel users type: ASCII
 * space and controls \t-\r, NEL, NBSP, the U+2000-U+200D spaces and zero widths, U+202F,
 * U+205F, U+2060, the ideographic space U+3000 and the BOM U+FEFF. */
bool utf8_is_space(uint32_t cp);

#endif
