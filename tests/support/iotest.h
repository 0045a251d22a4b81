/* tests/support/iotest.h - what the table reader and writer suites (tests/unit/io/) share:
 * a temporary directory per test, synthetic valid ID numbers, and a dump of a table that
 * checks the row contract of io/table.h on the way (R3.x imports, R5 batch files).
 */
#ifndef JY_TESTS_IOTEST_H
#define JY_TESTS_IOTEST_H
#include <stddef.h>

#include "core/buf.h"
#include "io/table.h"

/* Per-test fixtures: iotest_setup makes a new directory under /tmp, iotest_teardown
 * removes it with everything in it (asserting). */
int iotest_setup(void **state);
int iotest_teardown(void **state);
/* iotest_dir returns the current test's directory. */
const char *iotest_dir(void);
/* iotest_path returns "<dir>/<name>" in one of four rotating static buffers (so up to
 * four paths may be in use at once). */
const char *iotest_path(const char *name);

/* iotest_make_id writes a valid synthetic ID number to out: 110102 + yyyymmdd + seq (3
 * digits, mod 1000) + the MOD 11-2 check character, NUL-terminated. */
void iotest_make_id(char out[19], int y, int m, int d, int seq);

/* iotest_dump appends every row of t to out as "num:cell|cell\n", asserting the row
 * contract on the way (at least one cell, the last one non-empty, every cell
 * NUL-terminated without NUL bytes inside, and an end marked by cells NULL and ncells 0);
 * returns table_next_row's final code. */
int iotest_dump(struct table *t, struct buf *out);
/* iotest_read_file replaces out with the contents of the file at path (asserting). */
void iotest_read_file(const char *path, struct buf *out);

#endif
