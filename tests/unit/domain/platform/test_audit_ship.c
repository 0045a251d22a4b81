/* tests/unit/domain/platform/test_audit_ship.c - the audit chain tags kept off the host
 * (domain/platform/audit_ship.h; issue 12 "Audit off the host", S6), on SQLite and
 * PostgreSQL.
 *
 * The gap it closes: a database superuser keeps a copy of the chain head, later deletes the
 * newest entries (triggers dropped) and puts the old head back. audit_verify cannot tell
 * (test_rewound_head_caught shows it passing); the tags shipped to a file catch it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "domain/platform/audit.h"
#include "domain/platform/audit_ship.h"

static void
append_n(struct apptest *at, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(audit_record(at->db, &at->app.keys, &at->admin, "test.append", "thing", "ok", NULL), 0);
}

/* tag_file makes a new empty file (mode 0600) and writes its path to path. */
static void
tag_file(char path[64])
{
    snprintf(path, 64, "/tmp/jy_audit_tags_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

static int64_t
file_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int64_t n = 0;
    int c;
    assert_non_null(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void
ship_all(struct apptest *at, const char *path, int64_t want)
{
    struct audit_ship *s = NULL;
    int64_t n = -1;
    assert_int_equal(audit_ship_open(at->db, path, NULL, &s), 0);
    assert_int_equal(audit_ship_poll(s, at->db, &n), 0);
    assert_int_equal(n, want);
    assert_int_equal(audit_ship_last(s), apptest_i64(at->db, "SELECT max(id) FROM audit_log", 0));
    audit_ship_close(s);
}

static void
tags_ok(struct apptest *at, const char *path, int64_t want)
{
    enum audit_tag_problem p = AUDIT_TAG_BAD_LINE;
    int64_t checked = -1, bad = -1;
    assert_int_equal(audit_tags_verify(at->db, path, &checked, &p, &bad), 0);
    assert_int_equal(p, AUDIT_TAG_OK);
    assert_int_equal(checked, want);
    assert_int_equal(bad, 0);
}

static void
drop_triggers(struct apptest *at)
{
    assert_int_equal(apptest_exec(at->db, apptest_dialect(at->db,
                                                          "DROP TRIGGER audit_log_no_update;"
                                                          " DROP TRIGGER audit_log_no_delete",
                                                          "DROP TRIGGER audit_log_no_change ON audit_log")),
                     0);
}

/* Every committed entry is shipped once, in order; a new shipper goes on after the last
 * line of the file (a restarted server ships nothing twice). */
static void
test_ship_and_verify(void **state)
{
    struct apptest *at = *state;
    struct audit_ship *s = NULL;
    char path[64];
    int64_t n = -1;
    tag_file(path);
    append_n(at, 5);
    ship_all(at, path, 5);
    assert_int_equal(file_lines(path), 5);
    tags_ok(at, path, 5);

    append_n(at, 3);
    assert_int_equal(audit_ship_open(at->db, path, NULL, &s), 0);
    assert_int_equal(audit_ship_last(s), apptest_i64(at->db, "SELECT min(id) + 4 FROM audit_log", 0));
    assert_int_equal(audit_ship_poll(s, at->db, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(audit_ship_poll(s, at->db, &n), 0);
    assert_int_equal(n, 0);
    audit_ship_close(s);
    ship_all(at, path, 0);
    assert_int_equal(file_lines(path), 8);
    tags_ok(at, path, 8);
    unlink(path);
}

/* An entry rolled back with its transaction is never shipped. */
static void
test_rolled_back_not_shipped(void **state)
{
    struct apptest *at = *state;
    char path[64];
    tag_file(path);
    append_n(at, 2);
    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(audit_append(at->db, &at->app.keys, &at->admin, "test.gone", NULL, "ok", NULL), 0);
    db_rollback(at->db);
    ship_all(at, path, 2);
    append_n(at, 1);
    ship_all(at, path, 1);
    tags_ok(at, path, 3);
    unlink(path);
}

/* The gap: a superuser rewinds the head to a copy taken earlier. The chain alone verifies;
 * the shipped tags name the first entry that disappeared. Fails without audit_ship (no
 * tags to compare: nothing catches the rewind). */
static void
test_rewound_head_caught(void **state)
{
    struct apptest *at = *state;
    char path[64];
    int64_t checked = -1, broken = -1, bad = -1, kept;
    enum audit_tag_problem p = AUDIT_TAG_OK;
    tag_file(path);
    append_n(at, 4);
    assert_int_equal(apptest_exec(at->db, "CREATE TABLE head_copy AS SELECT * FROM audit_head"), 0);
    kept = apptest_i64(at->db, "SELECT last_id FROM head_copy", 0);
    append_n(at, 3);
    ship_all(at, path, 7);

    drop_triggers(at);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM audit_log WHERE id > ?1", kept), 3);
    assert_int_equal(apptest_exec(at->db, "DELETE FROM audit_log WHERE id > (SELECT last_id FROM head_copy)"), 0);
    assert_int_equal(apptest_exec(at->db, "UPDATE audit_head SET last_id = (SELECT last_id FROM head_copy),"
                                          " mac = (SELECT mac FROM head_copy), tag = (SELECT tag FROM head_copy)"),
                     0);
    /* the chain in the database is consistent again: on its own, verify passes */
    assert_int_equal(audit_verify(at->db, &at->app.keys, &checked, &broken), 0);
    assert_int_equal(broken, 0);
    assert_int_equal(checked, 4);
    /* the tags off the host do not */
    assert_int_equal(audit_tags_verify(at->db, path, &checked, &p, &bad), 0);
    assert_int_equal(p, AUDIT_TAG_MISSING);
    assert_int_equal(bad, kept + 1);
    assert_int_equal(checked, 4);
    unlink(path);
}

/* An entry rewritten in place (someone with the key re-chaining) differs from its tag. */
static void
test_rewritten_entry_caught(void **state)
{
    struct apptest *at = *state;
    char path[64];
    int64_t checked = -1, bad = -1, third = 0;
    enum audit_tag_problem p = AUDIT_TAG_OK;
    tag_file(path);
    append_n(at, 5);
    ship_all(at, path, 5);
    third = apptest_i64(at->db, "SELECT min(id) + 2 FROM audit_log", 0);
    drop_triggers(at);
    assert_int_equal(apptest_exec(at->db, "UPDATE audit_log SET mac = (SELECT mac FROM audit_log WHERE id ="
                                          " (SELECT min(id) FROM audit_log)) WHERE id = (SELECT min(id) + 2 FROM audit_log)"),
                     0);
    assert_int_equal(audit_tags_verify(at->db, path, &checked, &p, &bad), 0);
    assert_int_equal(p, AUDIT_TAG_DIFFERS);
    assert_int_equal(bad, third);
    assert_int_equal(checked, 2);
    unlink(path);
}

/* A torn last line (crash inside a write) is cut off at open; a line that is not a tag is
 * reported by number; a file that cannot be read is ERR_IO. */
static void
test_torn_and_bad_lines(void **state)
{
    struct apptest *at = *state;
    struct audit_ship *s = NULL;
    char path[64];
    int64_t checked = -1, bad = -1, first;
    enum audit_tag_problem p = AUDIT_TAG_OK;
    FILE *f;
    tag_file(path);
    append_n(at, 3);
    ship_all(at, path, 3);
    first = apptest_i64(at->db, "SELECT min(id) FROM audit_log", 0);
    assert_non_null(f = fopen(path, "a"));
    fputs("99 abcdef", f); /* torn */
    fclose(f);
    append_n(at, 1);
    assert_int_equal(audit_ship_open(at->db, path, NULL, &s), 0);
    assert_int_equal(audit_ship_last(s), first + 2);
    audit_ship_close(s);
    ship_all(at, path, 1);
    assert_int_equal(file_lines(path), 4);
    tags_ok(at, path, 4);

    assert_non_null(f = fopen(path, "a"));
    fputs("not a tag line\n", f);
    fclose(f);
    assert_int_equal(audit_tags_verify(at->db, path, &checked, &p, &bad), 0);
    assert_int_equal(p, AUDIT_TAG_BAD_LINE);
    assert_int_equal(bad, 5);
    assert_int_equal(checked, 4);
    /* and the shipper refuses to append after a line it cannot read */
    assert_int_equal(audit_ship_open(at->db, path, NULL, &s), ERR_INVALID);
    assert_null(s);
    unlink(path);
    assert_int_equal(audit_tags_verify(at->db, path, &checked, &p, &bad), ERR_IO);
}

/* Syslog facilities by name; without a file, shipping starts after the current head. */
static void
test_syslog_only(void **state)
{
    struct apptest *at = *state;
    struct audit_ship *s = NULL;
    int fac = -1;
    int64_t n = -1;
    assert_int_equal(audit_ship_facility("local3", &fac), 0);
    assert_int_equal(fac, LOG_LOCAL3);
    assert_int_equal(audit_ship_facility("authpriv", &fac), 0);
    assert_int_equal(fac, LOG_AUTHPRIV);
    assert_int_equal(audit_ship_facility("kern", &fac), ERR_INVALID);
    assert_int_equal(audit_ship_facility("", &fac), ERR_INVALID);
    assert_int_equal(audit_ship_open(at->db, NULL, NULL, &s), ERR_INVALID);
    assert_int_equal(audit_ship_open(at->db, NULL, "bogus", &s), ERR_INVALID);

    append_n(at, 2);
    assert_int_equal(audit_ship_open(at->db, NULL, "local3", &s), 0);
    assert_int_equal(audit_ship_last(s), apptest_i64(at->db, "SELECT max(id) FROM audit_log", 0));
    append_n(at, 2);
    assert_int_equal(audit_ship_poll(s, at->db, &n), 0);
    assert_int_equal(n, 2);
    audit_ship_close(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_ship_and_verify),       APPTEST(test_rolled_back_not_shipped),
        APPTEST(test_rewound_head_caught),   APPTEST(test_rewritten_entry_caught),
        APPTEST(test_torn_and_bad_lines),    APPTEST(test_syslog_only),
    };
    return apptest_run("domain_audit_ship", tests, sizeof tests / sizeof tests[0]);
}
