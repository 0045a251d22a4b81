/* tests/support/plainscan.h - looking for personal data in clear on disk and in a running
 * server's open files (issue 12, S1/S6: no plaintext in temp files). Used by the e2e tests of
 * sealed uploads (e2e_upload) and sealed exports (e2e_export_sealed).
 *
 * A needle is found in plain bytes anywhere in a file, and also inside a zip (a file that
 * starts with "PK\3\4": its members are searched after inflating, with Python's zipfile,
 * since a deflated sheet does not show its text to a byte search).
 */
#ifndef JY_TESTS_PLAINSCAN_H
#define JY_TESTS_PLAINSCAN_H
#include <stdbool.h>
#include <stddef.h>

#include "server.h"

/* plain_file_has: does the file at path (a /proc/PID/fd link works for a file without a
 * name) hold needle, in plain or inside it when it is a zip? false when it cannot be read. */
bool plain_file_has(const char *path, const char *needle);
/* plain_tree_has walks dir and reports the first regular file holding needle (into hit). */
bool plain_tree_has(const char *dir, const char *needle, char *hit, size_t cap);
/* plain_scan_fds looks at every file srv holds open: how many are temporary files under
 * var/tmp (*ntmp), and whether any holds needle (returned, its link target in hit). */
bool plain_scan_fds(const struct server *srv, const char *needle, size_t *ntmp, char *hit, size_t cap);
/* plain_tmp_fds counts the server's open temporary files under var/tmp. */
size_t plain_tmp_fds(const struct server *srv);
/* plain_wait_tmp_fds polls until the server holds at least (or, when exact, exactly) n
 * temporary files, and returns the last count (the open files are printed when it gives up).
 * Bounded: ~60 s, or ~200 s when waiting for files to close - a client that went away is
 * noticed at the latest at serve's connection timeout (120 s). */
size_t plain_wait_tmp_fds(const struct server *srv, size_t n, bool exact);
/* plain_assert_tmp_dir_empty: var/tmp holds no name at all (the sealed temporary files never
 * have one). */
void plain_assert_tmp_dir_empty(const struct server *srv);

#endif
