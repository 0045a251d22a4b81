/* tests/unit/crypto/test_sealed_tmp.c - crypto/sealed_tmp.h (issue 12, S1, S6): a sealed
 * temporary file has no name and mode 0600, holds only ciphertext, reads back any byte range
 * (across chunk borders, past the end), refuses a flipped byte, a cut file and reads
 * before the seal; and io/table.h reads a CSV and an .xlsx (written by io/xlsxw.h) in place
 * through it (table_open_reader).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/sealed_tmp.h"
#include "io/columns.h"
#include "io/table.h"
#include "io/xlsxw.h"
#include "iotest.h"

#define NEEDLE "110101199003077777"

/* fill makes n bytes of plaintext with the needle every 1000 bytes. */
static unsigned char *
fill(size_t n)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)('a' + (i * 7) % 26);
    for (size_t i = 0; i + sizeof NEEDLE < n; i += 1000)
        memcpy(p + i, NEEDLE, sizeof NEEDLE - 1);
    return p;
}

/* disk_has reads the ciphertext file through its descriptor and looks for needle. */
static bool
disk_has(const struct sealed_tmp *s, const void *needle, size_t nl)
{
    struct stat st;
    int fd = sealed_tmp_fd(s);
    assert_int_equal(fstat(fd, &st), 0);
    unsigned char *all = malloc((size_t)st.st_size + 1);
    assert_non_null(all);
    assert_int_equal(pread(fd, all, (size_t)st.st_size, 0), st.st_size);
    bool found = memmem(all, (size_t)st.st_size, needle, nl) != NULL;
    free(all);
    return found;
}

static void
test_round_trip_random_access(void **state)
{
    (void)state;
    size_t n = 3 * SEALED_TMP_CHUNK + 12345;
    unsigned char *p = fill(n), *q = malloc(n + 10);
    struct sealed_tmp *s = NULL;
    struct stat st;
    size_t got = 0;
    assert_int_equal(sealed_tmp_new(iotest_dir(), &s), 0);
    /* nameless, 0600 */
    assert_int_equal(fstat(sealed_tmp_fd(s), &st), 0);
    assert_int_equal(st.st_nlink, 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* written in odd pieces */
    for (size_t off = 0; off < n;) {
        size_t k = n - off < 777 + off % 5000 ? n - off : 777 + off % 5000;
        assert_int_equal(sealed_tmp_write(s, p + off, k), 0);
        off += k;
    }
    assert_int_equal(sealed_tmp_pread(s, q, 10, 0, &got), ERR_INVALID); /* not sealed yet */
    assert_int_equal(sealed_tmp_seal(s), 0);
    assert_int_equal(sealed_tmp_seal(s), 0);
    assert_int_equal(sealed_tmp_write(s, "x", 1), ERR_INVALID);
    assert_int_equal(sealed_tmp_size(s), n);
    assert_int_equal(fstat(sealed_tmp_fd(s), &st), 0);
    assert_int_equal((size_t)st.st_size, n); /* ciphertext only, same length */
    assert_false(disk_has(s, NEEDLE, sizeof NEEDLE - 1));
    assert_false(disk_has(s, p + 5000, 64));
    /* whole, then ranges across chunk borders, then past the end */
    assert_int_equal(sealed_tmp_pread(s, q, n + 10, 0, &got), 0);
    assert_int_equal(got, n);
    assert_memory_equal(q, p, n);
    const uint64_t offs[] = { SEALED_TMP_CHUNK - 3, 2 * SEALED_TMP_CHUNK, 1, n - 5, 17 };
    for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
        assert_int_equal(sealed_tmp_pread(s, q, 100, offs[i], &got), 0);
        size_t want = n - offs[i] < 100 ? n - offs[i] : 100;
        assert_int_equal(got, want);
        assert_memory_equal(q, p + offs[i], want);
    }
    assert_int_equal(sealed_tmp_pread(s, q, 100, n, &got), 0);
    assert_int_equal(got, 0);
    sealed_tmp_free(s);
    free(p);
    free(q);
}

static void
test_tamper_refused(void **state)
{
    (void)state;
    size_t n = 2 * SEALED_TMP_CHUNK + 100;
    unsigned char *p = fill(n), *q = malloc(n), b;
    struct sealed_tmp *s = NULL;
    size_t got = 0;
    assert_int_equal(sealed_tmp_new(iotest_dir(), &s), 0);
    assert_int_equal(sealed_tmp_write(s, p, n), 0);
    assert_int_equal(sealed_tmp_seal(s), 0);
    /* one flipped byte in the second chunk: that chunk fails, the first still reads */
    int fd = sealed_tmp_fd(s);
    assert_int_equal(pread(fd, &b, 1, SEALED_TMP_CHUNK + 9), 1);
    b ^= 1;
    assert_int_equal(pwrite(fd, &b, 1, SEALED_TMP_CHUNK + 9), 1);
    assert_int_equal(sealed_tmp_pread(s, q, 10, SEALED_TMP_CHUNK + 20, &got), ERR_CRYPTO);
    assert_int_equal(sealed_tmp_pread(s, q, 10, 5, &got), 0);
    assert_memory_equal(q, p + 5, 10);
    b ^= 1;
    assert_int_equal(pwrite(fd, &b, 1, SEALED_TMP_CHUNK + 9), 1);
    assert_int_equal(sealed_tmp_pread(s, q, 10, SEALED_TMP_CHUNK + 20, &got), 0);
    /* a cut file */
    assert_int_equal(ftruncate(fd, (off_t)(2 * SEALED_TMP_CHUNK + 50)), 0);
    assert_int_equal(sealed_tmp_pread(s, q, 10, 2 * SEALED_TMP_CHUNK + 60, &got), ERR_CRYPTO);
    sealed_tmp_free(s);
    free(p);
    free(q);
}

static int
sealed_read(void *arg, void *p, size_t n, uint64_t off, size_t *got)
{
    return sealed_tmp_pread(arg, p, n, off, got);
}

/* seal_file copies a file (or memory) into a new sealed file. */
static struct sealed_tmp *
seal_bytes(const void *p, size_t n)
{
    struct sealed_tmp *s = NULL;
    assert_int_equal(sealed_tmp_new(iotest_dir(), &s), 0);
    assert_int_equal(sealed_tmp_write(s, p, n), 0);
    assert_int_equal(sealed_tmp_seal(s), 0);
    return s;
}

static size_t
count_rows(struct sealed_tmp *s, enum table_format want, const char *id_of_row_2)
{
    struct table_reader r = { sealed_tmp_size(s), sealed_read, s };
    struct table *t = NULL;
    struct table_row row;
    struct buf why = BUF_INIT;
    size_t n = 0;
    int rc = table_open_reader(&r, &t, &why);
    if (rc)
        print_error("%s\n", why.data);
    assert_int_equal(rc, 0);
    assert_int_equal(table_format(t), want);
    assert_true(table_columns(t)->id >= 0);
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        if (n == 1)
            assert_string_equal(row.cells[table_columns(t)->id].p, id_of_row_2);
        n++;
    }
    assert_int_equal(rc, 0);
    table_close(t);
    buf_release(&why);
    return n;
}

static void
test_table_reads_in_place(void **state)
{
    (void)state;
    struct buf csv = BUF_INIT, data = BUF_INIT;
    char id[19];
    for (size_t k = 0; k < 5000; k++) {
        snprintf(id, sizeof id, "11010119900307%04zu", k);
        buf_printf(&csv, "%s%zu,居民,%s\r\n", k ? "" : "序号,姓名,身份证号码\r\n", k + 1, id);
    }
    struct sealed_tmp *s = seal_bytes(csv.data, csv.len);
    assert_true(csv.len > 2 * SEALED_TMP_CHUNK);
    assert_int_equal(count_rows(s, TABLE_CSV, "110101199003070000"), 5001);
    sealed_tmp_free(s);

    /* the same rows as a workbook, written by io/xlsxw.h */
    struct xlsxw *w = NULL;
    const char *path = iotest_path("in.xlsx");
    struct str names[3] = { STR_LIT("序号"), STR_LIT("姓名"), STR_LIT("身份证号码") };
    assert_int_equal(xlsxw_open(path, "名单", NULL, &w), 0);
    assert_int_equal(xlsxw_header(w, names, 3), 0);
    for (size_t k = 0; k < 5000; k++) {
        snprintf(id, sizeof id, "11010119900307%04zu", k);
        struct xlsxw_cell cells[3] = { XLSXW_NUMBER_CELL((double)(k + 1)), XLSXW_TEXT_CELL(STR_LIT("居民")),
                                       XLSXW_TEXT_CELL(((struct str){ id, 18 })) };
        assert_int_equal(xlsxw_row(w, cells, 3), 0);
    }
    assert_int_equal(xlsxw_close(w), 0);
    iotest_read_file(path, &data);
    s = seal_bytes(data.data, data.len);
    assert_int_equal(count_rows(s, TABLE_XLSX, "110101199003070000"), 5001);
    /* a flipped byte in the sealed workbook: refused as altered, never misread */
    unsigned char b;
    int fd = sealed_tmp_fd(s);
    assert_int_equal(pread(fd, &b, 1, 100), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fd, &b, 1, 100), 1);
    struct table_reader r = { sealed_tmp_size(s), sealed_read, s };
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    assert_int_equal(table_open_reader(&r, &t, &why), ERR_INVALID);
    assert_null(t);
    sealed_tmp_free(s);
    buf_release(&why);
    buf_release(&csv);
    buf_release(&data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_random_access, iotest_setup, iotest_teardown),
        cmocka_unit_test_setup_teardown(test_tamper_refused, iotest_setup, iotest_teardown),
        cmocka_unit_test_setup_teardown(test_table_reads_in_place, iotest_setup, iotest_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
