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
#include "io/table.h"

enum text_norm_flags { TEXT_NORM_HEADER = 1 << 0 };

/* text_norm writes the normalised form of in into out[0..cap) (NUL-terminated, cap > 0)
 * and returns its length. */
size_t text_norm(struct str in, unsigned flags, char *out, size_t cap, bool *cut);

/* A name a column goes by in a sheet's header, as text_norm(…, TEXT_NORM_HEADER) writes it
 * ("身份证号", "经度"), and the importer's column number. */
struct text_norm_alias {
    const char *name;
    int col;
};

/* text_norm_header_map reads row as a header: col[0..ncol) gets, for each column, the
 * index of the first cell naming it, or -1. A cell names the column of the alias equal to
 * its normalised text, else the column fallback(cell) returns (fallback may be NULL; -1 =
 * none). A header cell longer than 127 bytes once normalised names nothing. Returns how
 * many columns were found. The one copy of what every sheet importer does with its
 * header row (toilet survey, site matching, 12345 tickets, 流调 and doctors sheets). */
size_t text_norm_header_map(const struct table_row *row, const struct text_norm_alias *aliases, size_t naliases,
                            int (*fallback)(struct str cell), int *col, size_t ncol);

#endif
