/* io/ooxml.h - the one escaper of text written into Office Open XML parts (R4.2, R4.3).
 *
 * Every .xlsx part the project writes (io/xlsxw.c: cells, shared strings, sheet names)
 * goes through ooxml_escape, so there is one place that knows the rules: XML's own
 * (&, <, >, ") and Excel's _xHHHH_ escapes for what XML 1.0 cannot carry. The reader side
 * (io/table_xlsx.c) decodes the same escapes.
 */
#ifndef JY_IO_OOXML_H
#define JY_IO_OOXML_H
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* ooxml_escape appends p[0..n) (UTF-8, checked by the caller) to b as XML character data
 * that is also safe inside a double-quoted attribute: & < > " become entities; control
 * characters other than TAB and LF (CR included: XML parsers turn it into LF), DEL,
 * U+FFFE and U+FFFF become Excel's _xHHHH_; a literal "_xHHHH_" in the text is protected
 * as "_x005F_xHHHH_" so Excel and io/table.h show it as given. */
void ooxml_escape(struct buf *b, const char *p, size_t n);

/* ooxml_space_edge tells whether p[0..n) starts or ends with white space, so that its <t>
 * element needs xml:space="preserve" to keep it. */
bool ooxml_space_edge(const char *p, size_t n);

#endif
