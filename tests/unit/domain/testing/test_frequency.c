/* tests/unit/domain/testing/test_frequency.c - a person's testing frequency per month of
 * domain/testing/frequency.h (参与核酸频次, issue 10): counts per Asia/Shanghai month over a
 * span with the empty months, masked answers, district only (a refusal audited), audited by
 * blind index and never by the number, deleted samples left out; on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "domain/testing/frequency.h"
#include "domain/testing/sample.h"

#define SUB1 APPTEST_SUBDISTRICT
#define ID_B "110102198001021234"

/* a valid ID from a 17-digit prefix */
static void
make_id(const char *first17, char out[19])
{
    snprintf(out, 19, "%s%c", first17, idno_check_digit(first17));
}

static int64_t
add(struct apptest *at, const char *ext, const char *id, const char *when)
{
    int64_t ms = 0;
    assert_int_equal(time_parse_rfc3339(when, &ms), 0);
    return apptest_accept(at, &sample_kind,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "app", "external_id", ext,
                                    "id_number", id, "name", "王小明", "tube_code", "T-1", "site_code", "S1",
                                    "collected_at", (json_int_t)ms));
}

static void
test_frequency(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct person_frequency f;
    struct actor dist, sub, scoped;
    char a[19], b[19], lower[19];
    int64_t del;

    make_id("11010219800101123", a);
    make_id("11010219900202456", b);
    time_set_fake_ms(APPTEST_NOW); /* 2026-01-01 18:00 +08:00 */
    apptest_site(at, "S1", SUB1);
    /* December 2025 (local) twice, one at 23:30 local on the 31st = UTC still 31 Dec */
    add(at, "x1", a, "2025-12-01T09:00:00+08:00");
    add(at, "x2", a, "2025-12-31T23:30:00+08:00");
    /* 2025-11-30 20:00 UTC is 1 December in Shanghai */
    add(at, "x3", a, "2025-11-30T20:00:00Z");
    add(at, "x4", a, "2025-10-15T10:00:00+08:00");
    add(at, "x5", a, "2026-01-01T08:00:00+08:00");
    del = add(at, "x6", a, "2025-10-16T10:00:00+08:00");
    add(at, "x7", b, "2025-12-05T10:00:00+08:00"); /* someone else */
    apptest_actor(at, apptest_user(at, "district", ROLE_DISTRICT, NULL, NULL, NULL), &dist);
    apptest_actor(at, apptest_user(at, "sub1", ROLE_SUBDISTRICT, SUB1, NULL, NULL), &sub);
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, del), 0);

    assert_int_equal(person_frequency(&at->app, at->db, &dist, a, "2025-09", "2026-01", &arena, &f, apptest_why()), 0);
    assert_int_equal(f.nmonths, 5);
    assert_string_equal(f.from, "2025-09");
    assert_string_equal(f.to, "2026-01");
    assert_string_equal(f.months[0].month, "2025-09");
    assert_int_equal(f.months[0].tests, 0);
    assert_string_equal(f.months[1].month, "2025-10");
    assert_int_equal(f.months[1].tests, 1); /* the deleted one does not count */
    assert_int_equal(f.months[2].tests, 0);
    assert_string_equal(f.months[3].month, "2025-12");
    assert_int_equal(f.months[3].tests, 3);
    assert_int_equal(f.months[4].tests, 1);
    assert_int_equal(f.total, 5);
    assert_string_equal(f.name, "王**");
    assert_null(strstr(f.id_number, "19800101"));
    assert_int_equal(strncmp(f.id_number, "110102", 6), 0);

    /* the default span: 12 months ending with the current one; any spelling of the ID */
    snprintf(lower, sizeof lower, "%s", a);
    if (lower[17] == 'X')
        lower[17] = 'x';
    assert_int_equal(person_frequency(&at->app, at->db, &dist, lower, NULL, NULL, &arena, &f, apptest_why()), 0);
    assert_int_equal(f.nmonths, 12);
    assert_string_equal(f.from, "2025-02");
    assert_string_equal(f.to, "2026-01");
    assert_int_equal(f.total, 5);
    /* nobody sampled: zeros, no name */
    assert_int_equal(person_frequency(&at->app, at->db, &dist, ID_B, "2025-12", "2025-12", &arena, &f, apptest_why()),
                     0);
    assert_int_equal(f.total, 0);
    assert_string_equal(f.name, "");

    /* bad input */
    assert_int_equal(person_frequency(&at->app, at->db, &dist, "123", NULL, NULL, &arena, &f, apptest_why()),
                     ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "'id_number'"));
    assert_int_equal(person_frequency(&at->app, at->db, &dist, a, "2025-13", NULL, &arena, &f, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(person_frequency(&at->app, at->db, &dist, a, "2026-02", "2026-01", &arena, &f, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(person_frequency(&at->app, at->db, &dist, a, "2020-01", "2026-01", &arena, &f, apptest_why()),
                     ERR_INVALID);
    assert_int_equal(person_frequency(&at->app, at->db, &dist, a, "2025-1", NULL, &arena, &f, apptest_why()),
                     ERR_INVALID);

    /* district only: refusals are audited */
    assert_int_equal(person_frequency(&at->app, at->db, &sub, a, NULL, NULL, &arena, &f, apptest_why()),
                     ERR_FORBIDDEN);
    apptest_scoped(at, SUB1, &scoped);
    assert_int_equal(person_frequency(&at->app, at->db, &scoped, a, NULL, NULL, &arena, &f, apptest_why()),
                     ERR_FORBIDDEN);
    assert_int_equal(apptest_count_audit(at->db, "people.frequency", NULL, "denied"), 2);
    assert_int_equal(apptest_count_audit(at->db, "people.frequency", NULL, "ok"), 3);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE target LIKE 'blind:%' AND"
                                              " action = ?1", "people.frequency"),
                     3);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1 OR target LIKE ?1",
                                      "%19800101%"),
                     0);
    apptest_audit_intact(at);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { APPTEST(test_frequency) };
    return apptest_run("domain_frequency", tests, sizeof tests / sizeof tests[0]);
}
