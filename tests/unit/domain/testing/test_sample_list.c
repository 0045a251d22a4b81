/* tests/unit/domain/testing/test_sample_list.c - sample_list of domain/testing/sample.h (R1.2
 * drill-down, issue 10; S1 masking): masked ID number, name and collector by default,
 * revealed only with pii.reveal, filters (site, community, time), scope (a scoped actor
 * sees its subdistrict only and is refused another), deleted samples left out, cursor
 * paging and the total; on SQLite and PostgreSQL.
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
#include "domain/testing/sample.h"

#define NOW APPTEST_NOW
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2
#define ID1 "11010519850612107X"
#define ID2 "110108197511114565"

static int64_t
add_sample(struct apptest *at, const char *ext, const char *id, const char *name, const char *site, int64_t t)
{
    return apptest_accept(at, &sample_kind,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "source", "app", "external_id", ext,
                                    "id_number", id, "name", name, "tube_code", ext, "site_code", site,
                                    "collected_at", (json_int_t)t, "collector", "李采样"));
}

static void
test_list(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct sample_row *items = NULL;
    struct sample_query q = { .limit = 2 };
    struct actor scoped, plain;
    size_t n = 0;
    int64_t total = 0, gone;

    apptest_site(at, "S-1", SUB1);
    apptest_site(at, "S-2", SUB2);
    add_sample(at, "t1", ID1, "欧阳娜娜", "S-1", NOW - 3 * 3600000LL);
    add_sample(at, "t2", ID2, "王五", "S-1", NOW - 2 * 3600000LL);
    gone = add_sample(at, "t3", ID2, "王五", "S-1", NOW - 3600000LL);
    add_sample(at, "t4", ID1, "欧阳娜娜", "S-2", NOW - 60000LL);
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, gone), 0);

    /* Masked, oldest first, paged: 3 live samples district-wide. */
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id_number, "110105********107X");
    assert_string_equal(items[0].name, "欧***");
    assert_string_equal(items[0].collector, "李**");
    assert_string_equal(items[0].site_code, "S-1");
    assert_string_equal(items[0].tube_code, "t1");
    assert_int_equal(items[0].collected_at, NOW - 3 * 3600000LL);
    assert_string_equal(items[1].tube_code, "t2");
    q.after = items[1].id;
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].tube_code, "t4");
    assert_string_equal(items[0].subdistrict, SUB2);

    /* Filters: site, time range, subdistrict. */
    q = (struct sample_query){ .limit = 10, .site_code = "S-2" };
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    q = (struct sample_query){ .limit = 10, .from = NOW - 2 * 3600000LL, .to = NOW - 60000LL };
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].tube_code, "t2");
    q = (struct sample_query){ .limit = 10, .subdistrict = SUB2 };
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 1);

    /* Scope: a scoped actor sees its own subdistrict and is refused another. */
    apptest_scoped(at, SUB1, &scoped);
    q = (struct sample_query){ .limit = 10 };
    assert_int_equal(sample_list(&at->app, at->db, &scoped, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 2);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].subdistrict, SUB1);
    q.subdistrict = SUB2;
    assert_int_equal(sample_list(&at->app, at->db, &scoped, &q, &arena, &items, &n, &total), ERR_FORBIDDEN);

    /* Reveal: only with pii.reveal. */
    q = (struct sample_query){ .limit = 1, .reveal = true };
    assert_int_equal(sample_list(&at->app, at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_string_equal(items[0].id_number, ID1);
    assert_string_equal(items[0].name, "欧阳娜娜");
    assert_string_equal(items[0].collector, "李采样");
    plain = at->admin;
    plain.kind = ACTOR_USER; /* a system actor may do anything */
    plain.perms = role_perms(ROLE_SUBDISTRICT);
    assert_int_equal(sample_list(&at->app, at->db, &plain, &q, &arena, &items, &n, &total), ERR_FORBIDDEN);
    q.reveal = false;
    q.no_total = true;
    assert_int_equal(sample_list(&at->app, at->db, &plain, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(n, 1);
    arena_release(&arena);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { APPTEST(test_list) };
    return apptest_run("sample_list", tests, sizeof tests / sizeof tests[0]);
}
