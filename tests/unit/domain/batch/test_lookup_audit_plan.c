/* tests/unit/domain/batch/test_lookup_audit_plan.c - the auditor's "who looked up this person"
 * query (domain/batch/lookup_audit.c, sql_person_hits; issue 12, docs/security.md Known gaps
 * item 4) reads audit_log through the index on target (migration 0030), not by scanning the
 * log: the plan itself is asserted, on SQLite (EXPLAIN QUERY PLAN) and PostgreSQL (EXPLAIN,
 * after ANALYZE of a log with many targets). Before 0030 there was no such index and both
 * plans scanned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "db/db.h"
#include "dbtest.h"

#define PLAN_ROWS 6000
#define PLAN_TARGETS 1500

/* the text of sql_person_hits (lookup_audit.c) with its parameters as literals */
#define PERSON_HITS                                                                                      \
    "SELECT ts, actor, role, action, result FROM audit_log WHERE target = 'blind:0000000000000007'"    \
    " AND action <> 'audit.lookups' ORDER BY id DESC LIMIT 101"

static const char sql_add[] =
    "INSERT INTO audit_log (ts, actor, role, ip, action, target, result, request_id, detail, key_id, mac)"
    " VALUES (?1, 'auditor', 'auditor', '127.0.0.1', ?2, ?3, 'ok', '', '', 1, ?4)";

static void
fill(struct db *db)
{
    char target[40];
    assert_int_equal(db_begin(db), 0);
    for (int i = 0; i < PLAN_ROWS; i++) {
        struct db_stmt *st = NULL;
        bool row = false;
        snprintf(target, sizeof target, "blind:%016x", i % PLAN_TARGETS);
        const char *action = i % 3 ? "batch.lookup" : "people.view";
        assert_int_equal(db_prepare(db, sql_add, &st), 0);
        assert_int_equal(db_bind_i64(st, 1, 1700000000000 + i), 0);
        assert_int_equal(db_bind_text(st, 2, action, strlen(action)), 0);
        assert_int_equal(db_bind_text(st, 3, target, strlen(target)), 0);
        assert_int_equal(db_bind_blob(st, 4, "mac", 3), 0);
        assert_int_equal(db_step(st, &row), 0);
        db_done(st);
    }
    assert_int_equal(db_commit(db), 0);
}

static void
test_person_hits_use_target_index(void **state)
{
    struct dbtest *t = *state;
    struct buf plan = BUF_INIT;
    struct db_stmt *st = NULL;
    bool row = false;
    bool pg = strcmp(t->driver, "postgres") == 0;
    fill(t->db);
    assert_int_equal(db_exec(t->db, "ANALYZE audit_log"), 0);
    assert_int_equal(db_prepare(t->db, pg ? "EXPLAIN " PERSON_HITS : "EXPLAIN QUERY PLAN " PERSON_HITS, &st), 0);
    while (!db_step(st, &row) && row) {
        size_t n = 0;
        const char *line = db_col_text(st, pg ? 0 : 3, &n);
        buf_add(&plan, line, n);
        buf_adds(&plan, "\n");
    }
    db_done(st);
    print_message("%s plan:\n%s", t->driver, plan.data);
    assert_non_null(strstr(plan.data, "audit_log_target"));
    if (!pg)
        assert_null(strstr(plan.data, "SCAN audit_log"));
    buf_release(&plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        DBTEST(test_person_hits_use_target_index),
    };
    return dbtest_run("lookup_audit_plan", tests, sizeof tests / sizeof tests[0]);
}
