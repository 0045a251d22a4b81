/* fuzz/fuzz_csv.c - libFuzzer target for the CSV reader of io/table.h (R4.3, R4.5).
 *
 * Any bytes that do not look like a zip or an OLE2 file (those go to the workbook reader,
 * fuzz_xlsx's business) are read as a table from an exact-size heap copy, so ASan sees any
 * over-read. Checked: the encoding is one of the four; cells are UTF-8 without NUL,
 * NUL-terminated, within the caps, the last one non-empty; record numbers rise strictly
 * and stay within TABLE_MAX_ROWS; failures carry a message and stick; and reading the
 * same bytes twice gives the same rows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/str.h"
#include "io/columns.h"
#include "io/table.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_read reads everything, checks the contract and appends a digest of the rows. */
static int
fuzz_read(const void *p, size_t n, struct buf *digest)
{
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct table_row row;
    uint64_t last = 0;
    int rc = table_open_mem(p, n, &t, &why);
    if (rc) {
        FUZZ_CHECK(t == NULL && why.len > 0);
        buf_release(&why);
        return rc;
    }
    const char *enc = table_encoding(t);
    FUZZ_CHECK(enc && (strcmp(enc, "UTF-8") == 0 || strcmp(enc, "GB18030") == 0 ||
                       strcmp(enc, "UTF-16LE") == 0 || strcmp(enc, "UTF-16BE") == 0));
    FUZZ_CHECK(table_sheet_name(t) == NULL && table_sheet_count(t) == 1);
    const struct columns *c = table_columns(t);
    FUZZ_CHECK(c->id >= -1 && c->id < TABLE_MAX_COLS);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        FUZZ_CHECK(row.ncells > 0 && row.ncells <= TABLE_MAX_COLS);
        FUZZ_CHECK(row.num > last && row.num <= TABLE_MAX_ROWS);
        FUZZ_CHECK(row.cells[row.ncells - 1].n > 0);
        buf_printf(digest, "%llu:", (unsigned long long)row.num);
        for (size_t i = 0; i < row.ncells; i++) {
            struct str s = row.cells[i];
            FUZZ_CHECK(s.p != NULL && s.n <= TABLE_MAX_CELL && s.p[s.n] == '\0');
            FUZZ_CHECK(str_is_utf8(s.p, s.n));
            buf_printf(digest, "%zu,", s.n);
        }
        last = row.num;
    }
    if (rc) {
        FUZZ_CHECK(table_message(t)[0] != '\0');
        FUZZ_CHECK(table_next_row(t, &row) == rc && row.cells == NULL);
    }
    table_close(t);
    buf_release(&why);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 2 && ((data[0] == 'P' && data[1] == 'K') || (data[0] == 0xD0 && data[1] == 0xCF)))
        return 0;
    char *copy = xmalloc(size);
    struct buf d1 = BUF_INIT, d2 = BUF_INIT;
    if (size)
        memcpy(copy, data, size);
    int rc1 = fuzz_read(copy, size, &d1);
    int rc2 = fuzz_read(copy, size, &d2);
    FUZZ_CHECK(rc1 == rc2 && d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0);
    buf_release(&d1);
    buf_release(&d2);
    xfree(copy);
    return 0;
}
