/* tests/unit/domain/testing/test_sample_correct.c - a sample's fields corrected by its source
 * (sample_correct of domain/testing/sample.h; R2.4 修改, issue 10): the original kept in
 * sample_history (sealed), the new values sealed with a new blind index, who may (its
 * source, in scope), validation, the event naming fields only and the audit entry; on
 * SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "core/idno.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/testing/sample.h"

#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

static void
make_id(const char *first17, char out[19])
{
    snprintf(out, 19, "%s%c", first17, idno_check_digit(first17));
}

static int
fix(struct apptest *at, const struct actor *a, int64_t id, const char *json, struct ingest_outcome *why)
{
    json_t *patch = apptest_json(json);
    int rc = sample_correct(&at->app, at->db, a, id, patch, why);
    json_decref(patch);
    return rc;
}

static void
test_correct(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome why;
    struct actor other;
    char a[19], b[19], body[256];
    int64_t id, bidx_a, bidx_b;

    make_id("11010219800101123", a);
    make_id("11010219900202456", b);
    time_set_fake_ms(APPTEST_NOW);
    apptest_site(at, "S1", SUB1);
    id = apptest_accept(at, &sample_kind,
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i}", "source", "app-1",
                                  "external_id", "x1", "id_number", a, "name", "李四MARKNAME", "tube_code", "T-1",
                                  "site_code", "S1", "phone", "13800001111", "collected_at",
                                  (json_int_t)(APPTEST_NOW - 60000), "mix_size", 10, "mix_index", 3));
    bidx_a = blind_index(&at->app.keys, "idno", a, 18);
    bidx_b = blind_index(&at->app.keys, "idno", b, 18);

    /* the source corrects the ID, the name and the tube, and clears the phone */
    snprintf(body, sizeof body,
             "{\"source\":\"app-1\",\"reason\":\"录入错误\",\"id_number\":\"%s\",\"name\":\"李思\","
             "\"tube_code\":\"T-2\",\"phone\":null}",
             b);
    assert_int_equal(fix(at, &at->admin, id, body, &why), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT person_bidx FROM samples WHERE id = ?1", id), bidx_b);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM samples WHERE tube_code = ?1", "T-2"), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM samples WHERE phone IS NULL AND id = ?1", id), 1);
    /* the original is kept, sealed */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sample_history WHERE sample_id = ?1", id), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT person_bidx FROM sample_history WHERE sample_id = ?1", id), bidx_a);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sample_history WHERE tube_code = 'T-1' AND"
                                              " phone IS NOT NULL AND fields = ?1",
                                      "id_number,name,phone,tube_code"),
                     1);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM sample_history WHERE reason = ?1", "录入错误"), 1);

    /* mixing: index within size, merged with what is stored */
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"mix_size\":2}", &why),
                     ERR_INVALID);
    assert_string_equal(why.field, "mix_index");
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"mix_size\":3}", &why), 0);

    /* refused: another source, out of scope, bad values, nothing to do, no reason */
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-2\",\"reason\":\"r\",\"name\":\"x\"}", &why),
                     ERR_FORBIDDEN);
    apptest_scoped(at, SUB2, &other);
    assert_int_equal(fix(at, &other, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"name\":\"x\"}", &why),
                     ERR_NOT_FOUND);
    assert_int_equal(fix(at, &at->admin, id + 99, "{\"source\":\"app-1\",\"reason\":\"r\",\"name\":\"x\"}", &why),
                     ERR_NOT_FOUND);
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"id_number\":\"123\"}", &why),
                     ERR_INVALID);
    assert_string_equal(why.field, "id_number");
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"site_code\":\"S2\"}", &why),
                     ERR_INVALID);
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\"}", &why), ERR_INVALID);
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"name\":\"x\"}", &why), ERR_INVALID);
    assert_string_equal(why.field, "reason");
    snprintf(body, sizeof body, "{\"source\":\"app-1\",\"reason\":\"was %s\",\"name\":\"x\"}", a);
    assert_int_equal(fix(at, &at->admin, id, body, &why), ERR_INVALID);
    assert_int_equal(fix(at, &at->admin, id, "{\"reason\":\"r\",\"name\":\"x\"}", &why), ERR_INVALID);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM sample_history WHERE sample_id = ?1", id), 2);
    /* a deleted sample is not corrected */
    assert_int_equal(sample_delete(&at->app, at->db, &at->admin, id), 0);
    assert_int_equal(fix(at, &at->admin, id, "{\"source\":\"app-1\",\"reason\":\"r\",\"name\":\"x\"}", &why),
                     ERR_NOT_FOUND);

    /* audited and pushed by field name; no plaintext anywhere */
    assert_int_equal(apptest_count_audit(at->db, "samples.correct", NULL, "ok"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE topic = ?1", "samples.corrected"), 2);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%MARKNAME%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM outbox WHERE payload LIKE ?1", "%19900202%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT count(*) FROM audit_log WHERE detail LIKE ?1", "%19900202%"), 0);
    apptest_audit_intact(at);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { APPTEST(test_correct) };
    return apptest_run("domain_sample_correct", tests, sizeof tests / sizeof tests[0]);
}
