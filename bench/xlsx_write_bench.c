/* bench/xlsx_write_bench.c - the .xlsx writer alone (issue 7): the same rows written by
 * io/xlsxw.h (the tree's writer) and by libxlsxwriter in constant_memory mode (what
 * io/xlsxw.h was built on before: text cells with the "@" format, a bold header, zlib at its
 * default level, the sheet in a temporary file).
 *
 *   xlsx_write_bench native|lxw IN.xlsx OUT.xlsx [THREADS]
 *
 * Reads IN (io/table.h) into memory first, then times only the writing: every cell as a
 * text cell, the first row as the header. THREADS is io/xlsxw.h's deflating threads (default
 * 2; ignored for lxw). Prints one line: "writer=… rows=… cells=… wall_s=… cpu_s=… bytes=…"
 * (cpu_s: user + system time of the process over the writing, worker threads included).
 * Build (bench/batch_export_bench does this):
 *   gcc -std=c17 -D_GNU_SOURCE -O2 -Isrc bench/xlsx_write_bench.c BUILD/libjylib.a \
 *       $(pkg-config --libs libmicrohttpd jansson sqlite3 libpq libcrypto libcurl libzip expat \
 *       xlsxwriter zlib) -lcsv -lpthread -lm -o xlsx_write_bench
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <xlsxwriter.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/time.h"
#include "io/table.h"
#include "io/xlsxw.h"

struct rows {
    struct buf text;         /* every cell, NUL-terminated */
    size_t *first, *off;     /* row r: cells first[r] .. first[r + 1] - 1, at text + off[c] */
    size_t nrows, ncells, caprows, capcells;
};

static void
load(const char *path, struct rows *rs)
{
    struct table *t;
    struct table_row row;
    struct buf why = BUF_INIT;
    buf_init(&rs->text, (size_t)4 << 30);
    if (table_open_path(path, &t, &why)) {
        fprintf(stderr, "cannot read %s: %s\n", path, why.data);
        exit(1);
    }
    while (table_next_row(t, &row) == 0 && row.cells) {
        if (rs->nrows + 2 > rs->caprows) {
            rs->caprows = rs->caprows ? 2 * rs->caprows : 4096;
            rs->first = xrealloc(rs->first, rs->caprows * sizeof *rs->first);
        }
        rs->first[rs->nrows++] = rs->ncells;
        for (size_t i = 0; i < row.ncells; i++) {
            if (rs->ncells == rs->capcells) {
                rs->capcells = rs->capcells ? 2 * rs->capcells : 65536;
                rs->off = xrealloc(rs->off, rs->capcells * sizeof *rs->off);
            }
            rs->off[rs->ncells++] = rs->text.len;
            buf_add(&rs->text, row.cells[i].p, row.cells[i].n);
            buf_addch(&rs->text, '\0');
        }
    }
    rs->first[rs->nrows] = rs->ncells;
    table_close(t);
    buf_release(&why);
}

static int
write_native(const struct rows *rs, const char *out, unsigned threads)
{
    struct xlsxw_opts opts = { threads };
    struct xlsxw *w;
    struct xlsxw_cell cells[TABLE_MAX_COLS + 1];
    struct str names[TABLE_MAX_COLS + 1];
    if (xlsxw_open(out, "结果", &opts, &w))
        return 1;
    for (size_t r = 0; r < rs->nrows; r++) {
        size_t n = rs->first[r + 1] - rs->first[r];
        for (size_t i = 0; i < n; i++) {
            const char *p = rs->text.data + rs->off[rs->first[r] + i];
            names[i] = str_of(p);
            cells[i] = XLSXW_TEXT_CELL(names[i]);
        }
        if (r == 0 ? xlsxw_header(w, names, n) : xlsxw_row(w, cells, n)) {
            xlsxw_free(w);
            return 1;
        }
    }
    return xlsxw_close(w) ? 1 : 0;
}

static int
write_lxw(const struct rows *rs, const char *out)
{
    lxw_workbook_options o = { .constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE };
    lxw_workbook *wb = workbook_new_opt(out, &o);
    lxw_worksheet *ws = workbook_add_worksheet(wb, "结果");
    lxw_format *bold = workbook_add_format(wb), *text = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_num_format_index(bold, 49);
    format_set_num_format_index(text, 49);
    for (size_t r = 0; r < rs->nrows; r++)
        for (size_t i = rs->first[r]; i < rs->first[r + 1]; i++) {
            const char *p = rs->text.data + rs->off[i];
            if (*p)
                worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)(i - rs->first[r]), p, r ? text : bold);
        }
    worksheet_freeze_panes(ws, 1, 0);
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}

int
main(int argc, char **argv)
{
    struct rows rs = { 0 };
    struct stat st;
    if (argc < 4 || (strcmp(argv[1], "native") != 0 && strcmp(argv[1], "lxw") != 0)) {
        fprintf(stderr, "usage: xlsx_write_bench native|lxw IN.xlsx OUT.xlsx [THREADS]\n");
        return 2;
    }
    unsigned threads = argc > 4 ? (unsigned)atoi(argv[4]) : 2;
    load(argv[2], &rs);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    int64_t t0 = time_mono_us();
    int rc = strcmp(argv[1], "lxw") == 0 ? write_lxw(&rs, argv[3]) : write_native(&rs, argv[3], threads);
    int64_t us = time_mono_us() - t0;
    getrusage(RUSAGE_SELF, &r1);
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    if (rc || stat(argv[3], &st) != 0) {
        fprintf(stderr, "writing %s failed\n", argv[3]);
        return 1;
    }
    printf("writer=%s threads=%u rows=%zu cells=%zu wall_s=%.2f cpu_s=%.2f bytes=%lld\n", argv[1],
           strcmp(argv[1], "lxw") == 0 ? 0 : threads, rs.nrows, rs.ncells, (double)us / 1e6, cpu,
           (long long)st.st_size);
    return 0;
}
