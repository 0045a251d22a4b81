/* fuzz/fuzz_xlsxw.c - libFuzzer target for the .xlsx writer, io/xlsxw.h (R4.2, R4.3).
 *
 * The input is rows of cells (0x1E ends a row, 0x1F a cell); a cell starting with 0x01 is
 * written as a shared text, with 0x02 as a number (the rest parsed as a decimal, when it
 * is one), anything else as text. Rows the writer refuses (text that is not UTF-8 or holds
 * NUL) must be refused whole and leave the writer usable. The workbook is then read back
 * with io/table.h: every written row comes back with its number and its text cells exactly
 * as given (the reader drops trailing empty cells and empty rows), whatever characters
 * they hold - the escaping of io/ooxml.h is what this checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "io/table.h"
#include "io/xlsxw.h"

#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond))                                                                      \
            abort();                                                                      \
    } while (0)
#define FUZZ_COLS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* expected: for each written row, "num:" then the cells joined by 0x1F as the reader gives
 * them (numbers as the reader prints them are not compared: "#"). */
static void
fuzz_expect(struct buf *want, uint64_t num, const struct xlsxw_cell *cells, size_t n)
{
    while (n && (cells[n - 1].type == XLSXW_EMPTY ||
                 (cells[n - 1].type != XLSXW_NUMBER && !cells[n - 1].text.n)))
        n--;
    if (!n)
        return;
    buf_printf(want, "%llu:", (unsigned long long)num);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addch(want, 0x1F);
        if (cells[i].type == XLSXW_NUMBER)
            buf_addch(want, '#');
        else if (cells[i].type != XLSXW_EMPTY)
            buf_add(want, cells[i].text.p, cells[i].text.n);
    }
    buf_addch(want, 0x1E);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    struct xlsxw *w = NULL;
    struct xlsxw_cell cells[FUZZ_COLS];
    struct buf want = BUF_INIT, got = BUF_INIT;
    const char *p = (const char *)data, *end = p + size;
    uint64_t num = 0;

    snprintf(path, sizeof path, "/tmp/fuzz_xlsxw.%d.xlsx", (int)getpid());
    FUZZ_CHECK(xlsxw_open(path, "fuzz", NULL, &w) == 0);
    while (p < end && num < 2000) {
        const char *eol = memchr(p, 0x1E, (size_t)(end - p));
        const char *row_end = eol ? eol : end;
        size_t n = 0;
        bool bad = false;
        while (p <= row_end && n < FUZZ_COLS) {
            const char *eoc = memchr(p, 0x1F, (size_t)(row_end - p));
            const char *cell_end = eoc ? eoc : row_end;
            struct str s = { p, (size_t)(cell_end - p) };
            if (s.n && s.p[0] == 0x01) {
                cells[n] = XLSXW_SHARED_CELL(((struct str){ s.p + 1, s.n - 1 }));
            } else if (s.n && s.p[0] == 0x02) {
                char tmp[32];
                int64_t v = 0;
                size_t k = s.n - 1 < sizeof tmp - 1 ? s.n - 1 : sizeof tmp - 1;
                memcpy(tmp, s.p + 1, k);
                tmp[k] = '\0';
                cells[n] = cstr_to_i64(tmp, &v, -1000000000, 1000000000) == 0 ? XLSXW_NUMBER_CELL((double)v)
                                                                               : XLSXW_EMPTY_CELL;
            } else {
                cells[n] = XLSXW_TEXT_CELL(s);
            }
            if (cells[n].type == XLSXW_TEXT || cells[n].type == XLSXW_SHARED)
                bad |= (cells[n].text.n && !str_is_utf8(cells[n].text.p, cells[n].text.n)) ||
                       memchr(cells[n].text.p, '\0', cells[n].text.n) != NULL;
            n++;
            p = cell_end + 1;
            if (!eoc)
                break;
        }
        p = row_end + 1;
        int rc = xlsxw_row(w, cells, n);
        if (bad) {
            FUZZ_CHECK(rc == ERR_INVALID);
            continue;
        }
        FUZZ_CHECK(rc == 0);
        fuzz_expect(&want, ++num, cells, n);
    }
    FUZZ_CHECK(xlsxw_close(w) == 0);

    struct table *t = NULL;
    struct table_row row;
    int rc = table_open_path(path, &t, NULL);
    if (rc == 0) {
        while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
            buf_printf(&got, "%llu:", (unsigned long long)row.num);
            for (size_t i = 0; i < row.ncells; i++) {
                if (i)
                    buf_addch(&got, 0x1F);
                /* a number comes back as its literal; the writer wrote it from an integer */
                bool digits = row.cells[i].n > 0;
                for (size_t k = 0; k < row.cells[i].n; k++)
                    digits &= (row.cells[i].p[k] >= '0' && row.cells[i].p[k] <= '9') ||
                              (k == 0 && row.cells[i].p[k] == '-');
                size_t at = want.len > got.len ? got.len : want.len;
                if (digits && at < want.len && want.data[at] == '#')
                    buf_addch(&got, '#');
                else
                    buf_add(&got, row.cells[i].p, row.cells[i].n);
            }
            buf_addch(&got, 0x1E);
        }
        table_close(t);
    }
    /* an empty workbook has no rows to read: the reader may refuse it */
    FUZZ_CHECK(want.len == 0 || rc == 0);
    FUZZ_CHECK(got.len == want.len && memcmp(got.data, want.data, got.len) == 0);
    unlink(path);
    buf_release(&want);
    buf_release(&got);
    return 0;
}
