/* domain/places/text_norm.h - the comparable form of a cell that people typed: used to
 * match survey and device-list headers, subdistrict names and status words (R3.7, R3.8).
 *
 * text_norm drops white space of every kind (ASCII, NBSP, U+3000, zero-width spaces, BOM),
 * folds full-width ASCII (U+FF01..U+FF5E) to ASCII, lower-cases ASCII letters and, with
 * TEXT_NORM_HEADER, also drops '*', '＊', '_', '-', '.', a trailing ':' and bracketed notes
 * at either end ("经度（GCJ-02）" → "经度"). Invalid UTF-8 bytes become U+FFFD. It is a pure
 * function of its input and never fails: output longer than cap-1 bytes is cut at a
 * character boundary and *cut (may be NULL) is set.
 */
#ifndef JY_DOMAIN_PLACES_TEXT_NORM_H
#define JY_DOMAIN_PLACES_TEXT_NORM_H
#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

enum text_norm_flags { TEXT_NORM_HEADER = 1 << 0 };

/* text_norm writes the normalised form of in into out[0..cap) (NUL-terminated, cap > 0)
 * and returns its length. */
size_t text_norm(struct str in, unsigned flags, char *out, size_t cap, bool *cut);

#endif
