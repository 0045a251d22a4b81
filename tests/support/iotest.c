/* tests/support/iotest.c - see iotest.h (one copy of what four io suites each wrote). */
#include "iotest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char iotest_tmpdir[64];

int
iotest_setup(void **state)
{
    (void)state;
    snprintf(iotest_tmpdir, sizeof iotest_tmpdir, "%s", "/tmp/test_io.XXXXXX");
    assert_non_null(mkdtemp(iotest_tmpdir));
    return 0;
}

int
iotest_teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", iotest_tmpdir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

const char *iotest_dir(void) { return iotest_tmpdir; }

const char *
iotest_path(const char *name)
{
    static char path[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", iotest_tmpdir, name);
    return path[k];
}

void
iotest_make_id(char out[19], int y, int m, int d, int seq)
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char check[11] = "10X98765432";
    char tmp[64];
    int s = 0;
    snprintf(tmp, sizeof tmp, "110102%04d%02d%02d%03d", y % 10000, m % 100, d % 100, seq % 1000);
    memcpy(out, tmp, 17);
    for (int i = 0; i < 17; i++)
        s += (out[i] - '0') * w[i];
    out[17] = check[s % 11];
    out[18] = '\0';
}

int
iotest_dump(struct table *t, struct buf *out)
{
    struct table_row row;
    int rc;
    while ((rc = table_next_row(t, &row)) == 0 && row.cells) {
        assert_true(row.ncells > 0);
        assert_true(row.cells[row.ncells - 1].n > 0);
        buf_printf(out, "%llu:", (unsigned long long)row.num);
        for (size_t i = 0; i < row.ncells; i++) {
            assert_non_null(row.cells[i].p);
            assert_int_equal(row.cells[i].p[row.cells[i].n], '\0');
            assert_null(memchr(row.cells[i].p, '\0', row.cells[i].n));
            buf_printf(out, "%s%.*s", i ? "|" : "", (int)row.cells[i].n, row.cells[i].p);
        }
        buf_addch(out, '\n');
    }
    assert_null(row.cells);
    assert_int_equal(row.ncells, 0);
    return rc;
}

void
iotest_read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    assert_non_null(f);
    buf_reset(out);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, n);
    fclose(f);
    assert_false(buf_error(out));
}
