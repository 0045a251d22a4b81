/* tests/unit/domain/platform/test_reference.c - reference data of domain/platform/division.h: divisions
 * (GB/T 2260 / NBS codes of 西城区) and industries (GB/T 4754 sections), loaded from the
 * CSV files embedded in the binary (R1.x, R2.8, R2.9), on SQLite and PostgreSQL.
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
#include "domain/platform/division.h"

static size_t
count_level(struct apptest *at, int level, const char *parent)
{
    struct arena arena = ARENA_INIT;
    struct division *items = NULL;
    size_t n = 0;
    assert_int_equal(division_list(at->db, level, parent, &arena, &items, &n), 0);
    arena_release(&arena);
    return n;
}

/* industry reads one industry row's name and English name into the buffers. */
static bool
industry(struct apptest *at, const char *code, char *name, size_t ncap, char *en, size_t ecap)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    const char *s;
    assert_int_equal(db_prepare(at->db, "SELECT name, name_en FROM industries WHERE code = ?1", &st), 0);
    assert_int_equal(db_bind_text(st, 1, code, strlen(code)), 0);
    assert_int_equal(db_step(st, &row), 0);
    if (row) {
        s = db_col_text(st, 0, &n);
        snprintf(name, ncap, "%.*s", (int)n, s ? s : "");
        s = db_col_text(st, 1, &n);
        snprintf(en, ecap, "%.*s", (int)n, s ? s : "");
    }
    db_done(st);
    return row;
}

static void
test_seed_counts(void **state)
{
    struct apptest *at = *state; /* apptest_setup has run reference_seed once */
    assert_int_equal(count_level(at, DIVISION_DISTRICT, NULL), 1);
    assert_int_equal(count_level(at, DIVISION_SUBDISTRICT, NULL), 15);
    assert_int_equal(count_level(at, DIVISION_COMMUNITY, NULL), 263);
    assert_int_equal(count_level(at, 0, NULL), 279);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM divisions", 0), 279);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM industries", 0), 20);
}

static void
test_seed_idempotent(void **state)
{
    struct apptest *at = *state;
    assert_int_equal(reference_seed(at->db), 0);
    assert_int_equal(reference_seed(at->db), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM divisions", 0), 279);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM industries", 0), 20);
}

/* On an empty database the seed loads everything (and only once). */
static void
test_seed_fresh_database(void **state)
{
    struct apptest *at = *state;
    assert_int_equal(db_exec(at->db, "DELETE FROM divisions; DELETE FROM industries"), 0);
    assert_int_equal(reference_seed(at->db), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM divisions", 0), 279);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM industries", 0), 20);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM divisions WHERE level = 2", 0), 15);
}

static void
test_division_get(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct division d;

    assert_int_equal(division_get(at->db, "110102", &arena, &d), 0);
    assert_string_equal(d.code, "110102");
    assert_int_equal(d.level, DIVISION_DISTRICT);
    assert_string_equal(d.parent, "110100");
    assert_string_equal(d.name, "西城区");

    assert_int_equal(division_get(at->db, APPTEST_SUBDISTRICT, &arena, &d), 0);
    assert_int_equal(d.level, DIVISION_SUBDISTRICT);
    assert_string_equal(d.parent, "110102");
    assert_string_equal(d.name, "西长安街街道");

    assert_int_equal(division_get(at->db, "110102001004", &arena, &d), 0);
    assert_int_equal(d.level, DIVISION_COMMUNITY);
    assert_string_equal(d.parent, APPTEST_SUBDISTRICT);
    assert_string_equal(d.name, "府右街南社区居委会");

    assert_int_equal(division_get(at->db, "110102999", &arena, &d), ERR_NOT_FOUND);
    assert_int_equal(division_get(at->db, "", &arena, &d), ERR_NOT_FOUND);
    assert_int_equal(division_get(at->db, "110102' OR '1'='1", &arena, &d), ERR_NOT_FOUND);
    assert_int_equal(division_get(at->db, "110102001000", &arena, &d), ERR_NOT_FOUND); /* padded form */
    arena_release(&arena);
}

static void
test_division_list(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct division *subs = NULL, *all = NULL, *kids = NULL;
    size_t nsubs = 0, nall = 0, nkids = 0, total_kids = 0;

    assert_int_equal(division_list(at->db, DIVISION_SUBDISTRICT, "110102", &arena, &subs, &nsubs), 0);
    assert_int_equal(nsubs, 15);
    assert_int_equal(count_level(at, 0, "110102"), 15);
    for (size_t i = 0; i < nsubs; i++) {
        assert_int_equal(subs[i].level, DIVISION_SUBDISTRICT);
        assert_string_equal(subs[i].parent, "110102");
        assert_int_equal(strlen(subs[i].code), 9);
        assert_true(strncmp(subs[i].code, "110102", 6) == 0);
        assert_true(strlen(subs[i].name) > 0);
        if (i)
            assert_true(strcmp(subs[i - 1].code, subs[i].code) < 0);
        assert_int_equal(division_list(at->db, DIVISION_COMMUNITY, subs[i].code, &arena, &kids, &nkids), 0);
        assert_true(nkids > 0);
        for (size_t k = 0; k < nkids; k++) {
            assert_int_equal(strlen(kids[k].code), 12);
            assert_true(strncmp(kids[k].code, subs[i].code, 9) == 0);
            assert_string_equal(kids[k].parent, subs[i].code);
            if (k)
                assert_true(strcmp(kids[k - 1].code, kids[k].code) < 0);
        }
        total_kids += nkids;
    }
    assert_int_equal(total_kids, 263);

    assert_int_equal(division_list(at->db, 0, NULL, &arena, &all, &nall), 0);
    assert_int_equal(nall, 279);
    for (size_t i = 1; i < nall; i++)
        assert_true(strcmp(all[i - 1].code, all[i].code) < 0);
    assert_string_equal(all[0].code, "110102");

    assert_int_equal(count_level(at, 0, "999999"), 0);
    assert_int_equal(count_level(at, DIVISION_DISTRICT, "110102"), 0);
    assert_int_equal(count_level(at, 7, NULL), 0);
    arena_release(&arena);
}

static void
test_check_subdistrict(void **state)
{
    struct apptest *at = *state;
    struct arena arena = ARENA_INIT;
    struct division *subs = NULL, *kids = NULL;
    size_t nsubs = 0, nkids = 0;

    assert_int_equal(division_list(at->db, DIVISION_SUBDISTRICT, NULL, &arena, &subs, &nsubs), 0);
    for (size_t i = 0; i < nsubs; i++)
        assert_int_equal(division_check_subdistrict(at->db, subs[i].code), 0);
    assert_int_equal(division_list(at->db, DIVISION_COMMUNITY, APPTEST_SUBDISTRICT, &arena, &kids, &nkids), 0);
    for (size_t i = 0; i < nkids; i++)
        assert_int_equal(division_check_subdistrict(at->db, kids[i].code), ERR_INVALID);
    assert_int_equal(division_check_subdistrict(at->db, "110102"), ERR_INVALID);
    assert_int_equal(division_check_subdistrict(at->db, "110102999"), ERR_INVALID);
    assert_int_equal(division_check_subdistrict(at->db, ""), ERR_INVALID);
    assert_int_equal(division_check_subdistrict(at->db, "110102001000"), ERR_INVALID);
    arena_release(&arena);
}

static void
test_industries(void **state)
{
    struct apptest *at = *state;
    char name[128], en[128];
    const char *codes = "ABCDEFGHIJKLMNOPQRST";

    for (const char *c = codes; *c; c++) {
        char code[2] = { *c, '\0' };
        if (!industry(at, code, name, sizeof name, en, sizeof en))
            fail_msg("industry section %s missing", code);
        assert_true(strlen(name) > 0);
        assert_true(strlen(en) > 0);
    }
    assert_true(industry(at, "B", name, sizeof name, en, sizeof en));
    assert_string_equal(name, "采矿业");
    assert_string_equal(en, "Mining");
    assert_true(industry(at, "P", name, sizeof name, en, sizeof en));
    assert_string_equal(name, "教育");
    assert_string_equal(en, "Education");
    assert_false(industry(at, "U", name, sizeof name, en, sizeof en));
}

/* data/industries.csv is RFC 4180 (data/README.md): a quoted field keeps its commas. */
static void
test_industries_quoted_fields(void **state)
{
    struct apptest *at = *state;
    char name[128], en[128];
    assert_true(industry(at, "A", name, sizeof name, en, sizeof en));
    assert_string_equal(name, "农、林、牧、渔业");
    assert_string_equal(en, "Agriculture, Forestry, Animal Husbandry and Fishery");
    assert_true(industry(at, "G", name, sizeof name, en, sizeof en));
    assert_string_equal(en, "Transport, Storage and Post");
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM industries WHERE name_en LIKE '%\"%'", 0), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_seed_counts),
        APPTEST(test_seed_idempotent),
        APPTEST(test_seed_fresh_database),
        APPTEST(test_division_get),
        APPTEST(test_division_list),
        APPTEST(test_check_subdistrict),
        APPTEST(test_industries),
        APPTEST(test_industries_quoted_fields),
    };
    return apptest_run("domain_reference", tests, sizeof tests / sizeof tests[0]);
}
